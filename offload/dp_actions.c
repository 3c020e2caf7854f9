/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The action executor: one flow's action list on a frame, in order. The
 * header rewrites and their checksums are dp_rewrite.c's, header
 * subfields (load/move onto NXM_OF_IP_DST[]...) dp_hdr.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "dp_priv.h"
#include "dp_wire.h"
#include "wide128.h"

/* ---- VLAN ---- */

/* Set the TCI bits in @keep_mask's complement to @bits; push a tag with
 * just @bits when untagged and @push. OpenFlow's TCI has no DEI (that bit
 * means "tagged"), so Open vSwitch writes a changed tag whole from PCP
 * and VID (DEI 0) and leaves one back where it was as it was
 * (dp_tci_write()). */
static enum dp_act_result
mod_tci(struct dp_pkt *pkt, uint16_t keep_mask, uint16_t bits, bool push)
{
    if (dp_tagged(pkt)) {
        uint16_t old = dp_rd16(pkt->buf.data + 14);

        dp_tci_write(pkt, (uint16_t)((old & keep_mask) | bits));
        return DP_ACT_DONE;
    }
    if (!push)
        return DP_ACT_DONE;
    return dp_tag_push(pkt, DP_ETH_VLAN, bits, true);
}

/* ---- registers ---- */

/* A subfield of the packet: header fields in the frame (dp_hdr.c),
 * registers and metadata in pkt->meta, the
 * tunnel fields (tun_id, tun_src, tun_dst) in pkt->tun. False: a register
 * and no pkt->meta (the action does nothing). */
static bool
sf_get(const struct dp_pkt *pkt, const struct flow_subfield *sf,
       uint64_t v[2])
{
    if (flow_field_is_tunnel(sf->field)) {
        struct flow_key k;

        k.tun_id = pkt->tun.tun_id;
        k.tun_src = pkt->tun.tun_src;
        k.tun_dst = pkt->tun.tun_dst;
        flow_key_subfield_get(&k, sf, v);
        return true;
    }
    if (flow_field_is_hdr(sf->field)) {
        uint64_t ones[2];

        dp_hdr_get(pkt, sf->field, v);
        wide_shr(v, sf->ofs);
        wide_ones(ones, sf->n_bits);
        v[0] &= ones[0];
        v[1] &= ones[1];
        return true;
    }
    if (pkt->meta == NULL)
        return false;
    flow_subfield_get(pkt->meta, sf, v);
    return true;
}

/* A write to tun_src/tun_dst counts as set_field's for the encapsulation
 * (docs/datapath.md: an action set it), as Open vSwitch's does. */
static void
sf_set(struct dp_pkt *pkt, const struct flow_subfield *sf,
       const uint64_t v[2])
{
    if (flow_field_is_tunnel(sf->field)) {
        struct flow_key k;

        k.tun_id = pkt->tun.tun_id;
        k.tun_src = pkt->tun.tun_src;
        k.tun_dst = pkt->tun.tun_dst;
        flow_key_subfield_set(&k, sf, v);
        pkt->tun.tun_id = k.tun_id;
        pkt->tun.tun_src = k.tun_src;
        pkt->tun.tun_dst = k.tun_dst;
        if (sf->field == FLOW_FIELD_TUN_SRC)
            pkt->tun.set |= DP_TUN_SET_SRC;
        else if (sf->field == FLOW_FIELD_TUN_DST)
            pkt->tun.set |= DP_TUN_SET_DST;
        return;
    }
    if (flow_field_is_hdr(sf->field)) {
        uint64_t val[2] = { v[0], v[1] }, mask[2];

        wide_ones(mask, sf->n_bits);
        val[0] &= mask[0];
        val[1] &= mask[1];
        wide_shl(val, sf->ofs);
        wide_shl(mask, sf->ofs);
        dp_hdr_set(pkt, sf->field, val, mask);
        return;
    }
    if (pkt->meta != NULL)
        flow_subfield_set(pkt->meta, sf, v);
}

static void
load(struct dp_pkt *pkt, const struct flow_action *a)
{
    const uint64_t v[2] = { a->u.value, 0 };

    sf_set(pkt, &a->dst, v);
}

static bool
is_nd_field(unsigned field)
{
    return field >= FLOW_FIELD_ND_TARGET && field <= FLOW_FIELD_ND_TLL;
}

/* Open vSwitch checks a move's prerequisites on each packet and skips a
 * move whose fields the packet lacks: the match promises every other
 * header, but not the Neighbor Discovery message's code (or its type after
 * a set_field onto it). */
static void
move(struct dp_pkt *pkt, const struct flow_action *a)
{
    uint64_t v[2];

    if ((is_nd_field(a->u.src.field) && !dp_nd_present(pkt, a->u.src.field))
        || (is_nd_field(a->dst.field) && !dp_nd_present(pkt, a->dst.field)))
        return;
    if (sf_get(pkt, &a->u.src, v))
        sf_set(pkt, &a->dst, v);
}

/* push:SRC and pop:DST, Open vSwitch's register stack */
static void
stack_push(struct dp_pkt *pkt, const struct flow_action *a)
{
    struct dp_stack *s = pkt->stack;
    uint64_t v[2];

    if (s == NULL || s->n >= DP_STACK_MAX || !sf_get(pkt, &a->u.src, v))
        return;
    s->v[s->n][0] = v[0];
    s->v[s->n][1] = v[1];
    s->n++;
}

static void
stack_pop(struct dp_pkt *pkt, const struct flow_action *a)
{
    struct dp_stack *s = pkt->stack;

    /* an empty stack: Open vSwitch reports it and goes on */
    if (s == NULL || s->n == 0)
        return;
    s->n--;
    sf_set(pkt, &a->dst, s->v[s->n]);
}

/* The bytes of Ethernet padding after the packet's IP datagram, as Open
 * vSwitch's datapath finds them when it parses a frame: behind one VLAN
 * tag at most (its vlan-limit) and an LLC/SNAP header with OUI 0, an
 * IPv4 header whose lengths are consistent or an IPv6 fixed header whose
 * payload fits; any other frame has none. Read from the frame as it now
 * is: no action changes an IP length, and a pushed or stripped tag moves
 * the datagram, not its end. */
static size_t
l2_pad(const struct dp_pkt *pkt)
{
    const uint8_t *f = pkt->buf.data;
    size_t len = pkt->buf.len, ofs = 12, room;
    uint16_t type;

    if (len < 14)
        return 0;
    type = dp_rd16(f + 12);
    if ((type == DP_ETH_VLAN || type == DP_ETH_QINQ) && len >= 18) {
        ofs += 4;
        type = dp_rd16(f + ofs);
    }
    ofs += 2;
    if (type < DP_ETH_TYPE_MIN) {
        static const uint8_t snap[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };

        if (len - ofs < 8 || memcmp(f + ofs, snap, sizeof(snap)) != 0)
            return 0;
        type = dp_rd16(f + ofs + 6);
        ofs += 8;
    }
    room = len - ofs;
    if (type == DP_ETH_IPV4 && room >= 20) {
        size_t ihl = (size_t)(f[ofs] & 0x0f) * 4, tot = dp_rd16(f + ofs + 2);

        if (ihl >= 20 && ihl <= room && tot <= room && ihl <= tot)
            return room - tot;
    } else if (type == DP_ETH_IPV6 && room >= 40) {
        size_t plen = dp_rd16(f + ofs + 4);

        if (plen + 40 <= room)
            return room - 40 - plen;
    }
    return 0;
}

/* check_pkt_larger(N)->DST: Open vSwitch's datapath compares the packet
 * as the actions so far left it, without its Ethernet padding. */
static void
check_pkt_larger(struct dp_pkt *pkt, const struct flow_action *a)
{
    uint64_t v[2] = { pkt->buf.len - l2_pad(pkt) > a->u.pkt_len, 0 };

    sf_set(pkt, &a->dst, v);
}

/* output:REG[..]: Open vSwitch reads the bits as a 16-bit OpenFlow 1.0
 * port: 1..0xfeff is a port, 0xfff8..0xfffe a reserved one (IN_PORT,
 * NORMAL, FLOOD, ALL, CONTROLLER with the whole packet, LOCAL; TABLE
 * outputs nothing here); 0, 0xff00..0xfff7, 0xffff (NONE) and a value
 * wider than 16 bits output nothing. */
static void
output_reg(const struct dp_actions_env *env, struct dp_pkt *pkt,
           const struct flow_action *a, bool last,
           struct dp_act_stats *stats)
{
    uint64_t v[2];

    if (!sf_get(pkt, &a->u.src, v))
        return;
    if (v[1] != 0 || v[0] == 0 || v[0] > 0xfffe)
        return;
    if (v[0] >= 0xfff8) {
        struct flow_action r = {
            .type = FLOW_ACT_OUTPUT,
            .pad0 = FLOW_CONTROLLER_MAX_LEN,
            .u.port = 0xffff0000u | (uint32_t)v[0],
        };

        dp_output_reserved(env, pkt, &r, last, stats);
        return;
    }
    if (v[0] >= 0xff00)
        return;
    dp_output_one(env, pkt, (uint32_t)v[0], last, stats);
}

/* The clone's own action set, at the clone's end: Open vSwitch runs the
 * copy's set there (what the packet's set held when the clone began, and
 * what the body's resubmits wrote into it). Not inlined: the list's room
 * is on the stack only while it runs. */
static __attribute__((noinline)) void
clone_actset(const struct dp_actions_env *env, struct dp_pkt *pkt,
             struct dp_act_stats *stats)
{
    struct flow_action list[DP_ACTSET_LIST_MAX];
    unsigned n = dp_actset_take(pkt, list);
    uint8_t goto_table = 0;

    if (n > 0)
        (void)dp_actions_run(env, pkt, list, n, &goto_table, stats);
}

/*
 * clone(ACTIONS), as Open vSwitch 3.1 does it: the body runs on a copy of
 * the packet and of its state (bytes, tags, tunnel metadata, in_port,
 * registers, the register stack, the action set); its resubmits look
 * their tables up (env->resubmit) and come back to the body; at its end
 * the copy's action set runs. Then the packet goes on as it was. Only the
 * frame's bytes need saving: pushes use headroom before them and the
 * encapsulation of an output writes only there too. The body never holds
 * the packet's last output, since the packet lives on after it. A frame
 * that cannot be saved sends none of the body's copies.
 */
static enum dp_act_result
run_clone(const struct dp_actions_env *env, struct dp_pkt *pkt,
          const struct flow_action *body, unsigned n,
          struct dp_act_stats *stats)
{
    enum dp_act_result rc;
    struct dp_actions_env inner = *env;
    struct dp_pkt saved = *pkt;
    struct flow_meta meta;
    struct dp_stack stack;
    struct dp_actset set;
    bool had_set = dp_actset_pending(pkt);
    uint8_t small[2048];
    uint8_t *bytes = small;
    uint8_t goto_table = 0;
    unsigned at = 0;

    if (pkt->buf.len > sizeof(small)
        && (bytes = malloc(pkt->buf.len)) == NULL)
        return DP_ACT_DONE;
    memcpy(bytes, pkt->buf.data, pkt->buf.len);
    if (pkt->meta != NULL)
        meta = *pkt->meta;
    /* the stack too, as Open vSwitch's clone keeps it */
    if (pkt->stack != NULL) {
        stack.n = pkt->stack->n;
        memcpy(stack.v, pkt->stack->v, stack.n * sizeof(stack.v[0]));
    }
    if (had_set)
        set = *pkt->actset;
    inner.nested = true;
    for (;;) {
        rc = dp_actions_run_from(&inner, pkt, body, n, &at, &goto_table,
                                 stats);
        if (rc != DP_ACT_RESUBMIT)
            break;
        /* an exit in the tables it looked up, or the limits passed: the
         * packet's actions end, as for an exit in the body */
        if (env->resubmit != NULL
            && !env->resubmit(env->resubmit_ctx, pkt, &body[at])) {
            rc = DP_ACT_EXIT;
            break;
        }
        at++;
    }
    /* a drop inside (a TTL, no headroom for a push) ends only the body;
     * an exit ends the packet's actions, the copy's set too, as in Open
     * vSwitch (its exit is not put back after a clone) */
    if (rc != DP_ACT_EXIT && rc != DP_ACT_FAIL && dp_actset_pending(pkt))
        clone_actset(&inner, pkt, stats);
    *pkt = saved;
    memcpy(pkt->buf.data, bytes, pkt->buf.len);
    if (pkt->meta != NULL)
        *pkt->meta = meta;
    if (pkt->stack != NULL) {
        pkt->stack->n = stack.n;
        memcpy(pkt->stack->v, stack.v, stack.n * sizeof(stack.v[0]));
    }
    if (had_set)
        *pkt->actset = set;
    else if (pkt->actset != NULL)
        pkt->actset->any = false;
    if (bytes != small)
        free(bytes);
    return rc == DP_ACT_EXIT ? DP_ACT_EXIT : DP_ACT_DONE;
}

/* The packet's ct_* fields back to "untracked": after ct_clear, and after
 * a ct action for the rest of the list (only a recirculation, ct's
 * table=, sees what the tracker said). */
static void
ct_clear(struct dp_pkt *pkt)
{
    if (pkt->meta == NULL)
        return;
    pkt->meta->ct_state = 0;
    pkt->meta->ct_zone = 0;
    pkt->meta->ct_mark = 0;
    pkt->meta->ct_label[0] = 0;
    pkt->meta->ct_label[1] = 0;
}

/* ---- the list (a lone OUTPUT is dp_output_one(), dp_priv.h) ---- */

enum dp_act_result
dp_actions_run(const struct dp_actions_env *env, struct dp_pkt *pkt,
               const struct flow_action *acts, unsigned n_acts,
               uint8_t *goto_table, struct dp_act_stats *stats)
{
    unsigned at = 0;

    return dp_actions_run_from(env, pkt, acts, n_acts, &at, goto_table,
                               stats);
}

enum dp_act_result
dp_actions_run_from(const struct dp_actions_env *env, struct dp_pkt *pkt,
                    const struct flow_action *acts, unsigned n_acts,
                    unsigned *at, uint8_t *goto_table,
                    struct dp_act_stats *stats)
{
    for (unsigned i = *at; i < n_acts; i++) {
        const struct flow_action *a = &acts[i];
        enum dp_act_result rc = DP_ACT_DONE;
        /* the list's final action, outside a resubmit: nothing runs
         * after it */
        bool last = i + 1 == n_acts && !env->nested
                    && !dp_actset_pending(pkt);

        switch ((enum flow_action_type)a->type) {
        case FLOW_ACT_OUTPUT:
            if (flow_port_is_reserved(a->u.port))
                dp_output_reserved(env, pkt, a, last, stats);
            else
                dp_output_one(env, pkt, a->u.port, last, stats);
            break;
        case FLOW_ACT_PUSH_VLAN:
            if (no_eth(pkt))
                break;
            rc = dp_tag_push(pkt, ntohs(a->u.tpid), 0, false);
            break;
        case FLOW_ACT_MOD_VLAN_VID:
            if (no_eth(pkt))
                break;
            rc = mod_tci(pkt, (uint16_t)~FLOW_VLAN_VID_MASK,
                         ntohs(a->u.vlan.vid) & FLOW_VLAN_VID_MASK,
                         a->u.vlan.push_if_untagged);
            break;
        case FLOW_ACT_MOD_VLAN_PCP:
            if (no_eth(pkt))
                break;
            rc = mod_tci(pkt, 0x1fff,
                         (uint16_t)((a->u.vlan.pcp & 7) << FLOW_VLAN_PCP_SHIFT),
                         a->u.vlan.push_if_untagged);
            break;
        case FLOW_ACT_STRIP_VLAN:
            if (!no_eth(pkt))
                dp_tag_strip(pkt);
            break;
        case FLOW_ACT_MOD_DL_SRC:
            if (pkt->buf.len >= 12 && !no_eth(pkt))
                memcpy(pkt->buf.data + 6, a->u.mac, 6);
            break;
        case FLOW_ACT_MOD_DL_DST:
            if (pkt->buf.len >= 6 && !no_eth(pkt))
                memcpy(pkt->buf.data, a->u.mac, 6);
            break;
        case FLOW_ACT_MOD_NW_SRC:
            dp_rw_ipv4_addr(pkt, 12, a->u.ipv4);
            break;
        case FLOW_ACT_MOD_NW_DST:
            dp_rw_ipv4_addr(pkt, 16, a->u.ipv4);
            break;
        case FLOW_ACT_MOD_NW_TOS:
            dp_rw_tos(pkt, a->u.tos);
            break;
        case FLOW_ACT_MOD_TP_SRC:
            dp_rw_port(pkt, 0, a->u.tp_port);
            break;
        case FLOW_ACT_MOD_TP_DST:
            dp_rw_port(pkt, 2, a->u.tp_port);
            break;
        case FLOW_ACT_DEC_TTL:
            rc = dp_rw_dec_ttl(pkt);
            break;
        case FLOW_ACT_SET_TUNNEL:
            pkt->tun.tun_id = a->u.tun_id;
            break;
        case FLOW_ACT_SET_TUN_SRC:
            pkt->tun.tun_src = a->u.ipv4;
            pkt->tun.set |= DP_TUN_SET_SRC;
            break;
        case FLOW_ACT_SET_TUN_DST:
            pkt->tun.tun_dst = a->u.ipv4;
            pkt->tun.set |= DP_TUN_SET_DST;
            break;
        case FLOW_ACT_MOD_NW_TTL:
            dp_rw_ttl(pkt, a->u.ttl);
            break;
        case FLOW_ACT_OUTPUT_TRUNC:
            dp_output_trunc(env, pkt, a->u.trunc.port, a->u.trunc.max_len,
                            last, stats);
            break;
        case FLOW_ACT_MOD_VLAN_TCI:
            if (no_eth(pkt))
                break;
            /* CFI is "tagged" in OpenFlow, never a bit to write */
            rc = mod_tci(pkt, (uint16_t)~ntohs(a->u.tci.mask),
                         ntohs(a->u.tci.value) & (uint16_t)~FLOW_VLAN_CFI,
                         false);
            break;
        case FLOW_ACT_SET_IN_PORT:
            /* outputs, IN_PORT, NORMAL and later lookups all read it */
            pkt->in_port = a->u.port;
            break;
        case FLOW_ACT_COUNT_:
            break;
        case FLOW_ACT_MOD_NW_ECN:
            dp_rw_ecn(pkt, a->u.tos);
            break;
        case FLOW_ACT_GOTO_TABLE:
            *goto_table = a->u.table;
            return DP_ACT_GOTO;
        case FLOW_ACT_LOAD:
            load(pkt, a);
            break;
        case FLOW_ACT_MOVE:
            move(pkt, a);
            break;
        case FLOW_ACT_OUTPUT_REG:
            output_reg(env, pkt, a, last, stats);
            break;
        case FLOW_ACT_RESUBMIT:
            *at = i;
            return DP_ACT_RESUBMIT;
        case FLOW_ACT_CONJUNCTION:
            /* a clause flow is never a lookup's result: nothing to run */
            break;
        case FLOW_ACT_PUSH_MPLS:
            if (!no_eth(pkt))
                rc = dp_mpls_push(pkt, ntohs(a->u.tpid));
            break;
        case FLOW_ACT_POP_MPLS:
            if (!no_eth(pkt))
                rc = dp_mpls_pop(pkt, ntohs(a->u.tpid));
            break;
        case FLOW_ACT_SET_MPLS_LABEL:
            dp_mpls_set(pkt, 0xfffff000u, a->u.mpls << 12);
            break;
        case FLOW_ACT_SET_MPLS_TC:
            dp_mpls_set(pkt, 0xe00u, a->u.mpls << 9);
            break;
        case FLOW_ACT_SET_MPLS_TTL:
            dp_mpls_set(pkt, 0xffu, a->u.mpls);
            break;
        case FLOW_ACT_DEC_MPLS_TTL:
            rc = dp_mpls_dec_ttl(pkt);
            break;
        case FLOW_ACT_DECAP:
            rc = dp_decap(pkt, a);
            break;
        case FLOW_ACT_ENCAP:
            rc = a->u.ptype == FLOW_PT_ETH
                 ? dp_encap_eth(pkt)
                 : dp_mpls_encap(pkt, FLOW_PT_TYPE(a->u.ptype));
            break;
        case FLOW_ACT_CT: {
            /* its exec() body is the tracker's, not the packet's */
            unsigned n = a->u.ct.n_exec;

            if (n > n_acts - i - 1)
                n = n_acts - i - 1;
            if (env->ct != NULL)
                env->ct(env->ct_ctx, pkt, a, i + 1 + n == n_acts
                        && !env->nested && !dp_actset_pending(pkt));
            ct_clear(pkt);
            i += n;
            break;
        }
        case FLOW_ACT_CT_CLEAR:
            ct_clear(pkt);
            break;
        case FLOW_ACT_LEARN: {
            unsigned n = a->u.learn.n;

            if (n > n_acts - i - 1)
                n = n_acts - i - 1;
            dp_learn_action(env, pkt, a);
            i += n;
            break;
        }
        case FLOW_ACT_LEARN_SPEC:
            break;
        case FLOW_ACT_FIN_TIMEOUT:
            dp_learn_action(env, pkt, a);
            break;
        case FLOW_ACT_WRITE_ACTIONS: {
            /* into the set, which runs when the pipeline ends */
            unsigned n = a->u.clone.n;

            if (n > n_acts - i - 1)
                n = n_acts - i - 1;
            dp_actset_write(pkt, a + 1, n);
            i += n;
            break;
        }
        case FLOW_ACT_CLEAR_ACTIONS:
            dp_actset_clear(pkt);
            break;
        case FLOW_ACT_ENQUEUE: {
            /* one transmit queue per port: an output to the port */
            struct flow_action o = {
                .type = FLOW_ACT_OUTPUT,
                .u.port = a->u.enqueue.port,
            };

            if (flow_port_is_reserved(o.u.port))
                dp_output_reserved(env, pkt, &o, last, stats);
            else
                dp_output_one(env, pkt, o.u.port, last, stats);
            break;
        }
        case FLOW_ACT_STACK_PUSH:
            stack_push(pkt, a);
            break;
        case FLOW_ACT_STACK_POP:
            stack_pop(pkt, a);
            break;
        case FLOW_ACT_CHECK_PKT_LARGER:
            check_pkt_larger(pkt, a);
            break;
        case FLOW_ACT_SAMPLE: {
            /* no IPFIX exporter: nothing to hand the sample to, and the
             * packet is not changed (Open vSwitch's without one either) */
            unsigned n = flow_action_n_args(a);

            i += n > n_acts - i - 1 ? n_acts - i - 1 : n;
            break;
        }
        case FLOW_ACT_ARGS:
            break;
        case FLOW_ACT_MULTIPATH: {
            uint64_t v[2] = { dp_multipath_link(pkt, a), 0 };

            sf_set(pkt, &a->dst, v);
            break;
        }
        case FLOW_ACT_BUNDLE: {
            unsigned n = flow_action_n_args(a);
            uint32_t port;

            if (n > n_acts - i - 1)
                break;          /* not from the flow table */
            port = dp_bundle_member(env, pkt, a);
            i += n;
            if (a->dst.n_bits != 0) {
                /* its OpenFlow 1.0 number; none live: 0xffff (NONE) */
                uint64_t v[2] = { port & 0xffff, 0 };

                sf_set(pkt, &a->dst, v);
            } else if (port != FLOW_PORT_ANY) {
                struct flow_action o = { .type = FLOW_ACT_OUTPUT,
                                         .u.port = port };

                last = i + 1 == n_acts && !env->nested
                       && !dp_actset_pending(pkt);
                if (flow_port_is_reserved(port))
                    dp_output_reserved(env, pkt, &o, last, stats);
                else
                    dp_output_one(env, pkt, port, last, stats);
            }
            break;
        }
        case FLOW_ACT_CLONE: {
            unsigned n = a->u.clone.n;

            if (n > n_acts - i - 1)
                n = n_acts - i - 1;
            rc = run_clone(env, pkt, a + 1, n, stats);
            i += n;
            break;
        }
        case FLOW_ACT_NOTE:
            /* its bytes are for whoever reads the flow back */
            i += a->u.note.n < n_acts - i - 1 ? a->u.note.n
                                              : n_acts - i - 1;
            break;
        case FLOW_ACT_NOTE_DATA:
        case FLOW_ACT_DEBUG_RECIRC:
        case FLOW_ACT_DEBUG_SLOW:
            /* Open vSwitch's datapath internals: the packet is the same */
            break;
        case FLOW_ACT_EXIT:
            return DP_ACT_EXIT;
        }
        if (rc != DP_ACT_DONE)
            return rc;
    }
    return DP_ACT_DONE;
}
