/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's client side, for snicctl and tests: connect, send
 * one request line, read one reply line, all with deadlines.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "snic/ctl.h"

struct ctl_client {
    int fd;
    long long next_id;
    char *buf;              /* bytes past the last reply line */
    size_t len, cap;
};

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ctl_client *
ctl_client_open(const char *path, int timeout_ms)
{
    (void)timeout_ms; /* connect() on a Unix socket does not block long */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int n;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", path,
                     CTL_SOCKET_NAME);
    else
        n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (n >= (int)sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    struct ctl_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        goto err_free;
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        goto err_close;
    c->next_id = 1;
    return c;

err_close: {
        int saved = errno;
        close(c->fd);
        errno = saved;
    }
err_free: {
        int saved = errno;
        free(c);
        errno = saved;
    }
    return NULL;
}

void
ctl_client_close(struct ctl_client *c)
{
    if (c == NULL)
        return;
    close(c->fd);
    free(c->buf);
    free(c);
}

static int
send_all(int fd, const char *p, size_t size, long long deadline)
{
    while (size > 0) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            size -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        if (poll(&pfd, 1, left) < 0 && errno != EINTR)
            return -errno;
    }
    return 0;
}

/* Read until a full line is buffered; returns its length (without '\n'). */
static long
read_line(struct ctl_client *c, long long deadline)
{
    size_t scanned = 0;
    for (;;) {
        for (; scanned < c->len; scanned++)
            if (c->buf[scanned] == '\n')
                return (long)scanned;
        if (c->cap - c->len < 65536) {
            size_t cap = c->cap ? c->cap * 2 : 131072;
            char *grown = realloc(c->buf, cap);
            if (grown == NULL)
                return -ENOMEM;
            c->buf = grown;
            c->cap = cap;
        }
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        int rc = poll(&pfd, 1, left);
        if (rc < 0 && errno != EINTR)
            return -errno;
        if (rc <= 0)
            continue;
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len,
                         MSG_DONTWAIT);
        if (n == 0)
            return -ECONNRESET;
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
        if (n > 0)
            c->len += (size_t)n;
    }
}

json_t *
ctl_client_call(struct ctl_client *c, const char *method, json_t *params,
                int timeout_ms, struct ctl_error *err)
{
    long long deadline = now_ms() + timeout_ms;
    long long id = c->next_id++;
    json_t *req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
                            (json_int_t)id, "method", method, "params",
                            params != NULL ? params : json_object());
    if (req == NULL)
        return ctl_fail(err, CTL_ERR_INTERNAL, "cannot build the request");
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (text == NULL)
        return ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room for its NUL: reuse it */
    int rc = send_all(c->fd, text, n + 1, deadline);
    free(text);
    /* A daemon that refuses us answers once and closes: read that answer
     * even when the send already failed, it says why. */
    long len = read_line(c, rc < 0 ? now_ms() + 200 : deadline);
    if (rc < 0 && len < 0)
        return ctl_fail(err, CTL_ERR_TRANSPORT,
                        "cannot send to snicd: %s", strerror(-rc));
    if (len < 0)
        return ctl_fail(err, CTL_ERR_TRANSPORT, "no reply from snicd: %s",
                        len == -ECONNRESET ? "connection closed"
                                           : strerror((int)-len));
    json_error_t jerr;
    json_t *reply = json_loadb(c->buf, (size_t)len, 0, &jerr);
    memmove(c->buf, c->buf + len + 1, c->len - (size_t)len - 1);
    c->len -= (size_t)len + 1;
    if (reply == NULL)
        return ctl_fail(err, CTL_ERR_TRANSPORT, "garbled reply from snicd: %s",
                        jerr.text);

    json_t *result = NULL;
    json_t *error = json_object_get(reply, "error");
    if (error != NULL) {
        json_t *code = json_object_get(error, "code");
        json_t *msg = json_object_get(error, "message");
        ctl_fail(err, json_is_integer(code) ? (int)json_integer_value(code)
                                            : CTL_ERR_INTERNAL,
                 "%s", json_is_string(msg) ? json_string_value(msg)
                                           : "unknown error");
    } else {
        result = json_object_get(reply, "result");
        if (result == NULL)
            ctl_fail(err, CTL_ERR_INTERNAL, "reply without result or error");
        else
            json_incref(result);
    }
    json_decref(reply);
    return result;
}
