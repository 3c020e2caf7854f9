/* SPDX-License-Identifier: BSD-3-Clause */
/* dp_extract(): every header kind, and every truncation of each. */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>

#include "dp_test_util.h"

static const uint8_t mac_a[6] = T_MAC_A, mac_b[6] = T_MAC_B;

static uint32_t
ip4(const char *s)
{
    uint32_t a;

    inet_pton(AF_INET, s, &a);
    return a;
}

/* Extract from a heap copy of exactly @len bytes: ASan sees any overread. */
static int
extract_exact(const uint8_t *f, size_t len, struct flow_key *k,
              struct dp_layout *lay)
{
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    memcpy(copy, f, len);
    rc = dp_extract(copy, len, 7, k, lay);
    free(copy);
    return rc;
}

Test(dp_extract, ethernet_unknown_type)
{
    uint8_t f[64] = { 0 };
    struct flow_key k;
    struct dp_layout lay;

    t_eth(f, 0x88cc, -1);
    cr_assert_eq(dp_extract(f, 60, 3, &k, &lay), 0);
    cr_expect_eq(k.in_port, 3);
    cr_expect_arr_eq(k.dl_dst, mac_b, 6);
    cr_expect_arr_eq(k.dl_src, mac_a, 6);
    cr_expect_eq(k.dl_type, htons(0x88cc));
    cr_expect_eq(k.vlan_tci, 0);
    cr_expect_eq(k.nw_proto, 0);
    cr_expect_eq(lay.l3_ofs, 14);
    cr_expect_eq(lay.flags, 0);
}

Test(dp_extract, vlan_tag_and_qinq)
{
    uint8_t f[128];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = t_frame_ip4(f, 0xa005, 17, 1000, 53, 4);

    dp_extract(f, n, 1, &k, &lay);
    /* the CFI marker replaces the DEI bit, as Open vSwitch does */
    cr_expect_eq(k.vlan_tci, htons(0xa005 | FLOW_VLAN_CFI));
    cr_expect_eq(k.dl_type, htons(0x0800));
    cr_expect_eq(lay.l3_ofs, 18);
    cr_expect(lay.flags & DP_L_VLAN);
    cr_expect_eq(k.tp_dst, htons(53));

    /* 802.1ad outer tag, 802.1Q inner: one tag parsed, dl_type = inner TPID */
    t_wr16(f + 12, 0x88a8);
    memmove(f + 18, f + 14, n - 14);
    t_wr16(f + 14, 0x0064);
    t_wr16(f + 16, 0x8100);
    dp_extract(f, n + 4, 1, &k, &lay);
    cr_expect_eq(k.vlan_tci, htons(0x1064));
    cr_expect_eq(k.dl_type, htons(0x8100));
    cr_expect_eq(k.nw_src, 0);
    cr_expect_eq(k.tp_dst, 0);
}

Test(dp_extract, ipv4_tcp_udp_sctp)
{
    static const uint8_t protos[] = { 6, 17, 132 };
    uint8_t f[128];
    struct flow_key k;
    struct dp_layout lay;

    for (size_t i = 0; i < sizeof(protos); i++) {
        size_t n = t_frame_ip4(f, -1, protos[i], 4321, 80, 10);

        cr_assert_eq(dp_extract(f, n, 9, &k, &lay), 0);
        cr_expect_eq(k.dl_type, htons(0x0800));
        cr_expect_eq(k.nw_src, ip4("10.0.0.1"));
        cr_expect_eq(k.nw_dst, ip4("10.0.0.2"));
        cr_expect_eq(k.nw_proto, protos[i]);
        cr_expect_eq(k.nw_tos, 0x2e);
        cr_expect_eq(k.nw_ttl, 64);
        cr_expect_eq(k.tp_src, htons(4321), "proto %u", protos[i]);
        cr_expect_eq(k.tp_dst, htons(80));
        cr_expect_eq(lay.flags, DP_L_IPV4 | DP_L_L4);
        cr_expect_eq(lay.l4_ofs, 34);
        cr_expect_eq(lay.l4_end, n);
    }
}

Test(dp_extract, ipv4_options_and_padding)
{
    uint8_t f[128] = { 0 };
    struct flow_key k;
    struct dp_layout lay;
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 0);

    /* 4 bytes of options: IHL 6 */
    memmove(f + 38, f + 34, 8);
    memset(f + 34, 1, 4);                   /* NOPs */
    f[14] = 0x46;
    t_wr16(f + 16, 32);
    n += 4;
    /* Ethernet padding to 60 bytes is not IP payload */
    dp_extract(f, 60, 1, &k, &lay);
    cr_expect_eq(lay.l4_ofs, 38);
    cr_expect_eq(lay.l4_end, n);
    cr_expect_eq(k.tp_src, htons(1));
    cr_expect_eq(k.tp_dst, htons(2));

    f[14] = 0x44;                           /* IHL 4: not IPv4 at all */
    dp_extract(f, 60, 1, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x0800));
    cr_expect_eq(k.nw_src, 0);
    cr_expect_eq(lay.flags & DP_L_IPV4, 0);
}

Test(dp_extract, ipv4_fragments_have_no_ports)
{
    uint8_t f[128];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = t_frame_ip4(f, -1, 6, 1111, 2222, 0);

    t_wr16(f + 20, 0x2000);                 /* first fragment: MF */
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.nw_proto, 6);
    cr_expect_eq(k.nw_src, ip4("10.0.0.1"));
    cr_expect_eq(k.tp_src, 0);
    cr_expect_eq(k.tp_dst, 0);
    /* the header is there: its checksum still needs fixing on rewrites */
    cr_expect_eq(lay.flags, DP_L_IPV4 | DP_L_FRAG | DP_L_L4);

    t_wr16(f + 20, 0x0010);                 /* a later fragment */
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.tp_src, 0);
    cr_expect_eq(lay.flags, DP_L_IPV4 | DP_L_FRAG);
}

Test(dp_extract, icmp_type_code)
{
    uint8_t f[64] = { 0 };
    struct flow_key k;
    size_t l2 = t_eth(f, 0x0800, -1);

    t_ipv4(f + l2, 1, 8, "1.2.3.4", "5.6.7.8");
    f[l2 + 20] = 8;                         /* echo request */
    f[l2 + 21] = 3;
    dp_extract(f, l2 + 28, 1, &k, NULL);
    cr_expect_eq(k.nw_proto, 1);
    cr_expect_eq(k.tp_src, htons(8));
    cr_expect_eq(k.tp_dst, htons(3));
}

Test(dp_extract, ipv6_tcp_and_icmpv6)
{
    uint8_t f[128];
    struct flow_key k;
    struct dp_layout lay;
    uint8_t src[16], dst[16];
    size_t n = t_frame_ip6(f, 6, 5555, 443, 20);

    inet_pton(AF_INET6, "2001:db8::1", src);
    inet_pton(AF_INET6, "2001:db8::2", dst);
    dp_extract(f, n, 2, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x86dd));
    cr_expect_arr_eq(k.ipv6_src, src, 16);
    cr_expect_arr_eq(k.ipv6_dst, dst, 16);
    cr_expect_eq(k.nw_tos, 0xb4);
    cr_expect_eq(k.nw_ttl, 33);
    cr_expect_eq(k.nw_proto, 6);
    cr_expect_eq(k.tp_src, htons(5555));
    cr_expect_eq(k.tp_dst, htons(443));
    cr_expect_eq(k.nw_src, 0);
    cr_expect_eq(lay.flags, DP_L_IPV6 | DP_L_L4);
    cr_expect_eq(lay.l4_ofs, 54);

    n = t_frame_ip6(f, 58, 0, 0, 8);
    f[54] = 135;                            /* neighbour solicitation */
    f[55] = 0;
    dp_extract(f, n, 2, &k, &lay);
    cr_expect_eq(k.nw_proto, 58);
    cr_expect_eq(k.tp_src, htons(135));
    cr_expect_eq(k.tp_dst, 0);
}

static size_t
arp_frame(uint8_t *f, uint16_t op)
{
    size_t l2 = t_eth(f, 0x0806, -1);
    uint8_t *a = f + l2;

    t_wr16(a, 1);
    t_wr16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    t_wr16(a + 6, op);
    memcpy(a + 8, mac_a, 6);
    inet_pton(AF_INET, "192.168.1.1", a + 14);
    memset(a + 18, 0, 6);
    inet_pton(AF_INET, "192.168.1.2", a + 24);
    return l2 + 28;
}

Test(dp_extract, arp)
{
    uint8_t f[64];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = arp_frame(f, 2);

    dp_extract(f, n, 4, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x0806));
    cr_expect_eq(k.nw_proto, 2);
    cr_expect_eq(k.nw_src, ip4("192.168.1.1"));
    cr_expect_eq(k.nw_dst, ip4("192.168.1.2"));
    cr_expect_eq(k.tp_src, 0);
    cr_expect_eq(lay.flags, DP_L_ARP);

    f[18] = 16;                             /* not Ethernet/IPv4 ARP */
    dp_extract(f, n, 4, &k, &lay);
    cr_expect_eq(k.nw_proto, 0);
    cr_expect_eq(k.nw_src, 0);
}

/*
 * For every prefix of a frame: no read past the prefix (ASan), and the key
 * holds exactly the fields of the headers complete within it. The frames
 * here end with their L3 payload, so a prefix cut anywhere past the
 * Ethernet header is an IP datagram whose lengths reach past the frame, or
 * an ARP body cut short: no L3 field at all (Open vSwitch's rule), and
 * dl_type stays.
 */
static void
check_prefixes(const uint8_t *f, size_t n, size_t l3)
{
    struct flow_key full, k, want;
    struct dp_layout lay;

    dp_extract(f, n, 7, &full, NULL);
    for (size_t len = 0; len <= n; len++) {
        int rc = extract_exact(f, len, &k, &lay);

        memset(&want, 0, sizeof(want));
        want.in_port = 7;
        if (len >= 14) {
            memcpy(want.dl_dst, full.dl_dst, 6);
            memcpy(want.dl_src, full.dl_src, 6);
            want.dl_type = l3 == 18 && len < 18 ? htons(0x8100)
                                                : full.dl_type;
            if (len >= l3)
                want.vlan_tci = full.vlan_tci;
        }
        if (len == n)
            want = full;
        cr_assert_eq(rc, len < 14 ? -EINVAL : 0, "len %zu", len);
        cr_assert_eq(memcmp(&k, &want, sizeof(k)), 0,
                     "prefix of %zu bytes (of %zu) extracted wrong", len, n);
    }
}

Test(dp_extract, every_truncation)
{
    uint8_t f[128];
    size_t n;

    n = t_frame_ip4(f, -1, 6, 1, 2, 0);
    check_prefixes(f, n, 14);
    n = t_frame_ip4(f, 0x0123, 17, 1, 2, 0);
    check_prefixes(f, n, 18);
    n = t_frame_ip4(f, -1, 132, 1, 2, 0);
    check_prefixes(f, n, 14);
    n = t_frame_ip6(f, 17, 3, 4, 8);
    check_prefixes(f, n, 14);
    n = t_frame_ip6(f, 58, 3, 4, 8);
    check_prefixes(f, n, 14);
    n = arp_frame(f, 1);
    check_prefixes(f, n, 14);
}

Test(dp_extract, random_bytes_never_overread)
{
    uint8_t f[96];
    struct flow_key k;
    struct dp_layout lay;
    unsigned seed = 12345;

    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)rand_r(&seed) % sizeof(f);

        for (size_t j = 0; j < sizeof(f); j++)
            f[j] = (uint8_t)rand_r(&seed);
        /* steer towards the interesting EtherTypes and versions */
        t_wr16(f + 12, (uint16_t[]){ 0x0800, 0x86dd, 0x0806, 0x8100 }[i % 4]);
        if (i % 4 == 3)
            t_wr16(f + 16, 0x0800);
        f[14] = (uint8_t)((i & 8 ? 0x40 : 0x60) | (f[14] & 0x0f));
        extract_exact(f, len, &k, &lay);
        if (lay.flags & DP_L_L4) {
            cr_assert_leq(lay.l4_ofs, lay.l4_end);
            cr_assert_leq(lay.l4_end, len);
        }
        cr_assert_eq(memcmp(k.pad, (uint8_t[2]){ 0 }, 2), 0);
        cr_assert_eq(k.pad0, 0);
    }
}

/* ---- read as Open vSwitch reads it (tests/ovsdiff found each) ---- */

/* IPv6 with extension headers @ext (@ext_len bytes, the first's type in
 * @first) before a UDP header with ports 1000 -> 53. */
static size_t
ip6_ext_frame(uint8_t *f, uint8_t first, const uint8_t *ext, size_t ext_len)
{
    size_t n = t_frame_ip6(f, 17, 0, 0, ext_len + 8);
    uint8_t *ip = f + 14;

    ip[6] = first;
    memcpy(ip + 40, ext, ext_len);
    t_wr16(ip + 40 + ext_len, 1000);
    t_wr16(ip + 40 + ext_len + 2, 53);
    t_wr16(ip + 40 + ext_len + 4, 8);
    return n;
}

Test(dp_extract, ipv6_extension_headers_skipped)
{
    /* hop-by-hop (8) -> routing (16) -> destination options (8) -> AH
     * (12) -> UDP */
    static const uint8_t chain[44] = {
        43, 0, 1, 4, 0, 0, 0, 0,
        60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        51, 0, 1, 4, 0, 0, 0, 0,
        17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    uint8_t f[160];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = ip6_ext_frame(f, 0, chain, sizeof(chain));

    cr_assert_eq(extract_exact(f, n, &k, &lay), 0);
    cr_expect_eq(k.nw_proto, 17);
    cr_expect_eq(k.nw_ttl, 33);
    cr_expect_eq(k.tp_src, htons(1000));
    cr_expect_eq(k.tp_dst, htons(53));
    cr_expect_eq(lay.flags, DP_L_IPV6 | DP_L_L4);
    cr_expect_eq(lay.l4_ofs, 14 + 40 + 44);

    /* the chain cut short (the routing header says 16 bytes, 12 there):
     * addresses, but no protocol, traffic class or hop limit */
    t_wr16(f + 18, 8 + 12);
    cr_assert_eq(extract_exact(f, 14 + 40 + 20, &k, &lay), 0);
    cr_expect_eq(k.nw_proto, 0);
    cr_expect_eq(k.nw_ttl, 0);
    cr_expect_eq(k.nw_tos, 0);
    cr_expect_eq(k.ipv6_dst[15], 2);
    cr_expect_eq(lay.flags, DP_L_IP_BAD);
}

Test(dp_extract, ipv6_fragments)
{
    uint8_t frag[8] = { 17, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef };
    uint8_t f[128];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = ip6_ext_frame(f, 44, frag, sizeof(frag));

    /* the first fragment (offset 0, M): UDP behind it, but no ports */
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.nw_proto, 17);
    cr_expect_eq(k.tp_dst, 0);
    cr_expect_eq(lay.flags, DP_L_IPV6 | DP_L_FRAG | DP_L_L4);
    /* a later one: nw_proto is the fragment header's, no L4 */
    frag[2] = 0x01;
    n = ip6_ext_frame(f, 44, frag, sizeof(frag));
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.nw_proto, 44);
    cr_expect_eq(lay.flags, DP_L_IPV6 | DP_L_FRAG);
    /* an atomic fragment (offset 0, no M) is no fragment at all */
    frag[2] = 0;
    frag[3] = 0;
    n = ip6_ext_frame(f, 44, frag, sizeof(frag));
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.tp_dst, htons(53));
    cr_expect_eq(lay.flags, DP_L_IPV6 | DP_L_L4);
}

Test(dp_extract, llc_and_snap)
{
    uint8_t f[128], ip[64];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = t_frame_ip4(ip, -1, 17, 7, 8, 0);

    /* plain LLC (spanning tree): FLOW_DL_TYPE_NONE */
    t_eth(f, 38, -1);
    memcpy(f + 14, "\x42\x42\x03\0\0\0\0\0", 8);
    memset(f + 22, 0, 30);
    dp_extract(f, 52, 1, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x05ff));
    cr_expect_eq(lay.l3_ofs, 14);
    /* SNAP, OUI 0: the EtherType it carries, the header after it */
    t_eth(f, (uint16_t)(8 + n - 14), -1);
    memcpy(f + 14, "\xaa\xaa\x03\0\0\0\x08\x00", 8);
    memcpy(f + 22, ip + 14, n - 14);
    dp_extract(f, n + 8, 1, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x0800));
    cr_expect_eq(lay.l3_ofs, 22);
    cr_expect_eq(k.tp_dst, htons(8));
    cr_expect_eq(k.nw_src, ip4("10.0.0.1"));
    /* another OUI, or a SNAP header cut short: none */
    f[19] = 0x0c;
    dp_extract(f, n + 8, 1, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x05ff));
    f[19] = 0;
    dp_extract(f, 21, 1, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x05ff));
    /* 0x0600 is an EtherType already */
    t_wr16(f + 12, 0x0600);
    dp_extract(f, n + 8, 1, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x0600));
}

Test(dp_extract, inconsistent_ip_lengths_leave_no_ip_fields)
{
    uint8_t f[512];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 4);

    t_wr16(f + 16, (uint16_t)(n - 14 + 1));     /* one byte past the frame */
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.dl_type, htons(0x0800));
    cr_expect_eq(k.nw_src, 0);
    cr_expect_eq(k.nw_proto, 0);
    cr_expect_eq(lay.flags, DP_L_IP_BAD);
    t_wr16(f + 16, 19);                         /* shorter than the header */
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(lay.flags, DP_L_IP_BAD);
    t_wr16(f + 16, (uint16_t)(n - 14));
    f[14] = 0x44;                               /* IHL 4 */
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(lay.flags, DP_L_IP_BAD);
    f[14] = 0x65;           /* the version is not looked at (nor by OVS) */
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.tp_dst, htons(2));
    /* Ethernet padding: up to 255 bytes */
    f[14] = 0x45;
    memset(f + n, 0, 256);
    dp_extract(f, n + 255, 1, &k, &lay);
    cr_expect_eq(k.tp_dst, htons(2));
    cr_expect_eq(lay.l4_end, n);
    dp_extract(f, n + 256, 1, &k, &lay);
    cr_expect_eq(lay.flags, DP_L_IP_BAD);

    n = t_frame_ip6(f, 17, 1, 2, 8);
    t_wr16(f + 18, 9);                          /* payload past the frame */
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.ipv6_src[0], 0);
    cr_expect_eq(lay.flags, DP_L_IP_BAD);
}

Test(dp_extract, short_l4_headers_and_arp_opcodes)
{
    uint8_t f[128];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 0);

    /* TCP data offset below 5 or past the segment: no ports */
    f[14 + 20 + 12] = 0x40;
    t_ipv4_fix(f + 14);
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.nw_proto, 6);
    cr_expect_eq(k.tp_dst, 0);
    f[14 + 20 + 12] = 0x60;
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.tp_dst, 0);
    /* ICMP: the whole 8-byte header, or no type and code */
    for (size_t len = 4; len <= 8; len++) {
        n = t_frame_ip4(f, -1, 1, 0x0800, 0, 0);
        t_wr16(f + 16, (uint16_t)(20 + len));
        dp_extract(f, 14 + 20 + len, 1, &k, &lay);
        cr_expect_eq(k.tp_src, len == 8 ? htons(8) : 0, "%zu bytes", len);
        cr_expect_eq(!!(lay.flags & DP_L_L4), len == 8);
    }
    /* ARP opcodes past 255 are 0 in nw_proto */
    n = arp_frame(f, 0x0102);
    dp_extract(f, n, 1, &k, &lay);
    cr_expect_eq(k.nw_proto, 0);
    cr_expect_eq(k.nw_src, ip4("192.168.1.1"));
}

/* tcp_flags: the 12 low bits of the offset/flags word, wherever the TCP
 * header is sound, a first fragment included (only its ports are hidden,
 * as in Open vSwitch); none from a later fragment or a bad data offset. */
Test(dp_extract, tcp_flags)
{
    uint8_t f[128];
    struct flow_key k;
    struct dp_layout lay;
    size_t n = t_frame_ip4(f, -1, 6, 1111, 2222, 0);

    f[14 + 20 + 12] = 0x5f;                 /* doff 5, reserved bits 0xf */
    f[14 + 20 + 13] = 0xd2;                 /* cwr ece ack syn */
    extract_exact(f, n, &k, &lay);
    cr_expect_eq(ntohs(k.tcp_flags), 0xfd2);
    cr_expect_eq(ntohs(k.tp_src), 1111);

    t_wr16(f + 20, 0x2000);                 /* first fragment */
    t_ipv4_fix(f + 14);
    extract_exact(f, n, &k, &lay);
    cr_expect_eq(ntohs(k.tcp_flags), 0xfd2);
    cr_expect_eq(k.tp_src, 0);

    t_wr16(f + 20, 0x0010);                 /* a later fragment */
    t_ipv4_fix(f + 14);
    extract_exact(f, n, &k, &lay);
    cr_expect_eq(k.tcp_flags, 0);

    t_wr16(f + 20, 0);
    f[14 + 20 + 12] = 0x4f;                 /* data offset 4 */
    t_ipv4_fix(f + 14);
    extract_exact(f, n, &k, &lay);
    cr_expect_eq(k.tcp_flags, 0);

    n = t_frame_ip6(f, 6, 1, 2, 20);        /* IPv6 too */
    f[14 + 40 + 13] = 0x11;                 /* ack fin */
    extract_exact(f, n, &k, &lay);
    cr_expect_eq(ntohs(k.tcp_flags), 0x011);

    n = t_frame_ip4(f, -1, 17, 1, 2, 20);   /* UDP: no flags */
    f[14 + 20 + 13] = 0xff;
    extract_exact(f, n, &k, &lay);
    cr_expect_eq(k.tcp_flags, 0);
}
