/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's journal file format, and its reader (offload/journal/): bytes in,
 * records out. No I/O, no logging, no DPDK: snicd's journal
 * (offload/snicd/snicd_journal.c) reads the file and writes it, and the
 * fuzzer (tests/fuzz/fuzz_journal.c) feeds it hostile bytes.
 *
 * The format (docs/snicd.md, "Desired state across restarts"): a header
 * line, then frames. A frame is one committed batch: a header line giving
 * the length of its payload, the CRC-32 (zlib) of the payload and the
 * CRC-32 of the header line's own text before it, then the payload, one
 * record per line, in the flow language:
 *
 *   snicd-journal 2
 *   @ 128 5f0e3a21 9c41d2b7
 *   + cookie=0x0, table=0, priority=100,in_port=2 actions=output:1
 *   - cookie=0x0, table=0, priority=100,in_port=2 actions=output:1
 *
 * "+" adds (or replaces the flow with the same table, priority and match);
 * "-" removes that flow. Format 1 (JOURNAL_MAGIC_V1) is a record per line
 * without frames.
 *
 * What reading promises: a frame's records reach the caller only once its
 * length and checksum hold (a batch comes back whole or not at all). A
 * frame running past the end, or the last one failing its checksum, or
 * zeroes to the end, was torn by a crash during its write: reading stops
 * there (keep) and says so. A bad frame with more after it is damage: an
 * error naming the byte offset, the line and why.
 */
#ifndef SNIC_JOURNAL_H
#define SNIC_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snic/flow.h"

#define JOURNAL_MAGIC           "snicd-journal 2\n"
#define JOURNAL_MAGIC_V1        "snicd-journal 1\n"
#define JOURNAL_FRAME_HDR_MAX   48u     /* "@ <20 digits> <8 hex> <8 hex>\n" */
#define JOURNAL_WHY_SIZE        (FLOW_ERROR_MSG_SIZE + 96)

/* One record, as a flow and whether it was added or removed. Nonzero stops
 * the reading and is returned (use a negative errno other than -EBADMSG). */
typedef int journal_record_fn(void *ctx, bool add, const struct flow *f);

struct journal_read {
    int format;             /* 2, 1, or 0: empty or torn inside line 1 */
    size_t keep;            /* bytes that hold whole frames (format 0: 0) */
    size_t records;         /* records handed over (@fn returned 0) */
    /* with -EBADMSG: the damage; -EINVAL: why it is not a journal; with
     * 0 and torn_at != 0: why the last frame is torn */
    size_t offset, line;
    size_t torn_at;         /* 0, or the torn last frame's offset */
    char why[JOURNAL_WHY_SIZE];
};

/* CRC-32 (zlib's) of @size bytes: frames and their headers. */
uint32_t journal_crc32(const char *p, size_t size);

/* Read the @size bytes at @buf (buf[size] must be '\0'; lines are cut in
 * place with NULs), handing each record of each whole frame to @fn (may be
 * NULL). 0 (@out says what is whole), -EBADMSG (damage: offset, line,
 * why), -EINVAL (not a journal: why), or what @fn returned. */
int journal_read(char *buf, size_t size, journal_record_fn *fn, void *ctx,
                 struct journal_read *out);

/* "@ LEN CRC HCRC\n" for a payload of @len bytes at @p into @hdr (at least
 * JOURNAL_FRAME_HDR_MAX + 1 bytes); its length. */
size_t journal_frame_header(char *hdr, const char *p, size_t len);

#endif /* SNIC_JOURNAL_H */
