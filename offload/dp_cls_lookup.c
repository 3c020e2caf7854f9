/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier's reader side: lookups in a published snapshot, one key
 * at a time or a burst at a time. Runs on workers concurrently with the
 * writer (dp_classifier.c); it only reads immutable objects.
 *
 * A burst lookup gives the same answer per key as dp_cls_lookup(), but
 * walks the subtables once for the whole burst and splits each probe in
 * two passes: hash every key and prefetch its slot, then probe. With many
 * flows the slots are not in cache, and the misses of a burst overlap
 * instead of following one another.
 */
#include <stdlib.h>
#include <string.h>

#include "dp_cls_priv.h"

/* The first @n words of @key (a constant in each caller). */
static inline __attribute__((always_inline)) uint64_t
key_hash(const struct flow_key *key, unsigned n)
{
    /* four independent lanes: the multiplies of one word do not wait for
     * the previous word's, so the chain is a quarter as long */
    uint64_t h[4] = { 0x2545f4914f6cdd1dull, 0x9e3779b97f4a7c15ull,
                      0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull };
    unsigned i;

    for (i = 0; i + 4 <= n; i += 4) {
        h[0] = dp_hash_mix(h[0], dp_key_word(key, i));
        h[1] = dp_hash_mix(h[1], dp_key_word(key, i + 1));
        h[2] = dp_hash_mix(h[2], dp_key_word(key, i + 2));
        h[3] = dp_hash_mix(h[3], dp_key_word(key, i + 3));
    }
    /* the rest (none for a whole key of 24 words: testing n keeps GCC's
     * loop analysis from warning about words past the key under LTO) */
    if (n % 4 != 0)
        for (; i < n; i++)
            h[i & 3] = dp_hash_mix(h[i & 3], dp_key_word(key, i));
    return dp_hash_final(h[0] ^ (h[1] << 17 | h[1] >> 47)
                         ^ (h[2] << 31 | h[2] >> 33)
                         ^ (h[3] << 47 | h[3] >> 17));
}

uint64_t
dp_key_hash(const struct flow_key *key)
{
    return key_hash(key, DP_KEY_WORDS);
}

/* The slot holding the @n gathered words @w (of hash @h) in @st, or NULL;
 * the probe starts at @home, the slot where hash @h lands. */
static inline __attribute__((always_inline)) const uint64_t *
subtable_probe(const struct subtable *st, const uint64_t *home,
               const uint64_t *w, uint64_t h, unsigned n)
{
    const uint64_t *slot = home;

    for (size_t pos = dp_subtable_home(h);;) {
        if (dp_slot_empty(slot))
            return NULL;
        if (dp_slot_hit(slot, w, n))
            return slot;
        slot = dp_subtable_slot(st, ++pos);
    }
}

static const struct ctable *
snap_table(const struct dp_cls_snap *snap, unsigned table_id)
{
    return table_id <= FLOW_TABLE_MAX ? snap->tables[table_id] : NULL;
}

/* The best ordinary flow of @ct matching @key. */
static const struct dp_rule *
plain_lookup(const struct ctable *ct, const struct flow_key *key)
{
    const struct dp_rule *best = NULL;

    for (uint32_t i = 0; i < ct->n; i++) {
        const struct subtable *st = ct->subs[i];
        uint64_t w[DP_KEY_WORDS], h;
        const uint64_t *slot;

        /* sorted by max_priority: nothing further down can win (an equal
         * priority still can, by an older id) */
        if (best != NULL && st->max_priority < best->priority)
            break;
        /* no filter (dp_subtable_may()) for one key: a train's first
         * packet, once a burst, where it cost more than it saved (one
         * packet flow of bench-ovs-compare's mix: +0.9 instructions a
         * packet) */
        if (st->one != NULL) {
            if (!dp_subtable_gather_pass(st, key, w, st->n_idx))
                continue;
            slot = st->one;
        } else {
            h = dp_subtable_gather(st, key, w, st->n_idx);
            slot = subtable_probe(st,
                                  dp_subtable_slot(st, dp_subtable_home(h)),
                                  w, h, st->n_idx);
        }
        /* a clause flow is no result, and hides the identical matches
         * below it (as in Open vSwitch) */
        if (slot != NULL && st->n_conj != 0
            && dp_rule_is_conj(dp_slot_rule(slot)))
            continue;
        if (slot != NULL && (best == NULL
                             || dp_rule_better(dp_slot_rule(slot), best)))
            best = dp_slot_rule(slot);
    }
    return best;
}

/* ---- conjunctive matches ---- */

/* One (id, n) of the clause flows in view at one priority. */
struct conj_acc {
    uint32_t id;
    uint8_t n;
    uint64_t clauses;       /* bit k-1: clause k is there */
};

#define CONJ_STACK  32u

/* A small array on the stack that moves to the heap when it must grow. */
struct conj_vec {
    void *v;
    size_t n, cap, size;
    void *stack;
};

static void *
vec_push(struct conj_vec *vec)
{
    if (vec->n == vec->cap) {
        void *g = malloc(2 * vec->cap * vec->size);

        if (g == NULL)
            return NULL;
        memcpy(g, vec->v, vec->n * vec->size);
        if (vec->v != vec->stack)
            free(vec->v);
        vec->v = g;
        vec->cap *= 2;
    }
    return (uint8_t *)vec->v + vec->n++ * vec->size;
}

static void
vec_free(struct conj_vec *vec)
{
    if (vec->v != vec->stack)
        free(vec->v);
}

static bool
conj_full(const struct conj_acc *c)
{
    return c->clauses == (c->n == 64 ? ~0ull : (1ull << c->n) - 1);
}

/*
 * The clauses of the @n_at clause flows conj[@at[..]] in view at one
 * priority into @acc; false out of memory. Open vSwitch counts no clause
 * of a conjunction with more clauses than there are flows.
 */
static bool
conj_gather(const struct ctable *ct, const uint32_t *at, size_t n_at,
            struct conj_vec *acc)
{
    for (size_t i = 0; i < n_at; i++) {
        const struct dp_rule *r = ct->conj[at[i]].r;

        for (unsigned j = 0; j < r->n_actions; j++) {
            const struct flow_action *a = &r->actions[j];
            struct conj_acc *c = acc->v;
            size_t e;

            /* notes may stand beside the clauses */
            if (a->type != FLOW_ACT_CONJUNCTION
                || a->u.conj.n_clauses > n_at)
                continue;
            for (e = 0; e < acc->n; e++)
                if (c[e].id == a->u.conj.id && c[e].n == a->u.conj.n_clauses)
                    break;
            if (e == acc->n) {
                struct conj_acc *x = vec_push(acc);

                if (x == NULL)
                    return false;
                x->id = a->u.conj.id;
                x->n = a->u.conj.n_clauses;
                x->clauses = 0;
                c = acc->v;
            }
            c[e].clauses |= 1ull << (a->u.conj.clause - 1);
        }
    }
    return true;
}

/* The flow the complete ids of @acc lead to: the lowest complete id whose
 * conj_id lookup finds a flow; NULL if none does. */
static const struct dp_rule *
conj_finish(const struct ctable *ct, const struct flow_key *key,
            struct conj_vec *acc)
{
    struct conj_acc *c = acc->v;

    for (;;) {
        struct conj_acc *low = NULL;
        struct flow_key k;
        const struct dp_rule *r;

        for (size_t e = 0; e < acc->n; e++)
            if (c[e].n != 0 && conj_full(&c[e])
                && (low == NULL || c[e].id < low->id))
                low = &c[e];
        if (low == NULL)
            return NULL;
        k = *key;
        k.meta.conj_id = low->id;
        r = plain_lookup(ct, &k);
        if (r != NULL)
            return r;
        low->n = 0;             /* tried */
    }
}

/*
 * Open vSwitch's conjunctive match over @ct's clause flows, with @hard the
 * best ordinary flow (flow_table_lookup() is the reference; this must give
 * the same answer). The clause flows in view: at first those at the head
 * of their lists that match; each step takes those at the highest
 * priority above @hard, tries their complete ids, and otherwise moves
 * each of their lists on (an ordinary flow there may become @hard). The
 * clause flows are few next to the rest (one per value of a dimension),
 * and scanned. Out of memory, it answers with @hard.
 */
static const struct dp_rule *
conj_resolve(const struct ctable *ct, const struct flow_key *key,
             const struct dp_rule *hard)
{
    uint32_t soft_stack[CONJ_STACK];
    struct conj_acc acc_stack[CONJ_STACK];
    struct conj_vec soft = { soft_stack, 0, CONJ_STACK, sizeof(uint32_t),
                             soft_stack };
    const struct dp_rule *res = NULL;
    uint32_t *v;

    for (uint32_t i = 0; i < ct->n_conj; i++) {
        const struct dp_conj *c = &ct->conj[i];
        uint32_t *x;

        if (hard != NULL && c->r->priority <= hard->priority)
            break;
        if (!c->head || !dp_rule_match_key(c->r, key))
            continue;
        x = vec_push(&soft);
        if (x == NULL)
            goto out;
        *x = i;
    }
    for (;;) {
        struct conj_vec acc = { acc_stack, 0, CONJ_STACK,
                                sizeof(struct conj_acc), acc_stack };
        size_t n_at = 0, keep = 0;
        int prio = -1;

        v = soft.v;
        for (size_t i = 0; i < soft.n; i++)
            if (hard == NULL || ct->conj[v[i]].r->priority > hard->priority)
                v[keep++] = v[i];
        soft.n = keep;
        if (soft.n == 0)
            break;
        for (size_t i = 0; i < soft.n; i++)
            if (ct->conj[v[i]].r->priority > prio)
                prio = ct->conj[v[i]].r->priority;
        for (size_t i = 0; i < soft.n; i++) {
            if (ct->conj[v[i]].r->priority == prio) {
                uint32_t x = v[n_at];

                v[n_at++] = v[i];
                v[i] = x;
            }
        }
        if (!conj_gather(ct, v, n_at, &acc)) {
            vec_free(&acc);
            goto out;
        }
        res = conj_finish(ct, key, &acc);
        vec_free(&acc);
        if (res != NULL)
            goto out;
        /* no match at prio: each list moves on */
        keep = 0;
        for (size_t i = 0; i < soft.n; i++) {
            const struct dp_conj *c = &ct->conj[v[i]];

            if (i >= n_at) {
                v[keep++] = v[i];
            } else if (c->next_conj >= 0) {
                v[keep++] = (uint32_t)c->next_conj;
            } else if (c->next != NULL
                       && (hard == NULL || dp_rule_better(c->next, hard))) {
                hard = c->next;
            }
        }
        soft.n = keep;
    }
out:
    vec_free(&soft);
    return res != NULL ? res : hard;
}

static inline const struct dp_rule *
conj_maybe(const struct ctable *ct, const struct flow_key *key,
           const struct dp_rule *best)
{
    if (ct->n_conj == 0
        || (best != NULL && ct->conj[0].r->priority <= best->priority))
        return best;
    return conj_resolve(ct, key, best);
}

const struct dp_rule *
dp_ctable_lookup(const struct ctable *ct, const struct flow_key *key)
{
    return conj_maybe(ct, key, plain_lookup(ct, key));
}

const struct dp_rule *
dp_cls_lookup(const struct dp_cls_snap *snap, unsigned table_id,
              const struct flow_key *key)
{
    const struct ctable *ct = snap_table(snap, table_id);

    if (ct == NULL)
        return NULL;
    return dp_ctable_lookup(ct, key);
}

/* A burst lookup's state between subtables. */
struct burst {
    const struct flow_key *keys;
    const struct dp_rule **rules;
    /* the priority of rules[i], read from its slot: the early exit
     * needs no access to the rule itself */
    uint16_t prio[DP_BURST_MAX];
    uint64_t hash[DP_BURST_MAX];
    const uint64_t *slot[DP_BURST_MAX];     /* where each probe starts */
    /* each key's words under the current subtable's mask */
    uint64_t words[DP_BURST_MAX][DP_KEY_WORDS];
    uint64_t found;         /* keys with a rule (rules[i] is set) */
    uint16_t lowest;        /* the lowest prio[] of the pending found */
};

/* @slot (of @st, or NULL) as key @i's answer when it beats the key's
 * best so far; updates @found. */
static inline __attribute__((always_inline)) void
burst_take(const struct subtable *st, struct burst *b, unsigned i,
           const uint64_t *slot, uint64_t *found)
{
    if (slot != NULL && st->n_conj != 0
        && dp_rule_is_conj(dp_slot_rule(slot)))
        slot = NULL;
    if (slot != NULL
        && (!(*found >> i & 1) || dp_slot_priority(slot) > b->prio[i]
            || (dp_slot_priority(slot) == b->prio[i]
                && dp_rule_better(dp_slot_rule(slot), b->rules[i])))) {
        b->rules[i] = dp_slot_rule(slot);
        b->prio[i] = dp_slot_priority(slot);
        *found |= 1ull << i;
    }
}

/* A burst stops checking a subtable's filter once it let one key more
 * through than it turned away: on 100,000 exact rules that every packet
 * hits, checking it all the burst long cost 9 instructions a packet
 * (scripts/bench-dp-instr), stopping after the first key nothing
 * measurable. Traffic that the filter turns away keeps it. */
#define FILTER_LEAD_MAX     1

/* Key @i of @b through subtable @st: gathered, hashed, its slot
 * prefetched. */
static inline __attribute__((always_inline)) void
burst_hash(const struct subtable *st, struct burst *b, unsigned i, unsigned n)
{
    const uint64_t *slot;

    b->hash[i] = dp_subtable_gather(st, &b->keys[i], b->words[i], n);
    slot = dp_subtable_slot(st, dp_subtable_home(b->hash[i]));
    b->slot[i] = slot;
    /* a slot of a wide mask may straddle two cache lines */
    __builtin_prefetch(slot);
    __builtin_prefetch(slot + DP_SLOT_HDR + n - 1);
}

/*
 * One subtable for the @pending keys of a burst; returns the keys still
 * pending after it. Two passes: gather, filter, hash and prefetch every
 * key's slot, then probe. A key the filter turns away stays pending
 * without a hash or a probe; where the filter turns none away (the
 * traffic lies in the rules' range), the rest of the burst goes without
 * it. @n is st->n_idx: each caller passes a constant, so the word loops
 * unroll.
 */
static inline __attribute__((always_inline)) uint64_t
burst_subtable(const struct subtable *st, struct burst *b, uint64_t pending,
               unsigned n)
{
    uint64_t todo = 0, away = 0, found = b->found, m = pending;
    uint16_t lowest = UINT16_MAX;
    int lead = 0;       /* keys let through less keys turned away */

    for (; m != 0 && lead < FILTER_LEAD_MAX; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);

        /* a key whose best beats this subtable beats all the rest too:
         * it is done */
        if ((found >> i & 1) && b->prio[i] > st->max_priority)
            continue;
        todo |= 1ull << i;
        if (!dp_subtable_may(st, &b->keys[i])) {
            if ((found >> i & 1) && b->prio[i] < lowest)
                lowest = b->prio[i];
            away |= 1ull << i;
            lead--;
            continue;
        }
        lead++;
        burst_hash(st, b, i, n);
    }
    for (; m != 0; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);

        if ((found >> i & 1) && b->prio[i] > st->max_priority)
            continue;
        todo |= 1ull << i;
        burst_hash(st, b, i, n);
    }
    found &= todo;
    for (m = todo & ~away; m != 0; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);

        burst_take(st, b, i, subtable_probe(st, b->slot[i], b->words[i],
                                            b->hash[i], n), &found);
        /* what the next subtable's early exit needs, over the keys
         * still pending (those turned away: above) */
        if ((found >> i & 1) && b->prio[i] < lowest)
            lowest = b->prio[i];
    }
    b->found = found;
    b->lowest = lowest;
    return todo;
}

/* burst_subtable() for a subtable of a single rule (st->one): the filter
 * is its whole match, a key it lets through has the rule. */
static uint64_t
burst_one(const struct subtable *st, struct burst *b, uint64_t pending)
{
    uint64_t todo = 0, found = b->found;
    uint16_t lowest = UINT16_MAX;

    for (uint64_t m = pending; m != 0; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);

        if ((found >> i & 1) && b->prio[i] > st->max_priority)
            continue;
        todo |= 1ull << i;
        if (dp_subtable_gather_pass(st, &b->keys[i], b->words[i], st->n_idx))
            burst_take(st, b, i, st->one, &found);
        if ((found >> i & 1) && b->prio[i] < lowest)
            lowest = b->prio[i];
    }
    b->found = found & todo;
    b->lowest = lowest;
    return todo;
}

unsigned
dp_cls_lookup_burst(const struct dp_cls_snap *snap, unsigned table_id,
                    const struct flow_key *keys, unsigned n,
                    const struct dp_rule **rules)
{
    const struct ctable *ct = snap_table(snap, table_id);
    /* not zeroed: 6 KB per call would cost more than the lookups */
    struct burst b;
    uint64_t pending, all, ever = 0;    /* keys found, done ones too */
    unsigned words = 0;

    if (n > DP_BURST_MAX) {
        /* the pending keys are a 64-bit mask: a longer burst in parts */
        words = dp_cls_lookup_burst(snap, table_id, keys, DP_BURST_MAX,
                                    rules);
        return words + dp_cls_lookup_burst(snap, table_id,
                                           keys + DP_BURST_MAX,
                                           n - DP_BURST_MAX,
                                           rules + DP_BURST_MAX);
    }
    if (ct == NULL || n == 0) {
        for (unsigned i = 0; i < n; i++)
            rules[i] = NULL;
        return 0;
    }
    b.keys = keys;
    b.rules = rules;
    all = pending = n == 64 ? ~0ull : (1ull << n) - 1;
    b.found = 0;
    b.lowest = UINT16_MAX;
    for (uint32_t s = 0; s < ct->n && pending != 0; s++) {
        const struct subtable *st = ct->subs[s];

        /* every key found, each better than all that is left: done
         * without visiting the keys (a catch-all below exact flows) */
        if (b.found == pending && b.lowest > st->max_priority)
            break;

        if (st->one != NULL) {
            pending = burst_one(st, &b, pending);
            ever |= b.found;
            words += (unsigned)__builtin_popcountll(pending);
            continue;
        }
        /* the common mask widths get loops of a constant length */
        switch (st->n_idx) {
        case 1: pending = burst_subtable(st, &b, pending, 1); break;
        case 2: pending = burst_subtable(st, &b, pending, 2); break;
        case 3: pending = burst_subtable(st, &b, pending, 3); break;
        case 4: pending = burst_subtable(st, &b, pending, 4); break;
        case 5: pending = burst_subtable(st, &b, pending, 5); break;
        case 6: pending = burst_subtable(st, &b, pending, 6); break;
        default:
            pending = burst_subtable(st, &b, pending, st->n_idx);
            break;
        }
        ever |= b.found;
        words += (unsigned)__builtin_popcountll(pending) * (st->n_idx + 1u);
    }
    /* rules[] is written as keys find rules, not zeroed first (nearly
     * every key finds one) */
    for (uint64_t m = all & ~ever; m != 0; m &= m - 1)
        rules[__builtin_ctzll(m)] = NULL;
    if (ct->n_conj != 0)
        for (unsigned i = 0; i < n; i++)
            rules[i] = conj_maybe(ct, &keys[i], rules[i]);
    return words;
}

bool
dp_cls_snap_emc_useful(const struct dp_cls_snap *snap, unsigned table_id)
{
    const struct ctable *ct = snap_table(snap, table_id);

    /* a miss in an empty or absent table costs nothing */
    return ct != NULL && ct->emc;
}

bool
dp_cls_snap_emc_exact(const struct dp_cls_snap *snap, unsigned table_id)
{
    const struct ctable *ct = snap_table(snap, table_id);

    return ct != NULL && ct->emc_exact;
}

const struct dp_cache_key *
dp_cls_snap_cache_key(const struct dp_cls_snap *snap, unsigned table_id)
{
    return &snap_table(snap, table_id)->ckey;
}

bool
dp_cls_snap_port_rule(const struct dp_cls_snap *snap, unsigned table_id,
                      uint32_t in_port, const struct dp_rule **rule)
{
    const struct ctable *ct = snap_table(snap, table_id);
    size_t lo = 0, hi;

    *rule = NULL;
    if (ct == NULL)
        return true;            /* an empty table misses whatever comes */
    if (ct->shape != DP_SHAPE_PORT)
        return false;
    /* a handful of ports, once per burst */
    hi = ct->n_ports;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ct->ports[mid].port < in_port)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ct->n_ports && ct->ports[lo].port == in_port)
        *rule = ct->ports[lo].rule;
    else
        *rule = ct->port_other;
    return true;
}

bool
dp_cls_snap_l2(const struct dp_cls_snap *snap, unsigned table_id)
{
    const struct ctable *ct = snap_table(snap, table_id);

    return ct != NULL && ct->shape == DP_SHAPE_L2;
}

bool
dp_cls_snap_resubmit_check(const struct dp_cls_snap *snap)
{
    return snap->resubmit_check;
}

bool
dp_cls_snap_uses_meta(const struct dp_cls_snap *snap)
{
    return snap->uses_meta;
}

uint64_t
dp_cls_snap_version(const struct dp_cls_snap *snap)
{
    return snap->version;
}
