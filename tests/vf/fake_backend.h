/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-memory snic-vf backends for tests: a whole fake host behind
 * vf_backend_ops, and a fake kernel netlink half (vf_kernel_nl_ops) to run
 * the real sysfs code on a fake tree. Both log every change they make and
 * take netdevsim-style fault knobs.
 */
#ifndef SNIC_VF_FAKE_BACKEND_H
#define SNIC_VF_FAKE_BACKEND_H

#include "vf_backend.h"
#include "vf_kernel.h"

#define FAKE_MAX_DEVS 4
#define FAKE_MAX_VFS 16
#define FAKE_LOG 128

struct fake_host {
    struct vf_host host;            /* the state; vfs arrays FAKE_MAX_VFS */
    char log[FAKE_LOG][96];         /* "numvfs enp3s0f0 4", "set ... mac" */
    unsigned nlog;
    int fail_at;                    /* 1-based change number to refuse; 0 off */
    int fail_errno;                 /* what to refuse it with (positive) */
    unsigned nchanges;
    int fail_attr;                  /* refuse this vf_attr on set; -1 off */
};

/* A backend over @fh (not owned). */
struct vf_backend *fake_backend_open(struct fake_host *fh);
void fake_host_init(struct fake_host *fh);
void fake_host_fini(struct fake_host *fh);
struct vf_dev *fake_host_add(struct fake_host *fh, const char *name,
                             const char *pci, const char *driver,
                             unsigned totalvfs, unsigned numvfs, int mode);
/* Index of the first log line starting with @prefix at or after @from,
 * -1 when none. */
int fake_log_find(const struct fake_host *fh, const char *prefix,
                  unsigned from);

/* Fake netlink half: VF settings per (ifname, vf), eSwitch mode per PCI. */
struct fake_nl {
    struct {
        char ifname[VF_NAME_MAX];
        unsigned vf;
        struct vf_settings s;
    } vfs[64];
    unsigned nvfs;
    struct {
        char pci[VF_PCI_MAX];
        int mode;
    } esw[8];
    unsigned nesw;
    char log[FAKE_LOG][96];
    unsigned nlog;
    int fail_attr;                  /* -1 off */
};

extern const struct vf_kernel_nl_ops fake_nl_ops;
void fake_nl_init(struct fake_nl *nl);

#endif /* SNIC_VF_FAKE_BACKEND_H */
