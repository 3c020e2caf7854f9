/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common/snic_free_many.h: the sort puts any addresses in order and loses
 * none, and snic_free_many() frees every block exactly once, NULLs and
 * sorted input included (the sanitized build reports a block freed twice
 * or never).
 */
#include <stdint.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "snic_free_many.h"

static uint32_t
rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void
shuffle(void **v, size_t n, uint32_t seed)
{
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd(&seed) % (i + 1);
        void *t = v[i];

        v[i] = v[j];
        v[j] = t;
    }
}

/* Addresses that differ in every 11-bit digit the sort reads, heap
 * blocks among them: ascending, and the same set (sum and xor) after. */
Test(free_many, sort_orders_every_digit)
{
    enum { N = 20000 };
    void **v = malloc(N * sizeof(*v)), **tmp = malloc(N * sizeof(*tmp));
    uint64_t sum = 0, x = 0, sum2 = 0, x2 = 0;
    uint32_t seed = 7;

    cr_assert(v != NULL && tmp != NULL);
    for (size_t i = 0; i < N; i++) {
        uintptr_t a = i % 2 ? (uintptr_t)&v[i]
                    : ((uintptr_t)rnd(&seed) << 24 |
                       (uintptr_t)rnd(&seed)) << 4;

        a &= ((uintptr_t)1 << 48) - 1;
        v[i] = (void *)a;
        sum += a;
        x ^= a;
    }
    shuffle(v, N, 99);
    snic_sort_by_address_(v, tmp, N);
    for (size_t i = 0; i < N; i++) {
        if (i > 0)
            cr_assert_leq((uintptr_t)v[i - 1], (uintptr_t)v[i],
                          "position %zu out of order", i);
        sum2 += (uintptr_t)v[i];
        x2 ^= (uintptr_t)v[i];
    }
    cr_assert_eq(sum2, sum);
    cr_assert_eq(x2, x);
    free(v);
    free(tmp);
}

/* Many blocks in random order (sorted first), few (freed as given), an
 * already sorted array and NULLs: each block is freed once. */
Test(free_many, frees_each_block_once)
{
    static const size_t sizes[] = { 0, 1, 100, SNIC_FREE_MANY_SORT_MIN,
                                    3 * SNIC_FREE_MANY_SORT_MIN + 5 };

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        void **v = malloc((n + 1) * sizeof(*v));

        cr_assert_not_null(v);
        for (size_t i = 0; i < n; i++)
            v[i] = i % 97 == 3 ? NULL : malloc(24 + (i % 5) * 40);
        if (s % 2 == 0 && n > 1)
            shuffle(v, n, (uint32_t)n);
        snic_free_many(v, n);
        free(v);
    }
}
