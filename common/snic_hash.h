/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The project's one hash function, header-only so that every process
 * (snicd, the PMD, emunic, the tools) compiles it in without linking
 * anything.
 *
 * It works on 64-bit words: snic_hash_mix() folds one word into a running
 * state (a multiply, a rotate, a multiply), snic_hash_final() spreads the
 * state's bits so that any of them can index a power-of-two bucket array.
 * snic_hash_u64(), snic_hash_words() and snic_hash_bytes() are that same
 * function over one word, an array of words and any bytes (read eight at
 * a time, the tail zero-padded, the length in bytes folded in so that
 * keys that differ only by trailing zero bytes differ: on a little-endian
 * host, n words hash as their 8n bytes do). The datapath's classifier
 * runs the same mix in several independent lanes (dp_cls_lookup.c).
 *
 * Not for anything an adversary must not collide: hash maps bound the
 * damage (a long chain), packet spreading only loses balance.
 * Values are the same on every run and in every process, so two processes
 * that hash the same bytes agree; they are not meant to be stable across
 * versions of snic nor written anywhere.
 */
#ifndef SNIC_HASH_H
#define SNIC_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A basis for callers that have no reason to pick another one. */
#define SNIC_HASH_BASIS 0x2545f4914f6cdd1dull

static inline uint64_t
snic_hash_mix(uint64_t h, uint64_t w)
{
    h ^= w * 0x9e3779b97f4a7c15ull;
    h = (h << 31 | h >> 33) * 0xbf58476d1ce4e5b9ull;
    return h;
}

static inline uint64_t
snic_hash_final(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static inline uint64_t
snic_hash_u64(uint64_t w, uint64_t basis)
{
    return snic_hash_final(snic_hash_mix(basis, w));
}

static inline uint64_t
snic_hash_words(const uint64_t *w, size_t n, uint64_t basis)
{
    uint64_t h = basis;

    for (size_t i = 0; i < n; i++)
        h = snic_hash_mix(h, w[i]);
    return snic_hash_final(h ^ (n * 8));
}

static inline uint64_t
snic_hash_bytes(const void *p, size_t size, uint64_t basis)
{
    const uint8_t *b = p;
    uint64_t h = basis, w;
    size_t i;

    for (i = 0; i + 8 <= size; i += 8) {
        memcpy(&w, b + i, 8);
        h = snic_hash_mix(h, w);
    }
    if (i < size) {
        w = 0;
        memcpy(&w, b + i, size - i);
        h = snic_hash_mix(h, w);
    }
    return snic_hash_final(h ^ size);
}

/* The hash of a flow id, for the maps that index flows by id (the flow
 * table's, the classifier's, the offload manager's): the id itself, not
 * mixed. The flow table hands ids out in turn, so the lookups of a
 * batch's flows (an add's miss: the flow is new; the delivery to the
 * datapath and the offload manager; a modify of all) read one bucket
 * after the other instead of a cache and TLB miss each in a bucket array
 * of 8 MB at 1,000,000 flows, and ids less than the bucket count apart
 * never share a bucket (#13). Ids with a high bit set (conjunctions'
 * combination rules) share buckets with the first flows' at most; ids
 * that are not handed out in turn still hash correctly, only with longer
 * chains when they are multiples of a large power of two. */
static inline uint64_t
snic_hash_flow_id(uint64_t id)
{
    return id;
}

/* A 32-bit value for interfaces that carry one (an RSS hash), folded so
 * that the high half counts too. */
static inline uint32_t
snic_hash_fold32(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

#endif /* SNIC_HASH_H */
