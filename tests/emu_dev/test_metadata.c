/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet registers (ABI 1.9): SET_META / SET_TAG, matching META and
 * the TAG words in later tables, what a JUMP keeps and what leaves the
 * card, and every refusal of a hostile RULE_ADD naming what was wrong
 * while leaving the rules as they were.
 */
#include "emu_test.h"
#include "emu_test_frame.h"
#include "emu_dev_priv.h"

static void
setup(void)
{
    t_frame_setup("full", 4, 3);
}

TestSuite(emu_dev_meta, .init = setup, .fini = t_frame_teardown,
          .timeout = 10);

static struct fw_action *
set_reg(struct t_rule *r, uint16_t type, uint8_t index, uint32_t value,
        uint32_t mask)
{
    struct fw_action *a = t_rule_act(r, type);

    a->u.set_reg.index = index;
    a->u.set_reg.value = value;
    a->u.set_reg.mask = mask;
    return a;
}

/* RULE_ADD with the TAG block: the whole 1024-byte input. */
static uint8_t
rule_add_tags(struct t_rule *r)
{
    return t_exec(dev, FW_FUNC_PF, FW_CMD_RULE_ADD, &r->in, sizeof(r->in));
}

/* Group 0: frames from @vport get TAG[3] = @tag, then JUMP 1. */
static void
tag_by_vport(uint16_t vport, uint32_t tag)
{
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    r.in.value.src_vport = vport;
    r.in.mask.src_vport = 0xffff;
    set_reg(&r, FW_ACT_SET_TAG, 3, tag, UINT32_MAX);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0, "synd %#x", t_synd);
}

Test(emu_dev_meta, caps_report_the_registers)
{
    const struct fw_caps *c = emu_dev_caps(dev);

    cr_expect_eq(c->num_tags, FW_NUM_TAGS);
    cr_expect(c->match_fields & FW_FIELD_BIT(FW_FIELD_META));
    cr_expect(c->match_fields & FW_FIELD_BIT(FW_FIELD_TAG));
    cr_expect(c->actions & FW_ACTION_BIT(FW_ACT_SET_META));
    cr_expect(c->actions & FW_ACTION_BIT(FW_ACT_SET_TAG));
    cr_expect_eq(c->abi_minor, FW_ABI_MINOR);
}

Test(emu_dev_meta, tag_set_in_one_table_steers_in_the_next)
{
    struct t_rule r;

    cr_assert_eq(t_table_create(dev, 1, 1), 0);
    tag_by_vport(1, 5);
    tag_by_vport(2, 6);
    t_rule_init(&r, 1, 0);
    r.in.tags.value[3] = 5;
    r.in.tags.mask[3] = UINT32_MAX;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 3, 1);
    cr_assert_eq(rule_add_tags(&r), 0, "synd %#x", t_synd);

    emu_dev_input(dev, 1, frame, flen);
    emu_dev_input(dev, 2, frame, flen);
    cr_assert_eq(t_rec.n, 2);
    /* TAG 5: the group 1 rule; TAG 6: a miss to its own representor */
    cr_expect_eq(t_rec.pkts[0].dest.kind, EMU_DEST_REP);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 3);
    cr_expect_eq(t_rec.pkts[0].dest.queue, 1);
    cr_expect_eq(t_rec.pkts[1].dest.vport, 2);
    cr_expect_eq(t_rec.pkts[1].dest.queue, 0);
    /* TAGs never leave the card */
    cr_expect_eq(t_rec.pkts[0].dest.meta, 0);
}

Test(emu_dev_meta, masked_set_and_masked_match)
{
    struct t_rule r;

    cr_assert_eq(t_table_create(dev, 1, 1), 0);
    cr_assert_eq(t_table_create(dev, 2, 2), 0);
    t_rule_init(&r, 0, 0);
    set_reg(&r, FW_ACT_SET_TAG, 7, 0x12345678, UINT32_MAX);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    t_rule_init(&r, 1, 0);
    /* only the bits under the mask change: 0x1234 5678 -> 0x12ab 5678 */
    set_reg(&r, FW_ACT_SET_TAG, 7, 0x00ab0000, 0x00ff0000);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 2;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    t_rule_init(&r, 2, 1);
    r.in.tags.value[7] = 0x12ab5678;
    r.in.tags.mask[7] = UINT32_MAX;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 2);
    cr_assert_eq(rule_add_tags(&r), 0);
    /* a higher-priority rule on the low half only, for another value */
    t_rule_init(&r, 2, 0);
    r.in.tags.value[7] = 0x00005679;
    r.in.tags.mask[7] = 0x0000ffff;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 3);
    cr_assert_eq(rule_add_tags(&r), 0);

    emu_dev_input(dev, 1, frame, flen);
    cr_assert_eq(t_rec.n, 1);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 0);
    cr_expect_eq(t_rec.pkts[0].dest.queue, 2);
}

Test(emu_dev_meta, meta_matches_and_goes_to_the_host_not_to_a_vport)
{
    struct t_rule r;

    cr_assert_eq(t_table_create(dev, 1, 1), 0);
    t_rule_init(&r, 0, 0);
    set_reg(&r, FW_ACT_SET_META, 0, 0xcafe, UINT32_MAX);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    t_rule_init(&r, 1, 0);
    r.in.value.meta = 0xcafe;
    r.in.mask.meta = UINT32_MAX;
    r.in.value.src_vport = 1;
    r.in.mask.src_vport = 0xffff;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 2, 0);
    t_rule_fwd(&r, FW_ACT_FWD_REP, 1, 1);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0, "synd %#x", t_synd);

    emu_dev_input(dev, 1, frame, flen);     /* the META rule */
    emu_dev_input(dev, 2, frame, flen);     /* misses in group 1 */
    cr_assert_eq(t_rec.n, 3);
    cr_expect_eq(t_rec.pkts[0].dest.kind, EMU_DEST_VPORT);
    cr_expect_eq(t_rec.pkts[0].dest.meta, 0);
    cr_expect_eq(t_rec.pkts[1].dest.kind, EMU_DEST_REP);
    cr_expect_eq(t_rec.pkts[1].dest.queue, 1);
    cr_expect_eq(t_rec.pkts[1].dest.meta, 0xcafe);
    cr_expect_eq(t_rec.pkts[2].dest.kind, EMU_DEST_REP);
    cr_expect_eq(t_rec.pkts[2].dest.vport, 2);
    cr_expect_eq(t_rec.pkts[2].dest.meta, 0xcafe);
}

Test(emu_dev_meta, registers_start_at_zero_for_every_frame)
{
    struct t_rule r;

    cr_assert_eq(t_table_create(dev, 1, 1), 0);
    tag_by_vport(1, 9);
    t_rule_init(&r, 0, 1);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    t_rule_init(&r, 1, 0);
    r.in.tags.mask[3] = UINT32_MAX;     /* TAG[3] == 0 */
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 1);
    cr_assert_eq(rule_add_tags(&r), 0);
    emu_dev_input(dev, 1, frame, flen);     /* TAG 9: misses */
    emu_dev_input(dev, 2, frame, flen);     /* TAG still 0 */
    cr_assert_eq(t_rec.n, 2);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 1);
    cr_expect_eq(t_rec.pkts[1].dest.vport, 0);
    cr_expect_eq(t_rec.pkts[1].dest.queue, 1);
}

struct bad_case {
    const char *what;
    uint8_t status;
    uint32_t synd;
};

/* One hostile rule per case; none may add a rule. */
static uint8_t
try_bad(unsigned k)
{
    struct t_rule r;
    uint8_t st;

    t_rule_init(&r, 0, 0);
    switch (k) {
    case 0: set_reg(&r, FW_ACT_SET_TAG, FW_NUM_TAGS, 1, 1); break;
    case 1: set_reg(&r, FW_ACT_SET_TAG, 255, 1, 1); break;
    case 2: set_reg(&r, FW_ACT_SET_TAG, 0, 1, 0); break;
    case 3: set_reg(&r, FW_ACT_SET_TAG, 0, 0x100, 0xff); break;
    case 4: set_reg(&r, FW_ACT_SET_TAG, 0, 1, 1)->u.set_reg.rsvd[1] = 1; break;
    case 5: set_reg(&r, FW_ACT_SET_META, 1, 1, 1); break;
    case 6: set_reg(&r, FW_ACT_SET_META, 0, 3, 1); break;
    case 7: r.in.tags.value[2] = 3; r.in.tags.mask[2] = 1; break;
    case 8: r.in.value.meta = 3; r.in.mask.meta = 1; break;
    case 9: r.in.mask.mpls_lse = htonl(1); break;
    default: break;
    }
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    if (k == 10) {
        /* junk in an unused action slot of a 1024-byte input */
        r.in.actions[5].type = FW_ACT_DROP;
        r.in.tags.mask[0] = 1;
    }
    st = rule_add_tags(&r);
    return st;
}

Test(emu_dev_meta, hostile_rules_get_a_precise_error_and_change_nothing)
{
    static const struct bad_case cases[] = {
        { "tag index 8", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_SET_TAG) },
        { "tag index 255", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_SET_TAG) },
        { "empty mask", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_SET_TAG) },
        { "value beyond mask", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_SET_TAG) },
        { "rsvd byte", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_SET_TAG) },
        { "meta index 1", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_SET_META) },
        { "meta value beyond mask", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_SET_META) },
        { "tag match value beyond mask", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_VALUE, FW_FIELD_TAG, 2) },
        { "meta match value beyond mask", FW_STATUS_BAD_PARAM,
          FW_SYND(FW_SYND_VALUE, FW_FIELD_META, 0) },
        { "MPLS entry (1.10, was rsvd1) without an MPLS EtherType",
          FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_PREREQ, FW_FIELD_MPLS, 0) },
        { "junk between the actions and the tags", FW_STATUS_BAD_INPUT_LEN,
          FW_SYND(FW_SYND_LENGTH, 0, 192 + 48) },
    };
    uint32_t before = dev->steer.n_rules;

    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        uint8_t st = try_bad(k);

        cr_expect_eq(st, cases[k].status, "%s: status %#x", cases[k].what, st);
        cr_expect_eq(t_synd, cases[k].synd, "%s: synd %#x, want %#x",
                     cases[k].what, t_synd, cases[k].synd);
    }
    cr_expect_eq(dev->steer.n_rules, before);
}

Test(emu_dev_meta, a_profile_without_registers_refuses_them)
{
    struct emu_dev *basic = t_dev_new("basic", 4, 3, FW_ESW_SWITCHDEV);
    struct t_rule r;
    uint8_t st;

    cr_expect_eq(emu_dev_caps(basic)->num_tags, 0);
    t_rule_init(&r, 0, 0);
    r.in.tags.value[4] = 1;
    r.in.tags.mask[4] = 1;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    st = t_exec(basic, FW_FUNC_PF, FW_CMD_RULE_ADD, &r.in, sizeof(r.in));
    cr_expect_eq(st, FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_FIELD, FW_FIELD_TAG, 4));
    t_rule_init(&r, 0, 0);
    set_reg(&r, FW_ACT_SET_TAG, 0, 1, 1);
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    cr_expect_eq(t_rule_add(basic, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 0, FW_ACT_SET_TAG));
    emu_dev_destroy(basic);
}

Test(emu_dev_meta, rule_query_flags_a_tag_match_it_cannot_list)
{
    struct t_rule r;
    struct fw_rule_query_in q = { .max_rules = 8 };
    const struct fw_rule_query_out *out = (const void *)t_out.raw;
    const uint8_t *at = t_out.raw + sizeof(*out);
    unsigned tagged = 0, plain = 0;

    t_rule_init(&r, 0, 0);
    r.in.value.meta = 1;
    r.in.mask.meta = 1;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    r.in.tags.value[1] = 2;
    r.in.tags.mask[1] = 2;
    cr_assert_eq(rule_add_tags(&r), 0);
    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RULE_QUERY, q), 0);
    cr_assert_eq(out->n_rules, 2);
    for (unsigned i = 0; i < out->n_rules; i++) {
        const struct fw_rule_entry *e = (const void *)at;

        cr_expect_eq(e->value.meta, 1);
        cr_expect_eq(e->mask.meta, 1);
        if (e->flags & FW_RULE_E_TAGS)
            tagged++;
        else
            plain++;
        at += e->size;
    }
    cr_expect_eq(tagged, 1);
    cr_expect_eq(plain, 1);
}
