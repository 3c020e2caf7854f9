/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The card's one clock, for the device model (uptime, rate limits) and the
 * server's loop (busy polling) alike. A leaf: header only.
 */
#ifndef SNIC_EMU_CLOCK_H
#define SNIC_EMU_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
emu_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* SNIC_EMU_CLOCK_H */
