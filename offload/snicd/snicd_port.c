/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports on the device: discovery, configuration, link facts, and the
 * ethdev events that change them (reset, removal, arrival).
 *
 * Only standard ethdev facts are used, so a real card's PMD works as well
 * as net_emunic: a representor has RTE_ETH_DEV_REPRESENTOR in its
 * dev_flags; which VF it stands for comes from its name (DPDK's
 * "<dev>_representor_<id>" / mlx5's "...representor_c0pf0vf<id>") or, failing
 * that, from switch_info.port_id (vport numbering: VF N at 1 + N); the
 * uplink is the port that is its own transfer proxy
 * (rte_flow_pick_transfer_proxy).
 *
 * Events arrive on DPDK's interrupt thread; the callback only sets a bit
 * per port. The control thread does the work, with the workers parked
 * while a port is reconfigured (rx/tx on a stopping port is not allowed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

#include "snicd.h"
#include "snicd_ctl_fmt.h"

#define RX_DESC     1024u
#define TX_DESC     1024u

int
snicd_port_start(struct snicd *d, uint16_t pid)
{
    struct rte_eth_conf conf;
    struct rte_eth_dev_info info;
    uint16_t nrx = RX_DESC, ntx = TX_DESC;
    unsigned q;
    int rc;

    memset(&conf, 0, sizeof(conf));
    rc = rte_eth_dev_info_get(pid, &info);
    if (rc < 0)
        return rc;
    if (info.max_rx_queues < d->n_queues || info.max_tx_queues < d->n_queues) {
        snicd_log(SNICD_LOG_ERR, "port %u offers %u rx / %u tx queues, "
                  "snicd needs %u (one per worker: lower --workers)", pid,
                  info.max_rx_queues, info.max_tx_queues, d->n_queues);
        return -ENOSPC;
    }
    rc = rte_eth_dev_configure(pid, (uint16_t)d->n_queues,
                               (uint16_t)d->n_queues, &conf);
    if (rc < 0)
        return rc;
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
    if (rc < 0)
        return rc;
    for (q = 0; q < d->n_queues; q++) {
        rc = rte_eth_rx_queue_setup(pid, (uint16_t)q, nrx,
                                    rte_eth_dev_socket_id(pid), NULL,
                                    d->mempool);
        if (rc < 0)
            return rc;
        rc = rte_eth_tx_queue_setup(pid, (uint16_t)q, ntx,
                                    rte_eth_dev_socket_id(pid), NULL);
        if (rc < 0)
            return rc;
    }
    /* the transfer proxy's flow queue: only between configure and
     * start */
    (void)snicd_offload_port_queues(pid, d->flow_queue_size);
    rc = rte_eth_dev_start(pid);
    if (rc < 0)
        return rc;
    /* representors see every miss anyway; a real PF needs promiscuous */
    rte_eth_promiscuous_enable(pid);
    return 0;
}

static int
event_cb(uint16_t pid, enum rte_eth_event_type type, void *ctx, void *ret)
{
    struct snicd *d = ctx;
    uint32_t bit = type == RTE_ETH_EVENT_INTR_RESET ? SNICD_EV_RESET
                   : type == RTE_ETH_EVENT_INTR_RMV ? SNICD_EV_RMV
                   : type == RTE_ETH_EVENT_NEW ? SNICD_EV_NEW
                   : SNICD_EV_LSC;

    (void)ret;
    if (pid < SNICD_MAX_PORTS)
        __atomic_fetch_or(&d->events[pid], bit, __ATOMIC_SEQ_CST);
    return 0;
}

/* LOCAL's tap: a net_tap vdev of this name (snicd_ports_probe_local). */
#define LOCAL_VDEV  "net_tap_snic_local"

int
snicd_ports_probe_local(struct snicd *d, const char *iface)
{
    char devargs[96];
    int rc;

    snprintf(devargs, sizeof(devargs), LOCAL_VDEV ",iface=%s", iface);
    rc = rte_dev_probe(devargs);
    if (rc < 0) {
        snicd_log(SNICD_LOG_ERR, "--local %s: cannot create the tap (%s; "
                  "it needs CAP_NET_ADMIN and DPDK's net_tap driver)", iface,
                  strerror(-rc));
        return rc;
    }
    d->local_iface = iface;
    return 0;
}

void
snicd_ports_rebuild_tx(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    d->local_ethdev = UINT16_MAX;
    for (unsigned i = 0; i < SNICD_OFPORT_TABLE; i++)
        d->tx_ethdev[i] = UINT16_MAX;
    for (unsigned i = 0; i < d->ports.n; i++)
        if (d->ports.v[i].ofport == FLOW_PORT_LOCAL && !d->ports.gone[i])
            d->local_ethdev = d->ports.v[i].ethdev;
    for (unsigned i = 0; i < d->ports.n; i++) {
        const struct snicd_port_info *p = &d->ports.v[i];

        if (!snicd_port_is_logical(p) && p->ofport < SNICD_OFPORT_TABLE
            && !d->ports.gone[i])
            d->tx_ethdev[p->ofport] = p->ethdev;
    }
    /* ALL, FLOOD and NORMAL send to the ports that are there; bundle
     * picks among those whose link is up now */
    snicd_ports_refresh(d);
    snicd_switch_publish(d);
}

/* What a port is: uplink (1), a VF representor (0, *vf), or neither. */
int
snicd_port_classify(uint16_t pid, int *vf)
{
    struct rte_eth_dev_info info;
    char name[RTE_ETH_NAME_MAX_LEN];
    uint16_t proxy = pid;
    struct rte_flow_error ferr;

    if (rte_eth_dev_info_get(pid, &info) < 0
        || rte_eth_dev_get_name_by_port(pid, name) < 0)
        return -ENODEV;
    if (info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_REPRESENTOR)) {
        *vf = snicd_port_vf_from_name(name, info.switch_info.port_id);
        return *vf >= 0 ? 0 : -ENOTSUP;
    }
    if (rte_flow_pick_transfer_proxy(pid, &proxy, &ferr) == 0 && proxy != pid)
        return -ENOTSUP;    /* steered through another port */
    return 1;
}

int
snicd_ports_init(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    uint16_t pid;
    int rc, vf;

    d->eal = true;
    RTE_ETH_FOREACH_DEV(pid) {
        char name[RTE_ETH_NAME_MAX_LEN] = "?";

        rte_eth_dev_get_name_by_port(pid, name);
        if (d->local_iface != NULL && strcmp(name, LOCAL_VDEV) == 0) {
            rc = snicd_ports_add_local(&d->ports, pid);
            if (rc < 0)
                return rc;
            snicd_log(SNICD_LOG_INFO, "port %u: LOCAL, the host's tap %s",
                      pid, d->local_iface);
            continue;
        }
        rc = snicd_port_classify(pid, &vf);
        if (rc == 1 && snicd_ports_by_ofport(&d->ports, SNICD_OFPORT_UPLINK)) {
            /* the first switch port is the uplink; any further one is a
             * plain port, switched in software */
            rc = snicd_ports_add_plain(&d->ports, pid);
            if (rc < 0) {
                snicd_log(SNICD_LOG_ERR, "port %u (%s): %s", pid, name,
                          strerror(-rc));
                return rc;
            }
            snicd_log(SNICD_LOG_INFO, "port %u (%s): plain port %s", pid,
                      name, d->ports.v[d->ports.n - 1].name);
            continue;
        }
        if (rc < 0) {
            snicd_log(SNICD_LOG_WARN, "port %u (%s): neither the uplink nor "
                      "a VF representor, ignored", pid, name);
            continue;
        }
        rc = snicd_ports_add_ethdev(&d->ports, pid, rc == 1, vf);
        if (rc < 0) {
            snicd_log(SNICD_LOG_ERR, "port %u (%s): %s", pid, name,
                      strerror(-rc));
            return rc;
        }
    }
    if (snicd_ports_by_ofport(&d->ports, SNICD_OFPORT_UPLINK) == NULL) {
        snicd_log(SNICD_LOG_ERR, "no uplink port found (give the PF with "
                  "--vdev or a PCI address, with representor=vf[...])");
        return -ENODEV;
    }
    for (unsigned i = 0; i < d->ports.n; i++) {
        rc = snicd_port_start(d, d->ports.v[i].ethdev);
        if (rc < 0) {
            snicd_log(SNICD_LOG_ERR, "port %s (ethdev %u): cannot start: %s",
                      d->ports.v[i].name, d->ports.v[i].ethdev,
                      strerror(-rc));
            return rc;
        }
        __atomic_store_n(&d->active[i], 1, __ATOMIC_SEQ_CST);
    }
    if (d->has_vxlan) {
        rc = snicd_ports_add_tunnel(&d->ports, &d->vxlan);
        if (rc < 0)
            return rc;
    }
    rc = snicd_switch_add_patches(d);
    if (rc < 0)
        return rc;
    snicd_ports_rebuild_tx(d);
    rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RESET,
                                  event_cb, d);
    rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
                                  event_cb, d);
    rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_NEW, event_cb, d);
    rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC,
                                  event_cb, d);
    snicd_ports_refresh(d);
    return 0;
}

void
snicd_ports_fini(struct snicd *d)
{
    if (!d->eal)
        return;
    rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RESET,
                                    event_cb, d);
    rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
                                    event_cb, d);
    rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_NEW, event_cb,
                                    d);
    rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC,
                                    event_cb, d);
    /* representors first: the PF backs them */
    for (unsigned k = d->ports.n; k-- > 0;) {
        const struct snicd_port_info *p = &d->ports.v[k];

        if (snicd_port_is_logical(p) || d->ports.gone[k] || p->is_uplink
            || p->ofport == FLOW_PORT_LOCAL)
            continue;
        rte_eth_dev_stop(p->ethdev);
        rte_eth_dev_close(p->ethdev);
    }
    for (unsigned k = 0; k < d->ports.n; k++)
        if (d->ports.v[k].is_uplink && !d->ports.gone[k]) {
            rte_eth_dev_stop(d->ports.v[k].ethdev);
            rte_eth_dev_close(d->ports.v[k].ethdev);
        }
    for (unsigned k = 0; k < d->ports.n; k++) {
        struct rte_eth_dev_info info;

        /* LOCAL's tap: the host's interface goes with it */
        if (d->ports.v[k].ofport != FLOW_PORT_LOCAL || d->ports.gone[k]
            || rte_eth_dev_info_get(d->ports.v[k].ethdev, &info) < 0)
            continue;
        rte_eth_dev_stop(d->ports.v[k].ethdev);
        rte_eth_dev_close(d->ports.v[k].ethdev);
        rte_dev_remove(info.device);
    }
}

/* The live port on ethdev @pid. A gone port keeps its last ethdev id,
 * which DPDK hands out again (a representor re-created after its VF came
 * back usually gets the same one): that id names the new ethdev now. */
static int
port_index(const struct snicd *d, uint16_t pid)
{
    for (unsigned i = 0; i < d->ports.n; i++)
        if (!snicd_port_is_logical(&d->ports.v[i]) && !d->ports.gone[i]
            && d->ports.v[i].ethdev == pid)
            return (int)i;
    return -1;
}

static bool
handle_reset(struct snicd *d, uint16_t pid)
{
    int i = port_index(d, pid), rc;

    if (i < 0)
        return false;
    snicd_log(SNICD_LOG_WARN, "port %s: device reset, re-installing flows",
              d->ports.v[i].name);
    __atomic_store_n(&d->active[i], 0, __ATOMIC_SEQ_CST);
    rte_eth_dev_stop(pid);
    rc = rte_eth_dev_reset(pid);
    if (rc == 0)
        rc = snicd_port_start(d, pid);
    if (rc < 0) {
        snicd_log(SNICD_LOG_ERR, "port %s: restart after reset: %s",
                  d->ports.v[i].name, strerror(-rc));
        return true;
    }
    __atomic_store_n(&d->active[i], 1, __ATOMIC_SEQ_CST);
    return true;
}

static bool
handle_rmv(struct snicd *d, uint16_t pid)
    SNIC_REQUIRES(snic_control)
{
    int i = port_index(d, pid);

    if (i < 0)
        return false;
    snicd_log(SNICD_LOG_WARN, "port %s (ethdev %u) removed; its flows stay "
              "desired, in software", d->ports.v[i].name, pid);
    __atomic_store_n(&d->active[i], 0, __ATOMIC_SEQ_CST);
    d->ports.gone[i] = true;
    snicd_ports_rebuild_tx(d);
    if (d->offload != NULL)
        snicd_offload_port_gone(d->offload, d->ports.v[i].ofport);
    rte_eth_dev_stop(pid);
    rte_eth_dev_close(pid);
    return false;
}

/* What an arrival asks of the offload manager. */
enum port_arrival {
    ARRIVAL_NONE,       /* not ours, or it did not start */
    ARRIVAL_BACK,       /* a gone representor back: its flows only */
    ARRIVAL_ADDED,      /* a new representor: flows naming it, if any */
    ARRIVAL_RESYNC,     /* the uplink back: the whole device came back */
};

/* A port arrives: one of ours back (same role), or an unknown one. Sets
 * *ofport to its OpenFlow number. */
static enum port_arrival
handle_new(struct snicd *d, uint16_t pid, uint32_t *ofport_out)
    SNIC_REQUIRES(snic_control)
{
    int vf = -1, rc = snicd_port_classify(pid, &vf);
    uint32_t ofport = rc == 1 ? SNICD_OFPORT_UPLINK
                      : rc == 0 ? SNICD_OFPORT_VF_BASE + (uint32_t)vf : 0;

    if (rc < 0 || port_index(d, pid) >= 0)
        return ARRIVAL_NONE;
    *ofport_out = ofport;
    for (unsigned i = 0; i < d->ports.n; i++) {
        struct snicd_port_info *p = &d->ports.v[i];

        if (p->ofport != ofport || !d->ports.gone[i])
            continue;
        p->ethdev = pid;
        if (snicd_port_start(d, pid) < 0) {
            snicd_log(SNICD_LOG_ERR, "port %s is back as ethdev %u but "
                      "does not start", p->name, pid);
            return ARRIVAL_NONE;
        }
        d->ports.gone[i] = false;
        snicd_ports_rebuild_tx(d);
        __atomic_store_n(&d->active[i], 1, __ATOMIC_SEQ_CST);
        snicd_log(SNICD_LOG_INFO, "port %s is back (ethdev %u)", p->name,
                  pid);
        return p->is_uplink ? ARRIVAL_RESYNC : ARRIVAL_BACK;
    }
    if (ofport == 0 || d->ports.n >= SNICD_MAX_PORTS)
        return ARRIVAL_NONE;
    /* a new representor: named by its role like the others */
    if (snicd_ports_add_ethdev(&d->ports, pid, rc == 1, vf) < 0
        || snicd_port_start(d, pid) < 0)
        return ARRIVAL_NONE;
    snicd_ports_rebuild_tx(d);
    __atomic_store_n(&d->active[d->ports.n - 1], 1, __ATOMIC_SEQ_CST);
    snicd_log(SNICD_LOG_INFO, "new port %s (ethdev %u)",
              d->ports.v[d->ports.n - 1].name, pid);
    return ARRIVAL_ADDED;
}

void
snicd_ports_process_events(struct snicd *d, struct snicd_port_events *out)
    SNIC_REQUIRES(snic_control)
{
    bool paused = false, any_reset = false, arrival = false;

    memset(out, 0, sizeof(*out));
    for (uint16_t pid = 0; pid < SNICD_MAX_PORTS; pid++) {
        uint32_t ev = __atomic_exchange_n(&d->events[pid], 0,
                                          __ATOMIC_SEQ_CST);
        uint32_t ofport = 0;

        out->lsc |= (ev & SNICD_EV_LSC) != 0;
        if ((ev & ~SNICD_EV_LSC) == 0)
            continue;
        if (!paused) {
            snicd_workers_pause(d);
            paused = true;
        }
        if (ev & SNICD_EV_RMV)
            handle_rmv(d, pid);
        if (ev & SNICD_EV_RESET && handle_reset(d, pid)) {
            out->resync = true;
            any_reset = true;
        }
        if (ev & SNICD_EV_NEW) {
            switch (handle_new(d, pid, &ofport)) {
            case ARRIVAL_BACK:
                if (out->n_back < SNICD_MAX_PORTS)
                    out->back[out->n_back++] = ofport;
                break;
            case ARRIVAL_ADDED:
                out->added = true;
                break;
            case ARRIVAL_RESYNC:
                out->resync = true;
                arrival = true;
                break;
            case ARRIVAL_NONE:
                break;
            }
        }
    }
    if (paused)
        snicd_workers_resume(d);
    out->changed = paused;
    /* a device back may not have lost its rules: only a reset says so */
    out->reset = any_reset && !arrival;
}

void
snicd_ports_refresh(struct snicd *d)
{
    if (!d->eal)
        return;
    for (unsigned i = 0; i < d->ports.n; i++) {
        const struct snicd_port_info *p = &d->ports.v[i];
        struct rte_eth_link link;
        struct rte_ether_addr mac;

        if (snicd_port_is_logical(p) || d->ports.gone[i])
            continue;
        memset(&link, 0, sizeof(link));
        d->ports.link_up[i] = rte_eth_link_get_nowait(p->ethdev, &link) == 0
                              && link.link_status == RTE_ETH_LINK_UP;
        if (rte_eth_macaddr_get(p->ethdev, &mac) == 0)
            rte_ether_format_addr(d->ports.mac[i], sizeof(d->ports.mac[i]),
                                  &mac);
    }
}

json_t *
snicd_port_device_json(const struct snicd *d)
{
    const struct snicd_port_info *up =
        snicd_ports_by_ofport(&d->ports, SNICD_OFPORT_UPLINK);
    struct rte_eth_dev_info info;
    struct rte_flow_error ferr;
    unsigned n_logical = 0;
    uint16_t proxy;

    if (!d->eal || up == NULL || rte_eth_dev_info_get(up->ethdev, &info) < 0)
        return json_object();
    for (unsigned i = 0; i < d->ports.n; i++)
        n_logical += snicd_port_is_logical(&d->ports.v[i]);
    if (rte_flow_pick_transfer_proxy(up->ethdev, &proxy, &ferr) < 0)
        proxy = up->ethdev;
    return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
                     "driver", info.driver_name ? info.driver_name : "?",
                     "transfer_proxy", proxy,
                     "switch_domain", info.switch_info.domain_id,
                     "max_rx_queues", info.max_rx_queues,
                     "max_rx_pktlen", (int)info.max_rx_pktlen,
                     "ports", (int)d->ports.n,
                     "flow_rule_keep",
                     (info.dev_capa & RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP) != 0,
                     "representors",
                     (int)(d->ports.n - 1 - n_logical));
}
