/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's two small primitives: the monotonic clock and the snprintf that
 * reasons are written with. A header-only leaf: the daemon's files and the
 * offload manager's include it, so none of them calls another's file for
 * the time of day or for text (both were written twice before).
 */
#ifndef SNICD_UTIL_H
#define SNICD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline uint64_t
snicd_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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
