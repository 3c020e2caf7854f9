/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's ports as the datapath's ALL, FLOOD and NORMAL see them:
 * every port snicd has now (the uplink, the representors, plain ports,
 * vxlan0), without the ones gone, each a trunk of every VLAN unless
 * configured otherwise. Pure: no DPDK.
 */
#include <errno.h>
#include <string.h>

#include "snicd.h"

void
snicd_switch_publish(struct snicd *d)
{
    struct dp_port ports[SNICD_MAX_PORTS];
    size_t n = 0;
    int rc;

    if (d->dp == NULL)
        return;
    for (unsigned i = 0; i < d->ports.n; i++) {
        const struct snicd_port_info *p = &d->ports.v[i];

        if (d->ports.gone[i])
            continue;
        ports[n] = (struct dp_port){
            .ofport = p->ofport,
            .flags = p->no_flood ? DP_PORT_NO_FLOOD : 0,
            .vlan_mode = DP_VLAN_TRUNK,
        };
        n++;
    }
    rc = dp_set_ports(d->dp, ports, n);
    if (rc < 0)
        snicd_log(SNICD_LOG_ERR, "switch ports: %s (ALL, FLOOD and NORMAL "
                  "keep the previous set)", strerror(-rc));
}
