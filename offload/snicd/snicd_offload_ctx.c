/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a flow's translation is given (its context) and which ports are
 * gone: read by the rule's installer and by the rules derived from a flow
 * (NORMAL's conversations), below both of them.
 */
#include <string.h>

#include <rte_flow.h>

#include "snicd_offload_priv.h"
#include "snicd_xlate.h"

/* Group 0's first levels belong to the tunnel guards: a flow's level
 * there is counted below them. */
void
snicd_offload_xlate_ctx(const struct snicd_offload *o,
                        const struct snicd_oflow *f,
                        struct snicd_xlate_ctx *c, uint32_t level,
                        uint32_t mark, enum snicd_xlate_mode mode)
{
    int to;

    memset(c, 0, sizeof(*c));
    c->ports = o->ports;
    c->n_ports = o->n_ports;
    c->priority = level + (f->table_id == 0 ? o->root_reserved : 0);
    c->mark = mark;
    c->mode = mode;
    c->n_tags = o->n_tags;
    /* the PMD fills the field snicd registered (snicd_main.c) */
    c->meta_to_host = rte_flow_dynf_metadata_avail() != 0;
    /* its target is sealed (snicd_offload_regjump.c) */
    c->regs_cross = f->reg_whole;
    /* rule 4: no copy leaves before a jump to where software may drop
     * the packet whole */
    to = snicd_oflow_jump(f);
    c->goto_may_fail = to >= 0 && snicd_fail_may(&o->fail, (unsigned)to);
}

bool
snicd_offload_port_is_gone(const struct snicd_offload *o, uint32_t ofport)
{
    for (unsigned i = 0; i < o->n_gone; i++)
        if (o->gone[i] == ofport)
            return true;
    return false;
}
