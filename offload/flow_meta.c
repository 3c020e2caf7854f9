/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register-like fields (struct flow_meta): their names, widths and bit
 * access, shared by the parser, the formatter and the datapath so the three
 * agree on what reg0[8..15] or xxreg1 means.
 *
 * The wider registers are views of regs[], most significant word first
 * (Open vSwitch's layout: xreg0 is reg0:reg1, xxreg0 is
 * reg0:reg1:reg2:reg3); metadata and pkt_mark stand alone. Values move
 * through a 128-bit pair v[0] (low 64 bits), v[1] (high 64 bits), so one
 * path serves every width.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "snic/flow.h"
#include "wide128.h"

struct meta_kind {
    const char *name;       /* reg, xreg, ... (then the index, if any) */
    const char *nxm;        /* the NXM/OXM name Open vSwitch prints */
    unsigned first;         /* enum flow_field_id of index 0 */
    unsigned count;
    unsigned width;
};

static const struct meta_kind kinds[] = {
    { "reg",      "NXM_NX_REG",      FLOW_FIELD_REG0,     FLOW_N_REGS,   32 },
    { "xreg",     "OXM_OF_PKT_REG",  FLOW_FIELD_XREG0,    FLOW_N_XREGS,  64 },
    { "xxreg",    "NXM_NX_XXREG",    FLOW_FIELD_XXREG0,   FLOW_N_XXREGS, 128 },
    { "metadata", "OXM_OF_METADATA", FLOW_FIELD_METADATA, 1,             64 },
    { "pkt_mark", "NXM_NX_PKT_MARK", FLOW_FIELD_PKT_MARK, 1,             32 },
    /* the tunnel fields: in struct flow_key, not struct flow_meta */
    { "tun_id",   "NXM_NX_TUN_ID",   FLOW_FIELD_TUN_ID,   1,             64 },
    { "tun_src",  "NXM_NX_TUN_IPV4_SRC", FLOW_FIELD_TUN_SRC, 1,          32 },
    { "tun_dst",  "NXM_NX_TUN_IPV4_DST", FLOW_FIELD_TUN_DST, 1,          32 },
    { "ct_mark",  "NXM_NX_CT_MARK",  FLOW_FIELD_CT_MARK,  1,             32 },
    { "ct_label", "NXM_NX_CT_LABEL", FLOW_FIELD_CT_LABEL, 1,             128 },
    /* as wide as snic lets an option be; the TLV map says how wide it is
     * (flow_tun_md.c) */
    { "tun_metadata", "NXM_NX_TUN_METADATA", FLOW_FIELD_TUN_MD0,
      FLOW_TUN_MD_N, 8 * FLOW_TUN_MD_MAX_LEN },
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct meta_kind *
kind_of(unsigned field, unsigned *index)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (field >= kinds[i].first
            && field < kinds[i].first + kinds[i].count) {
            *index = field - kinds[i].first;
            return &kinds[i];
        }
    return NULL;
}

unsigned
flow_field_width(unsigned field)
{
    unsigned index;
    const struct meta_kind *k = kind_of(field, &index);

    return k != NULL ? k->width : 0;
}

static int
field_name(unsigned field, bool nxm, char *buf, size_t size)
{
    unsigned index;
    const struct meta_kind *k = kind_of(field, &index);
    const char *base;

    if (k == NULL)
        return snprintf(buf, size, "field%u", field);
    base = nxm ? k->nxm : k->name;
    if (k->count == 1)
        return snprintf(buf, size, "%s", base);
    return snprintf(buf, size, "%s%u", base, index);
}

int
flow_field_name(unsigned field, char *buf, size_t size)
{
    return field_name(field, false, buf, size);
}

int
flow_field_nxm_name(unsigned field, char *buf, size_t size)
{
    return field_name(field, true, buf, size);
}

unsigned
flow_field_by_name(const char *s, size_t len)
{
    for (size_t i = 0; i < N_KINDS; i++) {
        const struct meta_kind *k = &kinds[i];

        for (int pass = 0; pass < 2; pass++) {
            const char *base = pass ? k->nxm : k->name;
            unsigned index = 0;
            size_t blen, j;

            /* most names differ at once: no strlen() for them (every
             * token of every flow line is looked up here) */
            if (len == 0 || s[0] != base[0])
                continue;
            blen = strlen(base);
            if (len < blen || memcmp(s, base, blen) != 0)
                continue;
            if (k->count == 1) {
                if (len == blen)
                    return k->first;
                continue;
            }
            /* a decimal index without leading zeros */
            if (len == blen || len > blen + 2
                || (s[blen] == '0' && len > blen + 1))
                continue;
            for (j = blen; j < len && s[j] >= '0' && s[j] <= '9'; j++)
                index = index * 10 + (unsigned)(s[j] - '0');
            if (j == len && index < k->count)
                return k->first + index;
        }
    }
    return FLOW_FIELD_NONE;
}

void
flow_field_get(const struct flow_meta *m, unsigned field, uint64_t v[2])
{
    unsigned index;
    const struct meta_kind *k = kind_of(field, &index);
    unsigned n;

    v[0] = v[1] = 0;
    if (k == NULL || flow_field_is_tunnel(field))
        return;
    if (k->first == FLOW_FIELD_METADATA) {
        v[0] = m->metadata;
        return;
    }
    if (k->first == FLOW_FIELD_PKT_MARK) {
        v[0] = m->pkt_mark;
        return;
    }
    if (k->first == FLOW_FIELD_CT_MARK) {
        v[0] = m->ct_mark;
        return;
    }
    if (k->first == FLOW_FIELD_CT_LABEL) {
        v[0] = m->ct_label[0];
        v[1] = m->ct_label[1];
        return;
    }
    if (k->first == FLOW_FIELD_TUN_MD0) {
        flow_tun_md_get(m, index, v);
        return;
    }
    n = k->width / 32;
    for (unsigned i = 0; i < n; i++) {
        unsigned bit = 32 * (n - 1 - i);    /* of word i's lowest bit */

        v[bit / 64] |= (uint64_t)m->regs[index * n + i] << (bit % 64);
    }
}

void
flow_field_set(struct flow_meta *m, unsigned field, const uint64_t v[2],
               const uint64_t mask[2])
{
    unsigned index;
    const struct meta_kind *k = kind_of(field, &index);
    unsigned n;

    if (k == NULL || flow_field_is_tunnel(field))
        return;
    if (k->first == FLOW_FIELD_METADATA) {
        m->metadata = (m->metadata & ~mask[0]) | (v[0] & mask[0]);
        return;
    }
    if (k->first == FLOW_FIELD_PKT_MARK) {
        m->pkt_mark = (uint32_t)((m->pkt_mark & ~mask[0])
                                 | (v[0] & mask[0]));
        return;
    }
    if (k->first == FLOW_FIELD_CT_MARK) {
        m->ct_mark = (uint32_t)((m->ct_mark & ~mask[0]) | (v[0] & mask[0]));
        return;
    }
    if (k->first == FLOW_FIELD_CT_LABEL) {
        for (unsigned i = 0; i < 2; i++)
            m->ct_label[i] = (m->ct_label[i] & ~mask[i]) | (v[i] & mask[i]);
        return;
    }
    if (k->first == FLOW_FIELD_TUN_MD0) {
        flow_tun_md_set(m, index, v, mask);
        return;
    }
    n = k->width / 32;
    for (unsigned i = 0; i < n; i++) {
        unsigned bit = 32 * (n - 1 - i);
        uint32_t val = (uint32_t)(v[bit / 64] >> (bit % 64));
        uint32_t msk = (uint32_t)(mask[bit / 64] >> (bit % 64));
        uint32_t *w = &m->regs[index * n + i];

        *w = (*w & ~msk) | (val & msk);
    }
}

void
flow_subfield_get(const struct flow_meta *m, const struct flow_subfield *sf,
                  uint64_t v[2])
{
    uint64_t ones[2];

    flow_field_get(m, sf->field, v);
    wide_shr(v, sf->ofs);
    wide_ones(ones, sf->n_bits);
    v[0] &= ones[0];
    v[1] &= ones[1];
}

void
flow_subfield_set(struct flow_meta *m, const struct flow_subfield *sf,
                  const uint64_t v[2])
{
    uint64_t val[2] = { v[0], v[1] }, mask[2];

    wide_ones(mask, sf->n_bits);
    val[0] &= mask[0];
    val[1] &= mask[1];
    wide_shl(val, sf->ofs);
    wide_shl(mask, sf->ofs);
    flow_field_set(m, sf->field, val, mask);
}

/* A tunnel field's value, host order. */
static uint64_t
tun_get(const struct flow_key *k, unsigned field)
{
    switch (field) {
    case FLOW_FIELD_TUN_ID:
        return be64toh(k->tun_id);
    case FLOW_FIELD_TUN_SRC:
        return ntohl(k->tun_src);
    default:
        return ntohl(k->tun_dst);
    }
}

static void
tun_put(struct flow_key *k, unsigned field, uint64_t v)
{
    switch (field) {
    case FLOW_FIELD_TUN_ID:
        k->tun_id = htobe64(v);
        break;
    case FLOW_FIELD_TUN_SRC:
        k->tun_src = htonl((uint32_t)v);
        break;
    default:
        k->tun_dst = htonl((uint32_t)v);
        break;
    }
}

void
flow_key_subfield_get(const struct flow_key *k,
                      const struct flow_subfield *sf, uint64_t v[2])
{
    uint64_t ones[2];

    if (!flow_field_is_tunnel(sf->field)) {
        flow_subfield_get(&k->meta, sf, v);
        return;
    }
    v[0] = tun_get(k, sf->field);
    v[1] = 0;
    wide_shr(v, sf->ofs);
    wide_ones(ones, sf->n_bits);
    v[0] &= ones[0];
}

void
flow_key_subfield_set(struct flow_key *k, const struct flow_subfield *sf,
                      const uint64_t v[2])
{
    uint64_t val[2] = { v[0], 0 }, mask[2];

    if (!flow_field_is_tunnel(sf->field)) {
        flow_subfield_set(&k->meta, sf, v);
        return;
    }
    wide_ones(mask, sf->n_bits);
    val[0] &= mask[0];
    wide_shl(val, sf->ofs);
    wide_shl(mask, sf->ofs);
    tun_put(k, sf->field,
            (tun_get(k, sf->field) & ~mask[0]) | (val[0] & mask[0]));
}

int
flow_subfield_format(const struct flow_subfield *sf, char *buf, size_t size)
{
    char name[32];
    unsigned width = flow_subfield_width(sf->field);

    if (flow_field_is_hdr(sf->field))
        flow_hdr_nxm_name(sf->field, name, sizeof(name));
    else
        flow_field_nxm_name(sf->field, name, sizeof(name));
    if (sf->ofs == 0 && sf->n_bits == width)
        return snprintf(buf, size, "%s[]", name);
    if (sf->n_bits == 1)
        return snprintf(buf, size, "%s[%u]", name, sf->ofs);
    return snprintf(buf, size, "%s[%u..%u]", name, sf->ofs,
                    sf->ofs + sf->n_bits - 1);
}

bool
flow_subfield_valid(const struct flow_subfield *sf)
{
    unsigned width = flow_subfield_width(sf->field);

    return width > 0 && sf->n_bits > 0 && sf->pad == 0
        && (unsigned)sf->ofs + sf->n_bits <= width;
}

bool
flow_subfield_has_cfi(const struct flow_subfield *sf)
{
    return sf->field == FLOW_FIELD_VLAN_TCI && sf->ofs <= 12
        && sf->ofs + sf->n_bits > 12;
}

bool
flow_tci_load_keeps_tag(const struct flow_subfield *sf, uint64_t value)
{
    return !flow_subfield_has_cfi(sf) || (value >> (12 - sf->ofs) & 1);
}

/* A header field an action may write (the parser refuses the others),
 * vlan_tci's CFI bit only from a load that sets it (a 0 there pops).
 * @value: a load's, else NULL. */
static bool
dst_writable(const struct flow_subfield *sf, const uint64_t *value)
{
    if (!flow_field_is_hdr(sf->field))
        return true;
    if (!flow_hdr_writable(sf->field))
        return false;
    if (!flow_subfield_has_cfi(sf))
        return true;
    return value != NULL && flow_tci_load_keeps_tag(sf, *value);
}

bool
flow_action_fields_valid(const struct flow_action *a)
{
    switch (a->type) {
    case FLOW_ACT_LOAD:
        return flow_subfield_valid(&a->dst)
            && dst_writable(&a->dst, &a->u.value)
            && (a->dst.n_bits >= 64 || a->u.value >> a->dst.n_bits == 0);
    case FLOW_ACT_MOVE:
        return flow_subfield_valid(&a->dst) && flow_subfield_valid(&a->u.src)
            && dst_writable(&a->dst, NULL)
            && a->dst.n_bits == a->u.src.n_bits;
    case FLOW_ACT_OUTPUT_REG:
        return flow_subfield_valid(&a->u.src) && a->u.src.n_bits <= 32;
    case FLOW_ACT_RESUBMIT:
        return a->u.resubmit.table <= FLOW_TABLE_MAX
            || a->u.resubmit.table == FLOW_RESUBMIT_TABLE_SAME;
    case FLOW_ACT_CONJUNCTION:
        return a->u.conj.n_clauses >= FLOW_CONJ_MIN
            && a->u.conj.n_clauses <= FLOW_CONJ_MAX
            && a->u.conj.clause >= 1
            && a->u.conj.clause <= a->u.conj.n_clauses;
    case FLOW_ACT_CLONE:
        return a->u.clone.n >= 1;
    case FLOW_ACT_WRITE_ACTIONS:
        return true;
    case FLOW_ACT_ENQUEUE:
        return !flow_port_is_reserved(a->u.enqueue.port)
            || a->u.enqueue.port == FLOW_PORT_IN_PORT
            || a->u.enqueue.port == FLOW_PORT_LOCAL;
    case FLOW_ACT_NOTE:
        return a->u.note.len % 8 == 6 && a->u.note.len <= FLOW_NOTE_MAX
            && a->u.note.n == (a->u.note.len + 7) / 8;
    case FLOW_ACT_STACK_PUSH:
        return flow_subfield_valid(&a->u.src);
    case FLOW_ACT_STACK_POP:
        return flow_subfield_valid(&a->dst) && dst_writable(&a->dst, NULL);
    case FLOW_ACT_CHECK_PKT_LARGER:
        return flow_subfield_valid(&a->dst) && dst_writable(&a->dst, NULL)
            && a->dst.n_bits == 1;
    case FLOW_ACT_SAMPLE:
        return a->pad0 != 0;
    case FLOW_ACT_MULTIPATH:
        return flow_subfield_valid(&a->dst) && dst_writable(&a->dst, NULL)
            && a->u.multipath.fields <= FLOW_HASH_SYMMETRIC_L3
            && a->u.multipath.algorithm <= FLOW_MP_ITER_HASH
            && (a->dst.n_bits >= 16
                || a->u.multipath.max_link < (1u << a->dst.n_bits));
    case FLOW_ACT_BUNDLE:
        return a->u.bundle.n_members >= 1
            && a->u.bundle.fields <= FLOW_HASH_SYMMETRIC_L3
            && a->u.bundle.algorithm <= FLOW_BD_HRW
            && (a->dst.n_bits == 0
                || (a->dst.n_bits >= 16 && flow_subfield_valid(&a->dst)
                    && dst_writable(&a->dst, NULL)));
    default:
        return true;
    }
}
