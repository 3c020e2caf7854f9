/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier writer's state for one (table, mask): its flows, their
 * groups of identical matches, and the two copies of its published
 * subtable. Private to dp_classifier.c (the staging and publishing) and
 * dp_cls_wsub.c (this state).
 *
 * Why two copies. A batch of k changes to a subtable of N flows must cost
 * O(k), not O(N), yet workers may never see a subtable change under them.
 * So each subtable has two copies that take turns: the one in the
 * published snapshot (pub), which nothing writes, and the one before it
 * (spare), which the writer owns again once the snapshots still holding
 * it are gone (a grace period later: its reference count is back to the
 * wsub's own). A publish brings the spare up to date by redoing, on it,
 * only the groups that changed since it was published (the keys of the
 * previous batch, lag, and of this one, chg), and publishes it; the old
 * pub becomes the spare. A key is a rule whose match names the group;
 * redoing it makes the group's slot hold what the truth says (the
 * group's best flow, or nothing), so redoing a key twice is harmless and
 * a publish that failed half-way can simply be tried again. Only a copy
 * too small or too large for the flows, or a spare still held by a
 * reader, is rebuilt whole: O(N) at doublings, amortised O(1) per flow.
 */
#ifndef SNIC_DP_CLS_WSUB_H
#define SNIC_DP_CLS_WSUB_H

#include "dp_cls_priv.h"
#include "snic_hmap.h"

struct wsub;

/* What a flow's actions mean for its table (struct ctable's scan). */
#define DP_WF_BACK      0x1u    /* resubmits to its own or an earlier table */
#define DP_WF_FAILS     0x2u    /* push_mpls, pop_mpls: can fail a packet */
#define DP_WF_META      0x4u    /* writes or reads the pipeline metadata */
#define DP_WF_CONJ      0x8u    /* a clause flow */

/* One a flow, a cache line each from the rules' pool (dp_rule_pool.c):
 * no allocator's header (#13). Its id is its rule's. */
struct wflow {
    struct dp_rule *rule;           /* holds one reference */
    struct wsub *sub;
    struct wflow *same;             /* next of its group, best first */
    struct snic_hmap_node node;     /* in dp_cls.flows, hash of id */
    struct snic_hmap_node gnode;    /* the group's best only: sub->groups */
    uint32_t idx;                   /* in sub->flows */
    uint8_t fan;                    /* lookups its actions start */
    uint8_t props;                  /* DP_WF_* */
    bool head;                      /* best of its group (in sub->groups) */
};

_Static_assert(sizeof(struct wflow) <= 64, "a writer's record is a line");

/* A priority some group's best flow has, and how many do. */
struct wprio {
    struct snic_hmap_node node;     /* in wsub.prios, hash of prio */
    uint32_t count;
    uint16_t prio;
};

struct wsub {
    uint8_t table;
    bool dirty;
    bool meta_mask;                 /* the mask covers pipeline metadata */
    struct flow_key mask;
    struct snic_hmap_node node;     /* in dp_cls.subs, mask hash */
    size_t tidx;                    /* index in its wtable */
    struct wflow **flows;
    size_t n, cap;
    /* The words the mask covers (lay.idx, lay.mask, lay.n_idx): hashing
     * a match exactly as a copy's probe does. No slots. */
    struct subtable lay;
    struct snic_hmap groups;        /* best flow of each group, by hash */
    struct snic_hmap prios;         /* struct wprio, of the groups' best */
    struct wprio *prio_free[2];     /* nodes kept for the next change */
    size_t n_head_conj;             /* groups whose best is a clause flow */
    bool conj_dirty;                /* a list of identical matches that
                                     * holds a clause flow changed since
                                     * its table's clause flows were
                                     * gathered */
    /* the flows' DP_WF_* counts and fan-outs */
    size_t n_back, n_fails, n_meta, n_conj;
    uint32_t fan_cnt[FLOW_MAX_ACTIONS + 1];
    /* copies */
    struct subtable *pub;           /* in the published snapshot, or NULL */
    struct subtable *next_pub;      /* being published */
    bool next_is_spare;             /* next_pub is the spare, brought up to
                                     * date (no reference of its own) */
    struct subtable *spare;         /* the previous pub, referenced by the
                                     * wsub; NULL: none */
    /* keys (rules holding a reference each) of the groups changed in the
     * last publish (the spare lacks them) and since */
    struct dp_rule **lag, **chg;
    size_t n_lag, n_chg, cap_lag, cap_chg;
};

/* A new empty wsub of (table, mask); NULL on ENOMEM. */
struct wsub *dp_wsub_new(unsigned table, const struct flow_key *mask);
/* Frees @s and everything it holds (its flows must be gone). Its copies
 * are unreferenced: the snapshots holding them keep them. */
void dp_wsub_free(struct wsub *s);

/* Room for one more flow and its keys, and for @wf to leave @from (NULL:
 * it is new). 0 or -ENOMEM, nothing changed. */
int dp_wsub_reserve(struct wsub *s, struct wsub *from);
/* Link @wf (rule set) into @s; cannot fail after dp_wsub_reserve(). */
void dp_wsub_link(struct wsub *s, struct wflow *wf);
/* Unlink @wf from its wsub; cannot fail after dp_wsub_reserve(). */
void dp_wsub_unlink(struct wflow *wf);

/* @wf's rule becomes @r, of the same group (match) and priority in the
 * same wsub: a change of the flow's actions, the usual modify. @props and
 * @fan are @r's (what wflow_props() says). @wf keeps its place; the
 * caller drops the old rule's reference after. */
void dp_wsub_replace(struct wflow *wf, struct dp_rule *r, uint8_t props,
                     uint8_t fan);

/* Append to @v (room for s->n_conj) the clause flows of @s a
 * conjunctive match can reach: each list of identical matches headed by
 * a clause flow, up to its first ordinary flow (that one is next of the
 * last). next_conj is left as the index of the next entry in @v for
 * now. No references taken. */
void dp_wsub_conj(const struct wsub *s, struct dp_conj *v, uint32_t *n);

/* Make s->next_pub the copy to publish: the spare brought up to date
 * (0), or a whole new copy (1). -ENOMEM: nothing published; try again
 * later. */
int dp_wsub_prepare(struct wsub *s, struct dp_qsbr *qsbr);
/* Undo dp_wsub_prepare() (its work on the spare may stay: redoing keys
 * is harmless). */
void dp_wsub_unprepare(struct wsub *s);
/* s->next_pub is published: it becomes pub, the old pub the spare. */
void dp_wsub_adopt(struct wsub *s);

/* Add what @s holds besides its flows' rules and records to @m
 * (index_bytes, pub_bytes, spare_bytes). */
void dp_wsub_mem(const struct wsub *s, struct dp_cls_mem *m);

/* Unreference a published subtable (frees it, and unreferences its
 * rules, when the last holder goes). */
void dp_subtable_unref(struct subtable *st);
void dp_rule_unref(const struct dp_rule *r);

#endif /* SNIC_DP_CLS_WSUB_H */
