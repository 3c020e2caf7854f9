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
 * holds exactly the fields of the headers complete within it.
 */
static void
check_prefixes(const uint8_t *f, size_t n, size_t l3, size_t l3_need,
               size_t l4_need)
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
        if (len >= l3 + l3_need) {
            want = full;
            if (len < l3 + l3_need + l4_need) {
                want.tp_src = 0;
                want.tp_dst = 0;
            }
        }
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
    check_prefixes(f, n, 14, 20, 20);
    n = t_frame_ip4(f, 0x0123, 17, 1, 2, 0);
    check_prefixes(f, n, 18, 20, 8);
    n = t_frame_ip4(f, -1, 132, 1, 2, 0);
    check_prefixes(f, n, 14, 20, 12);
    n = t_frame_ip6(f, 17, 3, 4, 8);
    check_prefixes(f, n, 14, 40, 8);
    n = t_frame_ip6(f, 58, 3, 4, 4);
    check_prefixes(f, n, 14, 40, 4);
    n = arp_frame(f, 1);
    check_prefixes(f, n, 14, 28, 0);
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
        cr_assert_eq(memcmp(k.pad, (uint8_t[5]){ 0 }, 5), 0);
    }
}
