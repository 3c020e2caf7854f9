/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet path's shortcuts give every packet the general path's
 * treatment (docs/datapath.md, "Fast paths"): the port decision against
 * the classifier, and whole datapaths run four ways -- fast path in
 * bursts, fast path one by one, general path with no cache, general path
 * with the cache everywhere -- on the same traffic and rule sets of every
 * shape, rule sets that change between bursts and move ports between the
 * fast and the general path, and a publisher racing the workers. The
 * cache's own tests are in test_dp_cache.c.
 */
#include <criterion/criterion.h>
#include <endian.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dp_test_flows.h"
#include "snic_clock.h"

#define TUN_PORT    100u        /* a VXLAN port whose underlay is port 1 */
#define N_IDS       400u

/* ---- flows ---- */

static void
act_output(struct flow *f, uint32_t port)
{
    f->actions[f->n_actions].type = FLOW_ACT_OUTPUT;
    f->actions[f->n_actions++].u.port = port;
}

/* Random actions, from the cheapest (a lone output, a drop) to those the
 * fast path hands to the general one (rewrites, NORMAL, tunnels, other
 * tables). */
static void
random_actions(unsigned *seed, struct flow *f)
{
    struct flow_action *a;

    f->n_actions = 0;
    switch (t_rand(seed, 12)) {
    case 0:
        break;                              /* drop */
    case 1: case 2: case 3: case 4:
        act_output(f, 1 + t_rand(seed, 5));    /* the in_port sometimes */
        break;
    case 5:
        act_output(f, TUN_PORT);
        break;
    case 6:
        act_output(f, 2 + t_rand(seed, 3));
        act_output(f, 3);
        break;
    case 7:
        a = &f->actions[f->n_actions++];
        a->type = FLOW_ACT_MOD_VLAN_VID;
        a->u.vlan.vid = htons((uint16_t)(1 + t_rand(seed, 100)));
        a->u.vlan.push_if_untagged = 1;
        act_output(f, 4);
        break;
    case 8:
        act_output(f, FLOW_PORT_NORMAL);
        break;
    case 9:
        a = &f->actions[f->n_actions++];
        a->type = FLOW_ACT_GOTO_TABLE;
        a->u.table = 1;
        break;
    case 10:
        a = &f->actions[f->n_actions++];
        a->type = FLOW_ACT_RESUBMIT;
        a->u.resubmit.port = FLOW_RESUBMIT_IN_PORT;
        a->u.resubmit.table = 1;
        act_output(f, 2);
        break;
    default:
        act_output(f, FLOW_PORT_ALL);
        break;
    }
}

enum shape { S_PORT, S_EXACT_DEFAULT, S_MIX, S_GENERAL, S_L2, S_SHAPES };

static const char *const shape_name[] = { "port", "exact+default", "mix",
                                          "general", "port+ethernet" };

/* A random flow of table 0 whose match has shape @s. */
static void
random_flow(unsigned *seed, enum shape s, struct flow *f)
{
    struct flow_key *v = &f->match.value, *k = &f->match.mask;

    memset(f, 0, sizeof(*f));
    flow_match_init_catchall(&f->match);
    f->priority = (uint16_t)(t_rand(seed, 5) * 10);
    switch (s) {
    case S_PORT:
        if (t_rand(seed, 4) != 0) {
            k->in_port = UINT32_MAX;
            v->in_port = 1 + t_rand(seed, 6);
        }
        break;
    case S_EXACT_DEFAULT:
        if (t_rand(seed, 8) == 0)
            break;                          /* a default */
        k->dl_type = 0xffff;
        v->dl_type = htons(0x0800);
        k->nw_proto = 0xff;
        v->nw_proto = t_rand(seed, 2) ? 6 : 17;
        k->nw_src = UINT32_MAX;
        v->nw_src = t_pool_ip(seed);
        k->nw_dst = UINT32_MAX;
        v->nw_dst = t_pool_ip(seed);
        k->tp_dst = 0xffff;
        v->tp_dst = htons(t_ports[t_rand(seed, 4)]);
        f->priority = 100;
        break;
    case S_MIX:
        k->dl_type = 0xffff;
        v->dl_type = htons(0x0800);
        if (t_rand(seed, 2)) {
            k->nw_dst = t_prefix32(24);
            v->nw_dst = t_pool_ip(seed) & k->nw_dst;
        } else if (t_rand(seed, 2)) {
            k->nw_proto = 0xff;
            v->nw_proto = 17;
            k->tp_dst = htons(0xfffc);
            v->tp_dst = htons(t_ports[t_rand(seed, 4)] & 0xfffc);
        } else {
            k->nw_src = t_prefix32(16);
            v->nw_src = t_pool_ip(seed) & k->nw_src;
        }
        break;
    case S_L2:
        /* port and VLAN, port and MAC, EtherTypes (LLC's 0x05ff too) */
        if (t_rand(seed, 2)) {
            k->in_port = UINT32_MAX;
            v->in_port = 1 + t_rand(seed, 6);
        }
        if (t_rand(seed, 2)) {
            k->vlan_tci = htons(t_rand(seed, 2) ? 0x1fff : 0xffff);
            v->vlan_tci = t_rand(seed, 3) == 0
                          ? 0 : htons((uint16_t)(0x1000 | t_rand(seed, 4)));
        }
        if (t_rand(seed, 3) == 0) {
            memset(k->dl_dst, 0xff, 6);
            v->dl_dst[5] = (uint8_t)t_rand(seed, 8);
        }
        if (t_rand(seed, 3) == 0) {
            memset(k->dl_src, 0xff, 6);
            v->dl_src[5] = (uint8_t)(1 + t_rand(seed, 8));
        }
        if (t_rand(seed, 3) == 0) {
            static const uint16_t types[] = { 0x0800, 0x0806, 0x86dd,
                                              0x05ff, 0x8100 };

            k->dl_type = 0xffff;
            v->dl_type = htons(types[t_rand(seed, 5)]);
        }
        break;
    default:
        t_random_match(seed, &f->match);
        break;
    }
    flow_match_normalise(&f->match);
    random_actions(seed, f);
}

/* A flow of table 1, where goto_table and resubmit lead. */
static void
random_flow_t1(unsigned *seed, struct flow *f)
{
    memset(f, 0, sizeof(*f));
    t_random_match(seed, &f->match);
    f->table_id = 1;
    f->priority = (uint16_t)(t_rand(seed, 5) * 10);
    act_output(f, 1 + t_rand(seed, 6));
}

/* ---- traffic ---- */

static size_t
random_frame(unsigned *seed, uint8_t *f)
{
    int tci = t_rand(seed, 3) == 0 ? (int)(t_rand(seed, 4) | 0x2000) : -1;
    size_t n;

    memset(f, 0, 160);

    switch (t_rand(seed, 7)) {
    case 5:                                 /* LLC, SNAP or not */
        n = t_eth(f, 0, tci);
        memcpy(f + n, (const uint8_t[]){ 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08,
                                         0x06 }, 8);
        f[n + 2] = t_rand(seed, 2) ? 0x03 : 0x04;
        n += 36;
        t_wr16(f + n - 36 - 2, (uint16_t)(36 + t_rand(seed, 3)));
        break;
    case 6:                                 /* a tag cut short */
        n = t_eth(f, 0x0800, 5);
        n = 14 + t_rand(seed, 4);
        break;
    case 0: case 1: case 2: {
        uint32_t src = t_pool_ip(seed), dst = t_pool_ip(seed);
        size_t l3 = tci >= 0 ? 18 : 14;

        n = t_frame_ip4(f, tci, t_rand(seed, 2) ? 6 : 17, 1000,
                        t_ports[t_rand(seed, 4)], t_rand(seed, 30));
        memcpy(f + l3 + 12, &src, 4);
        memcpy(f + l3 + 16, &dst, 4);
        break;
    }
    case 3:
        n = t_frame_ip6(f, 17, 1, 2, 8);
        break;
    default:
        n = t_eth(f, 0x0806, tci);
        memset(f + n, 0, 28);
        n += 28;
        break;
    }
    f[5] = (uint8_t)t_rand(seed, 8);
    f[11] = (uint8_t)(1 + t_rand(seed, 8));
    if (t_rand(seed, 20) == 0)
        n = t_rand(seed, 14);               /* shorter than Ethernet */
    return n;
}

static struct dp_vxlan_port tun = {
    .ofport = TUN_PORT, .underlay_port = 1,
    .local_mac = { 2, 0, 0, 0, 0, 0xa }, .remote_mac = { 2, 0, 0, 0, 0, 0xb },
};

/* @f (@n bytes, room for the outer headers) as it arrives from the
 * tunnel's remote end on its underlay port. */
static size_t
vxlan_frame(uint8_t *f, size_t n, uint8_t *out)
{
    struct dp_vxlan_port back = tun;
    struct dp_tun_md md = { .tun_id = htobe64(7) };
    struct dp_layout lay;
    struct flow_key key;
    struct dp_buf b = { .data = out + 64, .len = n, .headroom = 64 };

    back.local_ip = tun.remote_ip;
    back.remote_ip = tun.local_ip;
    memcpy(b.data, f, n);
    cr_assert_eq(dp_extract(b.data, n, 5, &key, &lay), 0);
    cr_assert_eq(dp_vxlan_encap(&back, &md, &lay, &b), 0);
    memmove(out, b.data, b.len);
    return b.len;
}

/* ---- four datapaths, the same input ---- */

#define MAX_OUT     1024u

struct out {
    unsigned pkt;
    uint32_t port, tx_port;
    size_t len;
    uint8_t frame[200];
};

struct way {
    struct dp *dp;
    struct dp_worker *w;
    bool burst;
    bool forward;               /* runs sent unchanged to way_forward() */
    const struct dp_buf *bufs;  /* the burst being processed */
    unsigned forwards;          /* way_forward() calls */
    unsigned n;
    struct out out[MAX_OUT];
    uint64_t retired_pkts[N_IDS], retired_bytes[N_IDS];
};

static void
way_output(void *ctx, const struct dp_output *o)
{
    struct way *w = ctx;
    struct out *x;

    cr_assert_lt(w->n, MAX_OUT);
    cr_assert_leq(o->len, sizeof(w->out[0].frame));
    x = &w->out[w->n++];
    x->pkt = o->pkt;
    x->port = o->port;
    x->tx_port = o->tx_port;
    x->len = o->len;
    memcpy(x->frame, o->frame, o->len);
}

/* What a dp_forward_fn gets, as the outputs it stands for */
static void
way_forward(void *ctx, uint32_t port, unsigned first, unsigned n)
{
    struct way *w = ctx;

    w->forwards++;
    for (unsigned i = first; i < first + n; i++) {
        struct dp_output o = {
            .port = port, .tx_port = port, .last = true, .pkt = i,
            .frame = w->bufs[i].data, .len = w->bufs[i].len,
        };

        way_output(w, &o);
    }
}

static void
way_retired(void *ctx, uint64_t id, uint64_t packets, uint64_t bytes)
{
    struct way *w = ctx;

    cr_assert_lt(id, N_IDS);
    w->retired_pkts[id] += packets;
    w->retired_bytes[id] += bytes;
}

#define N_WAYS  4

static struct way ways[N_WAYS];

static void
ways_create(void)
{
    static const unsigned paths[N_WAYS] = {
        DP_PATHS_AUTO, DP_PATHS_AUTO, DP_PATHS_NO_FAST | DP_PATHS_NO_EMC,
        DP_PATHS_NO_FAST | DP_PATHS_EMC,
    };
    struct dp_port ports[6];

    snic_role_enter(&snic_control);
    memset(ports, 0, sizeof(ports));
    for (unsigned p = 0; p < 6; p++)
        ports[p].ofport = 1 + p;
    inet_pton(AF_INET, "192.0.2.1", &tun.local_ip);
    inet_pton(AF_INET, "192.0.2.2", &tun.remote_ip);
    memset(ways, 0, sizeof(ways));
    for (unsigned i = 0; i < N_WAYS; i++) {
        struct way *w = &ways[i];

        w->dp = dp_create(way_retired, w);
        cr_assert_not_null(w->dp);
        w->w = dp_worker_create(w->dp);
        cr_assert_not_null(w->w);
        dp_worker_set_paths(w->w, paths[i]);
        w->burst = i != 1 && i != 2;
        w->forward = i == 0;    /* snicd's way; way 3 outputs each */
        cr_assert_eq(dp_set_vxlan_ports(w->dp, &tun, 1), 0);
        cr_assert_eq(dp_set_ports(w->dp, ports, 6), 0);
        dp_worker_online(w->w);
    }
}

static void
ways_destroy(void)
{
    snic_role_enter(&snic_control);
    for (unsigned i = 0; i < N_WAYS; i++) {
        dp_worker_offline(ways[i].w);
        dp_worker_destroy(ways[i].w);
        dp_destroy(ways[i].dp);
    }
}

static void
ways_put(uint64_t id, const struct flow *f)
{
    snic_role_enter(&snic_control);
    for (unsigned i = 0; i < N_WAYS; i++)
        cr_assert_eq(dp_flow_put(ways[i].dp, id, f), 0);
}

static void
ways_del(uint64_t id)
{
    snic_role_enter(&snic_control);
    for (unsigned i = 0; i < N_WAYS; i++)
        cr_assert_eq(dp_flow_del(ways[i].dp, id), 0);
}

static void
ways_commit(void)
{
    snic_role_enter(&snic_control);
    for (unsigned i = 0; i < N_WAYS; i++) {
        /* the workers pass a quiescent state: old snapshots can go */
        dp_worker_quiesce(ways[i].w);
        cr_assert_eq(dp_commit(ways[i].dp), 0);
        dp_poll(ways[i].dp);
    }
}

/* One burst of @n frames from @in_port through every way; everything the
 * packets did must be the same. */
static void
ways_traffic(const char *what, uint8_t frames[][320], const size_t *lens,
             unsigned n, uint32_t in_port)
{
    static struct t_pkt pkts[N_WAYS][DP_BURST_MAX + 8];
    struct dp_buf bufs[DP_BURST_MAX + 8];

    for (unsigned i = 0; i < N_WAYS; i++) {
        struct way *w = &ways[i];
        unsigned n_out = 0;

        w->n = 0;
        for (unsigned p = 0; p < n; p++)
            t_pkt_load(&pkts[i][p], frames[p], lens[p]);
        if (w->burst) {
            for (unsigned p = 0; p < n; p++)
                bufs[p] = pkts[i][p].buf;
            w->bufs = bufs;
            n_out = dp_worker_process_burst_fwd(w->w, bufs, n, in_port,
                                                way_output,
                                                w->forward ? way_forward
                                                           : NULL, w);
            for (unsigned p = 0; p < n; p++)
                pkts[i][p].buf = bufs[p];
        } else {
            for (unsigned p = 0; p < n; p++) {
                unsigned first = w->n;

                n_out += dp_worker_process(w->w, &pkts[i][p].buf, in_port,
                                           way_output, w);
                for (unsigned o = first; o < w->n; o++)
                    w->out[o].pkt = p;
            }
        }
        cr_assert_eq(n_out, w->n, "%s: way %u", what, i);
        dp_worker_quiesce(w->w);
    }
    for (unsigned i = 1; i < N_WAYS; i++) {
        const struct way *a = &ways[0], *b = &ways[i];

        cr_assert_eq(b->n, a->n, "%s: way %u has %u outputs, way 0 %u", what,
                     i, b->n, a->n);
        for (unsigned o = 0; o < a->n; o++) {
            cr_assert_eq(b->out[o].pkt, a->out[o].pkt, "%s: way %u out %u",
                         what, i, o);
            cr_assert_eq(b->out[o].port, a->out[o].port);
            cr_assert_eq(b->out[o].tx_port, a->out[o].tx_port);
            cr_assert_eq(b->out[o].len, a->out[o].len);
            cr_assert_arr_eq(b->out[o].frame, a->out[o].frame,
                             a->out[o].len, "%s: way %u out %u differs",
                             what, i, o);
        }
        for (unsigned p = 0; p < n; p++) {
            cr_assert_eq(pkts[i][p].buf.len, pkts[0][p].buf.len);
            cr_assert_arr_eq(pkts[i][p].buf.data, pkts[0][p].buf.data,
                             pkts[0][p].buf.len);
        }
    }
}

/* Counters of every flow, live and retired, and of every worker. */
static void
ways_check_counters(const char *what)
{
    for (unsigned i = 1; i < N_WAYS; i++) {
        const struct dp_worker_stats *a = dp_worker_stats(ways[0].w);
        const struct dp_worker_stats *b = dp_worker_stats(ways[i].w);

        cr_assert_eq(b->packets, a->packets, "%s: way %u", what, i);
        cr_assert_eq(b->misses, a->misses, "%s: way %u", what, i);
        cr_assert_eq(b->outputs, a->outputs, "%s: way %u", what, i);
        cr_assert_eq(b->tunnel_drops, a->tunnel_drops);
        cr_assert_eq(b->noroom_drops, a->noroom_drops);
        cr_assert_eq(b->normal_drops, a->normal_drops);
        for (uint64_t id = 1; id < N_IDS; id++) {
            uint64_t pa = 0, ba = 0, pb = 0, bb = 0;
            int ra = dp_flow_stats(ways[0].dp, id, &pa, &ba);
            int rb = dp_flow_stats(ways[i].dp, id, &pb, &bb);

            cr_assert_eq(rb, ra);
            cr_assert_eq(pb, pa, "%s: way %u flow %llu: %llu packets, way 0 "
                         "%llu", what, i, (unsigned long long)id,
                         (unsigned long long)pb, (unsigned long long)pa);
            cr_assert_eq(bb, ba, "%s: way %u flow %llu bytes", what, i,
                         (unsigned long long)id);
            cr_assert_eq(ways[i].retired_pkts[id], ways[0].retired_pkts[id]);
            cr_assert_eq(ways[i].retired_bytes[id],
                         ways[0].retired_bytes[id]);
        }
    }
    /* the general ways never take the port shortcut */
    cr_assert_eq(dp_worker_stats(ways[2].w)->port_decided, 0);
    cr_assert_eq(dp_worker_stats(ways[3].w)->port_decided, 0);
}

/* A train's next frame (@f, @len bytes, a copy of the one before):
 * mostly the same; else one byte changed, among those lookups read or
 * the IPv4 identification and checksum (untagged or tagged), which they
 * do not; or the length, padding added or the frame cut. Frames stay
 * within way_output()'s 200 bytes. */
static void
train_vary(unsigned *seed, uint8_t *f, size_t *len)
{
    static const unsigned unread[] = { 18, 19, 24, 25, 22, 23, 28, 29 };
    size_t more, i;

    switch (t_rand(seed, 8)) {
    case 0:
        if (*len == 0)
            break;
        i = t_rand(seed, (unsigned)(*len < 60 ? *len : 60));
        f[i] ^= (uint8_t)(1 + t_rand(seed, 255));
        break;
    case 1:
        i = unread[t_rand(seed, 8)];
        if (i < *len)
            f[i] ^= (uint8_t)(1 + t_rand(seed, 255));
        break;
    case 2:
        more = t_rand(seed, 40);
        if (*len + more <= 200) {
            memset(f + *len, 0, more);
            *len += more;
        }
        break;
    case 3:
        *len -= t_rand(seed, (unsigned)(*len < 8 ? *len + 1 : 8));
        break;
    default:
        break;
    }
}

/* Bursts of every size from random ports, VXLAN frames on the underlay
 * port among them. */
static void
run_bursts(unsigned *seed, const char *what, unsigned rounds)
{
    static uint8_t frames[DP_BURST_MAX + 8][320];
    size_t lens[DP_BURST_MAX + 8];

    for (unsigned r = 0; r < rounds; r++) {
        unsigned n = 1 + t_rand(seed, DP_BURST_MAX + 7);
        /* 7: no flow names it; the first round from a port with no
         * tunnel, which a port-only table decides by the port */
        uint32_t in_port = r == 0 ? 2 : 1 + t_rand(seed, 7);
        /* a third of the bursts come in trains of frames that are the
         * same or nearly (one packet flow, or a few), which a burst
         * looks up once a train, or reads once (train_vary()) */
        bool trains = t_rand(seed, 3) == 0;
        char buf[96];

        for (unsigned p = 0; p < n; p++) {
            uint8_t f[160];

            if (trains && p > 0 && t_rand(seed, 4) != 0) {
                lens[p] = lens[p - 1];
                memcpy(frames[p], frames[p - 1], lens[p]);
                train_vary(seed, frames[p], &lens[p]);
                continue;
            }
            lens[p] = random_frame(seed, f);
            if (in_port == 1 && lens[p] >= 14 && t_rand(seed, 3) == 0)
                lens[p] = vxlan_frame(f, lens[p], frames[p]);
            else
                memcpy(frames[p], f, lens[p]);
        }
        snprintf(buf, sizeof(buf), "%s round %u (port %u, %u packets)", what,
                 r, in_port, n);
        ways_traffic(buf, frames, lens, n, in_port);
        /* the same burst again: its frames hit the frame cache (way 0)
         * where their answers need no header, and go as runs */
        ways_traffic(buf, frames, lens, n, in_port);
    }
}

/* Every shape, with a table 1 behind: the same answers four ways. */
Test(dp_fastpath, four_ways_every_shape, .timeout = 120)
{
    for (unsigned s = 0; s < S_SHAPES; s++) {
        uint64_t trained = 0, forwarded = 0, hits = 0;

        for (unsigned trial = 0; trial < 6; trial++) {
            unsigned seed = 1000 * s + trial;
            uint64_t id = 1;
            struct flow f;
            unsigned n = s == S_PORT ? 1 + t_rand(&seed, 8)
                                     : 5 + t_rand(&seed, 60);

            ways_create();
            for (unsigned i = 0; i < n; i++) {
                random_flow(&seed, (enum shape)s, &f);
                ways_put(id++, &f);
            }
            for (unsigned i = 0; i < 20; i++) {
                random_flow_t1(&seed, &f);
                ways_put(id++, &f);
            }
            ways_commit();
            run_bursts(&seed, shape_name[s], 40);
            ways_check_counters(shape_name[s]);
            if (s == S_PORT)
                cr_assert_gt(dp_worker_stats(ways[0].w)->port_decided, 0,
                             "trial %u: the port path was not taken", trial);
            if (s == S_L2)
                cr_assert_gt(dp_worker_stats(ways[0].w)->port_decided
                             + dp_worker_stats(ways[0].w)->l2_decided, 0,
                             "trial %u: no shortcut taken", trial);
            cr_assert_eq(dp_worker_stats(ways[2].w)->l2_decided, 0);
            /* trains: the fast burst way only */
            for (unsigned i = 1; i < N_WAYS; i++)
                cr_assert_eq(dp_worker_stats(ways[i].w)->train_decided, 0);
            trained += dp_worker_stats(ways[0].w)->train_decided;
            forwarded += ways[0].forwards;
            hits += dp_worker_stats(ways[0].w)->frame_hits;
            ways_destroy();
        }
        if (s != S_PORT && s != S_L2)
            cr_assert_gt(trained, 0, "%s: no train taken", shape_name[s]);
        if (s == S_PORT)
            cr_assert_gt(forwarded, 0, "no port-decided burst was given "
                         "whole to the forward callback");
        if (s != S_PORT && s != S_L2)
            cr_assert_gt(hits, 0, "%s: no frame-cache hit", shape_name[s]);
    }
}

/* Whether @f looks at more than the in_port. */
static bool
looks_further(const struct flow *f)
{
    struct flow_key m = f->match.mask;
    static const struct flow_key zero;

    m.in_port = 0;
    return memcmp(&m, &zero, sizeof(m)) != 0;
}

/* A port-only rule set gains and loses flows that look further (moving
 * the table between the port path and the general one), and its own
 * flows change, between bursts; counters stay right across modifications
 * and deletions. */
Test(dp_fastpath, rule_set_changes_between_bursts, .timeout = 120)
{
    unsigned seed = 99;
    uint64_t port_ids[8] = { 0 }, wide_id = 0, next = 1;
    bool wide = false;
    struct flow f;

    ways_create();
    for (unsigned step = 0; step < 120; step++) {
        uint64_t before = dp_worker_stats(ways[0].w)->port_decided;
        unsigned k = t_rand(&seed, 8);

        switch (t_rand(&seed, 4)) {
        case 0:                             /* modify or add a port flow */
            random_flow(&seed, S_PORT, &f);
            if (port_ids[k] == 0)
                port_ids[k] = next++;
            ways_put(port_ids[k], &f);
            break;
        case 1:
            if (port_ids[k] != 0) {
                ways_del(port_ids[k]);
                port_ids[k] = 0;
            }
            break;
        default:                            /* the table widens or not */
            if (wide_id != 0) {
                ways_del(wide_id);
                wide_id = 0;
                wide = false;
            } else {
                random_flow(&seed, (enum shape)(1 + t_rand(&seed, 3)), &f);
                wide_id = next++;
                wide = looks_further(&f);
                ways_put(wide_id, &f);
            }
            break;
        }
        cr_assert_lt(next, N_IDS);
        ways_commit();
        run_bursts(&seed, wide ? "general" : "port", 3);
        if (wide)
            cr_assert_eq(dp_worker_stats(ways[0].w)->port_decided, before,
                         "step %u: a wide table took the port path", step);
        else
            cr_assert_gt(dp_worker_stats(ways[0].w)->port_decided, before,
                         "step %u: a port table did not", step);
    }
    ways_check_counters("changes");
    ways_destroy();
}

/* ---- a publisher racing the workers ---- */

#define C_PORT      5u
#define C_SPAN      64u     /* output ports 10..73 tell the versions apart */

static struct dp *c_dp;
static bool c_stop;
static unsigned long c_packets, c_bytes, c_bad;

struct c_reader {
    struct dp_worker *w;
    unsigned n;
    uint32_t port[32];          /* the outputs of one burst */
};

static void
c_output(void *ctx, const struct dp_output *o)
{
    struct c_reader *c = ctx;

    if (c->n < 32)
        c->port[c->n] = o->port;
    c->n++;
}

/* Whether every output of the burst went where a snapshot published
 * between versions @lo and @hi sends it. */
static bool
c_outputs_ok(const struct c_reader *c, uint64_t lo, uint64_t hi)
{
    if (c->n != 32)
        return false;
    for (unsigned i = 0; i < c->n; i++) {
        bool ok = hi - lo >= C_SPAN;

        for (uint64_t v = lo; v <= hi && !ok; v++)
            ok = c->port[i] == 10 + v % C_SPAN;
        if (!ok)
            return false;
    }
    return true;
}

static void *
c_run(void *arg)
{
    struct c_reader *c = arg;
    const struct dp_cls *cls = dp_classifier(c_dp);
    uint8_t frame[128];
    size_t len = t_frame_ip4(frame, -1, 17, 1, 2, 10);
    unsigned long packets = 0, bytes = 0;

    dp_worker_online(c->w);
    while (!__atomic_load_n(&c_stop, __ATOMIC_ACQUIRE)) {
        struct t_pkt tp[32];
        struct dp_buf bufs[32];
        uint64_t lo, hi;

        for (unsigned i = 0; i < 32; i++) {
            t_pkt_load(&tp[i], frame, len - (i & 3));
            bufs[i] = tp[i].buf;
            bytes += len - (i & 3);
        }
        /* whatever snapshot the burst uses was published between these
         * two reads */
        lo = dp_cls_snap_version(dp_cls_snap_get(cls));
        c->n = 0;
        dp_worker_process_burst(c->w, bufs, 32, C_PORT, c_output, c);
        hi = dp_cls_snap_version(dp_cls_snap_get(cls));
        if (!c_outputs_ok(c, lo, hi))
            __atomic_fetch_add(&c_bad, 1, __ATOMIC_RELAXED);
        packets += 32;
        dp_worker_quiesce(c->w);
    }
    dp_worker_offline(c->w);
    __atomic_fetch_add(&c_packets, packets, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c_bytes, bytes, __ATOMIC_RELAXED);
    return NULL;
}

/* The flow every packet takes, in_port=5 -> output to a port that names
 * the snapshot version it was published in. */
static void
c_main_flow(uint64_t version, struct flow *f)
{
    memset(f, 0, sizeof(*f));
    flow_match_init_catchall(&f->match);
    f->match.mask.in_port = UINT32_MAX;
    f->match.value.in_port = C_PORT;
    f->priority = 10;
    act_output(f, 10 + (uint32_t)(version % C_SPAN));
}

/* A flow no packet matches that makes the table look past the port. */
static void
c_wide_flow(struct flow *f)
{
    memset(f, 0, sizeof(*f));
    flow_match_init_catchall(&f->match);
    f->match.mask.dl_type = 0xffff;
    f->match.value.dl_type = htons(0x0800);
    f->match.mask.nw_dst = UINT32_MAX;
    f->match.value.nw_dst = htonl(0x0a090909u);
    f->priority = 100;
}

Test(dp_fastpath, publisher_races_workers, .timeout = 60)
{
    struct c_reader readers[2];
    pthread_t th[2];
    uint64_t version, start, packets = 0, bytes = 0, decided = 0;
    struct dp_worker_stats seen[2] = { 0 };
    unsigned long publishes = 0;
    struct flow f;

    snic_role_enter(&snic_control);
    c_dp = dp_create(NULL, NULL);
    cr_assert_not_null(c_dp);
    version = dp_cls_snap_version(dp_cls_snap_get(dp_classifier(c_dp))) + 1;
    c_main_flow(version, &f);
    cr_assert_eq(dp_flow_put(c_dp, 1, &f), 0);
    cr_assert_eq(dp_commit(c_dp), 0);
    __atomic_store_n(&c_stop, false, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++) {
        readers[i].w = dp_worker_create(c_dp);
        cr_assert_not_null(readers[i].w);
        cr_assert_eq(pthread_create(&th[i], NULL, c_run, &readers[i]), 0);
    }
    start = snic_now_ns();
    while (snic_now_ns() - start < 1000000000ull) {
        version++;
        c_main_flow(version, &f);
        cr_assert_eq(dp_flow_put(c_dp, 1, &f), 0);
        /* every other version the table is general, then by port again */
        if (version % 2 == 0) {
            c_wide_flow(&f);
            cr_assert_eq(dp_flow_put(c_dp, 2, &f), 0);
        } else if (publishes > 0) {
            cr_assert_eq(dp_flow_del(c_dp, 2), 0);
        }
        cr_assert_eq(dp_commit(c_dp), 0);
        cr_assert_eq(dp_cls_snap_version(dp_cls_snap_get(
                         dp_classifier(c_dp))), version);
        dp_poll(c_dp);
        publishes++;
        /* the workers' counters, read while they count (a data race
         * unless both sides are atomic: scripts/test --tsan) */
        for (int i = 0; i < 2; i++) {
            struct dp_worker_stats st;

            dp_worker_stats_read(readers[i].w, &st);
            cr_assert_geq(st.packets, seen[i].packets);
            cr_assert_geq(st.outputs, seen[i].outputs);
            seen[i] = st;
        }
    }
    __atomic_store_n(&c_stop, true, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++) {
        struct dp_worker_stats st;

        pthread_join(th[i], NULL);
        decided += dp_worker_stats(readers[i].w)->port_decided;
        /* a stopped worker's copy is its counters, every field */
        dp_worker_stats_read(readers[i].w, &st);
        cr_assert_eq(memcmp(&st, dp_worker_stats(readers[i].w),
                            sizeof(st)), 0);
        cr_assert_gt(st.packets, 0);
    }
    cr_assert_eq(dp_flow_stats(c_dp, 1, &packets, &bytes), 0);
    cr_log_info("%lu publishes, %lu packets, %llu decided by port",
                publishes, __atomic_load_n(&c_packets, __ATOMIC_RELAXED),
                (unsigned long long)decided);
    cr_expect_gt(publishes, 50);
    cr_expect_gt(decided, 0);
    cr_expect_eq(__atomic_load_n(&c_bad, __ATOMIC_RELAXED), 0,
                 "outputs from no version a burst could have seen");
    /* a modified flow keeps its counter: every packet, every byte */
    cr_expect_eq(packets, __atomic_load_n(&c_packets, __ATOMIC_RELAXED));
    cr_expect_eq(bytes, __atomic_load_n(&c_bytes, __ATOMIC_RELAXED));
    for (int i = 0; i < 2; i++)
        dp_worker_destroy(readers[i].w);
    dp_destroy(c_dp);
}
