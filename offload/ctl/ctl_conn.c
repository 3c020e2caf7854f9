/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One control connection: its input and output buffers, serving one
 * request per turn, and stream replies written as the client reads them.
 * The loop that decides whose turn it is lives in ctl_server.c; nothing
 * here waits or loops over other connections.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_priv.h"

size_t
ctl_conn_out_pending(const struct ctl_conn *c)
{
    return c->out_len - c->out_off;
}

/* Read more only when nothing is waiting to be served (a pipelining client
 * waits in its socket, not in our memory), its replies are being read, and
 * a long line has the one large-request allowance. */
bool
ctl_conn_wants_input(const struct ctl_server *s, const struct ctl_conn *c)
{
    if (c->closing || c->eof || c->dead || c->have_line || c->holding)
        return false;
    if (ctl_conn_out_pending(c) >= s->lim.out_max)
        return false;
    return c->in_len < s->lim.small_in_max || s->big == NULL || s->big == c;
}

/* Was @a's stream request read before @b's? Turn first, then the order the
 * connections were accepted in: a client that opens streams one after
 * another on several connections gets them in that order. */
static bool
held_before(const struct ctl_conn *a, const struct ctl_conn *b)
{
    return a->held_turn != b->held_turn ? a->held_turn < b->held_turn
                                        : a->held_serial < b->held_serial;
}

/* May @c, holding a stream request, open it now? Each stream holds memory
 * for as long as its client takes to read it (a list of ids for
 * dump-flows), so a uid other than root has at most CTL_STREAMS_PER_UID
 * open, and all of them together CTL_MAX_STREAMS. A uid's waiting requests
 * open in the order they came: were the round robin to pick, a client
 * reading its streams in the order it asked for them could wait for the
 * one left waiting while the two it does not read yet fill up (it hung so).
 * Root is never held up by them. */
static bool
stream_turn(const struct ctl_server *s, const struct ctl_conn *c)
{
    unsigned mine = 0;

    if (c->uid == 0)
        return true;
    if (s->streams_open >= CTL_MAX_STREAMS)
        return false;
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
        const struct ctl_conn *o = s->conns[i];

        if (o == NULL || o == c || o->uid != c->uid)
            continue;
        if (o->stream != NULL)
            mine++;
        else if (o->holding && !o->dead && held_before(o, c))
            return false;
    }
    return mine < CTL_STREAMS_PER_UID;
}

bool
ctl_conn_has_work(const struct ctl_server *s, const struct ctl_conn *c)
{
    if (c->closing || c->dead || ctl_conn_out_pending(c) >= s->lim.out_max)
        return false;
    if (c->stream != NULL)
        return true;
    if (c->holding)
        return stream_turn(s, c);
    /* at the peer's end of stream an unfinished line is dropped */
    return c->have_line || c->eof;
}

static int
conn_append(struct ctl_conn *c, const char *p, size_t size)
{
    if (c->out_off > 0 && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + size > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        char *grown;

        /* slide what is left to the front before growing */
        if (c->out_off > 0) {
            memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        while (cap < c->out_len + size)
            cap *= 2;
        if (cap != c->out_cap) {
            grown = realloc(c->out, cap);
            if (grown == NULL)
                return -ENOMEM;
            c->out = grown;
            c->out_cap = cap;
        }
    }
    memcpy(c->out + c->out_len, p, size);
    c->out_len += size;
    return 0;
}

static int
conn_put(struct ctl_conn *c, const char *p, size_t size, int64_t now)
{
    if (ctl_conn_out_pending(c) == 0)
        c->stall_ms = now;
    return conn_append(c, p, size);
}

/* Queue a malloc'd line (NULL: out of memory) and free it. */
static int
conn_queue(struct ctl_conn *c, char *line, size_t size, int64_t now)
{
    int rc;

    if (line == NULL)
        return -ENOMEM;
    rc = conn_put(c, line, size, now);
    free(line);
    return rc;
}

void
ctl_conn_refuse(struct ctl_conn *c, int code, const char *fmt, ...)
{
    struct ctl_error err = { .code = code };
    size_t size = 0;
    char *line;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    line = ctl_reply_error(NULL, &err, &size);
    if (conn_queue(c, line, size, snic_now_ms()) < 0)
        c->dead = true;
    c->closing = true;
}

int
ctl_conn_flush(struct ctl_conn *c, int64_t now)
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
        c->stall_ms = now;
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
        /* a big reply's buffer goes back once it is sent */
        if (c->out_cap > (256u << 10)) {
            free(c->out);
            c->out = NULL;
            c->out_cap = 0;
        }
        if (c->closing)
            return -ECONNRESET;
    }
    return 0;
}

/* Bytes up to the first '\n' (not included) make the next line. */
static void
conn_scan(const struct ctl_server *s, struct ctl_conn *c)
{
    char *nl;

    if (c->have_line || c->scanned >= c->in_len)
        return;
    nl = memchr(c->in + c->scanned, '\n', c->in_len - c->scanned);
    if (nl == NULL) {
        c->scanned = c->in_len;
        return;
    }
    c->line_len = (size_t)(nl - c->in);
    c->have_line = true;
    c->line_turn = s->turn;
}

int
ctl_conn_fill(struct ctl_server *s, struct ctl_conn *c, int64_t now)
{
    size_t budget = CTL_READ_BUDGET;

    while (budget > 0 && ctl_conn_wants_input(s, c)) {
        size_t limit = c->in_len < s->lim.small_in_max
                           ? s->lim.small_in_max : CTL_MAX_REQUEST + 1;
        size_t want = CTL_READ_CHUNK < budget ? CTL_READ_CHUNK : budget;
        ssize_t n;

        if (c->in_len >= s->lim.small_in_max && s->big != c) {
            /* the allowance is free (wants_input said so): take it, and
             * the time to finish the line starts now */
            s->big = c;
            c->partial_ms = now;
        }
        if (limit - c->in_len < want)
            want = limit - c->in_len;
        if (c->in_cap - c->in_len < want) {
            size_t cap = c->in_cap ? c->in_cap : CTL_READ_CHUNK;
            char *grown;

            while (cap - c->in_len < want)
                cap *= 2;
            grown = realloc(c->in, cap);
            if (grown == NULL)
                return -ENOMEM;
            c->in = grown;
            c->in_cap = cap;
        }
        n = recv(c->fd, c->in + c->in_len, want, MSG_DONTWAIT);
        if (n == 0) {
            c->eof = true;
            break;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -errno;
        }
        if (c->in_len == 0)
            c->partial_ms = now;
        c->in_len += (size_t)n;
        budget -= (size_t)n;
        conn_scan(s, c);
        if (!c->have_line && c->in_len > CTL_MAX_REQUEST) {
            ctl_conn_refuse(c, CTL_ERR_TOO_LARGE, "request longer than %u "
                            "bytes; split it (add-flows takes batches)",
                            CTL_MAX_REQUEST);
            c->in_len = c->scanned = 0;
            break;
        }
    }
    return 0;
}

/* The line at the front is served: drop it, keep what follows. */
static void
conn_consume(struct ctl_server *s, struct ctl_conn *c, int64_t now)
{
    size_t used = c->line_len + 1;

    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    c->scanned = 0;
    c->have_line = false;
    c->partial_ms = c->in_len > 0 ? now : 0;
    if (s->big == c && c->in_len < s->lim.small_in_max)
        s->big = NULL;
    /* a large request's buffer goes back once it is served */
    if (c->in_cap > 2 * (size_t)s->lim.small_in_max
        && c->in_len < s->lim.small_in_max) {
        char *small = malloc(c->in_len ? c->in_len : 1);

        if (small != NULL) {
            memcpy(small, c->in, c->in_len);
            free(c->in);
            c->in = small;
            c->in_cap = c->in_len ? c->in_len : 1;
        }
    }
    conn_scan(s, c);
}

static void
stream_end(struct ctl_server *s, struct ctl_conn *c)
{
    if (c->stream == NULL)
        return;
    if (c->stream->close != NULL)
        c->stream->close(s->ctx, c->stream_state);
    c->stream = NULL;
    c->stream_state = NULL;
    free(c->text.buf);
    memset(&c->text, 0, sizeof(c->text));
    if (c->uid != 0)
        s->streams_open--;
}

/* The reply's head, up to the list's '[': the result's other members come
 * from @head (compact JSON, so '}' is its last byte). */
static int
stream_start(struct ctl_server *s, struct ctl_conn *c,
             const struct ctl_stream_method *m, struct ctl_request *req,
             int64_t now)
{
    struct ctl_error err = { 0 };
    void *state = NULL;
    json_t *head = m->open(s->ctx, req->params, &state, &err);
    char *id_text, *head_text, *line;
    size_t size;
    int rc, n;

    if (head == NULL) {
        if (err.code == 0)
            ctl_fail(&err, CTL_ERR_INTERNAL, "%s failed", m->name);
        line = ctl_reply_error(req->id, &err, &size);
        return conn_queue(c, line, size, now);
    }
    id_text = json_dumps(req->id, JSON_COMPACT | JSON_ENCODE_ANY);
    head_text = json_dumps(head, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(head);
    rc = -ENOMEM;
    if (id_text == NULL || head_text == NULL)
        goto out;
    size = strlen(id_text) + strlen(head_text) + strlen(m->list) + 64;
    line = malloc(size);
    if (line == NULL)
        goto out;
    head_text[strlen(head_text) - 1] = '\0';    /* its closing '}' */
    n = snprintf(line, size, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s%s"
                 "\"%s\":[", id_text, head_text,
                 strcmp(head_text, "{") == 0 ? "" : ",", m->list);
    rc = conn_queue(c, line, (size_t)n, now);
    if (rc == 0) {
        c->stream = m;
        c->stream_state = state;
        c->stream_first = true;
        if (c->uid != 0)
            s->streams_open++;
        state = NULL;
    }
out:
    if (state != NULL && m->close != NULL)
        m->close(s->ctx, state);
    free(id_text);
    free(head_text);
    return rc;
}

/* The end of a stream's list and reply. */
static int
stream_finish(struct ctl_server *s, struct ctl_conn *c, int64_t now)
{
    int rc = conn_put(c, "]}}\n", 4, now);

    stream_end(s, c);
    c->active_ms = now;
    return rc;
}

/* A stream method failed: the reply is cut short and the connection
 * closed (the client sees a reply that never ends, not a wrong one). */
static void
stream_fail(struct ctl_server *s, struct ctl_conn *c, int err)
{
    ctl_server_log(s, "control: %s for uid %u failed: %s; reply cut "
                   "short", c->stream->name, (unsigned)c->uid,
                   strerror(-err));
    stream_end(s, c);
    c->closing = true;
}

/* A text stream's chunk: up to CTL_STREAM_BYTES, and no more than the
 * connection may have unread. 1 when the list goes on, 0 when it ended
 * (or failed: the connection closes), negative errno. */
static int
stream_chunk(struct ctl_server *s, struct ctl_conn *c, int64_t now)
{
    struct ctl_stream_out *o = &c->text;
    size_t room = s->lim.out_max - ctl_conn_out_pending(c);
    int more, rc;

    o->len = 0;
    o->err = 0;
    o->first = c->stream_first;
    more = c->stream->write(s->ctx, c->stream_state, o,
                            room < CTL_STREAM_BYTES ? room
                                                    : CTL_STREAM_BYTES);
    if (more >= 0 && o->err < 0)
        more = o->err;
    if (more < 0) {
        stream_fail(s, c, more);
        return 0;
    }
    c->stream_first = o->first;
    if (o->len > 0 && ctl_conn_out_pending(c) == 0) {
        /* nothing unsent: the text becomes the output as it is, and the
         * output's buffer the next chunk's */
        char *buf = c->out;
        size_t cap = c->out_cap;

        c->out = o->buf;
        c->out_cap = o->cap;
        c->out_off = 0;
        c->out_len = o->len;
        c->stall_ms = now;
        o->buf = buf;
        o->cap = cap;
        rc = 0;
    } else {
        rc = o->len > 0 ? conn_put(c, o->buf, o->len, now) : 0;
    }
    /* a buffer grown for a long item goes back */
    if (o->cap > 2 * CTL_STREAM_BYTES) {
        free(o->buf);
        o->buf = NULL;
        o->cap = 0;
    }
    if (rc == 0 && more == 0)
        rc = stream_finish(s, c, now);
    return rc < 0 ? rc : more;
}

/* A text stream's turn: chunks while the socket takes each one whole, for
 * up to CTL_STREAM_TURN_NS. A reader that keeps up gets more of its list
 * per turn of the daemon's loop (whose other work then costs less per
 * item), one that does not gets a chunk, and the other connections and
 * the rest of the loop wait no longer than that. */
static int
stream_write(struct ctl_server *s, struct ctl_conn *c, int64_t now)
{
    uint64_t until = snic_now_ns() + CTL_STREAM_TURN_NS;

    for (;;) {
        int rc = stream_chunk(s, c, now);

        if (rc <= 0 || c->stream == NULL)
            return rc < 0 ? rc : 0;
        if (ctl_conn_flush(c, now) < 0) {
            c->dead = true;
            return 0;
        }
        if (ctl_conn_out_pending(c) > 0 || snic_now_ns() >= until)
            return 0;
    }
}

/* A few items, or the end of the list. */
static int
stream_step(struct ctl_server *s, struct ctl_conn *c, int64_t now)
{
    json_t *items, *v;
    size_t i;
    int more, rc = 0;

    if (c->stream->write != NULL)
        return stream_write(s, c, now);
    items = json_array();
    if (items == NULL)
        return -ENOMEM;
    more = c->stream->next(s->ctx, c->stream_state, items, CTL_STREAM_ITEMS);
    if (more < 0) {
        json_decref(items);
        stream_fail(s, c, more);
        return 0;
    }
    json_array_foreach(items, i, v) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII
                                       | JSON_ENCODE_ANY);

        if (text == NULL) {
            rc = -ENOMEM;
            break;
        }
        if (!c->stream_first)
            rc = conn_put(c, ",", 1, now);
        c->stream_first = false;
        if (rc == 0)
            rc = conn_queue(c, text, strlen(text), now);
        else
            free(text);
        if (rc < 0)
            break;
    }
    json_decref(items);
    if (rc == 0 && more == 0)
        rc = stream_finish(s, c, now);
    return rc;
}

static const struct ctl_stream_method *
find_stream(const struct ctl_server *s, const char *name)
{
    for (size_t i = 0; i < s->n_streams; i++)
        if (strcmp(s->streams[i].name, name) == 0)
            return &s->streams[i];
    return NULL;
}

/* One parsed request, read in turn @turn: a method's reply, a stream's
 * head, or held until its stream turn comes. Takes @req. */
static int
serve_request(struct ctl_server *s, struct ctl_conn *c,
              struct ctl_request *req, uint64_t turn, int64_t now)
{
    const struct ctl_stream_method *sm = find_stream(s, req->method);
    const struct ctl_method *m = NULL;
    struct ctl_error err = { 0 };
    size_t size;
    char *line;
    int rc;

    if (sm != NULL) {
        /* Another uid's requests wait in a queue, and opens in a later
         * turn: by then every line read in this turn has been parsed, so
         * the queue knows all that came before. */
        if (c->uid != 0) {
            c->held = *req;
            c->holding = true;
            c->held_turn = turn;
            c->held_serial = c->serial;
            return 0;
        }
        rc = stream_start(s, c, sm, req, now);
        ctl_request_free(req);
        return rc;
    }
    for (size_t i = 0; i < s->n_methods; i++)
        if (strcmp(s->methods[i].name, req->method) == 0)
            m = &s->methods[i];
    if (m == NULL) {
        ctl_fail(&err, CTL_ERR_NO_METHOD, "no method \"%s\" (try \"help\")",
                 req->method);
        line = ctl_reply_error(req->id, &err, &size);
    } else {
        void *ctx = m->fn == ctl_builtin_help ? (void *)s : s->ctx;
        json_t *result = m->fn(ctx, req->params, &err);

        if (result == NULL) {
            if (err.code == 0)
                ctl_fail(&err, CTL_ERR_INTERNAL, "%s failed", req->method);
            line = ctl_reply_error(req->id, &err, &size);
        } else {
            line = ctl_reply_result(req->id, result, &size);
        }
    }
    ctl_request_free(req);
    c->active_ms = now;
    return conn_queue(c, line, size, now);
}

int
ctl_conn_work(struct ctl_server *s, struct ctl_conn *c, int64_t now)
{
    struct ctl_request req;
    struct ctl_error err = { 0 };
    json_t *id = NULL;
    uint64_t turn;
    size_t size;
    char *line;
    int rc;

    if (!ctl_conn_has_work(s, c))
        return 0;
    if (c->stream != NULL)
        return stream_step(s, c, now);
    if (c->holding) {
        /* its turn (has_work said so) */
        c->holding = false;
        req = c->held;
        memset(&c->held, 0, sizeof(c->held));
        rc = stream_start(s, c, find_stream(s, req.method), &req, now);
        ctl_request_free(&req);
        return rc < 0 ? rc : 1;
    }
    if (!c->have_line) {
        /* the peer is done and everything it sent is answered */
        c->closing = true;
        return 0;
    }
    if (c->line_len == 0) {         /* blank lines are not requests */
        conn_consume(s, c, now);
        return 0;
    }
    if (ctl_request_parse(c->in, c->line_len, &req, &id, &err) < 0) {
        conn_consume(s, c, now);
        line = ctl_reply_error(id, &err, &size);
        rc = conn_queue(c, line, size, now);
        json_decref(id);
        c->active_ms = now;
        return rc < 0 ? rc : 1;
    }
    json_decref(id);
    turn = c->line_turn;
    conn_consume(s, c, now);
    rc = serve_request(s, c, &req, turn, now);
    return rc < 0 ? rc : 1;
}

void
ctl_conn_release(struct ctl_server *s, struct ctl_conn *c)
{
    stream_end(s, c);
    if (c->holding)
        ctl_request_free(&c->held);
    if (s->big == c)
        s->big = NULL;
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c->text.buf);
    free(c);
}
