/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conjunctive matches as one rule per combination of their clauses
 * (snicd_conj.h). Why the conditions are what they are, against the
 * lookup of include/snic/flow.h ("CONJUNCTION"), for a packet p that
 * matches a combination C (one clause flow of each dimension, and the
 * conj_id flow's other fields) of conjunction X at priority Q:
 *
 *  - Software takes X's clauses only above the best ordinary flow H in
 *    view. H at Q or above wins; the rule, placed as an ordinary flow of
 *    priority Q that loses ties, comes after H in the placement order, so
 *    rules 1 and 2 already give H the packet (or send the rule to
 *    software behind H).
 *  - Clause flows above Q: those of a conjunction in software are
 *    software flows and shadow C (rule 1); those of an offloaded one
 *    either complete it (its own rule, placed first) or drop out of view,
 *    since a clause flow alone in its list of identical matches has
 *    nothing behind it (condition: no other flow with a clause's match).
 *  - At Q, software completes the lowest id whose conj_id lookup finds a
 *    flow: another conjunction's clause flow at Q overlapping C could
 *    complete first, or its clauses be miscounted (refused).
 *  - The conj_id lookup answers the best flow matching p with conj_id=X:
 *    the conj_id flow F, or an ordinary flow better than F (one below Q:
 *    those at Q or above are the first point). So no ordinary flow below
 *    Q that beats F may overlap C (refused), and F must be the only flow
 *    that matches conj_id=X, exactly.
 *  - One conjunction action per clause flow: a flow in two conjunctions
 *    would make the lowest complete id decide between two rules.
 *  - A packet that matches no combination finds, in software, the clause
 *    flows drop out (their lists hold nothing else) and gets H: what the
 *    hardware's lower rules or its miss give it. The clause flows and F
 *    therefore need no rule and shadow nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd_conj.h"

#define CONJ_FULL   UINT32_MAX

static bool
is_clause(const struct flow *f)
{
    return flow_is_conjunction(f);
}

/* How many conjunction actions @f has, and the one of @id in *@a. */
static unsigned
conj_actions(const struct flow *f, uint32_t id,
             const struct flow_action **a)
{
    unsigned n = 0;

    *a = NULL;
    for (unsigned i = 0; i < f->n_actions; i++) {
        if (f->actions[i].type != FLOW_ACT_CONJUNCTION)
            continue;
        n++;
        if (f->actions[i].u.conj.id == id && *a == NULL)
            *a = &f->actions[i];
    }
    return n;
}

/* Can one packet match both (with Open vSwitch's implied Ethernet)? */
static bool
overlaps(const struct flow_match *a, const struct flow_match *b)
{
    struct flow_match x = *a, y = *b;

    flow_match_imply_eth(&x);
    flow_match_imply_eth(&y);
    return flow_match_overlaps(&x, &y);
}

/* *@acc &= @m: false when no packet matches both. */
static bool
intersect(struct flow_match *acc, const struct flow_match *m)
{
    uint8_t *av = (uint8_t *)&acc->value, *am = (uint8_t *)&acc->mask;
    const uint8_t *bv = (const uint8_t *)&m->value;
    const uint8_t *bm = (const uint8_t *)&m->mask;

    if (!overlaps(acc, m))
        return false;
    for (size_t i = 0; i < sizeof(struct flow_key); i++) {
        av[i] |= bv[i] & bm[i];
        am[i] |= bm[i];
    }
    return true;
}

/* Does @o's conj_id match accept @id (in the conj_id lookup)? */
static bool
accepts_conj_id(const struct flow *o, uint32_t id)
{
    return (id & o->match.mask.meta.conj_id) == o->match.value.meta.conj_id;
}

/* Does ordinary @o beat @f in the classifier's order? */
static bool
beats(const struct snicd_conj_in *o, const struct snicd_conj_in *f)
{
    return o->flow->priority > f->flow->priority
           || (o->flow->priority == f->flow->priority && o->id < f->id);
}

static int __attribute__((format(printf, 2, 3)))
refuse(struct snicd_conj *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
    c->ok = false;
    return 0;
}

/* The clause flows of @c->id: gathered, checked alone. 0 (c->ok false
 * with a reason when refused), or -ENOMEM. *@dims[k - 1] lists the
 * indexes into @in of dimension k's flows, *@n_dim[k - 1] their count. */
static int
clauses(const struct snicd_conj_in *in, size_t n, struct snicd_conj *c,
        uint32_t **dims, uint32_t *n_dim, unsigned *n_clauses)
{
    unsigned nk = 0;

    for (size_t i = 0; i < n; i++) {
        const struct flow *f = in[i].flow;
        const struct flow_action *a;
        unsigned na;

        if (!is_clause(f))
            continue;
        na = conj_actions(f, c->id, &a);
        if (a == NULL)
            continue;
        c->clauses[c->n_clauses++] = in[i].id;
        if (!c->ok)
            continue;   /* keep gathering the ids: they all get the reason */
        if (na > 1) {
            refuse(c, "clause flow %" PRIu64 " is in %u conjunctions (the "
                   "lowest complete id would choose between their rules)",
                   in[i].id, na);
            continue;
        }
        if (nk == 0) {
            nk = a->u.conj.n_clauses;
            c->priority = f->priority;
        } else if (a->u.conj.n_clauses != nk) {
            refuse(c, "clause flows disagree on the number of clauses "
                   "(%u and %u)", nk, a->u.conj.n_clauses);
            continue;
        } else if (f->priority != c->priority) {
            refuse(c, "clause flows at priorities %u and %u (only clauses "
                   "of one priority complete it together)", c->priority,
                   f->priority);
            continue;
        }
        if (a->u.conj.clause == 0 || a->u.conj.clause > nk) {
            refuse(c, "clause flow %" PRIu64 " is clause %u of %u",
                   in[i].id, a->u.conj.clause, nk);
            continue;
        }
        if (snicd_conj_is_target(f)) {
            refuse(c, "clause flow %" PRIu64 " matches conj_id", in[i].id);
            continue;
        }
        for (size_t j = 0; j < n; j++) {
            if (j != i && flow_match_identical(&in[j].flow->match,
                                               &f->match)) {
                refuse(c, "clause flow %" PRIu64 " shares its match with "
                       "flow %" PRIu64 " (software walks such a list one "
                       "flow at a time)", in[i].id, in[j].id);
                break;
            }
        }
        if (!c->ok)
            continue;
        dims[a->u.conj.clause - 1][n_dim[a->u.conj.clause - 1]++] =
            (uint32_t)i;
    }
    *n_clauses = nk;
    for (unsigned k = 1; k <= nk && c->ok; k++)
        if (n_dim[k - 1] == 0)
            refuse(c, "clause %u/%u has no flow (the conjunction never "
                   "completes)", k, nk);
    return 0;
}

/* The one conj_id flow of @c->id (its index in @in), or -1 (refused). */
static long
target(const struct snicd_conj_in *in, size_t n, struct snicd_conj *c)
{
    long t = -1;
    unsigned found = 0;

    for (size_t i = 0; i < n; i++) {
        const struct flow *f = in[i].flow;

        if (is_clause(f) || !snicd_conj_is_target(f)
            || !accepts_conj_id(f, c->id))
            continue;
        if (f->match.mask.meta.conj_id != CONJ_FULL) {
            refuse(c, "flow %" PRIu64 " matches conj_id under a mask",
                   in[i].id);
            return -1;
        }
        found++;
        if (t < 0) {
            t = (long)i;
            c->conj_flow = in[i].id;
        }
    }
    if (found == 0) {
        refuse(c, "no conj_id=%" PRIu32 " flow (a complete conjunction "
               "answers the best ordinary flow)", c->id);
        return -1;
    }
    if (found > 1) {
        refuse(c, "%u conj_id=%" PRIu32 " flows", found, c->id);
        return -1;
    }
    c->conj_flow = in[t].id;
    return t;
}

/* May the combination @m be a rule? Refuses @c when not. */
static bool
combo_sound(const struct snicd_conj_in *in, size_t n, struct snicd_conj *c,
            long t, const struct flow_match *m)
{
    for (size_t i = 0; i < n; i++) {
        const struct flow *o = in[i].flow;
        const struct flow_action *a;

        if ((long)i == t)
            continue;
        if (is_clause(o)) {
            if (o->priority != c->priority
                || conj_actions(o, c->id, &a) == 0 || a != NULL
                || !overlaps(&o->match, m))
                continue;
            refuse(c, "clause flow %" PRIu64 " of another conjunction at "
                   "priority %u overlaps a combination (the lowest "
                   "complete id wins there)", in[i].id, c->priority);
            return false;
        }
        if (!accepts_conj_id(o, 0) && !accepts_conj_id(o, c->id))
            continue;   /* another conjunction's conj_id flow */
        if (o->priority < c->priority && beats(&in[i], &in[t])
            && overlaps(&o->match, m)) {
            refuse(c, "flow %" PRIu64 " (priority %u) overlaps a "
                   "combination and beats the conj_id flow (priority %u) "
                   "in the conjunction's lookup", in[i].id, o->priority,
                   in[t].flow->priority);
            return false;
        }
    }
    return true;
}

/* Every combination of @c's dimensions, into c->rules. */
static int
combos(const struct snicd_conj_in *in, size_t n, struct snicd_conj *c,
       long t, uint32_t *const *dims, const uint32_t *n_dim, unsigned nk)
{
    uint32_t idx[FLOW_CONJ_MAX] = {0};
    uint64_t prod = 1;
    struct flow_match base = in[t].flow->match;

    for (unsigned k = 0; k < nk; k++) {
        prod *= n_dim[k];
        if (prod > SNICD_CONJ_MAX_RULES) {
            /* the whole product, for the reason */
            for (unsigned j = k + 1; j < nk && prod < UINT32_MAX; j++)
                prod *= n_dim[j];
            c->n_combos = prod > UINT32_MAX ? UINT32_MAX : (uint32_t)prod;
            refuse(c, "%" PRIu64 " combinations, more than the limit of "
                   "%u", prod, SNICD_CONJ_MAX_RULES);
            return 0;
        }
    }
    c->n_combos = (uint32_t)prod;
    c->rules = calloc(prod, sizeof(*c->rules));
    if (c->rules == NULL)
        return -ENOMEM;
    base.mask.meta.conj_id = 0;
    base.value.meta.conj_id = 0;
    for (uint64_t r = 0; r < prod; r++) {
        struct flow_match m = base;
        bool empty = false;

        for (unsigned k = 0; k < nk && !empty; k++)
            empty = !intersect(&m, &in[dims[k][idx[k]]].flow->match);
        if (!empty) {
            struct flow *rule = &c->rules[c->n_rules];

            if (!combo_sound(in, n, c, t, &m))
                return 0;
            *rule = *in[t].flow;
            rule->match = m;
            rule->priority = c->priority;
            c->n_rules++;
        }
        for (unsigned k = 0; k < nk; k++) {     /* the next combination */
            if (++idx[k] < n_dim[k])
                break;
            idx[k] = 0;
        }
    }
    return 0;
}

static int
conj_one(const struct snicd_conj_in *in, size_t n, struct snicd_conj *c,
         size_t max_clauses)
{
    uint32_t *dims[FLOW_CONJ_MAX] = {NULL}, n_dim[FLOW_CONJ_MAX] = {0};
    uint32_t *store;
    unsigned nk = 0;
    long t;
    int rc = -ENOMEM;

    c->ok = true;
    c->clauses = calloc(max_clauses, sizeof(*c->clauses));
    store = calloc((size_t)FLOW_CONJ_MAX * max_clauses, sizeof(*store));
    if (c->clauses == NULL || store == NULL)
        goto free_store;
    for (unsigned k = 0; k < FLOW_CONJ_MAX; k++)
        dims[k] = store + (size_t)k * max_clauses;
    rc = clauses(in, n, c, dims, n_dim, &nk);
    if (rc < 0)
        goto free_store;
    if (!c->ok) {
        /* its conj_id flow still learns why (the clauses' reason) */
        char why[SNICD_CONJ_REASON_SIZE];

        memcpy(why, c->reason, sizeof(why));
        (void)target(in, n, c);
        memcpy(c->reason, why, sizeof(why));
        c->ok = false;
        goto free_store;
    }
    t = target(in, n, c);
    if (t < 0)
        goto free_store;
    rc = combos(in, n, c, t, dims, n_dim, nk);
    if (rc == 0 && !c->ok) {
        free(c->rules);
        c->rules = NULL;
        c->n_rules = 0;
    }
free_store:
    free(store);
    return rc;
}

static int
id_order(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

    return a < b ? -1 : a > b;
}

int
snicd_conj_derive(const struct snicd_conj_in *in, size_t n,
                  struct snicd_conj **out, size_t *n_out)
{
    uint32_t *ids = NULL;
    size_t n_ids = 0, n_clause_flows = 0, n_uniq = 0;
    struct snicd_conj *v = NULL;
    int rc = 0;

    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n; i++)
        if (is_clause(in[i].flow)) {
            n_clause_flows++;
            n_ids += in[i].flow->n_actions;
        }
    if (n_ids == 0)
        return 0;
    ids = malloc(n_ids * sizeof(*ids));
    if (ids == NULL)
        return -ENOMEM;
    n_ids = 0;
    for (size_t i = 0; i < n; i++) {
        const struct flow *f = in[i].flow;

        if (!is_clause(f))
            continue;
        for (unsigned j = 0; j < f->n_actions; j++)
            if (f->actions[j].type == FLOW_ACT_CONJUNCTION)
                ids[n_ids++] = f->actions[j].u.conj.id;
    }
    qsort(ids, n_ids, sizeof(*ids), id_order);
    for (size_t i = 0; i < n_ids; i++)
        if (n_uniq == 0 || ids[n_uniq - 1] != ids[i])
            ids[n_uniq++] = ids[i];
    v = calloc(n_uniq, sizeof(*v));
    if (v == NULL) {
        rc = -ENOMEM;
        goto free_ids;
    }
    for (size_t i = 0; i < n_uniq && rc == 0; i++) {
        v[i].id = ids[i];
        rc = conj_one(in, n, &v[i], n_clause_flows);
    }
    if (rc < 0) {
        snicd_conj_free(v, n_uniq);
        goto free_ids;
    }
    *out = v;
    *n_out = n_uniq;
free_ids:
    free(ids);
    return rc;
}

void
snicd_conj_free(struct snicd_conj *v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].clauses);
        free(v[i].rules);
    }
    free(v);
}
