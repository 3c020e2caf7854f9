/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet path: frames through decapsulation, extraction, the
 * exact-match cache, the classifier, the actions and the tables that
 * goto_table leads to. Worker side only.
 *
 * A burst from one port goes through table 0 together: every frame is
 * extracted first, then the whole burst is classified at once (the cache
 * probed for all keys, the classifier's burst lookup for the cache's
 * misses), the rules found are prefetched, and only then does each packet
 * run its actions. With many flows, the lookups' and rules' cache misses
 * overlap instead of stalling one packet after another; with few, the
 * per-call set-up (snapshot, tunnel set, action environment) is paid once
 * per burst. Whatever follows a goto_table is per packet: it is rare, and
 * every later table depends on what the earlier actions did.
 *
 * The burst path and the one-packet path give each packet the same
 * treatment (tests/dp: test_dp_pipeline.c checks them against each other).
 */
#include <stddef.h>
#include <stdlib.h>

#include "dp_pipeline_priv.h"

/* ---- classification: exact-match cache, then the classifier ---- */

static struct emc_entry *
emc_way(struct dp_worker *w, uint64_t h, unsigned way)
{
    return &w->emc[(way ? h >> 32 : h) & (EMC_ENTRIES - 1)];
}

/* The entry of table @table for the @n words @k of hash @h
 * (dp_cache_key_gather()), filled from snapshot @version, or NULL. */
static inline __attribute__((always_inline)) const struct emc_entry *
emc_find(struct dp_worker *w, uint64_t version, uint64_t h, unsigned table,
         const uint64_t *k, unsigned n)
{
    for (unsigned way = 0; way < 2; way++) {
        const struct emc_entry *e = emc_way(w, h, way);
        uint64_t diff = (e->version ^ version) | (e->hash ^ h)
                        | (e->table ^ table);

#pragma GCC unroll 12
        for (unsigned j = 0; j < n; j++)
            diff |= e->key[j] ^ k[j];
        if (diff == 0)
            return e;
    }
    return NULL;
}

static void
emc_insert(struct dp_worker *w, uint64_t version, uint64_t h, unsigned table,
           const uint64_t *k, unsigned n, const struct dp_rule *r)
{
    struct emc_entry *a = emc_way(w, h, 0);
    /* replace a stale entry first, else the second way */
    struct emc_entry *e = a->version != version ? a : emc_way(w, h, 1);

    e->version = version;
    e->hash = h;
    memcpy(e->key, k, n * sizeof(k[0]));
    e->rule = r;
    e->table = (uint8_t)table;
}

/*
 * What a cache lookup of table @table costs, in the unit of
 * dp_cls_lookup_burst()'s cost (probed words): the words of its key, each
 * hashed and compared once. A lookup that probes one subtable with as
 * many words costs one more, and measures dearer still (its early exit
 * and priorities): with the 5-tuple of scripts/bench-dp-instr's exact
 * rules over a default, 1,000 packet flows cost 425 instructions a
 * packet without the cache and 367 with it.
 */
static inline unsigned
emc_price(const struct dp_cls_snap *snap, unsigned table)
{
    return dp_cls_snap_cache_key(snap, table)->n;
}

/*
 * Whether @n lookups of table @table go through the cache: where it pays,
 * unless the worker was told otherwise (dp_worker_set_paths()) or its
 * measured hit rate says it does not.
 *
 * Where it pays: where the table's shape says so whatever the traffic
 * (dp_cls_snap_emc_useful()), or where this worker measured that its
 * lookups of the table cost more than a cache lookup (emc_weigh(): the
 * traffic falls through subtables the shape cannot foresee; a cache that
 * would be exact is all it takes).
 *
 * Each window of EMC_WINDOW cached lookups whose hits are under a quarter
 * (more packet flows than entries, or traffic that never repeats) rests
 * the cache for the next EMC_REST lookups of that table on this worker:
 * hashing and comparing the key, and filling entries nobody reads again,
 * would cost more than the lookup it saves. Then it is tried
 * again. The answers are the same either way.
 */
static inline bool
emc_use(struct dp_worker *w, const struct dp_cls_snap *snap, unsigned table,
        unsigned n)
{
    struct emc_gate *g;

    if (__builtin_expect(w->paths & (DP_PATHS_NO_EMC | DP_PATHS_EMC), 0))
        return !(w->paths & DP_PATHS_NO_EMC)
               && dp_cls_snap_emc_exact(snap, table);
    g = &w->emc_gate[table];
    if (!dp_cls_snap_emc_useful(snap, table)
        && !(g->dear && dp_cls_snap_emc_exact(snap, table)))
        return false;
    if (g->rest == 0)
        return true;
    g->rest = g->rest > n ? g->rest - n : 0;
    return false;
}

/* Account @n lookups of table @table without the cache, which probed
 * @words (dp_cls_lookup_burst()): each window of EMC_WINDOW of them
 * decides whether the cache would pay for this worker's traffic. */
static inline void
emc_weigh(struct dp_worker *w, const struct dp_cls_snap *snap,
          unsigned table, unsigned n, unsigned words)
{
    struct emc_gate *g = &w->emc_gate[table];

    g->cold_lookups += n;
    g->cold_words += words;
    if (g->cold_lookups < EMC_WINDOW)
        return;
    g->dear = dp_cls_snap_emc_exact(snap, table)
              && g->cold_words > (uint64_t)emc_price(snap, table)
                                 * g->cold_lookups;
    g->cold_lookups = 0;
    g->cold_words = 0;
}

/* Account @n cached lookups of table @table, @hits of them hits; @misses
 * of the others were looked up in a burst that probed @miss_words (0, 0
 * when not measured). */
static inline void
emc_account(struct dp_worker *w, const struct dp_cls_snap *snap,
            unsigned table, unsigned n, unsigned hits, unsigned misses,
            unsigned miss_words)
{
    struct emc_gate *g = &w->emc_gate[table];

    snic_counter_add(&w->stats.emc_hits, hits);
    g->lookups += n;
    g->hits += hits;
    g->miss_lookups += misses;
    g->miss_words += miss_words;
    if (g->lookups < EMC_WINDOW)
        return;
    if (g->hits < g->lookups / 4 && !(w->paths & DP_PATHS_EMC)) {
        /* traffic that keeps missing (more flows than entries) is tried
         * less and less often: each such window costs more than it saves */
        g->rest = g->rest_next != 0 ? g->rest_next : EMC_REST;
        g->rest_next = g->rest < EMC_REST_MAX ? 2 * g->rest : EMC_REST_MAX;
    } else if (g->dear && g->miss_lookups != 0
               && (uint64_t)g->hits * g->miss_words
                  < (uint64_t)g->lookups * emc_price(snap, table)
                    * g->miss_lookups) {
        /* what the hits saved (a lookup's measured cost each) is less
         * than what the cache cost: the traffic, or the table, changed */
        g->dear = false;
        g->rest_next = 0;
    } else {
        g->rest_next = 0;
    }
    g->lookups = 0;
    g->hits = 0;
    g->miss_lookups = 0;
    g->miss_words = 0;
}

/* emc_find() reads k[0..n), which dp_cache_key_gather() wrote, the same
 * n; GCC at -O2 without LTO loses that across the two unrolled loops and
 * calls k maybe uninitialised. Clearing k would cost every packet. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
static const struct dp_rule *
classify(struct dp_worker *w, const struct dp_cls_snap *snap,
         unsigned table, const struct flow_key *key)
{
    const struct dp_cache_key *ck;
    uint64_t version, h, k[DP_CACHE_KEY_WORDS];
    const struct emc_entry *e;
    const struct dp_rule *r;

    if (!emc_use(w, snap, table, 1))
        return dp_cls_lookup(snap, table, key);
    version = dp_cls_snap_version(snap);
    ck = dp_cls_snap_cache_key(snap, table);
    h = dp_cache_key_gather(ck, key, k, ck->n);
    e = emc_find(w, version, h, table, k, ck->n);
    emc_account(w, snap, table, 1, e != NULL, 0, 0);
    if (e != NULL)
        return e->rule;
    r = dp_cls_lookup(snap, table, key);
    emc_insert(w, version, h, table, k, ck->n, r);
    return r;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* classify_each()'s cache probes: for each of the @n keys, its words
 * under @ck (@nw of them, ck->n: a constant where the loops unroll) into
 * @k, their hash into @hash, and its rule from the cache into @rules; the
 * indexes of the misses into @miss_idx. Returns the misses. */
static inline __attribute__((always_inline)) unsigned
emc_probe(struct dp_worker *w, uint64_t version, unsigned table,
          const struct dp_cache_key *ck, const struct flow_key *keys,
          unsigned n, const struct dp_rule **rules,
          uint64_t (*k)[DP_CACHE_KEY_WORDS], uint64_t *hash, uint8_t *miss_idx,
          unsigned nw)
{
    unsigned n_miss = 0;

    for (unsigned i = 0; i < n; i++) {
        hash[i] = dp_cache_key_gather(ck, &keys[i], k[i], nw);
        __builtin_prefetch(emc_way(w, hash[i], 0));
        __builtin_prefetch(emc_way(w, hash[i], 1));
    }
    for (unsigned i = 0; i < n; i++) {
        const struct emc_entry *e = emc_find(w, version, hash[i], table,
                                             k[i], nw);

        if (e != NULL)
            rules[i] = e->rule;
        else
            miss_idx[n_miss++] = (uint8_t)i;
    }
    return n_miss;
}

/* classify() of @n keys at once. */
static void
classify_each(struct dp_worker *w, const struct dp_cls_snap *snap,
              unsigned table, const struct flow_key *keys, unsigned n,
              const struct dp_rule **rules)
{
    const struct dp_cache_key *ck;
    uint64_t version, hash[DP_BURST_MAX];
    /* not zeroed: each key's first ck->n words are written */
    uint64_t k[DP_BURST_MAX][DP_CACHE_KEY_WORDS];
    struct flow_key miss_keys[DP_BURST_MAX];
    const struct dp_rule *miss_rules[DP_BURST_MAX];
    uint8_t miss_idx[DP_BURST_MAX];
    unsigned n_miss;

    if (!emc_use(w, snap, table, n)) {
        emc_weigh(w, snap, table, n,
                  dp_cls_lookup_burst(snap, table, keys, n, rules));
        return;
    }
    version = dp_cls_snap_version(snap);
    ck = dp_cls_snap_cache_key(snap, table);
    /* the common widths get loops of a constant length */
    switch (ck->n) {
#define EMC_PROBE(nw) \
    n_miss = emc_probe(w, version, table, ck, keys, n, rules, k, hash, \
                       miss_idx, nw)
    case 1: EMC_PROBE(1); break;
    case 2: EMC_PROBE(2); break;
    case 3: EMC_PROBE(3); break;
    case 4: EMC_PROBE(4); break;
    case 5: EMC_PROBE(5); break;
    case 6: EMC_PROBE(6); break;
    default: EMC_PROBE(ck->n); break;
#undef EMC_PROBE
    }
    if (n_miss == 0) {
        emc_account(w, snap, table, n, n, 0, 0);
        return;
    }
    for (unsigned m = 0; m < n_miss; m++)
        miss_keys[m] = keys[miss_idx[m]];
    emc_account(w, snap, table, n, n - n_miss, n_miss,
                dp_cls_lookup_burst(snap, table, miss_keys, n_miss,
                                    miss_rules));
    for (unsigned m = 0; m < n_miss; m++) {
        unsigned i = miss_idx[m];

        rules[i] = miss_rules[m];
        emc_insert(w, version, hash[i], table, k[i], ck->n, rules[i]);
    }
}

/* classify_runs()'s split of @keys into @uniq, the first key of each
 * run, and @of, each key's run; @nw is ck->n (a constant where the loop
 * unrolls). Returns the runs. */
static inline __attribute__((always_inline)) unsigned
runs_split(const struct dp_cache_key *ck, const struct flow_key *keys,
           unsigned n, struct flow_key *uniq, uint8_t *of, unsigned nw)
{
    unsigned u = 0;

    uniq[0] = keys[0];
    of[0] = 0;
    for (unsigned i = 1; i < n; i++) {
        if (!dp_cache_key_same(ck, &keys[i], &uniq[u], nw))
            uniq[++u] = keys[i];
        of[i] = (uint8_t)u;
    }
    return u + 1;
}

/*
 * classify_each(), with each run of keys the table cannot tell apart
 * (the same under its cache key) looked up once: one packet flow, or
 * trains of one, cost a comparison per packet instead of a lookup (or a
 * cache probe). Decided per burst from its first two keys, so traffic of
 * many flows pays one comparison a burst. Only where the answer depends
 * on the packet words alone (the cache's own condition).
 */
static __attribute__((noinline)) void
classify_runs(struct dp_worker *w, const struct dp_cls_snap *snap,
              unsigned table, const struct flow_key *keys, unsigned n,
              const struct dp_rule **rules)
{
    const struct dp_cache_key *ck = dp_cls_snap_cache_key(snap, table);
    struct flow_key uniq[DP_BURST_MAX];
    const struct dp_rule *uniq_rules[DP_BURST_MAX];
    uint8_t of[DP_BURST_MAX];
    unsigned n_uniq;

    switch (ck->n) {
    case 1: n_uniq = runs_split(ck, keys, n, uniq, of, 1); break;
    case 2: n_uniq = runs_split(ck, keys, n, uniq, of, 2); break;
    case 3: n_uniq = runs_split(ck, keys, n, uniq, of, 3); break;
    case 4: n_uniq = runs_split(ck, keys, n, uniq, of, 4); break;
    case 5: n_uniq = runs_split(ck, keys, n, uniq, of, 5); break;
    case 6: n_uniq = runs_split(ck, keys, n, uniq, of, 6); break;
    default: n_uniq = runs_split(ck, keys, n, uniq, of, ck->n); break;
    }
    classify_each(w, snap, table, uniq, n_uniq, uniq_rules);
    for (unsigned i = 0; i < n; i++)
        rules[i] = uniq_rules[of[i]];
}

static inline void
classify_burst(struct dp_worker *w, const struct dp_cls_snap *snap,
               unsigned table, const struct flow_key *keys, unsigned n,
               const struct dp_rule **rules)
{
    /* most often the first two keys differ in their first words */
    if (n >= 2 && !(w->paths & DP_PATHS_NO_FAST)
        && dp_cls_snap_emc_exact(snap, table)
        && __builtin_expect(dp_cache_key_same(
               dp_cls_snap_cache_key(snap, table), &keys[0], &keys[1],
               dp_cls_snap_cache_key(snap, table)->n), 0))
        classify_runs(w, snap, table, keys, n, rules);
    else
        classify_each(w, snap, table, keys, n, rules);
}

const struct dp_rule *
dp_worker_classify(struct dp_worker *w, unsigned table_id,
                   const struct flow_key *key)
{
    return classify(w, dp_cls_snap_get(w->dp->cls), table_id, key);
}

/* ---- one call of the datapath ---- */

static inline __attribute__((always_inline)) void
count(struct dp_worker *w, uint32_t slot, size_t len)
{
    struct counter *c = slot_counter(w->chunks, slot);

    snic_counter_add(&c->packets, 1);
    snic_counter_add(&c->bytes, len);
}

/*
 * A check run (pkt_check()) counts nothing, but notes each flow it
 * looks the frame up to. When the packet is then dropped past the resubmit
 * limits, those flows are credited, each lookup once, as Open vSwitch
 * credits the rules its translation looked up before it failed: the
 * hardware has already counted a flow it matched before sending such a
 * packet on, and a packet must count the same on either path. Out of
 * memory, a note is lost and that flow is not credited.
 */
static void
credit_note(struct dp_worker *w, uint32_t slot, size_t len)
{
    if (w->n_credits == w->credits_size) {
        size_t size = w->credits_size ? w->credits_size * 2 : 64;
        struct dp_credit *c = realloc(w->credits, size * sizeof(*c));

        if (c == NULL)
            return;
        w->credits = c;
        w->credits_size = size;
    }
    w->credits[w->n_credits++] = (struct dp_credit){
        .slot = slot, .len = (uint32_t)len,
    };
}

/* count() of @n packets of @bytes in all. */
static inline void
count_n(struct dp_worker *w, uint32_t slot, unsigned n, size_t bytes)
{
    struct counter *c = slot_counter(w->chunks, slot);

    snic_counter_add(&c->packets, n);
    snic_counter_add(&c->bytes, bytes);
}

/* What the packets of one call share: read once per call. */
struct run {
    struct dp_worker *w;
    const struct dp_cls_snap *snap;
    const struct tunnels *tun;
    struct dp_actions_env env;
    dp_forward_fn *forward;     /* NULL: env.output per packet */
    struct dp_act_stats as;
    bool check;             /* dp_cls_snap_resubmit_check() */
    bool plain;             /* no tunnel port, no patch port: a lone
                             * output's port needs no test (headerless()) */
    bool zero_meta;         /* dp_cls_snap_uses_meta() */
    uint64_t tun_md_layout; /* struct dp's */
    bool dry;               /* a check run: nothing counted or emitted */
    /* per packet: Open vSwitch's resubmit limits (reset together) */
    uint32_t depth;         /* nested resubmits to the same or an earlier
                             * table */
    uint32_t lookups;       /* resubmits and goto_tables so far;
                             * LOOKUPS_FAILED once a limit was passed:
                             * the packet is dropped whole */
    uint32_t lookups_failed;    /* what lookups was when it failed (a
                                 * patch port's side fails alone) */
    uint32_t recirc;        /* ct(table=N) recirculations nested now */
    bool counted_fail;      /* the failure was an action's (DP_ACT_FAIL):
                             * the flows it went through still count */
    bool exited;            /* an exit ran: nothing more of the packet's
                             * actions runs (its action set neither) */
    int table;              /* the table of the flow whose list runs (-1:
                             * the hardware's), for a clone's resubmit */
    struct dp_actset actset;    /* the packet's (pkt->actset) */
    struct dp_stack stack;      /* the packet's (pkt->stack) */
};

static void path_ct(void *ctx, struct dp_pkt *pkt,
                    const struct flow_action *a, bool last);
static bool path_resubmit(void *ctx, struct dp_pkt *pkt,
                          const struct flow_action *a);
static void path_patch(void *ctx, struct dp_pkt *pkt, uint32_t peer);

#define LOOKUPS_FAILED  UINT32_MAX

static void
run_init(struct run *run, struct dp_worker *w, dp_output_fn *fn, void *ctx)
{
    const struct dp_port_set *ports = __atomic_load_n(&w->dp->sw.ports,
                                                      __ATOMIC_ACQUIRE);

    run->w = w;
    run->snap = dp_cls_snap_get(w->dp->cls);
    run->tun = __atomic_load_n(&w->dp->tunnels, __ATOMIC_ACQUIRE);
    run->env = (struct dp_actions_env){
        .output = fn, .ctx = ctx,
        .tunnels = run->tun->ports, .n_tunnels = run->tun->n,
        .sw = &w->swenv,
        .ct = path_ct, .ct_ctx = run,
        .resubmit = path_resubmit, .resubmit_ctx = run,
        .patches = ports->n_patch > 0 ? ports : NULL,
        .patch = path_patch, .patch_ctx = run,
        .ports = ports,
    };
    dp_learn_env(&run->env, w);
    run->forward = NULL;
    run->as = (struct dp_act_stats){ 0 };
    /* a patch port is a way back to table 0, like a resubmit: whether a
     * flow outputs to one is not known here, so every packet of a switch
     * with patch ports is checked (docs/datapath.md, "Patch ports") */
    run->check = dp_cls_snap_resubmit_check(run->snap)
                 || run->env.patches != NULL;
    run->plain = run->tun->n == 0 && run->env.patches == NULL;
    run->zero_meta = dp_cls_snap_uses_meta(run->snap);
    run->tun_md_layout = __atomic_load_n(&w->dp->tun_md_layout,
                                         __ATOMIC_RELAXED);
    run->dry = false;
    run->table = -1;
}

/* Fold the call's counters into the worker's; returns its outputs. */
static unsigned
run_finish(struct run *run)
{
    snic_counter_add(&run->w->stats.tunnel_drops, run->as.tunnel_drops);
    snic_counter_add(&run->w->stats.outputs, run->as.outputs);
    return (unsigned)run->as.outputs;
}

/* The key of the packet as the previous actions left it (its registers
 * and metadata stay as they are). */
static void
extract_again(struct dp_pkt *pkt, struct flow_key *key)
{
    dp_extract_pkt(pkt, key, &pkt->layout);
    key->tun_id = pkt->tun.tun_id;
    key->tun_src = pkt->tun.tun_src;
    key->tun_dst = pkt->tun.tun_dst;
}

/*
 * A packet as received: every field of struct dp_pkt set one by one. An
 * initializer ({ .buf = ... }) means the same, but GCC zeroes the whole
 * struct first for it once it grew past 80 bytes: 26 instructions a
 * packet more in a burst (scripts/bench-dp-instr), most of the general
 * path's price of the action set's one pointer.
 */
_Static_assert(sizeof(struct dp_pkt) == 96,
               "a field added to struct dp_pkt must be set in pkt_init()");

static inline __attribute__((always_inline)) void
pkt_init(struct dp_pkt *pkt, const struct dp_buf *buf, uint32_t in_port)
{
    pkt->buf = *buf;
    pkt->layout = (struct dp_layout){ 0 };
    pkt->in_port = in_port;
    pkt->packet_type = FLOW_PT_ETH;
    pkt->tun = (struct dp_tun_md){ 0 };
    pkt->meta = NULL;
    pkt->committed_len = (uint32_t)buf->len;
    pkt->committed_tci = 0;
    pkt->committed_tags = 0;
    pkt->committed_tci_set = false;
    pkt->actset = NULL;
    pkt->stack = NULL;
}

/* The key of frame @buf from @in_port (and its layout into @lay), its
 * registers zeroed where the flow set reads them. */
static inline __attribute__((always_inline)) void
key_start(const struct run *run, const struct dp_buf *buf, uint32_t in_port,
          struct flow_key *key, struct dp_layout *lay)
{
    dp_extract_hdr(buf->data, buf->len, in_port, key, lay);
    /* registers start at zero; a flow set that never reads them leaves
     * them as they are */
    if (run->zero_meta) {
        /* tun_metadata: without a TLV map no slot names an option, and
         * nothing reads the options' words (flow_tun_md.c); with one, the
         * map's slots and no option present */
        if (run->tun_md_layout == 0) {
            memset(&key->meta, 0, offsetof(struct flow_meta, tun_md));
            key->meta.actset_output = 0;    /* after tun_md[] */
        } else {
            memset(&key->meta, 0, sizeof(key->meta));
            memcpy(key->meta.tun_md_slot, &run->tun_md_layout,
                   sizeof(run->tun_md_layout));
        }
    }
}

/* The state of the run that belongs to the packet about to run (@key
 * its key): set right before its actions, since the packets of a burst
 * run one after another on one struct run. */
static inline __attribute__((always_inline)) void
pkt_arm(struct run *run, struct dp_pkt *pkt, struct flow_key *key)
{
    pkt->meta = &key->meta;
    pkt->actset = &run->actset;
    run->actset.any = false;
    pkt->stack = &run->stack;
    run->stack.n = 0;
    run->depth = 0;
    run->lookups = 0;
    run->recirc = 0;
    run->counted_fail = false;
    run->exited = false;
}

/*
 * Extract @pkt's key. With @decap, a VXLAN frame for one of our tunnel
 * ports first loses its outer headers; with @md, the hardware already did
 * that and @md is the packet's tunnel metadata. With @arm, the run is
 * set up for the packet (pkt_arm()); a caller that extracts several
 * packets before running them arms each before it runs. False: the
 * packet is dropped (a malformed VXLAN frame).
 */
static inline __attribute__((always_inline)) bool
pkt_start(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
          bool decap, const struct dp_tun_md *md, const bool arm)
{
    key_start(run, &pkt->buf, pkt->in_port, key, &pkt->layout);
    if (arm)
        pkt_arm(run, pkt, key);
    if (decap && run->tun->n > 0) {
        int rc = dp_vxlan_decap(run->tun->ports, run->tun->n, key,
                                &pkt->layout, &pkt->buf, &pkt->tun,
                                &pkt->in_port);

        if (rc < 0) {
            snic_counter_add(&run->w->stats.tunnel_drops, 1);
            return false;
        }
        if (rc > 0)
            extract_again(pkt, key);
    }
    /* output(max_len) counts from the packet the tables see: the inner
     * frame of a decapsulated one */
    dp_committed(pkt);
    if (md != NULL) {
        pkt->tun = *md;
        pkt->tun.set = 0;
        key->tun_id = md->tun_id;
        key->tun_src = md->tun_src;
        key->tun_dst = md->tun_dst;
    }
    return true;
}

/* Before another lookup: false (and the packet failed) past Open
 * vSwitch's limits. */
static inline bool
within_limits(struct run *run)
{
    if (run->depth < FLOW_RESUBMIT_MAX_DEPTH
        && run->lookups < FLOW_RESUBMIT_MAX)
        return true;
    run->lookups_failed = run->lookups;
    run->lookups = LOOKUPS_FAILED;
    return false;
}

static void resubmit(struct run *run, struct dp_pkt *pkt,
                     struct flow_key *key, const struct flow_action *a,
                     int table);

/* Run an action list of a flow of @table (-1: none, the hardware's), its
 * resubmits included; the table its goto_table sends the packet to, or
 * -1 when the list is done. goto_table only goes forward (the flow table
 * checks it; the test keeps a corrupt list from looping). */
static int
run_list(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
         const struct flow_action *acts, unsigned n_acts, int table)
{
    unsigned at = 0;

    for (;;) {
        uint8_t next = 0;
        enum dp_act_result res = dp_actions_run_from(&run->env, pkt, acts,
                                                     n_acts, &at, &next,
                                                     &run->as);

        if (res == DP_ACT_RESUBMIT) {
            resubmit(run, pkt, key, &acts[at], table);
            if (run->lookups == LOOKUPS_FAILED || run->exited)
                return -1;
            at++;
            continue;
        }
        if (res == DP_ACT_EXIT) {
            /* Open vSwitch's exit: the lists that resubmitted here, the
             * tables after and the action set are done too */
            run->exited = true;
            return -1;
        }
        if (res == DP_ACT_FAIL) {
            /* Open vSwitch's translation failed: nothing of the packet
             * leaves (the check run saw it coming) */
            run->lookups_failed = run->lookups;
            run->lookups = LOOKUPS_FAILED;
            run->counted_fail = true;
            return -1;
        }
        if (res == DP_ACT_DROP_TTL && !run->dry)
            snic_counter_add(&run->w->stats.ttl_drops, 1);
        else if (res == DP_ACT_DROP_NOROOM && !run->dry)
            snic_counter_add(&run->w->stats.noroom_drops, 1);
        return res == DP_ACT_GOTO && (int)next > table ? next : -1;
    }
}

/* dp_actset_pending() of the run's packet, whose action set is the run's
 * (pkt_start()): one load on the hot path instead of two and a test. */
static inline bool
run_actset_pending(const struct run *run)
{
    return run->actset.any;
}

/* From @r, table @table's answer for @key, to the end of the packet's
 * tables (or, @nested, of a resubmit). @dry: a check run, which counts
 * nothing. Both are constants in the hot callers, so their tests compile
 * away. */
static inline __attribute__((always_inline)) void
walk_tables(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
            unsigned table, const struct dp_rule *r, const bool dry,
            const bool nested)
{
    for (;;) {
        int next;

        if (r == NULL) {
            if (!dry && !nested)
                snic_counter_add(&run->w->stats.misses, 1);
            return;
        }
        if (!dry)
            count(run->w, r->slot, pkt->buf.len);
        else
            credit_note(run->w, r->slot, pkt->buf.len);
        /* the most common list, a lone output, skips the dispatch */
        if (r->lone_output) {
            dp_output_one(&run->env, pkt, r->actions[0].u.port,
                          !nested && !run_actset_pending(run), &run->as);
            return;
        }
        run->env.flow_id = r->id;       /* fin_timeout's flow */
        /* NORMAL's conversations: nothing may run after it */
        run->env.whole_normal = r->whole_normal && !nested
                                && !run_actset_pending(run);
        run->table = (int)table;        /* a clone's resubmit's */
        next = run_list(run, pkt, key, r->actions, r->n_actions, (int)table);
        if (next < 0 || !within_limits(run))
            return;
        table = (unsigned)next;
        extract_again(pkt, key);
        r = classify(run->w, run->snap, table, key);
        if (r != NULL)
            run->lookups++;
    }
}

/*
 * The packet's action set (write_actions), when its tables are done: the
 * list Open vSwitch makes of it (dp_actset_take()), run like a flow's
 * actions. Not for a packet already dropped whole.
 */
static __attribute__((noinline)) void
run_actset(struct run *run, struct dp_pkt *pkt, struct flow_key *key)
{
    struct flow_action list[DP_ACTSET_LIST_MAX];
    unsigned n = dp_actset_take(pkt, list);

    /* Open vSwitch runs no action set after an exit (its translation
     * ends there, whatever its documentation says of the set) */
    if (n == 0 || run->lookups == LOOKUPS_FAILED || run->exited)
        return;
    (void)run_list(run, pkt, key, list, n, -1);
}

/* walk_tables(), then, at the end of the packet, its action set. */
static inline __attribute__((always_inline)) void
run_tables(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
           unsigned table, const struct dp_rule *r, const bool dry,
           const bool nested)
{
    walk_tables(run, pkt, key, table, r, dry, nested);
    if (!nested && run_actset_pending(run))
        run_actset(run, pkt, key);
}

static __attribute__((noinline)) void
run_nested(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
           unsigned table, const struct dp_rule *r)
{
    if (run->dry)
        run_tables(run, pkt, key, table, r, true, true);
    else
        run_tables(run, pkt, key, table, r, false, true);
}

/*
 * resubmit(PORT,TABLE), as Open vSwitch does it: look @table (default:
 * the current flow's) up with the packet as the actions so far left it,
 * in_port replaced for the lookup only, run what it finds (a miss does
 * nothing), then the caller's list goes on. Nested resubmits to the same
 * or an earlier table count against the depth limit; every lookup that
 * finds a flow (goto_table too) against the total.
 */
static __attribute__((noinline)) void
resubmit(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
         const struct flow_action *a, int table)
{
    unsigned cur = table < 0 ? 0 : (unsigned)table;
    unsigned t = a->u.resubmit.table == FLOW_RESUBMIT_TABLE_SAME
                 ? cur : a->u.resubmit.table;
    bool deeper = t <= cur, nested = run->env.nested;
    uint64_t flow_id = run->env.flow_id;
    int outer = run->table;
    const struct dp_rule *r;

    if (!within_limits(run))
        return;
    extract_again(pkt, key);
    if (a->u.resubmit.port != FLOW_RESUBMIT_IN_PORT)
        key->in_port = a->u.resubmit.port;
    r = classify(run->w, run->snap, t, key);
    key->in_port = pkt->in_port;
    if (r == NULL)
        return;
    run->lookups++;
    run->depth += deeper;
    run->env.nested = true;
    run_nested(run, pkt, key, t, r);
    run->env.nested = nested;
    run->env.flow_id = flow_id;
    run->table = outer;
    run->depth -= deeper;
}

/*
 * A resubmit inside a clone's body (dp_actions_env.resubmit): as one in
 * the flow's own list, from the table of the flow that holds the clone.
 * The packet's key is the one its metadata lives in (pkt_start() and
 * recirculate() point pkt->meta into it). False: the packet's actions
 * end (an exit ran, or the limits were passed).
 */
static bool
path_resubmit(void *ctx, struct dp_pkt *pkt, const struct flow_action *a)
{
    struct run *run = ctx;
    struct flow_key *key;

    if (pkt->meta == NULL)
        return true;
    key = (struct flow_key *)(void *)
          ((uint8_t *)pkt->meta - offsetof(struct flow_key, meta));
    resubmit(run, pkt, key, a, run->table);
    return run->lookups != LOOKUPS_FAILED && !run->exited;
}

/*
 * An output to a patch port (dp_actions_env.patch), as Open vSwitch 3.1's
 * patch_port_output(): a copy of the packet, as the actions so far left
 * it, is looked up in table 0 as received on @peer, its metadata,
 * registers, tunnel metadata (tun_id, tun_src, tun_dst, tun_metadata),
 * conntrack fields, action set and register stack cleared (pkt_mark and
 * the frame's own fields kept); what the lookup finds runs, its tables
 * and resubmits, then the copy's action set; then the packet and all its
 * state go on as they were (the frame saved and put back as clone()
 * does). The lookup counts as a resubmit to table 0 against the limits.
 * What ends the peer's side ends only it, as Open vSwitch clears its
 * translation's exit and error there: an exit, an action that fails,
 * the limits passed (the lookups it made still count, so a later lookup
 * of the packet may then pass them and drop it whole). A miss drops the
 * copy. Outputs inside are never the packet's last.
 */
static __attribute__((noinline)) void
patch_output(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
             uint32_t peer)
{
    struct dp_pkt saved = *pkt;
    struct flow_key saved_key = *key;
    uint32_t depth = run->depth;
    bool nested = run->env.nested, counted_fail = run->counted_fail;
    uint64_t flow_id = run->env.flow_id;
    int table = run->table;
    bool had_set = dp_actset_pending(pkt);
    struct dp_actset set;
    struct dp_stack stack;
    uint8_t small[2048], *bytes = small;
    struct flow_meta *m = &key->meta;
    const struct dp_rule *r;

    /* past the limits the peer sees nothing, and Open vSwitch clears the
     * error at once */
    if (run->depth >= FLOW_RESUBMIT_MAX_DEPTH
        || run->lookups >= FLOW_RESUBMIT_MAX)
        return;
    if (pkt->buf.len > sizeof(small)
        && (bytes = malloc(pkt->buf.len)) == NULL)
        return;
    memcpy(bytes, pkt->buf.data, pkt->buf.len);
    if (had_set)
        set = *pkt->actset;
    stack.n = pkt->stack->n;
    memcpy(stack.v, pkt->stack->v, stack.n * sizeof(stack.v[0]));

    pkt->in_port = peer;
    pkt->tun = (struct dp_tun_md){ 0 };
    memset(m->regs, 0, sizeof(m->regs));
    m->metadata = 0;
    m->conj_id = 0;
    m->ct_state = 0;
    m->ct_zone = 0;
    m->ct_mark = 0;
    m->ct_label[0] = 0;
    m->ct_label[1] = 0;
    m->actset_output = 0;
    /* the options go, the switch's TLV map stays */
    m->tun_md_present = 0;
    memset(m->tun_md, 0, sizeof(m->tun_md));
    pkt->actset->any = false;
    pkt->stack->n = 0;
    extract_again(pkt, key);
    r = classify(run->w, run->snap, 0, key);
    if (r != NULL) {
        run->lookups++;
        run->depth++;
        run->env.nested = true;
        run_nested(run, pkt, key, 0, r);
    }
    if (dp_actset_pending(pkt))
        run_actset(run, pkt, key);

    if (run->lookups == LOOKUPS_FAILED)
        run->lookups = run->lookups_failed;
    run->exited = false;
    run->counted_fail = counted_fail;
    run->depth = depth;
    run->env.nested = nested;
    run->env.flow_id = flow_id;
    run->table = table;
    *key = saved_key;
    *pkt = saved;
    memcpy(pkt->buf.data, bytes, pkt->buf.len);
    if (had_set)
        *pkt->actset = set;
    else
        pkt->actset->any = false;
    pkt->stack->n = stack.n;
    memcpy(pkt->stack->v, stack.v, stack.n * sizeof(stack.v[0]));
    if (bytes != small)
        free(bytes);
}

/* The executor's output to a patch port: the packet's key is the one its
 * metadata lives in, as for path_resubmit(). */
static void
path_patch(void *ctx, struct dp_pkt *pkt, uint32_t peer)
{
    struct run *run = ctx;

    if (pkt->meta == NULL || pkt->actset == NULL || pkt->stack == NULL)
        return;
    patch_output(run, pkt,
                 (struct flow_key *)(void *)
                 ((uint8_t *)pkt->meta - offsetof(struct flow_key, meta)),
                 peer);
}

/* Open vSwitch's datapath recirculates a packet at most this deep (its
 * MAX_RECIRC_DEPTH); past it, the recirculation is dropped. */
#define RECIRC_MAX_DEPTH    6u

/*
 * ct(table=N)'s recirculation, as Open vSwitch's datapath does it: the
 * packet as the actions left it, its registers and in_port kept and its
 * ct_* fields in @key set, goes through table N as a packet of its own
 * (Open vSwitch translates it afresh: the resubmit limits start over),
 * before the rest of the list runs. When nothing follows (@last) the
 * packet itself goes; otherwise a copy, the frame saved and put back as
 * clone() does, since the list goes on with the packet as it was.
 */
static __attribute__((noinline)) void
recirculate(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
            unsigned table, bool last)
{
    struct dp_pkt saved = *pkt;
    uint32_t depth = run->depth, lookups = run->lookups;
    bool nested = run->env.nested, exited = run->exited;
    int table_at = run->table;
    uint8_t small[2048], *bytes = small;
    const struct dp_rule *r;
    /* the copy takes the action set along, as Open vSwitch's frozen
     * state does, and runs it at its end; the list goes on with it */
    bool had_set = dp_actset_pending(pkt);
    struct dp_actset set;
    /* and the register stack: the copy's pushes and pops are its own */
    struct dp_stack stack;

    if (had_set)
        set = run->actset;
    stack.n = run->stack.n;
    memcpy(stack.v, run->stack.v, stack.n * sizeof(stack.v[0]));

    if (!last) {
        if (pkt->buf.len > sizeof(small)
            && (bytes = malloc(pkt->buf.len)) == NULL)
            return;
        memcpy(bytes, pkt->buf.data, pkt->buf.len);
    }
    pkt->meta = &key->meta;
    run->depth = 0;
    run->lookups = 0;
    run->exited = false;    /* an exit there ends only the copy's */
    run->recirc++;
    /* never the packet's last output: snicd must not take a buffer that
     * may be a copy, or whose list goes on */
    run->env.nested = true;
    r = classify(run->w, run->snap, table, key);
    if (r != NULL)
        run->lookups++;
    run_nested(run, pkt, key, table, r);
    if (dp_actset_pending(pkt))
        run_actset(run, pkt, key);
    if (had_set)
        run->actset = set;
    run->stack.n = stack.n;
    memcpy(run->stack.v, stack.v, stack.n * sizeof(stack.v[0]));
    run->env.nested = nested;
    run->recirc--;
    run->depth = depth;
    run->lookups = lookups;
    run->exited = exited;
    run->table = table_at;
    if (last) {
        pkt->meta = saved.meta;
        return;
    }
    *pkt = saved;
    memcpy(pkt->buf.data, bytes, pkt->buf.len);
    if (bytes != small)
        free(bytes);
}

/* The executor's ct(...): the tracker's answer for the packet as it is
 * now, then the recirculation when the action has a table. The list
 * itself goes on untracked (the executor clears the packet's ct_*). */
static void
path_ct(void *ctx, struct dp_pkt *pkt, const struct flow_action *a,
        bool last)
{
    struct run *run = ctx;
    struct dp_worker *w = run->w;
    struct dp_ct_result res;
    struct flow_key key;
    uint16_t zone = a->u.ct.zone;

    extract_again(pkt, &key);
    if (pkt->meta != NULL)
        key.meta = *pkt->meta;
    else
        memset(&key.meta, 0, sizeof(key.meta));
    if (a->dst.n_bits != 0) {
        uint64_t v[2];

        flow_subfield_get(&key.meta, &a->dst, v);
        zone = (uint16_t)v[0];
    }
    dp_ct_execute(w->dp->ct, pkt->buf.data, pkt->buf.len, &key,
                  &pkt->layout, a, zone, run->dry, &res);
    if (!run->dry) {
        snic_counter_add(&w->stats.ct_packets, 1);
        snic_counter_add(&w->stats.ct_invalid,
                         (res.state & FLOW_CS_INVALID) != 0);
        snic_counter_add(&w->stats.ct_full, res.full);
    }
    if (a->u.ct.table == FLOW_CT_TABLE_NONE)
        return;
    if (run->recirc >= RECIRC_MAX_DEPTH) {
        if (!run->dry)
            snic_counter_add(&w->stats.recirc_drops, 1);
        return;
    }
    key.meta.ct_state = res.state;
    key.meta.ct_zone = res.zone;
    key.meta.ct_mark = res.mark;
    key.meta.ct_label[0] = res.label[0];
    key.meta.ct_label[1] = res.label[1];
    recirculate(run, pkt, &key, a->u.ct.table, last);
}

/* A packet after pkt_start(): @acts first if not NULL (a flow the
 * hardware matched, counted in @slot), then the tables from @table, whose
 * answer is @r when @have_r. */
static inline __attribute__((always_inline)) void
pkt_run(struct run *run, struct dp_pkt *pkt, struct flow_key *key,
        unsigned table, const struct dp_rule *r, bool have_r,
        const struct flow_action *acts, unsigned n_acts, int64_t slot,
        const bool dry)
{
    if (acts != NULL) {
        int next;

        /* the hardware matched this flow; software counts it */
        if (slot >= 0 && !dry)
            count(run->w, (uint32_t)slot, pkt->buf.len);
        else if (slot >= 0)
            credit_note(run->w, (uint32_t)slot, pkt->buf.len);
        run->table = -1;
        /* the hardware's partial flow, when the caller named it
         * (dp_worker_run_flow()): NORMAL's conversations */
        run->env.whole_normal = run->env.flow_id != 0 && n_acts == 1
                                && acts[0].type == FLOW_ACT_OUTPUT
                                && acts[0].u.port == FLOW_PORT_NORMAL;
        next = run_list(run, pkt, key, acts, n_acts, -1);
        if (next < 0) {
            if (dp_actset_pending(pkt))
                run_actset(run, pkt, key);
            return;
        }
        table = (unsigned)next;
        extract_again(pkt, key);
        have_r = false;
    }
    if (!have_r)
        r = classify(run->w, run->snap, table, key);
    run_tables(run, pkt, key, table, r, dry, false);
}

static void
no_output(void *ctx, const struct dp_output *out)
{
    (void)ctx;
    (void)out;
}

/* The worker's scratch frame buffer, at least @size bytes. */
static uint8_t *
scratch(struct dp_worker *w, size_t size)
{
    if (w->scratch_size < size) {
        uint8_t *p = realloc(w->scratch, size);

        if (p == NULL)
            return NULL;
        w->scratch = p;
        w->scratch_size = size;
    }
    return w->scratch;
}

/*
 * Where a packet could pass the resubmit limits (dp_cls_snap_resubmit_
 * check()): Open vSwitch then drops it whole, none of its outputs leave.
 * Outputs leave as the actions run here, so the packet first runs on a
 * copy with nothing counted or emitted. False: drop it, crediting the
 * flows it was looked up to (credit_note()). (No memory for the copy: it
 * runs unchecked.)
 */
static __attribute__((noinline)) bool
pkt_check(struct run *run, const struct dp_pkt *pkt,
          const struct flow_key *key, unsigned table,
          const struct dp_rule *r, bool have_r,
          const struct flow_action *acts, unsigned n_acts, int64_t slot)
{
    struct dp_worker *w = run->w;
    struct dp_worker_stats saved = w->stats;    /* its own: plain read */
    size_t size = pkt->buf.headroom + pkt->buf.len;
    uint8_t *buf = scratch(w, size);
    struct run dry = *run;
    struct dp_pkt p = *pkt;
    struct flow_key k = *key;

    if (buf == NULL)
        return true;
    memcpy(buf, pkt->buf.data - pkt->buf.headroom, size);
    p.buf.data = buf + pkt->buf.headroom;
    p.meta = &k.meta;
    p.actset = &dry.actset;
    p.stack = &dry.stack;
    dry.dry = true;
    dry.env.output = no_output;
    dry.env.learn = NULL;       /* a check run learns nothing */
    dry.env.ct_ctx = &dry;
    dry.env.resubmit_ctx = &dry;
    dry.env.patch_ctx = &dry;
    dry.as = (struct dp_act_stats){ 0 };
    w->n_credits = 0;
    pkt_run(&dry, &p, &k, table, r, have_r, acts, n_acts, slot, true);
    /* the check run's cache hits and drops are not the packet's (a reader
     * of the running worker may see them for this moment: statistics) */
    dp_stats_copy(&w->stats, &saved);
    if (dry.lookups != LOOKUPS_FAILED)
        return true;
    for (size_t i = 0; i < w->n_credits; i++)
        count(w, w->credits[i].slot, w->credits[i].len);
    if (dry.counted_fail) {
        /* an action failed (an MPLS stack too deep), not a limit */
        snic_counter_add(&w->stats.mpls_drops, 1);
        return false;
    }
    snic_counter_add(&w->stats.resubmit_drops, 1);
    return false;
}

/* One packet through the tables. Normally it starts with decapsulation
 * and table 0; a packet the hardware partly processed starts at @table,
 * after running @acts (the hardware's partial flow) when @acts is not
 * NULL, or with @md as its tunnel metadata. */
static unsigned
run_pipeline(struct run *run, struct dp_buf *buf, uint32_t in_port,
             unsigned table, const struct flow_action *acts, unsigned n_acts,
             int64_t slot, bool decap, const struct dp_tun_md *md,
             uint32_t pkt_mark)
{
    struct dp_pkt pkt;
    struct flow_key key;

    pkt_init(&pkt, buf, in_port);
    snic_counter_add(&run->w->stats.packets, 1);
    if (!pkt_start(run, &pkt, &key, decap, md, true))
        goto out;
    /* the hardware's META (dp_worker_process_from()); with no flow that
     * reads metadata, key.meta is not even zeroed and nothing reads it */
    if (run->zero_meta)
        key.meta.pkt_mark = pkt_mark;
    if (run->check
        && !pkt_check(run, &pkt, &key, table, NULL, false, acts, n_acts,
                      slot))
        goto out;
    pkt_run(run, &pkt, &key, table, NULL, false, acts, n_acts, slot, false);
out:
    *buf = pkt.buf;
    return run_finish(run);
}

static unsigned
pipeline(struct dp_worker *w, struct dp_buf *buf, uint32_t in_port,
         unsigned table, const struct flow_action *acts, unsigned n_acts,
         int64_t slot, bool decap, const struct dp_tun_md *md,
         uint32_t pkt_mark, dp_output_fn *fn, void *ctx)
{
    struct run run;

    run_init(&run, w, fn, ctx);
    return run_pipeline(&run, buf, in_port, table, acts, n_acts, slot, decap,
                        md, pkt_mark);
}

/* ---- the port fast path (docs/datapath.md, "Fast paths") ---- */

/* Whether a VXLAN tunnel arrives on @in_port. */
static inline bool
is_underlay(const struct run *run, uint32_t in_port)
{
    for (size_t i = 0; i < run->tun->n; i++)
        if (run->tun->ports[i].underlay_port == in_port)
            return true;
    return false;
}

/* Whether table 0 decides every packet from @in_port by the port alone,
 * and then its answer (*@r). Not for a port a VXLAN tunnel arrives on:
 * decapsulation gives its packets another in_port. */
static inline bool
by_port(const struct run *run, uint32_t in_port, const struct dp_rule **r)
{
    if (run->w->paths & DP_PATHS_NO_FAST)
        return false;
    if (is_underlay(run, in_port))
        return false;
    if (!dp_cls_snap_port_rule(run->snap, 0, in_port, r))
        return false;
    /* per call; the caller adds more */
    snic_counter_add(&run->w->stats.port_decided, 1);
    return true;
}

/* Whether a packet whose table-0 answer is @r needs nothing of its own
 * headers: a miss, or a lone output to a port that is no tunnel (whose
 * encapsulation reads the headers). */
static inline bool
headerless(const struct run *run, const struct dp_rule *r)
{
    return r == NULL
           || (r->lone_output
               && (run->plain
                   || (dp_find_tunnel(&run->env, r->actions[0].u.port) == NULL
                       && !dp_is_patch(&run->env, r->actions[0].u.port))));
}

/*
 * The general path's treatment of a packet from @in_port whose table-0
 * answer is @r, headerless(), without reading a header: a miss, or the
 * frame counted and sent as it came, the packet's last output (skipped to
 * the in_port). dp_output_to()'s work without the tests headerless()
 * made: no tunnel, no patch port, an Ethernet packet. The packet is the
 * @pkt-th of the caller's burst; the caller counts it in the worker's
 * packets.
 */
static inline __attribute__((always_inline)) void
headerless_one(struct run *run, const struct dp_buf *buf, uint32_t in_port,
               unsigned pkt, const struct dp_rule *r)
{
    uint32_t port;

    if (r == NULL) {
        snic_counter_add(&run->w->stats.misses, 1);
        return;
    }
    count(run->w, r->slot, buf->len);
    port = r->actions[0].u.port;
    if (port != in_port) {
        struct dp_output out = {
            .port = port, .tx_port = port, .last = true, .pkt = pkt,
            .frame = buf->data, .len = buf->len,
        };

        run->as.outputs++;
        run->env.output(run->env.ctx, &out);
    }
}

/* A run of packets of the caller's burst, consecutive, sent unchanged to
 * one port and not handed over yet (run->forward's) */
struct fwd_run {
    uint32_t port;
    unsigned first, n;
};

static inline void
fwd_flush(struct run *run, struct fwd_run *f)
{
    if (f->n == 0)
        return;
    run->as.outputs += f->n;
    run->forward(run->env.ctx, f->port, f->first, f->n);
    f->n = 0;
}

/* headerless_one() where run->forward takes the output: it joins @f's run
 * when it is the next packet to the same port, else @f goes first (the
 * outputs keep the burst's order). */
static inline __attribute__((always_inline)) void
headerless_fwd(struct run *run, struct fwd_run *f, const struct dp_buf *buf,
               uint32_t in_port, unsigned pkt, const struct dp_rule *r)
{
    uint32_t port;

    if (r == NULL) {
        snic_counter_add(&run->w->stats.misses, 1);
        return;
    }
    count(run->w, r->slot, buf->len);
    port = r->actions[0].u.port;
    if (port == in_port)
        return;
    if (f->n > 0 && (f->port != port || f->first + f->n != pkt))
        fwd_flush(run, f);
    if (f->n == 0) {
        f->port = port;
        f->first = pkt;
    }
    f->n++;
}

/*
 * @n packets from @in_port whose table-0 answer is @r, headerless(): the
 * general path's treatment (counted, missed or sent as they are) without
 * reading a header. The first is packet @first of the caller's burst.
 */
static void
headerless_run(struct run *run, struct dp_buf *bufs, unsigned n,
               uint32_t in_port, unsigned first, const struct dp_rule *r)
{
    struct dp_worker *w = run->w;
    size_t bytes = 0;
    uint32_t port;

    snic_counter_add(&w->stats.packets, n);
    if (r == NULL) {
        snic_counter_add(&w->stats.misses, n);
        return;
    }
    for (unsigned i = 0; i < n; i++)
        bytes += bufs[i].len;
    count_n(w, r->slot, n, bytes);
    port = r->actions[0].u.port;
    if (port == in_port)
        return;                 /* an output to the in_port is skipped */
    run->as.outputs += n;
    if (run->forward != NULL) {
        run->forward(run->env.ctx, port, first, n);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        /* headerless_one()'s output */
        struct dp_output out = {
            .port = port, .tx_port = port, .last = true, .pkt = first + i,
            .frame = bufs[i].data, .len = bufs[i].len,
        };

        run->env.output(run->env.ctx, &out);
    }
}

/*
 * @n packets from @in_port through a table 0 that looks at the port and
 * the Ethernet header only (dp_cls_snap_l2()): those fields extracted,
 * the burst looked up, and only the packets whose flow needs more of
 * their headers (headerless() says which) extracted whole for the
 * general path, the lookup done. The first is packet @first of the
 * caller's burst.
 */
static void
burst_l2(struct run *run, struct dp_buf *bufs, unsigned n, uint32_t in_port,
         unsigned first)
{
    struct dp_worker *w = run->w;
    struct flow_key keys[DP_BURST_MAX];
    const struct dp_rule *rules[DP_BURST_MAX];

    for (unsigned i = 0; i < n; i++) {
        dp_extract_l2(bufs[i].data, bufs[i].len, in_port, &keys[i]);
        /* no flow of the table reads them, but a clause check compares
         * whole keys: zeroed as the general path zeroes them, where a
         * flow of the set reads them (the tun_metadata words need no
         * zeros: no slot names an option) */
        if (run->zero_meta) {
            memset(&keys[i].meta, 0, offsetof(struct flow_meta, tun_md));
            keys[i].meta.actset_output = 0;     /* after tun_md[] */
        }
    }
    dp_cls_lookup_burst(run->snap, 0, keys, n, rules);
    snic_counter_add(&w->stats.packets, n);
    snic_counter_add(&w->stats.l2_decided, n);
    for (unsigned i = 0; i < n; i++) {
        const struct dp_rule *r = rules[i];
        struct dp_pkt pkt;
        struct flow_key key;

        if (headerless(run, r)) {
            headerless_one(run, &bufs[i], in_port, first + i, r);
            continue;
        }
        pkt_init(&pkt, &bufs[i], in_port);
        run->env.pkt = first + i;
        if (pkt_start(run, &pkt, &key, false, NULL, true)
                   && (!run->check
                       || pkt_check(run, &pkt, &key, 0, r, true, NULL, 0,
                                    -1))) {
            run_tables(run, &pkt, &key, 0, r, false, false);
        }
        bufs[i] = pkt.buf;
    }
}

/*
 * The leading train of @n packets from @in_port (docs/datapath.md, "Fast
 * paths"): when the first two frames read alike (dp_train_same()), the
 * first is extracted and looked up, and when its answer needs nothing of
 * its headers (headerless()), it and every frame after it that reads the
 * same take that answer unread. Otherwise the first packet runs the
 * general path alone. Returns the packets done (0: none, the burst's
 * first two frames differ); the first is packet @first of the caller's
 * burst.
 */
static unsigned
burst_train(struct run *run, struct dp_buf *bufs, unsigned n,
            uint32_t in_port, unsigned first)
{
    struct dp_train t;
    struct dp_pkt pkt;
    struct flow_key key;
    const struct dp_rule *r;
    unsigned m = 2;

    /* first the bytes most likely to differ (the addresses, the ports:
     * compared by dp_train_same() too, tagged or not), so that traffic
     * of many flows pays a few instructions a burst */
    if (n < 2 || bufs[0].len < DP_TRAIN_MIN || bufs[1].len < DP_TRAIN_MIN
        || dp_train_load(bufs[0].data + 30)
           != dp_train_load(bufs[1].data + 30)
        || !dp_train_start(&t, bufs[0].data, bufs[0].len)
        || !dp_train_same(&t, bufs[1].data, bufs[1].len))
        return 0;
    /* the port is no underlay (the caller's test): nothing to decap */
    pkt_init(&pkt, &bufs[0], in_port);
    (void)pkt_start(run, &pkt, &key, false, NULL, true);
    r = classify(run->w, run->snap, 0, &key);
    if (!headerless(run, r)) {
        snic_counter_add(&run->w->stats.packets, 1);
        if (!run->check
            || pkt_check(run, &pkt, &key, 0, r, true, NULL, 0, -1)) {
            run->env.pkt = first;
            run_tables(run, &pkt, &key, 0, r, false, false);
        }
        bufs[0] = pkt.buf;
        return 1;
    }
    while (m < n && dp_train_same(&t, bufs[m].data, bufs[m].len))
        m++;
    snic_counter_add(&run->w->stats.train_decided, m);
    headerless_run(run, bufs, m, in_port, first, r);
    return m;
}

unsigned
dp_worker_process(struct dp_worker *w, struct dp_buf *buf, uint32_t in_port,
                  dp_output_fn *fn, void *ctx)
{
    const struct dp_rule *r;
    struct run run;

    run_init(&run, w, fn, ctx);
    if (by_port(&run, in_port, &r) && headerless(&run, r)) {
        headerless_run(&run, buf, 1, in_port, 0, r);
        return run_finish(&run);
    }
    return run_pipeline(&run, buf, in_port, 0, NULL, 0, -1, true, NULL, 0);
}

/* Up to DP_BURST_MAX packets through table 0 together (see the top);
 * the first is packet @first of the caller's burst. @decided: table 0
 * answers @r to every one of them (by_port()). */
static void
burst(struct run *run, struct dp_buf *bufs, unsigned n, uint32_t in_port,
      unsigned first, bool decided, const struct dp_rule *r)
{
    struct dp_pkt pkts[DP_BURST_MAX];
    struct flow_key keys[DP_BURST_MAX];
    const struct dp_rule *rules[DP_BURST_MAX];
    uint64_t live = 0;

    snic_counter_add(&run->w->stats.packets, n);
    for (unsigned i = 0; i < n; i++) {
        pkt_init(&pkts[i], &bufs[i], in_port);
        if (pkt_start(run, &pkts[i], &keys[i], true, NULL, false))
            live |= 1ull << i;
    }
    /* a dropped packet's key is still a key: classifying it is harmless
     * and keeps the burst contiguous */
    if (decided) {
        for (unsigned i = 0; i < n; i++)
            rules[i] = r;
    } else {
        classify_burst(run->w, run->snap, 0, keys, n, rules);
    }
    for (unsigned i = 0; i < n; i++)
        if (rules[i] != NULL)
            __builtin_prefetch(rules[i]);
    for (unsigned i = 0; i < n; i++) {
        if (!(live & (1ull << i))) {
            bufs[i] = pkts[i].buf;
            continue;
        }
        pkt_arm(run, &pkts[i], &keys[i]);
        if (!run->check
            || pkt_check(run, &pkts[i], &keys[i], 0, rules[i], true, NULL, 0,
                         -1)) {
            run->env.pkt = first + i;
            run_tables(run, &pkts[i], &keys[i], 0, rules[i], false, false);
        }
        bufs[i] = pkts[i].buf;
    }
}

/*
 * burst() for a port no tunnel arrives on (no decapsulation), in the
 * fast paths: the frames are extracted and looked up together, and a
 * packet whose answer needs nothing of its headers (headerless()) is
 * counted and sent as it came (headerless_one(), as the frame cache's
 * hits are), without the packet state that actions need; only the
 * others get it, and the general path with the lookup done. Table 0's
 * answers into @found. The first is packet @first of the caller's
 * burst.
 */
static void
burst_lean(struct run *run, struct dp_buf *bufs, unsigned n, uint32_t in_port,
           unsigned first, const struct dp_rule **found)
{
    struct flow_key keys[DP_BURST_MAX];
    struct dp_layout lay[DP_BURST_MAX];

    snic_counter_add(&run->w->stats.packets, n);
    for (unsigned i = 0; i < n; i++)
        key_start(run, &bufs[i], in_port, &keys[i], &lay[i]);
    classify_burst(run->w, run->snap, 0, keys, n, found);
    for (unsigned i = 0; i < n; i++)
        if (found[i] != NULL)
            __builtin_prefetch(found[i]);
    for (unsigned i = 0; i < n; i++) {
        const struct dp_rule *r = found[i];
        struct dp_pkt pkt;

        if (headerless(run, r)) {
            headerless_one(run, &bufs[i], in_port, first + i, r);
            continue;
        }
        pkt_init(&pkt, &bufs[i], in_port);
        pkt.layout = lay[i];
        pkt_arm(run, &pkt, &keys[i]);
        if (!run->check
            || pkt_check(run, &pkt, &keys[i], 0, r, true, NULL, 0, -1)) {
            run->env.pkt = first + i;
            run_tables(run, &pkt, &keys[i], 0, r, false, false);
        }
        bufs[i] = pkt.buf;
    }
}

/* ---- the frame cache (docs/datapath.md, "Fast paths") ---- */

static inline uint64_t
fc_hash(const struct dp_train *t, uint32_t in_port)
{
    uint64_t h = (in_port ^ (uint64_t)t->tcp_word << 32
                  ^ (uint64_t)t->ofs << 48) * 0x9e3779b97f4a7c15ull;

    for (unsigned j = 0; j < 6; j++)
        h = (h ^ t->word[j]) * 0xbf58476d1ce4e5b9ull;
    return h ^ h >> 29;
}

static inline struct fc_entry *
fc_way(struct dp_worker *w, uint64_t h, unsigned way)
{
    return &w->fc[(way ? h >> 32 : h) & (FC_ENTRIES - 1)];
}

/* The entry for frame @t from @in_port, filled from snapshot @version,
 * or NULL. */
static inline const struct fc_entry *
fc_find(struct dp_worker *w, uint64_t version, uint64_t h,
        const struct dp_train *t, uint32_t in_port)
{
    for (unsigned way = 0; way < 2; way++) {
        const struct fc_entry *e = fc_way(w, h, way);
        uint64_t diff = (e->version ^ version) | (e->in_port ^ in_port)
                        | (e->tcp_word ^ t->tcp_word) | (e->ofs ^ t->ofs)
                        | (uint64_t)(e->tcp ^ t->tcp);

        for (unsigned j = 0; j < 6; j++)
            diff |= e->word[j] ^ t->word[j];
        if (diff == 0)
            return e;
    }
    return NULL;
}

static void
fc_insert(struct dp_worker *w, uint64_t version, uint64_t h,
          const struct dp_train *t, uint32_t in_port, const struct dp_rule *r)
{
    struct fc_entry *a = fc_way(w, h, 0);
    /* replace a stale entry first, else the second way */
    struct fc_entry *e = a->version != version ? a : fc_way(w, h, 1);

    memcpy(e->word, t->word, sizeof(e->word));
    e->version = version;
    e->rule = r;
    e->in_port = in_port;
    e->tcp_word = t->tcp_word;
    e->ofs = t->ofs;
    e->tcp = t->tcp;
}

/* Whether @n packets go through the frame cache: as emc_use() and
 * emc_account() do for the exact-match cache, each window of EMC_WINDOW
 * lookups with under a quarter of hits rests it (traffic that does not
 * repeat, or answers that need the headers), each rest in a row twice as
 * long as the one before. */
static inline bool
fc_use(struct dp_worker *w, unsigned n)
{
    struct emc_gate *g = &w->fc_gate;

    if (g->rest == 0)
        return true;
    g->rest = g->rest > n ? g->rest - n : 0;
    return false;
}

static inline void
fc_account(struct dp_worker *w, unsigned n, unsigned hits)
{
    struct emc_gate *g = &w->fc_gate;

    g->lookups += n;
    g->hits += hits;
    if (g->lookups < EMC_WINDOW)
        return;
    if (g->hits < g->lookups / 4) {
        g->rest = g->rest_next != 0 ? g->rest_next : EMC_REST;
        g->rest_next = g->rest < EMC_REST_MAX ? 2 * g->rest : EMC_REST_MAX;
    } else {
        g->rest_next = 0;
    }
    g->lookups = 0;
    g->hits = 0;
}

/*
 * @n packets from @in_port through the frame cache: each frame that
 * struct dp_train can compare is looked up by those bytes before it is
 * read; a hit whose answer still needs nothing of the headers
 * (headerless()) is counted and sent as it came. The others go through
 * burst_lean() in runs between the hits, in order, and those of them that can
 * be compared and whose answer needs no header fill the cache. Entries
 * carry their snapshot's version, as the exact-match cache's do. The
 * first is packet @first of the caller's burst.
 */
static void
burst_cached(struct run *run, struct dp_buf *bufs, unsigned n,
             uint32_t in_port, unsigned first)
{
    struct dp_worker *w = run->w;
    struct dp_train t[DP_BURST_MAX];
    uint64_t h[DP_BURST_MAX], ok = 0, missed = 0;
    const struct dp_rule *found[DP_BURST_MAX];
    uint64_t version;
    unsigned from = 0, hits = 0;
    struct fwd_run fwd = { .n = 0 };

    if (!fc_use(w, n)) {
        burst_lean(run, bufs, n, in_port, first, found);
        return;
    }
    version = dp_cls_snap_version(run->snap);
    for (unsigned i = 0; i < n; i++) {
        if (!dp_train_start(&t[i], bufs[i].data, bufs[i].len))
            continue;
        ok |= 1ull << i;
        h[i] = fc_hash(&t[i], in_port);
        __builtin_prefetch(fc_way(w, h[i], 0));
        __builtin_prefetch(fc_way(w, h[i], 1));
    }
    for (unsigned i = 0; i < n; i++) {
        const struct fc_entry *e = ok >> i & 1
                                   ? fc_find(w, version, h[i], &t[i], in_port)
                                   : NULL;

        if (e == NULL || !headerless(run, e->rule)) {
            missed |= 1ull << i;
            continue;
        }
        if (from < i) {
            fwd_flush(run, &fwd);
            burst_lean(run, bufs + from, i - from, in_port, first + from,
                       found + from);
        }
        hits++;
        if (run->forward != NULL)
            headerless_fwd(run, &fwd, &bufs[i], in_port, first + i, e->rule);
        else
            headerless_one(run, &bufs[i], in_port, first + i, e->rule);
        from = i + 1;
    }
    fwd_flush(run, &fwd);
    if (from < n)
        burst_lean(run, bufs + from, n - from, in_port, first + from,
                   found + from);
    snic_counter_add(&w->stats.packets, hits);
    snic_counter_add(&w->stats.frame_hits, hits);
    fc_account(w, n, hits);
    for (uint64_t m = missed & ok; m != 0; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);

        if (headerless(run, found[i]))
            fc_insert(w, version, h[i], &t[i], in_port, found[i]);
    }
}

unsigned
dp_worker_process_burst(struct dp_worker *w, struct dp_buf *bufs, unsigned n,
                        uint32_t in_port, dp_output_fn *fn, void *ctx)
{
    return dp_worker_process_burst_fwd(w, bufs, n, in_port, fn, NULL, ctx);
}

unsigned
dp_worker_process_burst_fwd(struct dp_worker *w, struct dp_buf *bufs,
                            unsigned n, uint32_t in_port, dp_output_fn *fn,
                            dp_forward_fn *fwd, void *ctx)
{
    const struct dp_rule *r = NULL;
    struct run run;
    bool decided, fast, l2;

    run_init(&run, w, fn, ctx);
    run.forward = fwd;
    /* one decision for the whole burst where the port makes it */
    decided = n > 0 && by_port(&run, in_port, &r);
    if (decided) {
        snic_counter_add(&w->stats.port_decided, n - 1);
        if (headerless(&run, r)) {
            headerless_run(&run, bufs, n, in_port, 0, r);
            return run_finish(&run);
        }
    }
    /* a table of port and Ethernet fields: those fields only; else
     * trains of frames that read alike, unread */
    fast = !decided && n > 0 && !(w->paths & DP_PATHS_NO_FAST)
           && !is_underlay(&run, in_port);
    l2 = fast && dp_cls_snap_l2(run.snap, 0);
    for (unsigned done = 0; done < n; done += DP_BURST_MAX) {
        unsigned k = n - done < DP_BURST_MAX ? n - done : DP_BURST_MAX;
        unsigned t = fast && !l2 ? burst_train(&run, bufs + done, k,
                                               in_port, done) : 0;

        if (l2)
            burst_l2(&run, bufs + done, k, in_port, done);
        else if (t < k && fast)
            burst_cached(&run, bufs + done + t, k - t, in_port, done + t);
        else if (t < k)
            burst(&run, bufs + done + t, k - t, in_port, done + t, decided,
                  r);
    }
    return run_finish(&run);
}

unsigned
dp_worker_process_from(struct dp_worker *w, struct dp_buf *buf,
                       uint32_t in_port, unsigned table, uint32_t pkt_mark,
                       dp_output_fn *fn, void *ctx)
{
    if (table > FLOW_TABLE_MAX) {
        snic_counter_add(&w->stats.packets, 1);
        snic_counter_add(&w->stats.misses, 1);
        return 0;
    }
    return pipeline(w, buf, in_port, table, NULL, 0, -1, false, NULL,
                    pkt_mark, fn, ctx);
}

unsigned
dp_worker_process_decapped(struct dp_worker *w, struct dp_buf *buf,
                           uint32_t tun_port, const struct dp_tun_md *md,
                           unsigned table, dp_output_fn *fn, void *ctx)
{
    if (table > FLOW_TABLE_MAX) {
        snic_counter_add(&w->stats.packets, 1);
        snic_counter_add(&w->stats.misses, 1);
        return 0;
    }
    return pipeline(w, buf, tun_port, table, NULL, 0, -1, false, md, 0, fn,
                    ctx);
}

unsigned
dp_worker_run_actions(struct dp_worker *w, struct dp_buf *buf,
                      uint32_t in_port, int64_t slot,
                      const struct flow_action *acts, unsigned n_acts,
                      uint32_t pkt_mark, dp_output_fn *fn, void *ctx)
{
    return dp_worker_run_flow(w, buf, in_port, slot, 0, acts, n_acts,
                              pkt_mark, fn, ctx);
}

unsigned
dp_worker_run_flow(struct dp_worker *w, struct dp_buf *buf,
                   uint32_t in_port, int64_t slot, uint64_t flow_id,
                   const struct flow_action *acts, unsigned n_acts,
                   uint32_t pkt_mark, dp_output_fn *fn, void *ctx)
{
    static const struct flow_action none[1];
    struct run run;

    run_init(&run, w, fn, ctx);
    run.env.flow_id = flow_id;
    return run_pipeline(&run, buf, in_port, 0, acts != NULL ? acts : none,
                        acts != NULL ? n_acts : 0, slot, false, NULL,
                        pkt_mark);
}
