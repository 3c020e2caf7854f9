/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The heap's steps, made resident (snicd_heap.h).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "snic_populate.h"
#include "snicd_heap.h"

/* The heap's end when snicd_heap_populate() last ran: everything below it
 * in use or populated. Process-wide as the heap is: the control thread's,
 * and the journal replay's thread's while the control thread starts the
 * EAL beside it. */
static uintptr_t populated_end;
static pthread_mutex_t populate_lock = PTHREAD_MUTEX_INITIALIZER;

void
snicd_heap_init(void)
{
    /* best effort: refused, the heap grows as glibc chooses */
    (void)mallopt(M_TOP_PAD, (int)SNICD_HEAP_STEP);
    /* Setting M_TOP_PAD also freezes glibc's mmap and trim thresholds
     * at 128 KB (its dynamic ones, which rise with the size of the
     * mapped blocks freed, up to 32 and 64 MB, are off once a malloc
     * parameter is set): every transient block above 128 KB, such as the
     * lines of each chunk of an add-flows file parsed when it comes,
     * would then be a fresh mapping or a heap top trimmed after it, and
     * faulted in page by page at every request (a load of 1,000,000
     * flows from one file took 2.5 times the faults). The ceilings the
     * dynamic thresholds reach, set at once; snicd_core_heap_trim()
     * still gives the free pages back after bulk changes. */
    (void)mallopt(M_MMAP_THRESHOLD, (int)SNICD_HEAP_MMAP_MIN);
    (void)mallopt(M_TRIM_THRESHOLD, (int)(2 * SNICD_HEAP_MMAP_MIN));
    /* One arena, the heap's, for every thread. glibc gives a thread
     * that allocates while another holds the main arena an arena of its
     * own, mapped apart, which these steps never populate: the journal's
     * replay thread built the flow table and the classifier of a restart
     * in one, a page fault a page (a sixth of its CPU at 100,000 flows),
     * and the records stayed there for good. The other threads allocate
     * at start or seldom. */
    (void)mallopt(M_ARENA_MAX, 1);
    populated_end = (uintptr_t)sbrk(0);
}

void
snicd_heap_populate(void)
{
    pthread_mutex_lock(&populate_lock);
    snic_populate_heap(&populated_end);
    pthread_mutex_unlock(&populate_lock);
}
