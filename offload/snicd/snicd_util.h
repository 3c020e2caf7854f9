/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's small primitives: the snprintf that reasons are written with,
 * and the monotonic clock every process shares (common/snic_clock.h,
 * snic_now_ns()). A header-only leaf: the daemon's files and the offload
 * manager's include it, so none of them calls another's file for the time
 * of day or for text.
 */
#ifndef SNICD_UTIL_H
#define SNICD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "snic_clock.h"

/* snprintf for reasons: a long device message is cut, which is fine. */
static inline void __attribute__((format(printf, 3, 4)))
snicd_say(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

#endif /* SNICD_UTIL_H */
