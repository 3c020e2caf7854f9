/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's log: DPDK's log under the logtype "snicd", so one EAL option
 * (--log-level=snicd:debug, or a pattern such as --log-level='*:debug')
 * sets it with the PMD's and the libraries', and every line goes where
 * DPDK's go. snicd's own --log-level sets the same logtype.
 *
 * A leaf: any snicd file may include it; it includes nothing of snicd.
 */
#ifndef SNICD_LOG_H
#define SNICD_LOG_H

#include <stdbool.h>

enum snicd_log_level { SNICD_LOG_ERR, SNICD_LOG_WARN, SNICD_LOG_INFO,
                       SNICD_LOG_DEBUG };

/* Lines at @level and more severe are written from now on. */
void snicd_log_set_level(int level);
/* Would a line at @level be written? For work done only to log. */
bool snicd_log_enabled(int level);
void snicd_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* SNICD_LOG_H */
