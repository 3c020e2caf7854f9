/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State the match and action halves of the translator share
 * (snicd_xlate.c, snicd_xlate_act.c), and the building blocks of
 * snicd_xlate_build.c. Private to the translator. The match half calls
 * the action half; both, and the tunnel rules, call the building blocks.
 */
#ifndef SNICD_XLATE_PRIV_H
#define SNICD_XLATE_PRIV_H

#include "snicd_xlate.h"

struct snicd_xl {
    const struct flow *f;
    const struct snicd_xlate_ctx *ctx;
    struct snicd_xlate *x;
    const struct flow_key *v;
    struct flow_key m;          /* mask bits not yet consumed */
    bool in_port_exact;
    uint32_t in_port;           /* valid with in_port_exact */
};

/* snicd_xlate_build.c (leaf): refusals, port names, items, actions */
int snicd_xl_refuse(struct snicd_xlate *x, enum snicd_xlate_refusal kind,
                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *snicd_xl_port_name(const struct snicd_xlate_ctx *ctx,
                               uint32_t ofport, char *buf, size_t size);

/* "the card has 8 TAG registers, mapped to reg0..reg7" (or has none):
 * why a register past them stays in software. */
const char *snicd_xl_tags_why(const struct snicd_xlate_ctx *ctx, char *buf,
                              size_t size);

/* Make @x empty for a new rule: everything but the item, action, conf
 * and encap arrays, whose entries are cleared as they are taken
 * (snicd_xl_item, snicd_xl_action, snicd_xl_encap), the END after them
 * written whole (snicd_xl_end). Clearing all 12.6 KB for every flow was
 * a third of the add path's instructions (#13). */
void snicd_xl_clear(struct snicd_xlate *x);
void snicd_xl_end(struct snicd_xlate *x);
/* The next encap slot, cleared (the caller checked room). */
struct snicd_xlate_encap *snicd_xl_encap(struct snicd_xlate *x);
void snicd_xl_item(struct snicd_xlate *x, enum rte_flow_item_type type,
                   const void *spec, const void *mask);
union snicd_xlate_conf *snicd_xl_action(struct snicd_xlate *x,
                                        enum rte_flow_action_type type,
                                        bool with_conf);

/* snicd_xlate_act.c: the action list (full mode) or MARK + to the
 * ingress representor. */
int snicd_xl_actions(struct snicd_xl *s);
int snicd_xl_partial(struct snicd_xl *s);

#endif /* SNICD_XLATE_PRIV_H */
