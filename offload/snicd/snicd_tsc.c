/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TSC's rate for DPDK 22.11's EAL, measured across the first part of
 * snicd's start instead of during a 100 ms sleep.
 *
 * Why: rte_eal_init needs the TSC's rate (rte_get_tsc_hz). It asks the
 * CPU first (CPUID leaf 0x15, else MSR 0xCE through /dev/cpu/0/msr) and,
 * where neither answers, measures: TSC ticks across a 100 ms nanosleep
 * against CLOCK_MONOTONIC_RAW, rounded to the nearest 10 MHz (22.11's
 * lib/eal/linux/eal_timer.c, get_tsc_freq). Most virtual machines answer
 * neither (the one the benchmarks run on: CPUID's highest leaf is 0xd,
 * there is no msr device), so every start of snicd slept 100 ms before
 * its ports existed: a third of a restart's software-path gap
 * (docs/snicd.md, "Start-up order").
 *
 * How: snicd links DPDK statically and, with DPDK 22.11 (where the
 * function takes no argument), with --wrap=get_tsc_freq
 * (offload/snicd/meson.build), so the EAL's call lands in
 * __wrap_get_tsc_freq below. The measurement is the EAL's own, TSC
 * against CLOCK_MONOTONIC_RAW rounded to 10 MHz, over the interval from
 * this file's constructor (before main) to the EAL's call: time the start
 * spends anyway (the loader, the options, the card's socket, the EAL's
 * memory). Each end is read as the pair whose two TSC readings around the
 * clock's are closest, so a preemption between them costs nothing; an
 * interval under SNICD_TSC_MIN_NS is topped up by sleeping the rest, so
 * the rate is never measured over less than that. Where the clock fails,
 * 0, as the EAL's own function answers then (it estimates instead).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_cycles.h>

#include "snicd_tsc.h"

/* 20 ms: with both ends read to within a microsecond, the rate is known
 * to 5e-5 (0.1 MHz at 2 GHz), well inside the EAL's 10 MHz rounding */
#define SNICD_TSC_MIN_NS    20000000ull
#define SNICD_TSC_ROUND_HZ  10000000ull
#define PAIR_TRIES          8

struct tsc_pair {
    uint64_t tsc;
    uint64_t ns;
};

/* written by the constructor and by the EAL's one call, both on the
 * thread that runs main before any other exists */
static struct tsc_pair at_start;
static bool at_start_ok;
static uint64_t window_ns;

static bool
pair_read(struct tsc_pair *p)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < PAIR_TRIES; i++) {
        struct timespec ts;
        uint64_t a = rte_rdtsc(), b;

        if (clock_gettime(CLOCK_MONOTONIC_RAW, &ts) < 0)
            return false;
        b = rte_rdtsc();
        if (b - a < best) {
            best = b - a;
            p->tsc = a + (b - a) / 2;
            p->ns = (uint64_t)ts.tv_sec * 1000000000ull
                    + (uint64_t)ts.tv_nsec;
        }
    }
    return true;
}

__attribute__((constructor))
static void
tsc_at_start(void)
{
    at_start_ok = pair_read(&at_start);
}

uint64_t
snicd_tsc_hz(uint64_t ticks, uint64_t ns)
{
    double hz;

    if (ns == 0)
        return 0;
    hz = (double)ticks * 1e9 / (double)ns;
    return ((uint64_t)hz + SNICD_TSC_ROUND_HZ / 2) / SNICD_TSC_ROUND_HZ
           * SNICD_TSC_ROUND_HZ;
}

uint64_t
__wrap_get_tsc_freq(void)
{
    struct tsc_pair now;

    if (!at_start_ok || !pair_read(&now))
        return 0;
    if (now.ns - at_start.ns < SNICD_TSC_MIN_NS) {
        uint64_t rest = SNICD_TSC_MIN_NS - (now.ns - at_start.ns);
        struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)rest };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;                   /* a signal: sleep what is left */
        if (!pair_read(&now))
            return 0;
    }
    window_ns = now.ns - at_start.ns;
    return snicd_tsc_hz(now.tsc - at_start.tsc, window_ns);
}

uint64_t
snicd_tsc_window_ns(void)
{
    return window_ns;
}
