/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to the software datapath (offload/dp_*.c). */
#ifndef SNIC_DP_PRIV_H
#define SNIC_DP_PRIV_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "snic/dp.h"

#define DP_ETH_IPV4     0x0800u
#define DP_ETH_ARP      0x0806u
#define DP_ETH_VLAN     0x8100u
#define DP_ETH_QINQ     0x88a8u
#define DP_ETH_IPV6     0x86ddu

#define DP_IPPROTO_ICMP     1u
#define DP_IPPROTO_TCP      6u
#define DP_IPPROTO_UDP      17u
#define DP_IPPROTO_ICMPV6   58u
#define DP_IPPROTO_SCTP     132u

/* struct flow_key as 64-bit words: masking and hashing work word-wise. */
#define DP_KEY_WORDS    (sizeof(struct flow_key) / 8)
_Static_assert(sizeof(struct flow_key) % 8 == 0, "key is whole words");

static inline void
dp_key_words(const struct flow_key *key, uint64_t w[DP_KEY_WORDS])
{
    memcpy(w, key, sizeof(*key));
}

/* Word @i of @key, without copying the whole key (one load). */
static inline uint64_t
dp_key_word(const struct flow_key *key, unsigned i)
{
    uint64_t w;

    memcpy(&w, (const uint8_t *)key + 8 * i, sizeof(w));
    return w;
}

static inline uint64_t
dp_hash_mix(uint64_t h, uint64_t w)
{
    h ^= w * 0x9e3779b97f4a7c15ull;
    h = (h << 31 | h >> 33) * 0xbf58476d1ce4e5b9ull;
    return h;
}

static inline uint64_t
dp_hash_final(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* Whether an exact-match cache in front of table @table_id of @snap can
 * save work: false when a lookup that hits probes so few mask words that
 * it is cheaper than hashing and comparing the whole key. */
bool dp_cls_snap_emc_useful(const struct dp_cls_snap *snap,
                            unsigned table_id);

/* Whole-key equality, word-wise without a library call. */
static inline bool
dp_key_equal(const struct flow_key *a, const struct flow_key *b)
{
    uint64_t wa[DP_KEY_WORDS], wb[DP_KEY_WORDS];
    uint64_t diff = 0;

    dp_key_words(a, wa);
    dp_key_words(b, wb);
    for (size_t i = 0; i < DP_KEY_WORDS; i++)
        diff |= wa[i] ^ wb[i];
    return diff == 0;
}

#endif /* SNIC_DP_PRIV_H */
