/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn(...) on the control thread: the flows the workers queued
 * (include/snic/dp.h, "learn") go into the one flow table, through the
 * same listener as add-flow's, so the datapath and the card get them as
 * any other flow. A flow learned again unchanged only restarts its hard
 * timeout (flow_table_learn()): nothing is republished or re-offloaded.
 * The same rings carry fin_timeout's requests (a flow saw a TCP FIN or
 * RST: its timeouts shorten, flow_table_fin_timeout()).
 */
#include <errno.h>
#include <string.h>

#include "snicd.h"
#include "snicd_log.h"

struct learn_ctx {
    struct snicd *d;
    uint64_t now;
    bool changed;
};

static void
apply_one(void *ctx, const struct flow_mod *fm)
{
    struct learn_ctx *lc = ctx;
    struct flow_mod fit = *fm;
    char msg[200];
    int rc = snicd_tlv_fit(lc->d, &fit, msg, sizeof(msg));

    if (rc < 0) {
        /* a tun_metadata option unmapped since the packet went through */
        snicd_log(SNICD_LOG_DEBUG, "learned flow in table %u not added: %s",
                  fm->flow.table_id, msg);
        return;
    }
    rc = flow_table_learn(lc->d->table, &fit, lc->now);

    if (rc == -ENOSPC) {
        /* learn(limit=N): the table holds N flows of its cookie already */
        snicd_log(SNICD_LOG_DEBUG, "learned flow in table %u not added: "
                  "the learn's limit of %u flows with cookie 0x%llx is "
                  "reached", fm->flow.table_id, fm->learn_limit,
                  (unsigned long long)fm->flow.cookie);
        return;
    }
    if (rc < 0) {
        /* the flow table refuses what an add-flow would be refused for
         * (a goto_table backwards cannot come from learn) */
        snicd_log(SNICD_LOG_DEBUG, "learned flow in table %u not added: %s",
                  fm->flow.table_id, strerror(-rc));
        return;
    }
    lc->d->learn_applied++;
    lc->changed |= rc > 0;
}

/* fin_timeout: a flow that saw a TCP FIN or RST (it may be gone by now) */
static void
apply_fin(void *ctx, uint64_t id, uint16_t idle, uint16_t hard)
{
    struct learn_ctx *lc = ctx;

    lc->changed |= flow_table_fin_timeout(lc->d->table, id, idle, hard) > 0;
}

size_t
snicd_learn_drain(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    struct learn_ctx lc = { .d = d, .now = snic_now_ns() };
    size_t n;

    if (d->dp == NULL || d->staging)
        return 0;
    n = dp_learn_drain(d->dp, apply_one, apply_fin, &lc);
    if (lc.changed)
        snicd_core_commit(d);
    return n;
}
