/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's view of a flow (struct snicd_oflow,
 * snicd_offload_priv.h). Its match and the rule's other fields are read
 * from the flow table's entry (offload/flow_entry.c: only the words of
 * the match whose mask is not zero, values then masks, in word order),
 * which the record shares instead of copying (#13: 88 bytes a flow with
 * one output and three words, and a million flows). Only the actions are
 * the record's own: a batch changes the entry before the manager hears
 * of it (snicd_core.c), and the old actions are what tells it that the
 * flow's rule must change. The match, the priority and the table never
 * change for a flow table id; a node that moves (its actions outgrew it)
 * is followed with snicd_oflow_rebind(). A combination rule of a
 * conjunction has no node: it gets an entry of its own.
 *
 * The readers that need the whole flow (the translator, placement's
 * checks of ports and tunnels, conjunctions, NORMAL's conversations)
 * expand it on their stack with snicd_oflow_flow(); the overlap index
 * compares the compact words.
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

/* ---- storage: the actions in the record's tail, or an allocation ---- */

static bool
acts_in_tail(const struct snicd_oflow *f)
{
    return f->acts == f->tail;
}

/* Room for @n actions: the tail when they fit, else a new allocation (the
 * old one, if any, is the caller's to free). NULL on ENOMEM. */
static struct flow_action *
room_for(struct snicd_oflow *f, unsigned n, struct flow_action **old_ext)
{
    *old_ext = acts_in_tail(f) ? NULL : f->acts;
    if (n <= f->tail_room)
        return f->tail;
    return malloc(n * sizeof(struct flow_action));
}

static void
take_room(struct snicd_oflow *f, struct flow_action *a,
          struct flow_action *old_ext, const struct flow_action *src,
          unsigned n)
{
    memcpy(a, src, n * sizeof(*a));
    if (old_ext != NULL && old_ext != a)
        free(old_ext);
    f->acts = a;
    f->n_actions = (uint8_t)n;
}

static struct snicd_oflow *
record_new(unsigned n_actions)
{
    struct snicd_oflow *f;

    f = calloc(1, sizeof(*f) + n_actions * sizeof(struct flow_action));
    if (f == NULL)
        return NULL;
    f->tail_room = (uint8_t)n_actions;
    f->acts = f->tail;
    return f;
}

_Static_assert(FLOW_MAX_ACTIONS <= UINT8_MAX, "n_actions fits a byte");

struct snicd_oflow *
snicd_oflow_new_entry(const struct flow_entry *e)
{
    struct snicd_oflow *f;

    if (e->flow.n_actions > FLOW_MAX_ACTIONS) {
        errno = EINVAL;
        return NULL;
    }
    f = record_new(e->flow.n_actions);
    if (f == NULL)
        return NULL;
    f->id = e->id;
    f->entry = e;
    f->priority = e->flow.priority;
    f->table_id = e->flow.table_id;
    take_room(f, f->tail, NULL, e->flow.actions, e->flow.n_actions);
    return f;
}

struct snicd_oflow *
snicd_oflow_new_flow(const struct flow *fl)
{
    struct flow_entry *e;
    struct snicd_oflow *f;

    if (fl->n_actions > FLOW_MAX_ACTIONS) {
        errno = EINVAL;
        return NULL;
    }
    e = calloc(1, flow_entry_size(fl, fl->n_actions));
    if (e == NULL)
        return NULL;
    flow_entry_set_flow(e, fl);
    f = record_new(fl->n_actions);
    if (f == NULL) {
        free(e);
        return NULL;
    }
    f->entry = e;
    f->own_entry = true;
    f->priority = fl->priority;
    f->table_id = fl->table_id;
    take_room(f, f->tail, NULL, fl->actions, fl->n_actions);
    return f;
}

int
snicd_oflow_set_entry(struct snicd_oflow *f, const struct flow_entry *e)
{
    struct flow_action *a, *old_ext;

    if (e->flow.n_actions > FLOW_MAX_ACTIONS || f->own_entry)
        return -EINVAL;
    a = room_for(f, e->flow.n_actions, &old_ext);
    if (a == NULL)
        return -ENOMEM;
    take_room(f, a, old_ext, e->flow.actions, e->flow.n_actions);
    f->entry = e;
    f->priority = e->flow.priority;
    f->table_id = e->flow.table_id;
    return 0;
}

void
snicd_oflow_release(struct snicd_oflow *f)
{
    if (!acts_in_tail(f))
        free(f->acts);
    f->acts = f->tail;
    if (f->n_actions > f->tail_room)
        f->n_actions = 0;
    if (f->own_entry)
        free((void *)(uintptr_t)f->entry);
    f->entry = NULL;
    f->own_entry = false;
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
    return sizeof(*f) + f->tail_room * sizeof(struct flow_action)
           + (acts_in_tail(f) ? 0 : f->n_actions * sizeof(struct flow_action))
           + (f->own_entry && f->entry != NULL ? flow_entry_bytes(f->entry)
                                               : 0)
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
    flow_key_unpack(k, f->entry->match_map,
                    flow_entry_match_words(f->entry));
}

void
snicd_oflow_mask(const struct snicd_oflow *f, struct flow_key *k)
{
    const struct flow_entry *r = f->entry;

    flow_key_unpack(k, r->match_map, flow_entry_match_words(r) + r->n_match_words);
}

void
snicd_oflow_flow(const struct snicd_oflow *f, struct flow *out)
{
    const struct flow_entry_rule *r = &f->entry->flow;
    unsigned n = f->n_actions;

    snicd_oflow_match(f, &out->match);
    out->cookie = r->cookie;
    out->priority = f->priority;
    out->table_id = f->table_id;
    out->n_actions = f->n_actions;
    out->idle_timeout = r->idle_timeout;
    out->hard_timeout = r->hard_timeout;
    out->flags = r->flags;
    out->importance = r->importance;
    memcpy(out->actions, f->acts, n * sizeof(out->actions[0]));
    memset(out->actions + n, 0,
           (FLOW_MAX_ACTIONS - n) * sizeof(out->actions[0]));
}

bool
snicd_oflow_match_is_entry(const struct snicd_oflow *f,
                           const struct flow_entry *e)
{
    const struct flow_entry *r = f->entry;

    return r->match_map == e->match_map
           && r->n_match_words == e->n_match_words
           && memcmp(flow_entry_match_words(r), flow_entry_match_words(e),
                     2 * e->n_match_words * sizeof(uint64_t)) == 0;
}

bool
snicd_oflow_actions_are_entry(const struct snicd_oflow *f,
                              const struct flow_entry *e)
{
    return f->n_actions == e->flow.n_actions
           && memcmp(f->acts, e->flow.actions,
                     f->n_actions * sizeof(f->acts[0])) == 0;
}

/* Values agree wherever both masks look: a word missing from a map has
 * mask zero there, so only the words both have can disagree. */
bool
snicd_oflow_overlaps(const struct snicd_oflow *a, const struct snicd_oflow *b)
{
    const struct flow_entry *ra = a->entry, *rb = b->entry;
    const uint64_t *wa = flow_entry_match_words(ra), *wb = flow_entry_match_words(rb);
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
    const struct flow_entry *r = f->entry;
    const uint64_t *w = flow_entry_match_words(r);
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
value_word(const struct flow_entry *r, unsigned i)
{
    uint32_t bit = 1u << i;

    if (!(r->match_map & bit))
        return 0;
    return flow_entry_match_words(r)[__builtin_popcount(r->match_map & (bit - 1))];
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

        h = snic_hash_mix(h, value_word(f->entry, i) & key_word(imask, i));
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

        if ((value_word(a->entry, i) ^ value_word(b->entry, i))
            & key_word(imask, i))
            return false;
    }
    return true;
}

bool
snicd_oflow_catch_all(const struct snicd_oflow *f)
{
    return f->entry->match_map == 0;
}

/* Packed as the record was (both normalised), equal matches have the same
 * words: what flow_equal() compares, without expanding the record. */
bool
snicd_oflow_equal(const struct snicd_oflow *f, const struct flow *fl)
{
    const struct flow_entry *r = f->entry;
    uint64_t w[2 * FLOW_KEY_WORDS];
    uint32_t map;
    unsigned n;

    if (fl->n_actions > FLOW_MAX_ACTIONS || f->priority != fl->priority
        || f->table_id != fl->table_id || r->flow.cookie != fl->cookie
        || f->n_actions != fl->n_actions
        || r->flow.idle_timeout != fl->idle_timeout
        || r->flow.hard_timeout != fl->hard_timeout
        || r->flow.flags != fl->flags
        || r->flow.importance != fl->importance
        || memcmp(f->acts, fl->actions,
                  fl->n_actions * sizeof(fl->actions[0])) != 0)
        return false;
    n = flow_match_pack(&fl->match, &map, w);
    return map == r->match_map && n == r->n_match_words
           && memcmp(flow_entry_match_words(r), w, 2 * n * sizeof(w[0])) == 0;
}

_Static_assert((offsetof(struct flow_key, meta)
                + offsetof(struct flow_meta, conj_id)) % sizeof(uint64_t)
               + sizeof(uint32_t) <= sizeof(uint64_t),
               "conj_id lies in one word of the key");

bool
snicd_oflow_conj_member(const struct snicd_oflow *f)
{
    const struct flow_entry *r = f->entry;
    size_t off = offsetof(struct flow_key, meta)
                 + offsetof(struct flow_meta, conj_id);
    unsigned i = (unsigned)(off / sizeof(uint64_t));
    uint64_t mw;
    uint32_t conj_mask;

    if (flow_actions_are_conjunction(f->acts, f->n_actions))
        return true;
    if (!((r->match_map >> i) & 1u))
        return false;
    /* the mask word holding conj_id: its index among the map's words */
    mw = flow_entry_match_words(r)[r->n_match_words
                      + __builtin_popcount(r->match_map & ((1u << i) - 1))];
    memcpy(&conj_mask, (const uint8_t *)&mw + off % sizeof(uint64_t),
           sizeof(conj_mask));
    return conj_mask != 0;
}
