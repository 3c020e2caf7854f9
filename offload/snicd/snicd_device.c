/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device as a whole: noticing that it stopped answering, and
 * re-attaching it when it answers again.
 *
 * A PMD whose card went away (the card process was killed, or its command
 * channel died after a completion that never came) reports link down on
 * every port and fails flow operations with EIO; it may or may not raise
 * RTE_ETH_EVENT_INTR_RMV (net_emunic does not: it raises LSC). Its
 * ethdev ports are of no further use: the PMD has to be detached and
 * probed again to reach the card anew. So, on a link change or a commit
 * that met EIO, snicd asks the device a trivial rte_flow_validate; EIO
 * means gone:
 *
 *   1. every flow leaves hardware (snicd_offload_device_gone: reason
 *      "device gone ..."), none leaves the desired state, the software
 *      datapath keeps running for what it can still reach;
 *   2. the ports are stopped and the devices backing them are detached
 *      (rte_eal_hotplug_remove), their bus, name and devargs kept;
 *   3. every SNICD_REATTACH_MS the devices are probed again with the same
 *      devargs (rte_eal_hotplug_add); a probe fails quickly while the card
 *      is still away;
 *   4. once probed, each new ethdev is matched to its old role (uplink,
 *      vfN) and started under its old name and OpenFlow number; the
 *      control loop then has every flow re-installed
 *      (snicd_resync_device, snicd_resync.c).
 *
 * The offload manager may also give up on a device that still answers a
 * validation: a flow queue that went silent for --queue-timeout, an EIO
 * from a probe. Its rules may then still forward in the card, unknown to
 * it, and a flow deleted since would keep its rule there. Such a device
 * is handled as lost, at once: a new driver instance starts from the
 * card's rules, adopting the desired ones and purging the rest, the way
 * a restarted snicd does. A manager that keeps giving up waits longer
 * each time before the next re-attach (0.1 s doubling to 10 s).
 *
 * Only ethdev / rte_flow / EAL hotplug are used, so a real card's PMD is
 * handled the same way. Runs on the control thread, workers parked while
 * ports change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "snicd.h"
#include "snicd_ctl_fmt.h"

#define SNICD_REATTACH_MS   100u
#define SNICD_GIVEUP_WAIT_MIN_MS    100u
#define SNICD_GIVEUP_WAIT_MAX_MS    10000u
/* a manager that did not give up for this long starts from the shortest
 * wait again */
#define SNICD_GIVEUP_FORGET_MS      60000u

/* EIO from a trivial validation on the uplink: the PMD lost its device. */
static bool
device_answers(const struct snicd *d)
{
    static const struct rte_flow_attr attr = { .transfer = 1 };
    static const struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    static const struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    const struct snicd_port_info *up =
        snicd_ports_by_ofport(&d->ports, SNICD_OFPORT_UPLINK);
    struct rte_flow_error err;
    uint16_t proxy;

    if (up == NULL)
        return true;
    if (rte_flow_pick_transfer_proxy(up->ethdev, &proxy, &err) < 0)
        proxy = up->ethdev;
    return rte_flow_validate(proxy, &attr, pattern, actions, &err) != -EIO;
}

static bool
uplink_link_down(const struct snicd *d)
{
    const struct snicd_port_info *up =
        snicd_ports_by_ofport(&d->ports, SNICD_OFPORT_UPLINK);
    struct rte_eth_link link;

    if (up == NULL)
        return false;
    memset(&link, 0, sizeof(link));
    return rte_eth_link_get_nowait(up->ethdev, &link) < 0
           || link.link_status == RTE_ETH_LINK_DOWN;
}

/* Remember which devices back our ports, to probe them again. */
static int
save_devices(struct snicd *d)
{
    d->n_devs = 0;
    for (unsigned i = 0; i < d->ports.n; i++) {
        const struct snicd_port_info *p = &d->ports.v[i];
        struct rte_eth_dev_info info;
        const struct rte_devargs *da;
        struct snicd_devspec *s;
        const char *name;
        bool seen = false;

        if (snicd_port_is_logical(p) || d->ports.gone[i]
            || rte_eth_dev_info_get(p->ethdev, &info) < 0
            || info.device == NULL)
            continue;
        name = rte_dev_name(info.device);
        for (unsigned k = 0; k < d->n_devs; k++)
            seen |= strcmp(d->devs[k].name, name) == 0;
        if (seen)
            continue;
        if (d->n_devs == SNICD_MAX_DEVS)
            return -ENOSPC;
        s = &d->devs[d->n_devs];
        da = rte_dev_devargs(info.device);
        snprintf(s->bus, sizeof(s->bus), "%s",
                 rte_bus_name(rte_dev_bus(info.device)));
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(s->args, sizeof(s->args), "%s",
                 da != NULL && da->args != NULL ? da->args : "");
        d->n_devs++;
    }
    return 0;
}

static void
device_lost(struct snicd *d, const char *why)
    SNIC_REQUIRES(snic_control)
{
    snicd_log(SNICD_LOG_ERR, "%s: every flow goes to software, none is "
              "lost; re-attaching when it answers again", why);
    d->dev_lost = true;
    d->dev_lost_ns = snic_now_ns();
    d->dev_next_try_ns = d->dev_lost_ns;
    d->dev_tries = 0;
    if (d->offload != NULL)
        (void)snicd_offload_device_gone(d->offload, "device gone (not "
                                        "answering; waiting to re-attach)");
    if (save_devices(d) < 0)
        snicd_log(SNICD_LOG_WARN, "more than %u devices: some will not be "
                  "re-attached", SNICD_MAX_DEVS);
    snicd_workers_pause(d);
    for (unsigned i = 0; i < d->ports.n; i++) {
        if (snicd_port_is_logical(&d->ports.v[i]) || d->ports.gone[i])
            continue;
        __atomic_store_n(&d->active[i], 0, __ATOMIC_SEQ_CST);
        d->ports.gone[i] = true;
        d->ports.link_up[i] = false;
        (void)rte_eth_dev_stop(d->ports.v[i].ethdev);
    }
    snicd_ports_rebuild_tx(d);
    /* detaching closes every port of the device (the PMD forgets the
     * rule handles the offload manager has just dropped) */
    for (unsigned k = 0; k < d->n_devs; k++) {
        int rc = rte_eal_hotplug_remove(d->devs[k].bus, d->devs[k].name);

        if (rc < 0)
            snicd_log(SNICD_LOG_WARN, "detach %s:%s: %s", d->devs[k].bus,
                      d->devs[k].name, strerror(-rc));
    }
    snicd_workers_resume(d);
}

/* Give each ethdev of the re-probed devices its old name and number. */
static int
adopt_ports(struct snicd *d)
{
    uint16_t pid;
    int n = 0;

    RTE_ETH_FOREACH_DEV(pid) {
        int vf = -1, rc = snicd_port_classify(pid, &vf);
        uint32_t ofport = rc == 1 ? SNICD_OFPORT_UPLINK
                          : rc == 0 ? SNICD_OFPORT_VF_BASE + (uint32_t)vf : 0;

        if (rc < 0)
            continue;
        for (unsigned i = 0; i < d->ports.n; i++) {
            struct snicd_port_info *p = &d->ports.v[i];

            if (snicd_port_is_logical(p) || p->ofport != ofport
                || !d->ports.gone[i])
                continue;
            p->ethdev = pid;
            rc = snicd_port_start(d, pid);
            if (rc < 0) {
                snicd_log(SNICD_LOG_ERR, "port %s (ethdev %u) after "
                          "re-attach: cannot start: %s", p->name, pid,
                          strerror(-rc));
                break;
            }
            d->ports.gone[i] = false;
            __atomic_store_n(&d->active[i], 1, __ATOMIC_SEQ_CST);
            n++;
            break;
        }
    }
    return n;
}

/* The number of ports adopted once the device is back, else 0. */
static int
try_reattach(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    const struct snicd_port_info *up;
    uint64_t now = snic_now_ns();
    int rc;

    if (now < d->dev_next_try_ns)
        return 0;
    d->dev_tries++;
    /* quick at first (a restarted card is usually back within a second),
     * then once a second */
    d->dev_next_try_ns = now + (d->dev_tries < 50 ? SNICD_REATTACH_MS
                                                  : 1000u) * 1000000ull;
    for (unsigned k = 0; k < d->n_devs; k++) {
        if (d->devs[k].attached)
            continue;
        rc = rte_eal_hotplug_add(d->devs[k].bus, d->devs[k].name,
                                 d->devs[k].args);
        if (rc < 0) {
            if (d->dev_tries == 1 || d->dev_tries % 50 == 0)
                snicd_log(SNICD_LOG_INFO, "re-attach %s:%s: %s (will try "
                          "again)", d->devs[k].bus, d->devs[k].name,
                          strerror(-rc));
            return 0;
        }
        d->devs[k].attached = true;
    }
    snicd_workers_pause(d);
    rc = adopt_ports(d);
    snicd_ports_rebuild_tx(d);
    snicd_workers_resume(d);
    up = snicd_ports_by_ofport(&d->ports, SNICD_OFPORT_UPLINK);
    if (up == NULL || d->ports.gone[up - d->ports.v]) {
        snicd_log(SNICD_LOG_ERR, "re-attached, but no uplink among the "
                  "%d ports found: waiting", rc);
        return 0;
    }
    for (unsigned k = 0; k < d->n_devs; k++)
        d->devs[k].attached = false;
    d->dev_lost = false;
    d->dev_suspect = false;
    return rc > 0 ? rc : 1;
}

/* Why the offload manager gave up on the device, once the wait since the
 * last time it did is over; else NULL. */
static const char *
manager_gave_up(const struct snicd *d)
{
    if (d->offload == NULL || d->offload_held ||
        snic_now_ns() < d->dev_giveup_next_ns)
        return NULL;
    return snicd_offload_gave_up(d->offload);
}

/* The offload manager gave up (@why) on a device that still answers: it
 * is re-attached as if lost. */
static void
device_given_up(struct snicd *d, const char *why)
    SNIC_REQUIRES(snic_control)
{
    uint64_t now = snic_now_ns();
    char msg[SNICD_REASON_SIZE + 64];

    /* the first time, or the first in a minute: the shortest wait */
    d->dev_giveup_wait_ms = d->dev_giveups == 0 ||
        now - d->dev_giveup_ns >= SNICD_GIVEUP_FORGET_MS * 1000000ull ?
        SNICD_GIVEUP_WAIT_MIN_MS :
        RTE_MIN(d->dev_giveup_wait_ms * 2, SNICD_GIVEUP_WAIT_MAX_MS);
    d->dev_giveup_ns = now;
    d->dev_giveup_next_ns = now + d->dev_giveup_wait_ms * 1000000ull;
    d->dev_giveups++;
    snprintf(msg, sizeof(msg), "the offload manager gave up on the device "
             "(%s)", why);
    device_lost(d, msg);
}

int
snicd_device_poll(struct snicd *d, bool link_changed)
    SNIC_REQUIRES(snic_control)
{
    const char *why;

    if (!d->eal)
        return 0;
    if (d->dev_lost)
        return try_reattach(d);
    why = manager_gave_up(d);
    /* a link going down is not death (a cable, a peer): only a device
     * that also fails a validation with EIO is gone */
    if (why == NULL && !d->dev_suspect &&
        !(link_changed && uplink_link_down(d)))
        return 0;
    d->dev_suspect = false;
    if (!device_answers(d))
        device_lost(d, "the device stopped answering");
    else if (why != NULL)
        device_given_up(d, why);
    return 0;
}
