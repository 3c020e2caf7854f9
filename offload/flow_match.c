/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Match helpers: normalisation, packet matching, the subset and overlap tests
 * OpenFlow's loose and strict semantics are built on, and the prerequisites
 * a match guarantees. The key is treated as an array of bytes wherever the
 * meaning is bitwise, so a field added to struct flow_key is covered without
 * touching these loops.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "snic/flow.h"

_Static_assert(sizeof(struct flow_key) == 248,
               "struct flow_key must have no implicit padding");
_Static_assert(sizeof(struct flow_action) == 16,
               "struct flow_action grew: keep it compact");

#define ETH_TYPE_IPV4   0x0800u
#define ETH_TYPE_ARP    0x0806u
#define ETH_TYPE_IPV6   0x86ddu

/* Is byte @i of a key padding (never part of a match's meaning)? */
static bool
is_pad(size_t i)
{
    size_t pad = offsetof(struct flow_key, pad);

    return i == offsetof(struct flow_key, pad0)
           || (i >= pad && i < pad + sizeof(((struct flow_key *)0)->pad));
}

void
flow_copy(struct flow *dst, const struct flow *src)
{
    unsigned n = src->n_actions < FLOW_MAX_ACTIONS ? src->n_actions
                                                   : FLOW_MAX_ACTIONS;

    memcpy(dst, src, offsetof(struct flow, actions));
    memcpy(dst->actions, src->actions, n * sizeof(dst->actions[0]));
    memset(dst->actions + n, 0, (FLOW_MAX_ACTIONS - n) * sizeof(dst->actions[0]));
}

bool
flow_equal(const struct flow *a, const struct flow *b)
{
    if (a->n_actions > FLOW_MAX_ACTIONS || b->n_actions > FLOW_MAX_ACTIONS)
        return false;
    if (!flow_match_identical(&a->match, &b->match)
        || a->cookie != b->cookie || a->priority != b->priority
        || a->table_id != b->table_id || a->n_actions != b->n_actions
        || a->idle_timeout != b->idle_timeout
        || a->hard_timeout != b->hard_timeout || a->flags != b->flags
        || a->importance != b->importance)
        return false;
    return memcmp(a->actions, b->actions,
                  a->n_actions * sizeof(a->actions[0])) == 0;
}

void
flow_match_init_catchall(struct flow_match *m)
{
    memset(m, 0, sizeof(*m));
}

void
flow_match_normalise(struct flow_match *m)
{
    uint8_t *v = (uint8_t *)&m->value;
    const uint8_t *k = (const uint8_t *)&m->mask;

    for (size_t i = 0; i < sizeof(m->value); i++)
        v[i] &= k[i];
    /* padding is never part of the meaning */
    memset(m->value.pad, 0, sizeof(m->value.pad));
    memset(m->mask.pad, 0, sizeof(m->mask.pad));
    m->value.pad0 = m->mask.pad0 = 0;
}

static bool
needs_eth(const struct flow_match *m)
{
    static const uint8_t zero[6];
    const struct flow_key *k = &m->mask;

    return k->packet_type == 0
           && (memcmp(k->dl_src, zero, 6) != 0
               || memcmp(k->dl_dst, zero, 6) != 0 || k->dl_type != 0
               || k->vlan_tci != 0);
}

void
flow_match_imply_eth(struct flow_match *m)
{
    if (needs_eth(m)) {
        m->mask.packet_type = UINT32_MAX;
        m->value.packet_type = htonl(FLOW_PT_ETH);
    }
}

bool
flow_match_key(const struct flow_match *m, const struct flow_key *key)
{
    const uint8_t *v = (const uint8_t *)&m->value;
    const uint8_t *k = (const uint8_t *)&m->mask;
    const uint8_t *p = (const uint8_t *)key;

    if (key->packet_type != htonl(FLOW_PT_ETH) && needs_eth(m))
        return false;
    for (size_t i = 0; i < sizeof(struct flow_key); i++)
        if ((p[i] & k[i]) != v[i] && !is_pad(i))
            return false;
    return true;
}

bool
flow_match_identical(const struct flow_match *a, const struct flow_match *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

bool
flow_match_covers(const struct flow_match *general,
                  const struct flow_match *specific)
{
    const uint8_t *gv = (const uint8_t *)&general->value;
    const uint8_t *gm = (const uint8_t *)&general->mask;
    const uint8_t *sv = (const uint8_t *)&specific->value;
    const uint8_t *sm = (const uint8_t *)&specific->mask;

    for (size_t i = 0; i < sizeof(struct flow_key); i++) {
        if (is_pad(i))
            continue;
        /* every bit the general one looks at, the specific one fixes... */
        if (gm[i] & ~sm[i])
            return false;
        /* ...to the same value */
        if ((sv[i] & gm[i]) != gv[i])
            return false;
    }
    return true;
}

bool
flow_match_overlaps(const struct flow_match *a, const struct flow_match *b)
{
    const uint8_t *av = (const uint8_t *)&a->value;
    const uint8_t *am = (const uint8_t *)&a->mask;
    const uint8_t *bv = (const uint8_t *)&b->value;
    const uint8_t *bm = (const uint8_t *)&b->mask;

    for (size_t i = 0; i < sizeof(struct flow_key); i++)
        if (!is_pad(i) && ((av[i] ^ bv[i]) & am[i] & bm[i]))
            return false;
    return true;
}

static bool
exact_dl_type(const struct flow_match *m, uint16_t type)
{
    return m->mask.dl_type == 0xffff && m->value.dl_type == htons(type);
}

bool
flow_match_is_ipv4(const struct flow_match *m)
{
    return exact_dl_type(m, ETH_TYPE_IPV4);
}

bool
flow_match_is_ipv6(const struct flow_match *m)
{
    return exact_dl_type(m, ETH_TYPE_IPV6);
}

bool
flow_match_is_arp(const struct flow_match *m)
{
    return exact_dl_type(m, ETH_TYPE_ARP);
}

bool
flow_match_is_ip_proto(const struct flow_match *m, uint8_t proto)
{
    return (flow_match_is_ipv4(m) || flow_match_is_ipv6(m))
        && m->mask.nw_proto == 0xff && m->value.nw_proto == proto;
}

bool
flow_match_is_mpls(const struct flow_match *m)
{
    return exact_dl_type(m, 0x8847) || exact_dl_type(m, 0x8848);
}

bool
flow_match_is_tagged(const struct flow_match *m)
{
    flow_be16 cfi = htons(FLOW_VLAN_CFI);

    return (m->mask.vlan_tci & cfi) && (m->value.vlan_tci & cfi);
}

unsigned
flow_match_nd_type(const struct flow_match *m)
{
    unsigned type = ntohs(m->value.tp_src);

    if (!flow_match_is_ipv6(m) || !flow_match_is_ip_proto(m, IPPROTO_ICMPV6)
        || m->mask.tp_src != 0xffff || m->value.tp_dst != 0)
        return 0;
    return type == 135 || type == 136 ? type : 0;
}

static bool
is_zero(const void *p, size_t size)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < size; i++)
        if (b[i])
            return false;
    return true;
}

#define MASKED(m, field) (!is_zero(&(m)->mask.field, sizeof((m)->mask.field)))

const char *
flow_match_prereq_error(const struct flow_match *m, const char **hint)
{
    bool ip4 = flow_match_is_ipv4(m), ip6 = flow_match_is_ipv6(m);
    bool arp = flow_match_is_arp(m);
    bool icmp = flow_match_is_ip_proto(m, IPPROTO_ICMP)
        || flow_match_is_ip_proto(m, IPPROTO_ICMPV6);
    bool l4 = flow_match_is_ip_proto(m, IPPROTO_TCP)
        || flow_match_is_ip_proto(m, IPPROTO_UDP)
        || flow_match_is_ip_proto(m, IPPROTO_SCTP);
    const char *dummy;

    if (hint == NULL)
        hint = &dummy;
    if (flow_match_nd_type(m) != 0)
        return NULL;    /* the shared bytes are ND's; the rest is icmp6 */
    /* bytes that only nd_target and nd_lla use, or a match that looks at
     * Neighbor Discovery fields without their prerequisites */
    if (MASKED(m, nw_nd_rest)
        || (ip6 && flow_match_is_ip_proto(m, IPPROTO_ICMPV6)
            && (MASKED(m, nd_target) || MASKED(m, nd_lla)))) {
        *hint = "add 'icmp6,icmp_type=135' or 'icmp6,icmp_type=136'";
        return MASKED(m, nd_lla) ? "nd_sll" : "nd_target";
    }
    if ((MASKED(m, nw_src) || MASKED(m, nw_dst)) && !ip4 && !arp) {
        *hint = "add 'ip' or 'arp'";
        return MASKED(m, nw_src) ? "nw_src" : "nw_dst";
    }
    if ((MASKED(m, ipv6_src) || MASKED(m, ipv6_dst)) && !ip6) {
        *hint = "add 'ipv6'";
        return MASKED(m, ipv6_src) ? "ipv6_src" : "ipv6_dst";
    }
    if (MASKED(m, nw_proto) && !ip4 && !ip6 && !arp) {
        *hint = "add 'ip', 'ipv6' or 'arp'";
        return "nw_proto";
    }
    if ((MASKED(m, nw_tos) || MASKED(m, nw_ttl)) && !ip4 && !ip6) {
        *hint = "add 'ip' or 'ipv6'";
        return MASKED(m, nw_tos) ? "nw_tos" : "nw_ttl";
    }
    if ((MASKED(m, tp_src) || MASKED(m, tp_dst)) && !l4 && !icmp) {
        *hint = "add 'tcp' or 'udp'";
        return MASKED(m, tp_src) ? "tp_src" : "tp_dst";
    }
    if (MASKED(m, tcp_flags) && !flow_match_is_ip_proto(m, IPPROTO_TCP)) {
        *hint = "add 'tcp' or 'tcp6'";
        return "tcp_flags";
    }
    if (MASKED(m, mpls_lse) && !flow_match_is_mpls(m)) {
        *hint = "add 'mpls' or 'mplsm'";
        return "mpls_label";
    }
    return NULL;
}
