/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The manager's number spaces.
 *
 * Flow id -> the manager's record: open addressing with linear probing and
 * tombstones, grown at half load. Ids are never reused, so a tombstone is
 * only a marker for probes that must continue past it.
 *
 * Mark pools: the numbers of a mark range, handed out round the range so
 * that a released mark is the last one to come back, and never within its
 * quiet time (struct snicd_mark_pool).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* ------------------------------------------------------------------------
 * Mark pools
 * ------------------------------------------------------------------------ */

int
snicd_mark_pool_init(struct snicd_mark_pool *p, uint32_t first,
                     uint32_t last, uint64_t quiet_ns)
{
    memset(p, 0, sizeof(*p));
    if (first == 0 || last < first)
        return -EINVAL;
    p->first = first;
    p->n = last - first + 1;
    p->quiet_ns = quiet_ns;
    /* 2 MiB for the flows' range; calloc maps it lazily */
    p->busy = calloc((p->n + 63) / 64, sizeof(*p->busy));
    return p->busy == NULL ? -ENOMEM : 0;
}

void
snicd_mark_pool_fini(struct snicd_mark_pool *p)
{
    free(p->busy);
    free(p->quiet);
    memset(p, 0, sizeof(*p));
}

static bool
busy(const struct snicd_mark_pool *p, uint32_t off)
{
    return (p->busy[off / 64] >> (off % 64)) & 1;
}

static void
set_busy(struct snicd_mark_pool *p, uint32_t off, bool on)
{
    if (on)
        p->busy[off / 64] |= 1ull << (off % 64);
    else
        p->busy[off / 64] &= ~(1ull << (off % 64));
}

/* Marks whose quiet time is over become free again. */
static void
wake_quiet(struct snicd_mark_pool *p, uint64_t now_ns)
{
    while (p->n_quiet > 0) {
        const struct snicd_mark_quiet *q = &p->quiet[p->head];

        if (now_ns - q->since_ns < p->quiet_ns)
            break;
        set_busy(p, q->mark - p->first, false);
        p->head++;
        p->n_quiet--;
    }
    if (p->n_quiet == 0)
        p->head = 0;
}

uint32_t
snicd_mark_pool_get(struct snicd_mark_pool *p, uint64_t now_ns)
{
    uint32_t off = p->cursor;

    wake_quiet(p, now_ns);
    for (uint32_t tried = 0; tried < p->n;) {
        /* a whole word of live or quiet marks at once */
        if (off % 64 == 0 && p->n - off >= 64 && p->busy[off / 64] ==
            UINT64_MAX) {
            tried += 64;
            off = off + 64 == p->n ? 0 : off + 64;
            continue;
        }
        if (!busy(p, off)) {
            set_busy(p, off, true);
            p->cursor = off + 1 == p->n ? 0 : off + 1;
            return p->first + off;
        }
        tried++;
        off = off + 1 == p->n ? 0 : off + 1;
    }
    return 0;
}

void
snicd_mark_pool_put(struct snicd_mark_pool *p, uint32_t mark,
                    uint64_t now_ns)
{
    uint32_t off = mark - p->first;

    if (mark < p->first || off >= p->n || !busy(p, off))
        return;
    if (p->head > 0 && p->head + p->n_quiet == p->cap_quiet) {
        memmove(p->quiet, p->quiet + p->head,
                p->n_quiet * sizeof(*p->quiet));
        p->head = 0;
    }
    if (p->head + p->n_quiet == p->cap_quiet) {
        uint32_t nc = p->cap_quiet ? p->cap_quiet * 2 : 64;
        struct snicd_mark_quiet *q = realloc(p->quiet, nc * sizeof(*q));

        if (q == NULL)
            return;     /* stays busy: one number lost, never misread */
        p->quiet = q;
        p->cap_quiet = nc;
    }
    p->quiet[p->head + p->n_quiet].mark = mark;
    p->quiet[p->head + p->n_quiet].since_ns = now_ns;
    p->n_quiet++;
}
