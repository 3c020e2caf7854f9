/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic_traffic: the VM side and the wire for snicd's integration tests.
 * A DPDK primary process of its own (its own --file-prefix) that attaches
 * to an emunic as VF N (net_emunic,vf=N) for each VF and as the wire's peer
 * (net_emunic,uplink=1), then obeys commands on stdin, one per line:
 *
 *   send PORT HEX      transmit one frame from PORT (vf0.., wire)
 *   recv MS            print every frame that arrives on any port within MS
 *                      milliseconds as "PORT HEX", then "end"
 *   flood STOP GAP_US NDST PORT HEX [PORT HEX...]
 *                      a steady stream until the file STOP exists: every
 *                      GAP_US microseconds one frame of each PORT HEX
 *                      stream, its IPv4 destination (untagged frame) raised
 *                      by i % NDST; frames arriving are counted, not
 *                      printed. Then 300 ms to drain, and one line per
 *                      stream "sent PORT N", per port "rx PORT N GAP_MS"
 *                      (GAP_MS: the longest wait between two frames in,
 *                      after the first), then "end"
 *   quit
 *
 * Usage: snic_traffic [EAL args] -- --socket PATH --vfs N
 * (net_emunic is linked in; the EAL args need --no-huge --no-pci, a
 * --file-prefix; the vdevs are added here). Prints "ready" once every port is up.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "snic_eal_dir.h"

#define MAX_PORTS   17
#define BURST       32

struct tport {
    char name[16];
    uint16_t id;
};

static struct tport ports[MAX_PORTS];
static unsigned n_ports;
static struct rte_mempool *pool;

static int
start_port(uint16_t pid)
{
    struct rte_eth_conf conf;
    int rc;

    memset(&conf, 0, sizeof(conf));
    rc = rte_eth_dev_configure(pid, 1, 1, &conf);
    if (rc == 0)
        rc = rte_eth_rx_queue_setup(pid, 0, 512, rte_socket_id(), NULL, pool);
    if (rc == 0)
        rc = rte_eth_tx_queue_setup(pid, 0, 512, rte_socket_id(), NULL);
    if (rc == 0)
        rc = rte_eth_dev_start(pid);
    return rc;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
cmd_send(const char *name, const char *hex)
{
    struct rte_mbuf *m;
    size_t len = strlen(hex) / 2;
    uint8_t *p;

    for (unsigned i = 0; i < n_ports; i++) {
        if (strcmp(ports[i].name, name) != 0)
            continue;
        m = rte_pktmbuf_alloc(pool);
        if (m == NULL)
            return -ENOMEM;
        p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
        if (p == NULL) {
            rte_pktmbuf_free(m);
            return -E2BIG;
        }
        for (size_t k = 0; k < len; k++) {
            int hi = hexval(hex[2 * k]), lo = hexval(hex[2 * k + 1]);

            if (hi < 0 || lo < 0) {
                rte_pktmbuf_free(m);
                return -EINVAL;
            }
            p[k] = (uint8_t)(hi << 4 | lo);
        }
        for (int tries = 0; tries < 1000; tries++) {
            if (rte_eth_tx_burst(ports[i].id, 0, &m, 1) == 1)
                return 0;
            usleep(100);
        }
        rte_pktmbuf_free(m);
        return -EAGAIN;
    }
    return -ENOENT;
}

static void
cmd_recv(unsigned ms)
{
    uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
    struct rte_mbuf *pkts[BURST];

    while (rte_get_timer_cycles() < end) {
        unsigned got = 0;

        for (unsigned i = 0; i < n_ports; i++) {
            uint16_t n = rte_eth_rx_burst(ports[i].id, 0, pkts, BURST);

            got += n;
            for (uint16_t k = 0; k < n; k++) {
                struct rte_mbuf *m = pkts[k];

                printf("%s ", ports[i].name);
                for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
                    const uint8_t *d = rte_pktmbuf_mtod(s, const uint8_t *);

                    for (uint16_t b = 0; b < s->data_len; b++)
                        printf("%02x", d[b]);
                }
                printf("\n");
                rte_pktmbuf_free(m);
            }
        }
        if (got == 0)
            usleep(200);
    }
    printf("end\n");
    fflush(stdout);
}

#define FLOOD_MAX 4

struct stream {
    unsigned port;          /* index in ports[] */
    uint8_t frame[2048];
    size_t len;
    uint64_t sent;
};

static int
parse_hex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
    size_t n = strlen(hex) / 2;

    if (n > max || n < 34 || strlen(hex) % 2)
        return -EINVAL;
    for (size_t k = 0; k < n; k++) {
        int hi = hexval(hex[2 * k]), lo = hexval(hex[2 * k + 1]);

        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[k] = (uint8_t)(hi << 4 | lo);
    }
    *len = n;
    return 0;
}

/* The IPv4 header's checksum at 14..33 of an untagged frame. */
static void
ip4_csum(uint8_t *f)
{
    uint32_t s = 0;

    f[24] = f[25] = 0;
    for (unsigned i = 14; i < 34; i += 2)
        s += (uint32_t)(f[i] << 8 | f[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    s = ~s & 0xffff;
    f[24] = (uint8_t)(s >> 8);
    f[25] = (uint8_t)s;
}

/* What a flood saw arrive on each port: frames, when the last one came,
 * the longest silence between two and the wall-clock time it ended (so
 * that the caller can tell when traffic resumed against its own clock,
 * e.g. after a restart). */
struct flood_rx_stats {
    uint64_t rx[MAX_PORTS];
    uint64_t last[MAX_PORTS];
    uint64_t gap[MAX_PORTS];
    struct timespec gap_end[MAX_PORTS];
};

static void
flood_rx(struct flood_rx_stats *fr, uint64_t now)
{
    struct rte_mbuf *pkts[BURST];

    for (unsigned i = 0; i < n_ports; i++) {
        uint16_t n = rte_eth_rx_burst(ports[i].id, 0, pkts, BURST);

        if (n == 0)
            continue;
        if (fr->rx[i] > 0 && now - fr->last[i] > fr->gap[i]) {
            fr->gap[i] = now - fr->last[i];
            clock_gettime(CLOCK_REALTIME, &fr->gap_end[i]);
        }
        fr->last[i] = now;
        fr->rx[i] += n;
        rte_pktmbuf_free_bulk(pkts, n);
    }
}

static void
cmd_flood(char *args)
{
    struct stream *st = calloc(FLOOD_MAX, sizeof(*st));
    struct flood_rx_stats fr = { 0 };
    uint64_t hz = rte_get_timer_hz(), next, end;
    unsigned n_st = 0, gap_us, ndst;
    char *save = NULL, *stop, *tok;
    uint64_t i = 0;

    stop = strtok_r(args, " ", &save);
    tok = strtok_r(NULL, " ", &save);
    gap_us = tok ? (unsigned)atoi(tok) : 0;
    tok = strtok_r(NULL, " ", &save);
    ndst = tok ? (unsigned)atoi(tok) : 0;
    if (st == NULL || stop == NULL || ndst == 0) {
        printf("error flood needs STOP GAP_US NDST PORT HEX...\n");
        goto out;
    }
    while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
        char *hex = strtok_r(NULL, " ", &save);
        unsigned p;

        for (p = 0; p < n_ports; p++)
            if (strcmp(ports[p].name, tok) == 0)
                break;
        if (hex == NULL || p == n_ports || n_st == FLOOD_MAX ||
            parse_hex(hex, st[n_st].frame, sizeof(st[n_st].frame),
                      &st[n_st].len) < 0) {
            printf("error flood: bad stream '%s'\n", tok);
            goto out;
        }
        st[n_st++].port = p;
    }
    next = rte_get_timer_cycles();
    while (access(stop, F_OK) != 0) {
        uint64_t now = rte_get_timer_cycles();

        if (now >= next) {
            for (unsigned s = 0; s < n_st; s++) {
                struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
                uint8_t *d;
                uint32_t dst;

                if (m == NULL)
                    continue;
                d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)st[s].len);
                memcpy(d, st[s].frame, st[s].len);
                dst = ((uint32_t)d[30] << 24 | (uint32_t)d[31] << 16 |
                       (uint32_t)d[32] << 8 | d[33]) + (uint32_t)(i % ndst);
                d[30] = (uint8_t)(dst >> 24);
                d[31] = (uint8_t)(dst >> 16);
                d[32] = (uint8_t)(dst >> 8);
                d[33] = (uint8_t)dst;
                ip4_csum(d);
                /* a full ring is the card's back-pressure: wait for it
                 * (a card gone takes nothing: give up after a while) */
                for (unsigned t = 0; t < 100000; t++) {
                    if (rte_eth_tx_burst(ports[st[s].port].id, 0, &m, 1)) {
                        st[s].sent++;
                        m = NULL;
                        break;
                    }
                    flood_rx(&fr, rte_get_timer_cycles());
                }
                if (m != NULL)
                    rte_pktmbuf_free(m);
            }
            i++;
            next += hz * gap_us / 1000000;
            if (next + hz < now)
                next = now;     /* a long stall: do not burst after it */
        }
        flood_rx(&fr, now);
    }
    end = rte_get_timer_cycles() + hz * 3 / 10;
    while (rte_get_timer_cycles() < end)
        flood_rx(&fr, rte_get_timer_cycles());
    for (unsigned s = 0; s < n_st; s++)
        printf("sent %s %" PRIu64 "\n", ports[st[s].port].name, st[s].sent);
    for (unsigned p = 0; p < n_ports; p++)
        printf("rx %s %" PRIu64 " %.1f %lld.%09ld\n", ports[p].name,
               fr.rx[p], (double)fr.gap[p] * 1000.0 / (double)hz,
               (long long)fr.gap_end[p].tv_sec, fr.gap_end[p].tv_nsec);
out:
    printf("end\n");
    fflush(stdout);
    free(st);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "vfs", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    char *eal[64], vdevs[MAX_PORTS][300];
    const char *sock = NULL;
    int n_eal = 0, sep = 0, vfs = 0, c;
    char *line = NULL;
    size_t cap = 0;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            sep = i;
            break;
        }
    if (sep == 0) {
        fprintf(stderr, "usage: snic_traffic [EAL args] -- --socket PATH "
                "--vfs N\n");
        return 2;
    }
    optind = 1;
    while ((c = getopt_long(argc - sep, argv + sep, "", opts, NULL)) != -1) {
        if (c == 's')
            sock = optarg;
        else if (c == 'n')
            vfs = atoi(optarg);
        else
            return 2;
    }
    if (sock == NULL || vfs < 0 || vfs > MAX_PORTS - 1)
        return 2;
    for (int i = 0; i < sep && n_eal < 40; i++)
        eal[n_eal++] = argv[i];
    for (int v = 0; v <= vfs; v++) {
        if (v < vfs)
            snprintf(vdevs[v], sizeof(vdevs[v]), "net_emunic%d,socket=%s,"
                     "vf=%d", 20 + v, sock, v);
        else
            snprintf(vdevs[v], sizeof(vdevs[v]), "net_emunic%d,socket=%s,"
                     "uplink=1", 20 + v, sock);
        eal[n_eal++] = (char *)"--vdev";
        eal[n_eal++] = vdevs[v];
    }
    eal[n_eal] = NULL;
    if (rte_eal_init(n_eal, eal) < 0) {
        fprintf(stderr, "snic_traffic: EAL init failed\n");
        return 1;
    }
    pool = rte_pktmbuf_pool_create("traffic", 8191, 256, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE,
                                   (int)rte_socket_id());
    if (pool == NULL)
        return 1;
    for (int v = 0; v <= vfs; v++) {
        struct tport *tp = &ports[n_ports];
        char devname[32];

        snprintf(devname, sizeof(devname), "net_emunic%d", 20 + v);
        if (rte_eth_dev_get_port_by_name(devname, &tp->id) != 0
            || start_port(tp->id) != 0) {
            fprintf(stderr, "snic_traffic: port %s does not start\n",
                    devname);
            return 1;
        }
        if (v < vfs)
            snprintf(tp->name, sizeof(tp->name), "vf%d", v);
        else
            snprintf(tp->name, sizeof(tp->name), "wire");
        rte_eth_promiscuous_enable(tp->id);
        n_ports++;
    }
    printf("ready\n");
    fflush(stdout);
    while (getline(&line, &cap, stdin) >= 0) {
        char a[32], *b;
        unsigned ms;

        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "send ", 5) == 0) {
            b = strchr(line + 5, ' ');
            if (b == NULL) {
                printf("error send needs PORT HEX\n");
                fflush(stdout);
                continue;
            }
            *b++ = '\0';
            snprintf(a, sizeof(a), "%s", line + 5);
            int rc = cmd_send(a, b);
            if (rc < 0) {
                printf("error send %s: %s\n", a, strerror(-rc));
                fflush(stdout);
            }
        } else if (strncmp(line, "flood ", 6) == 0) {
            cmd_flood(line + 6);
        } else if (sscanf(line, "recv %u", &ms) == 1) {
            cmd_recv(ms);
        } else if (strcmp(line, "quit") == 0) {
            break;
        } else {
            printf("error unknown command\n");
            fflush(stdout);
        }
    }
    free(line);
    for (unsigned i = 0; i < n_ports; i++) {
        rte_eth_dev_stop(ports[i].id);
        rte_eth_dev_close(ports[i].id);
    }
    snic_eal_cleanup();
    return 0;
}
