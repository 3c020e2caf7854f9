/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn(...) in the datapath: the worker makes the learned flow
 * (flow_learn_build()) and queues it in its own ring; the control thread
 * drains the rings into the flow table (include/snic/dp.h, "learn").
 *
 * Why a ring per worker: the flow table and the classifier's writer side
 * belong to the control thread, and a worker must never block on it. One
 * producer and one consumer per ring need only a release store of the
 * index each side owns. Why deduplicated: a learn flow usually matches a
 * stream of packets that all learn the same flow (every packet of a MAC
 * learns "this MAC is behind this port"); queueing each would fill the
 * ring with copies before the control thread runs. The worker remembers,
 * per hash bucket, the last position it wrote; a flow equal to the one
 * still waiting there is not queued again. A re-learned flow refreshes
 * its hard timeout once per drain instead of once per packet, which is
 * below the timeouts' one-second resolution.
 */
#include <stdlib.h>
#include <string.h>

#include "dp_pipeline_priv.h"
#include "snic_hash.h"

struct dp_learn_q {
    uint32_t head;              /* next to write: the worker's */
    uint32_t tail;              /* next to read: the control thread's */
    /* the worker's: position last written per hash bucket (+1; 0 none) */
    uint32_t recent[DP_LEARN_RING];
    uint64_t recent_hash[DP_LEARN_RING];
    struct flow_mod req[DP_LEARN_RING];
};

struct dp_learn_q *
dp_learn_q_create(void)
{
    return calloc(1, sizeof(struct dp_learn_q));
}

void
dp_learn_q_destroy(struct dp_learn_q *q)
{
    free(q);
}

static uint64_t
fm_hash(const struct flow_mod *fm)
{
    return snic_hash_bytes(fm, sizeof(*fm), SNIC_HASH_BASIS);
}

/* Worker side: the env's learn callback (ctx: the worker). */
static void
learn_push(void *ctx, const struct flow_action *a, const struct flow_key *key)
{
    struct dp_worker *w = ctx;
    struct dp_learn_q *q = w->learnq;
    struct flow_mod fm;
    uint32_t head, tail, b, r;
    uint64_t h;

    if (q == NULL || flow_learn_build(a, key, &fm) < 0) {
        w->stats.learn_drops++;
        return;
    }
    head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    h = fm_hash(&fm);
    b = (uint32_t)(h % DP_LEARN_RING);
    r = q->recent[b];
    /* still waiting (not yet read by the control thread) and the same */
    if (r != 0 && q->recent_hash[b] == h && r - 1 - tail < head - tail
        && memcmp(&q->req[(r - 1) % DP_LEARN_RING], &fm, sizeof(fm)) == 0) {
        w->stats.learn_dups++;
        return;
    }
    if (head - tail >= DP_LEARN_RING) {
        w->stats.learn_drops++;
        return;
    }
    q->req[head % DP_LEARN_RING] = fm;
    q->recent[b] = head + 1;
    q->recent_hash[b] = h;
    __atomic_store_n(&q->head, head + 1, __ATOMIC_RELEASE);
    w->stats.learns++;
}

void
dp_learn_env(struct dp_actions_env *env, struct dp_worker *w)
{
    env->learn = learn_push;
    env->learn_ctx = w;
}

void
dp_learn_action(const struct dp_actions_env *env, const struct dp_pkt *pkt,
                const struct flow_action *a)
{
    struct flow_key key;
    struct dp_layout lay;

    if (env->learn == NULL)
        return;
    /* the packet as the actions so far left it, with its metadata */
    if (pkt->meta != NULL)
        key.meta = *pkt->meta;
    else
        memset(&key.meta, 0, sizeof(key.meta));
    dp_extract_hdr(pkt->buf.data, pkt->buf.len, pkt->in_port, &key, &lay);
    key.tun_id = pkt->tun.tun_id;
    key.tun_src = pkt->tun.tun_src;
    key.tun_dst = pkt->tun.tun_dst;
    env->learn(env->learn_ctx, a, &key);
}

size_t
dp_learn_drain(struct dp *dp, dp_learn_apply_fn *fn, void *ctx)
{
    size_t n = 0;

    for (size_t i = 0; i < dp->n_workers; i++) {
        struct dp_learn_q *q = dp->workers[i]->learnq;
        uint32_t tail, head;

        if (q == NULL)
            continue;
        tail = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
        head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
        for (; tail != head; tail++, n++) {
            fn(ctx, &q->req[tail % DP_LEARN_RING]);
            __atomic_store_n(&q->tail, tail + 1, __ATOMIC_RELEASE);
        }
    }
    return n;
}
