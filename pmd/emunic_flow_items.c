/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow items -> struct fw_match.
 *
 * A table indexed by item type gives the protocol items it may follow, the
 * default and the supported mask, and a converter. Every match field goes
 * through emunic_field_use(): the device's capability bitmaps decide whether the
 * field is matchable and which mask shapes it takes, and each field
 * remembers the item that set it so a later device refusal points there.
 * Protocol items add their implicit prerequisites (UDP: ip_proto 17; IPV4:
 * EtherType 0x0800), merged with what the application asked for: a
 * contradiction is refused, never silently overwritten.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_flow.h>

#include "emunic.h"

#define P(x) (1u << EMUNIC_P_ ## x)

struct item_desc {
    const char *name;
    int proto;                  /* enum emunic_proto, -1: port (meta) item */
    uint32_t after;             /* protos this item may follow */
    size_t size;
    const void *default_mask;
    const void *supported;
    const char *supported_desc;
    int (*convert)(struct emunic_walk *w, const struct rte_flow_item *item,
                   const void *spec, const void *mask,
                   struct rte_flow_error *error);
};

static const uint8_t zero_item[128];

/* A whole-bytes field: check capability and shape, then merge. */
static int
field_set(struct emunic_walk *w, const struct rte_flow_item *item,
          const char *name, enum fw_field f, void *val, void *msk,
          const void *nv, const void *nm, size_t size,
          struct rte_flow_error *error)
{
    int ret;

    if (emunic_bits_zero(nm, size))
        return 0;
    ret = emunic_field_use(w, item, name, f, nm, (unsigned)size * 8u, error);
    if (ret < 0)
        return ret;
    return emunic_field_merge(w, item, name, f, val, msk, nv, nm, size, error);
}

/* The fragment state (emunic_flow_frag.c works out the value/mask). */
static int
frag_put(struct emunic_walk *w, const struct rte_flow_item *item,
         const char *name, uint8_t v, uint8_t m, struct rte_flow_error *error)
{
    struct fw_rule_add_in *r = &w->x->rule;
    /* IS, LATER, MORE as the field's three bits, most significant first */
    uint8_t canon = (uint8_t)(m << 5);
    int ret;

    if (m == 0)
        return 0;
    ret = emunic_field_use(w, item, name, FW_FIELD_IP_FRAG, &canon, 3, error);
    if (ret < 0)
        return ret;
    return emunic_field_merge(w, item, name, FW_FIELD_IP_FRAG, &r->value.ip_frag,
                       &r->mask.ip_frag, &v, &m, 1, error);
}

/* An implicit prerequisite: full mask on a value the item implies. */
static int
field_implied(struct emunic_walk *w, const struct rte_flow_item *item,
              const char *name, enum fw_field f, void *val, void *msk,
              const void *nv, size_t size, struct rte_flow_error *error)
{
    static const uint8_t ones[8] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };
    const struct fw_caps *caps = w->ctx->caps;

    if (!(caps->match_fields & FW_FIELD_BIT(f)))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s: telling this header apart needs %s (%s), "
                               "which the device (profile '%s') cannot "
                               "match", name, emunic_field_desc(f), fw_field_name(f),
                               emunic_profile(caps));
    if (w->x->field_item[f] == NULL)
        w->x->field_item[f] = item;
    return emunic_field_merge(w, item, name, f, val, msk, nv, ones, size, error);
}

static int
ethertype_implied(struct emunic_walk *w, const struct rte_flow_item *item,
                  const char *name, uint16_t type, struct rte_flow_error *error)
{
    rte_be16_t be = rte_cpu_to_be_16(type);
    struct fw_rule_add_in *r = &w->x->rule;

    return field_implied(w, item, name, FW_FIELD_ETH_TYPE, &r->value.eth_type,
                         &r->mask.eth_type, &be, sizeof(be), error);
}

static int
ipproto_implied(struct emunic_walk *w, const struct rte_flow_item *item,
                const char *name, uint8_t proto, struct rte_flow_error *error)
{
    struct fw_rule_add_in *r = &w->x->rule;

    return field_implied(w, item, name, FW_FIELD_IP_PROTO, &r->value.ip_proto,
                         &r->mask.ip_proto, &proto, 1, error);
}

/* VLAN presence lives in the VLAN_VID field (FW_VLAN_TCI_PRESENT). */
static int
vlan_present(struct emunic_walk *w, const struct rte_flow_item *item,
             const char *name, bool present, struct rte_flow_error *error)
{
    struct fw_rule_add_in *r = &w->x->rule;
    rte_be16_t m = rte_cpu_to_be_16(FW_VLAN_TCI_PRESENT);
    rte_be16_t v = present ? m : 0;
    /* the device's VLAN_VID field is 13 bits: presence, then the VID */
    uint16_t bits = (uint16_t)((FW_VLAN_TCI_PRESENT |
                                (rte_be_to_cpu_16(w->x->rule.mask.vlan_tci) &
                                 0x0fff)) << 3);
    uint8_t canon[2] = { (uint8_t)(bits >> 8), (uint8_t)bits };
    int ret;

    ret = emunic_field_use(w, item, name, FW_FIELD_VLAN_VID, canon, 13, error);
    if (ret < 0)
        return ret;
    return emunic_field_merge(w, item, name, FW_FIELD_VLAN_VID, &r->value.vlan_tci,
                       &r->mask.vlan_tci, &v, &m, sizeof(m), error);
}

static bool
is_tpid(uint16_t type)
{
    return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/* ------------------------------------------------------------------------
 * Converters
 * ------------------------------------------------------------------------ */

static int
conv_eth(struct emunic_walk *w, const struct rte_flow_item *item,
         const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_eth *s = spec_, *m = mask_;
    struct fw_rule_add_in *r = &w->x->rule;
    rte_be16_t tv = s->type & m->type;
    int ret;

    ret = field_set(w, item, "ETH", FW_FIELD_ETH_DST, r->value.eth_dst,
                    r->mask.eth_dst, s->dst.addr_bytes, m->dst.addr_bytes, 6,
                    error);
    if (ret == 0)
        ret = field_set(w, item, "ETH", FW_FIELD_ETH_SRC, r->value.eth_src,
                        r->mask.eth_src, s->src.addr_bytes,
                        m->src.addr_bytes, 6, error);
    if (ret < 0)
        return ret;
    if (m->type == RTE_BE16(0xffff) && is_tpid(rte_be_to_cpu_16(tv))) {
        /* the device's eth_type is the one after the outer tag: a TPID
         * here means "tagged" */
        ret = vlan_present(w, item, "ETH", true, error);
    } else if (m->type != 0) {
        ret = field_set(w, item, "ETH", FW_FIELD_ETH_TYPE, &r->value.eth_type,
                        &r->mask.eth_type, &s->type, &m->type, 2, error);
    }
    if (ret == 0 && m->has_vlan)
        ret = vlan_present(w, item, "ETH", s->has_vlan, error);
    return ret;
}

static int
conv_vlan(struct emunic_walk *w, const struct rte_flow_item *item,
          const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_vlan *s = spec_, *m = mask_;
    struct fw_rule_add_in *r = &w->x->rule;
    uint16_t mt = rte_be_to_cpu_16(m->tci);
    uint16_t vid = mt & 0x0fff, pcp = mt & 0xe000;
    uint8_t canon[2];
    rte_be16_t v, mk;
    int ret;

    if (mt & 0x1000)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                               item, "VLAN: the DEI (CFI) bit of the TCI "
                               "cannot be matched; mask it out (0xefff)");
    if (w->x->field_item[FW_FIELD_ETH_TYPE] != NULL &&
        w->x->field_item[FW_FIELD_ETH_TYPE]->type == RTE_FLOW_ITEM_TYPE_ETH)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "VLAN: the ETH item before it matches a "
                               "non-VLAN EtherType; give ETH type 0x8100 or "
                               "leave it unmasked and put the inner type in "
                               "VLAN inner_type");
    ret = vlan_present(w, item, "VLAN", true, error);
    if (ret < 0)
        return ret;
    if (vid) {
        uint16_t bits = (uint16_t)((FW_VLAN_TCI_PRESENT | vid) << 3);

        canon[0] = (uint8_t)(bits >> 8);
        canon[1] = (uint8_t)bits;
        ret = emunic_field_use(w, item, "VLAN", FW_FIELD_VLAN_VID, canon, 13, error);
        if (ret < 0)
            return ret;
    }
    if (pcp) {
        canon[0] = (uint8_t)(pcp >> 8);
        ret = emunic_field_use(w, item, "VLAN", FW_FIELD_VLAN_PCP, canon, 3, error);
        if (ret < 0)
            return ret;
    }
    mk = rte_cpu_to_be_16(vid | pcp);
    v = s->tci & mk;
    ret = emunic_field_merge(w, item, "VLAN", vid ? FW_FIELD_VLAN_VID :
                      FW_FIELD_VLAN_PCP, &r->value.vlan_tci,
                      &r->mask.vlan_tci, &v, &mk, 2, error);
    if (ret < 0)
        return ret;
    /* The device parses one tag: "another tag follows" is the EtherType
     * after it being a TPID, which the rule can only say exactly. */
    if (m->has_more_vlan &&
        (m->hdr.eth_proto != RTE_BE16(0xffff) ||
         is_tpid(rte_be_to_cpu_16(s->hdr.eth_proto)) != !!s->has_more_vlan))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                               item, "VLAN: has_more_vlan %u cannot be "
                               "matched with this inner_type: the device "
                               "sees one tag, so give inner_type exactly "
                               "(a TPID such as 0x8100 with has_more_vlan 1, "
                               "another EtherType with 0)",
                               (unsigned)s->has_more_vlan);
    return field_set(w, item, "VLAN", FW_FIELD_ETH_TYPE, &r->value.eth_type,
                     &r->mask.eth_type, &s->inner_type, &m->inner_type, 2,
                     error);
}

static int
conv_ipv4(struct emunic_walk *w, const struct rte_flow_item *item,
          const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_ipv4 *s = spec_, *m = mask_;
    struct fw_rule_add_in *r = &w->x->rule;
    uint8_t fv, fm;
    int ret;

    ret = ethertype_implied(w, item, "IPV4", 0x0800, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV4", FW_FIELD_IPV4_SRC, &r->value.ipv4_src,
                        &r->mask.ipv4_src, &s->hdr.src_addr,
                        &m->hdr.src_addr, 4, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV4", FW_FIELD_IPV4_DST, &r->value.ipv4_dst,
                        &r->mask.ipv4_dst, &s->hdr.dst_addr,
                        &m->hdr.dst_addr, 4, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV4", FW_FIELD_IP_PROTO, &r->value.ip_proto,
                        &r->mask.ip_proto, &s->hdr.next_proto_id,
                        &m->hdr.next_proto_id, 1, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV4", FW_FIELD_IP_TOS, &r->value.ip_tos,
                        &r->mask.ip_tos, &s->hdr.type_of_service,
                        &m->hdr.type_of_service, 1, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV4", FW_FIELD_IP_TTL, &r->value.ip_ttl,
                        &r->mask.ip_ttl, &s->hdr.time_to_live,
                        &m->hdr.time_to_live, 1, error);
    if (ret == 0)
        ret = emunic_frag_ipv4(item, s, m, &fv, &fm, error);
    if (ret == 0)
        ret = frag_put(w, item, "IPV4", fv, fm, error);
    return ret;
}

static int
conv_ipv6(struct emunic_walk *w, const struct rte_flow_item *item,
          const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_ipv6 *s = spec_, *m = mask_;
    struct fw_rule_add_in *r = &w->x->rule;
    uint8_t tcv = (uint8_t)(rte_be_to_cpu_32(s->hdr.vtc_flow) >> 20);
    uint8_t tcm = (uint8_t)(rte_be_to_cpu_32(m->hdr.vtc_flow) >> 20);
    int ret;

    ret = ethertype_implied(w, item, "IPV6", 0x86dd, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV6", FW_FIELD_IPV6_SRC, r->value.ipv6_src,
                        r->mask.ipv6_src, s->hdr.src_addr, m->hdr.src_addr,
                        16, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV6", FW_FIELD_IPV6_DST, r->value.ipv6_dst,
                        r->mask.ipv6_dst, s->hdr.dst_addr, m->hdr.dst_addr,
                        16, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV6", FW_FIELD_IP_PROTO, &r->value.ip_proto,
                        &r->mask.ip_proto, &s->hdr.proto, &m->hdr.proto, 1,
                        error);
    if (ret == 0)
        ret = field_set(w, item, "IPV6", FW_FIELD_IP_TOS, &r->value.ip_tos,
                        &r->mask.ip_tos, &tcv, &tcm, 1, error);
    if (ret == 0)
        ret = field_set(w, item, "IPV6", FW_FIELD_IP_TTL, &r->value.ip_ttl,
                        &r->mask.ip_ttl, &s->hdr.hop_limits,
                        &m->hdr.hop_limits, 1, error);
    if (ret == 0 && m->has_frag_ext)
        ret = frag_put(w, item, "IPV6 has_frag_ext",
                       s->has_frag_ext ? FW_IP_FRAG_IS : 0, FW_IP_FRAG_IS,
                       error);
    return ret;
}

static int
conv_ipv6_frag_ext(struct emunic_walk *w, const struct rte_flow_item *item,
                   const void *spec_, const void *mask_,
                   struct rte_flow_error *error)
{
    uint8_t fv, fm;
    int ret = emunic_frag_ipv6_ext(item, spec_, mask_, &fv, &fm, error);

    return ret < 0 ? ret : frag_put(w, item, "IPV6_FRAG_EXT", fv, fm, error);
}


static int
conv_ports(struct emunic_walk *w, const struct rte_flow_item *item,
           const char *name, uint8_t proto, rte_be16_t sv, rte_be16_t sm,
           rte_be16_t dv, rte_be16_t dm, struct rte_flow_error *error)
{
    struct fw_rule_add_in *r = &w->x->rule;
    int ret;

    ret = ipproto_implied(w, item, name, proto, error);
    if (ret == 0)
        ret = field_set(w, item, name, FW_FIELD_L4_SRC, &r->value.l4_src,
                        &r->mask.l4_src, &sv, &sm, 2, error);
    if (ret == 0)
        ret = field_set(w, item, name, FW_FIELD_L4_DST, &r->value.l4_dst,
                        &r->mask.l4_dst, &dv, &dm, 2, error);
    return ret;
}

static int
conv_tcp(struct emunic_walk *w, const struct rte_flow_item *item,
         const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_tcp *s = spec_, *m = mask_;

    return conv_ports(w, item, "TCP", 6, s->hdr.src_port, m->hdr.src_port,
                      s->hdr.dst_port, m->hdr.dst_port, error);
}

static int
conv_udp(struct emunic_walk *w, const struct rte_flow_item *item,
         const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_udp *s = spec_, *m = mask_;

    return conv_ports(w, item, "UDP", 17, s->hdr.src_port, m->hdr.src_port,
                      s->hdr.dst_port, m->hdr.dst_port, error);
}

static int
conv_icmp(struct emunic_walk *w, const struct rte_flow_item *item,
          const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_icmp *s = spec_, *m = mask_;
    struct fw_rule_add_in *r = &w->x->rule;
    int ret;

    ret = ipproto_implied(w, item, "ICMP", 1, error);
    if (ret == 0)
        ret = field_set(w, item, "ICMP", FW_FIELD_ICMP_TYPE,
                        &r->value.icmp_type, &r->mask.icmp_type,
                        &s->hdr.icmp_type, &m->hdr.icmp_type, 1, error);
    if (ret == 0)
        ret = field_set(w, item, "ICMP", FW_FIELD_ICMP_CODE,
                        &r->value.icmp_code, &r->mask.icmp_code,
                        &s->hdr.icmp_code, &m->hdr.icmp_code, 1, error);
    return ret;
}

static int
conv_vxlan(struct emunic_walk *w, const struct rte_flow_item *item,
           const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_vxlan *s = spec_, *m = mask_;
    struct fw_rule_add_in *r = &w->x->rule;
    uint32_t vv, vm;
    int ret;

    /* the card recognises VXLAN on the IANA port; say so in the match when
     * the application did not pick the port itself and the device can */
    if (r->mask.l4_dst == 0 &&
        (w->ctx->caps->match_fields & FW_FIELD_BIT(FW_FIELD_L4_DST))) {
        rte_be16_t port = RTE_BE16(4789);

        ret = field_implied(w, item, "VXLAN", FW_FIELD_L4_DST,
                            &r->value.l4_dst, &r->mask.l4_dst, &port, 2,
                            error);
        if (ret < 0)
            return ret;
    }
    vm = ((uint32_t)m->vni[0] << 16) | ((uint32_t)m->vni[1] << 8) | m->vni[2];
    vv = (((uint32_t)s->vni[0] << 16) | ((uint32_t)s->vni[1] << 8) |
          s->vni[2]) & vm;
    if (vm == 0)
        return 0;
    ret = emunic_field_use(w, item, "VXLAN", FW_FIELD_VXLAN_VNI, m->vni, 24, error);
    if (ret < 0)
        return ret;
    vv = rte_cpu_to_le_32(vv);
    vm = rte_cpu_to_le_32(vm);
    return emunic_field_merge(w, item, "VXLAN", FW_FIELD_VXLAN_VNI,
                       &r->value.vxlan_vni, &r->mask.vxlan_vni, &vv, &vm, 4,
                       error);
}

/*
 * A port item names the vport a transfer rule's frames enter the eSwitch
 * from. Its mask is all or nothing: a full mask matches one port; a zero
 * mask (or no spec) matches frames from any port of the switch, and is the
 * only way to say so, since without a port item a rule matches only its
 * own port's traffic (emunic_items_finish).
 */
static int
conv_port(struct emunic_walk *w, const struct rte_flow_item *item,
          const char *name, uint32_t port_id, bool full_mask, bool zero_mask,
          struct rte_flow_error *error)
{
    struct fw_rule_add_in *r = &w->x->rule;
    uint16_t vport, m = 0xffff;
    uint8_t canon[2] = { 0xff, 0xff };
    int ret;

    if (!w->attr->transfer)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s: matching the source port needs the "
                               "transfer attribute; a non-transfer rule "
                               "already matches only its own port", name);
    if (w->has_port_item)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s: a rule can match only one source port",
                               name);
    if (item->spec == NULL || zero_mask) {
        w->has_port_item = true;        /* any port: no field */
        return 0;
    }
    if (!full_mask)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                               item, "%s: the port id is matched exactly "
                               "(full mask) or not at all (zero mask)", name);
    ret = w->ctx->resolve != NULL ?
          w->ctx->resolve(w->ctx->opaque, port_id, &vport) : -ENODEV;
    if (ret == -ENXIO)
        return emunic_flow_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_ITEM_SPEC,
                               item, "%s: port %u is gone (its VF left the "
                               "card): a VF that came back has a new "
                               "representor port; name that one", name,
                               port_id);
    if (ret < 0)
        return emunic_flow_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_ITEM_SPEC,
                               item, "%s: port %u is not a port of this "
                               "emunic switch", name, port_id);
    w->has_port_item = true;
    ret = emunic_field_use(w, item, name, FW_FIELD_SRC_VPORT, canon, 16, error);
    if (ret < 0)
        return ret;
    vport = rte_cpu_to_le_16(vport);
    return emunic_field_merge(w, item, name, FW_FIELD_SRC_VPORT, &r->value.src_vport,
                       &r->mask.src_vport, &vport, &m, 2, error);
}

static int
conv_port_id(struct emunic_walk *w, const struct rte_flow_item *item,
             const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_port_id *s = spec_, *m = mask_;

    return conv_port(w, item, "PORT_ID", s->id, m->id == UINT32_MAX,
                     m->id == 0, error);
}

static int
conv_ethdev(struct emunic_walk *w, const struct rte_flow_item *item,
            const void *spec_, const void *mask_, struct rte_flow_error *error)
{
    const struct rte_flow_item_ethdev *s = spec_, *m = mask_;

    return conv_port(w, item, item->type == RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT
                     ? "REPRESENTED_PORT" : "PORT_REPRESENTOR", s->port_id,
                     m->port_id == UINT16_MAX, m->port_id == 0, error);
}

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------ */

static const struct rte_flow_item_eth eth_supported = {
    .hdr.dst_addr.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
    .hdr.src_addr.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
    .hdr.ether_type = RTE_BE16(0xffff),
    .has_vlan = 1,
};
static const struct rte_flow_item_vlan vlan_supported = {
    .hdr.vlan_tci = RTE_BE16(0xffff),   /* DEI refused with its own words */
    .hdr.eth_proto = RTE_BE16(0xffff),
    .has_more_vlan = 1,
};
static const struct rte_flow_item_ipv4 ipv4_supported = {
    .hdr = {
        .type_of_service = 0xff,
        .time_to_live = 0xff,
        .next_proto_id = 0xff,
        .src_addr = RTE_BE32(0xffffffff),
        .dst_addr = RTE_BE32(0xffffffff),
        .fragment_offset = RTE_BE16(0x3fff),    /* MF and the offset */
    },
};
static const struct rte_flow_item_ipv6 ipv6_supported = {
    .hdr = {
        .vtc_flow = RTE_BE32(0x0ff00000),
        .proto = 0xff,
        .hop_limits = 0xff,
        .src_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        .dst_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
    },
    .has_frag_ext = 1,
};
/* DPDK 22.11 has no default mask for this item: the offset and M */
static const struct rte_flow_item_ipv6_frag_ext ipv6_frag_ext_default = {
    .hdr.frag_data = RTE_BE16(0xfff9),
};
static const struct rte_flow_item_ipv6_frag_ext ipv6_frag_ext_supported = {
    .hdr.frag_data = RTE_BE16(0xfff9),
};
static const struct rte_flow_item_tcp tcp_supported = {
    .hdr = { .src_port = RTE_BE16(0xffff), .dst_port = RTE_BE16(0xffff) },
};
static const struct rte_flow_item_udp udp_supported = {
    .hdr = { .src_port = RTE_BE16(0xffff), .dst_port = RTE_BE16(0xffff) },
};
static const struct rte_flow_item_icmp icmp_supported = {
    .hdr = { .icmp_type = 0xff, .icmp_code = 0xff },
};
static const struct rte_flow_item_vxlan vxlan_supported = {
    .hdr.vx_vni = RTE_BE32(0xffffff00),
};
static const struct rte_flow_item_port_id port_id_supported = {
    .id = UINT32_MAX,
};
static const struct rte_flow_item_mpls mpls_supported = {
    .label_tc_s = { 0xff, 0xff, 0xff }, .ttl = 0xff,
};
static const struct rte_flow_item_ethdev ethdev_supported = {
    .port_id = UINT16_MAX,
};
static const struct rte_flow_item_tag tag_supported = {
    .data = UINT32_MAX, .index = UINT8_MAX,
};
static const struct rte_flow_item_meta meta_supported = {
    .data = UINT32_MAX,
};

#define ITEM(t, n, p, a, s, c, d) \
    [RTE_FLOW_ITEM_TYPE_ ## t] = { \
        .name = n, .proto = p, .after = a, \
        .size = sizeof(struct rte_flow_item_ ## s), \
        .default_mask = &rte_flow_item_ ## s ## _mask, \
        .supported = &s ## _supported, .supported_desc = d, .convert = c }

static const struct item_desc item_table[] = {
    ITEM(ETH, "ETH", EMUNIC_P_ETH, P(START), eth, conv_eth,
         "dst, src, type and has_vlan"),
    ITEM(VLAN, "VLAN", EMUNIC_P_VLAN, P(ETH), vlan, conv_vlan,
         "tci (vid, pcp), inner_type and has_more_vlan"),
    ITEM(IPV4, "IPV4", EMUNIC_P_IPV4, P(START) | P(ETH) | P(VLAN), ipv4,
         conv_ipv4, "src, dst, proto, tos, ttl and fragment_offset (MF and "
         "the offset, 0x3fff)"),
    ITEM(IPV6, "IPV6", EMUNIC_P_IPV6, P(START) | P(ETH) | P(VLAN), ipv6,
         conv_ipv6, "src, dst, proto, tc, hop limit and has_frag_ext"),
    [RTE_FLOW_ITEM_TYPE_IPV6_FRAG_EXT] = {
        .name = "IPV6_FRAG_EXT", .proto = EMUNIC_P_IPV6_FRAG,
        .after = P(IPV6), .size = sizeof(struct rte_flow_item_ipv6_frag_ext),
        .default_mask = &ipv6_frag_ext_default,
        .supported = &ipv6_frag_ext_supported,
        .supported_desc = "frag_data's offset and M flag (0xfff9)",
        .convert = conv_ipv6_frag_ext },
    ITEM(TCP, "TCP", EMUNIC_P_TCP, P(IPV4) | P(IPV6), tcp, conv_tcp,
         "src and dst ports"),
    ITEM(UDP, "UDP", EMUNIC_P_UDP, P(IPV4) | P(IPV6), udp, conv_udp,
         "src and dst ports"),
    ITEM(ICMP, "ICMP", EMUNIC_P_ICMP, P(IPV4), icmp, conv_icmp,
         "type and code"),
    ITEM(VXLAN, "VXLAN", EMUNIC_P_VXLAN, P(UDP), vxlan, conv_vxlan, "vni"),
    ITEM(MPLS, "MPLS", EMUNIC_P_MPLS, P(ETH) | P(VLAN), mpls,
         emunic_conv_mpls, "label, tc, s (bottom of stack) and ttl"),
    ITEM(PORT_ID, "PORT_ID", -1, 0, port_id, conv_port_id, "id"),
    ITEM(REPRESENTED_PORT, "REPRESENTED_PORT", -1, 0, ethdev, conv_ethdev,
         "port_id"),
    ITEM(PORT_REPRESENTOR, "PORT_REPRESENTOR", -1, 0, ethdev, conv_ethdev,
         "port_id"),
    /* the card's registers, not headers: anywhere in the pattern */
    /* up to index only: the 3 padding bytes after it are no field, and an
     * application's mask built on the stack need not zero them */
    [RTE_FLOW_ITEM_TYPE_TAG] = {
        .name = "TAG", .proto = -1, .after = 0,
        .size = offsetof(struct rte_flow_item_tag, index) + 1,
        .default_mask = &rte_flow_item_tag_mask,
        .supported = &tag_supported, .supported_desc = "data and index",
        .convert = emunic_conv_tag },
    ITEM(META, "META", -1, 0, meta, emunic_conv_meta, "data"),
};

static const char *const proto_name[] = {
    [EMUNIC_P_START] = "the start of the pattern",
    [EMUNIC_P_ETH] = "ETH", [EMUNIC_P_VLAN] = "VLAN",
    [EMUNIC_P_IPV4] = "IPV4", [EMUNIC_P_IPV6] = "IPV6",
    [EMUNIC_P_TCP] = "TCP", [EMUNIC_P_UDP] = "UDP",
    [EMUNIC_P_ICMP] = "ICMP", [EMUNIC_P_VXLAN] = "VXLAN",
    [EMUNIC_P_IPV6_FRAG] = "IPV6_FRAG_EXT", [EMUNIC_P_MPLS] = "MPLS",
};

int
emunic_item_convert(struct emunic_walk *w, const struct rte_flow_item *item,
                    struct rte_flow_error *error)
{
    const struct item_desc *d = NULL;
    const uint8_t *spec, *mask;
    int ret;

    if (item->type == RTE_FLOW_ITEM_TYPE_VOID)
        return 0;
    if ((unsigned)item->type < RTE_DIM(item_table))
        d = &item_table[item->type];
    if (d == NULL || d->name == NULL)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "item type %d is not supported by net_emunic "
                               "(see docs/pmd.md for the list)",
                               (int)item->type);
    if (w->last_proto == EMUNIC_P_VXLAN && d->proto >= 0)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s after VXLAN: inner headers cannot be "
                               "matched in the same rule; VXLAN_DECAP and "
                               "JUMP to a group that matches them", d->name);
    if (w->last_proto == EMUNIC_P_IPV6_FRAG && d->proto >= 0)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s after IPV6_FRAG_EXT: the device does not "
                               "parse past the IPv6 Fragment header, so the "
                               "L4 header of a fragment cannot be matched",
                               d->name);
    if (w->last_proto == EMUNIC_P_MPLS && d->proto >= 0)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s after MPLS: the device reads the top "
                               "label stack entry and nothing under the "
                               "stack; POP_MPLS and JUMP to a group that "
                               "matches the inner header", d->name);
    if (d->proto >= 0 && !(d->after & (1u << w->last_proto)))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s cannot follow %s: the device matches one "
                               "header stack eth / vlan / ipv4|ipv6 / "
                               "tcp|udp|icmp / vxlan, or eth / vlan / mpls",
                               d->name,
                               proto_name[w->last_proto]);
    if (item->spec == NULL && item->last != NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_LAST,
                               item, "%s: 'last' without 'spec'", d->name);
    spec = item->spec;
    mask = item->mask != NULL ? item->mask : d->default_mask;
    if (spec == NULL) {
        /* "any packet with this header": no field, only prerequisites */
        spec = zero_item;
        mask = zero_item;
    }
    ret = emunic_item_check_mask(item, d->name, mask, d->supported, d->size,
                                 d->supported_desc, error);
    if (ret == 0)
        ret = emunic_item_check_last(item, d->name, spec, mask, d->size,
                                     error);
    if (ret < 0)
        return ret;
    ret = d->convert(w, item, spec, mask, error);
    if (ret < 0)
        return ret;
    if (d->proto >= 0)
        w->last_proto = d->proto;
    return 0;
}

/*
 * A rule without a port item sees only traffic entering the eSwitch from
 * the port it was created on: an ingress rule, its own port's traffic; a
 * transfer rule on a representor, its VF's frames; on the PF port, the
 * wire's. That is what mainstream cards do and what Open vSwitch relies on
 * (it creates each megaflow's rule on the ingress port and writes no port
 * item): a rule that matched every vport would let one port's policy act
 * on another port's frames. "Any port" is said with a zero-mask port item.
 */
int
emunic_items_finish(struct emunic_walk *w, const struct rte_flow_item *items,
                    struct rte_flow_error *error)
{
    struct fw_rule_add_in *r = &w->x->rule;
    uint16_t vport = rte_cpu_to_le_16(w->ctx->port_vport), m = 0xffff;

    (void)items;
    if (w->has_port_item)
        return 0;
    if (!(w->ctx->caps->match_fields & FW_FIELD_BIT(FW_FIELD_SRC_VPORT)))
        return emunic_flow_err(error, ENOTSUP,
                               w->attr->transfer ?
                               RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER :
                               RTE_FLOW_ERROR_TYPE_ATTR_INGRESS, w->attr,
                               "a rule without a port item is confined to "
                               "the port it is created on by matching the "
                               "source port, which the device (profile "
                               "'%s') cannot match; %s",
                               emunic_profile(w->ctx->caps),
                               w->attr->transfer ?
                               "add a port item with a zero mask to match "
                               "any port" : "use transfer");
    r->value.src_vport = vport;
    r->mask.src_vport = m;
    return 0;
}

/* The mask shape of one item against what its type can match (the check
 * every converter starts with), for template checks. */
int
emunic_item_mask_check(const struct rte_flow_item *item,
                       struct rte_flow_error *error)
{
    const struct item_desc *d = &item_table[item->type];

    return emunic_item_check_mask(item, d->name, item->mask, d->supported,
                                  d->size, d->supported_desc, error);
}
