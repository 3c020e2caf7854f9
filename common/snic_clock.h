/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The monotonic clock, in the units its users count in: nanoseconds for
 * timestamps and rates, milliseconds for timeouts, seconds as a double for
 * benchmarks. CLOCK_MONOTONIC never jumps with the wall clock, so a
 * timeout or a rate measured across a clock change stays right.
 *
 * Header only, libc only: every process includes it, the emulated card
 * (which links no host library) as well as snicd, the tools and the tests.
 * Clocks chosen on purpose for something else stay where they are: the
 * learning table's coarse clock (dp_fdb.c), CPU time in the setup
 * benchmark, the realtime deadline of a condition wait.
 */
#ifndef SNIC_CLOCK_H
#define SNIC_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
snic_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int64_t
snic_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline double
snic_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif /* SNIC_CLOCK_H */
