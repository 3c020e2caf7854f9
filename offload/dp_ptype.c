/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decap() and encap(ethernet) on a frame (encap(mpls) and the decap of
 * MPLS are dp_mpls.c's), with the meaning Open vSwitch
 * 3.1 gives them (its translation's generic decap and encap):
 *
 *  - decap of an Ethernet packet takes the Ethernet header off, up to
 *    the header after it (an LLC/SNAP header with it), and the packet is
 *    of type (1, EtherType) from then on: the EtherType before that
 *    header (0x05ff for LLC without SNAP, what dl_type says). A packet
 *    with a VLAN tag cannot be decapsulated: Open vSwitch's translation
 *    fails and the packet is dropped whole (DP_ACT_FAIL).
 *  - decap of a packet without an Ethernet header: MPLS is dp_mpls.c's;
 *    Open vSwitch decaps NSH there too, snic not yet, and any other type
 *    fails the translation as in Open vSwitch (DP_ACT_FAIL).
 *  - encap(ethernet) of a packet of type (1, T) puts a header with zero
 *    addresses and EtherType T on it; of an Ethernet packet it fails the
 *    translation (DP_ACT_FAIL).
 *
 * The layout is read again after each, so what follows sees the frame as
 * it now is.
 */
#include "dp_priv.h"

static void
relayout(struct dp_pkt *pkt)
{
    struct flow_key scratch;

    dp_extract_pkt(pkt, &scratch, &pkt->layout);
}

enum dp_act_result
dp_decap(struct dp_pkt *pkt, const struct flow_action *a)
{
    size_t ofs = pkt->layout.l3_ofs;
    uint16_t type;

    if (pkt->packet_type == FLOW_PT(FLOW_PT_NS_ETHERTYPE, DP_ETH_MPLS)
        || pkt->packet_type == FLOW_PT(FLOW_PT_NS_ETHERTYPE, DP_ETH_MPLSM))
        return dp_mpls_decap(pkt, a);
    if (pkt->packet_type != FLOW_PT_ETH
        || (pkt->layout.flags & DP_L_VLAN) || ofs < 14 || ofs > pkt->buf.len)
        return DP_ACT_FAIL;
    type = (uint16_t)(pkt->buf.data[ofs - 2] << 8 | pkt->buf.data[ofs - 1]);
    if (type < DP_ETH_TYPE_MIN)
        type = FLOW_DL_TYPE_NONE;
    pkt->buf.data += ofs;
    pkt->buf.len -= ofs;
    pkt->buf.headroom += ofs;
    pkt->packet_type = FLOW_PT(FLOW_PT_NS_ETHERTYPE, type);
    relayout(pkt);
    return DP_ACT_DONE;
}

enum dp_act_result
dp_encap_eth(struct dp_pkt *pkt)
{
    uint16_t type = FLOW_PT_TYPE(pkt->packet_type);
    uint8_t *h;

    if (pkt->packet_type == FLOW_PT_ETH)
        return DP_ACT_FAIL;
    if (pkt->buf.headroom < 14)
        return DP_ACT_DROP_NOROOM;
    pkt->buf.data -= 14;
    pkt->buf.len += 14;
    pkt->buf.headroom -= 14;
    h = pkt->buf.data;
    memset(h, 0, 12);
    h[12] = (uint8_t)(type >> 8);
    h[13] = (uint8_t)type;
    pkt->packet_type = FLOW_PT_ETH;
    relayout(pkt);
    return DP_ACT_DONE;
}
