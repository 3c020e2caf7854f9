/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reserved outputs through the whole datapath: IN_PORT, ALL, FLOOD,
 * LOCAL, CONTROLLER, and NORMAL's learning switch (learning, aging on a
 * clock the test controls, access and trunk VLANs, flooding within the
 * VLAN, never back out of the ingress port), plus the learning table
 * under concurrent learners.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "dp_test_util.h"

#define MAX_OUT 64

struct out {
    uint32_t port;
    uint32_t tx_port;
    uint32_t in_port;
    size_t len;
    bool last;
    uint8_t frame[128];
};

struct sink {
    unsigned n;
    struct out v[MAX_OUT];
};

static void
collect(void *ctx, const struct dp_output *o)
{
    struct sink *s = ctx;
    struct out *x;

    cr_assert_lt(s->n, MAX_OUT);
    x = &s->v[s->n++];
    x->port = o->port;
    x->tx_port = o->tx_port;
    x->in_port = o->in_port;
    x->len = o->len;
    x->last = o->last;
    memcpy(x->frame, o->frame, o->len < 128 ? o->len : 128);
}

struct env {
    struct dp *dp;
    struct dp_worker *w;
    uint64_t now;
    uint64_t next_id;
};

static uint64_t
test_clock(void *ctx)
{
    return ((struct env *)ctx)->now;
}

static void
env_init(struct env *e, const struct dp_port *ports, size_t n)
{
    snic_role_enter(&snic_control);
    memset(e, 0, sizeof(*e));
    e->dp = dp_create(NULL, NULL);
    cr_assert_not_null(e->dp);
    dp_set_clock(e->dp, test_clock, e);
    e->now = 1000;
    cr_assert_eq(dp_set_ports(e->dp, ports, n), 0);
    e->w = dp_worker_create(e->dp);
    cr_assert_not_null(e->w);
    e->next_id = 1;
}

static void
env_fini(struct env *e)
{
    snic_role_enter(&snic_control);
    dp_worker_destroy(e->w);
    dp_destroy(e->dp);
}

static void
add_flow(struct env *e, const char *line)
{
    struct flow_mod fm;
    struct flow_error err;

    snic_role_enter(&snic_control);
    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0,
                 "%s: %s", line, err.msg);
    cr_assert_eq(dp_flow_put(e->dp, e->next_id++, &fm.flow), 0);
    cr_assert_eq(dp_commit(e->dp), 0);
}

/* A 64-byte frame dst <- src, tagged with @tci when >= 0. */
static size_t
frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int tci)
{
    size_t h;

    memset(f, 0, 64);
    h = t_eth(f, 0x88cc, tci);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[h] = 0x5a;
    return 64;
}

static void
send_frame(struct env *e, uint32_t in_port, const uint8_t *f, size_t len,
     struct sink *s)
{
    static uint8_t room[DP_HEADROOM_MIN + 256];
    struct dp_buf buf = { room + DP_HEADROOM_MIN, len, DP_HEADROOM_MIN };

    memcpy(buf.data, f, len);
    s->n = 0;
    dp_worker_online(e->w);
    dp_worker_process(e->w, &buf, in_port, collect, s);
    dp_worker_quiesce(e->w);
    dp_worker_offline(e->w);
}

static bool
sent_to(const struct sink *s, uint32_t port)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i].port == port)
            return true;
    return false;
}

static const struct out *
out_to(const struct sink *s, uint32_t port)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i].port == port)
            return &s->v[i];
    return NULL;
}

static struct dp_port
trunk(uint32_t ofport)
{
    return (struct dp_port){ .ofport = ofport, .vlan_mode = DP_VLAN_TRUNK };
}

static struct dp_port
access_port(uint32_t ofport, uint16_t tag)
{
    return (struct dp_port){ .ofport = ofport, .vlan_mode = DP_VLAN_ACCESS,
                             .tag = tag };
}

static const uint8_t MA[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MB[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t MC[6] = { 0x02, 0, 0, 0, 0, 0x0c };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- IN_PORT, ALL, FLOOD, LOCAL, CONTROLLER ---- */

Test(reserved, in_port_all_flood)
{
    struct dp_port ports[4] = { trunk(1), trunk(2), trunk(3), trunk(4) };
    struct env e;
    struct sink s;
    uint8_t f[64];

    ports[2].flags = DP_PORT_NO_FLOOD;
    env_init(&e, ports, 4);
    add_flow(&e, "in_port=1,actions=in_port");
    add_flow(&e, "in_port=2,actions=all");
    add_flow(&e, "in_port=3,actions=flood");
    add_flow(&e, "in_port=4,actions=output:4,flood,in_port");
    frame(f, MB, MA, -1);

    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 1);
    cr_expect_eq(s.v[0].port, 1, "IN_PORT goes back to the ingress port");
    cr_expect(s.v[0].last);

    send_frame(&e, 2, f, 64, &s);
    cr_assert_eq(s.n, 3, "ALL: every port but the ingress (%u)", s.n);
    cr_expect(sent_to(&s, 1) && sent_to(&s, 3) && sent_to(&s, 4));
    cr_expect(!s.v[0].last && !s.v[1].last && s.v[2].last,
              "only the last copy may take the buffer");

    send_frame(&e, 3, f, 64, &s);
    cr_assert_eq(s.n, 3, "FLOOD from a no-flood port still floods");
    send_frame(&e, 2, f, 64, &s);
    cr_expect(sent_to(&s, 3), "ALL includes no-flood ports");
    send_frame(&e, 4, f, 64, &s);
    /* output:4 skipped (ingress), FLOOD to 1 and 2 (3 is no-flood),
     * IN_PORT to 4 */
    cr_assert_eq(s.n, 3, "got %u", s.n);
    cr_expect(sent_to(&s, 1) && sent_to(&s, 2) && sent_to(&s, 4)
              && !sent_to(&s, 3));
    for (unsigned i = 0; i < s.n; i++)
        cr_expect_eq(memcmp(s.v[i].frame, f, 64), 0);
    env_fini(&e);
}

Test(reserved, local_and_controller)
{
    struct dp_port ports[2] = { trunk(1), trunk(FLOW_PORT_LOCAL) };
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 2);
    add_flow(&e, "in_port=1,actions=local,controller:20");
    add_flow(&e, "in_port=LOCAL,actions=output:1,LOCAL,CONTROLLER");
    frame(f, MB, MA, -1);

    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 2);
    cr_expect_eq(s.v[0].port, FLOW_PORT_LOCAL);
    cr_expect_eq(s.v[0].len, 64);
    cr_expect_eq(s.v[1].port, FLOW_PORT_CONTROLLER);
    cr_expect_eq(s.v[1].tx_port, FLOW_PORT_CONTROLLER);
    cr_expect_eq(s.v[1].len, 20, "controller:20 keeps 20 bytes");
    cr_expect_eq(s.v[1].in_port, 1, "the controller learns the ingress");
    cr_expect(!s.v[1].last, "the controller's copy never takes the buffer");

    send_frame(&e, FLOW_PORT_LOCAL, f, 64, &s);
    cr_assert_eq(s.n, 2, "LOCAL is skipped from LOCAL (%u)", s.n);
    cr_expect_eq(s.v[0].port, 1);
    cr_expect_eq(s.v[1].len, 64, "controller takes the whole packet");
    cr_expect_eq(dp_worker_stats(e.w)->controller, 2);
    env_fini(&e);
}

/* output:REG[..] takes the register's value as a 16-bit OpenFlow port, as
 * Open vSwitch does: 0xfff8..0xfffe are the reserved ports (IN_PORT, ALL,
 * LOCAL, CONTROLLER...), 0xff00..0xfff7, 0xffff and wider values output
 * nothing. */
Test(reserved, output_reg_to_a_reserved_port)
{
    struct dp_port ports[4] = { trunk(1), trunk(2), trunk(3),
                                trunk(FLOW_PORT_LOCAL) };
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 4);
    add_flow(&e, "in_port=1,actions=load:0xfff8->reg0[0..15],"
             "output:reg0[0..15]");
    add_flow(&e, "in_port=2,actions=load:0xfffc->reg0[],output:reg0[],"
             "load:0xfffe->reg1[],output:reg1[0..15]");
    add_flow(&e, "in_port=3,actions=load:0xfffd->reg0[],output:reg0[],"
             "load:0xffff->reg1[],output:reg1[],load:0xff00->reg2[],"
             "output:reg2[],load:0x1fffc->reg3[],output:reg3[]");
    frame(f, MB, MA, -1);

    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 1, "IN_PORT from a register (%u)", s.n);
    cr_expect_eq(s.v[0].port, 1);

    send_frame(&e, 2, f, 64, &s);
    /* ALL: 1, 3 and LOCAL; then LOCAL again */
    cr_assert_eq(s.n, 4, "ALL and LOCAL from registers (%u)", s.n);
    cr_expect(sent_to(&s, 1) && sent_to(&s, 3) && !sent_to(&s, 2));
    cr_expect_eq(s.v[3].port, FLOW_PORT_LOCAL);

    send_frame(&e, 3, f, 64, &s);
    cr_assert_eq(s.n, 1, "CONTROLLER only: 0xffff, 0xff00 and a value "
                 "wider than 16 bits output nothing (%u)", s.n);
    cr_expect_eq(s.v[0].port, FLOW_PORT_CONTROLLER);
    cr_expect_eq(s.v[0].len, 64, "the whole packet to the controller");
    env_fini(&e);
}

/* An output to a port the switch does not have sends nothing and, as
 * for Open vSwitch, commits nothing: a tag written back to its value
 * after it keeps its DEI (the tag as of the last real output), where a
 * real output between makes the write back a change (DEI 0). */
Test(reserved, an_output_to_no_port_commits_nothing)
{
    struct dp_port ports[4] = { trunk(1), trunk(2), trunk(3), trunk(300) };
    const struct out *o;
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 4);
    add_flow(&e, "in_port=1,actions=mod_vlan_pcp:2,output:20,"
             "mod_vlan_pcp:0,output:2");
    add_flow(&e, "in_port=2,actions=mod_vlan_pcp:2,output:3,"
             "mod_vlan_pcp:0,output:1");
    add_flow(&e, "in_port=3,actions=mod_vlan_pcp:2,output:300,"
             "mod_vlan_pcp:0,output:1");
    add_flow(&e, "in_port=300,actions=mod_vlan_pcp:2,output:301,"
             "load:20->reg0[],output:reg0[],mod_vlan_pcp:0,output:1");
    frame(f, MB, MA, 0x1014);       /* PCP 0, DEI 1, VLAN 20 */

    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 2, "the frame to port 20 reaches the caller (%u)",
                 s.n);
    cr_assert_not_null(o = out_to(&s, 2));
    cr_expect_eq(t_rd16(o->frame + 14), 0x1014, "no port 20: no change "
                 "since the last output (0x%04x)", t_rd16(o->frame + 14));

    send_frame(&e, 2, f, 64, &s);
    cr_assert_not_null(o = out_to(&s, 3));
    cr_expect_eq(t_rd16(o->frame + 14), 0x4014);
    cr_assert_not_null(o = out_to(&s, 1));
    cr_expect_eq(t_rd16(o->frame + 14), 0x0014, "changed since port 3's "
                 "output: written (0x%04x)", t_rd16(o->frame + 14));

    send_frame(&e, 3, f, 64, &s);
    cr_assert_not_null(o = out_to(&s, 1));
    cr_expect_eq(t_rd16(o->frame + 14), 0x0014, "port 300 is one: "
                 "written (0x%04x)", t_rd16(o->frame + 14));

    send_frame(&e, 300, f, 64, &s);
    cr_assert_not_null(o = out_to(&s, 1));
    cr_expect_eq(t_rd16(o->frame + 14), 0x1014, "ports 301 and 20 are "
                 "none (0x%04x)", t_rd16(o->frame + 14));
    env_fini(&e);
}

/* ---- NORMAL ---- */

Test(normal, learns_then_forwards_without_hairpin)
{
    struct dp_port ports[3] = { trunk(1), trunk(2), trunk(3) };
    struct dp_fdb_entry fe[4];
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 3);
    add_flow(&e, "actions=normal");
    /* unknown destination: flooded, never back to port 1 */
    frame(f, MB, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 2);
    cr_expect(sent_to(&s, 2) && sent_to(&s, 3));
    cr_assert_eq(dp_fdb_dump(e.dp, fe, 4), 1);
    cr_expect_eq(memcmp(fe[0].mac, MA, 6), 0);
    cr_expect_eq(fe[0].port, 1);
    cr_expect_eq(fe[0].vlan, 0);
    /* B answers from port 2: A is known, so only port 1 */
    frame(f, MA, MB, -1);
    send_frame(&e, 2, f, 64, &s);
    cr_assert_eq(s.n, 1);
    cr_expect_eq(s.v[0].port, 1);
    cr_expect(s.v[0].last);
    /* now A -> B goes to 2 only */
    frame(f, MB, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 1);
    cr_expect_eq(s.v[0].port, 2);
    /* a frame to a MAC learned on its own ingress port is dropped */
    frame(f, MA, MC, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(s.n, 0, "hairpin: %u outputs", s.n);
    cr_expect_eq(dp_worker_stats(e.w)->normal_drops, 1);
    /* broadcast floods even when the source is known */
    frame(f, BCAST, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(s.n, 2);
    env_fini(&e);
}

Test(normal, moves_and_ages)
{
    struct dp_port ports[3] = { trunk(1), trunk(2), trunk(3) };
    struct env e;
    struct sink s;
    uint8_t f[64];

    snic_role_enter(&snic_control);
    env_init(&e, ports, 3);
    add_flow(&e, "actions=NORMAL");
    cr_expect_eq(dp_mac_aging(e.dp), 300);
    frame(f, MB, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    /* A moves to port 3 */
    send_frame(&e, 3, f, 64, &s);
    frame(f, MA, MB, -1);
    send_frame(&e, 2, f, 64, &s);
    cr_assert_eq(s.n, 1);
    cr_expect_eq(s.v[0].port, 3, "the newest port wins");
    /* 299 s later A is still known (B refreshed itself, A did not) */
    e.now += 299;
    send_frame(&e, 2, f, 64, &s);
    cr_expect_eq(s.n, 1);
    /* at 300 s A is forgotten: flooded again */
    e.now += 1;
    send_frame(&e, 2, f, 64, &s);
    cr_expect_eq(s.n, 2, "after aging: flooded (%u)", s.n);
    cr_expect_eq(dp_fdb_dump(e.dp, NULL, 0), 1, "only B is left");
    /* a shorter aging time applies to what is learned already */
    cr_expect_eq(dp_set_mac_aging(e.dp, 0), -EINVAL);
    cr_assert_eq(dp_set_mac_aging(e.dp, 10), 0);
    e.now += 10;
    cr_expect_eq(dp_fdb_dump(e.dp, NULL, 0), 0);
    env_fini(&e);
}

Test(normal, access_and_trunk_vlans)
{
    /* 1: access 10, 2: access 10, 3: access 20, 4: trunk of 10 and 20,
     * 5: trunk of everything */
    struct dp_port ports[5] = { access_port(1, 10), access_port(2, 10), access_port(3, 20),
                                trunk(4), trunk(5) };
    struct dp_fdb_entry fe[8];
    struct env e;
    struct sink s;
    const struct out *o;
    uint8_t f[68];

    snic_role_enter(&snic_control);
    ports[3].has_trunks = 1;
    ports[3].trunks[0] = 1ull << 10 | 1ull << 20;
    env_init(&e, ports, 5);
    add_flow(&e, "actions=normal");

    /* untagged from access 10: the VLAN's ports; tagged 10 on trunks */
    frame(f, BCAST, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 3, "VLAN 10 is ports 2, 4, 5 (%u)", s.n);
    cr_expect(!sent_to(&s, 3));
    o = out_to(&s, 2);
    cr_assert_not_null(o);
    cr_expect_eq(o->len, 64, "access ports send untagged");
    o = out_to(&s, 4);
    cr_assert_not_null(o);
    cr_expect_eq(o->len, 68);
    cr_expect_eq(t_rd16(o->frame + 12), 0x8100);
    cr_expect_eq(t_rd16(o->frame + 14), 10, "tag pushed for the trunk");
    cr_expect_eq(memcmp(o->frame + 16, f + 12, 52), 0);

    /* a tagged frame on an access port is dropped */
    frame(f, BCAST, MA, 10);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(s.n, 0);
    /* a priority tag (VID 0) is taken, its PCP kept on the trunks */
    frame(f, BCAST, MC, 0xa000);
    send_frame(&e, 3, f, 64, &s);
    cr_assert_eq(s.n, 2, "VLAN 20 is ports 4, 5 (%u)", s.n);
    o = out_to(&s, 5);
    cr_assert_not_null(o);
    cr_expect_eq(t_rd16(o->frame + 14), 0xa000 | 20);

    /* tagged 20 from the trunk: to access 20 untagged */
    frame(f, MC, MB, 20);
    send_frame(&e, 4, f, 64, &s);
    cr_assert_eq(s.n, 1, "C is known in VLAN 20 on port 3 (%u)", s.n);
    cr_expect_eq(s.v[0].port, 3);
    cr_expect_eq(s.v[0].len, 60, "the tag is popped");
    cr_expect_eq(t_rd16(s.v[0].frame + 12), 0x88cc);
    /* a VLAN port 4 does not trunk is dropped there */
    frame(f, BCAST, MB, 30);
    send_frame(&e, 4, f, 64, &s);
    cr_expect_eq(s.n, 0);
    /* untagged on trunk 5 is VLAN 0: only the all-VLAN trunk... of which
     * 5 is the only one */
    frame(f, BCAST, MB, -1);
    send_frame(&e, 5, f, 64, &s);
    cr_expect_eq(s.n, 0);
    /* the same MAC is learned per VLAN */
    cr_assert_eq(dp_fdb_dump(e.dp, fe, 8), 4);
    /* forgetting: a port's new VLAN drops what it learned */
    ports[2].tag = 30;
    cr_assert_eq(dp_set_ports(e.dp, ports, 5), 0);
    cr_expect_eq(dp_fdb_dump(e.dp, NULL, 0), 3, "C (port 3) forgotten");
    cr_expect_eq(dp_fdb_flush(e.dp, 4), 1, "B in VLAN 20 on port 4");
    cr_expect_eq(dp_fdb_flush(e.dp, 0), 2);
    env_fini(&e);
}

Test(normal, native_untagged_and_reserved_macs)
{
    struct dp_port ports[3] = { trunk(1), trunk(2), access_port(3, 7) };
    static const uint8_t stp[6] = { 0x01, 0x80, 0xc2, 0, 0, 0 };
    static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
    struct env e;
    struct sink s;
    uint8_t f[68];

    ports[1].vlan_mode = DP_VLAN_NATIVE_UNTAGGED;
    ports[1].tag = 7;
    env_init(&e, ports, 3);
    add_flow(&e, "actions=normal");
    /* untagged on native-untagged 2 is VLAN 7: to access 3 untagged, to
     * trunk 1 tagged 7 */
    frame(f, BCAST, MA, -1);
    send_frame(&e, 2, f, 64, &s);
    cr_assert_eq(s.n, 2);
    cr_expect_eq(out_to(&s, 3)->len, 64);
    cr_expect_eq(t_rd16(out_to(&s, 1)->frame + 14), 7);
    /* tagged 7 from trunk 1 leaves port 2 untagged */
    frame(f, BCAST, MB, 7);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(out_to(&s, 2)->len, 60);
    /* STP's address is never forwarded, nor learned from */
    frame(f, stp, MC, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(s.n, 0);
    /* a multicast source is not learned */
    frame(f, BCAST, mcast, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(dp_fdb_dump(e.dp, NULL, 0), 2, "A and B only");
    env_fini(&e);
}

Test(normal, actions_after_normal_see_the_packet_unchanged)
{
    struct dp_port ports[3] = { access_port(1, 5), trunk(2), trunk(3) };
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 3);
    add_flow(&e, "in_port=1,actions=normal,output:3");
    frame(f, MB, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    /* NORMAL: 2 and 3 tagged 5; then output:3 untagged, as it came */
    cr_assert_eq(s.n, 3);
    cr_expect_eq(s.v[2].port, 3);
    cr_expect_eq(s.v[2].len, 64);
    cr_expect_eq(memcmp(s.v[2].frame, f, 64), 0);
    cr_expect(s.v[2].last);
    env_fini(&e);
}

Test(normal, no_port_set_or_unknown_ingress_drops)
{
    struct dp_port ports[1] = { trunk(1) };
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 1);
    add_flow(&e, "actions=normal");
    frame(f, BCAST, MA, -1);
    send_frame(&e, 9, f, 64, &s);
    cr_expect_eq(s.n, 0);
    cr_expect_eq(dp_fdb_dump(e.dp, NULL, 0), 0);
    env_fini(&e);
}

Test(normal, set_ports_refuses_bad_sets)
{
    struct dp_port ports[2] = { trunk(1), trunk(1) };
    struct env e;

    snic_role_enter(&snic_control);
    env_init(&e, ports, 0);
    cr_expect_eq(dp_set_ports(e.dp, ports, 2), -EINVAL, "same port twice");
    ports[1] = access_port(2, 4096);
    cr_expect_eq(dp_set_ports(e.dp, ports, 2), -EINVAL, "VLAN 4096");
    ports[1] = trunk(0);
    cr_expect_eq(dp_set_ports(e.dp, ports, 2), -EINVAL, "port 0");
    env_fini(&e);
}

/* ---- the learning table with concurrent learners ---- */

#define LEARNERS    2
#define MACS        3000u
#define ROUNDS      40u

struct learner {
    struct env *e;
    unsigned id;
    struct dp_worker *w;    /* made and destroyed by the control thread:
                             * dp_worker_create/destroy are its calls */
};

static void
nth_mac(unsigned i, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0;
    mac[2] = (uint8_t)(i >> 24);
    mac[3] = (uint8_t)(i >> 16);
    mac[4] = (uint8_t)(i >> 8);
    mac[5] = (uint8_t)i;
}

/* Each learner owns the MACs i % LEARNERS == id and moves them between
 * ports 1 and 2 (port = 1 + round % 2); the other learner's lookups must
 * only ever see a port one of them wrote: never a torn entry. */
static void *
learn_run(void *arg)
{
    struct learner *l = arg;
    struct dp_worker *w = l->w;
    uint8_t room[DP_HEADROOM_MIN + 64];
    unsigned bad = 0;

    dp_worker_online(w);
    for (unsigned r = 0; r < ROUNDS; r++) {
        for (unsigned i = l->id; i < MACS; i += LEARNERS) {
            struct dp_buf buf = { room + DP_HEADROOM_MIN, 64,
                                  DP_HEADROOM_MIN };
            struct sink s;
            uint8_t mac[6], other[6];

            nth_mac(i, mac);
            nth_mac(i ^ 1, other);
            frame(buf.data, other, mac, -1);
            s.n = 0;
            dp_worker_process(w, &buf, 1 + r % 2, collect, &s);
            /* the other learner's MAC: flooded (unknown: 2 copies),
             * dropped (learned on this very port) or sent to the one
             * port it was learned on, 1 or 2 (nothing learns on 3) */
            if (s.n > 2 || (s.n == 1 && s.v[0].port != 1
                            && s.v[0].port != 2))
                bad++;
            dp_worker_quiesce(w);
        }
    }
    dp_worker_offline(w);
    return (void *)(uintptr_t)bad;
}

/* The control thread reconfigures the ports while a worker is inside
 * NORMAL with the old set: it can learn after the reconfiguration's
 * forget, from the old set's decision. The clock, read by the learning,
 * is the hook that runs the reconfiguration at that moment. */
struct reconf {
    struct env *e;
    const struct dp_port *ports;
    size_t n;
    bool armed;
};

static uint64_t
reconf_clock(void *ctx)
{
    struct reconf *r = ctx;

    snic_role_enter(&snic_control);
    if (r->armed) {
        r->armed = false;
        cr_assert_eq(dp_set_ports(r->e->dp, r->ports, r->n), 0);
    }
    return r->e->now;
}

Test(normal, an_entry_learned_across_a_reconfiguration_never_leaks)
{
    struct dp_port before[4] = { access_port(1, 10), access_port(2, 10),
                                 access_port(3, 20), access_port(4, 10) };
    struct dp_port after[4] = { access_port(1, 10), access_port(2, 20),
                                access_port(3, 20), access_port(4, 10) };
    struct reconf r = { .ports = after, .n = 4 };
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, before, 4);
    r.e = &e;
    dp_set_clock(e.dp, reconf_clock, &r);
    add_flow(&e, "actions=NORMAL");
    /* A speaks on port 2 in VLAN 10; port 2 moves to VLAN 20 meanwhile */
    r.armed = true;
    frame(f, BCAST, MA, -1);
    send_frame(&e, 2, f, 64, &s);
    cr_assert_not(r.armed);
    /* B in VLAN 10 to A: port 2 no longer carries VLAN 10, so the frame
     * floods VLAN 10 (port 4) and never reaches VLAN 20's port 2 */
    frame(f, MA, MB, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_expect(!sent_to(&s, 2), "a VLAN 10 frame leaked to VLAN 20's port");
    cr_expect(sent_to(&s, 4), "unknown in VLAN 10: flooded there");
    /* C speaks on port 4 while port 4 goes away (5 comes): a frame to C
     * floods VLAN 10 instead of being dropped for an absent port */
    after[3] = access_port(5, 10);
    r.armed = true;
    frame(f, BCAST, MC, -1);
    send_frame(&e, 4, f, 64, &s);
    cr_assert_not(r.armed);
    frame(f, MC, MB, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_expect(sent_to(&s, 5) && s.n == 1, "an entry for a port that is "
              "gone floods (%u outputs)", s.n);
    env_fini(&e);
}

Test(normal, concurrent_learners, .timeout = 60)
{
    struct dp_port ports[3] = { trunk(1), trunk(2), trunk(3) };
    struct dp_fdb_entry *fe = calloc(DP_FDB_SIZE, sizeof(*fe));
    struct learner l[LEARNERS];
    pthread_t th[LEARNERS];
    struct env e;
    size_t n;

    snic_role_enter(&snic_control);
    env_init(&e, ports, 3);
    add_flow(&e, "actions=normal");
    for (unsigned i = 0; i < LEARNERS; i++) {
        l[i] = (struct learner){ &e, i, dp_worker_create(e.dp) };
        cr_assert(l[i].w != NULL);
        cr_assert_eq(pthread_create(&th[i], NULL, learn_run, &l[i]), 0);
    }
    /* the control side dumps while they learn */
    for (unsigned k = 0; k < 20; k++)
        dp_fdb_dump(e.dp, fe, DP_FDB_SIZE);
    for (unsigned i = 0; i < LEARNERS; i++) {
        void *bad;

        pthread_join(th[i], &bad);
        dp_worker_destroy(l[i].w);
        cr_expect_eq((uintptr_t)bad, 0, "learner %u saw %zu torn answers",
                     i, (size_t)(uintptr_t)bad);
    }
    n = dp_fdb_dump(e.dp, fe, DP_FDB_SIZE);
    cr_expect_leq(n, MACS);
    /* every MAC at most once, each on the port of its last round */
    for (size_t i = 0; i < n && i < DP_FDB_SIZE; i++) {
        cr_expect_eq(fe[i].port, 1 + (ROUNDS - 1) % 2, "entry %zu port %u",
                     i, fe[i].port);
        for (size_t j = i + 1; j < n && j < i + 8; j++)
            cr_expect(memcmp(fe[i].mac, fe[j].mac, 6) != 0
                      || fe[i].vlan != fe[j].vlan, "duplicate entry");
    }
    cr_expect_geq(n, MACS * 3 / 4, "most of %u MACs are kept (%zu)", MACS,
                  n);
    free(fe);
    env_fini(&e);
}

Test(normal, every_copy_from_the_frame_as_it_came)
{
    /* 1 and 2 trunks, 3 access 10, 4 trunk of VLAN 10 only */
    struct dp_port ports[4] = { trunk(1), trunk(2), access_port(3, 10),
                                trunk(4) };
    struct env e;
    struct sink s;
    const struct out *o;
    uint8_t f[64];

    env_init(&e, ports, 4);
    add_flow(&e, "in_port=1,actions=normal,output:4");
    /* VLAN 10 with the DEI bit (0x1000 on the wire) */
    frame(f, BCAST, MA, 0x100a);
    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 4, "2, 3, 4 and output:4 (%u)", s.n);
    o = out_to(&s, 3);
    cr_expect_eq(o->len, 60, "access: untagged");
    /* the copies after the untagged one still carry the tag as it came */
    for (unsigned i = 0; i < s.n; i++)
        if (s.v[i].port != 3)
            cr_expect_eq(memcmp(s.v[i].frame, f, 64), 0,
                         "copy %u to port %u changed", i, s.v[i].port);
    cr_expect(s.v[3].last);
    env_fini(&e);
}

Test(normal, an_inner_tag_stays_behind_the_outer_one)
{
    struct dp_port ports[3] = { trunk(1), access_port(2, 20), trunk(3) };
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 3);
    add_flow(&e, "actions=normal");
    /* 802.1ad 20 outside, 802.1Q 10 inside */
    frame(f, BCAST, MA, -1);
    t_wr16(f + 12, 0x88a8);
    t_wr16(f + 14, 20);
    t_wr16(f + 16, 0x8100);
    t_wr16(f + 18, 10);
    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(s.n, 2);
    cr_expect_eq(out_to(&s, 2)->len, 60, "the outer tag popped");
    cr_expect_eq(t_rd16(out_to(&s, 2)->frame + 12), 0x8100);
    cr_expect_eq(memcmp(out_to(&s, 3)->frame, f, 64), 0,
                 "the trunk's copy is the frame as it came");
    env_fini(&e);
}

/* ---- NORMAL's known unicast conversations (dp_conv_drain()) ---- */

struct convs {
    unsigned n;
    struct dp_conv v[8];
};

static void
conv_collect(void *ctx, const struct dp_conv *c)
{
    struct convs *cs = ctx;

    cr_assert_lt(cs->n, 8);
    cs->v[cs->n++] = *c;
}

static unsigned
drain_convs(struct env *e, struct convs *cs)
{
    snic_role_enter(&snic_control);
    cs->n = 0;
    cr_assert_eq(dp_conv_drain(e->dp, conv_collect, cs), cs->n);
    return cs->n;
}

Test(normal_conv, known_unicast_only_once_a_second)
{
    /* 1: access 10, 2: trunk, 3: trunk */
    struct dp_port ports[3] = { access_port(1, 10), trunk(2), trunk(3) };
    struct convs cs;
    struct env e;
    struct sink s;
    uint8_t f[68];

    env_init(&e, ports, 3);
    add_flow(&e, "actions=normal");
    /* A unknown, B unknown: a flood, nothing to queue */
    frame(f, MB, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(drain_convs(&e, &cs), 0);
    /* B's first frame learns B: learning changed something, not queued */
    frame(f, MA, MB, 10);
    send_frame(&e, 2, f, 64, &s);
    cr_assert_eq(s.n, 1);
    cr_expect_eq(drain_convs(&e, &cs), 0, "B was not known yet");
    /* A -> B: both known, A on its port: queued, with the tags NORMAL
     * wrote (access untagged in, trunk tagged 10 out) */
    frame(f, MB, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_assert_eq(drain_convs(&e, &cs), 1);
    cr_expect_eq(cs.v[0].flow_id, 1);
    cr_expect_eq(cs.v[0].in_port, 1);
    cr_expect_eq(cs.v[0].out_port, 2);
    cr_expect_eq(memcmp(cs.v[0].src, MA, 6), 0);
    cr_expect_eq(memcmp(cs.v[0].dst, MB, 6), 0);
    cr_expect_eq(cs.v[0].vlan, 10);
    cr_expect_eq(cs.v[0].in_tci, 0);
    cr_expect_eq(cs.v[0].in_tpid, 0);
    cr_expect_eq(cs.v[0].out_tci, FLOW_VLAN_CFI | 10);
    cr_expect_eq(cs.v[0].out_tpid, 0x8100);
    /* the same second: not again; the next second: again */
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(drain_convs(&e, &cs), 0);
    e.now++;
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(drain_convs(&e, &cs), 1);
    /* B -> A, tagged 10 in, untagged out */
    frame(f, MA, MB, 10);
    send_frame(&e, 2, f, 64, &s);
    cr_assert_eq(drain_convs(&e, &cs), 1);
    cr_expect_eq(cs.v[0].in_tci, FLOW_VLAN_CFI | 10);
    cr_expect_eq(cs.v[0].in_tpid, 0x8100);
    cr_expect_eq(cs.v[0].out_tci, 0);
    cr_expect_eq(cs.v[0].out_port, 1);
    /* B moves to port 3: the move is learned, not queued */
    e.now++;
    send_frame(&e, 3, f, 64, &s);
    cr_expect_eq(drain_convs(&e, &cs), 0, "a moved source is no no-op");
    cr_expect_eq(dp_worker_stats(e.w)->normal_convs, 3);
    env_fini(&e);
}

Test(normal_conv, only_a_list_of_normal_alone)
{
    struct dp_port ports[3] = { trunk(1), trunk(2), trunk(3) };
    struct convs cs;
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 3);
    add_flow(&e, "actions=normal");
    add_flow(&e, "priority=40000,in_port=1,actions=normal,output:3");
    frame(f, MA, MB, -1);
    send_frame(&e, 2, f, 64, &s);
    frame(f, MB, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(s.n, 2, "normal and output:3 (%u)", s.n);
    cr_expect_eq(drain_convs(&e, &cs), 0, "flow 2 does more than NORMAL (flow %llu, in %u)", cs.n ? (unsigned long long)cs.v[0].flow_id : 0ull, cs.n ? cs.v[0].in_port : 0u);
    frame(f, MA, MB, -1);
    send_frame(&e, 2, f, 64, &s);
    cr_assert_eq(drain_convs(&e, &cs), 1);
    cr_expect_eq(cs.v[0].flow_id, 1);
    env_fini(&e);
}

Test(normal_conv, the_card_keeps_a_known_source_alive)
{
    struct dp_port ports[2] = { trunk(1), trunk(2) };
    struct env e;
    struct sink s;
    uint8_t f[64];

    env_init(&e, ports, 2);
    add_flow(&e, "actions=normal");
    frame(f, MB, MA, -1);
    send_frame(&e, 1, f, 64, &s);
    cr_expect_eq(dp_fdb_port(e.dp, MA, 0), 1);
    cr_expect_eq(dp_fdb_touch(e.dp, MA, 0, 2), -ENOENT, "not on port 2");
    cr_expect_eq(dp_fdb_touch(e.dp, MB, 0, 1), -ENOENT, "B never seen");
    e.now += 299;
    cr_expect_eq(dp_fdb_touch(e.dp, MA, 0, 1), 0);
    e.now += 200;
    cr_expect_eq(dp_fdb_port(e.dp, MA, 0), 1, "refreshed 200 s ago");
    e.now += 100;
    cr_expect_eq(dp_fdb_port(e.dp, MA, 0), 0, "aged out");
    cr_expect_eq(dp_fdb_touch(e.dp, MA, 0, 1), -ENOENT,
                 "an aged entry is not brought back");
    env_fini(&e);
}
