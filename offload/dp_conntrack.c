/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection tracker behind ct(...): a per-zone table of connections,
 * each found from either direction, with the states Open vSwitch's
 * userspace tracker gives the packets (new, established, related,
 * invalid, reply), so that flows written against it (the OVS firewall
 * driver's ct_state=-trk / +trk+new / +est / +rel / +inv tables) behave
 * the same here. What is tracked, and what is not, is listed in
 * docs/datapath.md ("Connection tracking").
 *
 * Concurrency. Unlike the classifier, this is state that packets write:
 * every packet of a tracked connection updates its protocol state and
 * expiry, and its two directions may arrive on two ports, so on two
 * workers. Copy-on-write publishing (the classifier's QSBR) would copy an
 * entry per packet, and per-worker tables would split a connection in
 * two. So the table is one, split into DP_CT_SHARDS shards, each a chain
 * hash under its own mutex. The shard and bucket come from a hash of the
 * key with its two endpoints in a canonical order, so both directions of
 * a connection land in the same bucket and one lock covers the entry:
 * a worker takes exactly one lock per ct() and holds it for a lookup and
 * an update of a few words. Workers contend only on connections that
 * share a shard at the same moment; the control thread (dump, flush,
 * expiry) takes the shards one at a time. The entry count is one atomic.
 *
 * Expiry is lazy: an entry past its time counts as absent and is freed
 * by whoever walks its chain next (a lookup, a commit that needs room, a
 * dump, a flush).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_ct_priv.h"
#include "snic_clock.h"

#define DP_CT_SHARDS        64u
#define DP_CT_BUCKETS       1024u       /* per shard */

struct ct_ep {
    uint8_t addr[16];
    uint16_t port;          /* network order; ICMP: the id */
    uint8_t type;           /* ICMP: this side's message type */
    uint8_t pad;
};

struct ct_key {
    struct ct_ep src, dst;
    uint16_t zone;
    uint8_t proto;
    uint8_t v6;
};

struct ct_conn {
    struct ct_conn *next;
    struct ct_key key;      /* the original direction */
    uint64_t expires;       /* seconds, on the tracker's clock */
    uint32_t mark;
    uint64_t label[2];
    uint8_t state[2];       /* TCP: per side; others: [0] OTHER_* */
};

enum { OTHER_FIRST, OTHER_MULTIPLE, OTHER_BIDIR };

struct ct_shard {
    pthread_mutex_t lock;   /* guards the chains of this shard */
    struct ct_conn *buckets[DP_CT_BUCKETS];
};

struct dp_ct {
    struct ct_shard shards[DP_CT_SHARDS];
    size_t n_conns;         /* __atomic: entries, live or expired */
    size_t limit;           /* __atomic */
    uint64_t (*now_s)(void *ctx);
    void *clock_ctx;
};

/* Timeouts in seconds: Open vSwitch's default policy. */
enum {
    TM_TCP_FIRST = 30, TM_TCP_OPENING = 30, TM_TCP_ESTABLISHED = 86400,
    TM_TCP_CLOSING = 900, TM_TCP_FIN_WAIT = 45, TM_TCP_CLOSED = 30,
    TM_OTHER_FIRST = 60, TM_OTHER_MULTIPLE = 60, TM_OTHER_BIDIR = 30,
    TM_ICMP_FIRST = 60, TM_ICMP_REPLY = 30,
};

#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u
#define TCP_URG 0x20u

static uint64_t
mono_s(void *ctx)
{
    (void)ctx;
    return snic_now_ns() / 1000000000u;
}

struct dp_ct *
dp_ct_create(void)
{
    struct dp_ct *ct = calloc(1, sizeof(*ct));

    if (ct == NULL)
        return NULL;
    for (unsigned i = 0; i < DP_CT_SHARDS; i++)
        pthread_mutex_init(&ct->shards[i].lock, NULL);
    ct->n_conns = 0;
    ct->limit = DP_CT_LIMIT_DEFAULT;
    ct->now_s = mono_s;
    return ct;
}

void
dp_ct_destroy(struct dp_ct *ct)
{
    if (ct == NULL)
        return;
    dp_ct_flush(ct, -1);
    for (unsigned i = 0; i < DP_CT_SHARDS; i++)
        pthread_mutex_destroy(&ct->shards[i].lock);
    free(ct);
}

void
dp_ct_set_clock(struct dp_ct *ct, uint64_t (*now_s)(void *ctx), void *ctx)
{
    ct->now_s = now_s != NULL ? now_s : mono_s;
    ct->clock_ctx = ctx;
}

void
dp_ct_set_limit(struct dp_ct *ct, size_t max)
{
    __atomic_store_n(&ct->limit, max != 0 ? max : DP_CT_LIMIT_DEFAULT,
                     __ATOMIC_RELAXED);
}

size_t
dp_ct_limit(const struct dp_ct *ct)
{
    return __atomic_load_n(&ct->limit, __ATOMIC_RELAXED);
}

/* ---- keys ---- */

static void
key_reverse(const struct ct_key *k, struct ct_key *r)
{
    *r = *k;
    r->src = k->dst;
    r->dst = k->src;
}

static int
ep_cmp(const struct ct_ep *a, const struct ct_ep *b)
{
    return memcmp(a, b, sizeof(*a));
}

/* The same for both directions of a connection. */
static uint64_t
key_hash(const struct ct_key *k)
{
    const struct ct_ep *lo = ep_cmp(&k->src, &k->dst) <= 0 ? &k->src
                                                           : &k->dst;
    const struct ct_ep *hi = lo == &k->src ? &k->dst : &k->src;
    uint64_t w[6], h = 0x5ca1ab1e;

    memcpy(w, lo, 20);
    memcpy((uint8_t *)w + 20, hi, 20);
    memcpy((uint8_t *)w + 40, &k->zone, 4);
    memset((uint8_t *)w + 44, 0, 4);
    for (unsigned i = 0; i < 6; i++)
        h = dp_hash_mix(h, w[i]);
    return dp_hash_final(h);
}

static bool
key_equal(const struct ct_key *a, const struct ct_key *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

/* ---- reading the packet ---- */

static uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* One's complement sum of @size bytes, not folded. */
static uint32_t
sum16(const uint8_t *p, size_t size, uint32_t sum)
{
    for (; size > 1; p += 2, size -= 2)
        sum += rd16(p);
    if (size)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static bool
sum_ok(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

/* The L4 checksum over the pseudo-header of the IP header at @ip. */
static bool
l4_csum_ok(const uint8_t *ip, bool v6, uint8_t proto, const uint8_t *l4,
           size_t l4_len)
{
    uint32_t sum = 0;

    if (v6)
        sum = sum16(ip + 8, 32, sum);
    else
        sum = sum16(ip + 12, 8, sum);
    sum += proto;
    sum += (uint32_t)(l4_len >> 16) + (uint32_t)(l4_len & 0xffff);
    return sum_ok(sum16(l4, l4_len, sum));
}

static bool
tcp_invalid_flags(unsigned f)
{
    if (f & TCP_SYN) {
        if (f & (TCP_RST | TCP_FIN))
            return true;
    } else if (!(f & TCP_ACK) && !(f & TCP_RST)) {
        /* neither SYN nor ACK nor RST */
        return true;
    }
    if (!(f & TCP_ACK) && (f & (TCP_FIN | TCP_PSH | TCP_URG)))
        return true;
    return false;
}

static uint8_t
icmp_reverse_type(uint8_t type, bool v6)
{
    if (v6) {
        switch (type) {
        case 128: return 129;
        case 129: return 128;
        default: return type;
        }
    }
    switch (type) {
    case 8: return 0;
    case 0: return 8;
    case 13: return 14;
    case 14: return 13;
    case 15: return 16;
    case 16: return 15;
    default: return type;
    }
}

static bool
icmp_is_error(uint8_t type, bool v6)
{
    if (v6)
        return type >= 1 && type <= 4;
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool
icmp_is_query(uint8_t type, bool v6)
{
    if (v6)
        return type == 128 || type == 129;
    return type == 0 || type == 8 || type == 13 || type == 14
        || type == 15 || type == 16;
}

static bool
icmp_valid_new(uint8_t type, bool v6)
{
    if (v6)
        return type == 128;
    return type == 8 || type == 13 || type == 15;
}

/* Addresses, protocol and ports of the IP packet at ip[0..len) into @k
 * (zone set by the caller). @inner: the copy inside an ICMP error, whose
 * L4 header is only its first 8 bytes, and whose checksums are not
 * checked. *l4, *l4_len: where its L4 header is. False: not trackable,
 * the packet is +inv. */
static bool
parse_ip(const uint8_t *ip, size_t len, bool v6, bool inner,
         struct ct_key *k, const uint8_t **l4, size_t *l4_len)
{
    size_t hl, total;
    uint8_t proto;

    memset(&k->src, 0, sizeof(k->src));
    memset(&k->dst, 0, sizeof(k->dst));
    k->v6 = v6;
    if (!v6) {
        if (len < 20 || (ip[0] >> 4) != 4)
            return false;
        hl = (size_t)(ip[0] & 15) * 4;
        total = rd16(ip + 2);
        if (hl < 20 || hl > len || total < hl || (!inner && total > len))
            return false;
        if (!inner && !sum_ok(sum16(ip, hl, 0)))
            return false;
        /* fragments are not reassembled: +inv */
        if (rd16(ip + 6) & 0x3fff)
            return false;
        if (total > len)
            total = len;
        proto = ip[9];
        memcpy(k->src.addr, ip + 12, 4);
        memcpy(k->dst.addr, ip + 16, 4);
    } else {
        if (len < 40 || (ip[0] >> 4) != 6)
            return false;
        hl = 40;
        total = 40 + (size_t)rd16(ip + 4);
        if (!inner && total > len)
            return false;
        if (total > len)
            total = len;
        /* extension headers are not walked: a packet with one is +inv */
        proto = ip[6];
        memcpy(k->src.addr, ip + 8, 16);
        memcpy(k->dst.addr, ip + 24, 16);
    }
    k->proto = proto;
    *l4 = ip + hl;
    *l4_len = total - hl;
    switch (proto) {
    case DP_IPPROTO_TCP:
        if (*l4_len < (inner ? 8u : 20u))
            return false;
        if (!inner && ((*l4)[12] >> 4 < 5
                       || (size_t)((*l4)[12] >> 4) * 4 > *l4_len
                       || !l4_csum_ok(ip, v6, proto, *l4, *l4_len)))
            return false;
        memcpy(&k->src.port, *l4, 2);
        memcpy(&k->dst.port, *l4 + 2, 2);
        return true;
    case DP_IPPROTO_UDP:
        if (*l4_len < 8)
            return false;
        if (!inner && (v6 || rd16(*l4 + 6) != 0)
            && !l4_csum_ok(ip, v6, proto, *l4, *l4_len))
            return false;
        memcpy(&k->src.port, *l4, 2);
        memcpy(&k->dst.port, *l4 + 2, 2);
        return true;
    case DP_IPPROTO_ICMP:
    case DP_IPPROTO_ICMPV6:
        if (proto != (v6 ? DP_IPPROTO_ICMPV6 : DP_IPPROTO_ICMP))
            return true;    /* the other family's ICMP: addresses alone */
        if (*l4_len < 8)
            return false;
        if (!inner && (v6 ? !l4_csum_ok(ip, true, proto, *l4, *l4_len)
                          : !sum_ok(sum16(*l4, *l4_len, 0))))
            return false;
        return true;
    default:
        /* tracked by addresses alone, as Open vSwitch tracks them */
        return true;
    }
}

/* ICMP query fields: the id twice, this side's type and the answer's. */
static bool
icmp_query_key(const uint8_t *icmp, bool v6, struct ct_key *k)
{
    if (!icmp_is_query(icmp[0], v6) || icmp[1] != 0)
        return false;
    memcpy(&k->src.port, icmp + 4, 2);
    k->dst.port = k->src.port;
    k->src.type = icmp[0];
    k->dst.type = icmp_reverse_type(icmp[0], v6);
    return true;
}

/* The packet's key; *related: an ICMP error, keyed by the connection it
 * reports on (the inner packet, reversed). */
static bool
packet_key(const uint8_t *frame, size_t len, const struct dp_layout *lay,
           uint16_t zone, struct ct_key *k, bool *related)
{
    bool v6 = (lay->flags & DP_L_IPV6) != 0;
    const uint8_t *l4, *il4;
    size_t l4_len, il4_len;
    struct ct_key inner;

    *related = false;
    if (!(lay->flags & (DP_L_IPV4 | DP_L_IPV6)) || lay->l3_ofs >= len)
        return false;
    if (!parse_ip(frame + lay->l3_ofs, len - lay->l3_ofs, v6, false, k, &l4,
                  &l4_len))
        return false;
    k->zone = zone;
    if (k->proto != (v6 ? DP_IPPROTO_ICMPV6 : DP_IPPROTO_ICMP))
        return true;
    if (icmp_is_query(l4[0], v6))
        return icmp_query_key(l4, v6, k);
    if (!icmp_is_error(l4[0], v6))
        return false;
    /* the packet that caused the error, from the other side's view */
    if (!parse_ip(l4 + 8, l4_len - 8, v6, true, &inner, &il4, &il4_len))
        return false;
    /* its addresses must be this packet's, reversed */
    if (memcmp(inner.src.addr, k->dst.addr, 16) != 0)
        return false;
    if (inner.proto == (v6 ? DP_IPPROTO_ICMPV6 : DP_IPPROTO_ICMP)
        && !icmp_query_key(il4, v6, &inner))
        return false;
    inner.zone = zone;
    key_reverse(&inner, k);
    *related = true;
    return true;
}

/* ---- protocol state ---- */

enum upd { UPD_VALID, UPD_VALID_NEW, UPD_NEW, UPD_INVALID };

static uint64_t
tcp_timeout(const struct ct_conn *c)
{
    uint8_t a = c->state[0], b = c->state[1];

    if (a >= DP_CT_TCP_FIN_WAIT_2 && b >= DP_CT_TCP_FIN_WAIT_2)
        return TM_TCP_CLOSED;
    if (a >= DP_CT_TCP_CLOSING && b >= DP_CT_TCP_CLOSING)
        return TM_TCP_FIN_WAIT;
    if (a < DP_CT_TCP_ESTABLISHED || b < DP_CT_TCP_ESTABLISHED)
        return TM_TCP_OPENING;
    if (a >= DP_CT_TCP_CLOSING || b >= DP_CT_TCP_CLOSING)
        return TM_TCP_CLOSING;
    return TM_TCP_ESTABLISHED;
}

/* A packet of @c from side @reply. TCP: the state machine Open vSwitch
 * took from pf, without its sequence-window checks. */
static enum upd
conn_update(struct ct_conn *c, bool reply, unsigned tcp_flags, uint64_t now)
{
    if (c->key.proto == DP_IPPROTO_TCP) {
        uint8_t *src = &c->state[reply], *dst = &c->state[!reply];

        if (tcp_invalid_flags(tcp_flags))
            return UPD_INVALID;
        if ((tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
            if (*dst >= DP_CT_TCP_FIN_WAIT_2
                && *src >= DP_CT_TCP_FIN_WAIT_2) {
                *src = *dst = DP_CT_TCP_CLOSED;
                return UPD_NEW;
            }
            if (*src <= DP_CT_TCP_SYN_SENT) {
                *src = DP_CT_TCP_SYN_SENT;
                c->expires = now + TM_TCP_FIRST;
                return UPD_VALID_NEW;
            }
        }
        if ((tcp_flags & TCP_SYN) && *src < DP_CT_TCP_SYN_SENT)
            *src = DP_CT_TCP_SYN_SENT;
        if ((tcp_flags & TCP_FIN) && *src < DP_CT_TCP_CLOSING)
            *src = DP_CT_TCP_CLOSING;
        if (tcp_flags & TCP_ACK) {
            if (*dst == DP_CT_TCP_SYN_SENT)
                *dst = DP_CT_TCP_ESTABLISHED;
            else if (*dst == DP_CT_TCP_CLOSING)
                *dst = DP_CT_TCP_FIN_WAIT_2;
        }
        if (tcp_flags & TCP_RST)
            *src = *dst = DP_CT_TCP_TIME_WAIT;
        c->expires = now + tcp_timeout(c);
        return UPD_VALID;
    }
    if (c->key.proto == (c->key.v6 ? DP_IPPROTO_ICMPV6 : DP_IPPROTO_ICMP)) {
        if (reply && c->state[0] == OTHER_FIRST)
            c->state[0] = OTHER_BIDIR;
        c->expires = now + (c->state[0] == OTHER_BIDIR ? TM_ICMP_REPLY
                                                       : TM_ICMP_FIRST);
        /* new until answered, as for UDP */
        return c->state[0] == OTHER_BIDIR ? UPD_VALID : UPD_VALID_NEW;
    }
    /* UDP and the rest: new until the other side answered (what Open
     * vSwitch 3.1 marks, checked by tests/ovsdiff) */
    if (reply)
        c->state[0] = OTHER_BIDIR;
    else if (c->state[0] == OTHER_FIRST)
        c->state[0] = OTHER_MULTIPLE;
    c->expires = now + (c->state[0] == OTHER_BIDIR ? TM_OTHER_BIDIR
                        : c->state[0] == OTHER_MULTIPLE
                        ? TM_OTHER_MULTIPLE : TM_OTHER_FIRST);
    return c->state[0] == OTHER_BIDIR ? UPD_VALID : UPD_VALID_NEW;
}

static bool
valid_new(const struct ct_key *k, unsigned tcp_flags)
{
    if (k->proto == DP_IPPROTO_TCP)
        return !tcp_invalid_flags(tcp_flags)
            && (tcp_flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK);
    if (k->proto == (k->v6 ? DP_IPPROTO_ICMPV6 : DP_IPPROTO_ICMP))
        return icmp_valid_new(k->src.type, k->v6);
    return true;
}

static void
conn_init(struct ct_conn *c, const struct ct_key *k, uint64_t now)
{
    memset(c, 0, sizeof(*c));
    c->key = *k;
    if (k->proto == DP_IPPROTO_TCP) {
        c->state[0] = DP_CT_TCP_SYN_SENT;
        c->state[1] = DP_CT_TCP_CLOSED;
        c->expires = now + TM_TCP_FIRST;
    } else {
        c->expires = now + (k->proto == DP_IPPROTO_ICMP
                            || k->proto == DP_IPPROTO_ICMPV6
                            ? TM_ICMP_FIRST : TM_OTHER_FIRST);
    }
}

/* ---- the table ---- */

/* The live entry of @k in @b's chain (either direction: *reply), freeing
 * expired ones on the way. Shard lock held. */
static struct ct_conn *
chain_find(struct dp_ct *ct, struct ct_conn **b, const struct ct_key *k,
           uint64_t now, bool *reply)
{
    struct ct_key r;

    key_reverse(k, &r);
    while (*b != NULL) {
        struct ct_conn *c = *b;

        if (c->expires <= now) {
            *b = c->next;
            free(c);
            __atomic_fetch_sub(&ct->n_conns, 1, __ATOMIC_RELAXED);
            continue;
        }
        if (key_equal(&c->key, k)) {
            *reply = false;
            return c;
        }
        if (key_equal(&c->key, &r)) {
            *reply = true;
            return c;
        }
        b = &c->next;
    }
    return NULL;
}

static void
chain_unlink(struct ct_conn **b, struct ct_conn *c)
{
    for (; *b != NULL; b = &(*b)->next)
        if (*b == c) {
            *b = c->next;
            return;
        }
}

/* Free every expired entry of shard @s. Lock held. */
static void
shard_expire(struct dp_ct *ct, struct ct_shard *s, uint64_t now)
{
    for (unsigned i = 0; i < DP_CT_BUCKETS; i++) {
        struct ct_conn **b = &s->buckets[i];

        while (*b != NULL) {
            struct ct_conn *c = *b;

            if (c->expires <= now) {
                *b = c->next;
                free(c);
                __atomic_fetch_sub(&ct->n_conns, 1, __ATOMIC_RELAXED);
            } else {
                b = &c->next;
            }
        }
    }
}

/* Reserve room for one entry; false when the table is full even after
 * the expired entries went: this shard's, and those of the shards whose
 * lock is free right now (waiting for one while holding @s could
 * deadlock with a worker doing the same the other way round). */
static bool
reserve(struct dp_ct *ct, struct ct_shard *s, uint64_t now)
{
    size_t limit = __atomic_load_n(&ct->limit, __ATOMIC_RELAXED);

    if (__atomic_fetch_add(&ct->n_conns, 1, __ATOMIC_RELAXED) < limit)
        return true;
    __atomic_fetch_sub(&ct->n_conns, 1, __ATOMIC_RELAXED);
    shard_expire(ct, s, now);
    for (unsigned i = 0; i < DP_CT_SHARDS; i++) {
        struct ct_shard *o = &ct->shards[i];

        if (o == s || pthread_mutex_trylock(&o->lock) != 0)
            continue;
        shard_expire(ct, o, now);
        pthread_mutex_unlock(&o->lock);
    }
    if (__atomic_fetch_add(&ct->n_conns, 1, __ATOMIC_RELAXED) < limit)
        return true;
    __atomic_fetch_sub(&ct->n_conns, 1, __ATOMIC_RELAXED);
    return false;
}

/* exec()'s loads and moves, on the connection's mark and label: run on a
 * copy of the packet's key (a move may read its registers or tunnel
 * fields). */
static void
apply_exec(struct ct_conn *c, const struct flow_action *body, unsigned n,
           const struct flow_key *key)
{
    struct flow_key k = *key;

    k.meta.ct_mark = c->mark;
    k.meta.ct_label[0] = c->label[0];
    k.meta.ct_label[1] = c->label[1];
    for (unsigned i = 0; i < n; i++) {
        const struct flow_action *a = &body[i];
        uint64_t v[2] = { a->u.value, 0 };

        if (a->type == FLOW_ACT_MOVE)
            flow_key_subfield_get(&k, &a->u.src, v);
        else if (a->type != FLOW_ACT_LOAD)
            continue;
        flow_key_subfield_set(&k, &a->dst, v);
    }
    c->mark = k.meta.ct_mark;
    c->label[0] = k.meta.ct_label[0];
    c->label[1] = k.meta.ct_label[1];
}

static void
result_of(struct dp_ct_result *res, uint8_t state, uint16_t zone,
          const struct ct_conn *c)
{
    res->state = state | FLOW_CS_TRACKED;
    res->zone = zone;
    res->mark = c != NULL ? c->mark : 0;
    res->label[0] = c != NULL ? c->label[0] : 0;
    res->label[1] = c != NULL ? c->label[1] : 0;
}

void
dp_ct_execute(struct dp_ct *ct, const uint8_t *frame, size_t len,
              const struct flow_key *key, const struct dp_layout *lay,
              const struct flow_action *a, uint16_t zone, bool dry,
              struct dp_ct_result *res)
{
    bool commit = (a->u.ct.flags & FLOW_CT_F_COMMIT) && !dry;
    bool force = (a->u.ct.flags & FLOW_CT_F_FORCE) != 0;
    unsigned tcp_flags = ntohs(key->tcp_flags);
    uint64_t now = ct->now_s(ct->clock_ctx);
    struct ct_key k;
    struct ct_shard *s;
    struct ct_conn **b, *c;
    /* a check run's copy of the connection: read again at found, so it
     * lives as long as the function */
    struct ct_conn copy;
    bool related, reply = false;
    uint8_t state;
    uint64_t h;

    res->full = false;
    if (!packet_key(frame, len, lay, zone, &k, &related)) {
        result_of(res, FLOW_CS_INVALID, zone, NULL);
        return;
    }
    h = key_hash(&k);
    s = &ct->shards[h % DP_CT_SHARDS];
    b = &s->buckets[(h / DP_CT_SHARDS) % DP_CT_BUCKETS];
    pthread_mutex_lock(&s->lock);
    c = chain_find(ct, b, &k, now, &reply);
    if (related) {
        /* an error about a connection we know; never creates one */
        if (c == NULL)
            state = FLOW_CS_INVALID;
        else
            state = FLOW_CS_RELATED | (reply ? FLOW_CS_REPLY_DIR : 0);
        goto found;
    }
    if (c != NULL && force && reply && commit) {
        /* force: this direction becomes the original one */
        chain_unlink(b, c);
        free(c);
        __atomic_fetch_sub(&ct->n_conns, 1, __ATOMIC_RELAXED);
        c = NULL;
    }
    if (c != NULL) {
        enum upd u;

        if (dry) {
            /* a check run: the answer without the update */
            copy = *c;
            c = &copy;
        }
        u = conn_update(c, reply, tcp_flags, now);
        switch (u) {
        case UPD_VALID:
            state = FLOW_CS_ESTABLISHED | (reply ? FLOW_CS_REPLY_DIR : 0);
            goto found;
        case UPD_VALID_NEW:
            state = FLOW_CS_NEW;
            goto found;
        case UPD_INVALID:
            result_of(res, FLOW_CS_INVALID, zone, NULL);
            pthread_mutex_unlock(&s->lock);
            return;
        case UPD_NEW:
            /* a new connection on the old one's tuple */
            if (!dry) {
                chain_unlink(b, c);
                free(c);
                __atomic_fetch_sub(&ct->n_conns, 1, __ATOMIC_RELAXED);
            }
            c = NULL;
            reply = false;
            break;
        }
    }
    /* no connection: a first packet */
    if (!valid_new(&k, tcp_flags)) {
        result_of(res, FLOW_CS_INVALID, zone, NULL);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    state = FLOW_CS_NEW;
    if (commit) {
        if (!reserve(ct, s, now)) {
            res->full = true;
        } else if ((c = malloc(sizeof(*c))) == NULL) {
            __atomic_fetch_sub(&ct->n_conns, 1, __ATOMIC_RELAXED);
            res->full = true;
        } else {
            conn_init(c, &k, now);
            c->next = *b;
            *b = c;
        }
    }
found:
    if (c != NULL && !dry && a->u.ct.n_exec > 0)
        apply_exec(c, a + 1, a->u.ct.n_exec, key);
    result_of(res, state, zone, c);
    pthread_mutex_unlock(&s->lock);
}

/* ---- control side ---- */

static void
entry_of(const struct ct_conn *c, uint64_t now, struct dp_ct_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->zone = c->key.zone;
    e->dl_type = c->key.v6 ? 0x86dd : 0x0800;
    e->proto = c->key.proto;
    e->state[0] = c->state[0];
    e->state[1] = c->state[1];
    e->icmp_type = c->key.src.type;
    memcpy(e->src, c->key.src.addr, 16);
    memcpy(e->dst, c->key.dst.addr, 16);
    e->sport = ntohs(c->key.src.port);
    e->dport = ntohs(c->key.dst.port);
    e->mark = c->mark;
    e->label[0] = c->label[0];
    e->label[1] = c->label[1];
    e->expires = (uint32_t)(c->expires - now);
}

size_t
dp_ct_dump(struct dp_ct *ct, int zone, struct dp_ct_entry *out, size_t max)
{
    uint64_t now = ct->now_s(ct->clock_ctx);
    size_t n = 0;

    for (unsigned i = 0; i < DP_CT_SHARDS; i++) {
        struct ct_shard *s = &ct->shards[i];

        pthread_mutex_lock(&s->lock);
        shard_expire(ct, s, now);
        for (unsigned j = 0; j < DP_CT_BUCKETS; j++)
            for (struct ct_conn *c = s->buckets[j]; c; c = c->next) {
                if (zone >= 0 && c->key.zone != zone)
                    continue;
                if (out != NULL && n < max)
                    entry_of(c, now, &out[n]);
                n++;
            }
        pthread_mutex_unlock(&s->lock);
    }
    return n;
}

size_t
dp_ct_flush(struct dp_ct *ct, int zone)
{
    size_t n = 0;

    for (unsigned i = 0; i < DP_CT_SHARDS; i++) {
        struct ct_shard *s = &ct->shards[i];

        pthread_mutex_lock(&s->lock);
        for (unsigned j = 0; j < DP_CT_BUCKETS; j++) {
            struct ct_conn **b = &s->buckets[j];

            while (*b != NULL) {
                struct ct_conn *c = *b;

                if (zone >= 0 && c->key.zone != zone) {
                    b = &c->next;
                    continue;
                }
                *b = c->next;
                free(c);
                __atomic_fetch_sub(&ct->n_conns, 1, __ATOMIC_RELAXED);
                n++;
            }
        }
        pthread_mutex_unlock(&s->lock);
    }
    return n;
}

size_t
dp_ct_count(const struct dp_ct *ct)
{
    return __atomic_load_n(&ct->n_conns, __ATOMIC_RELAXED);
}
