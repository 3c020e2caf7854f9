/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow-language parser: every field and action it accepts, with the
 * model each line must produce (built by hand here, field by field), and
 * every way a line can be wrong, with the message fragment and the byte
 * offset the error must name.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "flow_test_ports.h"

/* ------------------------------------------------------------------------
 * Expected models
 * ------------------------------------------------------------------------ */

#define V(f) ((f)->match.value)
#define M(f) ((f)->match.mask)

static struct flow_action *
act(struct flow *f, uint16_t type)
{
    struct flow_action *a = &f->actions[f->n_actions++];

    memset(a, 0, sizeof(*a));
    a->type = type;
    return a;
}

static void
out(struct flow *f, uint32_t port)
{
    act(f, FLOW_ACT_OUTPUT)->u.port = port;
}

static void
ip4(flow_be32 *v, flow_be32 *m, const char *addr, const char *mask)
{
    inet_pton(AF_INET, addr, v);
    inet_pton(AF_INET, mask, m);
}

static void
proto(struct flow *f, uint16_t dl_type, int nw_proto)
{
    V(f).dl_type = htons(dl_type);
    M(f).dl_type = 0xffff;
    if (nw_proto >= 0) {
        V(f).nw_proto = (uint8_t)nw_proto;
        M(f).nw_proto = 0xff;
    }
}

static void
mac(uint8_t dst[6], uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e,
    uint8_t g)
{
    dst[0] = a; dst[1] = b; dst[2] = c; dst[3] = d; dst[4] = e; dst[5] = g;
}

static void
ex_in_port(struct flow *f)
{
    V(f).in_port = 10;
    M(f).in_port = 0xffffffff;
    out(f, 1);
}

static void
ex_bare_port(struct flow *f)
{
    V(f).in_port = 7;
    M(f).in_port = 0xffffffff;
    out(f, 7);
    out(f, 12);
}

static void
ex_flow_fields(struct flow *f)
{
    f->table_id = 3;
    f->priority = 7;
    f->cookie = 0x99;
    f->idle_timeout = 10;
    f->hard_timeout = 20;
}

static void
ex_macs(struct flow *f)
{
    mac(V(f).dl_src, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
    memset(M(f).dl_src, 0xff, 6);
    mac(V(f).dl_dst, 0xaa, 0xbb, 0xcc, 0, 0, 0);
    mac(M(f).dl_dst, 0xff, 0xff, 0xff, 0, 0, 0);
}

static void
ex_dl_type(struct flow *f)
{
    proto(f, 0x88cc, -1);
}

static void
ex_dl_vlan(struct flow *f)
{
    V(f).vlan_tci = htons(0x100a);
    M(f).vlan_tci = htons(0x1fff);
}

static void
ex_dl_vlan_pcp(struct flow *f)
{
    V(f).vlan_tci = htons(0xb000);
    M(f).vlan_tci = htons(0xf000);
}

static void
ex_vlan_both(struct flow *f)
{
    V(f).vlan_tci = htons(0xb00a);
    M(f).vlan_tci = htons(0xffff);
}

static void
ex_no_vlan(struct flow *f)
{
    M(f).vlan_tci = 0xffff;
}

static void
ex_vlan_tci(struct flow *f)
{
    V(f).vlan_tci = htons(0x0234);
    M(f).vlan_tci = htons(0x0fff);
}

static void
ex_ip(struct flow *f)
{
    proto(f, 0x0800, -1);
}

static void
ex_ipv6(struct flow *f)
{
    proto(f, 0x86dd, -1);
}

static void
ex_arp(struct flow *f)
{
    proto(f, 0x0806, -1);
}

static void
ex_tcp(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_TCP);
}

static void
ex_udp(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_UDP);
}

static void
ex_sctp(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_SCTP);
}

static void
ex_icmp(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_ICMP);
}

static void
ex_tcp6(struct flow *f)
{
    proto(f, 0x86dd, IPPROTO_TCP);
}

static void
ex_udp6(struct flow *f)
{
    proto(f, 0x86dd, IPPROTO_UDP);
}

static void
ex_icmp6(struct flow *f)
{
    proto(f, 0x86dd, IPPROTO_ICMPV6);
}

static void
ex_nw_addrs(struct flow *f)
{
    proto(f, 0x0800, -1);
    ip4(&V(f).nw_src, &M(f).nw_src, "10.0.0.0", "255.0.0.0");
    ip4(&V(f).nw_dst, &M(f).nw_dst, "192.168.0.1", "255.255.0.255");
}

static void
ex_arp_fields(struct flow *f)
{
    proto(f, 0x0806, 2);
    ip4(&V(f).nw_src, &M(f).nw_src, "10.0.0.1", "255.255.255.255");
}

/* arp_tpa is the ARP target protocol address: nw_dst of an ARP frame */
static void
ex_arp_tpa(struct flow *f)
{
    proto(f, 0x0806, -1);
    ip4(&V(f).nw_dst, &M(f).nw_dst, "10.0.0.0", "255.255.255.0");
}

static void
ex_ipv6_addrs(struct flow *f)
{
    proto(f, 0x86dd, -1);
    inet_pton(AF_INET6, "2001:db8::", V(f).ipv6_src);
    memset(M(f).ipv6_src, 0xff, 4);
    inet_pton(AF_INET6, "fe80::1", V(f).ipv6_dst);
    memset(M(f).ipv6_dst, 0xff, 16);
}

static void
ex_ip_misc(struct flow *f)
{
    proto(f, 0x0800, 47);
    V(f).nw_tos = 184;
    M(f).nw_tos = 0xfc;
    V(f).nw_ttl = 64;
    M(f).nw_ttl = 0xff;
}

static void
ex_dscp(struct flow *f)
{
    proto(f, 0x86dd, -1);
    V(f).nw_tos = 46 << 2;
    M(f).nw_tos = 0xfc;
}

static void
ex_tp(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_TCP);
    V(f).tp_src = htons(1024);
    M(f).tp_src = htons(0xfc00);
    V(f).tp_dst = htons(80);
    M(f).tp_dst = 0xffff;
}

static void
ex_udp_dst(struct flow *f)
{
    proto(f, 0x86dd, IPPROTO_UDP);
    V(f).tp_dst = htons(53);
    M(f).tp_dst = 0xffff;
}

static void
ex_icmp_fields(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_ICMP);
    V(f).tp_src = htons(8);
    M(f).tp_src = 0xffff;
    M(f).tp_dst = 0xffff;
}

static void
ex_tunnel_match(struct flow *f)
{
    V(f).tun_id = htobe64(0x1234);
    M(f).tun_id = htobe64(0xffff);
    ip4(&V(f).tun_src, &M(f).tun_src, "1.1.1.1", "255.255.255.255");
    ip4(&V(f).tun_dst, &M(f).tun_dst, "2.2.2.0", "255.255.255.0");
    V(f).in_port = 100;
    M(f).in_port = 0xffffffff;
    out(f, 11);
}

static void
ex_vlan_actions(struct flow *f)
{
    struct flow_action *a;

    V(f).vlan_tci = htons(0x1003);
    M(f).vlan_tci = htons(0x1fff);
    act(f, FLOW_ACT_PUSH_VLAN)->u.tpid = htons(0x88a8);
    a = act(f, FLOW_ACT_MOD_VLAN_VID);
    a->u.vlan.vid = htons(100);
    a->u.vlan.push_if_untagged = 1;
    a = act(f, FLOW_ACT_MOD_VLAN_PCP);
    a->u.vlan.pcp = 3;
    a->u.vlan.push_if_untagged = 1;
    act(f, FLOW_ACT_STRIP_VLAN);
    out(f, 1);
}

static void
ex_mod_actions(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_TCP);
    mac(act(f, FLOW_ACT_MOD_DL_SRC)->u.mac, 0, 0, 0, 0, 0, 1);
    mac(act(f, FLOW_ACT_MOD_DL_DST)->u.mac, 0, 0, 0, 0, 0, 2);
    inet_pton(AF_INET, "1.2.3.4", &act(f, FLOW_ACT_MOD_NW_SRC)->u.ipv4);
    inet_pton(AF_INET, "5.6.7.8", &act(f, FLOW_ACT_MOD_NW_DST)->u.ipv4);
    act(f, FLOW_ACT_MOD_NW_TOS)->u.tos = 32;
    act(f, FLOW_ACT_MOD_TP_SRC)->u.tp_port = htons(1);
    act(f, FLOW_ACT_MOD_TP_DST)->u.tp_port = htons(2);
    act(f, FLOW_ACT_DEC_TTL);
    out(f, 2);
}

static void
ex_set_fields(struct flow *f)
{
    struct flow_action *a;

    proto(f, 0x0800, IPPROTO_UDP);
    V(f).vlan_tci = htons(0x1005);
    M(f).vlan_tci = htons(0x1fff);
    mac(act(f, FLOW_ACT_MOD_DL_SRC)->u.mac, 0, 0x11, 0x22, 0x33, 0x44, 0x55);
    inet_pton(AF_INET, "10.0.0.1", &act(f, FLOW_ACT_MOD_NW_DST)->u.ipv4);
    act(f, FLOW_ACT_MOD_NW_TOS)->u.tos = 46 << 2;
    act(f, FLOW_ACT_MOD_TP_DST)->u.tp_port = htons(53);
    a = act(f, FLOW_ACT_MOD_VLAN_VID);
    a->u.vlan.vid = htons(1);
    a = act(f, FLOW_ACT_MOD_VLAN_PCP);
    a->u.vlan.pcp = 6;
    out(f, 1);
}

static void
ex_tunnel_actions(struct flow *f)
{
    V(f).in_port = 12;
    M(f).in_port = 0xffffffff;
    act(f, FLOW_ACT_SET_TUNNEL)->u.tun_id = htobe64(0x2a);
    inet_pton(AF_INET, "10.1.1.1", &act(f, FLOW_ACT_SET_TUN_SRC)->u.ipv4);
    inet_pton(AF_INET, "10.1.1.2", &act(f, FLOW_ACT_SET_TUN_DST)->u.ipv4);
    act(f, FLOW_ACT_SET_TUNNEL)->u.tun_id = htobe64(7);
    act(f, FLOW_ACT_SET_TUNNEL)->u.tun_id = htobe64(0x100000000ull);
    out(f, 100);
}

static void
ex_goto(struct flow *f)
{
    f->table_id = 1;
    out(f, 1);
    out(f, 10);
    act(f, FLOW_ACT_GOTO_TABLE)->u.table = 2;
}

static void
ex_dump_line(struct flow *f)
{
    f->priority = 5;
    proto(f, 0x0800, -1);
    out(f, 1);
}

static void
ex_pop_vlan(struct flow *f)
{
    V(f).vlan_tci = htons(0x1001);
    M(f).vlan_tci = htons(0x1fff);
    act(f, FLOW_ACT_STRIP_VLAN);
}

static void
ex_tcp_dst(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_TCP);
    V(f).tp_dst = htons(22);
    M(f).tp_dst = 0xffff;
}

static void
ex_aliases(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_UDP);
}

static void
ex_drop(struct flow *f)
{
    (void)f;
}

static void
ex_prio0(struct flow *f)
{
    f->priority = 0;
}

static void
ex_prio_max(struct flow *f)
{
    f->priority = 65535;
}

static void
ex_spaces(struct flow *f)
{
    f->priority = 1;
    V(f).in_port = 1;
    M(f).in_port = 0xffffffff;
    out(f, 2);
}

/* key(value) is key:value, the parentheses holding separators */
static void
ex_paren(struct flow *f)
{
    V(f).dl_type = htons(0x0800);
    M(f).dl_type = 0xffff;
    V(f).nw_proto = IPPROTO_TCP;
    M(f).nw_proto = 0xff;
    act(f, FLOW_ACT_MOD_TP_DST)->u.tp_port = htons(80);
    out(f, 10);
    out(f, 2);
}

/* ---- Open vSwitch's spellings, value rules and OpenFlow 1.0 actions ---- */

static void
ex_out2(struct flow *f)
{
    out(f, 2);
}

static void
ex_in_port0(struct flow *f)
{
    V(f).in_port = 0;
    M(f).in_port = 0xffffffff;
    out(f, 2);
}

/* dl_vlan keeps 12 bits, dl_vlan_pcp 3 (4097 is 1, 9 is 1) */
static void
ex_vlan_wrapped(struct flow *f)
{
    V(f).vlan_tci = htons(0x1000 | 1 << 13 | 1);
    M(f).vlan_tci = htons(0xffff);
}

static void
ex_ip_tos0(struct flow *f)
{
    proto(f, 0x0800, -1);
    M(f).nw_tos = 0xfc;
}

static void
ex_ip_dscp1(struct flow *f)
{
    proto(f, 0x0800, -1);
    V(f).nw_tos = 4;
    M(f).nw_tos = 0xfc;
}

static void
ex_flags(struct flow *f)
{
    f->flags = FLOW_F_SEND_FLOW_REM | FLOW_F_CHECK_OVERLAP;
    f->importance = 22;
}

static void
ex_goto_paren(struct flow *f)
{
    f->table_id = 1;
    act(f, FLOW_ACT_MOD_DL_DST)->u.mac[5] = 0x0a;
    out(f, 2);
    act(f, FLOW_ACT_GOTO_TABLE)->u.table = 4;
}

/* OpenFlow 1.0 actions need no match on their header */
static void
ex_relaxed(struct flow *f)
{
    act(f, FLOW_ACT_STRIP_VLAN);
    act(f, FLOW_ACT_DEC_TTL);
    inet_pton(AF_INET, "1.2.3.4", &act(f, FLOW_ACT_MOD_NW_SRC)->u.ipv4);
    inet_pton(AF_INET, "5.6.7.8", &act(f, FLOW_ACT_MOD_NW_DST)->u.ipv4);
    act(f, FLOW_ACT_MOD_NW_TOS)->u.tos = 8;
    act(f, FLOW_ACT_MOD_TP_SRC)->u.tp_port = htons(1);
    act(f, FLOW_ACT_MOD_TP_DST)->u.tp_port = htons(2);
    out(f, 3);
}

static void
ex_arp_relaxed(struct flow *f)
{
    proto(f, 0x0806, -1);
    inet_pton(AF_INET, "1.2.3.4", &act(f, FLOW_ACT_MOD_NW_SRC)->u.ipv4);
}

static void
ex_ttl_ecn(struct flow *f)
{
    proto(f, 0x86dd, -1);
    act(f, FLOW_ACT_MOD_NW_TTL)->u.ttl = 8;
    act(f, FLOW_ACT_MOD_NW_ECN)->u.tos = 2;
    act(f, FLOW_ACT_MOD_NW_TTL)->u.ttl = 255;
    /* set_field onto nw_ttl is printed so again (Open vSwitch keeps it
     * apart from mod_nw_ttl) */
    f->actions[f->n_actions - 1].pad0 = FLOW_ACT_F_SET_FIELD;
    act(f, FLOW_ACT_MOD_NW_ECN)->u.tos = 3;
    act(f, FLOW_ACT_MOD_NW_ECN)->u.tos = 1;
}

static void
ex_trunc(struct flow *f)
{
    struct flow_action *a = act(f, FLOW_ACT_OUTPUT_TRUNC);

    a->u.trunc.port = 10;           /* vf0 */
    a->u.trunc.max_len = 100;
    a = act(f, FLOW_ACT_OUTPUT_TRUNC);
    a->u.trunc.port = 1;
    a->u.trunc.max_len = 14;
    out(f, 3);
}

static void
ex_syn_not_ack(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_TCP);
    V(f).tcp_flags = htons(0x002);
    M(f).tcp_flags = htons(0x012);
}

static void
ex_syn_ack_exact(struct flow *f)
{
    proto(f, 0x86dd, IPPROTO_TCP);
    V(f).tcp_flags = htons(0x012);
    M(f).tcp_flags = htons(0xfff);
}

static void
ex_flags_ns_reserved(struct flow *f)
{
    proto(f, 0x0800, IPPROTO_TCP);
    V(f).tcp_flags = htons(0x880);
    M(f).tcp_flags = htons(0xb80);
}

/* dl_vlan=0xffff then dl_vlan_pcp: tagged again with VID 0 */
static void
ex_none_then_pcp(struct flow *f)
{
    V(f).vlan_tci = htons(0x1000 | 3 << 13);
    M(f).vlan_tci = htons(0xffff);
}

static void
ex_pcp_then_none(struct flow *f)
{
    V(f).vlan_tci = 0;
    M(f).vlan_tci = htons(0xffff);
}

/* registers and metadata: xreg/xxreg are views of the regs */
static void
ex_reg_match(struct flow *f)
{
    V(f).meta.regs[0] = 5;
    M(f).meta.regs[0] = 0xffffffff;
    V(f).meta.regs[3] = 0x10;
    M(f).meta.regs[3] = 0xf0;
    V(f).meta.regs[4] = 0x1;            /* xreg2 high word */
    M(f).meta.regs[4] = 0xffffffff;
    V(f).meta.regs[5] = 0x2;            /* xreg2 low word */
    M(f).meta.regs[5] = 0xffffffff;
    V(f).meta.regs[12] = 0x11223344;    /* xxreg3, most significant */
    V(f).meta.regs[13] = 0x55667788;
    V(f).meta.regs[14] = 0x99aabbcc;
    V(f).meta.regs[15] = 0xddeeff00;
    M(f).meta.regs[12] = M(f).meta.regs[13] = 0xffffffff;
    M(f).meta.regs[14] = M(f).meta.regs[15] = 0xffffffff;
    V(f).meta.metadata = 0x1234;
    M(f).meta.metadata = 0xffff;
    V(f).meta.pkt_mark = 7;
    M(f).meta.pkt_mark = 0xffffffff;
}

static struct flow_action *
load(struct flow *f, unsigned field, unsigned ofs, unsigned n,
     uint64_t value)
{
    struct flow_action *a = act(f, FLOW_ACT_LOAD);

    a->dst.field = (uint8_t)field;
    a->dst.ofs = (uint8_t)ofs;
    a->dst.n_bits = (uint8_t)n;
    a->u.value = value;
    return a;
}

static void
ex_reg_actions(struct flow *f)
{
    struct flow_action *a;

    load(f, FLOW_FIELD_REG0, 0, 16, 0x5);
    load(f, FLOW_FIELD_REG0 + 1, 0, 32, 0xffffffff);
    load(f, FLOW_FIELD_XREG0 + 7, 3, 1, 1);
    a = act(f, FLOW_ACT_MOVE);
    a->u.src = (struct flow_subfield){ FLOW_FIELD_REG0, 8, 8, 0 };
    a->dst = (struct flow_subfield){ FLOW_FIELD_REG0 + 2, 0, 8, 0 };
    a = act(f, FLOW_ACT_MOVE);
    a->u.src = (struct flow_subfield){ FLOW_FIELD_METADATA, 0, 64, 0 };
    a->dst = (struct flow_subfield){ FLOW_FIELD_XREG0 + 1, 0, 64, 0 };
    a = act(f, FLOW_ACT_OUTPUT_REG);
    a->u.src = (struct flow_subfield){ FLOW_FIELD_REG0 + 2, 0, 16, 0 };
}

/* set_field: a whole field, or one load per run of the mask's ones */
static void
ex_reg_set_field(struct flow *f)
{
    load(f, FLOW_FIELD_PKT_MARK, 0, 32, 0x2a)->pad0 = FLOW_ACT_F_SET_FIELD;
    load(f, FLOW_FIELD_REG0 + 3, 4, 4, 0x3)->pad0 = FLOW_ACT_F_SET_FIELD;
    load(f, FLOW_FIELD_REG0 + 3, 12, 8, 0x1)->pad0 = FLOW_ACT_F_SET_FIELD;
    load(f, FLOW_FIELD_XXREG0 + 1, 0, 64, 0x5)->pad0 = FLOW_ACT_F_SET_FIELD;
    load(f, FLOW_FIELD_XXREG0 + 1, 64, 64, 0)->pad0 = FLOW_ACT_F_SET_FIELD;
}

static void
ex_write_metadata(struct flow *f)
{
    out(f, 1);
    load(f, FLOW_FIELD_METADATA, 0, 8, 0x34)->pad0 =
        FLOW_ACT_F_WRITE_METADATA;
    load(f, FLOW_FIELD_METADATA, 16, 8, 0)->pad0 =
        FLOW_ACT_F_WRITE_METADATA;
    act(f, FLOW_ACT_GOTO_TABLE)->u.table = 4;
}

static void
ex_resubmit(struct flow *f)
{
    struct flow_action *a;

    f->table_id = 2;
    a = act(f, FLOW_ACT_RESUBMIT);
    a->u.resubmit.port = 10;
    a->u.resubmit.table = FLOW_RESUBMIT_TABLE_SAME;
    a = act(f, FLOW_ACT_RESUBMIT);
    a->u.resubmit.port = FLOW_RESUBMIT_IN_PORT;
    a->u.resubmit.table = 1;
    a = act(f, FLOW_ACT_RESUBMIT);
    a->u.resubmit.port = 2;
    a->u.resubmit.table = 0;
    a = act(f, FLOW_ACT_RESUBMIT);
    a->u.resubmit.port = FLOW_RESUBMIT_IN_PORT;
    a->u.resubmit.table = FLOW_RESUBMIT_TABLE_SAME;
    out(f, 1);
}

static void
ex_conjunction(struct flow *f)
{
    struct flow_action *a;

    f->priority = 10;
    proto(f, 0x0800, -1);
    a = act(f, FLOW_ACT_CONJUNCTION);
    a->u.conj.id = 4294967295u;
    a->u.conj.clause = 1;
    a->u.conj.n_clauses = 2;
    a = act(f, FLOW_ACT_CONJUNCTION);
    a->u.conj.id = 7;
    a->u.conj.clause = 64;
    a->u.conj.n_clauses = 64;
}

static void
ex_conj_id(struct flow *f)
{
    f->priority = 10;
    V(f).meta.conj_id = 7;
    M(f).meta.conj_id = UINT32_MAX;
    out(f, 1);
}

/* the tunnel fields as subfields (OVS's NXM names and short names) */
static void
ex_tun_subfields(struct flow *f)
{
    struct flow_action *a;

    load(f, FLOW_FIELD_TUN_ID, 0, 64, 6);
    a = act(f, FLOW_ACT_MOVE);
    a->u.src = (struct flow_subfield){ FLOW_FIELD_TUN_SRC, 0, 16, 0 };
    a->dst = (struct flow_subfield){ FLOW_FIELD_REG0 + 1, 0, 16, 0 };
    load(f, FLOW_FIELD_TUN_DST, 31, 1, 1);
    a = act(f, FLOW_ACT_OUTPUT_REG);
    a->u.src = (struct flow_subfield){ FLOW_FIELD_TUN_ID, 0, 16, 0 };
    /* set_field onto tun_id stays set_tunnel */
    act(f, FLOW_ACT_SET_TUNNEL)->u.tun_id = htobe64(5);
}

struct accept_case {
    const char *line;
    void (*expect)(struct flow *f);
};

static const struct accept_case accepts_cases[] = {
    { "in_port=vf0,actions=output:uplink", ex_in_port },
    { "actions=load:6->NXM_NX_TUN_ID[],"
      "move:NXM_NX_TUN_IPV4_SRC[0..15]->reg1[0..15],load:1->tun_dst[31],"
      "output:tun_id[0..15],set_field:5->tun_id", ex_tun_subfields },
    { "in_port=7 actions=7,vf2", ex_bare_port },
    { "table=3,priority=7,cookie=0x99,idle_timeout=10,hard_timeout=20,"
      "actions=drop", ex_flow_fields },
    { "dl_src=00:11:22:33:44:55,"
      "dl_dst=aa:bb:cc:dd:ee:ff/ff:ff:ff:00:00:00,actions=drop",
      ex_macs },
    { "dl_type=0x88cc,actions=drop", ex_dl_type },
    { "dl_vlan=10,actions=drop", ex_dl_vlan },
    { "dl_vlan_pcp=5,actions=drop", ex_dl_vlan_pcp },
    { "dl_vlan_pcp=5,dl_vlan=10,actions=drop", ex_vlan_both },
    { "dl_vlan=0xffff,actions=drop", ex_no_vlan },
    { "vlan_tci=0x0000,actions=drop", ex_no_vlan },
    { "vlan_tci=0x1234/0x0fff,actions=drop", ex_vlan_tci },
    { "ip,actions=drop", ex_ip },
    { "ipv6,actions=drop", ex_ipv6 },
    { "arp,actions=drop", ex_arp },
    { "tcp,actions=drop", ex_tcp },
    { "udp,actions=drop", ex_udp },
    { "sctp,actions=drop", ex_sctp },
    { "icmp,actions=drop", ex_icmp },
    { "tcp6,actions=drop", ex_tcp6 },
    { "udp6,actions=drop", ex_udp6 },
    { "icmp6,actions=drop", ex_icmp6 },
    { "ip,tcp,actions=drop", ex_tcp },
    { "ip,nw_src=10.1.2.3/8,nw_dst=192.168.1.1/255.255.0.255,"
      "actions=drop", ex_nw_addrs },
    { "arp,nw_src=10.0.0.1,nw_proto=2,actions=drop", ex_arp_fields },
    /* the OVS firewall driver's spelling, prerequisite given after it */
    { "arp_spa=10.0.0.1,dl_type=0x0806,nw_proto=2,actions=drop",
      ex_arp_fields },
    { "arp,arp_tpa=10.0.0.0/24,actions=drop", ex_arp_tpa },
    { "ipv6,ipv6_src=2001:db8::/32,ipv6_dst=fe80::1,actions=drop",
      ex_ipv6_addrs },
    { "ip,nw_proto=47,nw_tos=184,nw_ttl=64,actions=drop", ex_ip_misc },
    { "ipv6,ip_dscp=46,actions=drop", ex_dscp },
    { "tp_src=1024/0xfc00,tcp,tp_dst=80,actions=drop", ex_tp },
    { "udp6,udp_dst=53,actions=drop", ex_udp_dst },
    { "icmp,icmp_type=8,icmp_code=0,actions=drop", ex_icmp_fields },
    { "tun_id=0x1234/0xffff,tun_src=1.1.1.1,tun_dst=2.2.2.0/24,"
      "in_port=vxlan0,actions=output:vf1", ex_tunnel_match },
    { "dl_vlan=3,actions=push_vlan:0x88a8,mod_vlan_vid:100,"
      "mod_vlan_pcp:3,strip_vlan,output:1", ex_vlan_actions },
    { "tcp,actions=mod_dl_src:00:00:00:00:00:01,"
      "mod_dl_dst:00:00:00:00:00:02,mod_nw_src:1.2.3.4,"
      "mod_nw_dst:5.6.7.8,mod_nw_tos:32,mod_tp_src:1,mod_tp_dst:2,"
      "dec_ttl,output:2", ex_mod_actions },
    { "udp,dl_vlan=5,actions=set_field:00:11:22:33:44:55->eth_src,"
      "set_field:10.0.0.1->ipv4_dst,set_field:46->ip_dscp,"
      "set_field:53->udp_dst,set_field:4097->vlan_vid,"
      "set_field:6->vlan_pcp,output:1", ex_set_fields },
    { "in_port=vf2,actions=set_tunnel:0x2a,"
      "set_field:10.1.1.1->tun_src,set_field:10.1.1.2->tun_dst,"
      "set_field:7->tun_id,set_tunnel64:0x100000000,output:vxlan0",
      ex_tunnel_actions },
    { "table=1,actions=output:1,output:vf0,goto_table:2", ex_goto },
    { "cookie=0x0, duration=5.000s, table=0, n_packets=3, n_bytes=180, "
      "priority=5,ip actions=output:1", ex_dump_line },
    { "dl_vlan=1,actions=pop_vlan", ex_pop_vlan },
    { "tcp,tcp_dst=22,actions=drop", ex_tcp_dst },
    { "eth_type=0x0800,ip_proto=17,actions=drop", ex_aliases },
    { "actions=", ex_drop },
    { "actions=drop", ex_drop },
    { "priority=0,actions=drop", ex_prio0 },
    { "priority=65535,actions=drop", ex_prio_max },
    { "  priority=1 ,  in_port:1\tactions=output:2 ", ex_spaces },
    { "tcp,actions=mod_tp_dst(80),output(vf0),output:2", ex_paren },
    /* Open vSwitch's spellings */
    { "action=2", ex_out2 },
    { "actions=Output:2", ex_out2 },
    { "actions=output(port=2)", ex_out2 },
    { "actions=output( port=2)", ex_out2 },
    { "actions=DROP", ex_drop },
    { "actions=Drop", ex_drop },
    { "ip6,actions=drop", ex_ipv6 },
    { "table=1,actions=MOD_DL_DST(00:00:00:00:00:0a),output(2),"
      "goto_table(4)", ex_goto_paren },
    { "send_flow_rem,check_overlap,importance=22,actions=drop", ex_flags },
    { "send_flow_rem check_overlap importance=22, actions=drop", ex_flags },
    /* Open vSwitch's value rules */
    { "in_port=0,actions=output:2", ex_in_port0 },
    { "dl_vlan=4097,dl_vlan_pcp=9,actions=drop", ex_vlan_wrapped },
    { "ip,nw_tos=3,actions=drop", ex_ip_tos0 },
    { "ip,ip_dscp=65,actions=drop", ex_ip_dscp1 },
    { "table=255,actions=drop", ex_drop },
    /* OpenFlow 1.0 relaxed prerequisites, Open vSwitch extensions */
    { "actions=strip_vlan,dec_ttl,mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,"
      "mod_nw_tos:8,mod_tp_src:1,mod_tp_dst:2,output:3", ex_relaxed },
    { "actions=pop_vlan,dec_ttl,mod_nw_src(1.2.3.4),mod_nw_dst:5.6.7.8,"
      "mod_nw_tos:8,mod_tp_src:1,mod_tp_dst:2,3", ex_relaxed },
    { "arp,actions=mod_nw_src:1.2.3.4", ex_arp_relaxed },
    { "ipv6,actions=mod_nw_ttl:8,mod_nw_ecn:2,set_field:255->nw_ttl,"
      "set_field:3->ip_ecn,set_field:1->nw_ecn", ex_ttl_ecn },
    /* tcp_flags: +set-clear, a|b (exact), numbers; packet_type */
    { "actions=output(port=vf0,max_len=100),Output(max_len=14,port=1),"
      "output(port=3)", ex_trunc },
    { "tcp,tcp_flags=+syn-ack,actions=drop", ex_syn_not_ack },
    { "tcp_flags=-ack+syn,tcp,actions=drop", ex_syn_not_ack },
    { "tcp,tcp_flags=0x2/0x12,actions=drop", ex_syn_not_ack },
    { "tcp6,tcp_flags=syn|ack,actions=drop", ex_syn_ack_exact },
    { "tcp6,tcp_flags=0x012,actions=drop", ex_syn_ack_exact },
    { "tcp,tcp_flags=+cwr-ns-[200]+[800],actions=drop",
      ex_flags_ns_reserved },
    { "packet_type=(0,0),actions=drop", ex_drop },
    { "packet_type=(0,0x0),actions=drop", ex_drop },
    /* VLAN fields laid over each other in order, as in ovs-ofctl */
    { "dl_vlan=65535,dl_vlan_pcp=3,actions=drop", ex_none_then_pcp },
    { "dl_vlan_pcp=3,dl_vlan=65535,actions=drop", ex_pcp_then_none },
    { "reg0=5,reg3=0x10/0xf0,xreg2=0x100000002,"
      "xxreg3=0x112233445566778899aabbccddeeff00,metadata=0x1234/0xffff,"
      "pkt_mark=7,actions=drop", ex_reg_match },
    { "actions=load:5->NXM_NX_REG0[0..15],load:0xffffffff->reg1,"
      "load:1->OXM_OF_PKT_REG7[3],move:reg0[8..15]->NXM_NX_REG2[0..7],"
      "move:OXM_OF_METADATA[]->xreg1[],output:NXM_NX_REG2[0..15]",
      ex_reg_actions },
    { "actions=set_field:42->pkt_mark,set_field:0x1234/0xff0f0->reg3,"
      "set_field:5->xxreg1", ex_reg_set_field },
    { "actions=output:1,write_metadata:0x1234/0xff00ff,goto_table:4",
      ex_write_metadata },
    { "table=2,actions=resubmit:vf0,resubmit(,1),resubmit(pf,0),"
      "resubmit(IN_PORT),output:1", ex_resubmit },
    { "priority=10,ip,actions=conjunction(4294967295,1/2),"
      "conjunction(7,64/64)", ex_conjunction },
    { "priority=10,conj_id=7,actions=output:1", ex_conj_id },
};

#define N_ACCEPTS (sizeof(accepts_cases) / sizeof(accepts_cases[0]))

/* Parameters reach the test's own process by value: pass only an index, as
 * pointers to literals or functions need not be valid there. */
ParameterizedTestParameters(parse, accepts)
{
    static size_t idx[N_ACCEPTS];

    for (size_t i = 0; i < N_ACCEPTS; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, N_ACCEPTS);
}

ParameterizedTest(size_t *i, parse, accepts)
{
    const struct accept_case *tc = &accepts_cases[*i];
    struct flow_mod fm;
    struct flow expect;
    struct flow_error err;
    char got[FLOW_FORMAT_MAX], want[FLOW_FORMAT_MAX];
    int rc;

    memset(&expect, 0, sizeof(expect));
    expect.priority = FLOW_DEFAULT_PRIORITY;
    tc->expect(&expect);

    rc = flow_parse(tc->line, FLOW_CMD_ADD, &test_ports, &fm, &err);
    cr_assert_eq(rc, 0, "'%s' rejected: %s", tc->line, err.msg);
    cr_assert_eq(fm.cmd, FLOW_CMD_ADD);
    flow_format(&fm.flow, NULL, got, sizeof(got));
    flow_format(&expect, NULL, want, sizeof(want));
    cr_assert(flow_equal(&fm.flow, &expect),
              "'%s'\n parsed as %s\n expected  %s", tc->line, got, want);
}

/* ------------------------------------------------------------------------
 * Rejections
 * ------------------------------------------------------------------------ */

struct reject_case {
    const char *line;
    enum flow_cmd cmd;
    int code;
    size_t pos;
    const char *fragment;
};

#define ADD FLOW_CMD_ADD
#define MOD FLOW_CMD_MODIFY
#define DEL FLOW_CMD_DELETE

static const struct reject_case rejects_cases[] = {
    /* prerequisites */
    { "tp_dst=80,actions=drop", ADD, -EINVAL, 0,
      "'tp_dst=80': tp_dst requires tcp, udp or sctp (add 'tcp' or "
      "'udp')" },
    { "priority=10,ip,tp_dst=80,actions=drop", ADD, -EINVAL, 15,
      "tp_dst requires tcp, udp or sctp" },
    { "ipv6,nw_src=1.1.1.1,actions=drop", ADD, -EINVAL, 5,
      "nw_src requires ip or arp" },
    { "ip,arp_spa=10.0.0.1,actions=drop", ADD, -EINVAL, 3,
      "'arp_spa=10.0.0.1': arp_spa requires arp (add 'arp'; for IPv4 use "
      "nw_src/nw_dst)" },
    { "arp_tpa=10.0.0.1,actions=drop", ADD, -EINVAL, 0,
      "arp_tpa requires arp (add 'arp')" },
    { "arp,nw_src=1.1.1.1,arp_spa=1.1.1.1,actions=drop", ADD, -EINVAL, 19,
      "duplicate field" },
    { "ip,ipv6_src=::1,actions=drop", ADD, -EINVAL, 3,
      "ipv6_src requires ipv6 (add 'ipv6')" },
    { "nw_proto=6,actions=drop", ADD, -EINVAL, 0,
      "nw_proto requires ip, ipv6 or arp" },
    { "arp,nw_ttl=6,actions=drop", ADD, -EINVAL, 4,
      "nw_ttl requires ip or ipv6" },
    { "arp,ip_dscp=6,actions=drop", ADD, -EINVAL, 4,
      "ip_dscp requires ip or ipv6" },
    { "tcp,icmp_type=1,actions=drop", ADD, -EINVAL, 4,
      "icmp_type requires icmp or icmp6" },
    { "udp,tcp_dst=1,actions=drop", ADD, -EINVAL, 4,
      "tcp_dst requires tcp" },
    { "icmp,tp_src=1,actions=drop", ADD, -EINVAL, 5,
      "use icmp_type/icmp_code" },
    { "nw_dst=1.1.1.1,tp_src=5,actions=drop", ADD, -EINVAL, 0,
      "nw_dst requires ip or arp" },
    /* out of range */
    { "dl_vlan=65536,actions=drop", ADD, -ERANGE, 0,
      "dl_vlan 65536 is out of range" },
    { "dl_vlan_pcp=256,actions=drop", ADD, -ERANGE, 0, "0..7 (a byte" },
    { "ip,nw_tos=256,actions=drop", ADD, -ERANGE, 3, "nw_tos 256" },
    { "ip,ip_dscp=256,actions=drop", ADD, -ERANGE, 3, "ip_dscp 256" },
    { "ip,actions=set_field:64->ip_dscp", ADD, -ERANGE, 11, "0..63" },
    { "ip,actions=mod_nw_ecn:4", ADD, -ERANGE, 11, "ECN value 0..3" },
    { "importance=65536,actions=drop", ADD, -ERANGE, 0, "0..65535" },
    { "priority=70000,actions=drop", ADD, -ERANGE, 0,
      "priority 70000 is out of range (expected 0..65535)" },
    { "ip,nw_src=1.2.3.4/33,actions=drop", ADD, -ERANGE, 3,
      "prefix length 33 is out of range" },
    { "ipv6,ipv6_src=::1/129,actions=drop", ADD, -ERANGE, 5,
      "0..128" },
    { "tcp,tp_dst=65536,actions=drop", ADD, -ERANGE, 4,
      "tp_dst 65536 is out of range" },
    { "tcp,tp_dst=1/0x10000,actions=drop", ADD, -ERANGE, 4,
      "tp_dst mask" },
    { "tun_id=0x10000000000000000,actions=drop", ADD, -ERANGE, 0,
      "out of range" },
    { "table=256,actions=drop", ADD, -ERANGE, 0,
      "0..254, or 255 for the default" },
    { "table=256,actions=drop", DEL, -ERANGE, 0, "0..254, or 255" },
    { "idle_timeout=65536,actions=drop", ADD, -ERANGE, 0, "0..65535" },
    { "ip,nw_ttl=256,actions=drop", ADD, -ERANGE, 3, "0..255" },
    { "actions=output:0", ADD, -ERANGE, 8, "port 0 is out of range" },
    { "actions=mod_vlan_vid:4096", ADD, -ERANGE, 8, "0..4095" },
    { "table=1,actions=goto_table:255", ADD, -ERANGE, 16, "1..254" },
    /* malformed values */
    { "ip,nw_src=1.2.3,actions=drop", ADD, -EINVAL, 3,
      "bad IPv4 address" },
    { "dl_src=00:11:22:33:44:gg,actions=drop", ADD, -EINVAL, 0,
      "bad MAC address" },
    { "ipv6,ipv6_dst=fe80:::1,actions=drop", ADD, -EINVAL, 5,
      "bad IPv6 address" },
    { "tcp,tp_dst=0x,actions=drop", ADD, -EINVAL, 4, "not a number" },
    { "tcp,tp_src=-1,actions=drop", ADD, -EINVAL, 4, "not a number" },
    { "tcp,tp_src=,actions=drop", ADD, -EINVAL, 4, "needs a value" },
    { "nw_src,actions=drop", ADD, -EINVAL, 0, "nw_src needs a value" },
    { "ip=1,actions=drop", ADD, -EINVAL, 0, "'ip' takes no value" },
    /* unknown names, ports */
    { "garbage", ADD, -EINVAL, 0, "unknown field 'garbage'" },
    { "foo=1,actions=drop", ADD, -EINVAL, 0, "unknown field 'foo'" },
    { "ip,nw_sr=1.2.3.4,actions=drop", ADD, -EINVAL, 3,
      "did you mean 'nw_src'?" },
    { "in_port=vf9,actions=drop", ADD, -ENOENT, 0,
      "unknown port 'vf9'" },
    { "in_port=1,actions=output:nope", ADD, -ENOENT, 18,
      "unknown port 'nope'" },
    { "actions=output:ANY", ADD, -EINVAL, 8,
      "ANY is not a port a packet can go to" },
    { "actions=NONE", ADD, -EINVAL, 8, "not a port a packet can go to" },
    { "actions=output:TABLE", ADD, -ENOTSUP, 8,
      "TABLE is for packet-out messages only" },
    { "actions=output:0xfffffff7", ADD, -ERANGE, 8, "out of range" },
    { "actions=controller:65536", ADD, -ERANGE, 8, "0..65535" },
    { "actions=controller(reason=no_match)", ADD, -ENOTSUP, 8,
      "'reason=no_match' needs an OpenFlow controller channel" },
    { "actions=controller(max_len=10,pause)", ADD, -ENOTSUP, 8,
      "'pause' needs an OpenFlow controller channel" },
    { "actions=controller:x", ADD, -EINVAL, 8, "not a number" },
    { "actions=foo", ADD, -EINVAL, 8, "unknown action or port 'foo'" },
    { "actions=outptu:1", ADD, -EINVAL, 8, "did you mean 'output'?" },
    { "udp,actions=set_field:1->tp_src", ADD, -EINVAL, 12,
      "tp_src requires a match on tcp" },
    { "tcp,actions=set_field:1->icmp_type", ADD, -EINVAL, 12,
      "icmp_type requires a match on icmp (add 'icmp'" },
    { "icmp6,actions=set_field:1->icmp_code", ADD, -EINVAL, 14,
      "icmp_code requires a match on icmp (add 'icmp'" },
    { "icmp,actions=set_field:1->icmpv6_type", ADD, -EINVAL, 13,
      "icmpv6_type requires a match on icmp6" },
    { "icmp,actions=set_field:256->icmp_type", ADD, -ERANGE, 13,
      "0..255" },
    { "actions=set_field:0x1001/0x1fff->vlan_tci", ADD, -EINVAL, 8,
      "set_field vlan_tci needs a VLAN-tagged packet" },
    { "dl_vlan=5,actions=set_field:0x0001/0x1fff->vlan_tci", ADD, -ENOTSUP,
      18, "would remove the tag (use strip_vlan)" },
    { "dl_vlan=5,actions=set_field:0x1001/0x10000->vlan_tci", ADD, -ERANGE,
      18, "set_field vlan_tci mask 0x10000 is out of range" },
    { "actions=set_field:ALL->in_port", ADD, -EINVAL, 8,
      "set_field in_port: ALL is not a port a packet can arrive on" },
    { "actions=set_field:3/1->in_port", ADD, -ENOTSUP, 8,
      "set_field in_port takes no mask" },
    { "actions=set_field:0->in_port", ADD, -ERANGE, 8,
      "set_field in_port: port 0 is out of range" },
    { "actions=set_field:1->tcp_dts", ADD, -EINVAL, 8,
      "did you mean 'tcp_dst'?" },
    { "a\001b,actions=drop", ADD, -EINVAL, 0, "'a?b'" },
    /* parentheses: separators inside belong to the token, nesting */
    { "actions=foo(1,2),output:1", ADD, -EINVAL, 8,
      "'foo(1,2)': unknown action 'foo'" },
    { "actions=output:1,foo(a,(b,c)),drop", ADD, -EINVAL, 17,
      "'foo(a,(b,c))': unknown action 'foo'" },
    { "actions=output:1,foo:x(a,b),drop", ADD, -EINVAL, 17,
      "'foo:x(a,b)': unknown action 'foo'" },
    { "actions=output(1),output(2)x", ADD, -EINVAL, 27,
      "'x': unknown action or port 'x'" },
    { "actions=output:1,output(2", ADD, -EINVAL, 17,
      "'output(2': unbalanced parentheses" },
    { "actions=output:1,foo(a,(b,c),drop", ADD, -EINVAL, 17,
      "unbalanced parentheses" },
    { "in_port=1,foo(x,y),actions=drop", ADD, -EINVAL, 10,
      "'foo(x,y)': unknown field 'foo'" },
    { "dl_src=(00,actions=drop", ADD, -EINVAL, 0,
      "unbalanced parentheses" },
    { "actions(output:1)", ADD, -EINVAL, 0, "actions needs '='" },
    /* registers and metadata */
    { "reg16=1,actions=drop", ADD, -EINVAL, 0,
      "'reg16=1': no such register: 'reg16' (expected reg0..reg15)" },
    { "xxreg4=1,actions=drop", ADD, -EINVAL, 0,
      "no such register: 'xxreg4' (expected xxreg0..xxreg3)" },
    { "reg0=0x100000000,actions=drop", ADD, -ERANGE, 0,
      "reg0 0x100000000 is out of range (expected a 32-bit number)" },
    { "reg1=1,xreg0=2,actions=drop", ADD, -EINVAL, 7,
      "duplicate field: 'reg1=1' at 0" },
    { "reg0,actions=drop", ADD, -EINVAL, 0, "reg0 needs a value" },
    { "actions=load:1->reg0[0..40]", ADD, -ERANGE, 8,
      "load: bit 40 is beyond reg0's 32 bits (expected bits 0..31)" },
    { "actions=load:256->NXM_NX_REG0[0..7]", ADD, -ERANGE, 8,
      "load: value 256 does not fit in the 8 bits of NXM_NX_REG0[0..7]" },
    { "actions=load:1->reg0[8..1]", ADD, -EINVAL, 8,
      "load: bit 8 comes after bit 1" },
    { "actions=load:1->reg0[x]", ADD, -EINVAL, 8,
      "load: malformed subfield 'reg0[x]'" },
    { "actions=load:1->NXM_NX_REG16[]", ADD, -EINVAL, 8,
      "load: no such register: 'NXM_NX_REG16' (expected "
      "NXM_NX_REG0..NXM_NX_REG15)" },
    { "actions=load:1->eth_foo[]", ADD, -EINVAL, 8,
      "load: unknown field 'eth_foo' (expected reg0..reg15" },
    { "actions=load:1", ADD, -EINVAL, 8, "load needs SOURCE->DESTINATION" },
    { "actions=load:x->reg0", ADD, -EINVAL, 8, "load: 'x' is not a number" },
    { "actions=move:reg0[0..7]->reg1[0..8]", ADD, -EINVAL, 8,
      "move: the source has 8 bits and the destination 9" },
    { "actions=output:reg0[0..7],move:xreg0[]->reg1", ADD, -EINVAL, 26,
      "the source has 64 bits and the destination 32" },
    { "actions=set_field:1->reg99", ADD, -EINVAL, 8,
      "set_field: no such register: 'reg99'" },
    { "actions=set_field:0x100000000->pkt_mark", ADD, -ERANGE, 8,
      "set_field pkt_mark 0x100000000 is out of range" },
    { "actions=set_field:1/0x1ffffffff->reg2", ADD, -ERANGE, 8,
      "set_field reg2 mask 0x1ffffffff is out of range" },
    { "actions=write_metadata:1,output:1", ADD, -EINVAL, 25,
      "write_metadata is an instruction: only goto_table may follow it" },
    { "actions=write_metadata:1,write_metadata:2", ADD, -EINVAL, 25,
      "write_metadata is given twice" },
    { "actions=output:xreg0[]", ADD, -ERANGE, 8,
      "output: a port is at most 32 bits wide (this subfield has 64)" },
    /* resubmit */
    { "actions=resubmit(,)", ADD, -EINVAL, 8,
      "resubmit needs a port or a table" },
    { "actions=resubmit", ADD, -EINVAL, 8,
      "resubmit needs a port or a table" },
    { "actions=resubmit(,255)", ADD, -ERANGE, 8,
      "resubmit table 255 is out of range (expected a table 0..254)" },
    { "actions=resubmit(1,2,ct)", ADD, -ENOTSUP, 8,
      "only a port and a table are supported" },
    { "actions=resubmit(nope,1)", ADD, -ENOENT, 8,
      "resubmit: unknown port 'nope'" },

    /* duplicates */
    { "ip,nw_src=1.1.1.1,nw_src=2.2.2.2,actions=drop", ADD, -EINVAL, 18,
      "duplicate field: 'nw_src=1.1.1.1' at 3" },
    { "eth_src=00:00:00:00:00:01,dl_src=00:00:00:00:00:02,actions=drop",
      ADD, -EINVAL, 26, "duplicate field" },
    { "tcp,udp,actions=drop", ADD, -EINVAL, 4,
      "duplicate field: 'tcp' at 0" },
    { "tcp,nw_proto=6,actions=drop", ADD, -EINVAL, 4, "duplicate" },
    { "tcp_flags=+syn,actions=drop", ADD, -EINVAL, 0,
      "tcp_flags requires tcp" },
    { "ip,tcp_flags=+syn,actions=drop", ADD, -EINVAL, 3,
      "tcp_flags requires tcp" },
    { "tcp,tcp_flags=+syn+syn,actions=drop", ADD, -EINVAL, 4,
      "'syn' is given twice" },
    { "tcp,tcp_flags=+SYN,actions=drop", ADD, -EINVAL, 4,
      "unknown flag 'SYN'" },
    { "tcp,tcp_flags=syn|foo,actions=drop", ADD, -EINVAL, 4,
      "unknown flag 'foo'" },
    { "tcp,tcp_flags=0x1000,actions=drop", ADD, -ERANGE, 4,
      "tcp_flags 0x1000 is out of range" },
    { "tcp,tcp_flags=,actions=drop", ADD, -EINVAL, 4,
      "tcp_flags needs a value" },
    { "tcp,tcp_flags=syn||ack,actions=drop", ADD, -EINVAL, 4,
      "unknown flag ''" },
    { "packet_type=(2,5),actions=drop", ADD, -ENOTSUP, 0,
      "(1,ETHERTYPE)" },
    { "packet_type=0,actions=drop", ADD, -EINVAL, 0, "(NAMESPACE,TYPE)" },
    { "packet_type=(0,x),actions=drop", ADD, -EINVAL, 0, "not a number" },
    { "packet_type=(0,0),packet_type=(0,0),actions=drop", ADD, -EINVAL, 18,
      "duplicate" },
    { "vlan_tci=0x1000,dl_vlan=3,actions=drop", ADD, -EINVAL, 16,
      "duplicate" },
    { "priority=1,priority=2,actions=drop", ADD, -EINVAL, 11,
      "duplicate" },
    /* actions */
    { "in_port=1", ADD, -EINVAL, 9, "missing actions" },
    { "", ADD, -EINVAL, 0, "missing actions" },
    { "in_port=1", MOD, -EINVAL, 9, "missing actions" },
    { "actions", ADD, -EINVAL, 0, "actions needs '='" },
    { "actions=drop,output:1", ADD, -EINVAL, 13,
      "drop must be the only action" },
    { "actions=output:1,drop", ADD, -EINVAL, 17,
      "drop must be the only action" },
    { "table=2,actions=goto_table:1", ADD, -EINVAL, 16,
      "later table than this flow's table 2" },
    { "actions=goto_table:3,output:1", ADD, -EINVAL, 21,
      "goto_table must be the last" },
    { "actions=set_field:80->tcp_dst", ADD, -EINVAL, 8,
      "tcp_dst requires a match on tcp" },
    { "actions=mod_nw_ttl:5", ADD, -EINVAL, 8,
      "mod_nw_ttl requires a match on ip or ipv6" },
    { "arp,actions=set_field:1->ip_ecn", ADD, -EINVAL, 12,
      "ip_ecn requires a match on ip or ipv6" },
    { "actions=output(port=1,max_len=13)", ADD, -ERANGE, 8,
      "max_len 13 is less than an Ethernet header (at least 14)" },
    { "actions=output(port=1,max_len=4294967296)", ADD, -ERANGE, 8,
      "max_len 4294967296 is out of range" },
    { "actions=output(port=1,max_len=x)", ADD, -EINVAL, 8,
      "max_len: 'x' is not a number" },
    { "actions=output(port=LOCAL,max_len=100)", ADD, -ENOTSUP, 8,
      "max_len to a reserved port is not supported" },
    { "actions=output(max_len=100)", ADD, -EINVAL, 8,
      "output needs port=N" },
    { "actions=output(port=1,len=100)", ADD, -EINVAL, 8,
      "unknown argument 'len=100'" },
    { "actions=output(port=0)", ADD, -ERANGE, 8,
      "port 0 is out of range" },
    { "actions=output(port=nope)", ADD, -ENOENT, 8, "unknown port 'nope'" },
    { "actions=load:1->NXM_NX_TUN_IPV4_SRC[32]", ADD, -ERANGE, 8,
      "bit 32 is beyond NXM_NX_TUN_IPV4_SRC's 32 bits" },
    /* hints point the right way: pop is the register stack's, never
     * "did you mean 'drop'" */
    { "actions=pop:1", ADD, -EINVAL, 8, "pop: unknown field '1'" },
    { "actions=mod_nw_tll:5", ADD, -EINVAL, 8, "did you mean 'mod_nw_ttl'" },
    { "Priority=1,actions=drop", ADD, -EINVAL, 0,
      "unknown field 'Priority'" },
    { "udp,actions=set_field:80->tcp_dst", ADD, -EINVAL, 12,
      "requires a match on tcp" },
    { "arp,actions=set_field:1.2.3.4->ip_src", ADD, -EINVAL, 12,
      "requires a match on IPv4" },
    { "ipv6,actions=set_field:1.2.3.4->ipv4_dst", ADD, -EINVAL, 13,
      "IPv4" },

    { "actions=set_field:5->vlan_vid", ADD, -EINVAL, 8, "VLAN-tagged" },
    { "dl_vlan=5,actions=strip_vlan,set_field:1->vlan_pcp", ADD,
      -EINVAL, 29, "VLAN-tagged" },
    { "actions=push_vlan:0x0800", ADD, -EINVAL, 8,
      "expected 0x8100 or 0x88a8" },
    { "ip,actions=set_field:1.2.3.4/8->tun_src", ADD, -ENOTSUP, 11,
      "a masked write to 'tun_src' is not supported" },
    { "actions=set_field:1.2.3.4", ADD, -EINVAL, 8, "VALUE->FIELD" },
    { "ip,actions=mod_nw_tos:3", ADD, -EINVAL, 11, "ECN bits" },
    { "actions=mod_dl_src", ADD, -EINVAL, 8, "needs an argument" },
    { "actions=dec_ttl:1", ADD, -EINVAL, 8, "takes no argument" },
    /* per command */
    { "cookie=1/1,actions=drop", ADD, -EINVAL, 0, "cookie mask only" },
    { "cookie=5,actions=drop", MOD, -EINVAL, 0, "needs a mask" },
    { "in_port=1,actions=drop", DEL, -EINVAL, 10,
      "del-flows takes no actions" },
    { "idle_timeout=5", DEL, -EINVAL, 0, "timeouts are set when" },
    { "hard_timeout=5,actions=drop", MOD, -EINVAL, 0, "timeouts" },
    { "out_port=1,actions=drop", ADD, -EINVAL, 0,
      "out_port only filters del-flows" },
    { "reset_counts", DEL, -EINVAL, 0, "only applies to" },
    { "check_overlap,actions=drop", MOD, -EINVAL, 0, "add-flow" },
    { "send_flow_rem", DEL, -EINVAL, 0, "send_flow_rem only applies" },
    { "send_flow_rem=1,actions=drop", ADD, -EINVAL, 0, "takes no value" },
    { "importance=3,actions=drop", MOD, -EINVAL, 0,
      "importance is set when a flow is added" },
    /* conjunctive matches: Open vSwitch's limits and rules */
    { "ip,actions=conjunction(1,1/2),output:1", ADD, -EINVAL, 30,
      "conjunction actions cannot be combined with any other action" },
    { "ip,actions=output:1,conjunction(1,1/2)", ADD, -EINVAL, 20,
      "conjunction actions cannot be combined" },
    { "ip,actions=conjunction(1,1/2),goto_table:2", ADD, -EINVAL, 30,
      "cannot be combined" },
    { "ip,actions=conjunction(1,1/1)", ADD, -EINVAL, 11,
      "conjunction must have at least 2 clauses" },
    { "ip,actions=conjunction(1,1/65)", ADD, -ERANGE, 11,
      "conjunction must have at most 64 clauses" },
    { "ip,actions=conjunction(1,0/2)", ADD, -EINVAL, 11,
      "clause index must be positive" },
    { "ip,actions=conjunction(1,3/2)", ADD, -EINVAL, 11,
      "clause index 3 must be at most the number of clauses 2" },
    { "ip,actions=conjunction(4294967296,1/2)", ADD, -ERANGE, 11,
      "conjunction id" },
    { "ip,actions=conjunction(1,2)", ADD, -EINVAL, 11,
      "conjunction(ID,K/N)" },
    { "ip,actions=conjunction:1", ADD, -EINVAL, 11, "conjunction(ID,K/N)" },
    { "conj_id=0x10/0xff,actions=drop", ADD, -EINVAL, 0,
      "conj_id cannot be masked" },
    { "conj_id=4294967296,actions=drop", ADD, -ERANGE, 0, "conj_id" },
    { "conj_id,actions=drop", ADD, -EINVAL, 0, "conj_id needs a value" },
    /* clone: a body that returns to the list, not nested, not empty */
    { "actions=clone(output:1,goto_table:1)", ADD, -EINVAL, 23,
      "clone: only actions that return to the list" },
    { "actions=clone(goto_table:1)", ADD, -EINVAL, 14,
      "not drop, goto_table or write_metadata" },
    { "actions=clone(clone(output:1))", ADD, -EINVAL, 14,
      "clone inside clone is not supported" },
    { "actions=clone()", ADD, -EINVAL, 8,
      "clone needs at least one action inside" },
    { "actions=clone:1", ADD, -EINVAL, 8,
      "clone needs its actions in parentheses" },
    { "actions=clone(mod_vlan_pcp)", ADD, -EINVAL, 14,
      "mod_vlan_pcp needs an argument" },
    /* the tag pushed inside is gone after it */
    { "actions=clone(push_vlan:0x8100),set_field:3->vlan_vid", ADD,
      -EINVAL, 32, "needs a VLAN-tagged packet" },
};

#define N_REJECTS (sizeof(rejects_cases) / sizeof(rejects_cases[0]))

/* Parameters reach the test's own process by value: pass only an index, as
 * pointers to literals or functions need not be valid there. */
ParameterizedTestParameters(parse, rejects)
{
    static size_t idx[N_REJECTS];

    for (size_t i = 0; i < N_REJECTS; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, N_REJECTS);
}

ParameterizedTest(size_t *i, parse, rejects)
{
    const struct reject_case *tc = &rejects_cases[*i];
    struct flow_mod fm;
    struct flow_error err;
    char prefix[64];
    int rc;

    rc = flow_parse(tc->line, tc->cmd, &test_ports, &fm, &err);
    cr_assert_eq(rc, tc->code, "'%s': rc %d, want %d (%s)", tc->line, rc,
                 tc->code, err.msg);
    cr_expect_eq(err.code, rc);
    cr_expect_eq(err.pos, tc->pos, "'%s': pos %zu, want %zu (%s)", tc->line,
                 err.pos, tc->pos, err.msg);
    snprintf(prefix, sizeof(prefix), "flow: at %zu '", tc->pos);
    cr_expect(strncmp(err.msg, prefix, strlen(prefix)) == 0,
              "message '%s' should start with '%s'", err.msg, prefix);
    cr_expect(strstr(err.msg, tc->fragment) != NULL,
              "'%s': message '%s' lacks '%s'", tc->line, err.msg,
              tc->fragment);
}

/* ------------------------------------------------------------------------
 * Commands, defaults, all-or-nothing
 * ------------------------------------------------------------------------ */

Test(parse, failure_leaves_output_untouched)
{
    struct flow_mod fm, before;
    struct flow_error err;

    memset(&fm, 0xa5, sizeof(fm));
    before = fm;
    /* fails late: after the match and most actions were read */
    cr_assert_eq(flow_parse("tcp,in_port=1,tp_dst=80,actions=output:2,"
                            "mod_tp_dst:1,output:bogus", FLOW_CMD_ADD,
                            &test_ports, &fm, &err), -ENOENT);
    cr_assert(memcmp(&fm, &before, sizeof(fm)) == 0);
}

Test(parse, error_is_optional)
{
    struct flow_mod fm;

    cr_assert_eq(flow_parse("bogus", FLOW_CMD_ADD, NULL, &fm, NULL),
                 -EINVAL);
    cr_assert_eq(flow_parse(NULL, FLOW_CMD_ADD, NULL, &fm, NULL), -EINVAL);
}

Test(parse, names_need_a_port_map)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse("in_port=vf0,actions=1", FLOW_CMD_ADD, NULL,
                            &fm, &err), -ENOENT);
    cr_assert(strstr(err.msg, "unknown port 'vf0'") != NULL);
    cr_assert_eq(flow_parse("in_port=10,actions=0x20", FLOW_CMD_ADD, NULL,
                            &fm, &err), 0);
    cr_assert_eq(fm.flow.match.value.in_port, 10);
    cr_assert_eq(fm.flow.actions[0].u.port, 0x20);
}

Test(parse, long_token_is_cut_in_the_message)
{
    char line[300];
    struct flow_mod fm;
    struct flow_error err;

    memset(line, 'x', 200);
    strcpy(line + 200, ",actions=drop");
    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), -EINVAL);
    cr_assert_eq(err.pos, 0);
    cr_assert_eq(err.len, 200);
    cr_assert(strstr(err.msg, "...'") != NULL, "%s", err.msg);
    cr_assert_lt(strlen(err.msg), sizeof(err.msg));
}

Test(parse, modify_and_delete_defaults)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse("ip,actions=output:1", FLOW_CMD_MODIFY,
                            &test_ports, &fm, &err), 0, "%s", err.msg);
    cr_assert_eq(fm.cmd, FLOW_CMD_MODIFY);
    cr_assert_eq(fm.flow.table_id, FLOW_TABLE_ALL);
    cr_assert_eq(fm.cookie_mask, 0);
    cr_assert_eq(fm.out_port, FLOW_PORT_ANY);

    cr_assert_eq(flow_parse("table=4,cookie=0x10/0xf0,out_port=vf1",
                            FLOW_CMD_DELETE_STRICT, &test_ports, &fm, &err),
                 0, "%s", err.msg);
    cr_assert_eq(fm.flow.table_id, 4);
    cr_assert_eq(fm.flow.cookie, 0x10);
    cr_assert_eq(fm.cookie_mask, 0xf0);
    cr_assert_eq(fm.out_port, 11);
    cr_assert_eq(fm.flow.priority, FLOW_DEFAULT_PRIORITY);

    cr_assert_eq(flow_parse("cookie=0x5/-1", FLOW_CMD_DELETE, &test_ports,
                            &fm, &err), 0, "%s", err.msg);
    cr_assert_eq(fm.cookie_mask, UINT64_MAX);

    cr_assert_eq(flow_parse("", FLOW_CMD_DELETE, &test_ports, &fm, &err), 0);
    cr_assert_eq(fm.flow.table_id, FLOW_TABLE_ALL);
}

Test(parse, flags)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse("reset_counts,check_overlap,actions=drop",
                            FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(fm.flags, FLOW_MOD_RESET_COUNTS | FLOW_MOD_CHECK_OVERLAP);
    cr_assert_eq(flow_parse("reset_counts,actions=drop",
                            FLOW_CMD_MODIFY_STRICT, NULL, &fm, &err), 0);
    cr_assert_eq(fm.flags, FLOW_MOD_RESET_COUNTS);
}

Test(parse, goto_with_all_tables_is_checked_later)
{
    struct flow_mod fm;
    struct flow_error err;

    /* the target tables are unknown here: the flow table checks */
    cr_assert_eq(flow_parse("actions=goto_table:1", FLOW_CMD_MODIFY, NULL,
                            &fm, &err), 0, "%s", err.msg);
    cr_assert_eq(fm.flow.actions[0].u.table, 1);
}

Test(parse, too_many_actions)
{
    char line[1024] = "actions=";
    struct flow_mod fm;
    struct flow_error err;

    for (unsigned i = 0; i < FLOW_MAX_ACTIONS; i++)
        strcat(line, "output:1,");
    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0);
    cr_assert_eq(fm.flow.n_actions, FLOW_MAX_ACTIONS);
    strcat(line, "output:2");
    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), -E2BIG);
    cr_assert_eq(err.pos, 8 + 9 * FLOW_MAX_ACTIONS);
    cr_assert(strstr(err.msg, "too many actions") != NULL);
}
