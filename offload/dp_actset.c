/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow 1.1's action set, as Open vSwitch runs it: write_actions adds
 * to a packet's set, clear_actions empties it, and when the packet's
 * pipeline ends the set becomes one action list in a fixed order.
 *
 * Open vSwitch keeps the actions written, in order, and at the end takes
 * the last strip_vlan, pop_mpls, push_mpls, push_vlan, dec_ttl and
 * dec_mpls_ttl written, then every set/load/move in the order written,
 * then the last output; without an output it runs nothing at all (a
 * rewrite of a packet that goes nowhere is moot). Keeping only those, as
 * pointers into the flows' action lists (which outlive the packet: the
 * classifier's snapshot is held while it runs), gives the same list.
 *
 * A leaf: the executor (dp_actions.c) writes and clears, the pipeline
 * (dp_path.c) takes the list and runs it.
 */
#include "dp_priv.h"

static int
last_slot(uint16_t type)
{
    switch (type) {
    case FLOW_ACT_STRIP_VLAN:
        return DP_AS_STRIP_VLAN;
    case FLOW_ACT_POP_MPLS:
        return DP_AS_POP_MPLS;
    case FLOW_ACT_PUSH_MPLS:
        return DP_AS_PUSH_MPLS;
    case FLOW_ACT_PUSH_VLAN:
        return DP_AS_PUSH_VLAN;
    case FLOW_ACT_DEC_TTL:
        return DP_AS_DEC_TTL;
    case FLOW_ACT_DEC_MPLS_TTL:
        return DP_AS_DEC_MPLS_TTL;
    case FLOW_ACT_OUTPUT:
        return DP_AS_OUTPUT;
    default:
        return -1;
    }
}

void
dp_actset_write(struct dp_pkt *pkt, const struct flow_action *body,
                unsigned n)
{
    struct dp_actset *as = pkt->actset;

    if (as == NULL || n == 0)
        return;
    if (!as->any) {
        memset(as->last, 0, sizeof(as->last));
        as->n_sets = 0;
        as->overflow = false;
        as->any = true;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct flow_action *a = &body[i];
        int k = last_slot(a->type);

        if (k >= 0) {
            as->last[k] = a;
            /* Open vSwitch's actset_output: the port of the output the
             * set now holds */
            if (k == DP_AS_OUTPUT && pkt->meta != NULL)
                pkt->meta->actset_output = a->u.port;
        } else if (as->n_sets < DP_ACTSET_MAX_SETS) {
            as->sets[as->n_sets++] = a;
        } else {
            as->overflow = true;
        }
    }
}

void
dp_actset_clear(struct dp_pkt *pkt)
{
    if (pkt->actset != NULL)
        pkt->actset->any = false;
    if (pkt->meta != NULL)
        pkt->meta->actset_output = 0;
}

unsigned
dp_actset_take(struct dp_pkt *pkt, struct flow_action out[DP_ACTSET_LIST_MAX])
{
    struct dp_actset *as = pkt->actset;
    unsigned n = 0;

    if (as == NULL || !as->any)
        return 0;
    as->any = false;
    if (as->overflow || as->last[DP_AS_OUTPUT] == NULL)
        return 0;
    for (int k = 0; k < DP_AS_OUTPUT; k++)
        if (as->last[k] != NULL)
            out[n++] = *as->last[k];
    for (unsigned i = 0; i < as->n_sets; i++)
        out[n++] = *as->sets[i];
    out[n++] = *as->last[DP_AS_OUTPUT];
    return n;
}
