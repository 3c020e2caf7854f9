/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device side of packet queue pairs (struct fw_pktq): one sealed memfd per
 * attached queue, rx written by the device, tx polled by it.
 *
 * Where a queue sits: a VF's or the wire peer's queues are the host side of
 * that vport (srv->host); the PF's queues are representor queues
 * (srv->rep), vport 0 being the PF's own port. Frames a driver puts on tx
 * are copied out of shared memory before the device model sees them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_server_int.h"
#include "snic_hash.h"

#define EMU_SHMQ_MAX_DEPTH  65536u
#define EMU_SHMQ_TX_BURST   64u

static size_t
emu_ring_size(uint32_t depth)
{
    size_t n = (size_t)depth * (sizeof(struct fw_pkt_desc) + FW_PKT_BUF_SIZE);

    return (n + FW_CACHE_LINE - 1) & ~(size_t)(FW_CACHE_LINE - 1);
}

static struct emu_shmq **
emu_shmq_slot(struct emu_server *srv, bool rep, uint16_t vport,
              uint16_t queue)
{
    struct emu_shmq **tab = rep ? srv->rep : srv->host;

    if (vport >= srv->nvports || queue >= srv->max_queues)
        return NULL;
    return &tab[(size_t)vport * srv->max_queues + queue];
}

/* Unhook a queue from the tables and the owner; its holder keeps its own
 * mapping, sees detached=1 and is no longer fed. */
static void
emu_shmq_free(struct emu_server *srv, struct emu_shmq *q)
{
    struct emu_shmq **slot = emu_shmq_slot(srv, q->rep, q->vport, q->queue);
    struct emu_shmq **pp;

    if (slot != NULL && *slot == q) {
        *slot = NULL;
        if (!q->rep)
            emu_attach_update(srv, q->vport);
    }
    for (pp = &q->owner->queues; *pp != NULL; pp = &(*pp)->next_owned) {
        if (*pp == q) {
            *pp = q->next_owned;
            break;
        }
    }
    __atomic_store_n(&q->hdr->detached, 1, __ATOMIC_RELEASE);
    emu_loop_unwatch(srv, q->kick_fd);
    close(q->kick_fd);
    q->kick_fd = -1;    /* an event still in hand must not read a reused fd */
    munmap(q->map, q->size);
    emu_loop_defer_free(srv, q);
}

void
emu_shmq_release_all(struct emu_client *c)
{
    while (c->queues != NULL)
        emu_shmq_free(c->srv, c->queues);
}

void
emu_shmq_release_reps(struct emu_server *srv, uint16_t first)
{
    for (uint32_t v = first; v < srv->nvports; v++)
        for (uint16_t q = 0; q < srv->max_queues; q++) {
            struct emu_shmq *s = srv->rep[(size_t)v * srv->max_queues + q];

            if (s != NULL)
                emu_shmq_free(srv, s);
        }
}

static int
emu_shmq_map(struct emu_shmq *q, int *memfd)
{
    size_t ring = emu_ring_size(q->depth);
    size_t rx_off = 0, tx_off = 0, size = FW_PKTQ_HDR_SIZE;
    int fd, err;

    if (q->flags & FW_QUEUE_F_RX) {
        rx_off = size;
        size += ring;
    }
    if (q->flags & FW_QUEUE_F_TX) {
        tx_off = size;
        size += ring;
    }
    size = (size + 4095u) & ~(size_t)4095u;

    fd = memfd_create("snic-pktq", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
        goto fail_close;
    q->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (q->map == MAP_FAILED)
        goto fail_close;
    q->size = size;
    q->hdr = (struct fw_pktq *)q->map;
    q->hdr->magic = FW_ABI_MAGIC;
    q->hdr->depth = q->depth;
    q->hdr->rx_offset = (uint32_t)rx_off;
    q->hdr->tx_offset = (uint32_t)tx_off;
    q->hdr->vport = q->vport;
    q->hdr->queue = q->queue;
    q->hdr->flags = q->flags;
    if (rx_off != 0) {
        q->rx_desc = (struct fw_pkt_desc *)(q->map + rx_off);
        q->rx_bufs = q->map + rx_off + (size_t)q->depth * sizeof(struct fw_pkt_desc);
    }
    if (tx_off != 0) {
        q->tx_desc = (struct fw_pkt_desc *)(q->map + tx_off);
        q->tx_bufs = q->map + tx_off + (size_t)q->depth * sizeof(struct fw_pkt_desc);
    }
    *memfd = fd;
    return 0;

fail_close:
    err = errno;
    close(fd);
    return -err;
}

uint8_t
emu_shmq_attach(struct emu_client *c, const struct fw_queue_attach *a,
                uint32_t *syndrome, int fds[2], uint32_t *size)
{
    struct emu_server *srv = c->srv;
    struct emu_shmq *q, **slot;
    uint16_t vport;
    bool rep;
    uint8_t st;

    *syndrome = 0;
    if (c->function == FW_FUNC_PF) {
        vport = a->vport;
        rep = true;
    } else if (c->function == FW_FUNC_UPLINK) {
        vport = FW_VPORT_UPLINK;
        rep = false;
    } else {
        vport = FW_VPORT_VF(c->function);
        rep = false;
    }
    st = emu_dev_check_queue_attach(srv->dev, c->function, vport, a->queue,
                                    a->depth, syndrome);
    if (st != FW_STATUS_OK)
        return st;
    /* The device model has judged the request; these guard our own memory
     * whatever its caps say. */
    slot = emu_shmq_slot(srv, rep, vport, a->queue);
    if (slot == NULL) {
        *syndrome = FW_SYND(FW_SYND_VPORT, 0, vport);
        return FW_STATUS_BAD_PARAM;
    }
    if (a->depth == 0 || (a->depth & (a->depth - 1)) != 0 ||
        a->depth > EMU_SHMQ_MAX_DEPTH) {
        *syndrome = FW_SYND(FW_SYND_VALUE, 0, 0);
        return FW_STATUS_BAD_PARAM;
    }
    if (a->flags == 0 ||
        (a->flags & ~(uint32_t)(FW_QUEUE_F_RX | FW_QUEUE_F_TX)) != 0) {
        *syndrome = FW_SYND(FW_SYND_RSVD, 0, 0);
        return FW_STATUS_BAD_PARAM;
    }

    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return FW_STATUS_INTERNAL;
    q->owner = c;
    q->vport = vport;
    q->queue = a->queue;
    q->rep = rep;
    q->depth = a->depth;
    q->mask = a->depth - 1;
    q->flags = a->flags;
    q->w_kick.kind = EMU_W_KICK;
    q->w_kick.obj = q;
    q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (q->kick_fd < 0)
        goto free_q;
    if (emu_shmq_map(q, &fds[0]) < 0)
        goto close_kick;
    if (emu_loop_watch(srv, q->kick_fd, &q->w_kick, EPOLLIN) < 0)
        goto unmap;
    /* until the loop decides otherwise, a sleeping device needs a kick */
    q->hdr->tx_need_kick = srv->busy ? 0 : 1;

    if (*slot != NULL)
        emu_shmq_free(srv, *slot);
    *slot = q;
    q->next_owned = c->queues;
    c->queues = q;
    if (!rep)
        emu_attach_update(srv, vport);
    fds[1] = q->kick_fd;
    *size = (uint32_t)q->size;
    return FW_STATUS_OK;

unmap:
    close(fds[0]);
    munmap(q->map, q->size);
close_kick:
    close(q->kick_fd);
free_q:
    free(q);
    return FW_STATUS_INTERNAL;
}

void
emu_shmq_kicked(struct emu_shmq *q)
{
    uint64_t v;

    if (q->kick_fd >= 0 && read(q->kick_fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: already drained */
    }
}

static bool
emu_shmq_rx_put(struct emu_shmq *q, const struct emu_dest *dest,
                const uint8_t *frame, uint32_t len)
{
    uint32_t cons = __atomic_load_n(&q->hdr->rx_consumer, __ATOMIC_ACQUIRE);
    struct fw_pkt_desc *d;
    uint32_t idx;

    if (q->rx_desc == NULL || len > FW_PKT_BUF_SIZE ||
        q->rx_prod - cons >= q->depth)
        return false;
    idx = q->rx_prod & q->mask;
    memcpy(q->rx_bufs + (size_t)idx * FW_PKT_BUF_SIZE, frame, len);
    d = &q->rx_desc[idx];
    d->len = len;
    d->mark = dest->has_mark ? dest->mark : 0;
    d->flags = (uint16_t)((dest->has_mark ? FW_PKT_F_MARK : 0) |
                          (dest->has_hash ? FW_PKT_F_RSS : 0));
    d->src_vport = dest->src_vport;
    d->rss_hash = dest->has_hash ? dest->hash : 0;
    /* one spare word: a hash that chose the queue keeps it (ABI 1.9) */
    if (!dest->has_hash && dest->meta != 0) {
        d->flags |= FW_PKT_F_META;
        d->rss_hash = dest->meta;
    }
    q->rx_prod++;
    __atomic_store_n(&q->hdr->rx_producer, q->rx_prod, __ATOMIC_RELEASE);
    return true;
}

/* Spread a host side's rx over its queues by a per-flow hash, so one flow
 * stays in order on one queue: MACs and EtherType, plus the IPv4 addresses,
 * protocol and L4 ports when present (never the IP id or checksum). */
static uint32_t
emu_flow_hash(const uint8_t *f, uint32_t len)
{
    uint64_t h = snic_hash_bytes(f, len < 14 ? len : 14, SNIC_HASH_BASIS);

    /* each piece's hash is the next one's basis */
    if (len >= 38 && f[12] == 0x08 && f[13] == 0x00) {
        h = snic_hash_bytes(f + 23, 1, h);
        h = snic_hash_bytes(f + 26, 12, h);
    }
    return snic_hash_fold32(h);
}

int
emu_shmq_deliver(struct emu_server *srv, const struct emu_dest *dest,
                 const uint8_t *frame, uint32_t len)
{
    struct emu_shmq *cand[64];
    unsigned n = 0, q;

    if (dest->kind == EMU_DEST_REP) {
        struct emu_shmq **s = emu_shmq_slot(srv, true, dest->vport,
                                            dest->queue);

        if (s == NULL || *s == NULL || (*s)->rx_desc == NULL)
            s = emu_shmq_slot(srv, true, dest->vport, 0);
        if (s == NULL || *s == NULL)
            return -ENOENT;
        return emu_shmq_rx_put(*s, dest, frame, len) ? 1 : 0;
    }
    if (dest->kind != EMU_DEST_VPORT || dest->vport >= srv->nvports)
        return -ENOENT;
    for (q = 0; q < srv->max_queues && n < 64; q++) {
        struct emu_shmq *s = srv->host[(size_t)dest->vport * srv->max_queues + q];

        if (s != NULL && s->rx_desc != NULL)
            cand[n++] = s;
    }
    if (n == 0)
        return -ENOENT;
    q = n == 1 ? 0 : emu_flow_hash(frame, len) % n;
    return emu_shmq_rx_put(cand[q], dest, frame, len) ? 1 : 0;
}

static unsigned
emu_shmq_poll_one(struct emu_server *srv, struct emu_shmq *q, unsigned budget)
{
    _Alignas(8) uint8_t frame[FW_PKT_BUF_SIZE];
    uint32_t prod = __atomic_load_n(&q->hdr->tx_producer, __ATOMIC_ACQUIRE);
    unsigned n = 0;

    while (q->tx_cons != prod && n < budget) {
        uint32_t idx = q->tx_cons & q->mask;
        uint32_t len = q->tx_desc[idx].len;

        if (len > FW_PKT_BUF_SIZE)
            len = FW_PKT_BUF_SIZE;
        memcpy(frame, q->tx_bufs + (size_t)idx * FW_PKT_BUF_SIZE, len);
        q->tx_cons++;
        n++;
        /* release the buffer before processing: the copy is ours */
        __atomic_store_n(&q->hdr->tx_consumer, q->tx_cons, __ATOMIC_RELEASE);
        if (q->rep)
            emu_dev_rep_input(srv->dev, q->vport, frame, len);
        else
            emu_dev_input(srv->dev, q->vport, frame, len);
        if (q->owner->closing)
            break;
    }
    return n;
}

unsigned
emu_shmq_poll_tx(struct emu_server *srv, unsigned budget)
{
    struct emu_client *c;
    unsigned n = 0;

    for (c = srv->clients; c != NULL; c = c->next) {
        struct emu_shmq *q;

        if (c->closing)
            continue;
        for (q = c->queues; q != NULL; q = q->next_owned)
            if (q->tx_desc != NULL)
                n += emu_shmq_poll_one(srv, q, budget);
    }
    return n;
}

bool
emu_shmq_set_need_kick(struct emu_server *srv, bool arm)
{
    struct emu_client *c;
    bool pending = false;

    for (c = srv->clients; c != NULL; c = c->next) {
        struct emu_shmq *q;

        for (q = c->queues; q != NULL; q = q->next_owned) {
            if (q->tx_desc == NULL)
                continue;
            __atomic_store_n(&q->hdr->tx_need_kick, arm ? 1 : 0,
                             __ATOMIC_RELAXED);
        }
    }
    if (!arm)
        return false;
    /* store need_kick, full fence, then look at the producers */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (c = srv->clients; c != NULL; c = c->next) {
        struct emu_shmq *q;

        for (q = c->queues; q != NULL; q = q->next_owned)
            if (q->tx_desc != NULL &&
                __atomic_load_n(&q->hdr->tx_producer, __ATOMIC_ACQUIRE) !=
                    q->tx_cons)
                pending = true;
    }
    return pending;
}
