/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernel backend: composes vf_sysfs, vf_rtnl, vf_devlink and vf_ibv. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/devlink.h>

#include "vf_ibv.h"
#include "vf_kernel.h"
#include "vf_parse.h"
#include "vf_rtnl.h"
#include "vf_sysfs.h"

struct vf_kernel {
    struct vf_sysfs sysfs;
    const struct vf_kernel_nl_ops *nl;
    void *nl_ctx;
};

/* ---- the real netlink half: sockets opened lazily, once ---------------- */

struct vf_real_nl {
    struct vf_rtnl *rtnl;
    struct vf_devlink *dl;
    bool rtnl_tried, dl_tried;
    int rtnl_errno, dl_errno;
    struct vf_err rtnl_err, dl_err;
};

static struct vf_rtnl *
vf_real_rtnl(struct vf_real_nl *r, struct vf_err *err)
{
    if (!r->rtnl_tried) {
        r->rtnl_tried = true;
        r->rtnl = vf_rtnl_open(&r->rtnl_err);
        r->rtnl_errno = r->rtnl == NULL ? errno : 0;
    }
    if (r->rtnl == NULL)
        *err = r->rtnl_err;
    return r->rtnl;
}

static struct vf_devlink *
vf_real_dl(struct vf_real_nl *r, struct vf_err *err)
{
    if (!r->dl_tried) {
        r->dl_tried = true;
        r->dl = vf_devlink_open(&r->dl_err);
        r->dl_errno = r->dl == NULL ? errno : 0;
    }
    if (r->dl == NULL)
        *err = r->dl_err;
    return r->dl;
}

static int
vf_real_vf_read(void *ctx, const char *ifname, struct vf_info *vfs,
                unsigned nvfs, struct vf_err *err)
{
    struct vf_real_nl *r = ctx;
    struct vf_rtnl *rt = vf_real_rtnl(r, err);

    return rt == NULL ? -r->rtnl_errno : vf_rtnl_read(rt, ifname, vfs, nvfs,
                                                      err);
}

static int
vf_real_vf_set(void *ctx, const char *ifname, unsigned vf,
               const struct vf_settings *s, struct vf_err *err)
{
    struct vf_real_nl *r = ctx;
    struct vf_rtnl *rt = vf_real_rtnl(r, err);

    return rt == NULL ? -r->rtnl_errno : vf_rtnl_set(rt, ifname, vf, s, err);
}

static int
vf_real_esw_get(void *ctx, const char *pci, int *mode, struct vf_err *err)
{
    struct vf_real_nl *r = ctx;
    struct vf_devlink *dl = vf_real_dl(r, err);

    return dl == NULL ? -r->dl_errno : vf_devlink_eswitch_get(dl, pci, mode,
                                                              err);
}

static int
vf_real_esw_set(void *ctx, const char *pci, int mode, struct vf_err *err)
{
    struct vf_real_nl *r = ctx;
    struct vf_devlink *dl = vf_real_dl(r, err);

    return dl == NULL ? -r->dl_errno : vf_devlink_eswitch_set(dl, pci, mode,
                                                              err);
}

static int
vf_real_ports(void *ctx, const char *pci,
              void (*fn)(const struct vf_devlink_port *p, void *arg),
              void *arg, struct vf_err *err)
{
    struct vf_real_nl *r = ctx;
    struct vf_devlink *dl = vf_real_dl(r, err);

    return dl == NULL ? -r->dl_errno : vf_devlink_ports(dl, pci, fn, arg,
                                                        err);
}

static int
vf_real_port_fn_set(void *ctx, const char *ifname, const char *pci,
                    unsigned vf, const struct vf_settings *s,
                    struct vf_err *err)
{
    struct vf_real_nl *r = ctx;
    struct vf_devlink *dl = vf_real_dl(r, err);

    /* no devlink at all says more than "no PCI device": check it first */
    if (dl == NULL)
        return -r->dl_errno;
    if (pci[0] == '\0') {
        vf_err_set(err, "%s has no PCI device, so no devlink port function",
                   ifname);
        return -EOPNOTSUPP;
    }
    return vf_devlink_port_fn_set(dl, pci, vf, s, err);
}

static void
vf_real_close(void *ctx)
{
    struct vf_real_nl *r = ctx;

    vf_rtnl_close(r->rtnl);
    vf_devlink_close(r->dl);
    free(r);
}

static const struct vf_kernel_nl_ops vf_real_nl_ops = {
    .vf_read = vf_real_vf_read,
    .vf_set = vf_real_vf_set,
    .esw_get = vf_real_esw_get,
    .esw_set = vf_real_esw_set,
    .ports = vf_real_ports,
    .port_fn_set = vf_real_port_fn_set,
    .close = vf_real_close,
};

/* ---- backend ops -------------------------------------------------------- */

static void
vf_rep_from_port(const struct vf_devlink_port *p, void *arg)
{
    struct vf_dev *dev = arg;

    if (p->flavour != DEVLINK_PORT_FLAVOUR_PCI_VF || p->vf < 0 ||
        (unsigned)p->vf >= dev->nvfs)
        return;
    if (p->netdev[0] != '\0')
        snprintf(dev->vfs[p->vf].representor, VF_NAME_MAX, "%s", p->netdev);
    /* known port function values make `set` able to roll them back */
    vf_devlink_port_to_settings(p, &dev->vfs[p->vf].cur);
}

/* Everything beyond sysfs: mode, VF attributes, representors, RDMA. Each
 * source is optional; what cannot be read stays "unknown". */
static void
vf_kernel_enrich(struct vf_kernel *k, struct vf_dev *dev)
{
    struct vf_err ignored;

    if (dev->sriov_cap != 1)
        return;
    if (k->nl->esw_get(k->nl_ctx, dev->pci, &dev->esw_mode, &ignored) < 0)
        dev->esw_mode = VF_ESW_UNKNOWN;
    if (dev->nvfs == 0)
        return;
    k->nl->vf_read(k->nl_ctx, dev->name, dev->vfs, dev->nvfs, &ignored);
    /* devlink knows representors for sure; sysfs matching was the fallback */
    k->nl->ports(k->nl_ctx, dev->pci, vf_rep_from_port, dev, &ignored);
    for (unsigned i = 0; i < dev->nvfs; i++) {
        struct vf_info *vi = &dev->vfs[i];
        struct vf_rdma rd;
        char dir[PATH_MAX + 2 * VF_NAME_MAX + 64];
        int rc;

        if (vi->pci[0] == '\0')
            continue;
        if (k->sysfs.root[0] == '\0') {
            rc = vf_ibv_lookup_verbs(vi->pci, &rd);
        } else {
            snprintf(dir, sizeof(dir), "%s/sys/class/net/%s/device/virtfn%u",
                     k->sysfs.root, dev->name, i);
            rc = vf_ibv_lookup_sysfs(dir, &rd);
        }
        if (rc == 0) {
            snprintf(vi->rdma, sizeof(vi->rdma), "%s", rd.name);
            vi->rdma_node_guid = rd.node_guid;
            vi->rdma_port_guid = rd.port_guid;
        }
    }
}

static int
vf_kernel_list(struct vf_backend *be, struct vf_host *host)
{
    struct vf_kernel *k = be->priv;
    int rc = vf_sysfs_scan(&k->sysfs, host, &be->err);

    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < host->ndevs; i++)
        vf_kernel_enrich(k, &host->devs[i]);
    return 0;
}

static int
vf_kernel_get(struct vf_backend *be, const char *name, struct vf_dev *out)
{
    struct vf_kernel *k = be->priv;
    int rc = vf_sysfs_read_dev(&k->sysfs, name, out, &be->err);

    if (rc < 0)
        return rc;
    vf_kernel_enrich(k, out);
    return 0;
}

static int
vf_kernel_create(struct vf_backend *be, const char *name, unsigned numvfs,
                 int timeout_ms)
{
    struct vf_kernel *k = be->priv;

    return vf_sysfs_set_numvfs(&k->sysfs, name, numvfs, timeout_ms, &be->err);
}

static int
vf_kernel_destroy(struct vf_backend *be, const char *name, int timeout_ms)
{
    return vf_kernel_create(be, name, 0, timeout_ms);
}

static int
vf_kernel_eswitch_set(struct vf_backend *be, const char *name, int mode)
{
    struct vf_kernel *k = be->priv;
    struct vf_dev dev;
    int rc = vf_sysfs_read_dev(&k->sysfs, name, &dev, &be->err);

    if (rc < 0)
        return rc;
    if (dev.pci[0] == '\0') {
        vf_err_set(&be->err, "%s has no PCI device, so no devlink eSwitch",
                   name);
        rc = -EOPNOTSUPP;
    } else {
        rc = k->nl->esw_set(k->nl_ctx, dev.pci, mode, &be->err);
    }
    vf_dev_clear(&dev);
    return rc;
}

/* Port function attributes go to devlink, on the PF's PCI address. */
static int
vf_kernel_port_fn_set(struct vf_kernel *k, struct vf_backend *be,
                      const char *name, unsigned vf,
                      const struct vf_settings *s)
{
    struct vf_dev dev;
    char what[96] = "";
    int rc;

    for (unsigned a = 0; a < VF_ATTR__COUNT; a++)
        if (s->mask & VF_ATTR_BIT(a) & VF_ATTR_DEVLINK_BITS) {
            vf_fmt_attr((enum vf_attr)a, s, what, sizeof(what));
            break;
        }
    if (k->nl->port_fn_set == NULL) {
        vf_err_set(&be->err, "%s: devlink port functions are not available "
                   "here", what);
        return -EOPNOTSUPP;
    }
    rc = vf_sysfs_read_dev(&k->sysfs, name, &dev, &be->err);
    if (rc < 0)
        return rc;
    rc = k->nl->port_fn_set(k->nl_ctx, name, dev.pci, vf, s, &be->err);
    vf_dev_clear(&dev);
    if (rc < 0)
        vf_err_prefix(&be->err, "%s: ", what);
    return rc;
}

static int
vf_kernel_set(struct vf_backend *be, const char *name, unsigned vf,
              const struct vf_settings *s)
{
    struct vf_kernel *k = be->priv;

    if (s->mask & VF_ATTR_DEVLINK_BITS)
        return vf_kernel_port_fn_set(k, be, name, vf, s);
    return k->nl->vf_set(k->nl_ctx, name, vf, s, &be->err);
}

static int
vf_kernel_bind(struct vf_backend *be, const char *name, unsigned vf,
               const char *driver)
{
    struct vf_kernel *k = be->priv;

    return vf_sysfs_bind(&k->sysfs, name, vf, driver, &be->err);
}

static int
vf_kernel_unbind(struct vf_backend *be, const char *name, unsigned vf)
{
    struct vf_kernel *k = be->priv;

    return vf_sysfs_unbind(&k->sysfs, name, vf, &be->err);
}

static void
vf_kernel_close(struct vf_backend *be)
{
    struct vf_kernel *k = be->priv;

    if (k->nl->close != NULL)
        k->nl->close(k->nl_ctx);
    free(k);
    free(be);
}

static const struct vf_backend_ops vf_kernel_ops = {
    .name = "kernel",
    .list = vf_kernel_list,
    .get = vf_kernel_get,
    .create = vf_kernel_create,
    .destroy = vf_kernel_destroy,
    .eswitch_set = vf_kernel_eswitch_set,
    .set = vf_kernel_set,
    .bind = vf_kernel_bind,
    .unbind = vf_kernel_unbind,
    .close = vf_kernel_close,
};

struct vf_backend *
vf_kernel_open(const char *sysfs_root, const struct vf_kernel_nl_ops *nl,
               void *nl_ctx)
{
    struct vf_backend *be = calloc(1, sizeof(*be));
    struct vf_kernel *k = calloc(1, sizeof(*k));
    int rc;

    if (be == NULL || k == NULL) {
        rc = -ENOMEM;
        goto free_both;
    }
    rc = vf_sysfs_init(&k->sysfs, sysfs_root);
    if (rc < 0)
        goto free_both;
    if (nl == NULL) {
        k->nl_ctx = calloc(1, sizeof(struct vf_real_nl));
        if (k->nl_ctx == NULL) {
            rc = -ENOMEM;
            goto free_both;
        }
        k->nl = &vf_real_nl_ops;
    } else {
        k->nl = nl;
        k->nl_ctx = nl_ctx;
    }
    be->ops = &vf_kernel_ops;
    be->priv = k;
    return be;
free_both:
    free(k);
    free(be);
    errno = -rc;
    return NULL;
}
