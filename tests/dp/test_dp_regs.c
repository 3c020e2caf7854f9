/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registers, metadata and resubmit in the datapath: loads seen by later
 * lookups, actions in order around a resubmit, in_port replaced for the
 * lookup only, the exact-match cache never answering for a table that
 * matches registers, and Open vSwitch's resubmit limits (64 nested, 4,096
 * in all), past which the packet is dropped whole.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "dp_test_env.h"

#define MAX_OUT 80

struct capture {
    unsigned n;
    uint32_t port[MAX_OUT];
    bool last[MAX_OUT];
    uint8_t dst5[MAX_OUT];     /* the last byte of the frame's dl_dst */
};

static void
capture(void *ctx, const struct dp_output *out)
{
    struct capture *c = ctx;

    if (c->n < MAX_OUT) {
        c->port[c->n] = out->port;
        c->last[c->n] = out->last;
        c->dst5[c->n] = out->frame[5];
    }
    c->n++;
}

/* One TCP frame to port 80 from @in_port, through one call or a burst
 * of one (the two paths must agree). */
static unsigned
send_one(struct dp_env *e, uint32_t in_port, bool burst, struct capture *cap)
{
    uint8_t f[128];
    size_t n = t_frame_ip4(f, -1, 6, 1000, 80, 0);
    struct t_pkt tp;

    memset(cap, 0, sizeof(*cap));
    t_pkt_load(&tp, f, n);
    return dp_env_run(e, &tp.buf, in_port, burst, capture, cap);
}

static uint64_t
hits(struct dp_env *e, const char *line)
{
    /* flow ids count from 1 in the order flows are added: each test gives
     * its flows their ids as cookies */
    struct flow_mod fm;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, NULL), 0);
    return dp_env_hits(e, fm.flow.cookie);
}

Test(dp_regs, load_then_resubmit_matches_the_loaded_register)
{
    static const char *const flows[] = {
        "table=0,priority=1,actions=load:5->NXM_NX_REG0[0..15],"
        "resubmit(,1)",
        "table=1,priority=10,reg0=5,actions=output:2",
        "table=1,priority=5,reg0=0,actions=output:3",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    for (int burst = 0; burst < 2; burst++) {
        cr_assert_eq(send_one(&e, 1, burst, &cap), 1);
        cr_assert_eq(cap.port[0], 2);
        /* a resubmitted list's output is not the packet's last... */
        cr_assert_not(cap.last[0]);
    }
    dp_env_fini(&e);
}

Test(dp_regs, actions_run_in_order_around_resubmit)
{
    static const char *const flows[] = {
        /* output, rewrite, resubmit (sees the rewrite and the register),
         * then the rest of this list, which sees what table 1 did */
        "table=0,priority=1,actions=output:2,mod_dl_dst:00:00:00:00:00:11,"
        "load:1->reg1,resubmit(,1),output:4",
        "table=1,priority=10,reg1=1,dl_dst=00:00:00:00:00:11,"
        "actions=output:3,mod_dl_dst:00:00:00:00:00:22,load:2->reg1",
        "table=1,priority=5,actions=output:9",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    cr_assert_eq(send_one(&e, 1, false, &cap), 3);
    cr_assert_eq(cap.port[0], 2);
    cr_assert_eq(cap.dst5[0], 0x0b);
    cr_assert_eq(cap.port[1], 3);
    cr_assert_eq(cap.dst5[1], 0x11);
    cr_assert_eq(cap.port[2], 4);
    cr_assert_eq(cap.dst5[2], 0x22);
    cr_assert(cap.last[2]);
    dp_env_fini(&e);
}

/* A truncated output that ends a resubmitted list is not the packet's
 * last: the caller's list goes on with the packet, so the output must not
 * take its buffer (snicd would queue the mbuf for transmission and the
 * actions after the resubmit would write into it). */
Test(dp_regs, a_truncated_output_ending_a_resubmit_is_not_last)
{
    static const char *const flows[] = {
        "table=0,priority=1,actions=resubmit(,1),"
        "mod_dl_dst:00:00:00:00:00:22,output:3",
        "table=1,priority=1,actions=output(port=2,max_len=20)",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    for (int burst = 0; burst < 2; burst++) {
        cr_assert_eq(send_one(&e, 1, burst, &cap), 2);
        cr_assert_eq(cap.port[0], 2);
        cr_assert_not(cap.last[0], "the resubmit's output took the buffer");
        cr_assert_eq(cap.port[1], 3);
        cr_assert_eq(cap.dst5[1], 0x22);
        cr_assert(cap.last[1]);
    }
    dp_env_fini(&e);
}

/* clone: its outputs send the copy as rewritten inside it; afterwards the
 * packet, its tag and its registers are as before it. */
Test(dp_regs, clone_runs_on_a_copy_and_puts_the_packet_back)
{
    static const char *const flows[] = {
        "table=0,priority=1,actions=load:1->reg1,"
        "clone(mod_dl_dst:00:00:00:00:00:11,load:2->reg1,push_vlan:0x8100,"
        "output:2),output:3,resubmit(,1)",
        "table=1,priority=10,reg1=1,vlan_tci=0/0x1000,"
        "dl_dst=02:00:00:00:00:0b,"
        "actions=output:4",
        "table=1,priority=5,actions=output:9",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    for (int burst = 0; burst < 2; burst++) {
        cr_assert_eq(send_one(&e, 1, burst, &cap), 3);
        cr_assert_eq(cap.port[0], 2);
        cr_assert_not(cap.last[0], "the clone's output took the buffer");
        /* pushed tag: dl_dst still first, rewritten */
        cr_assert_eq(cap.dst5[0], 0x11);
        cr_assert_eq(cap.port[1], 3);
        cr_assert_eq(cap.dst5[1], 0x0b);
        /* reg1 and dl_dst as before the clone */
        cr_assert_eq(cap.port[2], 4);
    }
    dp_env_fini(&e);
}

Test(dp_regs, resubmit_replaces_in_port_for_the_lookup_only)
{
    static const char *const flows[] = {
        "table=0,priority=10,in_port=1,actions=resubmit(7,1)",
        "table=1,priority=10,in_port=7,actions=output:1,output:7",
        "table=1,priority=5,actions=output:9",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    /* output:1 is to the packet's own in_port (skipped); output:7 is not */
    cr_assert_eq(send_one(&e, 1, false, &cap), 1);
    cr_assert_eq(cap.port[0], 7);
    dp_env_fini(&e);
}

Test(dp_regs, goto_keeps_registers_and_move_output_reg)
{
    static const char *const flows[] = {
        "table=0,priority=1,actions=set_field:0x300000004->xreg0,"
        "move:NXM_NX_REG1[0..15]->NXM_NX_REG2[16..31],goto_table:1",
        "table=1,priority=10,reg0=3,reg2=0x40000/0xffff0000,"
        "actions=output:reg1[],move:reg2[16..31]->metadata[8..23],"
        "goto_table:2",
        "table=2,priority=10,metadata=0x400/0xffff,actions=output:5",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    cr_assert_eq(send_one(&e, 1, true, &cap), 2);
    cr_assert_eq(cap.port[0], 4);
    cr_assert_eq(cap.port[1], 5);
    dp_env_fini(&e);
}

/* load/move on the tunnel fields: a later lookup matches what was
 * written, move and output:REG read it (partial bits keep the rest) */
Test(dp_regs, tunnel_fields_are_loaded_moved_and_matched)
{
    static const char *const flows[] = {
        "table=0,priority=1,actions=load:0x206->NXM_NX_TUN_ID[],"
        "load:0x7->NXM_NX_TUN_ID[0..7],"
        "move:NXM_NX_TUN_ID[0..15]->NXM_NX_TUN_IPV4_DST[16..31],"
        "resubmit(,1)",
        "table=1,priority=10,tun_id=0x207,tun_dst=2.7.0.0,"
        "actions=output:NXM_NX_TUN_ID[8..11],"
        "move:NXM_NX_TUN_IPV4_DST[16..23]->reg0[0..7],output:reg0[]",
        "table=1,priority=5,actions=output:9",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    cr_assert_eq(send_one(&e, 1, false, &cap), 2);
    cr_assert_eq(cap.port[0], 2);
    cr_assert_eq(cap.port[1], 7);
    dp_env_fini(&e);
}

Test(dp_regs, a_packet_enters_with_zero_registers)
{
    static const char *const flows[] = {
        "table=0,priority=10,reg0=0,actions=load:7->reg0,output:2",
        "table=0,priority=1,actions=output:3",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    /* the second packet must not see the first one's reg0 */
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(send_one(&e, 1, i & 1, &cap), 1);
        cr_assert_eq(cap.port[0], 2);
    }
    dp_env_fini(&e);
}

/* Table 1 has enough subtables for the exact-match cache to pay, but
 * matches reg0: the cache keys on the packet's own words, so it must not
 * answer there (the two lookups have the same packet, different reg0). */
Test(dp_regs, no_exact_match_cache_over_register_matches)
{
    static const char *const flows[] = {
        "table=0,priority=1,actions=resubmit(,1),load:1->reg0,"
        "resubmit(,1)",
        "table=1,priority=100,reg0=1,actions=output:2",
        "table=1,priority=100,reg0=0,actions=output:3",
        "table=1,priority=100,dl_src=00:00:00:00:00:01,actions=drop",
        "table=1,priority=100,dl_dst=00:00:00:00:00:01,actions=drop",
        "table=1,priority=100,ip,nw_src=9.9.9.9,actions=drop",
        "table=1,priority=100,tcp,tp_src=9,actions=drop",
        "table=1,priority=100,dl_vlan=9,actions=drop",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(send_one(&e, 1, i & 1, &cap), 2);
        cr_assert_eq(cap.port[0], 3);
        cr_assert_eq(cap.port[1], 2);
    }
    dp_env_fini(&e);
}

/* in_port=k resubmits to in_port k+1 in the same table: each one nests a
 * level deeper. Open vSwitch allows 64 levels. */
static void
chain(struct dp_env *e, unsigned levels)
{
    static char lines[80][96];
    static const char *ptrs[82];
    unsigned k;

    for (k = 1; k <= levels; k++) {
        snprintf(lines[k], sizeof(lines[k]), "cookie=%u,in_port=%u,"
                 "actions=output:99,resubmit(%u,0)", k, k + 1000, k + 1001);
        ptrs[k - 1] = lines[k];
    }
    snprintf(lines[k], sizeof(lines[k]), "cookie=%u,in_port=%u,"
             "actions=output:2", k, k + 1000);
    ptrs[k - 1] = lines[k];
    ptrs[k] = NULL;
    dp_env_init(e, 0, ptrs);
}

Test(dp_regs, depth_limit_is_64_nested_resubmits)
{
    struct dp_env e;
    struct capture cap;

    chain(&e, 64);
    for (int burst = 0; burst < 2; burst++) {
        /* 64 outputs to 99 on the way down, then the last flow's */
        cr_assert_eq(send_one(&e, 1001, burst, &cap), 65);
        cr_assert_eq(cap.port[64], 2);
    }
    cr_assert_eq(dp_worker_stats(e.w)->resubmit_drops, 0);
    dp_env_fini(&e);

    chain(&e, 65);
    for (int burst = 0; burst < 2; burst++) {
        /* one level more: dropped whole, not even the first output */
        cr_assert_eq(send_one(&e, 1001, burst, &cap), 0);
        cr_assert_eq(cap.n, 0);
    }
    cr_assert_eq(dp_worker_stats(e.w)->resubmit_drops, 2);
    /* but every flow it was looked up to counts it, as in Open vSwitch:
     * the 65 levels and not the last flow, past the limit */
    cr_assert_eq(hits(&e, "cookie=1,actions=drop"), 2);
    cr_assert_eq(hits(&e, "cookie=65,actions=drop"), 2);
    cr_assert_eq(hits(&e, "cookie=66,actions=drop"), 0);
    dp_env_fini(&e);
}

Test(dp_regs, a_resubmit_loop_is_stopped_and_the_packet_dropped)
{
    static const char *const flows[] = {
        "table=0,priority=1,cookie=1,actions=output:2,resubmit(,0)",
        NULL,
    };
    static const char *const fine[] = {
        "table=0,priority=1,cookie=1,actions=output:2,resubmit(,1)",
        "table=1,priority=1,cookie=2,actions=output:3",
        NULL,
    };
    struct dp_env e;
    struct capture cap;

    dp_env_init(&e, 0, flows);
    cr_assert_eq(send_one(&e, 1, false, &cap), 0);
    cr_assert_eq(cap.n, 0);
    cr_assert_eq(dp_worker_stats(e.w)->resubmit_drops, 1);
    /* Open vSwitch 3.1 credits this flow 65 times for the packet: the
     * first lookup and 64 nested ones, before the 65th level fails */
    cr_assert_eq(hits(&e, "cookie=1,actions=drop"), 65);
    dp_env_fini(&e);

    dp_env_init(&e, 0, fine);
    cr_assert_eq(send_one(&e, 1, false, &cap), 2);
    cr_assert_eq(hits(&e, "cookie=1,actions=drop"), 1);
    cr_assert_eq(hits(&e, "cookie=2,actions=drop"), 1);
    dp_env_fini(&e);
}

/* Fan-out without a loop: 16 x 16 x N resubmits to later tables. Open
 * vSwitch allows 4,096 in all. */
static void
fan(struct dp_env *e, unsigned last)
{
    static char l0[512], l1[512], l2[512];
    const char *ptrs[] = { l0, l1, l2, NULL };
    int n;

    n = snprintf(l0, sizeof(l0), "table=0,cookie=1,actions=output:2");
    for (int i = 0; i < 16; i++)
        n += snprintf(l0 + n, sizeof(l0) - (size_t)n, ",resubmit(,1)");
    n = snprintf(l1, sizeof(l1), "table=1,cookie=2,actions=");
    for (int i = 0; i < 16; i++)
        n += snprintf(l1 + n, sizeof(l1) - (size_t)n, "%sresubmit(,2)",
                      i ? "," : "");
    n = snprintf(l2, sizeof(l2), "table=2,cookie=3,actions=");
    for (unsigned i = 0; i < last; i++)
        n += snprintf(l2 + n, sizeof(l2) - (size_t)n, "%sresubmit(,3)",
                      i ? "," : "");
    if (last == 0)
        snprintf(l2 + n, sizeof(l2) - (size_t)n, "drop");
    dp_env_init(e, 0, ptrs);
}

Test(dp_regs, total_limit_is_4096_resubmits)
{
    static const char *const t3[] = {
        "table=3,cookie=4,actions=drop", NULL,
    };
    struct dp_env e;
    struct capture cap;

    snic_role_enter(&snic_control);
    /* 16 + 256 + 256 x 14 = 3,856 lookups that find a flow: fine */
    fan(&e, 14);
    {
        struct flow_mod fm;

        cr_assert_eq(flow_parse(t3[0], FLOW_CMD_ADD, NULL, &fm, NULL), 0);
        cr_assert_eq(flow_table_apply(e.ft, &fm, 0), 1);
        cr_assert_eq(dp_commit(e.dp), 0);
    }
    cr_assert_eq(send_one(&e, 1, false, &cap), 1);
    cr_assert_eq(hits(&e, "cookie=4,actions=drop"), 256 * 14);
    dp_env_fini(&e);

    /* 16 + 256 + 256 x 15 = 4,112: dropped whole */
    fan(&e, 15);
    {
        struct flow_mod fm;

        cr_assert_eq(flow_parse(t3[0], FLOW_CMD_ADD, NULL, &fm, NULL), 0);
        cr_assert_eq(flow_table_apply(e.ft, &fm, 0), 1);
        cr_assert_eq(dp_commit(e.dp), 0);
    }
    cr_assert_eq(send_one(&e, 1, true, &cap), 0);
    cr_assert_eq(cap.n, 0);
    cr_assert_eq(dp_worker_stats(e.w)->resubmit_drops, 1);
    dp_env_fini(&e);
}
