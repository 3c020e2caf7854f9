/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn(...) in the flow language, as ovs-ofctl reads it: the learned
 * flow's table (default 1), priority, timeouts, cookie and
 * send_flow_rem, then its specs in order:
 *
 *   DST=SRC, DST            match DST on the packet's SRC (DST alone:
 *                           SRC is the same field, the same bits)
 *   DST=VALUE               match DST on a constant (MAC, IPv4 or number)
 *   load:SRC->DST           load the packet's SRC (or a constant) into DST
 *   output:SRC              output to the port the packet's SRC holds
 *
 * Prerequisites are checked as Open vSwitch checks them: a source field's
 * against the learning flow's match (NXM_OF_IP_SRC[] as a source needs
 * ip), or, after push_mpls/pop_mpls, against the EtherType the last of
 * them leaves (pop_mpls:0x0800 then NXM_OF_IP_DST[] is fine); a
 * destination's against the constants matched before it (eth_type=0x800
 * before NXM_OF_IP_DST[]=...).
 *
 * fin_idle_timeout/fin_hard_timeout give the learned flow a fin_timeout
 * action first, as Open vSwitch does. fin_timeout(idle_timeout=N,
 * hard_timeout=N) is read here too.
 *
 * limit=N: at most N flows with the learned flow's cookie in its table
 * (the control thread checks when it adds the flow: flow_table_learn());
 * limit=0 is no limit, as in Open vSwitch, and keeps no spec.
 *
 * result_dst=FIELD[BIT]: the datapath worker writes 1 there when the
 * packet learns its flow, 0 when limit= leaves no room (dp_learn.c
 * decides at packet time what the control thread then does).
 *
 * delete_learned: when the last flow holding it for the learned (table,
 * cookie) leaves, so do that table's flows of that cookie
 * (flow_table.c, dl_flush()).
 *
 * Refused with the reason: loads into header fields, and learn inside
 * clone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_priv.h"

struct lstate {
    struct fp_ctx *c;
    struct fp_act_state *st;
    struct flow_match lm;       /* the learned match's constants so far */
    struct flow_action *fin;    /* the FIN spec, once there is one */
    struct flow_action *limit;  /* the LIMIT spec, once there is one */
    struct flow_action *result; /* the RESULT spec, once there is one */
};

static bool
prereq_ok(const struct flow_match *m, unsigned field)
{
    switch (fp_learn_field_prereq(field)) {
    case FP_LP_NONE:
        return true;
    case FP_LP_IPV4:
        return flow_match_is_ipv4(m);
    case FP_LP_IP:
        return flow_match_is_ipv4(m) || flow_match_is_ipv6(m);
    case FP_LP_TCP:
        return flow_match_is_ip_proto(m, 6);
    case FP_LP_UDP:
        return flow_match_is_ip_proto(m, 17);
    }
    return false;
}

static const char *
prereq_text(unsigned field)
{
    switch (fp_learn_field_prereq(field)) {
    case FP_LP_IPV4:
        return "ip (eth_type=0x800)";
    case FP_LP_IP:
        return "ip or ipv6";
    case FP_LP_TCP:
        return "tcp (eth_type and nw_proto=6)";
    case FP_LP_UDP:
        return "udp (eth_type and nw_proto=17)";
    default:
        return "";
    }
}

/* NAME, NAME[], NAME[BIT] or NAME[FIRST..LAST] of a field a learn spec
 * may name. */
static int
learn_subfield(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
               size_t len, struct flow_subfield *sf, bool *whole)
{
    const char *br = memchr(s, '[', len);
    size_t nlen = br ? (size_t)(br - s) : len;
    unsigned field = flow_learn_field_by_name(s, nlen);
    unsigned width;
    int rc;

    if (field == FLOW_FIELD_NONE)
        return fp_fail(c, -EINVAL, tok, "learn: unknown field '%.*s' "
                       "(expected a register, metadata, tun_id, in_port, "
                       "eth_src, eth_dst, eth_type, vlan_tci, ip_src, "
                       "ip_dst, nw_proto, tcp_src/dst, udp_src/dst or "
                       "their NXM/OXM names)",
                       (int)(nlen > 32 ? 32 : nlen), s);
    width = flow_learn_field_width(field);
    rc = fp_subfield_bits(c, tok, "learn", s, len, nlen, field, width, sf);
    if (rc < 0)
        return rc;
    *whole = sf->n_bits == width;
    return 0;
}

static bool
is_value(const char *s, size_t len)
{
    return len > 0 && s[0] >= '0' && s[0] <= '9';
}

/* A constant for @sf: a MAC or an IPv4 address for a whole such field,
 * else a number that fits its bits. */
static int
learn_value(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
            size_t len, const struct flow_subfield *sf, bool whole,
            uint64_t *v)
{
    char what[40], expect[40];

    flow_learn_field_name(sf->field, what, sizeof(what));
    if (whole && (sf->field == FLOW_FIELD_ETH_SRC
                  || sf->field == FLOW_FIELD_ETH_DST)
        && memchr(s, ':', len) != NULL) {
        uint8_t mac[6];
        int rc = fp_mac(c, tok, s, len, what, mac);

        *v = 0;
        for (int i = 0; i < 6; i++)
            *v = *v << 8 | mac[i];
        return rc;
    }
    if (whole && (sf->field == FLOW_FIELD_IP_SRC
                  || sf->field == FLOW_FIELD_IP_DST
                  || flow_field_is_tunnel(sf->field))
        && memchr(s, '.', len) != NULL && sf->n_bits == 32) {
        flow_be32 a;
        int rc = fp_ipv4(c, tok, s, len, what, &a);

        *v = ntohl(a);
        return rc;
    }
    snprintf(expect, sizeof(expect), "a %u-bit number", sf->n_bits);
    return fp_uint(c, tok, s, len,
                   sf->n_bits >= 64 ? UINT64_MAX : (1ull << sf->n_bits) - 1,
                   what, expect, v);
}

static int
add_spec(struct fp_act_state *st, const struct fp_tok *tok, unsigned kind,
         struct flow_action **out)
{
    int rc = fp_act_append(st, tok, FLOW_ACT_LEARN_SPEC, out);

    if (rc == 0)
        (*out)->pad0 = (uint16_t)kind;
    return rc;
}

/* A source after push_mpls/pop_mpls: the packet is what the last of
 * them left (pop_mpls:0x0800 leaves IPv4), with no protocol above it
 * known, as the rest of the action list is checked (flow_parse_act.c).
 * At packet time the learn reads the frame as the pop left it. */
static bool
changed_prereq_ok(const struct fp_act_state *st, unsigned field)
{
    bool ip4 = st->dl_type == 0x0800, ip6 = st->dl_type == 0x86dd;

    switch (fp_learn_field_prereq(field)) {
    case FP_LP_NONE:
        return true;
    case FP_LP_IPV4:
        return ip4;
    case FP_LP_IP:
        return ip4 || ip6;
    default:
        return false;
    }
}

static int
check_src(struct lstate *ls, const struct fp_tok *tok,
          const struct flow_subfield *sf)
{
    char n[32];

    if (ls->st->l3_changed) {
        if (changed_prereq_ok(ls->st, sf->field))
            return 0;
        flow_learn_field_nxm_name(sf->field, n, sizeof(n));
        return fp_fail(ls->c, -EINVAL, tok, "learn: the source %s needs "
                       "%s, but after push_mpls/pop_mpls the packet is "
                       "EtherType 0x%04x%s", n, prereq_text(sf->field),
                       ls->st->dl_type,
                       ls->st->dl_type == 0x0800 || ls->st->dl_type == 0x86dd
                       ? " with no known protocol" : "");
    }
    if (prereq_ok(&ls->c->fm.flow.match, sf->field))
        return 0;
    flow_learn_field_nxm_name(sf->field, n, sizeof(n));
    return fp_fail(ls->c, -EINVAL, tok, "learn: the source %s needs the "
                   "flow to match %s", n, prereq_text(sf->field));
}

static int
check_dst(struct lstate *ls, const struct fp_tok *tok,
          const struct flow_subfield *sf)
{
    char n[32];

    if (prereq_ok(&ls->lm, sf->field))
        return 0;
    flow_learn_field_nxm_name(sf->field, n, sizeof(n));
    return fp_fail(ls->c, -EINVAL, tok, "learn: the learned flow matches "
                   "%s only with %s matched first (e.g. eth_type=0x800, "
                   "nw_proto=6 before it)", n, prereq_text(sf->field));
}

/* DST=SRC, DST=VALUE or DST alone. */
static int
match_spec(struct fp_act_state *st, struct lstate *ls,
           const struct fp_tok *t, const char *d, size_t dlen,
           const char *s, size_t slen)
{
    struct fp_ctx *c = st->c;
    struct flow_subfield dst, src;
    struct flow_action *a;
    bool whole, swhole;
    uint64_t v;
    int rc;

    if ((rc = learn_subfield(c, t, d, dlen, &dst, &whole)) < 0)
        return rc;
    if (dst.field == FLOW_FIELD_IN_PORT && !whole)
        return fp_fail(c, -EINVAL, t, "learn: in_port is matched whole "
                       "(it has no mask)");
    if (dst.n_bits > 64)
        return fp_fail(c, -ENOTSUP, t, "learn: a match of more than 64 "
                       "bits is not supported");
    if ((rc = check_dst(ls, t, &dst)) < 0)
        return rc;
    if (s != NULL && is_value(s, slen)) {
        if ((rc = learn_value(c, t, s, slen, &dst, whole, &v)) < 0)
            return rc;
        if ((rc = add_spec(st, t, FLOW_LEARN_MATCH_IMM, &a)) < 0)
            return rc;
        a->dst = dst;
        a->u.value = v;
        /* the constant counts towards later prerequisites */
        fp_learn_match_put(&ls->lm, &dst, (const uint64_t[2]){ v, 0 });
        return 0;
    }
    if (s == NULL) {
        src = dst;
    } else {
        if ((rc = learn_subfield(c, t, s, slen, &src, &swhole)) < 0)
            return rc;
        if (src.n_bits != dst.n_bits)
            return fp_fail(c, -EINVAL, t, "learn: the source has %u bits "
                           "and the destination %u (they must be as wide)",
                           src.n_bits, dst.n_bits);
    }
    if ((rc = check_src(ls, t, &src)) < 0)
        return rc;
    if ((rc = add_spec(st, t, FLOW_LEARN_MATCH, &a)) < 0)
        return rc;
    a->dst = dst;
    a->u.src = src;
    return 0;
}

static int
load_spec(struct fp_act_state *st, struct lstate *ls, const struct fp_tok *t)
{
    struct fp_ctx *c = st->c;
    struct flow_subfield dst, src;
    struct flow_action *a;
    const char *arrow = NULL;
    bool whole;
    uint64_t v = 0;
    int rc;

    for (size_t i = 0; t->val != NULL && i + 1 < t->vlen; i++)
        if (t->val[i] == '-' && t->val[i + 1] == '>') {
            arrow = t->val + i;
            break;
        }
    if (arrow == NULL)
        return fp_fail(c, -EINVAL, t, "learn: load needs SOURCE->"
                       "DESTINATION (e.g. load:NXM_NX_TUN_ID[]->"
                       "NXM_NX_TUN_ID[])");
    rc = learn_subfield(c, t, arrow + 2,
                        t->vlen - (size_t)(arrow + 2 - t->val), &dst, &whole);
    if (rc < 0)
        return rc;
    if (flow_field_width(dst.field) == 0
        && !(dst.field == FLOW_FIELD_VLAN_TCI && whole
             && is_value(t->val, (size_t)(arrow - t->val))))
        return fp_fail(c, -ENOTSUP, t, "learn: a load into a header field "
                       "is not supported (only registers, metadata, "
                       "pkt_mark, the tunnel fields, and 0 into "
                       "NXM_OF_VLAN_TCI[], which pops the tag)");
    if (dst.n_bits > 64)
        return fp_fail(c, -ENOTSUP, t, "learn: a load of more than 64 bits "
                       "is not supported");
    if ((rc = check_dst(ls, t, &dst)) < 0)
        return rc;
    if (is_value(t->val, (size_t)(arrow - t->val))) {
        rc = learn_value(c, t, t->val, (size_t)(arrow - t->val), &dst,
                         false, &v);
        if (rc < 0)
            return rc;
        if (flow_field_width(dst.field) == 0 && v != 0)
            return fp_fail(c, -ENOTSUP, t, "learn: a load into "
                           "NXM_OF_VLAN_TCI[] is supported with 0 only "
                           "(it pops the tag)");
        if ((rc = add_spec(st, t, FLOW_LEARN_LOAD_IMM, &a)) < 0)
            return rc;
        a->dst = dst;
        a->u.value = v;
        return 0;
    }
    rc = learn_subfield(c, t, t->val, (size_t)(arrow - t->val), &src, &whole);
    if (rc < 0)
        return rc;
    if (src.n_bits != dst.n_bits)
        return fp_fail(c, -EINVAL, t, "learn: load: the source has %u bits "
                       "and the destination %u (they must be as wide)",
                       src.n_bits, dst.n_bits);
    if ((rc = check_src(ls, t, &src)) < 0)
        return rc;
    if ((rc = add_spec(st, t, FLOW_LEARN_LOAD, &a)) < 0)
        return rc;
    a->dst = dst;
    a->u.src = src;
    return 0;
}

static int
output_spec(struct fp_act_state *st, struct lstate *ls,
            const struct fp_tok *t)
{
    struct flow_subfield src;
    struct flow_action *a;
    bool whole;
    int rc;

    rc = learn_subfield(st->c, t, t->val, t->vlen, &src, &whole);
    if (rc < 0)
        return rc;
    if (src.n_bits > 32)
        return fp_fail(st->c, -ERANGE, t, "learn: output: a port is at most "
                       "32 bits wide (this subfield has %u)", src.n_bits);
    if ((rc = check_src(ls, t, &src)) < 0)
        return rc;
    if ((rc = add_spec(st, t, FLOW_LEARN_OUTPUT, &a)) < 0)
        return rc;
    a->u.src = src;
    return 0;
}

/* result_dst=FIELD[BIT]: one bit of a register-like field, written with
 * whether the packet learned its flow (the last one counts, as in Open
 * vSwitch). */
static int
result_spec(struct fp_act_state *st, struct lstate *ls,
            const struct fp_tok *t)
{
    struct flow_subfield dst;
    bool whole;
    int rc;

    rc = learn_subfield(st->c, t, t->val, t->vlen, &dst, &whole);
    if (rc < 0)
        return rc;
    if (flow_field_width(dst.field) == 0 || flow_field_is_tunnel(dst.field))
        return fp_fail(st->c, -ENOTSUP, t, "learn: result_dst into a header "
                       "or tunnel field is not supported (a register, "
                       "xreg, xxreg, metadata or pkt_mark bit is)");
    if (dst.n_bits != 1)
        return fp_fail(st->c, -EINVAL, t, "learn: result_dst is a single "
                       "bit (FIELD[BIT]), not %u bits", dst.n_bits);
    if (ls->result == NULL
        && (rc = add_spec(st, t, FLOW_LEARN_RESULT, &ls->result)) < 0)
        return rc;
    ls->result->dst = dst;
    return 0;
}

static int
u16_arg(struct fp_ctx *c, const struct fp_tok *t, const char *what,
        uint64_t max, uint16_t *out)
{
    uint64_t v;
    int rc = fp_uint(c, t, t->val, t->vlen, max, what, "0..65535", &v);

    *out = (uint16_t)v;
    return rc;
}

/* One argument of learn(...). */
static int
learn_arg(struct fp_act_state *st, struct lstate *ls, struct flow_action *h,
          const struct fp_tok *t)
{
    struct fp_ctx *c = st->c;
    struct flow_action *a;
    uint64_t v;
    uint16_t u;
    int rc;

    if (fp_key_is(t, "table")) {
        rc = fp_uint(c, t, t->val, t->vlen, FLOW_TABLE_MAX, "learn table",
                     "a table 0..254", &v);
        h->u.learn.table = (uint8_t)v;
        return rc;
    }
    if (fp_key_is(t, "priority"))
        return u16_arg(c, t, "learn priority", 0xffff, &h->u.learn.priority);
    if (fp_key_is(t, "idle_timeout"))
        return u16_arg(c, t, "learn idle_timeout", 0xffff,
                       &h->u.learn.idle_timeout);
    if (fp_key_is(t, "hard_timeout"))
        return u16_arg(c, t, "learn hard_timeout", 0xffff,
                       &h->u.learn.hard_timeout);
    if (fp_key_is(t, "fin_idle_timeout") || fp_key_is(t, "fin_hard_timeout")) {
        if ((rc = u16_arg(c, t, "learn fin timeout", 0xffff, &u)) < 0)
            return rc;
        /* one FIN spec holds both */
        if (ls->fin == NULL) {
            if ((rc = add_spec(st, t, FLOW_LEARN_FIN, &ls->fin)) < 0)
                return rc;
        }
        if (t->key[4] == 'i')
            ls->fin->u.learn_fin.fin_idle_timeout = u;
        else
            ls->fin->u.learn_fin.fin_hard_timeout = u;
        return 0;
    }
    if (fp_key_is(t, "cookie")) {
        rc = fp_uint(c, t, t->val, t->vlen, UINT64_MAX, "learn cookie",
                     "a 64-bit cookie", &v);
        if (rc < 0)
            return rc;
        if ((rc = add_spec(st, t, FLOW_LEARN_COOKIE, &a)) < 0)
            return rc;
        a->u.value = v;
        return 0;
    }
    if (fp_key_is(t, "send_flow_rem") && t->val == NULL) {
        h->pad0 |= FLOW_LEARN_F_SEND_FLOW_REM;
        return 0;
    }
    if (fp_key_is(t, "limit") && t->val != NULL && !t->paren) {
        rc = fp_uint(c, t, t->val, t->vlen, UINT32_MAX, "learn limit",
                     "a number of flows 0..4294967295", &v);
        if (rc < 0)
            return rc;
        /* the last one counts, as in Open vSwitch */
        if (ls->limit == NULL
            && (rc = add_spec(st, t, FLOW_LEARN_LIMIT, &ls->limit)) < 0)
            return rc;
        ls->limit->u.value = v;
        return 0;
    }
    if (fp_key_is(t, "result_dst") && t->val != NULL && !t->paren)
        return result_spec(st, ls, t);
    if (fp_key_is(t, "delete_learned") && t->val == NULL) {
        h->pad0 |= FLOW_LEARN_F_DELETE_LEARNED;
        return 0;
    }
    if (fp_key_is(t, "load") && t->val != NULL && !t->paren)
        return load_spec(st, ls, t);
    if (fp_key_is(t, "output") && t->val != NULL && !t->paren)
        return output_spec(st, ls, t);
    if (t->paren)
        return fp_fail(c, -EINVAL, t, "learn: unexpected '(' (expected "
                       "FIELD=FIELD, FIELD=VALUE, load:...->..., "
                       "output:FIELD or table=, priority=...)");
    return match_spec(st, ls, t, t->key, t->klen, t->val, t->vlen);
}

int
fp_parse_learn(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow *f = &c->fm.flow;
    struct lstate ls = { .c = c, .st = st };
    struct flow_action *h;
    struct fp_inner in = { .text = NULL };
    unsigned at;
    struct fp_tok t;
    int rc;

    if (!tok->paren)
        return fp_fail(c, -EINVAL, tok, "learn needs its arguments in "
                       "parentheses (learn(table=1,NXM_OF_ETH_DST[]="
                       "NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]))");
    if (st->in_clone)
        return fp_fail(c, -ENOTSUP, tok, "learn inside clone is not "
                       "supported");
    if ((rc = fp_act_append(st, tok, FLOW_ACT_LEARN, &h)) < 0)
        return rc;
    at = (unsigned)(h - f->actions);
    /* Open vSwitch's defaults */
    h->u.learn.table = 1;
    h->u.learn.priority = FLOW_DEFAULT_PRIORITY;
    flow_match_init_catchall(&ls.lm);
    if ((rc = fp_inner_open(c, tok, "learn", &in)) < 0)
        return rc;
    while (fp_inner_next(c, &in, &t)) {
        if ((rc = fp_check_closed(c, &t)) < 0)
            goto out;
        if ((rc = learn_arg(st, &ls, h, &t)) < 0)
            goto out;
    }
    if (ls.limit != NULL && ls.limit->u.value == 0) {
        /* limit=0 is no limit: no spec, so the text prints none */
        size_t k = (size_t)(ls.limit - f->actions);

        memmove(ls.limit, ls.limit + 1,
                (f->n_actions - k - 1) * sizeof(*ls.limit));
        f->n_actions--;
        memset(&f->actions[f->n_actions], 0, sizeof(*ls.limit));
    }
    h->u.learn.n = (uint8_t)(f->n_actions - at - 1);
    rc = 0;
out:
    fp_inner_close(&in);
    return rc;
}

/* fin_timeout(idle_timeout=N,hard_timeout=N), either or both. */
int
fp_parse_fin_timeout(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow_action *a;
    struct fp_inner in = { .text = NULL };
    struct fp_tok t;
    int rc;

    if (!tok->paren)
        return fp_fail(c, -EINVAL, tok, "fin_timeout needs its arguments "
                       "in parentheses (fin_timeout(idle_timeout=5))");
    if ((rc = fp_act_append(st, tok, FLOW_ACT_FIN_TIMEOUT, &a)) < 0)
        return rc;
    if ((rc = fp_inner_open(c, tok, "fin_timeout", &in)) < 0)
        return rc;
    while (fp_inner_next(c, &in, &t)) {
        if (fp_key_is(&t, "idle_timeout") && t.val != NULL && !t.paren)
            rc = u16_arg(c, &t, "fin_timeout idle_timeout", 0xffff,
                         &a->u.learn_fin.fin_idle_timeout);
        else if (fp_key_is(&t, "hard_timeout") && t.val != NULL && !t.paren)
            rc = u16_arg(c, &t, "fin_timeout hard_timeout", 0xffff,
                         &a->u.learn_fin.fin_hard_timeout);
        else
            rc = fp_fail(c, -EINVAL, &t, "fin_timeout: unknown argument "
                         "'%.*s' (expected idle_timeout=N, hard_timeout=N)",
                         (int)(t.len > 24 ? 24 : t.len), c->line + t.pos);
        if (rc < 0)
            break;
    }
    fp_inner_close(&in);
    return rc;
}
