/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The translator's building blocks: append an item or an action to a
 * rule, refuse with a reason, look a port up by its OpenFlow number. A
 * leaf: the match half (snicd_xlate.c), the action half
 * (snicd_xlate_act.c), the tunnel rules (snicd_xlate_tun.c) and the
 * offload manager call forward into it, and it calls none of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "snicd_xlate.h"
#include "snicd_xlate_priv.h"

int
snicd_xl_refuse(struct snicd_xlate *x, enum snicd_xlate_refusal kind,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(x->reason, sizeof(x->reason), fmt, ap);
    va_end(ap);
    x->refusal = kind;
    return -ENOTSUP;
}

/* How many actions after @a belong to it: a body or more arguments. */
static unsigned
n_after(const struct flow_action *a)
{
    switch (a->type) {
    case FLOW_ACT_CLONE:
    case FLOW_ACT_WRITE_ACTIONS:
        return a->u.clone.n;
    case FLOW_ACT_LEARN:
        return a->u.learn.n;
    case FLOW_ACT_CT:
        return a->u.ct.n_exec;
    case FLOW_ACT_NOTE:
        return a->u.note.n;
    default:
        return flow_action_n_args(a);
    }
}

int
snicd_xlate_jump(const struct flow *f)
{
    return snicd_xlate_jump_of(f->actions, f->n_actions, f->table_id);
}

int
snicd_xlate_jump_of(const struct flow_action *acts, unsigned n_actions,
                    unsigned table_id)
{
    const struct flow_action *a = NULL;
    unsigned t;

    if (n_actions == 0 || n_actions > FLOW_MAX_ACTIONS)
        return -1;
    /* the last action of the list itself: a resubmit that ends a clone's
     * body returns to the clone's end, like any resubmit inside one */
    for (unsigned i = 0; i < n_actions; i += 1 + n_after(a))
        a = &acts[i];
    if (a != &acts[n_actions - 1])
        return -1;
    if (a->type == FLOW_ACT_GOTO_TABLE)
        t = a->u.table;
    else if (a->type == FLOW_ACT_RESUBMIT
             && a->u.resubmit.port == FLOW_RESUBMIT_IN_PORT
             && a->u.resubmit.table != FLOW_RESUBMIT_TABLE_SAME)
        t = a->u.resubmit.table;
    else
        return -1;
    return t > table_id && t <= FLOW_TABLE_MAX ? (int)t : -1;
}

const struct snicd_port_info *
snicd_xlate_port(const struct snicd_port_info *ports, unsigned n_ports,
                 uint32_t ofport)
{
    for (unsigned i = 0; i < n_ports; i++)
        if (ports[i].ofport == ofport)
            return &ports[i];
    return NULL;
}

const char *
snicd_xl_port_name(const struct snicd_xlate_ctx *ctx, uint32_t ofport,
                   char *buf, size_t size)
{
    const struct snicd_port_info *p = snicd_xlate_port(ctx->ports,
                                                       ctx->n_ports, ofport);

    if (p != NULL && p->name[0] != '\0')
        return p->name;
    snprintf(buf, size, "%u", ofport);
    return buf;
}

const char *
snicd_xl_tags_why(const struct snicd_xlate_ctx *ctx, char *buf, size_t size)
{
    if (ctx->n_tags == 0)
        snprintf(buf, size, "the device has no TAG registers");
    else if (ctx->n_tags == 1)
        snprintf(buf, size, "the card has 1 TAG register, mapped to reg0");
    else
        snprintf(buf, size, "the card has %u TAG registers, mapped to "
                 "reg0..reg%u", ctx->n_tags, ctx->n_tags - 1);
    return buf;
}

/* what snicd_xl_clear() clears in one go lies between these */
_Static_assert(offsetof(struct snicd_xlate, n_items)
               > offsetof(struct snicd_xlate, actions)
               && offsetof(struct snicd_xlate, conf)
                  > offsetof(struct snicd_xlate, meta_mask)
               && offsetof(struct snicd_xlate, encap)
                  > offsetof(struct snicd_xlate, conf)
               && offsetof(struct snicd_xlate, n_encaps)
                  > offsetof(struct snicd_xlate, encap),
               "struct snicd_xlate: the arrays left to their takers moved");

void
snicd_xl_clear(struct snicd_xlate *x)
{
    memset(&x->attr, 0, sizeof(x->attr));
    memset(&x->n_items, 0, offsetof(struct snicd_xlate, conf)
                           - offsetof(struct snicd_xlate, n_items));
    x->n_encaps = 0;
}

void
snicd_xl_end(struct snicd_xlate *x)
{
    x->items[x->n_items] = (struct rte_flow_item){
        .type = RTE_FLOW_ITEM_TYPE_END };
    x->actions[x->n_actions] = (struct rte_flow_action){
        .type = RTE_FLOW_ACTION_TYPE_END };
}

struct snicd_xlate_encap *
snicd_xl_encap(struct snicd_xlate *x)
{
    struct snicd_xlate_encap *e = &x->encap[x->n_encaps++];

    memset(e, 0, sizeof(*e));
    return e;
}

void
snicd_xl_item(struct snicd_xlate *x, enum rte_flow_item_type type,
              const void *spec, const void *mask)
{
    struct rte_flow_item *it = &x->items[x->n_items++];

    it->type = type;
    it->spec = spec;
    it->mask = mask;
    it->last = NULL;
}

union snicd_xlate_conf *
snicd_xl_action(struct snicd_xlate *x, enum rte_flow_action_type type,
                bool with_conf)
{
    struct rte_flow_action *a;
    union snicd_xlate_conf *c;

    /* the caller checked room: SNICD_XLATE_MAX_ACTIONS covers the worst
     * case of FLOW_MAX_ACTIONS flow actions */
    a = &x->actions[x->n_actions];
    c = &x->conf[x->n_actions];
    x->n_actions++;
    memset(c, 0, sizeof(*c));
    a->type = type;
    a->conf = with_conf ? c : NULL;
    return c;
}
