/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPLS in the flow language, as Open vSwitch spells it: the match fields of
 * the top label stack entry (mpls_label, mpls_tc, mpls_bos, mpls_ttl; the
 * shorthands mpls and mplsm are in flow_parse.c's table), and the actions
 * push_mpls, pop_mpls, set_mpls_label, set_mpls_tc, set_mpls_ttl,
 * dec_mpls_ttl, and set_field / load onto the entry's fields.
 *
 * Value rules are ovs-ofctl's: a match value wider than its field keeps
 * its low bits (mpls_tc=255 is 7), no mask; an action value out of range
 * is refused. push_mpls and pop_mpls change the EtherType the rest of the
 * list is checked against (struct fp_act_state), as Open vSwitch's action
 * check does: after push_mpls no IP field can be set, after
 * pop_mpls:0x0800 the IPv4 ones can again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flow_priv.h"

#define ETH_TYPE_MPLS   0x8847u
#define ETH_TYPE_MPLSM  0x8848u

#define LSE_LABEL_SHIFT 12
#define LSE_TC_SHIFT    9
#define LSE_BOS_SHIFT   8

static bool
is_mpls_type(uint64_t type)
{
    return type == ETH_TYPE_MPLS || type == ETH_TYPE_MPLSM;
}

/* ---- match ---- */

int
fp_mpls_match(struct fp_ctx *c, const struct fp_tok *tok, const char *name)
{
    struct flow_key *v = &c->fm.flow.match.value;
    struct flow_key *m = &c->fm.flow.match.mask;
    uint32_t lse = ntohl(v->mpls_lse), mask = ntohl(m->mpls_lse);
    uint32_t bits, shift;
    uint64_t max = 0xff, x;
    int rc;

    if (memchr(tok->val, '/', tok->vlen) != NULL)
        return fp_fail(c, -EINVAL, tok, "%s takes no mask (Open vSwitch "
                       "matches it exactly: %s=N)", name, name);
    if (strcmp(name, "mpls_label") == 0) {
        max = 0xffffffffu;
        bits = 0xfffff;
        shift = LSE_LABEL_SHIFT;
    } else if (strcmp(name, "mpls_tc") == 0) {
        bits = 0x7;
        shift = LSE_TC_SHIFT;
    } else if (strcmp(name, "mpls_bos") == 0) {
        bits = 0x1;
        shift = LSE_BOS_SHIFT;
    } else {
        bits = 0xff;
        shift = 0;
    }
    rc = fp_uint(c, tok, tok->val, tok->vlen, max, name,
                 max == 0xff ? "0..255" : "a 32-bit number, of which the "
                 "low 20 bits are the label", &x);
    if (rc < 0)
        return rc;
    /* as ovs-ofctl: the field's own bits of a wider value */
    lse = (lse & ~(bits << shift)) | ((uint32_t)x & bits) << shift;
    mask |= bits << shift;
    v->mpls_lse = htonl(lse);
    m->mpls_lse = htonl(mask);
    return 0;
}

/* ---- actions ---- */

/* The top entry's fields an action can write, by every name it has. */
enum mpls_field { MF_LABEL, MF_TC, MF_TTL, MF_BOS };

static const struct {
    const char *name;       /* set_field, set_mpls_* */
    const char *nxm;        /* load */
    uint16_t type;
    uint32_t max;
} mpls_fields[] = {
    [MF_LABEL] = { "mpls_label", "OXM_OF_MPLS_LABEL",
                   FLOW_ACT_SET_MPLS_LABEL, 0xfffff },
    [MF_TC] = { "mpls_tc", "OXM_OF_MPLS_TC", FLOW_ACT_SET_MPLS_TC, 7 },
    [MF_TTL] = { "mpls_ttl", "NXM_NX_MPLS_TTL", FLOW_ACT_SET_MPLS_TTL,
                 0xff },
    [MF_BOS] = { "mpls_bos", "OXM_OF_MPLS_BOS", 0, 1 },
};

#define N_MPLS_FIELDS (sizeof(mpls_fields) / sizeof(mpls_fields[0]))

/* Does the packet, at this point of the list, promise to be MPLS? */
static bool
state_is_mpls(const struct fp_act_state *st)
{
    if (st->l3_changed)
        return is_mpls_type(st->dl_type);
    return flow_match_is_mpls(&st->c->fm.flow.match);
}

/* A write of @value to field @f, spelled as @flags says. */
static int
write_field(struct fp_act_state *st, const struct fp_tok *tok,
            enum mpls_field f, uint64_t value, uint16_t flags,
            const char *spelled)
{
    struct flow_action *a;
    int rc;

    if (f == MF_BOS)
        return fp_fail(st->c, -EINVAL, tok, "%s: mpls_bos is read-only "
                       "(the bottom-of-stack bit follows the stack)",
                       spelled);
    if (value > mpls_fields[f].max)
        return fp_fail(st->c, -ERANGE, tok, "%s: %llu does not fit in %s "
                       "(expected 0..%u)", spelled,
                       (unsigned long long)value, mpls_fields[f].name,
                       mpls_fields[f].max);
    /* set_field and load check the field's prerequisite, as OpenFlow 1.2
     * does; OpenFlow 1.1's set_mpls_* leave a packet that is not MPLS
     * alone, so they need none */
    if (flags != 0 && !state_is_mpls(st))
        return fp_fail(st->c, -EINVAL, tok, "%s requires an MPLS packet "
                       "(add 'mpls' or 'mplsm' to the match, or push_mpls "
                       "first)", spelled);
    rc = fp_act_append(st, tok, mpls_fields[f].type, &a);
    if (rc < 0)
        return rc;
    a->pad0 = flags;
    a->u.mpls = (uint32_t)value;
    return 0;
}

static int
field_by_name(const char *s, size_t len, bool nxm)
{
    for (size_t i = 0; i < N_MPLS_FIELDS; i++) {
        const char *n = nxm ? mpls_fields[i].nxm : mpls_fields[i].name;

        if (strlen(n) == len && memcmp(n, s, len) == 0)
            return (int)i;
    }
    return -1;
}

int
fp_mpls_set_field(struct fp_act_state *st, const struct fp_tok *tok,
                  const char *name, size_t nlen, size_t vlen, bool *handled)
{
    int f = field_by_name(name, nlen, false);
    uint64_t v;
    int rc;

    *handled = f >= 0;
    if (f < 0)
        return 0;
    if (memchr(tok->val, '/', vlen) != NULL)
        return fp_fail(st->c, -EINVAL, tok, "set_field: %s takes no mask "
                       "(give the whole value)", mpls_fields[f].name);
    rc = fp_uint(st->c, tok, tok->val, vlen, UINT32_MAX, "set_field",
                 "a number", &v);
    if (rc < 0)
        return rc;
    return write_field(st, tok, (enum mpls_field)f, v,
                       FLOW_ACT_F_MPLS_SET_FIELD, "set_field");
}

/* load:VALUE->OXM_OF_MPLS_LABEL[] and friends: the whole field only. */
static int
mpls_load(struct fp_act_state *st, const struct fp_tok *tok, bool *handled)
{
    const char *arrow = NULL, *d, *br;
    size_t dlen, vlen;
    uint64_t v;
    int f, rc;

    for (size_t i = 0; tok->val != NULL && i + 1 < tok->vlen; i++)
        if (tok->val[i] == '-' && tok->val[i + 1] == '>') {
            arrow = tok->val + i;
            break;
        }
    *handled = false;
    if (arrow == NULL)
        return 0;
    vlen = (size_t)(arrow - tok->val);
    d = arrow + 2;
    dlen = tok->vlen - vlen - 2;
    br = memchr(d, '[', dlen);
    f = field_by_name(d, br ? (size_t)(br - d) : dlen, true);
    if (f < 0)
        return 0;
    *handled = true;
    if (br != NULL && !((size_t)(d + dlen - br) == 2 && br[1] == ']')) {
        char whole[16];
        unsigned width = f == MF_LABEL ? 20 : f == MF_TC ? 3
                         : f == MF_TTL ? 8 : 1;

        /* FIELD[0..N-1] is the whole field too */
        snprintf(whole, sizeof(whole), "[0..%u]", width - 1);
        if (!((size_t)(d + dlen - br) == strlen(whole)
              && memcmp(br, whole, strlen(whole)) == 0))
            return fp_fail(st->c, -ENOTSUP, tok, "load: only the whole of "
                           "%s can be written (%s[])", mpls_fields[f].nxm,
                           mpls_fields[f].nxm);
    }
    rc = fp_uint(st->c, tok, tok->val, vlen, UINT64_MAX, "load",
                 "a number", &v);
    if (rc < 0)
        return rc;
    return write_field(st, tok, (enum mpls_field)f, v, FLOW_ACT_F_MPLS_LOAD,
                       "load");
}

static int
push_pop(struct fp_act_state *st, const struct fp_tok *tok, bool push)
{
    const char *name = push ? "push_mpls" : "pop_mpls";
    struct flow_action *a;
    uint64_t v;
    int rc;

    rc = fp_uint(st->c, tok, tok->val, tok->val ? tok->vlen : 0, 0xffff,
                 name, push ? "an MPLS EtherType, 0x8847 or 0x8848"
                            : "the EtherType after the pop, e.g. 0x0800",
                 &v);
    if (rc < 0)
        return rc;
    if (push && !is_mpls_type(v))
        return fp_fail(st->c, -EINVAL, tok, "push_mpls: 0x%04llx is not an "
                       "MPLS EtherType (expected 0x8847 or 0x8848)",
                       (unsigned long long)v);
    rc = fp_act_append(st, tok, push ? FLOW_ACT_PUSH_MPLS
                                     : FLOW_ACT_POP_MPLS, &a);
    if (rc < 0)
        return rc;
    a->u.tpid = htons((uint16_t)v);
    /* what the rest of the list may assume: this EtherType, and no
     * protocol above it that the match promised */
    st->l3_changed = true;
    st->dl_type = (uint16_t)v;
    return 0;
}

int
fp_mpls_action(struct fp_act_state *st, const struct fp_tok *tok,
               bool *handled)
{
    struct flow_action *a;
    uint64_t v;
    int rc;

    *handled = true;
    if (fp_key_is_ci(tok, "push_mpls"))
        return push_pop(st, tok, true);
    if (fp_key_is_ci(tok, "pop_mpls"))
        return push_pop(st, tok, false);
    if (fp_key_is_ci(tok, "dec_mpls_ttl")) {
        if (tok->val != NULL)
            return fp_fail(st->c, -EINVAL, tok, "dec_mpls_ttl takes no "
                           "argument");
        return fp_act_append(st, tok, FLOW_ACT_DEC_MPLS_TTL, &a);
    }
    /* set_mpls_*: the field's name after "set_" (every action token
     * comes through here, so no name is formatted before it matches) */
    for (size_t i = 0; tok->klen > 4 && strncasecmp(tok->key, "set_", 4) == 0
                       && i < N_MPLS_FIELDS; i++) {
        struct fp_tok field = *tok;
        char name[24];

        field.key += 4;
        field.klen -= 4;
        if (mpls_fields[i].type == 0 || !fp_key_is_ci(&field,
                                                      mpls_fields[i].name))
            continue;
        snprintf(name, sizeof(name), "set_%s", mpls_fields[i].name);
        rc = fp_uint(st->c, tok, tok->val, tok->val ? tok->vlen : 0,
                     mpls_fields[i].max, name, i == MF_LABEL ? "a label "
                     "0..1048575" : i == MF_TC ? "0..7" : "0..255", &v);
        if (rc < 0)
            return rc;
        return write_field(st, tok, (enum mpls_field)i, v, 0, name);
    }
    if (fp_key_is_ci(tok, "load"))
        return mpls_load(st, tok, handled);
    *handled = false;
    return 0;
}
