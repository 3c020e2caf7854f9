/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * multipath(...), bundle(...) and bundle_load(...) in the flow language,
 * in the spellings Open vSwitch 3.1 takes (each canonical text below is
 * what ovs-ofctl parse-flow prints for its line): the canonical text,
 * which parses back to the same flow, the model the datapath reads, and
 * the refusals, each naming its token and saying why.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <string.h>

#include "flow_test_cases.h"

static const struct flow_canon canons[] = {
    { "actions=multipath(eth_src,50,modulo_n,1,0,NXM_NX_REG0[0..15])",
      "table=0, actions=multipath(eth_src,50,modulo_n,1,0,"
      "NXM_NX_REG0[0..15])" },
    /* spaces between the arguments, names in any case */
    { "in_port=1,actions=MULTIPATH(Symmetric_L3L4+UDP 0 HRW 65536 0 reg0),"
      "resubmit(,1)",
      "table=0, in_port=1 actions=multipath(symmetric_l3l4+udp,0,hrw,65536,"
      "0,NXM_NX_REG0[]),resubmit(,1)" },
    { "actions=multipath(symmetric_l4,1024,hash_threshold,256,0,"
      "reg1[0..7])",
      "table=0, actions=multipath(symmetric_l4,1024,hash_threshold,256,0,"
      "NXM_NX_REG1[0..7])" },
    { "actions=multipath(nw_dst,7,iter_hash,5,8,reg2[4..6])",
      "table=0, actions=multipath(nw_dst,7,iter_hash,5,8,"
      "NXM_NX_REG2[4..6])" },
    { "actions=multipath(symmetric_l3,0,modulo_n,2,0,metadata[0..1]),"
      "multipath(nw_src,65535,hrw,2,4294967295,reg3[31])",
      "table=0, actions=multipath(symmetric_l3,0,modulo_n,2,0,"
      "OXM_OF_METADATA[0..1]),multipath(nw_src,65535,hrw,2,4294967295,"
      "NXM_NX_REG3[31])" },
    { "actions=multipath(symmetric_l3l4,3,hrw,4,0,xreg1[40..41])",
      "table=0, actions=multipath(symmetric_l3l4,3,hrw,4,0,"
      "OXM_OF_PKT_REG1[40..41])" },
    { "actions=clone(multipath(eth_src,0,hrw,2,0,reg0[0..1]),output:2)",
      "table=0, actions=clone(multipath(eth_src,0,hrw,2,0,"
      "NXM_NX_REG0[0..1]),output:2)" },
    { "actions=clone(bundle(eth_src,0,hrw,ofport,members:1,2,3),"
      "mod_dl_src:02:00:00:00:00:01,output:2),output:4",
      "table=0, actions=clone(bundle(eth_src,0,hrw,ofport,members:1,2,3),"
      "mod_dl_src:02:00:00:00:00:01,output:2),output:4" },
    /* slaves: is the older spelling of members: */
    { "actions=bundle(eth_src,0,hrw,ofport,slaves:1,2,LOCAL)",
      "table=0, actions=bundle(eth_src,0,hrw,ofport,members:1,2,LOCAL)" },
    { "in_port=1,actions=bundle(symmetric_l4 60 active_backup ofport "
      "members:[2 3 4])",
      "table=0, in_port=1 actions=bundle(symmetric_l4,60,active_backup,"
      "ofport,members:2,3,4)" },
    { "actions=bundle(nw_dst,65535,hrw,ofport,members:IN_PORT,NORMAL,FLOOD,"
      "ALL,LOCAL,7)",
      "table=0, actions=bundle(nw_dst,65535,hrw,ofport,members:IN_PORT,"
      "NORMAL,FLOOD,ALL,LOCAL,7)" },
    { "actions=bundle(symmetric_l3l4+udp,1,hrw,ofport,members:9),"
      "bundle(nw_src,2,active_backup,ofport,members:3,4),output:5",
      "table=0, actions=bundle(symmetric_l3l4+udp,1,hrw,ofport,members:9),"
      "bundle(nw_src,2,active_backup,ofport,members:3,4),output:5" },
    { "actions=bundle_load(symmetric_l3,0,hrw,ofport,reg0[0..15],"
      "members:1,5),output:NXM_NX_REG0[0..15]",
      "table=0, actions=bundle_load(symmetric_l3,0,hrw,ofport,"
      "NXM_NX_REG0[0..15],members:1,5),output:NXM_NX_REG0[0..15]" },
    { "actions=bundle_load(symmetric_l3l4,9,active_backup,ofport,reg4,"
      "members:4,3,2)",
      "table=0, actions=bundle_load(symmetric_l3l4,9,active_backup,ofport,"
      "NXM_NX_REG4[],members:4,3,2)" },
};

FLOW_TEST_INDEXES(select, canonical, canons)

ParameterizedTest(size_t *i, select, canonical)
{
    flow_test_canonical(&canons[*i]);
}

Test(select, multipath_model)
{
    struct flow_mod fm;
    struct flow_error err;
    const struct flow_action *a;

    cr_assert_eq(flow_parse("actions=multipath(symmetric_l3l4,513,"
                            "iter_hash,12,16,reg5[8..11]),output:1",
                            FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(fm.flow.n_actions, 2);
    a = &fm.flow.actions[0];
    cr_expect_eq(a->type, FLOW_ACT_MULTIPATH);
    cr_expect_eq(a->pad0, 513);
    cr_expect_eq(a->u.multipath.fields, FLOW_HASH_SYMMETRIC_L3L4);
    cr_expect_eq(a->u.multipath.algorithm, FLOW_MP_ITER_HASH);
    cr_expect_eq(a->u.multipath.max_link, 11);
    cr_expect_eq(a->u.multipath.arg, 16);
    cr_expect_eq(a->dst.field, FLOW_FIELD_REG0 + 5);
    cr_expect_eq(a->dst.ofs, 8);
    cr_expect_eq(a->dst.n_bits, 4);
    cr_expect_eq(flow_action_n_args(a), 0);
}

/* the members two to an argument slot, in order, the last one alone */
Test(select, bundle_model)
{
    struct flow_mod fm;
    struct flow_error err;
    const struct flow_action *a;

    cr_assert_eq(flow_parse("actions=bundle_load(nw_src,7,hrw,ofport,"
                            "reg1[0..15],members:5,LOCAL,3),output:2",
                            FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(fm.flow.n_actions, 4);
    a = &fm.flow.actions[0];
    cr_expect_eq(a->type, FLOW_ACT_BUNDLE);
    cr_expect_eq(a->pad0, 7);
    cr_expect_eq(a->u.bundle.fields, FLOW_HASH_NW_SRC);
    cr_expect_eq(a->u.bundle.algorithm, FLOW_BD_HRW);
    cr_expect_eq(a->u.bundle.n_members, 3);
    cr_expect_eq(a->dst.field, FLOW_FIELD_REG0 + 1);
    cr_expect_eq(a->dst.n_bits, 16);
    cr_expect_eq(flow_action_n_args(a), 2);
    cr_expect_eq(a[1].type, FLOW_ACT_ARGS);
    cr_expect_eq(a[1].u.members[0], 5);
    cr_expect_eq(a[1].u.members[1], FLOW_PORT_LOCAL);
    cr_expect_eq(a[2].type, FLOW_ACT_ARGS);
    cr_expect_eq(a[2].u.members[0], 3);
    cr_expect_eq(a[2].u.members[1], 0);
    cr_expect_eq(a[3].type, FLOW_ACT_OUTPUT);

    cr_assert_eq(flow_parse("actions=bundle(eth_src,0,active_backup,ofport,"
                            "members:8)", FLOW_CMD_ADD, NULL, &fm, &err), 0,
                 "%s", err.msg);
    cr_expect_eq(fm.flow.n_actions, 2);
    cr_expect_eq(fm.flow.actions[0].dst.n_bits, 0);
    cr_expect_eq(fm.flow.actions[0].u.bundle.algorithm,
                 FLOW_BD_ACTIVE_BACKUP);
    cr_expect_eq(fm.flow.actions[1].u.members[0], 8);
}

static const struct flow_refusal refusals[] = {
    { "actions=multipath(eth_dst,0,hrw,2,0,reg0)",
      "multipath(eth_dst,0,hrw,2,0,reg0)", "unknown fields 'eth_dst'" },
    { "actions=multipath(eth_src,0,round_robin,2,0,reg0)",
      "multipath(eth_src,0,round_robin,2,0,reg0)",
      "unknown algorithm 'round_robin'" },
    { "actions=multipath(eth_src,0,hrw,0,0,reg0)",
      "multipath(eth_src,0,hrw,0,0,reg0)", "n_links 0 is not in 1..65536" },
    { "actions=multipath(eth_src,0,hrw,65537,0,reg0)",
      "multipath(eth_src,0,hrw,65537,0,reg0)", "out of range" },
    { "actions=multipath(eth_src,0,hrw,x,0,reg0)",
      "multipath(eth_src,0,hrw,x,0,reg0)", "not a number" },
    { "actions=multipath(eth_src,0,hrw,5,0,reg0[0..1])",
      "multipath(eth_src,0,hrw,5,0,reg0[0..1])",
      "the 2-bit destination has 4 values, fewer than n_links 5" },
    { "actions=multipath(eth_src,0,hrw,3,0,reg0[7])",
      "multipath(eth_src,0,hrw,3,0,reg0[7])",
      "the 1-bit destination has 2 values, fewer than n_links 3" },
    { "actions=multipath(eth_src,0,hrw,2,0)",
      "multipath(eth_src,0,hrw,2,0)", "needs 6 arguments" },
    { "actions=multipath:eth_src", "multipath:eth_src", "needs 6 arguments" },
    { "actions=multipath(eth_src,65536,hrw,2,0,reg0)",
      "multipath(eth_src,65536,hrw,2,0,reg0)", "basis 65536 is out of range" },
    { "actions=multipath(eth_src,0,hrw,2,4294967296,reg0)",
      "multipath(eth_src,0,hrw,2,4294967296,reg0)", "out of range" },
    { "actions=multipath(eth_src,0,hrw,2,0,reg16)",
      "multipath(eth_src,0,hrw,2,0,reg16)", "no such register" },
    { "actions=multipath(eth_src,0,hrw,2,0,ct_mark[0..3])",
      "multipath(eth_src,0,hrw,2,0,ct_mark[0..3])",
      "outside of ct action" },
    { "actions=write_actions(multipath(eth_src,0,hrw,2,0,reg0))",
      "multipath(eth_src,0,hrw,2,0,reg0)",
      "not an action an action set holds" },
    { "actions=bundle(eth_src,0,hrw,ofport,members:)",
      "bundle(eth_src,0,hrw,ofport,members:)", "at least one member" },
    { "actions=bundle(eth_src,0,hrw,ofport,members:[ ])",
      "bundle(eth_src,0,hrw,ofport,members:[ ])", "at least one member" },
    { "actions=bundle(eth_src,0,hrw,ofport,1,2)",
      "bundle(eth_src,0,hrw,ofport,1,2)", "needs its arguments and members" },
    { "actions=bundle(eth_src,0,hrw,members:1,2)",
      "bundle(eth_src,0,hrw,members:1,2)",
      "needs its arguments and members" },
    { "actions=bundle(eth_dst,0,hrw,ofport,members:1)",
      "bundle(eth_dst,0,hrw,ofport,members:1)", "unknown fields 'eth_dst'" },
    { "actions=bundle(eth_src,0,iter_hash,ofport,members:1)",
      "bundle(eth_src,0,iter_hash,ofport,members:1)",
      "unknown algorithm 'iter_hash' (expected active_backup or hrw)" },
    { "actions=bundle(eth_src,0,hrw,port,members:1)",
      "bundle(eth_src,0,hrw,port,members:1)",
      "unknown member type 'port'" },
    { "actions=bundle(eth_src,0,hrw,ofport,members:CONTROLLER)",
      "bundle(eth_src,0,hrw,ofport,members:CONTROLLER)",
      "member CONTROLLER is not a port a bundle may use" },
    { "actions=bundle(eth_src,0,hrw,ofport,members:1,nosuch)",
      "bundle(eth_src,0,hrw,ofport,members:1,nosuch)", "bundle member" },
    { "actions=bundle_load(eth_src,0,hrw,ofport,members:1)",
      "bundle_load(eth_src,0,hrw,ofport,members:1)",
      "needs its arguments and members" },
    { "actions=bundle_load(eth_src,0,hrw,ofport,reg99,members:1)",
      "reg99", "no such register" },
    { "actions=bundle_load(eth_src,0,hrw,ofport,reg0[0..7],members:1)",
      "bundle_load(eth_src,0,hrw,ofport,reg0[0..7],memb...",
      "at least 16 bits (a port number), not 8" },
    { "actions=write_actions(bundle(eth_src,0,hrw,ofport,members:1))",
      "bundle(eth_src,0,hrw,ofport,members:1)",
      "not an action an action set holds" },
};

FLOW_TEST_INDEXES(select, refusals, refusals)

ParameterizedTest(size_t *i, select, refusals)
{
    flow_test_refused(&refusals[*i]);
}

/* The flow table takes only what the parser makes: a bundle whose member
 * slots are missing or replaced, a multipath whose destination is too
 * narrow a field or whose fields are unknown, are refused. */
Test(select, table_refuses_broken_actions)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;

    cr_assert_not_null(t);
    cr_assert_eq(flow_parse("actions=bundle(eth_src,0,hrw,ofport,"
                            "members:1,2,3)", FLOW_CMD_ADD, NULL, &fm,
                            NULL), 0);
    cr_expect_eq(flow_table_apply(t, &fm, 0), 1);
    fm.flow.n_actions = 2;      /* the second member slot cut off */
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=bundle(eth_src,0,hrw,ofport,"
                            "members:1,2,3)", FLOW_CMD_ADD, NULL, &fm,
                            NULL), 0);
    fm.flow.actions[2].type = FLOW_ACT_OUTPUT;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=bundle(eth_src,0,hrw,ofport,"
                            "members:1)", FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    fm.flow.actions[0].u.bundle.n_members = 0;
    fm.flow.n_actions = 1;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=multipath(eth_src,0,hrw,2,0,reg0)",
                            FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    cr_expect_eq(flow_table_apply(t, &fm, 0), 1);
    fm.flow.actions[0].u.multipath.fields = 7;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=multipath(eth_src,0,hrw,2,0,reg0)",
                            FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    fm.flow.actions[0].u.multipath.algorithm = 4;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    cr_assert_eq(flow_parse("actions=multipath(eth_src,0,hrw,2,0,reg0)",
                            FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    fm.flow.actions[0].u.multipath.max_link = 4;
    fm.flow.actions[0].dst.n_bits = 2;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    flow_table_destroy(t);
}
