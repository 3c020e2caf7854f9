/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Order statistics for the report: batch-latency percentiles within a run,
 * median and spread across runs. NaN values (a point a run could not
 * measure) are left out rather than poisoning the median.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

double
bench_percentile(double *v, size_t n, double p)
{
    double rank;
    size_t lo;

    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(*v), cmp_double);
    if (p <= 0)
        return v[0];
    if (p >= 100)
        return v[n - 1];
    /* rank on [0, n-1], interpolated between the two closest samples */
    rank = p / 100.0 * (double)(n - 1);
    lo = (size_t)rank;
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (v[lo + 1] - v[lo]) * (rank - (double)lo);
}

void
bench_aggregate(const double *v, size_t n, struct bench_agg *a)
{
    double tmp[BENCH_MAX_RUNS];
    size_t k = 0;

    for (size_t i = 0; i < n && k < BENCH_MAX_RUNS; i++)
        if (!isnan(v[i]))
            tmp[k++] = v[i];
    a->n = (unsigned)k;
    if (k == 0) {
        a->median = a->min = a->max = NAN;
        return;
    }
    a->median = bench_percentile(tmp, k, 50);
    a->min = tmp[0];
    a->max = tmp[k - 1];
}
