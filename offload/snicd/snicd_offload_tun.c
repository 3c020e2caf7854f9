/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnels in the offload manager: the guard rules (one per configured
 * tunnel port, at the top of group 0) and the decap contexts, behind the
 * snicd_tun_* calls of snicd_offload_priv.h: the manager syncs the guards
 * before placing, placement asks whether a flow is unguarded, the install
 * step takes a flow's context (get, pop, put), the marks file asks for
 * the contexts' marks. This file calls only down: the translator's tunnel
 * rules (snicd_xlate_tun.c), the device operations (snicd_offload_rule.c)
 * and the mark pools.
 *
 * Hardware layout (see snicd_xlate_tun.c for the rules themselves):
 *
 *   group 0, level 0:   guard: underlay / IPv4 to the local VTEP / UDP 4789
 *                       -> JUMP pop group (or -> underlay representor)
 *   group 0, level 1..: the flows of table 0 that see undecapsulated frames
 *   pop group:          one pop rule per decap context: + outer source +
 *                       VNI -> MARK(decap), VXLAN_DECAP, JUMP context group
 *   context group:      the context's flows (in_port=<tunnel>, tun_id=VNI),
 *                       their inner matches, at their table-0 order
 *
 * A frame that misses in the pop group reaches software untouched and
 * unmarked (software decapsulates it); one that misses in a context group
 * reaches it decapsulated with the decap mark, which says "classify from
 * table 0 as a frame of that tunnel port with that metadata". Either way
 * the software pipeline sees what it would have seen without offload.
 *
 * A context exists while a flow's rule is in its group (or a placement
 * holds a pin): the pop rule is created with the first such rule and
 * destroyed after the last one is, so deleting flows leaves no rule behind.
 * Contexts are not kept across a device reset: every flow is placed again
 * and takes its context again.
 *
 * Marks: a context's mark comes from the decap range and is published to
 * the workers before its pop rule exists (by the install step, which
 * calls snicd_tun_ctx_pop after publishing), so no frame carries a mark
 * they do not know; when the context goes, the mark keeps its meaning in the
 * published list while it is quiet, and is not handed out again before
 * (struct snicd_mark_pool). A context is offloaded only behind its own
 * port's guard, and never with the same pop match as another port's
 * context (two equal rules at one priority: the device would take either).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_flow.h>

#include "snic_hash.h"
#include "snicd_offload_priv.h"
#include "snicd_xlate.h"

/* ------------------------------------------------------------------------
 * Guards
 * ------------------------------------------------------------------------ */

static const struct snicd_port_info *
tunnel_port(const struct snicd_offload *o, uint32_t ofport)
{
    const struct snicd_port_info *p = snicd_xlate_port(o->ports, o->n_ports,
                                                       ofport);

    return p != NULL && p->is_tunnel ? p : NULL;
}

static void
flow_destroy(struct snicd_offload *o, struct rte_flow **h)
{
    struct rte_flow_error err;

    if (*h == NULL)
        return;
    /* a dead device's rules are only forgotten (the PMD frees them when
     * the device is detached) */
    if (!o->dead) {
        (void)rte_flow_destroy(o->cfg.proxy_port, *h, &err);
        o->st.rules_destroyed++;
        o->ops++;
    }
    *h = NULL;
}

/* Does the device take @x? The validate cache answers most of the time. */
static bool
accepted(struct snicd_offload *o, const struct snicd_xlate *x, char *msg,
         size_t size)
{
    const struct snicd_shape_result *r = snicd_offload_validate(o, x);

    if (r != NULL && r->rc == 0)
        return true;
    snicd_say(msg, size, "%s", r != NULL ? r->msg : "device not answering");
    return false;
}

void
snicd_tun_probe(struct snicd_offload *o)
{
    struct snicd_tunnels *t = &o->tun;
    struct snicd_xlate *x = o->x;
    struct snicd_xlate_decap d;
    char msg[SNICD_REASON_SIZE];
    const struct snicd_port_info *first = NULL;

    t->mode = SNICD_GUARD_NONE;
    t->n_guards = 0;
    o->root_reserved = 0;
    for (unsigned i = 0; i < o->n_ports && t->n_guards < SNICD_MAX_TUNNELS;
         i++) {
        struct flow_match m;

        if (!o->ports[i].is_tunnel ||
            !snicd_xlate_vxlan_class(&o->ports[i], &m))
            continue;
        if (first == NULL)
            first = &o->ports[i];
        t->guard[t->n_guards] = NULL;
        t->guard_port[t->n_guards++] = o->ports[i].ofport;
    }
    if (first == NULL) {
        snicd_say(t->no_decap, sizeof(t->no_decap), "no tunnel port is "
                  "configured");
        return;
    }
    if (!o->cfg.enabled || o->n_levels < 2) {
        snicd_say(t->no_decap, sizeof(t->no_decap), "%s", !o->cfg.enabled ?
                  "offload disabled" : "the device has one priority level: "
                  "none left for a guard rule");
        return;
    }
    /* a pop rule of an example context, and a guard that jumps to it */
    memset(&d, 0, sizeof(d));
    d.tun_port = first->ofport;
    d.tun_id = htobe64(1);
    d.tun_src = first->tun_remote_ip != 0 ? first->tun_remote_ip
                                          : first->tun_local_ip;
    d.tun_dst = first->tun_local_ip;
    d.group = SNICD_XLATE_CTX_GROUP0;
    if (snicd_xlate_pop(&d, o->ports, o->n_ports, 1, x) < 0) {
        snicd_say(t->no_decap, sizeof(t->no_decap), "%s", x->reason);
    } else if (!accepted(o, x, msg, sizeof(msg))) {
        snicd_say(t->no_decap, sizeof(t->no_decap), "the device refuses a "
                  "pop rule (VXLAN match, VXLAN_DECAP, JUMP): %s", msg);
    } else if (snicd_xlate_guard(first, o->ports, o->n_ports, 0,
                                 SNICD_XLATE_POP_GROUP, x) == 0 &&
               accepted(o, x, msg, sizeof(msg))) {
        t->mode = SNICD_GUARD_JUMP;
        t->no_decap[0] = '\0';
    } else {
        snicd_say(t->no_decap, sizeof(t->no_decap), "the device refuses the "
                  "guard's JUMP to the pop rules: %s", msg);
    }
    if (t->mode == SNICD_GUARD_NONE &&
        snicd_xlate_guard(first, o->ports, o->n_ports, 0,
                          SNICD_XLATE_NO_GROUP, x) == 0 &&
        accepted(o, x, msg, sizeof(msg)))
        t->mode = SNICD_GUARD_REP;
    if (t->mode != SNICD_GUARD_NONE)
        o->root_reserved = 1;
}

static int
guard_create(struct snicd_offload *o, unsigned i)
{
    struct snicd_tunnels *t = &o->tun;
    const struct snicd_port_info *p = tunnel_port(o, t->guard_port[i]);
    struct rte_flow_error err;
    struct snicd_xlate *x = o->x;

    if (p == NULL || snicd_xlate_guard(p, o->ports, o->n_ports, 0,
                                       t->mode == SNICD_GUARD_JUMP ?
                                       SNICD_XLATE_POP_GROUP :
                                       SNICD_XLATE_NO_GROUP, x) < 0) {
        snicd_say(t->guard_err, sizeof(t->guard_err), "%s",
                  p == NULL ? "tunnel port gone" : x->reason);
        return -ENOTSUP;
    }
    memset(&err, 0, sizeof(err));
    t->guard[i] = rte_flow_create(o->cfg.proxy_port, &x->attr, x->items,
                                  x->actions, &err);
    if (t->guard[i] == NULL) {
        int code = rte_errno;

        o->st.create_failures++;
        snicd_say(t->guard_err, sizeof(t->guard_err), "%s",
                  err.message != NULL ? err.message : strerror(code));
        snicd_offload_rule_trace(o, x, "refused by create (tunnel guard)",
                                 t->guard_err);
        return -code;
    }
    snicd_offload_rule_trace(o, x, "installed (tunnel guard)", NULL);
    o->st.rules_created++;
    o->ops++;
    return 0;
}

static void
ctx_forget_pops(struct snicd_offload *o)
{
    struct snicd_dctx *c;

    SNIC_HMAP_FOR_EACH(c, node, &o->tun.ctxs)
        if (c->pop != NULL) {
            flow_destroy(o, &c->pop);
            o->tun.n_pops--;
        }
}

void
snicd_tun_sync(struct snicd_offload *o)
{
    struct snicd_tunnels *t = &o->tun;
    bool changed = false;

    if (o->dead) {
        for (unsigned i = 0; i < t->n_guards; i++)
            flow_destroy(o, &t->guard[i]);
        return;
    }
    if (t->refresh) {
        /* new ethdev ids: every tunnel rule names the old ones. The flows
         * are all re-placed (set_ports) and re-create the pop rules. */
        for (unsigned i = 0; i < t->n_guards; i++)
            flow_destroy(o, &t->guard[i]);
        ctx_forget_pops(o);
        snicd_tun_probe(o);
        t->refresh = false;
        changed = true;
    }
    if (t->mode == SNICD_GUARD_NONE)
        return;
    for (unsigned i = 0; i < t->n_guards; i++)
        if (t->guard[i] == NULL && guard_create(o, i) == 0)
            changed = true;
    if (changed)
        o->tables[0].dirty = true;
}

void
snicd_tun_lost(struct snicd_offload *o)
{
    /* the device lost them: destroy only frees the PMD's memory */
    for (unsigned i = 0; i < o->tun.n_guards; i++)
        flow_destroy(o, &o->tun.guard[i]);
    ctx_forget_pops(o);
}

const char *
snicd_tun_unguarded(struct snicd_offload *o, const struct snicd_oflow *f,
                    char *buf, size_t size)
{
    const struct snicd_tunnels *t = &o->tun;

    if (f->table_id != 0)
        return NULL;    /* only group 0 flows meet frames from the wire */
    for (unsigned i = 0; i < o->n_ports; i++) {
        const struct snicd_port_info *p = &o->ports[i];
        struct flow_match m;
        bool guarded = false;

        if (!p->is_tunnel || !snicd_xlate_vxlan_class(p, &m) ||
            !snicd_oflow_overlaps_match(f, &m))
            continue;
        for (unsigned g = 0; g < t->n_guards; g++)
            if (t->guard_port[g] == p->ofport && t->guard[g] != NULL)
                guarded = true;
        if (guarded)
            continue;
        snicd_say(buf, size, "could catch a VXLAN frame for %s's local VTEP, "
                  "which software decapsulates first, and no guard rule "
                  "takes those away in hardware (%s)", p->name,
                  t->mode == SNICD_GUARD_NONE ? t->no_decap : t->guard_err);
        return buf;
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Decap contexts
 * ------------------------------------------------------------------------ */

/* of what ctx_same() compares (not the group, allocated with it) */
static uint64_t
ctx_hash(const struct snicd_xlate_decap *k)
{
    uint64_t w[3] = {
        k->tun_id, (uint64_t)k->tun_src << 32 | k->tun_dst, k->tun_port,
    };

    return snic_hash_words(w, 3, SNIC_HASH_BASIS);
}

static bool
ctx_same(const struct snicd_xlate_decap *a, const struct snicd_xlate_decap *b)
{
    return a->tun_port == b->tun_port && a->tun_id == b->tun_id &&
           a->tun_src == b->tun_src && a->tun_dst == b->tun_dst;
}

static int
group_alloc(struct snicd_offload *o, uint32_t *group)
{
    struct snicd_tunnels *t = &o->tun;

    /* the lowest free group: the PMD keeps a group's table, reuse it */
    if (t->n_free > 0) {
        uint32_t best = 0;

        for (uint32_t i = 1; i < t->n_free; i++)
            if (t->free_groups[i] < t->free_groups[best])
                best = i;
        *group = t->free_groups[best];
        t->free_groups[best] = t->free_groups[--t->n_free];
        return 0;
    }
    if (t->next_group == UINT32_MAX - SNICD_XLATE_CTX_GROUP0)
        return -ENOSPC;
    *group = SNICD_XLATE_CTX_GROUP0 + t->next_group++;
    return 0;
}

static void
group_release(struct snicd_offload *o, uint32_t group)
{
    struct snicd_tunnels *t = &o->tun;

    if (t->n_free == t->cap_free) {
        uint32_t nc = t->cap_free ? t->cap_free * 2 : 16;
        uint32_t *n = realloc(t->free_groups, nc * sizeof(*n));

        if (n == NULL)
            return;     /* one group number lost, out of 2^32 */
        t->free_groups = n;
        t->cap_free = nc;
    }
    t->free_groups[t->n_free++] = group;
}

/* Do the pop rules of @a and @b match the same frames (same underlay,
 * outer addresses and VNI), for two tunnel ports? */
static bool
pop_same(const struct snicd_offload *o, const struct snicd_xlate_decap *a,
         const struct snicd_xlate_decap *b)
{
    const struct snicd_port_info *ta = tunnel_port(o, a->tun_port);
    const struct snicd_port_info *tb = tunnel_port(o, b->tun_port);

    return ta != NULL && tb != NULL && ta->tun_underlay == tb->tun_underlay &&
           a->tun_id == b->tun_id && a->tun_src == b->tun_src &&
           a->tun_dst == b->tun_dst;
}

/* The context of @k, created if needed, with one more reference (a pin the
 * caller hands over to a flow or drops with ctx_put). NULL with the reason
 * in @why. */
static struct snicd_dctx *
ctx_get(struct snicd_offload *o, const struct snicd_xlate_decap *k,
        char *why, size_t size)
{
    uint64_t h = ctx_hash(k);
    struct snicd_dctx *c;

    SNIC_HMAP_FOR_EACH_WITH_HASH(c, node, h, &o->tun.ctxs)
        if (ctx_same(&c->key, k)) {
            c->refs++;
            return c;
        }
    /* two pop rules with one match at one priority, jumping to two
     * groups: the device would pick either, software picks one port */
    SNIC_HMAP_FOR_EACH(c, node, &o->tun.ctxs)
        if (pop_same(o, &c->key, k)) {
            const struct snicd_port_info *p = tunnel_port(o, c->key.tun_port);

            snicd_say(why, size, "VNI %" PRIu64 " from this remote VTEP is "
                      "decapsulated in hardware for %s already (its pop rule "
                      "would match the same frames)", be64toh(k->tun_id),
                      p != NULL ? p->name : "?");
            return NULL;
        }
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        goto no_memory;
    c->key = *k;
    if (group_alloc(o, &c->key.group) < 0)
        goto free_ctx;
    c->mark = snicd_mark_pool_get(&o->decap_marks, snic_now_ns());
    if (c->mark == 0) {
        group_release(o, c->key.group);
        free(c);
        snicd_say(why, size, "no free decap mark (every one is in use or "
                  "was released too recently)");
        return NULL;
    }
    c->refs = 1;
    snic_hmap_insert(&o->tun.ctxs, &c->node, h);
    o->tun.n_ctx++;
    o->n_marks++;
    o->marks_dirty = true;
    return c;

free_ctx:
    free(c);
no_memory:
    snicd_say(why, size, "no memory or group for a decap context");
    return NULL;
}

/* @c's mark keeps its meaning in the published list while it is quiet:
 * a frame its pop rule marked before going may still wait in a queue. */
static void
ctx_retire_mark(struct snicd_offload *o, const struct snicd_dctx *c)
{
    struct snicd_tunnels *t = &o->tun;
    struct snicd_dctx_retired *r;

    if (t->n_retired == t->cap_retired) {
        uint32_t nc = t->cap_retired ? t->cap_retired * 2 : 8;
        struct snicd_dctx_retired *n = realloc(t->retired, nc * sizeof(*n));

        if (n == NULL)
            return;     /* the worker drops what still carries it */
        t->retired = n;
        t->cap_retired = nc;
    }
    r = &t->retired[t->n_retired++];
    memset(r, 0, sizeof(*r));
    r->m.mark = c->mark;
    r->m.kind = SNICD_MARK_DECAP;
    r->m.in_port = c->key.tun_port;
    r->m.tun.tun_id = c->key.tun_id;
    r->m.tun.tun_src = c->key.tun_src;
    r->m.tun.tun_dst = c->key.tun_dst;
    r->until_ns = snic_now_ns() + o->decap_marks.quiet_ns;
}

void
snicd_tun_ctx_put(struct snicd_offload *o, struct snicd_dctx *c)
{
    if (--c->refs > 0)
        return;
    /* the last rule in the group is gone: then the pop rule that leads
     * there (a frame between the two misses into software, which is
     * right) */
    if (c->pop != NULL) {
        flow_destroy(o, &c->pop);
        o->tun.n_pops--;
    }
    snic_hmap_remove(&o->tun.ctxs, &c->node);
    ctx_retire_mark(o, c);
    snicd_mark_pool_put(&o->decap_marks, c->mark, snic_now_ns());
    group_release(o, c->key.group);
    o->tun.n_ctx--;
    o->n_marks--;
    o->marks_dirty = true;
    free(c);
}

void
snicd_tun_release(struct snicd_offload *o, struct snicd_oflow *f)
{
    struct snicd_dctx *c = snicd_oflow_dctx(f);

    if (c == NULL)
        return;
    f->rare->dctx = NULL;
    snicd_tun_ctx_put(o, c);
}

int
snicd_tun_ctx_pop(struct snicd_offload *o, struct snicd_dctx *c, char *why,
                  size_t size)
{
    struct snicd_xlate *x = o->x;
    struct rte_flow_error err;
    int code;

    if (c->pop != NULL)
        return 0;
    if (snicd_xlate_pop(&c->key, o->ports, o->n_ports, c->mark, x) < 0) {
        snicd_say(why, size, "pop rule: %s", x->reason);
        return -ENOTSUP;
    }
    memset(&err, 0, sizeof(err));
    c->pop = rte_flow_create(o->cfg.proxy_port, &x->attr, x->items,
                             x->actions, &err);
    if (c->pop == NULL) {
        code = rte_errno;
        o->st.create_failures++;
        snicd_say(why, size, "%s pop rule of VNI %" PRIu64 ": %s",
                  code == ENOSPC ? "no space in hardware (ENOSPC) for the" :
                  "could not create the", be64toh(c->key.tun_id),
                  err.message != NULL ? err.message : strerror(code));
        snicd_offload_rule_trace(o, x, "refused by create (decap pop)", why);
        return -code;
    }
    snicd_offload_rule_trace(o, x, "installed (decap pop)", NULL);
    o->st.rules_created++;
    o->ops++;
    o->tun.n_pops++;
    return 0;
}

/* Decap only behind this port's own guard: without it, group 0's flows
 * may take the frames its pop rules are for (and the pop rules jump from
 * nowhere). */
static bool
guarded(const struct snicd_offload *o, uint32_t tun_port, char *why,
        size_t size)
{
    const struct snicd_tunnels *t = &o->tun;
    const struct snicd_port_info *p = tunnel_port(o, tun_port);
    bool listed = false;

    for (unsigned g = 0; g < t->n_guards; g++) {
        if (t->guard_port[g] != tun_port)
            continue;
        if (t->guard[g] != NULL)
            return true;
        listed = true;
    }
    if (listed)
        snicd_say(why, size, "no hardware decap: %s has no guard rule (%s)",
                  p != NULL ? p->name : "the tunnel port", t->guard_err);
    else
        snicd_say(why, size, "no hardware decap: %s has no guard rule "
                  "(guards are made for the first %u tunnel ports only)",
                  p != NULL ? p->name : "the tunnel port",
                  SNICD_MAX_TUNNELS);
    return false;
}

struct snicd_dctx *
snicd_tun_ctx_get(struct snicd_offload *o, const struct snicd_oflow *f,
                  char *why, size_t size)
{
    struct snicd_xlate_decap k;
    struct flow fl;

    snicd_oflow_flow(f, &fl);
    if (snicd_xlate_decap_key(&fl, o->ports, o->n_ports, &k, why,
                              size) < 0)
        return NULL;
    if (o->tun.mode != SNICD_GUARD_JUMP) {
        snicd_say(why, size, "no hardware decap: %s", o->tun.no_decap);
        return NULL;
    }
    if (!guarded(o, k.tun_port, why, size))
        return NULL;
    return ctx_get(o, &k, why, size);
}

unsigned
snicd_tun_n_marks(const struct snicd_offload *o)
{
    return o->tun.n_retired;
}

static void
decap_mark(struct snicd_mark *m, const struct snicd_dctx *c)
{
    memset(m, 0, sizeof(*m));
    m->mark = c->mark;
    m->kind = SNICD_MARK_DECAP;
    m->table = 0;
    m->in_port = c->key.tun_port;
    m->tun.tun_id = c->key.tun_id;
    m->tun.tun_src = c->key.tun_src;
    m->tun.tun_dst = c->key.tun_dst;
}

unsigned
snicd_tun_marks(struct snicd_offload *o, struct snicd_mark *marks,
                unsigned room)
{
    struct snicd_tunnels *t = &o->tun;
    uint64_t now = snic_now_ns();
    unsigned n = 0, kept = 0;
    const struct snicd_dctx *c;

    SNIC_HMAP_FOR_EACH(c, node, &t->ctxs) {
        if (n == room)
            break;
        decap_mark(&marks[n++], c);
    }
    for (uint32_t i = 0; i < t->n_retired; i++) {
        if (t->retired[i].until_ns <= now)
            continue;   /* quiet long enough: unknown from now on */
        t->retired[kept++] = t->retired[i];
        if (n < room)
            marks[n++] = t->retired[i].m;
    }
    t->n_retired = kept;
    return n;
}

void
snicd_tun_fini(struct snicd_offload *o)
{
    struct snicd_dctx *c;

    for (unsigned i = 0; i < o->tun.n_guards; i++)
        flow_destroy(o, &o->tun.guard[i]);
    SNIC_HMAP_FOR_EACH_SAFE(c, node, &o->tun.ctxs) {
        flow_destroy(o, &c->pop);
        free(c);
    }
    snic_hmap_fini(&o->tun.ctxs);
    free(o->tun.free_groups);
    free(o->tun.retired);
}
