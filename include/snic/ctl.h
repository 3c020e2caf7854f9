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
 * Bounds. A request line is at most CTL_MAX_REQUEST bytes (add-flows
 * batches fit many thousand flows); a longer line is answered with an error
 * and the connection is closed, so a client cannot make the daemon buffer
 * without limit. At most CTL_MAX_CLIENTS connections at once.
 *
 * Thread-safety
 * -------------
 * A server is driven by one thread (snicd's control thread) through
 * ctl_server_run_once(); handlers run on that thread. ctl_request_parse()
 * and the client functions are pure / per-object and safe from any thread.
 */
#ifndef SNIC_CTL_H
#define SNIC_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define CTL_MAX_REQUEST     (64u << 20)
#define CTL_MAX_CLIENTS     64u
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

struct ctl_server;

/*
 * Create the run directory (0750, group @gid if not (gid_t)-1) and listen on
 * RUNDIR/snicd.ctl (0660). A stale socket left by a dead daemon is
 * replaced; a live one (something answers) is EADDRINUSE. NULL and errno.
 * @methods is copied; "help" is built in.
 */
struct ctl_server *ctl_server_create(const char *rundir, gid_t gid,
                                     const struct ctl_method *methods,
                                     size_t n_methods, void *ctx);
void ctl_server_destroy(struct ctl_server *s);

/* The listening and client fds change; poll this epoll fd instead. */
int ctl_server_fd(const struct ctl_server *s);
const char *ctl_server_path(const struct ctl_server *s);

/* Where the server's own log lines go (refused peers): stderr until set. */
typedef void ctl_log_fn(const char *line);
void ctl_server_set_log(struct ctl_server *s, ctl_log_fn *fn);

/* Serve whatever is ready, waiting up to @timeout_ms. Returns the number of
 * requests answered, or a negative errno on a fatal error. */
int ctl_server_run_once(struct ctl_server *s, int timeout_ms);

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
 * CTL_ERR_INTERNAL and say what happened). */
json_t *ctl_client_call(struct ctl_client *c, const char *method,
                        json_t *params, int timeout_ms,
                        struct ctl_error *err);

#endif /* SNIC_CTL_H */
