/* SPDX-License-Identifier: BSD-3-Clause */
/* Run vf_main() in-process with captured output. */
#ifndef SNIC_VF_RUN_MAIN_H
#define SNIC_VF_RUN_MAIN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf_cmd.h"

struct run_out {
    int rc;
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
};

/* NULL-terminated argument list after "snic-vf". */
static inline struct run_out
run_main(struct vf_backend *be, ...)
{
    struct run_out r = { 0 };
    char *argv[40] = { "snic-vf" };
    int argc = 1;
    va_list ap;
    FILE *out = open_memstream(&r.out, &r.out_len);
    FILE *err = open_memstream(&r.err, &r.err_len);

    va_start(ap, be);
    for (char *a; argc < 39 && (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    r.rc = vf_main(argc, argv, be, out, err);
    fclose(out);
    fclose(err);
    return r;
}

static inline void
run_free(struct run_out *r)
{
    free(r->out);
    free(r->err);
}

#endif /* SNIC_VF_RUN_MAIN_H */
