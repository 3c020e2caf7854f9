/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes to part of a header field (ABI 1.11, MODIFY_SET / MODIFY_COPY):
 * the capability bits by profile, every hostile argument answered with
 * its precise syndrome (which rule of the argument it broke) while the
 * rules stay as they were, and the bytes and checksums of frames the
 * card rewrites, recomputed here from scratch.
 */
#include "emu_test.h"
#include "emu_test_frame.h"
#include "emu_packet.h"
#include "emu_dev_priv.h"

static void
setup(void)
{
    t_frame_setup("full", 4, 3);
}

TestSuite(emu_dev_modify, .init = setup, .fini = t_frame_teardown,
          .timeout = 10);

static struct fw_action *
mod(struct t_rule *r, uint16_t type, uint8_t dst, uint16_t dofs,
    uint8_t width)
{
    struct fw_action *a = t_rule_act(r, type);

    a->u.modify.dst_field = dst;
    a->u.modify.dst_offset = dofs;
    a->u.modify.width = width;
    return a;
}

Test(emu_dev_modify, caps_report_modify_on_full_only)
{
    struct emu_dev *basic = t_dev_new("basic", 4, 3, FW_ESW_SWITCHDEV);
    uint64_t acts = FW_ACTION_BIT(FW_ACT_MODIFY_SET) |
                    FW_ACTION_BIT(FW_ACT_MODIFY_COPY);

    cr_expect_geq(emu_dev_caps(dev)->abi_minor, 11);    /* 1.11 brought MODIFY */
    cr_expect_eq(emu_dev_caps(dev)->actions & acts, acts);
    cr_expect_eq(emu_dev_caps(basic)->actions & acts, 0);
    emu_dev_destroy(basic);
}

struct bad_case {
    const char *what;
    uint8_t status;
    uint32_t synd;
};

#define MSYND(type, why) \
    FW_SYND(FW_SYND_ACTION_ARG, 0, FW_MOD_SYND_DETAIL(type, why))

static uint8_t
try_bad(struct emu_dev *d, unsigned k)
{
    struct t_rule r;
    struct fw_action *a;

    t_rule_init(&r, 0, 0);
    switch (k) {
    case 0:     /* field 0 and one past this ABI's */
        mod(&r, FW_ACT_MODIFY_SET, FW_MOD_NONE, 0, 8);
        break;
    case 1:
        mod(&r, FW_ACT_MODIFY_SET, FW_MOD_COUNT_, 0, 8);
        break;
    case 2:
        mod(&r, FW_ACT_MODIFY_SET, FW_MOD_IPV4_SRC, 0, 0);
        break;
    case 3:     /* 16 + 17 > 32 */
        mod(&r, FW_ACT_MODIFY_SET, FW_MOD_IPV4_SRC, 16, 17);
        break;
    case 4:     /* an offset that wraps nothing: 65535 */
        mod(&r, FW_ACT_MODIFY_SET, FW_MOD_VLAN_VID, 0xffff, 1);
        break;
    case 5:     /* a value bit outside [16, 32) of an IPv4 address */
        a = mod(&r, FW_ACT_MODIFY_SET, FW_MOD_IPV4_SRC, 16, 16);
        a->u.modify.value[0] = 1;
        a->u.modify.value[2] = 1;
        break;
    case 6:     /* past the field's bytes */
        a = mod(&r, FW_ACT_MODIFY_SET, FW_MOD_TCP_SRC, 0, 16);
        a->u.modify.value[2] = 1;
        break;
    case 7:     /* a source in a SET */
        mod(&r, FW_ACT_MODIFY_SET, FW_MOD_TCP_SRC, 0, 16)
            ->u.modify.src_field = FW_MOD_UDP_SRC;
        break;
    case 8:
        mod(&r, FW_ACT_MODIFY_COPY, FW_MOD_ETH_DST, 0, 16)
            ->u.modify.src_field = 200;
        break;
    case 9:     /* source bits [24, 40) of a 32-bit address */
        a = mod(&r, FW_ACT_MODIFY_COPY, FW_MOD_ETH_DST, 0, 16);
        a->u.modify.src_field = FW_MOD_IPV4_DST;
        a->u.modify.src_offset = 24;
        break;
    case 10:    /* a value in a COPY */
        a = mod(&r, FW_ACT_MODIFY_COPY, FW_MOD_ETH_DST, 0, 16);
        a->u.modify.src_field = FW_MOD_ETH_SRC;
        a->u.modify.value[5] = 1;
        break;
    case 11:
        mod(&r, FW_ACT_MODIFY_SET, FW_MOD_IPV4_TTL, 0, 8)->u.modify.rsvd = 1;
        break;
    case 12:    /* past the argument */
        mod(&r, FW_ACT_MODIFY_SET, FW_MOD_IPV4_TTL, 0, 8)->u.raw[30] = 1;
        break;
    default:
        break;
    }
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    return t_rule_add(d, &r, NULL);
}

Test(emu_dev_modify, hostile_arguments_get_a_precise_error_and_change_nothing)
{
    const uint16_t S = FW_ACT_MODIFY_SET, C = FW_ACT_MODIFY_COPY;
    const struct bad_case cases[] = {
        { "dst field 0", FW_STATUS_BAD_PARAM,
          MSYND(S, FW_MOD_SYND_DST_FIELD) },
        { "dst field past the ABI", FW_STATUS_BAD_PARAM,
          MSYND(S, FW_MOD_SYND_DST_FIELD) },
        { "width 0", FW_STATUS_BAD_PARAM, MSYND(S, FW_MOD_SYND_WIDTH) },
        { "offset + width past IPv4", FW_STATUS_BAD_PARAM,
          MSYND(S, FW_MOD_SYND_DST_RANGE) },
        { "offset 65535", FW_STATUS_BAD_PARAM,
          MSYND(S, FW_MOD_SYND_DST_RANGE) },
        { "value bit outside the range", FW_STATUS_BAD_PARAM,
          MSYND(S, FW_MOD_SYND_VALUE) },
        { "value byte past the field", FW_STATUS_BAD_PARAM,
          MSYND(S, FW_MOD_SYND_VALUE) },
        { "source in a SET", FW_STATUS_BAD_PARAM,
          MSYND(S, FW_MOD_SYND_SRC_FIELD) },
        { "copy from field 200", FW_STATUS_BAD_PARAM,
          MSYND(C, FW_MOD_SYND_SRC_FIELD) },
        { "copy past the source", FW_STATUS_BAD_PARAM,
          MSYND(C, FW_MOD_SYND_SRC_RANGE) },
        { "value in a COPY", FW_STATUS_BAD_PARAM,
          MSYND(C, FW_MOD_SYND_VALUE) },
        { "rsvd byte", FW_STATUS_BAD_PARAM, MSYND(S, FW_MOD_SYND_VALUE) },
        { "past the argument", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_RSVD, 0, FW_ACT_MODIFY_SET) },
    };
    uint32_t before = dev->steer.n_rules;

    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        uint8_t st = try_bad(dev, k);

        cr_expect_eq(st, cases[k].status, "%s: status %#x", cases[k].what, st);
        cr_expect_eq(t_synd, cases[k].synd, "%s: synd %#x, want %#x",
                     cases[k].what, t_synd, cases[k].synd);
    }
    cr_expect_eq(dev->steer.n_rules, before);
}

Test(emu_dev_modify, a_profile_without_it_refuses_the_action)
{
    struct emu_dev *basic = t_dev_new("basic", 4, 3, FW_ESW_SWITCHDEV);
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    mod(&r, FW_ACT_MODIFY_SET, FW_MOD_IPV4_TTL, 0, 8);
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    cr_expect_eq(t_rule_add(basic, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 0, FW_ACT_MODIFY_SET));
    cr_expect_eq(basic->steer.n_rules, 0);
    emu_dev_destroy(basic);
}

/* ------------------------------------------------------------------------
 * Bytes: through emu_rewrite, checksums recomputed from scratch
 * ------------------------------------------------------------------------ */

static uint16_t
sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)acc;
}

/* Ethernet / IPv6 2001:db8::1 -> 2001:db8::2, TC 0xa5 / UDP 7 -> 9. */
static uint32_t
ipv6_udp(uint8_t *f)
{
    static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    uint8_t *ip = f + 14, *u = ip + 40;
    uint32_t acc;

    memset(f, 0, 14 + 40 + 12);
    f[12] = 0x86, f[13] = 0xdd;
    ip[0] = 0x6a, ip[1] = 0x50;         /* version 6, traffic class 0xa5 */
    ip[5] = 12, ip[6] = 17, ip[7] = 64;
    memcpy(ip + 8, a, 16);
    memcpy(ip + 24, a, 16);
    ip[39] = 2;
    u[1] = 7, u[3] = 9, u[5] = 12;
    memcpy(u + 8, "snic", 4);
    acc = sum16(ip + 8, 32, 0) + 17 + 12;
    uint16_t c = (uint16_t)~sum16(u, 12, acc);
    u[6] = (uint8_t)(c >> 8), u[7] = (uint8_t)c;
    return 14 + 40 + 12;
}

static bool
udp6_csum_ok(const uint8_t *f)
{
    const uint8_t *ip = f + 14;
    uint32_t acc = sum16(ip + 8, 32, 0) + 17 + 12;

    return sum16(ip + 40, 12, acc) == 0xffff;
}

static void
rewrite(uint8_t *buf, uint32_t len, const struct fw_action *a)
{
    struct emu_frame f = { .data = buf, .len = len };
    struct fw_match key;
    struct emu_layout lay;

    emu_parse(&f, 1, &key, &lay);
    cr_assert(emu_rewrite(&f, a, &key, &lay));
    cr_assert_eq(f.len, len);
}

Test(emu_dev_modify, ipv6_bits_and_the_udp_checksum)
{
    uint8_t f[128];
    uint32_t n = ipv6_udp(f);
    struct fw_action a = { .type = FW_ACT_MODIFY_SET };

    /* src bits [8, 24) := 0xbeef: bytes 13 and 14 of the address */
    a.u.modify.dst_field = FW_MOD_IPV6_SRC;
    a.u.modify.dst_offset = 8;
    a.u.modify.width = 16;
    a.u.modify.value[13] = 0xbe;
    a.u.modify.value[14] = 0xef;
    rewrite(f, n, &a);
    cr_expect_eq(f[14 + 8 + 13], 0xbe);
    cr_expect_eq(f[14 + 8 + 14], 0xef);
    cr_expect_eq(f[14 + 8 + 15], 1);
    cr_expect(udp6_csum_ok(f), "UDP checksum over the new pseudo-header");

    /* DSCP := 0x0b, ECN (TC's low 2 bits, 01) and the version kept */
    memset(&a.u, 0, sizeof(a.u));
    a.u.modify.dst_field = FW_MOD_IPV6_DSCP;
    a.u.modify.width = 6;
    a.u.modify.value[0] = 0x0b;
    rewrite(f, n, &a);
    cr_expect_eq(f[14], 0x62);          /* 6, TC 0x2d's upper nibble 2 */
    cr_expect_eq(f[15], 0xd0);          /* TC's lower nibble d, label 0 */

    /* copy: the UDP destination port's low byte := the hop limit */
    memset(&a.u, 0, sizeof(a.u));
    a.type = FW_ACT_MODIFY_COPY;
    a.u.modify.dst_field = FW_MOD_UDP_DST;
    a.u.modify.src_field = FW_MOD_IPV6_HOPLIMIT;
    a.u.modify.width = 8;
    rewrite(f, n, &a);
    cr_expect_eq(f[14 + 40 + 2], 0);
    cr_expect_eq(f[14 + 40 + 3], 64);
    cr_expect(udp6_csum_ok(f), "UDP checksum after the port copy");

    /* an IPv4 field of an IPv6 frame: nothing changes */
    uint8_t before[128];
    memcpy(before, f, n);
    memset(&a.u, 0, sizeof(a.u));
    a.type = FW_ACT_MODIFY_SET;
    a.u.modify.dst_field = FW_MOD_IPV4_TTL;
    a.u.modify.width = 8;
    a.u.modify.value[0] = 1;
    rewrite(f, n, &a);
    cr_expect_arr_eq(f, before, n);
}
