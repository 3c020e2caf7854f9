/* SPDX-License-Identifier: BSD-3-Clause */
/* Firmware reset, health, and every fault knob; refused commands leave
 * state unchanged. */
#include <errno.h>

#include "emu_test.h"

T_DEV_SUITE(emu_dev_fault, "full", 4, 2, FW_ESW_SWITCHDEV, .timeout = 10);

static uint32_t
add_drop_rule(void)
{
    struct t_rule r;
    uint32_t id = 0;

    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    cr_assert_eq(t_rule_add(dev, &r, &id), 0);
    return id;
}

Test(emu_dev_fault, pf_reset_destroys_steering_keeps_config)
{
    uint32_t base = 0, id = 0;
    struct fw_vport_ctx c = { .mtu = 1400 };

    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, 1, FW_VPORT_F_MTU, &c), 0);
    cr_assert_eq(t_table_create(dev, 1, 1), 0);
    cr_assert_eq(t_counter_alloc(dev, 8, &base), 0);
    id = add_drop_rule();
    struct fw_function_reset_in rs = { 0 };
    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_FUNCTION_RESET, rs), 0);
    cr_expect_eq(t_rec.resets, 1);
    cr_expect_eq(emu_dev_reset_generation(dev), 1);
    cr_expect_eq(emu_dev_health(dev), FW_HEALTH_OK);
    cr_expect_eq(t_rule_delete(dev, id), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_read(dev, base, false, NULL),
                 FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_table_destroy(dev, 1), FW_STATUS_BAD_RESOURCE);
    /* root table is back, SR-IOV, mode and vport config survive */
    add_drop_rule();
    cr_expect_eq(emu_dev_num_vfs(dev), 2);
    cr_expect_eq(emu_dev_caps(dev)->esw_mode, FW_ESW_SWITCHDEV);
    cr_expect_eq(t_vport_query(dev, 1).mtu, 1400);
    cr_expect_eq(t_health(dev).reset_generation, 1);
}

Test(emu_dev_fault, fail_next_with_filter_changes_nothing)
{
    cr_assert_eq(t_fault(dev, FW_FAULT_FAIL_NEXT, FW_CMD_TABLE_CREATE,
                         FW_STATUS_NO_SPACE, 2, 0), 0);
    /* other opcodes are not hit */
    cr_expect_eq(t_counter_alloc(dev, 1, NULL), 0);
    cr_expect_eq(t_table_create(dev, 1, 1), FW_STATUS_NO_SPACE);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_INJECTED);
    cr_expect_eq(t_table_create(dev, 1, 1), FW_STATUS_NO_SPACE);
    /* spent: the table was never created, so this works */
    cr_expect_eq(t_table_create(dev, 1, 1), 0);
    /* any opcode, default status INTERNAL, one shot */
    cr_assert_eq(t_fault(dev, FW_FAULT_FAIL_NEXT, 0, 0, 0, 0), 0);
    struct t_rule r;
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_INTERNAL);
    cr_expect_eq(t_rule_add(dev, &r, NULL), 0);
}

Test(emu_dev_fault, drop_next_and_garbage_next)
{
    struct fw_sriov_disable_in d = { 0 };

    cr_assert_eq(t_fault(dev, FW_FAULT_DROP_NEXT, 0, 0, 1, 0), 0);
    T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_DISABLE, d);
    cr_expect_eq(t_flags, EMU_EXEC_NO_COMPLETION);
    cr_expect_eq(emu_dev_num_vfs(dev), 2, "a swallowed command is not run");
    T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_DISABLE, d);
    cr_expect_eq(t_flags, 0);
    cr_expect_eq(emu_dev_num_vfs(dev), 0);

    cr_assert_eq(t_fault(dev, FW_FAULT_GARBAGE_NEXT, 0, 0, 2, 0), 0);
    cr_expect_eq(t_sriov_enable(dev, 1), 0);
    cr_expect_eq(t_flags, EMU_EXEC_GARBAGE_TOKEN, "command still runs");
    cr_expect_eq(emu_dev_num_vfs(dev), 1);
    t_health(dev);
    cr_expect_eq(t_flags, EMU_EXEC_GARBAGE_TOKEN);
    t_health(dev);
    cr_expect_eq(t_flags, 0);
}

Test(emu_dev_fault, delay_is_reported_and_cleared)
{
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_RULE_ADD), 0);
    cr_assert_eq(t_fault(dev, FW_FAULT_DELAY, 0, 0, 0, 1500), 0);
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_RULE_ADD), 1500);
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_QUERY_HEALTH), 1500);
    cr_expect_eq(t_fault(dev, FW_FAULT_DELAY, 0, 0, 0, 20000000),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_RULE_ADD), 1500);
    cr_assert_eq(t_fault(dev, FW_FAULT_CLEAR, 0, 0, 0, 0), 0);
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_RULE_ADD), 0);
}

Test(emu_dev_fault, delay_of_one_opcode)
{
    cr_assert_eq(t_fault(dev, FW_FAULT_DELAY, FW_CMD_RULE_ADD, 0, 0, 800),
                 0);
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_RULE_ADD), 800);
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_RULE_DELETE), 0,
                 "only RULE_ADD is slow");
    /* a delay has no count */
    cr_expect_eq(t_fault(dev, FW_FAULT_DELAY, FW_CMD_RULE_ADD, 0, 2, 800),
                 FW_STATUS_BAD_PARAM);
    cr_assert_eq(t_fault(dev, FW_FAULT_DELAY, 0, 0, 0, 0), 0);
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_RULE_ADD), 0);
}

Test(emu_dev_fault, knob_validation)
{
    cr_expect_eq(t_fault(dev, 7, 0, 0, 0, 0), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_fault(dev, FW_FAULT_FAIL_NEXT, 0, 0x0e, 1, 0),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_fault(dev, FW_FAULT_RESET, 0, 0, 1, 0),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_fault(dev, FW_FAULT_CLEAR, 0, 0, 0, 5),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_reset_generation(dev), 0);
    struct fw_debug_fault_in bad = { .fault = 9 };
    cr_expect_eq(emu_dev_fault(dev, &bad), -EINVAL);
    struct fw_debug_fault_in ok = { .fault = FW_FAULT_DELAY, .value = 7 };
    cr_expect_eq(emu_dev_fault(dev, &ok), 0);
    cr_expect_eq(emu_dev_cmd_delay_us(dev, FW_CMD_RULE_ADD), 7);
}

Test(emu_dev_fault, spontaneous_reset)
{
    uint32_t id = add_drop_rule();

    cr_assert_eq(t_fault(dev, FW_FAULT_RESET, 0, 0, 0, 0), 0);
    cr_expect_eq(t_rec.resets, 1);
    cr_expect_eq(emu_dev_reset_generation(dev), 1);
    cr_expect_eq(t_rule_delete(dev, id), FW_STATUS_BAD_RESOURCE);
}

Test(emu_dev_fault, fatal_until_pf_reset)
{
    struct fw_cmd_hdr h = { 0 };
    struct fw_function_reset_in rs = { 0 };

    cr_assert_eq(t_fault(dev, FW_FAULT_FATAL, 0, 0, 0, 0), 0);
    cr_expect_eq(emu_dev_health(dev), FW_HEALTH_FATAL);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_ADAPTER, h),
                 FW_STATUS_INTERNAL);
    cr_expect_eq(t_table_create(dev, 1, 1), FW_STATUS_INTERNAL);
    cr_expect_eq(t_fault(dev, FW_FAULT_CLEAR, 0, 0, 0, 0), FW_STATUS_INTERNAL);
    struct fw_query_health_out hl = t_health(dev);
    cr_expect_eq(hl.health, FW_HEALTH_FATAL);
    cr_expect_eq(FW_SYND_REASON(hl.fatal_syndrome), FW_SYND_INJECTED);
    /* a VF's reset does not revive the card */
    cr_expect_eq(T_EXEC(dev, FW_FUNC_VF(0), FW_CMD_FUNCTION_RESET, rs), 0);
    cr_expect_eq(emu_dev_health(dev), FW_HEALTH_FATAL);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_FUNCTION_RESET, rs), 0);
    cr_expect_eq(emu_dev_health(dev), FW_HEALTH_OK);
    cr_expect_eq(t_health(dev).fatal_syndrome, 0);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_ADAPTER, h), 0);
    cr_expect_eq(t_table_create(dev, 1, 1), 0, "refused create leaked");
}
