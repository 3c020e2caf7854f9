/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow rules as dpdk-testpmd commands (see snicd_testpmd.h).
 *
 * Items are described by a field table: testpmd's token for the field, its
 * offset in the item structure and how to print it. A field is written as
 * "NAME spec VALUE NAME mask MASK" when its mask is not zero, which testpmd
 * reads back bit for bit (the "is" form would widen a partial mask).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "snicd_testpmd.h"

struct out {
    char *buf;
    size_t size;
    size_t len;         /* what the whole text needs */
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
    size_t room = o->len < o->size ? o->size - o->len : 0;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

enum fkind {
    FK_BE,          /* big-endian unsigned, 1, 2 or 4 bytes */
    FK_HOST,        /* host-order unsigned, 1, 2 or 4 bytes */
    FK_MAC,
    FK_IPV4,
    FK_IPV6,
    FK_VNI,         /* 3 bytes, big-endian */
};

struct field {
    const char *name;
    size_t off, size;
    enum fkind kind;
};

#define FLD(st, n, member, k) \
    { n, offsetof(struct rte_flow_item_ ## st, member), \
      sizeof(((struct rte_flow_item_ ## st *)0)->member), k }

static const struct field eth_fields[] = {
    FLD(eth, "dst", hdr.dst_addr, FK_MAC),
    FLD(eth, "src", hdr.src_addr, FK_MAC),
    FLD(eth, "type", hdr.ether_type, FK_BE),
};
static const struct field vlan_fields[] = {
    FLD(vlan, "tci", hdr.vlan_tci, FK_BE),
    FLD(vlan, "inner_type", hdr.eth_proto, FK_BE),
};
static const struct field ipv4_fields[] = {
    FLD(ipv4, "tos", hdr.type_of_service, FK_BE),
    FLD(ipv4, "fragment_offset", hdr.fragment_offset, FK_BE),
    FLD(ipv4, "ttl", hdr.time_to_live, FK_BE),
    FLD(ipv4, "proto", hdr.next_proto_id, FK_BE),
    FLD(ipv4, "src", hdr.src_addr, FK_IPV4),
    FLD(ipv4, "dst", hdr.dst_addr, FK_IPV4),
};
static const struct field ipv6_fields[] = {
    FLD(ipv6, "proto", hdr.proto, FK_BE),
    FLD(ipv6, "hop", hdr.hop_limits, FK_BE),
    FLD(ipv6, "src", hdr.src_addr, FK_IPV6),
    FLD(ipv6, "dst", hdr.dst_addr, FK_IPV6),
};
static const struct field tcp_fields[] = {
    FLD(tcp, "src", hdr.src_port, FK_BE),
    FLD(tcp, "dst", hdr.dst_port, FK_BE),
    FLD(tcp, "flags", hdr.tcp_flags, FK_BE),
};
static const struct field udp_fields[] = {
    FLD(udp, "src", hdr.src_port, FK_BE),
    FLD(udp, "dst", hdr.dst_port, FK_BE),
};
static const struct field sctp_fields[] = {
    FLD(sctp, "src", hdr.src_port, FK_BE),
    FLD(sctp, "dst", hdr.dst_port, FK_BE),
};
static const struct field icmp_fields[] = {
    FLD(icmp, "type", hdr.icmp_type, FK_BE),
    FLD(icmp, "code", hdr.icmp_code, FK_BE),
};
static const struct field icmp6_fields[] = {
    FLD(icmp6, "type", type, FK_BE),
    FLD(icmp6, "code", code, FK_BE),
};
static const struct field vxlan_fields[] = {
    FLD(vxlan, "vni", vni, FK_VNI),
};
static const struct field tag_fields[] = {
    FLD(tag, "data", data, FK_HOST),
};
static const struct field meta_fields[] = {
    FLD(meta, "data", data, FK_HOST),
};
static const struct field ethdev_fields[] = {
    FLD(ethdev, "ethdev_port_id", port_id, FK_HOST),
};
static const struct field representor_fields[] = {
    FLD(ethdev, "port_id", port_id, FK_HOST),
};
static const struct field port_id_fields[] = {
    FLD(port_id, "id", id, FK_HOST),
};

struct item_fmt {
    const char *name;
    const struct field *fields;
    size_t n_fields;
    const void *default_mask;
};

#define IFMT(t, n, f, m) \
    [RTE_FLOW_ITEM_TYPE_ ## t] = { n, f, sizeof(f) / sizeof(f[0]), \
                                   &rte_flow_item_ ## m ## _mask }

static const struct item_fmt item_fmts[] = {
    IFMT(ETH, "eth", eth_fields, eth),
    IFMT(VLAN, "vlan", vlan_fields, vlan),
    IFMT(IPV4, "ipv4", ipv4_fields, ipv4),
    IFMT(IPV6, "ipv6", ipv6_fields, ipv6),
    IFMT(TCP, "tcp", tcp_fields, tcp),
    IFMT(UDP, "udp", udp_fields, udp),
    IFMT(SCTP, "sctp", sctp_fields, sctp),
    IFMT(ICMP, "icmp", icmp_fields, icmp),
    IFMT(ICMP6, "icmp6", icmp6_fields, icmp6),
    IFMT(VXLAN, "vxlan", vxlan_fields, vxlan),
    /* label, tc and s share label_tc_s: put_bits() writes them; testpmd
     * 22.11 has no token for the TTL byte */
    [RTE_FLOW_ITEM_TYPE_MPLS] = { "mpls", NULL, 0, &rte_flow_item_mpls_mask },
    IFMT(TAG, "tag", tag_fields, tag),
    IFMT(META, "meta", meta_fields, meta),
    IFMT(REPRESENTED_PORT, "represented_port", ethdev_fields, ethdev),
    IFMT(PORT_REPRESENTOR, "port_representor", representor_fields, ethdev),
    IFMT(PORT_ID, "port_id", port_id_fields, port_id),
};

static bool
all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static uint32_t
load_uint(const uint8_t *p, size_t n, bool big_endian)
{
    uint32_t v = 0;

    if (big_endian) {
        for (size_t i = 0; i < n; i++)
            v = v << 8 | p[i];
        return v;
    }
    if (n == 2) {
        uint16_t h;

        memcpy(&h, p, 2);
        return h;
    }
    if (n == 4)
        memcpy(&v, p, 4);
    else if (n == 1)
        v = p[0];
    return v;
}

static void
put_value(struct out *o, const struct field *f, const uint8_t *p, bool mask)
{
    char a[INET6_ADDRSTRLEN];

    switch (f->kind) {
    case FK_BE:
    case FK_HOST:
    case FK_VNI:
        put(o, mask ? "%#x" : "%u",
            load_uint(p, f->size, f->kind != FK_HOST));
        break;
    case FK_MAC:
        put(o, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3],
            p[4], p[5]);
        break;
    case FK_IPV4:
        put(o, "%s", inet_ntop(AF_INET, p, a, sizeof(a)));
        break;
    case FK_IPV6:
        put(o, "%s", inet_ntop(AF_INET6, p, a, sizeof(a)));
        break;
    }
}

static void
put_field(struct out *o, const struct field *f, const uint8_t *spec,
          const uint8_t *mask)
{
    put(o, " %s spec ", f->name);
    put_value(o, f, spec + f->off, false);
    put(o, " %s mask ", f->name);
    put_value(o, f, mask + f->off, true);
}

/* The bits testpmd names outside the field table: they are bit-fields or
 * parts of a wider word. */
static void
put_bits(struct out *o, enum rte_flow_item_type t, const void *spec,
         const void *mask)
{
    if (t == RTE_FLOW_ITEM_TYPE_ETH) {
        const struct rte_flow_item_eth *s = spec, *m = mask;

        if (m->has_vlan)
            put(o, " has_vlan spec %u has_vlan mask 1", s->has_vlan);
    } else if (t == RTE_FLOW_ITEM_TYPE_IPV6) {
        const struct rte_flow_item_ipv6 *s = spec, *m = mask;
        uint32_t tm = (ntohl(m->hdr.vtc_flow) >> 20) & 0xff;

        if (tm)
            put(o, " tc spec %u tc mask %#x",
                (ntohl(s->hdr.vtc_flow) >> 20) & 0xff, tm);
        if (m->has_frag_ext)
            put(o, " has_frag_ext spec %u has_frag_ext mask 1",
                s->has_frag_ext);
    } else if (t == RTE_FLOW_ITEM_TYPE_MPLS) {
        const struct rte_flow_item_mpls *s = spec, *m = mask;
        uint32_t sv = load_uint(s->label_tc_s, 3, true);
        uint32_t mv = load_uint(m->label_tc_s, 3, true);

        /* 24 bits: label (20), tc (3), s (1) */
        if (mv >> 4)
            put(o, " label spec %u label mask %#x", sv >> 4, mv >> 4);
        if ((mv >> 1) & 7)
            put(o, " tc spec %u tc mask %#x", (sv >> 1) & 7, (mv >> 1) & 7);
        if (mv & 1)
            put(o, " s spec %u s mask 1", sv & 1);
    } else if (t == RTE_FLOW_ITEM_TYPE_TAG) {
        /* testpmd takes the register's index only as "index is N" (the
         * mask is always exact) */
        put(o, " index is %u", ((const struct rte_flow_item_tag *)spec)
            ->index);
    }
}

static void
put_item(struct out *o, const struct rte_flow_item *it, unsigned idx)
{
    const struct item_fmt *fmt = NULL;
    const uint8_t *spec = it->spec, *mask;

    if ((size_t)it->type < sizeof(item_fmts) / sizeof(item_fmts[0]))
        fmt = &item_fmts[it->type];
    if (fmt == NULL || fmt->name == NULL) {
        put(o, " <item %u: type %d>", idx, (int)it->type);
        return;
    }
    put(o, " %s", fmt->name);
    if (spec == NULL)
        return;
    mask = it->mask != NULL ? it->mask : fmt->default_mask;
    for (size_t i = 0; i < fmt->n_fields; i++) {
        const struct field *f = &fmt->fields[i];

        if (!all_zero(mask + f->off, f->size))
            put_field(o, f, spec, mask);
    }
    put_bits(o, it->type, spec, mask);
}

static void
put_mac(struct out *o, const uint8_t *m)
{
    put(o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
        m[5]);
}

static void
put_ipv4(struct out *o, uint32_t be)
{
    char a[INET_ADDRSTRLEN];

    put(o, "%s", inet_ntop(AF_INET, &be, a, sizeof(a)));
}

/* MODIFY_FIELD as testpmd 22.11 reads it: src_value is hex bytes from
 * value[0], the field's own bytes (snicd writes the fields below only). */
static void
put_modify(struct out *o, const struct rte_flow_action_modify_field *m)
{
    static const struct {
        enum rte_flow_field_id id;
        const char *token;
        unsigned bytes;
    } names[] = {
        { RTE_FLOW_FIELD_MAC_DST, "mac_dst", 6 },
        { RTE_FLOW_FIELD_MAC_SRC, "mac_src", 6 },
        { RTE_FLOW_FIELD_IPV4_SRC, "ipv4_src", 4 },
        { RTE_FLOW_FIELD_IPV4_DST, "ipv4_dst", 4 },
        { RTE_FLOW_FIELD_TCP_PORT_SRC, "tcp_port_src", 2 },
        { RTE_FLOW_FIELD_TCP_PORT_DST, "tcp_port_dst", 2 },
        { RTE_FLOW_FIELD_UDP_PORT_SRC, "udp_port_src", 2 },
        { RTE_FLOW_FIELD_UDP_PORT_DST, "udp_port_dst", 2 },
    };
    int d = -1, sidx = -1;

    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].id == m->dst.field)
            d = (int)i;
        if (names[i].id == m->src.field)
            sidx = (int)i;
    }
    if (m->operation != RTE_FLOW_MODIFY_SET || d < 0 ||
        (m->src.field != RTE_FLOW_FIELD_VALUE && sidx < 0)) {
        put(o, " <modify_field testpmd cannot express here>");
        return;
    }
    put(o, " modify_field op set dst_type %s dst_offset %u src_type ",
        names[d].token, m->dst.offset);
    if (m->src.field == RTE_FLOW_FIELD_VALUE) {
        put(o, "value src_value 0x");
        for (unsigned i = 0; i < names[d].bytes; i++)
            put(o, "%02x", m->src.value[i]);
    } else {
        put(o, "%s src_offset %u", names[sidx].token, m->src.offset);
    }
    put(o, " width %u", m->width);
}

/* testpmd builds an encapsulation from its "set vxlan" state; snicd's
 * header fields map onto that command (the outer DF bit has no testpmd
 * token: the rebuilt rule differs from snicd's in that bit alone). */
static void
put_set_vxlan(struct out *o, const struct rte_flow_action_vxlan_encap *e)
{
    const struct rte_flow_item_eth *eth = NULL;
    const struct rte_flow_item_ipv4 *ip = NULL;
    const struct rte_flow_item_udp *udp = NULL;
    const struct rte_flow_item_vxlan *vx = NULL;

    for (const struct rte_flow_item *it = e->definition;
         it != NULL && it->type != RTE_FLOW_ITEM_TYPE_END; it++) {
        if (it->type == RTE_FLOW_ITEM_TYPE_ETH)
            eth = it->spec;
        else if (it->type == RTE_FLOW_ITEM_TYPE_IPV4)
            ip = it->spec;
        else if (it->type == RTE_FLOW_ITEM_TYPE_UDP)
            udp = it->spec;
        else if (it->type == RTE_FLOW_ITEM_TYPE_VXLAN)
            vx = it->spec;
    }
    if (eth == NULL || ip == NULL || udp == NULL || vx == NULL) {
        put(o, "# vxlan_encap: a definition testpmd cannot express\n");
        return;
    }
    put(o, "set vxlan-tos-ttl ip-version ipv4 vni %u udp-src %u udp-dst %u "
        "ip-tos %u ip-ttl %u ip-src ", load_uint(vx->vni, 3, true),
        ntohs(udp->hdr.src_port), ntohs(udp->hdr.dst_port),
        ip->hdr.type_of_service, ip->hdr.time_to_live);
    put_ipv4(o, ip->hdr.src_addr);
    put(o, " ip-dst ");
    put_ipv4(o, ip->hdr.dst_addr);
    put(o, " eth-src ");
    put_mac(o, eth->hdr.src_addr.addr_bytes);
    put(o, " eth-dst ");
    put_mac(o, eth->hdr.dst_addr.addr_bytes);
    put(o, "\n");
}

static void
put_action(struct out *o, const struct rte_flow_action *a, unsigned idx)
{
    const void *c = a->conf;

    switch (a->type) {
    case RTE_FLOW_ACTION_TYPE_VOID: put(o, " void"); break;
    case RTE_FLOW_ACTION_TYPE_COUNT: put(o, " count"); break;
    case RTE_FLOW_ACTION_TYPE_DROP: put(o, " drop"); break;
    case RTE_FLOW_ACTION_TYPE_DEC_TTL: put(o, " dec_ttl"); break;
    case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN: put(o, " of_pop_vlan"); break;
    case RTE_FLOW_ACTION_TYPE_VXLAN_DECAP: put(o, " vxlan_decap"); break;
    case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP: put(o, " vxlan_encap"); break;
    case RTE_FLOW_ACTION_TYPE_JUMP:
        put(o, " jump group %u",
            ((const struct rte_flow_action_jump *)c)->group);
        break;
    case RTE_FLOW_ACTION_TYPE_MARK:
        put(o, " mark id %u", ((const struct rte_flow_action_mark *)c)->id);
        break;
    case RTE_FLOW_ACTION_TYPE_SET_TAG: {
        const struct rte_flow_action_set_tag *t = c;

        put(o, " set_tag data %u mask %#x index %u", t->data, t->mask,
            t->index);
        break;
    }
    case RTE_FLOW_ACTION_TYPE_MODIFY_FIELD:
        put_modify(o, c);
        break;
    case RTE_FLOW_ACTION_TYPE_SET_META: {
        const struct rte_flow_action_set_meta *m = c;

        put(o, " set_meta data %u mask %#x", m->data, m->mask);
        break;
    }
    case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
        put(o, " represented_port ethdev_port_id %u",
            ((const struct rte_flow_action_ethdev *)c)->port_id);
        break;
    case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
        put(o, " port_representor port_id %u",
            ((const struct rte_flow_action_ethdev *)c)->port_id);
        break;
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN:
        put(o, " of_push_vlan ethertype %#x",
            ntohs(((const struct rte_flow_action_of_push_vlan *)c)
                  ->ethertype));
        break;
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_MPLS:
        put(o, " of_push_mpls ethertype %#x",
            ntohs(((const struct rte_flow_action_of_push_mpls *)c)
                  ->ethertype));
        break;
    case RTE_FLOW_ACTION_TYPE_OF_POP_MPLS:
        put(o, " of_pop_mpls ethertype %#x",
            ntohs(((const struct rte_flow_action_of_pop_mpls *)c)
                  ->ethertype));
        break;
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID:
        put(o, " of_set_vlan_vid vlan_vid %u",
            ntohs(((const struct rte_flow_action_of_set_vlan_vid *)c)
                  ->vlan_vid));
        break;
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP:
        put(o, " of_set_vlan_pcp vlan_pcp %u",
            ((const struct rte_flow_action_of_set_vlan_pcp *)c)->vlan_pcp);
        break;
    case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_MAC_DST:
        put(o, a->type == RTE_FLOW_ACTION_TYPE_SET_MAC_SRC ?
            " set_mac_src mac_addr " : " set_mac_dst mac_addr ");
        put_mac(o, ((const struct rte_flow_action_set_mac *)c)->mac_addr);
        break;
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST:
        put(o, a->type == RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC ?
            " set_ipv4_src ipv4_addr " : " set_ipv4_dst ipv4_addr ");
        put_ipv4(o, ((const struct rte_flow_action_set_ipv4 *)c)->ipv4_addr);
        break;
    case RTE_FLOW_ACTION_TYPE_SET_TP_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_TP_DST:
        put(o, " %s port %u", a->type == RTE_FLOW_ACTION_TYPE_SET_TP_SRC ?
            "set_tp_src" : "set_tp_dst",
            ntohs(((const struct rte_flow_action_set_tp *)c)->port));
        break;
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_DSCP:
    case RTE_FLOW_ACTION_TYPE_SET_IPV6_DSCP:
        put(o, " %s dscp_value %u",
            a->type == RTE_FLOW_ACTION_TYPE_SET_IPV4_DSCP ?
            "set_ipv4_dscp" : "set_ipv6_dscp",
            ((const struct rte_flow_action_set_dscp *)c)->dscp);
        break;
    default:
        put(o, " <action %u: type %d>", idx, (int)a->type);
        return;
    }
}

int
snicd_testpmd_line(uint16_t port, const struct rte_flow_attr *attr,
                   const struct rte_flow_item *items,
                   const struct rte_flow_action *actions,
                   char *buf, size_t size)
{
    struct out o = { .buf = buf, .size = size };
    unsigned i;

    if (size > 0)
        buf[0] = '\0';
    for (i = 0; actions[i].type != RTE_FLOW_ACTION_TYPE_END; i++)
        if (actions[i].type == RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP)
            put_set_vxlan(&o, actions[i].conf);
    put(&o, "flow create %u", port);
    if (attr->group)
        put(&o, " group %u", attr->group);
    if (attr->priority)
        put(&o, " priority %u", attr->priority);
    if (attr->ingress)
        put(&o, " ingress");
    if (attr->egress)
        put(&o, " egress");
    if (attr->transfer)
        put(&o, " transfer");
    put(&o, " pattern");
    for (i = 0; items[i].type != RTE_FLOW_ITEM_TYPE_END; i++) {
        put_item(&o, &items[i], i);
        put(&o, " /");
    }
    put(&o, " end actions");
    for (i = 0; actions[i].type != RTE_FLOW_ACTION_TYPE_END; i++) {
        put_action(&o, &actions[i], i);
        put(&o, " /");
    }
    put(&o, " end");
    return (int)o.len;
}
