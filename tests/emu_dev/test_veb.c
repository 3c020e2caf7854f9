/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy mode: VEB switching, spoof check, port VLAN, link state. */
#include "emu_test.h"

static struct emu_dev *dev;
static uint8_t mac[4][6];
static uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static uint8_t f[256];

static void
set_mac(uint16_t vport, const uint8_t *m)
{
    struct fw_vport_ctx c = { 0 };

    memcpy(c.mac, m, 6);
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, vport, FW_VPORT_F_MAC, &c), 0);
}

static void
setup(void)
{
    dev = t_dev_new("full", 4, 3, FW_ESW_LEGACY);
    for (int i = 0; i < 4; i++)
        t_mac(mac[i], (uint8_t)(0x10 + i));
    for (uint16_t v = 1; v <= 3; v++)
        set_mac(v, mac[v - 1]);
}

static void
teardown(void)
{
    emu_dev_destroy(dev);
}

TestSuite(emu_dev_veb, .init = setup, .fini = teardown, .timeout = 10);

static unsigned
count_to(uint8_t kind, uint16_t vport)
{
    unsigned n = 0;

    for (unsigned i = 0; i < t_rec.n && i < T_MAX_PKTS; i++)
        if (t_rec.pkts[i].dest.kind == kind && t_rec.pkts[i].dest.vport == vport)
            n++;
    return n;
}

Test(emu_dev_veb, unicast_vf_to_vf_by_mac)
{
    uint32_t l = t_udp_frame(f, mac[1], mac[0], -1, 1, 2, 3, 4, 10);

    emu_dev_input(dev, 1, f, l);
    cr_assert_eq(t_rec.n, 1);
    cr_expect_eq(t_rec.pkts[0].dest.kind, EMU_DEST_VPORT);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 2);
    cr_expect_eq(memcmp(t_rec.pkts[0].data, f, l), 0);
    cr_expect_eq(t_vport_stats(dev, 2).rx_packets, 1);
    cr_expect_eq(t_vport_stats(dev, 1).tx_packets, 1);
}

Test(emu_dev_veb, unknown_unicast_goes_to_wire_pf_mac_to_host)
{
    uint8_t other[6] = { 0x02, 0x99, 0, 0, 0, 1 };
    uint32_t l = t_udp_frame(f, other, mac[0], -1, 1, 2, 3, 4, 10);

    emu_dev_input(dev, 1, f, l);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 0), 1);
    l = t_udp_frame(f, T_PF_MAC, mac[0], -1, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 1, f, l);
    cr_expect_eq(count_to(EMU_DEST_REP, 0), 1);
    cr_expect_eq(t_rec.n, 2);
}

Test(emu_dev_veb, from_wire_unknown_unicast_only_to_trusted_promisc)
{
    uint8_t other[6] = { 0x02, 0x99, 0, 0, 0, 1 };
    uint32_t l = t_udp_frame(f, other, mac[3], -1, 1, 2, 3, 4, 10);
    struct fw_vport_ctx c = { .promisc = 1 };

    emu_dev_input(dev, 0, f, l);
    cr_expect_eq(t_rec.n, 0);
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 3, FW_VPORT_F_RX_MODE, &c), 0);
    emu_dev_input(dev, 0, f, l);
    cr_expect_eq(t_rec.n, 0, "promisc without trust");
    c = (struct fw_vport_ctx){ .trust = 1 };
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 3, FW_VPORT_F_TRUST, &c), 0);
    emu_dev_input(dev, 0, f, l);
    cr_expect_eq(t_rec.n, 1);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 3), 1);
    /* and to a VF by MAC from the wire */
    l = t_udp_frame(f, mac[0], mac[3], -1, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 0, f, l);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 1), 1);
}

Test(emu_dev_veb, broadcast_floods)
{
    uint32_t l = t_udp_frame(f, bcast, mac[0], -1, 1, 2, 3, 4, 10);

    emu_dev_input(dev, 1, f, l);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 1), 0, "not back to the sender");
    cr_expect_eq(count_to(EMU_DEST_VPORT, 2), 1);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 3), 1);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 0), 1, "wire");
    cr_expect_eq(count_to(EMU_DEST_REP, 0), 1, "PF host");
    cr_expect_eq(t_rec.n, 4);
    /* from the wire: not back to the wire */
    t_rec.n = 0;
    emu_dev_input(dev, 0, f, l);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 0), 0);
    cr_expect_eq(t_rec.n, 4);
    /* from the PF host: VFs and the wire */
    t_rec.n = 0;
    emu_dev_rep_input(dev, 0, f, l);
    cr_expect_eq(count_to(EMU_DEST_REP, 0), 0);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 0), 1);
    cr_expect_eq(t_rec.n, 4);
    /* representors of VFs do not exist in legacy mode */
    t_rec.n = 0;
    emu_dev_rep_input(dev, 2, f, l);
    cr_expect_eq(t_rec.n, 0);
}

Test(emu_dev_veb, spoof_check)
{
    struct fw_vport_ctx c = { .spoofchk = 1 };
    uint32_t l = t_udp_frame(f, mac[1], mac[2], -1, 1, 2, 3, 4, 10);

    /* off: a forged source passes */
    emu_dev_input(dev, 1, f, l);
    cr_expect_eq(t_rec.n, 1);
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 1, FW_VPORT_F_SPOOFCHK, &c),
                 0);
    emu_dev_input(dev, 1, f, l);
    cr_expect_eq(t_rec.n, 1);
    cr_expect_eq(t_vport_stats(dev, 1).tx_dropped, 1);
    l = t_udp_frame(f, mac[1], mac[0], -1, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 1, f, l);
    cr_expect_eq(t_rec.n, 2);
}

Test(emu_dev_veb, port_vlan)
{
    struct fw_vport_ctx c = { .vlan_vid = 10, .vlan_qos = 5 };
    uint32_t l;

    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 1, FW_VPORT_F_VLAN, &c), 0);
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 2, FW_VPORT_F_VLAN, &c), 0);
    /* VF0 (pvid 10) -> VF1 (pvid 10): delivered untagged */
    l = t_udp_frame(f, mac[1], mac[0], -1, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 1, f, l);
    cr_assert_eq(t_rec.n, 1);
    cr_expect_eq(t_rec.pkts[0].dest.vport, 2);
    cr_expect_eq(t_rec.pkts[0].len, l);
    cr_expect_eq(memcmp(t_rec.pkts[0].data, f, l), 0);
    /* VF0 sending tagged: dropped */
    uint32_t lt = t_udp_frame(f, mac[1], mac[0], 10, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 1, f, lt);
    cr_expect_eq(t_rec.n, 1);
    cr_expect_eq(t_vport_stats(dev, 1).tx_dropped, 1);
    /* VF0 -> unknown: the wire sees the tag (vid 10, pcp 5) */
    uint8_t other[6] = { 0x02, 0x99, 0, 0, 0, 1 };
    l = t_udp_frame(f, other, mac[0], -1, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 1, f, l);
    cr_assert_eq(t_rec.n, 2);
    cr_expect_eq(t_rec.pkts[1].dest.vport, 0);
    cr_expect_eq(t_rec.pkts[1].len, l + 4);
    cr_expect_eq(t_rec.pkts[1].data[12], 0x81);
    cr_expect_eq(t_rec.pkts[1].data[13], 0x00);
    cr_expect_eq(t_rec.pkts[1].data[14], (5 << 5));
    cr_expect_eq(t_rec.pkts[1].data[15], 10);
    /* VF2 (no port VLAN, untagged) -> VF0's MAC: other VLAN, to the wire */
    l = t_udp_frame(f, mac[0], mac[2], -1, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 3, f, l);
    cr_assert_eq(t_rec.n, 3);
    cr_expect_eq(t_rec.pkts[2].dest.vport, 0);
    /* wire, tagged 10 -> VF0: tag stripped */
    lt = t_udp_frame(f, mac[0], other, 10, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 0, f, lt);
    cr_assert_eq(t_rec.n, 4);
    cr_expect_eq(t_rec.pkts[3].dest.vport, 1);
    cr_expect_eq(t_rec.pkts[3].len, lt - 4);
    /* wire broadcast tagged 11: only the trunk VF2 gets it, as-is */
    t_rec.n = 0;
    lt = t_udp_frame(f, bcast, other, 11, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 0, f, lt);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 1), 0);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 2), 0);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 3), 1);
    cr_expect_eq(t_rec.pkts[0].len, lt);
}

Test(emu_dev_veb, link_state)
{
    struct fw_vport_ctx c = { .link_state = FW_LINK_DISABLE };
    uint32_t l = t_udp_frame(f, mac[1], mac[0], -1, 1, 2, 3, 4, 10);

    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 2, FW_VPORT_F_LINK_STATE,
                                &c), 0);
    emu_dev_input(dev, 1, f, l);
    cr_expect_eq(t_rec.n, 0);
    cr_expect_eq(t_vport_stats(dev, 2).rx_dropped, 1);
    l = t_udp_frame(f, mac[0], mac[1], -1, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 2, f, l);
    cr_expect_eq(t_rec.n, 0);
    cr_expect_eq(t_vport_stats(dev, 2).tx_dropped, 1);
    /* broadcasts skip it */
    l = t_udp_frame(f, bcast, mac[0], -1, 1, 2, 3, 4, 10);
    emu_dev_input(dev, 1, f, l);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 2), 0);
    cr_expect_eq(count_to(EMU_DEST_VPORT, 3), 1);
}
