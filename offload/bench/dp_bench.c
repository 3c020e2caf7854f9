/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software datapath micro-benchmark (not a test): classifier lookups per
 * second and whole-pipeline packets per second (extract + classify +
 * actions) with 1, 1,000 and 100,000 flows, with traffic that hits the
 * exact-match cache and traffic that always misses it. Median of 5 runs,
 * one thread.
 *
 * Flows: "udp,in_port=1,nw_dst=10.X.Y.Z,tp_dst=P actions=output:2" at
 * priority 100 (one subtable), plus a low-priority catch-all drop and a
 * handful of decoy masks at lower priorities, as a real table has.
 * EMC-hit traffic cycles over 256 distinct packets; EMC-miss traffic over
 * 65,536 packets that differ in their UDP source port (which no flow
 * matches, so they hit the same flows but never the same cache entry).
 *
 * DP_BENCH_SHAPE=port|exact-default|exact|mix runs the rule-set matrix
 * instead (issue 15; docs/datapath.md): bursts of 32 over 1, 1,000 and
 * 100,000 distinct packets (DP_BENCH_PFLOWS picks one) through
 *   port           in_port=1 -> output:2, nothing else
 *   exact-default  1,000 exact 5-tuple flows, a priority-0 output:2
 *   exact          one exact 5-tuple flow per packet flow, a catch-all drop
 *   mix            /24 destination prefixes, UDP port ranges, /16 sources
 *                  over a default, at four priorities
 *   mac            in_port=1 and a destination MAC, a drop below
 *   masks          ten destination prefixes (/8 to /17) at one priority:
 *                  every lookup probes ten subtables (the cache pays)
 *   acl            scripts/bench-ovs-compare's "mix", rule for rule and
 *                  with its packet flows (tests/bench/rulesets.py,
 *                  flowset.py): 131 rules over six mask shapes
 * DP_BENCH_PATHS sets dp_worker_set_paths() flags. DP_BENCH_PATCH=1 gives
 * the switch ports 1 to 5 and a patch pair (90, 91) no flow outputs to:
 * what a switch with patch ports pays.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snic/dp.h"
#include "snic_clock.h"

#define RUNS        5
#define OPS         ops
/* DP_BENCH_OPS and DP_BENCH_FLOWS (the largest flow count to run) make a
 * short run, e.g. under valgrind --tool=callgrind for instructions per
 * packet (docs/datapath.md). */
static unsigned ops = 2000000u;
static uint32_t max_flows = UINT32_MAX;
#define HIT_PKTS    256u
#define MISS_PKTS   65536u
#define FRAME_LEN   64u
#define HEADROOM    128u
#define STRIDE      (HEADROOM + FRAME_LEN)

static uint32_t
flow_dst(uint32_t i)
{
    return htonl(0x0a000000u + i);
}

static uint16_t
flow_port(uint32_t i)
{
    return htons((uint16_t)(1000 + i % 7));
}

static void
make_frame(uint8_t *f, uint32_t flow, uint16_t sport)
{
    static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 };
    static const uint8_t src[6] = { 2, 0, 0, 0, 0, 1 };
    uint32_t d = flow_dst(flow), s = htonl(0x0b000001u);
    uint16_t dp = flow_port(flow), sp = htons(sport);

    memset(f, 0, FRAME_LEN);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x08;
    f[14] = 0x45;
    f[17] = FRAME_LEN - 14;
    f[22] = 64;
    f[23] = 17;
    memcpy(f + 26, &s, 4);
    memcpy(f + 30, &d, 4);
    memcpy(f + 34, &sp, 2);
    memcpy(f + 36, &dp, 2);
    f[39] = FRAME_LEN - 34;
}

static void
install(struct dp *dp, uint32_t n_flows)
{
    struct flow f;
    uint64_t id = 1;

    snic_role_enter(&snic_control);
    memset(&f, 0, sizeof(f));
    f.priority = 100;
    f.match.mask.in_port = 0xffffffffu;
    f.match.value.in_port = 1;
    f.match.mask.dl_type = 0xffff;
    f.match.value.dl_type = htons(0x0800);
    f.match.mask.nw_proto = 0xff;
    f.match.value.nw_proto = 17;
    f.match.mask.nw_dst = 0xffffffffu;
    f.match.mask.tp_dst = 0xffff;
    f.n_actions = 1;
    f.actions[0].type = FLOW_ACT_OUTPUT;
    f.actions[0].u.port = 2;
    for (uint32_t i = 0; i < n_flows; i++) {
        f.match.value.nw_dst = flow_dst(i);
        f.match.value.tp_dst = flow_port(i);
        if (dp_flow_put(dp, id++, &f) < 0)
            abort();
    }
    /* decoys: other masks, lower priorities (searched only on a miss of
     * the main subtable, as the early exit allows) */
    for (unsigned m = 0; m < 4; m++) {
        struct flow d;

        memset(&d, 0, sizeof(d));
        d.priority = (uint16_t)(50 - m);
        d.match.mask.dl_type = 0xffff;
        d.match.value.dl_type = htons(0x0800);
        d.match.mask.nw_src = htonl(0xffffffffu << (8 + m));
        d.match.value.nw_src = htonl(0xc0000000u) & d.match.mask.nw_src;
        if (dp_flow_put(dp, id++, &d) < 0)
            abort();
    }
    memset(&f.match, 0, sizeof(f.match));
    f.priority = 0;
    f.n_actions = 0;
    if (dp_flow_put(dp, id, &f) < 0 || dp_commit(dp) < 0)
        abort();
}

static unsigned long sink_count;

static void
sink(void *ctx, const struct dp_output *out)
{
    (void)ctx;
    sink_count += out->len > 0;
}

/* What snicd's workers give the burst calls too (dp_forward_fn) */
static void
sink_n(void *ctx, uint32_t port, unsigned first, unsigned n)
{
    (void)ctx;
    (void)port;
    (void)first;
    sink_count += n;
}

enum mode { M_CLS, M_EMC, M_PIPE, M_BURST };

#define BURST 32u     /* what snicd's workers receive at most per poll */

static double
run_once(struct dp_worker *w, const struct dp_cls *cls, uint8_t *frames,
         const struct flow_key *keys, unsigned n_pkts, enum mode mode)
{
    const struct dp_cls_snap *snap = dp_cls_snap_get(cls);
    unsigned long found = 0;
    double t0 = snic_now_s(), t;

    if (mode == M_BURST) {
        for (unsigned i = 0; i < OPS; i += BURST) {
            struct dp_buf b[BURST];

            for (unsigned j = 0; j < BURST; j++) {
                unsigned k = (i + j) & (n_pkts - 1);

                b[j] = (struct dp_buf){
                    .data = frames + (size_t)k * STRIDE + HEADROOM,
                    .len = FRAME_LEN, .headroom = HEADROOM,
                };
            }
            found += dp_worker_process_burst_fwd(w, b, BURST, 1, sink,
                                                 sink_n, NULL);
            dp_worker_quiesce(w);
        }
        t = snic_now_s() - t0;
        if (found == 0)
            abort();
        return OPS / t;
    }
    for (unsigned i = 0; i < OPS; i++) {
        unsigned k = i & (n_pkts - 1);

        if (mode == M_CLS) {
            found += dp_cls_lookup(snap, 0, &keys[k]) != NULL;
        } else if (mode == M_EMC) {
            found += dp_worker_classify(w, 0, &keys[k]) != NULL;
        } else {
            struct dp_buf b = {
                .data = frames + (size_t)k * STRIDE + HEADROOM,
                .len = FRAME_LEN, .headroom = HEADROOM,
            };

            found += dp_worker_process(w, &b, 1, sink, NULL);
        }
        if ((i & 31) == 31)
            dp_worker_quiesce(w);
    }
    t = snic_now_s() - t0;
    if (found == 0)
        abort();
    return OPS / t;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(struct dp_worker *w, const struct dp_cls *cls, uint8_t *frames,
       const struct flow_key *keys, unsigned n_pkts, enum mode mode)
{
    double v[RUNS];

    run_once(w, cls, frames, keys, n_pkts, mode);    /* warm up */
    for (int r = 0; r < RUNS; r++)
        v[r] = run_once(w, cls, frames, keys, n_pkts, mode);
    qsort(v, RUNS, sizeof(v[0]), cmp_double);
    return v[RUNS / 2];
}

/* ---- the rule-set matrix (DP_BENCH_SHAPE) ---- */

/* Packet flow @i: UDP 11.0.0.1:(7 + i / 65536) -> 10.0.0.0 + i : 1000 + i % 7 */
static void
matrix_frame(uint8_t *f, uint32_t i)
{
    make_frame(f, i, (uint16_t)(7 + i / 65536));
}

/* Packet flow @i of bench-ovs-compare (tests/bench/flowset.py): UDP
 * 192.168.0.1:(10000 + 13i % 50000) -> 10.0.0.0 + i + 1 : 1024 + i % 60000 */
static void
acl_frame(uint8_t *f, uint32_t i)
{
    uint32_t s = htonl(0xc0a80001u), d = htonl(0x0a000000u + i + 1);
    uint16_t sp = htons((uint16_t)(10000 + (i * 13) % 50000));
    uint16_t dp = htons((uint16_t)(1024 + i % 60000));

    make_frame(f, i, 0);
    memcpy(f + 26, &s, 4);
    memcpy(f + 30, &d, 4);
    memcpy(f + 34, &sp, 2);
    memcpy(f + 36, &dp, 2);
}

static void
put_or_die(struct dp *dp, uint64_t id, const struct flow *f)
{
    snic_role_enter(&snic_control);
    if (dp_flow_put(dp, id, f) < 0)
        abort();
}

static void
match_5tuple(struct flow *f, uint32_t i)
{
    f->match.mask.dl_type = 0xffff;
    f->match.value.dl_type = htons(0x0800);
    f->match.mask.nw_proto = 0xff;
    f->match.value.nw_proto = 17;
    f->match.mask.nw_src = 0xffffffffu;
    f->match.value.nw_src = htonl(0x0b000001u);
    f->match.mask.nw_dst = 0xffffffffu;
    f->match.value.nw_dst = flow_dst(i);
    f->match.mask.tp_src = 0xffff;
    f->match.value.tp_src = htons((uint16_t)(7 + i / 65536));
    f->match.mask.tp_dst = 0xffff;
    f->match.value.tp_dst = flow_port(i);
}

static void
output_to(struct flow *f, uint32_t port)
{
    f->n_actions = 1;
    f->actions[0].type = FLOW_ACT_OUTPUT;
    f->actions[0].u.port = port;
}

/* in_port=1, ip (and @proto unless 0), nw_dst=10.0.@k.0/24 */
static void
match_acl24(struct flow *f, uint8_t proto, uint32_t k)
{
    memset(&f->match, 0, sizeof(f->match));
    f->match.mask.in_port = 0xffffffffu;
    f->match.value.in_port = 1;
    f->match.mask.dl_type = 0xffff;
    f->match.value.dl_type = htons(0x0800);
    if (proto != 0) {
        f->match.mask.nw_proto = 0xff;
        f->match.value.nw_proto = proto;
    }
    f->match.mask.nw_dst = htonl(0xffffff00u);
    f->match.value.nw_dst = htonl(0x0a000000u | (k << 8));
}

/* tests/bench/rulesets.py's mix */
static void
install_acl(struct dp *dp)
{
    struct flow f;
    uint64_t id = 1;

    memset(&f, 0, sizeof(f));
    output_to(&f, 2);
    f.priority = 500;
    for (uint32_t k = 0; k < 32; k++) {
        match_acl24(&f, 17, k);
        f.match.mask.tp_dst = htons(0xf000);
        f.match.value.tp_dst = htons(0x1000);
        put_or_die(dp, id++, &f);
    }
    f.priority = 400;
    for (uint32_t k = 0; k < 32; k++) {
        match_acl24(&f, 6, k);
        f.match.mask.tp_dst = 0xffff;
        f.match.value.tp_dst = htons(80);
        put_or_die(dp, id++, &f);
    }
    f.priority = 300;
    for (uint32_t k = 0; k < 256; k += 4) {
        match_acl24(&f, 0, k);
        put_or_die(dp, id++, &f);
    }
    f.priority = 200;
    match_acl24(&f, 17, 0);
    f.match.mask.nw_dst = 0;
    f.match.value.nw_dst = 0;
    f.match.mask.nw_src = htonl(0xffff0000u);
    f.match.value.nw_src = htonl(0xc0a80000u);
    f.match.mask.tp_src = htons(0xe000);
    f.match.value.tp_src = htons(0x2000);
    put_or_die(dp, id++, &f);
    f.priority = 100;
    match_acl24(&f, 0, 0);
    f.match.mask.nw_dst = htonl(0xffff0000u);
    f.match.value.nw_dst = htonl(0x0a010000u);
    put_or_die(dp, id++, &f);
    memset(&f, 0, sizeof(f));
    output_to(&f, 2);
    put_or_die(dp, id++, &f);
}

static void
install_shape(struct dp *dp, const char *shape, uint32_t n_pflows)
{
    struct flow f;
    uint64_t id = 1;

    snic_role_enter(&snic_control);
    memset(&f, 0, sizeof(f));
    if (strcmp(shape, "port") == 0) {
        f.match.mask.in_port = 0xffffffffu;
        f.match.value.in_port = 1;
        output_to(&f, 2);
        put_or_die(dp, id++, &f);
    } else if (strcmp(shape, "exact-default") == 0
               || strcmp(shape, "exact") == 0) {
        bool dflt = strcmp(shape, "exact-default") == 0;
        uint32_t n = dflt ? 1000 : n_pflows;

        f.priority = 100;
        output_to(&f, 2);
        for (uint32_t i = 0; i < n; i++) {
            match_5tuple(&f, i);
            put_or_die(dp, id++, &f);
        }
        memset(&f, 0, sizeof(f));
        if (dflt)
            output_to(&f, 2);
        put_or_die(dp, id++, &f);
    } else if (strcmp(shape, "mix") == 0) {
        f.match.mask.dl_type = 0xffff;
        f.match.value.dl_type = htons(0x0800);
        /* /24s over the first 16,384 destinations */
        f.priority = 300;
        f.match.mask.nw_dst = htonl(0xffffff00u);
        output_to(&f, 2);
        for (uint32_t i = 0; i < 64; i++) {
            f.match.value.nw_dst = htonl(0x0a000000u + (i << 8));
            put_or_die(dp, id++, &f);
        }
        /* port ranges: 1000-1003 and 1004-1007 */
        memset(&f.match, 0, sizeof(f.match));
        f.priority = 200;
        f.match.mask.dl_type = 0xffff;
        f.match.value.dl_type = htons(0x0800);
        f.match.mask.nw_proto = 0xff;
        f.match.value.nw_proto = 17;
        f.match.mask.tp_dst = htons(0xfffc);
        for (uint32_t i = 0; i < 2; i++) {
            f.match.value.tp_dst = htons((uint16_t)(1000 + 4 * i));
            output_to(&f, 3 + i);
            put_or_die(dp, id++, &f);
        }
        /* /16 sources, one of them ours */
        memset(&f.match, 0, sizeof(f.match));
        f.priority = 100;
        f.match.mask.dl_type = 0xffff;
        f.match.value.dl_type = htons(0x0800);
        f.match.mask.nw_src = htonl(0xffff0000u);
        output_to(&f, 5);
        for (uint32_t i = 0; i < 8; i++) {
            f.match.value.nw_src = htonl(0x0b000000u + (i << 16));
            put_or_die(dp, id++, &f);
        }
        memset(&f, 0, sizeof(f));
        put_or_die(dp, id++, &f);
    } else if (strcmp(shape, "mac") == 0) {
        /* port and MAC: in_port=1,dl_dst=(ours) and another, a drop */
        static const uint8_t macs[2][6] = { { 2, 0, 0, 0, 0, 2 },
                                            { 2, 0, 0, 0, 0, 9 } };

        f.priority = 10;
        f.match.mask.in_port = 0xffffffffu;
        f.match.value.in_port = 1;
        memset(f.match.mask.dl_dst, 0xff, 6);
        for (uint32_t m = 0; m < 2; m++) {
            memcpy(f.match.value.dl_dst, macs[m], 6);
            output_to(&f, 2 + m);
            put_or_die(dp, id++, &f);
        }
        memset(&f, 0, sizeof(f));
        put_or_die(dp, id++, &f);
    } else if (strcmp(shape, "masks") == 0) {
        /* every lookup probes ten subtables: the cache pays by shape */
        f.match.mask.dl_type = 0xffff;
        f.match.value.dl_type = htons(0x0800);
        f.priority = 10;
        output_to(&f, 2);
        for (uint32_t m = 0; m < 10; m++) {
            f.match.mask.nw_dst = htonl(0xffffffffu << (15 + m));
            f.match.value.nw_dst = htonl(0x0a000000u) & f.match.mask.nw_dst;
            put_or_die(dp, id++, &f);
        }
    } else if (strcmp(shape, "acl") == 0) {
        install_acl(dp);
    } else {
        fprintf(stderr, "dp_bench: unknown DP_BENCH_SHAPE '%s' (port, "
                "exact-default, exact, mix, mac, masks or acl)\n", shape);
        exit(2);
    }
    if (dp_commit(dp) < 0)
        abort();
}

/* Ports 1 to 5 and the patch pair 90-91 (DP_BENCH_PATCH). */
static void
set_patch_ports(struct dp *dp)
{
    struct dp_port ports[7];

    memset(ports, 0, sizeof(ports));
    for (uint32_t p = 0; p < 5; p++)
        ports[p].ofport = 1 + p;
    ports[5].ofport = 90;
    ports[5].peer = 91;
    ports[6].ofport = 91;
    ports[6].peer = 90;
    if (dp_set_ports(dp, ports, 7) < 0)
        abort();
}

static double
matrix_once(struct dp_worker *w, uint8_t *frames, uint32_t n_pkts)
{
    unsigned long found = 0;
    uint32_t k = 0;
    double t0 = snic_now_s(), t;

    for (unsigned i = 0; i < OPS; i += BURST) {
        struct dp_buf b[BURST];

        for (unsigned j = 0; j < BURST; j++) {
            b[j] = (struct dp_buf){
                .data = frames + (size_t)k * STRIDE + HEADROOM,
                .len = FRAME_LEN, .headroom = HEADROOM,
            };
            if (++k == n_pkts)
                k = 0;
        }
        found += dp_worker_process_burst_fwd(w, b, BURST, 1, sink, sink_n,
                                             NULL);
        dp_worker_quiesce(w);
    }
    t = snic_now_s() - t0;
    if (found == 0)
        abort();
    return OPS / t;
}

static int
matrix(const char *shape)
{
    static const uint32_t pflows[] = { 1, 1000, 100000 };
    const char *only = getenv("DP_BENCH_PFLOWS");
    uint8_t *frames = malloc((size_t)100000 * STRIDE);

    snic_role_enter(&snic_control);
    if (frames == NULL)
        return 1;
    printf("snic software datapath, rule set '%s', bursts of %u, median of "
           "%d runs x %u packets (Mpps)\n", shape, BURST, RUNS, OPS);
    for (size_t s = 0; s < sizeof(pflows) / sizeof(pflows[0]); s++) {
        uint32_t n = pflows[s];
        struct dp *dp;
        struct dp_worker *w;
        double v[RUNS];

        if (only != NULL && strtoul(only, NULL, 10) != n)
            continue;
        dp = dp_create(NULL, NULL);
        w = dp ? dp_worker_create(dp) : NULL;
        if (w == NULL)
            return 1;
        install_shape(dp, shape, n);
        if (getenv("DP_BENCH_PATCH") != NULL)
            set_patch_ports(dp);
        /* DP_BENCH_PATHS: dp_worker_set_paths() flags, to weigh a
         * shortcut (2: no cache, 4: the cache everywhere) */
        if (getenv("DP_BENCH_PATHS") != NULL)
            dp_worker_set_paths(w, (unsigned)strtoul(getenv("DP_BENCH_PATHS"),
                                                     NULL, 0));
        for (uint32_t i = 0; i < n; i++) {
            uint8_t *fr = frames + (size_t)i * STRIDE + HEADROOM;

            if (strcmp(shape, "acl") == 0)
                acl_frame(fr, i);
            else
                matrix_frame(fr, i);
        }
        dp_worker_online(w);
        matrix_once(w, frames, n);     /* warm up */
        for (int r = 0; r < RUNS; r++)
            v[r] = matrix_once(w, frames, n);
        qsort(v, RUNS, sizeof(v[0]), cmp_double);
        printf("%8u packet flows %9.2f\n", n, v[RUNS / 2] / 1e6);
        dp_worker_offline(w);
        dp_worker_destroy(w);
        dp_destroy(dp);
    }
    free(frames);
    return 0;
}

int
main(void)
{
    static const uint32_t sizes[] = { 1, 1000, 100000 };
    uint8_t *frames = malloc((size_t)MISS_PKTS * STRIDE);
    struct flow_key *keys = malloc(MISS_PKTS * sizeof(*keys));

    snic_role_enter(&snic_control);
    if (frames == NULL || keys == NULL)
        return 1;
    if (getenv("DP_BENCH_OPS") != NULL)
        ops = (unsigned)strtoul(getenv("DP_BENCH_OPS"), NULL, 10) & ~31u;
    if (getenv("DP_BENCH_FLOWS") != NULL)
        max_flows = (uint32_t)strtoul(getenv("DP_BENCH_FLOWS"), NULL, 10);
    if (ops == 0)
        return 2;
    if (getenv("DP_BENCH_SHAPE") != NULL) {
        free(frames);
        free(keys);
        return matrix(getenv("DP_BENCH_SHAPE"));
    }
    printf("snic software datapath, 1 thread, %u-byte UDP frames, "
           "median of %d runs x %u ops (M/s)\n", FRAME_LEN, RUNS, OPS);
    printf("%8s %10s | %9s %9s %9s | %9s %9s | %9s %9s\n", "flows",
           "subtables", "cls", "emc-hit", "emc-miss", "pipe-hit",
           "pipe-miss", "burst-hit", "burst-miss");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0])
                       && sizes[s] <= max_flows; s++) {
        struct dp *dp = dp_create(NULL, NULL);
        struct dp_worker *w = dp ? dp_worker_create(dp) : NULL;
        double r[7] = { 0 };

        if (dp == NULL || w == NULL)
            return 1;
        install(dp, sizes[s]);
        dp_worker_online(w);
        for (int pass = 0; pass < 2; pass++) {
            unsigned n_pkts = pass == 0 ? HIT_PKTS : MISS_PKTS;

            for (unsigned i = 0; i < n_pkts; i++) {
                uint8_t *f = frames + (size_t)i * STRIDE + HEADROOM;
                /* spread traffic over all flows */
                uint32_t flow = (uint32_t)(((uint64_t)i * 2654435761u)
                                           % sizes[s]);

                make_frame(f, flow, (uint16_t)(pass == 0 ? 7 : i));
                dp_extract(f, FRAME_LEN, 1, &keys[i], NULL);
            }
            if (pass == 0) {
                r[0] = median(w, dp_classifier(dp), frames, keys, n_pkts,
                              M_CLS);
                r[1] = median(w, dp_classifier(dp), frames, keys, n_pkts,
                              M_EMC);
                r[3] = median(w, dp_classifier(dp), frames, keys, n_pkts,
                              M_PIPE);
                r[5] = median(w, dp_classifier(dp), frames, keys, n_pkts,
                              M_BURST);
            } else {
                r[2] = median(w, dp_classifier(dp), frames, keys, n_pkts,
                              M_EMC);
                r[4] = median(w, dp_classifier(dp), frames, keys, n_pkts,
                              M_PIPE);
                r[6] = median(w, dp_classifier(dp), frames, keys, n_pkts,
                              M_BURST);
            }
        }
        printf("%8u %10zu | %9.2f %9.2f %9.2f | %9.2f %9.2f | %9.2f %9.2f\n",
               sizes[s], dp_cls_n_subtables(dp_classifier(dp)), r[0] / 1e6,
               r[1] / 1e6, r[2] / 1e6, r[3] / 1e6, r[4] / 1e6, r[5] / 1e6,
               r[6] / 1e6);
        dp_worker_offline(w);
        dp_worker_destroy(w);
        dp_destroy(dp);
    }
    printf("cls: classifier alone; emc-*: EMC + classifier; pipe-*: "
           "extract + classify + actions (output) per packet; burst-*: the "
           "same in bursts of %u (dp_worker_process_burst)\n", BURST);
    free(frames);
    free(keys);
    return 0;
}
