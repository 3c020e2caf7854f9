/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's copy of a flow (struct snicd_orule,
 * snicd_offload_priv.h), kept as the flow table keeps its entries
 * (offload/flow_entry.c): the rule's own actions, then only the words of
 * the match whose mask is not zero, values then masks, in word order. A
 * normalised match (what the flow table and the conjunctions hand over)
 * is zero in both outside its mask, so the words left out are zero and
 * the copy is exact; and since the flow table packs its entries with the
 * same flow_match_pack(), a flow's words are copied from its entry as
 * they are.
 *
 * A five-tuple flow with one output keeps 24 + 16 + 64 bytes here where a
 * whole struct flow is 1,032. The readers that need the whole flow (the
 * translator, placement's checks of ports and tunnels, conjunctions,
 * NORMAL's conversations) expand it on their stack with
 * snicd_oflow_flow(); the overlap index compares the compact words.
 *
 * A leaf: it calls only the flow library. Control thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snic_hash.h"
#include "snicd_offload_priv.h"

static uint64_t
key_word(const struct flow_key *k, unsigned i)
{
    uint64_t w;

    memcpy(&w, (const uint8_t *)k + i * sizeof(w), sizeof(w));
    return w;
}

static size_t
rule_bytes(unsigned n_actions, unsigned n_words)
{
    return sizeof(struct snicd_orule)
           + n_actions * sizeof(struct flow_action)
           + 2 * n_words * sizeof(uint64_t);
}

static uint64_t *
words_of(struct snicd_orule *r)
{
    return (uint64_t *)(void *)(r->actions + r->n_actions);
}

static const uint64_t *
cwords_of(const struct snicd_orule *r)
{
    return (const uint64_t *)(const void *)(r->actions + r->n_actions);
}

/* ---- storage: the record's own tail, or an allocation of the rule's ---- */

static bool
rule_is_tail(const struct snicd_oflow *f)
{
    return (const void *)f->rule == (const void *)f->tail;
}

/* Room for a rule of @size bytes: the tail when it fits, else a new
 * allocation (the old one, if any, is the caller's to free). NULL on
 * ENOMEM. */
static struct snicd_orule *
room_for(struct snicd_oflow *f, size_t size, struct snicd_orule **old_ext)
{
    struct snicd_orule *r;

    *old_ext = rule_is_tail(f) ? NULL : f->rule;
    if (size <= f->tail_size)
        return (struct snicd_orule *)(void *)f->tail;
    if (*old_ext != NULL && size <= (*old_ext)->size)
        return *old_ext;
    r = malloc(size);
    if (r != NULL)
        r->size = (uint16_t)size;
    return r;
}

static void
take_room(struct snicd_oflow *f, struct snicd_orule *r,
          struct snicd_orule *old_ext)
{
    if (old_ext != NULL && old_ext != r)
        free(old_ext);
    if ((void *)r == (void *)f->tail)
        r->size = f->tail_size;
    f->rule = r;
}

static struct snicd_oflow *
record_new(size_t size)
{
    size_t tail = size + sizeof(uint64_t) - 1;
    struct snicd_oflow *f;

    tail -= tail % sizeof(uint64_t);
    if (tail > UINT16_MAX)
        tail = 0;       /* cannot happen: 32 actions and 62 words fit */
    f = calloc(1, sizeof(*f) + tail);
    if (f == NULL)
        return NULL;
    f->tail_size = (uint16_t)tail;
    f->rule = (struct snicd_orule *)(void *)f->tail;
    f->rule->size = (uint16_t)tail;
    return f;
}

/* ---- filling a rule ---- */

static void
fill_from_entry(struct snicd_orule *r, const struct flow_entry *e)
{
    unsigned n = e->flow.n_actions;

    r->cookie = e->flow.cookie;
    r->idle_timeout = e->flow.idle_timeout;
    r->hard_timeout = e->flow.hard_timeout;
    r->flags = e->flow.flags;
    r->importance = e->flow.importance;
    r->match_map = e->match_map;
    r->n_match_words = (uint8_t)e->n_match_words;
    r->n_actions = (uint8_t)n;
    memcpy(r->actions, e->flow.actions, n * sizeof(r->actions[0]));
    memcpy(words_of(r), flow_entry_match_words(e),
           2 * e->n_match_words * sizeof(uint64_t));
}

static void
fill_from_flow(struct snicd_orule *r, const struct flow *fl,
               const uint64_t *w, uint32_t map, unsigned n_words)
{
    unsigned n = fl->n_actions;

    r->cookie = fl->cookie;
    r->idle_timeout = fl->idle_timeout;
    r->hard_timeout = fl->hard_timeout;
    r->flags = fl->flags;
    r->importance = fl->importance;
    r->match_map = map;
    r->n_match_words = (uint8_t)n_words;
    r->n_actions = (uint8_t)n;
    memcpy(r->actions, fl->actions, n * sizeof(r->actions[0]));
    memcpy(words_of(r), w, 2 * n_words * sizeof(uint64_t));
}

struct snicd_oflow *
snicd_oflow_new_entry(const struct flow_entry *e)
{
    struct snicd_oflow *f;

    if (e->flow.n_actions > FLOW_MAX_ACTIONS) {
        errno = EINVAL;
        return NULL;
    }
    f = record_new(rule_bytes(e->flow.n_actions, e->n_match_words));
    if (f == NULL)
        return NULL;
    f->id = e->id;
    f->priority = e->flow.priority;
    f->table_id = e->flow.table_id;
    fill_from_entry(f->rule, e);
    return f;
}

struct snicd_oflow *
snicd_oflow_new_flow(const struct flow *fl)
{
    uint64_t w[2 * FLOW_KEY_WORDS];
    struct snicd_oflow *f;
    uint32_t map;
    unsigned n;

    if (fl->n_actions > FLOW_MAX_ACTIONS) {
        errno = EINVAL;
        return NULL;
    }
    n = flow_match_pack(&fl->match, &map, w);
    f = record_new(rule_bytes(fl->n_actions, n));
    if (f == NULL)
        return NULL;
    f->priority = fl->priority;
    f->table_id = fl->table_id;
    fill_from_flow(f->rule, fl, w, map, n);
    return f;
}

int
snicd_oflow_set_entry(struct snicd_oflow *f, const struct flow_entry *e)
{
    struct snicd_orule *r, *old_ext;

    if (e->flow.n_actions > FLOW_MAX_ACTIONS)
        return -EINVAL;
    r = room_for(f, rule_bytes(e->flow.n_actions, e->n_match_words),
                 &old_ext);
    if (r == NULL)
        return -ENOMEM;
    fill_from_entry(r, e);
    take_room(f, r, old_ext);
    f->priority = e->flow.priority;
    f->table_id = e->flow.table_id;
    return 0;
}

void
snicd_oflow_release(struct snicd_oflow *f)
{
    if (!rule_is_tail(f))
        free(f->rule);
    f->rule = (struct snicd_orule *)(void *)f->tail;
    /* out of every index by now (placement's to see to), its decap
     * context and conversations given back */
    if (f->rare != NULL)
        free(f->rare->ov_tun);
    free(f->rare);
    f->rare = NULL;
}

struct snicd_oflow_rare *
snicd_oflow_rare(struct snicd_oflow *f)
{
    if (f->rare == NULL) {
        f->rare = calloc(1, sizeof(*f->rare));
        if (f->rare == NULL)
            return NULL;
        f->rare->conv_level = -1;
    }
    return f->rare;
}

size_t
snicd_oflow_bytes(const struct snicd_oflow *f)
{
    return sizeof(*f) + f->tail_size
           + (rule_is_tail(f) ? 0 : f->rule->size)
           + (f->rare != NULL ? sizeof(*f->rare) : 0)
           + (snicd_oflow_ov_tun(f) != NULL ? sizeof(struct snicd_ovm) : 0);
}

/* ---- reading it ---- */

void
snicd_oflow_match(const struct snicd_oflow *f, struct flow_match *m)
{
    snicd_oflow_value(f, &m->value);
    snicd_oflow_mask(f, &m->mask);
}

void
snicd_oflow_value(const struct snicd_oflow *f, struct flow_key *k)
{
    flow_key_unpack(k, f->rule->match_map, cwords_of(f->rule));
}

void
snicd_oflow_mask(const struct snicd_oflow *f, struct flow_key *k)
{
    const struct snicd_orule *r = f->rule;

    flow_key_unpack(k, r->match_map, cwords_of(r) + r->n_match_words);
}

void
snicd_oflow_flow(const struct snicd_oflow *f, struct flow *out)
{
    const struct snicd_orule *r = f->rule;
    unsigned n = r->n_actions;

    snicd_oflow_match(f, &out->match);
    out->cookie = r->cookie;
    out->priority = f->priority;
    out->table_id = f->table_id;
    out->n_actions = r->n_actions;
    out->idle_timeout = r->idle_timeout;
    out->hard_timeout = r->hard_timeout;
    out->flags = r->flags;
    out->importance = r->importance;
    memcpy(out->actions, r->actions, n * sizeof(out->actions[0]));
    memset(out->actions + n, 0,
           (FLOW_MAX_ACTIONS - n) * sizeof(out->actions[0]));
}

bool
snicd_oflow_match_is_entry(const struct snicd_oflow *f,
                           const struct flow_entry *e)
{
    const struct snicd_orule *r = f->rule;

    return r->match_map == e->match_map
           && r->n_match_words == e->n_match_words
           && memcmp(cwords_of(r), flow_entry_match_words(e),
                     2 * e->n_match_words * sizeof(uint64_t)) == 0;
}

bool
snicd_oflow_actions_are_entry(const struct snicd_oflow *f,
                              const struct flow_entry *e)
{
    const struct snicd_orule *r = f->rule;

    return r->n_actions == e->flow.n_actions
           && memcmp(r->actions, e->flow.actions,
                     r->n_actions * sizeof(r->actions[0])) == 0;
}

/* Values agree wherever both masks look: a word missing from a map has
 * mask zero there, so only the words both have can disagree. */
bool
snicd_oflow_overlaps(const struct snicd_oflow *a, const struct snicd_oflow *b)
{
    const struct snicd_orule *ra = a->rule, *rb = b->rule;
    const uint64_t *wa = cwords_of(ra), *wb = cwords_of(rb);
    unsigned na = ra->n_match_words, nb = rb->n_match_words;
    uint32_t both = ra->match_map & rb->match_map;

    for (; both != 0; both &= both - 1) {
        uint32_t bit = both & -both;
        /* index of the word among each map's words */
        unsigned ia = (unsigned)__builtin_popcount(ra->match_map & (bit - 1));
        unsigned ib = (unsigned)__builtin_popcount(rb->match_map & (bit - 1));

        if ((wa[ia] ^ wb[ib]) & wa[na + ia] & wb[nb + ib])
            return false;
    }
    return true;
}

bool
snicd_oflow_overlaps_match(const struct snicd_oflow *f,
                           const struct flow_match *m)
{
    const struct snicd_orule *r = f->rule;
    const uint64_t *w = cwords_of(r);
    unsigned n = r->n_match_words, j = 0;

    for (uint32_t map = r->match_map; map != 0; map &= map - 1, j++) {
        unsigned i = (unsigned)__builtin_ctz(map);

        if ((w[j] ^ key_word(&m->value, i)) & w[n + j]
            & key_word(&m->mask, i))
            return false;
    }
    return true;
}

/* @r's value word @i (a word of struct flow_key), zero where its mask is:
 * the compact words hold only the words of its map. */
static uint64_t
value_word(const struct snicd_orule *r, unsigned i)
{
    uint32_t bit = 1u << i;

    if (!(r->match_map & bit))
        return 0;
    return cwords_of(r)[__builtin_popcount(r->match_map & (bit - 1))];
}

/* Without unpacking the record's value into a whole key (248 bytes, and
 * as many compared byte by byte, a third of placement's instructions,
 * #13): the words of @imap alone. */
uint64_t
snicd_oflow_masked_hash(const struct snicd_oflow *f, uint32_t imap,
                        const struct flow_key *imask)
{
    uint64_t h = SNIC_HASH_BASIS;

    for (; imap != 0; imap &= imap - 1) {
        unsigned i = (unsigned)__builtin_ctz(imap);

        h = snic_hash_mix(h, value_word(f->rule, i) & key_word(imask, i));
    }
    return snic_hash_final(h);
}

bool
snicd_oflow_masked_eq(const struct snicd_oflow *a,
                      const struct snicd_oflow *b, uint32_t imap,
                      const struct flow_key *imask)
{
    for (; imap != 0; imap &= imap - 1) {
        unsigned i = (unsigned)__builtin_ctz(imap);

        if ((value_word(a->rule, i) ^ value_word(b->rule, i))
            & key_word(imask, i))
            return false;
    }
    return true;
}

bool
snicd_oflow_catch_all(const struct snicd_oflow *f)
{
    return f->rule->match_map == 0;
}

/* Packed as the record was (both normalised), equal matches have the same
 * words: what flow_equal() compares, without expanding the record. */
bool
snicd_oflow_equal(const struct snicd_oflow *f, const struct flow *fl)
{
    const struct snicd_orule *r = f->rule;
    uint64_t w[2 * FLOW_KEY_WORDS];
    uint32_t map;
    unsigned n;

    if (fl->n_actions > FLOW_MAX_ACTIONS || f->priority != fl->priority
        || f->table_id != fl->table_id || r->cookie != fl->cookie
        || r->n_actions != fl->n_actions
        || r->idle_timeout != fl->idle_timeout
        || r->hard_timeout != fl->hard_timeout || r->flags != fl->flags
        || r->importance != fl->importance
        || memcmp(r->actions, fl->actions,
                  fl->n_actions * sizeof(fl->actions[0])) != 0)
        return false;
    n = flow_match_pack(&fl->match, &map, w);
    return map == r->match_map && n == r->n_match_words
           && memcmp(cwords_of(r), w, 2 * n * sizeof(w[0])) == 0;
}

_Static_assert((offsetof(struct flow_key, meta)
                + offsetof(struct flow_meta, conj_id)) % sizeof(uint64_t)
               + sizeof(uint32_t) <= sizeof(uint64_t),
               "conj_id lies in one word of the key");

bool
snicd_oflow_conj_member(const struct snicd_oflow *f)
{
    const struct snicd_orule *r = f->rule;
    size_t off = offsetof(struct flow_key, meta)
                 + offsetof(struct flow_meta, conj_id);
    unsigned i = (unsigned)(off / sizeof(uint64_t));
    uint64_t mw;
    uint32_t conj_mask;

    if (flow_actions_are_conjunction(r->actions, r->n_actions))
        return true;
    if (!((r->match_map >> i) & 1u))
        return false;
    /* the mask word holding conj_id: its index among the map's words */
    mw = cwords_of(r)[r->n_match_words
                      + __builtin_popcount(r->match_map & ((1u << i) - 1))];
    memcpy(&conj_mask, (const uint8_t *)&mw + off % sizeof(uint64_t),
           sizeof(conj_mask));
    return conj_mask != 0;
}
