/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow 1.1's action set in the datapath, flows through the parser and
 * frames through the packet path: write_actions keeps the last output and
 * runs it after every applied output, when the pipeline ends (also after a
 * miss); dec_ttl and pops before the rewrites, whatever order they were
 * written in; clear_actions empties the set; a set without an output runs
 * nothing; actset_output matches the output the set holds; a resubmitted
 * table writes into the same set; a flow the hardware matched (partial)
 * runs its set too. Expected bytes are written out by hand.
 */
#include <criterion/criterion.h>

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

static size_t
udp_frame(uint8_t *f, int tci)
{
    return t_frame_ip4(f, tci, 17, 1000, 2000, 8);
}

Test(dp_actset, last_output_runs_after_the_applied_ones)
{
    static const char *const flows[] = {
        "cookie=1,table=0,actions=output:4,write_actions(output:2,output:3),"
        "goto_table:1",
        "cookie=2,table=1,actions=output:2",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f, -1);

    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 3);
    cr_expect_eq(c.port[0], 4);
    cr_expect_eq(c.port[1], 2);
    /* the set's one output, the last written, after table 1's */
    cr_expect_eq(c.port[2], 3);
    cr_expect_eq(c.len[2], n);
    cr_expect(memcmp(c.frame[2], f, n) == 0);
    cr_expect_eq(dp_env_hits(&e, 1), 1);
    cr_expect_eq(dp_env_hits(&e, 2), 1);
    dp_env_fini(&e);
}

Test(dp_actset, runs_in_openflow_order_not_the_written_one)
{
    /* written: rewrite, output, dec_ttl, strip_vlan; run: strip_vlan,
     * dec_ttl, the rewrite, the output */
    static const char *const flows[] = {
        "cookie=1,actions=write_actions(mod_dl_src:02:00:00:00:00:99,"
        "output:3,dec_ttl,strip_vlan)",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128], want[128];
    size_t n = udp_frame(f, 0x2005), wn = udp_frame(want, -1);

    want[11] = 0x99;
    want[14 + 8] = 63;                  /* TTL */
    t_ipv4_fix(want + 14);
    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 3);
    cr_assert_eq(c.len[0], wn);
    cr_expect(memcmp(c.frame[0], want, wn) == 0);
    dp_env_fini(&e);
}

Test(dp_actset, a_set_without_output_runs_nothing)
{
    static const char *const flows[] = {
        "cookie=1,table=0,actions=write_actions(mod_dl_src:02:00:00:00:00:99,"
        "set_field:7->reg0),goto_table:1",
        /* the load in the set never ran: reg0 is still 0 */
        "cookie=2,table=1,reg0=0,actions=output:2",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f, -1);

    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 2);
    cr_expect(memcmp(c.frame[0], f, n) == 0);
    dp_env_fini(&e);
}

Test(dp_actset, clear_actions_empties_and_actset_output_matches)
{
    static const char *const flows[] = {
        "cookie=1,table=0,in_port=1,actions=write_actions(output:3),"
        "goto_table:1",
        "cookie=2,table=1,actset_output=3,actions=output:4,clear_actions,"
        "goto_table:2",
        "cookie=3,table=1,actset_output=UNSET,actions=output:2",
        "cookie=4,table=2,actset_output=UNSET,actions=output:2",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f, -1);

    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    /* table 1 saw output 3 in the set, cleared it; table 2 saw none */
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 4);
    cr_expect_eq(c.port[1], 2);
    cr_expect_eq(dp_env_hits(&e, 2), 1);
    cr_expect_eq(dp_env_hits(&e, 3), 0);
    cr_expect_eq(dp_env_hits(&e, 4), 1);
    dp_env_fini(&e);
}

/* Each packet's action set starts empty: actset_output, which sits after
 * tun_md[] in the metadata, is zeroed per packet like the words before
 * it (a packet that filled the set must not leave it to the next). */
Test(dp_actset, each_packet_starts_with_actset_output_unset)
{
    static const char *const flows[] = {
        "cookie=1,table=0,priority=2,udp,tp_src=1000,"
        "actions=write_actions(output:3),goto_table:1",
        "cookie=2,table=0,priority=1,actions=goto_table:1",
        "cookie=3,table=1,actset_output=3,actions=output:4,clear_actions",
        "cookie=4,table=1,actset_output=UNSET,actions=output:2",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128], g[128];
    size_t n = udp_frame(f, -1), m = t_frame_ip4(g, -1, 17, 1001, 2000, 8);

    dp_env_init(&e, 0, flows);
    /* bursts of both, in both orders: a key slot one packet filled the
     * set in takes the other packet next */
    for (int round = 0; round < 4; round++) {
        struct t_pkt tp[2];
        struct dp_buf bufs[2];
        bool a_first = round % 2 == 0;

        t_pkt_load(&tp[0], a_first ? f : g, a_first ? n : m);
        t_pkt_load(&tp[1], a_first ? g : f, a_first ? m : n);
        bufs[0] = tp[0].buf;
        bufs[1] = tp[1].buf;
        memset(&c, 0, sizeof(c));
        dp_worker_online(e.w);
        dp_worker_process_burst(e.w, bufs, 2, 1, capture, &c);
        dp_worker_quiesce(e.w);
        dp_worker_offline(e.w);
        cr_assert_eq(c.n, 2);
        cr_expect_eq(c.port[0], a_first ? 4 : 2, "round %d", round);
        cr_expect_eq(c.port[1], a_first ? 2 : 4, "round %d", round);
    }
    for (int round = 0; round < 3; round++) {
        for (int burst = 0; burst < 2; burst++) {
            struct t_pkt tp;

            memset(&c, 0, sizeof(c));
            t_pkt_load(&tp, f, n);
            dp_env_run(&e, &tp.buf, 1, burst, capture, &c);
            cr_assert_eq(c.n, 1);
            cr_expect_eq(c.port[0], 4, "the set holds output 3");
            memset(&c, 0, sizeof(c));
            t_pkt_load(&tp, g, m);
            dp_env_run(&e, &tp.buf, 1, burst, capture, &c);
            cr_assert_eq(c.n, 1);
            cr_expect_eq(c.port[0], 2, "round %d burst %d: the next packet's "
                         "set is empty", round, burst);
        }
    }
    dp_env_fini(&e);
}

Test(dp_actset, a_miss_still_runs_the_set_and_dec_ttl_can_drop_it)
{
    static const char *const flows[] = {
        "cookie=1,table=0,ip,actions=write_actions(dec_ttl,output:3),"
        "goto_table:1",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f, -1);

    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 1);               /* table 1 missed */
    cr_expect_eq(c.port[0], 3);
    cr_expect_eq(c.frame[0][14 + 8], 63);
    f[14 + 8] = 1;
    t_ipv4_fix(f + 14);
    send_frame(&e, f, n, &c);
    cr_expect_eq(c.n, 0);               /* TTL 1: dec_ttl drops it */
    dp_env_fini(&e);
}

Test(dp_actset, a_resubmitted_table_writes_into_the_same_set)
{
    static const char *const flows[] = {
        "cookie=1,table=0,actions=resubmit(,2),write_actions(output:2)",
        "cookie=2,table=2,actions=write_actions(output:4,"
        "mod_dl_dst:02:00:00:00:00:77)",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f, -1);

    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 1);
    /* table 0's output, written after table 2's, replaced it; table 2's
     * rewrite stays */
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.frame[0][5], 0x77);
    dp_env_fini(&e);
}

/* set_vlan_vid / set_vlan_pcp (OpenFlow 1.1) set the tag's fields and
 * never push one: after a resubmitted table stripped the tag they leave
 * the frame alone, where mod_vlan_vid (OpenFlow 1.0) pushes a new tag. */
Test(dp_actset, set_vlan_vid_never_pushes)
{
    static const char *const flows[] = {
        "cookie=1,table=0,in_port=1,dl_vlan=5,actions=set_vlan_vid:7,"
        "set_vlan_pcp:3,output:2,resubmit(,1),set_vlan_vid:9,output:3,"
        "mod_vlan_vid:9,output:4",
        "cookie=2,table=1,actions=strip_vlan",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128], tagged[128], plain[128], pushed[128];
    size_t n = udp_frame(f, 0x2005), tn = udp_frame(tagged, 0x6007);
    size_t pn = udp_frame(plain, -1), un = udp_frame(pushed, 0x0009);

    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 3);
    cr_expect_eq(c.port[0], 2);     /* VID 7, PCP 3 */
    cr_assert_eq(c.len[0], tn);
    cr_expect(memcmp(c.frame[0], tagged, tn) == 0);
    cr_expect_eq(c.port[1], 3);     /* untagged: set_vlan_vid left it */
    cr_assert_eq(c.len[1], pn);
    cr_expect(memcmp(c.frame[1], plain, pn) == 0);
    cr_expect_eq(c.port[2], 4);     /* mod_vlan_vid pushed VID 9 */
    cr_assert_eq(c.len[2], un);
    cr_expect(memcmp(c.frame[2], pushed, un) == 0);
    dp_env_fini(&e);
}

/* enqueue:PORT:QUEUE goes out as an output to PORT: the ingress port is
 * skipped, IN_PORT sends it back; the queue id changes nothing. */
Test(dp_actset, enqueue_outputs_to_the_port)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=enqueue:1:3,enqueue:2:7,"
        "enqueue:IN_PORT:1,mod_dl_src:02:00:00:00:00:99,enqueue:4:0",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[128];
    size_t n = udp_frame(f, -1);

    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 3);
    cr_expect_eq(c.port[0], 2);
    cr_expect(memcmp(c.frame[0], f, n) == 0);
    cr_expect_eq(c.port[1], 1);
    cr_expect_eq(c.port[2], 4);
    cr_expect_eq(c.frame[2][11], 0x99);
    dp_env_fini(&e);
}

Test(dp_actset, a_partial_flow_runs_its_set)
{
    static const char *const flows[] = {
        "cookie=1,table=0,actions=drop",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    struct flow_mod fm;
    struct t_pkt tp;
    uint8_t f[128];
    size_t n = udp_frame(f, -1);

    dp_env_init(&e, 0, flows);
    cr_assert_eq(flow_parse("actions=output:2,write_actions(output:3)",
                            FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    memset(&c, 0, sizeof(c));
    t_pkt_load(&tp, f, n);
    dp_worker_online(e.w);
    dp_worker_run_actions(e.w, &tp.buf, 1, -1, fm.flow.actions,
                          fm.flow.n_actions, 0, capture, &c);
    dp_worker_quiesce(e.w);
    dp_worker_offline(e.w);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.port[1], 3);
    dp_env_fini(&e);
}
