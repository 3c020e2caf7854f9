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
 *
 * Held marks. A snicd restarted under traffic finds the rules the earlier
 * one left in the card still forwarding and marking, and publishes its
 * software datapath before its offload manager has placed a flow (the
 * start-up order, snicd_main.c). The earlier instance's marks are then
 * read from the rules themselves: a rule that jumps to group N marks
 * frames that missed in N, already changed by its actions (resume at
 * table N); one that does not jump is a partial flow's, whose frame is
 * unchanged and classified from its own table N, where that flow wins
 * (rule 1 of docs/snicd.md), so software runs the same actions. A held
 * entry never reruns what the card did: no frame the card output is
 * sent twice. Marks of the decap range and rules in a decap context's
 * group (a decapsulated frame) get no entry: the workers drop the former
 * and count them. The held entries stay under the offload manager's
 * until its rules replaced the earlier ones and those frames have left
 * the queues (SNICD_MARK_QUIET_MS after the purge).
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

void
snicd_marks_hold(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    /* Asked with room for HELD_GUESS marks first, so that one question
     * a port usually does: a count first would be one more. More marks
     * than that: asked again with room for all. */
    enum { HELD_GUESS = 1024 };
    unsigned cap = HELD_GUESS;
    struct snicd_held_mark *v = calloc(cap, sizeof(*v));
    int n = 0;

    if (d->orphan_marks == NULL || v == NULL) {
        free(v);
        return;
    }
    /* a card's orphans answer on the first of its ports asked */
    for (unsigned i = 0; i < d->ports.n && n == 0; i++) {
        uint16_t port = d->ports.v[i].ethdev;
        int want;

        if (port == UINT16_MAX)
            continue;
        want = d->orphan_marks(port, v, cap);
        if (want <= 0)
            continue;
        if ((unsigned)want > cap) {
            struct snicd_held_mark *nv = calloc((size_t)want, sizeof(*nv));

            if (nv == NULL) {
                free(v);
                return;
            }
            free(v);
            v = nv;
            cap = (unsigned)want;
            want = d->orphan_marks(port, v, cap);
        }
        /* more came meanwhile: the first ones will do */
        n = (unsigned)want > cap ? (int)cap : want;
    }
    if (n > 0)
        d->held = calloc((size_t)n, sizeof(*d->held));
    for (int k = 0; k < n && d->held != NULL; k++) {
        uint32_t table = v[k].jump_group != UINT32_MAX ? v[k].jump_group
                                                        : v[k].group;

        if (snicd_mark_is_decap(v[k].mark) || v[k].mark == 0 ||
            table > FLOW_TABLE_MAX)
            continue;
        d->held[d->n_held++] = (struct snicd_mark){
            .mark = v[k].mark, .kind = SNICD_MARK_RESUME,
            .table = (uint8_t)table,
        };
    }
    free(v);
    if (d->n_held > 0) {
        struct snicd_mark_table *t = snicd_marks_build(d->held, d->n_held,
                                                       NULL, NULL);

        if (t != NULL)
            snicd_marks_publish(d, t);
        snicd_log(SNICD_LOG_INFO, "%u marks of the rules an earlier snicd "
                  "left in the card read from the card until its flows are "
                  "placed", d->n_held);
    }
}

struct snicd_mark_table *
snicd_marks_merge_held(struct snicd *d, const struct snicd_mark *m,
                       unsigned n)
    SNIC_REQUIRES(snic_control)
{
    struct snicd_mark_table *t;
    struct snicd_mark *all;

    if (d->held != NULL && d->held_until_ns != 0 &&
        snic_now_ns() >= d->held_until_ns) {
        free(d->held);
        d->held = NULL;
        d->n_held = 0;
    }
    if (d->n_held == 0)
        return snicd_marks_build(m, n, d->table, dp_classifier(d->dp));
    all = malloc((d->n_held + n) * sizeof(*all));
    if (all == NULL)
        return NULL;
    /* a later entry of the same mark takes its slot: the manager's win */
    memcpy(all, d->held, d->n_held * sizeof(*all));
    if (n > 0)
        memcpy(all + d->n_held, m, n * sizeof(*all));
    t = snicd_marks_build(all, d->n_held + n, d->table, dp_classifier(d->dp));
    free(all);
    return t;
}
