/* SPDX-License-Identifier: BSD-3-Clause */
/* emunic backend: snic-vf operations as firmware commands (vf_emunic.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>

#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

#include "vf_emunic.h"
#include "vf_fs.h"

/* What FW_CMD_VPORT_MODIFY can change: vf_emu_set() refuses the rest, and
 * vf_validate_for_dev() refuses it first, before an apply changes anything */
#define VF_EMU_SETTABLE (VF_ATTR_BIT(VF_ATTR_MAC) | VF_ATTR_BIT(VF_ATTR_VLAN) | \
                         VF_ATTR_BIT(VF_ATTR_SPOOFCHK) | \
                         VF_ATTR_BIT(VF_ATTR_TRUST) | \
                         VF_ATTR_BIT(VF_ATTR_STATE) | VF_ATTR_BIT(VF_ATTR_RATE))
#include "vf_parse.h"

#define VF_EMU_POLL_MS 10

struct vf_emunic {
    struct fw_chan *chan;
    char path[VF_NAME_MAX];     /* also the device name: <= 63 bytes */
    int timeout_ms;             /* per command */
};

static int
vf_emu_exec(struct vf_backend *be, uint16_t op, void *in, size_t in_size,
            void *out, size_t out_size, const char *what)
{
    struct vf_emunic *e = be->priv;
    uint8_t status = FW_STATUS_OK;
    uint32_t synd = 0;
    char sb[128], eb[96];
    int rc;

    rc = fw_chan_exec(e->chan, op, in, in_size, out, out_size, &status,
                      &synd, e->timeout_ms);
    if (rc < 0) {
        vf_err_set(&be->err, "%s: the card did not answer: %s", what,
                   vf_errno_str(-rc, eb, sizeof(eb)));
        return rc;
    }
    if (status != FW_STATUS_OK) {
        vf_err_set(&be->err, "%s: the card refused: %s (%s)", what,
                   fw_status_str(status), fw_syndrome_str(synd, sb,
                                                          sizeof(sb)));
        return -fw_status_errno(status);
    }
    return 0;
}

static int
vf_emu_check_name(struct vf_backend *be, const char *name)
{
    struct vf_emunic *e = be->priv;

    if (strcmp(name, e->path) == 0)
        return 0;
    vf_err_set(&be->err, "%s: no such device (this emunic backend drives "
               "%s)", name, e->path);
    return -ENODEV;
}

static int
vf_emu_caps(struct vf_backend *be, struct fw_caps *caps)
{
    struct fw_cmd_hdr in = { 0 };
    struct fw_query_adapter_out out;
    int rc = vf_emu_exec(be, FW_CMD_QUERY_ADAPTER, &in, sizeof(in), &out,
                         sizeof(out), "query adapter");

    if (rc == 0)
        *caps = out.caps;
    return rc;
}

static void
vf_emu_ctx_to_settings(const struct fw_vport_ctx *c, struct vf_settings *s)
{
    memcpy(s->mac, c->mac, 6);
    s->vlan = c->vlan_vid;
    s->qos = c->vlan_qos;
    s->proto = c->vlan_proto == FW_VLAN_8021AD ? ETH_P_8021AD : ETH_P_8021Q;
    s->spoofchk = c->spoofchk != 0;
    s->trust = c->trust != 0;
    s->state = c->link_state;
    s->min_rate = c->min_tx_rate;
    s->max_rate = c->max_tx_rate;
    s->mask = VF_ATTR_BIT(VF_ATTR_MAC) | VF_ATTR_BIT(VF_ATTR_VLAN) |
              VF_ATTR_BIT(VF_ATTR_SPOOFCHK) | VF_ATTR_BIT(VF_ATTR_TRUST) |
              VF_ATTR_BIT(VF_ATTR_STATE) | VF_ATTR_BIT(VF_ATTR_RATE);
}

static int
vf_emu_get(struct vf_backend *be, const char *name, struct vf_dev *out)
{
    struct vf_emunic *e = be->priv;
    struct fw_caps caps = { 0 };
    int rc = vf_emu_check_name(be, name);

    memset(out, 0, sizeof(*out));
    if (rc == 0)
        rc = vf_emu_caps(be, &caps);
    if (rc < 0)
        return rc;
    snprintf(out->name, sizeof(out->name), "%s", e->path);
    snprintf(out->pci, sizeof(out->pci), "emunic");
    snprintf(out->driver, sizeof(out->driver), "emunic");
    out->sriov_cap = caps.max_vfs > 0 ? 1 : 0;
    out->totalvfs = caps.max_vfs;
    out->numvfs = caps.num_vfs;
    out->numvfs_in_place = fw_chan_abi_minor(e->chan) >= 2;
    out->settable = VF_EMU_SETTABLE;
    out->esw_mode = caps.esw_mode == FW_ESW_SWITCHDEV ? VF_ESW_SWITCHDEV :
                    VF_ESW_LEGACY;
    out->speed = caps.max_link_speed > 0 ? (long)caps.max_link_speed : -1;
    if (out->numvfs == 0)
        return 0;
    out->vfs = calloc(out->numvfs, sizeof(*out->vfs));
    if (out->vfs == NULL)
        return -ENOMEM;
    out->nvfs = out->numvfs;
    for (unsigned i = 0; i < out->nvfs; i++) {
        struct fw_vport_query_in in = { .vport = FW_VPORT_VF(i) };
        struct fw_vport_query_out q;
        struct vf_info *vi = &out->vfs[i];

        vi->index = i;
        snprintf(vi->netdev, sizeof(vi->netdev), "%.40s.vf%u",
                 strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path,
                 i);
        if (vf_emu_exec(be, FW_CMD_VPORT_QUERY, &in, sizeof(in), &q,
                        sizeof(q), "vport query") == 0)
            vf_emu_ctx_to_settings(&q.ctx, &vi->cur);
    }
    return 0;
}

static int
vf_emu_list(struct vf_backend *be, struct vf_host *host)
{
    struct vf_emunic *e = be->priv;
    struct vf_dev dev;
    int rc;

    memset(host, 0, sizeof(*host));
    rc = vf_emu_get(be, e->path, &dev);
    if (rc < 0)
        return rc;
    if (dev.sriov_cap != 1) {
        vf_dev_clear(&dev);
        return 0;
    }
    rc = vf_host_add(host, &dev);
    if (rc < 0)
        vf_dev_clear(&dev);
    return rc;
}

/* VF sockets come and go with SR-IOV: wait for exactly @n of them. */
static int
vf_emu_wait_sockets(struct vf_backend *be, unsigned n, int timeout_ms)
{
    struct vf_emunic *e = be->priv;
    long long start = snic_now_ms();
    char p[sizeof(e->path) + 16];

    for (;;) {
        unsigned have = 0;

        for (unsigned i = 0; i < n; i++) {
            snprintf(p, sizeof(p), "%s.vf%u", e->path, i);
            have += vf_fs_exists(p);
        }
        snprintf(p, sizeof(p), "%s.vf%u", e->path, n);
        if (have == n && !vf_fs_exists(p))
            return 0;
        if (snic_now_ms() - start >= timeout_ms) {
            vf_err_set(&be->err, "timed out after %.1f s waiting for %u VF "
                       "sockets of %s (%u present)", timeout_ms / 1000.0, n,
                       e->path, have);
            return -ETIMEDOUT;
        }
        vf_fs_sleep_ms(VF_EMU_POLL_MS);
    }
}

static int
vf_emu_disable(struct vf_backend *be)
{
    struct fw_sriov_disable_in in = { { 0 } };

    return vf_emu_exec(be, FW_CMD_SRIOV_DISABLE, &in, sizeof(in), NULL, 0,
                       "sriov disable");
}

static int
vf_emu_create(struct vf_backend *be, const char *name, unsigned n,
              int timeout_ms)
{
    struct vf_emunic *e = be->priv;
    struct fw_sriov_enable_in in = { .num_vfs = (uint16_t)n };
    struct fw_caps caps = { 0 };
    char what[64];
    int rc = vf_emu_check_name(be, name);

    if (rc == 0)
        rc = vf_emu_caps(be, &caps);
    if (rc < 0)
        return rc;
    if (n > caps.max_vfs) {
        vf_err_set(&be->err, "%u VFs requested but the card supports at "
                   "most %u", n, caps.max_vfs);
        return -ERANGE;
    }
    if (caps.num_vfs == n)
        return vf_emu_wait_sockets(be, n, timeout_ms);
    /* A 1.2 card changes the count in place, as sriov_numvfs does on a
     * switchdev host: the VFs that stay keep their settings and the rules
     * naming them, so a live switch can grow or shrink. */
    if (caps.num_vfs != 0 && fw_chan_abi_minor(e->chan) >= 2) {
        in.flags = FW_SRIOV_F_IN_PLACE;
        snprintf(what, sizeof(what), "sriov %u -> %u in place",
                 caps.num_vfs, n);
        rc = vf_emu_exec(be, FW_CMD_SRIOV_ENABLE, &in, sizeof(in), NULL, 0,
                         what);
        return rc < 0 ? rc : vf_emu_wait_sockets(be, n, timeout_ms);
    }
    /* a 1.1 card, like the kernel, refuses N -> M: disable first (BUSY
     * while rules name a VF) */
    if (caps.num_vfs != 0) {
        rc = vf_emu_disable(be);
        if (rc == 0)
            rc = vf_emu_wait_sockets(be, 0, timeout_ms);
        if (rc < 0 || n == 0)
            return rc;
    }
    snprintf(what, sizeof(what), "sriov enable %u", n);
    rc = vf_emu_exec(be, FW_CMD_SRIOV_ENABLE, &in, sizeof(in), NULL, 0, what);
    return rc < 0 ? rc : vf_emu_wait_sockets(be, n, timeout_ms);
}

static int
vf_emu_destroy(struct vf_backend *be, const char *name, int timeout_ms)
{
    return vf_emu_create(be, name, 0, timeout_ms);
}

static int
vf_emu_eswitch_set(struct vf_backend *be, const char *name, int mode)
{
    struct fw_eswitch_set_mode_in in = {
        .mode = mode == VF_ESW_SWITCHDEV ? FW_ESW_SWITCHDEV : FW_ESW_LEGACY,
    };
    char what[64];
    int rc = vf_emu_check_name(be, name);

    if (rc < 0)
        return rc;
    snprintf(what, sizeof(what), "eswitch mode %s", vf_esw_mode_str(mode));
    return vf_emu_exec(be, FW_CMD_ESWITCH_SET_MODE, &in, sizeof(in), NULL, 0,
                       what);
}

static int
vf_emu_set(struct vf_backend *be, const char *name, unsigned vf,
           const struct vf_settings *s)
{
    struct fw_vport_modify_in in = { .vport = FW_VPORT_VF(vf) };
    char what[128];
    int rc = vf_emu_check_name(be, name);

    if (rc < 0)
        return rc;
    for (unsigned a = 0; a < VF_ATTR__COUNT; a++) {
        if (!(s->mask & VF_ATTR_BIT(a)))
            continue;
        vf_fmt_attr((enum vf_attr)a, s, what, sizeof(what));
        switch (a) {
        case VF_ATTR_MAC:
            in.field_select |= FW_VPORT_F_MAC;
            memcpy(in.ctx.mac, s->mac, 6);
            break;
        case VF_ATTR_VLAN:
            in.field_select |= FW_VPORT_F_VLAN;
            in.ctx.vlan_vid = s->vlan;
            in.ctx.vlan_qos = s->qos;
            in.ctx.vlan_proto = s->proto == ETH_P_8021AD ? FW_VLAN_8021AD :
                                FW_VLAN_8021Q;
            break;
        case VF_ATTR_SPOOFCHK:
            in.field_select |= FW_VPORT_F_SPOOFCHK;
            in.ctx.spoofchk = s->spoofchk;
            break;
        case VF_ATTR_TRUST:
            in.field_select |= FW_VPORT_F_TRUST;
            in.ctx.trust = s->trust;
            break;
        case VF_ATTR_STATE:
            in.field_select |= FW_VPORT_F_LINK_STATE;
            in.ctx.link_state = (uint8_t)s->state;
            break;
        case VF_ATTR_RATE:
            in.field_select |= FW_VPORT_F_MIN_RATE | FW_VPORT_F_MAX_RATE;
            in.ctx.min_tx_rate = s->min_rate;
            in.ctx.max_tx_rate = s->max_rate;
            break;
        case VF_ATTR_HW_ADDR:
        case VF_ATTR_ROCE:
        case VF_ATTR_MIGRATABLE:
        case VF_ATTR_FN_STATE:
            vf_err_set(&be->err, "%s: the emulated card has no devlink port "
                       "functions (its VF MAC is set with mac)", what);
            return -EOPNOTSUPP;
        default:
            vf_err_set(&be->err, "%s: the emulated card has no InfiniBand "
                       "GUIDs", what);
            return -EOPNOTSUPP;
        }
    }
    /* one attribute per call from set/apply: @what names it */
    return vf_emu_exec(be, FW_CMD_VPORT_MODIFY, &in, sizeof(in), NULL, 0,
                       what);
}

static int
vf_emu_bind(struct vf_backend *be, const char *name, unsigned vf,
            const char *driver)
{
    struct vf_emunic *e = be->priv;

    (void)driver;
    if (vf_emu_check_name(be, name) < 0)
        return -ENODEV;
    vf_err_set(&be->err, "emunic VFs have no kernel driver to bind; attach "
               "a client (e.g. the PMD) to %s.vf%u instead", e->path, vf);
    return -EOPNOTSUPP;
}

static int
vf_emu_unbind(struct vf_backend *be, const char *name, unsigned vf)
{
    return vf_emu_bind(be, name, vf, NULL);
}

static void
vf_emu_close(struct vf_backend *be)
{
    struct vf_emunic *e = be->priv;

    fw_chan_close(e->chan);
    free(e);
    free(be);
}

static const struct vf_backend_ops vf_emunic_ops = {
    .name = "emunic",
    .list = vf_emu_list,
    .get = vf_emu_get,
    .create = vf_emu_create,
    .destroy = vf_emu_destroy,
    .eswitch_set = vf_emu_eswitch_set,
    .set = vf_emu_set,
    .bind = vf_emu_bind,
    .unbind = vf_emu_unbind,
    .close = vf_emu_close,
};

struct vf_backend *
vf_emunic_open(const char *path, int timeout_ms, struct vf_err *err)
{
    struct vf_backend *be = calloc(1, sizeof(*be));
    struct vf_emunic *e = calloc(1, sizeof(*e));
    char eb[96];
    int rc;

    if (be == NULL || e == NULL) {
        rc = ENOMEM;
        goto free_both;
    }
    if (strlen(path) >= sizeof(e->path)) {
        vf_err_set(err, "%s: socket path too long", path);
        rc = ENAMETOOLONG;
        goto free_both;
    }
    strcpy(e->path, path);
    e->timeout_ms = timeout_ms;
    e->chan = fw_chan_open(path, timeout_ms);
    if (e->chan == NULL) {
        rc = errno;
        vf_err_set(err, "cannot reach the emulated card at %s: %s", path,
                   vf_errno_str(rc, eb, sizeof(eb)));
        goto free_both;
    }
    if (fw_chan_function(e->chan) != FW_FUNC_PF) {
        vf_err_set(err, "%s is not the card's PF socket (VF or uplink "
                   "sockets cannot provision VFs)", path);
        fw_chan_close(e->chan);
        rc = EPERM;
        goto free_both;
    }
    be->ops = &vf_emunic_ops;
    be->priv = e;
    return be;
free_both:
    free(e);
    free(be);
    errno = rc;
    return NULL;
}
