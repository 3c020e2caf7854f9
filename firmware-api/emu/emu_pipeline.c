/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet engine: what happens to a frame between entering the eSwitch
 * and leaving it through ops->deliver().
 *
 * Ingress policy (both modes) on a VF's tx: link state, MTU, max_tx_rate
 * (token bucket). Then:
 *  - switchdev: walk the steering tables from group 0's root; actions run
 *    in order on a private copy of the frame; a miss in any table goes to
 *    the ingress vport's representor (queue 0) with the mark so far.
 *  - legacy: VEB switching by destination MAC and VLAN domain, with spoof
 *    check and port VLAN on the VFs.
 * Every frame is counted once in the per-vport stats of where it went or
 * where it was dropped.
 */
#include <arpa/inet.h>
#include <string.h>

#include "snic_clock.h"
#include "emu_dev_priv.h"
#include "emu_packet.h"

#define ETH_HLEN        14u
#define TPID_8021Q      0x8100u
#define TPID_8021AD     0x88a8u

struct emu_buf {
    uint8_t room[EMU_FRAME_ROOM];
    struct emu_frame f;
};

static void
emu_buf_load(struct emu_buf *b, const uint8_t *frame, uint32_t len)
{
    b->f.data = b->room + EMU_FRAME_HEADROOM;
    b->f.len = len;
    b->f.headroom = EMU_FRAME_HEADROOM;
    b->f.tailroom = EMU_FRAME_ROOM - EMU_FRAME_HEADROOM - len;
    memcpy(b->f.data, frame, len);
}

static bool
emu_is_tpid(uint16_t t)
{
    return t == TPID_8021Q || t == TPID_8021AD;
}

/* Outer VLAN id, or -1 when untagged. */
static int
emu_frame_vid(const uint8_t *frame, uint32_t len)
{
    if (len < ETH_HLEN + 4u || !emu_is_tpid(emu_rd16(frame + 12)))
        return -1;
    return emu_rd16(frame + 14) & 0x0fff;
}

/* Bytes after the Ethernet header and up to two tags: what MTU limits. */
static uint32_t
emu_l2_payload(const uint8_t *frame, uint32_t len)
{
    uint32_t off = 12;

    for (int i = 0; i < 2 && off + 4u <= len && emu_is_tpid(emu_rd16(frame + off));
         i++)
        off += 4;
    off += 2;
    return len > off ? len - off : 0;
}

static bool
emu_mtu_ok(const struct emu_dev *dev, uint16_t vport, const uint8_t *frame,
           uint32_t len)
{
    /* the wire carries whatever fits a packet buffer */
    if (vport == FW_VPORT_UPLINK)
        return true;
    return emu_l2_payload(frame, len) <= dev->vports[vport].ctx.mtu;
}

/* ------------------------------------------------------------------------
 * Delivery
 * ------------------------------------------------------------------------ */

/* Out of the eSwitch to the host side of @vport (a VF, or the wire). */
static void
emu_deliver_vport(struct emu_dev *dev, uint16_t vport, const uint8_t *frame,
                  uint32_t len)
{
    struct emu_vport *vp;
    struct emu_dest d = { .kind = EMU_DEST_VPORT, .vport = vport };

    if (!emu_vport_exists(dev, vport))
        return;
    vp = &dev->vports[vport];
    if (!emu_vport_oper_up(dev, vport) || len > FW_PKT_BUF_SIZE ||
        !emu_mtu_ok(dev, vport, frame, len)) {
        vp->stats.rx_dropped++;
        return;
    }
    d.src_vport = vport;
    if (dev->ops.deliver != NULL && dev->ops.deliver(dev->ctx, &d, frame, len)) {
        vp->stats.rx_packets++;
        vp->stats.rx_bytes += len;
    } else {
        vp->stats.rx_dropped++;
    }
}

/* To the host through the representor of @vport, queue @queue; @rss (may
 * be NULL) carries the hash that chose the queue. */
static void
emu_deliver_rep(struct emu_dev *dev, uint16_t vport, uint16_t queue,
                uint16_t src_vport, bool has_mark, uint32_t mark,
                uint32_t meta, const struct emu_rss_pick *rss,
                const uint8_t *frame, uint32_t len)
{
    struct emu_vport *vp;
    struct emu_dest d = {
        .kind = EMU_DEST_REP, .vport = vport, .queue = queue,
        .src_vport = src_vport, .has_mark = has_mark,
        .mark = has_mark ? mark : 0,
        .has_hash = rss != NULL && rss->has_hash,
        .hash = rss != NULL ? rss->hash : 0,
        .meta = meta,
    };

    if (!emu_vport_exists(dev, vport))
        return;
    vp = &dev->vports[vport];
    if (len > FW_PKT_BUF_SIZE) {
        vp->stats.rep_rx_dropped++;
        return;
    }
    if (dev->ops.deliver != NULL && dev->ops.deliver(dev->ctx, &d, frame, len))
        vp->stats.rep_rx_packets++;
    else
        vp->stats.rep_rx_dropped++;
}

/* A frame no rule took, to @vport's representor: queue 0, or spread by
 * the vport's default RSS context. */
static void
emu_miss_to_rep(struct emu_dev *dev, uint16_t vport, uint16_t src_vport,
                bool has_mark, uint32_t mark, uint32_t meta,
                const struct fw_match *key, const struct emu_layout *lay,
                const uint8_t *frame, uint32_t len)
{
    const struct emu_rss_ctx *rc = NULL;
    struct emu_rss_pick pick = { .has_hash = false };

    if (emu_vport_exists(dev, vport))
        rc = emu_rss_get(dev, dev->vports[vport].rss_default);
    if (rc != NULL)
        emu_rss_pick(rc, key, lay, &pick);
    emu_deliver_rep(dev, vport, pick.queue, src_vport, has_mark, mark, meta,
                    rc != NULL ? &pick : NULL, frame, len);
}

/* ------------------------------------------------------------------------
 * Switchdev: the steering walk
 * ------------------------------------------------------------------------ */

/* SET_META / SET_TAG: only the bits under the mask change */
static void
emu_set_reg(uint32_t *reg, const struct fw_action *a)
{
    *reg = (*reg & ~a->u.set_reg.mask) | a->u.set_reg.value;
}

/*
 * The per-packet registers (ABI 1.9) live in @key beside the parsed
 * headers: key.tag[] untouched by parsing, META kept in @meta and put back
 * into key.m after each parse (a rewrite re-parses key.m). They start at
 * zero here, survive JUMPs, and only META leaves the card, with a frame
 * delivered to the host; FWD_VPORT sends the bare frame.
 */
static void
emu_switchdev_walk(struct emu_dev *dev, uint16_t src, const uint8_t *frame,
                   uint32_t len)
{
    struct emu_buf b;
    struct emu_key key;
    uint32_t meta = 0;
    struct emu_layout lay;
    const struct emu_table *t = emu_steer_table(dev, 0);
    const struct emu_rss_ctx *rc;
    struct emu_rss_pick pick;
    bool has_mark = false, parsed = false;
    uint32_t mark = 0;

    emu_buf_load(&b, frame, len);
    memset(key.tag, 0, sizeof(key.tag));
    /* levels strictly grow along jumps, so max_tables bounds the walk */
    for (uint32_t hop = 0; t != NULL && hop < dev->caps.max_tables; hop++) {
        const struct emu_rule *r;
        const struct emu_table *next = NULL;
        uint32_t in_len = b.f.len;

        emu_parse(&b.f, src, &key.m, &lay);
        key.m.meta = meta;
        parsed = true;
        r = emu_steer_lookup(t, &key);
        if (r == NULL)
            break;
        for (unsigned i = 0; i < r->n_actions; i++) {
            const struct fw_action *a = &r->actions[i];

            switch (a->type) {
            case FW_ACT_DROP:
                return;
            case FW_ACT_FWD_VPORT:
                emu_deliver_vport(dev, a->u.fwd.vport, b.f.data, b.f.len);
                break;
            case FW_ACT_FWD_REP:
                emu_deliver_rep(dev, a->u.fwd.vport, a->u.fwd.queue, src,
                                has_mark, mark, meta, NULL, b.f.data,
                                b.f.len);
                break;
            case FW_ACT_RSS:
                if ((rc = emu_rss_get(dev, a->u.rss.ctx_id)) == NULL)
                    break;
                emu_rss_pick(rc, &key.m, &lay, &pick);
                emu_deliver_rep(dev, rc->vport, pick.queue, src, has_mark,
                                mark, meta, &pick, b.f.data, b.f.len);
                break;
            case FW_ACT_SET_META:
                emu_set_reg(&meta, a);
                break;
            case FW_ACT_SET_TAG:
                emu_set_reg(&key.tag[a->u.set_reg.index], a);
                break;
            case FW_ACT_JUMP:
                next = r->jump;
                break;
            case FW_ACT_COUNT:
                emu_counter_hit(dev, a->u.count.counter_id, in_len);
                break;
            case FW_ACT_MARK:
                has_mark = true;
                mark = a->u.mark.id;
                break;
            default:
                if (!emu_rewrite(&b.f, a, &key.m, &lay))
                    return;
                break;
            }
        }
        if (next == NULL)
            return;
        t = next;
    }
    /* no root table (all-miss): the frame was never parsed */
    if (!parsed)
        emu_parse(&b.f, src, &key.m, &lay);
    emu_miss_to_rep(dev, src, src, has_mark, mark, meta, &key.m, &lay,
                    b.f.data, b.f.len);
}

/* ------------------------------------------------------------------------
 * Legacy: VEB
 * ------------------------------------------------------------------------ */

enum emu_src { EMU_SRC_VF, EMU_SRC_WIRE, EMU_SRC_PFHOST };

/* May VF vport @v receive a frame of VLAN domain @dom (0: untagged)? A VF
 * with a port VLAN lives in that VLAN only; one without is a trunk and
 * gets frames as the switch holds them. */
static bool
emu_veb_fits(const struct emu_dev *dev, uint16_t v, int dom)
{
    uint16_t pvid = dev->vports[v].ctx.vlan_vid;

    return pvid == 0 || pvid == dom;
}

static void
emu_veb_to_vf(struct emu_dev *dev, uint16_t v, const struct emu_frame *f)
{
    struct emu_buf b;
    struct fw_match key;
    struct emu_layout lay;
    struct fw_action pop = { .type = FW_ACT_POP_VLAN };

    if (dev->vports[v].ctx.vlan_vid == 0) {
        emu_deliver_vport(dev, v, f->data, f->len);
        return;
    }
    /* the port VLAN is the switch's business: the VF sees untagged frames */
    emu_buf_load(&b, f->data, f->len);
    emu_parse(&b.f, v, &key, &lay);
    if (!emu_rewrite(&b.f, &pop, &key, &lay)) {
        dev->vports[v].stats.rx_dropped++;
        return;
    }
    emu_deliver_vport(dev, v, b.f.data, b.f.len);
}

static uint16_t
emu_veb_find_mac(const struct emu_dev *dev, const uint8_t *mac, uint16_t src,
                 int dom)
{
    for (uint16_t v = 1; v <= dev->caps.num_vfs; v++) {
        const uint8_t *m = dev->vports[v].ctx.mac;

        if (v != src && !emu_bytes_zero(m, 6) && memcmp(m, mac, 6) == 0 &&
            emu_veb_fits(dev, v, dom))
            return v;
    }
    return 0;
}

static void
emu_veb_pf_host(struct emu_dev *dev, uint16_t src, const struct emu_frame *f)
{
    struct fw_match key;
    struct emu_layout lay;

    emu_parse(f, src, &key, &lay);
    emu_miss_to_rep(dev, FW_VPORT_UPLINK, src, false, 0, 0, &key, &lay,
                    f->data, f->len);
}

static void
emu_veb_switch(struct emu_dev *dev, enum emu_src kind, uint16_t src,
               const uint8_t *frame, uint32_t len)
{
    struct emu_buf b;
    const struct fw_vport_ctx *sc = &dev->vports[src].ctx;
    int dom;

    emu_buf_load(&b, frame, len);
    if (kind == EMU_SRC_VF && sc->vlan_vid != 0) {
        struct fw_match key;
        struct emu_layout lay;
        uint16_t tpid = sc->vlan_proto == FW_VLAN_8021AD ? TPID_8021AD :
                        TPID_8021Q;
        uint16_t tci = (uint16_t)((sc->vlan_qos << 13) | sc->vlan_vid);
        struct fw_action push = { .type = FW_ACT_PUSH_VLAN };

        push.u.push_vlan.tpid = htons(tpid);
        push.u.push_vlan.tci = htons(tci);
        emu_parse(&b.f, src, &key, &lay);
        if (!emu_rewrite(&b.f, &push, &key, &lay)) {
            dev->vports[src].stats.tx_dropped++;
            return;
        }
        dom = sc->vlan_vid;
    } else {
        dom = emu_frame_vid(frame, len);
        if (dom < 0)
            dom = 0;
    }

    const uint8_t *dst = b.f.data;
    if (dst[0] & 1u) {
        for (uint16_t v = 1; v <= dev->caps.num_vfs; v++)
            if (v != src && emu_vport_oper_up(dev, v) &&
                emu_veb_fits(dev, v, dom))
                emu_veb_to_vf(dev, v, &b.f);
        if (kind != EMU_SRC_PFHOST)
            emu_veb_pf_host(dev, src, &b.f);
        if (kind != EMU_SRC_WIRE)
            emu_deliver_vport(dev, FW_VPORT_UPLINK, b.f.data, b.f.len);
        return;
    }
    uint16_t to = emu_veb_find_mac(dev, dst, kind == EMU_SRC_VF ? src : 0,
                                   dom);
    if (to != 0) {
        emu_veb_to_vf(dev, to, &b.f);
    } else if (kind != EMU_SRC_PFHOST &&
               memcmp(dst, dev->caps.base_mac, 6) == 0) {
        emu_veb_pf_host(dev, src, &b.f);
    } else if (kind == EMU_SRC_WIRE) {
        /* unknown unicast from the wire: only trusted promiscuous VFs */
        for (uint16_t v = 1; v <= dev->caps.num_vfs; v++) {
            const struct fw_vport_ctx *c = &dev->vports[v].ctx;

            if (c->promisc && c->trust && emu_vport_oper_up(dev, v) &&
                emu_veb_fits(dev, v, dom))
                emu_veb_to_vf(dev, v, &b.f);
        }
    } else {
        emu_deliver_vport(dev, FW_VPORT_UPLINK, b.f.data, b.f.len);
    }
}

/* ------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------ */

/* max_tx_rate: a token bucket holding 10 ms of traffic (at least 4 KiB). */
static bool
emu_rate_ok(struct emu_vport *vp, uint32_t len)
{
    double bps, burst;
    uint64_t now;

    if (vp->ctx.max_tx_rate == 0)
        return true;
    now = snic_now_ns();
    bps = (double)vp->ctx.max_tx_rate * 125000.0;
    burst = bps / 100.0;
    if (burst < 4096.0)
        burst = 4096.0;
    if (vp->tb_last_ns == 0)
        vp->tb_tokens = burst;
    else
        vp->tb_tokens += (double)(now - vp->tb_last_ns) * bps / 1e9;
    if (vp->tb_tokens > burst)
        vp->tb_tokens = burst;
    vp->tb_last_ns = now;
    if (vp->tb_tokens < (double)len)
        return false;
    vp->tb_tokens -= (double)len;
    return true;
}

void
emu_dev_input(struct emu_dev *dev, uint16_t vport, const uint8_t *frame,
              uint32_t len)
{
    struct emu_vport *vp;

    if (dev == NULL || frame == NULL || !emu_vport_exists(dev, vport))
        return;
    vp = &dev->vports[vport];
    vp->stats.tx_packets++;
    vp->stats.tx_bytes += len;
    if (len < ETH_HLEN || len > FW_PKT_BUF_SIZE ||
        !emu_vport_oper_up(dev, vport) ||
        !emu_mtu_ok(dev, vport, frame, len) ||
        (vport != FW_VPORT_UPLINK && !emu_rate_ok(vp, len))) {
        vp->stats.tx_dropped++;
        return;
    }
    if (dev->caps.esw_mode == FW_ESW_SWITCHDEV) {
        emu_switchdev_walk(dev, vport, frame, len);
        return;
    }
    if (vport == FW_VPORT_UPLINK) {
        emu_veb_switch(dev, EMU_SRC_WIRE, vport, frame, len);
        return;
    }
    /* spoof check: a VF with a MAC may only send from it */
    if (vp->ctx.spoofchk && !emu_bytes_zero(vp->ctx.mac, 6) &&
        memcmp(frame + 6, vp->ctx.mac, 6) != 0) {
        vp->stats.tx_dropped++;
        return;
    }
    /* behind a port VLAN the VF may not pick its own VLAN */
    if (vp->ctx.vlan_vid != 0 && emu_frame_vid(frame, len) >= 0) {
        vp->stats.tx_dropped++;
        return;
    }
    emu_veb_switch(dev, EMU_SRC_VF, vport, frame, len);
}

void
emu_dev_rep_input(struct emu_dev *dev, uint16_t vport, const uint8_t *frame,
                  uint32_t len)
{
    if (dev == NULL || frame == NULL || len < ETH_HLEN ||
        len > FW_PKT_BUF_SIZE || !emu_vport_exists(dev, vport))
        return;
    if (dev->caps.esw_mode == FW_ESW_SWITCHDEV) {
        emu_deliver_vport(dev, vport, frame, len);
        return;
    }
    /* legacy has no representors: only the PF's own port, vport 0 */
    if (vport == FW_VPORT_UPLINK)
        emu_veb_switch(dev, EMU_SRC_PFHOST, FW_VPORT_UPLINK, frame, len);
}
