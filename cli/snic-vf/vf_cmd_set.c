/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf set DEV VF ATTR VALUE [ATTR VALUE...]
 *
 * All-or-nothing: every value is parsed and checked against the device
 * before the first change; attributes are then applied one at a time and,
 * when one is refused, the ones already applied are put back to the values
 * read before. What cannot be put back (old value unknown, or the undo
 * refused too) is listed, and the exit code says so.
 */
#include <string.h>

#include "vf_cmd.h"
#include "vf_parse.h"

static void
vf_set_rollback(struct vf_ctx *ctx, const char *dev, unsigned vf,
                const char *what, const struct vf_settings *old,
                const struct vf_settings *want, const unsigned *applied,
                unsigned n, unsigned *left)
{
    char txt[128];

    *left = 0;
    for (unsigned i = n; i-- > 0;) {
        enum vf_attr a = (enum vf_attr)applied[i];
        struct vf_settings undo = *old;

        if (!(old->mask & VF_ATTR_BIT(a))) {
            fprintf(ctx->errf, "snic-vf: %s: still applied (its old value "
                    "was unknown, cannot roll back): %s\n", what,
                    vf_fmt_attr(a, want, txt, sizeof(txt)));
            (*left)++;
            continue;
        }
        undo.mask = VF_ATTR_BIT(a);
        if (ctx->be->ops->set(ctx->be, dev, vf, &undo) < 0) {
            fprintf(ctx->errf, "snic-vf: %s: still applied (rolling back to "
                    "%s failed: %s): %s\n", what,
                    vf_fmt_attr(a, old, txt, sizeof(txt)), ctx->be->err.msg,
                    vf_fmt_attr(a, want, txt, sizeof(txt)));
            (*left)++;
            continue;
        }
        fprintf(ctx->errf, "snic-vf: %s: rolled back to %s\n", what,
                vf_fmt_attr(a, old, txt, sizeof(txt)));
    }
}

#define VF_GUID_BITS (VF_ATTR_BIT(VF_ATTR_NODE_GUID) | \
                      VF_ATTR_BIT(VF_ATTR_PORT_GUID))

/*
 * IB GUIDs reach the VF's RDMA device only when its driver probes it again:
 * rebind it to the driver it has, then read the GUIDs back through the
 * RDMA device (libibverbs on the real host) to prove they took.
 */
static int
vf_set_guid_rebind(struct vf_ctx *ctx, const char *devname, unsigned vf,
                   const char *what, const char *driver,
                   const struct vf_settings *want)
{
    struct vf_dev dev;
    const struct vf_info *vi;
    int rc = VF_EXIT_OK;

    if (driver[0] == '\0') {
        fprintf(ctx->out, "%s: VF has no driver: the GUIDs take effect when "
                "one binds it\n", what);
        return VF_EXIT_OK;
    }
    ctx->be->err.msg[0] = '\0';
    if (ctx->be->ops->bind(ctx->be, devname, vf, driver) < 0) {
        fprintf(ctx->errf, "snic-vf: %s: GUIDs set, but rebinding the VF to "
                "%s so they take effect failed: %s\n", what, driver,
                ctx->be->err.msg);
        return VF_EXIT_PARTIAL;
    }
    fprintf(ctx->out, "%s: rebound to %s so the GUIDs take effect\n", what,
            driver);
    if (ctx->be->ops->get(ctx->be, devname, &dev) < 0)
        return VF_EXIT_OK;
    vi = vf < dev.nvfs ? &dev.vfs[vf] : NULL;
    if (vi == NULL || vi->rdma[0] == '\0') {
        fprintf(ctx->out, "%s: no RDMA device found for the VF: GUIDs not "
                "verified\n", what);
    } else if (((want->mask & VF_ATTR_BIT(VF_ATTR_NODE_GUID)) &&
                vi->rdma_node_guid != want->node_guid) ||
               ((want->mask & VF_ATTR_BIT(VF_ATTR_PORT_GUID)) &&
                vi->rdma_port_guid != want->port_guid)) {
        char n[32], p[32];

        fprintf(ctx->errf, "snic-vf: %s: %s reports node-guid %s port-guid "
                "%s after the rebind, not the GUIDs set\n", what, vi->rdma,
                vf_fmt_guid(vi->rdma_node_guid, n, sizeof(n)),
                vf_fmt_guid(vi->rdma_port_guid, p, sizeof(p)));
        rc = VF_EXIT_FAILED;
    } else {
        fprintf(ctx->out, "%s: verified on RDMA device %s\n", what, vi->rdma);
    }
    vf_dev_clear(&dev);
    return rc;
}

int
vf_cmd_set(struct vf_ctx *ctx, int argc, char **argv)
{
    struct vf_settings want, old = { 0 };
    struct vf_err err = { "" };
    struct vf_dev dev;
    unsigned applied[VF_ATTR__COUNT];
    unsigned napplied = 0, left;
    unsigned vf;
    char vf_driver[VF_NAME_MAX] = "";
    char what[128];
    char txt[128];
    int rc;

    if (argc < 2) {
        fprintf(ctx->errf, "snic-vf: set: usage: snic-vf set DEV VF ATTR "
                "VALUE [ATTR VALUE...]\n");
        return VF_EXIT_USAGE;
    }
    if (vf_parse_index(argv[1], &vf, &err) < 0) {
        fprintf(ctx->errf, "snic-vf: set %s: %s\n", argv[0], err.msg);
        return VF_EXIT_USAGE;
    }
    snprintf(what, sizeof(what), "set %s vf %u", argv[0], vf);
    if (vf_parse_set_args(argc - 2, argv + 2, &want, &err) < 0) {
        fprintf(ctx->errf, "snic-vf: %s: %s\n", what, err.msg);
        return VF_EXIT_USAGE;
    }
    rc = ctx->be->ops->get(ctx->be, argv[0], &dev);
    if (rc < 0) {
        fprintf(ctx->errf, "snic-vf: %s: %s\n", what, ctx->be->err.msg);
        return VF_EXIT_USAGE;
    }
    if (vf < dev.nvfs) {
        old = dev.vfs[vf].cur;
        snprintf(vf_driver, sizeof(vf_driver), "%s", dev.vfs[vf].driver);
    }
    rc = vf_validate_for_dev(&dev, dev.numvfs, vf, &want, &old, &err);
    vf_dev_clear(&dev);
    if (rc < 0) {
        fprintf(ctx->errf, "snic-vf: %s: %s\n", what, err.msg);
        return VF_EXIT_USAGE;
    }
    vf_settings_merge_rate(&want, &old);
    for (unsigned a = 0; a < VF_ATTR__COUNT; a++) {
        struct vf_settings one = want;

        if (!(want.mask & VF_ATTR_BIT(a)))
            continue;
        one.mask = VF_ATTR_BIT(a);
        ctx->be->err.msg[0] = '\0';
        rc = ctx->be->ops->set(ctx->be, argv[0], vf, &one);
        if (rc < 0) {
            fprintf(ctx->errf, "snic-vf: %s: %s\n", what, ctx->be->err.msg);
            if (napplied == 0)
                return VF_EXIT_FAILED;
            vf_set_rollback(ctx, argv[0], vf, what, &old, &want, applied,
                            napplied, &left);
            return left == 0 ? VF_EXIT_FAILED : VF_EXIT_PARTIAL;
        }
        applied[napplied++] = a;
    }
    for (unsigned i = 0; i < napplied; i++)
        fprintf(ctx->out, "%s: %s\n", what,
                vf_fmt_attr((enum vf_attr)applied[i], &want, txt,
                            sizeof(txt)));
    if (want.mask & VF_GUID_BITS)
        return vf_set_guid_rebind(ctx, argv[0], vf, what, vf_driver, &want);
    return VF_EXIT_OK;
}
