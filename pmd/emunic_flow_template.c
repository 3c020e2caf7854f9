/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The template API's resources: rte_flow_info_get, rte_flow_configure (flow
 * queues and the counter pool), pattern and actions templates, template
 * tables. The operations on the queues are in emunic_flow_async.c; the
 * design is in emunic.h above struct emunic_aqueue.
 *
 * Templates are checked when they are made for what does not depend on a
 * rule's values: item and action types the driver knows, the order of the
 * header stack, masks within what each item can match, actions the card's
 * profile has. Everything else is checked per rule by the same walker the
 * sync API runs (rte_flow_validate), with the same messages.
 *
 * A template table is the card's table for its group, created here once
 * (TABLE_CREATE for a group above 0; group 0 is the root that always
 * exists). The card's tables have no size to give; nb_flows is checked
 * against the card's rules per table, and the rules are counted so that a
 * table (and its templates) cannot be destroyed under them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <ethdev_driver.h>
#include <rte_flow_driver.h>

#include "emunic.h"

static int
async_port_check(struct rte_eth_dev *dev, struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    int ret = emunic_flow_role_check(dev, error);

    if (ret < 0)
        return ret;
    if (!emunic_adapter_alive(p->ad))
        return emunic_flow_dead(p->ad, error);
    return 0;
}

/* @alive: the call needs the card; a destroy does not (an application
 * cleans up after the card died, and nothing of a template is on it). */
static int
async_need_config(struct rte_eth_dev *dev, bool alive,
                  struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    int ret = alive ? async_port_check(dev, error) :
              emunic_flow_role_check(dev, error);

    if (ret < 0)
        return ret;
    if (p->async == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_STATE, NULL,
                               "port %u: call rte_flow_configure first (the "
                               "template API needs its flow queues)",
                               dev->data->port_id);
    return 0;
}

int
emunic_flow_info_get(struct rte_eth_dev *dev,
                     struct rte_flow_port_info *port_info,
                     struct rte_flow_queue_info *queue_info,
                     struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    int ret = async_port_check(dev, error);

    if (ret < 0)
        return ret;
    memset(port_info, 0, sizeof(*port_info));
    memset(queue_info, 0, sizeof(*queue_info));
    port_info->max_nb_queues = EMUNIC_ASYNC_MAX_QUEUES;
    /* keep_rules: the ranges the earlier driver's rules count into stay
     * allocated (emunic_adopt.c); a pool sized from this must fit beside */
    port_info->max_nb_counters = p->ad->caps.max_counters -
        RTE_MIN(p->ad->counters_kept, p->ad->caps.max_counters);
    queue_info->max_size = EMUNIC_ASYNC_MAX_QSIZE;
    return 0;
}

/* ------------------------------------------------------------------------
 * configure
 * ------------------------------------------------------------------------ */

static bool
async_busy(struct emunic_port *p)
{
    struct emunic_async *as = p->async;
    struct rte_flow *f;

    if (as == NULL)
        return false;
    if (!TAILQ_EMPTY(&as->ptmpls) || !TAILQ_EMPTY(&as->atmpls) ||
        !TAILQ_EMPTY(&as->tables))
        return true;
    for (uint16_t i = 0; i < as->nb_queues; i++)
        if (as->q[i].enq != as->q[i].pulled)
            return true;
    TAILQ_FOREACH(f, &p->flows, next)
        if (f->ctr_pooled)
            return true;
    return false;
}

static void
async_free(struct emunic_adapter *ad, struct emunic_async *as)
    SNIC_REQUIRES(ad->lock)
{
    if (as == NULL)
        return;
    for (uint16_t i = 0; i < as->nb_queues; i++)
        free(as->q[i].op);
    free(as->q);
    emunic_cpool_fini_locked(ad, &as->cpool);
    free(as);
}

int
emunic_flow_configure(struct rte_eth_dev *dev,
                      const struct rte_flow_port_attr *port_attr,
                      uint16_t nb_queue,
                      const struct rte_flow_queue_attr *queue_attr[],
                      struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_adapter *ad = p->ad;
    struct emunic_async *as;
    struct emunic_cpool *cp;
    int ret = async_port_check(dev, error);

    if (ret < 0)
        return ret;
    if (nb_queue == 0 || nb_queue > EMUNIC_ASYNC_MAX_QUEUES)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                               NULL, "%u flow queues: net_emunic takes 1..%u",
                               nb_queue, EMUNIC_ASYNC_MAX_QUEUES);
    if (port_attr->nb_aging_objects || port_attr->nb_meters ||
        port_attr->nb_conn_tracks)
        return emunic_flow_err(error, ENOTSUP,
                               RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                               "aging objects, meters and connection "
                               "tracking are not supported: ask for 0");
    if (port_attr->flags != 0)
        return emunic_flow_err(error, ENOTSUP,
                               RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                               "port flags 0x%x are not supported",
                               port_attr->flags);
    if (port_attr->nb_counters > ad->caps.max_counters)
        return emunic_flow_err(error, ENOSPC, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                               NULL, "nb_counters %u: the card has %u",
                               port_attr->nb_counters, ad->caps.max_counters);
    for (uint16_t i = 0; i < nb_queue; i++) {
        uint32_t size = queue_attr[i]->size;

        if (size > EMUNIC_ASYNC_MAX_QSIZE)
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                                   "flow queue %u: size %u is above the "
                                   "maximum %u", i, size,
                                   EMUNIC_ASYNC_MAX_QSIZE);
    }
    snic_mutex_lock(&ad->lock);
    if (async_busy(p)) {
        snic_mutex_unlock(&ad->lock);
        return emunic_flow_err(error, EBUSY, RTE_FLOW_ERROR_TYPE_STATE, NULL,
                               "port %u: templates, tables, queued "
                               "operations or rules with pooled counters "
                               "exist: destroy them before configuring "
                               "again", dev->data->port_id);
    }
    as = calloc(1, sizeof(*as));
    if (as == NULL)
        goto nomem;
    TAILQ_INIT(&as->ptmpls);
    TAILQ_INIT(&as->atmpls);
    TAILQ_INIT(&as->tables);
    as->q = calloc(nb_queue, sizeof(*as->q));
    if (as->q == NULL)
        goto nomem;
    as->nb_queues = nb_queue;
    for (uint16_t i = 0; i < nb_queue; i++) {
        struct emunic_aqueue *q = &as->q[i];
        uint32_t size = queue_attr[i]->size ? queue_attr[i]->size :
                        EMUNIC_ASYNC_DEF_QSIZE;

        /* a power of two, so indices may wrap freely */
        q->size = 1;
        while (q->size < size)
            q->size <<= 1;
        q->mask = q->size - 1;
        q->id = i;
        q->op = calloc(q->size, emunic_aop_size());
        if (q->op == NULL)
            goto nomem;
    }
    cp = &as->cpool;
    as->nb_counters = port_attr->nb_counters;
    if (port_attr->nb_counters > 0) {
        if (emunic_cpool_init(cp, port_attr->nb_counters) < 0)
            goto nomem;
        /* on the card at the first push that needs a counter
         * (emunic_cpool_refill_locked): not in the application's start */
        cp->deferred = true;
    }
    async_free(ad, p->async);
    p->async = as;
    snic_mutex_unlock(&ad->lock);
    return 0;

nomem:
    async_free(ad, as);
    snic_mutex_unlock(&ad->lock);
    return emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                           NULL, "out of memory for the flow queues or the "
                           "counter pool");
}

/* ------------------------------------------------------------------------
 * Templates
 * ------------------------------------------------------------------------ */

struct rte_flow_pattern_template *
emunic_pattern_template_create(struct rte_eth_dev *dev,
                               const struct rte_flow_pattern_template_attr *attr,
                               const struct rte_flow_item pattern[],
                               struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct rte_flow_pattern_template *t;
    uint32_t n = 0;
    int size;

    if (async_need_config(dev, true, error) < 0)
        return NULL;
    if (pattern == NULL) {
        emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM, NULL,
                        "the pattern is missing");
        return NULL;
    }
    if (attr->egress) {
        emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, attr,
                        "egress rules are not supported: the eSwitch steers "
                        "packets where they enter it");
        return NULL;
    }
    while (pattern[n].type != RTE_FLOW_ITEM_TYPE_END) {
        if (n >= EMUNIC_TMPL_MAX_ITEMS) {
            emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_NUM,
                            &pattern[n], "a template holds at most %u "
                            "items", EMUNIC_TMPL_MAX_ITEMS);
            return NULL;
        }
        n++;
    }
    if (emunic_items_check_template(&p->ad->caps, attr->transfer,
                                    pattern, error) < 0)
        return NULL;
    size = rte_flow_conv(RTE_FLOW_CONV_OP_PATTERN, NULL, 0, pattern, error);
    if (size < 0)
        return NULL;
    t = calloc(1, sizeof(*t));
    if (t == NULL || (t->items = malloc((size_t)size)) == NULL) {
        free(t);
        emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                        "out of memory for the pattern template");
        return NULL;
    }
    if (rte_flow_conv(RTE_FLOW_CONV_OP_PATTERN, t->items, (size_t)size,
                      pattern, error) < 0) {
        free(t->items);
        free(t);
        return NULL;
    }
    t->attr = *attr;
    t->n_items = n;
    snic_mutex_lock(&p->ad->lock);
    TAILQ_INSERT_TAIL(&p->async->ptmpls, t, next);
    snic_mutex_unlock(&p->ad->lock);
    return t;
}

static bool
ptmpl_is_ours(struct emunic_async *as, const void *h)
{
    const struct rte_flow_pattern_template *t;

    TAILQ_FOREACH(t, &as->ptmpls, next)
        if (t == h)
            return true;
    return false;
}

static bool
atmpl_is_ours(struct emunic_async *as, const void *h)
{
    const struct rte_flow_actions_template *t;

    TAILQ_FOREACH(t, &as->atmpls, next)
        if (t == h)
            return true;
    return false;
}

int
emunic_pattern_template_destroy(struct rte_eth_dev *dev,
                                struct rte_flow_pattern_template *t,
                                struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    int ret = async_need_config(dev, false, error);

    if (ret < 0)
        return ret;
    snic_mutex_lock(&p->ad->lock);
    if (!ptmpl_is_ours(p->async, t)) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, t,
                               "not a pattern template of port %u",
                               dev->data->port_id);
    }
    if (t->refcnt > 0) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EBUSY, RTE_FLOW_ERROR_TYPE_HANDLE, t,
                               "the pattern template is used by %u template "
                               "table(s): destroy them first", t->refcnt);
    }
    TAILQ_REMOVE(&p->async->ptmpls, t, next);
    snic_mutex_unlock(&p->ad->lock);
    free(t->items);
    free(t);
    return 0;
}

struct rte_flow_actions_template *
emunic_actions_template_create(struct rte_eth_dev *dev,
                               const struct rte_flow_actions_template_attr *attr,
                               const struct rte_flow_action actions[],
                               const struct rte_flow_action masks[],
                               struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct rte_flow_actions_template *t;
    int size_a, size_m;
    uint32_t n = 0;

    if (async_need_config(dev, true, error) < 0)
        return NULL;
    if (actions == NULL || masks == NULL) {
        emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, NULL,
                        "the action list or its masks are missing");
        return NULL;
    }
    if (attr->egress) {
        emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, attr,
                        "egress rules are not supported: the eSwitch steers "
                        "packets where they enter it");
        return NULL;
    }
    for (; actions[n].type != RTE_FLOW_ACTION_TYPE_END; n++) {
        if (n >= EMUNIC_TMPL_MAX_ITEMS) {
            emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_NUM,
                            &actions[n], "a template holds at most %u "
                            "actions", EMUNIC_TMPL_MAX_ITEMS);
            return NULL;
        }
        if (masks[n].type != actions[n].type) {
            emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                            &masks[n], "mask %u is of another type than "
                            "action %u: masks list the same actions", n, n);
            return NULL;
        }
    }
    if (masks[n].type != RTE_FLOW_ACTION_TYPE_END) {
        emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, &masks[n],
                        "the masks list more actions than the template");
        return NULL;
    }
    if (emunic_actions_check_template(&p->ad->caps, actions, error) < 0)
        return NULL;
    size_a = rte_flow_conv(RTE_FLOW_CONV_OP_ACTIONS, NULL, 0, actions, error);
    size_m = rte_flow_conv(RTE_FLOW_CONV_OP_ACTIONS, NULL, 0, masks, error);
    if (size_a < 0 || size_m < 0)
        return NULL;
    t = calloc(1, sizeof(*t));
    if (t == NULL || (t->actions = malloc((size_t)size_a)) == NULL ||
        (t->masks = malloc((size_t)size_m)) == NULL) {
        if (t != NULL)
            free(t->actions);
        free(t);
        emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                        "out of memory for the actions template");
        return NULL;
    }
    if (rte_flow_conv(RTE_FLOW_CONV_OP_ACTIONS, t->actions, (size_t)size_a,
                      actions, error) < 0 ||
        rte_flow_conv(RTE_FLOW_CONV_OP_ACTIONS, t->masks, (size_t)size_m,
                      masks, error) < 0) {
        free(t->actions);
        free(t->masks);
        free(t);
        return NULL;
    }
    t->attr = *attr;
    t->n_actions = n;
    snic_mutex_lock(&p->ad->lock);
    TAILQ_INSERT_TAIL(&p->async->atmpls, t, next);
    snic_mutex_unlock(&p->ad->lock);
    return t;
}

int
emunic_actions_template_destroy(struct rte_eth_dev *dev,
                                struct rte_flow_actions_template *t,
                                struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    int ret = async_need_config(dev, false, error);

    if (ret < 0)
        return ret;
    snic_mutex_lock(&p->ad->lock);
    if (!atmpl_is_ours(p->async, t)) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, t,
                               "not an actions template of port %u",
                               dev->data->port_id);
    }
    if (t->refcnt > 0) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EBUSY, RTE_FLOW_ERROR_TYPE_HANDLE, t,
                               "the actions template is used by %u template "
                               "table(s): destroy them first", t->refcnt);
    }
    TAILQ_REMOVE(&p->async->atmpls, t, next);
    snic_mutex_unlock(&p->ad->lock);
    free(t->actions);
    free(t->masks);
    free(t);
    return 0;
}

/* ------------------------------------------------------------------------
 * Template tables
 * ------------------------------------------------------------------------ */

struct emunic_table *
emunic_table_lookup(struct emunic_port *p, const void *handle)
{
    struct emunic_table *t;

    if (p->async == NULL)
        return NULL;
    TAILQ_FOREACH(t, &p->async->tables, next)
        if ((const void *)t == handle)
            return t;
    return NULL;
}

void
emunic_table_flow_gone(struct emunic_table *table)
{
    if (table->n_flows > 0)
        table->n_flows--;
}

/* A template is valid for the table's direction when it says so, or when
 * it names no direction at all (testpmd 22.11 writes none for actions
 * templates unless the direction comes before actions_template_id). */
static bool
dir_fits(const struct rte_flow_attr *a, bool ingress, bool transfer)
{
    if (!ingress && !transfer)
        return true;
    return a->transfer ? transfer : ingress;
}

struct rte_flow_template_table *
emunic_template_table_create(struct rte_eth_dev *dev,
                             const struct rte_flow_template_table_attr *attr,
                             struct rte_flow_pattern_template *ptmpl[],
                             uint8_t n_ptmpl,
                             struct rte_flow_actions_template *atmpl[],
                             uint8_t n_atmpl, struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_adapter *ad = p->ad;
    const struct rte_flow_attr *fa = &attr->flow_attr;
    const struct fw_caps *caps = &ad->caps;
    struct emunic_table *t;

    if (async_need_config(dev, true, error) < 0)
        return NULL;
    if (fa->egress || (!fa->ingress && !fa->transfer)) {
        emunic_flow_err(error, fa->egress ? ENOTSUP : EINVAL,
                        RTE_FLOW_ERROR_TYPE_ATTR, fa, "a template table is "
                        "for ingress or transfer rules (egress is not "
                        "supported)");
        return NULL;
    }
    if (fa->group > caps->max_group) {
        emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_GROUP, fa,
                        "group %u is beyond the device's highest group %u",
                        fa->group, caps->max_group);
        return NULL;
    }
    if (fa->priority >= caps->prio_per_table) {
        emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, fa,
                        "priority %u is beyond the device: profile '%s' has "
                        "priorities 0..%u per table", fa->priority,
                        emunic_profile(caps), caps->prio_per_table - 1u);
        return NULL;
    }
    if (attr->nb_flows == 0 || attr->nb_flows > caps->max_rules_per_table) {
        emunic_flow_err(error, attr->nb_flows ? ENOSPC : EINVAL,
                        RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                        "nb_flows %u: a table of the card holds 1..%u rules "
                        "(profile '%s')", attr->nb_flows,
                        caps->max_rules_per_table, emunic_profile(caps));
        return NULL;
    }
    if (n_ptmpl == 0 || n_atmpl == 0) {
        emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                        "a template table needs at least one pattern and "
                        "one actions template");
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL || (t->ptmpl = calloc(n_ptmpl, sizeof(*ptmpl))) == NULL ||
        (t->atmpl = calloc(n_atmpl, sizeof(*atmpl))) == NULL) {
        if (t != NULL)
            free(t->ptmpl);
        free(t);
        emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                        "out of memory for the template table");
        return NULL;
    }
    snic_mutex_lock(&ad->lock);
    for (uint8_t i = 0; i < n_ptmpl; i++) {
        if (!ptmpl_is_ours(p->async, ptmpl[i])) {
            emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE,
                            ptmpl[i], "pattern template %u is not one of "
                            "port %u's", i, dev->data->port_id);
            goto unlock_free;
        }
        if (!dir_fits(fa, ptmpl[i]->attr.ingress, ptmpl[i]->attr.transfer)) {
            emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, fa,
                            "pattern template %u is not for %s rules", i,
                            fa->transfer ? "transfer" : "ingress");
            goto unlock_free;
        }
    }
    for (uint8_t i = 0; i < n_atmpl; i++) {
        if (!atmpl_is_ours(p->async, atmpl[i])) {
            emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE,
                            atmpl[i], "actions template %u is not one of "
                            "port %u's", i, dev->data->port_id);
            goto unlock_free;
        }
        if (!dir_fits(fa, atmpl[i]->attr.ingress, atmpl[i]->attr.transfer)) {
            emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, fa,
                            "actions template %u is not for %s rules", i,
                            fa->transfer ? "transfer" : "ingress");
            goto unlock_free;
        }
    }
    /* the card's table, made once here rather than by the first rule */
    emunic_adapter_sync_locked(ad);
    if (emunic_flow_group_get_locked(ad, fa->group, NULL, error) < 0)
        goto unlock_free;
    t->attr = *fa;
    t->nb_flows = attr->nb_flows;
    t->n_ptmpl = n_ptmpl;
    t->n_atmpl = n_atmpl;
    for (uint8_t i = 0; i < n_ptmpl; i++) {
        t->ptmpl[i] = ptmpl[i];
        ptmpl[i]->refcnt++;
    }
    for (uint8_t i = 0; i < n_atmpl; i++) {
        t->atmpl[i] = atmpl[i];
        atmpl[i]->refcnt++;
    }
    TAILQ_INSERT_TAIL(&p->async->tables, t, next);
    __atomic_add_fetch(&p->async->tables_gen, 1, __ATOMIC_RELEASE);
    snic_mutex_unlock(&ad->lock);
    return (struct rte_flow_template_table *)t;

unlock_free:
    snic_mutex_unlock(&ad->lock);
    free(t->ptmpl);
    free(t->atmpl);
    free(t);
    return NULL;
}

static void
table_free(struct emunic_table *t)
{
    for (uint8_t i = 0; i < t->n_ptmpl; i++)
        t->ptmpl[i]->refcnt--;
    for (uint8_t i = 0; i < t->n_atmpl; i++)
        t->atmpl[i]->refcnt--;
    free(t->ptmpl);
    free(t->atmpl);
    free(t);
}

int
emunic_template_table_destroy(struct rte_eth_dev *dev,
                              struct rte_flow_template_table *table,
                              struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_table *t;
    int ret = async_need_config(dev, false, error);

    if (ret < 0)
        return ret;
    snic_mutex_lock(&p->ad->lock);
    t = emunic_table_lookup(p, table);
    if (t == NULL) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE,
                               table, "not a template table of port %u",
                               dev->data->port_id);
    }
    if (t->n_flows > 0) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EBUSY, RTE_FLOW_ERROR_TYPE_HANDLE,
                               table, "the template table holds %u rule(s): "
                               "destroy them first", t->n_flows);
    }
    TAILQ_REMOVE(&p->async->tables, t, next);
    __atomic_add_fetch(&p->async->tables_gen, 1, __ATOMIC_RELEASE);
    snic_mutex_unlock(&p->ad->lock);
    table_free(t);
    return 0;
}

void
emunic_async_teardown(struct emunic_port *p)
{
    struct emunic_async *as = p->async;
    struct rte_flow_pattern_template *pt;
    struct rte_flow_actions_template *at;
    struct emunic_table *t;
    struct rte_flow *f;

    if (as == NULL)
        return;
    snic_mutex_lock(&p->ad->lock);
    for (uint16_t i = 0; i < as->nb_queues; i++)
        emunic_aqueue_drop_locked(p, &as->q[i]);
    /* the rules outlive their tables only as plain handles */
    TAILQ_FOREACH(f, &p->flows, next)
        f->table = NULL;
    while ((t = TAILQ_FIRST(&as->tables)) != NULL) {
        TAILQ_REMOVE(&as->tables, t, next);
        table_free(t);
    }
    while ((pt = TAILQ_FIRST(&as->ptmpls)) != NULL) {
        TAILQ_REMOVE(&as->ptmpls, pt, next);
        free(pt->items);
        free(pt);
    }
    while ((at = TAILQ_FIRST(&as->atmpls)) != NULL) {
        TAILQ_REMOVE(&as->atmpls, at, next);
        free(at->actions);
        free(at->masks);
        free(at);
    }
    snic_mutex_unlock(&p->ad->lock);
}

/* After the port's flows are flushed: the pool's ranges go back to the
 * card. */
void
emunic_async_free(struct emunic_port *p)
{
    if (p->async == NULL)
        return;
    snic_mutex_lock(&p->ad->lock);
    emunic_adapter_sync_locked(p->ad);
    async_free(p->ad, p->async);
    p->async = NULL;
    snic_mutex_unlock(&p->ad->lock);
}
