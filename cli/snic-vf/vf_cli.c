/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command line: global options may appear anywhere; what is left is the
 * command and its positional arguments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vf_cmd.h"
#include "vf_emunic.h"
#include "vf_json.h"
#include "vf_kernel.h"

#define VF_DEFAULT_TIMEOUT_MS 30000
/* one firmware command: the card answers in microseconds when alive */
#define VF_EMUNIC_CMD_MS 5000

static void
vf_usage(FILE *f)
{
    fprintf(f,
"usage: snic-vf [options] COMMAND ...\n"
"  list [DEV] [--json]            SR-IOV devices, their VFs and settings\n"
"  create DEV N [--switchdev|--legacy]\n"
"                                 make DEV have N VFs (and set the mode)\n"
"  destroy DEV                    remove every VF of DEV\n"
"  set DEV VF ATTR VALUE...       mac M, vlan V [qos Q] [proto 802.1Q|802.1ad],\n"
"                                 spoofchk on|off, trust on|off,\n"
"                                 state auto|enable|disable, min-rate R,\n"
"                                 max-rate R (Mbit/s), node-guid G, port-guid G\n"
"  bind DEV VF DRIVER | --default bind a VF to DRIVER, or back to its default\n"
"  apply FILE [--dry-run]         converge to the layout in FILE (JSON%s)\n"
"options:\n"
"  --sysfs-root DIR   read and write sysfs under DIR instead of /\n"
"  --emunic SOCKET    drive the emulated card at SOCKET (DEV is SOCKET)\n"
"  --timeout SEC      how long to wait for VFs to appear (default 30)\n"
"  --json             machine-readable output (list)\n"
"exit codes: 0 ok, 1 refused by the host (nothing changed), 2 bad request\n"
"            (nothing done), 3 failed midway (what stays applied is listed)\n",
            vf_json_have_yaml() ? " or YAML" : "; YAML not built in");
}

static int
vf_opt_value(int argc, char **argv, int *i, const char *name,
             const char **val)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    if (strcmp(argv[*i], name) != 0)
        return 0;
    if (*i + 1 >= argc)
        return -EINVAL;
    *val = argv[++*i];
    return 1;
}

int
vf_main(int argc, char **argv, struct vf_backend *be, FILE *out, FILE *errf)
{
    struct vf_ctx ctx = {
        .be = be, .timeout_ms = VF_DEFAULT_TIMEOUT_MS, .out = out,
        .errf = errf, .want_mode = VF_ESW_UNKNOWN,
    };
    const char *root = NULL;
    const char *emunic = NULL;
    char **pos = calloc((size_t)argc + 1, sizeof(*pos));
    int npos = 0;
    int rc = VF_EXIT_USAGE;

    if (pos == NULL)
        return VF_EXIT_FAILED;
    for (int i = 1; i < argc; i++) {
        const char *val;
        int r;

        if ((r = vf_opt_value(argc, argv, &i, "--sysfs-root", &val)) != 0) {
            if (r < 0)
                goto missing;
            root = val;
        } else if ((r = vf_opt_value(argc, argv, &i, "--emunic",
                                     &val)) != 0) {
            if (r < 0)
                goto missing;
            emunic = val;
        } else if ((r = vf_opt_value(argc, argv, &i, "--timeout",
                                     &val)) != 0) {
            char *end;
            double sec;

            if (r < 0)
                goto missing;
            sec = strtod(val, &end);
            if (*end != '\0' || !(sec > 0) || sec > 3600) {
                fprintf(errf, "snic-vf: --timeout %s: expected seconds "
                        "(0-3600, e.g. 30 or 0.5)\n", val);
                goto free_pos;
            }
            ctx.timeout_ms = (int)(sec * 1000);
        } else if (strcmp(argv[i], "--json") == 0) {
            ctx.json = true;
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            ctx.dry_run = true;
        } else if (strcmp(argv[i], "--switchdev") == 0) {
            ctx.want_mode = VF_ESW_SWITCHDEV;
        } else if (strcmp(argv[i], "--legacy") == 0) {
            ctx.want_mode = VF_ESW_LEGACY;
        } else if (strcmp(argv[i], "--default") == 0) {
            ctx.default_driver = true;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            vf_usage(out);
            rc = VF_EXIT_OK;
            goto free_pos;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            fprintf(errf, "snic-vf: unknown option %s (see snic-vf "
                    "--help)\n", argv[i]);
            goto free_pos;
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos == 0) {
        vf_usage(errf);
        goto free_pos;
    }
    if (ctx.be == NULL && emunic != NULL) {
        struct vf_err err = { "" };

        ctx.be = vf_emunic_open(emunic, VF_EMUNIC_CMD_MS, &err);
        if (ctx.be == NULL) {
            fprintf(errf, "snic-vf: %s\n", err.msg);
            rc = VF_EXIT_FAILED;
            goto free_pos;
        }
    }
    if (ctx.be == NULL) {
        ctx.be = vf_kernel_open(root, NULL, NULL);
        if (ctx.be == NULL) {
            fprintf(errf, "snic-vf: cannot start the kernel backend: %s\n",
                    strerror(errno));
            rc = VF_EXIT_FAILED;
            goto free_pos;
        }
    }
    if (strcmp(pos[0], "list") == 0 || strcmp(pos[0], "show") == 0)
        rc = vf_cmd_list(&ctx, npos - 1, pos + 1);
    else if (strcmp(pos[0], "create") == 0)
        rc = vf_cmd_create(&ctx, npos - 1, pos + 1);
    else if (strcmp(pos[0], "destroy") == 0)
        rc = vf_cmd_destroy(&ctx, npos - 1, pos + 1);
    else if (strcmp(pos[0], "set") == 0)
        rc = vf_cmd_set(&ctx, npos - 1, pos + 1);
    else if (strcmp(pos[0], "bind") == 0)
        rc = vf_cmd_bind(&ctx, npos - 1, pos + 1);
    else if (strcmp(pos[0], "apply") == 0)
        rc = vf_cmd_apply(&ctx, npos - 1, pos + 1);
    else
        fprintf(errf, "snic-vf: unknown command %s (expected list, create, "
                "destroy, set, bind or apply)\n", pos[0]);
    if (be == NULL)
        vf_backend_close(ctx.be);
    fflush(out);
    fflush(errf);
    goto free_pos;
missing:
    fprintf(errf, "snic-vf: %s needs a value\n", argv[argc - 1]);
free_pos:
    free(pos);
    return rc;
}
