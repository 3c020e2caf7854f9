/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsing and header rewriting for the emulated card's packet engine.
 * Pure functions over a frame in a buffer: no device state, no I/O.
 *
 * A frame lives in a buffer of EMU_FRAME_ROOM bytes with EMU_FRAME_HEADROOM
 * bytes free in front of it, so encapsulation and VLAN push never move data
 * out of bounds. Every function checks lengths: a truncated or malformed
 * frame is parsed as far as it is valid and never read past its end.
 */
#ifndef SNIC_EMU_PACKET_H
#define SNIC_EMU_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "snic/fw_abi.h"

#define EMU_FRAME_HEADROOM  128u
#define EMU_FRAME_ROOM      (EMU_FRAME_HEADROOM + FW_PKT_BUF_SIZE + 64u)

/* IP protocol numbers (IANA) the packet engine knows. */
#define EMU_PROTO_ICMP      1u
#define EMU_PROTO_TCP       6u
#define EMU_PROTO_UDP       17u
#define EMU_PROTO_IPV6_FRAG 44u
#define EMU_PROTO_ICMPV6    58u

/* A big-endian 16-bit word of a frame, at any alignment. */
static inline uint16_t
emu_rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void
emu_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

struct emu_frame {
    uint8_t *data;          /* start of the Ethernet header */
    uint32_t len;
    uint32_t headroom;      /* bytes free before data */
    uint32_t tailroom;      /* bytes free after data + len */
};

/* Offsets of parsed headers from data; -1 when absent. */
struct emu_layout {
    int16_t vlan;           /* outer 802.1Q/802.1ad tag */
    int16_t l3;             /* IPv4 or IPv6 header */
    int16_t l4;             /* TCP, UDP, ICMP or ICMPv6 header */
    int16_t vxlan;          /* VXLAN header (UDP dst 4789) */
    int16_t tcp_raw;        /* a TCP header whose data offset is unsound
                             * (l4 -1, no ports in the key): rewrites of
                             * the addresses patch its checksum all the
                             * same, as software (dp_rewrite.c) and Open
                             * vSwitch do */
    uint8_t l3_kind;        /* 0 none, 4, 6 */
    uint8_t l4_proto;       /* IPPROTO_*, 0 when none or a fragment */
};

/* Fill @key (all-zero for absent headers) for a frame entering from
 * @src_vport. */
void emu_parse(const struct emu_frame *f, uint16_t src_vport,
               struct fw_match *key, struct emu_layout *lay);

/* Does @key match @value under @mask? (value is pre-masked) */
bool emu_match(const struct fw_match *key, const struct fw_match *value,
               const struct fw_match *mask);

/*
 * Apply one header-rewrite action (PUSH_VLAN, POP_VLAN, SET_VLAN_VID,
 * SET_VLAN_PCP, VXLAN_ENCAP, VXLAN_DECAP, SET_MAC_*, SET_IPV4_*, SET_L4_*,
 * DEC_TTL, SET_IP_TOS, since ABI 1.10 PUSH_MPLS, POP_MPLS,
 * SET_MPLS_TTL, DEC_MPLS_TTL, and since 1.11 MODIFY_SET, MODIFY_COPY). IP and L4 checksums are kept correct
 * (incrementally); a write of the value a field already holds changes no
 * byte of the frame, checksums included. Re-parses @lay and @key on return. Returns false when the
 * action does not apply to this frame and the frame must be dropped
 * (DEC_TTL reaching 0, POP_VLAN on an untagged frame...). Actions whose
 * header is absent (SET_IPV4_SRC on an ARP frame) leave the frame alone
 * and return true, as OpenFlow does.
 */
bool emu_rewrite(struct emu_frame *f, const struct fw_action *act,
                 struct fw_match *key, struct emu_layout *lay);

/*
 * MODIFY_SET / MODIFY_COPY (emu_modify.c): bits of a field written, the
 * checksums patched as the whole-field rewrites patch them. An argument
 * the rule checks would refuse (the fuzzers hand any) writes nothing.
 * Always true: no frame is dropped for a write to a field it lacks.
 */
bool emu_modify(struct emu_frame *f, const struct fw_action *act,
                const struct emu_layout *lay);

/* Width in bits of enum fw_mod_field @field, 0 for none this card has. */
unsigned emu_mod_field_bits(unsigned field);

/* RFC 1624 incremental update of the 16-bit checksum at @csum_field for
 * @n_words big-endian words changing from @old to @new (emu_csum.c).
 * When @old and @new are the same bytes the field is left alone, even a
 * 0xffff that the update would turn into 0, as software leaves it. */
void emu_csum_fix(uint8_t *csum_field, const uint8_t *old, const uint8_t *new,
                  unsigned n_words);

/* The same for the frame's TCP/UDP checksum, when it has one to keep (not
 * a non-first fragment, not a UDP checksum of 0, which stays 0; a TCP
 * header with an unsound data offset has one, lay->tcp_raw). */
void emu_l4_csum_fix(const struct emu_frame *f, const struct emu_layout *lay,
                     const uint8_t *old, const uint8_t *new, unsigned n_words);

/* RFC 1071 sum helpers, exposed for tests. */
uint16_t emu_csum(const void *data, uint32_t len);

#endif /* SNIC_EMU_PACKET_H */
