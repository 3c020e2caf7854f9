/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port names the flow tests use, as snicd maps them: uplink=1, pf=2,
 * vf0..vf7=10..17, vxlan0=100. Header-only: each test file is one program.
 */
#ifndef SNIC_TESTS_FLOW_PORTS_H
#define SNIC_TESTS_FLOW_PORTS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "snic/flow.h"

static int
test_name_to_port(void *ctx, const char *name, uint32_t *port)
{
    (void)ctx;
    if (strcmp(name, "uplink") == 0)
        *port = 1;
    else if (strcmp(name, "pf") == 0)
        *port = 2;
    else if (strcmp(name, "vxlan0") == 0)
        *port = 100;
    else if (strncmp(name, "vf", 2) == 0 && name[2] >= '0' && name[2] <= '7'
             && name[3] == '\0')
        *port = 10 + (uint32_t)(name[2] - '0');
    else
        return -ENOENT;
    return 0;
}

static const char *
test_port_to_name(void *ctx, uint32_t port)
{
    static const char *const vfs[] = {
        "vf0", "vf1", "vf2", "vf3", "vf4", "vf5", "vf6", "vf7",
    };

    (void)ctx;
    if (port == 1)
        return "uplink";
    if (port == 2)
        return "pf";
    if (port == 100)
        return "vxlan0";
    if (port >= 10 && port < 18)
        return vfs[port - 10];
    return NULL;
}

static const struct flow_port_map test_ports = {
    .name_to_port = test_name_to_port,
    .port_to_name = test_port_to_name,
};

#endif /* SNIC_TESTS_FLOW_PORTS_H */
