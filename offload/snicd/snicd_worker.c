/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Datapath lcores. Each worker owns queue N of every port: it polls the
 * uplink's rx (the hardware's misses from the wire) and every
 * representor's rx (misses from the VFs) in bursts, hands each burst to
 * the software datapath (include/snic/dp.h), which classifies it as a
 * whole, and sends the outputs in per-port tx bursts. Nothing on this
 * path takes a lock: flows and marks are read from RCU-style snapshots,
 * counters are per worker.
 *
 * A marked frame was partly handled by the hardware (docs/snicd.md, rule
 * 3) and goes through on its own, in its place in the burst: a partial
 * flow's mark runs that flow's actions without classifying, a resume mark
 * continues at the goto target table, a decap mark classifies the frame
 * the hardware decapsulated as received on the tunnel port. An unknown
 * mark of the decap range is dropped and counted: its frame is an inner
 * frame, which must not be classified as if it came from the wire.
 *
 * Output frames are copied into fresh mbufs: one input can produce several
 * outputs, each as the frame was at that point of the action list. The
 * last output of a frame (the datapath says so) takes the received mbuf
 * itself instead, so plain forwarding copies nothing; frames not taken are
 * freed in one bulk call per burst.
 *
 * An idle worker goes offline (QSBR) and naps, so it neither holds grace
 * periods back nor burns a shared core. The naps are short (0.1 ms) for
 * the first ~20 ms of nothing, so traffic that only pauses (a request and
 * its answer) finds the worker at once, and then grow to 4 ms: a wake-up
 * costs 35-65 us of a core on this VM (more the more memory snicd holds:
 * 65 us with 1,000,000 flows), and 0.1 ms naps for ever were 10% of a
 * core for an idle snicd (issue #13 asks <= 5% for the whole daemon).
 * The price: the first frame after a silence waits up to 4 ms, and a
 * receive queue (1,024 descriptors) holds the first 4 ms of a burst up
 * to 250 kpps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "snic_counter.h"
#include "snic_tsa.h"
#include "snicd.h"

#define BURST           32u
#define IDLE_SPINS      256u    /* empty polls before napping */
#define NAP_US          100u    /* the first naps */
#define NAP_STEADY      128u    /* naps of NAP_US before they grow */
#define NAP_MAX_US      4000u

/* How long the @naps-th nap in a row lasts: NAP_US, then doubling up to
 * NAP_MAX_US. */
static unsigned
nap_us(unsigned naps)
{
    unsigned us = NAP_US;

    for (unsigned i = NAP_STEADY; i <= naps && us < NAP_MAX_US; i++)
        us *= 2;
    return us < NAP_MAX_US ? us : NAP_MAX_US;
}

/* single-writer counters (snic_counter.h): the worker adds, "stats" reads
 * them from the control thread */
struct wstats {
    uint64_t rx, tx, tx_drops, multiseg_drops, nombuf_drops;
    uint64_t marked, unknown_marks, decap_mark_drops;
};

struct txbuf {
    uint16_t n;
    struct rte_mbuf *pkts[BURST];
};

struct snicd_worker {
    struct snicd *d;
    struct dp_worker *dpw;
    uint16_t queue;
    unsigned lcore;
    struct wstats st;
    struct txbuf tx[SNICD_MAX_PORTS];   /* by ethdev id */
    /* ethdevs with queued frames, so a flush visits only those */
    uint16_t pending[SNICD_MAX_PORTS];
    unsigned n_pending;
    /* the frames being processed, by their index in the datapath call
     * (dp_output.pkt); NULL once taken as an output */
    struct rte_mbuf *cur[BURST];
    /* packets to CONTROLLER (snicd_punt.c) */
    struct snicd_punts punts;
};

/* Out of line, like copy_output(): on_output() runs once per packet and
 * stays small without them (no registers to save for the rare paths). */
static __attribute__((noinline)) void
tx_flush(struct snicd_worker *w, uint16_t ethdev)
{
    struct txbuf *b = &w->tx[ethdev];
    uint16_t sent;

    if (b->n == 0)
        return;
    sent = rte_eth_tx_burst(ethdev, w->queue, b->pkts, b->n);
    snic_counter_add(&w->st.tx, sent);
    if (sent < b->n) {
        snic_counter_add(&w->st.tx_drops, b->n - sent);
        rte_pktmbuf_free_bulk(&b->pkts[sent], b->n - sent);
    }
    b->n = 0;
}

/* Turn the received mbuf @m into the output @out if the frame lies in its
 * buffer and nothing else references it. */
static bool
take_input(struct rte_mbuf *m, const struct dp_output *out)
{
    const uint8_t *base = m->buf_addr;

    if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1
        || m->nb_segs != 1 || out->frame < base
        || out->len > m->buf_len
        || (size_t)(out->frame - base) > m->buf_len - out->len)
        return false;
    m->data_off = (uint16_t)(out->frame - base);
    m->data_len = (uint16_t)out->len;
    m->pkt_len = (uint32_t)out->len;
    /* receive-side metadata (marks, hashes) means nothing on transmit */
    m->ol_flags = 0;
    m->packet_type = 0;
    return true;
}

/* A fresh mbuf holding a copy of @out's frame, or NULL (counted). */
static __attribute__((noinline)) struct rte_mbuf *
copy_output(struct snicd_worker *w, const struct dp_output *out)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(w->d->mempool);
    char *p;

    if (m == NULL) {
        snic_counter_add(&w->st.nombuf_drops, 1);
        return NULL;
    }
    p = rte_pktmbuf_append(m, (uint16_t)out->len);
    if (p == NULL || out->len > UINT16_MAX) {
        rte_pktmbuf_free(m);
        snic_counter_add(&w->st.tx_drops, 1);
        return NULL;
    }
    memcpy(p, out->frame, out->len);
    return m;
}

/* An output to a reserved port: the ethdev it goes to, or UINT16_MAX
 * when it was delivered otherwise or dropped (counted). */
static __attribute__((noinline)) uint16_t
reserved_output(struct snicd_worker *w, const struct dp_output *out)
{
    if (out->tx_port == FLOW_PORT_CONTROLLER) {
        /* no OpenFlow controller channel yet: kept for controller-show */
        snicd_punt_record(&w->punts, out, snic_now_ns());
        return UINT16_MAX;
    }
    if (out->tx_port == FLOW_PORT_LOCAL && w->d->local_ethdev != UINT16_MAX)
        return w->d->local_ethdev;
    snic_counter_add(&w->st.tx_drops, 1);       /* LOCAL without a host-side port */
    return UINT16_MAX;
}

static void
on_output(void *ctx, const struct dp_output *out)
{
    struct snicd_worker *w = ctx;
    struct snicd *d = w->d;
    uint16_t ethdev = out->tx_port < SNICD_OFPORT_TABLE
                      ? d->tx_ethdev[out->tx_port]
                      : flow_port_is_reserved(out->tx_port)
                      ? reserved_output(w, out) : UINT16_MAX;
    struct txbuf *tb;
    struct rte_mbuf *m;

    if (ethdev >= SNICD_MAX_PORTS) {
        if (!flow_port_is_reserved(out->tx_port))
            snic_counter_add(&w->st.tx_drops, 1);   /* no such port (or it is gone) */
        return;
    }
    m = out->pkt < BURST ? w->cur[out->pkt] : NULL;
    if (out->last && m != NULL && take_input(m, out)) {
        w->cur[out->pkt] = NULL;
    } else if ((m = copy_output(w, out)) == NULL) {
        return;
    }
    tb = &w->tx[ethdev];
    /* a full queue was listed when its first frame came: it stays so */
    if (tb->n == BURST)
        tx_flush(w, ethdev);
    else if (tb->n == 0)
        w->pending[w->n_pending++] = ethdev;
    tb->pkts[tb->n++] = m;
}

/* Packets @first.. of the burst (w->cur) sent to @port as they came
 * (dp_forward_fn): their own mbufs, straight into the port's tx queue. */
static void
on_forward(void *ctx, uint32_t port, unsigned first, unsigned n)
{
    struct snicd_worker *w = ctx;
    uint16_t ethdev = port < SNICD_OFPORT_TABLE ? w->d->tx_ethdev[port]
                                                : UINT16_MAX;
    struct txbuf *tb;

    if (ethdev >= SNICD_MAX_PORTS) {
        /* no such port (or it is gone); the frames stay in w->cur and
         * are freed with the burst */
        snic_counter_add(&w->st.tx_drops, n);
        return;
    }
    tb = &w->tx[ethdev];
    for (unsigned i = first; i < first + n; i++) {
        struct rte_mbuf *m = w->cur[i];

        w->cur[i] = NULL;
        /* receive-side metadata (marks, hashes) means nothing on
         * transmit (take_input()); the attachment flags say whose
         * buffer this is (an indirect mbuf's parent, an external
         * buffer: mlx5's multi-packet rx queues, vhost's extbuf) and
         * must survive, or the free after transmit leaks that buffer
         * and returns the mbuf still pointing into it */
        m->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
        m->packet_type = 0;
        if (tb->n == BURST)
            tx_flush(w, ethdev);
        else if (tb->n == 0)
            w->pending[w->n_pending++] = ethdev;
        tb->pkts[tb->n++] = m;
    }
}

static void
buf_of(struct rte_mbuf *m, struct dp_buf *buf)
{
    buf->data = rte_pktmbuf_mtod(m, uint8_t *);
    buf->len = m->data_len;
    buf->headroom = rte_pktmbuf_headroom(m);
}

/* The packet's pkt_mark as the card left it: its META register, in the
 * rx metadata field snicd registered (snicd_main.c), present when non-zero
 * (docs/snicd.md, "Registers and pkt_mark"). Only a marked frame can
 * carry one: a flow that writes pkt_mark sends its packet to the host
 * only through a jump (resume mark) or a partial flow (its mark); an
 * unmarked miss of table 0 went through no flow. */
static inline uint32_t
rx_pkt_mark(const struct rte_mbuf *m)
{
    return (m->ol_flags & rte_flow_dynf_metadata_mask) != 0
           ? *RTE_FLOW_DYNF_METADATA(m) : 0;
}

/* A frame the hardware marked: it was partly processed there. Returns
 * whether @m was taken as an output (else the caller frees it). */
static bool
process_marked(struct snicd_worker *w, struct rte_mbuf *m, uint32_t in_port)
{
    const struct snicd_mark_entry *me;
    struct dp_buf buf;

    buf_of(m, &buf);
    snic_counter_add(&w->st.marked, 1);
    me = snicd_marks_find(__atomic_load_n(&w->d->marks,
                                          __ATOMIC_ACQUIRE),
                          m->hash.fdir.hi);
    if (me == NULL && snicd_mark_is_decap(m->hash.fdir.hi)) {
        /* the hardware decapsulated it for a context we do not know (any
         * more): classified as received on @in_port, the inner frame
         * could go where only the outer one may */
        snic_counter_add(&w->st.decap_mark_drops, 1);
        return false;
    }
    w->cur[0] = m;
    if (me == NULL) {
        snic_counter_add(&w->st.unknown_marks, 1);
        dp_worker_process(w->dpw, &buf, in_port, on_output, w);
    } else if (me->kind == SNICD_MARK_PARTIAL) {
        dp_worker_run_flow(w->dpw, &buf, in_port, me->slot, me->flow_id,
                           me->actions, me->n_actions, rx_pkt_mark(m),
                           on_output, w);
    } else if (me->kind == SNICD_MARK_DECAP) {
        dp_worker_process_decapped(w->dpw, &buf, me->in_port, &me->tun,
                                   me->table, on_output, w);
    } else {
        dp_worker_process_from(w->dpw, &buf, in_port, me->table,
                               rx_pkt_mark(m), on_output, w);
    }
    if (w->cur[0] == NULL)
        return true;
    w->cur[0] = NULL;
    return false;
}

static bool
is_marked(const struct rte_mbuf *m)
{
    return (m->ol_flags & RTE_MBUF_F_RX_FDIR_ID) != 0;
}

/*
 * A received burst of port @in_port through the datapath. Runs of
 * unmarked frames go through it as one burst (dp_worker_process_burst);
 * a marked frame on its own, in its place, so the order is kept. Frames
 * not taken as outputs are freed in one bulk call.
 */
static void
process_burst(struct snicd_worker *w, struct rte_mbuf **pkts, uint16_t n,
              uint32_t in_port)
{
    struct rte_mbuf *done[BURST];
    struct dp_buf bufs[BURST];
    unsigned n_done = 0;

    for (uint16_t i = 0; i < n;) {
        unsigned run = 0;

        if (pkts[i]->nb_segs > 1 && rte_pktmbuf_linearize(pkts[i]) < 0) {
            snic_counter_add(&w->st.multiseg_drops, 1);
            done[n_done++] = pkts[i++];
            continue;
        }
        if (is_marked(pkts[i])) {
            if (!process_marked(w, pkts[i], in_port))
                done[n_done++] = pkts[i];
            i++;
            continue;
        }
        while (i < n && !is_marked(pkts[i]) && pkts[i]->nb_segs == 1) {
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
            buf_of(pkts[i], &bufs[run]);
            w->cur[run++] = pkts[i++];
        }
        dp_worker_process_burst_fwd(w->dpw, bufs, run, in_port, on_output,
                                    on_forward, w);
        for (unsigned k = 0; k < run; k++) {
            if (w->cur[k] != NULL)
                done[n_done++] = w->cur[k];
            w->cur[k] = NULL;
        }
    }
    if (n_done > 0)
        rte_pktmbuf_free_bulk(done, n_done);
}

static int
worker_main(void *arg)
{
    struct snicd_worker *w = arg;
    struct snicd *d = w->d;
    struct rte_mbuf *pkts[BURST];
    unsigned idle = 0, naps = 0;

    dp_worker_online(w->dpw);
    while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
        unsigned got = 0;

        if (__atomic_load_n(&d->pause, __ATOMIC_ACQUIRE)) {
            dp_worker_offline(w->dpw);
            __atomic_fetch_add(&d->parked, 1, __ATOMIC_SEQ_CST);
            /* a pause can last a resync's seconds: naps grow here too */
            naps = 0;
            while (__atomic_load_n(&d->pause, __ATOMIC_SEQ_CST)
                   && !__atomic_load_n(&d->stop, __ATOMIC_SEQ_CST)) {
                usleep(nap_us(naps));
                naps += naps < NAP_STEADY + 8;
            }
            naps = 0;
            __atomic_fetch_sub(&d->parked, 1, __ATOMIC_SEQ_CST);
            dp_worker_online(w->dpw);
            continue;
        }
        for (unsigned i = 0; i < d->ports.n; i++) {
            const struct snicd_port_info *p = &d->ports.v[i];
            uint16_t n;

            if (snicd_port_is_logical(p) || !__atomic_load_n(&d->active[i],
                                                 __ATOMIC_ACQUIRE))
                continue;
            n = rte_eth_rx_burst(p->ethdev, w->queue, pkts, BURST);
            if (n == 0)
                continue;
            got += n;
            snic_counter_add(&w->st.rx, n);
            process_burst(w, pkts, n, p->ofport);
        }
        for (unsigned i = 0; i < w->n_pending; i++)
            tx_flush(w, w->pending[i]);
        w->n_pending = 0;
        dp_worker_quiesce(w->dpw);
        if (got > 0) {
            idle = 0;
            naps = 0;
        } else if (++idle >= IDLE_SPINS) {
            dp_worker_offline(w->dpw);
            usleep(nap_us(naps));
            naps += naps < NAP_STEADY + 8;
            dp_worker_online(w->dpw);
        }
    }
    dp_worker_offline(w->dpw);
    /* rte_eal_wait_lcore() orders this with snicd_workers_stop() */
    SNIC_TSAN_RELEASE(w);
    return 0;
}

int
snicd_workers_start(struct snicd *d, unsigned n)
    SNIC_REQUIRES(snic_control)
{
    unsigned lcore;

    if (n > SNICD_MAX_WORKERS)
        return -EINVAL;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        struct snicd_worker *w;

        if (d->n_workers == n)
            break;
        w = calloc(1, sizeof(*w));
        if (w == NULL)
            return -ENOMEM;
        w->d = d;
        w->queue = (uint16_t)d->n_workers;
        w->lcore = lcore;
        w->dpw = dp_worker_create(d->dp);
        if (w->dpw == NULL) {
            free(w);
            return -ENOMEM;
        }
        d->workers[d->n_workers++] = w;
        if (rte_eal_remote_launch(worker_main, w, lcore) < 0) {
            d->n_workers--;
            dp_worker_destroy(w->dpw);
            free(w);
            return -EBUSY;
        }
    }
    if (d->n_workers < n) {
        snicd_log(SNICD_LOG_ERR, "%u workers asked, %u worker lcores "
                  "available (give the EAL more with -l / --lcores)", n,
                  d->n_workers);
        return -ENOSPC;
    }
    return 0;
}

void
snicd_workers_stop(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    __atomic_store_n(&d->stop, 1, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < d->n_workers; i++) {
        rte_eal_wait_lcore(d->workers[i]->lcore);
        SNIC_TSAN_ACQUIRE(d->workers[i]);     /* see snic_tsa.h */
    }
    for (unsigned i = 0; i < d->n_workers; i++) {
        dp_worker_destroy(d->workers[i]->dpw);
        free(d->workers[i]);
        d->workers[i] = NULL;
    }
    d->n_workers = 0;
}

void
snicd_workers_pause(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    unsigned spins = 0;

    __atomic_store_n(&d->pause, 1, __ATOMIC_SEQ_CST);
    /* workers park between bursts; a burst takes microseconds */
    while (__atomic_load_n(&d->parked, __ATOMIC_SEQ_CST) < d->n_workers
           && spins++ < 100000)
        usleep(10);
    /* seconds without parking: a worker is stuck inside a PMD's burst
     * call; say so, since what the caller changes next it may still see */
    if (__atomic_load_n(&d->parked, __ATOMIC_SEQ_CST) < d->n_workers)
        snicd_log(SNICD_LOG_ERR, "%u of %u workers did not pause (stuck in "
                  "a port's rx or tx?); going on without them",
                  d->n_workers - __atomic_load_n(&d->parked, __ATOMIC_SEQ_CST),
                  d->n_workers);
}

void
snicd_workers_resume(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    __atomic_store_n(&d->pause, 0, __ATOMIC_SEQ_CST);
}

size_t
snicd_workers_punts(const struct snicd *d, struct snicd_punt *out,
                    size_t max, uint64_t *total)
{
    size_t n = 0;

    *total = 0;
    for (unsigned i = 0; i < d->n_workers; i++) {
        const struct snicd_worker *w = d->workers[i];

        *total += __atomic_load_n(&w->punts.count,
                                  __ATOMIC_RELAXED);
        n += snicd_punts_copy(&w->punts, out + n, max - n);
    }
    return n;
}

void
snicd_workers_stats(const struct snicd *d, struct snicd_worker_stats *s,
                    struct dp_worker_stats *dps)
{
    memset(s, 0, sizeof(*s));
    memset(dps, 0, sizeof(*dps));
    for (unsigned i = 0; i < d->n_workers; i++) {
        const struct snicd_worker *w = d->workers[i];
        struct dp_worker_stats x;

        s->rx += snic_counter_get(&w->st.rx);
        s->tx += snic_counter_get(&w->st.tx);
        s->tx_drops += snic_counter_get(&w->st.tx_drops);
        s->multiseg_drops += snic_counter_get(&w->st.multiseg_drops);
        s->nombuf_drops += snic_counter_get(&w->st.nombuf_drops);
        s->marked += snic_counter_get(&w->st.marked);
        s->unknown_marks += snic_counter_get(&w->st.unknown_marks);
        s->decap_mark_drops += snic_counter_get(&w->st.decap_mark_drops);
        dp_worker_stats_read(w->dpw, &x);
        dps->packets += x.packets;
        dps->emc_hits += x.emc_hits;
        dps->misses += x.misses;
        dps->ttl_drops += x.ttl_drops;
        dps->noroom_drops += x.noroom_drops;
        dps->tunnel_drops += x.tunnel_drops;
        dps->outputs += x.outputs;
        dps->controller += x.controller;
        dps->normal_drops += x.normal_drops;
        dps->resubmit_drops += x.resubmit_drops;
        dps->learns += x.learns;
        dps->learn_dups += x.learn_dups;
        dps->learn_drops += x.learn_drops;
        dps->learn_limited += x.learn_limited;
        dps->port_decided += x.port_decided;
        dps->ct_packets += x.ct_packets;
        dps->ct_invalid += x.ct_invalid;
        dps->ct_full += x.ct_full;
        dps->recirc_drops += x.recirc_drops;
        dps->mpls_drops += x.mpls_drops;
        dps->l2_decided += x.l2_decided;
        dps->train_decided += x.train_decided;
        dps->frame_hits += x.frame_hits;
        dps->normal_convs += x.normal_convs;
        dps->normal_conv_drops += x.normal_conv_drops;
    }
}
