/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet header fields as subfields: the NXM/OXM fields of Open vSwitch
 * that load, move, push, pop, output:FIELD and set_field name besides the
 * registers (load:0xa000001->OXM_OF_IPV4_DST[],
 * move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]). One table gives their names,
 * widths, prerequisites and whether an action may write them, for the
 * parser, the formatter and the datapath (dp_hdr.c reads and writes
 * them in the frame).
 *
 * Widths and meanings are Open vSwitch's: NXM_OF_IN_PORT is OpenFlow
 * 1.0's 16-bit port and OXM_OF_IN_PORT the 32-bit one; NXM_OF_IP_TOS is
 * the whole TOS byte of which only the DSCP bits (0xfc) are read and
 * written; OXM_OF_IP_DSCP is those 6 bits shifted down; OXM_OF_ARP_OP is
 * 16 bits. The fields learn also names keep learn's ids (flow_learn.c).
 */
#include <stdio.h>
#include <string.h>

#include "flow_priv.h"

struct hdr_def {
    unsigned id;
    const char *name;       /* Open vSwitch's name (set_field, printed) */
    const char *alias;      /* another short name, or NULL */
    const char *nxm;        /* the NXM name (printed in subfields) */
    const char *oxm;        /* the OXM name it also takes, or NULL */
    unsigned width;
    enum fp_act_prereq prereq;
    bool writable;          /* false: Open vSwitch refuses a write */
};

static const struct hdr_def defs[] = {
    { FLOW_FIELD_IN_PORT, "in_port", NULL, "NXM_OF_IN_PORT", NULL, 16,
      AP_NONE, true },
    { FLOW_FIELD_ETH_SRC, "eth_src", "dl_src", "NXM_OF_ETH_SRC",
      "OXM_OF_ETH_SRC", 48, AP_NONE, true },
    { FLOW_FIELD_ETH_DST, "eth_dst", "dl_dst", "NXM_OF_ETH_DST",
      "OXM_OF_ETH_DST", 48, AP_NONE, true },
    { FLOW_FIELD_ETH_TYPE, "eth_type", "dl_type", "NXM_OF_ETH_TYPE",
      "OXM_OF_ETH_TYPE", 16, AP_NONE, false },
    { FLOW_FIELD_VLAN_TCI, "vlan_tci", NULL, "NXM_OF_VLAN_TCI", NULL, 16,
      AP_NONE, true },
    { FLOW_FIELD_IP_SRC, "ip_src", "nw_src", "NXM_OF_IP_SRC",
      "OXM_OF_IPV4_SRC", 32, AP_IPV4, true },
    { FLOW_FIELD_IP_DST, "ip_dst", "nw_dst", "NXM_OF_IP_DST",
      "OXM_OF_IPV4_DST", 32, AP_IPV4, true },
    { FLOW_FIELD_IP_PROTO, "nw_proto", "ip_proto", "NXM_OF_IP_PROTO",
      "OXM_OF_IP_PROTO", 8, AP_IP_ANY, false },
    { FLOW_FIELD_TCP_SRC, "tcp_src", "tp_src", "NXM_OF_TCP_SRC",
      "OXM_OF_TCP_SRC", 16, AP_TCP, true },
    { FLOW_FIELD_TCP_DST, "tcp_dst", "tp_dst", "NXM_OF_TCP_DST",
      "OXM_OF_TCP_DST", 16, AP_TCP, true },
    { FLOW_FIELD_UDP_SRC, "udp_src", NULL, "NXM_OF_UDP_SRC",
      "OXM_OF_UDP_SRC", 16, AP_UDP, true },
    { FLOW_FIELD_UDP_DST, "udp_dst", NULL, "NXM_OF_UDP_DST",
      "OXM_OF_UDP_DST", 16, AP_UDP, true },
    { FLOW_FIELD_IN_PORT_OXM, "in_port_oxm", NULL, "OXM_OF_IN_PORT", NULL,
      32, AP_NONE, true },
    { FLOW_FIELD_SCTP_SRC, "sctp_src", NULL, "OXM_OF_SCTP_SRC", NULL, 16,
      AP_SCTP, true },
    { FLOW_FIELD_SCTP_DST, "sctp_dst", NULL, "OXM_OF_SCTP_DST", NULL, 16,
      AP_SCTP, true },
    { FLOW_FIELD_IP_TOS, "nw_tos", NULL, "NXM_OF_IP_TOS", NULL, 8,
      AP_IP_ANY, true },
    { FLOW_FIELD_IP_DSCP, "ip_dscp", NULL, "OXM_OF_IP_DSCP", NULL, 6,
      AP_IP_ANY, true },
    { FLOW_FIELD_IP_ECN, "nw_ecn", "ip_ecn", "NXM_NX_IP_ECN",
      "OXM_OF_IP_ECN", 2, AP_IP_ANY, true },
    { FLOW_FIELD_IP_TTL, "nw_ttl", NULL, "NXM_NX_IP_TTL", NULL, 8,
      AP_IP_ANY, true },
    { FLOW_FIELD_ARP_OP, "arp_op", NULL, "NXM_OF_ARP_OP", "OXM_OF_ARP_OP",
      16, AP_ARP, true },
    { FLOW_FIELD_ARP_SPA, "arp_spa", NULL, "NXM_OF_ARP_SPA",
      "OXM_OF_ARP_SPA", 32, AP_ARP, true },
    { FLOW_FIELD_ARP_TPA, "arp_tpa", NULL, "NXM_OF_ARP_TPA",
      "OXM_OF_ARP_TPA", 32, AP_ARP, true },
    { FLOW_FIELD_ARP_SHA, "arp_sha", NULL, "NXM_NX_ARP_SHA",
      "OXM_OF_ARP_SHA", 48, AP_ARP, true },
    { FLOW_FIELD_ARP_THA, "arp_tha", NULL, "NXM_NX_ARP_THA",
      "OXM_OF_ARP_THA", 48, AP_ARP, true },
    { FLOW_FIELD_ICMP_TYPE, "icmp_type", NULL, "NXM_OF_ICMP_TYPE",
      "OXM_OF_ICMPV4_TYPE", 8, AP_ICMPV4, true },
    { FLOW_FIELD_ICMP_CODE, "icmp_code", NULL, "NXM_OF_ICMP_CODE",
      "OXM_OF_ICMPV4_CODE", 8, AP_ICMPV4, true },
    { FLOW_FIELD_ICMPV6_TYPE, "icmpv6_type", NULL, "NXM_NX_ICMPV6_TYPE",
      "OXM_OF_ICMPV6_TYPE", 8, AP_ICMPV6, true },
    { FLOW_FIELD_ICMPV6_CODE, "icmpv6_code", NULL, "NXM_NX_ICMPV6_CODE",
      "OXM_OF_ICMPV6_CODE", 8, AP_ICMPV6, true },
    { FLOW_FIELD_IPV6_SRC, "ipv6_src", NULL, "NXM_NX_IPV6_SRC",
      "OXM_OF_IPV6_SRC", 128, AP_IPV6, true },
    { FLOW_FIELD_IPV6_DST, "ipv6_dst", NULL, "NXM_NX_IPV6_DST",
      "OXM_OF_IPV6_DST", 128, AP_IPV6, true },
    /* the outer tag's bits, CFI kept: vlan_pcp needs a tag (Open
     * vSwitch's VLAN VID prerequisite); vlan_vid only for a load or
     * set_field, and vlan_tci never, but writes to them onto an untagged
     * packet keep bits for a later push there (flow_parse_hdr.c) */
    { FLOW_FIELD_VLAN_VID, "vlan_vid", NULL, "OXM_OF_VLAN_VID", NULL, 12,
      AP_NONE, true },
    { FLOW_FIELD_VLAN_PCP, "vlan_pcp", NULL, "OXM_OF_VLAN_PCP", NULL, 3,
      AP_TAGGED, true },
    /* Neighbor Discovery: a solicitation (135) or advertisement (136)
     * the match promises; the link-layer options one kind each */
    { FLOW_FIELD_ND_TARGET, "nd_target", NULL, "NXM_NX_ND_TARGET",
      "OXM_OF_IPV6_ND_TARGET", 128, AP_ND, true },
    { FLOW_FIELD_ND_SLL, "nd_sll", NULL, "NXM_NX_ND_SLL",
      "OXM_OF_IPV6_ND_SLL", 48, AP_ND_SOLICIT, true },
    { FLOW_FIELD_ND_TLL, "nd_tll", NULL, "NXM_NX_ND_TLL",
      "OXM_OF_IPV6_ND_TLL", 48, AP_ND_ADVERT, true },
};

#define N_DEFS (sizeof(defs) / sizeof(defs[0]))
_Static_assert(N_DEFS == FLOW_FIELD_PKT_END - FLOW_FIELD_IN_PORT,
               "one entry per header field, in id order");

static const struct hdr_def *
def_of(unsigned field)
{
    if (!flow_field_is_hdr(field))
        return NULL;
    return &defs[field - FLOW_FIELD_IN_PORT];
}

unsigned
flow_hdr_width(unsigned field)
{
    const struct hdr_def *d = def_of(field);

    return d != NULL ? d->width : 0;
}

int
flow_hdr_name(unsigned field, char *buf, size_t size)
{
    const struct hdr_def *d = def_of(field);

    return snprintf(buf, size, "%s", d != NULL ? d->name : "?");
}

int
flow_hdr_nxm_name(unsigned field, char *buf, size_t size)
{
    const struct hdr_def *d = def_of(field);

    return snprintf(buf, size, "%s", d != NULL ? d->nxm : "?");
}

static bool
is(const char *s, size_t len, const char *name)
{
    return name != NULL && strlen(name) == len && memcmp(s, name, len) == 0;
}

unsigned
flow_hdr_by_name(const char *s, size_t len)
{
    for (size_t i = 0; i < N_DEFS; i++) {
        const struct hdr_def *d = &defs[i];

        /* in_port_oxm is this table's name, not Open vSwitch's */
        if (d->id != FLOW_FIELD_IN_PORT_OXM
            && (is(s, len, d->name) || is(s, len, d->alias)))
            return d->id;
        if (is(s, len, d->nxm) || is(s, len, d->oxm))
            return d->id;
    }
    return FLOW_FIELD_NONE;
}

bool
flow_hdr_writable(unsigned field)
{
    const struct hdr_def *d = def_of(field);

    return d != NULL && d->writable;
}

enum fp_act_prereq
fp_hdr_prereq(unsigned field)
{
    const struct hdr_def *d = def_of(field);

    return d != NULL ? d->prereq : AP_NONE;
}

unsigned
flow_subfield_width(unsigned field)
{
    return flow_field_is_hdr(field) ? flow_hdr_width(field)
                                    : flow_field_width(field);
}
