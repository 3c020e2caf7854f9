/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow counters: contiguous ranges handed out by COUNTER_ALLOC, freed
 * whole, read in bulk. Ids run 1..max_counters so that a zeroed action
 * never names a live counter by accident.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emu_dev_priv.h"

/*
 * Free ids are kept as maximal runs (neighbouring free runs are always
 * merged), each on one of a set of size-segregated lists, so that ALLOC and
 * FREE cost O(1) however full the id space is (snicd allocates one counter
 * per flow, 100,000s in one commit):
 *
 * - lists 0..EMU_COUNTER_ALLOC_MAX-1 hold runs of exactly 1..1024 ids, so a
 *   request of n takes a run from list n-1 if there is one (an exact fit),
 *   else from the first non-empty list above it (a bitmap finds that in a
 *   few word scans); every run on a higher list is long enough, so there
 *   is never a search inside a list;
 * - longer runs go on one list per power of two.
 *
 * The run records live in the free counters themselves, which hold no
 * value while free: a run's first entry (its head) and last entry (its
 * tail) carry the run's length in range_count, so FREE finds the run just
 * before it through that run's tail, and the head carries the list links
 * (next and prev head index) in packets and bytes. A free entry is still
 * range_base == 0, the one test emu_counter_get() and the rest of the
 * device make. The list heads live in a header allocated in front of the
 * counter array, so struct emu_dev keeps its single counters pointer.
 *
 * COUNTER_MOVED (ABI 1.6) finds the counters that changed since a reader's
 * epoch without looking at the others: every change stamps the counter
 * with the current epoch, and also its block of 64 counters and its
 * super-block of 4,096, which therefore hold the newest stamp below them.
 * A walk skips a super-block or a block whose stamp is older than what it
 * asks for, so an idle card answers a walk of 1,048,576 counters after
 * 256 super-block stamps. A stamp is a store of a value the line usually
 * holds already: counting stays a few instructions.
 */
#define EMU_CNT_EXACT_LOG2  10u
#define EMU_CNT_LISTS       (EMU_COUNTER_ALLOC_MAX + 32u - EMU_CNT_EXACT_LOG2)
#define EMU_CNT_WORDS       ((EMU_CNT_LISTS + 63u) / 64u)
#define EMU_CNT_NONE        UINT32_MAX
#define EMU_CNT_BLK_SHIFT   6u      /* 64 counters a block stamp */
#define EMU_CNT_SUP_SHIFT   12u     /* 4,096 a super-block stamp */

_Static_assert((1u << EMU_CNT_EXACT_LOG2) == EMU_COUNTER_ALLOC_MAX,
               "exact-size lists must cover every COUNTER_ALLOC count");

struct emu_counter_pool {
    uint32_t head[EMU_CNT_LISTS];       /* index of a run's head, or NONE */
    uint64_t nonempty[EMU_CNT_WORDS];   /* bit per list with a run on it */
    uint32_t n;                         /* entries in slot[] */
    uint64_t epoch;                     /* COUNTER_MOVED's, >= 1 */
    uint64_t *blk;                      /* newest stamp per block */
    uint64_t *sup;                      /* newest stamp per super-block */
    struct emu_counter slot[];          /* dev->counters points here */
};

static struct emu_counter_pool *
cnt_pool(const struct emu_dev *dev)
{
    return (struct emu_counter_pool *)(void *)
           ((char *)dev->counters - offsetof(struct emu_counter_pool, slot));
}

static uint32_t
cnt_list(uint32_t len)
{
    if (len <= EMU_COUNTER_ALLOC_MAX)
        return len - 1;
    /* len > 1024: floor(log2(len)) is at least EMU_CNT_EXACT_LOG2 */
    return EMU_COUNTER_ALLOC_MAX +
           (31u - (uint32_t)__builtin_clz(len)) - EMU_CNT_EXACT_LOG2;
}

static void
cnt_run_push(struct emu_counter_pool *p, uint32_t h, uint32_t len)
{
    uint32_t l = cnt_list(len);
    struct emu_counter *c = &p->slot[h];

    c->range_count = len;
    p->slot[h + len - 1].range_count = len;
    c->packets = p->head[l];
    c->bytes = EMU_CNT_NONE;
    if (p->head[l] != EMU_CNT_NONE)
        p->slot[p->head[l]].bytes = h;
    p->head[l] = h;
    p->nonempty[l / 64u] |= 1ull << (l % 64u);
}

static void
cnt_run_unlink(struct emu_counter_pool *p, uint32_t h)
{
    const struct emu_counter *c = &p->slot[h];
    uint32_t l = cnt_list(c->range_count);
    uint32_t next = (uint32_t)c->packets, prev = (uint32_t)c->bytes;

    if (prev != EMU_CNT_NONE)
        p->slot[prev].packets = next;
    else
        p->head[l] = next;
    if (next != EMU_CNT_NONE)
        p->slot[next].bytes = prev;
    if (p->head[l] == EMU_CNT_NONE)
        p->nonempty[l / 64u] &= ~(1ull << (l % 64u));
}

/* Lowest non-empty list at or above @from, or NONE. */
static uint32_t
cnt_first_list(const struct emu_counter_pool *p, uint32_t from)
{
    uint32_t w = from / 64u;
    uint64_t bits = p->nonempty[w] & (~0ull << (from % 64u));

    for (;;) {
        if (bits != 0)
            return w * 64u + (uint32_t)__builtin_ctzll(bits);
        if (++w == EMU_CNT_WORDS)
            return EMU_CNT_NONE;
        bits = p->nonempty[w];
    }
}

static uint32_t
cnt_n_blk(uint32_t n)
{
    return (n >> EMU_CNT_BLK_SHIFT) + 1;
}

static uint32_t
cnt_n_sup(uint32_t n)
{
    return (n >> EMU_CNT_SUP_SHIFT) + 1;
}

/* Slot @i changed: it, its block and its super-block carry the epoch. */
static void
cnt_stamp(struct emu_counter_pool *p, uint32_t i)
{
    uint64_t e = p->epoch;

    p->slot[i].stamp = e;
    if (p->blk[i >> EMU_CNT_BLK_SHIFT] != e)
        p->blk[i >> EMU_CNT_BLK_SHIFT] = e;
    if (p->sup[i >> EMU_CNT_SUP_SHIFT] != e)
        p->sup[i >> EMU_CNT_SUP_SHIFT] = e;
}

/* Every id free again, as one run. */
static void
cnt_pool_reset(struct emu_counter_pool *p)
{
    for (uint32_t l = 0; l < EMU_CNT_LISTS; l++)
        p->head[l] = EMU_CNT_NONE;
    memset(p->nonempty, 0, sizeof(p->nonempty));
    if (p->n > 0)
        cnt_run_push(p, 0, p->n);
}

int
emu_counter_init(struct emu_dev *dev)
{
    uint32_t n = dev->caps.max_counters;
    struct emu_counter_pool *p;

    /* calloc leaves the pages of never-used counters untouched, so a big
     * profile costs memory only for the counters actually handed out */
    p = calloc(1, sizeof(*p) + (size_t)(n ? n : 1) * sizeof(p->slot[0]));
    if (p == NULL)
        return -1;
    p->blk = calloc(cnt_n_blk(n), sizeof(p->blk[0]));
    p->sup = calloc(cnt_n_sup(n), sizeof(p->sup[0]));
    if (p->blk == NULL || p->sup == NULL) {
        free(p->blk);
        free(p->sup);
        free(p);
        return -1;
    }
    p->n = n;
    p->epoch = 1;
    cnt_pool_reset(p);
    dev->counters = p->slot;
    return 0;
}

void
emu_counter_fini(struct emu_dev *dev)
{
    if (dev->counters != NULL) {
        struct emu_counter_pool *p = cnt_pool(dev);

        free(p->blk);
        free(p->sup);
        free(p);
    }
    dev->counters = NULL;
}

/* Zero only the allocated ranges (walking run to run), not the whole array:
 * that would fault in every page of a 1M-counter profile on each reset. */
void
emu_counter_flush(struct emu_dev *dev)
{
    struct emu_counter_pool *p = cnt_pool(dev);
    uint32_t i = 0;

    while (i < p->n) {
        uint32_t len = p->slot[i].range_count;

        if (p->slot[i].range_base != 0)
            memset(&p->slot[i], 0, (size_t)len * sizeof(p->slot[0]));
        i += len;
    }
    memset(p->blk, 0, cnt_n_blk(p->n) * sizeof(p->blk[0]));
    memset(p->sup, 0, cnt_n_sup(p->n) * sizeof(p->sup[0]));
    cnt_pool_reset(p);
}

/* After a firmware reset no counter exists and no reader's epoch means
 * anything: a driver whose epoch is now ahead of the card's is told so
 * (VALUE) rather than shown nothing. */
void
emu_counter_epoch_reset(struct emu_dev *dev)
{
    cnt_pool(dev)->epoch = 1;
}

void
emu_counter_hit(struct emu_dev *dev, uint32_t id, uint32_t len)
{
    struct emu_counter *c = emu_counter_get(dev, id);

    if (c == NULL)
        return;
    c->packets++;
    c->bytes += len;
    cnt_stamp(cnt_pool(dev), id - 1);
}

/* Take @count ids off the free runs: an exact fit when one exists, else
 * the front of the shortest longer run. Returns the base id or 0. */
static uint32_t
cnt_alloc(struct emu_counter_pool *p, uint32_t count)
{
    uint32_t l = cnt_first_list(p, count - 1), h, len;

    if (l == EMU_CNT_NONE)
        return 0;
    h = p->head[l];
    len = p->slot[h].range_count;
    cnt_run_unlink(p, h);
    if (len > count)
        cnt_run_push(p, h + count, len - count);
    memset(&p->slot[h], 0, (size_t)count * sizeof(p->slot[0]));
    /* a new counter reads 0: a reader that knew the id's old value must
     * see it change */
    for (uint32_t i = 0; i < count; i++) {
        p->slot[h + i].range_base = h + 1;
        cnt_stamp(p, h + i);
    }
    p->slot[h].range_count = count;
    return h + 1;
}

/* Return an allocated range (checked by the caller) to the free runs,
 * merged with the free runs on either side. */
static void
cnt_free(struct emu_counter_pool *p, uint32_t base, uint32_t count)
{
    uint32_t h = base - 1, len = count, r = base - 1 + count;

    memset(&p->slot[h], 0, (size_t)count * sizeof(p->slot[0]));
    if (h > 0 && p->slot[h - 1].range_base == 0) {
        /* the entry before us is free, so it is a run's tail */
        uint32_t left = p->slot[h - 1].range_count;

        h -= left;
        cnt_run_unlink(p, h);
        len += left;
    }
    if (r < p->n && p->slot[r].range_base == 0) {
        /* ... and the entry after us, if free, a run's head */
        len += p->slot[r].range_count;
        cnt_run_unlink(p, r);
    }
    cnt_run_push(p, h, len);
}

void
emu_counter_reclaim(struct emu_dev *dev, uint32_t *ranges, uint32_t *ids,
                    uint32_t *left)
{
    struct emu_counter_pool *p = cnt_pool(dev);
    uint32_t i = 0;

    *ranges = *ids = *left = 0;
    /* every entry walked to is a range's base or a free run's head, and
     * both carry their length */
    while (i < p->n) {
        uint32_t len = p->slot[i].range_count, k;

        if (len == 0)
            len = 1;            /* not reached: a slot heads its run */
        if (p->slot[i].range_base != 0) {
            for (k = 0; k < len && p->slot[i + k].refs == 0; k++)
                ;
            if (k == len) {
                cnt_free(p, i + 1, len);
                (*ranges)++;
                *ids += len;
            } else {
                *left += len;
            }
        }
        i += len;
    }
}

uint8_t
emu_cmd_counter_alloc(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_counter_alloc_in in;
    struct fw_counter_alloc_out *out = (void *)cmd->out;
    uint32_t base;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0)
        return st;
    if (in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (in.count == 0 || in.count > EMU_COUNTER_ALLOC_MAX)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_COUNTER, 0, in.count));
    base = cnt_alloc(cnt_pool(dev), in.count);
    if (base == 0)
        return emu_fail(cmd, FW_STATUS_NO_SPACE,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_COUNTERS));
    out->base_id = base;
    out->rsvd = 0;
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_counter_free(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_counter_free_in in;
    struct emu_counter *c;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    c = emu_counter_get(dev, in.base_id);
    if (c == NULL || c->range_base != in.base_id ||
        c->range_count != in.count)
        return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                        FW_SYND(FW_SYND_COUNTER, 0, in.base_id));
    for (uint32_t i = 0; i < in.count; i++)
        if (c[i].refs != 0)
            return emu_fail(cmd, FW_STATUS_BUSY,
                            FW_SYND(FW_SYND_COUNTER, 0, in.base_id + i));
    cnt_free(cnt_pool(dev), in.base_id, in.count);
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_counter_query(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_counter_query_in in;
    struct fw_counter_query_out *out = (void *)cmd->out;
    uint32_t known;
    uint8_t st;

    memset(&in, 0, sizeof(in));
    memcpy(&in, cmd->raw,
           cmd->hdr.in_size < sizeof(in) ? cmd->hdr.in_size : sizeof(in));
    /* the known layout ends after ids[n - 1] */
    known = sizeof(in);
    if (in.n >= 1 && in.n <= FW_COUNTER_QUERY_MAX)
        known = (uint32_t)(offsetof(struct fw_counter_query_in, ids) +
                           in.n * sizeof(in.ids[0]));
    if ((st = emu_cmd_trailing(cmd, known)) != 0)
        return st;
    if (in.n == 0 || in.n > FW_COUNTER_QUERY_MAX)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_COUNTER, 0, in.n));
    if ((st = emu_cmd_need_out(cmd, (uint32_t)(sizeof(out->hdr) +
                                     in.n * sizeof(out->values[0])))) != 0)
        return st;
    if (in.flags & ~(uint32_t)FW_COUNTER_Q_CLEAR)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    for (uint32_t i = 0; i < in.n; i++)
        if (emu_counter_get(dev, in.ids[i]) == NULL)
            return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                            FW_SYND(FW_SYND_COUNTER, i, in.ids[i]));
    /* read everything before clearing: a repeated id reads the same value */
    for (uint32_t i = 0; i < in.n; i++) {
        const struct emu_counter *c = emu_counter_get(dev, in.ids[i]);

        out->values[i].packets = c->packets;
        out->values[i].bytes = c->bytes;
    }
    if (in.flags & FW_COUNTER_Q_CLEAR)
        for (uint32_t i = 0; i < in.n; i++) {
            struct emu_counter *c = emu_counter_get(dev, in.ids[i]);

            c->packets = 0;
            c->bytes = 0;
            cnt_stamp(cnt_pool(dev), in.ids[i] - 1);
        }
    cmd->out_len = (uint32_t)(sizeof(out->hdr) +
                              in.n * sizeof(out->values[0]));
    return FW_STATUS_OK;
}

/* Input checks in the documented order; nothing changes before they pass. */
static uint8_t
cnt_moved_check(const struct emu_counter_pool *p, struct emu_cmd *cmd,
                const struct fw_counter_moved_in *in)
{
    uint8_t st;

    if (in->flags != 0 || in->rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (in->max == 0 || in->max > FW_COUNTER_MOVED_MAX)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_PAGE));
    if ((st = emu_cmd_need_out(cmd, (uint32_t)(
             offsetof(struct fw_counter_moved_out, entries) +
             in->max * sizeof(struct fw_counter_moved_entry)))) != 0)
        return st;
    if ((in->cursor != 0 && in->cursor >= p->n) ||
        (in->end != 0 && (in->end <= in->cursor || in->end > p->n)))
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_CURSOR, 0, 0));
    /* an epoch the card never gave (or gave before a firmware reset) */
    if (in->since > p->epoch)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_VALUE, 0, 0));
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_counter_moved(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct emu_counter_pool *p = cnt_pool(dev);
    struct fw_counter_moved_out *out = (void *)cmd->out;
    struct fw_counter_moved_in in;
    uint64_t since;
    uint32_t idx, end, n = 0;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = cnt_moved_check(p, cmd, &in)) != 0)
        return st;
    /* a walk starts a new epoch: what counts from now on is stamped with
     * it, so the reader's next walk (since = this epoch) finds it */
    if (in.cursor == 0)
        p->epoch++;
    /* every allocated counter carries a stamp >= 1; free ones carry 0 */
    since = in.since > 0 ? in.since : 1;
    idx = in.cursor;
    end = in.end != 0 ? in.end : p->n;
    while (idx < end && n < in.max) {
        const struct emu_counter *c;

        if (p->sup[idx >> EMU_CNT_SUP_SHIFT] < since) {
            idx = ((idx >> EMU_CNT_SUP_SHIFT) + 1) << EMU_CNT_SUP_SHIFT;
            continue;
        }
        if (p->blk[idx >> EMU_CNT_BLK_SHIFT] < since) {
            idx = ((idx >> EMU_CNT_BLK_SHIFT) + 1) << EMU_CNT_BLK_SHIFT;
            continue;
        }
        c = &p->slot[idx];
        if (c->range_base != 0 && c->stamp >= since) {
            struct fw_counter_moved_entry *e = &out->entries[n++];

            e->id = idx + 1;
            e->rsvd = 0;
            e->packets = c->packets;
            e->bytes = c->bytes;
        }
        idx++;
    }
    out->epoch = p->epoch;
    out->next_cursor = idx < end ? idx : FW_COUNTER_MOVED_END;
    out->n = n;
    cmd->out_len = (uint32_t)(offsetof(struct fw_counter_moved_out, entries) +
                              n * sizeof(out->entries[0]));
    return FW_STATUS_OK;
}
