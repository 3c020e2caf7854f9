/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 128-bit values as two words, x[0] the low 64 bits: how a subfield of a
 * register pair or an IPv6 address is shifted into place, and how a field
 * of network-order bytes becomes such a value and back. Header-only and a
 * leaf: the flow language and the datapath both use it.
 */
#ifndef SNIC_WIDE128_H
#define SNIC_WIDE128_H

#include <stdint.h>

/* x <<= s, 0 <= s < 128 */
static inline void
wide_shl(uint64_t x[2], unsigned s)
{
    if (s >= 64) {
        x[1] = x[0] << (s - 64);
        x[0] = 0;
    } else if (s > 0) {
        x[1] = x[1] << s | x[0] >> (64 - s);
        x[0] <<= s;
    }
}

/* x >>= s, 0 <= s < 128 */
static inline void
wide_shr(uint64_t x[2], unsigned s)
{
    if (s >= 64) {
        x[0] = x[1] >> (s - 64);
        x[1] = 0;
    } else if (s > 0) {
        x[0] = x[0] >> s | x[1] << (64 - s);
        x[1] >>= s;
    }
}

/* the low @n bits set, 1 <= n <= 128 */
static inline void
wide_ones(uint64_t x[2], unsigned n)
{
    x[0] = n >= 64 ? UINT64_MAX : (1ull << n) - 1;
    x[1] = n >= 128 ? UINT64_MAX : n > 64 ? (1ull << (n - 64)) - 1 : 0;
}

/* @n bytes (n <= 16), network order, as v */
static inline void
wide_from_bytes(const uint8_t *b, unsigned n, uint64_t v[2])
{
    v[0] = v[1] = 0;
    for (unsigned i = 0; i < n; i++) {
        v[1] = v[1] << 8 | v[0] >> 56;
        v[0] = v[0] << 8 | b[i];
    }
}

/* the low @n bytes (n <= 16) of v, network order */
static inline void
wide_to_bytes(const uint64_t v[2], uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned bit = 8 * (n - 1 - i);

        b[i] = (uint8_t)(bit >= 64 ? v[1] >> (bit - 64) : v[0] >> bit);
    }
}

#endif /* SNIC_WIDE128_H */
