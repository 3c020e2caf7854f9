/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rewrites that write the value a field already holds, and the checksum
 * fields at the edges of one's-complement arithmetic (emu_packet.h).
 *
 * An incremental update (RFC 1624 eqn. 3) of a checksum field holding
 * 0xffff, the "-0" a sender may put where the computed checksum is 0,
 * gives 0 even when nothing changed. snicd's software datapath
 * (offload/dp_rewrite.c) and the card's own MODIFY_SET skip a write that
 * changes nothing, so the card's whole-field rewrites must leave such a
 * frame byte for byte as it came, or the same flow gives different bytes
 * on the card and in software (hw/sw difference). And a UDP checksum of 0
 * ("none", RFC 768) stays 0 whatever is rewritten. Suite emu_packet is
 * declared in test_emu_packet.c.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>

#include <criterion/criterion.h>

#include "emu_packet.h"
#include "pkt_build.h"

#define L3_OFS 14u
#define L4_OFS 34u

/*
 * Make the checksum at @csum_ofs of the @n bytes at @d (plus @start, a
 * pseudo-header's sum) hold 0xffff and still verify: the free word at
 * @free_ofs is picked so that the computed checksum is 0, and 0xffff, the
 * other zero of one's complement, is written in its place.
 */
static void
neg_zero(uint8_t *d, uint32_t n, uint32_t start, uint32_t csum_ofs,
         uint32_t free_ofs)
{
    set16(d + csum_ofs, 0);
    set16(d + free_ofs, 0);
    set16(d + free_ofs, (uint16_t)~ref_sum(d, n, start));
    cr_assert_eq(ref_sum(d, n, start), 0xffff, "the computed sum is -0");
    set16(d + csum_ofs, 0xffff);
    cr_assert_eq(ref_sum(d, n, start), 0xffff, "and 0xffff verifies");
}

/* An untagged IPv4 frame of @proto (6 or 17) whose IPv4 header checksum
 * and TCP/UDP checksum are both 0xffff, or with @udp_none a UDP checksum
 * of 0 (none). The IP id and the first payload word are the free words. */
static void
build_edge(struct pkt *p, uint8_t proto, bool udp_none)
{
    uint32_t l4_len, csum_ofs = l4_csum_off(proto);

    if (proto == 6)
        build_ipv4_tcp(p, false, 1000, 2000);
    else
        build_ipv4_udp(p, 1000, 2000, true);
    l4_len = p->n - L4_OFS;
    if (udp_none)
        set16(p->b + L4_OFS + csum_ofs, 0);
    else
        neg_zero(p->b + L4_OFS, l4_len,
                 pseudo_sum(p->b, L3_OFS, L4_OFS, p->n, proto), csum_ofs,
                 proto == 6 ? 20u : 8u);
    neg_zero(p->b + L3_OFS, 20, 0, 10, 4);
}

/* Every whole-field rewrite the card has that can touch a checksum, and
 * its neighbours that cannot, each writing what the frame of build_edge()
 * already holds; MODIFY_SET of the same for comparison. */
static unsigned
same_value_actions(const struct pkt *p, struct fw_action *acts)
{
    const uint8_t *ip = p->b + L3_OFS, *l4 = p->b + L4_OFS;
    unsigned n = 0;

    acts[n] = action(FW_ACT_SET_IPV4_SRC);
    memcpy(&acts[n++].u.set_ipv4.addr, ip + 12, 4);
    acts[n] = action(FW_ACT_SET_IPV4_DST);
    memcpy(&acts[n++].u.set_ipv4.addr, ip + 16, 4);
    acts[n] = action(FW_ACT_SET_L4_SRC);
    memcpy(&acts[n++].u.set_l4.port, l4, 2);
    acts[n] = action(FW_ACT_SET_L4_DST);
    memcpy(&acts[n++].u.set_l4.port, l4 + 2, 2);
    acts[n] = action(FW_ACT_SET_IP_TOS);
    acts[n++].u.set_tos.tos = ip[1];
    acts[n] = action(FW_ACT_SET_MAC_SRC);
    memcpy(acts[n++].u.set_mac.mac, p->b + 6, 6);
    acts[n] = action(FW_ACT_SET_MAC_DST);
    memcpy(acts[n++].u.set_mac.mac, p->b, 6);
    acts[n] = action(FW_ACT_MODIFY_SET);
    acts[n].u.modify.dst_field = FW_MOD_IPV4_SRC;
    acts[n].u.modify.width = 32;
    memcpy(acts[n++].u.modify.value, ip + 12, 4);
    return n;
}

static void
expect_untouched(const struct pkt *p, const char *what)
{
    struct fw_action acts[16];
    unsigned n = same_value_actions(p, acts);

    for (unsigned i = 0; i < n; i++) {
        struct tframe t;

        tf_load(&t, p, EMU_FRAME_HEADROOM, 0);
        cr_assert(tf_act(&t, &acts[i]));
        cr_assert_eq(t.f.len, p->n);
        cr_expect_arr_eq(t.f.data, p->b, p->n,
                         "%s, action type %u writing the same value: IPv4 "
                         "checksum 0x%04x, L4 checksum 0x%04x", what,
                         le16toh(acts[i].type),
                         get16(t.f.data + L3_OFS + 10),
                         get16(t.f.data + L4_OFS +
                               l4_csum_off(p->b[L3_OFS + 9])));
    }
}

Test(emu_packet, rewrite_same_value_leaves_minus_zero_checksums)
{
    struct pkt p;

    build_edge(&p, 6, false);
    expect_untouched(&p, "TCP");
    build_edge(&p, 17, false);
    expect_untouched(&p, "UDP");
    build_edge(&p, 17, true);
    expect_untouched(&p, "UDP without checksum");
}

/* The VLAN rewrites touch no checksum; on a tagged frame with -0 ones a
 * write of the same VID or PCP leaves it as it was too. */
Test(emu_packet, rewrite_same_vlan_fields_leave_the_frame)
{
    struct pkt p;
    struct tframe t;

    build_ipv4_tcp(&p, true, 1000, 2000);       /* TCI 0x2064 */
    neg_zero(p.b + 18, 20, 0, 10, 4);
    struct fw_action a = action(FW_ACT_SET_VLAN_VID);
    a.u.set_vid.vid = htons(0x064);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert(tf_act(&t, &a));
    cr_expect_arr_eq(t.f.data, p.b, p.n);
    a = action(FW_ACT_SET_VLAN_PCP);
    a.u.set_pcp.pcp = 1;
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    cr_assert(tf_act(&t, &a));
    cr_expect_arr_eq(t.f.data, p.b, p.n);
}

/* A change still patches a -0 checksum, as software does: the result is
 * the one a full recomputation gives (a UDP 0 sent as 0xffff). */
Test(emu_packet, rewrite_change_patches_minus_zero_checksums)
{
    static const uint8_t protos[] = { 6, 17 };

    for (size_t i = 0; i < sizeof(protos); i++) {
        struct pkt p;
        struct tframe t;

        build_edge(&p, protos[i], false);
        tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
        struct fw_action a = action(FW_ACT_SET_IPV4_DST);
        a.u.set_ipv4.addr = htonl(IP4(10, 9, 9, 9));
        cr_assert(tf_act(&t, &a));
        a = action(FW_ACT_SET_L4_SRC);
        a.u.set_l4.port = htons(4242);
        cr_assert(tf_act(&t, &a));
        check_csums(&t);

        build_edge(&p, protos[i], false);
        tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
        a = action(FW_ACT_DEC_TTL);
        cr_assert(tf_act(&t, &a));
        cr_expect_eq(t.f.data[L3_OFS + 8], p.b[L3_OFS + 8] - 1);
        /* the TTL is outside the pseudo-header: only the IPv4 sum moves */
        cr_expect_eq(get16(t.f.data + L3_OFS + 10),
                     ipv4_expected_csum(t.f.data + L3_OFS));
        cr_expect_arr_eq(t.f.data + L4_OFS, p.b + L4_OFS, p.n - L4_OFS);
    }
}

/* RFC 768: 0 is "no checksum". Rewrites that change the ports or the
 * addresses keep it 0 (software: offload/dp_rewrite.c does the same). */
Test(emu_packet, rewrite_udp_without_checksum_stays_without)
{
    struct pkt p;
    struct tframe t;

    build_edge(&p, 17, true);
    tf_load(&t, &p, EMU_FRAME_HEADROOM, 0);
    static const uint16_t types[] = {
        FW_ACT_SET_L4_SRC, FW_ACT_SET_L4_DST, FW_ACT_SET_IPV4_SRC,
        FW_ACT_SET_IPV4_DST,
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct fw_action a = action(types[i]);

        if (types[i] == FW_ACT_SET_L4_SRC || types[i] == FW_ACT_SET_L4_DST)
            a.u.set_l4.port = htons((uint16_t)(7000 + i));
        else
            a.u.set_ipv4.addr = htonl(IP4(172, 16, 0, (uint8_t)i));
        cr_assert(tf_act(&t, &a));
        cr_expect_eq(get16(t.f.data + L4_OFS + 6), 0,
                     "action type %u gave UDP checksum 0x%04x", types[i],
                     get16(t.f.data + L4_OFS + 6));
    }
    cr_expect_eq(ntohl(t.key.ipv4_dst), IP4(172, 16, 0, 3));
    cr_expect_eq(ntohs(t.key.l4_dst), 7001);
    check_csums(&t);        /* the IPv4 header's */
}
