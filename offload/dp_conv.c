/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NORMAL's known unicast conversations on their way to the control
 * thread (include/snic/dp.h, "NORMAL's known unicast conversations"),
 * which asks the card for a rule that switches them as NORMAL does.
 *
 * Why a ring per worker: as learn's (dp_learn.c), the control thread owns
 * the card and the flow table and a worker never blocks; one producer and
 * one consumer need only a release store of the index each side owns.
 * Why deduplicated by time and not by "still waiting": until the card's
 * rule is in, every frame of the conversation comes through software
 * (thousands a second), and a rule the control thread refused (a limit,
 * a full card) is asked again by a later frame, but not more often than
 * once a second, which is also the FDB's resolution. The table of recent
 * conversations is direct-mapped and the worker's alone: a collision only
 * queues a conversation once more.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dp_pipeline_priv.h"
#include "snic_hash.h"

#define RECENT      1024u
/* A conversation's bytes up to its last field: its 2 bytes of tail
 * padding are no part of it (a struct copy need not carry them), so
 * equal conversations hash and compare equal however they were made. */
#define CONV_KEY_SIZE   (offsetof(struct dp_conv, out_tpid) + sizeof(uint16_t))
_Static_assert(CONV_KEY_SIZE == sizeof(uint64_t) + 2 * sizeof(uint32_t)
               + 12 + 5 * sizeof(uint16_t),
               "struct dp_conv has padding between its fields: hash and "
               "compare them one by one");

struct dp_conv_q {
    uint32_t head;              /* next to write: the worker's */
    uint32_t tail;              /* next to read: the control thread's */
    /* the worker's: the conversation last queued per bucket, and when */
    struct dp_conv recent[RECENT];
    uint64_t recent_s[RECENT];  /* second queued + 1; 0 never */
    struct dp_conv ring[DP_CONV_RING];
};

struct dp_conv_q *
dp_conv_q_create(void)
{
    return calloc(1, sizeof(struct dp_conv_q));
}

void
dp_conv_q_destroy(struct dp_conv_q *q)
{
    free(q);
}

void
dp_conv_push(struct dp_conv_q *q, struct dp_worker_stats *stats,
             const struct dp_conv *c, uint64_t now)
{
    uint32_t b = (uint32_t)(snic_hash_bytes(c, CONV_KEY_SIZE,
                                            SNIC_HASH_BASIS) % RECENT);
    uint32_t head, tail;

    if (q->recent_s[b] != 0 && q->recent_s[b] - 1 == now
        && memcmp(&q->recent[b], c, CONV_KEY_SIZE) == 0)
        return;
    head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    if (head - tail >= DP_CONV_RING) {
        snic_counter_add(&stats->normal_conv_drops, 1);
        return;
    }
    q->ring[head % DP_CONV_RING] = *c;
    __atomic_store_n(&q->head, head + 1, __ATOMIC_RELEASE);
    q->recent[b] = *c;
    q->recent_s[b] = now + 1;
    snic_counter_add(&stats->normal_convs, 1);
}

size_t
dp_conv_drain(struct dp *dp, dp_conv_apply_fn *fn, void *ctx)
{
    size_t n = 0;

    for (size_t i = 0; i < dp->n_workers; i++) {
        struct dp_conv_q *q = dp->workers[i]->swenv.convq;
        uint32_t tail, head;

        if (q == NULL)
            continue;
        tail = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
        head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
        for (; tail != head; tail++, n++) {
            struct dp_conv c = q->ring[tail % DP_CONV_RING];

            __atomic_store_n(&q->tail, tail + 1, __ATOMIC_RELEASE);
            fn(ctx, &c);
        }
    }
    return n;
}
