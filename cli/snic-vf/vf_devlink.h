/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devlink through generic netlink (libnl-genl-3): eSwitch mode get/set and
 * the port dump that maps VF numbers to representor netdevs. Devices are
 * PCI functions ("pci" bus, "0000:03:00.0").
 */
#ifndef SNIC_VF_DEVLINK_H
#define SNIC_VF_DEVLINK_H

#include <netlink/msg.h>

#include "vf_model.h"

struct vf_devlink_port {
    char bus[32];
    char dev[VF_PCI_MAX];
    uint32_t index;
    int flavour;                /* DEVLINK_PORT_FLAVOUR_*, -1 unknown */
    int pf;                     /* PCI PF number, -1 unknown */
    int vf;                     /* PCI VF number, -1 for non-VF ports */
    char netdev[VF_NAME_MAX];
    bool has_hw_addr;           /* port function's hw_addr */
    uint8_t hw_addr[6];
};

int vf_devlink_build(int family, uint8_t cmd, int flags, const char *pci,
                     struct nl_msg **out);
int vf_devlink_build_eswitch_set(int family, const char *pci, int mode,
                                 struct nl_msg **out);
/* DEVLINK_CMD_PORT_SET of the port function's hw_addr. */
int vf_devlink_build_port_hw_addr(int family, const char *pci,
                                  uint32_t port_index, const uint8_t mac[6],
                                  struct nl_msg **out);
int vf_devlink_decode_eswitch(struct nlmsghdr *hdr, int *mode);
int vf_devlink_decode_port(struct nlmsghdr *hdr, struct vf_devlink_port *p);

struct vf_devlink;

/* Resolve the "devlink" family; NULL and errno ENOENT when the kernel has
 * none (err says so). */
struct vf_devlink *vf_devlink_open(struct vf_err *err);
void vf_devlink_close(struct vf_devlink *dl);
int vf_devlink_family(const struct vf_devlink *dl);
int vf_devlink_eswitch_get(struct vf_devlink *dl, const char *pci, int *mode,
                           struct vf_err *err);
int vf_devlink_eswitch_set(struct vf_devlink *dl, const char *pci, int mode,
                           struct vf_err *err);
/* Every port of @pci; @fn sees each (its return value is ignored). */
int vf_devlink_ports(struct vf_devlink *dl, const char *pci,
                     void (*fn)(const struct vf_devlink_port *p, void *arg),
                     void *arg, struct vf_err *err);

#endif /* SNIC_VF_DEVLINK_H */
