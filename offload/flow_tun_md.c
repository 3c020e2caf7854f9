/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tun_metadata0..63: where a packet or a match keeps them, the TLV map
 * that lays them out, and the check that fits a flow to a map.
 *
 * Open vSwitch keeps Geneve options in a 256-byte area whose layout its
 * TLV map decides (add-tlv-map); a flow parsed without a map gets a layout
 * of its own, in the order its fields come, which the switch replaces by
 * its map's. snic does the same in FLOW_TUN_MD_SLOTS 4-byte slots of
 * struct flow_meta (28 bytes, options of at most 16 bytes): each slot
 * names its option, so the formatter reads any layout, and snicd moves a
 * flow's match into the map's layout (flow_tun_md_check()) before the
 * flow table or the datapath see it. A packet starts with the map's slot
 * names and no option present.
 *
 * As in Open vSwitch: a read of an option the packet does not carry gives
 * zeros, a write makes it present, a write to an option without a slot
 * does nothing, and a match on an option requires it present (so
 * tun_metadata0=0 does not match a packet without it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "snic/flow.h"
#include "wide128.h"

/* Option @index's slots in @m: how many (0: none), and the first. */
static unsigned
opt_slots(const struct flow_meta *m, unsigned index, unsigned *first)
{
    unsigned n = 0;

    *first = 0;
    for (unsigned i = 0; i < FLOW_TUN_MD_SLOTS; i++) {
        if (!(m->tun_md_slot[i] & FLOW_TUN_MD_USED)
            || (m->tun_md_slot[i] & FLOW_TUN_MD_INDEX) != index)
            continue;
        if (n == 0)
            *first = i;
        n++;
    }
    return n;
}

unsigned
flow_tun_md_len(const struct flow_meta *m, unsigned index)
{
    unsigned first;

    return 4 * opt_slots(m, index, &first);
}

/* The option in slots first..first+n-1 as a number (v[0] low bits). */
static void
slots_get(const uint32_t *slot, unsigned first, unsigned n, uint64_t v[2])
{
    v[0] = v[1] = 0;
    for (unsigned i = 0; i < n; i++) {
        wide_shl(v, 32);
        v[0] |= slot[first + i];
    }
}

static void
slots_put(uint32_t *slot, unsigned first, unsigned n, const uint64_t v[2],
          const uint64_t mask[2])
{
    for (unsigned i = 0; i < n; i++) {
        unsigned bit = 32 * (n - 1 - i);
        uint32_t val = (uint32_t)(v[bit / 64] >> (bit % 64));
        uint32_t msk = (uint32_t)(mask[bit / 64] >> (bit % 64));
        uint32_t *w = &slot[first + i];

        *w = (*w & ~msk) | (val & msk);
    }
}

static uint8_t
slot_bits(unsigned first, unsigned n)
{
    return (uint8_t)(((1u << n) - 1) << first);
}

void
flow_tun_md_get(const struct flow_meta *m, unsigned index, uint64_t v[2])
{
    unsigned first, n = opt_slots(m, index, &first);

    slots_get(m->tun_md, first, n, v);
}

void
flow_tun_md_set(struct flow_meta *m, unsigned index, const uint64_t v[2],
                const uint64_t mask[2])
{
    unsigned first, n = opt_slots(m, index, &first);

    if (n == 0)
        return;             /* not mapped: Open vSwitch writes nothing */
    slots_put(m->tun_md, first, n, v, mask);
    m->tun_md_present |= slot_bits(first, n);
}

/* ---- a match ---- */

/* Slots a value needs: its significant bytes, rounded up to slots, at
 * least one. */
static unsigned
slots_for(const uint64_t v[2])
{
    unsigned bits = v[1] != 0 ? 128 - (unsigned)__builtin_clzll(v[1])
                  : v[0] != 0 ? 64 - (unsigned)__builtin_clzll(v[0]) : 1;

    return (bits + 31) / 32;
}

/* The first of @n consecutive free slots of @m, or -1. */
static int
first_free(const struct flow_meta *m, unsigned n)
{
    for (unsigned i = 0; i + n <= FLOW_TUN_MD_SLOTS; i++) {
        unsigned j = 0;

        while (j < n && m->tun_md_slot[i + j] == 0)
            j++;
        if (j == n)
            return (int)i;
    }
    return -1;
}

/* Add @mask's bits of option @index = @v to @m in slots first..+n-1
 * (bits it matched already stay). */
static void
match_put(struct flow_match *m, unsigned index, unsigned first, unsigned n,
          uint8_t flags, const uint64_t v[2], const uint64_t mask[2])
{
    uint64_t val[2] = { v[0] & mask[0], v[1] & mask[1] };

    for (unsigned i = first; i < first + n; i++) {
        m->value.meta.tun_md_slot[i] =
            (uint8_t)(FLOW_TUN_MD_USED | flags | index);
        m->mask.meta.tun_md_slot[i] = m->value.meta.tun_md_slot[i];
    }
    m->value.meta.tun_md_present |= slot_bits(first, n);
    m->mask.meta.tun_md_present |= slot_bits(first, n);
    slots_put(m->value.meta.tun_md, first, n, val, mask);
    slots_put(m->mask.meta.tun_md, first, n, mask, mask);
}

static void
match_clear(struct flow_match *m)
{
    struct flow_meta *mm[2] = { &m->value.meta, &m->mask.meta };

    for (unsigned i = 0; i < 2; i++) {
        memset(mm[i]->tun_md_slot, 0, sizeof(mm[i]->tun_md_slot));
        memset(mm[i]->tun_md, 0, sizeof(mm[i]->tun_md));
        mm[i]->tun_md_present = 0;
    }
}

/* Is @mask all ones over @n slots? */
static bool
full_mask(const uint64_t mask[2], unsigned n)
{
    uint64_t ones[2];

    wide_ones(ones, 32 * n);
    return mask[0] == ones[0] && mask[1] == ones[1];
}

/* One option of a parsed match. */
struct parsed_opt {
    uint64_t v[2], mask[2];
    unsigned n;             /* slots */
    bool exact;
};

int
flow_tun_md_match_add(struct flow_match *m, unsigned index,
                      const uint64_t v[2], const uint64_t mask[2])
{
    struct parsed_opt opts[FLOW_TUN_MD_N], *o = &opts[index];
    uint64_t have = 0;
    unsigned first, total = 0, at = 0;

    if (opt_slots(&m->mask.meta, index, &first) != 0)
        return -EEXIST;
    /* the options there already, then this one */
    for (unsigned i = 0; i < FLOW_TUN_MD_N; i++) {
        struct parsed_opt *p = &opts[i];

        p->n = opt_slots(&m->mask.meta, i, &first);
        if (p->n == 0)
            continue;
        flow_tun_md_match_get(m, i, p->v, p->mask, &p->exact);
        have |= 1ull << i;
        total += p->n;
    }
    o->mask[0] = mask[0];
    o->mask[1] = mask[1];
    o->n = slots_for(o->mask);
    /* all ones over its slots is the option whole, as Open vSwitch
     * prints it: kept as its value's slots, so the text reads back */
    o->exact = full_mask(o->mask, o->n);
    if (o->exact) {
        o->n = slots_for(v);
        wide_ones(o->mask, 32 * o->n);
    }
    o->v[0] = v[0] & o->mask[0];
    o->v[1] = v[1] & o->mask[1];
    have |= 1ull << index;
    total += o->n;
    if (total > FLOW_TUN_MD_SLOTS)
        return -ENOSPC;
    /* laid out by index, whatever order the line gave them in: one
     * match, one layout */
    match_clear(m);
    for (unsigned i = 0; i < FLOW_TUN_MD_N; i++) {
        if (!(have >> i & 1))
            continue;
        match_put(m, i, at, opts[i].n,
                  opts[i].exact ? FLOW_TUN_MD_EXACT : 0, opts[i].v,
                  opts[i].mask);
        at += opts[i].n;
    }
    return 0;
}

int
flow_tun_md_match_bits(struct flow_match *m, unsigned index,
                       const struct flow_meta *layout, const uint64_t v[2],
                       const uint64_t mask[2])
{
    unsigned first, n = opt_slots(layout, index, &first);

    if (n == 0)
        return -ENOENT;
    match_put(m, index, first, n, 0, v, mask);
    return 0;
}

bool
flow_tun_md_match_get(const struct flow_match *m, unsigned index,
                      uint64_t v[2], uint64_t mask[2], bool *exact)
{
    unsigned first, n = opt_slots(&m->mask.meta, index, &first);

    if (n == 0)
        return false;
    slots_get(m->value.meta.tun_md, first, n, v);
    slots_get(m->mask.meta.tun_md, first, n, mask);
    *exact = (m->mask.meta.tun_md_slot[first] & FLOW_TUN_MD_EXACT)
             || full_mask(mask, n);
    return true;
}

/* ---- the TLV map ---- */

void
flow_tlv_map_init(struct flow_tlv_map *map)
{
    memset(map, 0, sizeof(*map));
}

int
flow_tlv_map_add(struct flow_tlv_map *map, unsigned index, uint16_t opt_class,
                 uint8_t type, unsigned len)
{
    unsigned n = len / 4;
    int at;

    if (index >= FLOW_TUN_MD_N || len == 0 || len % 4 != 0
        || len > FLOW_TUN_MD_MAX_LEN)
        return -EINVAL;
    if (map->len[index] != 0)
        return -EEXIST;
    for (unsigned i = 0; i < FLOW_TUN_MD_N; i++)
        if (map->len[i] != 0 && map->opt_class[i] == opt_class
            && map->type[i] == type)
            return -EADDRINUSE;
    at = first_free(&map->layout, n);
    if (at < 0)
        return -ENOSPC;
    for (unsigned i = (unsigned)at; i < (unsigned)at + n; i++)
        map->layout.tun_md_slot[i] = (uint8_t)(FLOW_TUN_MD_USED | index);
    map->len[index] = (uint8_t)len;
    map->opt_class[index] = opt_class;
    map->type[index] = type;
    return 0;
}

int
flow_tlv_map_del(struct flow_tlv_map *map, unsigned index)
{
    if (index >= FLOW_TUN_MD_N || map->len[index] == 0)
        return -ENOENT;
    for (unsigned i = 0; i < FLOW_TUN_MD_SLOTS; i++)
        if ((map->layout.tun_md_slot[i] & FLOW_TUN_MD_USED)
            && (map->layout.tun_md_slot[i] & FLOW_TUN_MD_INDEX) == index)
            map->layout.tun_md_slot[i] = 0;
    map->len[index] = 0;
    map->opt_class[index] = 0;
    map->type[index] = 0;
    return 0;
}

/* ---- a flow against a map ---- */

static bool
sf_is_whole(const struct flow_subfield *sf)
{
    return sf->ofs == 0 && sf->n_bits == 128;
}

/* The width @sf has under @map (a whole tun_metadata field: its mapped
 * length), or a negative errno with @msg saying why it cannot be. */
static int
sf_check(const struct flow_subfield *sf, const struct flow_tlv_map *map,
         const char *what, char *msg, size_t size)
{
    unsigned index, bits;

    if (!flow_field_is_tun_md(sf->field))
        return sf->n_bits;
    index = sf->field - FLOW_FIELD_TUN_MD0;
    bits = 8u * map->len[index];
    if (bits == 0) {
        snprintf(msg, size, "%s: tun_metadata%u is not mapped (map it "
                 "first: snicctl add-tlv-map "
                 "\"{class=0xffff,type=%u,len=4}->tun_metadata%u\")", what,
                 index, index, index);
        return -ENOENT;
    }
    if (sf_is_whole(sf))
        return (int)bits;
    if ((unsigned)sf->ofs + sf->n_bits > bits) {
        snprintf(msg, size, "%s: tun_metadata%u[%u..%u] goes past the "
                 "option's mapped length of %u bytes (bits 0..%u)", what,
                 index, sf->ofs, sf->ofs + sf->n_bits - 1, bits / 8,
                 bits - 1);
        return -ERANGE;
    }
    return sf->n_bits;
}

/* Does @a read a subfield (u.src) / write one (dst)? */
static bool
has_src(const struct flow_action *a)
{
    if (a->type == FLOW_ACT_LEARN_SPEC)
        return a->pad0 == FLOW_LEARN_MATCH || a->pad0 == FLOW_LEARN_LOAD
            || a->pad0 == FLOW_LEARN_OUTPUT;
    return a->type == FLOW_ACT_MOVE || a->type == FLOW_ACT_OUTPUT_REG
        || a->type == FLOW_ACT_STACK_PUSH;
}

static bool
has_dst(const struct flow_action *a)
{
    if (a->type == FLOW_ACT_LEARN_SPEC)
        return a->pad0 == FLOW_LEARN_MATCH || a->pad0 == FLOW_LEARN_MATCH_IMM
            || a->pad0 == FLOW_LEARN_LOAD || a->pad0 == FLOW_LEARN_LOAD_IMM;
    return a->dst.n_bits != 0;
}

static const char *
what(const struct flow_action *a)
{
    return a->type == FLOW_ACT_LEARN_SPEC ? "learn" : "move";
}

static int
act_check(const struct flow_action *a, const struct flow_tlv_map *map,
          char *msg, size_t size)
{
    int dw, sw;

    switch (a->type) {
    case FLOW_ACT_LOAD:
        dw = sf_check(&a->dst, map, "load", msg, size);
        if (dw < 0)
            return dw;
        if (flow_field_is_tun_md(a->dst.field) && dw < 64
            && sf_is_whole(&a->dst) && a->u.value >> dw != 0) {
            snprintf(msg, size, "load: 0x%llx does not fit in "
                     "tun_metadata%u's mapped %d bits",
                     (unsigned long long)a->u.value,
                     a->dst.field - FLOW_FIELD_TUN_MD0, dw);
            return -ERANGE;
        }
        return 0;
    case FLOW_ACT_MOVE:
    case FLOW_ACT_LEARN_SPEC:
        dw = !has_dst(a) ? 0 : sf_check(&a->dst, map, what(a), msg, size);
        if (dw < 0)
            return dw;
        sw = !has_src(a) ? 0 : sf_check(&a->u.src, map, what(a), msg, size);
        if (sw < 0)
            return sw;
        if (a->type == FLOW_ACT_MOVE && dw != sw) {
            snprintf(msg, size, "move: the source is %d bits and the "
                     "destination %d under the TLV map", sw, dw);
            return -EINVAL;
        }
        return 0;
    case FLOW_ACT_OUTPUT_REG:
    case FLOW_ACT_STACK_PUSH:
        sw = sf_check(&a->u.src, map, "source", msg, size);
        return sw < 0 ? sw : 0;
    case FLOW_ACT_STACK_POP:
    case FLOW_ACT_MULTIPATH:
    case FLOW_ACT_BUNDLE:
    case FLOW_ACT_CHECK_PKT_LARGER:
    case FLOW_ACT_CT:
        if (a->dst.n_bits == 0)
            return 0;
        dw = sf_check(&a->dst, map, "destination", msg, size);
        return dw < 0 ? dw : 0;
    default:
        return 0;
    }
}

static uint64_t
opt_bit(unsigned field)
{
    return flow_field_is_tun_md(field)
           ? 1ull << (field - FLOW_FIELD_TUN_MD0) : 0;
}

uint64_t
flow_tun_md_used(const struct flow *f)
{
    uint64_t used = 0;

    for (unsigned i = 0; i < FLOW_TUN_MD_SLOTS; i++) {
        uint8_t d = f->match.mask.meta.tun_md_slot[i];

        if (d & FLOW_TUN_MD_USED)
            used |= 1ull << (d & FLOW_TUN_MD_INDEX);
    }
    for (unsigned i = 0; i < f->n_actions; i++) {
        const struct flow_action *a = &f->actions[i];

        if (has_dst(a))
            used |= opt_bit(a->dst.field);
        if (has_src(a))
            used |= opt_bit(a->u.src.field);
        i += flow_action_n_args(a);
    }
    return used;
}

int
flow_tun_md_check(struct flow *f, const struct flow_tlv_map *map, char *msg,
                  size_t size)
{
    struct flow_match m = f->match;
    uint64_t seen = 0;
    int rc;

    for (unsigned i = 0; i < f->n_actions; i++) {
        rc = act_check(&f->actions[i], map, msg, size);
        if (rc < 0)
            return rc;
        i += flow_action_n_args(&f->actions[i]);
    }
    /* the match, moved into the map's slots */
    match_clear(&m);
    for (unsigned s = 0; s < FLOW_TUN_MD_SLOTS; s++) {
        uint8_t d = f->match.mask.meta.tun_md_slot[s];
        unsigned index = d & FLOW_TUN_MD_INDEX, bits;
        uint64_t v[2], mk[2], ones[2];
        bool exact;

        if (!(d & FLOW_TUN_MD_USED) || (seen >> index & 1))
            continue;
        seen |= 1ull << index;
        flow_tun_md_match_get(&f->match, index, v, mk, &exact);
        bits = 8u * map->len[index];
        if (bits == 0) {
            snprintf(msg, size, "tun_metadata%u: the option is not mapped "
                     "(map it first: snicctl add-tlv-map "
                     "\"{class=0xffff,type=%u,len=4}->tun_metadata%u\")",
                     index, index, index);
            return -ENOENT;
        }
        wide_ones(ones, bits);
        if ((v[0] & ~ones[0]) || (v[1] & ~ones[1])
            || (!exact && ((mk[0] & ~ones[0]) || (mk[1] & ~ones[1])))) {
            snprintf(msg, size, "tun_metadata%u: the match goes past the "
                     "option's mapped length of %u bytes", index, bits / 8);
            return -ERANGE;
        }
        if (exact) {
            mk[0] = ones[0];
            mk[1] = ones[1];
        }
        flow_tun_md_match_bits(&m, index, &map->layout, v, mk);
    }
    f->match = m;
    return 0;
}
