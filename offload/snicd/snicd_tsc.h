/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TSC's rate for DPDK 22.11's EAL without its 100 ms sleep
 * (snicd_tsc.c). A leaf: includes nothing of snicd.
 */
#ifndef SNICD_TSC_H
#define SNICD_TSC_H

#include <stdint.h>

/* Hz of @ticks TSC ticks in @ns nanoseconds, rounded to the nearest 10 MHz
 * as DPDK's EAL rounds its own measurement; 0 when @ns is 0. */
uint64_t snicd_tsc_hz(uint64_t ticks, uint64_t ns);

/* What the EAL's get_tsc_freq() answers when snicd is linked with
 * --wrap=get_tsc_freq: the rate measured from before main to now (at
 * least 20 ms: the rest slept), or 0 when the clock failed. */
uint64_t __wrap_get_tsc_freq(void);

/* Nanoseconds the rate was measured over; 0 when the EAL did not call
 * __wrap_get_tsc_freq (not wrapped: it measured with its own sleep). */
uint64_t snicd_tsc_window_ns(void);

#endif /* SNICD_TSC_H */
