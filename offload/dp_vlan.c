/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VLAN tags on a frame: is there one, push one, strip one, keeping the
 * parsed layout's offsets right. A leaf: the executor's push_vlan,
 * strip_vlan and set-VLAN actions and NORMAL's per-output tags call it; it
 * calls nothing back.
 */
#include "dp_priv.h"
#include "dp_wire.h"

bool
dp_tagged(const struct dp_pkt *pkt)
{
    uint16_t tpid;

    if (pkt->buf.len < 18)
        return false;
    tpid = dp_rd16(pkt->buf.data + 12);
    return tpid == DP_ETH_VLAN || tpid == DP_ETH_QINQ;
}

/* How many VLAN tags follow the MAC addresses (at most 255). */
static unsigned
tag_count(const struct dp_pkt *pkt)
{
    const struct dp_buf *b = &pkt->buf;
    unsigned n = 0;

    for (size_t ofs = 12; n < 255 && ofs + 6 <= b->len; ofs += 4) {
        uint16_t tpid = dp_rd16(b->data + ofs);

        if (tpid != DP_ETH_VLAN && tpid != DP_ETH_QINQ)
            break;
        n++;
    }
    return n;
}

/* The tags as the last output left them, before the first action since
 * then changes them (dp_tci_write()). */
static void
tags_snapshot(struct dp_pkt *pkt)
{
    if (pkt->committed_tci_set)
        return;
    pkt->committed_tags = (uint8_t)tag_count(pkt);
    pkt->committed_tci = pkt->committed_tags > 0 ?
                         dp_rd16(pkt->buf.data + 14) : 0;
    pkt->committed_tci_set = true;
}

static void
shift_layout(struct dp_layout *lay, int delta)
{
    lay->l3_ofs = (uint16_t)(lay->l3_ofs + delta);
    lay->l4_ofs = (uint16_t)(lay->l4_ofs + delta);
    lay->l4_end = (uint16_t)(lay->l4_end + delta);
}

/* Push an outer tag: the old outer tag's VID and PCP are copied (OpenFlow
 * 1.3 names those two), else 0 -- or @tci when @force. Its DEI bit is not
 * copied: every tag Open vSwitch writes has DEI 0, and the card's PUSH_VLAN
 * copies VID and PCP only (docs/firmware-abi.md), so a DEI of 1 on the old
 * tag stays on the old tag alone. */
enum dp_act_result
dp_tag_push(struct dp_pkt *pkt, uint16_t tpid, uint16_t tci, bool force)
{
    struct dp_buf *b = &pkt->buf;

    if (b->len < 14)
        return DP_ACT_DONE;
    if (b->headroom < 4 || b->len + 4 > UINT16_MAX)
        return DP_ACT_DROP_NOROOM;
    tags_snapshot(pkt);
    if (!force)
        tci = dp_tagged(pkt) ? dp_rd16(b->data + 14) & (uint16_t)~FLOW_VLAN_CFI
                             : 0;
    memmove(b->data - 4, b->data, 12);
    b->data -= 4;
    b->headroom -= 4;
    b->len += 4;
    dp_wr16(b->data + 12, tpid);
    dp_wr16(b->data + 14, tci);
    pkt->layout.flags |= DP_L_VLAN;
    shift_layout(&pkt->layout, 4);
    return DP_ACT_DONE;
}

void
dp_tag_strip(struct dp_pkt *pkt)
{
    struct dp_buf *b = &pkt->buf;

    if (!dp_tagged(pkt))
        return;
    tags_snapshot(pkt);
    memmove(b->data + 4, b->data, 12);
    b->data += 4;
    b->headroom += 4;
    b->len -= 4;
    shift_layout(&pkt->layout, -4);
    if (!dp_tagged(pkt))
        pkt->layout.flags &= (uint8_t)~DP_L_VLAN;
}

/* Open vSwitch's commit compares the tags with those of the last output
 * from the innermost out, and writes again (DEI 0) each one from the
 * first that differs; here only the outer tag's DEI can be at stake (a
 * push copies VID and PCP only), and it is kept when the same number of
 * tags is there and the outer one is back to its TCI then. */
void
dp_tci_write(struct dp_pkt *pkt, uint16_t tci)
{
    uint8_t *p = pkt->buf.data + 14;
    uint16_t cur = dp_rd16(p);

    tags_snapshot(pkt);
    tci &= (uint16_t)~FLOW_VLAN_CFI;
    if (pkt->committed_tags > 0 &&
        tci == (pkt->committed_tci & (uint16_t)~FLOW_VLAN_CFI) &&
        tag_count(pkt) == pkt->committed_tags)
        tci = pkt->committed_tci;
    if (tci != cur)
        dp_wr16(p, tci);
}
