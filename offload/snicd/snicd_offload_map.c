/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow id -> the manager's record: open addressing with linear probing and
 * tombstones, grown at half load. Ids are never reused, so a tombstone is
 * only a marker for probes that must continue past it.
 */
#include <errno.h>
#include <stdlib.h>

#include "snicd_offload_priv.h"

static uint64_t
id_hash(uint64_t id)
{
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdull;
    id ^= id >> 33;
    return id;
}

int
snicd_idmap_init(struct snicd_idmap *m)
{
    m->cap = 1024;
    m->n = m->used = 0;
    m->slots = calloc(m->cap, sizeof(*m->slots));
    return m->slots == NULL ? -ENOMEM : 0;
}

void
snicd_idmap_fini(struct snicd_idmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = m->used = 0;
}

static uint64_t
probe(const struct snicd_idmap *m, uint64_t id, bool *found)
{
    uint64_t j = id_hash(id) & (m->cap - 1), tomb = UINT64_MAX;

    *found = false;
    for (;;) {
        struct snicd_oflow *f = m->slots[j];

        if (f == NULL)
            return tomb != UINT64_MAX ? tomb : j;
        if (f == SNICD_IDMAP_TOMB) {
            if (tomb == UINT64_MAX)
                tomb = j;
        } else if (f->id == id) {
            *found = true;
            return j;
        }
        j = (j + 1) & (m->cap - 1);
    }
}

struct snicd_oflow *
snicd_idmap_find(const struct snicd_idmap *m, uint64_t id)
{
    bool found;
    uint64_t j = probe(m, id, &found);

    return found ? m->slots[j] : NULL;
}

static int
rehash(struct snicd_idmap *m, uint64_t ncap)
{
    struct snicd_oflow **old = m->slots;
    uint64_t ocap = m->cap;

    m->slots = calloc(ncap, sizeof(*m->slots));
    if (m->slots == NULL) {
        m->slots = old;
        return -ENOMEM;
    }
    m->cap = ncap;
    m->used = m->n;
    for (uint64_t i = 0; i < ocap; i++) {
        uint64_t j;

        if (old[i] == NULL || old[i] == SNICD_IDMAP_TOMB)
            continue;
        j = id_hash(old[i]->id) & (ncap - 1);
        while (m->slots[j] != NULL)
            j = (j + 1) & (ncap - 1);
        m->slots[j] = old[i];
    }
    free(old);
    return 0;
}

int
snicd_idmap_put(struct snicd_idmap *m, struct snicd_oflow *f)
{
    bool found;
    uint64_t j;

    if ((m->used + 1) * 2 > m->cap &&
        rehash(m, (m->n + 1) * 4 > m->cap ? m->cap * 2 : m->cap) < 0)
        return -ENOMEM;
    j = probe(m, f->id, &found);
    if (!found) {
        m->n++;
        if (m->slots[j] == NULL)
            m->used++;
    }
    m->slots[j] = f;
    return 0;
}

void
snicd_idmap_del(struct snicd_idmap *m, uint64_t id)
{
    bool found;
    uint64_t j = probe(m, id, &found);

    if (!found)
        return;
    m->slots[j] = SNICD_IDMAP_TOMB;
    m->n--;
}

struct snicd_oflow *
snicd_idmap_next(const struct snicd_idmap *m, uint64_t *pos)
{
    while (*pos < m->cap) {
        struct snicd_oflow *f = m->slots[(*pos)++];

        if (f != NULL && f != SNICD_IDMAP_TOMB)
            return f;
    }
    return NULL;
}
