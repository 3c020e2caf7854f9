/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf commands. Each takes the positional arguments after its name
 * and returns the process exit code:
 */
#ifndef SNIC_VF_CMD_H
#define SNIC_VF_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "vf_apply.h"
#include "vf_backend.h"

enum vf_exit {
    VF_EXIT_OK = 0,
    VF_EXIT_FAILED = 1,     /* the host (kernel/card) refused or timed out;
                             * nothing left half-applied */
    VF_EXIT_USAGE = 2,      /* bad command line, file or value: nothing done */
    VF_EXIT_PARTIAL = 3,    /* failed midway and could not undo everything:
                             * what stays applied was listed */
};

struct vf_ctx {
    struct vf_backend *be;
    bool json;
    bool dry_run;
    int timeout_ms;
    FILE *out;              /* normal output */
    FILE *errf;             /* error lines */
    int want_mode;          /* create --switchdev/--legacy, else -1 */
    bool default_driver;    /* bind --default */
};

/* Print the plan's notes, run it (or print it with --dry-run), report
 * the failing step and what was applied. @what prefixes error lines. */
int vf_cmd_run_plan(struct vf_ctx *ctx, const struct vf_plan *plan,
                    const char *what);

int vf_cmd_list(struct vf_ctx *ctx, int argc, char **argv);
int vf_cmd_create(struct vf_ctx *ctx, int argc, char **argv);
int vf_cmd_destroy(struct vf_ctx *ctx, int argc, char **argv);
int vf_cmd_set(struct vf_ctx *ctx, int argc, char **argv);
int vf_cmd_bind(struct vf_ctx *ctx, int argc, char **argv);
int vf_cmd_apply(struct vf_ctx *ctx, int argc, char **argv);

/* Entry point shared by main() and the tests: full argv, own backend
 * unless @be is given. */
int vf_main(int argc, char **argv, struct vf_backend *be, FILE *out,
            FILE *errf);

#endif /* SNIC_VF_CMD_H */
