/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TSC's rate snicd gives the EAL (snicd_tsc.c) against the rate the
 * EAL measures itself: this test links the shared DPDK, whose
 * rte_eal_init measures with its own method (the CPU's answer, else its
 * 100 ms sleep), and then asks __wrap_get_tsc_freq, which measured from
 * this program's start. Both round to 10 MHz; a true rate near a
 * rounding boundary may put them one step apart, never more.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "snic_eal_dir.h"
#include "snicd_tsc.h"

Test(snicd_tsc, the_rate_is_the_eals)
{
    char prefix[64];
    char *argv[] = { "test_tsc", "--no-huge", "--no-pci", "-m", "64",
                     "-l", "0", prefix, "--no-telemetry", "--no-shconf",
                     "--log-level=error", NULL };
    uint64_t eal_hz, ours, step = 10000000ull;

    snprintf(prefix, sizeof(prefix), "--file-prefix=snicd-tsc-%d",
             (int)getpid());
    cr_assert_geq(rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1,
                               argv), 0, "rte_eal_init: %s",
                  rte_strerror(rte_errno));
    eal_hz = rte_get_tsc_hz();
    ours = __wrap_get_tsc_freq();
    cr_expect_gt(snicd_tsc_window_ns(), 20000000ull - 1,
                 "measured over %llu ns, not at least 20 ms",
                 (unsigned long long)snicd_tsc_window_ns());
    cr_expect(ours + step >= eal_hz && ours <= eal_hz + step,
              "snicd's rate %llu Hz, the EAL's %llu Hz",
              (unsigned long long)ours, (unsigned long long)eal_hz);
    cr_expect_eq(ours % step, 0, "rounded to 10 MHz: %llu",
                 (unsigned long long)ours);
    snic_eal_cleanup();
}

/* The rounding: to the nearest 10 MHz, as the EAL's. */
Test(snicd_tsc, rounds_to_the_nearest_10_mhz)
{
    cr_expect_eq(snicd_tsc_hz(2096023000ull, 1000000000ull), 2100000000ull);
    cr_expect_eq(snicd_tsc_hz(2094900000ull, 1000000000ull), 2090000000ull);
    /* 41,920,460 ticks in 20 ms: 2,096,023,000 Hz */
    cr_expect_eq(snicd_tsc_hz(41920460ull, 20000000ull), 2100000000ull);
    cr_expect_eq(snicd_tsc_hz(1000, 0), 0);
}
