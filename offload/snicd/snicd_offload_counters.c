/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hardware counters that moved. Reading every flow's counter with
 * rte_flow_query(COUNT) once a second costs in proportion to the flows in
 * hardware, traffic or not: 100,000 idle flows took 42% of a core. A PMD
 * that knows which of its rules' counters changed (net_emunic:
 * rte_pmd_emunic_flow_counts_moved, include/snic/rte_pmd_emunic.h) hands
 * those out; this file turns each handle back into its flow and reports
 * only those, so an idle refresh costs one call whatever the table size.
 * On any other PMD the call answers -ENOTSUP once and the manager reads
 * every rule with rte_flow_query, as before (snicd_offload.c).
 *
 * Handle -> flow. The index is a sorted array of (handle, flow id), 16
 * bytes a flow, built from the id map when a handle is not found and rules
 * were created or destroyed since it was built. A hit counts only if the
 * flow still holds that handle, so a handle freed and reused by the PMD
 * for another flow's rule is never mistaken for the old one. Handles of
 * rules that belong to no flow's handle (shared tunnel pop rules, guards)
 * are skipped. NORMAL's conversation rules are counted by moving traffic
 * and are made and go without counting as churn: their handles are known
 * (snicd_offload_moved_other_add) and skipped before any rebuild, which
 * each of them would otherwise ask for up to every 10 s. A flow's report is its total since it was first installed
 * (acc + cur), like the full read's. A total can also change with no
 * counter moving: when a rule is retired its last reading is folded into
 * the flow's acc and the PMD forgets the rule. Those flows, when that
 * reading moved since the last read, are noted when it happens
 * (snicd_offload_moved_touch) and reported by the next read from memory, so a read during a bulk load costs what changed, not the
 * table (every flow of 1,000,000 once a second took a third of snicd's
 * time). A rule created and not retired changes no total (a new rule
 * counts from zero), nor does a resync, firmware reset or not (acc takes
 * the last reading as cur goes to zero; NORMAL's conversations read a
 * last time touch their flows), so the read after one reports what moved
 * as any other: reporting every flow then cost 0.25-1.2 s at 1,000,000
 * flows, in the control-loop turn right after the resync (issue #13's
 * 2 s recovery). After a device loss every flow is reported, once: the
 * port and its moved list are new.
 *
 * Control thread. Calls the PMD and nothing of the manager but the id map
 * (and the tables' vectors of the same flows, walked in allocation order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_flow.h>

#include "snic/rte_pmd_emunic.h"
#include "snic_hash.h"
#include "snicd_offload_priv.h"

/* Optional at link time too: a snicd (or a test) linked without
 * net_emunic reads every rule, as on any other PMD. */
#pragma weak rte_pmd_emunic_flow_counts_moved

#define MOVED_CHUNK         256u
#define IDX_REBUILD_NS      (10ull * 1000000000ull)

static int
hidx_cmp(const void *a_, const void *b_)
{
    const struct snicd_hidx *a = a_, *b = b_;

    return a->handle < b->handle ? -1 : a->handle > b->handle;
}

/* Rule churn so far: the index is stale when this moved. */
static uint64_t
churn(const struct snicd_offload *o)
{
    return o->st.rules_created + o->st.rules_destroyed + o->st.resyncs +
           o->st.device_losses;
}

/* Device losses so far: a read after one reports every flow. */
static uint64_t
upheavals(const struct snicd_offload *o)
{
    return o->st.device_losses;
}

/* Report @f's total (a combination's goes to its conj_id flow, with the
 * other combinations'), unless it has nothing to say: 1 if reported. */
static int
report(struct snicd_offload *o, const struct snicd_oflow *f,
       snicd_hw_stats_fn *fn, void *ctx)
{
    uint64_t pkts, bytes;

    if (snicd_oflow_conj_owner(f) != 0) {
        f = snicd_idmap_find(&o->ids, snicd_oflow_conj_owner(f));
        if (f == NULL)
            return 0;   /* removed: nobody asks */
    }
    snicd_conj_totals(f, &pkts, &bytes);
    if (f->where != SNICD_WHERE_HW && pkts == 0 && bytes == 0)
        return 0;
    fn(ctx, f->id, pkts, bytes);
    return 1;
}

void
snicd_offload_moved_touch(struct snicd_offload *o,
                          const struct snicd_oflow *f)
{
    struct snicd_moved *m = &o->moved;

    /* on a PMD without the moved list every read is a full one */
    if (m->off || m->touched_lost)
        return;
    if (m->n_touched == m->cap_touched) {
        size_t nc = m->cap_touched ? m->cap_touched * 2 : 1024;
        uint64_t *v = realloc(m->touched, nc * sizeof(*v));

        if (v == NULL) {
            /* the next read reports every flow instead */
            m->touched_lost = true;
            return;
        }
        m->touched = v;
        m->cap_touched = nc;
    }
    m->touched[m->n_touched++] = f->id;
}

/* The flows of the touched list, as they are now (a flow removed since is
 * not reported: nobody asks for its counts). */
static int
report_touched(struct snicd_offload *o, snicd_hw_stats_fn *fn, void *ctx)
{
    struct snicd_moved *m = &o->moved;
    int reported = 0;

    for (size_t i = 0; i < m->n_touched; i++) {
        const struct snicd_oflow *f = snicd_idmap_find(&o->ids,
                                                       m->touched[i]);

        if (f != NULL)
            reported += report(o, f, fn, ctx);
    }
    m->n_touched = 0;
    /* a bulk delete's list is not kept for the next one */
    if (m->cap_touched > 65536) {
        free(m->touched);
        m->touched = NULL;
        m->cap_touched = 0;
    }
    return reported;
}

static int
hidx_build(struct snicd_offload *o)
{
    struct snicd_moved *m = &o->moved;
    size_t n = snic_hmap_count(&o->ids);
    struct snicd_oflow *f;

    if (n > m->cap_idx) {
        struct snicd_hidx *v = realloc(m->idx, n * sizeof(*v));

        if (v == NULL)
            return -ENOMEM;
        m->idx = v;
        m->cap_idx = n;
    }
    m->n_idx = 0;
    /* the tables' vectors hold the same flows as the id map, mostly in
     * the order they were allocated: a walk there is not a cache miss a
     * flow */
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        for (uint32_t i = 0; i < o->tables[t].n; i++) {
            f = o->tables[t].flows[i];
            if (f->handle != NULL && m->n_idx < n) {
                m->idx[m->n_idx].handle = (uintptr_t)f->handle;
                m->idx[m->n_idx++].id = f->id;
            }
        }
    qsort(m->idx, m->n_idx, sizeof(m->idx[0]), hidx_cmp);
    m->idx_sig = churn(o);
    m->idx_built_ns = snic_now_ns();
    m->rebuilds++;
    return 0;
}

static uint64_t
other_hash(const struct rte_flow *h)
{
    return snic_hash_u64((uint64_t)(uintptr_t)h, SNIC_HASH_BASIS);
}

void
snicd_offload_moved_other_add(struct snicd_offload *o,
                              struct snicd_moved_other *e,
                              const struct rte_flow *h)
{
    e->handle = h;
    snic_hmap_insert(&o->moved.others, &e->node, other_hash(h));
}

void
snicd_offload_moved_other_del(struct snicd_offload *o,
                              struct snicd_moved_other *e)
{
    snic_hmap_remove(&o->moved.others, &e->node);
}

static bool
is_other(const struct snicd_offload *o, const struct rte_flow *h)
{
    const struct snicd_moved_other *e;

    SNIC_HMAP_FOR_EACH_WITH_HASH(e, node, other_hash(h), &o->moved.others)
        if (e->handle == h)
            return true;
    return false;
}

static struct snicd_oflow *
hidx_find(struct snicd_offload *o, const struct rte_flow *h)
{
    const struct snicd_moved *m = &o->moved;
    struct snicd_hidx key = { .handle = (uintptr_t)h };
    const struct snicd_hidx *e;
    struct snicd_oflow *f;

    if (m->n_idx == 0)
        return NULL;
    e = bsearch(&key, m->idx, m->n_idx, sizeof(m->idx[0]), hidx_cmp);
    if (e == NULL)
        return NULL;
    f = snicd_idmap_find(&o->ids, e->id);
    return f != NULL && f->handle == h ? f : NULL;
}

/* The flow @h was made for: from the index, rebuilt once if rules came or
 * went since (or long ago, should a path change handles uncounted). */
static struct snicd_oflow *
flow_of(struct snicd_offload *o, const struct rte_flow *h, bool *rebuilt)
{
    struct snicd_moved *m = &o->moved;
    struct snicd_oflow *f = hidx_find(o, h);

    if (f != NULL || *rebuilt)
        return f;
    if (is_other(o, h)) {
        m->others_seen++;
        return NULL;
    }
    if (m->idx_sig == churn(o) && m->idx != NULL &&
        snic_now_ns() - m->idx_built_ns < IDX_REBUILD_NS)
        return NULL;
    *rebuilt = true;
    if (hidx_build(o) < 0)
        return NULL;
    return hidx_find(o, h);
}

int
snicd_offload_read_moved(struct snicd_offload *o, snicd_hw_stats_fn *fn,
                         void *ctx, bool *all)
{
    struct rte_pmd_emunic_flow_count buf[MOVED_CHUNK];
    uint32_t flags = RTE_PMD_EMUNIC_COUNTS_REFRESH;
    bool rebuilt = false;
    int n, reported = 0;
    struct snicd_oflow *f;

    /* After a device loss, or when the touched list could not grow,
     * every flow is reported from what the manager holds (no
     * query per rule); otherwise what moved and what was touched. */
    *all = o->moved.churn_seen != upheavals(o) || o->moved.touched_lost;
    if (o->moved.off || rte_pmd_emunic_flow_counts_moved == NULL) {
        o->moved.off = true;
        o->moved.n_touched = 0;
        return -ENOTSUP;
    }
    o->moved.calls++;
    do {
        n = rte_pmd_emunic_flow_counts_moved(o->cfg.proxy_port, flags, buf,
                                             MOVED_CHUNK);
        if (n == -ENOTSUP || n == -ENODEV) {
            o->moved.off = n == -ENOTSUP;
            /* the full read that follows reports every flow */
            o->moved.n_touched = 0;
            return -ENOTSUP;
        }
        if (n < 0)
            return n;
        flags = 0;
        for (int k = 0; k < n; k++) {
            struct snicd_oflow *f = flow_of(o, buf[k].flow, &rebuilt);

            o->moved.handed++;
            /* partial flows are counted by the software datapath */
            if (f == NULL || f->where != SNICD_WHERE_HW) {
                o->moved.unknown += f == NULL;
                continue;
            }
            f->cur_pkts = buf[k].hits;
            f->cur_bytes = buf[k].bytes;
            if (*all)
                continue;
            reported += report(o, f, fn, ctx);
        }
    } while (n == (int)MOVED_CHUNK);
    o->moved.churn_seen = upheavals(o);
    if (!*all)
        return reported + report_touched(o, fn, ctx);
    o->moved.n_touched = 0;
    o->moved.touched_lost = false;
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        for (uint32_t i = 0; i < o->tables[t].n; i++) {
            f = o->tables[t].flows[i];
            if (snicd_oflow_conj_owner(f) == 0)    /* its conj_id flow
                                                     * reports it */
                reported += report(o, f, fn, ctx);
        }
    return reported;
}

void
snicd_offload_moved_fini(struct snicd_offload *o)
{
    free(o->moved.idx);
    free(o->moved.touched);
    /* the nodes are their owners' (gone by now: snicd_convs_fini) */
    snic_hmap_fini(&o->moved.others);
    memset(&o->moved, 0, sizeof(o->moved));
}

void
snicd_conj_totals(const struct snicd_oflow *f, uint64_t *pkts,
                  uint64_t *bytes)
{
    *pkts = f->acc_pkts + f->cur_pkts;
    *bytes = f->acc_bytes + f->cur_bytes;
    for (const struct snicd_oflow *c = snicd_oflow_conj_combos(f);
         c != NULL; c = snicd_oflow_conj_next(c)) {
        *pkts += c->acc_pkts + c->cur_pkts;
        *bytes += c->acc_bytes + c->cur_bytes;
    }
}
