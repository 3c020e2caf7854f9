/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conjunctions in the offload manager: each table's conjunctions are
 * derived again (snicd_conj.c) at the commit after any change of a table
 * that has some, and become combination rules: flows of their own in the
 * table's vector and the id map (ids with SNICD_CONJ_ID_BIT, after every
 * switch flow in the classifier's order, so they lose ties as the
 * conjunction does), placed by rules 1-4 like any flow. Their clause
 * flows and conj_id flow get no rule and no place in the overlap index
 * (they shadow nothing: a packet that completes no combination finds the
 * clause flows drop out of view in software), and report where their
 * combinations are. A combination that stays the same keeps its rule
 * across derivations; one that goes leaves its counts to its conj_id
 * flow, whose total is its own plus its combinations'.
 *
 * Called by the manager (snicd_offload.c) and the counters; calls the
 * placement queue, the install step (to retire a rule) and the maps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd_offload_priv.h"

void
snicd_conj_note(struct snicd_otable *t, const struct snicd_oflow *f, int d)
{
    bool member = snicd_oflow_conj_member(f);

    if (member && (d > 0 || t->n_conj_flows > 0))
        t->n_conj_flows = (uint32_t)((int64_t)t->n_conj_flows + d);
    /* the last member leaving still takes its conjunctions' rules */
    if (member || t->n_conj_flows > 0 || t->n_conj > 0)
        t->conj_dirty = true;
}

static const struct snicd_conj *
conj_of(const struct snicd_otable *t, uint32_t id)
{
    for (size_t i = 0; i < t->n_conj; i++)
        if (t->conj[i].id == id)
            return &t->conj[i];
    return NULL;
}

static void
vec_remove(struct snicd_otable *t, struct snicd_oflow *f)
{
    struct snicd_oflow *last = t->flows[--t->n];

    t->flows[f->tidx] = last;
    last->tidx = f->tidx;
}

/* A combination rule goes: its counts stay with its conj_id flow. */
static void
combo_drop(struct snicd_offload *o, struct snicd_otable *t,
           struct snicd_oflow *c)
{
    struct snicd_oflow *owner = snicd_idmap_find(&o->ids,
                                                 snicd_oflow_conj_owner(c));

    snicd_place_forget(t, c);
    snicd_place_uncount(t, c);
    snicd_regs_count(&o->regs, c, false);
    /* as any rule that goes: a whole register writer whose packets
     * reach it goes partial first */
    if (c->handle != NULL)
        snicd_regjump_touch(o, c->table_id);
    snicd_offload_rule_retire(o, c);
    snicd_offload_mark_settle(o, c, 0, 0);
    if (owner != NULL && snicd_oflow_conj_owner(owner) == 0) {
        owner->acc_pkts += c->acc_pkts + c->cur_pkts;
        owner->acc_bytes += c->acc_bytes + c->cur_bytes;
        snicd_offload_moved_touch(o, owner);
    }
    vec_remove(t, c);
    snicd_idmap_del(&o->ids, c);
    snicd_oflow_free(o, c);
}

static struct snicd_oflow *
combo_new(struct snicd_offload *o, struct snicd_otable *t,
          const struct flow *rule, const struct snicd_oflow *owner,
          uint32_t conj)
{
    struct snicd_oflow *c = snicd_oflow_new_flow(rule);

    if (c == NULL)
        return NULL;
    if (snicd_oflow_rare(c) == NULL) {
        snicd_oflow_free(o, c);
        return NULL;
    }
    c->id = SNICD_CONJ_ID_BIT | ++o->conj_seq;
    c->where = SNICD_WHERE_SW;
    c->rare->conj_owner = owner->id;
    c->rare->conj_num = conj;
    snicd_oflow_reason(o, c, "pending commit");
    if (snicd_otable_append(t, c) < 0) {
        snicd_oflow_free(o, c);
        return NULL;
    }
    snicd_idmap_put(&o->ids, c);
    (void)snicd_place_queue(t, c);      /* else the table is dirty */
    return c;
}

/* @f's role in the conjunctions @cv (@n of them), and in *@num the
 * conjunction's id (0 with SNICD_CONJ_NONE). */
static uint8_t
role_of(const struct snicd_conj *cv, size_t n, const struct snicd_oflow *f,
        uint32_t *num)
{
    uint8_t want = SNICD_CONJ_NONE;

    *num = 0;
    for (size_t j = 0; j < n && want == SNICD_CONJ_NONE; j++) {
        const struct snicd_conj *c = &cv[j];

        for (uint32_t k = 0; k < c->n_clauses; k++)
            if (c->clauses[k] == f->id)
                want = c->ok ? SNICD_CONJ_CLAUSE : SNICD_CONJ_REFUSED;
        if (want == SNICD_CONJ_NONE && c->conj_flow == f->id)
            want = c->ok ? SNICD_CONJ_TARGET : SNICD_CONJ_REFUSED;
        if (want != SNICD_CONJ_NONE)
            *num = c->id;
    }
    return want;
}

/* Before the derivation @cv is taken: every member of it gets its
 * record's rare part (its conjunction's id, a conj_id flow's list of
 * combinations), so that roles() and combos() cannot fail on it.
 * -ENOMEM with nothing changed but parts made. */
static int
rare_parts(struct snicd_otable *t, const struct snicd_conj *cv, size_t n)
{
    for (uint32_t i = 0; i < t->n; i++) {
        struct snicd_oflow *f = t->flows[i];
        uint32_t num;

        if (snicd_oflow_conj_owner(f) == 0 && f->rare == NULL
            && role_of(cv, n, f, &num) != SNICD_CONJ_NONE
            && snicd_oflow_rare(f) == NULL)
            return -ENOMEM;
    }
    return 0;
}

/* Members take their new roles; a flow whose role changed is placed
 * again (leaving the overlap index first when it stops being placed). */
static void
roles(struct snicd_otable *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        struct snicd_oflow *f = t->flows[i];
        uint32_t num;
        uint8_t want;

        if (snicd_oflow_conj_owner(f) != 0)
            continue;
        want = role_of(t->conj, t->n_conj, f, &num);
        if (want == f->conj_role && num == snicd_oflow_conj_num(f))
            continue;
        if (want == SNICD_CONJ_CLAUSE || want == SNICD_CONJ_TARGET)
            snicd_place_forget(t, f);
        f->conj_role = want;
        /* a member has its rare part (rare_parts()); a flow that is none
         * has num 0, the default */
        if (f->rare != NULL)
            f->rare->conj_num = num;
        (void)snicd_place_queue(t, f);
    }
}

/* The combinations of the new derivation: those already there keep their
 * rules, the others come; the old ones left over go. */
static int
combos(struct snicd_offload *o, struct snicd_otable *t)
{
    struct snicd_oflow **old;
    uint32_t n_old = 0;
    bool *kept;
    int ret = 0;

    old = malloc((t->n + 1) * sizeof(*old));
    kept = calloc(t->n + 1, sizeof(*kept));
    if (old == NULL || kept == NULL) {
        ret = -ENOMEM;
        goto free_old;
    }
    for (uint32_t i = 0; i < t->n; i++)
        if (snicd_oflow_conj_owner(t->flows[i]) != 0)
            old[n_old++] = t->flows[i];
    for (size_t j = 0; j < t->n_conj && ret == 0; j++) {
        const struct snicd_conj *c = &t->conj[j];
        struct snicd_oflow *owner;

        if (!c->ok)
            continue;
        owner = snicd_idmap_find(&o->ids, c->conj_flow);
        if (owner == NULL)
            continue;
        for (uint32_t r = 0; r < c->n_rules && ret == 0; r++) {
            bool have = false;

            for (uint32_t i = 0; i < n_old && !have; i++) {
                if (kept[i] || snicd_oflow_conj_owner(old[i]) != owner->id
                    || !snicd_oflow_equal(old[i], &c->rules[r]))
                    continue;
                kept[i] = have = true;
                old[i]->rare->conj_num = c->id;    /* a combination's */
            }
            if (!have && combo_new(o, t, &c->rules[r], owner, c->id) == NULL)
                ret = -ENOMEM;
        }
    }
    for (uint32_t i = 0; i < n_old; i++)
        if (!kept[i])
            combo_drop(o, t, old[i]);
    /* each conj_id flow's list of combinations, afresh */
    for (uint32_t i = 0; i < t->n; i++)
        if (t->flows[i]->rare != NULL)
            t->flows[i]->rare->conj_combos = NULL;
    for (uint32_t i = 0; i < t->n; i++) {
        struct snicd_oflow *c = t->flows[i], *owner;

        if (snicd_oflow_conj_owner(c) == 0)
            continue;
        owner = snicd_idmap_find(&o->ids, c->rare->conj_owner);
        c->rare->conj_next = NULL;
        /* a conj_id flow has its rare part (rare_parts()) */
        if (owner != NULL && owner->rare != NULL) {
            c->rare->conj_next = owner->rare->conj_combos;
            owner->rare->conj_combos = c;
        }
    }
free_old:
    free(kept);
    free(old);
    return ret;
}

/* Does the derivation (snicd_conj.c) read @f? It reads the conjunction
 * members (clause and conj_id flows), and of the others only those that
 * overlap a clause flow: one identical to a clause's match overlaps it,
 * and one that overlaps a combination overlaps each of its clauses
 * (@clause: the table's clause flows, @n_clause of them). */
static bool
derivation_reads(const struct snicd_oflow *f,
                 struct snicd_oflow *const *clause, size_t n_clause)
{
    if (snicd_oflow_conj_member(f))
        return true;
    for (size_t i = 0; i < n_clause; i++)
        if (snicd_oflow_overlaps(f, clause[i]))
            return true;
    return false;
}

/* The derivation reads flows whole: only those it reads are expanded for
 * it (snicd_oflow_flow()), into one array given back after. Expanding
 * every flow of the table was ~1 KB a flow at once (#13): a conjunction
 * in a table of a million flows took a gigabyte for the moment. */
static void
sync_table(struct snicd_offload *o, struct snicd_otable *t)
{
    struct snicd_oflow **clause = malloc((t->n + 1) * sizeof(*clause));
    bool *reads = malloc(t->n + 1);
    struct snicd_conj_in *in = NULL;
    struct flow *fl = NULL;
    struct snicd_conj *cv;
    size_t n = 0, n_clause = 0, n_cv;
    int rc;

    if (clause == NULL || reads == NULL)
        goto free_tmp;  /* stays dirty: the next commit tries again */
    for (uint32_t i = 0; i < t->n; i++) {
        struct snicd_oflow *f = t->flows[i];

        if (snicd_oflow_conj_owner(f) == 0 &&
            flow_actions_are_conjunction(snicd_oflow_actions(f),
                                         snicd_oflow_n_actions(f)))
            clause[n_clause++] = f;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        reads[i] = snicd_oflow_conj_owner(t->flows[i]) == 0 &&
                   derivation_reads(t->flows[i], clause, n_clause);
        n += reads[i];
    }
    in = malloc((n + 1) * sizeof(*in));
    fl = malloc((n + 1) * sizeof(*fl));
    if (in == NULL || fl == NULL)
        goto free_tmp;
    n = 0;
    for (uint32_t i = 0; i < t->n; i++)
        if (reads[i]) {
            snicd_oflow_flow(t->flows[i], &fl[n]);
            in[n].id = t->flows[i]->id;
            in[n].flow = &fl[n];
            n++;
        }
    free(clause);
    free(reads);
    rc = snicd_conj_derive(in, n, &cv, &n_cv);
    free(in);
    free(fl);
    if (rc < 0)
        return;
    if (rare_parts(t, cv, n_cv) < 0) {
        snicd_conj_free(cv, n_cv);
        return;     /* stays dirty: the next commit tries again */
    }
    snicd_conj_free(t->conj, t->n_conj);
    t->conj = cv;
    t->n_conj = n_cv;
    roles(t);
    if (combos(o, t) == 0)
        t->conj_dirty = false;
    return;

free_tmp:
    free(clause);
    free(reads);
    free(in);
    free(fl);
}

void
snicd_conj_sync(struct snicd_offload *o)
{
    for (unsigned i = 0; i < SNICD_NUM_TABLES; i++)
        if (o->tables[i].conj_dirty)
            sync_table(o, &o->tables[i]);
}

/* Where the combinations of @owner are: all in hardware, some partial
 * (software finishes those), or one in software (named in @buf). */
static enum snicd_where
combos_where(const struct snicd_oflow *owner, unsigned *n, char *buf,
             size_t size)
{
    enum snicd_where w = SNICD_WHERE_HW;

    *n = 0;
    buf[0] = '\0';
    for (const struct snicd_oflow *c = snicd_oflow_conj_combos(owner);
         c != NULL; c = snicd_oflow_conj_next(c)) {
        (*n)++;
        if (c->where == SNICD_WHERE_SW && w != SNICD_WHERE_SW) {
            w = SNICD_WHERE_SW;
            snicd_say(buf, size, "%s", c->reason);
        } else if (c->where == SNICD_WHERE_PARTIAL && w == SNICD_WHERE_HW) {
            w = SNICD_WHERE_PARTIAL;
        }
    }
    return w;
}

void
snicd_conj_report(struct snicd_offload *o)
{
    char why[SNICD_REASON_SIZE];

    for (unsigned i = 0; i < SNICD_NUM_TABLES; i++) {
        struct snicd_otable *t = &o->tables[i];

        for (uint32_t j = 0; t->n_conj > 0 && j < t->n; j++) {
            struct snicd_oflow *f = t->flows[j], *owner;
            const struct snicd_conj *c;
            struct flow_match m;
            enum snicd_where w;
            unsigned n;

            if (snicd_oflow_conj_owner(f) != 0
                || f->conj_role == SNICD_CONJ_NONE)
                continue;
            c = conj_of(t, snicd_oflow_conj_num(f));
            if (c == NULL)
                continue;
            if (f->conj_role == SNICD_CONJ_REFUSED) {
                /* a cause of the flow's own (a ct_state match, a
                 * higher software flow) comes first: the conjunction's
                 * reason replaces only the translator's generic one */
                if (strstr(f->reason, "conj_id flow not offloaded") == NULL
                    && strstr(f->reason, "conjunction clause not "
                              "offloaded") == NULL)
                    continue;
                snicd_oflow_match(f, &m);
                snicd_oflow_say(o, f, "%s%s %u not offloaded: %s",
                                f->where == SNICD_WHERE_PARTIAL ? "partial: "
                                                                : "",
                                m.mask.meta.conj_id != 0
                                ? "conj_id flow of conjunction"
                                : "clause of conjunction", c->id, c->reason);
                continue;
            }
            owner = f->conj_role == SNICD_CONJ_TARGET ? f
                    : snicd_idmap_find(&o->ids, c->conj_flow);
            if (owner == NULL)
                continue;
            w = combos_where(owner, &n, why, sizeof(why));
            snicd_oflow_where(o, f, w);
            if (w == SNICD_WHERE_SW)
                snicd_oflow_say(o, f,
                          "%s %u: a combination rule in software (%s)",
                          f == owner ? "conj_id flow of conjunction"
                                     : "clause of conjunction", c->id, why);
            else if (f == owner)
                snicd_oflow_say(o, f,
                          "conjunction %u: in hardware as %u combination "
                          "rules (of %u)%s", c->id, n, c->n_combos,
                          w == SNICD_WHERE_PARTIAL
                          ? ", software finishing the actions" : "");
            else
                snicd_oflow_say(o, f,
                          "clause of conjunction %u: in hardware through "
                          "its %u combinations", c->id, n);
        }
    }
}

void
snicd_conj_fini(struct snicd_otable *t)
{
    snicd_conj_free(t->conj, t->n_conj);
    t->conj = NULL;
    t->n_conj = 0;
}
