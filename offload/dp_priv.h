/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to the software datapath (offload/dp_*.c). */
#ifndef SNIC_DP_PRIV_H
#define SNIC_DP_PRIV_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "snic/dp.h"
#include "snic_counter.h"
#include "snic_hash.h"

/* Above this many probed words (the unit of dp_cls_lookup_burst()'s
 * cost), the cheapest lookup of a table, estimated from its shape when it
 * is published (dp_classifier.c), is dearer than an exact-match cache
 * lookup whatever the traffic. Below it, the workers weigh their own
 * lookups against the words of the table's cache key (dp_path.c). */
#define DP_EMC_MIN_WORDS    8u

#define DP_ETH_IPV4     0x0800u
#define DP_ETH_ARP      0x0806u
#define DP_ETH_VLAN     0x8100u
#define DP_ETH_QINQ     0x88a8u
#define DP_ETH_IPV6     0x86ddu
#define DP_ETH_MPLS     0x8847u
#define DP_ETH_MPLSM    0x8848u
/* Below this, the type field is an 802.3 length (an LLC frame). */
#define DP_ETH_TYPE_MIN 0x0600u

#define DP_IPPROTO_ICMP     1u
#define DP_IPPROTO_TCP      6u
#define DP_IPPROTO_UDP      17u
#define DP_IPPROTO_ICMPV6   58u
#define DP_IPPROTO_SCTP     132u

/* dp_extract() of the packet's own fields only: the key's pipeline
 * metadata (registers...) is left as it is, for a packet that goes on to
 * another lookup after its actions. */
int dp_extract_hdr(const uint8_t *frame, size_t len, uint32_t in_port,
                   struct flow_key *key, struct dp_layout *layout);
/* dp_extract_hdr() of a packet without an Ethernet header, of packet
 * type @packet_type (FLOW_PT(1, EtherType), host order). */
void dp_extract_l3(const uint8_t *frame, size_t len, uint32_t in_port,
                   uint32_t packet_type, struct flow_key *key,
                   struct dp_layout *layout);

/* The key and layout of @pkt as it now is: Ethernet, or what decap()
 * left. */
static inline void
dp_extract_pkt(const struct dp_pkt *pkt, struct flow_key *key,
               struct dp_layout *layout)
{
    if (__builtin_expect(pkt->packet_type != FLOW_PT_ETH, 0))
        dp_extract_l3(pkt->buf.data, pkt->buf.len, pkt->in_port,
                      pkt->packet_type, key, layout);
    else
        dp_extract_hdr(pkt->buf.data, pkt->buf.len, pkt->in_port, key,
                       layout);
}

/* A first fragment's L4 ports (ICMP type and code) into @key, from the
 * frame @lay describes: what actions read, not what lookups match. */
void dp_extract_frag_ports(const uint8_t *frame, const struct dp_layout *lay,
                           struct flow_key *key);

/*
 * Trains (docs/datapath.md, "Fast paths"): whether a frame reads exactly
 * as an earlier one did, told without reading it. Only for a frame
 * dp_extract_hdr() reads in its IPv4 fast path (Ethernet, at most one
 * tag, a 20-byte IPv4 header that is no fragment, UDP or TCP with a data
 * offset of 5): a later frame of the same in_port whose bytes that path
 * reads are the same -- every byte up to the ports but the IPv4
 * identification and checksum, and TCP's offset and flags -- and whose
 * length passes the same checks has the same key and layout.
 */
/* The shortest frame a train takes: Ethernet, IPv4, TCP's header. */
#define DP_TRAIN_MIN    (14u + 40u)

struct dp_train {
    uint64_t word[6];   /* dp_train_words() of the first frame */
    uint16_t tot;       /* its IPv4 total length */
    uint16_t tcp_word;  /* TCP: its data offset and flags */
    uint8_t ofs;        /* where its IPv4 header starts: 14 or 18 */
    bool tcp;
};

static inline uint64_t
dp_train_load(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

/* The bytes of @frame, IPv4 header at @ofs, that dp_train_same()
 * compares, as words: 0-15 and ofs-8 to ofs (Ethernet, the tag), then
 * the IPv4 header to the end of the ports without its identification
 * and checksum (which no lookup reads). */
static inline void
dp_train_words(const uint8_t *frame, size_t ofs, uint64_t *w)
{
    static const uint8_t no_id[8] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff,
                                      0xff };
    static const uint8_t no_csum[8] = { 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff,
                                        0xff };

    w[0] = dp_train_load(frame);
    w[1] = dp_train_load(frame + 8);
    w[2] = dp_train_load(frame + ofs - 8);
    w[3] = dp_train_load(frame + ofs) & dp_train_load(no_id);
    w[4] = dp_train_load(frame + ofs + 8) & dp_train_load(no_csum);
    w[5] = dp_train_load(frame + ofs + 16);
}

/* Whether @frame starts a train (false: it is not read by the fast path
 * the trains rely on); @t is then what later frames are compared to. */
bool dp_train_start(struct dp_train *t, const uint8_t *frame, size_t len);

/* Whether @frame (@len bytes), from the first frame's in_port, has the
 * first frame's key and layout (dp_extract_hdr()). */
static inline bool
dp_train_same(const struct dp_train *t, const uint8_t *frame, size_t len)
{
    uint64_t w[6], diff = 0;

    /* the length checks the fast path makes (ipv4_fast_takes()); the
     * bytes it checks are compared below */
    if (len > UINT16_MAX || len < t->ofs + 40u
        || len - t->ofs - t->tot > UINT8_MAX)
        return false;
    dp_train_words(frame, t->ofs, w);
    for (unsigned i = 0; i < 6; i++)
        diff |= w[i] ^ t->word[i];
    if (t->tcp)
        diff |= (uint64_t)(frame[t->ofs + 32] << 8 | frame[t->ofs + 33])
                ^ t->tcp_word;
    return diff == 0;
}

/* struct flow_key as 64-bit words: masking and hashing work word-wise. */
#define DP_KEY_WORDS    (sizeof(struct flow_key) / 8)
_Static_assert(sizeof(struct flow_key) % 8 == 0, "key is whole words");

static inline void
dp_key_words(const struct flow_key *key, uint64_t w[DP_KEY_WORDS])
{
    memcpy(w, key, sizeof(*key));
}

/* Word @i of @key, without copying the whole key (one load). */
static inline uint64_t
dp_key_word(const struct flow_key *key, unsigned i)
{
    uint64_t w;

    memcpy(&w, (const uint8_t *)key + 8 * i, sizeof(w));
    return w;
}

/* The project's hash (common/snic_hash.h), by the names the classifier's
 * lanes use: one function, the lanes only run it several at a time. */
static inline uint64_t
dp_hash_mix(uint64_t h, uint64_t w)
{
    return snic_hash_mix(h, w);
}

static inline uint64_t
dp_hash_final(uint64_t h)
{
    return snic_hash_final(h);
}

/* Whether a packet's run under @snap can pass Open vSwitch's resubmit
 * limits (FLOW_RESUBMIT_MAX_DEPTH, FLOW_RESUBMIT_MAX): some flow
 * resubmits to its own or an earlier table, or the resubmits and
 * goto_tables can fan out to that many lookups. */
bool dp_cls_snap_resubmit_check(const struct dp_cls_snap *snap);
/* Whether a flow of @snap matches or writes the pipeline metadata (else
 * a packet's registers are never read, and need no zeroing). */
bool dp_cls_snap_uses_meta(const struct dp_cls_snap *snap);

/* Whether an exact-match cache in front of table @table_id of @snap can
 * save work: false when a lookup that hits probes so few mask words that
 * it is cheaper than hashing and comparing the whole key. */
bool dp_cls_snap_emc_useful(const struct dp_cls_snap *snap,
                            unsigned table_id);

/* Whether an exact-match cache in front of table @table_id would give
 * exact answers (no flow matches the pipeline metadata), paying or not. */
bool dp_cls_snap_emc_exact(const struct dp_cls_snap *snap,
                           unsigned table_id);

/* Whether table @table_id of @snap decides by in_port alone (every flow
 * of it matches in_port exactly or not at all, and nothing else; an
 * absent table too): then *@rule is its answer for a packet that comes
 * from @in_port, the same as dp_cls_lookup() whatever the rest of the
 * packet holds (NULL: a miss). False: the table looks at more. */
bool dp_cls_snap_port_rule(const struct dp_cls_snap *snap, unsigned table_id,
                           uint32_t in_port, const struct dp_rule **rule);

/* Whether every flow of table @table_id of @snap looks at in_port and
 * the Ethernet header only (dp_extract_l2()'s fields), and at more than
 * the port. */
bool dp_cls_snap_l2(const struct dp_cls_snap *snap, unsigned table_id);

/* dp_extract_hdr() of in_port and the Ethernet header only (addresses,
 * the outer VLAN tag, dl_type as dp_extract() gives it, LLC/SNAP
 * included); the rest of the packet's words zero. Enough for a table of
 * dp_cls_snap_l2(). */
void dp_extract_l2(const uint8_t *frame, size_t len, uint32_t in_port,
                   struct flow_key *key);

/* The words of a key that come from the packet (FLOW_KEY_PKT_SIZE): all
 * an exact-match cache may key on, since it only serves tables that never
 * match the pipeline metadata. */
#define DP_KEY_PKT_WORDS    (FLOW_KEY_PKT_SIZE / 8)
_Static_assert(FLOW_KEY_PKT_SIZE % 8 == 0, "packet part is whole words");
/* The words an exact-match cache key holds at most: 12 of the packet's
 * 13, so that a cache entry (struct emc_entry) stays 128 bytes, two
 * cache lines, with a shift for an index. A table whose flows look at
 * all 13 (every packet field, ND's shared bytes included) gets no cache
 * (dp_ctable_shape()). The word loops below unroll up to 12. */
#define DP_CACHE_KEY_WORDS  12u
_Static_assert(DP_CACHE_KEY_WORDS < DP_KEY_PKT_WORDS, "a cache key leaves "
               "out at least one word: see dp_ctable_shape()");

/* The hash of @n gathered words (the classifier's subtables and the
 * exact-match cache): two lanes of one multiply per word, so that the
 * lanes' multiplies overlap; dp_hash_final() spreads the bits a multiply
 * leaves low. @n is a constant in the callers that want the loop
 * unrolled. */
static inline __attribute__((always_inline)) uint64_t
dp_words_hash(const uint64_t *w, unsigned n)
{
    uint64_t h0 = n, h1 = 0x9e3779b97f4a7c15ull;
    unsigned j;

#pragma GCC unroll 12
    for (j = 0; j + 2 <= n; j += 2) {
        h0 = (h0 ^ w[j]) * 0xbf58476d1ce4e5b9ull;
        h1 = (h1 ^ w[j + 1]) * 0x94d049bb133111ebull;
        h0 = h0 << 27 | h0 >> 37;
        h1 = h1 << 31 | h1 >> 33;
    }
    if (j < n)
        h0 = (h0 ^ w[j]) * 0xbf58476d1ce4e5b9ull;
    return dp_hash_final(h0 ^ h1);
}

/*
 * What the exact-match cache in front of a table keys on: the packet
 * words some flow of the table looks at, each under the union of the
 * table's masks (decided when the table is published, dp_cls_shape.c).
 * Two keys equal there are equal under every mask of the table, so the
 * table gives them the same answer: they share an entry, and a probe
 * hashes and compares those words only, not the whole key.
 */
struct dp_cache_key {
    uint8_t n;                          /* words */
    uint8_t idx[DP_CACHE_KEY_WORDS];    /* which, ascending */
    uint64_t mask[DP_CACHE_KEY_WORDS];  /* mask[j]: word idx[j]'s */
};

/* The cache key of table @table_id of @snap (a table that
 * dp_cls_snap_emc_exact() allows a cache in front of). */
const struct dp_cache_key *dp_cls_snap_cache_key(
    const struct dp_cls_snap *snap, unsigned table_id);

/* Gather @key's words under @ck into w[0..n) (@n is ck->n, passed apart
 * so that a caller with a constant gets the loops unrolled) and return
 * their hash. */
static inline __attribute__((always_inline)) uint64_t
dp_cache_key_gather(const struct dp_cache_key *ck, const struct flow_key *key,
                    uint64_t *w, unsigned n)
{
#pragma GCC unroll 12
    for (unsigned j = 0; j < n; j++)
        w[j] = dp_key_word(key, ck->idx[j]) & ck->mask[j];
    return dp_words_hash(w, n);
}

/* Whether @a and @b are the same under @ck (the same table answer);
 * @n is ck->n, as above. */
static inline __attribute__((always_inline)) bool
dp_cache_key_same(const struct dp_cache_key *ck, const struct flow_key *a,
                  const struct flow_key *b, unsigned n)
{
    uint64_t diff = 0;

#pragma GCC unroll 12
    for (unsigned j = 0; j < n; j++)
        diff |= (dp_key_word(a, ck->idx[j]) ^ dp_key_word(b, ck->idx[j]))
                & ck->mask[j];
    return diff == 0;
}

/* ---- output (the executor's, shared with the packet path) ---- */

#define DP_PORT_BITS    256u

/* A patch port and its peer (struct dp_port.peer). */
struct dp_patch {
    uint32_t port, peer;
};

/* The switch's ports, published whole (dp_set_ports()); the patch ports
 * among them again in @patch, which an output looks a port up in. */
struct dp_port_set {
    size_t n;
    size_t n_patch;
    /* bit (port % 64) set for each patch port: most outputs of a switch
     * with patch ports go elsewhere, and one test tells them so */
    uint64_t patch_bits;
    /* bit N set for each port N below DP_PORT_BITS: an output asks
     * whether its port is one (dp_port_known()) without a walk */
    uint64_t known[DP_PORT_BITS / 64];
    bool big;                       /* a port of DP_PORT_BITS or more */
    const struct dp_patch *patch;   /* in the same allocation */
    struct dp_port ports[];
};

/* The peer of @port when it is a patch port of @set, else 0. */
static inline uint32_t
dp_patch_peer(const struct dp_port_set *set, uint32_t port)
{
    if (!(set->patch_bits >> (port % 64) & 1))
        return 0;
    for (size_t i = 0; i < set->n_patch; i++)
        if (set->patch[i].port == port)
            return set->patch[i].peer;
    return 0;
}

/* Is @port one of @set's? An output to any other is no output for Open
 * vSwitch: nothing is sent and nothing committed (its tags' net change
 * and output(max_len) still count from the output before). Every port is
 * one of an empty set or none: a caller that publishes no switch. */
static inline bool
dp_port_known(const struct dp_port_set *set, uint32_t port)
{
    if (set == NULL || set->n == 0)
        return true;
    if (port < DP_PORT_BITS)
        return set->known[port / 64] >> (port % 64) & 1;
    if (!set->big)
        return false;
    for (size_t i = 0; i < set->n; i++)
        if (set->ports[i].ofport == port)
            return true;
    return false;
}

/* Whether an output to @port under @env is a patch port's (no frame). */
static inline bool
dp_is_patch(const struct dp_actions_env *env, uint32_t port)
{
    return env->patches != NULL && dp_patch_peer(env->patches, port) != 0;
}

static inline const struct dp_vxlan_port *
dp_find_tunnel(const struct dp_actions_env *env, uint32_t port)
{
    for (size_t i = 0; i < env->n_tunnels; i++)
        if (env->tunnels[i].ofport == port)
            return &env->tunnels[i];
    return NULL;
}

/* An output happened (or, for Open vSwitch, would have): a later
 * output(max_len) counts from here, and so does a tag's net change. */
static inline void
dp_committed(struct dp_pkt *pkt)
{
    pkt->committed_len = (uint32_t)pkt->buf.len;
    pkt->committed_tci_set = false;
}

/* A copy of the packet to @port (an ordinary port): encapsulated to a
 * tunnel port, counted. Inline here so that the packet path can run a
 * list of a lone output without the executor's dispatch. @last: the
 * output ends the packet. */
static inline void
dp_output_to(const struct dp_actions_env *env, struct dp_pkt *pkt,
             uint32_t port, bool last, struct dp_act_stats *stats)
{
    const struct dp_vxlan_port *tun;
    struct dp_output out = { .port = port, .tx_port = port, .last = last,
                             .pkt = env->pkt };

    /* every port takes Ethernet only, as Open vSwitch's (legacy L2)
     * ports do: a packet without that header is not sent */
    if (pkt->packet_type != FLOW_PT_ETH)
        return;
    if (__builtin_expect(env->patches != NULL, 0)) {
        uint32_t peer = dp_patch_peer(env->patches, port);

        /* no wire: the peer's side takes a copy (Open vSwitch's
         * patch_port_output()), which is no output of this packet */
        if (peer != 0) {
            if (env->patch != NULL)
                env->patch(env->patch_ctx, pkt, peer);
            return;
        }
    }
    tun = env->tunnels ? dp_find_tunnel(env, port) : NULL;
    if (tun != NULL) {
        /* the encapsulation lives in the headroom only for this copy: the
         * packet goes on unencapsulated for the actions that follow */
        struct dp_buf outer = pkt->buf;

        if (dp_vxlan_encap(tun, &pkt->tun, &pkt->layout, &outer) < 0) {
            if (stats != NULL)
                stats->tunnel_drops++;
            return;
        }
        out.tx_port = tun->underlay_port;
        out.frame = outer.data;
        out.len = outer.len;
    } else {
        out.frame = pkt->buf.data;
        out.len = pkt->buf.len;
    }
    if (stats != NULL)
        stats->outputs++;
    env->output(env->ctx, &out);
    /* a tunnel port is one of the switch's whether or not its set
     * names it */
    if (tun != NULL || dp_port_known(env->ports, port))
        dp_committed(pkt);
}

/* One OUTPUT action to an ordinary @port: skipped to the in_port. */
static inline void
dp_output_one(const struct dp_actions_env *env, struct dp_pkt *pkt,
              uint32_t port, bool last, struct dp_act_stats *stats)
{
    if (port == pkt->in_port)
        return;
    dp_output_to(env, pkt, port, last, stats);
}

/*
 * output(port=N,max_len=M): the copy to @port is cut, the packet goes on
 * whole for the actions that follow. Byte for byte as Open vSwitch: its
 * datapath fixes how many bytes to cut (length - M) on the packet as of
 * the last output, before the VLAN tags pushed or popped since then are
 * applied, so a strip_vlan before the output makes the copy 4 bytes
 * shorter than M, a push 4 bytes longer. A copy that would be shorter
 * than an Ethernet header is not sent (Open vSwitch's is not either).
 */
static inline void
dp_output_trunc(const struct dp_actions_env *env, struct dp_pkt *pkt,
                uint32_t port, uint32_t max_len, bool last,
                struct dp_act_stats *stats)
{
    size_t len = pkt->buf.len;
    size_t base = pkt->committed_len != 0 ? pkt->committed_len : len;
    size_t cut = base > max_len ? base - max_len : 0;

    /* Open vSwitch refuses to truncate into a patch port or one that is
     * not the switch's: no output, and nothing committed */
    if (port == pkt->in_port || dp_is_patch(env, port)
        || (!dp_port_known(env->ports, port)
            && (env->tunnels == NULL || dp_find_tunnel(env, port) == NULL)))
        return;
    if (len >= cut + FLOW_TRUNC_MIN) {
        pkt->buf.len = len - cut;
        dp_output_to(env, pkt, port, last, stats);
        pkt->buf.len = len;
    }
    /* the output happened for Open vSwitch, the pop or push with it, at
     * the whole length (the copy's own output committed the cut one) */
    dp_committed(pkt);
}

/* multipath and bundle (dp_select.c): the link number multipath @a
 * picks for @pkt as it now is; the member port bundle @a (followed by
 * its FLOW_ACT_ARGS) picks, or FLOW_PORT_ANY when none is live. */
uint16_t dp_multipath_link(const struct dp_pkt *pkt,
                           const struct flow_action *a);
uint32_t dp_bundle_member(const struct dp_actions_env *env,
                          const struct dp_pkt *pkt,
                          const struct flow_action *a);

/* ---- the switch (dp_switch.c, dp_normal.c, dp_fdb.c) ---- */

struct dp_fdb;

struct dp_switch {
    struct dp_port_set *ports;              /* RCU: replaced, never edited */
    struct dp_fdb *fdb;
};

/* One per worker: its datapath's switch, and its own counters for the
 * reserved outputs, so the executor's per-call stats (struct
 * dp_act_stats) stay as small as before for flows that use none. */
struct dp_conv_q;

struct dp_sw_env {
    struct dp_switch *sw;
    struct dp_worker_stats *stats;
    struct dp_conv_q *convq;    /* the worker's (dp_conv.c); NULL: none */
};

/* An OUTPUT to reserved port @a->u.port (dp_switch.c). */
/* learn(...) @a on @pkt: the packet's key goes to env->learn (dp_learn.c). */
void dp_learn_action(const struct dp_actions_env *env,
                     const struct dp_pkt *pkt, const struct flow_action *a);
void dp_output_reserved(const struct dp_actions_env *env, struct dp_pkt *pkt,
                        const struct flow_action *a, bool last,
                        struct dp_act_stats *stats);
/* NORMAL (dp_normal.c). */
void dp_normal(const struct dp_actions_env *env, struct dp_pkt *pkt,
               bool last, struct dp_act_stats *stats);
/* The port @ofport of @set, or NULL. Inline here, a leaf: the switch's
 * reserved outputs and NORMAL both look ports up, and NORMAL is called by
 * the switch, so the lookup cannot live in either. */
static inline const struct dp_port *
dp_port_find(const struct dp_port_set *set, uint32_t ofport)
{
    for (size_t i = 0; set != NULL && i < set->n; i++)
        if (set->ports[i].ofport == ofport)
            return &set->ports[i];
    return NULL;
}

/* The learning table (dp_fdb.c). Worker side: lookup and learn are safe
 * from any number of threads at once and with the control side. */
struct dp_fdb *dp_fdb_create(void);
void dp_fdb_destroy(struct dp_fdb *fdb);
/* The port (VLAN, MAC) was last seen on, or 0 (unknown or aged out). */
uint32_t dp_fdb_lookup(struct dp_fdb *fdb, const uint8_t mac[6],
                       uint16_t vlan);
/* True when (VLAN, MAC) was already live on @port: nothing changed but
 * its age. */
bool dp_fdb_learn(struct dp_fdb *fdb, const uint8_t mac[6], uint16_t vlan,
                  uint32_t port);
/* Control side: refresh a live entry on @port; false when there is none. */
bool dp_fdb_refresh(struct dp_fdb *fdb, const uint8_t mac[6], uint16_t vlan,
                    uint32_t port);
/* The clock the table ages by, in seconds. */
uint64_t dp_fdb_now(const struct dp_fdb *fdb);

/* NORMAL's conversations (dp_conv.c): the worker's queue. */
struct dp_conv_q *dp_conv_q_create(void);
void dp_conv_q_destroy(struct dp_conv_q *q);
/* Queue @c (deduplicated: once a second per conversation) at second @now. */
void dp_conv_push(struct dp_conv_q *q, struct dp_worker_stats *stats,
                  const struct dp_conv *c, uint64_t now);
/* Control side: forget entries whose port fails @keep. */
size_t dp_fdb_forget(struct dp_fdb *fdb,
                     bool (*keep)(void *ctx, uint32_t port, uint16_t vlan),
                     void *ctx);
size_t dp_fdb_entries(const struct dp_fdb *fdb, struct dp_fdb_entry *out,
                      size_t max);
void dp_fdb_set_aging(struct dp_fdb *fdb, unsigned seconds);
unsigned dp_fdb_aging(const struct dp_fdb *fdb);
void dp_fdb_set_clock(struct dp_fdb *fdb, uint64_t (*now_s)(void *ctx),
                      void *ctx);

/* VLAN tags (dp_vlan.c, a leaf), for the executor and NORMAL's
 * per-output tags. Whether the frame has an outer 802.1Q/802.1ad tag; push
 * an outer tag @tpid with @tci when @force, else with the old outer TCI
 * (OpenFlow 1.3) or 0 (DP_ACT_DROP_NOROOM without headroom); strip the
 * outer tag if any. */
bool dp_tagged(const struct dp_pkt *pkt);
enum dp_act_result dp_tag_push(struct dp_pkt *pkt, uint16_t tpid,
                               uint16_t tci, bool force);
void dp_tag_strip(struct dp_pkt *pkt);
/* The outer tag's TCI becomes @tci (its bit 12, DEI on the wire, is not
 * OpenFlow's to write: that bit is its CFI, "tagged"). Open vSwitch
 * writes a tag's net change since the packet's last output, whole from
 * PCP and VID (DEI 0), and leaves a tag that is back to what it was then
 * untouched, DEI included; so does this. @pkt must be tagged. */
void dp_tci_write(struct dp_pkt *pkt, uint16_t tci);

/* MPLS (dp_mpls.c): push_mpls, pop_mpls, the top entry's bits under
 * @mask set to @bits (set_mpls_*), dec_mpls_ttl. */
enum dp_act_result dp_mpls_push(struct dp_pkt *pkt, uint16_t ethertype);
enum dp_act_result dp_mpls_pop(struct dp_pkt *pkt, uint16_t ethertype);
void dp_mpls_set(struct dp_pkt *pkt, uint32_t mask, uint32_t bits);
enum dp_act_result dp_mpls_dec_ttl(struct dp_pkt *pkt);
/* encap(mpls) / encap(mpls_mc) of any packet, and decap (FLOW_ACT_DECAP
 * @a) of an MPLS packet without Ethernet. */
enum dp_act_result dp_mpls_encap(struct dp_pkt *pkt, uint16_t ethertype);
enum dp_act_result dp_mpls_decap(struct dp_pkt *pkt,
                                 const struct flow_action *a);

/* Packet types (dp_ptype.c, a leaf): decap() and encap(ethernet). A
 * packet without an Ethernet header goes to no port and ignores the
 * actions on that header and its tags (no_eth()). */
enum dp_act_result dp_decap(struct dp_pkt *pkt, const struct flow_action *a);
enum dp_act_result dp_encap_eth(struct dp_pkt *pkt);

static inline bool
no_eth(const struct dp_pkt *pkt)
{
    return __builtin_expect(pkt->packet_type != FLOW_PT_ETH, 0);
}

/* OpenFlow 1.1's action set of one packet (dp_actset.c, a leaf), as
 * Open vSwitch keeps it: of strip_vlan, pop_mpls, push_mpls, push_vlan,
 * dec_ttl, dec_mpls_ttl and output the last one written, and every
 * set/load/move in the order written. Lives in the pipeline's per-call
 * state; any says whether the packet's set holds something (nothing else
 * is read before it is written again). */
enum {
    DP_AS_STRIP_VLAN, DP_AS_POP_MPLS, DP_AS_PUSH_MPLS, DP_AS_PUSH_VLAN,
    DP_AS_DEC_TTL, DP_AS_DEC_MPLS_TTL, DP_AS_OUTPUT, DP_AS_N_LAST
};
/* The sets a packet's action set keeps; one more and the set is dropped
 * (overflow: it runs nothing, docs/ovs-differences.md). Each flow's
 * write_actions holds fewer than FLOW_MAX_ACTIONS. */
#define DP_ACTSET_MAX_SETS  64u
#define DP_ACTSET_LIST_MAX  (DP_AS_N_LAST + DP_ACTSET_MAX_SETS)
struct dp_actset {
    bool any;
    bool overflow;
    uint8_t n_sets;
    const struct flow_action *last[DP_AS_N_LAST];
    const struct flow_action *sets[DP_ACTSET_MAX_SETS];
};

/* Does the packet's action set hold something (so that no output before
 * the pipeline's end is the packet's last)? */
static inline bool
dp_actset_pending(const struct dp_pkt *pkt)
{
    return pkt->actset != NULL && pkt->actset->any;
}

/* write_actions' body @body[0..@n) into the set (and the output's port
 * into meta's actset_output); clear_actions. */
void dp_actset_write(struct dp_pkt *pkt, const struct flow_action *body,
                     unsigned n);
void dp_actset_clear(struct dp_pkt *pkt);
/* The set as the list to run, in Open vSwitch's order (pops, pushes,
 * dec_ttl, dec_mpls_ttl, the sets, the output) into @out; empties the
 * set. 0 when there is nothing to run: no output in it (Open vSwitch then
 * runs none of it), or an overflow. */
unsigned dp_actset_take(struct dp_pkt *pkt,
                        struct flow_action out[DP_ACTSET_LIST_MAX]);

/* One packet's register stack (push:/pop:). Open vSwitch's grows without
 * a bound; this one holds DP_STACK_MAX values and a push past them is
 * lost (docs/ovs-differences.md). */
#define DP_STACK_MAX    32u
struct dp_stack {
    unsigned n;
    uint64_t v[DP_STACK_MAX][2];
};

/* Header rewrites with their checksums (dp_rewrite.c), shared by the
 * executor and the header subfields. @field: the byte offset in the IPv4
 * header (12 source, 16 destination) or the L4 header (0 source port or
 * ICMP type, 2 destination port or code). Each leaves a frame without
 * the header as it is. */
void dp_rw_csum16(uint8_t *sum, uint16_t old, uint16_t new);
void dp_rw_csum32(uint8_t *sum, const uint8_t old[4], const uint8_t new[4]);
void dp_rw_ipv4_addr(struct dp_pkt *pkt, size_t field, flow_be32 addr);
void dp_rw_tos(struct dp_pkt *pkt, uint8_t tos);        /* DSCP bits */
void dp_rw_ecn(struct dp_pkt *pkt, uint8_t ecn);
void dp_rw_ttl(struct dp_pkt *pkt, uint8_t ttl);
void dp_rw_icmp(struct dp_pkt *pkt, size_t field, flow_be16 port);
void dp_rw_port(struct dp_pkt *pkt, size_t field, flow_be16 port);
enum dp_act_result dp_rw_dec_ttl(struct dp_pkt *pkt);

/* Header fields as subfields (dp_hdr.c; FLOW_FIELD_IN_PORT ..
 * FLOW_FIELD_PKT_END): the whole field's value as the packet has it now
 * (as its key would read it: 0 for a header it lacks), and the bits of
 * @mask written to @v's, as the matching mod_* action writes them
 * (checksums patched; a header the frame lacks is left alone). */
void dp_hdr_get(const struct dp_pkt *pkt, unsigned field, uint64_t v[2]);
void dp_hdr_set(struct dp_pkt *pkt, unsigned field, const uint64_t v[2],
                const uint64_t mask[2]);
/* The IPv6 Neighbor Discovery fields (FLOW_FIELD_ND_TARGET, _SLL,
 * _TLL) of the same: dp_nd.c, which says what Open vSwitch's reading and
 * writing of a message's options is. */
void dp_nd_get(const struct dp_pkt *pkt, unsigned field, uint64_t v[2]);
void dp_nd_set(struct dp_pkt *pkt, unsigned field, const uint64_t v[2],
               const uint64_t mask[2]);
/* Is the packet now a Neighbor Discovery message @field belongs to (a
 * solicitation or advertisement with code 0; for nd_sll a solicitation,
 * for nd_tll an advertisement)? A move checks it, as Open vSwitch's does
 * on each packet. */
bool dp_nd_present(const struct dp_pkt *pkt, unsigned field);
/* The key's nd_target and nd_lla (struct flow_key) of the solicitation
 * or advertisement with code 0 whose ICMPv6 header is at @l4 of @frame,
 * the message ending at @end: what dp_nd_get() reads, nd_lla being
 * nd_sll in a solicitation and nd_tll in an advertisement. The
 * extractor's, for the ND messages it finds. */
void dp_nd_extract(const uint8_t *frame, size_t l4, size_t end,
                   struct flow_key *key);

#endif /* SNIC_DP_PRIV_H */
