/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A flow table entry's compact flow (struct flow_entry, include/snic/
 * flow.h): the rule's own actions, then only the words of the match whose
 * mask is not zero, values then masks. A normalised match has value zero
 * wherever its mask is, so the words left out are zero in both and the
 * compact form is exact: two identical matches have the same map and the
 * same words, which is what the flow table's index hashes and compares.
 *
 * A million flows of a five-tuple match keep 4 words of 31 each: 64
 * bytes where the whole match is 496. The readers that need the whole
 * match (formatting, the journal, the datapath's and the offload
 * manager's listeners) expand it on their stack, one flow at a time.
 */
#include <string.h>

#include "snic/flow.h"

static uint64_t
key_word(const struct flow_key *k, unsigned i)
{
    uint64_t w;

    memcpy(&w, (const uint8_t *)k + i * sizeof(w), sizeof(w));
    return w;
}

static void
key_word_set(struct flow_key *k, unsigned i, uint64_t w)
{
    memcpy((uint8_t *)k + i * sizeof(w), &w, sizeof(w));
}

unsigned
flow_match_pack(const struct flow_match *m, uint32_t *map, uint64_t *w)
{
    uint64_t masks[FLOW_KEY_WORDS];
    uint32_t bits = 0;
    unsigned n = 0;

    for (unsigned i = 0; i < FLOW_KEY_WORDS; i++) {
        uint64_t mw = key_word(&m->mask, i);

        if (mw == 0)
            continue;
        bits |= 1u << i;
        w[n] = key_word(&m->value, i);
        masks[n++] = mw;
    }
    memcpy(w + n, masks, n * sizeof(masks[0]));
    *map = bits;
    return n;
}

void
flow_key_unpack(struct flow_key *k, uint32_t map, const uint64_t *w)
{
    memset(k, 0, sizeof(*k));
    for (; map != 0; map &= map - 1)
        key_word_set(k, (unsigned)__builtin_ctz(map), *w++);
}

/* The words of @e, writable (the entry's own bytes). */
static uint64_t *
words_of(struct flow_entry *e)
{
    return (uint64_t *)(void *)(e->flow.actions + e->flow.n_actions);
}

size_t
flow_entry_size(const struct flow *f, unsigned room)
{
    unsigned n = 0;

    for (unsigned i = 0; i < FLOW_KEY_WORDS; i++)
        n += key_word(&f->match.mask, i) != 0;
    if (room < f->n_actions)
        room = f->n_actions;
    return offsetof(struct flow_entry, flow.actions)
           + room * sizeof(struct flow_action)
           + 2 * n * sizeof(uint64_t);
}

size_t
flow_entry_bytes(const struct flow_entry *e)
{
    return offsetof(struct flow_entry, flow.actions)
           + e->flow.n_actions * sizeof(struct flow_action)
           + 2 * e->n_match_words * sizeof(uint64_t);
}

void
flow_entry_set_flow(struct flow_entry *e, const struct flow *f)
{
    uint64_t w[2 * FLOW_KEY_WORDS];
    unsigned n = flow_match_pack(&f->match, &e->match_map, w);

    e->n_match_words = n;
    e->flow.cookie = f->cookie;
    e->flow.priority = f->priority;
    e->flow.table_id = f->table_id;
    e->flow.n_actions = f->n_actions;
    e->flow.idle_timeout = f->idle_timeout;
    e->flow.hard_timeout = f->hard_timeout;
    e->flow.flags = f->flags;
    e->flow.importance = f->importance;
    memcpy(e->flow.actions, f->actions,
           f->n_actions * sizeof(f->actions[0]));
    memcpy(words_of(e), w, 2 * n * sizeof(w[0]));
}

void
flow_entry_set_actions(struct flow_entry *e, const struct flow_action *a,
                       unsigned n)
{
    /* the words first: the new actions may cover where they were */
    memmove(e->flow.actions + n, words_of(e),
            2 * e->n_match_words * sizeof(uint64_t));
    memcpy(e->flow.actions, a, n * sizeof(a[0]));
    e->flow.n_actions = (uint8_t)n;
}

void
flow_entry_match(const struct flow_entry *e, struct flow_match *m)
{
    const uint64_t *v = flow_entry_match_words(e);

    flow_key_unpack(&m->value, e->match_map, v);
    flow_key_unpack(&m->mask, e->match_map, v + e->n_match_words);
}

void
flow_entry_flow(const struct flow_entry *e, struct flow *f)
{
    unsigned n = e->flow.n_actions;

    flow_entry_match(e, &f->match);
    f->cookie = e->flow.cookie;
    f->priority = e->flow.priority;
    f->table_id = e->flow.table_id;
    f->n_actions = e->flow.n_actions;
    f->idle_timeout = e->flow.idle_timeout;
    f->hard_timeout = e->flow.hard_timeout;
    f->flags = e->flow.flags;
    f->importance = e->flow.importance;
    memcpy(f->actions, e->flow.actions, n * sizeof(f->actions[0]));
    memset(f->actions + n, 0, (FLOW_MAX_ACTIONS - n) * sizeof(f->actions[0]));
}

bool
flow_entry_match_is(const struct flow_entry *e, const struct flow_match *m)
{
    const uint64_t *v = flow_entry_match_words(e);
    unsigned n = e->n_match_words, j = 0;

    for (unsigned i = 0; i < FLOW_KEY_WORDS; i++) {
        uint64_t mw = key_word(&m->mask, i);

        if ((mw != 0) != ((e->match_map >> i) & 1u))
            return false;
        if (mw == 0) {
            if (key_word(&m->value, i) != 0)
                return false;
            continue;
        }
        if (v[j] != key_word(&m->value, i) || v[n + j] != mw)
            return false;
        j++;
    }
    return true;
}

bool
flow_entry_same_match(const struct flow_entry *a, const struct flow_entry *b)
{
    return a->match_map == b->match_map
           && memcmp(flow_entry_match_words(a), flow_entry_match_words(b),
                     2 * a->n_match_words * sizeof(uint64_t)) == 0;
}

bool
flow_entry_covered_by(const struct flow_entry *e,
                      const struct flow_match *general)
{
    const uint64_t *v = flow_entry_match_words(e);
    unsigned n = e->n_match_words, j = 0;

    for (unsigned i = 0; i < FLOW_KEY_WORDS; i++) {
        uint64_t gm = key_word(&general->mask, i);
        bool has = (e->match_map >> i) & 1u;
        uint64_t sv = has ? v[j] : 0, sm = has ? v[n + j] : 0;

        j += has;
        /* every bit the general one looks at, the entry fixes, to the
         * same value (flow_match_covers()) */
        if ((gm & ~sm) != 0 || (sv & gm) != key_word(&general->value, i))
            return false;
    }
    return true;
}
