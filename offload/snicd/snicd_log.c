/* SPDX-License-Identifier: BSD-3-Clause */
/* snicd's log on DPDK's (see snicd_log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "snicd_log.h"

RTE_LOG_REGISTER(snicd_logtype, snicd, INFO);

static const struct {
    const char *name;
    uint32_t rte;
} levels[] = {
    [SNICD_LOG_ERR] = { "error", RTE_LOG_ERR },
    [SNICD_LOG_WARN] = { "warning", RTE_LOG_WARNING },
    [SNICD_LOG_INFO] = { "info", RTE_LOG_INFO },
    [SNICD_LOG_DEBUG] = { "debug", RTE_LOG_DEBUG },
};

static int
clamp(int level)
{
    return level < SNICD_LOG_ERR ? SNICD_LOG_ERR :
           level > SNICD_LOG_DEBUG ? SNICD_LOG_DEBUG : level;
}

void
snicd_log_set_level(int level)
{
    rte_log_set_level(snicd_logtype, levels[clamp(level)].rte);
}

/* this thread's lines go there instead of the log (snicd_log_hold) */
static _Thread_local struct snicd_log_held *held_to;

bool
snicd_log_enabled(int level)
{
    if (held_to != NULL)
        return true;            /* filtered when written */
    return rte_log_can_log(snicd_logtype, levels[clamp(level)].rte);
}

static void
write_line(int level, const char *line)
{
    if (rte_log_can_log(snicd_logtype, levels[level].rte))
        rte_log(levels[level].rte, snicd_logtype, "snicd: %s: %s\n",
                levels[level].name, line);
}

static void
hold_line(struct snicd_log_held *h, int level, const char *line)
{
    size_t n = strlen(line) + 2;

    if (h->len + n > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4096;
        char *b;

        while (cap < h->len + n)
            cap *= 2;
        b = realloc(h->buf, cap);
        if (b == NULL) {
            h->dropped++;
            return;
        }
        h->buf = b;
        h->cap = cap;
    }
    h->buf[h->len] = (char)level;
    memcpy(h->buf + h->len + 1, line, n - 1);
    h->len += n;
}

void
snicd_log(int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    level = clamp(level);
    if (held_to == NULL && !rte_log_can_log(snicd_logtype, levels[level].rte))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (held_to != NULL)
        hold_line(held_to, level, line);
    else
        write_line(level, line);
}

void
snicd_log_hold(struct snicd_log_held *h)
{
    held_to = h;
}

void
snicd_log_release(struct snicd_log_held *h)
{
    for (size_t at = 0; at < h->len; ) {
        const char *line = h->buf + at + 1;

        write_line(clamp(h->buf[at]), line);
        at += strlen(line) + 2;
    }
    if (h->dropped > 0) {
        char line[96];

        snprintf(line, sizeof(line), "%u log lines lost: out of memory",
                 h->dropped);
        write_line(SNICD_LOG_WARN, line);
    }
    free(h->buf);
    memset(h, 0, sizeof(*h));
}
