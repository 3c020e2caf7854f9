/* SPDX-License-Identifier: BSD-3-Clause */
/* Command processor: length discipline, reserved fields, opcodes, queries. */
#include "emu_test.h"

T_DEV_SUITE(emu_dev_cmd, "full", 4, 2, FW_ESW_SWITCHDEV, .timeout = 10);

Test(emu_dev_cmd, query_adapter_reports_config)
{
    struct fw_cmd_hdr in = { 0 };

    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_ADAPTER, in), 0);
    const struct fw_query_adapter_out *o = (void *)t_out.raw;
    cr_expect_eq(o->hdr.out_size, sizeof(*o));
    cr_expect_eq(o->hdr.token, 0x1234u + FW_CMD_QUERY_ADAPTER);
    cr_expect_eq(o->hdr.syndrome, 0);
    cr_expect_str_eq(o->caps.profile, "full");
    cr_expect_eq(o->caps.max_vfs, 4);
    cr_expect_eq(o->caps.num_vfs, 2);
    cr_expect_eq(o->caps.num_vports, 5);
    cr_expect_eq(o->caps.esw_mode, FW_ESW_SWITCHDEV);
    cr_expect_eq(o->caps.max_mtu, 1950);
    cr_expect_eq(o->caps.prio_per_table, 16);
    cr_expect_eq(o->caps.max_actions, 16);
    cr_expect_eq(o->caps.max_rules_total, 1u << 20);
    cr_expect_eq(o->caps.max_link_speed, 25000);
    cr_expect_eq(o->caps.match_fields, (1ull << FW_FIELD_COUNT_) - 1);
    cr_expect_eq(memcmp(o->caps.base_mac, T_PF_MAC, 6), 0);
    cr_expect_eq(o->caps.abi_major, FW_ABI_MAJOR);
}

Test(emu_dev_cmd, in_size_below_header)
{
    uint8_t in[8] = { 0 };
    uint8_t out[FW_SLOT_OUT_MAX] __attribute__((aligned(8)));

    emu_dev_exec(dev, FW_FUNC_PF, in, sizeof(in), out);
    cr_expect_eq(((struct fw_out_hdr *)out)->status, FW_STATUS_BAD_INPUT_LEN);

    struct fw_cmd_hdr h = { .opcode = FW_CMD_QUERY_ADAPTER, .in_size = 8,
                            .out_size = FW_SLOT_OUT_MAX };
    cr_expect_eq(t_exec_raw(dev, FW_FUNC_PF, &h, sizeof(h)),
                 FW_STATUS_BAD_INPUT_LEN);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_LENGTH);
}

Test(emu_dev_cmd, in_size_above_slot)
{
    struct fw_cmd_hdr h = { .opcode = FW_CMD_QUERY_ADAPTER,
                            .in_size = FW_SLOT_IN_MAX + 1,
                            .out_size = FW_SLOT_OUT_MAX };

    cr_expect_eq(t_exec_raw(dev, FW_FUNC_PF, &h, sizeof(h)),
                 FW_STATUS_BAD_INPUT_LEN);
    /* and more than the caller says it handed over */
    uint8_t buf[32] __attribute__((aligned(8))) = { 0 };
    uint8_t out[FW_SLOT_OUT_MAX] __attribute__((aligned(8)));
    h.in_size = 64;
    memcpy(buf, &h, sizeof(h));
    emu_dev_exec(dev, FW_FUNC_PF, buf, sizeof(buf), out);
    cr_expect_eq(((struct fw_out_hdr *)out)->status, FW_STATUS_BAD_INPUT_LEN);
}

Test(emu_dev_cmd, out_size_too_small_reports_needed)
{
    struct fw_cmd_hdr in = { .out_size = 20 };

    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_ADAPTER, in),
                 FW_STATUS_BAD_OUTPUT_LEN);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_LENGTH);
    cr_expect_eq(FW_SYND_DETAIL(t_synd), sizeof(struct fw_query_adapter_out));
    cr_expect_eq(t_out.hdr.out_size, sizeof(struct fw_out_hdr));

    /* a command without output still needs room for the header */
    struct fw_sriov_disable_in d = { .hdr.out_size = 4 };
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_DISABLE, d),
                 FW_STATUS_BAD_OUTPUT_LEN);
    cr_expect_eq(emu_dev_num_vfs(dev), 2, "refused command changed state");
}

Test(emu_dev_cmd, unknown_opcode)
{
    struct fw_cmd_hdr in = { 0 };

    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, 0x0777, in), FW_STATUS_BAD_OPCODE);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, 0, in), FW_STATUS_BAD_OPCODE);
}

Test(emu_dev_cmd, op_mod_must_be_zero)
{
    struct fw_cmd_hdr in = { .op_mod = 1 };

    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_ADAPTER, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
}

Test(emu_dev_cmd, trailing_nonzero_is_bad_input_len)
{
    struct {
        struct fw_sriov_enable_in in;
        uint8_t extra[16];
    } big;

    cr_assert_eq(t_sriov_disable(dev), 0);
    memset(&big, 0, sizeof(big));
    big.in.num_vfs = 3;
    big.extra[5] = 1;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_ENABLE, big),
                 FW_STATUS_BAD_INPUT_LEN);
    cr_expect_eq(FW_SYND_DETAIL(t_synd), sizeof(struct fw_sriov_enable_in));
    cr_expect_eq(emu_dev_num_vfs(dev), 0);
    /* zero trailing bytes are fine: a newer driver asking nothing new */
    big.extra[5] = 0;
    big.in.hdr.out_size = 0;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_ENABLE, big), 0);
    cr_expect_eq(emu_dev_num_vfs(dev), 3);
}

Test(emu_dev_cmd, short_input_is_zero_extended)
{
    /* an older driver's shorter input: num_vfs missing reads as 0 */
    struct fw_sriov_enable_in in = { .num_vfs = 1 };

    cr_assert_eq(t_sriov_disable(dev), 0);
    cr_expect_eq(t_exec(dev, FW_FUNC_PF, FW_CMD_SRIOV_ENABLE, &in,
                        sizeof(struct fw_cmd_hdr)), FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_num_vfs(dev), 0);
}

Test(emu_dev_cmd, reserved_fields_refused)
{
    struct fw_sriov_enable_in in = { .num_vfs = 1, .rsvd1 = 1 };

    cr_assert_eq(t_sriov_disable(dev), 0);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_ENABLE, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    cr_expect_eq(emu_dev_num_vfs(dev), 0);

    struct fw_eswitch_set_mode_in m = { .mode = 0, .rsvd = { 0, 0, 1 } };
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_ESWITCH_SET_MODE, m),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_caps(dev)->esw_mode, FW_ESW_SWITCHDEV);

    struct fw_function_reset_in r = { .flags = 1 };
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_FUNCTION_RESET, r),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_reset_generation(dev), 0);
}

Test(emu_dev_cmd, sriov_enable_disable)
{
    cr_expect_eq(t_sriov_enable(dev, 1), FW_STATUS_BAD_STATE);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_SRIOV);
    cr_assert_eq(t_sriov_disable(dev), 0);
    cr_expect_eq(t_rec.sriov_calls, 1);
    cr_expect_eq(t_rec.last_num_vfs, 0);
    cr_expect_eq(t_sriov_disable(dev), 0, "disable is idempotent");
    cr_expect_eq(t_sriov_enable(dev, 0), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_sriov_enable(dev, 5), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_DETAIL(t_synd), FW_LIMIT_VFS);
    cr_assert_eq(t_sriov_enable(dev, 4), 0);
    cr_expect_eq(t_rec.last_num_vfs, 4);
    cr_expect_eq(emu_dev_caps(dev)->num_vfs, 4);
}

Test(emu_dev_cmd, sriov_disable_busy_with_vf_rules)
{
    struct t_rule r;
    uint32_t id = 0;

    t_rule_init(&r, 0, 0);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_VF(1), 0);
    cr_assert_eq(t_rule_add(dev, &r, &id), 0);
    cr_expect_eq(t_sriov_disable(dev), FW_STATUS_BUSY);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_SRIOV);
    cr_expect_eq(emu_dev_num_vfs(dev), 2);
    cr_assert_eq(t_rule_delete(dev, id), 0);

    t_rule_init(&r, 0, 0);
    r.in.value.src_vport = FW_VPORT_VF(0);
    r.in.mask.src_vport = 0xffff;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_UPLINK, 0);
    cr_assert_eq(t_rule_add(dev, &r, &id), 0);
    cr_expect_eq(t_sriov_disable(dev), FW_STATUS_BUSY);
    cr_assert_eq(t_rule_delete(dev, id), 0);
    cr_expect_eq(t_sriov_disable(dev), 0);
}

Test(emu_dev_cmd, eswitch_mode_get_set)
{
    struct fw_cmd_hdr in = { 0 };

    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_ESWITCH_GET_MODE, in), 0);
    cr_expect_eq(((struct fw_eswitch_mode_out *)t_out.raw)->mode,
                 FW_ESW_SWITCHDEV);
    cr_expect_eq(t_set_mode(dev, 2), FW_STATUS_BAD_PARAM);
    cr_assert_eq(t_table_create(dev, 3, 1), 0);
    cr_assert_eq(t_set_mode(dev, FW_ESW_LEGACY), 0);
    cr_expect_eq(t_table_create(dev, 3, 1), FW_STATUS_BAD_STATE);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_MODE);
    cr_assert_eq(t_set_mode(dev, FW_ESW_SWITCHDEV), 0);
    /* leaving switchdev destroyed the table */
    cr_expect_eq(t_table_create(dev, 3, 1), 0);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_ESWITCH_GET_MODE, in), 0);
    cr_expect_eq(((struct fw_eswitch_mode_out *)t_out.raw)->mode,
                 FW_ESW_SWITCHDEV);
}

Test(emu_dev_cmd, vport_modify_validation)
{
    struct fw_vport_ctx c;
    uint16_t vf = FW_VPORT_VF(0);

    memset(&c, 0, sizeof(c));
    c.mac[0] = 0x01; /* multicast */
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_MAC, &c),
                 FW_STATUS_BAD_PARAM);
    memset(&c, 0, sizeof(c));
    c.vlan_vid = 4095;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_VLAN, &c),
                 FW_STATUS_BAD_PARAM);
    c.vlan_vid = 10;
    c.vlan_qos = 8;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_VLAN, &c),
                 FW_STATUS_BAD_PARAM);
    c.vlan_qos = 7;
    c.vlan_proto = 2;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_VLAN, &c),
                 FW_STATUS_BAD_PARAM);
    memset(&c, 0, sizeof(c));
    c.spoofchk = 2;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_SPOOFCHK, &c),
                 FW_STATUS_BAD_PARAM);
    memset(&c, 0, sizeof(c));
    c.link_state = 3;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_LINK_STATE,
                                &c), FW_STATUS_BAD_PARAM);
    memset(&c, 0, sizeof(c));
    c.min_tx_rate = 500;
    c.max_tx_rate = 100;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf,
                                FW_VPORT_F_MIN_RATE | FW_VPORT_F_MAX_RATE, &c),
                 FW_STATUS_BAD_PARAM);
    c.min_tx_rate = 0;
    c.max_tx_rate = 25001;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_MAX_RATE, &c),
                 FW_STATUS_BAD_PARAM);
    memset(&c, 0, sizeof(c));
    c.mtu = 67;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_MTU, &c),
                 FW_STATUS_BAD_PARAM);
    c.mtu = 1951;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_MTU, &c),
                 FW_STATUS_BAD_PARAM);
    /* unselected fields must be zero */
    memset(&c, 0, sizeof(c));
    c.trust = 1;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_MTU, &c),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    /* a vport past num_vfs */
    memset(&c, 0, sizeof(c));
    c.mtu = 1500;
    cr_expect_eq(t_vport_modify(dev, FW_FUNC_PF, FW_VPORT_VF(2),
                                FW_VPORT_F_MTU, &c), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_VPORT);

    /* nothing of the above landed */
    struct fw_vport_ctx q = t_vport_query(dev, vf);
    cr_expect_eq(q.mtu, 1500);
    cr_expect_eq(q.vlan_vid, 0);
    cr_expect_eq(q.trust, 0);
    cr_expect_eq(q.max_tx_rate, 0);
    cr_expect_eq(q.link_state, FW_LINK_AUTO);

    /* one valid modify of everything at once */
    memset(&c, 0, sizeof(c));
    t_mac(c.mac, 7);
    c.vlan_vid = 4094;
    c.vlan_qos = 3;
    c.vlan_proto = FW_VLAN_8021AD;
    c.spoofchk = 1;
    c.trust = 1;
    c.link_state = FW_LINK_ENABLE;
    c.min_tx_rate = 100;
    c.max_tx_rate = 1000;
    c.promisc = 1;
    c.allmulti = 1;
    c.mtu = 1950;
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, vf, FW_VPORT_F_ALL_, &c), 0);
    q = t_vport_query(dev, vf);
    c.oper_up = 1;
    cr_expect_eq(memcmp(&q, &c, sizeof(q)), 0);
}

Test(emu_dev_cmd, health_counts_commands)
{
    struct fw_query_health_out h1 = t_health(dev);
    struct fw_cmd_hdr in = { 0 };

    T_EXEC(dev, FW_FUNC_PF, 0x0999, in);
    struct fw_query_health_out h2 = t_health(dev);
    cr_expect_eq(h2.commands, h1.commands + 2);
    cr_expect_eq(h2.commands_failed, h1.commands_failed + 1);
    cr_expect_eq(h2.health, FW_HEALTH_OK);
}

Test(emu_dev_cmd, queue_attach_policy)
{
    uint32_t synd;

    cr_expect_eq(emu_dev_check_queue_attach(dev, FW_FUNC_PF, 0, 0, 256,
                                            &synd), 0);
    cr_expect_eq(emu_dev_check_queue_attach(dev, FW_FUNC_PF, 3, 0, 256,
                                            &synd), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(synd), FW_SYND_VPORT);
    cr_expect_eq(emu_dev_check_queue_attach(dev, FW_FUNC_VF(1), 0, 4, 256,
                                            &synd), FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_check_queue_attach(dev, FW_FUNC_VF(1), 0, 0, 100,
                                            &synd), FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_check_queue_attach(dev, FW_FUNC_VF(1), 0, 0, 2048,
                                            &synd), FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_check_queue_attach(dev, FW_FUNC_VF(2), 0, 0, 256,
                                            &synd), FW_STATUS_BAD_STATE);
    cr_expect_eq(emu_dev_check_queue_attach(dev, FW_FUNC_UPLINK, 0, 0, 256,
                                            &synd), 0);
    emu_dev_set_attachment(dev, 1, FW_ATTACH_TAP);
    cr_expect_eq(t_vport_query(dev, 1).attachment, FW_ATTACH_TAP);
}
