/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz snic-vf's apply-file parser: any bytes as a JSON layout and, when
 * the build has libyaml, the same bytes as a YAML one. The parser must not
 * crash or leak; a refusal must explain itself in one line; an accepted
 * layout must keep the invariants the planner relies on (vf_want_check),
 * and every step planned from it must be describable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vf_apply.h"
#include "vf_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A host that has every wanted device with SR-IOV, enough VFs and no
 * settings known, so the planner walks every path of the layout. */
static void
fuzz_plan(const struct vf_want *want)
{
    struct vf_host host = { 0 };
    struct vf_plan plan = { 0 };
    struct vf_err err = { "" };
    char line[256];

    host.devs = calloc(want->ndevs ? want->ndevs : 1, sizeof(*host.devs));
    if (host.devs == NULL)
        return;
    host.ndevs = want->ndevs;
    for (unsigned i = 0; i < want->ndevs; i++) {
        struct vf_dev *d = &host.devs[i];

        snprintf(d->name, sizeof(d->name), "%s", want->devs[i].name);
        snprintf(d->driver, sizeof(d->driver), "%s",
                 i % 3 == 0 ? "mlx5_core" : i % 3 == 1 ? "ice" : "other");
        d->sriov_cap = 1;
        d->esw_mode = VF_ESW_LEGACY;
        d->totalvfs = 8;
        d->numvfs = 2;
        d->speed = 10000;
        d->nvfs = 2;
        d->vfs = calloc(2, sizeof(*d->vfs));
        if (d->vfs == NULL)
            d->nvfs = 0;
        for (unsigned k = 0; k < d->nvfs; k++)
            d->vfs[k].index = k;
    }
    if (vf_plan_build(want, &host, &plan, &err) == 0) {
        for (unsigned i = 0; i < plan.nsteps; i++)
            vf_step_describe(&plan.steps[i], line, sizeof(line));
    } else if (err.msg[0] == '\0') {
        abort();
    }
    vf_plan_clear(&plan);
    vf_host_clear(&host);
}

static void
fuzz_one(const uint8_t *data, size_t size, bool yaml)
{
    struct vf_want want;
    struct vf_err err = { "" };
    int rc = vf_json_parse_want(yaml ? "fuzz.yaml" : "fuzz.json",
                                (const char *)data, size, yaml, &want, &err);

    if (rc == 0) {
        struct vf_err why = { "" };

        if (vf_want_check(&want, &why) < 0) {
            fprintf(stderr, "accepted but invalid: %s\n", why.msg);
            abort();
        }
        fuzz_plan(&want);
        vf_want_clear(&want);
    } else if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL) {
        fprintf(stderr, "refusal without one clear line: '%s'\n", err.msg);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size, false);
    if (vf_json_have_yaml())
        fuzz_one(data, size, true);
    return 0;
}
