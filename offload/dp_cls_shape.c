/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a table's flows look at, decided once when the table is published,
 * so that a packet pays for the fields its rules read and no more
 * (docs/datapath.md, "Fast paths"). Writer side, called from
 * dp_classifier.c's ctable_build() on a table that is complete but not yet
 * visible to any worker.
 *
 * A table whose every flow matches in_port exactly or not at all, and no
 * other field, answers the same for every packet of a port: the answer
 * for each port its flows name, and the one for any other port, are
 * computed here by the table's own lookup (dp_ctable_lookup(), on a key
 * that holds the port and nothing else), so they are by construction what
 * a packet's lookup would find. A worker then looks its burst's port up
 * in a short sorted array and needs neither the packet's other fields nor
 * any per-flow state.
 *
 * A table whose flows look at in_port and the Ethernet header only (port
 * and VLAN, port and MAC...) needs only those fields extracted; its
 * lookup is the ordinary one.
 *
 * Any other table may have an exact-match cache in front (dp_path.c): it
 * keys on what the table's masks look at, together, and no more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_cls_priv.h"

/* Past this many distinct ports the table stays general (a binary search
 * over more is still cheap, but no switch has that many ports). */
#define SHAPE_PORTS_MAX 4096u

/* Whether every subtable of @ct looks at in_port, whole, or at nothing. */
static bool
port_only(const struct ctable *ct)
{
    struct flow_key port_mask;

    memset(&port_mask, 0, sizeof(port_mask));
    port_mask.in_port = UINT32_MAX;
    for (uint32_t s = 0; s < ct->n; s++) {
        const struct subtable *st = ct->subs[s];

        for (unsigned i = 0; i < DP_KEY_WORDS; i++) {
            uint64_t m = dp_key_word(&port_mask, i);

            if (st->mask[i] != 0 && st->mask[i] != m)
                return false;
        }
    }
    return true;
}

static int
by_port(const void *pa, const void *pb)
{
    const struct dp_port_rule *a = pa, *b = pb;

    return (a->port > b->port) - (a->port < b->port);
}

/* The table's answer for a packet from @port. */
static const struct dp_rule *
answer(const struct ctable *ct, uint32_t port)
{
    struct flow_key key;

    memset(&key, 0, sizeof(key));
    key.in_port = port;
    return dp_ctable_lookup(ct, &key);
}

/* DP_SHAPE_PORT's map of @ct: 0, 1 when the table names too many ports
 * (it stays general), -ENOMEM. */
static int
port_map(struct ctable *ct)
{
    size_t n = 0, cap = 0;
    struct dp_port_rule *v = NULL;
    struct flow_key value;
    uint32_t other;

    for (uint32_t s = 0; s < ct->n; s++) {
        const struct subtable *st = ct->subs[s];

        if (st->n_idx == 0)
            continue;           /* the catch-all names no port */
        for (size_t i = 0; i <= st->slot_mask; i++) {
            const uint64_t *slot = dp_subtable_slot(st, i);

            if (dp_slot_empty(slot))
                continue;
            if (n == cap) {
                size_t c = cap ? 2 * cap : 16;
                struct dp_port_rule *g;

                if (c > SHAPE_PORTS_MAX * 2) {
                    free(v);
                    return 1;
                }
                g = realloc(v, c * sizeof(*v));
                if (g == NULL) {
                    free(v);
                    return -ENOMEM;
                }
                v = g;
                cap = c;
            }
            dp_slot_value(st, slot, &value);
            v[n++].port = value.in_port;
        }
    }
    if (n > 0)
        qsort(v, n, sizeof(*v), by_port);
    /* the same port from several subtables (a port with and without a
     * clause flow...) once */
    {
        size_t u = 0;

        for (size_t i = 0; i < n; i++)
            if (u == 0 || v[u - 1].port != v[i].port)
                v[u++] = v[i];
        n = u;
    }
    if (n > SHAPE_PORTS_MAX) {
        free(v);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        v[i].rule = answer(ct, v[i].port);
    /* a port no flow names: the lowest value missing from the sorted
     * list */
    other = 0;
    for (size_t i = 0; i < n && v[i].port == other; i++)
        other++;
    ct->port_other = answer(ct, other);
    ct->ports = v;
    ct->n_ports = (uint32_t)n;
    ct->shape = DP_SHAPE_PORT;
    return 0;
}

/* Whether every subtable of @ct looks at in_port and the Ethernet header
 * (addresses, VLAN tag, type, and so the packet type) only: what
 * dp_extract_l2() fills. */
static bool
l2_only(const struct ctable *ct)
{
    struct flow_key l2;

    memset(&l2, 0, sizeof(l2));
    l2.in_port = UINT32_MAX;
    memset(l2.dl_dst, 0xff, sizeof(l2.dl_dst));
    memset(l2.dl_src, 0xff, sizeof(l2.dl_src));
    l2.dl_type = 0xffff;
    l2.vlan_tci = 0xffff;
    /* what an Ethernet field's flow implies (flow_match_imply_eth()):
     * dp_extract_l2() reads packets as they arrive, all Ethernet */
    l2.packet_type = UINT32_MAX;
    for (uint32_t s = 0; s < ct->n; s++)
        for (unsigned i = 0; i < DP_KEY_WORDS; i++)
            if (ct->subs[s]->mask[i] & ~dp_key_word(&l2, i))
                return false;
    return true;
}

/* What a cache in front of @ct keys on: the union of its subtables'
 * masks over the packet's words. A table with a flow that matches the
 * pipeline metadata gets no cache (emc_exact), so the packet words are
 * all its masks look at; the union of the masks of every flow that a
 * lookup can read (clause flows sit in the subtables too) is all its
 * answer depends on. False when they look at more words than a cache
 * key holds (DP_CACHE_KEY_WORDS). */
static bool
cache_key(struct ctable *ct)
{
    struct dp_cache_key *ck = &ct->ckey;

    memset(ck, 0, sizeof(*ck));
    for (unsigned i = 0; i < DP_KEY_PKT_WORDS; i++) {
        uint64_t m = 0;

        for (uint32_t s = 0; s < ct->n; s++)
            m |= ct->subs[s]->mask[i];
        if (m == 0)
            continue;
        if (ck->n == DP_CACHE_KEY_WORDS) {
            memset(ck, 0, sizeof(*ck));
            return false;
        }
        ck->idx[ck->n] = (uint8_t)i;
        ck->mask[ck->n++] = m;
    }
    return true;
}

int
dp_ctable_shape(struct ctable *ct)
{
    int rc;

    /* a table too wide for a cache key is served as one that matches
     * the metadata: no cache, no runs (both key on it) */
    if (!cache_key(ct))
        ct->emc = ct->emc_exact = false;
    ct->shape = DP_SHAPE_GENERAL;
    ct->n_ports = 0;
    ct->ports = NULL;
    ct->port_other = NULL;
    if (port_only(ct)) {
        rc = port_map(ct);
        if (rc <= 0)
            return rc;
    }
    if (l2_only(ct))
        ct->shape = DP_SHAPE_L2;
    return 0;
}

void
dp_ctable_shape_free(struct ctable *ct)
{
    free(ct->ports);
    ct->ports = NULL;
    ct->n_ports = 0;
}
