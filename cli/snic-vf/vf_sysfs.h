/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sysfs half of the kernel backend, rooted anywhere (--sysfs-root) so
 * tests and containers can point it at a prepared tree.
 *
 * What counts as a PF: a netdev whose device is a PCI function with
 * sriov_totalvfs, that is not itself a VF (no physfn) and whose
 * phys_port_name is empty or the uplink's "pN". Netdevs named pfNvfM /
 * pfN / pfNsfM (optionally with a cN controller prefix) are representors,
 * never PFs; a VF's representor is the netdev with the PF's phys_switch_id
 * and phys_port_name pf<PF's PCI function>vf<VF index>.
 */
#ifndef SNIC_VF_SYSFS_H
#define SNIC_VF_SYSFS_H

#include <limits.h>

#include "vf_model.h"

struct vf_sysfs {
    char root[PATH_MAX];        /* "" for the real "/" */
};

int vf_sysfs_init(struct vf_sysfs *s, const char *root);

/* The device behind netdev @name with its VFs (no rtnetlink values). */
int vf_sysfs_read_dev(const struct vf_sysfs *s, const char *name,
                      struct vf_dev *dev, struct vf_err *err);
/* Every SR-IOV capable PF, sorted by name. */
int vf_sysfs_scan(const struct vf_sysfs *s, struct vf_host *host,
                  struct vf_err *err);

/* Write sriov_numvfs (0 first between two non-zero counts) and wait up to
 * @timeout_ms for exactly @numvfs virtfnN links. */
int vf_sysfs_set_numvfs(const struct vf_sysfs *s, const char *name,
                        unsigned numvfs, int timeout_ms, struct vf_err *err);

/* driver_override + unbind + drivers_probe; @driver NULL clears the
 * override so the default driver probes it. */
int vf_sysfs_bind(const struct vf_sysfs *s, const char *name, unsigned vf,
                  const char *driver, struct vf_err *err);
int vf_sysfs_unbind(const struct vf_sysfs *s, const char *name, unsigned vf,
                    struct vf_err *err);

/* Kind of a phys_port_name: 0 PF/uplink candidate, 1 VF representor (sets
 * *pf, *vf), 2 other representor (PF/SF). */
int vf_sysfs_port_name_kind(const char *port_name, unsigned *pf,
                            unsigned *vf);

#endif /* SNIC_VF_SYSFS_H */
