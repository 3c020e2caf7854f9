/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes to part of a header field (ABI 1.11, FW_ACT_MODIFY_SET and
 * FW_ACT_MODIFY_COPY; docs/firmware-abi.md section 6.6).
 *
 * Every field is described as a bit range inside a "container": whole
 * bytes of one header, starting at an even offset of that header and of
 * an even length, so that the very bytes saved before the write and read
 * after it are the 16-bit words a checksum adds up. Bit 0 of a field is
 * `pad` bits above the container's last bit, and bits count towards the
 * container's first byte. A write then patches the checksums the field's
 * header is under exactly as the whole-field rewrites of emu_rewrite.c do
 * (emu_csum.c): the IPv4 header checksum for IPv4 fields, the TCP/UDP
 * checksum for the ports and, through the pseudo-header, the addresses.
 */
#include <endian.h>
#include <string.h>

#include "emu_packet.h"

enum mod_hdr { H_ETH, H_VLAN, H_IPV4, H_IPV6, H_TCP, H_UDP };

#define CS_IP4  1u      /* under the IPv4 header checksum */
#define CS_L4   2u      /* under the TCP/UDP (and ICMPv6) checksum */

#define CONT_MAX 16u

struct mod_field {
    uint8_t hdr;        /* enum mod_hdr */
    uint8_t ofs;        /* container's offset in that header (even) */
    uint8_t size;       /* container bytes (even, <= CONT_MAX) */
    uint8_t pad;        /* container bits below the field's bit 0 */
    uint8_t bits;       /* field width; 0: no such field */
    uint8_t csum;       /* CS_* */
};

static const struct mod_field mod_fields[FW_MOD_COUNT_] = {
    [FW_MOD_ETH_DST]      = { H_ETH,  0,  6, 0, 48, 0 },
    [FW_MOD_ETH_SRC]      = { H_ETH,  6,  6, 0, 48, 0 },
    /* the TCI after the TPID; PCP and DEI stay */
    [FW_MOD_VLAN_VID]     = { H_VLAN, 2,  2, 0, 12, 0 },
    /* the word of version/IHL and TOS: DSCP is TOS's upper six bits */
    [FW_MOD_IPV4_DSCP]    = { H_IPV4, 0,  2, 2,  6, CS_IP4 },
    /* the word of TTL and protocol */
    [FW_MOD_IPV4_TTL]     = { H_IPV4, 8,  2, 8,  8, CS_IP4 },
    [FW_MOD_IPV4_SRC]     = { H_IPV4, 12, 4, 0, 32, CS_IP4 | CS_L4 },
    [FW_MOD_IPV4_DST]     = { H_IPV4, 16, 4, 0, 32, CS_IP4 | CS_L4 },
    /* version, traffic class, the flow label's top: DSCP is the traffic
     * class's upper six bits, bits 6..11 of the first word */
    [FW_MOD_IPV6_DSCP]    = { H_IPV6, 0,  2, 6,  6, 0 },
    /* the word of next header and hop limit */
    [FW_MOD_IPV6_HOPLIMIT] = { H_IPV6, 6, 2, 0,  8, 0 },
    [FW_MOD_IPV6_SRC]     = { H_IPV6, 8,  16, 0, 128, CS_L4 },
    [FW_MOD_IPV6_DST]     = { H_IPV6, 24, 16, 0, 128, CS_L4 },
    [FW_MOD_TCP_SRC]      = { H_TCP,  0,  2, 0, 16, CS_L4 },
    [FW_MOD_TCP_DST]      = { H_TCP,  2,  2, 0, 16, CS_L4 },
    [FW_MOD_UDP_SRC]      = { H_UDP,  0,  2, 0, 16, CS_L4 },
    [FW_MOD_UDP_DST]      = { H_UDP,  2,  2, 0, 16, CS_L4 },
};

unsigned
emu_mod_field_bits(unsigned field)
{
    return field < FW_MOD_COUNT_ ? mod_fields[field].bits : 0;
}

/* The header @d lives in, or NULL when the frame has none whole. Ports
 * need the layout's L4 protocol, which a non-first fragment lacks. */
static uint8_t *
hdr_of(const struct emu_frame *f, const struct emu_layout *lay,
       const struct mod_field *d)
{
    int off = -1;
    uint32_t need = 0;

    switch (d->hdr) {
    case H_ETH:
        off = 0, need = 14;
        break;
    case H_VLAN:
        off = lay->vlan, need = 4;
        break;
    case H_IPV4:
        off = lay->l3_kind == 4 ? lay->l3 : -1, need = 20;
        break;
    case H_IPV6:
        off = lay->l3_kind == 6 ? lay->l3 : -1, need = 40;
        break;
    case H_TCP:
        off = lay->l4_proto == EMU_PROTO_TCP ? lay->l4 : -1, need = 20;
        break;
    case H_UDP:
        off = lay->l4_proto == EMU_PROTO_UDP ? lay->l4 : -1, need = 8;
        break;
    }
    if (off < 0 || (uint32_t)off + need > f->len)
        return NULL;
    return f->data + off;
}

/* Bit @i of a field (bit 0 its least significant) in its container. */
static inline bool
bit_get(const uint8_t *cont, const struct mod_field *d, unsigned i)
{
    unsigned b = d->pad + i;

    return (cont[d->size - 1u - b / 8u] >> (b % 8u)) & 1u;
}

static inline void
bit_put(uint8_t *cont, const struct mod_field *d, unsigned i, bool v)
{
    unsigned b = d->pad + i;
    uint8_t *p = &cont[d->size - 1u - b / 8u];

    *p = (uint8_t)((*p & ~(1u << (b % 8u))) | ((unsigned)v << (b % 8u)));
}

/* Bit @i of a whole field held from value[0] in network order (the
 * immediate of MODIFY_SET): the field's bytes, without container pad. */
static inline bool
value_bit(const uint8_t *value, unsigned bits, unsigned i)
{
    unsigned nbytes = (bits + 7u) / 8u;

    return (value[nbytes - 1u - i / 8u] >> (i % 8u)) & 1u;
}

/* The ICMPv6 checksum covers the IPv6 addresses through its
 * pseudo-header too (RFC 4443 2.3); TCP and UDP are emu_csum.c's. */
static void
l4_fix(const struct emu_frame *f, const struct emu_layout *lay,
       const uint8_t *old, const uint8_t *new, unsigned n_words)
{
    if (lay->l4_proto == EMU_PROTO_ICMPV6 && lay->l4 >= 0 &&
        (uint32_t)lay->l4 + 4u <= f->len) {
        emu_csum_fix(f->data + lay->l4 + 2, old, new, n_words);
        return;
    }
    emu_l4_csum_fix(f, lay, old, new, n_words);
}

bool
emu_modify(struct emu_frame *f, const struct fw_action *act,
           const struct emu_layout *lay)
{
    const struct fw_modify *m = &act->u.modify;
    bool copy = le16toh(act->type) == FW_ACT_MODIFY_COPY;
    unsigned dofs = le16toh(m->dst_offset), sofs = le16toh(m->src_offset);
    unsigned w = m->width;
    uint8_t src_bits[128 / 8] = { 0 };
    uint8_t old[CONT_MAX];

    /* the rule checks refused all of these; a rewrite handed one anyway
     * (the fuzzers do) writes nothing rather than guessing */
    if (emu_mod_field_bits(m->dst_field) == 0 || w == 0 ||
        dofs + w > mod_fields[m->dst_field].bits)
        return true;
    if (copy && (emu_mod_field_bits(m->src_field) == 0 ||
                 sofs + w > mod_fields[m->src_field].bits))
        return true;

    const struct mod_field *d = &mod_fields[m->dst_field];
    uint8_t *h = hdr_of(f, lay, d);
    if (h == NULL)
        return true;
    /* the source is read whole before anything is written, so a copy
     * between overlapping ranges takes the frame's old bits */
    for (unsigned i = 0; i < w; i++) {
        bool v;

        if (copy) {
            const struct mod_field *s = &mod_fields[m->src_field];
            const uint8_t *sh = hdr_of(f, lay, s);

            if (sh == NULL)
                return true;
            v = bit_get(sh + s->ofs, s, sofs + i);
        } else {
            v = value_bit(m->value, d->bits, dofs + i);
        }
        src_bits[i / 8u] |= (uint8_t)(v << (i % 8u));
    }

    uint8_t *cont = h + d->ofs;
    memcpy(old, cont, d->size);
    for (unsigned i = 0; i < w; i++)
        bit_put(cont, d, dofs + i, (src_bits[i / 8u] >> (i % 8u)) & 1u);
    if (memcmp(old, cont, d->size) == 0)
        return true;
    if (d->csum & CS_IP4)
        emu_csum_fix(h + 10, old, cont, d->size / 2u);
    if (d->csum & CS_L4)
        l4_fix(f, lay, old, cont, d->size / 2u);
    return true;
}
