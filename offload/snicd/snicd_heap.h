/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's heap grows in large steps made resident at once (#13).
 *
 * Adding a flow leaves ~1.6 KB of records on the control thread's heap
 * (the flow table's node, the offload record, the PMD's handle...), and
 * each 4 KB page of it used to cost a page fault at first touch: 7.5-15 µs
 * a fault on the virtual machines snicd is measured on, a third of the
 * control thread's CPU while flows are added. Here glibc is asked to grow
 * the heap by SNICD_HEAP_STEP more than it needs (M_TOP_PAD; blocks up
 * to SNICD_HEAP_MMAP_MIN come from the heap, as glibc's own threshold
 * would have them once warm), and
 * snicd_heap_populate(), called between the phases of a batch, makes the
 * part grown since its last call resident in one system call, in
 * transparent huge pages where the kernel gives them (snic_populate.h:
 * a fifth to a tenth of the cost of 4 KB pages here). The heap then holds
 * at most a step of populated memory not yet in use: a constant, not a
 * cost per flow; memory freed at the top still goes back to the system
 * (glibc's trim keeps a step). Every thread allocates from the heap (one
 * arena: snicd_heap.c says why).
 *
 * Thread-safety: snicd_heap_init() before any thread; then
 * snicd_heap_populate() from any thread (the control thread's batches,
 * the journal's replay beside the EAL).
 */
#ifndef SNICD_HEAP_H
#define SNICD_HEAP_H

#define SNICD_HEAP_STEP     (4u << 20)
/* blocks from this size on are mapped apart from the heap (glibc's
 * DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: snicd_heap.c says why) */
#define SNICD_HEAP_MMAP_MIN (32u << 20)

/* Before the first allocation worth the name: the heap's step. */
void snicd_heap_init(void);

/* What the heap grew since the last call, made resident. Cheap when it
 * did not grow (no system call). */
void snicd_heap_populate(void);

#endif /* SNICD_HEAP_H */
