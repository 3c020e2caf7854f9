/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch a datapath is: its set of ports, and the outputs to
 * OpenFlow's reserved ports that need it (IN_PORT, ALL, FLOOD; NORMAL is
 * dp_normal.c, its learning table dp_fdb.c). CONTROLLER and LOCAL are
 * handed to the caller like any output, under their reserved numbers: the
 * datapath has no control channel and no host port of its own.
 *
 * The port set is published like the tunnel set: the control thread
 * builds a new one and swaps the pointer; a worker loads it once per
 * output that needs it and may keep it until it quiesces.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_pipeline_priv.h"

/* ALL or FLOOD: a copy to each port of the set but the ingress one (and,
 * for FLOOD, the no-flood ones); only the last copy may end the packet. */
static void
output_flood(const struct dp_actions_env *env, struct dp_pkt *pkt,
             bool flood, bool last, struct dp_act_stats *stats)
{
    const struct dp_port_set *set;
    size_t prev = SIZE_MAX;

    if (env->sw == NULL)
        return;
    set = __atomic_load_n(&env->sw->sw->ports, __ATOMIC_ACQUIRE);
    for (size_t i = 0; set != NULL && i < set->n; i++) {
        const struct dp_port *p = &set->ports[i];

        if (p->ofport == pkt->in_port
            || (flood && (p->flags & DP_PORT_NO_FLOOD)))
            continue;
        if (prev != SIZE_MAX)
            dp_output_to(env, pkt, set->ports[prev].ofport, false, stats);
        prev = i;
    }
    if (prev != SIZE_MAX)
        dp_output_to(env, pkt, set->ports[prev].ofport, last, stats);
}

void
dp_output_reserved(const struct dp_actions_env *env, struct dp_pkt *pkt,
                   const struct flow_action *a, bool last,
                   struct dp_act_stats *stats)
{
    struct dp_output out = { .port = a->u.port, .tx_port = a->u.port,
                             .frame = pkt->buf.data, .len = pkt->buf.len,
                             .pkt = env->pkt, .in_port = pkt->in_port };

    /* NORMAL, flooding and LOCAL send to ports, which take Ethernet
     * only; the controller takes any packet */
    if (no_eth(pkt) && a->u.port != FLOW_PORT_CONTROLLER)
        return;
    switch (a->u.port) {
    case FLOW_PORT_IN_PORT:
        /* the one output that may go back where the packet came from */
        dp_output_to(env, pkt, pkt->in_port, last, stats);
        return;
    case FLOW_PORT_ALL:
    case FLOW_PORT_FLOOD:
        output_flood(env, pkt, a->u.port == FLOW_PORT_FLOOD, last, stats);
        return;
    case FLOW_PORT_NORMAL:
        dp_normal(env, pkt, last, stats);
        return;
    case FLOW_PORT_CONTROLLER:
        /* the first max_len bytes; the frame stays the datapath's */
        if (out.len > a->pad0)
            out.len = a->pad0;
        if (env->sw != NULL)
            snic_counter_add(&env->sw->stats->controller, 1);
        break;
    case FLOW_PORT_LOCAL:
        if (pkt->in_port == FLOW_PORT_LOCAL)
            return;
        out.last = last;
        break;
    default:
        /* TABLE and ANY never pass the parser and the flow table */
        return;
    }
    if (stats != NULL)
        stats->outputs++;
    env->output(env->ctx, &out);
    /* as any output: a later output(max_len) counts from here */
    dp_committed(pkt);
}

/* ---- control side ---- */

struct port_change {
    const struct dp_port_set *old, *new;
};

/* An entry survives when its port is still there with the same VLAN
 * configuration (Open vSwitch flushes a bundle's entries when it is
 * reconfigured). */
static bool
entry_keeps(void *ctx, uint32_t port, uint16_t vlan)
{
    const struct port_change *pc = ctx;
    const struct dp_port *a = dp_port_find(pc->old, port);
    const struct dp_port *b = dp_port_find(pc->new, port);

    (void)vlan;
    if (b == NULL)
        return false;
    return a != NULL && a->vlan_mode == b->vlan_mode && a->tag == b->tag
           && a->has_trunks == b->has_trunks && a->peer == b->peer
           && memcmp(a->trunks, b->trunks, sizeof(a->trunks)) == 0;
}

int
dp_set_ports(struct dp *dp, const struct dp_port *ports, size_t n)
{
    struct dp_port_set *set, *old;
    struct dp_patch *patch;
    struct port_change pc;
    size_t n_patch = 0;

    if (n > DP_MAX_SWITCH_PORTS || (n > 0 && ports == NULL))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (ports[i].ofport == 0 || ports[i].vlan_mode > DP_VLAN_NATIVE_UNTAGGED
            || ports[i].tag > FLOW_VLAN_VID_MASK)
            return -EINVAL;
        for (size_t j = 0; j < i; j++)
            if (ports[j].ofport == ports[i].ofport)
                return -EINVAL;
    }
    /* patch ports come in pairs, each the other's peer */
    for (size_t i = 0; i < n; i++) {
        const struct dp_port *peer = NULL;

        if (ports[i].peer == 0)
            continue;
        for (size_t j = 0; j < n; j++)
            if (ports[j].ofport == ports[i].peer)
                peer = &ports[j];
        if (ports[i].peer == ports[i].ofport || peer == NULL
            || peer->peer != ports[i].ofport)
            return -EINVAL;
        n_patch++;
    }
    set = malloc(sizeof(*set) + n * sizeof(set->ports[0])
                 + n_patch * sizeof(*patch));
    if (set == NULL)
        return -ENOMEM;
    set->n = n;
    patch = (struct dp_patch *)(void *)&set->ports[n];
    set->patch = patch;
    set->n_patch = 0;
    set->patch_bits = 0;
    memset(set->known, 0, sizeof(set->known));
    set->big = false;
    for (size_t i = 0; i < n; i++) {
        struct dp_port *p = &set->ports[i];

        *p = ports[i];
        if (p->ofport < DP_PORT_BITS)
            set->known[p->ofport / 64] |= 1ull << (p->ofport % 64);
        else
            set->big = true;
        if (p->peer != 0) {
            patch[set->n_patch++] = (struct dp_patch){ p->ofport, p->peer };
            set->patch_bits |= 1ull << (p->ofport % 64);
        }
        if (p->vlan_mode == DP_VLAN_ACCESS) {
            p->has_trunks = 0;
            memset(p->trunks, 0, sizeof(p->trunks));
        } else if (p->vlan_mode != DP_VLAN_TRUNK) {
            /* a native VLAN is always trunked, VLAN 0 never (untagged
             * frames are in the native VLAN) */
            if (!p->has_trunks)
                memset(p->trunks, 0xff, sizeof(p->trunks));
            p->has_trunks = 1;
            p->trunks[p->tag / 64] |= 1ull << (p->tag % 64);
            p->trunks[0] &= ~1ull;
        }
    }
    old = __atomic_exchange_n(&dp->sw.ports, set, __ATOMIC_ACQ_REL);
    pc.old = old;
    pc.new = set;
    dp_fdb_forget(dp->sw.fdb, entry_keeps, &pc);
    if (dp_qsbr_defer(dp->qsbr, free, old) < 0) {
        dp_qsbr_synchronize(dp->qsbr);
        free(old);
    }
    return 0;
}

int
dp_set_mac_aging(struct dp *dp, unsigned seconds)
{
    if (seconds < 1 || seconds > 86400)
        return -EINVAL;
    dp_fdb_set_aging(dp->sw.fdb, seconds);
    return 0;
}

void
dp_set_tlv_map(struct dp *dp, const struct flow_tlv_map *map)
{
    uint64_t w = 0;

    _Static_assert(sizeof(map->layout.tun_md_slot)
                   + sizeof(map->layout.tun_md_present) == sizeof(w),
                   "the slots and the present bits are one word");
    if (map != NULL)
        memcpy(&w, map->layout.tun_md_slot, sizeof(w));
    __atomic_store_n(&dp->tun_md_layout, w, __ATOMIC_RELAXED);
}

unsigned
dp_mac_aging(const struct dp *dp)
{
    return dp_fdb_aging(dp->sw.fdb);
}

size_t
dp_fdb_dump(const struct dp *dp, struct dp_fdb_entry *out, size_t max)
{
    return dp_fdb_entries(dp->sw.fdb, out, max);
}

static bool
keep_other_ports(void *ctx, uint32_t port, uint16_t vlan)
{
    (void)vlan;
    return port != *(const uint32_t *)ctx;
}

static bool
keep_none(void *ctx, uint32_t port, uint16_t vlan)
{
    (void)ctx;
    (void)port;
    (void)vlan;
    return false;
}

size_t
dp_fdb_flush(struct dp *dp, uint32_t port)
{
    if (port == 0)
        return dp_fdb_forget(dp->sw.fdb, keep_none, NULL);
    return dp_fdb_forget(dp->sw.fdb, keep_other_ports, &port);
}

int
dp_fdb_touch(struct dp *dp, const uint8_t mac[6], uint16_t vlan,
             uint32_t port)
{
    return dp_fdb_refresh(dp->sw.fdb, mac, vlan, port) ? 0 : -ENOENT;
}

uint32_t
dp_fdb_port(struct dp *dp, const uint8_t mac[6], uint16_t vlan)
{
    return dp_fdb_lookup(dp->sw.fdb, mac, vlan);
}

void
dp_set_clock(struct dp *dp, uint64_t (*now_s)(void *ctx), void *ctx)
{
    dp_fdb_set_clock(dp->sw.fdb, now_s, ctx);
    dp_ct_set_clock(dp->ct, now_s, ctx);
}
