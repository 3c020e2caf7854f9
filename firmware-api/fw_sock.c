/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SCM_RIGHTS plumbing for the firmware ABI's socket messages. Both ends of
 * the transport use these, so a descriptor-passing bug has one place to live.
 */
#include "fw_sock.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "snic_clock.h"

int
fw_sock_send(int sock, const void *msg, size_t size, const int *fds,
             unsigned nfds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * FW_SOCK_MAX_FDS)];
    } ctl;
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = size };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (nfds > FW_SOCK_MAX_FDS)
        return -EINVAL;
    if (nfds > 0) {
        struct cmsghdr *c;

        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    do {
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if ((size_t)n != size)
        return -EMSGSIZE;
    return 0;
}

ssize_t
fw_sock_recv(int sock, void *msg, size_t size, int *fds, unsigned max_fds,
             unsigned *nfds, int flags)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * FW_SOCK_MAX_FDS)];
    } ctl;
    struct iovec iov = { .iov_base = msg, .iov_len = size };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
    };
    struct cmsghdr *c;
    unsigned got = 0;
    ssize_t n;

    *nfds = 0;
    do {
        n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;

    for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
        size_t count, i;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < count; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (got < max_fds && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
                fds[got++] = fd;
            else
                close(fd);
        }
    }
    if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        while (got > 0)
            close(fds[--got]);
        return -EMSGSIZE;
    }
    *nfds = got;
    return n;
}

void
fw_sock_hdr(struct fw_msg_hdr *hdr, uint16_t type, uint16_t size)
{
    hdr->magic = FW_ABI_MAGIC;
    hdr->type = type;
    hdr->size = size;
}

int
fw_sock_wait(int fd, short events, int timeout_ms)
{
    int64_t deadline = snic_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    struct pollfd p = { .fd = fd, .events = events };

    for (;;) {
        int64_t left = deadline - snic_now_ms();
        int r;

        r = poll(&p, 1, left > 0 ? (int)left : 0);
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}
