/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The translator's registers (snicd_xlate.h, docs/snicd.md "Registers and
 * pkt_mark"): regN as the card's TAG N, pkt_mark as its META, matched
 * under their masks and written by load/set_field; what stays in software
 * and why (a register written before a jump, registers past the device's
 * TAGs, metadata, move).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "snic/flow.h"
#include "snicd_testpmd.h"
#include "snicd_xlate.h"

#include "xlate_test_ports.h"

static struct snicd_xlate x;

static void
setup(void)
{
    xlate_test_ports_init();
}

TestSuite(xlate_regs, .init = setup);

/* Translate @line for a device with @n_tags TAG registers; @meta_to_host:
 * whether META reaches the host. */
static int
xl_tags(const char *line, unsigned n_tags, bool meta_to_host)
{
    struct flow_mod fm;
    struct flow_error err;
    struct snicd_xlate_ctx ctx = {
        .ports = ports, .n_ports = N_PORTS, .mark = 77,
        .mode = SNICD_XLATE_FULL, .n_tags = n_tags,
        .meta_to_host = meta_to_host,
    };

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, &pmap, &fm, &err), 0,
                 "parse '%s': %s", line, err.msg);
    return snicd_xlate_flow(&fm.flow, &ctx, &x);
}

static int
xl(const char *line)
{
    return xl_tags(line, 8, true);
}

static void
expect_refused(int ret, const char *line, enum snicd_xlate_refusal kind,
               const char *words)
{
    cr_assert_eq(ret, -ENOTSUP, "'%s' translated", line);
    cr_expect_eq(x.refusal, kind, "'%s': refusal kind %d", line, x.refusal);
    cr_expect(strstr(x.reason, words) != NULL,
              "'%s': reason '%s' lacks '%s'", line, x.reason, words);
}

static const struct rte_flow_item *
item_of(enum rte_flow_item_type t, unsigned nth)
{
    for (unsigned i = 0; i < x.n_items; i++)
        if (x.items[i].type == t && nth-- == 0)
            return &x.items[i];
    return NULL;
}

static const struct rte_flow_action *
action_of(enum rte_flow_action_type t, unsigned nth)
{
    for (unsigned i = 0; i < x.n_actions; i++)
        if (x.actions[i].type == t && nth-- == 0)
            return &x.actions[i];
    return NULL;
}

Test(xlate_regs, match_reg_and_pkt_mark)
{
    const struct rte_flow_item *it;
    const struct rte_flow_item_tag *ts, *tm;
    const struct rte_flow_item_meta *ms, *mm;

    cr_assert_eq(xl("table=1,in_port=vf0,reg0=0,reg7=0x50/0xf0,"
                    "pkt_mark=0x1234/0xffff actions=output:vf1"), 0, "%s",
                 x.reason);
    it = item_of(RTE_FLOW_ITEM_TYPE_TAG, 0);
    cr_assert_not_null(it);
    ts = it->spec;
    tm = it->mask;
    cr_expect_eq(ts->index, 0);
    cr_expect_eq(tm->index, 0xff, "the index is exact");
    cr_expect_eq(ts->data, 0);
    cr_expect_eq(tm->data, 0xffffffff);
    it = item_of(RTE_FLOW_ITEM_TYPE_TAG, 1);
    cr_assert_not_null(it);
    ts = it->spec;
    tm = it->mask;
    cr_expect_eq(ts->index, 7);
    cr_expect_eq(ts->data, 0x50);
    cr_expect_eq(tm->data, 0xf0);
    cr_expect_null(item_of(RTE_FLOW_ITEM_TYPE_TAG, 2));
    it = item_of(RTE_FLOW_ITEM_TYPE_META, 0);
    cr_assert_not_null(it);
    ms = it->spec;
    mm = it->mask;
    cr_expect_eq(ms->data, 0x1234);
    cr_expect_eq(mm->data, 0xffff);
}

Test(xlate_regs, registers_past_the_tags_stay_in_software)
{
    const char *l8 = "in_port=vf0,reg8=1 actions=output:vf1";
    const char *l0 = "in_port=vf0,reg0=1 actions=output:vf1";
    const char *w8 = "in_port=vf0 actions=load:1->NXM_NX_REG8[],output:vf1";

    expect_refused(xl(l8), l8, SNICD_XLATE_REFUSED_MATCH,
                   "match on reg8 not offloaded (the card has 8 TAG "
                   "registers, mapped to reg0..reg7)");
    expect_refused(xl(w8), w8, SNICD_XLATE_REFUSED_ACTION,
                   "load/set_field into reg8 not offloaded (the card has 8 "
                   "TAG registers");
    expect_refused(xl_tags(l0, 0, true), l0, SNICD_XLATE_REFUSED_MATCH,
                   "match on reg0 not offloaded (the device has no TAG "
                   "registers)");
    cr_expect_eq(xl_tags(l8, 16, true), 0, "16 TAGs: reg8 is TAG 8 (%s)",
                 x.reason);
    /* pkt_mark needs no TAG: META decides, the device validates it */
    cr_expect_eq(xl_tags("in_port=vf0,pkt_mark=1 actions=output:vf1", 0,
                         false), 0, "%s", x.reason);
}

Test(xlate_regs, loads_become_set_tag_and_set_meta)
{
    const struct rte_flow_action_set_tag *t;
    const struct rte_flow_action_set_meta *m;

    cr_assert_eq(xl("in_port=vf0 actions=load:0xab->NXM_NX_REG1[8..15],"
                    "set_field:0x5->reg0,set_field:0x7/0xf->pkt_mark,"
                    "output:vf1"), 0, "%s", x.reason);
    cr_expect_eq(x.actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
    cr_expect_eq(x.actions[1].type, RTE_FLOW_ACTION_TYPE_SET_TAG);
    t = x.actions[1].conf;
    cr_expect_eq(t->index, 1);
    cr_expect_eq(t->data, 0xab00);
    cr_expect_eq(t->mask, 0xff00, "only the subfield's bits");
    cr_expect_eq(x.actions[2].type, RTE_FLOW_ACTION_TYPE_SET_TAG);
    t = x.actions[2].conf;
    cr_expect_eq(t->index, 0);
    cr_expect_eq(t->data, 5);
    cr_expect_eq(t->mask, 0xffffffff, "set_field writes the whole field");
    cr_expect_eq(x.actions[3].type, RTE_FLOW_ACTION_TYPE_SET_META);
    m = x.actions[3].conf;
    cr_expect_eq(m->data, 7);
    cr_expect_eq(m->mask, 0xf);
    cr_expect_eq(x.actions[4].type,
                 RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(x.n_actions, 5);
}

/* xreg0 is reg0 (high half) and reg1 (low half): one SET_TAG each. */
Test(xlate_regs, wide_register_spans_two_tags)
{
    const struct rte_flow_action_set_tag *hi, *lo;

    cr_assert_eq(xl("in_port=vf0 actions=load:0x1122334455667788->"
                    "xreg0[],output:vf1"), 0, "%s", x.reason);
    cr_assert_not_null(action_of(RTE_FLOW_ACTION_TYPE_SET_TAG, 1));
    cr_expect_null(action_of(RTE_FLOW_ACTION_TYPE_SET_TAG, 2));
    hi = action_of(RTE_FLOW_ACTION_TYPE_SET_TAG, 0)->conf;
    lo = action_of(RTE_FLOW_ACTION_TYPE_SET_TAG, 1)->conf;
    cr_expect_eq(hi->index, 0);
    cr_expect_eq(hi->data, 0x11223344);
    cr_expect_eq(lo->index, 1);
    cr_expect_eq(lo->data, 0x55667788);
    cr_expect_eq(lo->mask, 0xffffffff);
}

/* TAGs never reach the host, META does: a register written before a jump
 * would be lost by a miss after it (the manager then tries partial). */
Test(xlate_regs, register_before_jump_refused_pkt_mark_kept)
{
    const char *r = "in_port=vf0 actions=set_field:1->reg0,goto_table:1";
    const char *p = "in_port=vf0 actions=set_field:0x7->pkt_mark,"
                    "goto_table:1";

    expect_refused(xl(r), r, SNICD_XLATE_REFUSED_ACTION,
                   "write to reg0 before jumping to table 1 not offloaded "
                   "(a miss there reaches software without its TAG "
                   "registers: only META, pkt_mark, goes to the host)");
    cr_assert_eq(xl(p), 0, "%s", x.reason);
    cr_expect_eq(x.actions[1].type, RTE_FLOW_ACTION_TYPE_SET_META);
    cr_expect_eq(x.actions[2].type, RTE_FLOW_ACTION_TYPE_MARK);
    cr_expect_eq(x.actions[3].type, RTE_FLOW_ACTION_TYPE_JUMP);
    cr_expect(x.has_goto);
    expect_refused(xl_tags(p, 8, false), p, SNICD_XLATE_REFUSED_ACTION,
                   "write to pkt_mark before jumping to table 1 not "
                   "offloaded");
    /* a register written without a jump is faithful: nothing after it
     * in hardware, and software never sees this packet */
    cr_expect_eq(xl("in_port=vf0 actions=set_field:1->reg0,output:vf1"), 0,
                 "%s", x.reason);
    /* matching a register before a jump is fine */
    cr_expect_eq(xl("in_port=vf0,reg0=0 actions=goto_table:1"), 0, "%s",
                 x.reason);
}

/* Where the manager found that no packet can reach software from the
 * target on (ctx.regs_cross), the write goes to the card before the jump;
 * without it the refusal says it was the only obstacle (regs_gated),
 * which a pkt_mark that cannot reach the host is not. */
Test(xlate_regs, register_before_jump_whole_where_the_target_is_sealed)
{
    const char *r = "in_port=vf0 actions=set_field:0x5->reg2,"
                    "load:1->NXM_NX_REG3[0..3],goto_table:1";
    const char *rp = "in_port=vf0 actions=set_field:1->reg0,"
                     "set_field:0x7->pkt_mark,goto_table:1";
    struct flow_mod fm;
    struct flow_error err;
    struct snicd_xlate_ctx ctx = {
        .ports = ports, .n_ports = N_PORTS, .mark = 77,
        .mode = SNICD_XLATE_FULL, .n_tags = 8, .meta_to_host = true,
        .regs_cross = true,
    };
    const struct rte_flow_action_set_tag *t;

    expect_refused(xl(r), r, SNICD_XLATE_REFUSED_ACTION,
                   "write to reg2 before jumping to table 1");
    cr_expect(x.regs_gated, "only the register write held it back");
    cr_assert_eq(flow_parse(r, FLOW_CMD_ADD, &pmap, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(snicd_xlate_flow(&fm.flow, &ctx, &x), 0, "%s", x.reason);
    cr_expect(!x.regs_gated);
    cr_expect(x.has_goto);
    t = action_of(RTE_FLOW_ACTION_TYPE_SET_TAG, 0)->conf;
    cr_expect(t->index == 2 && t->data == 5 && t->mask == UINT32_MAX,
              "SET_TAG 2: %u %#x/%#x", t->index, t->data, t->mask);
    t = action_of(RTE_FLOW_ACTION_TYPE_SET_TAG, 1)->conf;
    cr_expect(t->index == 3 && t->data == 1 && t->mask == 0xf,
              "SET_TAG 3: %u %#x/%#x", t->index, t->data, t->mask);
    cr_expect_eq(x.actions[x.n_actions - 2].type, RTE_FLOW_ACTION_TYPE_MARK);
    cr_expect_eq(x.actions[x.n_actions - 1].type, RTE_FLOW_ACTION_TYPE_JUMP);

    /* the pkt_mark cannot reach the host: no use letting the TAGs cross */
    expect_refused(xl_tags(rp, 8, false), rp, SNICD_XLATE_REFUSED_ACTION,
                   "write to reg0 before jumping");
    cr_expect(!x.regs_gated, "a lost pkt_mark holds it back too");
    ctx.meta_to_host = false;
    cr_assert_eq(flow_parse(rp, FLOW_CMD_ADD, &pmap, &fm, &err), 0, "%s",
                 err.msg);
    expect_refused(snicd_xlate_flow(&fm.flow, &ctx, &x), rp,
                   SNICD_XLATE_REFUSED_ACTION, "write to pkt_mark before "
                   "jumping to table 1");
    /* something else refused first: not gated */
    expect_refused(xl("in_port=vf0 actions=set_field:1->reg0,"
                      "move:NXM_NX_REG1[]->NXM_NX_REG2[],goto_table:1"),
                   "move", SNICD_XLATE_REFUSED_ACTION,
                   "move not offloaded");
    cr_expect(!x.regs_gated);
}

Test(xlate_regs, what_stays_in_software)
{
    static const struct {
        const char *line;
        enum snicd_xlate_refusal kind;
        const char *words;
    } cases[] = {
        { "in_port=vf0,metadata=0x1 actions=output:vf1",
          SNICD_XLATE_REFUSED_MATCH, "match on metadata not offloaded (no "
          "card register left for it: the card has 8 TAG registers, "
          "mapped to reg0..reg7, and META is pkt_mark)" },
        { "in_port=vf0 actions=write_metadata:0x1,goto_table:1",
          SNICD_XLATE_REFUSED_ACTION, "write_metadata not offloaded (no "
          "card register left for it" },
        { "in_port=vf0 actions=move:NXM_NX_REG1[]->NXM_NX_REG0[],output:vf1",
          SNICD_XLATE_REFUSED_ACTION, "move not offloaded (rte_flow's "
          "SET_TAG and SET_META write constants" },
        { "in_port=vf0 actions=output:NXM_NX_REG0[0..15]",
          SNICD_XLATE_REFUSED_ACTION, "output to the port held in a "
          "register" },
        { "in_port=vf0 actions=load:5->NXM_NX_TUN_ID[],output:vf1",
          SNICD_XLATE_REFUSED_ACTION, "load/set_field into tun_id not "
          "offloaded" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_refused(xl(cases[i].line), cases[i].line, cases[i].kind,
                       cases[i].words);
}

/* A load and no output: the packet dies in the switch, its registers
 * with it. */
Test(xlate_regs, load_without_fate_is_a_drop)
{
    cr_assert_eq(xl("in_port=vf0 actions=set_field:1->reg3"), 0, "%s",
                 x.reason);
    cr_expect_eq(x.n_actions, 2);
    cr_expect_eq(x.actions[1].type, RTE_FLOW_ACTION_TYPE_DROP);
}

/* Validate answers by shape: a TAG index is part of it (a device has so
 * many), its value is not. */
Test(xlate_regs, shape_has_the_tag_index)
{
    uint8_t a[SNICD_XLATE_SHAPE_MAX], b[SNICD_XLATE_SHAPE_MAX];
    int la, lb;

    cr_assert_eq(xl("in_port=vf0,reg1=5 actions=set_field:1->reg2,"
                    "output:vf1"), 0);
    la = snicd_xlate_shape(&x, a, sizeof(a));
    cr_assert_eq(xl("in_port=vf0,reg1=6 actions=set_field:9->reg2,"
                    "output:vf1"), 0);
    lb = snicd_xlate_shape(&x, b, sizeof(b));
    cr_expect(la == lb && memcmp(a, b, (size_t)la) == 0,
              "values are not the shape");
    cr_assert_eq(xl("in_port=vf0,reg3=5 actions=set_field:1->reg2,"
                    "output:vf1"), 0);
    lb = snicd_xlate_shape(&x, b, sizeof(b));
    cr_expect(la != lb || memcmp(a, b, (size_t)la) != 0,
              "the TAG item's index is");
    cr_assert_eq(xl("in_port=vf0,reg1=5 actions=set_field:1->reg4,"
                    "output:vf1"), 0);
    lb = snicd_xlate_shape(&x, b, sizeof(b));
    cr_expect(la != lb || memcmp(a, b, (size_t)la) != 0,
              "and SET_TAG's");
}

/* The debug log's rule, as testpmd reads it. */
Test(xlate_regs, testpmd_line)
{
    char line[1024];

    cr_assert_eq(xl("in_port=vf0,reg2=0x5/0xff,pkt_mark=9 actions="
                    "set_field:0x3->reg1,set_field:0x4/0xf->pkt_mark,"
                    "output:vf1"), 0, "%s", x.reason);
    snicd_testpmd_line(0, &x.attr, x.items, x.actions, line, sizeof(line));
    cr_expect(strstr(line, " tag data spec 5 data mask 0xff index is 2 /") != NULL, "%s", line);
    cr_expect(strstr(line, " meta data spec 9 data mask 0xffffffff /")
              != NULL, "%s", line);
    cr_expect(strstr(line, " set_tag data 3 mask 0xffffffff index 1 /")
              != NULL, "%s", line);
    cr_expect(strstr(line, " set_meta data 4 mask 0xf /") != NULL, "%s",
              line);
}
