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

/*
 * What a header must hold before its fields are read: Open vSwitch's rules
 * (flow_extract()), since users' flows were written against them. ICMP and
 * ICMPv6 count their whole 8-byte header, not just type and code.
 */
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
        return 8;
    default:
        return 0;
    }
}

/* A TCP data offset that makes sense: the fixed header at least, and not
 * past the segment's end. Without it Open vSwitch reads no ports. */
static inline bool
tcp_doff_ok(uint8_t doff_byte, size_t size)
{
    size_t hlen = (size_t)(doff_byte >> 4) * 4;

    return hlen >= 20 && hlen <= size;
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
    /* TCP's flags are read where its header is sound, a first fragment
     * included: Open vSwitch hides only a fragment's ports */
    if (proto == DP_IPPROTO_TCP && tcp_doff_ok(frame[ofs + 12], end - ofs))
        key->tcp_flags = htons((uint16_t)(rd16(frame + ofs + 12) & 0x0fff));
    if (!ports)
        return;
    if (proto == DP_IPPROTO_ICMP || proto == DP_IPPROTO_ICMPV6) {
        /* type and code, as OpenFlow's icmp_type / icmp_code */
        key->tp_src = htons(frame[ofs]);
        key->tp_dst = htons(frame[ofs + 1]);
    } else if (proto == DP_IPPROTO_TCP
               && !tcp_doff_ok(frame[ofs + 12], end - ofs)) {
        return;                     /* the header is there, not its ports */
    } else {
        key->tp_src = be16_at(frame + ofs);
        key->tp_dst = be16_at(frame + ofs + 2);
    }
}

/* A first fragment's ports (ICMP: type and code), which the key leaves
 * out: Open vSwitch hides them from its table lookups only, and its
 * actions (move, learn, output:FIELD[], multipath) read them. */
void
dp_extract_frag_ports(const uint8_t *frame, const struct dp_layout *lay,
                      struct flow_key *key)
{
    struct dp_layout l = *lay;

    if (!(lay->flags & DP_L_FRAG) || !(lay->flags & DP_L_L4))
        return;
    parse_l4(frame, lay->l4_ofs, lay->l4_end, lay->nw_proto, true, key, &l);
}

/*
 * An IPv4 header is read only when it is whole and consistent: IHL >= 5,
 * the header inside the frame, the total length covering the header and
 * inside the frame, and at most 255 bytes of Ethernet padding after it.
 * Otherwise the frame keeps dl_type 0x0800 and no IP field (Open vSwitch
 * does the same; the version nibble is not checked, by either).
 */
static void
parse_ipv4(const uint8_t *frame, size_t len, size_t ofs,
           struct flow_key *key, struct dp_layout *lay)
{
    const uint8_t *ip = frame + ofs;
    size_t ihl, tot, end, room = len - ofs;
    uint16_t frag;

    if (room < 20) {
        lay->flags |= DP_L_IP_BAD;
        return;
    }
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    tot = rd16(ip + 2);
    if (ihl < 20 || ihl > room || tot > room || tot < ihl
        || room - tot > UINT8_MAX) {
        lay->flags |= DP_L_IP_BAD;
        return;
    }
    end = ofs + tot;                /* Ethernet padding is not payload */

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
 * Whether ipv4_fast() takes the IPv4 header @ip, @room bytes before the
 * frame ends: 20 bytes, not a fragment, carrying a TCP (data offset 5) or
 * UDP header that the frame and the IP total length both hold whole,
 * with at most 255 bytes of padding. Shared with dp_train_start(), which
 * relies on the frames it takes being read by ipv4_fast().
 */
static inline __attribute__((always_inline)) bool
ipv4_fast_takes(const uint8_t *ip, size_t room)
{
    size_t tot, need;

    /* 40: IPv4 + the larger of the two L4 headers */
    if (room < 40 || ip[0] != 0x45 || (rd16(ip + 6) & 0x3fff) != 0)
        return false;
    if (ip[9] == DP_IPPROTO_UDP)
        need = 20 + 8;
    else if (ip[9] == DP_IPPROTO_TCP && (ip[32] & 0xf0) == 0x50)
        need = 20 + 20;     /* other TCP data offsets: the general path */
    else
        return false;
    /* the total length covers both headers, and the frame holds it with
     * at most 255 bytes of padding (a total past the frame wraps the
     * unsigned difference far above 255) */
    tot = rd16(ip + 2);
    return tot >= need && room - tot <= UINT8_MAX;
}

/*
 * The common case in one go (ipv4_fast_takes()). Fills exactly what
 * parse_ipv4() and parse_l4() would, with fewer tests; false (nothing
 * written) sends the frame down that general path instead. What it reads
 * of the frame is what dp_train_same() compares: keep the two in step.
 */
static inline __attribute__((always_inline)) bool
ipv4_fast(const uint8_t *frame, size_t len, size_t ofs,
          struct flow_key *key, struct dp_layout *lay)
{
    const uint8_t *ip = frame + ofs;
    uint8_t proto;

    if (!ipv4_fast_takes(ip, len - ofs))
        return false;
    proto = ip[9];
    lay->flags |= DP_L_IPV4 | DP_L_L4;
    lay->nw_proto = proto;
    lay->l4_ofs = (uint16_t)(ofs + 20);
    lay->l4_end = (uint16_t)(ofs + rd16(ip + 2));
    key->nw_tos = ip[1];
    key->nw_ttl = ip[8];
    key->nw_proto = proto;
    key->nw_src = be32_at(ip + 12);
    key->nw_dst = be32_at(ip + 16);
    key->tp_src = be16_at(ip + 20);
    key->tp_dst = be16_at(ip + 22);
    if (proto == DP_IPPROTO_TCP)
        key->tcp_flags = htons((uint16_t)(rd16(ip + 32) & 0x0fff));
    return true;
}

bool
dp_train_start(struct dp_train *t, const uint8_t *frame, size_t len)
{
    size_t ofs = 14;
    uint16_t type;

    if (len < 14 || len > UINT16_MAX)
        return false;
    type = rd16(frame + 12);
    if (type == DP_ETH_VLAN || type == DP_ETH_QINQ) {
        if (len < 18)
            return false;
        type = rd16(frame + 16);
        ofs = 18;
    }
    if (type != DP_ETH_IPV4 || !ipv4_fast_takes(frame + ofs, len - ofs))
        return false;
    t->ofs = (uint8_t)ofs;
    t->tot = rd16(frame + ofs + 2);
    t->tcp = frame[ofs + 9] == DP_IPPROTO_TCP;
    t->tcp_word = t->tcp ? rd16(frame + ofs + 32) : 0;
    dp_train_words(frame, ofs, t->word);
    return true;
}

#define DP_IPPROTO_HOPOPTS  0u
#define DP_IPPROTO_ROUTING  43u
#define DP_IPPROTO_FRAGMENT 44u
#define DP_IPPROTO_AH       51u
#define DP_IPPROTO_DSTOPTS  60u

/*
 * Walk IPv6 extension headers from @ofs to the upper-layer header: hop-by-
 * hop, routing and destination options ((len + 1) * 8 bytes), AH
 * ((len + 2) * 4 bytes) and fragment (8 bytes), in any order, each at
 * least 8 bytes. Sets *@proto to the upper-layer protocol and returns its
 * offset; a later fragment stops the walk with *@proto = 44 (it carries no
 * upper-layer header). Returns 0 when a header does not fit in @end.
 */
static size_t
ipv6_skip_ext(const uint8_t *frame, size_t ofs, size_t end, uint8_t *proto,
              struct dp_layout *lay)
{
    for (;;) {
        const uint8_t *h = frame + ofs;
        size_t size;

        switch (*proto) {
        case DP_IPPROTO_HOPOPTS:
        case DP_IPPROTO_ROUTING:
        case DP_IPPROTO_DSTOPTS:
            if (end - ofs < 8)
                return 0;
            size = ((size_t)h[1] + 1) * 8;
            break;
        case DP_IPPROTO_AH:
            if (end - ofs < 8)
                return 0;
            size = ((size_t)h[1] + 2) * 4;
            break;
        case DP_IPPROTO_FRAGMENT:
            if (end - ofs < 8)
                return 0;
            size = 8;
            if (rd16(h + 2) != 0) {         /* not an atomic fragment */
                lay->flags |= DP_L_FRAG;
                if (rd16(h + 2) & 0xfff8)   /* a later fragment */
                    return ofs + 8;
            }
            break;
        default:
            return ofs;
        }
        if (size > end - ofs)
            return 0;
        *proto = h[0];
        ofs += size;
    }
}

/*
 * An IPv6 header is read when the fixed header is whole, the payload
 * length fits in the frame and at most 255 bytes of padding follow.
 * Extension headers are skipped up to TCP/UDP/SCTP/ICMPv6; a chain that
 * does not fit leaves the addresses but no protocol, traffic class or hop
 * limit (as Open vSwitch reads it). Out of line, like parse_arp() and
 * parse_llc(): inlined, they cost the IPv4 fast path registers that it
 * then saves and restores on every packet.
 */
static __attribute__((noinline)) void
parse_ipv6(const uint8_t *frame, size_t len, size_t ofs,
           struct flow_key *key, struct dp_layout *lay)
{
    const uint8_t *ip = frame + ofs;
    size_t end, plen, room = len - ofs, l4;
    uint8_t proto;

    plen = room >= 40 ? rd16(ip + 4) : 0;
    if (room < 40 || plen > room - 40 || room - 40 - plen > UINT8_MAX) {
        lay->flags |= DP_L_IP_BAD;
        return;
    }
    end = ofs + 40 + plen;
    memcpy(key->ipv6_src, ip + 8, 16);
    memcpy(key->ipv6_dst, ip + 24, 16);
    proto = ip[6];
    l4 = ipv6_skip_ext(frame, ofs + 40, end, &proto, lay);
    if (l4 == 0) {
        lay->flags = (uint8_t)((lay->flags & ~DP_L_FRAG) | DP_L_IP_BAD);
        return;
    }

    lay->flags |= DP_L_IPV6;
    lay->nw_proto = proto;
    lay->l4_end = (uint16_t)end;
    key->nw_tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
    key->nw_proto = proto;
    key->nw_ttl = ip[7];
    if (!(lay->flags & DP_L_FRAG) || proto != DP_IPPROTO_FRAGMENT)
        parse_l4(frame, l4, end, proto, !(lay->flags & DP_L_FRAG), key,
                 lay);
    /* Neighbor Discovery: a solicitation or advertisement with code 0
     * (a fragment's type reads 0 here, as its ports do) */
    if (proto == DP_IPPROTO_ICMPV6 && key->tp_dst == 0
        && (key->tp_src == htons(135) || key->tp_src == htons(136)))
        dp_nd_extract(frame, l4, end, key);
}

/* Ethernet/IPv4 ARP: addresses, and the opcode when it fits in nw_proto's
 * 8 bits (a larger one reads as 0, as in Open vSwitch). */
static __attribute__((noinline)) void
parse_arp(const uint8_t *frame, size_t len, size_t ofs,
          struct flow_key *key, struct dp_layout *lay)
{
    const uint8_t *a = frame + ofs;

    if (len - ofs < 28 || rd16(a) != 1 || rd16(a + 2) != DP_ETH_IPV4
        || a[4] != 6 || a[5] != 4)
        return;
    lay->flags |= DP_L_ARP;
    key->nw_proto = a[6] == 0 ? a[7] : 0;
    key->nw_src = be32_at(a + 14);
    key->nw_dst = be32_at(a + 24);
}

/*
 * An 802.3 length instead of an EtherType: an LLC frame. With a SNAP
 * header of OUI 0 (RFC 1042) carrying an EtherType, that EtherType is the
 * frame's and its header follows the SNAP header; anything else is
 * FLOW_DL_TYPE_NONE, 0x05ff (Open vSwitch's convention). Out of the
 * switch in dp_extract() so that the common EtherTypes pay nothing for it.
 */
static uint16_t
llc_type(const uint8_t *frame, size_t len, size_t ofs)
{
    static const uint8_t snap[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };
    const uint8_t *p = frame + ofs;
    uint16_t type;

    if (len - ofs < 8 || memcmp(p, snap, sizeof(snap)) != 0)
        return FLOW_DL_TYPE_NONE;
    type = rd16(p + 6);
    return type < DP_ETH_TYPE_MIN ? FLOW_DL_TYPE_NONE : type;
}

static __attribute__((noinline)) void
parse_llc(const uint8_t *frame, size_t len, size_t ofs, struct flow_key *key,
          struct dp_layout *lay)
{
    uint16_t type = llc_type(frame, len, ofs);

    key->dl_type = htons(type);
    if (type < DP_ETH_TYPE_MIN)
        return;
    ofs += 8;
    lay->l3_ofs = (uint16_t)ofs;
    if (type == DP_ETH_IPV4)
        parse_ipv4(frame, len, ofs, key, lay);
    else if (type == DP_ETH_IPV6)
        parse_ipv6(frame, len, ofs, key, lay);
    else if (type == DP_ETH_ARP)
        parse_arp(frame, len, ofs, key, lay);
}

/*
 * The Ethernet header of a frame of at least 14 bytes into @key:
 * addresses, the outer tag, dl_type. Returns the EtherType after the tag
 * (*@ofs: where its header starts), or -1 for a tag cut short (dl_type is
 * then the tag's own type). Shared by dp_extract_hdr() and
 * dp_extract_l2(), so the two cannot read a header differently.
 */
static inline __attribute__((always_inline)) int
parse_eth(const uint8_t *frame, size_t len, struct flow_key *key,
          size_t *ofs)
{
    uint16_t type;

    /* dl_dst and dl_src follow each other in the key as in the frame */
    _Static_assert(offsetof(struct flow_key, dl_src)
                   == offsetof(struct flow_key, dl_dst) + 6, "key layout");
    memcpy((uint8_t *)key + offsetof(struct flow_key, dl_dst), frame, 12);
    type = rd16(frame + 12);
    *ofs = 14;
    if (type == DP_ETH_VLAN || type == DP_ETH_QINQ) {
        if (len < 18) {
            /* a tag cut short: only what was complete stays */
            key->dl_type = htons(type);
            return -1;
        }
        key->vlan_tci = htons((uint16_t)(rd16(frame + 14) | FLOW_VLAN_CFI));
        type = rd16(frame + 16);
        *ofs = 18;
    }
    key->dl_type = htons(type);
    return type;
}

static const struct flow_key zero_key;

/* The header of EtherType @type at @ofs (after Ethernet, or at 0 for a
 * packet without one). */
static inline __attribute__((always_inline)) void
parse_l3(const uint8_t *frame, size_t len, size_t ofs, uint16_t type,
         struct flow_key *key, struct dp_layout *lay)
{
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
    case DP_ETH_MPLS:
    case DP_ETH_MPLSM:
        /* the top entry; as in Open vSwitch nothing behind the stack is
         * read (its payload's protocol is not in the frame) */
        if (len - ofs >= 4)
            key->mpls_lse = be32_at(frame + ofs);
        break;
    default:
        if (type < DP_ETH_TYPE_MIN && ofs != 0)
            parse_llc(frame, len, ofs, key, lay);
        break;
    }
}

int
dp_extract(const uint8_t *frame, size_t len, uint32_t in_port,
           struct flow_key *key, struct dp_layout *layout)
{
    memcpy(&key->meta, &zero_key.meta, sizeof(key->meta));
    return dp_extract_hdr(frame, len, in_port, key, layout);
}

int
dp_extract_hdr(const uint8_t *frame, size_t len, uint32_t in_port,
               struct flow_key *key, struct dp_layout *layout)
{
    struct dp_layout scratch;
    struct dp_layout *lay = layout ? layout : &scratch;
    size_t ofs;
    uint16_t type;
    int t;

    /* a copy of a constant compiles to a few vector stores; a memset of
     * this size became a slow-starting rep stos */
    memcpy(key, &zero_key, FLOW_KEY_PKT_SIZE);
    memset(lay, 0, sizeof(*lay));
    key->in_port = in_port;
    if (len < 14)
        return -EINVAL;
    if (len > UINT16_MAX)           /* offsets are 16 bits: jumbo is fine */
        len = UINT16_MAX;

    t = parse_eth(frame, len, key, &ofs);
    if (t < 0) {
        lay->l3_ofs = 14;
        return 0;
    }
    type = (uint16_t)t;
    if (ofs == 18)
        lay->flags |= DP_L_VLAN;
    lay->l3_ofs = (uint16_t)ofs;
    lay->l4_end = (uint16_t)len;

    parse_l3(frame, len, ofs, type, key, lay);
    return 0;
}

/*
 * A packet that decap() left without its Ethernet header (packet type
 * (1, @type), host order): its header of EtherType @type starts the
 * frame. The key has no Ethernet fields; dl_type is @type, as in Open
 * vSwitch. Out of line: Ethernet frames never come here.
 */
__attribute__((noinline)) void
dp_extract_l3(const uint8_t *frame, size_t len, uint32_t in_port,
              uint32_t packet_type, struct flow_key *key,
              struct dp_layout *lay)
{
    uint16_t type = FLOW_PT_TYPE(packet_type);

    memcpy(key, &zero_key, FLOW_KEY_PKT_SIZE);
    memset(lay, 0, sizeof(*lay));
    key->in_port = in_port;
    key->packet_type = htonl(packet_type);
    key->dl_type = htons(type);
    if (len > UINT16_MAX)
        len = UINT16_MAX;
    lay->l4_end = (uint16_t)len;
    parse_l3(frame, len, 0, type, key, lay);
}

void
dp_extract_l2(const uint8_t *frame, size_t len, uint32_t in_port,
              struct flow_key *key)
{
    size_t ofs;
    int type;

    memcpy(key, &zero_key, FLOW_KEY_PKT_SIZE);
    key->in_port = in_port;
    if (len < 14)
        return;
    if (len > UINT16_MAX)
        len = UINT16_MAX;
    type = parse_eth(frame, len, key, &ofs);
    if (type >= 0 && type < (int)DP_ETH_TYPE_MIN)
        key->dl_type = htons(llc_type(frame, len, ofs));
}
