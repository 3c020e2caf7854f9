/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * multipath, bundle and bundle_load in the datapath, flows through the
 * parser and frames through the packet path. The links and members the
 * table `known` expects are the ones Open vSwitch 3.1 picked for the same
 * flows and frames (ovs-vswitchd, userspace datapath); tests/ovsdiff
 * checks many more against it at every run. The rest are properties
 * that hold whatever the hash: symmetric fields pick the same link both
 * ways, a member is live when its port is in the switch and up,
 * active_backup takes the first live one, hrw moves only the traffic of a
 * member that went away.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

enum frame_kind { F_TCP4, F_TCP4_FRAG, F_UDP4_TAGGED, F_TCP6, F_OTHER };

static size_t
make_frame(enum frame_kind k, uint16_t sport, uint8_t *f)
{
    size_t n;

    switch (k) {
    case F_TCP4:
        return t_frame_ip4(f, -1, 6, sport, 80, 0);
    case F_TCP4_FRAG:               /* the first fragment (MF) */
        n = t_frame_ip4(f, -1, 6, sport, 80, 0);
        t_wr16(f + 14 + 6, 0x2000);
        return n;
    case F_UDP4_TAGGED:
        return t_frame_ip4(f, 0x2005, 17, sport, 4789, 8);
    case F_TCP6:
        return t_frame_ip6(f, 6, sport, 80, 20);
    case F_OTHER:
        n = t_eth(f, 0x88b5, -1);
        memset(f + n, 0x5a, 46);
        t_wr16(f + n, sport);
        return n + 46;
    }
    return 0;
}

/* @f's other direction: MACs, IP addresses and L4 ports swapped. */
static void
reverse_frame(enum frame_kind k, uint8_t *f)
{
    uint8_t t[16];
    size_t l3 = k == F_UDP4_TAGGED ? 18 : 14;
    size_t alen = k == F_TCP6 ? 16 : 4;
    size_t a0 = l3 + (k == F_TCP6 ? 8 : 12);
    size_t l4 = l3 + (k == F_TCP6 ? 40 : 20);

    memcpy(t, f, 6);
    memcpy(f, f + 6, 6);
    memcpy(f + 6, t, 6);
    if (k == F_OTHER)
        return;
    memcpy(t, f + a0, alen);
    memcpy(f + a0, f + a0 + alen, alen);
    memcpy(f + a0 + alen, t, alen);
    memcpy(t, f + l4, 2);
    memcpy(f + l4, f + l4 + 2, 2);
    memcpy(f + l4 + 2, t, 2);
}

/* The ports of the switch: 1 to 4, up, unless @down has them. */
static void
set_ports(struct dp_env *e, unsigned n, uint32_t down_mask)
{
    struct dp_port ports[8];

    memset(ports, 0, sizeof(ports));
    for (unsigned i = 0; i < n; i++) {
        ports[i].ofport = i + 1;
        ports[i].vlan_mode = DP_VLAN_TRUNK;
        if (down_mask & (1u << (i + 1)))
            ports[i].flags = DP_PORT_DOWN;
    }
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_set_ports(e->dp, ports, n), 0);
}

static void
run(struct dp_env *e, const uint8_t *f, size_t n, uint32_t in_port,
    struct capture *c)
{
    struct t_pkt tp;

    memset(c, 0, sizeof(*c));
    t_pkt_load(&tp, f, n);
    dp_env_run(e, &tp.buf, in_port, false, capture, c);
}

/* Table 0 runs @act (writing reg0 or outputting) on what @match (empty
 * or ending in a comma) takes, table 1 sends each value of reg0[0..7] to
 * port 100 + value. */
static void
env_with(struct dp_env *e, const char *match, const char *act)
{
    static char t0[512];
    const char *flows[] = { t0, NULL };

    snprintf(t0, sizeof(t0), "table=0,%sactions=%s,resubmit(,1)", match,
             act);
    dp_env_init(e, 0, flows);
    for (unsigned v = 0; v < 256; v++) {
        char line[96];

        snprintf(line, sizeof(line),
                 "table=1,reg0=%u/0xff,actions=output:%u", v, 100 + v);
        dp_env_add(e, line);
    }
    snic_role_enter(&snic_control);
    cr_assert_eq(dp_commit(e->dp), 0);
    set_ports(e, 4, 0);
}

/* The value reg0[0..7] had after @act on frame @k (source port @sport)
 * from port 1; or -1 when nothing came out. */
static int
reg0_after_m(const char *match, const char *act, enum frame_kind k,
             uint16_t sport)
{
    struct dp_env e;
    struct capture c;
    uint8_t f[256];
    size_t n = make_frame(k, sport, f);

    env_with(&e, match, act);
    run(&e, f, n, 1, &c);
    dp_env_fini(&e);
    if (c.n != 1)
        return -1;
    return (int)c.port[0] - 100;
}

static int
reg0_after(const char *act, enum frame_kind k, uint16_t sport)
{
    return reg0_after_m("", act, k, sport);
}

struct known {
    const char *act;
    enum frame_kind frame;
    uint16_t sport;
    int link;
};

/* Open vSwitch 3.1's choices (see the top of this file) */
static const struct known known[] = {
    { "multipath(eth_src,0,modulo_n,7,0,reg0[0..7])", F_TCP4, 1000, 0 },
    { "multipath(eth_src,9,modulo_n,255,0,reg0[0..7])", F_TCP6, 1000, 114 },
    { "multipath(symmetric_l4,50,hash_threshold,13,0,reg0[0..7])",
      F_TCP4, 1000, 3 },
    { "multipath(symmetric_l4,0,modulo_n,255,0,reg0[0..7])",
      F_TCP4, 1000, 228 },
    { "multipath(symmetric_l4,0,modulo_n,255,0,reg0[0..7])",
      F_TCP6, 1000, 69 },
    { "multipath(symmetric_l4,0,modulo_n,255,0,reg0[0..7])",
      F_UDP4_TAGGED, 53, 79 },
    { "multipath(symmetric_l4,0,modulo_n,255,0,reg0[0..7])", F_OTHER, 7, 121 },
    { "multipath(symmetric_l3l4,0,hrw,20,0,reg0[0..7])", F_TCP6, 1000, 18 },
    { "multipath(symmetric_l3l4,0,modulo_n,255,0,reg0[0..7])",
      F_TCP4, 1000, 40 },
    /* a first fragment: symmetric_l4 reads its ports (the same link as
     * the whole segment's), symmetric_l3l4 does not */
    { "multipath(symmetric_l4,0,modulo_n,255,0,reg0[0..7])",
      F_TCP4_FRAG, 1000, 228 },
    { "multipath(symmetric_l3l4,0,modulo_n,255,0,reg0[0..7])",
      F_TCP4_FRAG, 1000, 173 },
    { "multipath(symmetric_l3l4,0,modulo_n,255,0,reg0[0..7])",
      F_UDP4_TAGGED, 53, 75 },
    { "multipath(symmetric_l3l4,0,modulo_n,255,0,reg0[0..7])",
      F_OTHER, 7, 225 },
    { "multipath(symmetric_l3l4+udp,1,iter_hash,100,150,reg0[0..7])",
      F_UDP4_TAGGED, 53, 13 },
    { "multipath(symmetric_l3l4+udp,0,modulo_n,255,0,reg0[0..7])",
      F_UDP4_TAGGED, 53, 214 },
    { "multipath(symmetric_l3l4,1,hrw,100,0,reg0[0..7])",
      F_UDP4_TAGGED, 53, 79 },
    { "multipath(nw_src,7,modulo_n,255,0,reg0[0..7])", F_TCP6, 1000, 187 },
    { "multipath(nw_dst,7,modulo_n,255,0,reg0[0..7])", F_TCP4, 1000, 67 },
    { "multipath(nw_dst,7,modulo_n,255,0,reg0[0..7])", F_OTHER, 1000, 7 },
    { "multipath(symmetric_l3,0,modulo_n,255,0,reg0[0..7])",
      F_TCP4, 1000, 238 },
    { "multipath(symmetric_l3,0,modulo_n,255,0,reg0[0..7])",
      F_TCP6, 1000, 137 },
    { "multipath(symmetric_l3,0,hash_threshold,200,0,reg0[0..7])",
      F_OTHER, 1000, 46 },
    { "bundle_load(symmetric_l4,0,hrw,ofport,reg0[0..15],members:1,2,3,4)",
      F_TCP4, 1000, 1 },
    { "bundle_load(eth_src,3,hrw,ofport,reg0[0..15],members:4,3,2,1)",
      F_TCP6, 1000, 3 },
    { "bundle_load(symmetric_l3,3,hrw,ofport,reg0[0..15],members:1,2,3,4)",
      F_UDP4_TAGGED, 53, 3 },
    { "bundle_load(symmetric_l3l4+udp,3,hrw,ofport,reg0[0..15],"
      "members:1,2,3,4)",
      F_UDP4_TAGGED, 53, 3 },
};

ParameterizedTestParameters(dp_select, known)
{
    static size_t idx[sizeof(known) / sizeof(known[0])];

    for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)
        idx[k] = k;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, dp_select, known)
{
    const struct known *k = &known[*i];

    cr_expect_eq(reg0_after(k->act, k->frame, k->sport), k->link,
                 "%s, frame %d, port %u", k->act, k->frame, k->sport);
}

/* multipath writes only its bits: the rest of the register stays */
Test(dp_select, multipath_writes_its_bits_only)
{
    int link = reg0_after("multipath(eth_src,0,modulo_n,4,0,reg0[0..1])",
                          F_TCP4, 1000);

    cr_assert(link >= 0 && link < 4);
    cr_expect_eq(reg0_after("load:0xfc->NXM_NX_REG0[0..7],multipath("
                            "eth_src,0,modulo_n,4,0,reg0[0..1])",
                            F_TCP4, 1000), 0xfc | link);
    cr_expect_eq(reg0_after("load:0xff->NXM_NX_REG0[0..7],multipath("
                            "eth_src,0,modulo_n,4,0,reg0[2..3])",
                            F_TCP4, 1000), 0xf3 | link << 2);
}

/* A first fragment's ports: hidden from lookups, read by actions (move,
 * output:FIELD[], learn), as Open vSwitch's actions read them (ovsdiff
 * showed move:NXM_OF_TCP_SRC[] of one giving 0 before). */
Test(dp_select, actions_read_a_first_fragments_ports)
{
    const char *src = "move:NXM_OF_TCP_SRC[0..7]->NXM_NX_REG0[0..7]";
    const char *dst = "move:NXM_OF_TCP_DST[0..7]->NXM_NX_REG0[0..7]";

    cr_expect_eq(reg0_after_m("tcp,", src, F_TCP4_FRAG, 0x1234), 0x34);
    cr_expect_eq(reg0_after_m("tcp,", dst, F_TCP4_FRAG, 0x1234), 80);
    cr_expect_eq(reg0_after_m("tcp,", src, F_TCP4, 0x1234), 0x34);
    /* the lookup still does not see them */
    cr_expect_eq(reg0_after_m("tcp,tp_src=0x1234,", src, F_TCP4_FRAG,
                              0x1234), -1);
}

/* every link number in range, and each of them taken by some frame */
Test(dp_select, multipath_spreads_over_the_links)
{
    static const char *const algs[] = {
        "modulo_n", "hash_threshold", "hrw", "iter_hash",
    };

    for (unsigned a = 0; a < 4; a++) {
        char act[128];
        unsigned seen = 0;

        snprintf(act, sizeof(act),
                 "multipath(symmetric_l4,0,%s,5,0,reg0[0..2])", algs[a]);
        for (uint16_t sport = 1000; sport < 1064; sport++) {
            int link = reg0_after(act, F_TCP4, sport);

            cr_assert(link >= 0 && link < 5, "%s: %d", act, link);
            seen |= 1u << link;
        }
        cr_expect_eq(seen, 0x1f, "%s: links seen 0x%x", act, seen);
    }
}

/* the symmetric fields pick the same link for both directions; eth_src
 * and nw_src need not */
Test(dp_select, symmetric_fields_both_ways)
{
    static const char *const fields[] = {
        "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp",
        "symmetric_l3",
    };
    static const enum frame_kind kinds[] = {
        F_TCP4, F_TCP4_FRAG, F_UDP4_TAGGED, F_TCP6, F_OTHER,
    };

    for (unsigned fi = 0; fi < 4; fi++)
        for (unsigned ki = 0; ki < sizeof(kinds) / sizeof(kinds[0]); ki++) {
            char t0[160];
            const char *flows[] = { t0, NULL };
            struct dp_env e;
            struct capture c1, c2;
            uint8_t f[256];
            size_t n = make_frame(kinds[ki], 1234, f);

            snprintf(t0, sizeof(t0), "table=0,actions=multipath(%s,0,"
                     "hrw,64,0,reg0[0..5]),output:NXM_NX_REG0[0..5]",
                     fields[fi]);
            dp_env_init(&e, 0, flows);
            run(&e, f, n, 1, &c1);
            reverse_frame(kinds[ki], f);
            run(&e, f, n, 1, &c2);
            dp_env_fini(&e);
            /* link 0 is output:0, which goes nowhere */
            cr_assert_eq(c1.n, c2.n, "%s %u", fields[fi], ki);
            if (c1.n == 1)
                cr_expect_eq(c1.port[0], c2.port[0], "%s, frame %u",
                             fields[fi], ki);
        }
}

/* bundle's pick as an output port, from port @in_port */
static int
bundle_out(struct dp_env *e, enum frame_kind k, uint16_t sport,
           uint32_t in_port)
{
    struct capture c;
    uint8_t f[256];
    size_t n = make_frame(k, sport, f);

    run(e, f, n, in_port, &c);
    cr_assert_leq(c.n, 1);
    return c.n == 0 ? -1 : (int)c.port[0];
}

Test(dp_select, active_backup_takes_the_first_live_member)
{
    static const char *const flows[] = {
        "cookie=1,in_port=9,actions=bundle(eth_src,0,active_backup,ofport,"
        "members:5,3,2,4)",
        NULL,
    };
    struct dp_env e;

    dp_env_init(&e, 0, flows);
    set_ports(&e, 4, 0);            /* 5 is not in the switch */
    cr_expect_eq(bundle_out(&e, F_TCP4, 1, 9), 3);
    cr_expect_eq(bundle_out(&e, F_TCP6, 2, 9), 3);
    set_ports(&e, 4, 1u << 3);      /* 3 down */
    cr_expect_eq(bundle_out(&e, F_TCP4, 1, 9), 2);
    set_ports(&e, 4, 1u << 3 | 1u << 2);
    cr_expect_eq(bundle_out(&e, F_TCP4, 1, 9), 4);
    set_ports(&e, 4, 0x1e);         /* all down: dropped */
    cr_expect_eq(bundle_out(&e, F_TCP4, 1, 9), -1);
    set_ports(&e, 2, 0);            /* 3 and 4 gone */
    cr_expect_eq(bundle_out(&e, F_TCP4, 1, 9), 2);
    cr_expect_eq(dp_env_hits(&e, 1), 6);
    dp_env_fini(&e);
}

/* hrw: among the live members only; a member going down moves only the
 * frames it had, and they come back when it does */
Test(dp_select, hrw_moves_only_the_lost_members_traffic)
{
    static const char *const flows[] = {
        "in_port=9,actions=bundle(symmetric_l4,7,hrw,ofport,"
        "members:1,2,3,4,5)",
        NULL,
    };
    struct dp_env e;
    int before[64];
    unsigned per_port[6] = { 0 };

    dp_env_init(&e, 0, flows);
    set_ports(&e, 4, 0);
    for (unsigned i = 0; i < 64; i++) {
        before[i] = bundle_out(&e, F_TCP4, (uint16_t)(2000 + i), 9);
        cr_assert(before[i] >= 1 && before[i] <= 4, "%d", before[i]);
        per_port[before[i]]++;
    }
    for (unsigned p = 1; p <= 4; p++)
        cr_expect_gt(per_port[p], 0, "port %u never picked", p);
    set_ports(&e, 4, 1u << 2);      /* 2 down */
    for (unsigned i = 0; i < 64; i++) {
        int now = bundle_out(&e, F_TCP4, (uint16_t)(2000 + i), 9);

        cr_expect_neq(now, 2);
        if (before[i] != 2)
            cr_expect_eq(now, before[i], "frame %u moved", i);
    }
    set_ports(&e, 4, 0);
    for (unsigned i = 0; i < 64; i++)
        cr_expect_eq(bundle_out(&e, F_TCP4, (uint16_t)(2000 + i), 9),
                     before[i]);
    dp_env_fini(&e);
}

/* bundle_load writes the member's number (0xffff when none is live), and
 * IN_PORT is always live */
Test(dp_select, bundle_load_writes_the_member)
{
    static const char *const flows[] = {
        "table=0,in_port=1,actions=load:0x12345678->NXM_NX_REG2[],"
        "bundle_load(eth_src,0,active_backup,ofport,NXM_NX_REG2[0..15],"
        "members:7,4),resubmit(,1)",
        "table=0,in_port=2,actions=bundle_load(eth_src,0,hrw,ofport,"
        "NXM_NX_REG2[8..23],members:6,IN_PORT),resubmit(,1)",
        "table=1,reg2=0x12340004,actions=output:10",
        "table=1,reg2=0x1234ffff,actions=output:12",
        "table=1,reg2=0xfff800,actions=output:13",
        NULL,
    };
    struct dp_env e;

    dp_env_init(&e, 0, flows);
    set_ports(&e, 4, 0);
    cr_expect_eq(bundle_out(&e, F_TCP4, 1, 1), 10);
    set_ports(&e, 4, 1u << 4);
    cr_expect_eq(bundle_out(&e, F_TCP4, 1, 1), 12);
    /* IN_PORT is 0xfff8, written over bits 8..23 */
    cr_expect_eq(bundle_out(&e, F_TCP4, 1, 2), 13);
    dp_env_fini(&e);
}

/* inside a clone: the bundle's members in the body, the body's end and
 * the actions after the clone all run */
Test(dp_select, bundle_inside_clone)
{
    static const char *const flows[] = {
        "in_port=9,actions=clone(bundle(eth_src,0,active_backup,ofport,"
        "members:5,3,2),mod_dl_src:02:00:00:00:00:99,output:4),output:1",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[256];
    size_t n = make_frame(F_TCP4, 1, f);

    dp_env_init(&e, 0, flows);
    set_ports(&e, 4, 0);
    run(&e, f, n, 9, &c);
    dp_env_fini(&e);
    cr_assert_eq(c.n, 3);
    cr_expect_eq(c.port[0], 3);
    cr_expect(memcmp(c.frame[0], f, n) == 0, "the member's copy unchanged");
    cr_expect_eq(c.port[1], 4);
    cr_expect_eq(c.frame[1][11], 0x99);
    cr_expect_eq(c.port[2], 1);
    cr_expect(memcmp(c.frame[2], f, n) == 0, "the rewrite stays in the "
              "clone");
}
