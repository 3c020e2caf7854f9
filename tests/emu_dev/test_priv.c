/* SPDX-License-Identifier: BSD-3-Clause */
/* Privilege: what a VF and the uplink peer may and may not do. */
#include "emu_test.h"

T_DEV_SUITE(emu_dev_priv, "full", 4, 2, FW_ESW_SWITCHDEV, .timeout = 10);

#define VF0 FW_FUNC_VF(0)

Test(emu_dev_priv, vf_allowed_queries)
{
    struct fw_cmd_hdr h = { 0 };
    struct fw_vport_query_in q = { .vport = FW_VPORT_VF(0) };

    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_QUERY_ADAPTER, h), 0);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_QUERY_HEALTH, h), 0);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_ESWITCH_GET_MODE, h), 0);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_VPORT_QUERY, q), 0);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_VPORT_STATS, q), 0);
}

Test(emu_dev_priv, vf_other_vport_refused)
{
    struct fw_vport_query_in q = { .vport = FW_VPORT_VF(1) };

    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_VPORT_QUERY, q), FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);
    q.vport = FW_VPORT_UPLINK;
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_VPORT_STATS, q), FW_STATUS_NO_PERM);

    struct fw_vport_ctx c = { .mtu = 1400 };
    cr_expect_eq(t_vport_modify(dev, VF0, FW_VPORT_VF(1), FW_VPORT_F_MTU, &c),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(t_vport_query(dev, FW_VPORT_VF(1)).mtu, 1500);
}

Test(emu_dev_priv, vf_may_not_program_eswitch)
{
    struct fw_sriov_enable_in se = { .num_vfs = 1 };
    struct fw_sriov_disable_in sd = { 0 };
    struct fw_eswitch_set_mode_in m = { .mode = FW_ESW_LEGACY };
    struct fw_table_create_in tc = { .group = 1, .level = 1 };
    struct fw_table_destroy_in td = { .group = 1 };
    struct fw_rule_delete_in rd = { .rule_id = 1 };
    struct fw_counter_alloc_in ca = { .count = 1 };
    struct fw_counter_free_in cf = { .base_id = 1, .count = 1 };
    struct fw_counter_query_in cq = { .n = 1, .ids = { 1 } };
    struct fw_debug_fault_in df = { .fault = FW_FAULT_FATAL };
    struct t_rule r;

    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_SRIOV_ENABLE, se), FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_SRIOV_DISABLE, sd), FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_ESWITCH_SET_MODE, m),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_TABLE_CREATE, tc), FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_TABLE_DESTROY, td), FW_STATUS_NO_PERM);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    r.in.hdr.opcode = FW_CMD_RULE_ADD;
    cr_expect_eq(t_exec(dev, VF0, FW_CMD_RULE_ADD, &r.in, sizeof(r.in)),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_RULE_DELETE, rd), FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_COUNTER_ALLOC, ca), FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_COUNTER_FREE, cf), FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_COUNTER_QUERY, cq), FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_DEBUG_FAULT, df), FW_STATUS_NO_PERM);
    /* nothing happened */
    cr_expect_eq(emu_dev_num_vfs(dev), 2);
    cr_expect_eq(emu_dev_caps(dev)->esw_mode, FW_ESW_SWITCHDEV);
    cr_expect_eq(emu_dev_health(dev), FW_HEALTH_OK);
    cr_expect_eq(t_table_create(dev, 1, 1), 0, "VF's create must not exist");
}

Test(emu_dev_priv, vf_modify_own_vport)
{
    struct fw_vport_ctx c;
    uint16_t vp = FW_VPORT_VF(0);

    memset(&c, 0, sizeof(c));
    c.mtu = 9000 / 10;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_MTU, &c), 0);
    cr_expect_eq(t_vport_query(dev, vp).mtu, 900);

    /* untrusted: no MAC, no promisc/allmulti on, but off always allowed */
    memset(&c, 0, sizeof(c));
    t_mac(c.mac, 9);
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_MAC, &c),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_TRUST);
    memset(&c, 0, sizeof(c));
    c.promisc = 1;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_RX_MODE, &c),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_TRUST);
    c.promisc = 0;
    c.allmulti = 1;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_RX_MODE, &c),
                 FW_STATUS_NO_PERM);
    c.allmulti = 0;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_RX_MODE, &c), 0);

    /* fields a VF never sets */
    memset(&c, 0, sizeof(c));
    c.trust = 1;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_TRUST, &c),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);
    memset(&c, 0, sizeof(c));
    c.vlan_vid = 5;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_VLAN, &c),
                 FW_STATUS_NO_PERM);
    memset(&c, 0, sizeof(c));
    c.spoofchk = 0;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_SPOOFCHK, &c),
                 FW_STATUS_NO_PERM);
    c.link_state = FW_LINK_ENABLE;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_LINK_STATE, &c),
                 FW_STATUS_NO_PERM);
    memset(&c, 0, sizeof(c));
    c.max_tx_rate = 10;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_MAX_RATE, &c),
                 FW_STATUS_NO_PERM);

    /* the PF trusts it: now MAC and promisc work */
    memset(&c, 0, sizeof(c));
    c.trust = 1;
    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, vp, FW_VPORT_F_TRUST, &c), 0);
    memset(&c, 0, sizeof(c));
    t_mac(c.mac, 9);
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_MAC, &c), 0);
    memset(&c, 0, sizeof(c));
    c.promisc = 1;
    c.allmulti = 1;
    cr_expect_eq(t_vport_modify(dev, VF0, vp, FW_VPORT_F_RX_MODE, &c), 0);
    struct fw_vport_ctx q = t_vport_query(dev, vp);
    cr_expect_eq(q.mac[5], 9);
    cr_expect_eq(q.promisc, 1);
    cr_expect_eq(q.allmulti, 1);

    /* a VF's own reset drops its rx mode only */
    struct fw_function_reset_in rs = { 0 };
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_FUNCTION_RESET, rs), 0);
    q = t_vport_query(dev, vp);
    cr_expect_eq(q.promisc, 0);
    cr_expect_eq(q.allmulti, 0);
    cr_expect_eq(q.mac[5], 9);
    cr_expect_eq(emu_dev_reset_generation(dev), 0);
    cr_expect_eq(t_rec.resets, 0);
}

Test(emu_dev_priv, uplink_peer_only_queries)
{
    struct fw_cmd_hdr h = { 0 };
    struct fw_vport_query_in q = { .vport = 0 };
    struct fw_function_reset_in rs = { 0 };

    cr_expect_eq(T_EXEC(dev, FW_FUNC_UPLINK, FW_CMD_QUERY_ADAPTER, h), 0);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_UPLINK, FW_CMD_QUERY_HEALTH, h), 0);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_UPLINK, FW_CMD_ESWITCH_GET_MODE, h),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_UPLINK, FW_CMD_VPORT_QUERY, q),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_UPLINK, FW_CMD_FUNCTION_RESET, rs),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(emu_dev_reset_generation(dev), 0);
}

Test(emu_dev_priv, vf_beyond_num_vfs_bad_state)
{
    struct fw_cmd_hdr h = { 0 };

    cr_expect_eq(T_EXEC(dev, FW_FUNC_VF(2), FW_CMD_QUERY_ADAPTER, h),
                 FW_STATUS_BAD_STATE);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_SRIOV);
    cr_assert_eq(t_sriov_disable(dev), 0);
    cr_expect_eq(T_EXEC(dev, VF0, FW_CMD_QUERY_HEALTH, h), FW_STATUS_BAD_STATE);
    cr_expect_eq(T_EXEC(dev, 0xfff0, FW_CMD_QUERY_HEALTH, h),
                 FW_STATUS_BAD_STATE);
}
