/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port names and OpenFlow numbers (docs/snicd.md, "Ports and names"). Pure:
 * snicd_port.c feeds it what ethdev discovery found; flows are parsed and
 * printed through the map it makes. The numbering is fixed by the port's
 * role, not by discovery order, so a flow file stays valid across
 * restarts and hotplug: uplink 1, VF N's representor 2 + N, vxlan0 100,
 * the patch pairs 300 and 301, 302 and 303...
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd.h"

static int
ports_append(struct snicd_ports *p, const struct snicd_port_info *pi)
{
    if (p->n >= SNICD_MAX_PORTS)
        return -ENOSPC;
    for (unsigned i = 0; i < p->n; i++)
        if (p->v[i].ofport == pi->ofport)
            return -EEXIST;
    p->v[p->n] = *pi;
    p->gone[p->n] = false;
    p->link_up[p->n] = false;
    p->mac[p->n][0] = '\0';
    p->n++;
    return 0;
}

int
snicd_ports_add_ethdev(struct snicd_ports *p, uint16_t ethdev,
                       bool is_uplink, int vf)
{
    struct snicd_port_info pi = { .ethdev = ethdev, .vf = -1 };

    if (is_uplink) {
        pi.ofport = SNICD_OFPORT_UPLINK;
        pi.is_uplink = true;
        snprintf(pi.name, sizeof(pi.name), "uplink");
    } else {
        /* VF numbers must stay below the tunnel port's number */
        if (vf < 0 || vf >= (int)(SNICD_OFPORT_VXLAN - SNICD_OFPORT_VF_BASE))
            return -EINVAL;
        pi.ofport = SNICD_OFPORT_VF_BASE + (uint32_t)vf;
        pi.vf = vf;
        snprintf(pi.name, sizeof(pi.name), "vf%d", vf);
    }
    return ports_append(p, &pi);
}

int
snicd_ports_add_plain(struct snicd_ports *p, uint16_t ethdev)
{
    struct snicd_port_info pi = { .ethdev = ethdev, .vf = -1 };
    unsigned n = 0;

    for (unsigned i = 0; i < p->n; i++)
        if (p->v[i].ofport >= SNICD_OFPORT_PLAIN_BASE)
            n++;
    if (SNICD_OFPORT_PLAIN_BASE + n >= SNICD_OFPORT_TABLE)
        return -ENOSPC;
    pi.ofport = SNICD_OFPORT_PLAIN_BASE + n;
    snprintf(pi.name, sizeof(pi.name), "p%u", n);
    return ports_append(p, &pi);
}

int
snicd_ports_add_local(struct snicd_ports *p, uint16_t ethdev)
{
    struct snicd_port_info pi = { .ofport = FLOW_PORT_LOCAL, .ethdev = ethdev,
                                  .vf = -1, .name = "LOCAL" };

    return ports_append(p, &pi);
}

int
snicd_ports_add_tunnel(struct snicd_ports *p, const struct dp_vxlan_port *vx)
{
    struct snicd_port_info pi = {
        .ofport = SNICD_OFPORT_VXLAN, .ethdev = UINT16_MAX,
        .is_tunnel = true, .vf = -1, .name = "vxlan0",
        .tun_underlay = vx->underlay_port, .tun_local_ip = vx->local_ip,
        .tun_remote_ip = vx->remote_ip,
    };

    memcpy(pi.tun_local_mac, vx->local_mac, 6);
    memcpy(pi.tun_remote_mac, vx->remote_mac, 6);
    return ports_append(p, &pi);
}

int
snicd_ports_add_patch(struct snicd_ports *p, unsigned i, const char *name,
                      const char *peer)
{
    struct snicd_port_info a = { .ethdev = UINT16_MAX, .is_patch = true,
                                 .vf = -1 };
    struct snicd_port_info b = a;
    uint32_t dummy;
    int rc;

    if (snicd_ports_lookup(p, name, &dummy) == 0
        || snicd_ports_lookup(p, peer, &dummy) == 0)
        return -EEXIST;
    if (p->n + 2 > SNICD_MAX_PORTS)
        return -ENOSPC;
    a.ofport = SNICD_OFPORT_PATCH_BASE + 2 * i;
    b.ofport = a.ofport + 1;
    a.peer = b.ofport;
    b.peer = a.ofport;
    snprintf(a.name, sizeof(a.name), "%s", name);
    snprintf(b.name, sizeof(b.name), "%s", peer);
    rc = ports_append(p, &a);
    if (rc == 0 && (rc = ports_append(p, &b)) < 0)
        p->n--;
    return rc;
}

const struct snicd_port_info *
snicd_ports_by_ofport(const struct snicd_ports *p, uint32_t ofport)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->v[i].ofport == ofport)
            return &p->v[i];
    return NULL;
}

const struct snicd_port_info *
snicd_ports_by_ethdev(const struct snicd_ports *p, uint16_t ethdev)
{
    for (unsigned i = 0; i < p->n; i++)
        if (!snicd_port_is_logical(&p->v[i]) && p->v[i].ethdev == ethdev)
            return &p->v[i];
    return NULL;
}

int
snicd_ports_lookup(const struct snicd_ports *p, const char *name,
                   uint32_t *ofport)
{
    if (strcmp(name, "pf") == 0)
        name = "uplink";
    for (unsigned i = 0; i < p->n; i++)
        if (strcmp(p->v[i].name, name) == 0) {
            *ofport = p->v[i].ofport;
            return 0;
        }
    return -ENOENT;
}

static int
map_name_to_port(void *ctx, const char *name, uint32_t *port)
{
    return snicd_ports_lookup(ctx, name, port);
}

static const char *
map_port_to_name(void *ctx, uint32_t port)
{
    const struct snicd_port_info *pi = snicd_ports_by_ofport(ctx, port);

    return pi != NULL ? pi->name : NULL;
}

void
snicd_ports_flow_map(const struct snicd_ports *p, struct flow_port_map *map)
{
    map->name_to_port = map_name_to_port;
    map->port_to_name = map_port_to_name;
    map->ctx = (void *)p;
}

/* The number at the end of @s after an optional "vf" (mlx5 also writes
 * "c0pf0vf3"), or -1. */
static int
trailing_vf(const char *s)
{
    const char *end = s + strlen(s);
    const char *d = end;
    const char *vf;
    long v;

    while (d > s && isdigit((unsigned char)d[-1]))
        d--;
    if (d == end || end - d > 4)
        return -1;
    v = strtol(d, NULL, 10);
    /* a representor of something else (sf, pf) is not a VF */
    vf = strstr(s, "vf");
    if (vf == NULL && (strstr(s, "sf") != NULL || strstr(s, "pf") != NULL))
        return -1;
    return (int)v;
}

int
snicd_port_vf_from_name(const char *ethdev_name, int switch_port)
{
    const char *r = ethdev_name != NULL ? strstr(ethdev_name, "representor")
                                        : NULL;

    if (r != NULL) {
        int vf = trailing_vf(r + strlen("representor"));

        if (vf >= 0)
            return vf;
    }
    return switch_port >= 1 ? switch_port - 1 : -1;
}
