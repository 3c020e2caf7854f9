/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier's rules, line-aligned, from blocks of their own (#13).
 *
 * A rule starts on a cache line: its header and first actions are what a
 * worker reads after a lookup (struct dp_rule). aligned_alloc() pays for
 * the alignment with the allocator's header and the gap before the line:
 * glibc's heap grew by 112 bytes for each 64-byte rule allocated between
 * a flow table node and a writer's record, as snicd allocates them. Here
 * a rule takes whole lines carved from 1 MiB blocks aligned to their
 * size, so that a rule finds its pool from its own address (the block's
 * first line), and a freed rule waits on the free list of its size, in
 * lines, for the next rule of that size. The blocks go back to the
 * system when the last rule is freed (but one, emptied): a classifier
 * emptied whole returns its memory; one thinned keeps it for the rules to
 * come, as an allocator's free lists would.
 *
 * The writer's records (struct wflow, one line each) come from the same
 * pool, for the same reason: no header of the allocator's.
 *
 * Under AddressSanitizer the free and the not yet carved lines are
 * poisoned, so a rule used after its last reference still reports.
 *
 * Thread-safety: the classifier writer's, as the rules' reference counts
 * are (dp_rule_unref()); workers never allocate or free a rule.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "dp_cls_priv.h"
#include "snic_poison.h"
#include "snic_populate.h"

#define RP_LINE         64u
#define RP_BLOCK        (1u << 20)
/* a block's lines are made resident this many bytes ahead of the carving,
 * in one call instead of a page fault each (snic_populate.h): a 64 KiB
 * step keeps a pool of a few rules small */
#define RP_POPULATE     (64u * 1024u)
/* the largest rule, in lines: every action, every word, a clause flow's
 * masks */
#define RP_CLASSES      ((DP_RULE_MAX_SIZE + RP_LINE - 1) / RP_LINE)

/* A block's first line. */
struct rp_block {
    struct dp_rule_pool *pool;
    struct rp_block *next;          /* the pool's blocks */
};

struct dp_rule_pool {
    void *free[RP_CLASSES];         /* freed rules by lines - 1, each
                                     * holding the next in its first word */
    struct rp_block *blocks;
    size_t carved;                  /* bytes of blocks (the newest) used */
    size_t populated;               /* bytes of it made resident */
    size_t live;                    /* rules allocated, not freed */
    bool orphan;                    /* its classifier is gone */
};

_Static_assert(sizeof(struct rp_block) <= RP_LINE, "a block's header is a line");

struct dp_rule_pool *
dp_rule_pool_create(void)
{
    struct dp_rule_pool *p = calloc(1, sizeof(*p));

    if (p == NULL)
        errno = ENOMEM;
    return p;
}

/* Every block back to the system (@keep: but the newest, emptied, so
 * that a table that keeps emptying and filling maps nothing). */
static void
release_blocks(struct dp_rule_pool *p, bool keep)
{
    struct rp_block *b = p->blocks;

    if (keep && b != NULL) {
        b = b->next;
        p->blocks->next = NULL;
        p->carved = RP_LINE;    /* its pages stay: @populated holds */
        SNIC_POISON((uint8_t *)p->blocks + RP_LINE, RP_BLOCK - RP_LINE);
    } else {
        p->blocks = NULL;
        p->carved = 0;
        p->populated = 0;
    }
    while (b != NULL) {
        struct rp_block *next = b->next;

        SNIC_UNPOISON(b, RP_BLOCK);
        munmap(b, RP_BLOCK);
        b = next;
    }
    for (size_t i = 0; i < RP_CLASSES; i++)
        p->free[i] = NULL;
}

void
dp_rule_pool_orphan(struct dp_rule_pool *p)
{
    if (p == NULL)
        return;
    if (p->live == 0) {
        release_blocks(p, false);
        free(p);
        return;
    }
    p->orphan = true;
}

/* A new block, aligned to its size (mapped twice as large, the ends
 * given back), at the head of the pool's list; false on ENOMEM. */
static bool
new_block(struct dp_rule_pool *p)
{
    uint8_t *m = mmap(NULL, 2 * (size_t)RP_BLOCK, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t a;
    struct rp_block *b;

    if (m == MAP_FAILED)
        return false;
    a = ((uintptr_t)m + RP_BLOCK - 1) & ~(uintptr_t)(RP_BLOCK - 1);
    if (a > (uintptr_t)m)
        munmap(m, a - (uintptr_t)m);
    if ((uintptr_t)m + RP_BLOCK > a)
        munmap((uint8_t *)a + RP_BLOCK, (uintptr_t)m + RP_BLOCK - a);
    b = (struct rp_block *)a;
    b->pool = p;
    b->next = p->blocks;
    p->blocks = b;
    p->carved = RP_LINE;
    p->populated = 0;
    SNIC_POISON((uint8_t *)b + RP_LINE, RP_BLOCK - RP_LINE);
    return true;
}

void *
dp_rule_pool_alloc(struct dp_rule_pool *p, size_t size)
{
    size_t lines = (size + RP_LINE - 1) / RP_LINE;
    void *r;

    if (lines == 0 || lines > RP_CLASSES) {
        errno = EINVAL;
        return NULL;
    }
    r = p->free[lines - 1];
    if (r != NULL) {
        SNIC_UNPOISON(r, lines * RP_LINE);
        p->free[lines - 1] = *(void **)r;
    } else {
        if ((p->blocks == NULL || p->carved + lines * RP_LINE > RP_BLOCK)
            && !new_block(p)) {
            errno = ENOMEM;
            return NULL;
        }
        r = (uint8_t *)p->blocks + p->carved;
        p->carved += lines * RP_LINE;
        while (p->carved > p->populated) {
            snic_populate((uint8_t *)p->blocks + p->populated,
                          RP_POPULATE);
            p->populated += RP_POPULATE;
        }
        SNIC_UNPOISON(r, lines * RP_LINE);
    }
    p->live++;
    return r;
}

void
dp_rule_pool_free(void *r, size_t size)
{
    struct rp_block *b = (struct rp_block *)((uintptr_t)r
                                             & ~(uintptr_t)(RP_BLOCK - 1));
    struct dp_rule_pool *p = b->pool;
    size_t lines = (size + RP_LINE - 1) / RP_LINE;

    *(void **)r = p->free[lines - 1];
    p->free[lines - 1] = r;
    SNIC_POISON(r, lines * RP_LINE);
    if (--p->live > 0)
        return;
    release_blocks(p, !p->orphan);
    if (p->orphan)
        free(p);
}
