/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device side of a client's command region: the memfd, and the command
 * processor that takes slots, runs them through the device model and posts
 * completions.
 *
 * The region is shared with a driver that may be hostile. Everything read
 * from it is read once into private memory before it is believed (the driver
 * could rewrite a slot while we look at it), sizes are clamped to the slot,
 * and the memfd is sealed against shrinking so the driver cannot make our
 * mapping fault under us.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "emu_server_int.h"

/* Publish completions at least this often inside a long batch, so a driver
 * reaping concurrently can refill slots while we work on the rest. */
#define EMU_PUBLISH_EVERY   64u

static inline uint32_t
emu_load_acq(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void
emu_store_rel(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static size_t
emu_page_round(size_t n)
{
    return (n + 4095u) & ~(size_t)4095u;
}

int
emu_region_create(struct emu_client *c, uint32_t depth, int *memfd)
{
    size_t cmdq_off = FW_REGION_HDR_SIZE;
    size_t cq_off = cmdq_off + (size_t)depth * FW_SLOT_SIZE;
    size_t size = emu_page_round(cq_off + (size_t)depth * sizeof(struct fw_cqe));
    struct fw_region *r;
    int fd, err;

    fd = memfd_create("snic-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) < 0)
        goto fail_close;
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
        goto fail_close;
    c->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (c->map == MAP_FAILED)
        goto fail_close;

    c->map_size = size;
    c->reg = r = (struct fw_region *)c->map;
    c->slots = c->map + cmdq_off;
    c->cq = (struct fw_cqe *)(c->map + cq_off);
    c->depth = depth;
    c->mask = depth - 1;
    c->cmd_cons = 0;
    c->cq_prod = 0;

    r->magic = FW_ABI_MAGIC;
    r->abi_major = FW_ABI_MAJOR;
    r->abi_minor = c->abi_minor;        /* negotiated at hello */
    r->size = (uint32_t)size;
    r->cmdq_offset = (uint32_t)cmdq_off;
    r->cmdq_depth = depth;
    r->cq_offset = (uint32_t)cq_off;
    r->cq_depth = depth;
    r->function = c->function;
    emu_region_mirror(c, emu_dev_health(c->srv->dev),
                      emu_dev_reset_generation(c->srv->dev));
    emu_region_mirror_sriov(c, c->srv->dev);
    *memfd = fd;
    return 0;

fail_close:
    err = errno;
    close(fd);
    return -err;
}

void
emu_region_destroy(struct emu_client *c)
{
    if (c->map != NULL)
        munmap(c->map, c->map_size);
    c->map = NULL;
    c->reg = NULL;
}

/* The device's own record (poll_shown) decides, never the value in the
 * region: a driver may overwrite the line, which only silences its own
 * doorbell (its commands then wait for the device's next poll or time
 * out), and must not make us skip or repeat a store for anyone else. */
void
emu_region_show_polling(struct emu_client *c, bool polling)
{
    if (c->reg == NULL || !c->ready || c->closing || c->abi_minor < 12 ||
        c->poll_shown == polling)
        return;
    __atomic_store_n(&c->reg->cmdq_polling, polling ? 1u : 0u,
                     __ATOMIC_RELAXED);
    c->poll_shown = polling;
}

void
emu_region_mirror(struct emu_client *c, uint32_t health, uint32_t reset_gen)
{
    if (c->reg == NULL)
        return;
    /* Only store on change: these lines are read by the driver at will, and
     * rewriting them every batch would bounce the cache line for nothing. */
    if (c->reg->health != health)
        emu_store_rel(&c->reg->health, health);
    if (c->reg->reset_generation != reset_gen)
        emu_store_rel(&c->reg->reset_generation, reset_gen);
}

/* Only on change, like the health: the seqlock write makes every reader
 * of this region retry, so it is done once per new generation. */
void
emu_region_mirror_sriov(struct emu_client *c, const struct emu_dev *dev)
{
    if (c->reg == NULL ||
        __atomic_load_n(&c->reg->sriov_generation, __ATOMIC_RELAXED) ==
        emu_dev_sriov_generation(dev))
        return;
    emu_dev_publish_sriov(dev, c->reg);
}

static void
emu_region_publish(struct emu_client *c)
{
    uint64_t one = 1;

    emu_store_rel(&c->reg->cmdq_consumer, c->cmd_cons);
    emu_store_rel(&c->reg->cq_producer, c->cq_prod);
    /* Mirror of the driver's arm-then-recheck: store the producer, then
     * look at cq_armed, with a full fence between. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->reg->cq_armed, __ATOMIC_RELAXED)) {
        __atomic_store_n(&c->reg->cq_armed, 0, __ATOMIC_RELAXED);
        if (write(c->cq_fd, &one, sizeof(one)) < 0) {
            /* EAGAIN: counter saturated, the driver is woken anyway */
        }
    }
}

static void
emu_delay_us(uint32_t us)
{
    struct timespec ts = {
        .tv_sec = us / 1000000u,
        .tv_nsec = (long)(us % 1000000u) * 1000,
    };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* How many commands ahead of the one running the device is told of a
 * command (emu_dev_prefetch): far enough for a miss to DRAM, near enough
 * for what it loaded to stay in the cache. */
#define EMU_PREFETCH_FAR    8u
#define EMU_PREFETCH_NEAR   3u

/* Run one slot. Returns false when the command produced no completion. */
static bool
emu_region_exec_slot(struct emu_client *c, uint32_t slot)
{
    /* private copies: the driver cannot change what we validated */
    _Alignas(8) uint8_t in[FW_SLOT_IN_MAX];
    _Alignas(8) uint8_t out[FW_SLOT_OUT_MAX];
    uint8_t *s = c->slots + (size_t)slot * FW_SLOT_SIZE;
    struct fw_cmd_hdr hdr;
    struct fw_out_hdr *oh = (struct fw_out_hdr *)out;
    struct fw_cqe *cqe;
    uint32_t in_size, out_size, delay;
    unsigned flags;

    memcpy(&hdr, s, sizeof(hdr));
    in_size = hdr.in_size > FW_SLOT_IN_MAX ? FW_SLOT_IN_MAX : hdr.in_size;
    memcpy(in, &hdr, sizeof(hdr));
    if (in_size > sizeof(hdr))
        memcpy(in + sizeof(hdr), s + sizeof(hdr), in_size - sizeof(hdr));

    memset(oh, 0, sizeof(*oh));
    flags = emu_dev_exec(c->srv->dev, c->function, in, in_size, out);
    emu_region_mirror_all(c->srv);
    delay = emu_dev_cmd_delay_us(c->srv->dev, hdr.opcode);
    if (delay > 0)
        emu_delay_us(delay);

    out_size = oh->out_size;
    if (out_size < sizeof(*oh))
        out_size = sizeof(*oh);
    if (out_size > FW_SLOT_OUT_MAX)
        out_size = FW_SLOT_OUT_MAX;
    oh->out_size = out_size;
    oh->token = hdr.token;
    memcpy(s + FW_SLOT_IN_MAX, out, out_size);

    if (flags & EMU_EXEC_NO_COMPLETION)
        return false;
    cqe = &c->cq[c->cq_prod & c->mask];
    cqe->token = (flags & EMU_EXEC_GARBAGE_TOKEN) ? ~hdr.token : hdr.token;
    cqe->slot = slot;
    cqe->status = oh->status;
    memset(cqe->rsvd, 0, sizeof(cqe->rsvd));
    cqe->syndrome = oh->syndrome;
    c->cq_prod++;
    return true;
}

/*
 * Take up to @budget posted commands. A driver that claims more posted
 * slots than exist only gets stale slots re-run, bounded by @budget, and a
 * driver that does not consume completions stalls only itself.
 */
unsigned
emu_region_process(struct emu_client *c, unsigned budget)
{
    uint32_t prod;
    unsigned n = 0;

    if (!c->ready || c->closing)
        return 0;
    prod = emu_load_acq(&c->reg->cmdq_producer);
    while (c->cmd_cons != prod && n < budget) {
        uint32_t cq_used = c->cq_prod -
                           emu_load_acq(&c->reg->cq_consumer);

        if (cq_used >= c->depth)
            break;
        /* the driver wrote the next slot from another core: start pulling
         * its lines over while this one runs */
        if (c->cmd_cons + 1 != prod) {
            const uint8_t *next = c->slots +
                (size_t)((c->cmd_cons + 1) & c->mask) * FW_SLOT_SIZE;

            for (unsigned l = 0; l < 4; l++)
                __builtin_prefetch(next + l * FW_CACHE_LINE, 0, 3);
        }
        /* and let the device start on what the commands further on will
         * touch (a posted slot does not change until its completion) */
        for (unsigned st = 0; st < 2; st++) {
            uint32_t ahead = st == 0 ? EMU_PREFETCH_FAR : EMU_PREFETCH_NEAR;

            if (prod - c->cmd_cons > ahead)
                emu_dev_prefetch(c->srv->dev, c->function, c->slots +
                                 (size_t)((c->cmd_cons + ahead) & c->mask) *
                                 FW_SLOT_SIZE, FW_SLOT_IN_MAX, st);
        }
        emu_region_exec_slot(c, c->cmd_cons & c->mask);
        c->cmd_cons++;
        n++;
        if (n % EMU_PUBLISH_EVERY == 0)
            emu_region_publish(c);
        /* a command may have closed this client (SR-IOV disable of a VF
         * issuing it cannot happen, but a reset callback might) */
        if (c->closing)
            return n;
    }
    if (n % EMU_PUBLISH_EVERY != 0)
        emu_region_publish(c);
    return n;
}

/* Called after every command, before its completion is published: a driver
 * that reaps the completion of the command that changed the health must
 * already read the new value in its region. */
void
emu_region_mirror_all(struct emu_server *srv)
{
    uint32_t health = emu_dev_health(srv->dev);
    uint32_t gen = emu_dev_reset_generation(srv->dev);
    uint32_t sriov = emu_dev_sriov_generation(srv->dev);
    struct emu_client *c;

    if (health == srv->mirrored_health && gen == srv->mirrored_gen &&
        sriov == srv->mirrored_sriov)
        return;
    for (c = srv->clients; c != NULL; c = c->next) {
        emu_region_mirror(c, health, gen);
        emu_region_mirror_sriov(c, srv->dev);
    }
    srv->mirrored_health = health;
    srv->mirrored_gen = gen;
    srv->mirrored_sriov = sriov;
}
