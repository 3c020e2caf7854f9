/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic's rte_flow translation, without a device and without EAL:
 * items and actions in, struct fw_rule_add_in bytes out, and every refusal
 * with its errno, error type, cause and message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_ethdev.h>
#include <rte_flow.h>

#include "emunic.h"

#define F(x) FW_FIELD_BIT(FW_FIELD_ ## x)
#define A(x) FW_ACTION_BIT(FW_ACT_ ## x)

static struct fw_caps caps_full, caps_basic, caps_tiny;
static struct emunic_xlate_ctx ctx;
static struct emunic_xlate x;
static struct rte_flow_error err;

/* ports 0 (PF: the wire), 1..4 (representors of VF 0..3) */
static int
resolve(void *opaque, uint32_t port_id, uint16_t *vport)
{
    (void)opaque;
    if (port_id > 4)
        return -ENODEV;
    *vport = (uint16_t)port_id;
    return 0;
}

static void
caps_init(struct fw_caps *c, const char *name, uint64_t fields,
          uint64_t actions, uint16_t prio, uint32_t max_group,
          uint16_t max_actions)
{
    memset(c, 0, sizeof(*c));
    strncpy(c->profile, name, sizeof(c->profile) - 1);
    c->match_fields = fields;
    c->actions = actions;
    c->prio_per_table = prio;
    c->max_group = max_group;
    c->max_actions = max_actions;
    c->max_queues_per_port = 8;
    c->esw_mode = FW_ESW_SWITCHDEV;
    c->num_vfs = 4;
}

static void
setup(void)
{
    caps_init(&caps_full, "full", (1ull << FW_FIELD_COUNT_) - 1,
              ((1ull << FW_ACT_COUNT_) - 1) & ~A(NONE), 16, 65535, 16);
    caps_full.rss_hash_types = FW_RSS_ALL_;
    caps_init(&caps_basic, "basic", ((1ull << FW_FIELD_COUNT_) - 1) &
              ~(F(IPV6_SRC) | F(IPV6_DST) | F(ICMP_TYPE) | F(ICMP_CODE) |
                F(VXLAN_VNI)),
              A(DROP) | A(FWD_VPORT) | A(FWD_REP) | A(JUMP) | A(COUNT) |
              A(MARK) | A(PUSH_VLAN) | A(POP_VLAN) | A(SET_VLAN_VID), 4, 255,
              8);
    caps_basic.exact_mask_fields = F(L4_SRC) | F(L4_DST);
    caps_basic.prefix_mask_fields = F(IPV4_SRC) | F(IPV4_DST);
    caps_init(&caps_tiny, "tiny", F(SRC_VPORT) | F(ETH_DST) | F(ETH_SRC) |
              F(ETH_TYPE) | F(VLAN_VID), A(DROP) | A(FWD_VPORT) | A(FWD_REP) |
              A(COUNT) | A(MARK), 2, 0, 4);
    memset(&ctx, 0, sizeof(ctx));
    ctx.caps = &caps_full;
    ctx.port_vport = FW_VPORT_UPLINK;
    ctx.nb_rx_queues = 4;
    ctx.resolve = resolve;
    memset(&x, 0, sizeof(x));
    memset(&err, 0, sizeof(err));
}

TestSuite(flow_xlate, .init = setup);

static const struct rte_flow_attr attr_transfer = { .transfer = 1 };
static const struct rte_flow_attr attr_ingress = { .ingress = 1 };
static const struct rte_flow_action_port_id to_wire = { .id = 0 };
static const struct rte_flow_item end_items[] = {
    { .type = RTE_FLOW_ITEM_TYPE_END },
};

#define END_ITEM { .type = RTE_FLOW_ITEM_TYPE_END }
#define END_ACT { .type = RTE_FLOW_ACTION_TYPE_END }
#define FWD_WIRE { .type = RTE_FLOW_ACTION_TYPE_PORT_ID, .conf = &to_wire }

static const struct rte_flow_action fwd_wire[] = { FWD_WIRE, END_ACT };

/* translate, and check validate (NULL output) agrees */
static int
xlate(const struct rte_flow_attr *attr, const struct rte_flow_item *items,
      const struct rte_flow_action *actions)
{
    struct rte_flow_error verr;
    int ret, vret;

    memset(&verr, 0, sizeof(verr));
    vret = emunic_flow_translate(&ctx, attr, items, actions, NULL, &verr);
    ret = emunic_flow_translate(&ctx, attr, items, actions, &x, &err);
    cr_assert_eq(vret, ret, "validate says %d, create says %d", vret, ret);
    if (ret < 0) {
        cr_assert_eq(verr.type, err.type);
        cr_assert_eq(verr.cause, err.cause);
    }
    return ret;
}

static void
expect_refusal(int ret, int code, enum rte_flow_error_type type,
               const void *cause, const char *words)
{
    cr_assert_eq(ret, -code, "ret %d, want %d", ret, -code);
    cr_expect_eq(err.type, type, "error type %d, want %d", err.type, type);
    cr_expect_eq(err.cause, cause, "cause points elsewhere");
    cr_assert_not_null(err.message);
    cr_expect(strstr(err.message, words) != NULL, "message '%s' lacks '%s'",
              err.message, words);
}

/* ------------------------------------------------------------------------
 * Items
 * ------------------------------------------------------------------------ */

Test(flow_xlate, eth_fields)
{
    struct rte_flow_item_eth s = {
        .hdr.dst_addr.addr_bytes = { 1, 2, 3, 4, 5, 6 },
        .hdr.src_addr.addr_bytes = { 7, 8, 9, 10, 11, 12 },
        .hdr.ether_type = RTE_BE16(0x0806),
    };
    struct rte_flow_item_eth m = {
        .hdr.dst_addr.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        .hdr.src_addr.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        .hdr.ether_type = RTE_BE16(0xffff),
    };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &s, .mask = &m }, END_ITEM,
    };
    static const uint8_t ones[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    cr_assert_eq(xlate(&attr_transfer, items, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_arr_eq(x.rule.value.eth_dst, s.hdr.dst_addr.addr_bytes, 6);
    cr_expect_arr_eq(x.rule.mask.eth_dst, ones, 6);
    cr_expect_arr_eq(x.rule.value.eth_src, s.hdr.src_addr.addr_bytes, 6);
    cr_expect_eq(x.rule.value.eth_type, htons(0x0806));
    cr_expect_eq(x.rule.mask.eth_type, 0xffff);
    cr_expect_eq(x.rule.mask.src_vport, 0xffff, "implicit source port");
    cr_expect_eq(x.rule.value.src_vport, FW_VPORT_UPLINK, "PF: the wire");
    cr_expect_eq(x.field_item[FW_FIELD_ETH_DST], &items[0]);
}

Test(flow_xlate, eth_tpid_means_tagged)
{
    struct rte_flow_item_eth s = { .hdr.ether_type = RTE_BE16(0x8100) };
    struct rte_flow_item_eth m = { .hdr.ether_type = RTE_BE16(0xffff) };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &s, .mask = &m }, END_ITEM,
    };

    cr_assert_eq(xlate(&attr_transfer, items, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.mask.eth_type, 0);
    cr_expect_eq(x.rule.value.vlan_tci, htons(FW_VLAN_TCI_PRESENT));
    cr_expect_eq(x.rule.mask.vlan_tci, htons(FW_VLAN_TCI_PRESENT));
}

Test(flow_xlate, vlan_vid_pcp_inner_type)
{
    struct rte_flow_item_vlan s = {
        .hdr.vlan_tci = RTE_BE16((5u << 13) | 100),
        .hdr.eth_proto = RTE_BE16(0x0800),
    };
    struct rte_flow_item_vlan m = {
        .hdr.vlan_tci = RTE_BE16(0xefff),
        .hdr.eth_proto = RTE_BE16(0xffff),
    };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_VLAN, .spec = &s, .mask = &m }, END_ITEM,
    };

    cr_assert_eq(xlate(&attr_transfer, items, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(ntohs(x.rule.value.vlan_tci), (5u << 13) | 0x1000 | 100);
    cr_expect_eq(ntohs(x.rule.mask.vlan_tci), 0xffff);
    cr_expect_eq(x.rule.value.eth_type, htons(0x0800));
}

Test(flow_xlate, vlan_dei_refused)
{
    struct rte_flow_item_vlan s = { .hdr.vlan_tci = RTE_BE16(0x1000) };
    struct rte_flow_item_vlan m = { .hdr.vlan_tci = RTE_BE16(0x1000) };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_VLAN, .spec = &s, .mask = &m }, END_ITEM,
    };

    expect_refusal(xlate(&attr_transfer, items, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &items[1], "DEI");
}

Test(flow_xlate, ipv4_fields_and_ethertype)
{
    struct rte_flow_item_ipv4 s = { .hdr = {
        .src_addr = RTE_BE32(0x0a000001), .dst_addr = RTE_BE32(0x0a000002),
        .next_proto_id = 6, .type_of_service = 0x10, .time_to_live = 9,
    } };
    struct rte_flow_item_ipv4 m = { .hdr = {
        .src_addr = RTE_BE32(0xffffff00), .dst_addr = RTE_BE32(0xffffffff),
        .next_proto_id = 0xff, .type_of_service = 0xff, .time_to_live = 0xff,
    } };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &s, .mask = &m }, END_ITEM,
    };

    cr_assert_eq(xlate(&attr_transfer, items, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.value.eth_type, htons(0x0800));
    cr_expect_eq(x.rule.value.ipv4_src, htonl(0x0a000000));
    cr_expect_eq(x.rule.mask.ipv4_src, htonl(0xffffff00));
    cr_expect_eq(x.rule.value.ipv4_dst, htonl(0x0a000002));
    cr_expect_eq(x.rule.value.ip_proto, 6);
    cr_expect_eq(x.rule.value.ip_tos, 0x10);
    cr_expect_eq(x.rule.value.ip_ttl, 9);
    cr_expect_eq(x.field_item[FW_FIELD_ETH_TYPE], &items[0]);
}

Test(flow_xlate, ipv6_fields)
{
    struct rte_flow_item_ipv6 s = { .hdr = {
        .vtc_flow = RTE_BE32(0x6ab00000), .proto = 17, .hop_limits = 3,
        .src_addr = { 0x20, 0x01, [15] = 1 }, .dst_addr = { 0xfe, 0x80 },
    } };
    struct rte_flow_item_ipv6 m = { .hdr = {
        .vtc_flow = RTE_BE32(0x0ff00000), .proto = 0xff, .hop_limits = 0xff,
        .src_addr = { [0 ... 15] = 0xff }, .dst_addr = { 0xff, 0xff },
    } };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV6, .spec = &s, .mask = &m }, END_ITEM,
    };

    cr_assert_eq(xlate(&attr_transfer, items, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.value.eth_type, htons(0x86dd));
    cr_expect_arr_eq(x.rule.value.ipv6_src, s.hdr.src_addr, 16);
    cr_expect_eq(x.rule.value.ipv6_dst[0], 0xfe);
    cr_expect_eq(x.rule.mask.ipv6_dst[2], 0);
    cr_expect_eq(x.rule.value.ip_tos, 0xab);
    cr_expect_eq(x.rule.value.ip_proto, 17);
    cr_expect_eq(x.rule.value.ip_ttl, 3);
}

Test(flow_xlate, tcp_udp_ports_imply_proto)
{
    struct rte_flow_item_udp s = { .hdr = {
        .src_port = RTE_BE16(1000), .dst_port = RTE_BE16(53) } };
    struct rte_flow_item_udp m = { .hdr = {
        .src_port = RTE_BE16(0xffff), .dst_port = RTE_BE16(0xffff) } };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &s, .mask = &m }, END_ITEM,
    };
    struct rte_flow_item tcp[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV6 },
        { .type = RTE_FLOW_ITEM_TYPE_TCP }, END_ITEM,
    };

    cr_assert_eq(xlate(&attr_transfer, items, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.value.ip_proto, 17);
    cr_expect_eq(x.rule.mask.ip_proto, 0xff);
    cr_expect_eq(x.rule.value.l4_src, htons(1000));
    cr_expect_eq(x.rule.value.l4_dst, htons(53));
    cr_expect_eq(x.rule.value.eth_type, htons(0x0800));
    cr_assert_eq(xlate(&attr_transfer, tcp, fwd_wire), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.ip_proto, 6);
    cr_expect_eq(x.rule.mask.l4_dst, 0, "no spec: no port match");
}

Test(flow_xlate, icmp_fields)
{
    struct rte_flow_item_icmp s = { .hdr = { .icmp_type = 8, .icmp_code = 0 } };
    struct rte_flow_item_icmp m = { .hdr = { .icmp_type = 0xff,
                                             .icmp_code = 0xff } };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_ICMP, .spec = &s, .mask = &m }, END_ITEM,
    };

    cr_assert_eq(xlate(&attr_transfer, items, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.value.ip_proto, 1);
    cr_expect_eq(x.rule.value.icmp_type, 8);
    cr_expect_eq(x.rule.mask.icmp_code, 0xff);
}

Test(flow_xlate, vxlan_vni)
{
    struct rte_flow_item_vxlan s = { .hdr.vx_vni = RTE_BE32(0x12345600) };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_UDP },
        { .type = RTE_FLOW_ITEM_TYPE_VXLAN, .spec = &s }, END_ITEM,
    };

    cr_assert_eq(xlate(&attr_transfer, items, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.value.vxlan_vni, 0x123456u);
    cr_expect_eq(x.rule.mask.vxlan_vni, 0xffffffu);
    cr_expect_eq(x.rule.value.l4_dst, htons(4789));
    cr_expect_eq(x.rule.value.ip_proto, 17);
}

Test(flow_xlate, port_items_set_src_vport)
{
    struct rte_flow_item_ethdev rep = { .port_id = 3 };
    struct rte_flow_item_port_id pid = { .id = 2 };
    struct rte_flow_item a[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &rep },
        END_ITEM,
    };
    struct rte_flow_item b[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_PORT_ID, .spec = &pid }, END_ITEM,
    };
    struct rte_flow_item c[] = {
        { .type = RTE_FLOW_ITEM_TYPE_PORT_REPRESENTOR, .spec = &rep },
        END_ITEM,
    };

    cr_assert_eq(xlate(&attr_transfer, a, fwd_wire), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.src_vport, 3);
    cr_expect_eq(x.rule.mask.src_vport, 0xffff);
    cr_assert_eq(xlate(&attr_transfer, b, fwd_wire), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.src_vport, 2);
    cr_assert_eq(xlate(&attr_transfer, c, fwd_wire), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.src_vport, 3);
}

Test(flow_xlate, ingress_rule_matches_own_port)
{
    struct rte_flow_action_queue q = { .index = 2 };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q }, END_ACT,
    };

    ctx.port_vport = FW_VPORT_VF(1);
    cr_assert_eq(xlate(&attr_ingress, end_items, acts), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.src_vport, FW_VPORT_VF(1));
    cr_expect_eq(x.rule.mask.src_vport, 0xffff);
    cr_expect_eq(x.rule.actions[0].type, FW_ACT_FWD_REP);
    cr_expect_eq(x.rule.actions[0].u.fwd.vport, FW_VPORT_VF(1));
    cr_expect_eq(x.rule.actions[0].u.fwd.queue, 2);
}

/* ------------------------------------------------------------------------
 * Actions
 * ------------------------------------------------------------------------ */

Test(flow_xlate, fates_and_count_first_jump_last)
{
    struct rte_flow_action_mark mark = { .id = 77 };
    struct rte_flow_action_jump jump = { .group = 5 };
    struct rte_flow_action_ethdev rp = { .port_id = 2 };
    struct rte_flow_action_ethdev pr = { .port_id = 4 };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_VOID },
        { .type = RTE_FLOW_ACTION_TYPE_JUMP, .conf = &jump },
        { .type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mark },
        { .type = RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, .conf = &rp },
        { .type = RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR, .conf = &pr },
        { .type = RTE_FLOW_ACTION_TYPE_COUNT }, END_ACT,
    };

    cr_assert_eq(xlate(&attr_transfer, end_items, acts), 0, "%s",
                 err.message);
    cr_assert_eq(x.rule.n_actions, 5);
    cr_expect_eq(x.rule.actions[0].type, FW_ACT_COUNT);
    cr_expect_eq(x.count_idx, 0);
    cr_expect_eq(x.act_src[0], &acts[5]);
    cr_expect_eq(x.rule.actions[1].type, FW_ACT_MARK);
    cr_expect_eq(x.rule.actions[1].u.mark.id, 77);
    cr_expect_eq(x.rule.actions[2].type, FW_ACT_FWD_VPORT);
    cr_expect_eq(x.rule.actions[2].u.fwd.vport, 2);
    cr_expect_eq(x.rule.actions[3].type, FW_ACT_FWD_REP);
    cr_expect_eq(x.rule.actions[3].u.fwd.vport, 4);
    cr_expect_eq(x.rule.actions[3].u.fwd.queue, 0);
    cr_expect_eq(x.rule.actions[4].type, FW_ACT_JUMP);
    cr_expect_eq(x.rule.actions[4].u.jump.group, 5);
    cr_expect_eq(x.act_src[4], &acts[1]);
    cr_expect_eq(x.n_jumps, 1);
    cr_expect_eq(x.jump_group[0], 5);
}

Test(flow_xlate, drop_and_rss_one_queue)
{
    uint16_t queues[] = { 3 };
    struct rte_flow_action_rss rss = { .queue_num = 1, .queue = queues };
    struct rte_flow_action drop[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_COUNT }, END_ACT,
    };
    struct rte_flow_action racts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_RSS, .conf = &rss }, END_ACT,
    };

    cr_assert_eq(xlate(&attr_transfer, end_items, drop), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.actions[0].type, FW_ACT_COUNT);
    cr_expect_eq(x.rule.actions[1].type, FW_ACT_DROP);
    cr_assert_eq(xlate(&attr_ingress, end_items, racts), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.actions[0].type, FW_ACT_FWD_REP);
    cr_expect_eq(x.rule.actions[0].u.fwd.queue, 3);
    cr_expect_eq(x.rss_idx, -1, "one queue needs no hash");
}

/* RSS over several queues: the card's FW_ACT_RSS with its context ready
 * for create, wherever COUNT moves it */
Test(flow_xlate, rss_becomes_a_card_context)
{
    static const uint8_t key[40] = { 1 };
    uint16_t queues[] = { 3, 1, 2 };
    struct rte_flow_action_rss rss = {
        .types = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP,
        .queue_num = 3, .queue = queues, .key_len = 40, .key = key,
    };
    struct rte_flow_action_mark mark = { .id = 7 };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mark },
        { .type = RTE_FLOW_ACTION_TYPE_RSS, .conf = &rss },
        { .type = RTE_FLOW_ACTION_TYPE_COUNT }, END_ACT,
    };

    ctx.port_vport = FW_VPORT_VF(1);
    cr_assert_eq(xlate(&attr_ingress, end_items, acts), 0, "%s",
                 err.message);
    cr_assert_eq(x.rss_idx, 2, "COUNT went first, MARK, then RSS");
    cr_expect_eq(x.rule.actions[2].type, FW_ACT_RSS);
    cr_expect_eq(x.act_src[2], &acts[1]);
    cr_expect_eq(x.rss.vport, FW_VPORT_VF(1), "the rule's port's queues");
    cr_expect_eq(x.rss.hash_types, FW_RSS_IPV4 | FW_RSS_IPV4_TCP);
    cr_expect_eq(x.rss.n_queues, 3);
    cr_expect_arr_eq(x.rss.queues, queues, sizeof(queues));
    cr_expect_arr_eq(x.rss.key, key, 40);

    /* no key, no types: the card's default key, the IP types */
    rss.key_len = 0;
    rss.key = NULL;
    rss.types = 0;
    cr_assert_eq(xlate(&attr_ingress, end_items, acts), 0, "%s",
                 err.message);
    cr_expect_arr_eq(x.rss.key, emunic_rss_default_key, 40);
    cr_expect_eq(x.rss.hash_types, FW_RSS_IPV4 | FW_RSS_IPV6);
    /* the set dpdk-test-flow-perf asks for (RTE_ETH_RSS_IP) */
    rss.types = 0xa38c;
    cr_assert_eq(xlate(&attr_ingress, end_items, acts), 0, "%s",
                 err.message);
}

Test(flow_xlate, rss_refusals_name_the_setting)
{
    static const uint8_t key[52] = { 1 };
    uint16_t queues[] = { 0, 1 }, far[] = { 0, 4 };
    struct rte_flow_action_rss rss = { .queue_num = 2, .queue = queues };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_RSS, .conf = &rss }, END_ACT,
    };

    rss.types = RTE_ETH_RSS_NONFRAG_IPV4_SCTP;
    expect_refusal(xlate(&attr_ingress, end_items, acts), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0],
                   "hash types 0x");
    rss.types = 0;
    rss.key = key;
    rss.key_len = 52;
    expect_refusal(xlate(&attr_ingress, end_items, acts), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0],
                   "key of 52 bytes");
    rss.key_len = 0;
    rss.func = RTE_ETH_HASH_FUNCTION_SIMPLE_XOR;
    expect_refusal(xlate(&attr_ingress, end_items, acts), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0], "Toeplitz");
    rss.func = RTE_ETH_HASH_FUNCTION_TOEPLITZ;
    rss.level = 2;
    expect_refusal(xlate(&attr_ingress, end_items, acts), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0], "level 2");
    rss.level = 0;
    rss.queue = far;
    expect_refusal(xlate(&attr_ingress, end_items, acts), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &acts[0],
                   "queue 4 does not exist");
    rss.queue = queues;
    cr_assert_eq(xlate(&attr_ingress, end_items, acts), 0, "%s",
                 err.message);
    /* a card that does not hash refuses rather than pretend */
    ctx.caps = &caps_basic;
    expect_refusal(xlate(&attr_ingress, end_items, acts), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION, &acts[0], "does not hash");
}

Test(flow_xlate, vlan_actions_fold_into_push)
{
    struct rte_flow_action_of_push_vlan push = {
        .ethertype = RTE_BE16(0x8100) };
    struct rte_flow_action_of_set_vlan_vid vid = { .vlan_vid = RTE_BE16(42) };
    struct rte_flow_action_of_set_vlan_pcp pcp = { .vlan_pcp = 5 };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_OF_POP_VLAN },
        { .type = RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN, .conf = &push },
        { .type = RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID, .conf = &vid },
        { .type = RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP, .conf = &pcp },
        FWD_WIRE,
        { .type = RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID, .conf = &vid },
        { .type = RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP, .conf = &pcp },
        END_ACT,
    };

    cr_assert_eq(xlate(&attr_transfer, end_items, acts), 0, "%s",
                 err.message);
    cr_assert_eq(x.rule.n_actions, 5);
    cr_expect_eq(x.rule.actions[0].type, FW_ACT_POP_VLAN);
    cr_expect_eq(x.rule.actions[1].type, FW_ACT_PUSH_VLAN);
    cr_expect_eq(x.rule.actions[1].u.push_vlan.tpid, htons(0x8100));
    cr_expect_eq(ntohs(x.rule.actions[1].u.push_vlan.tci), (5u << 13) | 42);
    cr_expect_eq(x.rule.actions[2].type, FW_ACT_FWD_VPORT);
    /* after a forward the copy is gone: these are rewrites of their own */
    cr_expect_eq(x.rule.actions[3].type, FW_ACT_SET_VLAN_VID);
    cr_expect_eq(x.rule.actions[3].u.set_vid.vid, htons(42));
    cr_expect_eq(x.rule.actions[4].type, FW_ACT_SET_VLAN_PCP);
    cr_expect_eq(x.rule.actions[4].u.set_pcp.pcp, 5);
}

Test(flow_xlate, header_rewrites)
{
    struct rte_flow_action_set_mac mac = { .mac_addr = { 1, 2, 3, 4, 5, 6 } };
    struct rte_flow_action_set_ipv4 ip = { .ipv4_addr = RTE_BE32(0x01020304) };
    struct rte_flow_action_set_tp tp = { .port = RTE_BE16(8080) };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_VXLAN_DECAP },
        { .type = RTE_FLOW_ACTION_TYPE_SET_MAC_SRC, .conf = &mac },
        { .type = RTE_FLOW_ACTION_TYPE_SET_MAC_DST, .conf = &mac },
        { .type = RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC, .conf = &ip },
        { .type = RTE_FLOW_ACTION_TYPE_SET_IPV4_DST, .conf = &ip },
        { .type = RTE_FLOW_ACTION_TYPE_SET_TP_SRC, .conf = &tp },
        { .type = RTE_FLOW_ACTION_TYPE_SET_TP_DST, .conf = &tp },
        { .type = RTE_FLOW_ACTION_TYPE_DEC_TTL },
        FWD_WIRE, END_ACT,
    };
    static const uint16_t want[] = {
        FW_ACT_VXLAN_DECAP, FW_ACT_SET_MAC_SRC, FW_ACT_SET_MAC_DST,
        FW_ACT_SET_IPV4_SRC, FW_ACT_SET_IPV4_DST, FW_ACT_SET_L4_SRC,
        FW_ACT_SET_L4_DST, FW_ACT_DEC_TTL, FW_ACT_FWD_VPORT,
    };

    cr_assert_eq(xlate(&attr_transfer, end_items, acts), 0, "%s",
                 err.message);
    cr_assert_eq(x.rule.n_actions, 9);
    for (unsigned i = 0; i < 9; i++)
        cr_expect_eq(x.rule.actions[i].type, want[i], "action %u", i);
    cr_expect_arr_eq(x.rule.actions[1].u.set_mac.mac, mac.mac_addr, 6);
    cr_expect_eq(x.rule.actions[3].u.set_ipv4.addr, htonl(0x01020304));
    cr_expect_eq(x.rule.actions[6].u.set_l4.port, htons(8080));
}

Test(flow_xlate, vxlan_encap_definition)
{
    struct rte_flow_item_eth eth = {
        .hdr.dst_addr.addr_bytes = { 2, 0, 0, 0, 0, 2 },
        .hdr.src_addr.addr_bytes = { 2, 0, 0, 0, 0, 1 },
    };
    struct rte_flow_item_ipv4 ip = { .hdr = {
        .src_addr = RTE_BE32(0xc0a80001), .dst_addr = RTE_BE32(0xc0a80002),
        .time_to_live = 32, .type_of_service = 4 } };
    struct rte_flow_item_udp udp = { .hdr = { .src_port = RTE_BE16(1234),
                                              .dst_port = RTE_BE16(4790) } };
    struct rte_flow_item_vxlan vx = { .hdr.vx_vni = RTE_BE32(0x00006400) };
    struct rte_flow_item def[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &eth },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip },
        { .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &udp },
        { .type = RTE_FLOW_ITEM_TYPE_VXLAN, .spec = &vx }, END_ITEM,
    };
    struct rte_flow_action_vxlan_encap enc = { .definition = def };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP, .conf = &enc },
        FWD_WIRE, END_ACT,
    };
    const struct fw_vxlan_encap *e = &x.rule.actions[0].u.vxlan_encap;

    cr_assert_eq(xlate(&attr_transfer, end_items, acts), 0, "%s",
                 err.message);
    cr_assert_eq(x.rule.actions[0].type, FW_ACT_VXLAN_ENCAP);
    cr_expect_arr_eq(e->eth_dst, eth.hdr.dst_addr.addr_bytes, 6);
    cr_expect_arr_eq(e->eth_src, eth.hdr.src_addr.addr_bytes, 6);
    cr_expect_eq(e->ipv4_src, htonl(0xc0a80001));
    cr_expect_eq(e->ipv4_dst, htonl(0xc0a80002));
    cr_expect_eq(e->udp_src, htons(1234));
    cr_expect_eq(e->udp_dst, htons(4790));
    cr_expect_eq(e->vni, 100);
    cr_expect_eq(e->ttl, 32);
    cr_expect_eq(e->tos, 4);
}

/* ------------------------------------------------------------------------
 * Refusals: attributes
 * ------------------------------------------------------------------------ */

Test(flow_xlate, refuse_attributes)
{
    struct rte_flow_attr egress = { .egress = 1 };
    struct rte_flow_attr none = { 0 };
    struct rte_flow_attr prio = { .transfer = 1, .priority = 2 };
    struct rte_flow_attr group = { .transfer = 1, .group = 1 };

    expect_refusal(xlate(&egress, end_items, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, &egress, "egress");
    expect_refusal(xlate(&none, end_items, fwd_wire), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ATTR, &none, "ingress or the transfer");
    ctx.caps = &caps_tiny;
    expect_refusal(xlate(&prio, end_items, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, &prio, "0..1");
    expect_refusal(xlate(&group, end_items, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ATTR_GROUP, &group, "highest group 0");
    caps_tiny.esw_mode = FW_ESW_LEGACY;
    expect_refusal(xlate(&attr_transfer, end_items, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ATTR, &attr_transfer, "legacy");
}

/* ------------------------------------------------------------------------
 * Refusals: items
 * ------------------------------------------------------------------------ */

Test(flow_xlate, refuse_field_the_profile_lacks)
{
    struct rte_flow_item_ipv4 s = { .hdr.src_addr = RTE_BE32(0x0a000001) };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &s }, END_ITEM,
    };
    struct rte_flow_item vx[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_UDP },
        { .type = RTE_FLOW_ITEM_TYPE_VXLAN,
          .spec = &(struct rte_flow_item_vxlan){ .hdr.vx_vni = 0x100 } },
        END_ITEM,
    };

    ctx.caps = &caps_tiny;
    expect_refusal(xlate(&attr_transfer, items, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &items[1], "ipv4");
    expect_refusal(xlate(&attr_transfer, vx, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &vx[1], "IP protocol");
    ctx.caps = &caps_basic;
    expect_refusal(xlate(&attr_transfer, vx, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &vx[2], "VXLAN VNI");
}

Test(flow_xlate, refuse_mask_shapes)
{
    struct rte_flow_item_ipv4 s = { .hdr.src_addr = RTE_BE32(0x0a000001) };
    struct rte_flow_item_ipv4 m = { .hdr.src_addr = RTE_BE32(0xff00ff00) };
    struct rte_flow_item_tcp ts = { .hdr.dst_port = RTE_BE16(80) };
    struct rte_flow_item_tcp tm = { .hdr.dst_port = RTE_BE16(0xff00) };
    struct rte_flow_item_tcp fm = { .hdr.tcp_flags = 0x02 };
    struct rte_flow_item pfx[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &s, .mask = &m }, END_ITEM,
    };
    struct rte_flow_item exact[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_TCP, .spec = &ts, .mask = &tm }, END_ITEM,
    };
    struct rte_flow_item flags[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_TCP, .spec = &ts, .mask = &fm }, END_ITEM,
    };

    ctx.caps = &caps_basic;
    expect_refusal(xlate(&attr_transfer, pfx, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &pfx[0], "prefix");
    expect_refusal(xlate(&attr_transfer, exact, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &exact[1], "exactly");
    expect_refusal(xlate(&attr_transfer, flags, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &flags[1], "matches only");
    /* the full profile takes arbitrary masks */
    ctx.caps = &caps_full;
    cr_expect_eq(xlate(&attr_transfer, pfx, fwd_wire), 0);
    cr_expect_eq(x.rule.mask.ipv4_src, htonl(0xff00ff00));
}

Test(flow_xlate, refuse_item_order_and_shape)
{
    struct rte_flow_item_eth es = { .hdr.ether_type = RTE_BE16(0x86dd) };
    struct rte_flow_item_eth em = { .hdr.ether_type = RTE_BE16(0xffff) };
    struct rte_flow_item_ipv4 last = { .hdr.src_addr = RTE_BE32(9) };
    struct rte_flow_item_ipv4 spec = { .hdr.src_addr = RTE_BE32(1) };
    struct rte_flow_item l4_first[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_TCP }, END_ITEM,
    };
    struct rte_flow_item inner[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_UDP },
        { .type = RTE_FLOW_ITEM_TYPE_VXLAN },
        { .type = RTE_FLOW_ITEM_TYPE_ETH }, END_ITEM,
    };
    struct rte_flow_item conflict[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &es, .mask = &em },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 }, END_ITEM,
    };
    struct rte_flow_item range[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &spec, .last = &last },
        END_ITEM,
    };
    struct rte_flow_item unknown[] = {
        { .type = RTE_FLOW_ITEM_TYPE_GRE }, END_ITEM,
    };

    expect_refusal(xlate(&attr_transfer, l4_first, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &l4_first[1], "cannot follow");
    expect_refusal(xlate(&attr_transfer, inner, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &inner[3], "VXLAN_DECAP");
    expect_refusal(xlate(&attr_transfer, conflict, fwd_wire), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ITEM, &conflict[1], "contradicts");
    expect_refusal(xlate(&attr_transfer, range, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_LAST, &range[0], "ranges");
    expect_refusal(xlate(&attr_transfer, unknown, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &unknown[0], "not supported");
}

Test(flow_xlate, refuse_port_items)
{
    struct rte_flow_item_ethdev bad = { .port_id = 9 };
    struct rte_flow_item_ethdev good = { .port_id = 1 };
    struct rte_flow_item_ethdev half = { .port_id = 0xff };
    struct rte_flow_item unknown[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &bad },
        END_ITEM,
    };
    struct rte_flow_item ingress[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &good },
        END_ITEM,
    };
    struct rte_flow_item partial[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &good,
          .mask = &half }, END_ITEM,
    };
    struct rte_flow_item twice[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &good },
        { .type = RTE_FLOW_ITEM_TYPE_PORT_REPRESENTOR, .spec = &good },
        END_ITEM,
    };

    expect_refusal(xlate(&attr_transfer, unknown, fwd_wire), ENODEV,
                   RTE_FLOW_ERROR_TYPE_ITEM_SPEC, &unknown[0], "port 9");
    expect_refusal(xlate(&attr_ingress, ingress, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &ingress[0], "transfer");
    expect_refusal(xlate(&attr_transfer, partial, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &partial[0], "exactly");
    expect_refusal(xlate(&attr_transfer, twice, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &twice[1], "only one");
}

/* A transfer rule without a port item matches only frames entering the
 * eSwitch from the port it was created on, in every group: otherwise a rule
 * made for one VF acts on every VF's frames. */
Test(flow_xlate, transfer_implicit_source)
{
    struct rte_flow_attr g3 = { .transfer = 1, .group = 3 };
    struct rte_flow_item eth[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH }, END_ITEM,
    };

    for (uint16_t port = 0; port <= 4; port++) {
        ctx.port_vport = port;      /* 0: the PF (wire), n: VF n-1's rep */
        cr_assert_eq(xlate(&attr_transfer, eth, fwd_wire), 0, "%s",
                     err.message);
        cr_expect_eq(x.rule.value.src_vport, port);
        cr_expect_eq(x.rule.mask.src_vport, 0xffff);
        cr_assert_eq(xlate(&g3, eth, fwd_wire), 0, "%s", err.message);
        cr_expect_eq(x.rule.value.src_vport, port, "group 3 too");
        cr_expect_eq(x.rule.mask.src_vport, 0xffff, "group 3 too");
    }
}

/* "Any port" is said with a port item whose mask is zero, or which has no
 * spec; an explicit port overrides the creating port. */
Test(flow_xlate, transfer_port_item_overrides)
{
    struct rte_flow_item_ethdev one = { .port_id = 3 };
    struct rte_flow_item_ethdev zero_mask = { .port_id = 0 };
    struct rte_flow_item_port_id id_zero_mask = { .id = 0 };
    struct rte_flow_item exact[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &one },
        END_ITEM,
    };
    struct rte_flow_item any[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &one,
          .mask = &zero_mask },
        { .type = RTE_FLOW_ITEM_TYPE_ETH }, END_ITEM,
    };
    struct rte_flow_item any_port_id[] = {
        { .type = RTE_FLOW_ITEM_TYPE_PORT_ID, .spec = &id_zero_mask,
          .mask = &id_zero_mask }, END_ITEM,
    };
    struct rte_flow_item no_spec[] = {
        { .type = RTE_FLOW_ITEM_TYPE_PORT_REPRESENTOR }, END_ITEM,
    };

    ctx.port_vport = 1;
    cr_assert_eq(xlate(&attr_transfer, exact, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.value.src_vport, 3);
    cr_expect_eq(x.rule.mask.src_vport, 0xffff);
    cr_assert_eq(xlate(&attr_transfer, any, fwd_wire), 0, "%s", err.message);
    cr_expect_eq(x.rule.mask.src_vport, 0, "zero mask: any port");
    cr_assert_eq(xlate(&attr_transfer, any_port_id, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.mask.src_vport, 0, "PORT_ID, zero mask: any port");
    cr_assert_eq(xlate(&attr_transfer, no_spec, fwd_wire), 0, "%s",
                 err.message);
    cr_expect_eq(x.rule.mask.src_vport, 0, "no spec: any port");
}

/* A device that cannot match the source port cannot confine a rule to its
 * port: refused, unless the rule asks for any port. */
Test(flow_xlate, transfer_implicit_source_needs_the_field)
{
    struct rte_flow_item_ethdev zero = { .port_id = 0 };
    struct rte_flow_item eth[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH }, END_ITEM,
    };
    struct rte_flow_item any[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &zero,
          .mask = &zero },
        { .type = RTE_FLOW_ITEM_TYPE_ETH }, END_ITEM,
    };

    caps_full.match_fields &= ~F(SRC_VPORT);
    expect_refusal(xlate(&attr_transfer, eth, fwd_wire), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER, &attr_transfer,
                   "zero mask");
    cr_expect_eq(xlate(&attr_transfer, any, fwd_wire), 0, "%s", err.message);
}

/* ------------------------------------------------------------------------
 * Refusals: actions
 * ------------------------------------------------------------------------ */

Test(flow_xlate, refuse_actions)
{
    struct rte_flow_action_jump back = { .group = 2 };
    struct rte_flow_attr g2 = { .transfer = 1, .group = 2 };
    struct rte_flow_action_queue q9 = { .index = 9 };
    struct rte_flow_action_of_push_vlan bad_tpid = {
        .ethertype = RTE_BE16(0x0800) };
    struct rte_flow_action_mark mark = { .id = 1 };
    struct rte_flow_action jump_back[] = {
        { .type = RTE_FLOW_ACTION_TYPE_JUMP, .conf = &back }, END_ACT,
    };
    struct rte_flow_action queue[] = {
        { .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q9 }, END_ACT,
    };
    struct rte_flow_action push[] = {
        { .type = RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN, .conf = &bad_tpid },
        FWD_WIRE, END_ACT,
    };
    struct rte_flow_action drop_mark[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mark }, END_ACT,
    };
    struct rte_flow_action no_fate[] = {
        { .type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mark }, END_ACT,
    };
    struct rte_flow_action meter[] = {
        { .type = RTE_FLOW_ACTION_TYPE_METER }, END_ACT,
    };

    expect_refusal(xlate(&g2, end_items, jump_back), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &jump_back[0],
                   "higher group");
    expect_refusal(xlate(&attr_ingress, end_items, queue), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &queue[0], "queue 9");
    expect_refusal(xlate(&attr_transfer, end_items, push), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &push[0], "TPID");
    expect_refusal(xlate(&attr_transfer, end_items, drop_mark), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION, &drop_mark[1], "DROP");
    expect_refusal(xlate(&attr_transfer, end_items, no_fate), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION_NUM, no_fate, "no fate");
    expect_refusal(xlate(&attr_transfer, end_items, meter), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION, &meter[0], "not supported");
}

Test(flow_xlate, refuse_actions_the_profile_lacks)
{
    struct rte_flow_action_jump j = { .group = 1 };
    struct rte_flow_action_mark mark = { .id = 1 };
    struct rte_flow_action jump[] = {
        { .type = RTE_FLOW_ACTION_TYPE_JUMP, .conf = &j }, END_ACT,
    };
    struct rte_flow_action ttl[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DEC_TTL }, FWD_WIRE, END_ACT,
    };
    struct rte_flow_action many[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mark },
        FWD_WIRE, FWD_WIRE,
        { .type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mark }, END_ACT,
    };

    ctx.caps = &caps_tiny;
    caps_tiny.max_group = 4;
    expect_refusal(xlate(&attr_transfer, end_items, jump), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION, &jump[0], "jump");
    expect_refusal(xlate(&attr_transfer, end_items, ttl), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION, &ttl[0], "dec_ttl");
    expect_refusal(xlate(&attr_transfer, end_items, many), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION, &many[4], "at most 4");
}

Test(flow_xlate, refuse_bad_vxlan_encap)
{
    struct rte_flow_item_eth eth = { 0 };
    struct rte_flow_item v6[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &eth },
        { .type = RTE_FLOW_ITEM_TYPE_IPV6, .spec = &eth }, END_ITEM,
    };
    struct rte_flow_item shortdef[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &eth }, END_ITEM,
    };
    struct rte_flow_action_vxlan_encap e6 = { .definition = v6 };
    struct rte_flow_action_vxlan_encap es = { .definition = shortdef };
    struct rte_flow_action a6[] = {
        { .type = RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP, .conf = &e6 }, FWD_WIRE,
        END_ACT,
    };
    struct rte_flow_action as[] = {
        { .type = RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP, .conf = &es }, FWD_WIRE,
        END_ACT,
    };

    expect_refusal(xlate(&attr_transfer, end_items, a6), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &a6[0], "IPv6");
    expect_refusal(xlate(&attr_transfer, end_items, as), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, &as[0], "ends after 1");
}

/* ------------------------------------------------------------------------
 * Device refusals mapped back
 * ------------------------------------------------------------------------ */

Test(flow_xlate, device_refusal_points_at_the_object)
{
    struct rte_flow_item_ipv4 s = { .hdr.dst_addr = RTE_BE32(1) };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &s }, END_ITEM,
    };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT }, FWD_WIRE, END_ACT,
    };
    int ret;

    cr_assert_eq(xlate(&attr_transfer, items, acts), 0, "%s", err.message);
    ret = emunic_flow_refusal(&x, FW_STATUS_NOT_SUPPORTED,
                              FW_SYND(FW_SYND_MASK, FW_FIELD_IPV4_DST, 0),
                              &err);
    cr_expect_eq(ret, -ENOTSUP);
    cr_expect_eq(err.type, RTE_FLOW_ERROR_TYPE_ITEM_MASK);
    cr_expect_eq(err.cause, &items[1]);
    ret = emunic_flow_refusal(&x, FW_STATUS_BAD_PARAM,
                              FW_SYND(FW_SYND_ACTION_ARG, 1, FW_ACT_FWD_VPORT),
                              &err);
    cr_expect_eq(ret, -EINVAL);
    cr_expect_eq(err.type, RTE_FLOW_ERROR_TYPE_ACTION);
    cr_expect_eq(err.cause, &acts[1]);
    ret = emunic_flow_refusal(&x, FW_STATUS_NO_SPACE,
                              FW_SYND(FW_SYND_CAPACITY, 0,
                                      FW_LIMIT_RULES_TABLE), &err);
    cr_expect_eq(ret, -ENOSPC);
    cr_expect(strstr(err.message, "full") != NULL, "%s", err.message);
    ret = emunic_flow_refusal(&x, FW_STATUS_NOT_SUPPORTED,
                              FW_SYND(FW_SYND_PRIORITY, 0, 0), &err);
    cr_expect_eq(err.type, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY);
    cr_expect_eq(ret, -ENOTSUP);
}
