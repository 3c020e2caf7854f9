/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser, rule matcher and Internet checksum of the emulated card's
 * packet engine (emu_packet.h).
 *
 * What the parser understands, and what it deliberately does not:
 * - Ethernet II, then at most ONE outer VLAN tag (TPID 0x8100 or 0x88a8).
 *   eth_type is the EtherType right after that tag, so a QinQ frame shows
 *   0x8100 as eth_type and its inner tag is not looked at. A type below
 *   0x0600 is an 802.3 length: eth_type is then 0x05ff, or the EtherType of
 *   an RFC 1042 SNAP header (AA AA 03, OUI 0), whose payload is parsed.
 * - The IP rules are Open vSwitch's, as snicd's software datapath reads
 *   packets the same way (docs/datapath.md): an IP header whose lengths do
 *   not fit the frame is not read at all.
 * - IPv4: IHL >= 5, the whole header (options included) present, total
 *   length >= header length and inside the frame, at most 255 bytes of
 *   Ethernet padding after it (never taken for L4 bytes); the version
 *   nibble is not checked. A fragment with a non-zero offset has no L4
 *   header. ip_frag comes from MF and the offset (fw_abi.h).
 * - IPv6: the fixed header, a payload length inside the frame (and at most
 *   255 bytes of padding), then extension headers (hop-by-hop, routing,
 *   destination options, AH, fragment) are skipped to the upper-layer
 *   header, whose number is ip_proto; a later fragment stops there with
 *   ip_proto 44. A chain that does not fit leaves the addresses only.
 *   ip_frag comes from the first Fragment header of the chain (its offset
 *   and M flag; any Fragment header, an atomic one too, sets IS).
 * - L4: TCP (ports; whole header incl. options present), UDP (ports),
 *   ICMP under IPv4 and ICMPv6 under IPv6 (type, code; 8-byte header).
 * - VXLAN: UDP destination port 4789 and the 8-byte VXLAN header present;
 *   like hardware that classifies by port, the I flag is not checked.
 *   The key keeps the outer headers and adds the VNI; the inner frame is not
 *   parsed (after VXLAN_DECAP a re-parse sees it).
 * - MPLS (ABI 1.10): behind the EtherType 0x8847 or 0x8848 right after
 *   the outer tag (not behind SNAP, as Open vSwitch reads LLC), the top
 *   label stack entry when 4 bytes of it are in the frame, into
 *   mpls_lse; nothing under the stack is read (its protocol is not in
 *   the frame).
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
#define ICMPV6_HLEN_    8u
#define VXLAN_HLEN_     8u
#define VXLAN_PORT_     4789u

#define ETYPE_IPV4      0x0800u
#define ETYPE_IPV6      0x86ddu
#define ETYPE_VLAN      0x8100u
#define ETYPE_QINQ      0x88a8u

#define IPV6_FRAG_HLEN_ 8u

/* The matcher below compares 64-bit words. */
static_assert(sizeof(struct fw_match) == 80, "fw_match is 80 bytes");
static_assert(sizeof(struct fw_match) % sizeof(uint64_t) == 0,
              "fw_match is a whole number of 64-bit words");

/* L4 after an IP header; @end is where the IP payload ends in the frame. */
static void
parse_l4(const struct emu_frame *f, uint32_t off, uint32_t end, uint8_t proto,
         uint8_t l3_kind, struct fw_match *key, struct emu_layout *lay)
{
    const uint8_t *p = f->data + off;
    uint32_t avail = end > off ? end - off : 0;

    switch (proto) {
    case EMU_PROTO_TCP: {
        if (avail < TCP_HLEN_MIN)
            return;
        uint32_t hlen = (uint32_t)(p[12] >> 4) * 4u;
        if (hlen < TCP_HLEN_MIN || hlen > avail) {
            /* no header to the key, but a checksum to keep */
            lay->tcp_raw = (int16_t)off;
            return;
        }
        memcpy(&key->l4_src, p, 2);
        memcpy(&key->l4_dst, p + 2, 2);
        break;
    }
    case EMU_PROTO_UDP:
        if (avail < UDP_HLEN_)
            return;
        memcpy(&key->l4_src, p, 2);
        memcpy(&key->l4_dst, p + 2, 2);
        if (emu_rd16(p + 2) == VXLAN_PORT_ && avail >= UDP_HLEN_ + VXLAN_HLEN_) {
            const uint8_t *vx = p + UDP_HLEN_;
            uint32_t vni = ((uint32_t)vx[4] << 16) | ((uint32_t)vx[5] << 8) |
                           vx[6];
            key->vxlan_vni = htole32(vni);
            lay->vxlan = (int16_t)(off + UDP_HLEN_);
        }
        break;
    case EMU_PROTO_ICMP:
        /* ICMP belongs to IPv4 only; protocol 1 inside IPv6 is not ICMP */
        if (l3_kind != 4 || avail < ICMP_HLEN_)
            return;
        key->icmp_type = p[0];
        key->icmp_code = p[1];
        break;
    case EMU_PROTO_ICMPV6:
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

    if (avail < IPV4_HLEN_MIN)
        return;
    uint32_t hlen = (uint32_t)(p[0] & 0x0f) * 4u;
    uint32_t tot = emu_rd16(p + 2);
    if (hlen < IPV4_HLEN_MIN || hlen > avail || tot < hlen || tot > avail ||
        avail - tot > 255)
        return;

    key->ip_tos = p[1];
    key->ip_ttl = p[8];
    key->ip_proto = p[9];
    memcpy(&key->ipv4_src, p + 12, 4);
    memcpy(&key->ipv4_dst, p + 16, 4);
    lay->l3 = (int16_t)off;
    lay->l3_kind = 4;

    uint16_t frag = emu_rd16(p + 6);
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

/*
 * IPv6 extension headers from @off to the upper-layer header: hop-by-hop,
 * routing, destination options ((len + 1) * 8 bytes), AH ((len + 2) * 4)
 * and fragment (8), each at least 8 bytes. Returns the upper-layer
 * header's offset with its number in *@proto, or 0 when a header does not
 * fit before @end; a later fragment stops the walk (*@later, *@proto 44).
 * *@frag gets the first Fragment header's offset-and-flags word.
 */
static uint32_t
ipv6_skip_ext(const struct emu_frame *f, uint32_t off, uint32_t end,
              uint8_t *proto, bool *later, int32_t *frag)
{
    for (;;) {
        const uint8_t *h = f->data + off;
        uint32_t size;

        if (*proto != 0 && *proto != 43 && *proto != 44 && *proto != 51 &&
            *proto != 60)
            return off;
        if (end - off < 8)
            return 0;
        if (*proto == EMU_PROTO_IPV6_FRAG) {
            size = IPV6_FRAG_HLEN_;
            if (*frag < 0)
                *frag = emu_rd16(h + 2);
            if ((emu_rd16(h + 2) & 0xfff8u) != 0) {
                *later = true;
                return off + 8;
            }
        } else if (*proto == 51) {
            size = ((uint32_t)h[1] + 2) * 4;
        } else {
            size = ((uint32_t)h[1] + 1) * 8;
        }
        if (size > end - off)
            return 0;
        *proto = h[0];
        off += size;
    }
}

static void
parse_ipv6(const struct emu_frame *f, uint32_t off, struct fw_match *key,
           struct emu_layout *lay)
{
    const uint8_t *p = f->data + off;
    uint32_t avail = f->len - off;

    if (avail < IPV6_HLEN_)
        return;
    uint32_t plen = emu_rd16(p + 4);
    uint32_t room = avail - IPV6_HLEN_;
    if (plen > room || room - plen > 255)
        return;
    memcpy(key->ipv6_src, p + 8, 16);
    memcpy(key->ipv6_dst, p + 24, 16);
    uint32_t end = off + IPV6_HLEN_ + plen;
    uint8_t proto = p[6];
    bool later = false;
    int32_t frag = -1;
    uint32_t l4 = ipv6_skip_ext(f, off + IPV6_HLEN_, end, &proto, &later,
                                &frag);
    if (l4 == 0)
        return;                     /* the addresses, nothing more */
    if (frag >= 0)                  /* offset (13 bits) << 3 | 2 res | M */
        key->ip_frag = (uint8_t)(FW_IP_FRAG_IS |
                                 ((frag & 0xfff8) ? FW_IP_FRAG_LATER : 0) |
                                 ((frag & 0x0001) ? FW_IP_FRAG_MORE : 0));
    key->ip_tos = (uint8_t)((p[0] << 4) | (p[1] >> 4));
    key->ip_proto = proto;
    key->ip_ttl = p[7];
    lay->l3 = (int16_t)off;
    lay->l3_kind = 6;
    if (!later)
        parse_l4(f, l4, end, proto, 6, key, lay);
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
    lay->tcp_raw = -1;
    lay->l3_kind = 0;
    lay->l4_proto = 0;

    if (f->len < ETH_HLEN_)
        return;
    const uint8_t *p = f->data;
    memcpy(key->eth_dst, p, 6);
    memcpy(key->eth_src, p + 6, 6);

    uint32_t off = 12;
    uint16_t etype = emu_rd16(p + off);
    if (etype == ETYPE_VLAN || etype == ETYPE_QINQ) {
        /* a tag cut short leaves both vlan_tci and eth_type unknown (0) */
        if (f->len < ETH_HLEN_ + VLAN_HLEN_)
            return;
        uint16_t tci = emu_rd16(p + off + 2);
        /* DEI is not matchable; its bit position carries "present" */
        key->vlan_tci = htons((uint16_t)(tci | FW_VLAN_TCI_PRESENT));
        lay->vlan = (int16_t)off;
        off += VLAN_HLEN_;
        etype = emu_rd16(p + off);
    }
    off += 2;
    bool llc = etype < 0x0600u;
    if (llc) {
        /* 802.3 length: LLC, with an EtherType only behind RFC 1042 SNAP */
        static const uint8_t snap[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };
        if (f->len - off >= 8 && memcmp(p + off, snap, 6) == 0 &&
            emu_rd16(p + off + 6) >= 0x0600u) {
            etype = emu_rd16(p + off + 6);
            off += 8;
        } else {
            etype = 0x05ffu;
        }
    }
    key->eth_type = htons(etype);

    if ((etype == FW_ETH_MPLS || etype == FW_ETH_MPLS_MC) &&
        !llc && f->len - off >= 4)
        memcpy(&key->mpls_lse, p + off, 4);
    else if (etype == ETYPE_IPV4)
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
