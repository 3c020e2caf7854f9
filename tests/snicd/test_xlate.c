/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's translator without a device: ovs-ofctl lines -> struct flow ->
 * rte_flow attributes, items and actions, checked type by type, spec by
 * spec, mask by mask; and every refusal with its reason.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>

#include <criterion/criterion.h>

#include "snic/flow.h"
#include "snicd_xlate.h"

#include "snicd_testpmd.h"
#include "xlate_test_ports.h"

static struct snicd_xlate x;

static void
setup(void)
{
    xlate_test_ports_init();
}

TestSuite(xlate, .init = setup);

static int
xl_mode(const char *line, enum snicd_xlate_mode mode, uint32_t prio,
        uint32_t mark)
{
    struct flow_mod fm;
    struct flow_error err;
    struct snicd_xlate_ctx ctx = {
        .ports = ports, .n_ports = N_PORTS, .priority = prio, .mark = mark,
        .mode = mode,
    };
    int ret = flow_parse(line, FLOW_CMD_ADD, &pmap, &fm, &err);

    cr_assert_eq(ret, 0, "parse '%s': %s", line, err.msg);
    return snicd_xlate_flow(&fm.flow, &ctx, &x);
}

static int
xl(const char *line)
{
    return xl_mode(line, SNICD_XLATE_FULL, 0, 77);
}

static void
expect_items(const enum rte_flow_item_type *types, unsigned n)
{
    cr_assert_eq(x.n_items, n, "%u items, want %u", x.n_items, n);
    for (unsigned i = 0; i < n; i++)
        cr_expect_eq(x.items[i].type, types[i], "item %u: type %d, want %d",
                     i, x.items[i].type, types[i]);
    cr_expect_eq(x.items[n].type, RTE_FLOW_ITEM_TYPE_END);
}

static void
expect_actions(const enum rte_flow_action_type *types, unsigned n)
{
    cr_assert_eq(x.n_actions, n, "%u actions, want %u", x.n_actions, n);
    for (unsigned i = 0; i < n; i++)
        cr_expect_eq(x.actions[i].type, types[i],
                     "action %u: type %d, want %d", i, x.actions[i].type,
                     types[i]);
    cr_expect_eq(x.actions[n].type, RTE_FLOW_ACTION_TYPE_END);
}

#define ITEMS(...) do { \
        static const enum rte_flow_item_type t_[] = { __VA_ARGS__ }; \
        expect_items(t_, sizeof(t_) / sizeof(t_[0])); } while (0)
#define ACTIONS(...) do { \
        static const enum rte_flow_action_type t_[] = { __VA_ARGS__ }; \
        expect_actions(t_, sizeof(t_) / sizeof(t_[0])); } while (0)

static void
expect_refused(const char *line, enum snicd_xlate_refusal kind,
               const char *words)
{
    int ret = xl(line);

    cr_assert_eq(ret, -ENOTSUP, "'%s' translated", line);
    cr_expect_eq(x.refusal, kind, "'%s': refusal kind %d", line, x.refusal);
    cr_expect(strstr(x.reason, words) != NULL,
              "'%s': reason '%s' lacks '%s'", line, x.reason, words);
}

/* ---- pattern ---- */

Test(xlate, attributes_port_ip_tcp)
{
    const struct rte_flow_item_ethdev *pm;

    cr_assert_eq(xl_mode("table=3,priority=7,tcp,in_port=vf1,"
                         "nw_src=10.1.0.0/16,tp_dst=80 actions=output:uplink",
                         SNICD_XLATE_FULL, 2, 0), 0, "%s", x.reason);
    cr_expect_eq(x.attr.transfer, 1);
    cr_expect_eq(x.attr.group, 3);
    cr_expect_eq(x.attr.priority, 2);
    cr_expect_eq(x.attr.ingress, 0);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV4,
          RTE_FLOW_ITEM_TYPE_TCP);
    pm = x.items[0].spec;
    cr_expect_eq(pm->port_id, 2);
    cr_expect_eq(((const struct rte_flow_item_ethdev *)x.items[0].mask)
                 ->port_id, 0xffff);
    const struct rte_flow_item_ipv4 *is = x.items[1].spec, *im = x.items[1].mask;
    cr_expect_eq(ntohl(is->hdr.src_addr), 0x0a010000);
    cr_expect_eq(ntohl(im->hdr.src_addr), 0xffff0000);
    cr_expect_eq(im->hdr.dst_addr, 0);
    cr_expect_eq(is->hdr.next_proto_id, 6);
    cr_expect_eq(im->hdr.next_proto_id, 0xff);
    const struct rte_flow_item_tcp *ts = x.items[2].spec, *tm = x.items[2].mask;
    cr_expect_eq(ntohs(ts->hdr.dst_port), 80);
    cr_expect_eq(tm->hdr.dst_port, 0xffff);
    cr_expect_eq(tm->hdr.src_port, 0);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(((const struct rte_flow_action_ethdev *)x.actions[1].conf)
                 ->port_id, 0);
    cr_expect_not(x.uses_mark);
}

Test(xlate, eth_masks_and_type)
{
    cr_assert_eq(xl("in_port=vf0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,"
                    "dl_src=02:00:00:00:00:07,dl_type=0x88cc "
                    "actions=output:vf1"), 0, "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_ETH);
    const struct rte_flow_item_eth *s = x.items[1].spec, *m = x.items[1].mask;
    cr_expect_eq(s->hdr.dst_addr.addr_bytes[0], 1);
    cr_expect_eq(m->hdr.dst_addr.addr_bytes[0], 1);
    cr_expect_eq(m->hdr.dst_addr.addr_bytes[1], 0);
    cr_expect_eq(s->hdr.src_addr.addr_bytes[5], 7);
    cr_expect_eq(m->hdr.src_addr.addr_bytes[5], 0xff);
    cr_expect_eq(ntohs(s->hdr.ether_type), 0x88cc);
    cr_expect_eq(m->hdr.ether_type, 0xffff);
    cr_expect_eq(m->has_vlan, 0);
}

Test(xlate, vlan_vid_and_pcp)
{
    cr_assert_eq(xl("in_port=vf0,dl_vlan=5,dl_vlan_pcp=3,dl_type=0x88cc "
                    "actions=output:vf1"), 0, "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_ETH,
          RTE_FLOW_ITEM_TYPE_VLAN);
    const struct rte_flow_item_vlan *s = x.items[2].spec, *m = x.items[2].mask;
    /* the CFI ("present") bit is not the wire's DEI: never in the mask */
    cr_expect_eq(ntohs(s->hdr.vlan_tci), 0x6005);
    cr_expect_eq(ntohs(m->hdr.vlan_tci), 0xefff);
    cr_expect_eq(ntohs(s->hdr.eth_proto), 0x88cc);
    cr_expect_eq(m->hdr.eth_proto, 0xffff);
    const struct rte_flow_item_eth *em = x.items[1].mask;
    cr_expect_eq(em->hdr.ether_type, 0, "the type goes in VLAN inner_type");
}

Test(xlate, no_vlan_is_has_vlan_zero)
{
    cr_assert_eq(xl("in_port=vf0,dl_vlan=0xffff,ip actions=output:vf1"), 0,
                 "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_ETH,
          RTE_FLOW_ITEM_TYPE_IPV4);
    const struct rte_flow_item_eth *s = x.items[1].spec, *m = x.items[1].mask;
    cr_expect_eq(s->has_vlan, 0);
    cr_expect_eq(m->has_vlan, 1);
}

Test(xlate, ipv6_and_icmp)
{
    cr_assert_eq(xl("in_port=vf0,ipv6,ipv6_src=2001:db8::1,nw_tos=0x20,"
                    "nw_ttl=9 actions=output:vf1"), 0, "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV6);
    const struct rte_flow_item_ipv6 *s = x.items[1].spec, *m = x.items[1].mask;
    cr_expect_eq(s->hdr.src_addr[0], 0x20);
    cr_expect_eq(s->hdr.src_addr[15], 1);
    cr_expect_eq(m->hdr.src_addr[15], 0xff);
    cr_expect_eq(m->hdr.dst_addr[0], 0);
    cr_expect_eq(ntohl(s->hdr.vtc_flow), 0x20u << 20);
    cr_expect_eq(ntohl(m->hdr.vtc_flow), 0xfcu << 20);
    cr_expect_eq(s->hdr.hop_limits, 9);

    cr_assert_eq(xl("in_port=vf0,icmp,icmp_type=8,icmp_code=0 "
                    "actions=output:vf1"), 0, "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV4,
          RTE_FLOW_ITEM_TYPE_ICMP);
    const struct rte_flow_item_icmp *is = x.items[2].spec,
                                    *im = x.items[2].mask;
    cr_expect_eq(is->hdr.icmp_type, 8);
    cr_expect_eq(im->hdr.icmp_type, 0xff);
    cr_expect_eq(im->hdr.icmp_code, 0xff);

    cr_assert_eq(xl("in_port=vf0,udp6,tp_src=53 actions=output:vf1"), 0);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV6,
          RTE_FLOW_ITEM_TYPE_UDP);
}

/* Neighbor Discovery fields share the key with nw_src/nw_dst, mpls_lse
 * and tcp_flags: refused by their own names (the card has no ND match
 * field), and an ND message matched by type alone still goes to the
 * card. */
Test(xlate, neighbor_discovery_stays_in_software_by_name)
{
    expect_refused("in_port=vf0,icmp6,icmp_type=136,nd_target=fe80::1 "
                   "actions=output:vf1", SNICD_XLATE_REFUSED_MATCH,
                   "match on nd_target not offloaded");
    expect_refused("in_port=vf0,icmp6,icmp_type=135,"
                   "nd_sll=00:11:22:33:44:55 actions=output:vf1",
                   SNICD_XLATE_REFUSED_MATCH, "match on nd_sll not offloaded");
    expect_refused("in_port=vf0,icmp6,icmp_type=136,"
                   "nd_tll=00:11:22:00:00:00/ff:ff:ff:00:00:00 "
                   "actions=output:vf1",
                   SNICD_XLATE_REFUSED_MATCH, "match on nd_tll not offloaded");
    cr_assert_eq(xl("in_port=vf0,icmp6,icmp_type=136 actions=output:vf1"),
                 0, "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV6,
          RTE_FLOW_ITEM_TYPE_ICMP6);
}

Test(xlate, prerequisite_only_matches)
{
    /* nw_proto without ports: the IP item carries it, no L4 item */
    cr_assert_eq(xl("in_port=vf0,ip,nw_proto=47 actions=output:vf1"), 0);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV4);
    cr_expect_eq(((const struct rte_flow_item_ipv4 *)x.items[1].spec)
                 ->hdr.next_proto_id, 47);
    /* plain "ip": an IPV4 item that matches any IPv4 packet, from any
     * port (without a port item, a rule would see only the wire's) */
    cr_assert_eq(xl("ip actions=drop"), 0);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV4);
    cr_expect_eq(((const struct rte_flow_item_ethdev *)x.items[0].mask)
                 ->port_id, 0, "any port: a zero-mask port item");
    cr_expect_eq(((const struct rte_flow_item_ipv4 *)x.items[1].mask)
                 ->hdr.src_addr, 0);
    /* ARP without ARP fields is an EtherType */
    cr_assert_eq(xl("arp actions=drop"), 0);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_ETH);
    cr_expect_eq(ntohs(((const struct rte_flow_item_eth *)x.items[1].spec)
                       ->hdr.ether_type), 0x0806);
    /* match everything, from every port */
    cr_assert_eq(xl("priority=0 actions=drop"), 0);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT);
    cr_expect_eq(((const struct rte_flow_item_ethdev *)x.items[0].mask)
                 ->port_id, 0);
}

Test(xlate, match_refusals)
{
    expect_refused("tun_id=5,in_port=vf0 actions=drop",
                   SNICD_XLATE_REFUSED_MATCH,
                   "match on tun_id needs decapsulated frames");
    expect_refused("tun_src=1.2.3.4 actions=drop",
                   SNICD_XLATE_REFUSED_MATCH,
                   "match on tun_src needs decapsulated frames");
    expect_refused("in_port=vxlan0 actions=output:vf0",
                   SNICD_XLATE_REFUSED_MATCH,
                   "in_port=vxlan0 outside a decap context");
    expect_refused("arp,nw_dst=10.0.0.1 actions=drop",
                   SNICD_XLATE_REFUSED_MATCH, "ARP fields");
    expect_refused("vlan_tci=0/0x0fff actions=drop",
                   SNICD_XLATE_REFUSED_MATCH, "tagged and untagged");
    expect_refused("in_port=77 actions=drop", SNICD_XLATE_REFUSED_MATCH,
                   "in_port 77 is not a port");
}

/* ---- actions ---- */

Test(xlate, drop_and_goto)
{
    cr_assert_eq(xl("in_port=vf0 actions=drop"), 0);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_DROP);

    cr_assert_eq(xl("in_port=vf0,ip actions=dec_ttl"), 0,
                 "no fate left: the packet is dropped");
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_DROP);

    cr_assert_eq(xl("in_port=vf0 actions=mod_dl_dst:02:00:00:00:00:09,"
                    "goto_table:4"), 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_SET_MAC_DST,
            RTE_FLOW_ACTION_TYPE_MARK, RTE_FLOW_ACTION_TYPE_JUMP);
    cr_expect_eq(((const struct rte_flow_action_mark *)x.actions[2].conf)->id,
                 77);
    cr_expect_eq(((const struct rte_flow_action_jump *)x.actions[3].conf)
                 ->group, 4);
    cr_expect(x.has_goto);
    cr_expect(x.uses_mark);
}

static int
jump_of(const char *line)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, &pmap, &fm, &err), 0,
                 "parse '%s': %s", line, err.msg);
    return snicd_xlate_jump(&fm.flow);
}

/* resubmit(,N) as the last action, to a later table, in_port kept: what
 * happens after its lookup is nothing, so it is goto_table:N (MARK with the
 * resume mark + JUMP); every other resubmit stays with its own reason */
Test(xlate, last_forward_resubmit_is_a_jump)
{
    cr_expect_eq(jump_of("table=1,in_port=vf0 actions=goto_table:4"), 4);
    cr_expect_eq(jump_of("table=1,in_port=vf0 actions=resubmit(,4)"), 4);
    cr_expect_eq(jump_of("table=1 actions=output:vf1,resubmit(,2)"), 2);
    cr_expect_eq(jump_of("table=1 actions=resubmit(,1)"), -1, "own table");
    cr_expect_eq(jump_of("table=1 actions=resubmit(,0)"), -1, "backwards");
    cr_expect_eq(jump_of("table=1 actions=resubmit:vf1"), -1, "own table");
    cr_expect_eq(jump_of("table=1 actions=resubmit(vf1,3)"), -1, "in_port");
    cr_expect_eq(jump_of("table=1 actions=resubmit(,3),output:vf1"), -1,
                 "returns to an output");
    cr_expect_eq(jump_of("table=1 actions=output:vf1,clone(resubmit(,3))"),
                 -1, "ends a clone's body, not the list");
    cr_expect_eq(jump_of("table=1 actions=output:vf1"), -1);
    cr_expect_eq(jump_of("table=1 actions=drop"), -1);

    cr_assert_eq(xl("table=1,in_port=vf0 actions=mod_dl_dst:02:00:00:00:00:09,"
                    "resubmit(,4)"), 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_SET_MAC_DST,
            RTE_FLOW_ACTION_TYPE_MARK, RTE_FLOW_ACTION_TYPE_JUMP);
    cr_expect_eq(((const struct rte_flow_action_mark *)x.actions[2].conf)->id,
                 77);
    cr_expect_eq(((const struct rte_flow_action_jump *)x.actions[3].conf)
                 ->group, 4);
    cr_expect(x.has_goto);
    cr_expect(x.uses_mark);
    cr_expect_eq(x.attr.group, 1);

    /* an output first is fine while the target cannot fail (rule 4) */
    cr_assert_eq(xl("in_port=vf0 actions=output:vf1,resubmit(,1)"), 0, "%s",
                 x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
            RTE_FLOW_ACTION_TYPE_MARK, RTE_FLOW_ACTION_TYPE_JUMP);

    expect_refused("table=1,in_port=vf0 actions=resubmit(,3),output:vf1",
                   SNICD_XLATE_REFUSED_ACTION,
                   "resubmit not offloaded where actions follow it");
    expect_refused("table=2,in_port=vf0 actions=resubmit(,2)",
                   SNICD_XLATE_REFUSED_ACTION,
                   "resubmit(,2) in table 2 not offloaded (a lookup of its "
                   "own or an earlier table may loop");
    expect_refused("table=2,in_port=vf0 actions=resubmit(,1)",
                   SNICD_XLATE_REFUSED_ACTION, "resubmit(,1) in table 2");
    expect_refused("table=2,in_port=vf0 actions=resubmit:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "resubmit(vf1,2) not offloaded "
                   "(it looks the table up as received on another port");
    expect_refused("in_port=vf0 actions=resubmit(vf1,3)",
                   SNICD_XLATE_REFUSED_ACTION, "resubmit(vf1,3)");
    expect_refused("in_port=vf0 actions=set_tunnel:5,resubmit(,2)",
                   SNICD_XLATE_REFUSED_ACTION,
                   "set_tunnel before resubmit: tunnel metadata");
}

/* rule 4 says so: no output before the jump to a table software may drop
 * the packet whole from */
Test(xlate, output_before_a_jump_that_may_fail)
{
    struct flow_mod fm;
    struct flow_error err;
    struct snicd_xlate_ctx ctx = {
        .ports = ports, .n_ports = N_PORTS, .mark = 5, .goto_may_fail = true,
    };

    cr_assert_eq(flow_parse("in_port=vf0 actions=output:vf1,resubmit(,3)",
                            FLOW_CMD_ADD, &pmap, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(snicd_xlate_flow(&fm.flow, &ctx, &x), -ENOTSUP);
    cr_expect_eq(x.refusal, SNICD_XLATE_REFUSED_ACTION, "partial retried");
    cr_expect(strstr(x.reason, "output before resubmit(,3) not offloaded "
                     "(software may drop the packet whole") != NULL, "%s",
              x.reason);
    cr_assert_eq(flow_parse("in_port=vf0 actions=output:vf1,goto_table:3",
                            FLOW_CMD_ADD, &pmap, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(snicd_xlate_flow(&fm.flow, &ctx, &x), -ENOTSUP);
    cr_expect(strstr(x.reason, "output before goto_table:3 not offloaded")
              != NULL, "%s", x.reason);
    /* nothing has left yet: the jump alone is fine */
    cr_assert_eq(flow_parse("in_port=vf0 actions=mod_dl_src:02:00:00:00:00:01,"
                            "resubmit(,3)", FLOW_CMD_ADD, &pmap, &fm, &err),
                 0, "%s", err.msg);
    cr_assert_eq(snicd_xlate_flow(&fm.flow, &ctx, &x), 0, "%s", x.reason);
}

Test(xlate, rewrites_in_order)
{
    cr_assert_eq(xl("in_port=vf0,tcp,tp_dst=80 actions=output:vf1,"
                    "mod_dl_src:02:00:00:00:00:01,mod_nw_dst:10.9.9.9,"
                    "mod_tp_dst:8080,mod_nw_tos:0x28,dec_ttl,output:vf2"), 0,
                 "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
            RTE_FLOW_ACTION_TYPE_SET_MAC_SRC,
            RTE_FLOW_ACTION_TYPE_SET_IPV4_DST,
            RTE_FLOW_ACTION_TYPE_SET_TP_DST,
            RTE_FLOW_ACTION_TYPE_SET_IPV4_DSCP, RTE_FLOW_ACTION_TYPE_DEC_TTL,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(((const struct rte_flow_action_ethdev *)x.actions[1].conf)
                 ->port_id, 2);
    cr_expect_eq(((const struct rte_flow_action_set_mac *)x.actions[2].conf)
                 ->mac_addr[5], 1);
    cr_expect_eq(ntohl(((const struct rte_flow_action_set_ipv4 *)
                        x.actions[3].conf)->ipv4_addr), 0x0a090909);
    cr_expect_eq(ntohs(((const struct rte_flow_action_set_tp *)
                        x.actions[4].conf)->port), 8080);
    cr_expect_eq(((const struct rte_flow_action_set_dscp *)
                  x.actions[5].conf)->dscp, 0x28 >> 2);
    cr_expect_eq(((const struct rte_flow_action_ethdev *)x.actions[7].conf)
                 ->port_id, 3);
}

/* load / masked set_field / move on part of a header field: MODIFY_FIELD,
 * the value in the field's own bytes at its offset (#12) */
Test(xlate, header_subfield_writes_are_modify_field)
{
    const struct rte_flow_action_modify_field *c;

    cr_assert_eq(xl("in_port=vf0,udp actions=load:0x0102->NXM_OF_IP_SRC"
                    "[16..31],set_field:0x0800/0x0f00->udp_dst,"
                    "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],output:vf1"), 0,
                 "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_MODIFY_FIELD,
            RTE_FLOW_ACTION_TYPE_MODIFY_FIELD,
            RTE_FLOW_ACTION_TYPE_MODIFY_FIELD,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    c = x.actions[1].conf;
    cr_expect_eq(c->operation, RTE_FLOW_MODIFY_SET);
    cr_expect_eq(c->dst.field, RTE_FLOW_FIELD_IPV4_SRC);
    cr_expect_eq(c->dst.offset, 16);
    cr_expect_eq(c->width, 16);
    cr_expect_eq(c->src.field, RTE_FLOW_FIELD_VALUE);
    static const uint8_t ip[16] = { 1, 2 };
    cr_expect_arr_eq(c->src.value, ip, sizeof(ip));
    /* 0x0f00 of the port: bits 8..11, value 0x8 there */
    c = x.actions[2].conf;
    cr_expect_eq(c->dst.field, RTE_FLOW_FIELD_UDP_PORT_DST);
    cr_expect_eq(c->dst.offset, 8);
    cr_expect_eq(c->width, 4);
    static const uint8_t port[16] = { 0x08 };
    cr_expect_arr_eq(c->src.value, port, sizeof(port));
    c = x.actions[3].conf;
    cr_expect_eq(c->dst.field, RTE_FLOW_FIELD_MAC_DST);
    cr_expect_eq(c->src.field, RTE_FLOW_FIELD_MAC_SRC);
    cr_expect_eq(c->src.offset, 0);
    cr_expect_eq(c->width, 48);
}

Test(xlate, output_to_in_port)
{
    /* exact in_port: the output to it is dropped statically */
    cr_assert_eq(xl("in_port=vf0 actions=output:vf0,output:vf1"), 0);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(((const struct rte_flow_action_ethdev *)x.actions[1].conf)
                 ->port_id, 2);
    cr_assert_eq(xl("in_port=vf0 actions=output:vf0"), 0);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_DROP);
    expect_refused("ip actions=output:vf1", SNICD_XLATE_REFUSED_MATCH,
                   "output to vf1 needs an exact in_port match");
}

Test(xlate, vlan_actions)
{
    /* untagged: push a zero tag, then the new VID */
    cr_assert_eq(xl("in_port=vf0,dl_vlan=0xffff actions=push_vlan:0x8100,"
                    "set_field:10->vlan_vid,output:uplink"), 0, "%s",
                 x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN,
            RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP,
            RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(ntohs(((const struct rte_flow_action_of_push_vlan *)
                        x.actions[1].conf)->ethertype), 0x8100);
    cr_expect_eq(((const struct rte_flow_action_of_set_vlan_pcp *)
                  x.actions[2].conf)->vlan_pcp, 0);
    cr_expect_eq(ntohs(((const struct rte_flow_action_of_set_vlan_vid *)
                        x.actions[3].conf)->vlan_vid), 10);

    /* tagged with a pinned TCI: push copies it */
    cr_assert_eq(xl("in_port=vf0,dl_vlan=7,dl_vlan_pcp=2 "
                    "actions=push_vlan:0x88a8,output:uplink"), 0, "%s",
                 x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN,
            RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID,
            RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(ntohs(((const struct rte_flow_action_of_set_vlan_vid *)
                        x.actions[2].conf)->vlan_vid), 7);
    cr_expect_eq(((const struct rte_flow_action_of_set_vlan_pcp *)
                  x.actions[3].conf)->vlan_pcp, 2);

    /* OpenFlow 1.0 mod_vlan_vid on a guaranteed-untagged packet pushes */
    cr_assert_eq(xl("in_port=vf0,dl_vlan=0xffff actions=mod_vlan_vid:12,"
                    "output:uplink"), 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN,
            RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID,
            RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    /* ... but a change of the tag the packet came with stays in software:
     * the card's SET_VLAN_VID/PCP keep a DEI bit of 1 where Open vSwitch
     * and software write 0, and the card cannot match DEI (a hw/sw
     * difference) */
    expect_refused("in_port=vf0,dl_vlan=3 actions=mod_vlan_vid:12,"
                   "output:uplink", SNICD_XLATE_REFUSED_ACTION,
                   "card's SET_VLAN_VID/PCP keep DEI");
    expect_refused("in_port=vf0,dl_vlan=3 actions=mod_vlan_pcp:5,"
                   "output:uplink", SNICD_XLATE_REFUSED_ACTION,
                   "mod_vlan_pcp changes the packet's own tag");
    expect_refused("in_port=vf0,dl_vlan=3,dl_vlan_pcp=5 actions="
                   "mod_vlan_vid:3,mod_vlan_pcp:4,output:uplink",
                   SNICD_XLATE_REFUSED_ACTION, "mod_vlan_pcp changes");
    /* a rewrite to the value the match pins leaves the tag (its DEI too)
     * on both paths: on the card */
    cr_assert_eq(xl("in_port=vf0,dl_vlan=3,dl_vlan_pcp=5 actions="
                    "mod_vlan_vid:3,mod_vlan_pcp:5,output:uplink"), 0, "%s",
                 x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID,
            RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    /* and a tag the flow pushed has DEI 0 on both: on the card */
    cr_assert_eq(xl("in_port=vf0,dl_vlan=3,dl_vlan_pcp=5 actions="
                    "push_vlan:0x8100,mod_vlan_vid:12,output:uplink"), 0,
                 "%s", x.reason);

    cr_assert_eq(xl("in_port=uplink,dl_vlan=3 actions=strip_vlan,"
                    "output:vf0"), 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_OF_POP_VLAN,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);

    expect_refused("in_port=vf0 actions=mod_vlan_vid:12,output:uplink",
                   SNICD_XLATE_REFUSED_ACTION,
                   "hardware cannot push conditionally");
    expect_refused("in_port=vf0,dl_vlan=3 actions=push_vlan:0x8100,"
                   "output:uplink", SNICD_XLATE_REFUSED_ACTION,
                   "outer tag's PCP");
    expect_refused("in_port=vf0 actions=push_vlan:0x8100,output:uplink",
                   SNICD_XLATE_REFUSED_ACTION, "may or may not be tagged");
}

Test(xlate, tunnel_encap)
{
    const struct rte_flow_action_vxlan_encap *e;
    const struct rte_flow_item_ipv4 *ip;
    const struct rte_flow_item_vxlan *vx;
    const struct rte_flow_item_eth *eth;

    cr_assert_eq(xl("in_port=vf0 actions=set_tunnel:0x123456,output:vxlan0"),
                 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    e = x.actions[1].conf;
    cr_assert_eq(e->definition[0].type, RTE_FLOW_ITEM_TYPE_ETH);
    cr_assert_eq(e->definition[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
    cr_assert_eq(e->definition[2].type, RTE_FLOW_ITEM_TYPE_UDP);
    cr_assert_eq(e->definition[3].type, RTE_FLOW_ITEM_TYPE_VXLAN);
    cr_assert_eq(e->definition[4].type, RTE_FLOW_ITEM_TYPE_END);
    eth = e->definition[0].spec;
    cr_expect_eq(eth->hdr.dst_addr.addr_bytes[5], 2);
    cr_expect_eq(eth->hdr.src_addr.addr_bytes[5], 1);
    ip = e->definition[1].spec;
    cr_expect_eq(ntohl(ip->hdr.src_addr), 0x0a000001);
    cr_expect_eq(ntohl(ip->hdr.dst_addr), 0x0a000002);
    vx = e->definition[3].spec;
    cr_expect_eq(vx->vni[0], 0x12);
    cr_expect_eq(vx->vni[2], 0x56);
    cr_expect_eq(((const struct rte_flow_action_ethdev *)x.actions[2].conf)
                 ->port_id, 0, "out of the underlay (uplink)");

    cr_assert_eq(xl("in_port=vf0 actions=set_field:10.7.7.7->tun_dst,"
                    "output:vxlan0"), 0, "%s", x.reason);
    e = x.actions[1].conf;
    ip = e->definition[1].spec;
    cr_expect_eq(ntohl(ip->hdr.dst_addr), 0x0a070707);

    expect_refused("in_port=vf0 actions=output:vxlan1",
                   SNICD_XLATE_REFUSED_ACTION, "no tunnel configuration");
    expect_refused("in_port=vf0 actions=output:vxlan0,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION,
                   "actions after an output to a tunnel port");
    expect_refused("in_port=vf0 actions=set_tunnel:5,goto_table:2",
                   SNICD_XLATE_REFUSED_ACTION,
                   "tunnel metadata cannot cross tables");
}

Test(xlate, partial_mode)
{
    cr_assert_eq(xl_mode("in_port=vf2,ip actions=mod_nw_tos:0x10,output:vf1",
                         SNICD_XLATE_PARTIAL, 1, 99), 0, "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV4);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_MARK,
            RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR);
    cr_expect_eq(((const struct rte_flow_action_mark *)x.actions[1].conf)->id,
                 99);
    cr_expect_eq(((const struct rte_flow_action_ethdev *)x.actions[2].conf)
                 ->port_id, 3, "to the ingress port's representor");
    cr_expect(x.uses_mark);
    cr_expect_eq(x.attr.priority, 1);

    cr_assert_eq(xl_mode("ip actions=output:vf1", SNICD_XLATE_PARTIAL, 0, 1),
                 -ENOTSUP);
    cr_expect(strstr(x.reason, "partial offload needs an exact in_port") !=
              NULL, "%s", x.reason);

    /* a resubmit inside a clone's body needs the flow's table in software
     * as much as one in the list */
    cr_assert_eq(xl_mode("in_port=vf2 actions=clone(resubmit(,1)),"
                         "output:vf1", SNICD_XLATE_PARTIAL, 0, 1), -ENOTSUP);
    cr_expect(strstr(x.reason, "no partial offload of resubmit") != NULL,
              "%s", x.reason);
    cr_assert_eq(xl_mode("table=1,in_port=vf2 actions=resubmit(,1)",
                         SNICD_XLATE_PARTIAL, 0, 1), -ENOTSUP);
    cr_expect(strstr(x.reason, "no partial offload of resubmit") != NULL,
              "%s", x.reason);
    cr_assert_eq(xl_mode("table=1,in_port=vf2 actions=resubmit(,3),"
                         "output:vf1", SNICD_XLATE_PARTIAL, 0, 1), -ENOTSUP);
    cr_expect(strstr(x.reason, "no partial offload of resubmit") != NULL,
              "%s", x.reason);
    /* a forward jump's lookup is the same from no table (software runs a
     * partial flow's actions so): partial is fine */
    cr_assert_eq(xl_mode("table=1,in_port=vf2 actions=load:1->reg0,"
                         "resubmit(,3)", SNICD_XLATE_PARTIAL, 0, 1), 0, "%s",
                 x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_MARK,
            RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR);
}

/* ---- shapes ---- */

static int
shape_of(const char *line, uint8_t *buf)
{
    cr_assert_eq(xl(line), 0, "%s: %s", line, x.reason);
    return snicd_xlate_shape(&x, buf, SNICD_XLATE_SHAPE_MAX);
}

Test(xlate, shapes)
{
    static uint8_t a[SNICD_XLATE_SHAPE_MAX], b[SNICD_XLATE_SHAPE_MAX];
    int la, lb;

    la = shape_of("in_port=vf0,ip,nw_dst=10.0.0.1 actions=output:vf1", a);
    lb = shape_of("in_port=vf0,ip,nw_dst=10.0.9.9 actions=output:vf1", b);
    cr_assert_gt(la, 0);
    cr_expect(la == lb && memcmp(a, b, (size_t)la) == 0,
              "same fields, masks and actions: same shape");
    lb = shape_of("in_port=vf0,ip,nw_dst=10.0.0.0/24 actions=output:vf1", b);
    cr_expect(la != lb || memcmp(a, b, (size_t)la) != 0, "mask differs");
    lb = shape_of("in_port=vf0,ip,nw_dst=10.0.0.1 actions=dec_ttl,"
                  "output:vf1", b);
    cr_expect(la != lb || memcmp(a, b, (size_t)la) != 0, "actions differ");
    cr_expect_eq(snicd_xlate_shape(&x, b, 8), -ENOSPC);
}

/* ---- tunnels: decap contexts, pop and guard rules ---- */

static struct flow_mod tfm;

static const struct flow *
parsed(const char *line)
{
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, &pmap, &tfm, &err), 0,
                 "parse '%s': %s", line, err.msg);
    return &tfm.flow;
}

static int
xl_decap(const char *line, const struct snicd_xlate_decap *d,
         enum snicd_xlate_mode mode)
{
    struct snicd_xlate_ctx ctx = {
        .ports = ports, .n_ports = N_PORTS, .priority = 3, .mark = 0,
        .mode = mode, .decap = d,
    };

    return snicd_xlate_flow(parsed(line), &ctx, &x);
}

static void
decap_key(const char *line, struct snicd_xlate_decap *d)
{
    char why[SNICD_REASON_SIZE];

    cr_assert_eq(snicd_xlate_decap_key(parsed(line), ports, N_PORTS, d, why,
                                       sizeof(why)), 0, "%s: %s", line, why);
}

static void
expect_no_key(const char *line, const char *words)
{
    struct snicd_xlate_decap d;
    char why[SNICD_REASON_SIZE];

    cr_assert_eq(snicd_xlate_decap_key(parsed(line), ports, N_PORTS, &d, why,
                                       sizeof(why)), -ENOTSUP,
                 "'%s' has a decap context", line);
    cr_expect(strstr(why, words) != NULL, "'%s': reason '%s' lacks '%s'",
              line, why, words);
}

Test(xlate, decap_domains)
{
    unsigned both = SNICD_XLATE_DOM_ROOT | SNICD_XLATE_DOM_TUNNEL;

    cr_expect_eq(snicd_xlate_domains(parsed("in_port=vf0 actions=drop"),
                                     ports, N_PORTS), SNICD_XLATE_DOM_ROOT);
    cr_expect_eq(snicd_xlate_domains(parsed("ip actions=drop"), ports,
                                     N_PORTS), both,
                 "no in_port: sees both kinds of frames");
    cr_expect_eq(snicd_xlate_domains(parsed("in_port=vxlan0,tun_id=5 "
                                            "actions=drop"), ports, N_PORTS),
                 SNICD_XLATE_DOM_TUNNEL);
    cr_expect_eq(snicd_xlate_domains(parsed("tun_id=5 actions=drop"), ports,
                                     N_PORTS), SNICD_XLATE_DOM_TUNNEL,
                 "a non-zero tun_id: only decapsulated frames");
    cr_expect_eq(snicd_xlate_domains(parsed("tun_id=0 actions=drop"), ports,
                                     N_PORTS), both);
    cr_expect_eq(snicd_xlate_domains(parsed("in_port=vf1,tun_id=5 "
                                            "actions=drop"), ports, N_PORTS),
                 0u, "nothing: vf1's frames carry no tunnel metadata");
}

Test(xlate, decap_key_and_refusals)
{
    struct snicd_xlate_decap d;

    decap_key("in_port=vxlan0,tun_id=0x1234,ip actions=output:vf1", &d);
    cr_expect_eq(d.tun_port, 100);
    cr_expect_eq(be64toh(d.tun_id), 0x1234);
    cr_expect_eq(ntohl(d.tun_src), 0x0a000002, "the remote VTEP");
    cr_expect_eq(ntohl(d.tun_dst), 0x0a000001, "the local VTEP");
    cr_expect_eq(d.group, 0, "the group comes with the context");

    expect_no_key("in_port=vxlan0 actions=output:vf1", "tun_id wildcarded");
    expect_no_key("in_port=vxlan0,tun_id=0x10/0xf0 actions=output:vf1",
                  "tun_id masked");
    expect_no_key("table=2,in_port=vxlan0,tun_id=5 actions=output:vf1",
                  "only for flows of table 0");
    expect_no_key("in_port=vxlan1,tun_id=5 actions=output:vf1",
                  "no tunnel configuration");
    expect_no_key("in_port=vf0,tun_id=5 actions=output:vf1",
                  "not a flow of a tunnel port");
    expect_no_key("in_port=vxlan0,tun_id=0x1000000 actions=output:vf1",
                  "not a VNI");

    /* flow-based (no remote VTEP): the outer source must be exact */
    ports[5].tun_remote_ip = 0;
    expect_no_key("in_port=vxlan0,tun_id=5 actions=output:vf1",
                  "exact tun_src");
    decap_key("in_port=vxlan0,tun_id=5,tun_src=10.9.9.9 actions=output:vf1",
              &d);
    cr_expect_eq(ntohl(d.tun_src), 0x0a090909);
}

Test(xlate, decap_flow_in_its_context)
{
    struct snicd_xlate_decap d;
    const struct rte_flow_item_ipv4 *ip;

    decap_key("priority=9,in_port=vxlan0,tun_id=5,ip,nw_dst=10.1.1.1 "
              "actions=output:vf1", &d);
    d.group = SNICD_XLATE_CTX_GROUP0 + 4;
    cr_assert_eq(xl_decap("priority=9,in_port=vxlan0,tun_id=5,ip,"
                          "nw_dst=10.1.1.1 actions=output:vf1", &d,
                          SNICD_XLATE_FULL), 0, "%s", x.reason);
    cr_expect_eq(x.attr.group, SNICD_XLATE_CTX_GROUP0 + 4);
    cr_expect_eq(x.attr.priority, 3);
    /* any port: only the pop rule leads there; then the inner headers */
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV4);
    cr_expect_eq(((const struct rte_flow_item_ethdev *)x.items[0].mask)
                 ->port_id, 0, "a zero-mask port item");
    ip = x.items[1].spec;
    cr_expect_eq(ntohl(ip->hdr.dst_addr), 0x0a010101);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(((const struct rte_flow_action_ethdev *)x.actions[1].conf)
                 ->port_id, 2);
    cr_expect(!x.uses_mark, "misses keep the pop rule's decap mark");

    /* tun_src / tun_dst agreeing with the context are consumed */
    cr_assert_eq(xl_decap("in_port=vxlan0,tun_id=5,tun_src=10.0.0.2,"
                          "tun_dst=10.0.0.1 actions=output:vf1", &d,
                          SNICD_XLATE_FULL), 0, "%s", x.reason);
    cr_assert_eq(xl_decap("in_port=vxlan0,tun_id=5,tun_src=10.0.0.3 "
                          "actions=output:vf1", &d, SNICD_XLATE_FULL),
                 -ENOTSUP);
    cr_expect(strstr(x.reason, "tun_src excludes the frames") != NULL, "%s",
              x.reason);

    /* re-encapsulation: the packet's VNI unless set; output to the ingress
     * tunnel port is skipped like any ingress port */
    cr_assert_eq(xl_decap("in_port=vxlan0,tun_id=5 actions=set_tunnel:9,"
                          "output:vxlan0", &d, SNICD_XLATE_FULL), 0);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_DROP);
    cr_assert_eq(xl_decap("in_port=vxlan0,tun_id=5 actions=output:vf0,"
                          "output:vxlan0", &d, SNICD_XLATE_FULL), 0);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);

    cr_assert_eq(xl_decap("in_port=vxlan0,tun_id=5 actions=goto_table:1", &d,
                          SNICD_XLATE_FULL), -ENOTSUP);
    cr_expect_eq(x.refusal, SNICD_XLATE_REFUSED_MATCH, "no partial retry");
    cr_expect(strstr(x.reason, "goto_table after hardware decap") != NULL,
              "%s", x.reason);
    cr_assert_eq(xl_decap("in_port=vxlan0,tun_id=5 actions=output:vf0", &d,
                          SNICD_XLATE_PARTIAL), -ENOTSUP);
    cr_expect(strstr(x.reason, "no partial offload after hardware decap") !=
              NULL, "%s", x.reason);
    cr_assert_eq(xl_decap("in_port=vf0 actions=output:vf1", &d,
                          SNICD_XLATE_FULL), -ENOTSUP);
    cr_expect(strstr(x.reason, "must match in_port=its tunnel port") != NULL,
              "%s", x.reason);
}

Test(xlate, decap_root_flows_see_no_tunnel_metadata)
{
    /* outside a context tun_*=0 holds for every frame: consumed */
    cr_assert_eq(xl("in_port=vf0,tun_id=0 actions=output:vf1"), 0, "%s",
                 x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT);
    /* encap from a plain port: VNI 0 unless set */
    cr_assert_eq(xl("in_port=vf0 actions=output:vxlan0"), 0, "%s", x.reason);
    cr_expect_eq(((const struct rte_flow_action_vxlan_encap *)
                  x.actions[1].conf)->definition[3].type,
                 RTE_FLOW_ITEM_TYPE_VXLAN);
}

Test(xlate, pop_and_guard_rules)
{
    struct snicd_xlate_decap d;
    const struct rte_flow_item_ipv4 *ip;
    const struct rte_flow_item_udp *udp;
    const struct rte_flow_item_vxlan *vx;
    const struct rte_flow_item_ethdev *pm;

    decap_key("in_port=vxlan0,tun_id=0xabcdef actions=output:vf1", &d);
    d.group = 300;
    cr_assert_eq(snicd_xlate_pop(&d, ports, N_PORTS, 42, &x), 0, "%s",
                 x.reason);
    cr_expect_eq(x.attr.group, SNICD_XLATE_POP_GROUP);
    cr_expect_eq(x.attr.transfer, 1);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_ETH,
          RTE_FLOW_ITEM_TYPE_IPV4, RTE_FLOW_ITEM_TYPE_UDP,
          RTE_FLOW_ITEM_TYPE_VXLAN);
    pm = x.items[0].spec;
    cr_expect_eq(pm->port_id, 0, "from the underlay (uplink)");
    ip = x.items[2].spec;
    cr_expect_eq(ntohl(ip->hdr.src_addr), 0x0a000002);
    cr_expect_eq(ntohl(ip->hdr.dst_addr), 0x0a000001);
    cr_expect_eq(((const struct rte_flow_item_ipv4 *)x.items[2].mask)
                 ->hdr.src_addr, UINT32_MAX);
    udp = x.items[3].spec;
    cr_expect_eq(ntohs(udp->hdr.dst_port), 4789);
    vx = x.items[4].spec;
    cr_expect(vx->vni[0] == 0xab && vx->vni[1] == 0xcd && vx->vni[2] == 0xef);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_MARK,
            RTE_FLOW_ACTION_TYPE_VXLAN_DECAP, RTE_FLOW_ACTION_TYPE_JUMP);
    cr_expect_eq(((const struct rte_flow_action_mark *)x.actions[1].conf)->id,
                 42);
    cr_expect_eq(((const struct rte_flow_action_jump *)x.actions[3].conf)
                 ->group, 300);

    cr_assert_eq(snicd_xlate_guard(&ports[5], ports, N_PORTS, 0,
                                   SNICD_XLATE_POP_GROUP, &x), 0);
    cr_expect_eq(x.attr.group, 0);
    cr_expect_eq(x.attr.priority, 0);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV4,
          RTE_FLOW_ITEM_TYPE_UDP);
    cr_expect_eq(((const struct rte_flow_item_ipv4 *)x.items[1].mask)
                 ->hdr.src_addr, 0, "any outer source");
    ACTIONS(RTE_FLOW_ACTION_TYPE_JUMP);
    cr_assert_eq(snicd_xlate_guard(&ports[5], ports, N_PORTS, 0,
                                   SNICD_XLATE_NO_GROUP, &x), 0);
    ACTIONS(RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR);
    cr_assert_eq(snicd_xlate_guard(&ports[6], ports, N_PORTS, 0,
                                   SNICD_XLATE_NO_GROUP, &x), -ENOTSUP);
    cr_expect(strstr(x.reason, "no tunnel configuration") != NULL);
}

Test(xlate, vxlan_class_overlaps)
{
    struct flow_match m;

    cr_assert(snicd_xlate_vxlan_class(&ports[5], &m));
    cr_expect(flow_match_overlaps(&m, &parsed("in_port=uplink "
                                              "actions=drop")->match));
    cr_expect(flow_match_overlaps(&m, &parsed("udp,nw_dst=10.0.0.1 "
                                              "actions=drop")->match));
    cr_expect(!flow_match_overlaps(&m, &parsed("in_port=vf0 "
                                               "actions=drop")->match));
    cr_expect(!flow_match_overlaps(&m, &parsed("tcp actions=drop")->match));
    cr_expect(!snicd_xlate_vxlan_class(&ports[6], &m));
}

/* ---- the debug log's testpmd lines (snicd_testpmd.c) ---- */

static const char *
line_of(const char *flow)
{
    static char buf[2048];
    int n;

    cr_assert_eq(xl(flow), 0, "'%s': %s", flow, x.reason);
    n = snicd_testpmd_line(0, &x.attr, x.items, x.actions, buf, sizeof(buf));
    cr_assert_lt(n, (int)sizeof(buf));
    cr_assert_eq((size_t)n, strlen(buf));
    return buf;
}

Test(xlate, testpmd_line_match_fields)
{
    cr_expect_str_eq(line_of("table=3,priority=7,tcp,in_port=vf1,"
                             "nw_src=10.1.0.0/16,tp_dst=80 "
                             "actions=output:uplink"),
        "flow create 0 group 3 transfer pattern represented_port "
        "ethdev_port_id spec 2 ethdev_port_id mask 0xffff / ipv4 proto spec "
        "6 proto mask 0xff src spec 10.1.0.0 src mask 255.255.0.0 / tcp dst "
        "spec 80 dst mask 0xffff / end actions count / represented_port "
        "ethdev_port_id 0 / end");
    cr_expect_str_eq(line_of("in_port=vf0,dl_vlan=5,dl_vlan_pcp=3,"
                             "dl_src=02:00:00:00:00:07,dl_type=0x88cc "
                             "actions=output:vf1"),
        "flow create 0 transfer pattern represented_port ethdev_port_id spec "
        "1 ethdev_port_id mask 0xffff / eth src spec 02:00:00:00:00:07 src "
        "mask ff:ff:ff:ff:ff:ff / vlan tci spec 24581 tci mask 0xefff "
        "inner_type spec 35020 inner_type mask 0xffff / end actions count / "
        "represented_port ethdev_port_id 2 / end");
    cr_expect_str_eq(line_of("ipv6,ipv6_src=2001:db8::/32,nw_tos=0x20 "
                             "actions=drop"),
        "flow create 0 transfer pattern represented_port / ipv6 src spec "
        "2001:db8:: src mask ffff:ffff:: tc spec 32 tc mask 0xfc / end "
        "actions count / drop / end");
}

Test(xlate, testpmd_line_actions)
{
    cr_expect_str_eq(line_of("in_port=vf0,dl_vlan=0xffff,ip actions="
                             "mod_dl_dst:02:00:00:00:00:99,mod_nw_src:"
                             "10.0.0.9,mod_vlan_vid:7,output:uplink"),
        "flow create 0 transfer pattern represented_port ethdev_port_id spec "
        "1 ethdev_port_id mask 0xffff / eth has_vlan spec 0 has_vlan mask 1 "
        "/ ipv4 / end actions count / "
        "set_mac_dst mac_addr 02:00:00:00:00:99 / set_ipv4_src ipv4_addr "
        "10.0.0.9 / of_push_vlan ethertype 0x8100 / of_set_vlan_vid "
        "vlan_vid 7 / of_set_vlan_pcp vlan_pcp 0 / represented_port "
        "ethdev_port_id 0 / end");
    /* an encapsulation needs testpmd's own encap state first */
    cr_expect_str_eq(line_of("in_port=vf0 actions=set_tunnel:5,"
                             "output:vxlan0"),
        "set vxlan-tos-ttl ip-version ipv4 vni 5 udp-src 0 udp-dst 4789 "
        "ip-tos 0 ip-ttl 64 ip-src 10.0.0.1 ip-dst 10.0.0.2 eth-src "
        "02:00:00:00:00:01 eth-dst 02:00:00:00:00:02\n"
        "flow create 0 transfer pattern represented_port ethdev_port_id spec "
        "1 ethdev_port_id mask 0xffff / end actions count / vxlan_encap / "
        "represented_port ethdev_port_id 0 / end");
}

Test(xlate, testpmd_line_modify_field)
{
    cr_expect_str_eq(line_of("in_port=vf0,tcp actions=set_field:1.2.0.0/"
                             "255.255.0.0->ip_src,move:NXM_OF_IP_SRC[]->"
                             "NXM_OF_IP_DST[],output:uplink"),
        "flow create 0 transfer pattern represented_port ethdev_port_id spec "
        "1 ethdev_port_id mask 0xffff / ipv4 proto spec 6 proto mask 0xff / "
        "end actions count / modify_field op set dst_type ipv4_src dst_offset 16 src_type value "
        "src_value 0x01020000 width 16 / modify_field op set dst_type "
        "ipv4_dst dst_offset 0 src_type ipv4_src src_offset 0 width 32 / "
        "represented_port ethdev_port_id 0 / end");
}

Test(xlate, testpmd_line_cut_and_unknown)
{
    struct rte_flow_attr attr = { .ingress = 1 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_GRE },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_RSS },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    char small[16], full[256];
    int n;

    n = snicd_testpmd_line(3, &attr, items, actions, full, sizeof(full));
    cr_expect(strstr(full, "pattern <item 0: type ") != NULL &&
              strstr(full, "actions <action 0: type ") != NULL,
              "what it cannot name, it says so: %s", full);
    cr_expect_eq(n, (int)strlen(full));
    cr_expect_eq(snicd_testpmd_line(3, &attr, items, actions, small,
                                    sizeof(small)), n, "the full length");
    cr_expect_str_eq(small, "flow create 3 i", "cut, NUL-terminated");
}

/* ---- reserved ports ---- */

/* The PF and the four representors, no tunnel ports. */
static int
xl_plain(const char *line)
{
    struct flow_mod fm;
    struct flow_error err;
    struct snicd_xlate_ctx ctx = {
        .ports = ports, .n_ports = 5, .mark = 77, .mode = SNICD_XLATE_FULL,
    };

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, &pmap, &fm, &err), 0,
                 "parse '%s': %s", line, err.msg);
    return snicd_xlate_flow(&fm.flow, &ctx, &x);
}

static uint16_t
out_ethdev(unsigned i)
{
    return ((const struct rte_flow_action_ethdev *)x.actions[i].conf)
        ->port_id;
}

Test(xlate, reserved_in_port_all_flood)
{
    cr_assert_eq(xl_plain("in_port=vf1,actions=in_port"), 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(out_ethdev(1), 2, "back to vf1's representor");

    cr_assert_eq(xl_plain("in_port=vf1,actions=all"), 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(out_ethdev(1), 0);
    cr_expect_eq(out_ethdev(2), 1);
    cr_expect_eq(out_ethdev(3), 3, "every port but the ingress vf1");
    cr_expect_eq(out_ethdev(4), 4);

    ports[3].no_flood = true;
    cr_assert_eq(xl_plain("in_port=uplink,actions=flood"), 0, "%s",
                 x.reason);
    ports[3].no_flood = false;
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(out_ethdev(1), 1);
    cr_expect_eq(out_ethdev(2), 2);
    cr_expect_eq(out_ethdev(3), 4, "vf2 is no-flood");
}

Test(xlate, reserved_refusals)
{
    expect_refused("actions=in_port", SNICD_XLATE_REFUSED_ACTION,
                   "IN_PORT needs an exact in_port match");
    expect_refused("ip,actions=all", SNICD_XLATE_REFUSED_ACTION,
                   "ALL needs an exact in_port match");
    expect_refused("in_port=vf0,actions=normal", SNICD_XLATE_REFUSED_ACTION,
                   "NORMAL learns MAC addresses");
    expect_refused("in_port=vf0,actions=controller",
                   SNICD_XLATE_REFUSED_ACTION, "CONTROLLER");
    expect_refused("in_port=vf0,actions=local", SNICD_XLATE_REFUSED_ACTION,
                   "LOCAL is snicd's host-side port");
    /* vxlan1 has no tunnel configuration: ALL cannot reach it */
    expect_refused("in_port=vf0,actions=all", SNICD_XLATE_REFUSED_ACTION,
                   "no tunnel configuration");
}

/* tcp_flags: the TCP item's flag byte says cwr..fin exactly; ns and the
 * reserved bits have no place there */
Test(xlate, tcp_flags)
{
    const struct rte_flow_item_tcp *ts, *tm;

    cr_assert_eq(xl("in_port=vf0,tcp,tcp_flags=+syn-ack "
                    "actions=output:vf1"), 0, "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_IPV4,
          RTE_FLOW_ITEM_TYPE_TCP);
    ts = x.items[2].spec;
    tm = x.items[2].mask;
    cr_expect_eq(ts->hdr.tcp_flags, 0x02);
    cr_expect_eq(tm->hdr.tcp_flags, 0x12);
    cr_expect_eq(tm->hdr.src_port, 0);
    cr_expect_eq(tm->hdr.dst_port, 0);
    expect_refused("in_port=vf0,tcp,tcp_flags=0x100/0x1ff "
                   "actions=output:vf1", SNICD_XLATE_REFUSED_MATCH,
                   "tcp_flags (ns or a reserved bit");
}

/* OpenFlow 1.0's actions without the match promising their header: the
 * datapath checks each packet, a rule cannot */
Test(xlate, relaxed_actions_need_the_header_in_the_match)
{
    expect_refused("in_port=vf0 actions=mod_nw_src:1.2.3.4,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "without an IPv4 match");
    expect_refused("in_port=vf0,ipv6 actions=mod_nw_dst:1.2.3.4,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "without an IPv4 match");
    expect_refused("in_port=vf0,arp actions=mod_nw_tos:4,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "without an ip or ipv6");
    expect_refused("in_port=vf0 actions=dec_ttl,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "dec_ttl without");
    expect_refused("in_port=vf0,icmp actions=mod_tp_src:1,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION,
                   "without a tcp or udp match");
    /* SET_TP_* rewrite TCP and UDP: on the card an SCTP packet kept its
     * port where software wrote it and patched the CRC32c (hw/sw
     * difference) */
    expect_refused("in_port=vf0,sctp actions=mod_tp_src:1,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "mod_tp_src/mod_tp_dst on "
                   "sctp not offloaded");
    expect_refused("in_port=vf0,ip,nw_proto=132 actions=set_field:7->"
                   "sctp_dst,output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "SCTP's CRC32c is not patched");
    expect_refused("in_port=vf0,icmp actions=set_field:3->icmp_type,"
                   "output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "set_field on icmp_type/icmp_code");
    expect_refused("in_port=vf0,icmp6 actions=set_field:3->icmpv6_code,"
                   "output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "rte_flow has no ICMP header rewrite");
    expect_refused("in_port=vf0,dl_vlan=3 actions=set_field:0x1005/0x1fff"
                   "->vlan_tci,output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "set_field vlan_tci not offloaded");
    expect_refused("in_port=vf0,dl_vlan=3 actions=load:9->"
                   "OXM_OF_VLAN_VID[],output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "load into vlan_vid not offloaded");
    expect_refused("in_port=vf0,icmp6,icmp_type=135 actions=set_field:"
                   "fe80::1->nd_target,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION,
                   "load into nd_target not offloaded");
    expect_refused("in_port=vf0,icmp6,icmp_type=136 actions=move:"
                   "NXM_NX_ND_TLL[]->NXM_OF_ETH_SRC[],output:vf1",
                   SNICD_XLATE_REFUSED_ACTION,
                   "move from nd_tll into eth_src not offloaded");
    expect_refused("in_port=vf0,ip actions=move:NXM_OF_IP_SRC[]->"
                   "NXM_NX_REG0[],output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "move between a header field and a register");
    expect_refused("in_port=vf0,tcp actions=move:NXM_OF_TCP_SRC[]->"
                   "NXM_OF_TCP_DST[],output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "move from tcp_src into tcp_dst not offloaded");
    expect_refused("in_port=vf0 actions=set_field:vf2->in_port,"
                   "output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "set_field in_port not offloaded");
    expect_refused("in_port=vf0 actions=clone(mod_dl_src:00:00:00:00:00:01,"
                   "output:vf2),output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "clone not offloaded");
    expect_refused("in_port=vf0 actions=output:vf1,write_actions(output:vf2)",
                   SNICD_XLATE_REFUSED_ACTION, "write_actions not offloaded");
    expect_refused("in_port=vf0 actions=enqueue:vf1:3",
                   SNICD_XLATE_REFUSED_ACTION, "enqueue not offloaded");
    expect_refused("in_port=vf0 actions=check_pkt_larger(1500)->"
                   "NXM_NX_REG0[0],output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "check_pkt_larger not offloaded");
    expect_refused("in_port=vf0 actions=multipath(eth_src,0,hrw,2,0,"
                   "NXM_NX_REG0[0]),output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "multipath not offloaded (its choice is Open vSwitch's "
                   "hash");
    expect_refused("in_port=vf0 actions=bundle(symmetric_l4,0,hrw,ofport,"
                   "members:vf1,vf2)", SNICD_XLATE_REFUSED_ACTION,
                   "bundle not offloaded");
    expect_refused("in_port=vf0 actions=bundle_load(eth_src,0,active_backup,"
                   "ofport,NXM_NX_REG0[0..15],members:vf1),output:vf2",
                   SNICD_XLATE_REFUSED_ACTION, "bundle_load not offloaded");
    expect_refused("in_port=vf0 actions=output:vf1,exit",
                   SNICD_XLATE_REFUSED_ACTION, "exit not offloaded");
    expect_refused("in_port=vf0 actions=push:NXM_NX_REG0[],output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "push/pop not offloaded");
    expect_refused("in_port=vf0 actions=output:vf1,clear_actions",
                   SNICD_XLATE_REFUSED_ACTION, "clear_actions not offloaded");
    expect_refused("in_port=vf0,actset_output=UNSET actions=output:vf1",
                   SNICD_XLATE_REFUSED_MATCH,
                   "match on actset_output not offloaded");
    expect_refused("in_port=vf0 actions=learn(table=1,NXM_OF_ETH_DST[]="
                   "NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "learn not offloaded");
    expect_refused("in_port=vf0,tcp actions=fin_timeout(idle_timeout=5),"
                   "output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "fin_timeout not offloaded");
    expect_refused("in_port=vf0 actions=load:1->NXM_NX_TUN_ID[],output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "load/set_field into tun_id");
    expect_refused("in_port=vf0 actions=strip_vlan,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "may be untagged");
    expect_refused("in_port=vf0,ip actions=mod_nw_ttl:3,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "mod_nw_ttl not offloaded");
    expect_refused("in_port=vf0,ip actions=mod_nw_ecn:1,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "sets the ECN bits");
    expect_refused("in_port=vf0 actions=output(port=vf1,max_len=64)",
                   SNICD_XLATE_REFUSED_ACTION, "no truncating output");
    /* with the header promised they are offloaded as before */
    cr_assert_eq(xl("in_port=vf0,ip actions=mod_nw_src:1.2.3.4,dec_ttl,"
                    "output:vf1"), 0, "%s", x.reason);
    /* strip_vlan on a packet known untagged does nothing */
    cr_assert_eq(xl("in_port=vf0,dl_vlan=0xffff actions=strip_vlan,"
                    "output:vf1"), 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
}

/* MPLS (firmware ABI 1.10): the top entry as the MPLS item under the
 * exact MPLS EtherType, push_mpls / pop_mpls as OF_PUSH_MPLS / OF_POP_MPLS;
 * a push or pop that may meet a stack of 3 (software drops the packet
 * whole there) follows no output; the label/TC/TTL rewrites have no
 * rte_flow action in DPDK 22.11 */
Test(xlate, mpls_match_and_push_pop_on_the_card)
{
    const struct rte_flow_item_mpls *sp, *mk;
    const struct rte_flow_item_eth *eth;

    cr_assert_eq(xl("in_port=vf0,mpls,mpls_label=5,mpls_bos=1 "
                    "actions=output:vf1"), 0, "%s", x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_ETH,
          RTE_FLOW_ITEM_TYPE_MPLS);
    eth = x.items[1].spec;
    cr_expect_eq(ntohs(eth->hdr.ether_type), 0x8847);
    sp = x.items[2].spec;
    mk = x.items[2].mask;
    /* label 5, BOS: 0x00005100 as on the wire */
    cr_expect(sp->label_tc_s[0] == 0x00 && sp->label_tc_s[1] == 0x00 &&
              sp->label_tc_s[2] == 0x51 && sp->ttl == 0);
    cr_expect(mk->label_tc_s[0] == 0xff && mk->label_tc_s[1] == 0xff &&
              mk->label_tc_s[2] == 0xf1 && mk->ttl == 0);
    cr_assert_eq(xl("in_port=vf0,mplsm,mpls_ttl=1 actions=output:vf1"), 0,
                 "%s", x.reason);
    mk = x.items[2].mask;
    cr_expect_eq(mk->ttl, 0xff);
    cr_expect_eq(((const struct rte_flow_item_mpls *)x.items[2].spec)->ttl,
                 1);
    /* the EtherType alone: no MPLS item */
    cr_assert_eq(xl("in_port=vf0,mpls actions=output:vf1"), 0, "%s",
                 x.reason);
    ITEMS(RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, RTE_FLOW_ITEM_TYPE_ETH);

    cr_assert_eq(xl("in_port=vf0,ip actions=push_mpls:0x8848,output:vf1"), 0,
                 "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_OF_PUSH_MPLS,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(ntohs(((const struct rte_flow_action_of_push_mpls *)
                        x.actions[1].conf)->ethertype), 0x8848);
    cr_assert_eq(xl("in_port=vf0,mpls actions=pop_mpls:0x0800,output:vf1"),
                 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT, RTE_FLOW_ACTION_TYPE_OF_POP_MPLS,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
    cr_expect_eq(ntohs(((const struct rte_flow_action_of_pop_mpls *)
                        x.actions[1].conf)->ethertype), 0x0800);

    /* after an output: only where the depth is known and safe */
    expect_refused("in_port=vf0,mpls actions=output:vf2,pop_mpls:0x0800,"
                   "output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "pop_mpls after an output not offloaded");
    cr_assert_eq(xl("in_port=vf0,mpls,mpls_bos=1 actions=output:vf2,"
                    "pop_mpls:0x0800,output:vf1"), 0, "%s", x.reason);
    cr_assert_eq(xl("in_port=vf0,ip actions=output:vf2,push_mpls:0x8847,"
                    "push_mpls:0x8847,push_mpls:0x8847,output:vf1"), 0, "%s",
                 x.reason);
    expect_refused("in_port=vf0,ip actions=output:vf2,push_mpls:0x8847,"
                   "push_mpls:0x8847,push_mpls:0x8847,push_mpls:0x8847,"
                   "output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "push_mpls after an output not offloaded");
    /* a pop off the bottom entry to an MPLS type (or a VLAN TPID) leaves
     * the payload read as a stack: the later push may fail */
    expect_refused("in_port=vf0,mpls,mpls_bos=1 actions=pop_mpls:0x8847,"
                   "output:vf1,push_mpls:0x8847,output:vf2",
                   SNICD_XLATE_REFUSED_ACTION,
                   "push_mpls after an output not offloaded");
    expect_refused("in_port=vf0,mpls,mpls_bos=1 actions=pop_mpls:0x8100,"
                   "output:vf1,push_mpls:0x8847,output:vf2",
                   SNICD_XLATE_REFUSED_ACTION,
                   "push_mpls after an output not offloaded");
    cr_assert_eq(xl("in_port=vf0,mpls,mpls_bos=1 actions=pop_mpls:0x0800,"
                    "output:vf1,push_mpls:0x8847,output:vf2"), 0, "%s",
                 x.reason);
    /* not MPLS: the pop does nothing, the push makes the only entry */
    cr_assert_eq(xl("in_port=vf0,dl_type=0x88b5 actions=output:vf2,"
                    "pop_mpls:0x8847,push_mpls:0x8847,output:vf1"), 0, "%s",
                 x.reason);
    /* before any output it cannot differ: the card drops where software
     * drops the packet whole */
    cr_assert_eq(xl("in_port=vf0 actions=push_mpls:0x8847,output:vf1"), 0,
                 "%s", x.reason);

    expect_refused("in_port=vf0,mpls actions=set_mpls_ttl:3,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "set_mpls_ttl not offloaded "
                   "(DPDK 22.11's rte_flow has no action");
    expect_refused("in_port=vf0,mpls actions=dec_mpls_ttl,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "dec_mpls_ttl not offloaded");
    expect_refused("in_port=vf0,mpls actions=set_mpls_label:7,output:vf1",
                   SNICD_XLATE_REFUSED_ACTION, "set_mpls_label not "
                   "offloaded");
}

/* Packet types: the card forwards Ethernet frames only, and only
 * software's decap makes a packet without that header */
Test(xlate, packet_types_stay_in_software_with_the_reason)
{
    expect_refused("in_port=vf0,ip actions=decap(),encap(ethernet),"
                   "output:vf1", SNICD_XLATE_REFUSED_ACTION,
                   "decap not offloaded");
    expect_refused("in_port=vf0,packet_type=(1,0x800),nw_dst=10.0.0.1 "
                   "actions=encap(ethernet),output:vf1",
                   SNICD_XLATE_REFUSED_MATCH, "match on packet_type");
    /* packet_type=(0,0) is no match: offloaded as before */
    cr_assert_eq(xl("in_port=vf0,packet_type=(0,0),ip actions=output:vf1"),
                 0, "%s", x.reason);
}

/* sample does nothing to a packet (no exporter): the rest of the list is
 * the flow's treatment, in hardware as well */
Test(xlate, sample_is_left_out)
{
    cr_assert_eq(xl("in_port=vf0 actions=sample(probability=65535,"
                    "collector_set_id=1,sampling_port=vf2),output:vf1"), 0,
                 "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
}

/* note, debug_recirc and debug_slow leave the packet alone: the rule is
 * the one without them. */
Test(xlate, note_and_debug_actions_add_nothing)
{
    cr_assert_eq(xl("in_port=vf0 actions=note:41.42,debug_recirc,"
                    "output:vf1,debug_slow"), 0, "%s", x.reason);
    ACTIONS(RTE_FLOW_ACTION_TYPE_COUNT,
            RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
}

/* Patch ports (--patch): a flow that matches one or whose actions reach
 * one (directly, by IN_PORT, or by FLOOD and ALL) stays out of the card's
 * rules, saying why: the peer's side runs in software. */
Test(xlate, patch_ports_stay_in_software_with_the_reason)
{
    static const struct {
        const char *line;
        enum snicd_xlate_refusal kind;
        const char *words;
    } cases[] = {
        { "in_port=vf0,actions=output:300", SNICD_XLATE_REFUSED_ACTION,
          "output to patch port patch-tun re-enters the pipeline in "
          "software" },
        { "in_port=301,actions=output:vf1", SNICD_XLATE_REFUSED_MATCH,
          "in_port=patch-int is a patch port" },
        { "in_port=vf0,actions=flood", SNICD_XLATE_REFUSED_ACTION,
          "output to patch port patch-tun" },
    };
    struct snicd_port_info pp[N_PORTS + 2];
    struct snicd_xlate_ctx ctx = {
        .ports = pp, .n_ports = N_PORTS + 2, .mode = SNICD_XLATE_FULL,
        .mark = 77,
    };

    memcpy(pp, ports, sizeof(ports));
    pp[6].tun_underlay = 1;     /* vxlan1 reachable: only the pair refuses */
    pp[6].tun_remote_ip = htonl(0x0a000003);
    pp[N_PORTS] = (struct snicd_port_info){ .ofport = 300,
        .ethdev = UINT16_MAX, .is_patch = true, .vf = -1,
        .name = "patch-tun", .peer = 301 };
    pp[N_PORTS + 1] = (struct snicd_port_info){ .ofport = 301,
        .ethdev = UINT16_MAX, .is_patch = true, .vf = -1,
        .name = "patch-int", .peer = 300 };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct flow_mod fm;
        struct flow_error err;

        cr_assert_eq(flow_parse(cases[i].line, FLOW_CMD_ADD, &pmap, &fm,
                                &err), 0, "%s", err.msg);
        cr_expect_eq(snicd_xlate_flow(&fm.flow, &ctx, &x), -ENOTSUP, "%s",
                     cases[i].line);
        cr_expect_eq(x.refusal, cases[i].kind, "%s", cases[i].line);
        cr_expect(strstr(x.reason, cases[i].words) != NULL,
                  "'%s': reason '%s' lacks '%s'", cases[i].line, x.reason,
                  cases[i].words);
    }
}
