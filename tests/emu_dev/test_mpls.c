/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPLS in the card (ABI 1.10): the top label stack entry as a match field
 * (masked, behind an exact MPLS EtherType), PUSH_MPLS / POP_MPLS /
 * SET_MPLS_TTL / DEC_MPLS_TTL through the steering walk, a JUMP seeing
 * the frame as the actions left it, the capability bits by profile, and
 * every hostile RULE_ADD answered with its precise syndrome while the
 * rules stay as they were. Whether these bytes are the software
 * datapath's is tests/dp/test_dp_mpls_card.c's question.
 */
#include "emu_test.h"
#include "emu_test_frame.h"
#include "emu_dev_priv.h"

static void
setup(void)
{
    t_frame_setup("full", 4, 3);
}

TestSuite(emu_dev_mpls, .init = setup, .fini = t_frame_teardown,
          .timeout = 10);

#define LSE(label, tc, bos, ttl) \
    ((uint32_t)(label) << 12 | (uint32_t)(tc) << 9 | (uint32_t)(bos) << 8 | \
     (uint32_t)(ttl))

static uint32_t
rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/* @frame's Ethernet header with EtherType 0x8847 and @n entries, then 28
 * bytes of an IPv4-looking payload. */
static uint32_t
mpls_frame(uint8_t *f, const uint32_t *lse, unsigned n)
{
    uint32_t l = 12;

    memcpy(f, frame, 12);
    f[l++] = 0x88;
    f[l++] = 0x47;
    for (unsigned i = 0; i < n; i++, l += 4) {
        uint32_t be = htonl(lse[i]);

        memcpy(f + l, &be, 4);
    }
    memset(f + l, 0x45, 28);
    return l + 28;
}

static struct fw_action *
mpls_act(struct t_rule *r, uint16_t type, uint16_t ethertype)
{
    struct fw_action *a = t_rule_act(r, type);

    a->u.mpls.ethertype = htons(ethertype);
    return a;
}

Test(emu_dev_mpls, caps_report_mpls_on_full_only)
{
    const struct fw_caps *c = emu_dev_caps(dev);
    struct emu_dev *basic = t_dev_new("basic", 4, 3, FW_ESW_SWITCHDEV);
    uint64_t acts = FW_ACTION_BIT(FW_ACT_PUSH_MPLS) |
                    FW_ACTION_BIT(FW_ACT_POP_MPLS) |
                    FW_ACTION_BIT(FW_ACT_SET_MPLS_TTL) |
                    FW_ACTION_BIT(FW_ACT_DEC_MPLS_TTL);

    cr_expect_geq(c->abi_minor, 10);    /* 1.10 brought MPLS */
    cr_expect(c->match_fields & FW_FIELD_BIT(FW_FIELD_MPLS));
    cr_expect_eq(c->actions & acts, acts);
    cr_expect_eq(emu_dev_caps(basic)->match_fields &
                 FW_FIELD_BIT(FW_FIELD_MPLS), 0);
    cr_expect_eq(emu_dev_caps(basic)->actions & acts, 0);
    emu_dev_destroy(basic);
}

Test(emu_dev_mpls, push_onto_ipv4_then_match_the_entry_in_the_next_table)
{
    struct t_rule r;
    const struct t_pkt *p;

    cr_assert_eq(t_table_create(dev, 1, 1), 0);
    t_rule_init(&r, 0, 0);
    mpls_act(&r, FW_ACT_PUSH_MPLS, 0x8847);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0, "synd %#x", t_synd);
    /* label 0, BOS, any TC, TTL 64 (the frame's IP TTL) */
    t_rule_init(&r, 1, 0);
    r.in.value.eth_type = htons(0x8847);
    r.in.mask.eth_type = 0xffff;
    r.in.value.mpls_lse = htonl(LSE(0, 0, 1, 64));
    r.in.mask.mpls_lse = htonl(FW_MPLS_LABEL_MASK | FW_MPLS_BOS |
                               FW_MPLS_TTL_MASK);
    mpls_act(&r, FW_ACT_SET_MPLS_TTL, 0)->u.set_mpls_ttl.ttl = 9;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 2, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0, "synd %#x", t_synd);

    emu_dev_input(dev, 1, frame, flen);
    cr_assert_eq(t_rec.n, 1);
    p = &t_rec.pkts[0];
    cr_expect_eq(p->dest.kind, EMU_DEST_VPORT);
    cr_assert_eq(p->len, flen + 4);
    cr_expect_arr_eq(p->data, frame, 12);
    cr_expect_eq(p->data[12], 0x88);
    cr_expect_eq(p->data[13], 0x47);
    cr_expect_eq(rd32(p->data + 14), LSE(0, 0, 1, 9));
    cr_expect_arr_eq(p->data + 18, frame + 14, flen - 14);
}

Test(emu_dev_mpls, pop_to_ip_reparses_the_inner_header)
{
    uint32_t lse[2] = { LSE(100, 0, 0, 5), LSE(200, 0, 1, 6) };
    uint8_t f[128];
    uint32_t n;
    struct t_rule r;

    /* a stack of two over the UDP frame's IPv4 header */
    memcpy(f, frame, 12);
    f[12] = 0x88;
    f[13] = 0x47;
    for (unsigned i = 0; i < 2; i++) {
        uint32_t be = htonl(lse[i]);

        memcpy(f + 14 + 4 * i, &be, 4);
    }
    memcpy(f + 22, frame + 14, flen - 14);
    n = flen + 8;
    cr_assert_eq(t_table_create(dev, 1, 1), 0);
    t_rule_init(&r, 0, 0);
    r.in.value.eth_type = htons(0x8847);
    r.in.mask.eth_type = 0xffff;
    r.in.value.mpls_lse = htonl(LSE(100, 0, 0, 0));
    r.in.mask.mpls_lse = htonl(FW_MPLS_LABEL_MASK | FW_MPLS_BOS);
    mpls_act(&r, FW_ACT_POP_MPLS, 0x0800);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0, "synd %#x", t_synd);
    /* the jumped-to table sees IPv4 and its UDP port again */
    t_rule_init(&r, 1, 0);
    r.in.value.eth_type = htons(0x0800);
    r.in.mask.eth_type = 0xffff;
    r.in.value.l4_dst = htons(2000);
    r.in.mask.l4_dst = 0xffff;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 2, 1);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0, "synd %#x", t_synd);

    emu_dev_input(dev, 1, f, n);
    cr_assert_eq(t_rec.n, 1);
    /* the whole stack went: the frame is the UDP frame again */
    cr_expect_eq(t_rec.pkts[0].dest.queue, 1);
    cr_assert_eq(t_rec.pkts[0].len, flen);
    cr_expect_arr_eq(t_rec.pkts[0].data, frame, flen);
}

Test(emu_dev_mpls, pop_to_mpls_takes_the_top_entry_only)
{
    uint32_t lse[2] = { LSE(1, 2, 0, 3), LSE(4, 5, 1, 6) };
    uint8_t f[128];
    uint32_t n = mpls_frame(f, lse, 2);
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    mpls_act(&r, FW_ACT_POP_MPLS, 0x8848);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 2, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    emu_dev_input(dev, 1, f, n);
    cr_assert_eq(t_rec.n, 1);
    cr_assert_eq(t_rec.pkts[0].len, n - 4);
    cr_expect_eq(t_rec.pkts[0].data[13], 0x48);
    cr_expect_eq(rd32(t_rec.pkts[0].data + 14), lse[1]);
}

/* Where software drops the packet whole the card drops the frame; the
 * copies a rule sent before stand (a driver keeps those rules apart). */
Test(emu_dev_mpls, deep_stacks_and_spent_ttls_drop)
{
    uint32_t three[3] = { LSE(1, 0, 0, 9), LSE(2, 0, 0, 9), LSE(3, 0, 0, 9) };
    uint32_t ttl1[1] = { LSE(1, 0, 1, 1) };
    uint8_t f[128];
    uint32_t n;
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    r.in.value.src_vport = 1;
    r.in.mask.src_vport = 0xffff;
    mpls_act(&r, FW_ACT_PUSH_MPLS, 0x8847);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 2, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    t_rule_init(&r, 0, 0);
    r.in.value.src_vport = 2;
    r.in.mask.src_vport = 0xffff;
    mpls_act(&r, FW_ACT_POP_MPLS, 0x0800);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 3, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    t_rule_init(&r, 0, 0);
    r.in.value.src_vport = 3;
    r.in.mask.src_vport = 0xffff;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    t_rule_act(&r, FW_ACT_DEC_MPLS_TTL);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 1, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);

    n = mpls_frame(f, three, 3);
    emu_dev_input(dev, 1, f, n);            /* push onto three */
    emu_dev_input(dev, 2, f, n);            /* pop, no bottom in three */
    cr_expect_eq(t_rec.n, 0);
    three[2] |= FW_MPLS_BOS;                /* the third is the bottom */
    emu_dev_input(dev, 2, f, mpls_frame(f, three, 3));
    cr_assert_eq(t_rec.n, 1);
    cr_expect_eq(t_rec.pkts[0].len, n - 12);
    /* TTL 1: the copy before goes, the one after does not */
    emu_dev_input(dev, 3, f, mpls_frame(f, ttl1, 1));
    cr_expect_eq(t_rec.n, 2);
    cr_expect_eq(t_rec.pkts[1].dest.kind, EMU_DEST_REP);
    /* not MPLS: DEC_MPLS_TTL drops it too */
    emu_dev_input(dev, 3, frame, flen);
    cr_expect_eq(t_rec.n, 3);
}

Test(emu_dev_mpls, a_stack_cut_short_is_no_entry)
{
    uint8_t f[64];
    uint32_t n;
    struct t_rule r;

    /* a rule on label 0 takes the frame whose stack is cut short: its
     * entry reads 0, as in software */
    t_rule_init(&r, 0, 0);
    r.in.value.eth_type = htons(0x8847);
    r.in.mask.eth_type = 0xffff;
    r.in.mask.mpls_lse = htonl(FW_MPLS_LABEL_MASK);
    mpls_act(&r, FW_ACT_SET_MPLS_TTL, 0)->u.set_mpls_ttl.ttl = 3;
    mpls_act(&r, FW_ACT_POP_MPLS, 0x0800);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 2, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    memcpy(f, frame, 12);
    f[12] = 0x88;
    f[13] = 0x47;
    f[14] = 0xab;
    f[15] = 0xcd;
    n = 16;
    emu_dev_input(dev, 1, f, n);
    cr_assert_eq(t_rec.n, 1);
    cr_assert_eq(t_rec.pkts[0].len, n);
    cr_expect_arr_eq(t_rec.pkts[0].data, f, n);
}

struct bad_case {
    const char *what;
    uint8_t status;
    uint32_t synd;
};

static uint8_t
try_bad(struct emu_dev *d, unsigned k)
{
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    switch (k) {
    case 0:     /* no EtherType at all */
        r.in.value.mpls_lse = htonl(LSE(3, 0, 1, 0));
        r.in.mask.mpls_lse = htonl(FW_MPLS_LABEL_MASK | FW_MPLS_BOS);
        break;
    case 1:     /* IPv4 */
        r.in.value.eth_type = htons(0x0800);
        r.in.mask.eth_type = 0xffff;
        r.in.mask.mpls_lse = htonl(FW_MPLS_TTL_MASK);
        break;
    case 2:     /* an MPLS type under a partial mask */
        r.in.value.eth_type = htons(0x8840);
        r.in.mask.eth_type = htons(0xfff0);
        r.in.mask.mpls_lse = htonl(FW_MPLS_BOS);
        break;
    case 3:     /* value outside the mask */
        r.in.value.eth_type = htons(0x8847);
        r.in.mask.eth_type = 0xffff;
        r.in.value.mpls_lse = htonl(FW_MPLS_BOS);
        r.in.mask.mpls_lse = htonl(FW_MPLS_TTL_MASK);
        break;
    case 4:
        mpls_act(&r, FW_ACT_PUSH_MPLS, 0x0800);
        break;
    case 5:
        mpls_act(&r, FW_ACT_PUSH_MPLS, 0);
        break;
    case 6:     /* a reserved byte after the EtherType */
        mpls_act(&r, FW_ACT_PUSH_MPLS, 0x8847)->u.raw[2] = 1;
        break;
    case 7:
        mpls_act(&r, FW_ACT_POP_MPLS, 0x0800)->u.raw[5] = 1;
        break;
    case 8:
        t_rule_act(&r, FW_ACT_SET_MPLS_TTL)->u.raw[1] = 1;
        break;
    case 9:
        t_rule_act(&r, FW_ACT_DEC_MPLS_TTL)->u.raw[0] = 1;
        break;
    case 10:    /* a type past this ABI's */
        t_rule_act(&r, FW_ACT_COUNT_);
        break;
    case 11:    /* no fate */
        mpls_act(&r, FW_ACT_POP_MPLS, 0x0800);
        return t_rule_add(d, &r, NULL);
    default:
        break;
    }
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    return t_rule_add(d, &r, NULL);
}

Test(emu_dev_mpls, hostile_rules_get_a_precise_error_and_change_nothing)
{
    static const struct bad_case cases[] = {
        { "entry without EtherType", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_PREREQ, FW_FIELD_MPLS, 0) },
        { "entry under IPv4", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_PREREQ, FW_FIELD_MPLS, 0) },
        { "entry under a partial EtherType mask", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_PREREQ, FW_FIELD_MPLS, 0) },
        { "entry value beyond mask", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_VALUE, FW_FIELD_MPLS, 0) },
        { "push of IPv4", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_PUSH_MPLS) },
        { "push of 0", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_PUSH_MPLS) },
        { "push rsvd", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_RSVD, 0, FW_ACT_PUSH_MPLS) },
        { "pop rsvd", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_RSVD, 0, FW_ACT_POP_MPLS) },
        { "set ttl rsvd", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_RSVD, 0, FW_ACT_SET_MPLS_TTL) },
        { "dec ttl with an argument", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_RSVD, 0, FW_ACT_DEC_MPLS_TTL) },
        { "action 28", FW_STATUS_NOT_SUPPORTED,
          FW_SYND(FW_SYND_ACTION, 0, FW_ACT_COUNT_) },
        { "pop without a fate", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION, 1, 0) },
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

Test(emu_dev_mpls, a_profile_without_mpls_refuses_it_before_the_prerequisite)
{
    struct emu_dev *basic = t_dev_new("basic", 4, 3, FW_ESW_SWITCHDEV);
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    r.in.mask.mpls_lse = htonl(FW_MPLS_BOS);
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    cr_expect_eq(t_rule_add(basic, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_FIELD, FW_FIELD_MPLS, 0));
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DEC_MPLS_TTL);
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    cr_expect_eq(t_rule_add(basic, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 0, FW_ACT_DEC_MPLS_TTL));
    cr_expect_eq(basic->steer.n_rules, 0);
    emu_dev_destroy(basic);
}
