/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Placing one OpenFlow table: rules 1 and 2 of docs/snicd.md.
 *
 * A flow's place depends only on the flows that win over it in the order
 * the software classifier prefers them (priority high to low, then the
 * oldest id first, as flow_table_lookup() breaks ties) and overlap it:
 *  - rule 1: if an overlapping earlier flow is in software, this one
 *    must be too ("shadowed by flow N", N the first such flow);
 *  - rule 2: its level is one below the deepest overlapping earlier
 *    hardware flow (levels are rte_flow priorities: lower number first).
 *    Flows that overlap nothing earlier all share level 0, so the device's
 *    few levels go only where an order must be kept. Equal-priority
 *    overlapping flows get distinct levels too, so the hardware breaks the
 *    tie the way software does.
 * So visiting the flows in that order decides each one exactly, with no
 * iteration: snicd_place_table() does that for a whole table (the
 * reference, and what a table gets after a resync, a port or guard change,
 * a full device). Each domain's overlap index (snicd_offload_overlap.c)
 * keeps every flow with its place across commits, so a commit that adds,
 * changes or removes k flows places only those and the later flows they
 * overlap, again in classifier order (a heap, snicd_place_queued()): a
 * flow whose place did not change stops the ripple there. A removed flow,
 * or one whose match or priority changes, queues the later flows it
 * overlapped (snicd_place_forget()). The result is the same as a full
 * pass: tests/snicd/test_offload_place.c checks that after random adds,
 * modifies and deletes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd_offload_priv.h"

/* ---- the queue: a binary heap in classifier order ---- */

static void
q_put(struct snicd_otable *t, uint32_t i, struct snicd_oflow *f)
{
    t->queue[i] = f;
    f->qpos = i + 1;
}

static void
q_up(struct snicd_otable *t, uint32_t i)
{
    struct snicd_oflow *f = t->queue[i];

    while (i > 0) {
        uint32_t p = (i - 1) / 2;

        if (!snicd_ov_before(f, t->queue[p]))
            break;
        q_put(t, i, t->queue[p]);
        i = p;
    }
    q_put(t, i, f);
}

static void
q_down(struct snicd_otable *t, uint32_t i)
{
    struct snicd_oflow *f = t->queue[i];

    for (;;) {
        uint32_t c = 2 * i + 1;

        if (c >= t->nq)
            break;
        if (c + 1 < t->nq && snicd_ov_before(t->queue[c + 1], t->queue[c]))
            c++;
        if (!snicd_ov_before(t->queue[c], f))
            break;
        q_put(t, i, t->queue[c]);
        i = c;
    }
    q_put(t, i, f);
}

int
snicd_place_queue(struct snicd_otable *t, struct snicd_oflow *f)
{
    if (f->qpos != 0)
        return 0;
    if (t->nq == t->capq) {
        uint32_t nc = t->capq ? t->capq * 2 : 64;
        struct snicd_oflow **n = realloc(t->queue, nc * sizeof(*n));

        if (n == NULL) {
            t->dirty = true;    /* a full pass places it */
            return -ENOMEM;
        }
        t->queue = n;
        t->capq = nc;
    }
    t->queue[t->nq++] = f;
    q_up(t, t->nq - 1);
    return 0;
}

static void
q_remove(struct snicd_otable *t, struct snicd_oflow *f)
{
    struct snicd_oflow *last;
    uint32_t i = f->qpos - 1;

    f->qpos = 0;
    if (i == --t->nq)
        return;
    last = t->queue[t->nq];
    q_put(t, i, last);
    q_up(t, i);
    q_down(t, last->qpos - 1);
}

static struct snicd_oflow *
q_pop(struct snicd_otable *t)
{
    struct snicd_oflow *f = t->queue[0];

    q_remove(t, f);
    return f;
}

/* An empty queue that a bulk commit grew (8 bytes a flow) is not kept
 * for the next one (#13). */
static void
q_trim(struct snicd_otable *t)
{
    if (t->nq > 0 || t->capq <= 65536)
        return;
    free(t->queue);
    t->queue = NULL;
    t->capq = 0;
}

static void
q_clear(struct snicd_otable *t)
{
    for (uint32_t i = 0; i < t->nq; i++)
        t->queue[i]->qpos = 0;
    t->nq = 0;
}

static void
queue_cb(void *t, struct snicd_oflow *g)
{
    (void)snicd_place_queue(t, g);
}

/* @f's entry in domain @d's index, or NULL: a flow's tunnel domain entry
 * is made the first time it goes there (most flows never do: only those
 * that can match a decapsulated frame), and goes with the record
 * (snicd_oflow_release()) or when the flow leaves the domain. */
static struct snicd_ovm *
ovm_of(struct snicd_oflow *f, unsigned d)
{
    return d == SNICD_DOM_ROOT ? &f->ov_root : snicd_oflow_ov_tun(f);
}

static struct snicd_ovm *
ovm_get(struct snicd_oflow *f, unsigned d)
{
    if (d == SNICD_DOM_TUN && snicd_oflow_ov_tun(f) == NULL) {
        struct snicd_oflow_rare *r = snicd_oflow_rare(f);

        if (r == NULL)
            return NULL;
        r->ov_tun = calloc(1, sizeof(*r->ov_tun));
        if (r->ov_tun == NULL)
            return NULL;
        r->ov_tun->f = f;
    }
    return ovm_of(f, d);
}

static void
ovm_drop(struct snicd_otable *t, struct snicd_oflow *f, unsigned d)
{
    struct snicd_ovm *m = ovm_of(f, d);

    if (m == NULL)
        return;
    snicd_ov_del(&t->ov[d], m);
    if (d == SNICD_DOM_TUN) {
        free(f->rare->ov_tun);
        f->rare->ov_tun = NULL;
    }
}

void
snicd_place_forget(struct snicd_otable *t, struct snicd_oflow *f)
{
    if (f->qpos != 0)
        q_remove(t, f);
    for (unsigned d = 0; d < 2; d++) {
        struct snicd_ovm *m = ovm_of(f, d);

        if (m == NULL || m->t == NULL)
            continue;
        snicd_ov_del(&t->ov[d], m);
        if (snicd_ov_later(&t->ov[d], f, queue_cb, t) < 0)
            t->dirty = true;
    }
}

/* The counts can be off for a while when the flow queue's results change
 * a flow outside placement (snicd_offload_queue_flush: its table is then
 * placed whole, which counts again): never below zero. */
void
snicd_place_uncount(struct snicd_otable *t, const struct snicd_oflow *f)
{
    if (f->no_space && t->n_no_space > 0)
        t->n_no_space--;
    if (f->create_failed && t->n_failed > 0)
        t->n_failed--;
}

void
snicd_place_clear(struct snicd_otable *t)
{
    q_clear(t);
    for (unsigned d = 0; d < 2; d++)
        snicd_ov_clear(&t->ov[d]);
    t->n_no_space = 0;
    t->n_failed = 0;
    t->dirty = false;
}

void
snicd_place_table_fini(struct snicd_otable *t)
{
    q_clear(t);
    free(t->queue);
    t->queue = NULL;
    t->capq = 0;
    for (unsigned d = 0; d < 2; d++)
        snicd_ov_clear(&t->ov[d]);
}

static int
order_cmp(const void *a_, const void *b_)
{
    const struct snicd_oflow *a = *(const struct snicd_oflow *const *)a_;
    const struct snicd_oflow *b = *(const struct snicd_oflow *const *)b_;

    return snicd_ov_before(a, b) ? -1 : snicd_ov_before(b, a);
}

/* The tunnel port @f's match names (snicd_xlate_tunnel_of()), or NULL. */
static const struct snicd_port_info *
tunnel_of(const struct snicd_offload *o, const struct snicd_oflow *f)
{
    struct flow fl;

    snicd_oflow_flow(f, &fl);
    return snicd_xlate_tunnel_of(&fl, o->ports, o->n_ports);
}

/* snicd_xlate_domains() of @f's flow. */
static unsigned
domains(const struct snicd_offload *o, const struct snicd_oflow *f)
{
    struct flow fl;

    snicd_oflow_flow(f, &fl);
    return snicd_xlate_domains(&fl, o->ports, o->n_ports);
}

/* Rules 1 and 2 for one flow against the earlier flows of its domain:
 * the level it may take, or -1 with the reason in @buf. */
static int
place_level(struct snicd_offload *o, struct snicd_ovx *ov,
            const struct snicd_oflow *f, uint32_t n_levels, char *buf,
            size_t size, int *ret)
{
    const struct snicd_oflow *by;
    struct snicd_ov_agg a;

    *ret = snicd_ov_query(ov, f, &a);
    if (*ret < 0)
        return -1;
    if (a.sw != NULL) {
        by = a.sw;
        /* in a decap context's index, the flows of other ports count as
         * software: hardware never shows them a decapsulated frame. An
         * equal priority shadows too: the older flow wins the tie. */
        snprintf(buf, size, "shadowed by flow %" PRIu64 " (%s, "
                 "overlapping, %s)", by->id,
                 by->priority == f->priority
                 ? "same priority, older: it wins ties" : "higher priority",
                 by->where != SNICD_WHERE_SW ?
                 "not in the decap context's group" : "in software");
        return -1;
    }
    if ((uint32_t)(a.max_level + 1) >= n_levels) {
        snprintf(buf, size, "needs hardware level %d but the device has %u "
                 "(too many overlapping priorities in table %u%s)",
                 a.max_level + 1, n_levels, f->table_id,
                 snicd_oflow_dctx(f) != NULL || tunnel_of(o, f) != NULL
                 ? ", decap context" : "");
        return -1;
    }
    return a.max_level + 1;
}

#define NOT_IN  (-2)    /* not in a domain's index */

/* Does snicd_offload_try_hw() leave @f's rule as it is at @level? Then
 * nothing on the card changes, and no whole register writer whose
 * packets reach its table need go partial first
 * (snicd_regjump_touch()). */
static bool
rule_kept(const struct snicd_oflow *f, uint32_t level)
{
    return f->handle != NULL && !f->changed && f->level == level &&
           f->where != SNICD_WHERE_SW;
}

/*
 * Two domains (snicd_xlate.h): frames nobody decapsulated, which group 0
 * and the groups it jumps to see, and decapsulated frames, which only the
 * decap contexts' groups see. A flow's order and shadowing count only
 * against earlier flows of the domain it is placed in: SNICD_DOM_ROOT
 * indexes the flows that can match an undecapsulated frame, SNICD_DOM_TUN
 * those that can match a decapsulated one (flows that are not in a
 * context's group, such as in_port wildcarded, go there as software: the
 * context's group does not have them).
 *
 * Places @f against the earlier flows in the indexes and puts it there
 * with its new place; @moved says whether what later flows see of it
 * changed (in @was, the domains it was in before or is in now).
 */
static int
place_one(struct snicd_offload *o, struct snicd_otable *t,
          struct snicd_oflow *f, uint32_t n_levels, uint32_t root_levels,
          bool *moved, bool was[2])
{
    char buf[SNICD_REASON_SIZE];
    enum snicd_where w = SNICD_WHERE_SW;
    /* a clause or conj_id flow of an offloaded conjunction has no rule
     * and no place: its combinations do (snicd_conj_report says so) */
    bool conj = f->conj_role == SNICD_CONJ_CLAUSE
                || f->conj_role == SNICD_CONJ_TARGET;
    const char *why = conj ? "in hardware through its conjunction's "
                             "combination rules"
                           : snicd_offload_blocked(o, f, buf, sizeof(buf));
    unsigned dom = domains(o, f);
    bool decap = tunnel_of(o, f) != NULL;
    bool was_sw = f->where == SNICD_WHERE_SW, kept = false;
    bool nothing = false;
    int32_t old[2], want[2] = { NOT_IN, NOT_IN }, old_conv;
    int level = -1, ret = 0;

    o->st.placed++;
    old_conv = snicd_oflow_conv_level(f);
    if (f->rare != NULL)
        f->rare->conv_level = -1;
    /* its writes or its target may be new: partial now (the whole
     * writers reaching its table first), let through again only once
     * the commit's placement settled */
    if (f->changed && f->reg_whole)
        snicd_regjump_hold(o, f);
    f->ov_root.f = f;
    for (unsigned d = 0; d < 2; d++) {
        const struct snicd_ovm *m = ovm_of(f, d);

        old[d] = m != NULL && m->t != NULL ? m->level : NOT_IN;
    }
    snicd_place_uncount(t, f);
    if (why == NULL) {
        /* no packet on the card can match it: no rule, and in no index,
         * since the card has no packet it could take from a later flow */
        why = snicd_regs_nothing(o, f, buf, sizeof(buf));
        nothing = why != NULL;
    }
    if (nothing) {
        /* software has it whole */
    } else if (why == NULL && decap) {
        level = place_level(o, &t->ov[SNICD_DOM_TUN], f, n_levels, buf,
                            sizeof(buf), &ret);
        if (ret < 0)
            goto out;
        if (level >= 0)
            w = snicd_offload_try_decap(o, f, (uint32_t)level);
        else
            why = buf;
    } else if (why == NULL && (dom & SNICD_XLATE_DOM_ROOT)) {
        why = snicd_tun_unguarded(o, f, buf, sizeof(buf));
        if (why == NULL) {
            level = place_level(o, &t->ov[SNICD_DOM_ROOT], f, root_levels,
                                buf, sizeof(buf), &ret);
            if (ret < 0)
                goto out;
            /* NORMAL's conversations take the level rule 2 gave: below
             * every earlier overlapping flow, above the flow itself
             * (snicd_offload_conv.c); without a level to spare there are
             * none */
            if (level >= 0 && snicd_conv_wants_level(o, f)
                && snicd_oflow_rare(f) != NULL) {
                /* (without memory for it, no level is kept: its
                 * conversations stay in software) */
                f->rare->conv_level = level;
                kept = (uint32_t)level + 1 < root_levels;
                level += kept;
            }
            if (level >= 0) {
                if (!rule_kept(f, (uint32_t)level))
                    snicd_regjump_touch(o, f->table_id);
                w = snicd_offload_try_hw(o, f, (uint32_t)level);
            } else {
                why = buf;
            }
            /* a flow in software needs no level kept: its conversations
             * take rule 2's (the later flows it overlaps are in software
             * with it, rule 1); one on the card without a level kept has
             * none for them */
            if (w != SNICD_WHERE_SW && !kept && f->rare != NULL)
                f->rare->conv_level = -1;
        }
    } else if (why == NULL) {
        why = "matches only decapsulated frames (tunnel metadata) but "
              "not in_port=<tunnel port>: hardware decap needs a flow "
              "of table 0 with in_port=<tunnel port> and an exact "
              "tun_id";
    }
    if (why != NULL) {
        /* off the card: its rule goes; or it never had one, and either
         * a packet on the card can match it (new without a level,
         * matching nothing before) or it is new or changed (matching
         * nothing, its jump newly counted in what a whole writer can
         * reach). Its table may no longer be sealed (snicd_regs_sealed()),
         * so the whole writers reaching it go partial first. A table no
         * whole writer reaches costs a test. */
        if (f->handle != NULL || f->changed || !nothing)
            snicd_regjump_touch(o, f->table_id);
        snicd_offload_to_sw(o, f, why, false);
    }
    if (nothing || conj) {
        /* in no domain's index */
    } else if (decap) {
        want[SNICD_DOM_TUN] = w == SNICD_WHERE_SW ? -1 : (int32_t)f->level;
    } else {
        if (dom & SNICD_XLATE_DOM_ROOT)
            want[SNICD_DOM_ROOT] = w == SNICD_WHERE_SW ? -1
                                   : (int32_t)f->level;
        if (dom & SNICD_XLATE_DOM_TUNNEL)
            want[SNICD_DOM_TUN] = -1;
    }
    for (unsigned d = 0; d < 2 && ret == 0; d++) {
        struct snicd_ovm *m;

        if (want[d] == NOT_IN) {
            ovm_drop(t, f, d);
            continue;
        }
        m = ovm_get(f, d);
        ret = m != NULL ? snicd_ov_set(&t->ov[d], m, want[d]) : -ENOMEM;
    }
out:
    f->reg_nothing = nothing;
    snicd_regs_count(&o->regs, f, true);
    /* its conversations' level moved: their rules were made for the old */
    if (snicd_oflow_conv_level(f) != old_conv)
        snicd_conv_drop_flow(o, f);
    t->n_no_space += f->no_space;
    t->n_failed += f->create_failed;
    *moved = was_sw != (f->where == SNICD_WHERE_SW);
    for (unsigned d = 0; d < 2; d++) {
        *moved |= old[d] != want[d];
        was[d] = old[d] != NOT_IN || want[d] != NOT_IN;
    }
    return ret;
}

static uint32_t
levels_of(const struct snicd_offload *o, const struct snicd_otable *t,
          uint32_t n_levels)
{
    if (t != &o->tables[0])
        return n_levels;
    return n_levels > o->root_reserved ? n_levels - o->root_reserved : 0;
}

int
snicd_place_table(struct snicd_offload *o, struct snicd_otable *t,
                  uint32_t n_levels)
{
    uint32_t root_levels = levels_of(o, t, n_levels);
    struct snicd_oflow **order;
    bool moved, was[2];
    int ret = 0;

    q_clear(t);
    q_trim(t);
    for (unsigned d = 0; d < 2; d++)
        snicd_ov_clear(&t->ov[d]);
    t->n_no_space = t->n_failed = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        t->n_no_space += t->flows[i]->no_space;
        t->n_failed += t->flows[i]->create_failed;
    }
    t->dirty = false;
    if (t->n == 0)
        return 0;
    o->st.whole_tables++;
    order = malloc(t->n * sizeof(*order));
    if (order == NULL) {
        t->dirty = true;
        return -ENOMEM;
    }
    memcpy(order, t->flows, t->n * sizeof(*order));
    qsort(order, t->n, sizeof(*order), order_cmp);
    for (uint32_t i = 0; i < t->n && ret == 0; i++)
        ret = place_one(o, t, order[i], n_levels, root_levels, &moved, was);
    free(order);
    t->dirty = ret < 0;
    return ret;
}

int
snicd_place_reinstall(struct snicd_offload *o, struct snicd_otable *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        struct snicd_oflow *f = t->flows[i];
        enum snicd_where w;

        if (f->where == SNICD_WHERE_SW || f->conj_role == SNICD_CONJ_CLAUSE
            || f->conj_role == SNICD_CONJ_TARGET)
            continue;
        /* a decap context is created anew with its pop rule and marks:
         * that is placement's to do */
        if (tunnel_of(o, f) != NULL) {
            t->dirty = true;
            return 0;
        }
        w = snicd_offload_try_hw(o, f, f->level);
        if (o->dead)
            return -EIO;
        if (w == SNICD_WHERE_SW) {
            /* refused now: rule 1 may send later flows to software */
            t->dirty = true;
            return 0;
        }
        o->st.reinstalled++;
    }
    return 0;
}

int
snicd_place_queued(struct snicd_offload *o, struct snicd_otable *t,
                   uint32_t n_levels)
{
    uint32_t root_levels = levels_of(o, t, n_levels);
    bool moved, was[2];
    int ret = 0;

    while (t->nq > 0 && ret == 0) {
        struct snicd_oflow *f = q_pop(t);

        ret = place_one(o, t, f, n_levels, root_levels, &moved, was);
        for (unsigned d = 0; d < 2 && ret == 0 && moved; d++)
            if (was[d])
                ret = snicd_ov_later(&t->ov[d], f, queue_cb, t);
    }
    if (ret < 0)
        t->dirty = true;
    q_trim(t);
    return ret;
}

/* Does @f send a copy out anywhere before its jump (goto_table, or a
 * last resubmit(,N): snicd_xlate_jump())? (Only an
 * output makes a rule that rule 4 of docs/snicd.md changes; any
 * FLOW_ACT_OUTPUT counts, also inside a clone, whose flow is partial
 * anyway: placing it again only makes the same rule.) */
static bool
outputs(const struct snicd_oflow *f)
{
    const struct flow_action *a = snicd_oflow_actions(f);

    for (unsigned i = 0; i < snicd_oflow_n_actions(f); i++)
        if (a[i].type == FLOW_ACT_OUTPUT)
            return true;
    return false;
}

void
snicd_place_goto_flipped(struct snicd_offload *o, const bool *flipped)
{
    for (unsigned s = 0; s < SNICD_NUM_TABLES; s++) {
        struct snicd_otable *t = &o->tables[s];
        bool any = false;

        for (unsigned u = s + 1; !any && u < SNICD_NUM_TABLES; u++)
            any = flipped[u] && o->fail.n_goto[s][u] > 0;
        for (uint32_t i = 0; any && i < t->n; i++) {
            struct snicd_oflow *f = t->flows[i];
            int to = snicd_oflow_jump(f);

            if (to < 0 || !flipped[to] || !outputs(f))
                continue;
            /* its rule is made again even at the same level */
            f->changed = true;
            (void)snicd_place_queue(t, f);  /* else the table is dirty */
        }
    }
}

/* Does @f need a register bit at 1 (snicd_regs_nothing())? */
static bool
needs_reg(const struct snicd_oflow *f)
{
    struct flow_match m;

    snicd_oflow_match(f, &m);
    for (unsigned r = 0; r < FLOW_N_REGS; r++)
        if (m.value.meta.regs[r] & m.mask.meta.regs[r])
            return true;
    return false;
}

void
snicd_place_regs_flipped(struct snicd_offload *o, const bool *changed)
{
    for (unsigned s = 0; s < SNICD_NUM_TABLES; s++) {
        struct snicd_otable *t = &o->tables[s];

        for (uint32_t i = 0; changed[s] && i < t->n; i++)
            if (needs_reg(t->flows[i]))
                (void)snicd_place_queue(t, t->flows[i]);
    }
}

int
snicd_otable_append(struct snicd_otable *t, struct snicd_oflow *f)
{
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 64;
        struct snicd_oflow **n = realloc(t->flows, nc * sizeof(*n));

        if (n == NULL)
            return -ENOMEM;
        t->flows = n;
        t->cap = nc;
    }
    f->tidx = t->n;
    t->flows[t->n++] = f;
    return 0;
}
