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
 * Walks. On a card of ABI 1.6 a sweep is a COUNTER_MOVED walk from the
 * epoch of the last one: the card lists only the counters that changed, so
 * an idle card answers with one empty page whatever the number of flows.
 * A walk's first page is one command; when it comes back full, the rest of
 * the id space is split into ranges walked side by side, one page of each
 * in flight, so many changed counters cost a few round trips, not one per
 * page. A slot added since the last sweep is read once by id after the
 * walk (its counter may have counted before the slot existed); from then
 * on every change is in some walk.
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

#include <ethdev_driver.h>

#include "emunic.h"
#include "snic/rte_pmd_emunic.h"
#include "snic_zmap.h"

#define CTR_SLOTS_MIN   64u
#define CTR_REAP_MAX    64u
#define CTR_CHAINS      16u     /* COUNTER_MOVED ranges walked at once */
#define CTR_NONE        UINT32_MAX

struct emunic_ctr_batch {
    uint32_t first;             /* slot range [first, end) this command read */
    uint32_t end;
    struct fw_counter_query_out out;
};

struct emunic_ctr_chain {
    uint32_t cursor;            /* next page's cursor, CTR_NONE: done */
    uint32_t end;               /* range end (0: the last counter) */
    struct fw_counter_moved_out out;
};

void
emunic_ctr_init(struct emunic_adapter *ad, uint32_t refresh_ms)
{
    struct emunic_ctr_cache *c = &ad->ctr;

    c->refresh_ms = refresh_ms;
    c->refresh_cycles = rte_get_timer_hz() / 1000u * refresh_ms;
    c->swept = false;
    c->walk = ad->chan != NULL && fw_chan_abi_minor(ad->chan) >= 6 &&
              ad->caps.max_counters > 0;
    c->since = 0;
    c->since_gen = ad->generation;
}

/* Ids slot_of has room for: those of the card it was mapped for (a card
 * that comes back with more counters does not make it longer). */
static inline size_t
slot_of_ids(const struct emunic_ctr_cache *c)
{
    return c->slot_of_bytes / sizeof(c->slot_of[0]);
}

void
emunic_ctr_fini(struct emunic_adapter *ad)
{
    struct emunic_ctr_cache *c = &ad->ctr;

    free(c->slot);
    free(c->batch);
    snic_zunmap(c->slot_of, c->slot_of_bytes);
    free(c->chain);
    free(c->moved);
    c->slot = NULL;
    c->batch = NULL;
    c->slot_of = NULL;
    c->chain = NULL;
    c->moved = NULL;
    c->n = c->cap = 0;
    c->n_batch = 0;
    c->n_moved = 0;
    c->swept = false;
}

int
emunic_ctr_reserve(struct emunic_adapter *ad, uint32_t more)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    struct emunic_ctr *s;
    uint32_t *m;
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
    /* the moved list holds each slot at most once */
    m = realloc(c->moved, (size_t)cap * sizeof(*m));
    if (m == NULL)
        return -ENOMEM;     /* the slots grew: harmless, cap did not */
    c->moved = m;
    c->cap = cap;
    return 0;
}

/* Slot @i's counter read @packets / @bytes: a change (or a first reading
 * that is not zero) puts the slot on the moved list. */
static void
ctr_set(struct emunic_ctr_cache *c, uint32_t i, uint64_t packets,
        uint64_t bytes)
{
    struct emunic_ctr *s = &c->slot[i];
    bool changed = s->known ? packets != s->packets || bytes != s->bytes :
                              packets != 0 || bytes != 0;

    s->packets = packets;
    s->bytes = bytes;
    s->known = true;
    if (changed && s->mpos == CTR_NONE) {
        s->mpos = c->n_moved;
        c->moved[c->n_moved++] = i;
    }
}

/* Take slot @i off the moved list. */
static void
ctr_unlist(struct emunic_ctr_cache *c, uint32_t i)
{
    uint32_t at = c->slot[i].mpos, last;

    if (at == CTR_NONE)
        return;
    last = c->moved[--c->n_moved];
    if (at != c->n_moved) {
        c->moved[at] = last;
        c->slot[last].mpos = at;
    }
    c->slot[i].mpos = CTR_NONE;
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
    s->mpos = CTR_NONE;
    s->packets = 0;
    s->bytes = 0;
    if (c->walk && c->slot_of == NULL) {
        /* untouched pages of ids never used cost nothing */
        c->slot_of_bytes = ((size_t)ad->caps.max_counters + 1) *
                           sizeof(c->slot_of[0]);
        c->slot_of = snic_zmap(c->slot_of_bytes);
        if (c->slot_of == NULL)
            c->walk = false;    /* sweeps of every counter, as before 1.6 */
    }
    if (c->slot_of != NULL && s->id < slot_of_ids(c))
        c->slot_of[s->id] = c->n + 1;
    c->n_fresh++;
    if (c->fresh_from > c->n)
        c->fresh_from = c->n;
    flow->ctr_slot = c->n++;
}

/* Slot @from into the hole at @to: its flow, the moved list and the id
 * table follow it. */
static void
ctr_move(struct emunic_adapter *ad, uint32_t from, uint32_t to)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    struct emunic_ctr *s = &c->slot[to];

    *s = c->slot[from];
    s->owner->ctr_slot = to;
    if (s->mpos != CTR_NONE)
        c->moved[s->mpos] = to;
    if (c->slot_of != NULL && s->id < slot_of_ids(c) &&
        c->slot_of[s->id] == from + 1)
        c->slot_of[s->id] = to + 1;
}

void
emunic_ctr_del(struct emunic_adapter *ad, struct rte_flow *flow)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    uint32_t i = flow->ctr_slot, last, b;

    if (c->n == 0 || i >= c->n || c->slot[i].owner != flow)
        return;
    ctr_unlist(c, i);
    /* a slot of a lost generation may share its id with a newer one */
    if (c->slot_of != NULL && c->slot[i].id < slot_of_ids(c) &&
        c->slot_of[c->slot[i].id] == i + 1)
        c->slot_of[c->slot[i].id] = 0;
    /* keep the slots dense, and the fresh ones together at the end */
    last = --c->n;
    if (c->fresh_from > last + 1)
        c->fresh_from = last + 1;
    if (i < c->fresh_from) {
        /* a hole among the slots read already: the last of those fills
         * it, and the last slot (a fresh one, if any) fills its place */
        b = c->fresh_from - 1;
        if (b != i)
            ctr_move(ad, b, i);
        if (last != b)
            ctr_move(ad, last, b);
        c->fresh_from--;
    } else if (i != last) {
        ctr_move(ad, last, i);
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

/* Fill @in with the ids of the next live-generation slots from *@cur on
 * (@unknown: only those never read); *@cur moves past every slot looked
 * at. */
static void
ctr_collect(struct emunic_ctr_cache *c, uint32_t gen, bool unknown,
            uint32_t *cur, struct fw_counter_query_in *in)
{
    memset(&in->hdr, 0, sizeof(in->hdr));
    in->n = 0;
    in->flags = 0;
    while (*cur < c->n && in->n < FW_COUNTER_QUERY_MAX) {
        const struct emunic_ctr *s = &c->slot[*cur];

        if (s->generation == gen && (!unknown || !s->known))
            in->ids[in->n++] = s->id;
        (*cur)++;
    }
}

/* Store what one finished command read (or forget its slots if refused). */
static void
ctr_batch_done(struct emunic_ctr_cache *c, uint32_t gen, bool unknown,
               const struct emunic_ctr_batch *b, uint8_t status)
{
    uint32_t k = 0;

    for (uint32_t i = b->first; i < b->end; i++) {
        struct emunic_ctr *s = &c->slot[i];

        if (s->generation != gen || (unknown && s->known))
            continue;
        if (status == FW_STATUS_OK)
            ctr_set(c, i, b->out.values[k].packets, b->out.values[k].bytes);
        else
            s->known = false;
        k++;
    }
}

/* Reap @posted commands. 0, or the transport error. */
static int
ctr_reap(struct emunic_adapter *ad, uint32_t gen, bool unknown,
         unsigned posted)
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
            ctr_batch_done(&ad->ctr, gen, unknown, cmpl[i].cookie,
                           cmpl[i].status);
        done += (unsigned)k;
    }
    return 0;
}

/*
 * Read the live counters by id into the cache (@unknown: only the slots
 * never read, from c->fresh_from on). 0; -EIO when the card stopped
 * answering (the adapter is then dead); another negative errno when the
 * read could not run.
 */
static int
ctr_read_ids(struct emunic_adapter *ad, bool unknown)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    struct fw_counter_query_in in;
    uint32_t gen = ad->generation, cur = unknown ? c->fresh_from : 0;
    unsigned want;
    int ret;

    want = fw_chan_depth(ad->chan);
    if (want > c->n / FW_COUNTER_QUERY_MAX + 1)
        want = c->n / FW_COUNTER_QUERY_MAX + 1;
    ret = ctr_batch_reserve(c, want);
    if (ret < 0)
        return ret;
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
            ctr_collect(c, gen, unknown, &cur, &in);
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
                ret = ctr_reap(ad, gen, unknown, posted);
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
    return 0;
}

/* A page of chain @ch: the ranges after the first carry on from their own
 * cursor; only cursor 0 starts an epoch. */
static int
ctr_walk_post(struct emunic_adapter *ad, struct emunic_ctr_chain *ch,
              uint64_t since)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_counter_moved_in in;

    memset(&in, 0, sizeof(in));
    in.since = since;
    in.cursor = ch->cursor;
    in.end = ch->end;
    in.max = FW_COUNTER_MOVED_MAX;
    return fw_chan_post(ad->chan, FW_CMD_COUNTER_MOVED, &in, sizeof(in),
                        &ch->out, sizeof(ch->out), ch);
}

/* Store one page's entries; the chain's next cursor. */
static void
ctr_walk_page(struct emunic_adapter *ad, uint32_t gen,
              struct emunic_ctr_chain *ch)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    uint32_t n = ch->out.n < FW_COUNTER_MOVED_MAX ? ch->out.n :
                 FW_COUNTER_MOVED_MAX;

    /* no flow has had a counter yet: whatever is listed (a flow queue's
     * pool, allocated at configure) has no slot */
    if (c->slot_of == NULL)
        n = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct fw_counter_moved_entry *e = &ch->out.entries[k];
        uint32_t j;

        /* a counter of no slot: a pool's free one, or not ours */
        if (e->id == 0 || e->id >= slot_of_ids(c) ||
            (j = c->slot_of[e->id]) == 0 || j > c->n ||
            c->slot[j - 1].generation != gen || c->slot[j - 1].id != e->id)
            continue;
        ctr_set(c, j - 1, e->packets, e->bytes);
    }
    ch->cursor = ch->out.next_cursor == FW_COUNTER_MOVED_END ? CTR_NONE :
                 ch->out.next_cursor;
}

/*
 * One COUNTER_MOVED walk from c->since into the slots. 0; -EIO when the
 * card stopped answering; -EAGAIN when the card refused our epoch (a
 * reset we have not seen yet: walk again from 0); another negative errno
 * when a page was refused (the epoch is kept, so the next walk lists a
 * superset).
 */
static int
ctr_walk(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    struct fw_completion cmpl[CTR_CHAINS];
    uint32_t gen = ad->generation, max = ad->caps.max_counters;
    uint64_t epoch = 0;
    unsigned n_chain = 1, posted;
    int ret;

    if (c->chain == NULL) {
        c->chain = malloc(CTR_CHAINS * sizeof(*c->chain));
        if (c->chain == NULL)
            return -ENOMEM;
    }
    c->chain[0].cursor = 0;
    c->chain[0].end = 0;
    for (bool first = true;; first = false) {
        posted = 0;
        for (unsigned k = 0; k < n_chain; k++) {
            if (c->chain[k].cursor == CTR_NONE)
                continue;
            if (fw_chan_space(ad->chan) == 0)
                break;
            ret = ctr_walk_post(ad, &c->chain[k], c->since);
            if (ret < 0)
                break;
            posted++;
        }
        if (posted == 0)
            break;
        ret = fw_chan_doorbell(ad->chan);
        for (unsigned done = 0; ret == 0 && done < posted;) {
            int k = fw_chan_reap(ad->chan, cmpl, posted - done,
                                 EMUNIC_CMD_TIMEOUT_MS);

            if (k <= 0) {
                ret = k < 0 ? k : -ETIMEDOUT;
                break;
            }
            for (int i = 0; i < k; i++) {
                struct emunic_ctr_chain *ch = cmpl[i].cookie;

                if (cmpl[i].status != FW_STATUS_OK) {
                    ret = FW_SYND_REASON(cmpl[i].syndrome) == FW_SYND_VALUE ?
                          -EAGAIN : -EPROTO;
                    ch->cursor = CTR_NONE;
                    continue;
                }
                if (first)
                    epoch = ch->out.epoch;
                ctr_walk_page(ad, gen, ch);
            }
            done += (unsigned)k;
        }
        c->walk_cmds += posted;
        if (ret == -EAGAIN || ret == -EPROTO) {
            /* reap whatever else is in flight, then give up this walk */
            while (fw_chan_inflight(ad->chan) > 0 &&
                   fw_chan_reap(ad->chan, cmpl, CTR_CHAINS,
                                EMUNIC_CMD_TIMEOUT_MS) > 0)
                ;
            return ret;
        }
        if (ret < 0) {
            emunic_adapter_fail_locked(ad, ret);
            return emunic_adapter_alive(ad) ? ret : -EIO;
        }
        /* the first page came back full: split what is left into ranges
         * walked side by side */
        if (first && c->chain[0].cursor != CTR_NONE) {
            uint32_t from = c->chain[0].cursor, left = max - from;
            unsigned want = fw_chan_depth(ad->chan);

            want = want < CTR_CHAINS ? want : CTR_CHAINS;
            if (want > left)
                want = left;
            n_chain = want > 0 ? want : 1;
            for (unsigned k = 0; k < n_chain; k++) {
                c->chain[k].cursor = from + (uint32_t)((uint64_t)left * k /
                                                       n_chain);
                c->chain[k].end = from + (uint32_t)((uint64_t)left *
                                                    (k + 1) / n_chain);
            }
        }
    }
    c->since = epoch;
    c->walks++;
    return 0;
}

/*
 * Start an epoch without a walk from 0, which would list every counter the
 * card holds allocated: the flow queue's pool alone is nearly all of them
 * (a million, 41 a page, mostly free and of no slot). A one-counter walk
 * gives the epoch; the live slots are then read by id (ctr_read_ids), and
 * whatever counts after that is stamped with the epoch or a later one, so
 * the next walk lists it. 0, or as ctr_walk.
 */
static int
ctr_epoch(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_counter_moved_in in = { .cursor = 0, .end = 1, .max = 1 };
    struct fw_counter_moved_out out;
    uint32_t synd;
    uint8_t status;
    int ret;

    ret = emunic_adapter_exec_locked(ad, FW_CMD_COUNTER_MOVED, &in,
                                     sizeof(in), &out, sizeof(out), &status,
                                     &synd);
    if (ret < 0)
        return emunic_adapter_alive(ad) ? ret : -EIO;
    ad->ctr.walk_cmds++;
    if (status != FW_STATUS_OK)
        return -EPROTO;
    ad->ctr.since = out.epoch;
    return 0;
}

/*
 * Bring every live counter's slot up to date: a walk of what moved (ABI
 * 1.6) then one read of the slots never read, or a read of every counter.
 * 0; -EIO when the card stopped answering (the adapter is then dead);
 * another negative errno when the sweep could not run (the caller reads
 * its one counter instead).
 */
static int
ctr_sweep(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_ctr_cache *c = &ad->ctr;
    uint32_t gen = ad->generation;
    int ret;

    c->swept = false;
    /* flow queue commands a push left in flight are reaped into their
     * operations first: the sweep reaps only its own */
    emunic_async_drain_locked(ad);
    if (!emunic_adapter_alive(ad))
        return -EIO;
    c->stamp_gen = gen;
    if (c->walk) {
        if (c->since_gen != gen) {
            c->since = 0;
            c->since_gen = gen;
        }
        ret = c->since != 0 ? ctr_walk(ad) : -EAGAIN;
        if (ret == -EAGAIN) {
            /* no epoch yet, or one from before a reset: a new one, then
             * every live slot read by id */
            ret = ctr_epoch(ad);
            if (ret == 0)
                ret = ctr_read_ids(ad, false);
            if (ret == 0) {
                c->n_fresh = 0;
                c->fresh_from = c->n;
            }
        } else if (ret == 0 && c->n_fresh > 0) {
            /* after the walk: a slot's first reading is newer than the
             * epoch the walk started, so its later changes are in the
             * next walk */
            ret = ctr_read_ids(ad, true);
            if (ret == 0) {
                c->n_fresh = 0;
                c->fresh_from = c->n;
            }
        }
    } else {
        ret = ctr_read_ids(ad, false);
    }
    if (ret < 0)
        return ret;
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
    ctr_set(&ad->ctr, (uint32_t)(s - ad->ctr.slot), clear ? 0 : val->packets,
            clear ? 0 : val->bytes);
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

int
rte_pmd_emunic_flow_counts_moved(uint16_t port_id, uint32_t flags,
                                 struct rte_pmd_emunic_flow_count *out,
                                 unsigned int max)
{
    struct emunic_adapter *ad;
    struct emunic_ctr_cache *c;
    struct rte_eth_dev *dev;
    struct emunic_port *p;
    unsigned int n = 0;
    int ret = 0;

    if ((flags & ~(uint32_t)RTE_PMD_EMUNIC_COUNTS_REFRESH) != 0 ||
        (out == NULL && max > 0))
        return -EINVAL;
    if (port_id >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(port_id))
        return -ENODEV;
    dev = &rte_eth_devices[port_id];
    if (dev->rx_pkt_burst != emunic_rx_burst || dev->data->dev_private == NULL)
        return -ENOTSUP;
    p = dev->data->dev_private;
    if (p->role != EMUNIC_ROLE_PF && p->role != EMUNIC_ROLE_REP)
        return -ENOTSUP;
    ad = p->ad;
    c = &ad->ctr;
    snic_mutex_lock(&ad->lock);
    if (flags & RTE_PMD_EMUNIC_COUNTS_REFRESH) {
        emunic_adapter_sync_locked(ad);
        ret = emunic_adapter_alive(ad) ? ctr_sweep(ad) : -EIO;
    }
    /* newest changes last: pop from the end, O(1) each */
    while (ret == 0 && n < max && c->n_moved > 0) {
        uint32_t i = c->moved[c->n_moved - 1];
        const struct emunic_ctr *s = &c->slot[i];

        out[n].flow = s->owner;
        out[n].hits = s->packets;
        out[n].bytes = s->bytes;
        ctr_unlist(c, i);
        n++;
    }
    snic_mutex_unlock(&ad->lock);
    return ret < 0 ? ret : (int)n;
}
