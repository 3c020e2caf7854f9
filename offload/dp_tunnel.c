/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VXLAN (RFC 7348) for the software datapath: decapsulation of frames that
 * reach a local VTEP through an underlay port, and encapsulation for an
 * output to a tunnel port. IPv4 underlay only, as the flow model's
 * tun_src/tun_dst are IPv4.
 */
#include <endian.h>
#include <errno.h>

#include "dp_priv.h"
#include "dp_wire.h"
#include "snic_hash.h"

#define VXLAN_FLAG_I    0x08u       /* "the VNI is valid" */
#define OUTER_ETH       14u
#define OUTER_IP        20u
#define OUTER_UDP       8u
#define VXLAN_HDR       8u

_Static_assert(OUTER_ETH + OUTER_IP + OUTER_UDP + VXLAN_HDR
               == DP_VXLAN_OVERHEAD, "overhead");

int
dp_vxlan_decap(const struct dp_vxlan_port *ports, size_t n_ports,
               const struct flow_key *key, const struct dp_layout *lay,
               struct dp_buf *buf, struct dp_tun_md *md, uint32_t *tun_port)
{
    const struct dp_vxlan_port *port = NULL;
    const uint8_t *vx;
    size_t inner;

    if (key->dl_type != htons(DP_ETH_IPV4) || key->nw_proto != DP_IPPROTO_UDP
        || (lay->flags & (DP_L_IPV4 | DP_L_L4 | DP_L_FRAG))
           != (DP_L_IPV4 | DP_L_L4)
        || key->tp_dst != htons(DP_VXLAN_UDP_PORT))
        return 0;
    for (size_t i = 0; i < n_ports; i++) {
        const struct dp_vxlan_port *p = &ports[i];

        if (p->underlay_port != key->in_port || p->local_ip != key->nw_dst)
            continue;
        if (p->remote_ip == key->nw_src) {
            port = p;
            break;
        }
        if (p->remote_ip == 0 && port == NULL)
            port = p;
    }
    if (port == NULL)
        return 0;

    inner = (size_t)lay->l4_ofs + OUTER_UDP + VXLAN_HDR;
    if (lay->l4_end < inner + 14)
        return -EINVAL;
    vx = buf->data + lay->l4_ofs + OUTER_UDP;
    if (!(vx[0] & VXLAN_FLAG_I))
        return -EINVAL;
    md->tun_id = htobe64((uint64_t)vx[4] << 16 | (uint64_t)vx[5] << 8 | vx[6]);
    md->tun_src = key->nw_src;
    md->tun_dst = key->nw_dst;
    md->set = 0;
    *tun_port = port->ofport;
    /* the UDP payload ends where the outer IP says: outer padding goes */
    buf->len = lay->l4_end - inner;
    buf->data += inner;
    buf->headroom += inner;
    return 1;
}

uint16_t
dp_vxlan_src_port(const struct dp_buf *buf, const struct dp_layout *lay)
{
    const uint8_t *f = buf->data;
    uint64_t h = SNIC_HASH_BASIS;

    /* each piece's hash is the next one's basis */
    if (buf->len >= 14)
        h = snic_hash_bytes(f, 12, h);
    if (lay->flags & DP_L_IPV4) {
        h = snic_hash_bytes(f + lay->l3_ofs + 9, 1, h);
        h = snic_hash_bytes(f + lay->l3_ofs + 12, 8, h);
    } else if (lay->flags & DP_L_IPV6) {
        h = snic_hash_bytes(f + lay->l3_ofs + 6, 1, h);
        h = snic_hash_bytes(f + lay->l3_ofs + 8, 32, h);
    }
    if ((lay->flags & (DP_L_L4 | DP_L_FRAG)) == DP_L_L4
        && (lay->nw_proto == DP_IPPROTO_TCP || lay->nw_proto == DP_IPPROTO_UDP
            || lay->nw_proto == DP_IPPROTO_SCTP))
        h = snic_hash_bytes(f + lay->l4_ofs, 4, h);
    /* the IANA dynamic range, as Linux's udp_flow_src_port() picks */
    return (uint16_t)(49152u + h % 16384u);
}

int
dp_vxlan_encap(const struct dp_vxlan_port *port, const struct dp_tun_md *md,
               const struct dp_layout *lay, struct dp_buf *buf)
{
    flow_be32 dst, src;
    uint8_t *h, *ip, *udp, *vx;
    uint64_t vni = be64toh(md->tun_id) & 0xffffff;
    uint16_t sport;

    if (md->set & DP_TUN_SET_DST)
        dst = md->tun_dst;
    else
        dst = port->remote_ip ? port->remote_ip : md->tun_dst;
    if (dst == 0)
        return -EHOSTUNREACH;
    src = (md->set & DP_TUN_SET_SRC) ? md->tun_src : port->local_ip;
    if (buf->headroom < DP_VXLAN_OVERHEAD)
        return -ENOSPC;
    if (buf->len > UINT16_MAX - (OUTER_IP + OUTER_UDP + VXLAN_HDR))
        return -EMSGSIZE;
    sport = dp_vxlan_src_port(buf, lay);

    h = buf->data - DP_VXLAN_OVERHEAD;
    memcpy(h, port->remote_mac, 6);
    memcpy(h + 6, port->local_mac, 6);
    dp_wr16(h + 12, DP_ETH_IPV4);

    ip = h + OUTER_ETH;
    ip[0] = 0x45;
    ip[1] = 0;
    dp_wr16(ip + 2, (uint16_t)(buf->len + OUTER_IP + OUTER_UDP + VXLAN_HDR));
    dp_wr16(ip + 4, 0);
    dp_wr16(ip + 6, 0x4000);               /* DF: no fragmented tunnels */
    ip[8] = 64;
    ip[9] = DP_IPPROTO_UDP;
    dp_wr16(ip + 10, 0);
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    dp_wr16(ip + 10, dp_csum(ip, OUTER_IP, 0));

    udp = ip + OUTER_IP;
    dp_wr16(udp, sport);
    dp_wr16(udp + 2, DP_VXLAN_UDP_PORT);
    dp_wr16(udp + 4, (uint16_t)(buf->len + OUTER_UDP + VXLAN_HDR));
    dp_wr16(udp + 6, 0);                   /* optional over IPv4 (RFC 7348) */

    vx = udp + OUTER_UDP;
    memset(vx, 0, VXLAN_HDR);
    vx[0] = VXLAN_FLAG_I;
    vx[4] = (uint8_t)(vni >> 16);
    vx[5] = (uint8_t)(vni >> 8);
    vx[6] = (uint8_t)vni;

    buf->data = h;
    buf->len += DP_VXLAN_OVERHEAD;
    buf->headroom -= DP_VXLAN_OVERHEAD;
    return 0;
}
