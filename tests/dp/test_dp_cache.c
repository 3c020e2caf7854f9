/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' exact-match cache (docs/datapath.md, "Fast paths"): it
 * keys on what the table's masks look at, so packets the table cannot
 * tell apart share an entry, and a flow change that widens or narrows
 * that key never lets an entry answer for another table; a publisher
 * racing two workers whose cache serves every lookup; the cache where it
 * pays, by its measured hit rate and by what this worker's lookups cost.
 * (test_dp_fastpath.c compares whole datapaths with and without it.)
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <pthread.h>
#include <string.h>

#include "dp_test_flows.h"
#include "snic_clock.h"

static void
act_output(struct flow *f, uint32_t port)
{
    f->actions[f->n_actions].type = FLOW_ACT_OUTPUT;
    f->actions[f->n_actions++].u.port = port;
}

/* A UDP frame 10.0.0.1:@sport -> @dst:@dport into @f; its length. */
static size_t
udp_to(uint8_t *f, uint32_t dst, uint16_t sport, uint16_t dport)
{
    size_t n = t_frame_ip4(f, -1, 17, sport, dport, 10);

    memcpy(f + 14 + 16, &dst, 4);
    t_ipv4_fix(f + 14);
    return n;
}

struct out_count {
    unsigned to[8];
};

static void
count_output(void *ctx, const struct dp_output *o)
{
    struct out_count *c = ctx;

    if (o->port < 8)
        c->to[o->port]++;
}

static void
one_udp(struct dp_worker *w, uint32_t dst, uint16_t sport,
        struct out_count *c)
{
    uint8_t f[128];
    size_t n = udp_to(f, dst, sport, 80);
    struct t_pkt tp;

    t_pkt_load(&tp, f, n);
    dp_worker_process(w, &tp.buf, 3, count_output, c);
}

/* ---- what the cache keys on ---- */

static void
put_udp_flow(struct dp *dp, uint64_t id, uint16_t prio, uint32_t port,
             uint32_t dst24, int tp_src)
{
    struct flow f;

    snic_role_enter(&snic_control);
    memset(&f, 0, sizeof(f));
    flow_match_init_catchall(&f.match);
    f.match.mask.dl_type = 0xffff;
    f.match.value.dl_type = htons(0x0800);
    f.match.mask.nw_proto = 0xff;
    f.match.value.nw_proto = 17;
    if (dst24 != 0) {
        f.match.mask.nw_dst = t_prefix32(24);
        f.match.value.nw_dst = dst24;
    }
    if (tp_src >= 0) {
        f.match.mask.tp_src = 0xffff;
        f.match.value.tp_src = htons((uint16_t)tp_src);
    }
    f.priority = prio;
    act_output(&f, port);
    cr_assert_eq(dp_flow_put(dp, id, &f), 0);
}

/* 1,000 packets from 1,000 source ports, one at a time; the outputs
 * counted by port, and to @hot_port for source port @hot. */
static void
sources(struct dp_worker *w, struct out_count *c, uint16_t hot,
        unsigned *hot_port)
{
    for (unsigned i = 0; i < 1000; i++) {
        struct out_count one = { { 0 } };

        one_udp(w, htonl(0x0a000002u), (uint16_t)(1000 + i), &one);
        for (unsigned p = 0; p < 8; p++) {
            c->to[p] += one.to[p];
            if (1000 + i == hot && one.to[p] != 0)
                *hot_port = p;
        }
    }
}

/* A cache key holds 12 words of the packet's 13 (DP_CACHE_KEY_WORDS): a
 * table whose flows look at all 13 goes without a cache, and still
 * answers right; narrowed again, it gets its cache back. */
Test(dp_cache, a_table_too_wide_for_a_cache_key_goes_without, .timeout = 60)
{
    snic_role_enter(&snic_control);
    struct dp *dp = dp_create(NULL, NULL);
    struct dp_worker *w = dp_worker_create(dp);
    struct out_count c = { { 0 } };
    unsigned hot_port = 0;
    struct flow f;

    cr_assert(dp && w);
    put_udp_flow(dp, 1, 10, 2, 0, -1);
    /* every packet word in the mask (pads aside), matching no packet */
    memset(&f, 0, sizeof(f));
    memset(&f.match.mask, 0xff, FLOW_KEY_PKT_SIZE);
    flow_match_normalise(&f.match);
    f.match.value.dl_type = htons(0x0800);
    f.match.value.tun_id = htobe64(7);
    f.priority = 20;
    act_output(&f, 3);
    cr_assert_eq(dp_flow_put(dp, 2, &f), 0);
    cr_assert_eq(dp_commit(dp), 0);
    dp_worker_set_paths(w, DP_PATHS_EMC);
    dp_worker_online(w);
    sources(w, &c, 1500, &hot_port);
    cr_assert_eq(c.to[2], 1000);
    cr_assert_eq(dp_worker_stats(w)->emc_hits, 0,
                 "%llu hits: a cache keyed on 12 of 13 words",
                 (unsigned long long)dp_worker_stats(w)->emc_hits);

    cr_assert_eq(dp_flow_del(dp, 2), 0);
    dp_worker_quiesce(w);
    cr_assert_eq(dp_commit(dp), 0);
    memset(&c, 0, sizeof(c));
    sources(w, &c, 1500, &hot_port);
    cr_assert_eq(c.to[2], 1000);
    cr_assert_eq(dp_worker_stats(w)->emc_hits, 999);
    dp_worker_offline(w);
    dp_worker_destroy(w);
    dp_destroy(dp);
}

Test(dp_cache, keys_on_what_the_table_looks_at, .timeout = 60)
{
    snic_role_enter(&snic_control);
    struct dp *dp = dp_create(NULL, NULL);
    struct dp_worker *w = dp_worker_create(dp);
    struct out_count c = { { 0 } };
    unsigned hot_port = 0;
    uint64_t hits;

    cr_assert(dp && w);
    /* two masks, neither looks at the source port */
    put_udp_flow(dp, 1, 10, 2, htonl(0x0a000000u), -1);
    put_udp_flow(dp, 2, 5, 3, 0, -1);
    cr_assert_eq(dp_commit(dp), 0);
    dp_worker_set_paths(w, DP_PATHS_EMC);
    dp_worker_online(w);

    /* packets that differ only where no flow looks share one entry */
    sources(w, &c, 1500, &hot_port);
    cr_assert_eq(c.to[2], 1000);
    cr_assert_eq(dp_worker_stats(w)->emc_hits, 999,
                 "%llu hits: the cache keyed on more than the masks",
                 (unsigned long long)dp_worker_stats(w)->emc_hits);

    /* a flow on the source port widens the key: its packet takes it,
     * never the entry the others share, nor one of the last table */
    put_udp_flow(dp, 3, 20, 4, 0, 1500);
    dp_worker_quiesce(w);
    cr_assert_eq(dp_commit(dp), 0);
    for (unsigned pass = 0; pass < 2; pass++) {
        memset(&c, 0, sizeof(c));
        hits = dp_worker_stats(w)->emc_hits;
        sources(w, &c, 1500, &hot_port);
        cr_assert_eq(c.to[2], 999, "pass %u", pass);
        cr_assert_eq(c.to[4], 1, "pass %u", pass);
        cr_assert_eq(hot_port, 4, "pass %u", pass);
        /* each source port its own entry now: filled, then hit (but
         * for the few that two-way sets could not keep) */
        hits = dp_worker_stats(w)->emc_hits - hits;
        if (pass == 0)
            cr_assert_eq(hits, 0);
        else
            cr_assert_gt(hits, 900, "%llu hits", (unsigned long long)hits);
    }

    /* and narrows again */
    cr_assert_eq(dp_flow_del(dp, 3), 0);
    dp_worker_quiesce(w);
    cr_assert_eq(dp_commit(dp), 0);
    memset(&c, 0, sizeof(c));
    hits = dp_worker_stats(w)->emc_hits;
    sources(w, &c, 1500, &hot_port);
    cr_assert_eq(c.to[2], 1000);
    cr_assert_eq(hot_port, 2);
    cr_assert_eq(dp_worker_stats(w)->emc_hits - hits, 999);

    /* a flow that outranks the others for one /24 */
    put_udp_flow(dp, 4, 30, 5, htonl(0x0a000000u), -1);
    dp_worker_quiesce(w);
    cr_assert_eq(dp_commit(dp), 0);
    memset(&c, 0, sizeof(c));
    sources(w, &c, 1500, &hot_port);
    cr_assert_eq(c.to[5], 1000, "an entry of an older table answered");
    dp_worker_offline(w);
    dp_worker_destroy(w);
    dp_destroy(dp);
}

/* ---- a publisher racing workers whose cache serves every lookup ---- */

#define R_PORT      5u
#define R_SPAN      64u     /* output ports tell the versions apart */
#define R_FLOWS     8u      /* packet flows: destination ports 1000.. */

static struct dp *r_dp;
static bool r_stop, r_has2;
static unsigned long r_bad, r_packets;

struct r_reader {
    struct dp_worker *w;
    unsigned n;
    uint32_t port[32];
};

static void
r_output(void *ctx, const struct dp_output *o)
{
    struct r_reader *r = ctx;

    if (o->pkt < 32)
        r->port[o->pkt] = o->port;
    r->n++;
}

/* Where version @v of the table sends a packet to destination port
 * @dport: every version has the /24 flow, the even ones a flow above it
 * for one of the destination ports, another each time. */
static uint32_t
r_expected(uint64_t v, uint16_t dport)
{
    if (v % 2 == 0 && dport == 1000 + (v / 2) % R_FLOWS)
        return 100 + (uint32_t)(v % R_SPAN);
    return 10 + (uint32_t)(v % R_SPAN);
}

static bool
r_outputs_ok(const struct r_reader *r, uint64_t lo, uint64_t hi)
{
    if (r->n != 32)
        return false;
    if (hi - lo >= 2 * R_SPAN)
        return true;            /* every port is possible */
    for (unsigned i = 0; i < 32; i++) {
        bool ok = false;

        for (uint64_t v = lo; v <= hi && !ok; v++)
            ok = r->port[i] == r_expected(v, (uint16_t)(1000 + i % R_FLOWS));
        if (!ok)
            return false;
    }
    return true;
}

static void *
r_run(void *arg)
{
    struct r_reader *r = arg;
    const struct dp_cls *cls = dp_classifier(r_dp);
    uint8_t frames[R_FLOWS][128];
    size_t len[R_FLOWS];
    unsigned long packets = 0;

    for (unsigned i = 0; i < R_FLOWS; i++)
        len[i] = udp_to(frames[i], htonl(0x0a000002u), 7,
                        (uint16_t)(1000 + i));
    dp_worker_set_paths(r->w, DP_PATHS_EMC);
    dp_worker_online(r->w);
    while (!__atomic_load_n(&r_stop, __ATOMIC_ACQUIRE)) {
        struct t_pkt tp[32];
        struct dp_buf bufs[32];
        uint64_t lo, hi;

        for (unsigned i = 0; i < 32; i++) {
            t_pkt_load(&tp[i], frames[i % R_FLOWS], len[i % R_FLOWS]);
            bufs[i] = tp[i].buf;
        }
        lo = dp_cls_snap_version(dp_cls_snap_get(cls));
        r->n = 0;
        dp_worker_process_burst(r->w, bufs, 32, R_PORT, r_output, r);
        hi = dp_cls_snap_version(dp_cls_snap_get(cls));
        if (!r_outputs_ok(r, lo, hi))
            __atomic_fetch_add(&r_bad, 1, __ATOMIC_RELAXED);
        packets += 32;
        dp_worker_quiesce(r->w);
    }
    dp_worker_offline(r->w);
    __atomic_fetch_add(&r_packets, packets, __ATOMIC_RELAXED);
    return NULL;
}

/* Version @v of the table: its /24 flow, and on even versions the flow
 * on one destination port (which widens the cache's key). */
static void
r_publish(uint64_t v)
{
    struct flow f;

    snic_role_enter(&snic_control);
    memset(&f, 0, sizeof(f));
    flow_match_init_catchall(&f.match);
    f.match.mask.in_port = UINT32_MAX;
    f.match.value.in_port = R_PORT;
    f.match.mask.dl_type = 0xffff;
    f.match.value.dl_type = htons(0x0800);
    f.match.mask.nw_dst = t_prefix32(24);
    f.match.value.nw_dst = htonl(0x0a000000u);
    f.priority = 10;
    act_output(&f, 10 + (uint32_t)(v % R_SPAN));
    cr_assert_eq(dp_flow_put(r_dp, 1, &f), 0);
    if (v % 2 == 0) {
        memset(&f, 0, sizeof(f));
        flow_match_init_catchall(&f.match);
        f.match.mask.dl_type = 0xffff;
        f.match.value.dl_type = htons(0x0800);
        f.match.mask.nw_proto = 0xff;
        f.match.value.nw_proto = 17;
        f.match.mask.tp_dst = 0xffff;
        f.match.value.tp_dst = htons((uint16_t)(1000 + (v / 2) % R_FLOWS));
        f.priority = 20;
        act_output(&f, 100 + (uint32_t)(v % R_SPAN));
        cr_assert_eq(dp_flow_put(r_dp, 2, &f), 0);
        r_has2 = true;
    } else if (r_has2) {
        cr_assert_eq(dp_flow_del(r_dp, 2), 0);
        r_has2 = false;
    }
    cr_assert_eq(dp_commit(r_dp), 0);
    cr_assert_eq(dp_cls_snap_version(dp_cls_snap_get(dp_classifier(r_dp))),
                 v);
    dp_poll(r_dp);
}

Test(dp_cache, publisher_races_cached_workers, .timeout = 60)
{
    struct r_reader readers[2];
    pthread_t th[2];
    uint64_t v, start, hits = 0;
    unsigned long publishes = 0;

    snic_role_enter(&snic_control);
    r_dp = dp_create(NULL, NULL);
    cr_assert_not_null(r_dp);
    r_has2 = false;
    v = dp_cls_snap_version(dp_cls_snap_get(dp_classifier(r_dp))) + 1;
    r_publish(v);
    __atomic_store_n(&r_stop, false, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++) {
        readers[i].w = dp_worker_create(r_dp);
        cr_assert_not_null(readers[i].w);
        cr_assert_eq(pthread_create(&th[i], NULL, r_run, &readers[i]), 0);
    }
    start = snic_now_ns();
    while (snic_now_ns() - start < 1000000000ull) {
        r_publish(++v);
        publishes++;
    }
    __atomic_store_n(&r_stop, true, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        hits += dp_worker_stats(readers[i].w)->emc_hits;
    }
    cr_log_info("%lu publishes, %lu packets, %llu cache hits", publishes,
                __atomic_load_n(&r_packets, __ATOMIC_RELAXED),
                (unsigned long long)hits);
    cr_expect_gt(publishes, 50);
    cr_expect_gt(hits, 0, "the cache was never used");
    cr_expect_eq(__atomic_load_n(&r_bad, __ATOMIC_RELAXED), 0,
                 "outputs from no version a burst could have seen");
    for (int i = 0; i < 2; i++)
        dp_worker_destroy(readers[i].w);
    dp_destroy(r_dp);
}

/* ---- the cache by its measured hit rate ---- */

/* A table where the cache pays by its shape: ten masks at one priority,
 * every lookup probes them all. The cache keys on the widest prefix, a
 * /17 of the destination. */
static void
many_masks(struct dp *dp)
{
    struct flow f;

    snic_role_enter(&snic_control);
    for (unsigned m = 0; m < 10; m++) {
        memset(&f, 0, sizeof(f));
        flow_match_init_catchall(&f.match);
        f.match.mask.dl_type = 0xffff;
        f.match.value.dl_type = htons(0x0800);
        f.match.mask.nw_dst = t_prefix32(8 + m);
        f.match.value.nw_dst = htonl(0xc0000000u) & f.match.mask.nw_dst;
        f.priority = 10;
        act_output(&f, 2);
        cr_assert_eq(dp_flow_put(dp, 1 + m, &f), 0);
    }
    cr_assert_eq(dp_commit(dp), 0);
}

/* The destination of packet flow @i: each in a /17 of its own. */
static uint32_t
flow_dst(unsigned i)
{
    return htonl(0x0a000002u + (i << 15));
}

Test(dp_cache, rests_while_it_misses, .timeout = 60)
{
    snic_role_enter(&snic_control);
    struct dp *dp = dp_create(NULL, NULL);
    struct dp_worker *w = dp_worker_create(dp), *w2 = dp_worker_create(dp);
    struct out_count c = { { 0 } };
    uint64_t hits;

    cr_assert(dp && w && w2);
    many_masks(dp);
    dp_worker_online(w);
    /* traffic that never repeats: the cache earns nothing and rests */
    for (unsigned i = 0; i < 5000; i++)
        one_udp(w, flow_dst(i), 7, &c);
    cr_assert_eq(dp_worker_stats(w)->emc_hits, 0);
    /* so a packet that now repeats is looked up without it for a while */
    for (unsigned i = 0; i < 1000; i++)
        one_udp(w, flow_dst(0), 7, &c);
    cr_assert_eq(dp_worker_stats(w)->emc_hits, 0,
                 "the cache was probed while resting");
    /* and it is tried again: then it hits */
    for (unsigned i = 0; i < 70000; i++)
        one_udp(w, flow_dst(0), 7, &c);
    hits = dp_worker_stats(w)->emc_hits;
    cr_assert_gt(hits, 1000, "the cache never came back (%llu hits)",
                 (unsigned long long)hits);
    dp_worker_offline(w);

    /* traffic that repeats keeps it all along */
    dp_worker_online(w2);
    for (unsigned i = 0; i < 10000; i++)
        one_udp(w2, flow_dst(i % 8), (uint16_t)(1000 + i), &c);
    cr_assert_eq(dp_worker_stats(w2)->emc_hits, 10000 - 8);
    dp_worker_offline(w2);
    dp_worker_destroy(w);
    dp_worker_destroy(w2);
    dp_destroy(dp);
}

Test(dp_cache, rests_longer_while_it_keeps_missing, .timeout = 60)
{
    snic_role_enter(&snic_control);
    struct dp *dp = dp_create(NULL, NULL);
    struct dp_worker *w = dp_worker_create(dp);
    struct out_count c = { { 0 } };
    unsigned i = 0;

    cr_assert(dp && w);
    many_masks(dp);
    dp_worker_online(w);
    /* traffic that never repeats, through a window, a rest, a window
     * and a rest twice as long */
    for (; i < 4096 + 65536 + 4096; i++)
        one_udp(w, flow_dst(i), 7, &c);
    /* a packet that repeats from now on finds the cache resting for the
     * second rest, longer than the first */
    for (unsigned k = 0; k < 65536 + 4096; k++)
        one_udp(w, flow_dst(i), 7, &c);
    cr_assert_eq(dp_worker_stats(w)->emc_hits, 0,
                 "the second rest was no longer than the first");
    for (unsigned k = 0; k < 65536 + 4096; k++)
        one_udp(w, flow_dst(i), 7, &c);
    cr_assert_gt(dp_worker_stats(w)->emc_hits, 1000,
                 "the cache never came back");
    dp_worker_offline(w);
    dp_worker_destroy(w);
    dp_destroy(dp);
}

/* ---- the cache by what this worker's lookups cost ---- */

/* A table whose shape says the cache does not pay: a hit in its first
 * subtable (UDP to 10.0.0.0/24, destination port 0x1000/0xf000, the only
 * one at its priority) ends the lookup there. Traffic that misses it falls
 * through three more subtables to the catch-all. */
static void
falls_through(struct dp *dp)
{
    struct flow f;
    uint64_t id = 1;

    snic_role_enter(&snic_control);
    memset(&f, 0, sizeof(f));
    flow_match_init_catchall(&f.match);
    f.match.mask.dl_type = 0xffff;
    f.match.value.dl_type = htons(0x0800);
    f.match.mask.nw_proto = 0xff;
    f.match.mask.nw_dst = htonl(0xffffff00u);
    f.match.value.nw_dst = htonl(0x0a000000u);
    act_output(&f, 2);

    f.priority = 500;
    f.match.value.nw_proto = 17;
    f.match.mask.tp_dst = htons(0xf000);
    f.match.value.tp_dst = htons(0x1000);
    cr_assert_eq(dp_flow_put(dp, id++, &f), 0);
    f.priority = 400;
    f.match.value.nw_proto = 6;
    f.match.mask.tp_dst = 0xffff;
    f.match.value.tp_dst = htons(80);
    cr_assert_eq(dp_flow_put(dp, id++, &f), 0);
    f.priority = 300;
    f.match.mask.nw_proto = 0;
    f.match.value.nw_proto = 0;
    f.match.mask.tp_dst = 0;
    f.match.value.tp_dst = 0;
    f.match.value.nw_dst = htonl(0x0a090000u);
    cr_assert_eq(dp_flow_put(dp, id++, &f), 0);
    f.priority = 200;
    f.match.mask.nw_dst = 0;
    f.match.value.nw_dst = 0;
    f.match.mask.nw_src = htonl(0xffff0000u);
    f.match.value.nw_src = htonl(0xc0a80000u);
    cr_assert_eq(dp_flow_put(dp, id++, &f), 0);
    memset(&f, 0, sizeof(f));
    flow_match_init_catchall(&f.match);
    act_output(&f, 3);
    cr_assert_eq(dp_flow_put(dp, id++, &f), 0);
    cr_assert_eq(dp_commit(dp), 0);
}

/* @n_bursts bursts of 32 UDP packets to 10.0.0.2, to 8 destination ports
 * from @dport on (8 packet flows the table tells apart), through @w; the
 * outputs counted into @c. */
static void
udp_bursts(struct dp_worker *w, uint16_t dport, unsigned n_bursts,
           struct out_count *c)
{
    uint8_t frames[32][128];
    struct dp_buf bufs[32];
    size_t lens[32];

    for (unsigned b = 0; b < n_bursts; b++) {
        for (unsigned i = 0; i < 32; i++) {
            lens[i] = t_frame_ip4(frames[i], -1, 17, 1000,
                                  (uint16_t)(dport + i % 8), 10);
            bufs[i] = (struct dp_buf){ .data = frames[i], .len = lens[i] };
        }
        dp_worker_process_burst(w, bufs, 32, 1, count_output, c);
        dp_worker_quiesce(w);
    }
}

Test(dp_cache, where_this_traffic_makes_lookups_dear, .timeout = 60)
{
    snic_role_enter(&snic_control);
    struct dp *dp = dp_create(NULL, NULL);
    struct dp_worker *w = dp_worker_create(dp), *w2 = dp_worker_create(dp);
    struct out_count c = { { 0 } };

    cr_assert(dp && w && w2);
    falls_through(dp);
    /* traffic that falls through every subtable: after one window of
     * lookups without the cache, the worker weighs them dear and the
     * repeating packets hit the cache */
    dp_worker_online(w);
    udp_bursts(w, 80, 400, &c);
    cr_assert_eq(c.to[3], 400 * 32, "every packet to the catch-all's port");
    cr_assert_gt(dp_worker_stats(w)->emc_hits, 400 * 32 / 2,
                 "the cache was not used (%llu hits)",
                 (unsigned long long)dp_worker_stats(w)->emc_hits);
    dp_worker_offline(w);

    /* traffic the first subtable answers: a lookup that ends there costs
     * no more than a cache lookup (the words of the cache's key), no
     * cache */
    memset(&c, 0, sizeof(c));
    dp_worker_online(w2);
    udp_bursts(w2, 0x1234, 400, &c);
    cr_assert_eq(c.to[2], 400 * 32, "every packet to the first flow's port");
    cr_assert_eq(dp_worker_stats(w2)->emc_hits, 0,
                 "the cache was used where a lookup costs less");
    dp_worker_offline(w2);
    dp_worker_destroy(w);
    dp_worker_destroy(w2);
    dp_destroy(dp);
}
