/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow handles (struct rte_flow) from blocks of their own (#13).
 *
 * An application with a million rules holds a million handles: calloc()
 * paid glibc's 8-byte header and 16-byte step on each, 80 bytes of heap
 * for a 64-byte handle. Here handles are carved one after the other from
 * blocks of EMUNIC_HANDLE_BLOCK bytes, and a freed one waits on a free
 * list until the last block is carved whole. Handles made together lie
 * together (what the flow index's hash counts on, emunic_flow.c), and a
 * destroyed handle's address stays unused for a while: a stale handle
 * is refused as not live until then, not taken for a new flow's (no
 * allocator promises more; glibc's reused it at once). The
 * blocks go back to the system when the last handle is freed: a flush, or
 * the application's last port closing, returns the memory; a table
 * thinned keeps it for the rules to come.
 *
 * Under AddressSanitizer the free and the not yet carved handles are
 * poisoned, so a handle used after its destroy still reports.
 *
 * Thread-safety: its own lock. The template API's creates allocate
 * before they take the adapter's lock, and handles of several adapters
 * share the pool.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emunic.h"
#include "snic_poison.h"
#include "snic_tsa.h"

#define EMUNIC_HANDLE_BLOCK     (256u * 1024u)
#define HSIZE                   sizeof(struct rte_flow)

_Static_assert(sizeof(struct rte_flow) % _Alignof(struct rte_flow) == 0
               && sizeof(struct rte_flow) >= sizeof(void *),
               "handles lie one after the other, a free one holds a link");

/* A block's first handle's room: the blocks' list. */
struct hblock {
    struct hblock *next;
};

/* every field under pool_lock (a global: a field cannot name its
 * struct's own lock to the analysis, common/snic_tsa.h) */
struct hpool {
    struct hblock *blocks;
    void *free;             /* freed handles, linked */
    uint8_t *carve;         /* next handle never used */
    uint8_t *end;           /* of the last block */
    uint64_t live;
};

static struct snic_mutex pool_lock = SNIC_MUTEX_INITIALIZER;
static struct hpool pool SNIC_GUARDED_BY(pool_lock);

static void *
next_of(void *h)
{
    void *n;

    SNIC_UNPOISON(h, sizeof(n));
    memcpy(&n, h, sizeof(n));
    return n;
}

/* Every block back to the system (no handle is live). */
static void
blocks_free(void)
    SNIC_REQUIRES(pool_lock)
{
    while (pool.blocks != NULL) {
        struct hblock *b = pool.blocks;

        SNIC_UNPOISON(b, EMUNIC_HANDLE_BLOCK);
        pool.blocks = b->next;
        free(b);
    }
    pool.free = NULL;
    pool.carve = pool.end = NULL;
}

struct rte_flow *
emunic_handle_new(void)
{
    uint8_t *h = NULL;

    snic_mutex_lock(&pool_lock);
    if (pool.carve != NULL && pool.end - pool.carve >= (ptrdiff_t)HSIZE) {
        h = pool.carve;
        pool.carve += HSIZE;
    } else if (pool.free != NULL) {
        h = pool.free;
        pool.free = next_of(h);
    } else {
        struct hblock *b = malloc(EMUNIC_HANDLE_BLOCK);

        if (b == NULL)
            goto unlock;
        b->next = pool.blocks;
        pool.blocks = b;
        /* the first handle's room holds the link */
        h = (uint8_t *)b + HSIZE;
        pool.carve = h + HSIZE;
        pool.end = (uint8_t *)b + EMUNIC_HANDLE_BLOCK;
        SNIC_POISON(pool.carve, (size_t)(pool.end - pool.carve));
    }
    pool.live++;
unlock:
    snic_mutex_unlock(&pool_lock);
    if (h == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    SNIC_UNPOISON(h, HSIZE);
    memset(h, 0, HSIZE);
    return (struct rte_flow *)(void *)h;
}

void
emunic_handle_free(struct rte_flow *f)
{
    if (f == NULL)
        return;
    snic_mutex_lock(&pool_lock);
    memcpy(f, &pool.free, sizeof(pool.free));
    pool.free = f;
    SNIC_POISON(f, HSIZE);
    if (--pool.live == 0)
        blocks_free();
    snic_mutex_unlock(&pool_lock);
}
