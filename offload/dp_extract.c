/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame bytes -> struct flow_key: the software datapath's own parser.
 *
 * Written independently of the emulated card's parser on purpose: the
 * differential test between the hardware and software paths only means
 * something if the two do not share code. Every read is bounds-checked
 * against the frame length before it happens; a header that does not fit
 * is absent, and parsing stops there.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "dp_priv.h"

static uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Network-order copies straight into the key's network-order fields. */
static flow_be16
be16_at(const uint8_t *p)
{
    flow_be16 v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static flow_be32
be32_at(const uint8_t *p)
{
    flow_be32 v;

    memcpy(&v, p, sizeof(v));
    return v;
}

/* Minimum header size before a protocol's fields are read. */
static size_t
l4_min(uint8_t proto)
{
    switch (proto) {
    case DP_IPPROTO_TCP:
        return 20;
    case DP_IPPROTO_UDP:
        return 8;
    case DP_IPPROTO_SCTP:
        return 12;
    case DP_IPPROTO_ICMP:
    case DP_IPPROTO_ICMPV6:
        return 4;
    default:
        return 0;
    }
}

static void
parse_l4(const uint8_t *frame, size_t ofs, size_t end, uint8_t proto,
         bool ports, struct flow_key *key, struct dp_layout *lay)
{
    size_t need = l4_min(proto);

    if (need == 0 || end < ofs || end - ofs < need)
        return;
    lay->l4_ofs = (uint16_t)ofs;
    lay->flags |= DP_L_L4;
    if (!ports)
        return;
    if (proto == DP_IPPROTO_ICMP || proto == DP_IPPROTO_ICMPV6) {
        /* type and code, as OpenFlow's icmp_type / icmp_code */
        key->tp_src = htons(frame[ofs]);
        key->tp_dst = htons(frame[ofs + 1]);
    } else {
        key->tp_src = be16_at(frame + ofs);
        key->tp_dst = be16_at(frame + ofs + 2);
    }
}

static void
parse_ipv4(const uint8_t *frame, size_t len, size_t ofs,
           struct flow_key *key, struct dp_layout *lay)
{
    const uint8_t *ip = frame + ofs;
    size_t ihl, tot, end;
    uint16_t frag;

    if (len - ofs < 20)
        return;
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20 || ihl > len - ofs)
        return;
    tot = rd16(ip + 2);
    if (tot < ihl)
        return;
    /* the payload ends where the IP header says, or at the frame's end
     * when the frame was cut short; Ethernet padding is not payload */
    end = ofs + tot < len ? ofs + tot : len;

    lay->flags |= DP_L_IPV4;
    lay->nw_proto = ip[9];
    lay->l4_end = (uint16_t)end;
    key->nw_tos = ip[1];
    key->nw_ttl = ip[8];
    key->nw_proto = ip[9];
    key->nw_src = be32_at(ip + 12);
    key->nw_dst = be32_at(ip + 16);

    frag = rd16(ip + 6);
    if (frag & 0x3fff) {            /* MF or an offset */
        lay->flags |= DP_L_FRAG;
        if ((frag & 0x1fff) != 0)   /* a later fragment has no L4 header */
            return;
    }
    parse_l4(frame, ofs + ihl, end, ip[9], !(lay->flags & DP_L_FRAG), key,
             lay);
}

/*
 * The common case in one go: an IPv4 header of 20 bytes, not a fragment,
 * carrying a TCP or UDP header that the frame and the IP total length both
 * hold whole. Fills exactly what parse_ipv4() and parse_l4() would, with
 * fewer tests; false (nothing written) sends the frame down that general
 * path instead.
 */
static bool
ipv4_fast(const uint8_t *frame, size_t len, size_t ofs,
          struct flow_key *key, struct dp_layout *lay)
{
    const uint8_t *ip = frame + ofs;
    size_t end, need;
    uint8_t proto;

    /* 40: IPv4 + the larger of the two L4 headers */
    if (len - ofs < 40 || ip[0] != 0x45 || (rd16(ip + 6) & 0x3fff) != 0)
        return false;
    proto = ip[9];
    if (proto == DP_IPPROTO_UDP)
        need = 20 + 8;
    else if (proto == DP_IPPROTO_TCP)
        need = 20 + 20;
    else
        return false;
    end = ofs + rd16(ip + 2);
    if (end > len)
        end = len;
    if (end < ofs + need)
        return false;
    lay->flags |= DP_L_IPV4 | DP_L_L4;
    lay->nw_proto = proto;
    lay->l4_ofs = (uint16_t)(ofs + 20);
    lay->l4_end = (uint16_t)end;
    key->nw_tos = ip[1];
    key->nw_ttl = ip[8];
    key->nw_proto = proto;
    key->nw_src = be32_at(ip + 12);
    key->nw_dst = be32_at(ip + 16);
    key->tp_src = be16_at(ip + 20);
    key->tp_dst = be16_at(ip + 22);
    return true;
}

static void
parse_ipv6(const uint8_t *frame, size_t len, size_t ofs,
           struct flow_key *key, struct dp_layout *lay)
{
    const uint8_t *ip = frame + ofs;
    size_t end;

    if (len - ofs < 40 || (ip[0] >> 4) != 6)
        return;
    end = ofs + 40 + rd16(ip + 4);
    if (end > len)
        end = len;

    lay->flags |= DP_L_IPV6;
    lay->nw_proto = ip[6];
    lay->l4_end = (uint16_t)end;
    key->nw_tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
    key->nw_proto = ip[6];
    key->nw_ttl = ip[7];
    memcpy(key->ipv6_src, ip + 8, 16);
    memcpy(key->ipv6_dst, ip + 24, 16);
    parse_l4(frame, ofs + 40, end, ip[6], true, key, lay);
}

static void
parse_arp(const uint8_t *frame, size_t len, size_t ofs,
          struct flow_key *key, struct dp_layout *lay)
{
    const uint8_t *a = frame + ofs;

    /* only Ethernet/IPv4 ARP has the fields OpenFlow matches */
    if (len - ofs < 28 || rd16(a) != 1 || rd16(a + 2) != DP_ETH_IPV4
        || a[4] != 6 || a[5] != 4)
        return;
    lay->flags |= DP_L_ARP;
    key->nw_proto = a[7];           /* low byte of the opcode */
    key->nw_src = be32_at(a + 14);
    key->nw_dst = be32_at(a + 24);
}

static const struct flow_key zero_key;

int
dp_extract(const uint8_t *frame, size_t len, uint32_t in_port,
           struct flow_key *key, struct dp_layout *layout)
{
    struct dp_layout scratch;
    struct dp_layout *lay = layout ? layout : &scratch;
    size_t ofs = 14;
    uint16_t type;

    /* a copy of a constant compiles to a few vector stores; a memset of
     * this size became a slow-starting rep stos */
    memcpy(key, &zero_key, sizeof(*key));
    memset(lay, 0, sizeof(*lay));
    key->in_port = in_port;
    if (len < 14)
        return -EINVAL;
    if (len > UINT16_MAX)           /* offsets are 16 bits: jumbo is fine */
        len = UINT16_MAX;

    /* dl_dst and dl_src follow each other in the key as in the frame */
    _Static_assert(offsetof(struct flow_key, dl_src)
                   == offsetof(struct flow_key, dl_dst) + 6, "key layout");
    memcpy((uint8_t *)key + offsetof(struct flow_key, dl_dst), frame, 12);
    type = rd16(frame + 12);
    if (type == DP_ETH_VLAN || type == DP_ETH_QINQ) {
        if (len < 18) {
            /* a tag cut short: only what was complete stays */
            key->dl_type = htons(type);
            lay->l3_ofs = 14;
            return 0;
        }
        key->vlan_tci = htons((uint16_t)(rd16(frame + 14) | FLOW_VLAN_CFI));
        lay->flags |= DP_L_VLAN;
        type = rd16(frame + 16);
        ofs = 18;
    }
    key->dl_type = htons(type);
    lay->l3_ofs = (uint16_t)ofs;
    lay->l4_end = (uint16_t)len;

    switch (type) {
    case DP_ETH_IPV4:
        if (!ipv4_fast(frame, len, ofs, key, lay))
            parse_ipv4(frame, len, ofs, key, lay);
        break;
    case DP_ETH_IPV6:
        parse_ipv6(frame, len, ofs, key, lay);
        break;
    case DP_ETH_ARP:
        parse_arp(frame, len, ofs, key, lay);
        break;
    default:
        break;
    }
    return 0;
}
