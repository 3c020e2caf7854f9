/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake sysfs trees for snic-vf tests, laid out like the kernel's:
 * class/net/X/device -> ../../../devices/pci0000:00/PCI, virtfnN, physfn,
 * driver links, phys_switch_id / phys_port_name, representor netdevs.
 * A "kernel" thread can play the PF driver: it watches sriov_numvfs and
 * creates/removes the VFs after a delay.
 */
#ifndef SNIC_VF_FAKE_TREE_H
#define SNIC_VF_FAKE_TREE_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>

struct fake_tree {
    char root[PATH_MAX];
};

struct fake_pf {
    const char *name;           /* netdev */
    const char *pci;            /* "0000:03:00.0" */
    const char *driver;         /* NULL: unbound */
    unsigned totalvfs;
    unsigned numvfs;            /* VFs created up front */
    const char *switch_id;      /* NULL: none */
    const char *port_name;      /* NULL: none, "p0" uplink */
    long speed;                 /* 0: no speed file */
    bool representors;          /* add pf<fn>vf<i> netdevs */
};

int fake_tree_init(struct fake_tree *t);
void fake_tree_destroy(struct fake_tree *t);
/* Path under the root. */
const char *fake_path(const struct fake_tree *t, char *buf, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));
int fake_write(const struct fake_tree *t, const char *rel, const char *text);
/* Contents of a file under the root (static buffer per call site). */
int fake_read(const struct fake_tree *t, const char *rel, char *buf,
              unsigned size);
int fake_symlink(const struct fake_tree *t, const char *rel,
                 const char *target);

int fake_add_pf(struct fake_tree *t, const struct fake_pf *pf);
/* A plain netdev: no device link (virtual), or a non-SR-IOV PCI device. */
int fake_add_netdev(struct fake_tree *t, const char *name, const char *pci);
void fake_vf_pci(const char *pf_pci, unsigned i, char *buf);
/* Create/remove VF i of @pf (links, device folder, netdev, representor). */
int fake_add_vf(struct fake_tree *t, const struct fake_pf *pf, unsigned i);
void fake_del_vf(struct fake_tree *t, const struct fake_pf *pf, unsigned i);

struct fake_kernel {
    struct fake_tree *t;
    const struct fake_pf *pf;
    unsigned delay_ms;          /* before VFs appear */
    bool never;                 /* never create VFs (timeout path) */
    volatile bool stop;
    pthread_t thread;
    unsigned nseen;
    int seen[16];               /* sriov_numvfs values acted on, in order */
};

int fake_kernel_start(struct fake_kernel *k);
void fake_kernel_stop(struct fake_kernel *k);

#endif /* SNIC_VF_FAKE_TREE_H */
