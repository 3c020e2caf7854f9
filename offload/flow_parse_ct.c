/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking in the flow language, as Open vSwitch spells it:
 * the match fields ct_state, ct_zone (ct_mark and ct_label are
 * register-like fields, read by flow_parse_meta.c), and the actions
 * ct(...) and ct_clear.
 *
 *   ct([commit][,force][,table=N][,zone=N|zone=SUBFIELD][,nat]
 *      [,exec(set_field:V[/M]->ct_mark|ct_label, load:..., move:...)])
 *
 * exec()'s actions follow the CT action flat in the list (u.ct.n_exec of
 * them), as a clone's body does. Refused with the reason: nat(...) with
 * arguments (snic's tracker does no address translation), alg= (no
 * application-layer gateways), and whatever Open vSwitch refuses: ct
 * without an ip/ipv6 match, force without commit, commit under a match on
 * +inv, other actions inside exec(), ct_mark / ct_label written outside
 * it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow_priv.h"

static const char *const cs_names[8] = {
    "new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat",
};

/* One flag name of s[0..n), or -1. */
static int
cs_bit(const char *s, size_t n)
{
    for (int i = 0; i < 8; i++)
        if (strlen(cs_names[i]) == n && memcmp(cs_names[i], s, n) == 0)
            return i;
    return -1;
}

/* ct_state=+trk-new (the flags named, each set or clear), trk|est
 * (exactly those set: the whole field), or N[/M]. */
static int
read_ct_state(struct fp_ctx *c, const struct fp_tok *tok)
{
    const char *s = tok->val, *end = tok->val + tok->vlen;
    uint64_t v = 0, m = 0;
    bool signs;
    int rc;

    if (tok->vlen == 0)
        return fp_fail(c, -EINVAL, tok, "ct_state needs a value (+trk+est, "
                       "trk|est or 0x22/0x22)");
    if (s[0] >= '0' && s[0] <= '9') {
        rc = fp_uint_masked(c, tok, UINT32_MAX, "ct_state", "flag bits "
                            "0..0xff[/mask], +trk+est or trk|est", &v, &m);
        if (rc < 0)
            return rc;
        if (v & ~(uint64_t)FLOW_CS_ALL)
            return fp_fail(c, -EINVAL, tok, "ct_state: 0x%llx has unknown "
                           "flags (the flags are 0x01 new .. 0x80 dnat)",
                           (unsigned long long)v);
        /* the bits above dnat are always zero: a mask on them matches
         * the same packets as without */
        m &= FLOW_CS_ALL;
        goto done;
    }
    signs = s[0] == '+' || s[0] == '-';
    if (!signs)
        m = FLOW_CS_ALL;
    while (s < end) {
        bool set = true;
        const char *e;
        size_t n;
        int bit;

        if (signs) {
            set = *s++ == '+';
            for (e = s; e < end && *e != '+' && *e != '-'; e++)
                ;
        } else {
            for (e = s; e < end && *e != '|'; e++)
                ;
        }
        n = (size_t)(e - s);
        bit = cs_bit(s, n);
        if (bit < 0)
            return fp_fail(c, -EINVAL, tok, "ct_state: unknown flag '%.*s' "
                           "(expected new, est, rel, rpl, inv, trk, snat, "
                           "dnat, as +trk+est or trk|est)",
                           (int)(n > 16 ? 16 : n), s);
        if ((signs && (m & 1u << bit)) || (!signs && (v & 1u << bit)))
            return fp_fail(c, -EINVAL, tok, "ct_state: '%s' is given twice "
                           "(name each flag once)", cs_names[bit]);
        if (signs)
            m |= 1u << bit;
        if (set)
            v |= 1u << bit;
        s = e;
        if (!signs && s < end)
            s++;                    /* the '|' */
    }
done:
    rc = fp_claim(c, tok, FP_CT_STATE);
    if (rc < 0)
        return rc;
    c->fm.flow.match.value.meta.ct_state = (uint8_t)(v & m);
    c->fm.flow.match.mask.meta.ct_state = (uint8_t)m;
    return 0;
}

static int
read_ct_zone(struct fp_ctx *c, const struct fp_tok *tok)
{
    uint64_t v;
    int rc;

    if (memchr(tok->val, '/', tok->vlen) != NULL)
        return fp_fail(c, -EINVAL, tok, "ct_zone cannot be masked (give "
                       "one zone, 0..65535)");
    rc = fp_uint(c, tok, tok->val, tok->vlen, UINT16_MAX, "ct_zone",
                 "a zone 0..65535", &v);
    if (rc < 0)
        return rc;
    rc = fp_claim(c, tok, FP_CT_ZONE);
    if (rc < 0)
        return rc;
    c->fm.flow.match.value.meta.ct_zone = (uint16_t)v;
    c->fm.flow.match.mask.meta.ct_zone = UINT16_MAX;
    return 0;
}

bool
fp_ct_takes(const char *s, size_t len)
{
    return (len == 8 && memcmp(s, "ct_state", 8) == 0)
           || (len == 7 && memcmp(s, "ct_zone", 7) == 0);
}

int
fp_ct_match(struct fp_ctx *c, const struct fp_tok *tok, bool *handled)
{
    bool state = fp_key_is(tok, "ct_state");

    *handled = fp_ct_takes(tok->key, tok->klen);
    if (!*handled)
        return 0;
    if (tok->val == NULL || tok->paren)
        return fp_fail(c, -EINVAL, tok, "%.*s needs a value (%.*s=VALUE)",
                       (int)tok->klen, tok->key, (int)tok->klen, tok->key);
    return state ? read_ct_state(c, tok) : read_ct_zone(c, tok);
}

static bool
is_ct_field(unsigned field)
{
    return field == FLOW_FIELD_CT_MARK || field == FLOW_FIELD_CT_LABEL;
}

int
fp_ct_check_dst(struct fp_act_state *st, const struct fp_tok *tok,
                unsigned field)
{
    char name[24];

    if (is_ct_field(field) && !st->in_ct_exec)
        return fp_fail(st->c, -EINVAL, tok, "cannot set CT fields outside "
                       "of ct action (write ct(commit,exec(set_field:"
                       "V->ct_mark)))");
    if (!is_ct_field(field) && st->in_ct_exec) {
        flow_field_name(field, name, sizeof(name));
        return fp_fail(st->c, -EINVAL, tok, "ct action doesn't support "
                       "nested modification of %s (only ct_mark and "
                       "ct_label)", name);
    }
    return 0;
}

/* zone=N or zone=SUBFIELD */
static int
ct_zone_arg(struct fp_ctx *c, const struct fp_tok *t, struct flow_action *a)
{
    uint64_t v;
    int rc;

    if (t->val == NULL || t->vlen == 0)
        return fp_fail(c, -EINVAL, t, "ct: zone needs a value (zone=N or "
                       "zone=NXM_NX_REG0[0..15])");
    if (t->val[0] >= '0' && t->val[0] <= '9') {
        rc = fp_uint(c, t, t->val, t->vlen, UINT16_MAX, "ct zone",
                     "a zone 0..65535 or a subfield", &v);
        if (rc < 0)
            return rc;
        a->u.ct.zone = (uint16_t)v;
        a->dst = (struct flow_subfield){ 0 };
        return 0;
    }
    rc = fp_subfield(c, t, t->val, t->vlen, "ct zone", &a->dst);
    if (rc < 0)
        return rc;
    if (a->dst.n_bits > 32)
        return fp_fail(c, -ERANGE, t, "ct: a zone subfield is at most 32 "
                       "bits wide (its low 16 bits are the zone)");
    a->u.ct.zone = 0;
    return 0;
}

static int read_exec(struct fp_act_state *st, const struct fp_tok *t,
                     unsigned at);

/* Each token of ct(...)'s body, pointed back into the line. */
static int
ct_action(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow *f = &c->fm.flow;
    const struct flow_match *m = &f->match;
    struct fp_inner in = { .text = NULL };
    struct flow_action *a;
    unsigned at;
    struct fp_tok t;
    uint64_t v;
    int rc;

    if (tok->val != NULL && !tok->paren)
        return fp_fail(c, -EINVAL, tok, "ct takes its arguments in "
                       "parentheses (ct(commit,zone=1,table=2))");
    if (st->in_ct_exec)
        return fp_fail(c, -EINVAL, tok, "ct action doesn't support nested "
                       "action ct");
    if (!flow_match_is_ipv4(m) && !flow_match_is_ipv6(m))
        return fp_fail(c, -EINVAL, tok, "ct needs a match on ip or ipv6 "
                       "(Open vSwitch: actions are invalid with specified "
                       "match)");
    if ((rc = fp_act_append(st, tok, FLOW_ACT_CT, &a)) < 0)
        return rc;
    at = (unsigned)(a - f->actions);
    a->u.ct.table = FLOW_CT_TABLE_NONE;
    if (tok->val == NULL || tok->vlen == 0)
        return 0;
    if ((rc = fp_inner_open(c, tok, "ct", &in)) < 0)
        return rc;
    while (fp_inner_next(c, &in, &t)) {
        a = &f->actions[at];
        if ((rc = fp_check_closed(c, &t)) < 0)
            goto out;
        if (fp_key_is(&t, "commit") && t.val == NULL) {
            a->u.ct.flags |= FLOW_CT_F_COMMIT;
        } else if (fp_key_is(&t, "force") && t.val == NULL) {
            a->u.ct.flags |= FLOW_CT_F_FORCE;
        } else if (fp_key_is(&t, "table")) {
            rc = fp_uint(c, &t, t.val, t.val ? t.vlen : 0, FLOW_TABLE_MAX,
                         "ct table", "a table 0..254", &v);
            if (rc < 0)
                goto out;
            a->u.ct.table = (uint8_t)v;
        } else if (fp_key_is(&t, "zone")) {
            if ((rc = ct_zone_arg(c, &t, a)) < 0)
                goto out;
        } else if (fp_key_is(&t, "nat")) {
            if (t.val != NULL && t.vlen > 0) {
                rc = fp_fail(c, -ENOTSUP, &t, "ct: nat with arguments is "
                             "not supported (snic's connection tracker "
                             "translates no addresses; ct(nat) alone is)");
                goto out;
            }
            a->u.ct.flags |= FLOW_CT_F_NAT;
        } else if (fp_key_is(&t, "exec")) {
            if (!t.paren) {
                rc = fp_fail(c, -EINVAL, &t, "ct: exec takes its actions "
                             "in parentheses (exec(set_field:1->ct_mark))");
                goto out;
            }
            if ((rc = read_exec(st, &t, at)) < 0)
                goto out;
        } else if (fp_key_is(&t, "alg")) {
            rc = fp_fail(c, -ENOTSUP, &t, "ct: alg= is not supported "
                         "(snic's connection tracker has no application-"
                         "layer gateways: FTP and TFTP data connections "
                         "are not related to their control connection)");
            goto out;
        } else {
            rc = fp_fail(c, -EINVAL, &t, "ct: unknown argument '%.*s' "
                         "(expected commit, force, table=N, zone=N, nat, "
                         "exec(...))", (int)(t.klen > 24 ? 24 : t.klen),
                         t.key);
            goto out;
        }
    }
    a = &f->actions[at];
    if ((a->u.ct.flags & FLOW_CT_F_FORCE)
        && !(a->u.ct.flags & FLOW_CT_F_COMMIT)) {
        rc = fp_fail(c, -EINVAL, tok, "ct: \"force\" flag requires "
                     "\"commit\" flag");
        goto out;
    }
    if ((a->u.ct.flags & FLOW_CT_F_COMMIT)
        && (m->mask.meta.ct_state & m->value.meta.ct_state
            & FLOW_CS_INVALID)) {
        rc = fp_fail(c, -EINVAL, tok, "ct: commit of a packet matched "
                     "+inv (Open vSwitch: actions are invalid with "
                     "specified match)");
        goto out;
    }
    rc = 0;
out:
    fp_inner_close(&in);
    return rc;
}

/* exec(ACTIONS): loads and moves to ct_mark / ct_label, appended after
 * the CT action at @at (several exec() add up). */
static int
read_exec(struct fp_act_state *st, const struct fp_tok *t, unsigned at)
{
    struct fp_ctx *c = st->c;
    struct flow *f = &c->fm.flow;
    struct fp_act_state inner = *st;
    struct fp_inner in;
    struct fp_tok e;
    int rc;

    if ((rc = fp_inner_open(c, t, "ct", &in)) < 0)
        return rc;
    /* exec's actions must follow the CT action (or the exec before) */
    if (f->n_actions != at + 1u + f->actions[at].u.ct.n_exec) {
        rc = fp_fail(c, -EINVAL, t, "ct: exec() is given after an action "
                     "that is not its own");
        goto out;
    }
    inner.in_ct_exec = true;
    while (fp_inner_next(c, &in, &e)) {
        unsigned before = f->n_actions;

        if ((rc = fp_check_closed(c, &e)) < 0)
            goto out;
        if (!fp_key_is_ci(&e, "set_field") && !fp_key_is_ci(&e, "load")
            && !fp_key_is_ci(&e, "move")) {
            rc = fp_fail(c, -EINVAL, &e, "ct action doesn't support nested "
                         "action %.*s (only set_field, load and move to "
                         "ct_mark or ct_label)",
                         (int)(e.klen > 24 ? 24 : e.klen), e.key);
            goto out;
        }
        if ((rc = fp_read_action(&inner, &e)) < 0)
            goto out;
        for (unsigned i = before; i < f->n_actions; i++)
            if (f->actions[i].type != FLOW_ACT_LOAD
                && f->actions[i].type != FLOW_ACT_MOVE) {
                rc = fp_fail(c, -EINVAL, &e, "ct action doesn't support "
                             "nested action %.*s",
                             (int)(e.klen > 24 ? 24 : e.klen), e.key);
                goto out;
            }
        f->actions[at].u.ct.n_exec =
            (uint8_t)(f->n_actions - at - 1);
    }
out:
    fp_inner_close(&in);
    return rc;
}

int
fp_ct_action(struct fp_act_state *st, const struct fp_tok *tok,
             bool *handled)
{
    struct flow_action *a;
    int rc;

    *handled = true;
    if (fp_key_is_ci(tok, "ct"))
        return ct_action(st, tok);
    if (fp_key_is_ci(tok, "ct_clear")) {
        if (tok->val != NULL)
            return fp_fail(st->c, -EINVAL, tok, "ct_clear takes no "
                           "argument");
        if (st->in_ct_exec)
            return fp_fail(st->c, -EINVAL, tok, "ct action doesn't "
                           "support nested action ct_clear");
        rc = fp_act_append(st, tok, FLOW_ACT_CT_CLEAR, &a);
        return rc;
    }
    *handled = false;
    return 0;
}
