/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header fields as subfields in the datapath: what load, move, push, pop
 * and output:FIELD read from and write to a frame's headers
 * (load:0xa000001->OXM_OF_IPV4_DST[], move:NXM_OF_ETH_SRC[]->
 * NXM_OF_ETH_DST[], pop:OXM_OF_ARP_THA[]).
 *
 * A read is the field as the packet's key would have it now (the frame
 * extracted again: a header the frame lacks or has cut short reads 0,
 * ICMP's type and code are where Open vSwitch keeps them), so a move
 * after a rewrite sees the rewrite, as in Open vSwitch. A write changes
 * the bits of its mask and writes the whole field as the matching mod_*
 * action does (dp_rewrite.c: checksums patched, a frame without the
 * header left alone); the fields no mod_* action has (ARP's, IPv6
 * addresses) are written here, Neighbor Discovery's in dp_nd.c.
 */
#include <string.h>

#include "dp_priv.h"
#include "dp_wire.h"

#define ARP_SHA     8u      /* offsets in an Ethernet/IPv4 ARP body */
#define ARP_SPA     14u
#define ARP_THA     18u
#define ARP_TPA     24u

static uint64_t
rd_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void
wr_be(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
be_of(const void *p, unsigned n)
{
    return rd_be(p, n);
}

void
dp_hdr_get(const struct dp_pkt *pkt, unsigned field, uint64_t v[2])
{
    const uint8_t *l3;
    struct flow_key k;
    struct dp_layout lay;

    v[0] = v[1] = 0;
    if (field == FLOW_FIELD_IN_PORT) {
        /* OpenFlow 1.0's 16 bits: LOCAL is 0xfffe */
        v[0] = pkt->in_port & 0xffffu;
        return;
    }
    if (field == FLOW_FIELD_IN_PORT_OXM) {
        v[0] = pkt->in_port;
        return;
    }
    if (field >= FLOW_FIELD_ND_TARGET && field <= FLOW_FIELD_ND_TLL) {
        dp_nd_get(pkt, field, v);
        return;
    }
    memset(&k, 0, sizeof(k));
    dp_extract_pkt(pkt, &k, &lay);
    dp_extract_frag_ports(pkt->buf.data, &lay, &k);
    l3 = pkt->buf.data + lay.l3_ofs;
    switch (field) {
    case FLOW_FIELD_ETH_SRC:
        v[0] = be_of(k.dl_src, 6);
        break;
    case FLOW_FIELD_ETH_DST:
        v[0] = be_of(k.dl_dst, 6);
        break;
    case FLOW_FIELD_ETH_TYPE:
        v[0] = be_of(&k.dl_type, 2);
        break;
    case FLOW_FIELD_VLAN_TCI:
        v[0] = be_of(&k.vlan_tci, 2);
        break;
    case FLOW_FIELD_VLAN_VID:
        v[0] = be_of(&k.vlan_tci, 2) & FLOW_VLAN_VID_MASK;
        break;
    case FLOW_FIELD_VLAN_PCP:
        v[0] = be_of(&k.vlan_tci, 2) >> FLOW_VLAN_PCP_SHIFT & 7u;
        break;
    case FLOW_FIELD_IP_SRC:
    case FLOW_FIELD_ARP_SPA:
        v[0] = be_of(&k.nw_src, 4);
        break;
    case FLOW_FIELD_IP_DST:
    case FLOW_FIELD_ARP_TPA:
        v[0] = be_of(&k.nw_dst, 4);
        break;
    case FLOW_FIELD_IP_PROTO:
    case FLOW_FIELD_ARP_OP:
        v[0] = k.nw_proto;
        break;
    case FLOW_FIELD_TCP_SRC:
    case FLOW_FIELD_UDP_SRC:
    case FLOW_FIELD_SCTP_SRC:
    case FLOW_FIELD_ICMP_TYPE:
    case FLOW_FIELD_ICMPV6_TYPE:
        v[0] = be_of(&k.tp_src, 2);
        break;
    case FLOW_FIELD_TCP_DST:
    case FLOW_FIELD_UDP_DST:
    case FLOW_FIELD_SCTP_DST:
    case FLOW_FIELD_ICMP_CODE:
    case FLOW_FIELD_ICMPV6_CODE:
        v[0] = be_of(&k.tp_dst, 2);
        break;
    case FLOW_FIELD_IP_TOS:
        v[0] = k.nw_tos & 0xfcu;
        break;
    case FLOW_FIELD_IP_DSCP:
        v[0] = k.nw_tos >> 2;
        break;
    case FLOW_FIELD_IP_ECN:
        v[0] = k.nw_tos & 0x03u;
        break;
    case FLOW_FIELD_IP_TTL:
        v[0] = k.nw_ttl;
        break;
    case FLOW_FIELD_ARP_SHA:
    case FLOW_FIELD_ARP_THA:
        if (lay.flags & DP_L_ARP)
            v[0] = rd_be(l3 + (field == FLOW_FIELD_ARP_SHA ? ARP_SHA
                                                           : ARP_THA), 6);
        break;
    case FLOW_FIELD_IPV6_SRC:
    case FLOW_FIELD_IPV6_DST: {
        const uint8_t *a = field == FLOW_FIELD_IPV6_SRC ? k.ipv6_src
                                                        : k.ipv6_dst;

        v[1] = rd_be(a, 8);
        v[0] = rd_be(a + 8, 8);
        break;
    }
    default:
        break;
    }
}

/* Does the IPv6 header chain before the L4 header hold a routing header
 * with segments left? Open vSwitch then patches no L4 checksum for an
 * address (it stops looking for the L4 protocol there), so neither do
 * we: the destination is not the final one anyway. */
static bool
routing_pending(const struct dp_pkt *pkt)
{
    const uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;
    size_t at = pkt->layout.l3_ofs + 40, end = pkt->layout.l4_ofs;
    uint8_t next = ip[6];

    while (at + 8 <= end) {
        const uint8_t *h = pkt->buf.data + at;

        if (next == 43 && h[3] > 0)
            return true;
        if (next == 0 || next == 43 || next == 60)
            at += ((size_t)h[1] + 1) * 8;
        else if (next == 51)
            at += ((size_t)h[1] + 2) * 4;
        else if (next == 44)
            at += 8;
        else
            break;
        next = h[0];
    }
    return false;
}

/* An IPv6 address changes: the L4 checksums over the pseudo-header (a UDP
 * checksum of 0 stays 0, as for IPv4). */
static void
set_ipv6_addr(struct dp_pkt *pkt, size_t field, const uint8_t new[16])
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;
    uint8_t *l4 = pkt->buf.data + pkt->layout.l4_ofs;
    uint8_t *sum = NULL;

    if (!(pkt->layout.flags & DP_L_IPV6) || memcmp(ip + field, new, 16) == 0)
        return;
    if (!(pkt->layout.flags & DP_L_L4) && ip[6] == DP_IPPROTO_ICMPV6
        && pkt->layout.l3_ofs + 44u <= pkt->buf.len
        && dp_rd16(ip + 4) >= 4) {
        /* an ICMPv6 header of 4 to 7 bytes is no header to the key, but
         * Open vSwitch patches its checksum all the same */
        sum = ip + 42;
    } else if ((pkt->layout.flags & DP_L_L4) && !routing_pending(pkt)) {
        if (pkt->layout.nw_proto == DP_IPPROTO_TCP)
            sum = l4 + 16;
        else if (pkt->layout.nw_proto == DP_IPPROTO_UDP
                 && dp_rd16(l4 + 6) != 0)
            sum = l4 + 6;
        else if (pkt->layout.nw_proto == DP_IPPROTO_ICMPV6)
            sum = l4 + 2;
    }
    if (sum != NULL) {
        for (unsigned i = 0; i < 16; i += 4)
            dp_rw_csum32(sum, ip + field + i, new + i);
        if (pkt->layout.nw_proto == DP_IPPROTO_UDP && dp_rd16(sum) == 0)
            dp_wr16(sum, 0xffff);
    }
    memcpy(ip + field, new, 16);
}

/* The outer tag's TCI bits under @mask become @bits', as mod_vlan_vid
 * and mod_vlan_pcp write them (dp_actions.c), with DEI as Open vSwitch
 * leaves it (dp_tci_write()). The CFI bit itself is never written: the
 * parser takes a write there only from a load that sets it, onto a tag
 * the flow promises; an untagged frame is left alone. */
static void
set_tci(struct dp_pkt *pkt, uint16_t mask, uint16_t bits)
{
    uint16_t old;

    mask &= (uint16_t)~FLOW_VLAN_CFI;
    if (!dp_tagged(pkt))
        return;
    old = dp_rd16(pkt->buf.data + 14);
    dp_tci_write(pkt, (uint16_t)((old & ~mask) | (bits & mask)));
}

/* A port (or ICMP type/code) @field as the frame's L4 header has it,
 * when it has one; any other field is left as it is. */
static void
raw_l4(const struct dp_pkt *pkt, unsigned field, uint64_t v[2])
{
    const uint8_t *l4 = pkt->buf.data + pkt->layout.l4_ofs;
    bool icmp = field >= FLOW_FIELD_ICMP_TYPE;
    bool src = field == FLOW_FIELD_TCP_SRC || field == FLOW_FIELD_UDP_SRC
               || field == FLOW_FIELD_SCTP_SRC
               || field == FLOW_FIELD_ICMP_TYPE
               || field == FLOW_FIELD_ICMPV6_TYPE;

    switch (field) {
    case FLOW_FIELD_TCP_SRC: case FLOW_FIELD_TCP_DST:
    case FLOW_FIELD_UDP_SRC: case FLOW_FIELD_UDP_DST:
    case FLOW_FIELD_SCTP_SRC: case FLOW_FIELD_SCTP_DST:
    case FLOW_FIELD_ICMP_TYPE: case FLOW_FIELD_ICMP_CODE:
    case FLOW_FIELD_ICMPV6_TYPE: case FLOW_FIELD_ICMPV6_CODE:
        break;
    default:
        return;
    }
    if (!(pkt->layout.flags & DP_L_L4))
        return;
    v[0] = icmp ? l4[src ? 0 : 1] : dp_rd16(l4 + (src ? 0 : 2));
}

void
dp_hdr_set(struct dp_pkt *pkt, unsigned field, const uint64_t v[2],
           const uint64_t mask[2])
{
    uint8_t *l3 = pkt->buf.data + pkt->layout.l3_ofs;
    uint64_t old[2], nv[2];

    if (field == FLOW_FIELD_IN_PORT) {
        uint32_t p = (uint32_t)(((pkt->in_port & 0xffffu) & ~mask[0])
                                | (v[0] & mask[0])) & 0xffffu;

        /* OpenFlow 1.0's reserved numbers are 1.3's 0xffffffxx */
        pkt->in_port = p >= 0xff00u ? 0xffff0000u | p : p;
        return;
    }
    if (field == FLOW_FIELD_IN_PORT_OXM) {
        pkt->in_port = (uint32_t)((pkt->in_port & ~mask[0])
                                  | (v[0] & mask[0]));
        return;
    }
    /* no Ethernet header (after decap): nothing of it to write */
    if (no_eth(pkt)
        && (field == FLOW_FIELD_ETH_SRC || field == FLOW_FIELD_ETH_DST
            || field == FLOW_FIELD_VLAN_TCI || field == FLOW_FIELD_VLAN_VID
            || field == FLOW_FIELD_VLAN_PCP))
        return;
    if (field == FLOW_FIELD_VLAN_TCI || field == FLOW_FIELD_VLAN_VID) {
        set_tci(pkt, (uint16_t)mask[0], (uint16_t)v[0]);
        return;
    }
    if (field >= FLOW_FIELD_ND_TARGET && field <= FLOW_FIELD_ND_TLL) {
        dp_nd_set(pkt, field, v, mask);
        return;
    }
    if (field == FLOW_FIELD_VLAN_PCP) {
        set_tci(pkt, (uint16_t)((mask[0] & 7u) << FLOW_VLAN_PCP_SHIFT),
                (uint16_t)((v[0] & 7u) << FLOW_VLAN_PCP_SHIFT));
        return;
    }
    dp_hdr_get(pkt, field, old);
    /* a first fragment reads no ports (as Open vSwitch's tables see it),
     * but its L4 header is there: the bits outside the mask are the
     * frame's, as Open vSwitch's masked set keeps them */
    raw_l4(pkt, field, old);
    nv[0] = (old[0] & ~mask[0]) | (v[0] & mask[0]);
    nv[1] = (old[1] & ~mask[1]) | (v[1] & mask[1]);
    switch (field) {
    case FLOW_FIELD_ETH_SRC:
        if (pkt->buf.len >= 12)
            wr_be(pkt->buf.data + 6, 6, nv[0]);
        break;
    case FLOW_FIELD_ETH_DST:
        if (pkt->buf.len >= 6)
            wr_be(pkt->buf.data, 6, nv[0]);
        break;
    case FLOW_FIELD_IP_SRC:
    case FLOW_FIELD_IP_DST: {
        uint8_t b[4];
        flow_be32 a;

        wr_be(b, 4, nv[0]);
        memcpy(&a, b, 4);
        dp_rw_ipv4_addr(pkt, field == FLOW_FIELD_IP_SRC ? 12 : 16, a);
        break;
    }
    case FLOW_FIELD_TCP_SRC:
    case FLOW_FIELD_UDP_SRC:
    case FLOW_FIELD_SCTP_SRC:
    case FLOW_FIELD_TCP_DST:
    case FLOW_FIELD_UDP_DST:
    case FLOW_FIELD_SCTP_DST:
    case FLOW_FIELD_ICMP_TYPE:
    case FLOW_FIELD_ICMPV6_TYPE:
    case FLOW_FIELD_ICMP_CODE:
    case FLOW_FIELD_ICMPV6_CODE: {
        bool src = field == FLOW_FIELD_TCP_SRC || field == FLOW_FIELD_UDP_SRC
                   || field == FLOW_FIELD_SCTP_SRC
                   || field == FLOW_FIELD_ICMP_TYPE
                   || field == FLOW_FIELD_ICMPV6_TYPE;
        uint8_t b[2];
        flow_be16 p;

        wr_be(b, 2, nv[0]);
        memcpy(&p, b, 2);
        /* ICMP's type and code go where mod_tp_* puts them */
        dp_rw_port(pkt, src ? 0 : 2, p);
        break;
    }
    case FLOW_FIELD_IP_TOS:
        dp_rw_tos(pkt, (uint8_t)nv[0]);
        break;
    case FLOW_FIELD_IP_DSCP:
        dp_rw_tos(pkt, (uint8_t)(nv[0] << 2));
        break;
    case FLOW_FIELD_IP_ECN:
        dp_rw_ecn(pkt, (uint8_t)nv[0]);
        break;
    case FLOW_FIELD_IP_TTL:
        dp_rw_ttl(pkt, (uint8_t)nv[0]);
        break;
    case FLOW_FIELD_ARP_OP: {
        /* Open vSwitch keeps the opcode in 8 bits (a larger one reads as
         * 0) and writes a change of them as a masked set of the frame's
         * low byte: an unchanged value leaves the frame alone, and the
         * high byte and the bits outside the mask stay the frame's */
        uint8_t m = (uint8_t)mask[0];

        if ((pkt->layout.flags & DP_L_ARP) && ((nv[0] ^ old[0]) & m) != 0)
            l3[7] = (uint8_t)((l3[7] & ~m) | (nv[0] & m));
        break;
    }
    case FLOW_FIELD_ARP_SPA:
    case FLOW_FIELD_ARP_TPA:
        if (pkt->layout.flags & DP_L_ARP)
            wr_be(l3 + (field == FLOW_FIELD_ARP_SPA ? ARP_SPA : ARP_TPA), 4,
                  nv[0]);
        break;
    case FLOW_FIELD_ARP_SHA:
    case FLOW_FIELD_ARP_THA:
        if (pkt->layout.flags & DP_L_ARP)
            wr_be(l3 + (field == FLOW_FIELD_ARP_SHA ? ARP_SHA : ARP_THA), 6,
                  nv[0]);
        break;
    case FLOW_FIELD_IPV6_SRC:
    case FLOW_FIELD_IPV6_DST: {
        uint8_t a[16];

        wr_be(a, 8, nv[1]);
        wr_be(a + 8, 8, nv[0]);
        set_ipv6_addr(pkt, field == FLOW_FIELD_IPV6_SRC ? 8 : 24, a);
        break;
    }
    default:
        /* read-only (eth_type, nw_proto): the parser refuses writes to
         * them */
        break;
    }
}
