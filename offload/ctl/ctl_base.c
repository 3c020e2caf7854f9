/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control server's primitives: its clock, its rate-limited log and
 * the built-in "help" method. A leaf: the loop (ctl_server.c) and the
 * connections it serves (ctl_conn.c) both call forward into it, so the
 * connections never call back into the loop's file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl_priv.h"

/* At most one line a second: a client refused in a loop must not fill the
 * daemon's log. The next line says how many were left out. */
void
ctl_server_log(struct ctl_server *s, const char *fmt, ...)
{
    char line[CTL_ERROR_MSG_SIZE + 128];
    int64_t now = snic_now_ms();
    size_t n;
    va_list ap;

    if (s->log_ms != 0 && now - s->log_ms < 1000) {
        s->log_dropped++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    n = strlen(line);
    if (s->log_dropped > 0)
        snprintf(line + n, sizeof(line) - n, " (%u similar lines left out)",
                 s->log_dropped);
    s->log_ms = now;
    s->log_dropped = 0;
    if (s->log != NULL)
        s->log(line);
    else
        fprintf(stderr, "%s\n", line);
}

json_t *
ctl_builtin_help(void *ctx, const json_t *params, struct ctl_error *err)
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
    for (size_t i = 0; i < s->n_streams; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "method",
                                              s->streams[i].name, "help",
                                              s->streams[i].help
                                                  ? s->streams[i].help : ""));
    return list;
}
