/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NORMAL's known unicast conversations as hardware rules (docs/snicd.md,
 * "NORMAL in hardware").
 *
 * A conversation (include/snic/dp.h, struct dp_conv) is what software's
 * NORMAL decided for a frame of flow F, whose action list is NORMAL alone:
 * from source S, already learned on the ingress port X in VLAN V, to
 * destination M, learned on port Q != X. Its rule is F's match AND
 * in_port=X, dl_src=S, dl_dst=M and the outer tag exactly as the frame
 * came; its actions are the tag rewrite NORMAL did between X's and Q's
 * VLAN modes (none when the tag stays, DEI included as in software; else
 * pop and/or push of the whole tag, DEI 0 as in software) and an output
 * to Q, counted. For such a frame learning is a no-op (S is on X already,
 * only its age moves) and the lookup of M answers Q, so the rule decides
 * what software decides for every frame it can take, as long as:
 *
 *  - the FDB still says S on X and M on Q in V: the caller (snicd_normal.c)
 *    checks that each turn and drops the rule when not (aged out, moved,
 *    flushed, a port reconfigured, which forgets its entries);
 *  - F still lives in hardware with the rule it had: every drop of F's
 *    rule (F changed, deleted, re-placed at another level, sent to
 *    software by a higher flow that overlaps it) drops its conversations
 *    first (rule_drop() in snicd_offload_install.c calls
 *    snicd_conv_drop_flow());
 *  - it wins over F's own rule and loses to every earlier flow that
 *    overlaps it: placement keeps a level free for it. A flow whose list
 *    is NORMAL alone is placed one level deeper than rule 2 asks
 *    (snicd_offload_place.c), and its conversations take the level it
 *    skipped: deeper than every earlier overlapping hardware flow (which
 *    all sit above F's level minus one), above F, and so above every later
 *    flow that overlaps F. Two conversations of one flow are disjoint
 *    (their exact keys differ) or the same.
 *
 * The rules are bounded (snicd_offload_cfg.conv_max): past it a
 * conversation stays in software, counted, and is asked again by a later
 * frame once a second. A rule whose counter has not moved for
 * cfg.conv_idle_ms leaves the card (its source may stay learned through
 * other traffic, so the FDB alone would keep a stopped conversation's
 * rule forever, and a full set of them would keep every new one off),
 * and at the limit the idlest rule, idle a fifth of that, makes room for
 * a new conversation. Either way its last reading goes to its flow first,
 * so no count goes back; if the conversation comes back, software takes
 * its frames and asks for a rule again. Control thread only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_flow.h>

#include "snic_hash.h"
#include "snicd_log.h"
#include "snicd_offload_priv.h"

struct snicd_conv {
    struct snic_hmap_node node;     /* in snicd_convs.map, by key */
    /* in snicd_convs.by_table[its flow's table]: a flow added to a table
     * walks only that table's conversations (snicd_conv_drop_below), not
     * every one, which a bulk load would pay a flow at a time */
    struct snicd_conv *tnext, **tpprev;
    /* in snicd_convs' idle list: when its counter last moved (or it was
     * made), the earliest first */
    struct snicd_conv *lnext, *lprev;
    uint64_t moved_ns;
    struct dp_conv key;
    struct rte_flow *handle;
    /* its handle, known to the moved-counter read as no flow's */
    struct snicd_moved_other other;
    uint64_t pkts, bytes;           /* the last reading */
    /* packets read since the caller's walk last heard of them: a read
     * outside the walk (make_room's) must not keep them from refreshing
     * the source's FDB age (snicd_normal.c's keep_one) */
    uint64_t untold;
};

static uint64_t
idle_ns(const struct snicd_offload *o)
{
    return (o->cfg.conv_idle_ms != 0 ? o->cfg.conv_idle_ms
                                     : SNICD_CONV_IDLE_MS) * 1000000ull;
}

/* The clock of the idle times (cfg.now_ns). */
static uint64_t
conv_now(const struct snicd_offload *o)
{
    return o->cfg.now_ns != NULL ? o->cfg.now_ns() : snic_now_ns();
}

static void
idle_unlink(struct snicd_convs *cs, struct snicd_conv *c)
{
    if (c->lprev != NULL)
        c->lprev->lnext = c->lnext;
    else
        cs->idle_head = c->lnext;
    if (c->lnext != NULL)
        c->lnext->lprev = c->lprev;
    else
        cs->idle_tail = c->lprev;
    c->lnext = c->lprev = NULL;
}

/* @c's counter moved (or it was made) @now: the back of the list. */
static void
idle_append(struct snicd_convs *cs, struct snicd_conv *c, uint64_t now)
{
    c->moved_ns = now;
    c->lprev = cs->idle_tail;
    c->lnext = NULL;
    if (cs->idle_tail != NULL)
        cs->idle_tail->lnext = c;
    else
        cs->idle_head = c;
    cs->idle_tail = c;
}

/* A conversation's bytes up to its last field: the struct's tail padding
 * (2 bytes) is not part of it. A key reaches us as a copy of a copy
 * (dp_conv.c's ring), and a struct copy need not carry padding, so two
 * equal conversations could hash apart and get two rules. */
#define CONV_KEY_SIZE   (offsetof(struct dp_conv, out_tpid) + sizeof(uint16_t))
_Static_assert(CONV_KEY_SIZE == sizeof(uint64_t) + 2 * sizeof(uint32_t)
               + 12 + 5 * sizeof(uint16_t),
               "struct dp_conv has padding between its fields: hash and "
               "compare them one by one");

static uint64_t
conv_hash(const struct dp_conv *c)
{
    return snic_hash_bytes(c, CONV_KEY_SIZE, SNIC_HASH_BASIS);
}

static struct snicd_conv *
conv_find(const struct snicd_convs *cs, const struct dp_conv *key)
{
    struct snicd_conv *c;

    SNIC_HMAP_FOR_EACH_WITH_HASH(c, node, conv_hash(key), &cs->map)
        if (memcmp(&c->key, key, CONV_KEY_SIZE) == 0)
            return c;
    return NULL;
}

/* Flows of some table are in software for want of room on the card. */
static bool
flows_wait_room(const struct snicd_offload *o)
{
    for (unsigned t = 0; t < SNICD_NUM_TABLES; t++)
        if (o->tables[t].n_no_space > 0)
            return true;
    return false;
}

bool
snicd_conv_wants_level(const struct snicd_offload *o,
                       const struct snicd_oflow *f)
{
    const struct flow_action *a = snicd_oflow_actions(f);

    return o->cfg.conv_max > 0 && snicd_oflow_n_actions(f) == 1
           && a[0].type == FLOW_ACT_OUTPUT && a[0].u.port == FLOW_PORT_NORMAL;
}

void
snicd_convs_init(struct snicd_convs *cs)
{
    memset(cs, 0, sizeof(*cs));
    snic_hmap_init(&cs->map);
}

/* Read @c's counter: what it counted since the last read is its flow's
 * (the flow's hardware total, as a destroyed rule's is: acc_*, reported
 * with the flow's next counters). Returns the packets it counted since. */
static uint64_t
conv_read(struct snicd_offload *o, struct snicd_conv *c)
{
    uint64_t pkts = c->pkts, bytes = c->bytes;
    struct snicd_oflow *f;

    if (o->dead || snicd_offload_rule_count(o, c->handle, &pkts, &bytes) < 0
        || pkts <= c->pkts || bytes < c->bytes)
        return 0;
    f = snicd_idmap_find(&o->ids, c->key.flow_id);
    if (f != NULL) {
        f->acc_pkts += pkts - c->pkts;
        f->acc_bytes += bytes - c->bytes;
        snicd_offload_moved_touch(o, f);
    }
    pkts -= c->pkts;
    c->pkts += pkts;
    c->untold += pkts;
    c->bytes = bytes;
    o->convs.switched_pkts += pkts;
    idle_unlink(&o->convs, c);
    idle_append(&o->convs, c, conv_now(o));
    return pkts;
}

/* @c leaves the manager (its rule already destroyed or forgotten). */
static void
conv_unlink(struct snicd_offload *o, struct snicd_conv *c)
{
    struct snicd_oflow *f = snicd_idmap_find(&o->ids, c->key.flow_id);

    if (f != NULL && snicd_oflow_n_convs(f) > 0)
        f->rare->n_convs--;
    snic_hmap_remove(&o->convs.map, &c->node);
    snicd_offload_moved_other_del(o, &c->other);
    idle_unlink(&o->convs, c);
    *c->tpprev = c->tnext;
    if (c->tnext != NULL)
        c->tnext->tpprev = c->tpprev;
    o->convs.destroyed++;
    free(c);
}

static void
conv_free(struct snicd_offload *o, struct snicd_conv *c)
{
    struct rte_flow_error err;

    /* its last frames still count for its flow */
    (void)conv_read(o, c);
    if (!o->dead && c->handle != NULL) {
        (void)rte_flow_destroy(o->cfg.proxy_port, c->handle, &err);
        /* room on the card: flows that found none are tried again
         * (snicd_offload_commit, snicd_offload_retry_failed), as after
         * any rule's drop */
        o->space_freed = true;
        o->drops++;
    }
    conv_unlink(o, c);
}

void
snicd_convs_fini(struct snicd_offload *o)
{
    struct snicd_conv *c;

    SNIC_HMAP_FOR_EACH_SAFE(c, node, &o->convs.map)
        conv_free(o, c);
    snic_hmap_fini(&o->convs.map);
}

void
snicd_conv_drop_flow(struct snicd_offload *o, struct snicd_oflow *f)
{
    struct snicd_conv *c, *next;

    if (snicd_oflow_n_convs(f) == 0 || f->table_id >= SNICD_NUM_TABLES)
        return;
    for (c = o->convs.by_table[f->table_id]; c != NULL; c = next) {
        next = c->tnext;
        if (c->key.flow_id == f->id)
            conv_free(o, c);
    }
    f->rare->n_convs = 0;
}

void
snicd_convs_release(struct snicd_offload *o, bool read,
                    snicd_conv_handle_fn *fn, void *ctx)
{
    struct snicd_conv *c;

    /* one walk: taking the first entry and starting over would scan the
     * emptied buckets again each time (quadratic in a resync) */
    SNIC_HMAP_FOR_EACH_SAFE(c, node, &o->convs.map) {
        struct rte_flow *h = c->handle;

        /* the counts since the last read are still the flow's (a device
         * that lost the rule answers nothing, and nothing is added) */
        if (read)
            (void)conv_read(o, c);
        conv_unlink(o, c);
        if (fn != NULL && h != NULL)
            fn(o, h, ctx);
    }
}

void
snicd_conv_drop_below(struct snicd_offload *o, unsigned table,
                      uint16_t priority)
{
    struct snicd_conv *c, *next;

    if (table >= SNICD_NUM_TABLES)
        return;
    for (c = o->convs.by_table[table]; c != NULL; c = next) {
        const struct snicd_oflow *f = snicd_idmap_find(&o->ids,
                                                       c->key.flow_id);

        next = c->tnext;
        if (f == NULL || f->priority <= priority)
            conv_free(o, c);
    }
}

/* The tag's rewrite and the output, as NORMAL does them
 * (dp_normal.c's output_normal()). */
static int
conv_actions(const struct dp_conv *c, struct flow *df)
{
    unsigned n = 0;

    if (c->in_tci != c->out_tci || c->in_tpid != c->out_tpid) {
        if (c->in_tci != 0)
            df->actions[n++].type = FLOW_ACT_STRIP_VLAN;
        if (c->out_tci != 0) {
            df->actions[n].type = FLOW_ACT_PUSH_VLAN;
            df->actions[n++].u.tpid = htons(c->out_tpid);
            df->actions[n].type = FLOW_ACT_MOD_VLAN_VID;
            /* network order, as the parser writes it */
            df->actions[n++].u.vlan.vid = htons(c->out_tci
                                                & FLOW_VLAN_VID_MASK);
            df->actions[n].type = FLOW_ACT_MOD_VLAN_PCP;
            df->actions[n++].u.vlan.pcp = (uint8_t)(c->out_tci >> 13);
        }
    }
    df->actions[n].type = FLOW_ACT_OUTPUT;
    df->actions[n++].u.port = c->out_port;
    df->n_actions = (uint8_t)n;
    return 0;
}

/* F's match AND the conversation's exact key. */
static void
conv_match(const struct dp_conv *c, struct flow *df)
{
    struct flow_key *v = &df->match.value, *m = &df->match.mask;

    v->in_port = c->in_port;
    m->in_port = UINT32_MAX;
    memcpy(v->dl_src, c->src, 6);
    memset(m->dl_src, 0xff, 6);
    memcpy(v->dl_dst, c->dst, 6);
    memset(m->dl_dst, 0xff, 6);
    v->vlan_tci = htons(c->in_tci);
    m->vlan_tci = 0xffff;
}

/* A port whose frames the card switches: the uplink or a representor,
 * present. LOCAL (snicd's host-side tap) and a plain port (another PF, a
 * pcap or null vdev) have ethdevs too, but are outside the eSwitch: their
 * frames reach software only, and a rule naming one would either be
 * refused by the card each time the conversation asks again, or, on a
 * PMD that takes the port id, switch frames NORMAL never sees. */
static bool
card_port(const struct snicd_offload *o, uint32_t ofport)
{
    for (unsigned i = 0; i < o->n_ports; i++) {
        const struct snicd_port_info *p = &o->ports[i];

        if (p->ofport == ofport)
            return (p->is_uplink || p->vf >= 0)
                   && !snicd_port_is_logical(p) && p->ethdev != UINT16_MAX
                   && !snicd_offload_port_is_gone(o, ofport);
    }
    return false;
}

/* At the limit: the idlest rule goes if it has been idle long enough
 * that it is not merely between two reads of a busy one (a fifth of the
 * idle time: 2 s, two reads, by default). It is read first, as it may
 * have switched frames since its last read: one that did goes to the
 * back instead, and the next is tried, a few at most (each a query of the
 * device). True if one went. */
static bool
make_room(struct snicd_offload *o)
{
    uint64_t min_idle = idle_ns(o) / 5;

    for (int tries = 0; tries < 4 && o->convs.idle_head != NULL; tries++) {
        struct snicd_conv *c = o->convs.idle_head;

        if (conv_now(o) - c->moved_ns < min_idle)
            return false;
        if (conv_read(o, c) > 0)
            continue;
        conv_free(o, c);
        o->convs.evicted_room++;
        return true;
    }
    return false;
}

/* make_room() could find the idlest rule idle long enough (it may still
 * find it busy when it reads it). */
static bool
room_may_be_made(const struct snicd_offload *o)
{
    const struct snicd_conv *c = o->convs.idle_head;

    return c != NULL && conv_now(o) - c->moved_ns >= idle_ns(o) / 5;
}

int
snicd_offload_conv_add(struct snicd_offload *o, const struct dp_conv *key,
                       char *why, size_t size)
{
    struct snicd_oflow *f = snicd_idmap_find(&o->ids, key->flow_id);
    struct snicd_xlate_ctx ctx;
    struct rte_flow_error err;
    struct snicd_conv_full *full;
    struct snicd_conv *c;
    bool at_max, freed_before;
    struct flow df;
    int rc;

    if (conv_find(&o->convs, key) != NULL)
        return 0;
    if (f == NULL || snicd_oflow_dctx(f) != NULL || f->queued
        || (f->where != SNICD_WHERE_SW && f->handle == NULL)) {
        snprintf(why, size, "flow %" PRIu64 " is not placed on the card "
                 "(yet)", key->flow_id);
        return -ENOENT;
    }
    if (snicd_oflow_conv_level(f) < 0) {
        snprintf(why, size, "flow %" PRIu64 " has no level for them (an "
                 "earlier flow overlapping it is in software, or the "
                 "device's levels are all taken)", f->id);
        return -ENOSPC;
    }
    if (!card_port(o, key->in_port) || !card_port(o, key->out_port)) {
        snprintf(why, size, "port %u or %u is no port of the card (LOCAL, "
                 "a plain port, a tunnel or a patch port, or gone)",
                 key->in_port, key->out_port);
        return -ENOTSUP;
    }
    if ((key->in_tpid != 0 && key->in_tpid != 0x8100)
        || (key->out_tpid != 0 && key->out_tpid != 0x8100)) {
        snprintf(why, size, "an 802.1ad tag (TPID 0x88a8) is not matched "
                 "apart from 802.1Q on the card");
        return -ENOTSUP;
    }
    /* a tag replaced by another: software keeps the frame's TPID, and
     * the rule's VLAN match would take an 802.1ad frame too, to push
     * 0x8100 on it */
    if (key->in_tci != 0 && key->out_tci != 0 && key->in_tci != key->out_tci) {
        snprintf(why, size, "a tag replaced by another (a priority tag to a "
                 "trunk): the card's VLAN match does not tell 802.1Q from "
                 "802.1ad, whose TPID NORMAL keeps");
        return -ENOTSUP;
    }
    /* flows wait for room: it goes to them first. A flow's rule takes
     * every frame of the flow, a conversation's one pair's, and a
     * conversation made in between would take the room a rule freed
     * (they are asked every turn, the waiting flows once a second).
     * Those of its own table: the card may be refusing for that table
     * alone. Any table's, while room freed since the last placement has
     * not yet been offered to them (the device may be full as a whole). */
    if (o->tables[f->table_id].n_no_space > 0
        || (o->space_freed && flows_wait_room(o))) {
        o->convs.refused_full++;
        snprintf(why, size, "flows wait for room on the card, and room "
                 "goes to them first");
        return -ENOSPC;
    }
    at_max = snic_hmap_count(&o->convs.map) >= o->cfg.conv_max;
    if (at_max && !room_may_be_made(o)) {
        o->convs.refused_max++;
        snprintf(why, size, "the limit of %u NORMAL conversation rules is "
                 "reached (--normal-rules)", o->cfg.conv_max);
        return -ENOSPC;
    }
    full = &o->convs.full[f->table_id];
    if (full->until_ns != 0 && o->drops == full->drops
        && conv_now(o) < full->until_ns) {
        o->convs.refused_full++;
        snprintf(why, size, "the device had no room at the last try (asked "
                 "again once a rule goes, or after a second)");
        return -ENOSPC;
    }
    snicd_oflow_flow(f, &df);
    conv_match(key, &df);
    (void)conv_actions(key, &df);
    snicd_offload_xlate_ctx(o, f, &ctx, (uint32_t)f->rare->conv_level, 0,
                            SNICD_XLATE_FULL);
    if (snicd_xlate_flow(&df, &ctx, o->x) < 0) {
        snprintf(why, size, "%s", o->x->reason);
        return -ENOTSUP;
    }
    /* a rule is ready: only now may another leave the card for it (one
     * evicted for a conversation the card refuses is lost for nothing).
     * Its slot is the new rule's, no room freed for waiting flows: they
     * would be placed again, whole tables, at each such turn */
    freed_before = o->space_freed;
    if (at_max && !make_room(o)) {
        o->convs.refused_max++;
        snprintf(why, size, "the limit of %u NORMAL conversation rules is "
                 "reached (--normal-rules)", o->cfg.conv_max);
        return -ENOSPC;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    c->key = *key;
    c->handle = rte_flow_create(o->cfg.proxy_port, &o->x->attr, o->x->items,
                                o->x->actions, &err);
    if (c->handle == NULL) {
        rc = -(rte_errno ? rte_errno : EINVAL);
        snprintf(why, size, "the device refused it: %s",
                 err.message ? err.message : "no reason given");
        o->convs.create_failures++;
        if (rc == -ENOSPC) {
            full->drops = o->drops;
            full->until_ns = conv_now(o) + 1000000000ull;
        }
        free(c);
        return rc;
    }
    full->until_ns = 0;
    if (at_max)
        o->space_freed = freed_before;
    snic_hmap_insert(&o->convs.map, &c->node, conv_hash(key));
    snicd_offload_moved_other_add(o, &c->other, c->handle);
    c->tpprev = &o->convs.by_table[f->table_id];
    c->tnext = *c->tpprev;
    if (c->tnext != NULL)
        c->tnext->tpprev = &c->tnext;
    *c->tpprev = c;
    idle_append(&o->convs, c, conv_now(o));
    f->rare->n_convs++;        /* conv_level >= 0: it has its rare part */
    o->convs.created++;
    return 1;
}

bool
snicd_offload_conv_has(const struct snicd_offload *o,
                       const struct dp_conv *key)
{
    return conv_find(&o->convs, key) != NULL;
}

int
snicd_offload_conv_walk(struct snicd_offload *o, bool read,
                        snicd_conv_fn *fn, void *ctx)
{
    struct snicd_conv *c;
    int n = 0;

    SNIC_HMAP_FOR_EACH_SAFE(c, node, &o->convs.map) {
        uint64_t moved;

        if (read)
            (void)conv_read(o, c);
        moved = c->untold;
        c->untold = 0;

        /* a port that left the card (gone, or no longer the uplink or a
         * representor) takes its conversations off at once: the FDB
         * forgets its entries only if the datapath took the new ports */
        if (!card_port(o, c->key.in_port) || !card_port(o, c->key.out_port)
            || !fn(ctx, &c->key, moved, c->pkts)) {
            conv_free(o, c);
            n++;
        }
    }
    /* idle ones go once their counters were read: a rule that switched
     * frames since the last read is at the back by now */
    if (read) {
        uint64_t now = conv_now(o), idle = idle_ns(o);

        while (o->convs.idle_head != NULL
               && now - o->convs.idle_head->moved_ns >= idle) {
            conv_free(o, o->convs.idle_head);
            o->convs.evicted_idle++;
            n++;
        }
    }
    return n;
}

size_t
snicd_offload_conv_list(const struct snicd_offload *o,
                        struct snicd_conv_info *out, size_t max)
{
    const struct snicd_conv *c;
    size_t n = 0;

    SNIC_HMAP_FOR_EACH(c, node, &o->convs.map) {
        if (out != NULL && n < max) {
            out[n].key = c->key;
            out[n].pkts = c->pkts;
            out[n].bytes = c->bytes;
        }
        n++;
    }
    return n;
}

void
snicd_offload_conv_stats(const struct snicd_offload *o,
                         struct snicd_conv_stats *s)
{
    s->rules = (uint32_t)snic_hmap_count(&o->convs.map);
    s->max = o->cfg.conv_max;
    s->created = o->convs.created;
    s->destroyed = o->convs.destroyed;
    s->refused_max = o->convs.refused_max;
    s->create_failures = o->convs.create_failures;
    s->refused_full = o->convs.refused_full;
    s->evicted_idle = o->convs.evicted_idle;
    s->evicted_room = o->convs.evicted_room;
    s->switched_pkts = o->convs.switched_pkts;
}
