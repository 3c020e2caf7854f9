/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The desired state and everything that follows it. The flow table is the
 * truth; three listeners follow its changes: the software datapath (every
 * flow, always: it is the fallback and the reference), the offload
 * manager (what goes to hardware) and the journal (what survives a
 * restart). A batch of mods is one flow-table transaction: its changes go
 * to the journal's queue and are staged for the other two listeners; then
 * the journal writes and fdatasyncs them as one frame. Only if that worked
 * are the staged changes delivered to the offload manager and the
 * datapath and the transaction kept (in that order: the offload manager
 * reads a removed flow's match from its node, which the transaction
 * frees); if a mod is refused or the journal cannot take
 * the batch (a full disk), the transaction is rolled back and its records
 * dropped, so nothing of the batch is live, in the journal or anywhere
 * else. Then the commit: offload manager first, datapath second. The
 * datapath already holds
 * every older flow, so a flow that leaves hardware in this commit is
 * handled by software at once; the order protects the mark table: it is
 * republished by the offload commit before the datapath commit starts the
 * grace period of deleted flows' counter slots (snicd_marks.c). At
 * start-up the offload manager is held (d->offload_held) while the
 * journal is replayed and the datapath published: the mark table then
 * holds only held marks, which name no counter slot.
 *
 * Counters: the datapath counts what software classified, the hardware
 * what its rules matched; a flow's total is their sum. The hardware
 * counts of a flow are banked here when its rule is re-created (a resync
 * restarts the rule's counter at 0) so totals never go backwards.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snic_hash.h"
#include "snicd.h"
#include "snicd_heap.h"

struct snicd_hwctr {
    struct snic_hmap_node node; /* in snicd.hwctr, hash of id */
    uint64_t id;
    uint64_t last_packets, last_bytes;  /* as the hardware last said */
    uint64_t bank_packets, bank_bytes;  /* from rules that are gone */
};

/* ---- hardware counter bank: by flow id ---- */

static uint64_t
hw_hash(uint64_t id)
{
    return snic_hash_u64(id, SNIC_HASH_BASIS);
}

static struct snicd_hwctr *
hw_find(const struct snicd *d, uint64_t id)
{
    struct snicd_hwctr *e;

    SNIC_HMAP_FOR_EACH_WITH_HASH(e, node, hw_hash(id), &d->hwctr)
        if (e->id == id)
            return e;
    return NULL;
}

static struct snicd_hwctr *
hw_insert(struct snicd *d, uint64_t id)
{
    struct snicd_hwctr *e = hw_find(d, id);

    if (e != NULL)
        return e;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->id = id;
    snic_hmap_insert(&d->hwctr, &e->node, hw_hash(id));
    return e;
}

static void
hw_remove(struct snicd *d, uint64_t id)
{
    struct snicd_hwctr *e = hw_find(d, id);

    if (e == NULL)
        return;
    snic_hmap_remove(&d->hwctr, &e->node);
    free(e);
}

static void
hw_clear(struct snicd *d)
{
    struct snicd_hwctr *e;

    SNIC_HMAP_FOR_EACH_SAFE(e, node, &d->hwctr)
        free(e);
    snic_hmap_fini(&d->hwctr);
}

/* Whole tables were emptied: the banked counts of the flows that are
 * gone go (every one for every table; else those the table lost). */
static void
hw_cleared(struct snicd *d, unsigned table_id)
{
    struct snicd_hwctr *e;

    if (table_id == FLOW_TABLE_ALL && flow_table_count(d->table,
                                                       FLOW_TABLE_ALL) == 0) {
        hw_clear(d);
        snic_hmap_init(&d->hwctr);
        return;
    }
    SNIC_HMAP_FOR_EACH_SAFE(e, node, &d->hwctr)
        if (flow_table_find(d->table, e->id) == NULL) {
            snic_hmap_remove(&d->hwctr, &e->node);
            free(e);
        }
}

/* ---- the listener ---- */

/* A flow the held offload manager will hear of at its release: its id,
 * in order. false: no memory (the caller tells the manager now). */
static bool
offload_hold(struct snicd *d, uint64_t id)
{
    if (d->n_offload_ids == d->cap_offload_ids) {
        size_t cap = d->cap_offload_ids ? d->cap_offload_ids * 2 : 4096;
        uint64_t *v = realloc(d->offload_ids, cap * sizeof(*v));

        if (v == NULL)
            return false;
        d->offload_ids = v;
        d->cap_offload_ids = cap;
    }
    d->offload_ids[d->n_offload_ids++] = id;
    return true;
}

/* The held flows to the offload manager, as added, in their order (each
 * as it is now; one removed since is not there). */
static void
offload_tell_held(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    for (size_t i = 0; i < d->n_offload_ids && d->offload != NULL; i++) {
        const struct flow_entry *e = flow_table_find(d->table,
                                                     d->offload_ids[i]);

        /* the manager's records resident a heap step at a time, as a
         * batch's and the replay's are (snicd_heap.h): a restart's
         * 100,000 records took a page fault a page */
        if ((i & 1023) == 1023)
            snicd_heap_populate();
        if (e != NULL)
            snicd_offload_flow_changed(d->offload, FLOW_CHANGE_ADDED, e,
                                       FLOW_REMOVED_NONE);
    }
    free(d->offload_ids);
    d->offload_ids = NULL;
    d->n_offload_ids = d->cap_offload_ids = 0;
}

static void
deliver(struct snicd *d, enum flow_change_kind kind,
        const struct flow_entry *e, enum flow_removed_reason reason)
    SNIC_REQUIRES(snic_control)
{
    /* held: the manager may not exist yet (the journal is replayed
     * beside the EAL, snicd_main.c) */
    bool tell_offload = d->offload != NULL || d->offload_held;

    dp_flow_table_listener(d->dp, kind, e, reason);
    d->uncommitted++;
    if (kind == FLOW_CHANGE_ADDED || kind == FLOW_CHANGE_MODIFIED) {
        /* the flow's counter slot, kept with it (snicd_core_flow_counts);
         * 0: the datapath does not have it (its put failed) */
        int64_t slot = dp_flow_slot(d->dp, e->id);

        flow_table_set_aux(d->table, e, slot >= 0 ? (uint32_t)slot + 1 : 0);
    }
    /* Held at start-up (the manager knows no flow yet): the software
     * path waits for nothing of the manager's; what it hears at release
     * is each flow as it is then, so a flow modified or removed since it
     * came needs no word now. Ids are never reused: an addition is new. */
    if (tell_offload && d->offload_held && !d->offload_direct) {
        if (kind != FLOW_CHANGE_ADDED || offload_hold(d, e->id)) {
            tell_offload = false;
        } else if (d->offload == NULL) {
            /* nobody to tell yet: the start fails at its first commit
             * rather than leave the flow out of the hardware */
            tell_offload = false;
            d->journal_err = -ENOMEM;
        } else {
            /* no memory for the list: what it holds now, then this flow
             * and the rest as they come */
            offload_tell_held(d);
            d->offload_direct = true;
        }
    }
    if (tell_offload)
        snicd_offload_flow_changed(d->offload, kind, e, reason);
    if (kind == FLOW_CHANGE_REMOVED)
        hw_remove(d, e->id);
    if (kind == FLOW_CHANGE_CLEARED)
        hw_cleared(d, e->flow.table_id);
}

/* During a batch the datapath and the offload manager hear nothing until
 * the journal has the batch: only the flow's id and what happened first
 * to it are kept (ids are never reused, so ADDED first means new). A
 * clear keeps its table in place of an id. */
static void
stage(struct snicd *d, enum flow_change_kind kind, const struct flow_entry *e,
      enum flow_removed_reason reason)
{
    if (d->n_staged == d->cap_staged) {
        size_t cap = d->cap_staged ? d->cap_staged * 2 : 1024;
        struct snicd_staged *v = realloc(d->staged, cap * sizeof(*v));

        if (v == NULL) {
            d->stage_err = -ENOMEM;
            return;
        }
        d->staged = v;
        d->cap_staged = cap;
    }
    d->staged[d->n_staged] = (struct snicd_staged){
        .id = e->id, .seq = d->n_staged, .kind = (uint8_t)kind,
        .reason = (uint8_t)reason };
    d->n_staged++;
}

static int
staged_order(const void *pa, const void *pb)
{
    const struct snicd_staged *a = pa, *b = pb;

    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Are @n changes in staged_order() already? A batch of adds is: new
 * flows take rising ids in the order they come (#13: the sort was 5% of
 * an add-flows' instructions for nothing). */
static bool
staged_sorted(const struct snicd_staged *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (staged_order(&v[i - 1], &v[i]) > 0)
            return false;
    return true;
}

/* The net effect of changes [@lo, @hi) on each flow they touched, in id
 * order (new flows in the order they were added). */
static void
deliver_range(struct snicd *d, size_t lo, size_t hi)
    SNIC_REQUIRES(snic_control)
{
    /* seq makes the order total: sorted or not, the same sequence */
    if (hi - lo > 1 && !staged_sorted(d->staged + lo, hi - lo))
        qsort(d->staged + lo, hi - lo, sizeof(*d->staged), staged_order);
    for (size_t i = lo; i < hi; ) {
        const struct snicd_staged *first = &d->staged[i];
        const struct flow_entry *e = flow_table_find(d->table, first->id);
        bool existed = first->kind != FLOW_CHANGE_ADDED;
        size_t k = i;

        while (k + 1 < hi && d->staged[k + 1].id == first->id)
            k++;
        if (e != NULL) {
            deliver(d, existed ? FLOW_CHANGE_MODIFIED : FLOW_CHANGE_ADDED, e,
                    FLOW_REMOVED_NONE);
        } else if (existed) {
            /* the listeners know the flow by its id */
            static const struct flow_entry zero;
            struct flow_entry gone = zero;

            gone.id = first->id;
            deliver(d, FLOW_CHANGE_REMOVED, &gone,
                    (enum flow_removed_reason)d->staged[k].reason);
        }
        i = k + 1;
    }
}

/* The batch, in the order of its clears: the changes before a clear (net
 * effect: a flow the clear took is removed, or was never known), the
 * clear, and so on. Each flow is found as it is now, after the batch. */
static void
deliver_staged(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    size_t lo = 0;

    for (size_t i = 0; i < d->n_staged; i++) {
        static const struct flow_entry zero;
        struct flow_entry cleared;

        if (d->staged[i].kind != FLOW_CHANGE_CLEARED)
            continue;
        deliver_range(d, lo, i);
        cleared = zero;
        cleared.flow.table_id = (uint8_t)d->staged[i].id;
        deliver(d, FLOW_CHANGE_CLEARED, &cleared, FLOW_REMOVED_DELETE);
        lo = i + 1;
    }
    deliver_range(d, lo, d->n_staged);
    d->n_staged = 0;
    /* a bulk load's list (16 bytes a flow) is not kept for the next
     * batch (#13) */
    if (d->cap_staged > 65536) {
        free(d->staged);
        d->staged = NULL;
        d->cap_staged = 0;
    }
}

static void
on_change(void *ctx, enum flow_change_kind kind, const struct flow_entry *e,
          enum flow_removed_reason reason)
    SNIC_REQUIRES(snic_control)
{
    struct snicd *d = ctx;
    uint64_t removals = flow_table_removals(d->table);

    /* a node that moved (a modify outgrew it): the offload manager reads
     * the entry in place, so it follows the node now, even while the
     * change waits in the batch (and if the batch is rolled back, the
     * node stays where it went) */
    if (kind == FLOW_CHANGE_MODIFIED && removals != d->ft_removals
        && d->offload != NULL)
        snicd_offload_flow_moved(d->offload, e);
    d->ft_removals = removals;
    if (d->staging && kind == FLOW_CHANGE_CLEARED) {
        static const struct flow_entry zero;
        struct flow_entry key = zero;   /* staged by its table */

        key.id = e->flow.table_id;
        stage(d, kind, &key, reason);
    } else if (d->staging) {
        stage(d, kind, e, reason);
    } else {
        deliver(d, kind, e, reason);
    }
    /* whole tables: the journal is written as the table after the batch
     * (snicd_journal_rewrite), not a record per flow */
    if (kind == FLOW_CHANGE_CLEARED) {
        if (d->journal != NULL && !d->replaying)
            d->journal_rewrite = true;
        return;
    }
    /* a flush is the daemon stopping: the flows stay desired */
    if (d->journal != NULL && !d->replaying
        && reason != FLOW_REMOVED_FLUSH) {
        struct flow f;
        int rc;

        flow_entry_flow(e, &f);
        rc = snicd_journal_record(d->journal, kind != FLOW_CHANGE_REMOVED,
                                  &f);
        if (rc < 0 && d->journal_err == 0)
            d->journal_err = rc;
    }
}

/* What was queued into the file: appended as one frame, or, after whole
 * tables were emptied, the file rewritten as the table now is. */
static int
journal_flush(struct snicd *d)
{
    int rc;

    if (!d->journal_rewrite)
        return snicd_journal_sync(d->journal);
    rc = snicd_journal_rewrite(d->journal, d->table);
    if (rc == 0)
        d->journal_rewrite = false;
    return rc;
}

int
snicd_core_init(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    d->start_ns = snic_now_ns();
    d->local_ethdev = UINT16_MAX;
    d->dp = dp_create(NULL, NULL);
    if (d->dp == NULL)
        return -errno;
    d->table = flow_table_create(on_change, d);
    /* learn(limit=N) decided by the workers, counted in this table */
    if (d->table == NULL || dp_set_learn_table(d->dp, d->table) < 0) {
        flow_table_destroy(d->table);
        d->table = NULL;
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
    SNIC_REQUIRES(snic_control)
{
    struct snicd_journal *j = d->journal;

    /* the flows stay desired: nothing of the flush reaches the journal */
    d->journal = NULL;
    snicd_journal_close(j);
    /* the rules stay in the card as they are (the PMD decides at close:
     * net_emunic's keep_rules=1 leaves them for the next snicd to adopt,
     * so a restart does not interrupt offloaded traffic) */
    if (d->offload != NULL)
        snicd_offload_leave(d->offload);
    d->offload = NULL;
    if (d->dp != NULL)
        dp_set_learn_table(d->dp, NULL);    /* it counts in no table now */
    flow_table_destroy(d->table);
    d->table = NULL;
    if (d->dp != NULL) {
        dp_commit(d->dp);
        snicd_marks_publish(d, NULL);
        dp_destroy(d->dp);
        d->dp = NULL;
    }
    free(d->staged);
    d->staged = NULL;
    d->n_staged = d->cap_staged = 0;
    free(d->mods_buf);
    d->mods_buf = NULL;
    d->mods_cap = 0;
    free(d->held);
    d->held = NULL;
    d->n_held = 0;
    free(d->offload_ids);
    d->offload_ids = NULL;
    d->n_offload_ids = d->cap_offload_ids = 0;
    hw_clear(d);
}

int
snicd_core_commit(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    /* at start-up the software datapath goes first (snicd_main.c) */
    bool offload = d->offload != NULL && !d->offload_held;
    int rc;
    int rc2 = 0;

    /* The software datapath's publish, the offload manager's placement
     * and the card's work on the rules overlap: a large batch publishes
     * on a thread of its own (snicd_publish.c) while the manager places
     * and the card creates; the manager settles the card's results
     * last (#13). */
    snicd_publish_begin(d, offload);
    if (offload) {
        int n;

        (void)snicd_offload_commit_start(d->offload);
        n = snicd_offload_commit_finish(d->offload);
        if (n < 0)
            snicd_log(SNICD_LOG_WARN, "offload commit: %s (flows stay in "
                      "software until the device is back)", strerror(-n));
        if (n == -EIO)
            d->dev_suspect = true;
    }
    rc = snicd_publish_end(d);
    if (rc < 0)
        snicd_log(SNICD_LOG_ERR, "datapath commit: %s", strerror(-rc));
    dp_poll(d->dp);
    if (d->journal != NULL) {
        if (d->journal_err < 0) {
            /* A change outside a batch (an expiry, a learned flow) whose
             * record could not be queued: it is applied already, so the
             * file is rewritten from the table rather than left without
             * it (an expired flow would come back at the next start). */
            snicd_log(SNICD_LOG_ERR, "journal %s: a record: %s (the file "
                      "is rewritten from the table)",
                      snicd_journal_path(d->journal),
                      strerror(-d->journal_err));
            d->journal_rewrite = true;
            d->journal_err = 0;
        }
        rc2 = journal_flush(d);
        if (rc2 < 0)
            snicd_log(SNICD_LOG_ERR, "journal %s: %s",
                      snicd_journal_path(d->journal), strerror(-rc2));
        else if (!d->offload_held && snicd_journal_wants_compaction(
                     d->journal, flow_table_count(d->table, FLOW_TABLE_ALL))) {
            /* (not in a start-up's first commit: a rewrite of the whole
             * file would delay the software path; the next commit does
             * it) */
            rc2 = snicd_journal_compact(d->journal, d->table);
            if (rc2 < 0)
                snicd_log(SNICD_LOG_WARN, "journal compaction: %s (the "
                          "old file stays in use)", strerror(-rc2));
            rc2 = 0;
        }
    }
    return rc < 0 ? rc : rc2;
}

void
snicd_core_offload_release(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    d->offload_held = false;
    offload_tell_held(d);
    d->offload_direct = false;
}

int
snicd_core_batch_begin(struct snicd *d)
{
    int rc = flow_table_begin(d->table);

    if (rc < 0)
        return rc;
    d->batch_mark = d->journal != NULL ? snicd_journal_mark(d->journal) : 0;
    d->batch_now = snic_now_ns();
    d->batch_count = flow_table_count(d->table, FLOW_TABLE_ALL);
    snicd_heap_populate();
    d->staging = true;
    d->n_staged = 0;
    d->stage_err = 0;
    d->journal_err = 0;
    return 0;
}

void
snicd_core_batch_abort(struct snicd *d)
{
    if (!d->staging)
        return;
    flow_table_rollback(d->table);
    d->staging = false;
    d->n_staged = 0;
    d->stage_err = 0;
    if (d->journal != NULL)
        snicd_journal_discard(d->journal, d->batch_mark);
    d->journal_err = 0;
    d->journal_rewrite = false;
}

int
snicd_core_batch_add(struct snicd *d, const struct flow_mod *mods, size_t n,
                     size_t *failed)
{
    int total = 0;

    for (size_t i = 0; i < n; i++) {
        int rc = flow_table_apply(d->table, &mods[i], d->batch_now);

        if (rc < 0) {
            if (failed != NULL)
                *failed = i;
            snicd_core_batch_abort(d);
            return rc;
        }
        total += rc;
    }
    return total;
}

int
snicd_core_batch_end(struct snicd *d, size_t n_mods)
    SNIC_REQUIRES(snic_control)
{
    int rc = d->stage_err < 0 ? d->stage_err : d->journal_err;
    size_t count;

    if (rc == 0 && d->journal != NULL) {
        rc = journal_flush(d);
        if (rc < 0)
            snicd_log(SNICD_LOG_ERR, "journal %s: %s (a batch of %zu mods "
                      "was not applied)", snicd_journal_path(d->journal),
                      strerror(-rc), n_mods);
    }
    if (rc < 0) {
        snicd_core_batch_abort(d);
        return rc;
    }
    d->staging = false;
    /* what the heap kept of the batch (snicd_core_heap_trim): a batch
     * that shrinks the table counts nothing; one that grows it, its
     * changes or its growth, whichever is more (a CLEARED change is one
     * staged change for a whole table) */
    count = flow_table_count(d->table, FLOW_TABLE_ALL);
    if (count >= d->batch_count) {
        count -= d->batch_count;
        d->heap_churn += count > d->n_staged ? count : d->n_staged;
    }
    /* the heap grew with the table's nodes, and will with the
     * datapath's and the offload manager's records: its new steps
     * resident before they are written (snicd_heap.h) */
    snicd_heap_populate();
    deliver_staged(d);
    /* after the delivery: the removed nodes the transaction keeps are
     * what the offload manager reads of the flows it forgets */
    flow_table_commit(d->table);
    snicd_heap_populate();
    /* journaled: the batch is the desired state now, whatever the commit
     * below meets (it logs; the device and datapath paths retry) */
    snicd_core_commit(d);
    snicd_heap_populate();
    return 0;
}

/*
 * A bulk change leaves most of its transient memory free inside the heap,
 * below the records it allocated and kept: a request's parsed JSON (about
 * 115 bytes a line, every chunk of an add-flows transaction held until its
 * commit), the parsed mods, the undo and staged lists. glibc gives back
 * only a free top of the heap, so that memory stays resident, reused only
 * by later allocations: after a load of 900,000 flows 130-160 MB of
 * snicd's VmRSS was heap that nothing used (#13, docs/benchmarks.md
 * "Memory per flow, session 17"). malloc_trim() hands the free pages
 * inside the heap back too (MADV_DONTNEED). It costs a walk of the free
 * chunks and the page faults of their next use (6-22 ms of CPU after
 * loads of 100,000 and 900,000 flows), so it runs only after changes of
 * SNICD_HEAP_TRIM_CHURN flows or a quarter of the table, whichever is
 * more: in a stream of small batches at 1,000,000 flows, one trim every
 * 250,000 changes, under 0.1 us a change. A batch that shrinks the
 * table does not count: what its deletes freed is the records' own
 * memory, which the next adds take again, and giving it back would make
 * them pay a page fault a page for it (docs/snicd.md, snicd_heap.h:
 * what a fault costs here); the holes left by the transient memory of
 * the adds and modifies that follow are trimmed with theirs.
 */
#define SNICD_HEAP_TRIM_CHURN 65536u

void
snicd_core_heap_trim(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    if (d->staging || d->heap_churn < SNICD_HEAP_TRIM_CHURN
        || d->heap_churn < flow_table_count(d->table, FLOW_TABLE_ALL) / 4)
        return;
    d->heap_churn = 0;
    (void)malloc_trim(0);
}

int
snicd_core_apply(struct snicd *d, const struct flow_mod *mods, size_t n,
                 size_t *failed)
    SNIC_REQUIRES(snic_control)
{
    int total, rc = snicd_core_batch_begin(d);

    if (rc < 0)
        return rc;
    total = snicd_core_batch_add(d, mods, n, failed);
    if (total < 0)
        return total;
    /* from here a failure is the batch's as a whole: *failed = n */
    rc = snicd_core_batch_end(d, n);
    if (rc < 0 && failed != NULL)
        *failed = n;
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

/* Timed flows per slice: a few milliseconds of work at most, so a
 * request waits no longer than that behind a pass. */
#define REFRESH_SLICE   8192u

void
snicd_core_flow_counts(void *ctx, const struct flow_entry *e,
                       uint64_t *n_packets, uint64_t *n_bytes)
{
    struct snicd *d = ctx;
    const struct snicd_hwctr *h = hw_find(d, e->id);
    uint64_t p = 0, b = 0;

    /* by the slot deliver() noted: a lookup by id for each of a million
     * flows was half of a dump's cost */
    if (e->flow.aux != 0)
        dp_slot_stats(d->dp, e->flow.aux - 1, &p, &b);
    if (h != NULL) {
        p += h->bank_packets + h->last_packets;
        b += h->bank_bytes + h->last_bytes;
    }
    *n_packets = p;
    *n_bytes = b;
}

void
snicd_core_read_hw(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    bool moved_only = false;
    int rc;

    if (d->offload == NULL)
        return;
    /* NORMAL's conversation rules first: what they counted goes to their
     * flows (and touches them), so this read reports it with the flows'
     * own, not a second later */
    snicd_normal_revalidate(d, true);
    /* on net_emunic only the flows whose counters moved are reported
     * (snicd_offload_counters.c): an idle table costs one call */
    rc = snicd_offload_read_counters(d->offload, hw_stats_cb, d, &moved_only);
    if (rc < 0)
        snicd_log(SNICD_LOG_DEBUG, "hardware counters: %s", strerror(-rc));
    else if (moved_only)
        d->hw_reads_moved++;
    else
        d->hw_reads_full++;
}

void
snicd_core_refresh_begin(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    if (d->offload != NULL) {
        int rc = snicd_offload_retry_failed(d->offload);

        if (rc > 0)
            snicd_log(SNICD_LOG_INFO, "retried flows whose rule creation "
                      "failed: %d rule operations", rc);
    }
    snicd_core_read_hw(d);
    d->refresh_cursor = 0;
    d->refresh_active = true;
}

bool
snicd_core_refresh_step(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    uint64_t now;

    if (!d->refresh_active)
        return false;
    now = snic_now_ns();
    flow_table_refresh_timed(d->table, &d->refresh_cursor, REFRESH_SLICE,
                             snicd_core_flow_counts, d, now);
    if (d->refresh_cursor < flow_table_count_timed(d->table))
        return true;
    d->refresh_active = false;
    if (flow_table_next_expiry(d->table) <= now
        && flow_table_expire(d->table, now, NULL, 0) > 0)
        snicd_core_commit(d);
    dp_poll(d->dp);
    return false;
}

void
snicd_core_refresh(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    snicd_core_refresh_begin(d);
    while (snicd_core_refresh_step(d))
        ;
}
