/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open vSwitch's register stack in the datapath (push:, pop:), flows
 * through the parser and frames through the packet path: last in, first
 * out, across a resubmit; a pop narrower than the push keeps the low bits;
 * a pop of an empty stack changes nothing; a clone's pushes and pops are
 * undone after it; every packet starts with an empty stack; pushes past
 * DP_STACK_MAX are lost. The outputs say what the registers held
 * (output:NXM_NX_REGn[]).
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

static void
send_frame(struct dp_env *e, const uint8_t *f, size_t n, struct capture *cap)
{
    struct t_pkt tp;

    memset(cap, 0, sizeof(*cap));
    t_pkt_load(&tp, f, n);
    dp_env_run(e, &tp.buf, 1, false, capture, cap);
}

static void
ports_of(struct dp_env *e, const char *const *flows, uint32_t *ports,
         unsigned *n)
{
    struct capture c;
    uint8_t f[128];
    size_t len = t_frame_ip4(f, -1, 17, 1000, 2000, 8);

    dp_env_init(e, 0, flows);
    send_frame(e, f, len, &c);
    *n = c.n;
    for (unsigned i = 0; i < c.n; i++)
        ports[i] = c.port[i];
    send_frame(e, f, len, &c);
    /* the next packet starts with an empty stack: the same again */
    cr_expect_eq(c.n, *n);
    for (unsigned i = 0; i < c.n && i < *n; i++)
        cr_expect_eq(c.port[i], ports[i]);
    dp_env_fini(e);
}

Test(dp_stack, last_in_first_out_across_a_resubmit)
{
    static const char *const flows[] = {
        "table=0,in_port=1,actions=load:2->NXM_NX_REG0[],"
        "load:3->NXM_NX_REG1[],push:NXM_NX_REG0[],push:NXM_NX_REG1[],"
        "resubmit(,1),output:NXM_NX_REG5[0..15],output:NXM_NX_REG6[0..15]",
        "table=1,actions=pop:NXM_NX_REG5[],pop:NXM_NX_REG6[]",
        NULL,
    };
    struct dp_env e;
    uint32_t ports[MAX_OUT];
    unsigned n;

    ports_of(&e, flows, ports, &n);
    cr_assert_eq(n, 2);
    cr_expect_eq(ports[0], 3);
    cr_expect_eq(ports[1], 2);
}

Test(dp_stack, narrow_pop_keeps_low_bits_and_empty_pop_changes_nothing)
{
    static const char *const flows[] = {
        /* 0x104 popped into 8 bits is 4; the second pop finds nothing */
        "table=0,in_port=1,actions=load:0x104->NXM_NX_REG0[],"
        "push:NXM_NX_REG0[],load:2->NXM_NX_REG1[],pop:NXM_NX_REG1[0..7],"
        "load:3->NXM_NX_REG2[],pop:NXM_NX_REG2[],"
        "output:NXM_NX_REG1[0..15],output:NXM_NX_REG2[0..15]",
        NULL,
    };
    struct dp_env e;
    uint32_t ports[MAX_OUT];
    unsigned n;

    ports_of(&e, flows, ports, &n);
    cr_assert_eq(n, 2);
    cr_expect_eq(ports[0], 4);
    cr_expect_eq(ports[1], 3);
}

Test(dp_stack, a_clone_puts_the_stack_back)
{
    static const char *const flows[] = {
        "table=0,in_port=1,actions=load:2->NXM_NX_REG0[],push:NXM_NX_REG0[],"
        "clone(pop:NXM_NX_REG1[],load:4->NXM_NX_REG3[],push:NXM_NX_REG3[]),"
        "pop:NXM_NX_REG2[],output:NXM_NX_REG2[0..15]",
        NULL,
    };
    struct dp_env e;
    uint32_t ports[MAX_OUT];
    unsigned n;

    ports_of(&e, flows, ports, &n);
    cr_assert_eq(n, 1);
    cr_expect_eq(ports[0], 2);      /* not the clone's 4 */
}

Test(dp_stack, pushes_past_the_limit_are_lost)
{
    /* DP_STACK_MAX (32) pushes of 2, one of 3 (lost), then a pop: 2 */
    static char line[2048];
    const char *flows[] = {
        line,
        "table=1,actions=push:NXM_NX_REG0[],push:NXM_NX_REG0[],"
        "push:NXM_NX_REG0[],push:NXM_NX_REG0[],push:NXM_NX_REG0[],"
        "push:NXM_NX_REG0[],load:3->NXM_NX_REG0[],push:NXM_NX_REG0[],"
        "pop:NXM_NX_REG4[],output:NXM_NX_REG4[0..15]",
        NULL,
    };
    struct dp_env e;
    uint32_t ports[MAX_OUT];
    unsigned n;
    size_t l;

    /* 26 here and 6 in table 1: a flow holds at most 32 actions */
    l = (size_t)snprintf(line, sizeof(line), "table=0,in_port=1,actions="
                         "load:2->NXM_NX_REG0[]");
    for (int i = 0; i < 26; i++)
        l += (size_t)snprintf(line + l, sizeof(line) - l,
                              ",push:NXM_NX_REG0[]");
    snprintf(line + l, sizeof(line) - l, ",resubmit(,1)");
    ports_of(&e, flows, ports, &n);
    cr_assert_eq(n, 1);
    cr_expect_eq(ports[0], 2);
}
