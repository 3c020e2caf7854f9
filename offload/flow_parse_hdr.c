/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header fields in the subfields of load, move, push, pop and
 * output:FIELD (NXM_OF_IP_SRC[], OXM_OF_ARP_THA[0..15], eth_dst[40..47]),
 * as ovs-ofctl checks them: the flow must promise the field's header at
 * that point of the list (the match, or the EtherType a push_mpls or
 * pop_mpls left), whether the action reads or writes it, and a field
 * Open vSwitch keeps read-only (eth_type, nw_proto) cannot be written.
 * Register-like names go on to fp_subfield().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flow_priv.h"
#include "wide128.h"

int
fp_hdr_subfield(struct fp_act_state *st, const struct fp_tok *tok,
                const char *s, size_t len, const char *what, bool write,
                struct flow_subfield *sf)
{
    struct fp_ctx *c = st->c;
    const char *br = memchr(s, '[', len);
    size_t nlen = br ? (size_t)(br - s) : len;
    unsigned field = flow_hdr_by_name(s, nlen);
    enum fp_act_prereq pr;
    unsigned width;
    char name[32], why[64];
    int rc;

    if (field == FLOW_FIELD_NONE)
        return fp_subfield(c, tok, s, len, what, sf);
    width = flow_hdr_width(field);
    rc = fp_subfield_bits(c, tok, what, s, len, nlen, field, width, sf);
    if (rc < 0)
        return rc;
    flow_hdr_name(field, name, sizeof(name));
    pr = fp_hdr_prereq(field);
    if (write && !flow_hdr_writable(field))
        return fp_fail(c, -EINVAL, tok, "%s: %s is not writable (Open "
                       "vSwitch keeps it read-only)", what, name);
    if (write && (field == FLOW_FIELD_VLAN_TCI
                  || field == FLOW_FIELD_VLAN_VID)) {
        /* Open vSwitch writes the flow's TCI, whose CFI bit says "tagged":
         * its writes push or pop a tag, and onto an untagged packet the
         * other bits wait, unseen, for a later push. snicd writes the
         * frame's tag: taken onto a tag the flow promises, and a CFI bit
         * only from a load that sets it (act_load() checks the value) */
        bool load = strcmp(what, "load") == 0;

        /* a load is a set_field to Open vSwitch, whose check wants a
         * tag for vlan_vid as it sees it (move and pop it does not) */
        if (field == FLOW_FIELD_VLAN_VID && load)
            pr = AP_TAGGED;
        else if (!st->tagged)
            return fp_fail(c, -ENOTSUP, tok, "%s: writing %s needs a "
                           "VLAN-tagged packet in snicd (match dl_vlan=N "
                           "or vlan_tci=0x1000/0x1000, or push_vlan "
                           "first): on an untagged one Open vSwitch keeps "
                           "the bits for a later push", what, name);
    }
    if (write && field == FLOW_FIELD_VLAN_TCI) {
        if (flow_subfield_has_cfi(sf) && strcmp(what, "load") != 0)
            return fp_fail(c, -ENOTSUP, tok, "%s: writing vlan_tci's CFI "
                           "bit (bit 12) from a subfield is not supported "
                           "(a 0 there pops the tag; write bits 0..11 or "
                           "13..15, or use strip_vlan)", what);
    }
    snprintf(why, sizeof(why), "%s %s %s", what, write ? "to" : "from",
             name);
    return fp_act_prereq(st, tok, pr, why);
}

/* The header fields whose set_field is kept as loads: the ones no mod_*
 * action (flow_parse_act.c's table) writes. */
static bool
set_by_load(unsigned field)
{
    switch (field) {
    case FLOW_FIELD_IPV6_SRC:
    case FLOW_FIELD_IPV6_DST:
    case FLOW_FIELD_ARP_OP:
    case FLOW_FIELD_ARP_SPA:
    case FLOW_FIELD_ARP_TPA:
    case FLOW_FIELD_ARP_SHA:
    case FLOW_FIELD_ARP_THA:
    case FLOW_FIELD_ND_TARGET:
    case FLOW_FIELD_ND_SLL:
    case FLOW_FIELD_ND_TLL:
        return true;
    default:
        return false;
    }
}

/* VALUE[/MASK] of set_field onto @field, in the field's own notation (a
 * MAC, an IPv4 or IPv6 address, else a number), into v and m. */
static int
read_masked(struct fp_ctx *c, const struct fp_tok *tok, unsigned field,
            size_t vlen, const char *what, uint64_t v[2], uint64_t m[2])
{
    struct fp_tok t = *tok;
    int rc;

    /* the value alone, for the readers of VALUE[/MASK] */
    t.vlen = vlen;
    if (flow_hdr_width(field) == 48) {
        uint8_t mac[6], mk[6];

        rc = fp_mac_masked(c, &t, what, mac, mk);
        wide_from_bytes(mac, 6, v);
        wide_from_bytes(mk, 6, m);
    } else if (field == FLOW_FIELD_ARP_SPA || field == FLOW_FIELD_ARP_TPA
               || field == FLOW_FIELD_IP_SRC || field == FLOW_FIELD_IP_DST) {
        flow_be32 a, mk;

        rc = fp_ipv4_masked(c, &t, what, &a, &mk);
        wide_from_bytes((const uint8_t *)&a, 4, v);
        wide_from_bytes((const uint8_t *)&mk, 4, m);
    } else if (flow_hdr_width(field) == 128) {
        uint8_t a[16], mk[16];

        rc = fp_ipv6_masked(c, &t, what, a, mk);
        wide_from_bytes(a, 16, v);
        wide_from_bytes(mk, 16, m);
    } else {
        unsigned w = flow_hdr_width(field);

        v[1] = m[1] = 0;
        rc = fp_uint_masked(c, &t, (1ull << w) - 1, what, "a number that "
                            "fits the field", &v[0], &m[0]);
    }
    if (rc < 0)
        return rc;
    if (m[0] == 0 && m[1] == 0)
        return fp_fail(c, -EINVAL, tok, "%s: the mask is 0 (nothing to "
                       "set)", what);
    v[0] &= m[0];
    v[1] &= m[1];
    return 0;
}

/* The fields Open vSwitch lets a set_field mask ("invalid mask for
 * field" for the others): the addresses and the L4 ports, whose writes
 * are also partial in its OpenFlow 1.3 encoding (loads), and the VID;
 * of those kept as loads, all but ARP's opcode. */
static bool
maskable(unsigned field)
{
    if (set_by_load(field))
        return field != FLOW_FIELD_ARP_OP;
    switch (field) {
    case FLOW_FIELD_ETH_SRC:
    case FLOW_FIELD_ETH_DST:
    case FLOW_FIELD_IP_SRC:
    case FLOW_FIELD_IP_DST:
    case FLOW_FIELD_TCP_SRC:
    case FLOW_FIELD_TCP_DST:
    case FLOW_FIELD_UDP_SRC:
    case FLOW_FIELD_UDP_DST:
    case FLOW_FIELD_SCTP_SRC:
    case FLOW_FIELD_SCTP_DST:
    case FLOW_FIELD_VLAN_VID:
        return true;
    default:
        return false;
    }
}

static int
no_mask(struct fp_ctx *c, const struct fp_tok *tok, const char *what,
        const char *fname)
{
    return fp_fail(c, -EINVAL, tok, "%s: %s takes no mask (Open vSwitch "
                   "writes it whole only; give the value alone)", what,
                   fname);
}

int
fp_hdr_set_field(struct fp_act_state *st, const struct fp_tok *tok,
                 const char *name, size_t nlen, size_t vlen, bool *handled)
{
    unsigned field = flow_hdr_by_name(name, nlen);
    uint64_t v[2], m[2];
    char what[48], fname[32];
    int rc;

    *handled = false;
    if (field == FLOW_FIELD_NONE || !set_by_load(field))
        return 0;
    *handled = true;
    flow_hdr_name(field, fname, sizeof(fname));
    snprintf(what, sizeof(what), "set_field %s", fname);
    if (!maskable(field) && memchr(tok->val, '/', vlen) != NULL)
        return no_mask(st->c, tok, what, fname);
    rc = fp_act_prereq(st, tok, fp_hdr_prereq(field), what);
    if (rc < 0)
        return rc;
    rc = read_masked(st->c, tok, field, vlen, what, v, m);
    if (rc < 0)
        return rc;
    return fp_masked_loads(st, tok, field, v, m, FLOW_ACT_F_SET_FIELD);
}

/* The header field a masked set_field names: its NXM/OXM names and
 * aliases, and set_field's own ipv4_src and ipv4_dst. */
static unsigned
masked_set_field_hdr(const char *name, size_t nlen)
{
    unsigned field = flow_hdr_by_name(name, nlen);

    if (field != FLOW_FIELD_NONE)
        return field;
    if (nlen == 8 && memcmp(name, "ipv4_src", 8) == 0)
        return FLOW_FIELD_IP_SRC;
    if (nlen == 8 && memcmp(name, "ipv4_dst", 8) == 0)
        return FLOW_FIELD_IP_DST;
    return FLOW_FIELD_NONE;
}

int
fp_hdr_masked_set_field(struct fp_act_state *st, const struct fp_tok *tok,
                        const char *name, size_t nlen, size_t vlen)
{
    struct fp_ctx *c = st->c;
    unsigned field = masked_set_field_hdr(name, nlen);
    unsigned width = flow_hdr_width(field);
    enum fp_act_prereq pr;
    uint64_t v[2], m[2];
    char what[48], fname[32];
    int rc;

    /* in_port and vlan_tci have set_field readers of their own; the
     * tunnel's fields are not in the frame */
    if (field == FLOW_FIELD_NONE || field == FLOW_FIELD_IN_PORT
        || field == FLOW_FIELD_IN_PORT_OXM)
        return fp_fail(c, -ENOTSUP, tok, "set_field: a masked write to "
                       "'%.*s' is not supported (give the whole value)",
                       (int)(nlen > 32 ? 32 : nlen), name);
    flow_hdr_name(field, fname, sizeof(fname));
    snprintf(what, sizeof(what), "set_field %s", fname);
    if (!flow_hdr_writable(field))
        return fp_fail(c, -EINVAL, tok, "%s: %s is not writable (Open "
                       "vSwitch keeps it read-only)", what, fname);
    if (!maskable(field))
        return no_mask(c, tok, what, fname);
    /* a set_field of the VID wants a tag, as set_field:V->vlan_vid does */
    pr = field == FLOW_FIELD_VLAN_VID ? AP_TAGGED : fp_hdr_prereq(field);
    rc = fp_act_prereq(st, tok, pr, what);
    if (rc < 0)
        return rc;
    rc = read_masked(c, tok, field, vlen, what, v, m);
    if (rc < 0)
        return rc;
    if (m[0] == (width >= 64 ? UINT64_MAX : (1ull << width) - 1)
        && m[1] == (width == 128 ? UINT64_MAX : 0))
        return 1;           /* the whole field: the caller's plain write */
    /* The bits under the mask, as the loads Open vSwitch decodes an
     * OpenFlow 1.2+ masked set_field into. Its OpenFlow 1.0 encoding
     * drops the mask and writes the whole field; snicd keeps the
     * mask's meaning whatever the version (docs/flow-language.md). */
    return fp_masked_loads(st, tok, field, v, m, FLOW_ACT_F_SET_FIELD);
}
