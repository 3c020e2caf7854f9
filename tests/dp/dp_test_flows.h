/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Random flow sets and keys for the differential tests: values come from
 * small pools so that random keys hit random flows often, with overlaps,
 * equal priorities (ties go to the oldest id) and several tables.
 */
#ifndef DP_TEST_FLOWS_H
#define DP_TEST_FLOWS_H

#include <stdlib.h>
#include <string.h>

#include "dp_test_util.h"

static inline unsigned
t_rand(unsigned *seed, unsigned n)
{
    return (unsigned)rand_r(seed) % n;
}

static inline uint32_t
t_prefix32(unsigned len)
{
    return len == 0 ? 0 : htonl(0xffffffffu << (32 - len));
}

static inline uint32_t
t_pool_ip(unsigned *seed)
{
    return htonl(0x0a000000u | t_rand(seed, 4) << 8 | t_rand(seed, 4));
}

static const uint16_t t_ports[] = { 80, 81, 443, 53 };

/* A random valid (prerequisite-consistent), normalised match. */
static inline void
t_random_match(unsigned *seed, struct flow_match *m)
{
    struct flow_key *v = &m->value, *k = &m->mask;

    flow_match_init_catchall(m);
    if (t_rand(seed, 2)) {
        k->in_port = 0xffffffffu;
        v->in_port = 1 + t_rand(seed, 4);
    }
    if (t_rand(seed, 4) == 0) {
        memset(k->dl_dst, 0xff, 6);
        k->dl_dst[5] = (uint8_t)(0xff << t_rand(seed, 3));
        v->dl_dst[0] = 0x02;
        v->dl_dst[5] = (uint8_t)t_rand(seed, 4);
    }
    switch (t_rand(seed, 6)) {
    case 0:
        k->vlan_tci = htons(0x1fff);        /* dl_vlan=N */
        v->vlan_tci = htons((uint16_t)(0x1000 | t_rand(seed, 3)));
        break;
    case 1:
        k->vlan_tci = htons(0xffff);        /* no tag */
        break;
    default:
        break;
    }
    switch (t_rand(seed, 10)) {
    case 0: case 1: case 2: case 3: case 4: case 5:
        k->dl_type = 0xffff;
        v->dl_type = htons(0x0800);
        if (t_rand(seed, 2)) {
            k->nw_src = t_prefix32(t_rand(seed, 33));
            v->nw_src = t_pool_ip(seed);
        }
        if (t_rand(seed, 2)) {
            k->nw_dst = t_prefix32(24 + t_rand(seed, 9));
            v->nw_dst = t_pool_ip(seed);
        }
        if (t_rand(seed, 8) == 0) {
            k->nw_tos = 0xfc;
            v->nw_tos = (uint8_t)(t_rand(seed, 2) << 2);
        }
        if (t_rand(seed, 3)) {
            k->nw_proto = 0xff;
            v->nw_proto = t_rand(seed, 2) ? 6 : 17;
            if (t_rand(seed, 2)) {
                k->tp_dst = htons((uint16_t)(0xffff << t_rand(seed, 3)));
                v->tp_dst = htons(t_ports[t_rand(seed, 4)]);
            }
        }
        break;
    case 6:
        k->dl_type = 0xffff;
        v->dl_type = htons(0x86dd);
        if (t_rand(seed, 2)) {
            memset(k->ipv6_dst, 0xff, 16);
            v->ipv6_dst[0] = 0x20;
            v->ipv6_dst[15] = (uint8_t)t_rand(seed, 3);
        }
        break;
    case 7:
        k->dl_type = 0xffff;
        v->dl_type = htons(0x0806);
        break;
    default:
        break;
    }
    if (t_rand(seed, 8) == 0) {
        k->tun_id = ~0ull;
        v->tun_id = htobe64(t_rand(seed, 3));
    }
    flow_match_normalise(m);
}

/* A random key from the same pools. */
static inline void
t_random_key(unsigned *seed, struct flow_key *key)
{
    memset(key, 0, sizeof(*key));
    key->in_port = 1 + t_rand(seed, 4);
    key->dl_dst[0] = 0x02;
    key->dl_dst[5] = (uint8_t)t_rand(seed, 8);
    key->dl_src[5] = 1;
    if (t_rand(seed, 2))
        key->vlan_tci = htons((uint16_t)(0x1000 | t_rand(seed, 4)
                                         | t_rand(seed, 2) << 13));
    key->tun_id = t_rand(seed, 3) ? 0 : htobe64(t_rand(seed, 3));
    switch (t_rand(seed, 4)) {
    case 0: case 1:
        key->dl_type = htons(0x0800);
        key->nw_src = t_pool_ip(seed);
        key->nw_dst = t_pool_ip(seed);
        key->nw_tos = (uint8_t)(t_rand(seed, 3) << 2);
        key->nw_ttl = 64;
        key->nw_proto = (uint8_t[]){ 6, 17, 1 }[t_rand(seed, 3)];
        key->tp_src = htons(1000);
        key->tp_dst = htons((uint16_t)(t_ports[t_rand(seed, 4)]
                                       + t_rand(seed, 2)));
        break;
    case 2:
        key->dl_type = htons(0x86dd);
        key->ipv6_dst[0] = 0x20;
        key->ipv6_dst[15] = (uint8_t)t_rand(seed, 4);
        break;
    default:
        key->dl_type = htons(0x0806);
        key->nw_proto = 1;
        break;
    }
}

/* A flow_mod adding a random flow to table @table of @n_tables. */
static inline void
t_random_add(unsigned *seed, unsigned table, unsigned n_tables,
             struct flow_mod *fm)
{
    memset(fm, 0, sizeof(*fm));
    fm->cmd = FLOW_CMD_ADD;
    fm->out_port = FLOW_PORT_ANY;
    t_random_match(seed, &fm->flow.match);
    fm->flow.table_id = (uint8_t)table;
    fm->flow.priority = (uint16_t)t_rand(seed, 6) * 10;   /* many ties */
    fm->flow.n_actions = (uint8_t)t_rand(seed, 3);
    for (unsigned i = 0; i < fm->flow.n_actions; i++) {
        fm->flow.actions[i].type = FLOW_ACT_OUTPUT;
        fm->flow.actions[i].u.port = 1 + t_rand(seed, 8);
    }
    if (table + 1 < n_tables && t_rand(seed, 3) == 0) {
        struct flow_action *a = &fm->flow.actions[fm->flow.n_actions++];

        a->type = FLOW_ACT_GOTO_TABLE;
        a->u.table = (uint8_t)(table + 1 + t_rand(seed, n_tables - table - 1));
    }
}

#endif /* DP_TEST_FLOWS_H */
