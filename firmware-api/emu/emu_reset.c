/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Firmware reset: FUNCTION_RESET from the PF, and the RESET fault knob
 * (emu_fault.c), both end here. It calls forward into the feature files
 * that own what a reset takes away (steering, counters, RSS contexts).
 */
#include "emu_dev_priv.h"

/* Steering and counters go; SR-IOV, eSwitch mode, vport contexts and fault
 * knobs (the test harness's, not the firmware's) stay. */
void
emu_dev_firmware_reset(struct emu_dev *dev)
{
    dev->health = FW_HEALTH_RESETTING;
    /* rebuilding the root table cannot fail for lack of a free table slot
     * right after a flush; a failed allocation leaves switchdev without a
     * root, which the pipeline treats as all-miss */
    emu_steer_flush(dev, dev->caps.esw_mode == FW_ESW_SWITCHDEV);
    emu_counter_flush(dev);
    emu_counter_epoch_reset(dev);
    emu_rss_flush(dev);
    for (uint32_t v = 0; v < dev->caps.num_vports; v++)
        dev->vports[v].rule_refs = 0;
    dev->reset_generation++;
    if (dev->ops.reset != NULL)
        dev->ops.reset(dev->ctx);
    dev->fatal_syndrome = 0;
    dev->health = FW_HEALTH_OK;
}

uint8_t
emu_cmd_function_reset(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_function_reset_in in;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if (in.flags != 0 || in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_RSVD, 0, 0));
    if (cmd->function == FW_FUNC_PF) {
        emu_dev_firmware_reset(dev);
    } else {
        struct emu_vport *vp = &dev->vports[FW_VPORT_VF(cmd->function)];

        vp->ctx.promisc = 0;
        vp->ctx.allmulti = 0;
    }
    return FW_STATUS_OK;
}
