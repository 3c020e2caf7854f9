/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's worker (snicd_worker.c, included here for its static
 * process_burst()) hands a received mbuf to tx as the general path would:
 * an mbuf the PMD attached to an external buffer (mlx5's multi-packet rx
 * queues, vhost's extbuf) or an indirect one must stay so, so that the tx
 * side's free releases the buffer it is attached to. The port fast path
 * (dp_forward_fn, on_forward()) and the general path (on_output(),
 * take_input()) are run on the same frame: one in_port=1 -> output:2 rule,
 * port 2 a net_null, whose tx frees what it is given.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "snic_eal_dir.h"
#include "snicd_worker.c"

static unsigned ext_frees;

static void
ext_free(void *addr, void *opaque)
{
    (void)addr;
    (void)opaque;
    ext_frees++;
}

static struct rte_mempool *mp;
static uint16_t null_port;
static struct snicd_worker *the_w;     /* for teardown() */
static struct snicd the_d;

static void
eal_up(void)
{
    char prefix[64];
    char *argv[] = { "test_worker_fwd", "--no-huge", "--no-pci", "-m", "128",
                     "-l", "0", prefix, "--no-telemetry",
                     "--log-level=error", "--vdev=net_null0", NULL };
    struct rte_eth_conf conf;

    snprintf(prefix, sizeof(prefix), "--file-prefix=snicd-wfwd-%d",
             (int)getpid());
    cr_assert_geq(rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1,
                               argv), 0, "rte_eal_init: %s",
                  rte_strerror(rte_errno));
    mp = rte_pktmbuf_pool_create("wfwd", 256, 0, 0, 2048, SOCKET_ID_ANY);
    cr_assert_not_null(mp);
    cr_assert_eq(rte_eth_dev_get_port_by_name("net_null0", &null_port), 0);
    memset(&conf, 0, sizeof(conf));
    cr_assert_eq(rte_eth_dev_configure(null_port, 1, 1, &conf), 0);
    cr_assert_eq(rte_eth_rx_queue_setup(null_port, 0, 64, SOCKET_ID_ANY,
                                        NULL, mp), 0);
    cr_assert_eq(rte_eth_tx_queue_setup(null_port, 0, 64, SOCKET_ID_ANY,
                                        NULL), 0);
    cr_assert_eq(rte_eth_dev_start(null_port), 0);
}

/* A datapath with in_port=1 -> output:2, and a worker on it whose port 2
 * is the net_null. */
static struct snicd_worker *
worker_make(struct snicd *d, unsigned paths)
{
    struct snicd_worker *w = calloc(1, sizeof(*w));
    struct flow f;

    snic_role_enter(&snic_control);
    memset(d, 0, sizeof(*d));
    for (unsigned i = 0; i < SNICD_OFPORT_TABLE; i++)
        d->tx_ethdev[i] = UINT16_MAX;
    d->tx_ethdev[2] = null_port;
    d->local_ethdev = UINT16_MAX;
    d->mempool = mp;
    d->dp = dp_create(NULL, NULL);
    cr_assert_not_null(d->dp);
    memset(&f, 0, sizeof(f));
    flow_match_init_catchall(&f.match);
    f.match.mask.in_port = UINT32_MAX;
    f.match.value.in_port = 1;
    flow_match_normalise(&f.match);
    f.priority = 10;
    f.n_actions = 1;
    f.actions[0].type = FLOW_ACT_OUTPUT;
    f.actions[0].u.port = 2;
    cr_assert_eq(dp_flow_put(d->dp, 1, &f), 0);
    cr_assert_eq(dp_commit(d->dp), 0);
    cr_assert_not_null(w);
    the_w = w;
    w->d = d;
    w->dpw = dp_worker_create(d->dp);
    cr_assert_not_null(w->dpw);
    dp_worker_set_paths(w->dpw, paths);
    dp_worker_online(w->dpw);
    return w;
}

/* An mbuf of @mp whose 64-byte frame lies in an external buffer, as
 * mlx5's MPRQ or vhost's extbuf receive them. */
static struct rte_mbuf *
extbuf_mbuf(uint8_t *ext, size_t ext_len)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
    struct rte_mbuf_ext_shared_info *shinfo;
    uint16_t len = (uint16_t)ext_len;
    uint8_t *p;

    cr_assert_not_null(m);
    shinfo = rte_pktmbuf_ext_shinfo_init_helper(ext, &len, ext_free, NULL);
    cr_assert_not_null(shinfo);
    rte_pktmbuf_attach_extbuf(m, ext, rte_mem_virt2iova(ext), len, shinfo);
    rte_pktmbuf_reset_headroom(m);
    p = (uint8_t *)rte_pktmbuf_append(m, 64);
    cr_assert_not_null(p);
    memset(p, 0, 64);
    p[0] = 2;                               /* a unicast destination */
    p[12] = 0x08;                           /* IPv4 */
    return m;
}

/* One burst of one such mbuf from port 1 through worker @w, the tx
 * queues flushed as worker_main() does after a poll. */
static void
one_burst(struct snicd_worker *w, struct rte_mbuf *m)
{
    struct rte_mbuf *pkts[1] = { m };

    process_burst(w, pkts, 1, 1);
    for (unsigned i = 0; i < w->n_pending; i++)
        tx_flush(w, w->pending[i]);
    w->n_pending = 0;
    dp_worker_quiesce(w->dpw);
}

static void
run_way(unsigned paths, const char *what)
{
    static uint8_t ext[4096] __attribute__((aligned(64)));
    struct snicd *d = &the_d;
    struct snicd_worker *w;
    struct rte_mbuf *m;
    const struct dp_worker_stats *s;

    eal_up();
    w = worker_make(d, paths);
    ext_frees = 0;
    m = extbuf_mbuf(ext, sizeof(ext));
    cr_assert(RTE_MBUF_HAS_EXTBUF(m));
    one_burst(w, m);
    s = dp_worker_stats(w->dpw);
    cr_assert_eq(s->outputs, 1, "%s: the frame was not sent", what);
    cr_assert_eq(snic_counter_get(&w->st.tx), 1, "%s", what);
    /* the net_null freed what it was sent, and the worker what it kept:
     * the external buffer must be released once, and every mbuf of the
     * pool back with a buffer of its own */
    cr_assert_eq(ext_frees, 1, "%s: the external buffer was released %u "
                 "times (the mbuf went to tx without its attachment)", what,
                 ext_frees);
    for (unsigned i = 0; i < 8; i++) {
        struct rte_mbuf *x = rte_pktmbuf_alloc(mp);

        cr_assert_not_null(x);
        cr_assert(RTE_MBUF_DIRECT(x));
        cr_assert((uint8_t *)x->buf_addr < ext
                  || (uint8_t *)x->buf_addr >= ext + sizeof(ext),
                  "%s: an mbuf came back from the pool pointing into the "
                  "external buffer", what);
    }
}

/* An indirect mbuf (rte_pktmbuf_clone()) of a 64-byte frame whose
 * direct mbuf only it holds: through worker @paths, every mbuf of the
 * pool must come back, each with its own buffer. */
static void
run_indirect(unsigned paths, const char *what)
{
    struct snicd *d = &the_d;
    struct snicd_worker *w;
    struct rte_mbuf *m, *c, *x[256];
    unsigned avail, n = 0;
    uint8_t *p;

    eal_up();
    w = worker_make(d, paths);
    avail = rte_mempool_avail_count(mp);
    m = rte_pktmbuf_alloc(mp);
    cr_assert_not_null(m);
    p = (uint8_t *)rte_pktmbuf_append(m, 64);
    cr_assert_not_null(p);
    memset(p, 0, 64);
    p[0] = 2;
    p[12] = 0x08;
    c = rte_pktmbuf_clone(m, mp);
    cr_assert_not_null(c);
    rte_pktmbuf_free(m);                /* the clone holds it now */
    cr_assert(RTE_MBUF_CLONED(c));
    one_burst(w, c);
    cr_assert_eq(dp_worker_stats(w->dpw)->outputs, 1, "%s", what);
    cr_assert_eq(rte_mempool_avail_count(mp), avail, "%s: %u mbufs of the "
                 "pool not back after the frame was sent", what,
                 avail - rte_mempool_avail_count(mp));
    while (n < 256 && (x[n] = rte_pktmbuf_alloc(mp)) != NULL) {
        cr_assert_eq((uint8_t *)x[n]->buf_addr,
                     (uint8_t *)x[n] + sizeof(struct rte_mbuf),
                     "%s: an mbuf came back with another's buffer", what);
        n++;
    }
    rte_pktmbuf_free_bulk(x, n);
}

/* Everything run_way() made, whether it passed or not; the EAL's
 * runtime folder goes with rte_eal_cleanup(). */
static void
teardown(void)
{
    snic_role_enter(&snic_control);
    if (the_w != NULL) {
        dp_worker_offline(the_w->dpw);
        dp_worker_destroy(the_w->dpw);
        free(the_w);
        the_w = NULL;
    }
    if (the_d.dp != NULL)
        dp_destroy(the_d.dp);
    if (mp != NULL) {
        rte_eth_dev_stop(null_port);
        rte_eth_dev_close(null_port);
        rte_mempool_free(mp);
        mp = NULL;
        snic_eal_cleanup();
    }
}

/* the general path: on_output() copies a frame it cannot take */
Test(snicd_worker_fwd, extbuf_mbuf_general_path, .fini = teardown)
{
    run_way(DP_PATHS_NO_FAST, "general path");
}

/* the port path: the run is handed to on_forward() */
Test(snicd_worker_fwd, extbuf_mbuf_port_fast_path, .fini = teardown)
{
    run_way(DP_PATHS_AUTO, "port fast path");
}

Test(snicd_worker_fwd, indirect_mbuf_general_path, .fini = teardown)
{
    run_indirect(DP_PATHS_NO_FAST, "general path");
}

Test(snicd_worker_fwd, indirect_mbuf_port_fast_path, .fini = teardown)
{
    run_indirect(DP_PATHS_AUTO, "port fast path");
}
