/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Marks of the offload manager: a flow's (partial, resume) from the flow
 * range, settled on the flow as its rule is installed or goes, and the
 * live set published to the workers (cfg.marks_changed): the flows' marks
 * plus the decap contexts' (snicd_offload_tun.c), released ones included
 * while they are quiet. The commit publishes at its end; the install step
 * publishes before a decap context's pop rule exists, so no frame carries
 * a mark the workers do not know.
 */
#include <errno.h>
#include <stdlib.h>

#include "snicd_offload_priv.h"

uint32_t
snicd_offload_mark_alloc(struct snicd_offload *o, bool decap)
{
    return snicd_mark_pool_get(decap ? &o->decap_marks : &o->flow_marks,
                               snic_now_ns());
}

void
snicd_offload_mark_release(struct snicd_offload *o, uint32_t m)
{
    if (m == 0)
        return;
    snicd_mark_pool_put(snicd_mark_is_decap(m) ? &o->decap_marks
                                               : &o->flow_marks,
                        m, snic_now_ns());
}

void
snicd_offload_mark_settle(struct snicd_offload *o, struct snicd_oflow *f,
                          uint32_t m, uint8_t kind)
{
    if (f->mark != m) {
        snicd_offload_mark_release(o, f->mark);
        o->marks_dirty = true;
        if (f->mark != 0)
            o->n_marks--;
        if (m != 0)
            o->n_marks++;
        f->mark = m;
    }
    if (m != 0 && f->mark_kind != kind) {
        f->mark_kind = kind;
        o->marks_dirty = true;
    }
}

int
snicd_offload_marks_publish(struct snicd_offload *o)
{
    struct snicd_mark *marks;
    struct snicd_oflow *f;
    unsigned n = 0, room;
    int rc;

    if (!o->marks_dirty || o->cfg.marks_changed == NULL)
        return 0;
    room = o->n_marks + snicd_tun_n_marks(o);
    marks = calloc(room ? room : 1, sizeof(*marks));
    if (marks == NULL)
        return -ENOMEM; /* stays dirty: next commit retries */
    n = snicd_tun_marks(o, marks, room);
    SNIC_HMAP_FOR_EACH(f, id_node, &o->ids) {
        if (f->mark == 0 || n >= room)
            continue;
        marks[n].mark = f->mark;
        marks[n].kind = f->mark_kind;
        /* a combination rule's mark stands for its conj_id flow, whose
         * actions are the rule's */
        marks[n].flow_id = snicd_oflow_conj_owner(f) != 0
                           ? snicd_oflow_conj_owner(f) : f->id;
        if (f->mark_kind == SNICD_MARK_RESUME && snicd_oflow_jump(f) >= 0)
            marks[n].table = (uint8_t)snicd_oflow_jump(f);
        n++;
    }
    rc = o->cfg.marks_changed(o->cfg.ctx, marks, n);
    free(marks);
    if (rc < 0)
        return rc;      /* stays dirty: next commit retries */
    /* released decap marks still quiet: published again without them once
     * they have expired */
    o->marks_dirty = snicd_tun_n_marks(o) > 0;
    return 0;
}
