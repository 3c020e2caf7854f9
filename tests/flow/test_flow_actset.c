/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow 1.1's action set in the flow language: write_actions(...),
 * clear_actions and actset_output=; the register stack (push:, pop:);
 * OpenFlow 1.1's set_vlan_vid/set_vlan_pcp; in the spellings Open vSwitch takes
 * (checked with ovs-ofctl parse-flow -O OpenFlow13), their canonical
 * text, which parses back to the same flow, the instruction order, and
 * the refusals, each naming its token.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "flow_test_cases.h"
#include "flow_test_ports.h"

static const struct flow_canon canons[] = {
    { "in_port=2 actions=output:1,write_actions(output:2,output:3)",
      "table=0, in_port=2 actions=output:1,write_actions(output:2,output:3)" },
    { "ip actions=write_actions(pop_vlan,output:2)",
      "table=0, ip actions=write_actions(strip_vlan,output:2)" },
    { "mplsm actions=pop_mpls:0x800,write_actions(dec_ttl,controller)",
      "table=0, mplsm actions=pop_mpls:0x0800,"
      "write_actions(dec_ttl,CONTROLLER:65535)" },
    { "table=8,actions=clear_actions,write_actions(output(3),output(2)),"
      "goto_table(9)",
      "table=8, actions=clear_actions,write_actions(output:3,output:2),"
      "goto_table:9" },
    { "ip,actions=write_actions(set_field:10.0.0.9->ip_src,"
      "set_field:5->reg0,move:reg0[0..7]->reg1[8..15],output:4),"
      "write_metadata:0x3/0xff,goto_table:1",
      "table=0, ip actions=write_actions(mod_nw_src:10.0.0.9,"
      "set_field:0x5->reg0,move:NXM_NX_REG0[0..7]->NXM_NX_REG1[8..15],"
      "output:4),write_metadata:0x3/0xff,goto_table:1" },
    { "table=1 tcp actions=set_field:91->tp_src,output(11),clear_actions",
      "table=1, tcp actions=mod_tp_src:91,output:11,clear_actions" },
    { "table=0,actset_output=unset actions=write_actions(output(2)),"
      "goto_table(1)",
      "table=0, actset_output=UNSET actions=write_actions(output:2),"
      "goto_table:1" },
    { "table=2,priority=20,actset_output=2 actions=4,goto_table(3)",
      "table=2, priority=20,actset_output=2 actions=output:4,goto_table:3" },
    { "actset_output=in_port,actions=write_actions(output:in_port)",
      "table=0, actset_output=IN_PORT actions=write_actions(IN_PORT)" },
    { "actset_output=CONTROLLER,actions=drop",
      "table=0, actset_output=CONTROLLER actions=drop" },
    /* the register stack (push:, pop:) */
    { "in_port=2 actions=pop:NXM_NX_REG0[0..7],output:NXM_NX_REG0[]",
      "table=0, in_port=2 actions=pop:NXM_NX_REG0[0..7],"
      "output:NXM_NX_REG0[]" },
    { "actions=push:reg1[0..7],push:xxreg0[],Pop:metadata[],"
      "clone(pop:NXM_NX_TUN_ID[0..31])",
      "table=0, actions=push:NXM_NX_REG1[0..7],push:NXM_NX_XXREG0[],"
      "pop:OXM_OF_METADATA[],clone(pop:NXM_NX_TUN_ID[0..31])" },
    /* OpenFlow 1.1's set_vlan_vid / set_vlan_pcp: onto the tag there is,
     * printed as written */
    { "dl_vlan=3,actions=set_vlan_vid:99,set_vlan_pcp:1,output:1",
      "table=0, dl_vlan=3 actions=set_vlan_vid:99,set_vlan_pcp:1,output:1" },
    { "actions=push_mpls:0x8847,load:10->OXM_OF_MPLS_LABEL[],"
      "push_vlan:0x8100,SET_VLAN_VID:99,set_vlan_pcp:7,controller",
      "table=0, actions=push_mpls:0x8847,load:0xa->OXM_OF_MPLS_LABEL[],"
      "push_vlan:0x8100,set_vlan_vid:99,set_vlan_pcp:7,CONTROLLER:65535" },
    /* enqueue: an output to a port's queue */
    { "actions=output:LOCAL,enqueue:1:1,ENQUEUE(2,0x10),enqueue:in_port:7,"
      "enqueue:LOCAL:4294967295",
      "table=0, actions=LOCAL,enqueue:1:1,enqueue:2:16,enqueue:IN_PORT:7,"
      "enqueue:LOCAL:4294967295" },
    /* an empty one writes nothing (Open vSwitch decodes it to nothing) */
    { "actions=output:1,write_actions()",
      "table=0, actions=output:1,write_actions()" },
};

FLOW_TEST_INDEXES(actset, canonical, canons)

ParameterizedTest(size_t *i, actset, canonical)
{
    flow_test_canonical(&canons[*i]);
}

Test(actset, body_follows_flat_and_match_is_exact)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse("actset_output=3,actions=output:1,"
                            "write_actions(mod_dl_src:02:00:00:00:00:01,"
                            "output:2),goto_table:4", FLOW_CMD_ADD, NULL,
                            &fm, &err), 0, "%s", err.msg);
    cr_expect_eq(fm.flow.match.value.meta.actset_output, 3);
    cr_expect_eq(fm.flow.match.mask.meta.actset_output, UINT32_MAX);
    cr_assert_eq(fm.flow.n_actions, 5);
    cr_expect_eq(fm.flow.actions[1].type, FLOW_ACT_WRITE_ACTIONS);
    cr_expect_eq(fm.flow.actions[1].u.clone.n, 2);
    cr_expect_eq(fm.flow.actions[2].type, FLOW_ACT_MOD_DL_SRC);
    cr_expect_eq(fm.flow.actions[3].type, FLOW_ACT_OUTPUT);
    cr_expect_eq(fm.flow.actions[4].type, FLOW_ACT_GOTO_TABLE);
    /* UNSET is a match on "no output": value 0, mask all */
    cr_assert_eq(flow_parse("actset_output=UNSET,actions=drop",
                            FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(fm.flow.match.value.meta.actset_output, 0);
    cr_expect_eq(fm.flow.match.mask.meta.actset_output, UINT32_MAX);
}

static const struct flow_refusal refusals[] = {
    /* OpenFlow's instruction order, as ovs-ofctl enforces it */
    { "actions=write_actions(output:2),output:1", "output:1",
      "only write_actions, write_metadata and goto_table may follow" },
    { "actions=clear_actions,output:1", "output:1",
      "only write_actions, write_metadata and goto_table may follow" },
    { "actions=write_actions(output:2),clear_actions", "clear_actions",
      "must come before write_actions" },
    { "actions=write_actions(output:2),write_actions(output:3)",
      "write_actions(output:3)", "given twice" },
    { "actions=clear_actions,clear_actions", "clear_actions",
      "given twice" },
    { "actions=write_metadata:1,write_actions(output:3)",
      "write_actions(output:3)", "before write_metadata" },
    { "actions=write_actions", "write_actions", "parentheses" },
    { "actions=clear_actions:3", "clear_actions:3", "no argument" },
    /* what an action set does not hold */
    { "actions=write_actions(resubmit(,1))", "resubmit(,1)",
      "not an action an action set holds" },
    { "actions=write_actions(clone(output:1))", "clone(output:1)",
      "not an action an action set holds" },
    { "actions=write_actions(output:NXM_NX_REG0[0..15])",
      "output:NXM_NX_REG0[0..15]", "not an action an action set holds" },
    { "actions=write_actions(output(port=1,max_len=100))",
      "output(port=1,max_len=100)", "not an action an action set holds" },
    { "actions=write_actions(write_metadata:1)", "write_metadata:1",
      "cannot be inside write_actions" },
    { "actions=write_actions(goto_table:3)", "goto_table:3",
      "not actions of an action set" },
    { "actions=write_actions(mod_vlan_vid:3)", "mod_vlan_vid:3",
      "VLAN ID and PCP rewrites" },
    { "actions=write_actions(clear_actions)", "clear_actions",
      "cannot be inside" },
    { "actions=clone(write_actions(output:1))", "write_actions(output:1)",
      "cannot be inside clone" },
    /* the body is checked like applied actions */
    { "actions=write_actions(set_field:80->tcp_dst)",
      "set_field:80->tcp_dst", "requires a match on tcp" },
    /* push and pop */
    { "actions=pop", "pop", "needs a field" },
    { "actions=push:", "push:", "needs a field" },
    { "actions=push:OXM_OF_IPV4_DSTX[]", "push:OXM_OF_IPV4_DSTX[]",
      "unknown field" },
    { "actions=push:OXM_OF_IPV4_DST[]", "push:OXM_OF_IPV4_DST[]",
      "requires a match on IPv4" },
    { "actions=pop:reg0[40]", "pop:reg0[40]", "beyond" },
    { "actions=pop:NXM_NX_CT_MARK[]", "pop:NXM_NX_CT_MARK[]",
      "outside of ct action" },
    { "ip,actions=ct(commit,exec(pop:NXM_NX_CT_MARK[]))",
      "pop:NXM_NX_CT_MARK[]", "doesn't support nested action pop" },
    { "actions=write_actions(push:reg0[],output:1)", "push:reg0[]",
      "not an action an action set holds" },
    /* set_vlan_vid / set_vlan_pcp never push: a tag must be there */
    { "actions=set_vlan_vid:5", "set_vlan_vid:5",
      "needs a VLAN-tagged packet" },
    { "dl_vlan=3,actions=strip_vlan,set_vlan_pcp:5", "set_vlan_pcp:5",
      "needs a VLAN-tagged packet" },
    { "dl_vlan=3,actions=set_vlan_vid:4096", "set_vlan_vid:4096",
      "out of range" },
    { "dl_vlan=3,actions=set_vlan_pcp:8", "set_vlan_pcp:8", "out of range" },
    { "dl_vlan=3,actions=set_vlan_vid", "set_vlan_vid", "needs an argument" },
    { "dl_vlan=3,actions=write_actions(set_vlan_vid:3,output:1)",
      "set_vlan_vid:3", "VLAN ID and PCP rewrites" },
    /* enqueue: an ordinary port, IN_PORT or LOCAL, and a 32-bit queue */
    { "actions=enqueue:NORMAL:1", "enqueue:NORMAL:1",
      "not a port with queues" },
    { "actions=enqueue:1", "enqueue:1", "needs a port and a queue" },
    { "actions=enqueue", "enqueue", "needs a port and a queue" },
    { "actions=enqueue:1:4294967296", "enqueue:1:4294967296",
      "out of range" },
    { "actions=enqueue:0:1", "enqueue:0:1", "out of range" },
    /* actset_output: a port, a reserved name or UNSET, exact */
    { "actset_output=2/3,actions=drop", "actset_output=2/3", "no mask" },
    { "actset_output=0,actions=drop", "actset_output=0", "out of range" },
    { "actset_output=65535,actions=drop", "actset_output=65535",
      "not a port an action set can output to" },
    { "actset_output=70000,actions=drop", "actset_output=70000",
      "not a port an action set can output to" },
    { "actset_output=1,actset_output=2,actions=drop", "actset_output=2",
      "actset_output" },
};

FLOW_TEST_INDEXES(actset, refusals, refusals)

ParameterizedTest(size_t *i, actset, refusals)
{
    flow_test_refused(&refusals[*i]);
}

/* The flow table takes only what the parser makes: a body that runs past
 * the list, or one that nests, is refused. */
Test(actset, table_refuses_a_broken_body)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;

    cr_assert_not_null(t);
    cr_assert_eq(flow_parse("actions=write_actions(output:2)", FLOW_CMD_ADD,
                            NULL, &fm, NULL), 0);
    cr_expect_eq(flow_table_apply(t, &fm, 0), 1);
    fm.flow.actions[0].u.clone.n = 2;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=write_actions(output:2,output:3)",
                            FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    fm.flow.actions[1].type = FLOW_ACT_WRITE_ACTIONS;
    fm.flow.actions[1].u.clone.n = 1;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    flow_table_destroy(t);
}
