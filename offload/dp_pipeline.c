/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datapath's control side: workers, flow slots and their counters,
 * the published set of tunnel ports. The packets' way through the tables
 * is dp_path.c.
 *
 * Counters: each worker owns an array of (packets, bytes) per flow slot,
 * in chunks that never move once allocated (the control thread allocates
 * them before publishing a snapshot that uses their slots, so the snapshot's
 * release store publishes them too). The owner updates them with relaxed
 * loads and stores -- plain moves, no locked instruction -- and the control
 * thread reads them relaxed; a reader may see a count a few packets old,
 * never a torn one. A deleted flow's slot goes back to the free list only
 * after a grace period: by then no worker can count into it, so its final
 * totals are exact; they are reported and the slot zeroed.
 */
#include <errno.h>
#include <stdlib.h>

#include "dp_pipeline_priv.h"

/* ---- creation ---- */

struct dp *
dp_create(dp_retired_fn *fn, void *ctx)
{
    struct dp *dp = calloc(1, sizeof(*dp));
    struct tunnels *tun;

    if (dp == NULL)
        goto err_dp;
    dp->qsbr = dp_qsbr_create();
    if (dp->qsbr == NULL)
        goto err_qsbr;
    dp->cls = dp_cls_create(dp->qsbr);
    if (dp->cls == NULL)
        goto err_cls;
    tun = calloc(1, sizeof(*tun));
    if (tun == NULL)
        goto err_tun;
    __atomic_store_n(&dp->tunnels, tun, __ATOMIC_RELAXED);
    dp->sw.fdb = dp_fdb_create();
    if (dp->sw.fdb == NULL)
        goto err_fdb;
    __atomic_store_n(&dp->sw.ports, calloc(1, sizeof(struct dp_port_set)),
                     __ATOMIC_RELAXED);
    if (__atomic_load_n(&dp->sw.ports, __ATOMIC_SEQ_CST) == NULL)
        goto err_ports;
    dp->ct = dp_ct_create();
    if (dp->ct == NULL)
        goto err_ct;
    dp->retired_fn = fn;
    dp->retired_ctx = ctx;
    return dp;

err_ct:
    free(dp->sw.ports);
err_ports:
    dp_fdb_destroy(dp->sw.fdb);
err_fdb:
    free(tun);
err_tun:
    dp_cls_destroy(dp->cls);
err_cls:
    dp_qsbr_destroy(dp->qsbr);
err_qsbr:
    free(dp);
err_dp:
    errno = ENOMEM;
    return NULL;
}

void
dp_destroy(struct dp *dp)
{
    if (dp == NULL)
        return;
    dp_synchronize(dp);
    dp_cls_destroy(dp->cls);
    dp_qsbr_destroy(dp->qsbr);
    dp_ledger_destroy(dp->ledger);
    free(__atomic_load_n(&dp->tunnels, __ATOMIC_SEQ_CST));
    free(__atomic_load_n(&dp->sw.ports, __ATOMIC_SEQ_CST));
    dp_fdb_destroy(dp->sw.fdb);
    dp_ct_destroy(dp->ct);
    for (size_t i = 0; i < dp->n_chunks; i++)
        free(dp->base[i]);
    free(dp->workers);
    free(dp->free_slots);
    free(dp->pending);
    free(dp);
}

void
dp_conntrack_set_limit(struct dp *dp, size_t max)
{
    dp_ct_set_limit(dp->ct, max);
}

size_t
dp_conntrack_limit(const struct dp *dp)
{
    return dp_ct_limit(dp->ct);
}

size_t
dp_conntrack_dump(struct dp *dp, int zone, struct dp_ct_entry *out,
                  size_t max)
{
    return dp_ct_dump(dp->ct, zone, out, max);
}

size_t
dp_conntrack_flush(struct dp *dp, int zone)
{
    return dp_ct_flush(dp->ct, zone);
}

const struct dp_cls *
dp_classifier(const struct dp *dp)
{
    return dp->cls;
}

/* ---- slots and counters (control thread) ---- */

/* Make sure chunk @c exists in the base and in every worker. */
static int
chunks_reserve(struct dp *dp, size_t want)
{
    while (dp->n_chunks < want) {
        size_t c = dp->n_chunks;

        if (c >= MAX_CHUNKS)
            return -ENOSPC;
        dp->base[c] = calloc(CHUNK_SLOTS, sizeof(struct counter));
        if (dp->base[c] == NULL)
            return -ENOMEM;
        for (size_t w = 0; w < dp->n_workers; w++) {
            dp->workers[w]->chunks[c] = calloc(CHUNK_SLOTS,
                                               sizeof(struct counter));
            if (dp->workers[w]->chunks[c] == NULL) {
                while (w-- > 0) {
                    free(dp->workers[w]->chunks[c]);
                    dp->workers[w]->chunks[c] = NULL;
                }
                free(dp->base[c]);
                dp->base[c] = NULL;
                return -ENOMEM;
            }
        }
        dp->n_chunks++;
    }
    return 0;
}

static int
reserve_u32(uint32_t **v, size_t *cap, size_t want)
{
    size_t ncap = *cap ? *cap : 64;
    uint32_t *nv;

    if (want <= *cap)
        return 0;
    while (ncap < want)
        ncap *= 2;
    nv = realloc(*v, ncap * sizeof(*nv));
    if (nv == NULL)
        return -ENOMEM;
    *v = nv;
    *cap = ncap;
    return 0;
}

static int
slot_alloc(struct dp *dp, uint32_t *slot)
{
    int rc;

    if (dp->n_free > 0) {
        *slot = dp->free_slots[--dp->n_free];
        return 0;
    }
    /* every slot can come back to the free list without allocating */
    rc = reserve_u32(&dp->free_slots, &dp->cap_free, dp->next_slot + 1);
    if (rc < 0)
        return rc;
    rc = chunks_reserve(dp, (dp->next_slot >> CHUNK_SHIFT) + 1);
    if (rc < 0)
        return rc;
    *slot = dp->next_slot++;
    return 0;
}

static void
slot_sum(const struct dp *dp, uint32_t slot, uint64_t *packets,
         uint64_t *bytes)
{
    const struct counter *c = slot_counter(dp->base, slot);

    *packets = snic_counter_get(&c->packets);
    *bytes = snic_counter_get(&c->bytes);
    for (size_t w = 0; w < dp->n_workers; w++) {
        c = slot_counter(dp->workers[w]->chunks, slot);
        *packets += snic_counter_get(&c->packets);
        *bytes += snic_counter_get(&c->bytes);
    }
}

/* No worker can count into @r's slot any more. */
static void
slot_reclaim(const struct retiree *r)
{
    struct dp *dp = r->dp;
    uint64_t packets, bytes;

    slot_sum(dp, r->slot, &packets, &bytes);
    if (dp->retired_fn != NULL)
        dp->retired_fn(dp->retired_ctx, r->id, packets, bytes);
    snic_counter_set(&slot_counter(dp->base, r->slot)->packets, 0);
    snic_counter_set(&slot_counter(dp->base, r->slot)->bytes, 0);
    for (size_t w = 0; w < dp->n_workers; w++) {
        struct counter *c = slot_counter(dp->workers[w]->chunks, r->slot);

        /* a retired slot: no worker counts on it any more */
        snic_counter_set(&c->packets, 0);
        snic_counter_set(&c->bytes, 0);
    }
    /* room was reserved when the slot was first allocated */
    dp->free_slots[dp->n_free++] = r->slot;
}

/* A commit's deleted flows, reclaimed together after one grace period
 * (one deferral however many: a delete of every flow is one array). */
struct retirees {
    size_t n;
    struct retiree *v;
};

static void
retirees_reclaim(void *arg)
{
    struct retirees *b = arg;

    for (size_t i = 0; i < b->n; i++)
        slot_reclaim(&b->v[i]);
    free(b->v);
    free(b);
}

int
dp_flow_stats(const struct dp *dp, uint64_t id, uint64_t *n_packets,
              uint64_t *n_bytes)
{
    int64_t slot = dp_cls_slot(dp->cls, id);

    if (slot < 0)
        return (int)slot;
    slot_sum(dp, (uint32_t)slot, n_packets, n_bytes);
    return 0;
}

int64_t
dp_flow_slot(const struct dp *dp, uint64_t id)
{
    return dp_cls_slot(dp->cls, id);
}

void
dp_slot_stats(const struct dp *dp, uint32_t slot, uint64_t *n_packets,
              uint64_t *n_bytes)
{
    slot_sum(dp, slot, n_packets, n_bytes);
}

/* ---- flows (control thread) ---- */

int
dp_flow_put(struct dp *dp, uint64_t id, const struct flow *f)
{
    int64_t old = dp_cls_slot(dp->cls, id);
    uint32_t slot;
    int rc;

    dp_ledger_note(dp, f);
    if (old >= 0)
        return dp_cls_put(dp->cls, id, f, (uint32_t)old);
    rc = slot_alloc(dp, &slot);
    if (rc < 0)
        return rc;
    rc = dp_cls_put(dp->cls, id, f, slot);
    if (rc < 0)
        dp->free_slots[dp->n_free++] = slot;    /* room: see slot_alloc */
    return rc;
}

int
dp_flow_del(struct dp *dp, uint64_t id)
{
    int64_t slot;

    if (dp_cls_slot(dp->cls, id) < 0)
        return -ENOENT;
    /* room for the retiree record (the free list has room already) */
    if (dp->n_pending == dp->cap_pending) {
        size_t cap = dp->cap_pending ? dp->cap_pending * 2 : 64;
        struct retiree *v = realloc(dp->pending, cap * sizeof(*v));

        if (v == NULL)
            return -ENOMEM;
        dp->pending = v;
        dp->cap_pending = cap;
    }
    slot = dp_cls_del(dp->cls, id);
    dp->pending[dp->n_pending++] = (struct retiree){ dp, id, (uint32_t)slot };
    return 0;
}

static void
clear_one(void *ctx, uint64_t id, uint32_t slot)
{
    struct dp *dp = ctx;

    dp->pending[dp->n_pending++] = (struct retiree){ dp, id, slot };
}

int
dp_flow_clear(struct dp *dp, unsigned table_id)
{
    size_t want = dp->n_pending + dp_cls_count(dp->cls);

    /* room for every flow there is: the clear itself cannot fail */
    if (want > dp->cap_pending) {
        struct retiree *v = realloc(dp->pending, want * sizeof(*v));

        if (v == NULL)
            return -ENOMEM;
        dp->pending = v;
        dp->cap_pending = want;
    }
    dp_cls_clear(dp->cls, table_id, clear_one, dp);
    return 0;
}

int
dp_commit(struct dp *dp)
{
    /* a learn with a limit counts before any worker can run it */
    int rc = dp_ledger_sync(dp);

    if (rc < 0)
        return rc;
    rc = dp_cls_publish(dp->cls);

    if (rc < 0)
        return rc;
    /* the deleted flows' slots wait for the same grace period as the
     * snapshot that still had them: the pending array goes with them */
    if (dp->n_pending > 0) {
        struct retirees *b = malloc(sizeof(*b));

        if (b == NULL || dp_qsbr_defer(dp->qsbr, retirees_reclaim, b) < 0) {
            free(b);
            dp_qsbr_synchronize(dp->qsbr);
            for (size_t i = 0; i < dp->n_pending; i++)
                slot_reclaim(&dp->pending[i]);
        } else {
            b->n = dp->n_pending;
            b->v = dp->pending;
            dp->pending = NULL;
            dp->cap_pending = 0;
        }
        dp->n_pending = 0;
    }
    dp_qsbr_poll(dp->qsbr);
    if (rc == 0 && dp->sticky_err != 0) {
        rc = dp->sticky_err;
        dp->sticky_err = 0;
    }
    return rc;
}

void
dp_flow_table_listener(void *ctx, enum flow_change_kind kind,
                       const struct flow_entry *e,
                       enum flow_removed_reason reason)
{
    struct dp *dp = ctx;
    struct flow f;
    int rc = 0;

    (void)reason;
    switch (kind) {
    case FLOW_CHANGE_ADDED:
    case FLOW_CHANGE_MODIFIED:
        flow_entry_flow(e, &f);     /* the entry's match is compact */
        rc = dp_flow_put(dp, e->id, &f);
        break;
    case FLOW_CHANGE_REMOVED:
        rc = dp_flow_del(dp, e->id);
        break;
    case FLOW_CHANGE_CLEARED:
        rc = dp_flow_clear(dp, e->flow.table_id);
        break;
    }
    if (rc < 0 && dp->sticky_err == 0)
        dp->sticky_err = rc;
}

int
dp_set_vxlan_ports(struct dp *dp, const struct dp_vxlan_port *ports,
                   size_t n)
{
    struct tunnels *tun = malloc(sizeof(*tun) + n * sizeof(tun->ports[0]));
    struct tunnels *old;

    if (tun == NULL)
        return -ENOMEM;
    tun->n = n;
    if (n > 0)
        memcpy(tun->ports, ports, n * sizeof(tun->ports[0]));
    old = __atomic_exchange_n(&dp->tunnels, tun, __ATOMIC_ACQ_REL);
    if (dp_qsbr_defer(dp->qsbr, free, old) < 0) {
        dp_qsbr_synchronize(dp->qsbr);
        free(old);
    }
    return 0;
}

size_t
dp_poll(struct dp *dp)
{
    return dp_qsbr_poll(dp->qsbr);
}

void
dp_synchronize(struct dp *dp)
{
    dp_qsbr_barrier(dp->qsbr);
}

/* ---- workers ---- */

struct dp_worker *
dp_worker_create(struct dp *dp)
{
    struct dp_worker *w = calloc(1, sizeof(*w));
    struct dp_worker **v;

    if (w == NULL)
        goto err_w;
    for (size_t c = 0; c < dp->n_chunks; c++) {
        w->chunks[c] = calloc(CHUNK_SLOTS, sizeof(struct counter));
        if (w->chunks[c] == NULL)
            goto err_chunks;
    }
    w->learnq = dp_learn_q_create();
    if (w->learnq == NULL)
        goto err_chunks;
    w->convq = dp_conv_q_create();
    if (w->convq == NULL)
        goto err_chunks;
    v = realloc(dp->workers, (dp->n_workers + 1) * sizeof(*v));
    if (v == NULL)
        goto err_chunks;
    dp->workers = v;
    w->reader = dp_qsbr_register(dp->qsbr);
    if (w->reader == NULL)
        goto err_chunks;
    w->dp = dp;
    w->swenv = (struct dp_sw_env){ .sw = &dp->sw, .stats = &w->stats,
                                   .convq = w->convq };
    w->index = dp->n_workers;
    dp->workers[dp->n_workers++] = w;
    return w;

err_chunks:
    for (size_t c = 0; c < dp->n_chunks; c++)
        free(w->chunks[c]);
    dp_learn_q_destroy(w->learnq);
    dp_conv_q_destroy(w->convq);
    free(w);
err_w:
    errno = ENOMEM;
    return NULL;
}

void
dp_worker_destroy(struct dp_worker *w)
{
    struct dp *dp;

    if (w == NULL)
        return;
    dp = w->dp;
    dp_qsbr_unregister(w->reader);
    /* its counts stay in the totals */
    for (size_t c = 0; c < dp->n_chunks; c++) {
        for (size_t s = 0; s < CHUNK_SLOTS; s++) {
            struct counter *b = &dp->base[c][s];
            struct counter *x = &w->chunks[c][s];

            snic_counter_add(&b->packets, snic_counter_get(&x->packets));
            snic_counter_add(&b->bytes, snic_counter_get(&x->bytes));
        }
        free(w->chunks[c]);
    }
    dp->workers[w->index] = dp->workers[--dp->n_workers];
    dp->workers[w->index]->index = w->index;
    free(w->scratch);
    free(w->credits);
    /* flows it learned and the control thread did not drain are lost: a
     * later packet learns them again */
    dp_learn_q_destroy(w->learnq);
    dp_conv_q_destroy(w->convq);
    free(w);
}

void
dp_worker_online(struct dp_worker *w)
{
    dp_qsbr_online(w->reader);
}

void
dp_worker_offline(struct dp_worker *w)
{
    dp_qsbr_offline(w->reader);
}

void
dp_worker_quiesce(struct dp_worker *w)
{
    dp_qsbr_quiescent(w->reader);
}

void
dp_worker_set_paths(struct dp_worker *w, unsigned paths)
{
    w->paths = paths;
}

const struct dp_worker_stats *
dp_worker_stats(const struct dp_worker *w)
{
    return &w->stats;
}

void
dp_worker_stats_read(const struct dp_worker *w, struct dp_worker_stats *s)
{
    dp_stats_copy(s, &w->stats);
}

int
dp_defer(struct dp *dp, void (*fn)(void *arg), void *arg)
{
    return dp_qsbr_defer(dp->qsbr, fn, arg);
}
