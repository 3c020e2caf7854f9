/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * multipath(...) and bundle(...) / bundle_load(...): a hash of some of the
 * packet's fields picks a link number or a member port, so that one
 * connection always takes the same path.
 *
 * Why Open vSwitch's own hash, bit for bit: a flow table that spreads
 * traffic over links or members is written once and run by whichever
 * switch holds it; the differential test (tests/ovsdiff) proves each
 * packet leaves by the same port in snicd as in Open vSwitch. So the
 * fields, their layout in memory, the hash functions (a MurmurHash3-style
 * word hash and Bob Jenkins' lookup3 over bytes, both reading words
 * little-endian, as Open vSwitch does on x86) and the link algorithms
 * follow Open vSwitch 3.1's definitions (docs/flow-language.md,
 * "multipath and bundle"), written here from their description. They
 * are not the project's hash (common/snic_hash.h): its values are not
 * visible outside snic, these are.
 *
 * The packet is read as the actions so far left it (its header fields
 * extracted again, as learn does), one VLAN tag deep.
 */
#include <string.h>

#include "dp_priv.h"

/* ---- the word hash (Open vSwitch's hash_add / hash_finish) ---- */

static inline uint32_t
rotl(uint32_t x, unsigned k)
{
    return x << k | x >> (32 - k);
}

static uint32_t
mh_add(uint32_t h, uint32_t d)
{
    if (d != 0) {           /* a zero word leaves the state as it is */
        d *= 0xcc9e2d51u;
        d = rotl(d, 15);
        d *= 0x1b873593u;
        h ^= d;
    }
    h = rotl(h, 13);
    return h * 5 + 0xe6546b64u;
}

static uint32_t
mh_add64(uint32_t h, uint64_t d)
{
    return mh_add(mh_add(h, (uint32_t)d), (uint32_t)(d >> 32));
}

static uint32_t
mh_finish(uint32_t h, uint32_t final)
{
    h ^= final;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static uint32_t
hash_pair(uint32_t x, uint32_t y)
{
    return mh_finish(mh_add(mh_add(x, 0), y), 8);
}

/* ---- lookup3 over bytes (Open vSwitch's jhash_bytes) ---- */

static inline uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
           | (uint32_t)p[3] << 24;
}

static inline void
j_mix(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *a -= *c; *a ^= rotl(*c, 4);  *c += *b;
    *b -= *a; *b ^= rotl(*a, 6);  *a += *c;
    *c -= *b; *c ^= rotl(*b, 8);  *b += *a;
    *a -= *c; *a ^= rotl(*c, 16); *c += *b;
    *b -= *a; *b ^= rotl(*a, 19); *a += *c;
    *c -= *b; *c ^= rotl(*b, 4);  *b += *a;
}

static inline void
j_final(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *c ^= *b; *c -= rotl(*b, 14);
    *a ^= *c; *a -= rotl(*c, 11);
    *b ^= *a; *b -= rotl(*a, 25);
    *c ^= *b; *c -= rotl(*b, 16);
    *a ^= *c; *a -= rotl(*c, 4);
    *b ^= *a; *b -= rotl(*a, 14);
    *c ^= *b; *c -= rotl(*b, 24);
}

static uint32_t
j_bytes(const uint8_t *p, size_t n, uint32_t basis)
{
    uint32_t a, b, c;

    a = b = c = 0xdeadbeefu + (uint32_t)n + basis;
    for (; n >= 12; n -= 12, p += 12) {
        a += le32(p);
        b += le32(p + 4);
        c += le32(p + 8);
        j_mix(&a, &b, &c);
    }
    if (n > 0) {
        uint8_t tail[12] = { 0 };

        memcpy(tail, p, n);
        a += le32(tail);
        b += le32(tail + 4);
        c += le32(tail + 8);
        j_final(&a, &b, &c);
    }
    return c;
}

/* ---- the fields ---- */

struct hkey {
    struct flow_key k;
    bool frag;              /* an IP fragment, first or later */
};

static bool
is_ip4(const struct hkey *h)
{
    return h->k.dl_type == htons(DP_ETH_IPV4);
}

static bool
is_ip6(const struct hkey *h)
{
    return h->k.dl_type == htons(DP_ETH_IPV6);
}

/* symmetric_l4: both directions of a connection hash the same (the
 * addresses and TCP/SCTP ports XORed), laid out as Open vSwitch's
 * 32-byte structure: address (16), EtherType, VID bits, port, MAC
 * XOR (6), protocol, padding. */
static uint32_t
h_symmetric_l4(const struct hkey *h, uint32_t basis)
{
    const struct flow_key *k = &h->k;
    uint8_t f[32] = { 0 };
    uint16_t vid = k->vlan_tci & htons(FLOW_VLAN_VID_MASK);

    for (int i = 0; i < 6; i++)
        f[22 + i] = k->dl_src[i] ^ k->dl_dst[i];
    memcpy(f + 18, &vid, 2);
    memcpy(f + 16, &k->dl_type, 2);
    if (is_ip4(h) || is_ip6(h)) {
        if (is_ip4(h)) {
            flow_be32 x = k->nw_src ^ k->nw_dst;

            memcpy(f, &x, 4);
        } else {
            for (int i = 0; i < 16; i++)
                f[i] = k->ipv6_src[i] ^ k->ipv6_dst[i];
        }
        f[28] = k->nw_proto;
        if (k->nw_proto == DP_IPPROTO_TCP || k->nw_proto == DP_IPPROTO_SCTP) {
            flow_be16 p = k->tp_src ^ k->tp_dst;

            memcpy(f + 20, &p, 2);
        }
    }
    return j_bytes(f, sizeof(f), basis);
}

/* the L2 fallback of symmetric_l3l4: three words of EtherType, VID bits
 * and MAC XOR */
static uint32_t
h_symmetric_l2(const struct hkey *h, uint32_t basis)
{
    const struct flow_key *k = &h->k;
    uint8_t f[12] = { 0 };
    uint16_t vid = k->vlan_tci & htons(FLOW_VLAN_VID_MASK);
    uint32_t hash = basis;

    memcpy(f, &k->dl_type, 2);
    memcpy(f + 2, &vid, 2);
    for (int i = 0; i < 6; i++)
        f[4 + i] = k->dl_src[i] ^ k->dl_dst[i];
    for (int i = 0; i < 3; i++)
        hash = mh_add(hash, le32(f + 4 * i));
    return mh_finish(hash, basis);
}

static uint32_t
h_symmetric_l3l4(const struct hkey *h, uint32_t basis, bool udp)
{
    const struct flow_key *k = &h->k;
    uint32_t hash = basis;

    if (is_ip4(h)) {
        flow_be32 x = k->nw_src ^ k->nw_dst;

        hash = mh_add(hash, le32((const uint8_t *)&x));
    } else if (is_ip6(h)) {
        for (int w = 0; w < 2; w++) {
            uint64_t x = 0;

            for (int i = 7; i >= 0; i--)
                x = x << 8 | (uint8_t)(k->ipv6_src[8 * w + i]
                                       ^ k->ipv6_dst[8 * w + i]);
            hash = mh_add64(hash, x);
        }
    } else {
        return h_symmetric_l2(h, basis);
    }
    hash = mh_add(hash, k->nw_proto);
    if (!h->frag && (k->nw_proto == DP_IPPROTO_TCP
                     || k->nw_proto == DP_IPPROTO_SCTP
                     || (udp && k->nw_proto == DP_IPPROTO_UDP))) {
        flow_be16 p = k->tp_src ^ k->tp_dst;
        const uint8_t *b = (const uint8_t *)&p;

        hash = mh_add(hash, (uint32_t)b[0] | (uint32_t)b[1] << 8);
    }
    return mh_finish(hash, basis);
}

/* symmetric_l3: the address XOR and the EtherType (20 bytes) */
static uint32_t
h_symmetric_l3(const struct hkey *h, uint32_t basis)
{
    const struct flow_key *k = &h->k;
    uint8_t f[20] = { 0 };

    memcpy(f + 16, &k->dl_type, 2);
    if (is_ip4(h)) {
        flow_be32 x = k->nw_src ^ k->nw_dst;

        memcpy(f, &x, 4);
    } else if (is_ip6(h)) {
        for (int i = 0; i < 16; i++)
            f[i] = k->ipv6_src[i] ^ k->ipv6_dst[i];
    }
    return j_bytes(f, sizeof(f), basis);
}

static uint32_t
hash_fields(const struct hkey *h, unsigned fields, uint16_t basis)
{
    const struct flow_key *k = &h->k;

    switch (fields) {
    case FLOW_HASH_ETH_SRC:
        return j_bytes(k->dl_src, 6, basis);
    case FLOW_HASH_SYMMETRIC_L4:
        return h_symmetric_l4(h, basis);
    case FLOW_HASH_SYMMETRIC_L3L4:
        return h_symmetric_l3l4(h, basis, false);
    case FLOW_HASH_SYMMETRIC_L3L4_UDP:
        return h_symmetric_l3l4(h, basis, true);
    case FLOW_HASH_NW_SRC:
    case FLOW_HASH_NW_DST: {
        bool src = fields == FLOW_HASH_NW_SRC;

        if (is_ip4(h))
            return j_bytes((const uint8_t *)(src ? &k->nw_src : &k->nw_dst),
                           4, basis);
        if (is_ip6(h))
            return j_bytes(src ? k->ipv6_src : k->ipv6_dst, 16, basis);
        return basis;
    }
    case FLOW_HASH_SYMMETRIC_L3:
        return h_symmetric_l3(h, basis);
    }
    return basis;
}

/* The fields as the hash reads them: the key, and a first fragment's
 * ports, which the key leaves out. Open vSwitch hides a fragment's ports
 * from its table lookups only; its actions, and so the hash, see the
 * ports of a first fragment's L4 header (a later one has none). */
static void
hkey_of(const struct dp_pkt *pkt, struct hkey *h)
{
    const uint8_t *l4 = pkt->buf.data;
    struct dp_layout lay;
    size_t size;

    dp_extract_pkt(pkt, &h->k, &lay);
    h->frag = (lay.flags & DP_L_FRAG) != 0;
    if (!h->frag || !(lay.flags & DP_L_L4))
        return;
    l4 += lay.l4_ofs;
    size = lay.l4_end - lay.l4_ofs;
    switch (lay.nw_proto) {
    case DP_IPPROTO_TCP:
        /* no ports without a sound data offset, as in the key */
        if ((size_t)(l4[12] >> 4) * 4 < 20 || (size_t)(l4[12] >> 4) * 4 > size)
            return;
        /* fall through */
    case DP_IPPROTO_UDP:
    case DP_IPPROTO_SCTP:
        memcpy(&h->k.tp_src, l4, 2);
        memcpy(&h->k.tp_dst, l4 + 2, 2);
        break;
    default:
        break;
    }
}

/* ---- multipath ---- */

static unsigned
pow2_above(unsigned x)
{
    x--;
    x |= x >> 1;
    x |= x >> 2;
    x |= x >> 4;
    x |= x >> 8;
    return x + 1;
}

/* iter_hash: hash again until a value below n_links comes, modulo a
 * power of two (or @modulo when it is between n_links and twice it) */
static unsigned
iter_hash(uint32_t hash, unsigned n_links, unsigned modulo)
{
    unsigned link;
    uint32_t i = 0;

    if (modulo < n_links || modulo / 2 > n_links)
        modulo = pow2_above(n_links);
    do
        link = hash_pair(hash, i++) % modulo;
    while (link >= n_links);
    return link;
}

/* hrw: the link whose hash with the packet's is the highest */
static unsigned
hrw_link(uint32_t hash, unsigned n_links)
{
    uint32_t best = hash_pair(hash, 0);
    unsigned link = 0;

    for (unsigned i = 1; i < n_links; i++) {
        uint32_t w = hash_pair(hash, i);

        if (w > best) {
            best = w;
            link = i;
        }
    }
    return link;
}

uint16_t
dp_multipath_link(const struct dp_pkt *pkt, const struct flow_action *a)
{
    unsigned n_links = (unsigned)a->u.multipath.max_link + 1;
    struct hkey h;
    uint32_t hash;

    hkey_of(pkt, &h);
    hash = hash_fields(&h, a->u.multipath.fields, a->pad0);
    switch (a->u.multipath.algorithm) {
    case FLOW_MP_MODULO_N:
        return (uint16_t)(hash % n_links);
    case FLOW_MP_HASH_THRESHOLD:
        if (n_links == 1)
            return 0;
        return (uint16_t)(hash / (UINT32_MAX / n_links + 1));
    case FLOW_MP_HRW:
        return (uint16_t)(n_links <= 64 ? hrw_link(hash, n_links)
                                        : iter_hash(hash, n_links, 0));
    case FLOW_MP_ITER_HASH:
        return (uint16_t)iter_hash(hash, n_links, a->u.multipath.arg);
    }
    return 0;
}

/* ---- bundle ---- */

/* May @port carry the bundle's packets? The reserved ports a bundle may
 * name always may (Open vSwitch's rule); a port (LOCAL too) when the
 * switch has it and its link is up, as Open vSwitch asks the port's
 * may_enable. */
static bool
member_live(const struct dp_actions_env *env, uint32_t port)
{
    const struct dp_port_set *set;
    const struct dp_port *p;

    if (port == FLOW_PORT_IN_PORT || port == FLOW_PORT_NORMAL
        || port == FLOW_PORT_FLOOD || port == FLOW_PORT_ALL)
        return true;
    if (env->sw == NULL)
        return false;
    set = __atomic_load_n(&env->sw->sw->ports, __ATOMIC_ACQUIRE);
    p = dp_port_find(set, port);
    return p != NULL && (p->flags & DP_PORT_DOWN) == 0;
}

static uint32_t
member(const struct flow_action *a, unsigned i)
{
    return a[1 + i / 2].u.members[i % 2];
}

uint32_t
dp_bundle_member(const struct dp_actions_env *env, const struct dp_pkt *pkt,
                 const struct flow_action *a)
{
    unsigned n = a->u.bundle.n_members;
    uint32_t best_hash = 0, hash;
    int best = -1;
    struct hkey h;

    if (a->u.bundle.algorithm == FLOW_BD_ACTIVE_BACKUP) {
        for (unsigned i = 0; i < n; i++)
            if (member_live(env, member(a, i)))
                return member(a, i);
        return FLOW_PORT_ANY;
    }
    hkey_of(pkt, &h);
    hash = hash_fields(&h, a->u.bundle.fields, a->pad0);
    for (unsigned i = 0; i < n; i++) {
        uint32_t w;

        if (!member_live(env, member(a, i)))
            continue;
        w = hash_pair(i, hash);
        if (best < 0 || w > best_hash) {
            best_hash = w;
            best = (int)i;
        }
    }
    return best >= 0 ? member(a, (unsigned)best) : FLOW_PORT_ANY;
}
