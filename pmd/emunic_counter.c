/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter cache: rte_flow_query(COUNT) answered from counters read in
 * bulk (the design is in emunic.h, above struct emunic_ctr).
 *
 * Freshness. A sweep is stamped with the time it *ended*; a query finds the
 * cache stale when that stamp is refresh_ms old or more, or when it belongs
 * to an older adapter generation, and sweeps again before answering. So an
 * application that sends traffic after a query returned and waits longer
 * than refresh_ms before its next query reads exact counts, as with a
 * synchronous read. (Stamping the start would be stricter by the sweep's
 * duration, but a sweep of 100,000s of counters can itself last longer than
 * refresh_ms, and then every query would sweep again.)
 *
 * What is read synchronously, one command for one counter, as before the
 * cache: reset=1 (read-and-clear must be atomic on the card; the slot then
 * holds 0, which is what the card holds), every query when refresh_ms is 0,
 * a counter allocated since the last sweep (one command instead of a sweep
 * of all), and a counter whose sweep command the card refused (the single
 * read then reports the card's exact status to the application).
 *
 * Failure. A transport failure during a sweep marks the adapter dead like
 * any command (flow ops then fail with EIO). Commands already posted are
 * always reaped before returning, so the channel never holds stray
 * completions for the next synchronous command.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_flow.h>

#include "emunic.h"

#define CTR_SLOTS_MIN   64u
#define CTR_REAP_MAX    64u

struct emunic_ctr_batch {
    uint32_t first;             /* slot range [first, end) this command read */
    uint32_t end;
    struct fw_counter_query_out out;
};

void
emunic_ctr_init(struct emunic_adapter *ad, uint32_t refresh_ms)
{
    struct emunic_ctr_cache *c = &ad->ctr;

    c->refresh_ms = refresh_ms;
    c->refresh_cycles = rte_get_timer_hz() / 1000u * refresh_ms;
    c->swept = false;
}

void
emunic_ctr_fini(struct emunic_adapter *ad)
{
    struct emunic_ctr_cache *c = &ad->ctr;

    free(c->slot);
    free(c->batch);
    c->slot = NULL;
    c->batch = NULL;
    c->n = c->cap = 0;
    c->n_batch = 0;
    c->swept = false;
}

int
emunic_ctr_reserve(struct emunic_adapter *ad, uint32_t more)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    struct emunic_ctr *s;
    uint32_t cap = c->cap ? c->cap : CTR_SLOTS_MIN;

    if (c->n + more <= c->cap)
        return 0;
    while (cap < c->n + more) {
        if (cap > UINT32_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    s = realloc(c->slot, (size_t)cap * sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    c->slot = s;
    c->cap = cap;
    return 0;
}

void
emunic_ctr_add(struct emunic_adapter *ad, struct rte_flow *flow)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    struct emunic_ctr *s = &c->slot[c->n];

    /* the caller reserved room before the card allocated the counter */
    s->owner = flow;
    s->id = flow->counter_id;
    s->generation = flow->generation;
    s->known = false;
    s->packets = 0;
    s->bytes = 0;
    flow->ctr_slot = c->n++;
}

void
emunic_ctr_del(struct emunic_adapter *ad, struct rte_flow *flow)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    uint32_t i = flow->ctr_slot, last;

    if (c->n == 0 || i >= c->n || c->slot[i].owner != flow)
        return;
    /* keep the slots dense: the last one moves into the hole */
    last = --c->n;
    if (i != last) {
        c->slot[i] = c->slot[last];
        c->slot[i].owner->ctr_slot = i;
    }
}

/* Batch buffers for up to @want commands in flight; fewer is fine (the
 * sweep then rings more doorbells), none is -ENOMEM. */
static int
ctr_batch_reserve(struct emunic_ctr_cache *c, unsigned want)
{
    struct emunic_ctr_batch *b;

    if (want <= c->n_batch)
        return 0;
    b = realloc(c->batch, (size_t)want * sizeof(*b));
    if (b == NULL)
        return c->n_batch > 0 ? 0 : -ENOMEM;
    c->batch = b;
    c->n_batch = want;
    return 0;
}

/* Fill @in with the ids of the next live-generation slots from *@cur on;
 * *@cur moves past every slot looked at. */
static void
ctr_collect(struct emunic_ctr_cache *c, uint32_t gen, uint32_t *cur,
            struct fw_counter_query_in *in)
{
    memset(&in->hdr, 0, sizeof(in->hdr));
    in->n = 0;
    in->flags = 0;
    while (*cur < c->n && in->n < FW_COUNTER_QUERY_MAX) {
        const struct emunic_ctr *s = &c->slot[*cur];

        if (s->generation == gen)
            in->ids[in->n++] = s->id;
        (*cur)++;
    }
}

/* Store what one finished command read (or forget its slots if refused). */
static void
ctr_batch_done(struct emunic_ctr_cache *c, uint32_t gen,
               const struct emunic_ctr_batch *b, uint8_t status)
{
    uint32_t k = 0;

    for (uint32_t i = b->first; i < b->end; i++) {
        struct emunic_ctr *s = &c->slot[i];

        if (s->generation != gen)
            continue;
        if (status == FW_STATUS_OK) {
            s->packets = b->out.values[k].packets;
            s->bytes = b->out.values[k].bytes;
            s->known = true;
        } else {
            s->known = false;
        }
        k++;
    }
}

/* Reap @posted commands. 0, or the transport error. */
static int
ctr_reap(struct emunic_adapter *ad, uint32_t gen, unsigned posted)
{
    struct fw_completion cmpl[CTR_REAP_MAX];
    unsigned done = 0;

    while (done < posted) {
        unsigned want = posted - done;
        int k;

        if (want > CTR_REAP_MAX)
            want = CTR_REAP_MAX;
        k = fw_chan_reap(ad->chan, cmpl, want, EMUNIC_CMD_TIMEOUT_MS);
        if (k < 0)
            return k;
        if (k == 0)
            return -ETIMEDOUT;
        for (int i = 0; i < k; i++)
            ctr_batch_done(&ad->ctr, gen, cmpl[i].cookie, cmpl[i].status);
        done += (unsigned)k;
    }
    return 0;
}

/*
 * Read every live counter into the cache. 0; -EIO when the card stopped
 * answering (the adapter is then dead); another negative errno when the
 * sweep could not run (the caller reads its one counter instead).
 */
static int
ctr_sweep(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    struct fw_counter_query_in in;
    uint32_t gen = ad->generation, cur = 0;
    unsigned want;
    int ret;

    c->swept = false;
    want = fw_chan_depth(ad->chan);
    if (want > c->n / FW_COUNTER_QUERY_MAX + 1)
        want = c->n / FW_COUNTER_QUERY_MAX + 1;
    ret = ctr_batch_reserve(c, want);
    if (ret < 0)
        return ret;
    /* flow queue commands a push left in flight are reaped into their
     * operations first: the sweep reaps only its own */
    emunic_async_drain_locked(ad);
    if (!emunic_adapter_alive(ad))
        return -EIO;
    c->stamp_gen = gen;
    while (cur < c->n) {
        unsigned space = fw_chan_space(ad->chan), posted = 0;
        int err = 0;

        if (space > c->n_batch)
            space = c->n_batch;
        if (space == 0)
            return -EBUSY;  /* someone left commands in flight */
        while (posted < space && cur < c->n) {
            struct emunic_ctr_batch *b = &c->batch[posted];

            b->first = cur;
            ctr_collect(c, gen, &cur, &in);
            b->end = cur;
            if (in.n == 0)
                break;      /* only slots of a lost generation were left */
            err = fw_chan_post(ad->chan, FW_CMD_COUNTER_QUERY, &in,
                               offsetof(struct fw_counter_query_in, ids) +
                               in.n * sizeof(in.ids[0]), &b->out,
                               sizeof(b->out.hdr) +
                               in.n * sizeof(b->out.values[0]), b);
            if (err < 0)
                break;
            posted++;
        }
        if (posted > 0) {
            ret = fw_chan_doorbell(ad->chan);
            if (ret == 0)
                ret = ctr_reap(ad, gen, posted);
            if (ret < 0) {
                emunic_adapter_fail_locked(ad, ret);
                return emunic_adapter_alive(ad) ? ret : -EIO;
            }
            c->sweep_cmds += posted;
        }
        if (err < 0) {
            emunic_adapter_fail_locked(ad, err);
            return emunic_adapter_alive(ad) ? err : -EIO;
        }
    }
    c->stamp = rte_get_timer_cycles();
    c->swept = true;
    c->sweeps++;
    return 0;
}

static bool
ctr_stale(const struct emunic_ctr_cache *c, uint32_t gen)
{
    if (!c->swept || c->stamp_gen != gen)
        return true;
    return rte_get_timer_cycles() - c->stamp >= c->refresh_cycles;
}

/* One counter, one synchronous command (read, or read and zero). */
static int
ctr_read_one(struct emunic_adapter *ad, struct emunic_ctr *s, bool clear,
             struct fw_counter_value *val, uint8_t *status, uint32_t *synd)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_counter_query_in in = { .n = 1 };
    struct fw_counter_query_out out;
    int ret;

    in.ids[0] = s->id;
    in.flags = clear ? FW_COUNTER_Q_CLEAR : 0;
    memset(&out, 0, sizeof(out));
    ret = emunic_adapter_exec_locked(ad, FW_CMD_COUNTER_QUERY, &in,
                                     offsetof(struct fw_counter_query_in, ids) +
                                     sizeof(in.ids[0]), &out,
                                     sizeof(out.hdr) + sizeof(out.values[0]),
                                     status, synd);
    if (ret < 0)
        return -EIO;
    ad->ctr.single_reads++;
    if (*status != FW_STATUS_OK)
        return 0;
    *val = out.values[0];
    /* after a clear the card holds zero: so does the cache */
    s->packets = clear ? 0 : val->packets;
    s->bytes = clear ? 0 : val->bytes;
    s->known = true;
    return 0;
}

int
emunic_ctr_query(struct emunic_adapter *ad, struct rte_flow *flow, bool clear,
                 struct fw_counter_value *val, uint8_t *status,
                 uint32_t *syndrome)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    struct emunic_ctr *s;
    int ret;

    *status = FW_STATUS_OK;
    *syndrome = 0;
    if (flow->ctr_slot >= c->n || c->slot[flow->ctr_slot].owner != flow)
        return -EINVAL;     /* not reachable: every counted flow has a slot */
    if (!emunic_adapter_alive(ad))
        return -EIO;
    if (!clear && c->refresh_ms > 0) {
        if (ctr_stale(c, ad->generation)) {
            ret = ctr_sweep(ad);
            if (ret == -EIO)
                return ret;
        }
        s = &c->slot[flow->ctr_slot];
        if (s->known && c->swept) {
            val->packets = s->packets;
            val->bytes = s->bytes;
            c->cached_reads++;
            return 0;
        }
    }
    return ctr_read_one(ad, &c->slot[flow->ctr_slot], clear, val, status,
                        syndrome);
}
