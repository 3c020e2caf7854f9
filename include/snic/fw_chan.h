/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver side of the firmware ABI: connect to a function of the card,
 * submit commands in batches, reap completions, attach packet queues.
 *
 * No DPDK here: the PMD, snic-vf and the tests all use this library.
 *
 * Submitting. fw_chan_post() copies a command into the next free slot and
 * remembers where its output should go; nothing reaches the device until
 * fw_chan_doorbell(). fw_chan_reap() copies each finished command's output
 * into the buffer given at post time and reports (cookie, status, syndrome).
 * fw_chan_exec() is post + doorbell + wait for that one command.
 *
 * Failure. Every call that waits takes a timeout. A device that closes its
 * socket, stops completing past a deadline, or answers with a completion
 * that matches nothing posted is reported as -EPIPE / -ETIMEDOUT / -EPROTO
 * and the channel is marked dead: later calls fail fast with -EPIPE and the
 * owner reconnects with a new channel. Firmware resets are not channel
 * errors: fw_chan_reset_generation() tells that one happened.
 *
 * Thread-safety: a channel belongs to one thread at a time; callers must
 * exclude concurrent use. Packet queues are single-producer/single-consumer
 * per direction and may be used from another thread than the channel's.
 */
#ifndef SNIC_FW_CHAN_H
#define SNIC_FW_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snic/fw_abi.h"

struct fw_chan;

struct fw_completion {
    void *cookie;           /* as given to fw_chan_post() */
    uint16_t opcode;
    uint8_t status;         /* enum fw_status */
    uint32_t syndrome;
    uint32_t out_size;      /* bytes copied to the post's out buffer */
};

/* Connect to the function socket at @path (the PF at PATH, VF n at
 * PATH.vfN, the wire at PATH.uplink). NULL and errno on failure:
 * ENOENT/ECONNREFUSED no device, EPROTO version mismatch, ETIMEDOUT. */
struct fw_chan *fw_chan_open(const char *path, int timeout_ms);
void fw_chan_close(struct fw_chan *chan);

uint16_t fw_chan_function(const struct fw_chan *chan);
uint16_t fw_chan_abi_minor(const struct fw_chan *chan);
unsigned fw_chan_depth(const struct fw_chan *chan);
bool fw_chan_dead(const struct fw_chan *chan);
/* The socket fd, readable/hup-able when the device goes away (poll it). */
int fw_chan_fd(const struct fw_chan *chan);
/* Health and reset generation straight from the shared region, no command. */
uint32_t fw_chan_health(const struct fw_chan *chan);
uint32_t fw_chan_reset_generation(const struct fw_chan *chan);
/* ABI 1.2: the VFs the card has now, from the region, no command: a
 * consistent snapshot of sriov_generation (even), num_vfs and, when @vf_gen
 * is not NULL, vf_generation[0..n_vf_gen-1], read as a seqlock (see struct
 * fw_region): retried while the device is writing (odd sequence) or wrote
 * during the copy. 0, -ENOTSUP when the negotiated minor is below 2 (ask
 * QUERY_ADAPTER instead), or -EAGAIN when the device did not hold still for
 * about 100 ms (then *@generation and *@num_vfs are untouched and
 * @vf_gen holds nothing to trust). May yield the CPU while it waits. */
int fw_chan_sriov_view(const struct fw_chan *chan, uint32_t *generation,
                       uint16_t *num_vfs, uint32_t *vf_gen,
                       unsigned n_vf_gen);

/* Free slots right now (depth minus posted-but-unreaped commands). */
unsigned fw_chan_space(const struct fw_chan *chan);

/*
 * Copy a command into the next slot. @in starts with struct fw_cmd_hdr; the
 * library fills opcode, in_size, out_size and token. @out (may be NULL with
 * @out_size 0) receives the output, header included, at reap time.
 * Returns 0, -ENOSPC when no slot is free (reap first), -EINVAL for sizes
 * beyond the slot, -EPIPE on a dead channel.
 */
int fw_chan_post(struct fw_chan *chan, uint16_t opcode, void *in,
                 size_t in_size, void *out, size_t out_size, void *cookie);

/* Make everything posted so far visible to the device and wake it. */
int fw_chan_doorbell(struct fw_chan *chan);

/* Reap up to @max completions; waits up to @timeout_ms for the first one
 * (0: do not wait, <0: wait forever is not allowed and means 0). Returns the
 * number reaped, or a negative errno when the device is gone or silent with
 * commands outstanding past the timeout. */
int fw_chan_reap(struct fw_chan *chan, struct fw_completion *cmpl,
                 unsigned max, int timeout_ms);

/* How the channel waited (for benchmarks and tests): doorbell eventfd
 * writes, doorbells the device's cmdq_polling made unnecessary (ABI 1.12),
 * waits a spin on the cq ended, and waits that slept on the completion
 * eventfd. */
struct fw_chan_stats {
    uint64_t doorbells;
    uint64_t doorbells_skipped;
    uint64_t spins_won;
    uint64_t sleeps;
};

void fw_chan_get_stats(const struct fw_chan *chan,
                       struct fw_chan_stats *stats);

/* Outstanding (posted, not reaped) commands. */
unsigned fw_chan_inflight(const struct fw_chan *chan);

/* Synchronous: post, doorbell, wait. Returns 0 with the device's status in
 * *@status (and syndrome), or a negative errno for transport failure. */
int fw_chan_exec(struct fw_chan *chan, uint16_t opcode, void *in,
                 size_t in_size, void *out, size_t out_size,
                 uint8_t *status, uint32_t *syndrome, int timeout_ms);

/* errno for a status (EINVAL, ENOTSUP, ENOSPC, EPERM, EBUSY, ENOENT...). */
int fw_status_errno(uint8_t status);
const char *fw_status_str(uint8_t status);
/* "field ipv4_src", "action 3 (vxlan_encap)", ... into @buf. */
const char *fw_syndrome_str(uint32_t syndrome, char *buf, size_t size);
const char *fw_field_name(unsigned field);
const char *fw_action_name(unsigned type);

/* ------------------------------------------------------------------------
 * Packet queues
 * ------------------------------------------------------------------------ */

struct fw_pktq_map;

/* Attach queue @queue of @vport (see struct fw_queue_attach). NULL and
 * errno on failure (EPERM wrong function, EINVAL bad depth, ENOSPC...). */
struct fw_pktq_map *fw_pktq_attach(struct fw_chan *chan, uint16_t vport,
                                   uint16_t queue, uint32_t depth,
                                   uint32_t flags, int timeout_ms);
void fw_pktq_detach(struct fw_pktq_map *q);
bool fw_pktq_detached(const struct fw_pktq_map *q);

struct fw_pkt {
    const uint8_t *data;    /* rx: points into the ring until released */
    uint32_t len;
    uint32_t mark;
    uint16_t flags;         /* enum fw_pkt_flags */
    uint16_t src_vport;
    uint32_t rss_hash;      /* with FW_PKT_F_RSS (ABI 1.5); META with
                             * FW_PKT_F_META (ABI 1.9) */
};

/* Zero-copy rx: peek at up to @max packets; they stay valid until
 * fw_pktq_rx_release(q, n) hands n of them back. */
unsigned fw_pktq_rx_peek(struct fw_pktq_map *q, struct fw_pkt *pkts,
                         unsigned max);
void fw_pktq_rx_release(struct fw_pktq_map *q, unsigned n);

/* Copying rx/tx helpers for simple users. tx returns how many were queued
 * (frames longer than FW_PKT_BUF_SIZE are not queued) and kicks the device
 * when it sleeps. */
unsigned fw_pktq_tx(struct fw_pktq_map *q, const struct fw_pkt *pkts,
                    unsigned n);

/* Zero-copy tx: reserve buffers, fill them, commit. */
unsigned fw_pktq_tx_reserve(struct fw_pktq_map *q, uint8_t **bufs,
                            unsigned n);
void fw_pktq_tx_commit(struct fw_pktq_map *q, const uint32_t *lens,
                       unsigned n);

#endif /* SNIC_FW_CHAN_H */
