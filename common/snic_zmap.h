/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Large zeroed tables straight from the kernel (#13).
 *
 * A table sized for what a card could hold (an id-indexed map of every
 * counter, a free list of a million counter ids) is mostly never written.
 * calloc() gives such a block untouched zero pages only when it maps it
 * apart from the heap; an application that raises glibc's mmap threshold
 * (snicd does, snicd_heap.h) gets it from the heap instead, where calloc
 * must clear it: every page faulted in and written at once, 8 MB for a
 * counter pool's two lists, at 7.5-15 µs a fault on the virtual machines
 * measured here. Mapped here, a page costs something only when the table
 * first writes it, whatever the application's malloc settings.
 *
 * A table that is written whole soon after (a hash table's slots that a
 * rehash fills) is asked for resident instead, in transparent huge pages
 * (snic_zmap_huge()): on the virtual machine measured here, making 12 MB
 * resident took 8.4-10.3 ms in 4 KB pages (MADV_POPULATE_WRITE; 49 ms
 * faulted page by page) and 0.7-1.7 ms in 2 MB ones, and a lookup in a
 * table of that size then misses the TLB a 2 MB page at a time.
 *
 * Header only, libc only.
 */
#ifndef SNIC_ZMAP_H
#define SNIC_ZMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include "snic_populate.h"

/* The size of a transparent huge page on the hosts snic runs on
 * (x86-64, arm64 with 4 KB pages). */
#define SNIC_HUGE_PAGE      (2u * 1024u * 1024u)

/* @size bytes of zeroes, or NULL (errno set). */
static inline void *
snic_zmap(size_t size)
{
    void *p;

    if (size == 0)
        size = 1;
    p = mmap(NULL, size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Give back what snic_zmap(@size) returned; NULL is nothing. */
static inline void
snic_zunmap(void *p, size_t size)
{
    if (p != NULL)
        (void)munmap(p, size == 0 ? 1 : size);
}

/* @size bytes of zeroes, resident, starting on a huge page boundary with
 * transparent huge pages asked for (best effort: a kernel that has them
 * off, or no huge page free, gives 4 KB pages), or NULL (errno set).
 * Give it back with snic_zunmap(@size). For tables of SNIC_HUGE_PAGE and
 * more that are about to be written whole. */
static inline void *
snic_zmap_huge(size_t size)
{
    size_t len = size + SNIC_HUGE_PAGE;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *p = snic_zmap(len), *start;
    size_t head;

    if (p == NULL)
        return NULL;
    start = (uint8_t *)(((uintptr_t)p + SNIC_HUGE_PAGE - 1)
                        & ~(uintptr_t)(SNIC_HUGE_PAGE - 1));
    head = (size_t)(start - p);
    if (head > 0)
        (void)munmap(p, head);
    len -= head;
    size = (size + page - 1) & ~(page - 1);
    if (len > size)
        (void)munmap(start + size, len - size);
    (void)madvise(start, size, MADV_HUGEPAGE);
    snic_populate(start, size);
    return start;
}

#endif /* SNIC_ZMAP_H */
