/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The project's one hash map: intrusive, chained, header-only (emunic, the
 * PMD and snicd compile it in; it needs only the C library).
 *
 * An object joins a map through a struct snic_hmap_node it embeds, with a
 * hash the caller computes (snic_hash.h): the map never allocates or frees
 * objects, never compares keys and never reads past the node. Lookup walks
 * the chain of one hash (SNIC_HMAP_FOR_EACH_WITH_HASH) and the caller
 * compares its keys, so one object may sit in several maps, keyed
 * differently, and a key may be anything.
 *
 * Buckets are a power of two, indexed by the hash's low bits; the map keeps
 * at most one node per bucket on average by doubling when an insert would
 * pass that. Beside each bucket a byte filters its chain: the OR of one
 * bit per node, chosen by hash bits the index does not use. A lookup of a
 * hash whose bit is not in its bucket's byte answers "none" without
 * reading the bucket or its chain: in a map of a million nodes those are
 * two cache misses, and most lookups of keys that are not there yet (each
 * flow a batch adds, in the flow table, the classifier and the offload
 * manager) end there (#13). An empty bucket's byte is 0, so an insert into
 * one writes without reading the bucket first. A map that has never held
 * a node owns no memory (one bucket inside the struct), so initialising
 * cannot fail, and the struct may be copied or moved as a whole (realloc
 * of an array of maps): no node points back into it.
 *
 * What can fail, and what cannot:
 *  - snic_hmap_insert() never fails: when the bucket array cannot grow,
 *    chains get longer, lookups stay correct. A caller that wants the
 *    memory taken up front, so that a later step cannot meet a full map,
 *    calls snic_hmap_reserve() first (0 or -ENOMEM, the map unchanged).
 *  - snic_hmap_remove() never resizes, so removing the node an iteration
 *    is at is safe with SNIC_HMAP_FOR_EACH_SAFE. Shrinking is asked for
 *    (snic_hmap_shrink()), after a bulk removal.
 *  - Inserting during an iteration is not supported: a growth moves every
 *    node.
 *
 * Thread-safety: none. The owner serialises every access, readers
 * included (a lookup reads what an insert or a rehash writes).
 */
#ifndef SNIC_HMAP_H
#define SNIC_HMAP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct snic_hmap_node {
    struct snic_hmap_node *next;    /* in its bucket's chain */
    uint64_t hash;
};

struct snic_hmap {
    struct snic_hmap_node **buckets;    /* NULL: the one bucket is @one */
    uint8_t *filter;                    /* a byte a bucket, after them */
    struct snic_hmap_node *one;
    size_t mask;                        /* buckets - 1 */
    size_t n;                           /* nodes */
};

#define SNIC_HMAP_INITIALIZER { NULL, NULL, NULL, 0, 0 }

/* Smallest bucket array allocated: below it the copies cost more than the
 * chains. */
#define SNIC_HMAP_MIN_BUCKETS 8u

#define SNIC_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void
snic_hmap_init(struct snic_hmap *m)
{
    m->buckets = NULL;
    m->filter = NULL;
    m->one = NULL;
    m->mask = 0;
    m->n = 0;
}

/* Frees the bucket array; the nodes are the caller's. The map is then
 * empty and usable again. */
static inline void
snic_hmap_fini(struct snic_hmap *m)
{
    free(m->buckets);
    snic_hmap_init(m);
}

static inline size_t
snic_hmap_count(const struct snic_hmap *m)
{
    return m->n;
}

static inline bool
snic_hmap_is_empty(const struct snic_hmap *m)
{
    return m->n == 0;
}

/* Buckets in use (for tests and statistics). */
static inline size_t
snic_hmap_buckets(const struct snic_hmap *m)
{
    return m->mask + 1;
}

/* The bytes the map owns (its buckets and their filter bytes). */
static inline size_t
snic_hmap_bytes(const struct snic_hmap *m)
{
    return m->buckets != NULL
           ? (m->mask + 1) * (sizeof(m->buckets[0]) + 1) : 0;
}

/* The filter bit of @hash: bits above those a bucket index of up to
 * 2^32 buckets takes, folded (ids hashed as themselves all get bit 0:
 * their filter byte only says whether the bucket is empty). */
static inline uint8_t
snic_hmap_filter_bit_(uint64_t hash)
{
    return (uint8_t)(1u << (((hash >> 32) ^ (hash >> 61)) & 7u));
}

static inline struct snic_hmap_node **
snic_hmap_bucket_(struct snic_hmap *m, uint64_t hash)
{
    return m->buckets != NULL ? &m->buckets[hash & m->mask] : &m->one;
}

static inline struct snic_hmap_node *
snic_hmap_chain_(const struct snic_hmap *m, size_t i)
{
    return m->buckets != NULL ? m->buckets[i] : m->one;
}

/* Move every node into @nb buckets (a power of two). -ENOMEM leaves the
 * map as it was. One pass: each node is read and written once, straight
 * into its new bucket (a node is a cache miss in a large map, and the
 * maps of a million flows grow by doubling: #13). The first node of the
 * chain a few buckets ahead is fetched meanwhile. */
static inline int
snic_hmap_resize_(struct snic_hmap *m, size_t nb)
{
    struct snic_hmap_node **b = NULL, **ob = m->buckets, *chain = NULL;
    size_t i, n_old = ob != NULL ? m->mask + 1 : 1, mask = nb - 1;
    uint8_t *filter = NULL;

    if (nb == m->mask + 1)
        return 0;
    if (nb > 1) {
        /* the buckets, then their filter bytes: one block */
        b = calloc(nb, sizeof(*b) + 1);
        if (b == NULL)
            return -ENOMEM;
        filter = (uint8_t *)(b + nb);
    }
    if (ob == NULL) {
        chain = m->one;         /* the one bucket's chain */
        m->one = NULL;
    }
    for (i = 0; i < n_old; i++) {
        struct snic_hmap_node *node = ob != NULL ? ob[i] : chain, *next;

        if (ob != NULL && i + 8 < n_old && ob[i + 8] != NULL)
            __builtin_prefetch(ob[i + 8], 1);
        for (; node != NULL; node = next) {
            struct snic_hmap_node **pp = b != NULL ? &b[node->hash & mask]
                                                   : &m->one;

            next = node->next;
            node->next = *pp;
            *pp = node;
            if (filter != NULL)
                filter[node->hash & mask] |=
                    snic_hmap_filter_bit_(node->hash);
        }
    }
    free(ob);
    m->buckets = b;
    m->filter = filter;
    m->mask = mask;
    return 0;
}

/* The bucket count for @n nodes at most one per bucket: 1 for none. */
static inline size_t
snic_hmap_fit_(size_t n)
{
    size_t nb = SNIC_HMAP_MIN_BUCKETS;

    if (n == 0)
        return 1;
    while (nb < n && nb <= SIZE_MAX / 4)
        nb *= 2;
    return nb;
}

/* Room for @n nodes in all without growing. 0, or -ENOMEM with the map
 * unchanged. */
static inline int
snic_hmap_reserve(struct snic_hmap *m, size_t n)
{
    if (n <= m->mask + 1)
        return 0;
    return snic_hmap_resize_(m, snic_hmap_fit_(n));
}

/* Back to the smallest bucket array that fits the nodes (none for an
 * empty map). Best effort: a failed allocation keeps the larger one. */
static inline void
snic_hmap_shrink(struct snic_hmap *m)
{
    size_t nb = snic_hmap_fit_(m->n);

    if (nb < m->mask + 1)
        (void)snic_hmap_resize_(m, nb);
}

static inline void
snic_hmap_insert(struct snic_hmap *m, struct snic_hmap_node *node,
                 uint64_t hash)
{
    struct snic_hmap_node **pp;

    if (m->n >= m->mask + 1)
        (void)snic_hmap_resize_(m, snic_hmap_fit_(2 * (m->mask + 1)));
    pp = snic_hmap_bucket_(m, hash);
    node->hash = hash;
    if (m->filter != NULL) {
        uint8_t *f = &m->filter[hash & m->mask];

        /* an empty bucket (filter 0) is not read: the write alone */
        node->next = *f != 0 ? *pp : NULL;
        *f |= snic_hmap_filter_bit_(hash);
    } else {
        node->next = *pp;
    }
    *pp = node;
    m->n++;
}

/* Unlinks @node, which must be in @m (a node that is not is left alone). */
static inline void
snic_hmap_remove(struct snic_hmap *m, struct snic_hmap_node *node)
{
    struct snic_hmap_node **pp = snic_hmap_bucket_(m, node->hash);

    while (*pp != NULL && *pp != node)
        pp = &(*pp)->next;
    if (*pp == NULL)
        return;
    *pp = node->next;
    node->next = NULL;
    m->n--;
    if (m->filter != NULL) {
        /* the chain's filter again from those left (just walked) */
        size_t i = node->hash & m->mask;
        uint8_t f = 0;

        for (const struct snic_hmap_node *x = m->buckets[i]; x != NULL;
             x = x->next)
            f |= snic_hmap_filter_bit_(x->hash);
        m->filter[i] = f;
    }
}

/* Forget every node at once (they are the caller's), keeping no memory. */
static inline void
snic_hmap_clear(struct snic_hmap *m)
{
    snic_hmap_fini(m);
}

/* ---- lookup: the chain of one hash; the caller compares keys ---- */

static inline struct snic_hmap_node *
snic_hmap_next_with_hash_(struct snic_hmap_node *node, uint64_t hash)
{
    while (node != NULL && node->hash != hash)
        node = node->next;
    return node;
}

static inline struct snic_hmap_node *
snic_hmap_first_with_hash(const struct snic_hmap *m, uint64_t hash)
{
    if (m->filter != NULL
        && !(m->filter[hash & m->mask] & snic_hmap_filter_bit_(hash)))
        return NULL;
    return snic_hmap_next_with_hash_(
        snic_hmap_chain_(m, m->buckets != NULL ? hash & m->mask : 0), hash);
}

static inline struct snic_hmap_node *
snic_hmap_next_with_hash(const struct snic_hmap_node *node)
{
    return snic_hmap_next_with_hash_(node->next, node->hash);
}

/* ---- iteration over every node, in no particular order ---- */

static inline struct snic_hmap_node *
snic_hmap_first_from_(const struct snic_hmap *m, size_t i)
{
    for (; i <= m->mask; i++) {
        struct snic_hmap_node *node = snic_hmap_chain_(m, i);

        if (node != NULL)
            return node;
    }
    return NULL;
}

static inline struct snic_hmap_node *
snic_hmap_first(const struct snic_hmap *m)
{
    return snic_hmap_first_from_(m, 0);
}

static inline struct snic_hmap_node *
snic_hmap_next(const struct snic_hmap *m, const struct snic_hmap_node *node)
{
    if (node->next != NULL)
        return node->next;
    return snic_hmap_first_from_(m, (size_t)(node->hash & m->mask) + 1);
}

/*
 * for (OBJ over the objects of MAP whose node MEMBER has hash HASH).
 * OBJ is a pointer variable of the container's type; the body compares
 * the key (several keys may share a hash).
 */
#define SNIC_HMAP_FOR_EACH_WITH_HASH(OBJ, MEMBER, HASH, MAP)                \
    for (struct snic_hmap_node *snic_hn_ =                                  \
             snic_hmap_first_with_hash(MAP, HASH);                          \
         snic_hn_ != NULL                                                   \
         && ((OBJ) = SNIC_CONTAINER_OF(snic_hn_, __typeof__(*(OBJ)),       \
                                       MEMBER), true);                      \
         snic_hn_ = snic_hmap_next_with_hash(snic_hn_))

#define SNIC_HMAP_FOR_EACH(OBJ, MEMBER, MAP)                                \
    for (struct snic_hmap_node *snic_hn_ = snic_hmap_first(MAP);            \
         snic_hn_ != NULL                                                   \
         && ((OBJ) = SNIC_CONTAINER_OF(snic_hn_, __typeof__(*(OBJ)),       \
                                       MEMBER), true);                      \
         snic_hn_ = snic_hmap_next(MAP, snic_hn_))

/* The same, where the body may remove (snic_hmap_remove) and free the
 * object it is at, and nothing else. */
#define SNIC_HMAP_FOR_EACH_SAFE(OBJ, MEMBER, MAP)                           \
    for (struct snic_hmap_node *snic_hn_ = snic_hmap_first(MAP),            \
             *snic_hnext_ = snic_hn_ != NULL ? snic_hmap_next(MAP, snic_hn_) \
                                             : NULL;                        \
         snic_hn_ != NULL                                                   \
         && ((OBJ) = SNIC_CONTAINER_OF(snic_hn_, __typeof__(*(OBJ)),       \
                                       MEMBER), true);                      \
         snic_hn_ = snic_hnext_,                                            \
         snic_hnext_ = snic_hn_ != NULL ? snic_hmap_next(MAP, snic_hn_)     \
                                        : NULL)

#endif /* SNIC_HMAP_H */
