/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPLS in rte_flow (firmware ABI 1.10): the MPLS item matches the card's
 * top label stack entry, OF_PUSH_MPLS and OF_POP_MPLS become its
 * PUSH_MPLS and POP_MPLS.
 *
 * The item's four bytes (label_tc_s[3], ttl) are the entry as on the wire,
 * and so is fw_match.mpls_lse: copied, masked bit by bit. The card reads
 * the entry only behind an exact MPLS EtherType (its PREREQ rule), so the
 * item pins one: what the ETH or VLAN item before it gave (0x8847 or
 * 0x8848, exactly), else 0x8847, unicast MPLS, as mainstream PMDs read a
 * bare MPLS item. Under the stack the card parses nothing: no item may
 * follow MPLS.
 *
 * DPDK 22.11 has no rte_flow action that sets or decrements an MPLS TTL
 * (OF_SET_MPLS_TTL and OF_DEC_MPLS_TTL were removed in 21.11, and
 * MODIFY_FIELD has no MPLS field before 23.07), so the card's SET_MPLS_TTL
 * and DEC_MPLS_TTL are not reachable from here.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_flow.h>

#include "emunic.h"

static bool
is_mpls_type(uint16_t t)
{
    return t == FW_ETH_MPLS || t == FW_ETH_MPLS_MC;
}

/* The EtherType the entry needs: the earlier items', or 0x8847. */
static int
mpls_ethertype(struct emunic_walk *w, const struct rte_flow_item *item,
               struct rte_flow_error *error)
{
    static const uint8_t full[2] = { 0xff, 0xff };
    struct fw_rule_add_in *r = &w->x->rule;
    uint16_t m = rte_be_to_cpu_16(r->mask.eth_type);
    uint16_t v = rte_be_to_cpu_16(r->value.eth_type);
    rte_be16_t be = RTE_BE16(FW_ETH_MPLS), mk = RTE_BE16(0xffff);
    int ret;

    if (m == 0xffff && is_mpls_type(v))
        return 0;
    if (m != 0)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "MPLS: the item before it matches EtherType "
                               "0x%04x under mask 0x%04x; the card reads a "
                               "label stack only behind 0x8847 or 0x8848 "
                               "given exactly (or leave the type out: "
                               "0x8847 is taken)", v, m);
    ret = emunic_field_use(w, item, "MPLS", FW_FIELD_ETH_TYPE, full, 16,
                           error);
    if (ret < 0)
        return ret;
    return emunic_field_merge(w, item, "MPLS", FW_FIELD_ETH_TYPE,
                              &r->value.eth_type, &r->mask.eth_type, &be, &mk,
                              2, error);
}

int
emunic_conv_mpls(struct emunic_walk *w, const struct rte_flow_item *item,
                 const void *spec_, const void *mask_,
                 struct rte_flow_error *error)
{
    const struct rte_flow_item_mpls *s = spec_, *m = mask_;
    struct fw_rule_add_in *r = &w->x->rule;
    uint8_t v[4], mk[4];
    int ret;

    ret = mpls_ethertype(w, item, error);
    if (ret < 0)
        return ret;
    memcpy(mk, m->label_tc_s, 3);
    mk[3] = m->ttl;
    if (emunic_bits_zero(mk, sizeof(mk)))
        return 0;           /* any MPLS frame: the EtherType says it */
    memcpy(v, s->label_tc_s, 3);
    v[3] = s->ttl;
    for (unsigned i = 0; i < 4; i++)
        v[i] &= mk[i];
    ret = emunic_field_use(w, item, "MPLS", FW_FIELD_MPLS, mk, 32, error);
    if (ret < 0)
        return ret;
    return emunic_field_merge(w, item, "MPLS", FW_FIELD_MPLS,
                              &r->value.mpls_lse, &r->mask.mpls_lse, v, mk,
                              sizeof(v), error);
}

int
emunic_mpls_action_build(const struct rte_flow_action *a, struct fw_action *fa,
                         struct rte_flow_error *error)
{
    bool push = a->type == RTE_FLOW_ACTION_TYPE_OF_PUSH_MPLS;
    rte_be16_t type;

    if (a->conf == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "%s needs its configuration (the "
                               "EtherType)", push ? "OF_PUSH_MPLS" :
                               "OF_POP_MPLS");
    /* both confs are one big-endian EtherType */
    type = push ? ((const struct rte_flow_action_of_push_mpls *)a->conf)->
                  ethertype
                : ((const struct rte_flow_action_of_pop_mpls *)a->conf)->
                  ethertype;
    if (push && !is_mpls_type(rte_be_to_cpu_16(type)))
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "OF_PUSH_MPLS: EtherType 0x%04x is not an "
                               "MPLS one (0x8847 or 0x8848)",
                               rte_be_to_cpu_16(type));
    memset(fa, 0, sizeof(*fa));
    fa->type = push ? FW_ACT_PUSH_MPLS : FW_ACT_POP_MPLS;
    fa->u.mpls.ethertype = type;
    return 0;
}
