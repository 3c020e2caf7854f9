/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builders and independent checksum verifiers for the datapath tests.
 * The verifiers are written here from the RFCs, not taken from the code
 * under test, so a shared mistake cannot hide.
 */
#ifndef DP_TEST_UTIL_H
#define DP_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "snic/dp.h"

#define T_MAC_A { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a }
#define T_MAC_B { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b }

static inline void
t_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint16_t
t_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 one's complement sum, not folded. */
static inline uint32_t
t_sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    return s;
}

static inline uint16_t
t_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* Does the IPv4 header at @ip check out? */
static inline int
t_ipv4_ok(const uint8_t *ip)
{
    return t_fold(t_sum(0, ip, (size_t)(ip[0] & 15) * 4)) == 0xffff;
}

/* TCP/UDP checksum over pseudo-header + segment of @len bytes, verified. */
static inline int
t_l4_ok(const uint8_t *ip, const uint8_t *l4, size_t len, uint8_t proto)
{
    uint32_t s = t_sum(0, ip + 12, 8);

    s += proto;
    s += (uint32_t)len;
    s = t_sum(s, l4, len);
    return t_fold(s) == 0xffff;
}

/* Fill the checksum fields of a fresh IPv4 packet at @ip. */
static inline void
t_ipv4_fix(uint8_t *ip)
{
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t tot = t_rd16(ip + 2);
    uint8_t proto = ip[9];
    uint8_t *l4 = ip + ihl;
    uint32_t s;

    t_wr16(ip + 10, 0);
    t_wr16(ip + 10, (uint16_t)~t_fold(t_sum(0, ip, ihl)));
    if (proto != 6 && proto != 17)
        return;
    if (proto == 6)
        t_wr16(l4 + 16, 0);
    else
        t_wr16(l4 + 6, 0);
    s = t_sum(0, ip + 12, 8) + proto + (uint32_t)(tot - ihl);
    s = t_sum(s, l4, tot - ihl);
    t_wr16(proto == 6 ? l4 + 16 : l4 + 6, (uint16_t)~t_fold(s));
}

/* Bitwise CRC32c, deliberately not table-driven. */
static inline uint32_t
t_crc32c(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ ((c & 1) ? 0x82f63b78u : 0);
    }
    return ~c;
}

/* Ethernet (+ optional tag when @tci >= 0); returns the header length. */
static inline size_t
t_eth(uint8_t *f, uint16_t type, int tci)
{
    static const uint8_t a[6] = T_MAC_A, b[6] = T_MAC_B;

    memcpy(f, b, 6);
    memcpy(f + 6, a, 6);
    if (tci >= 0) {
        t_wr16(f + 12, 0x8100);
        t_wr16(f + 14, (uint16_t)tci);
        t_wr16(f + 16, type);
        return 18;
    }
    t_wr16(f + 12, type);
    return 14;
}

/* IPv4 header (20 bytes) with @payload bytes after it. */
static inline size_t
t_ipv4(uint8_t *ip, uint8_t proto, size_t payload, const char *src,
       const char *dst)
{
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[1] = 0x2e;                   /* DSCP 11, ECN 2 */
    t_wr16(ip + 2, (uint16_t)(20 + payload));
    t_wr16(ip + 4, 0x1234);
    t_wr16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = proto;
    inet_pton(AF_INET, src, ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    return 20;
}

/* A complete Ethernet/IPv4/TCP or UDP frame with valid checksums and
 * @data payload bytes; returns its length. */
static inline size_t
t_frame_ip4(uint8_t *f, int tci, uint8_t proto, uint16_t sport,
            uint16_t dport, size_t data)
{
    size_t l2 = t_eth(f, 0x0800, tci);
    size_t l4len = proto == 6 ? 20 : proto == 132 ? 12 : 8;
    uint8_t *ip = f + l2, *l4 = ip + 20;

    t_ipv4(ip, proto, l4len + data, "10.0.0.1", "10.0.0.2");
    memset(l4, 0, l4len);
    t_wr16(l4, sport);
    t_wr16(l4 + 2, dport);
    if (proto == 6) {
        l4[12] = 0x50;
        l4[13] = 0x18;
        t_wr16(l4 + 14, 512);
    } else if (proto == 17) {
        t_wr16(l4 + 4, (uint16_t)(8 + data));
    }
    for (size_t i = 0; i < data; i++)
        l4[l4len + i] = (uint8_t)(i * 7 + 3);
    t_ipv4_fix(ip);
    if (proto == 132) {
        uint32_t crc = t_crc32c(l4, l4len + data);

        l4[8] = (uint8_t)crc;
        l4[9] = (uint8_t)(crc >> 8);
        l4[10] = (uint8_t)(crc >> 16);
        l4[11] = (uint8_t)(crc >> 24);
    }
    return l2 + 20 + l4len + data;
}

/* Ethernet/IPv6 with an L4 header of @l4len bytes (zeroed but the ports
 * and a TCP header's data offset). */
static inline size_t
t_frame_ip6(uint8_t *f, uint8_t proto, uint16_t sport, uint16_t dport,
            size_t l4len)
{
    size_t l2 = t_eth(f, 0x86dd, -1);
    uint8_t *ip = f + l2;

    memset(ip, 0, 40 + l4len);
    ip[0] = 0x6b;                   /* version 6, traffic class 0xb4 */
    ip[1] = 0x41;                   /* ... flow label 0x12345 */
    ip[2] = 0x23;
    ip[3] = 0x45;
    t_wr16(ip + 4, (uint16_t)l4len);
    ip[6] = proto;
    ip[7] = 33;
    inet_pton(AF_INET6, "2001:db8::1", ip + 8);
    inet_pton(AF_INET6, "2001:db8::2", ip + 24);
    t_wr16(ip + 40, sport);
    t_wr16(ip + 42, dport);
    if (proto == 6 && l4len >= 20)
        ip[40 + 12] = 0x50;         /* TCP data offset: 5 words */
    return l2 + 40 + l4len;
}

/* A frame in a buffer with headroom. */
struct t_pkt {
    uint8_t room[256 + 2048];
    struct dp_buf buf;
};

static inline void
t_pkt_load(struct t_pkt *p, const uint8_t *f, size_t len)
{
    memset(p->room, 0xee, sizeof(p->room));
    memcpy(p->room + 256, f, len);
    p->buf.data = p->room + 256;
    p->buf.len = len;
    p->buf.headroom = 256;
}

#endif /* DP_TEST_UTIL_H */
