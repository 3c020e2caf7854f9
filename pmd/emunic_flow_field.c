/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Match fields of a rule being translated: whether the card can match one
 * with a given mask shape (its capability bitmaps), and merging an item's
 * value/mask into the rule so that two items never silently disagree. A
 * leaf: the header items (emunic_flow_items.c) and the register items
 * (emunic_flow_meta.c) both come here, and it calls neither.
 */
#include <errno.h>
#include <string.h>

#include <rte_flow.h>

#include "emunic.h"

/* ------------------------------------------------------------------------
 * Field helpers
 * ------------------------------------------------------------------------ */

static const char *const field_desc[FW_FIELD_COUNT_] = {
    [FW_FIELD_SRC_VPORT] = "the source port",
    [FW_FIELD_ETH_DST] = "the destination MAC",
    [FW_FIELD_ETH_SRC] = "the source MAC",
    [FW_FIELD_ETH_TYPE] = "the EtherType",
    [FW_FIELD_VLAN_VID] = "the VLAN id (and VLAN presence)",
    [FW_FIELD_VLAN_PCP] = "the VLAN priority (PCP)",
    [FW_FIELD_IPV4_SRC] = "the IPv4 source address",
    [FW_FIELD_IPV4_DST] = "the IPv4 destination address",
    [FW_FIELD_IPV6_SRC] = "the IPv6 source address",
    [FW_FIELD_IPV6_DST] = "the IPv6 destination address",
    [FW_FIELD_IP_PROTO] = "the IP protocol",
    [FW_FIELD_IP_TOS] = "the IP TOS / traffic class",
    [FW_FIELD_IP_TTL] = "the IP TTL / hop limit",
    [FW_FIELD_L4_SRC] = "the L4 source port",
    [FW_FIELD_L4_DST] = "the L4 destination port",
    [FW_FIELD_ICMP_TYPE] = "the ICMP type",
    [FW_FIELD_ICMP_CODE] = "the ICMP code",
    [FW_FIELD_VXLAN_VNI] = "the VXLAN VNI",
    [FW_FIELD_IP_FRAG] = "the IP fragment state",
    [FW_FIELD_META] = "the META register",
    [FW_FIELD_TAG] = "the TAG registers",
    [FW_FIELD_MPLS] = "the top MPLS label stack entry",
};

const char *
emunic_field_desc(enum fw_field f)
{
    return (unsigned)f < FW_FIELD_COUNT_ && field_desc[f] != NULL ?
           field_desc[f] : "a match field";
}

bool
emunic_bits_zero(const uint8_t *m, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (m[i])
            return false;
    return true;
}

/* Canonical mask: @nbits significant bits, most significant first. */
static bool
bits_all_ones(const uint8_t *m, unsigned nbits)
{
    for (unsigned b = 0; b < nbits; b++)
        if (!(m[b / 8] & (0x80u >> (b % 8))))
            return false;
    return true;
}

static bool
bits_prefix(const uint8_t *m, unsigned nbits)
{
    bool seen_zero = false;

    for (unsigned b = 0; b < nbits; b++) {
        bool one = m[b / 8] & (0x80u >> (b % 8));

        if (one && seen_zero)
            return false;
        if (!one)
            seen_zero = true;
    }
    return true;
}

/* The device must be able to match @f with this mask shape. */
int
emunic_field_use(struct emunic_walk *w, const struct rte_flow_item *item,
          const char *item_name, enum fw_field f, const uint8_t *canon,
          unsigned nbits, struct rte_flow_error *error)
{
    const struct fw_caps *caps = w->ctx->caps;

    if (!(caps->match_fields & FW_FIELD_BIT(f)))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s: the device (profile '%s') cannot match "
                               "%s (%s)", item_name, emunic_profile(caps),
                               field_desc[f], fw_field_name(f));
    if (canon != NULL && (caps->exact_mask_fields & FW_FIELD_BIT(f)) &&
        !bits_all_ones(canon, nbits))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                               item, "%s: profile '%s' matches %s only "
                               "exactly: its mask must be all ones",
                               item_name, emunic_profile(caps),
                               field_desc[f]);
    if (canon != NULL && (caps->prefix_mask_fields & FW_FIELD_BIT(f)) &&
        !bits_prefix(canon, nbits))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                               item, "%s: profile '%s' matches %s only with "
                               "a prefix mask (leading ones, e.g. /24)",
                               item_name, emunic_profile(caps),
                               field_desc[f]);
    if (w->x->field_item[f] == NULL)
        w->x->field_item[f] = item;
    return 0;
}

/* Merge value/mask bytes into the rule; overlapping bits must agree. */
int
emunic_field_merge(struct emunic_walk *w, const struct rte_flow_item *item,
            const char *item_name, enum fw_field f, void *val, void *msk,
            const void *nv, const void *nm, size_t size,
            struct rte_flow_error *error)
{
    uint8_t *v = val, *m = msk;
    const uint8_t *a = nv, *b = nm;

    for (size_t i = 0; i < size; i++)
        if ((m[i] & b[i]) & (v[i] ^ a[i]))
            return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM,
                                   item, "%s: %s contradicts what an earlier "
                                   "item of the pattern requires", item_name,
                                   field_desc[f]);
    for (size_t i = 0; i < size; i++) {
        m[i] |= b[i];
        v[i] |= a[i] & b[i];
    }
    (void)w;
    return 0;
}
