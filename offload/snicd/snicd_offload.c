/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's public API: records of the flows (fed by the flow
 * table's listener), commit, where/why, counters, resync, port loss. The
 * per-table decision is snicd_offload_place.c; installing, marks and the
 * device probe are snicd_offload_rule.c.
 *
 * Nothing reaches the device outside snicd_offload_commit() (and resync /
 * port_gone, which commit themselves): the listener only records.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_flow.h>

#include "snicd_offload_priv.h"
#include "snicd_xlate.h"

/* ------------------------------------------------------------------------
 * Records and the listener
 * ------------------------------------------------------------------------ */

static int
table_add(struct snicd_otable *t, struct snicd_oflow *f)
{
    if (snicd_otable_append(t, f) < 0)
        return -ENOMEM;
    (void)snicd_place_queue(t, f);  /* else the table is dirty */
    return 0;
}

/* The later flows @f overlapped are placed again: it no longer shadows
 * them or pushes them down. */
static void
table_del(struct snicd_otable *t, struct snicd_oflow *f)
{
    struct snicd_oflow *last = t->flows[--t->n];

    snicd_place_forget(t, f);
    snicd_place_uncount(t, f);
    t->flows[f->tidx] = last;
    last->tidx = f->tidx;
}

static void
flow_added(struct snicd_offload *o, const struct flow_entry *e)
{
    struct snicd_oflow *f = snicd_oflow_new_entry(e);

    if (f == NULL)
        return;         /* unknown to us = software, which has it */
    f->where = SNICD_WHERE_SW;
    snicd_oflow_reason(o, f, "pending commit");
    if (table_add(&o->tables[f->table_id], f) < 0)
        goto free_flow;
    snicd_idmap_put(&o->ids, f);
    f->listed = true;
    o->n_where[f->where]++;
    snicd_fail_count(&o->fail, f, 1);
    snicd_conj_note(&o->tables[f->table_id], f, 1);
    return;

free_flow:
    snicd_oflow_free(o, f);
}

/* @f leaves the id map (unless the map was emptied whole: @in_map
 * false) and the counts by place. */
static void
flow_unlist_(struct snicd_offload *o, struct snicd_oflow *f, bool in_map)
{
    if (in_map)
        snicd_idmap_del(&o->ids, f);
    if (f->listed)
        o->n_where[f->where]--;
    f->listed = false;
}

static void
flow_unlist(struct snicd_offload *o, struct snicd_oflow *f)
{
    flow_unlist_(o, f, true);
}

static void
flow_removed(struct snicd_offload *o, struct snicd_oflow *f)
{
    /* its NORMAL conversations go with it, on every way out (a table
     * clear without memory for its list comes here one flow at a time) */
    snicd_conv_drop_flow(o, f);
    flow_unlist(o, f);
    snicd_fail_count(&o->fail, f, -1);
    snicd_regs_count(&o->regs, f, false);
    snicd_conj_note(&o->tables[f->table_id], f, -1);
    table_del(&o->tables[f->table_id], f);
    if (f->handle == NULL && f->mark == 0) {
        snicd_oflow_free(o, f);
        return;
    }
    if (o->n_removed == o->cap_removed) {
        uint32_t nc = o->cap_removed ? o->cap_removed * 2 : 64;
        struct snicd_oflow **n = realloc(o->removed, nc * sizeof(*n));

        if (n == NULL) {
            /* cannot defer: drop the rule now (a destroy on the flow
             * queue is pushed and pulled at once: no operation outlives
             * a commit) */
            snicd_regjump_touch(o, f->table_id);
            snicd_offload_to_sw(o, f, "removed", false);
            (void)snicd_offload_queue_flush(o);
            snicd_oflow_free(o, f);
            return;
        }
        o->removed = n;
        o->cap_removed = nc;
    }
    /* its entry goes with the table's transaction: nothing reads it on
     * the removed list */
    snicd_oflow_rebind(f, NULL);
    o->removed[o->n_removed++] = f;
}

/* Room for @more flows on the removed list: 0 or -ENOMEM. */
static int
removed_room(struct snicd_offload *o, uint64_t more)
{
    uint64_t nc = (uint64_t)o->n_removed + more;
    struct snicd_oflow **n;

    if (nc <= o->cap_removed)
        return 0;
    n = nc > UINT32_MAX ? NULL : realloc(o->removed, nc * sizeof(*n));
    if (n == NULL)
        return -ENOMEM;
    o->removed = n;
    o->cap_removed = (uint32_t)nc;
    return 0;
}

/* Every flow of table @t leaves at once (FLOW_CHANGE_CLEARED): its
 * order, overlap indexes and queue go whole instead of flow by flow (a
 * flow's leaving would place again every later flow it overlapped, all
 * of them leaving too); the flows with a rule or a mark wait for the
 * commit, as a removed flow does. @in_map false: the id map was emptied
 * whole already (the caller made the room on the removed list first). */
static void
table_clear(struct snicd_offload *o, struct snicd_otable *t, bool in_map)
{
    if (t->n == 0)
        return;
    if (removed_room(o, t->n) < 0) {
        /* one by one: flow_removed copes without memory */
        while (t->n > 0)
            flow_removed(o, t->flows[t->n - 1]);
        return;
    }
    snicd_place_clear(t);
    for (uint32_t i = 0; i < t->n; i++) {
        struct snicd_oflow *f = t->flows[i];

        flow_unlist_(o, f, in_map);
        /* its NORMAL conversations go with it, wherever it lived */
        snicd_conv_drop_flow(o, f);
        /* a combination rule is in no count */
        if (snicd_oflow_conj_owner(f) == 0)
            snicd_fail_count(&o->fail, f, -1);
        snicd_regs_count(&o->regs, f, false);
        if (f->handle == NULL && f->mark == 0) {
            snicd_oflow_free(o, f);
        } else {
            snicd_oflow_rebind(f, NULL);    /* as in flow_removed() */
            o->removed[o->n_removed++] = f;
        }
    }
    t->n = 0;
    t->n_conj_flows = 0;
    snicd_conj_fini(t);
    t->conj_dirty = false;
}

void
snicd_offload_flow_changed(void *o_, enum flow_change_kind kind,
                           const struct flow_entry *e,
                           enum flow_removed_reason reason)
{
    struct snicd_offload *o = o_;
    struct snicd_oflow *f = snicd_idmap_find(&o->ids, e->id);
    struct snicd_otable *t;

    (void)reason;
    if (kind == FLOW_CHANGE_CLEARED) {
        unsigned tid = e->flow.table_id;
        uint64_t n = 0;
        bool in_map = true;

        /* every flow leaving: the id map goes whole, not a removal (a
         * cache miss) a flow */
        for (unsigned k = 0; k < SNICD_NUM_TABLES; k++)
            if (tid == FLOW_TABLE_ALL || tid == k)
                n += o->tables[k].n;
        if (n == snic_hmap_count(&o->ids) && n > 0 &&
            removed_room(o, n) == 0) {
            snic_hmap_clear(&o->ids);
            in_map = false;
        }
        for (unsigned k = 0; k < SNICD_NUM_TABLES; k++)
            if (tid == FLOW_TABLE_ALL || tid == k)
                table_clear(o, &o->tables[k], in_map);
        return;
    }
    if (kind == FLOW_CHANGE_REMOVED) {
        if (f != NULL)
            flow_removed(o, f);
        return;
    }
    /* the same flow (ids are never reused), wherever its node is now */
    if (f != NULL)
        snicd_oflow_rebind(f, e);
    /* NORMAL's conversations this flow may now win over (or derive
     * from) leave the card before anything else sees it */
    snicd_conv_drop_below(o, e->flow.table_id, e->flow.priority);
    if (f == NULL) {
        flow_added(o, e);
        return;
    }
    snicd_conv_drop_flow(o, f);
    t = &o->tables[f->table_id];
    /* its match, priority and table are its id's for good (the flow
     * table's key, and the record reads its match from the entry): only
     * its actions can differ from its rule's */
    if (!snicd_oflow_actions_are_entry(f, e))
        f->changed = true;
    snicd_fail_count(&o->fail, f, -1);
    snicd_conj_note(t, f, -1);
    if (snicd_oflow_set_entry(f, e) < 0) {
        /* no memory for its new flow: forgotten (so software's), never
         * left with its old one; its counts go back for flow_removed */
        snicd_fail_count(&o->fail, f, 1);
        snicd_conj_note(t, f, 1);
        flow_removed(o, f);
        return;
    }
    snicd_fail_count(&o->fail, f, 1);
    snicd_conj_note(t, f, 1);
    if (f->changed)
        (void)snicd_place_queue(t, f);
}

void
snicd_offload_flow_moved(struct snicd_offload *o, const struct flow_entry *e)
{
    struct snicd_oflow *f = snicd_idmap_find(&o->ids, e->id);

    if (f != NULL)
        snicd_oflow_rebind(f, e);
}

static int
seq_cmp(const void *a_, const void *b_)
{
    const struct snicd_oflow *a = *(const struct snicd_oflow *const *)a_;
    const struct snicd_oflow *b = *(const struct snicd_oflow *const *)b_;

    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

static int
ports_copy(struct snicd_offload *o, const struct snicd_port_info *p,
           unsigned n)
{
    struct snicd_port_info *c = NULL;

    if (n > 0) {
        c = malloc(n * sizeof(*c));
        if (c == NULL)
            return -ENOMEM;
        memcpy(c, p, n * sizeof(*c));
    }
    free(o->ports);
    o->ports = c;
    o->n_ports = n;
    snicd_fail_set_patches(o, p, n);
    return 0;
}

struct snicd_offload *
snicd_offload_create(const struct snicd_offload_cfg *c)
{
    struct snicd_offload *o;
    uint64_t quiet_ns;

    if (c == NULL || (c->n_ports > 0 && c->ports == NULL)) {
        errno = EINVAL;
        return NULL;
    }
    o = calloc(1, sizeof(*o));
    if (o == NULL)
        goto fail;
    o->cfg = *c;
    if (ports_copy(o, c->ports, c->n_ports) < 0)
        goto free_o;
    snic_hmap_init(&o->ids);
    snicd_reasons_init(&o->reasons);
    snicd_convs_init(&o->convs);
    o->shapes = snicd_shape_cache_create();
    if (o->shapes == NULL)
        goto free_ports;
    o->x = malloc(sizeof(*o->x));
    if (o->x == NULL)
        goto free_shapes;
    quiet_ns = (uint64_t)(c->mark_quiet_ms ? c->mark_quiet_ms
                                           : SNICD_MARK_QUIET_MS) * 1000000u;
    if (snicd_mark_pool_init(&o->flow_marks, SNICD_MARK_FLOW_FIRST,
                             SNICD_MARK_DECAP_FIRST - 1, quiet_ns) < 0)
        goto free_x;
    if (snicd_mark_pool_init(&o->decap_marks, SNICD_MARK_DECAP_FIRST,
                             SNICD_MARK_DECAP_LAST, quiet_ns) < 0)
        goto fini_flow_marks;
    if (o->cfg.enabled) {
        snicd_offload_probe_levels(o);
        snicd_offload_probe_tags(o);
    }
    o->st.hw_levels = o->n_levels;
    snicd_tun_probe(o);
    snicd_offload_queue_attach(o, false);
    return o;

fini_flow_marks:
    snicd_mark_pool_fini(&o->flow_marks);
free_x:
    free(o->x);
free_shapes:
    snicd_shape_cache_destroy(o->shapes);
free_ports:
    free(o->ports);
free_o:
    free(o);
fail:
    errno = ENOMEM;
    return NULL;
}

void
snicd_offload_leave(struct snicd_offload *o)
{
    if (o == NULL)
        return;
    /* as for a device gone: handles forgotten, nothing asked of it */
    o->dead = true;
    snicd_offload_destroy(o);
}

void
snicd_offload_destroy(struct snicd_offload *o)
{
    struct snicd_oflow *f, **all;
    uint64_t n = 0;

    if (o == NULL)
        return;
    (void)snicd_offload_reap(o, UINT32_MAX);
    free(o->lost);
    snicd_convs_fini(o);
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++) {
        snicd_place_table_fini(&o->tables[t]);
        snicd_conj_fini(&o->tables[t]);
    }
    /* oldest rule first: PMDs that keep their rules in a list (net_emunic
     * does) then find each one at its head */
    all = malloc((snic_hmap_count(&o->ids) + o->n_removed + 1)
                 * sizeof(*all));
    SNIC_HMAP_FOR_EACH(f, id_node, &o->ids) {
        if (all != NULL)
            all[n++] = f;
        else
            snicd_offload_rule_retire(o, f);
    }
    for (uint32_t i = 0; i < o->n_removed; i++) {
        if (all != NULL)
            all[n++] = o->removed[i];
        else
            snicd_offload_rule_retire(o, o->removed[i]);
    }
    if (all != NULL) {
        qsort(all, n, sizeof(*all), seq_cmp);
        for (uint64_t i = 0; i < n; i++) {
            snicd_offload_rule_retire(o, all[i]);
            snicd_oflow_release(all[i]);
            free(all[i]);
        }
        free(all);
    } else {
        SNIC_HMAP_FOR_EACH_SAFE(f, id_node, &o->ids) {
            snicd_oflow_release(f);
            free(f);
        }
        for (uint32_t i = 0; i < o->n_removed; i++) {
            snicd_oflow_release(o->removed[i]);
            free(o->removed[i]);
        }
    }
    /* the destroys still queued, then the templates */
    snicd_offload_queue_detach(o, false);
    /* the pop rules went with the last flow of each context */
    snicd_tun_fini(o);
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        free(o->tables[t].flows);
    free(o->removed);
    snic_hmap_fini(&o->ids);
    /* the flows' texts, freed above without giving them back */
    snicd_reasons_fini(&o->reasons);
    snicd_offload_moved_fini(o);
    snicd_shape_cache_destroy(o->shapes);
    free(o->x);
    free(o->fq_x);
    free(o->gone);
    snicd_mark_pool_fini(&o->flow_marks);
    snicd_mark_pool_fini(&o->decap_marks);
    free(o->ports);
    free(o);
}

/* Everything a translation may take from a port (the name only feeds
 * reasons, but a renamed port is rare enough to count). */
static bool
port_same(const struct snicd_port_info *a, const struct snicd_port_info *b)
{
    return a->ethdev == b->ethdev && a->is_uplink == b->is_uplink &&
           a->is_tunnel == b->is_tunnel && a->vf == b->vf &&
           a->is_patch == b->is_patch && a->peer == b->peer &&
           strcmp(a->name, b->name) == 0 &&
           a->tun_underlay == b->tun_underlay &&
           a->tun_local_ip == b->tun_local_ip &&
           a->tun_remote_ip == b->tun_remote_ip &&
           memcmp(a->tun_local_mac, b->tun_local_mac, 6) == 0 &&
           memcmp(a->tun_remote_mac, b->tun_remote_mac, 6) == 0;
}

/* Every flow re-translated: a rule made with the old map may name
 * another port now. */
static void
mark_all_changed(struct snicd_offload *o)
{
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++) {
        o->tables[t].dirty = o->tables[t].n > 0;
        for (uint32_t i = 0; i < o->tables[t].n; i++)
            o->tables[t].flows[i]->changed = true;
    }
    o->tun.refresh = true;
}

/* Only the flows whose rules name @ofport: every other rule stays. */
static void
mark_touching(struct snicd_offload *o, uint32_t ofport)
{
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        for (uint32_t i = 0; i < o->tables[t].n; i++) {
            struct snicd_oflow *f = o->tables[t].flows[i];
            struct flow fl;

            snicd_oflow_flow(f, &fl);
            if (snicd_offload_flow_touches(o, &fl, ofport)) {
                f->changed = true;
                o->tables[t].dirty = true;
            }
        }
}

/* Does a change of @ofport reach rules other than the flows touching it:
 * the uplink (the transfer proxy), a tunnel port or an underlay (the
 * guard and pop rules name them)? */
static bool
change_is_global(const struct snicd_port_info *v, unsigned n,
                 const struct snicd_port_info *p)
{
    if (p->is_uplink || p->is_tunnel)
        return true;
    for (unsigned i = 0; i < n; i++)
        if (v[i].is_tunnel && v[i].tun_underlay == p->ofport)
            return true;
    return false;
}

int
snicd_offload_set_ports(struct snicd_offload *o,
                        const struct snicd_port_info *ports, unsigned n)
{
    uint32_t *changed = malloc((n + o->n_ports + 1) * sizeof(*changed));
    unsigned n_changed = 0;
    bool global = changed == NULL;
    int ret;

    for (unsigned i = 0; changed != NULL && i < n; i++) {
        const struct snicd_port_info *was =
            snicd_xlate_port(o->ports, o->n_ports, ports[i].ofport);

        if (was != NULL && port_same(was, &ports[i]))
            continue;
        changed[n_changed++] = ports[i].ofport;
        global |= change_is_global(ports, n, &ports[i]) ||
                  (was != NULL && change_is_global(o->ports, o->n_ports, was));
    }
    for (unsigned i = 0; changed != NULL && i < o->n_ports; i++)
        if (snicd_xlate_port(ports, n, o->ports[i].ofport) == NULL) {
            changed[n_changed++] = o->ports[i].ofport;
            global |= change_is_global(o->ports, o->n_ports, &o->ports[i]);
        }
    ret = ports_copy(o, ports, n);
    if (ret < 0)
        goto free_changed;
    if (global) {
        mark_all_changed(o);
    } else {
        for (unsigned i = 0; i < n_changed; i++)
            mark_touching(o, changed[i]);
    }
    /* a refusal cached for an ethdev id may not hold for the port that
     * has the id now */
    if (n_changed > 0 || global)
        snicd_shape_cache_clear(o->shapes);
free_changed:
    free(changed);
    return ret;
}

int
snicd_offload_port_back(struct snicd_offload *o, uint32_t ofport)
{
    struct snicd_oflow *f;
    int ret, placed = 0;

    for (unsigned i = 0; i < o->n_gone; i++)
        if (o->gone[i] == ofport) {
            o->gone[i] = o->gone[--o->n_gone];
            break;
        }
    /* its rules went with it: the device kept every other one, so only
     * these are placed again (placement re-levels what they overlap) */
    mark_touching(o, ofport);
    /* a refusal validated while the port was on its way out must not
     * stick to the ethdev id it has again */
    snicd_shape_cache_clear(o->shapes);
    o->st.port_backs++;
    ret = snicd_offload_commit(o);
    if (ret < 0)
        return ret;
    SNIC_HMAP_FOR_EACH(f, id_node, &o->ids) {
        struct flow fl;

        if (f->where == SNICD_WHERE_SW)
            continue;
        snicd_oflow_flow(f, &fl);
        placed += snicd_offload_flow_touches(o, &fl, ofport);
    }
    return placed;
}

/* Place every dirty table, again while a pass freed the room flows
 * wait for (bounded). */
static int
place_rounds(struct snicd_offload *o)
{
    int ret = 0;

    /* A pass can free the room it lacked: a new flow that found the device
     * full stays in software, and then every lower flow it overlaps must
     * leave hardware too (rule 1), which empties the device. Placing again
     * while rules went away and flows wait for room keeps the best set in
     * hardware within the same commit: the new flow first, then as many of
     * the others as fit. The bound stops a device whose room comes and goes
     * (each pass converges unless rules keep being replaced). */
    for (unsigned round = 0; round < SNICD_PLACE_ROUNDS; round++) {
        bool again = false;

        for (unsigned t = 0; t < SNICD_NUM_TABLES; t++) {
            struct snicd_otable *ot = &o->tables[t];
            bool regs[SNICD_NUM_TABLES];

            /* a writer placed in an earlier table may change which
             * registers reach this one (jumps go forward) */
            if (snicd_regs_settle(o, regs) > 0)
                snicd_place_regs_flipped(o, regs);
            /* what changed, unless the whole table must be placed again
             * (or placing what changed ran out of memory) */
            if (!ot->dirty && ot->nq > 0)
                ret = snicd_place_queued(o, ot, o->n_levels);
            if (ot->dirty)
                ret = snicd_place_table(o, ot, o->n_levels);
            if (ret < 0)
                break;
        }
        if (ret < 0 || o->dead)
            break;
        /* flows queued behind the pass (a register writer held back in a
         * table placed before) */
        for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
            again |= o->tables[t].nq > 0 || o->tables[t].dirty;
        if (!again && !o->space_freed)
            break;
        if (o->space_freed) {
            o->space_freed = false;
            for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
                if (o->tables[t].n_no_space > 0) {
                    o->tables[t].dirty = true;
                    again = true;
                }
        }
        if (!again)
            break;
        o->st.place_rounds++;
    }
    return ret;
}

/* Removed flow o->removed[@i] leaves the card and snicd. */
static void
removed_retire(struct snicd_offload *o, uint32_t i)
{
    struct snicd_oflow *f = o->removed[i];

    if (f->handle != NULL)
        snicd_regjump_touch(o, f->table_id);
    snicd_oflow_where(o, f, SNICD_WHERE_SW);
    snicd_offload_rule_retire(o, f);
    snicd_offload_mark_settle(o, f, 0, 0);
    snicd_oflow_free(o, f);
    o->removed[i] = NULL;
}

/* Whether the removed list is oldest rule first already: a table
 * cleared whole comes in the table's order, which is mostly the order
 * its rules were made (sorting 1,000,000 of them anyway was 5% of their
 * delete, #13). */
static bool
removed_sorted(const struct snicd_offload *o)
{
    for (uint32_t i = 1; i < o->n_removed; i++)
        if (o->removed[i - 1]->seq > o->removed[i]->seq)
            return false;
    return true;
}

/* By table, then oldest rule first */
static int
whole_cmp(const void *a_, const void *b_)
{
    const struct snicd_oflow *a = *(const struct snicd_oflow *const *)a_;
    const struct snicd_oflow *b = *(const struct snicd_oflow *const *)b_;

    if (a->table_id != b->table_id)
        return a->table_id < b->table_id ? -1 : 1;
    return seq_cmp(a_, b_);
}

/* The removed whole register writers first, the earlier tables' first. */
static void
removed_whole_retire(struct snicd_offload *o)
{
    struct snicd_oflow **w;
    uint32_t n = 0;

    for (uint32_t i = 0; i < o->n_removed; i++)
        n += o->removed[i]->reg_whole;
    if (n == 0)
        return;
    w = malloc(n * sizeof(*w));
    if (w == NULL) {
        /* no memory to sort them: table by table */
        for (unsigned t = 0; n > 0 && t < SNICD_NUM_TABLES; t++)
            for (uint32_t i = 0; i < o->n_removed; i++)
                if (o->removed[i] != NULL && o->removed[i]->reg_whole
                    && o->removed[i]->table_id == t) {
                    removed_retire(o, i);
                    n--;
                }
        return;
    }
    n = 0;
    for (uint32_t i = 0; i < o->n_removed; i++)
        if (o->removed[i]->reg_whole)
            w[n++] = o->removed[i];
    qsort(w, n, sizeof(*w), whole_cmp);
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t i = 0; i < o->n_removed; i++)
            if (o->removed[i] == w[k]) {
                removed_retire(o, i);
                break;
            }
    free(w);
}

int
snicd_offload_commit_start(struct snicd_offload *o)
{
    bool flipped[SNICD_NUM_TABLES];
    int ret;

    o->commits++;
    o->ops = 0;
    /* oldest rule first (see snicd_offload_destroy); nobody asks for the
     * counters of a removed flow any more */
    if (!removed_sorted(o))
        qsort(o->removed, o->n_removed, sizeof(o->removed[0]), seq_cmp);
    /* a removed whole register writer's rule goes before any rule its
     * packets could reach, the earlier tables' first (a writer already out
     * of its table cannot be held back when a later one goes); a removed
     * flow where a whole writer's packets go makes that writer partial
     * first (snicd_regjump_touch) */
    removed_whole_retire(o);
    for (uint32_t i = 0; i < o->n_removed; i++)
        if (o->removed[i] != NULL)
            removed_retire(o, i);
    o->n_removed = 0;
    /* conjunctions whose flows changed: their combination rules */
    snicd_conj_sync(o);
    if (o->space_freed)
        for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
            if (o->tables[t].n_no_space > 0)
                o->tables[t].dirty = true;
    o->space_freed = false;
    /* a table that can now drop a packet whole, or no longer can,
     * changes the rules of the flows that output and then go there */
    if (o->fail.dirty)
        o->regs.dirty = true;   /* jumps changed: registers reach anew */
    if (snicd_fail_settle(&o->fail, flipped) > 0)
        snicd_place_goto_flipped(o, flipped);
    /* the guards before any flow of group 0 (they decide what may go
     * there) */
    snicd_tun_sync(o);
    ret = 0;
    if (o->reinstall) {
        /* before any pass: the flows placed whole below find the others
         * back in hardware and keep them */
        o->reinstall = false;
        for (unsigned t = 0; t < SNICD_NUM_TABLES && ret == 0; t++)
            if (!o->tables[t].dirty && o->tables[t].n > 0)
                ret = snicd_place_reinstall(o, &o->tables[t]);
    }
    if (ret == 0)
        ret = place_rounds(o);
    /* the card works on the batch while the caller does its own part */
    snicd_offload_queue_push(o);
    o->commit_ret = ret;
    o->commit_open = true;
    return ret;
}

int
snicd_offload_commit_finish(struct snicd_offload *o)
{
    int ret = o->commit_ret;

    if (!o->commit_open)
        return 0;
    o->commit_open = false;
    /* The flow queue's results. A table where the device refused a rule
     * of the batch was placed as if the rule were in: it is placed again
     * (the last time with the sync API, which settles within its pass),
     * so the commit ends with rules 1 and 2 holding everywhere. */
    for (unsigned pass = 1; snicd_offload_queue_flush(o) > 0 && ret >= 0 &&
         !o->dead; pass++) {
        o->fq_off = pass >= SNICD_PLACE_ROUNDS;
        o->st.place_rounds++;
        ret = place_rounds(o);
        o->fq_off = false;
    }
    /* every rule of the placement is on the card: register writers whose
     * target is sealed get their whole rules (a refusal that took one
     * out of hardware has its table placed again) */
    if (ret >= 0 && !o->dead && snicd_regjump_promote(o) > 0) {
        ret = place_rounds(o);
        (void)snicd_offload_queue_flush(o);
    }
    snicd_conj_report(o);
    (void)snicd_offload_marks_publish(o);
    if (o->dead)
        return -EIO;
    return ret < 0 ? ret : o->ops;
}

int
snicd_offload_commit(struct snicd_offload *o)
{
    (void)snicd_offload_commit_start(o);
    return snicd_offload_commit_finish(o);
}

enum snicd_where
snicd_offload_where(const struct snicd_offload *o, uint64_t id,
                    const char **reason)
{
    const struct snicd_oflow *f = snicd_idmap_find(&o->ids, id);

    if (f == NULL) {
        if (reason != NULL)
            *reason = "unknown flow";
        return SNICD_WHERE_SW;
    }
    if (reason != NULL)
        *reason = f->reason != NULL ? f->reason : "";
    return (enum snicd_where)f->where;
}

int
snicd_offload_read_counters(struct snicd_offload *o, snicd_hw_stats_fn *fn,
                            void *ctx, bool *moved_only)
{
    struct snicd_oflow *f;
    int n = 0;

    /* the flows whose counters moved, when the PMD can tell */
    *moved_only = false;
    if (!o->dead) {
        bool all = true;

        n = snicd_offload_read_moved(o, fn, ctx, &all);
        if (n != -ENOTSUP) {
            *moved_only = n >= 0 && !all;
            return o->dead ? -EIO : n;
        }
        n = 0;
    }
    SNIC_HMAP_FOR_EACH(f, id_node, &o->ids) {
        /* a rule the device lost (reset, no resync yet) keeps its last
         * reading: that is what the device counted */
        uint64_t pkts, bytes;

        if (f->handle != NULL && f->where == SNICD_WHERE_HW && !o->dead)
            (void)snicd_offload_rule_count(o, f->handle, &f->cur_pkts,
                                           &f->cur_bytes);
        for (struct snicd_oflow *c = snicd_oflow_conj_combos(f); c != NULL;
             c = snicd_oflow_conj_next(c))
            if (c->handle != NULL && c->where == SNICD_WHERE_HW && !o->dead)
                (void)snicd_offload_rule_count(o, c->handle, &c->cur_pkts,
                                               &c->cur_bytes);
        if (snicd_oflow_conj_owner(f) != 0)
            continue;       /* its conj_id flow reports it */
        snicd_conj_totals(f, &pkts, &bytes);
        if (f->where != SNICD_WHERE_HW && pkts == 0 && bytes == 0)
            continue;
        fn(ctx, f->id, pkts, bytes);
        n++;
    }
    return o->dead ? -EIO : n;
}

/* @h's rule went with a reset: freed later, or now if it cannot wait. */
static void
lost_add(struct snicd_offload *o, struct rte_flow *h)
{
    struct rte_flow_error err;

    if (o->n_lost == o->cap_lost) {
        uint32_t nc = o->cap_lost ? o->cap_lost * 2 : 1024;
        struct rte_flow **n = realloc(o->lost, nc * sizeof(*n));

        if (n == NULL) {
            (void)rte_flow_destroy(o->cfg.proxy_port, h, &err);
            return;
        }
        o->lost = n;
        o->cap_lost = nc;
    }
    o->lost[o->n_lost++] = h;
}

uint32_t
snicd_offload_reap(struct snicd_offload *o, uint32_t budget)
{
    struct rte_flow_error err;

    /* only frees what the PMD kept: any error it reports changes nothing */
    while (o->n_lost > 0 && budget-- > 0)
        (void)rte_flow_destroy(o->cfg.proxy_port, o->lost[--o->n_lost],
                               &err);
    return o->n_lost;
}

/* The port's close frees them (the device is gone or being replaced). */
static void
lost_forget(struct snicd_offload *o)
{
    o->n_lost = 0;
}

/* @f's rule is gone with the device's (@reset) or is destroyed now: its
 * counts kept, its rule to be made again. */
static void
rule_lost(struct snicd_offload *o, struct snicd_oflow *f, bool reset)
{
    struct rte_flow_error err;

    if (f->handle != NULL && reset)
        lost_add(o, f->handle);
    else if (f->handle != NULL)
        (void)rte_flow_destroy(o->cfg.proxy_port, f->handle, &err);
    if (f->where == SNICD_WHERE_HW) {
        f->acc_pkts += f->cur_pkts;
        f->acc_bytes += f->cur_bytes;
    }
    f->cur_pkts = f->cur_bytes = 0;
    f->handle = NULL;
    f->changed = true;
    /* let through again only after the sealed tables are back */
    f->reg_whole = false;
    snicd_regs_count(&o->regs, f, true);
    snicd_tun_release(o, f);
}

/* A conversation's rule the device lost with a reset: freed later. */
static void
conv_lost(struct snicd_offload *o, struct rte_flow *h, void *ctx)
{
    (void)ctx;
    lost_add(o, h);
}

static void
conv_destroy(struct snicd_offload *o, struct rte_flow *h, void *ctx)
{
    struct rte_flow_error err;

    (void)ctx;
    (void)rte_flow_destroy(o->cfg.proxy_port, h, &err);
}

/* Flows with a rule (hw or partial): kept count, no walk. */
static int
count_in_hw(const struct snicd_offload *o)
{
    return (int)(o->n_where[SNICD_WHERE_HW] + o->n_where[SNICD_WHERE_PARTIAL]);
}

static int
resync(struct snicd_offload *o, bool reset)
{
    struct rte_flow_error err;
    struct snicd_oflow *f;
    uint32_t levels = o->n_levels, reserved = o->root_reserved;
    uint32_t tags = o->n_tags;
    enum snicd_guard_mode mode = o->tun.mode;
    /* the places flows had still hold unless the device was gone (every
     * flow went to software) or ports were (their flows did) */
    bool keep = !o->dead && o->n_gone == 0;
    int ret;

    /* every rule is gone from the device; destroy only frees what the PMD
     * kept about it, and any error it reports changes nothing. Every flow
     * of the id map is in its table's vector: walked there, the flows
     * come mostly in the order they were allocated, where the id map's
     * hash order is a cache and TLB miss a flow (0.1-0.4 s for 100,000
     * flows on a loaded two-core VM) */
    /* NORMAL's conversations are not put back: their next frames,
     * through software, ask for them again. Rules the device still has
     * (no reset) are read a last time: what they counted since the last
     * read is their flow's. */
    snicd_convs_release(o, !reset, reset ? conv_lost : conv_destroy, NULL);
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        for (uint32_t i = 0; i < o->tables[t].n; i++)
            rule_lost(o, o->tables[t].flows[i], reset);
    for (uint32_t i = 0; i < o->n_removed; i++) {
        f = o->removed[i];
        if (f->handle != NULL && reset)
            lost_add(o, f->handle);
        else if (f->handle != NULL)
            (void)rte_flow_destroy(o->cfg.proxy_port, f->handle, &err);
        f->handle = NULL;
        snicd_tun_release(o, f);
    }
    snicd_tun_lost(o);
    memset(o->regs.guard, 0, sizeof(o->regs.guard));
    o->dead = false;
    o->dead_reason[0] = '\0';
    o->n_gone = 0;
    o->st.resyncs++;
    snicd_shape_cache_clear(o->shapes);
    if (o->cfg.enabled) {
        snicd_offload_probe_levels(o);
        snicd_offload_probe_tags(o);
    }
    o->st.hw_levels = o->n_levels;
    snicd_tun_probe(o);
    /* Placement depends on the levels, the TAG registers, the guards and
     * the flows: when
     * none changed, every flow goes back where it was (one batch of
     * creates, no overlap query). A table with flows waiting to be placed
     * or tried again, or a device that now says otherwise, is placed
     * whole. */
    keep = keep && o->n_levels == levels && o->n_tags == tags &&
           o->root_reserved == reserved &&
           o->tun.mode == mode;
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++) {
        struct snicd_otable *ot = &o->tables[t];

        ot->dirty = ot->n > 0 && (!keep || ot->dirty || ot->nq > 0 ||
                                  ot->n_no_space > 0 || ot->n_failed > 0);
    }
    o->reinstall = keep;
    ret = snicd_offload_commit(o);
    return ret < 0 ? ret : count_in_hw(o);
}

int
snicd_offload_resync(struct snicd_offload *o)
{
    return resync(o, false);
}

int
snicd_offload_reset(struct snicd_offload *o)
{
    return resync(o, true);
}

int
snicd_offload_device_gone(struct snicd_offload *o, const char *why)
{
    int ret;

    o->dead = true;
    o->st.device_losses++;
    lost_forget(o);
    /* forgotten with the flows' rules: the port's close frees them */
    snicd_convs_release(o, false, NULL, NULL);
    snprintf(o->dead_reason, sizeof(o->dead_reason), "%s",
             why != NULL ? why : "device gone");
    /* every flow is re-placed: blocked, it leaves hardware, and since the
     * manager is dead its rules are forgotten, not destroyed */
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        o->tables[t].dirty = o->tables[t].n > 0;
    ret = snicd_offload_commit(o);
    return ret == -EIO ? 0 : ret;
}

const char *
snicd_offload_gave_up(const struct snicd_offload *o)
{
    if (!o->dead)
        return NULL;
    return o->dead_reason[0] != '\0' ? o->dead_reason : "device not answering";
}

int
snicd_offload_device_back(struct snicd_offload *o, uint16_t proxy_port)
{
    lost_forget(o);
    o->cfg.proxy_port = proxy_port;
    /* the old port's close took its templates and tables */
    snicd_offload_queue_attach(o, true);
    return snicd_offload_resync(o);
}

int
snicd_offload_retry_failed(struct snicd_offload *o)
{
    uint64_t now = snic_now_ns();
    bool any = false, full = false, nospace_due;
    int ret;

    if (o->dead)
        return 0;
    /* a rule went since the last commit (a NORMAL conversation's, which
     * no commit follows): room now, whatever the wait */
    nospace_due = now >= o->nospace_retry_ns || o->space_freed;
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++) {
        full |= o->tables[t].n_no_space > 0;
        if (o->tables[t].n_failed > 0 ||
            (nospace_due && o->tables[t].n_no_space > 0)) {
            o->tables[t].dirty = true;
            any = true;
        }
    }
    if (!full)
        o->nospace_backoff_s = 0;
    if (!any)
        return 0;
    o->st.retries++;
    ret = snicd_offload_commit(o);
    if (nospace_due && full) {
        full = false;
        for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
            full |= o->tables[t].n_no_space > 0;
        /* still full: wait longer before the next try (1 s .. 64 s) */
        o->nospace_backoff_s = !full ? 0 : o->nospace_backoff_s == 0 ? 1 :
                               o->nospace_backoff_s >= 64 ? 64 :
                               o->nospace_backoff_s * 2;
        o->nospace_retry_ns = now + o->nospace_backoff_s * 1000000000ull;
    }
    return ret;
}

int
snicd_offload_room_freed(struct snicd_offload *o)
{
    bool waiting = false;

    if (o->dead || !o->space_freed)
        return 0;
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        waiting |= o->tables[t].n_no_space > 0;
    if (!waiting)
        return 0;
    /* the commit places the waiting flows' tables again (space_freed)
     * and clears space_freed: their retry backoff stays as it was */
    o->st.retries++;
    return snicd_offload_commit(o);
}

int
snicd_offload_port_gone(struct snicd_offload *o, uint32_t ofport)
{
    int before, ret;

    if (!snicd_offload_port_is_gone(o, ofport)) {
        if (o->n_gone == o->cap_gone) {
            unsigned nc = o->cap_gone ? o->cap_gone * 2 : 8;
            uint32_t *n = realloc(o->gone, nc * sizeof(*n));

            if (n == NULL)
                return -ENOMEM;
            o->gone = n;
            o->cap_gone = nc;
        }
        o->gone[o->n_gone++] = ofport;
    }
    before = count_in_hw(o);
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        o->tables[t].dirty = o->tables[t].n > 0;
    ret = snicd_offload_commit(o);
    if (ret < 0)
        return ret;
    ret = before - count_in_hw(o);
    return ret > 0 ? ret : 0;
}

void
snicd_offload_get_stats(const struct snicd_offload *o,
                        struct snicd_offload_stats *s)
{
    *s = o->st;
    s->n_hw = o->n_where[SNICD_WHERE_HW];
    s->n_partial = o->n_where[SNICD_WHERE_PARTIAL];
    s->n_sw = o->n_where[SNICD_WHERE_SW];
    s->hw_levels = o->n_levels;
    s->hw_tags = o->n_tags;
    s->n_marks = o->n_marks;
    s->decap_contexts = o->tun.n_pops;
    s->guard_rules = 0;
    for (unsigned i = 0; i < o->tun.n_guards; i++)
        s->guard_rules += o->tun.guard[i] != NULL;
    s->guard_mode = o->tun.mode;
    s->queue_size = snicd_fq_size(o->fq);
    s->queue_counters = snicd_fq_counters(o->fq);
    s->counter_index_rebuilds = o->moved.rebuilds;
    snicd_fq_stats(o->fq, &s->queue_tables, &s->queue_pushes);
}
