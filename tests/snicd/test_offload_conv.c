/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NORMAL's conversations as card rules (snicd_offload_conv.c,
 * docs/snicd.md "NORMAL in hardware") against a real emunic: a rule wins
 * over its flow's partial rule and loses to an earlier flow that overlaps
 * it (the level placement keeps), by frames through the card; the rules
 * go with their flow, with a flow of higher priority coming later, with
 * the caller's walk; the limit. Each test runs in its own process with
 * its own card and EAL.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "snicd_offload_priv.h"
#include "test_offload_env.h"

static void
stop(void)
{
    env_stop();
}

TestSuite(offload_conv, .fini = stop, .timeout = 40);

static const uint8_t MA[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MB[6] = { 0x02, 0, 0, 0, 0, 0x0b };

/* vf0 (OpenFlow 2) -> uplink (OpenFlow 1), untagged both ways */
static struct dp_conv
conv(uint64_t flow, uint8_t dst_last)
{
    struct dp_conv c;

    memset(&c, 0, sizeof(c));
    c.flow_id = flow;
    c.in_port = 2;
    c.out_port = 1;
    memcpy(c.src, MA, 6);
    memcpy(c.dst, MB, 6);
    c.dst[5] = dst_last;
    return c;
}

/* A 64-byte frame MB <- MA: IPv4/UDP when @ip, else ARP's EtherType. */
static unsigned
frame(uint8_t *f, bool ip)
{
    memset(f, 0, 64);
    memcpy(f, MB, 6);
    memcpy(f + 6, MA, 6);
    if (!ip) {
        f[12] = 0x08;
        f[13] = 0x06;
        return 64;
    }
    f[12] = 0x08;
    f[14] = 0x45;
    f[16] = 0;
    f[17] = 50;             /* total length */
    f[22] = 64;             /* TTL */
    f[23] = 17;             /* UDP */
    memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
    f[38] = 0;
    f[39] = 30;             /* UDP length */
    return 64;
}

static bool
keep_none(void *ctx, const struct dp_conv *c, uint64_t moved, uint64_t pkts)
{
    (void)ctx;
    (void)c;
    (void)moved;
    (void)pkts;
    return false;
}

Test(offload_conv, wins_over_its_flow_and_loses_to_an_earlier_one)
{
    struct snicd_conv_stats st;
    struct dp_conv c;
    char why[SNICD_REASON_SIZE];
    uint8_t f[64], got[128];
    unsigned len = 0;
    uint32_t mark = 0;
    uint64_t nf;

    env_conv_max = 16;
    env_start("full", true, true, NULL);
    /* an earlier flow that overlaps the conversation for IP only */
    env_add("priority=20,in_port=vf0,ip actions=drop");
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    env_expect(nf, SNICD_WHERE_PARTIAL, "NORMAL");
    /* before the rule: the card marks and hands vf0's frame to software */
    cr_expect_eq(env_xmit(ENV_VF_PORT, f, frame(f, false), 1, got,
                          sizeof(got), &len, &mark), 1);
    cr_expect_neq(mark, 0, "the flow's partial rule marked it");
    c = conv(nf, 0x0b);
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    cr_expect(snicd_offload_conv_has(env.o, &c));
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 0,
                 "made once");
    /* ARP matches the conversation, not the drop: to the wire, unmarked */
    cr_expect_eq(env_xmit(ENV_VF_PORT, f, frame(f, false), ENV_WIRE_PORT,
                          got, sizeof(got), &len, NULL), 1,
                 "the conversation's rule wins over its flow's");
    cr_expect_eq(len, 64);
    cr_expect_eq(memcmp(got, f, 64), 0, "untagged as it came");
    cr_expect_eq(env_xmit(ENV_VF_PORT, f, frame(f, false), 1, NULL, 0,
                          NULL, NULL), 0, "not to software");
    /* IP matches both: the earlier drop wins on the card */
    cr_expect_eq(env_xmit(ENV_VF_PORT, f, frame(f, true), ENV_WIRE_PORT,
                          NULL, 0, NULL, NULL), 0,
                 "the earlier overlapping flow wins over the conversation");
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.rules, 1);
    cr_expect_eq(st.created, 1);
    /* the walk's answer takes it off the card */
    cr_expect_eq(snicd_offload_conv_walk(env.o, true, keep_none, NULL), 1);
    cr_expect(!snicd_offload_conv_has(env.o, &c));
    cr_expect_eq(env_xmit(ENV_VF_PORT, f, frame(f, false), ENV_WIRE_PORT,
                          NULL, 0, NULL, NULL), 0, "gone from the card");
}

Test(offload_conv, go_with_their_flow_and_a_later_higher_flow)
{
    char why[SNICD_REASON_SIZE];
    struct dp_conv c;
    uint64_t nf, other;

    env_conv_max = 16;
    env_start("full", false, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    other = env_add("priority=10,in_port=vf1 actions=NORMAL,output:vf2");
    cr_assert_geq(env_commit(), 0);
    c = conv(nf, 0x0b);
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    /* a flow of higher priority in its table: off before it is placed */
    env_add("priority=30,in_port=vf0,udp actions=drop");
    cr_expect(!snicd_offload_conv_has(env.o, &c));
    cr_assert_geq(env_commit(), 0);
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    /* a lower one in another table changes nothing */
    env_add("table=1,priority=40 actions=drop");
    cr_assert_geq(env_commit(), 0);
    cr_expect(snicd_offload_conv_has(env.o, &c));
    /* its flow changes: off */
    env_mod("priority=10,in_port=vf0 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    cr_expect(!snicd_offload_conv_has(env.o, &c));
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                 -ENOSPC, "no NORMAL alone any more");
    /* a flow that does more than NORMAL has no level for them */
    c = conv(other, 0x0b);
    c.in_port = 3;
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                 -ENOSPC);
    cr_expect(strstr(why, "no level") != NULL, "%s", why);
}

Test(offload_conv, bounded)
{
    char why[SNICD_REASON_SIZE];
    struct snicd_conv_stats st;
    struct dp_conv c;
    uint64_t nf;

    env_conv_max = 4;
    env_start("full", false, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    for (uint8_t i = 0; i < 4; i++) {
        c = conv(nf, (uint8_t)(0x10 + i));
        cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                     1, "%s", why);
    }
    c = conv(nf, 0x20);
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                 -ENOSPC);
    cr_expect(strstr(why, "limit of 4") != NULL, "%s", why);
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.rules, 4);
    cr_expect_eq(st.refused_max, 1);
    /* the flow goes: its rules go first */
    env_del("priority=10,in_port=vf0");
    cr_assert_geq(env_commit(), 0);
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.rules, 0);
    cr_expect_eq(st.destroyed, 4);
}

/* An untagged frame from an access port to a trunk: NORMAL pushes VLAN
 * 10 (dp_normal.c's output_normal()), and so must the card's rule (the
 * VID was once written in host order: VLAN 2560). */
Test(offload_conv, access_to_trunk_pushes_the_vlan)
{
    char why[SNICD_REASON_SIZE];
    struct dp_conv c;
    uint8_t f[64], got[128];
    unsigned len = 0;
    uint64_t nf;

    env_conv_max = 16;
    env_start("full", true, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    c = conv(nf, 0x0b);
    c.out_tci = 0x1000 | 10;
    c.out_tpid = 0x8100;
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    cr_assert_eq(env_xmit(ENV_VF_PORT, f, frame(f, false), ENV_WIRE_PORT,
                          got, sizeof(got), &len, NULL), 1);
    cr_expect_eq(len, 68);
    cr_expect(got[12] == 0x81 && got[13] == 0x00,
              "tpid %02x%02x", got[12], got[13]);
    cr_expect_eq((got[14] << 8 | got[15]) & 0xfff, 10,
                 "pushed VID %u, NORMAL pushes 10",
                 (got[14] << 8 | got[15]) & 0xfff);
}

/* del-flows (every flow of the table: FLOW_CHANGE_CLEARED) with the
 * NORMAL flow in software: its conversation rules leave the card, as
 * software now drops every frame (no flow). */
Test(offload_conv, del_flows_takes_the_rules_away)
{
    char why[SNICD_REASON_SIZE];
    struct dp_conv c;
    uint8_t f[64], got[128];
    unsigned len = 0;
    uint64_t nf;

    env_conv_max = 16;
    env_start("full", true, true, NULL);
    nf = env_add("priority=10 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    c = conv(nf, 0x0b);
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    cr_expect_eq(env_xmit(ENV_VF_PORT, f, frame(f, false), ENV_WIRE_PORT,
                          got, sizeof(got), &len, NULL), 1, "through the card");
    cr_expect_gt(env_del_loose(""), 0);
    cr_assert_geq(env_commit(), 0);
    cr_expect(!snicd_offload_conv_has(env.o, &c),
              "the conversation rule of a deleted flow is still listed");
    cr_expect_eq(env_xmit(ENV_VF_PORT, f, frame(f, false), ENV_WIRE_PORT,
                          NULL, 0, NULL, NULL), 0,
                 "no flow left, yet the card still switches the frame");
}

/* A priority-tagged frame (VID 0, PCP 5) from an access port of VLAN 10
 * to a trunk: its tag is replaced. The card's VLAN match would take an
 * 802.1ad frame of the same TCI too and push 0x8100 on it, where NORMAL
 * keeps the frame's TPID: not asked of the card. */
Test(offload_conv, a_replaced_tag_stays_in_software)
{
    char why[SNICD_REASON_SIZE];
    struct dp_conv c;
    uint64_t nf;

    env_conv_max = 16;
    env_start("full", true, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    c = conv(nf, 0x0b);
    c.in_tci = 0x1000 | (5 << 13);
    c.in_tpid = 0x8100;
    c.out_tci = 0x1000 | (5 << 13) | 10;
    c.out_tpid = 0x8100;
    why[0] = 0;
    cr_expect_neq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1);
    cr_expect(strstr(why, "802.1ad") != NULL, "why: %s", why);
    cr_expect(!snicd_offload_conv_has(env.o, &c));
}

/* LOCAL (snicd's host-side tap) and a plain port (outside the switch)
 * have ethdevs, but their frames never cross the eSwitch: a conversation
 * to or from one stays in software. Here vf3's representor plays such a
 * port (a PMD that takes its port id in a rule), so a rule asked for one
 * would be made and would switch frames NORMAL never sees. */
Test(offload_conv, local_and_plain_ports_stay_in_software)
{
    static const uint32_t outside[] = { FLOW_PORT_LOCAL, 200 };
    struct snicd_port_info ports[ENV_N_OFPORTS];
    char why[SNICD_REASON_SIZE];
    struct dp_conv c;
    uint64_t nf;

    env_conv_max = 16;
    env_start("full", false, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    for (unsigned k = 0; k < 2; k++) {
        memcpy(ports, env.ports, sizeof(ports));
        ports[4].ofport = outside[k];
        ports[4].vf = -1;
        snprintf(ports[4].name, sizeof(ports[4].name), "%s",
                 k == 0 ? "LOCAL" : "p0");
        cr_assert_eq(snicd_offload_set_ports(env.o, ports, ENV_N_OFPORTS), 0);
        cr_assert_geq(env_commit(), 0);
        c = conv(nf, 0x0b);
        c.out_port = outside[k];
        why[0] = 0;
        cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                     -ENOTSUP, "to %s: %s", ports[4].name, why);
        cr_expect(strstr(why, "no port of the card") != NULL, "%s", why);
        c = conv(nf, 0x0b);
        c.in_port = outside[k];
        cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                     -ENOTSUP, "from %s: %s", ports[4].name, why);
        cr_expect(!snicd_offload_conv_has(env.o, &c));
    }
    /* the card's own ports still are */
    c = conv(nf, 0x0b);
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
}

/* A conversation's rule that goes frees room on the card: a flow that
 * found none is tried again at the next retry, not after the wait that
 * doubles while the device stays full. */
Test(offload_conv, a_freed_conversation_is_room)
{
    char why[SNICD_REASON_SIZE];
    struct snicd_conv_stats st;
    struct dp_conv c;
    uint64_t nf, late;
    int rc = 1;

    env_conv_max = 64;
    env_start("full", false, true, "--max-rules", "24", NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    /* conversations until the card is full */
    for (uint8_t i = 0; rc == 1 && i < 64; i++) {
        c = conv(nf, (uint8_t)(0x10 + i));
        rc = snicd_offload_conv_add(env.o, &c, why, sizeof(why));
    }
    cr_assert_lt(rc, 0, "the card filled up");
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.create_failures, 1);
    /* asked again (a later frame): not of the full device, counted */
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                 -ENOSPC);
    cr_expect(strstr(why, "no room at the last try") != NULL, "%s", why);
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.create_failures, 1, "the full device was not asked");
    cr_expect_eq(st.refused_full, 1);
    /* in another table: a flow at its priority in the NORMAL flow's
     * would take the conversations off the card */
    late = env_add("table=1,priority=10,in_port=vf1 actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    env_expect(late, SNICD_WHERE_SW, "ENOSPC");
    /* a retry while still full: the next waits a second or more */
    (void)snicd_offload_retry_failed(env.o);
    env_expect(late, SNICD_WHERE_SW, "ENOSPC");
    /* the conversations go (their FDB entries aged out, say) */
    cr_expect_gt(snicd_offload_conv_walk(env.o, true, keep_none, NULL), 0);
    (void)snicd_offload_retry_failed(env.o);
    env_expect(late, SNICD_WHERE_HW, NULL);
    /* rules went: the device is asked again */
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
}

static bool
keep_all(void *ctx, const struct dp_conv *c, uint64_t moved, uint64_t pkts)
{
    (void)ctx;
    (void)c;
    (void)moved;
    (void)pkts;
    return true;
}

struct flow_total {
    uint64_t id, pkts;
};

static void
total_cb(void *ctx, uint64_t id, uint64_t pkts, uint64_t bytes)
{
    struct flow_total *t = ctx;

    (void)bytes;
    if (id == t->id)
        t->pkts = pkts;
}

/* A resync (ports back on a device that kept its rules) takes the
 * conversation rules off the card: what they counted since the last read
 * is still their flow's. */
Test(offload_conv, a_resync_keeps_their_last_counts)
{
    char why[SNICD_REASON_SIZE];
    struct flow_total t = { 0 };
    bool moved_only;
    struct dp_conv c;
    uint8_t f[64];
    uint64_t nf;

    env_conv_max = 16;
    env_start("full", true, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    c = conv(nf, 0x0b);
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    /* read once: nothing counted yet */
    (void)snicd_offload_conv_walk(env.o, true, keep_all, NULL);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(env_xmit(ENV_VF_PORT, f, frame(f, false),
                              ENV_WIRE_PORT, NULL, 0, NULL, NULL), 1);
    cr_assert_geq(snicd_offload_resync(env.o), 0);
    cr_expect(!snicd_offload_conv_has(env.o, &c));
    t.id = nf;
    cr_assert_geq(snicd_offload_read_counters(env.o, total_cb, &t,
                                              &moved_only), 0);
    cr_expect_eq(t.pkts, 3, "the flow's hardware total has its "
                 "conversation's 3 frames (%llu)",
                 (unsigned long long)t.pkts);
}

/* The card refuses for one full table as well as for the whole device:
 * table 1's conversations filling their table must not keep table 0's,
 * which have room, off the card. */
Test(offload_conv, a_full_table_keeps_only_its_own_off)
{
    char why[SNICD_REASON_SIZE];
    struct snicd_conv_stats st;
    struct dp_conv c, other;
    uint64_t nf0, nf1;
    int rc = 1;

    env_conv_max = 64;
    env_start("full", false, true, "--max-table-rules", "16", NULL);
    (void)env_add("priority=10,in_port=vf0 actions=goto_table:1");
    nf1 = env_add("table=1,priority=10,in_port=vf0 actions=NORMAL");
    nf0 = env_add("priority=10,in_port=vf1 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    for (uint8_t i = 0; rc == 1 && i < 64; i++) {
        c = conv(nf1, (uint8_t)(0x10 + i));
        rc = snicd_offload_conv_add(env.o, &c, why, sizeof(why));
    }
    cr_assert_eq(rc, -ENOSPC, "table 1 filled up: %s", why);
    /* table 1 waits; table 0 has room and is asked */
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                 -ENOSPC);
    cr_expect(strstr(why, "no room at the last try") != NULL, "%s", why);
    other = conv(nf0, 0x40);
    other.in_port = 3;              /* vf1 */
    cr_expect_eq(snicd_offload_conv_add(env.o, &other, why, sizeof(why)),
                 1, "table 0's conversation is made: %s", why);
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.refused_full, 1);
}

/* @t's flow's hardware total, by a full read: a read of the moved
 * counters reports only the flows whose totals changed, so a count that
 * went back (or was counted twice) where nothing moved would go unseen. */
static uint64_t
flow_total(struct flow_total *t)
{
    bool moved_only;

    t->pkts = UINT64_MAX;
    env.o->moved.touched_lost = true;       /* the next read is a full one */
    cr_assert_geq(snicd_offload_read_counters(env.o, total_cb, t,
                                              &moved_only), 0);
    cr_assert(!moved_only);
    cr_assert_neq(t->pkts, UINT64_MAX, "flow %llu was not reported",
                  (unsigned long long)t->id);
    return t->pkts;
}

/* The conversation rules' clock (cfg.now_ns): a test steps it, so a
 * loaded machine (CI: 2 cores, two jobs, ASan) cannot make a rule look
 * idle or busy by chance. */
static uint64_t fake_ns = 1000000000ull;

static uint64_t
fake_now(void)
{
    return fake_ns;
}

#define MS  1000000ull

/* A conversation that stopped while its MACs stay learned (other traffic
 * keeps them) leaves the card once its counter has not moved for the
 * idle time: the limit does not fill with dead pairs. What it counted
 * stays its flow's, and when it comes back it is made again. */
Test(offload_conv, an_idle_rule_leaves_and_keeps_its_counts)
{
    char why[SNICD_REASON_SIZE];
    struct snicd_conv_stats st;
    struct dp_conv c;
    struct flow_total t = { 0 };
    uint8_t f[64];
    uint64_t nf, before;

    env_conv_max = 4;
    env_conv_idle_ms = 500;
    env_now_ns = fake_now;
    env_start("full", true, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    c = conv(nf, 0x0b);
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(env_xmit(ENV_VF_PORT, f, frame(f, false),
                              ENV_WIRE_PORT, NULL, 0, NULL, NULL), 1);
    fake_ns += 600 * MS;
    /* it switched frames since the last read: busy, kept */
    cr_expect_eq(snicd_offload_conv_walk(env.o, true, keep_all, NULL), 0);
    fake_ns += 499 * MS;
    cr_expect_eq(snicd_offload_conv_walk(env.o, true, keep_all, NULL), 0,
                 "499 ms without frames is not idle yet");
    t.id = nf;
    before = flow_total(&t);
    cr_expect_eq(before, 3, "%llu", (unsigned long long)before);
    fake_ns += 1 * MS;
    cr_expect_eq(snicd_offload_conv_walk(env.o, true, keep_all, NULL), 1,
                 "500 ms without frames: idle");
    cr_expect(!snicd_offload_conv_has(env.o, &c));
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.evicted_idle, 1);
    cr_expect_eq(st.switched_pkts, 3);
    cr_expect_eq(flow_total(&t), before, "the eviction lost or added to "
                 "the flow's count");
    cr_expect_eq(env_xmit(ENV_VF_PORT, f, frame(f, false), ENV_WIRE_PORT,
                          NULL, 0, NULL, NULL), 0, "still on the card");
    /* it comes back: software asks again, and it is made */
    why[0] = 0;
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.switched_pkts, 3, "the running total went back");
}

/* Keeps all; sums what moved for the conversation to ..:0b. */
static bool
moved_of_0b(void *ctx, const struct dp_conv *c, uint64_t moved,
            uint64_t pkts)
{
    uint64_t *sum = ctx;

    (void)pkts;
    if (c->dst[5] == 0x0b)
        *sum += moved;
    return true;
}

/* At the limit the idlest rule makes room for a new conversation, never
 * one that switched frames since its last read (it is read first); what
 * a rule counted is its flow's. */
Test(offload_conv, at_the_limit_the_idlest_makes_room)
{
    char why[SNICD_REASON_SIZE];
    struct snicd_conv_stats st;
    struct dp_conv busy, idle, c;
    struct flow_total t = { 0 };
    uint8_t f[64];
    uint64_t nf, moved = 0;

    env_conv_max = 2;
    env_conv_idle_ms = 1000;        /* room after 200 ms idle */
    env_now_ns = fake_now;
    env_start("full", true, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    busy = conv(nf, 0x0b);          /* the frames' destination */
    idle = conv(nf, 0x0c);
    cr_assert_eq(snicd_offload_conv_add(env.o, &busy, why, sizeof(why)), 1,
                 "%s", why);
    cr_assert_eq(snicd_offload_conv_add(env.o, &idle, why, sizeof(why)), 1,
                 "%s", why);
    fake_ns += 200 * MS;
    /* both look idle 200 ms by their last reads, the busy one first in
     * line: it is read before it goes, and found busy */
    for (int i = 0; i < 2; i++)
        cr_assert_eq(env_xmit(ENV_VF_PORT, f, frame(f, false),
                              ENV_WIRE_PORT, NULL, 0, NULL, NULL), 1);
    c = conv(nf, 0x0d);
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    cr_expect(snicd_offload_conv_has(env.o, &busy), "the busy one went");
    cr_expect(!snicd_offload_conv_has(env.o, &idle), "the idle one stayed");
    /* nothing idle long enough now: the next one waits in software */
    fake_ns += 199 * MS;
    c = conv(nf, 0x0e);
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                 -ENOSPC, "%s", why);
    cr_expect(strstr(why, "limit of 2") != NULL, "%s", why);
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.evicted_room, 1);
    cr_expect_eq(st.rules, 2);
    /* the busy one's frames, read to spare it, still reach the walk's
     * caller (which refreshes their source's FDB age) */
    cr_expect_eq(snicd_offload_conv_walk(env.o, true, moved_of_0b, &moved),
                 0);
    cr_expect_eq(moved, 2, "the walk heard of %llu of the busy rule's 2 "
                 "frames", (unsigned long long)moved);
    /* the busy one goes too (its flow changes): both its frames count */
    env_mod("priority=10,in_port=vf0 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    t.id = nf;
    cr_expect_eq(flow_total(&t), 2);
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.switched_pkts, 2);
}

static bool
keep_but_one(void *ctx, const struct dp_conv *c, uint64_t moved,
             uint64_t pkts)
{
    bool *dropped = ctx;

    (void)c;
    (void)moved;
    (void)pkts;
    if (*dropped)
        return true;
    *dropped = true;
    return false;
}

/* Room a conversation's rule leaves goes to the flows waiting for room
 * first: a new conversation (asked each turn) must not take it before
 * their retry (once a second), and it is not asked of the card while the
 * flows of its table wait. */
Test(offload_conv, freed_room_goes_to_waiting_flows_first)
{
    char why[SNICD_REASON_SIZE];
    struct dp_conv c;
    bool dropped = false;
    uint64_t nf, late;
    int rc = 1;

    env_conv_max = 64;
    env_start("full", false, true, "--max-rules", "24", NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    for (uint8_t i = 0; rc == 1 && i < 64; i++) {
        c = conv(nf, (uint8_t)(0x10 + i));
        rc = snicd_offload_conv_add(env.o, &c, why, sizeof(why));
    }
    cr_assert_lt(rc, 0, "the card filled up");
    late = env_add("table=1,priority=10,in_port=vf1 actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    env_expect(late, SNICD_WHERE_SW, "ENOSPC");
    /* one conversation goes: room for one rule */
    cr_assert_eq(snicd_offload_conv_walk(env.o, false, keep_but_one,
                                         &dropped), 1);
    c = conv(nf, 0x60);
    why[0] = 0;
    cr_expect_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)),
                 -ENOSPC, "a new conversation took the freed room");
    cr_expect(strstr(why, "flows wait for room") != NULL, "%s", why);
    cr_expect(!snicd_offload_conv_has(env.o, &c));
    /* the next turn: the waiting flow first, without its backoff */
    cr_assert_geq(snicd_offload_room_freed(env.o), 0);
    env_expect(late, SNICD_WHERE_HW, NULL);
    /* the card is full again: the conversation is asked, and refused */
    cr_expect_lt(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 0);
    cr_expect(strstr(why, "refused") != NULL, "%s", why);
}

/* A port that leaves the card takes its conversations off at the next
 * turn's check, whatever the learning table says: it forgets the port's
 * entries only when the datapath took the new ports, and a frame from or
 * to a port the card no longer has must not be switched by a rule. */
Test(offload_conv, a_port_that_goes_takes_them_off)
{
    char why[SNICD_REASON_SIZE];
    struct dp_conv c, other;
    uint64_t nf;

    env_conv_max = 16;
    env_start("full", false, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    c = conv(nf, 0x0b);
    c.out_port = env.ports[4].ofport;       /* vf3 */
    other = conv(nf, 0x0c);                 /* to the uplink */
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    cr_assert_eq(snicd_offload_conv_add(env.o, &other, why, sizeof(why)), 1,
                 "%s", why);
    cr_assert_geq(snicd_offload_port_gone(env.o, c.out_port), 0);
    /* the caller's check still backs both (its FDB kept the entries) */
    cr_expect_eq(snicd_offload_conv_walk(env.o, false, keep_all, NULL), 1);
    cr_expect(!snicd_offload_conv_has(env.o, &c),
              "a conversation to a port that went is still on the card");
    cr_expect(snicd_offload_conv_has(env.o, &other));
}

/* A conversation's rule is in the card's moved-counter list but is no
 * flow's: its handle is known as such, so a read does not rebuild the
 * handle -> flow index to look for it (before: at every read after any
 * rule came or went, and every 10 s). */
Test(offload_conv, their_counters_do_not_rebuild_the_index)
{
    char why[SNICD_REASON_SIZE];
    struct snicd_offload_stats os;
    struct dp_conv c;
    struct flow_total t = { 0 };
    bool moved_only = false;
    uint8_t f[64];
    uint64_t nf, r0;

    env_conv_max = 16;
    env_start("full", true, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    (void)env_add("priority=10,in_port=vf1 actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    c = conv(nf, 0x0b);
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    t.id = nf;
    cr_assert_geq(snicd_offload_read_counters(env.o, total_cb, &t,
                                              &moved_only), 0);
    snicd_offload_get_stats(env.o, &os);
    r0 = os.counter_index_rebuilds;
    for (int round = 0; round < 2; round++) {
        /* a rule comes (in another table, which leaves the
         * conversation be): the index is stale for the flows' handles */
        if (round == 1) {
            (void)env_add("table=1,priority=10,in_port=vf2 "
                          "actions=output:vf1");
            cr_assert_geq(env_commit(), 0);
        }
        cr_assert_eq(env_xmit(ENV_VF_PORT, f, frame(f, false),
                              ENV_WIRE_PORT, NULL, 0, NULL, NULL), 1);
        cr_assert_geq(snicd_offload_read_counters(env.o, total_cb, &t,
                                                  &moved_only), 0);
        cr_assert(moved_only, "the moved list was not used: no test");
    }
    snicd_offload_get_stats(env.o, &os);
    cr_expect_eq(os.counter_index_rebuilds, r0,
                 "the conversation's handle rebuilt the index %llu times",
                 (unsigned long long)(os.counter_index_rebuilds - r0));
    /* its frames are still its flow's, by its own read */
    cr_expect_eq(snicd_offload_conv_walk(env.o, true, keep_all, NULL), 0);
    cr_expect_eq(flow_total(&t), 2);
}

/* struct dp_conv has 2 bytes of tail padding, which a struct copy (the
 * datapath's ring, the drain's local) need not carry: a conversation
 * equal field by field is the same one whatever they hold, and gets one
 * rule, not two. */
Test(offload_conv, padding_is_no_part_of_the_key)
{
    char why[SNICD_REASON_SIZE];
    struct snicd_conv_stats st;
    struct dp_conv a, b;
    uint64_t nf;

    cr_assert_eq(offsetof(struct dp_conv, out_tpid) + 2, 38);
    cr_assert_eq(sizeof(struct dp_conv), 40, "no padding left to test");
    env_conv_max = 16;
    env_start("full", false, true, NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    a = conv(nf, 0x0b);
    memset(&b, 0xa5, sizeof(b));
    b.flow_id = a.flow_id;
    b.in_port = a.in_port;
    b.out_port = a.out_port;
    memcpy(b.src, a.src, 6);
    memcpy(b.dst, a.dst, 6);
    b.vlan = a.vlan;
    b.in_tci = a.in_tci;
    b.in_tpid = a.in_tpid;
    b.out_tci = a.out_tci;
    b.out_tpid = a.out_tpid;
    cr_assert_eq(snicd_offload_conv_add(env.o, &a, why, sizeof(why)), 1,
                 "%s", why);
    cr_expect(snicd_offload_conv_has(env.o, &b));
    cr_expect_eq(snicd_offload_conv_add(env.o, &b, why, sizeof(why)), 0,
                 "the same conversation was made twice");
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.rules, 1);
}

/* At the limit a new conversation takes the slot of the idlest: no room
 * was freed, and the flows waiting for room (another table's) are not
 * placed again at the next turn for it, which with steady new
 * conversations would re-place their tables whole every turn instead of
 * at their retry backoff. */
Test(offload_conv, an_eviction_for_a_conversation_frees_no_room)
{
    char why[SNICD_REASON_SIZE], line[128];
    struct snicd_offload_stats os0, os1;
    struct snicd_conv_stats st;
    struct dp_conv a, b, c;
    const char *reason;
    uint64_t nf, late = 0;

    env_conv_max = 2;
    env_conv_idle_ms = 1000;
    env_now_ns = fake_now;
    env_start("full", false, true, "--max-rules", "12", NULL);
    nf = env_add("priority=10,in_port=vf0 actions=NORMAL");
    cr_assert_geq(env_commit(), 0);
    a = conv(nf, 0x0b);
    b = conv(nf, 0x0c);
    cr_assert_eq(snicd_offload_conv_add(env.o, &a, why, sizeof(why)), 1,
                 "%s", why);
    cr_assert_eq(snicd_offload_conv_add(env.o, &b, why, sizeof(why)), 1,
                 "%s", why);
    /* the card fills up with table 1's flows: the last one waits */
    for (unsigned i = 0; i < 16; i++) {
        snprintf(line, sizeof(line), "table=1,priority=10,in_port=vf1,"
                 "dl_dst=02:00:00:00:01:%02x actions=output:vf2", i);
        late = env_add(line);
        cr_assert_geq(env_commit(), 0);
        if (snicd_offload_where(env.o, late, &reason) == SNICD_WHERE_SW)
            break;
    }
    cr_assert_eq(snicd_offload_where(env.o, late, &reason), SNICD_WHERE_SW,
                 "the card did not fill up");
    cr_assert(strstr(reason, "ENOSPC") != NULL, "%s", reason);
    snicd_offload_get_stats(env.o, &os0);
    fake_ns += 200 * MS;
    c = conv(nf, 0x0d);
    cr_assert_eq(snicd_offload_conv_add(env.o, &c, why, sizeof(why)), 1,
                 "%s", why);
    snicd_offload_conv_stats(env.o, &st);
    cr_expect_eq(st.evicted_room, 1);
    cr_expect_eq(st.rules, 2);
    cr_assert_geq(snicd_offload_room_freed(env.o), 0);
    snicd_offload_get_stats(env.o, &os1);
    cr_expect_eq(os1.retries, os0.retries, "the waiting flows' tables were "
                 "placed again for a slot the new conversation took");
    cr_expect_eq(snicd_offload_where(env.o, late, NULL), SNICD_WHERE_SW);
}
