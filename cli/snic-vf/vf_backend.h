/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operations every snic-vf backend offers. Commands and the apply
 * planner only ever call these, so the kernel backend (sysfs + rtnetlink +
 * devlink) and the emulated-card backend (firmware ABI) are interchangeable,
 * and tests substitute an in-memory fake.
 *
 * Devices are named by their PF netdev (kernel) or socket path (emunic).
 * Every op returns 0 or a negative errno; on failure it writes the reason
 * into be->err (one line, without the "snic-vf:" prefix and without the
 * device name, which the caller adds).
 *
 * Thread-safety: a backend belongs to one thread.
 */
#ifndef SNIC_VF_BACKEND_H
#define SNIC_VF_BACKEND_H

#include "vf_model.h"

struct vf_backend;

struct vf_backend_ops {
    const char *name;
    /* Every SR-IOV capable device with its VFs. */
    int (*list)(struct vf_backend *be, struct vf_host *host);
    /* One device, also when it has no SR-IOV (dev->sriov_cap says so);
     * -ENODEV when there is no such device. */
    int (*get)(struct vf_backend *be, const char *dev, struct vf_dev *out);
    /* Make the device have @numvfs VFs (going through 0 when changing
     * between two non-zero counts, unless the device changes the count in
     * place: vf_dev.numvfs_in_place) and wait up to @timeout_ms for them. */
    int (*create)(struct vf_backend *be, const char *dev, unsigned numvfs,
                  int timeout_ms);
    int (*destroy)(struct vf_backend *be, const char *dev, int timeout_ms);
    int (*eswitch_set)(struct vf_backend *be, const char *dev, int mode);
    /* Apply the attributes in s->mask (callers pass exactly one). */
    int (*set)(struct vf_backend *be, const char *dev, unsigned vf,
               const struct vf_settings *s);
    /* Bind VF @vf to @driver, or to its default driver when NULL. */
    int (*bind)(struct vf_backend *be, const char *dev, unsigned vf,
                const char *driver);
    int (*unbind)(struct vf_backend *be, const char *dev, unsigned vf);
    void (*close)(struct vf_backend *be);
};

struct vf_backend {
    const struct vf_backend_ops *ops;
    void *priv;
    struct vf_err err;
};

void vf_backend_close(struct vf_backend *be);

#endif /* SNIC_VF_BACKEND_H */
