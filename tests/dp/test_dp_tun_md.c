/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tun_metadata0..63 in the datapath, with a TLV map (dp_set_tlv_map())
 * and flows fitted to it as snicd fits them (flow_tun_md_check()): an
 * option as scratch space across a resubmit (load, move, match, output:
 * FIELD), an option the packet does not carry reads as zero and matches
 * nothing, not even tun_metadata0=0, until a write makes it present; each
 * packet starts without any; push/pop and whole-field moves.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

/* tun_metadata0: 4 bytes, tun_metadata1: 8 bytes */
static void
env_init(struct dp_env *e, const char *const *lines)
{
    struct flow_tlv_map map;

    flow_tlv_map_init(&map);
    cr_assert_eq(flow_tlv_map_add(&map, 0, 0xffff, 0, 4), 0);
    cr_assert_eq(flow_tlv_map_add(&map, 1, 0xffff, 1, 8), 0);
    snic_role_enter(&snic_control);
    e->now = 0;
    e->dp = dp_create(NULL, NULL);
    e->ft = flow_table_create(dp_flow_table_listener, e->dp);
    e->w = dp_worker_create(e->dp);
    cr_assert(e->dp && e->ft && e->w);
    dp_set_tlv_map(e->dp, &map);
    for (; *lines != NULL; lines++) {
        struct flow_mod fm;
        struct flow_error err;
        char msg[200];

        cr_assert_eq(flow_parse(*lines, FLOW_CMD_ADD, NULL, &fm, &err), 0,
                     "%s: %s", *lines, err.msg);
        cr_assert_eq(flow_tun_md_check(&fm.flow, &map, msg, sizeof(msg)), 0,
                     "%s: %s", *lines, msg);
        cr_assert_eq(flow_table_apply(e->ft, &fm, e->now), 1, "%s", *lines);
    }
    cr_assert_eq(dp_commit(e->dp), 0);
}

/* The ports one UDP frame from port 1 goes out of, through both worker
 * paths (one call, a burst of one), twice: the second packet starts
 * afresh, without the first one's options. */
static unsigned
ports_of(const char *const *flows, uint32_t *ports, struct capture *last)
{
    struct dp_env e;
    struct capture c[2];
    struct t_pkt tp;
    uint8_t f[128];
    size_t len = t_frame_ip4(f, -1, 17, 1000, 2000, 8);

    env_init(&e, flows);
    for (int i = 0; i < 2; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        t_pkt_load(&tp, f, len);
        dp_env_run(&e, &tp.buf, 1, i == 1, capture, &c[i]);
    }
    cr_expect_eq(c[0].n, c[1].n);
    for (unsigned i = 0; i < c[0].n; i++) {
        ports[i] = c[0].port[i];
        cr_expect_eq(c[1].port[i], c[0].port[i]);
        cr_expect_eq(c[1].len[i], c[0].len[i]);
        cr_expect(memcmp(c[1].frame[i], c[0].frame[i], c[0].len[i]) == 0);
    }
    if (last != NULL)
        *last = c[0];
    dp_env_fini(&e);
    return c[0].n;
}

Test(dp_tun_md, scratch_space_across_a_resubmit)
{
    static const char *const flows[] = {
        "table=0,in_port=1,actions=load:0x30002->tun_metadata0,"
        "move:tun_metadata0[16..31]->tun_metadata1[40..55],resubmit(,1)",
        "table=1,priority=9,tun_metadata0=0x30002,"
        "tun_metadata1=0x30000000000/0xffff0000000000,"
        "actions=output:tun_metadata0[0..15],"
        "output:NXM_NX_TUN_METADATA1[40..47]",
        "table=1,priority=1,actions=output:7",
        NULL,
    };
    uint32_t ports[MAX_OUT];

    cr_assert_eq(ports_of(flows, ports, NULL), 2);
    cr_expect_eq(ports[0], 2);
    cr_expect_eq(ports[1], 3);
}

Test(dp_tun_md, absent_matches_nothing_until_written)
{
    static const char *const absent[] = {
        "table=0,in_port=1,actions=move:tun_metadata1[0..15]->reg0[0..15],"
        "resubmit(,1)",
        "table=1,priority=9,tun_metadata1=0,actions=output:3",
        "table=1,priority=5,reg0=0,actions=output:4",
        "table=1,priority=1,actions=output:5",
        NULL,
    };
    static const char *const written[] = {
        "table=0,in_port=1,actions=load:0->tun_metadata1[8..15],"
        "resubmit(,1)",
        "table=1,priority=9,tun_metadata1=0,actions=output:3",
        "table=1,priority=1,actions=output:5",
        NULL,
    };
    static const char *const present_any[] = {
        "table=0,in_port=1,actions=set_field:0x5->tun_metadata0,"
        "resubmit(,1)",
        "table=1,priority=9,tun_metadata0=0/0,tun_metadata1=0/0,"
        "actions=output:3",
        "table=1,priority=8,tun_metadata0=0/0,actions=output:4",
        "table=1,priority=1,actions=output:5",
        NULL,
    };
    uint32_t ports[MAX_OUT];

    /* read as 0, but tun_metadata1=0 needs it present */
    cr_assert_eq(ports_of(absent, ports, NULL), 1);
    cr_expect_eq(ports[0], 4);
    cr_assert_eq(ports_of(written, ports, NULL), 1);
    cr_expect_eq(ports[0], 3);
    cr_assert_eq(ports_of(present_any, ports, NULL), 1);
    cr_expect_eq(ports[0], 4);
}

Test(dp_tun_md, push_pop_and_whole_fields)
{
    /* the option's bytes into the frame: eth_src's low 32 bits */
    static const char *const flows[] = {
        "table=0,in_port=1,actions=load:0xa1b2c3d4->tun_metadata0,"
        "push:tun_metadata0[],pop:NXM_OF_ETH_SRC[0..31],"
        "move:tun_metadata0[0..31]->tun_metadata1[0..31],"
        "output:tun_metadata1[30..31]",
        NULL,
    };
    static const char *const absent_push[] = {
        "table=0,in_port=1,actions=push:tun_metadata1[0..31],"
        "pop:NXM_OF_ETH_SRC[0..31],output:2",
        NULL,
    };
    uint32_t ports[MAX_OUT];
    struct capture c;

    cr_assert_eq(ports_of(flows, ports, &c), 1);
    cr_expect_eq(ports[0], 2);  /* 0xa1b2c3d4 >> 30 */
    cr_expect(c.frame[0][8] == 0xa1 && c.frame[0][9] == 0xb2
              && c.frame[0][10] == 0xc3 && c.frame[0][11] == 0xd4,
              "%02x%02x%02x%02x", c.frame[0][8], c.frame[0][9],
              c.frame[0][10], c.frame[0][11]);
    /* a push of an option the packet lacks pushes zeros */
    cr_assert_eq(ports_of(absent_push, ports, &c), 1);
    cr_expect(c.frame[0][8] == 0 && c.frame[0][9] == 0
              && c.frame[0][10] == 0 && c.frame[0][11] == 0);
}
