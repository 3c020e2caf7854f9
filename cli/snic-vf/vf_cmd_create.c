/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf create DEV N [--switchdev|--legacy], snic-vf destroy DEV.
 * Both are one-device apply plans, so they follow the same ordering rules
 * (0 first between two non-zero counts, per-driver eSwitch order).
 */
#include <stdlib.h>
#include <string.h>

#include "vf_cmd.h"
#include "vf_parse.h"

static int
vf_count_cmd(struct vf_ctx *ctx, const char *cmd, const char *dev,
             unsigned numvfs, int mode)
{
    struct vf_want_dev wd = { .num_vfs = (int)numvfs, .esw_mode = mode };
    struct vf_want want = { .ndevs = 1, .devs = &wd };
    struct vf_plan plan;
    struct vf_err err = { "" };
    char what[128];
    int rc;

    snprintf(wd.name, sizeof(wd.name), "%s", dev);
    snprintf(wd.path, sizeof(wd.path), "%s", dev);
    snprintf(what, sizeof(what), "%s %s", cmd, dev);
    rc = vf_plan_for(ctx->be, &want, &plan, &err);
    if (rc < 0) {
        /* the planner's path is the device name here: drop the repeat */
        const char *msg = err.msg;
        size_t n = strlen(dev);

        if (strncmp(msg, dev, n) == 0 && msg[n] == ':')
            msg += n + 2;
        else if (strncmp(msg, dev, n) == 0 && msg[n] == '.')
            msg += n + 1;
        fprintf(ctx->errf, "snic-vf: %s: %s\n", what, msg);
        return VF_EXIT_USAGE;
    }
    if (plan.nsteps == 0)
        fprintf(ctx->out, "nothing to do: %s already has %u VFs%s%s\n", dev,
                numvfs, mode != VF_ESW_UNKNOWN ? " in " : "",
                mode != VF_ESW_UNKNOWN ? vf_esw_mode_str(mode) : "");
    rc = vf_cmd_run_plan(ctx, &plan, what);
    vf_plan_clear(&plan);
    return rc;
}

int
vf_cmd_create(struct vf_ctx *ctx, int argc, char **argv)
{
    struct vf_err err = { "" };
    unsigned n;

    if (argc != 2) {
        fprintf(ctx->errf, "snic-vf: create: usage: snic-vf create DEV N "
                "[--switchdev|--legacy] [--timeout SEC]\n");
        return VF_EXIT_USAGE;
    }
    if (vf_parse_index(argv[1], &n, &err) < 0) {
        fprintf(ctx->errf, "snic-vf: create %s: number of VFs %s: expected "
                "a number 0-%d\n", argv[0], argv[1], VF_MAX_VFS);
        return VF_EXIT_USAGE;
    }
    return vf_count_cmd(ctx, "create", argv[0], n, ctx->want_mode);
}

int
vf_cmd_destroy(struct vf_ctx *ctx, int argc, char **argv)
{
    if (argc != 1) {
        fprintf(ctx->errf, "snic-vf: destroy: usage: snic-vf destroy DEV\n");
        return VF_EXIT_USAGE;
    }
    return vf_count_cmd(ctx, "destroy", argv[0], 0, VF_ESW_UNKNOWN);
}
