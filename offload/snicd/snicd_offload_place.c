/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Placing one OpenFlow table: rules 1 and 2 of docs/snicd.md.
 *
 * The flows are visited in the order the software classifier prefers them
 * (priority high to low, then the oldest id first, as flow_table_lookup()
 * breaks ties). When a flow is visited, every flow that wins over it has
 * been decided, so one pass is exact, with no iteration:
 *  - rule 1: if an overlapping earlier flow stayed in software, this one
 *    must too ("shadowed by flow N");
 *  - rule 2: its level is one below the deepest overlapping earlier
 *    hardware flow (levels are rte_flow priorities: lower number first).
 *    Flows that overlap nothing earlier all share level 0, so the device's
 *    few levels go only where an order must be kept. Equal-priority
 *    overlapping flows get distinct levels too, so the hardware breaks the
 *    tie the way software does.
 *
 * Finding the overlapping earlier flows without comparing all pairs: the
 * flows are grouped by mask ("tuples", usually a handful per table). Two
 * matches overlap iff their values agree on the bits both masks cover, so
 * for a flow q and a tuple T the overlapping members of T are exactly those
 * whose value, masked by (mask(T) & mask(q)), equals q's value under the
 * same mask. Each (T, mask(T) & mask(q)) pair gets a hash index, built the
 * first time it is needed, whose buckets keep the aggregate the rules need
 * (deepest hardware level, first software flow). A query is then one hash
 * lookup per tuple, and a flow that overlaps nothing costs the same as one
 * that does. Small tuples are scanned linearly instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic_hash.h"
#include "snic_hmap.h"
#include "snicd_offload_priv.h"

#define OV_LINEAR_MAX   8u

struct ov_key {
    uint32_t tag;               /* 0: tuple registry, else a sub-index */
    uint32_t pad;
    struct flow_key k;
};

struct ov_val {
    int32_t max_level;          /* deepest hardware level, -1 none */
    uint32_t aux;               /* registry: tuple index; else has_sw */
    uint64_t sw_id;
};

struct ov_entry {
    struct snic_hmap_node node; /* in ov.map, hash of key */
    struct ov_key key;
    struct ov_val val;
};

/* Entries are never removed before the whole index goes: they come from
 * blocks, one allocation per OV_BLOCK of them. */
#define OV_BLOCK        1024u

struct ov_block {
    struct ov_block *next;
    uint32_t used;
    struct ov_entry e[OV_BLOCK];
};

struct ov_member {
    const struct flow_match *m;
    uint64_t id;
    int32_t level;
    bool sw;
};

struct ov_sub {
    struct flow_key imask;
    uint32_t tag;
};

struct ov_tuple {
    struct flow_key mask;
    struct ov_member *mem;
    uint32_t n, cap;
    struct ov_sub *subs;
    uint32_t nsub, capsub;
};

struct ov {
    struct snic_hmap map;       /* of struct ov_entry */
    struct ov_block *blocks;    /* the first has room, if any does */
    struct ov_tuple *tuples;
    uint32_t nt, capt;
    uint32_t next_tag;
};

struct ov_agg {
    int32_t max_level;
    bool has_sw;
    uint64_t sw_id;
};

static uint64_t
ov_hash(const struct ov_key *k)
{
    return snic_hash_bytes(k, sizeof(*k), SNIC_HASH_BASIS);
}

static struct ov_entry *
ov_entry_new(struct ov *ov)
{
    struct ov_block *b = ov->blocks;

    if (b == NULL || b->used == OV_BLOCK) {
        b = malloc(sizeof(*b));
        if (b == NULL)
            return NULL;
        b->used = 0;
        b->next = ov->blocks;
        ov->blocks = b;
    }
    return &b->e[b->used++];
}

/* The entry for @k; created (value "nothing yet") when @create. */
static struct ov_val *
ov_get(struct ov *ov, const struct ov_key *k, bool create)
{
    uint64_t h = ov_hash(k);
    struct ov_entry *e;

    SNIC_HMAP_FOR_EACH_WITH_HASH(e, node, h, &ov->map)
        if (memcmp(&e->key, k, sizeof(*k)) == 0)
            return &e->val;
    if (!create)
        return NULL;
    e = ov_entry_new(ov);
    if (e == NULL)
        return NULL;
    e->key = *k;
    e->val.max_level = -1;
    e->val.aux = 0;
    e->val.sw_id = 0;
    snic_hmap_insert(&ov->map, &e->node, h);
    return &e->val;
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

static void
val_merge(struct ov_val *v, const struct ov_member *m)
{
    if (m->sw) {
        if (!v->aux) {
            v->aux = 1;
            v->sw_id = m->id;
        }
    } else if (m->level > v->max_level) {
        v->max_level = m->level;
    }
}

static void
agg_merge(struct ov_agg *a, int32_t level, bool has_sw, uint64_t sw_id)
{
    if (has_sw && !a->has_sw) {
        a->has_sw = true;
        a->sw_id = sw_id;
    }
    if (level > a->max_level)
        a->max_level = level;
}

static struct ov_sub *
ov_sub_get(struct ov *ov, struct ov_tuple *t, const struct flow_key *imask)
{
    struct ov_sub *s;
    struct ov_key k = { 0 };

    for (uint32_t i = 0; i < t->nsub; i++)
        if (memcmp(&t->subs[i].imask, imask, sizeof(*imask)) == 0)
            return &t->subs[i];
    if (t->nsub == t->capsub) {
        uint32_t nc = t->capsub ? t->capsub * 2 : 4;
        struct ov_sub *ns = realloc(t->subs, nc * sizeof(*ns));

        if (ns == NULL)
            return NULL;
        t->subs = ns;
        t->capsub = nc;
    }
    s = &t->subs[t->nsub];
    s->imask = *imask;
    s->tag = ++ov->next_tag;
    /* index the members decided so far */
    k.tag = s->tag;
    for (uint32_t i = 0; i < t->n; i++) {
        struct ov_val *v;

        key_and(&k.k, &t->mem[i].m->value, imask);
        v = ov_get(ov, &k, true);
        if (v == NULL)
            return NULL;
        val_merge(v, &t->mem[i]);
    }
    t->nsub++;
    return s;
}

static int
ov_query(struct ov *ov, const struct flow_match *q, struct ov_agg *a)
{
    struct flow_key imask;
    struct ov_key k = { 0 };

    a->max_level = -1;
    a->has_sw = false;
    a->sw_id = 0;
    for (uint32_t i = 0; i < ov->nt; i++) {
        struct ov_tuple *t = &ov->tuples[i];
        const struct ov_val *v;
        struct ov_sub *s;

        if (t->n <= OV_LINEAR_MAX) {
            for (uint32_t j = 0; j < t->n; j++)
                if (flow_match_overlaps(q, t->mem[j].m))
                    agg_merge(a, t->mem[j].sw ? -1 : t->mem[j].level,
                              t->mem[j].sw, t->mem[j].id);
            continue;
        }
        key_and(&imask, &t->mask, &q->mask);
        s = ov_sub_get(ov, t, &imask);
        if (s == NULL)
            return -ENOMEM;
        k.tag = s->tag;
        key_and(&k.k, &q->value, &imask);
        v = ov_get(ov, &k, false);
        if (v != NULL)
            agg_merge(a, v->max_level, v->aux != 0, v->sw_id);
    }
    return 0;
}

static int
ov_insert(struct ov *ov, const struct flow_match *m, uint64_t id,
          int32_t level, bool sw)
{
    struct ov_key k = { 0 };
    struct ov_member mem = { .m = m, .id = id, .level = level, .sw = sw };
    struct ov_tuple *t;
    struct ov_val *reg;

    k.k = m->mask;
    reg = ov_get(ov, &k, true);
    if (reg == NULL)
        return -ENOMEM;
    if (reg->max_level < 0) {
        /* a new tuple: registry slot holds its index (max_level >= 0) */
        if (ov->nt == ov->capt) {
            uint32_t nc = ov->capt ? ov->capt * 2 : 8;
            struct ov_tuple *nt = realloc(ov->tuples, nc * sizeof(*nt));

            if (nt == NULL)
                return -ENOMEM;
            ov->tuples = nt;
            ov->capt = nc;
        }
        memset(&ov->tuples[ov->nt], 0, sizeof(ov->tuples[0]));
        ov->tuples[ov->nt].mask = m->mask;
        reg->aux = ov->nt++;
        reg->max_level = 0;
    }
    t = &ov->tuples[reg->aux];
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 8;
        struct ov_member *nm = realloc(t->mem, nc * sizeof(*nm));

        if (nm == NULL)
            return -ENOMEM;
        t->mem = nm;
        t->cap = nc;
    }
    t->mem[t->n++] = mem;
    for (uint32_t i = 0; i < t->nsub; i++) {
        struct ov_val *v;

        k.tag = t->subs[i].tag;
        key_and(&k.k, &m->value, &t->subs[i].imask);
        v = ov_get(ov, &k, true);
        if (v == NULL)
            return -ENOMEM;
        val_merge(v, &mem);
    }
    return 0;
}

static void
ov_fini(struct ov *ov)
{
    for (uint32_t i = 0; i < ov->nt; i++) {
        free(ov->tuples[i].mem);
        free(ov->tuples[i].subs);
    }
    free(ov->tuples);
    while (ov->blocks != NULL) {
        struct ov_block *b = ov->blocks;

        ov->blocks = b->next;
        free(b);
    }
    snic_hmap_fini(&ov->map);
}

static int
order_cmp(const void *a_, const void *b_)
{
    const struct snicd_oflow *a = *(const struct snicd_oflow *const *)a_;
    const struct snicd_oflow *b = *(const struct snicd_oflow *const *)b_;

    if (a->flow.priority != b->flow.priority)
        return a->flow.priority > b->flow.priority ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Rules 1 and 2 for one flow against the earlier flows of its domain:
 * the level it may take, or -1 with the reason in @buf. */
static int
place_level(struct snicd_offload *o, struct ov *ov,
            const struct snicd_oflow *f, uint32_t n_levels, char *buf,
            size_t size, int *ret)
{
    const struct snicd_oflow *by;
    struct ov_agg a;

    *ret = ov_query(ov, &f->flow.match, &a);
    if (*ret < 0)
        return -1;
    if (a.has_sw) {
        by = snicd_idmap_find(&o->ids, a.sw_id);
        /* in a decap context's index, the flows of other ports count as
         * software: hardware never shows them a decapsulated frame. An
         * equal priority shadows too: the older flow wins the tie. */
        snprintf(buf, size, "shadowed by flow %" PRIu64 " (%s, "
                 "overlapping, %s)", a.sw_id,
                 by != NULL && by->flow.priority == f->flow.priority
                 ? "same priority, older: it wins ties" : "higher priority",
                 by != NULL && by->where != SNICD_WHERE_SW ?
                 "not in the decap context's group" : "in software");
        return -1;
    }
    if ((uint32_t)(a.max_level + 1) >= n_levels) {
        snprintf(buf, size, "needs hardware level %d but the device has %u "
                 "(too many overlapping priorities in table %u%s)",
                 a.max_level + 1, n_levels, f->flow.table_id,
                 f->dctx != NULL || snicd_xlate_tunnel_of(&f->flow, o->ports,
                 o->n_ports) != NULL ? ", decap context" : "");
        return -1;
    }
    return a.max_level + 1;
}

/*
 * Two domains (snicd_xlate.h): frames nobody decapsulated, which group 0
 * and the groups it jumps to see, and decapsulated frames, which only the
 * decap contexts' groups see. A flow's order and shadowing count only
 * against earlier flows of the domain it is placed in: @root indexes the
 * flows that can match an undecapsulated frame, @tun those that can match
 * a decapsulated one (flows that are not in a context's group, such as
 * in_port wildcarded, go there as software: the context's group does not
 * have them).
 */
int
snicd_place_table(struct snicd_offload *o, struct snicd_otable *t,
                  uint32_t n_levels)
{
    struct snicd_oflow **order;
    struct ov root = { 0 }, tun = { 0 };
    char buf[SNICD_REASON_SIZE];
    uint32_t root_levels = n_levels;
    int ret = 0;

    if (t == &o->tables[0])
        root_levels = n_levels > o->root_reserved ?
                      n_levels - o->root_reserved : 0;

    if (t->n == 0)
        return 0;
    order = malloc(t->n * sizeof(*order));
    if (order == NULL)
        return -ENOMEM;
    memcpy(order, t->flows, t->n * sizeof(*order));
    qsort(order, t->n, sizeof(*order), order_cmp);
    t->has_no_space = false;
    t->has_failed = false;
    for (uint32_t i = 0; i < t->n; i++) {
        struct snicd_oflow *f = order[i];
        enum snicd_where w = SNICD_WHERE_SW;
        const char *why = snicd_offload_blocked(o, f, buf, sizeof(buf));
        unsigned dom = snicd_xlate_domains(&f->flow, o->ports, o->n_ports);
        bool decap = snicd_xlate_tunnel_of(&f->flow, o->ports,
                                           o->n_ports) != NULL;
        int level = -1;

        if (why == NULL && decap) {
            level = place_level(o, &tun, f, n_levels, buf, sizeof(buf),
                                &ret);
            if (ret < 0)
                break;
            if (level >= 0)
                w = snicd_offload_try_decap(o, f, (uint32_t)level);
            else
                why = buf;
        } else if (why == NULL && (dom & SNICD_XLATE_DOM_ROOT)) {
            why = snicd_tun_unguarded(o, f, buf, sizeof(buf));
            if (why == NULL) {
                level = place_level(o, &root, f, root_levels, buf,
                                    sizeof(buf), &ret);
                if (ret < 0)
                    break;
                if (level >= 0)
                    w = snicd_offload_try_hw(o, f, (uint32_t)level);
                else
                    why = buf;
            }
        } else if (why == NULL) {
            why = "matches only decapsulated frames (tunnel metadata) but "
                  "not in_port=<tunnel port>: hardware decap needs a flow "
                  "of table 0 with in_port=<tunnel port> and an exact "
                  "tun_id";
        }
        if (why != NULL)
            snicd_offload_to_sw(o, f, why, false);
        if (f->no_space)
            t->has_no_space = true;
        if (f->create_failed)
            t->has_failed = true;
        if (decap) {
            ret = ov_insert(&tun, &f->flow.match, f->id,
                            w == SNICD_WHERE_SW ? -1 : (int32_t)f->level,
                            w == SNICD_WHERE_SW);
        } else {
            if (dom & SNICD_XLATE_DOM_ROOT)
                ret = ov_insert(&root, &f->flow.match, f->id,
                                w == SNICD_WHERE_SW ? -1 : (int32_t)f->level,
                                w == SNICD_WHERE_SW);
            if (ret == 0 && (dom & SNICD_XLATE_DOM_TUNNEL))
                ret = ov_insert(&tun, &f->flow.match, f->id, -1, true);
        }
        if (ret < 0)
            break;
    }
    ov_fini(&root);
    ov_fini(&tun);
    free(order);
    t->dirty = ret < 0;
    return ret;
}
