/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Quiescent-state-based reclamation for the software datapath.
 *
 * Why not liburcu: its QSBR flavour is exactly this, but it is one more
 * shared library for snicd to ship for about 150 lines, and the datapath
 * needs only a polled writer (the control thread has an event loop; it must
 * not sleep in synchronize_rcu()) and a fixed, small set of readers (one
 * per lcore). DPDK's rte_rcu_qsbr has the same shape; this core stays free
 * of DPDK.
 *
 * The writer owns a grace-period counter gp. A reader that quiesces copies
 * gp into its own counter (release): "I hold nothing from before gp". A
 * callback deferred when gp was T may run once every online reader's
 * counter is >= T; an offline reader (counter 0) holds nothing. The writer
 * bumps gp with a sequentially consistent increment after each deferral
 * batch, so a reader that sees the new gp also sees the pointer the writer
 * published before it.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "dp_priv.h"

#define QSBR_OFFLINE    0u

struct dp_qsbr_reader {
    uint64_t ctr;               /* written by the reader only */
    struct dp_qsbr *q;
    bool used;                  /* writer only */
};

struct qsbr_cb {
    void (*fn)(void *arg);
    void *arg;
    uint64_t token;
};

struct dp_qsbr {
    uint64_t gp;                /* written by the writer only, starts at 1 */
    struct dp_qsbr_reader readers[DP_QSBR_MAX_READERS];
    /* FIFO of deferred callbacks: tokens never decrease along it */
    struct qsbr_cb *cbs;
    size_t head, n, cap;        /* ring */
};

struct dp_qsbr *
dp_qsbr_create(void)
{
    struct dp_qsbr *q = calloc(1, sizeof(*q));

    if (q == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    __atomic_store_n(&q->gp, 1, __ATOMIC_RELAXED);
    for (size_t i = 0; i < DP_QSBR_MAX_READERS; i++) {
        __atomic_store_n(&q->readers[i].ctr, QSBR_OFFLINE, __ATOMIC_RELAXED);
        q->readers[i].q = q;
    }
    return q;
}

void
dp_qsbr_destroy(struct dp_qsbr *q)
{
    if (q == NULL)
        return;
    dp_qsbr_barrier(q);
    free(q->cbs);
    free(q);
}

static int
ring_grow(struct dp_qsbr *q)
{
    size_t cap = q->cap ? q->cap * 2 : 64;
    struct qsbr_cb *v = malloc(cap * sizeof(*v));

    if (v == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < q->n; i++)
        v[i] = q->cbs[(q->head + i) % q->cap];
    free(q->cbs);
    q->cbs = v;
    q->cap = cap;
    q->head = 0;
    return 0;
}

int
dp_qsbr_defer(struct dp_qsbr *q, void (*fn)(void *arg), void *arg)
{
    struct qsbr_cb *cb;

    if (q->n == q->cap && ring_grow(q) < 0)
        return -ENOMEM;
    cb = &q->cbs[(q->head + q->n) % q->cap];
    cb->fn = fn;
    cb->arg = arg;
    /* readers that quiesce from now on see everything unpublished so far */
    cb->token = __atomic_fetch_add(&q->gp, 1, __ATOMIC_SEQ_CST) + 1;
    q->n++;
    return 0;
}

/* The oldest grace period every online reader has passed. */
static uint64_t
min_reader(struct dp_qsbr *q)
{
    uint64_t min = UINT64_MAX;

    /* pairs with the fence in dp_qsbr_online(): either that reader sees
     * what we published, or we see it online */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (size_t i = 0; i < DP_QSBR_MAX_READERS; i++) {
        uint64_t c;

        if (!q->readers[i].used)
            continue;
        c = __atomic_load_n(&q->readers[i].ctr, __ATOMIC_ACQUIRE);
        if (c != QSBR_OFFLINE && c < min)
            min = c;
    }
    return min;
}

size_t
dp_qsbr_poll(struct dp_qsbr *q)
{
    size_t done = 0;
    uint64_t min;

    if (q->n == 0)
        return 0;
    min = min_reader(q);
    while (q->n > 0) {
        struct qsbr_cb cb = q->cbs[q->head];

        if (cb.token > min)
            break;
        q->head = (q->head + 1) % q->cap;
        q->n--;
        cb.fn(cb.arg);
        done++;
    }
    return done;
}

void
dp_qsbr_barrier(struct dp_qsbr *q)
{
    const struct timespec nap = { 0, 50000 };

    dp_qsbr_poll(q);
    while (q->n > 0) {
        /* readers quiesce between bursts: microseconds, not a busy wait */
        nanosleep(&nap, NULL);
        dp_qsbr_poll(q);
    }
}

void
dp_qsbr_synchronize(struct dp_qsbr *q)
{
    const struct timespec nap = { 0, 50000 };
    uint64_t token = __atomic_fetch_add(&q->gp, 1, __ATOMIC_SEQ_CST) + 1;

    while (min_reader(q) < token)
        nanosleep(&nap, NULL);
}

struct dp_qsbr_reader *
dp_qsbr_register(struct dp_qsbr *q)
{
    for (size_t i = 0; i < DP_QSBR_MAX_READERS; i++) {
        struct dp_qsbr_reader *r = &q->readers[i];

        if (!r->used) {
            __atomic_store_n(&r->ctr, QSBR_OFFLINE, __ATOMIC_SEQ_CST);
            r->used = true;
            return r;
        }
    }
    errno = ENOSPC;
    return NULL;
}

void
dp_qsbr_unregister(struct dp_qsbr_reader *r)
{
    if (r == NULL)
        return;
    __atomic_store_n(&r->ctr, QSBR_OFFLINE, __ATOMIC_SEQ_CST);
    r->used = false;
}

void
dp_qsbr_quiescent(struct dp_qsbr_reader *r)
{
    uint64_t gp = __atomic_load_n(&r->q->gp, __ATOMIC_ACQUIRE);

    __atomic_store_n(&r->ctr, gp, __ATOMIC_RELEASE);
}

void
dp_qsbr_online(struct dp_qsbr_reader *r)
{
    __atomic_store_n(&r->ctr,
                     __atomic_load_n(&r->q->gp,
                                     __ATOMIC_ACQUIRE),
                     __ATOMIC_RELAXED);
    /* the writer must see us online before we read any pointer */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void
dp_qsbr_offline(struct dp_qsbr_reader *r)
{
    __atomic_store_n(&r->ctr, QSBR_OFFLINE, __ATOMIC_RELEASE);
}
