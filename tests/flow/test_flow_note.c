/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Actions that leave the packet alone or end its actions: note:HEX, the
 * debug actions debug_recirc and debug_slow, and exit, in the spellings
 * Open vSwitch takes (checked with ovs-ofctl parse-flow), their canonical
 * text, which parses back to the same flow, the model they make, and the
 * refusals, each naming its token.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "flow_test_cases.h"
#include "flow_test_ports.h"

static const struct flow_canon canons[] = {
    /* a note is padded with zeros to 6, 14, 22... bytes, as Open vSwitch
     * pads, decodes and prints it */
    { "actions=note:41", "table=0, actions=note:41.00.00.00.00.00" },
    { "actions=note:41.42.43.44.45.46",
      "table=0, actions=note:41.42.43.44.45.46" },
    { "actions=NOTE:4142434445", "table=0, actions=note:41.42.43.44.45.00" },
    { "actions=note:", "table=0, actions=note:00.00.00.00.00.00" },
    { "actions=note:41..42", "table=0, actions=note:41.42.00.00.00.00" },
    { "actions=note(AB)", "table=0, actions=note:ab.00.00.00.00.00" },
    { "actions=note:0123456789abcdef0123456789abcdef0123",
      "table=0, actions=note:01.23.45.67.89.ab.cd.ef.01.23.45.67.89.ab.cd."
      "ef.01.23.00.00.00.00" },
    { "actions=output:1,note:41,output:2",
      "table=0, actions=output:1,note:41.00.00.00.00.00,output:2" },
    { "actions=clone(note:1234,output:3)",
      "table=0, actions=clone(note:12.34.00.00.00.00,output:3)" },
    /* beside conjunction, in the order written */
    { "actions=conjunction(3,1/2),note:41.42.43.44.45.46",
      "table=0, actions=conjunction(3,1/2),note:41.42.43.44.45.46" },
    { "actions=note:41.42.43.44.45.46,conjunction(3,1/2)",
      "table=0, actions=note:41.42.43.44.45.46,conjunction(3,1/2)" },
    { "actions=note:41,conjunction(1,1/2),note:42,conjunction(2,2/3)",
      "table=0, actions=note:41.00.00.00.00.00,conjunction(1,1/2),"
      "note:42.00.00.00.00.00,conjunction(2,2/3)" },
    /* Open vSwitch's datapath debug actions */
    { "in_port=1 actions=2,debug_recirc,4",
      "table=0, in_port=1 actions=output:2,debug_recirc,output:4" },
    { "in_port=1,actions=debug_slow,controller",
      "table=0, in_port=1 actions=debug_slow,CONTROLLER:65535" },
    { "actions=clone(DEBUG_RECIRC,output:1)",
      "table=0, actions=clone(debug_recirc,output:1)" },
    /* exit */
    { "in_port=1 actions=output:10,exit,output:11",
      "table=0, in_port=1 actions=output:10,exit,output:11" },
    { "actions=EXIT,goto_table:3", "table=0, actions=exit,goto_table:3" },
    { "actions=clone(output:1,exit),output:2",
      "table=0, actions=clone(output:1,exit),output:2" },
};

FLOW_TEST_INDEXES(note, canonical, canons)

ParameterizedTest(size_t *i, note, canonical)
{
    flow_test_canonical(&canons[*i]);
}

/* The bytes follow the NOTE flat, 8 to a NOTE_DATA; a clause flow with
 * notes is still a clause flow. */
Test(note, bytes_follow_flat)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse("actions=note:0102030405060708090a,output:1",
                            FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(fm.flow.n_actions, 4);
    cr_expect_eq(fm.flow.actions[0].type, FLOW_ACT_NOTE);
    cr_expect_eq(fm.flow.actions[0].u.note.len, 14);
    cr_expect_eq(fm.flow.actions[0].u.note.n, 2);
    cr_expect_eq(fm.flow.actions[1].type, FLOW_ACT_NOTE_DATA);
    cr_expect_eq(fm.flow.actions[1].u.bytes[0], 0x01);
    cr_expect_eq(fm.flow.actions[1].u.bytes[7], 0x08);
    cr_expect_eq(fm.flow.actions[2].u.bytes[1], 0x0a);
    cr_expect_eq(fm.flow.actions[2].u.bytes[5], 0);
    cr_expect_eq(fm.flow.actions[3].type, FLOW_ACT_OUTPUT);
    cr_expect_not(flow_is_conjunction(&fm.flow));
    cr_assert_eq(flow_parse("actions=note:41,conjunction(3,1/2)",
                            FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_expect(flow_is_conjunction(&fm.flow));
}

static const struct flow_refusal refusals[] = {
    { "actions=note:1,output:1", "note:1", "not hexadecimal bytes" },
    { "actions=note:41.4", "note:41.4", "not hexadecimal bytes" },
    { "actions=note:41:42", "note:41:42", "not hexadecimal bytes" },
    { "actions=note:x", "note:x", "not hexadecimal bytes" },
    /* conjunction takes notes beside it, nothing else */
    { "actions=conjunction(1,1/2),exit", "exit",
      "cannot be combined with any other action but note" },
    { "actions=note:41,output:1,conjunction(1,1/2)", "conjunction(1,1/2)",
      "cannot be combined" },
    { "actions=note:12,drop", "drop", "drop must be the only action" },
    { "actions=exit:1", "exit:1", "takes no argument" },
    { "actions=debug_slow:1", "debug_slow:1", "takes no argument" },
    /* none is an action an action set holds */
    { "actions=write_actions(exit)", "exit",
      "not an action an action set holds" },
    { "actions=write_actions(note:41)", "note:41",
      "not an action an action set holds" },
    { "actions=write_actions(debug_recirc)", "debug_recirc",
      "not an action an action set holds" },
};

FLOW_TEST_INDEXES(note, refusals, refusals)

ParameterizedTest(size_t *i, note, refusals)
{
    flow_test_refused(&refusals[*i]);
}

/* A note longer than a flow holds is refused, not cut. */
Test(note, too_long_is_refused)
{
    char line[1024] = "actions=note:";
    struct flow_mod fm;
    struct flow_error err;

    for (unsigned k = 0; k < FLOW_NOTE_MAX; k++)
        strcat(line, "ab");
    cr_expect_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    strcat(line, "ab");
    cr_expect_lt(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0);
    cr_expect(strstr(err.msg, "more than 246 bytes") != NULL, "%s", err.msg);
    /* 240 bytes pad to 246: with another action, one slot too many */
    strcpy(line, "actions=output:1,note:");
    for (unsigned k = 0; k < 240; k++)
        strcat(line, "00");
    cr_expect_lt(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0);
    cr_expect(strstr(err.msg, "too many actions") != NULL, "%s", err.msg);
}

/* The flow table takes only what the parser makes: a note's bytes follow
 * it, and NOTE_DATA nowhere else. */
Test(note, table_refuses_a_broken_note)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;

    cr_assert_not_null(t);
    cr_assert_eq(flow_parse("actions=note:41,output:2", FLOW_CMD_ADD, NULL,
                            &fm, NULL), 0);
    cr_expect_eq(flow_table_apply(t, &fm, 0), 1);
    fm.flow.actions[0].u.note.n = 2;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    fm.flow.actions[0].u.note.n = 1;
    fm.flow.actions[0].u.note.len = 7;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    fm.flow.actions[0].u.note.len = 6;
    fm.flow.actions[2].type = FLOW_ACT_NOTE_DATA;
    cr_expect_eq(flow_table_apply(t, &fm, 0), -EINVAL);
    flow_table_destroy(t);
}
