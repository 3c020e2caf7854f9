/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NORMAL: the switch as an L2 learning bridge with VLANs, as Open vSwitch's
 * NORMAL action behaves on access and trunk ports (docs/datapath.md,
 * "NORMAL"), step by step:
 *
 *  1. the ingress port must be one of the switch's; a frame whose outer
 *     type says VLAN but whose tag is cut short is dropped;
 *  2. the frame's VLAN: an access port takes untagged (or priority-tagged,
 *     VID 0) frames only and puts them in its VLAN; a trunk takes the VLANs
 *     it trunks, an untagged frame being VLAN 0; a native-VLAN port puts
 *     untagged frames in its native VLAN. The tag's PCP is kept;
 *  3. a frame to a reserved address (01:80:c2:00:00:0X, Cisco's and
 *     Extreme's protocol addresses) is never forwarded;
 *  4. a unicast source is learned on the ingress port in that VLAN;
 *  5. a known unicast destination goes to its port (dropped when that is
 *     the ingress port); anything else floods the VLAN: every port but the
 *     ingress one that carries the VLAN and is not no-flood;
 *  6. each copy leaves with the tag its port wants: none on an access
 *     port, the VLAN (and PCP) on a trunk, none for the native VLAN of a
 *     native-untagged port. Every copy is made from the frame as it came:
 *     a copy whose tag (TPID, VID, PCP) is the frame's takes it as it is,
 *     DEI bit included; else the wanted tag is written whole (DEI 0). The
 *     packet is left as it came: actions after NORMAL see it unchanged.
 *     (Open vSwitch makes its copies one from the other, in the order of
 *     its port table, so there a DEI bit survives or not depending on
 *     that order: docs/ovs-differences.md.)
 */
#include "dp_priv.h"
#include "dp_wire.h"

struct xvlan {
    uint16_t tpid;          /* 0: none given */
    uint16_t vid;
    uint16_t pcp;           /* in place: TCI bits 13-15 */
};

static bool
is_multicast(const uint8_t mac[6])
{
    return mac[0] & 1;
}

/* Addresses a bridge must never forward (Open vSwitch's list). */
static bool
is_reserved(const uint8_t m[6])
{
    static const uint8_t cisco[][6] = {
        { 0x01, 0x00, 0x0c, 0x00, 0x00, 0x00 },     /* ISL */
        { 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc },     /* CDP, VTP, DTP... */
        { 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd },     /* PVST+ */
        { 0x01, 0x00, 0x0c, 0xcd, 0xcd, 0xcd },     /* STP uplink fast */
        { 0x00, 0xe0, 0x2b, 0x00, 0x00, 0x00 },     /* Extreme EDP */
        { 0x00, 0xe0, 0x2b, 0x00, 0x00, 0x04 },     /* EAPS */
        { 0x00, 0xe0, 0x2b, 0x00, 0x00, 0x06 },
    };

    /* STP, pause frames and the other IEEE 802.1 protocols */
    if (m[0] == 0x01 && m[1] == 0x80 && m[2] == 0xc2 && m[3] == 0
        && m[4] == 0 && m[5] <= 0x0f)
        return true;
    /* Cisco CFM */
    if (m[0] == 0x01 && m[1] == 0x00 && m[2] == 0x0c && m[3] == 0xcc
        && m[4] == 0xcc && m[5] >= 0xc0 && m[5] <= 0xc7)
        return true;
    for (size_t i = 0; i < sizeof(cisco) / sizeof(cisco[0]); i++)
        if (memcmp(m, cisco[i], 6) == 0)
            return true;
    return false;
}

static bool
trunks_vlan(const struct dp_port *p, uint16_t vlan)
{
    return p->vlan_mode != DP_VLAN_ACCESS
           && (!p->has_trunks || (p->trunks[vlan / 64] >> (vlan % 64) & 1));
}

static bool
includes_vlan(const struct dp_port *p, uint16_t vlan)
{
    if (p->vlan_mode == DP_VLAN_ACCESS)
        return vlan == p->tag;
    return trunks_vlan(p, vlan);
}

static bool
input_vid_ok(const struct dp_port *in, uint16_t vid)
{
    switch (in->vlan_mode) {
    case DP_VLAN_ACCESS:
        return vid == 0;
    case DP_VLAN_NATIVE_TAGGED:
    case DP_VLAN_NATIVE_UNTAGGED:
        if (vid == 0)
            return true;
        /* fall through */
    default:
        return trunks_vlan(in, vid);
    }
}

/* A frame's outer tag as OpenFlow sees it: present or not, TPID, and the
 * TCI's VID and PCP (the DEI bit is not part of it). */
struct tag_state {
    bool present;
    uint16_t tpid;
    uint16_t tci;           /* VID | PCP */
};

static struct tag_state
tag_now(const struct dp_pkt *pkt)
{
    struct tag_state t = { 0 };

    if (pkt->layout.flags & DP_L_VLAN) {
        t.present = true;
        t.tpid = dp_rd16(pkt->buf.data + 12);
        t.tci = dp_rd16(pkt->buf.data + 14) & (uint16_t)~FLOW_VLAN_CFI;
    }
    return t;
}

static bool
tag_same(const struct tag_state *a, const struct tag_state *b)
{
    return a->present == b->present
           && (!a->present || (a->tpid == b->tpid && a->tci == b->tci));
}

/* The tag a copy to @p in the VLAN @xv leaves with. */
static struct tag_state
tag_for(const struct dp_port *p, const struct xvlan *xv)
{
    struct tag_state t = { .tci = (uint16_t)(xv->vid | xv->pcp) };

    if (p->vlan_mode == DP_VLAN_ACCESS
        || (p->vlan_mode == DP_VLAN_NATIVE_UNTAGGED && xv->vid == p->tag))
        t.tci = 0;
    t.present = t.tci != 0;
    t.tpid = t.present ? (xv->tpid ? xv->tpid : DP_ETH_VLAN) : 0;
    return t;
}

/* One copy to @p in the VLAN @xv, made from the frame as it came (@orig,
 * @saved: its outer tag's 4 bytes), which it is again afterwards: a tag
 * that changes is popped and the wanted one pushed whole (DEI 0), as Open
 * vSwitch writes a tag, and both steps are undone in reverse, so an inner
 * tag behind the outer one stays where it was. */
static void
output_normal(const struct dp_actions_env *env, struct dp_pkt *pkt,
              const struct dp_port *p, const struct xvlan *xv,
              const struct tag_state *orig, const uint8_t saved[4],
              bool last, struct dp_act_stats *stats)
{
    struct tag_state want = tag_for(p, xv);
    bool pushed = false;

    /* the same TPID, VID and PCP: the tag as it is, DEI included */
    if (tag_same(&want, orig)) {
        dp_output_to(env, pkt, p->ofport, last, stats);
        return;
    }
    if (orig->present)
        dp_tag_strip(pkt);
    if (want.present)
        pushed = dp_tag_push(pkt, want.tpid, want.tci, true) == DP_ACT_DONE;
    if (pushed || !want.present)
        dp_output_to(env, pkt, p->ofport, false, stats);
    if (pushed)
        dp_tag_strip(pkt);
    if (orig->present)
        /* the headroom the strip freed takes it back */
        dp_tag_push(pkt, dp_rd16(saved), dp_rd16(saved + 2), true);
}

/* A known unicast from a flow whose list is NORMAL alone: what NORMAL
 * decided goes to the control thread, which may give it to the card
 * (dp_conv.c). */
static void
note_conv(const struct dp_actions_env *env, const struct dp_pkt *pkt,
          const uint8_t src[6], const uint8_t dst[6], const struct xvlan *xv,
          const struct tag_state *orig, const struct dp_port *p)
{
    struct tag_state want = tag_for(p, xv);
    struct dp_conv c;

    memset(&c, 0, sizeof(c));
    c.flow_id = env->flow_id;
    c.in_port = pkt->in_port;
    c.out_port = p->ofport;
    memcpy(c.src, src, 6);
    memcpy(c.dst, dst, 6);
    c.vlan = xv->vid;
    if (orig->present) {
        c.in_tci = (uint16_t)(orig->tci | FLOW_VLAN_CFI);
        c.in_tpid = orig->tpid;
    }
    if (want.present) {
        c.out_tci = (uint16_t)(want.tci | FLOW_VLAN_CFI);
        c.out_tpid = want.tpid;
    }
    dp_conv_push(env->sw->convq, env->sw->stats, &c,
                 dp_fdb_now(env->sw->sw->fdb));
}

static void
drop(const struct dp_actions_env *env)
{
    if (env->sw != NULL)
        snic_counter_add(&env->sw->stats->normal_drops, 1);
}

void
dp_normal(const struct dp_actions_env *env, struct dp_pkt *pkt, bool last,
          struct dp_act_stats *stats)
{
    const struct dp_port_set *set;
    const struct dp_port *in, *p;
    const uint8_t *f = pkt->buf.data;
    struct xvlan in_xv = { 0 }, xv;
    struct tag_state orig;
    uint8_t saved[4] = { 0 };
    uint8_t src[6], dst[6];
    size_t prev = SIZE_MAX;
    bool src_known = false;
    uint32_t port;

    if (env->sw == NULL || pkt->buf.len < 14) {
        drop(env);
        return;
    }
    set = __atomic_load_n(&env->sw->sw->ports, __ATOMIC_ACQUIRE);
    in = dp_port_find(set, pkt->in_port);
    if (in == NULL) {
        drop(env);
        return;
    }
    if (pkt->layout.flags & DP_L_VLAN) {
        uint16_t tci = dp_rd16(f + 14);

        in_xv.tpid = dp_rd16(f + 12);
        in_xv.vid = tci & FLOW_VLAN_VID_MASK;
        in_xv.pcp = tci & 0xe000u;
    } else if (dp_rd16(f + 12) == DP_ETH_VLAN || dp_rd16(f + 12) == DP_ETH_QINQ) {
        drop(env);                /* a tag cut short */
        return;
    }
    if (!input_vid_ok(in, in_xv.vid)) {
        drop(env);
        return;
    }
    xv = in_xv;
    if (in->vlan_mode == DP_VLAN_ACCESS
        || (in->vlan_mode != DP_VLAN_TRUNK && in_xv.vid == 0))
        xv.vid = in->tag;
    memcpy(dst, f, 6);
    memcpy(src, f + 6, 6);
    orig = tag_now(pkt);
    memcpy(saved, f + 12, 4);
    if (is_reserved(dst)) {
        drop(env);
        return;
    }
    if (!is_multicast(src))
        src_known = dp_fdb_learn(env->sw->sw->fdb, src, xv.vid,
                                 pkt->in_port);
    port = is_multicast(dst) ? 0
           : dp_fdb_lookup(env->sw->sw->fdb, dst, xv.vid);
    if (port == pkt->in_port) {
        drop(env);
        return;
    }
    p = port != 0 ? dp_port_find(set, port) : NULL;
    /* An entry whose port is gone or no longer in the VLAN is unknown: a
     * worker still on the old port set can learn after dp_set_ports()
     * forgot, and such an entry must not carry the VLAN's frames to
     * another VLAN's port. */
    if (p != NULL && includes_vlan(p, xv.vid)) {
        if (src_known && env->whole_normal && env->flow_id != 0
            && env->sw->convq != NULL)
            note_conv(env, pkt, src, dst, &xv, &orig, p);
        output_normal(env, pkt, p, &xv, &orig, saved, last, stats);
        return;
    }
    for (size_t i = 0; i < set->n; i++) {
        p = &set->ports[i];
        if (p->ofport == pkt->in_port || (p->flags & DP_PORT_NO_FLOOD)
            || !includes_vlan(p, xv.vid))
            continue;
        if (prev != SIZE_MAX)
            output_normal(env, pkt, &set->ports[prev], &xv, &orig, saved,
                          false, stats);
        prev = i;
    }
    if (prev != SIZE_MAX)
        output_normal(env, pkt, &set->ports[prev], &xv, &orig, saved, last,
                      stats);
}
