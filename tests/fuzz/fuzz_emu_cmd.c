/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the emulated card's command decoder and packet pipeline.
 *
 * One device (full profile, 4 VFs, switchdev) lives for the whole run and
 * is put back to that baseline at the start of every input, so an input
 * means the same thing whenever it runs. Input format:
 *
 *   command*  [0xff frame*]
 *   command = function:u8 len:u16le bytes[len]   (the slot's input half)
 *   frame   = port:u8 len:u16le bytes[len]       (port bit 7: representor)
 *
 * function % 8: 0..4 VF n (VF 4 is never enabled), 5 and 7 the PF,
 * 6 the uplink peer. Each command's bytes are copied into a buffer of
 * exactly len bytes, so the device reading past what it was handed is an
 * ASan report; the look ahead of the command loop (emu_dev_prefetch) is
 * handed each command first. Set FUZZ_EMU_CMD_VERBOSE=1 to print every completion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_dev.h"
#include "snic/fw_abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_CMDS   256
#define FUZZ_MAX_FRAMES 32

static struct emu_dev *fuzz_dev;
static bool fuzz_verbose;

static bool
fuzz_deliver(void *ctx, const struct emu_dest *dest, const uint8_t *frame,
             uint32_t len)
{
    volatile uint8_t sink = 0;

    (void)ctx;
    (void)dest;
    /* touch every byte so ASan checks the device handed valid memory */
    for (uint32_t i = 0; i < len; i++)
        sink ^= frame[i];
    (void)sink;
    return (len & 1u) == 0; /* refuse some, so drop paths run too */
}

static const struct emu_dev_ops fuzz_ops = { .deliver = fuzz_deliver };

static void
fuzz_fini(void)
{
    emu_dev_destroy(fuzz_dev);
    fuzz_dev = NULL;
}

static uint8_t
fuzz_pf_cmd(uint16_t opcode, void *in, uint32_t in_size)
{
    static union { uint8_t raw[FW_SLOT_OUT_MAX]; uint64_t a; } out;
    struct fw_cmd_hdr *h = in;

    h->opcode = opcode;
    h->in_size = in_size;
    h->out_size = FW_SLOT_OUT_MAX;
    emu_dev_exec(fuzz_dev, FW_FUNC_PF, in, in_size, out.raw);
    return ((struct fw_out_hdr *)out.raw)->status;
}

static void
fuzz_baseline(void)
{
    struct fw_debug_fault_in clear = { .fault = FW_FAULT_CLEAR };
    struct fw_function_reset_in reset = { .flags = 0 };
    struct fw_eswitch_set_mode_in mode = { .mode = FW_ESW_SWITCHDEV };
    struct fw_sriov_disable_in dis = { .hdr.opcode = 0 };
    struct fw_sriov_enable_in en = { .num_vfs = 4 };
    struct fw_vport_modify_in up = {
        .vport = FW_VPORT_UPLINK,
        .field_select = FW_VPORT_F_LINK_STATE | FW_VPORT_F_RX_MODE |
                        FW_VPORT_F_MTU,
        .ctx = { .link_state = FW_LINK_AUTO, .mtu = 1500 },
    };

    if (fuzz_dev == NULL) {
        struct emu_config cfg;

        memset(&cfg, 0, sizeof(cfg));
        cfg.profile = *emu_profile_find("full");
        cfg.max_vfs = 4;
        cfg.num_vfs = 4;
        cfg.esw_mode = FW_ESW_SWITCHDEV;
        cfg.base_mac[0] = 0x02;
        cfg.base_mac[5] = 0x01;
        fuzz_dev = emu_dev_create(&cfg, &fuzz_ops, NULL);
        if (fuzz_dev == NULL)
            abort();
        fuzz_verbose = getenv("FUZZ_EMU_CMD_VERBOSE") != NULL;
        atexit(fuzz_fini);
    }
    emu_dev_fault(fuzz_dev, &clear);
    fuzz_pf_cmd(FW_CMD_FUNCTION_RESET, &reset, sizeof(reset));
    fuzz_pf_cmd(FW_CMD_ESWITCH_SET_MODE, &mode, sizeof(mode));
    fuzz_pf_cmd(FW_CMD_SRIOV_DISABLE, &dis, sizeof(dis));
    fuzz_pf_cmd(FW_CMD_SRIOV_ENABLE, &en, sizeof(en));
    fuzz_pf_cmd(FW_CMD_VPORT_MODIFY, &up, sizeof(up));
}

static uint16_t
fuzz_function(uint8_t b)
{
    switch (b % 8u) {
    case 5:
    case 7:
        return FW_FUNC_PF;
    case 6:
        return FW_FUNC_UPLINK;
    default:
        return FW_FUNC_VF(b % 8u);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static union { uint8_t raw[FW_SLOT_OUT_MAX]; uint64_t a; } out;
    size_t off = 0;
    unsigned n = 0;

    fuzz_baseline();
    while (off + 3 <= size && n++ < FUZZ_MAX_CMDS && data[off] != 0xff) {
        uint16_t fn = fuzz_function(data[off]);
        size_t len = (size_t)data[off + 1] | ((size_t)data[off + 2] << 8);
        uint8_t *in;
        unsigned flags;

        off += 3;
        if (len > size - off)
            len = size - off;
        in = malloc(len ? len : 1);
        if (in == NULL)
            return 0;
        memcpy(in, data + off, len);
        off += len;
        memset(out.raw, 0xa5, sizeof(out.raw));
        /* the command loop's look ahead reads the same hostile bytes */
        emu_dev_prefetch(fuzz_dev, fn, in, (uint32_t)len, 0);
        emu_dev_prefetch(fuzz_dev, fn, in, (uint32_t)len, 1);
        flags = emu_dev_exec(fuzz_dev, fn, in, (uint32_t)len, out.raw);
        if (fuzz_verbose) {
            const struct fw_out_hdr *o = (const void *)out.raw;
            uint16_t op = len >= 2 ? (uint16_t)(in[0] | (in[1] << 8)) : 0;

            printf("fn %#06x op %#06x len %4zu -> status %#04x synd %#010x "
                   "out %u flags %u\n", fn, op, len, o->status, o->syndrome,
                   o->out_size, flags);
        }
        free(in);
    }
    if (off < size && data[off] == 0xff)
        off++;
    n = 0;
    while (off + 3 <= size && n++ < FUZZ_MAX_FRAMES) {
        uint8_t port = data[off];
        size_t len = (size_t)data[off + 1] | ((size_t)data[off + 2] << 8);
        uint8_t *frame;

        off += 3;
        if (len > size - off)
            len = size - off;
        frame = malloc(len ? len : 1);
        if (frame == NULL)
            return 0;
        memcpy(frame, data + off, len);
        off += len;
        if (port & 0x80u)
            emu_dev_rep_input(fuzz_dev, port & 7u, frame, (uint32_t)len);
        else
            emu_dev_input(fuzz_dev, port & 7u, frame, (uint32_t)len);
        free(frame);
    }
    return 0;
}
