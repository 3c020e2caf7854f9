/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel half of the translator: which packets a flow can see (frames
 * the software would decapsulate, or the others), the decap context of a
 * flow on a tunnel port, and the two kinds of rules the hardware needs
 * besides the flows' own: a context's pop rule and a tunnel port's guard.
 *
 * Why a guard: the software datapath decapsulates every VXLAN frame for the
 * local VTEP before any flow of table 0 sees it (dp_vxlan_decap). A rule of
 * group 0 that matches such a frame as it came from the wire (in_port =
 * uplink, or no in_port) would treat it differently. The guard, above
 * every flow of group 0, takes all of them away: to the pop rules' group
 * (a frame no pop rule takes then misses there and reaches the uplink's
 * representor unmarked and untouched: software decapsulates it), or
 * straight to that representor on a card that cannot decapsulate.
 *
 * The guard is a superset of what software decapsulates (it does not look
 * at the outer source, fragments or the I flag): what it takes needlessly
 * goes to software, which does the right thing, only slower. The pop rule
 * is exact on port, addresses, UDP port and VNI; what it cannot check
 * (first fragments, the I flag, a truncated inner frame) differs from
 * software only for frames no VTEP sends (docs/snicd.md).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "snicd_xlate_priv.h"

#define VXLAN_PORT  4789u

/* Can @f match a packet whose in_port is @port? */
static bool
in_port_may_be(const struct flow *f, uint32_t port)
{
    return ((f->match.value.in_port ^ port) & f->match.mask.in_port) == 0;
}

const struct snicd_port_info *
snicd_xlate_tunnel_of(const struct flow *f,
                      const struct snicd_port_info *ports, unsigned n_ports)
{
    if (f->match.mask.in_port != UINT32_MAX)
        return NULL;
    for (unsigned i = 0; i < n_ports; i++)
        if (ports[i].is_tunnel && ports[i].ofport == f->match.value.in_port)
            return &ports[i];
    return NULL;
}

unsigned
snicd_xlate_domains(const struct flow *f,
                    const struct snicd_port_info *ports, unsigned n_ports)
{
    const struct flow_key *v = &f->match.value, *m = &f->match.mask;
    unsigned d = 0;

    /* frames nobody decapsulated carry no tunnel metadata */
    if (snicd_xlate_tunnel_of(f, ports, n_ports) == NULL &&
        (v->tun_id & m->tun_id) == 0 && (v->tun_src & m->tun_src) == 0 &&
        (v->tun_dst & m->tun_dst) == 0)
        d |= SNICD_XLATE_DOM_ROOT;
    for (unsigned i = 0; i < n_ports; i++)
        if (ports[i].is_tunnel && in_port_may_be(f, ports[i].ofport))
            d |= SNICD_XLATE_DOM_TUNNEL;
    return d;
}

/* The underlay of a configured tunnel port, or NULL with the reason. */
static const struct snicd_port_info *
underlay_of(const struct snicd_port_info *tun,
            const struct snicd_port_info *ports, unsigned n_ports,
            char *why, size_t size)
{
    const struct snicd_port_info *u;

    if (tun->tun_underlay == 0 || tun->tun_local_ip == 0) {
        snprintf(why, size, "tunnel port %s has no tunnel configuration",
                 tun->name);
        return NULL;
    }
    u = snicd_xlate_port(ports, n_ports, tun->tun_underlay);
    if (u == NULL || u->is_tunnel || u->ethdev == UINT16_MAX) {
        snprintf(why, size, "tunnel port %s: its underlay port %u has no "
                 "ethdev port", tun->name, tun->tun_underlay);
        return NULL;
    }
    return u;
}

int
snicd_xlate_decap_key(const struct flow *f,
                      const struct snicd_port_info *ports, unsigned n_ports,
                      struct snicd_xlate_decap *d, char *why, size_t size)
{
    const struct flow_key *v = &f->match.value, *m = &f->match.mask;
    const struct snicd_port_info *tun =
        snicd_xlate_tunnel_of(f, ports, n_ports);

    memset(d, 0, sizeof(*d));
    if (tun == NULL) {
        snprintf(why, size, "not a flow of a tunnel port");
        return -ENOTSUP;
    }
    if (underlay_of(tun, ports, n_ports, why, size) == NULL)
        return -ENOTSUP;
    if (f->table_id != 0) {
        snprintf(why, size, "in_port=%s in table %u: hardware decapsulates "
                 "only for flows of table 0", tun->name, f->table_id);
        return -ENOTSUP;
    }
    if (m->tun_id != UINT64_MAX) {
        snprintf(why, size, "in_port=%s with tun_id %s: hardware decap needs "
                 "an exact tun_id (one pop rule per VNI)", tun->name,
                 m->tun_id == 0 ? "wildcarded" : "masked");
        return -ENOTSUP;
    }
    if (be64toh(v->tun_id) > 0xffffff) {
        snprintf(why, size, "tun_id %#llx is not a VNI (24 bits): no VXLAN "
                 "frame carries it", (unsigned long long)be64toh(v->tun_id));
        return -ENOTSUP;
    }
    d->tun_port = tun->ofport;
    d->tun_id = v->tun_id;
    d->tun_dst = tun->tun_local_ip;
    if (tun->tun_remote_ip != 0) {
        d->tun_src = tun->tun_remote_ip;
    } else if (m->tun_src == UINT32_MAX) {
        d->tun_src = v->tun_src;
    } else {
        snprintf(why, size, "in_port=%s is flow-based (no remote VTEP): "
                 "hardware decap needs an exact tun_src", tun->name);
        return -ENOTSUP;
    }
    return 0;
}

static void
ipv4_udp_items(struct snicd_xlate *x, flow_be32 src, flow_be32 dst)
{
    x->ipv4_spec.hdr.dst_addr = dst;
    x->ipv4_mask.hdr.dst_addr = UINT32_MAX;
    if (src != 0) {
        x->ipv4_spec.hdr.src_addr = src;
        x->ipv4_mask.hdr.src_addr = UINT32_MAX;
    }
    x->ipv4_spec.hdr.next_proto_id = 17;
    x->ipv4_mask.hdr.next_proto_id = 0xff;
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_IPV4, &x->ipv4_spec, &x->ipv4_mask);
    x->udp_spec.hdr.dst_port = htons(VXLAN_PORT);
    x->udp_mask.hdr.dst_port = UINT16_MAX;
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_UDP, &x->udp_spec, &x->udp_mask);
}

static void
begin(struct snicd_xlate *x, uint32_t group, uint32_t priority,
      uint16_t underlay)
{
    snicd_xl_clear(x);
    x->attr.transfer = 1;
    x->attr.group = group;
    x->attr.priority = priority;
    x->port_spec.port_id = underlay;
    x->port_mask.port_id = UINT16_MAX;
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, &x->port_spec,
                  &x->port_mask);
}

static void
end(struct snicd_xlate *x)
{
    snicd_xl_end(x);
    x->refusal = SNICD_XLATE_OK;
    x->reason[0] = '\0';
}

int
snicd_xlate_pop(const struct snicd_xlate_decap *d,
                const struct snicd_port_info *ports, unsigned n_ports,
                uint32_t mark, struct snicd_xlate *x)
{
    const struct snicd_port_info *tun = snicd_xlate_port(ports, n_ports,
                                                         d->tun_port);
    const struct snicd_port_info *u;
    uint32_t vni = (uint32_t)be64toh(d->tun_id);
    char why[SNICD_REASON_SIZE];

    if (tun == NULL || !tun->is_tunnel)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH, "port %u is not "
                               "a tunnel port", d->tun_port);
    u = underlay_of(tun, ports, n_ports, why, sizeof(why));
    if (u == NULL)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH, "%s", why);
    begin(x, SNICD_XLATE_POP_GROUP, 0, u->ethdev);
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_ETH, &x->eth_spec, &x->eth_mask);
    ipv4_udp_items(x, d->tun_src, d->tun_dst);
    x->vxlan_spec.vni[0] = (uint8_t)(vni >> 16);
    x->vxlan_spec.vni[1] = (uint8_t)(vni >> 8);
    x->vxlan_spec.vni[2] = (uint8_t)vni;
    memset(x->vxlan_mask.vni, 0xff, sizeof(x->vxlan_mask.vni));
    snicd_xl_item(x, RTE_FLOW_ITEM_TYPE_VXLAN, &x->vxlan_spec,
                  &x->vxlan_mask);
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_COUNT, true);
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_MARK, true)->mark.id = mark;
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_VXLAN_DECAP, false);
    snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_JUMP, true)->jump.group =
        d->group;
    x->uses_mark = true;
    end(x);
    return 0;
}

int
snicd_xlate_guard(const struct snicd_port_info *tun,
                  const struct snicd_port_info *ports, unsigned n_ports,
                  uint32_t priority, uint32_t jump_group,
                  struct snicd_xlate *x)
{
    const struct snicd_port_info *u;
    char why[SNICD_REASON_SIZE];

    u = underlay_of(tun, ports, n_ports, why, sizeof(why));
    if (u == NULL)
        return snicd_xl_refuse(x, SNICD_XLATE_REFUSED_MATCH, "%s", why);
    begin(x, 0, priority, u->ethdev);
    /* no outer source: a flow-based port takes any, and a frame from an
     * unknown VTEP is software's to judge (it goes there unmarked) */
    ipv4_udp_items(x, 0, tun->tun_local_ip);
    if (jump_group == SNICD_XLATE_NO_GROUP)
        snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR, true)
            ->ethdev.port_id = u->ethdev;
    else
        snicd_xl_action(x, RTE_FLOW_ACTION_TYPE_JUMP, true)->jump.group =
            jump_group;
    end(x);
    return 0;
}

bool
snicd_xlate_vxlan_class(const struct snicd_port_info *tun,
                        struct flow_match *m)
{
    memset(m, 0, sizeof(*m));
    if (!tun->is_tunnel || tun->tun_underlay == 0 || tun->tun_local_ip == 0)
        return false;
    m->value.in_port = tun->tun_underlay;
    m->mask.in_port = UINT32_MAX;
    m->value.dl_type = htons(0x0800);
    m->mask.dl_type = UINT16_MAX;
    m->value.nw_proto = 17;
    m->mask.nw_proto = 0xff;
    m->value.nw_dst = tun->tun_local_ip;
    m->mask.nw_dst = UINT32_MAX;
    m->value.tp_dst = htons(VXLAN_PORT);
    m->mask.tp_dst = UINT16_MAX;
    return true;
}
