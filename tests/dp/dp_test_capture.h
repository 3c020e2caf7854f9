/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The outputs of one datapath call, captured for the datapath tests that
 * look at up to MAX_OUT frames (their first 256 bytes) and their ports.
 */
#ifndef SNIC_DP_TEST_CAPTURE_H
#define SNIC_DP_TEST_CAPTURE_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "snic/dp.h"

#define MAX_OUT 8

struct capture {
    unsigned n;
    uint32_t port[MAX_OUT];
    size_t len[MAX_OUT];
    uint8_t frame[MAX_OUT][256];
};

/* dp_output_fn: append @out to the struct capture at @ctx. */
static inline void
capture(void *ctx, const struct dp_output *out)
{
    struct capture *c = ctx;

    cr_assert_lt(c->n, MAX_OUT);
    c->port[c->n] = out->port;
    c->len[c->n] = out->len;
    memcpy(c->frame[c->n], out->frame, out->len < 256 ? out->len : 256);
    c->n++;
}

#endif /* SNIC_DP_TEST_CAPTURE_H */
