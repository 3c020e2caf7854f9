/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The overlap index of one placement domain of one table, kept across
 * commits (snicd_offload_priv.h, "overlap index"): which flows overlap a
 * given one, and what rules 1 and 2 need to know of those that come before
 * it in the software classifier's order.
 *
 * The flows are grouped by mask ("tuples", usually a handful per table).
 * Two matches overlap iff their values agree on the bits both masks cover,
 * so for a flow q and a tuple T the overlapping members of T are exactly
 * those whose value, masked by (mask(T) & mask(q)), equals q's value under
 * the same mask. Each (T, mask(T) & mask(q)) pair gets a hash index of
 * buckets ("sub"), made the first time a flow with such a mask asks and
 * kept up to date from then on. A bucket holds its members unordered and
 * caches what the rules need of all of them: the deepest hardware level,
 * the first software member in classifier order, and the last member. A
 * flow that comes after every member of a bucket (the usual case: lower
 * priority, or a newer flow of equal priority) reads the cache; another
 * looks at the members one by one. Removing a member, or lowering its
 * level, only marks the cache stale: it is recomputed at its next use.
 *
 * Most values have one member alone (a table of exact matches has one per
 * flow, in every sub whose mask keeps the fields that tell its flows
 * apart), and a bucket with its member array would cost ~120 bytes each
 * (#13). So a member alone with its value has no bucket: its own entry
 * for the sub sits in the sub's map, and is the one-member "bucket" whose
 * cache is the member itself. A second member with the value makes the
 * bucket; the last but one leaving it makes the one left alone again.
 *
 * Small tuples are scanned linearly instead.
 *
 * Costs: adding, updating or removing a member is one hash operation per
 * sub of its tuple; a query is one per tuple; listing the later flows that
 * overlap one costs what it lists (plus the bucket's earlier members).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snic_hash.h"
#include "snicd_offload_priv.h"

#define OV_LINEAR_MAX   8u

/* snicd_ov_ent.pos besides an index in a bucket's members */
#define OV_OUT      UINT32_MAX          /* not in this sub (yet) */
#define OV_ALONE    (UINT32_MAX - 1)    /* alone with its value: @node is
                                         * in the sub's map */
#define OV_BUCKET   (UINT32_MAX - 2)    /* a bucket's head */

struct snicd_ov_bucket {
    struct snicd_ov_ent head;       /* pos OV_BUCKET */
    struct snicd_ovm **mem;         /* 2 or more */
    uint32_t n, cap;
    bool stale;                     /* the cache below needs recomputing */
    int32_t max_level;              /* deepest hardware level, -1 none */
    struct snicd_ovm *sw;           /* first software member, or NULL */
    struct snicd_ovm *last;         /* last member in classifier order */
};

struct ov_sub {
    struct flow_key imask;
    uint32_t imap;                  /* words of @imask that are not zero */
    struct snic_hmap buckets;       /* of struct snicd_ov_bucket */
    uint32_t n_buckets;             /* heads of 2+ members in @buckets: a
                                     * clear walks the map only for them */
};

struct snicd_ov_tuple {
    struct snic_hmap_node node;     /* in snicd_ovx.tuples: hash of mask */
    struct flow_key mask;
    struct snicd_ovm **mem;
    uint32_t n, cap;
    struct ov_sub *subs;
    uint32_t nsub, capsub;          /* every member's ent[] has capsub */
};

/* a comes before b in the software classifier's order (flow_table_lookup:
 * higher priority first, then the older id) */
static bool
before(const struct snicd_oflow *a, const struct snicd_oflow *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority;
    return a->id < b->id;
}

bool
snicd_ov_before(const struct snicd_oflow *a, const struct snicd_oflow *b)
{
    return before(a, b);
}

/* ---- bucket cache ---- */

/* A stale cache is not read (its pointers may name members gone since):
 * cache_rebuild() makes it whole first. */
static void
cache_merge(struct snicd_ov_bucket *b, struct snicd_ovm *m)
{
    if (b->stale)
        return;
    if (b->last == NULL || before(b->last->f, m->f))
        b->last = m;
    if (m->level < 0) {
        if (b->sw == NULL || before(m->f, b->sw->f))
            b->sw = m;
    } else if (m->level > b->max_level) {
        b->max_level = m->level;
    }
}

static void
cache_rebuild(struct snicd_ov_bucket *b)
{
    b->stale = false;
    b->max_level = -1;
    b->sw = NULL;
    b->last = NULL;
    for (uint32_t i = 0; i < b->n; i++)
        cache_merge(b, b->mem[i]);
}

/* @m (still counted in the cache with @old_level) leaves or changes: the
 * cache holds only if @m did not make it. */
static void
cache_forget(struct snicd_ov_bucket *b, const struct snicd_ovm *m,
             int32_t old_level)
{
    if (b->last == m ||
        (old_level < 0 && b->sw == m) ||
        (old_level >= 0 && old_level == b->max_level))
        b->stale = true;
}

static void
agg_merge(struct snicd_ov_agg *a, int32_t level, const struct snicd_ovm *sw)
{
    if (sw != NULL && (a->sw == NULL || before(sw->f, a->sw)))
        a->sw = sw->f;
    if (level > a->max_level)
        a->max_level = level;
}

/* ---- buckets ---- */

static struct snicd_ov_bucket *
bucket_of(struct snicd_ov_ent *e)
{
    return SNIC_CONTAINER_OF(e, struct snicd_ov_bucket, head);
}

/* The member whose value stands for the members of head @e. */
static const struct snicd_ovm *
first_of(struct snicd_ov_ent *e)
{
    return e->pos == OV_ALONE ? e->m : bucket_of(e)->mem[0];
}

/* The hash of @f's value in @s's map. */
static uint64_t
sub_hash(const struct ov_sub *s, const struct snicd_oflow *f)
{
    return snicd_oflow_masked_hash(f, s->imap, &s->imask);
}

/* The head (a bucket's, or a member's alone) of @f's value in @s, or
 * NULL; @h is sub_hash(s, f). */
static struct snicd_ov_ent *
head_find(struct ov_sub *s, const struct snicd_oflow *f, uint64_t h)
{
    struct snicd_ov_ent *e;

    SNIC_HMAP_FOR_EACH_WITH_HASH(e, node, h, &s->buckets)
        if (snicd_oflow_masked_eq(first_of(e)->f, f, s->imap, &s->imask))
            return e;
    return NULL;
}

/* @m alone with its value in @s: its entry is the head. */
static void
alone_put(struct ov_sub *s, struct snicd_ovm *m, uint32_t si, uint64_t h)
{
    struct snicd_ov_ent *e = &m->ent[si];

    e->m = m;
    e->pos = OV_ALONE;
    snic_hmap_insert(&s->buckets, &e->node, h);
}

static void
bucket_join(struct snicd_ov_bucket *b, uint32_t si, struct snicd_ovm *m)
{
    m->ent[si].b = b;
    m->ent[si].pos = b->n;
    b->mem[b->n++] = m;
    cache_merge(b, m);
}

/* A bucket in place of @alone's head, with @alone in it. */
static struct snicd_ov_bucket *
bucket_new(struct ov_sub *s, uint32_t si, struct snicd_ov_ent *alone)
{
    struct snicd_ov_bucket *b = calloc(1, sizeof(*b));
    struct snicd_ovm *m = alone->m;
    uint64_t h = alone->node.hash;

    if (b == NULL)
        return NULL;
    b->mem = malloc(2 * sizeof(*b->mem));
    if (b->mem == NULL) {
        free(b);
        return NULL;
    }
    b->cap = 2;
    b->head.b = b;
    b->head.pos = OV_BUCKET;
    b->max_level = -1;
    snic_hmap_remove(&s->buckets, &alone->node);
    snic_hmap_insert(&s->buckets, &b->head.node, h);
    s->n_buckets++;
    bucket_join(b, si, m);
    return b;
}

/* Put @m (member of @t) into sub @si: alone, or in the bucket of its
 * value. 0, or -ENOMEM with nothing changed. */
static int
bucket_add(struct snicd_ov_tuple *t, uint32_t si, struct snicd_ovm *m)
{
    struct ov_sub *s = &t->subs[si];
    struct snicd_ov_bucket *b;
    struct snicd_ov_ent *e;
    uint64_t h;

    h = sub_hash(s, m->f);
    e = head_find(s, m->f, h);

    if (e == NULL) {
        alone_put(s, m, si, h);
        return 0;
    }
    if (e->pos == OV_ALONE) {
        /* room for two: the join below cannot fail */
        b = bucket_new(s, si, e);
        if (b == NULL)
            return -ENOMEM;
    } else {
        b = bucket_of(e);
    }
    if (b->n == b->cap) {
        uint32_t nc = b->cap * 2;
        struct snicd_ovm **nm = realloc(b->mem, nc * sizeof(*nm));

        if (nm == NULL)
            return -ENOMEM;
        b->mem = nm;
        b->cap = nc;
    }
    bucket_join(b, si, m);
    return 0;
}

static void
bucket_del(struct snicd_ov_tuple *t, uint32_t si, struct snicd_ovm *m)
{
    struct ov_sub *s = &t->subs[si];
    struct snicd_ov_ent *e = &m->ent[si];
    struct snicd_ov_bucket *b;
    uint32_t pos = e->pos;

    if (pos == OV_OUT)
        return;
    if (pos == OV_ALONE) {
        snic_hmap_remove(&s->buckets, &e->node);
        e->pos = OV_OUT;
        return;
    }
    b = e->b;
    b->mem[pos] = b->mem[--b->n];
    b->mem[pos]->ent[si].pos = pos;
    e->pos = OV_OUT;       /* after: @m may have been the last one moved */
    if (b->n == 1) {
        /* the one left is alone again, in the bucket's place */
        uint64_t h = b->head.node.hash;

        snic_hmap_remove(&s->buckets, &b->head.node);
        s->n_buckets--;
        alone_put(s, b->mem[0], si, h);
        free(b->mem);
        free(b);
        return;
    }
    cache_forget(b, m, m->level);
}

/* ---- tuples and subs ---- */

static struct snicd_ov_tuple *
tuple_find(struct snicd_ovx *x, const struct flow_key *mask, uint64_t h)
{
    struct snicd_ov_tuple *t;

    SNIC_HMAP_FOR_EACH_WITH_HASH(t, node, h, &x->tuples)
        if (memcmp(&t->mask, mask, sizeof(*mask)) == 0)
            return t;
    return NULL;
}

/* The subs' buckets go; the members' entries are theirs (and must still
 * be there: the maps' chains run through the alone ones). A sub whose
 * values are all alone (a table of exact matches) has nothing to free
 * but its bucket array: its map, one node a member, is not walked (a
 * cache miss a flow: a tenth of a delete of 1,000,000 flows, #13). */
static void
subs_free(struct snicd_ov_tuple *t)
{
    struct snicd_ov_ent *e;

    for (uint32_t i = 0; i < t->nsub; i++) {
        if (t->subs[i].n_buckets == 0) {
            snic_hmap_fini(&t->subs[i].buckets);
            continue;
        }
        SNIC_HMAP_FOR_EACH_SAFE(e, node, &t->subs[i].buckets) {
            if (e->pos == OV_BUCKET) {
                free(bucket_of(e)->mem);
                free(bucket_of(e));
            }
        }
        snic_hmap_fini(&t->subs[i].buckets);
    }
    free(t->subs);
    t->subs = NULL;
    t->nsub = t->capsub = 0;
}

static void
tuple_free(struct snicd_ovx *x, struct snicd_ov_tuple *t)
{
    subs_free(t);
    free(t->mem);
    snic_hmap_remove(&x->tuples, &t->node);
    free(t);
}

/* @m's ent[] goes (the member's own @ent1 is no allocation). */
static void
ent_free(struct snicd_ovm *m)
{
    if (m->ent != &m->ent1)
        free(m->ent);
    m->ent = NULL;
}

/* Move @m's entries to an array of @nc: the alone ones leave their
 * sub's map while their node moves, and come back (also when the array
 * could not grow). One entry is the member's own @ent1. */
static int
ent_grow(struct snicd_ov_tuple *t, struct snicd_ovm *m, uint32_t nc)
{
    struct snicd_ov_ent *ne;

    for (uint32_t si = 0; si < t->nsub; si++)
        if (m->ent[si].pos == OV_ALONE)
            snic_hmap_remove(&t->subs[si].buckets, &m->ent[si].node);
    if (m->ent == NULL && nc == 1) {
        ne = &m->ent1;
    } else if (m->ent == &m->ent1) {
        /* nsub <= 1: what the one entry holds */
        ne = nc > 1 ? malloc(nc * sizeof(*ne)) : &m->ent1;
        if (ne != NULL && ne != &m->ent1)
            ne[0] = m->ent1;
    } else {
        ne = realloc(m->ent, nc * sizeof(*ne));
    }
    if (ne != NULL)
        m->ent = ne;
    for (uint32_t si = 0; si < t->nsub; si++)
        if (m->ent[si].pos == OV_ALONE)
            snic_hmap_insert(&t->subs[si].buckets, &m->ent[si].node,
                             m->ent[si].node.hash);
    return ne != NULL ? 0 : -ENOMEM;
}

/* Room for one more sub in every member's ent[]. */
static int
tuple_grow_subs(struct snicd_ov_tuple *t)
{
    uint32_t nc;
    struct ov_sub *ns;

    if (t->nsub < t->capsub)
        return 0;
    /* one first: most tuples are only ever asked with their own mask */
    nc = t->capsub ? t->capsub * 2 : 1;
    ns = realloc(t->subs, nc * sizeof(*ns));
    if (ns == NULL)
        return -ENOMEM;
    t->subs = ns;
    for (uint32_t i = 0; i < t->n; i++)
        /* members already grown keep the larger array: harmless */
        if (ent_grow(t, t->mem[i], nc) < 0)
            return -ENOMEM;
    t->capsub = nc;
    return 0;
}

/* The sub of @t for @imask, made (with every member in it) if needed. */
static struct ov_sub *
sub_get(struct snicd_ov_tuple *t, const struct flow_key *imask)
{
    struct ov_sub *s;
    uint32_t si;

    for (uint32_t i = 0; i < t->nsub; i++)
        if (memcmp(&t->subs[i].imask, imask, sizeof(*imask)) == 0)
            return &t->subs[i];
    if (tuple_grow_subs(t) < 0)
        return NULL;
    si = t->nsub;
    s = &t->subs[si];
    s->imask = *imask;
    s->imap = 0;
    for (uint32_t w = 0; w < FLOW_KEY_WORDS; w++) {
        uint64_t word;

        memcpy(&word, (const uint8_t *)imask + w * sizeof(word),
               sizeof(word));
        if (word != 0)
            s->imap |= 1u << w;
    }
    snic_hmap_init(&s->buckets);
    s->n_buckets = 0;
    for (uint32_t i = 0; i < t->n; i++)
        t->mem[i]->ent[si].pos = OV_OUT;
    t->nsub++;
    for (uint32_t i = 0; i < t->n; i++)
        if (bucket_add(t, si, t->mem[i]) < 0)
            goto undo;
    return s;

undo:
    for (uint32_t i = 0; i < t->n; i++)
        bucket_del(t, si, t->mem[i]);
    snic_hmap_fini(&s->buckets);
    t->nsub--;
    return NULL;
}

static void
key_and(struct flow_key *out, const struct flow_key *a,
        const struct flow_key *b)
{
    const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
    uint8_t *po = (uint8_t *)out;

    for (size_t i = 0; i < sizeof(*out); i++)
        po[i] = pa[i] & pb[i];
}

/* The head (bucket, or member alone) of @t's members that overlap @q
 * (@qmask its mask), NULL when none does; -ENOMEM in @ret when the sub
 * could not be made. */
static struct snicd_ov_ent *
overlapping(struct snicd_ov_tuple *t, const struct snicd_oflow *q,
            const struct flow_key *qmask, int *ret)
{
    struct flow_key imask;
    struct ov_sub *s;

    key_and(&imask, &t->mask, qmask);
    s = sub_get(t, &imask);
    if (s == NULL) {
        *ret = -ENOMEM;
        return NULL;
    }
    return head_find(s, q, sub_hash(s, q));
}

/* ---- the index ---- */

void
snicd_ov_init(struct snicd_ovx *x)
{
    snic_hmap_init(&x->tuples);
}

int
snicd_ov_query(struct snicd_ovx *x, const struct snicd_oflow *q,
               struct snicd_ov_agg *a)
{
    struct snicd_ov_tuple *t;
    struct flow_key qmask;
    int ret = 0;

    a->max_level = -1;
    a->sw = NULL;
    snicd_oflow_mask(q, &qmask);
    SNIC_HMAP_FOR_EACH(t, node, &x->tuples) {
        struct snicd_ov_bucket *b;
        struct snicd_ov_ent *e;

        if (t->n <= OV_LINEAR_MAX) {
            for (uint32_t j = 0; j < t->n; j++) {
                struct snicd_ovm *m = t->mem[j];

                if (before(m->f, q) && snicd_oflow_overlaps(q, m->f))
                    agg_merge(a, m->level, m->level < 0 ? m : NULL);
            }
            continue;
        }
        e = overlapping(t, q, &qmask, &ret);
        if (ret < 0)
            return ret;
        if (e == NULL)
            continue;
        if (e->pos == OV_ALONE) {
            if (before(e->m->f, q))
                agg_merge(a, e->m->level, e->m->level < 0 ? e->m : NULL);
            continue;
        }
        b = bucket_of(e);
        if (b->stale)
            cache_rebuild(b);
        if (before(b->last->f, q)) {
            agg_merge(a, b->max_level, b->sw);
            continue;
        }
        for (uint32_t j = 0; j < b->n; j++)
            if (before(b->mem[j]->f, q))
                agg_merge(a, b->mem[j]->level,
                          b->mem[j]->level < 0 ? b->mem[j] : NULL);
    }
    return 0;
}

int
snicd_ov_later(struct snicd_ovx *x, const struct snicd_oflow *q,
               void (*fn)(void *ctx, struct snicd_oflow *g), void *ctx)
{
    struct flow_key qmask;
    struct snicd_ov_tuple *t;
    int ret = 0;

    snicd_oflow_mask(q, &qmask);
    SNIC_HMAP_FOR_EACH(t, node, &x->tuples) {
        struct snicd_ov_bucket *b;
        struct snicd_ov_ent *e;

        if (t->n <= OV_LINEAR_MAX) {
            for (uint32_t j = 0; j < t->n; j++) {
                struct snicd_ovm *m = t->mem[j];

                if (before(q, m->f) && snicd_oflow_overlaps(q, m->f))
                    fn(ctx, m->f);
            }
            continue;
        }
        e = overlapping(t, q, &qmask, &ret);
        if (ret < 0)
            return ret;
        if (e == NULL)
            continue;
        if (e->pos == OV_ALONE) {
            if (before(q, e->m->f))
                fn(ctx, e->m->f);
            continue;
        }
        b = bucket_of(e);
        for (uint32_t j = 0; j < b->n; j++)
            if (before(q, b->mem[j]->f))
                fn(ctx, b->mem[j]->f);
    }
    return 0;
}

static int
member_add(struct snicd_ovx *x, struct snicd_ovm *m)
{
    struct flow_key mk, *mask = &mk;
    uint64_t h;
    struct snicd_ov_tuple *t;
    uint32_t si;

    snicd_oflow_mask(m->f, &mk);
    h = snic_hash_bytes(mask, sizeof(*mask), SNIC_HASH_BASIS);
    t = tuple_find(x, mask, h);

    if (t == NULL) {
        t = calloc(1, sizeof(*t));
        if (t == NULL)
            return -ENOMEM;
        t->mask = *mask;
        snic_hmap_insert(&x->tuples, &t->node, h);
    }
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 8;
        struct snicd_ovm **nm = realloc(t->mem, nc * sizeof(*nm));

        if (nm == NULL)
            goto fail;
        t->mem = nm;
        t->cap = nc;
    }
    m->ent = NULL;
    if (t->capsub == 1) {
        m->ent1 = (struct snicd_ov_ent){ .pos = 0 };
        m->ent = &m->ent1;
    } else if (t->capsub > 1) {
        m->ent = calloc(t->capsub, sizeof(*m->ent));
        if (m->ent == NULL)
            goto fail;
    }
    m->t = t;
    m->tpos = t->n;
    t->mem[t->n++] = m;
    for (si = 0; si < t->nsub; si++)
        if (bucket_add(t, si, m) < 0)
            goto undo;
    return 0;

undo:
    while (si-- > 0)
        bucket_del(t, si, m);
    t->n--;
    m->t = NULL;
    ent_free(m);
fail:
    if (t->n == 0)
        tuple_free(x, t);
    return -ENOMEM;
}

void
snicd_ov_del(struct snicd_ovx *x, struct snicd_ovm *m)
{
    struct snicd_ov_tuple *t = m->t;

    if (t == NULL)
        return;
    for (uint32_t si = 0; si < t->nsub; si++)
        bucket_del(t, si, m);
    t->mem[m->tpos] = t->mem[--t->n];
    t->mem[m->tpos]->tpos = m->tpos;
    ent_free(m);
    m->t = NULL;
    if (t->n == 0)
        tuple_free(x, t);
}

int
snicd_ov_set(struct snicd_ovx *x, struct snicd_ovm *m, int32_t level)
{
    int ret;

    if (m->t == NULL) {
        m->level = level;
        ret = member_add(x, m);
        if (ret < 0)
            m->level = -1;
        return ret;
    }
    if (m->level == level)
        return 0;
    /* a member alone is its own cache */
    for (uint32_t si = 0; si < m->t->nsub; si++) {
        struct snicd_ov_ent *e = &m->ent[si];

        if (e->pos < OV_BUCKET && !e->b->stale)
            cache_forget(e->b, m, m->level);
    }
    m->level = level;
    for (uint32_t si = 0; si < m->t->nsub; si++)
        if (m->ent[si].pos < OV_BUCKET)
            cache_merge(m->ent[si].b, m);
    return 0;
}

void
snicd_ov_clear(struct snicd_ovx *x)
{
    struct snicd_ov_tuple *t;

    SNIC_HMAP_FOR_EACH_SAFE(t, node, &x->tuples) {
        subs_free(t);      /* while the members' entries are there */
        for (uint32_t i = 0; i < t->n; i++) {
            ent_free(t->mem[i]);
            t->mem[i]->t = NULL;
        }
        tuple_free(x, t);
    }
    snic_hmap_fini(&x->tuples);
    snic_hmap_init(&x->tuples);
}
