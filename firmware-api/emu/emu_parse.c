/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser, rule matcher and Internet checksum of the emulated card's
 * packet engine (emu_packet.h).
 *
 * What the parser understands, and what it deliberately does not:
 * - Ethernet II, then at most ONE outer VLAN tag (TPID 0x8100 or 0x88a8).
 *   eth_type is the EtherType right after that tag, so a QinQ frame shows
 *   0x8100 as eth_type and its inner tag is not looked at.
 * - IPv4: version 4, IHL >= 5, the whole header (options included) present,
 *   total length >= header length. A fragment with a non-zero offset has no
 *   L4 header. ip_frag comes from MF and the offset (fw_abi.h). A total length shorter than the frame means Ethernet padding,
 *   which is never taken for L4 bytes; a longer one means a truncated frame,
 *   parsed as far as it goes.
 * - IPv6: the fixed 40-byte header only. ip_proto is its Next Header field;
 *   extension headers are NOT walked, so a packet with a hop-by-hop or
 *   fragment header shows that header's number as ip_proto and has no L4.
 *   The one exception is ip_frag: a Fragment header right after the fixed
 *   header (Next Header 44, all 8 bytes inside the payload) is read for its
 *   offset and M flag; one after another extension header is not seen.
 * - L4: TCP (ports; whole header incl. options present), UDP (ports),
 *   ICMP under IPv4 (type, code; 8-byte header) and ICMPv6 under IPv6
 *   (type, code; 4-byte header).
 * - VXLAN: UDP destination port 4789 and the 8-byte VXLAN header present;
 *   like hardware that classifies by port, the I flag is not checked.
 *   The key keeps the outer headers and adds the VNI; the inner frame is not
 *   parsed (after VXLAN_DECAP a re-parse sees it).
 * A header is taken only when it is complete inside the frame; fields of
 * absent or incomplete headers stay zero. Nothing is read past f->len.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <endian.h>
#include <string.h>

#include "emu_packet.h"

#define ETH_HLEN_       14u
#define VLAN_HLEN_      4u
#define IPV4_HLEN_MIN   20u
#define IPV6_HLEN_      40u
#define TCP_HLEN_MIN    20u
#define UDP_HLEN_       8u
#define ICMP_HLEN_      8u
#define ICMPV6_HLEN_    4u
#define VXLAN_HLEN_     8u
#define VXLAN_PORT_     4789u

#define ETYPE_IPV4      0x0800u
#define ETYPE_IPV6      0x86ddu
#define ETYPE_VLAN      0x8100u
#define ETYPE_QINQ      0x88a8u

#define PROTO_ICMP      1u
#define PROTO_TCP       6u
#define PROTO_UDP       17u
#define PROTO_ICMPV6    58u
#define PROTO_IPV6_FRAG 44u
#define IPV6_FRAG_HLEN_ 8u

/* The matcher below compares 64-bit words. */
static_assert(sizeof(struct fw_match) == 80, "fw_match is 80 bytes");
static_assert(sizeof(struct fw_match) % sizeof(uint64_t) == 0,
              "fw_match is a whole number of 64-bit words");

static inline uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* L4 after an IP header; @end is where the IP payload ends in the frame. */
static void
parse_l4(const struct emu_frame *f, uint32_t off, uint32_t end, uint8_t proto,
         uint8_t l3_kind, struct fw_match *key, struct emu_layout *lay)
{
    const uint8_t *p = f->data + off;
    uint32_t avail = end > off ? end - off : 0;

    switch (proto) {
    case PROTO_TCP: {
        if (avail < TCP_HLEN_MIN)
            return;
        uint32_t hlen = (uint32_t)(p[12] >> 4) * 4u;
        if (hlen < TCP_HLEN_MIN || hlen > avail)
            return;
        memcpy(&key->l4_src, p, 2);
        memcpy(&key->l4_dst, p + 2, 2);
        break;
    }
    case PROTO_UDP:
        if (avail < UDP_HLEN_)
            return;
        memcpy(&key->l4_src, p, 2);
        memcpy(&key->l4_dst, p + 2, 2);
        if (rd16(p + 2) == VXLAN_PORT_ && avail >= UDP_HLEN_ + VXLAN_HLEN_) {
            const uint8_t *vx = p + UDP_HLEN_;
            uint32_t vni = ((uint32_t)vx[4] << 16) | ((uint32_t)vx[5] << 8) |
                           vx[6];
            key->vxlan_vni = htole32(vni);
            lay->vxlan = (int16_t)(off + UDP_HLEN_);
        }
        break;
    case PROTO_ICMP:
        /* ICMP belongs to IPv4 only; protocol 1 inside IPv6 is not ICMP */
        if (l3_kind != 4 || avail < ICMP_HLEN_)
            return;
        key->icmp_type = p[0];
        key->icmp_code = p[1];
        break;
    case PROTO_ICMPV6:
        if (l3_kind != 6 || avail < ICMPV6_HLEN_)
            return;
        key->icmp_type = p[0];
        key->icmp_code = p[1];
        break;
    default:
        return;
    }
    lay->l4 = (int16_t)off;
    lay->l4_proto = proto;
}

static void
parse_ipv4(const struct emu_frame *f, uint32_t off, struct fw_match *key,
           struct emu_layout *lay)
{
    const uint8_t *p = f->data + off;
    uint32_t avail = f->len - off;

    if (avail < IPV4_HLEN_MIN || (p[0] >> 4) != 4)
        return;
    uint32_t hlen = (uint32_t)(p[0] & 0x0f) * 4u;
    uint32_t tot = rd16(p + 2);
    if (hlen < IPV4_HLEN_MIN || hlen > avail || tot < hlen)
        return;

    key->ip_tos = p[1];
    key->ip_ttl = p[8];
    key->ip_proto = p[9];
    memcpy(&key->ipv4_src, p + 12, 4);
    memcpy(&key->ipv4_dst, p + 16, 4);
    lay->l3 = (int16_t)off;
    lay->l3_kind = 4;

    uint16_t frag = rd16(p + 6);
    if (frag & 0x3fffu)
        key->ip_frag = (uint8_t)(FW_IP_FRAG_IS |
                                 ((frag & 0x1fffu) ? FW_IP_FRAG_LATER : 0) |
                                 ((frag & 0x2000u) ? FW_IP_FRAG_MORE : 0));
    /* only the first fragment carries the L4 header */
    if ((frag & 0x1fffu) != 0)
        return;
    uint32_t end = off + (tot < avail ? tot : avail);
    parse_l4(f, off + hlen, end, p[9], 4, key, lay);
}

static void
parse_ipv6(const struct emu_frame *f, uint32_t off, struct fw_match *key,
           struct emu_layout *lay)
{
    const uint8_t *p = f->data + off;
    uint32_t avail = f->len - off;

    if (avail < IPV6_HLEN_ || (p[0] >> 4) != 6)
        return;
    key->ip_tos = (uint8_t)((p[0] << 4) | (p[1] >> 4));
    key->ip_proto = p[6];
    key->ip_ttl = p[7];
    memcpy(key->ipv6_src, p + 8, 16);
    memcpy(key->ipv6_dst, p + 24, 16);
    lay->l3 = (int16_t)off;
    lay->l3_kind = 6;

    /* no extension header walking: Next Header is taken as the L4 proto */
    uint32_t plen = rd16(p + 4);
    uint32_t room = avail - IPV6_HLEN_;
    uint32_t end = off + IPV6_HLEN_ + (plen < room ? plen : room);
    if (p[6] == PROTO_IPV6_FRAG && end - (off + IPV6_HLEN_) >= IPV6_FRAG_HLEN_) {
        /* offset (13 bits) << 3 | 2 reserved bits | M */
        uint16_t fd = rd16(p + IPV6_HLEN_ + 2);

        key->ip_frag = (uint8_t)(FW_IP_FRAG_IS |
                                 ((fd & 0xfff8u) ? FW_IP_FRAG_LATER : 0) |
                                 ((fd & 0x0001u) ? FW_IP_FRAG_MORE : 0));
    }
    parse_l4(f, off + IPV6_HLEN_, end, p[6], 6, key, lay);
}

void
emu_parse(const struct emu_frame *f, uint16_t src_vport,
          struct fw_match *key, struct emu_layout *lay)
{
    memset(key, 0, sizeof(*key));
    key->src_vport = htole16(src_vport);
    lay->vlan = -1;
    lay->l3 = -1;
    lay->l4 = -1;
    lay->vxlan = -1;
    lay->l3_kind = 0;
    lay->l4_proto = 0;

    if (f->len < ETH_HLEN_)
        return;
    const uint8_t *p = f->data;
    memcpy(key->eth_dst, p, 6);
    memcpy(key->eth_src, p + 6, 6);

    uint32_t off = 12;
    uint16_t etype = rd16(p + off);
    if (etype == ETYPE_VLAN || etype == ETYPE_QINQ) {
        /* a tag cut short leaves both vlan_tci and eth_type unknown (0) */
        if (f->len < ETH_HLEN_ + VLAN_HLEN_)
            return;
        uint16_t tci = rd16(p + off + 2);
        /* DEI is not matchable; its bit position carries "present" */
        key->vlan_tci = htons((uint16_t)(tci | FW_VLAN_TCI_PRESENT));
        lay->vlan = (int16_t)off;
        off += VLAN_HLEN_;
        etype = rd16(p + off);
    }
    key->eth_type = htons(etype);
    off += 2;

    if (etype == ETYPE_IPV4)
        parse_ipv4(f, off, key, lay);
    else if (etype == ETYPE_IPV6)
        parse_ipv6(f, off, key, lay);
}

bool
emu_match(const struct fw_match *key, const struct fw_match *value,
          const struct fw_match *mask)
{
    /* One OR-accumulated difference over ten 64-bit words, no early exit:
     * the compiler turns the memcpys into plain loads and the loop into
     * straight-line code. */
    enum { WORDS = sizeof(struct fw_match) / sizeof(uint64_t) };
    const uint8_t *k = (const uint8_t *)key;
    const uint8_t *v = (const uint8_t *)value;
    const uint8_t *m = (const uint8_t *)mask;
    uint64_t diff = 0;

    for (unsigned i = 0; i < WORDS; i++) {
        uint64_t kw, vw, mw;
        memcpy(&kw, k + i * 8, 8);
        memcpy(&vw, v + i * 8, 8);
        memcpy(&mw, m + i * 8, 8);
        diff |= (kw & mw) ^ vw;
    }
    return diff == 0;
}

/*
 * Internet checksum (RFC 1071) of @len bytes taken as big-endian 16-bit
 * words, an odd last byte padded with zero. Returns the checksum as a host
 * value, ready to be stored big-endian; over a region that already holds a
 * correct checksum field it returns 0.
 */
uint16_t
emu_csum(const void *data, uint32_t len)
{
    const uint8_t *p = data;
    uint64_t sum = 0;
    uint32_t i = 0;

    for (; i + 1 < len; i += 2)
        sum += (uint32_t)((p[i] << 8) | p[i + 1]);
    if (i < len)
        sum += (uint32_t)p[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}
