/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental checksum updates of the card's rewrites (emu_rewrite.c,
 * emu_modify.c): a leaf both call, so that a whole-field rewrite and a
 * write to part of a field patch the IPv4 header and the TCP/UDP
 * checksums by the very same rules.
 */
#include <stddef.h>
#include <string.h>

#include "emu_packet.h"

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Eqn. 3 rather than eqn. 2
 * because it never turns a correct checksum into -0 for a non-zero header.
 *
 * A write that changes no byte changes no checksum: eqn. 3 with m == m'
 * still turns a field holding 0xffff (the -0 a sender may send where the
 * checksum computes to 0) into 0, where snicd's software datapath, which
 * skips such writes (offload/dp_rewrite.c), keeps the frame as it came.
 * The same flow must give the same bytes on the card and in software.
 */
void
emu_csum_fix(uint8_t *csum_field, const uint8_t *old, const uint8_t *new,
             unsigned n_words)
{
    if (memcmp(old, new, 2u * n_words) == 0)
        return;

    uint32_t sum = (uint16_t)~emu_rd16(csum_field);

    for (unsigned i = 0; i < n_words; i++) {
        sum += (uint16_t)~emu_rd16(old + 2 * i);
        sum += emu_rd16(new + 2 * i);
    }
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    emu_wr16(csum_field, (uint16_t)~sum);
}

/*
 * The TCP or UDP checksum field of the frame, or NULL when there is none to
 * keep: not TCP/UDP, a non-first fragment (no L4 in the layout), or a UDP
 * datagram sent without checksum (0 means "none" and must stay 0). A TCP
 * header whose data offset is unsound has no ports for the key or the
 * port rewrites, but its checksum covers the pseudo-header: software
 * patches it when an address changes, and so does the card.
 */
static uint8_t *
l4_csum_field(const struct emu_frame *f, const struct emu_layout *lay)
{
    uint32_t need = lay->l4_proto == EMU_PROTO_TCP ? 20u : 8u;

    if (lay->l4 < 0 && lay->tcp_raw >= 0 &&
        (uint32_t)lay->tcp_raw + 20u <= f->len)
        return f->data + lay->tcp_raw + 16;
    if (lay->l4 < 0 || (uint32_t)lay->l4 + need > f->len)
        return NULL;
    uint8_t *l4 = f->data + lay->l4;
    if (lay->l4_proto == EMU_PROTO_TCP)
        return l4 + 16;
    if (lay->l4_proto == EMU_PROTO_UDP)
        return emu_rd16(l4 + 6) == 0 ? NULL : l4 + 6;
    return NULL;
}

void
emu_l4_csum_fix(const struct emu_frame *f, const struct emu_layout *lay,
                const uint8_t *old, const uint8_t *new, unsigned n_words)
{
    uint8_t *field = l4_csum_field(f, lay);

    if (field == NULL)
        return;
    emu_csum_fix(field, old, new, n_words);
    /* in UDP a computed 0 is sent as 0xffff: 0 would mean "no checksum" */
    if (lay->l4_proto == EMU_PROTO_UDP && emu_rd16(field) == 0)
        emu_wr16(field, 0xffff);
}
