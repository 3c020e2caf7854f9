/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The validate cache: rte_flow_validate's answer by rule shape (see
 * snicd_xlate_shape()). Shapes are few (a 100,000-flow batch of one kind
 * has one), so a fixed chained hash is enough; entries live until the
 * cache is cleared (a device reset may have changed what it supports).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snicd_offload_priv.h"

#define SHAPE_BUCKETS   1024u

struct shape_entry {
    struct shape_entry *next;
    uint64_t hash;
    struct snicd_shape_result r;
    size_t len;
    uint8_t key[];
};

struct snicd_shape_cache {
    struct shape_entry *b[SHAPE_BUCKETS];
};

static uint64_t
shape_hash(const uint8_t *key, size_t len)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < len; i++) {
        h ^= key[i];
        h *= 1099511628211ull;
    }
    return h;
}

struct snicd_shape_cache *
snicd_shape_cache_create(void)
{
    struct snicd_shape_cache *c = calloc(1, sizeof(*c));

    if (c == NULL)
        errno = ENOMEM;
    return c;
}

void
snicd_shape_cache_clear(struct snicd_shape_cache *c)
{
    for (unsigned i = 0; i < SHAPE_BUCKETS; i++) {
        while (c->b[i] != NULL) {
            struct shape_entry *e = c->b[i];

            c->b[i] = e->next;
            free(e);
        }
    }
}

void
snicd_shape_cache_destroy(struct snicd_shape_cache *c)
{
    if (c == NULL)
        return;
    snicd_shape_cache_clear(c);
    free(c);
}

const struct snicd_shape_result *
snicd_shape_lookup(const struct snicd_shape_cache *c, const uint8_t *key,
                   size_t len)
{
    uint64_t h = shape_hash(key, len);

    for (const struct shape_entry *e = c->b[h % SHAPE_BUCKETS]; e != NULL;
         e = e->next)
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
            return &e->r;
    return NULL;
}

int
snicd_shape_insert(struct snicd_shape_cache *c, const uint8_t *key,
                   size_t len, const struct snicd_shape_result *r)
{
    uint64_t h = shape_hash(key, len);
    struct shape_entry *e = malloc(sizeof(*e) + len);

    if (e == NULL)
        return -ENOMEM;
    e->hash = h;
    e->r = *r;
    e->len = len;
    memcpy(e->key, key, len);
    e->next = c->b[h % SHAPE_BUCKETS];
    c->b[h % SHAPE_BUCKETS] = e;
    return 0;
}
