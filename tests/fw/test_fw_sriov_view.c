/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SR-IOV view of the region (ABI 1.2) is a seqlock: the driver's
 * reader, fw_chan_sriov_view(), against the device's writer,
 * emu_dev_publish_sriov(), hammering the view from another thread.
 *
 * A fake device hands fw_chan_open() a region it keeps mapped itself; a
 * device model (emu_dev) toggles between 1 and 256 VFs in place and
 * publishes every state into that region, with no pause. Every snapshot
 * the reader accepts must be one state the device published: an even
 * generation, the num_vfs of that generation, and every vf_generation[]
 * entry of that same generation. A copy that mixes two writes (new num_vfs
 * with stale vf_generation[], or the data of a write in progress) fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../firmware-api/fw_sock.h"
#include "emu_dev.h"
#include "snic_clock.h"
#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

#define DEPTH       64u
#define NVF         FW_REGION_VF_SLOTS
#define RUN_MS      400

struct fake {
    char dir[48];
    char path[80];
    int ls;
    int s;                      /* the accepted connection */
    size_t size;
    struct fw_region *reg;      /* the device's own mapping */
    int rc;                     /* of the device's handshake */
};

static size_t
region_size(void)
{
    size_t n = FW_REGION_HDR_SIZE + (size_t)DEPTH * FW_SLOT_SIZE +
               (size_t)DEPTH * sizeof(struct fw_cqe);

    return (n + 4095u) & ~(size_t)4095u;
}

/* One hello, answered with a region this side keeps mapped. */
static void *
fake_accept(void *arg)
{
    struct fake *f = arg;
    struct fw_hello h;
    struct fw_hello_reply rep;
    unsigned nfds = 0;
    int s, fds[3] = { -1, -1, -1 };

    f->rc = -1;
    f->s = s = accept(f->ls, NULL, NULL);
    if (s < 0 || fw_sock_recv(s, &h, sizeof(h), NULL, 0, &nfds, 0) <= 0)
        return NULL;
    fds[0] = memfd_create("fake-region", MFD_CLOEXEC);
    fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    fds[2] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    f->size = region_size();
    if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 ||
        ftruncate(fds[0], (off_t)f->size) < 0)
        return NULL;
    f->reg = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0],
                  0);
    if (f->reg == MAP_FAILED) {
        f->reg = NULL;
        return NULL;
    }
    f->reg->magic = FW_ABI_MAGIC;
    f->reg->abi_major = FW_ABI_MAJOR;
    f->reg->abi_minor = FW_ABI_MINOR;
    f->reg->size = (uint32_t)f->size;
    f->reg->cmdq_offset = FW_REGION_HDR_SIZE;
    f->reg->cmdq_depth = DEPTH;
    f->reg->cq_offset = FW_REGION_HDR_SIZE + DEPTH * FW_SLOT_SIZE;
    f->reg->cq_depth = DEPTH;
    f->reg->function = FW_FUNC_PF;
    memset(&rep, 0, sizeof(rep));
    fw_sock_hdr(&rep.hdr, FW_MSG_HELLO_REPLY, sizeof(rep));
    rep.status = FW_STATUS_OK;
    rep.abi_major = FW_ABI_MAJOR;
    rep.abi_minor = FW_ABI_MINOR;
    rep.function = FW_FUNC_PF;
    rep.region_size = (uint32_t)f->size;
    f->rc = fw_sock_send(s, &rep, sizeof(rep), fds, 3);
    for (unsigned i = 0; i < 3; i++)
        close(fds[i]);
    return NULL;
}

static struct fw_chan *
fake_open(struct fake *f)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct fw_chan *ch;
    pthread_t t;

    snprintf(f->dir, sizeof(f->dir), "/tmp/snic-fw-view.XXXXXX");
    cr_assert_not_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/nic", f->dir);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
    f->s = -1;
    f->ls = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    cr_assert_eq(bind(f->ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(f->ls, 1), 0);
    cr_assert_eq(pthread_create(&t, NULL, fake_accept, f), 0);
    ch = fw_chan_open(f->path, 3000);
    pthread_join(t, NULL);
    cr_assert_not_null(ch, "fw_chan_open on the fake device: %s",
                       strerror(errno));
    cr_assert_eq(f->rc, 0);
    cr_assert_not_null(f->reg);
    return ch;
}

static void
fake_close(struct fake *f)
{
    munmap(f->reg, f->size);
    close(f->s);
    close(f->ls);
    unlink(f->path);
    rmdir(f->dir);
}

/* ---- the device: a model toggling in place, publishing each state ---- */

struct writer {
    struct emu_dev *dev;
    struct fw_region *reg;
    bool stop;                  /* set by the reader, atomically */
    unsigned changes;
};

static bool
no_deliver(void *ctx, const struct emu_dest *d, const uint8_t *f, uint32_t n)
{
    (void)ctx;
    (void)d;
    (void)f;
    (void)n;
    return false;
}

static const struct emu_dev_ops writer_ops = { .deliver = no_deliver };

static void *
writer_run(void *arg)
{
    struct writer *w = arg;
    static union { uint8_t raw[FW_SLOT_OUT_MAX]; uint64_t a; } out;
    struct fw_sriov_enable_in in;

    while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
        memset(&in, 0, sizeof(in));
        in.hdr.opcode = FW_CMD_SRIOV_ENABLE;
        in.hdr.in_size = sizeof(in);
        in.hdr.out_size = sizeof(struct fw_out_hdr);
        in.num_vfs = emu_dev_num_vfs(w->dev) == 1 ? NVF : 1;
        in.flags = FW_SRIOV_F_IN_PLACE;
        emu_dev_exec(w->dev, FW_FUNC_PF, &in, sizeof(in), out.raw);
        if (((struct fw_out_hdr *)out.raw)->status != FW_STATUS_OK)
            break;
        emu_dev_publish_sriov(w->dev, w->reg);
        w->changes++;
    }
    return NULL;
}

/*
 * What the device published at generation @g (see writer_run): it starts
 * at 2 with vf0 alone; change k (generation 2 + 2k) goes to 256 VFs when k
 * is odd, creating vf1..vf255 at that generation, and back to one when k
 * is even, when vf1..vf255 keep the generation that created them.
 */
static const char *
check_snapshot(uint32_t g, uint16_t n, const uint32_t *vg)
{
    static char why[160];
    uint32_t k, want;

    if (g & 1u)
        return "odd generation: a write in progress was accepted";
    if (g < 2)
        return "generation below the first one";
    k = (g - 2) / 2;
    if (n != ((k & 1u) ? NVF : 1u)) {
        snprintf(why, sizeof(why), "num_vfs %u with generation %u", n, g);
        return why;
    }
    if (vg[0] != 2)
        return "vf0 was never recreated";
    want = (k & 1u) ? g : k == 0 ? 0 : g - 2;
    for (unsigned v = 1; v < NVF; v++)
        if (vg[v] != want) {
            snprintf(why, sizeof(why), "generation %u, num_vfs %u: "
                     "vf_generation[%u] = %u, not %u", g, n, v, vg[v], want);
            return why;
        }
    return NULL;
}

Test(fw_sriov_view, reader_never_accepts_a_mixed_copy, .timeout = 20)
{
    struct fake f;
    struct fw_chan *ch = fake_open(&f);
    struct emu_config cfg;
    struct writer w = { .reg = f.reg };
    static uint32_t vg[NVF];
    uint32_t g, last = 0;
    unsigned ok = 0, distinct = 0, again = 0;
    int64_t end;
    pthread_t t;
    uint16_t n;

    memset(&cfg, 0, sizeof(cfg));
    cfg.profile = *emu_profile_find("full");
    cfg.max_vfs = NVF;
    cfg.num_vfs = 1;
    cfg.esw_mode = FW_ESW_SWITCHDEV;
    w.dev = emu_dev_create(&cfg, &writer_ops, NULL);
    cr_assert_not_null(w.dev);
    emu_dev_publish_sriov(w.dev, f.reg);
    cr_assert_eq(fw_chan_sriov_view(ch, &g, &n, vg, NVF), 0);
    cr_assert_null(check_snapshot(g, n, vg), "%s", check_snapshot(g, n, vg));

    cr_assert_eq(pthread_create(&t, NULL, writer_run, &w), 0);
    end = snic_now_ms() + RUN_MS;
    while (snic_now_ms() < end) {
        const char *bad;
        int rc = fw_chan_sriov_view(ch, &g, &n, vg, NVF);

        if (rc == -EAGAIN) {
            again++;
            continue;
        }
        cr_assert_eq(rc, 0);
        bad = check_snapshot(g, n, vg);
        if (bad != NULL) {
            __atomic_store_n(&w.stop, true, __ATOMIC_RELAXED);
            pthread_join(t, NULL);
            cr_assert_fail("snapshot %u accepted a mixed copy: %s", ok, bad);
        }
        ok++;
        distinct += g != last;
        last = g;
    }
    __atomic_store_n(&w.stop, true, __ATOMIC_RELAXED);
    pthread_join(t, NULL);
    cr_log_info("%u snapshots, %u generations, %u device changes, %u EAGAIN",
                ok, distinct, w.changes, again);
    cr_expect_gt(w.changes, 20, "the device kept writing");
    cr_expect_gt(ok, 20, "the reader got through");
    cr_expect_gt(distinct, 2, "and saw the view move");

    /* once the device holds still the reader sees its last state */
    cr_assert_eq(fw_chan_sriov_view(ch, &g, &n, vg, NVF), 0);
    cr_expect_eq(g, emu_dev_sriov_generation(w.dev));
    cr_expect_eq(n, emu_dev_num_vfs(w.dev));
    emu_dev_destroy(w.dev);
    fw_chan_close(ch);
    fake_close(&f);
}

/* A device that dies in the middle of a write leaves the sequence odd:
 * the reader gives up with EAGAIN, in bounded time, vouching for nothing. */
Test(fw_sriov_view, odd_sequence_is_never_accepted, .timeout = 10)
{
    struct fake f;
    struct fw_chan *ch = fake_open(&f);
    uint32_t g = 0xdead;
    uint16_t n = 0xbeef;
    int64_t t0;

    f.reg->num_vfs = 3;
    __atomic_store_n(&f.reg->sriov_generation, 7, __ATOMIC_RELEASE);
    t0 = snic_now_ms();
    cr_expect_eq(fw_chan_sriov_view(ch, &g, &n, NULL, 0), -EAGAIN);
    cr_expect_lt(snic_now_ms() - t0, 2000, "bounded");
    cr_expect(g == 0xdead && n == 0xbeef, "nothing written on failure");
    __atomic_store_n(&f.reg->sriov_generation, 8, __ATOMIC_RELEASE);
    cr_expect_eq(fw_chan_sriov_view(ch, &g, &n, NULL, 0), 0);
    cr_expect(g == 8 && n == 3);
    fw_chan_close(ch);
    fake_close(&f);
}
