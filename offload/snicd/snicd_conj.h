/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conjunctive matches as hardware rules (docs/snicd.md "Conjunctions on
 * the card"): the conjunction(id,k/n) clause flows of one table and the
 * conj_id=id flow they complete become one rule per combination of the
 * clauses' matches (one clause flow from each dimension), whose match is
 * the intersection of those clause matches and of the conj_id flow's own
 * match without conj_id, whose actions are the conj_id flow's, at the
 * clauses' priority. Each such rule is placed like an ordinary flow of
 * that priority that loses every tie (an ordinary flow of the clauses'
 * priority beats the conjunction in software: clause flows count only
 * above the best ordinary flow).
 *
 * That is the software's answer for every packet only under the
 * conditions snicd_conj_derive() checks (the why of each is in
 * snicd_conj.c); otherwise the conjunction stays in software whole, with
 * a reason naming what breaks it.
 *
 * A leaf: it reads flows and writes flows, and calls nothing of the
 * offload manager. Control thread only.
 */
#ifndef SNICD_CONJ_H
#define SNICD_CONJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snic/flow.h"

/* Combinations (rules) of one conjunction at most: the product of its
 * dimensions' clause counts, before empty intersections are dropped. */
#define SNICD_CONJ_MAX_RULES    64u
#define SNICD_CONJ_REASON_SIZE  160u

/* One flow of the table, as the caller knows it. */
struct snicd_conj_in {
    uint64_t id;                /* classifier tie-break: lower is older */
    const struct flow *flow;
};

/* One conjunction of the table. */
struct snicd_conj {
    uint32_t id;                /* the conj_id it completes */
    bool ok;                    /* offloaded as its combinations */
    char reason[SNICD_CONJ_REASON_SIZE];    /* why not, when !ok */
    uint64_t conj_flow;         /* the conj_id flow's id, 0: none */
    uint16_t priority;          /* the clauses' (when they share one) */
    uint64_t *clauses;          /* clause flows' ids */
    uint32_t n_clauses;
    uint32_t n_combos;          /* product of the dimensions (ok or the
                                 * limit refused it) */
    struct flow *rules;         /* when ok: the non-empty combinations */
    uint32_t n_rules;
};

/* Every conjunction of the table @in[0..@n) (one table's flows), sorted
 * by id, into *@out / *@n_out (free with snicd_conj_free). 0, or
 * -ENOMEM. */
int snicd_conj_derive(const struct snicd_conj_in *in, size_t n,
                      struct snicd_conj **out, size_t *n_out);
void snicd_conj_free(struct snicd_conj *v, size_t n);

/* Is @f a conj_id flow (a match on conj_id)? */
static inline bool
snicd_conj_is_target(const struct flow *f)
{
    return f->match.mask.meta.conj_id != 0;
}

#endif /* SNICD_CONJ_H */
