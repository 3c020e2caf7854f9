/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel tap attachments: the host side of a VF or the wire as a Linux tap
 * device, so network namespaces can send real traffic through the emulated
 * eSwitch. A tap is a host side like any other: while a shared-memory queue
 * is attached to the same vport, the queue wins (a DPDK application claimed
 * the port) and the tap is not fed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "emu_server_int.h"

#define EMU_TAP_BURST   64

int
emu_tap_open(struct emu_server *srv, uint16_t vport, const char *ifname)
{
    struct emu_tap *tap;
    struct ifreq ifr;
    int fd, err;

    if (vport >= srv->nvports)
        return -ERANGE;
    tap = &srv->taps[vport];
    if (tap->fd >= 0)
        return -EEXIST;
    if (strlen(ifname) >= IFNAMSIZ)
        return -ENAMETOOLONG;
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strcpy(ifr.ifr_name, ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        goto fail_close;
    tap->fd = fd;
    tap->vport = vport;
    tap->w.kind = EMU_W_TAP;
    tap->w.obj = tap;
    memcpy(tap->ifname, ifr.ifr_name, IFNAMSIZ);
    if (emu_loop_watch(srv, fd, &tap->w, EPOLLIN) < 0) {
        tap->fd = -1;
        goto fail_close;
    }
    emu_attach_update(srv, vport);
    return 0;

fail_close:
    err = errno;
    close(fd);
    return -err;
}

void
emu_tap_close_all(struct emu_server *srv)
{
    unsigned v;

    for (v = 0; v < srv->nvports; v++) {
        if (srv->taps[v].fd < 0)
            continue;
        emu_loop_unwatch(srv, srv->taps[v].fd);
        close(srv->taps[v].fd);
        srv->taps[v].fd = -1;
    }
}

void
emu_tap_readable(struct emu_server *srv, struct emu_tap *tap)
{
    uint8_t frame[FW_PKT_BUF_SIZE + 64];
    int i;

    for (i = 0; i < EMU_TAP_BURST; i++) {
        ssize_t n = read(tap->fd, frame, sizeof(frame));

        if (n < 0)
            return;     /* EAGAIN: drained; anything else: try next time */
        /* oversized frames cannot cross the card's rings */
        if (n < 14 || (size_t)n > FW_PKT_BUF_SIZE)
            continue;
        emu_dev_input(srv->dev, tap->vport, frame, (uint32_t)n);
    }
}

bool
emu_tap_deliver(struct emu_server *srv, uint16_t vport, const uint8_t *frame,
                uint32_t len)
{
    if (vport >= srv->nvports || srv->taps[vport].fd < 0)
        return false;
    return write(srv->taps[vport].fd, frame, len) == (ssize_t)len;
}
