/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The outputs of one datapath call, captured for the datapath tests that
 * look at up to MAX_OUT frames (their first 256 bytes) and their ports,
 * and dp_env_run_both(), one frame through both of the worker's paths.
 */
#ifndef SNIC_DP_TEST_CAPTURE_H
#define SNIC_DP_TEST_CAPTURE_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "snic/dp.h"

#include "dp_test_env.h"

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

/* @f (@n bytes) in on port 1, captured into @cap, as one call and again
 * as a burst of one: the two paths must give the same outputs, byte for
 * byte. */
static inline void
dp_env_run_both(struct dp_env *e, const uint8_t *f, size_t n,
                struct capture *cap)
{
    struct capture again;
    struct t_pkt tp;

    memset(cap, 0, sizeof(*cap));
    t_pkt_load(&tp, f, n);
    dp_env_run(e, &tp.buf, 1, false, capture, cap);
    memset(&again, 0, sizeof(again));
    t_pkt_load(&tp, f, n);
    dp_env_run(e, &tp.buf, 1, true, capture, &again);
    cr_assert_eq(again.n, cap->n);
    for (unsigned i = 0; i < cap->n; i++) {
        cr_expect_eq(again.port[i], cap->port[i]);
        cr_expect_eq(again.len[i], cap->len[i]);
        cr_expect_arr_eq(again.frame[i], cap->frame[i],
                         cap->len[i] < 256 ? cap->len[i] : 256);
    }
}

#endif /* SNIC_DP_TEST_CAPTURE_H */
