/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow 1.1's action set in the flow language: the instructions
 * write_actions(ACTIONS) and clear_actions, and the match field
 * actset_output=PORT|UNSET, as Open vSwitch spells and checks them.
 *
 * A line's instructions come in OpenFlow's order: the applied actions,
 * then clear_actions, write_actions, write_metadata, goto_table, each at
 * most once (Open vSwitch refuses another order "for OpenFlow 1.1+
 * compatibility"). The body of write_actions is checked against the match
 * and the applied actions before it, in the order written, as Open
 * vSwitch checks it; it changes nothing the rest of the line is checked
 * against (the set runs only when the pipeline ends).
 *
 * An action set holds what OpenFlow lets it hold and what snic's datapath
 * runs there (dp_actset.c): outputs, the header rewrites, loads and moves,
 * tunnel fields, push/pop of VLAN tags and MPLS entries, dec_ttl and
 * dec_mpls_ttl. Refused with the reason: the VLAN ID/PCP rewrites (Open
 * vSwitch turns mod_vlan_vid there into a push and a set, and a set onto
 * the tag its own push makes fails its check), and everything that is
 * not an action of a set (resubmit, clone, learn, ct, output to a
 * register or with max_len...).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "flow_priv.h"

/* Could an action of this type be in an action set, for snic? */
static bool
actset_allowed(const struct flow_action *a)
{
    switch ((enum flow_action_type)a->type) {
    case FLOW_ACT_OUTPUT:
    case FLOW_ACT_PUSH_VLAN:
    case FLOW_ACT_STRIP_VLAN:
    case FLOW_ACT_MOD_DL_SRC:
    case FLOW_ACT_MOD_DL_DST:
    case FLOW_ACT_MOD_NW_SRC:
    case FLOW_ACT_MOD_NW_DST:
    case FLOW_ACT_MOD_NW_TOS:
    case FLOW_ACT_MOD_TP_SRC:
    case FLOW_ACT_MOD_TP_DST:
    case FLOW_ACT_DEC_TTL:
    case FLOW_ACT_SET_TUNNEL:
    case FLOW_ACT_SET_TUN_SRC:
    case FLOW_ACT_SET_TUN_DST:
    case FLOW_ACT_MOD_NW_TTL:
    case FLOW_ACT_MOD_NW_ECN:
    case FLOW_ACT_MOVE:
    case FLOW_ACT_SET_IN_PORT:
    case FLOW_ACT_PUSH_MPLS:
    case FLOW_ACT_POP_MPLS:
    case FLOW_ACT_SET_MPLS_LABEL:
    case FLOW_ACT_SET_MPLS_TC:
    case FLOW_ACT_SET_MPLS_TTL:
    case FLOW_ACT_DEC_MPLS_TTL:
        return true;
    case FLOW_ACT_LOAD:
        return !(a->pad0 & FLOW_ACT_F_WRITE_METADATA);
    default:
        return false;
    }
}

/* write_actions(ACTION,...): the body follows the WRITE_ACTIONS action
 * flat in the list, like clone's. */
static int
write_actions(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow *f = &c->fm.flow;
    struct fp_inner in = { .text = NULL };
    struct fp_act_state inner;
    struct flow_action *a;
    struct fp_tok t;
    unsigned at;
    int rc;

    if (!tok->paren)
        return fp_fail(c, -EINVAL, tok, "write_actions needs its actions in "
                       "parentheses (write_actions(ACTION,...))");
    if (st->in_clone || st->in_ct_exec || st->in_actset)
        return fp_fail(c, -EINVAL, tok, "write_actions is an instruction: "
                       "it cannot be inside clone, ct or write_actions");
    if (st->wrote_actset)
        return fp_fail(c, -EINVAL, tok, "write_actions is given twice (one "
                       "instruction of each kind; write the actions in one)");
    if (st->wrote_metadata)
        return fp_fail(c, -EINVAL, tok, "write_actions must come before "
                       "write_metadata (OpenFlow's instruction order)");
    st->instr_append = true;
    rc = fp_act_append(st, tok, FLOW_ACT_WRITE_ACTIONS, &a);
    st->instr_append = false;
    if (rc < 0)
        return rc;
    at = (unsigned)(a - f->actions);
    if ((rc = fp_inner_open(c, tok, "write_actions", &in)) < 0)
        return rc;
    inner = *st;
    inner.in_actset = true;
    inner.cleared_actset = false;
    while (fp_inner_next(c, &in, &t)) {
        unsigned before = f->n_actions;

        if ((rc = fp_check_closed(c, &t)) < 0)
            goto out;
        if ((rc = fp_read_action(&inner, &t)) < 0)
            goto out;
        if (inner.dropped || inner.ended || inner.wrote_metadata) {
            rc = fp_fail(c, -EINVAL, &t, "write_actions: drop, goto_table "
                         "and write_metadata are not actions of an action "
                         "set");
            goto out;
        }
        for (unsigned i = before; i < f->n_actions; i++) {
            const struct flow_action *b = &f->actions[i];

            if (b->type == FLOW_ACT_MOD_VLAN_VID
                || b->type == FLOW_ACT_MOD_VLAN_PCP
                || b->type == FLOW_ACT_MOD_VLAN_TCI) {
                rc = fp_fail(c, -ENOTSUP, &t, "write_actions: VLAN ID and "
                             "PCP rewrites are not supported in an action "
                             "set (Open vSwitch makes mod_vlan_vid there a "
                             "push and a set; use them in the applied "
                             "actions)");
                goto out;
            }
            if (!actset_allowed(b)) {
                rc = fp_fail(c, -ENOTSUP, &t, "write_actions: '%.*s' is not "
                             "an action an action set holds (outputs, "
                             "rewrites, loads, moves, push/pop, dec_ttl)",
                             (int)(t.len > 32 ? 32 : t.len),
                             c->line + t.pos);
                goto out;
            }
            /* a learn's or ct's body never gets here: both are refused
             * above as a whole */
        }
    }
    f->actions[at].u.clone.n = (uint8_t)(f->n_actions - at - 1);
    /* the set runs when the pipeline ends: what the rest of the line is
     * checked against does not change */
    st->wrote_actset = true;
    rc = 0;
out:
    fp_inner_close(&in);
    return rc;
}

static int
clear_actions(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow_action *a;
    int rc;

    if (tok->val != NULL)
        return fp_fail(c, -EINVAL, tok, "clear_actions takes no argument");
    if (st->in_clone || st->in_ct_exec || st->in_actset)
        return fp_fail(c, -EINVAL, tok, "clear_actions is an instruction: "
                       "it cannot be inside clone, ct or write_actions");
    if (st->cleared_actset)
        return fp_fail(c, -EINVAL, tok, "clear_actions is given twice (one "
                       "instruction of each kind)");
    if (st->wrote_actset || st->wrote_metadata)
        return fp_fail(c, -EINVAL, tok, "clear_actions must come before "
                       "write_actions and write_metadata (OpenFlow's "
                       "instruction order)");
    st->instr_append = true;
    rc = fp_act_append(st, tok, FLOW_ACT_CLEAR_ACTIONS, &a);
    st->instr_append = false;
    if (rc < 0)
        return rc;
    st->cleared_actset = true;
    return 0;
}

int
fp_actset_action(struct fp_act_state *st, const struct fp_tok *tok,
                 bool *handled)
{
    *handled = true;
    if (fp_key_is_ci(tok, "write_actions"))
        return write_actions(st, tok);
    if (fp_key_is_ci(tok, "clear_actions"))
        return clear_actions(st, tok);
    *handled = false;
    return 0;
}

/* actset_output=PORT: the port of the output the packet's action set
 * holds; UNSET: none. Open vSwitch reads it as an OpenFlow 1.0 port
 * (16 bits) or a reserved name, exact. */
bool
fp_actset_takes(const char *s, size_t len)
{
    return len == 13 && memcmp(s, "actset_output", 13) == 0;
}

int
fp_actset_match(struct fp_ctx *c, const struct fp_tok *tok, bool *handled)
{
    struct flow_match *m = &c->fm.flow.match;
    uint32_t port;
    int rc;

    *handled = fp_actset_takes(tok->key, tok->klen);
    if (!*handled)
        return 0;
    if (tok->val == NULL)
        return fp_fail(c, -EINVAL, tok, "actset_output needs a value "
                       "(actset_output=PORT or UNSET)");
    if ((rc = fp_claim(c, tok, FP_ACTSET_OUTPUT)) < 0)
        return rc;
    if ((tok->vlen == 5 && strncasecmp(tok->val, "unset", 5) == 0)) {
        port = 0;
    } else {
        if (memchr(tok->val, '/', tok->vlen) != NULL)
            return fp_fail(c, -EINVAL, tok, "actset_output takes no mask "
                           "(a port, or UNSET)");
        if ((rc = fp_port(c, tok, tok->val, tok->vlen, "actset_output",
                          &port)) < 0)
            return rc;
        if (port == 0 || (port >= 0xff00 && port <= FLOW_PORT_MAX)
            || port == FLOW_PORT_TABLE || port == FLOW_PORT_ANY)
            return fp_fail(c, -ENOTSUP, tok, "actset_output=%.*s is not a "
                           "port an action set can output to (a port "
                           "1..65279, IN_PORT, NORMAL, FLOOD, ALL, "
                           "CONTROLLER, LOCAL, or UNSET)",
                           (int)(tok->vlen > 24 ? 24 : tok->vlen), tok->val);
    }
    m->value.meta.actset_output = port;
    m->mask.meta.actset_output = UINT32_MAX;
    return 0;
}
