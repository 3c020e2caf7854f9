/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow ops: validate, create, destroy, flush, query (COUNT), isolate.
 *
 * Create = translate (the same walker validate runs) + the device objects
 * the rule needs (tables for its group and its JUMP targets, a counter) +
 * RULE_ADD. Anything the device refuses is mapped back onto the item or
 * action it names, and the steps already done are undone (counter freed,
 * new tables destroyed) so a failed create leaves the card as it was; a
 * dead card is EIO; rules from before a firmware reset are known lost
 * (their generation is old) and only their memory is freed.
 *
 * Handles: each port keeps its live flows on a list (flush and close walk
 * it) and in an address-keyed hash index (common/snic_hmap.h), so destroy
 * costs O(1) with 100,000s of flows and refuses, without touching it, a
 * handle that is not one of the port's live flows (another port's,
 * destroyed already, or garbage).
 *
 * The template/async API (emunic_flow_template.c, emunic_flow_async.c)
 * runs the same translation per rule and makes the same handles: a rule
 * created either way is on the same list and index, and either path
 * destroys it once no flow queue operation owns it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <ethdev_driver.h>
#include <rte_flow_driver.h>

#include "emunic.h"

/* -ENODEV: not a port of this switch. -ENXIO: one of ours whose VF left
 * the card (marked gone, RMV raised, not closed yet): its vport number may
 * already belong to the VF created again, behind a new representor, and a
 * stale port id must never reach that new function. */
static int
flow_resolve(void *opaque, uint32_t port_id, uint16_t *vport)
{
    struct emunic_adapter *ad = opaque;
    struct emunic_port *p;
    struct rte_eth_dev *dev;

    if (port_id >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(port_id))
        return -ENODEV;
    dev = &rte_eth_devices[port_id];
    if (dev->rx_pkt_burst != emunic_rx_burst || dev->data->dev_private == NULL)
        return -ENODEV;
    p = dev->data->dev_private;
    if (p->ad != ad || (p->role != EMUNIC_ROLE_PF &&
                        p->role != EMUNIC_ROLE_REP))
        return -ENODEV;
    if (__atomic_load_n(&p->gone, __ATOMIC_ACQUIRE))
        return -ENXIO;
    *vport = p->vport;
    return 0;
}

int
emunic_flow_role_check(struct rte_eth_dev *dev,
                       struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;

    if (p->role == EMUNIC_ROLE_VF || p->role == EMUNIC_ROLE_UPLINK)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                               NULL, "port %u is a %s port: only the PF "
                               "(eSwitch manager) and its representors "
                               "program steering rules", dev->data->port_id,
                               p->role == EMUNIC_ROLE_VF ? "VF" : "uplink");
    return 0;
}

int
emunic_flow_dead(struct emunic_adapter *ad, struct rte_flow_error *error)
{
    return emunic_flow_err(error, EIO, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                           "the card behind %s is not answering (firmware "
                           "dead or emunic gone): flow operations are "
                           "impossible until the device is re-probed",
                           ad->path);
}

/* ------------------------------------------------------------------------
 * Handle index (caller holds ad->lock)
 * ------------------------------------------------------------------------ */

/* The address's value only: the handle is never read before it is known
 * to be a live one. Not mixed: handles made one after the other lie one
 * after the other in memory (emunic_handle.c: 64 bytes apart), and the
 * address over 16-byte alignment puts them in buckets a few apart, so a
 * table's worth of creates, or of destroys in the list's order (the lost
 * handles after a firmware reset), walks the bucket array instead of
 * missing the cache and the TLB a handle: mixed, the index's inserts and
 * lookups were 15% of a 1,000,000-rule recovery (issue #13). Two live
 * handles never share the value; they share a bucket only when their
 * addresses are a multiple of 16 x buckets apart. */
static uint64_t
flow_index_hash(const struct rte_flow *f)
{
    return (uint64_t)(uintptr_t)f >> 4;
}

/* Build the index from the list with room for @want handles: used after
 * a flush dropped it. */
static int
flow_index_build(struct emunic_port *p, uint32_t want)
{
    struct rte_flow *f;

    snic_hmap_init(&p->flow_index);
    if (snic_hmap_reserve(&p->flow_index, want) < 0)
        return -ENOMEM;
    TAILQ_FOREACH(f, &p->flows, next)
        snic_hmap_insert(&p->flow_index, &f->hnode, flow_index_hash(f));
    p->flow_indexed = true;
    return 0;
}

/* Make sure @more handles fit without allocating; the list is the truth
 * when there is no index yet (first create, or a flush dropped it). */
int
emunic_flow_index_reserve(struct emunic_port *p, uint32_t more)
{
    struct snic_hmap grown;
    struct rte_flow *f;
    size_t want;

    if (!p->flow_indexed) {
        uint32_t count = 0;

        TAILQ_FOREACH(f, &p->flows, next)
            count++;
        return flow_index_build(p, count + more);
    }
    want = snic_hmap_count(&p->flow_index) + more;
    if (want <= snic_hmap_buckets(&p->flow_index))
        return 0;
    /* Grown from the list, not from the old buckets: the list has the
     * handles in the order they were made, near each other in memory,
     * where the buckets' order is a cache and TLB miss a handle (a fifth
     * of a 100,000-rule recovery went into one such growth). The old
     * index stays if there is no memory for the new one. @want is past
     * the buckets, so the map at least doubles, to one handle a bucket
     * at most as every snic_hmap keeps (room for twice @want quadrupled
     * it: at 1,000,000 handles 2^21 buckets, 16 bytes a handle, #13). */
    snic_hmap_init(&grown);
    if (snic_hmap_reserve(&grown, want) < 0)
        return -ENOMEM;
    TAILQ_FOREACH(f, &p->flows, next)
        snic_hmap_insert(&grown, &f->hnode, flow_index_hash(f));
    snic_hmap_fini(&p->flow_index);
    p->flow_index = grown;
    return 0;
}

/* Whether @flow is one of the port's live handles: compares addresses
 * only, so a bogus or freed @flow is never read. */
bool
emunic_flow_index_has(const struct emunic_port *p, const struct rte_flow *flow)
{
    struct rte_flow *f;

    if (!p->flow_indexed)
        return false;
    SNIC_HMAP_FOR_EACH_WITH_HASH(f, hnode, flow_index_hash(flow),
                                 &p->flow_index)
        if (f == flow)
            return true;
    return false;
}

void
emunic_flow_index_add(struct emunic_port *p, struct rte_flow *flow)
{
    snic_hmap_insert(&p->flow_index, &flow->hnode, flow_index_hash(flow));
}

/* A flush drops the index: on the close path the ethdev layer frees the
 * handles a failed flush left on the list without telling us, and there is
 * then nothing here to leak or to point at them. */
static void
flow_index_drop(struct emunic_port *p)
{
    snic_hmap_clear(&p->flow_index);
    p->flow_indexed = false;
}

int
emunic_flow_translate_dev(struct rte_eth_dev *dev,
                          const struct rte_flow_attr *attr,
                          const struct rte_flow_item items[],
                          const struct rte_flow_action actions[],
                          struct emunic_xlate *x, struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_xlate_ctx ctx = {
        .caps = &p->ad->caps,
        .port_vport = p->vport,
        .nb_rx_queues = dev->data->nb_rx_queues,
        .resolve = flow_resolve,
        .opaque = p->ad,
    };
    int ret;

    ret = emunic_flow_role_check(dev, error);
    if (ret < 0)
        return ret;
    /* a rule on a gone representor would act for its vport, which a VF
     * that came back may own again */
    if (__atomic_load_n(&p->gone, __ATOMIC_ACQUIRE))
        return emunic_flow_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                               NULL, "port %u is gone (its VF left the "
                               "card): close it; a VF that came back has a "
                               "new representor port", dev->data->port_id);
    if (!emunic_adapter_alive(p->ad))
        return emunic_flow_dead(p->ad, error);
    return emunic_flow_translate(&ctx, attr, items, actions, x, error);
}

static int
emunic_flow_validate(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
                     const struct rte_flow_item items[],
                     const struct rte_flow_action actions[],
                     struct rte_flow_error *error)
{
    return emunic_flow_translate_dev(dev, attr, items, actions, NULL, error);
}

/* Status/transport result of one command as an rte_flow error. */
static int
flow_cmd(struct emunic_adapter *ad, uint16_t opcode, void *in, size_t in_size,
         void *out, size_t out_size, uint8_t *status, uint32_t *synd,
         struct rte_flow_error *error)
    SNIC_REQUIRES(ad->lock)
{
    int ret;

    *status = 0;
    *synd = 0;
    ret = emunic_adapter_exec_locked(ad, opcode, in, in_size, out, out_size,
                                     status, synd);
    if (ret < 0)
        return emunic_flow_dead(ad, error);
    return 0;
}

/* Device table for @group, created on demand; level = group number. */
int
emunic_flow_group_get_locked(struct emunic_adapter *ad, uint32_t group,
               const struct rte_flow_action *jump, struct rte_flow_error *error)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_table_create_in in = { .group = group, .level = group };
    struct fw_out_hdr out;
    uint8_t status;
    uint32_t synd;
    char sbuf[96];
    int ret;

    if (group == 0)
        return 0;
    for (uint32_t i = 0; i < ad->n_groups; i++)
        if (ad->groups[i] == group)
            return 0;
    if (ad->n_groups >= EMUNIC_MAX_GROUPS)
        return emunic_flow_err(error, ENOSPC, RTE_FLOW_ERROR_TYPE_ATTR_GROUP,
                               NULL, "net_emunic tracks at most %u groups",
                               EMUNIC_MAX_GROUPS);
    ret = flow_cmd(ad, FW_CMD_TABLE_CREATE, &in, sizeof(in), &out,
                   sizeof(out), &status, &synd, error);
    if (ret < 0)
        return ret;
    if (status != FW_STATUS_OK && status != FW_STATUS_EXISTS) {
        int code = status == FW_STATUS_NO_SPACE ? ENOSPC :
                   fw_status_errno(status);

        return emunic_flow_err(error, code > 0 ? code : EIO,
                               jump ? RTE_FLOW_ERROR_TYPE_ACTION :
                               RTE_FLOW_ERROR_TYPE_ATTR_GROUP, jump,
                               "cannot create the device table for group "
                               "%u: %s (%s)", group, fw_status_str(status),
                               fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
    }
    ad->groups[ad->n_groups++] = group;
    return 0;
}

static void
flow_counter_free(struct emunic_adapter *ad, uint32_t id)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_counter_free_in in = { .base_id = id, .count = 1 };
    struct fw_out_hdr out;
    uint8_t status;
    uint32_t synd;

    (void)emunic_adapter_exec_locked(ad, FW_CMD_COUNTER_FREE, &in, sizeof(in),
                                     &out, sizeof(out), &status, &synd);
}

static void
flow_rule_delete_quiet(struct emunic_adapter *ad, uint32_t rule_id)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_rule_delete_in in = { .rule_id = rule_id };
    struct fw_out_hdr out;
    uint8_t status;
    uint32_t synd;

    (void)emunic_adapter_exec_locked(ad, FW_CMD_RULE_DELETE, &in, sizeof(in),
                                     &out, sizeof(out), &status, &synd);
}

/* Undo the tables a failed create made: groups[from..] are empty (no rule
 * of ours reached them), so a later create for them starts clean. */
static void
flow_groups_rollback(struct emunic_adapter *ad, uint32_t from)
    SNIC_REQUIRES(ad->lock)
{
    while (ad->n_groups > from) {
        struct fw_table_destroy_in in = {
            .group = ad->groups[--ad->n_groups],
        };
        struct fw_out_hdr out;
        uint8_t status;
        uint32_t synd;

        (void)emunic_adapter_exec_locked(ad, FW_CMD_TABLE_DESTROY, &in,
                                         sizeof(in), &out, sizeof(out),
                                         &status, &synd);
    }
}

/*
 * True when the card went through a firmware reset since @gen (caller holds
 * ad->lock): whatever a create in progress put into the card is gone or
 * unknowable, so that, not the command that happened to fail, is the error.
 */
static bool
flow_reset_raced(struct emunic_adapter *ad, uint32_t gen,
                 struct rte_flow_error *error)
    SNIC_REQUIRES(ad->lock)
{
    emunic_adapter_sync_locked(ad);
    if (ad->generation == gen)
        return false;
    emunic_flow_err(error, EAGAIN, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
                    "the card went through a firmware reset while the rule "
                    "was being installed; nothing of it is left: create it "
                    "again");
    return true;
}

static struct rte_flow *
emunic_flow_create(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
                   const struct rte_flow_item items[],
                   const struct rte_flow_action actions[],
                   struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_adapter *ad = p->ad;
    struct fw_counter_alloc_in cin = { .count = 1 };
    struct fw_counter_alloc_out cout;
    struct fw_rule_add_out rout;
    struct rte_flow *flow = NULL;
    struct emunic_xlate x;
    uint32_t gen, n_groups0;
    uint8_t status;
    uint32_t synd;
    char sbuf[96];
    int ret;

    if (emunic_flow_translate_dev(dev, attr, items, actions, &x, error) < 0)
        return NULL;
    flow = emunic_handle_new();
    if (flow == NULL) {
        emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_HANDLE, NULL,
                        "out of memory for the flow handle");
        return NULL;
    }
    /* a reset not noticed yet would leave our table cache stale; a dead
     * card is noticed by the commands below (and reported by the check on
     * the way out), so no poll of the socket per rule here */
    emunic_adapter_check_quick(ad);
    snic_mutex_lock(&ad->lock);
    snic_mutex_held(&p->ad->lock);      /* the same lock */
    emunic_adapter_sync_locked(ad);
    gen = ad->generation;
    n_groups0 = ad->n_groups;
    /* before the card is touched: nothing to undo if the index cannot grow */
    if (emunic_flow_index_reserve(p, 1) < 0 ||
        (x.count_idx >= 0 && emunic_ctr_reserve(ad, 1) < 0)) {
        emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_HANDLE, NULL,
                        "out of memory for the port's flow index or the "
                        "counter cache");
        goto destroy_tables;
    }
    /* keep_rules: the very rule an earlier driver left is taken over, so
     * traffic through it never stops (emunic_adopt.c) */
    if (emunic_orphan_adopt_locked(p, &x.rule, x.count_idx, flow))
        goto link;
    if (emunic_flow_group_get_locked(ad, attr->group, NULL, error) < 0)
        goto destroy_tables;
    for (unsigned i = 0; i < x.n_jumps; i++) {
        const struct rte_flow_action *src = NULL;

        for (unsigned k = 0; k < x.rule.n_actions; k++)
            if (x.rule.actions[k].type == FW_ACT_JUMP)
                src = x.act_src[k];
        if (emunic_flow_group_get_locked(ad, x.jump_group[i], src, error) < 0)
            goto destroy_tables;
    }
    if (x.count_idx >= 0) {
        if (flow_cmd(ad, FW_CMD_COUNTER_ALLOC, &cin, sizeof(cin), &cout,
                     sizeof(cout), &status, &synd, error) < 0)
            goto destroy_tables;
        if (status != FW_STATUS_OK) {
            ret = fw_status_errno(status);
            emunic_flow_err(error, status == FW_STATUS_NO_SPACE ? ENOSPC :
                            (ret > 0 ? ret : EIO), RTE_FLOW_ERROR_TYPE_ACTION,
                            x.act_src[x.count_idx], "COUNT: %s: %s (%s)",
                            status == FW_STATUS_NO_SPACE ?
                            "no device counter left" :
                            "the device did not allocate a counter",
                            fw_status_str(status),
                            fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
            goto destroy_tables;
        }
        flow->counter_id = cout.base_id;
        flow->has_counter = true;
        x.rule.actions[x.count_idx].u.count.counter_id = cout.base_id;
    }
    if (x.rss_idx >= 0) {
        ret = emunic_rss_ctx_create_locked(ad, &x.rss, &flow->rss_ctx,
                                           &status, &synd);
        if (ret < 0 && status == FW_STATUS_OK) {
            emunic_flow_dead(ad, error);
            goto free_counter;
        }
        if (ret < 0) {
            emunic_flow_err(error, status == FW_STATUS_NO_SPACE ? ENOSPC :
                            -ret, RTE_FLOW_ERROR_TYPE_ACTION,
                            x.act_src[x.rss_idx], "RSS: the device did not "
                            "take the hash configuration: %s (%s)",
                            fw_status_str(status),
                            fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
            goto free_counter;
        }
        x.rule.actions[x.rss_idx].u.rss.ctx_id = flow->rss_ctx;
    }
    if (flow_cmd(ad, FW_CMD_RULE_ADD, &x.rule, emunic_rule_in_size(&x.rule),
                 &rout, sizeof(rout), &status, &synd, error) < 0)
        goto free_rss;
    if (status != FW_STATUS_OK) {
        emunic_flow_refusal(&x, status, synd, error);
        goto free_rss;
    }
    if (flow_reset_raced(ad, gen, error)) {
        /* the card may hold the rule (reset first) or not (reset after):
         * only we add rules on this card, so its id names nothing else */
        flow_rule_delete_quiet(ad, rout.rule_id);
        goto free_rss;
    }
    flow->rule_id = rout.rule_id;
    flow->generation = gen;
link:
    if (flow->has_counter)
        emunic_ctr_add(ad, flow);
    TAILQ_INSERT_TAIL(&p->flows, flow, next);
    emunic_flow_index_add(p, flow);
    snic_mutex_unlock(&ad->lock);
    return flow;

    /* Undo in reverse. Nothing of a failed create stays in the card: its
     * counter is freed and the tables it made are destroyed, unless a reset
     * already took them (then the reset is the error to report). */
free_rss:
    if (flow->rss_ctx != 0 && !flow_reset_raced(ad, gen, error))
        emunic_rss_ctx_destroy_locked(ad, flow->rss_ctx);
free_counter:
    if (flow->has_counter && !flow_reset_raced(ad, gen, error))
        flow_counter_free(ad, flow->counter_id);
destroy_tables:
    if (!flow_reset_raced(ad, gen, error))
        flow_groups_rollback(ad, n_groups0);
    snic_mutex_unlock(&ad->lock);
    emunic_handle_free(flow);
    /* raise INTR_RESET now if this create is what noticed the reset */
    emunic_adapter_check(ad);
    return NULL;
}

/* What a rule held besides itself, once the card no longer has the rule
 * (deleted, or lost in a reset: @in_card false), and the handle. A pooled
 * counter (template API, emunic_flow_async.c) goes back to its port's pool
 * to be zeroed before reuse instead of being freed on the card. */
void
emunic_flow_release_locked(struct emunic_port *p, struct rte_flow *flow,
                           bool in_card)
    SNIC_REQUIRES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;

    snic_mutex_held(&ad->lock);         /* it is p->ad->lock */
    if (in_card && flow->has_counter && !flow->ctr_freed) {
        if (flow->ctr_pooled)
            emunic_cpool_put_locked(p, flow->counter_id, flow->generation);
        else
            flow_counter_free(ad, flow->counter_id);
    }
    if (in_card && flow->rss_ctx != 0)
        emunic_rss_ctx_destroy_locked(ad, flow->rss_ctx);
    if (flow->has_counter)
        emunic_ctr_del(ad, flow);
    if (flow->table != NULL)
        emunic_table_flow_gone(flow->table);
    TAILQ_REMOVE(&p->flows, flow, next);
    /* every flow on the list is in the index whenever there is one */
    if (p->flow_indexed)
        snic_hmap_remove(&p->flow_index, &flow->hnode);
    emunic_handle_free(flow);
}

/* Remove @flow from the device (caller holds ad->lock). */
static int
flow_remove_locked(struct emunic_port *p, struct rte_flow *flow,
                   struct rte_flow_error *error)
    SNIC_REQUIRES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;
    struct fw_rule_delete_in in = { .rule_id = flow->rule_id };
    struct fw_out_hdr out;
    bool in_card = false, ctr_freed = false;
    uint8_t status;
    uint32_t synd;
    char sbuf[96];

    snic_mutex_held(&ad->lock);         /* it is p->ad->lock */
    /* an operation on a flow queue owns it until rte_flow_pull reports it */
    if (flow->astate != EMUNIC_FLOW_LIVE)
        return emunic_flow_err(error, EBUSY, RTE_FLOW_ERROR_TYPE_HANDLE, flow,
                               "the flow's %s is still on a flow queue: "
                               "rte_flow_push and rte_flow_pull it first",
                               flow->astate == EMUNIC_FLOW_CREATING ?
                               "creation" : "destruction");
    emunic_adapter_sync_locked(ad);
    if (flow->generation == ad->generation) {
        if (!emunic_adapter_alive(ad))
            return emunic_flow_dead(ad, error);
        if (flow->has_counter && !flow->ctr_pooled) {
            /* The rule and its counter in one wait, not two round trips.
             * In order: the card refuses to free a counter a rule still
             * holds (BUSY), so a refused delete frees nothing and the flow
             * stays whole; a rule the card no longer has (BAD_RESOURCE)
             * leaves the counter free to go, as before. */
            struct fw_counter_free_in fin = {
                .base_id = flow->counter_id, .count = 1,
            };
            struct fw_out_hdr fout;
            struct emunic_cmd cmds[2] = {
                { .opcode = FW_CMD_RULE_DELETE, .in = &in,
                  .in_size = sizeof(in), .out = &out,
                  .out_size = sizeof(out) },
                { .opcode = FW_CMD_COUNTER_FREE, .in = &fin,
                  .in_size = sizeof(fin), .out = &fout,
                  .out_size = sizeof(fout) },
            };

            if (emunic_adapter_exec_batch_locked(ad, cmds, 2) < 0)
                return emunic_flow_dead(ad, error);
            status = cmds[0].status;
            synd = cmds[0].synd;
            ctr_freed = true;
        } else if (flow_cmd(ad, FW_CMD_RULE_DELETE, &in, sizeof(in), &out,
                            sizeof(out), &status, &synd, error) < 0) {
            return -EIO;
        }
        /* BAD_RESOURCE: the device no longer has it; that is the goal */
        if (status != FW_STATUS_OK && status != FW_STATUS_BAD_RESOURCE) {
            int code = fw_status_errno(status);

            return emunic_flow_err(error, code > 0 ? code : EIO,
                                   RTE_FLOW_ERROR_TYPE_HANDLE, flow,
                                   "device refused to delete rule %u: %s "
                                   "(%s)", flow->rule_id,
                                   fw_status_str(status),
                                   fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
        }
        in_card = true;
    }
    flow->ctr_freed = ctr_freed;
    emunic_flow_release_locked(p, flow, in_card);
    return 0;
}

static int
emunic_flow_destroy(struct rte_eth_dev *dev, struct rte_flow *flow,
                    struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    int ret;

    if (flow == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE,
                               NULL, "NULL flow handle");
    snic_mutex_lock(&p->ad->lock);
    /* a flush dropped the index: bring it back so the check below holds */
    ret = emunic_flow_index_reserve(p, 0);
    if (ret < 0) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_HANDLE,
                               flow, "out of memory for the port's flow "
                               "index");
    }
    if (!emunic_flow_index_has(p, flow)) {
        snic_mutex_unlock(&p->ad->lock);
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, flow,
                               "not a live flow of port %u: destroyed "
                               "already, created on another port, or not "
                               "a flow handle", dev->data->port_id);
    }
    ret = flow_remove_locked(p, flow, error);
    snic_mutex_unlock(&p->ad->lock);
    return ret;
}

int
emunic_flow_flush_port(struct emunic_port *p, struct rte_flow_error *error)
{
    struct rte_flow *f;
    int ret = 0;

    snic_mutex_lock(&p->ad->lock);
    /* a flow a queued operation owns stops the flush before it starts,
     * not halfway through the list */
    TAILQ_FOREACH(f, &p->flows, next)
        if (f->astate != EMUNIC_FLOW_LIVE) {
            snic_mutex_unlock(&p->ad->lock);
            return emunic_flow_err(error, EBUSY, RTE_FLOW_ERROR_TYPE_HANDLE,
                                   f, "a flow's %s is still on a flow "
                                   "queue: rte_flow_push and rte_flow_pull "
                                   "it first; nothing was flushed",
                                   f->astate == EMUNIC_FLOW_CREATING ?
                                   "creation" : "destruction");
        }
    while ((f = TAILQ_FIRST(&p->flows)) != NULL) {
        ret = flow_remove_locked(p, f, error);
        if (ret < 0)
            break;
    }
    flow_index_drop(p);
    snic_mutex_unlock(&p->ad->lock);
    return ret;
}

void
emunic_flow_forget_port(struct emunic_port *p)
{
    struct rte_flow *f;

    snic_mutex_lock(&p->ad->lock);
    while ((f = TAILQ_FIRST(&p->flows)) != NULL) {
        TAILQ_REMOVE(&p->flows, f, next);
        if (f->has_counter)
            emunic_ctr_del(p->ad, f);
        if (f->table != NULL)
            emunic_table_flow_gone(f->table);
        emunic_handle_free(f);
    }
    flow_index_drop(p);
    snic_mutex_unlock(&p->ad->lock);
}

static int
emunic_flow_flush(struct rte_eth_dev *dev, struct rte_flow_error *error)
{
    int ret = emunic_flow_role_check(dev, error);

    return ret < 0 ? ret : emunic_flow_flush_port(dev->data->dev_private,
                                                  error);
}

/* COUNT through the adapter's counter cache (emunic_counter.c): exact for
 * reset=1, at most counter_refresh_ms old otherwise. */
static int
emunic_flow_query(struct rte_eth_dev *dev, struct rte_flow *flow,
                  const struct rte_flow_action *action, void *data,
                  struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_adapter *ad = p->ad;
    struct rte_flow_query_count *qc = data;
    struct fw_counter_value val;
    uint8_t status;
    uint32_t synd;
    char sbuf[96];
    int ret;

    if (action->type != RTE_FLOW_ACTION_TYPE_COUNT)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
                               action, "only COUNT can be queried");
    snic_mutex_lock(&ad->lock);
    /* the handle is read only once it is known to be one of ours */
    if (emunic_flow_index_reserve(p, 0) < 0 ||
        !emunic_flow_index_has(p, flow) ||
        flow->astate == EMUNIC_FLOW_CREATING) {
        snic_mutex_unlock(&ad->lock);
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE,
                               flow, "not a live flow of port %u",
                               dev->data->port_id);
    }
    if (!flow->has_counter) {
        snic_mutex_unlock(&ad->lock);
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                               action, "the flow has no COUNT action");
    }
    emunic_adapter_sync_locked(ad);
    if (flow->generation != ad->generation) {
        snic_mutex_unlock(&ad->lock);
        return emunic_flow_err(error, EIO, RTE_FLOW_ERROR_TYPE_HANDLE, flow,
                               "the rule and its counter were lost in a "
                               "firmware reset; re-create the flow");
    }
    memset(&val, 0, sizeof(val));
    ret = emunic_ctr_query(ad, flow, qc->reset != 0, &val, &status, &synd);
    /* a reset during the read makes whatever it read meaningless */
    if (ret == 0 && emunic_adapter_sync_locked(ad)) {
        snic_mutex_unlock(&ad->lock);
        return emunic_flow_err(error, EIO, RTE_FLOW_ERROR_TYPE_HANDLE, flow,
                               "the rule and its counter were lost in a "
                               "firmware reset; re-create the flow");
    }
    snic_mutex_unlock(&ad->lock);
    if (ret < 0)
        return emunic_flow_dead(ad, error);
    if (status != FW_STATUS_OK) {
        ret = fw_status_errno(status);
        return emunic_flow_err(error, ret > 0 ? ret : EIO,
                               RTE_FLOW_ERROR_TYPE_ACTION, action,
                               "counter query refused: %s (%s)",
                               fw_status_str(status),
                               fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
    }
    qc->hits_set = 1;
    qc->bytes_set = 1;
    qc->hits = val.packets;
    qc->bytes = val.bytes;
    return 0;
}

static int
emunic_flow_isolate(struct rte_eth_dev *dev, int set,
                    struct rte_flow_error *error)
{
    int ret = emunic_flow_role_check(dev, error);

    if (ret < 0)
        return ret;
    if (set)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                               NULL, "isolated mode is not supported: the "
                               "card delivers every steering miss to the "
                               "representor; add a lowest-priority DROP "
                               "rule to get the same effect");
    return 0;
}

const struct rte_flow_ops emunic_flow_ops = {
    .validate = emunic_flow_validate,
    .create = emunic_flow_create,
    .destroy = emunic_flow_destroy,
    .flush = emunic_flow_flush,
    .query = emunic_flow_query,
    .isolate = emunic_flow_isolate,
    /* the template/async API: emunic_flow_template.c, emunic_flow_async.c */
    .info_get = emunic_flow_info_get,
    .configure = emunic_flow_configure,
    .pattern_template_create = emunic_pattern_template_create,
    .pattern_template_destroy = emunic_pattern_template_destroy,
    .actions_template_create = emunic_actions_template_create,
    .actions_template_destroy = emunic_actions_template_destroy,
    .template_table_create = emunic_template_table_create,
    .template_table_destroy = emunic_template_table_destroy,
    .async_create = emunic_flow_async_create,
    .async_destroy = emunic_flow_async_destroy,
    .push = emunic_flow_push,
    .pull = emunic_flow_pull,
};
