/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier against flow_table_lookup(), the linear reference, on
 * random flow sets and keys; and under concurrent publishing.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <pthread.h>
#include <time.h>

#include "dp_test_flows.h"
#include "snic_clock.h"
#include "snic_tsa.h"

/* ThreadSanitizer (scripts/test --tsan) runs this CPU-bound comparison
 * ten times slower or more, on a loaded machine minutes rather than
 * seconds */
#ifdef SNIC_TSAN_BUILD
#define DIFF_TIMEOUT_S  600
#else
#define DIFF_TIMEOUT_S  60
#endif

#define N_TABLES    3u

struct world {
    struct flow_table *ft;
    struct dp *dp;
    struct dp_worker *w;
    uint64_t ids[4096];             /* flows added, some deleted since */
    struct flow flows[4096];
    size_t n;
};

static void
world_init(struct world *wd)
{
    snic_role_enter(&snic_control);
    memset(wd, 0, sizeof(*wd));
    wd->dp = dp_create(NULL, NULL);
    cr_assert_not_null(wd->dp);
    wd->ft = flow_table_create(dp_flow_table_listener, wd->dp);
    cr_assert_not_null(wd->ft);
    wd->w = dp_worker_create(wd->dp);
    cr_assert_not_null(wd->w);
}

static void
world_fini(struct world *wd)
{
    snic_role_enter(&snic_control);
    dp_worker_destroy(wd->w);
    flow_table_destroy(wd->ft);     /* reports REMOVED to the dp: fine */
    dp_destroy(wd->dp);
}

static void
add_random(struct world *wd, unsigned *seed, size_t n)
{
    for (size_t i = 0; i < n && wd->n < 4096; i++) {
        struct flow_mod fm;
        int rc;

        t_random_add(seed, t_rand(seed, N_TABLES), N_TABLES, &fm);
        rc = flow_table_apply(wd->ft, &fm, 0);
        cr_assert_eq(rc, 1, "add: %d", rc);
        wd->flows[wd->n++] = fm.flow;
    }
}

/* Delete (strict) or modify roughly a third of the flows added so far. */
static void
churn(struct world *wd, unsigned *seed)
{
    for (size_t i = 0; i < wd->n; i++) {
        struct flow_mod fm;
        unsigned r = t_rand(seed, 6);

        if (r > 1)
            continue;
        memset(&fm, 0, sizeof(fm));
        fm.cmd = r == 0 ? FLOW_CMD_DELETE_STRICT : FLOW_CMD_MODIFY_STRICT;
        fm.out_port = FLOW_PORT_ANY;
        fm.flow = wd->flows[i];
        if (r == 1) {
            fm.flow.n_actions = 1;
            fm.flow.actions[0].type = FLOW_ACT_OUTPUT;
            fm.flow.actions[0].u.port = 99;
        }
        cr_assert_geq(flow_table_apply(wd->ft, &fm, 0), 0);
    }
}

static void
compare_all(struct world *wd, unsigned seed, unsigned round, size_t n_keys)
{
    unsigned kseed = seed * 31 + round;
    const struct dp_cls_snap *snap;

    dp_worker_online(wd->w);
    snap = dp_cls_snap_get(dp_classifier(wd->dp));
    for (size_t i = 0; i < n_keys; i++) {
        struct flow_key key;

        t_random_key(&kseed, &key);
        for (unsigned t = 0; t < N_TABLES; t++) {
            const struct flow_entry *want = flow_table_lookup(wd->ft, t, &key);
            const struct dp_rule *got = dp_cls_lookup(snap, t, &key);
            /* twice through the EMC: a miss, then a hit */
            const struct dp_rule *emc1 = dp_worker_classify(wd->w, t, &key);
            const struct dp_rule *emc2 = dp_worker_classify(wd->w, t, &key);
            uint64_t want_id = want ? want->id : 0;

            cr_assert_eq(got ? got->id : 0, want_id,
                         "seed %u round %u key %zu table %u: classifier chose "
                         "flow %llu, reference %llu", seed, round, i, t,
                         (unsigned long long)(got ? got->id : 0),
                         (unsigned long long)want_id);
            cr_assert_eq(emc1, got, "seed %u: EMC path differs", seed);
            cr_assert_eq(emc2, got, "seed %u: EMC hit differs", seed);
            if (want != NULL) {
                cr_assert_eq(got->n_actions, want->flow.n_actions);
                cr_assert_eq(memcmp(got->actions, want->flow.actions,
                                    got->n_actions * sizeof(got->actions[0])),
                             0, "seed %u: stale actions", seed);
            }
        }
    }
    /* the burst lookup agrees with the single one, for burst sizes from
     * 1 to DP_BURST_MAX, and a little beyond (done in parts) */
    kseed = seed * 31 + round;
    for (size_t done = 0, size = 1; done < n_keys;
         done += size, size = size % (DP_BURST_MAX + 3) + 1) {
        struct flow_key keys[DP_BURST_MAX + 3];
        const struct dp_rule *rules[DP_BURST_MAX + 3];
        size_t n = size < n_keys - done ? size : n_keys - done;

        for (size_t i = 0; i < n; i++)
            t_random_key(&kseed, &keys[i]);
        for (unsigned t = 0; t < N_TABLES; t++) {
            dp_cls_lookup_burst(snap, t, keys, (unsigned)n, rules);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(rules[i], dp_cls_lookup(snap, t, &keys[i]),
                             "seed %u round %u: burst of %zu, key %zu, "
                             "table %u differs", seed, round, n, i, t);
        }
    }
    dp_worker_quiesce(wd->w);
    dp_worker_offline(wd->w);
}

Test(dp_classifier, differential_random_flow_sets,
     .timeout = DIFF_TIMEOUT_S)
{
    static const unsigned seeds[] = { 1, 7, 42, 1234, 99991 };

    snic_role_enter(&snic_control);
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        unsigned seed = seeds[s];
        struct world wd;

        world_init(&wd);
        for (unsigned round = 0; round < 4; round++) {
            add_random(&wd, &seed, round == 0 ? 300 : 60);
            if (round > 0)
                churn(&wd, &seed);
            cr_assert_eq(dp_commit(wd.dp), 0);
            cr_assert_eq(dp_cls_count(dp_classifier(wd.dp)),
                         flow_table_count(wd.ft, FLOW_TABLE_ALL),
                         "seed %u round %u", seeds[s], round);
            compare_all(&wd, seeds[s], round, 2000);
        }
        cr_log_info("seed %u: %zu flows, %zu subtables", seeds[s],
                    flow_table_count(wd.ft, FLOW_TABLE_ALL),
                    dp_cls_n_subtables(dp_classifier(wd.dp)));
        world_fini(&wd);
    }
}

/* A delete of a whole table (or of every table) reaches the classifier
 * as one clear (dp_cls_clear: its wsubs dropped whole), sometimes with
 * flows added to the same table before the publish: the lookups still
 * agree with the reference, and the published snapshot forgets the
 * table. */
Test(dp_classifier, differential_with_whole_tables_deleted,
     .timeout = DIFF_TIMEOUT_S)
{
    static const unsigned seeds[] = { 3, 11, 2024 };

    snic_role_enter(&snic_control);
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        unsigned seed = seeds[s];
        struct world wd;

        world_init(&wd);
        for (unsigned round = 0; round < 6; round++) {
            struct flow_mod fm;
            unsigned which = t_rand(&seed, N_TABLES + 1);

            add_random(&wd, &seed, 200);
            if (round % 2 == 1)
                churn(&wd, &seed);
            cr_assert_eq(dp_commit(wd.dp), 0);
            compare_all(&wd, seeds[s], round, 500);
            memset(&fm, 0, sizeof(fm));
            fm.cmd = FLOW_CMD_DELETE;
            fm.out_port = FLOW_PORT_ANY;
            fm.flow.table_id = which == N_TABLES ? FLOW_TABLE_ALL
                                                 : (uint8_t)which;
            cr_assert_geq(flow_table_apply(wd.ft, &fm, 0), 0);
            if (round % 3 == 2)     /* into the emptied table, same batch */
                add_random(&wd, &seed, 40);
            cr_assert_eq(dp_commit(wd.dp), 0);
            cr_assert_eq(dp_cls_count(dp_classifier(wd.dp)),
                         flow_table_count(wd.ft, FLOW_TABLE_ALL),
                         "seed %u round %u", seeds[s], round);
            if (which == N_TABLES && round % 3 != 2)
                cr_assert_eq(dp_cls_n_subtables(dp_classifier(wd.dp)), 0);
            compare_all(&wd, seeds[s], round + 100, 500);
        }
        world_fini(&wd);
    }
}

Test(dp_classifier, ties_go_to_the_oldest_id)
{
    struct world wd;
    struct flow_mod fm;
    struct flow_key key;
    const struct dp_rule *r;

    snic_role_enter(&snic_control);
    world_init(&wd);
    memset(&fm, 0, sizeof(fm));
    fm.cmd = FLOW_CMD_ADD;
    fm.out_port = FLOW_PORT_ANY;
    fm.flow.priority = 5;
    /* id 1: in_port=1 ; id 2: catch-all, same priority, a separate mask */
    fm.flow.match.mask.in_port = 0xffffffffu;
    fm.flow.match.value.in_port = 1;
    cr_assert_eq(flow_table_apply(wd.ft, &fm, 0), 1);
    memset(&fm.flow.match, 0, sizeof(fm.flow.match));
    cr_assert_eq(flow_table_apply(wd.ft, &fm, 0), 1);
    cr_assert_eq(dp_commit(wd.dp), 0);
    memset(&key, 0, sizeof(key));
    key.in_port = 1;
    r = dp_cls_lookup(dp_cls_snap_get(dp_classifier(wd.dp)), 0, &key);
    cr_assert_not_null(r);
    cr_expect_eq(r->id, 1);
    key.in_port = 2;
    r = dp_cls_lookup(dp_cls_snap_get(dp_classifier(wd.dp)), 0, &key);
    cr_expect_eq(r->id, 2);
    world_fini(&wd);
}

Test(dp_classifier, unchanged_subtables_are_shared)
{
    struct world wd;
    unsigned seed = 5;

    snic_role_enter(&snic_control);
    world_init(&wd);
    add_random(&wd, &seed, 200);
    cr_assert_eq(dp_commit(wd.dp), 0);
    /* no change: no new snapshot */
    {
        const struct dp_cls_snap *a = dp_cls_snap_get(dp_classifier(wd.dp));

        cr_assert_eq(dp_commit(wd.dp), 0);
        cr_expect_eq(dp_cls_snap_get(dp_classifier(wd.dp)), a);
    }
    churn(&wd, &seed);
    cr_assert_eq(dp_commit(wd.dp), 0);
    compare_all(&wd, 5, 9, 500);
    world_fini(&wd);
}

/* ---- concurrency: one publisher, two readers ---- */

#define C_FLOWS     64u
#define C_CATCHALL  1000u

static bool c_stop;
static struct dp *c_dp;
static struct dp_worker *c_workers[2];
static unsigned long c_checked;

static bool
c_present(unsigned i, uint64_t version)
{
    return (i * 7 + version) % 3 != 0;
}

static void
c_flow(unsigned i, uint64_t version, struct flow *f)
{
    memset(f, 0, sizeof(*f));
    f->priority = 100;
    f->match.mask.dl_type = 0xffff;
    f->match.value.dl_type = htons(0x0800);
    f->match.mask.nw_src = 0xffffffffu;
    f->match.value.nw_src = htonl(0x0a000000u + i);
    f->n_actions = 2;
    f->actions[0].type = FLOW_ACT_OUTPUT;
    f->actions[0].u.port = 1000 + i;
    f->actions[1].type = FLOW_ACT_OUTPUT;
    f->actions[1].u.port = (uint32_t)version;     /* when it was written */
}

static void
c_check(const struct dp_rule *r, unsigned i, uint64_t v_lo, uint64_t v_hi)
{
    bool ok = false;

    cr_assert_not_null(r, "the catch-all is always there");
    if (r->id == C_CATCHALL) {
        for (uint64_t v = v_lo; v <= v_hi && !ok; v++)
            ok = !c_present(i, v);
        cr_assert(ok, "flow %u should have matched in [%llu,%llu]", i,
                  (unsigned long long)v_lo, (unsigned long long)v_hi);
        return;
    }
    cr_assert_eq(r->id, i + 1);
    for (uint64_t v = v_lo; v <= v_hi && !ok; v++)
        ok = c_present(i, v);
    cr_assert(ok, "flow %u absent in [%llu,%llu]", i,
              (unsigned long long)v_lo, (unsigned long long)v_hi);
    /* the rule's contents are intact, and from no later than its snapshot */
    cr_assert_eq(r->n_actions, 2);
    cr_assert_eq(r->actions[0].u.port, 1000 + i);
    cr_assert_leq(r->actions[1].u.port, v_hi);
}

static void
c_sink(void *ctx, const struct dp_output *out)
{
    (void)ctx;
    (void)out;
}

static void *
c_reader(void *arg)
{
    struct dp_worker *w = arg;
    const struct dp_cls *cls = dp_classifier(c_dp);
    unsigned seed = (unsigned)(uintptr_t)arg;
    uint8_t frame[128];
    struct t_pkt tp;
    unsigned long n = 0;

    dp_worker_online(w);
    while (!__atomic_load_n(&c_stop, __ATOMIC_SEQ_CST)) {
        for (int b = 0; b < 16; b++) {
            const struct dp_cls_snap *snap = dp_cls_snap_get(cls);
            uint64_t v = dp_cls_snap_version(snap), v2;
            unsigned i = t_rand(&seed, C_FLOWS);
            struct flow_key key;
            const struct dp_rule *r, *e;
            size_t len;

            memset(&key, 0, sizeof(key));
            key.dl_type = htons(0x0800);
            key.nw_src = htonl(0x0a000000u + i);
            r = dp_cls_lookup(snap, 0, &key);
            c_check(r, i, v, v);
            e = dp_worker_classify(w, 0, &key);
            v2 = dp_cls_snap_version(dp_cls_snap_get(cls));
            c_check(e, i, v, v2);

            len = t_frame_ip4(frame, -1, 17, 1, 2, 0);
            memcpy(frame + 26, &key.nw_src, 4);
            t_pkt_load(&tp, frame, len);
            dp_worker_process(w, &tp.buf, 5, c_sink, NULL);
            n++;
        }
        dp_worker_quiesce(w);
    }
    dp_worker_offline(w);
    __atomic_fetch_add(&c_checked, n, __ATOMIC_SEQ_CST);
    return NULL;
}

Test(dp_classifier, concurrent_publish_and_lookup, .timeout = 30)
{
    pthread_t th[2];
    struct flow f;
    uint64_t version = 1, start = snic_now_ns();
    unsigned long publishes = 0;

    snic_role_enter(&snic_control);
    c_dp = dp_create(NULL, NULL);
    cr_assert_not_null(c_dp);
    memset(&f, 0, sizeof(f));
    f.priority = 1;
    f.n_actions = 1;
    f.actions[0].type = FLOW_ACT_OUTPUT;
    f.actions[0].u.port = 1;
    cr_assert_eq(dp_flow_put(c_dp, C_CATCHALL, &f), 0);
    for (unsigned i = 0; i < C_FLOWS; i++)
        if (c_present(i, 2)) {
            c_flow(i, 2, &f);
            cr_assert_eq(dp_flow_put(c_dp, i + 1, &f), 0);
        }
    cr_assert_eq(dp_commit(c_dp), 0);
    version = 2;
    for (int i = 0; i < 2; i++) {
        c_workers[i] = dp_worker_create(c_dp);
        cr_assert_not_null(c_workers[i]);
    }
    __atomic_store_n(&c_stop, false, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, c_reader, c_workers[i]), 0);

    while (snic_now_ns() - start < 1500000000ull) {
        version++;
        for (unsigned i = 0; i < C_FLOWS; i++) {
            bool was = c_present(i, version - 1), is = c_present(i, version);

            if (is) {
                /* new flows, and a third of the others modified */
                if (!was || i % 3 == version % 3) {
                    c_flow(i, version, &f);
                    cr_assert_eq(dp_flow_put(c_dp, i + 1, &f), 0);
                }
            } else if (was) {
                cr_assert_eq(dp_flow_del(c_dp, i + 1), 0);
            }
        }
        cr_assert_eq(dp_commit(c_dp), 0);
        cr_assert_eq(dp_cls_snap_version(dp_cls_snap_get(
                         dp_classifier(c_dp))), version);
        publishes++;
        if (publishes % 64 == 0)
            sched_yield();
    }
    __atomic_store_n(&c_stop, true, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    cr_log_info("%lu publishes, %lu reader checks", publishes,
                __atomic_load_n(&c_checked, __ATOMIC_SEQ_CST));
    cr_expect_gt(publishes, 100);
    cr_expect_gt(__atomic_load_n(&c_checked, __ATOMIC_SEQ_CST), 1000);
    for (int i = 0; i < 2; i++)
        dp_worker_destroy(c_workers[i]);
    dp_destroy(c_dp);
}

/* ---- publishing costs what changed (dp_cls_wsub.h) ---- */

static void
exact_flow(uint32_t i, uint16_t prio, uint32_t port, struct flow *f)
{
    memset(f, 0, sizeof(*f));
    f->priority = prio;
    f->match.mask.in_port = UINT32_MAX;
    f->match.value.in_port = 1;
    f->match.mask.dl_type = 0xffff;
    f->match.value.dl_type = htons(0x0800);
    f->match.mask.nw_dst = UINT32_MAX;
    f->match.value.nw_dst = htonl(0x0a000000u + i);
    f->n_actions = 1;
    f->actions[0].type = FLOW_ACT_OUTPUT;
    f->actions[0].u.port = port;
}

static const struct dp_rule *
lookup_dst(struct dp *dp, uint32_t i)
{
    struct flow_key key;

    memset(&key, 0, sizeof(key));
    key.in_port = 1;
    key.dl_type = htons(0x0800);
    key.nw_dst = htonl(0x0a000000u + i);
    return dp_cls_lookup(dp_cls_snap_get(dp_classifier(dp)), 0, &key);
}

/* Commit, then the flow a packet to 10.0.0.@i finds. */
static const struct dp_rule *
committed_best(struct dp *dp, uint32_t i)
{
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_commit(dp), 0);
    return lookup_dst(dp, i);
}

static void
put_exact(struct dp *dp, uint64_t id, uint32_t i, uint16_t prio,
          uint32_t port)
{
    struct flow f;

    snic_role_enter(&snic_control);
    exact_flow(i, prio, port, &f);
    cr_assert_eq(dp_flow_put(dp, id, &f), 0);
}

#define COST_FLOWS  20000u

Test(dp_classifier, publish_cost_follows_the_changes)
{
    struct dp *dp = dp_create(NULL, NULL);
    struct dp_cls_stats s0, s1;
    const struct dp_rule *r;

    snic_role_enter(&snic_control);
    cr_assert_not_null(dp);
    for (uint32_t i = 0; i < COST_FLOWS; i++) {
        put_exact(dp, i + 1, i, 100, 2);
        if ((i + 1) % 1000 == 0)
            cr_assert_eq(dp_commit(dp), 0);
    }
    /* two more publishes: both copies sized for the table */
    for (uint32_t i = 0; i < 2; i++) {
        put_exact(dp, 50000 + i, COST_FLOWS + 1000 + i, 100, 2);
        cr_assert_eq(dp_commit(dp), 0);
    }
    dp_cls_get_stats(dp_classifier(dp), &s0);
    for (uint32_t k = 0; k < 100; k++) {
        put_exact(dp, 100000 + k, COST_FLOWS + k, 100, 2);  /* add */
        cr_assert_eq(dp_flow_del(dp, k + 1), 0);            /* delete */
        put_exact(dp, 10001, 10000, 100, 3 + k);            /* modify */
        cr_assert_eq(dp_commit(dp), 0);
        r = lookup_dst(dp, COST_FLOWS + k);
        cr_assert(r != NULL && r->id == 100000 + k, "round %u: new flow", k);
        cr_assert_null(lookup_dst(dp, k), "round %u: deleted flow", k);
        r = lookup_dst(dp, k + 1);
        cr_assert(r != NULL && r->id == k + 2, "round %u: neighbour", k);
        r = lookup_dst(dp, 10000);
        cr_assert(r != NULL && r->id == 10001
                  && r->actions[0].u.port == 3 + k, "round %u: modify", k);
    }
    dp_cls_get_stats(dp_classifier(dp), &s1);
    /* one subtable of 20,000 flows, changed 100 times: never rebuilt,
     * each time its spare redid three groups */
    cr_expect_eq(s1.copies_built, s0.copies_built,
                 "%llu copies of a 20,000-flow subtable were built for "
                 "100 batches of 3 changes",
                 (unsigned long long)(s1.copies_built - s0.copies_built));
    cr_expect_eq(s1.copies_synced, s0.copies_synced + 100);
    cr_expect_eq(dp_cls_count(dp_classifier(dp)), COST_FLOWS + 2);
    dp_destroy(dp);
}

/* dp_cls_get_mem() counts what the flows hold: a rule each (whole cache
 * lines), the writer's records, and the slots of both copies of a
 * subtable once two publishes have made a spare; nothing once the flows
 * are gone and their subtable is swept. */
Test(dp_classifier, memory_is_counted_by_structure)
{
    struct dp *dp = dp_create(NULL, NULL);
    struct dp_cls_mem m1, m2, m0;

    snic_role_enter(&snic_control);
    cr_assert_not_null(dp);
    for (uint32_t i = 0; i < 1000; i++)
        put_exact(dp, i + 1, i, 100, 2);
    cr_assert_eq(dp_commit(dp), 0);
    put_exact(dp, 5000, 5000, 100, 2);
    cr_assert_eq(dp_commit(dp), 0);
    cr_assert_eq(dp_flow_del(dp, 5000), 0);
    cr_assert_eq(dp_commit(dp), 0);
    dp_cls_get_mem(dp_classifier(dp), &m1);
    cr_expect_eq(m1.flows, 1000);
    cr_expect(m1.rule_bytes >= 1000 * 64 && m1.rule_bytes % 64 == 0,
              "rule bytes %zu for 1000 rules", m1.rule_bytes);
    cr_expect_geq(m1.wflow_bytes, 1000 * 2 * sizeof(void *));
    /* in_port, dl_type and nw_dst take at least one word; a slot has a
     * tag, a rule and the words, at half load at most */
    cr_expect_geq(m1.pub_bytes, 2000 * 3 * sizeof(uint64_t));
    cr_expect_geq(m1.spare_bytes, 2000 * 3 * sizeof(uint64_t));
    cr_expect_gt(m1.index_bytes, 1000 * sizeof(void *));

    for (uint32_t i = 1000; i < 2000; i++)
        put_exact(dp, i + 1, i, 100, 2);
    cr_assert_eq(dp_commit(dp), 0);
    dp_cls_get_mem(dp_classifier(dp), &m2);
    cr_expect_eq(m2.flows, 2000);
    cr_expect_eq(m2.rule_bytes, 2 * m1.rule_bytes);
    cr_expect_eq(m2.wflow_bytes, 2 * m1.wflow_bytes);

    for (uint32_t i = 0; i < 2000; i++)
        cr_assert_eq(dp_flow_del(dp, i + 1), 0);
    cr_assert_eq(dp_commit(dp), 0);
    dp_cls_get_mem(dp_classifier(dp), &m0);
    cr_expect_eq(m0.flows, 0);
    cr_expect_eq(m0.rule_bytes, 0);
    cr_expect_eq(m0.wflow_bytes, 0);
    cr_expect_eq(m0.pub_bytes, 0);
    cr_expect_eq(m0.spare_bytes, 0);
    dp_destroy(dp);
}

/* The same match at several priorities: the slot holds the best, and
 * the next takes over when it goes, in the spare as in a new copy. */
Test(dp_classifier, identical_matches_hand_over)
{
    struct dp *dp = dp_create(NULL, NULL);
    struct dp_cls_stats s0, s1;
    const struct dp_rule *r;
    const uint32_t x = 777;

    snic_role_enter(&snic_control);
    cr_assert_not_null(dp);
    for (uint32_t i = 0; i < 3000; i++)
        put_exact(dp, i + 1, i == x ? 5000 : i, 100, 2);
    cr_assert_eq(dp_commit(dp), 0);
    for (uint32_t i = 0; i < 3; i++) {      /* both copies in use */
        put_exact(dp, 9000 + i, 6000 + i, 100, 2);
        cr_assert_eq(dp_commit(dp), 0);
    }
    dp_cls_get_stats(dp_classifier(dp), &s0);
    put_exact(dp, 20001, x, 10, 11);
    put_exact(dp, 20002, x, 30, 12);
    put_exact(dp, 20003, x, 20, 13);
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 20002, "best of three");
    cr_assert_eq(dp_flow_del(dp, 20002), 0);
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 20003, "the next best takes over");
    put_exact(dp, 20004, x, 40, 14);
    put_exact(dp, 20003, x, 20, 15);        /* modify, behind the best */
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 20004, "a new best");
    cr_assert_eq(dp_flow_del(dp, 20004), 0);
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 20003 && r->actions[0].u.port == 15,
              "the modified one, with its new actions");
    cr_assert_eq(dp_flow_del(dp, 20003), 0);
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 20001, "the last one");
    cr_assert_eq(dp_flow_del(dp, 20001), 0);
    cr_assert_eq(dp_commit(dp), 0);
    cr_assert_null(lookup_dst(dp, x), "none left");
    /* tie at one priority: the oldest id wins, whatever the order */
    put_exact(dp, 20010, x, 50, 16);
    put_exact(dp, 20005, x, 50, 17);
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 20005, "oldest of a tie");
    dp_cls_get_stats(dp_classifier(dp), &s1);
    cr_expect_eq(s1.copies_built, s0.copies_built);
    cr_expect_eq(s1.copies_synced, s0.copies_synced + 7);
    for (uint32_t i = 0; i < 3000; i++) {
        r = lookup_dst(dp, i == x ? 5000 : i);
        cr_assert(r != NULL && r->id == i + 1, "filler %u", i);
    }
    dp_destroy(dp);
}

/* A modify of a flow's actions alone (the same match and priority) puts
 * the new rule in the old one's place among the flows of its group: the
 * best of them, or one behind it; a new priority moves it. */
Test(dp_classifier, new_actions_take_the_old_rules_place)
{
    struct dp *dp = dp_create(NULL, NULL);
    const struct dp_rule *r;
    const uint32_t x = 42;

    snic_role_enter(&snic_control);
    cr_assert_not_null(dp);
    put_exact(dp, 1, x, 30, 2);
    put_exact(dp, 2, x, 20, 3);
    put_exact(dp, 3, x, 10, 4);
    cr_assert_eq(dp_commit(dp), 0);
    put_exact(dp, 1, x, 30, 5);             /* the best, new actions */
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 1 && r->actions[0].u.port == 5,
              "the best with its new actions");
    put_exact(dp, 2, x, 20, 6);             /* behind it */
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 1 && r->actions[0].u.port == 5,
              "still the best");
    cr_assert_eq(dp_flow_del(dp, 1), 0);
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 2 && r->actions[0].u.port == 6,
              "the one behind, with its new actions");
    put_exact(dp, 3, x, 25, 7);             /* a new priority: moves */
    r = committed_best(dp, x);
    cr_assert(r != NULL && r->id == 3 && r->actions[0].u.port == 7,
              "moved ahead by its priority");
    cr_assert_eq(dp_flow_del(dp, 3), 0);
    cr_assert_eq(dp_flow_del(dp, 2), 0);
    cr_assert_eq(dp_commit(dp), 0);
    cr_assert_null(lookup_dst(dp, x), "none left");
    cr_expect_eq(dp_cls_count(dp_classifier(dp)), 0);
    dp_destroy(dp);
}

/* A reader that holds a snapshot sees it unchanged while the writer
 * publishes on: the spare it holds is never written; the writer builds
 * a copy instead. */
Test(dp_classifier, held_snapshot_never_changes, .timeout = DIFF_TIMEOUT_S)
{
    enum { KEYS = 400 };
    static const struct dp_rule *seen[KEYS][N_TABLES];
    static uint64_t seen_id[KEYS][N_TABLES];
    static uint32_t seen_port[KEYS][N_TABLES];
    struct dp_cls_stats s0, s1;
    const struct dp_cls_snap *held;
    struct world wd;
    unsigned seed = 11, kseed;

    snic_role_enter(&snic_control);
    world_init(&wd);
    add_random(&wd, &seed, 300);
    cr_assert_eq(dp_commit(wd.dp), 0);
    churn(&wd, &seed);
    cr_assert_eq(dp_commit(wd.dp), 0);
    dp_worker_online(wd.w);
    held = dp_cls_snap_get(dp_classifier(wd.dp));
    kseed = 3;
    for (size_t i = 0; i < KEYS; i++) {
        struct flow_key key;

        t_random_key(&kseed, &key);
        for (unsigned t = 0; t < N_TABLES; t++) {
            const struct dp_rule *r = dp_cls_lookup(held, t, &key);

            seen[i][t] = r;
            seen_id[i][t] = r ? r->id : 0;
            seen_port[i][t] = r && r->n_actions ? r->actions[0].u.port : 0;
        }
    }
    dp_cls_get_stats(dp_classifier(wd.dp), &s0);
    for (unsigned round = 0; round < 3; round++) {
        churn(&wd, &seed);
        add_random(&wd, &seed, 60);
        cr_assert_eq(dp_commit(wd.dp), 0);
    }
    dp_cls_get_stats(dp_classifier(wd.dp), &s1);
    cr_expect_gt(s1.copies_built, s0.copies_built,
                 "a held spare was not replaced by a new copy");
    kseed = 3;
    for (size_t i = 0; i < KEYS; i++) {
        struct flow_key key;

        t_random_key(&kseed, &key);
        for (unsigned t = 0; t < N_TABLES; t++) {
            const struct dp_rule *r = dp_cls_lookup(held, t, &key);

            cr_assert_eq(r, seen[i][t], "key %zu table %u: a held snapshot "
                         "answers differently", i, t);
            cr_assert_eq(r ? r->id : 0, seen_id[i][t]);
            cr_assert_eq(r && r->n_actions ? r->actions[0].u.port : 0,
                         seen_port[i][t]);
        }
    }
    dp_worker_quiesce(wd.w);
    dp_worker_offline(wd.w);
    /* and the writer's own view is right */
    compare_all(&wd, 11, 7, 1000);
    for (unsigned round = 0; round < 3; round++) {
        churn(&wd, &seed);
        cr_assert_eq(dp_commit(wd.dp), 0);
        compare_all(&wd, 11, 8 + round, 500);
    }
    world_fini(&wd);
}
