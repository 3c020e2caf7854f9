/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic's translation of the card's per-packet registers (ABI 1.9):
 * the TAG and META items, SET_TAG and SET_META, as rte_flow defines them
 * (host-order words under a mask), into fw_match.meta, RULE_ADD's TAG
 * block and the set_reg actions; every refusal with the object it names.
 * Same harness as test_flow_frag.c: no device, no EAL, validate and create
 * compared on every rule.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_flow.h>

#include "emunic.h"

static struct fw_caps caps;
static struct emunic_xlate_ctx ctx;
static struct emunic_xlate x;
static struct rte_flow_error err;

static void
setup(void)
{
    memset(&caps, 0, sizeof(caps));
    strncpy(caps.profile, "full", sizeof(caps.profile) - 1);
    caps.abi_minor = FW_ABI_MINOR;
    caps.match_fields = (1ull << FW_FIELD_COUNT_) - 1;
    caps.actions = ((1ull << FW_ACT_COUNT_) - 1) &
                   ~FW_ACTION_BIT(FW_ACT_NONE);
    caps.num_tags = FW_NUM_TAGS;
    caps.prio_per_table = 16;
    caps.max_group = 65535;
    caps.max_actions = 16;
    caps.max_queues_per_port = 8;
    caps.esw_mode = FW_ESW_SWITCHDEV;
    caps.num_vfs = 4;
    memset(&ctx, 0, sizeof(ctx));
    ctx.caps = &caps;
    ctx.port_vport = FW_VPORT_UPLINK;
    ctx.nb_rx_queues = 4;
    memset(&x, 0, sizeof(x));
    memset(&err, 0, sizeof(err));
}

TestSuite(flow_meta, .init = setup);

static const struct rte_flow_attr attr_in = { .ingress = 1 };
static const struct rte_flow_action_queue q1 = { .index = 1 };
static const struct rte_flow_action to_q1[] = {
    { .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q1 },
    { .type = RTE_FLOW_ACTION_TYPE_END },
};
static const struct rte_flow_item any_eth[] = {
    { .type = RTE_FLOW_ITEM_TYPE_ETH },
    { .type = RTE_FLOW_ITEM_TYPE_END },
};

#define END_ITEM { .type = RTE_FLOW_ITEM_TYPE_END }
#define END_ACT { .type = RTE_FLOW_ACTION_TYPE_END }

/* translate, and check validate (NULL output) agrees */
static int
xlate(const struct rte_flow_item *items, const struct rte_flow_action *acts)
{
    struct rte_flow_error verr;
    int ret, vret;

    memset(&x, 0, sizeof(x));
    memset(&err, 0, sizeof(err));
    memset(&verr, 0, sizeof(verr));
    vret = emunic_flow_translate(&ctx, &attr_in, items, acts, NULL, &verr);
    ret = emunic_flow_translate(&ctx, &attr_in, items, acts, &x, &err);
    cr_assert_eq(vret, ret, "validate says %d, create says %d", vret, ret);
    if (ret < 0) {
        cr_assert_eq(verr.type, err.type);
        cr_assert_eq(verr.cause, err.cause);
    }
    return ret;
}

static void
expect_refusal(int ret, int code, enum rte_flow_error_type type,
               const void *cause, const char *words)
{
    cr_assert_eq(ret, -code, "ret %d, want %d (%s)", ret, -code,
                 err.message ? err.message : "");
    cr_expect_eq(err.type, type, "error type %d, want %d: %s", err.type, type,
                 err.message);
    cr_expect_eq(err.cause, cause, "cause points elsewhere");
    cr_assert_not_null(err.message);
    cr_expect(strstr(err.message, words) != NULL, "message '%s' lacks '%s'",
              err.message, words);
}

Test(flow_meta, tag_items_fill_the_tag_block)
{
    const struct rte_flow_item_tag t3 = { .data = 0x12345678, .index = 3 };
    const struct rte_flow_item_tag t7 = { .data = 0xab00, .index = 7 };
    const struct rte_flow_item_tag m7 = { .data = 0xff00, .index = 0xff };
    const struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_TAG, .spec = &t3 },    /* default mask */
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_TAG, .spec = &t7, .mask = &m7 },
        END_ITEM,
    };

    cr_assert_eq(xlate(items, to_q1), 0, "%s", err.message);
    cr_expect_eq(x.rule.tags.value[3], 0x12345678);
    cr_expect_eq(x.rule.tags.mask[3], 0xffffffff);
    cr_expect_eq(x.rule.tags.value[7], 0xab00);
    cr_expect_eq(x.rule.tags.mask[7], 0xff00);
    for (unsigned i = 0; i < FW_NUM_TAGS; i++)
        if (i != 3 && i != 7)
            cr_expect_eq(x.rule.tags.mask[i], 0, "tag %u", i);
    cr_expect_eq(x.field_item[FW_FIELD_TAG], &items[0]);
    /* a TAG match travels in the TAG block: the whole input */
    cr_expect_eq(emunic_rule_in_size(&x.rule), sizeof(x.rule));
}

Test(flow_meta, meta_item_is_fw_match_meta)
{
    const struct rte_flow_item_meta s = { .data = 0xcafe1234 };
    const struct rte_flow_item_meta m = { .data = 0x0000ffff };
    const struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_META, .spec = &s, .mask = &m },
        END_ITEM,
    };

    cr_assert_eq(xlate(items, to_q1), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.meta, 0x1234);    /* value under the mask */
    cr_expect_eq(x.rule.mask.meta, 0xffff);
    /* no TAG: the input ends after the actions, as a 1.8 driver's */
    cr_expect_eq(emunic_rule_in_size(&x.rule),
                 offsetof(struct fw_rule_add_in, actions) +
                 x.rule.n_actions * sizeof(struct fw_action));
}

Test(flow_meta, two_items_on_one_tag_merge_or_contradict)
{
    const struct rte_flow_item_tag a = { .data = 0x00000012, .index = 1 };
    const struct rte_flow_item_tag am = { .data = 0x000000ff, .index = 0xff };
    const struct rte_flow_item_tag b = { .data = 0x00003400, .index = 1 };
    const struct rte_flow_item_tag bm = { .data = 0x0000ff00, .index = 0xff };
    const struct rte_flow_item_tag c = { .data = 0x00000013, .index = 1 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_TAG, .spec = &a, .mask = &am },
        { .type = RTE_FLOW_ITEM_TYPE_TAG, .spec = &b, .mask = &bm },
        END_ITEM,
    };

    cr_assert_eq(xlate(items, to_q1), 0, "%s", err.message);
    cr_expect_eq(x.rule.tags.value[1], 0x3412);
    cr_expect_eq(x.rule.tags.mask[1], 0xffff);
    items[1].spec = &c;
    items[1].mask = &am;
    expect_refusal(xlate(items, to_q1), EINVAL, RTE_FLOW_ERROR_TYPE_ITEM,
                   &items[1], "contradicts");
}

Test(flow_meta, set_tag_and_set_meta_become_set_reg)
{
    const struct rte_flow_action_set_tag st = {
        .data = 0x1234abcd, .mask = 0x0000ffff, .index = 5,
    };
    const struct rte_flow_action_set_meta sm = {
        .data = 7, .mask = UINT32_MAX,
    };
    const struct rte_flow_action_jump j = { .group = 1 };
    const struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_SET_TAG, .conf = &st },
        { .type = RTE_FLOW_ACTION_TYPE_SET_META, .conf = &sm },
        { .type = RTE_FLOW_ACTION_TYPE_JUMP, .conf = &j },
        END_ACT,
    };

    cr_assert_eq(xlate(any_eth, acts), 0, "%s", err.message);
    cr_assert_eq(x.rule.n_actions, 3);
    cr_expect_eq(x.rule.actions[0].type, FW_ACT_SET_TAG);
    cr_expect_eq(x.rule.actions[0].u.set_reg.index, 5);
    /* data bits outside the mask are not set: rte_flow ignores them */
    cr_expect_eq(x.rule.actions[0].u.set_reg.value, 0xabcd);
    cr_expect_eq(x.rule.actions[0].u.set_reg.mask, 0xffff);
    cr_expect_eq(x.rule.actions[1].type, FW_ACT_SET_META);
    cr_expect_eq(x.rule.actions[1].u.set_reg.index, 0);
    cr_expect_eq(x.rule.actions[1].u.set_reg.value, 7);
    cr_expect_eq(x.rule.actions[2].type, FW_ACT_JUMP);
    cr_expect_eq(x.act_src[0], &acts[0]);
}

Test(flow_meta, item_refusals_name_the_item)
{
    const struct rte_flow_item_tag t8 = { .data = 1, .index = 8 };
    const struct rte_flow_item_tag t0 = { .data = 1, .index = 0 };
    const struct rte_flow_item_tag last = { .data = 2, .index = 0 };
    const struct rte_flow_item_tag idx_wild = { .data = 0xff, .index = 0 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_TAG, .spec = &t8 },
        END_ITEM,
    };

    expect_refusal(xlate(items, to_q1), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ITEM_SPEC, &items[0],
                   "index 8 is out of range: the device has 8 TAG registers");
    items[0].spec = &t0;
    items[0].last = &t0;
    expect_refusal(xlate(items, to_q1), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_LAST, &items[0],
                   "TAG: 'last' is not supported");
    items[0].last = &last;
    expect_refusal(xlate(items, to_q1), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_LAST, &items[0], "ranges");
    items[0].last = NULL;
    items[0].mask = &idx_wild;
    expect_refusal(xlate(items, to_q1), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &items[0],
                   "must be matched exactly");
}

Test(flow_meta, action_refusals_name_the_action)
{
    struct rte_flow_action_set_tag st = { .data = 1, .mask = 1, .index = 8 };
    struct rte_flow_action_set_meta sm = { .data = 1, .mask = 0 };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_SET_TAG, .conf = &st },
        { .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q1 },
        END_ACT,
    };

    expect_refusal(xlate(any_eth, acts), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0],
                   "SET_TAG: index 8 is out of range");
    st.index = 0;
    st.mask = 0;
    expect_refusal(xlate(any_eth, acts), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0],
                   "the mask is 0");
    acts[0].type = RTE_FLOW_ACTION_TYPE_SET_META;
    acts[0].conf = &sm;
    expect_refusal(xlate(any_eth, acts), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0],
                   "SET_META: the mask is 0");
    acts[0].conf = NULL;
    expect_refusal(xlate(any_eth, acts), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0], "needs a conf");
}

Test(flow_meta, a_card_without_registers_says_so)
{
    const struct rte_flow_item_tag t = { .data = 1, .index = 0 };
    const struct rte_flow_item_meta m = { .data = 1 };
    const struct rte_flow_action_set_tag st = { .data = 1, .mask = 1 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_TAG, .spec = &t },
        END_ITEM,
    };
    const struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_SET_TAG, .conf = &st },
        { .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q1 },
        END_ACT,
    };

    /* what a 1.8 card reports */
    caps.match_fields &= ~(FW_FIELD_BIT(FW_FIELD_TAG) |
                           FW_FIELD_BIT(FW_FIELD_META));
    caps.actions &= ~(FW_ACTION_BIT(FW_ACT_SET_TAG) |
                      FW_ACTION_BIT(FW_ACT_SET_META));
    caps.num_tags = 0;
    expect_refusal(xlate(items, to_q1), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
                   &items[0], "no per-packet TAG register");
    items[0].type = RTE_FLOW_ITEM_TYPE_META;
    items[0].spec = &m;
    expect_refusal(xlate(items, to_q1), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
                   &items[0], "no per-packet META register");
    expect_refusal(xlate(any_eth, acts), ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
                   &acts[0], "no per-packet TAG register");
}

Test(flow_meta, templates_know_the_registers)
{
    const struct rte_flow_item_tag tm = { .data = UINT32_MAX, .index = 0xff };
    const struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_TAG, .mask = &tm },
        { .type = RTE_FLOW_ITEM_TYPE_META,
          .mask = &rte_flow_item_meta_mask },
        END_ITEM,
    };
    const struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_SET_TAG },
        { .type = RTE_FLOW_ACTION_TYPE_SET_META },
        { .type = RTE_FLOW_ACTION_TYPE_QUEUE },
        END_ACT,
    };

    cr_expect_eq(emunic_items_check_template(&caps, false, pattern, &err), 0,
                 "%s", err.message);
    cr_expect_eq(emunic_actions_check_template(&caps, acts, &err), 0, "%s",
                 err.message);
    caps.match_fields &= ~FW_FIELD_BIT(FW_FIELD_TAG);
    caps.actions &= ~FW_ACTION_BIT(FW_ACT_SET_META);
    cr_expect_eq(emunic_items_check_template(&caps, false, pattern, &err),
                 -ENOTSUP);
    cr_expect_eq(err.cause, &pattern[0]);
    cr_expect_eq(emunic_actions_check_template(&caps, acts, &err), -ENOTSUP);
    cr_expect_eq(err.cause, &acts[1]);
}
