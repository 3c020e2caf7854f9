/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exit and the actions that leave the packet alone, in the datapath:
 * flows through the parser, frames through the packet path. exit ends the
 * packet's actions as Open vSwitch 3.1 does: the rest of its list, the
 * lists of the resubmits it is in, later tables and the action set
 * (tests/ovsdiff compares the same against Open vSwitch). note,
 * debug_recirc and debug_slow change nothing.
 */
#include <criterion/criterion.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

static size_t
udp_frame(uint8_t *f)
{
    return t_frame_ip4(f, -1, 17, 1000, 2000, 8);
}

Test(dp_exit, ends_the_list)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=output:2,exit,output:3",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f);

    dp_env_init(&e, 0, flows);
    dp_env_run_both(&e, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(dp_env_hits(&e, 1), 2);
    dp_env_fini(&e);
}

/* Not only its own list: the list that resubmitted to it, and the tables
 * after, do not go on. */
Test(dp_exit, ends_the_resubmits_and_the_tables)
{
    static const char *const flows[] = {
        "cookie=1,table=0,actions=resubmit(,1),output:4,goto_table:2",
        "cookie=2,table=1,actions=output:2,resubmit(,3),output:5",
        "cookie=3,table=3,actions=output:3,exit,output:6",
        "cookie=4,table=2,actions=output:7",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f);

    dp_env_init(&e, 0, flows);
    dp_env_run_both(&e, f, n, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.port[1], 3);
    cr_expect_eq(dp_env_hits(&e, 3), 2);
    cr_expect_eq(dp_env_hits(&e, 4), 0);
    dp_env_fini(&e);
}

/* Open vSwitch 3.1 runs no action set after an exit. */
Test(dp_exit, the_action_set_does_not_run)
{
    static const char *const flows[] = {
        "cookie=1,table=0,actions=write_actions(output:3),goto_table:1",
        "cookie=2,table=1,in_port=1,actions=output:2,exit",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f);

    dp_env_init(&e, 0, flows);
    dp_env_run_both(&e, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 2);
    dp_env_fini(&e);
}

/* An exit inside a clone ends the packet's actions too (Open vSwitch
 * does not put its exit back after a clone); the clone's own outputs
 * before it stand. */
Test(dp_exit, inside_a_clone_ends_the_list)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=clone(mod_dl_src:02:00:00:00:00:99,"
        "output:2,exit,output:4),output:3",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f);

    dp_env_init(&e, 0, flows);
    dp_env_run_both(&e, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.frame[0][11], 0x99);
    dp_env_fini(&e);
}

Test(dp_exit, note_and_debug_change_nothing)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=note:41.42,debug_recirc,output:2,"
        "debug_slow,note:0102030405060708090a0b0c,output:3",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f);

    dp_env_init(&e, 0, flows);
    dp_env_run_both(&e, f, n, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.port[1], 3);
    cr_expect_eq(c.len[1], n);
    cr_expect(memcmp(c.frame[1], f, n) == 0);
    dp_env_fini(&e);
}

/* An exit ends its own packet only: in a burst, the packet after it runs
 * its resubmits and the rest of its list as it does alone (the burst's
 * per-packet state starts afresh for each packet's actions). */
Test(dp_exit, ends_only_its_own_packet_in_a_burst)
{
    static const char *const flows[] = {
        "cookie=1,udp,tp_dst=1,actions=output:2,exit",
        "cookie=2,udp,tp_dst=2,actions=resubmit(,1),output:3",
        "cookie=3,table=1,actions=output:4",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    struct t_pkt tp[2];
    struct dp_buf b[2];
    uint8_t f[128];

    dp_env_init(&e, 0, flows);
    for (unsigned i = 0; i < 2; i++) {
        size_t n = t_frame_ip4(f, -1, 17, 1000, (uint16_t)(1 + i), 8);

        t_pkt_load(&tp[i], f, n);
        b[i] = tp[i].buf;
    }
    memset(&c, 0, sizeof(c));
    dp_worker_online(e.w);
    dp_worker_process_burst(e.w, b, 2, 1, capture, &c);
    dp_worker_quiesce(e.w);
    dp_worker_offline(e.w);
    cr_assert_eq(c.n, 3, "%u outputs: %u %u", c.n, c.port[0], c.port[1]);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.port[1], 4);
    cr_expect_eq(c.port[2], 3);
    dp_env_fini(&e);
}
