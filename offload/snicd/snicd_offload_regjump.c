/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register writes across a jump (docs/snicd.md, "Registers and
 * pkt_mark"): a flow that writes regN and then jumps to table T is whole
 * in hardware only while T is sealed, no packet being able to reach
 * software from T on (snicd_regs_sealed()), since software would resume
 * it without the card's TAGs. Otherwise it is partial ("gated").
 *
 * Sealing is a property of placement, so the order of rule changes is
 * what keeps it true while packets flow:
 *  - let through (snicd_regjump_promote()): only after a commit's
 *    placement settled and the flow queue was drained, so every rule of
 *    the sealed tables is on the card before the writer's whole rule. The
 *    flows its writes make reachable were placed with rules already: a
 *    gated writer counts in the registers reaching its target
 *    (snicd_offload_regs.c) just as a whole one does.
 *  - held back (snicd_regjump_touch()): before the rule of any flow of a
 *    table a whole writer's packets can reach is made, replaced or
 *    dropped (added, changed, placed at another level or out of the
 *    card, removed), the writer's partial rule replaces
 *    its whole one, with the sync API so that it is on the card before
 *    the change; a writer's own table stops being sealed then, so the
 *    writers that reach it go first. The next promotion lets it through
 *    again if the table is still sealed.
 * "Can reach" is what the rules on the card do, not what the flow counts
 * say once a commit changed a jump (they follow the new jump before its
 * rule is made): the guard, the tables some whole writer reached when
 * the last commit ended, only grows during a commit, and a table in it
 * holds back every whole writer of an earlier table, whether or not the
 * counts still lead there. Removed whole writers go the earlier tables'
 * first (snicd_offload_commit()): a writer already out of its table can
 * no longer be held back.
 * The cost is a rule replaced twice per commit that changes a rule in
 * such a table, for every whole writer before it; a table with no whole
 * writer behind it costs one test per rule changed.
 */
#include <string.h>

#include "snicd_offload_priv.h"

static void
guard_rebuild(struct snicd_offload *o)
{
    struct snicd_regs *rg = &o->regs;
    bool reach[SNICD_NUM_TABLES];

    memset(rg->guard, 0, sizeof(rg->guard));
    for (unsigned s = 0; s < SNICD_NUM_TABLES; s++) {
        const struct snicd_otable *t = &o->tables[s];

        for (uint32_t i = 0; rg->n_whole[s] > 0 && i < t->n; i++) {
            const struct snicd_oflow *f = t->flows[i];

            if (!f->reg_whole || !f->wr_whole)
                continue;
            snicd_regs_closure(o, f->wr_to, reach);
            for (unsigned u = 0; u < SNICD_NUM_TABLES; u++)
                rg->guard[u] |= reach[u];
        }
    }
}

/* @f's whole rule goes: its partial one first (sync: on the card before
 * whatever made the caller ask). */
void
snicd_regjump_hold(struct snicd_offload *o, struct snicd_oflow *f)
{
    bool off = o->fq_off;
    enum snicd_where w;

    snicd_regjump_touch(o, f->table_id);
    f->reg_whole = false;
    o->st.reg_held_back++;
    if (o->dead || f->handle == NULL) {
        snicd_regs_count(&o->regs, f, true);
        return;
    }
    f->changed = true;
    o->fq_off = true;
    w = snicd_offload_try_hw(o, f, f->level);
    o->fq_off = off;
    snicd_regs_count(&o->regs, f, true);
    /* out of hardware altogether (rare: the partial rule refused): the
     * later flows of its table were placed with it in hardware */
    if (w == SNICD_WHERE_SW)
        o->tables[f->table_id].dirty = true;
    /* the workers learn its partial mark now rather than at the commit's
     * end (a frame with a mark they do not know is classified from table
     * 0) */
    (void)snicd_offload_marks_publish(o);
}

void
snicd_regjump_touch(struct snicd_offload *o, unsigned t)
{
    struct snicd_regs *rg = &o->regs;

    if (t >= SNICD_NUM_TABLES || !rg->guard[t])
        return;
    rg->guard[t] = false;       /* no second visit while it is done */
    for (unsigned s = 0; s < t; s++) {
        struct snicd_otable *ot = &o->tables[s];

        for (uint32_t i = 0; rg->n_whole[s] > 0 && i < ot->n; i++) {
            struct snicd_oflow *f = ot->flows[i];

            /* every one: the counts may no longer show the jump its
             * packets still take on the card (see the top) */
            if (f->reg_whole && f->wr_whole)
                snicd_regjump_hold(o, f);
        }
    }
}

unsigned
snicd_regjump_promote(struct snicd_offload *o)
{
    struct snicd_regs *rg = &o->regs;
    char why[SNICD_REASON_SIZE];
    unsigned again = 0;
    bool off = o->fq_off;

    if (o->dead || rg->n_writers == 0)
        return 0;
    o->fq_off = true;
    /* the last tables first: a writer there may seal an earlier
     * writer's target */
    for (unsigned s = SNICD_NUM_TABLES; s-- > 0;) {
        struct snicd_otable *t = &o->tables[s];

        for (uint32_t i = 0; rg->n_gated[s] > 0 && i < t->n; i++) {
            struct snicd_oflow *f = t->flows[i];
            enum snicd_where w;
            unsigned r = 0;

            if (!f->reg_gated || f->reg_whole || f->wr_regs == 0 ||
                f->where != SNICD_WHERE_PARTIAL)
                continue;
            while (!(f->wr_regs & (1u << r)))
                r++;
            if (!snicd_regs_sealed(o, f->wr_to, why, sizeof(why))) {
                snicd_oflow_say(o, f, "partial: write to "
                          "reg%u before jumping to table %u not offloaded "
                          "(%s, without its TAG registers: only META, "
                          "pkt_mark, goes to the host)", r, f->wr_to, why);
                continue;
            }
            f->reg_whole = true;
            f->changed = true;
            w = snicd_offload_try_hw(o, f, f->level);
            if (w == SNICD_WHERE_HW) {
                o->st.reg_let_through++;
            } else {
                /* the device refused the whole rule: not asked again
                 * until the flow is placed again */
                f->reg_whole = false;
                f->reg_gated = false;
                if (w == SNICD_WHERE_SW) {
                    t->dirty = true;
                    again++;
                }
            }
            snicd_regs_count(rg, f, true);
        }
    }
    o->fq_off = off;
    guard_rebuild(o);
    return again;
}
