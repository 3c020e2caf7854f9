/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenFlow flow table: snicd's desired state.
 *
 * Each OpenFlow table is an unordered array of nodes (removal swaps the last
 * one in), plus two hash indexes over all tables (common/snic_hmap.h): by
 * id, and by (table, priority, match) so an add finds the flow it replaces
 * without a scan, which keeps bulk insertion of 100,000 flows linear. Loose
 * modify/delete, overlap checks and lookups scan one table: they are
 * rare, or (lookup) deliberately the simple reference classifier.
 *
 * Every operation first decides everything that can fail (allocation,
 * validation, the set of flows it touches) and only then changes the table,
 * so a failed operation changes nothing and reports nothing.
 *
 * A node holds its flow compact (struct flow_entry, flow_entry.c): its
 * actions and no more, with room for the next power of two of them (a
 * one-output flow, the common case, has room for one), then only the
 * words of its match whose mask is not zero, so a million flows of one
 * output and a five-tuple match take ~80 bytes of match each instead
 * of 496, and ~500 bytes less of actions than the whole array. The index by rule hashes and compares the compact words.
 * A replace or modify that needs more room moves the flow to a bigger
 * node (which counts as a removal for flow_table_removals(): pointers to
 * the old one die); undo records name flows by id, so a move never leaves
 * them pointing at freed memory.
 *
 * Flows with an idle or hard timeout are also in one more array (timed),
 * so that what only they need (their counters read for the idle timeout,
 * the next deadline, expiry) costs nothing for the million flows that
 * have none: the daemon's once-a-second work must not grow with them.
 *
 * Transactions (flow_table_begin): while one is open, every change also
 * leaves an undo record (room for it is reserved with the rest, before
 * anything changes): the node of a new flow, a copy of a replaced or
 * modified entry, and the node of a removed flow, which is unlinked but
 * not freed. Rollback walks the records backwards, so each undo finds the
 * table exactly as the change left it (a removed node goes back into an
 * array that had room for it), and cannot fail.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "snic/flow.h"
#include "snic_hash.h"
#include "snic_hmap.h"

#define NS_PER_SEC  1000000000ull

/* 32-bit indexes (a table's array stops short of UINT32_MAX flows:
 * reserve_array()), so that the header has no hole (#13: a million of
 * them) */
struct ft_node {
    struct snic_hmap_node id_node;      /* in by_id */
    struct snic_hmap_node rule_node;    /* in by_rule */
    uint32_t slot;              /* index in its table's array */
    uint32_t timed_slot;        /* index in timed, or NOT_TIMED */
    uint32_t room;              /* actions the node has room for */
    struct flow_entry e;        /* last, cut after e.flow.actions[room]
                                 * and the match words */
};

#define NOT_TIMED UINT32_MAX

/* the aux word fills the gap the actions' alignment leaves: an entry is
 * no bigger for it */
_Static_assert(offsetof(struct flow_entry_rule, aux) + sizeof(uint32_t)
               == offsetof(struct flow_entry_rule, actions),
               "flow_entry_rule.aux is in the gap before the actions");

struct ft_array {
    struct ft_node **v;
    size_t n;
    size_t cap;
};

enum ft_undo_kind {
    FT_UNDO_ADDED,              /* n is new: remove and free it */
    FT_UNDO_CHANGED,            /* n->e was *old */
    FT_UNDO_REMOVED,            /* n was unlinked: link it back */
    FT_UNDO_CLEARED,            /* table id was emptied: cleared is what
                                 * it held */
};

struct ft_undo {
    enum ft_undo_kind kind;
    uint64_t id;                /* ADDED, CHANGED: the flow (nodes move);
                                 * CLEARED: the table */
    struct ft_node *n;          /* REMOVED: the unlinked node (never moves) */
    struct flow_entry *old;     /* FT_UNDO_CHANGED only; owned, its
                                 * flow_entry_bytes() */
    struct ft_array cleared;    /* FT_UNDO_CLEARED only: the table's array
                                 * as it was, its nodes unlinked */
};

struct flow_table {
    struct ft_array tables[FLOW_TABLE_MAX + 1];
    struct ft_array timed;      /* the flows with a timeout, any table */
    bool in_txn;
    struct ft_undo *undo;       /* the open transaction's records */
    size_t n_undo, cap_undo;
    struct snic_hmap by_id;     /* every node, by id */
    struct snic_hmap by_rule;   /* every node, by (table, priority, match) */
    size_t count;
    uint64_t removals;          /* nodes unlinked so far (any reason) */
    uint64_t next_id;
    flow_change_fn *fn;
    void *ctx;
    /* delete_learned: (table, cookie) pairs whose learn with
     * delete_learned left with a flow, to check at the end of the change
     * (dl_flush()) */
    struct ft_dl { uint64_t cookie; uint8_t table; } *dl;
    size_t n_dl, cap_dl;
};

/* The compact match's words (n values, n masks) and map, priority and
 * table: identical matches have identical compact forms. */
static uint64_t
rule_hash(uint32_t map, const uint64_t *w, unsigned n, uint16_t priority,
          uint8_t table)
{
    return snic_hash_bytes(w, 2 * n * sizeof(*w),
                           SNIC_HASH_BASIS ^ ((uint64_t)map << 24
                                              | (uint64_t)priority << 8
                                              | table));
}

static uint64_t
node_hash(const struct ft_node *n)
{
    return rule_hash(n->e.match_map, flow_entry_match_words(&n->e),
                     n->e.n_match_words, n->e.flow.priority,
                     n->e.flow.table_id);
}

/* ---- nodes cut after their actions ---- */

static unsigned
room_for(unsigned n_actions)
{
    unsigned room = 1;

    while (room < n_actions && room < FLOW_MAX_ACTIONS)
        room *= 2;
    return room;
}

/* A node with room for @n_actions actions and @n_words match words. */
static struct ft_node *
node_alloc(unsigned n_actions, unsigned n_words)
{
    unsigned room = room_for(n_actions);
    struct ft_node *n = calloc(1, offsetof(struct ft_node, e.flow.actions)
                                  + room * sizeof(struct flow_action)
                                  + 2 * n_words * sizeof(uint64_t));

    if (n != NULL)
        n->room = room;
    return n;
}

static struct ft_node *
node_new(const struct flow *f)
{
    uint32_t map;
    uint64_t w[2 * FLOW_KEY_WORDS];

    return node_alloc(f->n_actions, flow_match_pack(&f->match, &map, w));
}

/* @f into @n, which has room for its actions and match words. */
static void
node_set_flow(struct ft_node *n, const struct flow *f)
{
    flow_entry_set_flow(&n->e, f);
}

/* A copy of @n's entry, for an undo record: malloc'd, NULL outside a
 * transaction or without memory. */
static struct flow_entry *
entry_copy_new(const struct flow_table *t, const struct ft_node *n)
{
    return t->in_txn ? malloc(flow_entry_bytes(&n->e)) : NULL;
}

/* @n's entry into @dst (from entry_copy_new(), as it was then). */
static void
entry_copy_out(struct flow_entry *dst, const struct ft_node *n)
{
    memcpy(dst, &n->e, flow_entry_bytes(&n->e));
}

/* @src back into @n (which has had room for it: nodes never shrink, and
 * the match words do not change). */
static void
entry_copy_in(struct ft_node *n, const struct flow_entry *src)
{
    memcpy(&n->e, src, flow_entry_bytes(src));
}

static void
notify(struct flow_table *t, enum flow_change_kind kind,
       const struct ft_node *n, enum flow_removed_reason reason)
{
    if (t->fn != NULL)
        t->fn(t->ctx, kind, &n->e, reason);
}

struct flow_table *
flow_table_create(flow_change_fn *fn, void *ctx)
{
    struct flow_table *t = calloc(1, sizeof(*t));

    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    snic_hmap_init(&t->by_id);
    snic_hmap_init(&t->by_rule);
    t->next_id = 1;
    t->fn = fn;
    t->ctx = ctx;
    return t;
}

/* ---- indexes ---- */

static struct ft_node *
find_id(const struct flow_table *t, uint64_t id)
{
    struct ft_node *n;

    SNIC_HMAP_FOR_EACH_WITH_HASH(n, id_node, snic_hash_flow_id(id), &t->by_id)
        if (n->e.id == id)
            return n;
    return NULL;
}

/* The flow of (@m normalised, @priority, @table), or NULL. */
static struct ft_node *
find_rule(const struct flow_table *t, const struct flow_match *m,
          uint16_t priority, uint8_t table)
{
    uint64_t w[2 * FLOW_KEY_WORDS];
    uint32_t map;
    unsigned k = flow_match_pack(m, &map, w);
    struct ft_node *n;

    SNIC_HMAP_FOR_EACH_WITH_HASH(n, rule_node,
                                 rule_hash(map, w, k, priority, table),
                                 &t->by_rule)
        if (n->e.flow.priority == priority && n->e.flow.table_id == table
            && n->e.match_map == map
            && memcmp(flow_entry_match_words(&n->e), w,
                      2 * k * sizeof(w[0])) == 0)
            return n;
    return NULL;
}

/* Room in both indexes for @want nodes, so that linking cannot meet a
 * full map later (an index that grew while the other could not changes
 * nothing anyone sees). */
static int
reserve_indexes(struct flow_table *t, size_t want)
{
    if (snic_hmap_reserve(&t->by_id, want) < 0 ||
        snic_hmap_reserve(&t->by_rule, want) < 0)
        return -ENOMEM;
    return 0;
}

static int
reserve_array(struct ft_array *a, size_t want)
{
    struct ft_node **v;
    size_t cap;

    if (want <= a->cap)
        return 0;
    if (want >= NOT_TIMED)
        return -ENOMEM;     /* past what a node's 32-bit slot can say */
    cap = a->cap ? a->cap * 2 : 16;
    while (cap < want)
        cap *= 2;
    v = realloc(a->v, cap * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    a->v = v;
    a->cap = cap;
    return 0;
}

static bool
has_timeout(const struct ft_node *n)
{
    return n->e.flow.idle_timeout != 0 || n->e.flow.hard_timeout != 0;
}

/* Put @n in the timed array or take it out, as its timeouts now say. The
 * array has room (timed_reserve before the change; a rollback only brings
 * back states that had room). */
static void
timed_sync(struct flow_table *t, struct ft_node *n)
{
    struct ft_array *a = &t->timed;

    if (has_timeout(n) && n->timed_slot == NOT_TIMED) {
        n->timed_slot = a->n;
        a->v[a->n++] = n;
    } else if (!has_timeout(n) && n->timed_slot != NOT_TIMED) {
        a->v[n->timed_slot] = a->v[--a->n];
        a->v[n->timed_slot]->timed_slot = n->timed_slot;
        n->timed_slot = NOT_TIMED;
    }
}

static void
timed_drop(struct flow_table *t, struct ft_node *n)
{
    struct ft_array *a = &t->timed;

    if (n->timed_slot == NOT_TIMED)
        return;
    a->v[n->timed_slot] = a->v[--a->n];
    a->v[n->timed_slot]->timed_slot = n->timed_slot;
    n->timed_slot = NOT_TIMED;
}

/* Room in the timed array for one more flow with a timeout (every flow
 * could have one, so the room asked for is the table's size). */
static int
timed_reserve(struct flow_table *t, const struct flow *f, size_t extra)
{
    if (f->idle_timeout == 0 && f->hard_timeout == 0)
        return 0;
    return reserve_array(&t->timed, t->timed.n + extra);
}

static void
link_node(struct flow_table *t, struct ft_node *n)
{
    timed_sync(t, n);
    snic_hmap_insert(&t->by_id, &n->id_node, snic_hash_flow_id(n->e.id));
    snic_hmap_insert(&t->by_rule, &n->rule_node, node_hash(n));
}

/* @n's flow into the bigger node @m (room taken before anything
 * changed), in every index and array; @n is freed. Pointers to @n die:
 * counted as a removal (flow_table_removals). */
static struct ft_node *
node_move(struct flow_table *t, struct ft_node *n, struct ft_node *m)
{
    unsigned room = m->room;

    memcpy(m, n, offsetof(struct ft_node, e) + flow_entry_bytes(&n->e));
    m->room = room;
    snic_hmap_remove(&t->by_id, &n->id_node);
    snic_hmap_remove(&t->by_rule, &n->rule_node);
    snic_hmap_insert(&t->by_id, &m->id_node, snic_hash_flow_id(m->e.id));
    snic_hmap_insert(&t->by_rule, &m->rule_node, node_hash(m));
    t->tables[m->e.flow.table_id].v[m->slot] = m;
    if (m->timed_slot != NOT_TIMED)
        t->timed.v[m->timed_slot] = m;
    t->removals++;
    free(n);
    return m;
}

/* learn(delete_learned) in @f's actions: note its (table, cookie), whose
 * flows go when no flow holds such a learn any more (dl_flush()). An
 * allocation failure loses the note: the learned flows then stay. */
static void
dl_note(struct flow_table *t, const struct flow_entry_rule *f)
{
    for (unsigned i = 0; i < f->n_actions && i < FLOW_MAX_ACTIONS; i++) {
        const struct flow_action *a = &f->actions[i];
        uint64_t cookie = 0;

        if (a->type != FLOW_ACT_LEARN
            || !(a->pad0 & FLOW_LEARN_F_DELETE_LEARNED))
            continue;
        for (unsigned k = 1; k <= a->u.learn.n && i + k < f->n_actions; k++)
            if (a[k].pad0 == FLOW_LEARN_COOKIE)
                cookie = a[k].u.value;
        if (t->n_dl == t->cap_dl) {
            size_t cap = t->cap_dl ? 2 * t->cap_dl : 8;
            struct ft_dl *v = realloc(t->dl, cap * sizeof(*v));

            if (v == NULL)
                return;
            t->dl = v;
            t->cap_dl = cap;
        }
        t->dl[t->n_dl++] = (struct ft_dl){ cookie, a->u.learn.table };
    }
}

/* Unlink, report and free one flow. */
static void
remove_node(struct flow_table *t, struct ft_node *n,
            enum flow_removed_reason reason)
{
    struct ft_array *a = &t->tables[n->e.flow.table_id];

    dl_note(t, &n->e.flow);
    snic_hmap_remove(&t->by_id, &n->id_node);
    snic_hmap_remove(&t->by_rule, &n->rule_node);
    timed_drop(t, n);
    t->removals++;
    a->v[n->slot] = a->v[--a->n];
    a->v[n->slot]->slot = n->slot;
    t->count--;
    notify(t, FLOW_CHANGE_REMOVED, n, reason);
    if (t->in_txn)
        t->undo[t->n_undo++] = (struct ft_undo){
            .kind = FT_UNDO_REMOVED, .id = n->e.id, .n = n };
    else
        free(n);
}

/* ---- transactions ---- */

/* Table u->id back as it was before it was cleared. What was added there
 * after the clear is undone already (records go backwards), so the table
 * is empty: its array is the one of the clear again. */
static void
clear_undo(struct flow_table *t, struct ft_undo *u)
{
    struct ft_array *a = &t->tables[u->id];

    free(a->v);
    *a = u->cleared;
    u->cleared = (struct ft_array){ NULL, 0, 0 };
    for (size_t i = 0; i < a->n; i++) {
        struct ft_node *n = a->v[i];

        n->slot = i;
        link_node(t, n);
        t->count++;
        notify(t, FLOW_CHANGE_ADDED, n, FLOW_REMOVED_NONE);
    }
}

/* Room for @k more undo records, taken before a change so that recording
 * it cannot fail. Nothing to do outside a transaction. */
static int
undo_reserve(struct flow_table *t, size_t k)
{
    struct ft_undo *v;
    size_t cap;

    if (!t->in_txn || t->cap_undo - t->n_undo >= k)
        return 0;
    cap = t->cap_undo ? t->cap_undo * 2 : 256;
    while (cap - t->n_undo < k)
        cap *= 2;
    v = realloc(t->undo, cap * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    t->undo = v;
    t->cap_undo = cap;
    return 0;
}

/* Record that @n's entry is about to change; @old was malloc'd by the
 * caller before anything changed (NULL outside a transaction). */
static void
undo_changed(struct flow_table *t, struct ft_node *n, struct flow_entry *old)
{
    if (!t->in_txn)
        return;
    entry_copy_out(old, n);
    t->undo[t->n_undo++] = (struct ft_undo){
        .kind = FT_UNDO_CHANGED, .id = n->e.id, .old = old };
}

int
flow_table_begin(struct flow_table *t)
{
    if (t->in_txn)
        return -EBUSY;
    t->in_txn = true;
    t->n_undo = 0;
    return 0;
}

/* Undo records a transaction's size keeps, past its end: a bulk load's
 * (56 bytes a flow) would otherwise stay for good (#13). */
#define UNDO_KEEP   65536u

static void
undo_trim(struct flow_table *t)
{
    if (t->cap_undo <= UNDO_KEEP)
        return;
    free(t->undo);
    t->undo = NULL;
    t->cap_undo = 0;
}

static void
undo_free(struct flow_table *t)
{
    for (size_t i = 0; i < t->n_undo; i++) {
        struct ft_undo *u = &t->undo[i];

        free(u->old);
        if (u->kind == FT_UNDO_REMOVED)
            free(u->n);
        if (u->kind == FT_UNDO_CLEARED) {
            for (size_t k = 0; k < u->cleared.n; k++)
                free(u->cleared.v[k]);
            free(u->cleared.v);
        }
    }
    t->n_undo = 0;
}

void
flow_table_commit(struct flow_table *t)
{
    if (!t->in_txn)
        return;
    undo_free(t);
    undo_trim(t);
    t->in_txn = false;
}

void
flow_table_rollback(struct flow_table *t)
{
    if (!t->in_txn)
        return;
    t->in_txn = false;      /* the undos themselves leave no record */
    while (t->n_undo > 0) {
        struct ft_undo *u = &t->undo[--t->n_undo];
        struct ft_node *n = u->kind == FT_UNDO_REMOVED ? u->n
                            : u->kind == FT_UNDO_CLEARED ? NULL
                            : find_id(t, u->id);
        struct ft_array *a;

        switch (u->kind) {
        case FT_UNDO_CLEARED:
            clear_undo(t, u);
            break;
        case FT_UNDO_ADDED:
            remove_node(t, n, FLOW_REMOVED_DELETE);
            break;
        case FT_UNDO_CHANGED:
            entry_copy_in(n, u->old);
            free(u->old);
            timed_sync(t, n);
            notify(t, FLOW_CHANGE_MODIFIED, n, FLOW_REMOVED_NONE);
            break;
        case FT_UNDO_REMOVED:
            a = &t->tables[n->e.flow.table_id];
            n->slot = a->n;
            a->v[a->n++] = n;
            link_node(t, n);
            t->count++;
            notify(t, FLOW_CHANGE_ADDED, n, FLOW_REMOVED_NONE);
            break;
        }
    }
    t->n_dl = 0;            /* the table is as before: nothing to flush */
    undo_trim(t);
}

void
flow_table_destroy(struct flow_table *t)
{
    if (t == NULL)
        return;
    flow_table_commit(t);
    free(t->undo);
    for (unsigned i = 0; i <= FLOW_TABLE_MAX; i++) {
        struct ft_array *a = &t->tables[i];

        while (a->n > 0)
            remove_node(t, a->v[a->n - 1], FLOW_REMOVED_FLUSH);
        free(a->v);
    }
    free(t->dl);
    free(t->timed.v);
    snic_hmap_fini(&t->by_id);
    snic_hmap_fini(&t->by_rule);
    free(t);
}

/* ---- validation shared by add and modify ---- */

static int
check_actions(const struct flow *f, unsigned table_id)
{
    unsigned clone_end = 0;     /* one past the current clone's body */
    unsigned actset_end = 0;    /* one past write_actions' body */

    if (f->n_actions > FLOW_MAX_ACTIONS)
        return -EINVAL;
    for (unsigned i = 0; i < f->n_actions; i++) {
        const struct flow_action *a = &f->actions[i];

        /* a clone's body is whole, unnested and returns to its list (what
         * the parser guarantees; a resubmit returns to it too) */
        if (i < clone_end
            && (a->type == FLOW_ACT_CLONE || a->type == FLOW_ACT_GOTO_TABLE))
            return -EINVAL;
        if (a->type == FLOW_ACT_CLONE) {
            if (i + a->u.clone.n >= f->n_actions)
                return -EINVAL;
            clone_end = i + 1 + a->u.clone.n;
        }
        /* an action set holds no nesting and no lookups either */
        if (i < actset_end
            && (a->type == FLOW_ACT_WRITE_ACTIONS || a->type == FLOW_ACT_CT
                || a->type == FLOW_ACT_RESUBMIT || a->type == FLOW_ACT_LEARN
                || a->type == FLOW_ACT_CLEAR_ACTIONS))
            return -EINVAL;
        if (a->type == FLOW_ACT_WRITE_ACTIONS) {
            if (i + 1u + a->u.clone.n > f->n_actions)
                return -EINVAL;
            actset_end = clone_end = i + 1 + a->u.clone.n;
        }

        if (a->type < FLOW_ACT_OUTPUT || a->type >= FLOW_ACT_COUNT_)
            return -EINVAL;
        /* the datapath puts on an Ethernet or MPLS header only */
        if (a->type == FLOW_ACT_ENCAP && a->u.ptype != FLOW_PT_ETH
            && a->u.ptype != FLOW_PT(FLOW_PT_NS_ETHERTYPE, 0x8847)
            && a->u.ptype != FLOW_PT(FLOW_PT_NS_ETHERTYPE, 0x8848))
            return -EINVAL;
        /* a learn's specs follow it, and only it */
        if (a->type == FLOW_ACT_LEARN) {
            if (i + a->u.learn.n >= f->n_actions || !flow_learn_valid(a))
                return -EINVAL;
            i += a->u.learn.n;
            continue;
        }
        if (a->type == FLOW_ACT_LEARN_SPEC || a->type == FLOW_ACT_ARGS)
            return -EINVAL;
        /* a note's bytes follow it, and only it */
        if (a->type == FLOW_ACT_NOTE) {
            if (i + a->u.note.n >= f->n_actions || !flow_action_fields_valid(a))
                return -EINVAL;
            for (unsigned k = 1; k <= a->u.note.n; k++)
                if (f->actions[i + k].type != FLOW_ACT_NOTE_DATA)
                    return -EINVAL;
            i += a->u.note.n;
            continue;
        }
        if (a->type == FLOW_ACT_NOTE_DATA)
            return -EINVAL;
        /* a clause flow has only clauses, notes aside (what the parser
         * guarantees) */
        if ((a->type == FLOW_ACT_CONJUNCTION) != flow_is_conjunction(f))
            return -EINVAL;
        if (!flow_action_fields_valid(a))
            return -EINVAL;
        /* the further arguments of an action follow it, and only it */
        if (flow_action_n_args(a) > 0) {
            unsigned n = flow_action_n_args(a);

            if (i + n >= f->n_actions)
                return -EINVAL;
            for (unsigned k = 1; k <= n; k++)
                if (f->actions[i + k].type != FLOW_ACT_ARGS)
                    return -EINVAL;
            i += n;
            continue;
        }
        if (a->type == FLOW_ACT_GOTO_TABLE
            && (i + 1 != f->n_actions || a->u.table > FLOW_TABLE_MAX
                || (table_id != FLOW_TABLE_ALL && a->u.table <= table_id)))
            return -EINVAL;
    }
    return 0;
}

static bool
cookie_ok(const struct flow_mod *fm, const struct flow_entry *e)
{
    return ((e->flow.cookie ^ fm->flow.cookie) & fm->cookie_mask) == 0;
}

static bool
outputs_to(const struct flow_entry_rule *f, uint32_t port)
{
    if (port == FLOW_PORT_ANY)
        return true;
    for (unsigned i = 0; i < f->n_actions; i++)
        if ((f->actions[i].type == FLOW_ACT_OUTPUT
             && f->actions[i].u.port == port)
            || (f->actions[i].type == FLOW_ACT_OUTPUT_TRUNC
                && f->actions[i].u.trunc.port == port))
            return true;
    return false;
}

/* Whether a flow in the table still holds learn(delete_learned) for
 * @d. */
static bool
dl_held(const struct flow_table *t, const struct ft_dl *d)
{
    for (unsigned tb = 0; tb <= FLOW_TABLE_MAX; tb++) {
        const struct ft_array *a = &t->tables[tb];

        for (size_t i = 0; i < a->n; i++) {
            const struct flow_entry_rule *f = &a->v[i]->e.flow;

            for (unsigned k = 0; k < f->n_actions; k++) {
                const struct flow_action *l = &f->actions[k];
                uint64_t cookie = 0;

                if (l->type != FLOW_ACT_LEARN
                    || !(l->pad0 & FLOW_LEARN_F_DELETE_LEARNED)
                    || l->u.learn.table != d->table)
                    continue;
                for (unsigned j = 1; j <= l->u.learn.n
                                     && k + j < f->n_actions; j++)
                    if (l[j].pad0 == FLOW_LEARN_COOKIE)
                        cookie = l[j].u.value;
                if (cookie == d->cookie)
                    return true;
            }
        }
    }
    return false;
}

/*
 * delete_learned, as Open vSwitch does it: when the last flow holding a
 * learn(delete_learned) for (table T, cookie C) leaves (deleted, expired,
 * replaced, or modified to other actions), every flow of table T with
 * cookie C is deleted (reason DELETE). Run at the end of each change, so
 * inside a transaction the deletions are undone with the rest. The
 * table is scanned only when such a flow left: no cost for others.
 */
static void
dl_flush(struct flow_table *t)
{
    while (t->n_dl > 0) {
        struct ft_dl d = t->dl[--t->n_dl];
        struct ft_array *a = &t->tables[d.table];
        size_t n = 0;

        if (dl_held(t, &d))
            continue;
        for (size_t i = 0; i < a->n; i++)
            n += a->v[i]->e.flow.cookie == d.cookie;
        if (n == 0 || undo_reserve(t, n) < 0)
            continue;
        /* backwards: the last node moves into a freed slot */
        for (size_t i = a->n; i-- > 0;)
            if (i < a->n && a->v[i]->e.flow.cookie == d.cookie)
                remove_node(t, a->v[i], FLOW_REMOVED_DELETE);
    }
}

/* ---- add ---- */

static int
table_add(struct flow_table *t, const struct flow_mod *fm, uint64_t now_ns)
{
    struct flow f = fm->flow;
    struct ft_array *a;
    struct ft_node *old, *n;
    int rc;

    if (f.table_id > FLOW_TABLE_MAX)
        return -EINVAL;
    flow_match_normalise(&f.match);
    if (flow_match_prereq_error(&f.match, NULL) != NULL)
        return -EINVAL;
    rc = check_actions(&f, f.table_id);
    if (rc < 0)
        return rc;
    a = &t->tables[f.table_id];
    if (fm->flags & FLOW_MOD_CHECK_OVERLAP)
        for (size_t i = 0; i < a->n; i++) {
            struct flow_match m;

            if (a->v[i]->e.flow.priority != f.priority)
                continue;
            flow_entry_match(&a->v[i]->e, &m);
            if (flow_match_overlaps(&m, &f.match))
                return -EEXIST;
        }

    if (undo_reserve(t, 1) < 0 || timed_reserve(t, &f, 1) < 0)
        return -ENOMEM;
    old = find_rule(t, &f.match, f.priority, f.table_id);
    if (old != NULL) {
        struct flow_entry *copy = NULL;
        struct ft_node *bigger = NULL;

        if (t->in_txn && (copy = entry_copy_new(t, old)) == NULL)
            return -ENOMEM;
        if (f.n_actions > old->room && (bigger = node_new(&f)) == NULL) {
            free(copy);
            return -ENOMEM;
        }
        undo_changed(t, old, copy);
        dl_note(t, &old->e.flow);
        if (bigger != NULL)
            old = node_move(t, old, bigger);
        /* OpenFlow 1.3: the new flow replaces it, duration restarts,
         * counters carry over unless asked to reset */
        node_set_flow(old, &f);
        old->e.created_ns = now_ns;
        old->e.used_ns = now_ns;
        if (fm->flags & FLOW_MOD_RESET_COUNTS) {
            old->e.n_packets = 0;
            old->e.n_bytes = 0;
        }
        timed_sync(t, old);
        notify(t, FLOW_CHANGE_MODIFIED, old, FLOW_REMOVED_NONE);
        return 1;
    }

    n = node_new(&f);
    if (n == NULL)
        return -ENOMEM;
    if (reserve_array(a, a->n + 1) < 0 || reserve_indexes(t, t->count + 1)) {
        free(n);
        return -ENOMEM;
    }
    n->timed_slot = NOT_TIMED;
    n->e.id = t->next_id++;
    node_set_flow(n, &f);
    n->e.created_ns = now_ns;
    n->e.used_ns = now_ns;
    n->slot = a->n;
    a->v[a->n++] = n;
    link_node(t, n);
    t->count++;
    if (t->in_txn)
        t->undo[t->n_undo++] = (struct ft_undo){
            .kind = FT_UNDO_ADDED, .id = n->e.id };
    notify(t, FLOW_CHANGE_ADDED, n, FLOW_REMOVED_NONE);
    return 1;
}

/* Is @e's flow @f (normalised)? */
static bool
entry_equal(const struct flow_entry *e, const struct flow *f)
{
    const struct flow_entry_rule *r = &e->flow;

    return r->cookie == f->cookie && r->priority == f->priority
           && r->table_id == f->table_id && r->n_actions == f->n_actions
           && r->idle_timeout == f->idle_timeout
           && r->hard_timeout == f->hard_timeout && r->flags == f->flags
           && r->importance == f->importance
           && f->n_actions <= FLOW_MAX_ACTIONS
           && memcmp(r->actions, f->actions,
                     f->n_actions * sizeof(f->actions[0])) == 0
           && flow_entry_match_is(e, &f->match);
}

int
flow_table_learn(struct flow_table *t, const struct flow_mod *fm,
                 uint64_t now_ns)
{
    struct flow f = fm->flow;
    struct ft_node *old;

    if (fm->cmd != FLOW_CMD_ADD || f.table_id > FLOW_TABLE_MAX)
        return -EINVAL;
    flow_match_normalise(&f.match);
    old = find_rule(t, &f.match, f.priority, f.table_id);
    if (old != NULL && entry_equal(&old->e, &f)) {
        /* a refresh: Open vSwitch restarts the hard timeout only */
        old->e.created_ns = now_ns;
        return 0;
    }
    if (fm->learn_mode == FLOW_LEARN_REFRESH)
        return -ENOENT;
    if (fm->learn_limit != 0 && fm->learn_mode != FLOW_LEARN_RESERVED) {
        const struct ft_array *a = &t->tables[f.table_id];
        size_t n = 0;

        for (size_t i = 0; i < a->n; i++)
            n += a->v[i]->e.flow.cookie == f.cookie;
        if (n >= fm->learn_limit)
            return -ENOSPC;
    }
    return flow_table_apply(t, fm, now_ns);
}

size_t
flow_table_cookie_flows(const struct flow_table *t, unsigned table_id,
                        uint64_t cookie, flow_visit_fn *fn, void *ctx)
{
    const struct ft_array *a;
    size_t n = 0;

    if (table_id > FLOW_TABLE_MAX)
        return 0;
    a = &t->tables[table_id];
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i]->e.flow.cookie != cookie)
            continue;
        n++;
        if (fn != NULL)
            fn(ctx, &a->v[i]->e);
    }
    return n;
}

int
flow_table_fin_timeout(struct flow_table *t, uint64_t id, uint16_t idle,
                       uint16_t hard)
{
    struct ft_node *n = find_id(t, id);
    struct flow_entry *copy = NULL;
    uint16_t new_idle, new_hard;

    if (n == NULL)
        return -ENOENT;
    new_idle = n->e.flow.idle_timeout;
    new_hard = n->e.flow.hard_timeout;
    if (idle != 0 && (new_idle == 0 || idle < new_idle))
        new_idle = idle;
    if (hard != 0 && (new_hard == 0 || hard < new_hard))
        new_hard = hard;
    if (new_idle == n->e.flow.idle_timeout
        && new_hard == n->e.flow.hard_timeout)
        return 0;
    if (undo_reserve(t, 1) < 0 || reserve_array(&t->timed, t->timed.n + 1)
        || (t->in_txn && (copy = entry_copy_new(t, n)) == NULL))
        return -ENOMEM;
    undo_changed(t, n, copy);
    n->e.flow.idle_timeout = new_idle;
    n->e.flow.hard_timeout = new_hard;
    timed_sync(t, n);
    notify(t, FLOW_CHANGE_MODIFIED, n, FLOW_REMOVED_NONE);
    return 1;
}

/* ---- modify and delete: choose the flows, then act ---- */

static bool
selected(const struct flow_mod *fm, const struct ft_node *n, bool strict)
{
    const struct flow_entry_rule *f = &n->e.flow;

    if (!cookie_ok(fm, &n->e))
        return false;
    if (strict) {
        if (f->priority != fm->flow.priority
            || !flow_entry_match_is(&n->e, &fm->flow.match))
            return false;
    } else if (!flow_entry_covered_by(&n->e, &fm->flow.match)) {
        return false;
    }
    if (fm->cmd == FLOW_CMD_DELETE || fm->cmd == FLOW_CMD_DELETE_STRICT)
        return outputs_to(f, fm->out_port);
    return true;
}

/* The flows @fm applies to, in a new array (*out, *n_out); -ENOMEM. */
static int
select_flows(const struct flow_table *t, const struct flow_mod *fm,
             const struct flow_match *match, struct ft_node ***out,
             size_t *n_out)
{
    bool strict = fm->cmd == FLOW_CMD_MODIFY_STRICT
        || fm->cmd == FLOW_CMD_DELETE_STRICT;
    unsigned lo = 0, hi = FLOW_TABLE_MAX;
    struct flow_mod norm = *fm;
    struct ft_node **v = NULL;
    size_t n = 0, cap = 0;

    norm.flow.match = *match;
    if (fm->flow.table_id != FLOW_TABLE_ALL)
        lo = hi = fm->flow.table_id;
    for (unsigned tid = lo; tid <= hi; tid++) {
        const struct ft_array *a = &t->tables[tid];

        for (size_t i = 0; i < a->n; i++) {
            if (!selected(&norm, a->v[i], strict))
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct ft_node **nv = realloc(v, ncap * sizeof(*nv));

                if (nv == NULL) {
                    free(v);
                    return -ENOMEM;
                }
                v = nv;
                cap = ncap;
            }
            v[n++] = a->v[i];
        }
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* Undo room and @n entry copies for a change of @n flows; -ENOMEM with
 * nothing taken. */
static int
copies_reserve(struct flow_table *t, struct ft_node *const *v, size_t n,
               struct flow_entry ***out)
{
    struct flow_entry **c = calloc(n + 1, sizeof(*c));

    if (c == NULL || undo_reserve(t, n) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        c[i] = entry_copy_new(t, v[i]);
        if (c[i] == NULL)
            goto fail;
    }
    *out = c;
    return 0;

fail:
    for (size_t i = 0; c != NULL && i < n; i++)
        free(c[i]);
    free(c);
    return -ENOMEM;
}

static int
table_modify(struct flow_table *t, const struct flow_mod *fm,
             const struct flow_match *match)
{
    struct flow_entry **copies = NULL;
    struct ft_node **v, **bigger;
    size_t n;
    int rc;

    rc = check_actions(&fm->flow, fm->flow.table_id);
    if (rc < 0)
        return rc;
    rc = select_flows(t, fm, match, &v, &n);
    if (rc < 0)
        return rc;
    /* with table=all, a goto_table must still go forward from every flow */
    for (size_t i = 0; i < n; i++)
        if (check_actions(&fm->flow, v[i]->e.flow.table_id) < 0) {
            free(v);
            return -EINVAL;
        }
    if (t->in_txn) {
        rc = copies_reserve(t, v, n, &copies);
        if (rc < 0) {
            free(v);
            return rc;
        }
    }
    /* bigger nodes for the flows whose node lacks room, before anything
     * changes */
    bigger = calloc(n + 1, sizeof(*bigger));
    for (size_t i = 0; bigger != NULL && i < n; i++)
        if (fm->flow.n_actions > v[i]->room
            && (bigger[i] = node_alloc(fm->flow.n_actions,
                                       v[i]->e.n_match_words)) == NULL) {
            for (size_t k = 0; k < i; k++)
                free(bigger[k]);
            free(bigger);
            bigger = NULL;
        }
    if (bigger == NULL) {
        for (size_t i = 0; copies != NULL && i < n; i++)
            free(copies[i]);
        free(copies);
        free(v);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        struct flow_entry *e;

        undo_changed(t, v[i], copies != NULL ? copies[i] : NULL);
        dl_note(t, &v[i]->e.flow);
        if (bigger[i] != NULL)
            v[i] = node_move(t, v[i], bigger[i]);
        e = &v[i]->e;

        /* OpenFlow 1.3: instructions change; cookie, timeouts stay */
        flow_entry_set_actions(e, fm->flow.actions, fm->flow.n_actions);
        if (fm->flags & FLOW_MOD_RESET_COUNTS) {
            e->n_packets = 0;
            e->n_bytes = 0;
        }
        notify(t, FLOW_CHANGE_MODIFIED, v[i], FLOW_REMOVED_NONE);
    }
    free(copies);           /* the copies belong to the undo records */
    free(bigger);
    free(v);
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

static int
table_delete(struct flow_table *t, const struct flow_mod *fm,
             const struct flow_match *match)
{
    struct ft_node **v;
    size_t n;
    int rc;

    rc = select_flows(t, fm, match, &v, &n);
    if (rc < 0)
        return rc;
    if (undo_reserve(t, n) < 0) {
        free(v);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        remove_node(t, v[i], FLOW_REMOVED_DELETE);
    free(v);
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* A loose delete that selects every flow of its table(s). */
static bool
deletes_all(const struct flow_mod *fm, const struct flow_match *match)
{
    struct flow_match any;

    flow_match_init_catchall(&any);
    return fm->cmd == FLOW_CMD_DELETE && fm->cookie_mask == 0
           && fm->out_port == FLOW_PORT_ANY
           && flow_match_identical(match, &any);
}

/*
 * Empty tables @lo..@hi in one pass: each node leaves the indexes, but
 * nobody hears of it one by one; the listener hears once
 * (FLOW_CHANGE_CLEARED) and drops what it holds for those tables whole.
 * In a transaction the table's array goes into one undo record (its
 * nodes with it), so the cost is the unlinking, and a rollback links them
 * back. delete_learned holders still count (dl_note): learned flows of a
 * table that was not cleared may go with them.
 */
static int
table_clear(struct flow_table *t, unsigned lo, unsigned hi)
{
    static const struct flow_entry zero;
    size_t n = 0, all = 0;
    bool whole;

    if (undo_reserve(t, hi - lo + 1) < 0)
        return -ENOMEM;
    /* every node leaving: the indexes go whole instead of a removal (a
     * cache miss or two) a node; a rollback links them back as it would
     * into indexes that shrank */
    for (unsigned tid = lo; tid <= hi; tid++)
        all += t->tables[tid].n;
    whole = all == t->count;
    if (whole) {
        snic_hmap_clear(&t->by_id);
        snic_hmap_clear(&t->by_rule);
    }
    for (unsigned tid = lo; tid <= hi; tid++) {
        struct ft_array *a = &t->tables[tid];

        if (a->n == 0)
            continue;
        for (size_t i = 0; i < a->n; i++) {
            struct ft_node *nd = a->v[i];

            dl_note(t, &nd->e.flow);
            if (!whole) {
                snic_hmap_remove(&t->by_id, &nd->id_node);
                snic_hmap_remove(&t->by_rule, &nd->rule_node);
            }
            timed_drop(t, nd);
        }
        t->removals += a->n;
        t->count -= a->n;
        n += a->n;
        if (t->in_txn) {
            t->undo[t->n_undo++] = (struct ft_undo){
                .kind = FT_UNDO_CLEARED, .id = tid, .cleared = *a };
            *a = (struct ft_array){ NULL, 0, 0 };
        } else {
            for (size_t i = 0; i < a->n; i++)
                free(a->v[i]);
            a->n = 0;
        }
    }
    if (n > 0 && t->fn != NULL) {
        struct flow_entry cleared = zero;   /* the listener reads its table */

        cleared.flow.table_id = (uint8_t)(lo == hi ? lo : FLOW_TABLE_ALL);
        t->fn(t->ctx, FLOW_CHANGE_CLEARED, &cleared, FLOW_REMOVED_DELETE);
    }
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

int
flow_table_apply(struct flow_table *t, const struct flow_mod *fm,
                 uint64_t now_ns)
{
    struct flow_match match;
    int rc;

    if (t == NULL || fm == NULL)
        return -EINVAL;
    /* an add normalises its own copy of the whole flow (table_add) */
    if (fm->cmd != FLOW_CMD_ADD) {
        match = fm->flow.match;
        flow_match_normalise(&match);
    }
    switch (fm->cmd) {
    case FLOW_CMD_ADD:
        rc = table_add(t, fm, now_ns);
        break;
    case FLOW_CMD_MODIFY:
    case FLOW_CMD_MODIFY_STRICT:
        rc = table_modify(t, fm, &match);
        break;
    case FLOW_CMD_DELETE:
    case FLOW_CMD_DELETE_STRICT:
        if (deletes_all(fm, &match))
            rc = fm->flow.table_id == FLOW_TABLE_ALL
                 ? table_clear(t, 0, FLOW_TABLE_MAX)
                 : table_clear(t, fm->flow.table_id, fm->flow.table_id);
        else
            rc = table_delete(t, fm, &match);
        break;
    default:
        return -EINVAL;
    }
    dl_flush(t);
    return rc;
}

/* ---- counters, timeouts ---- */

int
flow_table_set_stats(struct flow_table *t, uint64_t id, uint64_t n_packets,
                     uint64_t n_bytes, uint64_t now_ns)
{
    struct ft_node *n = find_id(t, id);

    if (n == NULL)
        return -ENOENT;
    if (n_packets != n->e.n_packets || n_bytes != n->e.n_bytes)
        n->e.used_ns = now_ns;
    n->e.n_packets = n_packets;
    n->e.n_bytes = n_bytes;
    return 0;
}

static uint64_t
deadline(const struct flow_entry *e, enum flow_removed_reason *why)
{
    uint64_t when = UINT64_MAX;

    if (e->flow.idle_timeout) {
        when = e->used_ns + e->flow.idle_timeout * NS_PER_SEC;
        *why = FLOW_REMOVED_IDLE_TIMEOUT;
    }
    if (e->flow.hard_timeout) {
        uint64_t hard = e->created_ns + e->flow.hard_timeout * NS_PER_SEC;

        /* when both are due, the hard one is the reason */
        if (hard <= when) {
            when = hard;
            *why = FLOW_REMOVED_HARD_TIMEOUT;
        }
    }
    return when;
}

size_t
flow_table_expire(struct flow_table *t, uint64_t now_ns, uint64_t *ids,
                  size_t max)
{
    struct ft_array *a = &t->timed;
    size_t removed = 0, i = 0;

    if (t->in_txn)
        return 0;           /* documented: not inside a transaction */
    while (i < a->n) {
        enum flow_removed_reason why = FLOW_REMOVED_NONE;

        if (deadline(&a->v[i]->e, &why) > now_ns) {
            i++;
            continue;
        }
        if (ids != NULL && removed < max)
            ids[removed] = a->v[i]->e.id;
        removed++;
        /* the last node moves into slot i: look at i again */
        remove_node(t, a->v[i], why);
    }
    dl_flush(t);
    return removed;
}

uint64_t
flow_table_next_expiry(const struct flow_table *t)
{
    const struct ft_array *a = &t->timed;
    uint64_t next = UINT64_MAX;

    for (size_t i = 0; i < a->n; i++) {
        enum flow_removed_reason why;
        uint64_t d = deadline(&a->v[i]->e, &why);

        if (d < next)
            next = d;
    }
    return next;
}

size_t
flow_table_count_timed(const struct flow_table *t)
{
    return t->timed.n;
}

size_t
flow_table_refresh_timed(struct flow_table *t, size_t *cursor, size_t max,
                         flow_counts_fn *fn, void *ctx, uint64_t now_ns)
{
    struct ft_array *a = &t->timed;
    size_t done = 0;

    while (*cursor < a->n && done < max) {
        struct flow_entry *e = &a->v[(*cursor)++]->e;
        uint64_t p = e->n_packets, b = e->n_bytes;

        fn(ctx, e, &p, &b);
        if (p != e->n_packets || b != e->n_bytes)
            e->used_ns = now_ns;
        e->n_packets = p;
        e->n_bytes = b;
        done++;
    }
    return done;
}

/* ---- queries ---- */

const struct flow_entry *
flow_table_find(const struct flow_table *t, uint64_t id)
{
    struct ft_node *n = find_id(t, id);

    return n ? &n->e : NULL;
}

void
flow_table_set_aux(struct flow_table *t, const struct flow_entry *e,
                   uint32_t aux)
{
    /* the entry is in one of t's nodes: the table's to write */
    struct ft_node *n = (struct ft_node *)(void *)((char *)(uintptr_t)e
                                                   - offsetof(struct ft_node,
                                                              e));

    (void)t;
    n->e.flow.aux = aux;
}

uint64_t
flow_table_removals(const struct flow_table *t)
{
    return t->removals;
}

size_t
flow_table_count(const struct flow_table *t, unsigned table_id)
{
    if (table_id == FLOW_TABLE_ALL)
        return t->count;
    if (table_id > FLOW_TABLE_MAX)
        return 0;
    return t->tables[table_id].n;
}

/* The walk's order as two integers, so sorting a million flows compares
 * what is in the array instead of following a pointer into each flow. */
struct walk_item {
    uint64_t tp;                /* table, then priority highest first */
    uint64_t id;
    const struct flow_entry *e;
};

static int
walk_order(const void *pa, const void *pb)
{
    const struct walk_item *a = pa, *b = pb;

    if (a->tp != b->tp)
        return a->tp < b->tp ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Runs in order that walk_sort() merges; a table of more goes to qsort. */
#define WALK_MAX_RUNS   64u

/* @v in walk_order. Flows are added in id order, often of one priority,
 * so a table is mostly a few runs already in order (a million flows, and
 * a few of a higher priority added after them: two): merging them takes
 * a pass or two where qsort took a third of a second. */
static void
walk_sort(struct walk_item *v, size_t n)
{
    size_t runs[WALK_MAX_RUNS + 1], k = 1;
    struct walk_item *tmp;

    runs[0] = 0;
    for (size_t i = 1; i < n; i++) {
        if (walk_order(&v[i - 1], &v[i]) <= 0)
            continue;
        if (k == WALK_MAX_RUNS) {
            qsort(v, n, sizeof(*v), walk_order);
            return;
        }
        runs[k++] = i;
    }
    if (k == 1)
        return;
    tmp = malloc(n * sizeof(*v));
    if (tmp == NULL) {
        qsort(v, n, sizeof(*v), walk_order);
        return;
    }
    runs[k] = n;
    while (k > 1) {
        size_t j = 0;

        /* runs 2r and 2r+1 into one; an odd last one stays as it is */
        for (size_t r = 0; r + 1 < k; r += 2) {
            size_t lo = runs[r], mid = runs[r + 1], hi = runs[r + 2];
            size_t a = lo, b = mid, w = lo;

            while (a < mid && b < hi)
                tmp[w++] = walk_order(&v[b], &v[a]) < 0 ? v[b++] : v[a++];
            while (a < mid)
                tmp[w++] = v[a++];
            while (b < hi)
                tmp[w++] = v[b++];
            memcpy(v + lo, tmp + lo, (hi - lo) * sizeof(*v));
            runs[j++] = lo;
        }
        if (k % 2 == 1)
            runs[j++] = runs[k - 1];
        runs[j] = n;
        k = j;
    }
    free(tmp);
}

int
flow_table_walk(const struct flow_table *t, unsigned table_id,
                flow_visit_fn *fn, void *ctx)
{
    unsigned lo = 0, hi = FLOW_TABLE_MAX;
    struct walk_item *v;
    size_t n = 0;
    int rc = 0;

    if (table_id != FLOW_TABLE_ALL) {
        if (table_id > FLOW_TABLE_MAX)
            return 0;
        lo = hi = table_id;
    }
    v = malloc((flow_table_count(t, table_id) + 1) * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    for (unsigned tid = lo; tid <= hi; tid++) {
        const struct ft_array *a = &t->tables[tid];
        size_t first = n;

        for (size_t i = 0; i < a->n; i++) {
            const struct flow_entry *e = &a->v[i]->e;

            v[n++] = (struct walk_item){
                .tp = (uint64_t)tid << 16 | (0xffffu - e->flow.priority),
                .id = e->id, .e = e };
        }
        walk_sort(v + first, n - first);
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(ctx, v[i].e);
    free(v);
    return rc;
}

static bool
entry_is_conjunction(const struct flow_entry *e)
{
    return flow_actions_are_conjunction(e->flow.actions, e->flow.n_actions);
}

/* The reference is for tests: the whole match, expanded each time. */
static bool
entry_matches(const struct flow_entry *e, const struct flow_key *key)
{
    struct flow_match m;

    flow_entry_match(e, &m);
    return flow_match_key(&m, key);
}

static bool
entry_better(const struct flow_entry *e, const struct flow_entry *best)
{
    return best == NULL || e->flow.priority > best->flow.priority
           || (e->flow.priority == best->flow.priority && e->id < best->id);
}

/*
 * Flows with identical matches form a list, best first, and a lookup sees
 * only the flow it has come to in each list: at first the best, which a
 * clause flow is no result of, and the lists of clause flows that fail to
 * make a conjunctive match move on to their next flow. This is Open
 * vSwitch's classifier, where such flows share one subtable slot.
 */

/* The next flow after @e (NULL: the best) in @e's list of identical
 * matches in @a, or NULL when there is none. */
static const struct flow_entry *
list_next(const struct ft_array *a, const struct flow_entry *m,
          const struct flow_entry *e)
{
    const struct flow_entry *best = NULL;

    for (size_t i = 0; i < a->n; i++) {
        const struct flow_entry *o = &a->v[i]->e;

        if (!flow_entry_same_match(o, m))
            continue;
        if (e != NULL && (o == e || entry_better(o, e)))
            continue;
        if (entry_better(o, best))
            best = o;
    }
    return best;
}

static bool
list_head(const struct ft_array *a, const struct flow_entry *e)
{
    return list_next(a, e, NULL) == e;
}

/* The best ordinary flow of @a matching @key among the heads of the
 * lists (a clause flow at the head hides the rest of its list). */
static const struct flow_entry *
lookup_plain(const struct ft_array *a, const struct flow_key *key,
             bool lists)
{
    const struct flow_entry *best = NULL;

    for (size_t i = 0; i < a->n; i++) {
        const struct flow_entry *e = &a->v[i]->e;

        if (!entry_is_conjunction(e) && entry_matches(e, key)
            && entry_better(e, best)
            && (!lists || list_head(a, e)))
            best = e;
    }
    return best;
}

/* Is (@id, @n) complete among the clause flows @soft[0..@n_soft) of one
 * priority? Open vSwitch counts no clause of a conjunction with more
 * clauses than there are flows. */
static bool
conj_complete(const struct flow_entry *const *soft, size_t n_soft,
              uint32_t id, unsigned n)
{
    if (n > n_soft)
        return false;
    for (unsigned k = 1; k <= n; k++) {
        bool have = false;

        for (size_t i = 0; i < n_soft && !have; i++)
            for (unsigned j = 0; j < soft[i]->flow.n_actions; j++)
                have |= soft[i]->flow.actions[j].type == FLOW_ACT_CONJUNCTION
                        && soft[i]->flow.actions[j].u.conj.id == id
                        && soft[i]->flow.actions[j].u.conj.clause == k
                        && soft[i]->flow.actions[j].u.conj.n_clauses == n;
        if (!have)
            return false;
    }
    return true;
}

/* The lowest complete id above @after (any id if @any) among
 * @soft[0..@n_soft), into *id. */
static bool
next_complete(const struct flow_entry *const *soft, size_t n_soft, bool any,
              uint32_t after, uint32_t *id)
{
    bool found = false;

    for (size_t i = 0; i < n_soft; i++) {
        for (unsigned j = 0; j < soft[i]->flow.n_actions; j++) {
            const struct flow_action *c = &soft[i]->flow.actions[j];

            if (c->type != FLOW_ACT_CONJUNCTION     /* a note */
                || (!any && c->u.conj.id <= after)
                || (found && c->u.conj.id >= *id))
                continue;
            if (conj_complete(soft, n_soft, c->u.conj.id,
                              c->u.conj.n_clauses)) {
                *id = c->u.conj.id;
                found = true;
            }
        }
    }
    return found;
}

/*
 * Written for clarity, not speed: the reference the software classifier's
 * conjunctive matches are tested against. Each step takes the clause
 * flows in view at the highest priority above the best ordinary flow;
 * their complete ids, from the lowest, are looked up again as conj_id
 * (the first flow found is the result); failing that, each of their lists
 * moves on to its next flow (an ordinary one may become the best).
 */
const struct flow_entry *
flow_table_lookup(const struct flow_table *t, unsigned table_id,
                  const struct flow_key *key)
{
    const struct flow_entry *hard, **soft, *res = NULL;
    const struct ft_array *a;
    size_t n_soft = 0;

    if (table_id > FLOW_TABLE_MAX)
        return NULL;
    a = &t->tables[table_id];
    /* without clause flows, a hidden flow loses to the one hiding it */
    for (size_t i = 0; i < a->n; i++)
        n_soft += entry_is_conjunction(&a->v[i]->e);
    hard = lookup_plain(a, key, n_soft > 0);
    if (n_soft == 0)
        return hard;
    soft = malloc(n_soft * sizeof(*soft));
    if (soft == NULL)
        return hard;    /* the reference is for tests: they have memory */
    n_soft = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct flow_entry *e = &a->v[i]->e;

        if (entry_is_conjunction(e) && entry_matches(e, key)
            && list_head(a, e))
            soft[n_soft++] = e;
    }
    for (;;) {
        size_t n_at = 0, n_keep = 0;
        int prio = -1;
        bool any = true;
        uint32_t id = 0;

        /* what the best ordinary flow beats is out of the running */
        for (size_t i = 0; i < n_soft; i++)
            if (hard == NULL || soft[i]->flow.priority > hard->flow.priority)
                soft[n_keep++] = soft[i];
        n_soft = n_keep;
        if (n_soft == 0)
            break;
        for (size_t i = 0; i < n_soft; i++)
            if (soft[i]->flow.priority > prio)
                prio = soft[i]->flow.priority;
        /* those at prio first */
        for (size_t i = 0; i < n_soft; i++) {
            if (soft[i]->flow.priority == prio) {
                const struct flow_entry *x = soft[n_at];

                soft[n_at++] = soft[i];
                soft[i] = x;
            }
        }
        while (next_complete(soft, n_at, any, id, &id)) {
            struct flow_key k = *key;

            k.meta.conj_id = id;
            res = lookup_plain(a, &k, true);
            if (res != NULL)
                goto out;
            any = false;
        }
        /* no match at prio: each list moves on */
        for (size_t i = 0; i < n_at; i++) {
            const struct flow_entry *nx = list_next(a, soft[i], soft[i]);

            if (nx != NULL && !entry_is_conjunction(nx)
                && entry_better(nx, hard))
                hard = nx;
            soft[i] = nx != NULL && entry_is_conjunction(nx) ? nx : NULL;
        }
        n_keep = 0;
        for (size_t i = 0; i < n_soft; i++)
            if (soft[i] != NULL)
                soft[n_keep++] = soft[i];
        n_soft = n_keep;
    }
    res = hard;
out:
    free(soft);
    return res;
}
