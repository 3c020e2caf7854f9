/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame bytes as the wire has them: big-endian 16-bit fields and the
 * Internet checksum's one's-complement sum. A header-only leaf, so the
 * executor, VLAN tags, NORMAL and VXLAN share one copy and call no file
 * of each other's for it; inline, since rewrites patch checksums per
 * packet.
 */
#ifndef SNIC_DP_WIRE_H
#define SNIC_DP_WIRE_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t
dp_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
dp_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Add @size bytes to a one's-complement sum in progress (not folded). */
static inline uint32_t
dp_csum_add(uint32_t sum, const uint8_t *p, size_t size)
{
    size_t i;

    for (i = 0; i + 1 < size; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (i < size)
        sum += (uint32_t)p[i] << 8;
    return sum;
}

static inline uint16_t
dp_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

#endif /* SNIC_DP_WIRE_H */
