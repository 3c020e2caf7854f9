/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header fields as subfields of load, move, push, pop and output:FIELD:
 * the spellings Open vSwitch takes (checked with ovs-ofctl parse-flow),
 * their canonical text (NXM names, as ovs-ofctl prints them), which
 * parses back to the same flow, Open vSwitch's prerequisites and
 * read-only fields, and the refusals, each naming its token.
 */
#include <errno.h>

#include "flow_test_cases.h"

static const struct flow_canon canons[] = {
    { "ip,actions=load:0xa000001->OXM_OF_IPV4_DST[]",
      "table=0, ip actions=load:0xa000001->NXM_OF_IP_DST[]" },
    { "ip,actions=move:OXM_OF_IPV4_DST[]->OXM_OF_IPV4_SRC[],output:1",
      "table=0, ip actions=move:NXM_OF_IP_DST[]->NXM_OF_IP_SRC[],"
      "output:1" },
    /* after pop_mpls:0x0800 the packet is IPv4 (Open vSwitch's check) */
    { "actions=pop_mpls:0x0800,push:OXM_OF_IPV4_DST[],"
      "pop:OXM_OF_IPV4_SRC[]",
      "table=0, actions=pop_mpls:0x0800,push:NXM_OF_IP_DST[],"
      "pop:NXM_OF_IP_SRC[]" },
    { "arp,actions=load:2->OXM_OF_ARP_OP[],load:0xc0a88001->OXM_OF_ARP_SPA[],"
      "load:0x404444444441->OXM_OF_ARP_THA[],move:NXM_NX_ARP_SHA[]->"
      "NXM_OF_ETH_SRC[],load:0x2020202->OXM_OF_ARP_TPA[]",
      "table=0, arp actions=load:0x2->NXM_OF_ARP_OP[],"
      "load:0xc0a88001->NXM_OF_ARP_SPA[],load:0x404444444441->"
      "NXM_NX_ARP_THA[],move:NXM_NX_ARP_SHA[]->NXM_OF_ETH_SRC[],"
      "load:0x2020202->NXM_OF_ARP_TPA[]" },
    { "in_port=8 actions=1,load:9->NXM_OF_IN_PORT[],1",
      "table=0, in_port=8 actions=output:1,load:0x9->NXM_OF_IN_PORT[],"
      "output:1" },
    { "ip actions=push:OXM_OF_IN_PORT[0..31],pop:NXM_OF_IP_SRC[0..15]",
      "table=0, ip actions=push:OXM_OF_IN_PORT[],pop:NXM_OF_IP_SRC[0..15]" },
    /* short names, bit ranges, a move across fields of other widths */
    { "tcp,actions=move:tcp_src[]->tcp_dst[],move:eth_src[0..31]->"
      "ip_dst[],load:0x3f->eth_dst[40..45]",
      "table=0, tcp actions=move:NXM_OF_TCP_SRC[]->NXM_OF_TCP_DST[],"
      "move:NXM_OF_ETH_SRC[0..31]->NXM_OF_IP_DST[],"
      "load:0x3f->NXM_OF_ETH_DST[40..45]" },
    { "ipv6,actions=move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
      "load:1->NXM_NX_IPV6_SRC[0..63],load:5->NXM_NX_IP_TTL[]",
      "table=0, ipv6 actions=move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
      "load:0x1->NXM_NX_IPV6_SRC[0..63],load:0x5->NXM_NX_IP_TTL[]" },
    { "ip,actions=load:3->NXM_OF_IP_TOS[],load:1->OXM_OF_IP_ECN[],"
      "load:9->OXM_OF_IP_DSCP[]",
      "table=0, ip actions=load:0x3->NXM_OF_IP_TOS[],"
      "load:0x1->NXM_NX_IP_ECN[],load:0x9->OXM_OF_IP_DSCP[]" },
    { "udp,actions=output:NXM_OF_UDP_DST[]",
      "table=0, udp actions=output:NXM_OF_UDP_DST[]" },
    { "icmp,actions=move:NXM_OF_ICMP_TYPE[]->NXM_OF_ICMP_CODE[]",
      "table=0, icmp actions=move:NXM_OF_ICMP_TYPE[]->NXM_OF_ICMP_CODE[]" },
    /* the outer tag's fields, onto a tag the flow promises (by its match
     * or a push): OXM_OF_VLAN_VID is 12 bits, as in Open vSwitch */
    { "vlan_tci=0x1000/0x1000,actions=load:99->OXM_OF_VLAN_VID[],"
      "load:5->vlan_pcp[],move:OXM_OF_VLAN_VID[0..7]->reg0[0..7],"
      "push:OXM_OF_VLAN_PCP[],pop:vlan_vid[0..2]",
      "table=0, vlan_tci=0x1000/0x1000 actions=load:0x63->"
      "OXM_OF_VLAN_VID[],load:0x5->OXM_OF_VLAN_PCP[],move:"
      "OXM_OF_VLAN_VID[0..7]->NXM_NX_REG0[0..7],push:OXM_OF_VLAN_PCP[],"
      "pop:OXM_OF_VLAN_VID[0..2]" },
    { "actions=push_vlan:0x8100,load:99->OXM_OF_VLAN_VID[],"
      "set_vlan_pcp:1,output:1",
      "table=0, actions=push_vlan:0x8100,load:0x63->OXM_OF_VLAN_VID[],"
      "set_vlan_pcp:1,output:1" },
    /* vlan_vid is read without a tag (0), as Open vSwitch reads it; a
     * move into it needs no tag as Open vSwitch checks it, even after a
     * vlan_tci write its check takes for the tag's removal */
    { "actions=push:OXM_OF_VLAN_VID[],output:OXM_OF_VLAN_VID[]",
      "table=0, actions=push:OXM_OF_VLAN_VID[],output:OXM_OF_VLAN_VID[]" },
    { "dl_vlan=5,actions=load:0->NXM_OF_VLAN_TCI[1..3],"
      "move:reg0[0..2]->OXM_OF_VLAN_VID[0..2]",
      "table=0, dl_vlan=5 actions=load:0->NXM_OF_VLAN_TCI[1..3],"
      "move:NXM_NX_REG0[0..2]->OXM_OF_VLAN_VID[0..2]" },
    /* vlan_tci's bits, its CFI bit from a load that sets it */
    { "dl_vlan=5,actions=load:7->NXM_OF_VLAN_TCI[0..11],"
      "load:1->NXM_OF_VLAN_TCI[12],load:0x3007->vlan_tci[],"
      "move:NXM_OF_VLAN_TCI[13..15]->NXM_OF_VLAN_TCI[0..2]",
      "table=0, dl_vlan=5 actions=load:0x7->NXM_OF_VLAN_TCI[0..11],"
      "load:0x1->NXM_OF_VLAN_TCI[12],load:0x3007->NXM_OF_VLAN_TCI[],"
      "move:NXM_OF_VLAN_TCI[13..15]->NXM_OF_VLAN_TCI[0..2]" },
    /* read-only fields may be read */
    { "ip,actions=move:NXM_OF_IP_PROTO[]->NXM_NX_REG0[0..7],"
      "move:NXM_OF_ETH_TYPE[]->reg1[0..15]",
      "table=0, ip actions=move:NXM_OF_IP_PROTO[]->NXM_NX_REG0[0..7],"
      "move:NXM_OF_ETH_TYPE[]->NXM_NX_REG1[0..15]" },
    /* set_field onto a header no mod_* action writes: loads, printed
     * back as the set_field in the field's notation */
    { "ipv6,actions=set_field:fe80:0123:4567:890a:a6ba:dbff:fefe:59fa->"
      "ipv6_src",
      "table=0, ipv6 actions=set_field:fe80:123:4567:890a:a6ba:dbff:fefe:"
      "59fa->ipv6_src" },
    { "ipv6,actions=set_field:2001:db8::/32->ipv6_dst,output:1",
      "table=0, ipv6 actions=set_field:2001:db8::/32->ipv6_dst,output:1" },
    { "arp,actions=set_field:1.2.3.4->arp_spa,set_field:aa:bb:cc:dd:ee:ff->"
      "arp_tha,set_field:2->arp_op,set_field:10.0.0.0/255.0.0.0->arp_tpa,"
      "set_field:02:00:00:00:00:00/ff:00:00:00:00:00->arp_sha",
      "table=0, arp actions=set_field:1.2.3.4->arp_spa,"
      "set_field:aa:bb:cc:dd:ee:ff->arp_tha,set_field:0x2->arp_op,"
      "set_field:10.0.0.0/255.0.0.0->arp_tpa,"
      "set_field:02:00:00:00:00:00/ff:00:00:00:00:00->arp_sha" },
    /* a masked set_field onto a field mod_* actions write whole: the
     * bits under the mask, as loads, printed back as the set_field; a
     * mask of every bit is the plain write */
    { "tcp,actions=set_field:1.2.0.0/255.255.0.0->ip_src,"
      "set_field:00:00:00:00:00:01/00:00:00:00:00:ff->eth_dst,"
      "set_field:0x50/0xf0->tcp_dst,set_field:10.0.0.1/8->ipv4_dst",
      "table=0, tcp actions=set_field:1.2.0.0/255.255.0.0->ip_src,"
      "set_field:00:00:00:00:00:01/00:00:00:00:00:ff->eth_dst,"
      "set_field:0x50/0xf0->tcp_dst,set_field:10.0.0.0/255.0.0.0->ip_dst" },
    { "ip,dl_vlan=5,actions=set_field:0x5/0xf->vlan_vid,"
      "set_field:1.2.3.4/255.255.255.255->nw_src",
      "table=0, ip,dl_vlan=5 actions=set_field:0x5/0xf->vlan_vid,"
      "mod_nw_src:1.2.3.4" },
    { "sctp,actions=set_field:0x100/0xff00->sctp_src",
      "table=0, sctp actions=set_field:0x100/0xff00->sctp_src" },
    { "actions=set_field:0x5/0xff->tun_id",
      "table=0, actions=set_field:0x5/0xff->tun_id" },
    /* two runs under one mask: two loads, one set_field */
    { "udp,actions=set_field:0x1001/0xf00f->udp_src",
      "table=0, udp actions=set_field:0x1001/0xf00f->udp_src" },
    /* a value wider than 64 bits: two loads, printed back as one */
    { "actions=load:0x0123456789abcdeffedcba9876543210->NXM_NX_XXREG1[],"
      "load:0x10000000000000001->xxreg0[8..80]",
      "table=0, actions=load:0x123456789abcdeffedcba9876543210->"
      "NXM_NX_XXREG1[],load:0x10000000000000001->NXM_NX_XXREG0[8..80]" },
    { "ipv6,actions=load:0x20010db8000000000000000000000001->"
      "NXM_NX_IPV6_DST[]",
      "table=0, ipv6 actions=load:0x20010db8000000000000000000000001->"
      "NXM_NX_IPV6_DST[]" },
    /* set_field onto nw_ttl stays set_field (Open vSwitch keeps it apart
     * from mod_nw_ttl) */
    { "ip,actions=set_field:7->nw_ttl,mod_nw_ttl:8",
      "table=0, ip actions=set_field:7->nw_ttl,mod_nw_ttl:8" },
    /* IPv6 Neighbor Discovery, printed as ovs-ofctl prints it */
    { "icmp6,icmp_type=136,actions=set_field:fe80::1->nd_target,"
      "set_field:1:2:3:4:5:6->nd_tll,load:0x5->NXM_NX_ND_TLL[0..7],"
      "move:NXM_NX_ND_TARGET[0..31]->NXM_NX_REG0[]",
      "table=0, icmp6,icmp_type=136 actions=set_field:fe80::1->nd_target,"
      "set_field:01:02:03:04:05:06->nd_tll,load:0x5->NXM_NX_ND_TLL[0..7],"
      "move:NXM_NX_ND_TARGET[0..31]->NXM_NX_REG0[]" },
    { "icmp6,icmpv6_type=135,icmp_code=0,actions=output(10),"
      "write_actions(set_field:fe80::3->nd_target,"
      "set_field:aa:aa:aa:aa:aa:aa->nd_sll,output(12)),goto_table(1)",
      "table=0, icmp6,icmp_type=135,icmp_code=0 actions=output:10,"
      "write_actions(set_field:fe80::3->nd_target,"
      "set_field:aa:aa:aa:aa:aa:aa->nd_sll,output:12),goto_table:1" },
    { "icmp6,icmp_type=135,actions=set_field:fe80::/16->nd_target,"
      "set_field:aa:00:00:00:00:00/ff:00:00:00:00:00->nd_sll,"
      "load:0xa->OXM_OF_IPV6_ND_SLL[0..3]",
      "table=0, icmp6,icmp_type=135 actions=set_field:fe80::/16->nd_target,"
      "set_field:aa:00:00:00:00:00/ff:00:00:00:00:00->nd_sll,"
      "load:0xa->NXM_NX_ND_SLL[0..3]" },
};

FLOW_TEST_INDEXES(hdr, canonical, canons)

ParameterizedTest(size_t *i, hdr, canonical)
{
    flow_test_canonical(&canons[*i]);
}

Test(hdr, subfields_are_the_header_fields)
{
    struct flow_mod fm;
    const struct flow_action *a;

    cr_assert_eq(flow_parse("arp,actions=load:0x404444444441->"
                            "OXM_OF_ARP_THA[8..47],move:NXM_OF_ARP_SPA[]->"
                            "NXM_OF_IP_DST[]", FLOW_CMD_ADD, NULL, &fm,
                            NULL), -ERANGE);
    cr_assert_eq(flow_parse("arp,actions=load:0x4444444441->"
                            "OXM_OF_ARP_THA[8..47],move:NXM_OF_ARP_SPA[]->"
                            "NXM_OF_ARP_TPA[]", FLOW_CMD_ADD, NULL, &fm,
                            NULL), 0);
    a = &fm.flow.actions[0];
    cr_expect_eq(a->type, FLOW_ACT_LOAD);
    cr_expect_eq(a->dst.field, FLOW_FIELD_ARP_THA);
    cr_expect_eq(a->dst.ofs, 8);
    cr_expect_eq(a->dst.n_bits, 40);
    cr_expect_eq(a->u.value, 0x4444444441ull);
    a = &fm.flow.actions[1];
    cr_expect_eq(a->type, FLOW_ACT_MOVE);
    cr_expect_eq(a->u.src.field, FLOW_FIELD_ARP_SPA);
    cr_expect_eq(a->dst.field, FLOW_FIELD_ARP_TPA);
    cr_expect_eq(a->dst.n_bits, 32);
    cr_expect(flow_action_fields_valid(&fm.flow.actions[0]));
    cr_expect(flow_action_fields_valid(&fm.flow.actions[1]));
}

Test(hdr, hand_built_writes_to_read_only_fields_are_invalid)
{
    struct flow_action a = { .type = FLOW_ACT_LOAD };

    a.dst.field = FLOW_FIELD_ETH_TYPE;
    a.dst.n_bits = 16;
    cr_expect(!flow_action_fields_valid(&a));
    a.dst.field = FLOW_FIELD_IP_PROTO;
    a.dst.n_bits = 8;
    cr_expect(!flow_action_fields_valid(&a));
    a.dst.field = FLOW_FIELD_IP_TTL;
    cr_expect(flow_action_fields_valid(&a));
    a.dst.n_bits = 9;
    cr_expect(!flow_action_fields_valid(&a));
    /* vlan_tci's CFI bit: a load that sets it, never one that clears it
     * nor a move */
    a.dst.field = FLOW_FIELD_VLAN_TCI;
    a.dst.n_bits = 16;
    a.u.value = 0x1005;
    cr_expect(flow_action_fields_valid(&a));
    a.u.value = 0x0005;
    cr_expect(!flow_action_fields_valid(&a));
    a.dst.n_bits = 12;
    cr_expect(flow_action_fields_valid(&a));
    a.type = FLOW_ACT_MOVE;
    a.u.src.field = FLOW_FIELD_REG0;
    a.u.src.n_bits = 13;
    a.dst.n_bits = 13;
    cr_expect(!flow_action_fields_valid(&a));
}

static const struct flow_refusal refusals[] = {
    /* Open vSwitch's prerequisites, for reads and writes */
    { "actions=load:1->NXM_OF_IP_SRC[]", "load:1->NXM_OF_IP_SRC[]",
      "requires a match on IPv4" },
    { "ipv6,actions=load:1->NXM_OF_IP_SRC[]", "load:1->NXM_OF_IP_SRC[]",
      "requires a match on IPv4" },
    { "actions=move:NXM_OF_TCP_SRC[]->reg0[0..15]",
      "move:NXM_OF_TCP_SRC[]->reg0[0..15]", "requires a match on tcp" },
    { "udp,actions=push:NXM_OF_TCP_SRC[]", "push:NXM_OF_TCP_SRC[]",
      "requires a match on tcp" },
    { "ip,actions=load:1->NXM_NX_ARP_SHA[]", "load:1->NXM_NX_ARP_SHA[]",
      "requires a match on ARP" },
    { "ip,actions=pop:NXM_NX_IPV6_DST[]", "pop:NXM_NX_IPV6_DST[]",
      "requires a match on IPv6" },
    { "actions=output:NXM_NX_IP_TTL[]", "output:NXM_NX_IP_TTL[]",
      "requires a match on ip or ipv6" },
    { "ip,actions=pop_mpls:0x86dd,load:1->NXM_OF_IP_SRC[]",
      "load:1->NXM_OF_IP_SRC[]", "after push_mpls/pop_mpls" },
    /* read-only, as in Open vSwitch */
    { "actions=load:0x800->NXM_OF_ETH_TYPE[]",
      "load:0x800->NXM_OF_ETH_TYPE[]", "eth_type is not writable" },
    { "ip,actions=move:reg0[0..7]->NXM_OF_IP_PROTO[]",
      "move:reg0[0..7]->NXM_OF_IP_PROTO[]", "nw_proto is not writable" },
    { "ip,actions=pop:OXM_OF_IP_PROTO[]", "pop:OXM_OF_IP_PROTO[]",
      "not writable" },
    /* vlan_vid and vlan_pcp need a tag, as in Open vSwitch */
    { "actions=load:99->OXM_OF_VLAN_VID[]", "load:99->OXM_OF_VLAN_VID[]",
      "needs a VLAN-tagged packet" },
    { "dl_vlan=5,actions=strip_vlan,move:OXM_OF_VLAN_PCP[]->reg0[0..2]",
      "move:OXM_OF_VLAN_PCP[]->reg0[0..2]", "needs a VLAN-tagged packet" },
    { "actions=move:reg0[0..11]->OXM_OF_VLAN_VID[]",
      "move:reg0[0..11]->OXM_OF_VLAN_VID[]", "writing vlan_vid needs a "
      "VLAN-tagged packet in snicd" },
    /* Open vSwitch's check takes a vlan_tci write's value for the whole
     * TCI: without CFI it sees no tag after it */
    { "dl_vlan=5,actions=load:0->NXM_OF_VLAN_TCI[1..3],"
      "load:3->OXM_OF_VLAN_VID[]", "load:3->OXM_OF_VLAN_VID[]",
      "without its CFI bit" },
    { "dl_vlan=5,actions=set_field:0/0xf->vlan_tci,"
      "push:OXM_OF_VLAN_PCP[]", "push:OXM_OF_VLAN_PCP[]",
      "without its CFI bit" },
    { "dl_vlan=5,actions=load:0x1063->OXM_OF_VLAN_VID[]",
      "load:0x1063->OXM_OF_VLAN_VID[]", "does not fit in the 12 bits" },
    /* a TCI write pushes or pops in Open vSwitch: only onto a promised
     * tag, its CFI bit only set by a load */
    { "actions=load:1->NXM_OF_VLAN_TCI[0..11]",
      "load:1->NXM_OF_VLAN_TCI[0..11]", "writing vlan_tci needs a "
      "VLAN-tagged packet" },
    { "dl_vlan=5,actions=load:1->NXM_OF_VLAN_TCI[]",
      "load:1->NXM_OF_VLAN_TCI[]", "pops the tag" },
    { "dl_vlan=5,actions=load:0->NXM_OF_VLAN_TCI[12]",
      "load:0->NXM_OF_VLAN_TCI[12]", "pops the tag" },
    { "dl_vlan=5,actions=move:reg0[0..3]->NXM_OF_VLAN_TCI[10..13]",
      "move:reg0[0..3]->NXM_OF_VLAN_TCI[10..13]", "CFI bit (bit 12)" },
    { "dl_vlan=5,actions=pop:NXM_OF_VLAN_TCI[]", "pop:NXM_OF_VLAN_TCI[]",
      "CFI bit (bit 12)" },
    /* widths */
    { "ip,actions=load:0x100000000->NXM_OF_IP_DST[]",
      "load:0x100000000->NXM_OF_IP_DST[]", "does not fit" },
    { "ip,actions=load:1->NXM_OF_IP_DST[32]", "load:1->NXM_OF_IP_DST[32]",
      "beyond" },
    { "ip,actions=move:NXM_OF_IP_SRC[]->NXM_OF_ETH_DST[]",
      "move:NXM_OF_IP_SRC[]->NXM_OF_ETH_DST[]", "as wide" },
    { "actions=output:NXM_OF_ETH_SRC[]", "output:NXM_OF_ETH_SRC[]",
      "at most 32 bits" },
    { "ip,actions=load:1->NXM_OF_IP_DST[3..1]", "load:1->NXM_OF_IP_DST[3..1]",
      "comes after" },
    { "actions=load:0x1ffffffffffffffffffff->xxreg0[0..79]",
      "load:0x1ffffffffffffffffffff->xxreg0[0..79]", "does not fit" },
    /* not a field at all */
    { "actions=load:1->NXM_OF_IP_SRCX[]", "load:1->NXM_OF_IP_SRCX[]",
      "unknown field" },
    { "actions=set_field:1.2.3.4->arp_spa", "set_field:1.2.3.4->arp_spa",
      "requires a match on ARP" },
    { "ipv6,actions=set_field:1.2.3.4->ipv6_src",
      "set_field:1.2.3.4->ipv6_src", "bad IPv6 address" },
    { "arp,actions=set_field:0x10000->arp_op", "set_field:0x10000->arp_op",
      "out of range" },
    { "arp,actions=set_field:1/0->arp_op", "set_field:1/0->arp_op",
      "arp_op takes no mask" },
    { "ip,actions=set_field:0x8/0x38->ip_dscp",
      "set_field:0x8/0x38->ip_dscp", "ip_dscp takes no mask" },
    { "ip,actions=set_field:0x40/0xf0->nw_ttl",
      "set_field:0x40/0xf0->nw_ttl", "nw_ttl takes no mask" },
    { "dl_vlan=5,actions=set_field:1/1->vlan_pcp",
      "set_field:1/1->vlan_pcp", "vlan_pcp takes no mask" },
    /* a masked set_field onto a field mod_* actions write whole */
    { "udp,actions=set_field:80/0xf0->tcp_dst",
      "set_field:80/0xf0->tcp_dst", "requires a match on tcp" },
    { "ip,actions=set_field:1.2.3.4/0.0.0.0->ip_src",
      "set_field:1.2.3.4/0.0.0.0->ip_src", "the mask is 0" },
    { "ip,actions=set_field:6/0xf->nw_proto", "set_field:6/0xf->nw_proto",
      "not writable" },
    { "actions=set_field:5/0xf->vlan_vid", "set_field:5/0xf->vlan_vid",
      "VLAN-tagged" },
    { "actions=set_field:1.2.3.4/8->tun_src",
      "set_field:1.2.3.4/8->tun_src",
      "a masked write to 'tun_src' is not supported" },
    { "tcp,actions=set_field:0x10000/0xffff->tcp_src",
      "set_field:0x10000/0xffff->tcp_src", "fits the field" },
    /* Neighbor Discovery needs icmp6 with its type (and code 0) */
    { "icmp6,actions=set_field:fe80::1->nd_target",
      "set_field:fe80::1->nd_target",
      "requires a match on a neighbor solicitation or advertisement" },
    { "icmp6,icmp_type=128,actions=load:1->NXM_NX_ND_TARGET[]",
      "load:1->NXM_NX_ND_TARGET[]",
      "requires a match on a neighbor solicitation or advertisement" },
    { "ipv6,actions=set_field:fe80::1->nd_target",
      "set_field:fe80::1->nd_target",
      "requires a match on a neighbor solicitation or advertisement" },
    { "icmp6,icmp_type=135,icmp_code=1,actions=set_field:fe80::1->nd_target",
      "set_field:fe80::1->nd_target", "requires icmp_code=0" },
    { "icmp6,icmp_type=136,actions=set_field:1:2:3:4:5:6->nd_sll",
      "set_field:1:2:3:4:5:6->nd_sll",
      "requires a match on a neighbor solicitation" },
    { "icmp6,icmp_type=135,actions=move:NXM_NX_ND_TLL[]->NXM_OF_ETH_SRC[]",
      "move:NXM_NX_ND_TLL[]->NXM_OF_ETH_SRC[]",
      "requires a match on a neighbor advertisement" },
    { "icmp6,icmp_type=135,actions=set_field:fe80::g->nd_target",
      "set_field:fe80::g->nd_target", "bad IPv6 address" },
    /* only ct_mark/ct_label inside ct(exec(...)) */
    { "ip,actions=ct(commit,exec(load:1->NXM_OF_IP_SRC[]))",
      "load:1->NXM_OF_IP_SRC[]", "nested modification" },
};

FLOW_TEST_INDEXES(hdr, refusals, refusals)

ParameterizedTest(size_t *i, hdr, refusals)
{
    flow_test_refused(&refusals[*i]);
}
