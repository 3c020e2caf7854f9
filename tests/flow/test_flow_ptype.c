/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet types in the flow language: packet_type=(NS,TYPE) matches,
 * decap and encap(ethernet), their canonical text (what Open vSwitch 3.1's
 * ovs-ofctl parse-flow prints for the same lines), the Ethernet
 * prerequisite a lookup applies, and the refusals, each naming its token.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "flow_test_cases.h"
#include "flow_test_ports.h"

static const struct flow_canon canons[] = {
    { "priority=3,packet_type=(1,0x800),nw_dst=10.11.12.13,actions=drop",
      "table=0, priority=3,packet_type=(1,0x800),nw_dst=10.11.12.13 "
      "actions=drop" },
    /* numbers in any base; printed 0..9 in decimal, the rest in hex */
    { "packet_type=(0x1,2048),actions=drop",
      "table=0, packet_type=(1,0x800) actions=drop" },
    { "packet_type=(1, 9),in_port=3,actions=drop",
      "table=0, packet_type=(1,9),in_port=3 actions=drop" },
    { "packet_type=(1,0x894f),in_port=1030,actions=goto_table:2",
      "table=0, packet_type=(1,0x894f),in_port=1030 actions=goto_table:2" },
    /* the protocol under a packet type is nw_proto, not a shorthand */
    { "packet_type=(1,0x800),ip_proto=6,tcp_dst=80,actions=drop",
      "table=0, packet_type=(1,0x800),nw_proto=6,tp_dst=80 actions=drop" },
    /* Ethernet is what Open vSwitch sends as no match at all */
    { "packet_type=(0,0),ip,actions=drop", "table=0, ip actions=drop" },
    { "table=0,in_port=30,ip,actions=decap(),goto_table:1",
      "table=0, ip,in_port=30 actions=decap(),goto_table:1" },
    { "actions=decap,decap(packet_type(ns=1,type=0x0800))",
      "table=0, actions=decap(),decap(packet_type(ns=1,type=0x800))" },
    { "actions=DECAP(packet_type(ns=0,type=0))",
      "table=0, actions=decap(packet_type(ns=0,type=0))" },
    { "table=3,packet_type=(1,0x800),actions=encap(ethernet),"
      "set_field:aa:55:aa:55:00:01->dl_dst,output:10",
      "table=3, packet_type=(1,0x800) actions=encap(ethernet),"
      "mod_dl_dst:aa:55:aa:55:00:01,output:10" },
    /* Open vSwitch's system-traffic.at MPLS lines */
    { "table=0,priority=100,dl_type=0x0800 actions=decap,encap(mpls),"
      "set_mpls_label:2,encap(ethernet),mod_dl_dst:36:b1:ee:7c:01:02,"
      "output:100",
      "table=0, priority=100,ip actions=decap(),encap(mpls),"
      "set_mpls_label(2),encap(ethernet),mod_dl_dst:36:b1:ee:7c:01:02,"
      "output:100" },
    { "table=0,priority=100,dl_type=0x8847,mpls_label=2 actions=decap,"
      "decap(packet_type(ns=1,type=0x0800)),encap(ethernet),resubmit(,3)",
      "table=0, priority=100,mpls,mpls_label=2 actions=decap(),"
      "decap(packet_type(ns=1,type=0x800)),encap(ethernet),resubmit(,3)" },
    { "actions=encap(mpls_mc),set_field:5->mpls_ttl,encap(ethernet)",
      "table=0, actions=encap(mpls_mc),set_field:5->mpls_ttl,"
      "encap(ethernet)" },
    /* after decap of an Ethernet packet what the match promised above it
     * stays promised */
    { "tcp,actions=decap(),mod_tp_dst:99,set_field:1.2.3.4->ip_dst",
      "table=0, tcp actions=decap(),mod_tp_dst:99,mod_nw_dst:1.2.3.4" },
    { "ip,actions=decap(),encap(ethernet),set_field:1.1.1.1->ip_src",
      "table=0, ip actions=decap(),encap(ethernet),mod_nw_src:1.1.1.1" },
};

FLOW_TEST_INDEXES(ptype, canonical, canons)

ParameterizedTest(size_t *i, ptype, canonical)
{
    flow_test_canonical(&canons[*i]);
}

Test(ptype, a_packet_type_implies_its_ethertype)
{
    struct flow_mod fm;

    cr_assert_eq(flow_parse("packet_type=(1,0x86dd),ipv6_src=::1,"
                            "actions=drop", FLOW_CMD_ADD, NULL, &fm, NULL),
                 0);
    cr_expect_eq(ntohl(fm.flow.match.value.packet_type), 0x186ddu);
    cr_expect_eq(fm.flow.match.mask.packet_type, 0xffffffffu);
    cr_expect_eq(ntohs(fm.flow.match.value.dl_type), 0x86dd);
    cr_expect_eq(fm.flow.match.mask.dl_type, 0xffff);
}

Test(ptype, decap_and_encap_actions)
{
    struct flow_mod fm;

    cr_assert_eq(flow_parse("actions=decap(packet_type(ns=1,type=0x8847)),"
                            "decap(),encap(ethernet)", FLOW_CMD_ADD, NULL,
                            &fm, NULL), 0);
    cr_assert_eq(fm.flow.n_actions, 3);
    cr_expect_eq(fm.flow.actions[0].type, FLOW_ACT_DECAP);
    cr_expect_eq(fm.flow.actions[0].u.ptype, 0x18847u);
    cr_expect_eq(fm.flow.actions[0].pad0, 1);
    cr_expect_eq(fm.flow.actions[1].type, FLOW_ACT_DECAP);
    cr_expect_eq(fm.flow.actions[1].pad0, 0);
    cr_expect_eq(fm.flow.actions[2].type, FLOW_ACT_ENCAP);
    cr_expect_eq(fm.flow.actions[2].u.ptype, FLOW_PT_ETH);
}

/* Open vSwitch's Ethernet prerequisite, in the reference lookup: a flow on
 * an Ethernet field (dl_type included) matches Ethernet packets only; one
 * on none of them, and one on packet_type=(1,T), match what they say. */
Test(ptype, ethernet_fields_match_ethernet_packets_only)
{
    static const struct {
        const char *line;
        bool eth, l3;
    } cases[] = {
        { "actions=drop", true, true },
        { "in_port=1,reg0=0,actions=drop", true, true },
        { "ip,actions=drop", true, false },
        { "dl_type=0x0800,actions=drop", true, false },
        { "dl_src=00:00:00:00:00:00,actions=drop", true, false },
        { "vlan_tci=0/0xffff,actions=drop", true, false },
        { "packet_type=(1,0x800),actions=drop", false, true },
        { "packet_type=(1,0x800),nw_dst=10.0.0.2,actions=drop", false,
          true },
        { "packet_type=(1,0x806),actions=drop", false, false },
    };
    struct flow_key eth, l3;

    memset(&eth, 0, sizeof(eth));
    eth.in_port = 1;
    eth.dl_type = htons(0x0800);
    eth.nw_dst = htonl(0x0a000002);
    l3 = eth;
    l3.packet_type = htonl(FLOW_PT(1, 0x0800));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct flow_mod fm;
        struct flow_match m;

        cr_assert_eq(flow_parse(cases[i].line, FLOW_CMD_ADD, NULL, &fm,
                                NULL), 0, "%s", cases[i].line);
        cr_expect_eq(flow_match_key(&fm.flow.match, &eth), cases[i].eth,
                     "%s on Ethernet", cases[i].line);
        cr_expect_eq(flow_match_key(&fm.flow.match, &l3), cases[i].l3,
                     "%s on (1,0x800)", cases[i].line);
        /* the classifier's form of it says the same */
        m = fm.flow.match;
        flow_match_imply_eth(&m);
        cr_expect_eq(flow_match_key(&m, &l3), cases[i].l3, "%s implied",
                     cases[i].line);
    }
}

static const struct flow_refusal refusals[] = {
    { "packet_type=(2,5),actions=drop", "packet_type=(2,5)",
      "(1,ETHERTYPE)" },
    { "packet_type=(0,0x800),actions=drop", "packet_type=(0,0x800)",
      "not supported" },
    { "packet_type=(1,0x10000),actions=drop", "packet_type=(1,0x10000)",
      "out of range" },
    { "packet_type=1,actions=drop", "packet_type=1", "(NAMESPACE,TYPE)" },
    { "packet_type=(1,0x800),dl_src=00:00:00:00:00:01,actions=drop",
      "dl_src=00:00:00:00:00:01", "without an Ethernet header" },
    { "dl_vlan=5,packet_type=(1,0x800),actions=drop", "dl_vlan=5",
      "a VLAN field" },
    { "packet_type=(1,0x800),tcp,actions=drop", "tcp",
      "says the EtherType already" },
    { "dl_type=0x800,packet_type=(1,0x800),actions=drop", "dl_type=0x800",
      "says the EtherType already" },
    /* what Open vSwitch's prerequisites refuse there too */
    { "packet_type=(1,0x806),nw_ttl=3,actions=drop", "nw_ttl=3",
      "requires" },
    { "actions=decap(foo)", "decap(foo)", "packet_type(ns=N,type=T)" },
    { "actions=decap(packet_type(type=1,ns=1))",
      "decap(packet_type(type=1,ns=1))", "in that order" },
    { "actions=encap", "encap", "needs the header" },
    { "actions=encap(ipv4)", "encap(ipv4)", "unknown header 'ipv4'" },
    { "actions=encap(nsh(md_type=1))", "encap(nsh(md_type=1))",
      "encap(nsh) is not supported" },
    { "actions=encap(nsh)", "encap(nsh)", "encap(nsh) is not supported" },
    /* after encap(mpls) the packet is MPLS: nothing above it promised */
    { "ip,actions=decap(),encap(mpls),set_field:3->nw_ttl",
      "set_field:3->nw_ttl", "EtherType 0x8847" },
    { "ip,actions=encap(mpls_mc),mod_dl_src:00:00:00:00:00:01",
      "mod_dl_src:00:00:00:00:00:01", "needs an Ethernet header" },
    /* the Ethernet header is gone after decap, and absent under (1,T) */
    { "ip,actions=decap(),mod_dl_src:00:00:00:00:00:09",
      "mod_dl_src:00:00:00:00:00:09", "needs an Ethernet header" },
    { "ip,actions=decap(),push_vlan:0x8100", "push_vlan:0x8100",
      "needs an Ethernet header" },
    { "packet_type=(1,0x800),actions=set_field:1->vlan_vid",
      "set_field:1->vlan_vid", "needs" },
    { "packet_type=(1,0x800),actions=load:1->NXM_OF_ETH_SRC[0..7]",
      "load:1->NXM_OF_ETH_SRC[0..7]", "needs an Ethernet header" },
    { "ip,actions=decap(),clone(strip_vlan)", "strip_vlan",
      "needs an Ethernet header" },
    /* decap of what has no Ethernet header leaves nothing known */
    { "packet_type=(1,0x800),actions=decap(),mod_nw_ttl:3", "mod_nw_ttl:3",
      "is not known" },
    /* nor after encap(ethernet) under packet_type=(1,T) (Open vSwitch's
     * check forgets T there), while under ip it stays promised */
    { "packet_type=(1,0x800),actions=encap(ethernet),set_field:3->nw_ttl",
      "set_field:3->nw_ttl", "is not known" },
    /* an action set holds neither */
    { "actions=write_actions(decap())", "decap()", "" },
};

FLOW_TEST_INDEXES(ptype, refusals, refusals)

ParameterizedTest(size_t *i, ptype, refusals)
{
    flow_test_refused(&refusals[*i]);
}
