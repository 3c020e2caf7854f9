/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's mbuf pool (snicd_mbufs.c): built by hand without hugepages, its
 * memory populated at once: a private mapping registered as external
 * memory without PCI (the default card's EAL arguments), a memzone of the
 * EAL's memory with it. Whatever the build, the pool must be what
 * rte_pktmbuf_pool_create makes: every mbuf there, initialised, its data
 * room and its buffer's IO address right (IOVA as VA: the address), each
 * one in a buffer of its own; and it goes whole with rte_mempool_free.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include "snic_eal_dir.h"
#include "snicd.h"

#define N   3000u

/* @pci: the PCI bus on, with no device allowed (none is probed) */
static void
eal_up(bool pci)
{
    char prefix[64];
    char *argv[] = { "test_mbufs", "--no-huge", "-m", "128",
                     "-l", "0", prefix, "--no-telemetry",
                     "--log-level=error", "--no-pci", NULL, NULL };

    if (pci) {
        argv[9] = "-a";
        argv[10] = "0000:ff:1f.7";
    }

    snprintf(prefix, sizeof(prefix), "--file-prefix=snicd-mbufs-%d",
             (int)getpid());
    cr_assert_geq(rte_eal_init(pci ? 11 : 10, argv), 0, "rte_eal_init: %s",
                  rte_strerror(rte_errno));
}

static int
by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a;
    uintptr_t y = (uintptr_t)*(void *const *)b;

    return x < y ? -1 : x > y;
}

static void
count_zone(const struct rte_memzone *mz, void *arg)
{
    (void)mz;
    (*(unsigned *)arg)++;
}

/* @prepare: mbufs of memory snicd_mbuf_mem_prepare() maps first (0:
 * none) */
static void
stock_pool(bool pci, unsigned prepare)
{
    struct rte_mbuf **m = calloc(N, sizeof(*m));
    struct rte_mempool *mp;
    const struct rte_memseg_list *msl;
    unsigned zones0 = 0, zones1 = 0;
    void *first;

    cr_assert_not_null(m);
    if (prepare > 0)
        snicd_mbuf_mem_prepare(prepare);
    eal_up(pci);
    cr_assert_eq(rte_eal_has_pci(), pci);
    rte_memzone_walk(count_zone, &zones0);
    mp = snicd_mbuf_pool_create("t_mbufs", N, 32, (int)rte_socket_id());
    cr_assert_not_null(mp, "pool: %s", rte_strerror(rte_errno));
    cr_expect_eq(rte_mempool_avail_count(mp), N, "every mbuf in the pool");
    cr_expect_eq(rte_pktmbuf_data_room_size(mp), RTE_MBUF_DEFAULT_BUF_SIZE);
    cr_expect_eq(rte_pktmbuf_priv_size(mp), 0);
    /* without hugepages (IOVA as VA) the pool is the one built by hand:
     * with PCI its memory is one zone of its own, without it a mapping
     * of its own that the EAL knows as external memory */
    if (pci)
        cr_expect_not_null(rte_memzone_lookup("t_mbufs_mem"), "the "
                           "prefaulted pool in a zone (rte_pktmbuf_pool_"
                           "create's was made instead)");
    else
        cr_expect_null(rte_memzone_lookup("t_mbufs_mem"), "no PCI: the "
                       "pool's memory is not the EAL's");
    cr_assert_eq(rte_pktmbuf_alloc_bulk(mp, m, N), 0, "all %u taken", N);
    msl = rte_mem_virt2memseg_list(m[0]);
    cr_assert_not_null(msl, "the EAL knows the pool's memory");
    cr_expect_eq(msl->external, !pci, "external memory %s PCI",
                 pci ? "with" : "without");
    first = m[0];
    for (unsigned i = 0; i < N; i++) {
        cr_assert_eq(m[i]->pool, mp);
        cr_assert_eq(m[i]->buf_len, RTE_MBUF_DEFAULT_BUF_SIZE);
        cr_assert_eq(m[i]->data_off, RTE_PKTMBUF_HEADROOM);
        cr_assert_eq(m[i]->nb_segs, 1);
        cr_assert_eq(rte_mbuf_refcnt_read(m[i]), 1);
        cr_assert_eq(m[i]->buf_addr, (char *)m[i] + sizeof(struct rte_mbuf));
        if (rte_eal_iova_mode() == RTE_IOVA_VA)
            cr_assert_eq(m[i]->buf_iova, (rte_iova_t)(uintptr_t)
                         m[i]->buf_addr, "mbuf %u: IO address", i);
        /* the whole buffer writable */
        memset(rte_pktmbuf_mtod(m[i], void *), 0xa5,
               m[i]->buf_len - m[i]->data_off);
    }
    /* no two mbufs share memory */
    qsort(m, N, sizeof(*m), by_address);
    for (unsigned i = 1; i < N; i++)
        cr_assert_geq((uintptr_t)m[i], (uintptr_t)m[i - 1]->buf_addr +
                      m[i - 1]->buf_len, "mbufs %u and %u overlap", i - 1, i);
    rte_pktmbuf_free_bulk(m, N);
    cr_expect_eq(rte_mempool_avail_count(mp), N);
    rte_mempool_free(mp);
    rte_memzone_walk(count_zone, &zones1);
    cr_expect_eq(zones1, zones0, "the pool's memory went with it");
    if (!pci)
        cr_expect_null(rte_mem_virt2memseg_list(first), "the pool's "
                       "mapping went with it, the EAL no longer knows it");
    free(m);
    snic_eal_cleanup();
}

Test(snicd_mbufs, the_pool_is_a_stock_mbuf_pool)
{
    stock_pool(false, 0);
}

Test(snicd_mbufs, with_pci_the_pool_is_a_stock_mbuf_pool)
{
    stock_pool(true, 0);
}

/* its memory mapped while the EAL started, as snicd's start does */
Test(snicd_mbufs, a_prepared_pool_is_a_stock_mbuf_pool)
{
    stock_pool(false, N);
}

/* prepared too small (the card had more ports than guessed): not used */
Test(snicd_mbufs, a_prepared_mapping_too_small_is_left)
{
    stock_pool(false, N / 4);
}

/* with PCI the prepared mapping is not the pool's (a device must reach
 * its memory): the zone as before */
Test(snicd_mbufs, with_pci_a_prepared_mapping_is_left)
{
    stock_pool(true, N);
}
