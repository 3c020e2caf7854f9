/* SPDX-License-Identifier: BSD-3-Clause */
/* Switchdev packet pipeline: walk, actions, misses, link state, stats. */
#include "emu_test.h"
#include "emu_test_frame.h"

static void
setup(void)
{
    t_frame_setup("full", 4, 3);
}

TestSuite(emu_dev_pipe, .init = setup, .fini = t_frame_teardown,
          .timeout = 10);

Test(emu_dev_pipe, miss_goes_to_ingress_representor)
{
    emu_dev_input(dev, 2, frame, flen);
    cr_assert_eq(t_rec.n, 1);
    cr_expect_eq(t_rec.pkts[0].dest.kind, EMU_DEST_REP);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 2);
    cr_expect_eq(t_rec.pkts[0].dest.queue, 0);
    cr_expect_eq(t_rec.pkts[0].dest.src_vport, 2);
    cr_expect_eq(t_rec.pkts[0].dest.has_mark, false);
    cr_expect_eq(t_rec.pkts[0].len, flen);
    cr_expect_eq(memcmp(t_rec.pkts[0].data, frame, flen), 0);
    struct fw_vport_stats_out s = t_vport_stats(dev, 2);
    cr_expect_eq(s.tx_packets, 1);
    cr_expect_eq(s.tx_bytes, flen);
    cr_expect_eq(s.rep_rx_packets, 1);
}

Test(emu_dev_pipe, fwd_vport_and_mirror_in_order)
{
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    memcpy(r.in.value.eth_dst, mac_vf1, 6);
    memset(r.in.mask.eth_dst, 0xff, 6);
    t_rule_act(&r, FW_ACT_MARK)->u.mark.id = 77;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 1, 3);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 2, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    emu_dev_input(dev, 1, frame, flen);
    cr_assert_eq(t_rec.n, 2);
    cr_expect_eq(t_rec.pkts[0].dest.kind, EMU_DEST_REP);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 1);
    cr_expect_eq(t_rec.pkts[0].dest.queue, 3);
    cr_expect_eq(t_rec.pkts[0].dest.src_vport, 1);
    cr_expect(t_rec.pkts[0].dest.has_mark);
    cr_expect_eq(t_rec.pkts[0].dest.mark, 77);
    cr_expect_eq(t_rec.pkts[1].dest.kind, EMU_DEST_VPORT);
    cr_expect_eq(t_rec.pkts[1].dest.vport, 2);
    cr_expect_eq(t_vport_stats(dev, 2).rx_packets, 1);
    cr_expect_eq(t_vport_stats(dev, 2).rx_bytes, flen);
}

Test(emu_dev_pipe, drop_ends_the_walk)
{
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    emu_dev_input(dev, 1, frame, flen);
    emu_dev_input(dev, 0, frame, flen);
    cr_expect_eq(t_rec.n, 0);
}

Test(emu_dev_pipe, jump_sees_rewritten_frame_and_miss_keeps_mark)
{
    struct t_rule r;
    uint8_t newdst[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

    cr_assert_eq(t_table_create(dev, 5, 1), 0);
    cr_assert_eq(t_table_create(dev, 6, 2), 0);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_MARK)->u.mark.id = 5;
    memcpy(t_rule_act(&r, FW_ACT_SET_MAC_DST)->u.set_mac.mac, newdst, 6);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 5;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    /* table 5 only matches the rewritten MAC */
    t_rule_init(&r, 5, 0);
    memcpy(r.in.value.eth_dst, newdst, 6);
    memset(r.in.mask.eth_dst, 0xff, 6);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 6;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    /* table 6 is empty: a miss there goes to the representor, marked */
    emu_dev_input(dev, 3, frame, flen);
    cr_assert_eq(t_rec.n, 1);
    cr_expect_eq(t_rec.pkts[0].dest.kind, EMU_DEST_REP);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 3);
    cr_expect(t_rec.pkts[0].dest.has_mark);
    cr_expect_eq(t_rec.pkts[0].dest.mark, 5);
    cr_expect_eq(memcmp(t_rec.pkts[0].data, newdst, 6), 0);
    /* now give table 6 a rule */
    t_rule_init(&r, 6, 0);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 0, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    emu_dev_input(dev, 3, frame, flen);
    cr_assert_eq(t_rec.n, 2);
    cr_expect_eq(t_rec.pkts[1].dest.kind, EMU_DEST_VPORT);
    cr_expect_eq(t_rec.pkts[1].dest.vport, 0);
}

Test(emu_dev_pipe, rewrite_that_does_not_apply_drops)
{
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_POP_VLAN);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 0, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    emu_dev_input(dev, 1, frame, flen); /* untagged */
    cr_expect_eq(t_rec.n, 0);
}

Test(emu_dev_pipe, push_vlan_on_the_way_out)
{
    struct t_rule r;
    struct fw_action *a;

    t_rule_init(&r, 0, 0);
    a = t_rule_act(&r, FW_ACT_PUSH_VLAN);
    a->u.push_vlan.tpid = htons(0x8100);
    a->u.push_vlan.tci = htons(42);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 0, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    emu_dev_input(dev, 1, frame, flen);
    cr_assert_eq(t_rec.n, 1);
    cr_expect_eq(t_rec.pkts[0].len, flen + 4);
    cr_expect_eq(t_rec.pkts[0].data[12], 0x81);
    cr_expect_eq(t_rec.pkts[0].data[15], 42);
}

Test(emu_dev_pipe, rep_input_goes_to_host_side)
{
    emu_dev_rep_input(dev, 2, frame, flen);
    emu_dev_rep_input(dev, 0, frame, flen);
    emu_dev_rep_input(dev, 4, frame, flen); /* VF 3 not enabled */
    cr_assert_eq(t_rec.n, 2);
    cr_expect_eq(t_rec.pkts[0].dest.kind, EMU_DEST_VPORT);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 2);
    cr_expect_eq(t_rec.pkts[1].dest.vport, 0);
}

Test(emu_dev_pipe, link_disable_blocks_both_ways)
{
    struct fw_vport_ctx c = { .link_state = FW_LINK_DISABLE };

    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 2, FW_VPORT_F_LINK_STATE,
                                &c), 0);
    cr_expect_eq(t_vport_query(dev, 2).oper_up, 0);
    emu_dev_input(dev, 2, frame, flen);
    emu_dev_rep_input(dev, 2, frame, flen);
    cr_expect_eq(t_rec.n, 0);
    struct fw_vport_stats_out s = t_vport_stats(dev, 2);
    cr_expect_eq(s.tx_dropped, 1);
    cr_expect_eq(s.rx_dropped, 1);
    /* AUTO follows the uplink */
    cr_expect_eq(t_vport_query(dev, 1).oper_up, 1);
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 0, FW_VPORT_F_LINK_STATE,
                                &c), 0);
    cr_expect_eq(t_vport_query(dev, 1).oper_up, 0);
    c.link_state = FW_LINK_ENABLE;
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 1, FW_VPORT_F_LINK_STATE,
                                &c), 0);
    cr_expect_eq(t_vport_query(dev, 1).oper_up, 1);
}

Test(emu_dev_pipe, refused_delivery_is_counted)
{
    t_rec.refuse = true;
    emu_dev_input(dev, 1, frame, flen);
    emu_dev_rep_input(dev, 1, frame, flen);
    struct fw_vport_stats_out s = t_vport_stats(dev, 1);
    cr_expect_eq(s.rep_rx_dropped, 1);
    cr_expect_eq(s.rx_dropped, 1);
    cr_expect_eq(s.rep_rx_packets, 0);
}

Test(emu_dev_pipe, mtu_and_oversize)
{
    struct fw_vport_ctx c = { .mtu = 68 };
    static uint8_t big[FW_PKT_BUF_SIZE + 1];

    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 1, FW_VPORT_F_MTU, &c), 0);
    emu_dev_input(dev, 1, frame, flen); /* 60 bytes of IP: fits */
    uint32_t l2 = t_udp_frame(big, mac_vf1, mac_vf0, -1, 1, 2, 3, 4, 100);
    emu_dev_input(dev, 1, big, l2);
    emu_dev_input(dev, 2, big, sizeof(big));
    cr_expect_eq(t_rec.n, 1);
    cr_expect_eq(t_vport_stats(dev, 1).tx_dropped, 1);
    cr_expect_eq(t_vport_stats(dev, 2).tx_dropped, 1);
}

Test(emu_dev_pipe, max_tx_rate_token_bucket)
{
    struct fw_vport_ctx c = { .max_tx_rate = 1 }; /* 1 Mbit/s: 4 KiB burst */
    static uint8_t f[1100];
    uint32_t l = t_udp_frame(f, mac_vf1, mac_vf0, -1, 1, 2, 3, 4, 1000);

    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 1, FW_VPORT_F_MAX_RATE, &c),
                 0);
    for (int i = 0; i < 10; i++)
        emu_dev_input(dev, 1, f, l);
    struct fw_vport_stats_out s = t_vport_stats(dev, 1);
    cr_expect_eq(s.tx_packets, 10);
    cr_expect_geq(s.tx_dropped, 5);
    cr_expect_leq(t_rec.n, 5);
    cr_expect_geq(t_rec.n, 3);
}
