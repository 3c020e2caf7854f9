/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's server side: a Unix stream socket in a private run
 * directory, peer-credential checks, newline-framed JSON-RPC requests
 * dispatched to the daemon's handlers. One thread, one epoll set.
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
#include <unistd.h>

#include "snic/ctl.h"
#include "snic/peer.h"

#define CTL_READ_CHUNK  65536u

struct ctl_conn {
    int fd;
    char *in;               /* bytes received, not yet a complete line */
    size_t in_len, in_cap;
    char *out;              /* reply bytes not yet accepted by the socket */
    size_t out_len, out_off;
    bool closing;           /* close once out is flushed */
};

struct ctl_server {
    int epfd;
    int listen_fd;
    gid_t gid;
    char rundir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct ctl_method *methods;
    size_t n_methods;
    void *ctx;
    ctl_log_fn *log;
    struct ctl_conn *conns[CTL_MAX_CLIENTS];
};

static void
server_log(const struct ctl_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
server_log(const struct ctl_server *s, const char *fmt, ...)
{
    char line[CTL_ERROR_MSG_SIZE + 64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (s->log != NULL)
        s->log(line);
    else
        fprintf(stderr, "%s\n", line);
}

void
ctl_server_set_log(struct ctl_server *s, ctl_log_fn *fn)
{
    s->log = fn;
}

static json_t *builtin_help(void *ctx, const json_t *params,
                            struct ctl_error *err);

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

static int
make_rundir(const char *dir, gid_t gid)
{
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return -errno;
    struct stat st;
    if (stat(dir, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    /* Tighten an existing folder too: the modes are the first gate. */
    if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) < 0)
        return -errno;
    if (chmod(dir, 0750) < 0)
        return -errno;
    return 0;
}

struct ctl_server *
ctl_server_create(const char *rundir, gid_t gid,
                  const struct ctl_method *methods, size_t n_methods,
                  void *ctx)
{
    struct ctl_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->listen_fd = -1;
    s->gid = gid;
    s->ctx = ctx;
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
        "help", builtin_help, "help: list the methods this daemon answers" };
    s->n_methods = n_methods + 1;

    rc = make_rundir(rundir, gid);
    if (rc < 0)
        goto err_methods;

    if (socket_is_live(s->path)) {
        rc = -EADDRINUSE;
        goto err_methods;
    }
    unlink(s->path);

    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          0);
    if (s->listen_fd < 0) {
        rc = -errno;
        goto err_methods;
    }
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path, s->path, sizeof(s->path));
    /* Create the socket with no permissions for others from the start, so
     * there is no window between bind() and chmod(). */
    mode_t old = umask(0117);
    rc = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0) {
        rc = -errno;
        goto err_socket;
    }
    if ((gid != (gid_t)-1 && chown(s->path, (uid_t)-1, gid) < 0)
        || chmod(s->path, 0660) < 0 || listen(s->listen_fd, 16) < 0) {
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
    unlink(s->path);
err_socket:
    close(s->listen_fd);
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
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
        if (s->conns[i] == c)
            s->conns[i] = NULL;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
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
    unlink(s->path);
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

static json_t *
builtin_help(void *ctx, const json_t *params, struct ctl_error *err)
{
    (void)params;
    (void)err;
    struct ctl_server *s = ctx;
    json_t *list = json_array();
    for (size_t i = 0; i < s->n_methods; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "method",
                                              s->methods[i].name, "help",
                                              s->methods[i].help
                                                  ? s->methods[i].help : ""));
    return list;
}

static int
conn_flush(struct ctl_server *s, struct ctl_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -errno;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
        if (c->closing)
            return -ECONNRESET;
    }
    struct epoll_event ev = {
        .events = EPOLLIN | (c->out_len ? EPOLLOUT : 0u),
        .data.ptr = c,
    };
    epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    return 0;
}

static int
conn_queue(struct ctl_conn *c, char *line, size_t size)
{
    if (line == NULL)
        return -ENOMEM;
    char *grown = realloc(c->out, c->out_len + size);
    if (grown == NULL) {
        free(line);
        return -ENOMEM;
    }
    memcpy(grown + c->out_len, line, size);
    c->out = grown;
    c->out_len += size;
    free(line);
    return 0;
}

static void
accept_one(struct ctl_server *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct ctl_error err = { .code = CTL_ERR_DENIED };
    size_t slot = CTL_MAX_CLIENTS;
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
        if (s->conns[i] == NULL) {
            slot = i;
            break;
        }
    struct snic_peer_policy policy = { .owner = geteuid(), .group = s->gid };
    struct snic_peer peer;
    bool ok = snic_peer_check(fd, &policy, &peer, err.message,
                              sizeof(err.message)) == 0;
    if (!ok)
        server_log(s, "control connection refused: %s", err.message);
    if (ok && slot == CTL_MAX_CLIENTS) {
        ok = false;
        snprintf(err.message, sizeof(err.message),
                 "too many control connections (%u)", CTL_MAX_CLIENTS);
    }
    if (!ok) {
        size_t size;
        char *line = ctl_reply_error(NULL, &err, &size);
        if (line != NULL) {
            ssize_t n = send(fd, line, size, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)n; /* best effort: the peer is refused either way */
        }
        free(line);
        close(fd);
        return;
    }
    struct ctl_conn *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return;
    }
    c->fd = fd;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        free(c);
        return;
    }
    s->conns[slot] = c;
}

static int
serve_line(struct ctl_server *s, struct ctl_conn *c, const char *line,
           size_t size)
{
    struct ctl_request req;
    struct ctl_error err = { 0 };
    json_t *id = NULL;
    size_t out_size;
    char *out;

    if (ctl_request_parse(line, size, &req, &id, &err) < 0) {
        out = ctl_reply_error(id, &err, &out_size);
        json_decref(id);
        return conn_queue(c, out, out_size);
    }
    json_decref(id);

    const struct ctl_method *m = NULL;
    for (size_t i = 0; i < s->n_methods; i++)
        if (strcmp(s->methods[i].name, req.method) == 0)
            m = &s->methods[i];
    if (m == NULL) {
        ctl_fail(&err, CTL_ERR_NO_METHOD, "no method \"%s\" (try \"help\")",
                 req.method);
        out = ctl_reply_error(req.id, &err, &out_size);
    } else {
        void *ctx = m->fn == builtin_help ? (void *)s : s->ctx;
        json_t *result = m->fn(ctx, req.params, &err);
        if (result == NULL) {
            if (err.code == 0)
                ctl_fail(&err, CTL_ERR_INTERNAL, "%s failed", req.method);
            out = ctl_reply_error(req.id, &err, &out_size);
        } else {
            out = ctl_reply_result(req.id, result, &out_size);
        }
    }
    ctl_request_free(&req);
    return conn_queue(c, out, out_size);
}

/* Read what is there, serve every complete line. Returns requests served,
 * or a negative errno when the connection must close. */
static int
conn_read(struct ctl_server *s, struct ctl_conn *c)
{
    int served = 0;
    for (;;) {
        if (c->in_cap - c->in_len < CTL_READ_CHUNK) {
            size_t cap = c->in_cap ? c->in_cap * 2 : CTL_READ_CHUNK * 2;
            char *grown = realloc(c->in, cap);
            if (grown == NULL)
                return -ENOMEM;
            c->in = grown;
            c->in_cap = cap;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
                         MSG_DONTWAIT);
        if (n == 0)
            return served > 0 ? served : -ECONNRESET;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -errno;
        }
        size_t scan_from = c->in_len;
        c->in_len += (size_t)n;

        size_t start = 0;
        for (size_t i = scan_from; i < c->in_len; i++) {
            if (c->in[i] != '\n')
                continue;
            if (i > start) {
                int rc = serve_line(s, c, c->in + start, i - start);
                if (rc < 0)
                    return rc;
                served++;
            }
            start = i + 1;
        }
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
        if (c->in_len > CTL_MAX_REQUEST) {
            struct ctl_error err;
            ctl_fail(&err, CTL_ERR_TOO_LARGE, "request longer than %u bytes; "
                     "split it (add-flows takes batches)", CTL_MAX_REQUEST);
            size_t size = 0;
            char *line = ctl_reply_error(NULL, &err, &size);
            conn_queue(c, line, size);
            c->closing = true;
            c->in_len = 0;
            break;
        }
    }
    return served;
}

int
ctl_server_run_once(struct ctl_server *s, int timeout_ms)
{
    struct epoll_event evs[16];
    int n = epoll_wait(s->epfd, evs, 16, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    int served = 0;
    for (int i = 0; i < n; i++) {
        struct ctl_conn *c = evs[i].data.ptr;
        if (c == NULL) {
            accept_one(s);
            continue;
        }
        int rc = 0;
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            rc = conn_read(s, c);
            if (rc > 0)
                served += rc;
        }
        if (rc >= 0 || c->out_len > 0) {
            int frc = conn_flush(s, c);
            if (rc >= 0)
                rc = frc;
        }
        if (rc < 0)
            conn_close(s, c);
    }
    return served;
}
