/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datapath proper: workers, their exact-match caches and counters, the
 * published set of tunnel ports, and one packet through the tables.
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
#include <stdatomic.h>
#include <stdlib.h>

#include "dp_priv.h"

#define CHUNK_SHIFT     12
#define CHUNK_SLOTS     (1u << CHUNK_SHIFT)
#define MAX_CHUNKS      1024u                   /* 4M flows */
#define EMC_ENTRIES     8192u                   /* per worker, 2-way */

struct counter {
    _Atomic uint64_t packets;
    _Atomic uint64_t bytes;
};

struct emc_entry {
    uint64_t version;       /* snapshot it was filled from; 0: empty */
    uint64_t hash;
    struct flow_key key;
    const struct dp_rule *rule;     /* NULL: a cached miss */
    uint8_t table;
};

struct tunnels {
    size_t n;
    struct dp_vxlan_port ports[];
};

struct dp_worker {
    struct dp *dp;
    struct dp_qsbr_reader *reader;
    struct counter *chunks[MAX_CHUNKS];
    struct dp_worker_stats stats;
    struct emc_entry emc[EMC_ENTRIES];
    size_t index;           /* in dp->workers */
};

struct retiree {
    struct dp *dp;
    uint64_t id;
    uint32_t slot;
};

struct dp {
    struct dp_qsbr *qsbr;
    struct dp_cls *cls;
    _Atomic(struct tunnels *) tunnels;
    struct dp_worker **workers;
    size_t n_workers;
    /* counters of destroyed workers, by slot (control thread only) */
    struct counter *base[MAX_CHUNKS];
    size_t n_chunks;        /* chunks allocated in base and every worker */
    uint32_t *free_slots;
    size_t n_free, cap_free;
    uint32_t next_slot;
    struct retiree *pending;    /* deleted in the batch being staged */
    size_t n_pending, cap_pending;
    int sticky_err;         /* from the flow-table listener */
    dp_retired_fn *retired_fn;
    void *retired_ctx;
};

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
    atomic_init(&dp->tunnels, tun);
    dp->retired_fn = fn;
    dp->retired_ctx = ctx;
    return dp;

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
    free(atomic_load(&dp->tunnels));
    for (size_t i = 0; i < dp->n_chunks; i++)
        free(dp->base[i]);
    free(dp->workers);
    free(dp->free_slots);
    free(dp->pending);
    free(dp);
}

const struct dp_cls *
dp_classifier(const struct dp *dp)
{
    return dp->cls;
}

/* ---- slots and counters (control thread) ---- */

static uint64_t
ctr_get(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static struct counter *
slot_counter(struct counter *const *chunks, uint32_t slot)
{
    return &chunks[slot >> CHUNK_SHIFT][slot & (CHUNK_SLOTS - 1)];
}

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

    *packets = ctr_get(&c->packets);
    *bytes = ctr_get(&c->bytes);
    for (size_t w = 0; w < dp->n_workers; w++) {
        c = slot_counter(dp->workers[w]->chunks, slot);
        *packets += ctr_get(&c->packets);
        *bytes += ctr_get(&c->bytes);
    }
}

/* Deferred: no worker can count into the slot any more. */
static void
slot_reclaim(void *arg)
{
    struct retiree *r = arg;
    struct dp *dp = r->dp;
    uint64_t packets, bytes;

    slot_sum(dp, r->slot, &packets, &bytes);
    if (dp->retired_fn != NULL)
        dp->retired_fn(dp->retired_ctx, r->id, packets, bytes);
    atomic_store_explicit(&slot_counter(dp->base, r->slot)->packets, 0,
                          memory_order_relaxed);
    atomic_store_explicit(&slot_counter(dp->base, r->slot)->bytes, 0,
                          memory_order_relaxed);
    for (size_t w = 0; w < dp->n_workers; w++) {
        struct counter *c = slot_counter(dp->workers[w]->chunks, r->slot);

        atomic_store_explicit(&c->packets, 0, memory_order_relaxed);
        atomic_store_explicit(&c->bytes, 0, memory_order_relaxed);
    }
    /* room was reserved when the slot was first allocated */
    dp->free_slots[dp->n_free++] = r->slot;
    free(r);
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

/* ---- flows (control thread) ---- */

int
dp_flow_put(struct dp *dp, uint64_t id, const struct flow *f)
{
    int64_t old = dp_cls_slot(dp->cls, id);
    uint32_t slot;
    int rc;

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

int
dp_commit(struct dp *dp)
{
    int rc = dp_cls_publish(dp->cls);

    if (rc < 0)
        return rc;
    /* the deleted flows' slots wait for the same grace period as the
     * snapshot that still had them */
    for (size_t i = 0; i < dp->n_pending; i++) {
        struct retiree *r = malloc(sizeof(*r));

        if (r == NULL || dp_qsbr_defer(dp->qsbr, slot_reclaim, r) < 0) {
            struct retiree copy = dp->pending[i];

            free(r);
            dp_qsbr_synchronize(dp->qsbr);
            r = malloc(sizeof(*r));
            if (r == NULL) {
                rc = -ENOMEM;       /* the slot leaks; the counts are lost */
                continue;
            }
            *r = copy;
            slot_reclaim(r);
            continue;
        }
        *r = dp->pending[i];
    }
    dp->n_pending = 0;
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
    int rc = 0;

    (void)reason;
    switch (kind) {
    case FLOW_CHANGE_ADDED:
    case FLOW_CHANGE_MODIFIED:
        rc = dp_flow_put(dp, e->id, &e->flow);
        break;
    case FLOW_CHANGE_REMOVED:
        rc = dp_flow_del(dp, e->id);
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
    old = atomic_exchange_explicit(&dp->tunnels, tun, memory_order_acq_rel);
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
    v = realloc(dp->workers, (dp->n_workers + 1) * sizeof(*v));
    if (v == NULL)
        goto err_chunks;
    dp->workers = v;
    w->reader = dp_qsbr_register(dp->qsbr);
    if (w->reader == NULL)
        goto err_chunks;
    w->dp = dp;
    w->index = dp->n_workers;
    dp->workers[dp->n_workers++] = w;
    return w;

err_chunks:
    for (size_t c = 0; c < dp->n_chunks; c++)
        free(w->chunks[c]);
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

            atomic_store_explicit(&b->packets, ctr_get(&b->packets)
                                  + ctr_get(&x->packets),
                                  memory_order_relaxed);
            atomic_store_explicit(&b->bytes, ctr_get(&b->bytes)
                                  + ctr_get(&x->bytes),
                                  memory_order_relaxed);
        }
        free(w->chunks[c]);
    }
    dp->workers[w->index] = dp->workers[--dp->n_workers];
    dp->workers[w->index]->index = w->index;
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

const struct dp_worker_stats *
dp_worker_stats(const struct dp_worker *w)
{
    return &w->stats;
}

static const struct dp_rule *
classify(struct dp_worker *w, const struct dp_cls_snap *snap,
         unsigned table_id, const struct flow_key *key)
{
    uint64_t version, h;
    struct emc_entry *a, *b, *e;
    const struct dp_rule *r;

    if (!dp_cls_snap_emc_useful(snap, table_id))
        return dp_cls_lookup(snap, table_id, key);
    version = dp_cls_snap_version(snap);
    h = dp_key_hash(key);
    a = &w->emc[h & (EMC_ENTRIES - 1)];
    b = &w->emc[(h >> 32) & (EMC_ENTRIES - 1)];
    for (e = a; ; e = b) {
        if (e->version == version && e->hash == h && e->table == table_id
            && dp_key_equal(&e->key, key)) {
            w->stats.emc_hits++;
            return e->rule;
        }
        if (e == b)
            break;
    }
    r = dp_cls_lookup(snap, table_id, key);
    /* replace a stale entry first, else the second way */
    e = a->version != version ? a : b;
    e->version = version;
    e->hash = h;
    e->key = *key;
    e->rule = r;
    e->table = (uint8_t)table_id;
    return r;
}

const struct dp_rule *
dp_worker_classify(struct dp_worker *w, unsigned table_id,
                   const struct flow_key *key)
{
    return classify(w, dp_cls_snap_get(w->dp->cls), table_id, key);
}

static void
count(struct dp_worker *w, uint32_t slot, size_t len)
{
    struct counter *c = slot_counter(w->chunks, slot);

    /* single writer: load + store, no locked read-modify-write */
    atomic_store_explicit(&c->packets, ctr_get(&c->packets) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&c->bytes, ctr_get(&c->bytes) + len,
                          memory_order_relaxed);
}

struct out_ctx {
    dp_output_fn *fn;
    void *ctx;
    unsigned n;
};

static void
count_output(void *ctx, const struct dp_output *out)
{
    struct out_ctx *oc = ctx;

    oc->n++;
    oc->fn(oc->ctx, out);
}

/* One packet through the tables. Normally it starts with decapsulation
 * and table 0; a packet the hardware partly processed starts at @table,
 * after running @acts (the hardware's partial flow) when @acts is not
 * NULL. */
static unsigned
pipeline(struct dp_worker *w, struct dp_buf *buf, uint32_t in_port,
         unsigned table, const struct flow_action *acts, unsigned n_acts,
         int64_t slot, bool decap, const struct dp_tun_md *md,
         dp_output_fn *fn, void *ctx)
{
    const struct dp_cls_snap *snap = dp_cls_snap_get(w->dp->cls);
    const struct tunnels *tun = atomic_load_explicit(&w->dp->tunnels,
                                                     memory_order_acquire);
    struct out_ctx oc = { fn, ctx, 0 };
    struct dp_actions_env env = {
        .output = count_output, .ctx = &oc,
        .tunnels = tun->ports, .n_tunnels = tun->n,
    };
    struct dp_act_stats as = { 0 };
    struct dp_pkt pkt = { .buf = *buf, .in_port = in_port };
    struct flow_key key;
    bool reextract = false;

    w->stats.packets++;
    dp_extract(buf->data, buf->len, in_port, &key, &pkt.layout);
    if (decap && tun->n > 0) {
        int rc = dp_vxlan_decap(tun->ports, tun->n, &key, &pkt.layout,
                                &pkt.buf, &pkt.tun, &pkt.in_port);

        if (rc < 0) {
            w->stats.tunnel_drops++;
            return 0;
        }
        reextract = rc > 0;
    }
    if (md != NULL) {
        /* decapsulated by the hardware: the key carries what
         * dp_vxlan_decap() would have put there */
        pkt.tun = *md;
        pkt.tun.set = 0;
        key.tun_id = md->tun_id;
        key.tun_src = md->tun_src;
        key.tun_dst = md->tun_dst;
    }
    if (acts != NULL) {
        enum dp_act_result res;
        uint8_t next = 0;

        /* the hardware matched this flow; software counts it */
        if (slot >= 0)
            count(w, (uint32_t)slot, pkt.buf.len);
        res = dp_actions_run(&env, &pkt, acts, n_acts, &next, &as);
        if (res == DP_ACT_DROP_TTL)
            w->stats.ttl_drops++;
        else if (res == DP_ACT_DROP_NOROOM)
            w->stats.noroom_drops++;
        if (res != DP_ACT_GOTO)
            goto out;
        table = next;
        reextract = true;
    }
    for (;;) {
        const struct dp_rule *r;
        enum dp_act_result res;
        uint8_t next = 0;

        if (reextract) {
            /* the packet as the previous table left it */
            dp_extract(pkt.buf.data, pkt.buf.len, pkt.in_port, &key,
                       &pkt.layout);
            key.tun_id = pkt.tun.tun_id;
            key.tun_src = pkt.tun.tun_src;
            key.tun_dst = pkt.tun.tun_dst;
        }
        reextract = true;
        r = classify(w, snap, table, &key);
        if (r == NULL) {
            w->stats.misses++;
            break;
        }
        count(w, r->slot, pkt.buf.len);
        res = dp_actions_run(&env, &pkt, r->actions, r->n_actions, &next,
                             &as);
        if (res == DP_ACT_DROP_TTL)
            w->stats.ttl_drops++;
        else if (res == DP_ACT_DROP_NOROOM)
            w->stats.noroom_drops++;
        /* goto_table only goes forward (the flow table checks it): the
         * test keeps a corrupt list from looping */
        if (res != DP_ACT_GOTO || next <= table)
            break;
        table = next;
    }
out:
    w->stats.tunnel_drops += as.tunnel_drops;
    w->stats.outputs += oc.n;
    *buf = pkt.buf;
    return oc.n;
}

unsigned
dp_worker_process(struct dp_worker *w, struct dp_buf *buf, uint32_t in_port,
                  dp_output_fn *fn, void *ctx)
{
    return pipeline(w, buf, in_port, 0, NULL, 0, -1, true, NULL, fn, ctx);
}

unsigned
dp_worker_process_from(struct dp_worker *w, struct dp_buf *buf,
                       uint32_t in_port, unsigned table, dp_output_fn *fn,
                       void *ctx)
{
    if (table > FLOW_TABLE_MAX) {
        w->stats.packets++;
        w->stats.misses++;
        return 0;
    }
    return pipeline(w, buf, in_port, table, NULL, 0, -1, false, NULL, fn,
                    ctx);
}

unsigned
dp_worker_run_actions(struct dp_worker *w, struct dp_buf *buf,
                      uint32_t in_port, int64_t slot,
                      const struct flow_action *acts, unsigned n_acts,
                      dp_output_fn *fn, void *ctx)
{
    static const struct flow_action none[1];

    return pipeline(w, buf, in_port, 0, acts != NULL ? acts : none,
                    acts != NULL ? n_acts : 0, slot, false, NULL, fn, ctx);
}

unsigned
dp_worker_process_decapped(struct dp_worker *w, struct dp_buf *buf,
                           uint32_t tun_port, const struct dp_tun_md *md,
                           unsigned table, dp_output_fn *fn, void *ctx)
{
    if (table > FLOW_TABLE_MAX) {
        w->stats.packets++;
        w->stats.misses++;
        return 0;
    }
    return pipeline(w, buf, tun_port, table, NULL, 0, -1, false, md, fn,
                    ctx);
}

int
dp_defer(struct dp *dp, void (*fn)(void *arg), void *arg)
{
    return dp_qsbr_defer(dp->qsbr, fn, arg);
}
