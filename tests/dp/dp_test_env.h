/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A datapath as snicd feeds it, for the tests that drive it with
 * ovs-ofctl flow lines: a flow table whose changes reach the datapath
 * (dp_flow_table_listener), one worker, and the test's own clock. Each
 * test runs a packet through dp_env_run() on its own thread, the worker
 * online for that packet only. Header-only: each test file is one program.
 */
#ifndef DP_TEST_ENV_H
#define DP_TEST_ENV_H

#include <criterion/criterion.h>

#include "dp_test_flows.h"

struct dp_env {
    struct dp *dp;
    struct flow_table *ft;
    struct dp_worker *w;
    uint64_t now;           /* flows are added at this time */
};

/* The test's clock, for dp_set_clock(e->dp, dp_env_now, e). */
static inline uint64_t
dp_env_now(void *ctx)
{
    return ((struct dp_env *)ctx)->now;
}

/* Add flow @line (ovs-ofctl add-flow syntax) at e->now; not committed. */
static inline void
dp_env_add(struct dp_env *e, const char *line)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0,
                 "%s: %s", line, err.msg);
    cr_assert_eq(flow_table_apply(e->ft, &fm, e->now), 1, "%s", line);
}

/* The datapath with @lines (NULL-terminated; NULL: none) added at time
 * @now and committed. */
static inline void
dp_env_init(struct dp_env *e, uint64_t now, const char *const *lines)
{
    snic_role_enter(&snic_control);
    e->now = now;
    e->dp = dp_create(NULL, NULL);
    e->ft = flow_table_create(dp_flow_table_listener, e->dp);
    e->w = dp_worker_create(e->dp);
    cr_assert(e->dp && e->ft && e->w);
    cr_assert_eq(dp_set_learn_table(e->dp, e->ft), 0);
    for (; lines != NULL && *lines != NULL; lines++)
        dp_env_add(e, *lines);
    cr_assert_eq(dp_commit(e->dp), 0);
}

static inline void
dp_env_fini(struct dp_env *e)
{
    snic_role_enter(&snic_control);
    dp_worker_destroy(e->w);
    flow_table_destroy(e->ft);
    dp_destroy(e->dp);
}

/* One frame received on @in_port through the worker, as one call or as
 * a burst of one (the two paths must agree); outputs to @fn. Returns the
 * number of outputs. */
static inline unsigned
dp_env_run(struct dp_env *e, struct dp_buf *buf, uint32_t in_port,
           bool burst, dp_output_fn *fn, void *ctx)
{
    unsigned outs;

    dp_worker_online(e->w);
    outs = burst ? dp_worker_process_burst(e->w, buf, 1, in_port, fn, ctx)
                 : dp_worker_process(e->w, buf, in_port, fn, ctx);
    dp_worker_quiesce(e->w);
    dp_worker_offline(e->w);
    return outs;
}

/* Packets the flow with @cookie counted (each test gives its flows their
 * ids as cookies: ids count from 1 in the order flows are added). */
static inline uint64_t
dp_env_hits(struct dp_env *e, uint64_t cookie)
{
    uint64_t p = 0, b = 0;

    cr_assert_eq(dp_flow_stats(e->dp, cookie, &p, &b), 0);
    return p;
}

#endif /* DP_TEST_ENV_H */
