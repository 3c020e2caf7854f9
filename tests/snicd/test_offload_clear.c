/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A delete of every flow of a table, or of every table, reaches the
 * offload manager as one change (FLOW_CHANGE_CLEARED): its state for
 * those flows goes whole, every rule they had leaves the card, traffic
 * then misses to the representor, and flows added afterwards are
 * offloaded as before. A delete of one table leaves the others' rules
 * alone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "test_offload_env.h"

static void
stop(void)
{
    env_stop();
}

TestSuite(offload_clear, .fini = stop, .timeout = 60);

/* @n flows of table @table from vf0 by destination MAC */
static void
add_macs(uint64_t *ids, unsigned table, unsigned n)
{
    char line[160];

    for (unsigned i = 0; i < n; i++) {
        snprintf(line, sizeof(line), "table=%u,priority=10,in_port=vf0,"
                 "dl_dst=02:00:00:%02x:%02x:%02x actions=output:vf1", table,
                 table, i >> 8, i & 0xff);
        ids[i] = env_add(line);
    }
}

Test(offload_clear, delete_all_leaves_no_rule_and_misses_go_to_software)
{
    uint64_t ids[150], fwd, part;
    const char *reason;
    unsigned base;

    env_start("full", true, true, "--max-rules", "200", NULL);
    base = env_free_rules();
    cr_assert_lt(base, 256, "env_free_rules() counts up to 256");
    add_macs(ids, 0, 150);
    fwd = env_add("priority=20,in_port=vf0,ip,nw_dst=10.0.0.1 "
                  "actions=output:uplink");
    part = env_add("priority=20,in_port=vf0,ip,nw_dst=10.0.0.2 "
                   "actions=mod_nw_tos:0x20,output:uplink");
    cr_assert_geq(env_commit(), 0);
    env_expect(fwd, SNICD_WHERE_HW, NULL);
    env_expect(part, SNICD_WHERE_PARTIAL, NULL);
    cr_assert_eq(env_stats().n_hw, 151);
    cr_assert_eq(env_free_rules(), base - 152);
    cr_expect_eq(env_send(5, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 5);

    cr_assert_eq(env_del_loose(""), 152);
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().n_hw, 0);
    cr_expect_eq(env_stats().n_partial, 0);
    cr_expect_eq(env_stats().n_sw, 0);
    cr_expect_eq(env_stats().n_marks, 0,
                 "the partial flow's mark is released");
    cr_expect_eq(env_free_rules(), base, "every rule left the card");
    cr_expect_eq(env_where(ids[7], &reason), SNICD_WHERE_SW);
    cr_expect_str_eq(reason, "unknown flow");
    /* the table-miss path: VF 0's frames reach its representor */
    cr_expect_eq(env_send(5, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 0);
    cr_expect_eq(env_send(5, 100, 0x0a000001, 1, NULL), 5);

    /* flows added right after are offloaded, and forward again */
    add_macs(ids, 0, 20);
    fwd = env_add("priority=20,in_port=vf0,ip,nw_dst=10.0.0.1 "
                  "actions=output:uplink");
    cr_assert_geq(env_commit(), 0);
    env_expect(ids[0], SNICD_WHERE_HW, NULL);
    env_expect(fwd, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().n_hw, 21);
    cr_expect_eq(env_free_rules(), base - 21);
    cr_expect_eq(env_send(5, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 5);
}

Test(offload_clear, delete_of_one_table_leaves_the_others)
{
    uint64_t t0[60], t3[80], jump;
    unsigned base;

    env_start("full", false, true, "--max-rules", "200", NULL);
    base = env_free_rules();
    cr_assert_lt(base, 256, "env_free_rules() counts up to 256");
    add_macs(t0, 0, 60);
    jump = env_add("priority=1,in_port=vf1 actions=goto_table:3");
    add_macs(t3, 3, 80);
    cr_assert_geq(env_commit(), 0);
    env_expect(jump, SNICD_WHERE_HW, NULL);
    env_expect(t3[5], SNICD_WHERE_HW, NULL);
    cr_assert_eq(env_stats().n_hw, 141);

    cr_assert_eq(env_del_loose("table=3"), 80);
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().n_hw, 61);
    for (unsigned i = 0; i < 60; i++)
        env_expect(t0[i], SNICD_WHERE_HW, NULL);
    env_expect(jump, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_free_rules(), base - 61, "table 3's rules, and only "
                 "those, left the card (%u free of %u)", env_free_rules(),
                 base);
    /* and table 3 takes flows again */
    add_macs(t3, 3, 10);
    cr_assert_geq(env_commit(), 0);
    env_expect(t3[9], SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().n_hw, 71);
}

/* Inside a transaction that is rolled back, the manager hears the flows
 * come back one by one and keeps them in hardware. */
Test(offload_clear, rollback_of_a_clear_keeps_the_rules)
{
    uint64_t ids[30];

    env_start("full", false, true, NULL);
    add_macs(ids, 0, 30);
    cr_assert_geq(env_commit(), 0);
    cr_assert_eq(flow_table_begin(env.t), 0);
    cr_assert_eq(env_del_loose(""), 30);
    flow_table_rollback(env.t);
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().n_hw, 30);
    for (unsigned i = 0; i < 30; i++)
        env_expect(ids[i], SNICD_WHERE_HW, NULL);
}

/* A delete of every flow with more rules than the flow queue holds: the
 * destroys are pulled back to half a queue, not to none, so the card
 * deletes the older half while the newer one is enqueued (a push per
 * half queue, not per queue); every rule leaves the card all the same.
 * Two flows share each match (priorities 10 and 11), so the overlap
 * index has buckets of two members to free with the table. */
Test(offload_clear, delete_refills_the_flow_queue_at_half)
{
    enum { QSIZE = 16 };
    uint64_t ids[100];
    struct snicd_offload_stats s0, s1;
    char line[160];
    unsigned base;
    uint64_t destroyed, pushes;

    env_flow_queue = QSIZE;
    env_start("full", false, true, "--max-rules", "250", NULL);
    base = env_free_rules();
    cr_assert_lt(base, 256, "env_free_rules() counts up to 256");
    add_macs(ids, 0, 100);
    for (unsigned i = 0; i < 100; i++) {
        snprintf(line, sizeof(line), "priority=11,in_port=vf0,"
                 "dl_dst=02:00:00:00:%02x:%02x actions=output:vf2",
                 i >> 8, i & 0xff);
        (void)env_add(line);
    }
    cr_assert_geq(env_commit(), 0);
    cr_assert_eq(env_stats().queue_size, QSIZE);
    cr_assert_geq(env_stats().n_hw, 100);
    s0 = env_stats();

    cr_assert_eq(env_del_loose(""), 200);
    cr_assert_geq(env_commit(), 0);
    s1 = env_stats();
    cr_expect_eq(s1.n_hw + s1.n_partial + s1.n_sw, 0);
    cr_expect_eq(env_free_rules(), base, "every rule left the card");
    destroyed = s1.rules_destroyed - s0.rules_destroyed;
    pushes = s1.queue_pushes - s0.queue_pushes;
    cr_assert_geq(destroyed, 100);
    cr_expect_gt(pushes, destroyed / QSIZE + 2, "%" PRIu64 " pushes for %"
                 PRIu64 " destroys: the queue is refilled at half (about "
                 "one push per %u), not drained whole (one per %u)",
                 pushes, destroyed, QSIZE / 2, QSIZE);

    /* and the table takes flows again */
    add_macs(ids, 0, 10);
    cr_assert_geq(env_commit(), 0);
    env_expect(ids[9], SNICD_WHERE_HW, NULL);
}

/* Nothing lost, nothing back: a delete of every flow and new flows in
 * the same commit, through a flow queue smaller than the delete, leave
 * exactly the new flows' rules on the card; after a firmware reset and
 * the resync it is again exactly those. */
Test(offload_clear, reset_after_delete_all_keeps_exactly_the_new_flows)
{
    uint64_t ids[150], fresh[10];
    char line[160];
    unsigned base;

    env_flow_queue = 16;
    env_start("full", false, true, "--max-rules", "250", NULL);
    base = env_free_rules();
    cr_assert_lt(base, 256, "env_free_rules() counts up to 256");
    add_macs(ids, 0, 150);
    cr_assert_geq(env_commit(), 0);
    cr_assert_eq(env_stats().n_hw, 150);

    cr_assert_eq(env_del_loose(""), 150);
    for (unsigned i = 0; i < 10; i++) {
        snprintf(line, sizeof(line), "priority=30,in_port=vf1,"
                 "dl_dst=02:00:00:aa:00:%02x actions=output:vf2", i);
        fresh[i] = env_add(line);
    }
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().n_hw, 10);
    cr_expect_eq(env_free_rules(), base - 10, "only the new flows' rules "
                 "(%u free of %u)", env_free_rules(), base);

    cr_assert_eq(env_snic_fw("reset"), 0, "snic-fw reset");
    cr_assert(env_wait_reset(3000), "the PMD reported the reset");
    cr_expect_eq(snicd_offload_resync(env.o), 10);
    env_check_counts();
    for (unsigned i = 0; i < 10; i++)
        env_expect(fresh[i], SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_where(ids[3], NULL), SNICD_WHERE_SW);
    cr_expect_eq(env_free_rules(), base - 10, "after the reset too (%u free "
                 "of %u)", env_free_rules(), base);
}
