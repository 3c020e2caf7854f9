/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel backend: sysfs for SR-IOV and driver binding, rtnetlink for
 * VF attributes, devlink for the eSwitch mode and representor ports,
 * libibverbs for RDMA devices.
 *
 * The netlink half sits behind its own small ops table so tests can run
 * the real sysfs code on a fake tree while a fake answers for the kernel.
 */
#ifndef SNIC_VF_KERNEL_H
#define SNIC_VF_KERNEL_H

#include "vf_backend.h"
#include "vf_devlink.h"

struct vf_kernel_nl_ops {
    int (*vf_read)(void *ctx, const char *ifname, struct vf_info *vfs,
                   unsigned nvfs, struct vf_err *err);
    int (*vf_set)(void *ctx, const char *ifname, unsigned vf,
                  const struct vf_settings *s, struct vf_err *err);
    int (*esw_get)(void *ctx, const char *pci, int *mode, struct vf_err *err);
    int (*esw_set)(void *ctx, const char *pci, int mode, struct vf_err *err);
    int (*ports)(void *ctx, const char *pci,
                 void (*fn)(const struct vf_devlink_port *p, void *arg),
                 void *arg, struct vf_err *err);
    /* devlink port function attributes (VF_ATTR_DEVLINK_BITS) of VF @vf
     * of PF @ifname at PCI @pci ("" when it has none); NULL: unsupported */
    int (*port_fn_set)(void *ctx, const char *ifname, const char *pci,
                       unsigned vf, const struct vf_settings *s,
                       struct vf_err *err);
    void (*close)(void *ctx);
};

/* @sysfs_root NULL means "/". @nl NULL selects the real kernel (sockets
 * opened on first use). NULL and errno on failure. */
struct vf_backend *vf_kernel_open(const char *sysfs_root,
                                  const struct vf_kernel_nl_ops *nl,
                                  void *nl_ctx);

#endif /* SNIC_VF_KERNEL_H */
