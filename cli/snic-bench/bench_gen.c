/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The traffic: snic-bench is a DPDK application with two ports, the VM
 * side of a VF (it transmits) and the far end of the wire (it receives).
 * One lcore does both, so no packet generator outside the harness is
 * needed and what is counted is what crossed the path under test.
 *
 * Frames are Ethernet / IPv4 / UDP of the requested size (FCS included,
 * as frame sizes are quoted; the FCS itself is not on the rings), from the
 * VF port's MAC to the wire port's, with nw_dst walking over the active
 * flows round-robin, so every flow sees traffic and the software path's
 * caches see as many distinct flows as are active.
 *
 * Host cost is snicd's CPU time (utime + stime from /proc/PID/stat, every
 * thread) over the measured window, in TSC cycles, per delivered packet.
 * emunic's is reported apart: it is the card.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "bench.h"

#define GEN_BURST       32u
#define GEN_RX_BURST    64u
#define GEN_RING        1024u
#define GEN_MBUFS       16383u
#define GEN_UDP_SPORT   40000u
#define GEN_UDP_DPORT   5001u   /* not VXLAN's 4789: no decap on the way */
#define GEN_DRAIN_S     0.1
#define FCS_LEN         4u

struct bench_gen {
    uint16_t tx_port, rx_port;
    struct rte_mempool *pool;
    uint64_t tsc_hz;
    struct rte_ether_addr src, dst;
    uint32_t cursor;                /* next flow to send to */
    double warmup, seconds;         /* per window, from the options */
    struct rte_mbuf *pending[GEN_BURST];    /* built, not yet accepted */
    unsigned n_pending, pending_off;
    char *store;
    char vdev_vf[400], vdev_wire[400];
};

struct gen_hdr {
    struct rte_ether_hdr eth;
    struct rte_ipv4_hdr ip;
    struct rte_udp_hdr udp;
};
_Static_assert(sizeof(struct gen_hdr) == 42, "headers back to back");

struct gen_count {
    uint64_t tx, rx;
};

static int
port_start(struct bench_gen *g, uint16_t port)
{
    struct rte_eth_conf conf;
    int rc;

    memset(&conf, 0, sizeof(conf));
    rc = rte_eth_dev_configure(port, 1, 1, &conf);
    if (rc == 0)
        rc = rte_eth_rx_queue_setup(port, 0, GEN_RING,
                                    rte_eth_dev_socket_id(port), NULL,
                                    g->pool);
    if (rc == 0)
        rc = rte_eth_tx_queue_setup(port, 0, GEN_RING,
                                    rte_eth_dev_socket_id(port), NULL);
    if (rc == 0)
        rc = rte_eth_dev_start(port);
    return rc;
}

static int
find_port(const char *name, uint16_t *port)
{
    if (rte_eth_dev_get_port_by_name(name, port) == 0)
        return 0;
    fprintf(stderr, "snic-bench: no ethdev named '%s' (ports: ", name);
    RTE_ETH_FOREACH_DEV(*port) {
        char n[RTE_ETH_NAME_MAX_LEN];

        if (rte_eth_dev_get_name_by_port(*port, n) == 0)
            fprintf(stderr, "%s ", n);
    }
    fprintf(stderr, ")\n");
    return -ENODEV;
}

static int
eal_init(struct bench_gen *g, const struct bench_env *e,
         const struct bench_opts *o)
{
    static char lcores[64];
    char *argv[BENCH_MAX_ARGS + 1];
    unsigned n = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int rc;

    argv[n++] = (char *)"snic-bench";
    if (o->external) {
        rc = bench_split_args(o->eal, &g->store, argv, BENCH_MAX_ARGS, &n);
        if (rc < 0) {
            fprintf(stderr, "snic-bench: --eal: too many arguments\n");
            return rc;
        }
    } else {
        snprintf(g->vdev_vf, sizeof(g->vdev_vf), "net_emunic_bvf0,"
                 "socket=%s,vf=0", e->card_sock);
        snprintf(g->vdev_wire, sizeof(g->vdev_wire), "net_emunic_bwire,"
                 "socket=%s,uplink=1", e->card_sock);
        snprintf(lcores, sizeof(lcores), "0@(0-%ld)",
                 ncpu > 1 ? ncpu - 1 : 0);
        argv[n++] = (char *)"--no-pci";
        argv[n++] = (char *)"--vdev";
        argv[n++] = g->vdev_vf;
        argv[n++] = (char *)"--vdev";
        argv[n++] = g->vdev_wire;
        if (e->huge) {
            argv[n++] = (char *)"--huge-dir";
            argv[n++] = (char *)e->huge_dir;
        } else {
            argv[n++] = (char *)"--no-huge";
        }
        argv[n++] = (char *)"-m";
        argv[n++] = (char *)"256";
        argv[n++] = (char *)"--file-prefix";
        argv[n++] = (char *)e->prefix;
        argv[n++] = (char *)"--no-telemetry";
        argv[n++] = (char *)"--log-level";
        argv[n++] = (char *)"5";
        argv[n++] = (char *)"--lcores";
        argv[n++] = lcores;
    }
    argv[n] = NULL;
    /* rte_eal_init permutes argv; it is ours */
    rc = rte_eal_init((int)n, argv);
    if (rc < 0) {
        fprintf(stderr, "snic-bench: EAL: %s\n", rte_strerror(rte_errno));
        return -rte_errno;
    }
    return 0;
}

struct bench_gen *
bench_gen_open(const struct bench_env *e, const struct bench_opts *o)
{
    struct bench_gen *g = calloc(1, sizeof(*g));
    const char *tx = o->external ? o->tx_port : "net_emunic_bvf0";
    const char *rx = o->external ? o->rx_port : "net_emunic_bwire";

    if (g == NULL)
        return NULL;
    if (eal_init(g, e, o) < 0)
        goto err_free;
    g->tsc_hz = rte_get_tsc_hz();
    g->warmup = o->warmup;
    g->seconds = o->seconds;
    g->pool = rte_pktmbuf_pool_create("bench_mbufs", GEN_MBUFS, 512, 0,
                                      RTE_MBUF_DEFAULT_BUF_SIZE,
                                      (int)rte_socket_id());
    if (g->pool == NULL) {
        fprintf(stderr, "snic-bench: mbuf pool: %s\n",
                rte_strerror(rte_errno));
        goto err_eal;
    }
    if (find_port(tx, &g->tx_port) < 0 || find_port(rx, &g->rx_port) < 0)
        goto err_pool;
    if (port_start(g, g->tx_port) != 0 || port_start(g, g->rx_port) != 0) {
        fprintf(stderr, "snic-bench: cannot start ports %s and %s\n", tx,
                rx);
        goto err_ports;
    }
    /* the wire port takes every frame; a refusal is harmless there */
    rte_eth_promiscuous_enable(g->rx_port);
    rte_eth_macaddr_get(g->tx_port, &g->src);
    rte_eth_macaddr_get(g->rx_port, &g->dst);
    return g;

err_ports:
    rte_eth_dev_stop(g->tx_port);
    rte_eth_dev_stop(g->rx_port);
err_pool:
    rte_mempool_free(g->pool);
err_eal:
    rte_eal_cleanup();
err_free:
    free(g->store);
    free(g);
    return NULL;
}

void
bench_gen_close(struct bench_gen *g)
{
    if (g == NULL)
        return;
    if (g->n_pending > g->pending_off)
        rte_pktmbuf_free_bulk(g->pending + g->pending_off,
                              g->n_pending - g->pending_off);
    rte_eth_dev_stop(g->tx_port);
    rte_eth_dev_stop(g->rx_port);
    rte_eth_dev_close(g->tx_port);
    rte_eth_dev_close(g->rx_port);
    rte_mempool_free(g->pool);
    rte_eal_cleanup();
    free(g->store);
    free(g);
}

uint64_t
bench_gen_tsc_hz(const struct bench_gen *g)
{
    return g->tsc_hz;
}

static void
template_hdr(const struct bench_gen *g, uint32_t size, struct gen_hdr *h)
{
    uint32_t len = size - FCS_LEN;

    memset(h, 0, sizeof(*h));
    rte_ether_addr_copy(&g->dst, &h->eth.dst_addr);
    rte_ether_addr_copy(&g->src, &h->eth.src_addr);
    h->eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    h->ip.version_ihl = RTE_IPV4_VHL_DEF;
    h->ip.total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(h->eth)));
    h->ip.time_to_live = 64;
    h->ip.next_proto_id = IPPROTO_UDP;
    h->ip.src_addr = rte_cpu_to_be_32(0xc0a80001);     /* 192.168.0.1 */
    h->udp.src_port = rte_cpu_to_be_16(GEN_UDP_SPORT);
    h->udp.dst_port = rte_cpu_to_be_16(GEN_UDP_DPORT);
    h->udp.dgram_len = rte_cpu_to_be_16(
        (uint16_t)(len - sizeof(h->eth) - sizeof(h->ip)));
}

/* Build what the tx ring refused last time first, then a fresh burst. */
static void
send_some(struct bench_gen *g, const struct gen_hdr *tmpl, uint32_t size,
          uint32_t n_flows, struct gen_count *c)
{
    uint16_t sent;

    if (g->pending_off == g->n_pending) {
        g->n_pending = g->pending_off = 0;
        if (rte_pktmbuf_alloc_bulk(g->pool, g->pending, GEN_BURST) != 0)
            return;     /* the rings hold them all; rx will free some */
        for (unsigned i = 0; i < GEN_BURST; i++) {
            struct rte_mbuf *m = g->pending[i];
            struct gen_hdr *h;

            m->data_len = m->pkt_len = (uint16_t)(size - FCS_LEN);
            h = rte_pktmbuf_mtod(m, struct gen_hdr *);
            memcpy(h, tmpl, sizeof(*h));
            h->ip.dst_addr = rte_cpu_to_be_32(bench_flow_dst(false,
                                                             g->cursor));
            h->ip.hdr_checksum = rte_ipv4_cksum(&h->ip);
            if (++g->cursor >= n_flows)
                g->cursor = 0;
        }
        g->n_pending = GEN_BURST;
    }
    sent = rte_eth_tx_burst(g->tx_port, 0, g->pending + g->pending_off,
                            (uint16_t)(g->n_pending - g->pending_off));
    g->pending_off += sent;
    c->tx += sent;
}

/* Count only our frames: anything else on the wire is not throughput. */
static void
receive_some(struct bench_gen *g, struct gen_count *c)
{
    struct rte_mbuf *pkts[GEN_RX_BURST];
    uint16_t n;

    do {
        n = rte_eth_rx_burst(g->rx_port, 0, pkts, GEN_RX_BURST);
        for (uint16_t i = 0; i < n; i++) {
            const struct gen_hdr *h;

            if (pkts[i]->data_len < sizeof(*h))
                continue;
            h = rte_pktmbuf_mtod(pkts[i], const struct gen_hdr *);
            if (h->eth.ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)
                && h->udp.dst_port == rte_cpu_to_be_16(GEN_UDP_DPORT))
                c->rx++;
        }
        if (n > 0)
            rte_pktmbuf_free_bulk(pkts, n);
    } while (n == GEN_RX_BURST);
}

static void
pump(struct bench_gen *g, const struct gen_hdr *tmpl, uint32_t size,
     uint32_t n_flows, double seconds, bool transmit, struct gen_count *c)
{
    uint64_t end = rte_rdtsc() + (uint64_t)(seconds * (double)g->tsc_hz);

    while (rte_rdtsc() < end && !bench_stop) {
        if (transmit)
            send_some(g, tmpl, size, n_flows, c);
        receive_some(g, c);
    }
}

static double
cycles_per_packet(const struct bench_gen *g, const struct bench_env *e,
                  int64_t t0, int64_t t1, uint64_t pkts)
{
    if (t0 < 0 || t1 < 0 || pkts == 0 || e->clk_tck <= 0)
        return NAN;
    return (double)(t1 - t0) / (double)e->clk_tck * (double)g->tsc_hz
           / (double)pkts;
}

int
bench_gen_run(struct bench_gen *g, const struct bench_env *e,
              uint32_t n_flows, uint32_t size, struct bench_fwd_res *r)
{
    struct gen_hdr tmpl;
    struct gen_count warm = { 0 }, c = { 0 }, drain = { 0 };
    int64_t host0, host1, card0 = -1, card1 = -1;
    uint64_t tsc0, tsc1;
    double secs;

    if (n_flows == 0 || size < 64 || size - FCS_LEN > 2048)
        return -EINVAL;
    template_hdr(g, size, &tmpl);
    g->cursor = 0;
    memset(r, 0, sizeof(*r));
    r->flows = n_flows;
    r->size = size;
    pump(g, &tmpl, size, n_flows, g->warmup, true, &warm);
    host0 = e->snicd.pid > 0 ? bench_cpu_ticks(e->snicd.pid) : -1;
    if (e->emunic.pid > 0)
        card0 = bench_cpu_ticks(e->emunic.pid);
    tsc0 = rte_rdtsc();
    pump(g, &tmpl, size, n_flows, g->seconds, true, &c);
    tsc1 = rte_rdtsc();
    host1 = e->snicd.pid > 0 ? bench_cpu_ticks(e->snicd.pid) : -1;
    if (e->emunic.pid > 0)
        card1 = bench_cpu_ticks(e->emunic.pid);
    /* what is still in flight belongs to no window */
    pump(g, &tmpl, size, n_flows, GEN_DRAIN_S, false, &drain);
    if (bench_stop)
        return -EINTR;
    secs = (double)(tsc1 - tsc0) / (double)g->tsc_hz;
    r->rx = c.rx;
    r->tx = c.tx;
    r->mpps = (double)c.rx / secs / 1e6;
    r->offered_mpps = (double)c.tx / secs / 1e6;
    r->gbps = (double)c.rx * size * 8 / secs / 1e9;
    r->host_cpp = cycles_per_packet(g, e, host0, host1, c.rx);
    r->card_cpp = cycles_per_packet(g, e, card0, card1, c.rx);
    return 0;
}
