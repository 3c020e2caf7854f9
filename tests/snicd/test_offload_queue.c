/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager on the PF's flow queue (template/async rte_flow,
 * snicd_offload_fq.c): rules go in batches, a rule the card refuses inside
 * a batch sends that flow alone to software with the card's reason, a
 * full queue is pushed and pulled, a modify keeps its old rule until the
 * new one is in. Each test also says what the sync API would have given,
 * since the manager must end in the same state either way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "test_offload_env.h"

static void
stop(void)
{
    env_stop();
}

TestSuite(offload_queue, .fini = stop, .timeout = 50);

/* @n flows of one shape (vf0 -> vf1 by destination MAC): one template
 * table. */
static void
add_macs(uint64_t *ids, unsigned n, unsigned prio)
{
    char line[128];

    for (unsigned i = 0; i < n; i++) {
        snprintf(line, sizeof(line), "priority=%u,in_port=vf0,"
                 "dl_dst=02:00:00:00:%02x:%02x actions=output:vf1", prio,
                 i >> 8, i & 0xff);
        ids[i] = env_add(line);
    }
}

Test(offload_queue, batch_goes_through_the_queue)
{
    uint64_t ids[100];
    struct snicd_offload_stats s;

    env_flow_queue = 1024;
    env_start("full", false, true, "--max-rules", "200", NULL);
    add_macs(ids, 100, 10);
    cr_assert_eq(env_commit(), 100);
    s = env_stats();
    cr_expect_eq(s.queue_size, 1024);
    cr_expect_eq(s.queue_tables, 1, "one rule shape, one template table");
    cr_expect_eq(s.queue_pushes, 1, "one push for the whole batch (%llu)",
                 (unsigned long long)s.queue_pushes);
    cr_expect_eq(s.queue_refused, 0);
    cr_expect_eq(s.n_hw, 100);
    cr_expect_eq(s.rules_created, 100);
    cr_expect_eq(env_free_rules(), 100, "the card holds the 100 rules");
    /* delete half: destroys go through the queue too */
    for (unsigned i = 0; i < 50; i++) {
        char line[96];

        snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
                 "dl_dst=02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        env_del(line);
    }
    cr_assert_eq(env_commit(), 50);
    cr_expect_eq(env_stats().queue_pushes, 2);
    cr_expect_eq(env_stats().n_hw, 50);
    cr_expect_eq(env_free_rules(), 150);
}

Test(offload_queue, sync_api_when_the_port_has_no_queue)
{
    uint64_t ids[20];

    env_flow_queue = UINT32_MAX;
    env_start("full", false, true, NULL);
    add_macs(ids, 20, 10);
    cr_assert_eq(env_commit(), 20);
    cr_expect_eq(env_stats().queue_size, 0, "no flow queue configured");
    cr_expect_eq(env_stats().queue_pushes, 0);
    cr_expect_eq(env_stats().n_hw, 20);
}

/* The card refuses one create of the batch, then takes it when asked
 * again: the queue's result has no reason, so the manager asks with
 * rte_flow_create, and the flow is in hardware like the others. */
Test(offload_queue, transient_refusal_in_a_batch_is_asked_again)
{
    uint64_t ids[10];

    env_flow_queue = 1024;
    env_start("full", false, true, "--max-rules", "64", NULL);
    cr_assert_eq(env_snic_fw("fault fail-next opcode=0x0410 count=1"), 0);
    add_macs(ids, 10, 10);
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().queue_refused, 1);
    for (unsigned i = 0; i < 10; i++)
        env_expect(ids[i], SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_free_rules(), 54, "ten rules, none left behind");
}

/* A higher flow refused inside the batch (and again when asked alone):
 * it goes to software with the card's reason; the lower flows it overlaps,
 * queued in the same batch, leave hardware (rule 1: nothing half-placed);
 * a flow it does not overlap stands. */
Test(offload_queue, refused_rule_in_a_batch_goes_to_software)
{
    uint64_t hi, lo[3], other;
    char buf[64];

    env_flow_queue = 1024;
    env_start("full", false, true, "--max-rules", "64", NULL);
    hi = env_add("priority=20,in_port=vf0 actions=output:vf2");
    for (unsigned i = 0; i < 3; i++) {
        char line[96];

        snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
                 "dl_dst=02:00:00:00:00:%02x actions=output:vf1", i);
        lo[i] = env_add(line);
    }
    other = env_add("priority=5,in_port=vf3 actions=output:vf1");
    /* the five creates of the batch, then the first retry (the highest
     * flow's, the first result pulled) */
    cr_assert_eq(env_snic_fw("fault fail-next opcode=0x0410 count=6"), 0);
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().queue_refused, 5);
    env_expect(hi, SNICD_WHERE_SW, "injected fault");
    snprintf(buf, sizeof(buf), "shadowed by flow %llu",
             (unsigned long long)hi);
    for (unsigned i = 0; i < 3; i++)
        env_expect(lo[i], SNICD_WHERE_SW, buf);
    env_expect(other, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().n_hw, 1);
    cr_expect_eq(env_free_rules(), 63, "the card holds only the one that "
                 "stands");
    /* the next retry puts them all in */
    cr_expect_gt(snicd_offload_retry_failed(env.o), 0);
    env_expect(hi, SNICD_WHERE_HW, NULL);
    for (unsigned i = 0; i < 3; i++)
        env_expect(lo[i], SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_free_rules(), 59);
}

/* A full card inside a batch: the creates past its room are refused,
 * asked again, refused with its reason (ENOSPC); the others stand. */
Test(offload_queue, full_card_inside_a_batch)
{
    uint64_t ids[40];
    unsigned hw = 0, nospace = 0;
    const char *reason;

    env_flow_queue = 1024;
    env_start("full", false, true, "--max-rules", "32", NULL);
    add_macs(ids, 40, 10);
    cr_assert_geq(env_commit(), 0);
    for (unsigned i = 0; i < 40; i++) {
        enum snicd_where w = env_where(ids[i], &reason);

        hw += w == SNICD_WHERE_HW;
        nospace += w == SNICD_WHERE_SW && strstr(reason, "ENOSPC") != NULL;
    }
    cr_expect_eq(hw, 32, "%u in hardware", hw);
    cr_expect_eq(nospace, 8, "%u wait for room", nospace);
    cr_expect_eq(env_stats().queue_refused, 8, "each refused once (%llu)",
                 (unsigned long long)env_stats().queue_refused);
    cr_expect_eq(env_free_rules(), 0);
}

/* A queue of 4 operations and 50 rules: pushed and pulled each time it
 * fills; then every flow modified (new actions): the new rule is queued,
 * the old one destroyed once the new one is confirmed, through the same
 * small queue. */
Test(offload_queue, small_queue_fills_and_drains)
{
    uint64_t ids[50];
    char line[128];

    env_flow_queue = 4;
    env_start("full", false, true, "--max-rules", "128", NULL);
    add_macs(ids, 50, 10);
    cr_assert_eq(env_commit(), 50);
    cr_expect_eq(env_stats().queue_size, 4);
    cr_expect_geq(env_stats().queue_pushes, 13, "%llu pushes",
                  (unsigned long long)env_stats().queue_pushes);
    cr_expect_eq(env_stats().n_hw, 50);
    cr_expect_eq(env_free_rules(), 78);
    for (unsigned i = 0; i < 50; i++) {
        snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
                 "dl_dst=02:00:00:00:%02x:%02x actions=output:vf2",
                 i >> 8, i & 0xff);
        env_mod(line);
    }
    cr_assert_eq(env_commit(), 100, "a create and a destroy per flow");
    cr_expect_eq(env_stats().n_hw, 50);
    cr_expect_eq(env_stats().rules_created, 100);
    cr_expect_eq(env_stats().rules_destroyed, 50);
    cr_expect_eq(env_free_rules(), 78, "the old rules are gone");
}

/* The new rule of a modify is refused in the batch: the old rule is still
 * in when the create is asked again, and goes once that succeeds; the
 * card ends with exactly the new one. */
Test(offload_queue, modify_refused_in_a_batch_is_asked_again)
{
    uint64_t id;

    env_flow_queue = 1024;
    env_start("full", false, true, "--max-rules", "16", NULL);
    id = env_add("priority=10,in_port=vf0 actions=output:vf1");
    cr_assert_eq(env_commit(), 1);
    cr_assert_eq(env_snic_fw("fault fail-next opcode=0x0410 count=1"), 0);
    env_mod("priority=10,in_port=vf0 actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().queue_refused, 1);
    env_expect(id, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().rules_destroyed, 1);
    cr_expect_eq(env_free_rules(), 15, "one rule: the new one");
}

/* A firmware reset with flows on two levels: resync puts each flow back
 * at the level it had, through the queue, and places no table again; the
 * card ends with exactly those rules, in the same order (the higher flow,
 * added last, still wins over the lower ones it overlaps). */
Test(offload_queue, resync_puts_every_flow_back_where_it_was)
{
    struct snicd_offload_stats s0, s;
    uint64_t lo[30], hi;
    char line[128];
    int placed;

    env_flow_queue = 16;
    env_start("full", true, true, "--max-rules", "128", NULL);
    for (unsigned i = 0; i < 30; i++) {
        snprintf(line, sizeof(line), "priority=10,in_port=vf0,ip,"
                 "nw_dst=10.0.0.%u actions=drop", i + 1);
        lo[i] = env_add(line);
    }
    hi = env_add("priority=20,in_port=vf0,ip,nw_dst=10.0.0.0/24 "
                 "actions=output:uplink");
    cr_assert_eq(env_commit(), 31);
    cr_expect_eq(env_send(4, 100, 0x0a000005, ENV_WIRE_PORT, NULL), 4);
    s0 = env_stats();

    cr_assert_eq(env_snic_fw("reset"), 0, "snic-fw reset");
    cr_assert(env_wait_reset(3000), "the PMD reported the reset");
    cr_expect_eq(env_send(4, 100, 0x0a000005, ENV_WIRE_PORT, NULL), 0,
                 "the card lost its rules");
    placed = snicd_offload_reset(env.o);
    cr_expect_eq(placed, 31, "resync placed %d", placed);
    env_check_counts();
    /* the lost rules' handles are freed after the flows are back */
    cr_expect_eq(snicd_offload_reap(env.o, 10), 21);
    cr_expect_eq(snicd_offload_reap(env.o, UINT32_MAX), 0);
    s = env_stats();
    env_expect(hi, SNICD_WHERE_HW, NULL);
    for (unsigned i = 0; i < 30; i++)
        env_expect(lo[i], SNICD_WHERE_HW, NULL);
    cr_expect_eq(s.reinstalled - s0.reinstalled, 31);
    cr_expect_eq(s.whole_tables, s0.whole_tables, "no table placed again");
    cr_expect_eq(s.rules_created - s0.rules_created, 31);
    cr_expect_geq(s.queue_pushes - s0.queue_pushes, 2, "in batches of the "
                  "queue's 16");
    cr_expect_eq(s.create_failures, s0.create_failures);
    cr_expect_eq(env_free_rules(), 128 - 31, "exactly the flows' rules");
    cr_expect_eq(env_send(4, 100, 0x0a000005, ENV_WIRE_PORT, NULL), 4,
                 "the higher flow wins again");
}

/* The card refuses the creates of the resync's batch, and one flow's
 * again when asked alone: that flow goes to software with the card's
 * reason, the lower flows it overlaps follow it (its table is placed
 * whole after all), the others are back; nothing is lost, and the next
 * retry puts everything in. */
Test(offload_queue, refusal_during_resync_leaves_no_flow_behind)
{
    struct snicd_offload_stats s0, s;
    uint64_t hi, lo[3], other;
    char line[96], buf[64];

    env_flow_queue = 1024;
    env_start("full", false, true, "--max-rules", "64", NULL);
    hi = env_add("priority=20,in_port=vf0 actions=output:vf2");
    for (unsigned i = 0; i < 3; i++) {
        snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
                 "dl_dst=02:00:00:00:00:%02x actions=output:vf1", i);
        lo[i] = env_add(line);
    }
    other = env_add("priority=5,in_port=vf3 actions=output:vf1");
    cr_assert_eq(env_commit(), 5);
    s0 = env_stats();

    cr_assert_eq(env_snic_fw("reset"), 0, "snic-fw reset");
    cr_assert(env_wait_reset(3000), "the PMD reported the reset");
    /* the five creates of the batch, then the first retry (the highest
     * flow's, the first result pulled) */
    cr_assert_eq(env_snic_fw("fault fail-next opcode=0x0410 count=6"), 0);
    cr_expect_eq(snicd_offload_reset(env.o), 1);
    env_check_counts();
    cr_expect_eq(snicd_offload_reap(env.o, UINT32_MAX), 0);
    s = env_stats();
    cr_expect_eq(s.queue_refused - s0.queue_refused, 5);
    cr_expect_gt(s.whole_tables, s0.whole_tables, "placed whole after all");
    env_expect(hi, SNICD_WHERE_SW, "injected fault");
    snprintf(buf, sizeof(buf), "shadowed by flow %llu",
             (unsigned long long)hi);
    for (unsigned i = 0; i < 3; i++)
        env_expect(lo[i], SNICD_WHERE_SW, buf);
    env_expect(other, SNICD_WHERE_HW, NULL);
    cr_expect_eq(s.n_hw, 1);
    cr_expect_eq(env_free_rules(), 63, "the card holds only the one that "
                 "stands");
    cr_expect_gt(snicd_offload_retry_failed(env.o), 0);
    env_expect(hi, SNICD_WHERE_HW, NULL);
    for (unsigned i = 0; i < 3; i++)
        env_expect(lo[i], SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_free_rules(), 59);
}

/* The queue's counter pool is every counter of the card but those kept
 * for rules made with rte_flow_create: an eighth on a small card, at
 * most 4,096 (a counted rule past the pool costs a round trip of its own,
 * at setup and after every firmware reset). */
Test(offload_queue, counter_pool_takes_nearly_every_counter)
{
    env_flow_queue = 1024;
    env_start("full", false, true, "--max-counters", "100000", NULL);
    cr_expect_eq(env_stats().queue_counters, 100000 - 4096, "%u counters",
                 env_stats().queue_counters);
}

Test(offload_queue, counter_pool_of_a_small_card)
{
    env_flow_queue = 1024;
    env_start("full", false, true, "--max-counters", "4096", NULL);
    cr_expect_eq(env_stats().queue_counters, 4096 - 512, "%u counters",
                 env_stats().queue_counters);
}

/* A flow queue that goes silent: the card's RULE_ADDs take 300 ms and the
 * PMD never waits in a pull (pull_wait=0), the manager waits 100 ms. It
 * gives up (dead, every flow to software, the reason said) and never pulls
 * that queue again: the card's late answers belong to operations given
 * up, whose records are reused and whose flows may be gone (two are
 * deleted meanwhile). None of them is taken for a rule in hardware. */
Test(offload_queue, queue_given_up_is_never_pulled_again)
{
    uint64_t ids[4];
    const char *why;

    env_flow_queue = 1024;
    env_pf_args = ",pull_wait=0";
    env_queue_timeout_ms = 100;
    env_start("full", false, true, NULL);
    cr_assert_eq(env_snic_fw("fault delay opcode=0x0410 value=300000 "
                             "count=0"), 0);
    add_macs(ids, 4, 10);
    cr_expect_eq(env_commit(), -EIO, "the manager gave up");
    why = snicd_offload_gave_up(env.o);
    cr_assert_not_null(why);
    cr_expect(strstr(why, "answered none of 4 operations in 100 ms") != NULL,
              "%s", why);
    for (unsigned i = 0; i < 4; i++)
        env_expect(ids[i], SNICD_WHERE_SW, "device not answering");
    env_del("priority=10,in_port=vf0,dl_dst=02:00:00:00:00:00");
    env_del("priority=10,in_port=vf0,dl_dst=02:00:00:00:00:01");
    /* the card answers all four meanwhile */
    usleep(1500 * 1000);
    cr_assert_eq(env_snic_fw("fault clear count=0"), 0);
    cr_expect_eq(env_commit(), -EIO, "still dead until a re-attach");
    cr_expect_eq(env_stats().rules_created, 0, "a late answer was taken "
                 "for a rule in hardware");
    for (unsigned i = 2; i < 4; i++)
        env_expect(ids[i], SNICD_WHERE_SW, "device not answering");
}
