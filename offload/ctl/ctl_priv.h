/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the control socket's server (ctl_server.c: sockets, accept,
 * the loop and its limits; ctl_conn.c: one connection's buffers, requests
 * and streams). Who owns what: the server owns its connections; a
 * connection owns its buffers, a request waiting for a stream slot, and an
 * open stream's state (closed through the method's close).
 */
#ifndef SNIC_CTL_PRIV_H
#define SNIC_CTL_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "snic/ctl.h"
#include "snic_clock.h"

#define CTL_READ_CHUNK      65536u
#define CTL_READ_BUDGET     (256u << 10)    /* per connection per turn */
#define CTL_STREAM_ITEMS    64u             /* per stream per turn */
#define CTL_STREAM_BYTES    (64u << 10)     /* a text stream's chunk */
#define CTL_STREAM_TURN_NS  1000000u        /* its chunks in one turn, at
                                             * most (ctl_conn.c) */

/* What a text stream method writes into (ctl_stream.c); the connection
 * keeps it between turns, so its buffer is allocated once. */
struct ctl_stream_out {
    char *buf;
    size_t len, cap;
    bool first;                 /* no item written yet: no ',' before */
    int err;                    /* sticky: -ENOMEM */
};
#define CTL_ACCEPT_BUDGET   16u             /* per turn */

struct ctl_conn {
    int fd;
    uid_t uid;
    pid_t pid;
    unsigned slot;              /* index in the server's conns[] */
    char *in;                   /* received, not yet served */
    size_t in_len, in_cap;
    size_t scanned;             /* in[0..scanned) holds no '\n' */
    size_t line_len;            /* with have_line: in[0..line_len) */
    bool have_line;
    uint64_t line_turn;         /* with have_line: the turn it was read in */
    uint64_t serial;            /* accept order */
    char *out;                  /* reply bytes not yet taken by the socket */
    size_t out_len, out_off, out_cap;
    bool closing;               /* close once out is flushed */
    bool eof;                   /* the peer sends no more */
    bool dead;                  /* close at the end of this turn */
    uint32_t events;            /* epoll interest now set */
    int64_t active_ms;          /* accepted, or last request answered */
    int64_t partial_ms;         /* first byte of the unfinished line; 0 */
    int64_t stall_ms;           /* out waiting without progress since */
    const struct ctl_stream_method *stream;     /* open stream, or NULL */
    void *stream_state;
    bool stream_first;          /* no item sent yet */
    struct ctl_stream_out text; /* a text stream's buffer, reused */
    struct ctl_request held;    /* a stream request waiting for a slot */
    bool holding;
    uint64_t held_turn, held_serial;    /* its place in the queue */
};

struct ctl_server {
    int epfd;
    int listen_fd;
    int dirfd;                  /* the run folder, checked once */
    gid_t gid;
    char rundir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct ctl_method *methods;
    size_t n_methods;
    struct ctl_stream_method *streams;
    size_t n_streams;
    void *ctx;
    ctl_log_fn *log;
    int64_t log_ms;             /* last line logged (rate limit) */
    unsigned log_dropped;       /* lines left out since */
    struct ctl_limits lim;
    struct ctl_conn *conns[CTL_MAX_CLIENTS];
    unsigned n_conns;
    unsigned rr;                /* slot served first next turn */
    uint64_t turn;              /* turns run so far */
    uint64_t accepted;          /* connections accepted so far */
    struct ctl_conn *big;       /* holds the large-request allowance */
    unsigned streams_open;
};

/* ctl_base.c (leaf): the log (at most a line a second), the built-in
 * help method; the clock is snic_now_ms() (common/snic_clock.h) */
void ctl_server_log(struct ctl_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
json_t *ctl_builtin_help(void *ctx, const json_t *params,
                         struct ctl_error *err);

/* ctl_conn.c */
bool ctl_conn_wants_input(const struct ctl_server *s,
                          const struct ctl_conn *c);
bool ctl_conn_has_work(const struct ctl_server *s, const struct ctl_conn *c);
size_t ctl_conn_out_pending(const struct ctl_conn *c);
int ctl_conn_fill(struct ctl_server *s, struct ctl_conn *c, int64_t now);
int ctl_conn_work(struct ctl_server *s, struct ctl_conn *c, int64_t now);
int ctl_conn_flush(struct ctl_conn *c, int64_t now);
/* Queue one error line (id null) and close once it is sent. */
void ctl_conn_refuse(struct ctl_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ctl_conn_release(struct ctl_server *s, struct ctl_conn *c);

#endif /* SNIC_CTL_PRIV_H */
