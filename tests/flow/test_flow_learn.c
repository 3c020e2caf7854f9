/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn(...): the parser's forms and refusals, the canonical text, the
 * flow a learn makes of a packet (flow_learn_build()), and a learned
 * flow's refresh in the flow table (flow_table_learn()).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "snic/flow.h"

static void
parse_ok(const char *line, struct flow_mod *fm)
{
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, fm, &err), 0, "%s: %s",
                 line, err.msg);
}

/* parse, format, parse again: the same flow, and the expected text */
static void
round_trip(const char *line, const char *want)
{
    struct flow_mod a, b;
    char buf[FLOW_FORMAT_MAX];

    parse_ok(line, &a);
    flow_format_actions(&a.flow, NULL, buf, sizeof(buf));
    cr_expect_str_eq(buf, want);
    flow_format(&a.flow, NULL, buf, sizeof(buf));
    parse_ok(buf, &b);
    cr_expect(flow_equal(&a.flow, &b.flow), "%s", buf);
}

Test(learn, canonical_text_is_open_vswitchs)
{
    round_trip("actions=learn(table=1, hard_timeout=10, "
               "NXM_OF_ETH_DST=NXM_OF_ETH_SRC, output:NXM_OF_IN_PORT),"
               "resubmit(,1)",
               "learn(table=1,hard_timeout=10,NXM_OF_ETH_DST[]="
               "NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)");
    round_trip("actions=learn(priority=65535,idle_timeout=5,"
               "NXM_OF_ETH_SRC[],NXM_OF_VLAN_TCI[0..11],"
               "output:NXM_NX_REG0[0..15])",
               "learn(table=1,idle_timeout=5,priority=65535,"
               "NXM_OF_ETH_SRC[],NXM_OF_VLAN_TCI[0..11],"
               "output:NXM_NX_REG0[0..15])");
    round_trip("udp,actions=learn(cookie=0x5,send_flow_rem,table=0,"
               "dl_dst=00:11:22:33:44:55,reg1[0..31]=0xFF,"
               "load:reg1[0..31]->tun_id[0..31],load:5->reg2,"
               "eth_type=0x800,ip_dst=10.0.0.1,nw_proto=17,udp_src=udp_dst)",
               "learn(table=0,send_flow_rem,cookie=0x5,"
               "eth_dst=00:11:22:33:44:55,reg1=0xff,"
               "load:NXM_NX_REG1[]->NXM_NX_TUN_ID[0..31],"
               "load:0x5->NXM_NX_REG2[],eth_type=0x800,ip_dst=10.0.0.1,"
               "nw_proto=17,NXM_OF_UDP_SRC[]=NXM_OF_UDP_DST[])");
}

struct reject {
    const char *line;
    int code;
    const char *msg;
};

static const struct reject rejects[] = {
    { "actions=learn(table=1,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[])", -EINVAL,
      "matches NXM_OF_IP_SRC only with ip" },
    { "actions=learn(table=1,eth_type=0x800,"
      "NXM_OF_IP_SRC[]=NXM_OF_IP_DST[])", -EINVAL,
      "the source NXM_OF_IP_DST needs the flow to match ip" },
    /* after push_mpls the packet is MPLS: no IP source any more */
    { "ip,actions=push_mpls:0x8847,learn(eth_type=0x800,"
      "NXM_OF_IP_SRC[]=NXM_OF_IP_DST[])", -EINVAL,
      "the source NXM_OF_IP_DST needs ip (eth_type=0x800), but after "
      "push_mpls/pop_mpls the packet is EtherType 0x8847" },
    /* pop_mpls:0x0800 promises IPv4, not TCP */
    { "actions=pop_mpls:0x0800,learn(eth_type=0x800,nw_proto=6,"
      "NXM_OF_TCP_SRC[]=NXM_OF_TCP_DST[])", -EINVAL,
      "after push_mpls/pop_mpls the packet is EtherType 0x0800 with no "
      "known protocol" },
    { "actions=learn(NXM_OF_ETH_DST[]=NXM_OF_VLAN_TCI[])", -EINVAL,
      "the source has 16 bits and the destination 48" },
    { "actions=fin_timeout(idle_timeout=5,priority=3)", -EINVAL,
      "fin_timeout: unknown argument 'priority=3'" },
    { "actions=fin_timeout(idle_timeout=65536)", -ERANGE, "out of range" },
    { "actions=learn(limit=1,result_dst=reg0[0..1],NXM_OF_ETH_SRC[])",
      -EINVAL, "result_dst is a single bit (FIELD[BIT]), not 2 bits" },
    { "actions=learn(result_dst=tun_id[0],NXM_OF_ETH_SRC[])",
      -ENOTSUP, "result_dst into a header or tunnel field" },
    { "actions=learn(result_dst=NXM_OF_ETH_DST[0],NXM_OF_ETH_SRC[])",
      -ENOTSUP, "result_dst into a header or tunnel field" },
    { "actions=learn(delete_learned=1,NXM_OF_ETH_SRC[])", -EINVAL,
      "learn: unknown field 'delete_learned'" },
    { "actions=learn(limit=4294967296,NXM_OF_ETH_SRC[])", -ERANGE,
      "learn limit" },
    { "actions=learn(limit=x,NXM_OF_ETH_SRC[])", -EINVAL, "learn limit" },
    { "actions=learn(load:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[])", -ENOTSUP,
      "a load into a header field is not supported" },
    { "actions=learn(load:5->NXM_OF_VLAN_TCI[])", -ENOTSUP,
      "NXM_OF_VLAN_TCI[] is supported with 0 only" },
    { "actions=learn(table=255)", -ERANGE, "learn table 255" },
    { "actions=learn(nosuch[]=reg0[])", -EINVAL,
      "unknown field 'nosuch'" },
    { "actions=learn(reg0[0..7]=256)", -ERANGE, "out of range" },
    /* subfield bits: the same checks and words as load's and move's */
    { "actions=learn(NXM_NX_REG0[8..1]=reg1[0..7])", -EINVAL,
      "learn: bit 8 comes after bit 1 (write FIELD[FIRST..LAST], lowest "
      "bit first)" },
    { "actions=learn(reg0[0..40]=reg1[])", -ERANGE,
      "learn: bit 40 is beyond reg0's 32 bits (expected bits 0..31)" },
    { "actions=learn(reg0[x]=reg1[])", -EINVAL,
      "learn: malformed subfield 'reg0[x]' (expected FIELD[], FIELD[BIT] "
      "or FIELD[FIRST..LAST])" },
    { "actions=learn(in_port[0..7]=reg0[0..7])", -EINVAL,
      "in_port is matched whole" },
    { "actions=learn", -EINVAL, "learn needs its arguments in parentheses" },
    { "actions=clone(learn(NXM_OF_ETH_SRC[]))", -ENOTSUP,
      "learn inside clone" },
};

ParameterizedTestParameters(learn, refuses)
{
    static size_t idx[sizeof(rejects) / sizeof(rejects[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, learn, refuses)
{
    const struct reject *r = &rejects[*i];
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse(r->line, FLOW_CMD_ADD, NULL, &fm, &err), r->code,
                 "%s: %s", r->line, err.msg);
    cr_expect(strstr(err.msg, r->msg) != NULL, "%s: '%s' lacks '%s'",
              r->line, err.msg, r->msg);
}

static const struct flow_action *
learn_of(const struct flow_mod *fm)
{
    for (unsigned i = 0; i < fm->flow.n_actions; i++)
        if (fm->flow.actions[i].type == FLOW_ACT_LEARN)
            return &fm->flow.actions[i];
    cr_assert_fail("no learn");
    return NULL;
}

Test(learn, build_swaps_addresses_and_ports)
{
    struct flow_mod fm, out;
    struct flow_key k = { 0 };
    struct flow_key probe = { 0 };

    parse_ok("tcp,actions=learn(table=3,priority=9,hard_timeout=60,"
             "cookie=0x77,eth_type=0x800,nw_proto=6,"
             "NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],NXM_OF_IP_DST[]=NXM_OF_IP_SRC[],"
             "NXM_OF_TCP_SRC[]=NXM_OF_TCP_DST[],"
             "NXM_OF_TCP_DST[]=NXM_OF_TCP_SRC[],"
             "load:NXM_NX_REG1[0..7]->NXM_NX_REG2[8..15],output:NXM_OF_IN_PORT[])",
             &fm);
    k.in_port = 5;
    k.dl_type = htons(0x0800);
    k.nw_proto = 6;
    k.nw_src = htonl(0x0a000001);
    k.nw_dst = htonl(0x0a000002);
    k.tp_src = htons(1000);
    k.tp_dst = htons(80);
    k.meta.regs[1] = 0x1234;
    cr_assert_eq(flow_learn_build(learn_of(&fm), &k, &out), 0);
    cr_assert_eq(out.cmd, FLOW_CMD_ADD);
    cr_assert_eq(out.flow.table_id, 3);
    cr_assert_eq(out.flow.priority, 9);
    cr_assert_eq(out.flow.hard_timeout, 60);
    cr_assert_eq(out.flow.cookie, 0x77);
    /* the reply direction matches, the same direction does not */
    probe.dl_type = htons(0x0800);
    probe.nw_proto = 6;
    probe.nw_src = k.nw_dst;
    probe.nw_dst = k.nw_src;
    probe.tp_src = k.tp_dst;
    probe.tp_dst = k.tp_src;
    cr_assert(flow_match_key(&out.flow.match, &probe));
    cr_assert_not(flow_match_key(&out.flow.match, &k));
    cr_assert_null(flow_match_prereq_error(&out.flow.match, NULL));
    cr_assert_eq(out.flow.n_actions, 2);
    cr_assert_eq(out.flow.actions[0].type, FLOW_ACT_LOAD);
    cr_assert_eq(out.flow.actions[0].u.value, 0x34);
    cr_assert_eq(out.flow.actions[0].dst.field, FLOW_FIELD_REG0 + 2);
    cr_assert_eq(out.flow.actions[1].type, FLOW_ACT_OUTPUT);
    cr_assert_eq(out.flow.actions[1].u.port, 5);
}

Test(learn, build_reads_output_ports_as_open_vswitch)
{
    struct flow_mod fm, out;
    struct flow_key k = { 0 };
    const struct flow_action *a;

    parse_ok("actions=learn(NXM_OF_VLAN_TCI[0..11],"
             "output:NXM_NX_REG0[0..15])", &fm);
    a = learn_of(&fm);
    k.vlan_tci = htons(0x1000 | 0x2005);
    k.meta.regs[0] = 0xfffb;            /* FLOOD */
    cr_assert_eq(flow_learn_build(a, &k, &out), 0);
    cr_assert_eq(out.flow.n_actions, 1);
    cr_assert_eq(out.flow.actions[0].u.port, FLOW_PORT_FLOOD);
    /* VID bits only */
    cr_assert_eq(ntohs(out.flow.match.mask.vlan_tci), 0x0fff);
    cr_assert_eq(ntohs(out.flow.match.value.vlan_tci), 0x0005);
    k.meta.regs[0] = 0xfeff;
    cr_assert_eq(flow_learn_build(a, &k, &out), 0);
    cr_assert_eq(out.flow.actions[0].u.port, 0xfeff);
    /* Open vSwitch learns the flow without an output for NORMAL,
     * CONTROLLER, TABLE, 0xff00..0xfff7 and port 0 */
    for (unsigned i = 0; i < 5; i++) {
        k.meta.regs[0] = (uint32_t[]){ 0xfffa, 0xfffd, 0xfff9, 0xff00, 0 }[i];
        cr_assert_eq(flow_learn_build(a, &k, &out), 0);
        cr_assert_eq(out.flow.n_actions, 0, "port 0x%x", k.meta.regs[0]);
    }
}

Test(learn, limit_text_and_the_learned_flows_limit)
{
    struct flow_mod fm, out;
    struct flow_key k = { 0 };

    /* Open vSwitch's place for it: after the cookie, before the specs */
    round_trip("actions=learn(table=1,cookie=0x1,limit=1,dl_dst=dl_src),"
               "output:2",
               "learn(table=1,cookie=0x1,limit=1,NXM_OF_ETH_DST[]="
               "NXM_OF_ETH_SRC[]),output:2");
    round_trip("actions=learn(limit=4294967295,limit=7,reg0[])",
               "learn(table=1,limit=7,NXM_NX_REG0[])");
    /* limit=0 is no limit: nothing kept, nothing printed */
    round_trip("actions=learn(limit=3,reg0[],limit=0,reg1[])",
               "learn(table=1,NXM_NX_REG0[],NXM_NX_REG1[])");
    parse_ok("actions=learn(limit=0,reg0[])", &fm);
    cr_assert_eq(fm.flow.n_actions, 2);
    parse_ok("actions=learn(table=2,limit=3,cookie=0x9,reg0[])", &fm);
    k.meta.regs[0] = 5;
    cr_assert_eq(flow_learn_build(&fm.flow.actions[0], &k, &out), 0);
    cr_assert_eq(out.learn_limit, 3);
    cr_assert_eq(out.flow.cookie, 0x9);
    cr_assert_eq(out.flow.n_actions, 0);
    parse_ok("actions=learn(table=2,reg0[])", &fm);
    cr_assert_eq(flow_learn_build(&fm.flow.actions[0], &k, &out), 0);
    cr_assert_eq(out.learn_limit, 0);
}

Test(learn, a_limit_counts_the_tables_flows_of_the_learned_cookie)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm, other;
    const uint64_t s = 1000000000ull;

    cr_assert_not_null(t);
    parse_ok("table=1,cookie=0x1,dl_dst=02:00:00:00:00:01,actions=output:3",
             &fm);
    fm.learn_limit = 2;
    cr_assert_eq(flow_table_learn(t, &fm, 1 * s), 1);
    /* another cookie, another table: not counted */
    parse_ok("table=1,cookie=0x2,dl_dst=02:00:00:00:00:09,actions=drop",
             &other);
    cr_assert_eq(flow_table_apply(t, &other, 1 * s), 1);
    parse_ok("table=2,cookie=0x1,dl_dst=02:00:00:00:00:09,actions=drop",
             &other);
    cr_assert_eq(flow_table_apply(t, &other, 1 * s), 1);
    fm.flow.match.value.dl_dst[5] = 2;
    cr_assert_eq(flow_table_learn(t, &fm, 2 * s), 1);
    /* two flows of cookie 0x1 in table 1: the third is not learned */
    fm.flow.match.value.dl_dst[5] = 3;
    cr_assert_eq(flow_table_learn(t, &fm, 3 * s), -ENOSPC);
    cr_assert_eq(flow_table_count(t, 1), 3);
    /* one already there is still refreshed */
    fm.flow.match.value.dl_dst[5] = 2;
    cr_assert_eq(flow_table_learn(t, &fm, 4 * s), 0);
    /* every flow of the cookie counts, learned or added */
    fm.learn_limit = 3;
    fm.flow.match.value.dl_dst[5] = 3;
    parse_ok("table=1,cookie=0x1,dl_dst=02:00:00:00:00:08,actions=drop",
             &other);
    cr_assert_eq(flow_table_apply(t, &other, 4 * s), 1);
    cr_assert_eq(flow_table_learn(t, &fm, 5 * s), -ENOSPC);
    /* without a limit it is learned */
    fm.learn_limit = 0;
    cr_assert_eq(flow_table_learn(t, &fm, 6 * s), 1);
    cr_assert_eq(flow_table_count(t, 1), 5);
    flow_table_destroy(t);
}

Test(learn, a_learned_again_flow_restarts_its_hard_timeout_only)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;
    const uint64_t s = 1000000000ull;

    cr_assert_not_null(t);
    parse_ok("table=1,hard_timeout=10,dl_dst=02:00:00:00:00:01,"
             "actions=output:3", &fm);
    cr_assert_eq(flow_table_learn(t, &fm, 1 * s), 1);
    cr_assert_eq(flow_table_learn(t, &fm, 6 * s), 0);
    cr_assert_eq(flow_table_count(t, 1), 1);
    /* 10 s after the first learn, 5 after the second: still there */
    cr_assert_eq(flow_table_expire(t, 11 * s, NULL, 0), 0);
    cr_assert_eq(flow_table_expire(t, 16 * s, NULL, 0), 1);
    /* another action: replaced as an add replaces */
    cr_assert_eq(flow_table_learn(t, &fm, 20 * s), 1);
    fm.flow.actions[0].u.port = 4;
    cr_assert_eq(flow_table_learn(t, &fm, 21 * s), 1);
    cr_assert_eq(flow_table_count(t, 1), 1);
    flow_table_destroy(t);
}

Test(learn, fin_timeouts_text_and_the_learned_flows_first_action)
{
    struct flow_mod fm, out;
    struct flow_key k = { 0 };

    round_trip("actions=learn(fin_hard_timeout=10, fin_idle_timeout=5, "
               "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[], output:NXM_OF_IN_PORT[])",
               "learn(table=1,fin_idle_timeout=5,fin_hard_timeout=10,"
               "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])");
    round_trip("tcp,actions=fin_timeout(hard_timeout=7, idle_timeout=5),"
               "fin_timeout(idle_timeout=1),output:1",
               "fin_timeout(idle_timeout=5,hard_timeout=7),"
               "fin_timeout(idle_timeout=1),output:1");
    parse_ok("actions=learn(fin_idle_timeout=5,NXM_OF_ETH_DST[]="
             "NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])", &fm);
    k.in_port = 3;
    cr_assert_eq(flow_learn_build(learn_of(&fm), &k, &out), 0);
    cr_assert_eq(out.flow.n_actions, 2);
    cr_assert_eq(out.flow.actions[0].type, FLOW_ACT_FIN_TIMEOUT);
    cr_assert_eq(out.flow.actions[0].u.learn_fin.fin_idle_timeout, 5);
    cr_assert_eq(out.flow.actions[0].u.learn_fin.fin_hard_timeout, 0);
    cr_assert_eq(out.flow.actions[1].type, FLOW_ACT_OUTPUT);
}

Test(learn, fin_timeout_only_shortens)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;
    const struct flow_entry *e;
    const uint64_t s = 1000000000ull;

    cr_assert_not_null(t);
    parse_ok("idle_timeout=60,hard_timeout=4,actions=output:3", &fm);
    cr_assert_eq(flow_table_apply(t, &fm, 1 * s), 1);
    e = flow_table_find(t, 1);
    cr_assert_not_null(e);
    /* idle 60 -> 5; hard 4 is shorter than 7: kept */
    cr_assert_eq(flow_table_fin_timeout(t, 1, 5, 7), 1);
    e = flow_table_find(t, 1);
    cr_assert_eq(e->flow.idle_timeout, 5);
    cr_assert_eq(e->flow.hard_timeout, 4);
    /* nothing shorter: unchanged */
    cr_assert_eq(flow_table_fin_timeout(t, 1, 9, 0), 0);
    cr_assert_eq(flow_table_fin_timeout(t, 99, 1, 1), -ENOENT);
    /* the idle timeout counts from the last use */
    cr_assert_eq(flow_table_expire(t, 5 * s, NULL, 0), 1);
    flow_table_destroy(t);
}

/* Neutron's br-tun MAC learning: the learned flow pops the tag, sets the
 * tunnel id it came with and outputs to the 32-bit in_port */
Test(learn, neutrons_br_tun_learn)
{
    struct flow_mod fm, out;
    struct flow_key k = { 0 };

    parse_ok("table=10,actions=learn(table=20,hard_timeout=300,priority=1,"
             "cookie=0x8f3,NXM_OF_VLAN_TCI[0..11],"
             "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],"
             "load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],"
             "output:OXM_OF_IN_PORT[]),output:1", &fm);
    k.in_port = 7;
    k.vlan_tci = htons(0x1000 | 12);
    k.dl_src[5] = 0x44;
    k.tun_id = htobe64(0x55);
    cr_assert_eq(flow_learn_build(learn_of(&fm), &k, &out), 0);
    cr_assert_eq(out.flow.table_id, 20);
    cr_assert_eq(out.flow.cookie, 0x8f3);
    cr_assert_eq(ntohs(out.flow.match.value.vlan_tci), 12);
    cr_assert_eq(out.flow.match.value.dl_dst[5], 0x44);
    cr_assert_eq(out.flow.n_actions, 3);
    cr_assert_eq(out.flow.actions[0].type, FLOW_ACT_STRIP_VLAN);
    cr_assert_eq(out.flow.actions[1].type, FLOW_ACT_LOAD);
    cr_assert_eq(out.flow.actions[1].dst.field, FLOW_FIELD_TUN_ID);
    cr_assert_eq(out.flow.actions[1].u.value, 0x55);
    cr_assert_eq(out.flow.actions[2].type, FLOW_ACT_OUTPUT);
    cr_assert_eq(out.flow.actions[2].u.port, 7);
    /* OXM_OF_IN_PORT of LOCAL is wider than 16 bits: no output, as in
     * Open vSwitch */
    k.in_port = FLOW_PORT_LOCAL;
    cr_assert_eq(flow_learn_build(learn_of(&fm), &k, &out), 0);
    cr_assert_eq(out.flow.n_actions, 2);
}

/* Open vSwitch checks a learn's sources against the packet as the actions
 * before it leave it: after pop_mpls:0x0800 the packet is IPv4 (its
 * ofproto-dpif MPLS test flow) */
Test(learn, a_source_after_pop_mpls_is_checked_against_the_popped_type)
{
    struct flow_mod fm, out;
    struct flow_key k = { 0 };

    round_trip("cookie=0xd dl_src=60:66:66:66:00:07 actions=pop_mpls:0x0800,"
               "learn(table=1,hard_timeout=60,eth_type=0x800,nw_proto=6,"
               "OXM_OF_IPV4_SRC[]=OXM_OF_IPV4_DST[]),controller",
               "pop_mpls:0x0800,learn(table=1,hard_timeout=60,"
               "eth_type=0x800,nw_proto=6,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[]),"
               "CONTROLLER:65535");
    parse_ok("mpls,actions=pop_mpls:0x86dd,learn(NXM_NX_REG0[0..7]="
             "NXM_OF_IP_PROTO[])", &fm);
    /* the learn reads the popped packet's header */
    parse_ok("actions=pop_mpls:0x0800,learn(table=1,eth_type=0x800,"
             "NXM_OF_IP_SRC[]=NXM_OF_IP_DST[])", &fm);
    k.dl_type = htons(0x0800);
    k.nw_dst = htonl(0x0a000009);
    cr_assert_eq(flow_learn_build(learn_of(&fm), &k, &out), 0);
    cr_assert_eq(ntohl(out.flow.match.value.nw_src), 0x0a000009);
}

/* result_dst: Open vSwitch's place for it (after limit=, before the
 * specs) and its NXM name */
Test(learn, result_dst_text_is_open_vswitchs)
{
    struct flow_mod fm, out;
    struct flow_key k = { 0 };
    const struct flow_action *r;

    char buf[FLOW_FORMAT_MAX];

    round_trip("table=0 in_port=1 actions=learn(table=1,cookie=0x1,limit=1,"
               "result_dst=reg0[0],dl_dst=dl_src),controller",
               "learn(table=1,cookie=0x1,limit=1,result_dst=NXM_NX_REG0[0],"
               "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]),CONTROLLER:65535");
    /* Open vSwitch's learn.at line: its arguments in any order */
    parse_ok("table=0 in_port=1 actions=learn(table=1,dl_dst=dl_src,"
             "cookie=0x1,limit=1,result_dst=reg0[0]),controller", &fm);
    flow_format_actions(&fm.flow, NULL, buf, sizeof(buf));
    cr_expect_str_eq(buf, "learn(table=1,cookie=0x1,limit=1,"
                     "result_dst=NXM_NX_REG0[0],NXM_OF_ETH_DST[]="
                     "NXM_OF_ETH_SRC[]),CONTROLLER:65535");
    round_trip("actions=learn(result_dst=reg6[3],result_dst=metadata[63],"
               "reg0[])",
               "learn(table=1,result_dst=OXM_OF_METADATA[63],"
               "NXM_NX_REG0[])");
    parse_ok("actions=learn(limit=2,result_dst=reg6[0],reg0[])", &fm);
    r = flow_learn_result(learn_of(&fm));
    cr_assert_not_null(r);
    cr_assert_eq(r->dst.field, FLOW_FIELD_REG0 + 6);
    cr_assert(flow_learn_valid(learn_of(&fm)));
    /* the learned flow itself carries nothing of it */
    cr_assert_eq(flow_learn_build(learn_of(&fm), &k, &out), 0);
    cr_assert_eq(out.flow.n_actions, 0);
    cr_assert_eq(out.learn_limit, 2);
    parse_ok("actions=learn(reg0[])", &fm);
    cr_assert_null(flow_learn_result(learn_of(&fm)));
}

/* what the worker decided: room reserved is added past the count, a flow
 * it saw is only refreshed */
Test(learn, the_datapaths_decision_comes_first)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;

    cr_assert_not_null(t);
    parse_ok("table=1,cookie=0x1,dl_dst=02:00:00:00:00:01,actions=drop",
             &fm);
    fm.learn_limit = 1;
    cr_assert_eq(flow_table_learn(t, &fm, 1), 1);
    fm.flow.match.value.dl_dst[5] = 2;
    cr_assert_eq(flow_table_learn(t, &fm, 1), -ENOSPC);
    fm.learn_mode = FLOW_LEARN_RESERVED;
    cr_assert_eq(flow_table_learn(t, &fm, 1), 1);
    cr_assert_eq(flow_table_cookie_flows(t, 1, 0x1, NULL, NULL), 2);
    fm.learn_mode = FLOW_LEARN_REFRESH;
    cr_assert_eq(flow_table_learn(t, &fm, 2), 0);
    fm.flow.match.value.dl_dst[5] = 3;
    cr_assert_eq(flow_table_learn(t, &fm, 2), -ENOENT);
    cr_assert_eq(flow_table_count(t, 1), 2);
    cr_assert_eq(flow_table_cookie_flows(t, 1, 0x2, NULL, NULL), 0);
    flow_table_destroy(t);
}

/* delete_learned (Open vSwitch's learn.at line): printed after
 * send_flow_rem; when the last flow holding it for (table, cookie) goes,
 * so do that table's flows of the cookie, inside a transaction too */
Test(learn, delete_learned_deletes_the_learned_cookies_flows)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod a, b, l, del;
    char buf[FLOW_FORMAT_MAX];

    cr_assert_not_null(t);
    parse_ok("table=1 actions=learn(table=10,delete_learned,cookie=0x123,"
             "limit=3,result_dst=NXM_NX_REG6[0],NXM_OF_ETH_DST[]="
             "NXM_OF_ETH_SRC[],OXM_OF_METADATA[],output:NXM_NX_REG7)", &a);
    flow_format_actions(&a.flow, NULL, buf, sizeof(buf));
    cr_expect_str_eq(buf, "learn(table=10,delete_learned,cookie=0x123,"
                     "limit=3,result_dst=NXM_NX_REG6[0],NXM_OF_ETH_DST[]="
                     "NXM_OF_ETH_SRC[],OXM_OF_METADATA[],"
                     "output:NXM_NX_REG7[])");
    cr_assert_eq(flow_table_apply(t, &a, 1), 1);
    parse_ok("table=2,actions=learn(table=10,delete_learned,cookie=0x123,"
             "NXM_OF_ETH_SRC[])", &b);
    cr_assert_eq(flow_table_apply(t, &b, 1), 1);
    /* learned (and hand-made) flows of table 10, cookie 0x123, and one
     * of another cookie */
    parse_ok("table=10,cookie=0x123,dl_dst=02:00:00:00:00:01,"
             "actions=output:1", &l);
    cr_assert_eq(flow_table_learn(t, &l, 1), 1);
    l.flow.match.value.dl_dst[5] = 2;
    cr_assert_eq(flow_table_apply(t, &l, 1), 1);
    l.flow.cookie = 0x5;
    l.flow.match.value.dl_dst[5] = 3;
    cr_assert_eq(flow_table_apply(t, &l, 1), 1);
    cr_assert_eq(flow_table_count(t, 10), 3);
    /* one of the two holders goes: the other still holds */
    parse_ok("table=2,actions=drop", &del);
    del.cmd = FLOW_CMD_DELETE;
    cr_assert_eq(flow_table_apply(t, &del, 2), 1);
    cr_assert_eq(flow_table_count(t, 10), 3);
    /* the last one modified away from the learn, in a transaction that
     * is rolled back: all come back */
    parse_ok("table=1,actions=output:4", &del);
    del.cmd = FLOW_CMD_MODIFY;
    cr_assert_eq(flow_table_begin(t), 0);
    cr_assert_eq(flow_table_apply(t, &del, 3), 1);
    cr_assert_eq(flow_table_count(t, 10), 1);
    flow_table_rollback(t);
    cr_assert_eq(flow_table_count(t, 10), 3);
    /* and for good: only the other cookie's flow stays */
    cr_assert_eq(flow_table_apply(t, &del, 3), 1);
    cr_assert_eq(flow_table_count(t, 10), 1);
    cr_assert_eq(flow_table_cookie_flows(t, 10, 0x5, NULL, NULL), 1);
    flow_table_destroy(t);
}

/* a learning flow that expires takes its learned flows with it */
Test(learn, delete_learned_on_expiry)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod a, l;
    const uint64_t s = 1000000000ull;

    cr_assert_not_null(t);
    parse_ok("table=0,hard_timeout=5,actions=learn(table=1,delete_learned,"
             "NXM_OF_ETH_SRC[])", &a);
    cr_assert_eq(flow_table_apply(t, &a, 1 * s), 1);
    parse_ok("table=1,dl_src=02:00:00:00:00:01,actions=drop", &l);
    cr_assert_eq(flow_table_learn(t, &l, 1 * s), 1);
    cr_assert_eq(flow_table_expire(t, 3 * s, NULL, 0), 0);
    cr_assert_eq(flow_table_count(t, 1), 1);
    cr_assert_eq(flow_table_expire(t, 7 * s, NULL, 0), 1);
    cr_assert_eq(flow_table_count(t, 1), 0);
    cr_assert_eq(flow_table_count(t, 0), 0);
    flow_table_destroy(t);
}
