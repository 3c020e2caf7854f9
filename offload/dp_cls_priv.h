/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier's published objects, shared by its writer
 * (dp_classifier.c) and its readers (dp_cls_lookup.c). Private to them.
 *
 * A subtable is an open-addressing hash table whose slots carry the masked
 * key words inline, so a probe never has to touch a rule to know whether
 * it matches: a lookup reads one slot (usually one cache line) and learns
 * the rule, its priority and whether the key matches. Slot layout, in
 * 64-bit words (stride = DP_SLOT_HDR + n_idx):
 *
 *   [0] the rule's address in the low 48 bits, its priority in the high
 *       16 (so the early exit needs no access to the rule); 0: the slot
 *       is empty
 *   [1..] the rule's value in the mask's non-zero words, in idx[] order
 *
 * One word of header, not two (#13): a million flows' two copies of
 * their subtables (struct wsub) are 32 MB smaller. The slot keeps no hash:
 * a probe compares the words, as it did besides the hash, and the writer
 * hashes a slot's words again where it needs its home (a copy that grows,
 * a removal that moves a run back).
 */
#ifndef SNIC_DP_CLS_PRIV_H
#define SNIC_DP_CLS_PRIV_H

#include <stdint.h>

#include "dp_priv.h"

/* the word loops below unroll up to 31 words: a whole key */
_Static_assert(DP_KEY_WORDS <= 31, "unroll pragmas must cover the key");

#define DP_SLOT_HDR         1u
/* the low bits of a hash a probe does not start from (dp_subtable_home()) */
#define DP_TAG_PRIO_BITS    16u
#define DP_TAG_PRIO_MASK    ((1ull << DP_TAG_PRIO_BITS) - 1)
/* a slot's rule address: user-space addresses of x86-64 and arm64 (with
 * 48-bit virtual addresses) fit; the writer refuses a rule whose
 * address does not (dp_classifier.c) */
#define DP_SLOT_PTR_BITS    48u
#define DP_SLOT_PTR_MASK    ((1ull << DP_SLOT_PTR_BITS) - 1)

struct subtable {
    uint32_t refcnt;                /* ctables holding it */
    uint16_t max_priority;
    uint16_t min_priority;
    uint8_t n_idx;                  /* words of the mask that are non-zero */
    uint8_t stride;                 /* words per slot */
    uint8_t idx[DP_KEY_WORDS];
    uint64_t mask[DP_KEY_WORDS];
    size_t n_rules;
    size_t n_conj;                  /* of them clause flows (never a
                                     * result; see dp_cls_lookup.c) */
    size_t slot_mask;               /* slots - 1 (a power of two) */
    uint64_t *slots;
    /*
     * What every rule of the subtable has in common, in slot order: the
     * bits of each word (fmask[j], within the mask) where all the rules'
     * values agree, and that value (fval[j]). A key that differs there
     * matches none of them, so a lookup passes the subtable by without
     * hashing or probing -- a TCP subtable for a UDP packet, /24s of
     * 10.0.0-31 for 10.1.x.y, exact rules of 10.0.0.0-1023 for the
     * 10.0.4.0 onwards of a default's traffic. All zero passes every key
     * (no rule yet). Recomputed from the slots when a copy is built, or
     * brought up to date while it is small; a large copy brought up to
     * date only narrows it for the rules added (a removed rule leaves
     * it as it was, still true of the rest).
     */
    uint64_t fmask[DP_KEY_WORDS];
    uint64_t fval[DP_KEY_WORDS];
    bool filt_init;                 /* the writer's: fmask/fval set from a
                                     * rule */
    /* What a burst lookup checks of it before gathering (all words cost 16
     * instructions a packet on a 4-word mask where every key passes, one
     * about 5): key word fidx under fm must be fv. The word where the
     * rules agree on some bits but not all, and on the fewest: the field
     * they enumerate (addresses of exact rules, prefixes of a /24 list),
     * outside whose range a table's other traffic lies. fm = 0 passes
     * every key. */
    uint8_t fidx;
    uint64_t fm, fv;
    /* The slot of the only rule, when there is one: the filter is then
     * its whole match (fmask = the mask), and a key that passes it hits
     * this slot with no hash and no probe (the catch-all, the one
     * /16). NULL otherwise. */
    const uint64_t *one;
};

/* A clause flow of a ctable, and what follows it in its list of flows
 * with an identical match (Open vSwitch moves on to it when the clause
 * flow makes no conjunctive match). References held: r, next. */
struct dp_conj {
    const struct dp_rule *r;
    const struct dp_rule *next;     /* the next flow, or NULL */
    int32_t next_conj;              /* next is conj[next_conj]; -1: next is
                                     * an ordinary flow or NULL */
    bool head;                      /* first of its list */
};

/* A ctable's clause flows (below), shared by consecutive ctables of a
 * table while no change touches a list of identical matches holding a
 * clause flow: publishing ordinary flows into a table with thousands of
 * clause flows then costs nothing for them. Holds the references of its
 * entries. Writer only. */
struct dp_conj_set {
    uint32_t refcnt;
    uint32_t n;
    struct dp_conj v[];
};

/* The answer of a table that looks at in_port alone, for one port. */
struct dp_port_rule {
    uint32_t port;
    const struct dp_rule *rule;     /* NULL: a miss */
};

/* What a table's flows look at, decided when it is published
 * (dp_cls_shape.c): the packet path takes the cheapest way to the same
 * answer. */
enum dp_shape {
    DP_SHAPE_GENERAL = 0,           /* extract, cache where it pays, search */
    DP_SHAPE_PORT,                  /* in_port only: a lookup by port */
    DP_SHAPE_L2,                    /* in_port and Ethernet fields only:
                                     * those extracted, the subtables */
};

struct ctable {
    uint32_t refcnt;                /* snapshots holding it */
    uint32_t n;
    bool emc;                       /* an exact-match cache pays off (and
                                     * no flow matches the pipeline
                                     * metadata, which it does not key
                                     * on) */
    bool emc_exact;                 /* a cache would be exact (no flow
                                     * matches the pipeline metadata),
                                     * whether it pays or not */
    uint8_t shape;                  /* enum dp_shape */
    /* what a cache in front of the table keys on (emc_exact tables;
     * dp_cls_shape.c) */
    struct dp_cache_key ckey;
    /* DP_SHAPE_PORT: the answer for each port some flow names, sorted by
     * port, and for every other port. References: none (the rules are
     * the subtables'). */
    uint32_t n_ports;
    struct dp_port_rule *ports;
    const struct dp_rule *port_other;
    /* What the resubmit limits need to know of the table's flows: the
     * most lookups one flow's actions start (resubmit, goto_table), and
     * whether one resubmits to this table or an earlier one (a loop is
     * possible). */
    uint8_t fan;
    bool back;
    bool fails;                     /* a flow's actions can fail the packet
                                     * whole (push_mpls, pop_mpls) */
    bool meta;                      /* a flow matches or writes registers,
                                     * metadata or pkt_mark */
    /* The clause flows (conjunction actions) a conjunctive match can
     * reach: those at the head of their list of identical matches (the
     * slot of their subtable holds them), and those after a clause flow
     * in such a list. Highest priority first, then the oldest id. Only
     * looked at when one matches above the best ordinary flow. */
    uint32_t n_conj;
    struct dp_conj *conj;           /* conj_set->v, or NULL */
    struct dp_conj_set *conj_set;   /* holds a reference (writer) */
    struct subtable *subs[];        /* highest max_priority first */
};

struct dp_cls_snap {
    uint64_t version;
    /* A packet might pass Open vSwitch's resubmit limits: the datapath
     * then checks each packet's run before letting any output out. */
    bool resubmit_check;
    /* Some flow matches or writes the pipeline metadata: packets need it
     * zeroed when they enter (else nothing reads it). */
    bool uses_meta;
    size_t n_subtables;
    struct ctable *tables[FLOW_TABLE_MAX + 1];
};

/* The best flow of @ct for @key, conjunctive matches included: what
 * dp_cls_lookup() answers (dp_cls_lookup.c). */
const struct dp_rule *dp_ctable_lookup(const struct ctable *ct,
                                       const struct flow_key *key);

/* Decide @ct's shape (and build what it needs) from its subtables, once
 * they and its clause flows are in place. 0 or -ENOMEM (dp_cls_shape.c). */
int dp_ctable_shape(struct ctable *ct);
/* Free what dp_ctable_shape() built. */
void dp_ctable_shape_free(struct ctable *ct);

/*
 * Gather @key's words under @st's mask into w[0..n) (the slot's layout;
 * @n is st->n_idx, passed apart so that a caller with a constant gets the
 * loops unrolled) and return their hash with the priority bits cleared
 * (see the tag above). Gathering once serves both the hash and the
 * comparison.
 */
static inline __attribute__((always_inline)) uint64_t
dp_subtable_gather(const struct subtable *st, const struct flow_key *key,
                   uint64_t *w, unsigned n)
{
    /* complete unrolling needs asking at -O2, for as many words as a key
     * has (a smaller count leaves the loop rolled whatever n is) */
#pragma GCC unroll 31
    for (unsigned j = 0; j < n; j++) {
        unsigned i = st->idx[j];

        w[j] = dp_key_word(key, i) & st->mask[i];
    }
    return dp_words_hash(w, n) & ~DP_TAG_PRIO_MASK;
}

/*
 * Gather @key's words under @st's mask into w[0..n), as
 * dp_subtable_gather() does, and tell whether they pass the subtable's
 * filter (struct subtable): false means no rule of @st matches @key.
 */
static inline __attribute__((always_inline)) bool
dp_subtable_gather_pass(const struct subtable *restrict st,
                        const struct flow_key *restrict key,
                        uint64_t *restrict w, unsigned n)
{
    uint64_t diff = 0;

    /* restrict: storing a word must not make the compiler read the mask
     * and the filter again for the next (+28 instructions a packet on a
     * 4-word mask at 100,000 packet flows) */
#pragma GCC unroll 31
    for (unsigned j = 0; j < n; j++) {
        unsigned i = st->idx[j];

        w[j] = dp_key_word(key, i) & st->mask[i];
        diff |= (w[j] & st->fmask[j]) ^ st->fval[j];
    }
    return diff == 0;
}

/* Can @key match a rule of @st? false: none (the filter above). */
static inline __attribute__((always_inline)) bool
dp_subtable_may(const struct subtable *st, const struct flow_key *key)
{
    return (dp_key_word(key, st->fidx) & st->fm) == st->fv;
}

/* Where the probe sequence of hash @h starts. */
static inline size_t
dp_subtable_home(uint64_t h)
{
    return (size_t)(h >> DP_TAG_PRIO_BITS);
}

static inline uint64_t *
dp_subtable_slot(const struct subtable *st, size_t pos)
{
    return &st->slots[(pos & st->slot_mask) * st->stride];
}

static inline bool
dp_slot_empty(const uint64_t *slot)
{
    return slot[0] == 0;
}

static inline const struct dp_rule *
dp_slot_rule(const uint64_t *slot)
{
    return (const struct dp_rule *)(uintptr_t)(slot[0] & DP_SLOT_PTR_MASK);
}

static inline uint16_t
dp_slot_priority(const uint64_t *slot)
{
    return (uint16_t)(slot[0] >> DP_SLOT_PTR_BITS);
}

/* The header word of a slot holding @r. */
static inline uint64_t
dp_slot_make(const struct dp_rule *r)
{
    return (uint64_t)(uintptr_t)r | (uint64_t)r->priority << DP_SLOT_PTR_BITS;
}

/* Does slot @slot, not empty, hold a rule for the @n gathered words
 * @w? */
static inline __attribute__((always_inline)) bool
dp_slot_hit(const uint64_t *slot, const uint64_t *w, unsigned n)
{
    uint64_t diff = 0;

#pragma GCC unroll 31
    for (unsigned j = 0; j < n; j++)
        diff |= w[j] ^ slot[DP_SLOT_HDR + j];
    return diff == 0;
}

/* Does rule @a win over rule @b (same table)? Higher priority, then the
 * older flow. */
static inline bool
dp_rule_better(const struct dp_rule *a, const struct dp_rule *b)
{
    return a->priority > b->priority
        || (a->priority == b->priority && a->id < b->id);
}

/* A clause flow of a conjunctive match? */
static inline bool
dp_rule_is_conj(const struct dp_rule *r)
{
    return flow_actions_are_conjunction(r->actions, r->n_actions);
}

/* ---- a rule's match (struct dp_rule: its mask's non-zero words) ---- */

_Static_assert(DP_KEY_WORDS <= 32, "a clause flow's map has a bit a word");

/* @r's matched values, r->n_match_words of them, in the order of the
 * words in struct flow_key: the layout of its subtable's slots (the
 * subtable's idx[] lists those words in that order), so that they are
 * the words a slot of its group holds. */
static inline const uint64_t *
dp_rule_match_words(const struct dp_rule *r)
{
    return (const uint64_t *)(const void *)&r->actions[r->n_actions];
}

/* The bytes a rule with @n_actions actions and @n_words matched words
 * takes; @conj: a clause flow, whose masks and their map follow the
 * values (dp_rule_match_key()). */
static inline size_t
dp_rule_size(unsigned n_actions, unsigned n_words, bool conj)
{
    return sizeof(struct dp_rule) + n_actions * sizeof(struct flow_action)
           + (conj ? 2 * n_words + 1 : n_words) * sizeof(uint64_t);
}

/* The largest rule: every action, every word, a clause flow's masks. */
#define DP_RULE_MAX_SIZE    (sizeof(struct dp_rule)                        \
                             + FLOW_MAX_ACTIONS * sizeof(struct flow_action) \
                             + (2 * DP_KEY_WORDS + 1) * sizeof(uint64_t))

/* The bytes @r takes. */
static inline size_t
dp_rule_bytes(const struct dp_rule *r)
{
    return dp_rule_size(r->n_actions, r->n_match_words, dp_rule_is_conj(r));
}

/* ---- rules' memory (dp_rule_pool.c): whole lines, line-aligned ---- */

struct dp_rule_pool;

/* A pool, or NULL with errno. */
struct dp_rule_pool *dp_rule_pool_create(void);
/* Its classifier is gone: the pool goes with its last rule (now if it
 * has none). NULL: nothing. */
void dp_rule_pool_orphan(struct dp_rule_pool *p);
/* Room for a rule of @size bytes, on a line of its own; NULL with errno
 * (ENOMEM; EINVAL past DP_RULE_MAX_SIZE). */
void *dp_rule_pool_alloc(struct dp_rule_pool *p, size_t size);
/* Give back @r, allocated with @size bytes from whichever pool. */
void dp_rule_pool_free(void *r, size_t size);

/* The hash a slot of @r's group is tagged with (priority bits clear; the
 * values are masked already), as dp_subtable_gather() computes it from a
 * key. */
static inline uint64_t
dp_rule_hash(const struct dp_rule *r)
{
    return dp_words_hash(dp_rule_match_words(r), r->n_match_words)
           & ~DP_TAG_PRIO_MASK;
}

/* Does @key match the clause flow @r (dp_rule_is_conj())? */
static inline bool
dp_rule_match_key(const struct dp_rule *r, const struct flow_key *key)
{
    const uint64_t *v = dp_rule_match_words(r);
    const uint64_t *m = v + r->n_match_words;
    uint64_t map = m[r->n_match_words];

    for (unsigned j = 0; map != 0; j++, map &= map - 1)
        if ((dp_key_word(key, (unsigned)__builtin_ctzll(map)) & m[j])
            != v[j])
            return false;
    return true;
}

/* Do rules @a and @b of one subtable (one mask) match the same value? */
static inline bool
dp_rule_match_same(const struct dp_rule *a, const struct dp_rule *b)
{
    return memcmp(dp_rule_match_words(a), dp_rule_match_words(b),
                  a->n_match_words * sizeof(uint64_t)) == 0;
}

/* The value a slot of @st holds, as a whole key (the unmatched words
 * zero). */
static inline void
dp_slot_value(const struct subtable *st, const uint64_t *slot,
              struct flow_key *key)
{
    uint64_t w[DP_KEY_WORDS] = { 0 };

    for (unsigned j = 0; j < st->n_idx; j++)
        w[st->idx[j]] = slot[DP_SLOT_HDR + j];
    memcpy(key, w, sizeof(*key));
}

#endif /* SNIC_DP_CLS_PRIV_H */
