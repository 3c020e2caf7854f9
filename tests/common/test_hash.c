/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common/snic_hash.h: the properties the maps and the packet spreading
 * rely on. Every input bit reaches the low bits a bucket index takes,
 * sequential keys (ids, addresses) spread over buckets, the three entry
 * points are one function, and the length counts.
 */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "snic_hash.h"

/* Flipping any one input bit flips about half the output bits, and each
 * of the low 16 output bits (a bucket index) about half the time. */
Test(hash, one_input_bit_flips_half_the_output)
{
    enum { SAMPLES = 2000 };
    unsigned low_flips[16] = { 0 };
    uint64_t total = 0;
    uint64_t x = 0x0123456789abcdefull;

    for (unsigned s = 0; s < SAMPLES; s++) {
        x = snic_hash_u64(x, s);        /* a new input each round */
        for (unsigned bit = 0; bit < 64; bit++) {
            uint64_t d = snic_hash_u64(x, SNIC_HASH_BASIS)
                         ^ snic_hash_u64(x ^ (1ull << bit), SNIC_HASH_BASIS);

            total += (uint64_t)__builtin_popcountll(d);
            for (unsigned b = 0; b < 16; b++)
                low_flips[b] += (d >> b) & 1;
        }
    }
    /* mean 32 of 64 bits */
    cr_expect(total > (uint64_t)SAMPLES * 64 * 30 &&
              total < (uint64_t)SAMPLES * 64 * 34,
              "mean output bits flipped %.2f, want about 32",
              (double)total / (SAMPLES * 64));
    for (unsigned b = 0; b < 16; b++)
        cr_expect(low_flips[b] > SAMPLES * 64 * 45 / 100 &&
                  low_flips[b] < SAMPLES * 64 * 55 / 100,
                  "output bit %u flips %.3f of the time", b,
                  (double)low_flips[b] / (SAMPLES * 64));
}

/* Ids 1..N and 64-byte-aligned addresses into N/4 buckets by the low
 * bits: no bucket far above the mean of 4. */
static void
spread(uint64_t first, uint64_t stride, const char *what)
{
    enum { N = 1 << 16, NB = N / 4 };
    static uint32_t load[NB];
    uint32_t max = 0;

    memset(load, 0, sizeof(load));
    for (uint64_t i = 0; i < N; i++) {
        uint64_t h = snic_hash_u64(first + i * stride, SNIC_HASH_BASIS);

        if (++load[h & (NB - 1)] > max)
            max = load[h & (NB - 1)];
    }
    /* a uniform hash puts at most ~15 in the fullest of 16384 buckets */
    cr_expect_leq(max, 20, "%s: fullest bucket holds %u (mean 4)", what, max);
}

Test(hash, sequential_keys_spread_over_buckets)
{
    spread(1, 1, "ids");
    spread(0x7f0000001000ull, 64, "addresses");
    spread(0, 1ull << 32, "high words");
}

Test(hash, words_bytes_and_one_word_are_one_function)
{
    uint64_t w[5] = { 1, 0xffffffffffffffffull, 0, 42, 0x8000000000000000ull };
    uint8_t b[40];
    uint16_t one = 1;

    if (one != *(uint8_t *)&one)
        cr_skip_test("the identity holds on little-endian hosts only");
    memcpy(b, w, sizeof(b));
    for (size_t n = 0; n <= 5; n++)
        cr_expect_eq(snic_hash_words(w, n, 7), snic_hash_bytes(b, 8 * n, 7),
                     "%zu words", n);
}

Test(hash, length_basis_and_every_byte_count)
{
    uint8_t a[24] = { 0 };
    uint8_t c[24];

    /* trailing zero bytes still make a different key */
    for (size_t n = 0; n < sizeof(a); n++)
        cr_expect_neq(snic_hash_bytes(a, n, 0), snic_hash_bytes(a, n + 1, 0),
                      "%zu and %zu zero bytes", n, n + 1);
    cr_expect_neq(snic_hash_bytes(a, 8, 0), snic_hash_bytes(a, 8, 1));
    /* each byte of a tail counts */
    for (size_t i = 0; i < 23; i++) {
        memset(c, 0, sizeof(c));
        c[i] = 0x80;
        cr_expect_neq(snic_hash_bytes(c, 23, 0), snic_hash_bytes(a, 23, 0),
                      "byte %zu ignored", i);
    }
    /* the same bytes at another address hash the same */
    memcpy(c, "the same seventeen", 17);
    memmove(c + 3, c, 17);
    cr_expect_eq(snic_hash_bytes(c + 3, 17, 9),
                 snic_hash_bytes("the same seventeen", 17, 9));
    cr_expect_eq(snic_hash_fold32(0x0000000100000002ull), 3);
}
