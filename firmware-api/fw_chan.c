/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver side of the command transport (see fw_abi.h's transport paragraph
 * and fw_chan.h). One channel = one connection to one function socket, one
 * shared region with depth command slots and a completion queue.
 *
 * Slots are used in ring order: slot = posted index & (depth - 1). A slot is
 * free again only once its completion has been reaped, so a device that
 * swallows a command pins that slot and fw_chan_space() shrinks until the
 * channel times out. "tail" is the oldest slot still owned by the device.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fw_chan_priv.h"
#include "fw_sock.h"
#include "snic_clock.h"

/*
 * Waiting for a completion: spin on cq_producer a bounded time, then arm
 * cq_armed and sleep on the completion eventfd. A device that polls (on
 * another core) answers a command in microseconds, far less than the
 * system calls and two wake-ups of a sleep; a device that is asleep or
 * off its CPU (a loaded machine) is not hurried by our spinning, which
 * then only takes a CPU someone else could use. So the bound adapts: a
 * spin that ends in a completion doubles it (up to FW_CHAN_SPIN_MAX_NS),
 * one that ends in a sleep halves it (down to FW_CHAN_SPIN_MIN_NS). With
 * the device off its CPU, or waiting for ours (2 cores, other load),
 * spins keep failing and the driver soon sleeps at once: the sleep is how
 * it yields, and the wake-up it gets is a scheduler's favour that a
 * sched_yield (a system call, and a time slice lost under load) is not.
 */
#define FW_CHAN_SPIN_MAX_NS 30000
#define FW_CHAN_SPIN_MIN_NS 2000
#define FW_CHAN_CLOCK_SPINS 32  /* looks at the cq per look at the clock */

struct fw_pending {
    void *out;
    void *cookie;
    uint32_t out_size;
    uint32_t token;
    uint16_t opcode;
    bool busy;
};

struct fw_chan {
    int sock;
    int db_fd;              /* doorbell: we write */
    int cq_fd;              /* completion: device writes when cq_armed */
    uint8_t *map;
    size_t map_size;
    struct fw_region *reg;
    uint8_t *slots;
    struct fw_cqe *cq;
    uint32_t depth;
    uint32_t mask;
    uint32_t producer;      /* posted (local; published at doorbell) */
    uint32_t published;     /* last value stored to cmdq_producer */
    uint32_t tail;          /* oldest posted slot not yet reaped */
    uint32_t cq_cons;
    uint32_t next_token;
    unsigned inflight;
    uint32_t spin_ns;       /* current spin bound, adaptive */
    uint16_t function;
    uint16_t abi_minor;
    bool dead;
    struct fw_chan_stats stats;
    int pending_err;        /* error to report on the next reap */
    struct fw_pending *pend;
};

static inline uint32_t
fw_load_acq(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void
fw_store_rel(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void
fw_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void
fw_chan_mark_dead(struct fw_chan *chan)
{
    chan->dead = true;
}

static int
fw_chan_connect(const char *path, int timeout_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int64_t deadline = snic_now_ms() + timeout_ms;
    int sock;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sock < 0)
        return -errno;
    /* A Unix connect never goes "in progress": it succeeds, fails, or says
     * EAGAIN while the device's backlog is full, which is worth retrying. */
    for (;;) {
        if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return sock;
        if (errno != EAGAIN && errno != EINTR)
            break;
        if (snic_now_ms() >= deadline) {
            errno = ETIMEDOUT;
            break;
        }
        usleep(1000);
    }
    int err = errno;
    close(sock);
    return -err;
}

static int
fw_chan_hello(struct fw_chan *chan, int timeout_ms, int fds[3],
              uint32_t *region_size)
{
    struct fw_hello hello = {
        .abi_major = FW_ABI_MAJOR,
        .abi_minor = FW_ABI_MINOR,
    };
    struct fw_hello_reply rep;
    unsigned nfds = 0;
    ssize_t n;
    int r;

    fw_sock_hdr(&hello.hdr, FW_MSG_HELLO, sizeof(hello));
    r = fw_sock_send(chan->sock, &hello, sizeof(hello), NULL, 0);
    if (r < 0)
        return r;
    r = fw_sock_wait(chan->sock, POLLIN, timeout_ms);
    if (r < 0)
        return r;
    if (r == 0)
        return -ETIMEDOUT;
    n = fw_sock_recv(chan->sock, &rep, sizeof(rep), fds, 3, &nfds, 0);
    if (n < 0)
        return (int)n;
    if (n == 0)
        return -ECONNRESET;
    if ((size_t)n < sizeof(rep) || rep.hdr.magic != FW_ABI_MAGIC ||
        rep.hdr.type != FW_MSG_HELLO_REPLY || rep.abi_major != FW_ABI_MAJOR) {
        r = -EPROTO;
        goto close_fds;
    }
    if (rep.status != FW_STATUS_OK) {
        r = rep.status == FW_STATUS_NOT_SUPPORTED ? -EPROTO
                                                  : -fw_status_errno(rep.status);
        goto close_fds;
    }
    if (nfds != 3) {
        r = -EPROTO;
        goto close_fds;
    }
    chan->function = rep.function;
    chan->abi_minor = rep.abi_minor;
    *region_size = rep.region_size;
    return 0;

close_fds:
    while (nfds > 0)
        close(fds[--nfds]);
    return r;
}

/* The device is trusted to be a device, not to be bug-free: check that the
 * region it described stays inside what it mapped before touching it. */
static int
fw_chan_check_region(struct fw_chan *chan)
{
    const struct fw_region *r = chan->reg;
    uint64_t depth = r->cmdq_depth;

    if (r->magic != FW_ABI_MAGIC || r->abi_major != FW_ABI_MAJOR)
        return -EPROTO;
    if (depth == 0 || (depth & (depth - 1)) != 0 || r->cq_depth != depth)
        return -EPROTO;
    if (r->cmdq_offset < FW_REGION_HDR_SIZE || r->cq_offset < FW_REGION_HDR_SIZE)
        return -EPROTO;
    if (r->cmdq_offset + depth * FW_SLOT_SIZE > chan->map_size ||
        r->cq_offset + depth * sizeof(struct fw_cqe) > chan->map_size)
        return -EPROTO;
    if ((r->cq_offset % sizeof(struct fw_cqe)) != 0 ||
        (r->cmdq_offset % FW_CACHE_LINE) != 0)
        return -EPROTO;
    chan->depth = (uint32_t)depth;
    chan->mask = (uint32_t)depth - 1;
    chan->slots = chan->map + r->cmdq_offset;
    chan->cq = (struct fw_cqe *)(chan->map + r->cq_offset);
    return 0;
}

struct fw_chan *
fw_chan_open(const char *path, int timeout_ms)
{
    struct fw_chan *chan;
    uint32_t region_size = 0;
    struct stat st;
    int fds[3];
    int r;

    if (path == NULL) {
        errno = EINVAL;
        return NULL;
    }
    if (timeout_ms <= 0)
        timeout_ms = 1;
    chan = calloc(1, sizeof(*chan));
    if (chan == NULL)
        return NULL;
    chan->next_token = 1;
    chan->spin_ns = FW_CHAN_SPIN_MAX_NS;

    r = fw_chan_connect(path, timeout_ms);
    if (r < 0)
        goto free_chan;
    chan->sock = r;

    r = fw_chan_hello(chan, timeout_ms, fds, &region_size);
    if (r < 0)
        goto close_sock;
    chan->db_fd = fds[1];
    chan->cq_fd = fds[2];

    if (fstat(fds[0], &st) < 0) {
        r = -errno;
        goto close_fds;
    }
    if (region_size < FW_REGION_HDR_SIZE || (off_t)region_size > st.st_size) {
        r = -EPROTO;
        goto close_fds;
    }
    chan->map_size = region_size;
    chan->map = mmap(NULL, region_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                     fds[0], 0);
    if (chan->map == MAP_FAILED) {
        r = -errno;
        goto close_fds;
    }
    close(fds[0]);
    fds[0] = -1;
    chan->reg = (struct fw_region *)chan->map;
    r = fw_chan_check_region(chan);
    if (r < 0)
        goto unmap;

    chan->pend = calloc(chan->depth, sizeof(*chan->pend));
    if (chan->pend == NULL) {
        r = -ENOMEM;
        goto unmap;
    }
    chan->producer = fw_load_acq(&chan->reg->cmdq_producer);
    chan->published = chan->producer;
    chan->tail = chan->producer;
    chan->cq_cons = fw_load_acq(&chan->reg->cq_consumer);
    return chan;

unmap:
    munmap(chan->map, chan->map_size);
close_fds:
    if (fds[0] >= 0)
        close(fds[0]);
    close(fds[1]);
    close(fds[2]);
close_sock:
    close(chan->sock);
free_chan:
    free(chan);
    errno = -r;
    return NULL;
}

void
fw_chan_close(struct fw_chan *chan)
{
    if (chan == NULL)
        return;
    free(chan->pend);
    munmap(chan->map, chan->map_size);
    close(chan->cq_fd);
    close(chan->db_fd);
    close(chan->sock);
    free(chan);
}

uint16_t
fw_chan_function(const struct fw_chan *chan)
{
    return chan->function;
}

uint16_t
fw_chan_abi_minor(const struct fw_chan *chan)
{
    return chan->abi_minor;
}

unsigned
fw_chan_depth(const struct fw_chan *chan)
{
    return chan->depth;
}

bool
fw_chan_dead(const struct fw_chan *chan)
{
    return chan->dead;
}

int
fw_chan_fd(const struct fw_chan *chan)
{
    return chan->sock;
}

uint32_t
fw_chan_health(const struct fw_chan *chan)
{
    return fw_load_acq(&chan->reg->health);
}

uint32_t
fw_chan_reset_generation(const struct fw_chan *chan)
{
    return fw_load_acq(&chan->reg->reset_generation);
}

/* How long fw_chan_sriov_view waits for the device to finish a write of
 * the view: far longer than a write takes, but a device process may be
 * descheduled in the middle of one. */
#define FW_CHAN_SRIOV_SPINS     64u
#define FW_CHAN_SRIOV_WAIT_MS   100

/* A seqlock read (fw_abi.h, struct fw_region): sriov_generation is odd
 * while the device writes the view. A copy counts only when the same even
 * value was read before it and, after an acquire fence, after it: then no
 * datum of it comes from another write. The device writes rarely, so a
 * retry is rare; the bound guards against a device that dies mid-write or
 * is hostile. */
int
fw_chan_sriov_view(const struct fw_chan *chan, uint32_t *generation,
                   uint16_t *num_vfs, uint32_t *vf_gen, unsigned n_vf_gen)
{
    const struct fw_region *r = chan->reg;
    int64_t deadline = 0;

    if (chan->abi_minor < 2)
        return -ENOTSUP;
    if (n_vf_gen > FW_REGION_VF_SLOTS)
        n_vf_gen = FW_REGION_VF_SLOTS;
    for (unsigned tries = 0;; tries++) {
        uint32_t g0 = fw_load_acq(&r->sriov_generation), g1;
        uint16_t n;

        if ((g0 & 1u) == 0) {
            n = __atomic_load_n(&r->num_vfs, __ATOMIC_RELAXED);
            for (unsigned i = 0; vf_gen != NULL && i < n_vf_gen; i++)
                vf_gen[i] = __atomic_load_n(&r->vf_generation[i],
                                            __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            g1 = __atomic_load_n(&r->sriov_generation, __ATOMIC_RELAXED);
            if (g0 == g1) {
                *num_vfs = n;
                *generation = g0;
                return 0;
            }
        }
        if (tries < FW_CHAN_SRIOV_SPINS)
            continue;
        /* the writer may be off the CPU: let it run, within a bound */
        if (deadline == 0)
            deadline = snic_now_ms() + FW_CHAN_SRIOV_WAIT_MS;
        else if (snic_now_ms() >= deadline)
            return -EAGAIN;
        sched_yield();
    }
}

void
fw_chan_get_stats(const struct fw_chan *chan, struct fw_chan_stats *stats)
{
    *stats = chan->stats;
}

unsigned
fw_chan_space(const struct fw_chan *chan)
{
    return chan->depth - (chan->producer - chan->tail);
}

unsigned
fw_chan_inflight(const struct fw_chan *chan)
{
    return chan->inflight;
}

int
fw_chan_post(struct fw_chan *chan, uint16_t opcode, void *in,
             size_t in_size, void *out, size_t out_size, void *cookie)
{
    struct fw_cmd_hdr *hdr;
    struct fw_pending *p;
    uint32_t slot;

    if (chan->dead)
        return -EPIPE;
    if (in == NULL || in_size < sizeof(struct fw_cmd_hdr) ||
        in_size > FW_SLOT_IN_MAX || out_size > FW_SLOT_OUT_MAX ||
        (out == NULL && out_size != 0))
        return -EINVAL;
    if (chan->producer - chan->tail >= chan->depth)
        return -ENOSPC;

    slot = chan->producer & chan->mask;
    p = &chan->pend[slot];
    hdr = (struct fw_cmd_hdr *)(chan->slots + (size_t)slot * FW_SLOT_SIZE);
    memcpy(hdr, in, in_size);
    hdr->opcode = opcode;
    hdr->op_mod = ((const struct fw_cmd_hdr *)in)->op_mod;
    hdr->in_size = (uint32_t)in_size;
    /* A caller without an output buffer does not care what comes back:
     * accept the whole slot so the device never refuses the command for
     * it. A caller with a buffer is held to its size, so a too-small one is
     * refused (BAD_OUTPUT_LEN) rather than silently truncated. */
    hdr->out_size = out == NULL ? FW_SLOT_OUT_MAX : (uint32_t)out_size;
    hdr->token = chan->next_token++;

    p->out = out;
    p->out_size = (uint32_t)out_size;
    p->cookie = cookie;
    p->token = hdr->token;
    p->opcode = opcode;
    p->busy = true;
    chan->producer++;
    chan->inflight++;
    return 0;
}

int
fw_chan_doorbell(struct fw_chan *chan)
{
    uint64_t one = 1;

    if (chan->dead)
        return -EPIPE;
    if (chan->producer == chan->published)
        return 0;
    fw_store_rel(&chan->reg->cmdq_producer, chan->producer);
    chan->published = chan->producer;
    /* ABI 1.12: store the producer, full fence, look at cmdq_polling; the
     * device clears it, fences and looks at the producer before it
     * sleeps, so either it sees ours or we see it cleared. */
    if (chan->abi_minor >= 12) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&chan->reg->cmdq_polling, __ATOMIC_RELAXED)) {
            chan->stats.doorbells_skipped++;
            return 0;
        }
    }
    chan->stats.doorbells++;
    /* EAGAIN means the counter is saturated: the device is woken anyway. */
    if (write(chan->db_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

static int
fw_chan_fail(struct fw_chan *chan, int err)
{
    chan->dead = true;
    return err;
}

/* Take what the cq holds now, without waiting. */
static int
fw_chan_reap_ready(struct fw_chan *chan, struct fw_completion *cmpl,
                   unsigned max)
{
    uint32_t prod = fw_load_acq(&chan->reg->cq_producer);
    unsigned n = 0;
    int err = 0;

    while (chan->cq_cons != prod && n < max) {
        struct fw_cqe cqe = chan->cq[chan->cq_cons & chan->mask];
        const struct fw_out_hdr *oh;
        struct fw_pending *p;
        uint32_t osz;

        if (cqe.slot >= chan->depth || !chan->pend[cqe.slot].busy ||
            chan->pend[cqe.slot].token != cqe.token) {
            err = -EPROTO;
            break;
        }
        p = &chan->pend[cqe.slot];
        oh = (const struct fw_out_hdr *)(chan->slots +
                                         (size_t)cqe.slot * FW_SLOT_SIZE +
                                         FW_SLOT_IN_MAX);
        osz = oh->out_size;
        if (osz > FW_SLOT_OUT_MAX)
            osz = FW_SLOT_OUT_MAX;
        if (osz > p->out_size)
            osz = p->out_size;
        if (osz > 0)
            memcpy(p->out, oh, osz);

        cmpl[n].cookie = p->cookie;
        cmpl[n].opcode = p->opcode;
        cmpl[n].status = cqe.status;
        cmpl[n].syndrome = cqe.syndrome;
        cmpl[n].out_size = osz;
        n++;
        p->busy = false;
        chan->inflight--;
        chan->cq_cons++;
    }
    while (chan->tail != chan->producer &&
           !chan->pend[chan->tail & chan->mask].busy)
        chan->tail++;
    if (n > 0)
        fw_store_rel(&chan->reg->cq_consumer, chan->cq_cons);
    if (err < 0) {
        chan->dead = true;
        if (n > 0) {
            chan->pending_err = err;
            return (int)n;
        }
        return err;
    }
    return (int)n;
}

/* Sleep until the completion eventfd fires, the socket reports the device
 * gone, or @deadline_ms passes. 1 woken, 0 timed out, <0 error. */
static int
fw_chan_sleep(struct fw_chan *chan, int64_t deadline_ms)
{
    struct pollfd pfd[2] = {
        { .fd = chan->cq_fd, .events = POLLIN },
        { .fd = chan->sock, .events = POLLIN },
    };
    int64_t left = deadline_ms - snic_now_ms();
    uint64_t v;
    int r;

    if (left <= 0)
        return 0;
    r = poll(pfd, 2, (int)left);
    if (r < 0)
        return errno == EINTR ? 1 : -errno;
    if (r == 0)
        return 0;
    if (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL))
        return -EPIPE;
    if (pfd[1].revents & POLLIN) {
        char buf[64];
        unsigned nfds;
        ssize_t n = fw_sock_recv(chan->sock, buf, sizeof(buf), NULL, 0,
                                 &nfds, MSG_DONTWAIT);

        if (n == 0 || (n < 0 && n != -EAGAIN && n != -EMSGSIZE))
            return -EPIPE;
    }
    if (pfd[0].revents & POLLIN) {
        if (read(chan->cq_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
            return -errno;
    }
    return 1;
}

int
fw_chan_reap(struct fw_chan *chan, struct fw_completion *cmpl, unsigned max,
             int timeout_ms)
{
    int64_t deadline, spin_end;
    int n, r;

    if (chan->pending_err) {
        n = chan->pending_err;
        chan->pending_err = 0;
        return n;
    }
    if (chan->dead)
        return -EPIPE;
    if (max == 0)
        return 0;
    n = fw_chan_reap_ready(chan, cmpl, max);
    if (n != 0 || timeout_ms <= 0 || chan->inflight == 0)
        return n;

    /* Waiting for commands the device was never told about would only
     * end in a false timeout. */
    r = fw_chan_doorbell(chan);
    if (r < 0)
        return fw_chan_fail(chan, r);

    /* look at the clock only every few spins: it costs more than a look
     * at the cq */
    spin_end = (int64_t)snic_now_ns() + chan->spin_ns;
    for (unsigned spins = 1;; spins++) {
        n = fw_chan_reap_ready(chan, cmpl, max);
        if (n != 0) {
            chan->stats.spins_won++;
            if (chan->spin_ns < FW_CHAN_SPIN_MAX_NS / 2)
                chan->spin_ns *= 2;
            else
                chan->spin_ns = FW_CHAN_SPIN_MAX_NS;
            return n;
        }
        fw_cpu_relax();
        if (spins % FW_CHAN_CLOCK_SPINS == 0 &&
            (int64_t)snic_now_ns() >= spin_end)
            break;
    }
    chan->stats.sleeps++;
    if (chan->spin_ns > 2 * FW_CHAN_SPIN_MIN_NS)
        chan->spin_ns /= 2;
    else
        chan->spin_ns = FW_CHAN_SPIN_MIN_NS;

    deadline = snic_now_ms() + timeout_ms;
    for (;;) {
        /* Arm, then look again: a completion posted between our last look
         * and the arm would otherwise never be signalled. */
        __atomic_store_n(&chan->reg->cq_armed, 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        n = fw_chan_reap_ready(chan, cmpl, max);
        if (n != 0)
            return n;
        r = fw_chan_sleep(chan, deadline);
        if (r < 0)
            return fw_chan_fail(chan, r);
        if (r == 0) {
            n = fw_chan_reap_ready(chan, cmpl, max);
            if (n != 0)
                return n;
            /* The slots' state is unknown now: nobody may reuse them. */
            return fw_chan_fail(chan, -ETIMEDOUT);
        }
    }
}

int
fw_chan_exec(struct fw_chan *chan, uint16_t opcode, void *in, size_t in_size,
             void *out, size_t out_size, uint8_t *status, uint32_t *syndrome,
             int timeout_ms)
{
    struct fw_completion c;
    int r;

    if (chan->dead)
        return -EPIPE;
    /* Reaping here would swallow other callers' completions. */
    if (chan->inflight != 0)
        return -EBUSY;
    r = fw_chan_post(chan, opcode, in, in_size, out, out_size, NULL);
    if (r < 0)
        return r;
    r = fw_chan_doorbell(chan);
    if (r < 0)
        return fw_chan_fail(chan, r);
    r = fw_chan_reap(chan, &c, 1, timeout_ms > 0 ? timeout_ms : 1);
    if (r < 0)
        return r;
    if (r == 0)
        return fw_chan_fail(chan, -ETIMEDOUT);
    if (status != NULL)
        *status = c.status;
    if (syndrome != NULL)
        *syndrome = c.syndrome;
    return 0;
}
