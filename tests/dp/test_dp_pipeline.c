/* SPDX-License-Identifier: BSD-3-Clause */
/* One packet through the tables: goto_table, misses, counters, tunnels. */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>

#include "dp_test_flows.h"

#define MAX_OUT 16

struct capture {
    unsigned n;
    uint32_t port[MAX_OUT], tx_port[MAX_OUT];
    size_t len[MAX_OUT];
    uint8_t frame[MAX_OUT][512];
};

static void
capture(void *ctx, const struct dp_output *out)
{
    struct capture *c = ctx;

    cr_assert_lt(c->n, MAX_OUT);
    c->port[c->n] = out->port;
    c->tx_port[c->n] = out->tx_port;
    c->len[c->n] = out->len;
    memcpy(c->frame[c->n], out->frame, out->len);
    c->n++;
}

static unsigned
process(struct dp_worker *w, const uint8_t *f, size_t len, uint32_t in_port,
        struct capture *cap)
{
    struct t_pkt tp;
    unsigned n;

    memset(cap, 0, sizeof(*cap));
    t_pkt_load(&tp, f, len);
    dp_worker_online(w);
    n = dp_worker_process(w, &tp.buf, in_port, capture, cap);
    dp_worker_quiesce(w);
    dp_worker_offline(w);
    return n;
}

static void
add(struct flow_table *ft, const char *line)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0,
                 "%s: %s", line, err.msg);
    cr_assert_eq(flow_table_apply(ft, &fm, 0), 1, "%s", line);
}

/* A random frame from the pools of dp_test_flows.h. */
static size_t
random_frame(unsigned *seed, uint8_t *f)
{
    int tci = t_rand(seed, 2) ? (int)(t_rand(seed, 4) | t_rand(seed, 2) << 13)
                              : -1;
    size_t n;

    switch (t_rand(seed, 4)) {
    case 0:
    case 1: {
        uint8_t proto = t_rand(seed, 2) ? 6 : 17;
        uint32_t src = t_pool_ip(seed), dst = t_pool_ip(seed);
        size_t l3 = tci >= 0 ? 18 : 14;

        n = t_frame_ip4(f, tci, proto, 1000,
                        (uint16_t)(t_ports[t_rand(seed, 4)] + t_rand(seed, 2)),
                        t_rand(seed, 20));
        memcpy(f + l3 + 12, &src, 4);
        memcpy(f + l3 + 16, &dst, 4);
        f[l3 + 1] = (uint8_t)(t_rand(seed, 3) << 2);
        break;
    }
    case 2:
        n = t_frame_ip6(f, 17, 1, 2, 8);
        f[14 + 24 + 15] = (uint8_t)t_rand(seed, 4);
        break;
    default:
        n = t_eth(f, 0x0806, tci);
        memset(f + n, 0, 28);
        n += 28;
        break;
    }
    f[5] = (uint8_t)t_rand(seed, 8);
    return n;
}

Test(dp_pipeline, differential_goto_tables, .timeout = 60)
{
    static const unsigned seeds[] = { 3, 17, 2024 };

    snic_role_enter(&snic_control);
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        unsigned seed = seeds[s];
        struct dp *dp = dp_create(NULL, NULL);
        struct flow_table *ft = flow_table_create(dp_flow_table_listener, dp);
        struct dp_worker *w = dp_worker_create(dp);
        static uint64_t hits[4096];
        uint64_t max_id = 0;

        cr_assert(dp && ft && w);
        memset(hits, 0, sizeof(hits));
        for (int i = 0; i < 400; i++) {
            struct flow_mod fm;

            t_random_add(&seed, t_rand(&seed, 4), 4, &fm);
            cr_assert_eq(flow_table_apply(ft, &fm, 0), 1);
        }
        cr_assert_eq(dp_commit(dp), 0);
        for (int i = 0; i < 3000; i++) {
            uint8_t f[256];
            size_t n = random_frame(&seed, f);
            uint32_t in_port = 1 + t_rand(&seed, 4);
            struct capture cap;
            struct flow_key key;
            unsigned table = 0, want_n = 0;
            uint32_t want[MAX_OUT];

            /* the reference: flow_table_lookup() table after table */
            dp_extract(f, n, in_port, &key, NULL);
            for (;;) {
                const struct flow_entry *e = flow_table_lookup(ft, table, &key);
                const struct flow_action *last;

                if (e == NULL)
                    break;
                hits[e->id]++;
                if (e->id > max_id)
                    max_id = e->id;
                for (unsigned a = 0; a < e->flow.n_actions; a++)
                    if (e->flow.actions[a].type == FLOW_ACT_OUTPUT
                        && e->flow.actions[a].u.port != in_port)
                        want[want_n++] = e->flow.actions[a].u.port;
                if (e->flow.n_actions == 0)
                    break;
                last = &e->flow.actions[e->flow.n_actions - 1];
                if (last->type != FLOW_ACT_GOTO_TABLE)
                    break;
                table = last->u.table;
            }
            cr_assert_eq(process(w, f, n, in_port, &cap), want_n,
                         "seed %u packet %d", seeds[s], i);
            for (unsigned o = 0; o < want_n; o++) {
                cr_assert_eq(cap.port[o], want[o], "seed %u packet %d",
                             seeds[s], i);
                cr_assert_eq(cap.len[o], n);
                cr_assert_arr_eq(cap.frame[o], f, n);
            }
        }
        /* per-flow software counters agree with the reference walk */
        for (uint64_t id = 1; id <= max_id; id++) {
            uint64_t p = 0, b = 0;

            if (dp_flow_stats(dp, id, &p, &b) == 0)
                cr_assert_eq(p, hits[id], "seed %u flow %llu", seeds[s],
                             (unsigned long long)id);
            else
                cr_assert_eq(hits[id], 0);
        }
        dp_worker_destroy(w);
        flow_table_destroy(ft);
        dp_destroy(dp);
    }
}

struct retired {
    uint64_t id, packets, bytes;
    unsigned n;
};

static void
on_retired(void *ctx, uint64_t id, uint64_t packets, uint64_t bytes)
{
    struct retired *r = ctx;

    r->id = id;
    r->packets = packets;
    r->bytes = bytes;
    r->n++;
}

Test(dp_pipeline, goto_sees_modified_packet_and_counters)
{
    snic_role_enter(&snic_control);
    struct retired ret = { 0 };
    struct dp *dp = dp_create(on_retired, &ret);
    struct flow_table *ft = flow_table_create(dp_flow_table_listener, dp);
    struct dp_worker *w = dp_worker_create(dp);
    struct capture cap;
    uint8_t f[256];
    size_t n = t_frame_ip4(f, -1, 6, 1000, 80, 0);
    uint64_t p, b;

    add(ft, "table=0,priority=10,in_port=1,tcp actions=mod_vlan_vid:5,"
            "mod_tp_dst:8080,goto_table:1");
    add(ft, "table=1,priority=10,dl_vlan=5,tcp,tp_dst=8080 actions=output:2,"
            "strip_vlan,dec_ttl,output:3");
    add(ft, "table=1,priority=5 actions=output:9");
    cr_assert_eq(dp_commit(dp), 0);

    cr_assert_eq(process(w, f, n, 1, &cap), 2);
    cr_expect_eq(cap.port[0], 2);
    cr_expect_eq(cap.len[0], n + 4);
    cr_expect_eq(t_rd16(cap.frame[0] + 14), 5);
    cr_expect_eq(t_rd16(cap.frame[0] + 18 + 22), 8080);
    cr_expect_eq(cap.port[1], 3);
    cr_expect_eq(cap.len[1], n);
    cr_expect_eq(cap.frame[1][22], 63);
    cr_expect(t_ipv4_ok(cap.frame[1] + 14));
    cr_expect(t_l4_ok(cap.frame[1] + 14, cap.frame[1] + 34, 20, 6));

    /* a miss in table 0 drops */
    cr_expect_eq(process(w, f, n, 4, &cap), 0);
    cr_expect_eq(dp_worker_stats(w)->misses, 1);
    cr_expect_eq(dp_worker_stats(w)->packets, 2);

    cr_assert_eq(dp_flow_stats(dp, 1, &p, &b), 0);
    cr_expect_eq(p, 1);
    cr_expect_eq(b, n);
    cr_assert_eq(dp_flow_stats(dp, 2, &p, &b), 0);
    cr_expect_eq(b, n + 4);          /* counted as it was in table 1 */

    /* a deleted flow reports its final counts once its slot is reclaimed,
     * and counts survive the worker that made them */
    process(w, f, n, 1, &cap);
    dp_worker_destroy(w);
    cr_assert_eq(flow_table_apply(ft, &(struct flow_mod){
                     .cmd = FLOW_CMD_DELETE, .out_port = FLOW_PORT_ANY,
                     .flow.table_id = 0 }, 0), 1);
    cr_assert_eq(dp_commit(dp), 0);
    dp_synchronize(dp);
    cr_expect_eq(ret.n, 1);
    cr_expect_eq(ret.id, 1);
    cr_expect_eq(ret.packets, 2);
    cr_expect_eq(ret.bytes, 2 * n);
    cr_expect_eq(dp_flow_stats(dp, 1, &p, &b), -ENOENT);
    flow_table_destroy(ft);
    dp_destroy(dp);
}

Test(dp_pipeline, vxlan_through_two_datapaths)
{
    snic_role_enter(&snic_control);
    struct dp_vxlan_port a = {
        .ofport = 100, .underlay_port = 1,
        .local_mac = { 2, 0, 0, 0, 0, 0xa }, .remote_mac = { 2, 0, 0, 0, 0, 0xb },
    }, b;
    struct dp *dpa = dp_create(NULL, NULL), *dpb = dp_create(NULL, NULL);
    struct flow_table *fta = flow_table_create(dp_flow_table_listener, dpa);
    struct flow_table *ftb = flow_table_create(dp_flow_table_listener, dpb);
    struct dp_worker *wa = dp_worker_create(dpa), *wb = dp_worker_create(dpb);
    struct capture cap, cap2;
    uint8_t f[256];
    size_t n = t_frame_ip4(f, 0x0003, 17, 1234, 53, 11);

    inet_pton(AF_INET, "192.0.2.1", &a.local_ip);
    inet_pton(AF_INET, "192.0.2.2", &a.remote_ip);
    b = a;
    b.local_ip = a.remote_ip;
    b.remote_ip = a.local_ip;
    cr_assert_eq(dp_set_vxlan_ports(dpa, &a, 1), 0);
    cr_assert_eq(dp_set_vxlan_ports(dpb, &b, 1), 0);

    add(fta, "in_port=2 actions=set_tunnel:0x77,goto_table:1");
    add(fta, "table=1,tun_id=0x77 actions=output:100,output:5");
    add(ftb, "in_port=100,tun_id=0x77,tun_src=192.0.2.1,dl_vlan=3 "
             "actions=output:3");
    cr_assert_eq(dp_commit(dpa), 0);
    cr_assert_eq(dp_commit(dpb), 0);

    cr_assert_eq(process(wa, f, n, 2, &cap), 2);
    cr_expect_eq(cap.port[0], 100);
    cr_expect_eq(cap.tx_port[0], 1);
    cr_assert_eq(cap.len[0], n + DP_VXLAN_OVERHEAD);
    /* the packet goes on unencapsulated after the tunnel output */
    cr_expect_eq(cap.port[1], 5);
    cr_expect_arr_eq(cap.frame[1], f, n);

    cr_assert_eq(process(wb, cap.frame[0], cap.len[0], 1, &cap2), 1);
    cr_expect_eq(cap2.port[0], 3);
    cr_assert_eq(cap2.len[0], n);
    cr_expect_arr_eq(cap2.frame[0], f, n);

    /* a VXLAN frame that is ours but broken is dropped and counted */
    cap.frame[0][42] = 0;
    cr_expect_eq(process(wb, cap.frame[0], cap.len[0], 1, &cap2), 0);
    cr_expect_eq(dp_worker_stats(wb)->tunnel_drops, 1);

    dp_worker_destroy(wa);
    dp_worker_destroy(wb);
    flow_table_destroy(fta);
    flow_table_destroy(ftb);
    dp_destroy(dpa);
    dp_destroy(dpb);
}

/* output(max_len) on a decapsulated packet counts from the inner frame,
 * the packet the tables see (as Open vSwitch's bridge sees it), not from
 * the VXLAN frame that came in. */
Test(dp_pipeline, output_trunc_after_decap_counts_from_the_inner_frame)
{
    snic_role_enter(&snic_control);
    struct dp_vxlan_port a = {
        .ofport = 100, .underlay_port = 1,
        .local_mac = { 2, 0, 0, 0, 0, 0xa }, .remote_mac = { 2, 0, 0, 0, 0, 0xb },
    }, b;
    struct dp *dpa = dp_create(NULL, NULL), *dpb = dp_create(NULL, NULL);
    struct flow_table *fta = flow_table_create(dp_flow_table_listener, dpa);
    struct flow_table *ftb = flow_table_create(dp_flow_table_listener, dpb);
    struct dp_worker *wa = dp_worker_create(dpa), *wb = dp_worker_create(dpb);
    struct capture cap, cap2;
    uint8_t f[256];
    size_t n = t_frame_ip4(f, -1, 17, 1234, 53, 40);

    inet_pton(AF_INET, "192.0.2.1", &a.local_ip);
    inet_pton(AF_INET, "192.0.2.2", &a.remote_ip);
    b = a;
    b.local_ip = a.remote_ip;
    b.remote_ip = a.local_ip;
    cr_assert_eq(dp_set_vxlan_ports(dpa, &a, 1), 0);
    cr_assert_eq(dp_set_vxlan_ports(dpb, &b, 1), 0);
    add(fta, "in_port=2 actions=set_tunnel:0x77,output:100");
    add(ftb, "in_port=100 actions=output(port=3,max_len=30),"
             "output(port=4,max_len=20)");
    cr_assert_eq(dp_commit(dpa), 0);
    cr_assert_eq(dp_commit(dpb), 0);

    cr_assert_eq(process(wa, f, n, 2, &cap), 1);
    cr_assert_eq(cap.len[0], n + DP_VXLAN_OVERHEAD);
    cr_assert_eq(process(wb, cap.frame[0], cap.len[0], 1, &cap2), 2,
                 "a cut counted on the VXLAN frame leaves too little");
    cr_expect_eq(cap2.len[0], 30);
    cr_expect_arr_eq(cap2.frame[0], f, 30);
    cr_expect_eq(cap2.len[1], 20);

    dp_worker_destroy(wa);
    dp_worker_destroy(wb);
    flow_table_destroy(fta);
    flow_table_destroy(ftb);
    dp_destroy(dpa);
    dp_destroy(dpb);
}

/* ---- a burst gets the treatment its packets get one by one ---- */

#define BURST_OUT   512

struct burst_capture {
    unsigned n;
    unsigned pkt[BURST_OUT];
    uint32_t port[BURST_OUT];
    size_t len[BURST_OUT];
    uint8_t frame[BURST_OUT][320];
};

static void
burst_capture(void *ctx, const struct dp_output *out)
{
    struct burst_capture *c = ctx;

    cr_assert_lt(c->n, BURST_OUT);
    cr_assert_leq(out->len, sizeof(c->frame[0]));
    c->pkt[c->n] = out->pkt;
    c->port[c->n] = out->port;
    c->len[c->n] = out->len;
    memcpy(c->frame[c->n], out->frame, out->len);
    c->n++;
}

/* Put a header rewrite in front of the flow's actions now and then, so
 * the packets of a burst do not all leave as they came. */
static void
random_rewrite(unsigned *seed, struct flow_mod *fm)
{
    struct flow_action a = { 0 };

    if (fm->flow.n_actions == 0 || t_rand(seed, 2) == 0)
        return;
    switch (t_rand(seed, 4)) {
    case 0:
        a.type = FLOW_ACT_MOD_VLAN_VID;
        a.u.vlan.vid = htons((uint16_t)(1 + t_rand(seed, 4000)));
        a.u.vlan.push_if_untagged = 1;
        break;
    case 1:
        a.type = FLOW_ACT_MOD_NW_DST;
        a.u.ipv4 = htonl(0x0a000000u + t_rand(seed, 256));
        break;
    case 2:
        a.type = FLOW_ACT_DEC_TTL;
        break;
    default:
        a.type = FLOW_ACT_STRIP_VLAN;
        break;
    }
    memmove(&fm->flow.actions[1], &fm->flow.actions[0],
            fm->flow.n_actions * sizeof(a));
    fm->flow.actions[0] = a;
    fm->flow.n_actions++;
}

Test(dp_pipeline, burst_equals_one_by_one, .timeout = 60)
{
    static const unsigned seeds[] = { 5, 77, 4242 };
    static struct burst_capture one, many;
    static struct t_pkt pa[DP_BURST_MAX + 3], pb[DP_BURST_MAX + 3];

    snic_role_enter(&snic_control);
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        unsigned seed = seeds[s];
        struct dp *dp = dp_create(NULL, NULL);
        struct flow_table *ft = flow_table_create(dp_flow_table_listener, dp);
        struct dp_worker *w = dp_worker_create(dp);

        cr_assert(dp && ft && w);
        for (int i = 0; i < 300; i++) {
            struct flow_mod fm;

            t_random_add(&seed, t_rand(&seed, 3), 3, &fm);
            random_rewrite(&seed, &fm);
            cr_assert_eq(flow_table_apply(ft, &fm, 0), 1);
        }
        cr_assert_eq(dp_commit(dp), 0);
        dp_worker_online(w);
        /* sizes 1..DP_BURST_MAX + 3: the last ones take two rounds */
        for (unsigned size = 1; size <= DP_BURST_MAX + 3; size++) {
            uint32_t in_port = 1 + t_rand(&seed, 4);
            struct dp_buf bufs[DP_BURST_MAX + 3];
            unsigned n_one = 0, n_many;

            for (unsigned i = 0; i < size; i++) {
                uint8_t f[256];
                size_t n = random_frame(&seed, f);

                t_pkt_load(&pa[i], f, n);
                t_pkt_load(&pb[i], f, n);
                bufs[i] = pb[i].buf;
            }
            memset(&one, 0, sizeof(one));
            memset(&many, 0, sizeof(many));
            for (unsigned i = 0; i < size; i++) {
                unsigned first = one.n;

                n_one += dp_worker_process(w, &pa[i].buf, in_port,
                                           burst_capture, &one);
                for (unsigned o = first; o < one.n; o++)
                    one.pkt[o] = i;
            }
            n_many = dp_worker_process_burst(w, bufs, size, in_port,
                                             burst_capture, &many);
            cr_assert_eq(n_many, n_one, "seed %u burst %u", seeds[s], size);
            cr_assert_eq(many.n, one.n);
            for (unsigned o = 0; o < one.n; o++) {
                cr_assert_eq(many.pkt[o], one.pkt[o], "seed %u burst %u "
                             "output %u", seeds[s], size, o);
                cr_assert_eq(many.port[o], one.port[o]);
                cr_assert_eq(many.len[o], one.len[o]);
                cr_assert_arr_eq(many.frame[o], one.frame[o], one.len[o],
                                 "seed %u burst %u output %u: frames differ",
                                 seeds[s], size, o);
            }
            for (unsigned i = 0; i < size; i++) {
                cr_assert_eq(bufs[i].len, pa[i].buf.len);
                cr_assert_arr_eq(bufs[i].data, pa[i].buf.data, bufs[i].len);
            }
            dp_worker_quiesce(w);
        }
        /* these flow sets are wide enough for the exact-match cache: the
         * burst went through its burst path too, not only the
         * classifier's */
        cr_assert_gt(dp_worker_stats(w)->emc_hits, 0, "seed %u: no EMC hit",
                     seeds[s]);
        dp_worker_offline(w);
        dp_worker_destroy(w);
        flow_table_destroy(ft);
        dp_destroy(dp);
    }
}
