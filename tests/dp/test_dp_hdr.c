/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header fields as subfields in the datapath (load, move, push, pop,
 * output:FIELD onto NXM_OF_IP_DST[], OXM_OF_ARP_THA[]...), flows through
 * the parser and frames through the packet path: the bytes written, the
 * checksums patched as mod_nw_src/mod_tp_dst patch them, reads that see
 * earlier rewrites, a lookup after a resubmit that matches the rewritten
 * header, and in_port as a destination.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

/* @flows, one frame @f on port 1, the outputs in @c. */
static void
run(const char *const *flows, const uint8_t *f, size_t n,
    struct capture *c)
{
    struct dp_env e;
    struct t_pkt tp;

    dp_env_init(&e, 0, flows);
    memset(c, 0, sizeof(*c));
    t_pkt_load(&tp, f, n);
    dp_env_run(&e, &tp.buf, 1, false, capture, c);
    dp_env_fini(&e);
}

Test(dp_hdr, load_and_move_ipv4_addresses_patch_the_checksums)
{
    static const char *const flows[] = {
        "in_port=1,tcp,actions=load:0xa000009->OXM_OF_IPV4_DST[],"
        "move:NXM_OF_IP_DST[24..31]->NXM_OF_IP_SRC[0..7],output:2",
        NULL,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 6, 1000, 80, 10);
    const uint8_t *ip;

    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    ip = c.frame[0] + 14;
    cr_expect_eq(ip[16], 10);
    cr_expect_eq(ip[19], 9);
    cr_expect_eq(ip[15], 10);       /* 10.0.0.10: the top byte moved */
    cr_expect(t_ipv4_ok(ip));
    cr_expect(t_l4_ok(ip, ip + 20, 30, 6));
}

Test(dp_hdr, ports_ttl_and_tos_as_subfields)
{
    static const char *const flows[] = {
        "in_port=1,udp,actions=move:NXM_OF_UDP_SRC[]->NXM_OF_UDP_DST[],"
        "load:0x7->NXM_NX_IP_TTL[],load:0xb3->NXM_OF_IP_TOS[],"
        "load:2->NXM_NX_IP_ECN[],output:2",
        NULL,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 1000, 2000, 6);
    const uint8_t *ip;

    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    ip = c.frame[0] + 14;
    cr_expect_eq(t_rd16(ip + 22), 1000);
    cr_expect_eq(ip[8], 7);
    /* the DSCP bits of 0xb3 (0xb0), then ECN 2 */
    cr_expect_eq(ip[1], 0xb2);
    cr_expect(t_ipv4_ok(ip));
    cr_expect(t_l4_ok(ip, ip + 20, 14, 17));
}

Test(dp_hdr, ethernet_addresses_and_a_push_pop_swap)
{
    static const char *const flows[] = {
        "in_port=1,actions=push:NXM_OF_ETH_SRC[],push:NXM_OF_ETH_DST[],"
        "pop:NXM_OF_ETH_SRC[],pop:NXM_OF_ETH_DST[],"
        "load:0x2a->NXM_OF_ETH_DST[40..47],output:2",
        NULL,
    };
    struct capture c;
    uint8_t f[128], want_src[6], want_dst[6];
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 0);

    memcpy(want_src, f, 6);
    memcpy(want_dst, f + 6, 6);
    want_dst[0] = 0x2a;
    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_arr_eq(c.frame[0], want_dst, 6);
    cr_expect_arr_eq(c.frame[0] + 6, want_src, 6);
}

Test(dp_hdr, a_rewritten_header_is_what_the_next_table_matches)
{
    static const char *const flows[] = {
        "table=0,in_port=1,ip,actions=load:0xc0a80001->NXM_OF_IP_SRC[],"
        "resubmit(,1)",
        "table=1,ip,nw_src=192.168.0.1,actions=output:3",
        "table=1,priority=0,actions=output:4",
        NULL,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 0);

    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 3);
}

Test(dp_hdr, output_to_a_port_a_header_field_holds)
{
    static const char *const flows[] = {
        "in_port=1,udp,actions=output:NXM_OF_UDP_DST[]",
        NULL,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 1000, 5, 0);

    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 5);
}

Test(dp_hdr, in_port_as_a_destination)
{
    /* after the load the packet came in on 9: output:9 is skipped and
     * output:1 goes out */
    static const char *const flows[] = {
        "in_port=1,actions=output:9,load:9->NXM_OF_IN_PORT[],output:1,"
        "output:9",
        NULL,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 0);

    run(flows, f, n, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 9);
    cr_expect_eq(c.port[1], 1);
}

/* An Ethernet/IPv4 ARP request from 10.0.0.1 (MAC 02:..:01) for
 * 10.0.0.2. */
static size_t
arp_frame(uint8_t *f)
{
    static const uint8_t body[28] = {
        0, 1, 8, 0, 6, 4, 0, 1,
        2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
        0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
    };
    size_t l2 = t_eth(f, 0x0806, -1);

    memcpy(f + l2, body, sizeof(body));
    return l2 + sizeof(body);
}

Test(dp_hdr, arp_fields)
{
    static const char *const flows[] = {
        "in_port=1,arp,actions=load:2->OXM_OF_ARP_OP[],"
        "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
        "load:0x404444444441->OXM_OF_ARP_SHA[],"
        "push:NXM_OF_ARP_SPA[],move:NXM_OF_ARP_TPA[]->NXM_OF_ARP_SPA[],"
        "pop:NXM_OF_ARP_TPA[],output:2",
        NULL,
    };
    static const uint8_t want[28] = {
        0, 1, 8, 0, 6, 4, 0, 2,
        0x40, 0x44, 0x44, 0x44, 0x44, 0x41, 10, 0, 0, 2,
        2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = arp_frame(f);

    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_arr_eq(c.frame[0] + 14, want, 28);
}

/* Open vSwitch reads an opcode above 255 as 0 and writes a change of
 * its 8 bits as a masked set of the frame's low byte: the high byte stays
 * the frame's, and a write that changes none of those bits (the high
 * half of NXM_OF_ARP_OP, or the value already read) leaves the frame. */
Test(dp_hdr, arp_op_writes_its_low_byte_only)
{
    static const struct {
        const char *flow;
        uint16_t op, want;
    } cases[] = {
        { "in_port=1,arp,actions=load:5->NXM_OF_ARP_OP[],output:2",
          0x0102, 0x0105 },
        { "in_port=1,arp,actions=load:0xab->NXM_OF_ARP_OP[8..15],output:2",
          0x0102, 0x0102 },
        { "in_port=1,arp,actions=load:0->NXM_OF_ARP_OP[],output:2",
          0x0102, 0x0102 },
        { "in_port=1,arp,actions=load:0xf->NXM_OF_ARP_OP[0..3],output:2",
          0x0110, 0x011f },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *flows[] = { cases[i].flow, NULL };
        struct capture c;
        uint8_t f[128];
        size_t n = arp_frame(f);

        t_wr16(f + 14 + 6, cases[i].op);
        run(flows, f, n, &c);
        cr_assert_eq(c.n, 1, "case %zu", i);
        cr_expect_eq(c.frame[0][14 + 6] << 8 | c.frame[0][14 + 7],
                     cases[i].want, "case %zu: opcode %#x, want %#x", i,
                     c.frame[0][14 + 6] << 8 | c.frame[0][14 + 7],
                     cases[i].want);
    }
}

Test(dp_hdr, ipv6_addresses_patch_the_l4_checksum)
{
    static const char *const flows[] = {
        "in_port=1,ipv6,actions=move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
        "load:0x99->NXM_NX_IPV6_SRC[0..63],output:2",
        NULL,
    };
    struct capture c;
    uint8_t f[128], src[16], dst[16];
    size_t n = t_frame_ip6(f, 17, 7, 9, 8);
    uint8_t *ip = f + 14;
    uint32_t s;

    /* a UDP checksum that is right, to see it stay right */
    t_wr16(ip + 44, 8);
    s = t_sum(0, ip + 8, 32) + 17 + 8;
    s = t_sum(s, ip + 40, 8);
    t_wr16(ip + 46, (uint16_t)~t_fold(s));
    memcpy(dst, ip + 8, 16);
    memcpy(src, ip + 8, 8);
    memset(src + 8, 0, 8);
    src[15] = 0x99;
    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    ip = c.frame[0] + 14;
    cr_expect_arr_eq(ip + 8, src, 16);
    cr_expect_arr_eq(ip + 24, dst, 16);
    s = t_sum(0, ip + 8, 32) + 17 + 8;
    s = t_sum(s, ip + 40, 8);
    cr_expect_eq(t_fold(s), 0xffff);
}

Test(dp_hdr, a_partial_port_write_keeps_a_first_fragments_other_bits)
{
    /* a first fragment reads port 0 (as Open vSwitch's tables see it),
     * but a write of some bits keeps the frame's others */
    static const char *const flows[] = {
        "in_port=1,udp,actions=load:0->NXM_OF_UDP_SRC[8..15],output:2",
        NULL,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 0x1234, 2000, 6);
    uint8_t *ip = f + 14;

    ip[6] = 0x20;                   /* MF: a first fragment */
    ip[10] = ip[11] = 0;
    t_ipv4_fix(ip);
    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(t_rd16(c.frame[0] + 14 + 20), 0x0034);
}

Test(dp_hdr, ipv6_address_on_a_short_icmpv6_header_patches_its_sum)
{
    /* 4 bytes of ICMPv6 are no L4 header to the key, but Open vSwitch
     * patches their checksum */
    static const char *const flows[] = {
        "in_port=1,ipv6,actions=load:0x1->NXM_NX_IPV6_SRC[0..7],output:2",
        NULL,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = t_frame_ip6(f, 58, 0x0300, 0, 4);
    uint8_t *ip = f + 14;
    uint32_t s;

    s = t_sum(0, ip + 8, 32) + 58 + 4;
    s = t_sum(s, ip + 40, 4);
    t_wr16(ip + 42, (uint16_t)~t_fold(s));
    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    ip = c.frame[0] + 14;
    cr_expect_eq(ip[23], 0x01);
    s = t_sum(0, ip + 8, 32) + 58 + 4;
    s = t_sum(s, ip + 40, 4);
    cr_expect_eq(t_fold(s), 0xffff);
}

Test(dp_hdr, no_l4_sum_behind_a_routing_header_with_segments_left)
{
    /* Open vSwitch stops at such a header and patches nothing */
    static const char *const flows[] = {
        "in_port=1,ipv6,actions=load:0x1->NXM_NX_IPV6_SRC[0..7],output:2",
        NULL,
    };
    struct capture c;
    uint8_t f[160];
    size_t n = t_frame_ip6(f, 43, 0, 0, 8 + 8);
    uint8_t *ip = f + 14, *rh = ip + 40, *udp = rh + 8;

    rh[0] = 17;                     /* next: UDP */
    rh[1] = 0;
    rh[2] = 0;                      /* type 0 */
    rh[3] = 2;                      /* segments left */
    memset(udp, 0, 8);
    t_wr16(udp, 7);
    t_wr16(udp + 2, 9);
    t_wr16(udp + 4, 8);
    t_wr16(udp + 6, 0x1234);
    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.frame[0][14 + 23], 0x01);
    cr_expect_eq(t_rd16(c.frame[0] + 14 + 48 + 6), 0x1234);
}

Test(dp_hdr, a_load_wider_than_64_bits)
{
    static const char *const flows[] = {
        "in_port=1,ipv6,actions=load:0x20010db800000000000000000000abcd->"
        "NXM_NX_IPV6_DST[],output:2",
        NULL,
    };
    struct capture c;
    uint8_t f[128], want[16];
    size_t n = t_frame_ip6(f, 17, 7, 9, 8);

    inet_pton(AF_INET6, "2001:db8::abcd", want);
    run(flows, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_arr_eq(c.frame[0] + 14 + 24, want, 16);
}

/* The outer tag's VID, PCP and TCI bits as subfields: a write that
 * changes nothing leaves the tag (its DEI bit too), one that changes a
 * bit writes the TCI with DEI 0, as Open vSwitch's whole-TCI write does;
 * writing CFI 1 onto a tag changes nothing. */
Test(dp_hdr, vlan_fields_of_the_outer_tag)
{
    static const char *const flows[] = {
        "in_port=1,dl_vlan=5,actions=load:5->OXM_OF_VLAN_VID[],"
        "load:1->NXM_OF_VLAN_TCI[12],output:2,load:99->OXM_OF_VLAN_VID[],"
        "output:3,load:6->vlan_pcp[],output:4,"
        "move:OXM_OF_VLAN_VID[0..2]->NXM_OF_VLAN_TCI[13..15],output:5",
        NULL,
    };
    struct capture c;
    uint8_t f[128];
    size_t n = t_frame_ip4(f, 0x3005, 17, 1, 2, 0);

    run(flows, f, n, &c);
    cr_assert_eq(c.n, 4);
    cr_expect_eq(t_rd16(c.frame[0] + 14), 0x3005);
    cr_expect_eq(t_rd16(c.frame[1] + 14), 0x2063);
    cr_expect_eq(t_rd16(c.frame[2] + 14), 0xc063);
    cr_expect_eq(t_rd16(c.frame[3] + 14), 0x6063);
    for (unsigned i = 0; i < c.n; i++)
        cr_expect_eq(c.len[i], n);
}
