/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's packet buffers: rte_pktmbuf_pool_create's pool, built by hand
 * when the EAL runs without hugepages, so that its memory costs a start
 * a few milliseconds instead of one trap per 4 KiB page.
 *
 * Why: every start of snicd creates this pool before its ports, so before
 * its software datapath forwards (a restart's gap, docs/snicd.md). Its
 * 16,384 mbufs are 38 MiB. On the machine the benchmarks run on (a
 * virtual machine whose page tables the hypervisor shadows) a first touch
 * of a 4 KiB page traps to the hypervisor even once the kernel has
 * populated it: written page by page the pool cost 210-240 ms of CPU,
 * populated first (MADV_POPULATE_WRITE) 70-80 ms, nearly all of it the
 * first writes afterwards. The EAL's own memory without hugepages is a
 * memfd (shared memory, which the kernel backs with huge pages only when
 * told to system-wide), so the pool's memory is a private mapping of its
 * own instead, 2 MiB-aligned, which the kernel may back with transparent
 * huge pages (MADV_HUGEPAGE: "madvise" mode, Debian's default): 19 pages
 * instead of 9,728, populated in one call and written without a trap.
 * It is registered with the EAL as external memory
 * (rte_extmem_register), so DPDK's address lookups know it. Only where
 * no device can DMA into it: no hugepages, IOVA as VA (an mbuf's IO
 * address is its virtual one) and no PCI bus (the default card's EAL
 * arguments); with PCI the pool lies in a memzone of the EAL's memory,
 * populated at once as before; with hugepages the stock call. The objects
 * may span pages (RTE_MEMPOOL_F_NO_IOVA_CONTIG: as VA their data is
 * contiguous for the device however it lies). Without transparent huge
 * pages, or before Linux 5.14 (no MADV_POPULATE_WRITE), the same pages
 * fault in one by one as before. Control thread, at start only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_memory.h>
#include <rte_memzone.h>
#include <rte_mempool.h>

#include "snic_populate.h"
#include "snic_zmap.h"

#include "snicd.h"

/* The pool's memory goes with the pool (rte_mempool_free). */
static void
zone_free(struct rte_mempool_memhdr *hdr, void *opaque)
{
    (void)hdr;
    rte_memzone_free(opaque);
}

/* A private mapping of the pool's, registered with the EAL. */
struct private_mem {
    void *base;
    size_t len;
};

/* A private, 2 MiB-aligned mapping of at least @size bytes, populated
 * at once in huge pages where the kernel gives them (snic_zmap_huge());
 * NULL without memory. */
static struct private_mem *
private_map(size_t size)
{
    struct private_mem *pm = calloc(1, sizeof(*pm));

    if (pm == NULL)
        return NULL;
    pm->len = RTE_ALIGN_CEIL(size, (size_t)SNIC_HUGE_PAGE);
    pm->base = snic_zmap_huge(pm->len);
    if (pm->base == NULL) {
        free(pm);
        return NULL;
    }
    return pm;
}

static void
private_unmap(struct private_mem *pm)
{
    snic_zunmap(pm->base, pm->len);
    free(pm);
}

/* The pool's memory goes with the pool (rte_mempool_free). */
static void
private_free(struct rte_mempool_memhdr *hdr, void *opaque)
{
    struct private_mem *pm = opaque;

    (void)hdr;
    (void)rte_extmem_unregister(pm->base, pm->len);
    private_unmap(pm);
}

/* @mp's objects in @pm, which the pool owns from then on (even on
 * failure, once it holds an object). The number of objects, or -1
 * (@pm left to the caller when the pool has no object in it). */
static int
populate_private(struct rte_mempool *mp, struct private_mem *pm)
{
    int got;

    if (rte_extmem_register(pm->base, pm->len, NULL, 0, SNIC_HUGE_PAGE) != 0)
        return -1;
    got = rte_mempool_populate_iova(mp, pm->base,
                                    (rte_iova_t)(uintptr_t)pm->base,
                                    pm->len, private_free, pm);
    if (got < 0)
        (void)rte_extmem_unregister(pm->base, pm->len);
    if (got < 0 || (unsigned)got != mp->size)
        return -1;
    return got;
}

/* ---- the pool's memory made while the EAL starts ----
 * snicd_mbuf_mem_prepare() maps and populates it on a thread of its own
 * (the populate costs 3-10 ms here, up to 100 when the hypervisor has to
 * back the huge pages first); the pool takes it if it is big enough.
 * Written before the thread starts and by the thread, read after the
 * join: the join orders them. */
static struct {
    size_t size;                /* asked for */
    struct private_mem *pm;     /* the thread's result */
    pthread_t thread;
    bool started;
} prepared;

static void *
prepare_main(void *arg)
{
    (void)arg;
    prepared.pm = private_map(prepared.size);
    return NULL;
}

/* The prepared mapping if it holds @size bytes (the caller's now), else
 * NULL (and it is gone). */
static struct private_mem *
take_prepared(size_t size)
{
    struct private_mem *pm;

    if (!prepared.started)
        return NULL;
    pthread_join(prepared.thread, NULL);
    prepared.started = false;
    pm = prepared.pm;
    prepared.pm = NULL;
    if (pm != NULL && pm->len < size) {
        private_unmap(pm);
        pm = NULL;
    }
    return pm;
}

void
snicd_mbuf_mem_prepare(unsigned n)
{
    const size_t elt = sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE;

    /* each object with its header, a trailer and cache-line padding:
     * bounded by 256 bytes more than the element (the pool's own
     * figure needs the EAL: rte_mempool_calc_obj_size) */
    prepared.size = (size_t)n * (elt + 256) + RTE_CACHE_LINE_SIZE;
    prepared.started = pthread_create(&prepared.thread, NULL, prepare_main,
                                      NULL) == 0;
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
    struct rte_mempool_objsz osz;
    const struct rte_memzone *mz;
    struct rte_mempool *mp;
    char zname[RTE_MEMZONE_NAMESIZE];
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
    if (!rte_eal_has_pci()) {
        struct private_mem *pm = take_prepared(size);

        if (pm == NULL)
            pm = private_map(size);
        if (pm != NULL && populate_private(mp, pm) >= 0)
            goto init;
        if (mp->populated_size > 0)
            goto fail_pool;
        if (pm != NULL)
            private_unmap(pm);
    }
    snprintf(zname, sizeof(zname), "%s_mem", name);
    mz = rte_memzone_reserve_aligned(zname, size, socket, 0,
                                     RTE_CACHE_LINE_SIZE);
    if (mz == NULL)
        goto fail_pool;
    /* best effort: refused, the pages fault in one by one as before */
    snic_populate(mz->addr, mz->len);
    got = rte_mempool_populate_iova(mp, mz->addr, mz->iova, mz->len,
                                    zone_free, (void *)(uintptr_t)mz);
    if (got < 0 || (unsigned)got != n) {
        if (got < 0)        /* not the pool's: free the zone ourselves */
            rte_memzone_free(mz);
        goto fail_pool;
    }
init:
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
    else
        (void)take_prepared(SIZE_MAX);     /* not used: unmapped */
    if (mp == NULL)
        mp = rte_pktmbuf_pool_create(name, n, cache, 0,
                                     RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    return mp;
}
