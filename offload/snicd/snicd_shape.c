/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The validate cache: rte_flow_validate's answer by rule shape (see
 * snicd_xlate_shape()). Shapes are few (a 100,000-flow batch of one kind
 * has one); entries live until the cache is cleared (a device reset may
 * have changed what it supports).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snic_hash.h"
#include "snic_hmap.h"
#include "snicd_offload_priv.h"

struct shape_entry {
    struct snic_hmap_node node; /* in the cache, hash of key */
    struct snicd_shape_result r;
    size_t len;
    uint8_t key[];
};

struct snicd_shape_cache {
    struct snic_hmap map;       /* of struct shape_entry */
};

static uint64_t
shape_hash(const uint8_t *key, size_t len)
{
    return snic_hash_bytes(key, len, SNIC_HASH_BASIS);
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
    struct shape_entry *e;

    SNIC_HMAP_FOR_EACH_SAFE(e, node, &c->map)
        free(e);
    snic_hmap_clear(&c->map);
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
    const struct shape_entry *e;

    SNIC_HMAP_FOR_EACH_WITH_HASH(e, node, shape_hash(key, len), &c->map)
        if (e->len == len && memcmp(e->key, key, len) == 0)
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
    e->r = *r;
    e->len = len;
    memcpy(e->key, key, len);
    snic_hmap_insert(&c->map, &e->node, h);
    return 0;
}
