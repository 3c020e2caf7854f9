/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * clone(...) as Open vSwitch 3.1 runs it, in the datapath: flows through
 * the parser, frames through the packet path. The body runs on a copy of
 * the packet and of its state, the action set included; a resubmit inside
 * looks its table up and comes back to the body; at the clone's end the
 * copy's action set runs; then the packet goes on as it was. (tests/ovsdiff
 * compares the same against Open vSwitch.)
 */
#include <criterion/criterion.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

/* A UDP frame in on port 1, through both paths (dp_env_run_both). */
static void
send_frame(struct dp_env *e, struct capture *cap)
{
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 17, 1000, 2000, 8);

    dp_env_run_both(e, f, n, cap);
}

/* The resubmitted table sees the clone's register and rewrites the
 * clone's packet; the body goes on after it with what it left; the
 * packet, after the clone, has neither. */
Test(dp_clone, resubmit_comes_back_to_the_body)
{
    static const char *const flows[] = {
        "cookie=1,table=0,in_port=1,actions=clone(set_field:5->reg1,"
        "resubmit(,1),output:4),resubmit(,1)",
        "cookie=2,table=1,reg1=5,actions=mod_dl_src:02:00:00:00:00:99,"
        "output:2",
        "cookie=3,table=1,priority=0,actions=output:3",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    dp_env_init(&e, 0, flows);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 3);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.frame[0][11], 0x99);
    cr_expect_eq(c.port[1], 4);
    cr_expect_eq(c.frame[1][11], 0x99);
    cr_expect_eq(c.port[2], 3);
    cr_expect_neq(c.frame[2][11], 0x99);
    cr_expect_eq(dp_env_hits(&e, 2), 2);
    cr_expect_eq(dp_env_hits(&e, 3), 2);
    dp_env_fini(&e);
}

/* The copy takes the packet's action set along and runs it at the
 * clone's end, as the clone left the packet; the packet's own set runs
 * at the packet's end, unchanged. */
Test(dp_clone, the_copy_runs_the_action_set)
{
    static const char *const flows[] = {
        "cookie=1,table=0,in_port=1,actions=resubmit(,3),"
        "clone(mod_dl_src:02:00:00:00:00:99,output:2),output:3",
        "cookie=2,table=3,actions=write_actions(output:4)",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    dp_env_init(&e, 0, flows);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 4);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.port[1], 4);
    cr_expect_eq(c.frame[1][11], 0x99);
    cr_expect_eq(c.port[2], 3);
    cr_expect_eq(c.port[3], 4);
    cr_expect_neq(c.frame[3][11], 0x99);
    dp_env_fini(&e);
}

/* What a clone's resubmit writes into the set is the copy's alone. */
Test(dp_clone, a_set_written_inside_stays_inside)
{
    static const char *const flows[] = {
        "cookie=1,table=0,in_port=1,actions=clone(resubmit(,1)),output:3",
        "cookie=2,table=1,actions=mod_dl_dst:02:00:00:00:00:77,"
        "write_actions(output:2)",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    dp_env_init(&e, 0, flows);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.frame[0][5], 0x77);
    cr_expect_eq(c.port[1], 3);
    cr_expect_neq(c.frame[1][5], 0x77);
    dp_env_fini(&e);
}

/* An exit in a table the clone resubmitted to ends the packet's actions:
 * the rest of the body, the copy's set, and the list after the clone. */
Test(dp_clone, an_exit_in_its_resubmit_ends_the_packet)
{
    static const char *const flows[] = {
        "cookie=1,table=0,in_port=1,actions=resubmit(,3),"
        "clone(resubmit(,1),output:4),output:3",
        "cookie=2,table=1,actions=output:2,exit,output:5",
        "cookie=3,table=3,actions=write_actions(output:6)",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    dp_env_init(&e, 0, flows);
    send_frame(&e, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 2);
    dp_env_fini(&e);
}

/* A clone that resubmits to its own table loops until Open vSwitch's
 * limits: the packet is dropped whole, the output before it too. */
Test(dp_clone, a_loop_through_clones_drops_the_packet)
{
    static const char *const flows[] = {
        "cookie=1,table=0,in_port=1,actions=output:2,clone(resubmit(,5)),"
        "output:3",
        "cookie=2,table=5,actions=clone(resubmit(,5))",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    dp_env_init(&e, 0, flows);
    send_frame(&e, &c);
    cr_expect_eq(c.n, 0);
    dp_env_fini(&e);
}
