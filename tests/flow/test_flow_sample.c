/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_pkt_larger(N)->DST and sample(...) in the flow language, in the
 * spellings Open vSwitch takes (checked with ovs-ofctl parse-flow): their
 * canonical text, which is ovs-ofctl's and parses back to the same flow,
 * and the refusals, each naming its token.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "flow_test_cases.h"
#include "flow_test_ports.h"

static const struct flow_canon canons[] = {
    { "table=0,in_port=1 actions=check_pkt_larger(200)->NXM_NX_REG0[0],"
      "resubmit(,1)",
      "table=0, in_port=1 actions=check_pkt_larger(200)->NXM_NX_REG0[0],"
      "resubmit(,1)" },
    { "actions=check_pkt_larger(0x5dc)->reg3[31],CHECK_PKT_LARGER(65535)->"
      "metadata[7],output:2",
      "table=0, actions=check_pkt_larger(1500)->NXM_NX_REG3[31],"
      "check_pkt_larger(65535)->OXM_OF_METADATA[7],output:2" },
    { "actions=check_pkt_larger(0)->xreg1[40]",
      "table=0, actions=check_pkt_larger(0)->OXM_OF_PKT_REG1[40]" },
    /* every id printed, the port and direction only when given */
    { "in_port=1, actions=sample(probability=65535,collector_set_id=1),"
      "output:2",
      "table=0, in_port=1 actions=sample(probability=65535,"
      "collector_set_id=1,obs_domain_id=0,obs_point_id=0),output:2" },
    { "in_port=3, actions=sample(probability=65535,collector_set_id=1,"
      "sampling_port=1),output:1,sample(probability=65535,"
      "collector_set_id=1,sampling_port=2),output:2",
      "table=0, in_port=3 actions=sample(probability=65535,"
      "collector_set_id=1,obs_domain_id=0,obs_point_id=0,sampling_port=1),"
      "output:1,sample(probability=65535,collector_set_id=1,"
      "obs_domain_id=0,obs_point_id=0,sampling_port=2),output:2" },
    { "actions=sample(egress,obs_point_id=0xffffffff,probability=1,"
      "obs_domain_id=7,collector_set_id=4294967295,sampling_port=LOCAL)",
      "table=0, actions=sample(probability=1,collector_set_id=4294967295,"
      "obs_domain_id=7,obs_point_id=4294967295,sampling_port=LOCAL,"
      "egress)" },
    /* a later argument replaces an earlier one, as in ovs-ofctl */
    { "actions=sample(probability=3,ingress,probability=9),clone(sample("
      "probability=1),output:4)",
      "table=0, actions=sample(probability=9,collector_set_id=0,"
      "obs_domain_id=0,obs_point_id=0,ingress),clone(sample(probability=1,"
      "collector_set_id=0,obs_domain_id=0,obs_point_id=0),output:4)" },
};

FLOW_TEST_INDEXES(sample, canonical, canons)

ParameterizedTest(size_t *i, sample, canonical)
{
    flow_test_canonical(&canons[*i]);
}

Test(sample, model)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse("actions=check_pkt_larger(1500)->reg2[5],"
                            "sample(probability=100,collector_set_id=2,"
                            "obs_domain_id=3,obs_point_id=4,"
                            "sampling_port=5,ingress),output:1",
                            FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(fm.flow.n_actions, 4);
    cr_expect_eq(fm.flow.actions[0].type, FLOW_ACT_CHECK_PKT_LARGER);
    cr_expect_eq(fm.flow.actions[0].u.pkt_len, 1500);
    cr_expect_eq(fm.flow.actions[0].dst.field, FLOW_FIELD_REG0 + 2);
    cr_expect_eq(fm.flow.actions[0].dst.ofs, 5);
    cr_expect_eq(fm.flow.actions[0].dst.n_bits, 1);
    cr_expect_eq(fm.flow.actions[1].type, FLOW_ACT_SAMPLE);
    cr_expect_eq(fm.flow.actions[1].pad0, 100);
    cr_expect_eq(fm.flow.actions[1].u.sample.collector_set_id, 2);
    cr_expect_eq(fm.flow.actions[1].u.sample.obs_domain_id, 3);
    cr_expect_eq(flow_action_n_args(&fm.flow.actions[1]), 1);
    cr_expect_eq(fm.flow.actions[2].type, FLOW_ACT_ARGS);
    cr_expect_eq(fm.flow.actions[2].u.sample_more.obs_point_id, 4);
    cr_expect_eq(fm.flow.actions[2].u.sample_more.sampling_port, 5);
    cr_expect_eq(fm.flow.actions[2].pad0, FLOW_SAMPLE_INGRESS);
    cr_expect_eq(fm.flow.actions[3].type, FLOW_ACT_OUTPUT);
}

static const struct flow_refusal refusals[] = {
    { "actions=check_pkt_larger(200)->NXM_NX_REG0[0..1]",
      "check_pkt_larger(200)->NXM_NX_REG0[0..1]",
      "only a 1-bit destination" },
    { "actions=check_pkt_larger(200)->reg0", "check_pkt_larger(200)->reg0",
      "only a 1-bit destination" },
    { "actions=check_pkt_larger(200)", "check_pkt_larger(200)",
      "needs a length and a 1-bit destination" },
    { "actions=check_pkt_larger:200", "check_pkt_larger:200",
      "needs a length and a 1-bit destination" },
    { "actions=check_pkt_larger(65536)->reg0[0]",
      "check_pkt_larger(65536)->reg0[0]", "out of range" },
    { "actions=check_pkt_larger(1)->reg16[0]",
      "check_pkt_larger(1)->reg16[0]", "no such register" },
    { "actions=check_pkt_larger(1)->NXM_NX_CT_MARK[0]",
      "check_pkt_larger(1)->NXM_NX_CT_MARK[0]", "outside of ct action" },
    { "actions=output(1)->reg0[0]", "output(1)->reg0[0]",
      "only check_pkt_larger(N)->DST" },
    { "actions=write_actions(check_pkt_larger(1)->reg0[0])",
      "check_pkt_larger(1)->reg0[0]", "not an action an action set holds" },
    { "actions=sample(collector_set_id=1)", "sample(collector_set_id=1)",
      "non-zero probability" },
    { "actions=sample(probability=0)", "probability=0",
      "probability 0 samples nothing" },
    { "actions=sample(probability=65536)", "probability=65536",
      "out of range" },
    { "actions=sample(probability=1,obs_point_id=4294967296)",
      "obs_point_id=4294967296", "out of range" },
    { "actions=sample(probability=1,foo=2)", "foo=2", "unknown argument" },
    { "actions=sample(probability=1,sampling_port=nosuch)",
      "sampling_port=nosuch", "sample sampling_port" },
    { "actions=sample:1", "sample:1", "parentheses" },
    { "actions=write_actions(sample(probability=1))",
      "sample(probability=1)", "not an action an action set holds" },
};

FLOW_TEST_INDEXES(sample, refusals, refusals)

ParameterizedTest(size_t *i, sample, refusals)
{
    flow_test_refused(&refusals[*i]);
}

/* The flow table takes only what the parser makes: a sample without the
 * arguments after it, or arguments alone, are refused. */
Test(sample, table_refuses_broken_arguments)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;

    cr_assert_not_null(t);
    cr_assert_eq(flow_parse("actions=sample(probability=1),output:2",
                            FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    cr_expect_eq(flow_table_apply(t, &fm, 0), 1);
    fm.flow.actions[1].type = FLOW_ACT_OUTPUT;
    fm.flow.actions[1].u.port = 3;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=sample(probability=1)", FLOW_CMD_ADD,
                            NULL, &fm, NULL), 0);
    fm.flow.n_actions = 1;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=sample(probability=1)", FLOW_CMD_ADD,
                            NULL, &fm, NULL), 0);
    fm.flow.actions[0] = fm.flow.actions[1];
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=check_pkt_larger(1)->reg0[0]",
                            FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    fm.flow.actions[0].dst.n_bits = 2;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    flow_table_destroy(t);
}
