/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The desired state and everything that follows it. The flow table is the
 * truth; three listeners follow its changes: the software datapath (every
 * flow, always: it is the fallback and the reference), the offload
 * manager (what goes to hardware) and the journal (what survives a
 * restart). A batch of mods is applied to the table, then committed once:
 * offload manager first, datapath second, journal last (fsync: the batch
 * is acknowledged only once it is durable). The datapath already holds
 * every older flow, so a flow that leaves hardware in this commit is
 * handled by software at once; the order protects the mark table: it is
 * republished by the offload commit before the datapath commit starts the
 * grace period of deleted flows' counter slots (snicd_marks.c).
 *
 * Counters: the datapath counts what software classified, the hardware
 * what its rules matched; a flow's total is their sum. The hardware
 * counts of a flow are banked here when its rule is re-created (a resync
 * restarts the rule's counter at 0) so totals never go backwards.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snicd.h"

struct snicd_hwctr {
    uint64_t id;            /* 0: empty */
    uint64_t last_packets, last_bytes;  /* as the hardware last said */
    uint64_t bank_packets, bank_bytes;  /* from rules that are gone */
};

uint64_t
snicd_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- hardware counter bank: open addressing, backward-shift delete ---- */

static size_t
hw_index(const struct snicd *d, uint64_t id)
{
    uint64_t h = id * 0x9e3779b97f4a7c15ull;

    return (size_t)(h >> 17) & (d->hwctr_cap - 1);
}

static struct snicd_hwctr *
hw_find(const struct snicd *d, uint64_t id)
{
    if (d->hwctr_cap == 0)
        return NULL;
    for (size_t i = hw_index(d, id); ; i = (i + 1) & (d->hwctr_cap - 1)) {
        if (d->hwctr[i].id == id)
            return &d->hwctr[i];
        if (d->hwctr[i].id == 0)
            return NULL;
    }
}

static struct snicd_hwctr *
hw_insert(struct snicd *d, uint64_t id)
{
    struct snicd_hwctr *e = hw_find(d, id);
    size_t i;

    if (e != NULL)
        return e;
    if (2 * (d->hwctr_n + 1) > d->hwctr_cap) {
        size_t cap = d->hwctr_cap ? d->hwctr_cap * 2 : 1024;
        struct snicd_hwctr *old = d->hwctr;
        size_t old_cap = d->hwctr_cap;

        d->hwctr = calloc(cap, sizeof(*d->hwctr));
        if (d->hwctr == NULL) {
            d->hwctr = old;
            return NULL;
        }
        d->hwctr_cap = cap;
        for (size_t k = 0; k < old_cap; k++) {
            if (old[k].id == 0)
                continue;
            for (i = hw_index(d, old[k].id); d->hwctr[i].id != 0;
                 i = (i + 1) & (cap - 1))
                continue;
            d->hwctr[i] = old[k];
        }
        free(old);
    }
    for (i = hw_index(d, id); d->hwctr[i].id != 0;
         i = (i + 1) & (d->hwctr_cap - 1))
        continue;
    d->hwctr[i] = (struct snicd_hwctr){ .id = id };
    d->hwctr_n++;
    return &d->hwctr[i];
}

static void
hw_remove(struct snicd *d, uint64_t id)
{
    struct snicd_hwctr *e = hw_find(d, id);
    size_t mask = d->hwctr_cap - 1, hole, i;

    if (e == NULL)
        return;
    hole = (size_t)(e - d->hwctr);
    d->hwctr[hole].id = 0;
    d->hwctr_n--;
    /* move later members of the probe run into the hole when allowed */
    for (i = (hole + 1) & mask; d->hwctr[i].id != 0; i = (i + 1) & mask) {
        size_t home = hw_index(d, d->hwctr[i].id);

        if (((i - home) & mask) >= ((i - hole) & mask)) {
            d->hwctr[hole] = d->hwctr[i];
            d->hwctr[i].id = 0;
            hole = i;
        }
    }
}

/* ---- the listener ---- */

static void
on_change(void *ctx, enum flow_change_kind kind, const struct flow_entry *e,
          enum flow_removed_reason reason)
{
    struct snicd *d = ctx;

    dp_flow_table_listener(d->dp, kind, e, reason);
    if (d->offload != NULL)
        snicd_offload_flow_changed(d->offload, kind, e, reason);
    if (kind == FLOW_CHANGE_REMOVED)
        hw_remove(d, e->id);
    /* a flush is the daemon stopping: the flows stay desired */
    if (d->journal != NULL && !d->replaying
        && reason != FLOW_REMOVED_FLUSH) {
        int rc = snicd_journal_record(d->journal,
                                      kind != FLOW_CHANGE_REMOVED, &e->flow);

        if (rc < 0 && d->journal_err == 0)
            d->journal_err = rc;
    }
}

int
snicd_core_init(struct snicd *d)
{
    d->start_ns = snicd_now_ns();
    d->dp = dp_create(NULL, NULL);
    if (d->dp == NULL)
        return -errno;
    d->table = flow_table_create(on_change, d);
    if (d->table == NULL) {
        dp_destroy(d->dp);
        d->dp = NULL;
        return -ENOMEM;
    }
    snicd_ports_flow_map(&d->ports, &d->portmap);
    return 0;
}

void
snicd_core_ports_ready(struct snicd *d)
{
    snicd_ports_flow_map(&d->ports, &d->portmap);
}

void
snicd_core_fini(struct snicd *d)
{
    struct snicd_journal *j = d->journal;

    /* the flows stay desired: nothing of the flush reaches the journal */
    d->journal = NULL;
    snicd_journal_close(j);
    /* the offload manager destroys every rule it made */
    if (d->offload != NULL)
        snicd_offload_destroy(d->offload);
    d->offload = NULL;
    flow_table_destroy(d->table);
    d->table = NULL;
    if (d->dp != NULL) {
        dp_commit(d->dp);
        snicd_marks_publish(d, NULL);
        dp_destroy(d->dp);
        d->dp = NULL;
    }
    free(d->hwctr);
    d->hwctr = NULL;
    d->hwctr_cap = d->hwctr_n = 0;
}

int
snicd_core_commit(struct snicd *d)
{
    int rc;
    int rc2 = 0;

    if (d->offload != NULL) {
        int n = snicd_offload_commit(d->offload);

        if (n < 0)
            snicd_log(SNICD_LOG_WARN, "offload commit: %s (flows stay in "
                      "software until the device is back)", strerror(-n));
        if (n == -EIO)
            d->dev_suspect = true;
    }
    rc = dp_commit(d->dp);
    if (rc < 0)
        snicd_log(SNICD_LOG_ERR, "datapath commit: %s", strerror(-rc));
    dp_poll(d->dp);
    if (d->journal != NULL) {
        rc2 = d->journal_err;
        d->journal_err = 0;
        if (rc2 == 0)
            rc2 = snicd_journal_sync(d->journal);
        if (rc2 < 0)
            snicd_log(SNICD_LOG_ERR, "journal %s: %s",
                      snicd_journal_path(d->journal), strerror(-rc2));
        else if (snicd_journal_wants_compaction(
                     d->journal, flow_table_count(d->table, FLOW_TABLE_ALL))) {
            rc2 = snicd_journal_compact(d->journal, d->table);
            if (rc2 < 0)
                snicd_log(SNICD_LOG_WARN, "journal compaction: %s (the "
                          "old file stays in use)", strerror(-rc2));
            rc2 = 0;
        }
    }
    return rc < 0 ? rc : rc2;
}

int
snicd_core_apply(struct snicd *d, const struct flow_mod *mods, size_t n,
                 size_t *failed)
{
    uint64_t now = snicd_now_ns();
    int total = 0, rc = 0;

    for (size_t i = 0; i < n; i++) {
        rc = flow_table_apply(d->table, &mods[i], now);
        if (rc < 0) {
            if (failed != NULL)
                *failed = i;
            break;
        }
        total += rc;
    }
    /* what was applied is committed even when a later mod was refused */
    if (total > 0 || rc >= 0) {
        int crc = snicd_core_commit(d);

        if (rc >= 0 && crc < 0)
            rc = crc;
    }
    return rc < 0 ? rc : total;
}

enum snicd_where
snicd_core_where(const struct snicd *d, uint64_t id, const char **reason)
{
    if (d->offload == NULL) {
        *reason = "offload disabled";
        return SNICD_WHERE_SW;
    }
    return snicd_offload_where(d->offload, id, reason);
}

/* ---- counters and timeouts ---- */

static void
hw_stats_cb(void *ctx, uint64_t id, uint64_t n_packets, uint64_t n_bytes)
{
    struct snicd *d = ctx;
    struct snicd_hwctr *e = hw_insert(d, id);

    if (e == NULL)
        return;
    if (n_packets < e->last_packets || n_bytes < e->last_bytes) {
        /* a new rule (resync, re-placement): keep the old rule's counts */
        e->bank_packets += e->last_packets;
        e->bank_bytes += e->last_bytes;
    }
    e->last_packets = n_packets;
    e->last_bytes = n_bytes;
}

struct id_list {
    uint64_t *v;
    size_t n;
};

static int
collect_id(void *ctx, const struct flow_entry *e)
{
    struct id_list *l = ctx;

    l->v[l->n++] = e->id;
    return 0;
}

void
snicd_core_refresh(struct snicd *d)
{
    size_t n_flows = flow_table_count(d->table, FLOW_TABLE_ALL);
    struct id_list ids = { .v = malloc((n_flows + 1) * sizeof(uint64_t)) };
    uint64_t now;

    if (d->offload != NULL) {
        int rc = snicd_offload_retry_failed(d->offload);

        if (rc > 0)
            snicd_log(SNICD_LOG_INFO, "retried flows whose rule creation "
                      "failed: %d rule operations", rc);
        rc = snicd_offload_read_counters(d->offload, hw_stats_cb, d);

        if (rc < 0)
            snicd_log(SNICD_LOG_DEBUG, "hardware counters: %s",
                      strerror(-rc));
    }
    now = snicd_now_ns();
    if (ids.v != NULL && flow_table_walk(d->table, FLOW_TABLE_ALL,
                                         collect_id, &ids) == 0) {
        for (size_t i = 0; i < ids.n; i++) {
            uint64_t p = 0, b = 0;
            const struct snicd_hwctr *h = hw_find(d, ids.v[i]);

            dp_flow_stats(d->dp, ids.v[i], &p, &b);
            if (h != NULL) {
                p += h->bank_packets + h->last_packets;
                b += h->bank_bytes + h->last_bytes;
            }
            flow_table_set_stats(d->table, ids.v[i], p, b, now);
        }
    }
    free(ids.v);
    if (flow_table_next_expiry(d->table) <= now
        && flow_table_expire(d->table, now, NULL, 0) > 0)
        snicd_core_commit(d);
    dp_poll(d->dp);
}
