/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic's translation of the bits mainstream rte_flow clients put in
 * their patterns: the IP fragment state (IPV4 fragment_offset as spec/mask
 * and as a range, IPV6 has_frag_ext, the IPV6_FRAG_EXT item), VLAN
 * has_more_vlan and ETH type with has_vlan; every spelling Open vSwitch and
 * testpmd use, and every refusal with the item and field it names. Same
 * harness as test_flow_xlate.c: no device, no EAL, validate and create
 * compared on every pattern.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_flow.h>

#include "emunic.h"

#define F(x) FW_FIELD_BIT(FW_FIELD_ ## x)
#define IS      FW_IP_FRAG_IS
#define LATER   FW_IP_FRAG_LATER
#define MORE    FW_IP_FRAG_MORE

static struct fw_caps caps;
static struct emunic_xlate_ctx ctx;
static struct emunic_xlate x;
static struct rte_flow_error err;

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
setup(void)
{
    memset(&caps, 0, sizeof(caps));
    strncpy(caps.profile, "full", sizeof(caps.profile) - 1);
    caps.match_fields = (1ull << FW_FIELD_COUNT_) - 1;
    caps.actions = ((1ull << FW_ACT_COUNT_) - 1) &
                   ~FW_ACTION_BIT(FW_ACT_NONE);
    caps.prio_per_table = 16;
    caps.max_group = 65535;
    caps.max_actions = 16;
    caps.max_queues_per_port = 8;
    caps.esw_mode = FW_ESW_SWITCHDEV;
    caps.num_vfs = 4;
    memset(&ctx, 0, sizeof(ctx));
    ctx.caps = &caps;
    ctx.port_vport = FW_VPORT_UPLINK;
    ctx.nb_rx_queues = 4;
    ctx.resolve = resolve;
    memset(&x, 0, sizeof(x));
    memset(&err, 0, sizeof(err));
}

TestSuite(flow_frag, .init = setup);

static const struct rte_flow_attr attr_transfer = { .transfer = 1 };
static const struct rte_flow_action_port_id to_wire = { .id = 0 };
static const struct rte_flow_action fwd_wire[] = {
    { .type = RTE_FLOW_ACTION_TYPE_PORT_ID, .conf = &to_wire },
    { .type = RTE_FLOW_ACTION_TYPE_END },
};

#define END_ITEM { .type = RTE_FLOW_ITEM_TYPE_END }

/* translate, and check validate (NULL output) agrees */
static int
xlate(const struct rte_flow_item *items)
{
    struct rte_flow_error verr;
    int ret, vret;

    memset(&x, 0, sizeof(x));
    memset(&err, 0, sizeof(err));
    memset(&verr, 0, sizeof(verr));
    vret = emunic_flow_translate(&ctx, &attr_transfer, items, fwd_wire, NULL,
                                 &verr);
    ret = emunic_flow_translate(&ctx, &attr_transfer, items, fwd_wire, &x,
                                &err);
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
    cr_assert_eq(ret, -code, "ret %d, want %d (%s)", ret, -code,
                 err.message ? err.message : "");
    cr_expect_eq(err.type, type, "error type %d, want %d: %s", err.type, type,
                 err.message);
    cr_expect_eq(err.cause, cause, "cause points elsewhere");
    cr_assert_not_null(err.message);
    cr_expect(strstr(err.message, words) != NULL, "message '%s' lacks '%s'",
              err.message, words);
}

/* ETH / IPV4 with fragment_offset spec/mask[/last] (host order; last 0:
 * none). */
static int
ipv4_frag(uint16_t spec, uint16_t mask, uint16_t last,
          struct rte_flow_item items[3])
{
    static struct rte_flow_item_ipv4 s, m, l;

    memset(&s, 0, sizeof(s));
    memset(&m, 0, sizeof(m));
    memset(&l, 0, sizeof(l));
    s.hdr.fragment_offset = htons(spec);
    m.hdr.fragment_offset = htons(mask);
    l.hdr.fragment_offset = htons(last);
    items[0] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_ETH };
    items[1] = (struct rte_flow_item){
        .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &s, .mask = &m,
        .last = last ? &l : NULL,
    };
    items[2] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_END };
    return xlate(items);
}

static void
expect_frag(uint8_t v, uint8_t m)
{
    cr_expect_eq(x.rule.value.ip_frag, v, "ip_frag value %#x, want %#x",
                 x.rule.value.ip_frag, v);
    cr_expect_eq(x.rule.mask.ip_frag, m, "ip_frag mask %#x, want %#x",
                 x.rule.mask.ip_frag, m);
}

/* ------------------------------------------------------------------------
 * IPv4 fragment_offset
 * ------------------------------------------------------------------------ */

struct v4_case {
    const char *what;
    uint16_t spec, mask, last;
    uint8_t v, m;
};

static const struct v4_case v4_accepted[] = {
    /* Open vSwitch's frag=no and frag=first */
    { "whole", 0x0000, 0x3fff, 0, 0, IS },
    { "first", 0x2000, 0x3fff, 0, IS, IS | LATER },
    /* later fragments (middle and last): the offset is non-zero */
    { "later", 0x0001, 0x1fff, 0x1fff, LATER, LATER },
    /* any fragment: MF or an offset */
    { "any fragment", 0x0001, 0x3fff, 0x3fff, IS, IS },
    /* the last fragment only: no MF, an offset */
    { "last", 0x0001, 0x3fff, 0x1fff, IS, IS | MORE },
    /* middle: MF and an offset */
    { "middle", 0x2001, 0x3fff, 0x3fff, LATER | MORE, LATER | MORE },
    /* MF alone: first and middle; no MF: whole and last */
    { "MF", 0x2000, 0x2000, 0, MORE, MORE },
    { "no MF", 0x0000, 0x2000, 0, 0, MORE },
    /* offset 0: whole and first */
    { "offset 0", 0x0000, 0x1fff, 0, 0, LATER },
    /* a range covering every value asks nothing */
    { "all", 0x0000, 0x3fff, 0x3fff, 0, 0 },
    /* 'last' equal to spec is no range */
    { "last == spec", 0x2000, 0x3fff, 0x2000, IS, IS | LATER },
    /* spec bits outside the mask are ignored */
    { "spec outside mask", 0x2345, 0x2000, 0, MORE, MORE },
};

Test(flow_frag, ipv4_every_state_form)
{
    struct rte_flow_item items[3];

    for (size_t i = 0; i < RTE_DIM(v4_accepted); i++) {
        const struct v4_case *c = &v4_accepted[i];

        cr_assert_eq(ipv4_frag(c->spec, c->mask, c->last, items), 0,
                     "%s: %s", c->what, err.message);
        cr_expect_eq(x.rule.value.ip_frag, c->v, "%s: value %#x want %#x",
                     c->what, x.rule.value.ip_frag, c->v);
        cr_expect_eq(x.rule.mask.ip_frag, c->m, "%s: mask %#x want %#x",
                     c->what, x.rule.mask.ip_frag, c->m);
        cr_expect_eq(x.rule.value.eth_type, htons(0x0800), "%s", c->what);
        if (c->m != 0)
            cr_expect_eq(x.field_item[FW_FIELD_IP_FRAG], &items[1], "%s",
                         c->what);
    }
}

Test(flow_frag, ipv4_forms_the_device_cannot_match)
{
    struct rte_flow_item items[3];

    /* Open vSwitch's IPv4 frag=later range starts at offset 8 (it shifts
     * by the byte shift of the offset): offsets 1 to 7 would be left out,
     * which the device cannot do */
    expect_refusal(ipv4_frag(0x0008, 0x1fff, 0x1fff, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_LAST, &items[1], "but not all");
    cr_expect(strstr(err.message, "IPV4 fragment_offset") != NULL, "%s",
              err.message);
    cr_expect(strstr(err.message, "spec 0x0001 last 0x1fff") != NULL,
              "the message shows the form that works: %s", err.message);
    /* one offset value: part of the later fragments */
    expect_refusal(ipv4_frag(0x0010, 0x3fff, 0, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &items[1], "but not all");
    /* odd offsets only */
    expect_refusal(ipv4_frag(0x0001, 0x0001, 0, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &items[1], "but not all");
    /* DF and the reserved bit are not matchable: the field is named */
    expect_refusal(ipv4_frag(0x4000, 0x4000, 0, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &items[1],
                   "covers fragment_offset");
    expect_refusal(ipv4_frag(0x0000, 0xffff, 0, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &items[1],
                   "fragment_offset");
    /* 'last' below spec */
    expect_refusal(ipv4_frag(0x0100, 0x1fff, 0x0010, items), EINVAL,
                   RTE_FLOW_ERROR_TYPE_ITEM_LAST, &items[1], "below spec");
    /* whole packets and middle fragments, but not first or last: no
     * single value/mask says that */
    expect_refusal(ipv4_frag(0x0000, 0x3fff, 0x2000, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &items[1], "two rules");
}

Test(flow_frag, ipv4_range_on_another_field_names_it)
{
    struct rte_flow_item_ipv4 s = { .hdr = {
        .src_addr = RTE_BE32(0x0a000001),
        .fragment_offset = RTE_BE16(0x0001),
    } };
    struct rte_flow_item_ipv4 m = { .hdr = {
        .src_addr = RTE_BE32(0xffffffff),
        .fragment_offset = RTE_BE16(0x1fff),
    } };
    /* Open vSwitch's 'last': zero but for fragment_offset */
    struct rte_flow_item_ipv4 l = { .hdr = {
        .fragment_offset = RTE_BE16(0x1fff),
    } };
    struct rte_flow_item_ipv4 l_src = { .hdr = {
        .src_addr = RTE_BE32(0x0a000009),
    } };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &s, .mask = &m,
          .last = &l },
        END_ITEM,
    };

    cr_assert_eq(xlate(items), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.ipv4_src, htonl(0x0a000001));
    expect_frag(LATER, LATER);
    items[0].last = &l_src;
    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_LAST,
                   &items[0], "not supported on src");
}

Test(flow_frag, ipv4_mask_names_the_field)
{
    struct rte_flow_item_ipv4 s = { .hdr.packet_id = RTE_BE16(7) };
    struct rte_flow_item_ipv4 m = { .hdr.packet_id = RTE_BE16(0xffff) };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &s, .mask = &m },
        END_ITEM,
    };

    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                   &items[0], "IPV4: the mask covers packet_id");
}

/* What Open vSwitch 3.1 writes for an IPv4 UDP megaflow, frag=no. */
Test(flow_frag, ovs_ipv4_udp_megaflow)
{
    struct rte_flow_item_ipv4 s = { .hdr = {
        .src_addr = RTE_BE32(0x0a000001), .dst_addr = RTE_BE32(0x0a000002),
        .next_proto_id = 17, .time_to_live = 64,
    } };
    struct rte_flow_item_ipv4 m = { .hdr = {
        .src_addr = RTE_BE32(0xffffffff), .dst_addr = RTE_BE32(0xffffffff),
        .fragment_offset = RTE_BE16(0x3fff),
    } };
    struct rte_flow_item_udp us = { .hdr.dst_port = RTE_BE16(53) };
    struct rte_flow_item_udp um = { .hdr.dst_port = RTE_BE16(0xffff) };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &s, .mask = &m },
        { .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &us, .mask = &um },
        END_ITEM,
    };

    cr_assert_eq(xlate(items), 0, "%s", err.message);
    expect_frag(0, IS);
    cr_expect_eq(x.rule.value.ip_proto, 17);
    cr_expect_eq(x.rule.value.l4_dst, htons(53));
    cr_expect_eq(x.rule.mask.ip_ttl, 0, "ttl spec without mask is ignored");
}

/* ------------------------------------------------------------------------
 * IPv6: has_frag_ext and IPV6_FRAG_EXT
 * ------------------------------------------------------------------------ */

Test(flow_frag, ipv6_has_frag_ext)
{
    struct rte_flow_item_ipv6 s = { .hdr.proto = 6 };
    struct rte_flow_item_ipv6 m = { .hdr.proto = 0xff, .has_frag_ext = 1 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV6, .spec = &s, .mask = &m },
        END_ITEM,
    };

    cr_assert_eq(xlate(items), 0, "%s", err.message);
    expect_frag(0, IS);
    cr_expect_eq(x.rule.value.ip_proto, 6);
    cr_expect_eq(x.field_item[FW_FIELD_IP_FRAG], &items[1]);
    s.has_frag_ext = 1;
    cr_assert_eq(xlate(items), 0, "%s", err.message);
    expect_frag(IS, IS);
    /* the other extension flags are not matchable, and are named */
    m.has_hop_ext = 1;
    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                   &items[1], "has_*_ext flag other than has_frag_ext");
}

static struct rte_flow_item_ipv6_frag_ext fs, fm, fl;

/* ETH / IPV6 / IPV6_FRAG_EXT frag_data spec/mask[/last] (host order). */
static int
ipv6_frag(uint16_t spec, uint16_t mask, uint16_t last,
          struct rte_flow_item items[4])
{
    memset(&fs, 0, sizeof(fs));
    memset(&fm, 0, sizeof(fm));
    memset(&fl, 0, sizeof(fl));
    fs.hdr.frag_data = htons(spec);
    fm.hdr.frag_data = htons(mask);
    fl.hdr.frag_data = htons(last);
    items[0] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_ETH };
    items[1] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_IPV6 };
    items[2] = (struct rte_flow_item){
        .type = RTE_FLOW_ITEM_TYPE_IPV6_FRAG_EXT, .spec = &fs, .mask = &fm,
        .last = last ? &fl : NULL,
    };
    items[3] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_END };
    return xlate(items);
}

Test(flow_frag, ipv6_frag_ext_item)
{
    struct rte_flow_item items[4];

    /* Open vSwitch's frag=first: M set, offset 0 */
    cr_assert_eq(ipv6_frag(0x0001, 0xfff9, 0, items), 0, "%s", err.message);
    expect_frag(IS | MORE, IS | LATER | MORE);
    cr_expect_eq(x.rule.value.eth_type, htons(0x86dd));
    cr_expect_eq(x.field_item[FW_FIELD_IP_FRAG], &items[2]);
    /* Open vSwitch's frag=later: offset 1 to the last one */
    cr_assert_eq(ipv6_frag(0x0008, 0xfff8, 0xfff8, items), 0, "%s",
                 err.message);
    expect_frag(IS | LATER, IS | LATER);
    /* offset 0 (first or atomic) */
    cr_assert_eq(ipv6_frag(0x0000, 0xfff8, 0, items), 0, "%s", err.message);
    expect_frag(IS, IS | LATER);
    /* later fragments, the range over offset and M together */
    cr_assert_eq(ipv6_frag(0x0008, 0xfff9, 0xfff9, items), 0, "%s",
                 err.message);
    expect_frag(IS | LATER, IS | LATER);
    /* ... but up to 0xfff8 it leaves out the middle fragment at the
     * highest offset, so it is refused rather than widened */
    expect_refusal(ipv6_frag(0x0008, 0xfff9, 0xfff8, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_LAST, &items[2],
                   "some middle fragments but not all");
    /* M clear: atomic or last fragments */
    cr_assert_eq(ipv6_frag(0x0000, 0x0001, 0, items), 0, "%s", err.message);
    expect_frag(IS, IS | MORE);
    /* no spec: any packet with a Fragment header */
    items[2].spec = NULL;
    items[2].mask = NULL;
    items[2].last = NULL;
    cr_assert_eq(xlate(items), 0, "%s", err.message);
    expect_frag(IS, IS);
    /* a spec with no mask: DPDK 22.11 has no default mask for the item,
     * net_emunic's is the offset and M */
    fs.hdr.frag_data = htons(0x0001);
    items[2].spec = &fs;
    cr_assert_eq(xlate(items), 0, "%s", err.message);
    expect_frag(IS | MORE, IS | LATER | MORE);
}

Test(flow_frag, ipv6_frag_ext_refusals)
{
    struct rte_flow_item items[4];
    struct rte_flow_item_ipv6 ns = { .has_frag_ext = 0 };
    struct rte_flow_item_ipv6 nm = { .has_frag_ext = 1 };
    struct rte_flow_item with_l4[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_IPV6 },
        { .type = RTE_FLOW_ITEM_TYPE_IPV6_FRAG_EXT },
        { .type = RTE_FLOW_ITEM_TYPE_UDP },
        END_ITEM,
    };
    struct rte_flow_item after_ipv4[] = {
        { .type = RTE_FLOW_ITEM_TYPE_IPV4 },
        { .type = RTE_FLOW_ITEM_TYPE_IPV6_FRAG_EXT },
        END_ITEM,
    };

    /* an offset range that splits the later fragments */
    expect_refusal(ipv6_frag(0x0010, 0xfff8, 0xfff8, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_LAST, &items[2], "but not all");
    cr_expect(strstr(err.message, "IPV6_FRAG_EXT frag_data") != NULL, "%s",
              err.message);
    /* the reserved bits, next_header and id are named */
    expect_refusal(ipv6_frag(0x0002, 0x0006, 0, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, &items[2],
                   "covers frag_data");
    ipv6_frag(0, 0xfff9, 0, items);
    fm.hdr.next_header = 0xff;
    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                   &items[2], "covers next_header");
    fm.hdr.next_header = 0;
    fm.hdr.id = RTE_BE32(0xffffffff);
    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                   &items[2], "covers id");
    fm.hdr.id = 0;
    /* has_frag_ext 0 and then the Fragment header: a contradiction */
    items[1].spec = &ns;
    items[1].mask = &nm;
    items[2].spec = NULL;
    items[2].mask = NULL;
    expect_refusal(xlate(items), EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, &items[2],
                   "contradicts");
    /* no L4 past the Fragment header, no Fragment header after IPv4 */
    expect_refusal(xlate(with_l4), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
                   &with_l4[3], "does not parse past the IPv6 Fragment");
    expect_refusal(xlate(after_ipv4), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
                   &after_ipv4[1], "IPV6_FRAG_EXT cannot follow IPV4");
}

/* ------------------------------------------------------------------------
 * Profiles
 * ------------------------------------------------------------------------ */

Test(flow_frag, profile_without_the_field)
{
    struct rte_flow_item items[3];

    caps.match_fields &= ~F(IP_FRAG);
    expect_refusal(ipv4_frag(0, 0x3fff, 0, items), ENOTSUP,
                   RTE_FLOW_ERROR_TYPE_ITEM, &items[1],
                   "the IP fragment state (ip_frag)");
    /* asking nothing of it still works there */
    cr_assert_eq(ipv4_frag(0, 0x3fff, 0x3fff, items), 0, "%s", err.message);
    expect_frag(0, 0);
}

Test(flow_frag, device_refusal_points_at_the_item)
{
    struct rte_flow_item items[4];
    int ret;

    cr_assert_eq(ipv6_frag(0x0001, 0xfff9, 0, items), 0, "%s", err.message);
    ret = emunic_flow_refusal(&x, FW_STATUS_BAD_PARAM,
                              FW_SYND(FW_SYND_VALUE, FW_FIELD_IP_FRAG, 0),
                              &err);
    cr_expect_eq(ret, -EINVAL);
    cr_expect_eq(err.cause, &items[2]);
}

/* ------------------------------------------------------------------------
 * VLAN has_more_vlan, ETH type with has_vlan
 * ------------------------------------------------------------------------ */

Test(flow_frag, vlan_has_more_vlan)
{
    struct rte_flow_item_vlan s = { .hdr.vlan_tci = RTE_BE16(100),
                                    .hdr.eth_proto = RTE_BE16(0x0800) };
    struct rte_flow_item_vlan m = { .hdr.vlan_tci = RTE_BE16(0x0fff),
                                    .hdr.eth_proto = RTE_BE16(0xffff),
                                    .has_more_vlan = 1 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_VLAN, .spec = &s, .mask = &m },
        END_ITEM,
    };

    /* no more tags, inner type IPv4 */
    cr_assert_eq(xlate(items), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.eth_type, htons(0x0800));
    cr_expect_eq(ntohs(x.rule.value.vlan_tci), 0x1000 | 100);
    /* another tag follows: the type after the outer tag is a TPID */
    s.has_more_vlan = 1;
    s.hdr.eth_proto = RTE_BE16(0x8100);
    cr_assert_eq(xlate(items), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.eth_type, htons(0x8100));
    /* a TPID with has_more_vlan 0, or has_more_vlan alone: refused */
    s.has_more_vlan = 0;
    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                   &items[1], "has_more_vlan");
    s.has_more_vlan = 1;
    m.hdr.eth_proto = 0;
    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                   &items[1], "has_more_vlan");
    /* the reserved bits next to it are named */
    m.hdr.eth_proto = RTE_BE16(0xffff);
    m.reserved = 1;
    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                   &items[1], "has_more_vlan or a reserved bit");
}

Test(flow_frag, eth_type_with_has_vlan)
{
    struct rte_flow_item_eth s = { .hdr.ether_type = RTE_BE16(0x0800) };
    struct rte_flow_item_eth m = { .hdr.ether_type = RTE_BE16(0xffff),
                                   .has_vlan = 1 };
    struct rte_flow_item_ipv4 is = { .hdr.fragment_offset = 0 };
    struct rte_flow_item_ipv4 im = {
        .hdr.fragment_offset = RTE_BE16(0x3fff),
    };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &s, .mask = &m },
        { .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &is, .mask = &im },
        END_ITEM,
    };

    /* untagged IPv4, not a fragment */
    cr_assert_eq(xlate(items), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.eth_type, htons(0x0800));
    cr_expect_eq(x.rule.mask.eth_type, 0xffff);
    cr_expect_eq(x.rule.value.vlan_tci, 0);
    cr_expect_eq(x.rule.mask.vlan_tci, htons(FW_VLAN_TCI_PRESENT));
    expect_frag(0, IS);
    /* tagged, the type after the tag IPv4 (the device's eth_type) */
    s.has_vlan = 1;
    cr_assert_eq(xlate(items), 0, "%s", err.message);
    cr_expect_eq(x.rule.value.vlan_tci, htons(FW_VLAN_TCI_PRESENT));
    cr_expect_eq(x.rule.value.eth_type, htons(0x0800));
    /* a TPID as type with has_vlan 0 contradicts itself */
    s.has_vlan = 0;
    s.hdr.ether_type = RTE_BE16(0x8100);
    items[1].type = RTE_FLOW_ITEM_TYPE_END;
    expect_refusal(xlate(items), EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, &items[0],
                   "contradicts");
    /* other flag bits are named */
    s.hdr.ether_type = RTE_BE16(0x0800);
    m.reserved = 1;
    expect_refusal(xlate(items), ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                   &items[0], "has_vlan or a reserved bit");
}

/* ------------------------------------------------------------------------
 * The classifier against walking every (MF, offset) / (offset, M) pair
 * ------------------------------------------------------------------------ */

static void
walk_reference(bool v6, uint16_t spec, uint16_t mask, uint16_t last,
               uint32_t *all, uint32_t *some)
{
    unsigned total[8] = { 0 }, hit[8] = { 0 };
    unsigned lo = spec & mask, hi = last & mask;

    for (unsigned i = 0; i < 0x4000u; i++) {
        unsigned x = v6 ? ((i >> 1) << 3) | (i & 1u) : i;
        bool more = v6 ? (x & 1u) : (x & 0x2000u);
        bool later = v6 ? (x & 0xfff8u) : (x & 0x1fffu);
        unsigned st = (!v6 && !more && !later) ? 0 :
                      IS | (later ? LATER : 0) | (more ? MORE : 0);

        total[st]++;
        if ((x & mask) >= lo && (x & mask) <= hi)
            hit[st]++;
    }
    *all = *some = 0;
    for (unsigned st = 0; st < 8; st++) {
        if (total[st] != 0 && hit[st] == total[st])
            *all |= 1u << st;
        if (hit[st] != 0)
            *some |= 1u << st;
    }
}

Test(flow_frag, classify_matches_the_walk, .timeout = 60)
{
    static const uint16_t masks4[] = { 0x3fff, 0x1fff, 0x2000, 0x0001,
                                       0x2001, 0x1000, 0x3ff0, 0x0000 };
    static const uint16_t masks6[] = { 0xfff9, 0xfff8, 0x0001, 0x0008,
                                       0x8001, 0xfff0, 0x0000 };
    uint32_t rnd = 2463534242u;
    unsigned n = 0;

    for (int v6 = 0; v6 < 2; v6++) {
        const uint16_t *ms = v6 ? masks6 : masks4;
        size_t nm = v6 ? RTE_DIM(masks6) : RTE_DIM(masks4);

        for (unsigned k = 0; k < 3000; k++) {
            uint16_t mask, spec, last, lo, hi;
            uint32_t a1, s1, a2, s2;

            rnd ^= rnd << 13;
            rnd ^= rnd >> 17;
            rnd ^= rnd << 5;
            /* the shapes applications write, and random ones */
            mask = (rnd & 3) ? ms[(rnd >> 2) % nm] :
                   (uint16_t)(rnd >> 8) & (v6 ? 0xfff9 : 0x3fff);
            spec = (uint16_t)(rnd >> 5) & mask;
            last = (rnd & 4) ? spec :
                   (uint16_t)(spec | ((rnd >> 11) & mask));
            if (rnd & 8)
                spec = (uint16_t)((rnd >> 3) & 0x000f) & mask;
            lo = spec & mask;
            hi = last & mask;
            if (hi < lo)
                continue;
            emunic_frag_classify(v6, spec, mask, last, &a1, &s1);
            walk_reference(v6, spec, mask, last, &a2, &s2);
            cr_assert_eq(a1, a2, "v6 %d spec %#x mask %#x last %#x: all %#x, "
                         "walk %#x", v6, spec, mask, last, a1, a2);
            cr_assert_eq(s1, s2, "v6 %d spec %#x mask %#x last %#x: some %#x, "
                         "walk %#x", v6, spec, mask, last, s1, s2);
            n++;
        }
    }
    cr_expect_gt(n, 4000, "enough cases compared (%u)", n);
}
