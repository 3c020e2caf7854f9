/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Patch ports (struct dp_port.peer) as Open vSwitch 3.1's
 * patch_port_output() treats a patch pair whose two ends are in one
 * bridge: an output to one end hands a copy of the packet to table 0 as
 * received on the other, with its pipeline state cleared; afterwards the
 * packet goes on as it was. Ports 300 and 301 are the pair here; flows
 * go through the parser, frames through the packet path (both of the
 * worker's paths). tests/ovsdiff compares the same against Open vSwitch.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

#define PA  300u
#define PB  301u

static struct dp_port
port(uint32_t ofport, uint32_t peer, uint32_t flags)
{
    struct dp_port p;

    memset(&p, 0, sizeof(p));
    p.ofport = ofport;
    p.peer = peer;
    p.flags = flags;
    p.vlan_mode = DP_VLAN_TRUNK;
    return p;
}

/* The switch: ports 1 and 2, and the patch pair (flagged @pb_flags for
 * 301). */
static void
patch_init(struct dp_env *e, const char *const *flows, uint32_t pb_flags)
{
    struct dp_port ports[4] = { port(1, 0, 0), port(2, 0, 0),
                                port(PA, PB, 0), port(PB, PA, pb_flags) };

    dp_env_init(e, 0, flows);
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_set_ports(e->dp, ports, 4), 0);
}

static void
send_frame(struct dp_env *e, struct capture *cap)
{
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 1000, 2000, 8);

    dp_env_run_both(e, f, n, cap);
}

/* The peer's side starts with registers, metadata and tunnel metadata
 * zero, pkt_mark kept, and sees the frame as the actions left it; its
 * rewrite stays in its copy: the packet goes on unmodified. */
Test(dp_patch, the_peer_sees_a_fresh_state_and_the_frame_so_far)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=load:5->NXM_NX_REG0[],"
        "set_field:7->metadata,load:9->NXM_NX_PKT_MARK[],"
        "set_field:0x55->tun_id,mod_dl_dst:02:00:00:00:00:44,output:300,"
        "output:2",
        "cookie=2,priority=10,in_port=301,reg0=0,metadata=0,pkt_mark=9,"
        "tun_id=0,dl_dst=02:00:00:00:00:44,"
        "actions=mod_dl_src:02:00:00:00:00:99,output:3",
        "cookie=3,priority=5,in_port=301,actions=output:4",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    patch_init(&e, flows, 0);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(c.frame[0][5], 0x44);
    cr_expect_eq(c.frame[0][11], 0x99);
    cr_expect_eq(c.port[1], 2);
    cr_expect_eq(c.frame[1][5], 0x44);
    cr_expect_neq(c.frame[1][11], 0x99, "the peer's rewrite stays there");
    cr_expect_eq(dp_env_hits(&e, 2), 2);
    cr_expect_eq(dp_env_hits(&e, 3), 0);
    dp_env_fini(&e);
}

/* After the peer's side, the packet's registers, tag and in_port are as
 * before: a later lookup sees them. */
Test(dp_patch, the_packet_goes_on_as_it_was)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=load:5->NXM_NX_REG0[],"
        "mod_vlan_vid:7,output:300,resubmit(,1)",
        "cookie=2,in_port=301,actions=load:9->NXM_NX_REG0[],strip_vlan,"
        "output:3",
        "cookie=3,table=1,in_port=1,reg0=5,dl_vlan=7,actions=output:2",
        "cookie=4,table=1,priority=0,actions=output:4",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    patch_init(&e, flows, 0);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(c.len[0], 50, "untagged in the peer");
    cr_expect_eq(c.port[1], 2);
    cr_expect_eq(c.len[1], 54, "tagged again after it");
    cr_expect_eq(dp_env_hits(&e, 3), 2);
    dp_env_fini(&e);
}

/* The register stack: the peer's is empty, the packet's is kept. */
Test(dp_patch, the_peer_has_its_own_stack)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=load:5->NXM_NX_REG2[],"
        "push:NXM_NX_REG2[],output:300,pop:NXM_NX_REG1[],resubmit(,1)",
        "cookie=2,in_port=301,actions=pop:NXM_NX_REG0[],resubmit(,2)",
        "cookie=3,table=1,reg1=5,actions=output:2",
        "cookie=4,table=2,reg0=0,actions=output:3",
        "cookie=5,table=2,priority=10,reg0=5,actions=output:4",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    patch_init(&e, flows, 0);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(c.port[1], 2);
    dp_env_fini(&e);
}

/* The peer starts untracked; the packet keeps its ct_state after. */
Test(dp_patch, conntrack_state_is_cleared_in_the_peer)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,ip,actions=ct(table=1)",
        "cookie=2,table=1,in_port=1,ct_state=+trk,"
        "actions=output:300,resubmit(,2)",
        "cookie=3,in_port=301,ct_state=-trk,actions=output:3",
        "cookie=4,priority=10,in_port=301,ct_state=+trk,actions=output:4",
        "cookie=5,table=2,ct_state=+trk,actions=output:2",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    patch_init(&e, flows, 0);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(c.port[1], 2);
    dp_env_fini(&e);
}

/* The packet's action set does not go along; the peer's own set runs at
 * the end of the peer's side, the packet's at the packet's end. */
Test(dp_patch, each_side_runs_its_own_action_set)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=resubmit(,3),output:300,output:2",
        "cookie=2,table=3,actions=write_actions(output:4)",
        "cookie=3,in_port=301,actions=goto_table:5",
        "cookie=4,table=5,actions=mod_dl_src:02:00:00:00:00:99,"
        "write_actions(output:3)",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    patch_init(&e, flows, 0);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 3);
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(c.frame[0][11], 0x99);
    cr_expect_eq(c.port[1], 2);
    cr_expect_eq(c.port[2], 4);
    cr_expect_neq(c.frame[2][11], 0x99);
    dp_env_fini(&e);
}

/* An exit in the peer's side ends only it. */
Test(dp_patch, an_exit_ends_only_the_peer)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=output:300,output:2",
        "cookie=2,in_port=301,actions=output:3,exit,output:4",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    patch_init(&e, flows, 0);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(c.port[1], 2);
    dp_env_fini(&e);
}

/* output(max_len) to a patch port sends nothing (Open vSwitch refuses to
 * truncate into one); IN_PORT in the peer's side goes back through the
 * pair. */
Test(dp_patch, truncate_and_in_port)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=output:301,"
        "output(port=300,max_len=20),output:2",
        "cookie=2,in_port=301,actions=output:3",
        "cookie=3,in_port=300,actions=in_port",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    patch_init(&e, flows, 0);
    send_frame(&e, &c);
    /* 1 -> 301 -> peer 300: IN_PORT -> 300 -> peer 301: output:3 */
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(c.port[1], 2);
    cr_expect_eq(dp_env_hits(&e, 2), 2, "once a run: not by the max_len");
    cr_expect_eq(dp_env_hits(&e, 3), 2);
    dp_env_fini(&e);
}

struct counter {
    unsigned n[8];
};

static void
count_out(void *ctx, const struct dp_output *out)
{
    struct counter *c = ctx;

    if (out->port < 8)
        c->n[out->port]++;
}

static void
send_counted(struct dp_env *e, struct counter *c, bool burst)
{
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 1000, 2000, 8);
    struct t_pkt tp;

    memset(c, 0, sizeof(*c));
    t_pkt_load(&tp, f, n);
    dp_env_run(e, &tp.buf, 1, burst, count_out, c);
}

/* A loop through the pair nests as deep as Open vSwitch's depth limit
 * (64), then the innermost output does nothing; the limit ends only the
 * peer's side, so every copy made and the packet's own output leave. */
Test(dp_patch, a_loop_stops_at_the_depth_limit)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=output:300,output:2",
        "cookie=2,in_port=301,actions=output:3,output:300",
        NULL,
    };
    struct dp_env e;
    struct counter c;

    patch_init(&e, flows, 0);
    for (int burst = 0; burst < 2; burst++) {
        send_counted(&e, &c, burst);
        cr_expect_eq(c.n[3], FLOW_RESUBMIT_MAX_DEPTH);
        cr_expect_eq(c.n[2], 1);
    }
    dp_env_fini(&e);
}

/* A fan-out through the pair passes the 4,096 lookups; the failure ends
 * only the peer's side, but the packet's own later lookup then fails and
 * the packet is dropped whole, as in Open vSwitch. */
Test(dp_patch, a_fan_out_drops_the_packet_whole)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=output:2,output:300,resubmit(,1)",
        "cookie=2,in_port=301,actions=output:3,output:300,output:300",
        "cookie=3,table=1,actions=output:4",
        NULL,
    };
    struct dp_env e;
    struct counter c;

    patch_init(&e, flows, 0);
    send_counted(&e, &c, false);
    for (unsigned i = 0; i < 8; i++)
        cr_expect_eq(c.n[i], 0, "port %u", i);
    /* without the resubmit after it, the copies leave */
    dp_env_add(&e, "cookie=1,in_port=1,actions=output:2,output:300");
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_commit(e.dp), 0);
    send_counted(&e, &c, true);
    cr_expect_eq(c.n[2], 1);
    cr_expect_eq(c.n[3], FLOW_RESUBMIT_MAX, "one a lookup, to the last");
    dp_env_fini(&e);
}

/* FLOOD and ALL reach the patch ports like any port of the switch (not
 * the no-flood ones for FLOOD); each copy enters at the peer. */
Test(dp_patch, flood_reaches_the_peer)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=flood",
        "cookie=2,in_port=301,actions=output:3",
        "cookie=3,in_port=300,actions=output:4",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    patch_init(&e, flows, 0);
    send_frame(&e, &c);
    /* 2, 300 (-> 301: 3), 301 (-> 300: 4) */
    cr_assert_eq(c.n, 3);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.port[1], 3);
    cr_expect_eq(c.port[2], 4);
    dp_env_fini(&e);
    /* no-flood keeps 301 out */
    patch_init(&e, flows, DP_PORT_NO_FLOOD);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.port[1], 3);
    dp_env_fini(&e);
}

static void
mac_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6])
{
    memset(f, 0, 64);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
}

static void
send_mac(struct dp_env *e, uint32_t in_port, const uint8_t *f,
         struct capture *c)
{
    struct t_pkt tp;

    memset(c, 0, sizeof(*c));
    t_pkt_load(&tp, f, 64);
    dp_env_run(e, &tp.buf, in_port, false, capture, c);
}

/* Neutron's shape: NORMAL on one side (1, 2, 300), a wire behind the
 * other (3, reached through 301). NORMAL learns the MAC that came through
 * the pair on 300 and sends the answer back through it. */
Test(dp_patch, normal_learns_behind_the_patch_port)
{
    static const uint8_t ma[6] = { 2, 0, 0, 0, 0, 0xa },
                         mb[6] = { 2, 0, 0, 0, 0, 0xb };
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=normal",
        "cookie=2,in_port=2,actions=normal",
        "cookie=3,in_port=300,actions=normal",
        "cookie=4,in_port=301,actions=output:3",
        "cookie=5,in_port=3,actions=output:301",
        NULL,
    };
    struct dp_fdb_entry fe[4];
    struct dp_env e;
    struct capture c;
    uint8_t f[64];

    patch_init(&e, flows, DP_PORT_NO_FLOOD);
    /* A behind the wire, to unknown B: flooded on the NORMAL side */
    mac_frame(f, mb, ma);
    send_mac(&e, 3, f, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 1);
    cr_expect_eq(c.port[1], 2);
    cr_assert_eq(dp_fdb_dump(e.dp, fe, 4), 1);
    cr_expect_eq(fe[0].port, PA);
    /* B answers from 1: through the pair to the wire only */
    mac_frame(f, ma, mb);
    send_mac(&e, 1, f, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(dp_env_hits(&e, 4), 1);
    dp_env_fini(&e);
}

/* dp_set_ports() takes patch ports in pairs only. */
Test(dp_patch, pairs_are_checked)
{
    struct dp_port self[1] = { port(PA, PA, 0) };
    struct dp_port lone[2] = { port(1, 0, 0), port(PA, PB, 0) };
    struct dp_port crossed[3] = { port(PA, PB, 0), port(PB, 1, 0),
                                  port(1, PB, 0) };
    struct dp_port half[2] = { port(PA, PB, 0), port(PB, 0, 0) };
    struct dp_env e;

    dp_env_init(&e, 0, NULL);
    snic_role_enter(&snic_control);
    cr_expect_eq(dp_set_ports(e.dp, self, 1), -EINVAL);
    cr_expect_eq(dp_set_ports(e.dp, lone, 2), -EINVAL);
    cr_expect_eq(dp_set_ports(e.dp, crossed, 3), -EINVAL);
    cr_expect_eq(dp_set_ports(e.dp, half, 2), -EINVAL);
    dp_env_fini(&e);
}

/* The ports of a call's outputs, in order. */
struct ports {
    unsigned n;
    uint32_t port[64];
};

static void
ports_out(void *ctx, const struct dp_output *out)
{
    struct ports *p = ctx;

    cr_assert_lt(p->n, 64);
    p->port[p->n++] = out->port;
}

/* A lone output to a patch port needs the packet (the peer's side looks
 * it up): the shortcuts that send a frame as it came (trains, the frame
 * cache, the lean burst) must leave it to the general path. Bursts of
 * 32 frames of 40 packet flows, each burst twice (the second finds the
 * frame cache filled by the first), against the same frames one by one. */
Test(dp_patch, a_lone_output_to_a_patch_port_in_bursts)
{
    static const char *const flows[] = {
        "cookie=1,udp,in_port=1,tp_dst=2000,actions=output:300",
        "cookie=2,in_port=301,actions=output:3",
        "cookie=3,priority=0,in_port=1,actions=output:2",
        NULL,
    };
    struct dp_env e;

    patch_init(&e, flows, 0);
    for (unsigned round = 0; round < 4; round++) {
        struct t_pkt tp[32];
        struct dp_buf b[32];
        struct ports one, all;

        memset(&one, 0, sizeof(one));
        for (unsigned i = 0; i < 32; i++) {
            uint8_t f[128];
            /* trains of 4 frames alike, alternately to the patch port */
            unsigned flow = (round * 8 + i / 4) % 40;
            size_t n = t_frame_ip4(f, -1, 17, (uint16_t)(1000 + flow),
                                   flow % 2 ? 2000 : 2001, 8);

            t_pkt_load(&tp[i], f, n);
            dp_env_run(&e, &tp[i].buf, 1, false, ports_out, &one);
            t_pkt_load(&tp[i], f, n);
            b[i] = tp[i].buf;
        }
        for (unsigned again = 0; again < 2; again++) {
            struct t_pkt copy[32];

            memcpy(copy, tp, sizeof(copy));
            for (unsigned i = 0; i < 32; i++) {
                b[i] = copy[i].buf;
                b[i].data = copy[i].room + (tp[i].buf.data - tp[i].room);
            }
            memset(&all, 0, sizeof(all));
            dp_worker_online(e.w);
            dp_worker_process_burst(e.w, b, 32, 1, ports_out, &all);
            dp_worker_quiesce(e.w);
            dp_worker_offline(e.w);
            cr_assert_eq(all.n, one.n, "round %u", round);
            for (unsigned i = 0; i < one.n; i++)
                cr_expect_eq(all.port[i], one.port[i], "round %u output %u",
                             round, i);
        }
    }
    dp_env_fini(&e);
}
