/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IP_FRAG match field (ABI 1.3): RULE_ADD's checks on its value and
 * mask, the profiles that report it, and the steering of whole, first,
 * middle and last IPv4 fragments and of IPv6 packets with and without a
 * Fragment header, through emu_dev_input() as frames enter from a VF.
 */
#include "emu_test.h"
#include "emu_dev_priv.h"

T_DEV_SUITE(emu_dev_frag, "full", 4, 4, FW_ESW_SWITCHDEV, .timeout = 20);

/* ------------------------------------------------------------------------
 * Frames
 * ------------------------------------------------------------------------ */

static const uint8_t dst_mac[6] = { 0x02, 0, 0, 0, 0, 0x22 };
static const uint8_t src_mac[6] = { 0x02, 0, 0, 0, 0, 0x11 };

/* IPv4/UDP with the flags+offset word @frag (host order). */
static uint32_t
ipv4_frame(uint8_t *buf, uint16_t frag)
{
    uint32_t len = t_udp_frame(buf, dst_mac, src_mac, -1, 0x0a000001,
                               0x0a000002, 1000, 2000, 32);
    uint16_t v = htons(frag);

    /* the card does not check the IPv4 checksum, so it is left stale */
    memcpy(buf + 14 + 6, &v, 2);
    return len;
}

/* IPv6 whose Next Header is @nh; with nh 44, an 8-byte Fragment header
 * carrying @frag_data (offset << 3 | M) and next header UDP follows. */
static uint32_t
ipv6_frame(uint8_t *buf, uint8_t nh, uint16_t frag_data)
{
    uint32_t off = 0, plen = 8 + 16;
    uint16_t v;

    memcpy(buf, dst_mac, 6);
    memcpy(buf + 6, src_mac, 6);
    v = htons(0x86dd);
    memcpy(buf + 12, &v, 2);
    off = 14;
    memset(buf + off, 0, 40);
    buf[off] = 0x60;
    if (nh == 44)
        plen += 8;
    v = htons((uint16_t)plen);
    memcpy(buf + off + 4, &v, 2);
    buf[off + 6] = nh;
    buf[off + 7] = 64;
    buf[off + 8 + 15] = 1;      /* ::1 -> ::2 */
    buf[off + 24 + 15] = 2;
    off += 40;
    if (nh == 44) {
        buf[off] = 17;
        buf[off + 1] = 0;
        v = htons(frag_data);
        memcpy(buf + off + 2, &v, 2);
        memset(buf + off + 4, 0x77, 4);     /* identification */
        off += 8;
    }
    memset(buf + off, 0, 8);    /* a UDP header, then payload */
    buf[off + 1] = 0x35;
    off += 8;
    memset(buf + off, 0x5a, 16);
    return off + 16;
}

/* ------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

/* A rule on eth_type @etype and ip_frag value/mask sending to VF @vf. */
static uint8_t
add_frag_rule(uint16_t etype, uint8_t v, uint8_t m, uint16_t prio,
              uint16_t vf, uint32_t *id)
{
    struct t_rule r;

    t_rule_init(&r, 0, prio);
    r.in.value.eth_type = htons(etype);
    r.in.mask.eth_type = 0xffff;
    r.in.value.ip_frag = v;
    r.in.mask.ip_frag = m;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_VF(vf), 0);
    return t_rule_add(dev, &r, id);
}

/* Where does a frame entering from VF 0 go? The vport, or 0xffff for a
 * miss (representor). */
static uint16_t
steer(const uint8_t *frame, uint32_t len)
{
    unsigned before = t_rec.n;

    emu_dev_input(dev, FW_VPORT_VF(0), frame, len);
    cr_assert_eq(t_rec.n, before + 1, "one copy out");
    if (t_rec.pkts[before].dest.kind == EMU_DEST_REP)
        return 0xffff;
    return t_rec.pkts[before].dest.vport;
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------ */

Test(emu_dev_frag, capability_in_profiles_that_match_ip)
{
    struct emu_dev *d;

    cr_expect(dev->caps.match_fields & FW_FIELD_BIT(FW_FIELD_IP_FRAG));
    cr_expect_eq(dev->caps.abi_minor, FW_ABI_MINOR);
    cr_expect_geq(FW_ABI_MINOR, 4);
    d = t_dev_new("basic", 4, 4, FW_ESW_SWITCHDEV);
    cr_expect(d->caps.match_fields & FW_FIELD_BIT(FW_FIELD_IP_FRAG));
    emu_dev_destroy(d);
    /* tiny matches nothing above L2, so no fragment state either */
    d = t_dev_new("tiny", 4, 4, FW_ESW_SWITCHDEV);
    cr_expect_not(d->caps.match_fields & FW_FIELD_BIT(FW_FIELD_IP_FRAG));
    struct t_rule r;
    t_rule_init(&r, 0, 0);
    r.in.value.ip_frag = FW_IP_FRAG_IS;
    r.in.mask.ip_frag = FW_IP_FRAG_IS;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_VF(1), 0);
    cr_expect_eq(t_rule_add(d, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_FIELD, FW_FIELD_IP_FRAG, 0));
    emu_dev_destroy(d);
}

Test(emu_dev_frag, hostile_values_and_masks_are_bad_param)
{
    static const struct { uint8_t v, m; } bad[] = {
        { 0x08, 0x08 },                 /* reserved bit, value and mask */
        { 0x00, 0x80 },                 /* reserved bit in the mask only */
        { 0x40, 0xff },
        /* LATER or MORE on a packet that is not a fragment */
        { FW_IP_FRAG_LATER, FW_IP_FRAG_IS | FW_IP_FRAG_LATER },
        { FW_IP_FRAG_MORE, FW_IP_FRAG_IS | FW_IP_FRAG_MORE },
        { FW_IP_FRAG_LATER | FW_IP_FRAG_MORE, FW_IP_FRAG_ALL_ },
    };
    struct fw_query_health_out h0 = t_health(dev), h1;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(add_frag_rule(0x0800, bad[i].v, bad[i].m, 0, 1, NULL),
                     FW_STATUS_BAD_PARAM, "case %zu", i);
        cr_expect_eq(t_synd, FW_SYND(FW_SYND_VALUE, FW_FIELD_IP_FRAG, 0),
                     "case %zu: synd %#x", i, t_synd);
    }
    /* value outside the mask names the field too */
    cr_expect_eq(add_frag_rule(0x0800, FW_IP_FRAG_IS, FW_IP_FRAG_LATER, 0, 1,
                               NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_VALUE, FW_FIELD_IP_FRAG, 0));
    h1 = t_health(dev);
    cr_expect_eq(h1.rules, h0.rules, "nothing was added");
    /* every meaningful shape is accepted */
    cr_expect_eq(add_frag_rule(0x0800, 0, FW_IP_FRAG_IS, 0, 1, NULL), 0);
    cr_expect_eq(add_frag_rule(0x0800, FW_IP_FRAG_IS | FW_IP_FRAG_MORE,
                               FW_IP_FRAG_ALL_, 0, 1, NULL), 0);
    cr_expect_eq(add_frag_rule(0x0800, FW_IP_FRAG_LATER, FW_IP_FRAG_LATER,
                               0, 1, NULL), 0);
    cr_expect_eq(add_frag_rule(0x86dd, FW_IP_FRAG_IS, FW_IP_FRAG_ALL_, 0, 1,
                               NULL), 0, "an atomic IPv6 fragment");
}

Test(emu_dev_frag, ipv4_fragments_steered_by_state)
{
    uint8_t f[256];
    uint32_t len;

    /* VF1: not a fragment; VF2: first; VF3: a later one (middle or last) */
    cr_assert_eq(add_frag_rule(0x0800, 0, FW_IP_FRAG_IS, 0, 1, NULL), 0);
    cr_assert_eq(add_frag_rule(0x0800, FW_IP_FRAG_IS | FW_IP_FRAG_MORE,
                               FW_IP_FRAG_ALL_, 0, 2, NULL), 0);
    cr_assert_eq(add_frag_rule(0x0800, FW_IP_FRAG_LATER, FW_IP_FRAG_LATER, 0,
                               3, NULL), 0);

    len = ipv4_frame(f, 0x0000);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(1), "unfragmented");
    len = ipv4_frame(f, 0x4000);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(1), "DF is not a fragment");
    len = ipv4_frame(f, 0x2000);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(2), "first fragment");
    len = ipv4_frame(f, 0x2000 | 185);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(3), "middle fragment");
    len = ipv4_frame(f, 0x0001);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(3), "last fragment, offset 1");
    len = ipv4_frame(f, 0x1fff);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(3), "last fragment, max offset");
}

Test(emu_dev_frag, ipv4_more_and_last_apart)
{
    uint8_t f[256];
    uint32_t len;

    /* MORE alone: first and middle fragments; LATER without MORE: last */
    cr_assert_eq(add_frag_rule(0x0800, FW_IP_FRAG_MORE, FW_IP_FRAG_MORE, 0, 1,
                               NULL), 0);
    cr_assert_eq(add_frag_rule(0x0800, FW_IP_FRAG_LATER,
                               FW_IP_FRAG_LATER | FW_IP_FRAG_MORE, 0, 2,
                               NULL), 0);
    len = ipv4_frame(f, 0x2000);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(1));
    len = ipv4_frame(f, 0x2010);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(1));
    len = ipv4_frame(f, 0x0010);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(2));
    len = ipv4_frame(f, 0x0000);
    cr_expect_eq(steer(f, len), 0xffff, "whole packets miss both");
}

Test(emu_dev_frag, ipv6_fragment_header_steered)
{
    uint8_t f[256];
    uint32_t len;

    cr_assert_eq(add_frag_rule(0x86dd, 0, FW_IP_FRAG_IS, 0, 1, NULL), 0);
    cr_assert_eq(add_frag_rule(0x86dd, FW_IP_FRAG_IS, FW_IP_FRAG_IS |
                               FW_IP_FRAG_LATER, 0, 2, NULL), 0);
    cr_assert_eq(add_frag_rule(0x86dd, FW_IP_FRAG_IS | FW_IP_FRAG_LATER,
                               FW_IP_FRAG_IS | FW_IP_FRAG_LATER, 0, 3, NULL),
                 0);

    len = ipv6_frame(f, 17, 0);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(1), "no Fragment header");
    len = ipv6_frame(f, 44, 0x0001);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(2), "first fragment");
    len = ipv6_frame(f, 44, 0x0000);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(2), "atomic fragment");
    len = ipv6_frame(f, 44, (100 << 3) | 1);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(3), "middle fragment");
    len = ipv6_frame(f, 44, 100 << 3);
    cr_expect_eq(steer(f, len), FW_VPORT_VF(3), "last fragment");
    /* a Fragment header cut short is not seen: the packet counts as whole */
    len = ipv6_frame(f, 44, 0x0001);
    f[14 + 5] = 4;              /* payload length 4: the header is cut */
    cr_expect_eq(steer(f, 14 + 40 + 4), FW_VPORT_VF(1));
    (void)len;
}

Test(emu_dev_frag, non_ip_frames_are_not_fragments)
{
    uint8_t f[64] = { 0 };

    cr_assert_eq(add_frag_rule(0x88b5, 0, FW_IP_FRAG_ALL_, 0, 1, NULL), 0);
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, src_mac, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    /* bytes where an IPv4 header would carry MF and an offset */
    f[14 + 6] = 0x3f;
    f[14 + 7] = 0xff;
    cr_expect_eq(steer(f, sizeof(f)), FW_VPORT_VF(1));
}
