/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trains and the frame cache (docs/datapath.md, "Fast paths"): a burst's
 * frames that read as the first of their train, or as a frame the cache
 * holds, take its answer without being read. Every
 * byte of a frame's headers changed inside a train, and its length
 * changed, against the same frames one by one, under a flow that matches
 * every field the first frame has exactly: a frame that reads
 * differently must get the catch-all's answer, as it does alone. Every
 * other burst gives its runs of unchanged frames to a dp_forward_fn
 * (snicd's way), the others to the per-packet output: both must be what
 * the frames get alone.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dp_test_flows.h"

#define BURST       6u
#define MAX_LEN     512u

struct out {
    unsigned pkt;
    uint32_t port;
    size_t len;
    uint8_t frame[MAX_LEN];
};

struct side {
    struct dp *dp;
    struct dp_worker *w;
    unsigned n;
    struct out out[2 * BURST];
    const struct dp_buf *bufs;  /* the burst being processed */
    unsigned forwards;          /* side_forward() calls */
    unsigned longest;           /* packets in the longest of them */
};

static struct side sides[2];    /* in bursts; one by one */
static unsigned bursts;         /* every other one with side_forward() */

static void
side_output(void *ctx, const struct dp_output *o)
{
    struct side *s = ctx;
    struct out *x;

    cr_assert_lt(s->n, 2 * BURST);
    cr_assert_leq(o->len, MAX_LEN);
    x = &s->out[s->n++];
    x->pkt = o->pkt;
    x->port = o->port;
    x->len = o->len;
    memcpy(x->frame, o->frame, o->len);
}

/* The frames of packets @first.. of the burst, sent as they came */
static void
side_forward(void *ctx, uint32_t port, unsigned first, unsigned n)
{
    struct side *s = ctx;

    cr_assert_leq(first + n, BURST);
    s->forwards++;
    if (n > s->longest)
        s->longest = n;
    for (unsigned i = first; i < first + n; i++) {
        struct dp_output o = {
            .port = port, .tx_port = port, .last = true, .pkt = i,
            .frame = s->bufs[i].data, .len = s->bufs[i].len,
        };

        side_output(s, &o);
    }
}

/* @bufs through side @s: in one burst (@fwd: runs to side_forward()) or
 * one by one. */
static void
side_run(struct side *s, struct dp_buf *bufs, bool in_burst, bool fwd)
{
    if (in_burst) {
        s->bufs = bufs;
        cr_assert_eq(dp_worker_process_burst_fwd(s->w, bufs, BURST, 1,
                                                 side_output,
                                                 fwd ? side_forward : NULL,
                                                 s), s->n);
    } else {
        for (unsigned p = 0; p < BURST; p++) {
            unsigned first = s->n;

            dp_worker_process(s->w, &bufs[p], 1, side_output, s);
            for (unsigned o = first; o < s->n; o++)
                s->out[o].pkt = p;
        }
    }
    dp_worker_quiesce(s->w);
}

/* Both sides: a flow matching the packet fields of @f (@len bytes)
 * exactly, to port 2; a catch-all to port 3. */
static void
sides_create(const uint8_t *f, size_t len)
{
    struct dp_port ports[3];
    struct flow exact, all;
    struct dp_layout lay;

    snic_role_enter(&snic_control);
    memset(ports, 0, sizeof(ports));
    for (unsigned p = 0; p < 3; p++)
        ports[p].ofport = 1 + p;
    memset(&exact, 0, sizeof(exact));
    cr_assert_eq(dp_extract(f, len, 1, &exact.match.value, &lay), 0);
    memset(&exact.match.mask, 0xff, FLOW_KEY_PKT_SIZE);
    flow_match_normalise(&exact.match);
    exact.priority = 100;
    exact.n_actions = 1;
    exact.actions[0].type = FLOW_ACT_OUTPUT;
    exact.actions[0].u.port = 2;
    memset(&all, 0, sizeof(all));
    flow_match_init_catchall(&all.match);
    all.n_actions = 1;
    all.actions[0].type = FLOW_ACT_OUTPUT;
    all.actions[0].u.port = 3;
    for (unsigned i = 0; i < 2; i++) {
        struct side *s = &sides[i];

        s->dp = dp_create(NULL, NULL);
        cr_assert_not_null(s->dp);
        s->w = dp_worker_create(s->dp);
        cr_assert_not_null(s->w);
        cr_assert_eq(dp_set_ports(s->dp, ports, 3), 0);
        cr_assert_eq(dp_flow_put(s->dp, 1, &exact), 0);
        cr_assert_eq(dp_flow_put(s->dp, 2, &all), 0);
        cr_assert_eq(dp_commit(s->dp), 0);
        dp_worker_online(s->w);
    }
}

static void
sides_destroy(void)
{
    snic_role_enter(&snic_control);
    for (unsigned i = 0; i < 2; i++) {
        dp_worker_offline(sides[i].w);
        dp_worker_destroy(sides[i].w);
        dp_destroy(sides[i].dp);
    }
}

/* The burst base, base, @v, base, @v, base both ways: the same outputs,
 * and @v gets the answer it gets alone. */
static void
sides_traffic(const char *what, const uint8_t *base, size_t base_len,
              const uint8_t *v, size_t v_len)
{
    static struct t_pkt pkts[2][BURST];
    struct dp_buf bufs[BURST];

    for (unsigned i = 0; i < 2; i++) {
        struct side *s = &sides[i];

        s->n = 0;
        for (unsigned p = 0; p < BURST; p++) {
            bool is_v = p == 2 || p == 4;

            t_pkt_load(&pkts[i][p], is_v ? v : base, is_v ? v_len : base_len);
            bufs[p] = pkts[i][p].buf;
        }
        side_run(s, bufs, i == 0, bursts++ % 2 == 0);
    }
    cr_assert_eq(sides[0].n, sides[1].n, "%s: %u outputs in a burst, %u "
                 "one by one", what, sides[0].n, sides[1].n);
    for (unsigned o = 0; o < sides[0].n; o++) {
        const struct out *a = &sides[0].out[o], *b = &sides[1].out[o];

        cr_assert_eq(a->pkt, b->pkt, "%s: output %u", what, o);
        cr_assert_eq(a->port, b->port, "%s: output %u to port %u in a "
                     "burst, %u alone", what, o, a->port, b->port);
        cr_assert_eq(a->len, b->len, "%s: output %u", what, o);
        cr_assert_arr_eq(a->frame, b->frame, a->len, "%s: output %u", what,
                         o);
    }
}

static void
flows_agree(const char *what)
{
    for (uint64_t id = 1; id <= 2; id++) {
        uint64_t pa, ba, pb, bb;

        cr_assert_eq(dp_flow_stats(sides[0].dp, id, &pa, &ba), 0);
        cr_assert_eq(dp_flow_stats(sides[1].dp, id, &pb, &bb), 0);
        cr_assert_eq(pa, pb, "%s: flow %llu", what, (unsigned long long)id);
        cr_assert_eq(ba, bb, "%s: flow %llu bytes", what,
                     (unsigned long long)id);
    }
}

/* UDP and TCP, untagged and tagged: each header byte changed two ways,
 * then the length (cut, padded within and past the 255 bytes an IPv4
 * packet may carry). */
Test(dp_train, a_frame_that_reads_differently_gets_its_own_answer)
{
    static const int tcis[] = { -1, 5 };
    static const uint8_t protos[] = { 17, 6 };

    for (unsigned t = 0; t < 2; t++) {
        for (unsigned p = 0; p < 2; p++) {
            uint8_t base[MAX_LEN], v[MAX_LEN];
            size_t len;
            char what[96];

            memset(base, 0, sizeof(base));
            len = t_frame_ip4(base, tcis[t], protos[p], 1000, 80, 20);
            sides_create(base, len);
            for (size_t i = 0; i < len; i++) {
                for (unsigned bit = 0; bit < 8; bit += 7) {
                    memcpy(v, base, len);
                    v[i] ^= (uint8_t)(1u << bit);
                    snprintf(what, sizeof(what), "tci %d proto %u byte %zu "
                             "bit %u", tcis[t], protos[p], i, bit);
                    sides_traffic(what, base, len, v, len);
                }
            }
            for (size_t n = len - 30; n < len + 300 && n < MAX_LEN; n++) {
                memset(v, 0, sizeof(v));
                memcpy(v, base, len);
                snprintf(what, sizeof(what), "tci %d proto %u length %zu",
                         tcis[t], protos[p], n);
                sides_traffic(what, base, len, v, n);
            }
            flows_agree("counters");
            cr_assert_gt(dp_worker_stats(sides[0].w)->train_decided, 0);
            cr_assert_eq(dp_worker_stats(sides[1].w)->train_decided, 0);
            /* base after a changed frame: from the frame cache */
            cr_assert_gt(dp_worker_stats(sides[0].w)->frame_hits, 0);
            cr_assert_eq(dp_worker_stats(sides[1].w)->frame_hits, 0);
            cr_assert_gt(sides[0].forwards, 0, "trains given whole");
            cr_assert_eq(sides[1].forwards, 0);
            sides[0].forwards = 0;
            sides_destroy();
        }
    }
}

/* Frames that all differ (no train) and all take the catch-all, burst
 * after burst: from the second burst on they are frame-cache hits, given
 * to the forward callback as one run, in order, as one by one. */
Test(dp_train, frame_cache_hits_to_one_port_go_as_one_run)
{
    static struct t_pkt pkts[2][BURST];
    uint8_t base[MAX_LEN], v[BURST][MAX_LEN];
    struct dp_buf bufs[BURST];
    size_t len;

    memset(base, 0, sizeof(base));
    len = t_frame_ip4(base, -1, 17, 1000, 80, 20);
    sides_create(base, len);
    for (unsigned p = 0; p < BURST; p++) {
        memcpy(v[p], base, len);
        v[p][30 + p] ^= 1;              /* the destination address, ports */
    }
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < 2; i++) {
            struct side *s = &sides[i];

            s->n = 0;
            for (unsigned p = 0; p < BURST; p++) {
                t_pkt_load(&pkts[i][p], v[p], len);
                bufs[p] = pkts[i][p].buf;
            }
            side_run(s, bufs, i == 0, true);
        }
        cr_assert_eq(sides[0].n, BURST);
        cr_assert_eq(sides[1].n, BURST);
        for (unsigned o = 0; o < BURST; o++) {
            const struct out *a = &sides[0].out[o], *b = &sides[1].out[o];

            cr_assert_eq(a->pkt, b->pkt, "round %u output %u", round, o);
            cr_assert_eq(a->port, 3);
            cr_assert_eq(b->port, 3);
            cr_assert_eq(a->len, b->len);
            cr_assert_arr_eq(a->frame, b->frame, a->len);
        }
    }
    flows_agree("counters");
    cr_assert_gt(dp_worker_stats(sides[0].w)->frame_hits, 0);
    cr_assert_eq(sides[0].longest, BURST, "a burst of hits in one run");
    sides[0].forwards = 0;
    sides[0].longest = 0;
    sides_destroy();
}

/* Frame-cache hits that send nothing (an output to the in_port, skipped)
 * between hits to one port: the packets around it are not one run, the
 * skipped one is sent nowhere; and a miss after the hits comes after
 * them. Bursts a, w, b, a, w, x of frames that all differ (no train)
 * from port 1, w by a flow of its own to port 1, the others by the
 * catch-all to port 3, x new each round: from the second burst on the
 * first five are hits, given to the forward callback, against one by
 * one. */
Test(dp_train, frame_cache_hits_around_one_sent_nowhere)
{
    static struct t_pkt pkts[2][BURST];
    uint8_t base[MAX_LEN], v[3][MAX_LEN];
    struct dp_buf bufs[BURST];
    struct dp_layout lay;
    struct flow back;
    size_t len;

    memset(base, 0, sizeof(base));
    len = t_frame_ip4(base, -1, 17, 1000, 80, 20);
    sides_create(base, len);
    for (unsigned k = 0; k < 3; k++) {
        memcpy(v[k], base, len);
        v[k][33] ^= (uint8_t)(k + 1);       /* the destination address */
    }
    memset(&back, 0, sizeof(back));
    cr_assert_eq(dp_extract(v[1], len, 1, &back.match.value, &lay), 0);
    memset(&back.match.mask, 0xff, FLOW_KEY_PKT_SIZE);
    flow_match_normalise(&back.match);
    back.priority = 200;
    back.n_actions = 1;
    back.actions[0].type = FLOW_ACT_OUTPUT;
    back.actions[0].u.port = 1;             /* the in_port: skipped */
    snic_role_enter(&snic_control);
    for (unsigned i = 0; i < 2; i++) {
        cr_assert_eq(dp_flow_put(sides[i].dp, 3, &back), 0);
        cr_assert_eq(dp_commit(sides[i].dp), 0);
    }
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < 2; i++) {
            struct side *s = &sides[i];

            s->n = 0;
            for (unsigned p = 0; p < BURST; p++) {
                t_pkt_load(&pkts[i][p], v[p % 3], len);
                /* the last a frame of its round: a miss after the hits */
                if (p == BURST - 1)
                    pkts[i][p].buf.data[34] ^= (uint8_t)(round + 1);
                bufs[p] = pkts[i][p].buf;
            }
            side_run(s, bufs, i == 0, true);
        }
        cr_assert_eq(sides[0].n, sides[1].n, "round %u: %u outputs in a "
                     "burst, %u one by one", round, sides[0].n, sides[1].n);
        for (unsigned o = 0; o < sides[0].n; o++) {
            const struct out *a = &sides[0].out[o], *b = &sides[1].out[o];

            cr_assert_eq(a->pkt, b->pkt, "round %u output %u: packet %u in "
                         "a burst, %u one by one", round, o, a->pkt, b->pkt);
            cr_assert_eq(a->port, b->port);
            cr_assert_eq(a->len, b->len);
            cr_assert_arr_eq(a->frame, b->frame, a->len);
        }
    }
    flows_agree("counters");
    cr_assert_gt(dp_worker_stats(sides[0].w)->frame_hits, 0);
    cr_assert_gt(sides[0].forwards, 0);
    sides[0].forwards = 0;
    sides[0].longest = 0;
    sides_destroy();
}

/* Frame-cache runs across publishes: bursts of frames that all differ
 * (no train) and take the catch-all, which is modified between rounds to
 * another port, to a VLAN push (an answer that needs the headers) and
 * back: every round's outputs as one by one, at the port the flow names
 * now, never at the one the cache's entries were filled with. */
Test(dp_train, frame_cache_runs_across_publishes)
{
    static struct t_pkt pkts[2][BURST];
    static const uint32_t to[] = { 3, 3, 2, 2, 0, 0, 3, 3 };   /* 0: VLAN */
    uint8_t base[MAX_LEN], v[BURST][MAX_LEN];
    struct dp_buf bufs[BURST];
    size_t len;

    memset(base, 0, sizeof(base));
    len = t_frame_ip4(base, -1, 17, 1000, 80, 20);
    sides_create(base, len);
    for (unsigned p = 0; p < BURST; p++) {
        memcpy(v[p], base, len);
        v[p][33] ^= (uint8_t)(p + 1);
    }
    for (unsigned round = 0; round < sizeof(to) / sizeof(to[0]); round++) {
        if (round > 0 && to[round] != to[round - 1]) {
            struct flow all;

            memset(&all, 0, sizeof(all));
            flow_match_init_catchall(&all.match);
            if (to[round] == 0) {
                all.actions[all.n_actions].type = FLOW_ACT_MOD_VLAN_VID;
                all.actions[all.n_actions].u.vlan.vid = htons(7);
                all.actions[all.n_actions++].u.vlan.push_if_untagged = 1;
            }
            all.actions[all.n_actions].type = FLOW_ACT_OUTPUT;
            all.actions[all.n_actions++].u.port = to[round] ? to[round] : 2;
            snic_role_enter(&snic_control);
            for (unsigned i = 0; i < 2; i++) {
                cr_assert_eq(dp_flow_put(sides[i].dp, 2, &all), 0);
                cr_assert_eq(dp_commit(sides[i].dp), 0);
            }
        }
        for (unsigned i = 0; i < 2; i++) {
            struct side *s = &sides[i];

            s->n = 0;
            for (unsigned p = 0; p < BURST; p++) {
                t_pkt_load(&pkts[i][p], v[p], len);
                bufs[p] = pkts[i][p].buf;
            }
            side_run(s, bufs, i == 0, true);
        }
        cr_assert_eq(sides[0].n, BURST, "round %u", round);
        cr_assert_eq(sides[1].n, BURST, "round %u", round);
        for (unsigned o = 0; o < BURST; o++) {
            const struct out *a = &sides[0].out[o], *b = &sides[1].out[o];

            cr_assert_eq(a->pkt, b->pkt, "round %u output %u", round, o);
            cr_assert_eq(a->port, to[round] ? to[round] : 2,
                         "round %u output %u: port %u", round, o, a->port);
            cr_assert_eq(b->port, a->port);
            cr_assert_eq(a->len, b->len, "round %u output %u", round, o);
            cr_assert_arr_eq(a->frame, b->frame, a->len);
        }
    }
    flows_agree("counters");
    cr_assert_gt(dp_worker_stats(sides[0].w)->frame_hits, 0);
    sides[0].forwards = 0;
    sides[0].longest = 0;
    sides_destroy();
}
