/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builder and reference checksums for the emu_packet tests. Frames
 * are written byte by byte; checksums come from ref_sum(), a one's-complement
 * sum written apart from emu_csum so the code under test does not check
 * itself.
 */
#ifndef SNIC_TEST_PKT_BUILD_H
#define SNIC_TEST_PKT_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "emu_packet.h"

struct pkt {
    uint8_t b[FW_PKT_BUF_SIZE];
    uint32_t n;
};

extern const uint8_t MAC_A[6];
extern const uint8_t MAC_B[6];
extern const uint8_t IP6_A[16];
extern const uint8_t IP6_B[16];

#define IP4(a, b, c, d) \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
     ((uint32_t)(c) << 8) | (uint32_t)(d))

/* A frame in a card buffer, with headroom in front. */
struct tframe {
    uint8_t room[EMU_FRAME_ROOM];
    struct emu_frame f;
    struct fw_match key;
    struct emu_layout lay;
};

void put(struct pkt *p, const void *src, uint32_t n);
void put8(struct pkt *p, uint8_t v);
void put16(struct pkt *p, uint16_t v);
void put32(struct pkt *p, uint32_t v);
uint16_t get16(const uint8_t *b);
void set16(uint8_t *b, uint16_t v);
void eth(struct pkt *p, const uint8_t *dst, const uint8_t *src,
         uint16_t etype);
/* The rest of a tag whose TPID was the previous EtherType. */
void tag(struct pkt *p, uint16_t tci, uint16_t etype);
/* Lengths and checksum are filled in by fin_ipv4(). */
uint32_t ipv4(struct pkt *p, uint32_t src, uint32_t dst, uint8_t proto,
              uint8_t ttl, uint8_t tos);
uint32_t ipv6(struct pkt *p, const uint8_t *src, const uint8_t *dst,
              uint8_t nh, uint8_t hlim, uint8_t tc);
uint32_t tcp(struct pkt *p, uint16_t sport, uint16_t dport);
uint32_t udp(struct pkt *p, uint16_t sport, uint16_t dport);
uint32_t icmp(struct pkt *p, uint8_t type, uint8_t code);
void vxlan(struct pkt *p, uint32_t vni);
void payload(struct pkt *p, uint32_t n);
/* Reference one's-complement sum, written apart from emu_csum: even and
 * odd bytes summed in separate lanes, combined at the end. Returns the
 * folded sum (0xffff over data holding a correct checksum). */
uint16_t ref_sum(const uint8_t *d, uint32_t n, uint32_t start);
uint16_t ipv4_expected_csum(const uint8_t *ip);
/* Pseudo-header sum for the L4 segment [l4, end). */
uint32_t pseudo_sum(const uint8_t *d, uint32_t l3, uint32_t l4, uint32_t end,
                    uint8_t proto);
uint32_t l4_csum_off(uint8_t proto);
/* The checksum a full recomputation gives the segment [l4, end). */
uint16_t l4_expected_csum(const uint8_t *d, uint32_t l3, uint32_t l4,
                          uint32_t end, uint8_t proto);
void fin_l4(struct pkt *p, uint32_t l3, uint32_t l4, uint8_t proto);
void fin_ipv4(struct pkt *p, uint32_t l3);
void fin_ipv6(struct pkt *p, uint32_t l3);
/* Ethernet/[VLAN]/IPv4/TCP with 32 bytes of payload. */
void build_ipv4_tcp(struct pkt *p, bool tagged, uint16_t sport,
                    uint16_t dport);
void build_ipv4_udp(struct pkt *p, uint16_t sport, uint16_t dport, bool csum);
void build_ipv6_udp(struct pkt *p, uint8_t tc, uint8_t hlim);
/* Outer Ethernet/IPv4/UDP(4789)/VXLAN around Ethernet/IPv4/TCP. */
void build_vxlan_tcp(struct pkt *p, uint32_t vni);
void tf_load(struct tframe *t, const struct pkt *p, uint32_t headroom,
             uint16_t vport);
/* The frame's bookkeeping still describes the buffer exactly. */
void tf_check_room(const struct tframe *t);
/* The key a fresh parse of the frame gives must equal the one kept. */
void tf_check_key(const struct tframe *t);
bool tf_act(struct tframe *t, const struct fw_action *a);
struct fw_action action(uint16_t type);
/* Both checksums of an IPv4 or IPv6 frame equal a full recomputation. */
void check_csums(const struct tframe *t);

#endif /* SNIC_TEST_PKT_BUILD_H */
