/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of emu_rewrite (emu_packet.h): every header rewrite, each checked
 * against checksums recomputed from scratch, round trips (push/pop,
 * encap/decap), drops, and growth limits. Suite emu_packet is declared in
 * test_emu_packet.c.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "emu_packet.h"
#include "pkt_build.h"

/* ------------------------------------------------------------------------
 * Rewrites
 * ------------------------------------------------------------------------ */

Test(emu_packet, rewrite_mac)
{
    struct pkt p;
    build_ipv4_tcp(&p, false, 1, 2);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 5);
    static const uint8_t mac[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

    struct fw_action a = action(FW_ACT_SET_MAC_DST);
    memcpy(a.u.set_mac.mac, mac, 6);
    cr_assert(tf_act(&t, &a));
    cr_assert_arr_eq(t.f.data, mac, 6);
    cr_assert_arr_eq(t.key.eth_dst, mac, 6);
    cr_assert_arr_eq(t.f.data + 6, MAC_B, 6);

    a = action(FW_ACT_SET_MAC_SRC);
    memcpy(a.u.set_mac.mac, MAC_A, 6);
    cr_assert(tf_act(&t, &a));
    cr_assert_arr_eq(t.f.data + 6, MAC_A, 6);
    cr_assert_eq(le16toh(t.key.src_vport), 5, "src_vport kept");
    cr_assert_arr_eq(t.f.data + 12, p.b + 12, p.n - 12);
}

Test(emu_packet, rewrite_ipv4_addresses_tcp_udp)
{
    struct tframe t;
    struct pkt p;
    uint32_t addrs[] = { IP4(1, 2, 3, 4), IP4(255, 255, 255, 255),
                         IP4(0, 0, 0, 0), IP4(10, 0, 0, 1) };

    for (int kind = 0; kind < 3; kind++) {
        if (kind == 0)
            build_ipv4_tcp(&p, kind == 0, 1000, 2000);
        else
            build_ipv4_udp(&p, 1000, 2000, kind == 1);
        tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
        for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
            struct fw_action a = action(i % 2 ? FW_ACT_SET_IPV4_DST
                                              : FW_ACT_SET_IPV4_SRC);
            a.u.set_ipv4.addr = htonl(addrs[i]);
            cr_assert(tf_act(&t, &a));
            if (i % 2)
                cr_assert_eq(ntohl(t.key.ipv4_dst), addrs[i]);
            else
                cr_assert_eq(ntohl(t.key.ipv4_src), addrs[i]);
            check_csums(&t);
        }
        if (kind == 2)  /* UDP without checksum keeps none */
            cr_assert_eq(get16(t.f.data + t.lay.l4 + 6), 0);
    }
}

/* A TCP header whose data offset is unsound (below 5, or past the
 * segment) has no ports for the key or the port rewrites, but its
 * checksum covers the pseudo-header: an address rewrite patches it, as
 * snicd's software datapath and Open vSwitch do (hw/sw difference). */
Test(emu_packet, rewrite_ipv4_patches_tcp_with_unsound_data_offset)
{
    static const uint8_t doffs[] = { 0x00, 0x40, 0xf0 };

    for (size_t i = 0; i < sizeof(doffs); i++) {
        struct tframe t;
        struct pkt p;

        build_ipv4_tcp(&p, false, 1000, 2000);
        p.b[34 + 12] = doffs[i];
        fin_l4(&p, 14, 34, 6);
        tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
        cr_assert_eq(t.lay.l4, -1);

        struct fw_action a = action(FW_ACT_SET_L4_SRC);
        a.u.set_l4.port = htons(7);
        cr_assert(tf_act(&t, &a));
        cr_assert_arr_eq(t.f.data, p.b, p.n, "no port to write");

        a = action(FW_ACT_SET_IPV4_DST);
        a.u.set_ipv4.addr = htonl(IP4(10, 9, 9, 9));
        cr_assert(tf_act(&t, &a));
        a = action(FW_ACT_MODIFY_SET);
        a.u.modify.dst_field = FW_MOD_IPV4_SRC;
        a.u.modify.width = 16;
        a.u.modify.dst_offset = htole16(16);    /* the upper half */
        a.u.modify.value[0] = 0xc0;
        a.u.modify.value[1] = 0xa8;
        cr_assert(tf_act(&t, &a));
        cr_assert_eq(ntohl(t.key.ipv4_src) >> 16, 0xc0a8);
        cr_expect_eq(get16(t.f.data + 34 + 16),
                     l4_expected_csum(t.f.data, 14, 34, p.n, 6),
                     "data offset %#x: TCP checksum 0x%04x, recomputed "
                     "0x%04x", doffs[i], get16(t.f.data + 34 + 16),
                     l4_expected_csum(t.f.data, 14, 34, p.n, 6));
        cr_expect_eq(get16(t.f.data + 14 + 10),
                     ipv4_expected_csum(t.f.data + 14));
    }
}

Test(emu_packet, rewrite_l4_ports)
{
    struct tframe t;
    struct pkt p;
    build_ipv4_tcp(&p, false, 1000, 2000);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action a = action(FW_ACT_SET_L4_SRC);
    a.u.set_l4.port = htons(65535);
    cr_assert(tf_act(&t, &a));
    a = action(FW_ACT_SET_L4_DST);
    a.u.set_l4.port = htons(8080);
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(ntohs(t.key.l4_src), 65535);
    cr_assert_eq(ntohs(t.key.l4_dst), 8080);
    check_csums(&t);

    build_ipv6_udp(&p, 0, 64);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    a = action(FW_ACT_SET_L4_DST);
    a.u.set_l4.port = htons(4242);
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(ntohs(t.key.l4_dst), 4242);
    check_csums(&t);

    /* ICMP has no ports: untouched */
    p.n = 0;
    eth(&p, MAC_A, MAC_B, 0x0800);
    uint32_t l3 = ipv4(&p, 1, 2, 1, 64, 0);
    uint32_t l4 = icmp(&p, 0, 0);
    fin_l4(&p, l3, l4, 1);
    fin_ipv4(&p, l3);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert(tf_act(&t, &a));
    cr_assert_arr_eq(t.f.data, p.b, p.n);
}

Test(emu_packet, rewrite_udp_checksum_zero_becomes_ffff)
{
    /* Pick the one destination port that makes the UDP sum come out as 0:
     * it must be sent as 0xffff, since 0 means "no checksum". */
    struct pkt p;
    build_ipv4_udp(&p, 1000, 2000, true);
    uint32_t l3 = 14, l4 = 34;
    uint8_t seg[FW_PKT_BUF_SIZE];
    memcpy(seg, p.b + l4, p.n - l4);
    set16(seg + 2, 0);
    set16(seg + 6, 0);
    uint16_t rest = ref_sum(seg, p.n - l4, pseudo_sum(p.b, l3, l4, p.n, 17));
    uint16_t port = (uint16_t)~rest;

    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action a = action(FW_ACT_SET_L4_DST);
    a.u.set_l4.port = htons(port);
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(get16(t.f.data + l4 + 6), 0xffff);
    check_csums(&t);
}

Test(emu_packet, rewrite_absent_header_is_noop)
{
    struct pkt p = { .n = 0 };
    eth(&p, MAC_A, MAC_B, 0x0806);
    payload(&p, 28);
    static const uint16_t types[] = {
        FW_ACT_SET_IPV4_SRC, FW_ACT_SET_IPV4_DST, FW_ACT_SET_L4_SRC,
        FW_ACT_SET_L4_DST, FW_ACT_DEC_TTL, FW_ACT_SET_IP_TOS,
        FW_ACT_SET_VLAN_VID, FW_ACT_SET_VLAN_PCP, FW_ACT_COUNT, FW_ACT_MARK,
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct tframe t;
        tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
        struct fw_action a = action(types[i]);
        memset(a.u.raw, 0x5a, sizeof(a.u.raw));
        cr_assert(tf_act(&t, &a), "type %u", types[i]);
        cr_assert_eq(t.f.len, p.n);
        cr_assert_arr_eq(t.f.data, p.b, p.n, "type %u", types[i]);
    }

    /* IPv4 address rewrite on IPv6 leaves it alone too */
    build_ipv6_udp(&p, 0, 64);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action a = action(FW_ACT_SET_IPV4_DST);
    a.u.set_ipv4.addr = htonl(1);
    cr_assert(tf_act(&t, &a));
    cr_assert_arr_eq(t.f.data, p.b, p.n);
}

Test(emu_packet, rewrite_dec_ttl_ipv4_to_drop)
{
    struct pkt p;
    build_ipv4_tcp(&p, true, 1, 2);
    p.b[18 + 8] = 5;
    fin_ipv4(&p, 18);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action a = action(FW_ACT_DEC_TTL);
    for (int ttl = 4; ttl >= 1; ttl--) {
        cr_assert(tf_act(&t, &a));
        cr_assert_eq(t.key.ip_ttl, ttl);
        check_csums(&t);
    }
    /* TTL 1 would leave as 0: dropped, frame untouched */
    uint8_t before[FW_PKT_BUF_SIZE];
    memcpy(before, t.f.data, t.f.len);
    cr_assert_not(tf_act(&t, &a));
    cr_assert_eq(t.key.ip_ttl, 1);
    cr_assert_arr_eq(t.f.data, before, t.f.len);

    /* TTL 0 on arrival is dropped too */
    p.b[18 + 8] = 0;
    fin_ipv4(&p, 18);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_not(tf_act(&t, &a));
}

/* An IP frame whose header cannot be read has no TTL: read as 0, the
 * frame is dropped (the software datapath and Open vSwitch do the same);
 * a frame that is no IP at all passes untouched. */
Test(emu_packet, rewrite_dec_ttl_unreadable_ip_header_drops)
{
    struct pkt p;
    struct tframe t;
    struct fw_action a = action(FW_ACT_DEC_TTL);

    build_ipv4_tcp(&p, false, 1, 2);
    p.b[14 + 2] = 0x05;                 /* total length 1,280 > the frame */
    p.b[14 + 3] = 0x00;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.key.eth_type, htons(0x0800));
    cr_assert_not(tf_act(&t, &a), "IPv4 total length past the frame");

    build_ipv4_tcp(&p, false, 1, 2);
    p.b[14] = 0x44;                     /* IHL 4: shorter than a header */
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_not(tf_act(&t, &a), "IPv4 IHL < 5");

    build_ipv6_udp(&p, 0, 64);
    p.b[14 + 4] = 0x40;                 /* payload length past the frame */
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_not(tf_act(&t, &a), "IPv6 payload length past the frame");

    build_ipv4_tcp(&p, false, 1, 2);
    p.b[12] = 0x88;                     /* EtherType 0x88b5: no IP */
    p.b[13] = 0xb5;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert(tf_act(&t, &a), "no IP: nothing to decrement");
    cr_assert_arr_eq(t.f.data, p.b, p.n);
}

Test(emu_packet, rewrite_dec_hop_limit_ipv6)
{
    struct pkt p;
    build_ipv6_udp(&p, 0, 2);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action a = action(FW_ACT_DEC_TTL);
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(t.key.ip_ttl, 1);
    cr_assert_eq(t.f.data[14 + 7], 1);
    check_csums(&t);    /* hop limit is outside the pseudo-header */
    cr_assert_not(tf_act(&t, &a));
    cr_assert_eq(t.f.data[14 + 7], 1);
}

Test(emu_packet, rewrite_tos)
{
    struct pkt p;
    build_ipv4_tcp(&p, false, 1, 2);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    static const uint8_t tos[] = { 0xb8, 0x00, 0xff, 0x01 };
    for (size_t i = 0; i < sizeof(tos); i++) {
        struct fw_action a = action(FW_ACT_SET_IP_TOS);
        a.u.set_tos.tos = tos[i];
        cr_assert(tf_act(&t, &a));
        cr_assert_eq(t.key.ip_tos, tos[i]);
        check_csums(&t);
    }

    build_ipv6_udp(&p, 0x00, 64);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action a = action(FW_ACT_SET_IP_TOS);
    a.u.set_tos.tos = 0xe5;
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(t.key.ip_tos, 0xe5);
    /* version and flow label untouched */
    cr_assert_eq(t.f.data[14] >> 4, 6);
    cr_assert_eq(((t.f.data[15] & 0x0f) << 16) | get16(t.f.data + 16),
                 0xbeef);
    check_csums(&t);
}

Test(emu_packet, rewrite_push_pop_vlan_roundtrip)
{
    struct pkt p;
    build_ipv4_tcp(&p, false, 1, 2);

    /* with headroom, and with none (the frame slides into the tailroom) */
    for (uint32_t headroom = 0; headroom <= 8; headroom += 2) {
        struct tframe t;
        tf_load(&t, &p, headroom, 4);
        struct fw_action push = action(FW_ACT_PUSH_VLAN);
        push.u.push_vlan.tpid = htons(0x88a8);
        push.u.push_vlan.tci = htons(0x5123);
        cr_assert(tf_act(&t, &push));
        cr_assert_eq(t.f.len, p.n + 4);
        cr_assert_arr_eq(t.f.data, MAC_A, 6);
        cr_assert_arr_eq(t.f.data + 6, MAC_B, 6);
        cr_assert_eq(get16(t.f.data + 12), 0x88a8);
        cr_assert_eq(ntohs(t.key.vlan_tci), 0x5123);
        cr_assert_eq(ntohs(t.key.eth_type), 0x0800);
        cr_assert_eq(t.lay.l3, 18);
        check_csums(&t);

        struct fw_action pop = action(FW_ACT_POP_VLAN);
        cr_assert(tf_act(&t, &pop));
        cr_assert_eq(t.f.len, p.n);
        cr_assert_arr_eq(t.f.data, p.b, p.n);
        cr_assert_eq(t.key.vlan_tci, 0);

        /* a second pop finds no tag: dropped */
        cr_assert_not(tf_act(&t, &pop));
        cr_assert_arr_eq(t.f.data, p.b, p.n);
    }

    /* a zero TPID means 802.1Q */
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action push = action(FW_ACT_PUSH_VLAN);
    push.u.push_vlan.tci = htons(7);
    cr_assert(tf_act(&t, &push));
    cr_assert_eq(get16(t.f.data + 12), 0x8100);
    cr_assert_eq(ntohs(t.key.vlan_tci), 0x1007);
}

Test(emu_packet, rewrite_set_vlan_fields)
{
    struct pkt p;
    build_ipv4_tcp(&p, true, 1, 2);     /* TCI 0x2064 */
    p.b[14] |= 0x10;                    /* DEI set in the frame */
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);

    struct fw_action a = action(FW_ACT_SET_VLAN_VID);
    a.u.set_vid.vid = htons(0x0ffe);
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(get16(t.f.data + 14), 0x3ffe);
    a = action(FW_ACT_SET_VLAN_PCP);
    a.u.set_pcp.pcp = 7;
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(get16(t.f.data + 14), 0xfffe);
    cr_assert_eq(ntohs(t.key.vlan_tci), 0xfffe);
    cr_assert_arr_eq(t.f.data + 16, p.b + 16, p.n - 16);

    /* modify-only: an untagged frame is left as it is */
    build_ipv4_tcp(&p, false, 1, 2);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    a = action(FW_ACT_SET_VLAN_VID);
    a.u.set_vid.vid = htons(10);
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(t.f.len, p.n);
    cr_assert_arr_eq(t.f.data, p.b, p.n);
}

static struct fw_action
encap_action(uint16_t udp_src, uint32_t vni)
{
    struct fw_action a = action(FW_ACT_VXLAN_ENCAP);
    struct fw_vxlan_encap *e = &a.u.vxlan_encap;
    memcpy(e->eth_dst, MAC_B, 6);
    memcpy(e->eth_src, MAC_A, 6);
    e->ipv4_src = htonl(IP4(192, 0, 2, 1));
    e->ipv4_dst = htonl(IP4(192, 0, 2, 99));
    e->udp_src = htons(udp_src);
    e->udp_dst = htons(4789);
    e->vni = htole32(vni);
    e->ttl = 33;
    e->tos = 0x28;
    return a;
}

Test(emu_packet, rewrite_vxlan_encap_decap_roundtrip)
{
    struct pkt p;
    build_ipv4_tcp(&p, true, 1234, 80);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 6);
    struct fw_match inner_key = t.key;

    struct fw_action a = encap_action(0, 0x123456);
    cr_assert(tf_act(&t, &a));
    const uint8_t *d = t.f.data;
    cr_assert_eq(t.f.len, p.n + 50);
    cr_assert_arr_eq(d, MAC_B, 6);
    cr_assert_arr_eq(d + 6, MAC_A, 6);
    cr_assert_eq(get16(d + 12), 0x0800);
    cr_assert_eq(d[14], 0x45);
    cr_assert_eq(d[15], 0x28);
    cr_assert_eq(get16(d + 16), p.n + 36);
    cr_assert_eq(get16(d + 18), 0);
    cr_assert_eq(get16(d + 20), 0x4000);
    cr_assert_eq(d[22], 33);
    cr_assert_eq(d[23], 17);
    uint16_t sport = get16(d + 34);
    cr_assert_geq(sport, 49152);
    cr_assert_eq(get16(d + 36), 4789);
    cr_assert_eq(get16(d + 38), p.n + 16);
    cr_assert_eq(get16(d + 40), 0);
    cr_assert_eq(d[42], 0x08);
    cr_assert_arr_eq(d + 50, p.b, p.n);
    check_csums(&t);
    cr_assert_eq(le32toh(t.key.vxlan_vni), 0x123456);
    cr_assert_eq(ntohl(t.key.ipv4_dst), IP4(192, 0, 2, 99));
    cr_assert_eq(le16toh(t.key.src_vport), 6);

    struct fw_action dec = action(FW_ACT_VXLAN_DECAP);
    cr_assert(tf_act(&t, &dec));
    cr_assert_eq(t.f.len, p.n);
    cr_assert_arr_eq(t.f.data, p.b, p.n);
    cr_assert_arr_eq(&t.key, &inner_key, sizeof(inner_key));

    /* the same flow gets the same port; an explicit port is used as is */
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 9);
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(get16(t.f.data + 34), sport, "src port depends on vport");
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 6);
    a = encap_action(4321, 1);
    cr_assert(tf_act(&t, &a));
    cr_assert_eq(get16(t.f.data + 34), 4321);

    /* different flows spread over several ports */
    uint16_t first = 0;
    bool differ = false;
    for (uint16_t port = 1; port < 20; port++) {
        build_ipv4_tcp(&p, false, port, 80);
        tf_load(&t, &p, 0, 0);      /* no headroom: the slide path */
        a = encap_action(0, 5);
        cr_assert(tf_act(&t, &a));
        uint16_t s = get16(t.f.data + 34);
        cr_assert_geq(s, 49152);
        if (port == 1)
            first = s;
        else if (s != first)
            differ = true;
        cr_assert(tf_act(&t, &dec));
        cr_assert_arr_eq(t.f.data, p.b, p.n);
    }
    cr_assert(differ);
}

Test(emu_packet, rewrite_vxlan_decap_needs_vxlan)
{
    struct pkt p;
    build_ipv4_udp(&p, 1, 4790, true);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action dec = action(FW_ACT_VXLAN_DECAP);
    cr_assert_not(tf_act(&t, &dec));
    cr_assert_arr_eq(t.f.data, p.b, p.n);

    /* VXLAN whose inner frame is shorter than Ethernet: dropped */
    p.n = 0;
    eth(&p, MAC_B, MAC_A, 0x0800);
    uint32_t l3 = ipv4(&p, 1, 2, 17, 64, 0);
    uint32_t l4 = udp(&p, 9, 4789);
    vxlan(&p, 3);
    payload(&p, 13);
    set16(p.b + l4 + 4, (uint16_t)(p.n - l4));
    fin_ipv4(&p, l3);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert_eq(t.lay.vxlan, 42);
    cr_assert_not(tf_act(&t, &dec));

    /* outer Ethernet padding past the UDP length is not inner data */
    build_vxlan_tcp(&p, 8);
    uint32_t inner_len = p.n - 50;
    struct pkt inner;
    memcpy(inner.b, p.b + 50, inner_len);
    inner.n = inner_len;
    payload(&p, 6);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert(tf_act(&t, &dec));
    cr_assert_eq(t.f.len, inner_len);
    cr_assert_arr_eq(t.f.data, inner.b, inner_len);
}

Test(emu_packet, rewrite_growth_beyond_buffer_is_refused)
{
    struct pkt p = { .n = 0 };
    eth(&p, MAC_A, MAC_B, 0x0806);
    payload(&p, FW_PKT_BUF_SIZE - 14 - 2);
    struct tframe t;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    struct fw_action push = action(FW_ACT_PUSH_VLAN);
    cr_assert_not(tf_act(&t, &push));
    cr_assert_eq(t.f.len, p.n);
    cr_assert_arr_eq(t.f.data, p.b, p.n);
    struct fw_action enc = encap_action(0, 1);
    cr_assert_not(tf_act(&t, &enc));
    cr_assert_eq(t.f.len, p.n);

    /* exactly at the limit is fine */
    p.n -= 2;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert(tf_act(&t, &push));
    cr_assert_eq(t.f.len, FW_PKT_BUF_SIZE);

    /* no room anywhere in the buffer: refused, not overflowed */
    build_ipv4_tcp(&p, false, 1, 2);
    uint8_t *exact = malloc(p.n);
    cr_assert_not_null(exact);
    memcpy(exact, p.b, p.n);
    struct emu_frame f = { .data = exact, .len = p.n };
    struct fw_match key;
    struct emu_layout lay;
    emu_parse(&f, 0, &key, &lay);
    cr_assert_not(emu_rewrite(&f, &push, &key, &lay));
    cr_assert_not(emu_rewrite(&f, &enc, &key, &lay));
    cr_assert_eq(f.len, p.n);
    cr_assert_eq(f.data, exact);
    free(exact);
}

/* Every action on every prefix of a VXLAN frame, each in an exact-size
 * allocation: ASan catches any access outside the frame. */
Test(emu_packet, rewrite_truncated_every_length)
{
    struct pkt p;
    build_vxlan_tcp(&p, 99);
    for (uint16_t type = FW_ACT_PUSH_VLAN; type < FW_ACT_COUNT_; type++) {
        for (uint32_t len = 0; len <= p.n; len++) {
            uint8_t *buf = malloc(len ? len : 1);
            cr_assert_not_null(buf);
            memcpy(buf, p.b, len);
            struct emu_frame f = { .data = buf, .len = len };
            struct fw_match key;
            struct emu_layout lay;
            emu_parse(&f, 1, &key, &lay);
            struct fw_action a = action(type);
            a.u.raw[0] = 0x11;
            a.u.raw[1] = 0x22;
            emu_rewrite(&f, &a, &key, &lay);
            cr_assert_geq(f.data, buf);
            cr_assert_leq(f.data + f.len, buf + len);
            cr_assert_leq(f.len, len);
            free(buf);
        }
    }
}
