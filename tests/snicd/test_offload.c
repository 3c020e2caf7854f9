/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager against a real emunic through net_emunic: where flows
 * go (hw / partial / sw and why) under the full, basic and tiny profiles,
 * shadowing (docs/snicd.md rule 1), priority levels (rule 2), a full table
 * and the move back, resume marks, counters after real packets, resync
 * after a firmware reset, a port that goes away. Each test runs in its own
 * process (Criterion's default) with its own card and EAL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rte_log.h>

#include "snicd_log.h"
#include "snicd_offload_priv.h"
#include "test_offload_env.h"

static void
stop(void)
{
    env_stop();
}

TestSuite(offload, .fini = stop, .timeout = 40);

static const struct snicd_mark *
find_mark(uint64_t id)
{
    for (unsigned i = 0; i < env.n_marks; i++)
        if (env.marks[i].flow_id == id)
            return &env.marks[i];
    return NULL;
}

Test(offload, full_profile_places_each_kind)
{
    struct snicd_offload_stats st;
    uint64_t hw, part, sw_inport, sw_arp, go, sw_tun;
    const struct snicd_mark *m;

    env_start("full", false, true, NULL);
    hw = env_add("priority=100,in_port=vf0,ip,nw_dst=10.0.0.1 "
                 "actions=output:vf1");
    /* the PMD has no SET_IPV4_DSCP: only an action is refused */
    part = env_add("priority=90,in_port=vf1,ip "
                   "actions=mod_nw_tos:0x20,output:vf2");
    sw_inport = env_add("priority=80,ip,nw_src=10.9.0.0/16 "
                        "actions=output:vf1");
    sw_arp = env_add("priority=70,in_port=vf3,arp,nw_dst=10.0.0.1 "
                     "actions=output:uplink");
    go = env_add("priority=95,in_port=vf2 actions=goto_table:3");
    /* overlaps the software flows above it: shadowed before it is asked */
    sw_tun = env_add("priority=50,tun_id=7 actions=output:vf0");
    env_expect(hw, SNICD_WHERE_SW, "pending commit");
    cr_assert_geq(env_commit(), 0);

    env_expect(hw, SNICD_WHERE_HW, NULL);
    env_expect(part, SNICD_WHERE_PARTIAL, "partial: refused by the device");
    env_expect(sw_inport, SNICD_WHERE_SW, "needs an exact in_port match");
    env_expect(sw_arp, SNICD_WHERE_SW, "ARP fields");
    env_expect(go, SNICD_WHERE_HW, NULL);
    /* no tunnel port here: nothing can carry tun_id 7 */
    env_expect(sw_tun, SNICD_WHERE_SW, "matches only decapsulated frames");

    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.hw_levels, 16, "full profile: 16 priorities");
    cr_expect_eq(st.hw_tags, 8, "full profile: 8 TAG registers");
    cr_expect_eq(st.n_hw, 2);
    cr_expect_eq(st.n_partial, 1);
    cr_expect_eq(st.n_sw, 3);
    cr_expect_eq(st.rules_created, 3);

    /* marks: one partial, one resume at the goto target */
    cr_expect_geq(env.marks_calls, 1);
    cr_expect_eq(env.n_marks, 2);
    m = find_mark(part);
    cr_assert_not_null(m);
    cr_expect_eq(m->kind, SNICD_MARK_PARTIAL);
    m = find_mark(go);
    cr_assert_not_null(m);
    cr_expect_eq(m->kind, SNICD_MARK_RESUME);
    cr_expect_eq(m->table, 3);
    cr_expect_neq(find_mark(part)->mark, m->mark);

    /* a modify that makes the action offloadable re-installs it as hw */
    env_add("priority=90,in_port=vf1,ip actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    env_expect(part, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env.n_marks, 1, "the partial mark was withdrawn");
}

Test(offload, basic_profile_refusals_and_validate_cache)
{
    struct snicd_offload_stats st;
    uint64_t v6, pre, pre_bad, mac, ids[100];
    char line[256];

    env_start("basic", false, true, NULL);
    v6 = env_add("priority=10,in_port=vf0,ipv6,ipv6_dst=2001:db8::1 "
                 "actions=output:vf1");
    pre = env_add("priority=10,in_port=vf0,ip,nw_dst=10.1.0.0/16 "
                  "actions=output:vf1");
    pre_bad = env_add("priority=10,in_port=vf0,ip,"
                      "nw_dst=10.1.0.1/255.0.255.0 actions=output:vf1");
    mac = env_add("priority=10,in_port=vf1 "
                  "actions=mod_dl_dst:02:00:00:00:00:01,output:vf2");
    for (unsigned i = 0; i < 100; i++) {
        snprintf(line, sizeof(line), "priority=20,in_port=vf2,udp,"
                 "nw_dst=10.2.%u.%u,tp_dst=%u actions=output:uplink",
                 i / 200, i % 200, 1000 + i);
        ids[i] = env_add(line);
    }
    cr_assert_geq(env_commit(), 0);
    env_expect(v6, SNICD_WHERE_SW, "refused by the device");
    env_expect(pre, SNICD_WHERE_HW, NULL);
    env_expect(pre_bad, SNICD_WHERE_SW, "prefix");
    env_expect(mac, SNICD_WHERE_PARTIAL, "partial");
    for (unsigned i = 0; i < 100; i++)
        env_expect(ids[i], SNICD_WHERE_HW, NULL);

    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.hw_levels, 4);
    cr_expect_eq(st.hw_tags, 0, "basic profile: no TAG registers");
    /* 100 flows of one shape: one question to the device */
    cr_expect_leq(st.validate_calls, 8, "validate_calls %llu",
                  (unsigned long long)st.validate_calls);
    cr_expect_geq(st.validate_cache_hits, 99);
}

/* An equal priority shadows too (the older flow wins ties): the reason
 * must not claim a higher priority. */
/* The card's registers (docs/snicd.md, "Registers and pkt_mark"): probed
 * TAG count, TAG/META in rules, a register write before a jump partial. */
Test(offload, registers_on_the_card)
{
    uint64_t m, wr, pm, r9;

    env_start("full", false, true, NULL);
    m = env_add("table=1,priority=10,in_port=vf0,reg0=0,pkt_mark=0x7 "
                "actions=set_field:0x2->reg3,output:vf1");
    wr = env_add("priority=10,in_port=vf1 actions=set_field:1->reg0,"
                 "goto_table:1");
    pm = env_add("priority=10,in_port=vf2 actions=set_field:0x7->pkt_mark,"
                 "goto_table:1");
    r9 = env_add("priority=10,in_port=vf3,reg9=0 actions=output:vf0");
    cr_assert_geq(env_commit(), 0);
    env_expect(m, SNICD_WHERE_HW, NULL);
    env_expect(wr, SNICD_WHERE_PARTIAL, "partial: write to reg0 before "
               "jumping to table 1 not offloaded");
    env_expect(pm, SNICD_WHERE_HW, NULL);
    env_expect(r9, SNICD_WHERE_SW, "match on reg9 not offloaded (the card "
               "has 8 TAG registers, mapped to reg0..reg7)");
}

/* No hardware flow writes a register before a jump into table 1, so on
 * the card every register is 0 there: a flow that needs a register bit
 * at 1 takes no packet on the card. It gets no rule and shadows nothing
 * (the card has no packet it could give a later flow instead), so the
 * later overlapping flows stay in hardware. */
Test(offload, register_value_no_hardware_flow_writes_matches_nothing)
{
    struct snicd_offload_stats st;
    uint64_t a, m, z, b, r9;

    env_start("full", false, true, NULL);
    /* without an exact in_port it would be software and shadow b */
    a = env_add("table=1,priority=20,reg2=5 actions=output:vf2");
    m = env_add("table=1,priority=15,in_port=vf1,reg3=0x10/0x30 "
                "actions=output:vf3");
    z = env_add("table=1,priority=12,in_port=vf1,reg2=0 actions=output:vf3");
    b = env_add("table=1,priority=10,in_port=vf1 actions=output:vf0");
    r9 = env_add("priority=10,in_port=vf3,reg9=1 actions=output:vf0");
    cr_assert_geq(env_commit(), 0);
    env_expect(a, SNICD_WHERE_SW, "matches reg2=0x5, which no hardware "
               "flow writes before table 1: no packet on the card can "
               "match it");
    env_expect(m, SNICD_WHERE_SW, "matches reg3=0x10/0x30, which no "
               "hardware flow writes before table 1");
    env_expect(z, SNICD_WHERE_HW, NULL);
    env_expect(b, SNICD_WHERE_HW, NULL);
    env_expect(r9, SNICD_WHERE_SW, "matches reg9=0x1, which no hardware "
               "flow writes before table 0");
    st = env_stats();
    cr_expect_eq(st.rules_created, 2, "rules for z and b only: %llu",
                 (unsigned long long)st.rules_created);
}

/* A register write before a jump is whole on the card while no packet
 * can reach software from the target table on (every flow there whole in
 * hardware, with a catch-all), and partial again, in the same commit,
 * when one can: a flow there in software or partial, the catch-all
 * gone. The flows its write makes reachable follow (step 1 above). */
Test(offload, register_write_before_jump_whole_while_the_target_is_sealed)
{
    const char *catch = "table=1,priority=0 actions=drop";
    const char *spoil = "table=1,priority=30,in_port=vf3,ip "
                        "actions=mod_nw_tos:0x20,output:vf2";
    const char *wline = "priority=10,in_port=vf1 actions=set_field:5->reg2,"
                        "goto_table:1";
    uint64_t wr, a, n, c, sp;
    struct snicd_offload_stats st;
    const struct snicd_mark *m;

    env_start("full", false, true, NULL);
    wr = env_add(wline);
    a = env_add("table=1,priority=20,in_port=vf1,reg2=5 actions=output:vf2");
    n = env_add("table=1,priority=20,in_port=vf1,reg4=5 actions=output:vf3");
    c = env_add(catch);
    cr_assert_geq(env_commit(), 0);
    env_expect(wr, SNICD_WHERE_HW, NULL);
    env_expect(a, SNICD_WHERE_HW, NULL);
    env_expect(n, SNICD_WHERE_SW, "matches reg4=0x5, which no hardware "
               "flow writes before table 1");
    env_expect(c, SNICD_WHERE_HW, NULL);
    st = env_stats();
    cr_expect_eq(st.reg_let_through, 1);
    m = find_mark(wr);
    cr_assert_not_null(m, "the writer keeps its resume mark");
    cr_expect_eq(m->kind, SNICD_MARK_RESUME);

    /* a flow of table 1 goes partial: the writer first */
    sp = env_add(spoil);
    cr_assert_geq(env_commit(), 0);
    env_expect(sp, SNICD_WHERE_PARTIAL, NULL);
    env_expect(wr, SNICD_WHERE_PARTIAL, "write to reg2 before jumping to "
               "table 1 not offloaded (flow");
    env_expect(wr, SNICD_WHERE_PARTIAL, "of table 1 is partial, so a "
               "packet can reach software from there");
    env_expect(a, SNICD_WHERE_HW, NULL);
    st = env_stats();
    cr_expect_eq(st.reg_held_back, 1);
    m = find_mark(wr);
    cr_assert_not_null(m);
    cr_expect_eq(m->kind, SNICD_MARK_PARTIAL);

    /* and back */
    env_del(spoil);
    cr_assert_geq(env_commit(), 0);
    env_expect(wr, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().reg_let_through, 2);

    /* no catch-all: a miss in table 1 would reach software */
    env_del(catch);
    cr_assert_geq(env_commit(), 0);
    env_expect(wr, SNICD_WHERE_PARTIAL, "table 1 has no catch-all flow in "
               "hardware");
    cr_expect_eq(env_stats().reg_held_back, 2);
    /* still a writer with a rule: its write may reach table 1 later */
    env_expect(a, SNICD_WHERE_HW, NULL);

    /* no writer at all: reg2=5 matches nothing on the card */
    env_del(wline);
    cr_assert_geq(env_commit(), 0);
    env_expect(a, SNICD_WHERE_SW, "matches reg2=0x5, which no hardware "
               "flow writes before table 1");
    /* a writer again, the catch-all again: all of it back */
    wr = env_add(wline);
    c = env_add(catch);
    cr_assert_geq(env_commit(), 0);
    env_expect(a, SNICD_WHERE_HW, NULL);
    env_expect(wr, SNICD_WHERE_HW, NULL);
}

/* NORMAL in the target never seals it, even where the flow is in
 * hardware (its unlearned destinations are software's). */
Test(offload, register_writer_into_a_table_with_normal_stays_partial)
{
    uint64_t wr, nf;

    env_start("full", false, true, NULL);
    wr = env_add("priority=10,in_port=vf1 actions=set_field:5->reg2,"
                 "goto_table:1");
    nf = env_add("table=1,priority=10,in_port=vf1,reg2=5 actions=NORMAL");
    env_add("table=1,priority=0 actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_expect(wr, SNICD_WHERE_PARTIAL, "write to reg2 before jumping to "
               "table 1 not offloaded (flow");
    if (env_where(nf, NULL) == SNICD_WHERE_HW)
        env_expect(wr, SNICD_WHERE_PARTIAL, "uses NORMAL, whose unlearned "
                   "destinations are software's");
    cr_expect_eq(env_stats().reg_let_through, 0);
}

/* Through a chain: a writer into table 1, whose writer into table 2 must
 * be whole first; a change in table 2 takes both back, the later writer's
 * table being no longer sealed. */
Test(offload, register_writers_in_a_chain)
{
    const char *spoil = "table=2,priority=30,in_port=vf3,ip "
                        "actions=mod_nw_tos:0x20,output:vf2";
    uint64_t w0, w1, a;

    env_start("full", false, true, NULL);
    w0 = env_add("priority=10,in_port=vf1 actions=set_field:5->reg2,"
                 "goto_table:1");
    w1 = env_add("table=1,priority=10,in_port=vf1,reg2=5 "
                 "actions=set_field:6->reg3,resubmit(,2)");
    env_add("table=1,priority=0 actions=drop");
    a = env_add("table=2,priority=10,in_port=vf1,reg2=5,reg3=6 "
                "actions=output:vf2");
    env_add("table=2,priority=0 actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_expect(w1, SNICD_WHERE_HW, NULL);
    env_expect(w0, SNICD_WHERE_HW, NULL);
    env_expect(a, SNICD_WHERE_HW, NULL);
    env_add(spoil);
    cr_assert_geq(env_commit(), 0);
    env_expect(w1, SNICD_WHERE_PARTIAL, "of table 2 is partial");
    env_expect(w0, SNICD_WHERE_PARTIAL, "of table 1 is partial");
    cr_expect_eq(env_stats().reg_held_back, 2);
    env_del(spoil);
    cr_assert_geq(env_commit(), 0);
    env_expect(w1, SNICD_WHERE_HW, NULL);
    env_expect(w0, SNICD_WHERE_HW, NULL);
}

/* The rules a commit made, in order: snicd's debug trace ("rule
 * installed: flow create ...") captured from rte_log. */
static char *trace;
static size_t trace_len;
static FILE *trace_f;

static void
trace_start(void)
{
    free(trace);
    trace = NULL;
    trace_f = open_memstream(&trace, &trace_len);
    cr_assert_not_null(trace_f);
    cr_assert_eq(rte_openlog_stream(trace_f), 0);
    rte_log_set_global_level(RTE_LOG_DEBUG);
    snicd_log_set_level(SNICD_LOG_DEBUG);
}

static void
trace_stop(void)
{
    snicd_log_set_level(SNICD_LOG_INFO);
    (void)rte_openlog_stream(stderr);
    fclose(trace_f);
}

/* The position of the first rule made whose testpmd line has @a and
 * (if not NULL) @b and not @not, or -1. */
static long
made_at(const char *a, const char *b, const char *not)
{
    const char *p = trace;

    while (p != NULL && (p = strstr(p, "rule installed: flow create"))) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char line[2048];

        snprintf(line, sizeof(line), "%.*s", (int)n, p);
        if (strstr(line, a) && (b == NULL || strstr(line, b)) &&
            (not == NULL || !strstr(line, not)))
            return p - trace;
        p += n;
    }
    return -1;
}

/* Make before break (docs/snicd.md, "Registers and pkt_mark"): the
 * writer's whole rule comes after every rule of its target's table, and
 * its partial rule before the rule that unseals the table. */
Test(offload, register_writer_rules_in_a_safe_order)
{
    long whole, a, c, part, sp;

    env_start("full", false, true, NULL);
    trace_start();
    env_add("priority=10,in_port=vf1 actions=set_field:5->reg2,"
            "goto_table:1");
    env_add("table=1,priority=20,in_port=vf1,reg2=5 actions=output:vf2");
    env_add("table=1,priority=0 actions=drop");
    cr_assert_geq(env_commit(), 0);
    trace_stop();
    whole = made_at("set_tag", "jump group 1", NULL);
    a = made_at(" group 1 ", " tag ", NULL);
    c = made_at(" group 1 ", " drop", " tag ");
    cr_assert(whole >= 0 && a >= 0 && c >= 0, "rules made: %s", trace);
    cr_expect(a < whole && c < whole, "the whole writer came before the "
              "rules of its target: %s", trace);

    trace_start();
    env_add("table=1,priority=30,in_port=vf3,ip "
            "actions=mod_nw_tos:0x20,output:vf2");
    cr_assert_geq(env_commit(), 0);
    trace_stop();
    part = made_at("port_representor", NULL, " group ");
    sp = made_at(" group 1 ", "port_representor", NULL);
    cr_assert(part >= 0 && sp >= 0, "rules made: %s", trace);
    cr_expect(part < sp, "the partial table-1 flow came before the writer "
              "went partial: %s", trace);
    free(trace);
    trace = NULL;
}

Test(offload, registers_without_the_card_support)
{
    uint64_t tag, meta, set;

    env_start("basic", false, true, NULL);
    tag = env_add("priority=10,in_port=vf0,reg0=0 actions=output:vf1");
    meta = env_add("priority=10,in_port=vf1,pkt_mark=1 actions=output:vf2");
    set = env_add("priority=10,in_port=vf2 actions=set_field:1->pkt_mark,"
                  "output:vf1");
    cr_assert_geq(env_commit(), 0);
    env_expect(tag, SNICD_WHERE_SW, "the device has no TAG registers");
    env_expect(meta, SNICD_WHERE_SW, "refused by the device");
    env_expect(set, SNICD_WHERE_PARTIAL, "refused by the device");
}

Test(offload, shadowed_by_an_equal_priority_says_so)
{
    uint64_t a, b;

    env_start("full", false, true, NULL);
    a = env_add("priority=100,in_port=vf0,arp,nw_dst=10.0.0.1 "
                "actions=output:vf1");
    b = env_add("priority=100,in_port=vf0 actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    env_expect(a, SNICD_WHERE_SW, "ARP fields");
    env_expect(b, SNICD_WHERE_SW, "(same priority, older: it wins ties");
}

Test(offload, shadowing_keeps_priority_safety)
{
    uint64_t a, b, c, d;

    env_start("full", false, true, NULL);
    /* a: software (ARP fields), overlaps every vf0 ARP packet */
    a = env_add("priority=200,in_port=vf0,arp,nw_dst=10.0.0.1 "
                "actions=output:vf1");
    /* b overlaps a (any vf0 packet): must follow it into software */
    b = env_add("priority=100,in_port=vf0 actions=output:vf2");
    /* c: different in_port, no overlap: stays in hardware */
    c = env_add("priority=100,in_port=vf1 actions=output:vf2");
    /* d: vf0 IPv4 only; ARP and IPv4 never overlap */
    d = env_add("priority=150,in_port=vf0,ip actions=output:vf3");
    cr_assert_geq(env_commit(), 0);
    env_expect(a, SNICD_WHERE_SW, "ARP fields");
    env_expect(b, SNICD_WHERE_SW, "(higher priority, overlapping");
    env_expect(c, SNICD_WHERE_HW, NULL);
    env_expect(d, SNICD_WHERE_HW, NULL);

    /* the software flow goes: the shadowed one moves to hardware */
    env_del("priority=200,in_port=vf0,arp,nw_dst=10.0.0.1");
    cr_assert_geq(env_commit(), 0);
    env_expect(b, SNICD_WHERE_HW, NULL);
    env_expect(c, SNICD_WHERE_HW, NULL);
    env_expect(d, SNICD_WHERE_HW, NULL);
}

Test(offload, overlapping_priorities_beyond_levels)
{
    uint64_t p30, p20, p10, other;

    /* tiny: 2 priority levels */
    env_start("tiny", false, true, NULL);
    p30 = env_add("priority=30,in_port=vf0,dl_dst=02:00:00:00:00:01 "
                  "actions=output:vf1");
    p20 = env_add("priority=20,in_port=vf0 actions=output:vf2");
    p10 = env_add("priority=10,dl_dst=02:00:00:00:00:01,in_port=vf0 "
                  "actions=drop");
    /* overlaps nothing above it: level 0 whatever its priority */
    other = env_add("priority=5,in_port=vf1 actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    env_expect(p30, SNICD_WHERE_HW, NULL);
    env_expect(p20, SNICD_WHERE_HW, NULL);
    env_expect(p10, SNICD_WHERE_SW, "needs hardware level 2");
    env_expect(other, SNICD_WHERE_HW, NULL);
}

Test(offload, tiny_table_full_then_move_back)
{
    struct snicd_offload_stats st;
    uint64_t ids[80];
    char line[128];
    unsigned hw = 0, nospace = 0;
    const char *reason;

    env_start("tiny", false, true, NULL);
    for (unsigned i = 0; i < 80; i++) {
        snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
                 "dl_dst=02:00:00:00:01:%02x actions=output:vf1", i);
        ids[i] = env_add(line);
    }
    cr_assert_geq(env_commit(), 0, "a full device is not an error");
    for (unsigned i = 0; i < 80; i++) {
        enum snicd_where w = env_where(ids[i], &reason);

        hw += w == SNICD_WHERE_HW;
        nospace += w == SNICD_WHERE_SW && strstr(reason, "ENOSPC") != NULL;
    }
    cr_expect_eq(hw, 64, "the tiny card holds 64 rules (%u hw)", hw);
    cr_expect_eq(nospace, 16, "the rest wait in software (%u)", nospace);
    snicd_offload_get_stats(env.o, &st);
    cr_expect_geq(st.create_failures, 16);

    /* free 20 hardware slots: every waiting flow moves back */
    for (unsigned i = 0, freed = 0; i < 80 && freed < 20; i++) {
        if (env_where(ids[i], NULL) != SNICD_WHERE_HW)
            continue;
        snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
                 "dl_dst=02:00:00:00:01:%02x", i);
        env_del(line);
        ids[i] = 0;
        freed++;
    }
    cr_assert_geq(env_commit(), 0);
    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.n_hw, 60, "%llu hw after the deletes",
                 (unsigned long long)st.n_hw);
    cr_expect_eq(st.n_sw, 0);
    for (unsigned i = 0; i < 80; i++)
        if (ids[i] != 0)
            env_expect(ids[i], SNICD_WHERE_HW, NULL);
}

/* A full device and a new higher-priority flow that overlaps every flow in
 * it: the new flow finds no room, so (rule 1) every flow it overlaps must
 * leave hardware too, which frees the room. The same commit must then
 * keep the best set in hardware (the new flow and all but one of the
 * others), not leave the device empty until some unrelated change. */
Test(offload, full_device_keeps_the_best_set)
{
    struct snicd_offload_stats st;
    uint64_t ids[64], top;
    char line[128];
    const char *reason;
    unsigned hw = 0, nospace = 0;

    env_start("tiny", false, true, NULL);
    for (unsigned i = 0; i < 64; i++) {
        snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
                 "dl_dst=02:00:00:00:01:%02x actions=output:vf1", i);
        ids[i] = env_add(line);
    }
    cr_assert_geq(env_commit(), 0);
    snicd_offload_get_stats(env.o, &st);
    cr_assert_eq(st.n_hw, 64, "the tiny card is full (%llu hw)",
                 (unsigned long long)st.n_hw);

    top = env_add("priority=20,in_port=vf0 actions=output:vf2");
    cr_assert_geq(env_commit(), 0, "a full device is not an error");
    env_expect(top, SNICD_WHERE_HW, NULL);
    for (unsigned i = 0; i < 64; i++) {
        enum snicd_where w = env_where(ids[i], &reason);

        hw += w == SNICD_WHERE_HW;
        nospace += w == SNICD_WHERE_SW && strstr(reason, "ENOSPC") != NULL;
    }
    cr_expect_eq(hw, 63, "63 of the 64 stay in hardware below it (%u)", hw);
    cr_expect_eq(nospace, 1, "the last waits for room (%u)", nospace);
    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.n_hw, 64, "the card is used whole (%llu hw)",
                 (unsigned long long)st.n_hw);
    cr_expect_geq(st.place_rounds, 1, "a second pass used the freed room");

    /* room comes back: the waiting flow takes it at the next retry, with
     * no change to the flow table */
    snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
             "dl_dst=02:00:00:00:01:%02x", 0);
    for (unsigned i = 0; i < 64; i++)
        if (env_where(ids[i], NULL) == SNICD_WHERE_HW) {
            snprintf(line, sizeof(line), "priority=10,in_port=vf0,"
                     "dl_dst=02:00:00:00:01:%02x", i);
            ids[i] = 0;
            break;
        }
    env_del(line);
    cr_assert_geq(env_commit(), 0);
    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.n_hw, 64, "the deleted flow's room went to the waiting "
                 "one (%llu hw)", (unsigned long long)st.n_hw);
    cr_expect_eq(st.n_sw, 0);
}

struct seen {
    uint64_t id, pkts, bytes;
    unsigned calls;
};

static void
count_cb(void *ctx, uint64_t id, uint64_t pkts, uint64_t bytes)
{
    struct seen *s = ctx;

    if (id == s->id) {
        s->pkts = pkts;
        s->bytes = bytes;
        s->calls++;
    }
}

Test(offload, counters_marks_and_traffic)
{
    struct seen s = { 0 };
    uint64_t fwd, part;
    bool moved_only;
    const struct snicd_mark *m;
    uint32_t mark;

    env_start("full", true, true, NULL);
    fwd = env_add("priority=10,in_port=vf0,ip,nw_dst=10.0.0.1 "
                  "actions=output:uplink");
    part = env_add("priority=10,in_port=vf0,ip,nw_dst=10.0.0.2 "
                   "actions=mod_nw_tos:0x20,output:uplink");
    cr_assert_geq(env_commit(), 0);
    env_expect(fwd, SNICD_WHERE_HW, NULL);
    env_expect(part, SNICD_WHERE_PARTIAL, NULL);

    /* hardware forwards VF 0 -> wire and counts */
    cr_expect_eq(env_send(10, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 10);
    s.id = fwd;
    cr_assert_geq(snicd_offload_read_counters(env.o, count_cb, &s,
                                              &moved_only), 1);
    cr_expect_eq(s.calls, 1);
    cr_expect_eq(s.pkts, 10);
    cr_expect_eq(s.bytes, 1000);

    /* partial: the packet reaches the ingress representor with the mark */
    cr_expect_eq(env_send(3, 80, 0x0a000002, 1, &mark), 3);
    m = find_mark(part);
    cr_assert_not_null(m);
    cr_expect_eq(mark, m->mark, "mark %u on the representor, want %u", mark,
                 m->mark);
    cr_expect_eq(env_send(2, 80, 0x0a000002, ENV_WIRE_PORT, NULL), 0,
                 "nothing of a partial flow reaches the wire by itself");

    /* a level change re-creates the rule: totals keep counting */
    env_add("priority=20,in_port=vf0,ip,nw_dst=10.0.0.0/24 actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_expect(fwd, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_send(4, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 0,
                 "the higher drop flow wins");
    env_del("priority=20,in_port=vf0,ip,nw_dst=10.0.0.0/24");
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_send(5, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 5);
    s.calls = 0;
    cr_assert_geq(snicd_offload_read_counters(env.o, count_cb, &s,
                                              &moved_only), 1);
    cr_expect_eq(s.pkts, 15, "totals since install: %llu",
                 (unsigned long long)s.pkts);
}

struct moved_seen {
    uint64_t ids[64];
    uint64_t pkts[64];
    unsigned n;
};

static void
moved_cb(void *ctx, uint64_t id, uint64_t pkts, uint64_t bytes)
{
    struct moved_seen *m = ctx;

    (void)bytes;
    if (m->n < 64) {
        m->ids[m->n] = id;
        m->pkts[m->n++] = pkts;
    }
}

/*
 * On net_emunic the manager reads only the flows whose counters moved: with
 * 200 flows in hardware and traffic to two, exactly those two are reported
 * (with their totals); an idle read reports none, and so does the read
 * after 200 rules were made (a new rule changes no total: reporting every
 * flow then made each read of a bulk load cost the whole table). A rule
 * retired after its counter moved is the one total that changes with no
 * counter left to say so: the next read reports that flow alone. A handle
 * the PMD hands out for a flow whose rule was re-created is found (the
 * handle index is rebuilt), and totals carry over the old rule's counts.
 */
Test(offload, reads_only_the_flows_that_moved)
{
    struct moved_seen m;
    uint64_t ids[200];
    bool moved_only = false;
    char line[160];

    env_start("full", true, true, NULL);
    for (unsigned i = 0; i < 200; i++) {
        snprintf(line, sizeof(line), "priority=10,in_port=vf0,ip,"
                 "nw_dst=10.0.%u.%u actions=output:uplink", i / 100,
                 i % 100 + 1);
        ids[i] = env_add(line);
    }
    cr_assert_geq(env_commit(), 0);
    /* 200 rules made, no counter moved: nothing to report */
    memset(&m, 0, sizeof(m));
    cr_assert_eq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                             &moved_only), 0);
    cr_expect(moved_only, "rules made since the last read cost no full "
              "read");
    cr_expect_eq(m.n, 0);

    cr_expect_eq(env_send(3, 100, 0x0a000005, ENV_WIRE_PORT, NULL), 3);
    cr_expect_eq(env_send(2, 100, 0x0a000163, ENV_WIRE_PORT, NULL), 2);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                             &moved_only), 2);
    cr_expect(moved_only);
    cr_assert_eq(m.n, 2);
    for (unsigned k = 0; k < m.n; k++) {
        bool a = m.ids[k] == ids[4], b = m.ids[k] == ids[198];

        cr_expect(a || b, "flow %llu reported",
                  (unsigned long long)m.ids[k]);
        cr_expect_eq(m.pkts[k], a ? 3 : 2);
    }
    memset(&m, 0, sizeof(m));
    cr_assert_eq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                             &moved_only), 0);

    /* two more frames on flow 4's rule, then the rule re-created at
     * another level (a higher drop flow comes and goes) before any read:
     * the retired rule's last reading is reported by the next read, for
     * flow 4 alone */
    cr_expect_eq(env_send(2, 100, 0x0a000005, ENV_WIRE_PORT, NULL), 2);
    env_add("priority=20,in_port=vf0,ip,nw_dst=10.0.0.5 actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_del("priority=20,in_port=vf0,ip,nw_dst=10.0.0.5");
    cr_assert_geq(env_commit(), 0);
    env_expect(ids[4], SNICD_WHERE_HW, NULL);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                             &moved_only), 1);
    cr_expect(moved_only);
    cr_assert_eq(m.n, 1);
    cr_expect_eq(m.ids[0], ids[4]);
    cr_expect_eq(m.pkts[0], 5, "3 + 2 on the retired rule");
    memset(&m, 0, sizeof(m));
    cr_assert_eq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                             &moved_only), 0,
                 "reported once");
    /* its new handle is found, and its total goes on from the old rule's */
    cr_expect_eq(env_send(4, 100, 0x0a000005, ENV_WIRE_PORT, NULL), 4);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                             &moved_only), 1);
    cr_expect(moved_only);
    cr_assert_eq(m.n, 1);
    cr_expect_eq(m.ids[0], ids[4]);
    cr_expect_eq(m.pkts[0], 9, "5 on the old rule, 4 on the new one");
}

/* The full card with ten flows to the uplink, nw_dst 10.0.0.1-10, in
 * hardware; their ids in @ids. */
static void
start_ten_flows(uint64_t ids[10])
{
    char line[160];

    env_start("full", true, true, NULL);
    for (unsigned i = 0; i < 10; i++) {
        snprintf(line, sizeof(line), "priority=10,in_port=vf0,ip,"
                 "nw_dst=10.0.0.%u actions=output:uplink", i + 1);
        ids[i] = env_add(line);
    }
    cr_assert_geq(env_commit(), 0);
}

/* snic-fw reset, and the PMD has seen it */
static void
reset_card(void)
{
    cr_assert_eq(env_snic_fw("reset"), 0, "snic-fw reset");
    cr_assert(env_wait_reset(3000), "the PMD reported the reset");
}

Test(offload, resync_after_firmware_reset)
{
    struct snicd_offload_stats st;
    uint64_t ids[10];
    int placed;

    start_ten_flows(ids);
    cr_expect_eq(env_send(4, 100, 0x0a000003, ENV_WIRE_PORT, NULL), 4);

    reset_card();
    cr_expect_eq(env_send(4, 100, 0x0a000003, ENV_WIRE_PORT, NULL), 0,
                 "the card lost its rules");

    placed = snicd_offload_resync(env.o);
    cr_expect_eq(placed, 10, "resync placed %d", placed);
    env_check_counts();
    for (unsigned i = 0; i < 10; i++)
        env_expect(ids[i], SNICD_WHERE_HW, NULL);
    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.resyncs, 1);
    cr_expect_eq(env_send(4, 100, 0x0a000003, ENV_WIRE_PORT, NULL), 4,
                 "traffic flows again through the re-installed rule");
}

/* A full read's total for @ids' flows into @pkts (UINT64_MAX: not
 * reported). */
static void
full_totals(const uint64_t *ids, uint64_t *pkts, unsigned n)
{
    struct moved_seen m = { .n = 0 };
    bool moved_only = true;

    env.o->moved.touched_lost = true;       /* the next read is a full one */
    cr_assert_geq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                              &moved_only), 0);
    cr_assert(!moved_only);
    for (unsigned i = 0; i < n; i++) {
        pkts[i] = UINT64_MAX;
        for (unsigned k = 0; k < m.n; k++)
            if (m.ids[k] == ids[i])
                pkts[i] = m.pkts[k];
    }
}

/*
 * A firmware reset loses the card's rules and counters, not the counts
 * snicd read before it: each flow's total stays, and goes on from there
 * with the new rule's counter. The read after the resync costs what
 * moved, as any other (it used to report every flow: 0.25-1.2 s at
 * 1,000,000 flows, issue #13), and whatever it reports carries the kept
 * totals; so do full reads, before and after the lost handles are freed.
 */
Test(offload, counts_kept_across_a_firmware_reset)
{
    struct moved_seen m;
    uint64_t ids[10], pkts[10];
    bool moved_only = false;

    start_ten_flows(ids);
    cr_expect_eq(env_send(4, 100, 0x0a000003, ENV_WIRE_PORT, NULL), 4);
    cr_expect_eq(env_send(2, 100, 0x0a000006, ENV_WIRE_PORT, NULL), 2);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                             &moved_only), 2);

    reset_card();
    cr_expect_eq(snicd_offload_reset(env.o), 10);
    env_check_counts();
    for (unsigned i = 0; i < 10; i++)
        env_expect(ids[i], SNICD_WHERE_HW, NULL);

    memset(&m, 0, sizeof(m));
    cr_assert_geq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                              &moved_only), 0);
    cr_expect(moved_only, "the read after a reset gets what moved");
    for (unsigned k = 0; k < m.n; k++)
        cr_expect_eq(m.pkts[k], m.ids[k] == ids[2] ? 4 :
                     m.ids[k] == ids[5] ? 2 : 0, "flow %llu: %llu",
                     (unsigned long long)m.ids[k],
                     (unsigned long long)m.pkts[k]);
    full_totals(ids, pkts, 10);
    cr_expect_eq(pkts[2], 4, "kept across the reset: %llu",
                 (unsigned long long)pkts[2]);
    cr_expect_eq(pkts[5], 2, "kept across the reset: %llu",
                 (unsigned long long)pkts[5]);

    /* the new rules count on from the kept totals */
    cr_expect_eq(env_send(3, 100, 0x0a000003, ENV_WIRE_PORT, NULL), 3);
    memset(&m, 0, sizeof(m));
    cr_assert_eq(snicd_offload_read_counters(env.o, moved_cb, &m,
                                             &moved_only), 1);
    cr_expect(moved_only);
    cr_assert_eq(m.n, 1);
    cr_expect_eq(m.ids[0], ids[2]);
    cr_expect_eq(m.pkts[0], 7, "4 before the reset, 3 after");
    cr_expect_eq(snicd_offload_reap(env.o, UINT32_MAX), 0);
    cr_expect_eq(env_send(1, 100, 0x0a000006, ENV_WIRE_PORT, NULL), 1);
    full_totals(ids, pkts, 10);
    cr_expect_eq(pkts[2], 7);
    cr_expect_eq(pkts[5], 3, "2 before the reset, 1 after");
    for (unsigned i = 0; i < 10; i++)
        if (i != 2 && i != 5)
            cr_expect_eq(pkts[i], 0, "flow %u: %llu", i,
                         (unsigned long long)pkts[i]);
}

Test(offload, port_gone_leaves_hardware)
{
    uint64_t from, to, other, below;
    int n;

    env_start("full", false, true, NULL);
    from = env_add("priority=50,in_port=vf1 actions=output:vf0");
    to = env_add("priority=50,in_port=vf0,ip actions=output:vf1");
    other = env_add("priority=50,in_port=vf2 actions=output:vf3");
    /* below "to", overlapping it: follows it into software */
    below = env_add("priority=10,in_port=vf0 actions=output:vf3");
    cr_assert_geq(env_commit(), 0);
    env_expect(below, SNICD_WHERE_HW, NULL);

    n = snicd_offload_port_gone(env.o, 3);     /* vf1 */
    cr_expect_eq(n, 3, "%d flows left hardware", n);
    env_check_counts();
    env_expect(from, SNICD_WHERE_SW, "port vf1 gone (OpenFlow port 3)");
    env_expect(to, SNICD_WHERE_SW, "port vf1 gone (OpenFlow port 3)");
    env_expect(below, SNICD_WHERE_SW, "shadowed by flow");
    env_expect(other, SNICD_WHERE_HW, NULL);

    cr_expect_eq(snicd_offload_resync(env.o), 4, "the port came back");
    env_check_counts();
    env_expect(from, SNICD_WHERE_HW, NULL);
    env_expect(below, SNICD_WHERE_HW, NULL);
}

Test(offload, disabled_keeps_everything_in_software)
{
    struct snicd_offload_stats st;
    uint64_t a;

    env_start("full", false, false, NULL);
    a = env_add("priority=10,in_port=vf0 actions=output:vf1");
    cr_assert_eq(env_commit(), 0, "no rule operation");
    env_expect(a, SNICD_WHERE_SW, "offload disabled");
    snicd_offload_get_stats(env.o, &st);
    cr_expect_eq(st.rules_created, 0);
    cr_expect_eq(st.validate_calls, 0);
}

/*
 * Software may drop a packet whole (a resubmit loop, an MPLS stack too
 * deep: docs/flow-language.md), outputs already made included. A flow
 * that outputs and then jumps to a table from which that can happen must
 * not send its copy from the card first: it goes partial (software runs
 * all of its actions), while a flow that only jumps stays in hardware.
 * The property belongs to the target table, through goto_table
 * transitively, and follows adds and deletes in other tables. The first
 * pair is the differential test's seed 8040, where vf2 got a copy that
 * software alone never sent.
 */
Test(offload, output_before_goto_into_a_table_that_drops_whole)
{
    uint64_t out_go, wire_go, go, loop, chain;
    const struct snicd_mark *m;
    uint32_t mark = 0;

    env_start("full", true, true, NULL);
    out_go = env_add("table=0,priority=70,in_port=vf0,dl_vlan=20 "
                     "actions=output:vf2,goto_table:1");
    loop = env_add("table=1,priority=70,in_port=vf0,dl_type=0x0806 "
                   "actions=mod_vlan_vid:10,output:uplink,resubmit(,1),"
                   "output:uplink");
    /* VF 0's UDP frames (env_send): a copy to the wire, then table 1 */
    wire_go = env_add("table=0,priority=50,in_port=vf0,ip "
                      "actions=output:uplink,goto_table:1");
    go = env_add("table=0,priority=60,in_port=vf1 actions=goto_table:1");
    cr_assert_geq(env_commit(), 0);
    env_expect(loop, SNICD_WHERE_SW, NULL);
    env_expect(out_go, SNICD_WHERE_PARTIAL,
               "output before goto_table:1 not offloaded");
    env_expect(wire_go, SNICD_WHERE_PARTIAL, "drop the packet whole");
    env_expect(go, SNICD_WHERE_HW, NULL);
    /* nothing leaves the card by itself: the frames reach vf0's
     * representor with the flow's partial mark */
    cr_expect_eq(env_send(3, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 0);
    cr_expect_eq(env_send(3, 100, 0x0a000001, 1, &mark), 3);
    m = find_mark(wire_go);
    cr_assert_not_null(m);
    cr_expect_eq(m->kind, SNICD_MARK_PARTIAL);
    cr_expect_eq(mark, m->mark);

    /* the loop goes: table 1 drops nothing whole, both back in hardware */
    env_del("table=1,priority=70,in_port=vf0,dl_type=0x0806");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_HW, NULL);
    env_expect(wire_go, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_send(3, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 3);

    /* table 1 leads to table 2, where a push onto a deep MPLS stack
     * fails the packet: table 1 can drop it whole too */
    chain = env_add("table=1,priority=10,in_port=vf0 actions=goto_table:2");
    cr_assert_geq(env_commit(), 0);
    env_expect(wire_go, SNICD_WHERE_HW, NULL);
    env_add("table=2,priority=10,in_port=vf0 "
            "actions=push_mpls:0x8847,output:vf1");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_PARTIAL, "goto_table:1");
    env_expect(wire_go, SNICD_WHERE_PARTIAL, "goto_table:1");
    env_expect(chain, SNICD_WHERE_HW, NULL);
    env_expect(go, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_send(3, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 0);

    /* the link goes: table 1 no longer leads to table 2 */
    env_del("table=1,priority=10,in_port=vf0");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_HW, NULL);
    env_expect(wire_go, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_send(3, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 3);
}

/*
 * resubmit(,N) as a flow's last action, to a later table, is its
 * goto_table:N (docs/snicd.md, "Where a flow lives"): a rule with the
 * resume mark of table N, and in rule 4 an edge to N like goto_table's,
 * not a failure of its own. A resubmit that returns, goes back or changes
 * in_port still is one: table 1 then may drop a packet whole.
 */
Test(offload, last_resubmit_forward_is_a_goto)
{
    uint64_t out_res, res, to2, push, back;
    const struct snicd_mark *m;
    uint32_t mark = 0;

    env_start("full", true, true, NULL);
    out_res = env_add("table=0,priority=50,in_port=vf0,ip "
                      "actions=output:uplink,resubmit(,1)");
    res = env_add("table=0,priority=60,in_port=vf1 actions=resubmit(,1)");
    to2 = env_add("table=1,priority=10,in_port=vf0 actions=resubmit(,2)");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_res, SNICD_WHERE_HW, NULL);
    env_expect(res, SNICD_WHERE_HW, NULL);
    env_expect(to2, SNICD_WHERE_HW, NULL);
    m = find_mark(res);
    cr_assert_not_null(m);
    cr_expect_eq(m->kind, SNICD_MARK_RESUME);
    cr_expect_eq(m->table, 1);
    m = find_mark(to2);
    cr_assert_not_null(m);
    cr_expect_eq(m->table, 2);
    /* VF 0's UDP frames: a copy to the wire, then tables 1 and 2, which
     * miss there: vf0's representor with to2's resume mark */
    cr_expect_eq(env_send(3, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 3);
    cr_expect_eq(env_send(3, 100, 0x0a000001, 1, &mark), 3);
    cr_expect_eq(mark, m->mark);

    /* table 2 pushes MPLS (may fail a packet whole): through to2's jump,
     * table 1 may too, and out_res may not send its copy first */
    push = env_add("table=2,priority=10,in_port=vf0 "
                   "actions=push_mpls:0x8847,output:vf1");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_res, SNICD_WHERE_PARTIAL,
               "output before resubmit(,1) not offloaded (software may "
               "drop the packet whole");
    env_expect(res, SNICD_WHERE_HW, NULL);
    env_expect(to2, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_send(3, 100, 0x0a000001, ENV_WIRE_PORT, NULL), 0);
    env_del("table=2,priority=10,in_port=vf0");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_res, SNICD_WHERE_HW, NULL);
    (void)push;

    /* a resubmit back to its own table fails by itself (the depth limit) */
    back = env_add("table=1,priority=20,in_port=vf0,dl_type=0x0806 "
                   "actions=mod_dl_src:02:00:00:00:00:01,resubmit(,1)");
    cr_assert_geq(env_commit(), 0);
    env_expect(back, SNICD_WHERE_SW, "resubmit(,1) in table 1 not "
               "offloaded (a lookup of its own or an earlier table");
    env_expect(out_res, SNICD_WHERE_PARTIAL, "output before resubmit(,1)");
    env_del("table=1,priority=20,in_port=vf0,dl_type=0x0806");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_res, SNICD_WHERE_HW, NULL);
}

/* The ports' patch pair (snicd's --patch) as the manager sees it. */
static void
set_patch_ports(bool on)
{
    env.n_ports = ENV_N_OFPORTS;
    if (on) {
        for (unsigned i = 0; i < 2; i++) {
            struct snicd_port_info *p = &env.ports[env.n_ports++];

            memset(p, 0, sizeof(*p));
            p->ofport = 300 + i;
            p->peer = 301 - i;
            p->ethdev = UINT16_MAX;
            p->is_patch = true;
            p->vf = -1;
            snprintf(p->name, sizeof(p->name), i ? "patch-int"
                                                  : "patch-tun");
        }
    }
    cr_assert_eq(snicd_offload_set_ports(env.o, env.ports, env.n_ports), 0);
}

/*
 * An output that may reach a patch port takes the packet to table 0 again
 * (docs/datapath.md, "Patch ports"), where a fan-out can pass the lookup
 * limit and fail it whole: with patch ports, a table whose flows may send
 * to one "may fail" as one with a resubmit does (rule 4), directly or
 * through a port picked from the packet (FLOOD here). The counts follow
 * the port set: the same FLOOD is harmless without patch ports.
 */
Test(offload, output_before_goto_into_a_table_that_reaches_a_patch_port)
{
    uint64_t out_go, flood;

    env_start("full", false, true, NULL);
    out_go = env_add("table=0,priority=70,in_port=vf0 "
                     "actions=output:vf2,goto_table:1");
    flood = env_add("table=1,priority=10,in_port=vf0 actions=flood");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_HW, NULL);
    env_expect(flood, SNICD_WHERE_HW, NULL);

    set_patch_ports(true);
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_PARTIAL,
               "output before goto_table:1 not offloaded");
    env_expect(flood, SNICD_WHERE_PARTIAL, "output to patch port");

    env_del("table=1,priority=10,in_port=vf0");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_HW, NULL);
    env_add("table=1,priority=10,in_port=vf0 actions=output:patch-tun");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_PARTIAL, "goto_table:1");
    env_del("table=1,priority=10,in_port=vf0");
    env_add("table=1,priority=10,in_port=vf0 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_HW, NULL);

    /* back to a flood without patch ports: nothing to fail */
    env_del("table=1,priority=10,in_port=vf0");
    flood = env_add("table=1,priority=10,in_port=vf0 actions=flood");
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_PARTIAL, "goto_table:1");
    set_patch_ports(false);
    cr_assert_geq(env_commit(), 0);
    env_expect(out_go, SNICD_WHERE_HW, NULL);
    env_expect(flood, SNICD_WHERE_HW, NULL);
}

/* Where "rule destroyed: flow ID " is in the trace, or -1. */
static long
destroyed_at(uint64_t id)
{
    char key[64];
    const char *p;

    snprintf(key, sizeof(key), "rule destroyed: flow %" PRIu64 " ", id);
    p = trace != NULL ? strstr(trace, key) : NULL;
    return p != NULL ? p - trace : -1;
}

/* Two whole writers removed in one commit: the earlier table's goes
 * first. Its packets reach the later one's table: removed after it, they
 * would meet table 1 without its writer while the card still wrote reg2
 * and jumped there (table 1's lower flow to vf3). */
Test(offload, whole_writers_removed_together_go_earlier_table_first)
{
    const char *w0l = "priority=10,in_port=vf1 actions=set_field:5->reg2,"
                      "goto_table:1";
    const char *w1l = "table=1,priority=10,in_port=vf1,reg2=5 "
                      "actions=set_field:6->reg3,goto_table:2";
    uint64_t w0, w1;
    long d0, d1;

    env_flow_queue = UINT32_MAX;
    env_start("full", false, true, NULL);
    w0 = env_add(w0l);
    w1 = env_add(w1l);
    env_add("table=1,priority=5,in_port=vf1,reg2=5 actions=output:vf3");
    env_add("table=1,priority=0 actions=drop");
    env_add("table=2,priority=10,in_port=vf1,reg3=6 actions=output:vf2");
    env_add("table=2,priority=0 actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_expect(w0, SNICD_WHERE_HW, NULL);
    env_expect(w1, SNICD_WHERE_HW, NULL);
    trace_start();
    env_del(w0l);
    env_del(w1l);
    cr_assert_geq(env_commit(), 0);
    trace_stop();
    d0 = destroyed_at(w0);
    d1 = destroyed_at(w1);
    cr_assert(d0 >= 0 && d1 >= 0, "%s", trace);
    cr_expect(d0 < d1, "writer %" PRIu64 " (table 0) destroyed after writer "
              "%" PRIu64 " (table 1), which its packets reach:\n%s", w0, w1,
              trace);
}

/* A commit changes table 1's jump (2 -> 3) and removes table 2's rules:
 * the flow counts follow the new jump at once, but the card jumps to
 * table 2 until table 1 is placed. The whole writer must go partial
 * before table 2's rules go, or a packet would miss there with TAG 2 set
 * and resume in software with reg2 = 0. */
Test(offload, writer_held_back_by_the_jump_on_the_card_not_the_counted_one)
{
    const char *fl = "table=2,priority=10,in_port=vf1,reg2=5 "
                     "actions=output:vf2";
    const char *c2 = "table=2,priority=0 actions=drop";
    uint64_t w, f;
    long df, part;

    env_flow_queue = UINT32_MAX;
    env_start("full", false, true, NULL);
    w = env_add("priority=10,in_port=vf1 actions=set_field:5->reg2,"
                "goto_table:1");
    env_add("table=1,priority=10,in_port=vf1 actions=goto_table:2");
    env_add("table=1,priority=0 actions=drop");
    f = env_add(fl);
    env_add("table=2,priority=5,in_port=vf1,reg2=0 actions=output:vf3");
    env_add(c2);
    cr_assert_geq(env_commit(), 0);
    env_expect(w, SNICD_WHERE_HW, NULL);
    trace_start();
    env_mod("table=1,priority=10,in_port=vf1 actions=goto_table:3");
    env_del(fl);
    env_del(c2);
    cr_assert_geq(env_commit(), 0);
    trace_stop();
    df = destroyed_at(f);
    part = made_at("port_representor", NULL, " group ");
    cr_assert(df >= 0 && part >= 0, "%s", trace);
    cr_expect(part < df, "table 2's rule for reg2=5 went (%ld) before the "
              "whole writer went partial (%ld), while table 1's rule still "
              "jumped to table 2:\n%s", df, part, trace);
}
