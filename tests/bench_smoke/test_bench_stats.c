/* SPDX-License-Identifier: BSD-3-Clause */
/* snic-bench's order statistics: percentiles of batch latencies, median
 * and spread across runs. */
#include <math.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "bench.h"

Test(bench_stats, percentile_interpolates_between_ranks)
{
    double v[] = { 40, 10, 30, 20 };

    cr_assert_float_eq(bench_percentile(v, 4, 0), 10, 1e-9);
    cr_assert_float_eq(bench_percentile(v, 4, 100), 40, 1e-9);
    /* rank 1.5 of 0..3: halfway between 20 and 30 */
    cr_assert_float_eq(bench_percentile(v, 4, 50), 25, 1e-9);
    /* rank 2.97: 30 + 0.97 * 10 */
    cr_assert_float_eq(bench_percentile(v, 4, 99), 39.7, 1e-9);
}

Test(bench_stats, percentile_of_one_and_of_none)
{
    double one[] = { 7 };

    cr_assert_float_eq(bench_percentile(one, 1, 99), 7, 1e-9);
    cr_assert(isnan(bench_percentile(one, 0, 50)));
}

Test(bench_stats, percentiles_are_ordered_on_random_data)
{
    double v[101];

    srand(6);
    for (int round = 0; round < 50; round++) {
        size_t n = 1 + (size_t)(rand() % 100);

        for (size_t i = 0; i < n; i++)
            v[i] = rand() % 1000;
        double p50 = bench_percentile(v, n, 50);
        double p90 = bench_percentile(v, n, 90);
        double p99 = bench_percentile(v, n, 99);

        cr_assert(v[0] <= p50 && p50 <= p90 && p90 <= p99
                  && p99 <= v[n - 1], "n=%zu: %g %g %g", n, p50, p90, p99);
    }
}

Test(bench_stats, aggregate_skips_unmeasured_runs)
{
    double v[] = { 3, NAN, 1, 2, NAN };
    struct bench_agg a;

    bench_aggregate(v, 5, &a);
    cr_assert_eq(a.n, 3);
    cr_assert_float_eq(a.median, 2, 1e-9);
    cr_assert_float_eq(a.min, 1, 1e-9);
    cr_assert_float_eq(a.max, 3, 1e-9);
    bench_aggregate(v + 1, 1, &a);
    cr_assert_eq(a.n, 0);
    cr_assert(isnan(a.median) && isnan(a.min) && isnan(a.max));
}

Test(bench_stats, aggregate_even_count_takes_the_middle_pair)
{
    double v[] = { 4, 1, 3, 2 };
    struct bench_agg a;

    bench_aggregate(v, 4, &a);
    cr_assert_float_eq(a.median, 2.5, 1e-9);
    /* the caller's values are not reordered */
    cr_assert_float_eq(v[0], 4, 1e-9);
}
