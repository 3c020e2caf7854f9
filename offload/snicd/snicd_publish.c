/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software datapath's publish (dp_commit) beside the offload
 * manager's placement, for large batches.
 *
 * A commit of a batch does two independent things: the offload manager
 * places the batch's flows and hands the card its rules, and the software
 * datapath publishes a snapshot with them. Neither reads what the other
 * writes: the manager keeps its own records and reads the flow table,
 * the publish touches only the classifier. On one thread they took turns
 * (at 100,000 offloaded flows, a fifth of the adds' time was the
 * publish, mostly building the classifier's copies) while the second
 * core of a host, and any card's own processor, waited. A batch of many
 * changes now publishes on a thread of its own; the control thread does
 * not touch the datapath's writer side until it joins it, and the one
 * way the manager reaches the datapath during its commit, a new mark
 * table (marks_changed, snicd_main.c), joins first.
 *
 * A thread per large batch, not a pool: creating and joining one costs
 * tens of microseconds against milliseconds of publish, and nothing
 * stays behind between batches.
 */
#include <pthread.h>

#include "snicd.h"

/* Changes since the last commit below which the publish stays on the
 * control thread: a small publish costs less than the thread. */
#define PUBLISH_ASIDE_MIN   256u

static void *
publish_run(void *arg)
{
    struct snicd *d = arg;

    /* the control thread lends the datapath's writer side to this thread
     * until it joins it (the top of this file) */
    snic_role_enter(&snic_control);
    d->publish_rc = dp_commit(d->dp);
    return NULL;
}

void
snicd_publish_begin(struct snicd *d, bool beside)
    SNIC_REQUIRES(snic_control)
{
    size_t n = d->uncommitted;

    d->uncommitted = 0;
    d->publish_rc = 0;
    if (beside && n >= PUBLISH_ASIDE_MIN
        && pthread_create(&d->publish_thread, NULL, publish_run, d) == 0) {
        (void)pthread_setname_np(d->publish_thread, "snicd-publish");
        d->publish_aside = true;
        return;
    }
    d->publish_rc = dp_commit(d->dp);
}

void
snicd_publish_join(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    if (!d->publish_aside)
        return;
    (void)pthread_join(d->publish_thread, NULL);
    d->publish_aside = false;
}

int
snicd_publish_end(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    int rc;

    snicd_publish_join(d);
    rc = d->publish_rc;
    d->publish_rc = 0;
    return rc;
}
