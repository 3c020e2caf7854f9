/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Vports and the functions behind them: SR-IOV enable/disable, eSwitch
 * mode, vport query/modify/stats, and who may touch which vport.
 *
 * The uplink is vport 0 and always exists; VF n is vport 1 + n and exists
 * while n < num_vfs. A VF function reaches only its own vport.
 */
#include <string.h>

#include "emu_dev_priv.h"

void
emu_vport_reset_ctx(struct emu_dev *dev, uint16_t vport)
{
    struct emu_vport *vp = &dev->vports[vport];
    uint8_t attachment = vp->ctx.attachment;

    memset(vp, 0, sizeof(*vp));
    vp->ctx.mtu = EMU_DEFAULT_MTU;
    vp->ctx.link_state = FW_LINK_AUTO;
    /* the attachment is the server's fact, not configuration */
    vp->ctx.attachment = attachment;
    if (vport == FW_VPORT_UPLINK)
        memcpy(vp->ctx.mac, dev->caps.base_mac, sizeof(vp->ctx.mac));
}

/* AUTO follows the uplink, which is up unless administratively disabled. */
bool
emu_vport_oper_up(const struct emu_dev *dev, uint16_t vport)
{
    uint8_t up_state = dev->vports[FW_VPORT_UPLINK].ctx.link_state;
    uint8_t st = dev->vports[vport].ctx.link_state;

    if (st == FW_LINK_DISABLE)
        return false;
    if (vport == FW_VPORT_UPLINK || st == FW_LINK_ENABLE)
        return true;
    return up_state != FW_LINK_DISABLE;
}

/* ------------------------------------------------------------------------
 * SR-IOV
 * ------------------------------------------------------------------------ */

/* Make VFs 0..n-1 the set that exists. VFs below both counts are left
 * alone; a VF that appears starts from defaults, as a new PCI VF does, and
 * is stamped with the new generation so drivers can tell it from an
 * earlier VF of the same number. Generations are even and move by two:
 * the region's copy doubles as a seqlock, odd while it is being written
 * (emu_dev_publish_sriov), and 0 stays "never created". */
static void
emu_sriov_set(struct emu_dev *dev, uint16_t n)
{
    uint16_t old = dev->caps.num_vfs;

    if (n == old)
        return;
    for (uint16_t v = n; v < old; v++)
        emu_vport_reset_ctx(dev, FW_VPORT_VF(v));
    dev->sriov_generation += 2;
    if (dev->sriov_generation == 0)
        dev->sriov_generation = 2;
    for (uint16_t v = old; v < n; v++) {
        emu_vport_reset_ctx(dev, FW_VPORT_VF(v));
        dev->vf_generation[v] = dev->sriov_generation;
    }
    dev->caps.num_vfs = n;
    if (dev->ops.sriov_changed != NULL)
        dev->ops.sriov_changed(dev->ctx, n);
}

/* Copy the SR-IOV view into a driver's region as a seqlock writer: the
 * sequence (sriov_generation) goes odd before any datum changes and to the
 * new even generation after the last, so a reader that saw the same even
 * value on both sides of its copy read no datum of another generation. */
void
emu_dev_publish_sriov(const struct emu_dev *dev, struct fw_region *reg)
{
    uint16_t max = dev->caps.max_vfs;

    if (max > FW_REGION_VF_SLOTS)
        max = FW_REGION_VF_SLOTS;
    __atomic_store_n(&reg->sriov_generation, dev->sriov_generation - 1u,
                     __ATOMIC_RELAXED);
    /* orders the odd value before every store below */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&reg->num_vfs, dev->caps.num_vfs, __ATOMIC_RELAXED);
    for (uint16_t v = 0; v < max; v++)
        __atomic_store_n(&reg->vf_generation[v], dev->vf_generation[v],
                         __ATOMIC_RELAXED);
    __atomic_store_n(&reg->sriov_generation, dev->sriov_generation,
                     __ATOMIC_RELEASE);
}

uint8_t
emu_cmd_sriov_enable(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_sriov_enable_in in;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if ((in.flags & ~(uint32_t)FW_SRIOV_F_IN_PLACE) != 0 || in.rsvd1 != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (in.num_vfs > dev->caps.max_vfs)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_VFS));
    if (in.flags & FW_SRIOV_F_IN_PLACE) {
        /* nothing below can refuse: the removed VFs' rules are settled
         * (destroyed or made tombstones) first, so none dangles */
        if (in.num_vfs < dev->caps.num_vfs)
            emu_steer_vports_removed(dev, FW_VPORT_VF(in.num_vfs));
        emu_sriov_set(dev, in.num_vfs);
        return FW_STATUS_OK;
    }
    if (in.num_vfs == 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_SRIOV, 0, 0));
    if (dev->caps.num_vfs != 0)
        return emu_fail(cmd, FW_STATUS_BAD_STATE,
                        FW_SYND(FW_SYND_SRIOV, 0, dev->caps.num_vfs));
    emu_sriov_set(dev, in.num_vfs);
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_sriov_disable(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_sriov_disable_in in;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if (dev->caps.num_vfs == 0)
        return FW_STATUS_OK;
    /* rules naming a VF vport would dangle: the driver removes them first */
    for (uint16_t v = 1; v <= dev->caps.num_vfs; v++)
        if (dev->vports[v].rule_refs != 0)
            return emu_fail(cmd, FW_STATUS_BUSY, FW_SYND(FW_SYND_SRIOV, 0, v));
    emu_sriov_set(dev, 0);
    return FW_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * eSwitch mode
 * ------------------------------------------------------------------------ */

uint8_t
emu_cmd_esw_get_mode(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_cmd_hdr in;
    struct fw_eswitch_mode_out *out = (void *)cmd->out;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0)
        return st;
    out->mode = dev->caps.esw_mode;
    memset(out->rsvd, 0, sizeof(out->rsvd));
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_esw_set_mode(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_eswitch_set_mode_in in;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if (!emu_bytes_zero(in.rsvd, sizeof(in.rsvd)))
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (in.mode > FW_ESW_SWITCHDEV)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_MODE, 0, in.mode));
    if (in.mode == dev->caps.esw_mode)
        return FW_STATUS_OK;
    /* the flush allocates only the new root table: do it first so a
     * failure leaves the old mode in place */
    if (emu_steer_flush(dev, in.mode == FW_ESW_SWITCHDEV) != 0)
        return emu_fail(cmd, FW_STATUS_INTERNAL, 0);
    dev->caps.esw_mode = in.mode;
    return FW_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * Vport query / modify / stats
 * ------------------------------------------------------------------------ */

/* Common vport addressing rule: 0 or a status. */
static uint8_t
emu_vport_access(const struct emu_dev *dev, struct emu_cmd *cmd,
                 uint16_t vport)
{
    if (cmd->function != FW_FUNC_PF &&
        vport != FW_VPORT_VF(cmd->function))
        return emu_fail(cmd, FW_STATUS_NO_PERM,
                        FW_SYND(FW_SYND_PRIVILEGE, 0, vport));
    if (!emu_vport_exists(dev, vport))
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_VPORT, 0, vport));
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_vport_query(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_vport_query_in in;
    struct fw_vport_query_out *out = (void *)cmd->out;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0)
        return st;
    if (in.rsvd0 != 0 || in.rsvd1 != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if ((st = emu_vport_access(dev, cmd, in.vport)) != 0)
        return st;
    out->ctx = dev->vports[in.vport].ctx;
    out->ctx.oper_up = emu_vport_oper_up(dev, in.vport);
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_vport_stats(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_vport_query_in in;
    struct fw_vport_stats_out *out = (void *)cmd->out;
    const struct emu_vport_stats *s;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0)
        return st;
    if (in.rsvd0 != 0 || in.rsvd1 != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if ((st = emu_vport_access(dev, cmd, in.vport)) != 0)
        return st;
    s = &dev->vports[in.vport].stats;
    out->rx_packets = s->rx_packets;
    out->rx_bytes = s->rx_bytes;
    out->tx_packets = s->tx_packets;
    out->tx_bytes = s->tx_bytes;
    out->rx_dropped = s->rx_dropped;
    out->tx_dropped = s->tx_dropped;
    out->rep_rx_packets = s->rep_rx_packets;
    out->rep_rx_dropped = s->rep_rx_dropped;
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;
}

#define BIT_IDX_MAC        0
#define BIT_IDX_VLAN       1
#define BIT_IDX_LINK       4
#define BIT_IDX_MIN_RATE   5
#define BIT_IDX_MAX_RATE   6
#define BIT_IDX_RX_MODE    7
#define BIT_IDX_MTU        8

/* Fields the uplink vport accepts: it has no MAC/VLAN/trust policy of its
 * own (the PF's MAC is caps.base_mac). */
#define EMU_UPLINK_FIELDS (FW_VPORT_F_LINK_STATE | FW_VPORT_F_RX_MODE | \
                           FW_VPORT_F_MTU)
#define EMU_VF_SELF_FIELDS (FW_VPORT_F_MAC | FW_VPORT_F_RX_MODE | \
                            FW_VPORT_F_MTU)

/* Every selected field's value, and that unselected ones are zero. */
static uint8_t
emu_vport_modify_check(const struct emu_dev *dev, struct emu_cmd *cmd,
                       const struct fw_vport_modify_in *in,
                       const struct emu_vport *vp)
{
    const struct fw_vport_ctx *c = &in->ctx;
    uint32_t sel = in->field_select;
    bool vf = cmd->function != FW_FUNC_PF;
    uint32_t new_min, new_max;

#define BAD(idx) emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_VALUE, idx, 0))
#define RSVD(idx) emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, idx, 0))
    if (in->rsvd0 != 0 || (sel & ~(uint32_t)FW_VPORT_F_ALL_) != 0 ||
        c->oper_up != 0 || c->attachment != 0 ||
        !emu_bytes_zero(c->rsvd, sizeof(c->rsvd)))
        return RSVD(0);
    if (!(sel & FW_VPORT_F_MAC) && !emu_bytes_zero(c->mac, 6))
        return RSVD(BIT_IDX_MAC);
    if (!(sel & FW_VPORT_F_VLAN) &&
        (c->vlan_vid | c->vlan_qos | c->vlan_proto) != 0)
        return RSVD(BIT_IDX_VLAN);
    if (!(sel & FW_VPORT_F_SPOOFCHK) && c->spoofchk != 0)
        return RSVD(2);
    if (!(sel & FW_VPORT_F_TRUST) && c->trust != 0)
        return RSVD(3);
    if (!(sel & FW_VPORT_F_LINK_STATE) && c->link_state != 0)
        return RSVD(BIT_IDX_LINK);
    if (!(sel & FW_VPORT_F_MIN_RATE) && c->min_tx_rate != 0)
        return RSVD(BIT_IDX_MIN_RATE);
    if (!(sel & FW_VPORT_F_MAX_RATE) && c->max_tx_rate != 0)
        return RSVD(BIT_IDX_MAX_RATE);
    if (!(sel & FW_VPORT_F_RX_MODE) && (c->promisc | c->allmulti) != 0)
        return RSVD(BIT_IDX_RX_MODE);
    if (!(sel & FW_VPORT_F_MTU) && c->mtu != 0)
        return RSVD(BIT_IDX_MTU);

    /* privilege before values: a VF learns nothing about what it may not do */
    if (vf) {
        if (sel & ~(uint32_t)EMU_VF_SELF_FIELDS)
            return emu_fail(cmd, FW_STATUS_NO_PERM,
                            FW_SYND(FW_SYND_PRIVILEGE, 0, in->vport));
        if ((sel & FW_VPORT_F_MAC) && !vp->ctx.trust)
            return emu_fail(cmd, FW_STATUS_NO_PERM,
                            FW_SYND(FW_SYND_TRUST, BIT_IDX_MAC, in->vport));
        if ((sel & FW_VPORT_F_RX_MODE) && !vp->ctx.trust &&
            (c->promisc != 0 || c->allmulti != 0))
            return emu_fail(cmd, FW_STATUS_NO_PERM,
                            FW_SYND(FW_SYND_TRUST, BIT_IDX_RX_MODE,
                                    in->vport));
    }
    if (in->vport == FW_VPORT_UPLINK && (sel & ~(uint32_t)EMU_UPLINK_FIELDS))
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_VPORT, 0, in->vport));

    if ((sel & FW_VPORT_F_MAC) && (c->mac[0] & 1u))
        return BAD(BIT_IDX_MAC);
    if (sel & FW_VPORT_F_VLAN) {
        if (c->vlan_vid > 4094)
            return BAD(BIT_IDX_VLAN);
        if (c->vlan_qos > 7)
            return BAD(BIT_IDX_VLAN);
        if (c->vlan_proto > FW_VLAN_8021AD)
            return BAD(BIT_IDX_VLAN);
    }
    if ((sel & FW_VPORT_F_SPOOFCHK) && c->spoofchk > 1)
        return BAD(2);
    if ((sel & FW_VPORT_F_TRUST) && c->trust > 1)
        return BAD(3);
    if ((sel & FW_VPORT_F_LINK_STATE) && c->link_state > FW_LINK_DISABLE)
        return BAD(BIT_IDX_LINK);
    if ((sel & FW_VPORT_F_RX_MODE) && (c->promisc > 1 || c->allmulti > 1))
        return BAD(BIT_IDX_RX_MODE);
    if ((sel & FW_VPORT_F_MTU) &&
        (c->mtu < EMU_MIN_MTU || c->mtu > dev->caps.max_mtu))
        return BAD(BIT_IDX_MTU);
    new_min = (sel & FW_VPORT_F_MIN_RATE) ? c->min_tx_rate :
              vp->ctx.min_tx_rate;
    new_max = (sel & FW_VPORT_F_MAX_RATE) ? c->max_tx_rate :
              vp->ctx.max_tx_rate;
    if ((sel & FW_VPORT_F_MIN_RATE) && new_min > dev->caps.max_link_speed)
        return BAD(BIT_IDX_MIN_RATE);
    if ((sel & FW_VPORT_F_MAX_RATE) && new_max > dev->caps.max_link_speed)
        return BAD(BIT_IDX_MAX_RATE);
    if ((sel & (FW_VPORT_F_MIN_RATE | FW_VPORT_F_MAX_RATE)) &&
        new_max != 0 && new_min > new_max)
        return BAD((sel & FW_VPORT_F_MIN_RATE) ? BIT_IDX_MIN_RATE :
                   BIT_IDX_MAX_RATE);
#undef BAD
#undef RSVD
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_vport_modify(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_vport_modify_in in;
    struct emu_vport *vp;
    const struct fw_vport_ctx *c = &in.ctx;
    uint32_t sel;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if ((st = emu_vport_access(dev, cmd, in.vport)) != 0)
        return st;
    vp = &dev->vports[in.vport];
    if ((st = emu_vport_modify_check(dev, cmd, &in, vp)) != 0)
        return st;

    sel = in.field_select;
    if (sel & FW_VPORT_F_MAC)
        memcpy(vp->ctx.mac, c->mac, sizeof(vp->ctx.mac));
    if (sel & FW_VPORT_F_VLAN) {
        vp->ctx.vlan_vid = c->vlan_vid;
        vp->ctx.vlan_qos = c->vlan_qos;
        vp->ctx.vlan_proto = c->vlan_proto;
    }
    if (sel & FW_VPORT_F_SPOOFCHK)
        vp->ctx.spoofchk = c->spoofchk;
    if (sel & FW_VPORT_F_TRUST)
        vp->ctx.trust = c->trust;
    if (sel & FW_VPORT_F_LINK_STATE)
        vp->ctx.link_state = c->link_state;
    if (sel & FW_VPORT_F_MIN_RATE)
        vp->ctx.min_tx_rate = c->min_tx_rate;
    if (sel & FW_VPORT_F_MAX_RATE) {
        vp->ctx.max_tx_rate = c->max_tx_rate;
        vp->tb_last_ns = 0; /* refill the bucket at the new rate */
    }
    if (sel & FW_VPORT_F_RX_MODE) {
        vp->ctx.promisc = c->promisc;
        vp->ctx.allmulti = c->allmulti;
    }
    if (sel & FW_VPORT_F_MTU)
        vp->ctx.mtu = c->mtu;
    return FW_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * Server-facing vport helpers
 * ------------------------------------------------------------------------ */

uint8_t
emu_dev_check_queue_attach(struct emu_dev *dev, uint16_t function,
                           uint16_t vport, uint16_t queue, uint32_t depth,
                           uint32_t *syndrome)
{
    uint32_t synd = 0;
    uint8_t st = FW_STATUS_OK;

    if (emu_func_is_vf(dev, function) && function >= dev->caps.num_vfs) {
        st = FW_STATUS_BAD_STATE;
        synd = FW_SYND(FW_SYND_SRIOV, 0, function);
    } else if (function == FW_FUNC_PF && !emu_vport_exists(dev, vport)) {
        st = FW_STATUS_BAD_PARAM;
        synd = FW_SYND(FW_SYND_VPORT, 0, vport);
    } else if (queue >= dev->caps.max_queues_per_port) {
        st = FW_STATUS_BAD_PARAM;
        synd = FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_QUEUES);
    } else if (depth == 0 || (depth & (depth - 1)) != 0 ||
               depth > dev->caps.max_queue_depth) {
        st = FW_STATUS_BAD_PARAM;
        synd = FW_SYND(FW_SYND_VALUE, 0, 0);
    }
    if (syndrome != NULL)
        *syndrome = synd;
    return st;
}

void
emu_dev_set_attachment(struct emu_dev *dev, uint16_t vport,
                       uint8_t attachment)
{
    if (vport < dev->caps.num_vports)
        dev->vports[vport].ctx.attachment = attachment;
}
