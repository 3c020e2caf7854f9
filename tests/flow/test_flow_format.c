/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The formatter: canonical lines for known flows, and the property that
 * parse(format(f)) == f on random flows built directly in the model (not
 * through the parser), covering every field, mask shape and action.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <endian.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "flow_test_ports.h"

struct canon_case {
    const char *in;
    const char *out;
};

static const struct canon_case canonical_cases[] = {
    { "actions=drop", "cookie=0x0, table=0, actions=drop" },
    { "in_port=vf0 actions=uplink",
      "cookie=0x0, table=0, in_port=vf0 actions=output:uplink" },
    { "tp_dst=80,priority=100,ip,nw_proto=6,nw_src=10.1.0.0/16,"
      "table=2,actions=mod_tp_dst:8080,output:2",
      "cookie=0x0, table=2, priority=100,tcp,nw_src=10.1.0.0/16,"
      "tp_dst=80 actions=mod_tp_dst:8080,output:pf" },
    { "hard_timeout=30,idle_timeout=5,cookie=0xff,ipv6,"
      "ipv6_dst=2001:db8:0:0::1/64,actions=drop",
      "cookie=0xff, table=0, idle_timeout=5, hard_timeout=30, ipv6,"
      "ipv6_dst=2001:db8::/64 actions=drop" },
    { "dl_vlan=10,dl_vlan_pcp=2,actions=strip_vlan,output:1",
      "cookie=0x0, table=0, dl_vlan=10,dl_vlan_pcp=2 "
      "actions=strip_vlan,output:uplink" },
    { "dl_vlan=0xffff,actions=mod_vlan_vid:3,output:1",
      "cookie=0x0, table=0, vlan_tci=0x0000 "
      "actions=mod_vlan_vid:3,output:uplink" },
    { "vlan_tci=0x1000/0x1000,actions=set_field:7->vlan_vid,output:1",
      "cookie=0x0, table=0, vlan_tci=0x1000/0x1000 "
      "actions=set_field:4103->vlan_vid,output:uplink" },
    /* VID 1 with OFPVID_PRESENT as Neutron's br-tun writes it, in a line
     * only OpenFlow 1.1+ carries: printed as given, since Open vSwitch
     * refuses set_field:1->vlan_vid there */
    { "tun_id=0x64,actions=push_vlan:0x8100,set_field:4097->vlan_vid,"
      "goto_table:10",
      "cookie=0x0, table=0, tun_id=0x64 "
      "actions=push_vlan:0x8100,set_field:4097->vlan_vid,goto_table:10" },
    /* tp_src/tp_dst are tcp_src/tcp_dst; ICMP's type and code keep their
     * names, which mean another action to Open vSwitch than mod_tp_* */
    { "tcp,actions=set_field:80->tp_src,set_field:81->tp_dst,output:1",
      "cookie=0x0, table=0, tcp actions=mod_tp_src:80,mod_tp_dst:81,"
      "output:uplink" },
    { "icmp,actions=set_field:3->icmp_type,set_field:0x1->icmp_code,"
      "output:1",
      "cookie=0x0, table=0, icmp actions=set_field:3->icmp_type,"
      "set_field:1->icmp_code,output:uplink" },
    { "icmp6,actions=set_field:136->icmpv6_type,set_field:255->icmpv6_code",
      "cookie=0x0, table=0, icmp6 actions=set_field:136->icmpv6_type,"
      "set_field:255->icmpv6_code" },
    { "vlan_tci=0x1000/0x1000,actions=set_field:0x1203/0x1fff->vlan_tci,"
      "set_field:0xe000/0xe000->vlan_tci,set_field:4101->vlan_tci",
      "cookie=0x0, table=0, vlan_tci=0x1000/0x1000 "
      "actions=set_field:0x1203/0x1fff->vlan_tci,"
      "set_field:0xe000/0xe000->vlan_tci,set_field:0x1005->vlan_tci" },
    { "actions=push_vlan:0x8100,set_field:0x1fff/0x0fff->vlan_tci",
      "cookie=0x0, table=0, actions=push_vlan:0x8100,"
      "set_field:0x0fff/0x0fff->vlan_tci" },
    { "in_port=7,actions=set_field:3->in_port,7",
      "cookie=0x0, table=0, in_port=7 actions=set_field:3->in_port,"
      "output:7" },
    { "actions=set_field:vf1->in_port,set_field:LOCAL->in_port,in_port",
      "cookie=0x0, table=0, actions=set_field:vf1->in_port,"
      "set_field:LOCAL->in_port,IN_PORT" },
    { "icmp6,icmp_type=135,actions=drop",
      "cookie=0x0, table=0, icmp6,icmp_type=135 actions=drop" },
    { "udp,tp_src=0x100/0xff00,ip_dscp=10,actions=set_field:20->ip_dscp,"
      "output:1",
      "cookie=0x0, table=0, udp,nw_tos=40,tp_src=0x100/0xff00 "
      "actions=mod_nw_tos:80,output:uplink" },
    { "tun_id=5,tun_dst=10.0.0.0/255.0.255.0,in_port=vxlan0,"
      "actions=goto_table:1",
      "cookie=0x0, table=0, tun_id=0x5,tun_dst=10.0.0.0/255.0.255.0,"
      "in_port=vxlan0 actions=goto_table:1" },
    { "in_port=vf1,actions=set_tunnel:0x64,set_field:1.1.1.1->tun_dst,"
      "output:vxlan0",
      "cookie=0x0, table=0, in_port=vf1 actions=set_tunnel:0x64,"
      "set_field:1.1.1.1->tun_dst,output:vxlan0" },
    { "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=pf,vf7",
      "cookie=0x0, table=0, dl_dst=01:00:00:00:00:00/"
      "01:00:00:00:00:00 actions=output:pf,output:vf7" },
    { "dl_type=0x88cc,actions=drop",
      "cookie=0x0, table=0, dl_type=0x88cc actions=drop" },
    { "arp,nw_proto=1,actions=drop",
      "cookie=0x0, table=0, arp,nw_proto=1 actions=drop" },
    /* Open vSwitch's spellings come out in one canonical form */
    { "importance=7,check_overlap,send_flow_rem,priority=5,ip6,"
      "action=DROP",
      "cookie=0x0, table=0, send_flow_rem check_overlap importance=7, "
      "priority=5,ipv6 actions=drop" },
    { "table=255,in_port=0,actions=Pop_Vlan,output(2),goto_table(3)",
      "cookie=0x0, table=0, in_port=0 "
      "actions=strip_vlan,output:pf,goto_table:3" },
    { "actions=output(max_len=64,port=2),output:3",
      "cookie=0x0, table=0, actions=output(port=pf,max_len=64),"
      "output:3" },
    { "tcp,tcp_dst=22,tcp_flags=0x2/0x12,actions=drop",
      "cookie=0x0, table=0, tcp,tp_dst=22,tcp_flags=+syn-ack "
      "actions=drop" },
    { "tcp6,tcp_flags=0x812,actions=drop",
      "cookie=0x0, table=0, tcp6,tcp_flags=syn|ack|[800] actions=drop" },
    { "tcp,tcp_flags=0/0xfff,packet_type=(0,0),actions=drop",
      "cookie=0x0, table=0, tcp,tcp_flags=0 actions=drop" },
    /* Open vSwitch keeps set_field onto nw_ttl apart from mod_nw_ttl
     * (OpenFlow 1.3 encodes them differently), not onto ip_ecn */
    { "ip,actions=set_field:9->nw_ttl,set_field:1->ip_ecn,mod_nw_ttl:0",
      "cookie=0x0, table=0, ip "
      "actions=set_field:9->nw_ttl,mod_nw_ecn:1,mod_nw_ttl:0" },
    /* Open vSwitch's spelling: registers one by one in hexadecimal, NXM
     * names in subfields, masked loads as one load per run */
    { "pkt_mark=0x0/0xff,xreg0=0x500000006,metadata=0x10,in_port=1,"
      "actions=load:0->reg5[],move:NXM_NX_REG0[0..3]->reg1[4..7],"
      "output:reg1[0..15],set_field:0xf000/0xff00ff->xreg3",
      "cookie=0x0, table=0, in_port=uplink,reg0=0x5,reg1=0x6,"
      "metadata=0x10,pkt_mark=0/0xff actions=load:0->NXM_NX_REG5[],"
      "move:NXM_NX_REG0[0..3]->NXM_NX_REG1[4..7],"
      "output:NXM_NX_REG1[0..15],set_field:0/0xff00ff->xreg3" },
    /* set_field stays set_field (Open vSwitch prints it so), each one
     * whole even on the same register */
    { "actions=set_field:1->reg0,set_field:0x10/0xf0->reg0,"
      "set_field:2/0xf->reg0,set_field:0x1234->xxreg2,"
      "set_field:0->pkt_mark",
      "cookie=0x0, table=0, actions=set_field:0x1->reg0,"
      "set_field:0x10/0xf0->reg0,set_field:0x2/0xf->reg0,"
      "set_field:0x1234->xxreg2,set_field:0->pkt_mark" },
    { "table=1,actions=resubmit(,1),resubmit:2,resubmit(vf0,3),"
      "write_metadata:0xff,goto_table:2",
      "cookie=0x0, table=1, actions=resubmit(,1),resubmit:pf,"
      "resubmit(vf0,3),write_metadata:0xff,goto_table:2"
      },
    /* clone's body in its parentheses; set_field loads grouped only up
     * to its end; the list goes on after it */
    { "dl_vlan=5,actions=clone(strip_vlan,set_field:1->reg0,"
      "mod_dl_src:00:00:00:00:00:01,output:2),set_field:7->vlan_vid,"
      "clone(push_vlan:0x8100,load:3->reg1),output:3",
      "cookie=0x0, table=0, dl_vlan=5 actions=clone(strip_vlan,"
      "set_field:0x1->reg0,mod_dl_src:00:00:00:00:00:01,output:pf),"
      "set_field:4103->vlan_vid,clone(push_vlan:0x8100,"
      "load:0x3->NXM_NX_REG1[]),output:3" },
    /* a resubmit inside a clone comes back to its body */
    { "table=2 in_port=1 actions=clone(set_field:5->reg1, resubmit(,1)),"
      "output:3",
      "cookie=0x0, table=2, in_port=uplink actions=clone(set_field:0x5->"
      "reg1,resubmit(,1)),output:3" },
    /* conjunctive matches as Open vSwitch prints them */
    { "priority=5,tcp,tp_dst=80,actions=conjunction(1,2/2),"
      "conjunction(0x10,1/3)",
      "cookie=0x0, table=0, priority=5,tcp,tp_dst=80 "
      "actions=conjunction(1,2/2),conjunction(16,1/3)" },
    { "priority=5,conj_id=0x10,reg0=1,actions=drop",
      "cookie=0x0, table=0, priority=5,reg0=0x1,conj_id=16 actions=drop" },
};

#define N_CANONICAL (sizeof(canonical_cases) / sizeof(canonical_cases[0]))

/* Parameters reach the test's own process by value: pass only an index, as
 * pointers to literals or functions need not be valid there. */
ParameterizedTestParameters(format, canonical)
{
    static size_t idx[N_CANONICAL];

    for (size_t i = 0; i < N_CANONICAL; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, N_CANONICAL);
}

ParameterizedTest(size_t *i, format, canonical)
{
    const struct canon_case *tc = &canonical_cases[*i];
    struct flow_mod fm;
    struct flow_error err;
    char buf[FLOW_FORMAT_MAX];

    cr_assert_eq(flow_parse(tc->in, FLOW_CMD_ADD, &test_ports, &fm, &err),
                 0, "'%s': %s", tc->in, err.msg);
    flow_format(&fm.flow, &test_ports, buf, sizeof(buf));
    cr_assert_str_eq(buf, tc->out);
}

Test(format, behaves_like_snprintf)
{
    struct flow_mod fm;
    char small[16], big[FLOW_FORMAT_MAX];
    int need;

    cr_assert_eq(flow_parse("tcp,tp_dst=80,actions=output:1", FLOW_CMD_ADD,
                            NULL, &fm, NULL), 0);
    need = flow_format(&fm.flow, NULL, big, sizeof(big));
    cr_assert_eq((size_t)need, strlen(big));
    cr_assert_eq(flow_format(&fm.flow, NULL, small, sizeof(small)), need);
    cr_assert_eq(strlen(small), sizeof(small) - 1);
    cr_assert(strncmp(small, big, sizeof(small) - 1) == 0);
    cr_assert_eq(flow_format(&fm.flow, NULL, NULL, 0), need);
    cr_assert_eq(flow_format_actions(&fm.flow, NULL, big, sizeof(big)),
                 (int)strlen("output:1"));
    cr_assert_str_eq(big, "output:1");
}

Test(format, entry_line_parses_back)
{
    /* an entry keeps its match compact, after its actions */
    union {
        struct flow_entry e;
        uint64_t room[sizeof(struct flow_entry) / 8 + 2 * FLOW_KEY_WORDS];
    } u;
    struct flow_entry *e = &u.e;
    struct flow_mod fm;
    struct flow_error err;
    struct flow back;
    char buf[FLOW_FORMAT_MAX];

    memset(&u, 0, sizeof(u));
    cr_assert_eq(flow_parse("priority=9,udp,udp_dst=4789,actions=output:1",
                            FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    cr_assert_leq(flow_entry_size(&fm.flow, 0), sizeof(u));
    flow_entry_set_flow(e, &fm.flow);
    e->created_ns = 1000000000ull;
    e->n_packets = 7;
    e->n_bytes = 420;
    flow_entry_flow(e, &back);
    cr_assert(flow_equal(&fm.flow, &back));
    flow_entry_format(e, 3250000000ull, &test_ports, buf, sizeof(buf));
    cr_assert_str_eq(buf, "cookie=0x0, duration=2.250s, table=0, "
                     "n_packets=7, n_bytes=420, priority=9,udp,tp_dst=4789 "
                     "actions=output:uplink");
    cr_assert_eq(flow_parse(buf, FLOW_CMD_ADD, &test_ports, &fm, &err), 0,
                 "%s", err.msg);
    cr_assert(flow_equal(&fm.flow, &back));
}

/* ------------------------------------------------------------------------
 * Random flows
 * ------------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
    /* xorshift64*: reproducible from the seed printed on failure */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static bool
coin(void)
{
    return rnd() & 1;
}

static void
rnd_bytes(void *p, size_t size)
{
    uint8_t *b = p;

    for (size_t i = 0; i < size; i++)
        b[i] = (uint8_t)rnd();
}

static uint32_t
rnd_prefix_mask(unsigned bits)
{
    unsigned plen = 1 + (unsigned)(rnd() % bits);

    return plen == 32 ? 0xffffffffu : ~(0xffffffffu >> plen);
}

/* A non-zero IPv4 mask: a prefix, or any bits at all. */
static void
rnd_ipv4(flow_be32 *v, flow_be32 *m)
{
    uint32_t mask = coin() ? rnd_prefix_mask(32) : (uint32_t)rnd();

    if (mask == 0)
        mask = 1;
    *m = htonl(mask);
    *v = (flow_be32)rnd() & *m;
}

static void
rnd_port(uint32_t *port)
{
    static const uint32_t named[] = { 1, 2, 10, 13, 17, 100 };

    if (coin())
        *port = named[rnd() % 6];
    else
        *port = 1 + (uint32_t)(rnd() % FLOW_PORT_MAX);
}

static void
rnd_match(struct flow *f)
{
    struct flow_key *v = &f->match.value, *m = &f->match.mask;
    unsigned l3 = (unsigned)(rnd() % 5);    /* none ip ipv6 arp other */
    uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, 0, 0, 47 };
    bool l4 = false, icmp = false;

    if (coin())
        rnd_port(&v->in_port), m->in_port = 0xffffffff;
    if (coin()) {
        rnd_bytes(v->dl_src, 6);
        if (coin())
            memset(m->dl_src, 0xff, 6);
        else
            rnd_bytes(m->dl_src, 6), m->dl_src[0] |= 1;
    }
    if (coin())
        rnd_bytes(v->dl_dst, 6), memset(m->dl_dst, 0xff, 6);
    switch (rnd() % 6) {
    case 1:
        v->vlan_tci = htons((uint16_t)(FLOW_VLAN_CFI | (rnd() & 0xfff)));
        m->vlan_tci = htons(0x1fff);
        break;
    case 2:
        v->vlan_tci = htons((uint16_t)(FLOW_VLAN_CFI | (rnd() & 0xe000)));
        m->vlan_tci = htons(0xf000);
        break;
    case 3:
        m->vlan_tci = 0xffff;
        break;
    case 4:
        m->vlan_tci = htons((uint16_t)(rnd() | 1));
        v->vlan_tci = (flow_be16)rnd();
        break;
    }
    if (l3 == 1 || l3 == 2) {
        v->dl_type = htons(l3 == 1 ? 0x0800 : 0x86dd);
        m->dl_type = 0xffff;
        if (coin()) {
            uint8_t p = protos[rnd() % 6];

            if (p == 0)
                p = l3 == 1 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
            v->nw_proto = p;
            m->nw_proto = 0xff;
            l4 = p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP;
            icmp = p == IPPROTO_ICMP || p == IPPROTO_ICMPV6;
        }
        if (coin())
            v->nw_tos = (uint8_t)(rnd() & 0xfc), m->nw_tos = 0xfc;
        if (coin())
            v->nw_ttl = (uint8_t)rnd(), m->nw_ttl = 0xff;
    } else if (l3 == 3) {
        v->dl_type = htons(0x0806);
        m->dl_type = 0xffff;
        if (coin())
            v->nw_proto = (uint8_t)rnd(), m->nw_proto = 0xff;
    } else if (l3 == 4) {
        v->dl_type = htons((uint16_t)(0x9000 + rnd() % 0x1000));
        m->dl_type = 0xffff;
    }
    if (l3 == 1 || l3 == 3) {
        if (coin())
            rnd_ipv4(&v->nw_src, &m->nw_src);
        if (coin())
            rnd_ipv4(&v->nw_dst, &m->nw_dst);
    }
    if (l3 == 2) {
        unsigned plen = 1 + (unsigned)(rnd() % 128);

        rnd_bytes(v->ipv6_src, 16);
        for (unsigned i = 0; i < plen; i++)
            m->ipv6_src[i / 8] |= (uint8_t)(0x80u >> (i % 8));
        if (coin())
            rnd_bytes(v->ipv6_dst, 16), memset(m->ipv6_dst, 0xff, 16);
    }
    if (l4 && v->nw_proto == IPPROTO_TCP && coin()) {
        m->tcp_flags = htons((uint16_t)(coin() ? 0xfff : rnd() & 0xfff));
        v->tcp_flags = (flow_be16)rnd();
    }
    if (l4) {
        if (coin())
            v->tp_src = (flow_be16)rnd(), m->tp_src = 0xffff;
        if (coin())
            v->tp_dst = (flow_be16)rnd(),
            m->tp_dst = (flow_be16)(rnd() | 0x100);
    } else if (icmp) {
        if (coin())
            v->tp_src = htons((uint16_t)(rnd() & 0xff)), m->tp_src = 0xffff;
        if (coin())
            v->tp_dst = htons((uint16_t)(rnd() & 0xff)), m->tp_dst = 0xffff;
    }
    if (coin()) {
        v->tun_id = rnd();
        m->tun_id = coin() ? UINT64_MAX : (rnd() | 1);
    }
    if (coin())
        rnd_ipv4(&v->tun_src, &m->tun_src);
    if (coin())
        rnd_ipv4(&v->tun_dst, &m->tun_dst);
    for (unsigned r = 0; r < FLOW_N_REGS; r++)
        if (rnd() % 8 == 0) {
            v->meta.regs[r] = (uint32_t)rnd();
            m->meta.regs[r] = coin() ? UINT32_MAX : (uint32_t)rnd();
        }
    if (rnd() % 8 == 0)
        v->meta.metadata = rnd(), m->meta.metadata = coin() ? UINT64_MAX
                                                             : rnd();
    if (rnd() % 8 == 0)
        v->meta.pkt_mark = (uint32_t)rnd(), m->meta.pkt_mark = UINT32_MAX;
    if (rnd() % 8 == 0)
        v->meta.conj_id = (uint32_t)rnd(), m->meta.conj_id = UINT32_MAX;
    if (rnd() % 8 == 0) {
        m->meta.ct_state = coin() ? FLOW_CS_ALL : (uint8_t)rnd();
        /* +inv would forbid ct(commit) in the actions */
        v->meta.ct_state = (uint8_t)(rnd() & ~FLOW_CS_INVALID);
    }
    if (rnd() % 8 == 0)
        v->meta.ct_zone = (uint16_t)rnd(), m->meta.ct_zone = UINT16_MAX;
    if (rnd() % 8 == 0)
        v->meta.ct_mark = (uint32_t)rnd(),
        m->meta.ct_mark = coin() ? UINT32_MAX : (uint32_t)rnd();
    if (rnd() % 8 == 0) {
        v->meta.ct_label[0] = rnd(), v->meta.ct_label[1] = rnd();
        m->meta.ct_label[0] = coin() ? UINT64_MAX : rnd();
        m->meta.ct_label[1] = coin() ? UINT64_MAX : rnd();
    }
    flow_match_normalise(&f->match);
}

/* A random subfield of at most @max_bits bits, of a random field that
 * any action may write (not ct_mark / ct_label: ct's exec() only). */
static void
rnd_subfield(struct flow_subfield *sf, unsigned max_bits)
{
    unsigned field = FLOW_FIELD_REG0
        + (unsigned)(rnd() % (FLOW_FIELD_CT_MARK - FLOW_FIELD_REG0));
    unsigned width = flow_field_width(field);
    unsigned n = 1 + (unsigned)(rnd() % (width < max_bits ? width
                                                          : max_bits));

    if (coin())
        n = width < max_bits ? width : max_bits;
    sf->field = (uint8_t)field;
    sf->n_bits = (uint8_t)n;
    sf->ofs = (uint8_t)(rnd() % (width - n + 1));
    sf->pad = 0;
}

static void
rnd_actions(struct flow *f)
{
    const struct flow_match *m = &f->match;
    bool ip = flow_match_is_ipv4(m) || flow_match_is_ipv6(m);
    bool tagged = flow_match_is_tagged(m);
    unsigned n = (unsigned)(rnd() % 10);

    for (unsigned i = 0; i < n; i++) {
        struct flow_action *a = &f->actions[f->n_actions];

        memset(a, 0, sizeof(*a));
        switch (rnd() % 20) {
        case 0:
            a->type = FLOW_ACT_OUTPUT;
            rnd_port(&a->u.port);
            break;
        case 1:
            a->type = FLOW_ACT_PUSH_VLAN;
            a->u.tpid = htons(coin() ? 0x8100 : 0x88a8);
            tagged = true;
            break;
        case 2:
            a->u.vlan.push_if_untagged = !tagged || coin();
            a->type = coin() ? FLOW_ACT_MOD_VLAN_VID : FLOW_ACT_MOD_VLAN_PCP;
            if (a->type == FLOW_ACT_MOD_VLAN_VID)
                a->u.vlan.vid = htons((uint16_t)(rnd() & 0xfff));
            else
                a->u.vlan.pcp = (uint8_t)(rnd() & 7);
            tagged = true;
            break;
        case 3:
            /* OpenFlow 1.0: strip_vlan needs no tag */
            a->type = FLOW_ACT_STRIP_VLAN;
            tagged = false;
            break;
        case 4:
            a->type = coin() ? FLOW_ACT_MOD_DL_SRC : FLOW_ACT_MOD_DL_DST;
            rnd_bytes(a->u.mac, 6);
            break;
        case 5:
            /* mod_nw_*, mod_tp_* and dec_ttl need no match on the header */
            a->type = coin() ? FLOW_ACT_MOD_NW_SRC : FLOW_ACT_MOD_NW_DST;
            a->u.ipv4 = (flow_be32)rnd();
            break;
        case 6:
            a->type = FLOW_ACT_MOD_NW_TOS;
            a->u.tos = (uint8_t)(rnd() & 0xfc);
            break;
        case 7:
            a->type = coin() ? FLOW_ACT_MOD_TP_SRC : FLOW_ACT_MOD_TP_DST;
            a->u.tp_port = (flow_be16)rnd();
            break;
        case 8:
            a->type = FLOW_ACT_DEC_TTL;
            break;
        case 11:
            if (!ip)
                continue;
            a->type = FLOW_ACT_MOD_NW_TTL;
            a->u.ttl = (uint8_t)rnd();
            break;
        case 12:
            if (!ip)
                continue;
            a->type = FLOW_ACT_MOD_NW_ECN;
            a->u.tos = (uint8_t)(rnd() & 3);
            break;
        case 17:
            a->type = FLOW_ACT_OUTPUT_TRUNC;
            a->u.trunc.port = 1 + (uint32_t)(rnd() % 20);
            a->u.trunc.max_len = FLOW_TRUNC_MIN
                + (uint32_t)(rnd() % (UINT32_MAX - FLOW_TRUNC_MIN));
            break;
        case 9:
            a->type = FLOW_ACT_SET_TUNNEL;
            a->u.tun_id = rnd();
            break;
        case 10:
            a->type = coin() ? FLOW_ACT_SET_TUN_SRC : FLOW_ACT_SET_TUN_DST;
            a->u.ipv4 = (flow_be32)rnd();
            break;
        case 13:
            a->type = FLOW_ACT_LOAD;
            rnd_subfield(&a->dst, 64);
            a->u.value = rnd();
            if (a->dst.n_bits < 64)
                a->u.value &= (1ull << a->dst.n_bits) - 1;
            break;
        case 14:
            a->type = FLOW_ACT_MOVE;
            rnd_subfield(&a->dst, 128);
            rnd_subfield(&a->u.src, a->dst.n_bits);
            if (a->u.src.n_bits != a->dst.n_bits)
                continue;
            break;
        case 15:
            a->type = FLOW_ACT_OUTPUT_REG;
            rnd_subfield(&a->u.src, 32);
            break;
        case 16:
            a->type = FLOW_ACT_RESUBMIT;
            if (coin())
                rnd_port(&a->u.resubmit.port);
            a->u.resubmit.table = (uint8_t)(coin() ? FLOW_RESUBMIT_TABLE_SAME
                                            : rnd() % (FLOW_TABLE_MAX + 1));
            break;
        case 18:
            if (!ip)
                continue;
            if (coin()) {
                a->type = FLOW_ACT_CT_CLEAR;
                break;
            }
            a->type = FLOW_ACT_CT;
            a->u.ct.flags = (uint8_t)(rnd() & (FLOW_CT_F_COMMIT
                                               | FLOW_CT_F_NAT));
            if ((a->u.ct.flags & FLOW_CT_F_COMMIT) && coin())
                a->u.ct.flags |= FLOW_CT_F_FORCE;
            a->u.ct.table = (uint8_t)(coin() ? FLOW_CT_TABLE_NONE
                                      : rnd() % (FLOW_TABLE_MAX + 1));
            if (coin())
                rnd_subfield(&a->dst, 16);
            else
                a->u.ct.zone = (uint16_t)rnd();
            if (coin() && f->n_actions + 1u < FLOW_MAX_ACTIONS) {
                /* exec(load:V->NXM_NX_CT_MARK[..]) */
                struct flow_action *l = a + 1;

                memset(l, 0, sizeof(*l));
                l->type = FLOW_ACT_LOAD;
                l->dst.field = FLOW_FIELD_CT_MARK;
                l->dst.n_bits = (uint8_t)(1 + rnd() % 32);
                l->dst.ofs = (uint8_t)(rnd() % (33 - l->dst.n_bits));
                l->u.value = rnd() & ((1ull << l->dst.n_bits) - 1);
                a->u.ct.n_exec = 1;
                f->n_actions++;
            }
            break;
        default:
            a->type = FLOW_ACT_OUTPUT;
            a->u.port = 10 + (uint32_t)(rnd() % 8);
            break;
        }
        f->n_actions++;
    }
    if (f->table_id < FLOW_TABLE_MAX && coin()) {
        struct flow_action *a = &f->actions[f->n_actions++];

        memset(a, 0, sizeof(*a));
        a->type = FLOW_ACT_GOTO_TABLE;
        a->u.table = (uint8_t)(f->table_id + 1
                               + rnd() % (FLOW_TABLE_MAX - f->table_id));
    }
}

static void
rnd_flow(struct flow *f)
{
    memset(f, 0, sizeof(*f));
    f->table_id = (uint8_t)(rnd() % (FLOW_TABLE_MAX + 1));
    f->priority = coin() ? FLOW_DEFAULT_PRIORITY : (uint16_t)rnd();
    f->cookie = coin() ? 0 : rnd();
    f->idle_timeout = coin() ? 0 : (uint16_t)rnd();
    f->hard_timeout = coin() ? 0 : (uint16_t)rnd();
    f->flags = (uint16_t)(rnd() & (FLOW_F_SEND_FLOW_REM
                                   | FLOW_F_CHECK_OVERLAP));
    f->importance = coin() ? 0 : (uint16_t)rnd();
    rnd_match(f);
    rnd_actions(f);
    if (rnd() % 8 == 0) {
        /* a clause flow: conjunction actions only */
        f->n_actions = (uint8_t)(1 + rnd() % 3);
        for (unsigned i = 0; i < f->n_actions; i++) {
            struct flow_action *a = &f->actions[i];

            memset(a, 0, sizeof(*a));
            a->type = FLOW_ACT_CONJUNCTION;
            a->u.conj.id = (uint32_t)rnd();
            a->u.conj.n_clauses = (uint8_t)(FLOW_CONJ_MIN + rnd() % 63);
            a->u.conj.clause = (uint8_t)(1 + rnd() % a->u.conj.n_clauses);
        }
    }
}

Test(format, random_round_trip, .timeout = 60)
{
    uint64_t seed = 0x5eed0f10;
    char text[FLOW_FORMAT_MAX], text2[FLOW_FORMAT_MAX];

    rng_state = seed;
    for (int i = 0; i < 20000; i++) {
        const struct flow_port_map *ports = (i & 1) ? &test_ports : NULL;
        struct flow f;
        struct flow_mod fm;
        struct flow_error err;
        int n;

        rnd_flow(&f);
        n = flow_format(&f, ports, text, sizeof(text));
        cr_assert(n > 0 && (size_t)n < sizeof(text));
        cr_assert_eq(flow_parse(text, FLOW_CMD_ADD, ports, &fm, &err), 0,
                     "seed %#llx #%d: '%s' rejected: %s",
                     (unsigned long long)seed, i, text, err.msg);
        flow_format(&fm.flow, ports, text2, sizeof(text2));
        cr_assert(flow_equal(&f, &fm.flow),
                  "seed %#llx #%d:\n wrote %s\n  read %s",
                  (unsigned long long)seed, i, text, text2);
    }
}
