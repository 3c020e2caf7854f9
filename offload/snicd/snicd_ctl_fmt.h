/* SPDX-License-Identifier: BSD-3-Clause */
/* The read-only control methods' answers (snicd_ctl_info.c): JSON with a
 * "text" member holding what snicctl prints. */
#ifndef SNICD_CTL_FMT_H
#define SNICD_CTL_FMT_H

#include <jansson.h>

#include "snic/ctl.h"

struct snicd;

json_t *snicd_ctl_show(struct snicd *d);
json_t *snicd_ctl_capabilities(struct snicd *d);
json_t *snicd_ctl_stats(struct snicd *d);
/* NORMAL's learning table (snicd_switch.c): every entry, and a flush of
 * one port's entries (NULL: all). */
json_t *snicd_ctl_fdb_show(struct snicd *d);
json_t *snicd_ctl_fdb_flush(struct snicd *d, const char *port,
                            struct ctl_error *err)
    SNIC_REQUIRES(snic_control);
/* The connection tracker (snicd_conntrack.c): the entries of @zone (-1:
 * all) and the ct counters; a flush of them. */
json_t *snicd_ctl_conntrack_show(struct snicd *d, int zone);
json_t *snicd_ctl_conntrack_flush(struct snicd *d, int zone)
    SNIC_REQUIRES(snic_control);
/* Packets sent to CONTROLLER: the count and the last ones
 * (snicd_ctl_info.c, from the workers' rings of snicd_punt.c). */
json_t *snicd_ctl_controller_show(struct snicd *d);

/* Device facts from ethdev (snicd_port.c): driver, limits, switch domain.
 * An empty object before the EAL is up. */
json_t *snicd_port_device_json(const struct snicd *d);
/* Refresh link state and MAC of every port (snicd_port.c). */
void snicd_ports_refresh(struct snicd *d);

#endif /* SNICD_CTL_FMT_H */
