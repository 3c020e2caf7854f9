/* SPDX-License-Identifier: BSD-3-Clause */
/* dp_actions_run(): every action against hand-computed bytes, and every
 * checksum against a full recomputation. */
#include <criterion/criterion.h>
#include <endian.h>

#include "dp_test_util.h"

#define MAX_OUT 8

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

static struct capture cap;
static struct t_pkt tp;
static struct dp_pkt pkt;

/* Load a frame as the packet under test, received on port 1. */
static void
load(const uint8_t *f, size_t len)
{
    memset(&cap, 0, sizeof(cap));
    t_pkt_load(&tp, f, len);
    memset(&pkt, 0, sizeof(pkt));
    pkt.buf = tp.buf;
    pkt.in_port = 1;
    struct flow_key k;

    dp_extract(pkt.buf.data, pkt.buf.len, 1, &k, &pkt.layout);
}

static enum dp_act_result
run(const struct flow_action *a, unsigned n)
{
    struct dp_actions_env env = { .output = capture, .ctx = &cap };
    uint8_t table = 0;

    return dp_actions_run(&env, &pkt, a, n, &table, NULL);
}

static enum dp_act_result
run1(struct flow_action a)
{
    return run(&a, 1);
}

static struct flow_action
act(enum flow_action_type type)
{
    struct flow_action a;

    memset(&a, 0, sizeof(a));
    a.type = (uint16_t)type;
    return a;
}

static struct flow_action
out(uint32_t port)
{
    struct flow_action a = act(FLOW_ACT_OUTPUT);

    a.u.port = port;
    return a;
}

static uint8_t *
ip_hdr(void)
{
    return pkt.buf.data + pkt.layout.l3_ofs;
}

/* The IPv4 header of the Wikipedia checksum example, in a UDP frame. */
static size_t
example_frame(uint8_t *f)
{
    static const uint8_t ip[20] = {
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
    };
    size_t l2 = t_eth(f, 0x0800, -1);

    memcpy(f + l2, ip, 20);
    memset(f + l2 + 20, 0, 0x73 - 20);
    t_wr16(f + l2 + 20, 1000);
    t_wr16(f + l2 + 22, 2000);
    t_wr16(f + l2 + 24, 0x73 - 20);      /* UDP length; checksum 0 */
    return l2 + 0x73;
}

Test(dp_actions, checksum_helpers_known_values)
{
    uint8_t f[256];

    example_frame(f);
    t_wr16(f + 24, 0);
    cr_expect_eq(dp_csum(f + 14, 20, 0), 0xb861);
    /* RFC 3720's CRC32c check value */
    cr_expect_eq(dp_crc32c("123456789", 9), 0xe3069283u);
}

Test(dp_actions, mod_nw_dst_hand_computed)
{
    uint8_t f[256];
    struct flow_action a = act(FLOW_ACT_MOD_NW_DST);

    load(f, example_frame(f));
    inet_pton(AF_INET, "192.168.0.200", &a.u.ipv4);
    run1(a);
    /* the destination's low word grows by one: the checksum shrinks by one */
    cr_expect_eq(t_rd16(ip_hdr() + 10), 0xb860);
    cr_expect_eq(ip_hdr()[19], 200);
    cr_expect(t_ipv4_ok(ip_hdr()));
    /* a zero UDP checksum means "none" and stays zero */
    cr_expect_eq(t_rd16(ip_hdr() + 26), 0);
}

Test(dp_actions, dec_ttl_hand_computed)
{
    uint8_t f[256];

    load(f, example_frame(f));
    cr_expect_eq(run1(act(FLOW_ACT_DEC_TTL)), DP_ACT_DONE);
    cr_expect_eq(ip_hdr()[8], 0x3f);
    /* the word 0x4011 became 0x3f11: the checksum grows by 0x100 */
    cr_expect_eq(t_rd16(ip_hdr() + 10), 0xb961);
}

Test(dp_actions, dec_ttl_drops_at_one_and_zero)
{
    uint8_t f[256];
    struct flow_action a[2] = { act(FLOW_ACT_DEC_TTL), out(2) };
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 0);

    for (uint8_t ttl = 0; ttl <= 2; ttl++) {
        f[22] = ttl;
        t_ipv4_fix(f + 14);
        load(f, n);
        cr_expect_eq(run(a, 2), ttl <= 1 ? DP_ACT_DROP_TTL : DP_ACT_DONE);
        cr_expect_eq(cap.n, ttl <= 1 ? 0u : 1u, "ttl %u", ttl);
    }
    /* IPv6 hop limit */
    n = t_frame_ip6(f, 17, 1, 2, 8);
    f[21] = 1;
    load(f, n);
    cr_expect_eq(run1(act(FLOW_ACT_DEC_TTL)), DP_ACT_DROP_TTL);
    f[21] = 9;
    load(f, n);
    cr_expect_eq(run1(act(FLOW_ACT_DEC_TTL)), DP_ACT_DONE);
    cr_expect_eq(ip_hdr()[7], 8);
}

Test(dp_actions, mod_nw_src_dst_tcp_udp_checksums)
{
    static const uint8_t protos[] = { 6, 17 };
    uint8_t f[256];

    for (size_t i = 0; i < 2; i++) {
        size_t n = t_frame_ip4(f, i ? 0x0005 : -1, protos[i], 1234, 80, 33);
        struct flow_action a[2] = { act(FLOW_ACT_MOD_NW_SRC),
                                    act(FLOW_ACT_MOD_NW_DST) };
        uint8_t want_src[4] = { 172, 16, 254, 3 }, want_dst[4] = {
            8, 8, 4, 4 };

        memcpy(&a[0].u.ipv4, want_src, 4);
        memcpy(&a[1].u.ipv4, want_dst, 4);
        load(f, n);
        run(a, 2);
        cr_expect_arr_eq(ip_hdr() + 12, want_src, 4);
        cr_expect_arr_eq(ip_hdr() + 16, want_dst, 4);
        cr_expect(t_ipv4_ok(ip_hdr()), "proto %u", protos[i]);
        cr_expect(t_l4_ok(ip_hdr(), ip_hdr() + 20, 33 + (i ? 8 : 20),
                          protos[i]), "proto %u", protos[i]);
    }
}

Test(dp_actions, mod_tos_keeps_ecn)
{
    uint8_t f[256];
    struct flow_action a = act(FLOW_ACT_MOD_NW_TOS);
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 3);

    a.u.tos = 46 << 2;                      /* EF */
    load(f, n);
    run1(a);
    cr_expect_eq(ip_hdr()[1], 0xb8 | 0x02); /* ECN 2 from the frame kept */
    cr_expect(t_ipv4_ok(ip_hdr()));

    n = t_frame_ip6(f, 17, 1, 2, 8);        /* traffic class 0xb4 */
    load(f, n);
    a.u.tos = 0x28;
    run1(a);
    /* 0x28 | ECN 0 -> TC 0x28: version 6, TC split across two bytes */
    cr_expect_eq(ip_hdr()[0], 0x62);
    cr_expect_eq(ip_hdr()[1], 0x81);        /* flow label nibble kept */
    cr_expect_eq(ip_hdr()[2], 0x23);
}

Test(dp_actions, mod_tp_ports_tcp_udp)
{
    static const uint8_t protos[] = { 6, 17 };
    uint8_t f[256];

    for (size_t i = 0; i < 2; i++) {
        size_t n = t_frame_ip4(f, -1, protos[i], 1234, 80, 17);
        struct flow_action a[2] = { act(FLOW_ACT_MOD_TP_SRC),
                                    act(FLOW_ACT_MOD_TP_DST) };

        a[0].u.tp_port = htons(40000);
        a[1].u.tp_port = htons(8080);
        load(f, n);
        run(a, 2);
        cr_expect_eq(t_rd16(ip_hdr() + 20), 40000);
        cr_expect_eq(t_rd16(ip_hdr() + 22), 8080);
        cr_expect(t_l4_ok(ip_hdr(), ip_hdr() + 20, 17 + (i ? 8 : 20),
                          protos[i]));
    }
}

Test(dp_actions, udp_checksum_never_becomes_zero)
{
    uint8_t f[256];
    struct flow_action a = act(FLOW_ACT_MOD_TP_DST);
    size_t n = t_frame_ip4(f, -1, 17, 1234, 80, 0);
    uint16_t sum = t_rd16(f + 40);
    /* pick a new port whose incremental result would be 0x0000 (== -0):
     * new checksum = ~(~sum + ~80 + port) == 0  <=>  port = ~(~sum + ~80) */
    uint32_t s = (uint16_t)~sum + (uint32_t)(uint16_t)~80;
    uint16_t port = (uint16_t)~t_fold(s);

    a.u.tp_port = htons(port);
    load(f, n);
    run1(a);
    cr_expect_eq(t_rd16(ip_hdr() + 22), port);
    cr_expect_eq(t_rd16(ip_hdr() + 26), 0xffff);
    cr_expect(t_l4_ok(ip_hdr(), ip_hdr() + 20, 8, 17));
}

Test(dp_actions, sctp_crc_recomputed)
{
    uint8_t f[256];
    struct flow_action a = act(FLOW_ACT_MOD_TP_SRC);
    size_t n = t_frame_ip4(f, -1, 132, 5000, 6000, 16);
    uint8_t *sctp;
    uint8_t want[4];
    uint32_t crc;

    a.u.tp_port = htons(7777);
    load(f, n);
    run1(a);
    sctp = ip_hdr() + 20;
    cr_expect_eq(t_rd16(sctp), 7777);
    memcpy(want, sctp + 8, 4);
    memset(sctp + 8, 0, 4);
    crc = t_crc32c(sctp, 12 + 16);
    cr_expect_eq(want[0], (uint8_t)crc);
    cr_expect_eq(want[3], (uint8_t)(crc >> 24));
}

Test(dp_actions, first_fragment_checksum_fixed_later_fragment_untouched)
{
    uint8_t f[256], before[256];
    struct flow_action a = act(FLOW_ACT_MOD_NW_SRC), p = act(FLOW_ACT_MOD_TP_DST);
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 8);

    inet_pton(AF_INET, "9.9.9.9", &a.u.ipv4);
    p.u.tp_port = htons(99);
    t_wr16(f + 20, 0x2000);                 /* MF, offset 0 */
    t_ipv4_fix(f + 14);
    load(f, n);
    run1(a);
    run1(p);            /* a first fragment's ports: rewritten (as OVS) */
    cr_expect_eq(t_rd16(ip_hdr() + 22), 99);
    cr_expect(t_ipv4_ok(ip_hdr()));
    cr_expect(t_l4_ok(ip_hdr(), ip_hdr() + 20, 28, 6));

    t_wr16(f + 20, 0x0003);                 /* a later fragment */
    t_ipv4_fix(f + 14);
    memcpy(before, f, n);
    load(f, n);
    run1(a);
    cr_expect(t_ipv4_ok(ip_hdr()));
    /* bytes after the IP header are payload now: untouched */
    cr_expect_arr_eq(ip_hdr() + 20, before + 34, n - 34);
}

Test(dp_actions, mod_dl_src_dst)
{
    uint8_t f[256];
    struct flow_action a[2] = { act(FLOW_ACT_MOD_DL_SRC),
                                act(FLOW_ACT_MOD_DL_DST) };
    static const uint8_t s[6] = { 1, 2, 3, 4, 5, 6 }, d[6] = { 6, 5, 4, 3,
                                                               2, 1 };

    memcpy(a[0].u.mac, s, 6);
    memcpy(a[1].u.mac, d, 6);
    load(f, t_frame_ip4(f, -1, 6, 1, 2, 0));
    run(a, 2);
    cr_expect_arr_eq(pkt.buf.data, d, 6);
    cr_expect_arr_eq(pkt.buf.data + 6, s, 6);
    cr_expect_eq(t_rd16(pkt.buf.data + 12), 0x0800);
}

Test(dp_actions, push_and_strip_vlan)
{
    uint8_t f[256], orig[256];
    struct flow_action push = act(FLOW_ACT_PUSH_VLAN);
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 4);

    memcpy(orig, f, n);
    push.u.tpid = htons(0x8100);
    load(f, n);
    cr_expect_eq(run1(push), DP_ACT_DONE);
    cr_assert_eq(pkt.buf.len, n + 4);
    cr_expect_arr_eq(pkt.buf.data, orig, 12);
    cr_expect_eq(t_rd16(pkt.buf.data + 12), 0x8100);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0);         /* no tag: TCI 0 */
    cr_expect_arr_eq(pkt.buf.data + 16, orig + 12, n - 12);
    cr_expect_eq(pkt.layout.l3_ofs, 18);

    /* push on a tagged frame copies the outer TCI (OpenFlow 1.3) */
    t_wr16(pkt.buf.data + 14, 0x6007);
    push.u.tpid = htons(0x88a8);
    cr_expect_eq(run1(push), DP_ACT_DONE);
    cr_expect_eq(t_rd16(pkt.buf.data + 12), 0x88a8);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0x6007);
    cr_expect_eq(t_rd16(pkt.buf.data + 16), 0x8100);
    cr_expect_eq(pkt.layout.l3_ofs, 22);

    /* and a rewrite still finds the IP header where it moved to */
    {
        struct flow_action ttl = act(FLOW_ACT_DEC_TTL);

        run1(ttl);
        cr_expect_eq(pkt.buf.data + 22 + 8 == ip_hdr() + 8, 1);
        cr_expect_eq(ip_hdr()[8], 63);
        cr_expect(t_ipv4_ok(ip_hdr()));
    }

    run1(act(FLOW_ACT_STRIP_VLAN));
    run1(act(FLOW_ACT_STRIP_VLAN));
    cr_assert_eq(pkt.buf.len, n);
    cr_expect_arr_eq(pkt.buf.data, orig, 12);
    cr_expect_eq(t_rd16(pkt.buf.data + 12), 0x0800);
    cr_expect_eq(pkt.layout.l3_ofs, 14);
    cr_expect_eq(pkt.layout.flags & DP_L_VLAN, 0);
    /* stripping an untagged frame changes nothing */
    run1(act(FLOW_ACT_STRIP_VLAN));
    cr_expect_eq(pkt.buf.len, n);
}

Test(dp_actions, mod_vlan_vid_pcp)
{
    uint8_t f[256];
    struct flow_action vid = act(FLOW_ACT_MOD_VLAN_VID);
    struct flow_action pcp = act(FLOW_ACT_MOD_VLAN_PCP);
    size_t n = t_frame_ip4(f, 0xb123, 17, 1, 2, 4);  /* PCP 5, DEI 1 */

    vid.u.vlan.vid = htons(0x0456);
    pcp.u.vlan.pcp = 2;
    load(f, n);
    run1(vid);          /* a changed tag is written with DEI 0 (as OVS) */
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0xa456);
    run1(pcp);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0x4456);
    cr_expect_eq(pkt.buf.len, n);
    /* an unchanged one keeps its DEI */
    load(f, n);
    vid.u.vlan.vid = htons(0x0123);
    run1(vid);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0xb123);
    vid.u.vlan.vid = htons(0x0456);

    /* untagged, set_field semantics: nothing to change */
    n = t_frame_ip4(f, -1, 17, 1, 2, 4);
    load(f, n);
    run1(vid);
    cr_expect_eq(pkt.buf.len, n);
    /* untagged with push_if_untagged: a tag with the other bits zero */
    vid.u.vlan.push_if_untagged = 1;
    run1(vid);
    cr_assert_eq(pkt.buf.len, n + 4);
    cr_expect_eq(t_rd16(pkt.buf.data + 12), 0x8100);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0x0456);
    load(f, n);
    pcp.u.vlan.push_if_untagged = 1;
    run1(pcp);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0x4000);
}

/* Open vSwitch writes a tag's net change since the last output: a tag
 * written and then written back before an output is left as it came, DEI
 * included; one that changed at an output and is written back after it
 * changed again (DEI 0). */
Test(dp_actions, tag_written_back_before_an_output_keeps_dei)
{
    uint8_t f[256];
    struct flow_action vid_new = act(FLOW_ACT_MOD_VLAN_VID);
    struct flow_action vid_old = act(FLOW_ACT_MOD_VLAN_VID);
    struct flow_action pcp_new = act(FLOW_ACT_MOD_VLAN_PCP);
    struct flow_action pcp_old = act(FLOW_ACT_MOD_VLAN_PCP);
    size_t n = t_frame_ip4(f, 0xb123, 17, 1, 2, 4);  /* PCP 5, DEI 1 */

    vid_new.u.vlan.vid = htons(0x0456);
    vid_old.u.vlan.vid = htons(0x0123);
    pcp_new.u.vlan.pcp = 2;
    pcp_old.u.vlan.pcp = 5;
    {
        struct flow_action a[] = { vid_new, pcp_new, vid_old, pcp_old,
                                   out(2) };

        load(f, n);
        run(a, 5);
        cr_assert_eq(cap.n, 1);
        cr_expect_eq(t_rd16(cap.frame[0] + 14), 0xb123, "0x%04x",
                     t_rd16(cap.frame[0] + 14));
    }
    {
        struct flow_action a[] = { vid_new, out(2), vid_old, out(3) };

        load(f, n);
        run(a, 4);
        cr_assert_eq(cap.n, 2);
        cr_expect_eq(t_rd16(cap.frame[0] + 14), 0xa456);
        cr_expect_eq(t_rd16(cap.frame[1] + 14), 0xa123, "back after an "
                     "output: a change since that output (0x%04x)",
                     t_rd16(cap.frame[1] + 14));
    }
    {
        /* a tag pushed and stripped again between: the same tags */
        struct flow_action push = act(FLOW_ACT_PUSH_VLAN);
        struct flow_action a[] = { vid_new, push, act(FLOW_ACT_STRIP_VLAN),
                                   vid_old, out(2) };

        push.u.tpid = htons(0x8100);
        a[1] = push;
        load(f, n);
        run(a, 5);
        cr_assert_eq(cap.n, 1);
        cr_expect_eq(t_rd16(cap.frame[0] + 14), 0xb123, "0x%04x",
                     t_rd16(cap.frame[0] + 14));
    }
    {
        /* a tag pushed over it: the old one, inner now, written again
         * (DEI 0), the new one too */
        struct flow_action push = act(FLOW_ACT_PUSH_VLAN);
        struct flow_action a[] = { vid_new, push, vid_old, out(2) };

        push.u.tpid = htons(0x8100);
        a[1] = push;
        load(f, n);
        run(a, 4);
        cr_assert_eq(cap.n, 1);
        cr_expect_eq(t_rd16(cap.frame[0] + 14), 0xa123, "0x%04x",
                     t_rd16(cap.frame[0] + 14));
        cr_expect_eq(t_rd16(cap.frame[0] + 18), 0xa456, "0x%04x",
                     t_rd16(cap.frame[0] + 18));
    }
}

/* A push onto a tag with DEI 1 copies its VID and PCP, not its DEI: every
 * tag Open vSwitch writes has DEI 0, and the card's PUSH_VLAN copies VID
 * and PCP only (a hw/sw difference before: software copied DEI too). */
Test(dp_actions, push_vlan_onto_dei_tag)
{
    uint8_t f[256];
    struct flow_action push = act(FLOW_ACT_PUSH_VLAN);
    size_t n = t_frame_ip4(f, 0xb00a, 17, 1, 2, 4);  /* PCP 5, DEI 1 */

    push.u.tpid = htons(0x8100);
    load(f, n);
    cr_expect_eq(run1(push), DP_ACT_DONE);
    cr_assert_eq(pkt.buf.len, n + 4);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0xa00a);    /* new outer */
    cr_expect_eq(t_rd16(pkt.buf.data + 18), 0xb00a);    /* inner, kept */
}

Test(dp_actions, push_without_headroom_drops)
{
    uint8_t f[256];
    struct flow_action a[2] = { act(FLOW_ACT_PUSH_VLAN), out(2) };

    a[0].u.tpid = htons(0x8100);
    load(f, t_frame_ip4(f, -1, 17, 1, 2, 4));
    pkt.buf.headroom = 3;
    cr_expect_eq(run(a, 2), DP_ACT_DROP_NOROOM);
    cr_expect_eq(cap.n, 0);
}

Test(dp_actions, outputs_see_packet_as_it_is_then)
{
    uint8_t f[256], orig[256];
    struct flow_action a[6] = { out(2), act(FLOW_ACT_MOD_TP_DST), out(3),
                                out(1), act(FLOW_ACT_GOTO_TABLE), out(9) };
    struct dp_actions_env env = { .output = capture, .ctx = &cap };
    uint8_t table = 0;
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 0);

    memcpy(orig, f, n);
    a[1].u.tp_port = htons(99);
    a[4].u.table = 5;
    load(f, n);
    cr_expect_eq(dp_actions_run(&env, &pkt, a, 6, &table, NULL), DP_ACT_GOTO);
    cr_expect_eq(table, 5);
    /* output:1 is the in_port: skipped; out(9) after goto never runs */
    cr_assert_eq(cap.n, 2);
    cr_expect_eq(cap.port[0], 2);
    cr_expect_eq(cap.tx_port[0], 2);
    cr_expect_arr_eq(cap.frame[0], orig, n);
    cr_expect_eq(cap.port[1], 3);
    cr_expect_eq(t_rd16(cap.frame[1] + 36), 99);
}

Test(dp_actions, empty_list_drops)
{
    uint8_t f[256];

    load(f, t_frame_ip4(f, -1, 6, 1, 2, 0));
    cr_expect_eq(run(NULL, 0), DP_ACT_DONE);
    cr_expect_eq(cap.n, 0);
}

Test(dp_actions, tunnel_metadata_set)
{
    uint8_t f[256];
    struct flow_action a[3] = { act(FLOW_ACT_SET_TUNNEL),
                                act(FLOW_ACT_SET_TUN_SRC),
                                act(FLOW_ACT_SET_TUN_DST) };

    a[0].u.tun_id = htobe64(0x123456);
    a[1].u.ipv4 = htonl(0x0a000001);
    a[2].u.ipv4 = htonl(0x0a000002);
    load(f, t_frame_ip4(f, -1, 6, 1, 2, 0));
    run(a, 3);
    cr_expect_eq(be64toh(pkt.tun.tun_id), 0x123456);
    cr_expect_eq(pkt.tun.tun_src, htonl(0x0a000001));
    cr_expect_eq(pkt.tun.tun_dst, htonl(0x0a000002));
    cr_expect_eq(pkt.tun.set, DP_TUN_SET_SRC | DP_TUN_SET_DST);
}

Test(dp_actions, truncated_headers_are_not_rewritten)
{
    uint8_t f[256], before[256];
    struct flow_action a[4] = { act(FLOW_ACT_MOD_NW_SRC),
                                act(FLOW_ACT_MOD_TP_DST),
                                act(FLOW_ACT_DEC_TTL), out(2) };
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 0);

    a[0].u.ipv4 = htonl(0x01020304);
    a[1].u.tp_port = htons(5);
    for (size_t len = 0; len < n; len++) {
        enum dp_act_result rc;

        memcpy(before, f, len);
        load(f, len);
        rc = run(a, 4);
        /* the IP total length reaches past a cut frame: no IP header, so
         * nothing is rewritten, and dec_ttl (TTL unreadable) drops */
        cr_assert_arr_eq(pkt.buf.data, before, len, "len %zu", len);
        cr_assert_eq(rc, len < 14 ? DP_ACT_DONE : DP_ACT_DROP_TTL,
                     "len %zu", len);
    }
}

/* ---- as Open vSwitch does it (tests/ovsdiff found each) ---- */

Test(dp_actions, ipv6_udp_zero_checksum_stays_zero)
{
    uint8_t f[256];
    struct flow_action a = act(FLOW_ACT_MOD_TP_DST);
    size_t n = t_frame_ip6(f, 17, 1, 2, 8);

    t_wr16(f + 14 + 40 + 6, 0);
    a.u.tp_port = htons(99);
    load(f, n);
    run1(a);
    cr_expect_eq(t_rd16(ip_hdr() + 42), 99);
    cr_expect_eq(t_rd16(ip_hdr() + 46), 0);
}

Test(dp_actions, rewrites_that_change_nothing_touch_no_checksum)
{
    uint8_t f[256];
    struct flow_action p = act(FLOW_ACT_MOD_TP_DST);
    struct flow_action t = act(FLOW_ACT_MOD_NW_TOS);
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 0);

    /* 0xffff and 0 are the same one's complement number: a patch with
     * old == new would turn one into the other */
    t_wr16(f + 14 + 20 + 16, 0xffff);
    t_wr16(f + 14 + 10, 0xffff);
    p.u.tp_port = htons(2);
    t.u.tos = f[15];
    load(f, n);
    run1(p);
    run1(t);
    cr_expect_arr_eq(pkt.buf.data, f, n);
}

Test(dp_actions, sctp_wrong_crc_stays_exactly_as_wrong)
{
    uint8_t f[256];
    struct flow_action a = act(FLOW_ACT_MOD_TP_SRC);
    size_t n = t_frame_ip4(f, -1, 132, 1, 2, 16);
    uint8_t *sctp = f + 14 + 20;

    sctp[8] ^= 0x5a;                /* wrong by 0x5a in the first byte */
    a.u.tp_port = htons(7777);
    load(f, n);
    run1(a);
    t_wr16(sctp, 7777);
    memset(sctp + 8, 0, 4);
    {
        uint32_t crc = t_crc32c(sctp, 12 + 16);

        cr_expect_eq(ip_hdr()[20 + 8], (uint8_t)crc ^ 0x5a);
        cr_expect_eq(ip_hdr()[20 + 11], (uint8_t)(crc >> 24));
    }
}

Test(dp_actions, tcp_bad_data_offset_not_rewritten)
{
    uint8_t f[256];
    struct flow_action a = act(FLOW_ACT_MOD_TP_DST);
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 0);

    f[14 + 20 + 12] = 0x40;
    t_ipv4_fix(f + 14);
    a.u.tp_port = htons(99);
    load(f, n);
    run1(a);
    cr_expect_arr_eq(pkt.buf.data, f, n);
}

Test(dp_actions, dec_ttl_of_an_unreadable_ip_header_drops)
{
    uint8_t f[256];
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 8);

    f[22] = 64;
    t_wr16(f + 16, 200);            /* total length past the frame */
    load(f, n);
    cr_expect_eq(run1(act(FLOW_ACT_DEC_TTL)), DP_ACT_DROP_TTL);
    cr_expect_eq(ip_hdr()[8], 64);
}

/* ---- OpenFlow 1.0's relaxed prerequisites: the packet decides ---- */

/* mod_nw_*, mod_tp_*, dec_ttl, strip_vlan, mod_nw_ttl/ecn on a packet that
 * lacks their header (the parser takes them without a match on it): the
 * frame goes through untouched, as in Open vSwitch. */
Test(dp_actions, relaxed_actions_leave_other_packets_alone)
{
    uint8_t f[256], before[256];
    struct flow_action a[9] = {
        act(FLOW_ACT_MOD_NW_SRC), act(FLOW_ACT_MOD_NW_DST),
        act(FLOW_ACT_MOD_NW_TOS), act(FLOW_ACT_MOD_TP_SRC),
        act(FLOW_ACT_MOD_TP_DST), act(FLOW_ACT_DEC_TTL),
        act(FLOW_ACT_STRIP_VLAN), act(FLOW_ACT_MOD_NW_TTL),
        act(FLOW_ACT_MOD_NW_ECN),
    };
    size_t l2, n;

    a[0].u.ipv4 = htonl(0x01020304);
    a[1].u.ipv4 = htonl(0x05060708);
    a[2].u.tos = 0xfc;
    a[3].u.tp_port = htons(1);
    a[4].u.tp_port = htons(2);
    a[7].u.ttl = 1;
    a[8].u.tos = 3;
    /* ARP: no IP header, no ports, no tag */
    l2 = t_eth(f, 0x0806, -1);
    for (size_t i = 0; i < 28; i++)
        f[l2 + i] = (uint8_t)(i * 13 + 1);
    n = l2 + 28;
    memcpy(before, f, n);
    load(f, n);
    cr_expect_eq(run(a, 9), DP_ACT_DONE);
    cr_expect_eq(pkt.buf.len, n);
    cr_expect_arr_eq(pkt.buf.data, before, n);
    /* IPv6 UDP: mod_nw_src/dst are IPv4's; the rest does apply */
    n = t_frame_ip6(f, 17, 1000, 2000, 8);
    memcpy(before, f, n);
    load(f, n);
    cr_expect_eq(run(a, 2), DP_ACT_DONE);
    cr_expect_arr_eq(pkt.buf.data, before, n);
}

/* ICMP type and code live in the port fields of Open vSwitch's flow, so
 * mod_tp_src/dst write their low byte there, checksum patched. */
Test(dp_actions, mod_tp_on_icmp_writes_type_and_code)
{
    uint8_t f[256];
    struct flow_action a[2] = { act(FLOW_ACT_MOD_TP_SRC),
                                act(FLOW_ACT_MOD_TP_DST) };
    size_t n = t_frame_ip4(f, -1, 1, 8 << 8, 0, 12);
    uint8_t *icmp = f + 14 + 20;

    t_wr16(icmp + 2, (uint16_t)~t_fold(t_sum(0, icmp, 8 + 12)));
    a[0].u.tp_port = htons(0x100 | 13);
    a[1].u.tp_port = htons(3);
    load(f, n);
    run(a, 2);
    icmp = ip_hdr() + 20;
    cr_expect_eq(icmp[0], 13);
    cr_expect_eq(icmp[1], 3);
    cr_expect_eq(t_fold(t_sum(0, icmp, 8 + 12)), 0xffff,
                 "ICMP checksum no longer verifies");
    cr_expect(t_ipv4_ok(ip_hdr()));
}

/* set_field:3->in_port: from there on the packet came in on 3, as in
 * Open vSwitch: an output to the old in_port goes out, one to 3 is
 * skipped, and IN_PORT means 3. */
Test(dp_actions, set_in_port_moves_the_ingress)
{
    uint8_t f[256];
    struct flow_action a[4] = { act(FLOW_ACT_SET_IN_PORT), out(1), out(3),
                                out(FLOW_PORT_IN_PORT) };
    size_t n = t_frame_ip4(f, -1, 17, 2000, 0, 8);

    a[0].u.port = 3;
    load(f, n);
    cr_expect_eq(run(a, 4), DP_ACT_DONE);
    cr_expect_eq(pkt.in_port, 3);
    cr_assert_eq(cap.n, 2);
    cr_expect_eq(cap.port[0], 1);
    cr_expect_eq(cap.port[1], 3);
}

/* set_field:V/M->vlan_tci: the bits under the mask, the rest kept; an
 * untagged packet is left alone (the parser only takes it onto a tag). */
Test(dp_actions, mod_vlan_tci_masked)
{
    uint8_t f[256];
    struct flow_action a[2] = { act(FLOW_ACT_MOD_VLAN_TCI),
                                act(FLOW_ACT_MOD_VLAN_TCI) };
    size_t n = t_frame_ip4(f, 0x6005, 17, 1, 2, 8);

    a[0].u.tci.value = htons(0x1203);
    a[0].u.tci.mask = htons(0x1fff);
    load(f, n);
    cr_expect_eq(run(a, 1), DP_ACT_DONE);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0x6203);
    a[1].u.tci.value = htons(0xe000);
    a[1].u.tci.mask = htons(0xe000);
    load(f, n);
    cr_expect_eq(run(a, 2), DP_ACT_DONE);
    cr_expect_eq(t_rd16(pkt.buf.data + 14), 0xe203);
    cr_expect_eq(pkt.buf.len, n);
    n = t_frame_ip4(f, -1, 17, 1, 2, 8);
    load(f, n);
    cr_expect_eq(run(a, 2), DP_ACT_DONE);
    cr_expect_eq(pkt.buf.len, n, "an untagged packet got a tag");
}

Test(dp_actions, mod_nw_ttl_and_ecn)
{
    uint8_t f[256];
    struct flow_action a[2] = { act(FLOW_ACT_MOD_NW_TTL),
                                act(FLOW_ACT_MOD_NW_ECN) };
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 3);

    f[14 + 1] = 46 << 2;                    /* EF, ECN 0 */
    t_ipv4_fix(f + 14);
    a[0].u.ttl = 7;
    a[1].u.tos = 3;
    load(f, n);
    cr_expect_eq(run(a, 2), DP_ACT_DONE);
    cr_expect_eq(ip_hdr()[8], 7);
    cr_expect_eq(ip_hdr()[1], 46 << 2 | 3, "DSCP kept, ECN set");
    cr_expect(t_ipv4_ok(ip_hdr()));
    /* IPv6: hop limit; ECN is bits 4-5 of byte 1 (traffic class 0xb4) */
    n = t_frame_ip6(f, 17, 1, 2, 8);
    a[1].u.tos = 1;
    load(f, n);
    cr_expect_eq(run(a, 2), DP_ACT_DONE);
    cr_expect_eq(ip_hdr()[7], 7);
    cr_expect_eq((ip_hdr()[0] & 0x0f) << 4 | ip_hdr()[1] >> 4, 0xb5);
    cr_expect_eq(ip_hdr()[1] & 0x0f, 0x01, "flow label kept");
}

/* output(port=N,max_len=M): that copy is cut to M bytes, the packet goes
 * on whole; to the ingress port it is skipped like any output */
Test(dp_actions, output_trunc_cuts_one_copy)
{
    uint8_t f[256];
    struct flow_action a[4] = { act(FLOW_ACT_OUTPUT_TRUNC),
                                act(FLOW_ACT_OUTPUT_TRUNC), out(3),
                                act(FLOW_ACT_OUTPUT_TRUNC) };
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 40);

    a[0].u.trunc.port = 2;
    a[0].u.trunc.max_len = 20;
    a[1].u.trunc.port = 1;                  /* the ingress port */
    a[1].u.trunc.max_len = 20;
    a[3].u.trunc.port = 4;
    a[3].u.trunc.max_len = 1000;            /* longer than the packet */
    load(f, n);
    cr_expect_eq(run(a, 4), DP_ACT_DONE);
    cr_assert_eq(cap.n, 3);
    cr_expect_eq(cap.port[0], 2);
    cr_expect_eq(cap.len[0], 20);
    cr_expect_arr_eq(cap.frame[0], f, 20);
    cr_expect_eq(cap.port[1], 3);
    cr_expect_eq(cap.len[1], n);
    cr_expect_eq(cap.port[2], 4);
    cr_expect_eq(cap.len[2], n);
    cr_expect_arr_eq(cap.frame[2], f, n);
}

/* The cut is fixed on the packet as of the last output, as Open vSwitch's
 * datapath fixes it before applying a pop or push made since: after a
 * strip_vlan the copy is 4 bytes shorter than max_len, and one shorter
 * than an Ethernet header is not sent. */
Test(dp_actions, output_trunc_counts_from_the_last_output)
{
    uint8_t f[256];
    struct flow_action a[5] = { act(FLOW_ACT_STRIP_VLAN),
                                act(FLOW_ACT_OUTPUT_TRUNC),
                                act(FLOW_ACT_OUTPUT_TRUNC), out(4),
                                act(FLOW_ACT_OUTPUT_TRUNC) };
    size_t n = t_frame_ip4(f, 0x0005, 17, 1, 2, 40);

    a[1].u.trunc.port = 3;
    a[1].u.trunc.max_len = 14;
    a[2].u.trunc.port = 2;
    a[2].u.trunc.max_len = 30;
    a[4].u.trunc.port = 2;
    a[4].u.trunc.max_len = 14;
    load(f, n);
    pkt.committed_len = n;
    cr_expect_eq(run(a, 5), DP_ACT_DONE);
    cr_assert_eq(cap.n, 3, "14 - 4 bytes: not sent");
    cr_expect_eq(cap.port[0], 2);
    cr_expect_eq(cap.len[0], 30, "that output made the pop happen");
    cr_expect_eq(cap.port[1], 4);
    cr_expect_eq(cap.len[1], n - 4);
    cr_expect_eq(cap.port[2], 2);
    cr_expect_eq(cap.len[2], 14);

    /* strip_vlan, then a cut of 30: 26 bytes */
    a[1] = a[2];
    load(f, n);
    pkt.committed_len = n;
    cr_expect_eq(run(a, 2), DP_ACT_DONE);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.len[0], 26, "30 - the 4 bytes of the popped tag");
}

/* An output to LOCAL or CONTROLLER makes the pending pop happen too (Open
 * vSwitch's datapath actions for strip_vlan,LOCAL,output(port=2,
 * max_len=20): pop_vlan,LOCAL,trunc(20),2): the cut after it counts from
 * the popped packet. */
Test(dp_actions, output_trunc_counts_from_a_reserved_output)
{
    uint8_t f[256];
    struct flow_action a[3] = { act(FLOW_ACT_STRIP_VLAN),
                                out(FLOW_PORT_LOCAL),
                                act(FLOW_ACT_OUTPUT_TRUNC) };
    size_t n = t_frame_ip4(f, 0x0005, 17, 1, 2, 40);

    a[2].u.trunc.port = 2;
    a[2].u.trunc.max_len = 20;
    for (int k = 0; k < 2; k++) {
        a[1] = out(k == 0 ? FLOW_PORT_LOCAL : FLOW_PORT_CONTROLLER);
        a[1].pad0 = FLOW_CONTROLLER_MAX_LEN;
        load(f, n);
        pkt.committed_len = n;
        cr_expect_eq(run(a, 3), DP_ACT_DONE);
        cr_assert_eq(cap.n, 2);
        cr_expect_eq(cap.len[0], n - 4);
        cr_expect_eq(cap.port[1], 2);
        cr_expect_eq(cap.len[1], 20, "%s: %zu bytes, not 20",
                     k == 0 ? "LOCAL" : "CONTROLLER", cap.len[1]);
    }
}
