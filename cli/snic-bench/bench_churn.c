/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Churn: forwarding while flows come and go. A side thread with its own
 * control-socket connection adds a block of churn flows, and deletes the
 * block added CHURN_LIVE blocks before, at o->churn_rate flows per second
 * each way. Blocks are a power of two aligned on nw_dst, so one loose
 * del-flows on the prefix removes a block: the request rate stays low and
 * what is measured is the daemon and card handling the flows, not the
 * socket round trips. The churn flows never match the traffic (11.0.0.0/8),
 * so the forwarding rate shows only the interference.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "snic/ctl.h"
#include "bench.h"

#define CHURN_LIVE          4u      /* blocks alive at any time */
#define CHURN_TICKS_PER_S   20u     /* aim for ~50 ms between blocks */
#define CHURN_MAX_BLOCK     4096u

struct churn {
    const struct bench_env *e;
    const struct bench_opts *o;
    uint32_t block;                 /* flows per block, a power of two */
    bool stop;
    /* written by the thread, read after the join */
    uint64_t adds, dels, errors;
    double seconds;
};

static uint32_t
block_size(uint32_t rate)
{
    uint32_t b = 1;

    while (b * 2 <= rate / CHURN_TICKS_PER_S && b * 2 <= CHURN_MAX_BLOCK)
        b *= 2;
    return b;
}

static int
del_block(struct ctl_client *c, const struct churn *ch, uint32_t k)
{
    uint32_t d = bench_flow_dst(true, k * ch->block);
    unsigned plen = 32;
    char match[160];

    for (uint32_t b = ch->block; b > 1; b >>= 1)
        plen--;
    snprintf(match, sizeof(match), "in_port=%s,udp,nw_dst=%u.%u.%u.%u/%u",
             ch->o->in_port, d >> 24, (d >> 16) & 255, (d >> 8) & 255,
             d & 255, plen);
    return bench_ctl_del(c, match);
}

static void
sleep_until(double t)
{
    double left = t - snic_now_s();
    struct timespec ts;

    if (left <= 0)
        return;
    ts.tv_sec = (time_t)left;
    ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

static void *
churn_main(void *arg)
{
    struct churn *ch = arg;
    double period = (double)ch->block / (double)ch->o->churn_rate;
    double t0 = snic_now_s(), next = t0;
    struct ctl_client *c = bench_ctl_open(ch->e, 2);
    uint32_t k = 0;

    if (c == NULL) {
        ch->errors++;
        return NULL;
    }
    while (!__atomic_load_n(&ch->stop, __ATOMIC_SEQ_CST) && !bench_stop) {
        if (bench_ctl_add(c, ch->o, true, k * ch->block, ch->block, NULL)
            == 0)
            ch->adds += ch->block;
        else
            ch->errors++;
        if (k >= CHURN_LIVE) {
            if (del_block(c, ch, k - CHURN_LIVE) == 0)
                ch->dels += ch->block;
            else
                ch->errors++;
        }
        k++;
        next += period;
        /* a daemon that cannot keep up gets no burst to catch up with:
         * the achieved rate is the answer */
        if (snic_now_s() - next > 1.0)
            next = snic_now_s();
        sleep_until(next);
    }
    ch->seconds = snic_now_s() - t0;
    ctl_client_close(c);
    return NULL;
}

int
bench_churn_run(struct bench_gen *g, const struct bench_env *e,
                const struct bench_opts *o, struct bench_fwd_res *r)
{
    struct churn ch = { .e = e, .o = o, .block = block_size(o->churn_rate) };
    struct ctl_client *c;
    char match[128];
    pthread_t th;
    int rc, rc2;

    __atomic_store_n(&ch.stop, false, __ATOMIC_RELAXED);
    if (pthread_create(&th, NULL, churn_main, &ch) != 0)
        return -EAGAIN;
    rc = bench_gen_run(g, e, o->churn_flows, o->churn_size, r);
    __atomic_store_n(&ch.stop, true, __ATOMIC_SEQ_CST);
    pthread_join(th, NULL);
    r->churn_adds_per_sec = ch.seconds > 0 ? (double)ch.adds / ch.seconds
                                           : NAN;
    r->churn_errors = ch.errors;
    /* leave only the forwarding set behind */
    c = bench_ctl_open(e, 2);
    if (c == NULL)
        return rc < 0 ? rc : -ECONNREFUSED;
    snprintf(match, sizeof(match), "in_port=%s,udp,nw_dst=11.0.0.0/8",
             o->in_port);
    rc2 = bench_ctl_del(c, match);
    ctl_client_close(c);
    if (rc == 0 && ch.errors > 0)
        fprintf(stderr, "snic-bench: churn: %llu control requests "
                "failed\n", (unsigned long long)ch.errors);
    return rc < 0 ? rc : rc2;
}
