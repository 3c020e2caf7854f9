/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Matching on IPv6 Neighbor Discovery fields: nd_target (an IPv6 address
 * or prefix), nd_sll and nd_tll (MACs, maskable), with Open vSwitch's
 * prerequisites, printed as ovs-ofctl prints them (after icmp_type and
 * icmp_code), and the flow table taking them (they share key bytes with
 * nw_src/nw_dst, mpls_lse and tcp_flags: struct flow_key).
 */
#include <arpa/inet.h>

#include "flow_test_cases.h"

static const struct flow_canon nd_canon[] = {
    /* the OVS firewall driver's egress ND-advertisement anti-spoofing */
    { "table=73,priority=95,icmp6,reg5=0x3,in_port=3,icmp_type=136,"
      "nd_target=fe80::f816:3eff:fe12:3456,actions=resubmit(,94)",
      "table=73, priority=95,icmp6,in_port=3,reg5=0x3,icmp_type=136,"
      "nd_target=fe80::f816:3eff:fe12:3456 actions=resubmit(,94)" },
    { "icmp6,icmp_type=135,nd_target=fe80::/64,actions=drop",
      "table=0, icmp6,icmp_type=135,nd_target=fe80::/64 actions=drop" },
    { "icmpv6_type=135,icmp6,icmp_code=0,nd_target=::1,"
      "nd_sll=00:11:22:33:44:55,actions=drop",
      "table=0, icmp6,icmp_type=135,icmp_code=0,nd_target=::1,"
      "nd_sll=00:11:22:33:44:55 actions=drop" },
    /* masks: the value is cut to the mask, as ovs-ofctl prints it */
    { "icmp6,icmp_type=135,nd_sll=00:11:22:33:44:55/ff:ff:ff:00:00:00,"
      "actions=drop",
      "table=0, icmp6,icmp_type=135,"
      "nd_sll=00:11:22:00:00:00/ff:ff:ff:00:00:00 actions=drop" },
    { "icmp6,icmp_type=136,nd_target=::1,nd_tll=1:2:3:4:5:6,"
      "actions=output:2",
      "table=0, icmp6,icmp_type=136,nd_target=::1,"
      "nd_tll=01:02:03:04:05:06 actions=output:2" },
    { "icmp6,icmp_type=136,nd_tll=00:11:22:33:44:55/01:00:00:00:00:00,"
      "actions=drop",
      "table=0, icmp6,icmp_type=136,"
      "nd_tll=00:00:00:00:00:00/01:00:00:00:00:00 actions=drop" },
    /* 0/0 matches anything: nothing to print */
    { "icmp6,icmp_type=136,nd_target=::/0,actions=drop",
      "table=0, icmp6,icmp_type=136 actions=drop" },
    /* the fields beside every other IPv6 field */
    { "icmp6,ipv6_src=fe80::1,ipv6_dst=ff02::1:ff00:2,nw_ttl=255,"
      "icmp_type=135,nd_target=fe80::2,actions=drop",
      "table=0, icmp6,ipv6_src=fe80::1,ipv6_dst=ff02::1:ff00:2,nw_ttl=255,"
      "icmp_type=135,nd_target=fe80::2 actions=drop" },
};

FLOW_TEST_INDEXES(nd, canonical, nd_canon);
ParameterizedTest(size_t *i, nd, canonical)
{
    flow_test_canonical(&nd_canon[*i]);
}

static const struct flow_refusal nd_refused[] = {
    /* ovs-ofctl drops such a field from the flow mod; snicd refuses */
    { "icmp6,nd_target=fe80::1,actions=drop", "nd_target=fe80::1",
      "requires a match on a neighbor solicitation or advertisement "
      "(add 'icmp6,icmp_type=135'" },
    { "ipv6,nd_target=fe80::1,actions=drop", "nd_target=fe80::1",
      "requires a match on" },
    { "nd_target=fe80::1,actions=drop", "nd_target=fe80::1",
      "requires a match on" },
    { "icmp6,icmp_type=128,nd_target=fe80::1,actions=drop",
      "nd_target=fe80::1", "requires a match on" },
    { "icmp6,icmp_type=135,icmp_code=1,nd_target=fe80::1,actions=drop",
      "nd_target=fe80::1", "requires icmp_code=0" },
    { "icmp6,icmp_type=136,nd_sll=00:11:22:33:44:55,actions=drop",
      "nd_sll=00:11:22:33:44:55",
      "requires a match on a neighbor solicitation (add "
      "'icmp6,icmp_type=135'" },
    { "icmp6,icmp_type=135,nd_tll=00:11:22:33:44:55,actions=drop",
      "nd_tll=00:11:22:33:44:55",
      "requires a match on a neighbor advertisement (add "
      "'icmp6,icmp_type=136'" },
    /* sll and tll together can never be met */
    { "icmp6,icmp_type=135,nd_sll=1:2:3:4:5:6,nd_tll=1:2:3:4:5:6,"
      "actions=drop", "nd_tll=1:2:3:4:5:6", "neighbor advertisement" },
    /* values */
    { "icmp6,icmp_type=135,nd_target=10.0.0.1,actions=drop",
      "nd_target=10.0.0.1", "bad IPv6 address" },
    { "icmp6,icmp_type=135,nd_target=fe80::/129,actions=drop",
      "nd_target=fe80::/129", "0..128" },
    { "icmp6,icmp_type=135,nd_sll=00:11:22:33:44,actions=drop",
      "nd_sll=00:11:22:33:44", "nd_sll" },
    { "icmp6,icmp_type=135,nd_target=::1,nd_target=::2,actions=drop",
      "nd_target=::2", "nd_target" },
    /* Open vSwitch's match names only: ovs-ofctl refuses these too */
    { "icmp6,icmp_type=135,NXM_NX_ND_TARGET=::1,actions=drop",
      "NXM_NX_ND_TARGET=::1", "unknown field" },
};

FLOW_TEST_INDEXES(nd, refused, nd_refused);
ParameterizedTest(size_t *i, nd, refused)
{
    flow_test_refused(&nd_refused[*i]);
}

/* What the parser writes: the shared bytes of struct flow_key. */
Test(nd, the_match_lives_in_the_shared_bytes)
{
    static const uint8_t sll[6] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 };
    struct flow_mod fm;
    struct flow_error err;
    uint8_t t[16];

    cr_assert_eq(flow_parse("icmp6,icmp_type=135,nd_target=2001:db8::7,"
                            "nd_sll=00:11:22:33:44:55,actions=drop",
                            FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    inet_pton(AF_INET6, "2001:db8::7", t);
    cr_expect_arr_eq(fm.flow.match.value.nd_target, t, 16);
    cr_expect_arr_eq(fm.flow.match.value.nd_lla, sll, 6);
    cr_expect_eq(flow_match_nd_type(&fm.flow.match), 135);
    cr_expect_eq(fm.flow.match.mask.pad[0] | fm.flow.match.mask.pad[1], 0);
    cr_expect_null(flow_match_prereq_error(&fm.flow.match, NULL));
}

/* A match built by hand (not by the parser) with ND bytes and no ND
 * prerequisites is caught by flow_match_prereq_error(), which the flow
 * table runs on every add. */
Test(nd, hand_built_matches_without_prerequisites_are_refused)
{
    struct flow_mod fm;
    struct flow_error err;
    const char *hint = NULL;

    cr_assert_eq(flow_parse("icmp6,icmp_type=136,nd_target=::1,"
                            "actions=drop", FLOW_CMD_ADD, NULL, &fm, &err),
                 0, "%s", err.msg);
    fm.flow.match.value.tp_src = htons(128);
    cr_expect_str_eq(flow_match_prereq_error(&fm.flow.match, &hint),
                     "nd_target");
    cr_expect_not_null(hint);
    fm.flow.match.value.tp_src = htons(136);
    fm.flow.match.value.tp_dst = htons(1);
    fm.flow.match.mask.tp_dst = 0xffff;
    cr_expect_str_eq(flow_match_prereq_error(&fm.flow.match, NULL),
                     "nd_target");
    /* an IPv4 match with bytes only nd_target uses */
    cr_assert_eq(flow_parse("ip,nw_src=10.0.0.1,actions=drop", FLOW_CMD_ADD,
                            NULL, &fm, &err), 0, "%s", err.msg);
    cr_expect_null(flow_match_prereq_error(&fm.flow.match, NULL));
    fm.flow.match.mask.nw_nd_rest[0] = 0xff;
    cr_expect_str_eq(flow_match_prereq_error(&fm.flow.match, NULL),
                     "nd_target");
}

Test(nd, the_flow_table_keeps_them_apart_from_ipv4_and_tcp)
{
    static const char *const lines[] = {
        "priority=5,icmp6,icmp_type=136,nd_target=a00:1:a00:2::,"
        "actions=output:1",
        "priority=5,ip,nw_src=10.0.0.1,nw_dst=10.0.0.2,actions=output:2",
        "priority=5,tcp6,tcp_flags=+syn,actions=output:3",
        "priority=5,icmp6,icmp_type=136,nd_tll=00:00:00:00:00:02,"
        "actions=output:4",
        /* IPv4 with IPv6's ICMP protocol number: its addresses are
         * nw_src/nw_dst, never ND's */
        "priority=5,ip,nw_dst=10.0.0.1,nw_proto=58,actions=output:5",
        "priority=6,ip,nw_src=10.0.0.1,nw_proto=58,actions=output:6",
    };
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_not_null(t);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        cr_assert_eq(flow_parse(lines[i], FLOW_CMD_ADD, NULL, &fm, &err), 0,
                     "%s: %s", lines[i], err.msg);
        int rc = flow_table_apply(t, &fm, 0);

        cr_assert_geq(rc, 0, "%s: %d", lines[i], rc);
    }
    /* the same bytes, other prerequisites: four flows, none replaced */
    cr_expect_eq(flow_table_count(t, 0), 6);
    flow_table_destroy(t);
}
