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
    bool has_fn_state;
    uint8_t fn_state;           /* DEVLINK_PORT_FN_STATE_* */
    bool has_fn_opstate;
    uint8_t fn_opstate;         /* DEVLINK_PORT_FN_OPSTATE_* */
    uint32_t caps_known;        /* VF_DEVLINK_CAP_* the function reports */
    uint32_t caps;              /* VF_DEVLINK_CAP_* that are on */
};

/*
 * Port function capabilities (Linux 6.2+ uapi). The kernel headers this is
 * built against may predate them; the numbers are kernel ABI and fixed:
 * DEVLINK_PORT_FN_ATTR_CAPS is the 4th port function attribute, an
 * nla_bitfield32 whose bit 0 is RoCE and bit 1 migratable.
 */
#define VF_DEVLINK_FN_ATTR_CAPS     4
#define VF_DEVLINK_FN_ATTR_MAX      4
#define VF_DEVLINK_CAP_ROCE         (1u << 0)
#define VF_DEVLINK_CAP_MIGRATABLE   (1u << 1)

int vf_devlink_build(int family, uint8_t cmd, int flags, const char *pci,
                     struct nl_msg **out);
int vf_devlink_build_eswitch_set(int family, const char *pci, int mode,
                                 struct nl_msg **out);
/* DEVLINK_CMD_PORT_SET of port @port_index with one PORT_FUNCTION nest
 * holding every devlink attribute in s->mask (VF_ATTR_DEVLINK_BITS; none
 * is -EINVAL): HW_ADDR, CAPS (selector = the capabilities given), STATE. */
int vf_devlink_build_port_fn(int family, const char *pci, uint32_t port_index,
                             const struct vf_settings *s,
                             struct nl_msg **out);
/* The same with hw_addr only. */
int vf_devlink_build_port_hw_addr(int family, const char *pci,
                                  uint32_t port_index, const uint8_t mac[6],
                                  struct nl_msg **out);
/* DEVLINK_ATTR_PORT_FUNCTION of a port answer into @p. */
void vf_devlink_decode_port_fn(struct nlattr *nest, struct vf_devlink_port *p);
/* What a port reports about its function, as VF settings (mask bits set
 * only for what it reported). */
void vf_devlink_port_to_settings(const struct vf_devlink_port *p,
                                 struct vf_settings *cur);
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
/* Send @msg, wait for the ack; err carries the kernel's reason. */
int vf_devlink_transact(struct vf_devlink *dl, struct nl_msg *msg,
                        struct vf_err *err);
/* Find VF @vf's devlink port on @pci and set the port function attributes
 * in s->mask there. */
int vf_devlink_port_fn_set(struct vf_devlink *dl, const char *pci, unsigned vf,
                           const struct vf_settings *s, struct vf_err *err);
/* Every port of @pci; @fn sees each (its return value is ignored). */
int vf_devlink_ports(struct vf_devlink *dl, const char *pci,
                     void (*fn)(const struct vf_devlink_port *p, void *arg),
                     void *arg, struct vf_err *err);

#endif /* SNIC_VF_DEVLINK_H */
