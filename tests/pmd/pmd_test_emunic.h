/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A private emunic for the in-process PMD tests: started in a fresh temp
 * folder with one VF in switchdev mode, stopped and its sockets removed at
 * the end; the EAL over it (the PF, VF 0's VM side), ports started, torn
 * down with every runtime folder gone; the card's own figures; frames
 * from a VF to the MAC of a numbered flow. Header-only: each test file is
 * one program.
 */
#ifndef SNIC_TESTS_PMD_EMUNIC_H
#define SNIC_TESTS_PMD_EMUNIC_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

#include "../test_child.h"
#include "snic/fw_abi.h"
#include "snic/fw_chan.h"
#include "snic_eal_dir.h"
#include "snic_emunic.h"

static struct snic_emunic card;

/* Start $EMUNIC in a new /tmp/snic-@tag.XXXXXX and wait until it listens. */
static void
emu_start(const char *tag)
{
    static const char *const args[] = {
        "--num-vfs", "1", "--mode", "switchdev", "--quiet", NULL,
    };
    const struct snic_emunic_how how = {
        .tag = tag, .death_signal = SIGKILL,    /* as test_fork() */
    };

    cr_assert_eq(snic_emunic_start(&card, getenv("EMUNIC"), NULL, args,
                                   &how), 0, "%s", card.err);
}

/* Stop it (if still running) and remove its folder, with the function
 * sockets a card killed by a test leaves behind. */
static void
emu_stop(void)
{
    snic_emunic_stop(&card, 5000);
}

/* ---- the EAL over it (static inline: a test uses what it needs) ---- */

/* EAL with the PF as net_emunic0 (@pf_args appended to its devargs,
 * e.g. ",representor=vf[0]") and, with @vf, VF 0's VM side as
 * net_emunic1; file prefix @tag + PID, the driver's and EAL's logs at
 * @level. Returns the number of ports probed; -1 when EAL init failed and
 * @may_fail (a test of refused devargs), else the test fails. */
static inline int
pmd_eal_up(const char *tag, const char *pf_args, bool vf, const char *level,
           bool may_fail)
{
    char prefix[48], vdev0[192], vdev1[160], log_pmd[64], log_eal[64];
    char *argv[] = {
        "pmd_test", "--no-huge", "--no-pci",
        "-m", "128", "--file-prefix", prefix, "--no-telemetry", "-l", "0",
        log_pmd, log_eal, "--vdev", vdev0, "--vdev", vdev1,
    };
    int argc = (int)(sizeof(argv) / sizeof(argv[0])) - (vf ? 0 : 2);

    snprintf(prefix, sizeof(prefix), "%s%d", tag, (int)getpid());
    snprintf(log_pmd, sizeof(log_pmd), "--log-level=pmd.net.emunic:%s", level);
    snprintf(log_eal, sizeof(log_eal), "--log-level=lib.eal:%s", level);
    snprintf(vdev0, sizeof(vdev0), "net_emunic0,socket=%s%s", card.sock,
             pf_args);
    snprintf(vdev1, sizeof(vdev1), "net_emunic1,socket=%s,vf=0", card.sock);
    if (rte_eal_init(argc, argv) < 0) {
        if (may_fail)
            return -1;
        cr_assert_fail("EAL init: %s", rte_strerror(rte_errno));
    }
    return (int)rte_eth_dev_count_avail();
}

/* Port @pid with one rx and one tx queue of @nb_desc descriptors (rx
 * buffers from @mp), not started. */
static inline void
pmd_port_setup(uint16_t pid, struct rte_mempool *mp, uint16_t nb_desc)
{
    struct rte_eth_conf conf;

    memset(&conf, 0, sizeof(conf));
    cr_assert(rte_eth_dev_configure(pid, 1, 1, &conf) == 0 &&
              rte_eth_rx_queue_setup(pid, 0, nb_desc, 0, NULL, mp) == 0 &&
              rte_eth_tx_queue_setup(pid, 0, nb_desc, 0, NULL) == 0,
              "port %u configured", pid);
}

/* The same, started. */
static inline void
pmd_port_start(uint16_t pid, struct rte_mempool *mp, uint16_t nb_desc)
{
    pmd_port_setup(pid, mp, nb_desc);
    cr_assert_eq(rte_eth_dev_start(pid), 0, "port %u started", pid);
}

/* Every port stopped and closed, the EAL's runtime folder removed, the
 * card stopped: a suite's .fini. */
static inline void
pmd_down(void)
{
    uint16_t p;

    RTE_ETH_FOREACH_DEV(p) {
        rte_eth_dev_stop(p);
        rte_eth_dev_close(p);
    }
    snic_eal_cleanup();
    emu_stop();
}

/* The card's own figures (QUERY_HEALTH: rules, tombstones...) through
 * @ch, or through a channel of the test's own when @ch is NULL, so the
 * driver's channel is left alone. */
static inline struct fw_query_health_out
pmd_card_health(struct fw_chan *ch)
{
    struct fw_cmd_hdr in;
    struct fw_query_health_out out;
    struct fw_chan *own = ch != NULL ? NULL : fw_chan_open(card.sock, 2000);
    uint8_t status = 0xff;
    uint32_t synd = 0;

    cr_assert(ch != NULL || own != NULL, "debug channel to %s", card.sock);
    memset(&in, 0, sizeof(in));
    memset(&out, 0, sizeof(out));
    cr_assert_eq(fw_chan_exec(ch != NULL ? ch : own, FW_CMD_QUERY_HEALTH,
                              &in, sizeof(in), &out, sizeof(out), &status,
                              &synd, 2000), 0);
    cr_assert_eq(status, FW_STATUS_OK);
    if (own != NULL)
        fw_chan_close(own);
    return out;
}

/* Steering rules in the card now (tombstones included). */
static inline uint32_t
pmd_card_rules(void)
{
    return pmd_card_health(NULL).rules;
}

/* A fault knob of the card (DEBUG_FAULT @kind, for @opcode, with @value)
 * through a channel of the test's own, as snic-fw sets one. */
static inline void
pmd_card_fault(uint32_t kind, uint16_t opcode, uint32_t value)
{
    struct fw_debug_fault_in in;
    struct fw_out_hdr out;
    struct fw_chan *ch = fw_chan_open(card.sock, 2000);
    uint8_t status = 0xff;
    uint32_t synd = 0;

    cr_assert_not_null(ch, "debug channel to %s", card.sock);
    memset(&in, 0, sizeof(in));
    in.fault = kind;
    in.opcode = opcode;
    in.value = value;
    cr_assert_eq(fw_chan_exec(ch, FW_CMD_DEBUG_FAULT, &in, sizeof(in), &out,
                              sizeof(out), &status, &synd, 2000), 0);
    cr_assert_eq(status, FW_STATUS_OK, "fault knob %u: %s", kind,
                 fw_status_str(status));
    fw_chan_close(ch);
}

/* The destination MAC of flow @i: 02:00:00:00:hi:lo. */
static inline void
pmd_flow_mac(unsigned i, uint8_t mac[6])
{
    memset(mac, 0, 6);
    mac[0] = 0x02;
    mac[4] = (uint8_t)(i >> 8);
    mac[5] = (uint8_t)i;
}

#define PMD_FRAME   64u

/* @n (at most 32) PMD_FRAME-byte frames from port @pid (a VF: its own
 * source MAC passes the spoof check) to flow @i's MAC, all queued. */
static inline void
pmd_send_to(uint16_t pid, struct rte_mempool *mp, unsigned i, unsigned n)
{
    struct rte_ether_addr src;
    struct rte_mbuf *m[32];
    unsigned sent = 0;

    cr_assert(n <= 32);
    cr_assert_eq(rte_eth_macaddr_get(pid, &src), 0);
    cr_assert_eq(rte_pktmbuf_alloc_bulk(mp, m, n), 0);
    for (unsigned k = 0; k < n; k++) {
        uint8_t *d = (uint8_t *)rte_pktmbuf_append(m[k], PMD_FRAME);

        cr_assert_not_null(d);
        memset(d, 0, PMD_FRAME);
        pmd_flow_mac(i, d);
        memcpy(d + 6, src.addr_bytes, 6);
        d[12] = 0x08;                       /* IPv4 ethertype, empty body */
    }
    for (int tries = 0; sent < n && tries < 1000; tries++) {
        sent += rte_eth_tx_burst(pid, 0, m + sent, (uint16_t)(n - sent));
        if (sent < n)
            usleep(1000);
    }
    cr_assert_eq(sent, n, "port %u queued %u of %u frames", pid, sent, n);
}

/* The templates and template table of transfer rules that match a
 * destination MAC from any port (REPRESENTED_PORT with a zero mask) and
 * COUNT, DROP, on port @pid (configured with flow queues): room for
 * @nb_flows rules. The port's close takes them. */
struct pmd_mac_table {
    struct rte_flow_pattern_template *pt;
    struct rte_flow_actions_template *at;
    struct rte_flow_template_table *table;
};

static inline void
pmd_mac_table(uint16_t pid, uint32_t nb_flows, struct pmd_mac_table *t)
{
    const struct rte_flow_pattern_template_attr ptattr = { .transfer = 1 };
    const struct rte_flow_actions_template_attr atattr = { .transfer = 1 };
    const struct rte_flow_template_table_attr tattr = {
        .flow_attr = { .transfer = 1 },
        .nb_flows = nb_flows,
    };
    struct rte_flow_item_ethdev port_mask = { .port_id = 0 };
    struct rte_flow_item_eth eth_mask;
    struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .mask = &port_mask },
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .mask = &eth_mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error err;

    memset(&eth_mask, 0, sizeof(eth_mask));
    memset(eth_mask.hdr.dst_addr.addr_bytes, 0xff, 6);
    t->pt = rte_flow_pattern_template_create(pid, &ptattr, pattern, &err);
    cr_assert_not_null(t->pt, "pattern template: %s", err.message);
    t->at = rte_flow_actions_template_create(pid, &atattr, acts, acts, &err);
    cr_assert_not_null(t->at, "actions template: %s", err.message);
    t->table = rte_flow_template_table_create(pid, &tattr, &t->pt, 1, &t->at,
                                              1, &err);
    cr_assert_not_null(t->table, "table: %s", err.message);
}

/* Enqueue on flow queue @q of @pid the rule of @table (pmd_mac_table())
 * for destination MAC @mac, any source port, with @user_data. */
static inline struct rte_flow *
pmd_mac_enqueue(uint16_t pid, uint32_t q, struct rte_flow_template_table *table,
                const uint8_t mac[6], bool postpone, void *user_data,
                struct rte_flow_error *err)
{
    const struct rte_flow_op_attr op = { .postpone = postpone };
    struct rte_flow_item_ethdev any_port = { .port_id = 0 };
    struct rte_flow_item_eth spec;
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &any_port },
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &spec },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };

    memset(&spec, 0, sizeof(spec));
    memcpy(spec.hdr.dst_addr.addr_bytes, mac, 6);
    return rte_flow_async_create(pid, q, &op, table, items, 0, acts, 0,
                                 user_data, err);
}

#endif /* SNIC_TESTS_PMD_EMUNIC_H */
