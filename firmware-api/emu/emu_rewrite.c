/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header rewrite actions of the emulated card's packet engine
 * (emu_packet.h). Both the emulated eSwitch and, through it, every
 * comparison with the software datapath depend on these being exact, so
 * each action's meaning is written next to its code.
 *
 * Headers are found through the caller's layout, which emu_parse or a
 * previous emu_rewrite filled for this very frame; every offset is still
 * checked against f->len, so a stale layout can give a wrong result but
 * never an out-of-bounds access. Checksums are updated incrementally
 * (RFC 1624, eqn. 3), so a frame whose checksum was wrong stays wrong by
 * the same amount, as on real hardware; a field written with the value it
 * holds patches no checksum (emu_csum.c), as in snicd's software datapath.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include "emu_packet.h"
#include "snic_hash.h"

#define ETH_HLEN_       14u
#define MACS_LEN_       12u
#define VLAN_HLEN_      4u
#define IPV4_HLEN_      20u
#define IPV6_HLEN_      40u
#define UDP_HLEN_       8u
#define TCP_HLEN_       20u
#define VXLAN_HLEN_     8u
#define VXLAN_ENCAP_LEN (ETH_HLEN_ + IPV4_HLEN_ + UDP_HLEN_ + VXLAN_HLEN_)

static inline uint16_t
act_type(const struct fw_action *act)
{
    return le16toh(act->type);
}

/* @need bytes at @off, or NULL: the layout's word is never taken blindly. */
static uint8_t *
hdr_at(const struct emu_frame *f, int off, uint32_t need)
{
    if (off < 0 || (uint32_t)off + need > f->len)
        return NULL;
    return f->data + off;
}

/* ------------------------------------------------------------------------
 * Checksums
 * ------------------------------------------------------------------------ */

static void
csum_fix16(uint8_t *csum_field, uint16_t old, uint16_t new)
{
    uint8_t o[2], n[2];

    emu_wr16(o, old);
    emu_wr16(n, new);
    emu_csum_fix(csum_field, o, n, 1);
}

/* ------------------------------------------------------------------------
 * Growing and shrinking the frame at its front
 * ------------------------------------------------------------------------ */

/*
 * Make @n more bytes in front of the frame, which is then @n bytes longer
 * and starts with them (uninitialised). Uses the headroom; when it is short,
 * slides the frame into the tailroom first. False, frame untouched, when the
 * result would exceed what the card carries or the buffer has no room.
 */
static bool
frame_push(struct emu_frame *f, uint32_t n)
{
    if (f->len + n > FW_PKT_BUF_SIZE)
        return false;
    if (f->headroom < n) {
        uint32_t shift = n - f->headroom;
        if (f->tailroom < shift)
            return false;
        memmove(f->data + shift, f->data, f->len);
        f->data += shift;
        f->headroom += shift;
        f->tailroom -= shift;
    }
    f->data -= n;
    f->headroom -= n;
    f->len += n;
    return true;
}

/* Drop the first @n bytes (the caller checked n <= len). */
static void
frame_pull(struct emu_frame *f, uint32_t n)
{
    f->data += n;
    f->headroom += n;
    f->len -= n;
}

/* ------------------------------------------------------------------------
 * VLAN
 * ------------------------------------------------------------------------ */

/* Insert a tag right after the MACs; it becomes the outer tag. A zero TPID
 * in the action means 802.1Q. A frame too short to hold the MACs and an
 * EtherType is not Ethernet and cannot carry a tag: dropped. */
static bool
act_push_vlan(struct emu_frame *f, const struct fw_action *act)
{
    uint16_t tpid = ntohs(act->u.push_vlan.tpid);

    if (f->len < ETH_HLEN_ || !frame_push(f, VLAN_HLEN_))
        return false;
    memmove(f->data, f->data + VLAN_HLEN_, MACS_LEN_);
    emu_wr16(f->data + MACS_LEN_, tpid ? tpid : 0x8100);
    memcpy(f->data + MACS_LEN_ + 2, &act->u.push_vlan.tci, 2);
    return true;
}

/* Remove the outer tag; an untagged frame is dropped (OpenFlow's
 * pop_vlan on an untagged packet has no meaning). */
static bool
act_pop_vlan(struct emu_frame *f, const struct emu_layout *lay)
{
    if (lay->vlan != (int16_t)MACS_LEN_ ||
        hdr_at(f, lay->vlan, VLAN_HLEN_ + 2) == NULL)
        return false;
    memmove(f->data + VLAN_HLEN_, f->data, MACS_LEN_);
    frame_pull(f, VLAN_HLEN_);
    return true;
}

/*
 * Modify the outer tag's VID or PCP. Hardware semantics: modify only. On an
 * untagged frame nothing happens (unlike OpenFlow 1.0's mod_vlan_vid, which
 * would push a tag); the DEI bit of the frame is kept as it was.
 */
static bool
act_set_vlan(struct emu_frame *f, const struct fw_action *act,
             const struct emu_layout *lay)
{
    uint8_t *tag = hdr_at(f, lay->vlan, VLAN_HLEN_);

    if (tag == NULL)
        return true;
    uint16_t tci = emu_rd16(tag + 2);
    if (act_type(act) == FW_ACT_SET_VLAN_VID)
        tci = (uint16_t)((tci & 0xf000u) |
                         (ntohs(act->u.set_vid.vid) & 0x0fffu));
    else
        tci = (uint16_t)((tci & 0x1fffu) | ((act->u.set_pcp.pcp & 7u) << 13));
    emu_wr16(tag + 2, tci);
    return true;
}

/* ------------------------------------------------------------------------
 * VXLAN
 * ------------------------------------------------------------------------ */

/*
 * Outer UDP source port chosen from the inner flow, so that ECMP on the
 * underlay spreads flows but keeps each one on a path (RFC 7348 5.).
 * Hashes the flow identity of the inner frame's key: not the ingress vport,
 * TTL or TOS, which do not name a flow. common/snic_hash.h, then the
 * 14-bit dynamic port range 49152..65535.
 */
static uint16_t
vxlan_src_port(const struct fw_match *inner)
{
    struct fw_match k = *inner;

    k.src_vport = 0;
    k.ip_ttl = 0;
    k.ip_tos = 0;
    return (uint16_t)(49152u +
                      (snic_hash_bytes(&k, sizeof(k), SNIC_HASH_BASIS)
                       & 0x3fffu));
}

/*
 * Prepend Ethernet (eth_dst, eth_src, IPv4) + IPv4 (tos, ttl, DF, id 0,
 * protocol UDP, header checksum) + UDP (checksum 0, allowed over IPv4) +
 * VXLAN (I flag, VNI). The IPv4 and UDP lengths cover the whole inner frame.
 */
static bool
act_vxlan_encap(struct emu_frame *f, const struct fw_action *act,
                const struct fw_match *key)
{
    const struct fw_vxlan_encap *e = &act->u.vxlan_encap;
    uint32_t inner_len = f->len;
    uint16_t sport = ntohs(e->udp_src);
    uint32_t vni = le32toh(e->vni) & 0xffffffu;

    if (sport == 0)
        sport = vxlan_src_port(key);
    if (!frame_push(f, VXLAN_ENCAP_LEN))
        return false;

    uint8_t *p = f->data;
    memcpy(p, e->eth_dst, 6);
    memcpy(p + 6, e->eth_src, 6);
    emu_wr16(p + 12, 0x0800);

    uint8_t *ip = p + ETH_HLEN_;
    ip[0] = 0x45;
    ip[1] = e->tos;
    emu_wr16(ip + 2, (uint16_t)(IPV4_HLEN_ + UDP_HLEN_ + VXLAN_HLEN_ + inner_len));
    emu_wr16(ip + 4, 0);            /* id: DF set, never fragmented */
    emu_wr16(ip + 6, 0x4000);
    ip[8] = e->ttl;
    ip[9] = EMU_PROTO_UDP;
    emu_wr16(ip + 10, 0);
    memcpy(ip + 12, &e->ipv4_src, 4);
    memcpy(ip + 16, &e->ipv4_dst, 4);
    emu_wr16(ip + 10, emu_csum(ip, IPV4_HLEN_));

    uint8_t *udp = ip + IPV4_HLEN_;
    emu_wr16(udp, sport);
    memcpy(udp + 2, &e->udp_dst, 2);
    emu_wr16(udp + 4, (uint16_t)(UDP_HLEN_ + VXLAN_HLEN_ + inner_len));
    emu_wr16(udp + 6, 0);

    uint8_t *vx = udp + UDP_HLEN_;
    vx[0] = 0x08;
    vx[1] = vx[2] = vx[3] = 0;
    vx[4] = (uint8_t)(vni >> 16);
    vx[5] = (uint8_t)(vni >> 8);
    vx[6] = (uint8_t)vni;
    vx[7] = 0;
    return true;
}

/*
 * Strip everything up to and including the VXLAN header (outer Ethernet,
 * optional tag, IPv4 or IPv6, UDP, VXLAN). Bytes past the UDP length are
 * outer padding and go too. A frame that is not VXLAN, or whose inner frame
 * is shorter than an Ethernet header, is dropped.
 */
static bool
act_vxlan_decap(struct emu_frame *f, const struct emu_layout *lay)
{
    uint8_t *udp = hdr_at(f, lay->l4, UDP_HLEN_);

    if (hdr_at(f, lay->vxlan, VXLAN_HLEN_) == NULL || udp == NULL ||
        lay->vxlan != lay->l4 + (int)UDP_HLEN_)
        return false;
    uint32_t inner = (uint32_t)lay->vxlan + VXLAN_HLEN_;
    uint32_t end = f->len;
    uint32_t udp_len = emu_rd16(udp + 4);
    if (udp_len >= UDP_HLEN_ + VXLAN_HLEN_ && lay->l4 + udp_len < end)
        end = (uint32_t)lay->l4 + udp_len;
    if (end - inner < ETH_HLEN_)
        return false;

    f->tailroom += f->len - end;
    f->len = end;
    frame_pull(f, inner);
    return true;
}

/* ------------------------------------------------------------------------
 * IP and L4 fields
 * ------------------------------------------------------------------------ */

/* New IPv4 source or destination: the header checksum and, through the
 * pseudo-header, the TCP/UDP checksum. */
static bool
act_set_ipv4(struct emu_frame *f, const struct fw_action *act,
             const struct emu_layout *lay)
{
    uint8_t *ip = hdr_at(f, lay->l3, IPV4_HLEN_);

    if (ip == NULL || lay->l3_kind != 4)
        return true;
    uint8_t *field = ip + (act_type(act) == FW_ACT_SET_IPV4_SRC ? 12 : 16);
    uint8_t old[4], new[4];
    memcpy(old, field, 4);
    memcpy(new, &act->u.set_ipv4.addr, 4);
    memcpy(field, new, 4);
    emu_csum_fix(ip + 10, old, new, 2);
    emu_l4_csum_fix(f, lay, old, new, 2);
    return true;
}

/* New TCP or UDP port; ICMP and others are left alone. */
static bool
act_set_l4(struct emu_frame *f, const struct fw_action *act,
           const struct emu_layout *lay)
{
    uint32_t need = lay->l4_proto == EMU_PROTO_TCP ? TCP_HLEN_ : UDP_HLEN_;
    uint8_t *l4 = hdr_at(f, lay->l4, need);

    if (l4 == NULL ||
        (lay->l4_proto != EMU_PROTO_TCP && lay->l4_proto != EMU_PROTO_UDP))
        return true;
    uint8_t *field = l4 + (act_type(act) == FW_ACT_SET_L4_SRC ? 0 : 2);
    uint8_t old[2], new[2];
    memcpy(old, field, 2);
    memcpy(new, &act->u.set_l4.port, 2);
    memcpy(field, new, 2);
    emu_l4_csum_fix(f, lay, old, new, 1);
    return true;
}

/* TTL or hop limit minus one; a packet that arrives with 0 or 1 would
 * leave with 0 and is dropped instead, as a router does. */
static bool
act_dec_ttl(struct emu_frame *f, const struct fw_match *key,
            const struct emu_layout *lay)
{
    uint8_t *ip;

    /* An IP frame whose header the parser could not read (too short,
     * a total or payload length past the frame, an IPv6 extension chain
     * that does not fit) has no TTL to read: it is taken as 0 and the
     * frame dropped, as the software datapath does (Open vSwitch reads
     * nw_ttl 0 there). */
    if (lay->l3_kind == 0)
        return key->eth_type != htons(0x0800)
               && key->eth_type != htons(0x86dd);
    if (lay->l3_kind == 4 && (ip = hdr_at(f, lay->l3, IPV4_HLEN_)) != NULL) {
        if (ip[8] <= 1)
            return false;
        uint16_t old = emu_rd16(ip + 8);    /* TTL shares a word with protocol */
        ip[8]--;
        csum_fix16(ip + 10, old, emu_rd16(ip + 8));
    } else if (lay->l3_kind == 6 &&
               (ip = hdr_at(f, lay->l3, IPV6_HLEN_)) != NULL) {
        if (ip[7] <= 1)
            return false;
        ip[7]--;
    }
    return true;
}

/* The whole TOS / traffic class byte (DSCP and ECN). IPv6 has no header
 * checksum; its traffic class straddles the version and flow label. */
static bool
act_set_tos(struct emu_frame *f, const struct fw_action *act,
            const struct emu_layout *lay)
{
    uint8_t tos = act->u.set_tos.tos;
    uint8_t *ip;

    if (lay->l3_kind == 4 && (ip = hdr_at(f, lay->l3, IPV4_HLEN_)) != NULL) {
        uint16_t old = emu_rd16(ip);
        ip[1] = tos;
        csum_fix16(ip + 10, old, emu_rd16(ip));
    } else if (lay->l3_kind == 6 &&
               (ip = hdr_at(f, lay->l3, IPV6_HLEN_)) != NULL) {
        ip[0] = (uint8_t)((ip[0] & 0xf0u) | (tos >> 4));
        ip[1] = (uint8_t)((ip[1] & 0x0fu) | (uint8_t)(tos << 4));
    }
    return true;
}

/* ------------------------------------------------------------------------
 * MPLS (ABI 1.10, docs/firmware-abi.md section 6.5)
 *
 * The label stack is where snicd's software datapath finds it
 * (offload/dp_mpls.c), so that a rule the card runs and a flow software
 * runs give a frame the same bytes: after up to two VLAN tags (the parser
 * reads one; the rewrites look through two, as Open vSwitch does), a
 * stack of at most FW_MPLS_STACK_MAX entries counted down to the first
 * with the bottom-of-stack bit. Where software gives up on a packet whole
 * (a push onto three entries, a pop from three of which none is the
 * bottom) the card drops the frame.
 * ------------------------------------------------------------------------ */

static inline uint32_t
rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
    emu_wr16(p, (uint16_t)(v >> 16));
    emu_wr16(p + 2, (uint16_t)v);
}

static inline bool
is_mpls_type(uint16_t t)
{
    return t == FW_ETH_MPLS || t == FW_ETH_MPLS_MC;
}

/* Offset of the EtherType in front of the network header: past the MACs
 * and up to two tags, each taken only with its TCI and the next type in
 * the frame. The caller made sure of 14 bytes. */
static uint32_t
mpls_type_ofs(const struct emu_frame *f)
{
    uint32_t ofs = MACS_LEN_;

    for (int i = 0; i < 2 && ofs + 6 <= f->len; i++) {
        uint16_t t = emu_rd16(f->data + ofs);

        if (t != 0x8100u && t != 0x88a8u)
            break;
        ofs += VLAN_HLEN_;
    }
    return ofs;
}

/* Entries from @ofs down to the bottom one, at most FW_MPLS_STACK_MAX;
 * *@bottom: the last one counted has the bit. Only whole entries count. */
static unsigned
mpls_depth(const struct emu_frame *f, uint32_t ofs, bool *bottom)
{
    unsigned n = 0;

    *bottom = false;
    while (n < FW_MPLS_STACK_MAX && ofs + 4 <= f->len) {
        n++;
        if (rd32(f->data + ofs) & FW_MPLS_BOS) {
            *bottom = true;
            break;
        }
        ofs += 4;
    }
    return n;
}

/* The entry a push onto a frame without a stack makes: label 0 (2, the
 * IPv6 explicit null, over IPv6), TC from the DSCP's low 3 bits, TTL from
 * the IP header (64 without one, or for 0), bottom of stack. The IP
 * header counts only where the parser took it right behind this
 * EtherType: not behind two tags or a SNAP header, not one it could not
 * read whole (Open vSwitch's flow has no TTL for those either). */
static uint32_t
mpls_first_entry(const struct emu_frame *f, const struct emu_layout *lay,
                 uint32_t tofs, uint16_t type)
{
    const uint8_t *ip = NULL;
    uint8_t tos = 0, ttl = 0;

    if (lay->l3 >= 0 && (uint32_t)lay->l3 == tofs + 2) {
        if (lay->l3_kind == 4 && (ip = hdr_at(f, lay->l3, IPV4_HLEN_))) {
            tos = ip[1];
            ttl = ip[8];
        } else if (lay->l3_kind == 6 &&
                   (ip = hdr_at(f, lay->l3, IPV6_HLEN_))) {
            tos = (uint8_t)((ip[0] & 0x0fu) << 4 | ip[1] >> 4);
            ttl = ip[7];
        }
    }
    return (type == 0x86ddu ? 2u << 12 : 0u) |
           (uint32_t)((tos >> 2) & 7u) << 9 | FW_MPLS_BOS |
           (ttl != 0 ? ttl : 64u);
}

/* A new top entry after the tags: a copy of the top one without the
 * bottom bit on an MPLS frame, else mpls_first_entry(); the EtherType in
 * front becomes the action's. Three entries already: dropped, as is a
 * frame the push would make longer than the card carries. */
static bool
act_push_mpls(struct emu_frame *f, const struct fw_action *act,
              const struct emu_layout *lay)
{
    uint32_t tofs, lse;
    uint16_t type;
    unsigned n = 0;
    bool bottom;

    if (f->len < ETH_HLEN_)
        return true;
    tofs = mpls_type_ofs(f);
    type = emu_rd16(f->data + tofs);
    if (is_mpls_type(type))
        n = mpls_depth(f, tofs + 2, &bottom);
    if (n >= FW_MPLS_STACK_MAX)
        return false;
    lse = n > 0 ? rd32(f->data + tofs + 2) & ~FW_MPLS_BOS
                : mpls_first_entry(f, lay, tofs, type);
    if (!frame_push(f, 4))
        return false;
    memmove(f->data, f->data + 4, tofs + 2);
    memcpy(f->data + tofs, &act->u.mpls.ethertype, 2);
    wr32(f->data + tofs + 2, lse);
    return true;
}

/* To an MPLS EtherType the top entry goes, to any other the whole stack;
 * the EtherType in front becomes the action's. A frame that is not MPLS,
 * or has no whole entry, is left alone; a stack of three without its
 * bottom (what lies under it is unknown) drops the frame. */
static bool
act_pop_mpls(struct emu_frame *f, const struct fw_action *act)
{
    uint32_t tofs, cut;
    unsigned n;
    bool bottom;

    if (f->len < ETH_HLEN_)
        return true;
    tofs = mpls_type_ofs(f);
    if (!is_mpls_type(emu_rd16(f->data + tofs)))
        return true;
    n = mpls_depth(f, tofs + 2, &bottom);
    if (n == 0)
        return true;
    if (n == FW_MPLS_STACK_MAX && !bottom)
        return false;
    cut = is_mpls_type(ntohs(act->u.mpls.ethertype)) ? 4u : 4u * n;
    memmove(f->data + cut, f->data, tofs + 2);
    frame_pull(f, cut);
    memcpy(f->data + tofs, &act->u.mpls.ethertype, 2);
    return true;
}

/* The top entry of an MPLS frame with a whole one, or NULL. */
static uint8_t *
mpls_top(const struct emu_frame *f)
{
    uint32_t tofs;

    if (f->len < ETH_HLEN_)
        return NULL;
    tofs = mpls_type_ofs(f);
    if (!is_mpls_type(emu_rd16(f->data + tofs)) || tofs + 6 > f->len)
        return NULL;
    return f->data + tofs + 2;
}

/* SET_MPLS_TTL leaves a frame without an entry alone; DEC_MPLS_TTL drops
 * it, and one whose TTL is 0 or 1 (Open vSwitch's "MPLS decrement TTL
 * exception" ends the flow's actions there: nothing after is sent). */
static bool
act_mpls_ttl(struct emu_frame *f, const struct fw_action *act)
{
    uint8_t *lse = mpls_top(f);

    if (act_type(act) == FW_ACT_SET_MPLS_TTL) {
        if (lse != NULL)
            lse[3] = act->u.set_mpls_ttl.ttl;
        return true;
    }
    if (lse == NULL || lse[3] <= 1)
        return false;
    lse[3]--;
    return true;
}

/* ------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------ */

static bool
apply(struct emu_frame *f, const struct fw_action *act,
      const struct fw_match *key, const struct emu_layout *lay)
{
    switch (act_type(act)) {
    case FW_ACT_PUSH_VLAN:
        return act_push_vlan(f, act);
    case FW_ACT_POP_VLAN:
        return act_pop_vlan(f, lay);
    case FW_ACT_SET_VLAN_VID:
    case FW_ACT_SET_VLAN_PCP:
        return act_set_vlan(f, act, lay);
    case FW_ACT_VXLAN_ENCAP:
        return act_vxlan_encap(f, act, key);
    case FW_ACT_VXLAN_DECAP:
        return act_vxlan_decap(f, lay);
    case FW_ACT_SET_MAC_SRC:
    case FW_ACT_SET_MAC_DST:
        /* a runt without a whole Ethernet header has no MACs to set */
        if (f->len >= ETH_HLEN_)
            memcpy(f->data + (act_type(act) == FW_ACT_SET_MAC_SRC ? 6 : 0),
                   act->u.set_mac.mac, 6);
        return true;
    case FW_ACT_SET_IPV4_SRC:
    case FW_ACT_SET_IPV4_DST:
        return act_set_ipv4(f, act, lay);
    case FW_ACT_SET_L4_SRC:
    case FW_ACT_SET_L4_DST:
        return act_set_l4(f, act, lay);
    case FW_ACT_DEC_TTL:
        return act_dec_ttl(f, key, lay);
    case FW_ACT_SET_IP_TOS:
        return act_set_tos(f, act, lay);
    case FW_ACT_PUSH_MPLS:
        return act_push_mpls(f, act, lay);
    case FW_ACT_POP_MPLS:
        return act_pop_mpls(f, act);
    case FW_ACT_SET_MPLS_TTL:
    case FW_ACT_DEC_MPLS_TTL:
        return act_mpls_ttl(f, act);
    case FW_ACT_MODIFY_SET:
    case FW_ACT_MODIFY_COPY:
        return emu_modify(f, act, lay);
    default:
        /* fates, COUNT and MARK do not touch headers: the pipeline runs
         * them; here they are no-ops */
        return true;
    }
}

bool
emu_rewrite(struct emu_frame *f, const struct fw_action *act,
            struct fw_match *key, struct emu_layout *lay)
{
    bool ok = apply(f, act, key, lay);

    emu_parse(f, le16toh(key->src_vport), key, lay);
    return ok;
}
