/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VXLAN decap offload against a real emunic: decap contexts (pop rule +
 * group) shared by the flows of one VNI and released with the last one,
 * the guard that keeps group 0's flows away from frames software would
 * decapsulate, shadowing across the two domains, rollback when a rule of
 * the pair cannot be created, resync, and real frames from the wire:
 * decapsulated by the card, misses after decap marked for software.
 * The card's own rule count (emunic --max-rules, then filling it) proves
 * that nothing leaks.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "snicd_offload_priv.h"
#include "test_offload_env.h"

static void
stop(void)
{
    env_stop();
}

TestSuite(decap, .fini = stop, .timeout = 40);

/* The decap mark published for VNI @vni, or NULL. */
static const struct snicd_mark *
decap_mark(uint32_t vni)
{
    for (unsigned i = 0; i < env.n_marks; i++)
        if (env.marks[i].kind == SNICD_MARK_DECAP &&
            be64toh(env.marks[i].tun.tun_id) == vni)
            return &env.marks[i];
    return NULL;
}

static unsigned
n_decap_marks(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < env.n_marks; i++)
        n += env.marks[i].kind == SNICD_MARK_DECAP;
    return n;
}

Test(decap, contexts_are_shared_and_released)
{
    struct snicd_offload_stats st;
    const struct snicd_mark *m;
    uint64_t a, b, c, wild;
    unsigned free0;

    env_mark_quiet_ms = 300;
    env_start_vxlan("full", false, "--max-rules", "16", NULL);
    cr_assert_geq(env_commit(), 0);
    st = env_stats();
    cr_expect_eq(st.guard_mode, SNICD_GUARD_JUMP, "full profile: the guard "
                 "jumps to the pop rules");
    cr_expect_eq(st.guard_rules, 1);
    free0 = env_free_rules();
    cr_expect_eq(free0, 15, "the guard is the card's one rule (%u free)",
                 free0);

    a = env_add("priority=10,in_port=vxlan0,tun_id=5,ip actions=output:vf1");
    b = env_add("priority=20,in_port=vxlan0,tun_id=5,ip,nw_dst=10.0.0.9 "
                "actions=output:vf2");
    c = env_add("priority=10,in_port=vxlan0,tun_id=6 actions=output:vf0");
    wild = env_add("priority=5,in_port=vxlan0 actions=output:vf3");
    cr_assert_geq(env_commit(), 0);
    env_expect(a, SNICD_WHERE_HW, NULL);
    env_expect(b, SNICD_WHERE_HW, NULL);
    env_expect(c, SNICD_WHERE_HW, NULL);
    env_expect(wild, SNICD_WHERE_SW, "needs an exact tun_id");
    st = env_stats();
    cr_expect_eq(st.decap_contexts, 2, "one pop rule per VNI");
    cr_expect_eq(st.rules_created - st.rules_destroyed, 6,
                 "guard + 2 pop rules + 3 flows");
    cr_expect_eq(env_free_rules(), free0 - 5, "the card holds them too");
    cr_expect_eq(n_decap_marks(), 2);
    m = decap_mark(5);
    cr_assert_not_null(m, "a decap mark for VNI 5");
    cr_expect_eq(m->in_port, ENV_VXLAN_PORT);
    cr_expect_eq(m->table, 0);
    cr_expect_eq(ntohl(m->tun.tun_src), ENV_VXLAN_REMOTE);
    cr_expect_eq(ntohl(m->tun.tun_dst), ENV_VXLAN_LOCAL);
    cr_expect_neq(decap_mark(6)->mark, m->mark);

    /* the pop rule of VNI 5 stays while one of its flows does */
    env_del("priority=10,in_port=vxlan0,tun_id=5,ip actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().decap_contexts, 2);
    cr_expect_eq(env_free_rules(), free0 - 4);
    env_del("priority=20,in_port=vxlan0,tun_id=5,ip,nw_dst=10.0.0.9 "
            "actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().decap_contexts, 1,
                 "VNI 5's pop rule went with its last flow");
    cr_expect_eq(env_stats().n_marks, 1, "and its mark is no longer live");
    m = decap_mark(5);
    cr_expect(m != NULL && m->in_port == ENV_VXLAN_PORT, "but keeps its "
              "meaning in the published list while it is quiet");
    cr_expect_eq(env_free_rules(), free0 - 2);
    env_del("priority=10,in_port=vxlan0,tun_id=6 actions=output:vf0");
    env_del("priority=5,in_port=vxlan0 actions=output:vf3");
    cr_assert_geq(env_commit(), 0);
    st = env_stats();
    cr_expect_eq(st.decap_contexts, 0);
    cr_expect_eq(st.n_marks, 0);
    cr_expect_eq(n_decap_marks(), 2, "both released marks still quiet");
    cr_expect_eq(env_free_rules(), free0, "no rule left behind");
    usleep(350 * 1000);
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(n_decap_marks(), 0, "quiet time over: unpublished");
}

/* A decap context's flow gets the card's TAG registers and META as every
 * other rule does: a register match and writes that need no jump. */
Test(decap, registers_and_pkt_mark_in_a_decap_flow)
{
    uint64_t a, b;

    env_start_vxlan("full", false, NULL);
    cr_assert_geq(env_commit(), 0);
    a = env_add("priority=10,in_port=vxlan0,tun_id=5,reg0=0 "
                "actions=output:vf1");
    b = env_add("priority=10,in_port=vxlan0,tun_id=6 "
                "actions=set_field:1->reg0,set_field:3->pkt_mark,output:vf0");
    cr_assert_geq(env_commit(), 0);
    env_expect(a, SNICD_WHERE_HW, NULL);
    env_expect(b, SNICD_WHERE_HW, NULL);
}

Test(decap, domains_shadowing_and_refusals)
{
    uint64_t wide, shadowed, arp, go, plain_tun, vtep, hi, lo;

    env_start_vxlan("full", false, NULL);
    /* no in_port: it meets decapsulated frames in software only, so the
     * context's group cannot have it: what it overlaps there stays sw */
    wide = env_add("priority=100,ip,nw_src=10.0.0.16 actions=drop");
    shadowed = env_add("priority=50,in_port=vxlan0,tun_id=5,ip "
                       "actions=output:vf1");
    arp = env_add("priority=50,in_port=vxlan0,tun_id=5,arp "
                  "actions=output:vf1");
    go = env_add("priority=40,in_port=vxlan0,tun_id=7,arp "
                 "actions=goto_table:1");
    plain_tun = env_add("priority=30,tun_id=5 actions=output:vf2");
    /* a frame for the local VTEP never reaches it in hardware: the guard
     * takes those first */
    vtep = env_add("priority=20,in_port=uplink,udp,nw_dst=192.168.0.1 "
                   "actions=output:vf3");
    /* overlapping flows of one context keep their order */
    hi = env_add("priority=90,in_port=vxlan0,tun_id=8,tcp,nw_src=10.0.0.17 "
                 "actions=output:vf2");
    lo = env_add("priority=80,in_port=vxlan0,tun_id=8,ip,nw_src=10.0.0.17 "
                 "actions=output:vf3");
    cr_assert_geq(env_commit(), 0);
    env_expect(wide, SNICD_WHERE_HW, NULL);
    env_expect(shadowed, SNICD_WHERE_SW, "not in the decap context's group");
    env_expect(arp, SNICD_WHERE_HW, NULL);
    env_expect(go, SNICD_WHERE_SW, "goto_table after hardware decap");
    env_expect(plain_tun, SNICD_WHERE_SW, "matches only decapsulated frames");
    env_expect(vtep, SNICD_WHERE_HW, NULL);
    env_expect(hi, SNICD_WHERE_HW, NULL);
    env_expect(lo, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().decap_contexts, 2, "VNI 5 and VNI 8");
    /* a software flow of vxlan0 does not push plain flows out */
    env_add("priority=200,in_port=vxlan0 actions=drop");
    cr_assert_geq(env_commit(), 0);
    env_expect(wide, SNICD_WHERE_HW, NULL);
    env_expect(arp, SNICD_WHERE_SW, "shadowed by flow");
    env_expect(hi, SNICD_WHERE_SW, "shadowed by flow");
    cr_expect_eq(env_stats().decap_contexts, 0, "every context emptied");
}

Test(decap, without_guard_flows_that_catch_vxlan_stay_sw)
{
    uint64_t up, vf;

    /* the tiny card matches no IPv4 field: no guard, no decap */
    env_start_vxlan("tiny", false, NULL);
    up = env_add("priority=10,in_port=uplink actions=output:vf0");
    vf = env_add("priority=10,in_port=vf0 actions=output:uplink");
    env_add("priority=10,in_port=vxlan0,tun_id=5 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().guard_mode, SNICD_GUARD_NONE);
    env_expect(up, SNICD_WHERE_SW, "could catch a VXLAN frame");
    env_expect(vf, SNICD_WHERE_HW, NULL);
    env_expect(env.last_id, SNICD_WHERE_SW, "no hardware decap");
}

Test(decap, basic_profile_guards_without_decap)
{
    uint64_t up;

    /* basic matches IPv4 and UDP but not the VNI: the guard sends VXLAN
     * frames to software, the other flows of the uplink stay in hw */
    env_start_vxlan("basic", false, NULL);
    up = env_add("priority=10,in_port=uplink actions=output:vf0");
    env_add("priority=10,in_port=vxlan0,tun_id=5 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().guard_mode, SNICD_GUARD_REP);
    cr_expect_eq(env_stats().guard_rules, 1);
    env_expect(up, SNICD_WHERE_HW, NULL);
    env_expect(env.last_id, SNICD_WHERE_SW, "refuses a pop rule");
}

Test(decap, flow_rule_failure_rolls_the_pop_rule_back)
{
    uint64_t id;

    /* room for the guard and one more: the pop rule fits, the flow's own
     * rule does not */
    env_start_vxlan("full", false, "--max-rules", "2", NULL);
    id = env_add("priority=10,in_port=vxlan0,tun_id=5 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    env_expect(id, SNICD_WHERE_SW, "no space");
    cr_expect_eq(env_stats().decap_contexts, 0, "the pop rule was taken back");
    cr_expect_eq(env_stats().n_marks, 0);
    cr_expect_eq(env_free_rules(), 1, "the card holds the guard only");
}

Test(decap, pop_rule_failure_then_retry)
{
    uint64_t id;

    env_start_vxlan("full", false, "--max-rules", "8", NULL);
    cr_assert_geq(env_commit(), 0);
    /* the next RULE_ADD (the pop rule's) fails inside the card */
    cr_assert_eq(env_snic_fw("fault fail-next opcode=0x0410 count=1"), 0);
    id = env_add("priority=10,in_port=vxlan0,tun_id=5 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    env_expect(id, SNICD_WHERE_SW, "pop rule");
    cr_expect_eq(env_stats().decap_contexts, 0);
    cr_expect_eq(env_stats().n_marks, 0, "no context kept for a failed flow");
    cr_expect_eq(env_free_rules(), 7);
    cr_expect_gt(snicd_offload_retry_failed(env.o), 0);
    env_expect(id, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().decap_contexts, 1);
    cr_expect_eq(env_free_rules(), 5);
}

/* ---- frames ---- */

static const uint8_t inner_ip[] = {
    0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x10, 0x08, 0x00,
    0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0,
    10, 0, 0, 16, 10, 0, 0, 9,
    0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0,
};

static const uint8_t inner_arp[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x10, 0x08, 0x06,
    0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 0x10, 10, 0, 0, 16,
    0, 0, 0, 0, 0, 0, 10, 0, 0, 9,
};

static void
wr16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* A VXLAN frame from the remote VTEP to the local one. */
static unsigned
vxlan(uint8_t *f, uint32_t vni, const uint8_t *inner, unsigned ilen)
{
    uint8_t *ip = f + 14, *udp = ip + 20, *vx = udp + 8;
    uint32_t sum = 0;

    memset(f, 0, 50);
    memcpy(f, "\x02\x00\x00\x00\x00\xa1\x02\x00\x00\x00\x00\xb2\x08\x00", 14);
    ip[0] = 0x45;
    wr16(ip + 2, 20 + 8 + 8 + ilen);
    wr16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    wr16(ip + 12, ENV_VXLAN_REMOTE >> 16);
    wr16(ip + 14, ENV_VXLAN_REMOTE & 0xffff);
    wr16(ip + 16, ENV_VXLAN_LOCAL >> 16);
    wr16(ip + 18, ENV_VXLAN_LOCAL & 0xffff);
    for (unsigned i = 0; i < 20; i += 2)
        sum += (unsigned)ip[i] << 8 | ip[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    wr16(ip + 10, ~sum & 0xffff);
    wr16(udp, 4321);
    wr16(udp + 2, 4789);
    wr16(udp + 4, 8 + 8 + ilen);
    vx[0] = 0x08;
    vx[4] = (uint8_t)(vni >> 16);
    vx[5] = (uint8_t)(vni >> 8);
    vx[6] = (uint8_t)vni;
    memcpy(vx + 8, inner, ilen);
    return 50 + ilen;
}

static uint64_t hw_pkts;

static void
on_stats(void *ctx, uint64_t id, uint64_t n_packets, uint64_t n_bytes)
{
    (void)n_bytes;
    if (id == *(uint64_t *)ctx)
        hw_pkts = n_packets;
}

Test(decap, frames_from_the_wire)
{
    uint8_t f[256], got[256];
    unsigned len, got_len = 0;
    uint32_t mark = 0;
    uint64_t id, up;
    bool moved_only;

    env_start_vxlan("full", true, NULL);
    id = env_add("priority=10,in_port=vxlan0,tun_id=5,ip "
                 "actions=output:vf0");
    up = env_add("priority=1,in_port=uplink actions=output:vf0");
    cr_assert_geq(env_commit(), 0);
    env_expect(id, SNICD_WHERE_HW, NULL);
    env_expect(up, SNICD_WHERE_HW, NULL);

    /* VNI 5, inner IPv4: decapsulated by the card, to VF 0 */
    len = vxlan(f, 5, inner_ip, sizeof(inner_ip));
    cr_expect_eq(env_xmit(ENV_WIRE_PORT, f, len, ENV_VF_PORT, got,
                          sizeof(got), &got_len, NULL), 1);
    cr_expect(got_len == sizeof(inner_ip) &&
              memcmp(got, inner_ip, sizeof(inner_ip)) == 0,
              "VF 0 got the inner frame (%u bytes)", got_len);
    hw_pkts = 0;
    cr_expect_gt(snicd_offload_read_counters(env.o, on_stats, &id,
                                             &moved_only), 0);
    cr_expect_eq(hw_pkts, 1, "counted by the card's rule");

    /* VNI 5, inner ARP: misses in the context's group, reaches software
     * decapsulated with the decap mark */
    len = vxlan(f, 5, inner_arp, sizeof(inner_arp));
    cr_expect_eq(env_xmit(ENV_WIRE_PORT, f, len, 0, got, sizeof(got),
                          &got_len, &mark), 1);
    cr_expect(got_len == sizeof(inner_arp) &&
              memcmp(got, inner_arp, sizeof(inner_arp)) == 0,
              "the uplink's representor got the inner frame");
    cr_assert_not_null(decap_mark(5));
    cr_expect_eq(mark, decap_mark(5)->mark, "with VNI 5's decap mark");

    /* VNI 6: no context. The guard keeps it from in_port=uplink's rule:
     * it reaches software untouched and unmarked */
    len = vxlan(f, 6, inner_ip, sizeof(inner_ip));
    cr_expect_eq(env_xmit(ENV_WIRE_PORT, f, len, ENV_VF_PORT, NULL, 0, NULL,
                          NULL), 0, "not forwarded by in_port=uplink");
    cr_expect_eq(env_xmit(ENV_WIRE_PORT, f, len, 0, got, sizeof(got),
                          &got_len, &mark), 1);
    cr_expect(got_len == len && memcmp(got, f, len) == 0, "untouched");
    cr_expect_eq(mark, 0, "unmarked");

    /* a plain frame from the wire still takes in_port=uplink's rule */
    cr_expect_eq(env_xmit(ENV_WIRE_PORT, inner_ip, sizeof(inner_ip),
                          ENV_VF_PORT, NULL, 0, NULL, NULL), 1);
}

Test(decap, resync_recreates_guard_and_pop_rules)
{
    uint64_t id;
    int placed;

    env_start_vxlan("full", false, "--max-rules", "16", NULL);
    id = env_add("priority=10,in_port=vxlan0,tun_id=5 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    env_expect(id, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_free_rules(), 13);

    cr_assert_eq(env_snic_fw("reset"), 0, "snic-fw reset");
    cr_assert(env_wait_reset(3000), "the PMD reported the reset");
    cr_expect_eq(env_free_rules(), 16, "the card lost every rule");
    placed = snicd_offload_resync(env.o);
    cr_expect_eq(placed, 1);
    env_expect(id, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().decap_contexts, 1);
    cr_expect_eq(env_stats().guard_rules, 1);
    cr_expect_eq(env_free_rules(), 13, "guard, pop rule and flow again, no "
                 "more");
    cr_expect_not_null(decap_mark(5));

    /* a new port map rebuilds the tunnel rules with the new ids */
    cr_assert_eq(snicd_offload_set_ports(env.o, env.ports, env.n_ports), 0);
    cr_assert_geq(env_commit(), 0);
    env_expect(id, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_free_rules(), 13);
}

/* ---- marks in flight (docs/snicd.md, "Datapath lcores and marks") ---- */

static unsigned publish_calls, misread;
static uint32_t misread_mark;
static bool pop_before_mark;

/*
 * At each publication, before the workers could know the new list: a
 * VXLAN frame of VNI 5 whose inner frame misses in the context's group,
 * sent from the wire now, shows what a worker would meet in this window.
 * A marked frame whose mark the previous list lacks is one the worker
 * cannot read: before the fix, the first one was classified as if the
 * inner frame came from the uplink.
 */
static void
probe_window(const struct snicd_mark *marks, unsigned n)
{
    uint8_t f[256], got[256];
    unsigned len, got_len = 0;
    uint32_t mark = 0;
    bool known = false;

    publish_calls++;
    for (unsigned i = 0; i < n; i++)
        if (marks[i].kind == SNICD_MARK_DECAP &&
            be64toh(marks[i].tun.tun_id) == 5
            && env_stats().decap_contexts > 0)
            pop_before_mark = true;
    len = vxlan(f, 5, inner_arp, sizeof(inner_arp));
    if (env_xmit(ENV_WIRE_PORT, f, len, 0, got, sizeof(got), &got_len,
                 &mark) != 1 || mark == 0)
        return;
    for (unsigned i = 0; i < env.n_marks; i++)
        known |= env.marks[i].mark == mark;
    if (!known) {
        misread++;
        misread_mark = mark;
    }
}

Test(decap, decap_mark_is_known_before_its_pop_rule)
{
    uint8_t f[256], got[256];
    unsigned len, got_len = 0;
    uint32_t mark = 0;
    const struct snicd_mark *m;
    uint64_t id, up;

    env_start_vxlan("full", true, NULL);
    /* where a misread inner frame would go: to VF 0, as from the uplink */
    up = env_add("priority=1,in_port=uplink actions=output:vf0");
    cr_assert_geq(env_commit(), 0);
    env_expect(up, SNICD_WHERE_HW, NULL);
    env.on_publish = probe_window;
    id = env_add("priority=10,in_port=vxlan0,tun_id=5,ip "
                 "actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    env.on_publish = NULL;
    env_expect(id, SNICD_WHERE_HW, NULL);
    cr_expect_gt(publish_calls, 0);
    cr_expect_eq(misread, 0, "%u frame(s) reached software with the decap "
                 "mark %#x before the workers could know it", misread,
                 misread_mark);
    cr_expect_not(pop_before_mark, "the mark was published after its pop "
                  "rule was made");
    /* and from now on the mark is known, in the decap range */
    m = decap_mark(5);
    cr_assert_not_null(m);
    cr_expect(snicd_mark_is_decap(m->mark), "decap mark %#x in [%#x, %#x]",
              m->mark, SNICD_MARK_DECAP_FIRST, SNICD_MARK_DECAP_LAST);
    len = vxlan(f, 5, inner_arp, sizeof(inner_arp));
    cr_expect_eq(env_xmit(ENV_WIRE_PORT, f, len, 0, got, sizeof(got),
                          &got_len, &mark), 1);
    cr_expect_eq(mark, m->mark);
}

static uint32_t
partial_mark(void)
{
    for (unsigned i = 0; i < env.n_marks; i++)
        if (env.marks[i].kind == SNICD_MARK_PARTIAL)
            return env.marks[i].mark;
    return 0;
}

Test(decap, decap_marks_keep_their_range_and_are_not_reused_at_once)
{
    const char *a = "priority=10,in_port=vxlan0,tun_id=5 actions=output:vf1";
    const char *b = "priority=10,in_port=vxlan0,tun_id=6 actions=output:vf1";
    uint32_t m5, m6;

    env_start_vxlan("full", false, NULL);
    env_add(a);
    cr_assert_geq(env_commit(), 0);
    cr_assert_not_null(decap_mark(5));
    m5 = decap_mark(5)->mark;
    env_del(a);
    cr_assert_geq(env_commit(), 0);
    env_add(b);
    cr_assert_geq(env_commit(), 0);
    cr_assert_not_null(decap_mark(6));
    m6 = decap_mark(6)->mark;
    cr_expect_neq(m6, m5, "VNI 5's mark %#x went to VNI 6 at once", m5);
    cr_expect(snicd_mark_is_decap(m5) && snicd_mark_is_decap(m6),
              "decap marks %#x, %#x in the decap range", m5, m6);
}

Test(decap, partial_marks_keep_their_range_and_are_not_reused_at_once)
{
    const char *p = "priority=10,in_port=vf0 actions=mod_dl_src:02:00:00:"
                    "00:00:77,output:vf1";
    const char *q = "priority=10,in_port=vf1 actions=mod_dl_src:02:00:00:"
                    "00:00:77,output:vf0";
    uint32_t mp, mq;

    /* the basic card refuses MAC rewrites: such flows go partial */
    env_start("basic", false, true, NULL);
    env_add(p);
    cr_assert_geq(env_commit(), 0);
    env_expect(env.last_id, SNICD_WHERE_PARTIAL, NULL);
    mp = partial_mark();
    cr_expect(mp != 0 && !snicd_mark_is_decap(mp), "partial mark %#x below "
              "the decap range", mp);
    env_del(p);
    env_add(q);
    cr_assert_geq(env_commit(), 0);
    env_expect(env.last_id, SNICD_WHERE_PARTIAL, NULL);
    mq = partial_mark();
    cr_expect(mq != 0 && mq != mp, "a released partial mark (%#x) is not "
              "the next one handed out (%#x)", mp, mq);
}

/* ---- which contexts may be offloaded ---- */

Test(decap, no_decap_without_this_ports_guard)
{
    uint64_t id;

    env_start_vxlan("full", false, "--max-rules", "16", NULL);
    /* the guard's RULE_ADD (the first of the commit) fails in the card */
    cr_assert_eq(env_snic_fw("fault fail-next opcode=0x0410 count=1"), 0);
    id = env_add("priority=10,in_port=vxlan0,tun_id=5 actions=output:vf1");
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().guard_mode, SNICD_GUARD_JUMP);
    cr_expect_eq(env_stats().guard_rules, 0);
    env_expect(id, SNICD_WHERE_SW, "vxlan0 has no guard rule");
    cr_expect_eq(env_stats().decap_contexts, 0, "no pop rule without a guard");
    cr_expect_eq(env_free_rules(), 16, "nothing in the card");
    /* the next commit makes the guard, and then the context */
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().guard_rules, 1);
    env_expect(id, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().decap_contexts, 1);
    cr_expect_eq(env_free_rules(), 13);
}

Test(decap, equal_pop_matches_of_two_tunnel_ports_are_refused)
{
    struct snicd_port_info *v1;
    uint64_t a, b, c;

    env_start_vxlan("full", false, NULL);
    /* vxlan1: flow-based, same underlay and local VTEP as vxlan0 */
    v1 = &env.ports[env.n_ports++];
    *v1 = env.ports[env.n_ports - 2];
    v1->ofport = ENV_VXLAN_PORT + 1;
    v1->tun_remote_ip = 0;
    snprintf(v1->name, sizeof(v1->name), "vxlan1");
    cr_assert_eq(snicd_offload_set_ports(env.o, env.ports, env.n_ports), 0);
    a = env_add("priority=10,in_port=vxlan0,tun_id=5 actions=output:vf1");
    /* vxlan0's remote VTEP as tun_src, same VNI: the same pop match */
    b = env_add("priority=10,in_port=vxlan1,tun_id=5,tun_src=192.168.0.2 "
                "actions=output:vf2");
    /* another source: its own pop rule */
    c = env_add("priority=10,in_port=vxlan1,tun_id=5,tun_src=192.168.0.3 "
                "actions=output:vf2");
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().guard_rules, 2);
    env_expect(a, SNICD_WHERE_HW, NULL);
    env_expect(b, SNICD_WHERE_SW, "for vxlan0 already");
    env_expect(c, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().decap_contexts, 2);
}

/* ---- nothing left behind ---- */

static uint32_t
level_of(uint64_t id)
{
    const struct snicd_oflow *f = snicd_idmap_find(&env.o->ids, id);

    cr_assert_not_null(f);
    return f->level;
}

Test(decap, modify_relevel_and_delete_a_shared_context)
{
    const char *a = "priority=10,in_port=vxlan0,tun_id=5,ip "
                    "actions=output:vf1";
    const char *b = "priority=20,in_port=vxlan0,tun_id=5,ip,nw_dst=10.0.0.9 "
                    "actions=output:vf2";
    const char *top = "priority=30,in_port=vxlan0,tun_id=5,ip,nw_dst=10.0.0.9"
                      ",nw_src=10.0.0.16 actions=drop";
    uint64_t ia, ib;
    uint32_t la, lb;
    unsigned free0;

    env_start_vxlan("full", false, "--max-rules", "16", NULL);
    cr_assert_geq(env_commit(), 0);
    free0 = env_free_rules();
    ia = env_add(a);
    ib = env_add(b);
    cr_assert_geq(env_commit(), 0);
    env_expect(ia, SNICD_WHERE_HW, NULL);
    env_expect(ib, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().decap_contexts, 1, "one context for both");
    cr_expect_eq(env_free_rules(), free0 - 3, "pop rule + 2 flows");
    la = level_of(ia);
    lb = level_of(ib);
    cr_expect_lt(lb, la, "b above a");

    /* new actions for b: its rule is made again, in the same context */
    env_mod("priority=20,in_port=vxlan0,tun_id=5,ip,nw_dst=10.0.0.9 "
            "actions=output:vf3");
    cr_assert_geq(env_commit(), 0);
    env_expect(ib, SNICD_WHERE_HW, NULL);
    cr_expect_eq(env_stats().decap_contexts, 1);
    cr_expect_eq(env_free_rules(), free0 - 3, "the old rule of b went");

    /* a higher overlapping flow pushes b (and a) a level down */
    env_add(top);
    cr_assert_geq(env_commit(), 0);
    env_expect(env.last_id, SNICD_WHERE_HW, NULL);
    cr_expect_gt(level_of(ib), lb, "b moved down (%u -> %u)", lb,
                 level_of(ib));
    cr_expect_eq(env_stats().decap_contexts, 1);
    cr_expect_eq(env_free_rules(), free0 - 4);

    env_del(top);
    env_del("priority=20,in_port=vxlan0,tun_id=5,ip,nw_dst=10.0.0.9 "
            "actions=output:vf3");
    env_del(a);
    cr_assert_geq(env_commit(), 0);
    cr_expect_eq(env_stats().decap_contexts, 0);
    cr_expect_eq(env_stats().n_marks, 0);
    cr_expect_eq(env_free_rules(), free0, "every rule back: %u free, %u at "
                 "the start", env_free_rules(), free0);
}
