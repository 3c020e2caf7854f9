/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's device operations, below every step that decides
 * something: validate a translation (asked once per shape, the answer
 * cached in snicd_shape.c), trace a rule as the testpmd command that asks
 * the same question, read a rule's counter, and probe how many priority
 * levels a transfer rule gets (and whether the device answers at all).
 * It calls the translator's shape, the shape cache and the testpmd
 * writer, and none of the manager's other files.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_flow.h>

#include "snicd_log.h"
#include "snicd_offload_priv.h"
#include "snicd_testpmd.h"
#include "snicd_xlate.h"

#define PROBE_MAX_LEVEL 4096u

/* ------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

static const struct rte_flow_action count_action[] = {
    { .type = RTE_FLOW_ACTION_TYPE_COUNT },
};

int
snicd_offload_rule_count(struct snicd_offload *o, struct rte_flow *h,
                         uint64_t *pkts, uint64_t *bytes)
{
    struct rte_flow_query_count qc = { .reset = 0 };
    struct rte_flow_error err;

    if (rte_flow_query(o->cfg.proxy_port, h, count_action, &qc, &err) != 0)
        return -rte_errno;
    *pkts = qc.hits_set ? qc.hits : 0;
    *bytes = qc.bytes_set ? qc.bytes : 0;
    return 0;
}

static bool
is_action_error(enum rte_flow_error_type t)
{
    return t == RTE_FLOW_ERROR_TYPE_ACTION ||
           t == RTE_FLOW_ERROR_TYPE_ACTION_NUM ||
           t == RTE_FLOW_ERROR_TYPE_ACTION_CONF;
}

void
snicd_offload_error_text(const struct rte_flow_error *err, int code,
                         char *buf, size_t size)
{
    if (err->message != NULL)
        snicd_say(buf, size, "%s", err->message);
    else
        snicd_say(buf, size, "%s", strerror(code));
}

static int probe_prio(struct snicd_offload *o, uint32_t prio, char *msg,
                      size_t size);

void
snicd_offload_rule_trace(const struct snicd_offload *o,
                         const struct snicd_xlate *x, const char *verdict,
                         const char *why)
{
    char line[2048];

    if (!snicd_log_enabled(SNICD_LOG_DEBUG))
        return;
    snicd_testpmd_line(o->cfg.proxy_port, &x->attr, x->items, x->actions,
                       line, sizeof(line));
    snicd_log(SNICD_LOG_DEBUG, "rule %s%s%s: %s", verdict, why ? ": " : "",
              why ? why : "", line);
}

/* rte_flow_validate, asked once per shape. NULL when the device is gone. */
const struct snicd_shape_result *
snicd_offload_validate(struct snicd_offload *o, const struct snicd_xlate *x)
{
    static struct snicd_shape_result uncached;
    const struct snicd_shape_result *r;
    struct snicd_shape_result res;
    struct rte_flow_error err;
    int len = snicd_xlate_shape(x, o->shape, sizeof(o->shape));

    if (len >= 0) {
        r = snicd_shape_lookup(o->shapes, o->shape, (size_t)len);
        if (r != NULL) {
            o->st.validate_cache_hits++;
            return r;
        }
    }
    memset(&err, 0, sizeof(err));
    memset(&res, 0, sizeof(res));
    o->st.validate_calls++;
    res.rc = rte_flow_validate(o->cfg.proxy_port, &x->attr, x->items,
                               x->actions, &err);
    if (res.rc != 0) {
        res.action = is_action_error(err.type);
        snicd_offload_error_text(&err, -res.rc, res.msg, sizeof(res.msg));
        snicd_offload_rule_trace(o, x, "refused by validate (once per shape)", res.msg);
        if (res.rc == -EIO) {
            o->dead = true;
            return NULL;
        }
    }
    if (len >= 0 && snicd_shape_insert(o->shapes, o->shape, (size_t)len,
                                       &res) == 0)
        return snicd_shape_lookup(o->shapes, o->shape, (size_t)len);
    uncached = res;
    return &uncached;
}

/* ------------------------------------------------------------------------
 * Device probe: how many rte_flow priorities does a transfer rule get?
 * ------------------------------------------------------------------------ */

static int
probe_prio(struct snicd_offload *o, uint32_t prio, char *msg, size_t size)
{
    const struct rte_flow_attr attr = { .transfer = 1, .priority = prio };
    const struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    const struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error err;
    int ret;

    memset(&err, 0, sizeof(err));
    ret = rte_flow_validate(o->cfg.proxy_port, &attr, pattern, actions, &err);
    if (ret != 0 && msg != NULL)
        snicd_offload_error_text(&err, -ret, msg, size);
    return ret;
}

bool
snicd_offload_device_answers(struct snicd_offload *o)
{
    return probe_prio(o, 0, NULL, 0) != -EIO;
}

void
snicd_offload_probe_levels(struct snicd_offload *o)
{
    char msg[SNICD_REASON_SIZE];
    uint32_t lo = 0, hi;
    int ret;

    o->n_levels = 0;
    ret = probe_prio(o, 0, msg, sizeof(msg));
    if (ret != 0) {
        snicd_say(o->probe_reason, sizeof(o->probe_reason), "the device "
                  "refuses a trivial transfer rule: %s", msg);
        if (ret == -EIO)
            o->dead = true;
        return;
    }
    for (hi = 1; hi < PROBE_MAX_LEVEL; hi <<= 1) {
        if (probe_prio(o, hi, NULL, 0) != 0)
            break;
        lo = hi;
    }
    if (hi >= PROBE_MAX_LEVEL) {
        o->n_levels = PROBE_MAX_LEVEL;
        return;
    }
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (probe_prio(o, mid, NULL, 0) == 0)
            lo = mid;
        else
            hi = mid;
    }
    o->n_levels = lo + 1;
}

/* ------------------------------------------------------------------------
 * Device probe: how many TAG registers may a rule match?
 * ------------------------------------------------------------------------ */

/* A transfer rule matching TAG @index (any value), or the device's no. */
static int
probe_tag(struct snicd_offload *o, uint8_t index)
{
    const struct rte_flow_attr attr = { .transfer = 1 };
    const struct rte_flow_item_tag spec = { .data = 0, .index = index };
    const struct rte_flow_item_tag mask = { .data = UINT32_MAX,
                                            .index = 0xff };
    const struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_TAG, .spec = &spec, .mask = &mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    const struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error err;

    memset(&err, 0, sizeof(err));
    return rte_flow_validate(o->cfg.proxy_port, &attr, pattern, actions,
                             &err);
}

/* rte_flow reports no TAG count: the registers the device takes, from
 * index 0 up, are the ones snicd maps reg0.. onto (at most the 16 OpenFlow
 * registers). Indexes are dense on every card that has them (mlx5's
 * tag indexes, emunic's caps.num_tags). */
void
snicd_offload_probe_tags(struct snicd_offload *o)
{
    o->n_tags = 0;
    if (o->n_levels == 0)
        return;
    while (o->n_tags < FLOW_N_REGS && probe_tag(o, (uint8_t)o->n_tags) == 0)
        o->n_tags++;
}
