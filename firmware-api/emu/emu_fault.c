/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault knobs, after netdevsim: one-shot counters that clear themselves
 * once spent (FAIL_NEXT, DROP_NEXT, GARBAGE_NEXT, each with an optional
 * opcode filter), a sticky command delay (of every command, or of one
 * opcode's: a card slow at one thing only), and two actions that happen at
 * once (RESET, FATAL). The same knobs come from emunic's command line
 * through emu_dev_fault(). DEBUG_FAULT itself is never hit by a one-shot
 * knob, so a harness can always clear them.
 */
#include <errno.h>
#include <string.h>

#include "emu_dev_priv.h"

bool
emu_fault_take(struct emu_knob *k, uint16_t opcode)
{
    if (k->count == 0 || (k->opcode != 0 && k->opcode != opcode))
        return false;
    k->count--;
    return true;
}

/* 0 or a status with *synd: what a knob request may hold. */
static uint8_t
emu_fault_check(const struct fw_debug_fault_in *f, uint32_t *synd)
{
    bool uses_filter = f->fault == FW_FAULT_FAIL_NEXT ||
                       f->fault == FW_FAULT_DROP_NEXT ||
                       f->fault == FW_FAULT_GARBAGE_NEXT;
    bool uses_opcode = uses_filter || f->fault == FW_FAULT_DELAY;

    *synd = FW_SYND(FW_SYND_RSVD, 0, 0);
    if (f->rsvd0 != 0)
        return FW_STATUS_BAD_PARAM;
    if (f->fault > FW_FAULT_GARBAGE_NEXT) {
        *synd = FW_SYND(FW_SYND_VALUE, 0, (uint16_t)f->fault);
        return FW_STATUS_BAD_PARAM;
    }
    /* fields a knob does not use must be zero, as everywhere else */
    if ((!uses_opcode && f->opcode != 0) || (!uses_filter && f->count != 0))
        return FW_STATUS_BAD_PARAM;
    if (f->fault != FW_FAULT_FAIL_NEXT && f->status != 0)
        return FW_STATUS_BAD_PARAM;
    if (f->fault != FW_FAULT_DELAY && f->value != 0)
        return FW_STATUS_BAD_PARAM;
    if (f->status > FW_STATUS_EXISTS ||
        (f->fault == FW_FAULT_DELAY && f->value > EMU_FAULT_DELAY_MAX)) {
        *synd = FW_SYND(FW_SYND_VALUE, 0, 0);
        return FW_STATUS_BAD_PARAM;
    }
    *synd = 0;
    return FW_STATUS_OK;
}

static void
emu_fault_apply(struct emu_dev *dev, const struct fw_debug_fault_in *f)
{
    struct emu_knob k = {
        .count = f->count ? f->count : 1,
        .opcode = f->opcode,
        .status = f->status,
    };

    switch (f->fault) {
    case FW_FAULT_CLEAR:
        memset(&dev->faults, 0, sizeof(dev->faults));
        break;
    case FW_FAULT_FAIL_NEXT:
        dev->faults.fail_next = k;
        break;
    case FW_FAULT_DELAY:
        dev->faults.delay_us = f->value;
        dev->faults.delay_opcode = f->opcode;
        break;
    case FW_FAULT_DROP_NEXT:
        dev->faults.drop_next = k;
        break;
    case FW_FAULT_RESET:
        emu_dev_firmware_reset(dev);
        break;
    case FW_FAULT_FATAL:
        dev->health = FW_HEALTH_FATAL;
        dev->fatal_syndrome = FW_SYND(FW_SYND_INJECTED, 0, 0);
        break;
    case FW_FAULT_GARBAGE_NEXT:
        dev->faults.garbage_next = k;
        break;
    default:
        break;
    }
}

uint8_t
emu_cmd_debug_fault(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_debug_fault_in in;
    uint32_t synd;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if ((st = emu_fault_check(&in, &synd)) != 0)
        return emu_fail(cmd, st, synd);
    emu_fault_apply(dev, &in);
    return FW_STATUS_OK;
}

int
emu_dev_fault(struct emu_dev *dev, const struct fw_debug_fault_in *f)
{
    uint32_t synd;

    if (dev == NULL || f == NULL || emu_fault_check(f, &synd) != 0)
        return -EINVAL;
    emu_fault_apply(dev, f);
    return 0;
}
