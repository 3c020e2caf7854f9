/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn(...) in the datapath: the flow a packet learns reaches the control
 * thread through the worker's ring (dp_learn_drain()), goes into the flow
 * table, and the packets after it are switched by it; a flow still waiting
 * in the ring is not queued twice; a full ring drops and counts; a learn's
 * limit caps the flows of its cookie.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "dp_test_env.h"

struct capture {
    unsigned n;
    uint32_t port[16];
};

static void
capture(void *ctx, const struct dp_output *out)
{
    struct capture *c = ctx;

    if (c->n < 16)
        c->port[c->n] = out->port;
    c->n++;
}

static void
apply(void *ctx, const struct flow_mod *fm)
{
    struct dp_env *e = ctx;

    cr_assert_geq(flow_table_learn(e->ft, fm, e->now), 0);
}

static void
apply_fin(void *ctx, uint64_t id, uint16_t idle, uint16_t hard)
{
    struct dp_env *e = ctx;

    cr_assert_geq(flow_table_fin_timeout(e->ft, id, idle, hard), 0);
}

static size_t
drain(struct dp_env *e)
{
    snic_role_enter(&snic_control);
    size_t n = dp_learn_drain(e->dp, apply, apply_fin, e);

    cr_assert_eq(dp_commit(e->dp), 0);
    return n;
}

/* A UDP frame from MAC ...:src to MAC ...:dst on @in_port. */
static unsigned
send_frame(struct dp_env *e, uint32_t in_port, uint8_t src, uint8_t dst,
     struct capture *cap)
{
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 1000, 53, 0);
    struct t_pkt tp;
    unsigned outs;

    f[5] = dst;
    f[11] = src;
    memset(cap, 0, sizeof(*cap));
    t_pkt_load(&tp, f, n);
    dp_worker_online(e->w);
    outs = dp_worker_process(e->w, &tp.buf, in_port, capture, cap);
    dp_worker_quiesce(e->w);
    dp_worker_offline(e->w);
    return outs;
}

static const char *const mac_learning[] = {
    "table=0,priority=1,actions=learn(table=1,hard_timeout=10,"
    "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),"
    "resubmit(,1)",
    "table=1,priority=0,actions=output:9",
    NULL,
};

Test(dp_learn, the_learned_flow_switches_the_next_packets)
{
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 1000000000ull, mac_learning);
    /* nothing known about 0x0b yet: the catch-all */
    cr_assert_eq(send_frame(&e, 3, 0x0a, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 9);
    cr_assert_eq(drain(&e), 1);
    cr_assert_eq(flow_table_count(e.ft, 1), 2);
    /* 0x0a was learned behind port 3 */
    cr_assert_eq(send_frame(&e, 4, 0x0b, 0x0a, &cap), 1);
    cr_assert_eq(cap.port[0], 3);
    cr_assert_eq(drain(&e), 1);
    cr_assert_eq(send_frame(&e, 3, 0x0a, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 4);
    cr_assert_eq(dp_worker_stats(e.w)->learns, 3);
    dp_env_fini(&e);
}

Test(dp_learn, a_flow_waiting_in_the_ring_is_not_queued_again)
{
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 1000000000ull, mac_learning);
    for (int i = 0; i < 5; i++)
        send_frame(&e, 3, 0x0a, 0x0b, &cap);
    cr_assert_eq(dp_worker_stats(e.w)->learns, 1);
    cr_assert_eq(dp_worker_stats(e.w)->learn_dups, 4);
    cr_assert_eq(drain(&e), 1);
    /* drained: the next one is queued again (a refresh) */
    send_frame(&e, 3, 0x0a, 0x0b, &cap);
    cr_assert_eq(dp_worker_stats(e.w)->learns, 2);
    cr_assert_eq(drain(&e), 1);
    cr_assert_eq(flow_table_count(e.ft, 1), 2);
    dp_env_fini(&e);
}

Test(dp_learn, a_full_ring_drops_and_counts)
{
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 1000000000ull, mac_learning);
    for (unsigned i = 0; i < DP_LEARN_RING + 6; i++)
        send_frame(&e, 3, (uint8_t)(0x10 + i), 0x0b, &cap);
    cr_assert_eq(dp_worker_stats(e.w)->learns, DP_LEARN_RING);
    cr_assert_eq(dp_worker_stats(e.w)->learn_drops, 6);
    cr_assert_eq(drain(&e), DP_LEARN_RING);
    cr_assert_eq(flow_table_count(e.ft, 1), 1 + DP_LEARN_RING);
    dp_env_fini(&e);
}

/* the learn reads the packet as the actions before it left it: a
 * register loaded before it, a rewritten source MAC */
Test(dp_learn, learn_sees_the_packet_as_modified_so_far)
{
    static const char *const flows[] = {
        "table=0,priority=1,actions=load:7->NXM_NX_REG0[0..15],"
        "mod_dl_src:02:00:00:00:00:33,"
        "learn(table=2,priority=5,idle_timeout=3,cookie=0x99,"
        "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_NX_REG0[0..15]),"
        "output:1",
        NULL,
    };
    struct dp_env e;
    struct capture cap;
    struct flow_key k = { 0 };
    const struct flow_entry *le;

    dp_env_init(&e, 1000000000ull, flows);
    send_frame(&e, 3, 0x0a, 0x0b, &cap);
    cr_assert_eq(drain(&e), 1);
    cr_assert_eq(flow_table_count(e.ft, 2), 1);
    k.dl_dst[0] = 0x02;
    k.dl_dst[5] = 0x33;
    le = flow_table_lookup(e.ft, 2, &k);
    cr_assert_not_null(le);
    cr_assert_eq(le->flow.priority, 5);
    cr_assert_eq(le->flow.idle_timeout, 3);
    cr_assert_eq(le->flow.cookie, 0x99);
    cr_assert_eq(le->flow.n_actions, 1);
    cr_assert_eq(le->flow.actions[0].type, FLOW_ACT_OUTPUT);
    cr_assert_eq(le->flow.actions[0].u.port, 7);
    dp_env_fini(&e);
}

/* fin_timeout: a TCP packet with FIN (or RST) shortens the flow's
 * timeouts through the same ring; one without does nothing */
Test(dp_learn, fin_timeout_shortens_its_flows_timeouts)
{
    static const char *const flows[] = {
        "table=0,priority=1,idle_timeout=60,tcp,"
        "actions=fin_timeout(idle_timeout=5),output:2",
        NULL,
    };
    struct dp_env e;
    struct capture cap;
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 6, 1000, 80, 0);
    struct t_pkt tp;

    dp_env_init(&e, 1000000000ull, flows);
    for (int fin = 0; fin < 2; fin++) {
        f[14 + 20 + 13] = fin ? 0x11 : 0x10;    /* ACK, FIN+ACK */
        t_pkt_load(&tp, f, n);
        memset(&cap, 0, sizeof(cap));
        dp_worker_online(e.w);
        cr_assert_eq(dp_worker_process(e.w, &tp.buf, 1, capture, &cap), 1);
        dp_worker_quiesce(e.w);
        dp_worker_offline(e.w);
        cr_assert_eq(drain(&e), (size_t)fin);
        cr_assert_eq(flow_table_find(e.ft, 1)->flow.idle_timeout,
                     fin ? 5 : 60);
    }
    dp_env_fini(&e);
}

/* learn(limit=N): what the control thread refuses past the limit */
static unsigned limit_refused;

static void
apply_limited(void *ctx, const struct flow_mod *fm)
{
    struct dp_env *e = ctx;
    int rc = flow_table_learn(e->ft, fm, e->now);

    if (rc == -ENOSPC)
        limit_refused++;
    else
        cr_assert_geq(rc, 0);
}

/* Open vSwitch's learn limit test: one learn, limit=1, packets from three
 * MACs; only the first one's flow is learned, it is still refreshed, and
 * the others change nothing. The worker decides (the ledger): what the
 * limit refuses is not even queued. */
Test(dp_learn, a_learns_limit_caps_the_flows_of_its_cookie)
{
    static const char *const flows[] = {
        "table=0,in_port=1,actions=learn(table=1,cookie=0x1,limit=1,"
        "dl_dst=dl_src),output:2",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    limit_refused = 0;
    dp_env_init(&e, 1000000000ull, flows);
    for (uint8_t src = 0x0a; src < 0x0d; src++) {
        cr_assert_eq(send_frame(&e, 1, src, 0x0b, &cap), 1);
        cr_assert_eq(cap.port[0], 2);
        snic_role_enter(&snic_control);
        cr_assert_eq(dp_learn_drain(e.dp, apply_limited, NULL, &e),
                     src == 0x0a ? 1u : 0u);
        cr_assert_eq(dp_commit(e.dp), 0);
    }
    cr_assert_eq(flow_table_count(e.ft, 1), 1);
    cr_assert_eq(limit_refused, 0);
    cr_assert_eq(dp_worker_stats(e.w)->learn_limited, 2);
    /* the one learned is the first MAC's, and learning it again is a
     * refresh, not a refusal */
    cr_assert_eq(send_frame(&e, 1, 0x0a, 0x0b, &cap), 1);
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_learn_drain(e.dp, apply_limited, NULL, &e), 1);
    cr_assert_eq(limit_refused, 0);
    cr_assert_eq(flow_table_count(e.ft, 1), 1);
    dp_env_fini(&e);
}

/* Open vSwitch's MPLS test flow: pop_mpls:0x0800 then a learn reading
 * the IPv4 destination. The learn reads the packet as the pop left it
 * (Open vSwitch re-parses it after the pop), so an MPLS frame learns
 * its inner IPv4 header's address. */
Test(dp_learn, a_learn_after_pop_mpls_reads_the_inner_ipv4_header)
{
    static const char *const flows[] = {
        "table=0,cookie=0xd,actions=pop_mpls:0x0800,learn(table=1,"
        "hard_timeout=60,eth_type=0x800,nw_proto=6,"
        "OXM_OF_IPV4_SRC[]=OXM_OF_IPV4_DST[]),output:2",
        NULL,
    };
    struct dp_env e;
    struct capture cap;
    uint8_t ip[128], f[160];
    size_t n = t_frame_ip4(ip, -1, 6, 1000, 80, 0);
    struct flow_key k = { 0 };
    struct t_pkt tp;

    dp_env_init(&e, 1000000000ull, flows);
    /* Ethernet, one label with BOS, then the IPv4 packet */
    memcpy(f, ip, 12);
    t_wr16(f + 12, 0x8847);
    t_wr16(f + 14, 0x0002);
    t_wr16(f + 16, 0x0140);
    memcpy(f + 18, ip + 14, n - 14);
    t_pkt_load(&tp, f, n + 4);
    memset(&cap, 0, sizeof(cap));
    dp_worker_online(e.w);
    cr_assert_eq(dp_worker_process(e.w, &tp.buf, 1, capture, &cap), 1);
    dp_worker_quiesce(e.w);
    dp_worker_offline(e.w);
    cr_assert_eq(drain(&e), 1);
    k.dl_type = htons(0x0800);
    k.nw_proto = 6;
    k.nw_src = htonl(0x0a000002);       /* the inner packet's 10.0.0.2 */
    cr_assert_not_null(flow_table_lookup(e.ft, 1, &k));
    dp_env_fini(&e);
}

/* result_dst= (Open vSwitch's learn.at "learning action - limit
 * result_dst"): the packet carries whether it learned, decided by the
 * worker at packet time and done by the control thread as decided. Table
 * 2 tells the two apart: reg0=1 to port 3, else port 4. */
static const char *const result_flows[] = {
    "table=0,in_port=1,actions=learn(table=1,cookie=0x1,limit=2,"
    "result_dst=reg0[0],dl_dst=dl_src),resubmit(,2)",
    "table=2,priority=2,reg0=1,actions=output:3",
    "table=2,priority=1,actions=output:4",
    NULL,
};

Test(dp_learn, result_dst_says_whether_the_packet_learned)
{
    struct dp_env e;
    struct capture cap;

    limit_refused = 0;
    dp_env_init(&e, 1000000000ull, result_flows);
    /* two MACs fit, drained or not yet: the worker reserved their room */
    cr_assert_eq(send_frame(&e, 1, 0x0a, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 3);
    cr_assert_eq(send_frame(&e, 1, 0x0c, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 3);
    /* the third does not, though nothing is in the table yet */
    cr_assert_eq(send_frame(&e, 1, 0x0d, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 4);
    /* the first again, still waiting in the ring: learned */
    cr_assert_eq(send_frame(&e, 1, 0x0a, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 3);
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_learn_drain(e.dp, apply_limited, NULL, &e), 2);
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(flow_table_count(e.ft, 1), 2);
    cr_assert_eq(limit_refused, 0);
    /* in the table: a refresh is learned, a new one is not */
    cr_assert_eq(send_frame(&e, 1, 0x0c, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 3);
    cr_assert_eq(send_frame(&e, 1, 0x0e, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 4);
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_learn_drain(e.dp, apply_limited, NULL, &e), 1);
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(flow_table_count(e.ft, 1), 2);
    cr_assert_eq(dp_worker_stats(e.w)->learn_limited, 2);
    dp_env_fini(&e);
}

/* A flow of the cookie that leaves the table makes room at the next
 * commit; one added by hand takes room, as Open vSwitch counts every flow
 * of the table and cookie */
Test(dp_learn, the_ledger_follows_the_tables_own_changes)
{
    struct dp_env e;
    struct capture cap;
    struct flow_mod fm;
    struct flow_error err;

    limit_refused = 0;
    dp_env_init(&e, 1000000000ull, result_flows);
    cr_assert_eq(flow_parse("table=1,cookie=0x1,dl_dst=02:00:00:00:00:77,"
                            "actions=drop", FLOW_CMD_ADD, NULL, &fm, &err),
                 0);
    snic_role_enter(&snic_control);
    cr_assert_eq(flow_table_apply(e.ft, &fm, e.now), 1);
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(send_frame(&e, 1, 0x0a, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 3);
    cr_assert_eq(send_frame(&e, 1, 0x0c, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 4);
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_learn_drain(e.dp, apply_limited, NULL, &e), 1);
    cr_assert_eq(dp_commit(e.dp), 0);
    /* the hand-added one goes: room for 0x0c */
    fm.cmd = FLOW_CMD_DELETE_STRICT;
    cr_assert_eq(flow_table_apply(e.ft, &fm, e.now), 1);
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(send_frame(&e, 1, 0x0c, 0x0b, &cap), 1);
    cr_assert_eq(cap.port[0], 3);
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_learn_drain(e.dp, apply_limited, NULL, &e), 1);
    cr_assert_eq(dp_commit(e.dp), 0);
    cr_assert_eq(flow_table_count(e.ft, 1), 2);
    cr_assert_eq(limit_refused, 0);
    dp_env_fini(&e);
}
