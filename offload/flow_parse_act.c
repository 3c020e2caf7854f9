/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The action list of the flow language ("actions=" to the end of the line).
 *
 * Actions are checked against the match as they are read, the way OpenFlow
 * checks an action set against its flow: a set_field must be guaranteed to
 * find its header (set_field:80->tcp_dst needs tcp in the match), and a
 * set_field onto the VLAN must be guaranteed a tag by the match or by an
 * earlier push.
 *
 * OpenFlow 1.0's own actions are the exception, as in Open vSwitch: strip_vlan,
 * dec_ttl, mod_nw_src/dst, mod_nw_tos and mod_tp_src/dst are taken without
 * the match promising their header, and apply to the packets that have it
 * (the datapath checks each packet; the translator offloads them only where
 * the match does promise it). Action names are case-insensitive (DROP,
 * Output:1), as in ovs-ofctl; field names are not.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flow_priv.h"

static int read_checked(struct fp_act_state *st, const struct fp_tok *tok);

/* After push_mpls or pop_mpls the match no longer says what the packet
 * is: only the EtherType they leave does, and no protocol above it (Open
 * vSwitch's action check forgets nw_proto there too). */
static int
changed_prereq(struct fp_act_state *st, const struct fp_tok *tok,
               enum fp_act_prereq pr, const char *name)
{
    bool ip4 = st->dl_type == 0x0800, ip6 = st->dl_type == 0x86dd;

    if ((pr == AP_IPV4 && ip4) || (pr == AP_IP_ANY && (ip4 || ip6))
        || (pr == AP_IPV6 && ip6) || (pr == AP_ARP && st->dl_type == 0x0806))
        return 0;
    if (st->dl_type == 0xffff)
        return fp_fail(st->c, -EINVAL, tok, "%s: after decap of a packet "
                       "without an Ethernet header, or encap(ethernet) "
                       "under packet_type=(1,T), what header the packet has "
                       "is not known (match it in a later table)", name);
    return fp_fail(st->c, -EINVAL, tok, "%s: after push_mpls/pop_mpls the "
                   "packet is EtherType 0x%04x%s, which does not promise "
                   "the header %s writes", name, st->dl_type,
                   ip4 || ip6 ? " with no known protocol" : "", name);
}

/* Neighbor Discovery, as Open vSwitch checks it on the match: icmp6 with
 * icmp_type 135 (solicitation) or 136 (advertisement), exactly, and
 * icmp_code 0 or not matched (its check reads a field the match leaves
 * out as 0); nd_sll needs a solicitation, nd_tll an advertisement. */
int
fp_nd_prereq(struct fp_ctx *c, const struct fp_tok *tok,
             enum fp_act_prereq pr, const char *name)
{
    const struct flow_match *m = &c->fm.flow.match;
    unsigned type = ntohs(m->value.tp_src);
    bool exact = m->mask.tp_src == htons(0xffff);
    bool icmp6 = flow_match_is_ipv6(m)
                 && flow_match_is_ip_proto(m, IPPROTO_ICMPV6);
    bool ok;

    if (pr == AP_ND_SOLICIT)
        ok = exact && type == 135;
    else if (pr == AP_ND_ADVERT)
        ok = exact && type == 136;
    else
        ok = exact && (type == 135 || type == 136);
    if (icmp6 && ok && m->value.tp_dst == 0)
        return 0;
    if (icmp6 && ok)
        return fp_fail(c, -EINVAL, tok, "%s requires icmp_code=0 (a "
                       "Neighbor Discovery message has code 0)", name);
    return fp_fail(c, -EINVAL, tok, "%s requires a match on %s (add "
                   "'icmp6,icmp_type=%s' to the match)", name,
                   pr == AP_ND_SOLICIT ? "a neighbor solicitation"
                   : pr == AP_ND_ADVERT ? "a neighbor advertisement"
                   : "a neighbor solicitation or advertisement",
                   pr == AP_ND_ADVERT ? "136" : "135");
}

static int
act_prereq(struct fp_act_state *st, const struct fp_tok *tok,
           enum fp_act_prereq pr, const char *name)
{
    struct fp_ctx *c = st->c;
    const struct flow_match *m = &c->fm.flow.match;
    bool ip = flow_match_is_ipv4(m) || flow_match_is_ipv6(m);

    if (st->l3_changed && pr != AP_NONE && pr != AP_TAGGED
        && pr != AP_TAG_FRAME)
        return changed_prereq(st, tok, pr, name);
    switch (pr) {
    case AP_NONE:
        return 0;
    case AP_IPV4:
        if (flow_match_is_ipv4(m))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on IPv4 "
                       "(add 'ip' to the match)", name);
    case AP_IPV6:
        if (flow_match_is_ipv6(m))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on IPv6 "
                       "(add 'ipv6' to the match)", name);
    case AP_ARP:
        if (flow_match_is_arp(m))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on ARP "
                       "(add 'arp' to the match)", name);
    case AP_IP_ANY:
        if (ip)
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on ip or ipv6 "
                       "(add 'ip' or 'ipv6' to the match)", name);
    case AP_L4:
        if (flow_match_is_ip_proto(m, IPPROTO_TCP)
            || flow_match_is_ip_proto(m, IPPROTO_UDP)
            || flow_match_is_ip_proto(m, IPPROTO_SCTP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on tcp, udp or "
                       "sctp (add 'tcp' or 'udp' to the match)", name);
    case AP_TCP:
        if (flow_match_is_ip_proto(m, IPPROTO_TCP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on tcp "
                       "(add 'tcp' or 'tcp6' to the match)", name);
    case AP_UDP:
        if (flow_match_is_ip_proto(m, IPPROTO_UDP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on udp "
                       "(add 'udp' or 'udp6' to the match)", name);
    case AP_SCTP:
        if (flow_match_is_ip_proto(m, IPPROTO_SCTP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on sctp "
                       "(add 'sctp' or 'sctp6' to the match)", name);
    case AP_ICMPV4:
        if (flow_match_is_ipv4(m) && flow_match_is_ip_proto(m, IPPROTO_ICMP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on icmp "
                       "(add 'icmp' to the match)", name);
    case AP_ICMPV6:
        if (flow_match_is_ipv6(m)
            && flow_match_is_ip_proto(m, IPPROTO_ICMPV6))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires a match on icmp6 "
                       "(add 'icmp6' to the match)", name);
    case AP_ND:
    case AP_ND_SOLICIT:
    case AP_ND_ADVERT:
        return fp_nd_prereq(c, tok, pr, name);
    case AP_TAGGED:
        if (st->tagged && st->tci_no_cfi)
            return fp_fail(c, -EINVAL, tok, "%s after a write to vlan_tci "
                           "without its CFI bit (0x1000): Open vSwitch's "
                           "check takes that value for the whole TCI, sees "
                           "no tag and refuses it (write the CFI bit too)",
                           name);
        /* fall through */
    case AP_TAG_FRAME:
        if (st->tagged)
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s needs a VLAN-tagged packet "
                       "(match dl_vlan=N or vlan_tci=0x1000/0x1000, or "
                       "push_vlan first)", name);
    }
    return 0;
}

int
fp_act_prereq(struct fp_act_state *st, const struct fp_tok *tok,
              enum fp_act_prereq pr, const char *name)
{
    return act_prereq(st, tok, pr, name);
}

/* Set-field targets and the legacy mod_* names: one table, one reader. */
enum act_arg { ARG_MAC, ARG_IPV4, ARG_TOS, ARG_DSCP, ARG_TP, ARG_VID,
               ARG_PCP, ARG_TUN_ID, ARG_TTL, ARG_ECN, ARG_ICMP };

struct act_field {
    const char *name;
    uint16_t type;
    enum act_arg arg;
    enum fp_act_prereq prereq;
};

static const struct act_field set_fields[] = {
    { "eth_src",   FLOW_ACT_MOD_DL_SRC,   ARG_MAC,    AP_NONE },
    { "dl_src",    FLOW_ACT_MOD_DL_SRC,   ARG_MAC,    AP_NONE },
    { "eth_dst",   FLOW_ACT_MOD_DL_DST,   ARG_MAC,    AP_NONE },
    { "dl_dst",    FLOW_ACT_MOD_DL_DST,   ARG_MAC,    AP_NONE },
    { "ipv4_src",  FLOW_ACT_MOD_NW_SRC,   ARG_IPV4,   AP_IPV4 },
    { "nw_src",    FLOW_ACT_MOD_NW_SRC,   ARG_IPV4,   AP_IPV4 },
    { "ip_src",    FLOW_ACT_MOD_NW_SRC,   ARG_IPV4,   AP_IPV4 },
    { "ipv4_dst",  FLOW_ACT_MOD_NW_DST,   ARG_IPV4,   AP_IPV4 },
    { "nw_dst",    FLOW_ACT_MOD_NW_DST,   ARG_IPV4,   AP_IPV4 },
    { "ip_dst",    FLOW_ACT_MOD_NW_DST,   ARG_IPV4,   AP_IPV4 },
    { "ip_dscp",   FLOW_ACT_MOD_NW_TOS,   ARG_DSCP,   AP_IP_ANY },
    { "nw_tos",    FLOW_ACT_MOD_NW_TOS,   ARG_TOS,    AP_IP_ANY },
    { "tcp_src",   FLOW_ACT_MOD_TP_SRC,   ARG_TP,     AP_TCP },
    { "tcp_dst",   FLOW_ACT_MOD_TP_DST,   ARG_TP,     AP_TCP },
    { "udp_src",   FLOW_ACT_MOD_TP_SRC,   ARG_TP,     AP_UDP },
    { "udp_dst",   FLOW_ACT_MOD_TP_DST,   ARG_TP,     AP_UDP },
    { "sctp_src",  FLOW_ACT_MOD_TP_SRC,   ARG_TP,     AP_SCTP },
    { "sctp_dst",  FLOW_ACT_MOD_TP_DST,   ARG_TP,     AP_SCTP },
    /* Open vSwitch's other names of tcp_src/tcp_dst, with their rules */
    { "tp_src",    FLOW_ACT_MOD_TP_SRC,   ARG_TP,     AP_TCP },
    { "tp_dst",    FLOW_ACT_MOD_TP_DST,   ARG_TP,     AP_TCP },
    { "icmp_type", FLOW_ACT_MOD_TP_SRC,   ARG_ICMP,   AP_ICMPV4 },
    { "icmp_code", FLOW_ACT_MOD_TP_DST,   ARG_ICMP,   AP_ICMPV4 },
    { "icmpv6_type", FLOW_ACT_MOD_TP_SRC, ARG_ICMP,   AP_ICMPV6 },
    { "icmpv6_code", FLOW_ACT_MOD_TP_DST, ARG_ICMP,   AP_ICMPV6 },
    { "nw_ttl",    FLOW_ACT_MOD_NW_TTL,   ARG_TTL,    AP_IP_ANY },
    { "nw_ecn",    FLOW_ACT_MOD_NW_ECN,   ARG_ECN,    AP_IP_ANY },
    { "ip_ecn",    FLOW_ACT_MOD_NW_ECN,   ARG_ECN,    AP_IP_ANY },
    { "vlan_vid",  FLOW_ACT_MOD_VLAN_VID, ARG_VID,    AP_TAGGED },
    { "vlan_pcp",  FLOW_ACT_MOD_VLAN_PCP, ARG_PCP,    AP_TAGGED },
    { "tun_id",    FLOW_ACT_SET_TUNNEL,   ARG_TUN_ID, AP_NONE },
    { "tunnel_id", FLOW_ACT_SET_TUNNEL,   ARG_TUN_ID, AP_NONE },
    { "tun_src",   FLOW_ACT_SET_TUN_SRC,  ARG_IPV4,   AP_NONE },
    { "tun_dst",   FLOW_ACT_SET_TUN_DST,  ARG_IPV4,   AP_NONE },
    { NULL, 0, 0, 0 },
};

/* OpenFlow 1.0's relaxed prerequisites (AP_NONE where set_field has one):
 * a packet without the header goes through untouched. mod_nw_ttl and
 * mod_nw_ecn are Open vSwitch extensions with set_field's rules. */
static const struct act_field mod_actions[] = {
    { "mod_dl_src",   FLOW_ACT_MOD_DL_SRC,   ARG_MAC,    AP_NONE },
    { "mod_dl_dst",   FLOW_ACT_MOD_DL_DST,   ARG_MAC,    AP_NONE },
    { "mod_nw_src",   FLOW_ACT_MOD_NW_SRC,   ARG_IPV4,   AP_NONE },
    { "mod_nw_dst",   FLOW_ACT_MOD_NW_DST,   ARG_IPV4,   AP_NONE },
    { "mod_nw_tos",   FLOW_ACT_MOD_NW_TOS,   ARG_TOS,    AP_NONE },
    { "mod_tp_src",   FLOW_ACT_MOD_TP_SRC,   ARG_TP,     AP_NONE },
    { "mod_tp_dst",   FLOW_ACT_MOD_TP_DST,   ARG_TP,     AP_NONE },
    { "mod_nw_ttl",   FLOW_ACT_MOD_NW_TTL,   ARG_TTL,    AP_IP_ANY },
    { "mod_nw_ecn",   FLOW_ACT_MOD_NW_ECN,   ARG_ECN,    AP_IP_ANY },
    /* OpenFlow 1.0 semantics: push a tag when there is none */
    { "mod_vlan_vid", FLOW_ACT_MOD_VLAN_VID, ARG_VID,    AP_NONE },
    { "mod_vlan_pcp", FLOW_ACT_MOD_VLAN_PCP, ARG_PCP,    AP_NONE },
    { "set_tunnel",   FLOW_ACT_SET_TUNNEL,   ARG_TUN_ID, AP_NONE },
    { "set_tunnel64", FLOW_ACT_SET_TUNNEL,   ARG_TUN_ID, AP_NONE },
    { NULL, 0, 0, 0 },
};

static const char *const known_actions[] = {
    "output", "drop", "push_vlan", "mod_vlan_vid", "mod_vlan_pcp",
    "strip_vlan", "pop_vlan", "decap", "encap", "mod_dl_src", "mod_dl_dst", "mod_nw_src",
    "mod_nw_dst", "mod_nw_tos", "mod_nw_ttl", "mod_nw_ecn", "mod_tp_src",
    "mod_tp_dst", "dec_ttl",
    "set_field", "set_tunnel", "set_tunnel64", "goto_table", "controller",
    "load", "move", "resubmit", "write_metadata", "clone", "learn", "ct",
    "ct_clear", "fin_timeout", "push_mpls", "pop_mpls", "set_mpls_label",
    "set_mpls_tc", "set_mpls_ttl", "dec_mpls_ttl", "write_actions",
    "clear_actions", "push", "pop", "set_vlan_vid", "set_vlan_pcp",
    "enqueue", "check_pkt_larger", "sample", "note", "exit",
    "debug_recirc", "debug_slow", "multipath", "bundle", "bundle_load",
    NULL,
};

static const char *const known_set_fields[] = {
    "eth_src", "eth_dst", "ipv4_src", "ipv4_dst", "ip_dscp", "nw_tos",
    "tcp_src", "tcp_dst", "udp_src", "udp_dst", "sctp_src", "sctp_dst",
    "vlan_vid", "vlan_pcp", "tun_id", "tun_src", "tun_dst", "nw_ttl",
    "nw_ecn", "ip_ecn", "metadata", "pkt_mark", "tp_src", "tp_dst",
    "icmp_type", "icmp_code", "icmpv6_type", "icmpv6_code", "in_port",
    "vlan_tci", "mpls_label", "mpls_tc", "mpls_ttl", "ipv6_src",
    "ipv6_dst", "arp_op", "arp_spa", "arp_tpa", "arp_sha", "arp_tha", NULL,
};

/* Read the argument s[0..len) of @af into a new action. */
static int
field_action(struct fp_act_state *st, const struct fp_tok *tok,
             const struct act_field *af, const char *s, size_t len,
             bool legacy)
{
    struct fp_ctx *c = st->c;
    struct flow_action *a;
    uint64_t v = 0;
    int rc;

    rc = act_prereq(st, tok, af->prereq, af->name);
    if (rc < 0)
        return rc;
    rc = fp_act_append(st, tok, af->type, &a);
    if (rc < 0)
        return rc;
    switch (af->arg) {
    case ARG_MAC:
        return fp_mac(c, tok, s, len, af->name, a->u.mac);
    case ARG_IPV4:
        return fp_ipv4(c, tok, s, len, af->name, &a->u.ipv4);
    case ARG_TOS:
        rc = fp_uint(c, tok, s, len, 0xff, af->name,
                     "0..252, a multiple of 4", &v);
        if (rc == 0 && (v & 3))
            return fp_fail(c, -EINVAL, tok, "%s %llu has ECN bits set "
                           "(expected a multiple of 4: DSCP<<2)", af->name,
                           (unsigned long long)v);
        a->u.tos = (uint8_t)v;
        return rc;
    case ARG_DSCP:
        rc = fp_uint(c, tok, s, len, 63, af->name, "0..63", &v);
        a->u.tos = (uint8_t)(v << 2);
        return rc;
    case ARG_TP:
        rc = fp_uint(c, tok, s, len, 0xffff, af->name, "0..65535", &v);
        a->u.tp_port = htons((uint16_t)v);
        return rc;
    case ARG_VID:
        /* OXM's vlan_vid may carry OFPVID_PRESENT (0x1000) */
        rc = fp_uint(c, tok, s, len, legacy ? FLOW_VLAN_VID_MASK : 0x1fff,
                     af->name, "a VLAN id 0..4095", &v);
        a->u.vlan.vid = htons((uint16_t)(v & FLOW_VLAN_VID_MASK));
        a->u.vlan.push_if_untagged = legacy;
        st->tagged = true;
        st->tci_no_cfi = false;
        return rc;
    case ARG_PCP:
        rc = fp_uint(c, tok, s, len, 7, af->name, "a VLAN priority 0..7",
                     &v);
        a->u.vlan.pcp = (uint8_t)v;
        a->u.vlan.push_if_untagged = legacy;
        st->tagged = true;
        st->tci_no_cfi = false;
        return rc;
    case ARG_TUN_ID:
        rc = fp_uint(c, tok, s, len, UINT64_MAX, af->name,
                     "a 64-bit tunnel id", &v);
        a->u.tun_id = htobe64(v);
        return rc;
    case ARG_TTL:
        rc = fp_uint(c, tok, s, len, 0xff, af->name, "a TTL 0..255", &v);
        a->u.ttl = (uint8_t)v;
        /* Open vSwitch keeps set_field:N->nw_ttl apart from mod_nw_ttl */
        if (!legacy && strcmp(af->name, "nw_ttl") == 0)
            a->pad0 = FLOW_ACT_F_SET_FIELD;
        return rc;
    case ARG_ECN:
        rc = fp_uint(c, tok, s, len, 3, af->name, "an ECN value 0..3", &v);
        a->u.tos = (uint8_t)v;
        return rc;
    case ARG_ICMP:
        /* one byte of the ICMP header, kept where Open vSwitch keeps it:
         * the low byte of the port field */
        rc = fp_uint(c, tok, s, len, 0xff, af->name, "0..255", &v);
        a->u.tp_port = htons((uint16_t)v);
        a->pad0 = af->prereq == AP_ICMPV4 ? FLOW_ACT_F_ICMPV4
                                          : FLOW_ACT_F_ICMPV6;
        return rc;
    }
    return 0;
}

/* set_field:PORT->in_port: the packet counts as arrived on PORT for the
 * rest of its pipeline, as in Open vSwitch. An ordinary port or LOCAL (the
 * ports a packet can arrive on). */
static int
set_in_port(struct fp_act_state *st, const struct fp_tok *tok, size_t vlen)
{
    struct flow_action *a;
    uint32_t port;
    int rc;

    if (memchr(tok->val, '/', vlen) != NULL)
        return fp_fail(st->c, -ENOTSUP, tok, "set_field in_port takes no "
                       "mask (give the whole port)");
    rc = fp_port(st->c, tok, tok->val, vlen, "set_field in_port", &port);
    if (rc < 0)
        return rc;
    if (flow_port_is_reserved(port) && port != FLOW_PORT_LOCAL)
        return fp_fail(st->c, -EINVAL, tok, "set_field in_port: %.*s is not "
                       "a port a packet can arrive on (an ordinary port or "
                       "LOCAL)", (int)(vlen > 24 ? 24 : vlen), tok->val);
    rc = fp_act_append(st, tok, FLOW_ACT_SET_IN_PORT, &a);
    if (rc < 0)
        return rc;
    a->u.port = port;
    return 0;
}

/* set_field:V[/M]->vlan_tci onto a tag the flow guarantees: the TCI bits
 * of M become V's. A value that clears CFI under the mask would remove the
 * tag in Open vSwitch; refused rather than done otherwise. */
static int
set_vlan_tci(struct fp_act_state *st, const struct fp_tok *tok, size_t vlen)
{
    const char *slash = memchr(tok->val, '/', vlen);
    size_t len = slash != NULL ? (size_t)(slash - tok->val) : vlen;
    struct flow_action *a;
    uint64_t v, m = 0xffff;
    int rc;

    rc = act_prereq(st, tok, AP_TAG_FRAME, "set_field vlan_tci");
    if (rc < 0)
        return rc;
    rc = fp_uint(st->c, tok, tok->val, len, 0xffff, "set_field vlan_tci",
                 "a TCI 0..0xffff", &v);
    if (rc == 0 && slash != NULL)
        rc = fp_uint(st->c, tok, slash + 1, vlen - len - 1, 0xffff,
                     "set_field vlan_tci mask", "a mask 0..0xffff", &m);
    if (rc < 0)
        return rc;
    if ((m & FLOW_VLAN_CFI) && !(v & FLOW_VLAN_CFI))
        return fp_fail(st->c, -ENOTSUP, tok, "set_field vlan_tci: a value "
                       "without CFI (0x1000) under the mask would remove "
                       "the tag (use strip_vlan)");
    rc = fp_act_append(st, tok, FLOW_ACT_MOD_VLAN_TCI, &a);
    if (rc < 0)
        return rc;
    a->u.tci.value = htons((uint16_t)(v & m));
    a->u.tci.mask = htons((uint16_t)m);
    st->tci_no_cfi = !(v & m & FLOW_VLAN_CFI);
    return 0;
}

static int
set_field(struct fp_act_state *st, const struct fp_tok *tok)
{
    const char *arrow = NULL;
    const char *name;
    size_t vlen, nlen;

    for (size_t i = 0; tok->val != NULL && i + 1 < tok->vlen; i++)
        if (tok->val[i] == '-' && tok->val[i + 1] == '>') {
            arrow = tok->val + i;
            break;
        }
    if (arrow == NULL)
        return fp_fail(st->c, -EINVAL, tok, "set_field needs VALUE->FIELD "
                       "(e.g. set_field:10.0.0.1->ipv4_dst)");
    vlen = (size_t)(arrow - tok->val);
    name = arrow + 2;
    nlen = tok->vlen - vlen - 2;
    {
        bool handled;
        int rc = fp_meta_set_field(st, tok, name, nlen, vlen, &handled);

        if (handled)
            return rc;
        rc = fp_mpls_set_field(st, tok, name, nlen, vlen, &handled);
        if (handled)
            return rc;
        rc = fp_hdr_set_field(st, tok, name, nlen, vlen, &handled);
        if (handled)
            return rc;
    }
    if (nlen == 7 && memcmp(name, "in_port", 7) == 0)
        return set_in_port(st, tok, vlen);
    if (nlen == 8 && memcmp(name, "vlan_tci", 8) == 0)
        return set_vlan_tci(st, tok, vlen);
    {
        const char *slash = memchr(tok->val, '/', vlen);

        if (slash != NULL) {
            int rc = fp_hdr_masked_set_field(st, tok, name, nlen, vlen);

            if (rc <= 0)
                return rc;
            vlen = (size_t)(slash - tok->val);  /* a mask of every bit */
        }
    }
    for (int i = 0; set_fields[i].name != NULL; i++)
        if (strlen(set_fields[i].name) == nlen
            && memcmp(set_fields[i].name, name, nlen) == 0)
            return field_action(st, tok, &set_fields[i], tok->val, vlen,
                                false);
    {
        const char *near = fp_suggest(name, nlen, known_set_fields);

        return fp_fail(st->c, -EINVAL, tok, "set_field: unknown or "
                       "unsupported field '%.*s' (%s%s%s)",
                       (int)(nlen > 32 ? 32 : nlen), name,
                       near ? "did you mean '" : "expected eth_src, "
                       "ipv4_dst, tcp_dst, vlan_vid, tun_id...",
                       near ? near : "", near ? "'?" : "");
    }
}

static int
no_value(struct fp_act_state *st, const struct fp_tok *tok, const char *name)
{
    if (tok->val != NULL)
        return fp_fail(st->c, -EINVAL, tok, "%s takes no argument", name);
    return 0;
}

/* output(port=N[,max_len=M]): the port's text, and M (0 without it). */
static int
output_args(struct fp_act_state *st, const struct fp_tok *tok, const char **p,
            size_t *plen, uint64_t *max_len)
{
    const char *s = tok->val, *end = tok->val + tok->vlen;
    bool have_port = false;
    int rc;

    if (memchr(s, '=', tok->vlen) == NULL)
        return 0;                   /* output(N) is output:N */
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *e = comma != NULL ? comma : end;
        const char *eq = memchr(s, '=', (size_t)(e - s));

        while (s < e && *s == ' ')
            s++;
        if (eq != NULL && eq - s == 4 && memcmp(s, "port", 4) == 0) {
            *p = eq + 1;
            *plen = (size_t)(e - eq - 1);
            have_port = true;
        } else if (eq != NULL && eq - s == 7 && memcmp(s, "max_len", 7) == 0) {
            rc = fp_uint(st->c, tok, eq + 1, (size_t)(e - eq - 1),
                         UINT32_MAX, "output max_len", "14..4294967295 "
                         "bytes", max_len);
            if (rc < 0)
                return rc;
            if (*max_len < FLOW_TRUNC_MIN)
                return fp_fail(st->c, -ERANGE, tok, "output max_len %llu "
                               "is less than an Ethernet header (at least "
                               "%u)", (unsigned long long)*max_len,
                               FLOW_TRUNC_MIN);
        } else {
            return fp_fail(st->c, -EINVAL, tok, "output: unknown argument "
                           "'%.*s' (expected port=N and max_len=M)",
                           (int)(e - s > 24 ? 24 : e - s), s);
        }
        s = comma != NULL ? comma + 1 : end;
    }
    if (!have_port)
        return fp_fail(st->c, -EINVAL, tok, "output needs port=N");
    return 0;
}

static bool
known_port(struct fp_ctx *c, const char *s, size_t len)
{
    char buf[64];
    uint32_t port;

    if (c->ports == NULL || c->ports->name_to_port == NULL
        || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return c->ports->name_to_port(c->ports->ctx, buf, &port) == 0;
}

/* An OUTPUT to the port spelled s[0..len): the reserved ports a flow may
 * output to are taken (CONTROLLER with the whole packet), the others
 * refused. */
static int
output_action(struct fp_act_state *st, const struct fp_tok *tok, const char *s,
              size_t len)
{
    struct fp_ctx *c = st->c;
    struct flow_action *a = NULL;
    uint32_t port;
    int rc;

    if ((rc = fp_port(c, tok, s, len, "output", &port)) < 0)
        return rc;
    if (port == FLOW_PORT_ANY)
        return fp_fail(c, -EINVAL, tok, "output: %.*s is not a port a packet "
                       "can go to (OpenFlow refuses it; name a port, or "
                       "NORMAL, FLOOD, ALL, IN_PORT, LOCAL, CONTROLLER)",
                       (int)(len > 24 ? 24 : len), s);
    if (port == FLOW_PORT_TABLE)
        return fp_fail(c, -ENOTSUP, tok, "output: TABLE is for packet-out "
                       "messages only (to go on in a table, use "
                       "goto_table:N)");
    if ((rc = fp_act_append(st, tok, FLOW_ACT_OUTPUT, &a)) < 0)
        return rc;
    a->u.port = port;
    if (port == FLOW_PORT_CONTROLLER)
        a->pad0 = FLOW_CONTROLLER_MAX_LEN;
    return 0;
}

/* output(port=N,max_len=M): the first M bytes of the packet to an
 * ordinary port. To a reserved one it is refused (Open vSwitch takes only
 * some, and snic none). */
static int
output_trunc(struct fp_act_state *st, const struct fp_tok *tok, const char *s,
             size_t len, uint32_t max_len)
{
    struct fp_ctx *c = st->c;
    struct flow_action *a;
    uint32_t port;
    int rc;

    if ((rc = fp_port(c, tok, s, len, "output", &port)) < 0)
        return rc;
    if (flow_port_is_reserved(port))
        return fp_fail(c, -ENOTSUP, tok, "output with max_len to a reserved "
                       "port is not supported (name an ordinary port)");
    if ((rc = fp_act_append(st, tok, FLOW_ACT_OUTPUT_TRUNC, &a)) < 0)
        return rc;
    a->u.trunc.port = port;
    a->u.trunc.max_len = max_len;
    return 0;
}

/* "controller", "controller:MAX_LEN" or "controller(max_len=MAX_LEN)"
 * (any case): the packet, or its first MAX_LEN bytes, to the control
 * plane. The other arguments (reason, id, userdata, pause, meter_id) are
 * about the OpenFlow channel snic does not have yet. */
static int
controller_action(struct fp_act_state *st, const struct fp_tok *tok)
{
    const char *val = tok->val, *end = tok->val + tok->vlen;
    size_t vlen = tok->vlen;
    struct flow_action *a = NULL;
    uint64_t v = FLOW_CONTROLLER_MAX_LEN;
    int rc;

    if (val != NULL && tok->paren) {
        const char *ml = NULL;

        while (val < end) {
            const char *comma = memchr(val, ',', (size_t)(end - val));
            const char *e = comma != NULL ? comma : end;

            while (val < e && *val == ' ')
                val++;
            if (e - val > 8 && memcmp(val, "max_len=", 8) == 0) {
                ml = val + 8;
                vlen = (size_t)(e - ml);
            } else if (e > val) {
                return fp_fail(st->c, -ENOTSUP, tok, "controller: '%.*s' "
                               "needs an OpenFlow controller channel, which "
                               "snic does not have yet (max_len=N is "
                               "supported)", (int)(e - val > 24 ? 24
                                                   : e - val), val);
            }
            val = comma != NULL ? comma + 1 : end;
        }
        val = ml;
    }
    if (val != NULL) {
        rc = fp_uint(st->c, tok, val, vlen, 0xffff, "controller",
                     "a max_len of 0..65535 bytes", &v);
        if (rc < 0)
            return rc;
    }
    if ((rc = fp_act_append(st, tok, FLOW_ACT_OUTPUT, &a)) < 0)
        return rc;
    a->u.port = FLOW_PORT_CONTROLLER;
    a->pad0 = (uint16_t)v;
    return 0;
}

static int read_action(struct fp_act_state *st, const struct fp_tok *tok);

/* clone(ACTIONS): the body follows the CLONE action flat in the list. It
 * runs on a copy of the packet, so the state the rest of the list checks
 * against (a tag promised) is the one from before it. A resubmit inside
 * comes back to the body, as Open vSwitch's does. The body is read
 * from a NUL-terminated copy, its tokens pointed back into the line so
 * errors name the right place. */
static int
clone_action(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow *f = &c->fm.flow;
    struct fp_inner in = { .text = NULL };
    unsigned at;
    struct fp_act_state inner;
    struct flow_action *a;
    struct fp_tok t;
    int rc;

    if (!tok->paren)
        return fp_fail(c, -EINVAL, tok, "clone needs its actions in "
                       "parentheses (clone(ACTION,...))");
    if (st->in_clone)
        return fp_fail(c, -EINVAL, tok, "clone inside clone is not "
                       "supported (write the inner actions in one clone)");
    if ((rc = fp_act_append(st, tok, FLOW_ACT_CLONE, &a)) < 0)
        return rc;
    at = (unsigned)(a - f->actions);
    if ((rc = fp_inner_open(c, tok, "clone", &in)) < 0)
        return rc;
    inner = *st;
    inner.in_clone = true;
    while (fp_inner_next(c, &in, &t)) {
        if ((rc = fp_check_closed(c, &t)) < 0)
            goto out;
        if ((rc = read_checked(&inner, &t)) < 0)
            goto out;
        if (inner.dropped || inner.ended || inner.wrote_metadata) {
            rc = fp_fail(c, -EINVAL, &t, "clone: only actions that return "
                         "to the list may be inside it (not drop, "
                         "goto_table or write_metadata)");
            goto out;
        }
    }
    if (f->n_actions == at + 1) {
        rc = fp_fail(c, -EINVAL, tok, "clone needs at least one action "
                     "inside (clone(output:1))");
        goto out;
    }
    f->actions[at].u.clone.n = (uint8_t)(f->n_actions - at - 1);
    rc = 0;
out:
    fp_inner_close(&in);
    return rc;
}

static int
read_action(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct fp_ctx *c = st->c;
    struct flow *f = &c->fm.flow;
    struct flow_action *a;
    const char *near;
    uint64_t v;
    int rc;

    if (tok->tail != NULL && !fp_key_is_ci(tok, "check_pkt_larger"))
        return fp_fail(c, -EINVAL, tok, "'->' after '%.*s(...)': only "
                       "check_pkt_larger(N)->DST is written so",
                       (int)(tok->klen > 24 ? 24 : tok->klen), tok->key);
    {
        bool handled;

        rc = fp_mpls_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_meta_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_ct_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_actset_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_stack_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_vlan_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_encap_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_queue_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_sample_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_note_action(st, tok, &handled);
        if (handled)
            return rc;
        rc = fp_select_action(st, tok, &handled);
        if (handled)
            return rc;
    }
    if (fp_key_is_ci(tok, "output")) {
        const char *p = tok->val;
        size_t plen = tok->vlen;

        uint64_t max_len = 0;

        if (tok->paren
            && (rc = output_args(st, tok, &p, &plen, &max_len)) < 0)
            return rc;
        if (max_len != 0)
            return output_trunc(st, tok, p, plen, (uint32_t)max_len);
        return output_action(st, tok, p, plen);
    }
    if (fp_key_is_ci(tok, "controller"))
        return controller_action(st, tok);
    if (fp_key_is_ci(tok, "clone"))
        return clone_action(st, tok);
    if (fp_key_is_ci(tok, "learn"))
        return fp_parse_learn(st, tok);
    if (fp_key_is_ci(tok, "fin_timeout"))
        return fp_parse_fin_timeout(st, tok);
    if (fp_key_is_ci(tok, "drop")) {
        if ((rc = no_value(st, tok, "drop")) < 0)
            return rc;
        if (f->n_actions > 0 || st->ended || st->dropped)
            return fp_fail(c, -EINVAL, tok, "drop must be the only action");
        st->dropped = true;
        return 0;
    }
    if (fp_key_is_ci(tok, "exit")) {
        /* the rest of the packet's actions do not run, whatever table or
         * resubmit they are in (the datapath's DP_ACT_EXIT) */
        if ((rc = no_value(st, tok, "exit")) < 0)
            return rc;
        return fp_act_append(st, tok, FLOW_ACT_EXIT, &a);
    }
    if (fp_key_is_ci(tok, "push_vlan")) {
        rc = fp_uint(c, tok, tok->val, tok->vlen, 0xffff, "push_vlan",
                     "a TPID, 0x8100 or 0x88a8", &v);
        if (rc < 0)
            return rc;
        if (v != 0x8100 && v != 0x88a8)
            return fp_fail(c, -EINVAL, tok, "push_vlan: TPID 0x%llx is not "
                           "a VLAN ethertype (expected 0x8100 or 0x88a8)",
                           (unsigned long long)v);
        if ((rc = fp_act_append(st, tok, FLOW_ACT_PUSH_VLAN, &a)) < 0)
            return rc;
        a->u.tpid = htons((uint16_t)v);
        st->tagged = true;
        st->tci_no_cfi = false;
        return 0;
    }
    if (fp_key_is_ci(tok, "strip_vlan") || fp_key_is_ci(tok, "pop_vlan")) {
        const char *name = (tok->key[0] | 0x20) == 's' ? "strip_vlan"
                                                       : "pop_vlan";

        /* OpenFlow 1.0: an untagged packet goes through unchanged */
        if ((rc = no_value(st, tok, name)) < 0)
            return rc;
        if ((rc = fp_act_append(st, tok, FLOW_ACT_STRIP_VLAN, &a)) < 0)
            return rc;
        /* an inner tag may or may not follow: promise nothing */
        st->tagged = false;
        st->tci_no_cfi = false;
        return 0;
    }
    if (fp_key_is_ci(tok, "dec_ttl")) {
        /* a packet that is not IP goes through unchanged */
        if ((rc = no_value(st, tok, "dec_ttl")) < 0)
            return rc;
        return fp_act_append(st, tok, FLOW_ACT_DEC_TTL, &a);
    }
    if (fp_key_is_ci(tok, "goto_table")) {
        rc = fp_uint(c, tok, tok->val, tok->vlen, FLOW_TABLE_MAX,
                     "goto_table", "a table 1..254", &v);
        if (rc < 0)
            return rc;
        if (f->table_id != FLOW_TABLE_ALL && v <= f->table_id)
            return fp_fail(c, -EINVAL, tok, "goto_table:%llu must go to a "
                           "later table than this flow's table %u "
                           "(OpenFlow forbids going back)",
                           (unsigned long long)v, f->table_id);
        if ((rc = fp_act_append(st, tok, FLOW_ACT_GOTO_TABLE, &a)) < 0)
            return rc;
        a->u.table = (uint8_t)v;
        st->ended = true;
        return 0;
    }
    if (fp_key_is_ci(tok, "set_field"))
        return set_field(st, tok);
    for (int i = 0; mod_actions[i].name != NULL; i++)
        if (fp_key_is_ci(tok, mod_actions[i].name)) {
            if (tok->val == NULL)
                return fp_fail(c, -EINVAL, tok, "%s needs an argument "
                               "(%s:VALUE)", mod_actions[i].name,
                               mod_actions[i].name);
            return field_action(st, tok, &mod_actions[i], tok->val,
                                tok->vlen, true);
        }
    /* a bare port is an output, as in ovs-ofctl */
    if (tok->val == NULL) {
        if ((tok->key[0] >= '0' && tok->key[0] <= '9')
            || fp_is_reserved_port(tok->key, tok->klen)
            || known_port(c, tok->key, tok->klen))
            return output_action(st, tok, tok->key, tok->klen);
        if (fp_suggest(tok->key, tok->klen, known_actions) == NULL)
            return fp_fail(c, -EINVAL, tok, "unknown action or port '%.*s' "
                           "(expected output:PORT, a port name the daemon "
                           "knows, drop, mod_*, set_field:V->F...)",
                           (int)(tok->klen > 32 ? 32 : tok->klen),
                           tok->key);
    }
    near = fp_suggest(tok->key, tok->klen, known_actions);
    if (near != NULL)
        return fp_fail(c, -EINVAL, tok, "unknown action '%.*s' "
                       "(did you mean '%s'?)",
                       (int)(tok->klen > 32 ? 32 : tok->klen), tok->key,
                       near);
    return fp_fail(c, -EINVAL, tok, "unknown action '%.*s' (expected "
                   "output:PORT, drop, mod_*, set_field:V->F, goto_table:N"
                   "...)", (int)(tok->klen > 32 ? 32 : tok->klen), tok->key);
}

/* One action, refused when it needs an Ethernet header the packet has
 * not at this point. */
static int
read_checked(struct fp_act_state *st, const struct fp_tok *tok)
{
    unsigned first = st->c->fm.flow.n_actions;
    int rc = read_action(st, tok);

    return rc < 0 ? rc : fp_act_check_eth(st, tok, first);
}

int
fp_read_action(struct fp_act_state *st, const struct fp_tok *tok)
{
    return read_checked(st, tok);
}

int
fp_parse_actions(struct fp_ctx *c, size_t pos)
{
    struct fp_act_state st = {
        .c = c,
        .tagged = flow_match_is_tagged(&c->fm.flow.match),
        .no_eth = c->fm.flow.match.mask.packet_type != 0,
    };
    struct fp_tok tok;
    int rc;

    c->fm.flow.n_actions = 0;
    while (fp_next_token(c->line, &pos, &tok)) {
        rc = fp_check_closed(c, &tok);
        if (rc < 0)
            return rc;
        rc = read_checked(&st, &tok);
        if (rc < 0)
            return rc;
    }
    return 0;
}
