/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP fragment state: rte_flow's ways of asking for it -> fw_match.ip_frag.
 *
 * Applications say "fragment or not" in several ways: IPV4 fragment_offset
 * as spec/mask (Open vSwitch: spec 0 mask 0x3fff for a whole packet, spec
 * 0x2000 mask 0x3fff for a first fragment) or as a range with 'last'
 * (spec 1 last 0x1fff mask 0x1fff: a later fragment; spec 1 last 0x3fff
 * mask 0x3fff: any fragment), IPV6 has_frag_ext, and the IPV6_FRAG_EXT
 * item's frag_data. The device knows only the state of a packet: whole,
 * first, middle or last fragment (and, for IPv6, an atomic fragment), as
 * the IS / LATER / MORE bits of ip_frag.
 *
 * Rather than recognise a list of spellings, the converter works out, for
 * each state, whether the application's spec/mask/last accepts all, some
 * or none of its (MF, offset) pairs (emunic_frag_classify: a few bit
 * operations per state; the unit test checks it against walking all 2^14
 * pairs), and accepts the rule only when the states it takes whole are
 * exactly what one ip_frag value/mask expresses and it takes no state in
 * part. So every equivalent spelling is
 * taken, and a pattern that would make the device match more or fewer
 * packets than it says (Open vSwitch's IPv4 "later" range starts at offset
 * 8 and leaves out offsets 1 to 7, which the device cannot tell apart from
 * the others) is refused with the reason.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_flow.h>

#include "emunic.h"

#define IS      FW_IP_FRAG_IS
#define LATER   FW_IP_FRAG_LATER
#define MORE    FW_IP_FRAG_MORE

/* states a packet can be in, as bits of a set indexed by ip_frag */
#define ST(s)   (1u << (s))
#define V4_STATES (ST(0) | ST(IS | MORE) | ST(IS | LATER | MORE) | \
                   ST(IS | LATER))
#define V6_STATES (ST(IS) | ST(IS | MORE) | ST(IS | LATER | MORE) | \
                   ST(IS | LATER))

static const char *
state_name(unsigned s)
{
    switch (s) {
    case 0:
        return "whole (unfragmented) packets";
    case IS:
        return "atomic fragments (offset 0, no M flag)";
    case IS | MORE:
        return "first fragments";
    case IS | LATER | MORE:
        return "middle fragments";
    case IS | LATER:
        return "last fragments";
    default:
        return "packets";
    }
}

/* Smallest z >= lo (16 bits) whose bits under @fixed equal @val; -1 when
 * there is none. z shares a prefix with lo, then has a 1 where lo has a
 * 0, then is as small as the fixed bits allow: the lowest such bit gives
 * the smallest z. */
static int32_t
next_fit(uint32_t lo, uint32_t fixed, uint32_t val)
{
    if (lo > 0xffffu)
        return -1;
    if ((lo & fixed) == val)
        return (int32_t)lo;
    for (unsigned i = 0; i < 16; i++) {
        uint32_t bit = 1u << i, above = 0xffffu & ~((bit << 1) - 1u);

        if ((lo & bit) || ((fixed & bit) && !(val & bit)) ||
            (lo & above & fixed) != (val & above))
            continue;
        return (int32_t)((lo & above) | bit | (val & (bit - 1u)));
    }
    return -1;
}

/*
 * The packets of one state whose (masked) field lies in [lo, hi]: all,
 * some or none. A state is either one value (@range false: offset 0 and
 * @base, the MF / M bit or nothing) or @base with every non-zero offset
 * in @offs. Masked, those offsets give every submask y of mo = mask & offs
 * (y = 0 too, unless the mask keeps every offset bit), so the keys are
 * b | y with b = base & mask: all of them lie in [lo, hi] when the
 * smallest and largest do, and some do when the smallest key >= lo is
 * <= hi.
 */
static void
state_hits(bool range, uint16_t base, uint16_t offs, uint16_t mask,
           uint32_t lo, uint32_t hi, bool *all, bool *some)
{
    uint32_t mo = mask & offs, b = base & mask;
    bool no_zero = mo == offs;
    uint32_t min = no_zero ? (b | (mo & -mo)) : b, max = b | mo;
    int32_t z;

    if (!range) {
        *all = *some = b >= lo && b <= hi;
        return;
    }
    *all = min >= lo && max <= hi;
    z = next_fit(lo, 0xffffu & ~mo, b);
    if (no_zero && z == (int32_t)b)
        z = next_fit(b + 1u, 0xffffu & ~mo, b);
    *some = z >= 0 && (uint32_t)z <= hi;
}

void
emunic_frag_classify(bool v6, uint16_t spec, uint16_t mask, uint16_t last,
                     uint32_t *all, uint32_t *some)
{
    /* IPv4: MF 0x2000, offset 0x1fff. IPv6 frag_data: offset 0xfff8, M 1. */
    static const struct {
        uint8_t state;
        bool range;
        uint16_t base4, base6;
    } states[] = {
        { 0, false, 0, 0xffff },            /* IPv4 only: whole */
        { IS, false, 0xffff, 0 },           /* IPv6 only: atomic */
        { IS | MORE, false, 0x2000, 0x0001 },
        { IS | LATER | MORE, true, 0x2000, 0x0001 },
        { IS | LATER, true, 0, 0 },
    };
    uint32_t lo = spec & mask, hi = last & mask;

    *all = *some = 0;
    for (unsigned i = 0; i < RTE_DIM(states); i++) {
        uint16_t base = v6 ? states[i].base6 : states[i].base4;
        bool a, s;

        if (base == 0xffff)
            continue;
        state_hits(states[i].range, base, v6 ? 0xfff8 : 0x1fff, mask, lo,
                   hi, &a, &s);
        if (a)
            *all |= ST(states[i].state);
        if (s)
            *some |= ST(states[i].state);
    }
}

/* The smallest ip_frag value/mask whose matches among @reachable states
 * are exactly @want; false when none is. */
static bool
express(uint32_t want, uint32_t reachable, uint8_t *v, uint8_t *m)
{
    static const uint8_t masks[] = { IS, LATER, MORE, IS | LATER, IS | MORE,
                                     LATER | MORE, IS | LATER | MORE };

    for (unsigned i = 0; i < RTE_DIM(masks); i++)
        for (unsigned val = 0; val < 8; val++) {
            uint32_t got = 0;

            if (val & ~masks[i])
                continue;
            for (unsigned s = 0; s < 8; s++)
                if ((reachable & ST(s)) && (s & masks[i]) == val)
                    got |= ST(s);
            if (got == want) {
                *v = (uint8_t)val;
                *m = masks[i];
                return true;
            }
        }
    return false;
}

/*
 * @spec, @mask, @last in host order; @last == spec when there is no range.
 * On success *m is 0 when every state matches.
 */
static int
frag_state(const struct rte_flow_item *item, const char *what, bool v6,
           uint16_t spec, uint16_t mask, uint16_t last, uint8_t *v,
           uint8_t *m, struct rte_flow_error *error)
{
    uint32_t reachable = v6 ? V6_STATES : V4_STATES, want, some;
    unsigned lo = spec & mask, hi = last & mask;
    char range[48] = "";

    if (hi < lo)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_LAST,
                               item, "%s: 'last' 0x%04x is below spec 0x%04x",
                               what, hi, lo);
    emunic_frag_classify(v6, spec, mask, last, &want, &some);
    if (hi != lo)
        snprintf(range, sizeof(range), " last 0x%04x", hi);
    for (unsigned s = 0; s < 8; s++)
        if ((some & ~want) & ST(s))
            return emunic_flow_err(error, ENOTSUP,
                                   hi != lo ? RTE_FLOW_ERROR_TYPE_ITEM_LAST :
                                   RTE_FLOW_ERROR_TYPE_ITEM_MASK, item,
                                   "%s: spec 0x%04x%s mask 0x%04x takes some "
                                   "%s but not all; the device tells apart "
                                   "only whole packets and first, middle "
                                   "and last fragments, not offsets (later "
                                   "fragments: spec 0x%04x last 0x%04x mask "
                                   "0x%04x)", what, lo, range, mask,
                                   state_name(s), v6 ? 0x0008 : 0x0001,
                                   v6 ? 0xfff8 : 0x1fff, v6 ? 0xfff8 : 0x1fff);
    if (want == 0)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s: spec 0x%04x%s mask 0x%04x matches no "
                               "packet", what, lo, range, mask);
    *v = 0;
    *m = 0;
    if (want == reachable)
        return 0;
    if (!express(want, reachable, v, m))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
                               "%s: spec 0x%04x%s mask 0x%04x asks for a set "
                               "of fragment states one rule cannot match; "
                               "split it into two rules", what, lo, range,
                               mask);
    return 0;
}

/* A range on the field: last when it is one (rte_flow: 0 or equal to spec
 * is none), else spec. */
static uint16_t
range_end(const void *last, size_t off, uint16_t spec, uint16_t mask)
{
    rte_be16_t be;
    uint16_t l;

    if (last == NULL)
        return spec;
    memcpy(&be, (const uint8_t *)last + off, sizeof(be));
    l = rte_be_to_cpu_16(be);
    if ((l & mask) == 0 || (l & mask) == (spec & mask))
        return spec;
    return l;
}

int
emunic_frag_ipv4(const struct rte_flow_item *item,
                 const struct rte_flow_item_ipv4 *s,
                 const struct rte_flow_item_ipv4 *m, uint8_t *fv,
                 uint8_t *fm, struct rte_flow_error *error)
{
    uint16_t mask = rte_be_to_cpu_16(m->hdr.fragment_offset);
    uint16_t spec = rte_be_to_cpu_16(s->hdr.fragment_offset);
    uint16_t last;

    *fv = *fm = 0;
    if (mask == 0)
        return 0;
    last = range_end(item->last, offsetof(struct rte_flow_item_ipv4,
                                          hdr.fragment_offset), spec, mask);
    return frag_state(item, "IPV4 fragment_offset", false, spec, mask, last,
                      fv, fm, error);
}

int
emunic_frag_ipv6_ext(const struct rte_flow_item *item,
                     const struct rte_flow_item_ipv6_frag_ext *s,
                     const struct rte_flow_item_ipv6_frag_ext *m,
                     uint8_t *fv, uint8_t *fm, struct rte_flow_error *error)
{
    uint16_t mask = rte_be_to_cpu_16(m->hdr.frag_data);
    uint16_t spec = rte_be_to_cpu_16(s->hdr.frag_data);
    uint16_t last;
    int ret = 0;

    *fv = *fm = 0;
    if (mask != 0) {
        last = range_end(item->last,
                         offsetof(struct rte_flow_item_ipv6_frag_ext,
                                  hdr.frag_data), spec, mask);
        ret = frag_state(item, "IPV6_FRAG_EXT frag_data", true, spec, mask,
                         last, fv, fm, error);
    }
    /* the item itself says: a packet with a Fragment header */
    *fv |= IS;
    *fm |= IS;
    return ret;
}
