/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conjunctions on the card (snicd_offload_conj.c, docs/snicd.md
 * "Conjunctions on the card"), against a real emunic with frames: the
 * combination rules forward and count what completes the conjunction, a
 * frame that fails a clause meets the lower flow, the conj_id flow's
 * counters are its combinations' sum and survive a re-derivation, a
 * change of a clause re-derives the rules, and a conjunction that loses
 * its conditions goes back to software with the reason.
 */
#include <errno.h>
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

TestSuite(offload_conj, .fini = stop, .timeout = 60);

/* The hardware totals of the flows reported so far (a read reports only
 * the flows whose counters moved, on net_emunic). */
#define MAX_SEEN 16
static uint64_t seen_id[MAX_SEEN], seen_pkts[MAX_SEEN];
static unsigned n_seen;

static void
count_cb(void *ctx, uint64_t id, uint64_t pkts, uint64_t bytes)
{
    unsigned i = 0;

    (void)ctx;
    (void)bytes;
    while (i < n_seen && seen_id[i] != id)
        i++;
    if (i == MAX_SEEN)
        return;
    if (i == n_seen)
        seen_id[n_seen++] = id;
    seen_pkts[i] = pkts;
}

static uint64_t
hw_pkts(uint64_t id)
{
    bool moved_only;

    cr_assert_geq(snicd_offload_read_counters(env.o, count_cb, NULL,
                                              &moved_only), 0);
    for (unsigned i = 0; i < n_seen; i++)
        if (seen_id[i] == id)
            return seen_pkts[i];
    return 0;
}

Test(offload_conj, combinations_forward_count_and_follow_changes)
{
    uint64_t c1a, c1b, c2, target, lower;
    unsigned before, rules;
    const char *why;

    env_start("full", true, true, "--max-rules", "100", NULL);
    before = env_free_rules();
    c1a = env_add("priority=50,in_port=vf0,ip,nw_dst=10.0.0.1 "
                  "actions=conjunction(7,1/2)");
    c1b = env_add("priority=50,in_port=vf0,ip,nw_dst=10.0.0.2 "
                  "actions=conjunction(7,1/2)");
    c2 = env_add("priority=50,udp actions=conjunction(7,2/2)");
    target = env_add("priority=50,conj_id=7 actions=output:uplink");
    lower = env_add("priority=10,in_port=vf0,ip actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_expect(target, SNICD_WHERE_HW, "conjunction 7: in hardware as 2 "
               "combination rules");
    env_expect(c1a, SNICD_WHERE_HW, "clause of conjunction 7: in hardware "
               "through its 2 combinations");
    env_expect(c1b, SNICD_WHERE_HW, "clause of conjunction 7");
    env_expect(c2, SNICD_WHERE_HW, "clause of conjunction 7");
    env_expect(lower, SNICD_WHERE_HW, NULL);
    /* two combinations and the lower flow: three rules, no clause rule */
    rules = before - env_free_rules();
    cr_expect_eq(rules, 3, "%u rules on the card", rules);

    /* what completes the conjunction leaves on the wire, counted by the
     * combinations; a frame failing clause 1 meets the lower flow */
    cr_expect_eq(env_send(10, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 10);
    cr_expect_eq(env_send(5, 100, 0x0a000002, ENV_WIRE_PORT, NULL), 5);
    cr_expect_eq(env_send(4, 100, 0x0a000003, ENV_WIRE_PORT, NULL), 0,
                 "a frame failing a clause must reach the lower flow");
    cr_expect_eq(hw_pkts(target), 15);
    cr_expect_eq(hw_pkts(lower), 4);

    /* a clause goes: its combination goes, the total stays */
    env_del("priority=50,in_port=vf0,ip,nw_dst=10.0.0.2");
    cr_assert_geq(env_commit(), 0);
    env_expect(target, SNICD_WHERE_HW, "as 1 combination rules");
    cr_expect_eq(env_send(3, 100, 0x0a000002, ENV_WIRE_PORT, NULL), 0,
                 "the deleted clause's combination still forwards");
    cr_expect_eq(env_send(2, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 2);
    cr_expect_eq(hw_pkts(target), 17);
    cr_expect_eq(before - env_free_rules(), 2);

    /* a clause at another priority: the whole conjunction to software,
     * saying why; its frames reach the representor (software) */
    env_add("priority=40,in_port=vf0,ip,nw_dst=10.0.0.5 "
            "actions=conjunction(7,1/2)");
    cr_assert_geq(env_commit(), 0);
    /* the oldest clause has no cause of its own: the conjunction's; the
     * others are shadowed by it (same priority, older) */
    env_where(c1a, &why);
    cr_expect(strstr(why, "clause of conjunction 7 not offloaded: clause "
                     "flows at priorities 50 and 40") != NULL,
              "clause 1's reason: %s", why);
    env_expect(target, SNICD_WHERE_SW, NULL);
    cr_expect_eq(env_send(2, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 0);
    cr_expect_eq(env_send(2, 100, 0x0a000001, 1, NULL), 2,
                 "software's frames reach vf0's representor");
    cr_expect_eq(hw_pkts(target), 17, "what the rules counted stays");
    /* the lower flow overlaps the software clause flows: rule 1 */
    env_expect(lower, SNICD_WHERE_SW, "shadowed");
}

/* A clause flow of a conjunction in software with an exact in_port could
 * be offloaded partially: its rule would mark the packet with the clause
 * flow, and software would run the clause's actions instead of looking
 * the table up (a frame that completes no conjunction would then be
 * dropped rather than meet the flow below). It stays in software whole. */
Test(offload_conj, a_clause_in_software_is_never_partial)
{
    uint64_t c1, c1b, c2;
    uint32_t mark = 0;

    env_start("full", true, true, "--max-rules", "100", NULL);
    c1 = env_add("priority=50,in_port=vf0 actions=conjunction(8,1/2)");
    c1b = env_add("priority=60,in_port=vf1 actions=conjunction(8,1/2)");
    c2 = env_add("priority=50,udp,tp_dst=80 actions=conjunction(8,2/2)");
    env_add("priority=50,conj_id=8 actions=output:uplink");
    env_add("priority=10,in_port=vf0 actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    env_expect(c1, SNICD_WHERE_SW, "clause of conjunction 8 not offloaded");
    env_expect(c1b, SNICD_WHERE_SW, NULL);
    env_expect(c2, SNICD_WHERE_SW, NULL);
    /* no rule answers for the clauses: vf0's frames reach software
     * unmarked, for a lookup of the table, not marked with a clause */
    cr_expect_eq(env_send(3, 100, 0x0a000001, 1, &mark), 3,
                 "frames of the clauses' ports reach software");
    cr_expect_eq(mark, 0, "a frame marked %" PRIu32 " for a clause flow",
                 mark);
}

Test(offload_conj, an_ordinary_flow_of_the_same_priority_wins)
{
    uint64_t target, same;

    env_start("full", true, true, NULL);
    env_add("priority=50,in_port=vf0,ip actions=conjunction(3,1/2)");
    env_add("priority=50,udp actions=conjunction(3,2/2)");
    target = env_add("priority=50,conj_id=3 actions=output:uplink");
    /* older or younger, an ordinary flow at the clauses' priority beats
     * the conjunction (clauses count only above the best ordinary flow) */
    same = env_add("priority=50,in_port=vf0,ip,nw_dst=10.0.0.9 "
                   "actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_expect(target, SNICD_WHERE_HW, NULL);
    env_expect(same, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_send(3, 100, 0x0a000009, ENV_WIRE_PORT, NULL), 0,
                 "the ordinary flow of the same priority must win");
    cr_expect_eq(env_send(3, 100, 0x0a000008, ENV_WIRE_PORT, NULL), 3);
}

Test(offload_conj, too_many_combinations_stay_in_software)
{
    char line[128];
    uint64_t target;
    const char *why;

    env_start("full", false, true, NULL);
    for (unsigned d = 1; d <= 2; d++)
        for (unsigned i = 0; i < 9; i++) {
            snprintf(line, sizeof(line), "priority=5,ip,nw_%s=10.0.%u.%u "
                     "actions=conjunction(1,%u/2)", d == 1 ? "src" : "dst",
                     d, i, d);
            env_add(line);
        }
    target = env_add("priority=5,conj_id=1 actions=output:uplink");
    cr_assert_geq(env_commit(), 0);
    env_expect(target, SNICD_WHERE_SW, NULL);
    /* the oldest clause, which nothing shadows, names the limit */
    env_where(target - 18, &why);
    cr_expect(strstr(why, "81 combinations, more than the limit of 64")
              != NULL, "the first clause's reason: %s", why);
}

/* The derivation gets only the flows it reads (snicd_offload_conj.c,
 * #13): the members and the flows overlapping a clause. An ordinary flow
 * below the clauses that overlaps a combination and beats the conj_id
 * flow must still keep the conjunction in software; a flow far from
 * every clause changes nothing. */
Test(offload_conj, a_lower_flow_beating_the_conj_id_flow_is_seen)
{
    uint64_t c1, target, beater;
    char want[160];
    const char *why;

    env_start("full", true, true, NULL);
    c1 = env_add("priority=50,in_port=vf0,ip actions=conjunction(4,1/2)");
    env_add("priority=50,udp actions=conjunction(4,2/2)");
    target = env_add("priority=5,conj_id=4 actions=output:uplink");
    env_add("priority=30,in_port=vf1,arp actions=drop");
    beater = env_add("priority=20,ip,nw_dst=10.0.0.9 actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_expect(target, SNICD_WHERE_SW, NULL);
    snprintf(want, sizeof(want), "flow %" PRIu64 " (priority 20) overlaps a "
             "combination and beats the conj_id flow", beater);
    env_where(c1, &why);
    cr_expect(strstr(why, want) != NULL, "the first clause's reason: %s",
              why);
}
