/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the driver side of the firmware ABI (libsnic_fw) facing a
 * hostile device. The harness plays the card: it answers the hello and the
 * queue attaches with replies and shared memory built from the input, then
 * writes completions, out headers, status words, the SR-IOV view and ring
 * indices from the input while the driver posts, reaps and moves frames.
 * The driver may refuse, fail or declare the device dead; it must never
 * read or write outside what it mapped, hang, or leak a descriptor.
 *
 * The device's socket side runs on a thread (the driver blocks in
 * fw_chan_open and fw_pktq_attach until it is answered); everything else
 * happens on the fuzzer's thread, in input order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REGION_MAX  (64u * 1024u)
#define PKTQ_MAX    (2u * 1024u * 1024u)

struct input {
    const uint8_t *p;
    size_t n;
};

static uint32_t
take(struct input *in, unsigned bytes)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        uint32_t b = 0;

        if (in->n > 0) {
            b = *in->p++;
            in->n--;
        }
        v |= b << (8 * i);
    }
    return v;
}

/* A shared-memory object the device hands out, and its device-side map. */
struct shm {
    int fd;
    uint8_t *map;
    size_t size;
};

static int
shm_make(struct shm *s, size_t size)
{
    s->fd = memfd_create("fuzz-dev", MFD_CLOEXEC);
    if (s->fd < 0)
        return -1;
    s->size = size;
    if (ftruncate(s->fd, (off_t)size) < 0)
        goto close_fd;
    s->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (s->map == MAP_FAILED)
        goto close_fd;
    return 0;
close_fd:
    close(s->fd);
    s->fd = -1;
    return -1;
}

static void
shm_free(struct shm *s)
{
    if (s->fd < 0)
        return;
    munmap(s->map, s->size);
    close(s->fd);
    s->fd = -1;
}

/* What the device thread answers, decided from the input beforehand. */
struct device {
    int listen_fd;
    struct shm region;
    struct fw_hello_reply hello;
    unsigned hello_fds;             /* descriptors sent with the hello */
    struct shm pktq;
    struct fw_queue_reply queue;
    unsigned queue_fds;
};

static void
send_fds(int sock, const void *msg, size_t size, const int *fds,
         unsigned nfds)
{
    char ctl[CMSG_SPACE(4 * sizeof(int))];
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = size };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct cmsghdr *c;

    if (nfds > 0) {
        memset(ctl, 0, sizeof(ctl));
        mh.msg_control = ctl;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    (void)sendmsg(sock, &mh, MSG_NOSIGNAL);
}

/* The card's socket: one hello, then queue attaches until the driver
 * hangs up. Every descriptor it sends is its own copy. */
static void *
device_thread(void *arg)
{
    struct device *d = arg;
    uint8_t msg[256];
    int sock, fds[4];

    sock = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (sock < 0)
        return NULL;
    if (recv(sock, msg, sizeof(msg), 0) > 0) {
        fds[0] = d->region.fd;
        fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        fds[2] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        fds[3] = d->region.fd;
        send_fds(sock, &d->hello, sizeof(d->hello), fds, d->hello_fds);
        close(fds[1]);
        close(fds[2]);
    }
    while (recv(sock, msg, sizeof(msg), 0) > 0) {
        fds[0] = d->pktq.fd;
        fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        fds[2] = d->pktq.fd;
        send_fds(sock, &d->queue, sizeof(d->queue), fds, d->queue_fds);
        close(fds[1]);
    }
    close(sock);
    return NULL;
}

static const char *
socket_path(int *listen_fd)
{
    static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    static int fd = -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char dir[] = "/tmp/fuzz-fw-driver.XXXXXX";

    if (fd < 0) {
        if (mkdtemp(dir) == NULL)
            abort();
        snprintf(path, sizeof(path), "%s/dev", dir);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(fd, 4) < 0)
            abort();
    }
    *listen_fd = fd;
    return path;
}

static void
fill_hello(struct device *d, struct input *in)
{
    uint8_t mode = (uint8_t)take(in, 1);
    struct fw_region *r = (struct fw_region *)d->region.map;
    uint32_t depth = 1u << (take(in, 1) % 6);

    d->hello.hdr.magic = mode & 0x80 ? take(in, 4) : FW_ABI_MAGIC;
    d->hello.hdr.type = FW_MSG_HELLO_REPLY;
    d->hello.hdr.size = sizeof(d->hello);
    d->hello.status = mode & 0x40 ? (uint8_t)take(in, 1) : FW_STATUS_OK;
    d->hello.abi_major = mode & 0x20 ? (uint16_t)take(in, 2) : FW_ABI_MAJOR;
    d->hello.abi_minor = (uint16_t)take(in, 2);
    d->hello.function = (uint16_t)take(in, 2);
    d->hello.region_size = mode & 0x10 ? take(in, 4) : REGION_MAX;
    d->hello_fds = mode & 0x08 ? take(in, 1) % 5 : 3;

    r->magic = FW_ABI_MAGIC;
    r->abi_major = FW_ABI_MAJOR;
    r->size = REGION_MAX;
    if (mode & 0x04) {          /* a layout of the input's own */
        r->cmdq_offset = take(in, 4);
        r->cmdq_depth = take(in, 4);
        r->cq_offset = take(in, 4);
        r->cq_depth = take(in, 4);
    } else {                    /* a sound layout, varied in depth */
        r->cmdq_offset = FW_REGION_HDR_SIZE;
        r->cmdq_depth = depth;
        r->cq_offset = FW_REGION_HDR_SIZE + depth * FW_SLOT_SIZE;
        r->cq_depth = depth;
    }
}

static void
fill_queue(struct device *d, struct input *in, uint32_t depth)
{
    uint8_t mode = (uint8_t)take(in, 1);
    struct fw_pktq *q = (struct fw_pktq *)d->pktq.map;
    uint32_t ring = depth * (uint32_t)(sizeof(struct fw_pkt_desc) +
                                       FW_PKT_BUF_SIZE);

    memset(d->pktq.map, 0, FW_PKTQ_HDR_SIZE);
    d->queue.hdr.magic = FW_ABI_MAGIC;
    d->queue.hdr.type = mode & 0x80 ? (uint16_t)take(in, 2)
                                    : FW_MSG_QUEUE_REPLY;
    d->queue.hdr.size = sizeof(d->queue);
    d->queue.status = mode & 0x40 ? (uint8_t)take(in, 1) : FW_STATUS_OK;
    d->queue.size = mode & 0x20 ? take(in, 4)
                                : FW_PKTQ_HDR_SIZE + 2 * ring;
    d->queue_fds = mode & 0x10 ? take(in, 1) % 4 : 2;
    q->magic = FW_ABI_MAGIC;
    q->depth = mode & 0x08 ? take(in, 4) : depth;
    q->rx_offset = mode & 0x04 ? take(in, 4) : FW_PKTQ_HDR_SIZE;
    q->tx_offset = mode & 0x02 ? take(in, 4) : FW_PKTQ_HDR_SIZE + ring;
}

/* Complete the oldest command the driver posted, or whatever the input
 * says: a token, a slot, an out_size, a producer jump. */
static void
device_complete(struct device *d, struct input *in)
{
    struct fw_region *r = (struct fw_region *)d->region.map;
    uint8_t mode = (uint8_t)take(in, 1);
    uint32_t depth = r->cq_depth, slot, prod;
    struct fw_cqe *cqe;
    struct fw_out_hdr *oh;
    const struct fw_cmd_hdr *ch;

    if (depth == 0 || (depth & (depth - 1)) != 0 ||
        (uint64_t)r->cq_offset + depth * sizeof(*cqe) > REGION_MAX ||
        (uint64_t)r->cmdq_offset + depth * FW_SLOT_SIZE > REGION_MAX)
        return;                 /* a layout the driver refused anyway */
    prod = r->cq_producer;
    slot = mode & 0x80 ? take(in, 4) : (prod & (depth - 1));
    ch = (const struct fw_cmd_hdr *)(d->region.map + r->cmdq_offset +
                                     (size_t)(slot & (depth - 1)) *
                                     FW_SLOT_SIZE);
    cqe = (struct fw_cqe *)(d->region.map + r->cq_offset) +
          (prod & (depth - 1));
    cqe->slot = slot;
    cqe->token = mode & 0x40 ? take(in, 4) : ch->token;
    cqe->status = (uint8_t)take(in, 1);
    cqe->syndrome = take(in, 4);
    oh = (struct fw_out_hdr *)((uint8_t *)ch + FW_SLOT_IN_MAX);
    oh->status = cqe->status;
    oh->out_size = mode & 0x20 ? take(in, 4) : sizeof(*oh) + take(in, 1);
    oh->token = cqe->token;
    __atomic_store_n(&r->cq_producer,
                     prod + (mode & 0x10 ? take(in, 4) : 1),
                     __ATOMIC_RELEASE);
}

static void
device_status(struct device *d, struct input *in)
{
    struct fw_region *r = (struct fw_region *)d->region.map;

    r->health = take(in, 4);
    r->reset_generation = take(in, 4);
    r->num_vfs = (uint16_t)take(in, 2);
    /* even: an odd generation makes the reader wait 100 ms, slow here
     * and already bounded by design */
    r->sriov_generation = take(in, 4) & ~1u;
    /* ABI 1.12: a device that claims to poll (or garbage) makes the
     * driver skip doorbells; its waits stay bounded by the timeout */
    __atomic_store_n(&r->cmdq_polling, take(in, 4), __ATOMIC_RELAXED);
}

static void
driver_queue(struct device *d, struct fw_chan *chan, struct input *in)
{
    uint32_t depth = 1u << (take(in, 1) % 4);
    uint32_t flags = take(in, 1) & 3u;
    struct fw_pktq_map *q;
    struct fw_pkt pkts[8];
    uint8_t *bufs[8];
    uint32_t lens[8];
    unsigned n;

    if (shm_make(&d->pktq, FW_PKTQ_HDR_SIZE + 2u * depth *
                 (sizeof(struct fw_pkt_desc) + FW_PKT_BUF_SIZE)) < 0)
        return;
    fill_queue(d, in, depth);
    q = fw_pktq_attach(chan, (uint16_t)take(in, 2), 0, depth,
                       flags ? flags : FW_QUEUE_F_RX, 200);
    if (q == NULL)
        goto free_shm;
    for (unsigned ops = take(in, 1) % 8; ops > 0; ops--) {
        struct fw_pktq *h = (struct fw_pktq *)d->pktq.map;
        uint32_t idx = take(in, 1) % depth, len = take(in, 4);
        uint16_t src_vport = (uint16_t)take(in, 2);
        uint8_t *desc;

        /* the device writes a descriptor (at whatever offset the header
         * says, aligned or not: byte copies) and moves its producer */
        if ((uint64_t)h->rx_offset + depth * sizeof(struct fw_pkt_desc) <=
            d->pktq.size) {
            desc = d->pktq.map + h->rx_offset +
                   idx * sizeof(struct fw_pkt_desc);
            memcpy(desc + offsetof(struct fw_pkt_desc, len), &len,
                   sizeof(len));
            memcpy(desc + offsetof(struct fw_pkt_desc, src_vport),
                   &src_vport, sizeof(src_vport));
        }
        __atomic_store_n(&h->rx_producer, take(in, 4), __ATOMIC_RELEASE);
        __atomic_store_n(&h->tx_consumer, take(in, 4), __ATOMIC_RELEASE);
        n = fw_pktq_rx_peek(q, pkts, 8);
        for (unsigned i = 0; i < n; i++)   /* the driver reads what it got */
            if (pkts[i].len > 0)
                (void)*(volatile const uint8_t *)&pkts[i].data[pkts[i].len
                                                               - 1];
        fw_pktq_rx_release(q, n);
        n = fw_pktq_tx_reserve(q, bufs, 8);
        for (unsigned i = 0; i < n; i++) {
            lens[i] = take(in, 2) % (FW_PKT_BUF_SIZE + 1);
            memset(bufs[i], 0xa5, lens[i]);
        }
        fw_pktq_tx_commit(q, lens, n);
        (void)fw_pktq_detached(q);
    }
    fw_pktq_detach(q);
free_shm:
    shm_free(&d->pktq);
}

static void
driver_ops(struct device *d, struct fw_chan *chan, struct input *in)
{
    struct fw_completion cmpl[8];
    uint8_t out[FW_SLOT_OUT_MAX];
    struct fw_cmd_hdr cmd;
    uint32_t gen, vf_gen[FW_REGION_VF_SLOTS];
    uint16_t num_vfs;

    while (in->n > 0) {
        switch (take(in, 1) % 6) {
        case 0:                 /* post a command */
            memset(&cmd, 0, sizeof(cmd));
            (void)fw_chan_post(chan, (uint16_t)take(in, 2), &cmd, sizeof(cmd),
                               out, take(in, 2) % (FW_SLOT_OUT_MAX + 1),
                               NULL);
            (void)fw_chan_doorbell(chan);
            break;
        case 1:
            device_complete(d, in);
            break;
        case 2:
            (void)fw_chan_reap(chan, cmpl, 1u + take(in, 1) % 8, 0);
            break;
        case 3:
            device_status(d, in);
            (void)fw_chan_health(chan);
            (void)fw_chan_reset_generation(chan);
            (void)fw_chan_sriov_view(chan, &gen, &num_vfs, vf_gen,
                                     take(in, 1));
            break;
        case 4:
            driver_queue(d, chan, in);
            break;
        case 5: {
            struct fw_chan_stats st;

            fw_chan_get_stats(chan, &st);
            (void)fw_chan_space(chan);
            (void)fw_chan_inflight(chan);
            (void)fw_chan_dead(chan);
            break;
        }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { .p = data, .n = size };
    struct device d = { .pktq.fd = -1 };
    struct fw_chan *chan;
    const char *path = socket_path(&d.listen_fd);
    pthread_t th;

    if (shm_make(&d.region, REGION_MAX) < 0)
        return 0;
    fill_hello(&d, &in);
    if (pthread_create(&th, NULL, device_thread, &d) != 0)
        goto free_region;
    /* the driver connects even when it then refuses the hello, so the
     * device thread always has a peer, and sees it hang up */
    chan = fw_chan_open(path, 200);
    if (chan != NULL) {
        driver_ops(&d, chan, &in);
        fw_chan_close(chan);
    }
    pthread_join(th, NULL);
free_region:
    shm_free(&d.region);
    return 0;
}
