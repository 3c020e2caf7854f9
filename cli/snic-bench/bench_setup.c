/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow setup: N flows from the first request to the daemon reporting them
 * placed (in hardware on the offload path, in the software datapath on the
 * other), in add-flows batches of o->batch. The clock runs across all
 * batches back to back, as a controller pushing a flow set would see it;
 * each batch's request-to-reply time gives the latency percentiles.
 * With --in-flight N (default 1) up to N requests are sent before the
 * first reply is read, so snicd finds the next batch waiting when it
 * answers one (a controller pipelines so); a batch's latency then runs
 * from the later of its request and the reply before it (when snicd
 * could start on it) to its own reply.
 * Then every flow's actions are modified by one loose mod-flows (request
 * to reply, the flows still placed after it), and all are deleted by one
 * del-flows (request to the daemon reporting none).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

/* Generous: 1,000,000 flows into a slow card take many minutes. */
#define PLACE_TIMEOUT_S(n)  (600.0 + (double)(n) / 500.0)

static int
wait_empty(struct ctl_client *c, uint32_t flows)
{
    struct bench_placed p;
    double end = snic_now_s() + 60 + (double)flows / 1000.0;
    int rc;

    for (;;) {
        rc = bench_ctl_placed(c, &p);
        if (rc < 0)
            return rc;
        if (p.hw + p.partial + p.sw == 0)
            return 0;
        if (snic_now_s() > end || bench_stop)
            return -ETIMEDOUT;
        usleep(1000);
    }
}

int
bench_setup_run(struct ctl_client *c, const struct bench_opts *o,
                enum bench_path path, uint32_t flows,
                struct bench_setup_res *r)
{
    uint32_t n_batches = (flows + o->batch - 1) / o->batch, sent = 0;
    uint32_t got = 0, in_flight = o->in_flight ? o->in_flight : 1;
    double *lat = calloc(n_batches, sizeof(*lat)), t0, last = 0;
    double *sent_at = calloc(n_batches, sizeof(*sent_at));
    int rc;

    if (lat == NULL || sent_at == NULL) {
        rc = -ENOMEM;
        goto out_lat;
    }
    *r = (struct bench_setup_res){ .flows = flows };
    rc = bench_ctl_del(c, NULL);
    if (rc == 0)
        rc = wait_empty(c, flows);
    if (rc < 0)
        goto out_lat;
    t0 = snic_now_s();
    while (got < n_batches && !bench_stop) {
        while (sent < n_batches && sent - got < in_flight) {
            uint32_t first = sent * o->batch;
            uint32_t n = flows - first < o->batch ? flows - first : o->batch;

            rc = bench_ctl_add_send(c, o, false, first, n, &sent_at[sent]);
            if (rc < 0)
                goto out_lat;
            sent++;
        }
        rc = bench_ctl_add_recv(c, flows - got * o->batch < o->batch
                                   ? flows - got * o->batch : o->batch);
        if (rc < 0)
            goto out_lat;
        lat[got] = snic_now_s() - (sent_at[got] > last ? sent_at[got] : last);
        last = snic_now_s();
        got++;
    }
    if (bench_stop) {
        rc = -EINTR;
        goto out_lat;
    }
    rc = bench_ctl_wait_placed(c, path, flows, PLACE_TIMEOUT_S(flows),
                               &r->placed);
    if (rc < 0) {
        fprintf(stderr, "snic-bench: %u flows not placed after %.0f s\n",
                flows, PLACE_TIMEOUT_S(flows));
        goto out_lat;
    }
    r->seconds = snic_now_s() - t0;
    r->flows_per_sec = (double)flows / r->seconds;
    r->p50_ms = bench_percentile(lat, n_batches, 50) * 1e3;
    r->p90_ms = bench_percentile(lat, n_batches, 90) * 1e3;
    r->p99_ms = bench_percentile(lat, n_batches, 99) * 1e3;
    if (path == BENCH_OFFLOAD && r->placed.hw < flows)
        fprintf(stderr, "snic-bench: only %llu of %u flows went to "
                "hardware (%llu partial, %llu software): see snicctl "
                "dump-flows for why\n", (unsigned long long)r->placed.hw,
                flows, (unsigned long long)r->placed.partial,
                (unsigned long long)r->placed.sw);
    /* snicd replies once the modify is committed (rules re-created on
     * the offload path); the flows must still be where they were */
    t0 = snic_now_s();
    rc = bench_ctl_mod_all(c, o, &r->mod_seconds);
    if (rc == 0) {
        struct bench_placed after;

        rc = bench_ctl_wait_placed(c, path, flows, PLACE_TIMEOUT_S(flows),
                                   &after);
        r->mod_seconds = snic_now_s() - t0;
        if (rc == 0 && (path == BENCH_OFFLOAD ? after.hw : after.sw)
                       < (path == BENCH_OFFLOAD ? r->placed.hw
                                                : r->placed.sw))
            fprintf(stderr, "snic-bench: after the modify, %llu hw, %llu "
                    "partial, %llu sw (before: %llu hw)\n",
                    (unsigned long long)after.hw,
                    (unsigned long long)after.partial,
                    (unsigned long long)after.sw,
                    (unsigned long long)r->placed.hw);
    }
    if (rc < 0)
        goto out_lat;
    t0 = snic_now_s();
    rc = bench_ctl_del(c, NULL);
    if (rc == 0)
        rc = wait_empty(c, flows);
    r->del_seconds = rc == 0 ? snic_now_s() - t0 : NAN;
out_lat:
    free(sent_at);
    free(lat);
    return rc;
}
