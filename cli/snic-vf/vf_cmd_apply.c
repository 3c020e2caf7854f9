/* SPDX-License-Identifier: BSD-3-Clause */
/* snic-vf apply FILE [--dry-run], and the plan runner create/destroy share. */
#include "vf_cmd.h"
#include "vf_json.h"

int
vf_cmd_run_plan(struct vf_ctx *ctx, const struct vf_plan *plan,
                const char *what)
{
    struct vf_err err = { "" };
    char step[256];
    unsigned done = 0;
    int rc;

    for (unsigned i = 0; i < plan->nnotes; i++)
        fprintf(ctx->out, "%s\n", plan->notes[i]);
    if (plan->nsteps == 0)
        return VF_EXIT_OK;
    if (ctx->dry_run) {
        fprintf(ctx->out, "plan (dry run, nothing changed): %u step%s\n",
                plan->nsteps, plan->nsteps == 1 ? "" : "s");
        for (unsigned i = 0; i < plan->nsteps; i++)
            fprintf(ctx->out, "  %u. %s\n", i + 1,
                    vf_step_describe(&plan->steps[i], step, sizeof(step)));
        return VF_EXIT_OK;
    }
    rc = vf_plan_run(ctx->be, plan, ctx->timeout_ms, ctx->out, &done, &err);
    if (rc == 0)
        return VF_EXIT_OK;
    fprintf(ctx->errf, "snic-vf: %s: %s\n", what, err.msg);
    if (done == 0) {
        fprintf(ctx->errf, "snic-vf: %s: nothing was applied\n", what);
        return VF_EXIT_FAILED;
    }
    fprintf(ctx->errf, "snic-vf: %s: already applied before the failure:\n",
            what);
    for (unsigned i = 0; i < done; i++)
        fprintf(ctx->errf, "  %u. %s\n", i + 1,
                vf_step_describe(&plan->steps[i], step, sizeof(step)));
    return VF_EXIT_PARTIAL;
}

int
vf_cmd_apply(struct vf_ctx *ctx, int argc, char **argv)
{
    struct vf_want want;
    struct vf_plan plan;
    struct vf_err err = { "" };
    char what[300];
    int rc;

    if (argc != 1) {
        fprintf(ctx->errf, "snic-vf: apply: usage: snic-vf apply FILE "
                "[--dry-run] [--timeout SEC]\n");
        return VF_EXIT_USAGE;
    }
    snprintf(what, sizeof(what), "apply %s", argv[0]);
    if (vf_json_load_want(argv[0], &want, &err) < 0) {
        fprintf(ctx->errf, "snic-vf: apply: %s\n", err.msg);
        return VF_EXIT_USAGE;
    }
    rc = vf_plan_for(ctx->be, &want, &plan, &err);
    if (rc < 0) {
        fprintf(ctx->errf, "snic-vf: apply: %s: %s\n", argv[0], err.msg);
        vf_want_clear(&want);
        return VF_EXIT_USAGE;
    }
    if (plan.nsteps == 0)
        fprintf(ctx->out, "nothing to do: the host already matches %s\n",
                argv[0]);
    rc = vf_cmd_run_plan(ctx, &plan, what);
    if (rc == VF_EXIT_OK && plan.nsteps != 0 && !ctx->dry_run)
        fprintf(ctx->out, "applied %u step%s from %s\n", plan.nsteps,
                plan.nsteps == 1 ? "" : "s", argv[0]);
    vf_plan_clear(&plan);
    vf_want_clear(&want);
    return rc;
}
