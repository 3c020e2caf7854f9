/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The manager's number spaces.
 *
 * Flow id -> the manager's record: the shared intrusive map
 * (common/snic_hmap.h), the flow's id_node in it.
 *
 * Mark pools: the numbers of a mark range, handed out round the range so
 * that a released mark is the last one to come back, and never within its
 * quiet time (struct snicd_mark_pool).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snicd_offload_priv.h"
#include "snic_hash.h"
#include "snic_zmap.h"

struct snicd_oflow *
snicd_idmap_find(const struct snic_hmap *ids, uint64_t id)
{
    struct snicd_oflow *f;

    SNIC_HMAP_FOR_EACH_WITH_HASH(f, id_node, snic_hash_flow_id(id), ids)
        if (f->id == id)
            return f;
    return NULL;
}

void
snicd_idmap_put(struct snic_hmap *ids, struct snicd_oflow *f)
{
    snic_hmap_insert(ids, &f->id_node, snic_hash_flow_id(f->id));
}

void
snicd_idmap_del(struct snic_hmap *ids, struct snicd_oflow *f)
{
    snic_hmap_remove(ids, &f->id_node);
}

/* ------------------------------------------------------------------------
 * Mark pools
 * ------------------------------------------------------------------------ */

static size_t
busy_bytes(const struct snicd_mark_pool *p)
{
    return (size_t)(p->n + 63) / 64 * sizeof(*p->busy);
}

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
    /* 2 MiB for the flows' range, mapped: only the words of marks in use
     * are ever touched (snic_zmap.h) */
    p->busy = snic_zmap(busy_bytes(p));
    return p->busy == NULL ? -ENOMEM : 0;
}

void
snicd_mark_pool_fini(struct snicd_mark_pool *p)
{
    snic_zunmap(p->busy, busy_bytes(p));
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
