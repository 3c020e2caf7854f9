/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's private objects, shared by snicd_offload.c (the
 * public API, install/remove, counters, marks), snicd_offload_place.c (per
 * table: order, overlap, levels, shadowing) and snicd_shape.c (the validate
 * cache). Control thread only, like the public API.
 */
#ifndef SNICD_OFFLOAD_PRIV_H
#define SNICD_OFFLOAD_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_flow.h>

#include "snicd_offload.h"
#include "snicd_xlate.h"

#define SNICD_NUM_TABLES    (FLOW_TABLE_MAX + 1u)

/* One switch flow as the manager knows it. */
struct snicd_oflow {
    uint64_t id;
    struct flow flow;
    uint8_t where;              /* enum snicd_where, as installed now */
    bool changed;               /* actions differ from the installed rule */
    bool no_space;              /* sw because the device was full */
    bool create_failed;         /* sw after a create error that may pass */
    uint32_t level;             /* rte_flow priority of the rule */
    uint32_t mark;              /* 0: none */
    uint8_t mark_kind;          /* enum snicd_mark_kind */
    struct rte_flow *handle;    /* NULL: no rule */
    uint64_t seq;               /* creation order of the rule */
    uint32_t tidx;              /* index in its table's vector */
    /* hardware counters: totals of rules already destroyed, plus the last
     * reading of the current one */
    uint64_t acc_pkts, acc_bytes;
    uint64_t cur_pkts, cur_bytes;
    char reason[SNICD_REASON_SIZE];
};

struct snicd_otable {
    struct snicd_oflow **flows;
    uint32_t n, cap;
    bool dirty;
    bool has_no_space;          /* some flow is sw for lack of space */
    bool has_failed;            /* some flow waits for a create retry */
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

struct snicd_idmap {
    struct snicd_oflow **slots; /* NULL: empty; SNICD_IDMAP_TOMB: deleted */
    uint64_t cap, n, used;
};
#define SNICD_IDMAP_TOMB ((struct snicd_oflow *)(uintptr_t)1)

int snicd_idmap_init(struct snicd_idmap *m);
void snicd_idmap_fini(struct snicd_idmap *m);
struct snicd_oflow *snicd_idmap_find(const struct snicd_idmap *m, uint64_t id);
int snicd_idmap_put(struct snicd_idmap *m, struct snicd_oflow *f);
void snicd_idmap_del(struct snicd_idmap *m, uint64_t id);
/* Iterate: for (i = 0; (f = snicd_idmap_next(m, &i)) != NULL;) */
struct snicd_oflow *snicd_idmap_next(const struct snicd_idmap *m,
                                     uint64_t *pos);

/* ---- the manager (snicd_offload.c) ---- */

struct snicd_offload {
    struct snicd_offload_cfg cfg;
    struct snicd_port_info *ports;  /* our copy of cfg.ports */
    unsigned n_ports;
    uint32_t n_levels;
    char probe_reason[SNICD_REASON_SIZE];
    bool dead;                  /* the device stopped answering */
    char dead_reason[SNICD_REASON_SIZE];    /* "" : the default text */
    bool space_freed;           /* a rule went away since the last commit */
    struct snicd_idmap ids;
    struct snicd_otable tables[SNICD_NUM_TABLES];
    struct snicd_oflow **removed;   /* waiting for commit to drop rules */
    uint32_t n_removed, cap_removed;
    struct snicd_shape_cache *shapes;
    uint32_t *gone;             /* ofports that disappeared */
    unsigned n_gone, cap_gone;
    uint32_t next_mark;
    uint32_t *free_marks;
    uint32_t n_free, cap_free;
    bool marks_dirty;
    uint32_t n_marks;
    int ops;                    /* rule operations in this commit */
    uint64_t seq;               /* rules created, ever */
    struct snicd_offload_stats st;
    struct snicd_xlate *x;      /* scratch: too big for the stack */
    uint8_t shape[SNICD_XLATE_SHAPE_MAX];
};

/* ---- marks, rules, the device probe (snicd_offload_rule.c) ---- */

void snicd_offload_mark_settle(struct snicd_offload *o, struct snicd_oflow *f,
                               uint32_t m, uint8_t kind);
/* Hand the live marks to cfg.marks_changed if they changed. */
void snicd_offload_marks_publish(struct snicd_offload *o);
int snicd_offload_rule_count(struct snicd_offload *o, struct rte_flow *h,
                             uint64_t *pkts, uint64_t *bytes);
/* Drop @f's rule (if any), keeping what its counter said. */
void snicd_offload_rule_retire(struct snicd_offload *o, struct snicd_oflow *f);
bool snicd_offload_port_is_gone(const struct snicd_offload *o,
                                uint32_t ofport);
/* How many rte_flow priorities a transfer rule gets (o->n_levels). */
void snicd_offload_probe_levels(struct snicd_offload *o);

/* ---- per-table placement (snicd_offload_place.c) ---- */

/* What the placement pass asks of the manager for one flow that rules 1
 * and 2 allow in hardware at @level: install it (hw or partial) or keep it
 * in software with a reason. Returns the resulting where. */
struct snicd_offload;
enum snicd_where snicd_offload_try_hw(struct snicd_offload *o,
                                      struct snicd_oflow *f, uint32_t level);
/* Take @f out of hardware (if it is there) with @reason. */
void snicd_offload_to_sw(struct snicd_offload *o, struct snicd_oflow *f,
                         const char *reason, bool no_space);
/* Why @f may not be in hardware at all right now, or NULL. */
const char *snicd_offload_blocked(struct snicd_offload *o,
                                  const struct snicd_oflow *f,
                                  char *buf, size_t size);

/*
 * Re-place every flow of @t (rules 1 and 2 of docs/snicd.md) in the order
 * the software classifier sees them (priority, then id), with @n_levels
 * hardware levels. -ENOMEM leaves flows as they were.
 */
int snicd_place_table(struct snicd_offload *o, struct snicd_otable *t,
                      uint32_t n_levels);

#endif /* SNICD_OFFLOAD_PRIV_H */
