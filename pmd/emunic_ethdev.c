/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic ethdev callbacks and the eth_dev_ops table.
 *
 * A port is one vport of the card seen from one side: the PF port and the
 * representors (host side of the eSwitch, through the PF's channel), or a
 * VF / uplink-peer port (the VM or the wire, through that function's own
 * channel). Queues are attached to the device at start and detached at
 * stop, so a stopped port costs the card nothing.
 *
 * A port whose function left the card (a representor whose VF was
 * removed, or a VF port whose VF was) is "gone": is_removed says so (ethdev
 * then turns its errors into EIO), start fails, the link is down, bursts
 * move nothing, rte_flow creates are refused; stop, close and destroying
 * its flows still work, so the application can let go of it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <ethdev_driver.h>
#include <rte_flow_driver.h>

#include "emunic.h"

static const char *
port_kind(const struct emunic_port *p)
{
    static const char *const names[] = {
        [EMUNIC_ROLE_PF] = "PF", [EMUNIC_ROLE_REP] = "representor",
        [EMUNIC_ROLE_VF] = "VF", [EMUNIC_ROLE_UPLINK] = "uplink peer",
    };

    return names[p->role];
}

static int
emunic_dev_configure(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;
    uint16_t max = p->ad->caps.max_queues_per_port;

    if (max > EMUNIC_MAX_QUEUES)
        max = EMUNIC_MAX_QUEUES;
    if (dev->data->nb_rx_queues > max || dev->data->nb_tx_queues > max) {
        EMUNIC_LOG(ERR, "port %u: %u rx / %u tx queues asked, the card has "
                   "%u per port", dev->data->port_id,
                   dev->data->nb_rx_queues, dev->data->nb_tx_queues, max);
        return -EINVAL;
    }
    return emunic_rss_configure(dev);
}

static int
emunic_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
    struct emunic_port *p = dev->data->dev_private;
    const struct fw_caps *caps = &p->ad->caps;
    uint16_t maxq = caps->max_queues_per_port;
    uint32_t mtu = FW_PKT_BUF_SIZE - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN -
                   RTE_VLAN_HLEN;

    if (maxq > EMUNIC_MAX_QUEUES || maxq == 0)
        maxq = maxq ? EMUNIC_MAX_QUEUES : 1;
    info->max_rx_queues = p->nb_rxq_req ? RTE_MIN(p->nb_rxq_req, maxq) : maxq;
    info->max_tx_queues = p->nb_txq_req ? RTE_MIN(p->nb_txq_req, maxq) : maxq;
    info->max_mac_addrs = 1;
    info->max_rx_pktlen = FW_PKT_BUF_SIZE;
    info->min_mtu = RTE_ETHER_MIN_MTU;
    info->max_mtu = caps->max_mtu && caps->max_mtu < mtu ? caps->max_mtu : mtu;
    info->min_rx_bufsize = 0;
    info->rx_offload_capa = 0;
    info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    info->rx_desc_lim.nb_max = caps->max_queue_depth > UINT16_MAX ?
                               UINT16_MAX : (uint16_t)caps->max_queue_depth;
    info->rx_desc_lim.nb_min = 1;
    info->rx_desc_lim.nb_align = 1;
    info->tx_desc_lim = info->rx_desc_lim;
    info->default_rxportconf.ring_size = 512;
    info->default_txportconf.ring_size = 512;
    info->speed_capa = RTE_ETH_LINK_SPEED_100G;
    /* rules live in the card, not in the port: stopping keeps them */
    info->dev_capa = RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP;
    if (p->role == EMUNIC_ROLE_PF || p->role == EMUNIC_ROLE_REP) {
        info->switch_info.name = p->ad->name;
        info->switch_info.domain_id = p->ad->switch_domain;
        /* the switch port is the vport: 0 the wire, 1 + n VF n */
        info->switch_info.port_id = p->vport;
    }
    emunic_rss_infos(p, info);
    return 0;
}

static uint32_t
pow2_depth(uint16_t nb_desc, uint32_t max)
{
    uint32_t d = 32;

    while (d < nb_desc && d < max)
        d <<= 1;
    return d > max ? max : d;
}

static int
emunic_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
                      unsigned int socket, const struct rte_eth_rxconf *conf,
                      struct rte_mempool *mp)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_rxq *q = &p->rxq[qid];

    (void)socket;
    (void)conf;
    if (qid >= EMUNIC_MAX_QUEUES)
        return -EINVAL;
    q->mp = mp;
    q->gone = &p->gone;
    q->port_id = dev->data->port_id;
    q->queue_id = qid;
    q->nb_desc = nb_desc;
    dev->data->rx_queues[qid] = q;
    return 0;
}

static int
emunic_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
                      unsigned int socket, const struct rte_eth_txconf *conf)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_txq *q = &p->txq[qid];

    (void)socket;
    (void)conf;
    if (qid >= EMUNIC_MAX_QUEUES)
        return -EINVAL;
    q->gone = &p->gone;
    q->queue_id = qid;
    q->nb_desc = nb_desc;
    dev->data->tx_queues[qid] = q;
    return 0;
}

static void
emunic_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
    /* queue state lives in the port's private data */
    (void)dev;
    (void)qid;
}

static void
queues_detach(struct emunic_port *p)
{
    for (unsigned q = 0; q < EMUNIC_MAX_QUEUES; q++) {
        struct fw_pktq_map *map = p->rxq[q].map ? p->rxq[q].map :
                                  p->txq[q].map;

        p->rxq[q].map = NULL;
        p->txq[q].map = NULL;
        if (map != NULL)
            fw_pktq_detach(map);
    }
}

static int
emunic_dev_start(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_adapter *ad = p->ad;
    uint16_t nq = RTE_MAX(dev->data->nb_rx_queues, dev->data->nb_tx_queues);
    int ret = 0;

    if (__atomic_load_n(&p->gone, __ATOMIC_ACQUIRE)) {
        EMUNIC_LOG(ERR, "port %u: cannot start, %s of vport %u was removed "
                   "from the card: close the port", dev->data->port_id,
                   port_kind(p), p->vport);
        return -ENODEV;
    }
    /* a card that keeps META (ABI 1.9) hands it to the host with frames
     * it delivers: rte_flow's place for it is the metadata dynfield, which
     * exists once someone registers it (idempotent, process-wide) */
    if ((ad->caps.actions & FW_ACTION_BIT(FW_ACT_SET_META)) &&
        rte_flow_dynf_metadata_register() < 0)
        EMUNIC_LOG(WARNING, "port %u: no mbuf field for rx metadata (%s): "
                   "META the card delivers is not reported",
                   dev->data->port_id, rte_strerror(rte_errno));
    snic_mutex_lock(&ad->lock);
    if (!emunic_adapter_alive(ad)) {
        snic_mutex_unlock(&ad->lock);
        EMUNIC_LOG(ERR, "port %u: cannot start, the card at %s is gone",
                   dev->data->port_id, ad->path);
        return -EIO;
    }
    for (uint16_t q = 0; q < nq; q++) {
        bool rx = q < dev->data->nb_rx_queues, tx = q < dev->data->nb_tx_queues;
        uint16_t nb = RTE_MAX(rx ? p->rxq[q].nb_desc : 0,
                              tx ? p->txq[q].nb_desc : 0);
        struct fw_pktq_map *map;

        map = fw_pktq_attach(ad->chan, p->vport, q,
                             pow2_depth(nb, ad->caps.max_queue_depth),
                             (rx ? FW_QUEUE_F_RX : 0) | (tx ? FW_QUEUE_F_TX : 0),
                             EMUNIC_CMD_TIMEOUT_MS);
        if (map == NULL) {
            ret = -errno;
            EMUNIC_LOG(ERR, "port %u (%s, vport %u): attaching queue %u "
                       "failed: %s", dev->data->port_id, port_kind(p),
                       p->vport, q, strerror(errno));
            break;
        }
        if (rx)
            p->rxq[q].map = map;
        if (tx)
            p->txq[q].map = map;
    }
    snic_mutex_unlock(&ad->lock);
    if (ret < 0) {
        queues_detach(p);
        return ret;
    }
    /* the card spreads this port's frames only once its queues exist */
    p->started = true;
    ret = emunic_rss_start(dev);
    if (ret < 0) {
        p->started = false;
        snic_mutex_lock(&ad->lock);
        queues_detach(p);
        snic_mutex_unlock(&ad->lock);
        return ret;
    }
    for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
        dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
    for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
        dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
    p->started = true;
    emunic_port_link_set(dev, true);
    return 0;
}

static int
emunic_dev_stop(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;

    emunic_rss_stop(dev);
    snic_mutex_lock(&p->ad->lock);
    queues_detach(p);
    snic_mutex_unlock(&p->ad->lock);
    for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
        dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
    for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
        dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
    p->started = false;
    emunic_port_link_set(dev, false);
    return 0;
}

static int
emunic_dev_close(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;
    struct emunic_adapter *ad = p->ad;
    struct rte_flow_error err;

    if (rte_eal_process_type() != RTE_PROC_PRIMARY || ad == NULL)
        return 0;
    /* no representor may appear behind a closing PF; a closing one's slot
     * gets no event until it is closed, and a new ethdev after that when
     * its VF is back */
    if (p->role == EMUNIC_ROLE_PF)
        emunic_hotplug_stop(ad);
    else if (p->role == EMUNIC_ROLE_REP)
        emunic_rep_closing(p);
    /* the alarm's events stop reaching the port: ethdev frees its private
     * data right after this close, on this thread */
    emunic_adapter_port_del(p);
    if (p->started)
        emunic_dev_stop(dev);
    /* the card is gone or refused: forget the handles anyway, the port
     * is going away and nobody can name them any more */
    emunic_async_teardown(p);
    /* keep_rules: the card keeps forwarding through the port's rules
     * after we are gone; the next driver adopts them */
    if (p->ad->keep_rules || emunic_flow_flush_port(p, &err) < 0)
        emunic_flow_forget_port(p);
    emunic_async_free(p);
    p->ad = NULL;
    if (p->role == EMUNIC_ROLE_REP)
        emunic_rep_closed(ad, p->port_id,
                          __atomic_load_n(&p->gone, __ATOMIC_ACQUIRE));
    /* p is not touched past this point: its memory may be the next port's */
    emunic_adapter_put(ad);
    return 0;
}

static int
emunic_dev_reset(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;

    /* after a firmware reset the queues were detached by the card; stop
     * drops our mappings, the application configures and starts again */
    emunic_dev_stop(dev);
    emunic_adapter_check(p->ad);
    return emunic_adapter_alive(p->ad) ? 0 : -EIO;
}

static int
emunic_link_update(struct rte_eth_dev *dev, int wait)
{
    struct emunic_port *p = dev->data->dev_private;
    struct rte_eth_link link;
    struct fw_vport_ctx ctx;
    bool up = p->started && emunic_adapter_alive(p->ad) &&
              !__atomic_load_n(&p->gone, __ATOMIC_ACQUIRE);

    (void)wait;
    rte_eth_linkstatus_get(dev, &link);
    if (up && p->role != EMUNIC_ROLE_UPLINK &&
        emunic_vport_query(p->ad, p->vport, &ctx) == 0)
        up = ctx.oper_up != 0;
    if (!emunic_adapter_alive(p->ad) ||
        __atomic_load_n(&p->gone, __ATOMIC_ACQUIRE))
        up = false;
    link.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
    link.link_speed = p->ad->caps.max_link_speed ? p->ad->caps.max_link_speed
                                                 : RTE_ETH_SPEED_NUM_100G;
    link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
    link.link_autoneg = RTE_ETH_LINK_AUTONEG;
    return rte_eth_linkstatus_set(dev, &link);
}

/* A VF's rx mode and MAC belong to the card (trust decides). */
static int
vf_modify(struct rte_eth_dev *dev, uint32_t select,
          const struct fw_vport_ctx *ctx, const char *what)
{
    struct emunic_port *p = dev->data->dev_private;
    struct fw_vport_modify_in in = {
        .vport = p->vport,
        .field_select = select,
        .ctx = *ctx,
    };
    struct fw_out_hdr out;
    uint8_t status;
    uint32_t synd;
    char sbuf[96];
    int ret;

    ret = emunic_adapter_exec(p->ad, FW_CMD_VPORT_MODIFY, &in, sizeof(in),
                              &out, sizeof(out), &status, &synd);
    if (ret < 0) {
        EMUNIC_LOG(ERR, "port %u: %s: the card is not answering",
                   dev->data->port_id, what);
        return -EIO;
    }
    if (status == FW_STATUS_OK)
        return 0;
    if (FW_SYND_REASON(synd) == FW_SYND_TRUST ||
        status == FW_STATUS_NO_PERM) {
        EMUNIC_LOG(ERR, "port %u: %s refused: VF %u is not trusted; the host "
                   "admin must set trust on (snic-vf set vf %u trust on)",
                   dev->data->port_id, what, FW_VPORT_TO_VF(p->vport),
                   FW_VPORT_TO_VF(p->vport));
        return -EPERM;
    }
    EMUNIC_LOG(ERR, "port %u: %s refused: %s (%s)", dev->data->port_id, what,
               fw_status_str(status), fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
    ret = fw_status_errno(status);
    return ret > 0 ? -ret : -EIO;
}

static int
rx_mode_set(struct rte_eth_dev *dev, int promisc, int allmulti)
{
    struct emunic_port *p = dev->data->dev_private;
    struct fw_vport_ctx ctx = { 0 };

    if (p->role != EMUNIC_ROLE_VF)
        return 0;   /* host-side ports receive what the eSwitch sends */
    ctx.promisc = (uint8_t)(promisc < 0 ? dev->data->promiscuous : promisc);
    ctx.allmulti = (uint8_t)(allmulti < 0 ? dev->data->all_multicast
                                          : allmulti);
    return vf_modify(dev, FW_VPORT_F_RX_MODE, &ctx,
                     promisc >= 0 ? "promiscuous mode" : "allmulticast mode");
}

static int
emunic_promisc_enable(struct rte_eth_dev *dev)
{
    return rx_mode_set(dev, 1, -1);
}

static int
emunic_promisc_disable(struct rte_eth_dev *dev)
{
    return rx_mode_set(dev, 0, -1);
}

static int
emunic_allmulti_enable(struct rte_eth_dev *dev)
{
    return rx_mode_set(dev, -1, 1);
}

static int
emunic_allmulti_disable(struct rte_eth_dev *dev)
{
    return rx_mode_set(dev, -1, 0);
}

static int
emunic_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *mac)
{
    struct emunic_port *p = dev->data->dev_private;
    struct fw_vport_ctx ctx = { 0 };
    int ret;

    /* ethdev re-applies the current MAC at every start: not a change */
    if (p->role != EMUNIC_ROLE_VF || rte_is_same_ether_addr(mac, &p->mac))
        return 0;
    memcpy(ctx.mac, mac->addr_bytes, sizeof(ctx.mac));
    ret = vf_modify(dev, FW_VPORT_F_MAC, &ctx, "MAC address change");
    if (ret == 0)
        rte_ether_addr_copy(mac, &p->mac);
    return ret;
}

static int
emunic_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
    struct emunic_port *p = dev->data->dev_private;

    if ((uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN > FW_PKT_BUF_SIZE ||
        (p->ad->caps.max_mtu && mtu > p->ad->caps.max_mtu)) {
        EMUNIC_LOG(ERR, "port %u: MTU %u does not fit the card's %u-byte "
                   "frames", dev->data->port_id, mtu, FW_PKT_BUF_SIZE);
        return -EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Stats
 * ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    size_t off;
} dev_xstats[] = {
#define X(n) { "dev_" #n, offsetof(struct fw_vport_stats_out, n) }
    X(rx_packets), X(rx_bytes), X(tx_packets), X(tx_bytes),
    X(rx_dropped), X(tx_dropped), X(rep_rx_packets), X(rep_rx_dropped),
#undef X
};

static const char *const sw_xstats[] = {
    "rx_nombuf_frames", "rx_oversize_dropped", "tx_oversize_dropped",
};

static void
port_dev_stats(struct emunic_port *p, struct fw_vport_stats_out *s)
{
    if (p->role == EMUNIC_ROLE_UPLINK ||
        emunic_vport_stats(p->ad, p->vport, s) < 0)
        memset(s, 0, sizeof(*s));
}

static int
emunic_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
    struct emunic_port *p = dev->data->dev_private;
    struct fw_vport_stats_out ds;

    for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
        st->ipackets += p->rxq[q].packets;
        st->ibytes += p->rxq[q].bytes;
        st->rx_nombuf += p->rxq[q].nombuf;
        st->ierrors += p->rxq[q].errors;
        if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
            st->q_ipackets[q] = p->rxq[q].packets;
            st->q_ibytes[q] = p->rxq[q].bytes;
        }
    }
    for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
        st->opackets += p->txq[q].packets;
        st->obytes += p->txq[q].bytes;
        st->oerrors += p->txq[q].errors;
        if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
            st->q_opackets[q] = p->txq[q].packets;
            st->q_obytes[q] = p->txq[q].bytes;
        }
    }
    /* frames the card could not hand to this port */
    port_dev_stats(p, &ds);
    st->imissed = (p->role == EMUNIC_ROLE_VF ? ds.rx_dropped
                                             : ds.rep_rx_dropped);
    return 0;
}

static int
emunic_stats_reset(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;

    for (unsigned q = 0; q < EMUNIC_MAX_QUEUES; q++) {
        p->rxq[q].packets = p->rxq[q].bytes = 0;
        p->rxq[q].nombuf = p->rxq[q].errors = 0;
        p->txq[q].packets = p->txq[q].bytes = p->txq[q].errors = 0;
    }
    return 0;
}

static int
emunic_xstats_get_names(struct rte_eth_dev *dev,
                        struct rte_eth_xstat_name *names, unsigned int size)
{
    unsigned n = RTE_DIM(dev_xstats) + RTE_DIM(sw_xstats), i;

    (void)dev;
    if (names == NULL || size < n)
        return (int)n;
    for (i = 0; i < RTE_DIM(dev_xstats); i++)
        snprintf(names[i].name, sizeof(names[i].name), "%s",
                 dev_xstats[i].name);
    for (unsigned k = 0; k < RTE_DIM(sw_xstats); k++, i++)
        snprintf(names[i].name, sizeof(names[i].name), "%s", sw_xstats[k]);
    return (int)n;
}

static int
emunic_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs,
                  unsigned int size)
{
    struct emunic_port *p = dev->data->dev_private;
    unsigned n = RTE_DIM(dev_xstats) + RTE_DIM(sw_xstats), i;
    uint64_t sw[RTE_DIM(sw_xstats)] = { 0 };
    struct fw_vport_stats_out ds;

    if (xs == NULL || size < n)
        return (int)n;
    port_dev_stats(p, &ds);
    for (i = 0; i < RTE_DIM(dev_xstats); i++) {
        xs[i].id = i;
        memcpy(&xs[i].value, (const uint8_t *)&ds + dev_xstats[i].off,
               sizeof(uint64_t));
    }
    for (unsigned q = 0; q < EMUNIC_MAX_QUEUES; q++) {
        sw[0] += p->rxq[q].nombuf;
        sw[1] += p->rxq[q].errors;
        sw[2] += p->txq[q].errors;
    }
    for (unsigned k = 0; k < RTE_DIM(sw_xstats); k++, i++) {
        xs[i].id = i;
        xs[i].value = sw[k];
    }
    return (int)n;
}

static int
emunic_is_removed(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;

    return __atomic_load_n(&p->gone, __ATOMIC_ACQUIRE) ? 1 : 0;
}

/* rte_flow on a gone port: nothing new may name a function that left the
 * card (a VF of the same number may be back, as another function); what
 * exists can still be destroyed, flushed and read. */
static int
gone_refuse(struct rte_eth_dev *dev, struct rte_flow_error *error)
{
    struct emunic_port *p = dev->data->dev_private;

    return emunic_flow_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
                           NULL, "port %u: its %s (vport %u) was removed "
                           "from the card; close the port",
                           dev->data->port_id, port_kind(p), p->vport);
}

static int
gone_validate(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
              const struct rte_flow_item items[],
              const struct rte_flow_action actions[],
              struct rte_flow_error *error)
{
    (void)attr;
    (void)items;
    (void)actions;
    return gone_refuse(dev, error);
}

static struct rte_flow *
gone_create(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
            const struct rte_flow_item items[],
            const struct rte_flow_action actions[],
            struct rte_flow_error *error)
{
    (void)attr;
    (void)items;
    (void)actions;
    gone_refuse(dev, error);
    return NULL;
}

/* The normal ops with validate and create refusing (destroy, flush and
 * query are the same functions: a const table cannot be built from
 * another one's members at compile time). */
static struct rte_flow_ops gone_ops;
static pthread_once_t gone_ops_once = PTHREAD_ONCE_INIT;

static void
gone_ops_init(void)
{
    gone_ops = emunic_flow_ops;
    gone_ops.validate = gone_validate;
    gone_ops.create = gone_create;
}

static const struct rte_flow_ops *
gone_flow_ops(void)
{
    pthread_once(&gone_ops_once, gone_ops_init);
    return &gone_ops;
}

static int
emunic_flow_ops_get(struct rte_eth_dev *dev, const struct rte_flow_ops **ops)
{
    *ops = emunic_is_removed(dev) ? gone_flow_ops() : &emunic_flow_ops;
    return 0;
}

const struct eth_dev_ops emunic_ops = {
    .dev_configure = emunic_dev_configure,
    .dev_start = emunic_dev_start,
    .dev_stop = emunic_dev_stop,
    .dev_close = emunic_dev_close,
    .dev_reset = emunic_dev_reset,
    .dev_infos_get = emunic_dev_infos_get,
    .rx_queue_setup = emunic_rx_queue_setup,
    .tx_queue_setup = emunic_tx_queue_setup,
    .rx_queue_release = emunic_queue_release,
    .tx_queue_release = emunic_queue_release,
    .link_update = emunic_link_update,
    .is_removed = emunic_is_removed,
    .promiscuous_enable = emunic_promisc_enable,
    .promiscuous_disable = emunic_promisc_disable,
    .allmulticast_enable = emunic_allmulti_enable,
    .allmulticast_disable = emunic_allmulti_disable,
    .mac_addr_set = emunic_mac_addr_set,
    .mtu_set = emunic_mtu_set,
    .stats_get = emunic_stats_get,
    .stats_reset = emunic_stats_reset,
    .xstats_get = emunic_xstats_get,
    .xstats_get_names = emunic_xstats_get_names,
    .flow_ops_get = emunic_flow_ops_get,
    .rss_hash_update = emunic_rss_hash_update,
    .rss_hash_conf_get = emunic_rss_hash_conf_get,
    .reta_update = emunic_rss_reta_update,
    .reta_query = emunic_rss_reta_query,
};
