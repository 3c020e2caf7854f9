/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The translator's two primitives: set an rte_flow_error with a formatted
 * message that outlives the call, and the card's profile name for
 * messages. A leaf: the walker (emunic_flow_xlate.c), the item and action
 * converters and their checks all call forward into it, and it calls none
 * of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_flow.h>

#include "emunic.h"

static _Thread_local char emunic_errbuf[256];

int
emunic_flow_err(struct rte_flow_error *error, int code,
                enum rte_flow_error_type type, const void *cause,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(emunic_errbuf, sizeof(emunic_errbuf), fmt, ap);
    va_end(ap);
    return rte_flow_error_set(error, code, type, cause, emunic_errbuf);
}

const char *
emunic_profile(const struct fw_caps *caps)
{
    static _Thread_local char name[FW_PROFILE_NAME_LEN + 1];

    memcpy(name, caps->profile, FW_PROFILE_NAME_LEN);
    name[FW_PROFILE_NAME_LEN] = '\0';
    return name[0] ? name : "unnamed";
}
