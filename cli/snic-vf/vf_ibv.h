/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RDMA device of a VF and its GUIDs. On the real host libibverbs lists the
 * devices (each one's sysfs device link names its PCI function) and
 * answers the node GUID and port 1's GUID; under a --sysfs-root tree the
 * same facts are read from the VF's infiniband/ folder.
 */
#ifndef SNIC_VF_IBV_H
#define SNIC_VF_IBV_H

#include <stddef.h>
#include <stdint.h>

struct vf_rdma {
    char name[64];
    uint64_t node_guid;
    uint64_t port_guid;
};

/* 0 when found, -ENOENT when the PCI function has no RDMA device. */
int vf_ibv_lookup_verbs(const char *pci, struct vf_rdma *out);
/* @devdir: the PCI function's sysfs folder. */
int vf_ibv_lookup_sysfs(const char *devdir, struct vf_rdma *out);
/* "0011:2233:4455:6677" (sysfs node_guid) or a GID's last 8 bytes. */
int vf_ibv_parse_sysfs_guid(const char *text, uint64_t *guid);

#endif /* SNIC_VF_IBV_H */
