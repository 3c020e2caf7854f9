/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Single-writer counters: a 64-bit word only its owning thread writes
 * (a datapath worker counting packets) and any thread may read (the
 * control thread summing them for "stats").
 *
 * The writer adds with a relaxed load and a relaxed store: no lock and
 * no locked read-modify-write, so on x86-64 and arm64 an increment is the
 * same load, add and store as on a plain field. Being atomic, the accesses
 * are not a data race (C11, ThreadSanitizer) and never torn: a reader sees
 * each counter whole, at most a few increments old. Nothing is ordered
 * with anything else, so a set of counters read one after the other is
 * not a snapshot of one instant (a sum may count a packet's output before
 * its reception). A counter with more than one writer must not use these.
 */
#ifndef SNIC_COUNTER_H
#define SNIC_COUNTER_H

#include <stdint.h>

/* Add @n to @c: its owner only. */
static inline void
snic_counter_add(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
                     __ATOMIC_RELAXED);
}

/* Set @c to @v: its owner only (or before any reader can see it). */
static inline void
snic_counter_set(uint64_t *c, uint64_t v)
{
    __atomic_store_n(c, v, __ATOMIC_RELAXED);
}

/* Read @c, from any thread. */
static inline uint64_t
snic_counter_get(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif /* SNIC_COUNTER_H */
