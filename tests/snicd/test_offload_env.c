/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's test environment (see test_offload_env.h).
 * Paths come from the environment: EMUNIC (the card) and SNIC_FW (the
 * firmware CLI), set by tests/snicd/meson.build; net_emunic is linked in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include "snic_eal_dir.h"
#include "snic_emunic.h"

#include "test_offload_env.h"

struct env env;
uint32_t env_mark_quiet_ms;
uint32_t env_flow_queue;
uint32_t env_conv_max;
uint32_t env_conv_idle_ms;
const char *env_pf_args = "";
uint32_t env_queue_timeout_ms;
uint64_t (*env_now_ns)(void);

static struct rte_mempool *env_mp;
static int env_resets;
static bool env_eal_up;

static void drain(uint16_t port);

static const char *const port_names[ENV_N_OFPORTS] = {
    "uplink", "vf0", "vf1", "vf2", "vf3",
};

static int
name_to_port(void *ctx, const char *name, uint32_t *port)
{
    (void)ctx;
    if (strcmp(name, "pf") == 0)
        name = "uplink";
    for (unsigned i = 0; i < ENV_N_OFPORTS; i++)
        if (strcmp(port_names[i], name) == 0) {
            *port = i + 1;
            return 0;
        }
    /* the tunnel ports a test has */
    for (unsigned i = ENV_N_OFPORTS; i < env.n_ports; i++)
        if (strcmp(env.ports[i].name, name) == 0) {
            *port = env.ports[i].ofport;
            return 0;
        }
    return -ENOENT;
}

static const struct flow_port_map pmap = { .name_to_port = name_to_port };

static void
on_change(void *ctx, enum flow_change_kind kind, const struct flow_entry *e,
          enum flow_removed_reason reason)
{
    if (kind == FLOW_CHANGE_ADDED)
        env.last_id = e->id;
    snicd_offload_flow_changed(ctx, kind, e, reason);
}

static int
on_marks(void *ctx, const struct snicd_mark *marks, unsigned n)
{
    (void)ctx;
    if (env.on_publish != NULL)
        env.on_publish(marks, n);
    env.marks_calls++;
    env.n_marks = n < ENV_MAX_MARKS ? n : ENV_MAX_MARKS;
    memcpy(env.marks, marks, env.n_marks * sizeof(*marks));
    return 0;
}

static int
on_reset(uint16_t port, enum rte_eth_event_type ev, void *ctx, void *ret)
{
    (void)port;
    (void)ev;
    (void)ctx;
    (void)ret;
    __atomic_fetch_add(&env_resets, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static const char *
env_path(const char *var)
{
    const char *p = getenv(var);

    cr_assert(p != NULL && *p != '\0', "%s is not set (meson test sets it)",
              var);
    return p;
}

/* The card, in a private folder; its stderr is the test's. */
static void
emunic_start(const char *profile, va_list ap)
{
    const struct snic_emunic_how how = {
        .tag = "snicd-offload",
        /* a test killed by its timeout must not leave a card running */
        .death_signal = SIGTERM,
    };
    const char *argv[32] = {
        "--max-vfs", "8", "--num-vfs", "4", "--mode", "switchdev",
        "--profile", profile, "-q",
    };
    unsigned n = 9;
    const char *a;

    while ((a = va_arg(ap, const char *)) != NULL && n < 31)
        argv[n++] = a;
    argv[n] = NULL;
    cr_assert_eq(snic_emunic_start(&env.card, env_path("EMUNIC"), NULL, argv,
                                   &how), 0, "%s", env.card.err);
}

static void
eal_start(void)
{
    char prefix[64], pf[256], vf[256], wire[256];
    char *argv[16];
    int argc = 0;

    snprintf(prefix, sizeof(prefix), "--file-prefix=snicd-offload-%d",
             (int)getpid());
    snprintf(pf, sizeof(pf), "--vdev=net_emunic0,socket=%s,"
             "representor=vf[0-3]%s", env.card.sock, env_pf_args);
    snprintf(vf, sizeof(vf), "--vdev=net_emunic1,socket=%s,vf=0",
             env.card.sock);
    snprintf(wire, sizeof(wire), "--vdev=net_emunic2,socket=%s,uplink=1",
             env.card.sock);
    argv[argc++] = "test_offload";
    argv[argc++] = "--no-huge";
    argv[argc++] = "--no-pci";
    argv[argc++] = "-m";
    argv[argc++] = "512";
    argv[argc++] = "-l";
    argv[argc++] = "0";
    argv[argc++] = prefix;
    argv[argc++] = "--no-telemetry";
    argv[argc++] = "--log-level=error";
    argv[argc++] = pf;
    if (env.traffic) {
        argv[argc++] = vf;
        argv[argc++] = wire;
    }
    argv[argc] = NULL;
    cr_assert_geq(rte_eal_init(argc, argv), 0, "rte_eal_init: %s",
                  rte_strerror(rte_errno));
    env_eal_up = true;
}

static uint32_t
flow_queue_size(void)
{
    const char *e = getenv("SNICD_TEST_FLOW_QUEUE");

    if (env_flow_queue == UINT32_MAX)
        return 0;
    if (env_flow_queue != 0)
        return env_flow_queue;
    return e != NULL && *e != '\0' ? (uint32_t)strtoul(e, NULL, 10) : 1024;
}

static void
ports_start(void)
{
    struct rte_eth_conf conf;
    uint16_t n = rte_eth_dev_count_avail();
    uint32_t fq = flow_queue_size();

    cr_assert_eq(n, env.traffic ? 7 : 5, "%u ethdev ports", n);
    env_mp = rte_pktmbuf_pool_create("test_mp", 4095, 0, 0,
                                     RTE_MBUF_DEFAULT_BUF_SIZE,
                                     SOCKET_ID_ANY);
    cr_assert_not_null(env_mp);
    for (uint16_t p = 0; p < n; p++) {
        memset(&conf, 0, sizeof(conf));
        cr_assert_eq(rte_eth_dev_configure(p, 1, 1, &conf), 0);
        cr_assert_eq(rte_eth_rx_queue_setup(p, 0, 256, SOCKET_ID_ANY, NULL,
                                            env_mp), 0);
        cr_assert_eq(rte_eth_tx_queue_setup(p, 0, 256, SOCKET_ID_ANY, NULL),
                     0);
        /* the PF (the transfer proxy) gets its flow queue as snicd's
         * port start gives it */
        if (p == 0)
            cr_assert_eq(snicd_offload_port_queues(p, fq), fq > 0,
                         "flow queue of the PF");
        cr_assert_eq(rte_eth_dev_start(p), 0, "start port %u", p);
    }
    rte_eth_dev_callback_register(0, RTE_ETH_EVENT_INTR_RESET, on_reset,
                                  NULL);
}

static void
env_start_va(const char *profile, bool traffic, bool enabled, bool vxlan,
             va_list ap)
{
    struct snicd_offload_cfg cfg;

    memset(&env, 0, sizeof(env));
    env.traffic = traffic;
    env.now_ns = 1000000000ull;
    emunic_start(profile, ap);
    eal_start();
    ports_start();
    for (unsigned i = 0; i < ENV_N_OFPORTS; i++) {
        env.ports[i].ofport = i + 1;
        env.ports[i].ethdev = (uint16_t)i;
        env.ports[i].is_uplink = i == 0;
        env.ports[i].vf = (int)i - 1;
        snprintf(env.ports[i].name, sizeof(env.ports[i].name), "%s",
                 port_names[i]);
    }
    env.n_ports = ENV_N_OFPORTS;
    if (vxlan) {
        struct snicd_port_info *v = &env.ports[env.n_ports++];

        v->ofport = ENV_VXLAN_PORT;
        v->ethdev = UINT16_MAX;
        v->is_tunnel = true;
        v->vf = -1;
        snprintf(v->name, sizeof(v->name), "vxlan0");
        v->tun_underlay = 1;
        v->tun_local_ip = htonl(ENV_VXLAN_LOCAL);
        v->tun_remote_ip = htonl(ENV_VXLAN_REMOTE);
        memcpy(v->tun_local_mac, "\x02\x00\x00\x00\x00\xa1", 6);
        memcpy(v->tun_remote_mac, "\x02\x00\x00\x00\x00\xb2", 6);
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.proxy_port = 0;
    cfg.enabled = enabled;
    cfg.ports = env.ports;
    cfg.n_ports = env.n_ports;
    cfg.marks_changed = on_marks;
    cfg.mark_quiet_ms = env_mark_quiet_ms;
    cfg.conv_max = env_conv_max;
    cfg.conv_idle_ms = env_conv_idle_ms;
    cfg.queue_timeout_ms = env_queue_timeout_ms;
    cfg.now_ns = env_now_ns;
    env.o = snicd_offload_create(&cfg);
    cr_assert_not_null(env.o, "snicd_offload_create: %s", strerror(errno));
    env.t = flow_table_create(on_change, env.o);
    cr_assert_not_null(env.t);
}

void
env_start(const char *profile, bool traffic, int enabled, ...)
{
    va_list ap;

    va_start(ap, enabled);
    env_start_va(profile, traffic, enabled, false, ap);
    va_end(ap);
}

void
env_start_vxlan(const char *profile, int traffic, ...)
{
    va_list ap;

    va_start(ap, traffic);
    env_start_va(profile, traffic, true, true, ap);
    va_end(ap);
}

unsigned
env_free_rules(void)
{
    const struct rte_flow_attr attr = { .transfer = 1, .priority = 1 };
    const struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    const struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow *h[256];
    struct rte_flow_error err;
    unsigned n = 0;

    while (n < 256 && (h[n] = rte_flow_create(0, &attr, pattern, actions,
                                              &err)) != NULL)
        n++;
    for (unsigned i = 0; i < n; i++)
        rte_flow_destroy(0, h[i], &err);
    return n;
}

unsigned
env_xmit(uint16_t tx, const uint8_t *frame, unsigned len, uint16_t rx,
         uint8_t *got, unsigned room, unsigned *got_len, uint32_t *mark)
{
    struct rte_mbuf *m, *b[32];
    unsigned n = 0;

    drain(rx);
    m = rte_pktmbuf_alloc(env_mp);
    cr_assert_not_null(m);
    memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
    cr_assert_eq(rte_eth_tx_burst(tx, 0, &m, 1), 1, "tx on port %u", tx);
    if (mark != NULL)
        *mark = 0;
    for (int waited = 0; waited < 200; waited++) {
        uint16_t k = rte_eth_rx_burst(rx, 0, b, 32);

        for (uint16_t i = 0; i < k; i++) {
            if (n == 0 && got != NULL) {
                unsigned l = rte_pktmbuf_data_len(b[i]);

                *got_len = l;
                memcpy(got, rte_pktmbuf_mtod(b[i], void *),
                       l < room ? l : room);
                if (mark != NULL &&
                    (b[i]->ol_flags & RTE_MBUF_F_RX_FDIR_ID))
                    *mark = b[i]->hash.fdir.hi;
            }
            n++;
            rte_pktmbuf_free(b[i]);
        }
        usleep(1000);
    }
    return n;
}

void
env_stop(void)
{
    flow_table_destroy(env.t);
    env.t = NULL;
    if (env.o != NULL)
        snicd_offload_commit(env.o);
    snicd_offload_destroy(env.o);
    env.o = NULL;
    if (env_eal_up) {
        uint16_t p;

        RTE_ETH_FOREACH_DEV(p) {
            rte_eth_dev_stop(p);
            rte_eth_dev_close(p);
        }
        snic_eal_cleanup();
        env_eal_up = false;
    }
    snic_emunic_stop(&env.card, 5000);
}

uint64_t
env_add(const char *line)
{
    struct flow_mod fm;
    struct flow_error err;
    int ret = flow_parse(line, FLOW_CMD_ADD, &pmap, &fm, &err);

    cr_assert_eq(ret, 0, "parse '%s': %s", line, err.msg);
    ret = flow_table_apply(env.t, &fm, env.now_ns);
    cr_assert_eq(ret, 1, "apply '%s': %d", line, ret);
    return env.last_id;
}

void
env_mod(const char *line)
{
    struct flow_mod fm;
    struct flow_error err;
    int ret = flow_parse(line, FLOW_CMD_MODIFY_STRICT, &pmap, &fm, &err);

    cr_assert_eq(ret, 0, "parse '%s': %s", line, err.msg);
    cr_assert_eq(flow_table_apply(env.t, &fm, env.now_ns), 1, "modify '%s'",
                 line);
}

void
env_del(const char *line)
{
    struct flow_mod fm;
    struct flow_error err;
    const char *acts = strstr(line, " actions=");
    char match[512];
    int ret;

    snprintf(match, sizeof(match), "%.*s",
             acts ? (int)(acts - line) : (int)strlen(line), line);
    ret = flow_parse(match, FLOW_CMD_DELETE_STRICT, &pmap, &fm, &err);
    cr_assert_eq(ret, 0, "parse '%s': %s", match, err.msg);
    cr_assert_eq(flow_table_apply(env.t, &fm, env.now_ns), 1, "delete '%s'",
                 match);
}

int
env_del_loose(const char *match)
{
    struct flow_mod fm;
    struct flow_error err;
    int ret = flow_parse(match, FLOW_CMD_DELETE, &pmap, &fm, &err);

    cr_assert_eq(ret, 0, "parse '%s': %s", match, err.msg);
    return flow_table_apply(env.t, &fm, env.now_ns);
}

static int
count_where(void *ctx, const struct flow_entry *e)
{
    uint64_t *n = ctx;

    n[env_where(e->id, NULL)]++;
    return 0;
}

struct snicd_offload_stats
env_stats(void)
{
    struct snicd_offload_stats st;

    snicd_offload_get_stats(env.o, &st);
    return st;
}

void
env_check_counts(void)
{
    struct snicd_offload_stats st;
    uint64_t n[3] = { 0, 0, 0 };

    /* the manager keeps its counts by place as flows move; each flow
     * asked where it is must give the same */
    cr_assert_eq(flow_table_walk(env.t, FLOW_TABLE_ALL, count_where, n), 0);
    st = env_stats();
    cr_expect(st.n_hw == n[SNICD_WHERE_HW] &&
              st.n_partial == n[SNICD_WHERE_PARTIAL] &&
              st.n_sw == n[SNICD_WHERE_SW],
              "stats say hw %llu, partial %llu, sw %llu; the flows say "
              "%llu, %llu, %llu", (unsigned long long)st.n_hw,
              (unsigned long long)st.n_partial, (unsigned long long)st.n_sw,
              (unsigned long long)n[SNICD_WHERE_HW],
              (unsigned long long)n[SNICD_WHERE_PARTIAL],
              (unsigned long long)n[SNICD_WHERE_SW]);
}

int
env_commit(void)
{
    int ret = snicd_offload_commit(env.o);

    env_check_counts();
    return ret;
}

enum snicd_where
env_where(uint64_t id, const char **reason)
{
    return snicd_offload_where(env.o, id, reason);
}

void
env_expect(uint64_t id, enum snicd_where w, const char *words)
{
    static const char *const names[] = { "sw", "hw", "partial" };
    const char *reason = NULL;
    enum snicd_where got = env_where(id, &reason);
    char line[FLOW_FORMAT_MAX];
    const struct flow_entry *e = flow_table_find(env.t, id);
    struct flow f;

    if (e != NULL) {
        flow_entry_flow(e, &f);
        flow_format(&f, &pmap, line, sizeof(line));
    } else {
        snprintf(line, sizeof(line), "(flow %llu)", (unsigned long long)id);
    }
    cr_expect_eq(got, w, "%s: where=%s, want %s (reason '%s')", line,
                 names[got], names[w], reason);
    if (words != NULL)
        cr_expect(reason != NULL && strstr(reason, words) != NULL,
                  "%s: reason '%s' lacks '%s'", line, reason, words);
}

static struct rte_mbuf *
frame(unsigned len, uint32_t dst_ip)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(env_mp);
    uint8_t *p;

    cr_assert_not_null(m);
    p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
    cr_assert_not_null(p);
    memset(p, 0, len);
    memcpy(p, "\x02\x00\x00\x00\x00\x99\x02\x00\x00\x00\x00\x10\x08\x00", 14);
    p[14] = 0x45;
    p[16] = (uint8_t)((len - 14) >> 8);
    p[17] = (uint8_t)(len - 14);
    p[22] = 64;
    p[23] = 17;
    memcpy(p + 26, "\x0a\x00\x00\x10", 4);
    dst_ip = htonl(dst_ip);
    memcpy(p + 30, &dst_ip, 4);
    p[34] = 0x30;
    p[35] = 0x39;
    p[36] = 0x00;
    p[37] = 0x35;
    p[38] = (uint8_t)((len - 34) >> 8);
    p[39] = (uint8_t)(len - 34);
    return m;
}

static void
drain(uint16_t port)
{
    struct rte_mbuf *b[32];
    uint16_t n;

    while ((n = rte_eth_rx_burst(port, 0, b, 32)) > 0)
        rte_pktmbuf_free_bulk(b, n);
}

unsigned
env_send(unsigned n, unsigned len, uint32_t dst_ip, uint16_t rx_port,
         uint32_t *mark_out)
{
    struct rte_mbuf *tx[64], *rx[32];
    unsigned got = 0;
    uint16_t sent = 0;

    cr_assert_leq(n, 64);
    drain(rx_port);
    for (unsigned i = 0; i < n; i++)
        tx[i] = frame(len, dst_ip);
    for (int tries = 0; sent < n && tries < 100; tries++) {
        sent += rte_eth_tx_burst(ENV_VF_PORT, 0, tx + sent,
                                 (uint16_t)(n - sent));
        if (sent < n)
            usleep(1000);
    }
    if (sent < n)
        rte_pktmbuf_free_bulk(tx + sent, n - sent);
    if (mark_out != NULL)
        *mark_out = 0;
    for (int waited = 0; got < sent && waited < 2000; waited++) {
        uint16_t k = rte_eth_rx_burst(rx_port, 0, rx, 32);

        for (uint16_t i = 0; i < k; i++) {
            if (mark_out != NULL && (rx[i]->ol_flags & RTE_MBUF_F_RX_FDIR_ID))
                *mark_out = rx[i]->hash.fdir.hi;
            rte_pktmbuf_free(rx[i]);
        }
        got += k;
        if (k == 0)
            usleep(1000);
    }
    /* nothing else should be on its way */
    usleep(20000);
    {
        uint16_t k = rte_eth_rx_burst(rx_port, 0, rx, 32);

        got += k;
        rte_pktmbuf_free_bulk(rx, k);
    }
    return got;
}

int
env_snic_fw(const char *cmd)
{
    char line[512];
    int st;

    snprintf(line, sizeof(line), "%s --socket %s %s >/dev/null",
             env_path("SNIC_FW"), env.card.sock, cmd);
    st = system(line);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool
env_wait_reset(unsigned ms)
{
    for (unsigned i = 0; i < ms / 10; i++) {
        if (__atomic_load_n(&env_resets, __ATOMIC_SEQ_CST) > 0)
            return true;
        usleep(10000);
    }
    return __atomic_load_n(&env_resets, __ATOMIC_SEQ_CST) > 0;
}
