/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory made resident in one system call instead of one page fault per
 * page at first touch (#13).
 *
 * On the virtual machines snicd is measured on, a page fault costs 7.5-15
 * µs (the exception, the hypervisor's exit, the zeroed page); the kernel
 * populating a range for madvise(MADV_POPULATE_WRITE) pays the zeroing
 * and the page tables but not the exception, page after page. Adding
 * 100,000 flows took 37,000 faults, a third of the control thread's CPU.
 *
 * Only for memory that is about to be written whole (a hash table's slots
 * that a rehash fills, a pool's next lines, the heap's top that the next
 * allocations carve): populating what would never be touched raises the
 * resident size for nothing. Best effort: a kernel without
 * MADV_POPULATE_WRITE (before 5.14) refuses it, and the pages fault in one
 * by one as before; the memory's contents are never changed.
 *
 * Header only, libc only.
 */
#ifndef SNIC_POPULATE_H
#define SNIC_POPULATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

/* Below this, the faults cost less than the call. */
#define SNIC_POPULATE_MIN   (64u * 1024u)

/* The pages of [@p, @p + @size) resident and writable; pages partly in
 * the range included (they belong to the same mapping: an allocation's
 * first and last pages). */
static inline void
snic_populate(void *p, size_t size)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)p & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + size + page - 1) & ~(page - 1);

    if (size < SNIC_POPULATE_MIN)
        return;
    (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

/* What the heap grew by since *@end (the break at the last call; 0: none
 * yet) made resident, and *@end moved to the break now. For a process
 * whose heap grows in large steps (M_TOP_PAD) that its next allocations
 * carve: snicd (snicd_heap.h) and emunic (emu_server.c). A break lower
 * than *@end was trimmed: what grows back is new.
 *
 * The growth is asked for in transparent huge pages first (where it
 * covers whole aligned 2 MB blocks; best effort): populating it then
 * costs a fifth to a tenth of what 4 KB pages do on the virtual machine
 * measured (snic_zmap.h). Every growth is asked alike, so the heap's
 * pieces keep one set of flags and stay one mapping. */
static inline void
snic_populate_heap(uintptr_t *end)
{
    void *brk_now = sbrk(0);    /* glibc's copy of the break: no system call */
    uintptr_t now = (uintptr_t)brk_now;

    if (brk_now == (void *)-1)
        return;
    if (*end != 0 && now > *end) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t from = *end & ~(page - 1);

        (void)madvise((void *)from, ((now + page - 1) & ~(page - 1)) - from,
                      MADV_HUGEPAGE);
        snic_populate((void *)*end, now - *end);
    }
    *end = now;
}

#endif /* SNIC_POPULATE_H */
