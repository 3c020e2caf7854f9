/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch the translator tests see: the PF with four representors, as
 * `net_emunic0,representor=vf[0-3]` gives them to an application (ethdev 0
 * the uplink, 1 + N VF N's representor), and VXLAN ports over the uplink.
 * Shared by test_xlate.c and the testpmd line generator, so the lines the
 * latter prints name the ports a stock testpmd has.
 */
#ifndef XLATE_TEST_PORTS_H
#define XLATE_TEST_PORTS_H

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "snic/flow.h"
#include "snicd_xlate.h"

/* uplink = ethdev 0, vfN = ethdev 1 + N, vxlan0 = tunnel over the uplink */
static struct snicd_port_info ports[] = {
    { .ofport = 1, .ethdev = 0, .is_uplink = true, .vf = -1,
      .name = "uplink" },
    { .ofport = 2, .ethdev = 1, .vf = 0, .name = "vf0" },
    { .ofport = 3, .ethdev = 2, .vf = 1, .name = "vf1" },
    { .ofport = 4, .ethdev = 3, .vf = 2, .name = "vf2" },
    { .ofport = 5, .ethdev = 4, .vf = 3, .name = "vf3" },
    { .ofport = 100, .ethdev = UINT16_MAX, .is_tunnel = true, .vf = -1,
      .name = "vxlan0", .tun_underlay = 1,
      .tun_local_mac = { 2, 0, 0, 0, 0, 1 },
      .tun_remote_mac = { 2, 0, 0, 0, 0, 2 } },
    { .ofport = 101, .ethdev = UINT16_MAX, .is_tunnel = true, .vf = -1,
      .name = "vxlan1" },     /* no tunnel configuration */
};
#define N_PORTS (sizeof(ports) / sizeof(ports[0]))

static int
name_to_port(void *ctx, const char *name, uint32_t *port)
{
    (void)ctx;
    if (strcmp(name, "pf") == 0)
        name = "uplink";
    for (size_t i = 0; i < N_PORTS; i++)
        if (strcmp(ports[i].name, name) == 0) {
            *port = ports[i].ofport;
            return 0;
        }
    return -ENOENT;
}

static const struct flow_port_map pmap = { .name_to_port = name_to_port };

static void
xlate_test_ports_init(void)
{
    ports[5].tun_local_ip = htonl(0x0a000001);
    ports[5].tun_remote_ip = htonl(0x0a000002);
}

#endif /* XLATE_TEST_PORTS_H */
