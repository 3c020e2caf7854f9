/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow queue of the transfer proxy: DPDK's template/async rte_flow
 * API, below the install step (snicd_offload_install.c), beside the sync
 * device operations (snicd_offload_rule.c).
 *
 * The port's flow engine is configured when the port is started (DPDK
 * 22.11 takes rte_flow_configure only between rte_eth_dev_configure and
 * rte_eth_dev_start): snicd_port_start() calls snicd_offload_port_queues()
 * for every port, which configures the one that is its own transfer proxy
 * and offers flow queues (rte_flow_info_get reports some), and remembers
 * what it got per ethdev. The manager then opens the queue of its proxy
 * port (snicd_fq_open) at create and when the device is re-attached.
 *
 * One queue, one pattern template + actions template + template table per
 * rule shape (snicd_xlate_shape(): group, priority, transfer, item types
 * and masks, the ports and jump targets named): template tables take their
 * rules' attributes, so a shape is exactly what a table fixes. Templates
 * live as long as the queue: a device reset keeps them (the PMD keeps its
 * flow engine, and rte_flow_configure answers EBUSY while they exist); a
 * port closed (the device detached) takes them, and the queue is then
 * forgotten, not destroyed.
 *
 * Everything is enqueued with postpone; creates are pushed every
 * FQ_PUSH_EVERY, and pull pushes what was enqueued since the last push
 * first, so a commit pushes a few times per queue-full of operations.
 * Calls nothing of the manager's other files but the shape. Control
 * thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "snic_hash.h"
#include "snic_hmap.h"
#include "snicd_log.h"
#include "snicd_offload_priv.h"
#include "snicd_xlate.h"

/* What snicd_offload_port_queues() got on each ethdev. */
struct fq_port {
    bool configured;
    uint32_t size;
    uint32_t counters;
};

static struct fq_port fq_ports[RTE_MAX_ETHPORTS];

/* One rule shape's templates and table. */
struct fq_tmpl {
    struct snic_hmap_node node;     /* in snicd_fq.tmpls, hash of key */
    struct rte_flow_pattern_template *pt;
    struct rte_flow_actions_template *at;
    struct rte_flow_template_table *table;
    size_t len;
    uint8_t key[];
};

struct snicd_fq {
    uint16_t port;
    uint32_t size;              /* operations the queue holds */
    uint32_t counters;          /* the pool rte_flow_configure got */
    uint32_t inflight;          /* enqueued, not pulled yet */
    uint32_t unpushed;          /* enqueued since the last push */
    uint32_t destroys;          /* destroys enqueued, not pulled yet */
    uint32_t nb_flows;          /* table size the device takes */
    uint32_t n_tables;
    struct snic_hmap tmpls;     /* of struct fq_tmpl */
    struct snicd_qop *ops;      /* @size records, for creates */
    struct snicd_qop *free_ops;
    struct rte_flow_op_result *res;
    uint64_t pushes;
    uint8_t key[SNICD_XLATE_SHAPE_MAX];
};

/* Tables are asked for this many rules first, halved while the device
 * says that is too many (a card's table holds what its profile says). */
#define FQ_TABLE_FLOWS  (1u << 20)
/* rules with a counter the queue takes before the rest are made (and
 * counted) through rte_flow_create, each one after the queue refused it */
#define SNICD_FQ_MAX_COUNTERS   (1u << 20)
/* the card's counters kept for rules made with rte_flow_create (tunnel
 * guards, decap contexts and their flows, a rule no template takes): an
 * eighth of them, at most this many */
#define SNICD_FQ_SYNC_COUNTERS  4096u
#define FQ_PULL_BURST   256u
/* Operations enqueued before they are pushed without waiting for the
 * pull: the card starts on a batch's first rules while the manager is
 * still placing the rest (a push at the end of the placement left the
 * card idle until then, #13). */
#define FQ_PUSH_EVERY   256u

int
snicd_offload_port_queues(uint16_t port, uint32_t size)
{
    struct rte_flow_port_info pinfo;
    struct rte_flow_queue_info qinfo;
    struct rte_flow_port_attr pattr;
    struct rte_flow_queue_attr qattr;
    const struct rte_flow_queue_attr *qa[1] = { &qattr };
    struct rte_flow_error err;
    struct rte_eth_dev_info dinfo;
    struct fq_port *fp;
    uint16_t proxy;
    int ret;

    if (port >= RTE_MAX_ETHPORTS)
        return -EINVAL;
    fp = &fq_ports[port];
    if (size == 0) {
        fp->configured = false;
        return 0;
    }
    memset(&err, 0, sizeof(err));
    /* a representor's transfer rules go through its switch's proxy (some
     * PMDs name the representor its own proxy all the same) */
    if (rte_eth_dev_info_get(port, &dinfo) != 0 ||
        (dinfo.dev_flags != NULL &&
         (*dinfo.dev_flags & RTE_ETH_DEV_REPRESENTOR)) ||
        rte_flow_pick_transfer_proxy(port, &proxy, &err) != 0 ||
        proxy != port) {
        fp->configured = false;
        return 0;
    }
    memset(&pinfo, 0, sizeof(pinfo));
    memset(&qinfo, 0, sizeof(qinfo));
    if (rte_flow_info_get(port, &pinfo, &qinfo, &err) != 0 ||
        pinfo.max_nb_queues == 0) {
        fp->configured = false;
        snicd_log(SNICD_LOG_INFO, "port %u: no flow queues (%s): rules go "
                  "through the synchronous rte_flow API", port,
                  err.message != NULL ? err.message : "none offered");
        return 0;
    }
    memset(&pattr, 0, sizeof(pattr));
    /* the pool of counters the queue's COUNT rules take: every counted
     * rule past it costs a round trip of its own, at setup and again
     * after every firmware reset, so it is all the card's counters but
     * what the rules made with rte_flow_create need (SNICD_FQ_SYNC_COUNTERS).
     * At most SNICD_FQ_MAX_COUNTERS: a PMD may take the whole pool from
     * the card at configure and give it back at close (net_emunic: one
     * command per 1,024, 64 a doorbell) */
    pattr.nb_counters = pinfo.max_nb_counters -
                        RTE_MIN(pinfo.max_nb_counters / 8,
                                SNICD_FQ_SYNC_COUNTERS);
    if (pattr.nb_counters > SNICD_FQ_MAX_COUNTERS)
        pattr.nb_counters = SNICD_FQ_MAX_COUNTERS;
    qattr.size = size;
    if (qinfo.max_size != 0 && qattr.size > qinfo.max_size)
        qattr.size = qinfo.max_size;
    ret = rte_flow_configure(port, &pattr, 1, qa, &err);
    if (ret == -EBUSY && fp->configured) {
        /* a restart after a device reset: the flow engine kept its
         * templates and tables, which the manager still uses */
        return 1;
    }
    if (ret != 0) {
        fp->configured = false;
        snicd_log(SNICD_LOG_WARN, "port %u: rte_flow_configure: %s: rules "
                  "go through the synchronous rte_flow API", port,
                  err.message != NULL ? err.message : strerror(-ret));
        return 0;
    }
    fp->configured = true;
    fp->size = qattr.size;
    fp->counters = pattr.nb_counters;
    snicd_log(SNICD_LOG_INFO, "port %u: flow queue of %u operations, %u "
              "counters", port, qattr.size, pattr.nb_counters);
    return 1;
}

struct snicd_fq *
snicd_fq_open(uint16_t port)
{
    struct snicd_fq *q;
    uint32_t size;

    if (port >= RTE_MAX_ETHPORTS || !fq_ports[port].configured)
        return NULL;
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    /* an operation keeps its slot until pulled; a queue the PMD rounded
     * up holds at least what was asked */
    size = fq_ports[port].size;
    q->port = port;
    q->size = size;
    q->counters = fq_ports[port].counters;
    q->nb_flows = FQ_TABLE_FLOWS;
    q->ops = calloc(size, sizeof(*q->ops));
    q->res = calloc(FQ_PULL_BURST, sizeof(*q->res));
    if (q->ops == NULL || q->res == NULL) {
        free(q->ops);
        free(q->res);
        free(q);
        return NULL;
    }
    for (uint32_t i = 0; i < size; i++) {
        q->ops[i].next = q->free_ops;
        q->free_ops = &q->ops[i];
    }
    snic_hmap_init(&q->tmpls);
    return q;
}

void
snicd_fq_close(struct snicd_fq *q, bool destroy)
{
    struct rte_flow_error err;
    struct fq_tmpl *t;

    if (q == NULL)
        return;
    SNIC_HMAP_FOR_EACH_SAFE(t, node, &q->tmpls) {
        /* a table still holding a rule stays (EBUSY): the port's close
         * takes it */
        if (destroy && t->table != NULL &&
            rte_flow_template_table_destroy(q->port, t->table, &err) == 0) {
            (void)rte_flow_pattern_template_destroy(q->port, t->pt, &err);
            (void)rte_flow_actions_template_destroy(q->port, t->at, &err);
        }
        free(t);
    }
    snic_hmap_fini(&q->tmpls);
    free(q->ops);
    free(q->res);
    free(q);
}

uint32_t
snicd_fq_size(const struct snicd_fq *q)
{
    return q != NULL ? q->size : 0;
}

uint32_t
snicd_fq_counters(const struct snicd_fq *q)
{
    return q != NULL ? q->counters : 0;
}

uint32_t
snicd_fq_inflight(const struct snicd_fq *q)
{
    return q->inflight;
}

bool
snicd_fq_full(const struct snicd_fq *q)
{
    return q->inflight >= q->size;
}

uint32_t
snicd_fq_destroys(const struct snicd_fq *q)
{
    return q->destroys;
}

void
snicd_fq_forget(struct snicd_fq *q)
{
    q->inflight = 0;
    q->destroys = 0;
}

void
snicd_fq_stats(const struct snicd_fq *q, uint32_t *tables, uint64_t *pushes)
{
    *tables = q != NULL ? q->n_tables : 0;
    *pushes = q != NULL ? q->pushes : 0;
}

struct snicd_qop *
snicd_fq_op_get(struct snicd_fq *q)
{
    struct snicd_qop *op = q->free_ops;

    if (op != NULL) {
        q->free_ops = op->next;
        memset(op, 0, sizeof(*op));
        op->in_use = true;
    }
    return op;
}

void
snicd_fq_op_put(struct snicd_fq *q, struct snicd_qop *op)
{
    op->in_use = false;
    op->next = q->free_ops;
    q->free_ops = op;
}

struct snicd_qop *
snicd_fq_op_at(struct snicd_fq *q, uint32_t i)
{
    return i < q->size ? &q->ops[i] : NULL;
}

static void
tmpl_free(uint16_t port, struct fq_tmpl *t)
{
    struct rte_flow_error err;

    if (t->table != NULL)
        (void)rte_flow_template_table_destroy(port, t->table, &err);
    if (t->pt != NULL)
        (void)rte_flow_pattern_template_destroy(port, t->pt, &err);
    if (t->at != NULL)
        (void)rte_flow_actions_template_destroy(port, t->at, &err);
    free(t);
}

/* The table for @x's shape, made on first use: the pattern template has
 * the rule's items and masks, the actions template its actions with no
 * mask, so every rule brings its own values. NULL with the reason in
 * @err when the device takes no such template or table. */
static struct fq_tmpl *
tmpl_get(struct snicd_fq *q, const struct snicd_xlate *x,
         struct rte_flow_error *err)
{
    const struct rte_flow_pattern_template_attr pattr = {
        .relaxed_matching = 0, .ingress = x->attr.ingress,
        .transfer = x->attr.transfer,
    };
    const struct rte_flow_actions_template_attr aattr = {
        .ingress = x->attr.ingress, .transfer = x->attr.transfer,
    };
    struct rte_flow_template_table_attr tattr;
    struct rte_flow_action masks[SNICD_XLATE_MAX_ACTIONS];
    struct fq_tmpl *t;
    uint64_t h;
    int len = snicd_xlate_shape(x, q->key, sizeof(q->key));

    if (len < 0) {
        rte_flow_error_set(err, ENOSPC, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                           NULL, "rule shape too long for a template key");
        return NULL;
    }
    h = snic_hash_bytes(q->key, (size_t)len, SNIC_HASH_BASIS);
    SNIC_HMAP_FOR_EACH_WITH_HASH(t, node, h, &q->tmpls)
        if (t->len == (size_t)len && memcmp(t->key, q->key, t->len) == 0)
            return t;
    t = calloc(1, sizeof(*t) + (size_t)len);
    if (t == NULL) {
        rte_flow_error_set(err, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                           NULL, "out of memory for a template");
        return NULL;
    }
    t->len = (size_t)len;
    memcpy(t->key, q->key, t->len);
    t->pt = rte_flow_pattern_template_create(q->port, &pattr, x->items, err);
    if (t->pt == NULL)
        goto fail;
    memset(masks, 0, sizeof(masks));
    for (unsigned i = 0; i <= x->n_actions; i++)
        masks[i].type = x->actions[i].type;
    t->at = rte_flow_actions_template_create(q->port, &aattr, x->actions,
                                             masks, err);
    if (t->at == NULL)
        goto fail;
    memset(&tattr, 0, sizeof(tattr));
    tattr.flow_attr = x->attr;
    for (;;) {
        tattr.nb_flows = q->nb_flows;
        t->table = rte_flow_template_table_create(q->port, &tattr, &t->pt,
                                                  1, &t->at, 1, err);
        if (t->table != NULL || rte_errno != ENOSPC || q->nb_flows == 1)
            break;
        q->nb_flows /= 2;
    }
    if (t->table == NULL)
        goto fail;
    snic_hmap_insert(&q->tmpls, &t->node, h);
    q->n_tables++;
    return t;

fail:
    snicd_log(SNICD_LOG_DEBUG, "flow queue: no template for a rule shape "
              "(%s): such rules use rte_flow_create",
              err->message != NULL ? err->message : strerror(rte_errno));
    tmpl_free(q->port, t);
    return NULL;
}

struct rte_flow *
snicd_fq_create(struct snicd_fq *q, const struct snicd_xlate *x,
                struct snicd_qop *op, bool *no_table,
                struct rte_flow_error *err)
{
    const struct rte_flow_op_attr oa = { .postpone = 1 };
    struct fq_tmpl *t;
    struct rte_flow *h;

    *no_table = false;
    if (snicd_fq_full(q)) {
        rte_errno = EAGAIN;
        return NULL;
    }
    t = tmpl_get(q, x, err);
    if (t == NULL) {
        *no_table = true;
        return NULL;
    }
    h = rte_flow_async_create(q->port, 0, &oa, t->table, x->items, 0,
                              x->actions, 0, op, err);
    if (h != NULL) {
        q->inflight++;
        if (++q->unpushed >= FQ_PUSH_EVERY)
            snicd_fq_push(q);
    }
    return h;
}

int
snicd_fq_destroy(struct snicd_fq *q, struct rte_flow *h)
{
    const struct rte_flow_op_attr oa = { .postpone = 1 };
    struct rte_flow_error err;
    int ret;

    if (snicd_fq_full(q))
        return -EAGAIN;
    ret = rte_flow_async_destroy(q->port, 0, &oa, h, NULL, &err);
    if (ret == 0) {
        q->inflight++;
        q->unpushed++;
        q->destroys++;
    }
    return ret;
}

void
snicd_fq_push(struct snicd_fq *q)
{
    struct rte_flow_error err;

    if (q->unpushed == 0)
        return;
    q->pushes++;
    q->unpushed = 0;
    /* a push that failed left its operations to fail at pull */
    (void)rte_flow_push(q->port, 0, &err);
}

int
snicd_fq_pull(struct snicd_fq *q, struct snicd_qop **ops, bool *ok,
              unsigned room)
{
    struct rte_flow_error err;
    int n;

    snicd_fq_push(q);
    if (room > FQ_PULL_BURST)
        room = FQ_PULL_BURST;
    n = rte_flow_pull(q->port, 0, q->res, (uint16_t)room, &err);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        ops[i] = q->res[i].user_data;
        ok[i] = q->res[i].status == RTE_FLOW_OP_SUCCESS;
        if (ops[i] == NULL && q->destroys > 0)
            q->destroys--;
    }
    q->inflight -= (uint32_t)n <= q->inflight ? (uint32_t)n : q->inflight;
    return n;
}
