/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which tables software can drop a packet whole from: a leaf of the
 * offload manager (docs/snicd.md, rule 4).
 *
 * Open vSwitch drops a packet whole, every output it already made
 * included, when its translation fails: past the resubmit limits, or on a
 * push or pop on an MPLS stack deeper than it tracks (docs/flow-language.md;
 * the datapath's check run holds the outputs back). A hardware rule that
 * outputs and then jumps to a table where software may take the packet
 * over would have sent its copy before software decides to drop it all:
 * software alone never sends it. So such a rule may not output before its
 * JUMP when the packet can fail from the target table on.
 *
 * Whether it can is a property of the desired state, not of placement: a
 * packet that reaches table T can meet any flow of T in software (the
 * hardware sends a miss there, or a partial flow's packet), and then any
 * flow of the tables those go to. Table T "may fail" when one of its
 * flows can fail a packet itself (a resubmit: its lookups count against
 * the limits and may come back; push_mpls, pop_mpls; an output that may
 * reach a patch port, which looks table 0 up again) or goes to a table
 * that may fail. A flow goes to table N with goto_table:N, or with a
 * resubmit(,N) to a later table that is its last action and keeps
 * in_port (snicd_xlate_jump()): that one is a goto_table, not a failure
 * of its own. It cannot pass the depth limit (a lookup of a later table
 * is not deeper), and it adds one lookup, as goto_table does: a chain of
 * such jumps makes fewer lookups than there are tables, and only a
 * fan-out (a resubmit that returns, a patch port's second pass, each a
 * failure of its own here) can reach the 4,096; where one is reachable
 * from N, table N may fail and the jump carries that back. Jumps only go
 * forward, so one pass from the last table down decides every table. The
 * test is the datapath's, made coarser: a forward resubmit that returns
 * counts too, although only a fan-out past the 4,096 lookups could fail
 * it.
 *
 * Counts per table (flows that fail themselves, flows that go to each
 * later table) follow every add, change and delete, so settling after a
 * commit's changes costs tables squared, not flows; the caller places
 * again the flows whose rule depends on a table that flipped.
 */
#include <string.h>

#include "snicd_offload_priv.h"

static bool
is_patch(const struct snicd_fail *fl, uint32_t port)
{
    for (unsigned i = 0; i < fl->n_patch; i++)
        if (fl->patch[i] == port)
            return true;
    return false;
}

/* Whether action @a may send to a patch port: one by number, or a port
 * it picks from the packet (IN_PORT, ALL, FLOOD, NORMAL, a register, a
 * bundle's member). A clone's or write_actions' body is in the list. */
static bool
may_patch(const struct snicd_fail *fl, const struct flow_action *a)
{
    if (fl->n_patch == 0)
        return false;
    switch (a->type) {
    case FLOW_ACT_OUTPUT:
        return is_patch(fl, a->u.port) || a->u.port == FLOW_PORT_IN_PORT
               || a->u.port == FLOW_PORT_ALL || a->u.port == FLOW_PORT_FLOOD
               || a->u.port == FLOW_PORT_NORMAL;
    case FLOW_ACT_ENQUEUE:
        return is_patch(fl, a->u.enqueue.port)
               || a->u.enqueue.port == FLOW_PORT_IN_PORT;
    case FLOW_ACT_OUTPUT_REG:
    case FLOW_ACT_BUNDLE:
        return true;
    default:
        return false;
    }
}

bool
snicd_fail_by_itself(const struct snicd_fail *fl, const struct snicd_oflow *f)
{
    bool jumps = snicd_oflow_jump(f) >= 0;
    const struct flow_action *a = snicd_oflow_actions(f);
    unsigned n = snicd_oflow_n_actions(f);

    for (unsigned i = 0; i < n; i++)
        switch (a[i].type) {
        case FLOW_ACT_RESUBMIT:
            /* the last one, when it is the flow's jump: counted as a goto
             * (snicd_fail_count()) */
            if (jumps && i + 1u == n)
                break;
            return true;
        case FLOW_ACT_PUSH_MPLS:
        case FLOW_ACT_POP_MPLS:
        case FLOW_ACT_DECAP:
        case FLOW_ACT_ENCAP:
            return true;
        default:
            if (may_patch(fl, &a[i]))
                return true;
            break;
        }
    return false;
}

void
snicd_fail_set_patches(struct snicd_offload *o,
                       const struct snicd_port_info *ports, unsigned n)
{
    struct snicd_fail *fl = &o->fail;
    uint32_t v[SNICD_FAIL_MAX_PATCH];
    unsigned k = 0;

    for (unsigned i = 0; i < n && k < SNICD_FAIL_MAX_PATCH; i++)
        if (ports[i].is_patch)
            v[k++] = ports[i].ofport;
    if (k == fl->n_patch && memcmp(v, fl->patch, k * sizeof(v[0])) == 0)
        return;
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        for (uint32_t i = 0; i < o->tables[t].n; i++)
            snicd_fail_count(fl, o->tables[t].flows[i], -1);
    memcpy(fl->patch, v, k * sizeof(v[0]));
    fl->n_patch = k;
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        for (uint32_t i = 0; i < o->tables[t].n; i++)
            snicd_fail_count(fl, o->tables[t].flows[i], 1);
}

void
snicd_fail_count(struct snicd_fail *fl, const struct snicd_oflow *f, int d)
{
    int to = snicd_oflow_jump(f);

    if (snicd_fail_by_itself(fl, f)) {
        fl->n_self[f->table_id] += (uint32_t)d;
        fl->dirty = true;
    }
    if (to >= 0) {
        fl->n_goto[f->table_id][to] += (uint32_t)d;
        fl->dirty = true;
    }
}

unsigned
snicd_fail_settle(struct snicd_fail *fl, bool flipped[SNICD_NUM_TABLES])
{
    unsigned n = 0;

    memset(flipped, 0, SNICD_NUM_TABLES * sizeof(flipped[0]));
    if (!fl->dirty)
        return 0;
    fl->dirty = false;
    for (unsigned t = SNICD_NUM_TABLES; t-- > 0;) {
        bool may = fl->n_self[t] > 0;

        for (unsigned u = t + 1; !may && u < SNICD_NUM_TABLES; u++)
            may = fl->n_goto[t][u] > 0 && fl->may[u];
        if (may != fl->may[t]) {
            fl->may[t] = may;
            flipped[t] = true;
            n++;
        }
    }
    return n;
}
