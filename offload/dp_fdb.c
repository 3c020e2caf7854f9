/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NORMAL's learning table: (VLAN, MAC) -> the port the MAC was last seen
 * on, with the time it was last seen.
 *
 * Concurrency
 * -----------
 * Every datapath worker learns (writes) and looks up (reads) at packet
 * rate, concurrently with the others and with the control thread, which
 * dumps, flushes and forgets. No worker may block, and a packet whose
 * source is already known with the same port must not write a shared
 * cache line more than once a second, so neither a lock around the table
 * nor RCU copies of it fit (Open vSwitch's rwlock would serialise the
 * workers on every learning packet).
 *
 * The table is a fixed array, allocated once and never moved or freed
 * while the datapath lives, of 4-way sets: an entry can only be in the
 * set its (VLAN, MAC) hashes to. Each set has a sequence count and is a
 * seqlock:
 *  - readers (lookup, learn's first look, dump) read the set's words
 *    between two loads of the count and retry if it was odd (a writer is
 *    in) or changed; they never write;
 *  - a writer (a new entry, a MAC that moved, a flush) takes the set by
 *    a compare-and-swap of the count from even to odd, re-reads the set
 *    under it (so two workers learning the same MAC at once make one
 *    entry, never two), writes, and releases with the count + 2. Only
 *    the set's four entries wait, for a few stores.
 *  - the last-seen time is its own word, refreshed with a relaxed store
 *    outside the seqlock, at most once a second per entry: a racing
 *    refresh can only stamp an entry with a time that was "now" a moment
 *    ago, which no decision depends on to the second.
 * Every word is read and written with the __atomic builtins, relaxed
 * inside the seqlock (the count's acquire/release and the fences order
 * them), so the races are defined behaviour, and sanitizers see none.
 *
 * Aging needs no sweeper: an entry idle for the aging time counts as
 * absent for lookups and dumps, and as a free way for the next writer.
 * A full set gives way to the entry used longest ago. Open vSwitch has
 * one LRU list over 8192 entries; with 2048 sets of 4 the difference
 * shows only when five MACs of a set are live at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_priv.h"
#include "snic_hash.h"
#include "snic_tsa.h"

#define WAYS        4u
#define N_SETS      (DP_FDB_SIZE / WAYS)

/* A set is its own write lock (the odd count): set_lock() and
 * set_unlock() pair on every path, which clang checks. */
struct SNIC_CAPABILITY("seqlock") fdb_set {
    uint32_t seq;
    uint32_t port[WAYS];
    uint64_t key[WAYS];             /* 0: empty; else KEY_VALID|vlan|mac */
    uint64_t used[WAYS];            /* seconds */
} __attribute__((aligned(64)));

#define KEY_VALID   (1ull << 63)

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

struct dp_fdb {
    unsigned aging;
    uint64_t (*now_s)(void *ctx);
    void *clock_ctx;
    struct fdb_set sets[N_SETS];
};

static uint64_t
mono_s(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec;
}

struct dp_fdb *
dp_fdb_create(void)
{
    struct dp_fdb *fdb = aligned_alloc(64, sizeof(*fdb));

    if (fdb == NULL)
        return NULL;
    memset(fdb, 0, sizeof(*fdb));
    __atomic_store_n(&fdb->aging, DP_FDB_AGING_DEFAULT, __ATOMIC_RELAXED);
    fdb->now_s = mono_s;
    return fdb;
}

void
dp_fdb_destroy(struct dp_fdb *fdb)
{
    free(fdb);
}

void
dp_fdb_set_aging(struct dp_fdb *fdb, unsigned seconds)
{
    __atomic_store_n(&fdb->aging, seconds, __ATOMIC_RELAXED);
}

unsigned
dp_fdb_aging(const struct dp_fdb *fdb)
{
    return __atomic_load_n(&fdb->aging, __ATOMIC_RELAXED);
}

void
dp_fdb_set_clock(struct dp_fdb *fdb, uint64_t (*now_s)(void *ctx), void *ctx)
{
    fdb->now_s = now_s != NULL ? now_s : mono_s;
    fdb->clock_ctx = ctx;
}

static uint64_t
make_key(const uint8_t mac[6], uint16_t vlan)
{
    uint64_t k = KEY_VALID | (uint64_t)(vlan & 0xfff) << 48;

    for (int i = 0; i < 6; i++)
        k |= (uint64_t)mac[i] << (40 - 8 * i);
    return k;
}

static struct fdb_set *
set_of(struct dp_fdb *fdb, uint64_t key)
{
    return &fdb->sets[snic_hash_u64(key, SNIC_HASH_BASIS) % N_SETS];
}

/* A consistent copy of @s's keys and ports. */
static void
read_set(struct fdb_set *s, uint64_t key[WAYS], uint32_t port[WAYS])
{
    uint32_t before, after;

    for (;;) {
        before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        if (before & 1u) {
            cpu_relax();
            continue;
        }
        for (unsigned w = 0; w < WAYS; w++) {
            key[w] = __atomic_load_n(&s->key[w], __ATOMIC_RELAXED);
            port[w] = __atomic_load_n(&s->port[w],
                                      __ATOMIC_RELAXED);
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        after = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
        if (before == after)
            return;
    }
}

static void
set_lock(struct fdb_set *s)
    SNIC_ACQUIRE(s) SNIC_NO_TSA
{
    uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

    for (;;) {
        if (!(seq & 1u)
            && __atomic_compare_exchange_n(
                   &s->seq, &seq, seq + 1, true, __ATOMIC_ACQUIRE,
                                           __ATOMIC_RELAXED))
            break;
        cpu_relax();
        seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
    }
    /* the stores below must not be seen before the odd count */
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static void
set_unlock(struct fdb_set *s)
    SNIC_RELEASE(s) SNIC_NO_TSA
{
    __atomic_fetch_add(&s->seq, 1, __ATOMIC_RELEASE);
}

static bool
live(const struct dp_fdb *fdb, uint64_t used, uint64_t now)
{
    unsigned aging = __atomic_load_n(&fdb->aging, __ATOMIC_RELAXED);

    return now < used + aging;
}

uint32_t
dp_fdb_lookup(struct dp_fdb *fdb, const uint8_t mac[6], uint16_t vlan)
{
    uint64_t k = make_key(mac, vlan), key[WAYS];
    struct fdb_set *s = set_of(fdb, k);
    uint32_t port[WAYS];

    read_set(s, key, port);
    for (unsigned w = 0; w < WAYS; w++)
        if (key[w] == k) {
            uint64_t used = __atomic_load_n(&s->used[w],
                                            __ATOMIC_RELAXED);

            return live(fdb, used, fdb->now_s(fdb->clock_ctx)) ? port[w] : 0;
        }
    return 0;
}

bool
dp_fdb_learn(struct dp_fdb *fdb, const uint8_t mac[6], uint16_t vlan,
             uint32_t port)
{
    uint64_t k = make_key(mac, vlan), key[WAYS];
    uint64_t now = fdb->now_s(fdb->clock_ctx);
    struct fdb_set *s = set_of(fdb, k);
    uint32_t ports[WAYS];
    unsigned victim = 0;
    uint64_t oldest = UINT64_MAX;

    /* the common case, reading only: known, same port, seen this second */
    read_set(s, key, ports);
    for (unsigned w = 0; w < WAYS; w++)
        if (key[w] == k && ports[w] == port) {
            uint64_t used = __atomic_load_n(&s->used[w],
                                            __ATOMIC_RELAXED);

            if (used != now && live(fdb, used, now))
                __atomic_store_n(&s->used[w], now,
                                 __ATOMIC_RELAXED);
            if (live(fdb, used, now))
                return true;
        }
    set_lock(s);
    for (unsigned w = 0; w < WAYS; w++) {
        uint64_t kw = __atomic_load_n(&s->key[w], __ATOMIC_RELAXED);
        uint64_t used = __atomic_load_n(&s->used[w],
                                        __ATOMIC_RELAXED);

        if (kw == k) {
            victim = w;
            break;
        }
        /* a free way first, then an aged one, then the least recent */
        if (kw == 0 || !live(fdb, used, now))
            used = 0;
        if (used < oldest) {
            oldest = used;
            victim = w;
        }
    }
    __atomic_store_n(&s->key[victim], k, __ATOMIC_RELAXED);
    __atomic_store_n(&s->port[victim], port, __ATOMIC_RELAXED);
    __atomic_store_n(&s->used[victim], now, __ATOMIC_RELAXED);
    set_unlock(s);
    return false;
}

uint64_t
dp_fdb_now(const struct dp_fdb *fdb)
{
    return fdb->now_s(fdb->clock_ctx);
}

/* The card switched a frame from @mac: as a worker's learn of a known
 * source, a relaxed store of the time, never a new entry (a MAC the table
 * forgot or moved is software's to learn again, from a frame that misses
 * the card's rules). */
bool
dp_fdb_refresh(struct dp_fdb *fdb, const uint8_t mac[6], uint16_t vlan,
               uint32_t port)
{
    uint64_t k = make_key(mac, vlan), key[WAYS];
    uint64_t now = fdb->now_s(fdb->clock_ctx);
    struct fdb_set *s = set_of(fdb, k);
    uint32_t ports[WAYS];

    read_set(s, key, ports);
    for (unsigned w = 0; w < WAYS; w++)
        if (key[w] == k && ports[w] == port) {
            uint64_t used = __atomic_load_n(&s->used[w],
                                            __ATOMIC_RELAXED);

            if (!live(fdb, used, now))
                return false;
            if (used != now)
                __atomic_store_n(&s->used[w], now, __ATOMIC_RELAXED);
            return true;
        }
    return false;
}

size_t
dp_fdb_forget(struct dp_fdb *fdb,
              bool (*keep)(void *ctx, uint32_t port, uint16_t vlan),
              void *ctx)
{
    size_t n = 0;

    for (unsigned i = 0; i < N_SETS; i++) {
        struct fdb_set *s = &fdb->sets[i];
        uint64_t key[WAYS];
        uint32_t port[WAYS];
        bool any = false;

        read_set(s, key, port);
        for (unsigned w = 0; w < WAYS; w++)
            any |= key[w] != 0 && !keep(ctx, port[w],
                                        (uint16_t)(key[w] >> 48 & 0xfff));
        if (!any)
            continue;
        set_lock(s);
        for (unsigned w = 0; w < WAYS; w++) {
            uint64_t kw = __atomic_load_n(&s->key[w],
                                          __ATOMIC_RELAXED);
            uint32_t pw = __atomic_load_n(&s->port[w],
                                          __ATOMIC_RELAXED);

            if (kw != 0 && !keep(ctx, pw, (uint16_t)(kw >> 48 & 0xfff))) {
                __atomic_store_n(&s->key[w], 0, __ATOMIC_RELAXED);
                n++;
            }
        }
        set_unlock(s);
    }
    return n;
}

size_t
dp_fdb_entries(const struct dp_fdb *cfdb, struct dp_fdb_entry *out,
               size_t max)
{
    /* readers only: the cast drops const for the seqlock's loads */
    struct dp_fdb *fdb = (struct dp_fdb *)cfdb;
    uint64_t now = fdb->now_s(fdb->clock_ctx);
    size_t n = 0;

    for (unsigned i = 0; i < N_SETS; i++) {
        struct fdb_set *s = &fdb->sets[i];
        uint64_t key[WAYS];
        uint32_t port[WAYS];

        read_set(s, key, port);
        for (unsigned w = 0; w < WAYS; w++) {
            uint64_t used = __atomic_load_n(&s->used[w],
                                            __ATOMIC_RELAXED);

            if (key[w] == 0 || !live(fdb, used, now))
                continue;
            if (out != NULL && n < max) {
                struct dp_fdb_entry *e = &out[n];

                for (int b = 0; b < 6; b++)
                    e->mac[b] = (uint8_t)(key[w] >> (40 - 8 * b));
                e->vlan = (uint16_t)(key[w] >> 48 & 0xfff);
                e->port = port[w];
                e->age = (uint32_t)(now > used ? now - used : 0);
            }
            n++;
        }
    }
    return n;
}
