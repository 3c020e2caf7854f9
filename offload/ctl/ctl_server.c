/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's server side: a Unix stream socket in a private run
 * directory, peer-credential checks, connection limits and timeouts, and
 * the loop that gives every connection its turn (one request, or a few
 * items of a stream, per turn; ctl_conn.c does the work). One thread, one
 * epoll set. The bounds are described in include/snic/ctl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_priv.h"
#include "snic/peer.h"

void
ctl_server_set_log(struct ctl_server *s, ctl_log_fn *fn)
{
    s->log = fn;
}

void
ctl_limits_default(struct ctl_limits *l)
{
    *l = (struct ctl_limits){
        .max_per_uid = 16,
        .root_reserve = 8,
        .idle_timeout_ms = 300000,
        .request_timeout_ms = 60000,
        .stall_timeout_ms = 60000,
        .out_max = 256u << 10,
        .small_in_max = 1u << 20,
    };
}

void
ctl_server_set_limits(struct ctl_server *s, const struct ctl_limits *l)
{
    s->lim = *l;
    if (s->lim.root_reserve >= CTL_MAX_CLIENTS)
        s->lim.root_reserve = CTL_MAX_CLIENTS - 1;
    if (s->lim.out_max == 0)
        s->lim.out_max = 1;
    if (s->lim.small_in_max < CTL_READ_CHUNK)
        s->lim.small_in_max = CTL_READ_CHUNK;
}

int
ctl_server_add_streams(struct ctl_server *s,
                       const struct ctl_stream_method *m, size_t n)
{
    struct ctl_stream_method *grown = realloc(s->streams,
                                              (s->n_streams + n)
                                              * sizeof(*grown));

    if (grown == NULL)
        return -ENOMEM;
    memcpy(grown + s->n_streams, m, n * sizeof(*m));
    s->streams = grown;
    s->n_streams += n;
    return 0;
}

/* A socket that nobody answers on is a leftover of a dead daemon. */
static bool
socket_is_live(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    bool live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return live;
}

int
ctl_rundir_prepare(const char *dir, gid_t gid)
{
    char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
    size_t len = strlen(dir);
    struct stat st;
    int fd, rc;

    /* "link/" would follow the link whatever O_NOFOLLOW says */
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len >= sizeof(name))
        return -ENAMETOOLONG;
    memcpy(name, dir, len);
    name[len] = '\0';
    if (mkdir(name, 0750) < 0 && errno != EEXIST)
        return -errno;
    /* The folder is opened, not followed: a symlink planted where it
     * should be (a run folder in a shared place such as /tmp) would have
     * the modes below changed on whatever it points at. */
    fd = open(name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        /* Linux says ENOTDIR for a link under O_DIRECTORY: say which */
        if (rc == -ENOTDIR && lstat(name, &st) == 0 && S_ISLNK(st.st_mode))
            rc = -ELOOP;
        return rc;
    }
    if (fstat(fd, &st) < 0)
        goto fail;
    /* Someone else's folder stays theirs whatever its modes say now: they
     * could open it again and put their own socket in place of ours. */
    if (st.st_uid != geteuid()) {
        errno = EPERM;
        goto fail;
    }
    /* Tighten an existing folder too: the modes are the first gate. */
    if ((gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
        || fchmod(fd, 0750) < 0)
        goto fail;
    return fd;

fail:
    rc = -errno;
    close(fd);
    return rc;
}

/* Is the socket just bound at @rundir/snicd.ctl in the folder @dirfd,
 * and does @rundir still name that folder? */
static bool
bound_in(int dirfd, const char *rundir)
{
    struct stat sock, dir, named;

    return fstatat(dirfd, CTL_SOCKET_NAME, &sock, AT_SYMLINK_NOFOLLOW) == 0
           && S_ISSOCK(sock.st_mode) && fstat(dirfd, &dir) == 0
           && stat(rundir, &named) == 0 && named.st_dev == dir.st_dev
           && named.st_ino == dir.st_ino;
}

const char *
ctl_rundir_strerror(int err)
{
    switch (err) {
    case ELOOP:
        return "it is a symbolic link (refused: the run folder must be a "
               "folder of its own)";
    case EPERM:
        return "it belongs to another user (refused: they could replace "
               "the control socket)";
    case ESTALE:
        return "it was replaced while the socket was made (refused)";
    default:
        return strerror(err);
    }
}

struct ctl_server *
ctl_server_create(const char *rundir, gid_t gid,
                  const struct ctl_method *methods, size_t n_methods,
                  void *ctx)
{
    char probe_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct ctl_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->listen_fd = -1;
    s->gid = gid;
    s->ctx = ctx;
    ctl_limits_default(&s->lim);
    int rc;
    if (snprintf(s->rundir, sizeof(s->rundir), "%s", rundir)
            >= (int)sizeof(s->rundir)
        || snprintf(s->path, sizeof(s->path), "%s/%s", rundir,
                    CTL_SOCKET_NAME) >= (int)sizeof(s->path)) {
        rc = -ENAMETOOLONG;
        goto err_free;
    }

    s->methods = calloc(n_methods + 1, sizeof(*s->methods));
    if (s->methods == NULL) {
        rc = -ENOMEM;
        goto err_free;
    }
    memcpy(s->methods, methods, n_methods * sizeof(*methods));
    s->methods[n_methods] = (struct ctl_method){
        "help", ctl_builtin_help, "help: list the methods this daemon answers" };
    s->n_methods = n_methods + 1;

    rc = ctl_rundir_prepare(rundir, gid);
    if (rc < 0)
        goto err_methods;
    s->dirfd = rc;
    /* the old socket is tested and removed through the folder we checked,
     * not through its name, which could be made to lead elsewhere in
     * between */
    if (snprintf(probe_path, sizeof(probe_path), "/proc/self/fd/%d/%s",
                 s->dirfd, CTL_SOCKET_NAME) >= (int)sizeof(probe_path)) {
        rc = -ENAMETOOLONG;
        goto err_dir;
    }
    if (socket_is_live(probe_path)) {
        rc = -EADDRINUSE;
        goto err_dir;
    }
    unlinkat(s->dirfd, CTL_SOCKET_NAME, 0);

    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          0);
    if (s->listen_fd < 0) {
        rc = -errno;
        goto err_dir;
    }
    /* Bound by its name: the name the socket is known by (ss -xl, the
     * clients) is the one bind() gets. Create the socket with no
     * permissions for others from the start, so there is no window
     * between bind() and chmod(). */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, s->path, sizeof(s->path));
    mode_t old = umask(0117);
    rc = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0) {
        rc = -errno;
        goto err_socket;
    }
    /* ... and then found in the folder that was checked: a name made to
     * lead elsewhere meanwhile (the folder renamed away and another put
     * in its place) is refused, not served from */
    if (!bound_in(s->dirfd, rundir)) {
        rc = -ESTALE;
        goto err_socket;
    }
    if ((gid != (gid_t)-1
         && fchownat(s->dirfd, CTL_SOCKET_NAME, (uid_t)-1, gid,
                     AT_SYMLINK_NOFOLLOW) < 0)
        || fchmodat(s->dirfd, CTL_SOCKET_NAME, 0660, 0) < 0
        || listen(s->listen_fd, 16) < 0) {
        rc = -errno;
        goto err_unlink;
    }

    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        rc = -errno;
        goto err_unlink;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0) {
        rc = -errno;
        goto err_epoll;
    }
    return s;

err_epoll:
    close(s->epfd);
err_unlink:
    unlinkat(s->dirfd, CTL_SOCKET_NAME, 0);
err_socket:
    close(s->listen_fd);
err_dir:
    close(s->dirfd);
err_methods:
    free(s->methods);
err_free:
    free(s);
    errno = -rc;
    return NULL;
}

static void
conn_close(struct ctl_server *s, struct ctl_conn *c)
{
    s->conns[c->slot] = NULL;
    s->n_conns--;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    ctl_conn_release(s, c);
}

void
ctl_server_destroy(struct ctl_server *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
        if (s->conns[i] != NULL)
            conn_close(s, s->conns[i]);
    close(s->epfd);
    close(s->listen_fd);
    unlinkat(s->dirfd, CTL_SOCKET_NAME, 0);
    close(s->dirfd);
    free(s->streams);
    free(s->methods);
    free(s);
}

int
ctl_server_fd(const struct ctl_server *s)
{
    return s->epfd;
}

const char *
ctl_server_path(const struct ctl_server *s)
{
    return s->path;
}

/* Why @uid may not have one more connection, or NULL. The last
 * root_reserve slots are root's: no other uid, however many connections it
 * opens, locks root out. */
static const char *
over_limit(const struct ctl_server *s, uid_t uid, char *why, size_t size)
{
    unsigned mine = 0;

    if (s->n_conns >= CTL_MAX_CLIENTS) {
        snprintf(why, size, "too many control connections (%u)",
                 CTL_MAX_CLIENTS);
        return why;
    }
    if (uid == 0)
        return NULL;
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
        if (s->conns[i] != NULL && s->conns[i]->uid == uid)
            mine++;
    if (mine >= s->lim.max_per_uid) {
        snprintf(why, size, "too many control connections from uid %u (%u "
                 "at most); close some", (unsigned)uid, s->lim.max_per_uid);
        return why;
    }
    if (s->n_conns >= CTL_MAX_CLIENTS - s->lim.root_reserve) {
        snprintf(why, size, "too many control connections (%u; the last %u "
                 "are kept for root)", s->n_conns, s->lim.root_reserve);
        return why;
    }
    return NULL;
}

static void
refuse_fd(int fd, int code, const char *message)
{
    struct ctl_error err = { .code = code };
    size_t size;
    char *line;

    snprintf(err.message, sizeof(err.message), "%s", message);
    line = ctl_reply_error(NULL, &err, &size);
    if (line != NULL) {
        ssize_t n = send(fd, line, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)n; /* best effort: the peer is refused either way */
    }
    free(line);
    close(fd);
}

static void
accept_one(struct ctl_server *s, int fd, int64_t now)
{
    struct snic_peer_policy policy = { .owner = geteuid(), .group = s->gid };
    struct snic_peer peer;
    char why[CTL_ERROR_MSG_SIZE];
    struct ctl_conn *c;
    size_t slot;

    if (snic_peer_check(fd, &policy, &peer, why, sizeof(why)) < 0) {
        ctl_server_log(s, "control connection refused: %s", why);
        refuse_fd(fd, CTL_ERR_DENIED, why);
        return;
    }
    if (over_limit(s, peer.uid, why, sizeof(why)) != NULL) {
        ctl_server_log(s, "control connection of uid %u (pid %d) refused: "
                       "%s", (unsigned)peer.uid, (int)peer.pid, why);
        refuse_fd(fd, CTL_ERR_LIMIT, why);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return;
    }
    for (slot = 0; s->conns[slot] != NULL; slot++)
        ;
    c->fd = fd;
    c->uid = peer.uid;
    c->pid = peer.pid;
    c->slot = (unsigned)slot;
    c->serial = ++s->accepted;
    c->active_ms = now;
    c->events = EPOLLIN;
    struct epoll_event ev = { .events = c->events, .data.ptr = c };
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        free(c);
        return;
    }
    s->conns[slot] = c;
    s->n_conns++;
}

static void
accept_some(struct ctl_server *s, int64_t now)
{
    for (unsigned i = 0; i < CTL_ACCEPT_BUDGET; i++) {
        int fd = accept4(s->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0)
            return;
        accept_one(s, fd, now);
    }
}

/* The deadline that applies to @c now, or 0 for none; what it is about and
 * how long it allowed. */
static int64_t
conn_deadline(const struct ctl_server *s, const struct ctl_conn *c,
              const char **what, unsigned *limit)
{
    if (ctl_conn_out_pending(c) > 0) {
        *what = "read none of its replies";
        *limit = s->lim.stall_timeout_ms;
        return c->stall_ms + *limit;
    }
    if (c->closing || c->stream != NULL || c->holding || c->have_line)
        return 0;
    if (c->in_len > 0) {
        *what = "did not finish its request";
        *limit = s->lim.request_timeout_ms;
        return c->partial_ms + *limit;
    }
    *what = "was idle";
    *limit = s->lim.idle_timeout_ms;
    return c->active_ms + *limit;
}

/* Close (with a line saying why, when it can still be sent) every
 * connection past its deadline. Returns the nearest deadline left. */
static int64_t
expire(struct ctl_server *s, int64_t now)
{
    int64_t next = 0;

    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
        struct ctl_conn *c = s->conns[i];
        const char *what = "";
        unsigned limit = 0;
        int64_t at;

        if (c == NULL || c->dead)
            continue;
        at = conn_deadline(s, c, &what, &limit);
        if (at == 0)
            continue;
        if (at > now) {
            if (next == 0 || at < next)
                next = at;
            continue;
        }
        ctl_server_log(s, "control connection of uid %u (pid %d) closed: it "
                       "%s for %u ms", (unsigned)c->uid, (int)c->pid, what,
                       limit);
        if (ctl_conn_out_pending(c) > 0) {
            c->dead = true;     /* it reads nothing: no line can reach it */
            continue;
        }
        ctl_conn_refuse(c, CTL_ERR_TIMEOUT, "control connection closed: it "
                        "%s for %u ms", what, limit);
        if (ctl_conn_flush(c, now) < 0)
            c->dead = true;
    }
    return next;
}

/* Interest follows what the connection can do: no EPOLLIN while it may not
 * read (its replies unread, a line waiting), EPOLLOUT while replies wait. */
static void
rearm(struct ctl_server *s, struct ctl_conn *c)
{
    uint32_t events = (ctl_conn_wants_input(s, c) ? EPOLLIN : 0u)
                      | (ctl_conn_out_pending(c) > 0 ? EPOLLOUT : 0u);

    if (events == c->events)
        return;
    struct epoll_event ev = { .events = events, .data.ptr = c };
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->events = events;
}

static bool
any_work(const struct ctl_server *s)
{
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
        if (s->conns[i] != NULL && ctl_conn_has_work(s, s->conns[i]))
            return true;
    return false;
}

int
ctl_server_run_once(struct ctl_server *s, int timeout_ms)
{
    struct epoll_event evs[CTL_MAX_CLIENTS + 1];
    int64_t now = snic_now_ms(), next;
    int served = 0, n;

    s->turn++;
    next = expire(s, now);
    if (any_work(s))
        timeout_ms = 0;
    else if (next != 0 && (timeout_ms < 0 || next - now < timeout_ms))
        timeout_ms = (int)(next - now);
    n = epoll_wait(s->epfd, evs, CTL_MAX_CLIENTS + 1, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    now = snic_now_ms();
    for (int i = 0; i < n; i++) {
        struct ctl_conn *c = evs[i].data.ptr;

        if (c == NULL) {
            accept_some(s, now);
            continue;
        }
        if ((evs[i].events & EPOLLOUT) && ctl_conn_flush(c, now) < 0)
            c->dead = true;
        if (!c->dead && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            && ctl_conn_fill(s, c, now) < 0)
            c->dead = true;
        /* Hung up while it may not read: no reply can reach it, and the
         * hang-up would be reported again every turn. A line already
         * read is still served (its send then fails). */
        if (!c->dead && (evs[i].events & (EPOLLHUP | EPOLLERR))
            && !ctl_conn_wants_input(s, c) && !c->have_line)
            c->dead = true;
    }

    /* Round robin: each connection one unit of work, starting one further
     * every turn so nobody is always first. */
    for (unsigned k = 0; k < CTL_MAX_CLIENTS; k++) {
        struct ctl_conn *c = s->conns[(s->rr + k) % CTL_MAX_CLIENTS];
        int rc;

        if (c == NULL || c->dead)
            continue;
        rc = ctl_conn_work(s, c, now);
        if (rc > 0)
            served += rc;
        if (rc < 0 || ctl_conn_flush(c, now) < 0)
            c->dead = true;
    }
    s->rr = (s->rr + 1) % CTL_MAX_CLIENTS;

    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
        struct ctl_conn *c = s->conns[i];

        if (c == NULL)
            continue;
        if (c->dead)
            conn_close(s, c);
        else
            rearm(s, c);
    }
    return served;
}
