/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager at scale: 100,000 flows in one commit against emunic,
 * and the work one overlapping flow causes afterwards. Prints the times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <criterion/criterion.h>

#include "snic_clock.h"
#include "test_offload_env.h"

/* CPU seconds of this process (every thread) so far. */
static double
cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
stop(void)
{
    env_stop();
}

TestSuite(offload_bulk, .fini = stop, .timeout = 55);

/* 100,000 flows (SNICD_BULK_FLOWS) in one batch: placement is linear (no
 * pairwise overlap checks), one validate, then mostly rte_flow_create. */
Test(offload_bulk, bulk_100k_one_commit)
{
    struct snicd_offload_stats st;
    char line[160];
    double t0, t1, t2, c1, c2;
    uint64_t whole;
    const char *want = getenv("SNICD_BULK_FLOWS");
    unsigned n = want != NULL ? (unsigned)atoi(want) : 100000;
    int ret;

    env_start("full", false, true, "--max-counters", "200000", NULL);
    t0 = snic_now_s();
    for (unsigned i = 0; i < n; i++) {
        snprintf(line, sizeof(line), "priority=%u,in_port=vf%u,ip,"
                 "nw_dst=10.%u.%u.%u actions=output:uplink", 100 + i % 3,
                 i % 4, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        env_add(line);
    }
    t1 = snic_now_s();
    ret = env_commit();
    t2 = snic_now_s();
    cr_assert_eq(ret, (int)n, "rule operations: %d", ret);
    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.n_hw, n);
    cr_expect_leq(st.validate_calls, 10);
    fprintf(stderr, "bulk: %u flows: table %.2f s, commit %.2f s "
            "(%.0f flows/s)\n", n, t1 - t0, t2 - t1, n / (t2 - t1));
    cr_expect_lt(t2 - t1, 20.0, "commit took %.2f s", t2 - t1);

    /* one more flow above 1,024 of them (vf0, 10.0.0.0/20): it is
     * created, and exactly those move one level down (create + destroy);
     * the others are not touched */
    cr_assert_geq(n, 4096);
    env_add("priority=200,in_port=vf0,ip,nw_dst=10.0.0.0/20 actions=drop");
    t1 = snic_now_s();
    ret = env_commit();
    t2 = snic_now_s();
    fprintf(stderr, "bulk: +1 overlapping flow: commit %.3f s, %d ops\n",
            t2 - t1, ret);
    cr_expect_eq(ret, 1 + 2 * 1024);
    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.n_hw, n + 1);

    /* a firmware reset takes every rule: all of them back in one resync
     * (through the flow queue when the PF has one) */
    cr_assert_eq(env_snic_fw("reset"), 0, "snic-fw reset");
    cr_assert(env_wait_reset(3000), "the PMD reported the reset");
    snicd_offload_get_stats(env.o, &st);
    whole = st.whole_tables;
    c1 = cpu_s();
    t1 = snic_now_s();
    ret = snicd_offload_reset(env.o);
    t2 = snic_now_s();
    c2 = cpu_s();
    /* the CPU time too: on a shared machine the wall time says as much
     * about the neighbours */
    fprintf(stderr, "bulk: firmware reset: %d flows back in hardware in "
            "%.3f s (%.0f flows/s; this process's CPU %.3f s)\n", ret,
            t2 - t1, ret / (t2 - t1), c2 - c1);
    t1 = snic_now_s();
    cr_expect_eq(snicd_offload_reap(env.o, UINT32_MAX), 0);
    fprintf(stderr, "bulk: then the lost rules' handles freed in %.3f s\n",
            snic_now_s() - t1);
    cr_expect_eq(ret, (int)n + 1, "resync placed %d", ret);
    env_check_counts();
    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.n_hw, n + 1);
    cr_expect_eq(st.resyncs, 1);
    /* nothing placement depends on changed: every flow back where it
     * was, no table placed again */
    cr_expect_eq(st.reinstalled, n + 1, "%llu flows put back",
                 (unsigned long long)st.reinstalled);
    cr_expect_eq(st.whole_tables, whole, "tables placed whole: %llu -> %llu",
                 (unsigned long long)whole,
                 (unsigned long long)st.whole_tables);
}
