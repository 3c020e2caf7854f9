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

/* Lines a thread keeps instead of writing them: a thread that works
 * while the EAL is being set up (snicd_main.c's journal replay) must not
 * touch DPDK's log, whose stream and levels rte_eal_init sets meanwhile.
 * Zero-initialised by its owner. */
struct snicd_log_held {
    char *buf;              /* lines, each its level's byte then the text
                             * and a NUL */
    size_t len, cap;
    unsigned dropped;       /* lines lost for want of memory */
};

/* The calling thread's lines go to @h from now on (every level: they are
 * filtered when written), or to the log again with NULL. */
void snicd_log_hold(struct snicd_log_held *h);
/* Writes @h's lines as snicd_log() would have, in order, and empties
 * @h. Not on a thread that holds its lines. */
void snicd_log_release(struct snicd_log_held *h);

#endif /* SNICD_LOG_H */
