/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NORMAL's known unicast conversations on the control thread
 * (docs/snicd.md, "NORMAL in hardware"): the workers queue what NORMAL
 * decided (include/snic/dp.h, struct dp_conv), the offload manager makes
 * a rule of it (snicd_offload_conv.c), and this file keeps those rules
 * honest against the learning table:
 *
 *  - a conversation is given to the card only while the FDB still says
 *    what the frame saw (its source on its ingress port, its destination
 *    on the port it went to): one queued before a move is stale;
 *  - each turn (<= 100 ms) a rule whose FDB entries changed (aged out,
 *    moved, flushed, a port reconfigured or gone, which forgets its
 *    entries) leaves the card, so the next frame reaches software,
 *    which floods or re-learns as it would have;
 *  - the rules' counters are read with the flows' hardware counters
 *    (once a second, and for a dump-flows: snicd_core_read_hw), so a
 *    flow's n_packets has its conversations' frames as of the same
 *    moment as its own rule's; a rule that counted frames refreshes its
 *    source's age as those frames would have in software, so a
 *    conversation the card alone carries does not age out, and one that
 *    stopped ages out as in software (its rule goes sooner, idle:
 *    snicd_offload_conv.c);
 *  - room a rule left goes to flows waiting for room before the next
 *    conversation is asked (snicd_offload_room_freed).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "snicd.h"
#include "snicd_log.h"

static bool
fdb_backs(struct snicd *d, const struct dp_conv *c)
{
    return dp_fdb_port(d->dp, c->src, c->vlan) == c->in_port
           && dp_fdb_port(d->dp, c->dst, c->vlan) == c->out_port;
}

static void
apply_one(void *ctx, const struct dp_conv *c)
{
    struct snicd *d = ctx;
    char why[SNICD_REASON_SIZE];
    int rc;

    if (!fdb_backs(d, c)) {
        d->normal_stale++;
        return;
    }
    rc = snicd_offload_conv_add(d->offload, c, why, sizeof(why));
    if (rc < 0) {
        d->normal_refused++;
        snicd_log(SNICD_LOG_DEBUG, "NORMAL conversation of flow %" PRIu64
                  " from port %u to port %u stays in software: %s",
                  c->flow_id, c->in_port, c->out_port, why);
    }
}

void
snicd_normal_drain(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    if (d->dp == NULL || d->offload == NULL || d->staging
        || d->normal_rules == 0)
        return;
    /* room the last turn's conversations left goes to the flows that
     * wait for it before a new conversation is asked (those are held
     * until then: snicd_offload_conv_add) */
    if (snicd_offload_room_freed(d->offload) < 0)
        snicd_log(SNICD_LOG_DEBUG, "retrying flows waiting for room failed");
    (void)dp_conv_drain(d->dp, apply_one, d);
}

struct walk {
    struct snicd *d;
};

static bool
keep_one(void *ctx, const struct dp_conv *c, uint64_t moved, uint64_t pkts)
{
    struct walk *w = ctx;

    (void)pkts;
    if (!fdb_backs(w->d, c))
        return false;
    /* the card switched frames from c->src: seen now, as in software */
    if (moved > 0 && dp_fdb_touch(w->d->dp, c->src, c->vlan,
                                  c->in_port) < 0)
        return false;
    return true;
}

void
snicd_normal_revalidate(struct snicd *d, bool read)
    SNIC_REQUIRES(snic_control)
{
    struct walk w = { .d = d };

    if (d->dp == NULL || d->offload == NULL)
        return;
    (void)snicd_offload_conv_walk(d->offload, read, keep_one, &w);
}
