/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Switch flow -> rte_flow transfer rule. See snicd_xlate.h for the mapping;
 * the match half lives here and calls forward to the action half
 * (snicd_xlate_act.c); both build with snicd_xlate_build.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "snicd_xlate.h"
#include "snicd_xlate_priv.h"

static bool
is_zero(const void *p, size_t size)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < size; i++)
        if (b[i])
            return false;
    return true;
}

static bool
is_tpid(uint16_t type)
{
    return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/* The match fields by name, for "match on X not expressible". */
#define FIELD(f, n) { n, offsetof(struct flow_key, f), \
                      sizeof(((struct flow_key *)0)->f) }
static const struct {
    const char *name;
    size_t ofs, size;
} key_fields[] = {
    FIELD(tun_id, "tun_id"), FIELD(tun_src, "tun_src"),
    FIELD(tun_dst, "tun_dst"), FIELD(in_port, "in_port"),
    FIELD(nw_src, "nw_src"), FIELD(nw_dst, "nw_dst"),
    FIELD(ipv6_src, "ipv6_src"), FIELD(ipv6_dst, "ipv6_dst"),
    FIELD(dl_dst, "dl_dst"), FIELD(dl_src, "dl_src"),
    FIELD(dl_type, "dl_type"), FIELD(vlan_tci, "vlan_tci"),
    FIELD(tp_src, "tp_src"), FIELD(tp_dst, "tp_dst"),
    FIELD(nw_proto, "nw_proto"), FIELD(nw_tos, "nw_tos"),
    FIELD(nw_ttl, "nw_ttl"),
    FIELD(tcp_flags, "tcp_flags (ns or a reserved bit: rte_flow's TCP item "
          "carries the 8 flags cwr..fin)"),
    FIELD(mpls_lse, "mpls_label/mpls_tc/mpls_bos/mpls_ttl without an exact "
          "MPLS dl_type"),
    FIELD(packet_type, "packet_type (only software's decap makes a packet "
          "without an Ethernet header)"),
};

/* The registers the card keeps per packet (snicd_xlate.h): regN as TAG
 * index N, pkt_mark as META, each matched under its mask. */
static int
xl_regs(struct snicd_xl *s)
{
    struct snicd_xlate *x = s->x;
    struct flow_meta *m = &s->m.meta;
    const struct flow_meta *v = &s->v->meta;
    char why[80];

    for (unsigned i = 0; i < FLOW_N_REGS; i++) {
        if (m->regs[i] == 0)
            continue;
        if (i >= s->ctx->n_tags)
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                                   "match on reg%u not offloaded (%s)", i,
                                   snicd_xl_tags_why(s->ctx, why,
                                                     sizeof(why)));
        x->tag_spec[i].data = v->regs[i] & m->regs[i];
        x->tag_spec[i].index = (uint8_t)i;
        x->tag_mask[i].data = m->regs[i];
        x->tag_mask[i].index = 0xff;
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_TAG, &x->tag_spec[i],
                      &x->tag_mask[i]);
        m->regs[i] = 0;
    }
    if (m->pkt_mark != 0) {
        x->meta_spec.data = v->pkt_mark & m->pkt_mark;
        x->meta_mask.data = m->pkt_mark;
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_META, &x->meta_spec,
                      &x->meta_mask);
        m->pkt_mark = 0;
    }
    return 0;
}

/* Pipeline metadata the card keeps no register for: software keeps such
 * flows (named by field). */
static int
xl_meta(struct snicd_xl *s)
{
    const struct flow_meta *m = &s->m.meta;
    char why[80];
    int ret = xl_regs(s);

    if (ret < 0)
        return ret;
    if (m->metadata != 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "match on metadata not offloaded (no card "
                               "register left for it: %s, and META is "
                               "pkt_mark)", snicd_xl_tags_why(s->ctx, why,
                                                              sizeof(why)));
    if (m->conj_id != 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "conj_id flow not offloaded (its clause "
                               "flows are counted in software)");
    if (m->ct_state != 0 || m->ct_zone != 0 || m->ct_mark != 0
        || m->ct_label[0] != 0 || m->ct_label[1] != 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "match on ct_state/ct_zone/ct_mark/ct_label "
                               "not offloaded (the connection tracker "
                               "runs in software: the card has no "
                               "rte_flow CONNTRACK)");
    if (m->actset_output != 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "match on actset_output not offloaded (the "
                               "action set lives in software only)");
    if (m->tun_md_present != 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "match on tun_metadata not offloaded (the "
                               "options live in software only: the card "
                               "has no register for them, and snic's "
                               "VXLAN tunnels carry none)");
    return 0;
}

/* A rule with no port item matches, on mainstream cards and on
 * net_emunic, only traffic entering the eSwitch from the port it is created
 * on (here the proxy port: the wire). A flow that matches any in_port says
 * so with a port item whose mask is zero. */
static void
xl_any_port(struct snicd_xlate *x)
{
    x->port_spec.port_id = 0;
    x->port_mask.port_id = 0;
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, &x->port_spec,
                  &x->port_mask);
}

static int
xl_in_port(struct snicd_xl *s)
{
    struct snicd_xlate *x = s->x;
    const struct snicd_port_info *p;
    char nb[16];

    if (s->m.in_port == 0 && s->ctx->decap != NULL)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "a decap context's flow must match in_port="
                               "its tunnel port");
    if (s->m.in_port == 0) {
        xl_any_port(x);
        return 0;
    }
    if (s->m.in_port != UINT32_MAX)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "match on in_port with mask %#x not "
                               "expressible (a rule matches one source port "
                               "exactly)", s->m.in_port);
    p = snicd_xlate_port(s->ctx->ports, s->ctx->n_ports,
                         s->v->in_port);
    if (p == NULL)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "in_port %u is not a port of this switch",
                               s->v->in_port);
    if (p->is_tunnel && s->ctx->decap != NULL &&
        p->ofport == s->ctx->decap->tun_port) {
        /* only the context's pop rule leads to its group, which it
         * enters from the underlay port: the group needs no port match */
        xl_any_port(x);
        s->in_port_exact = true;
        s->in_port = p->ofport;
        s->m.in_port = 0;
        return 0;
    }
    if (p->is_tunnel)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "in_port=%s outside a decap context (hardware "
                               "decapsulates for flows of table 0 with an "
                               "exact tun_id)", snicd_xl_port_name(s->ctx,
                               p->ofport, nb, sizeof(nb)));
    if (s->ctx->decap != NULL)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "a decap context's flow must match in_port="
                               "its tunnel port");
    if (p->is_patch)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "in_port=%s is a patch port: its packets "
                               "come from the software pipeline only",
                               p->name);
    if (p->ethdev == UINT16_MAX)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "in_port=%s has no ethdev port", p->name);
    x->port_spec.port_id = p->ethdev;
    x->port_mask.port_id = UINT16_MAX;
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, &x->port_spec,
             &x->port_mask);
    s->in_port_exact = true;
    s->in_port = p->ofport;
    s->m.in_port = 0;
    return 0;
}

/* OpenFlow's vlan_tci carries "tagged" in the CFI bit; rte_flow says it
 * with the presence of a VLAN item (or ETH has_vlan), and its TCI mask
 * must leave the DEI bit alone. */
static int
xl_vlan(struct snicd_xl *s, bool *vlan_item, bool *no_tag)
{
    uint16_t tm = ntohs(s->m.vlan_tci), tv = ntohs(s->v->vlan_tci);
    struct snicd_xlate *x = s->x;

    *vlan_item = false;
    *no_tag = false;
    if (tm == 0)
        return 0;
    if ((tm & FLOW_VLAN_CFI) && !(tv & FLOW_VLAN_CFI)) {
        if (tv != 0)
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                                   "vlan_tci=%#06x/%#06x matches no packet "
                                   "(an untagged packet has TCI 0)", tv, tm);
        *no_tag = true;
    } else if (!(tm & FLOW_VLAN_CFI) && tv == 0) {
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "vlan_tci=0/%#06x without the CFI bit matches "
                               "tagged and untagged packets alike: not "
                               "expressible (add 0x1000 to the mask)", tm);
    } else {
        *vlan_item = true;
        x->vlan_spec.hdr.vlan_tci = htons(tv & (uint16_t)~FLOW_VLAN_CFI);
        x->vlan_mask.hdr.vlan_tci = htons(tm & (uint16_t)~FLOW_VLAN_CFI);
    }
    s->m.vlan_tci = 0;
    return 0;
}

static void
xl_ipv4(struct snicd_xl *s)
{
    struct snicd_xlate *x = s->x;
    struct rte_ipv4_hdr *v = &x->ipv4_spec.hdr, *m = &x->ipv4_mask.hdr;

    m->src_addr = s->m.nw_src;
    v->src_addr = s->v->nw_src & s->m.nw_src;
    m->dst_addr = s->m.nw_dst;
    v->dst_addr = s->v->nw_dst & s->m.nw_dst;
    m->next_proto_id = s->m.nw_proto;
    v->next_proto_id = s->v->nw_proto & s->m.nw_proto;
    m->type_of_service = s->m.nw_tos;
    v->type_of_service = s->v->nw_tos & s->m.nw_tos;
    m->time_to_live = s->m.nw_ttl;
    v->time_to_live = s->v->nw_ttl & s->m.nw_ttl;
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_IPV4, &x->ipv4_spec, &x->ipv4_mask);
    s->m.nw_src = s->m.nw_dst = 0;
    s->m.nw_proto = s->m.nw_tos = s->m.nw_ttl = 0;
}

static void
xl_ipv6(struct snicd_xl *s)
{
    struct snicd_xlate *x = s->x;
    struct rte_ipv6_hdr *v = &x->ipv6_spec.hdr, *m = &x->ipv6_mask.hdr;

    for (unsigned i = 0; i < 16; i++) {
        m->src_addr[i] = s->m.ipv6_src[i];
        v->src_addr[i] = s->v->ipv6_src[i] & s->m.ipv6_src[i];
        m->dst_addr[i] = s->m.ipv6_dst[i];
        v->dst_addr[i] = s->v->ipv6_dst[i] & s->m.ipv6_dst[i];
    }
    m->proto = s->m.nw_proto;
    v->proto = s->v->nw_proto & s->m.nw_proto;
    /* the traffic class sits in bits 20..27 of version/tc/flow label */
    m->vtc_flow = htonl((uint32_t)s->m.nw_tos << 20);
    v->vtc_flow = htonl((uint32_t)(s->v->nw_tos & s->m.nw_tos) << 20);
    m->hop_limits = s->m.nw_ttl;
    v->hop_limits = s->v->nw_ttl & s->m.nw_ttl;
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_IPV6, &x->ipv6_spec, &x->ipv6_mask);
    memset(s->m.ipv6_src, 0, 16);
    memset(s->m.ipv6_dst, 0, 16);
    s->m.nw_proto = s->m.nw_tos = s->m.nw_ttl = 0;
}

/* TCP / UDP / SCTP ports, ICMP type and code: only when the protocol is
 * matched exactly (the IP item already carries it otherwise). */
static void
xl_l4(struct snicd_xl *s, bool ip4, uint8_t proto)
{
    struct snicd_xlate *x = s->x;
    flow_be16 sv = s->v->tp_src & s->m.tp_src, dv = s->v->tp_dst & s->m.tp_dst;

    if (s->m.tp_src == 0 && s->m.tp_dst == 0 && s->m.tcp_flags == 0)
        return;
    switch (proto) {
    case 6:
        x->tcp_spec.hdr.src_port = sv;
        x->tcp_mask.hdr.src_port = s->m.tp_src;
        x->tcp_spec.hdr.dst_port = dv;
        x->tcp_mask.hdr.dst_port = s->m.tp_dst;
        /* the item's tcp_flags byte is cwr..fin: exact for those 8 bits;
         * a mask over ns or the reserved bits is left over, refused */
        if ((ntohs(s->m.tcp_flags) & 0x0f00) == 0) {
            x->tcp_spec.hdr.tcp_flags = (uint8_t)ntohs(s->v->tcp_flags
                                                       & s->m.tcp_flags);
            x->tcp_mask.hdr.tcp_flags = (uint8_t)ntohs(s->m.tcp_flags);
            s->m.tcp_flags = 0;
        }
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_TCP, &x->tcp_spec, &x->tcp_mask);
        break;
    case 17:
        x->udp_spec.hdr.src_port = sv;
        x->udp_mask.hdr.src_port = s->m.tp_src;
        x->udp_spec.hdr.dst_port = dv;
        x->udp_mask.hdr.dst_port = s->m.tp_dst;
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_UDP, &x->udp_spec, &x->udp_mask);
        break;
    case 132:
        x->sctp_spec.hdr.src_port = sv;
        x->sctp_mask.hdr.src_port = s->m.tp_src;
        x->sctp_spec.hdr.dst_port = dv;
        x->sctp_mask.hdr.dst_port = s->m.tp_dst;
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_SCTP, &x->sctp_spec,
                      &x->sctp_mask);
        break;
    case 1:
        /* type and code are 8 bits: the key's high byte is always 0, so a
         * mask over it says nothing unless the value wants it non-zero */
        if (!ip4 || ntohs(sv) > 0xff || ntohs(dv) > 0xff)
            return;     /* left over: refused by name */
        x->icmp_spec.hdr.icmp_type = (uint8_t)ntohs(sv);
        x->icmp_mask.hdr.icmp_type = (uint8_t)ntohs(s->m.tp_src);
        x->icmp_spec.hdr.icmp_code = (uint8_t)ntohs(dv);
        x->icmp_mask.hdr.icmp_code = (uint8_t)ntohs(s->m.tp_dst);
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_ICMP, &x->icmp_spec,
                      &x->icmp_mask);
        break;
    case 58:
        if (ip4 || ntohs(sv) > 0xff || ntohs(dv) > 0xff)
            return;
        x->icmp6_spec.type = (uint8_t)ntohs(sv);
        x->icmp6_mask.type = (uint8_t)ntohs(s->m.tp_src);
        x->icmp6_spec.code = (uint8_t)ntohs(dv);
        x->icmp6_mask.code = (uint8_t)ntohs(s->m.tp_dst);
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_ICMP6, &x->icmp6_spec,
                      &x->icmp6_mask);
        break;
    default:
        return;
    }
    s->m.tp_src = s->m.tp_dst = 0;
}

/* The tunnel fields: a decap context pins them (its frames all carry its
 * VNI and outer addresses), any other rule sees only frames without
 * tunnel metadata (see snicd_xlate.h). Either way the match is decided
 * statically: consumed when the known value satisfies it, else the flow
 * matches nothing the rule would see. */
static int
xl_tunnel(struct snicd_xl *s)
{
    const struct snicd_xlate_decap *d = s->ctx->decap;
    flow_be64 id = d != NULL ? d->tun_id : 0;
    flow_be32 src = d != NULL ? d->tun_src : 0;
    flow_be32 dst = d != NULL ? d->tun_dst : 0;
    const char *bad = NULL;

    if ((s->v->tun_id & s->m.tun_id) != (id & s->m.tun_id))
        bad = "tun_id";
    else if ((s->v->tun_src & s->m.tun_src) != (src & s->m.tun_src))
        bad = "tun_src";
    else if ((s->v->tun_dst & s->m.tun_dst) != (dst & s->m.tun_dst))
        bad = "tun_dst";
    if (bad != NULL && d != NULL)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "match on %s excludes the frames of its decap "
                               "context", bad);
    if (bad != NULL)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "match on %s needs decapsulated frames: only "
                               "a flow of table 0 with in_port=<tunnel port> "
                               "and an exact tun_id is offloaded with "
                               "hardware decap", bad);
    s->m.tun_id = 0;
    s->m.tun_src = s->m.tun_dst = 0;
    return 0;
}

/* The top label stack entry (firmware ABI 1.10), under the exact MPLS
 * dl_type the flow language requires for it: the MPLS item's four bytes
 * are the entry as on the wire, like the key's. The card reads it behind
 * the outer tag, as the software datapath does (docs/firmware-abi.md
 * 6.5); a card without the field refuses the rule at validate and the
 * flow stays in software with its reason. */
static void
xl_mpls(struct snicd_xl *s)
{
    struct snicd_xlate *x = s->x;
    flow_be32 v = s->v->mpls_lse & s->m.mpls_lse, m = s->m.mpls_lse;

    if (m == 0)
        return;     /* the EtherType alone says MPLS */
    memcpy(x->mpls_spec.label_tc_s, &v, 3);
    x->mpls_spec.ttl = ((const uint8_t *)&v)[3];
    memcpy(x->mpls_mask.label_tc_s, &m, 3);
    x->mpls_mask.ttl = ((const uint8_t *)&m)[3];
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_MPLS, &x->mpls_spec, &x->mpls_mask);
    s->m.mpls_lse = 0;
}

/* Neighbor Discovery (nd_target, nd_sll, nd_tll, in key bytes they share
 * with IPv4, MPLS and TCP fields: struct flow_key). rte_flow has items
 * for them (ICMP6_ND_NS / ICMP6_ND_NA, ICMP6_ND_OPT_SLA_ETH / TLA_ETH),
 * but the card's firmware ABI has no such match field (struct fw_match):
 * software keeps these flows, named by field. */
static int
xl_nd(struct snicd_xl *s)
{
    static const uint8_t zero[16];
    unsigned type = flow_match_nd_type(&s->f->match);

    if (type == 0)
        return 0;
    if (memcmp(s->m.nd_target, zero, 16) != 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "match on nd_target not offloaded (the "
                               "card's firmware ABI has no Neighbor "
                               "Discovery match field)");
    if (memcmp(s->m.nd_lla, zero, 6) != 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                               "match on %s not offloaded (the card's "
                               "firmware ABI has no Neighbor Discovery "
                               "match field)",
                               type == 135 ? "nd_sll" : "nd_tll");
    return 0;
}

static int
xl_match(struct snicd_xl *s)
{
    struct snicd_xlate *x = s->x;
    uint16_t dt = ntohs(s->v->dl_type);
    bool dt_exact = s->m.dl_type == 0xffff;
    bool ip4 = dt_exact && dt == 0x0800, ip6 = dt_exact && dt == 0x86dd;
    bool vlan_item, no_tag, eth_type = false;
    uint8_t proto = s->v->nw_proto;
    bool proto_exact = s->m.nw_proto == 0xff;
    int ret;

    ret = xl_tunnel(s);
    if (ret < 0)
        return ret;
    ret = xl_nd(s);
    if (ret < 0)
        return ret;
    ret = xl_in_port(s);
    if (ret < 0)
        return ret;
    ret = xl_vlan(s, &vlan_item, &no_tag);
    if (ret < 0)
        return ret;
    if (s->m.dl_type != 0 && !ip4 && !ip6) {
        if (dt_exact && dt == 0x0806 &&
            (s->m.nw_src || s->m.nw_dst || s->m.nw_proto))
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                                   "match on ARP fields (arp_spa, arp_tpa, "
                                   "arp_op) not expressible");
        if (is_tpid(dt & ntohs(s->m.dl_type)))
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                                   "dl_type=%#06x (an inner VLAN tag) not "
                                   "expressible", dt);
        if (vlan_item) {
            x->vlan_spec.hdr.eth_proto = s->v->dl_type;
            x->vlan_mask.hdr.eth_proto = s->m.dl_type;
        } else {
            /* the EtherType after any tag, as OpenFlow's dl_type */
            x->eth_spec.hdr.ether_type = s->v->dl_type;
            x->eth_mask.hdr.ether_type = s->m.dl_type;
            eth_type = true;
        }
        s->m.dl_type = 0;
    }
    if (!is_zero(s->m.dl_src, 6) || !is_zero(s->m.dl_dst, 6) || eth_type ||
        vlan_item || no_tag) {
        for (unsigned i = 0; i < 6; i++) {
            x->eth_mask.hdr.dst_addr.addr_bytes[i] = s->m.dl_dst[i];
            x->eth_spec.hdr.dst_addr.addr_bytes[i] =
                s->v->dl_dst[i] & s->m.dl_dst[i];
            x->eth_mask.hdr.src_addr.addr_bytes[i] = s->m.dl_src[i];
            x->eth_spec.hdr.src_addr.addr_bytes[i] =
                s->v->dl_src[i] & s->m.dl_src[i];
        }
        if (no_tag) {
            x->eth_spec.has_vlan = 0;
            x->eth_mask.has_vlan = 1;
        }
        memset(s->m.dl_src, 0, 6);
        memset(s->m.dl_dst, 0, 6);
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_ETH, &x->eth_spec, &x->eth_mask);
    }
    if (vlan_item)
        snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_VLAN, &x->vlan_spec,
                      &x->vlan_mask);
    if (dt_exact && (dt == 0x8847 || dt == 0x8848))
        xl_mpls(s);
    if (ip4 || ip6) {
        if (ip4)
            xl_ipv4(s);
        else
            xl_ipv6(s);
        s->m.dl_type = 0;
        if (proto_exact)
            xl_l4(s, ip4, proto);
    }
    for (size_t i = 0; i < sizeof(key_fields) / sizeof(key_fields[0]); i++)
        if (!is_zero((const uint8_t *)&s->m + key_fields[i].ofs,
                     key_fields[i].size))
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                                   "match on %s not expressible",
                                   key_fields[i].name);
    return xl_meta(s);
}

int
snicd_xlate_flow(const struct flow *f, const struct snicd_xlate_ctx *ctx,
                 struct snicd_xlate *x)
{
    struct snicd_xl s = {
        .f = f, .ctx = ctx, .x = x, .v = &f->match.value,
        .m = f->match.mask,
    };
    int ret;

    snicd_xl_clear(x);
    x->attr.transfer = 1;
    x->attr.group = ctx->decap != NULL ? ctx->decap->group : f->table_id;
    x->attr.priority = ctx->priority;
    ret = xl_match(&s);
    if (ret == 0)
        ret = ctx->mode == SNICD_XLATE_PARTIAL ? snicd_xl_partial(&s) :
              snicd_xl_actions(&s);
    snicd_xl_end(x);
    if (ret == 0) {
        x->refusal = SNICD_XLATE_OK;
        x->reason[0] = '\0';
    }
    return ret;
}

/* ------------------------------------------------------------------------
 * Shape
 * ------------------------------------------------------------------------ */

static size_t
item_size(enum rte_flow_item_type t)
{
    switch (t) {
    case RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT:
        return sizeof(struct rte_flow_item_ethdev);
    case RTE_FLOW_ITEM_TYPE_ETH: return sizeof(struct rte_flow_item_eth);
    case RTE_FLOW_ITEM_TYPE_VLAN: return sizeof(struct rte_flow_item_vlan);
    case RTE_FLOW_ITEM_TYPE_IPV4: return sizeof(struct rte_flow_item_ipv4);
    case RTE_FLOW_ITEM_TYPE_IPV6: return sizeof(struct rte_flow_item_ipv6);
    case RTE_FLOW_ITEM_TYPE_TCP: return sizeof(struct rte_flow_item_tcp);
    case RTE_FLOW_ITEM_TYPE_UDP: return sizeof(struct rte_flow_item_udp);
    case RTE_FLOW_ITEM_TYPE_SCTP: return sizeof(struct rte_flow_item_sctp);
    case RTE_FLOW_ITEM_TYPE_ICMP: return sizeof(struct rte_flow_item_icmp);
    case RTE_FLOW_ITEM_TYPE_ICMP6: return sizeof(struct rte_flow_item_icmp6);
    case RTE_FLOW_ITEM_TYPE_VXLAN: return sizeof(struct rte_flow_item_vxlan);
    case RTE_FLOW_ITEM_TYPE_MPLS: return sizeof(struct rte_flow_item_mpls);
    case RTE_FLOW_ITEM_TYPE_TAG: return sizeof(struct rte_flow_item_tag);
    case RTE_FLOW_ITEM_TYPE_META: return sizeof(struct rte_flow_item_meta);
    default: return 0;
    }
}

struct shape_buf {
    uint8_t *p;
    size_t size, len;
    bool overflow;
};

static void
put(struct shape_buf *b, const void *data, size_t n)
{
    if (b->len + n > b->size) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void
put_u32(struct shape_buf *b, uint32_t v)
{
    put(b, &v, sizeof(v));
}

int
snicd_xlate_shape(const struct snicd_xlate *x, uint8_t *buf, size_t size)
{
    struct shape_buf b = { .p = buf, .size = size };

    put_u32(&b, x->attr.group);
    put_u32(&b, x->attr.priority);
    put_u32(&b, x->attr.transfer);
    for (unsigned i = 0; i < x->n_items; i++) {
        const struct rte_flow_item *it = &x->items[i];

        put_u32(&b, (uint32_t)it->type);
        if (it->mask != NULL)
            put(&b, it->mask, item_size(it->type));
        /* which port a rule may match on is the device's business too,
         * and which TAG register (the device has so many) */
        if (it->type == RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT)
            put(&b, it->spec, sizeof(struct rte_flow_item_ethdev));
        if (it->type == RTE_FLOW_ITEM_TYPE_TAG)
            put(&b, &((const struct rte_flow_item_tag *)it->spec)->index, 1);
    }
    put_u32(&b, 0xffffffffu);
    for (unsigned i = 0; i < x->n_actions; i++) {
        const struct rte_flow_action *a = &x->actions[i];

        put_u32(&b, (uint32_t)a->type);
        switch (a->type) {
        case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
        case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
            put(&b, a->conf, sizeof(struct rte_flow_action_ethdev));
            break;
        case RTE_FLOW_ACTION_TYPE_JUMP:
            put(&b, a->conf, sizeof(struct rte_flow_action_jump));
            break;
        case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN:
            put(&b, a->conf, sizeof(struct rte_flow_action_of_push_vlan));
            break;
        case RTE_FLOW_ACTION_TYPE_SET_TAG:
            put(&b, &((const struct rte_flow_action_set_tag *)a->conf)->index,
                1);
            break;
        default:
            break;
        }
    }
    return b.overflow ? -ENOSPC : (int)b.len;
}
