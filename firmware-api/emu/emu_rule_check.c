/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RULE_ADD validation: the match (fields the profile supports, mask
 * shapes, value within mask) and the action list (types the profile
 * supports, arguments, fate rules). Pure checks, no state is changed, so
 * a refused rule leaves the device as it was. Each refusal names the
 * exact field or action position in the syndrome.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include "emu_dev_priv.h"
#include "emu_packet.h"

enum emu_field_kind {
    EMU_FK_BYTES,   /* network-order bytes as on the wire */
    EMU_FK_LE16,
    EMU_FK_LE32,
    EMU_FK_TCI,     /* bits of the big-endian vlan_tci */
};

struct emu_field_desc {
    uint16_t off;
    uint8_t size;
    uint8_t kind;
    uint32_t bits;  /* EMU_FK_TCI / EMU_FK_LE32: the field's bits */
};

#define FD(member, kind, bits) \
    { offsetof(struct fw_match, member), \
      sizeof(((struct fw_match *)0)->member), kind, bits }

static const struct emu_field_desc emu_fields[FW_FIELD_COUNT_] = {
    [FW_FIELD_SRC_VPORT] = FD(src_vport, EMU_FK_LE16, 0),
    [FW_FIELD_ETH_DST] = FD(eth_dst, EMU_FK_BYTES, 0),
    [FW_FIELD_ETH_SRC] = FD(eth_src, EMU_FK_BYTES, 0),
    [FW_FIELD_ETH_TYPE] = FD(eth_type, EMU_FK_BYTES, 0),
    [FW_FIELD_VLAN_VID] = FD(vlan_tci, EMU_FK_TCI, 0x1fffu),
    [FW_FIELD_VLAN_PCP] = FD(vlan_tci, EMU_FK_TCI, 0xe000u),
    [FW_FIELD_IPV4_SRC] = FD(ipv4_src, EMU_FK_BYTES, 0),
    [FW_FIELD_IPV4_DST] = FD(ipv4_dst, EMU_FK_BYTES, 0),
    [FW_FIELD_IPV6_SRC] = FD(ipv6_src, EMU_FK_BYTES, 0),
    [FW_FIELD_IPV6_DST] = FD(ipv6_dst, EMU_FK_BYTES, 0),
    [FW_FIELD_IP_PROTO] = FD(ip_proto, EMU_FK_BYTES, 0),
    [FW_FIELD_IP_TOS] = FD(ip_tos, EMU_FK_BYTES, 0),
    [FW_FIELD_IP_TTL] = FD(ip_ttl, EMU_FK_BYTES, 0),
    [FW_FIELD_L4_SRC] = FD(l4_src, EMU_FK_BYTES, 0),
    [FW_FIELD_L4_DST] = FD(l4_dst, EMU_FK_BYTES, 0),
    [FW_FIELD_ICMP_TYPE] = FD(icmp_type, EMU_FK_BYTES, 0),
    [FW_FIELD_ICMP_CODE] = FD(icmp_code, EMU_FK_BYTES, 0),
    [FW_FIELD_VXLAN_VNI] = FD(vxlan_vni, EMU_FK_LE32, 0x00ffffffu),
    [FW_FIELD_IP_FRAG] = FD(ip_frag, EMU_FK_BYTES, 0),
    [FW_FIELD_META] = FD(meta, EMU_FK_LE32, 0xffffffffu),
    [FW_FIELD_MPLS] = FD(mpls_lse, EMU_FK_BYTES, 0),
    /* FW_FIELD_TAG lives outside fw_match: emu_rule_check_tags(); its
     * zero-size entry here reads as an empty field */
};

/* A field as a big number of @width bits: hi:lo, right-aligned. */
struct emu_fval {
    uint64_t hi, lo;
    unsigned width;
};

static void
emu_field_get(const struct fw_match *m, unsigned f, struct emu_fval *v)
{
    const struct emu_field_desc *d = &emu_fields[f];
    const uint8_t *p = (const uint8_t *)m + d->off;

    v->hi = v->lo = 0;
    switch (d->kind) {
    case EMU_FK_BYTES:
        for (unsigned i = 0; i < d->size; i++) {
            v->hi = (v->hi << 8) | (v->lo >> 56);
            v->lo = (v->lo << 8) | p[i];
        }
        v->width = d->size * 8u;
        break;
    case EMU_FK_LE16:
        v->lo = (uint64_t)p[0] | ((uint64_t)p[1] << 8);
        v->width = 16;
        break;
    case EMU_FK_LE32:
        v->lo = ((uint64_t)p[0] | ((uint64_t)p[1] << 8) |
                 ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24)) & d->bits;
        v->width = (unsigned)__builtin_popcount(d->bits);
        break;
    case EMU_FK_TCI: {
        uint32_t tci = ((uint32_t)p[0] << 8) | p[1];
        unsigned shift = (unsigned)__builtin_ctz(d->bits);

        v->lo = (tci & d->bits) >> shift;
        v->width = (unsigned)__builtin_popcount(d->bits);
        break;
    }
    default:
        break;
    }
}

static bool
emu_fval_bit(const struct emu_fval *v, unsigned i)
{
    return i >= 64 ? (v->hi >> (i - 64)) & 1u : (v->lo >> i) & 1u;
}

static bool
emu_fval_zero(const struct emu_fval *v)
{
    return (v->hi | v->lo) == 0;
}

/* Ones from the most significant bit down, then zeros only. */
static bool
emu_fval_prefix(const struct emu_fval *v)
{
    bool seen_zero = false;

    for (unsigned i = v->width; i-- > 0;) {
        bool b = emu_fval_bit(v, i);

        if (b && seen_zero)
            return false;
        if (!b)
            seen_zero = true;
    }
    return true;
}

static bool
emu_fval_full(const struct emu_fval *v)
{
    for (unsigned i = 0; i < v->width; i++)
        if (!emu_fval_bit(v, i))
            return false;
    return true;
}

/* Since ABI 1.10 fw_match has no reserved byte left: only the VNI's top
 * byte, beyond its 24 bits, must be zero. */
static bool
emu_match_rsvd_zero(const struct fw_match *m)
{
    return (m->vxlan_vni >> 24) == 0;
}

/*
 * The MPLS entry (ABI 1.10) is 0 in every frame that is not MPLS, so a
 * rule on it that did not pin an MPLS EtherType would take IPv4 or ARP
 * frames for "label 0": the card refuses to guess what was meant.
 */
static bool
emu_mpls_prereq_ok(const struct fw_match *value, const struct fw_match *mask)
{
    if (mask->mpls_lse == 0)
        return true;
    return mask->eth_type == htons(0xffff) &&
           (value->eth_type == htons(FW_ETH_MPLS) ||
            value->eth_type == htons(FW_ETH_MPLS_MC));
}

/*
 * ip_frag holds three defined bits. A reserved bit in the value or the
 * mask, or a value that asks for LATER or MORE on a packet that is not a
 * fragment (no packet has that), is refused before anything else looks at
 * the field.
 */
static bool
emu_ip_frag_ok(const struct fw_match *value, const struct fw_match *mask)
{
    uint8_t v = value->ip_frag, m = mask->ip_frag;

    if ((v | m) & ~FW_IP_FRAG_ALL_)
        return false;
    if ((m & FW_IP_FRAG_IS) && !(v & FW_IP_FRAG_IS) &&
        (v & (FW_IP_FRAG_LATER | FW_IP_FRAG_MORE)))
        return false;
    return true;
}

uint8_t
emu_rule_check_match(const struct emu_dev *dev, const struct fw_match *value,
                     const struct fw_match *mask, uint32_t *synd)
{
    enum { WORDS = sizeof(struct fw_match) / sizeof(uint64_t) };
    uint64_t vw[WORDS], mw[WORDS];
    struct emu_fval v, m;
    bool value_ok = true;

    if (!emu_match_rsvd_zero(value) || !emu_match_rsvd_zero(mask)) {
        *synd = (value->vxlan_vni >> 24 || mask->vxlan_vni >> 24) ?
                FW_SYND(FW_SYND_VALUE, FW_FIELD_VXLAN_VNI, 0) :
                FW_SYND(FW_SYND_RSVD, 0, 0);
        return FW_STATUS_BAD_PARAM;
    }
    if (!emu_ip_frag_ok(value, mask)) {
        *synd = FW_SYND(FW_SYND_VALUE, FW_FIELD_IP_FRAG, 0);
        return FW_STATUS_BAD_PARAM;
    }
    /* walking fields one by one is only needed where the profile or the
     * value can be wrong: the common full-profile add stays cheap */
    for (unsigned f = 0; f < FW_FIELD_COUNT_; f++) {
        if (dev->caps.match_fields & FW_FIELD_BIT(f))
            continue;
        emu_field_get(mask, f, &m);
        if (!emu_fval_zero(&m)) {
            *synd = FW_SYND(FW_SYND_FIELD, f, 0);
            return FW_STATUS_NOT_SUPPORTED;
        }
    }
    memcpy(vw, value, sizeof(vw));
    memcpy(mw, mask, sizeof(mw));
    for (unsigned i = 0; i < WORDS; i++)
        if (vw[i] & ~mw[i])
            value_ok = false;
    for (unsigned f = 0; f < FW_FIELD_COUNT_; f++) {
        uint64_t bit = FW_FIELD_BIT(f);

        if (value_ok && !((dev->caps.exact_mask_fields |
                           dev->caps.prefix_mask_fields) & bit))
            continue;
        emu_field_get(mask, f, &m);
        if (!value_ok) {
            emu_field_get(value, f, &v);
            if ((v.hi & ~m.hi) || (v.lo & ~m.lo)) {
                *synd = FW_SYND(FW_SYND_VALUE, f, 0);
                return FW_STATUS_BAD_PARAM;
            }
        }
        if ((dev->caps.exact_mask_fields & FW_FIELD_BIT(f)) &&
            !emu_fval_zero(&m) && !emu_fval_full(&m)) {
            *synd = FW_SYND(FW_SYND_MASK, f, 0);
            return FW_STATUS_NOT_SUPPORTED;
        }
        if ((dev->caps.prefix_mask_fields & FW_FIELD_BIT(f)) &&
            !emu_fval_prefix(&m)) {
            *synd = FW_SYND(FW_SYND_MASK, f, 0);
            return FW_STATUS_NOT_SUPPORTED;
        }
    }
    /* after the profile's word on the field: a card without MPLS says
     * NOT_SUPPORTED whatever the EtherType */
    if (!emu_mpls_prereq_ok(value, mask)) {
        *synd = FW_SYND(FW_SYND_PREREQ, FW_FIELD_MPLS, 0);
        return FW_STATUS_BAD_PARAM;
    }
    if (mask->src_vport != 0 && !emu_vport_exists(dev, value->src_vport)) {
        *synd = FW_SYND(FW_SYND_VPORT, FW_FIELD_SRC_VPORT, value->src_vport);
        return FW_STATUS_BAD_PARAM;
    }
    return FW_STATUS_OK;
}

/*
 * The TAG words (ABI 1.9). A register the card lacks (past num_tags, or
 * all of them on a profile without FW_FIELD_TAG) is an unsupported field,
 * named with its index in the syndrome's detail so a driver can say which
 * register it asked for.
 */
uint8_t
emu_rule_check_tags(const struct emu_dev *dev,
                    const struct fw_tag_match *tags, uint32_t *synd)
{
    bool have = (dev->caps.match_fields & FW_FIELD_BIT(FW_FIELD_TAG)) != 0;

    for (unsigned i = 0; i < FW_NUM_TAGS; i++) {
        uint32_t v = tags->value[i], m = tags->mask[i];

        if (m != 0 && (!have || i >= dev->caps.num_tags)) {
            *synd = FW_SYND(FW_SYND_FIELD, FW_FIELD_TAG, i);
            return FW_STATUS_NOT_SUPPORTED;
        }
        if (v & ~m) {
            *synd = FW_SYND(FW_SYND_VALUE, FW_FIELD_TAG, i);
            return FW_STATUS_BAD_PARAM;
        }
        if ((dev->caps.exact_mask_fields & FW_FIELD_BIT(FW_FIELD_TAG)) &&
            m != 0 && m != UINT32_MAX) {
            *synd = FW_SYND(FW_SYND_MASK, FW_FIELD_TAG, i);
            return FW_STATUS_NOT_SUPPORTED;
        }
    }
    return FW_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * Actions
 * ------------------------------------------------------------------------ */

static bool
emu_is_fate(uint16_t type)
{
    return type == FW_ACT_DROP || type == FW_ACT_FWD_VPORT ||
           type == FW_ACT_FWD_REP || type == FW_ACT_JUMP ||
           type == FW_ACT_RSS;
}

/* Bytes of the argument union an action type uses; the rest is reserved. */
static size_t
emu_action_arg_size(uint16_t type)
{
    const struct fw_action *a = NULL;

    switch (type) {
    case FW_ACT_FWD_VPORT:
    case FW_ACT_FWD_REP:
        return sizeof(a->u.fwd);
    case FW_ACT_JUMP:
        return sizeof(a->u.jump);
    case FW_ACT_COUNT:
        return sizeof(a->u.count);
    case FW_ACT_RSS:
        return sizeof(a->u.rss);
    case FW_ACT_MARK:
        return sizeof(a->u.mark);
    case FW_ACT_PUSH_VLAN:
        return sizeof(a->u.push_vlan);
    case FW_ACT_SET_VLAN_VID:
        return sizeof(a->u.set_vid);
    case FW_ACT_SET_VLAN_PCP:
        return sizeof(a->u.set_pcp);
    case FW_ACT_VXLAN_ENCAP:
        return sizeof(a->u.vxlan_encap);
    case FW_ACT_SET_MAC_SRC:
    case FW_ACT_SET_MAC_DST:
        return sizeof(a->u.set_mac);
    case FW_ACT_SET_IPV4_SRC:
    case FW_ACT_SET_IPV4_DST:
        return sizeof(a->u.set_ipv4);
    case FW_ACT_SET_L4_SRC:
    case FW_ACT_SET_L4_DST:
        return sizeof(a->u.set_l4);
    case FW_ACT_SET_IP_TOS:
        return sizeof(a->u.set_tos);
    case FW_ACT_SET_META:
    case FW_ACT_SET_TAG:
        return sizeof(a->u.set_reg);
    case FW_ACT_PUSH_MPLS:
    case FW_ACT_POP_MPLS:
        return sizeof(a->u.mpls);
    case FW_ACT_SET_MPLS_TTL:
        return sizeof(a->u.set_mpls_ttl);
    case FW_ACT_MODIFY_SET:
    case FW_ACT_MODIFY_COPY:
        return sizeof(a->u.modify);
    default:
        return 0;   /* DROP, POP_VLAN, VXLAN_DECAP, DEC_TTL, DEC_MPLS_TTL */
    }
}

/*
 * MODIFY_SET / MODIFY_COPY (ABI 1.11): both fields known, the written
 * range inside each, and no bit given that the action would not use (a
 * value bit outside the range would be silently lost: the driver's
 * mistake). 0 when good, else the FW_MOD_SYND_* that was broken.
 */
static unsigned
emu_modify_check(const struct fw_action *a)
{
    const struct fw_modify *m = &a->u.modify;
    bool copy = a->type == FW_ACT_MODIFY_COPY;
    unsigned dbits = emu_mod_field_bits(m->dst_field);
    unsigned dofs = le16toh(m->dst_offset), sofs = le16toh(m->src_offset);

    if (dbits == 0)
        return FW_MOD_SYND_DST_FIELD;
    if (copy ? emu_mod_field_bits(m->src_field) == 0 : m->src_field != 0)
        return FW_MOD_SYND_SRC_FIELD;
    if (m->width == 0)
        return FW_MOD_SYND_WIDTH;
    if (dofs + m->width > dbits)
        return FW_MOD_SYND_DST_RANGE;
    if (copy ? sofs + m->width > emu_mod_field_bits(m->src_field)
             : sofs != 0)
        return FW_MOD_SYND_SRC_RANGE;
    if (m->rsvd != 0)
        return FW_MOD_SYND_VALUE;
    for (unsigned byte = 0; byte < sizeof(m->value); byte++) {
        uint8_t allowed = 0;

        /* byte 0 holds the field's top bits (network order) */
        for (unsigned b = 0; b < 8 && !copy; b++) {
            unsigned nbytes = (dbits + 7u) / 8u;
            unsigned bit = (nbytes - 1u - byte) * 8u + b;

            if (byte < nbytes && bit >= dofs && bit < dofs + m->width)
                allowed |= (uint8_t)(1u << b);
        }
        if (m->value[byte] & ~allowed)
            return FW_MOD_SYND_VALUE;
    }
    return 0;
}

static uint8_t
emu_action_check_arg(const struct emu_dev *dev, const struct emu_table *table,
                     const struct fw_action *a, unsigned i, uint32_t *synd)
{
    const struct emu_table *target;

#define ARG_BAD() (*synd = FW_SYND(FW_SYND_ACTION_ARG, i, a->type), \
                   FW_STATUS_BAD_PARAM)
    switch (a->type) {
    case FW_ACT_FWD_VPORT:
    case FW_ACT_FWD_REP:
        if (!emu_vport_exists(dev, a->u.fwd.vport)) {
            *synd = FW_SYND(FW_SYND_VPORT, i, a->u.fwd.vport);
            return FW_STATUS_BAD_PARAM;
        }
        /* a vport has one host side: no queue to pick */
        if (a->type == FW_ACT_FWD_VPORT && a->u.fwd.queue != 0)
            return ARG_BAD();
        if (a->u.fwd.queue >= dev->caps.max_queues_per_port)
            return ARG_BAD();
        break;
    case FW_ACT_JUMP:
        target = emu_steer_table(dev, a->u.jump.group);
        if (target == NULL) {
            *synd = FW_SYND(FW_SYND_TABLE, i, a->u.jump.group);
            return FW_STATUS_BAD_RESOURCE;
        }
        if (target->level <= table->level) {
            *synd = FW_SYND(FW_SYND_TABLE, i, a->u.jump.group);
            return FW_STATUS_BAD_PARAM;
        }
        break;
    case FW_ACT_COUNT:
        if (emu_counter_get(dev, a->u.count.counter_id) == NULL) {
            *synd = FW_SYND(FW_SYND_COUNTER, i, a->u.count.counter_id);
            return FW_STATUS_BAD_RESOURCE;
        }
        break;
    case FW_ACT_RSS:
        if (emu_rss_get(dev, a->u.rss.ctx_id) == NULL) {
            *synd = FW_SYND(FW_SYND_RSS, i, a->u.rss.ctx_id);
            return FW_STATUS_BAD_RESOURCE;
        }
        break;
    case FW_ACT_PUSH_VLAN:
        if (a->u.push_vlan.tpid != htons(0x8100) &&
            a->u.push_vlan.tpid != htons(0x88a8))
            return ARG_BAD();
        break;
    case FW_ACT_PUSH_MPLS:
        /* POP_MPLS takes any EtherType (the frame's next protocol is the
         * driver's word); a push makes an MPLS frame, of either kind */
        if (a->u.mpls.ethertype != htons(FW_ETH_MPLS) &&
            a->u.mpls.ethertype != htons(FW_ETH_MPLS_MC))
            return ARG_BAD();
        break;
    case FW_ACT_SET_VLAN_VID:
        if (ntohs(a->u.set_vid.vid) > 4095)
            return ARG_BAD();
        break;
    case FW_ACT_SET_VLAN_PCP:
        if (a->u.set_pcp.pcp > 7)
            return ARG_BAD();
        break;
    case FW_ACT_SET_META:
    case FW_ACT_SET_TAG:
        /* META is register 0 of its own kind; a TAG index names one of
         * caps.num_tags. An empty mask would set nothing, bits outside
         * it would be silently lost: both are the driver's mistake. */
        if (a->u.set_reg.index >= (a->type == FW_ACT_SET_META ? 1u :
                                   dev->caps.num_tags) ||
            a->u.set_reg.mask == 0 ||
            (a->u.set_reg.value & ~a->u.set_reg.mask) != 0 ||
            !emu_bytes_zero(a->u.set_reg.rsvd, sizeof(a->u.set_reg.rsvd)))
            return ARG_BAD();
        break;
    case FW_ACT_MODIFY_SET:
    case FW_ACT_MODIFY_COPY: {
        unsigned why = emu_modify_check(a);

        if (why != 0) {
            *synd = FW_SYND(FW_SYND_ACTION_ARG, i,
                            FW_MOD_SYND_DETAIL(a->type, why));
            return FW_STATUS_BAD_PARAM;
        }
        break;
    }
    case FW_ACT_VXLAN_ENCAP:
        if (a->u.vxlan_encap.vni > 0xffffffu ||
            !emu_bytes_zero(a->u.vxlan_encap.rsvd,
                            sizeof(a->u.vxlan_encap.rsvd)))
            return ARG_BAD();
        break;
    default:
        break;
    }
#undef ARG_BAD
    return FW_STATUS_OK;
}

uint8_t
emu_rule_check_actions(const struct emu_dev *dev,
                       const struct emu_table *table,
                       const struct fw_action *acts, uint16_t n,
                       uint32_t *synd)
{
    unsigned n_fate = 0, n_drop = 0, n_jump = 0;
    uint8_t st;

    for (unsigned i = 0; i < n; i++) {
        const struct fw_action *a = &acts[i];
        size_t used = emu_action_arg_size(a->type);

        if (a->type == FW_ACT_NONE) {
            *synd = FW_SYND(FW_SYND_ACTION, i, a->type);
            return FW_STATUS_BAD_PARAM;
        }
        if (a->type >= FW_ACT_COUNT_ ||
            !(dev->caps.actions & FW_ACTION_BIT(a->type))) {
            *synd = FW_SYND(FW_SYND_ACTION, i, a->type);
            return FW_STATUS_NOT_SUPPORTED;
        }
        if (a->rsvd0 != 0 || a->rsvd1 != 0 ||
            !emu_bytes_zero(a->u.raw + used, sizeof(a->u.raw) - used)) {
            *synd = FW_SYND(FW_SYND_RSVD, i, a->type);
            return FW_STATUS_BAD_PARAM;
        }
        if ((st = emu_action_check_arg(dev, table, a, i, synd)) != 0)
            return st;
        /* nothing may follow a JUMP: the walk leaves this rule there */
        if (n_jump != 0) {
            *synd = FW_SYND(FW_SYND_ACTION, i, a->type);
            return FW_STATUS_BAD_PARAM;
        }
        n_fate += emu_is_fate(a->type);
        n_drop += a->type == FW_ACT_DROP;
        n_jump += a->type == FW_ACT_JUMP;
    }
    if (n_fate == 0) {
        *synd = FW_SYND(FW_SYND_ACTION, n, 0);
        return FW_STATUS_BAD_PARAM;
    }
    if (n_drop != 0) {
        bool seen_drop = false;

        /* DROP stands alone with optional COUNTs: point at the first
         * action that keeps it from doing so */
        for (unsigned i = 0; i < n; i++) {
            if (acts[i].type == FW_ACT_COUNT)
                continue;
            if (acts[i].type == FW_ACT_DROP && !seen_drop) {
                seen_drop = true;
                continue;
            }
            *synd = FW_SYND(FW_SYND_ACTION, i, acts[i].type);
            return FW_STATUS_BAD_PARAM;
        }
    }
    return FW_STATUS_OK;
}
