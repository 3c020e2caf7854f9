/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's control socket: JSON-RPC 2.0 over a local stream socket.
 *
 * What
 * ----
 * snicctl, scripts and orchestration agents drive snicd the way ovs-appctl
 * drives ovs-vswitchd: one request per line, one reply per line, each a JSON
 * object. A request is {"jsonrpc":"2.0","id":N,"method":"add-flow",
 * "params":{...}}; a reply carries either "result" or "error":{"code",
 * "message"}. Methods are registered by the daemon; this module knows none
 * of them.
 *
 * Who may talk. The socket lives in a run directory that only root and an
 * optional group can enter (0750), and the socket itself is 0660. On top of
 * the file modes, every connection's peer credentials (SO_PEERCRED) are
 * checked (include/snic/peer.h: the kernel's record taken at connect, and
 * the group database, never /proc/PID): root, the daemon's own user, or a
 * member of the configured group get in; anybody else gets one error reply,
 * is disconnected, and the refusal is logged. Nothing listens on a network
 * address.
 *
 * Bounds. No client can lock the others out or grow the daemon without
 * limit, whatever it sends or leaves unread (struct ctl_limits):
 *  - connections: CTL_MAX_CLIENTS at once, at most max_per_uid from one uid
 *    other than root, and the last root_reserve kept for root;
 *  - fairness: one request per connection per turn, connections served
 *    round robin; a long list (dump-flows) is a stream method, sent a few
 *    items per turn, so a million flows never sit in memory as one reply;
 *  - output: a connection with out_max bytes of replies unread is neither
 *    read nor served until it reads; stall_timeout_ms without reading any
 *    of them closes it;
 *  - input: a request line is at most CTL_MAX_REQUEST bytes (longer: an
 *    error reply and the connection closed); beyond small_in_max bytes a
 *    line needs the one large-request allowance, so at most one request of
 *    that size is buffered at a time; one line is read ahead at most
 *    (pipelined requests wait in the socket, not in the daemon);
 *  - time: request_timeout_ms from a line's first byte to its end,
 *    idle_timeout_ms without a request; both close the connection with an
 *    error line saying why.
 * Memory is then bounded by CTL_MAX_CLIENTS x (small_in_max + out_max + one
 * reply) + CTL_MAX_REQUEST, plus the open streams' state: at most
 * CTL_STREAMS_PER_UID per uid and CTL_MAX_STREAMS in all (root's aside);
 * a stream request over that waits its turn, and a uid's waiting requests
 * open in the order they were read (a client reading its streams in the
 * order it asked for them is never left waiting for one held back).
 *
 * Thread-safety
 * -------------
 * A server is driven by one thread (snicd's control thread) through
 * ctl_server_run_once(); handlers run on that thread. The server's
 * functions require the role snic_control (common/snic_tsa.h), so a
 * handler holds it too and may say SNIC_REQUIRES(snic_control). ctl_request_parse()
 * and the client functions are pure / per-object and safe from any thread.
 */
#ifndef SNIC_CTL_H
#define SNIC_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "snic_tsa.h"

#define CTL_MAX_REQUEST     (64u << 20)
#define CTL_MAX_CLIENTS     64u
#define CTL_MAX_STREAMS     16u     /* streams open at once, root's aside */
#define CTL_STREAMS_PER_UID 2u      /* of them for one uid; others wait */
#define CTL_DEFAULT_RUNDIR  "/run/snic"
#define CTL_SOCKET_NAME     "snicd.ctl"

/* JSON-RPC 2.0 error codes, plus snic's own in the server range. */
enum ctl_error_code {
    CTL_ERR_PARSE           = -32700,
    CTL_ERR_INVALID_REQUEST = -32600,
    CTL_ERR_NO_METHOD       = -32601,
    CTL_ERR_INVALID_PARAMS  = -32602,
    CTL_ERR_INTERNAL        = -32603,
    CTL_ERR_DENIED          = -32001, /* peer not allowed */
    CTL_ERR_TOO_LARGE       = -32002, /* request over CTL_MAX_REQUEST */
    CTL_ERR_FAILED          = -32000, /* the operation was refused */
    CTL_ERR_LIMIT           = -32003, /* too many connections */
    CTL_ERR_TIMEOUT         = -32004, /* idle, or a request never ended */
    /* client side: no usable reply (the daemon closed the connection, did
     * not answer in time, or answered garbage), so whether the request
     * was carried out is unknown */
    CTL_ERR_TRANSPORT       = -32098,
};

#define CTL_ERROR_MSG_SIZE  512u

struct ctl_error {
    int code;                       /* enum ctl_error_code */
    char message[CTL_ERROR_MSG_SIZE];
};

/* Fill @err (printf-style) and return NULL, for handlers' one-line refusals. */
json_t *ctl_fail(struct ctl_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------
 * Requests (ctl_proto.c)
 * ------------------------------------------------------------------------ */

struct ctl_request {
    json_t *id;             /* number, string or null; owned */
    char *method;           /* owned */
    json_t *params;         /* object or array, never NULL; owned */
};

/* Parse and validate one request line of @size bytes (need not be
 * NUL-terminated). Returns 0, or a negative errno with @err filled
 * (PARSE or INVALID_REQUEST) and, when the request had a usable id,
 * *@id_out set (new reference) so the error reply can carry it. */
int ctl_request_parse(const char *line, size_t size, struct ctl_request *req,
                      json_t **id_out, struct ctl_error *err);
void ctl_request_free(struct ctl_request *req);
/* The JSON value of @text[0..size) exactly as json_loadb() would read it
 * (a new reference), when it is the plain JSON clients send: objects
 * with distinct member names, arrays, strings of printable ASCII without
 * escapes, integers of up to 18 digits, true, false, null, 64 levels
 * deep at most. NULL for anything else (ctl_request_parse() then gives
 * the line to jansson, which also says what is wrong with it). */
json_t *ctl_json_plain(const char *text, size_t size);

/* Byte offset of the first byte of @s (@size bytes) that is not part of
 * well-formed UTF-8, or -1. JSON strings are UTF-8: a client checks what
 * it would send, and names what it cannot. */
long ctl_utf8_invalid_at(const char *s, size_t size);

/* One reply line, '\n'-terminated, malloc'd; NULL on ENOMEM. Steals
 * @result. */
char *ctl_reply_result(json_t *id, json_t *result, size_t *size);
char *ctl_reply_error(json_t *id, const struct ctl_error *err, size_t *size);

/* ------------------------------------------------------------------------
 * Server (ctl_server.c)
 * ------------------------------------------------------------------------ */

/* Returns the result (new reference) or NULL with @err filled. */
typedef json_t *ctl_handler_fn(void *ctx, const json_t *params,
                               struct ctl_error *err);

struct ctl_method {
    const char *name;
    ctl_handler_fn *fn;
    const char *help;       /* "add-flow FLOW: add or replace one flow" */
};

/* Where a text stream method writes its items (ctl_stream.c). */
struct ctl_stream_out;

/* Start an item (the ',' between items is the server's business). */
void ctl_stream_item(struct ctl_stream_out *o);
/* Raw JSON text, a number, a string (quoted and escaped). Errors stick
 * (out of memory): the server cuts the reply short and closes. */
void ctl_stream_put(struct ctl_stream_out *o, const char *p, size_t size);
void ctl_stream_put_u64(struct ctl_stream_out *o, uint64_t v);
void ctl_stream_put_str(struct ctl_stream_out *o, const char *s);
/* Bytes in @o so far (a write method counts from its value at the
 * call). */
size_t ctl_stream_written(const struct ctl_stream_out *o);
/* A stream's text without a server (tests): new (NULL on ENOMEM), what
 * was written so far, NUL-terminated (NULL after an error), free. */
struct ctl_stream_out *ctl_stream_out_new(void);
const char *ctl_stream_out_text(struct ctl_stream_out *o, size_t *size);
void ctl_stream_out_free(struct ctl_stream_out *o);

/* A method whose result holds a list too long to build at once (dump-flows
 * of a million flows). The reply is one line like any other,
 * {..."result":{HEAD..., "LIST":[items]}}, written as it goes: @open checks
 * the params and returns HEAD (the result's other members, an object, new
 * reference; NULL with @err filled to refuse), the server then asks @next
 * for at most @max items per turn, only as fast as the client reads. The
 * list is whatever @next finds when asked: no snapshot is promised.
 * Instead of @next, @write may give the items as JSON text: each begins
 * with ctl_stream_item() and is one whole JSON value; it writes until
 * ctl_stream_written() has grown by @max_bytes (or the list ends), with no
 * object built per item: what a list of a million flows needs to go out
 * at a million items a second. Same return values as @next. */
struct ctl_stream_method {
    const char *name;
    const char *help;
    const char *list;               /* the member holding the items */
    json_t *(*open)(void *ctx, const json_t *params, void **state,
                    struct ctl_error *err);
    /* Append up to @max items to @items: 1 more to come, 0 done, -errno
     * failed (the reply is cut short and the connection closed). */
    int (*next)(void *ctx, void *state, json_t *items, size_t max);
    void (*close)(void *ctx, void *state);
    int (*write)(void *ctx, void *state, struct ctl_stream_out *out,
                 size_t max_bytes);
};

struct ctl_limits {
    unsigned max_per_uid;           /* connections of one uid but root */
    unsigned root_reserve;          /* of CTL_MAX_CLIENTS, for root only */
    unsigned idle_timeout_ms;       /* no request under way */
    unsigned request_timeout_ms;    /* first byte of a line to its end */
    unsigned stall_timeout_ms;      /* replies waiting, none read */
    size_t out_max;                 /* unread reply bytes before pausing */
    size_t small_in_max;            /* a line longer needs the allowance */
};

/* The defaults: 16 per uid, 8 for root, idle 300 s, request 60 s, stall
 * 60 s, 256 KiB out, 1 MiB in. */
void ctl_limits_default(struct ctl_limits *l);

struct ctl_server;

/*
 * The run directory, made ready for a daemon's socket and files: created
 * 0750 if missing; an existing one must be a folder (not a symbolic link:
 * -ELOOP) that this user owns (-EPERM), and is tightened to 0750, group
 * @gid if not (gid_t)-1. Returns an open fd of the folder (O_CLOEXEC; the
 * caller closes it) or a negative errno; ctl_rundir_strerror() says why
 * in words.
 */
int ctl_rundir_prepare(const char *dir, gid_t gid);
const char *ctl_rundir_strerror(int err);

/*
 * Prepare the run directory (ctl_rundir_prepare) and listen on
 * RUNDIR/snicd.ctl (0660). A stale socket left by a dead daemon is
 * replaced; a live one (something answers) is EADDRINUSE. NULL and errno.
 * @methods is copied; "help" is built in.
 */
struct ctl_server *ctl_server_create(const char *rundir, gid_t gid,
                                     const struct ctl_method *methods,
                                     size_t n_methods, void *ctx);
void ctl_server_destroy(struct ctl_server *s)
    SNIC_REQUIRES(snic_control);

/* Add stream methods (copied) next to the methods given at create. 0 or
 * -ENOMEM. */
int ctl_server_add_streams(struct ctl_server *s,
                           const struct ctl_stream_method *m, size_t n)
    SNIC_REQUIRES(snic_control);
/* Replace the limits (tests shorten the timeouts). */
void ctl_server_set_limits(struct ctl_server *s, const struct ctl_limits *l)
    SNIC_REQUIRES(snic_control);

/* The listening and client fds change; poll this epoll fd instead. */
int ctl_server_fd(const struct ctl_server *s);
const char *ctl_server_path(const struct ctl_server *s);

/* Where the server's own log lines go (refused peers, clients closed for a
 * limit; at most one a second, with a count of those left out): stderr
 * until set. */
typedef void ctl_log_fn(const char *line);
void ctl_server_set_log(struct ctl_server *s, ctl_log_fn *fn)
    SNIC_REQUIRES(snic_control);

/* Serve whatever is ready, waiting up to @timeout_ms. Returns the number of
 * requests answered, or a negative errno on a fatal error. */
int ctl_server_run_once(struct ctl_server *s, int timeout_ms)
    SNIC_REQUIRES(snic_control);

/* ------------------------------------------------------------------------
 * Client (ctl_client.c)
 * ------------------------------------------------------------------------ */

struct ctl_client;

/* Connect to @path (a socket) or RUNDIR/snicd.ctl when @path is a
 * directory. NULL and errno. */
struct ctl_client *ctl_client_open(const char *path, int timeout_ms);
void ctl_client_close(struct ctl_client *c);

/* Call @method with @params (stolen; NULL = {}). Returns the result (new
 * reference) or NULL with @err filled (transport failures use
 * CTL_ERR_TRANSPORT and say what happened). */
json_t *ctl_client_call(struct ctl_client *c, const char *method,
                        json_t *params, int timeout_ms,
                        struct ctl_error *err);

/* Pipelining: ctl_client_send() sends a request (@params stolen) and
 * returns without its reply; ctl_client_recv() reads the next reply, in
 * the order the requests were sent (the daemon answers a connection's
 * requests one after another). 0 or a negative errno with @err; the
 * reply as ctl_client_call() returns it. */
int ctl_client_send(struct ctl_client *c, const char *method,
                    json_t *params, int timeout_ms, struct ctl_error *err);
json_t *ctl_client_recv(struct ctl_client *c, int timeout_ms,
                        struct ctl_error *err);
/* ctl_client_send() with @params already written as JSON text (@len
 * bytes, an object; not parsed here: the daemon answers what does not
 * parse with an error): a client that sends large requests (snic-bench's
 * add-flows of 1,000 lines) writes them once into its own buffer instead
 * of building jansson objects and dumping them. @method is a method name
 * (letters, digits, '-', '_'), else -EINVAL. */
int ctl_client_send_text(struct ctl_client *c, const char *method,
                         const char *params, size_t len, int timeout_ms,
                         struct ctl_error *err);

/* Call a stream method (dump-flows): each item of the result's member
 * @list goes to @fn as it arrives (a borrowed reference; @fn returns 0 or
 * a negative errno to stop), so a reply of a million items is never held
 * whole. Returns the result without the list's items (new reference), or
 * NULL with @err filled, as ctl_client_call(). @timeout_ms bounds each
 * wait for more of the reply, not the whole of it. A reply that is not a
 * stream (an error) is returned as ctl_client_call() would. */
json_t *ctl_client_stream(struct ctl_client *c, const char *method,
                          json_t *params, const char *list,
                          int (*fn)(void *ctx, json_t *item), void *ctx,
                          int timeout_ms, struct ctl_error *err);
/* A string member of a stream item: its name, and where its value lies
 * in the item's text (not NUL-terminated). */
struct ctl_member {
    const char *name;
    const char *v;
    size_t size;
};
/* The members @m[0..n) of the item text @p[0..size), found by name where
 * they lie: true when the item is a flat JSON object (strings, numbers,
 * true, false, null) in which each of them is a string whose value is
 * its own bytes (no escape; UTF-8). Else false, and the caller parses the
 * item itself: what this finds is always what a JSON parser would give
 * (offload/ctl/ctl_item.c). */
bool ctl_item_strings(const char *p, size_t size, struct ctl_member *m,
                      size_t n);
/* The same, with each item as its JSON text (@size bytes, one whole
 * value, not NUL-terminated) for a caller that reads a few members of a
 * flat object itself rather than have a JSON object built for each of a
 * million items (snicctl dump-flows). @fn returning -EPROTO says the item
 * is garbled (the call fails as a transport error). */
json_t *ctl_client_stream_text(struct ctl_client *c, const char *method,
                               json_t *params, const char *list,
                               int (*fn)(void *ctx, const char *item,
                                         size_t size),
                               void *ctx, int timeout_ms,
                               struct ctl_error *err);

#endif /* SNIC_CTL_H */
