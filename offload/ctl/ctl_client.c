/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's client side, for snicctl and tests: connect, send
 * one request line, read one reply line (or several requests before
 * their replies: pipelining), all with deadlines.
 */
#include <ctype.h>
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
#include "snic_clock.h"

struct ctl_client {
    int fd;
    long long next_id;
    char *buf;              /* bytes past the last reply line */
    size_t len, cap;
};

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
        int left = (int)(deadline - snic_now_ms());
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
        int left = (int)(deadline - snic_now_ms());
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

/* Send one request line; 0 or a negative errno. */
static int
send_request(struct ctl_client *c, const char *method, json_t *params,
             long long deadline, struct ctl_error *err)
{
    long long id = c->next_id++;
    json_t *req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
                            (json_int_t)id, "method", method, "params",
                            params != NULL ? params : json_object());
    if (req == NULL) {
        ctl_fail(err, CTL_ERR_INTERNAL, "cannot build the request");
        return -EINVAL;
    }
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (text == NULL) {
        ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
        return -ENOMEM;
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps leaves room for its NUL: reuse it */
    int rc = send_all(c->fd, text, n + 1, deadline);
    free(text);
    return rc;
}

/* One reply line into its result (new reference) or NULL and @err. */
static json_t *
reply_result(const char *line, size_t len, struct ctl_error *err)
{
    json_error_t jerr;
    json_t *reply = json_loadb(line, len, 0, &jerr);
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

/* The reply line of @len bytes at the front of the buffer, taken out. */
static json_t *
take_reply(struct ctl_client *c, size_t len, struct ctl_error *err)
{
    json_t *result = reply_result(c->buf, len, err);

    memmove(c->buf, c->buf + len + 1, c->len - len - 1);
    c->len -= len + 1;
    return result;
}

json_t *
ctl_client_call(struct ctl_client *c, const char *method, json_t *params,
                int timeout_ms, struct ctl_error *err)
{
    long long deadline = snic_now_ms() + timeout_ms;
    int rc = send_request(c, method, params, deadline, err);
    if (rc == -EINVAL || rc == -ENOMEM)
        return NULL;
    /* A daemon that refuses us answers once and closes: read that answer
     * even when the send already failed, it says why. */
    long len = read_line(c, rc < 0 ? snic_now_ms() + 200 : deadline);
    if (rc < 0 && len < 0)
        return ctl_fail(err, CTL_ERR_TRANSPORT,
                        "cannot send to snicd: %s", strerror(-rc));
    if (len < 0)
        return ctl_fail(err, CTL_ERR_TRANSPORT, "no reply from snicd: %s",
                        len == -ECONNRESET ? "connection closed"
                                           : strerror((int)-len));
    return take_reply(c, (size_t)len, err);
}

int
ctl_client_send(struct ctl_client *c, const char *method, json_t *params,
                int timeout_ms, struct ctl_error *err)
{
    int rc = send_request(c, method, params, snic_now_ms() + timeout_ms,
                          err);

    if (rc < 0 && rc != -EINVAL && rc != -ENOMEM)
        ctl_fail(err, CTL_ERR_TRANSPORT, "cannot send to snicd: %s",
                 strerror(-rc));
    return rc;
}

int
ctl_client_send_text(struct ctl_client *c, const char *method,
                     const char *params, size_t len, int timeout_ms,
                     struct ctl_error *err)
{
    long long deadline = snic_now_ms() + timeout_ms;
    char head[160];
    int n, rc;

    for (const char *p = method; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
            ctl_fail(err, CTL_ERR_INTERNAL, "method '%s' is not a method "
                     "name", method);
            return -EINVAL;
        }
    n = snprintf(head, sizeof(head), "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
                 "\"method\":\"%s\",\"params\":", c->next_id, method);
    if (n < 0 || (size_t)n >= sizeof(head)) {
        ctl_fail(err, CTL_ERR_INTERNAL, "method name too long");
        return -EINVAL;
    }
    c->next_id++;
    /* three sends of one line: the daemon reads up to its '\n' */
    rc = send_all(c->fd, head, (size_t)n, deadline);
    if (rc == 0)
        rc = send_all(c->fd, params, len, deadline);
    if (rc == 0)
        rc = send_all(c->fd, "}\n", 2, deadline);
    if (rc < 0)
        ctl_fail(err, CTL_ERR_TRANSPORT, "cannot send to snicd: %s",
                 strerror(-rc));
    return rc;
}

json_t *
ctl_client_recv(struct ctl_client *c, int timeout_ms, struct ctl_error *err)
{
    long len = read_line(c, snic_now_ms() + timeout_ms);

    if (len < 0)
        return ctl_fail(err, CTL_ERR_TRANSPORT, "no reply from snicd: %s",
                        len == -ECONNRESET ? "connection closed"
                                           : strerror((int)-len));
    return take_reply(c, (size_t)len, err);
}

/*
 * A stream method's reply ({..."result":{HEAD...,"LIST":[items]}}), one
 * item at a time: the line is scanned as it arrives (depth, strings), each
 * item of the list is parsed alone and handed to @fn, and only the bytes
 * of the item under way are kept, so the client's memory does not grow
 * with the list either. Returns the result with the list empty (new
 * reference), or NULL with @err filled: an error reply, @fn's refusal
 * (its negative errno), or the transport. @timeout_ms bounds each wait for
 * more bytes, not the whole list.
 */
struct stream_scan {
    const char *list;
    size_t pos;             /* next byte of buf to look at */
    int depth;
    bool in_str, esc;
    size_t str_start;       /* of the last string at depth 2 */
    char *key;              /* that string, when it ended */
    bool in_list;           /* between the list's '[' and ']' */
    bool list_done;
    size_t tail_start;      /* with list_done: the list's ']' in buf */
    long item_start;        /* in buf, or -1 */
    char *head;             /* the line without the list's items */
    size_t head_len;
};

static int
head_add(struct stream_scan *st, const char *p, size_t n)
{
    char *h = realloc(st->head, st->head_len + n + 1);
    if (h == NULL)
        return -ENOMEM;
    memcpy(h + st->head_len, p, n);
    st->head = h;
    st->head_len += n;
    return 0;
}

/* Where each item goes: parsed (@json) or as its text (@text). */
struct stream_sink {
    int (*json)(void *ctx, json_t *item);
    int (*text)(void *ctx, const char *item, size_t size);
    void *ctx;
};

/* The next '"' or '\\' in @p[0..n), or @p + n: a string's plain bytes
 * are skipped at memchr's pace, not looked at one by one (a flow's text
 * is most of its item). */
static const char *
str_special(const char *p, size_t n)
{
    const char *q = memchr(p, '"', n);
    const char *b = memchr(p, '\\', q != NULL ? (size_t)(q - p) : n);

    return b != NULL ? b : q != NULL ? q : p + n;
}

/* Look at the bytes received; 1 at the line's end, 0 for more, -errno. */
static int
stream_scan(struct ctl_client *c, struct stream_scan *st,
            const struct stream_sink *sink, struct ctl_error *err)
{
    for (; st->pos < c->len; st->pos++) {
        char ch = c->buf[st->pos];

        if (st->in_str) {
            if (st->esc) {
                st->esc = false;
            } else if (ch != '"' && ch != '\\') {
                /* to the byte before the next one that matters */
                st->pos = (size_t)(str_special(c->buf + st->pos,
                                               c->len - st->pos)
                                   - c->buf) - 1;
            } else if (ch == '\\') {
                st->esc = true;
            } else if (ch == '"') {
                st->in_str = false;
                if (st->depth == 2 && !st->in_list) {
                    size_t n = st->pos - st->str_start - 1;
                    char *k = realloc(st->key, n + 1);
                    if (k == NULL)
                        return -ENOMEM;
                    memcpy(k, c->buf + st->str_start + 1, n);
                    k[n] = '\0';
                    st->key = k;
                }
                if (st->in_list && st->depth == 3 && st->item_start >= 0)
                    goto item_end;
            }
            continue;
        }
        switch (ch) {
        case '"':
            st->in_str = true;
            st->str_start = st->pos;
            if (st->in_list && st->depth == 3 && st->item_start < 0)
                st->item_start = (long)st->pos;
            continue;
        case '{':
        case '[':
            if (st->in_list && st->depth == 3 && st->item_start < 0)
                st->item_start = (long)st->pos;
            st->depth++;
            if (ch == '[' && st->depth == 3 && !st->list_done
                && st->key != NULL && strcmp(st->key, st->list) == 0) {
                st->in_list = true;
                if (head_add(st, c->buf, st->pos + 1) < 0)
                    return -ENOMEM;
            }
            continue;
        case '}':
        case ']':
            st->depth--;
            if (st->in_list && st->depth == 2) {
                /* the list's ']': the rest of the line joins the head */
                st->in_list = false;
                st->list_done = true;
                st->tail_start = st->pos;
                continue;
            }
            if (st->in_list && st->depth == 3 && st->item_start >= 0)
                goto item_end;
            continue;
        case '\n':
            if (st->depth == 0)
                return 1;
            continue;
        default:
            continue;
        }
item_end: {
            size_t n = st->pos + 1 - (size_t)st->item_start;
            int rc;

            if (sink->text != NULL) {
                rc = sink->text(sink->ctx, c->buf + st->item_start, n);
            } else {
                json_error_t jerr;
                json_t *item = json_loadb(c->buf + st->item_start, n, 0,
                                          &jerr);

                if (item == NULL) {
                    ctl_fail(err, CTL_ERR_TRANSPORT, "garbled item in the "
                             "reply from snicd: %s", jerr.text);
                    return -EPROTO;
                }
                rc = sink->json(sink->ctx, item);
                json_decref(item);
            }
            if (rc == -EPROTO && err->code == 0) {
                ctl_fail(err, CTL_ERR_TRANSPORT, "garbled item in the reply "
                         "from snicd");
                return rc;
            }
            if (rc < 0) {
                ctl_fail(err, CTL_ERR_INTERNAL, "%s", strerror(-rc));
                return rc;
            }
            st->item_start = -1;
        }
    }
    return 0;
}

/* Before reading more: drop what is scanned and no longer needed (items
 * handed out), once per read rather than once per item. */
static void
stream_compact(struct ctl_client *c, struct stream_scan *st)
{
    size_t keep;

    if (st->item_start >= 0)
        keep = (size_t)st->item_start;
    else if (st->list_done)
        keep = st->tail_start;
    else if (st->in_list)
        keep = st->pos;
    else
        return;         /* the head is still to be copied */
    if (keep == 0)
        return;
    memmove(c->buf, c->buf + keep, c->len - keep);
    c->len -= keep;
    st->pos -= keep;
    if (st->item_start >= 0)
        st->item_start -= (long)keep;
    if (st->list_done)
        st->tail_start -= keep;
    if (st->str_start >= keep)
        st->str_start -= keep;
}

static json_t *
stream_call(struct ctl_client *c, const char *method, json_t *params,
            const char *list, const struct stream_sink *sink, int timeout_ms,
            struct ctl_error *err)
{
    struct stream_scan st = { .list = list, .item_start = -1 };
    json_t *result = NULL;
    int rc = send_request(c, method, params, snic_now_ms() + timeout_ms, err);

    if (rc == -EINVAL || rc == -ENOMEM)
        return NULL;
    for (;;) {
        rc = stream_scan(c, &st, sink, err);
        if (rc != 0)
            break;
        stream_compact(c, &st);
        if (c->cap - c->len < 65536) {
            size_t cap = c->cap ? c->cap * 2 : 131072;
            char *grown = realloc(c->buf, cap);
            if (grown == NULL) {
                rc = -ENOMEM;
                break;
            }
            c->buf = grown;
            c->cap = cap;
        }
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        int prc = poll(&pfd, 1, timeout_ms);
        if (prc < 0 && errno != EINTR) {
            rc = -errno;
            break;
        }
        if (prc == 0) {
            rc = -ETIMEDOUT;
            break;
        }
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len,
                         MSG_DONTWAIT);
        if (n == 0) {
            rc = -ECONNRESET;
            break;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            rc = -errno;
            break;
        }
        if (n > 0)
            c->len += (size_t)n;
    }
    if (rc == 1) {
        /* the line without its items: the head, then from the ']' on */
        size_t used = st.pos + 1;

        if (st.list_done) {
            if (head_add(&st, c->buf + st.tail_start,
                         st.pos - st.tail_start) < 0) {
                ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
                goto out;
            }
            result = reply_result(st.head, st.head_len, err);
        } else {
            result = reply_result(c->buf, st.pos, err);
        }
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
    } else if (rc < 0 && err->code == 0) {
        ctl_fail(err, CTL_ERR_TRANSPORT, "%s from snicd: %s",
                 st.pos > 0 || st.head_len > 0 ? "reply cut short"
                                               : "no reply",
                 rc == -ECONNRESET ? "connection closed" : strerror(-rc));
    }
out:
    free(st.head);
    free(st.key);
    return result;
}

json_t *
ctl_client_stream(struct ctl_client *c, const char *method, json_t *params,
                  const char *list, int (*fn)(void *ctx, json_t *item),
                  void *ctx, int timeout_ms, struct ctl_error *err)
{
    const struct stream_sink sink = { .json = fn, .ctx = ctx };

    return stream_call(c, method, params, list, &sink, timeout_ms, err);
}

json_t *
ctl_client_stream_text(struct ctl_client *c, const char *method,
                       json_t *params, const char *list,
                       int (*fn)(void *ctx, const char *item, size_t size),
                       void *ctx, int timeout_ms, struct ctl_error *err)
{
    const struct stream_sink sink = { .text = fn, .ctx = ctx };

    return stream_call(c, method, params, list, &sink, timeout_ms, err);
}
