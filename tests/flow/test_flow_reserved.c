/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow's reserved ports in the flow language: every spelling Open
 * vSwitch takes (names in any case, OpenFlow 1.0 and 1.1+ numbers, bare or
 * after output:), the canonical text (as ovs-ofctl writes it) that parses
 * back to the same flow, and the ports a flow may not output to.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "flow_test_ports.h"

struct spelling {
    const char *line;
    uint32_t port;          /* of the only action, an OUTPUT */
    uint16_t max_len;       /* pad0 */
};

static const struct spelling spellings[] = {
    { "actions=NORMAL", FLOW_PORT_NORMAL, 0 },
    { "actions=normal", FLOW_PORT_NORMAL, 0 },
    { "actions=Normal", FLOW_PORT_NORMAL, 0 },
    { "actions=output:NORMAL", FLOW_PORT_NORMAL, 0 },
    { "actions=output:normal", FLOW_PORT_NORMAL, 0 },
    { "actions=output:65530", FLOW_PORT_NORMAL, 0 },
    { "actions=output:0xfffa", FLOW_PORT_NORMAL, 0 },
    { "actions=output:4294967290", FLOW_PORT_NORMAL, 0 },
    { "actions=output:0xfffffffa", FLOW_PORT_NORMAL, 0 },
    { "actions=in_port", FLOW_PORT_IN_PORT, 0 },
    { "actions=IN_PORT", FLOW_PORT_IN_PORT, 0 },
    { "actions=output:in_port", FLOW_PORT_IN_PORT, 0 },
    { "actions=output:65528", FLOW_PORT_IN_PORT, 0 },
    { "actions=output:0xfffffff8", FLOW_PORT_IN_PORT, 0 },
    { "actions=flood", FLOW_PORT_FLOOD, 0 },
    { "actions=FLOOD", FLOW_PORT_FLOOD, 0 },
    { "actions=output:0xfffffffb", FLOW_PORT_FLOOD, 0 },
    { "actions=all", FLOW_PORT_ALL, 0 },
    { "actions=ALL", FLOW_PORT_ALL, 0 },
    { "actions=output:65532", FLOW_PORT_ALL, 0 },
    { "actions=local", FLOW_PORT_LOCAL, 0 },
    { "actions=LOCAL", FLOW_PORT_LOCAL, 0 },
    { "actions=output:65534", FLOW_PORT_LOCAL, 0 },
    { "actions=output:0xfffffffe", FLOW_PORT_LOCAL, 0 },
    { "actions=controller", FLOW_PORT_CONTROLLER, 65535 },
    { "actions=CONTROLLER", FLOW_PORT_CONTROLLER, 65535 },
    { "actions=output:CONTROLLER", FLOW_PORT_CONTROLLER, 65535 },
    { "actions=output:65533", FLOW_PORT_CONTROLLER, 65535 },
    { "actions=controller:128", FLOW_PORT_CONTROLLER, 128 },
    { "actions=CONTROLLER:0", FLOW_PORT_CONTROLLER, 0 },
    { "actions=controller(max_len=10)", FLOW_PORT_CONTROLLER, 10 },
    { "actions=output(port=LOCAL)", FLOW_PORT_LOCAL, 0 },
};

#define N_SPELLINGS (sizeof(spellings) / sizeof(spellings[0]))

ParameterizedTestParameters(reserved, spellings)
{
    static size_t idx[N_SPELLINGS];

    for (size_t i = 0; i < N_SPELLINGS; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, N_SPELLINGS);
}

ParameterizedTest(size_t *i, reserved, spellings)
{
    const struct spelling *tc = &spellings[*i];
    struct flow_mod fm, back;
    struct flow_error err;
    char text[FLOW_FORMAT_MAX];
    int rc;

    rc = flow_parse(tc->line, FLOW_CMD_ADD, &test_ports, &fm, &err);
    cr_assert_eq(rc, 0, "'%s' rejected: %s", tc->line, err.msg);
    cr_assert_eq(fm.flow.n_actions, 1, "%s", tc->line);
    cr_expect_eq(fm.flow.actions[0].type, FLOW_ACT_OUTPUT, "%s", tc->line);
    cr_expect_eq(fm.flow.actions[0].u.port, tc->port, "%s: port 0x%x",
                 tc->line, fm.flow.actions[0].u.port);
    cr_expect_eq(fm.flow.actions[0].pad0, tc->max_len, "%s: max_len %u",
                 tc->line, fm.flow.actions[0].pad0);
    /* what it prints reads back to the same flow */
    flow_format(&fm.flow, &test_ports, text, sizeof(text));
    rc = flow_parse(text, FLOW_CMD_ADD, &test_ports, &back, &err);
    cr_assert_eq(rc, 0, "'%s' (from '%s') rejected: %s", text, tc->line,
                 err.msg);
    cr_expect(flow_equal(&fm.flow, &back.flow), "'%s' -> '%s' differs",
              tc->line, text);
}

struct canon {
    const char *in;
    const char *out;
};

/* The text ovs-ofctl 3.1 writes for the same flows (its parse-flow). */
static const struct canon canons[] = {
    { "actions=normal,in_port,flood,all,local,controller,"
      "output:CONTROLLER,output:4294967290",
      "cookie=0x0, table=0, actions=NORMAL,IN_PORT,FLOOD,ALL,LOCAL,"
      "CONTROLLER:65535,CONTROLLER:65535,NORMAL" },
    { "in_port=LOCAL,actions=1", "cookie=0x0, table=0, in_port=LOCAL "
      "actions=output:uplink" },
    { "in_port=65534,actions=normal", "cookie=0x0, table=0, in_port=LOCAL "
      "actions=NORMAL" },
    { "in_port=controller,actions=1", "cookie=0x0, table=0, "
      "in_port=CONTROLLER actions=output:uplink" },
    { "actions=controller:100", "cookie=0x0, table=0, "
      "actions=CONTROLLER:100" },
    { "in_port=vf0,actions=output:1,in_port", "cookie=0x0, table=0, "
      "in_port=vf0 actions=output:uplink,IN_PORT" },
};

#define N_CANONS (sizeof(canons) / sizeof(canons[0]))

Test(reserved, canonical_text)
{
    for (size_t i = 0; i < N_CANONS; i++) {
        struct flow_mod fm;
        struct flow_error err;
        char text[FLOW_FORMAT_MAX];
        int rc = flow_parse(canons[i].in, FLOW_CMD_ADD, &test_ports, &fm,
                            &err);

        cr_assert_eq(rc, 0, "'%s': %s", canons[i].in, err.msg);
        flow_format(&fm.flow, &test_ports, text, sizeof(text));
        cr_expect_str_eq(text, canons[i].out, "from '%s'", canons[i].in);
    }
}

Test(reserved, in_port_takes_local)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse("in_port=local,actions=normal", FLOW_CMD_ADD,
                            NULL, &fm, &err), 0, "%s", err.msg);
    cr_expect_eq(fm.flow.match.value.in_port, FLOW_PORT_LOCAL);
    cr_expect_eq(fm.flow.match.mask.in_port, 0xffffffffu);
}

Test(reserved, out_port_filters_reserved_outputs)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse("out_port=NORMAL", FLOW_CMD_DELETE, NULL, &fm,
                            &err), 0, "%s", err.msg);
    cr_expect_eq(fm.out_port, FLOW_PORT_NORMAL);
}

Test(reserved, a_port_map_name_is_not_a_reserved_port)
{
    struct flow_mod fm;
    struct flow_error err;

    /* a reserved name never reaches the port map, and the port map's
     * numbers stay ordinary */
    cr_assert_eq(flow_parse("actions=output:vf0,output:LOCAL", FLOW_CMD_ADD,
                            &test_ports, &fm, &err), 0, "%s", err.msg);
    cr_expect(!flow_port_is_reserved(fm.flow.actions[0].u.port));
    cr_expect_eq(fm.flow.actions[1].u.port, FLOW_PORT_LOCAL);
}
