/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which registers a packet can carry into each table on the card: a leaf
 * of the offload manager (docs/snicd.md, "Registers and pkt_mark").
 *
 * The card's TAG registers (reg0..reg7) are zero when a frame enters the
 * eSwitch and change only where a hardware flow writes them. A packet in
 * hardware reaches table T only through hardware flows, so in hardware
 * regN can be non-zero at T only when a flow that is in hardware whole
 * writes regN and then jumps to T, or to a table from which T is reached.
 * Where no such flow exists, a flow of T whose match needs a bit of regN
 * at 1 takes no packet on the card: it is placed as matching nothing
 * there (no rule, and it shadows nothing: rule 1 is about packets the
 * card could give to a later flow instead, and the card has none for
 * it). Software still has it, whole: a packet that reaches T in software
 * (a partial writer's, or one on a path that stays in software) is
 * classified against every flow of T.
 *
 * in[T] holds, per table, the registers (bit N: regN) that may be
 * non-zero in hardware at T. A flow may match a register value with a
 * bit at 1 only where in[T] has that register.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "snicd_offload_priv.h"

const char *
snicd_regs_nothing(const struct snicd_offload *o, const struct snicd_oflow *f,
                   char *buf, size_t size)
{
    struct flow_match match;
    const struct flow_meta *v = &match.value.meta;
    const struct flow_meta *m = &match.mask.meta;
    unsigned t = f->table_id;

    snicd_oflow_match(f, &match);
    for (unsigned r = 0; r < FLOW_N_REGS; r++) {
        uint32_t need = v->regs[r] & m->regs[r];
        char mask[16] = "";

        if (need == 0 || (o->regs.in[t] & (1u << r)))
            continue;
        if (m->regs[r] != UINT32_MAX)
            snprintf(mask, sizeof(mask), "/%#" PRIx32, m->regs[r]);
        snicd_say(buf, size, "matches reg%u=%#" PRIx32 "%s, which no "
                  "hardware flow writes before table %u: no packet on the "
                  "card can match it (no rule; software has it)", r,
                  v->regs[r], mask, t);
        return buf;
    }
    return NULL;
}

uint16_t
snicd_regs_written(const struct flow *f)
{
    uint16_t regs = 0;

    if (snicd_xlate_jump(f) < 0)
        return 0;
    for (unsigned i = 0; i < f->n_actions && i < FLOW_MAX_ACTIONS; i++) {
        const struct flow_action *a = &f->actions[i];
        const uint64_t ones[2] = { UINT64_MAX, UINT64_MAX };
        struct flow_meta m;

        if (a->type != FLOW_ACT_LOAD && a->type != FLOW_ACT_MOVE)
            continue;
        /* reg, xreg and xxreg: views of the same registers */
        if (a->dst.field < FLOW_FIELD_REG0 ||
            a->dst.field >= FLOW_FIELD_METADATA)
            continue;
        memset(&m, 0, sizeof(m));
        flow_subfield_set(&m, &a->dst, ones);
        for (unsigned r = 0; r < FLOW_N_REGS; r++)
            if (m.regs[r] != 0)
                regs |= (uint16_t)(1u << r);
    }
    return regs;
}

/* Only a flow with a rule counts, whole or gated: it is the one whose
 * writes can be on the card now or once it is let through. */
void
snicd_regs_count(struct snicd_regs *rg, struct snicd_oflow *f, bool in)
{
    unsigned t = f->table_id;
    uint16_t regs = 0;
    bool whole = false;
    int to = -1;

    if (in && f->where != SNICD_WHERE_SW && (f->reg_gated || f->reg_whole)) {
        struct flow fl;

        snicd_oflow_flow(f, &fl);
        to = snicd_xlate_jump(&fl);
        regs = to >= 0 ? snicd_regs_written(&fl) : 0;
        whole = regs != 0 && f->reg_whole && f->where == SNICD_WHERE_HW;
    }
    if (regs == f->wr_regs && (regs == 0 || (to == f->wr_to &&
                                             whole == f->wr_whole)))
        return;
    if (f->wr_regs != 0) {
        for (unsigned r = 0; r < FLOW_N_REGS; r++)
            if (f->wr_regs & (1u << r))
                rg->n_wr[f->wr_to][r]--;
        rg->n_writers--;
        if (f->wr_whole)
            rg->n_whole[t]--;
        else
            rg->n_gated[t]--;
    }
    f->wr_regs = regs;
    f->wr_to = (uint8_t)(to >= 0 ? to : 0);
    f->wr_whole = whole;
    if (regs != 0) {
        for (unsigned r = 0; r < FLOW_N_REGS; r++)
            if (regs & (1u << r))
                rg->n_wr[to][r]++;
        rg->n_writers++;
        if (whole)
            rg->n_whole[t]++;
        else
            rg->n_gated[t]++;
    }
    rg->dirty = true;
}

/* Jumps go only forward: one pass in table order decides every table. */
unsigned
snicd_regs_settle(struct snicd_offload *o, bool changed[SNICD_NUM_TABLES])
{
    struct snicd_regs *rg = &o->regs;
    bool any = false;
    unsigned n = 0;

    memset(changed, 0, SNICD_NUM_TABLES * sizeof(changed[0]));
    if (!rg->dirty)
        return 0;
    rg->dirty = false;
    if (rg->n_writers == 0 && !rg->any_in)
        return 0;
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++) {
        uint16_t in = 0;

        for (unsigned r = 0; r < FLOW_N_REGS; r++)
            if (rg->n_wr[t][r] > 0)
                in |= (uint16_t)(1u << r);
        for (unsigned s = 0; s < t; s++)
            if (rg->in[s] != 0 && o->fail.n_goto[s][t] > 0)
                in |= rg->in[s];
        if (in != rg->in[t]) {
            rg->in[t] = in;
            changed[t] = true;
            n++;
        }
        any |= in != 0;
    }
    rg->any_in = any;
    return n;
}

void
snicd_regs_closure(const struct snicd_offload *o, unsigned to,
                   bool reach[SNICD_NUM_TABLES])
{
    memset(reach, 0, SNICD_NUM_TABLES * sizeof(reach[0]));
    if (to >= SNICD_NUM_TABLES)
        return;
    reach[to] = true;
    for (unsigned u = to; u < SNICD_NUM_TABLES; u++) {
        if (!reach[u])
            continue;
        for (unsigned v = u + 1; v < SNICD_NUM_TABLES; v++)
            if (o->fail.n_goto[u][v] > 0)
                reach[v] = true;
    }
}

/* NORMAL switches by learned addresses: even with rules for what it
 * learned on the card, a destination it has not learned is software's,
 * so a flow with it never seals a table, whatever its place says. */
static bool
uses_normal(const struct snicd_oflow *f)
{
    const struct flow_action *a = snicd_oflow_actions(f);

    for (unsigned i = 0; i < snicd_oflow_n_actions(f); i++)
        if (a[i].type == FLOW_ACT_OUTPUT && a[i].u.port == FLOW_PORT_NORMAL)
            return true;
    return false;
}

/*
 * A packet leaves the card for software only by a miss (no hardware
 * flow of the table matches it), a partial flow's mark, or a resume mark
 * after a miss in a later table. So where every flow of every table the
 * packet can reach is whole in hardware (or matches nothing there, as no
 * packet on the card can reach it) and each such table has a catch-all
 * in hardware, nothing can: that is what lets a register write cross a
 * jump, since software never needs the TAGs it cannot see. Flows of
 * tables still to be placed count as not there yet.
 */
bool
snicd_regs_sealed(const struct snicd_offload *o, unsigned to, char *why,
                  size_t size)
{
    bool reach[SNICD_NUM_TABLES];

    snicd_regs_closure(o, to, reach);
    for (unsigned u = to; u < SNICD_NUM_TABLES; u++) {
        const struct snicd_otable *t = &o->tables[u];
        bool all = false;

        if (!reach[u])
            continue;
        if (t->dirty || t->nq > 0) {
            snicd_say(why, size, "table %u is not placed yet", u);
            return false;
        }
        for (uint32_t i = 0; i < t->n; i++) {
            const struct snicd_oflow *f = t->flows[i];

            if (f->reg_nothing)
                continue;
            if (f->queued) {
                snicd_say(why, size, "flow %" PRIu64 " of table %u is not "
                          "on the card yet", f->id, u);
                return false;
            }
            if (f->where == SNICD_WHERE_HW && uses_normal(f)) {
                snicd_say(why, size, "flow %" PRIu64 " of table %u uses "
                          "NORMAL, whose unlearned destinations are "
                          "software's", f->id, u);
                return false;
            }
            if (f->where != SNICD_WHERE_HW) {
                snicd_say(why, size, "flow %" PRIu64 " of table %u is %s, "
                          "so a packet can reach software from there",
                          f->id, u, f->where == SNICD_WHERE_PARTIAL
                          ? "partial" : "in software");
                return false;
            }
            all |= snicd_oflow_catch_all(f);
        }
        if (!all) {
            snicd_say(why, size, "table %u has no catch-all flow in "
                      "hardware, so a miss there reaches software", u);
            return false;
        }
    }
    return true;
}
