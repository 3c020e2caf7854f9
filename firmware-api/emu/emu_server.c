/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * emunic's event loop: function sockets, client handshakes, and the polling
 * policy that decides when the device spins on its rings and when it sleeps
 * in epoll.
 *
 * Polling policy. While commands or frames keep coming, the loop polls every
 * client's cmdq_producer and every tx ring without sleeping and tells the
 * clients so (ABI 1.12 cmdq_polling: their drivers skip the doorbell
 * write). A poll costs no system call: epoll (new connections, old
 * drivers' doorbells, tap frames, signals) is looked at with a zero timeout
 * only every EMU_EPOLL_EVERY_NS, or at once again while it has events.
 * After idle_ns without work it clears cmdq_polling, sets tx_need_kick on
 * all tx rings, looks once more, and sleeps; doorbell and kick eventfds
 * wake it.
 *
 * The idle poll is short and adapts, because spinning pays only while the
 * driver runs beside us: a synchronous driver on another core sends its
 * next command microseconds after our completion, and catching it saves
 * it the doorbell and us the wake-up. Work that arrives while we poll
 * idle doubles idle_ns (up to EMU_IDLE_MAX_NS); a poll that ends in sleep
 * halves it (down to EMU_IDLE_MIN_NS). On a loaded machine, or with a
 * driver on our own CPU, polls keep failing and the device sleeps almost
 * at once, leaving the CPU to whoever needs it; no sched_yield (a system
 * call, and on a loaded machine a lost time slice) in the spin.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snic_populate.h"

#include "../fw_sock.h"
#include "snic_clock.h"
#include "emu_server_int.h"

#define EMU_IDLE_MAX_NS     200000      /* bounds of the idle poll */
#define EMU_IDLE_MIN_NS     5000
#define EMU_EPOLL_EVERY_NS  50000       /* look at epoll while busy */
#define EMU_CLOCK_EVERY     16u         /* idle polls per look at the clock */
#define EMU_CMD_BUDGET      256u        /* per client per loop turn */
#define EMU_TX_BUDGET       64u         /* per queue per loop turn */
#define EMU_MAX_EVENTS      64

void
emu_server_log(struct emu_server *srv, const char *fmt, ...)
{
    va_list ap;

    if (srv->quiet)
        return;
    va_start(ap, fmt);
    fputs("emunic: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ------------------------------------------------------------------------
 * Listeners
 * ------------------------------------------------------------------------ */

/* Refuse to steal a path a live emunic listens on; remove a stale one. */
static int
emu_listener_claim(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int s, r;

    strcpy(sa.sun_path, path);
    s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
    close(s);
    if (r == 0)
        return -EADDRINUSE;
    if (errno == ECONNREFUSED)
        unlink(path);
    return 0;
}

/* The folder the sockets live in: created with explicit modes when it is
 * missing (the umask of whoever starts us must not decide them); an
 * existing one (/tmp, a folder an operator made) is not ours to change. */
static int
emu_listener_folder(struct emu_server *srv, const char *path)
{
    char dir[sizeof(srv->path) + 16];
    mode_t mode = srv->peers.group != SNIC_PEER_NO_GROUP ? 0750 : 0700;
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, mode) < 0)
        return errno == EEXIST ? 0 : -errno;
    if ((srv->peers.group != SNIC_PEER_NO_GROUP &&
         chown(dir, (uid_t)-1, srv->peers.group) < 0) || chmod(dir, mode) < 0)
        return -errno;
    return 0;
}

static int
emu_listener_open(struct emu_server *srv, struct emu_listener *l,
                  const char *path, uint16_t function)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    bool group = srv->peers.group != SNIC_PEER_NO_GROUP;
    mode_t old;
    int r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    r = emu_listener_folder(srv, path);
    if (r < 0)
        return r;
    r = emu_listener_claim(path);
    if (r < 0)
        return r;
    strcpy(sa.sun_path, path);
    strcpy(l->path, path);
    l->function = function;
    l->w.kind = EMU_W_LISTEN;
    l->w.obj = l;
    l->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (l->fd < 0)
        return -errno;
    /* Born owner-only, so there is no moment between bind() and chmod()
     * when a umask of 000 leaves the socket open to everyone. */
    old = umask(0177);
    r = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0) {
        r = -errno;
        goto close_fd;
    }
    if ((group && chown(path, (uid_t)-1, srv->peers.group) < 0) ||
        chmod(path, group ? 0660 : 0600) < 0 || listen(l->fd, 64) < 0) {
        r = -errno;
        goto unlink_path;
    }
    r = emu_loop_watch(srv, l->fd, &l->w, EPOLLIN);
    if (r < 0)
        goto unlink_path;
    return 0;

unlink_path:
    unlink(path);
close_fd:
    close(l->fd);
    l->fd = -1;
    return r;
}

static void
emu_listener_close(struct emu_server *srv, struct emu_listener *l)
{
    if (l->fd < 0)
        return;
    emu_loop_unwatch(srv, l->fd);
    close(l->fd);
    unlink(l->path);
    l->fd = -1;
}

/* ------------------------------------------------------------------------
 * Clients
 * ------------------------------------------------------------------------ */

static void
emu_client_close(struct emu_server *srv, struct emu_client *c)
{
    struct emu_client **pp;

    for (pp = &srv->clients; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    emu_shmq_release_all(c);
    emu_loop_unwatch(srv, c->sock);
    close(c->sock);
    if (c->db_fd >= 0) {
        emu_loop_unwatch(srv, c->db_fd);
        close(c->db_fd);
    }
    if (c->cq_fd >= 0)
        close(c->cq_fd);
    emu_region_destroy(c);
    c->closing = true;
    emu_loop_defer_free(srv, c);
}

/* Close clients marked closing; done between loop phases, never while one
 * of them is being processed. */
static void
emu_server_sweep(struct emu_server *srv)
{
    struct emu_client *c = srv->clients, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        if (c->closing)
            emu_client_close(srv, c);
    }
}

static void
emu_server_accept(struct emu_server *srv, struct emu_listener *l)
{
    for (;;) {
        struct emu_client *c;
        struct snic_peer peer;
        char why[160];
        int s = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (s < 0)
            return;
        /* The modes depend on the folder and on who set them up; the
         * kernel's record of the peer does not. Logged even under -q: a
         * refused connection is what an operator must be able to see. */
        if (snic_peer_check(s, &srv->peers, &peer, why, sizeof(why)) < 0) {
            fprintf(stderr, "emunic: %s: connection refused: %s\n", l->path,
                    why);
            close(s);
            continue;
        }
        c = calloc(1, sizeof(*c));
        if (c == NULL) {
            close(s);
            return;
        }
        c->srv = srv;
        c->sock = s;
        c->db_fd = -1;
        c->cq_fd = -1;
        c->function = l->function;
        c->w_sock.kind = EMU_W_CLIENT;
        c->w_sock.obj = c;
        c->w_db.kind = EMU_W_DOORBELL;
        c->w_db.obj = c;
        if (emu_loop_watch(srv, s, &c->w_sock, EPOLLIN) < 0) {
            close(s);
            free(c);
            return;
        }
        c->next = srv->clients;
        srv->clients = c;
    }
}

static void
emu_reply_hdr(struct fw_msg_hdr *h, uint16_t type, uint16_t size)
{
    fw_sock_hdr(h, type, size);
}

/* a function, not an inline ?:, so a minor of 0 is not "always false" */
static uint16_t
emu_min_u16(uint16_t a, uint16_t b)
{
    return a < b ? a : b;
}

static void
emu_client_hello(struct emu_server *srv, struct emu_client *c,
                 const struct fw_hello *h)
{
    struct fw_hello_reply rep = { .abi_major = FW_ABI_MAJOR };
    int fds[3] = { -1, -1, -1 };
    int r;

    emu_reply_hdr(&rep.hdr, FW_MSG_HELLO_REPLY, sizeof(rep));
    rep.function = c->function;
    rep.abi_minor = emu_min_u16(h->abi_minor, FW_ABI_MINOR);
    if (h->abi_major != FW_ABI_MAJOR) {
        rep.status = FW_STATUS_NOT_SUPPORTED;
        rep.syndrome = FW_SYND(FW_SYND_VALUE, 0, h->abi_major);
        rep.abi_minor = FW_ABI_MINOR;
        goto refuse;
    }
    if (c->ready) {
        rep.status = FW_STATUS_BAD_STATE;
        goto refuse;
    }
    if (h->flags != 0) {
        rep.status = FW_STATUS_BAD_PARAM;
        rep.syndrome = FW_SYND(FW_SYND_RSVD, 0, 0);
        goto refuse;
    }
    /* only a HELLO that is taken sets the minor (a refused one changes
     * nothing: a second HELLO must not turn off what the first agreed) */
    c->abi_minor = rep.abi_minor;
    r = emu_region_create(c, srv->cmdq_depth, &fds[0]);
    if (r < 0)
        goto internal;
    /* Shared file descriptions: non-blocking for both ends, so neither the
     * device nor a driver ever blocks on the other's counter. */
    c->db_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    c->cq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->db_fd < 0 || c->cq_fd < 0)
        goto internal;
    if (emu_loop_watch(srv, c->db_fd, &c->w_db, EPOLLIN) < 0)
        goto internal;
    fds[1] = c->db_fd;
    fds[2] = c->cq_fd;
    rep.region_size = (uint32_t)c->map_size;
    if (fw_sock_send(c->sock, &rep, sizeof(rep), fds, 3) < 0) {
        c->closing = true;
    } else {
        c->ready = true;
        /* a client that arrives while we poll is polled at once */
        emu_region_show_polling(c, srv->busy);
    }
    close(fds[0]);
    return;

internal:
    if (fds[0] >= 0)
        close(fds[0]);
    rep.status = FW_STATUS_INTERNAL;
    /* region, eventfds are released by the client's close */
    fw_sock_send(c->sock, &rep, sizeof(rep), NULL, 0);
    c->closing = true;
    return;
refuse:
    fw_sock_send(c->sock, &rep, sizeof(rep), NULL, 0);
    if (!c->ready)
        c->closing = true;
}

static void
emu_client_queue_attach(struct emu_client *c, const struct fw_queue_attach *a)
{
    struct fw_queue_reply rep = { 0 };
    int fds[2] = { -1, -1 };

    emu_reply_hdr(&rep.hdr, FW_MSG_QUEUE_REPLY, sizeof(rep));
    if (!c->ready) {
        rep.status = FW_STATUS_BAD_STATE;
    } else {
        rep.status = emu_shmq_attach(c, a, &rep.syndrome, fds, &rep.size);
    }
    if (rep.status == FW_STATUS_OK) {
        if (fw_sock_send(c->sock, &rep, sizeof(rep), fds, 2) < 0)
            c->closing = true;
        close(fds[0]);  /* our mapping stays; the kick fd is ours too */
        return;
    }
    fw_sock_send(c->sock, &rep, sizeof(rep), NULL, 0);
}

static void
emu_client_readable(struct emu_server *srv, struct emu_client *c,
                    uint32_t events)
{
    for (;;) {
        _Alignas(8) uint8_t buf[256];
        const struct fw_msg_hdr *h = (const struct fw_msg_hdr *)buf;
        unsigned nfds;
        ssize_t n;

        n = fw_sock_recv(c->sock, buf, sizeof(buf), NULL, 0, &nfds,
                         MSG_DONTWAIT);
        if (n == -EAGAIN)
            break;
        /* end of stream, error, or a message no driver sends: drop it */
        if (n < (ssize_t)sizeof(*h) || h->magic != FW_ABI_MAGIC) {
            c->closing = true;
            return;
        }
        if (h->type == FW_MSG_HELLO && (size_t)n >= sizeof(struct fw_hello)) {
            emu_client_hello(srv, c, (const struct fw_hello *)buf);
        } else if (h->type == FW_MSG_QUEUE_ATTACH &&
                   (size_t)n >= sizeof(struct fw_queue_attach)) {
            emu_client_queue_attach(c, (const struct fw_queue_attach *)buf);
        } else {
            c->closing = true;
            return;
        }
        if (c->closing)
            return;
    }
    if (events & (EPOLLHUP | EPOLLERR))
        c->closing = true;
}

static void
emu_client_doorbell(struct emu_client *c)
{
    uint64_t v;

    if (read(c->db_fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: drained already */
    }
}

/* ------------------------------------------------------------------------
 * Device callbacks
 * ------------------------------------------------------------------------ */

/* The device model knows no server (a deliberate inversion through
 * ops.deliver): the server picks the host side's transport. */
static bool
emu_server_deliver(void *ctx, const struct emu_dest *dest,
                   const uint8_t *frame, uint32_t len)
{
    int r = emu_shmq_deliver(ctx, dest, frame, len);

    /* a host side with no queue attached may be a tap: the queue wins */
    if (r == -ENOENT && dest->kind == EMU_DEST_VPORT)
        return emu_tap_deliver(ctx, dest->vport, frame, len);
    return r > 0;
}

static void
emu_server_sriov_changed(void *ctx, uint16_t num_vfs)
{
    struct emu_server *srv = ctx;
    struct emu_client *c;
    char path[sizeof(srv->path) + 16];
    unsigned i;

    for (i = 0; i < srv->max_vfs; i++) {
        struct emu_listener *l = &srv->vf[i];

        if (i < num_vfs && l->fd < 0) {
            int r;

            snprintf(path, sizeof(path), "%s.vf%u", srv->path, i);
            r = emu_listener_open(srv, l, path, FW_FUNC_VF(i));
            if (r < 0)
                emu_server_log(srv, "cannot listen on %s: %s", path,
                               strerror(-r));
        } else if (i >= num_vfs && l->fd >= 0) {
            emu_listener_close(srv, l);
        }
    }
    /* A vanished VF's drivers see their socket hang up, and the PF's
     * representor of it loses its queues (a real host unregisters it). */
    for (c = srv->clients; c != NULL; c = c->next)
        if (c->function < srv->max_vfs && c->function >= num_vfs)
            c->closing = true;
    emu_shmq_release_reps(srv, FW_VPORT_VF(num_vfs));
    /* before the command's completion: its issuer sees the new set */
    emu_region_mirror_all(srv);
}

static void
emu_server_reset(void *ctx)
{
    /* Queues survive a firmware reset (only steering is lost): nothing to
     * detach, but drivers must see the new generation at once. */
    emu_region_mirror_all(ctx);
}

static const struct emu_dev_ops emu_server_ops = {
    .deliver = emu_server_deliver,
    .sriov_changed = emu_server_sriov_changed,
    .reset = emu_server_reset,
};

/* ------------------------------------------------------------------------
 * Lifecycle and loop
 * ------------------------------------------------------------------------ */

struct emu_dev *
emu_server_dev(struct emu_server *srv)
{
    return srv->dev;
}

static int
emu_server_signals(struct emu_server *srv)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    signal(SIGPIPE, SIG_IGN);
    srv->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (srv->sig_fd < 0)
        return -errno;
    srv->w_sig.kind = EMU_W_SIGNAL;
    srv->w_sig.obj = srv;
    return emu_loop_watch(srv, srv->sig_fd, &srv->w_sig, EPOLLIN);
}

struct emu_server *
emu_server_create(const struct emu_server_config *cfg,
                  const struct emu_config *dev_cfg)
{
    struct emu_server *srv;
    char path[sizeof(srv->path) + 16];
    unsigned i;
    int r;

    if (cfg->socket_path == NULL || cfg->cmdq_depth == 0 ||
        (cfg->cmdq_depth & (cfg->cmdq_depth - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    /* PATH.vf255 and PATH.uplink must fit in sun_path too */
    if (strlen(cfg->socket_path) + 8 > sizeof(srv->path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL)
        return NULL;
    strcpy(srv->path, cfg->socket_path);
    srv->quiet = cfg->quiet;
    srv->peers.owner = geteuid();
    srv->peers.group = cfg->has_group ? cfg->group : SNIC_PEER_NO_GROUP;
    srv->cmdq_depth = cfg->cmdq_depth;
    srv->pf.fd = srv->uplink.fd = srv->sig_fd = -1;
    srv->max_vfs = dev_cfg->max_vfs;
    srv->nvports = (uint16_t)(1u + dev_cfg->max_vfs);
    srv->max_queues = dev_cfg->max_queues_per_port ? dev_cfg->max_queues_per_port
                                                   : 1;
    srv->vf = calloc(srv->max_vfs ? srv->max_vfs : 1, sizeof(*srv->vf));
    srv->taps = calloc(srv->nvports, sizeof(*srv->taps));
    srv->host = calloc((size_t)srv->nvports * srv->max_queues,
                       sizeof(*srv->host));
    srv->rep = calloc((size_t)srv->nvports * srv->max_queues,
                      sizeof(*srv->rep));
    r = -ENOMEM;
    if (srv->vf == NULL || srv->taps == NULL || srv->host == NULL ||
        srv->rep == NULL)
        goto free_srv;
    for (i = 0; i < srv->max_vfs; i++)
        srv->vf[i].fd = -1;
    for (i = 0; i < srv->nvports; i++)
        srv->taps[i].fd = -1;

    srv->ep = epoll_create1(EPOLL_CLOEXEC);
    if (srv->ep < 0) {
        r = -errno;
        goto free_srv;
    }
    srv->dev = emu_dev_create(dev_cfg, &emu_server_ops, srv);
    if (srv->dev == NULL) {
        r = -errno;
        goto close_ep;
    }
    r = emu_server_signals(srv);
    if (r < 0)
        goto destroy_dev;
    r = emu_listener_open(srv, &srv->pf, srv->path, FW_FUNC_PF);
    if (r < 0)
        goto close_listeners;
    snprintf(path, sizeof(path), "%s.uplink", srv->path);
    r = emu_listener_open(srv, &srv->uplink, path, FW_FUNC_UPLINK);
    if (r < 0)
        goto close_listeners;
    srv->mirrored_health = emu_dev_health(srv->dev);
    srv->mirrored_gen = emu_dev_reset_generation(srv->dev);
    emu_server_sriov_changed(srv, emu_dev_num_vfs(srv->dev));
    for (i = 0; i < cfg->n_taps; i++) {
        r = emu_tap_open(srv, cfg->taps[i].vport, cfg->taps[i].ifname);
        if (r < 0) {
            fprintf(stderr, "emunic: cannot create tap '%s' for vport %u: %s\n",
                    cfg->taps[i].ifname, cfg->taps[i].vport, strerror(-r));
            goto close_taps;
        }
    }
    return srv;

close_taps:
    emu_tap_close_all(srv);
close_listeners:
    for (i = 0; i < srv->max_vfs; i++)
        emu_listener_close(srv, &srv->vf[i]);
    emu_listener_close(srv, &srv->uplink);
    emu_listener_close(srv, &srv->pf);
    if (srv->sig_fd >= 0)
        close(srv->sig_fd);
destroy_dev:
    emu_dev_destroy(srv->dev);
close_ep:
    close(srv->ep);
free_srv:
    free(srv->rep);
    free(srv->host);
    free(srv->taps);
    free(srv->vf);
    free(srv);
    errno = -r;
    return NULL;
}

void
emu_server_destroy(struct emu_server *srv)
{
    unsigned i;

    if (srv == NULL)
        return;
    while (srv->clients != NULL)
        emu_client_close(srv, srv->clients);
    emu_loop_bury(srv);
    emu_tap_close_all(srv);
    for (i = 0; i < srv->max_vfs; i++)
        emu_listener_close(srv, &srv->vf[i]);
    emu_listener_close(srv, &srv->uplink);
    emu_listener_close(srv, &srv->pf);
    close(srv->sig_fd);
    emu_dev_destroy(srv->dev);
    close(srv->ep);
    free(srv->graveyard);
    free(srv->rep);
    free(srv->host);
    free(srv->taps);
    free(srv->vf);
    free(srv);
}

static void
emu_server_event(struct emu_server *srv, const struct epoll_event *ev)
{
    struct emu_watch *w = ev->data.ptr;

    switch (w->kind) {
    case EMU_W_LISTEN:
        emu_server_accept(srv, w->obj);
        break;
    case EMU_W_CLIENT: {
        struct emu_client *c = w->obj;

        if (!c->closing)
            emu_client_readable(srv, c, ev->events);
        break;
    }
    case EMU_W_DOORBELL: {
        struct emu_client *c = w->obj;

        if (!c->closing)
            emu_client_doorbell(c);
        break;
    }
    case EMU_W_KICK:
        emu_shmq_kicked(w->obj);
        break;
    case EMU_W_TAP:
        emu_tap_readable(srv, w->obj);
        break;
    case EMU_W_SIGNAL: {
        struct signalfd_siginfo si;

        if (read(srv->sig_fd, &si, sizeof(si)) > 0)
            srv->stop = true;
        break;
    }
    default:
        break;
    }
}

/* One pass over all work the device can see without sleeping. */
static unsigned
emu_server_work(struct emu_server *srv)
{
    struct emu_client *c;
    unsigned cmds = 0, frames;

    for (c = srv->clients; c != NULL; c = c->next)
        cmds += emu_region_process(c, EMU_CMD_BUDGET);
    /* what the heap grew by, made resident at once: the rules of a large
     * load are malloc'ed one by one, and their pages faulted in one by
     * one were a quarter of the card's time adding 1,000,000 rules on a
     * virtual machine (#13); main sets M_TOP_PAD, so the heap grows in
     * steps that the next rules carve */
    if (cmds > 0)
        snic_populate_heap(&srv->heap_end);
    /* health may also move on its own (a reset finishing) */
    emu_region_mirror_all(srv);
    frames = emu_shmq_poll_tx(srv, EMU_TX_BUDGET);
    return cmds + frames;
}

static bool
emu_server_cmds_pending(struct emu_server *srv)
{
    struct emu_client *c;

    /* A client whose cq is full cannot be served until it reaps (it rings
     * no doorbell for that): do not spin on it, a hostile one would keep
     * the device awake forever. */
    for (c = srv->clients; c != NULL; c = c->next)
        if (c->ready && !c->closing &&
            __atomic_load_n(&c->reg->cmdq_producer, __ATOMIC_ACQUIRE) !=
                c->cmd_cons &&
            c->cq_prod - __atomic_load_n(&c->reg->cq_consumer,
                                         __ATOMIC_ACQUIRE) < c->depth)
            return true;
    return false;
}

static void
emu_server_show_polling(struct emu_server *srv, bool polling)
{
    struct emu_client *c;

    for (c = srv->clients; c != NULL; c = c->next)
        emu_region_show_polling(c, polling);
}

static inline void
emu_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Start polling: drivers need not ring nor kick. */
static void
emu_server_wake(struct emu_server *srv)
{
    srv->busy = true;
    emu_shmq_set_need_kick(srv, false);
    emu_server_show_polling(srv, true);
}

/* Stop polling unless something arrived meanwhile. Clear the flags
 * drivers look at, full fence, then look at every producer once more:
 * a driver that published before it could see a flag cleared skipped its
 * doorbell or kick, and its work must not wait for the next one. */
static bool
emu_server_try_sleep(struct emu_server *srv)
{
    bool frames;

    emu_server_show_polling(srv, false);
    frames = emu_shmq_set_need_kick(srv, true);     /* fences */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (frames || emu_server_cmds_pending(srv)) {
        emu_server_wake(srv);
        return false;
    }
    srv->busy = false;
    return true;
}

int
emu_server_run(struct emu_server *srv)
{
    struct epoll_event evs[EMU_MAX_EVENTS];
    uint64_t now = snic_now_ns(), last_work = now, last_epoll = 0;
    unsigned idle_polls = 0;
    bool events = false;

    srv->busy = false;
    srv->idle_ns = EMU_IDLE_MAX_NS;
    emu_shmq_set_need_kick(srv, true);
    while (!srv->stop) {
        int n, i;

        if (!srv->busy || events || now - last_epoll >= EMU_EPOLL_EVERY_NS) {
            n = epoll_wait(srv->ep, evs, EMU_MAX_EVENTS, srv->busy ? 0 : -1);
            if (n < 0 && errno != EINTR)
                return -errno;
            for (i = 0; i < n; i++)
                emu_server_event(srv, &evs[i]);
            events = n > 0;
            emu_server_sweep(srv);
            now = snic_now_ns();
            last_epoll = now;
        }

        if (emu_server_work(srv) > 0) {
            now = snic_now_ns();
            last_work = now;
            if (!srv->busy) {
                emu_server_wake(srv);
            } else if (idle_polls > 0) {
                /* caught while polling idle: worth polling longer */
                srv->idle_ns = srv->idle_ns < EMU_IDLE_MAX_NS / 2 ?
                               srv->idle_ns * 2 : EMU_IDLE_MAX_NS;
            }
            idle_polls = 0;
        } else if (srv->busy) {
            if (++idle_polls % EMU_CLOCK_EVERY == 0)
                now = snic_now_ns();
            if (now - last_work <= srv->idle_ns) {
                emu_cpu_relax();
            } else if (emu_server_try_sleep(srv)) {
                srv->idle_ns = srv->idle_ns > 2 * EMU_IDLE_MIN_NS ?
                               srv->idle_ns / 2 : EMU_IDLE_MIN_NS;
                idle_polls = 0;
            } else {
                last_work = now;
            }
        }
        emu_server_sweep(srv);
        emu_loop_bury(srv);
    }
    return 0;
}
