/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated card's device model: firmware command processor, eSwitch
 * (vports, steering tables, rules, counters, VEB) and packet pipeline.
 *
 * This is the "silicon and firmware" half of emunic. It does no I/O: the
 * server half (emu_server.c) owns sockets, shared memory, taps and the event
 * loop, hands it commands and packets, and is called back to deliver packets
 * and to learn about function changes.
 *
 * Thread-safety: none. One thread (the server's loop) owns a device.
 */
#ifndef SNIC_EMU_DEV_H
#define SNIC_EMU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "snic/fw_abi.h"

struct emu_dev;

/* Capability profile: what the card supports and how much of it. */
struct emu_profile {
    char name[FW_PROFILE_NAME_LEN];
    uint64_t match_fields;
    uint64_t actions;
    uint64_t exact_mask_fields;
    uint64_t prefix_mask_fields;
    uint32_t max_tables;
    uint32_t max_group;
    uint32_t max_rules_per_table;
    uint32_t max_rules_total;
    uint32_t max_counters;
    uint16_t prio_per_table;
    uint16_t max_actions;
};

/* Built-in profiles: "full", "basic" (L2/L3 exact matches, few actions,
 * 4 priorities, small tables), "tiny" (source vport + MACs, drop/forward,
 * 2 priorities, 64 rules). NULL and errno=ENOENT for an unknown name. */
const struct emu_profile *emu_profile_find(const char *name);
/* Comma-separated names of the built-in profiles, for --help. */
const char *emu_profile_names(void);

struct emu_config {
    struct emu_profile profile;     /* copied; may be edited after find */
    uint16_t max_vfs;               /* sriov_totalvfs, <= 256 */
    uint16_t num_vfs;               /* enabled at start (0: none) */
    uint8_t esw_mode;               /* enum fw_eswitch_mode at start */
    uint8_t base_mac[6];
    uint16_t max_queues_per_port;
    uint32_t max_queue_depth;
    uint32_t max_link_speed;        /* Mbps */
};

/* Where a packet leaves the device. */
enum emu_dest_kind {
    EMU_DEST_VPORT = 1,     /* host side of vport (VF or, for 0, the wire) */
    EMU_DEST_REP   = 2,     /* a representor queue on the PF: (vport, queue) */
};

struct emu_dest {
    uint8_t kind;           /* enum emu_dest_kind */
    uint16_t vport;
    uint16_t queue;
    uint16_t src_vport;     /* ingress vport, reported on representor rx */
    bool has_mark;
    uint32_t mark;
    bool has_hash;          /* RSS hashed it (ABI 1.5): the hash */
    uint32_t hash;
    uint32_t meta;          /* the META register (ABI 1.9), 0 when unset */
};

/* Callbacks into the server. deliver() must copy the frame before
 * returning and returns false if it was dropped (no host side attached,
 * queue full): the device counts the drop. */
struct emu_dev_ops {
    bool (*deliver)(void *ctx, const struct emu_dest *dest,
                    const uint8_t *frame, uint32_t len);
    /* SR-IOV changed: VFs 0..num_vfs-1 exist now (sockets to create or
     * remove). */
    void (*sriov_changed)(void *ctx, uint16_t num_vfs);
    /* A firmware reset happened (steering gone, queues to detach). */
    void (*reset)(void *ctx);
};

struct emu_dev *emu_dev_create(const struct emu_config *cfg,
                               const struct emu_dev_ops *ops, void *ctx);
void emu_dev_destroy(struct emu_dev *dev);

/* Result of one command. */
enum emu_exec_flags {
    EMU_EXEC_NO_COMPLETION = 1u << 0, /* fault knob: post no CQE */
    EMU_EXEC_GARBAGE_TOKEN = 1u << 1, /* fault knob: corrupt the CQE token */
};

/*
 * Execute one command issued by @function (FW_FUNC_*). @in/@in_size is
 * the slot's input exactly as the driver left it (hostile: never trusted),
 * @out has FW_SLOT_OUT_MAX bytes; on return it holds struct fw_out_hdr with
 * status, syndrome and out_size filled and the output after it. Returns a
 * mask of enum emu_exec_flags. Never crashes on any input.
 */
unsigned emu_dev_exec(struct emu_dev *dev, uint16_t function,
                      const void *in, uint32_t in_size, void *out);

/* A hint, never a command: @in (@in_size bytes, hostile) is a command
 * @function posted that will run a few commands from now; the device may
 * start loading what it will touch. @stage 0 is the farther look, 1 the
 * nearer one. Changes nothing, never fails (a RULE_DELETE of a live rule
 * is all it looks for, #13). */
void emu_dev_prefetch(const struct emu_dev *dev, uint16_t function,
                      const void *in, uint32_t in_size, unsigned stage);

/* A frame entering the eSwitch from the host side of @vport (a VF's tx, or
 * the wire's rx for vport 0). Runs VEB or steering and calls deliver(). */
void emu_dev_input(struct emu_dev *dev, uint16_t vport,
                   const uint8_t *frame, uint32_t len);

/* A frame sent by the PF on the representor of @vport: goes straight to
 * that vport's host side (VF rx, or out of the wire for vport 0), as real
 * representors do; in legacy mode vport 0 is the PF's own port and is
 * switched by VEB. */
void emu_dev_rep_input(struct emu_dev *dev, uint16_t vport,
                       const uint8_t *frame, uint32_t len);

/* Queue attach policy check for @function: 0 or an enum fw_status with
 * *syndrome set. */
uint8_t emu_dev_check_queue_attach(struct emu_dev *dev, uint16_t function,
                                   uint16_t vport, uint16_t queue,
                                   uint32_t depth, uint32_t *syndrome);

/* Host-side attachment of a vport changed (server tells the device, so
 * VPORT_QUERY reports it). */
void emu_dev_set_attachment(struct emu_dev *dev, uint16_t vport,
                            uint8_t attachment);

/* Device-wide status, mirrored into every client's region by the server. */
uint32_t emu_dev_health(const struct emu_dev *dev);
uint32_t emu_dev_reset_generation(const struct emu_dev *dev);
uint16_t emu_dev_num_vfs(const struct emu_dev *dev);
/* SR-IOV view of ABI 1.2 (struct fw_region): the generation of the set of
 * VFs (even, +2 per change), and per VF (max_vfs entries) the generation
 * it was created in. */
uint32_t emu_dev_sriov_generation(const struct emu_dev *dev);
const uint32_t *emu_dev_vf_generations(const struct emu_dev *dev);
/* Write that view into @reg as the seqlock writer of the ABI: sequence
 * odd, then num_vfs and vf_generation[], then the even generation. The
 * caller is the only writer of @reg's view. */
void emu_dev_publish_sriov(const struct emu_dev *dev, struct fw_region *reg);
const struct fw_caps *emu_dev_caps(const struct emu_dev *dev);
/* The delay from the FW_FAULT_DELAY knob for a command of @opcode, in
 * microseconds. */
uint32_t emu_dev_cmd_delay_us(const struct emu_dev *dev, uint16_t opcode);

/* Apply a fault knob from emunic's command line (same semantics as
 * FW_CMD_DEBUG_FAULT). 0 or -EINVAL. */
int emu_dev_fault(struct emu_dev *dev, const struct fw_debug_fault_in *f);

#endif /* SNIC_EMU_DEV_H */
