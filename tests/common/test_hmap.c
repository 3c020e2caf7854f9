/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common/snic_hmap.h against a reference model: random sequences of
 * insert, remove, lookup, iterate (plain and removing), reserve and shrink,
 * under a good hash and under deliberately bad ones, checked after every
 * step against a plain array saying which keys are in. The bucket
 * allocator can be made to fail, to check that insert still works and
 * reserve changes nothing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

/* fault injection: the map's bucket allocations go through here */
static int calloc_fail;         /* fail this many calls, then succeed */
static unsigned calloc_calls;

static void *
test_calloc(size_t n, size_t size)
{
    calloc_calls++;
    if (calloc_fail > 0) {
        calloc_fail--;
        return NULL;
    }
    return calloc(n, size);
}

#define calloc test_calloc
#include "snic_hash.h"
#include "snic_hmap.h"
#undef calloc

#define KEYS 512u

struct obj {
    uint32_t key;
    struct snic_hmap_node node;
    uint32_t seen;              /* visits in the current iteration */
};

enum hash_kind {
    HASH_GOOD,                  /* snic_hash_u64 */
    HASH_CONST,                 /* every key collides */
    HASH_LOW2,                  /* four chains */
    HASH_HIGH,                  /* differs only above bit 40 */
};

static uint64_t
hash_of(enum hash_kind kind, uint32_t key)
{
    switch (kind) {
    case HASH_GOOD:
        return snic_hash_u64(key, SNIC_HASH_BASIS);
    case HASH_CONST:
        return 42;
    case HASH_LOW2:
        return key & 3u;
    case HASH_HIGH:
        return (uint64_t)key << 40;
    }
    return 0;
}

struct model {
    struct snic_hmap map;
    struct obj *obj[KEYS];      /* NULL: key absent */
    size_t n;
    enum hash_kind kind;
};

static struct obj *
map_find(const struct model *md, uint32_t key)
{
    struct obj *o;

    SNIC_HMAP_FOR_EACH_WITH_HASH(o, node, hash_of(md->kind, key), &md->map)
        if (o->key == key)
            return o;
    return NULL;
}

/* Everything the map says agrees with the model. */
static void
check(struct model *md, unsigned step)
{
    struct obj *o;
    size_t visited = 0;

    cr_assert_eq(snic_hmap_count(&md->map), md->n, "step %u: count %zu, "
                 "model %zu", step, snic_hmap_count(&md->map), md->n);
    cr_assert_eq(snic_hmap_is_empty(&md->map), md->n == 0);
    for (uint32_t k = 0; k < KEYS; k++) {
        cr_assert_eq(map_find(md, k), md->obj[k], "step %u: key %u found "
                     "%p, model %p", step, k, (void *)map_find(md, k),
                     (void *)md->obj[k]);
        if (md->obj[k] != NULL)
            md->obj[k]->seen = 0;
    }
    SNIC_HMAP_FOR_EACH(o, node, &md->map) {
        cr_assert_lt(o->key, KEYS);
        cr_assert_eq(md->obj[o->key], o, "step %u: iteration met key %u "
                     "the model does not have", step, o->key);
        cr_assert_eq(o->seen, 0, "step %u: key %u visited twice", step,
                     o->key);
        o->seen = 1;
        visited++;
    }
    cr_assert_eq(visited, md->n, "step %u: iteration visited %zu of %zu",
                 step, visited, md->n);
    /* at most one node per bucket on average */
    if (md->n > 0)
        cr_assert_leq(md->n, snic_hmap_buckets(&md->map),
                      "step %u: %zu nodes in %zu buckets", step, md->n,
                      snic_hmap_buckets(&md->map));
}

static void
model_insert(struct model *md, uint32_t key)
{
    struct obj *o = calloc(1, sizeof(*o));

    cr_assert_not_null(o);
    o->key = key;
    snic_hmap_insert(&md->map, &o->node, hash_of(md->kind, key));
    md->obj[key] = o;
    md->n++;
}

static void
model_remove(struct model *md, uint32_t key)
{
    snic_hmap_remove(&md->map, &md->obj[key]->node);
    free(md->obj[key]);
    md->obj[key] = NULL;
    md->n--;
}

static void
model_free(struct model *md)
{
    for (uint32_t k = 0; k < KEYS; k++)
        free(md->obj[k]);
    snic_hmap_fini(&md->map);
}

/* Removes, while iterating, every visited object whose key has @bit set. */
static void
remove_while_iterating(struct model *md, uint32_t bit)
{
    struct obj *o;
    size_t visited = 0, n = md->n;

    SNIC_HMAP_FOR_EACH_SAFE(o, node, &md->map) {
        visited++;
        if (o->key & bit)
            model_remove(md, o->key);
    }
    cr_assert_eq(visited, n, "a removing iteration visited %zu of %zu",
                 visited, n);
}

static void
run(enum hash_kind kind, unsigned seed, unsigned steps)
{
    struct model md;

    memset(&md, 0, sizeof(md));
    snic_hmap_init(&md.map);
    md.kind = kind;
    srand(seed);
    for (unsigned step = 0; step < steps; step++) {
        uint32_t key = (uint32_t)rand() % KEYS;
        unsigned op = (unsigned)rand() % 100;

        if (op < 50) {
            if (md.obj[key] == NULL)
                model_insert(&md, key);
        } else if (op < 85) {
            if (md.obj[key] != NULL)
                model_remove(&md, key);
        } else if (op < 88) {
            remove_while_iterating(&md, 1u << (rand() % 9));
        } else if (op < 92) {
            size_t before = snic_hmap_buckets(&md.map);

            snic_hmap_shrink(&md.map);
            cr_assert_leq(snic_hmap_buckets(&md.map), before);
        } else if (op < 96) {
            size_t want = md.n + (size_t)(rand() % 300);

            cr_assert_eq(snic_hmap_reserve(&md.map, want), 0);
            cr_assert_geq(snic_hmap_buckets(&md.map), want);
        } else if (op < 98) {
            /* the struct moves (an array of maps reallocated) */
            struct snic_hmap moved = md.map;

            memset(&md.map, 0xa5, sizeof(md.map));
            md.map = moved;
        } else {
            cr_assert_eq(map_find(&md, key), md.obj[key]);
        }
        check(&md, step);
    }
    model_free(&md);
}

ParameterizedTestParameters(hmap, random_against_model)
{
    static enum hash_kind kinds[] = {
        HASH_GOOD, HASH_CONST, HASH_LOW2, HASH_HIGH,
    };

    return cr_make_param_array(enum hash_kind, kinds,
                               sizeof(kinds) / sizeof(kinds[0]));
}

ParameterizedTest(enum hash_kind *kind, hmap, random_against_model,
                  .timeout = 120)
{
    for (unsigned seed = 1; seed <= 4; seed++)
        run(*kind, seed * 7919u + *kind, 3000);
}

Test(hmap, empty_map_owns_nothing_and_finds_nothing)
{
    struct snic_hmap m = SNIC_HMAP_INITIALIZER;
    struct snic_hmap_node stray = { .next = NULL, .hash = 5 };

    cr_assert_eq(snic_hmap_count(&m), 0);
    cr_assert_null(m.buckets);
    cr_assert_null(snic_hmap_first(&m));
    cr_assert_null(snic_hmap_first_with_hash(&m, 5));
    snic_hmap_remove(&m, &stray);       /* not in it: left alone */
    cr_assert_eq(snic_hmap_count(&m), 0);
    snic_hmap_shrink(&m);
    cr_assert_null(m.buckets);
    snic_hmap_fini(&m);
}

Test(hmap, grows_doubling_and_shrinks_to_fit)
{
    static struct obj objs[1000];
    struct snic_hmap m;
    size_t last = 1;

    snic_hmap_init(&m);
    for (uint32_t i = 0; i < 1000; i++) {
        objs[i].key = i;
        snic_hmap_insert(&m, &objs[i].node, snic_hash_u64(i, 1));
        cr_assert_geq(snic_hmap_buckets(&m), snic_hmap_count(&m));
        cr_assert_leq(snic_hmap_buckets(&m), 2 * snic_hmap_count(&m) + 8);
        /* a power of two, and only ever doubling */
        cr_assert_eq(snic_hmap_buckets(&m) & (snic_hmap_buckets(&m) - 1), 0);
        cr_assert(snic_hmap_buckets(&m) == last ||
                  snic_hmap_buckets(&m) == 8 ||
                  snic_hmap_buckets(&m) == 2 * last);
        last = snic_hmap_buckets(&m);
    }
    cr_assert_eq(snic_hmap_buckets(&m), 1024);
    for (uint32_t i = 0; i < 990; i++)
        snic_hmap_remove(&m, &objs[i].node);
    /* removing never resizes (iterations stay valid) */
    cr_assert_eq(snic_hmap_buckets(&m), 1024);
    snic_hmap_shrink(&m);
    cr_assert_eq(snic_hmap_buckets(&m), 16);
    for (uint32_t i = 990; i < 1000; i++)
        cr_assert_eq(snic_hmap_first_with_hash(&m, snic_hash_u64(i, 1)),
                     &objs[i].node);
    for (uint32_t i = 990; i < 1000; i++)
        snic_hmap_remove(&m, &objs[i].node);
    snic_hmap_shrink(&m);
    cr_assert_eq(snic_hmap_buckets(&m), 1);
    cr_assert_null(m.buckets, "an empty shrunk map keeps no memory");
    cr_assert_null(snic_hmap_first(&m), "an emptied map still has a node");
    snic_hmap_insert(&m, &objs[0].node, 5);
    cr_assert_eq(snic_hmap_first(&m), &objs[0].node);
    cr_assert_null(snic_hmap_next(&m, &objs[0].node));
    snic_hmap_fini(&m);
}

Test(hmap, reserve_takes_the_memory_up_front)
{
    static struct obj objs[300];
    struct snic_hmap m;
    unsigned calls;

    snic_hmap_init(&m);
    cr_assert_eq(snic_hmap_reserve(&m, 300), 0);
    calls = calloc_calls;
    for (uint32_t i = 0; i < 300; i++)
        snic_hmap_insert(&m, &objs[i].node, snic_hash_u64(i, 2));
    cr_assert_eq(calloc_calls, calls, "inserts after a reserve allocated");
    cr_assert_eq(snic_hmap_count(&m), 300);
    snic_hmap_fini(&m);
}

Test(hmap, failed_allocation_changes_nothing_and_insert_still_works)
{
    static struct obj objs[100];
    struct snic_hmap m;
    struct obj *o;
    size_t n = 0;

    snic_hmap_init(&m);
    for (uint32_t i = 0; i < 20; i++)
        snic_hmap_insert(&m, &objs[i].node, snic_hash_u64(i, 3));
    cr_assert_eq(snic_hmap_buckets(&m), 32);
    calloc_fail = 1;
    cr_assert_eq(snic_hmap_reserve(&m, 1000), -ENOMEM);
    cr_assert_eq(snic_hmap_buckets(&m), 32);
    cr_assert_eq(snic_hmap_count(&m), 20);
    /* growing fails from here on: the chains get longer */
    calloc_fail = 1000;
    for (uint32_t i = 20; i < 100; i++)
        snic_hmap_insert(&m, &objs[i].node, snic_hash_u64(i, 3));
    calloc_fail = 0;
    cr_assert_eq(snic_hmap_buckets(&m), 32);
    cr_assert_eq(snic_hmap_count(&m), 100);
    for (uint32_t i = 0; i < 100; i++) {
        bool found = false;

        objs[i].key = i;
        SNIC_HMAP_FOR_EACH_WITH_HASH(o, node, snic_hash_u64(i, 3), &m)
            found |= o == &objs[i];
        cr_assert(found, "object %u lost when the map could not grow", i);
    }
    SNIC_HMAP_FOR_EACH(o, node, &m)
        n++;
    cr_assert_eq(n, 100);
    /* the next insert that can allocate grows it */
    snic_hmap_remove(&m, &objs[99].node);
    snic_hmap_insert(&m, &objs[99].node, snic_hash_u64(99, 3));
    cr_assert_geq(snic_hmap_buckets(&m), 64);
    snic_hmap_fini(&m);
}

Test(hmap, one_object_in_two_maps)
{
    struct pair {
        uint32_t a, b;
        struct snic_hmap_node by_a, by_b;
    } p[50];
    struct snic_hmap ma, mb;
    struct pair *q;

    snic_hmap_init(&ma);
    snic_hmap_init(&mb);
    for (uint32_t i = 0; i < 50; i++) {
        p[i].a = i;
        p[i].b = 1000 - i;
        snic_hmap_insert(&ma, &p[i].by_a, snic_hash_u64(p[i].a, 0));
        snic_hmap_insert(&mb, &p[i].by_b, snic_hash_u64(p[i].b, 0));
    }
    for (uint32_t i = 0; i < 50; i++) {
        struct pair *found = NULL;

        SNIC_HMAP_FOR_EACH_WITH_HASH(q, by_b, snic_hash_u64(1000 - i, 0),
                                     &mb)
            if (q->b == 1000 - i)
                found = q;
        cr_assert_eq(found, &p[i]);
    }
    snic_hmap_fini(&ma);
    snic_hmap_fini(&mb);
}

/* A lookup whose hash's filter bit is not in its bucket's byte ends
 * there, without reading the bucket's chain (the point of the filter: a
 * miss in a large map costs no cache miss in the buckets or the nodes).
 * Shown by a node whose stored hash is changed behind the map's back to
 * the one looked up: a walk of the chain would find it. */
Test(hmap, a_miss_the_filter_rules_out_reads_no_chain)
{
    struct snic_hmap m = SNIC_HMAP_INITIALIZER;
    struct snic_hmap_node n[16];
    const uint64_t h1 = 3, h2 = 3 | (1ull << 32);   /* same bucket */

    cr_assert_neq(snic_hmap_filter_bit_(h1), snic_hmap_filter_bit_(h2));
    /* enough nodes for a bucket array (and so a filter), the others all
     * in bucket 5 */
    for (unsigned i = 0; i < 16; i++)
        snic_hmap_insert(&m, &n[i], i == 3 ? h1 : (i + 1) * 64u + 5);
    cr_assert_not_null(m.buckets);
    cr_assert_eq(snic_hmap_first_with_hash(&m, h1), &n[3]);
    n[3].hash = h2;
    cr_assert_null(snic_hmap_first_with_hash(&m, h2),
                   "the lookup walked a chain its filter ruled out");
    n[3].hash = h1;
    /* removing the node clears its bucket's byte: the bucket is empty */
    snic_hmap_remove(&m, &n[3]);
    cr_assert_eq(m.filter[h1 & m.mask], 0);
    cr_assert_null(snic_hmap_first_with_hash(&m, h1));
    snic_hmap_fini(&m);
}
