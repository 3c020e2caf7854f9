/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter pool of a port's flow queues (the design is in emunic.h
 * above struct emunic_aqueue): the ids rte_flow_configure's nb_counters
 * asked for, allocated on the card in COUNTER_ALLOC ranges of 1,024 by the
 * first push that needs a counter (configure only sizes the pool), handed
 * out at push, zeroed on the card (COUNTER_QUERY with CLEAR) before they
 * are handed out again, allocated anew after a firmware reset and freed
 * range by range when the port closes. Everything here runs with ad->lock
 * held.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_flow.h>

#include "emunic.h"
#include "snic_zmap.h"

/* Range commands (COUNTER_ALLOC, COUNTER_FREE: one per 1,024 ids) go
 * CPOOL_BATCH before each doorbell: after a firmware reset the pool is
 * allocated anew inside the recovery, and a million counters are a
 * thousand commands. */
#define CPOOL_BATCH 64u

union cpool_in {
    struct fw_counter_alloc_in alloc;
    struct fw_counter_free_in free;
};

struct cpool_job {
    struct emunic_cpool *cp;
    uint16_t opcode;
    uint8_t status;             /* the first refusal, FW_STATUS_OK: none */
    uint32_t synd;
};

/* Command @i of @job: the range it allocates or frees. */
static size_t
job_cmd(const struct cpool_job *job, uint32_t i, union cpool_in *in)
{
    const struct emunic_cpool *cp = job->cp;
    uint32_t at = i * EMUNIC_CPOOL_CHUNK;

    memset(in, 0, sizeof(*in));
    if (job->opcode == FW_CMD_COUNTER_FREE) {
        in->free.base_id = cp->range_base[i];
        in->free.count = cp->range_len[i];
        return sizeof(in->free);
    }
    in->alloc.count = cp->cap - at < EMUNIC_CPOOL_CHUNK ? cp->cap - at
                                                         : EMUNIC_CPOOL_CHUNK;
    return sizeof(in->alloc);
}

/* Command @i of @job done: an allocated range joins the pool. */
static void
job_done(struct cpool_job *job, uint32_t i, const struct fw_completion *c,
         const struct fw_counter_alloc_out *out)
{
    struct emunic_cpool *cp = job->cp;
    uint32_t len, at = i * EMUNIC_CPOOL_CHUNK;

    if (c->status != FW_STATUS_OK) {
        if (job->status == FW_STATUS_OK) {
            job->status = c->status;
            job->synd = c->syndrome;
        }
        return;
    }
    if (job->opcode != FW_CMD_COUNTER_ALLOC)
        return;
    len = cp->cap - at < EMUNIC_CPOOL_CHUNK ? cp->cap - at
                                            : EMUNIC_CPOOL_CHUNK;
    cp->range_base[cp->n_ranges] = out->base_id;
    cp->range_len[cp->n_ranges++] = len;
}

/* Run @n commands of @job. The channel is empty on entry and on return.
 * 0 (refusals are in job->status), or the transport's negative errno:
 * the adapter is then failed. */
static int
job_run_locked(struct emunic_adapter *ad, struct cpool_job *job, uint32_t n)
    SNIC_REQUIRES(ad->lock)
{
    union cpool_in in[CPOOL_BATCH];
    struct fw_counter_alloc_out out[CPOOL_BATCH];
    struct fw_completion c[CPOOL_BATCH];
    uint32_t first = 0;
    int ret = 0;

    /* flow queue commands a push left in flight: theirs to keep */
    emunic_async_drain_locked(ad);
    if (!emunic_adapter_alive(ad))
        return -EPIPE;
    while (first < n && ret == 0) {
        unsigned posted = 0, reaped = 0;

        while (first + posted < n && posted < CPOOL_BATCH &&
               fw_chan_space(ad->chan) > 0) {
            size_t in_size = job_cmd(job, first + posted, &in[posted]);

            ret = fw_chan_post(ad->chan, job->opcode, &in[posted], in_size,
                               &out[posted],
                               job->opcode == FW_CMD_COUNTER_ALLOC ?
                               sizeof(out[0]) : sizeof(out[0].hdr),
                               (void *)(uintptr_t)posted);
            if (ret < 0)
                break;
            posted++;
        }
        if (ret == 0)
            ret = posted > 0 ? fw_chan_doorbell(ad->chan) : -EPIPE;
        while (ret == 0 && reaped < posted) {
            int got = fw_chan_reap(ad->chan, c, posted - reaped,
                                   EMUNIC_CMD_TIMEOUT_MS);

            if (got < 0) {
                ret = got;
                break;
            }
            for (int k = 0; k < got; k++) {
                uint32_t slot = (uint32_t)(uintptr_t)c[k].cookie;

                job_done(job, first + slot, &c[k], &out[slot]);
            }
            reaped += (unsigned)got;
        }
        first += posted;
    }
    emunic_adapter_fail_locked(ad, ret);
    return ret;
}

static void
cpool_free_ranges_locked(struct emunic_adapter *ad, struct emunic_cpool *cp)
    SNIC_REQUIRES(ad->lock)
{
    struct cpool_job job = { .cp = cp, .opcode = FW_CMD_COUNTER_FREE };

    /* a reset took them already: nothing to free on the card */
    if (cp->n_ranges > 0 && cp->generation == ad->generation &&
        emunic_adapter_alive(ad))
        (void)job_run_locked(ad, &job, cp->n_ranges);
    cp->n_ranges = 0;
    cp->n_free = 0;
    cp->n_dirty = 0;
    cp->fresh_range = 0;
    cp->fresh_off = 0;
}

/* The id lists are sized for the whole pool (a million ids: 8 MB) and
 * filled as ids come and go: mapped, not calloc'ed (snic_zmap.h). */
int
emunic_cpool_init(struct emunic_cpool *cp, uint32_t cap)
{
    uint32_t nr = (cap + EMUNIC_CPOOL_CHUNK - 1) / EMUNIC_CPOOL_CHUNK;

    cp->cap = cap;
    cp->free_ids = snic_zmap((size_t)cap * sizeof(uint32_t));
    cp->dirty = snic_zmap((size_t)cap * sizeof(uint32_t));
    cp->range_base = calloc(nr, sizeof(uint32_t));
    cp->range_len = calloc(nr, sizeof(uint32_t));
    if (cp->free_ids == NULL || cp->dirty == NULL ||
        cp->range_base == NULL || cp->range_len == NULL)
        return -ENOMEM;
    return 0;
}

void
emunic_cpool_fini_locked(struct emunic_adapter *ad, struct emunic_cpool *cp)
    SNIC_REQUIRES(ad->lock)
{
    cpool_free_ranges_locked(ad, cp);
    snic_zunmap(cp->free_ids, (size_t)cp->cap * sizeof(uint32_t));
    snic_zunmap(cp->dirty, (size_t)cp->cap * sizeof(uint32_t));
    free(cp->range_base);
    free(cp->range_len);
    memset(cp, 0, sizeof(*cp));
}

/* Allocate the pool's ids on the card: COUNTER_ALLOC of up to 1024 ids a
 * command, CPOOL_BATCH commands a doorbell. */
int
emunic_cpool_alloc_locked(struct emunic_adapter *ad, struct emunic_cpool *cp,
                   struct rte_flow_error *error)
    SNIC_REQUIRES(ad->lock)
{
    uint32_t n_cmds = (cp->cap + EMUNIC_CPOOL_CHUNK - 1) / EMUNIC_CPOOL_CHUNK;
    struct cpool_job job = { .cp = cp, .opcode = FW_CMD_COUNTER_ALLOC };
    char sbuf[96];
    int ret;

    cp->n_ranges = 0;
    cp->n_free = 0;
    cp->n_dirty = 0;
    cp->fresh_range = 0;
    cp->fresh_off = 0;
    cp->generation = ad->generation;
    cp->deferred = false;
    ret = job_run_locked(ad, &job, n_cmds);
    if (ret < 0) {
        cpool_free_ranges_locked(ad, cp);
        return emunic_flow_dead(ad, error);
    }
    if (job.status != FW_STATUS_OK) {
        cpool_free_ranges_locked(ad, cp);
        return emunic_flow_err(error, job.status == FW_STATUS_NO_SPACE ?
                               ENOSPC : EIO,
                               RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                               "nb_counters %u: the card did not "
                               "allocate them: %s (%s)", cp->cap,
                               fw_status_str(job.status),
                               fw_syndrome_str(job.synd, sbuf,
                                               sizeof(sbuf)));
    }
    /* the card stamped every id of the pool with its current epoch: the
     * next walk from an earlier one would list them all (a million ids,
     * 41 a page), so the next sweep starts a new epoch and reads the live
     * slots by id instead (emunic_counter.c) */
    ad->ctr.since = 0;
    return 0;
}

bool
emunic_cpool_take(struct emunic_cpool *cp, uint32_t *id)
{
    if (cp->n_free > 0) {
        *id = cp->free_ids[--cp->n_free];
        return true;
    }
    if (cp->fresh_range >= cp->n_ranges)
        return false;
    *id = cp->range_base[cp->fresh_range] + cp->fresh_off;
    if (++cp->fresh_off == cp->range_len[cp->fresh_range]) {
        cp->fresh_range++;
        cp->fresh_off = 0;
    }
    return true;
}

void
emunic_cpool_give(struct emunic_cpool *cp, uint32_t id)
{
    if (cp->n_free < cp->cap)
        cp->free_ids[cp->n_free++] = id;
}

void
emunic_cpool_put_locked(struct emunic_port *p, uint32_t id, uint32_t gen)
    SNIC_REQUIRES(p->ad->lock)
{
    struct emunic_cpool *cp;

    if (p->async == NULL)
        return;
    cp = &p->async->cpool;
    /* an id of an older pool (before a reset) names nothing now */
    if (gen != cp->generation || cp->n_dirty >= cp->cap)
        return;
    cp->dirty[cp->n_dirty++] = id;
}

/* Zero the dirty ids (COUNTER_QUERY with CLEAR, 60 ids a command, all
 * posted before one doorbell) and make them free; at the first call after
 * configure, allocate the pool, and after a firmware reset allocate it
 * anew. The channel is empty on entry and on return. */
int
emunic_cpool_refill_locked(struct emunic_port *p)
    SNIC_REQUIRES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;
    struct emunic_cpool *cp = &p->async->cpool;
    static _Thread_local struct fw_counter_query_out qout;
    struct fw_counter_query_in in;
    struct fw_completion c[64];
    uint32_t first = 0;
    int ret;

    snic_mutex_held(&ad->lock);         /* it is p->ad->lock */
    if (cp->cap == 0)
        return 0;
    if (cp->deferred || cp->generation != ad->generation) {
        struct rte_flow_error err = { .message = NULL };

        /* tried once: a card that refused leaves the pool empty, and the
         * rules wanting a counter fail (an application falls back to the
         * sync API for them), as when the pool is used up */
        ret = emunic_cpool_alloc_locked(ad, cp, &err);
        if (ret < 0)
            EMUNIC_LOG(ERR, "%s: the flow queues' counter pool: %s",
                       ad->name, err.message != NULL ? err.message : "?");
        return ret;
    }
    if (cp->n_dirty == 0)
        return 0;
    emunic_async_drain_locked(ad);
    if (!emunic_adapter_alive(ad))
        return -EIO;
    while (first < cp->n_dirty) {
        unsigned posted = 0, reaped = 0;

        while (first < cp->n_dirty && posted < RTE_DIM(c) &&
               fw_chan_space(ad->chan) > 0) {
            uint32_t n = cp->n_dirty - first;

            if (n > FW_COUNTER_QUERY_MAX)
                n = FW_COUNTER_QUERY_MAX;
            memset(&in, 0, sizeof(in));
            in.n = n;
            in.flags = FW_COUNTER_Q_CLEAR;
            memcpy(in.ids, &cp->dirty[first], n * sizeof(uint32_t));
            /* the values are not wanted: every command writes the same
             * scratch output; the cookie is where its ids start */
            ret = fw_chan_post(ad->chan, FW_CMD_COUNTER_QUERY, &in,
                               offsetof(struct fw_counter_query_in, ids) +
                               n * sizeof(uint32_t), &qout,
                               sizeof(qout.hdr) + n * sizeof(qout.values[0]),
                               (void *)(uintptr_t)first);
            if (ret < 0)
                break;
            first += n;
            posted++;
        }
        ret = posted > 0 ? fw_chan_doorbell(ad->chan) : -EPIPE;
        while (ret == 0 && reaped < posted) {
            int n = fw_chan_reap(ad->chan, c, posted - reaped,
                                 EMUNIC_CMD_TIMEOUT_MS);

            if (n < 0) {
                ret = n;
                break;
            }
            for (int k = 0; k < n; k++) {
                uint32_t at = (uint32_t)(uintptr_t)c[k].cookie;
                uint32_t end = at + FW_COUNTER_QUERY_MAX < cp->n_dirty ?
                               at + FW_COUNTER_QUERY_MAX : cp->n_dirty;

                /* a refused clear (e.g. an injected fault) leaves ids we
                 * cannot trust to be zero: they are not handed out again */
                if (c[k].status != FW_STATUS_OK)
                    continue;
                for (uint32_t i = at; i < end; i++)
                    cp->free_ids[cp->n_free++] = cp->dirty[i];
            }
            reaped += (unsigned)n;
        }
        if (ret < 0) {
            emunic_adapter_fail_locked(ad, ret);
            cp->n_dirty = 0;
            return ret;
        }
    }
    cp->n_dirty = 0;
    return 0;
}
