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

uint64_t
dp_key_pkt_hash(const struct flow_key *key)
{
    return key_hash(key, DP_KEY_PKT_WORDS);
}

/* The slot holding the @n gathered words @w (of hash @h) in @st, or NULL;
 * the probe starts at @home, the slot where hash @h lands. */
static inline __attribute__((always_inline)) const uint64_t *
subtable_probe(const struct subtable *st, const uint64_t *home,
               const uint64_t *w, uint64_t h, unsigned n)
{
    const uint64_t *slot = home;

    for (size_t pos = dp_subtable_home(h);;) {
        if (slot[1] == 0)
            return NULL;
        if (dp_slot_hit(slot, h, w, n))
            return slot;
        slot = dp_subtable_slot(st, ++pos);
    }
}

static const struct ctable *
snap_table(const struct dp_cls_snap *snap, unsigned table_id)
{
    return table_id <= FLOW_TABLE_MAX ? snap->tables[table_id] : NULL;
}

const struct dp_rule *
dp_cls_lookup(const struct dp_cls_snap *snap, unsigned table_id,
              const struct flow_key *key)
{
    const struct ctable *ct = snap_table(snap, table_id);
    const struct dp_rule *best = NULL;

    if (ct == NULL)
        return NULL;
    for (uint32_t i = 0; i < ct->n; i++) {
        const struct subtable *st = ct->subs[i];
        uint64_t w[DP_KEY_WORDS], h;
        const uint64_t *slot;

        /* sorted by max_priority: nothing further down can win (an equal
         * priority still can, by an older id) */
        if (best != NULL && st->max_priority < best->priority)
            break;
        h = dp_subtable_gather(st, key, w, st->n_idx);
        slot = subtable_probe(st, dp_subtable_slot(st, dp_subtable_home(h)),
                              w, h, st->n_idx);
        if (slot != NULL && (best == NULL
                             || dp_rule_better(dp_slot_rule(slot), best)))
            best = dp_slot_rule(slot);
    }
    return best;
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

/*
 * One subtable for the @pending keys of a burst; returns the keys still
 * pending after it. Two passes: gather, hash and prefetch every key's
 * slot, then probe. @n is st->n_idx: each caller passes a constant, so
 * the word loops unroll.
 */
static inline __attribute__((always_inline)) uint64_t
burst_subtable(const struct subtable *st, struct burst *b, uint64_t pending,
               unsigned n)
{
    uint64_t todo = 0, found = b->found;
    uint16_t lowest = UINT16_MAX;

    for (uint64_t m = pending; m != 0; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        const uint64_t *slot;

        /* a key whose best beats this subtable beats all the rest too:
         * it is done */
        if ((found >> i & 1) && b->prio[i] > st->max_priority)
            continue;
        todo |= 1ull << i;
        b->hash[i] = dp_subtable_gather(st, &b->keys[i], b->words[i], n);
        slot = dp_subtable_slot(st, dp_subtable_home(b->hash[i]));
        b->slot[i] = slot;
        /* a slot of a wide mask may straddle two cache lines */
        __builtin_prefetch(slot);
        __builtin_prefetch(slot + DP_SLOT_HDR + n - 1);
    }
    found &= todo;
    for (uint64_t m = todo; m != 0; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        const uint64_t *slot = subtable_probe(st, b->slot[i], b->words[i],
                                              b->hash[i], n);

        if (slot != NULL
            && (!(found >> i & 1) || dp_slot_priority(slot) > b->prio[i]
                || (dp_slot_priority(slot) == b->prio[i]
                    && dp_rule_better(dp_slot_rule(slot), b->rules[i])))) {
            b->rules[i] = dp_slot_rule(slot);
            b->prio[i] = dp_slot_priority(slot);
            found |= 1ull << i;
        }
        /* what the next subtable's early exit needs, over the keys
         * still pending */
        if ((found >> i & 1) && b->prio[i] < lowest)
            lowest = b->prio[i];
    }
    b->found = found;
    b->lowest = lowest;
    return todo;
}

void
dp_cls_lookup_burst(const struct dp_cls_snap *snap, unsigned table_id,
                    const struct flow_key *keys, unsigned n,
                    const struct dp_rule **rules)
{
    const struct ctable *ct = snap_table(snap, table_id);
    /* not zeroed: 6 KB per call would cost more than the lookups */
    struct burst b;
    uint64_t pending;

    if (n > DP_BURST_MAX) {
        /* the pending keys are a 64-bit mask: a longer burst in parts */
        dp_cls_lookup_burst(snap, table_id, keys, DP_BURST_MAX, rules);
        dp_cls_lookup_burst(snap, table_id, keys + DP_BURST_MAX,
                            n - DP_BURST_MAX, rules + DP_BURST_MAX);
        return;
    }
    for (unsigned i = 0; i < n; i++)
        rules[i] = NULL;
    if (ct == NULL || n == 0)
        return;
    b.keys = keys;
    b.rules = rules;
    pending = n == 64 ? ~0ull : (1ull << n) - 1;
    b.found = 0;
    b.lowest = UINT16_MAX;
    for (uint32_t s = 0; s < ct->n && pending != 0; s++) {
        const struct subtable *st = ct->subs[s];

        /* every key found, each better than all that is left: done
         * without visiting the keys (a catch-all below exact flows) */
        if (b.found == pending && b.lowest > st->max_priority)
            break;

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
    }
}

bool
dp_cls_snap_emc_useful(const struct dp_cls_snap *snap, unsigned table_id)
{
    const struct ctable *ct = snap_table(snap, table_id);

    /* a miss in an empty or absent table costs nothing */
    return ct != NULL && ct->emc;
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
