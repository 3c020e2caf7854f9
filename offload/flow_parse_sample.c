/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two actions that look at a packet without changing it, as Open vSwitch
 * spells them:
 *
 *  - check_pkt_larger(N)->DST: the 1-bit subfield DST becomes 1 when the
 *    packet is longer than N bytes, else 0 (a register bit a later table
 *    matches, e.g. to send large packets to a path that fragments them);
 *  - sample(probability=P,collector_set_id=C,obs_domain_id=D,
 *    obs_point_id=O,sampling_port=PORT,ingress|egress): Open vSwitch's
 *    per-flow IPFIX sampling. snic has no IPFIX exporter, so the action is
 *    kept with all its arguments and printed back, and does nothing to the
 *    packet (neither does Open vSwitch's without an exporter configured;
 *    docs/ovs-differences.md).
 */
#include <errno.h>
#include <string.h>

#include "flow_priv.h"

static int
check_pkt_larger(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow_subfield dst;
    struct flow_action *a;
    uint64_t len;
    int rc;

    if (!tok->paren || tok->val == NULL || tok->tail == NULL)
        return fp_fail(c, -EINVAL, tok, "check_pkt_larger needs a length "
                       "and a 1-bit destination "
                       "(check_pkt_larger(1500)->NXM_NX_REG0[0])");
    rc = fp_uint(c, tok, tok->val, tok->vlen, 0xffff, "check_pkt_larger",
                 "a length of 0..65535 bytes", &len);
    if (rc < 0)
        return rc;
    rc = fp_hdr_subfield(st, tok, tok->tail, tok->tlen, "check_pkt_larger",
                         true, &dst);
    if (rc < 0)
        return rc;
    if (dst.n_bits != 1)
        return fp_fail(c, -EINVAL, tok, "check_pkt_larger: the destination "
                       "is %u bits wide (only a 1-bit destination is "
                       "allowed, e.g. NXM_NX_REG0[0])", dst.n_bits);
    rc = fp_ct_check_dst(st, tok, dst.field);
    if (rc < 0)
        return rc;
    rc = fp_act_append(st, tok, FLOW_ACT_CHECK_PKT_LARGER, &a);
    if (rc < 0)
        return rc;
    a->dst = dst;
    a->u.pkt_len = (uint16_t)len;
    return 0;
}

/* One KEY=VALUE (or ingress / egress) of sample(...) into the two
 * actions. */
static int
sample_arg(struct fp_act_state *st, const struct fp_tok *t,
           struct flow_action *a, struct flow_action *more)
{
    struct fp_ctx *c = st->c;
    uint64_t v;
    int rc;

    if (t->val == NULL || t->paren) {
        if (fp_key_is(t, "ingress") && t->val == NULL) {
            more->pad0 = FLOW_SAMPLE_INGRESS;
            return 0;
        }
        if (fp_key_is(t, "egress") && t->val == NULL) {
            more->pad0 = FLOW_SAMPLE_EGRESS;
            return 0;
        }
    } else if (fp_key_is(t, "probability")) {
        rc = fp_uint(c, t, t->val, t->vlen, 0xffff, "sample probability",
                     "1..65535 (in 65535)", &v);
        if (rc < 0)
            return rc;
        if (v == 0)
            return fp_fail(c, -EINVAL, t, "sample: probability 0 samples "
                           "nothing (expected 1..65535, in 65535)");
        a->pad0 = (uint16_t)v;
        return 0;
    } else if (fp_key_is(t, "collector_set_id")
               || fp_key_is(t, "obs_domain_id")
               || fp_key_is(t, "obs_point_id")) {
        rc = fp_uint(c, t, t->val, t->vlen, UINT32_MAX, "sample",
                     "an id of 0..4294967295", &v);
        if (rc < 0)
            return rc;
        if (t->key[0] == 'c')
            a->u.sample.collector_set_id = (uint32_t)v;
        else if (t->key[4] == 'd')
            a->u.sample.obs_domain_id = (uint32_t)v;
        else
            more->u.sample_more.obs_point_id = (uint32_t)v;
        return 0;
    } else if (fp_key_is(t, "sampling_port")) {
        uint32_t port;

        rc = fp_port(c, t, t->val, t->vlen, "sample sampling_port", &port);
        if (rc < 0)
            return rc;
        more->u.sample_more.sampling_port = port;
        return 0;
    }
    return fp_fail(c, -EINVAL, t, "sample: unknown argument '%.*s' "
                   "(expected probability=, collector_set_id=, "
                   "obs_domain_id=, obs_point_id=, sampling_port=, ingress "
                   "or egress)", (int)(t->klen > 24 ? 24 : t->klen), t->key);
}

static int
sample(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow *f = &c->fm.flow;
    struct fp_inner in = { .text = NULL };
    struct flow_action a = { .type = FLOW_ACT_SAMPLE };
    struct flow_action more = {
        .type = FLOW_ACT_ARGS,
        .u.sample_more.sampling_port = FLOW_PORT_ANY,
    };
    struct flow_action *slot;
    struct fp_tok t;
    int rc;

    if (!tok->paren)
        return fp_fail(c, -EINVAL, tok, "sample needs its arguments in "
                       "parentheses (sample(probability=N,"
                       "collector_set_id=N,...))");
    if ((rc = fp_inner_open(c, tok, "sample", &in)) < 0)
        return rc;
    /* a later argument replaces an earlier one, as in ovs-ofctl */
    while (fp_inner_next(c, &in, &t))
        if ((rc = sample_arg(st, &t, &a, &more)) < 0)
            goto out;
    if (a.pad0 == 0) {
        rc = fp_fail(c, -EINVAL, tok, "sample needs a non-zero "
                     "probability (probability=1..65535, in 65535)");
        goto out;
    }
    if ((rc = fp_act_append(st, tok, FLOW_ACT_SAMPLE, &slot)) < 0)
        goto out;
    *slot = a;
    if ((rc = fp_act_append(st, tok, FLOW_ACT_ARGS, &slot)) < 0) {
        f->n_actions--;
        goto out;
    }
    *slot = more;
    rc = 0;
out:
    fp_inner_close(&in);
    return rc;
}

int
fp_sample_action(struct fp_act_state *st, const struct fp_tok *tok,
                 bool *handled)
{
    *handled = true;
    if (fp_key_is_ci(tok, "check_pkt_larger"))
        return check_pkt_larger(st, tok);
    if (fp_key_is_ci(tok, "sample"))
        return sample(st, tok);
    *handled = false;
    return 0;
}
