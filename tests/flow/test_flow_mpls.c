/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPLS in the flow language: the spellings Open vSwitch takes (checked
 * with ovs-ofctl parse-flow), their canonical text, which parses back to
 * the same flow, its value rules, and the refusals, each naming its token.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "flow_test_cases.h"
#include "flow_test_ports.h"

static const struct flow_canon canons[] = {
    { "mpls,mpls_label=5,actions=drop",
      "table=0, mpls,mpls_label=5 actions=drop" },
    { "mplsm,mpls_ttl=4,mpls_bos=1,mpls_tc=3,mpls_label=0x10 actions=drop",
      "table=0, mplsm,mpls_label=16,mpls_tc=3,mpls_ttl=4,mpls_bos=1 "
      "actions=drop" },
    /* a wider value keeps the field's low bits, as ovs-ofctl does */
    { "mpls,mpls_label=0xffffffff,mpls_tc=255,mpls_bos=2 actions=drop",
      "table=0, mpls,mpls_label=1048575,mpls_tc=7,mpls_bos=0 actions=drop" },
    { "dl_type=0x8847,actions=pop_mpls:0x800",
      "table=0, mpls actions=pop_mpls:0x0800" },
    { "ip,actions=push_mpls:34887,set_field:2->mpls_label,output:1",
      "table=0, ip actions=push_mpls:0x8847,set_field:2->mpls_label,"
      "output:1" },
    { "actions=push_mpls:0x8848,load:10->OXM_OF_MPLS_LABEL[],"
      "load:3->OXM_OF_MPLS_TC[],load:0->NXM_NX_MPLS_TTL[0..7]",
      "table=0, actions=push_mpls:0x8848,load:0xa->OXM_OF_MPLS_LABEL[],"
      "load:0x3->OXM_OF_MPLS_TC[],load:0->NXM_NX_MPLS_TTL[]" },
    { "actions=set_mpls_label:5,set_mpls_tc(3),SET_MPLS_TTL:9,dec_mpls_ttl",
      "table=0, actions=set_mpls_label(5),set_mpls_tc(3),set_mpls_ttl(9),"
      "dec_mpls_ttl" },
    /* OpenFlow 1.0: pop_mpls needs no MPLS match; after it, the IPv4
     * fields may be set */
    { "actions=pop_mpls:0x0800,set_field:10.0.0.1->ip_src",
      "table=0, actions=pop_mpls:0x0800,mod_nw_src:10.0.0.1" },
};

FLOW_TEST_INDEXES(mpls, canonical, canons)

ParameterizedTest(size_t *i, mpls, canonical)
{
    flow_test_canonical(&canons[*i]);
}

Test(mpls, match_fields_are_parts_of_the_top_entry)
{
    struct flow_mod fm;

    cr_assert_eq(flow_parse("mpls,mpls_label=0xabcde,mpls_tc=5,mpls_bos=1,"
                            "mpls_ttl=200,actions=drop", FLOW_CMD_ADD, NULL,
                            &fm, NULL), 0);
    cr_expect_eq(ntohl(fm.flow.match.value.mpls_lse),
                 0xabcdeu << 12 | 5u << 9 | 1u << 8 | 200u);
    cr_expect_eq(ntohl(fm.flow.match.mask.mpls_lse), 0xffffffffu);
    cr_expect_eq(ntohs(fm.flow.match.value.dl_type), 0x8847);
}

static const struct flow_refusal refusals[] = {
    { "mpls_label=3,actions=drop", "mpls_label=3", "requires mpls" },
    { "mpls,mpls_label=0x10/0xff,actions=drop", "mpls_label=0x10/0xff",
      "no mask" },
    { "mpls,mpls_ttl=256,actions=drop", "mpls_ttl=256", "out of range" },
    { "mpls,mpls_label=0x100000000,actions=drop",
      "mpls_label=0x100000000", "out of range" },
    { "actions=push_mpls:0x0800", "push_mpls:0x0800",
      "not an MPLS EtherType" },
    { "actions=push_mpls", "push_mpls", "needs a value" },
    { "actions=pop_mpls:0x10000", "pop_mpls:0x10000", "out of range" },
    { "actions=set_field:10->mpls_label", "set_field:10->mpls_label",
      "requires an MPLS packet" },
    { "mpls,actions=set_field:1->mpls_bos", "set_field:1->mpls_bos",
      "read-only" },
    { "mpls,actions=set_field:7/3->mpls_tc", "set_field:7/3->mpls_tc",
      "no mask" },
    { "mpls,actions=set_field:1048576->mpls_label",
      "set_field:1048576->mpls_label", "does not fit" },
    { "actions=set_mpls_tc:8", "set_mpls_tc:8", "out of range" },
    { "actions=set_mpls_label:0x100000", "set_mpls_label:0x100000",
      "out of range" },
    { "actions=set_mpls_ttl:256", "set_mpls_ttl:256", "out of range" },
    { "actions=dec_mpls_ttl:3", "dec_mpls_ttl:3", "no argument" },
    { "mpls,actions=load:5->OXM_OF_MPLS_LABEL[0..3]",
      "load:5->OXM_OF_MPLS_LABEL[0..3]", "whole" },
    { "mpls,actions=load:8->OXM_OF_MPLS_TC[]", "load:8->OXM_OF_MPLS_TC[]",
      "does not fit" },
    /* after push_mpls no IP header is promised */
    { "ip,actions=push_mpls:0x8847,set_field:3->nw_ttl",
      "set_field:3->nw_ttl", "after push_mpls" },
    /* after a pop to IPv4, the IPv4 header is, but not its protocol */
    { "mpls,actions=pop_mpls:0x0800,set_field:80->tcp_dst",
      "set_field:80->tcp_dst", "no known protocol" },
};

FLOW_TEST_INDEXES(mpls, refusals, refusals)

ParameterizedTest(size_t *i, mpls, refusals)
{
    flow_test_refused(&refusals[*i]);
}
