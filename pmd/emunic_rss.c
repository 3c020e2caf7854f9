/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port-level RSS: the card hashes (Toeplitz, ABI 1.5) and spreads the
 * frames no rule took over a port's rx queues.
 *
 * On the PF port and the representors (what the host receives from the
 * eSwitch: the misses of the vport the port represents) the application's
 * rte_eth_conf RSS settings become one card RSS context, the vport's
 * default, made at start and destroyed at stop: its key (or the card
 * default), its hash types, and a 64-entry redirection table over the rx
 * queues. Updates while started replace the context. VF and uplink-peer
 * ports do not advertise RSS: the card spreads their rx by its own
 * per-flow hash, which an application cannot configure.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <ethdev_driver.h>

#include "emunic.h"

static bool
rss_port(const struct emunic_port *p)
{
    return (p->role == EMUNIC_ROLE_PF || p->role == EMUNIC_ROLE_REP) &&
           (p->ad->caps.actions & FW_ACTION_BIT(FW_ACT_RSS)) &&
           p->ad->caps.rss_hash_types != 0;
}

void
emunic_rss_infos(struct emunic_port *p, struct rte_eth_dev_info *info)
{
    if (!rss_port(p))
        return;
    info->flow_type_rss_offloads =
        emunic_rss_offloads(p->ad->caps.rss_hash_types);
    info->hash_key_size = FW_RSS_KEY_SIZE;
    info->reta_size = EMUNIC_RETA_SIZE;
    info->rx_offload_capa |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
}

int
emunic_rss_ctx_create_locked(struct emunic_adapter *ad,
                             struct fw_rss_ctx_create_in *in, uint32_t *id,
                             uint8_t *status, uint32_t *synd)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_rss_ctx_create_out out;
    int ret;

    *status = FW_STATUS_OK;
    *synd = 0;
    ret = emunic_adapter_exec_locked(ad, FW_CMD_RSS_CTX_CREATE, in,
                                     offsetof(struct fw_rss_ctx_create_in,
                                              queues) +
                                     in->n_queues * sizeof(in->queues[0]),
                                     &out, sizeof(out), status, synd);
    if (ret < 0)
        return ret;
    if (*status != FW_STATUS_OK) {
        ret = fw_status_errno(*status);
        return ret > 0 ? -ret : -EIO;
    }
    *id = out.ctx_id;
    return 0;
}

void
emunic_rss_ctx_destroy_locked(struct emunic_adapter *ad, uint32_t id)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_rss_ctx_destroy_in in = { .ctx_id = id };
    struct fw_out_hdr out;
    uint8_t status;
    uint32_t synd;

    (void)emunic_adapter_exec_locked(ad, FW_CMD_RSS_CTX_DESTROY, &in,
                                     sizeof(in), &out, sizeof(out), &status,
                                     &synd);
}

/* Check and keep the application's hash settings (key may be NULL: keep
 * the current one). */
static int
rss_set(struct rte_eth_dev *dev, uint64_t hf, const uint8_t *key,
        uint8_t key_len)
{
    struct emunic_port *p = dev->data->dev_private;
    uint32_t types;

    if (hf != 0 &&
        emunic_rss_fw_types(hf, p->ad->caps.rss_hash_types, &types) < 0) {
        EMUNIC_LOG(ERR, "port %u: RSS hash types 0x%" PRIx64 " are not "
                   "computed by the card", dev->data->port_id,
                   hf & ~emunic_rss_offloads(p->ad->caps.rss_hash_types));
        return -ENOTSUP;
    }
    if (key != NULL && key_len != FW_RSS_KEY_SIZE) {
        EMUNIC_LOG(ERR, "port %u: RSS key of %u bytes: the card takes %u",
                   dev->data->port_id, key_len, FW_RSS_KEY_SIZE);
        return -EINVAL;
    }
    p->rss_hf = hf;
    if (key != NULL)
        memcpy(p->rss_key, key, FW_RSS_KEY_SIZE);
    return 0;
}

int
emunic_rss_configure(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;
    const struct rte_eth_rss_conf *c = &dev->data->dev_conf.rx_adv_conf.rss_conf;
    uint16_t nq = dev->data->nb_rx_queues ? dev->data->nb_rx_queues : 1;
    bool rss = dev->data->dev_conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG;

    memcpy(p->rss_key, emunic_rss_default_key, FW_RSS_KEY_SIZE);
    for (unsigned i = 0; i < EMUNIC_RETA_SIZE; i++)
        p->reta[i] = (uint16_t)(i % nq);
    p->rss_hf = 0;
    /* a port that advertises no hash type gets rss_hf 0 past ethdev's own
     * check: RSS mode then asks for nothing, and the card's own per-flow
     * spreading stays */
    if (!rss || !rss_port(p))
        return 0;
    return rss_set(dev, c->rss_hf, c->rss_key, c->rss_key_len);
}

/* The port's default context from its settings, replacing the one it
 * had. Caller holds ad->lock. */
static int
rss_apply_locked(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;
    struct fw_rss_ctx_create_in in;
    uint32_t types = 0, id = 0, old = p->rss_ctx;
    uint8_t status;
    uint32_t synd;
    char sbuf[96];
    int ret;

    snic_mutex_held(&p->ad->lock);      /* the caller's */
    if (!p->started || p->rss_hf == 0 || dev->data->nb_rx_queues < 2) {
        p->rss_ctx = 0;
        if (old != 0)
            emunic_rss_ctx_destroy_locked(p->ad, old);
        return 0;
    }
    (void)emunic_rss_fw_types(p->rss_hf, p->ad->caps.rss_hash_types, &types);
    memset(&in, 0, sizeof(in));
    in.vport = p->vport;
    in.flags = FW_RSS_F_VPORT_DEFAULT;
    in.hash_types = types;
    memcpy(in.key, p->rss_key, FW_RSS_KEY_SIZE);
    in.n_queues = EMUNIC_RETA_SIZE;
    memcpy(in.queues, p->reta, sizeof(p->reta));
    ret = emunic_rss_ctx_create_locked(p->ad, &in, &id, &status, &synd);
    if (ret < 0) {
        EMUNIC_LOG(ERR, "port %u: the card did not take the RSS settings: "
                   "%s (%s)", dev->data->port_id, fw_status_str(status),
                   fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
        return ret;
    }
    /* the new default took over: the old one spreads nothing now */
    p->rss_ctx = id;
    if (old != 0)
        emunic_rss_ctx_destroy_locked(p->ad, old);
    return 0;
}

int
emunic_rss_start(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;
    int ret;

    if (!rss_port(p))
        return 0;
    snic_mutex_lock(&p->ad->lock);
    ret = rss_apply_locked(dev);
    snic_mutex_unlock(&p->ad->lock);
    return ret;
}

void
emunic_rss_stop(struct rte_eth_dev *dev)
{
    struct emunic_port *p = dev->data->dev_private;

    if (p->rss_ctx == 0 || p->ad == NULL)
        return;
    snic_mutex_lock(&p->ad->lock);
    emunic_rss_ctx_destroy_locked(p->ad, p->rss_ctx);
    p->rss_ctx = 0;
    snic_mutex_unlock(&p->ad->lock);
}

int
emunic_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
    struct emunic_port *p = dev->data->dev_private;
    uint64_t hf = p->rss_hf;
    uint8_t key[FW_RSS_KEY_SIZE];
    int ret;

    if (!rss_port(p))
        return -ENOTSUP;
    memcpy(key, p->rss_key, sizeof(key));
    ret = rss_set(dev, conf->rss_hf, conf->rss_key, conf->rss_key_len);
    if (ret < 0)
        return ret;
    snic_mutex_lock(&p->ad->lock);
    ret = rss_apply_locked(dev);
    snic_mutex_unlock(&p->ad->lock);
    if (ret < 0) {
        /* the card kept the old context: so do we */
        p->rss_hf = hf;
        memcpy(p->rss_key, key, sizeof(key));
    }
    return ret;
}

int
emunic_rss_hash_conf_get(struct rte_eth_dev *dev,
                         struct rte_eth_rss_conf *conf)
{
    struct emunic_port *p = dev->data->dev_private;

    if (!rss_port(p))
        return -ENOTSUP;
    conf->rss_hf = p->rss_hf;
    if (conf->rss_key != NULL) {
        if (conf->rss_key_len < FW_RSS_KEY_SIZE)
            return -EINVAL;
        memcpy(conf->rss_key, p->rss_key, FW_RSS_KEY_SIZE);
    }
    conf->rss_key_len = FW_RSS_KEY_SIZE;
    return 0;
}

int
emunic_rss_reta_update(struct rte_eth_dev *dev,
                       struct rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
    struct emunic_port *p = dev->data->dev_private;
    uint16_t reta[EMUNIC_RETA_SIZE];
    int ret;

    if (!rss_port(p))
        return -ENOTSUP;
    if (size != EMUNIC_RETA_SIZE)
        return -EINVAL;
    memcpy(reta, p->reta, sizeof(reta));
    for (unsigned i = 0; i < size; i++) {
        const struct rte_eth_rss_reta_entry64 *e =
            &conf[i / RTE_ETH_RETA_GROUP_SIZE];
        unsigned k = i % RTE_ETH_RETA_GROUP_SIZE;

        if (!(e->mask & (1ull << k)))
            continue;
        if (e->reta[k] >= dev->data->nb_rx_queues) {
            EMUNIC_LOG(ERR, "port %u: RETA entry %u names queue %u of %u",
                       dev->data->port_id, i, e->reta[k],
                       dev->data->nb_rx_queues);
            return -EINVAL;
        }
        p->reta[i] = e->reta[k];
    }
    snic_mutex_lock(&p->ad->lock);
    ret = rss_apply_locked(dev);
    snic_mutex_unlock(&p->ad->lock);
    if (ret < 0)
        memcpy(p->reta, reta, sizeof(reta));
    return ret;
}

int
emunic_rss_reta_query(struct rte_eth_dev *dev,
                      struct rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
    struct emunic_port *p = dev->data->dev_private;

    if (!rss_port(p))
        return -ENOTSUP;
    if (size != EMUNIC_RETA_SIZE)
        return -EINVAL;
    for (unsigned i = 0; i < size; i++) {
        struct rte_eth_rss_reta_entry64 *e =
            &conf[i / RTE_ETH_RETA_GROUP_SIZE];
        unsigned k = i % RTE_ETH_RETA_GROUP_SIZE;

        if (e->mask & (1ull << k))
            e->reta[k] = p->reta[i];
    }
    return 0;
}
