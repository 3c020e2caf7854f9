/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow -> firmware rule translation: the walker.
 *
 * Attributes first, then every item through the item table, then every
 * action through the action table, each converter writing into a struct
 * fw_rule_add_in. Validate runs exactly this code on a scratch result (the
 * tap_flow.c discipline), so a rule that validates is a rule create can
 * post. The capability bitmaps decide refusals up front; what only the
 * device can judge (capacity, a table that vanished) comes back as a
 * status + syndrome and emunic_flow_refusal() maps it onto the same objects.
 * The walker calls forward into the item and action converters, which call
 * their checks and the primitives of emunic_flow_err.c; none calls back.
 *
 * Pure code: no device, no EAL, unit-tested in tests/pmd/test_flow_xlate.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_flow.h>

#include "emunic.h"

static int
xlate_attr(struct emunic_walk *w, const struct rte_flow_attr *attr,
           struct rte_flow_error *error)
{
    const struct fw_caps *caps = w->ctx->caps;

    if (attr == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, NULL,
                               "flow attributes are missing");
    if (attr->egress)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_EGRESS,
                               attr, "egress rules are not supported: the "
                               "eSwitch steers packets where they enter it; "
                               "use a transfer rule matching the source port "
                               "instead");
    if (!attr->ingress && !attr->transfer)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, attr,
                               "a rule needs the ingress or the transfer "
                               "attribute");
    if (caps->esw_mode != FW_ESW_SWITCHDEV)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR, attr,
                               "the eSwitch is in legacy mode: steering rules "
                               "need switchdev mode (snic-vf eswitch "
                               "switchdev)");
    if (attr->group > caps->max_group)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_GROUP,
                               attr, "group %u is beyond the device's "
                               "highest group %u", attr->group,
                               caps->max_group);
    if (attr->priority >= caps->prio_per_table)
        return emunic_flow_err(error, ENOTSUP,
                               RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, attr,
                               "priority %u is beyond the device: profile "
                               "'%s' has priorities 0..%u per table",
                               attr->priority, emunic_profile(caps),
                               caps->prio_per_table ?
                               caps->prio_per_table - 1u : 0u);
    w->x->rule.group = attr->group;
    w->x->rule.priority = (uint16_t)attr->priority;
    return 0;
}

static int
xlate_items(struct emunic_walk *w, const struct rte_flow_item items[],
            struct rte_flow_error *error)
{
    const struct rte_flow_item *it;
    int ret;

    if (items == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM,
                               NULL, "the pattern is missing");
    for (it = items; it->type != RTE_FLOW_ITEM_TYPE_END; it++) {
        ret = emunic_item_convert(w, it, error);
        if (ret < 0)
            return ret;
    }
    return emunic_items_finish(w, items, error);
}

static int
xlate_actions(struct emunic_walk *w, const struct rte_flow_action actions[],
              struct rte_flow_error *error)
{
    const struct rte_flow_action *a;
    int ret;

    if (actions == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM,
                               NULL, "the action list is missing");
    for (a = actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
        ret = emunic_action_convert(w, a, error);
        if (ret < 0)
            return ret;
    }
    ret = emunic_actions_finish(w, error);
    if (ret < 0)
        return ret;
    if (w->n_fates == 0)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM,
                               actions, "the rule has no fate: add DROP, "
                               "QUEUE, RSS, JUMP, PORT_ID, REPRESENTED_PORT "
                               "or PORT_REPRESENTOR");
    return 0;
}

int
emunic_flow_translate(const struct emunic_xlate_ctx *ctx,
                      const struct rte_flow_attr *attr,
                      const struct rte_flow_item items[],
                      const struct rte_flow_action actions[],
                      struct emunic_xlate *out,
                      struct rte_flow_error *error)
{
    struct emunic_xlate scratch;
    struct emunic_walk w;
    int ret;

    if (out == NULL)
        out = &scratch;
    memset(out, 0, sizeof(*out));
    out->count_idx = -1;
    out->rss_idx = -1;
    memset(&w, 0, sizeof(w));
    w.ctx = ctx;
    w.attr = attr;
    w.x = out;
    w.last_proto = EMUNIC_P_START;
    w.push_vlan_idx = -1;

    ret = xlate_attr(&w, attr, error);
    if (ret < 0)
        return ret;
    ret = xlate_items(&w, items, error);
    if (ret < 0)
        return ret;
    return xlate_actions(&w, actions, error);
}

/* ------------------------------------------------------------------------
 * Device refusals
 * ------------------------------------------------------------------------ */

int
emunic_flow_refusal(const struct emunic_xlate *x, uint8_t status,
                    uint32_t syndrome, struct rte_flow_error *error)
{
    unsigned idx = FW_SYND_INDEX(syndrome);
    int code = fw_status_errno(status);
    enum rte_flow_error_type type = RTE_FLOW_ERROR_TYPE_UNSPECIFIED;
    const void *cause = NULL;
    char synd[96];

    if (code <= 0)
        code = EIO;
    fw_syndrome_str(syndrome, synd, sizeof(synd));
    switch (FW_SYND_REASON(syndrome)) {
    case FW_SYND_FIELD:
    case FW_SYND_VALUE:
    case FW_SYND_PREREQ:
        if (idx < FW_FIELD_COUNT_ && x->field_item[idx] != NULL) {
            type = RTE_FLOW_ERROR_TYPE_ITEM;
            cause = x->field_item[idx];
        }
        break;
    case FW_SYND_MASK:
        if (idx < FW_FIELD_COUNT_ && x->field_item[idx] != NULL) {
            type = RTE_FLOW_ERROR_TYPE_ITEM_MASK;
            cause = x->field_item[idx];
        }
        break;
    case FW_SYND_ACTION:
    case FW_SYND_ACTION_ARG:
    case FW_SYND_VPORT:
    case FW_SYND_COUNTER:
        if (idx < FW_RULE_MAX_ACTIONS && x->act_src[idx] != NULL) {
            type = RTE_FLOW_ERROR_TYPE_ACTION;
            cause = x->act_src[idx];
        }
        break;
    case FW_SYND_PRIORITY:
        type = RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY;
        break;
    case FW_SYND_TABLE:
        type = RTE_FLOW_ERROR_TYPE_ATTR_GROUP;
        break;
    case FW_SYND_CAPACITY:
        /* a full table is ENOSPC whatever the status spelling */
        code = ENOSPC;
        type = RTE_FLOW_ERROR_TYPE_HANDLE;
        return emunic_flow_err(error, code, type, NULL,
                               "device is full (%s): destroy rules or use "
                               "another group", synd);
    default:
        break;
    }
    return emunic_flow_err(error, code, type, cause,
                           "device refused the rule: %s (%s)",
                           fw_status_str(status), synd);
}

/*
 * A pattern template, before any rule: item types the driver knows, the
 * header stack's order and the prerequisites it implies (each item as "any
 * packet with this header"), and every mask within what its item can
 * match. A rule's values are checked when it is enqueued, by the walker.
 */
int
emunic_items_check_template(const struct fw_caps *caps, bool transfer,
                            const struct rte_flow_item pattern[],
                            struct rte_flow_error *error)
{
    const struct rte_flow_attr attr = {
        .ingress = !transfer,
        .transfer = transfer,
    };
    struct emunic_xlate_ctx ctx = { .caps = caps };
    struct emunic_xlate scratch;
    struct emunic_walk w;
    int ret = 0;

    memset(&scratch, 0, sizeof(scratch));
    scratch.count_idx = -1;
    scratch.rss_idx = -1;
    memset(&w, 0, sizeof(w));
    w.ctx = &ctx;
    w.attr = &attr;
    w.x = &scratch;
    w.last_proto = EMUNIC_P_START;
    w.push_vlan_idx = -1;
    for (const struct rte_flow_item *it = pattern;
         it->type != RTE_FLOW_ITEM_TYPE_END; it++) {
        struct rte_flow_item bare = { .type = it->type };

        ret = emunic_item_convert(&w, &bare, error);
        if (ret < 0) {
            /* point at the application's item, not at the copy */
            if (error != NULL && error->cause == &bare)
                error->cause = it;
            return ret;
        }
        if (it->type == RTE_FLOW_ITEM_TYPE_VOID || it->mask == NULL)
            continue;
        /* convert accepted the type: it is in the item table */
        ret = emunic_item_mask_check(it, error);
        if (ret < 0)
            return ret;
    }
    return 0;
}
