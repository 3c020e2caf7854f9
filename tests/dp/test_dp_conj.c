/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conjunctive matches (conjunction(id,k/n), conj_id) in the software
 * classifier, against flow_table_lookup(), the reference: Open vSwitch's
 * rules case by case (the expected flow named by its cookie), then random
 * flow sets over a small space of packets, single, burst and through the
 * exact-match cache, with flows changing between rounds.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>

#include "dp_test_env.h"

/* TCP over IPv4 from 10.0.0.@src to 10.0.0.@dst, port @tp_dst. */
static struct flow_key
key4(uint32_t in_port, unsigned src, unsigned dst, uint16_t tp_dst)
{
    struct flow_key k;

    memset(&k, 0, sizeof(k));
    k.in_port = in_port;
    k.dl_type = htons(0x0800);
    k.nw_proto = 6;
    k.nw_ttl = 64;
    k.nw_src = htonl(0x0a000000u | src);
    k.nw_dst = htonl(0x0a000000u | dst);
    k.tp_src = htons(1000);
    k.tp_dst = htons(tp_dst);
    return k;
}

/* Results that were conj_id flows: the random sets must reach some. */
static unsigned n_conj_results;

/* The flow chosen for @k in table 0: the reference's, checked equal to
 * the classifier's single, burst and cached lookups. Its cookie, or
 * 0 for a miss. */
static uint64_t
chosen(struct dp_env *e, const struct flow_key *k)
{
    const struct flow_entry *want = flow_table_lookup(e->ft, 0, k);
    const struct dp_cls_snap *snap;
    const struct dp_rule *got, *burst[3], *c1, *c2;
    struct flow_key keys[3] = { *k, *k, *k };

    dp_worker_online(e->w);
    snap = dp_cls_snap_get(dp_classifier(e->dp));
    got = dp_cls_lookup(snap, 0, k);
    dp_cls_lookup_burst(snap, 0, keys, 3, burst);
    c1 = dp_worker_classify(e->w, 0, k);
    c2 = dp_worker_classify(e->w, 0, k);
    dp_worker_quiesce(e->w);
    dp_worker_offline(e->w);
    cr_assert_eq(got ? got->id : 0, want ? want->id : 0,
                 "classifier chose flow %llu, reference %llu",
                 (unsigned long long)(got ? got->id : 0),
                 (unsigned long long)(want ? want->id : 0));
    for (unsigned i = 0; i < 3; i++)
        cr_assert_eq(burst[i], got, "burst lookup differs");
    cr_assert_eq(c1, got, "cached path differs");
    cr_assert_eq(c2, got, "cache hit differs");
    if (want != NULL) {
        struct flow_match m;

        cr_assert(!flow_actions_are_conjunction(want->flow.actions,
                                                want->flow.n_actions),
                  "a clause flow is never a result");
        flow_entry_match(want, &m);
        n_conj_results += m.mask.meta.conj_id != 0;
    }
    return want ? want->flow.cookie : 0;
}

static uint64_t
chosen4(struct dp_env *e, uint32_t in_port, unsigned src, unsigned dst,
       uint16_t tp_dst)
{
    struct flow_key k = key4(in_port, src, dst, tp_dst);

    return chosen(e, &k);
}

/* The Open vSwitch firewall's shape: sources x ports. */
static const char *const firewall[] = {
    "cookie=10,priority=100,conj_id=1,actions=output:2",
    "cookie=11,priority=100,ip,nw_src=10.0.0.1,actions=conjunction(1,1/2)",
    "cookie=12,priority=100,ip,nw_src=10.0.0.2,actions=conjunction(1,1/2)",
    "cookie=13,priority=100,tcp,tp_dst=80,actions=conjunction(1,2/2)",
    "cookie=14,priority=100,tcp,tp_dst=443,actions=conjunction(1,2/2)",
    "cookie=99,priority=0,actions=output:9",
    NULL
};

Test(dp_conj, every_dimension_must_match)
{
    struct dp_env e;

    dp_env_init(&e, 0, firewall);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 10);
    cr_assert_eq(chosen4(&e, 1, 2, 5, 443), 10);
    cr_assert_eq(chosen4(&e, 1, 3, 5, 80), 99, "source not allowed");
    cr_assert_eq(chosen4(&e, 1, 1, 5, 22), 99, "port not allowed");
    dp_env_fini(&e);
}

/* An MPLS frame on @in_port with top label @label. */
static uint64_t
chosen_mpls(struct dp_env *e, uint32_t in_port, uint32_t label)
{
    struct flow_key k;

    memset(&k, 0, sizeof(k));
    k.in_port = in_port;
    k.dl_type = htons(0x8847);
    k.mpls_lse = htonl(label << 12 | 1u << 8 | 64);
    return chosen(e, &k);
}

Test(dp_conj, a_clause_on_the_mpls_label)
{
    /* a clause is checked on every field of the key, the MPLS entry too
     * (which sits between two paddings of struct flow_key) */
    static const char *const lines[] = {
        "cookie=50,priority=100,conj_id=5,actions=output:2",
        "cookie=51,priority=100,mpls,mpls_label=5,"
        "actions=conjunction(5,1/2)",
        "cookie=52,priority=100,in_port=1,actions=conjunction(5,2/2)",
        "cookie=99,priority=0,actions=output:9",
        NULL
    };
    struct dp_env e;

    dp_env_init(&e, 0, lines);
    cr_assert_eq(chosen_mpls(&e, 1, 5), 50);
    cr_assert_eq(chosen_mpls(&e, 1, 7), 99, "label 7 is in no clause");
    cr_assert_eq(chosen_mpls(&e, 2, 5), 99, "port 2 is in no clause");
    dp_env_fini(&e);
}

Test(dp_conj, ordinary_flows_above_win_below_lose)
{
    struct dp_env e;

    snic_role_enter(&snic_control);
    dp_env_init(&e, 0, firewall);
    dp_env_add(&e, "cookie=20,priority=200,tcp,tp_dst=443,actions=output:3");
    dp_env_add(&e, "cookie=30,priority=50,ip,nw_src=10.0.0.1,actions=output:4");
    dp_env_add(&e, "cookie=31,priority=100,ip,nw_src=10.0.0.7,"
                "actions=output:4");
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 443), 20);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 10);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 22), 30, "no conjunction: the best "
                 "ordinary flow");
    dp_env_fini(&e);
}

Test(dp_conj, one_flow_with_every_clause_does_not_complete_alone)
{
    /* Open vSwitch counts no conjunction with more clauses than there are
     * clause flows in view at that priority */
    static const char *const lines[] = {
        "cookie=40,priority=300,conj_id=2,actions=output:2",
        "cookie=41,priority=300,tcp,tp_dst=8080,"
        "actions=conjunction(2,1/2),conjunction(2,2/2)",
        "cookie=99,priority=0,actions=output:9",
        NULL
    };
    struct dp_env e;

    snic_role_enter(&snic_control);
    dp_env_init(&e, 0, lines);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 8080), 99);
    dp_env_add(&e, "cookie=42,priority=300,ip,nw_src=10.0.0.9,"
                "actions=conjunction(3,1/2)");
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(chosen4(&e, 1, 9, 5, 8080), 40, "two flows in view");
    cr_assert_eq(chosen4(&e, 1, 1, 5, 8080), 99);
    dp_env_fini(&e);
}

Test(dp_conj, failed_clause_uncovers_identical_match_below)
{
    /* flows with identical matches form a list that shows its best; a
     * clause flow that makes no conjunctive match shows the next */
    static const char *const lines[] = {
        "cookie=50,priority=150,tcp,tp_dst=22,actions=output:5",
        "cookie=51,priority=700,tcp,tp_dst=22,actions=conjunction(3,1/2)",
        "cookie=52,priority=700,ip,nw_src=10.0.0.8,"
        "actions=conjunction(3,2/2)",
        "cookie=53,priority=700,conj_id=3,actions=output:6",
        "cookie=54,priority=100,ip,actions=output:7",
        NULL
    };
    struct dp_env e;

    dp_env_init(&e, 0, lines);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 22), 50);
    cr_assert_eq(chosen4(&e, 1, 8, 5, 22), 53);
    dp_env_fini(&e);
}

Test(dp_conj, clause_hides_identical_match_from_conj_id_lookup)
{
    /* the lookup of a complete conj_id sees the heads of the lists only:
     * the ordinary flow under the clause flow is not there */
    static const char *const lines[] = {
        "cookie=60,priority=810,tcp,tp_dst=25,actions=output:5",
        "cookie=61,priority=920,tcp,tp_dst=25,"
        "actions=conjunction(4,1/2),conjunction(4,2/2)",
        "cookie=62,priority=920,ip,nw_dst=10.0.0.2,"
        "actions=conjunction(4,2/2)",
        "cookie=63,priority=920,conj_id=4,dl_dst=02:00:00:00:00:03,"
        "actions=output:2",
        "cookie=64,priority=110,ip,actions=output:3",
        NULL
    };
    struct dp_env e;

    dp_env_init(&e, 0, lines);
    cr_assert_eq(chosen4(&e, 1, 1, 2, 25), 64);
    cr_assert_eq(chosen4(&e, 1, 1, 3, 25), 60, "no conjunction: the list "
                 "moves on to the ordinary flow");
    dp_env_fini(&e);
}

Test(dp_conj, lowest_complete_id_with_a_flow)
{
    static const char *const lines[] = {
        "cookie=70,priority=500,conj_id=8,actions=output:2",
        "cookie=71,priority=500,conj_id=9,actions=output:3",
        "cookie=72,priority=500,ip,nw_src=10.0.0.1,"
        "actions=conjunction(9,1/2),conjunction(8,1/2),conjunction(7,1/2)",
        "cookie=73,priority=500,tcp,tp_dst=80,"
        "actions=conjunction(9,2/2),conjunction(8,2/2),conjunction(7,2/2)",
        NULL
    };
    struct dp_env e;

    dp_env_init(&e, 0, lines);
    /* 7 completes but has no conj_id flow and nothing else matches */
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 70);
    cr_assert_eq(chosen4(&e, 1, 2, 5, 80), 0, "a miss");
    dp_env_fini(&e);
}

Test(dp_conj, conj_id_flow_at_another_priority)
{
    static const char *const lines[] = {
        "cookie=80,priority=400,ip,nw_src=10.0.0.1,"
        "actions=conjunction(5,1/2)",
        "cookie=81,priority=400,tcp,tp_dst=80,actions=conjunction(5,2/2)",
        "cookie=82,priority=50,conj_id=5,actions=output:2",
        "cookie=83,priority=60,in_port=1,actions=output:3",
        NULL
    };
    struct dp_env e;

    dp_env_init(&e, 0, lines);
    /* the conj_id lookup finds the best flow for the packet with that id:
     * an ordinary flow above the conj_id flow wins */
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 83);
    cr_assert_eq(chosen4(&e, 2, 1, 5, 80), 82);
    dp_env_fini(&e);
}

Test(dp_conj, clause_flows_change)
{
    struct dp_env e;
    struct flow_mod fm;
    struct flow_error err;

    snic_role_enter(&snic_control);
    dp_env_init(&e, 0, firewall);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 10);
    cr_assert_eq(flow_parse("priority=100,tcp,tp_dst=80", FLOW_CMD_DELETE_STRICT,
                            NULL, &fm, &err), 0, "%s", err.msg);
    cr_assert_eq(flow_table_apply(e.ft, &fm, 0), 1);
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 99);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 443), 10);
    /* a clause flow turned ordinary by a modify is a result again */
    cr_assert_eq(flow_parse("priority=100,tcp,tp_dst=443,actions=output:4",
                            FLOW_CMD_MODIFY_STRICT, NULL, &fm, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(flow_table_apply(e.ft, &fm, 0), 1);
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 443), 14);
    dp_env_fini(&e);
}

/* A publish shares the table's clause flows unless a list of identical
 * matches holding one changed: an ordinary flow beside them costs them
 * nothing; one behind a clause flow (what a failed clause uncovers) or
 * its removal gathers them again. */
Test(dp_conj, clause_flows_shared_until_their_lists_change)
{
    struct dp_cls_stats s0, s1, s2, s3;
    struct flow_mod fm;
    struct flow_error err;
    struct dp_env e;

    snic_role_enter(&snic_control);
    dp_env_init(&e, 0, firewall);
    dp_cls_get_stats(dp_classifier(e.dp), &s0);
    /* the mask of the nw_src clauses, another source: a group of its own */
    dp_env_add(&e, "cookie=20,priority=100,ip,nw_src=10.0.0.3,"
               "actions=output:5");
    cr_assert_eq(dp_commit(e.dp), 0);
    dp_cls_get_stats(dp_classifier(e.dp), &s1);
    cr_expect_eq(s1.conj_gathered, s0.conj_gathered,
                 "an ordinary flow in a group of its own gathered the "
                 "clause flows again");
    cr_assert_eq(chosen4(&e, 1, 3, 5, 22), 20);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 10);
    /* behind clause flow 11 (same match, lower priority) */
    dp_env_add(&e, "cookie=21,priority=90,ip,nw_src=10.0.0.1,"
               "actions=output:6");
    cr_assert_eq(dp_commit(e.dp), 0);
    dp_cls_get_stats(dp_classifier(e.dp), &s2);
    cr_expect_eq(s2.conj_gathered, s1.conj_gathered + 1);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 10);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 22), 21, "the failed clause "
                 "uncovers the flow behind it");
    cr_assert_eq(flow_parse("priority=100,ip,nw_src=10.0.0.1",
                            FLOW_CMD_DELETE_STRICT, NULL, &fm, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(flow_table_apply(e.ft, &fm, 0), 1);
    cr_assert_eq(dp_commit(e.dp), 0);
    dp_cls_get_stats(dp_classifier(e.dp), &s3);
    cr_expect_eq(s3.conj_gathered, s2.conj_gathered + 1);
    cr_assert_eq(chosen4(&e, 1, 1, 5, 80), 21, "clause 1/2 for 10.0.0.1 "
                 "is gone");
    cr_assert_eq(chosen4(&e, 1, 2, 5, 80), 10);
    dp_env_fini(&e);
}

/* ---- random flow sets over a small space of packets ---- */

static unsigned
rnd(unsigned *seed, unsigned n)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 8) % n;
}

static const uint16_t ports[] = { 22, 80, 443 };

static void
rnd_match(unsigned *seed, char *buf, size_t size)
{
    switch (rnd(seed, 5)) {
    case 0:
        snprintf(buf, size, "in_port=%u", 1 + rnd(seed, 3));
        break;
    case 1:
        snprintf(buf, size, "ip,nw_src=10.0.0.%u", 1 + rnd(seed, 3));
        break;
    case 2:
        snprintf(buf, size, "ip,nw_dst=10.0.0.%u", 1 + rnd(seed, 3));
        break;
    case 3:
        snprintf(buf, size, "tcp,tp_dst=%u", ports[rnd(seed, 3)]);
        break;
    default:
        snprintf(buf, size, "ip");
        break;
    }
}

static void
rnd_line(unsigned *seed, unsigned cookie, char *line, size_t size)
{
    unsigned prio = 100 * (1 + rnd(seed, 4));
    char m[64];
    int n;

    rnd_match(seed, m, sizeof(m));
    n = snprintf(line, size, "cookie=%u,priority=%u,", cookie, prio);
    switch (rnd(seed, 4)) {
    case 0:
        snprintf(line + n, size - (size_t)n, "%s,actions=output:%u", m,
                 1 + rnd(seed, 4));
        break;
    case 1:
        snprintf(line + n, size - (size_t)n, "conj_id=%u,actions=output:%u",
                 1 + rnd(seed, 3), 1 + rnd(seed, 4));
        break;
    default: {
        unsigned nc = 2 + rnd(seed, 2);
        unsigned id = 1 + rnd(seed, 3);

        n += snprintf(line + n, size - (size_t)n,
                      "%s,actions=conjunction(%u,%u/%u)", m, id,
                      1 + rnd(seed, nc), nc);
        if (rnd(seed, 4) == 0)
            snprintf(line + n, size - (size_t)n, ",conjunction(%u,%u/%u)",
                     1 + rnd(seed, 3), 1 + rnd(seed, 2), 2);
        break;
    }
    }
}

Test(dp_conj, differential_random_sets, .timeout = 120)
{
    for (unsigned s = 1; s <= 150; s++) {
        unsigned seed = s;
        struct dp_env e;
        unsigned n = 4 + rnd(&seed, 24);

    snic_role_enter(&snic_control);
        dp_env_init(&e, 0, NULL);
        for (unsigned round = 0; round < 2; round++) {
            for (unsigned i = 0; i < n; i++) {
                char line[160];

                rnd_line(&seed, 1000 * round + i + 1, line, sizeof(line));
                dp_env_add(&e, line);
            }
            cr_assert_eq(dp_commit(e.dp), 0);
            for (unsigned in = 1; in <= 3; in++)
                for (unsigned src = 1; src <= 3; src++)
                    for (unsigned dst = 1; dst <= 3; dst++)
                        for (unsigned p = 0; p < 3; p++)
                            chosen4(&e, in, src, dst, ports[p]);
        }
        dp_env_fini(&e);
    }
    cr_assert_gt(n_conj_results, 100, "only %u conjunctive results",
                 n_conj_results);
}
