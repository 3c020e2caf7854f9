/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rewrites of a frame's L3/L4 header fields, with their checksums: the
 * leaf the action executor (mod_nw_src, mod_tp_dst, dec_ttl...) and the
 * header subfields of load/move/pop (dp_hdr.c) share, so both write a
 * field the same way and neither calls the other.
 *
 * Checksums are patched incrementally (RFC 1624, HC' = ~(~HC + ~m + m')) so
 * a rewrite costs the same whatever the payload size, and a checksum that
 * was wrong stays exactly as wrong (a forwarder must not launder corrupt
 * packets). SCTP's CRC32c cannot be patched and is recomputed.
 *
 * Every rewrite first checks that its header is really in the frame: the
 * parser's prerequisites guarantee the protocol, not that the frame was not
 * cut short, and a frame from the wire is never trusted.
 */
#include <pthread.h>

#include "dp_priv.h"
#include "dp_wire.h"

/* ---- checksums ---- */

/* Patch the checksum at @sum for one 16-bit word going from @old to @new. */
void
dp_rw_csum16(uint8_t *sum, uint16_t old, uint16_t new)
{
    uint32_t s = (uint16_t)~dp_rd16(sum) + (uint32_t)(uint16_t)~old + new;

    dp_wr16(sum, (uint16_t)~dp_csum_fold(s));
}

/* Same for 4 bytes at an even offset of the summed data. */
void
dp_rw_csum32(uint8_t *sum, const uint8_t old[4], const uint8_t new[4])
{
    dp_rw_csum16(sum, dp_rd16(old), dp_rd16(new));
    dp_rw_csum16(sum, dp_rd16(old + 2), dp_rd16(new + 2));
}

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void
crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
        crc32c_table[i] = c;
    }
}

uint32_t
dp_crc32c(const void *data, size_t size)
{
    const uint8_t *p = data;
    uint32_t c = 0xffffffffu;

    pthread_once(&crc32c_once, crc32c_init);
    for (size_t i = 0; i < size; i++)
        c = crc32c_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

/* ---- L3/L4 rewrites ---- */

static bool
has_l4(const struct dp_pkt *pkt, uint8_t proto)
{
    return (pkt->layout.flags & DP_L_L4) && pkt->layout.nw_proto == proto;
}

/* SCTP's CRC32c over the packet with the checksum field zero, in the
 * byte order it is stored (RFC 4960 appendix B: low byte first). */
static void
sctp_crc(uint8_t *sctp, size_t size, uint8_t out[4])
{
    uint8_t saved[4];
    uint32_t crc;

    memcpy(saved, sctp + 8, 4);
    memset(sctp + 8, 0, 4);
    crc = dp_crc32c(sctp, size);
    memcpy(sctp + 8, saved, 4);
    out[0] = (uint8_t)crc;
    out[1] = (uint8_t)(crc >> 8);
    out[2] = (uint8_t)(crc >> 16);
    out[3] = (uint8_t)(crc >> 24);
}

/* Change @size bytes at @field of an SCTP packet. The CRC cannot be
 * patched like a sum, but it is linear: stored ^ crc(before) ^ crc(after)
 * is right when the stored one was, and exactly as wrong when it was not
 * (as for the incremental sums; Open vSwitch does the same). */
static void
sctp_write(struct dp_pkt *pkt, size_t field, const uint8_t *new,
           size_t size)
{
    uint8_t *sctp = pkt->buf.data + pkt->layout.l4_ofs;
    size_t len = pkt->layout.l4_end - pkt->layout.l4_ofs;
    uint8_t before[4], after[4];

    sctp_crc(sctp, len, before);
    memcpy(sctp + field, new, size);
    sctp_crc(sctp, len, after);
    for (int i = 0; i < 4; i++)
        sctp[8 + i] = (uint8_t)(sctp[8 + i] ^ before[i] ^ after[i]);
}

/* An IPv4 address changes: the IP header sum and the pseudo-header sums. */
void
dp_rw_ipv4_addr(struct dp_pkt *pkt, size_t field, flow_be32 addr)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;
    uint8_t *l4 = pkt->buf.data + pkt->layout.l4_ofs;
    uint8_t new[4];

    if (!(pkt->layout.flags & DP_L_IPV4))
        return;
    memcpy(new, &addr, 4);
    if (memcmp(ip + field, new, 4) == 0)
        return;
    dp_rw_csum32(ip + 10, ip + field, new);
    /* a first fragment carries the L4 checksum of the whole datagram */
    if (has_l4(pkt, DP_IPPROTO_TCP)) {
        dp_rw_csum32(l4 + 16, ip + field, new);
    } else if (has_l4(pkt, DP_IPPROTO_UDP) && dp_rd16(l4 + 6) != 0) {
        dp_rw_csum32(l4 + 6, ip + field, new);
        if (dp_rd16(l4 + 6) == 0)
            dp_wr16(l4 + 6, 0xffff);   /* 0 would mean "no checksum" */
    }
    memcpy(ip + field, new, 4);
}

void
dp_rw_tos(struct dp_pkt *pkt, uint8_t tos)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;

    if (pkt->layout.flags & DP_L_IPV4) {
        uint16_t old = dp_rd16(ip);

        ip[1] = (uint8_t)((ip[1] & 0x03) | (tos & 0xfc));
        if (dp_rd16(ip) != old)        /* 0xffff would turn into 0 */
            dp_rw_csum16(ip + 10, old, dp_rd16(ip));
    } else if (pkt->layout.flags & DP_L_IPV6) {
        /* the traffic class straddles bytes 0 and 1 */
        uint8_t tc = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);

        tc = (uint8_t)((tc & 0x03) | (tos & 0xfc));
        ip[0] = (uint8_t)((ip[0] & 0xf0) | tc >> 4);
        ip[1] = (uint8_t)((ip[1] & 0x0f) | (tc & 0x0f) << 4);
    }
}

/* mod_tp_src/dst on an ICMP or ICMPv6 packet (OpenFlow 1.0 without a
 * tcp/udp match): Open vSwitch keeps ICMP type and code in the port
 * fields, so it writes the low byte of the "port" there; so do we. */
void
dp_rw_icmp(struct dp_pkt *pkt, size_t field, flow_be16 port)
{
    uint8_t *icmp = pkt->buf.data + pkt->layout.l4_ofs;
    uint16_t old = dp_rd16(icmp);

    icmp[field == 0 ? 0 : 1] = (uint8_t)ntohs(port);
    if (dp_rd16(icmp) != old)
        dp_rw_csum16(icmp + 2, old, dp_rd16(icmp));
}

void
dp_rw_port(struct dp_pkt *pkt, size_t field, flow_be16 port)
{
    uint8_t *l4 = pkt->buf.data + pkt->layout.l4_ofs;
    uint8_t new[2];
    uint16_t old;

    /* a first fragment's ports are rewritten too (its L4 header is
     * there), as Open vSwitch does; a later fragment has none */
    if (!(pkt->layout.flags & DP_L_L4))
        return;
    if (pkt->layout.nw_proto == DP_IPPROTO_ICMP
        || pkt->layout.nw_proto == DP_IPPROTO_ICMPV6) {
        dp_rw_icmp(pkt, field, port);
        return;
    }
    memcpy(new, &port, 2);
    old = dp_rd16(l4 + field);
    if (old == dp_rd16(new))
        return;                     /* nothing changes, not even a sum */
    switch (pkt->layout.nw_proto) {
    case DP_IPPROTO_TCP:
        /* a data offset below 5 or past the segment: not a TCP header
         * one can rewrite (Open vSwitch leaves it alone too) */
        if ((size_t)(l4[12] >> 4) * 4 < 20
            || (size_t)(l4[12] >> 4) * 4
               > (size_t)(pkt->layout.l4_end - pkt->layout.l4_ofs))
            return;
        memcpy(l4 + field, new, 2);
        dp_rw_csum16(l4 + 16, old, dp_rd16(new));
        break;
    case DP_IPPROTO_UDP:
        memcpy(l4 + field, new, 2);
        /* zero: the sender computed none. IPv6 forbids that (RFC 8200
         * 8.1), but a forwarder does not repair it: Open vSwitch leaves
         * it zero too, and a patched zero would be neither 0 nor right */
        if (dp_rd16(l4 + 6) != 0) {
            dp_rw_csum16(l4 + 6, old, dp_rd16(new));
            if (dp_rd16(l4 + 6) == 0)
                dp_wr16(l4 + 6, 0xffff);
        }
        break;
    case DP_IPPROTO_SCTP:
        sctp_write(pkt, field, new, 2);
        break;
    default:
        break;
    }
}

/* mod_nw_ecn: the two low bits of the TOS / traffic class byte. */
void
dp_rw_ecn(struct dp_pkt *pkt, uint8_t ecn)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;

    if (pkt->layout.flags & DP_L_IPV4) {
        uint16_t old = dp_rd16(ip);

        ip[1] = (uint8_t)((ip[1] & 0xfc) | (ecn & 0x03));
        if (dp_rd16(ip) != old)
            dp_rw_csum16(ip + 10, old, dp_rd16(ip));
    } else if (pkt->layout.flags & DP_L_IPV6) {
        /* the traffic class's ECN bits are bits 4-5 of byte 1 */
        ip[1] = (uint8_t)((ip[1] & 0xcf) | (ecn & 0x03) << 4);
    }
}

void
dp_rw_ttl(struct dp_pkt *pkt, uint8_t ttl)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;

    if (pkt->layout.flags & DP_L_IPV4) {
        uint16_t old = dp_rd16(ip + 8);

        ip[8] = ttl;
        if (dp_rd16(ip + 8) != old)
            dp_rw_csum16(ip + 10, old, dp_rd16(ip + 8));
    } else if (pkt->layout.flags & DP_L_IPV6) {
        ip[7] = ttl;
    }
}

enum dp_act_result
dp_rw_dec_ttl(struct dp_pkt *pkt)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;

    if (pkt->layout.flags & DP_L_IP_BAD)
        return DP_ACT_DROP_TTL;     /* no TTL could be read: it is 0 */
    if (pkt->layout.flags & DP_L_IPV4) {
        uint16_t old = dp_rd16(ip + 8);

        if (ip[8] <= 1)
            return DP_ACT_DROP_TTL;
        ip[8]--;
        dp_rw_csum16(ip + 10, old, dp_rd16(ip + 8));
    } else if (pkt->layout.flags & DP_L_IPV6) {
        if (ip[7] <= 1)
            return DP_ACT_DROP_TTL;
        ip[7]--;
    }
    return DP_ACT_DONE;
}
