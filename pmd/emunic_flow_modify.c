/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTE_FLOW_ACTION_TYPE_MODIFY_FIELD -> the card's MODIFY_SET / MODIFY_COPY
 * (firmware ABI 1.11, docs/firmware-abi.md section 6.6).
 *
 * rte_flow (22.11) and the card count a field's bits the same way: offset
 * 0 is the field's least significant bit, and an immediate value holds
 * the whole field in network order, as the field's rte_flow item does,
 * its bits under dst.offset .. dst.offset + width taken. rte_flow ignores
 * the value's other bits; the card refuses them (a driver that sends one
 * made a mistake), so they are cleared here. The card sets and copies;
 * ADD and SUB, inner headers (level > 1), and fields it has no writer for
 * (TCP sequence numbers, tunnel ids, TAG/META/MARK, which have SET_TAG and
 * SET_META) are refused with the reason.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_flow.h>

#include "emunic.h"

static const struct {
    uint8_t fw;                 /* enum fw_mod_field */
    uint8_t bits;
    const char *name;
} mod_fields[] = {
    [RTE_FLOW_FIELD_MAC_DST]       = { FW_MOD_ETH_DST, 48, "MAC_DST" },
    [RTE_FLOW_FIELD_MAC_SRC]       = { FW_MOD_ETH_SRC, 48, "MAC_SRC" },
    [RTE_FLOW_FIELD_VLAN_ID]       = { FW_MOD_VLAN_VID, 12, "VLAN_ID" },
    [RTE_FLOW_FIELD_IPV4_DSCP]     = { FW_MOD_IPV4_DSCP, 6, "IPV4_DSCP" },
    [RTE_FLOW_FIELD_IPV4_TTL]      = { FW_MOD_IPV4_TTL, 8, "IPV4_TTL" },
    [RTE_FLOW_FIELD_IPV4_SRC]      = { FW_MOD_IPV4_SRC, 32, "IPV4_SRC" },
    [RTE_FLOW_FIELD_IPV4_DST]      = { FW_MOD_IPV4_DST, 32, "IPV4_DST" },
    [RTE_FLOW_FIELD_IPV6_DSCP]     = { FW_MOD_IPV6_DSCP, 6, "IPV6_DSCP" },
    [RTE_FLOW_FIELD_IPV6_HOPLIMIT] = { FW_MOD_IPV6_HOPLIMIT, 8,
                                       "IPV6_HOPLIMIT" },
    [RTE_FLOW_FIELD_IPV6_SRC]      = { FW_MOD_IPV6_SRC, 128, "IPV6_SRC" },
    [RTE_FLOW_FIELD_IPV6_DST]      = { FW_MOD_IPV6_DST, 128, "IPV6_DST" },
    [RTE_FLOW_FIELD_TCP_PORT_SRC]  = { FW_MOD_TCP_SRC, 16, "TCP_PORT_SRC" },
    [RTE_FLOW_FIELD_TCP_PORT_DST]  = { FW_MOD_TCP_DST, 16, "TCP_PORT_DST" },
    [RTE_FLOW_FIELD_UDP_PORT_SRC]  = { FW_MOD_UDP_SRC, 16, "UDP_PORT_SRC" },
    [RTE_FLOW_FIELD_UDP_PORT_DST]  = { FW_MOD_UDP_DST, 16, "UDP_PORT_DST" },
};

#define N_MOD_FIELDS (sizeof(mod_fields) / sizeof(mod_fields[0]))

/* The card's field for one side of the action, or an error naming it. */
static int
mod_field(const struct rte_flow_action *a,
          const struct rte_flow_action_modify_data *d, const char *side,
          struct rte_flow_error *error)
{
    unsigned id = (unsigned)d->field;

    if (id >= N_MOD_FIELDS || mod_fields[id].fw == FW_MOD_NONE)
        return emunic_flow_err(error, ENOTSUP,
                               RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                               "MODIFY_FIELD: the card cannot write or read "
                               "field %u as %s (it has MAC_DST/SRC, VLAN_ID, "
                               "IPV4_DSCP/TTL/SRC/DST, IPV6_DSCP/HOPLIMIT/"
                               "SRC/DST, TCP and UDP ports; an immediate "
                               "value or a pointer as source)", id, side);
    /* 0 and 1 both name the outermost header in 22.11 */
    if (d->level > 1)
        return emunic_flow_err(error, ENOTSUP,
                               RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                               "MODIFY_FIELD: %s %s at encapsulation level "
                               "%u: the card writes the outermost headers "
                               "only (level 0 or 1)", side,
                               mod_fields[id].name, d->level);
    if (d->offset > mod_fields[id].bits)
        return emunic_flow_err(error, EINVAL,
                               RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                               "MODIFY_FIELD: %s offset %u is past %s's %u "
                               "bits", side, d->offset, mod_fields[id].name,
                               mod_fields[id].bits);
    return mod_fields[id].fw;
}

int
emunic_modify_action_build(const struct rte_flow_action *a,
                           struct fw_action *fa, struct rte_flow_error *error)
{
    const struct rte_flow_action_modify_field *c = a->conf;
    int dst, src = 0;

    if (c == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "MODIFY_FIELD needs its configuration");
    if (c->operation != RTE_FLOW_MODIFY_SET)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "MODIFY_FIELD: operation %d is not "
                               "supported: the card sets bits (op set), it "
                               "does not add or subtract", (int)c->operation);
    dst = mod_field(a, &c->dst, "destination", error);
    if (dst < 0)
        return dst;
    unsigned dbits = mod_fields[c->dst.field].bits;
    if (c->width == 0 || c->dst.offset + c->width > dbits)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "MODIFY_FIELD: width %u at offset %u does "
                               "not fit destination %s (%u bits); it needs "
                               "1 <= width <= %u - offset", c->width,
                               c->dst.offset, mod_fields[c->dst.field].name,
                               dbits, dbits);

    memset(fa, 0, sizeof(*fa));
    if (c->src.field == RTE_FLOW_FIELD_VALUE ||
        c->src.field == RTE_FLOW_FIELD_POINTER) {
        const uint8_t *v = c->src.field == RTE_FLOW_FIELD_VALUE ?
                           c->src.value : c->src.pvalue;
        unsigned nbytes = (dbits + 7u) / 8u;

        if (v == NULL)
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "MODIFY_FIELD: source POINTER is NULL");
        fa->type = FW_ACT_MODIFY_SET;
        /* only the bits the action writes: the card refuses the rest */
        for (unsigned i = c->dst.offset; i < c->dst.offset + c->width; i++) {
            unsigned byte = nbytes - 1u - i / 8u;

            fa->u.modify.value[byte] |=
                (uint8_t)(v[byte] & (1u << (i % 8u)));
        }
    } else {
        src = mod_field(a, &c->src, "source", error);
        if (src < 0)
            return src;
        unsigned sbits = mod_fields[c->src.field].bits;
        if (c->src.offset + c->width > sbits)
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "MODIFY_FIELD: width %u at offset %u does "
                                   "not fit source %s (%u bits)", c->width,
                                   c->src.offset,
                                   mod_fields[c->src.field].name, sbits);
        fa->type = FW_ACT_MODIFY_COPY;
        fa->u.modify.src_offset = rte_cpu_to_le_16((uint16_t)c->src.offset);
    }
    fa->u.modify.dst_field = (uint8_t)dst;
    fa->u.modify.src_field = (uint8_t)src;
    fa->u.modify.width = (uint8_t)c->width;
    fa->u.modify.dst_offset = rte_cpu_to_le_16((uint16_t)c->dst.offset);
    return 0;
}
