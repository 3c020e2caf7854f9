/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software datapath's classifier: tuple space search over immutable,
 * RCU-published snapshots (see the essay in include/snic/dp.h).
 *
 * This file is the writer; dp_cls_lookup.c the readers, dp_cls_priv.h
 * what they share.
 *
 * Reader side: snapshot -> ctable (one per OpenFlow table: its subtables,
 * highest max_priority first) -> subtable (one mask, an open-addressing
 * hash of masked key -> best rule, the masked values inline) -> rule.
 * Nothing a reader can reach is ever written after publication; reference
 * counts are touched by the writer only, so they need no atomics.
 *
 * Writer side (private, mutable): every staged flow (wflow, by id) sits in
 * the wsub of its (table, mask) (dp_cls_wsub.h); both indexes are the
 * shared intrusive map (common/snic_hmap.h), the datapath never reads
 * them. A change marks its wsub and table dirty; publishing brings the
 * dirty wsubs' spare copies up to date (O(changes)), rebuilds the dirty
 * tables' ctables from per-wsub summaries (O(subtables)), and shares the
 * rest. A table's clause flows (conjunction actions) are gathered and
 * sorted again only when a list of identical matches holding one
 * changed; otherwise the new ctable shares the last set.
 */
#include <errno.h>
#include <stdlib.h>

#include "dp_cls_wsub.h"
#include "snic_hash.h"
#include "snic_hmap.h"

struct wtable {
    struct wsub **subs;
    size_t n, cap;
    bool dirty;
    /* the clause flows last published, shared by the next ctable while
     * no wsub's conj_dirty says otherwise; holds a reference. NULL: none
     * (or none gathered yet) */
    struct dp_conj_set *conj;
    struct dp_conj_set *next_conj;  /* being published (no reference of
                                     * its own: the new ctable's) */
};

struct dp_cls {
    struct dp_qsbr *qsbr;
    struct dp_cls_snap *snap;
    uint64_t version;               /* of the published snapshot */
    struct wtable tables[FLOW_TABLE_MAX + 1];
    uint8_t dirty[FLOW_TABLE_MAX + 1];
    size_t n_dirty;
    struct snic_hmap flows;         /* wflows by id */
    struct snic_hmap subs;          /* wsubs by (table, mask) */
    struct dp_rule_pool *rules;     /* where its rules live */
    struct dp_cls_stats stats;
};

/* ---- hashing ---- */

const struct dp_cls_snap *
dp_cls_snap_get(const struct dp_cls *cls)
{
    return __atomic_load_n(&((struct dp_cls *)cls)->snap,
                           __ATOMIC_ACQUIRE);
}

/* ---- reference counting (writer only) ---- */

static void
conj_set_unref(struct dp_conj_set *cs)
{
    if (cs == NULL || --cs->refcnt > 0)
        return;
    for (uint32_t i = 0; i < cs->n; i++) {
        dp_rule_unref(cs->v[i].r);
        if (cs->v[i].next != NULL)
            dp_rule_unref(cs->v[i].next);
    }
    free(cs);
}

static void
conj_free(struct ctable *ct)
{
    conj_set_unref(ct->conj_set);
    ct->conj_set = NULL;
    ct->conj = NULL;
    ct->n_conj = 0;
}

static void
ctable_unref(struct ctable *ct)
{
    if (ct == NULL || --ct->refcnt > 0)
        return;
    for (uint32_t i = 0; i < ct->n; i++)
        dp_subtable_unref(ct->subs[i]);
    conj_free(ct);
    dp_ctable_shape_free(ct);
    free(ct);
}

static void
snap_release(void *arg)
{
    struct dp_cls_snap *snap = arg;

    for (unsigned t = 0; t <= FLOW_TABLE_MAX; t++)
        ctable_unref(snap->tables[t]);
    free(snap);
}

/* ---- creation ---- */

struct dp_cls *
dp_cls_create(struct dp_qsbr *qsbr)
{
    struct dp_cls *cls = calloc(1, sizeof(*cls));
    struct dp_cls_snap *snap;

    if (cls == NULL)
        goto err_cls;
    snap = calloc(1, sizeof(*snap));
    if (snap == NULL)
        goto err_snap;
    cls->rules = dp_rule_pool_create();
    if (cls->rules == NULL)
        goto err_rules;
    snic_hmap_init(&cls->flows);
    snic_hmap_init(&cls->subs);
    /* version 0 is never published: a zeroed EMC entry never matches */
    cls->version = snap->version = 1;
    __atomic_store_n(&cls->snap, snap, __ATOMIC_RELAXED);
    cls->qsbr = qsbr;
    return cls;

err_rules:
    free(snap);
err_snap:
    free(cls);
err_cls:
    errno = ENOMEM;
    return NULL;
}

void
dp_cls_destroy(struct dp_cls *cls)
{
    struct wflow *f;
    struct wsub *s;

    if (cls == NULL)
        return;
    /* older snapshots first, so none outlives what it shares */
    dp_qsbr_barrier(cls->qsbr);
    snap_release(__atomic_load_n(&cls->snap, __ATOMIC_SEQ_CST));
    SNIC_HMAP_FOR_EACH_SAFE(f, node, &cls->flows) {
        dp_rule_unref(f->rule);
        dp_rule_pool_free(f, sizeof(*f));
    }
    SNIC_HMAP_FOR_EACH_SAFE(s, node, &cls->subs) {
        s->n = 0;
        dp_wsub_free(s);
    }
    for (unsigned t = 0; t <= FLOW_TABLE_MAX; t++) {
        conj_set_unref(cls->tables[t].conj);
        free(cls->tables[t].subs);
    }
    snic_hmap_fini(&cls->flows);
    snic_hmap_fini(&cls->subs);
    /* rules a worker's cache or a held snapshot still names stay until
     * their last reference */
    dp_rule_pool_orphan(cls->rules);
    free(cls);
}

/* ---- writer indexes ---- */

static struct wflow *
find_flow(const struct dp_cls *cls, uint64_t id)
{
    struct wflow *f;

    SNIC_HMAP_FOR_EACH_WITH_HASH(f, node, snic_hash_flow_id(id), &cls->flows)
        if (f->rule->id == id)
            return f;
    return NULL;
}

static uint64_t
mask_hash(unsigned table, const struct flow_key *mask)
{
    return dp_hash_final(dp_key_hash(mask) ^ table);
}

static struct wsub *
find_sub(const struct dp_cls *cls, unsigned table, const struct flow_key *mask,
         uint64_t h)
{
    struct wsub *s;

    SNIC_HMAP_FOR_EACH_WITH_HASH(s, node, h, &cls->subs)
        if (s->table == table && memcmp(&s->mask, mask, sizeof(*mask)) == 0)
            return s;
    return NULL;
}

static void
mark_dirty(struct dp_cls *cls, struct wsub *s)
{
    struct wtable *wt = &cls->tables[s->table];

    s->dirty = true;
    if (!wt->dirty) {
        wt->dirty = true;
        cls->dirty[cls->n_dirty++] = s->table;
    }
}

/* The wsub of (table, mask), created empty (and dirty, so that publishing
 * sweeps it if it stays empty). NULL on ENOMEM. */
static struct wsub *
get_sub(struct dp_cls *cls, unsigned table, const struct flow_key *mask)
{
    uint64_t h = mask_hash(table, mask);
    struct wsub *s = find_sub(cls, table, mask, h);
    struct wtable *wt = &cls->tables[table];

    if (s != NULL)
        return s;
    if (snic_hmap_reserve(&cls->subs, snic_hmap_count(&cls->subs) + 1) < 0)
        return NULL;
    if (wt->n == wt->cap) {
        size_t cap = wt->cap ? wt->cap * 2 : 4;
        struct wsub **v = realloc(wt->subs, cap * sizeof(*v));

        if (v == NULL)
            return NULL;
        wt->subs = v;
        wt->cap = cap;
    }
    s = dp_wsub_new(table, mask);
    if (s == NULL)
        return NULL;
    snic_hmap_insert(&cls->subs, &s->node, h);
    s->tidx = wt->n;
    wt->subs[wt->n++] = s;
    mark_dirty(cls, s);
    return s;
}

/* ---- staging ---- */

/* A whole number of cache lines, line-aligned, so the header and first
 * actions share the first line (dp_rule_pool.c). */
static size_t
rule_alloc_size(const struct dp_rule *r)
{
    return (dp_rule_bytes(r) + 63) & ~(size_t)63;
}

/* A rule for flow @f, whose match @m is normalised. */
static struct dp_rule *
rule_new(struct dp_cls *cls, uint64_t id, const struct flow *f,
         const struct flow_match *m, uint32_t slot)
{
    uint64_t value[DP_KEY_WORDS], mask[DP_KEY_WORDS];
    bool conj = flow_actions_are_conjunction(f->actions, f->n_actions);
    unsigned n = 0;
    uint64_t map = 0;
    struct dp_rule *r;
    uint64_t *words;
    size_t size;

    dp_key_words(&m->value, value);
    dp_key_words(&m->mask, mask);
    for (unsigned i = 0; i < DP_KEY_WORDS; i++)
        if (mask[i] != 0) {
            map |= 1ull << i;
            n++;
        }
    size = dp_rule_size(f->n_actions, n, conj);
    r = dp_rule_pool_alloc(cls->rules, size);
    if (r == NULL)
        return NULL;
    if ((uintptr_t)r >> DP_SLOT_PTR_BITS != 0) {
        /* a slot could not hold its address (dp_cls_priv.h) */
        dp_rule_pool_free(r, size);
        errno = ENOMEM;
        return NULL;
    }
    r->id = id;
    r->slot = slot;
    r->refcnt = 1;
    r->priority = f->priority;
    r->table_id = f->table_id;
    r->n_actions = f->n_actions;
    r->lone_output = f->n_actions == 1
                     && f->actions[0].type == FLOW_ACT_OUTPUT
                     && !flow_port_is_reserved(f->actions[0].u.port);
    r->whole_normal = f->n_actions == 1
                      && f->actions[0].type == FLOW_ACT_OUTPUT
                      && f->actions[0].u.port == FLOW_PORT_NORMAL;
    r->n_match_words = (uint8_t)n;
    memset(r->pad, 0, sizeof(r->pad));
    memcpy(r->actions, f->actions, f->n_actions * sizeof(r->actions[0]));
    words = (uint64_t *)(void *)&r->actions[r->n_actions];
    for (unsigned j = 0, i = 0; i < DP_KEY_WORDS; i++) {
        if (mask[i] == 0)
            continue;
        /* masked as a gathered key word is, so that the slot's words
         * and hash are these */
        words[j] = value[i] & mask[i];
        if (conj)
            words[n + j] = mask[i];
        j++;
    }
    if (conj)
        words[2 * n] = map;
    return r;
}

/* What @wf's rule's actions mean for its table (struct ctable). */
static void
wflow_props(struct wflow *wf)
{
    const struct dp_rule *r = wf->rule;
    unsigned fan = 0;

    wf->props = dp_rule_is_conj(r) ? DP_WF_CONJ : 0;
    for (unsigned k = 0; k < r->n_actions; k++) {
        const struct flow_action *a = &r->actions[k];

        /* learn's specs may read registers too; ct() reads a zone
         * register and sets ct_* for the tables after it; ct_clear
         * zeroes them */
        if (a->type == FLOW_ACT_LOAD || a->type == FLOW_ACT_MOVE
            || a->type == FLOW_ACT_OUTPUT_REG || a->type == FLOW_ACT_LEARN
            || a->type == FLOW_ACT_CT || a->type == FLOW_ACT_CT_CLEAR
            || a->type == FLOW_ACT_CHECK_PKT_LARGER
            || a->type == FLOW_ACT_MULTIPATH || a->type == FLOW_ACT_BUNDLE
            || a->type == FLOW_ACT_STACK_PUSH || a->type == FLOW_ACT_STACK_POP)
            wf->props |= DP_WF_META;
        if (a->type == FLOW_ACT_GOTO_TABLE)
            fan++;
        if (a->type == FLOW_ACT_PUSH_MPLS || a->type == FLOW_ACT_POP_MPLS
            || a->type == FLOW_ACT_DECAP || a->type == FLOW_ACT_ENCAP)
            wf->props |= DP_WF_FAILS;
        if (a->type != FLOW_ACT_RESUBMIT)
            continue;
        fan++;
        if (a->u.resubmit.table == FLOW_RESUBMIT_TABLE_SAME
            || a->u.resubmit.table <= r->table_id)
            wf->props |= DP_WF_BACK;
    }
    wf->fan = (uint8_t)fan;
}

int
dp_cls_put(struct dp_cls *cls, uint64_t id, const struct flow *f,
           uint32_t slot)
{
    struct wflow *wf = find_flow(cls, id), *fresh = NULL;
    struct flow_match m;
    struct dp_rule *r;
    struct wsub *s;

    if (f->table_id > FLOW_TABLE_MAX || f->n_actions > FLOW_MAX_ACTIONS)
        return -EINVAL;
    m = f->match;
    flow_match_normalise(&m);
    flow_match_imply_eth(&m);
    r = rule_new(cls, id, f, &m, slot);
    if (r == NULL)
        goto err_rule;
    s = get_sub(cls, f->table_id, &m.mask);
    if (s == NULL || dp_wsub_reserve(s, wf != NULL ? wf->sub : NULL) < 0)
        goto err_sub;
    if (wf == NULL) {
        if (snic_hmap_reserve(&cls->flows,
                              snic_hmap_count(&cls->flows) + 1) < 0)
            goto err_sub;
        fresh = dp_rule_pool_alloc(cls->rules, sizeof(*fresh));
        if (fresh == NULL)
            goto err_sub;
        memset(fresh, 0, sizeof(*fresh));
    }

    /* nothing fails from here on */
    if (wf == NULL) {
        wf = fresh;
        snic_hmap_insert(&cls->flows, &wf->node, snic_hash_flow_id(id));
    } else if (wf->sub == s && wf->rule->priority == r->priority
               && dp_rule_match_same(wf->rule, r)) {
        /* the same match and priority: new actions in the same place */
        struct dp_rule *old = wf->rule;
        struct wflow props = { .rule = r };

        wflow_props(&props);
        dp_wsub_replace(wf, r, props.props, props.fan);
        dp_rule_unref(old);
        mark_dirty(cls, s);
        return 0;
    } else {
        mark_dirty(cls, wf->sub);
        dp_wsub_unlink(wf);             /* keys the old rule's group */
        dp_rule_unref(wf->rule);
    }
    wf->rule = r;
    wflow_props(wf);
    dp_wsub_link(s, wf);
    mark_dirty(cls, s);
    return 0;

err_sub:
    /* an empty wsub left behind is swept by the next publish */
    dp_rule_pool_free(r, dp_rule_bytes(r));
err_rule:
    return -ENOMEM;
}

int64_t
dp_cls_del(struct dp_cls *cls, uint64_t id)
{
    struct wflow *f = find_flow(cls, id);
    uint32_t slot;

    if (f == NULL)
        return -ENOENT;
    /* room for the key of its group */
    if (dp_wsub_reserve(f->sub, NULL) < 0)
        return -ENOMEM;
    snic_hmap_remove(&cls->flows, &f->node);
    mark_dirty(cls, f->sub);
    dp_wsub_unlink(f);
    slot = f->rule->slot;
    dp_rule_unref(f->rule);
    dp_rule_pool_free(f, sizeof(*f));
    return slot;
}

/* A table's wsubs go whole: their flows leave the index, the rules lose
 * the wflows' references, and the table is dirty with no wsub, so the
 * next publish builds it empty and drops its clause-flow set. */
static size_t
table_clear(struct dp_cls *cls, unsigned t, bool in_index,
            void (*fn)(void *ctx, uint64_t id, uint32_t slot), void *ctx)
{
    struct wtable *wt = &cls->tables[t];
    size_t n = 0;

    for (size_t i = 0; i < wt->n; i++) {
        struct wsub *s = wt->subs[i];

        for (size_t k = 0; k < s->n; k++) {
            struct wflow *f = s->flows[k];

            fn(ctx, f->rule->id, f->rule->slot);
            if (in_index)
                snic_hmap_remove(&cls->flows, &f->node);
            dp_rule_unref(f->rule);
            dp_rule_pool_free(f, sizeof(*f));
        }
        n += s->n;
        s->n = 0;
        snic_hmap_remove(&cls->subs, &s->node);
        dp_wsub_free(s);
    }
    wt->n = 0;
    if (!wt->dirty) {
        wt->dirty = true;
        cls->dirty[cls->n_dirty++] = (uint8_t)t;
    }
    return n;
}

size_t
dp_cls_clear(struct dp_cls *cls, unsigned table_id,
             void (*fn)(void *ctx, uint64_t id, uint32_t slot), void *ctx)
{
    size_t n = 0;
    bool whole = true;

    if (table_id != FLOW_TABLE_ALL && (table_id > FLOW_TABLE_MAX ||
                                       cls->tables[table_id].n == 0))
        return 0;
    /* every flow leaving: the id index goes whole, not a removal (a cache
     * miss) a flow */
    for (unsigned t = 0; t <= FLOW_TABLE_MAX && table_id != FLOW_TABLE_ALL;
         t++)
        whole &= t == table_id || cls->tables[t].n == 0;
    if (whole)
        snic_hmap_clear(&cls->flows);
    for (unsigned t = 0; t <= FLOW_TABLE_MAX; t++)
        if ((table_id == FLOW_TABLE_ALL || t == table_id) &&
            cls->tables[t].n > 0)
            n += table_clear(cls, t, !whole, fn, ctx);
    return n;
}

int64_t
dp_cls_slot(const struct dp_cls *cls, uint64_t id)
{
    const struct wflow *f = find_flow(cls, id);

    return f ? (int64_t)f->rule->slot : -ENOENT;
}

size_t
dp_cls_count(const struct dp_cls *cls)
{
    return snic_hmap_count(&cls->flows);
}

void
dp_cls_get_stats(const struct dp_cls *cls, struct dp_cls_stats *st)
{
    *st = cls->stats;
}

void
dp_cls_get_mem(const struct dp_cls *cls, struct dp_cls_mem *m)
{
    const struct wflow *f;
    const struct wsub *s;

    memset(m, 0, sizeof(*m));
    m->flows = snic_hmap_count(&cls->flows);
    m->wflow_bytes = m->flows * sizeof(*f);
    m->index_bytes = snic_hmap_bytes(&cls->flows)
                     + snic_hmap_bytes(&cls->subs);
    SNIC_HMAP_FOR_EACH(f, node, &cls->flows)
        m->rule_bytes += rule_alloc_size(f->rule);
    SNIC_HMAP_FOR_EACH(s, node, &cls->subs)
        dp_wsub_mem(s, m);
}

size_t
dp_cls_n_subtables(const struct dp_cls *cls)
{
    return dp_cls_snap_get(cls)->n_subtables;
}

/* ---- publishing ---- */

static int
by_max_priority(const void *pa, const void *pb)
{
    const struct subtable *a = *(struct subtable *const *)pa;
    const struct subtable *b = *(struct subtable *const *)pb;

    return (int)b->max_priority - (int)a->max_priority;
}

/*
 * Whether an exact-match cache in front of @ct saves work whatever the
 * traffic. Its price is a hash and a compare of the whole key; a lookup's
 * is, per subtable probed, a hash of the mask's non-zero words and a
 * probe. Count the subtables a hit in the first one can still have to
 * probe (the early exit stops at a subtable whose maximum is below the
 * hit's priority): a table of exact flows over a catch-all costs a few
 * words, less than the cache itself. This is the cheapest a lookup can
 * be; traffic that falls through the first subtables makes it dearer,
 * which the workers measure (dp_path.c, emc_use()).
 */

static bool
emc_pays(const struct ctable *ct)
{
    unsigned words;

    if (ct->n == 0)
        return false;
    words = ct->subs[0]->n_idx + 1u;
    for (uint32_t i = 1; i < ct->n; i++)
        if (ct->subs[i]->max_priority >= ct->subs[0]->min_priority)
            words += ct->subs[i]->n_idx + 1u;
    return words > DP_EMC_MIN_WORDS;
}

/* What a table's flows mean for the exact-match cache and the resubmit
 * limits (struct ctable), from its wsubs' counts: whether a mask covers
 * the pipeline metadata, the most lookups one flow's actions start, and
 * whether one may loop. */
static void
ctable_scan(const struct wtable *wt, struct ctable *ct, bool *meta)
{
    *meta = false;
    ct->fan = 0;
    ct->back = false;
    ct->fails = false;
    ct->meta = false;
    for (size_t i = 0; i < wt->n; i++) {
        const struct wsub *s = wt->subs[i];

        *meta |= s->meta_mask;
        ct->meta |= s->meta_mask || s->n_meta > 0;
        ct->back |= s->n_back > 0;
        ct->fails |= s->n_fails > 0;
        for (unsigned f = FLOW_MAX_ACTIONS; f > ct->fan; f--)
            if (s->fan_cnt[f] > 0) {
                ct->fan = (uint8_t)f;
                break;
            }
    }
}

/* Can a packet under @snap pass the resubmit limits? Without a loop the
 * lookups of one packet are bounded by the fan-out of each table times
 * the most any later table can start. */
static bool
resubmit_check(const struct dp_cls_snap *snap)
{
    uint64_t most_after = 0;    /* lookups a later table can start */

    for (int t = FLOW_TABLE_MAX; t >= 0; t--) {
        const struct ctable *ct = snap->tables[t];
        uint64_t here;

        if (ct == NULL)
            continue;
        if (ct->back || ct->fails)
            return true;
        here = (uint64_t)ct->fan * (1 + most_after);
        if (here >= FLOW_RESUBMIT_MAX)
            return true;
        if (here > most_after)
            most_after = here;
    }
    return false;
}

/* A clause flow's place in the order of rules (dp_rule_better), kept
 * apart so that sorting thousands of them touches no rule. */
struct conj_key {
    uint64_t id;
    uint32_t idx;               /* in the gathered entries */
    uint16_t priority;
};

static int
conj_key_order(const void *pa, const void *pb)
{
    const struct conj_key *a = pa, *b = pb;

    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Table @wt's clause flows, gathered from its wsubs and sorted, into
 * *out (NULL when it has none); the set holds its references. */
static int
conj_gather(const struct wtable *wt, struct dp_conj_set **out)
{
    struct dp_conj_set *cs;
    struct dp_conj *v = NULL;
    struct conj_key *key = NULL;
    uint32_t *pos = NULL, n = 0;
    size_t max = 0;

    *out = NULL;
    for (size_t i = 0; i < wt->n; i++)
        max += wt->subs[i]->n_conj;
    if (max == 0)
        return 0;
    cs = malloc(sizeof(*cs) + max * sizeof(cs->v[0]));
    v = malloc(max * sizeof(*v));
    key = malloc(max * sizeof(*key));
    pos = malloc(max * sizeof(*pos));
    if (cs == NULL || v == NULL || key == NULL || pos == NULL)
        goto err;
    for (size_t i = 0; i < wt->n; i++)
        dp_wsub_conj(wt->subs[i], v, &n);
    for (uint32_t i = 0; i < n; i++) {
        key[i].id = v[i].r->id;
        key[i].priority = v[i].r->priority;
        key[i].idx = i;
    }
    /* highest priority first, then the oldest id; next_conj follows
     * its entry to its new place */
    qsort(key, n, sizeof(*key), conj_key_order);
    for (uint32_t i = 0; i < n; i++)
        pos[key[i].idx] = i;
    for (uint32_t i = 0; i < n; i++) {
        struct dp_conj *c = &cs->v[i];

        *c = v[key[i].idx];
        if (c->next_conj >= 0)
            c->next_conj = (int32_t)pos[c->next_conj];
    }
    cs->refcnt = 1;
    cs->n = n;
    free(pos);
    free(key);
    free(v);
    /* nothing fails from here on */
    for (uint32_t i = 0; i < cs->n; i++) {
        ((struct dp_rule *)cs->v[i].r)->refcnt++;
        if (cs->v[i].next != NULL)
            ((struct dp_rule *)cs->v[i].next)->refcnt++;
    }
    *out = cs;
    return 0;

err:
    free(pos);
    free(key);
    free(v);
    free(cs);
    return -ENOMEM;
}

/* @ct's clause flows (struct ctable): those last published while no list
 * of identical matches holding one changed (O(1)), else gathered again.
 * The ctable holds a reference to its set. */
static int
ctable_conj(struct dp_cls *cls, struct wtable *wt, struct ctable *ct)
{
    struct dp_conj_set *cs = wt->conj;
    bool again = false;

    for (size_t i = 0; i < wt->n; i++)
        again |= wt->subs[i]->conj_dirty;
    if (again && conj_gather(wt, &cs) < 0)
        return -ENOMEM;
    cls->stats.conj_gathered += again;
    if (!again && cs != NULL)
        cs->refcnt++;
    wt->next_conj = cs;
    ct->conj_set = cs;
    ct->conj = cs != NULL ? cs->v : NULL;
    ct->n_conj = cs != NULL ? cs->n : 0;
    return 0;
}

/* Build table @t's next ctable into *out (NULL when empty). */
static int
ctable_build(struct dp_cls *cls, unsigned t, struct ctable **out)
{
    struct wtable *wt = &cls->tables[t];
    struct ctable *ct;
    uint32_t n = 0;
    bool meta;

    *out = NULL;
    wt->next_conj = NULL;           /* an empty table has none */
    for (size_t i = 0; i < wt->n; i++) {
        struct wsub *s = wt->subs[i];

        int rc = dp_wsub_prepare(s, cls->qsbr);

        if (rc < 0)
            return -ENOMEM;
        cls->stats.copies_built += rc == 1;
        cls->stats.copies_synced += s->next_is_spare;
        n += s->next_pub != NULL;
    }
    if (n == 0)
        return 0;
    ct = malloc(sizeof(*ct) + n * sizeof(ct->subs[0]));
    if (ct == NULL)
        return -ENOMEM;
    ct->refcnt = 1;
    ct->n = 0;
    ct->conj_set = NULL;
    if (ctable_conj(cls, wt, ct) < 0) {
        free(ct);
        return -ENOMEM;
    }
    for (size_t i = 0; i < wt->n; i++)
        if (wt->subs[i]->next_pub != NULL)
            ct->subs[ct->n++] = wt->subs[i]->next_pub;
    qsort(ct->subs, ct->n, sizeof(ct->subs[0]), by_max_priority);
    ctable_scan(wt, ct, &meta);
    ct->emc = emc_pays(ct) && !meta;
    ct->emc_exact = !meta;
    if (dp_ctable_shape(ct) < 0) {
        conj_free(ct);
        free(ct);
        return -ENOMEM;
    }
    *out = ct;
    return 0;
}

/* Undo ctable_build() of table @t. */
static void
ctable_unbuild(struct dp_cls *cls, unsigned t, struct ctable *ct)
{
    struct wtable *wt = &cls->tables[t];

    for (size_t i = 0; i < wt->n; i++)
        dp_wsub_unprepare(wt->subs[i]);
    wt->next_conj = wt->conj;
    if (ct != NULL) {
        conj_free(ct);
        dp_ctable_shape_free(ct);
    }
    free(ct);
}

static void
sub_free(struct dp_cls *cls, struct wsub *s)
{
    struct wtable *wt = &cls->tables[s->table];

    snic_hmap_remove(&cls->subs, &s->node);
    wt->subs[s->tidx] = wt->subs[--wt->n];
    wt->subs[s->tidx]->tidx = s->tidx;
    dp_wsub_free(s);
}

/* Table @t's new ctable is in place: the wsubs adopt their next copies;
 * empty ones are swept. */
static void
table_commit(struct dp_cls *cls, unsigned t)
{
    struct wtable *wt = &cls->tables[t];
    size_t i = 0;

    /* the new ctable's clause flows are the ones the next one shares */
    if (wt->next_conj != wt->conj) {
        conj_set_unref(wt->conj);
        wt->conj = wt->next_conj;
        if (wt->conj != NULL)
            wt->conj->refcnt++;
    }
    while (i < wt->n) {
        struct wsub *s = wt->subs[i];

        s->conj_dirty = false;
        dp_wsub_adopt(s);
        if (s->n == 0) {
            sub_free(cls, s);           /* the last one moved into i */
            continue;
        }
        i++;
    }
    wt->dirty = false;
}

int
dp_cls_publish(struct dp_cls *cls)
{
    struct dp_cls_snap *old = __atomic_load_n(&cls->snap, __ATOMIC_SEQ_CST);
    struct dp_cls_snap *snap;
    struct ctable *built[FLOW_TABLE_MAX + 1];
    size_t done = 0;
    int rc = -ENOMEM;

    if (cls->n_dirty == 0)
        return 0;
    snap = malloc(sizeof(*snap));
    if (snap == NULL)
        return -ENOMEM;
    for (done = 0; done < cls->n_dirty; done++) {
        unsigned t = cls->dirty[done];

        rc = ctable_build(cls, t, &built[done]);
        if (rc < 0) {
            ctable_unbuild(cls, t, NULL);
            goto err_build;
        }
    }

    /* nothing fails from here on */
    *snap = *old;
    snap->version = ++cls->version;
    for (unsigned t = 0; t <= FLOW_TABLE_MAX; t++)
        if (snap->tables[t] != NULL)
            snap->tables[t]->refcnt++;
    for (size_t i = 0; i < cls->n_dirty; i++) {
        unsigned t = cls->dirty[i];

        ctable_unref(snap->tables[t]);  /* old still holds its own */
        snap->tables[t] = built[i];
        table_commit(cls, t);
    }
    cls->n_dirty = 0;
    snap->n_subtables = 0;
    for (unsigned t = 0; t <= FLOW_TABLE_MAX; t++)
        if (snap->tables[t] != NULL)
            snap->n_subtables += snap->tables[t]->n;
    snap->resubmit_check = resubmit_check(snap);
    snap->uses_meta = false;
    for (unsigned t = 0; t <= FLOW_TABLE_MAX; t++)
        if (snap->tables[t] != NULL && snap->tables[t]->meta)
            snap->uses_meta = true;
    __atomic_store_n(&cls->snap, snap, __ATOMIC_RELEASE);
    if (dp_qsbr_defer(cls->qsbr, snap_release, old) < 0) {
        /* no memory to queue it: wait for the grace period instead */
        dp_qsbr_synchronize(cls->qsbr);
        snap_release(old);
    }
    return 0;

err_build:
    while (done-- > 0)
        ctable_unbuild(cls, cls->dirty[done], built[done]);
    free(snap);
    return rc;
}
