/* SPDX-License-Identifier: BSD-3-Clause */
/* snic-vf bind DEV VF DRIVER | snic-vf bind DEV VF --default */
#include <string.h>

#include "vf_cmd.h"
#include "vf_parse.h"

int
vf_cmd_bind(struct vf_ctx *ctx, int argc, char **argv)
{
    struct vf_err err = { "" };
    struct vf_dev dev;
    const char *driver;
    char what[128];
    unsigned vf;
    int rc;

    if (argc != (ctx->default_driver ? 2 : 3)) {
        fprintf(ctx->errf, "snic-vf: bind: usage: snic-vf bind DEV VF DRIVER "
                "| snic-vf bind DEV VF --default\n");
        return VF_EXIT_USAGE;
    }
    if (vf_parse_index(argv[1], &vf, &err) < 0) {
        fprintf(ctx->errf, "snic-vf: bind %s: %s\n", argv[0], err.msg);
        return VF_EXIT_USAGE;
    }
    snprintf(what, sizeof(what), "bind %s vf %u", argv[0], vf);
    driver = ctx->default_driver ? NULL : argv[2];
    if (driver != NULL && (driver[0] == '\0' || strchr(driver, '/') != NULL ||
                           strlen(driver) >= VF_NAME_MAX)) {
        fprintf(ctx->errf, "snic-vf: %s: \"%s\" is not a driver name\n", what,
                driver);
        return VF_EXIT_USAGE;
    }
    rc = ctx->be->ops->get(ctx->be, argv[0], &dev);
    if (rc < 0) {
        fprintf(ctx->errf, "snic-vf: %s: %s\n", what, ctx->be->err.msg);
        return VF_EXIT_USAGE;
    }
    if (dev.sriov_cap != 1) {
        fprintf(ctx->errf, "snic-vf: %s: %s has no SR-IOV capability\n", what,
                argv[0]);
        vf_dev_clear(&dev);
        return VF_EXIT_USAGE;
    }
    rc = vf_validate_for_dev(&dev, dev.numvfs, vf,
                             &(struct vf_settings){ 0 }, NULL, &err);
    vf_dev_clear(&dev);
    if (rc < 0) {
        fprintf(ctx->errf, "snic-vf: %s: %s\n", what, err.msg);
        return VF_EXIT_USAGE;
    }
    ctx->be->err.msg[0] = '\0';
    rc = ctx->be->ops->bind(ctx->be, argv[0], vf, driver);
    if (rc < 0) {
        fprintf(ctx->errf, "snic-vf: %s: %s\n", what, ctx->be->err.msg);
        return VF_EXIT_FAILED;
    }
    if (driver != NULL)
        fprintf(ctx->out, "%s: bound to %s\n", what, driver);
    else
        fprintf(ctx->out, "%s: driver override cleared, default driver "
                "probed\n", what);
    return VF_EXIT_OK;
}
