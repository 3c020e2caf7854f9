/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The register stack of the flow language: push:SUBFIELD and
 * pop:SUBFIELD, as Open vSwitch spells them (push:NXM_NX_REG0[],
 * pop:reg1[0..7]). A packet's stack starts empty; push puts the
 * subfield's value on top, pop takes the top value into the subfield
 * (its low bits, as wide as the subfield; an empty stack leaves the
 * subfield alone). The fields are those load and move name; pop's is
 * written, so the connection's ct_mark and ct_label are not (they are
 * written only in ct(exec(...))).
 */
#include <errno.h>

#include "flow_priv.h"

static int
stack_action(struct fp_act_state *st, const struct fp_tok *tok, bool push)
{
    struct fp_ctx *c = st->c;
    const char *name = push ? "push" : "pop";
    struct flow_subfield sf;
    struct flow_action *a;
    int rc;

    if (tok->val == NULL || tok->vlen == 0)
        return fp_fail(c, -EINVAL, tok, "%s needs a field (%s:NXM_NX_REG0[] "
                       "or %s:reg0[0..7])", name, name, name);
    rc = fp_hdr_subfield(st, tok, tok->val, tok->vlen, name, !push, &sf);
    if (rc < 0)
        return rc;
    if (!push && (rc = fp_ct_check_dst(st, tok, sf.field)) < 0)
        return rc;
    rc = fp_act_append(st, tok, push ? FLOW_ACT_STACK_PUSH
                                     : FLOW_ACT_STACK_POP, &a);
    if (rc < 0)
        return rc;
    if (push)
        a->u.src = sf;
    else
        a->dst = sf;
    return 0;
}

int
fp_stack_action(struct fp_act_state *st, const struct fp_tok *tok,
                bool *handled)
{
    *handled = true;
    if (fp_key_is_ci(tok, "push") && !tok->paren)
        return stack_action(st, tok, true);
    if (fp_key_is_ci(tok, "pop") && !tok->paren)
        return stack_action(st, tok, false);
    *handled = false;
    return 0;
}
