/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operations on flow queues: rte_flow_async_create / async_destroy, push,
 * pull (the design is in emunic.h above struct emunic_aqueue).
 *
 * Enqueue does everything that needs no device: the rule's items and
 * actions are put together from the table's templates (a template's mask
 * and the rule's spec; a template action's conf when its mask has one,
 * else the rule's), translated by the walker rte_flow_validate runs, and
 * the RULE_ADD is kept in the operation. The handle is made and indexed at
 * once, owned by the queue (EMUNIC_FLOW_CREATING) until push executed it.
 *
 * Push, under the adapter lock like every use of the channel: the objects
 * a rule needs first (a pooled counter id; a JUMP target's table when the
 * card has none yet, or an RSS context: single commands, which drain the
 * channel first) and then every queued command posted into the channel,
 * the doorbell rung every 64 commands so the card starts while the rest
 * is posted, and once more at the end. Push does not wait: the card works
 * while the application prepares the next batch. Completions are reaped by
 * pull (or by whoever needs the channel next: a sync command or a counter
 * sweep drains it first, since each reaps only its own), each one the
 * result of its operation; pull then finishes the queue's operations in
 * order (handles linked or freed, counters back to the pool, RSS contexts
 * destroyed) and hands out the results.

 * A rule the card refuses inside a batch fails alone: its result is
 * RTE_FLOW_OP_ERROR, its handle is freed, the reason is logged (pull has no
 * room for it), and the other rules of the batch stand.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <ethdev_driver.h>
#include <rte_flow_driver.h>

#include "emunic.h"

/* commands posted between two doorbells within a push */
#define EMUNIC_ASYNC_RING_EVERY 64u

enum aop_kind {
    AOP_CREATE = 1,
    AOP_DESTROY,
};

enum aop_state {
    AOP_QUEUED = 0,
    AOP_POSTED,         /* in the channel */
    AOP_DONE,           /* the card answered, or nothing was to post */
};

struct emunic_aop {
    uint8_t kind;
    uint8_t state;
    uint8_t status;             /* the card's, once DONE */
    bool ok;                    /* the result pull reports */
    bool answered;              /* posted: its completion is the result */
    bool lost;                  /* a destroy of a rule a reset took */
    bool has_jump;
    bool pooled;                /* counter taken from the pool */
    bool adopted;               /* keep_rules: an orphan taken over */
    bool ctr_slot;              /* counted in ctr_pending: it takes a slot
                                 * of the counter cache when it finishes */
    int8_t count_idx;
    int8_t rss_idx;
    uint32_t synd;
    uint32_t gen;               /* adapter generation at push */
    uint32_t jump_group;
    uint32_t rss_ctx;
    struct rte_flow *flow;
    void *user_data;
    uint32_t in_size;
    union {
        struct fw_rule_add_out add;
        struct fw_out_hdr del;
    } out;
    struct fw_rss_ctx_create_in rss;
    union {
        struct fw_rule_add_in add;
        struct fw_rule_delete_in del;
    } in;
};

size_t
emunic_aop_size(void)
{
    return sizeof(struct emunic_aop);
}

static struct emunic_aqueue *
aqueue_get(struct rte_eth_dev *dev, uint32_t queue_id,
           struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;

    if (p->async == NULL) {
        emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_STATE, NULL,
                        "port %u: call rte_flow_configure first (the "
                        "template API needs its flow queues)",
                        dev->data->port_id);
        return NULL;
    }
    if (queue_id >= p->async->nb_queues) {
        emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                        "flow queue %u does not exist: port %u has %u",
                        queue_id, dev->data->port_id, p->async->nb_queues);
        return NULL;
    }
    return &p->async->q[queue_id];
}

/* A slot for one more operation, or EAGAIN: an operation keeps its slot
 * until rte_flow_pull reported it. */
static struct emunic_aop *
aqueue_slot(struct emunic_aqueue *q, struct rte_flow_error *error)
{
    struct emunic_aop *op;

    if (q->enq - q->pulled >= q->size) {
        emunic_flow_err(error, EAGAIN, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                        "flow queue %u is full (%u operations not pulled "
                        "yet): rte_flow_push and rte_flow_pull, then "
                        "enqueue again", q->id, q->size);
        return NULL;
    }
    op = &q->op[q->enq & q->mask];
    memset(op, 0, offsetof(struct emunic_aop, rss));
    return op;
}

/* The rule's pattern under the template's masks: same item types in the
 * same order, the rule's spec (and last), the template's mask. */
static int
merge_items(const struct rte_flow_pattern_template *pt,
            const struct rte_flow_item pattern[], struct rte_flow_item *out,
            struct rte_flow_error *error)
{
    uint32_t i;

    if (pattern == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM,
                               NULL, "the pattern is missing");
    for (i = 0; i < pt->n_items; i++) {
        const struct rte_flow_item *t = &pt->items[i];

        if (pattern[i].type != t->type)
            return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM,
                                   &pattern[i], "item %u is of type %d but "
                                   "the pattern template has type %d there: "
                                   "a rule lists the template's items in its "
                                   "order", i, (int)pattern[i].type,
                                   (int)t->type);
        out[i].type = t->type;
        /* a template item without a mask matches the header's presence */
        out[i].spec = t->mask != NULL ? pattern[i].spec : NULL;
        out[i].last = t->mask != NULL && pattern[i].spec != NULL ?
                      pattern[i].last : NULL;
        out[i].mask = t->mask;
    }
    if (pattern[i].type != RTE_FLOW_ITEM_TYPE_END)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM,
                               &pattern[i], "the pattern has more items than "
                               "its template (%u)", pt->n_items);
    out[i] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_END };
    return 0;
}

/* The rule's actions: the template's types; a conf from the template
 * where its mask has one (constant for the table), else the rule's. */
static int
merge_actions(const struct rte_flow_actions_template *at,
              const struct rte_flow_action actions[],
              struct rte_flow_action *out, struct rte_flow_error *error)
{
    uint32_t i;

    if (actions == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM,
                               NULL, "the action list is missing");
    for (i = 0; i < at->n_actions; i++) {
        if (actions[i].type != at->actions[i].type)
            return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                                   &actions[i], "action %u is of type %d but "
                                   "the actions template has type %d there",
                                   i, (int)actions[i].type,
                                   (int)at->actions[i].type);
        out[i].type = at->actions[i].type;
        out[i].conf = at->masks[i].conf != NULL ? at->actions[i].conf :
                      actions[i].conf;
    }
    if (actions[i].type != RTE_FLOW_ACTION_TYPE_END)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                               &actions[i], "the rule has more actions than "
                               "its template (%u)", at->n_actions);
    out[i] = (struct rte_flow_action){ .type = RTE_FLOW_ACTION_TYPE_END };
    return 0;
}

struct rte_flow *
emunic_flow_async_create(struct rte_eth_dev *dev, uint32_t queue_id,
                         const struct rte_flow_op_attr *op_attr,
                         struct rte_flow_template_table *table,
                         const struct rte_flow_item pattern[],
                         uint8_t pattern_template_index,
                         const struct rte_flow_action actions[],
                         uint8_t actions_template_index, void *user_data,
                         struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct rte_flow_item items[EMUNIC_TMPL_MAX_ITEMS + 1];
    struct rte_flow_action acts[EMUNIC_TMPL_MAX_ITEMS + 1];
    struct emunic_aqueue *q = aqueue_get(dev, queue_id, error);
    struct emunic_table *t;
    struct emunic_aop *op;
    struct rte_flow *flow;
    struct emunic_xlate x;

    if (q == NULL || (op = aqueue_slot(q, error)) == NULL)
        return NULL;
    /* Tables change only under the lock; the application does not destroy
     * a table it is still using (DPDK's rule), so the table read after the
     * lookup stays valid; a queue remembers the last one it checked. */
    flow = emunic_handle_new();
    if (flow == NULL) {
        emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_HANDLE, NULL,
                        "out of memory for the flow handle");
        return NULL;
    }
    /* the last table this queue used, while no table came or went */
    if ((const void *)table == (const void *)q->tcache && table != NULL &&
        __atomic_load_n(&p->async->tables_gen, __ATOMIC_ACQUIRE) ==
        q->tcache_gen) {
        t = q->tcache;
    } else {
        snic_mutex_lock(&p->ad->lock);
        t = emunic_table_lookup(p, table);
        q->tcache = t;
        q->tcache_gen = p->async->tables_gen;
        snic_mutex_unlock(&p->ad->lock);
    }
    if (t == NULL) {
        emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, table,
                        "not a template table of port %u",
                        dev->data->port_id);
        goto free_flow;
    }
    if (pattern_template_index >= t->n_ptmpl ||
        actions_template_index >= t->n_atmpl) {
        emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                        "template index %u/%u: the table has %u pattern and "
                        "%u actions templates", pattern_template_index,
                        actions_template_index, t->n_ptmpl, t->n_atmpl);
        goto free_flow;
    }
    if (merge_items(t->ptmpl[pattern_template_index], pattern, items,
                    error) < 0 ||
        merge_actions(t->atmpl[actions_template_index], actions, acts,
                      error) < 0)
        goto free_flow;
    /* exactly the checks and the messages of rte_flow_validate/create */
    if (emunic_flow_translate_dev(dev, &t->attr, items, acts, &x, error) < 0)
        goto free_flow;
    if (x.count_idx >= 0 && p->async->cpool.cap == 0) {
        emunic_flow_err(error, ENOSPC, RTE_FLOW_ERROR_TYPE_ACTION,
                        x.act_src[x.count_idx], "COUNT on a flow queue "
                        "takes a counter from the pool: give nb_counters "
                        "to rte_flow_configure");
        goto free_flow;
    }
    flow->astate = EMUNIC_FLOW_CREATING;
    flow->table = t;
    snic_mutex_lock(&p->ad->lock);
    if (emunic_flow_index_reserve(p, 1) < 0) {
        snic_mutex_unlock(&p->ad->lock);
        emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_HANDLE, NULL,
                        "out of memory for the port's flow index");
        goto free_flow;
    }
    TAILQ_INSERT_TAIL(&p->flows, flow, next);
    emunic_flow_index_add(p, flow);
    t->n_flows++;
    snic_mutex_unlock(&p->ad->lock);

    op->kind = AOP_CREATE;
    op->flow = flow;
    op->user_data = user_data;
    op->count_idx = (int8_t)x.count_idx;
    op->rss_idx = (int8_t)x.rss_idx;
    if (x.n_jumps > 0) {
        op->has_jump = true;
        op->jump_group = x.jump_group[0];
    }
    if (x.rss_idx >= 0)
        op->rss = x.rss;
    op->in_size = emunic_rule_in_size(&x.rule);
    memcpy(&op->in.add, &x.rule, op->in_size);
    q->enq++;
    if (op_attr == NULL || !op_attr->postpone)
        (void)emunic_flow_push(dev, queue_id, NULL);
    return flow;

free_flow:
    emunic_handle_free(flow);
    return NULL;
}

int
emunic_flow_async_destroy(struct rte_eth_dev *dev, uint32_t queue_id,
                          const struct rte_flow_op_attr *op_attr,
                          struct rte_flow *flow, void *user_data,
                          struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_aqueue *q = aqueue_get(dev, queue_id, error);
    struct emunic_aop *op;

    if (q == NULL)
        return -EINVAL;
    op = aqueue_slot(q, error);
    if (op == NULL)
        return -EAGAIN;
    snic_mutex_lock(&p->ad->lock);
    if (flow == NULL || emunic_flow_index_reserve(p, 0) < 0 ||
        !emunic_flow_index_has(p, flow)) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, flow,
                               "not a live flow of port %u: destroyed "
                               "already, created on another port, or not "
                               "a flow handle", dev->data->port_id);
    }
    if (flow->astate != EMUNIC_FLOW_LIVE) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EBUSY, RTE_FLOW_ERROR_TYPE_HANDLE, flow,
                               "the flow's %s is still on a flow queue: "
                               "rte_flow_push and rte_flow_pull it first",
                               flow->astate == EMUNIC_FLOW_CREATING ?
                               "creation" : "destruction");
    }
    flow->astate = EMUNIC_FLOW_DESTROYING;
    snic_mutex_unlock(&p->ad->lock);
    op->kind = AOP_DESTROY;
    op->flow = flow;
    op->user_data = user_data;
    q->enq++;
    if (op_attr == NULL || !op_attr->postpone)
        return emunic_flow_push(dev, queue_id, error);
    return 0;
}

/* ------------------------------------------------------------------------
 * push and pull
 * ------------------------------------------------------------------------ */

/* Reap whatever has completed (with @wait, at least one completion, or
 * until the channel is empty with @all). Each completion's cookie is its
 * operation: outside a sync command or a counter sweep, which drain the
 * channel first and reap their own, only flow queue commands are in it. */
static int
aop_reap_locked(struct emunic_adapter *ad, bool wait, bool all)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_completion c[64];
    int n;

    do {
        n = fw_chan_reap(ad->chan, c, RTE_DIM(c),
                         wait || all ? EMUNIC_CMD_TIMEOUT_MS : 0);
        if (n < 0) {
            emunic_adapter_fail_locked(ad, n);
            return n;
        }
        for (int i = 0; i < n; i++) {
            struct emunic_aop *op = c[i].cookie;

            op->state = AOP_DONE;
            op->status = c[i].status;
            op->synd = c[i].syndrome;
        }
    } while (all && fw_chan_inflight(ad->chan) > 0);
    return 0;
}

void
emunic_async_drain_locked(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    if (emunic_adapter_alive(ad) && fw_chan_inflight(ad->chan) > 0)
        (void)aop_reap_locked(ad, true, true);
}

static bool
group_known(const struct emunic_adapter *ad, uint32_t group)
{
    if (group == 0)
        return true;
    for (uint32_t i = 0; i < ad->n_groups; i++)
        if (ad->groups[i] == group)
            return true;
    return false;
}

/* What a create needs before its RULE_ADD. A synchronous command (a JUMP
 * target's table, an RSS context) drains the channel first. false: the
 * operation failed here. */
static bool
aop_prepare_locked(struct emunic_port *p, struct emunic_aop *op)
    SNIC_REQUIRES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;
    struct emunic_async *as = p->async;
    struct emunic_cpool *cp = &as->cpool;
    uint8_t status = 0;
    uint32_t synd = 0;

    snic_mutex_held(&ad->lock);         /* it is p->ad->lock */
    if (op->has_jump && !group_known(ad, op->jump_group) &&
        emunic_flow_group_get_locked(ad, op->jump_group, NULL, NULL) < 0) {
        EMUNIC_LOG(ERR, "%s: flow queue rule: cannot create the device "
                   "table for JUMP target group %u", ad->name,
                   op->jump_group);
        return false;
    }
    if (op->count_idx >= 0) {
        if (!emunic_cpool_take(
                cp, &op->in.add.actions[op->count_idx].u.count.counter_id)) {
            uint32_t quiet;

            if (emunic_log_limit_pass(&as->log_no_counter, &quiet))
                EMUNIC_LOG(ERR, "%s: flow queue rule with COUNT: the pool "
                           "of %u counters (rte_flow_configure's "
                           "nb_counters) is used up (%u more such rules "
                           "refused since the last message)", ad->name,
                           cp->cap, quiet);
            return false;
        }
        op->pooled = true;
        op->ctr_slot = true;
        as->ctr_pending++;
    }
    if (op->rss_idx >= 0) {
        if (emunic_rss_ctx_create_locked(ad, &op->rss, &op->rss_ctx, &status,
                                         &synd) < 0) {
            char sbuf[96];

            EMUNIC_LOG(ERR, "%s: flow queue rule with RSS: the card did not "
                       "take the hash configuration: %s (%s)", ad->name,
                       fw_status_str(status),
                       fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
            op->rss_ctx = 0;
            return false;
        }
        op->in.add.actions[op->rss_idx].u.rss.ctx_id = op->rss_ctx;
    }
    return true;
}

/* Post one command; a full channel rings the doorbell and reaps to make
 * room (the card works on the ring while the driver refills it). */
static int
aop_post_locked(struct emunic_adapter *ad, struct emunic_aop *op,
                uint16_t opcode, void *in, size_t in_size, void *out,
                size_t out_size)
    SNIC_REQUIRES(ad->lock)
{
    int ret;

    for (;;) {
        ret = fw_chan_post(ad->chan, opcode, in, in_size, out, out_size, op);
        if (ret != -ENOSPC)
            break;
        ret = fw_chan_doorbell(ad->chan);
        if (ret < 0)
            break;
        ret = aop_reap_locked(ad, true, false);
        if (ret < 0)
            break;
    }
    if (ret < 0) {
        emunic_adapter_fail_locked(ad, ret);
        return ret;
    }
    op->state = AOP_POSTED;
    return 0;
}

bool
emunic_log_limit_pass(struct emunic_log_limit *l, uint32_t *quiet)
{
    uint64_t now = rte_get_timer_cycles();

    if (now < l->next) {
        l->quiet++;
        return false;
    }
    *quiet = l->quiet;
    l->quiet = 0;
    l->next = now + rte_get_timer_hz();
    return true;
}

static void
aop_log_refusal(struct emunic_port *p, const struct emunic_aop *op)
    SNIC_REQUIRES(p->ad->lock)
{
    char sbuf[96];
    uint32_t quiet;

    if (!emunic_log_limit_pass(&p->async->log_refused, &quiet))
        return;
    fw_syndrome_str(op->synd, sbuf, sizeof(sbuf));
    if (FW_SYND_REASON(op->synd) == FW_SYND_CAPACITY)
        EMUNIC_LOG(ERR, "%s: port %u: flow queue rule not created: device is "
                   "full (%s; %u more refusals since the last message)",
                   p->ad->name, p->port_id, sbuf, quiet);
    else
        EMUNIC_LOG(ERR, "%s: port %u: flow queue %s refused by the device: "
                   "%s (%s; %u more refusals since the last message)",
                   p->ad->name, p->port_id,
                   op->kind == AOP_CREATE ? "rule" : "rule deletion",
                   fw_status_str(op->status), sbuf, quiet);
}

/* Finish a DONE operation (ad->lock held): handles linked or freed,
 * counters back to the pool. @raced: a firmware reset happened since the
 * operation was posted, so a create of it cannot be trusted. */
static void
aop_finish_locked(struct emunic_port *p, struct emunic_aop *op, bool raced)
    SNIC_REQUIRES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;
    struct emunic_async *as = p->async;
    struct emunic_cpool *cp = &as->cpool;
    struct rte_flow *flow = op->flow;

    snic_mutex_held(&ad->lock);         /* it is p->ad->lock */
    if (op->ctr_slot)
        as->ctr_pending--;
    if (op->kind == AOP_DESTROY) {
        /* BAD_RESOURCE: the card no longer has it; that is the goal */
        if (op->answered && (op->status == FW_STATUS_OK ||
                             op->status == FW_STATUS_BAD_RESOURCE)) {
            emunic_flow_release_locked(p, flow, !raced && !op->lost);
            op->ok = true;
        } else {
            if (op->answered)
                aop_log_refusal(p, op);
            flow->astate = EMUNIC_FLOW_LIVE;
        }
        op->flow = NULL;
        return;
    }
    if (op->adopted) {
        /* rule id, counter and generation are the orphan's already */
        if (raced) {
            /* the reset took the rule: the handle goes, nothing else */
            flow->has_counter = false;
            emunic_flow_release_locked(p, flow, false);
        } else {
            if (flow->has_counter)
                emunic_ctr_add(ad, flow);
            flow->astate = EMUNIC_FLOW_LIVE;
            op->ok = true;
        }
        op->flow = NULL;
        return;
    }
    if (op->answered && op->status == FW_STATUS_OK && !raced) {
        flow->rule_id = op->out.add.rule_id;
        flow->rss_ctx = op->rss_ctx;
        flow->generation = op->gen;
        if (op->pooled) {
            flow->has_counter = true;
            flow->ctr_pooled = true;
            flow->counter_id =
                op->in.add.actions[op->count_idx].u.count.counter_id;
            emunic_ctr_add(ad, flow);
        }
        flow->astate = EMUNIC_FLOW_LIVE;
        op->ok = true;
        op->flow = NULL;
        return;
    }
    if (op->answered && op->status == FW_STATUS_OK) {
        /* a reset raced the operation: the card may hold the rule (reset
         * first) or not; only we add rules here, so the id names nothing
         * else */
        struct fw_rule_delete_in in = { .rule_id = op->out.add.rule_id };
        struct fw_out_hdr out;
        uint8_t status;
        uint32_t synd;

        if (emunic_adapter_alive(ad))
            (void)emunic_adapter_exec_locked(ad, FW_CMD_RULE_DELETE, &in,
                                             sizeof(in), &out, sizeof(out),
                                             &status, &synd);
        EMUNIC_LOG(ERR, "%s: port %u: a firmware reset raced a flow queue "
                   "rule: it is not created", ad->name, p->port_id);
    } else if (op->answered) {
        aop_log_refusal(p, op);
    }
    /* never used by a rule: still zero, free for the next one */
    if (op->pooled && !raced && op->gen == cp->generation)
        emunic_cpool_give(cp,
                          op->in.add.actions[op->count_idx].u.count.counter_id);
    if (op->rss_ctx != 0 && !raced && emunic_adapter_alive(ad))
        emunic_rss_ctx_destroy_locked(ad, op->rss_ctx);
    emunic_flow_release_locked(p, flow, false);
    op->flow = NULL;
}

int
emunic_flow_push(struct rte_eth_dev *dev, uint32_t queue_id,
                 struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_aqueue *q = aqueue_get(dev, queue_id, error);
    struct emunic_adapter *ad = p->ad;
    struct emunic_async *as = p->async;
    uint32_t gen, n_count = 0, unrung = 0;
    bool dead = false, ctr_ok = true;

    if (q == NULL)
        return -EINVAL;
    if (q->pushed == q->enq)
        return 0;
    /* a reset not noticed yet would leave the table cache stale */
    emunic_adapter_check(ad);
    snic_mutex_lock(&ad->lock);
    snic_mutex_held(&p->ad->lock);      /* the same lock */
    emunic_adapter_sync_locked(ad);
    gen = ad->generation;
    for (uint32_t i = q->pushed; i != q->enq; i++) {
        const struct emunic_aop *op = &q->op[i & q->mask];

        if (op->kind == AOP_CREATE && op->count_idx >= 0)
            n_count++;
    }
    if (!emunic_adapter_alive(ad)) {
        dead = true;
    } else if (n_count > 0) {
        /* clearing dirty counters is a batch of its own: drain first */
        if (as->cpool.n_dirty > 0 || as->cpool.generation != gen)
            emunic_async_drain_locked(ad);
        if (emunic_cpool_refill_locked(p) < 0 ||
            emunic_ctr_reserve(ad, as->ctr_pending + n_count) < 0)
            ctr_ok = false;
        dead = !emunic_adapter_alive(ad);
    }
    for (uint32_t i = q->pushed; i != q->enq; i++) {
        struct emunic_aop *op = &q->op[i & q->mask];
        int ret;

        op->gen = gen;
        /* what is not posted is done now, as a failure (or a no-op) */
        op->state = AOP_DONE;
        if (dead)
            continue;
        if (op->kind == AOP_CREATE) {
            if (op->count_idx >= 0 && !ctr_ok) {
                /* no clean counter or no room in the counter cache: the
                 * rule fails, nothing overflows */
                EMUNIC_LOG(ERR, "%s: flow queue rule with COUNT: no clean "
                           "counter or no memory for the counter cache",
                           ad->name);
                continue;
            }
            /* keep_rules: the earlier driver's identical rule is taken
             * over, nothing is posted (emunic_adopt.c) */
            if (emunic_orphan_adopt_locked(p, &op->in.add, op->count_idx,
                                           op->flow)) {
                op->adopted = true;
                /* its slot in the counter cache comes at its finish,
                 * after other pushes may have reserved theirs */
                if (op->flow->has_counter) {
                    op->ctr_slot = true;
                    as->ctr_pending++;
                }
                op->answered = true;
                op->status = FW_STATUS_OK;
                continue;
            }
            if (!aop_prepare_locked(p, op)) {
                dead = !emunic_adapter_alive(ad);
                continue;
            }
            ret = aop_post_locked(ad, op, FW_CMD_RULE_ADD, &op->in.add,
                                  op->in_size, &op->out.add,
                                  sizeof(op->out.add));
        } else if (op->flow->generation != gen) {
            /* lost in a reset: nothing of it is on the card */
            op->answered = true;
            op->lost = true;
            op->status = FW_STATUS_OK;
            continue;
        } else {
            /* the slot may hold an older RULE_ADD: reserved bytes zero */
            memset(&op->in.del, 0, sizeof(op->in.del));
            op->in.del.rule_id = op->flow->rule_id;
            ret = aop_post_locked(ad, op, FW_CMD_RULE_DELETE, &op->in.del,
                                  sizeof(op->in.del), &op->out.del,
                                  sizeof(op->out.del));
        }
        if (ret < 0) {
            dead = true;
            continue;
        }
        op->answered = true;    /* once DONE by its completion */
        /* let the card start while the rest is posted: a doorbell is a
         * store and an eventfd write, the card's own loop is busy anyway */
        if (++unrung == EMUNIC_ASYNC_RING_EVERY) {
            if (fw_chan_doorbell(ad->chan) < 0)
                dead = true;
            unrung = 0;
        }
    }
    if (!dead && unrung > 0 && fw_chan_doorbell(ad->chan) < 0)
        dead = true;
    if (dead)
        emunic_adapter_fail_locked(ad, -EPIPE);
    q->pushed = q->enq;
    snic_mutex_unlock(&ad->lock);
    emunic_adapter_check(ad);
    if (dead)
        return emunic_flow_dead(ad, error);
    return 0;
}

/* Finish the queue's operations in order while they are done; with @wait,
 * wait for the oldest one the card has not answered yet. ad->lock held. */
static void
aqueue_complete_locked(struct emunic_port *p, struct emunic_aqueue *q,
                       bool wait)
    SNIC_REQUIRES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;

    snic_mutex_held(&ad->lock);         /* it is p->ad->lock */
    if (q->done == q->pushed)
        return;
    if (emunic_adapter_alive(ad) && fw_chan_inflight(ad->chan) > 0)
        (void)aop_reap_locked(ad, false, false);
    if (wait && q->op[q->done & q->mask].state == AOP_POSTED &&
        emunic_adapter_alive(ad)) {
        /* an operation POSTED is in the channel until reaped; the
         * inflight test only guards against spinning on a broken count */
        while (q->op[q->done & q->mask].state == AOP_POSTED &&
               fw_chan_inflight(ad->chan) > 0 &&
               aop_reap_locked(ad, true, false) == 0)
            ;
    }
    emunic_adapter_sync_locked(ad);
    while (q->done != q->pushed) {
        struct emunic_aop *op = &q->op[q->done & q->mask];

        if (op->state == AOP_POSTED) {
            if (emunic_adapter_alive(ad))
                break;
            /* the card died before answering */
            op->state = AOP_DONE;
            op->answered = false;
        }
        aop_finish_locked(p, op, op->gen != ad->generation);
        q->done++;
    }
}

/* Results in enqueue order. An operation pushed and not answered yet makes
 * pull wait for the card's answer to the oldest one (microseconds; bounded
 * by the command timeout), so "push, then pull" sees what it pushed; with
 * pull_wait=0 it never waits, and an application polls until it sees its
 * results (what a hardware completion queue gives). */
int
emunic_flow_pull(struct rte_eth_dev *dev, uint32_t queue_id,
                 struct rte_flow_op_result res[], uint16_t n_res,
                 struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_aqueue *q = aqueue_get(dev, queue_id, error);
    uint16_t n = 0;

    if (q == NULL)
        return -EINVAL;
    if (q->done != q->pushed && q->done - q->pulled < n_res) {
        snic_mutex_lock(&p->ad->lock);
        aqueue_complete_locked(p, q, q->done == q->pulled &&
                                     !p->ad->pull_nowait);
        snic_mutex_unlock(&p->ad->lock);
        emunic_adapter_check(p->ad);
    }
    while (n < n_res && q->pulled != q->done) {
        struct emunic_aop *op = &q->op[q->pulled & q->mask];

        res[n].status = op->ok ? RTE_FLOW_OP_SUCCESS : RTE_FLOW_OP_ERROR;
        res[n].user_data = op->user_data;
        n++;
        q->pulled++;
    }
    return n;
}

void
emunic_aqueue_drop_locked(struct emunic_port *p, struct emunic_aqueue *q)
    SNIC_REQUIRES(p->ad->lock)
{
    /* what the card was given is finished as it answered (a rule it
     * created is then a plain handle the flush deletes) */
    emunic_async_drain_locked(p->ad);
    aqueue_complete_locked(p, q, false);
    for (uint32_t i = q->pushed; i != q->enq; i++) {
        struct emunic_aop *op = &q->op[i & q->mask];

        if (op->kind == AOP_CREATE)
            emunic_flow_release_locked(p, op->flow, false);
        else
            op->flow->astate = EMUNIC_FLOW_LIVE;
        op->flow = NULL;
    }
    q->pushed = q->done = q->pulled = q->enq;
}
