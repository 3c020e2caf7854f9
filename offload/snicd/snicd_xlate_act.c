/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The action half of the translator: a switch flow's action list into
 * rte_flow actions with the same effect on every packet the match lets in.
 *
 * What the hardware cannot decide per packet must be known statically:
 * whether the packet is tagged (push-if-untagged, strip), the TCI that
 * push_vlan copies from the outer tag, whether an output may hit the
 * ingress port (OpenFlow skips it, hardware cannot). The translator tracks
 * what the match and the earlier actions guarantee, and refuses, with the
 * reason, where a guarantee is missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "snicd_xlate_priv.h"

enum tag_state { TAG_UNKNOWN, TAG_NONE, TAG_YES };

struct vlan_st {
    enum tag_state tag;
    bool vid_known, pcp_known;
    uint16_t vid;
    uint8_t pcp;
};

struct act_st {
    struct vlan_st vlan;
    struct vlan_st before_push; /* to restore at a strip of our own push */
    unsigned pushed;
    bool tun_touched;           /* a set_tunnel / set_tun_* was seen */
    bool tun_src_set, tun_dst_set;
    flow_be64 tun_id;           /* the packet's: decap context's or set */
    flow_be32 tun_src, tun_dst;
    flow_be32 md_dst;           /* the decap context's outer destination */
    bool encapped;              /* the packet was encapsulated in place */
    unsigned n_fates;
    int mpls_depth;             /* label stack entries, -1: not known */
    int reg_written;            /* the first register a SET_TAG wrote, or
                                 * -1: it must not precede a jump */
    bool mark_written;          /* a SET_META wrote pkt_mark */
};

static int
room(struct snicd_xlate *x, unsigned n)
{
    /* + MARK + JUMP + END */
    if (x->n_actions + n + 3 > SNICD_XLATE_MAX_ACTIONS)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "action list too long for one rule");
    return 0;
}

static void
vlan_from_match(const struct flow_match *m, struct vlan_st *v)
{
    uint16_t tm = ntohs(m->mask.vlan_tci), tv = ntohs(m->value.vlan_tci);

    memset(v, 0, sizeof(*v));
    if (tm & FLOW_VLAN_CFI)
        v->tag = (tv & FLOW_VLAN_CFI) ? TAG_YES : TAG_NONE;
    else
        v->tag = tv != 0 ? TAG_YES : TAG_UNKNOWN;
    if (v->tag != TAG_YES)
        return;
    if ((tm & FLOW_VLAN_VID_MASK) == FLOW_VLAN_VID_MASK) {
        v->vid_known = true;
        v->vid = tv & FLOW_VLAN_VID_MASK;
    }
    if ((tm & 0xe000) == 0xe000) {
        v->pcp_known = true;
        v->pcp = (uint8_t)(tv >> FLOW_VLAN_PCP_SHIFT);
    }
}

static void
emit_vid(struct snicd_xlate *x, uint16_t vid)
{
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID, true)
        ->vid.vlan_vid = htons(vid);
}

static void
emit_pcp(struct snicd_xlate *x, uint8_t pcp)
{
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP, true)
        ->pcp.vlan_pcp = pcp;
}

static void
emit_push(struct snicd_xlate *x, uint16_t tpid)
{
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN, true)->push_vlan
        .ethertype = htons(tpid);
}

/* push_vlan: the new tag copies the outer tag's TCI (OpenFlow 1.3), or is
 * zero on an untagged packet. rte_flow pushes what OF_SET_VLAN_VID/PCP
 * right after it say, so the copied values must be known statically,
 * unless the flow's own mod_vlan_vid/pcp right after overwrite them. */
static int
act_push(struct snicd_xl *s, struct act_st *st, unsigned i)
{
    const struct flow *f = s->f;
    struct vlan_st *v = &st->vlan;
    bool vid_over = false, pcp_over = false;
    uint16_t vid = 0;
    uint8_t pcp = 0;

    for (unsigned j = i + 1; j < f->n_actions; j++) {
        if (f->actions[j].type == FLOW_ACT_MOD_VLAN_VID)
            vid_over = true;
        else if (f->actions[j].type == FLOW_ACT_MOD_VLAN_PCP)
            pcp_over = true;
        else
            break;
    }
    if (v->tag == TAG_UNKNOWN && !(vid_over && pcp_over))
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "push_vlan on a packet that may or may not "
                               "be tagged (it copies an outer tag's TCI, "
                               "else pushes 0) not expressible");
    if (v->tag == TAG_YES) {
        if (!v->vid_known && !vid_over)
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "push_vlan copies the outer tag's VID, "
                                   "which the match does not pin: not "
                                   "expressible (match dl_vlan exactly or "
                                   "set it with mod_vlan_vid)");
        if (!v->pcp_known && !pcp_over)
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "push_vlan copies the outer tag's PCP, "
                                   "which the match does not pin: not "
                                   "expressible (match dl_vlan_pcp exactly "
                                   "or set it with mod_vlan_pcp)");
        vid = v->vid;
        pcp = v->pcp;
    }
    emit_push(s->x, ntohs(f->actions[i].u.tpid));
    if (!vid_over)
        emit_vid(s->x, vid);
    if (!pcp_over)
        emit_pcp(s->x, pcp);
    if (st->pushed++ == 0)
        st->before_push = *v;
    v->tag = TAG_YES;
    v->vid_known = v->pcp_known = true;
    v->vid = vid;
    v->pcp = pcp;
    return 0;
}

/* The rewrite leaves the tag as it is: the match pins the field to the
 * value written. Only then may it act on a tag the packet came with: a
 * tag that changes is written with DEI 0 by Open vSwitch and snicd's
 * software datapath, while the card's SET_VLAN_VID/PCP keep the DEI bit
 * (as real hardware does, docs/firmware-abi.md), and the card cannot match
 * DEI to send the frames with DEI 1 to software (a hw/sw difference). A
 * tag this flow pushed has DEI 0 on both paths. */
static bool
mod_vlan_keeps(const struct vlan_st *v, const struct flow_action *a,
               bool is_vid)
{
    if (is_vid)
        return v->vid_known
               && v->vid == (ntohs(a->u.vlan.vid) & FLOW_VLAN_VID_MASK);
    return v->pcp_known && v->pcp == (a->u.vlan.pcp & 7);
}

/* mod_vlan_vid / mod_vlan_pcp: set on a tagged packet; with
 * push_if_untagged, push a tag (other TCI bits zero) on an untagged one. */
static int
act_mod_vlan(struct snicd_xl *s, struct act_st *st,
             const struct flow_action *a)
{
    bool is_vid = a->type == FLOW_ACT_MOD_VLAN_VID;
    const char *name = is_vid ? "mod_vlan_vid" : "mod_vlan_pcp";
    struct vlan_st *v = &st->vlan;

    switch (v->tag) {
    case TAG_UNKNOWN:
        if (a->u.vlan.push_if_untagged)
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "%s on a match that does not guarantee "
                                   "the tag pushes one only if untagged: "
                                   "not expressible (hardware cannot push "
                                   "conditionally)", name);
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "%s on a packet that may be untagged at that "
                               "point not expressible", name);
    case TAG_NONE:
        if (!a->u.vlan.push_if_untagged)
            return 0;       /* no tag: OpenFlow does nothing */
        emit_push(s->x, 0x8100);
        v->tag = TAG_YES;
        v->vid_known = v->pcp_known = true;
        v->vid = 0;
        v->pcp = 0;
        if (is_vid) {
            v->vid = ntohs(a->u.vlan.vid) & FLOW_VLAN_VID_MASK;
            emit_vid(s->x, v->vid);
            emit_pcp(s->x, 0);
        } else {
            v->pcp = a->u.vlan.pcp & 7;
            emit_vid(s->x, 0);
            emit_pcp(s->x, v->pcp);
        }
        return 0;
    case TAG_YES:
        if (st->pushed == 0 && !mod_vlan_keeps(v, a, is_vid))
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "%s changes the packet's own tag, whose "
                                   "DEI bit may be 1: not offloaded (the "
                                   "card's SET_VLAN_VID/PCP keep DEI, Open "
                                   "vSwitch and software write DEI 0, and "
                                   "the card cannot match DEI to leave such "
                                   "frames to software; software runs it)",
                                   name);
        if (is_vid) {
            v->vid_known = true;
            v->vid = ntohs(a->u.vlan.vid) & FLOW_VLAN_VID_MASK;
            emit_vid(s->x, v->vid);
        } else {
            v->pcp_known = true;
            v->pcp = a->u.vlan.pcp & 7;
            emit_pcp(s->x, v->pcp);
        }
        return 0;
    }
    return 0;
}

static int
act_strip(struct snicd_xl *s, struct act_st *st)
{
    const struct flow_match *m = &s->f->match;
    struct vlan_st *v = &st->vlan;

    if (v->tag == TAG_NONE)
        return 0;
    if (v->tag == TAG_UNKNOWN)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "strip_vlan on a packet that may be untagged "
                               "at that point not expressible");
    snicd_xl_action(s->x, RTE_FLOW_ACTION_TYPE_OF_POP_VLAN, false);
    if (st->pushed > 0) {
        if (--st->pushed == 0)
            *v = st->before_push;
        return 0;
    }
    memset(v, 0, sizeof(*v));
    /* dl_type is the EtherType after the outer tag: a non-TPID there means
     * no tag is left */
    if (m->mask.dl_type == 0xffff) {
        uint16_t dt = ntohs(m->value.dl_type);

        v->tag = (dt == 0x8100 || dt == 0x88a8 || dt == 0x9100) ?
                 TAG_UNKNOWN : TAG_NONE;
    } else {
        v->tag = TAG_UNKNOWN;
    }
    return 0;
}

/* An output to the ingress port is skipped by OpenFlow: decide it now. */
static int
out_in_port(struct snicd_xl *s, uint32_t port, bool *skip)
{
    const struct flow_match *m = &s->f->match;
    char nb[16];

    *skip = false;
    if (s->in_port_exact) {
        *skip = port == s->in_port;
        return 0;
    }
    if ((port & m->mask.in_port) != (m->value.in_port & m->mask.in_port))
        return 0;       /* the match excludes that ingress port */
    return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_MATCH,
                           "output to %s needs an exact in_port match "
                           "(OpenFlow skips an output to the ingress port; "
                           "hardware cannot)",
                           snicd_xl_port_name(s->ctx, port, nb, sizeof(nb)));
}

static int
act_output_tunnel(struct snicd_xl *s, struct act_st *st,
                  const struct snicd_port_info *p)
{
    struct snicd_xlate *x = s->x;
    const struct snicd_port_info *u;
    struct snicd_xlate_encap *e;
    flow_be32 src, dst;
    uint32_t vni;

    if (p->tun_underlay == 0)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "output to tunnel port %s: no tunnel "
                               "configuration", p->name);
    u = snicd_xlate_port(s->ctx->ports, s->ctx->n_ports, p->tun_underlay);
    if (u == NULL || u->ethdev == UINT16_MAX || u->is_tunnel)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "output to tunnel port %s: its underlay port "
                               "%u has no ethdev port", p->name,
                               p->tun_underlay);
    /* as dp_vxlan_encap(): a set value, else the port's, else (flow-based
     * destination) what the packet brought from its own decapsulation */
    src = st->tun_src_set ? st->tun_src : p->tun_local_ip;
    dst = st->tun_dst_set ? st->tun_dst : p->tun_remote_ip ?
          p->tun_remote_ip : st->md_dst;
    if (dst == 0)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "output to flow-based tunnel port %s without "
                               "set_tun_dst: no outer destination", p->name);
    if (x->n_encaps >= SNICD_XLATE_MAX_ENCAPS)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "more than %u tunnel outputs in one flow",
                               SNICD_XLATE_MAX_ENCAPS);
    e = snicd_xl_encap(x);
    memcpy(e->eth.hdr.dst_addr.addr_bytes, p->tun_remote_mac, 6);
    memcpy(e->eth.hdr.src_addr.addr_bytes, p->tun_local_mac, 6);
    e->eth.hdr.ether_type = htons(0x0800);
    e->ipv4.hdr.version_ihl = 0x45;
    e->ipv4.hdr.time_to_live = 64;
    e->ipv4.hdr.next_proto_id = 17;
    e->ipv4.hdr.fragment_offset = htons(0x4000);   /* DF, as software */
    e->ipv4.hdr.src_addr = src;
    e->ipv4.hdr.dst_addr = dst;
    /* source port 0: the device derives it from the inner flow */
    e->udp.hdr.dst_port = htons(4789);
    vni = (uint32_t)(be64toh(st->tun_id) & 0xffffff);
    e->vxlan.hdr.vx_flags = htonl(0x08000000);
    e->vxlan.vni[0] = (uint8_t)(vni >> 16);
    e->vxlan.vni[1] = (uint8_t)(vni >> 8);
    e->vxlan.vni[2] = (uint8_t)vni;
    e->def[0] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_ETH,
                                        .spec = &e->eth };
    e->def[1] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_IPV4,
                                        .spec = &e->ipv4 };
    e->def[2] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_UDP,
                                        .spec = &e->udp };
    e->def[3] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_VXLAN,
                                        .spec = &e->vxlan };
    e->def[4] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_END };
    e->conf.definition = e->def;
    x->actions[x->n_actions].type = RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP;
    x->actions[x->n_actions].conf = &e->conf;
    x->n_actions++;
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, true)->ethdev
        .port_id = u->ethdev;
    st->encapped = true;
    st->n_fates++;
    return 0;
}

/* An output that reaches patch port @p: the packet's copy goes through
 * the tables again from the peer, which only software does. */
static int
refuse_patch(struct snicd_xl *s, const struct snicd_port_info *p)
{
    return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                           "output to patch port %s re-enters the pipeline "
                           "in software", p->name);
}

static int
act_output(struct snicd_xl *s, struct act_st *st, uint32_t port)
{
    const struct snicd_port_info *p = snicd_xlate_port(s->ctx->ports,
                                                       s->ctx->n_ports, port);
    bool skip;
    int ret;

    if (p == NULL)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "output to port %u: no such port", port);
    /* OpenFlow skips the ingress port, a tunnel port included */
    if (s->in_port_exact && port == s->in_port)
        return 0;
    if (p->is_tunnel)
        return act_output_tunnel(s, st, p);
    if (p->is_patch)
        return refuse_patch(s, p);
    ret = out_in_port(s, port, &skip);
    if (ret < 0 || skip)
        return ret;
    if (p->ethdev == UINT16_MAX)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "output to %s: the port has no ethdev port",
                               p->name);
    snicd_xl_action(s->x, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, true)->ethdev
        .port_id = p->ethdev;
    st->n_fates++;
    return 0;
}

/* OpenFlow 1.0's mod_nw_*, mod_tp_* and dec_ttl rewrite only the packets
 * that have their header: a rule can do that only when its match promises
 * the header (rte_flow's SET_* actions have no "if present"). Else the
 * flow stays in software, which checks every packet. */
static int
act_needs_header(struct snicd_xl *s, const struct flow_action *a)
{
    const struct flow_match *m = &s->f->match;
    bool ip4 = flow_match_is_ipv4(m), ip6 = flow_match_is_ipv6(m);
    const char *what = NULL;

    switch (a->type) {
    case FLOW_ACT_MOD_NW_SRC:
    case FLOW_ACT_MOD_NW_DST:
        if (!ip4)
            what = "mod_nw_src/mod_nw_dst without an IPv4 match";
        break;
    case FLOW_ACT_MOD_NW_TOS:
        if (!ip4 && !ip6)
            what = "mod_nw_tos without an ip or ipv6 match";
        break;
    case FLOW_ACT_DEC_TTL:
        if (!ip4 && !ip6)
            what = "dec_ttl without an ip or ipv6 match";
        break;
    case FLOW_ACT_MOD_TP_SRC:
    case FLOW_ACT_MOD_TP_DST:
        /* rte_flow's SET_TP_SRC/DST write TCP and UDP ports: a card
         * leaves an SCTP packet alone (emunic does) or writes its port
         * without the CRC32c that software recomputes (dp_rewrite.c),
         * either way other bytes than software's */
        if (flow_match_is_ip_proto(m, IPPROTO_SCTP))
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "mod_tp_src/mod_tp_dst on sctp not "
                                   "offloaded (rte_flow's SET_TP_SRC/DST "
                                   "rewrite TCP and UDP ports; SCTP's "
                                   "CRC32c is not patched)");
        if (!flow_match_is_ip_proto(m, IPPROTO_TCP)
            && !flow_match_is_ip_proto(m, IPPROTO_UDP))
            what = (a->pad0 & (FLOW_ACT_F_ICMPV4 | FLOW_ACT_F_ICMPV6))
                ? "set_field on icmp_type/icmp_code (rte_flow has no ICMP "
                  "header rewrite)"
                : "mod_tp_src/mod_tp_dst without a tcp or udp match";
        break;
    default:
        break;
    }
    if (what == NULL)
        return 0;
    return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                           "%s rewrites only the packets that have the "
                           "header: not expressible in one rule", what);
}

/* An output to a reserved port. IN_PORT, ALL and FLOOD name ports the
 * eSwitch knows once the ingress port is known: they become outputs to
 * those ports. NORMAL learns, CONTROLLER and LOCAL leave the eSwitch:
 * they stay in software. */
static int
act_output_reserved(struct snicd_xl *s, struct act_st *st, uint32_t port)
{
    const struct snicd_xlate_ctx *ctx = s->ctx;
    int ret;

    switch (port) {
    case FLOW_PORT_IN_PORT:
    case FLOW_PORT_ALL:
    case FLOW_PORT_FLOOD:
        if (!s->in_port_exact)
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "output to %s needs an exact in_port "
                                   "match (the ports it names depend on the "
                                   "ingress port)",
                                   port == FLOW_PORT_IN_PORT ? "IN_PORT"
                                   : port == FLOW_PORT_ALL ? "ALL"
                                   : "FLOOD");
        break;
    case FLOW_PORT_NORMAL:
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "NORMAL learns MAC addresses per packet: "
                               "the software datapath switches it");
    case FLOW_PORT_CONTROLLER:
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "CONTROLLER delivers packets to snicd's "
                               "control plane, from software");
    case FLOW_PORT_LOCAL:
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "LOCAL is snicd's host-side port, outside "
                               "the eSwitch");
    default:
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "output to reserved port 0x%x", port);
    }
    if (port == FLOW_PORT_IN_PORT) {
        const struct snicd_port_info *p = snicd_xlate_port(
            ctx->ports, ctx->n_ports, s->in_port);

        if (p == NULL)
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "IN_PORT: ingress port %u unknown",
                                   s->in_port);
        if (p->is_tunnel)
            return act_output_tunnel(s, st, p);
        if (p->is_patch)
            return refuse_patch(s, p);
        if (p->ethdev == UINT16_MAX)
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "IN_PORT: %s has no ethdev port",
                                   p->name);
        snicd_xl_action(s->x, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
                        true)->ethdev.port_id = p->ethdev;
        st->n_fates++;
        return 0;
    }
    /* the same set, in the same order, as the datapath's port set */
    for (unsigned i = 0; i < ctx->n_ports; i++) {
        const struct snicd_port_info *p = &ctx->ports[i];

        if (p->ofport == s->in_port
            || (port == FLOW_PORT_FLOOD && p->no_flood))
            continue;
        if (p->ofport == FLOW_PORT_LOCAL)
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "%s reaches LOCAL, snicd's host-side "
                                   "port, outside the eSwitch",
                                   port == FLOW_PORT_ALL ? "ALL" : "FLOOD");
        if ((ret = act_output(s, st, p->ofport)) < 0)
            return ret;
    }
    return 0;
}

static const char *
mpls_action_name(uint16_t type)
{
    switch (type) {
    case FLOW_ACT_PUSH_MPLS: return "push_mpls";
    case FLOW_ACT_POP_MPLS: return "pop_mpls";
    case FLOW_ACT_SET_MPLS_LABEL: return "set_mpls_label";
    case FLOW_ACT_SET_MPLS_TC: return "set_mpls_tc";
    case FLOW_ACT_SET_MPLS_TTL: return "set_mpls_ttl";
    default: return "dec_mpls_ttl";
    }
}

/* The end of a flow that goes on at table @table (snicd_xlate_jump()):
 * goto_table, or the resubmit that acts as one (@how names it). */
static int
act_jump(struct snicd_xl *s, struct act_st *st, unsigned table,
         const char *how)
{
    struct snicd_xlate *x = s->x;
    char what[32];

    if (strcmp(how, "goto_table") == 0)
        snprintf(what, sizeof(what), "goto_table:%u", table);
    else
        snprintf(what, sizeof(what), "resubmit(,%u)", table);
    if (s->ctx->decap != NULL)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "%s after hardware decap not offloaded (the "
                               "next table's rules could not see in_port "
                               "and the tunnel metadata)", how);
    if (st->tun_touched)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "set_tunnel before %s: tunnel metadata "
                               "cannot cross tables in hardware", how);
    if (st->n_fates > 0 && s->ctx->goto_may_fail)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "output before %s not offloaded (software "
                               "may drop the packet whole from there on)",
                               what);
    /* software resumes at the target for a packet that misses there
     * (docs/snicd.md, rule 3) */
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_MARK, true)->mark.id =
        s->ctx->mark;
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_JUMP, true)->jump.group = table;
    x->has_goto = x->uses_mark = true;
    st->n_fates++;
    return 0;
}

/*
 * resubmit(PORT,TABLE): a lookup that returns to the rest of the list.
 * Only the flow's last one, keeping in_port, to a later table, has a rule:
 * then nothing runs after the lookup, which is goto_table's treatment
 * (snicd_xlate_jump()). Every other form says why it stays in software.
 */
static int
act_resubmit(struct snicd_xl *s, struct act_st *st, unsigned i)
{
    const struct flow *f = s->f;
    const struct flow_action *a = &f->actions[i];
    int to = snicd_xlate_jump(f);
    unsigned t = a->u.resubmit.table == FLOW_RESUBMIT_TABLE_SAME
                 ? f->table_id : a->u.resubmit.table;
    char nb[16];

    if (to >= 0 && i + 1 == f->n_actions)
        return act_jump(s, st, (unsigned)to, "resubmit");
    if (i + 1 < f->n_actions)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "resubmit not offloaded where actions follow "
                               "it (a lookup that returns to the rest of "
                               "the actions has no rte_flow form; software "
                               "runs it)");
    if (a->u.resubmit.port != FLOW_RESUBMIT_IN_PORT)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "resubmit(%s,%u) not offloaded (it looks the "
                               "table up as received on another port, "
                               "which the next group's rules, matching the "
                               "port the packet entered on, cannot see; "
                               "software runs it)",
                               snicd_xl_port_name(s->ctx,
                                                  a->u.resubmit.port, nb,
                                                  sizeof(nb)), t);
    return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                           "resubmit(,%u) in table %u not offloaded (a "
                           "lookup of its own or an earlier table may loop, "
                           "which software stops at the resubmit depth "
                           "limit by dropping the packet whole; a JUMP "
                           "has no such limit; software runs it)", t,
                           (unsigned)f->table_id);
}

/* The depth of the label stack (as the datapath counts it, at most 3)
 * that the match promises: 0 for an exact EtherType that is neither MPLS
 * nor a tag's (dl_type is read behind one tag; behind a second, as a QinQ
 * frame's 0x8100 says, a stack may follow), 1 for MPLS with mpls_bos=1;
 * otherwise unknown. */
static int
mpls_depth_from_match(const struct flow_match *m)
{
    uint16_t dt = ntohs(m->value.dl_type);
    uint32_t bos = 0x100;

    if (m->mask.dl_type != 0xffff || dt == 0x8100 || dt == 0x88a8 ||
        dt == 0x9100)
        return -1;
    if (dt != 0x8847 && dt != 0x8848)
        return 0;
    if ((ntohl(m->mask.mpls_lse) & bos) && (ntohl(m->value.mpls_lse) & bos))
        return 1;
    return -1;
}

/*
 * push_mpls / pop_mpls as the card's PUSH_MPLS / POP_MPLS (firmware ABI
 * 1.10), which do to a frame what the datapath does (dp_mpls.c), drops
 * included: where software drops the packet whole (a push onto 3
 * entries, a pop of 3 without the bottom) the card drops the frame. A
 * copy the rule sent before would have left the card all the same
 * (docs/snicd.md, rule 4), so such a push or pop follows no output unless
 * the match (and the list so far) tells the stack's depth and it cannot
 * fail. Copies of earlier tables are rule 4's business (the table with
 * this flow makes their output-and-goto flows partial).
 */
static int
act_mpls_push_pop(struct snicd_xl *s, struct act_st *st,
                  const struct flow_action *a)
{
    bool push = a->type == FLOW_ACT_PUSH_MPLS;
    uint16_t type = ntohs(a->u.tpid);
    bool to_mpls = type == 0x8847 || type == 0x8848;
    int d = st->mpls_depth;
    bool may_fail = d < 0 || d >= 3;
    union snicd_xlate_conf *c;

    if (may_fail && st->n_fates > 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "%s after an output not offloaded (on a "
                               "label stack of 3 software drops the packet "
                               "whole, and the card would have sent the "
                               "copy already; the match does not tell the "
                               "stack's depth: software runs it)",
                               mpls_action_name(a->type));
    c = snicd_xl_action(s->x, push ? RTE_FLOW_ACTION_TYPE_OF_PUSH_MPLS
                                   : RTE_FLOW_ACTION_TYPE_OF_POP_MPLS, true);
    if (push) {
        c->push_mpls.ethertype = a->u.tpid;
        st->mpls_depth = d < 0 ? -1 : d + 1;
    } else {
        c->pop_mpls.ethertype = a->u.tpid;
        /* A pop off the bottom entry leaves the payload behind the new
         * EtherType, which the datapath and the card then read as a
         * stack (to an MPLS type) or as a VLAN tag that may precede one
         * (to a TPID): the depth is the payload's, unknown. A pop on a
         * frame that is no MPLS does nothing. */
        if (d == 0)
            st->mpls_depth = 0;
        else if (to_mpls)
            st->mpls_depth = d >= 2 ? d - 1 : -1;
        else
            st->mpls_depth = type == 0x8100 || type == 0x88a8 ? -1 : 0;
    }
    return 0;
}

/* load/set_field of a constant into the registers the card keeps
 * (snicd_xlate.h): one SET_TAG per register the subfield touches (an
 * xreg or xxreg spans several), SET_META for pkt_mark; only the bits
 * under the subfield change, as in software. */
static int
act_load(struct snicd_xl *s, struct act_st *st, const struct flow_action *a)
{
    struct snicd_xlate *x = s->x;
    const uint64_t v[2] = { a->u.value, 0 };
    const uint64_t ones[2] = { UINT64_MAX, UINT64_MAX };
    unsigned f = a->dst.field;
    struct flow_meta val, msk;
    char name[24], why[80];

    if (f == FLOW_FIELD_METADATA || f == FLOW_FIELD_PKT_MARK
        || (f >= FLOW_FIELD_REG0 && f < FLOW_FIELD_METADATA)) {
        memset(&val, 0, sizeof(val));
        memset(&msk, 0, sizeof(msk));
        flow_subfield_set(&val, &a->dst, v);
        flow_subfield_set(&msk, &a->dst, ones);
    } else {
        flow_field_name(f, name, sizeof(name));
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "load/set_field into %s not offloaded (the "
                               "card has no register for it; software runs "
                               "it)", name);
    }
    if (msk.metadata != 0)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "%s not offloaded (no card register left "
                               "for it: %s, and META is pkt_mark)",
                               a->pad0 & FLOW_ACT_F_WRITE_METADATA
                               ? "write_metadata" : "load into metadata",
                               snicd_xl_tags_why(s->ctx, why, sizeof(why)));
    for (unsigned i = 0; i < FLOW_N_REGS; i++) {
        union snicd_xlate_conf *c;

        if (msk.regs[i] == 0)
            continue;
        if (i >= s->ctx->n_tags)
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                                   "load/set_field into reg%u not offloaded "
                                   "(%s; software runs it)", i,
                                   snicd_xl_tags_why(s->ctx, why,
                                                     sizeof(why)));
        c = snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_SET_TAG, true);
        c->set_tag.data = val.regs[i];
        c->set_tag.mask = msk.regs[i];
        c->set_tag.index = (uint8_t)i;
        if (st->reg_written < 0)
            st->reg_written = (int)i;
    }
    if (msk.pkt_mark != 0) {
        union snicd_xlate_conf *c = snicd_xl_action(
            x, RTE_FLOW_ACTION_TYPE_SET_META, true);

        c->set_meta.data = val.pkt_mark;
        c->set_meta.mask = msk.pkt_mark;
        st->mark_written = true;
    }
    return 0;
}

/*
 * load / masked set_field / move on part of a header field, as rte_flow's
 * MODIFY_FIELD (op SET: from an immediate or another field). Only where
 * the card's write is the software datapath's write bit for bit
 * (dp_hdr.c, dp_rewrite.c): the MACs, the IPv4 addresses (header and L4
 * checksums patched the same way) and the TCP/UDP ports of a flow that
 * matches that protocol; a move only between the two MACs or the two
 * IPv4 addresses, whose value software and the card both read from the
 * frame (a port read from a first fragment is 0 to software's key).
 * Everything else stays in software, with the reason.
 */
static const struct {
    uint8_t field;              /* enum flow_field_id */
    uint8_t bits;
    enum rte_flow_field_id id;
} modify_fields[] = {
    { FLOW_FIELD_ETH_SRC, 48, RTE_FLOW_FIELD_MAC_SRC },
    { FLOW_FIELD_ETH_DST, 48, RTE_FLOW_FIELD_MAC_DST },
    { FLOW_FIELD_IP_SRC, 32, RTE_FLOW_FIELD_IPV4_SRC },
    { FLOW_FIELD_IP_DST, 32, RTE_FLOW_FIELD_IPV4_DST },
    { FLOW_FIELD_TCP_SRC, 16, RTE_FLOW_FIELD_TCP_PORT_SRC },
    { FLOW_FIELD_TCP_DST, 16, RTE_FLOW_FIELD_TCP_PORT_DST },
    { FLOW_FIELD_UDP_SRC, 16, RTE_FLOW_FIELD_UDP_PORT_SRC },
    { FLOW_FIELD_UDP_DST, 16, RTE_FLOW_FIELD_UDP_PORT_DST },
};

static int
modify_field_of(unsigned field)
{
    for (unsigned i = 0; i < sizeof(modify_fields) / sizeof(modify_fields[0]);
         i++)
        if (modify_fields[i].field == field)
            return (int)i;
    return -1;
}

/* The flow's match promises the header the field lives in. */
static bool
modify_has_header(const struct flow_match *m, unsigned field)
{
    switch (field) {
    case FLOW_FIELD_IP_SRC:
    case FLOW_FIELD_IP_DST:
        return flow_match_is_ipv4(m);
    case FLOW_FIELD_TCP_SRC:
    case FLOW_FIELD_TCP_DST:
        return flow_match_is_ip_proto(m, IPPROTO_TCP);
    case FLOW_FIELD_UDP_SRC:
    case FLOW_FIELD_UDP_DST:
        return flow_match_is_ip_proto(m, IPPROTO_UDP);
    default:
        return true;
    }
}

/* Same header kind (MAC with MAC, IPv4 address with IPv4 address). */
static bool
modify_move_pair(unsigned a, unsigned b)
{
    bool mac_a = a == FLOW_FIELD_ETH_SRC || a == FLOW_FIELD_ETH_DST;
    bool mac_b = b == FLOW_FIELD_ETH_SRC || b == FLOW_FIELD_ETH_DST;
    bool ip_a = a == FLOW_FIELD_IP_SRC || a == FLOW_FIELD_IP_DST;
    bool ip_b = b == FLOW_FIELD_IP_SRC || b == FLOW_FIELD_IP_DST;

    return (mac_a && mac_b) || (ip_a && ip_b);
}

static int
act_hdr_modify(struct snicd_xl *s, const struct flow_action *a)
{
    const struct flow_match *m = &s->f->match;
    bool load = a->type == FLOW_ACT_LOAD;
    int d = modify_field_of(a->dst.field);
    char name[24], src_name[24];
    struct rte_flow_action_modify_field *c;

    flow_hdr_name(a->dst.field, name, sizeof(name));
    if (d < 0)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "%s into %s not offloaded (snicd writes part "
                               "of eth_src/dst, ip_src/dst and the TCP/UDP "
                               "ports on the card; software runs it)",
                               load ? "load" : "move", name);
    if (!modify_has_header(m, a->dst.field))
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "%s into %s not offloaded (the flow's match "
                               "does not promise that header; software "
                               "runs it)", load ? "load" : "move", name);
    if (!load) {
        flow_hdr_name(a->u.src.field, src_name, sizeof(src_name));
        if (!modify_move_pair(a->u.src.field, a->dst.field))
            return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                                   "move from %s into %s not offloaded "
                                   "(snicd copies only between the two MACs "
                                   "or the two IPv4 addresses on the card; "
                                   "software runs it)", src_name, name);
    }
    c = &snicd_xl_action(s->x, RTE_FLOW_ACTION_TYPE_MODIFY_FIELD, true)
             ->modify;
    memset(c, 0, sizeof(*c));
    c->operation = RTE_FLOW_MODIFY_SET;
    c->dst.field = modify_fields[d].id;
    c->dst.offset = a->dst.ofs;
    c->width = a->dst.n_bits;
    if (load) {
        unsigned nbytes = modify_fields[d].bits / 8u;

        /* the whole field in network order, the value at its offset */
        c->src.field = RTE_FLOW_FIELD_VALUE;
        for (unsigned i = 0; i < a->dst.n_bits && i < 64; i++) {
            unsigned b = a->dst.ofs + i;

            if ((a->u.value >> i) & 1u)
                c->src.value[nbytes - 1u - b / 8u] |=
                    (uint8_t)(1u << (b % 8u));
        }
    } else {
        c->src.field = modify_fields[modify_field_of(a->u.src.field)].id;
        c->src.offset = a->u.src.ofs;
    }
    return 0;
}

/* The table the rule's JUMP goes to (it has one: x->has_goto). */
static uint32_t
jump_target(const struct snicd_xlate *x)
{
    for (unsigned i = x->n_actions; i-- > 0;)
        if (x->actions[i].type == RTE_FLOW_ACTION_TYPE_JUMP)
            return ((const struct rte_flow_action_jump *)x->actions[i].conf)
                   ->group;
    return 0;
}

/* A register written, then a jump: a packet that misses in the target
 * table reaches software by the resume mark with META (pkt_mark) in its
 * rx metadata, but never with the TAGs, so software would resume with
 * the registers at zero. Such a flow stays out of hardware (partial: the
 * card matches, software runs every action) unless the manager knows no
 * packet can reach software from the target table on (ctx->regs_cross).
 * x->regs_gated says that this was the only thing against the rule. */
static int
regs_cross_jump(struct snicd_xl *s, const struct act_st *st)
{
    bool mark_lost = st->mark_written && !s->ctx->meta_to_host;
    uint32_t to;

    if (!s->x->has_goto)
        return 0;
    to = jump_target(s->x);
    if (st->reg_written >= 0 && !s->ctx->regs_cross) {
        s->x->regs_gated = !mark_lost;
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "write to reg%d before jumping to table %u "
                               "not offloaded (a miss there reaches "
                               "software without its TAG registers: only "
                               "META, pkt_mark, goes to the host)",
                               st->reg_written, to);
    }
    if (mark_lost)
        return snicd_xl_refuse(s->x, SNICD_XLATE_REFUSED_ACTION,
                               "write to pkt_mark before jumping to table "
                               "%u not offloaded (a miss there reaches "
                               "software without it: no rx metadata field "
                               "for the card's META)", to);
    return 0;
}

static int
act_one(struct snicd_xl *s, struct act_st *st, unsigned i)
{
    const struct flow_action *a = &s->f->actions[i];
    struct snicd_xlate *x = s->x;
    union snicd_xlate_conf *c;
    int ret;

    if ((ret = act_needs_header(s, a)) < 0)
        return ret;
    switch (a->type) {
    case FLOW_ACT_OUTPUT:
        if (flow_port_is_reserved(a->u.port))
            return act_output_reserved(s, st, a->u.port);
        return act_output(s, st, a->u.port);
    case FLOW_ACT_PUSH_VLAN:
        return act_push(s, st, i);
    case FLOW_ACT_MOD_VLAN_VID:
    case FLOW_ACT_MOD_VLAN_PCP:
        return act_mod_vlan(s, st, a);
    case FLOW_ACT_STRIP_VLAN:
        return act_strip(s, st);
    case FLOW_ACT_MOD_DL_SRC:
    case FLOW_ACT_MOD_DL_DST:
        c = snicd_xl_action(x, a->type == FLOW_ACT_MOD_DL_SRC ?
                       RTE_FLOW_ACTION_TYPE_SET_MAC_SRC :
                       RTE_FLOW_ACTION_TYPE_SET_MAC_DST, true);
        memcpy(c->mac.mac_addr, a->u.mac, 6);
        return 0;
    case FLOW_ACT_MOD_NW_SRC:
    case FLOW_ACT_MOD_NW_DST:
        c = snicd_xl_action(x, a->type == FLOW_ACT_MOD_NW_SRC ?
                       RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC :
                       RTE_FLOW_ACTION_TYPE_SET_IPV4_DST, true);
        c->ipv4.ipv4_addr = a->u.ipv4;
        return 0;
    case FLOW_ACT_MOD_NW_TOS:
        /* DSCP only, ECN kept: exactly rte_flow's SET_IPVx_DSCP */
        c = snicd_xl_action(x, flow_match_is_ipv6(&s->f->match) ?
                       RTE_FLOW_ACTION_TYPE_SET_IPV6_DSCP :
                       RTE_FLOW_ACTION_TYPE_SET_IPV4_DSCP, true);
        c->dscp.dscp = (uint8_t)(a->u.tos >> 2);
        return 0;
    case FLOW_ACT_MOD_TP_SRC:
    case FLOW_ACT_MOD_TP_DST:
        c = snicd_xl_action(x, a->type == FLOW_ACT_MOD_TP_SRC ?
                       RTE_FLOW_ACTION_TYPE_SET_TP_SRC :
                       RTE_FLOW_ACTION_TYPE_SET_TP_DST, true);
        c->tp.port = a->u.tp_port;
        return 0;
    case FLOW_ACT_DEC_TTL:
        snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_DEC_TTL, false);
        return 0;
    case FLOW_ACT_MOD_NW_TTL:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "mod_nw_ttl not offloaded (snicd does not "
                               "translate it to SET_TTL yet)");
    case FLOW_ACT_MOD_NW_ECN:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "mod_nw_ecn not expressible (rte_flow has "
                               "no action that sets the ECN bits)");
    case FLOW_ACT_OUTPUT_TRUNC:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "output with max_len not expressible "
                               "(rte_flow has no truncating output)");
    case FLOW_ACT_SET_TUNNEL:
        st->tun_touched = true;
        st->tun_id = a->u.tun_id;
        return 0;
    case FLOW_ACT_SET_TUN_SRC:
        st->tun_touched = st->tun_src_set = true;
        st->tun_src = a->u.ipv4;
        return 0;
    case FLOW_ACT_SET_TUN_DST:
        st->tun_touched = st->tun_dst_set = true;
        st->tun_dst = a->u.ipv4;
        return 0;
    case FLOW_ACT_GOTO_TABLE:
        return act_jump(s, st, a->u.table, "goto_table");
    case FLOW_ACT_LOAD:
    case FLOW_ACT_MOVE:
        if (flow_field_is_hdr(a->dst.field)
            && (a->type == FLOW_ACT_LOAD || flow_field_is_hdr(a->u.src.field)))
            return act_hdr_modify(s, a);
        if (flow_field_is_hdr(a->dst.field)
            || (a->type == FLOW_ACT_MOVE && flow_field_is_hdr(a->u.src.field)))
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                                   "move between a header field and a "
                                   "register not offloaded (snicd copies "
                                   "between header fields only on the card; "
                                   "software runs it)");
        if (a->type == FLOW_ACT_LOAD)
            return act_load(s, st, a);
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "move not offloaded (rte_flow's SET_TAG and "
                               "SET_META write constants, not another "
                               "field's bits; software runs it)");
    case FLOW_ACT_FIN_TIMEOUT:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "fin_timeout not offloaded (the card does "
                               "not tell a flow's TCP FIN or RST; software "
                               "runs it)");
    case FLOW_ACT_LEARN:
    case FLOW_ACT_LEARN_SPEC:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "learn not offloaded (the card cannot add "
                               "flows; software runs it and hands the "
                               "learned flow to snicd, which offloads it "
                               "like any other)");
    case FLOW_ACT_OUTPUT_REG:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "output to the port held in a register not "
                               "offloaded (rte_flow outputs to fixed ports)");
    case FLOW_ACT_RESUBMIT:
        return act_resubmit(s, st, i);
    case FLOW_ACT_MOD_VLAN_TCI:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "set_field vlan_tci not offloaded (rte_flow "
                               "sets a whole VID or PCP, not TCI bits under "
                               "a mask; software runs it)");
    case FLOW_ACT_SET_IN_PORT:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "set_field in_port not offloaded (rte_flow "
                               "cannot change the port a packet came in "
                               "on; software runs it)");
    case FLOW_ACT_CLONE:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "clone not offloaded (rte_flow has no copy "
                               "of a packet that is rewritten apart and "
                               "then put back; software runs it)");
    case FLOW_ACT_ENQUEUE:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "enqueue not offloaded (OpenFlow queues are "
                               "not mapped to the card's; software runs "
                               "it as an output)");
    case FLOW_ACT_CHECK_PKT_LARGER:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "check_pkt_larger not offloaded (rte_flow "
                               "has no packet-length test; software runs "
                               "it)");
    case FLOW_ACT_MULTIPATH:
    case FLOW_ACT_BUNDLE:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "%s not offloaded (its choice is Open "
                               "vSwitch's hash of the packet's fields, which "
                               "rte_flow does not compute; software runs it)",
                               a->type == FLOW_ACT_MULTIPATH ? "multipath"
                               : a->dst.n_bits != 0 ? "bundle_load"
                                                    : "bundle");
    case FLOW_ACT_SAMPLE:
    case FLOW_ACT_ARGS:
        /* no exporter, in software either: the packet's treatment is the
         * rest of the list, which the card does as well */
        return 0;
    case FLOW_ACT_NOTE:
    case FLOW_ACT_NOTE_DATA:
    case FLOW_ACT_DEBUG_RECIRC:
    case FLOW_ACT_DEBUG_SLOW:
        /* no effect on the packet: nothing for the card to do */
        return 0;
    case FLOW_ACT_EXIT:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "exit not offloaded (it ends the packet's "
                               "pipeline, its action set included, which "
                               "a rule's actions cannot say; software runs "
                               "it)");
    case FLOW_ACT_STACK_PUSH:
    case FLOW_ACT_STACK_POP:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "push/pop not offloaded (the register stack "
                               "lives in software only)");
    case FLOW_ACT_WRITE_ACTIONS:
    case FLOW_ACT_CLEAR_ACTIONS:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "%s not offloaded (the action set runs when "
                               "the packet's last table is done, which "
                               "rte_flow's per-rule actions cannot defer; "
                               "software runs it)",
                               a->type == FLOW_ACT_WRITE_ACTIONS
                               ? "write_actions" : "clear_actions");
    case FLOW_ACT_CT:
    case FLOW_ACT_CT_CLEAR:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "ct not offloaded (net_emunic has no rte_flow "
                               "CONNTRACK action; software's connection "
                               "tracker runs it)");
    case FLOW_ACT_PUSH_MPLS:
    case FLOW_ACT_POP_MPLS:
        return act_mpls_push_pop(s, st, a);
    case FLOW_ACT_SET_MPLS_LABEL:
    case FLOW_ACT_SET_MPLS_TC:
    case FLOW_ACT_SET_MPLS_TTL:
    case FLOW_ACT_DEC_MPLS_TTL:
        /* the card has SET_MPLS_TTL and DEC_MPLS_TTL (ABI 1.10), but
         * DPDK 22.11 removed OF_SET_MPLS_TTL and OF_DEC_MPLS_TTL and its
         * MODIFY_FIELD has no MPLS field: no rte_flow action reaches them */
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "%s not offloaded (DPDK 22.11's rte_flow has "
                               "no action that rewrites an MPLS label, TC "
                               "or TTL; software runs it)",
                               mpls_action_name(a->type));
    case FLOW_ACT_DECAP:
    case FLOW_ACT_ENCAP:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "%s not offloaded (the card has no action "
                               "that takes off or puts on an Ethernet "
                               "header, and forwards Ethernet frames only; "
                               "software runs it)",
                               a->type == FLOW_ACT_DECAP ? "decap"
                                                         : "encap");
    case FLOW_ACT_CONJUNCTION:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "conjunction clause not offloaded (a "
                               "conjunctive match counts clauses across "
                               "flows, which rte_flow cannot; software "
                               "runs it)");
    default:
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                               "action type %u not expressible", a->type);
    }
}

int
snicd_xl_actions(struct snicd_xl *s)
{
    const struct flow *f = s->f;
    struct snicd_xlate *x = s->x;
    struct act_st st;
    int ret;

    memset(&st, 0, sizeof(st));
    st.reg_written = -1;
    if (s->ctx->decap != NULL) {
        st.tun_id = s->ctx->decap->tun_id;
        st.md_dst = s->ctx->decap->tun_dst;
    }
    vlan_from_match(&f->match, &st.vlan);
    st.mpls_depth = mpls_depth_from_match(&f->match);
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_COUNT, true);
    for (unsigned i = 0; i < f->n_actions && i < FLOW_MAX_ACTIONS; i++) {
        if (st.encapped)
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                                   "actions after an output to a tunnel port "
                                   "not expressible (hardware encapsulates "
                                   "the packet in place)");
        ret = room(x, 4);
        if (ret == 0)
            ret = act_one(s, &st, i);
        if (ret < 0)
            return ret;
    }
    if ((ret = regs_cross_jump(s, &st)) < 0)
        return ret;
    if (st.n_fates == 0) {
        /* nothing leaves the switch: whatever was rewritten dies with it */
        x->n_actions = 0;
        x->n_encaps = 0;
        snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_COUNT, true);
        snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_DROP, false);
    }
    return 0;
}

int
snicd_xl_partial(struct snicd_xl *s)
{
    struct snicd_xlate *x = s->x;
    const struct snicd_port_info *p;

    if (s->ctx->decap != NULL)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "no partial offload after hardware decap (a "
                               "flow's mark would replace the decap mark "
                               "that carries the tunnel metadata)");
    if (!s->in_port_exact)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH,
                               "partial offload needs an exact in_port match "
                               "(the ingress representor must be known)");
    for (unsigned i = 0; i < s->f->n_actions; i++) {
        /* software runs a partial flow's actions from no table: a forward
         * jump's lookup is the same from there, not deeper as from the
         * flow's own table (snicd_xlate_jump()) */
        if (s->f->actions[i].type == FLOW_ACT_RESUBMIT
            && (i + 1 < s->f->n_actions || snicd_xlate_jump(s->f) < 0))
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                                   "no partial offload of resubmit (its "
                                   "lookups need the flow's table in "
                                   "software)");
        /* a marked packet runs its flow's actions, but a clause flow's
         * match decides nothing alone: whether the packet completes the
         * conjunction, and which flow answers if it does not, takes a
         * lookup of the whole table */
        if (s->f->actions[i].type == FLOW_ACT_CONJUNCTION)
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                                   "no partial offload of a conjunction "
                                   "clause (a packet matching it may "
                                   "complete no conjunction and belong to "
                                   "a lower flow: software looks the table "
                                   "up)");
        /* the marked packet's actions run without their flow's id */
        if (s->f->actions[i].type == FLOW_ACT_FIN_TIMEOUT)
            return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_ACTION,
                                   "no partial offload of fin_timeout (it "
                                   "shortens its own flow's timeouts, "
                                   "which a marked packet does not name)");
    }
    p = snicd_xlate_port(s->ctx->ports, s->ctx->n_ports, s->in_port);
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_COUNT, true);
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_MARK, true)->mark.id =
        s->ctx->mark;
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR, true)->ethdev
        .port_id = p->ethdev;
    x->uses_mark = true;
    return 0;
}
