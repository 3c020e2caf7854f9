/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_csum (include/snic/dp.h): the Internet checksum of a buffer. A leaf:
 * the VXLAN encapsulation and the tests call it; it calls nothing.
 */
#include "dp_priv.h"
#include "dp_wire.h"

uint16_t
dp_csum(const void *data, size_t size, uint32_t initial)
{
    return (uint16_t)~dp_csum_fold(dp_csum_add(initial, data, size));
}
