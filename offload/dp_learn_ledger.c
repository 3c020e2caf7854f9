/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn(limit=N) decided at packet time: the ledger (include/snic/dp.h,
 * "learn").
 *
 * Open vSwitch adds a learned flow while it translates the packet, so it
 * knows at once whether the flow went in (result_dst= writes that into
 * the packet): yes when this very flow is already there (a refresh), or
 * when the table holds fewer than N flows with the learned cookie. snicd's
 * worker cannot add flows (the control thread owns the table), so the
 * worker decides instead, and the control thread does what it decided:
 *
 * - per (table, cookie) that a published learn with a limit names, one
 *   entry: a 64-bit word "flows of that table and cookie in the flow
 *   table" << 32 | "room reserved by workers, not yet applied", and an
 *   immutable, sorted set of the fingerprints of those flows
 *   (flow_fingerprint()), published RCU-style like the classifier;
 * - a worker whose learn makes a flow in the set answers "learned" (a
 *   refresh, FLOW_LEARN_REFRESH); otherwise it takes room with one
 *   compare-and-swap while count + reserved < N (FLOW_LEARN_RESERVED), or
 *   answers "not learned" and queues nothing;
 * - the control thread adds a reserved flow without counting again
 *   (flow_table_learn()), and each sync (after a drain, before a publish)
 *   stores the table's new count and takes the applied reservations off
 *   in the same atomic store, so count + reserved never jumps.
 *
 * The races left, documented in docs/flow-language.md: a flow another
 * worker queued but the control thread has not yet drained is not in the
 * set, so with several workers one may answer "not learned" for a flow
 * another has just learned; changes the control thread makes itself
 * (add-flow, delete, expiry) reach the workers at its next commit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_pipeline_priv.h"

struct ledger_set {
    uint32_t n;
    uint64_t fp[];          /* sorted */
};

struct ledger_ent {
    uint64_t cookie;
    uint8_t table;
    uint8_t in_use;         /* release-stored after cookie and table */
    uint64_t word;          /* count << 32 | reserved, atomic */
    struct ledger_set *set; /* RCU: workers load, the control thread swaps */
    uint32_t drained;       /* control thread: reservations applied since
                             * the last sync */
};

struct dp_ledger {
    struct ledger_ent e[DP_LEARN_LEDGER];
    unsigned n;
};

struct dp_ledger *
dp_ledger_create(void)
{
    return calloc(1, sizeof(struct dp_ledger));
}

void
dp_ledger_destroy(struct dp_ledger *l)
{
    if (l == NULL)
        return;
    for (unsigned i = 0; i < l->n; i++)
        free(l->e[i].set);
    free(l);
}

int
dp_set_learn_table(struct dp *dp, const struct flow_table *t)
{
    if (t != NULL && dp->ledger == NULL
        && (dp->ledger = dp_ledger_create()) == NULL)
        return -ENOMEM;
    dp->learn_table = t;
    return 0;
}

static int
find(const struct dp_ledger *l, unsigned table, uint64_t cookie)
{
    unsigned n = __atomic_load_n(&l->n, __ATOMIC_ACQUIRE);

    for (unsigned i = 0; i < n; i++)
        if (__atomic_load_n(&l->e[i].in_use, __ATOMIC_ACQUIRE)
            && l->e[i].table == table && l->e[i].cookie == cookie)
            return (int)i;
    return -1;
}

/* The learned cookie of learn @a (0 without cookie=). */
static uint64_t
learned_cookie(const struct flow_action *a)
{
    for (unsigned i = 1; i <= a->u.learn.n; i++)
        if (a[i].pad0 == FLOW_LEARN_COOKIE)
            return a[i].u.value;
    return 0;
}

static bool
has_limit(const struct flow_action *a)
{
    for (unsigned i = 1; i <= a->u.learn.n; i++)
        if (a[i].pad0 == FLOW_LEARN_LIMIT)
            return true;
    return false;
}

void
dp_ledger_note(struct dp *dp, const struct flow *f)
{
    struct dp_ledger *l = dp->ledger;

    if (l == NULL || dp->learn_table == NULL)
        return;
    for (unsigned i = 0; i < f->n_actions; i++) {
        const struct flow_action *a = &f->actions[i];
        uint64_t cookie;

        if (a->type != FLOW_ACT_LEARN || !has_limit(a))
            continue;
        cookie = learned_cookie(a);
        if (find(l, a->u.learn.table, cookie) >= 0 || l->n == DP_LEARN_LEDGER)
            continue;       /* known, or full: the control thread decides */
        l->e[l->n].table = a->u.learn.table;
        l->e[l->n].cookie = cookie;
        __atomic_store_n(&l->e[l->n].in_use, 1, __ATOMIC_RELEASE);
        __atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELEASE);
        dp->ledger_dirty = true;
    }
}

struct collect {
    uint64_t *fp;
    size_t n, cap;
    int err;
};

static int
collect_one(void *ctx, const struct flow_entry *e)
{
    struct collect *c = ctx;
    struct flow f;

    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        uint64_t *v = realloc(c->fp, cap * sizeof(*v));

        if (v == NULL) {
            c->err = -ENOMEM;
            return 0;
        }
        c->fp = v;
        c->cap = cap;
    }
    flow_entry_flow(e, &f);
    c->fp[c->n++] = flow_fingerprint(&f);
    return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Publish entry @e's set and count from the flow table. */
static int
sync_one(struct dp *dp, struct ledger_ent *e)
{
    struct collect c = { 0 };
    struct ledger_set *old = e->set, *set;
    uint64_t w, nw;

    flow_table_cookie_flows(dp->learn_table, e->table, e->cookie,
                            collect_one, &c);
    if (c.err < 0) {
        free(c.fp);
        return c.err;
    }
    if (c.n > 1)
        qsort(c.fp, c.n, sizeof(c.fp[0]), cmp_u64);
    if (old == NULL || old->n != c.n
        || (c.n > 0 && memcmp(old->fp, c.fp, c.n * sizeof(c.fp[0])) != 0)) {
        set = malloc(sizeof(*set) + c.n * sizeof(set->fp[0]));
        if (set == NULL) {
            free(c.fp);
            return -ENOMEM;
        }
        set->n = (uint32_t)c.n;
        if (c.n > 0)
            memcpy(set->fp, c.fp, c.n * sizeof(c.fp[0]));
        __atomic_store_n(&e->set, set, __ATOMIC_RELEASE);
        if (old != NULL && dp_qsbr_defer(dp->qsbr, free, old) < 0) {
            dp_qsbr_synchronize(dp->qsbr);
            free(old);
        }
    }
    free(c.fp);
    /* the new count and the applied reservations off, in one store */
    w = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
    do {
        uint32_t reserved = (uint32_t)w - e->drained;

        nw = (uint64_t)c.n << 32 | reserved;
    } while (!__atomic_compare_exchange_n(&e->word, &w, nw, false,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    e->drained = 0;
    return 0;
}

int
dp_ledger_sync(struct dp *dp)
{
    struct dp_ledger *l = dp->ledger;
    int rc = 0;

    if (l == NULL || dp->learn_table == NULL || l->n == 0)
        return 0;
    for (unsigned i = 0; i < l->n; i++) {
        int r = sync_one(dp, &l->e[i]);

        if (r < 0 && rc == 0)
            rc = r;
    }
    dp->ledger_dirty = false;
    return rc;
}

void
dp_ledger_applied(struct dp *dp, int ent)
{
    if (dp->ledger != NULL && ent >= 0 && (unsigned)ent < dp->ledger->n)
        dp->ledger->e[ent].drained++;
}

static bool
set_has(const struct ledger_set *s, uint64_t fp)
{
    size_t lo = 0, hi = s != NULL ? s->n : 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->fp[mid] == fp)
            return true;
        if (s->fp[mid] < fp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

int
dp_ledger_decide(struct dp *dp, const struct flow_mod *fm, int *ent)
{
    struct dp_ledger *l = dp->ledger;
    struct ledger_ent *e;
    uint64_t w;
    int i;

    *ent = -1;
    if (l == NULL || fm->learn_limit == 0
        || (i = find(l, fm->flow.table_id, fm->flow.cookie)) < 0)
        return FLOW_LEARN_CHECK;
    e = &l->e[i];
    if (set_has(__atomic_load_n(&e->set, __ATOMIC_ACQUIRE),
                flow_fingerprint(&fm->flow)))
        return FLOW_LEARN_REFRESH;
    w = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
    do {
        if ((w >> 32) + (uint32_t)w >= fm->learn_limit)
            return -ENOSPC;
    } while (!__atomic_compare_exchange_n(&e->word, &w, w + 1, false,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    *ent = i;
    return FLOW_LEARN_RESERVED;
}

void
dp_ledger_release(struct dp *dp, int ent)
{
    if (ent >= 0)
        __atomic_fetch_sub(&dp->ledger->e[ent].word, 1, __ATOMIC_ACQ_REL);
}
