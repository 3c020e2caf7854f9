/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shape checks of one rte_flow item before its converter runs: which
 * field of the item a mask covers that the device cannot match, and where
 * the item asks for a range ('last'). Both name the field, since "the mask
 * covers a field the device cannot match" leaves an application author
 * guessing which of a dozen.
 *
 * The layout of each item is described here by byte ranges; a byte no
 * range names is a flag word (has_vlan, has_*_ext...) or reserved.
 *
 * A leaf of the translator: the item converters (emunic_flow_items.c)
 * call it before they convert; it calls only emunic_flow_err.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_flow.h>

#include "emunic.h"

struct item_field {
    uint16_t off;
    uint16_t size;
    const char *name;
};

#define FLD(type, member, name) \
    { offsetof(struct rte_flow_item_ ## type, member), \
      sizeof(((struct rte_flow_item_ ## type *)0)->member), name }

static const struct item_field eth_fields[] = {
    FLD(eth, hdr.dst_addr, "dst"),
    FLD(eth, hdr.src_addr, "src"),
    FLD(eth, hdr.ether_type, "type"),
    { 0, 0, NULL },
};
static const struct item_field vlan_fields[] = {
    FLD(vlan, hdr.vlan_tci, "tci"),
    FLD(vlan, hdr.eth_proto, "inner_type"),
    { 0, 0, NULL },
};
static const struct item_field ipv4_fields[] = {
    FLD(ipv4, hdr.version_ihl, "version_ihl"),
    FLD(ipv4, hdr.type_of_service, "tos"),
    FLD(ipv4, hdr.total_length, "total_length"),
    FLD(ipv4, hdr.packet_id, "packet_id"),
    FLD(ipv4, hdr.fragment_offset, "fragment_offset"),
    FLD(ipv4, hdr.time_to_live, "ttl"),
    FLD(ipv4, hdr.next_proto_id, "proto"),
    FLD(ipv4, hdr.hdr_checksum, "hdr_checksum"),
    FLD(ipv4, hdr.src_addr, "src"),
    FLD(ipv4, hdr.dst_addr, "dst"),
    { 0, 0, NULL },
};
static const struct item_field ipv6_fields[] = {
    FLD(ipv6, hdr.vtc_flow, "vtc_flow (only the traffic class)"),
    FLD(ipv6, hdr.payload_len, "payload_len"),
    FLD(ipv6, hdr.proto, "proto"),
    FLD(ipv6, hdr.hop_limits, "hop_limits"),
    FLD(ipv6, hdr.src_addr, "src"),
    FLD(ipv6, hdr.dst_addr, "dst"),
    { 0, 0, NULL },
};
static const struct item_field ipv6_frag_ext_fields[] = {
    FLD(ipv6_frag_ext, hdr.next_header, "next_header"),
    FLD(ipv6_frag_ext, hdr.reserved, "reserved"),
    FLD(ipv6_frag_ext, hdr.frag_data, "frag_data"),
    FLD(ipv6_frag_ext, hdr.id, "id"),
    { 0, 0, NULL },
};
static const struct item_field tcp_fields[] = {
    FLD(tcp, hdr.src_port, "src_port"),
    FLD(tcp, hdr.dst_port, "dst_port"),
    FLD(tcp, hdr.sent_seq, "sent_seq"),
    FLD(tcp, hdr.recv_ack, "recv_ack"),
    FLD(tcp, hdr.data_off, "data_off"),
    FLD(tcp, hdr.tcp_flags, "flags"),
    FLD(tcp, hdr.rx_win, "rx_win"),
    FLD(tcp, hdr.cksum, "cksum"),
    FLD(tcp, hdr.tcp_urp, "tcp_urp"),
    { 0, 0, NULL },
};
static const struct item_field udp_fields[] = {
    FLD(udp, hdr.src_port, "src_port"),
    FLD(udp, hdr.dst_port, "dst_port"),
    FLD(udp, hdr.dgram_len, "dgram_len"),
    FLD(udp, hdr.dgram_cksum, "dgram_cksum"),
    { 0, 0, NULL },
};
static const struct item_field icmp_fields[] = {
    FLD(icmp, hdr.icmp_type, "type"),
    FLD(icmp, hdr.icmp_code, "code"),
    FLD(icmp, hdr.icmp_cksum, "cksum"),
    FLD(icmp, hdr.icmp_ident, "ident"),
    FLD(icmp, hdr.icmp_seq_nb, "seq_nb"),
    { 0, 0, NULL },
};

static const struct item_field tag_fields[] = {
    FLD(tag, data, "data"),
    FLD(tag, index, "index"),
    { 0, 0, NULL },
};
static const struct item_field meta_fields[] = {
    FLD(meta, data, "data"),
    { 0, 0, NULL },
};

/* The flag word after a header: what its bits are called. */
static const char *
flags_name(enum rte_flow_item_type type)
{
    switch (type) {
    case RTE_FLOW_ITEM_TYPE_ETH:
        return "has_vlan or a reserved bit";
    case RTE_FLOW_ITEM_TYPE_VLAN:
        return "has_more_vlan or a reserved bit";
    case RTE_FLOW_ITEM_TYPE_IPV6:
        return "a has_*_ext flag other than has_frag_ext";
    default:
        return "a reserved field";
    }
}

static const struct item_field *
fields_of(enum rte_flow_item_type type)
{
    switch (type) {
    case RTE_FLOW_ITEM_TYPE_ETH:
        return eth_fields;
    case RTE_FLOW_ITEM_TYPE_VLAN:
        return vlan_fields;
    case RTE_FLOW_ITEM_TYPE_IPV4:
        return ipv4_fields;
    case RTE_FLOW_ITEM_TYPE_IPV6:
        return ipv6_fields;
    case RTE_FLOW_ITEM_TYPE_IPV6_FRAG_EXT:
        return ipv6_frag_ext_fields;
    case RTE_FLOW_ITEM_TYPE_TCP:
        return tcp_fields;
    case RTE_FLOW_ITEM_TYPE_UDP:
        return udp_fields;
    case RTE_FLOW_ITEM_TYPE_ICMP:
        return icmp_fields;
    case RTE_FLOW_ITEM_TYPE_TAG:
        return tag_fields;
    case RTE_FLOW_ITEM_TYPE_META:
        return meta_fields;
    default:
        return NULL;
    }
}

static const char *
field_at(enum rte_flow_item_type type, size_t off)
{
    const struct item_field *f = fields_of(type);

    for (; f != NULL && f->name != NULL; f++)
        if (off >= f->off && off < (size_t)f->off + f->size)
            return f->name;
    return flags_name(type);
}

/* The one field of each item a range may be given on: the fragment
 * state, which a range expresses in Open vSwitch's and testpmd's
 * patterns; its converter decides whether the range is one the device can
 * match. */
static bool
range_allowed(enum rte_flow_item_type type, size_t off)
{
    switch (type) {
    case RTE_FLOW_ITEM_TYPE_IPV4:
        return off >= offsetof(struct rte_flow_item_ipv4,
                               hdr.fragment_offset) &&
               off < offsetof(struct rte_flow_item_ipv4,
                              hdr.fragment_offset) + 2;
    case RTE_FLOW_ITEM_TYPE_IPV6_FRAG_EXT:
        return off >= offsetof(struct rte_flow_item_ipv6_frag_ext,
                               hdr.frag_data) &&
               off < offsetof(struct rte_flow_item_ipv6_frag_ext,
                              hdr.frag_data) + 2;
    default:
        return false;
    }
}

int
emunic_item_check_mask(const struct rte_flow_item *item, const char *name,
                       const uint8_t *mask, const uint8_t *supported,
                       size_t size, const char *supported_desc,
                       struct rte_flow_error *error)
{
    for (size_t i = 0; i < size; i++)
        if (mask[i] & ~supported[i])
            return emunic_flow_err(error, ENOTSUP,
                                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, item,
                                   "%s: the mask covers %s, which the device "
                                   "cannot match; it matches only %s", name,
                                   field_at(item->type, i), supported_desc);
    return 0;
}

/*
 * rte_flow: a field of 'last' that is 0 or equal to spec (both masked)
 * asks for no range. A byte-wise look finds every real range, since a
 * field above its spec differs in some byte where 'last' is non-zero.
 */
int
emunic_item_check_last(const struct rte_flow_item *item, const char *name,
                       const uint8_t *spec, const uint8_t *mask, size_t size,
                       struct rte_flow_error *error)
{
    const uint8_t *last = item->last;

    if (last == NULL)
        return 0;
    for (size_t i = 0; i < size; i++) {
        uint8_t l = last[i] & mask[i], s = spec[i] & mask[i];

        if (l == 0 || l == s || range_allowed(item->type, i))
            continue;
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_LAST,
                               item, "%s: ranges ('last') are not supported "
                               "on %s; use a mask (only the fragment state, "
                               "IPV4 fragment_offset and IPV6_FRAG_EXT "
                               "frag_data, takes a range)", name,
                               field_at(item->type, i));
    }
    return 0;
}
