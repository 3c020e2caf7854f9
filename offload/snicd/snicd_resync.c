/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * After the ports or the device changed: bring the hardware back in line
 * with the desired state. The control loop calls these after the port
 * module (snicd_port.c) restarted ports and after the device watch
 * (snicd_device.c) re-attached the card, so the order of a loop turn is
 * written in one place (control_loop, snicd_main.c) and neither module
 * commits or drives the offload manager on its own:
 *
 *   ports restarted -> the offload manager learns the new port set ->
 *   every flow re-installed (a device reset, the uplink back) or only the
 *   returning ports' flows -> commit (offload manager, datapath, journal).
 *
 * Control thread.
 */
#include <errno.h>
#include <string.h>

#include <rte_flow.h>

#include "snicd.h"
#include "snicd_ctl_fmt.h"

/* Representors back on a device that was not reset: the device dropped
 * only the rules naming them, so only their flows are placed again (a
 * full resync would re-create every rule, a blip for all traffic). */
static void
ports_back(struct snicd *d, const uint32_t *back, unsigned n_back)
{
    for (unsigned i = 0; i < n_back; i++) {
        const struct snicd_port_info *p =
            snicd_ports_by_ofport(&d->ports, back[i]);
        int n = snicd_offload_port_back(d->offload, back[i]);

        if (n < 0)
            snicd_log(SNICD_LOG_WARN, "port %s back: %s (its flows stay in "
                      "software until the device is back)",
                      p != NULL ? p->name : "?", strerror(-n));
        else
            snicd_log(SNICD_LOG_INFO, "port %s back: %d of its flows in "
                      "hardware, other rules untouched",
                      p != NULL ? p->name : "?", n);
        if (n == -EIO)
            d->dev_suspect = true;
    }
}

void
snicd_resync_ports(struct snicd *d, const struct snicd_port_events *ev)
{
    if (ev->changed && d->offload != NULL)
        snicd_offload_set_ports(d->offload, d->ports.v, d->ports.n);
    if (ev->resync && d->offload != NULL) {
        /* a device reset lost every rule: the returning ports' with them
         * (the handles of the lost ones are freed once the flows are back,
         * by the control loop: snicd_offload_reap) */
        int n = ev->reset ? snicd_offload_reset(d->offload)
                          : snicd_offload_resync(d->offload);

        snicd_log(n < 0 ? SNICD_LOG_ERR : SNICD_LOG_INFO, "resync: %s%d "
                  "flows in hardware", n < 0 ? "failed, " : "", n < 0 ? 0 : n);
        snicd_core_commit(d);
    } else if ((ev->n_back > 0 || ev->added) && d->offload != NULL) {
        ports_back(d, ev->back, ev->n_back);
        /* a new port's flows (set_ports marked them), the datapath, the
         * journal */
        snicd_core_commit(d);
    }
}

void
snicd_resync_device(struct snicd *d, int n_ports)
{
    const struct snicd_port_info *up =
        snicd_ports_by_ofport(&d->ports, SNICD_OFPORT_UPLINK);
    struct rte_flow_error ferr;
    uint16_t proxy;
    int placed = 0;

    if (d->offload != NULL && up != NULL) {
        snicd_offload_set_ports(d->offload, d->ports.v, d->ports.n);
        if (rte_flow_pick_transfer_proxy(up->ethdev, &proxy, &ferr) < 0)
            proxy = up->ethdev;
        placed = snicd_offload_device_back(d->offload, proxy);
    }
    snicd_core_commit(d);
    /* the dead channel's rules were adopted or are orphans now */
    snicd_resync_orphans(d);
    snicd_ports_refresh(d);
    d->dev_reattaches++;
    d->dev_last_recovery_ns = snic_now_ns() - d->dev_lost_ns;
    snicd_log(SNICD_LOG_WARN, "device re-attached after %.3f s (%u tries): "
              "%d ports, %d flows in hardware",
              (double)d->dev_last_recovery_ns / 1e9, d->dev_tries, n_ports,
              placed);
}

void
snicd_resync_orphans(struct snicd *d)
{
    if (d->orphans_purge == NULL)
        return;
    /* the held marks' rules go now: their frames may still wait in the
     * queues a while */
    if (d->held != NULL && d->held_until_ns == 0)
        d->held_until_ns = snic_now_ns() +
                           SNICD_MARK_QUIET_MS * 1000000ull;
    /* a card's orphans go with the first of its ports asked; the others
     * find none, and a port of another driver says -ENODEV */
    for (unsigned i = 0; i < d->ports.n; i++) {
        int n;

        if (d->ports.v[i].ethdev == UINT16_MAX)
            continue;
        n = d->orphans_purge(d->ports.v[i].ethdev);
        if (n == -ENODEV || n == -ENOTSUP || n == 0)
            continue;
        if (n < 0) {
            snicd_log(SNICD_LOG_WARN, "port %s: the rules an earlier snicd "
                      "left in the card and no flow adopted could not be "
                      "removed: %s (tried again after the next re-attach)",
                      d->ports.v[i].name, strerror(-n));
            continue;
        }
        d->orphans_purged += (uint64_t)n;
        snicd_log(SNICD_LOG_INFO, "port %s: %d rules an earlier snicd left "
                  "in the card removed (not desired any more, or installed "
                  "anew)", d->ports.v[i].name, n);
    }
}
