/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Representor hotplug in net_emunic, against a running emunic: VFs leave
 * the card and come back (SR-IOV set in place, ABI 1.2), and the PMD
 * follows with standard ethdev events.
 *
 *   - lowering num_vfs 4 -> 2 raises RTE_ETH_EVENT_INTR_RMV on exactly the
 *     representors of vf2 and vf3 (and on the VM-side ports of those VFs),
 *     never on the PF, vf0/vf1 or their VM sides; the card destroys the
 *     rule matching vf3's frames and keeps the one sending to vf2 as a
 *     tombstone that drops and counts (QUERY_HEALTH rules / tombstones),
 *     the removed ports' handles are destroyed cleanly, and vf0 -> vf1
 *     still goes through its hardware rule;
 *   - a gone representor refuses start and new flows, reports removed;
 *   - raising it to 4 again creates the representors anew once the
 *     application closed the old ones (RTE_ETH_EVENT_NEW), same names and
 *     representor ids; rules naming them are accepted and forward;
 *   - a representor the application closes while its VF exists is not
 *     created again;
 *   - a VF removed and added back between two looks of the PMD (a flap
 *     under 50 ms) is still a new function: RMV, then NEW.
 *
 * Ports: the PF vdev (port 0) with representor=vf[0-3] (ports 1..4), then
 * one VM-side vdev per VF (net_emunic_vm0..3). Needs EMUNIC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

#include "snic_eal_dir.h"

#include "pmd_test_emunic.h"
#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

#define NVF     4
#define PF      0

static struct rte_mempool *pool;
static struct fw_chan *ctl;     /* the test's own PF channel: SR-IOV, counts */
static uint16_t rep[NVF];       /* representor port of VF i (UINT16_MAX: none) */
static uint16_t vm[NVF];        /* VM-side port of VF i */
static unsigned rmv_seen[RTE_MAX_ETHPORTS];
static unsigned new_seen[RTE_MAX_ETHPORTS];
static unsigned n_new;

static int
on_event(uint16_t pid, enum rte_eth_event_type ev, void *arg, void *out)
{
    (void)arg;
    (void)out;
    if (pid >= RTE_MAX_ETHPORTS)
        return 0;
    if (ev == RTE_ETH_EVENT_INTR_RMV)
        __atomic_add_fetch(&rmv_seen[pid], 1, __ATOMIC_SEQ_CST);
    if (ev == RTE_ETH_EVENT_NEW) {
        __atomic_add_fetch(&new_seen[pid], 1, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&n_new, 1, __ATOMIC_SEQ_CST);
    }
    return 0;
}

/* The callback counts on DPDK's interrupt thread, at any time. */
static unsigned
seen(const unsigned *count)
{
    return __atomic_load_n(count, __ATOMIC_SEQ_CST);
}

static void
sriov_set(unsigned n)
{
    struct fw_sriov_enable_in in = {
        .num_vfs = (uint16_t)n, .flags = FW_SRIOV_F_IN_PLACE,
    };
    uint8_t st = 0xff;
    uint32_t synd = 0;

    cr_assert_eq(fw_chan_exec(ctl, FW_CMD_SRIOV_ENABLE, &in, sizeof(in), NULL,
                              0, &st, &synd, 2000), 0);
    cr_assert_eq(st, FW_STATUS_OK, "SR-IOV in place to %u: status %u", n, st);
}

static struct fw_query_health_out card_health(void);

/* Rules in the card right now, tombstones included (QUERY_HEALTH, ABI 1.2
 * tail). */
static unsigned
card_rules(void)
{
    return card_health().rules;
}

/* Of those, rules the card rewrote when a VF they sent to was removed. */
static unsigned
card_tombstones(void)
{
    return card_health().tombstones;
}

static struct fw_query_health_out
card_health(void)
{
    struct fw_query_health_out out = pmd_card_health(ctl);

    cr_assert_eq(out.hdr.out_size, sizeof(out), "the 1.2 tail is written");
    return out;
}

static void
port_up(uint16_t pid, bool promisc)
{
    pmd_port_start(pid, pool, 256);
    if (promisc)
        rte_eth_promiscuous_enable(pid);
}

static void
vm_attach(unsigned vf)
{
    char name[32], args[160];

    snprintf(name, sizeof(name), "net_emunic_vm%u", vf);
    snprintf(args, sizeof(args), "socket=%s,vf=%u", card.sock, vf);
    int rc = rte_eal_hotplug_add("vdev", name, args);

    cr_assert_eq(rc, 0, "attach %s: %s", name, strerror(-rc));
    cr_assert_eq(rte_eth_dev_get_port_by_name(name, &vm[vf]), 0);
    port_up(vm[vf], false);
}

static void
up(void)
{
    emu_start("rephp");         /* returns once the card listens */
    ctl = fw_chan_open(card.sock, 2000);
    cr_assert_not_null(ctl, "test channel to the card: %s", strerror(errno));
    cr_assert_geq(fw_chan_abi_minor(ctl), 2, "the card speaks ABI 1.2");
    sriov_set(NVF);
    pmd_eal_up("rephp", ",representor=vf[0-3]", false, "error", false);
    pool = rte_pktmbuf_pool_create("rephp", 2048, 0, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    cr_assert_not_null(pool);
    for (unsigned i = 0; i < NVF; i++) {
        char name[64];

        snprintf(name, sizeof(name), "net_emunic0_representor_%u", i);
        cr_assert_eq(rte_eth_dev_get_port_by_name(name, &rep[i]), 0, "%s",
                     name);
    }
    port_up(PF, false);
    for (unsigned i = 0; i < NVF; i++) {
        port_up(rep[i], false);
        vm_attach(i);
    }
    cr_assert_eq(rte_eth_dev_callback_register(RTE_ETH_ALL,
                 RTE_ETH_EVENT_INTR_RMV, on_event, NULL), 0);
    cr_assert_eq(rte_eth_dev_callback_register(RTE_ETH_ALL,
                 RTE_ETH_EVENT_NEW, on_event, NULL), 0);
}

static void
down(void)
{
    if (ctl != NULL)
        fw_chan_close(ctl);
    ctl = NULL;
    pmd_down();
}

TestSuite(pmd_rep_hotplug, .fini = down, .timeout = 30);

static char last_msg[256];     /* rule(): the PMD's message on a refusal */
static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0xaa, 1 };
static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0xcc, 2 };

/* Transfer rule on the PF: from VF @src's port (and to @dst_mac when not
 * NULL) -> COUNT, VF @dst. */
static struct rte_flow *
rule(unsigned src, const uint8_t *dst_mac, unsigned dst, int *err)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_ethdev from = { .port_id = rep[src] };
    struct rte_flow_item_eth spec, mask;
    struct rte_flow_action_ethdev to = { .port_id = rep[dst] };
    struct rte_flow_action_count cnt = { .id = 0 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &from },
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT, .conf = &cnt },
        { .type = RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, .conf = &to },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error ferr;
    struct rte_flow *f;

    memset(&spec, 0, sizeof(spec));
    memset(&mask, 0, sizeof(mask));
    if (dst_mac != NULL) {
        memcpy(spec.hdr.dst_addr.addr_bytes, dst_mac, 6);
        memset(mask.hdr.dst_addr.addr_bytes, 0xff, 6);
        items[1].spec = &spec;
        items[1].mask = &mask;
    }
    memset(&ferr, 0, sizeof(ferr));
    f = rte_flow_create(PF, &attr, items, actions, &ferr);
    if (err != NULL)
        *err = f == NULL ? rte_errno : 0;
    snprintf(last_msg, sizeof(last_msg), "%s",
             f == NULL && ferr.message != NULL ? ferr.message : "");
    return f;
}

/* A port id whose representor is gone (RMV raised, not closed yet) is
 * refused wherever a rule names it (item, action, or the port the rule is
 * made on: EIO there, as ethdev reports removed ports), with ENODEV and a
 * message saying it is gone: the vport it stood for may already be a new
 * function. */
static void
expect_gone_refused(unsigned vf, unsigned other)
{
    struct rte_flow_attr ingress = { .ingress = 1 };
    struct rte_flow_item eth[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action drop[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error ferr;
    int err = 0;

    cr_expect_null(rule(other, mac_c, vf, &err), "action naming gone vf%u",
                   vf);
    cr_expect_eq(err, ENODEV, "action: ENODEV, got %d", err);
    cr_expect(strstr(last_msg, "gone") != NULL, "action: '%s'", last_msg);
    cr_expect_null(rule(vf, NULL, other, &err), "item naming gone vf%u", vf);
    cr_expect_eq(err, ENODEV, "item: ENODEV, got %d", err);
    cr_expect(strstr(last_msg, "gone") != NULL, "item: '%s'", last_msg);
    /* ethdev turns any refusal on a port it knows removed into EIO */
    memset(&ferr, 0, sizeof(ferr));
    cr_expect_eq(rte_flow_validate(rep[vf], &ingress, eth, drop, &ferr),
                 -EIO, "a rule on the gone representor itself");
}


/* Send @n frames to @dst from VM port @from; how many reach VM port @to
 * (anything else arriving there is not counted). */
static unsigned
send_recv(uint16_t from, const uint8_t *dst, unsigned n, uint16_t to)
{
    struct rte_mbuf *m, *rx[32];
    unsigned got = 0;

    for (unsigned i = 0; i < n; i++) {
        uint8_t *p;

        m = rte_pktmbuf_alloc(pool);
        cr_assert_not_null(m);
        p = (uint8_t *)rte_pktmbuf_append(m, 64);
        cr_assert_not_null(p);
        memset(p, 0, 64);
        memcpy(p, dst, 6);
        p[6] = 0x02;
        p[11] = (uint8_t)from;
        p[12] = 0x88;
        p[13] = 0xb5;
        p[14] = (uint8_t)i;
        if (rte_eth_tx_burst(from, 0, &m, 1) != 1)
            rte_pktmbuf_free(m);
    }
    for (int t = 0; t < 200 && got < n; t++) {
        uint16_t k = rte_eth_rx_burst(to, 0, rx, 32);

        for (uint16_t j = 0; j < k; j++) {
            got += memcmp(rte_pktmbuf_mtod(rx[j], uint8_t *), dst, 6) == 0;
            rte_pktmbuf_free(rx[j]);
        }
        if (k == 0)
            usleep(2000);
    }
    return got;
}

static uint64_t
hits(struct rte_flow *f)
{
    struct rte_flow_query_count q = { .reset = 0 };
    struct rte_flow_action a = { .type = RTE_FLOW_ACTION_TYPE_COUNT };
    struct rte_flow_error err;

    cr_assert_eq(rte_flow_query(PF, f, &a, &q, &err), 0, "query: %s",
                 err.message ? err.message : "?");
    return q.hits;
}

/* Wait (up to 3 s) until RMV was seen on every port of @want[0..n-1]. */
static void
wait_rmv(const uint16_t *want, unsigned n)
{
    for (int t = 0; t < 300; t++) {
        unsigned ok = 0;

        for (unsigned i = 0; i < n; i++)
            ok += __atomic_load_n(&rmv_seen[want[i]], __ATOMIC_SEQ_CST) > 0;
        if (ok == n)
            return;
        usleep(10000);
    }
    cr_assert_fail("RMV not raised on every removed port in 3 s");
}

static void
wait_new(unsigned total)
{
    for (int t = 0; t < 300; t++) {
        if (__atomic_load_n(&n_new, __ATOMIC_SEQ_CST) >= total)
            return;
        usleep(10000);
    }
    cr_assert_fail("%u NEW events expected in 3 s, %u seen", total,
                   seen(&n_new));
}

/* The application's side of a removal: destroy the handles naming the
 * port, close it, unplug the VM side. */
static void
let_go(unsigned vf)
{
    char name[32];

    cr_assert_eq(rte_eth_dev_stop(rep[vf]), 0);
    cr_assert_eq(rte_eth_dev_close(rep[vf]), 0);
    rep[vf] = UINT16_MAX;
    snprintf(name, sizeof(name), "net_emunic_vm%u", vf);
    cr_assert_eq(rte_eal_hotplug_remove("vdev", name), 0);
}

/* Representor of VF @vf created by hotplug: same name and id as before. */
static void
find_new_rep(unsigned vf)
{
    char name[64];
    uint16_t pid;
    struct rte_eth_dev_info info;

    snprintf(name, sizeof(name), "net_emunic0_representor_%u", vf);
    cr_assert_eq(rte_eth_dev_get_port_by_name(name, &pid), 0, "%s is back",
                 name);
    cr_expect_gt(seen(&new_seen[pid]), 0, "NEW raised for %s (port %u)",
                 name, pid);
    cr_assert_eq(rte_eth_dev_info_get(pid, &info), 0);
    cr_expect(*info.dev_flags & RTE_ETH_DEV_REPRESENTOR);
    cr_expect_eq(info.switch_info.port_id, FW_VPORT_VF(vf));
    cr_expect_eq(rte_eth_dev_is_removed(pid), 0);
    rep[vf] = pid;
}

Test(pmd_rep_hotplug, lower_then_raise)
{
    struct rte_flow *fa, *fb, *fc, *fd, *f;
    struct rte_flow_error ferr;
    uint16_t gone[4];
    int err;

    up();
    fa = rule(0, mac_a, 1, &err);   /* vf0 -> vf1: untouched */
    fb = rule(1, NULL, 0, &err);    /* vf1 -> vf0: untouched */
    fc = rule(0, mac_c, 2, &err);   /* vf0 -> vf2: names vf2 */
    fd = rule(3, NULL, 0, &err);    /* vf3 -> vf0: names vf3 */
    cr_assert(fa && fb && fc && fd, "four rules created");
    cr_assert_eq(card_rules(), 4);
    cr_assert_eq(send_recv(vm[0], mac_c, 8, vm[2]), 8, "vf0 -> vf2 before");

    sriov_set(2);
    gone[0] = rep[2];
    gone[1] = rep[3];
    gone[2] = vm[2];
    gone[3] = vm[3];
    wait_rmv(gone, 4);
    usleep(200000);     /* a few more looks of the alarm: nothing else */
    cr_expect_eq(seen(&rmv_seen[PF]), 0, "no RMV on the PF");
    for (unsigned i = 0; i < 2; i++) {
        cr_expect_eq(seen(&rmv_seen[rep[i]]), 0,
                     "no RMV on vf%u's representor", i);
        cr_expect_eq(seen(&rmv_seen[vm[i]]), 0, "no RMV on vf%u's VM side", i);
    }
    for (unsigned i = 0; i < 4; i++)
        cr_expect_eq(seen(&rmv_seen[gone[i]]), 1, "exactly one RMV on port %u",
                     gone[i]);
    cr_expect_eq(card_rules(), 3, "the card destroyed the rule from vf3; "
                 "the one to vf2 stays, as a tombstone");
    cr_expect_eq(card_tombstones(), 1);
    cr_expect_eq(rte_eth_dev_is_removed(rep[2]), 1);
    cr_expect_eq(rte_eth_dev_is_removed(rep[0]), 0);

    /* the gone port fails cleanly, the others work */
    cr_expect_eq(rte_eth_dev_stop(rep[2]), 0);
    cr_expect_lt(rte_eth_dev_start(rep[2]), 0, "a gone port does not start");
    f = rule(0, mac_c, 2, &err);
    cr_expect_null(f, "no new rule may name a removed VF");
    expect_gone_refused(2, 0);
    cr_expect_eq(send_recv(vm[0], mac_a, 10, vm[1]), 10, "vf0 -> vf1 goes on");
    cr_expect_geq(hits(fa), 10, "through its hardware rule");
    {
        uint64_t h0 = hits(fc);

        /* vf2's traffic is dropped by the tombstone, not handed to
         * another VF */
        cr_expect_eq(send_recv(vm[0], mac_c, 6, vm[1]), 0);
        cr_expect_eq(hits(fc), h0 + 6, "the tombstone counts what it drops");
    }
    cr_expect_eq(rte_flow_destroy(PF, fc, &ferr), 0, "destroy of a tombstone: "
                 "%s", ferr.message ? ferr.message : "");
    cr_expect_eq(rte_flow_destroy(PF, fd, &ferr), 0, "destroy of a rule the "
                 "card dropped: %s", ferr.message ? ferr.message : "");
    cr_expect_eq(card_rules(), 2);
    cr_expect_eq(card_tombstones(), 0);
    let_go(2);
    let_go(3);

    sriov_set(4);
    wait_new(2);
    find_new_rep(2);
    find_new_rep(3);
    cr_expect_eq(card_rules(), 2, "nothing came back by itself");
    port_up(rep[2], false);
    port_up(rep[3], false);
    vm_attach(2);
    vm_attach(3);
    fc = rule(0, mac_c, 2, &err);
    fd = rule(3, NULL, 0, &err);
    cr_assert(fc && fd, "rules naming the new representors are accepted");
    cr_expect_eq(card_rules(), 4);
    cr_expect_eq(send_recv(vm[0], mac_c, 8, vm[2]), 8, "vf0 -> vf2 again");
    cr_expect_eq(send_recv(vm[3], mac_a, 8, vm[0]), 8, "vf3 -> vf0 again");
    cr_expect_eq(hits(fc), 8);
    cr_expect_eq(hits(fd), 8);
    cr_expect_eq(seen(&rmv_seen[PF]) + seen(&rmv_seen[rep[0]])
                 + seen(&rmv_seen[rep[1]]), 0);

    /* closing a representor whose VF is there is the application's
     * choice: it does not come back by itself */
    {
        unsigned n0 = __atomic_load_n(&n_new, __ATOMIC_SEQ_CST);
        uint16_t pid;

        cr_assert_eq(rte_eth_dev_stop(rep[1]), 0);
        cr_assert_eq(rte_eth_dev_close(rep[1]), 0);
        usleep(300000);
        cr_expect_eq(__atomic_load_n(&n_new, __ATOMIC_SEQ_CST), n0);
        cr_expect_neq(rte_eth_dev_get_port_by_name(
                          "net_emunic0_representor_1", &pid), 0);
    }
}

/* Removed and added back within one look of the alarm: the VF number is
 * the same, the function is not (no rule reaches it: the one sending to
 * the old vf2 is a tombstone): still RMV + NEW. */
Test(pmd_rep_hotplug, flap_is_a_new_function)
{
    struct rte_flow_error ferr;
    struct rte_flow *fc;
    uint16_t gone[1];
    int err;

    up();
    fc = rule(0, mac_c, 2, &err);
    cr_assert_not_null(fc);
    cr_assert_eq(card_rules(), 1);
    sriov_set(2);
    sriov_set(4);
    gone[0] = rep[2];
    wait_rmv(gone, 1);
    cr_expect_eq(seen(&rmv_seen[rep[3]]), 1, "vf3 flapped too");
    cr_expect_eq(seen(&rmv_seen[rep[0]]) + seen(&rmv_seen[rep[1]]), 0);
    cr_expect_eq(card_rules(), 1, "the flap made vf2's rule a tombstone");
    cr_expect_eq(card_tombstones(), 1);
    /* vf2 exists again on the card, a new function: the old port id must
     * not reach it, though its vport number is the same */
    expect_gone_refused(2, 0);
    cr_expect_eq(card_rules(), 1, "nothing reached the new vf2");
    cr_expect_eq(card_tombstones(), 1, "and the tombstone does not name it");
    cr_expect_eq(rte_flow_destroy(PF, fc, &ferr), 0);
    cr_expect_eq(card_rules(), 0);
    let_go(2);
    let_go(3);
    wait_new(2);
    find_new_rep(2);
    find_new_rep(3);
}
