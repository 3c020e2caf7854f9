/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The card's per-packet registers (ABI 1.9) in rte_flow: the TAG and META
 * items match them, SET_TAG and SET_META set them.
 *
 * rte_flow gives both as host-order 32-bit words with a mask, and so does
 * the card (little-endian, like every control word): no shifting, no
 * byte-swapping of meaning. TAG index i is the card's TAG register i
 * (0..caps.num_tags - 1); META is the one register DPDK also delivers to
 * the host, in the mbuf's metadata dynfield (emunic_rxtx.c). A register
 * matches one value under a mask: no ranges.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_flow.h>

#include "emunic.h"

static int
no_registers(const struct fw_caps *caps, const void *cause, bool item,
             const char *name, const char *reg, struct rte_flow_error *error)
{
    return emunic_flow_err(error, ENOTSUP, item ? RTE_FLOW_ERROR_TYPE_ITEM :
                           RTE_FLOW_ERROR_TYPE_ACTION, cause,
                           "%s: the device (profile '%s', ABI 1.%u) has no "
                           "per-packet %s register", name,
                           emunic_profile(caps), caps->abi_minor, reg);
}

/* The canonical (most significant byte first) form field_use() checks
 * mask shapes on. */
static void
canon32(uint32_t m, uint8_t out[4])
{
    out[0] = (uint8_t)(m >> 24);
    out[1] = (uint8_t)(m >> 16);
    out[2] = (uint8_t)(m >> 8);
    out[3] = (uint8_t)m;
}

static int
reg_match(struct emunic_walk *w, const struct rte_flow_item *item,
          const char *name, enum fw_field f, uint32_t data, uint32_t mask,
          fw_le32 *val, fw_le32 *msk, struct rte_flow_error *error)
{
    uint8_t canon[4];
    fw_le32 v = rte_cpu_to_le_32(data & mask), m = rte_cpu_to_le_32(mask);
    int ret;

    if (mask == 0)
        return 0;
    canon32(mask, canon);
    ret = emunic_field_use(w, item, name, f, canon, 32, error);
    if (ret < 0)
        return ret;
    return emunic_field_merge(w, item, name, f, val, msk, &v, &m, sizeof(v),
                              error);
}

int
emunic_conv_tag(struct emunic_walk *w, const struct rte_flow_item *item,
                const void *spec_, const void *mask_,
                struct rte_flow_error *error)
{
    const struct rte_flow_item_tag *s = spec_, *m = mask_;
    const struct fw_caps *caps = w->ctx->caps;
    struct fw_rule_add_in *r = &w->x->rule;

    if (!(caps->match_fields & FW_FIELD_BIT(FW_FIELD_TAG)) ||
        caps->num_tags == 0)
        return no_registers(caps, item, true, "TAG", "TAG", error);
    if (item->last != NULL)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_LAST,
                               item, "TAG: 'last' is not supported: a "
                               "register matches one value under a mask");
    if (m->data == 0)
        return 0;       /* any value: nothing to match */
    if (m->index != UINT8_MAX)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
                               item, "TAG: the index names a register and "
                               "must be matched exactly (index mask 0xff, "
                               "not 0x%02x)", m->index);
    if (s->index >= caps->num_tags)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_SPEC,
                               item, "TAG: index %u is out of range: the "
                               "device has %u TAG registers (index 0..%u)",
                               s->index, caps->num_tags, caps->num_tags - 1u);
    return reg_match(w, item, "TAG", FW_FIELD_TAG, s->data, m->data,
                     &r->tags.value[s->index], &r->tags.mask[s->index], error);
}

int
emunic_conv_meta(struct emunic_walk *w, const struct rte_flow_item *item,
                 const void *spec_, const void *mask_,
                 struct rte_flow_error *error)
{
    const struct rte_flow_item_meta *s = spec_, *m = mask_;
    const struct fw_caps *caps = w->ctx->caps;
    struct fw_rule_add_in *r = &w->x->rule;

    if (!(caps->match_fields & FW_FIELD_BIT(FW_FIELD_META)))
        return no_registers(caps, item, true, "META", "META", error);
    if (item->last != NULL)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_LAST,
                               item, "META: 'last' is not supported: a "
                               "register matches one value under a mask");
    return reg_match(w, item, "META", FW_FIELD_META, s->data, m->data,
                     &r->value.meta, &r->mask.meta, error);
}

/*
 * SET_TAG / SET_META into @fa: rte_flow sets the bits of data under mask;
 * bits of data outside the mask are ignored by its definition, so they are
 * cleared here rather than refused (the card refuses them as a driver
 * bug). A zero mask sets nothing and is refused: it is always a mistake.
 */
int
emunic_set_reg_build(const struct fw_caps *caps,
                     const struct rte_flow_action *a, struct fw_action *fa,
                     struct rte_flow_error *error)
{
    bool tag = a->type == RTE_FLOW_ACTION_TYPE_SET_TAG;
    const char *name = tag ? "SET_TAG" : "SET_META";
    uint32_t data, mask;

    memset(fa, 0, sizeof(*fa));
    fa->type = tag ? FW_ACT_SET_TAG : FW_ACT_SET_META;
    if (!(caps->actions & FW_ACTION_BIT(fa->type)) ||
        (tag && caps->num_tags == 0))
        return no_registers(caps, a, false, name, tag ? "TAG" : "META",
                            error);
    if (a->conf == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "%s needs a conf (data and mask%s)", name,
                               tag ? ", index" : "");
    if (tag) {
        const struct rte_flow_action_set_tag *c = a->conf;

        if (c->index >= caps->num_tags)
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "SET_TAG: index %u is out of range: the "
                                   "device has %u TAG registers (index "
                                   "0..%u)", c->index, caps->num_tags,
                                   caps->num_tags - 1u);
        data = c->data;
        mask = c->mask;
        fa->u.set_reg.index = c->index;
    } else {
        const struct rte_flow_action_set_meta *c = a->conf;

        data = c->data;
        mask = c->mask;
    }
    if (mask == 0)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "%s: the mask is 0, so it would set "
                               "nothing; 0xffffffff sets the whole register",
                               name);
    fa->u.set_reg.value = rte_cpu_to_le_32(data & mask);
    fa->u.set_reg.mask = rte_cpu_to_le_32(mask);
    return 0;
}
