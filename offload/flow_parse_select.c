/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * multipath(FIELDS,BASIS,ALGORITHM,N_LINKS,ARG,DST),
 * bundle(FIELDS,BASIS,ALGORITHM,ofport,members:PORT,...) and
 * bundle_load(FIELDS,BASIS,ALGORITHM,ofport,DST,members:PORT,...), as
 * Open vSwitch spells them: a hash of the packet's FIELDS picks a link
 * number (into DST) or a member port (output to, or its number into DST).
 * Arguments are separated by commas or spaces, members by commas, spaces
 * or brackets. The datapath side is dp_select.c.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "flow_priv.h"

#define MAX_WORDS   (2 * FLOW_MAX_ACTIONS + 8)

struct words {
    unsigned n;
    const char *w[MAX_WORDS];
    size_t len[MAX_WORDS];
};

/* Split s[0..len) at any of @seps; false past MAX_WORDS. */
static bool
split(const char *s, size_t len, const char *seps, struct words *out)
{
    size_t i = 0;

    out->n = 0;
    while (i < len) {
        size_t start;

        while (i < len && strchr(seps, s[i]) != NULL)
            i++;
        if (i >= len)
            break;
        start = i;
        while (i < len && strchr(seps, s[i]) == NULL)
            i++;
        if (out->n == MAX_WORDS)
            return false;
        out->w[out->n] = s + start;
        out->len[out->n++] = i - start;
    }
    return true;
}

static bool
word_is(const struct words *w, unsigned i, const char *s)
{
    return strlen(s) == w->len[i] && strncasecmp(w->w[i], s, w->len[i]) == 0;
}

static int
hash_fields(struct fp_ctx *c, const struct fp_tok *tok, const struct words *w,
            uint8_t *out)
{
    static const char *const names[] = {
        "eth_src", "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp",
        "nw_src", "nw_dst", "symmetric_l3",
    };

    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (word_is(w, 0, names[i])) {
            *out = (uint8_t)i;
            return 0;
        }
    return fp_fail(c, -EINVAL, tok, "unknown fields '%.*s' (expected "
                   "eth_src, symmetric_l4, symmetric_l3l4, "
                   "symmetric_l3l4+udp, nw_src, nw_dst or symmetric_l3)",
                   (int)(w->len[0] > 24 ? 24 : w->len[0]), w->w[0]);
}

static int
multipath(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow_action *a;
    struct flow_subfield dst;
    struct words w;
    uint64_t basis, n_links, arg;
    uint8_t fields, alg;
    int rc;

    if (!tok->paren || !split(tok->val, tok->vlen, ", ", &w) || w.n != 6)
        return fp_fail(c, -EINVAL, tok, "multipath needs 6 arguments "
                       "(multipath(FIELDS,BASIS,ALGORITHM,N_LINKS,ARG,DST))");
    if ((rc = hash_fields(c, tok, &w, &fields)) < 0)
        return rc;
    if ((rc = fp_uint(c, tok, w.w[1], w.len[1], 0xffff, "multipath basis",
                      "0..65535", &basis)) < 0)
        return rc;
    if (word_is(&w, 2, "modulo_n"))
        alg = FLOW_MP_MODULO_N;
    else if (word_is(&w, 2, "hash_threshold"))
        alg = FLOW_MP_HASH_THRESHOLD;
    else if (word_is(&w, 2, "hrw"))
        alg = FLOW_MP_HRW;
    else if (word_is(&w, 2, "iter_hash"))
        alg = FLOW_MP_ITER_HASH;
    else
        return fp_fail(c, -EINVAL, tok, "multipath: unknown algorithm "
                       "'%.*s' (expected modulo_n, hash_threshold, hrw or "
                       "iter_hash)", (int)(w.len[2] > 24 ? 24 : w.len[2]),
                       w.w[2]);
    if ((rc = fp_uint(c, tok, w.w[3], w.len[3], 65536, "multipath n_links",
                      "1..65536", &n_links)) < 0)
        return rc;
    if (n_links == 0)
        return fp_fail(c, -ERANGE, tok, "multipath: n_links 0 is not in "
                       "1..65536");
    if ((rc = fp_uint(c, tok, w.w[4], w.len[4], UINT32_MAX, "multipath arg",
                      "0..4294967295", &arg)) < 0)
        return rc;
    rc = fp_hdr_subfield(st, tok, w.w[5], w.len[5], "multipath", true, &dst);
    if (rc < 0)
        return rc;
    if ((rc = fp_ct_check_dst(st, tok, dst.field)) < 0)
        return rc;
    if (dst.n_bits < 16 && n_links > (1u << dst.n_bits))
        return fp_fail(c, -EINVAL, tok, "multipath: the %u-bit destination "
                       "has %u values, fewer than n_links %llu", dst.n_bits,
                       1u << dst.n_bits, (unsigned long long)n_links);
    if ((rc = fp_act_append(st, tok, FLOW_ACT_MULTIPATH, &a)) < 0)
        return rc;
    a->dst = dst;
    a->pad0 = (uint16_t)basis;
    a->u.multipath.max_link = (uint16_t)(n_links - 1);
    a->u.multipath.fields = fields;
    a->u.multipath.algorithm = alg;
    a->u.multipath.arg = (uint32_t)arg;
    return 0;
}

/* bundle's members: ordinary ports, and the reserved ones Open vSwitch
 * lets a bundle name */
static int
member_port(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
            size_t len, uint32_t *port)
{
    int rc = fp_port(c, tok, s, len, "bundle member", port);

    if (rc < 0)
        return rc;
    if (*port == FLOW_PORT_CONTROLLER || *port == FLOW_PORT_TABLE
        || *port == FLOW_PORT_ANY)
        return fp_fail(c, -EINVAL, tok, "bundle: member %.*s is not a port "
                       "a bundle may use (an ordinary port, IN_PORT, "
                       "NORMAL, FLOOD, ALL or LOCAL)",
                       (int)(len > 24 ? 24 : len), s);
    return 0;
}

static int
bundle(struct fp_act_state *st, const struct fp_tok *tok, bool load)
{
    const char *name = load ? "bundle_load" : "bundle";
    struct fp_ctx *c = st->c;
    struct flow_subfield dst = { 0 };
    struct flow_action *a, *arg = NULL;
    const char *colon;
    struct words w, m;
    unsigned fixed = load ? 5 : 4;
    uint64_t basis;
    uint8_t fields, alg;
    size_t head;
    int rc;

    colon = tok->paren ? memchr(tok->val, ':', tok->vlen) : NULL;
    head = colon != NULL ? (size_t)(colon - tok->val) : 0;
    if (colon == NULL || !split(tok->val, head, ", ", &w) || w.n != fixed + 1
        || !(word_is(&w, fixed, "members") || word_is(&w, fixed, "slaves")))
        return fp_fail(c, -EINVAL, tok, "%s needs its arguments and "
                       "members (%s(FIELDS,BASIS,ALGORITHM,ofport,%s"
                       "members:PORT,...))", name, name, load ? "DST," : "");
    if ((rc = hash_fields(c, tok, &w, &fields)) < 0)
        return rc;
    if ((rc = fp_uint(c, tok, w.w[1], w.len[1], 0xffff, "bundle basis",
                      "0..65535", &basis)) < 0)
        return rc;
    if (word_is(&w, 2, "active_backup"))
        alg = FLOW_BD_ACTIVE_BACKUP;
    else if (word_is(&w, 2, "hrw"))
        alg = FLOW_BD_HRW;
    else
        return fp_fail(c, -EINVAL, tok, "%s: unknown algorithm '%.*s' "
                       "(expected active_backup or hrw)", name,
                       (int)(w.len[2] > 24 ? 24 : w.len[2]), w.w[2]);
    if (!word_is(&w, 3, "ofport"))
        return fp_fail(c, -EINVAL, tok, "%s: unknown member type '%.*s' "
                       "(expected ofport)", name,
                       (int)(w.len[3] > 24 ? 24 : w.len[3]), w.w[3]);
    if (load) {
        rc = fp_hdr_subfield(st, tok, w.w[4], w.len[4], name, true, &dst);
        if (rc < 0)
            return rc;
        if ((rc = fp_ct_check_dst(st, tok, dst.field)) < 0)
            return rc;
        /* a member's whole 16-bit number, as Open vSwitch requires */
        if (dst.n_bits < 16)
            return fp_fail(c, -EINVAL, tok, "bundle_load needs a "
                           "destination of at least 16 bits (a port "
                           "number), not %u", dst.n_bits);
    }
    if (!split(colon + 1, tok->vlen - head - 1, ", []", &m) || m.n == 0)
        return fp_fail(c, -EINVAL, tok, "%s needs at least one member "
                       "(members:1,2)", name);
    if ((rc = fp_act_append(st, tok, FLOW_ACT_BUNDLE, &a)) < 0)
        return rc;
    a->dst = dst;
    a->pad0 = (uint16_t)basis;
    a->u.bundle.fields = fields;
    a->u.bundle.algorithm = alg;
    a->u.bundle.n_members = (uint16_t)m.n;
    for (unsigned i = 0; i < m.n; i++) {
        if (i % 2 == 0 && (rc = fp_act_append(st, tok, FLOW_ACT_ARGS,
                                              &arg)) < 0)
            return rc;
        rc = member_port(c, tok, m.w[i], m.len[i], &arg->u.members[i % 2]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
fp_select_action(struct fp_act_state *st, const struct fp_tok *tok,
                 bool *handled)
{
    *handled = true;
    if (fp_key_is_ci(tok, "multipath"))
        return multipath(st, tok);
    if (fp_key_is_ci(tok, "bundle"))
        return bundle(st, tok, false);
    if (fp_key_is_ci(tok, "bundle_load"))
        return bundle(st, tok, true);
    *handled = false;
    return 0;
}
