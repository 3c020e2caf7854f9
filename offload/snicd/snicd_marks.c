/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mark table the workers read: what a MARK on a received packet means
 * (docs/snicd.md, rule 3). The offload manager says which marks are live
 * at each commit; the control thread builds an immutable open-addressing
 * table, publishes it with one release store, and frees the previous one
 * after the datapath's grace period (every worker quiesced), the same
 * discipline as the datapath's own classifier snapshots.
 *
 * A partial flow's entry carries a copy of the flow's actions and its
 * datapath counter slot, so a worker never touches the flow table (which
 * only the control thread may read). Slot safety: the table is published
 * by the offload commit, which runs before the datapath commit that may
 * retire a deleted flow's slot; the slot's grace period therefore starts
 * after no new reader can find it here (snicd_core.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snicd.h"

static uint32_t
mark_hash(uint32_t mark)
{
    return (mark * 0x9e3779b1u) ^ (mark >> 16);
}

const struct snicd_mark_entry *
snicd_marks_find(const struct snicd_mark_table *t, uint32_t mark)
{
    if (t == NULL)
        return NULL;
    for (uint32_t i = mark_hash(mark) & t->mask; ; i = (i + 1) & t->mask) {
        const struct snicd_mark_entry *e = &t->slots[i];

        if (e->kind == 0)
            return NULL;
        if (e->mark == mark)
            return e;
    }
}

struct snicd_mark_table *
snicd_marks_build(const struct snicd_mark *marks, unsigned n,
                  const struct flow_table *flows, const struct dp_cls *cls)
{
    uint32_t size = 8;
    struct snicd_mark_table *t;

    while (size < 2u * n + 1)   /* load <= 1/2: probes stay short */
        size *= 2;
    t = calloc(1, sizeof(*t) + size * sizeof(t->slots[0]));
    if (t == NULL)
        return NULL;
    t->mask = size - 1;
    for (unsigned k = 0; k < n; k++) {
        const struct snicd_mark *m = &marks[k];
        struct snicd_mark_entry *e;
        uint32_t i = mark_hash(m->mark) & t->mask;

        if (m->kind != SNICD_MARK_PARTIAL && m->kind != SNICD_MARK_RESUME
            && m->kind != SNICD_MARK_DECAP)
            continue;
        while (t->slots[i].kind != 0 && t->slots[i].mark != m->mark)
            i = (i + 1) & t->mask;
        e = &t->slots[i];
        e->mark = m->mark;
        e->kind = m->kind;
        e->table = m->table;
        e->flow_id = m->flow_id;
        e->n_actions = 0;
        e->slot = -1;
        e->in_port = m->in_port;
        e->tun = m->tun;
        if (m->kind == SNICD_MARK_PARTIAL) {
            const struct flow_entry *fe = flows != NULL
                ? flow_table_find(flows, m->flow_id) : NULL;

            if (fe == NULL) {
                /* unknown flow: a packet with it is classified instead */
                e->kind = SNICD_MARK_RESUME;
                e->table = 0;
                continue;
            }
            e->n_actions = fe->flow.n_actions;
            /* the software counts a partial flow's packets (the hardware
             * reports none for it) */
            e->slot = cls != NULL ? dp_cls_slot(cls, m->flow_id) : -1;
            memcpy(e->actions, fe->flow.actions,
                   fe->flow.n_actions * sizeof(e->actions[0]));
        }
    }
    return t;
}

void
snicd_marks_publish(struct snicd *d, struct snicd_mark_table *t)
    SNIC_REQUIRES(snic_control)
{
    struct snicd_mark_table *old = __atomic_exchange_n(
        &d->marks, t, __ATOMIC_ACQ_REL);

    if (old == NULL)
        return;
    if (dp_defer(d->dp, free, old) < 0) {
        dp_synchronize(d->dp);
        free(old);
    }
}
