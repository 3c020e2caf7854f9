/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated card's I/O half: function sockets, command regions, packet
 * queues in shared memory, kernel taps and the one event-loop thread that
 * drives the device model (emu_dev.h) with all of them.
 *
 * Thread-safety: none. emu_server_run() is the only thread that touches the
 * server and its device; emu_server_stop() is safe from a signal handler.
 */
#ifndef SNIC_EMU_SERVER_H
#define SNIC_EMU_SERVER_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "emu_dev.h"

#define EMU_SERVER_MAX_TAPS     257     /* uplink + 256 VFs */

struct emu_tap_spec {
    uint16_t vport;                 /* FW_VPORT_UPLINK or FW_VPORT_VF(n) */
    char ifname[IFNAMSIZ];
};

struct emu_server_config {
    const char *socket_path;        /* PF socket; VFs and uplink beside it */
    /* Who may connect besides root and our own uid: members of this group
     * when has_group (sockets 0660 and that group's), else nobody (0600). */
    bool has_group;
    gid_t group;
    uint32_t cmdq_depth;            /* command slots per client, power of 2 */
    bool quiet;
    unsigned n_taps;
    struct emu_tap_spec taps[EMU_SERVER_MAX_TAPS];
};

struct emu_server;

/* Create the device and listen on its sockets. NULL and errno on failure
 * (EADDRINUSE: another emunic owns the path, ENAMETOOLONG...). */
struct emu_server *emu_server_create(const struct emu_server_config *cfg,
                                     const struct emu_config *dev_cfg);
/* Close everything and remove the sockets. */
void emu_server_destroy(struct emu_server *srv);

struct emu_dev *emu_server_dev(struct emu_server *srv);

/* Run until SIGTERM/SIGINT (blocked and taken through a signalfd) or a
 * fatal error. 0 or -errno. */
int emu_server_run(struct emu_server *srv);

#endif /* SNIC_EMU_SERVER_H */
