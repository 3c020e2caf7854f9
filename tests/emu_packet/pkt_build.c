/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame builder and reference checksums for the emu_packet tests. */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>

#include <criterion/criterion.h>

#include "pkt_build.h"

const uint8_t MAC_A[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
const uint8_t MAC_B[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
const uint8_t IP6_A[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
const uint8_t IP6_B[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x12,
                            [15] = 0x34 };

/* ------------------------------------------------------------------------
 * Frame builder
 * ------------------------------------------------------------------------ */

void
put(struct pkt *p, const void *src, uint32_t n)
{
    cr_assert_leq(p->n + n, sizeof(p->b));
    memcpy(p->b + p->n, src, n);
    p->n += n;
}

void
put8(struct pkt *p, uint8_t v)
{
    put(p, &v, 1);
}

void
put16(struct pkt *p, uint16_t v)
{
    put8(p, (uint8_t)(v >> 8));
    put8(p, (uint8_t)v);
}

void
put32(struct pkt *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p, (uint16_t)v);
}

uint16_t
get16(const uint8_t *b)
{
    return (uint16_t)((b[0] << 8) | b[1]);
}

void
set16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

void
eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t etype)
{
    put(p, dst, 6);
    put(p, src, 6);
    put16(p, etype);
}

/* The rest of a tag whose TPID was the previous EtherType. */
void
tag(struct pkt *p, uint16_t tci, uint16_t etype)
{
    put16(p, tci);
    put16(p, etype);
}

/* Lengths and checksum are filled in by fin_ipv4(). */
uint32_t
ipv4(struct pkt *p, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
     uint8_t tos)
{
    uint32_t off = p->n;
    put8(p, 0x45);
    put8(p, tos);
    put16(p, 0);                /* total length */
    put16(p, 0x1234);           /* id */
    put16(p, 0x4000);           /* DF */
    put8(p, ttl);
    put8(p, proto);
    put16(p, 0);                /* checksum */
    put32(p, src);
    put32(p, dst);
    return off;
}

uint32_t
ipv6(struct pkt *p, const uint8_t *src, const uint8_t *dst, uint8_t nh,
     uint8_t hlim, uint8_t tc)
{
    uint32_t off = p->n;
    put32(p, (6u << 28) | ((uint32_t)tc << 20) | 0xbeefu);
    put16(p, 0);                /* payload length */
    put8(p, nh);
    put8(p, hlim);
    put(p, src, 16);
    put(p, dst, 16);
    return off;
}

uint32_t
tcp(struct pkt *p, uint16_t sport, uint16_t dport)
{
    uint32_t off = p->n;
    put16(p, sport);
    put16(p, dport);
    put32(p, 0x01020304);       /* seq */
    put32(p, 0);                /* ack */
    put16(p, 0x5002);           /* data offset 5, SYN */
    put16(p, 0xffff);           /* window */
    put16(p, 0);                /* checksum */
    put16(p, 0);                /* urgent */
    return off;
}

uint32_t
udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
    uint32_t off = p->n;
    put16(p, sport);
    put16(p, dport);
    put16(p, 0);                /* length */
    put16(p, 0);                /* checksum */
    return off;
}

uint32_t
icmp(struct pkt *p, uint8_t type, uint8_t code)
{
    uint32_t off = p->n;
    put8(p, type);
    put8(p, code);
    put16(p, 0);
    put32(p, 0x00010002);       /* id, sequence */
    return off;
}

void
vxlan(struct pkt *p, uint32_t vni)
{
    put32(p, 0x08000000);
    put32(p, vni << 8);
}

void
payload(struct pkt *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        put8(p, (uint8_t)(i * 7 + 3));
}

/* Reference one's-complement sum, written apart from emu_csum: even and
 * odd bytes summed in separate lanes, combined at the end. Returns the
 * folded sum (0xffff over data holding a correct checksum). */
uint16_t
ref_sum(const uint8_t *d, uint32_t n, uint32_t start)
{
    uint64_t hi = 0, lo = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i % 2 == 0)
            hi += d[i];
        else
            lo += d[i];
    }
    uint64_t s = (hi << 8) + lo + start;
    while (s > 0xffff)
        s = (s >> 16) + (s & 0xffff);
    return (uint16_t)s;
}

uint16_t
ipv4_expected_csum(const uint8_t *ip)
{
    uint8_t copy[60];
    uint32_t hlen = (ip[0] & 0x0fu) * 4u;
    memcpy(copy, ip, hlen);
    set16(copy + 10, 0);
    return (uint16_t)~ref_sum(copy, hlen, 0);
}

/* Pseudo-header sum for the L4 segment [l4, end). */
uint32_t
pseudo_sum(const uint8_t *d, uint32_t l3, uint32_t l4, uint32_t end,
           uint8_t proto)
{
    uint8_t ph[40];
    uint32_t n;
    uint32_t len = end - l4;
    if ((d[l3] >> 4) == 4) {
        memcpy(ph, d + l3 + 12, 8);
        ph[8] = 0;
        ph[9] = proto;
        set16(ph + 10, (uint16_t)len);
        n = 12;
    } else {
        memcpy(ph, d + l3 + 8, 32);
        ph[32] = (uint8_t)(len >> 24);
        ph[33] = (uint8_t)(len >> 16);
        ph[34] = (uint8_t)(len >> 8);
        ph[35] = (uint8_t)len;
        ph[36] = ph[37] = ph[38] = 0;
        ph[39] = proto;
        n = 40;
    }
    return ref_sum(ph, n, 0);
}

uint32_t
l4_csum_off(uint8_t proto)
{
    return proto == 6 ? 16u : proto == 17 ? 6u : 2u;
}

/* The checksum a full recomputation gives the segment [l4, end). */
uint16_t
l4_expected_csum(const uint8_t *d, uint32_t l3, uint32_t l4, uint32_t end,
                 uint8_t proto)
{
    static uint8_t copy[FW_PKT_BUF_SIZE];
    memcpy(copy, d + l4, end - l4);
    set16(copy + l4_csum_off(proto), 0);
    bool with_pseudo = proto != 1;      /* ICMPv4 has none */
    uint16_t c = (uint16_t)~ref_sum(copy, end - l4,
                                     with_pseudo ? pseudo_sum(d, l3, l4, end,
                                                              proto) : 0);
    if (proto == 17 && c == 0)
        c = 0xffff;
    return c;
}

void
fin_l4(struct pkt *p, uint32_t l3, uint32_t l4, uint8_t proto)
{
    if (proto == 17)
        set16(p->b + l4 + 4, (uint16_t)(p->n - l4));
    set16(p->b + l4 + l4_csum_off(proto),
          l4_expected_csum(p->b, l3, l4, p->n, proto));
}

void
fin_ipv4(struct pkt *p, uint32_t l3)
{
    set16(p->b + l3 + 2, (uint16_t)(p->n - l3));
    set16(p->b + l3 + 10, ipv4_expected_csum(p->b + l3));
}

void
fin_ipv6(struct pkt *p, uint32_t l3)
{
    set16(p->b + l3 + 4, (uint16_t)(p->n - l3 - 40));
}

/* Ethernet/[VLAN]/IPv4/TCP with 32 bytes of payload. */
void
build_ipv4_tcp(struct pkt *p, bool tagged, uint16_t sport, uint16_t dport)
{
    p->n = 0;
    if (tagged) {
        eth(p, MAC_A, MAC_B, 0x8100);
        tag(p, 0x2064, 0x0800);
    } else {
        eth(p, MAC_A, MAC_B, 0x0800);
    }
    uint32_t l3 = ipv4(p, IP4(10, 0, 0, 1), IP4(192, 168, 1, 2), 6, 64, 0x10);
    uint32_t l4 = tcp(p, sport, dport);
    payload(p, 32);
    fin_l4(p, l3, l4, 6);
    fin_ipv4(p, l3);
}

void
build_ipv4_udp(struct pkt *p, uint16_t sport, uint16_t dport, bool csum)
{
    p->n = 0;
    eth(p, MAC_A, MAC_B, 0x0800);
    uint32_t l3 = ipv4(p, IP4(10, 1, 2, 3), IP4(10, 4, 5, 6), 17, 9, 0);
    uint32_t l4 = udp(p, sport, dport);
    payload(p, 21);
    fin_l4(p, l3, l4, 17);
    if (!csum)
        set16(p->b + l4 + 6, 0);
    fin_ipv4(p, l3);
}

void
build_ipv6_udp(struct pkt *p, uint8_t tc, uint8_t hlim)
{
    p->n = 0;
    eth(p, MAC_B, MAC_A, 0x86dd);
    uint32_t l3 = ipv6(p, IP6_A, IP6_B, 17, hlim, tc);
    uint32_t l4 = udp(p, 5353, 53);
    payload(p, 17);
    fin_l4(p, l3, l4, 17);
    fin_ipv6(p, l3);
}

/* Outer Ethernet/IPv4/UDP(4789)/VXLAN around Ethernet/IPv4/TCP. */
void
build_vxlan_tcp(struct pkt *p, uint32_t vni)
{
    p->n = 0;
    eth(p, MAC_B, MAC_A, 0x0800);
    uint32_t ol3 = ipv4(p, IP4(172, 16, 0, 1), IP4(172, 16, 0, 2), 17, 64, 0);
    uint32_t ol4 = udp(p, 50000, 4789);
    vxlan(p, vni);
    eth(p, MAC_A, MAC_B, 0x0800);
    uint32_t il3 = ipv4(p, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 6, 64, 0);
    uint32_t il4 = tcp(p, 1234, 80);
    payload(p, 10);
    fin_l4(p, il3, il4, 6);
    fin_ipv4(p, il3);
    set16(p->b + ol4 + 4, (uint16_t)(p->n - ol4));
    fin_ipv4(p, ol3);
}

void
tf_load(struct tframe *t, const struct pkt *p, uint32_t headroom,
        uint16_t vport)
{
    memset(t->room, 0xa5, sizeof(t->room));
    memcpy(t->room + headroom, p->b, p->n);
    t->f.data = t->room + headroom;
    t->f.len = p->n;
    t->f.headroom = headroom;
    t->f.tailroom = EMU_FRAME_ROOM - headroom - p->n;
    emu_parse(&t->f, vport, &t->key, &t->lay);
}

/* The frame's bookkeeping still describes the buffer exactly. */
void
tf_check_room(const struct tframe *t)
{
    cr_assert_eq((uint32_t)(t->f.data - t->room), t->f.headroom);
    cr_assert_eq(t->f.headroom + t->f.len + t->f.tailroom, EMU_FRAME_ROOM);
}

/* The key a fresh parse of the frame gives must equal the one kept. */
void
tf_check_key(const struct tframe *t)
{
    struct fw_match k;
    struct emu_layout l;
    emu_parse(&t->f, le16toh(t->key.src_vport), &k, &l);
    cr_assert_arr_eq(&k, &t->key, sizeof(k));
    cr_assert_arr_eq(&l, &t->lay, sizeof(l));
}

bool
tf_act(struct tframe *t, const struct fw_action *a)
{
    bool ok = emu_rewrite(&t->f, a, &t->key, &t->lay);
    tf_check_room(t);
    tf_check_key(t);
    return ok;
}

struct fw_action
action(uint16_t type)
{
    struct fw_action a;
    memset(&a, 0, sizeof(a));
    a.type = htole16(type);
    return a;
}

/* Both checksums of an IPv4 or IPv6 frame equal a full recomputation. */
void
check_csums(const struct tframe *t)
{
    const uint8_t *d = t->f.data;
    cr_assert_geq(t->lay.l3, 0);
    uint32_t l3 = (uint32_t)t->lay.l3;
    uint32_t end;
    if (t->lay.l3_kind == 4) {
        uint32_t hlen = (d[l3] & 0x0fu) * 4u;
        cr_assert_eq(emu_csum(d + l3, hlen), 0, "IPv4 header sums wrong");
        cr_assert_eq(get16(d + l3 + 10), ipv4_expected_csum(d + l3));
        end = l3 + get16(d + l3 + 2);
    } else {
        end = l3 + 40 + get16(d + l3 + 4);
    }
    if (t->lay.l4 < 0)
        return;
    uint32_t l4 = (uint32_t)t->lay.l4;
    uint8_t proto = t->lay.l4_proto;
    uint16_t field = get16(d + l4 + l4_csum_off(proto));
    if (proto == 17 && field == 0)
        return;     /* no checksum */
    cr_assert_eq(field, l4_expected_csum(d, l3, l4, end, proto),
                 "L4 checksum 0x%04x, recomputed 0x%04x", field,
                 l4_expected_csum(d, l3, l4, end, proto));
    if (proto != 1)
        cr_assert_eq((uint16_t)~ref_sum(d + l4, end - l4,
                                        pseudo_sum(d, l3, l4, end, proto)),
                     0, "L4 segment with pseudo-header does not sum to 0");
}
