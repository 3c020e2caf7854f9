/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private helpers for the firmware ABI's socket messages, shared by the
 * driver library (fw_chan.c, fw_pktq.c) and the emulated card's server.
 * Not part of the public API: both sides include it by relative path.
 */
#ifndef SNIC_FW_SOCK_H
#define SNIC_FW_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snic/fw_abi.h"

#define FW_SOCK_MAX_FDS 4

/* Send one datagram with @nfds descriptors attached. 0 or -errno. */
int fw_sock_send(int sock, const void *msg, size_t size,
                 const int *fds, unsigned nfds);

/*
 * Receive one datagram. Descriptors beyond @max_fds, or any sent when the
 * message was truncated, are closed so a hostile peer cannot leak them into
 * us. Returns the datagram's size (0 at end of stream) or -errno; *@nfds
 * tells how many descriptors landed in @fds (all close-on-exec).
 */
ssize_t fw_sock_recv(int sock, void *msg, size_t size, int *fds,
                     unsigned max_fds, unsigned *nfds, int flags);

/* Fill a message header. */
void fw_sock_hdr(struct fw_msg_hdr *hdr, uint16_t type, uint16_t size);

/* Wait for @events on @fd for up to @timeout_ms: 1 ready, 0 timed out,
 * -errno. Retries on EINTR with the remaining time. */
int fw_sock_wait(int fd, short events, int timeout_ms);

#endif /* SNIC_FW_SOCK_H */
