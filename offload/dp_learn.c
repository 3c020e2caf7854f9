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
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_pipeline_priv.h"
#include "snic_hash.h"

/* A learned flow, or (fin_id != 0) fin_timeout on flow fin_id with the
 * timeouts in fm.flow.idle_timeout / hard_timeout. */
struct learn_req {
    uint64_t fin_id;
    int ent;                /* the ledger entry reserved from, or -1 */
    struct flow_mod fm;
};

struct dp_learn_q {
    uint32_t head;              /* next to write: the worker's */
    uint32_t tail;              /* next to read: the control thread's */
    /* the worker's: position last written per hash bucket (+1; 0 none) */
    uint32_t recent[DP_LEARN_RING];
    uint64_t recent_hash[DP_LEARN_RING];
    struct learn_req req[DP_LEARN_RING];
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

/* Room at the head of @q, or NULL (counted as a drop). */
static struct learn_req *
slot(struct dp_worker *w, struct dp_learn_q *q, uint32_t *head)
{
    uint32_t tail;

    *head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    if (*head - tail >= DP_LEARN_RING) {
        snic_counter_add(&w->stats.learn_drops, 1);
        return NULL;
    }
    return &q->req[*head % DP_LEARN_RING];
}

/* fin_timeout: only a TCP packet with FIN or RST (Open vSwitch's rule),
 * of a flow the pipeline knows. */
static void
fin_push(struct dp_worker *w, const struct flow_action *a,
         const struct flow_key *key, uint64_t flow_id)
{
    struct dp_learn_q *q = w->learnq;
    uint16_t dl_type = ntohs(key->dl_type);
    struct learn_req *r;
    uint32_t head;

    if (q == NULL || flow_id == 0 || key->nw_proto != 6
        || (dl_type != 0x0800 && dl_type != 0x86dd)
        || !(ntohs(key->tcp_flags) & 0x005))
        return;
    if ((r = slot(w, q, &head)) == NULL)
        return;
    memset(r, 0, sizeof(*r));
    r->ent = -1;
    r->fin_id = flow_id;
    r->fm.flow.idle_timeout = a->u.learn_fin.fin_idle_timeout;
    r->fm.flow.hard_timeout = a->u.learn_fin.fin_hard_timeout;
    __atomic_store_n(&q->head, head + 1, __ATOMIC_RELEASE);
}

/* The same learned flow as @fm (which the ledger has not marked yet). */
static bool
same_learn(const struct flow_mod *queued, const struct flow_mod *fm)
{
    return queued->learn_limit == fm->learn_limit
        && memcmp(&queued->flow, &fm->flow, sizeof(fm->flow)) == 0;
}

/* Worker side: the env's learn callback (ctx: the worker). 1 learned, 0
 * not, -1 no answer (dp.h, dp_learn_fn). */
static int
learn_push(void *ctx, const struct flow_action *a, const struct flow_key *key,
           uint64_t flow_id)
{
    struct dp_worker *w = ctx;
    struct dp_learn_q *q = w->learnq;
    struct learn_req *slot_p;
    struct flow_mod fm;
    uint32_t head, tail, b, r;
    uint64_t h;
    int mode, ent = -1;

    if (a->type == FLOW_ACT_FIN_TIMEOUT) {
        fin_push(w, a, key, flow_id);
        return -1;
    }
    if (q == NULL || flow_learn_build(a, key, &fm) < 0) {
        snic_counter_add(&w->stats.learn_drops, 1);
        return -1;
    }
    head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    h = fm_hash(&fm);
    b = (uint32_t)(h % DP_LEARN_RING);
    r = q->recent[b];
    /* still waiting (not yet read by the control thread) and the same:
     * learned already, as far as this packet can tell */
    if (r != 0 && q->recent_hash[b] == h && r - 1 - tail < head - tail
        && q->req[(r - 1) % DP_LEARN_RING].fin_id == 0
        && same_learn(&q->req[(r - 1) % DP_LEARN_RING].fm, &fm)) {
        snic_counter_add(&w->stats.learn_dups, 1);
        return 1;
    }
    /* limit=N: decided here, what the control thread will do */
    mode = dp_ledger_decide(w->dp, &fm, &ent);
    if (mode < 0) {
        snic_counter_add(&w->stats.learn_limited, 1);
        return 0;
    }
    if ((slot_p = slot(w, q, &head)) == NULL) {
        dp_ledger_release(w->dp, ent);
        return 0;
    }
    fm.learn_mode = (uint32_t)mode;
    slot_p->fin_id = 0;
    slot_p->ent = ent;
    slot_p->fm = fm;
    q->recent[b] = head + 1;
    q->recent_hash[b] = h;
    __atomic_store_n(&q->head, head + 1, __ATOMIC_RELEASE);
    snic_counter_add(&w->stats.learns, 1);
    return 1;
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
    const struct flow_action *res;
    struct flow_key key;
    struct dp_layout lay;
    int learned;

    if (env->learn == NULL)
        return;
    /* the packet as the actions so far left it, with its metadata */
    if (pkt->meta != NULL)
        key.meta = *pkt->meta;
    else
        memset(&key.meta, 0, sizeof(key.meta));
    dp_extract_pkt(pkt, &key, &lay);
    dp_extract_frag_ports(pkt->buf.data, &lay, &key);
    key.tun_id = pkt->tun.tun_id;
    key.tun_src = pkt->tun.tun_src;
    key.tun_dst = pkt->tun.tun_dst;
    learned = env->learn(env->learn_ctx, a, &key, env->flow_id);
    /* result_dst=: whether the packet learned, into its metadata */
    if (learned >= 0 && pkt->meta != NULL && a->type == FLOW_ACT_LEARN
        && (res = flow_learn_result(a)) != NULL)
        flow_subfield_set(pkt->meta, &res->dst,
                          (const uint64_t[2]){ (uint64_t)learned, 0 });
}

size_t
dp_learn_drain(struct dp *dp, dp_learn_apply_fn *fn, dp_fin_apply_fn *fin,
               void *ctx)
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
            const struct learn_req *r = &q->req[tail % DP_LEARN_RING];

            if (r->fin_id == 0) {
                fn(ctx, &r->fm);
                if (r->fm.learn_mode == FLOW_LEARN_RESERVED)
                    dp_ledger_applied(dp, r->ent);
            } else if (fin != NULL)
                fin(ctx, r->fin_id, r->fm.flow.idle_timeout,
                    r->fm.flow.hard_timeout);
            __atomic_store_n(&q->tail, tail + 1, __ATOMIC_RELEASE);
        }
    }
    /* what was applied is in the table now: the ledger counts it and
     * lets its reservations go in one store (dp_learn_ledger.c) */
    if (n > 0 && dp_ledger_sync(dp) < 0)
        dp->sticky_err = dp->sticky_err ? dp->sticky_err : -ENOMEM;
    return n;
}
