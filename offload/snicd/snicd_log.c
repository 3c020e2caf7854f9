/* SPDX-License-Identifier: BSD-3-Clause */
/* snicd's log on DPDK's (see snicd_log.h). */
#include <stdarg.h>
#include <stdio.h>

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

bool
snicd_log_enabled(int level)
{
    return rte_log_can_log(snicd_logtype, levels[clamp(level)].rte);
}

void
snicd_log(int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    level = clamp(level);
    if (!rte_log_can_log(snicd_logtype, levels[level].rte))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    rte_log(levels[level].rte, snicd_logtype, "snicd: %s: %s\n",
            levels[level].name, line);
}
