/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Declarative provisioning: a desired layout (vf_want, from an apply file)
 * is compared with what the backend reports, and the difference becomes an
 * ordered list of steps. Running the steps and planning again yields an
 * empty plan: that is what makes `apply` idempotent.
 *
 * Ordering. The eSwitch mode change has driver-specific constraints:
 *  - mlx5_core: VFs are created first, unbound, the mode is changed, and
 *    the VFs are bound again;
 *  - ice: VFs are removed, the mode is changed, VFs are created;
 *  - any other driver: the safe default, the mode is changed while the
 *    device has no VFs (remove them first if needed), then VFs are created.
 * A change between two non-zero VF counts goes through 0. VF attributes
 * come after the VFs and the mode are in place, driver binding last.
 * When VFs are (re)created, every wanted VF attribute is applied, since the
 * new VFs start from the driver's defaults.
 */
#ifndef SNIC_VF_APPLY_H
#define SNIC_VF_APPLY_H

#include <stdio.h>

#include "vf_backend.h"

struct vf_want_vf {
    unsigned index;
    struct vf_settings s;           /* rate_given says which rate halves */
    bool has_driver;
    char driver[VF_NAME_MAX];       /* "" with has_driver: default driver */
    char path[64];                  /* "devices[0].vfs[1]" for messages */
};

struct vf_want_dev {
    char name[VF_NAME_MAX];
    int num_vfs;                    /* -1: leave as is */
    int esw_mode;                   /* -1 (VF_ESW_UNKNOWN): leave as is */
    unsigned nvfs;
    struct vf_want_vf *vfs;
    char path[32];                  /* "devices[0]" */
};

struct vf_want {
    unsigned ndevs;
    struct vf_want_dev *devs;
};

void vf_want_clear(struct vf_want *w);

enum vf_step_kind {
    VF_STEP_NUMVFS,
    VF_STEP_ESWITCH,
    VF_STEP_UNBIND,
    VF_STEP_BIND,
    VF_STEP_SET,
};

struct vf_step {
    enum vf_step_kind kind;
    char dev[VF_NAME_MAX];
    unsigned vf;
    unsigned numvfs;
    bool in_place;                  /* NUMVFS: N -> M without going by 0 */
    int mode;
    char driver[VF_NAME_MAX];       /* BIND: "" = default driver */
    struct vf_settings s;           /* SET: exactly one attribute */
};

enum vf_order {
    VF_ORDER_MLX5,
    VF_ORDER_ICE,
    VF_ORDER_DEFAULT,
};

struct vf_plan {
    unsigned nsteps;
    struct vf_step *steps;
    unsigned nnotes;
    char (*notes)[192];             /* "enp3s0f0: using mlx5 order: ..." */
};

void vf_plan_clear(struct vf_plan *plan);

enum vf_order vf_order_for_driver(const char *driver);
const char *vf_order_describe(enum vf_order order);

/*
 * Diff @want against the current devices (@cur holds one entry per wanted
 * device, in the same order, as returned by the backend's get). Checks
 * that need the current state (VF index, totalvfs, link speed, SR-IOV)
 * fail here with "devices[0].vfs[1]: why" in err.
 */
int vf_plan_build(const struct vf_want *want, const struct vf_host *cur,
                  struct vf_plan *plan, struct vf_err *err);

/* Read the devices @want names through @be, then vf_plan_build. */
int vf_plan_for(struct vf_backend *be, const struct vf_want *want,
                struct vf_plan *plan, struct vf_err *err);

/* "create 4 VFs on enp3s0f0", "set enp3s0f0 vf 0 mac 02:..", ... */
const char *vf_step_describe(const struct vf_step *st, char *buf,
                             size_t size);

/* Run the steps in order, printing "[i/n] step ... ok" to @out. Stops at
 * the first failure: *done = steps completed; err names the failing step
 * and the reason. */
int vf_plan_run(struct vf_backend *be, const struct vf_plan *plan,
                int timeout_ms, FILE *out, unsigned *done,
                struct vf_err *err);

#endif /* SNIC_VF_APPLY_H */
