/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf data model: what a host's SR-IOV layout looks like (devices, VFs,
 * their settings) and what a user asks for (a settings delta).
 *
 * Every backend (kernel, emulated card) fills the same structures, so the
 * commands, the planner and the JSON writer never know which one they talk
 * to. Unknown values are kept as "unknown" (a has_* flag or -1) rather than
 * guessed: the planner must not skip a step because of an invented value.
 */
#ifndef SNIC_VF_MODEL_H
#define SNIC_VF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VF_NAME_MAX 64          /* netdev, driver, RDMA device names */
#define VF_PCI_MAX 32           /* "0000:03:00.1" and friends */
#define VF_MAX_VFS 4096

enum vf_esw_mode {
    VF_ESW_UNKNOWN = -1,
    VF_ESW_LEGACY = 0,
    VF_ESW_SWITCHDEV = 1,
};

/* Link state values are the kernel's IFLA_VF_LINK_STATE_* numbers. */
enum vf_link_state {
    VF_STATE_AUTO = 0,
    VF_STATE_ENABLE = 1,
    VF_STATE_DISABLE = 2,
};

/* One settable attribute each: `set` applies (and rolls back) one at a time. */
enum vf_attr {
    VF_ATTR_MAC,
    VF_ATTR_VLAN,           /* vlan + qos + proto travel together */
    VF_ATTR_SPOOFCHK,
    VF_ATTR_TRUST,
    VF_ATTR_STATE,
    VF_ATTR_RATE,           /* min + max travel together (IFLA_VF_RATE) */
    VF_ATTR_NODE_GUID,
    VF_ATTR_PORT_GUID,
    /* devlink port function attributes (kernel, switchdev): the function's
     * own MAC and capabilities first, its state last, since drivers take
     * hw_addr and caps only while the function is inactive */
    VF_ATTR_HW_ADDR,
    VF_ATTR_ROCE,
    VF_ATTR_MIGRATABLE,
    VF_ATTR_FN_STATE,
    VF_ATTR__COUNT,
};

/* Port function states are devlink's DEVLINK_PORT_FN_STATE_* numbers. */
enum vf_fn_state {
    VF_FN_INACTIVE = 0,
    VF_FN_ACTIVE = 1,
};

#define VF_ATTR_BIT(a) (1u << (a))
#define VF_ATTR_DEVLINK_BITS (VF_ATTR_BIT(VF_ATTR_HW_ADDR) | \
                              VF_ATTR_BIT(VF_ATTR_ROCE) | \
                              VF_ATTR_BIT(VF_ATTR_MIGRATABLE) | \
                              VF_ATTR_BIT(VF_ATTR_FN_STATE))

/*
 * A set of VF attribute values. @mask says which are meaningful. For a
 * request, min_rate/max_rate may be given alone (rate_given says which);
 * the other half is taken from the current state before applying.
 */
struct vf_settings {
    uint32_t mask;
    uint8_t mac[6];
    uint16_t vlan;
    uint8_t qos;
    uint16_t proto;         /* ETH_P_8021Q or ETH_P_8021AD, host order */
    bool spoofchk;
    bool trust;
    uint32_t state;         /* enum vf_link_state */
    uint32_t min_rate;      /* Mbit/s */
    uint32_t max_rate;      /* Mbit/s, 0 = unlimited */
    unsigned rate_given;    /* VF_RATE_MIN | VF_RATE_MAX, requests only */
    uint64_t node_guid;
    uint64_t port_guid;
    uint8_t hw_addr[6];     /* devlink port function */
    bool roce;
    bool migratable;
    uint32_t fn_state;      /* enum vf_fn_state */
};

#define VF_RATE_MIN 1u
#define VF_RATE_MAX 2u

/* What the host has for one VF. */
struct vf_info {
    unsigned index;
    char pci[VF_PCI_MAX];           /* "" when virtfnN is missing */
    char netdev[VF_NAME_MAX];       /* VF's own netdev, "" if none/bound elsewhere */
    char driver[VF_NAME_MAX];       /* "" when unbound */
    char representor[VF_NAME_MAX];  /* switchdev representor netdev, "" if none */
    char rdma[VF_NAME_MAX];         /* RDMA device, "" if none */
    uint64_t rdma_node_guid;
    uint64_t rdma_port_guid;
    struct vf_settings cur;         /* mask says which were readable */
};

/* One SR-IOV capable PF. */
struct vf_dev {
    char name[VF_NAME_MAX];         /* PF netdev (the uplink in switchdev) */
    char pci[VF_PCI_MAX];
    char driver[VF_NAME_MAX];
    char switch_id[VF_NAME_MAX];    /* phys_switch_id, "" if none */
    int esw_mode;                   /* enum vf_esw_mode */
    int sriov_cap;                  /* 1 yes, 0 no, -1 unknown (virtual netdev) */
    unsigned numvfs;
    unsigned totalvfs;
    /* numvfs N -> M changes in place: the VFs below both counts keep their
     * settings (and the rules naming them). emunic from ABI 1.2; the
     * kernel backend always goes through 0, as sriov_numvfs demands. */
    bool numvfs_in_place;
    /* VF attributes the backend can set (VF_ATTR_BIT()s), 0 for all: a
     * request for another is refused before anything changes */
    uint32_t settable;
    long speed;                     /* Mbit/s, -1 unknown */
    unsigned nvfs;                  /* entries in vfs (== numvfs when read) */
    struct vf_info *vfs;
};

struct vf_host {
    unsigned ndevs;
    struct vf_dev *devs;
};

/*
 * One user-facing line explaining a failure: what, where, why. The deepest
 * layer that knows the reason writes it; callers add context in front
 * (vf_err_prefix) but never replace a precise reason with a vague one.
 */
struct vf_err {
    char msg[512];
};

void vf_err_set(struct vf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vf_err_prefix(struct vf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "Operation not supported (EOPNOTSUPP)" for a positive errno. */
const char *vf_errno_str(int errnum, char *buf, size_t size);

void vf_dev_clear(struct vf_dev *dev);
void vf_host_clear(struct vf_host *host);
/* Append a copy of @dev (its vfs array moves into the host). 0 or -ENOMEM. */
int vf_host_add(struct vf_host *host, struct vf_dev *dev);
struct vf_dev *vf_host_find(struct vf_host *host, const char *name);

const char *vf_attr_name(enum vf_attr attr);
const char *vf_esw_mode_str(int mode);
const char *vf_link_state_str(uint32_t state);

#endif /* SNIC_VF_MODEL_H */
