/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The input discipline of extensible structs, shared by every command
 * handler: zero-extended input, unknown trailing bytes must be zero (the
 * libbpf rule), output room, a refusal with its syndrome. A leaf: it calls
 * no other file of the device model, so the dispatcher (emu_dev.c) and the
 * feature files it dispatches to all call forward into it.
 */
#include <string.h>

#include "emu_dev_priv.h"

bool
emu_bytes_zero(const void *p, size_t size)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < size; i++)
        if (b[i] != 0)
            return false;
    return true;
}

uint8_t
emu_fail(struct emu_cmd *cmd, uint8_t status, uint32_t syndrome)
{
    cmd->syndrome = syndrome;
    return status;
}

/* Zero-extended copy of the input into the handler's struct, then the
 * libbpf rule: bytes past the layout this firmware knows must be zero. */
uint8_t
emu_cmd_input(struct emu_cmd *cmd, void *in, size_t size)
{
    uint32_t have = cmd->hdr.in_size;

    memset(in, 0, size);
    memcpy(in, cmd->raw, have < size ? have : size);
    return emu_cmd_trailing(cmd, (uint32_t)size);
}

uint8_t
emu_cmd_trailing(struct emu_cmd *cmd, uint32_t known)
{
    if (cmd->hdr.in_size > known &&
        !emu_bytes_zero(cmd->raw + known, cmd->hdr.in_size - known))
        return emu_fail(cmd, FW_STATUS_BAD_INPUT_LEN,
                        FW_SYND(FW_SYND_LENGTH, 0, known));
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_need_out(struct emu_cmd *cmd, uint32_t size)
{
    if (cmd->hdr.out_size < size)
        return emu_fail(cmd, FW_STATUS_BAD_OUTPUT_LEN,
                        FW_SYND(FW_SYND_LENGTH, 0, size));
    return FW_STATUS_OK;
}

bool
emu_func_is_vf(const struct emu_dev *dev, uint16_t function)
{
    (void)dev;
    return function != FW_FUNC_PF && function != FW_FUNC_UPLINK;
}
