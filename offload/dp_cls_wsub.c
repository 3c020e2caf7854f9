/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier writer's state for one (table, mask): groups of
 * identical matches, and the two copies of the published subtable that
 * take turns (dp_cls_wsub.h says why). Control thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "dp_cls_wsub.h"
#include "snic_clock.h"
#include "snic_populate.h"
#include "snic_zmap.h"

/* How long a publish waits for the readers to let go of a large spare
 * before it builds a new copy instead. Workers quiesce between bursts
 * (microseconds); a reader that holds on longer costs an O(N) copy, never
 * correctness. */
#define SPARE_WAIT_NS       2000000ull
#define SPARE_WAIT_MIN      1024u       /* slots: below, copying is cheaper */

/* ---- slot arrays ---- */

/* @st's slots, zeroed: 0 or -ENOMEM. A copy's slots are written all
 * over (load <= 1/2, slots of 40+ bytes: every page has some), so they
 * are made resident at once instead of a page fault per page as the copy
 * fills it (snic_populate.h, #13); from SNIC_HUGE_PAGE up, in a mapping
 * of their own with transparent huge pages (snic_zmap.h): a copy of
 * 100,000 groups (12 MB) costs 1-2 ms to make resident instead of 8-14,
 * and a lookup in it misses the TLB far less. */
static size_t
slots_bytes(const struct subtable *st)
{
    return (st->slot_mask + 1) * st->stride * sizeof(uint64_t);
}

static int
slots_alloc(struct subtable *st)
{
    size_t size = slots_bytes(st);

    if (size >= SNIC_HUGE_PAGE) {
        st->slots = snic_zmap_huge(size);
        return st->slots != NULL ? 0 : -ENOMEM;
    }
    st->slots = calloc(1, size);
    if (st->slots == NULL)
        return -ENOMEM;
    snic_populate(st->slots, size);
    return 0;
}

static void
slots_free(struct subtable *st)
{
    size_t size = slots_bytes(st);

    if (size >= SNIC_HUGE_PAGE)
        snic_zunmap(st->slots, size);
    else
        free(st->slots);
}

/* ---- references ---- */

void
dp_rule_unref(const struct dp_rule *cr)
{
    struct dp_rule *r = (struct dp_rule *)cr;

    if (--r->refcnt == 0)
        dp_rule_pool_free(r, dp_rule_bytes(r));
}

static void
rule_ref(const struct dp_rule *r)
{
    ((struct dp_rule *)r)->refcnt++;
}

void
dp_subtable_unref(struct subtable *st)
{
    if (--st->refcnt > 0)
        return;
    /* a rule's free is a push on its pool's list (dp_rule_pool.c): no
     * order to keep, unlike glibc's free() of blocks far apart */
    for (size_t i = 0; i <= st->slot_mask; i++) {
        const uint64_t *slot = dp_subtable_slot(st, i);

        if (!dp_slot_empty(slot))
            dp_rule_unref(dp_slot_rule(slot));
    }
    slots_free(st);
    free(st);
}

/* ---- creation ---- */

struct wsub *
dp_wsub_new(unsigned table, const struct flow_key *mask)
{
    struct wsub *s = calloc(1, sizeof(*s));
    const uint8_t *mk = (const uint8_t *)&mask->meta;

    if (s == NULL)
        return NULL;
    s->table = (uint8_t)table;
    s->mask = *mask;
    for (unsigned i = 0; i < DP_KEY_WORDS; i++) {
        s->lay.mask[i] = dp_key_word(mask, i);
        if (s->lay.mask[i] != 0)
            s->lay.idx[s->lay.n_idx++] = (uint8_t)i;
    }
    s->lay.stride = (uint8_t)(DP_SLOT_HDR + s->lay.n_idx);
    for (size_t b = 0; b < sizeof(mask->meta); b++)
        s->meta_mask |= mk[b] != 0;
    snic_hmap_init(&s->groups);
    snic_hmap_init(&s->prios);
    return s;
}

static void
keys_drop(struct dp_rule **v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        dp_rule_unref(v[i]);
    *n = 0;
}

void
dp_wsub_free(struct wsub *s)
{
    struct wprio *p;

    if (s == NULL)
        return;
    if (s->spare != NULL)
        dp_subtable_unref(s->spare);
    keys_drop(s->lag, &s->n_lag);
    keys_drop(s->chg, &s->n_chg);
    free(s->lag);
    free(s->chg);
    SNIC_HMAP_FOR_EACH_SAFE(p, node, &s->prios)
        free(p);
    snic_hmap_fini(&s->prios);
    snic_hmap_fini(&s->groups);
    free(s->prio_free[0]);
    free(s->prio_free[1]);
    free(s->flows);
    free(s);
}

/* ---- groups ---- */

/* The groups map hashes by the tag's high bits (its low ones are the
 * priority's place). */
static uint64_t
group_hash(uint64_t h)
{
    return h >> DP_TAG_PRIO_BITS;
}

static struct wflow *
group_find(const struct wsub *s, uint64_t h, const struct dp_rule *r)
{
    struct wflow *g;

    SNIC_HMAP_FOR_EACH_WITH_HASH(g, gnode, group_hash(h), &s->groups)
        if (dp_rule_match_same(g->rule, r))
            return g;
    return NULL;
}

static struct wprio *
prio_find(const struct wsub *s, uint16_t prio)
{
    struct wprio *p;

    SNIC_HMAP_FOR_EACH_WITH_HASH(p, node, prio, &s->prios)
        if (p->prio == prio)
            return p;
    return NULL;
}

static void
head_enter(struct wsub *s, struct wflow *wf, uint64_t h)
{
    struct wprio *p = prio_find(s, wf->rule->priority);

    wf->head = true;
    snic_hmap_insert(&s->groups, &wf->gnode, group_hash(h));
    if (p == NULL) {
        /* dp_wsub_reserve() kept one */
        unsigned i = s->prio_free[0] != NULL ? 0 : 1;

        p = s->prio_free[i];
        s->prio_free[i] = NULL;
        p->prio = wf->rule->priority;
        p->count = 0;
        snic_hmap_insert(&s->prios, &p->node, p->prio);
    }
    p->count++;
    s->n_head_conj += (wf->props & DP_WF_CONJ) != 0;
}

static void
head_leave(struct wsub *s, struct wflow *wf)
{
    struct wprio *p = prio_find(s, wf->rule->priority);

    wf->head = false;
    snic_hmap_remove(&s->groups, &wf->gnode);
    if (--p->count == 0) {
        snic_hmap_remove(&s->prios, &p->node);
        if (s->prio_free[0] == NULL)
            s->prio_free[0] = p;
        else if (s->prio_free[1] == NULL)
            s->prio_free[1] = p;
        else
            free(p);
    }
    s->n_head_conj -= (wf->props & DP_WF_CONJ) != 0;
}

/* The group of @r changed: a key for both copies (reserved). */
static void
key_push(struct wsub *s, const struct dp_rule *r)
{
    rule_ref(r);
    s->chg[s->n_chg++] = (struct dp_rule *)r;
}

static int
grow_keys(struct dp_rule ***v, size_t *cap, size_t want)
{
    size_t c = *cap ? *cap : 8;
    struct dp_rule **nv;

    if (want <= *cap)
        return 0;
    while (c < want)
        c *= 2;
    nv = realloc(*v, c * sizeof(*nv));
    if (nv == NULL)
        return -ENOMEM;
    *v = nv;
    *cap = c;
    return 0;
}

static int
grow_flows(struct wsub *s)
{
    size_t c = s->cap ? s->cap * 2 : 8;
    struct wflow **nv;

    if (s->n < s->cap)
        return 0;
    nv = realloc(s->flows, c * sizeof(*nv));
    if (nv == NULL)
        return -ENOMEM;
    s->flows = nv;
    s->cap = c;
    return 0;
}

/* Nodes for @n priorities new to the map (at most 2). */
static int
prio_reserve(struct wsub *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (s->prio_free[i] == NULL) {
            s->prio_free[i] = malloc(sizeof(*s->prio_free[i]));
            if (s->prio_free[i] == NULL)
                return -ENOMEM;
        }
    return 0;
}

int
dp_wsub_reserve(struct wsub *s, struct wsub *from)
{
    size_t keys = s->n_chg + 2;     /* leaving s and joining it again */

    /* a flow leaving its group's lead hands it to the next, whose
     * priority may be new to the map */
    if (from != NULL && from != s
        && (grow_keys(&from->chg, &from->cap_chg, from->n_chg + 1) < 0
            || prio_reserve(from, 1) < 0))
        return -ENOMEM;
    if (grow_keys(&s->chg, &s->cap_chg, keys) < 0 || grow_flows(s) < 0
        || snic_hmap_reserve(&s->groups,
                             snic_hmap_count(&s->groups) + 1) < 0)
        return -ENOMEM;
    /* leaving (the next one leads) and joining again: two at most */
    return prio_reserve(s, 2);
}

static void
props_count(struct wsub *s, const struct wflow *wf, int d)
{
    s->n_back += (size_t)(d * !!(wf->props & DP_WF_BACK));
    s->n_fails += (size_t)(d * !!(wf->props & DP_WF_FAILS));
    s->n_meta += (size_t)(d * !!(wf->props & DP_WF_META));
    s->n_conj += (size_t)(d * !!(wf->props & DP_WF_CONJ));
    s->fan_cnt[wf->fan] += (uint32_t)d;
}

static bool
is_conj(const struct wflow *wf)
{
    return wf != NULL && (wf->props & DP_WF_CONJ) != 0;
}

void
dp_wsub_link(struct wsub *s, struct wflow *wf)
{
    uint64_t h = dp_rule_hash(wf->rule);
    struct wflow *g = group_find(s, h, wf->rule);

    /* the table's clause flows change only where a list of identical
     * matches is or becomes headed by one */
    if (is_conj(wf) || is_conj(g))
        s->conj_dirty = true;
    wf->sub = s;
    wf->idx = (uint32_t)s->n;
    s->flows[s->n++] = wf;
    props_count(s, wf, 1);
    if (g == NULL) {
        wf->same = NULL;
        head_enter(s, wf, h);
        key_push(s, wf->rule);
    } else if (dp_rule_better(wf->rule, g->rule)) {
        head_leave(s, g);
        wf->same = g;
        head_enter(s, wf, h);
        key_push(s, wf->rule);
    } else {
        /* behind the best: the slot does not change */
        while (g->same != NULL && !dp_rule_better(wf->rule, g->same->rule))
            g = g->same;
        wf->head = false;
        wf->same = g->same;
        g->same = wf;
    }
}

void
dp_wsub_unlink(struct wflow *wf)
{
    struct wsub *s = wf->sub;

    s->flows[wf->idx] = s->flows[--s->n];
    s->flows[wf->idx]->idx = wf->idx;
    props_count(s, wf, -1);
    if (wf->head) {
        struct wflow *next = wf->same;

        if (is_conj(wf) || is_conj(next))
            s->conj_dirty = true;
        head_leave(s, wf);
        if (next != NULL)
            head_enter(s, next, dp_rule_hash(next->rule));
        key_push(s, wf->rule);
    } else {
        struct wflow *g = group_find(s, dp_rule_hash(wf->rule), wf->rule);

        if (is_conj(g))
            s->conj_dirty = true;
        while (g->same != wf)
            g = g->same;
        g->same = wf->same;
    }
    wf->same = NULL;
    wf->sub = NULL;
}

/* A flow's place among the flows of its group, and its group's in the
 * groups' map, depend only on its match and priority (and its id, which
 * does not change): a new rule with both the same takes the old one's
 * place. An unlink and a link would look the group up twice and remove
 * and insert its entry in the map, cache misses in a map of a million
 * groups, for the place it already has (#13: a fifth of the classifier's
 * time in a modify of every flow). */
void
dp_wsub_replace(struct wflow *wf, struct dp_rule *r, uint8_t props,
                uint8_t fan)
{
    struct wsub *s = wf->sub;

    /* a clause flow's list of identical matches names the rules of the
     * group after it (dp_wsub_conj): redone when one is in the wsub */
    if (is_conj(wf) || (props & DP_WF_CONJ) || s->n_head_conj > 0)
        s->conj_dirty = true;
    props_count(s, wf, -1);
    s->n_head_conj -= wf->head && is_conj(wf);
    wf->rule = r;
    wf->props = props;
    wf->fan = fan;
    props_count(s, wf, 1);
    s->n_head_conj += wf->head && is_conj(wf);
    /* the group's slot holds its best rule: this one when it is the best */
    if (wf->head)
        key_push(s, r);
}

/* ---- clause flows ---- */

void
dp_wsub_conj(const struct wsub *s, struct dp_conj *v, uint32_t *n)
{
    if (s->n_head_conj == 0)
        return;
    /* the flows' array, not the groups' map: its order is about the
     * order flows came in, which the caller's sort finds almost done */
    for (size_t i = 0; i < s->n; i++) {
        const struct wflow *g = s->flows[i];

        if (!g->head)
            continue;
        for (const struct wflow *w = g; is_conj(w); w = w->same) {
            struct dp_conj *c = &v[(*n)++];

            c->r = w->rule;
            c->head = w == g;
            c->next = w->same != NULL ? w->same->rule : NULL;
            c->next_conj = is_conj(w->same) ? (int32_t)*n : -1;
        }
    }
}

/* ---- copies ---- */

static size_t
pow2_at_least(size_t n)
{
    size_t p = 8;

    while (p < n)
        p *= 2;
    return p;
}

/* Narrow @st's filter (struct subtable) to what it shares with the
 * slot words @w of a rule it now holds. */
static void
filter_add(struct subtable *st, const uint64_t *w)
{
    for (unsigned j = 0; j < st->n_idx; j++) {
        if (!st->filt_init) {
            st->fmask[j] = st->mask[st->idx[j]];
        } else {
            st->fmask[j] &= ~(w[j] ^ st->fval[j]);
        }
        st->fval[j] = w[j] & st->fmask[j];
    }
    st->filt_init = true;
}

/* @st's filter from its slots alone (as precise as it can be); @st->one
 * set when a single rule is left. */
static void
filter_redo(struct subtable *st)
{
    st->filt_init = false;
    st->one = NULL;
    memset(st->fmask, 0, sizeof(st->fmask));
    memset(st->fval, 0, sizeof(st->fval));
    for (size_t i = 0; i <= st->slot_mask; i++) {
        const uint64_t *slot = dp_subtable_slot(st, i);

        if (dp_slot_empty(slot))
            continue;
        filter_add(st, &slot[DP_SLOT_HDR]);
        st->one = slot;
    }
    if (st->n_rules != 1)
        st->one = NULL;
}

/* The word a lookup checks first (struct subtable's fidx): where the
 * rules agree on the fewest bits short of all of them. */
static void
filter_pick(struct subtable *st)
{
    int best = -1, best_bits = 65;

    st->fidx = 0;
    st->fm = 0;
    st->fv = 0;
    for (unsigned j = 0; j < st->n_idx; j++) {
        int bits = __builtin_popcountll(st->fmask[j]);

        if (st->fmask[j] != 0 && st->fmask[j] != st->mask[st->idx[j]]
            && bits < best_bits) {
            best = (int)j;
            best_bits = bits;
        }
    }
    if (best < 0)
        return;
    st->fidx = st->idx[best];
    st->fm = st->fmask[best];
    st->fv = st->fval[best];
}

/* Slots of a copy up to which bringing it up to date recomputes its
 * filter (a few microseconds); a larger one only narrows it. */
#define FILTER_REDO_MAX     4096u

/* What a copy holds besides its slots, from the groups. */
static void
copy_summary(const struct wsub *s, struct subtable *st)
{
    const struct wprio *p;

    st->n_rules = snic_hmap_count(&s->groups);
    st->n_conj = s->n_head_conj;
    st->max_priority = 0;
    st->min_priority = UINT16_MAX;
    SNIC_HMAP_FOR_EACH(p, node, &s->prios) {
        if (p->prio > st->max_priority)
            st->max_priority = p->prio;
        if (p->prio < st->min_priority)
            st->min_priority = p->prio;
    }
    /* the slots' own filter is exact for a single rule (st->one) */
    if (st->slot_mask < FILTER_REDO_MAX || st->n_rules == 1)
        filter_redo(st);
    else
        st->one = NULL;
    filter_pick(st);
}

/* Slots are written into a new copy a few behind the one whose place is
 * being worked out, so that its home slot and its rule (whose reference
 * count the copy takes) are fetched meanwhile instead of two cache misses
 * one after the other: a copy of 100,000 groups is 12 MB and its rules
 * as much. The build that ends a restart's replay of 100,000 flows went
 * from 27 to 20 ms (dp_setup_bench 100000 100000, #13). The slots are
 * written in the order they were pushed. */
#define PLACE_AHEAD         8u

struct placer {
    struct subtable *st;
    size_t n;                       /* pushed so far */
    struct placed {
        const uint64_t *w;          /* the slot's words */
        const struct dp_rule *r;
        size_t pos;                 /* where its probe starts */
    } q[PLACE_AHEAD];
};

/* Write @p into the first free slot of its probe run (one per group). */
static void
place_now(struct subtable *st, const struct placed *p)
{
    size_t pos = p->pos;
    uint64_t *slot;

    while (!dp_slot_empty(slot = dp_subtable_slot(st, pos)))
        pos++;
    slot[0] = dp_slot_make(p->r);
    memcpy(&slot[DP_SLOT_HDR], p->w, st->n_idx * sizeof(p->w[0]));
    filter_add(st, p->w);
    rule_ref(p->r);
}

static void
place_push(struct placer *pl, const struct dp_rule *r, const uint64_t *w,
           size_t pos)
{
    struct placed *p = &pl->q[pl->n++ % PLACE_AHEAD];

    if (pl->n > PLACE_AHEAD)
        place_now(pl->st, p);
    __builtin_prefetch(dp_subtable_slot(pl->st, pos), 1);
    __builtin_prefetch(r, 1);
    *p = (struct placed){ .w = w, .r = r, .pos = pos };
}

static void
place_drain(struct placer *pl)
{
    size_t left = pl->n < PLACE_AHEAD ? pl->n : PLACE_AHEAD;

    for (size_t i = pl->n - left; i < pl->n; i++)
        place_now(pl->st, &pl->q[i % PLACE_AHEAD]);
    pl->n = 0;
}

/* A new copy (refcnt 1) holding each group's best; NULL on ENOMEM.
 * The groups' best are found by walking the flows' array, not the
 * groups' map: the array is in the order the flows came, which is the
 * order their records and rules were carved from the pool, so a copy
 * built from a table loaded at once (a restart's journal, #13) reads
 * them in sequence instead of a cache miss each. Where a group's slot
 * lands in its probe run does not change what a lookup finds. */
static struct subtable *
copy_build(const struct wsub *s)
{
    struct subtable *st = malloc(sizeof(*st));
    struct placer pl;

    if (st == NULL)
        return NULL;
    *st = s->lay;
    st->slot_mask = pow2_at_least(snic_hmap_count(&s->groups) * 2) - 1;
    if (slots_alloc(st) < 0) {
        free(st);
        return NULL;
    }
    st->refcnt = 1;
    pl.st = st;
    pl.n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct wflow *g = s->flows[i];
        const struct dp_rule *r;

        if (i + 8 < s->n)
            __builtin_prefetch(s->flows[i + 8]);
        if (i + 4 < s->n)
            __builtin_prefetch(s->flows[i + 4]->rule);
        if (!g->head)
            continue;
        r = g->rule;
        place_push(&pl, r, dp_rule_match_words(r),
                   dp_subtable_home(dp_rule_hash(r)));
    }
    place_drain(&pl);
    copy_summary(s, st);
    return st;
}

/* Where the probe for the words of full slot @slot of @st starts. */
static size_t
slot_home(const struct subtable *st, const uint64_t *slot)
{
    return dp_subtable_home(dp_words_hash(&slot[DP_SLOT_HDR], st->n_idx));
}

/* A new copy (refcnt 1) of @from's slots, sized for @s's groups: its
 * slots moved sequentially, each to the home of its words. The caller
 * redoes the keys @from lacks. NULL on ENOMEM. */
static struct subtable *
copy_rehash(const struct wsub *s, const struct subtable *from)
{
    struct subtable *st = malloc(sizeof(*st));
    struct placer pl;
    size_t want;

    if (st == NULL)
        return NULL;
    *st = s->lay;
    /* room for the groups, and for every key still to redo to add a
     * slot before another frees one */
    want = snic_hmap_count(&s->groups) * 2;
    if (from->n_rules + s->n_chg + 1 > want)
        want = from->n_rules + s->n_chg + 1;
    st->slot_mask = pow2_at_least(want) - 1;
    if (slots_alloc(st) < 0) {
        free(st);
        return NULL;
    }
    st->refcnt = 1;
    pl.st = st;
    pl.n = 0;
    for (size_t i = 0; i <= from->slot_mask; i++) {
        const uint64_t *slot = dp_subtable_slot(from, i);

        if (dp_slot_empty(slot))
            continue;
        place_push(&pl, dp_slot_rule(slot), &slot[DP_SLOT_HDR],
                   slot_home(from, slot));
    }
    place_drain(&pl);
    st->n_rules = from->n_rules;
    return st;
}

/* Empty slot @hole of @st and move later slots of its probe run back
 * (linear probing without tombstones: only a copy no reader sees). */
static void
slot_remove(struct subtable *st, size_t hole)
{
    size_t mask = st->slot_mask, bytes = st->stride * sizeof(uint64_t);

    for (size_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
        uint64_t *sj = dp_subtable_slot(st, j);
        size_t home;

        if (dp_slot_empty(sj))
            break;
        home = slot_home(st, sj) & mask;
        /* sj may fill the hole if its home is not after the hole */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            memcpy(dp_subtable_slot(st, hole), sj, bytes);
            hole = j;
        }
    }
    memset(dp_subtable_slot(st, hole), 0, bytes);
}

/* Make the slot of @key's group in @st what the groups say. */
static void
copy_redo(const struct wsub *s, struct subtable *st,
          const struct dp_rule *key)
{
    const uint64_t *w = dp_rule_match_words(key);
    uint64_t h = dp_rule_hash(key);
    const struct wflow *g;
    const struct dp_rule *want;

    g = group_find(s, h, key);
    want = g != NULL ? g->rule : NULL;

    for (size_t pos = dp_subtable_home(h);; pos++) {
        uint64_t *slot = dp_subtable_slot(st, pos);
        const struct dp_rule *had;

        if (dp_slot_empty(slot)) {
            if (want == NULL)
                return;
            slot[0] = dp_slot_make(want);
            memcpy(&slot[DP_SLOT_HDR], w, st->n_idx * sizeof(w[0]));
            filter_add(st, w);
            rule_ref(want);
            st->n_rules++;
            return;
        }
        if (!dp_slot_hit(slot, w, st->n_idx))
            continue;
        had = dp_slot_rule(slot);
        if (had == want)
            return;
        if (want != NULL) {
            slot[0] = dp_slot_make(want);
            rule_ref(want);
        } else {
            slot_remove(st, pos & st->slot_mask);
            st->n_rules--;
        }
        dp_rule_unref(had);
        return;
    }
}

/* Whether copy @st suits @s's groups: room for them at half load at
 * most, and not so much that a new one would be a quarter of its size. */
static bool
copy_fits(const struct wsub *s, const struct subtable *st)
{
    size_t groups = snic_hmap_count(&s->groups), slots = st->slot_mask + 1;

    return groups * 2 <= slots
           && slots <= 4 * pow2_at_least(groups * 2)
           /* every key may add a slot before another frees one */
           && st->n_rules + s->n_lag + s->n_chg < slots;
}

/* Wait (briefly) until no snapshot holds @s's spare any more. */
static bool
spare_free(struct wsub *s, struct dp_qsbr *qsbr)
{
    const struct timespec nap = { 0, 20000 };
    uint64_t t0;

    if (s->spare->refcnt == 1)
        return true;
    dp_qsbr_poll(qsbr);
    if (s->spare->refcnt == 1 || s->spare->slot_mask + 1 < SPARE_WAIT_MIN)
        return s->spare->refcnt == 1;
    t0 = snic_now_ns();
    for (;;) {
        nanosleep(&nap, NULL);
        dp_qsbr_poll(qsbr);
        if (s->spare->refcnt == 1)
            return true;
        if (snic_now_ns() - t0 > SPARE_WAIT_NS)
            return false;
    }
}

int
dp_wsub_prepare(struct wsub *s, struct dp_qsbr *qsbr)
{
    s->next_pub = NULL;
    s->next_is_spare = false;
    if (s->n == 0)
        return 0;
    if (!s->dirty && s->pub != NULL) {
        s->next_pub = s->pub;
        return 0;
    }
    if (s->spare != NULL && copy_fits(s, s->spare) && spare_free(s, qsbr)) {
        for (size_t i = 0; i < s->n_lag; i++)
            copy_redo(s, s->spare, s->lag[i]);
        for (size_t i = 0; i < s->n_chg; i++)
            copy_redo(s, s->spare, s->chg[i]);
        copy_summary(s, s->spare);
        s->next_pub = s->spare;
        s->next_is_spare = true;
        return 0;
    }
    if (s->pub == NULL) {
        s->next_pub = copy_build(s);
        return s->next_pub != NULL ? 1 : -ENOMEM;
    }
    /* pub is one batch behind: its slots moved, then this batch's keys */
    s->next_pub = copy_rehash(s, s->pub);
    if (s->next_pub == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < s->n_chg; i++)
        copy_redo(s, s->next_pub, s->chg[i]);
    copy_summary(s, s->next_pub);
    return 1;
}

void
dp_wsub_unprepare(struct wsub *s)
{
    if (s->next_pub != NULL && !s->next_is_spare && s->next_pub != s->pub)
        dp_subtable_unref(s->next_pub);
    s->next_pub = NULL;
    s->next_is_spare = false;
}

void
dp_wsub_adopt(struct wsub *s)
{
    struct dp_rule **v;
    size_t c;

    if (s->next_pub == s->pub) {
        if (s->pub != NULL)
            s->pub->refcnt++;           /* shared with the new ctable */
        goto out;
    }
    /* the spare's reference (or a new copy's) is the new ctable's */
    if (s->next_is_spare)
        s->spare = NULL;
    else if (s->spare != NULL) {
        dp_subtable_unref(s->spare);
        s->spare = NULL;
    }
    if (s->pub != NULL) {
        s->spare = s->pub;              /* still the old ctable's too */
        s->spare->refcnt++;
    }
    s->pub = s->next_pub;
    /* the new spare lacks this batch's keys */
    keys_drop(s->lag, &s->n_lag);
    v = s->lag;
    s->lag = s->chg;
    s->chg = v;
    c = s->cap_lag;
    s->cap_lag = s->cap_chg;
    s->cap_chg = c;
    s->n_lag = s->n_chg;
    s->n_chg = 0;
out:
    s->next_pub = NULL;
    s->next_is_spare = false;
    s->dirty = false;
}

/* ---- accounting ---- */

static size_t
copy_bytes(const struct subtable *st)
{
    return sizeof(*st)
           + (st->slot_mask + 1) * st->stride * sizeof(st->slots[0]);
}

void
dp_wsub_mem(const struct wsub *s, struct dp_cls_mem *m)
{
    m->index_bytes += sizeof(*s) + s->cap * sizeof(s->flows[0])
                      + snic_hmap_bytes(&s->groups)
                      + snic_hmap_bytes(&s->prios)
                      + snic_hmap_count(&s->prios) * sizeof(struct wprio)
                      + (s->cap_lag + s->cap_chg) * sizeof(s->lag[0]);
    if (s->pub != NULL)
        m->pub_bytes += copy_bytes(s->pub);
    if (s->spare != NULL)
        m->spare_bytes += copy_bytes(s->spare);
}
