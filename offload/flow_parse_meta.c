/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registers and metadata in the flow language: the match fields reg0-15,
 * xreg0-7, xxreg0-3, metadata and pkt_mark, the subfield syntax
 * (NXM_NX_REG0[8..15], reg1[], metadata), and the actions that write or
 * read them: load, move, set_field to one of them, write_metadata and
 * output:REG[..]. Also resubmit, the action that looks a table up again
 * with them.
 *
 * Values are checked against the exact width they go to, so a load that
 * does not fit is refused rather than cut. A masked set_field and
 * write_metadata become one load per run of contiguous mask bits, as Open
 * vSwitch itself prints a masked register load.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flow_priv.h"
#include "wide128.h"

#define FIELDS_EXPECTED "reg0..reg15, xreg0..xreg7, xxreg0..xxreg3, " \
    "metadata, pkt_mark, tun_id, tun_src, tun_dst, or an NXM/OXM name " \
    "such as NXM_NX_REG0"

/* ---- numbers up to 128 bits ---- */

/* Decimal (up to 64 bits) or 0x-hex up to 128 bits into v[0] (low),
 * v[1] (high), at most @width bits. */
static int
read_wide(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
          size_t len, unsigned width, const char *what, uint64_t v[2])
{
    char expect[64];

    snprintf(expect, sizeof(expect), "a %u-bit number", width);
    v[0] = v[1] = 0;
    if (width <= 64 || len <= 2 || s[0] != '0'
        || (s[1] != 'x' && s[1] != 'X')) {
        uint64_t max = width >= 64 ? UINT64_MAX : (1ull << width) - 1;

        return fp_uint(c, tok, s, len, max, what, expect, &v[0]);
    }
    for (size_t i = 2; i < len; i++) {
        int d = fp_hex_digit(s[i]);

        if (d < 0)
            return fp_fail(c, -EINVAL, tok, "%s: '%.*s' is not a number "
                           "(expected %s)", what, (int)(len > 40 ? 40 : len),
                           s, expect);
        if (v[1] >> 60)
            return fp_fail(c, -ERANGE, tok, "%s %.*s is out of range "
                           "(expected %s)", what, (int)(len > 40 ? 40 : len),
                           s, expect);
        v[1] = v[1] << 4 | v[0] >> 60;
        v[0] = v[0] << 4 | (unsigned)d;
    }
    return 0;
}

/* ---- match fields ---- */

/* Is s[0..len) a register name with an index out of range (reg16,
 * NXM_NX_REG99...)? Fills a message naming the valid range. */
static bool
bad_index(const char *s, size_t len, char *msg, size_t size)
{
    static const struct {
        const char *base;
        unsigned count;
    } bases[] = {
        { "reg", FLOW_N_REGS }, { "xreg", FLOW_N_XREGS },
        { "xxreg", FLOW_N_XXREGS }, { "NXM_NX_REG", FLOW_N_REGS },
        { "OXM_OF_PKT_REG", FLOW_N_XREGS }, { "NXM_NX_XXREG", FLOW_N_XXREGS },
        { "tun_metadata", FLOW_TUN_MD_N },
        { "NXM_NX_TUN_METADATA", FLOW_TUN_MD_N },
    };

    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        size_t blen = strlen(bases[i].base);
        size_t j = blen;

        if (len <= blen || memcmp(s, bases[i].base, blen) != 0)
            continue;
        while (j < len && s[j] >= '0' && s[j] <= '9')
            j++;
        if (j != len)
            continue;
        snprintf(msg, size, "no such %s: '%.*s' (expected %s0..%s%u)",
                 bases[i].count == FLOW_TUN_MD_N ? "field" : "register",
                 (int)(len > 24 ? 24 : len), s, bases[i].base, bases[i].base,
                 bases[i].count - 1);
        return true;
    }
    return false;
}

static enum fp_field
reg_id(unsigned reg)
{
    return (enum fp_field)(FP_REG0 + reg);
}

/* Claim the parse fields a register-like field covers (xreg0 is reg0 and
 * reg1...), so the same bits cannot be given twice. */
static int
claim_field(struct fp_ctx *c, const struct fp_tok *tok, unsigned field)
{
    unsigned width = flow_field_width(field);
    int rc;

    if (field == FLOW_FIELD_METADATA)
        return fp_claim(c, tok, FP_METADATA);
    if (field == FLOW_FIELD_PKT_MARK)
        return fp_claim(c, tok, FP_PKT_MARK);
    if (field == FLOW_FIELD_CT_MARK)
        return fp_claim(c, tok, FP_CT_MARK);
    if (field == FLOW_FIELD_CT_LABEL)
        return fp_claim(c, tok, FP_CT_LABEL);
    for (unsigned i = 0; i < width / 32; i++) {
        unsigned first = field >= FLOW_FIELD_XXREG0
            ? (field - FLOW_FIELD_XXREG0) * 4
            : field >= FLOW_FIELD_XREG0 ? (field - FLOW_FIELD_XREG0) * 2
                                        : field - FLOW_FIELD_REG0;

        rc = fp_claim(c, tok, reg_id(first + i));
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int match_conj_id(struct fp_ctx *c, const struct fp_tok *tok);

/* tun_metadataN=V[/M]: in the match's own slots (flow_tun_md.c), as Open
 * vSwitch lays out a flow parsed without a TLV map. */
static int
tun_md_match(struct fp_ctx *c, const struct fp_tok *tok, unsigned field,
             const uint64_t v[2], const uint64_t mk[2])
{
    int rc = flow_tun_md_match_add(&c->fm.flow.match,
                                   field - FLOW_FIELD_TUN_MD0, v, mk);

    if (rc == -EEXIST)
        return fp_fail(c, -EINVAL, tok, "duplicate field: %.*s is matched "
                       "twice (give each field once)", (int)tok->klen,
                       tok->key);
    if (rc == -ENOSPC)
        return fp_fail(c, -ERANGE, tok, "%.*s: the tun_metadata matches "
                       "take more than snic's %u bytes of tunnel metadata",
                       (int)tok->klen, tok->key, 4 * FLOW_TUN_MD_SLOTS);
    return rc;
}

/* What the match makes of the key s[0..len) (not conj_id): a field of
 * ours (*field set), a register name whose index is out of range (@msg
 * says so), or none of ours (FLOW_FIELD_NONE, @msg empty). */
static unsigned
match_field_of(const char *s, size_t len, char *msg, size_t size)
{
    unsigned field = flow_field_by_name(s, len);

    msg[0] = '\0';
    /* the match takes the short names (reg0=); NXM names are for
     * subfields in actions, as in ovs-ofctl */
    if (field != FLOW_FIELD_NONE && len > 0 && (s[0] == 'N' || s[0] == 'O'))
        field = FLOW_FIELD_NONE;
    /* tun_id=, tun_src=, tun_dst= are the match's own fields */
    if (flow_field_is_tunnel(field))
        return FLOW_FIELD_NONE;
    if (field == FLOW_FIELD_NONE
        && (len == 0 || (s[0] != 'N' && s[0] != 'O')))
        (void)bad_index(s, len, msg, size);
    return field;
}

bool
fp_meta_takes(const char *s, size_t len)
{
    char msg[96];

    if (len == 7 && memcmp(s, "conj_id", 7) == 0)
        return true;
    return match_field_of(s, len, msg, sizeof(msg)) != FLOW_FIELD_NONE
           || msg[0] != '\0';
}

int
fp_meta_match(struct fp_ctx *c, const struct fp_tok *tok, bool *handled)
{
    struct flow_match *m = &c->fm.flow.match;
    uint64_t v[2], mk[2] = { UINT64_MAX, UINT64_MAX };
    const char *slash;
    unsigned field, width;
    size_t vlen;
    char msg[96], name[16];
    int rc;

    *handled = false;
    if (fp_key_is(tok, "conj_id")) {
        *handled = true;
        return match_conj_id(c, tok);
    }
    field = match_field_of(tok->key, tok->klen, msg, sizeof(msg));
    if (field == FLOW_FIELD_NONE) {
        if (msg[0] == '\0')
            return 0;
        *handled = true;
        return fp_fail(c, -EINVAL, tok, "%s", msg);
    }
    *handled = true;
    if (tok->val == NULL || tok->paren)
        return fp_fail(c, -EINVAL, tok, "%.*s needs a value (%.*s=VALUE or "
                       "VALUE/MASK)", (int)tok->klen, tok->key,
                       (int)tok->klen, tok->key);
    /* tun_metadataN: flow_tun_md_match_add() finds a second one */
    rc = flow_field_is_tun_md(field) ? 0 : claim_field(c, tok, field);
    if (rc < 0)
        return rc;
    width = flow_field_width(field);
    slash = memchr(tok->val, '/', tok->vlen);
    vlen = slash ? (size_t)(slash - tok->val) : tok->vlen;
    flow_field_name(field, name, sizeof(name));
    rc = read_wide(c, tok, tok->val, vlen, width, name, v);
    if (rc < 0)
        return rc;
    if (slash != NULL) {
        char w[32];

        snprintf(w, sizeof(w), "%s mask", name);
        rc = read_wide(c, tok, slash + 1, tok->vlen - vlen - 1, width, w,
                       mk);
        if (rc < 0)
            return rc;
    }
    if (width < 128) {
        mk[1] = 0;
        if (width < 64)
            mk[0] &= (1ull << width) - 1;
    }
    if (flow_field_is_tun_md(field))
        return tun_md_match(c, tok, field, v, mk);
    flow_field_set(&m->value.meta, field, v, mk);
    flow_field_set(&m->mask.meta, field, mk, (const uint64_t[2]){
                   UINT64_MAX, UINT64_MAX });
    return 0;
}

/* ---- subfields ---- */

int
fp_subfield(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
            size_t len, const char *what, struct flow_subfield *sf)
{
    const char *br = memchr(s, '[', len);
    size_t nlen = br ? (size_t)(br - s) : len;
    unsigned field = flow_field_by_name(s, nlen);
    char msg[96];

    if (field == FLOW_FIELD_NONE) {
        if (bad_index(s, nlen, msg, sizeof(msg)))
            return fp_fail(c, -EINVAL, tok, "%s: %s", what, msg);
        return fp_fail(c, -EINVAL, tok, "%s: unknown field '%.*s' "
                       "(expected " FIELDS_EXPECTED ")", what,
                       (int)(nlen > 32 ? 32 : nlen), s);
    }
    return fp_subfield_bits(c, tok, what, s, len, nlen, field,
                            flow_field_width(field), sf);
}

/* ---- actions ---- */

/* s[0..len) split at "->": the source and the destination. */
static int
split_arrow(struct fp_ctx *c, const struct fp_tok *tok, const char *name,
            const char *example, size_t *src_len, const char **dst,
            size_t *dst_len)
{
    for (size_t i = 0; tok->val != NULL && i + 1 < tok->vlen; i++)
        if (tok->val[i] == '-' && tok->val[i + 1] == '>') {
            *src_len = i;
            *dst = tok->val + i + 2;
            *dst_len = tok->vlen - i - 2;
            return 0;
        }
    return fp_fail(c, -EINVAL, tok, "%s needs SOURCE->DESTINATION (e.g. "
                   "%s)", name, example);
}

/* One load per run of contiguous ones of @mask over @field, low bits
 * first. */
int
fp_masked_loads(struct fp_act_state *st, const struct fp_tok *tok,
                unsigned field, const uint64_t v[2], const uint64_t mask[2],
                uint16_t flags)
{
    unsigned width = flow_subfield_width(field);
    unsigned bit = 0;
    int rc;

    while (bit < width) {
        unsigned start, n;
        struct flow_action *a;
        uint64_t val;

        while (bit < width && !(mask[bit / 64] >> (bit % 64) & 1))
            bit++;
        if (bit == width)
            break;
        start = bit;
        while (bit < width && (mask[bit / 64] >> (bit % 64) & 1))
            bit++;
        n = bit - start;
        if (start < 64 && start + n > 64) {
            /* one load's value is 64 bits: a run across bit 64 is two */
            n = 64 - start;
            bit = 64;
        }
        rc = fp_act_append(st, tok, FLOW_ACT_LOAD, &a);
        if (rc < 0)
            return rc;
        a->pad0 = flags;
        a->dst.field = (uint8_t)field;
        a->dst.ofs = (uint8_t)start;
        a->dst.n_bits = (uint8_t)n;
        /* bits start..start+n of v, all in one of its words */
        val = v[start / 64] >> (start % 64);
        a->u.value = n == 64 ? val : val & ((1ull << n) - 1);
    }
    return 0;
}

static int
act_load(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow_subfield dst;
    struct flow_action *a;
    const char *d = NULL;
    size_t vlen = 0, dlen = 0;
    uint64_t v;
    char w[64];
    int rc;

    rc = split_arrow(c, tok, "load", "load:0x5->NXM_NX_REG0[0..15]", &vlen,
                     &d, &dlen);
    if (rc < 0)
        return rc;
    rc = fp_hdr_subfield(st, tok, d, dlen, "load", true, &dst);
    if (rc < 0)
        return rc;
    rc = fp_ct_check_dst(st, tok, dst.field);
    if (rc < 0)
        return rc;
    if (dst.n_bits > 64) {
        /* up to the subfield's width (load:0x...->NXM_NX_XXREG1[]); a
         * value past 64 bits is two loads, printed back as one */
        uint64_t wv[2], ones[2] = { UINT64_MAX, 0 };

        rc = read_wide(c, tok, tok->val, vlen, dst.n_bits, "load", wv);
        if (rc < 0)
            return rc;
        if (dst.n_bits < 128 && wv[1] >> (dst.n_bits - 64)) {
            flow_subfield_format(&dst, w, sizeof(w));
            return fp_fail(c, -ERANGE, tok, "load: value %.*s does not fit "
                           "in the %u bits of %s",
                           (int)(vlen > 40 ? 40 : vlen), tok->val,
                           dst.n_bits, w);
        }
        if (wv[1] != 0) {
            ones[1] = dst.n_bits >= 128 ? UINT64_MAX
                                        : (1ull << (dst.n_bits - 64)) - 1;
            wide_shl(wv, dst.ofs);
            wide_shl(ones, dst.ofs);
            return fp_masked_loads(st, tok, dst.field, wv, ones,
                                   FLOW_ACT_F_WIDE_LOAD);
        }
        v = wv[0];
    } else {
        rc = fp_uint(c, tok, tok->val, vlen, UINT64_MAX, "load",
                     "a number of at most 64 bits", &v);
        if (rc < 0)
            return rc;
    }
    if (dst.n_bits < 64 && v >> dst.n_bits) {
        flow_subfield_format(&dst, w, sizeof(w));
        return fp_fail(c, -ERANGE, tok, "load: value %.*s does not fit in "
                       "the %u bits of %s", (int)(vlen > 24 ? 24 : vlen),
                       tok->val, dst.n_bits, w);
    }
    if (dst.field == FLOW_FIELD_VLAN_TCI && !flow_tci_load_keeps_tag(&dst, v))
        return fp_fail(c, -ENOTSUP, tok, "load: a 0 in vlan_tci's CFI bit "
                       "(bit 12) pops the tag, which snicd does not take "
                       "from a load (use strip_vlan)");
    rc = fp_act_append(st, tok, FLOW_ACT_LOAD, &a);
    if (rc < 0)
        return rc;
    a->dst = dst;
    a->u.value = v;
    /* Open vSwitch's check reads the value as the whole TCI: CFI only if
     * the load sets it (a 0 there is refused above) */
    if (dst.field == FLOW_FIELD_VLAN_TCI)
        st->tci_no_cfi = !flow_subfield_has_cfi(&dst);
    return 0;
}

static int
act_move(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow_subfield src, dst;
    struct flow_action *a;
    const char *d = NULL;
    size_t slen = 0, dlen = 0;
    int rc;

    rc = split_arrow(c, tok, "move", "move:NXM_NX_REG0[0..7]->reg1[8..15]",
                     &slen, &d, &dlen);
    if (rc < 0)
        return rc;
    rc = fp_hdr_subfield(st, tok, tok->val, slen, "move", false, &src);
    if (rc < 0)
        return rc;
    rc = fp_hdr_subfield(st, tok, d, dlen, "move", true, &dst);
    if (rc < 0)
        return rc;
    rc = fp_ct_check_dst(st, tok, dst.field);
    if (rc < 0)
        return rc;
    if (src.n_bits != dst.n_bits)
        return fp_fail(c, -EINVAL, tok, "move: the source has %u bits and "
                       "the destination %u (they must be as wide)",
                       src.n_bits, dst.n_bits);
    rc = fp_act_append(st, tok, FLOW_ACT_MOVE, &a);
    if (rc < 0)
        return rc;
    a->dst = dst;
    a->u.src = src;
    return 0;
}

int
fp_meta_set_field(struct fp_act_state *st, const struct fp_tok *tok,
                  const char *name, size_t nlen, size_t vlen, bool *handled)
{
    struct fp_ctx *c = st->c;
    unsigned field = flow_field_by_name(name, nlen);
    uint64_t v[2], mk[2] = { UINT64_MAX, UINT64_MAX };
    const char *slash;
    unsigned width;
    size_t len;
    char w[40], name_buf[16];
    int rc;

    *handled = true;
    /* set_field onto a tunnel field is set_tunnel & co (flow_parse_act.c);
     * a masked one onto tun_id, the loads Open vSwitch decodes it into */
    if (flow_field_is_tunnel(field)
        && (field != FLOW_FIELD_TUN_ID
            || memchr(tok->val, '/', vlen) == NULL)) {
        *handled = false;
        return 0;
    }
    if (field == FLOW_FIELD_NONE) {
        char msg[96];

        if (bad_index(name, nlen, msg, sizeof(msg)))
            return fp_fail(c, -EINVAL, tok, "set_field: %s", msg);
        *handled = false;
        return 0;
    }
    rc = fp_ct_check_dst(st, tok, field);
    if (rc < 0)
        return rc;
    flow_field_name(field, name_buf, sizeof(name_buf));
    width = flow_field_width(field);
    slash = memchr(tok->val, '/', vlen);
    len = slash ? (size_t)(slash - tok->val) : vlen;
    snprintf(w, sizeof(w), "set_field %s", name_buf);
    rc = read_wide(c, tok, tok->val, len, width, w, v);
    if (rc < 0)
        return rc;
    if (slash != NULL) {
        snprintf(w, sizeof(w), "set_field %s mask", name_buf);
        rc = read_wide(c, tok, slash + 1, vlen - len - 1, width, w, mk);
        if (rc < 0)
            return rc;
    } else if (width < 128) {
        mk[1] = 0;
        if (width < 64)
            mk[0] = (1ull << width) - 1;
    }
    v[0] &= mk[0];
    v[1] &= mk[1];
    if (flow_field_is_tun_md(field) && slash == NULL && v[1] == 0) {
        /* the whole option, however long the TLV map makes it: one load
         * of all its bits, not two halves (snicd fits it to the map) */
        struct flow_action *a;

        rc = fp_act_append(st, tok, FLOW_ACT_LOAD, &a);
        if (rc < 0)
            return rc;
        a->pad0 = FLOW_ACT_F_SET_FIELD;
        a->dst.field = (uint8_t)field;
        a->dst.n_bits = (uint8_t)width;
        a->u.value = v[0];
        return 0;
    }
    return fp_masked_loads(st, tok, field, v, mk, FLOW_ACT_F_SET_FIELD);
}

static int
act_write_metadata(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    uint64_t v[2] = { 0, 0 }, mk[2] = { 0, 0 };
    int rc;

    if (st->wrote_metadata)
        return fp_fail(c, -EINVAL, tok, "write_metadata is given twice "
                       "(one instruction of each kind)");
    rc = fp_uint_masked(c, tok, UINT64_MAX, "write_metadata",
                        "a 64-bit value[/mask]", &v[0], &mk[0]);
    if (rc < 0)
        return rc;
    v[0] &= mk[0];
    if (st->in_actset)
        return fp_fail(c, -EINVAL, tok, "write_metadata is an instruction: "
                       "it cannot be inside write_actions");
    st->instr_append = true;
    rc = fp_masked_loads(st, tok, FLOW_FIELD_METADATA, v, mk,
                      FLOW_ACT_F_WRITE_METADATA);
    st->instr_append = false;
    if (rc < 0)
        return rc;
    /* an instruction: only goto_table may follow (OpenFlow's order) */
    st->wrote_metadata = true;
    return 0;
}

static int
act_output_reg(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow_subfield src;
    struct flow_action *a;
    int rc;

    rc = fp_hdr_subfield(st, tok, tok->val, tok->vlen, "output", false,
                         &src);
    if (rc < 0)
        return rc;
    if (src.n_bits > 32)
        return fp_fail(c, -ERANGE, tok, "output: a port is at most 32 bits "
                       "wide (this subfield has %u)", src.n_bits);
    rc = fp_act_append(st, tok, FLOW_ACT_OUTPUT_REG, &a);
    if (rc < 0)
        return rc;
    a->u.src = src;
    return 0;
}

/* resubmit:PORT, resubmit(PORT), resubmit(PORT,TABLE), resubmit(,TABLE) */
static int
act_resubmit(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    const char *comma = tok->val ? memchr(tok->val, ',', tok->vlen) : NULL;
    size_t plen = comma ? (size_t)(comma - tok->val) : tok->vlen;
    uint32_t port = FLOW_RESUBMIT_IN_PORT;
    uint64_t table = FLOW_RESUBMIT_TABLE_SAME;
    struct flow_action *a;
    int rc;

    if (tok->val == NULL || (comma == NULL && tok->vlen == 0))
        return fp_fail(c, -EINVAL, tok, "resubmit needs a port or a table "
                       "(resubmit:PORT, resubmit(PORT,TABLE) or "
                       "resubmit(,TABLE))");
    if (comma != NULL && !tok->paren)
        return fp_fail(c, -EINVAL, tok, "resubmit with a table is written "
                       "resubmit(PORT,TABLE)");
    if (comma != NULL
        && memchr(comma + 1, ',', tok->vlen - plen - 1) != NULL)
        return fp_fail(c, -ENOTSUP, tok, "resubmit: only a port and a table "
                       "are supported (resubmit(PORT,TABLE))");
    if (comma != NULL && plen == 0 && tok->vlen == 1)
        return fp_fail(c, -EINVAL, tok, "resubmit needs a port or a table "
                       "(resubmit(PORT,TABLE) with at least one of them)");
    if (plen > 0 && !(plen == 7 && memcmp(tok->val, "IN_PORT", 7) == 0)) {
        rc = fp_port(c, tok, tok->val, plen, "resubmit", &port);
        if (rc < 0)
            return rc;
    }
    if (comma != NULL && tok->vlen - plen - 1 > 0) {
        rc = fp_uint(c, tok, comma + 1, tok->vlen - plen - 1,
                     FLOW_TABLE_MAX, "resubmit table", "a table 0..254",
                     &table);
        if (rc < 0)
            return rc;
    }
    rc = fp_act_append(st, tok, FLOW_ACT_RESUBMIT, &a);
    if (rc < 0)
        return rc;
    a->u.resubmit.port = port;
    a->u.resubmit.table = (uint8_t)table;
    return 0;
}

/* conjunction(ID,K/N): clause K of N of conjunctive match ID. */
static int
act_conjunction(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    const char *comma, *slash, *end;
    uint64_t id, k, n;
    struct flow_action *a;
    int rc;

    if (tok->val == NULL || !tok->paren)
        return fp_fail(c, -EINVAL, tok, "conjunction is written "
                       "conjunction(ID,K/N)");
    end = tok->val + tok->vlen;
    comma = memchr(tok->val, ',', tok->vlen);
    slash = comma ? memchr(comma, '/', (size_t)(end - comma)) : NULL;
    if (comma == NULL || slash == NULL)
        return fp_fail(c, -EINVAL, tok, "conjunction needs an id, a clause "
                       "and a clause count (conjunction(ID,K/N))");
    rc = fp_uint(c, tok, tok->val, (size_t)(comma - tok->val), UINT32_MAX,
                 "conjunction id", "an id of 0..4294967295", &id);
    if (rc < 0)
        return rc;
    rc = fp_uint(c, tok, comma + 1, (size_t)(slash - comma - 1), 255,
                 "conjunction clause", "a clause index K of K/N", &k);
    if (rc < 0)
        return rc;
    rc = fp_uint(c, tok, slash + 1, (size_t)(end - slash - 1), 255,
                 "conjunction clauses", "a clause count N of K/N", &n);
    if (rc < 0)
        return rc;
    if (n < FLOW_CONJ_MIN)
        return fp_fail(c, -EINVAL, tok, "conjunction must have at least %u "
                       "clauses", FLOW_CONJ_MIN);
    if (n > FLOW_CONJ_MAX)
        return fp_fail(c, -ERANGE, tok, "conjunction must have at most %u "
                       "clauses", FLOW_CONJ_MAX);
    if (k == 0)
        return fp_fail(c, -EINVAL, tok, "conjunction: clause index must be "
                       "positive (1..%llu)", (unsigned long long)n);
    if (k > n)
        return fp_fail(c, -EINVAL, tok, "conjunction: clause index %llu must "
                       "be at most the number of clauses %llu",
                       (unsigned long long)k, (unsigned long long)n);
    rc = fp_act_append(st, tok, FLOW_ACT_CONJUNCTION, &a);
    if (rc < 0)
        return rc;
    a->u.conj.id = (uint32_t)id;
    a->u.conj.clause = (uint8_t)k;
    a->u.conj.n_clauses = (uint8_t)n;
    return 0;
}

/* conj_id=ID: the id of the conjunctive match a conj_id flow completes
 * (32 bits, exact as in Open vSwitch: it has no mask). */
static int
match_conj_id(struct fp_ctx *c, const struct fp_tok *tok)
{
    struct flow_match *m = &c->fm.flow.match;
    uint64_t v;
    int rc;

    if (tok->val == NULL || tok->paren)
        return fp_fail(c, -EINVAL, tok, "conj_id needs a value (conj_id=ID)");
    if (memchr(tok->val, '/', tok->vlen) != NULL)
        return fp_fail(c, -EINVAL, tok, "conj_id cannot be masked (give one "
                       "id)");
    rc = fp_uint(c, tok, tok->val, tok->vlen, UINT32_MAX, "conj_id",
                 "an id of 0..4294967295", &v);
    if (rc < 0)
        return rc;
    rc = fp_claim(c, tok, FP_CONJ_ID);
    if (rc < 0)
        return rc;
    m->value.meta.conj_id = (uint32_t)v;
    m->mask.meta.conj_id = UINT32_MAX;
    return 0;
}

int
fp_meta_action(struct fp_act_state *st, const struct fp_tok *tok,
               bool *handled)
{
    *handled = true;
    if (fp_key_is(tok, "conjunction"))
        return act_conjunction(st, tok);
    if (fp_key_is(tok, "load"))
        return act_load(st, tok);
    if (fp_key_is(tok, "move"))
        return act_move(st, tok);
    if (fp_key_is(tok, "write_metadata"))
        return act_write_metadata(st, tok);
    if (fp_key_is(tok, "resubmit"))
        return act_resubmit(st, tok);
    /* output:REG[..] names a subfield; output:PORT stays an output */
    if (fp_key_is(tok, "output") && tok->val != NULL
        && memchr(tok->val, '[', tok->vlen) != NULL)
        return act_output_reg(st, tok);
    *handled = false;
    return 0;
}
