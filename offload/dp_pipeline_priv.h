/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The datapath's own objects (struct dp, struct dp_worker), shared by the
 * control side (dp_pipeline.c: workers, flow slots, counters) and the
 * packet path (dp_path.c). Private to them.
 */
#ifndef SNIC_DP_PIPELINE_PRIV_H
#define SNIC_DP_PIPELINE_PRIV_H

#include "dp_ct_priv.h"

#define CHUNK_SHIFT     12
#define CHUNK_SLOTS     (1u << CHUNK_SHIFT)
#define MAX_CHUNKS      1024u                   /* 4M flows */
#define EMC_ENTRIES     8192u                   /* per worker, 2-way */

struct counter {
    uint64_t packets;
    uint64_t bytes;
};

/* Only tables that never match the pipeline metadata have a cache in
 * front (dp_cls_snap_emc_exact()), so it keys on the packet's own words:
 * those the table looks at (struct dp_cache_key), which belong to the
 * snapshot the entry was filled from. */
struct emc_entry {
    uint64_t version;       /* snapshot it was filled from; 0: empty */
    uint64_t hash;
    uint64_t key[DP_CACHE_KEY_WORDS];   /* the first ckey.n are the key */
    const struct dp_rule *rule;     /* NULL: a cached miss */
    uint8_t table;
};
_Static_assert(sizeof(struct emc_entry) == 128, "two cache lines");

/* The cache's measured worth for one table (dp_path.c, emc_use()). */
#define EMC_WINDOW      4096u   /* cached lookups per measure */
#define EMC_REST        65536u  /* lookups without the cache after a bad
                                 * window, doubled after each further one
                                 * in a row */
#define EMC_REST_MAX    (16u * EMC_REST)

struct emc_gate {
    uint32_t lookups, hits;     /* in the current window */
    uint32_t rest;              /* lookups left to do without the cache */
    uint32_t rest_next;         /* the next rest's length; 0: EMC_REST */
    /* What lookups cost here, measured: the table's shape said the cache
     * does not pay, but this worker's traffic falls through enough
     * subtables that it does. */
    bool dear;
    uint32_t cold_lookups;      /* lookups without the cache, this window */
    uint64_t cold_words;        /* what they probed */
    uint32_t miss_lookups;      /* cache misses looked up, this window */
    uint64_t miss_words;        /* what they probed */
};

/*
 * The frame cache (dp_path.c, burst_cached()): table 0's answers by the
 * bytes of a frame that struct dp_train compares, before any extraction.
 * Only answers that need nothing of the headers (headerless()) are kept.
 */
#define FC_ENTRIES      4096u                   /* per worker, 2-way */

struct fc_entry {
    uint64_t word[6];       /* struct dp_train's */
    uint64_t version;       /* snapshot it was filled from; 0: empty */
    const struct dp_rule *rule;
    uint32_t in_port;
    uint16_t tcp_word;
    uint8_t ofs;
    bool tcp;
};

struct tunnels {
    size_t n;
    struct dp_vxlan_port ports[];
};

struct dp_worker {
    struct dp *dp;
    struct dp_qsbr_reader *reader;
    struct counter *chunks[MAX_CHUNKS];
    struct dp_worker_stats stats;
    struct dp_sw_env swenv;     /* { &dp->sw, &stats } */
    struct emc_entry emc[EMC_ENTRIES];
    struct emc_gate emc_gate[FLOW_TABLE_MAX + 1];
    struct fc_entry fc[FC_ENTRIES];
    struct emc_gate fc_gate;    /* lookups, hits, rest, rest_next */
    unsigned paths;         /* DP_PATHS_* */
    size_t index;           /* in dp->workers */
    /* a frame's copy for the check run of resubmit loops (dp_path.c);
     * grown on the worker when needed */
    uint8_t *scratch;
    size_t scratch_size;
    /* the flows that check run looked the frame up to, credited when the
     * packet is dropped past the limits (dp_path.c) */
    struct dp_credit *credits;
    size_t n_credits, credits_size;
    /* learned flows on their way to the control thread (dp_learn.c) */
    struct dp_learn_q *learnq;
    /* NORMAL's conversations for the card (dp_conv.c) */
    struct dp_conv_q *convq;
};

/* One lookup of a check run: the flow's counter slot and the frame's
 * length then. */
struct dp_credit {
    uint32_t slot;
    uint32_t len;
};

/* Copy worker counters field by field, each read and written whole
 * (snic_counter.h): the worker restores its own after a check run
 * (dp_path.c), another thread reads a running worker's. Every field of
 * struct dp_worker_stats is a uint64_t counter. */
static inline void
dp_stats_copy(struct dp_worker_stats *dst, const struct dp_worker_stats *src)
{
    _Static_assert(sizeof(*src) % sizeof(uint64_t) == 0,
                   "struct dp_worker_stats holds uint64_t counters only");
    const uint64_t *s = (const uint64_t *)src;
    uint64_t *d = (uint64_t *)dst;

    for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
        snic_counter_set(&d[i], snic_counter_get(&s[i]));
}

struct dp_learn_q *dp_learn_q_create(void);
void dp_learn_q_destroy(struct dp_learn_q *q);
/* Give @env the learn callback that queues into @w's ring. */
void dp_learn_env(struct dp_actions_env *env, struct dp_worker *w);

/* learn(limit=N) decided at packet time (dp_learn_ledger.c). Control
 * thread: create/destroy; note a flow being put (its learns with a limit
 * get an entry); sync every entry from the flow table (after a drain,
 * before a publish); count a drained reservation of entry @ent. Worker:
 * decide for a learned @fm (FLOW_LEARN_CHECK: no entry, decide later;
 * FLOW_LEARN_REFRESH; FLOW_LEARN_RESERVED with *@ent; -ENOSPC: not
 * learned), and give back a reservation that was not queued. */
struct dp_ledger *dp_ledger_create(void);
void dp_ledger_destroy(struct dp_ledger *l);
void dp_ledger_note(struct dp *dp, const struct flow *f);
int dp_ledger_sync(struct dp *dp);
void dp_ledger_applied(struct dp *dp, int ent);
int dp_ledger_decide(struct dp *dp, const struct flow_mod *fm, int *ent);
void dp_ledger_release(struct dp *dp, int ent);

struct retiree {
    struct dp *dp;
    uint64_t id;
    uint32_t slot;
};

struct dp {
    struct dp_qsbr *qsbr;
    struct dp_cls *cls;
    struct tunnels *tunnels;
    struct dp_switch sw;        /* ports, NORMAL's learning table */
    struct dp_ct *ct;           /* connection tracking (dp_conntrack.c) */
    struct dp_worker **workers;
    size_t n_workers;
    /* counters of destroyed workers, by slot (control thread only) */
    struct counter *base[MAX_CHUNKS];
    size_t n_chunks;        /* chunks allocated in base and every worker */
    uint32_t *free_slots;
    size_t n_free, cap_free;
    uint32_t next_slot;
    struct retiree *pending;    /* deleted in the batch being staged */
    size_t n_pending, cap_pending;
    int sticky_err;         /* from the flow-table listener */
    dp_retired_fn *retired_fn;
    void *retired_ctx;
    /* learn(limit=N)'s ledger and the flow table it counts in (NULL: the
     * control thread decides, after the packet) */
    struct dp_ledger *ledger;
    const struct flow_table *learn_table;
    bool ledger_dirty;      /* an entry was added since the last sync */
    /* the TLV map's tun_md_slot[] (and a zero tun_md_present) as one
     * word, which every packet starts with; 0: no option mapped */
    uint64_t tun_md_layout;
};

static inline struct counter *
slot_counter(struct counter *const *chunks, uint32_t slot)
{
    return &chunks[slot >> CHUNK_SHIFT][slot & (CHUNK_SLOTS - 1)];
}

#endif /* SNIC_DP_PIPELINE_PRIV_H */
