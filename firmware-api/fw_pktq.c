/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver side of a packet queue pair (struct fw_pktq in fw_abi.h): attach
 * over the channel's socket, map the queue memfd, then move frames through
 * the rx and tx rings without any syscall except the tx kick, which is only
 * written when the device said it went to sleep.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fw_chan_priv.h"
#include "fw_sock.h"

struct fw_pktq_ring {
    struct fw_pkt_desc *desc;
    uint8_t *bufs;
};

struct fw_pktq_map {
    int kick_fd;
    uint8_t *map;
    size_t size;
    struct fw_pktq *hdr;
    uint32_t depth;
    uint32_t mask;
    struct fw_pktq_ring rx;
    struct fw_pktq_ring tx;
    uint32_t rx_cons;       /* local copy of rx_consumer */
    uint32_t tx_prod;       /* local copy of tx_producer */
};

static int
fw_pktq_ring_map(struct fw_pktq_map *q, uint32_t offset,
                 struct fw_pktq_ring *ring)
{
    uint64_t end = (uint64_t)offset +
                   (uint64_t)q->depth * (sizeof(struct fw_pkt_desc) +
                                         FW_PKT_BUF_SIZE);

    if (offset < FW_PKTQ_HDR_SIZE || end > q->size ||
        offset % FW_CACHE_LINE != 0)
        return -EPROTO;
    ring->desc = (struct fw_pkt_desc *)(q->map + offset);
    ring->bufs = q->map + offset + (size_t)q->depth * sizeof(struct fw_pkt_desc);
    return 0;
}

static int
fw_pktq_request(struct fw_chan *chan, uint16_t vport, uint16_t queue,
                uint32_t depth, uint32_t flags, int timeout_ms, int fds[2],
                uint32_t *size)
{
    struct fw_queue_attach req = {
        .vport = vport, .queue = queue, .depth = depth, .flags = flags,
    };
    struct fw_queue_reply rep;
    int sock = fw_chan_fd(chan);
    unsigned nfds = 0;
    ssize_t n;
    int r;

    fw_sock_hdr(&req.hdr, FW_MSG_QUEUE_ATTACH, sizeof(req));
    r = fw_sock_send(sock, &req, sizeof(req), NULL, 0);
    if (r < 0)
        goto dead;
    r = fw_sock_wait(sock, POLLIN, timeout_ms > 0 ? timeout_ms : 1);
    if (r < 0)
        goto dead;
    if (r == 0) {
        /* A reply may still come later and would be misread as ours. */
        r = -ETIMEDOUT;
        goto dead;
    }
    n = fw_sock_recv(sock, &rep, sizeof(rep), fds, 2, &nfds, 0);
    if (n <= 0) {
        r = n == 0 ? -EPIPE : (int)n;
        goto dead;
    }
    if ((size_t)n < sizeof(rep) || rep.hdr.magic != FW_ABI_MAGIC ||
        rep.hdr.type != FW_MSG_QUEUE_REPLY) {
        r = -EPROTO;
        goto close_fds;
    }
    if (rep.status != FW_STATUS_OK) {
        r = -fw_status_errno(rep.status);
        goto close_fds;
    }
    if (nfds != 2) {
        r = -EPROTO;
        goto close_fds;
    }
    *size = rep.size;
    return 0;

close_fds:
    while (nfds > 0)
        close(fds[--nfds]);
    if (r == -EPROTO)
        fw_chan_mark_dead(chan);
    return r;
dead:
    fw_chan_mark_dead(chan);
    return r;
}

struct fw_pktq_map *
fw_pktq_attach(struct fw_chan *chan, uint16_t vport, uint16_t queue,
               uint32_t depth, uint32_t flags, int timeout_ms)
{
    struct fw_pktq_map *q;
    uint32_t size = 0;
    struct stat st;
    int fds[2];
    int r;

    if (chan == NULL || fw_chan_dead(chan)) {
        errno = EPIPE;
        return NULL;
    }
    if (depth == 0 || (depth & (depth - 1)) != 0 ||
        (flags & ~(uint32_t)(FW_QUEUE_F_RX | FW_QUEUE_F_TX)) != 0 ||
        flags == 0) {
        errno = EINVAL;
        return NULL;
    }
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return NULL;
    r = fw_pktq_request(chan, vport, queue, depth, flags, timeout_ms, fds,
                        &size);
    if (r < 0)
        goto free_q;
    q->kick_fd = fds[1];
    if (fstat(fds[0], &st) < 0) {
        r = -errno;
        goto close_fds;
    }
    if (size < FW_PKTQ_HDR_SIZE || (off_t)size > st.st_size) {
        r = -EPROTO;
        goto close_fds;
    }
    q->size = size;
    q->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
    if (q->map == MAP_FAILED) {
        r = -errno;
        goto close_fds;
    }
    close(fds[0]);
    q->hdr = (struct fw_pktq *)q->map;
    q->depth = q->hdr->depth;
    q->mask = q->depth - 1;
    if (q->hdr->magic != FW_ABI_MAGIC || q->depth != depth) {
        r = -EPROTO;
        goto unmap;
    }
    if ((flags & FW_QUEUE_F_RX) &&
        (r = fw_pktq_ring_map(q, q->hdr->rx_offset, &q->rx)) < 0)
        goto unmap;
    if ((flags & FW_QUEUE_F_TX) &&
        (r = fw_pktq_ring_map(q, q->hdr->tx_offset, &q->tx)) < 0)
        goto unmap;
    q->rx_cons = __atomic_load_n(&q->hdr->rx_consumer, __ATOMIC_ACQUIRE);
    q->tx_prod = __atomic_load_n(&q->hdr->tx_producer, __ATOMIC_ACQUIRE);
    return q;

unmap:
    munmap(q->map, q->size);
    close(q->kick_fd);
    goto free_q;
close_fds:
    close(fds[0]);
    close(fds[1]);
free_q:
    free(q);
    errno = -r;
    return NULL;
}

void
fw_pktq_detach(struct fw_pktq_map *q)
{
    if (q == NULL)
        return;
    munmap(q->map, q->size);
    close(q->kick_fd);
    free(q);
}

bool
fw_pktq_detached(const struct fw_pktq_map *q)
{
    return __atomic_load_n(&q->hdr->detached, __ATOMIC_ACQUIRE) != 0;
}

unsigned
fw_pktq_rx_peek(struct fw_pktq_map *q, struct fw_pkt *pkts, unsigned max)
{
    uint32_t avail;
    unsigned i;

    if (q->rx.desc == NULL)
        return 0;
    avail = __atomic_load_n(&q->hdr->rx_producer, __ATOMIC_ACQUIRE) -
            q->rx_cons;
    if (avail > q->depth)       /* a confused device; never read past */
        avail = q->depth;
    if (max > avail)
        max = avail;
    for (i = 0; i < max; i++) {
        uint32_t idx = (q->rx_cons + i) & q->mask;
        const struct fw_pkt_desc *d = &q->rx.desc[idx];
        uint32_t len = d->len;

        pkts[i].data = q->rx.bufs + (size_t)idx * FW_PKT_BUF_SIZE;
        pkts[i].len = len > FW_PKT_BUF_SIZE ? FW_PKT_BUF_SIZE : len;
        pkts[i].mark = d->mark;
        pkts[i].flags = d->flags;
        pkts[i].src_vport = d->src_vport;
        pkts[i].rss_hash = d->rss_hash;
    }
    return max;
}

void
fw_pktq_rx_release(struct fw_pktq_map *q, unsigned n)
{
    if (n == 0)
        return;
    q->rx_cons += n;
    __atomic_store_n(&q->hdr->rx_consumer, q->rx_cons, __ATOMIC_RELEASE);
}

unsigned
fw_pktq_tx_reserve(struct fw_pktq_map *q, uint8_t **bufs, unsigned n)
{
    uint32_t used, free_slots;
    unsigned i;

    if (q->tx.desc == NULL)
        return 0;
    used = q->tx_prod - __atomic_load_n(&q->hdr->tx_consumer, __ATOMIC_ACQUIRE);
    free_slots = used >= q->depth ? 0 : q->depth - used;
    if (n > free_slots)
        n = free_slots;
    for (i = 0; i < n; i++)
        bufs[i] = q->tx.bufs + (size_t)((q->tx_prod + i) & q->mask) *
                               FW_PKT_BUF_SIZE;
    return n;
}

void
fw_pktq_tx_commit(struct fw_pktq_map *q, const uint32_t *lens, unsigned n)
{
    uint64_t one = 1;
    unsigned i;

    if (n == 0 || q->tx.desc == NULL)
        return;
    for (i = 0; i < n; i++) {
        struct fw_pkt_desc *d = &q->tx.desc[(q->tx_prod + i) & q->mask];

        d->len = lens[i] > FW_PKT_BUF_SIZE ? FW_PKT_BUF_SIZE : lens[i];
        d->mark = 0;
        d->flags = 0;
        d->src_vport = 0;
        d->rss_hash = 0;
    }
    q->tx_prod += n;
    __atomic_store_n(&q->hdr->tx_producer, q->tx_prod, __ATOMIC_RELEASE);
    /* Store producer, then load need_kick, with a full fence between: the
     * device does the mirror image (store need_kick, fence, load producer),
     * so at least one of us sees the other and no frame is stranded. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&q->hdr->tx_need_kick, __ATOMIC_RELAXED)) {
        if (write(q->kick_fd, &one, sizeof(one)) < 0) {
            /* EAGAIN: counter saturated, the device wakes anyway */
        }
    }
}

unsigned
fw_pktq_tx(struct fw_pktq_map *q, const struct fw_pkt *pkts, unsigned n)
{
    uint8_t *bufs[64];
    uint32_t lens[64];
    unsigned done = 0;

    while (done < n) {
        unsigned want = n - done, got, i;

        if (want > 64)
            want = 64;
        got = fw_pktq_tx_reserve(q, bufs, want);
        for (i = 0; i < got; i++) {
            const struct fw_pkt *p = &pkts[done + i];

            if (p->len > FW_PKT_BUF_SIZE)
                break;
            memcpy(bufs[i], p->data, p->len);
            lens[i] = p->len;
        }
        fw_pktq_tx_commit(q, lens, i);
        done += i;
        if (i < want)
            break;
    }
    return done;
}
