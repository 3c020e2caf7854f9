/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPLS label stack actions on a frame: push_mpls, pop_mpls, set_mpls_*,
 * dec_mpls_ttl, with the meaning Open vSwitch 3.1 gives them.
 *
 * Open vSwitch does not run these on the bytes one by one: its translation
 * keeps a flow (dl_type and the first three label stack entries, the L3
 * fields cleared by a push) and its datapath receives the difference
 * between the packet's flow and the final one. What a packet gets follows
 * from that, and this file reproduces it on the frame:
 *
 *  - The stack is what Open vSwitch's parser reads: the entries after the
 *    EtherType (behind at most two VLAN tags) up to the one with the
 *    bottom-of-stack bit, at most 3 of them. A frame of an MPLS EtherType
 *    with no whole entry has an empty stack, and counts as not MPLS.
 *  - push_mpls on a packet that is not MPLS makes label 0 (2 for IPv6),
 *    TC from the low 3 bits of the DSCP and the IP TTL (64 when there is
 *    none, or it is 0), BOS set; on an MPLS packet a copy of the top entry
 *    with BOS clear. It goes after the VLAN tags, and the EtherType
 *    before it becomes push_mpls's.
 *  - pop_mpls to an MPLS EtherType removes the top entry; to any other
 *    it removes the whole stack (the flow then has no MPLS, so its
 *    datapath actions pop every entry the packet had).
 *  - A push onto 3 entries, or a pop from 3 entries of which none is the
 *    bottom, is an error of the translation: the packet is dropped whole
 *    (DP_ACT_FAIL; the packet path's check run holds back its outputs).
 *  - set_mpls_* and dec_mpls_ttl touch the top entry of an MPLS packet;
 *    dec_mpls_ttl on any other packet, or at TTL 0 or 1, ends the flow's
 *    actions (Open vSwitch's "MPLS decrement TTL exception").
 *
 * After a push or pop the frame's layout is read again, as Open vSwitch
 * reads a popped packet again before it needs its L3 header: the actions
 * that follow see the frame as it now is (no IP header behind a label,
 * the inner one after the last pop).
 */
#include "dp_priv.h"

#define LSE_BOS         0x100u
#define LSE_TTL         0xffu
#define STACK_MAX       3u      /* Open vSwitch's FLOW_MAX_MPLS_LABELS */

static uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t
rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8
           | p[3];
}

static void
wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)(v >> 16));
    wr16(p + 2, (uint16_t)v);
}

static bool
is_mpls(uint16_t type)
{
    return type == DP_ETH_MPLS || type == DP_ETH_MPLSM;
}

/* Offset of the EtherType that precedes the network header: after the
 * MAC addresses and up to two VLAN tags (each needs its TCI and the next
 * type in the frame). Needs a frame of 14 bytes at least. */
static size_t
type_ofs(const struct dp_buf *b)
{
    size_t ofs = 12;

    for (int i = 0; i < 2 && ofs + 6 <= b->len; i++) {
        uint16_t t = rd16(b->data + ofs);

        if (t != DP_ETH_VLAN && t != DP_ETH_QINQ)
            break;
        ofs += 4;
    }
    return ofs;
}

/* Entries of the stack at @ofs as Open vSwitch counts them (see above);
 * *@bottom: the last one counted has BOS. */
static unsigned
stack_depth(const struct dp_buf *b, size_t ofs, bool *bottom)
{
    unsigned n = 0;

    *bottom = false;
    while (n < STACK_MAX && ofs + 4 <= b->len) {
        n++;
        if (rd32(b->data + ofs) & LSE_BOS) {
            *bottom = true;
            break;
        }
        ofs += 4;
    }
    return n;
}

/* Read the layout of the frame as it now is. */
static void
relayout(struct dp_pkt *pkt)
{
    struct flow_key scratch;

    dp_extract_pkt(pkt, &scratch, &pkt->layout);
}

/* The entry a push onto a packet without a stack makes, from what Open
 * vSwitch's flow holds of its IP header (nothing of a header it could
 * not read). */
static uint32_t
first_entry(const struct dp_pkt *pkt, size_t tofs, uint16_t type)
{
    const uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;
    uint32_t label = type == DP_ETH_IPV6 ? 2 : 0;
    uint8_t tos = 0, ttl = 0;

    /* the layout's IP header is the one after this EtherType only when
     * at most one tag comes before it, as the key reads it */
    if (pkt->layout.l3_ofs == tofs + 2) {
        if (pkt->layout.flags & DP_L_IPV4) {
            tos = ip[1];
            ttl = ip[8];
        } else if (pkt->layout.flags & DP_L_IPV6) {
            tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
            ttl = ip[7];
        }
    }
    if (type != DP_ETH_IPV4 && type != DP_ETH_IPV6)
        tos = ttl = 0;
    return label << 12 | (uint32_t)((tos >> 2) & 7) << 9 | LSE_BOS
           | (ttl != 0 ? ttl : 64u);
}

enum dp_act_result
dp_mpls_push(struct dp_pkt *pkt, uint16_t ethertype)
{
    struct dp_buf *b = &pkt->buf;
    size_t ofs;
    uint16_t type;
    uint32_t lse;
    unsigned n = 0;
    bool bottom;

    if (b->len < 14)
        return DP_ACT_DONE;
    ofs = type_ofs(b);
    type = rd16(b->data + ofs);
    if (is_mpls(type))
        n = stack_depth(b, ofs + 2, &bottom);
    if (n >= STACK_MAX)
        return DP_ACT_FAIL;
    lse = n > 0 ? rd32(b->data + ofs + 2) & ~LSE_BOS
                : first_entry(pkt, ofs, type);
    if (b->headroom < 4 || b->len + 4 > UINT16_MAX)
        return DP_ACT_DROP_NOROOM;
    memmove(b->data - 4, b->data, ofs + 2);
    b->data -= 4;
    b->headroom -= 4;
    b->len += 4;
    wr16(b->data + ofs, ethertype);
    wr32(b->data + ofs + 2, lse);
    relayout(pkt);
    return DP_ACT_DONE;
}

enum dp_act_result
dp_mpls_pop(struct dp_pkt *pkt, uint16_t ethertype)
{
    struct dp_buf *b = &pkt->buf;
    size_t ofs, cut;
    unsigned n;
    bool bottom;

    if (b->len < 14)
        return DP_ACT_DONE;
    ofs = type_ofs(b);
    if (!is_mpls(rd16(b->data + ofs)))
        return DP_ACT_DONE;
    n = stack_depth(b, ofs + 2, &bottom);
    if (n == 0)
        return DP_ACT_DONE;
    if (n == STACK_MAX && !bottom)
        return DP_ACT_FAIL;     /* what lies under the third is unknown */
    cut = is_mpls(ethertype) ? 4 : 4 * (size_t)n;
    memmove(b->data + cut, b->data, ofs + 2);
    b->data += cut;
    b->headroom += cut;
    b->len -= cut;
    wr16(b->data + ofs, ethertype);
    relayout(pkt);
    return DP_ACT_DONE;
}

/* The top entry of an MPLS packet, or NULL. */
static uint8_t *
top_entry(struct dp_pkt *pkt)
{
    struct dp_buf *b = &pkt->buf;
    size_t ofs;

    /* after decap the stack starts the frame */
    if (no_eth(pkt))
        return is_mpls(FLOW_PT_TYPE(pkt->packet_type)) && b->len >= 4
               ? b->data : NULL;
    if (b->len < 14)
        return NULL;
    ofs = type_ofs(b);
    if (!is_mpls(rd16(b->data + ofs)) || ofs + 6 > b->len)
        return NULL;
    return b->data + ofs + 2;
}

void
dp_mpls_set(struct dp_pkt *pkt, uint32_t mask, uint32_t bits)
{
    uint8_t *lse = top_entry(pkt);

    if (lse != NULL)
        wr32(lse, (rd32(lse) & ~mask) | (bits & mask));
}

enum dp_act_result
dp_mpls_dec_ttl(struct dp_pkt *pkt)
{
    uint8_t *lse = top_entry(pkt);
    uint32_t v;

    if (lse == NULL)
        return DP_ACT_STOP;
    v = rd32(lse);
    if ((v & LSE_TTL) <= 1)
        return DP_ACT_DROP_TTL;
    wr32(lse, v - 1);
    return DP_ACT_DONE;
}

/*
 * encap(mpls) / encap(mpls_mc), as Open vSwitch 3.1 does them: an entry
 * before whatever the packet is (an Ethernet frame, tags and all, stays
 * whole behind it), label 0; on a packet that is MPLS already (without
 * Ethernet) the top entry's TC and TTL and no BOS, else TC 0, TTL 64 and
 * BOS. The packet is then of type (1, @ethertype).
 */
enum dp_act_result
dp_mpls_encap(struct dp_pkt *pkt, uint16_t ethertype)
{
    struct dp_buf *b = &pkt->buf;
    const uint8_t *top = no_eth(pkt) ? top_entry(pkt) : NULL;
    uint32_t lse = top != NULL ? rd32(top) & (0x7u << 9 | LSE_TTL)
                               : LSE_BOS | 64u;

    if (b->headroom < 4 || b->len + 4 > UINT16_MAX)
        return DP_ACT_DROP_NOROOM;
    b->data -= 4;
    b->headroom -= 4;
    b->len += 4;
    wr32(b->data, lse);
    pkt->packet_type = FLOW_PT(FLOW_PT_NS_ETHERTYPE, ethertype);
    relayout(pkt);
    return DP_ACT_DONE;
}

/*
 * decap of an MPLS packet without Ethernet: decap(packet_type(ns=N,
 * type=T)) takes the top entry off when T is an MPLS type, else the whole
 * stack (as pop_mpls does), and the packet is of type (N,T): (0,0) when
 * an Ethernet frame was under the stack. decap() with no type makes it
 * Open vSwitch's "next protocol" type (1,0xfffe) under a lone entry;
 * under more, Open vSwitch sends nothing, and snicd drops it whole.
 */
enum dp_act_result
dp_mpls_decap(struct dp_pkt *pkt, const struct flow_action *a)
{
    struct dp_buf *b = &pkt->buf;
    uint32_t pt = a->pad0 ? a->u.ptype : FLOW_PT(FLOW_PT_NS_ETHERTYPE,
                                                   0xfffe);
    size_t cut;
    unsigned n;
    bool bottom;

    n = stack_depth(b, 0, &bottom);
    if (n == 0 || (n == STACK_MAX && !bottom) || (!a->pad0 && n > 1))
        return DP_ACT_FAIL;
    if (pt == FLOW_PT_ETH && (!bottom || b->len - 4 * n < 14))
        return DP_ACT_FAIL;
    cut = FLOW_PT_NS(pt) == FLOW_PT_NS_ETHERTYPE
          && is_mpls(FLOW_PT_TYPE(pt)) ? 4 : 4 * (size_t)n;
    b->data += cut;
    b->headroom += cut;
    b->len -= cut;
    pkt->packet_type = pt;
    relayout(pkt);
    return DP_ACT_DONE;
}
