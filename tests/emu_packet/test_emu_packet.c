/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the packet engine helpers (emu_packet.h): parsing of every header
 * kind, truncated frames at every length, and rule matching.
 *
 * Frames come from pkt_build.c. Rewrites are in test_emu_rewrite.c.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "emu_packet.h"
#include "pkt_build.h"

TestSuite(emu_packet, .timeout = 30);

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

Test(emu_packet, csum_reference_values)
{
    /* RFC 1071's worked example: sum 0xddf2, checksum 0x220d */
    const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    cr_assert_eq(emu_csum(ex, sizeof(ex)), 0x220d);
    /* odd length: last byte padded with zero */
    const uint8_t odd[] = { 0x12, 0x34, 0x56 };
    cr_assert_eq(emu_csum(odd, 3), (uint16_t)~(0x1234 + 0x5600));
    cr_assert_eq(emu_csum(odd, 0), 0xffff);
}

Test(emu_packet, parse_ethernet_only)
{
    struct pkt p = { .n = 0 };
    eth(&p, MAC_A, MAC_B, 0x0806);
    payload(&p, 28);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 7);

    cr_assert_eq(le16toh(t.key.src_vport), 7);
    cr_assert_arr_eq(t.key.eth_dst, MAC_A, 6);
    cr_assert_arr_eq(t.key.eth_src, MAC_B, 6);
    cr_assert_eq(ntohs(t.key.eth_type), 0x0806);
    cr_assert_eq(t.key.vlan_tci, 0);
    cr_assert_eq(t.lay.vlan, -1);
    cr_assert_eq(t.lay.l3, -1);
    cr_assert_eq(t.lay.l4, -1);
    cr_assert_eq(t.lay.l3_kind, 0);

    /* nothing past the Ethernet header reaches the key */
    struct fw_match tail;
    memset(&tail, 0, sizeof(tail));
    cr_assert_arr_eq((uint8_t *)&t.key + 18, (uint8_t *)&tail + 18,
                     sizeof(tail) - 18);
}

Test(emu_packet, parse_vlan_tags)
{
    static const struct { uint16_t tpid, tci, key_tci; } cases[] = {
        { 0x8100, 0x2064, 0x3064 },     /* PCP 1, VID 100 */
        { 0x8100, 0x3064, 0x3064 },     /* DEI set: not matchable */
        { 0x88a8, 0xe001, 0xf001 },
        { 0x8100, 0x0000, 0x1000 },     /* priority tag, VID 0 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pkt p = { .n = 0 };
        eth(&p, MAC_A, MAC_B, cases[i].tpid);
        tag(&p, cases[i].tci, 0x86dd);
        uint32_t l3 = ipv6(&p, IP6_A, IP6_B, 59, 3, 0);
        fin_ipv6(&p, l3);
        struct tframe t;
        tf_load(&t, &p, EMU_FRAME_HEADROOM, 1);
        cr_expect_eq(ntohs(t.key.vlan_tci), cases[i].key_tci, "case %zu", i);
        cr_expect_eq(ntohs(t.key.eth_type), 0x86dd);
        cr_expect_eq(t.lay.vlan, 12);
        cr_expect_eq(t.lay.l3, 18);
        cr_expect_eq(t.key.ip_proto, 59);
        cr_expect_eq(t.key.ip_ttl, 3);
    }

    /* QinQ: only the outer tag is parsed; eth_type is the inner TPID */
    struct pkt p = { .n = 0 };
    eth(&p, MAC_A, MAC_B, 0x88a8);
    tag(&p, 0x0005, 0x8100);
    tag(&p, 0x0006, 0x0800);
    uint32_t l3 = ipv4(&p, 1, 2, 17, 64, 0);
    udp(&p, 1, 2);
    fin_ipv4(&p, l3);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 1);
    cr_assert_eq(ntohs(t.key.vlan_tci), 0x1005);
    cr_assert_eq(ntohs(t.key.eth_type), 0x8100);
    cr_assert_eq(t.lay.l3, -1);
    cr_assert_eq(t.key.ipv4_src, 0);
}

Test(emu_packet, parse_ipv4_tcp)
{
    struct pkt p;
    build_ipv4_tcp(&p, true, 40000, 443);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 3);

    cr_assert_eq(ntohs(t.key.eth_type), 0x0800);
    cr_assert_eq(ntohs(t.key.vlan_tci), 0x3064);
    cr_assert_eq(ntohl(t.key.ipv4_src), IP4(10, 0, 0, 1));
    cr_assert_eq(ntohl(t.key.ipv4_dst), IP4(192, 168, 1, 2));
    cr_assert_eq(t.key.ip_proto, 6);
    cr_assert_eq(t.key.ip_ttl, 64);
    cr_assert_eq(t.key.ip_tos, 0x10);
    cr_assert_eq(ntohs(t.key.l4_src), 40000);
    cr_assert_eq(ntohs(t.key.l4_dst), 443);
    cr_assert_eq(t.key.icmp_type, 0);
    cr_assert_eq(t.key.vxlan_vni, 0);
    cr_assert_eq(t.lay.l3, 18);
    cr_assert_eq(t.lay.l4, 38);
    cr_assert_eq(t.lay.l3_kind, 4);
    cr_assert_eq(t.lay.l4_proto, 6);
    cr_assert_eq(t.lay.vxlan, -1);
    check_csums(&t);    /* the builder itself is right */
}

Test(emu_packet, parse_ipv4_options_and_malformed)
{
    /* IHL 6: TCP starts 24 bytes into the IP header */
    struct pkt p = { .n = 0 };
    eth(&p, MAC_A, MAC_B, 0x0800);
    uint32_t l3 = ipv4(&p, 1, 2, 6, 64, 0);
    p.b[l3] = 0x46;
    put32(&p, 0x01010100);          /* NOP NOP NOP EOL */
    uint32_t l4 = tcp(&p, 7, 9);
    fin_l4(&p, l3, l4, 6);
    fin_ipv4(&p, l3);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.l4, 38);
    cr_assert_eq(ntohs(t.key.l4_dst), 9);
    check_csums(&t);

    /* IHL < 5, wrong version, total length shorter than the header */
    struct pkt bad = p;
    bad.b[l3] = 0x44;
    tf_load(&t, &bad, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.l3, -1);
    cr_assert_eq(t.key.ipv4_src, 0);
    cr_assert_eq(ntohs(t.key.eth_type), 0x0800);

    /* the version nibble is not looked at (as snicd's datapath and Open
     * vSwitch); a total length past the frame makes no IP header */
    bad = p;
    bad.b[l3] = 0x56;
    tf_load(&t, &bad, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.l3, 14);

    bad = p;
    set16(bad.b + l3 + 2, (uint16_t)(p.n - l3 + 1));
    tf_load(&t, &bad, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.l3, -1);
    cr_assert_eq(t.key.ipv4_src, 0);

    bad = p;
    set16(bad.b + l3 + 2, 20);
    tf_load(&t, &bad, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.l3, -1);

    /* IHL 15 with a frame too short for 60 bytes of header */
    bad = p;
    bad.b[l3] = 0x4f;
    tf_load(&t, &bad, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.l3, -1);

    /* TCP data offset < 5 is no TCP header */
    bad = p;
    bad.b[l4 + 12] = 0x40;
    tf_load(&t, &bad, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.l3, 14);
    cr_assert_eq(t.lay.l4, -1);
    cr_assert_eq(t.key.l4_dst, 0);
    cr_assert_eq(t.key.ip_proto, 6);
}

Test(emu_packet, parse_ipv4_padding_is_not_l4)
{
    /* a bare IPv4 header (total length 20) then Ethernet padding that
     * happens to look like a UDP header */
    struct pkt p = { .n = 0 };
    eth(&p, MAC_A, MAC_B, 0x0800);
    uint32_t l3 = ipv4(&p, 1, 2, 17, 64, 0);
    fin_ipv4(&p, l3);
    udp(&p, 1111, 2222);
    payload(&p, 18);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.l3, 14);
    cr_assert_eq(t.key.ip_proto, 17);
    cr_assert_eq(t.lay.l4, -1);
    cr_assert_eq(t.key.l4_src, 0);
}

Test(emu_packet, parse_fragments)
{
    struct pkt p;
    build_ipv4_udp(&p, 1000, 2000, true);
    uint32_t l3 = 14;

    /* a whole datagram, DF or not, is not a fragment */
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.ip_frag, 0);
    set16(p.b + l3 + 6, 0x4000);
    fin_ipv4(&p, l3);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.ip_frag, 0);

    /* first fragment (MF, offset 0) carries the ports */
    set16(p.b + l3 + 6, 0x2000);
    fin_ipv4(&p, l3);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(ntohs(t.key.l4_dst), 2000);
    cr_assert_eq(t.lay.l4_proto, 17);
    cr_assert_eq(t.key.ip_frag, FW_IP_FRAG_IS | FW_IP_FRAG_MORE);

    /* the last fragment: offset, no MF (DF ignored) */
    set16(p.b + l3 + 6, 0x4000 | 0x0001);
    fin_ipv4(&p, l3);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.ip_frag, FW_IP_FRAG_IS | FW_IP_FRAG_LATER);

    /* a later fragment has no L4 header, only the protocol number */
    set16(p.b + l3 + 6, 0x2003);
    fin_ipv4(&p, l3);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.ip_proto, 17);
    cr_assert_eq(t.key.l4_src, 0);
    cr_assert_eq(t.key.l4_dst, 0);
    cr_assert_eq(t.lay.l4, -1);
    cr_assert_eq(t.lay.l4_proto, 0);
    cr_assert_eq(t.lay.l3_kind, 4);
    cr_assert_eq(t.key.ip_frag,
                 FW_IP_FRAG_IS | FW_IP_FRAG_LATER | FW_IP_FRAG_MORE);
}

/* IPv6 with a Fragment header (@frag_data: offset << 3 | M) then UDP. */
static void
build_ipv6_frag(struct pkt *p, uint16_t frag_data)
{
    p->n = 0;
    eth(p, MAC_B, MAC_A, 0x86dd);
    uint32_t l3 = ipv6(p, IP6_A, IP6_B, 44, 64, 0);
    put8(p, 17);
    put8(p, 0);
    put16(p, frag_data);
    put32(p, 0x12345678);
    udp(p, 5353, 53);
    payload(p, 8);
    fin_ipv6(p, l3);
}

Test(emu_packet, parse_ipv6_fragment_header)
{
    static const struct { uint16_t fd; uint8_t want; } cases[] = {
        { 0x0001, FW_IP_FRAG_IS | FW_IP_FRAG_MORE },            /* first */
        { 0x0000, FW_IP_FRAG_IS },                              /* atomic */
        { (1 << 3) | 1, FW_IP_FRAG_IS | FW_IP_FRAG_LATER | FW_IP_FRAG_MORE },
        { 0xfff8, FW_IP_FRAG_IS | FW_IP_FRAG_LATER },           /* last */
        { 0x0006, FW_IP_FRAG_IS },      /* reserved bits are not M */
    };
    struct pkt p;
    struct tframe t;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        build_ipv6_frag(&p, cases[i].fd);
        tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
        cr_expect_eq(t.key.ip_frag, cases[i].want, "frag_data %#x: %#x",
                     cases[i].fd, t.key.ip_frag);
        /* the header is skipped: the UDP behind an offset-0 fragment is
         * the packet's protocol and L4; a later fragment stays 44 */
        bool later = (cases[i].want & FW_IP_FRAG_LATER) != 0;
        cr_expect_eq(t.key.ip_proto, later ? 44 : 17, "frag_data %#x",
                     cases[i].fd);
        cr_expect_eq(t.lay.l4 >= 0, !later, "frag_data %#x", cases[i].fd);
        cr_expect_eq(ntohs(t.key.l4_dst), later ? 0 : 53);
    }

    /* the Fragment header must lie inside the frame and the payload */
    build_ipv6_frag(&p, 0x0001);
    for (uint32_t len = 14 + 40; len < 14 + 40 + 8; len++) {
        struct pkt q = p;

        q.n = len;
        tf_load(&t, &q, EMU_FRAME_HEADROOM, 0);
        cr_expect_eq(t.key.ip_frag, 0, "frame cut at %u", len);
    }
    set16(p.b + 14 + 4, 7);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_expect_eq(t.key.ip_frag, 0, "payload length 7");

    /* unfragmented IPv6 */
    build_ipv6_udp(&p, 0, 64);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_expect_eq(t.key.ip_frag, 0);
}

Test(emu_packet, parse_ipv6_udp)
{
    struct pkt p;
    build_ipv6_udp(&p, 0xb8, 255);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 2);
    cr_assert_eq(ntohs(t.key.eth_type), 0x86dd);
    cr_assert_arr_eq(t.key.ipv6_src, IP6_A, 16);
    cr_assert_arr_eq(t.key.ipv6_dst, IP6_B, 16);
    cr_assert_eq(t.key.ip_tos, 0xb8);
    cr_assert_eq(t.key.ip_ttl, 255);
    cr_assert_eq(t.key.ip_proto, 17);
    cr_assert_eq(ntohs(t.key.l4_src), 5353);
    cr_assert_eq(ntohs(t.key.l4_dst), 53);
    cr_assert_eq(t.key.ipv4_src, 0);
    cr_assert_eq(t.lay.l3_kind, 6);
    cr_assert_eq(t.lay.l4, 54);
    check_csums(&t);

    /* extension headers are skipped to the UDP header: hop-by-hop (8
     * bytes) and destination options (16) */
    struct pkt x = { .n = 0 };
    memcpy(x.b, p.b, 54);
    x.b[14 + 6] = 0;
    static const uint8_t ext[24] = { 60, 0, 1, 4, 0, 0, 0, 0,
                                     17, 1, 1, 12 };
    memcpy(x.b + 54, ext, sizeof(ext));
    memcpy(x.b + 78, p.b + 54, p.n - 54);
    x.n = p.n + 24;
    set16(x.b + 14 + 4, (uint16_t)(x.n - 54));
    tf_load(&t, &x, EMU_FRAME_HEADROOM, 2);
    cr_assert_eq(t.key.ip_proto, 17);
    cr_assert_eq(t.lay.l4, 78);
    cr_assert_eq(ntohs(t.key.l4_dst), 53);
    cr_assert_eq(t.key.ip_ttl, 255);
    /* one that does not fit: the addresses only */
    x.b[54 + 8 + 1] = 9;
    tf_load(&t, &x, EMU_FRAME_HEADROOM, 2);
    cr_assert_eq(t.key.ip_proto, 0);
    cr_assert_eq(t.key.ip_ttl, 0);
    cr_assert_eq(t.lay.l4, -1);
    cr_assert_arr_eq(t.key.ipv6_dst, IP6_B, 16);
}

Test(emu_packet, parse_llc_and_snap)
{
    struct pkt p;
    build_ipv4_udp(&p, 1000, 2000, true);
    struct pkt x = { .n = 0 };
    struct tframe t;

    /* the IPv4 datagram behind an RFC 1042 SNAP header */
    memcpy(x.b, p.b, 12);
    set16(x.b + 12, (uint16_t)(p.n - 14 + 8));
    memcpy(x.b + 14, "\xaa\xaa\x03\0\0\0\x08\x00", 8);
    memcpy(x.b + 22, p.b + 14, p.n - 14);
    x.n = p.n + 8;
    tf_load(&t, &x, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(ntohs(t.key.eth_type), 0x0800);
    cr_assert_eq(t.lay.l3, 22);
    cr_assert_eq(ntohs(t.key.l4_dst), 2000);
    /* any other LLC: 0x05ff, nothing behind it parsed */
    x.b[19] = 1;
    tf_load(&t, &x, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(ntohs(t.key.eth_type), 0x05ff);
    cr_assert_eq(t.lay.l3, -1);
}

Test(emu_packet, parse_icmp_and_icmpv6)
{
    struct pkt p = { .n = 0 };
    eth(&p, MAC_A, MAC_B, 0x0800);
    uint32_t l3 = ipv4(&p, 1, 2, 1, 64, 0);
    uint32_t l4 = icmp(&p, 8, 0);
    payload(&p, 8);
    fin_l4(&p, l3, l4, 1);
    fin_ipv4(&p, l3);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.icmp_type, 8);
    cr_assert_eq(t.key.icmp_code, 0);
    cr_assert_eq(t.key.l4_src, 0);
    cr_assert_eq(t.lay.l4_proto, 1);
    check_csums(&t);

    p.n = 0;
    eth(&p, MAC_A, MAC_B, 0x86dd);
    l3 = ipv6(&p, IP6_A, IP6_B, 58, 64, 0);
    l4 = icmp(&p, 135, 3);
    fin_ipv6(&p, l3);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.icmp_type, 135);
    cr_assert_eq(t.key.icmp_code, 3);
    cr_assert_eq(t.lay.l4, (int16_t)l4);
    cr_assert_eq(t.lay.l4_proto, 58);

    /* protocol 1 under IPv6 is not ICMP */
    p.b[l3 + 6] = 1;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.icmp_type, 0);
    cr_assert_eq(t.lay.l4, -1);
}

Test(emu_packet, parse_vxlan_keeps_outer_headers)
{
    struct pkt p;
    build_vxlan_tcp(&p, 0xabcdef);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_arr_eq(t.key.eth_dst, MAC_B, 6);
    cr_assert_eq(ntohl(t.key.ipv4_src), IP4(172, 16, 0, 1));
    cr_assert_eq(t.key.ip_proto, 17);
    cr_assert_eq(ntohs(t.key.l4_src), 50000);
    cr_assert_eq(ntohs(t.key.l4_dst), 4789);
    cr_assert_eq(le32toh(t.key.vxlan_vni), 0xabcdef);
    cr_assert_eq(t.lay.vxlan, 42);

    /* another port is plain UDP */
    set16(p.b + 36, 4790);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.vxlan_vni, 0);
    cr_assert_eq(t.lay.vxlan, -1);
    cr_assert_eq(ntohs(t.key.l4_dst), 4790);
}

/* Every prefix of a frame, in an allocation of exactly that size so ASan
 * sees any overread: fields come only from complete headers. */
static void
parse_prefix(const struct pkt *p, uint32_t len, struct fw_match *key,
             struct emu_layout *lay)
{
    uint8_t *buf = malloc(len ? len : 1);
    cr_assert_not_null(buf);
    memcpy(buf, p->b, len);
    struct emu_frame f = { .data = buf, .len = len };
    emu_parse(&f, 9, key, lay);
    free(buf);
}

Test(emu_packet, parse_truncated_vxlan_every_length)
{
    struct pkt p;
    build_vxlan_tcp(&p, 77);
    struct fw_match full, key, zero;
    struct emu_layout lay;
    parse_prefix(&p, p.n, &full, &lay);
    memset(&zero, 0, sizeof(zero));
    zero.src_vport = htole16(9);

    for (uint32_t len = 0; len <= p.n; len++) {
        parse_prefix(&p, len, &key, &lay);
        if (len < 14) {
            cr_assert_arr_eq(&key, &zero, sizeof(key), "len %u", len);
            continue;
        }
        cr_assert_arr_eq(key.eth_dst, MAC_B, 6);
        cr_assert_eq(ntohs(key.eth_type), 0x0800);
        /* a cut datagram's total length reaches past the frame: no IP */
        bool l3 = len == p.n, l4 = l3, vx = l3;
        cr_assert_eq(lay.l3 >= 0, l3, "len %u", len);
        cr_assert_eq(key.ipv4_src != 0, l3, "len %u", len);
        cr_assert_eq(lay.l4 >= 0, l4, "len %u", len);
        cr_assert_eq(key.l4_dst != 0, l4, "len %u", len);
        cr_assert_eq(lay.vxlan >= 0, vx, "len %u", len);
        cr_assert_eq(le32toh(key.vxlan_vni), vx ? 77u : 0u, "len %u", len);
        if (vx)     /* the inner frame never leaks into the key */
            cr_assert_arr_eq(&key, &full, sizeof(key), "len %u", len);
    }
}

Test(emu_packet, parse_truncated_tagged_tcp_every_length)
{
    struct pkt p;
    build_ipv4_tcp(&p, true, 5555, 6666);
    struct fw_match key;
    struct emu_layout lay;
    for (uint32_t len = 0; len <= p.n; len++) {
        parse_prefix(&p, len, &key, &lay);
        cr_assert_eq(key.vlan_tci != 0, len >= 18, "len %u", len);
        /* a cut tag leaves eth_type unknown, not the TPID */
        cr_assert_eq(ntohs(key.eth_type), len >= 18 ? 0x0800 : 0, "len %u",
                     len);
        /* a cut datagram's total length reaches past the frame: no IP */
        cr_assert_eq(lay.l3 >= 0, len == p.n, "len %u", len);
        cr_assert_eq(ntohs(key.l4_src), len == p.n ? 5555 : 0, "len %u",
                     len);
        cr_assert_eq(lay.l4_proto, len == p.n ? 6 : 0, "len %u", len);
    }
}

/* ------------------------------------------------------------------------
 * Matching
 * ------------------------------------------------------------------------ */

static void
fill_pattern(void *dst, size_t n, uint32_t seed)
{
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        d[i] = (uint8_t)(seed >> 16);
    }
}

Test(emu_packet, match_exact_and_wildcard)
{
    struct fw_match key, value, mask;
    fill_pattern(&key, sizeof(key), 1);

    /* exact: all-ones mask, value == key */
    memset(&mask, 0xff, sizeof(mask));
    value = key;
    cr_assert(emu_match(&key, &value, &mask));

    /* any single bit flipped anywhere is a miss under the full mask and a
     * hit when that one byte is wildcarded */
    for (size_t i = 0; i < sizeof(key); i++) {
        for (int bit = 0; bit < 8; bit++) {
            struct fw_match k = key;
            ((uint8_t *)&k)[i] ^= (uint8_t)(1u << bit);
            cr_assert_not(emu_match(&k, &value, &mask), "byte %zu", i);
            struct fw_match m = mask, v = value;
            ((uint8_t *)&m)[i] = 0;
            ((uint8_t *)&v)[i] = 0;
            cr_assert(emu_match(&k, &v, &m), "byte %zu", i);
        }
    }

    /* all-zero mask matches everything */
    memset(&mask, 0, sizeof(mask));
    memset(&value, 0, sizeof(value));
    cr_assert(emu_match(&key, &value, &mask));
}

Test(emu_packet, match_fields_and_prefixes)
{
    struct pkt p;
    build_ipv4_tcp(&p, true, 40000, 443);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 3);

    struct fw_match value, mask;
    memset(&value, 0, sizeof(value));
    memset(&mask, 0, sizeof(mask));

    /* 192.168.1.0/24 */
    mask.ipv4_dst = htonl(0xffffff00u);
    value.ipv4_dst = htonl(IP4(192, 168, 1, 0));
    cr_assert(emu_match(&t.key, &value, &mask));
    value.ipv4_dst = htonl(IP4(192, 168, 2, 0));
    cr_assert_not(emu_match(&t.key, &value, &mask));
    /* /23 covers both 1.x and 0.x */
    mask.ipv4_dst = htonl(0xfffffe00u);
    value.ipv4_dst = htonl(IP4(192, 168, 0, 0));
    cr_assert(emu_match(&t.key, &value, &mask));

    /* VID 100 and tagged, any PCP */
    mask.vlan_tci = htons(0x1fff);
    value.vlan_tci = htons(0x1064);
    cr_assert(emu_match(&t.key, &value, &mask));
    value.vlan_tci = htons(0x1065);
    cr_assert_not(emu_match(&t.key, &value, &mask));
    value.vlan_tci = htons(0x1064);

    /* "untagged" (present bit clear) does not match a tagged frame */
    struct fw_match v2 = value, m2 = mask;
    m2.vlan_tci = htons(FW_VLAN_TCI_PRESENT);
    v2.vlan_tci = 0;
    cr_assert_not(emu_match(&t.key, &v2, &m2));

    /* ingress vport, protocol, port */
    mask.src_vport = 0xffff;
    value.src_vport = htole16(3);
    mask.ip_proto = 0xff;
    value.ip_proto = 6;
    mask.l4_dst = 0xffff;
    value.l4_dst = htons(443);
    cr_assert(emu_match(&t.key, &value, &mask));
    value.src_vport = htole16(4);
    cr_assert_not(emu_match(&t.key, &value, &mask));
    value.src_vport = htole16(3);
    value.l4_dst = htons(80);
    cr_assert_not(emu_match(&t.key, &value, &mask));
}

