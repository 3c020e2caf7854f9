/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conjunctions as one rule per combination (snicd_conj.c): the conditions
 * case by case (each refusal's reason), the intersections, the limit, a
 * change re-deriving, then random tables against the reference classifier
 * (flow_table_lookup): for every packet of a small space, the flow that
 * comes first among the ordinary flows, the combinations (losing ties)
 * and the clause flows of refused conjunctions (software flows, which
 * send the packet to software) must be what the reference answers, a
 * combination standing for its conj_id flow.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "snic/flow.h"
#include "snicd_conj.h"

#include "xlate_test_ports.h"

#define MAX_FLOWS   64u

static struct flow flows[MAX_FLOWS];
static struct snicd_conj_in in[MAX_FLOWS];
static size_t n_in;
static struct snicd_conj *cv;
static size_t n_cv;

static void
reset(void)
{
    snicd_conj_free(cv, n_cv);
    cv = NULL;
    n_cv = 0;
    n_in = 0;
}

TestSuite(conj, .init = xlate_test_ports_init, .fini = reset);

/* Flow @id (its classifier tie-break) from @line. */
static void
add(uint64_t id, const char *line)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_lt(n_in, MAX_FLOWS);
    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, &pmap, &fm, &err), 0,
                 "parse '%s': %s", line, err.msg);
    flows[n_in] = fm.flow;
    in[n_in].id = id;
    in[n_in].flow = &flows[n_in];
    n_in++;
}

static void
derive(void)
{
    snicd_conj_free(cv, n_cv);
    cr_assert_eq(snicd_conj_derive(in, n_in, &cv, &n_cv), 0);
}

static const struct snicd_conj *
conj_at(uint32_t id)
{
    for (size_t i = 0; i < n_cv; i++)
        if (cv[i].id == id)
            return &cv[i];
    cr_assert_fail("no conjunction %u", id);
    return NULL;
}

static void
expect_refused(uint32_t id, const char *words)
{
    const struct snicd_conj *c = conj_at(id);

    cr_assert(!c->ok, "conjunction %u offloaded", id);
    cr_expect(strstr(c->reason, words) != NULL,
              "conjunction %u: reason '%s' lacks '%s'", id, c->reason,
              words);
    cr_expect_eq(c->n_rules, 0);
}

/* The firewall's shape: 2 x 2 clauses, one conj_id flow. */
static void
two_by_two(void)
{
    add(1, "priority=70,ip,nw_src=10.0.0.1 actions=conjunction(7,1/2)");
    add(2, "priority=70,ip,nw_src=10.0.0.2 actions=conjunction(7,1/2)");
    add(3, "priority=70,tcp,tp_dst=80 actions=conjunction(7,2/2)");
    add(4, "priority=70,tcp,tp_dst=443 actions=conjunction(7,2/2)");
    add(5, "priority=70,conj_id=7,in_port=vf0 actions=output:vf1");
    add(6, "priority=10 actions=drop");
}

Test(conj, one_rule_per_combination)
{
    const struct snicd_conj *c;

    two_by_two();
    derive();
    cr_assert_eq(n_cv, 1);
    c = conj_at(7);
    cr_assert(c->ok, "refused: %s", c->reason);
    cr_expect_eq(c->conj_flow, 5);
    cr_expect_eq(c->n_clauses, 4);
    cr_expect_eq(c->n_combos, 4);
    cr_assert_eq(c->n_rules, 4);
    for (unsigned r = 0; r < 4; r++) {
        const struct flow *f = &c->rules[r];

        cr_expect_eq(f->priority, 70);
        cr_expect_eq(f->match.mask.meta.conj_id, 0, "conj_id left in");
        cr_expect_eq(f->match.mask.in_port, UINT32_MAX, "in_port lost");
        cr_expect_eq(f->match.value.in_port, 2);
        cr_expect_eq(f->match.mask.nw_src, UINT32_MAX);
        cr_expect_eq(f->match.value.nw_src, htonl(0x0a000001u + (r & 1)));
        cr_expect_eq(f->match.value.nw_proto, 6);
        cr_expect_eq(ntohs(f->match.value.tp_dst), r < 2 ? 80 : 443);
        cr_expect_eq(f->n_actions, 1);
        cr_expect_eq(f->actions[0].type, FLOW_ACT_OUTPUT);
        cr_expect_eq(f->actions[0].u.port, 3);
    }
}

Test(conj, empty_intersections_are_skipped)
{
    const struct snicd_conj *c;

    add(1, "priority=50,ip,nw_src=10.0.0.1 actions=conjunction(3,1/2)");
    add(2, "priority=50,ipv6 actions=conjunction(3,1/2)");
    add(3, "priority=50,tcp,tp_dst=80 actions=conjunction(3,2/2)");
    add(4, "priority=50,conj_id=3 actions=output:vf1");
    derive();
    c = conj_at(3);
    cr_assert(c->ok, "refused: %s", c->reason);
    cr_expect_eq(c->n_combos, 2);
    /* ipv6 and tcp (IPv4) overlap: tcp,tp_dst=80 says dl_type 0x800 */
    cr_assert_eq(c->n_rules, 1);
    cr_expect_eq(c->rules[0].match.value.nw_src, htonl(0x0a000001u));
}

Test(conj, limit_names_the_product)
{
    char line[128];
    uint64_t id = 1;

    for (unsigned d = 1; d <= 3; d++)
        for (unsigned i = 0; i < 5; i++) {
            snprintf(line, sizeof(line), "priority=5,%s=%u "
                     "actions=conjunction(9,%u/3)",
                     d == 1 ? "reg0" : d == 2 ? "reg1" : "reg2", i, d);
            add(id++, line);
        }
    add(id, "priority=5,conj_id=9 actions=output:vf1");
    derive();
    expect_refused(9, "125 combinations, more than the limit of 64");
    cr_expect_eq(conj_at(9)->n_clauses, 15);
}

Test(conj, clauses_at_two_priorities)
{
    add(1, "priority=70,ip,nw_src=10.0.0.1 actions=conjunction(7,1/2)");
    add(2, "priority=60,tcp,tp_dst=80 actions=conjunction(7,2/2)");
    add(3, "priority=70,conj_id=7 actions=output:vf1");
    derive();
    expect_refused(7, "clause flows at priorities 70 and 60");
}

Test(conj, clause_in_two_conjunctions)
{
    add(1, "priority=70,ip,nw_src=10.0.0.1 "
           "actions=conjunction(7,1/2),conjunction(8,1/2)");
    add(2, "priority=70,tcp,tp_dst=80 actions=conjunction(7,2/2)");
    add(3, "priority=70,udp,tp_dst=53 actions=conjunction(8,2/2)");
    add(4, "priority=70,conj_id=7 actions=output:vf1");
    add(5, "priority=70,conj_id=8 actions=output:vf2");
    derive();
    expect_refused(7, "clause flow 1 is in 2 conjunctions");
    expect_refused(8, "clause flow 1 is in 2 conjunctions");
}

Test(conj, missing_clause_and_target)
{
    add(1, "priority=70,ip,nw_src=10.0.0.1 actions=conjunction(7,1/3)");
    add(2, "priority=70,tcp,tp_dst=80 actions=conjunction(7,2/3)");
    add(3, "priority=70,conj_id=7 actions=output:vf1");
    add(4, "priority=80,ip,nw_src=10.0.0.9 actions=conjunction(8,1/2)");
    add(5, "priority=80,tcp,tp_dst=443 actions=conjunction(8,2/2)");
    add(6, "priority=80,conj_id=8 actions=output:vf1");
    add(7, "priority=10,ip,nw_src=10.0.0.9 actions=drop");
    derive();
    expect_refused(7, "clause 3/3 has no flow");
    /* identical matches at different priorities form one list */
    expect_refused(8, "clause flow 4 shares its match with flow 7");
}

Test(conj, no_or_two_conj_id_flows)
{
    add(1, "priority=70,ip,nw_src=10.0.0.1 actions=conjunction(7,1/2)");
    add(2, "priority=70,tcp,tp_dst=80 actions=conjunction(7,2/2)");
    derive();
    expect_refused(7, "no conj_id=7 flow");
    add(3, "priority=70,conj_id=7 actions=output:vf1");
    add(4, "priority=60,conj_id=7,in_port=vf0 actions=output:vf2");
    derive();
    expect_refused(7, "2 conj_id=7 flows");
}

Test(conj, another_conjunction_at_the_same_priority)
{
    two_by_two();
    add(7, "priority=70,tcp,tp_src=1000 actions=conjunction(9,1/2)");
    add(8, "priority=70,udp actions=conjunction(9,2/2)");
    add(9, "priority=70,conj_id=9 actions=output:vf2");
    derive();
    expect_refused(7, "clause flow 7 of another conjunction at priority "
                      "70 overlaps");
    /* 9's clauses 7 and 8 never meet: it has no combination at all, but
     * 7's clause 3 (tcp,tp_dst=80) overlaps tcp,tp_src=1000 */
    cr_expect(!conj_at(9)->ok || conj_at(9)->n_rules == 0);
}

Test(conj, an_ordinary_flow_that_beats_the_conj_id_flow)
{
    add(1, "priority=70,ip,nw_src=10.0.0.1 actions=conjunction(7,1/2)");
    add(2, "priority=70,tcp,tp_dst=80 actions=conjunction(7,2/2)");
    add(3, "priority=20,conj_id=7 actions=output:vf1");
    add(4, "priority=30,ip,nw_dst=10.0.0.9 actions=output:vf2");
    derive();
    expect_refused(7, "flow 4 (priority 30) overlaps a combination and "
                      "beats the conj_id flow (priority 20)");
    /* below the conj_id flow, or apart from every combination: fine */
    n_in--;
    add(4, "priority=10,ip,nw_dst=10.0.0.9 actions=output:vf2");
    add(5, "priority=30,ipv6 actions=output:vf2");
    derive();
    cr_expect(conj_at(7)->ok, "refused: %s", conj_at(7)->reason);
}

Test(conj, a_change_derives_again)
{
    two_by_two();
    derive();
    cr_assert_eq(conj_at(7)->n_rules, 4);
    /* a third source: 6 combinations */
    add(7, "priority=70,ip,nw_src=10.0.0.3 actions=conjunction(7,1/2)");
    derive();
    cr_assert_eq(conj_at(7)->n_rules, 6);
    /* the conj_id flow's new actions reach every rule */
    flows[4].actions[0].u.port = 4;
    derive();
    for (unsigned r = 0; r < conj_at(7)->n_rules; r++)
        cr_expect_eq(conj_at(7)->rules[r].actions[0].u.port, 4);
    /* a clause moved to another priority: software */
    flows[0].priority = 71;
    derive();
    expect_refused(7, "priorities");
}

/* ---- random tables against the reference ---- */

static const char *const dim_match[3][3] = {
    { "ip,nw_src=10.0.0.1", "ip,nw_src=10.0.0.2", "ip,nw_src=10.0.0.0/31" },
    { "ip,nw_dst=10.0.0.1", "tcp,nw_dst=10.0.0.2", "ip" },
    { "tcp,tp_dst=80", "tcp,tp_dst=81", "tcp" },
};
static const char *const plain_match[] = {
    "ip", "tcp", "in_port=vf0", "ip,nw_src=10.0.0.1", "tcp,tp_dst=80",
    "ip,nw_dst=10.0.0.2", "in_port=vf1,tcp", "",
};

static struct flow_key
key_of(unsigned bits)
{
    struct flow_key k;

    memset(&k, 0, sizeof(k));
    k.in_port = bits & 1 ? 2 : 3;
    k.dl_type = htons(0x0800);
    k.nw_proto = bits & 2 ? 6 : 17;
    k.nw_ttl = 64;
    k.nw_src = htonl(0x0a000000u | ((bits >> 2) & 3));
    k.nw_dst = htonl(0x0a000000u | ((bits >> 4) & 3));
    k.tp_src = htons(1000);
    k.tp_dst = htons(bits & 64 ? 80 : 81);
    return k;
}

static bool
key_matches(const struct flow_match *m, const struct flow_key *k)
{
    return flow_match_key(m, k);
}

struct cand {
    uint16_t priority;
    uint64_t order;     /* tie-break: combinations after every flow */
    uint64_t answer;    /* the flow software must give, 0: software */
};

static unsigned n_checked_combo, n_ok;

static void
random_round(unsigned seed, struct flow_table *ft)
{
    char line[200];
    uint64_t ids[MAX_FLOWS];
    unsigned n_lines = 0;

    srand(seed);
    n_in = 0;
    for (unsigned c = 1; c <= 2; c++) {
        unsigned nd = 2 + (unsigned)rand() % 2;
        unsigned prio = 20 + 10 * ((unsigned)rand() % 3);

        for (unsigned d = 0; d < nd; d++)
            for (unsigned j = 0; j < 3; j++) {
                if (rand() % 2 && j > 0)
                    continue;
                /* the second one's clauses on in_port=vf0 only: most
                 * matches then differ between the two */
                snprintf(line, sizeof(line), "table=0,priority=%u,%s%s "
                         "actions=conjunction(%u,%u/%u)",
                         rand() % 16 == 0 ? prio + 10 : prio,
                         dim_match[d][(j + c) % 3],
                         c == 2 ? ",in_port=vf0" : "", c, d + 1, nd);
                add(0, line);
            }
        snprintf(line, sizeof(line), "table=0,priority=%u,conj_id=%u%s "
                 "actions=output:%u", rand() % 4 == 0 ? 15u : prio, c,
                 rand() % 3 == 0 ? ",in_port=vf0" : "", 2 + c);
        add(0, line);
    }
    for (unsigned i = 0; i < 4; i++) {
        const char *m = plain_match[(unsigned)rand() % 8];

        snprintf(line, sizeof(line), "table=0,priority=%u%s%s "
                 "actions=output:%u", 10 + 10 * ((unsigned)rand() % 4),
                 *m ? "," : "", m, 5 + i);
        add(0, line);
    }
    /* into the reference table, which gives the ids (duplicates of a
     * match and priority replace: keep only what the table kept) */
    for (size_t i = 0; i < n_in; i++) {
        struct flow_mod fm = { 0 };

        fm.cmd = FLOW_CMD_ADD;
        fm.out_port = FLOW_PORT_ANY;
        fm.flow = flows[i];
        cr_assert_geq(flow_table_apply(ft, &fm, 0), 0);
        n_lines++;
    }
    (void)ids;
    (void)n_lines;
}

static int
collect(void *ctx, const struct flow_entry *e)
{
    (void)ctx;
    cr_assert_lt(n_in, MAX_FLOWS);
    flow_entry_flow(e, &flows[n_in]);
    in[n_in].id = e->id;
    in[n_in].flow = &flows[n_in];
    n_in++;
    return 0;
}

static void
check_space(struct flow_table *ft)
{
    for (unsigned bits = 0; bits < 128; bits++) {
        struct flow_key k = key_of(bits);
        const struct flow_entry *want = flow_table_lookup(ft, 0, &k);
        struct cand best = { 0 };
        bool have = false;

        for (size_t i = 0; i < n_in; i++) {
            const struct flow *f = in[i].flow;
            struct cand c = { f->priority, in[i].id, in[i].id };
            bool refused_clause = false;

            if (snicd_conj_is_target(f))
                continue;           /* matches no packet of its own */
            if (flow_is_conjunction(f)) {
                for (size_t j = 0; j < n_cv; j++)
                    for (uint32_t q = 0; q < cv[j].n_clauses; q++)
                        refused_clause |= !cv[j].ok
                                          && cv[j].clauses[q] == in[i].id;
                if (!refused_clause)
                    continue;       /* its combinations stand for it */
                c.answer = 0;       /* software: the reference anyway */
            }
            if (!key_matches(&f->match, &k))
                continue;
            if (!have || c.priority > best.priority
                || (c.priority == best.priority && c.order < best.order)) {
                best = c;
                have = true;
            }
        }
        for (size_t j = 0; j < n_cv; j++)
            for (uint32_t r = 0; r < cv[j].n_rules; r++) {
                struct cand c = { cv[j].rules[r].priority,
                                  UINT64_MAX - 1 - j, cv[j].conj_flow };

                if (!key_matches(&cv[j].rules[r].match, &k))
                    continue;
                if (!have || c.priority > best.priority
                    || (c.priority == best.priority && c.order < best.order)) {
                    best = c;
                    have = true;
                }
            }
        if (have && best.answer == 0)
            continue;               /* a software flow takes it there */
        if (have && best.order >= UINT64_MAX - 64)
            n_checked_combo++;
        cr_assert_eq(want ? want->id : 0, have ? best.answer : 0,
                     "packet %u: reference flow %llu, offloaded model "
                     "%llu", bits,
                     (unsigned long long)(want ? want->id : 0),
                     (unsigned long long)(have ? best.answer : 0));
    }
}

Test(conj, random_tables_agree_with_the_reference, .timeout = 60)
{
    for (unsigned seed = 1; seed <= 400; seed++) {
        struct flow_table *ft = flow_table_create(NULL, NULL);

        cr_assert_not_null(ft);
        random_round(seed, ft);
        n_in = 0;
        cr_assert_eq(flow_table_walk(ft, 0, collect, NULL), 0);
        derive();
        for (size_t j = 0; j < n_cv; j++) {
            n_ok += cv[j].ok;
            if (getenv("CONJ_DEBUG") && !cv[j].ok)
                fprintf(stderr, "%s\n", cv[j].reason);
        }
        check_space(ft);
        flow_table_destroy(ft);
    }
    /* the random sets must reach offloaded conjunctions and packets */
    cr_expect_gt(n_ok, 50, "only %u conjunctions offloaded", n_ok);
    cr_expect_gt(n_checked_combo, 500, "only %u packets through a "
                 "combination", n_checked_combo);
}
