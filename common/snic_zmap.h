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
 * Header only, libc only.
 */
#ifndef SNIC_ZMAP_H
#define SNIC_ZMAP_H

#include <stddef.h>
#include <sys/mman.h>

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

#endif /* SNIC_ZMAP_H */
