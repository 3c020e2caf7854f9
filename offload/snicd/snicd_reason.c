/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reason pool (snicd_reason.h): a text is a header before its bytes,
 * so a holder's pointer leads back to the count without a lookup.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snic_hash.h"
#include "snicd_offload.h"
#include "snicd_reason.h"

struct snicd_reason_text {
    struct snic_hmap_node node;     /* in snicd_reasons.texts */
    uint32_t refs;
    uint32_t len;
    char s[];
};

/* What a holder gets when there is no memory for its text: the reason
 * is lost, not the flow's place. */
static const char no_memory[] = "(reason not kept: out of memory)";

static bool
is_fixed(const char *s)
{
    return s == NULL || s[0] == '\0' || s == no_memory;
}

void
snicd_reasons_init(struct snicd_reasons *r)
{
    snic_hmap_init(&r->texts);
}

void
snicd_reasons_fini(struct snicd_reasons *r)
{
    struct snicd_reason_text *t;

    SNIC_HMAP_FOR_EACH_SAFE(t, node, &r->texts) {
        snic_hmap_remove(&r->texts, &t->node);
        free(t);
    }
    snic_hmap_fini(&r->texts);
}

const char *
snicd_reason_get(struct snicd_reasons *r, const char *s)
{
    size_t len = strnlen(s, SNICD_REASON_SIZE - 1);
    uint64_t h;
    struct snicd_reason_text *t;

    if (len == 0)
        return "";
    h = snic_hash_bytes(s, len, SNIC_HASH_BASIS);
    SNIC_HMAP_FOR_EACH_WITH_HASH(t, node, h, &r->texts)
        if (t->len == len && memcmp(t->s, s, len) == 0) {
            t->refs++;
            return t->s;
        }
    t = malloc(sizeof(*t) + len + 1);
    if (t == NULL)
        return no_memory;
    t->refs = 1;
    t->len = (uint32_t)len;
    memcpy(t->s, s, len);
    t->s[len] = '\0';
    snic_hmap_insert(&r->texts, &t->node, h);
    return t->s;
}

void
snicd_reason_put(struct snicd_reasons *r, const char *s)
{
    struct snicd_reason_text *t;

    if (is_fixed(s))
        return;
    /* the pool's own text: writable memory it handed out as const */
    t = (struct snicd_reason_text *)(uintptr_t)
        (s - offsetof(struct snicd_reason_text, s));
    if (--t->refs > 0)
        return;
    snic_hmap_remove(&r->texts, &t->node);
    free(t);
}

size_t
snicd_reasons_count(const struct snicd_reasons *r)
{
    return snic_hmap_count(&r->texts);
}
