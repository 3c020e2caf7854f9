/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's packet buffers: rte_pktmbuf_pool_create's pool, built by hand
 * when the EAL runs without hugepages, so that its memory is faulted in
 * by the kernel in one call instead of one page fault per 4 KiB page as
 * rte_pktmbuf_init writes each mbuf's header.
 *
 * Why: every start of snicd creates this pool before its ports, so before
 * its software datapath forwards (a restart's gap, docs/snicd.md). Its
 * 16,384 mbufs are 38 MiB; written page by page they cost 210-240 ms of
 * CPU on the machine the benchmarks run on (a virtual machine, where a
 * first touch of a page is a trip to the hypervisor), against 70-80 ms
 * when the range is populated first (MADV_POPULATE_WRITE) and the
 * objects may span pages (RTE_MEMPOOL_F_NO_IOVA_CONTIG: without
 * hugepages the EAL runs with IOVA as VA, so an mbuf's data is
 * contiguous for the device however it lies across pages). With
 * hugepages, or IOVA as PA, the stock call: nothing to gain there. A
 * kernel without MADV_POPULATE_WRITE (before 5.14) faults the pages in
 * as before. Control thread, at start only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_memzone.h>
#include <rte_mempool.h>

#include "snicd.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23      /* Linux 5.14 */
#endif

/* The pool's memory goes with the pool (rte_mempool_free). */
static void
zone_free(struct rte_mempool_memhdr *hdr, void *opaque)
{
    (void)hdr;
    rte_memzone_free(opaque);
}

/* The pool by hand: NULL (rte_errno set) when any step fails, and the
 * caller falls back on the stock call. */
static struct rte_mempool *
pool_prefaulted(const char *name, unsigned n, unsigned cache, int socket)
{
    struct rte_pktmbuf_pool_private priv = {
        .mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
    };
    const unsigned elt = sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE;
    const long page = sysconf(_SC_PAGESIZE);
    struct rte_mempool_objsz osz;
    const struct rte_memzone *mz;
    struct rte_mempool *mp;
    char zname[RTE_MEMZONE_NAMESIZE];
    uintptr_t start;
    size_t size;
    int got;

    mp = rte_mempool_create_empty(name, n, elt, cache, sizeof(priv), socket,
                                  RTE_MEMPOOL_F_NO_IOVA_CONTIG);
    if (mp == NULL)
        return NULL;
    if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(),
                                   NULL) != 0)
        goto fail_pool;
    rte_pktmbuf_pool_init(mp, &priv);
    rte_mempool_calc_obj_size(elt, RTE_MEMPOOL_F_NO_IOVA_CONTIG, &osz);
    /* the objects back to back, the first one cache-aligned */
    size = (size_t)osz.total_size * n + RTE_CACHE_LINE_SIZE;
    snprintf(zname, sizeof(zname), "%s_mem", name);
    mz = rte_memzone_reserve_aligned(zname, size, socket, 0,
                                     RTE_CACHE_LINE_SIZE);
    if (mz == NULL)
        goto fail_pool;
    start = (uintptr_t)mz->addr & ~((uintptr_t)page - 1);
    /* best effort: refused, the pages fault in one by one as before */
    (void)madvise((void *)start, (uintptr_t)mz->addr + mz->len - start,
                  MADV_POPULATE_WRITE);
    got = rte_mempool_populate_iova(mp, mz->addr, mz->iova, mz->len,
                                    zone_free, (void *)(uintptr_t)mz);
    if (got < 0 || (unsigned)got != n) {
        if (got < 0)        /* not the pool's: free the zone ourselves */
            rte_memzone_free(mz);
        goto fail_pool;
    }
    rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
    return mp;

fail_pool:
    rte_mempool_free(mp);
    rte_errno = ENOMEM;
    return NULL;
}

struct rte_mempool *
snicd_mbuf_pool_create(const char *name, unsigned n, unsigned cache,
                       int socket)
{
    struct rte_mempool *mp = NULL;

    if (!rte_eal_has_hugepages() && rte_eal_iova_mode() == RTE_IOVA_VA)
        mp = pool_prefaulted(name, n, cache, socket);
    if (mp == NULL)
        mp = rte_pktmbuf_pool_create(name, n, cache, 0,
                                     RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    return mp;
}
