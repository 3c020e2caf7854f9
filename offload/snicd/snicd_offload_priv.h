/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's private objects, shared by snicd_offload.c (the
 * public API, commit, counters, resync), snicd_offload_place.c (per table:
 * order, levels, shadowing), snicd_offload_overlap.c (the overlap index),
 * snicd_offload_install.c (one flow into a rule), snicd_offload_tun.c
 * (guards, decap contexts), snicd_offload_fail.c (tables software can
 * drop a packet whole from), snicd_offload_regs.c (registers a packet can
 * carry into each table on the card, sealed tables),
 * snicd_offload_regjump.c (register writes across a jump, let through
 * and held back), snicd_offload_marks.c, snicd_offload_rule.c
 * (device operations) and snicd_shape.c (the validate cache). Control
 * thread only, like the public API.
 */
#ifndef SNICD_OFFLOAD_PRIV_H
#define SNICD_OFFLOAD_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_flow.h>

#include "snic_hmap.h"
#include "snicd_conj.h"
#include "snicd_offload.h"
#include "snicd_reason.h"
#include "snicd_util.h"
#include "snicd_xlate.h"

#define SNICD_NUM_TABLES    (FLOW_TABLE_MAX + 1u)
/* placement passes in one commit when a pass frees room flows wait for */
#define SNICD_PLACE_ROUNDS  4u

/* ---- the overlap index (snicd_offload_overlap.c) ---- */

struct snicd_oflow;
struct snicd_ov_tuple;
struct snicd_ov_bucket;
struct snicd_ovm;

/* A member's place in one sub of its tuple (snicd_ovm.ent[sub]), and the
 * head of a bucket: what a sub's map holds is either (@pos tells). */
struct snicd_ov_ent {
    struct snic_hmap_node node;     /* in the sub's map: masked value */
    union {
        struct snicd_ov_bucket *b;  /* a member in a bucket: that one */
        struct snicd_ovm *m;        /* alone: the member itself */
    };
    uint32_t pos;                   /* in b's members, or a mark
                                     * (snicd_offload_overlap.c) */
};

/* A flow's entry in one domain's index. */
struct snicd_ovm {
    struct snicd_oflow *f;
    struct snicd_ov_tuple *t;       /* NULL: not in the index */
    uint32_t tpos;                  /* in t's members */
    int32_t level;                  /* hardware level, -1 software */
    struct snicd_ov_ent *ent;       /* one per sub of t: @ent1 while t
                                     * has room for one sub (most tuples
                                     * have only their own) */
    /* no allocation of its own for the one: 48 bytes of heap a flow for
     * 32 (#13) */
    struct snicd_ov_ent ent1;
};

/* The flows of one table that one domain sees, by mask, kept up to date
 * across commits. */
struct snicd_ovx {
    struct snic_hmap tuples;
};

/* What rules 1 and 2 need of the overlapping flows before one. */
struct snicd_ov_agg {
    int32_t max_level;              /* deepest hardware level, -1 none */
    const struct snicd_oflow *sw;   /* the first in software, or NULL */
};

void snicd_ov_init(struct snicd_ovx *x);
/* Forget every member (their entries are reset). */
void snicd_ov_clear(struct snicd_ovx *x);
/* Put @m (m->f set) in the index at @level, or move it there. */
int snicd_ov_set(struct snicd_ovx *x, struct snicd_ovm *m, int32_t level);
void snicd_ov_del(struct snicd_ovx *x, struct snicd_ovm *m);
/* The overlapping members that come before @q in classifier order. */
int snicd_ov_query(struct snicd_ovx *x, const struct snicd_oflow *q,
                   struct snicd_ov_agg *a);
/* Call @fn for each member that overlaps @q and comes after it. */
int snicd_ov_later(struct snicd_ovx *x, const struct snicd_oflow *q,
                   void (*fn)(void *ctx, struct snicd_oflow *g), void *ctx);
/* @a before @b in the software classifier's order. */
bool snicd_ov_before(const struct snicd_oflow *a, const struct snicd_oflow *b);

/* Placement domains (snicd_offload_place.c): undecapsulated frames, and
 * the decap contexts' groups. */
#define SNICD_DOM_ROOT      0u
#define SNICD_DOM_TUN       1u

/* A switch flow's part in a conjunction of its table
 * (snicd_offload_conj.c). */
enum snicd_conj_role {
    SNICD_CONJ_NONE,
    SNICD_CONJ_CLAUSE,          /* clause of an offloaded conjunction */
    SNICD_CONJ_TARGET,          /* conj_id flow of an offloaded one */
    SNICD_CONJ_REFUSED,         /* clause or conj_id flow of one in
                                 * software */
};

/* Combination rules' ids: never a flow table's (those count up from 1). */
#define SNICD_CONJ_ID_BIT   (UINT64_C(1) << 63)

/* One switch flow as the manager knows it, or one combination rule of a
 * conjunction (snicd_oflow_conj_owner() != 0: in the id map and its
 * table's vector, so placement, counters and marks see it as a flow, but
 * not listed). Its flow is @entry's with @acts, @priority and
 * @table_id: read the actions with snicd_oflow_actions(), the whole flow
 * with snicd_oflow_flow() (on the caller's stack). */
struct snicd_oflow_rare;

struct snicd_oflow {
    /* Fields by size, largest first, so that no padding goes between
     * them (every byte here is paid a million times, #13). */
    uint64_t id;
    struct snic_hmap_node id_node;  /* in snicd_offload.ids */
    /* Its flow but the actions: the flow table's entry (its match never
     * changes; snicd_oflow_rebind() follows the node when it moves), or
     * an entry of its own for a combination (@own_entry). NULL once the
     * flow has left the table (on the removed list: nothing reads it). */
    const struct flow_entry *entry;
    /* The actions its rule was made with (@n_actions of them): @tail, or
     * an allocation of its own when a change did not fit there. A batch
     * changes the entry's actions before the manager hears of it
     * (snicd_core.c): these are what tells it what changed. */
    struct flow_action *acts;
    struct rte_flow *handle;    /* NULL: no rule */
    uint64_t seq;               /* creation order of the rule */
    /* its entry in the SNICD_DOM_ROOT index (the tunnel domain's is in
     * @rare: snicd_offload_place.c) */
    struct snicd_ovm ov_root;
    /* hardware counters: totals of rules already destroyed, plus the last
     * reading of the current one */
    uint64_t acc_pkts, acc_bytes;
    uint64_t cur_pkts, cur_bytes;
    /* why it is where it is: the pool's shared text (snicd_reason.h),
     * set with snicd_oflow_reason() / snicd_oflow_say() */
    const char *reason;
    /* what few flows have (conjunctions, NORMAL's conversations, a decap
     * context, the tunnel domain's entry): NULL until one needs it
     * (snicd_oflow_rare()), read through the accessors below */
    struct snicd_oflow_rare *rare;

    /* the commit whose batch refused it, and snicd_offload.drops then:
     * their low 32 bits (compared for equality with the current ones,
     * which only a flow refused 2^32 commits ago and untouched since
     * could meet by chance; it then waits one commit for its retry) */
    uint32_t refused_commit;
    uint32_t refused_drops;
    uint32_t level;             /* rte_flow priority of the rule */
    uint32_t mark;              /* 0: none */
    uint32_t tidx;              /* index in its table's vector */
    uint32_t qpos;              /* 1 + index in its table's queue, 0 none */

    uint16_t priority;          /* the flow's */
    /* as counted in snicd_offload.regs: the registers it writes before
     * jumping to table @wr_to, as a whole writer (@wr_whole) or a gated
     * one */
    uint16_t wr_regs;
    uint8_t wr_to;
    uint8_t table_id;
    uint8_t where;              /* enum snicd_where, as installed now */
    uint8_t mark_kind;          /* enum snicd_mark_kind */
    uint8_t conj_role;          /* enum snicd_conj_role */
    uint8_t n_actions;          /* of @acts */
    uint8_t tail_room;          /* actions @tail has room for */
    bool own_entry;             /* @entry is the record's (freed with it) */
    bool changed;               /* actions differ from the installed rule */
    bool no_space;              /* sw because the device was full */
    bool create_failed;         /* sw after a create error that may pass */
    bool listed;                /* in snicd_offload.ids: counted in n_where */
    bool queued;                /* its rule's create is on the flow queue */
    /* registers (snicd_offload_regs.c): a write before its jump held
     * back only by that (its rule is partial), or let through (its rule
     * is whole: the target is sealed); placed as matching nothing */
    bool reg_gated;
    bool reg_whole;
    bool reg_nothing;
    bool wr_whole;
    struct flow_action tail[];  /* its actions, when they fit */
};

/* The part of a record few flows need (#13: 52 bytes that most of a
 * million records held as zeros). Allocated by snicd_oflow_rare() the
 * first time a field must hold something else than its default, freed
 * with the record; its fields have the defaults the accessors give a
 * record without one. */
struct snicd_oflow_rare {
    /* conjunctions (snicd_offload_conj.c), with conj_role above */
    uint64_t conj_owner;        /* a combination: its conj_id flow's id */
    struct snicd_oflow *conj_next;  /* next combination of the owner */
    struct snicd_oflow *conj_combos;    /* a conj_id flow: its
                                         * combinations */
    struct snicd_dctx *dctx;    /* the decap context its rule is in */
    /* its entry in the SNICD_DOM_TUN index, made only for a flow that
     * can match a decapsulated frame (snicd_offload_place.c) */
    struct snicd_ovm *ov_tun;
    /* NORMAL's conversations (snicd_offload_conv.c): the level kept free
     * above its rule for them (-1: none), and how many rules it has */
    int32_t conv_level;
    uint32_t n_convs;
    uint32_t conj_num;          /* the conjunction of a member */
};

/* @f's rare part, made (zero, conv_level -1) if it has none; NULL with
 * errno ENOMEM. */
struct snicd_oflow_rare *snicd_oflow_rare(struct snicd_oflow *f);

static inline uint64_t
snicd_oflow_conj_owner(const struct snicd_oflow *f)
{
    return f->rare != NULL ? f->rare->conj_owner : 0;
}

static inline struct snicd_oflow *
snicd_oflow_conj_next(const struct snicd_oflow *f)
{
    return f->rare != NULL ? f->rare->conj_next : NULL;
}

static inline struct snicd_oflow *
snicd_oflow_conj_combos(const struct snicd_oflow *f)
{
    return f->rare != NULL ? f->rare->conj_combos : NULL;
}

static inline uint32_t
snicd_oflow_conj_num(const struct snicd_oflow *f)
{
    return f->rare != NULL ? f->rare->conj_num : 0;
}

static inline struct snicd_dctx *
snicd_oflow_dctx(const struct snicd_oflow *f)
{
    return f->rare != NULL ? f->rare->dctx : NULL;
}

static inline struct snicd_ovm *
snicd_oflow_ov_tun(const struct snicd_oflow *f)
{
    return f->rare != NULL ? f->rare->ov_tun : NULL;
}

static inline int32_t
snicd_oflow_conv_level(const struct snicd_oflow *f)
{
    return f->rare != NULL ? f->rare->conv_level : -1;
}

static inline uint32_t
snicd_oflow_n_convs(const struct snicd_oflow *f)
{
    return f->rare != NULL ? f->rare->n_convs : 0;
}

/* ---- the flow of a record (snicd_oflow.c) ---- */

/* A record for @e's flow (id, priority, table and actions; the rest
 * zero), which reads @e for the rest of its flow (@e must outlive it or
 * be rebound), / for @fl (id 0; an entry of its own), or NULL with
 * errno. */
struct snicd_oflow *snicd_oflow_new_entry(const struct flow_entry *e);
struct snicd_oflow *snicd_oflow_new_flow(const struct flow *fl);
/* @f's flow becomes @e's (its actions copied): 0, or -ENOMEM with @f
 * unchanged. */
int snicd_oflow_set_entry(struct snicd_oflow *f, const struct flow_entry *e);
/* @f's flow table entry is at @e now (the same flow, its node moved) /
 * has left the table (@e NULL). */
static inline void
snicd_oflow_rebind(struct snicd_oflow *f, const struct flow_entry *e)
{
    if (!f->own_entry)
        f->entry = e;
}
/* The actions' and the entry's own allocations and the tunnel domain's
 * entry, if any, go (before the record is freed; out of every index by
 * then). */
void snicd_oflow_release(struct snicd_oflow *f);
/* Bytes the record takes (for the tests and the benchmark's count). */
size_t snicd_oflow_bytes(const struct snicd_oflow *f);
/* @f's whole flow / match / match value / match mask. */
void snicd_oflow_flow(const struct snicd_oflow *f, struct flow *out);
void snicd_oflow_match(const struct snicd_oflow *f, struct flow_match *m);
void snicd_oflow_value(const struct snicd_oflow *f, struct flow_key *k);
void snicd_oflow_mask(const struct snicd_oflow *f, struct flow_key *k);
/* Is @f's match identical to @e's / are its actions @e's? */
bool snicd_oflow_match_is_entry(const struct snicd_oflow *f,
                                const struct flow_entry *e);
bool snicd_oflow_actions_are_entry(const struct snicd_oflow *f,
                                   const struct flow_entry *e);
/* Can one packet match both (flow_match_overlaps())? */
bool snicd_oflow_overlaps(const struct snicd_oflow *a,
                          const struct snicd_oflow *b);
bool snicd_oflow_overlaps_match(const struct snicd_oflow *f,
                                const struct flow_match *m);
/* The overlap index's hash of @f's value under @imask (a whole key),
 * read from the record's compact words: only the words of @imap, the
 * words where @imask is not zero. Flows whose values agree under @imask
 * hash the same. */
uint64_t snicd_oflow_masked_hash(const struct snicd_oflow *f, uint32_t imap,
                                 const struct flow_key *imask);
/* Do @a's and @b's values agree under @imask (@imap its words)? */
bool snicd_oflow_masked_eq(const struct snicd_oflow *a,
                           const struct snicd_oflow *b, uint32_t imap,
                           const struct flow_key *imask);
/* Does @f match every packet? */
bool snicd_oflow_catch_all(const struct snicd_oflow *f);
/* snicd_conj_member() of @f's flow: a clause or a conj_id flow. */
bool snicd_oflow_conj_member(const struct snicd_oflow *f);
/* Same flow as @fl (flow_equal())? */
bool snicd_oflow_equal(const struct snicd_oflow *f, const struct flow *fl);

static inline const struct flow_action *
snicd_oflow_actions(const struct snicd_oflow *f)
{
    return f->acts;
}

static inline unsigned
snicd_oflow_n_actions(const struct snicd_oflow *f)
{
    return f->n_actions;
}

/* snicd_xlate_jump() of @f's flow. */
static inline int
snicd_oflow_jump(const struct snicd_oflow *f)
{
    return snicd_xlate_jump_of(f->acts, f->n_actions, f->table_id);
}

struct snicd_otable {
    struct snicd_oflow **flows;
    uint32_t n, cap;
    bool dirty;                 /* every flow to be placed again */
    uint32_t n_no_space;        /* flows in sw for lack of space */
    uint32_t n_failed;          /* flows waiting for a create retry */
    /* as placed: the overlap index of each domain */
    struct snicd_ovx ov[2];
    /* flows to place again (added, changed, or an earlier overlapping
     * flow changed), a heap in classifier order */
    struct snicd_oflow **queue;
    uint32_t nq, capq;
    /* conjunctions: the flows that are clauses or conj_id flows, the
     * last derivation (snicd_conj_derive), and whether a change since
     * asks for another */
    uint32_t n_conj_flows;
    struct snicd_conj *conj;
    size_t n_conj;
    bool conj_dirty;
};

/* ---- validate cache by flow shape (snicd_shape.c) ---- */

struct snicd_shape_result {
    int rc;                     /* 0 accepted, else the negative errno */
    bool action;                /* the refusal named an action */
    char msg[SNICD_REASON_SIZE];
};

struct snicd_shape_cache;
struct snicd_shape_cache *snicd_shape_cache_create(void);
void snicd_shape_cache_destroy(struct snicd_shape_cache *c);
void snicd_shape_cache_clear(struct snicd_shape_cache *c);
const struct snicd_shape_result *
snicd_shape_lookup(const struct snicd_shape_cache *c, const uint8_t *key,
                   size_t len);
int snicd_shape_insert(struct snicd_shape_cache *c, const uint8_t *key,
                       size_t len, const struct snicd_shape_result *r);

/* ---- id -> flow map (snicd_offload_map.c) ---- */

/* @ids holds every flow the manager knows (id_node); iterate with
 * SNIC_HMAP_FOR_EACH(f, id_node, ids). An id is in it at most once: put
 * only a flow whose id find did not know. */
struct snicd_oflow *snicd_idmap_find(const struct snic_hmap *ids,
                                     uint64_t id);
void snicd_idmap_put(struct snic_hmap *ids, struct snicd_oflow *f);
void snicd_idmap_del(struct snic_hmap *ids, struct snicd_oflow *f);

/* ---- mark pools (snicd_offload_map.c) ---- */

/*
 * The numbers of one mark range (a flow's, or the decap contexts'). Marks
 * are handed out round the range: a released one comes back only after
 * the cursor has passed every other number and @quiet_ns have gone by,
 * since a frame the hardware marked with it may still wait in a receive
 * queue and must not be read with a new meaning. A bit per number says
 * "live or quiet"; the quiet ones wait in a FIFO in release order.
 */
struct snicd_mark_quiet {
    uint32_t mark;
    uint64_t since_ns;
};

struct snicd_mark_pool {
    uint32_t first, n;          /* marks first .. first + n - 1 */
    uint32_t cursor;            /* next offset to try */
    uint64_t *busy;             /* n bits: live or quiet */
    struct snicd_mark_quiet *quiet; /* FIFO: [head, head + n_quiet) */
    uint32_t head, n_quiet, cap_quiet;
    uint64_t quiet_ns;
};

int snicd_mark_pool_init(struct snicd_mark_pool *p, uint32_t first,
                         uint32_t last, uint64_t quiet_ns);
void snicd_mark_pool_fini(struct snicd_mark_pool *p);
/* A free mark, or 0 when every one is live or quiet. */
uint32_t snicd_mark_pool_get(struct snicd_mark_pool *p, uint64_t now_ns);
/* @mark's rule is gone: quiet from @now_ns on. */
void snicd_mark_pool_put(struct snicd_mark_pool *p, uint32_t mark,
                         uint64_t now_ns);

/* ---- tunnels: guards and decap contexts (snicd_offload_tun.c) ---- */

#define SNICD_MAX_TUNNELS   4u

/* One decap context (snicd_xlate.h): its pop rule, mark and group, shared
 * by the flows whose rules are in the group. */
struct snicd_dctx {
    struct snic_hmap_node node; /* in snicd_tunnels.ctxs, hash of key */
    struct snicd_xlate_decap key;   /* group: allocated with the context */
    uint32_t mark;              /* SNICD_MARK_DECAP */
    uint32_t refs;              /* flows with a rule in the group, + pins */
    struct rte_flow *pop;       /* NULL: not installed */
};

/* A released context's mark, still published with its meaning while it
 * is quiet (a frame the pop rule marked may still be queued). */
struct snicd_dctx_retired {
    struct snicd_mark m;
    uint64_t until_ns;
};

struct snicd_tunnels {
    enum snicd_guard_mode mode;
    char no_decap[SNICD_REASON_SIZE];   /* why mode is not JUMP */
    uint32_t guard_port[SNICD_MAX_TUNNELS]; /* tunnel ofports */
    struct rte_flow *guard[SNICD_MAX_TUNNELS];
    char guard_err[SNICD_REASON_SIZE];  /* last guard create failure */
    unsigned n_guards;
    bool refresh;               /* ports changed: rebuild every rule */
    struct snic_hmap ctxs;      /* the decap contexts, by key */
    uint32_t n_ctx, n_pops;
    uint32_t next_group;        /* fresh groups; then the free list */
    uint32_t *free_groups;
    uint32_t n_free, cap_free;
    struct snicd_dctx_retired *retired;
    uint32_t n_retired, cap_retired;
};

/* ---- the flow queue (snicd_offload_fq.c) ---- */

/* A create on the flow queue waiting for its result (its user_data): what
 * the flow had before, so the old rule goes only once the new one is
 * confirmed, and what to ask rte_flow_create again if it is refused. */
struct snicd_qop {
    struct snicd_qop *next;     /* free list */
    bool in_use;
    struct snicd_oflow *f;
    struct rte_flow *old;       /* the rule it replaces, or NULL */
    uint8_t old_where;
    uint8_t where;              /* SNICD_WHERE_HW or _PARTIAL */
    uint8_t kind;               /* its mark's kind */
    uint32_t level;
    uint32_t mark;
};

struct snicd_fq;
/* The flow queue of @port if snicd_offload_port_queues() configured one
 * there, else NULL. */
struct snicd_fq *snicd_fq_open(uint16_t port);
/* @destroy: the port is still there (templates and tables go too);
 * otherwise only our memory (the port's close took the rest). */
void snicd_fq_close(struct snicd_fq *q, bool destroy);
uint32_t snicd_fq_size(const struct snicd_fq *q);
/* The counters the queue's COUNT rules take (rte_flow_configure's
 * nb_counters). */
uint32_t snicd_fq_counters(const struct snicd_fq *q);
uint32_t snicd_fq_inflight(const struct snicd_fq *q);
bool snicd_fq_full(const struct snicd_fq *q);
/* Destroys enqueued and not pulled yet. */
uint32_t snicd_fq_destroys(const struct snicd_fq *q);
/* Every operation in flight is given up (their records put back by the
 * caller): nothing is in flight any more, and the queue must not be
 * pulled again, since what it still answers is theirs. */
void snicd_fq_forget(struct snicd_fq *q);
void snicd_fq_stats(const struct snicd_fq *q, uint32_t *tables,
                    uint64_t *pushes);
/* Records for creates: one per queue slot, so never short while the
 * queue has room. */
struct snicd_qop *snicd_fq_op_get(struct snicd_fq *q);
void snicd_fq_op_put(struct snicd_fq *q, struct snicd_qop *op);
/* The @i-th record (to walk those in use), NULL past the last. */
struct snicd_qop *snicd_fq_op_at(struct snicd_fq *q, uint32_t i);
/* Enqueue @x's create (postponed) with @op as its user data. NULL with
 * rte_errno: EAGAIN when the queue is full; *@no_table when the device
 * takes no template for the shape; else the device's refusal in @err
 * (the checks of rte_flow_validate). */
struct rte_flow *snicd_fq_create(struct snicd_fq *q,
                                 const struct snicd_xlate *x,
                                 struct snicd_qop *op, bool *no_table,
                                 struct rte_flow_error *err);
/* Enqueue @h's destroy (postponed, no user data). 0, -EAGAIN when full,
 * or the device's refusal. */
int snicd_fq_destroy(struct snicd_fq *q, struct rte_flow *h);
/* Push what was enqueued since the last push: the device starts on it. */
void snicd_fq_push(struct snicd_fq *q);
/* Push what was enqueued since the last push, then pull up to @room
 * results: *@ops the create's record (NULL: a destroy), *@ok its status.
 * The count, or a negative errno. */
int snicd_fq_pull(struct snicd_fq *q, struct snicd_qop **ops, bool *ok,
                  unsigned room);

/* ---- counters that moved (snicd_offload_counters.c) ---- */

/* A rule handle and the flow it was made for, sorted by handle. */
struct snicd_hidx {
    uintptr_t handle;
    uint64_t id;
};

struct snicd_moved {
    bool off;                   /* the port's PMD has no moved list */
    struct snicd_hidx *idx;     /* every flow's handle, by handle */
    size_t n_idx, cap_idx;
    uint64_t idx_sig;           /* rule churn when idx was built */
    uint64_t idx_built_ns;
    uint64_t churn_seen;        /* resyncs and losses at the last read */
    /* flows whose total changed with no counter moving (a retired rule's
     * last reading), reported by the next read; NULL after a failed
     * growth, and then every flow is */
    uint64_t *touched;
    size_t n_touched, cap_touched;
    bool touched_lost;
    /* rules of no flow that the moved list hands out all the same
     * (NORMAL's conversations: struct snicd_moved_other), by handle: a
     * handle found here is not looked for among the flows' */
    struct snic_hmap others;
    uint64_t calls, handed, unknown, rebuilds;  /* for the tests */
    uint64_t others_seen;                       /* for the tests */
};

/* A rule of no flow's whose counter the moved list reports (a NORMAL
 * conversation's, read by its owner): known by its handle, so that the
 * read neither takes it for a flow's nor rebuilds the handle index to
 * look for one. Embedded in the owner's record. */
struct snicd_moved_other {
    struct snic_hmap_node node;
    const struct rte_flow *handle;
};
void snicd_offload_moved_other_add(struct snicd_offload *o,
                                   struct snicd_moved_other *e,
                                   const struct rte_flow *h);
void snicd_offload_moved_other_del(struct snicd_offload *o,
                                   struct snicd_moved_other *e);

/* Read the hardware counts of the flows whose rules' counters moved, if
 * the PMD offers that (net_emunic: rte_pmd_emunic_flow_counts_moved), and
 * report those flows and the ones snicd_offload_moved_touch() named, or
 * every flow (*@all) after a resync or a device loss; the number of flows
 * reported, -ENOTSUP when the PMD cannot tell (the caller reads every
 * rule), -EIO when the device does not answer. */
int snicd_offload_read_moved(struct snicd_offload *o, snicd_hw_stats_fn *fn,
                             void *ctx, bool *all);
/* @f's total may have changed with no counter moving (its rule was
 * retired): the next read reports it. */
void snicd_offload_moved_touch(struct snicd_offload *o,
                               const struct snicd_oflow *f);
void snicd_offload_moved_fini(struct snicd_offload *o);

/* ---- tables software can drop a packet whole from
 * (snicd_offload_fail.c) ---- */

#define SNICD_FAIL_MAX_PATCH    32u

struct snicd_fail {
    uint32_t n_self[SNICD_NUM_TABLES];  /* flows that can fail a packet */
    /* the patch ports (OpenFlow numbers): an output that may reach one
     * takes the packet to table 0 again, as a resubmit does */
    uint32_t patch[SNICD_FAIL_MAX_PATCH];
    unsigned n_patch;
    /* [from][to]: flows of table from that jump to table to
     * (snicd_xlate_jump(): goto_table, or a last resubmit(,to)) */
    uint32_t n_goto[SNICD_NUM_TABLES][SNICD_NUM_TABLES];
    bool may[SNICD_NUM_TABLES];         /* as of the last settle */
    bool dirty;                         /* counts changed since */
};

/* Can @f fail a packet whole by itself (a resubmit other than its jump,
 * push_mpls, pop_mpls, decap, encap; with patch ports, an output that may
 * reach one)? */
bool snicd_fail_by_itself(const struct snicd_fail *fl,
                          const struct snicd_oflow *f);
/* The patch ports are now those of @ports: when they changed, every flow
 * of @o leaves the counts under the old ones and enters under the new. */
struct snicd_offload;
void snicd_fail_set_patches(struct snicd_offload *o,
                            const struct snicd_port_info *ports, unsigned n);
/* @f (its current actions) enters (@d = 1) or leaves (-1) the counts. */
void snicd_fail_count(struct snicd_fail *fl, const struct snicd_oflow *f,
                      int d);
/* Decide every table again after counts changed; the number of tables
 * whose answer flipped, each marked in @flipped. */
unsigned snicd_fail_settle(struct snicd_fail *fl,
                           bool flipped[SNICD_NUM_TABLES]);

/* Can software drop a packet whole from table @t on (as of the last
 * settle)? Inline: the install step reads it, and calls go forward. */
static inline bool
snicd_fail_may(const struct snicd_fail *fl, unsigned t)
{
    return t < SNICD_NUM_TABLES && fl->may[t];
}

/* ---- registers a packet can carry into each table on the card
 * (snicd_offload_regs.c) ---- */

struct snicd_regs {
    /* bit N: regN may be non-zero in hardware when a packet reaches
     * the table (as of the last settle) */
    uint16_t in[SNICD_NUM_TABLES];
    bool any_in;                /* some in[] is not 0 */
    /* [to][N]: flows with a rule that write regN before jumping to table
     * to, whole or held back only by that (gated) */
    uint32_t n_wr[SNICD_NUM_TABLES][FLOW_N_REGS];
    uint32_t n_writers;
    /* per table of the writer: its gated and its whole writers */
    uint32_t n_gated[SNICD_NUM_TABLES];
    uint32_t n_whole[SNICD_NUM_TABLES];
    /* tables a whole writer's packets can reach: placing a flow there
     * first makes those writers partial (snicd_regjump_touch()) */
    bool guard[SNICD_NUM_TABLES];
    bool dirty;                 /* counts or jumps changed since settle */
};

struct snicd_offload;
struct snicd_oflow;
/* Why @f takes no packet on the card (its match needs a register bit at
 * 1 that no hardware flow writes before its table), or NULL. */
const char *snicd_regs_nothing(const struct snicd_offload *o,
                               const struct snicd_oflow *f, char *buf,
                               size_t size);
/* The registers @f writes before its jump (bit N: regN), 0 without one. */
uint16_t snicd_regs_written(const struct flow *f);
/* @f's contribution to the counts as it is now (@in; false: it leaves,
 * removed). */
void snicd_regs_count(struct snicd_regs *rg, struct snicd_oflow *f, bool in);
/* Decide in[] again after counts or jumps changed; the number of tables
 * whose registers changed, each marked in @changed. */
unsigned snicd_regs_settle(struct snicd_offload *o,
                           bool changed[SNICD_NUM_TABLES]);
/* The tables a packet can reach in hardware from table @to on (@to
 * included), by the jumps of the flows there. */
void snicd_regs_closure(const struct snicd_offload *o, unsigned to,
                        bool reach[SNICD_NUM_TABLES]);
/* Can no packet reach software from table @to on: in each table of its
 * closure every flow is whole in hardware (or matches nothing there) and
 * a catch-all is? Else why not in @why. */
bool snicd_regs_sealed(const struct snicd_offload *o, unsigned to, char *why,
                       size_t size);

/* ---- the manager (snicd_offload.c) ---- */

/* NORMAL's conversations in hardware (snicd_offload_conv.c). */
struct snicd_convs {
    struct snic_hmap map;           /* struct snicd_conv, by key */
    struct snicd_conv *by_table[SNICD_NUM_TABLES];  /* by their flow's */
    /* every rule, the one whose counter moved longest ago first: idle
     * eviction takes from the front, a read that saw frames moves a rule
     * to the back, so neither walks the rules that are busy */
    struct snicd_conv *idle_head, *idle_tail;
    uint64_t created, destroyed;
    uint64_t evicted_idle, evicted_room;
    uint64_t switched_pkts;         /* frames the rules counted, ever */
    uint64_t refused_max;           /* past cfg.conv_max */
    uint64_t create_failures;
    /* The device refused a rule of a table's conversations for want of
     * room: until a rule of snicd's goes (o->drops moves) or a second
     * passes, that table's conversations are not asked of it
     * (refused_full counts them). Each refused one asks again once a
     * second (dp_conv.c), so a full card would otherwise take a failing
     * create a second per conversation. Kept per table: a card refuses
     * for one full table (emunic's max_rules_per_table) as well as for
     * the whole device, and one table's steady refusals must not keep
     * another table's conversations, which have room, off the card. */
    struct snicd_conv_full {
        uint64_t drops, until_ns;
    } full[SNICD_NUM_TABLES];
    uint64_t refused_full;
};

void snicd_convs_init(struct snicd_convs *cs);
/* Drop every conversation rule (before the flows go). */
void snicd_convs_fini(struct snicd_offload *o);
/* @f's rule goes (or is replaced): its conversations go first. */
void snicd_conv_drop_flow(struct snicd_offload *o, struct snicd_oflow *f);
/* Forget every conversation (a resync, a reset, the device gone): with
 * @read, their counters' last counts first go to their flows; @fn (if
 * not NULL) gets each rule's handle to free or to keep for later. */
typedef void snicd_conv_handle_fn(struct snicd_offload *o, struct rte_flow *h,
                                  void *ctx);
void snicd_convs_release(struct snicd_offload *o, bool read,
                         snicd_conv_handle_fn *fn, void *ctx);
/* A flow of @table with @priority comes or changes: the conversations of
 * the flows it may win over (same table, same or lower priority) go. */
void snicd_conv_drop_below(struct snicd_offload *o, unsigned table,
                           uint16_t priority);
/* The translation context of @f's rules (snicd_offload_install.c). */
void snicd_offload_xlate_ctx(const struct snicd_offload *o,
                             const struct snicd_oflow *f,
                             struct snicd_xlate_ctx *c, uint32_t level,
                             uint32_t mark, enum snicd_xlate_mode mode);
/* Its list is NORMAL alone: placement keeps a level for its
 * conversations (snicd_offload_place.c). */
bool snicd_conv_wants_level(const struct snicd_offload *o,
                            const struct snicd_oflow *f);

struct snicd_offload {
    struct snicd_offload_cfg cfg;
    struct snicd_convs convs;
    struct snicd_port_info *ports;  /* our copy of cfg.ports */
    unsigned n_ports;
    uint32_t n_levels;
    uint32_t n_tags;            /* TAG registers a rule may use (regN is
                                 * TAG index N): snicd_offload_probe_tags() */
    char probe_reason[SNICD_REASON_SIZE];
    bool dead;                  /* the device stopped answering */
    char dead_reason[SNICD_REASON_SIZE];    /* "" : the default text */
    /* between snicd_offload_commit_start() and _finish(): the placement's
     * result, for the second half */
    bool commit_open;
    int commit_ret;
    bool space_freed;           /* a rule went away since the last commit */
    /* flows waiting for room are tried again after this (ns), the wait
     * doubling while the device stays full: room can also come from
     * outside snicd (another application's rules going away) */
    uint64_t nospace_retry_ns;
    uint32_t nospace_backoff_s;
    struct snic_hmap ids;       /* every flow, by id */
    struct snicd_reasons reasons;   /* the flows' reasons, shared */
    /* the flows of ids by where they are (enum snicd_where): stats and a
     * resync's count without a walk of every flow, which at 100,000
     * flows costs more than the rest of the stats (a cache miss or two
     * a flow) */
    uint32_t n_where[3];
    struct snicd_otable tables[SNICD_NUM_TABLES];
    struct snicd_oflow **removed;   /* waiting for commit to drop rules */
    uint32_t n_removed, cap_removed;
    struct snicd_shape_cache *shapes;
    uint32_t *gone;             /* ofports that disappeared */
    unsigned n_gone, cap_gone;
    struct snicd_mark_pool flow_marks;  /* partial and resume */
    struct snicd_mark_pool decap_marks; /* decap contexts */
    bool marks_dirty;
    uint32_t n_marks;
    int ops;                    /* rule operations in this commit */
    uint64_t seq;               /* rules created, ever */
    struct snicd_tunnels tun;
    struct snicd_fail fail;     /* tables that can drop a packet whole */
    struct snicd_regs regs;     /* registers reaching each table in hw */
    uint32_t root_reserved;     /* group 0 levels above the flows (guard) */
    struct snicd_offload_stats st;
    struct snicd_moved moved;   /* counters that moved (_counters.c) */
    struct snicd_xlate *x;      /* scratch: too big for the stack */
    /* the flow queue of the proxy port, NULL: the sync API */
    struct snicd_fq *fq;
    bool fq_off;                /* this placement pass uses the sync API */
    bool fq_flushing;
    /* the next commit puts every flow of a clean table back where it was
     * (a resync that changed nothing placement depends on) */
    bool reinstall;
    /* handles of rules a firmware reset took, freed after the flows are
     * back (snicd_offload_reap); forgotten when the port goes, whose
     * close frees them */
    struct rte_flow **lost;
    uint32_t n_lost, cap_lost;
    uint64_t commits;           /* commits begun, ever */
    uint64_t drops;             /* rules dropped, ever (room freed) */
    uint32_t fq_refused;        /* flows refused in a batch, not yet
                                 * handed to the commit */
    bool fq_refused_table[SNICD_NUM_TABLES];
    struct snicd_xlate *fq_x;   /* scratch of a retry while @x is in use */
    uint8_t shape[SNICD_XLATE_SHAPE_MAX];
    uint64_t conj_seq;          /* combination rules made, ever */
};

/*
 * Who calls whom. The manager (snicd_offload.c) runs a commit: which
 * tables can drop a packet whole (snicd_offload_fail.c, counted as flows
 * come and go), the tunnel guards (snicd_offload_tun.c), then placement
 * of each dirty table
 * (snicd_offload_place.c), which asks the install step
 * (snicd_offload_install.c) to put each flow it allows at a level (and,
 * before a flow where a whole register writer's packets go, has
 * snicd_offload_regjump.c make that writer partial; the manager has it
 * let writers through after placement); the
 * install step translates (snicd_xlate*.c), asks the device operations
 * (snicd_offload_rule.c), takes decap contexts from the tunnels and marks
 * from snicd_offload_marks.c. Every call goes down that list; the leaves
 * (snicd_offload_map.c, snicd_offload_overlap.c, snicd_offload_fail.c,
 * snicd_offload_regs.c,
 * snicd_shape.c, snicd_xlate_build.c, snicd_util.h) call none of them.
 */

/* ---- the device operations (snicd_offload_rule.c) ---- */

int snicd_offload_rule_count(struct snicd_offload *o, struct rte_flow *h,
                             uint64_t *pkts, uint64_t *bytes);
/* How many rte_flow priorities a transfer rule gets (o->n_levels). */
void snicd_offload_probe_levels(struct snicd_offload *o);
/* How many TAG registers (index 0, 1, ...) a rule may match (o->n_tags). */
void snicd_offload_probe_tags(struct snicd_offload *o);
/* rte_flow_validate by shape (cached). NULL when the device is gone. */
const struct snicd_shape_result *
snicd_offload_validate(struct snicd_offload *o, const struct snicd_xlate *x);
/* At debug level, a rule the device took or refused (@verdict, @why or
 * NULL), logged as the testpmd command that asks the device the same
 * question without snicd in between. */
void snicd_offload_rule_trace(const struct snicd_offload *o,
                              const struct snicd_xlate *x,
                              const char *verdict, const char *why);
/* The device's message of @err, else strerror(@code). */
void snicd_offload_error_text(const struct rte_flow_error *err, int code,
                              char *buf, size_t size);

/* ---- marks (snicd_offload_marks.c) ---- */

/* A flow's mark (partial, resume) or a decap context's (@decap), from
 * its own range; 0 when the range has none free. */
uint32_t snicd_offload_mark_alloc(struct snicd_offload *o, bool decap);
/* Back to its range, quiet for a while (see struct snicd_mark_pool). */
void snicd_offload_mark_release(struct snicd_offload *o, uint32_t m);
void snicd_offload_mark_settle(struct snicd_offload *o, struct snicd_oflow *f,
                               uint32_t m, uint8_t kind);
/* Hand the live marks to cfg.marks_changed if they changed. 0, or
 * -ENOMEM (they stay to be published). */
int snicd_offload_marks_publish(struct snicd_offload *o);

/* ---- tunnels: the one interface to guards and decap contexts
 * (snicd_offload_tun.c) ---- */

/* Decide the guard mode and o->root_reserved (at create and resync). */
void snicd_tun_probe(struct snicd_offload *o);
/* Before placing: guards in place (table 0 re-placed when that changed),
 * rules of a dead device forgotten, a port map change applied. */
void snicd_tun_sync(struct snicd_offload *o);
/* The device lost every rule (resync): forget the guards' handles. Flows
 * release their contexts first. */
void snicd_tun_lost(struct snicd_offload *o);
void snicd_tun_fini(struct snicd_offload *o);
/* Why a flow of group 0 may not be in hardware because it could catch a
 * VXLAN frame for a local VTEP that no guard takes away first, or NULL. */
const char *snicd_tun_unguarded(struct snicd_offload *o,
                                const struct snicd_oflow *f, char *buf,
                                size_t size);
/* The decap context of @f (a flow with an exact in_port on a tunnel
 * port), created if needed, with one more reference: a pin the caller
 * hands over to the flow (f->dctx) or drops with snicd_tun_ctx_put. NULL
 * with the reason in @why (no exact tun_id, no hardware decap, no guard,
 * no mark or group free...). */
struct snicd_dctx *snicd_tun_ctx_get(struct snicd_offload *o,
                                     const struct snicd_oflow *f,
                                     char *why, size_t size);
/* @c's pop rule in place (its mark published first, by the caller). 0,
 * or a negative errno with the reason in @why (-ENOSPC: no room). */
int snicd_tun_ctx_pop(struct snicd_offload *o, struct snicd_dctx *c,
                      char *why, size_t size);
/* One reference less; the last one takes the pop rule, the group and the
 * mark (quiet for a while) with it. */
void snicd_tun_ctx_put(struct snicd_offload *o, struct snicd_dctx *c);
/* Drop @f's reference to its context (its rule is gone). */
void snicd_tun_release(struct snicd_offload *o, struct snicd_oflow *f);
/* Append the contexts' decap marks, and those of released contexts that
 * are still quiet; returns how many. */
unsigned snicd_tun_marks(struct snicd_offload *o, struct snicd_mark *marks,
                         unsigned room);
/* How many snicd_tun_marks may append. */
unsigned snicd_tun_n_marks(const struct snicd_offload *o);

/* ---- the install step (snicd_offload_install.c) ---- */

/* What the placement pass asks for one flow that rules 1 and 2 allow in
 * hardware at @level: install it (hw or partial) or keep it in software
 * with a reason. Returns the resulting where. */
enum snicd_where snicd_offload_try_hw(struct snicd_offload *o,
                                      struct snicd_oflow *f, uint32_t level);
/* The same for a flow of a tunnel port, in its decap context's group. */
enum snicd_where snicd_offload_try_decap(struct snicd_offload *o,
                                         struct snicd_oflow *f,
                                         uint32_t level);
/* Install @x as @f's rule (the old one goes after), or software with the
 * device's reason. Returns where @f is now. */
enum snicd_where snicd_offload_rule_install(struct snicd_offload *o,
                                            struct snicd_oflow *f,
                                            const struct snicd_xlate *x,
                                            uint32_t level,
                                            enum snicd_where where,
                                            uint32_t mark, uint8_t kind,
                                            const char *reason);
/* Drop @f's rule (if any), keeping what its counter said, and its
 * reference to a decap context. */
void snicd_offload_rule_retire(struct snicd_offload *o, struct snicd_oflow *f);
/* Take @f out of hardware (if it is there) with @reason. */
void snicd_offload_to_sw(struct snicd_offload *o, struct snicd_oflow *f,
                         const char *reason, bool no_space);
/* Wait for every operation on the flow queue: a create confirmed
 * destroys the rule it replaces; one the device refused is asked again
 * with rte_flow_create (the queue's result carries no reason), and if
 * that fails too, the flow goes to software with the device's reason and
 * its table is marked to be placed again. Returns how many flows went to
 * software so. */
int snicd_offload_queue_flush(struct snicd_offload *o);
/* Hand the device what was enqueued on the flow queue since the last
 * push, without waiting for it: the card starts on it. */
void snicd_offload_queue_push(struct snicd_offload *o);
/* The flow queue of cfg.proxy_port, if it has one (at create, and when
 * the device is back: @port_closed, the old queue's port is gone). */
void snicd_offload_queue_attach(struct snicd_offload *o, bool port_closed);
void snicd_offload_queue_detach(struct snicd_offload *o, bool port_closed);
/* Why @f may not be in hardware at all right now, or NULL. */
const char *snicd_offload_blocked(struct snicd_offload *o,
                                  const struct snicd_oflow *f,
                                  char *buf, size_t size);
bool snicd_offload_port_is_gone(const struct snicd_offload *o,
                                uint32_t ofport);
/* Does @fl's rule name @ofport's ethdev: an exact in_port, an output, or
 * a tunnel port (in or out) whose underlay @ofport is? A rule that does
 * must be made again when that port's ethdev changes or it comes back. */
bool snicd_offload_flow_touches(const struct snicd_offload *o,
                                const struct flow *fl, uint32_t ofport);

/* ---- conjunctions as combination rules (snicd_offload_conj.c) ---- */

/* Is @f a clause or a conj_id flow (whatever its conjunction's fate)? */
static inline bool
snicd_conj_member(const struct flow *f)
{
    return flow_is_conjunction(f) || snicd_conj_is_target(f);
}

/* @f (a switch flow) enters (@d = 1) or leaves (-1) table @t: a table
 * with conjunctions derives them again at the next commit. */
void snicd_conj_note(struct snicd_otable *t, const struct snicd_oflow *f,
                     int d);
/* At the start of a commit: every table whose conjunctions may have
 * changed derives them again; combination rules come (queued for
 * placement) and go (their counts kept by their conj_id flow), members
 * change role. */
void snicd_conj_sync(struct snicd_offload *o);
/* After placement: the members of offloaded conjunctions take their
 * combinations' place and say so; those of refused ones say why. */
void snicd_conj_report(struct snicd_offload *o);
/* What @f counted in hardware: its own rule's, or for a conj_id flow its
 * combinations' as well. */
void snicd_conj_totals(const struct snicd_oflow *f, uint64_t *pkts,
                       uint64_t *bytes);
void snicd_conj_fini(struct snicd_otable *t);

/* ---- per-table placement (snicd_offload_place.c) ---- */

/*
 * Re-place every flow of @t (rules 1 and 2 of docs/snicd.md) in the order
 * the software classifier sees them (priority, then id), with @n_levels
 * hardware levels, rebuilding the overlap indexes: the reference, and what
 * a dirty table gets. -ENOMEM leaves the table dirty.
 */
int snicd_place_table(struct snicd_offload *o, struct snicd_otable *t,
                      uint32_t n_levels);
/*
 * Place only the queued flows of @t, in classifier order, queueing the
 * later flows they overlap whenever a flow's place changed: the same
 * result as snicd_place_table() at the cost of what changed. -ENOMEM
 * makes the table dirty.
 */
int snicd_place_queued(struct snicd_offload *o, struct snicd_otable *t,
                       uint32_t n_levels);
/*
 * After a device reset that left everything placement depends on as it
 * was (levels, guards, ports): every flow of @t keeps its place and the
 * overlap indexes stay, so each flow that had a rule only gets it back at
 * its level. A flow the device does not take back any more changes what
 * the later flows may do: @t is then left dirty for a whole pass (the
 * flows already back are kept by it). 0, or -EIO when the device went.
 */
int snicd_place_reinstall(struct snicd_offload *o, struct snicd_otable *t);
/* @f is to be placed again at the next commit. */
int snicd_place_queue(struct snicd_otable *t, struct snicd_oflow *f);
/* @f at the end of @t's flows (its tidx set), not queued for placement:
 * -ENOMEM, or 0 */
int snicd_otable_append(struct snicd_otable *t, struct snicd_oflow *f);
/* @f leaves @t's indexes and queue (removed, or its match or priority
 * changes): the later flows it overlapped are queued. */
void snicd_place_forget(struct snicd_otable *t, struct snicd_oflow *f);
/* @f's flags leave its table's counts of waiting flows. */
void snicd_place_uncount(struct snicd_otable *t, const struct snicd_oflow *f);
/* Every flow of @t is leaving at once: its queue, overlap indexes and
 * counts are dropped whole (before the flows are freed: the index resets
 * their entries). */
void snicd_place_clear(struct snicd_otable *t);
void snicd_place_table_fini(struct snicd_otable *t);
/* The flows of every table with a goto_table to a table of @flipped
 * (snicd_fail_settle()) and an output, whose rule depends on it, are
 * queued to be placed again with a new rule. */
void snicd_place_goto_flipped(struct snicd_offload *o, const bool *flipped);
/* The flows of each table of @changed (snicd_regs_settle()) whose match
 * needs a register bit at 1 are queued to be placed again. */
void snicd_place_regs_flipped(struct snicd_offload *o, const bool *changed);

/* ---- register writes across a jump (snicd_offload_regjump.c) ---- */

/* A flow of table @t is about to be placed or its rule dropped: every
 * writer whose whole rule relies on @t being sealed is made partial
 * first (its own table's writers before it). Nothing when none does. */
void snicd_regjump_touch(struct snicd_offload *o, unsigned t);
/* @f's whole rule is replaced by its partial one now, with the sync API
 * (the writers that reach its table first). */
void snicd_regjump_hold(struct snicd_offload *o, struct snicd_oflow *f);
/* After placement settled: each gated writer whose target is sealed gets
 * its whole rule (the last tables first); the others say why not.
 * Returns how many tables want placing again. */
unsigned snicd_regjump_promote(struct snicd_offload *o);

/* Every change of a flow's place goes through here, so n_where holds. */
static inline void
snicd_oflow_where(struct snicd_offload *o, struct snicd_oflow *f,
                  enum snicd_where w)
{
    if (f->listed) {
        o->n_where[f->where]--;
        o->n_where[w]++;
    }
    f->where = (uint8_t)w;
}

/* @f's reason becomes @s (cut as snicd_say() cuts it); @s may be @f's
 * own reason. */
static inline void
snicd_oflow_reason(struct snicd_offload *o, struct snicd_oflow *f,
                   const char *s)
{
    const char *old = f->reason;

    f->reason = snicd_reason_get(&o->reasons, s);
    snicd_reason_put(&o->reasons, old);
}

static inline void __attribute__((format(printf, 3, 4)))
snicd_oflow_say(struct snicd_offload *o, struct snicd_oflow *f,
                const char *fmt, ...)
{
    char buf[SNICD_REASON_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    snicd_oflow_reason(o, f, buf);
}

/* @f's memory goes (it is in no index, table or list any more). */
static inline void
snicd_oflow_free(struct snicd_offload *o, struct snicd_oflow *f)
{
    snicd_reason_put(&o->reasons, f->reason);
    snicd_oflow_release(f);
    free(f);
}

#endif /* SNICD_OFFLOAD_PRIV_H */
