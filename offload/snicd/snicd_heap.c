/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The heap's steps, made resident (snicd_heap.h).
 */
#include <malloc.h>
#include <stdint.h>
#include <unistd.h>

#include "snic_populate.h"
#include "snicd_heap.h"

/* The heap's end when snicd_heap_populate() last ran: everything below it
 * in use or populated. Process-wide as the heap is; the control thread's. */
static uintptr_t populated_end;

void
snicd_heap_init(void)
{
    /* best effort: refused, the heap grows as glibc chooses */
    (void)mallopt(M_TOP_PAD, (int)SNICD_HEAP_STEP);
    populated_end = (uintptr_t)sbrk(0);
}

void
snicd_heap_populate(void)
{
    /* sbrk(0) reads glibc's copy of the break: no system call */
    void *brk_now = sbrk(0);
    uintptr_t end = (uintptr_t)brk_now;

    if (brk_now == (void *)-1)
        return;
    if (end > populated_end && populated_end != 0)
        snic_populate((void *)populated_end, end - populated_end);
    /* lower: trimmed, and what grows back is new */
    populated_end = end;
}
