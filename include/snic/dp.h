/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software datapath core: frame bytes in, classified, rewritten frames
 * out. Pure C, no DPDK: snicd's lcores hand it frame buffers (an mbuf's data
 * room is one), so every piece is unit-testable on plain arrays.
 *
 * What
 * ----
 * A packet's journey through the software datapath:
 *
 *   dp_vxlan_decap()    a frame from an underlay (uplink) port addressed to a
 *                       local VTEP on UDP 4789 loses its outer headers and
 *                       enters as if received on the tunnel port, with
 *                       tun_id/tun_src/tun_dst in its key;
 *   dp_extract()        frame bytes -> struct flow_key (include/snic/flow.h)
 *                       plus a struct dp_layout saying where each header is;
 *   classify            table 0 first: the highest-priority flow matching the
 *                       key, ties to the oldest flow id -- by definition the
 *                       answer of flow_table_lookup(), the linear reference;
 *   dp_actions_run()    the flow's action list, in order, on the frame as
 *                       modified so far; each OUTPUT emits the frame as it is
 *                       at that point (VXLAN-encapsulated for a tunnel port);
 *   GOTO_TABLE          re-extract the modified frame, classify in the higher
 *                       table, go on. A miss in any table drops.
 *
 * How
 * ---
 * The classifier is tuple space search: per OpenFlow table, one hash table
 * ("subtable") per distinct mask, keyed by the masked key. Within a subtable
 * flows with an identical match shadow each other, so a bucket keeps only the
 * best one. Subtables are ordered by the highest priority they hold, so a
 * lookup stops as soon as its best candidate beats every remaining
 * subtable's maximum. In front of it each worker has an exact-match cache
 * (EMC) keyed by a hash of the whole key; it also caches misses. A table
 * whose lookups are cheaper than the cache (few mask words to hash for a
 * hit) bypasses it. Workers hand over whole bursts: table 0 is looked up
 * for all of a burst's keys at once (hash all, prefetch, then probe), so
 * the cache misses of many flows overlap.
 *
 * Flows change while traffic flows, RCU-style. The classifier is a tree of
 * immutable objects: snapshot -> per-table subtable list -> subtables ->
 * rules. The control thread stages puts and deletes, and dp_commit() builds
 * a new snapshot copy-on-write at the cost of what changed: a changed
 * subtable's other copy, which no reader holds any more, is brought up to
 * date (dp_cls_wsub.h), the lists of the changed tables are rebuilt;
 * everything else is shared with the previous snapshot by reference
 * count. The snapshot is published with one
 * release store; workers read it with an acquire load. The previous one is
 * freed only after every registered worker has passed a quiescent state
 * (QSBR: workers announce, between bursts, that they hold no pointer into
 * the datapath). EMC entries carry the snapshot version they were filled
 * from, so a publish invalidates every cache without touching it.
 *
 * Per-flow counters are per worker, indexed by a flow slot, written with
 * plain (relaxed) loads and stores by their one owner -- no atomic
 * read-modify-write on the fast path -- and summed by the control thread.
 * A worker's own counters (struct dp_worker_stats) are written the same
 * way and may be read from any thread (dp_worker_stats_read()).
 * A deleted flow's slot is reused only after a grace period, once its final
 * counts have been reported.
 *
 * Tunnel metadata follows OpenFlow's set_field: SET_TUNNEL / SET_TUN_SRC /
 * SET_TUN_DST change the packet's tun_id / tun_src / tun_dst (a later table
 * matches the new values). An output to a VXLAN port encapsulates with
 * VNI = low 24 bits of tun_id; outer source = tun_src if an action set it,
 * else the port's local IP; outer destination = tun_dst if an action set it,
 * else the port's remote IP, else (flow-based port) the packet's tun_dst;
 * an output with no destination at all is dropped and counted.
 *
 * Thread-safety
 * -------------
 * One control thread owns a struct dp: every function below not listed as
 * "worker side" must be called by it, or by callers that exclude each other.
 * Those that stage, publish or reclaim require the role snic_control
 * (common/snic_tsa.h), which clang checks: a call from a function that
 * neither entered the role nor requires it does not compile.
 * Each struct dp_worker belongs to one worker thread (lcore); any number of
 * workers run concurrently with each other and with the control thread.
 * Workers never block and never take a lock: they read published snapshots
 * and write only their own EMC and counters -- and NORMAL's learning
 * table, which is built for concurrent writers (dp_fdb.c: a seqlock per
 * 4-way set, taken by compare-and-swap for a few stores, read lock-free). The control thread may block
 * (dp_synchronize(), dp_destroy()) until every online worker quiesces, so a
 * worker must call dp_worker_quiesce() regularly or go offline while idle.
 * dp_extract(), the action executor and the tunnel helpers are pure
 * functions of their arguments, safe from any thread (the executor's
 * NORMAL also learns into the switch its environment names, which any
 * number of threads may do at once).
 */
#ifndef SNIC_DP_H
#define SNIC_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snic/flow.h"
#include "snic_tsa.h"

#define DP_VXLAN_UDP_PORT       4789u
/* Outer Ethernet + IPv4 + UDP + VXLAN headers an encapsulation prepends. */
#define DP_VXLAN_OVERHEAD       50u
/* Headroom a frame buffer needs so that no action lacks room: one pushed
 * VLAN tag per action at most, plus an encapsulation. */
#define DP_HEADROOM_MIN         (DP_VXLAN_OVERHEAD + 4u * FLOW_MAX_ACTIONS)

/* ------------------------------------------------------------------------
 * Frames and header extraction (dp_extract.c) -- pure, any thread
 * ------------------------------------------------------------------------ */

/* A frame in a buffer: data[0..len) is the frame; headroom bytes before
 * data may be written (VLAN push, encapsulation). */
struct dp_buf {
    uint8_t *data;
    size_t len;
    size_t headroom;
};

#define DP_L_VLAN   0x01u   /* an outer 802.1Q/802.1ad tag at offset 12 */
#define DP_L_IPV4   0x02u   /* a complete IPv4 header at l3_ofs */
#define DP_L_IPV6   0x04u   /* a complete fixed IPv6 header at l3_ofs */
#define DP_L_ARP    0x08u   /* a complete Ethernet/IPv4 ARP body at l3_ofs */
#define DP_L_FRAG   0x10u   /* IPv4 fragment (first or later): no ports */
#define DP_L_L4     0x20u   /* a complete TCP/UDP/SCTP/ICMP(v6) header at
                             * l4_ofs (nw_proto says which); also set for a
                             * first fragment, whose checksum still needs
                             * fixing when addresses change */
#define DP_L_IP_BAD 0x40u   /* dl_type IPv4/IPv6 but the header unusable
                             * (cut short, inconsistent lengths, an IPv6
                             * extension header that does not fit): no IP
                             * field is read, and its TTL counts as 0 */

/* Where the headers of a frame are. Offsets from the frame start. */
struct dp_layout {
    uint16_t l3_ofs;        /* after Ethernet and the outer tag */
    uint16_t l4_ofs;        /* valid with DP_L_L4 */
    uint16_t l4_end;        /* end of the IP payload, bounded by the frame */
    uint8_t nw_proto;       /* IP protocol / IPv6 next header */
    uint8_t flags;          /* DP_L_* */
};

/*
 * Fill @key from the frame (and @layout, if not NULL). Metadata: in_port is
 * set to @in_port; tun_* are zeroed (the caller adds a decapsulated packet's
 * tunnel metadata). Never reads outside frame[0..len). A header cut short
 * counts as absent: its fields and all that follow it are zero, while the
 * fields of the complete headers before it are kept (a truncated IPv4
 * header leaves dl_type 0x0800 and nw_* zero). What counts as whole and
 * consistent follows Open vSwitch (docs/datapath.md): IP lengths beyond
 * the frame make the IP header absent, IPv6 extension headers are skipped
 * to the upper-layer header, an LLC frame has dl_type 0x05ff unless its
 * SNAP header carries an EtherType. Fragments carry no ports. Returns 0,
 * or -EINVAL for a frame shorter than an Ethernet header (the key then
 * holds in_port only).
 */
int dp_extract(const uint8_t *frame, size_t len, uint32_t in_port,
               struct flow_key *key, struct dp_layout *layout);

/* ------------------------------------------------------------------------
 * VXLAN tunnel ports (dp_tunnel.c) -- pure, any thread
 * ------------------------------------------------------------------------ */

struct dp_vxlan_port {
    uint32_t ofport;        /* the tunnel port's OpenFlow number */
    uint32_t underlay_port; /* port that carries the encapsulated frames */
    flow_be32 local_ip;     /* local VTEP */
    flow_be32 remote_ip;    /* 0: flow-based (the destination is tun_dst) */
    uint8_t local_mac[6];   /* outer source MAC */
    uint8_t remote_mac[6];  /* outer destination MAC (the next hop) */
};

/* Tunnel metadata of a packet, in network order like struct flow_key. */
#define DP_TUN_SET_SRC  0x1u    /* tun_src was set by an action */
#define DP_TUN_SET_DST  0x2u    /* tun_dst was set by an action */
struct dp_tun_md {
    flow_be64 tun_id;
    flow_be32 tun_src;
    flow_be32 tun_dst;
    uint32_t set;           /* DP_TUN_SET_* */
};

/*
 * If @buf, received on @in_port, is a VXLAN frame for one of @ports (same
 * underlay port, outer IPv4 destination = local_ip, not a fragment, UDP
 * destination 4789, and outer source = remote_ip unless the port is
 * flow-based; an exact remote wins over a flow-based port), strip the outer
 * headers in place (data moves forward, headroom grows), fill @md and
 * *@tun_port and return 1. Return 0 when the frame is not for a tunnel
 * (untouched), -EINVAL when it is but is malformed (no I flag, inner frame
 * shorter than Ethernet): the caller drops it. @key/@lay are the frame's
 * own dp_extract() result.
 */
int dp_vxlan_decap(const struct dp_vxlan_port *ports, size_t n_ports,
                   const struct flow_key *key, const struct dp_layout *lay,
                   struct dp_buf *buf, struct dp_tun_md *md,
                   uint32_t *tun_port);

/*
 * Prepend outer Ethernet/IPv4/UDP/VXLAN headers for @port in @buf's
 * headroom (addresses as described under "Tunnel metadata" above; TTL 64,
 * DF, UDP checksum 0, UDP source port from a hash of the inner flow so
 * ECMP spreads flows). @lay is the inner frame's layout. Returns 0,
 * -ENOSPC without DP_VXLAN_OVERHEAD bytes of headroom, or -EHOSTUNREACH
 * when no outer destination is known. @buf is unchanged on failure.
 */
int dp_vxlan_encap(const struct dp_vxlan_port *port,
                   const struct dp_tun_md *md, const struct dp_layout *lay,
                   struct dp_buf *buf);

/* The UDP source port dp_vxlan_encap() uses for this inner frame
 * (host order, 49152..65535). */
uint16_t dp_vxlan_src_port(const struct dp_buf *buf,
                           const struct dp_layout *lay);

/* ------------------------------------------------------------------------
 * Actions (dp_actions.c) -- pure, any thread
 * ------------------------------------------------------------------------ */

struct dp_output {
    uint32_t port;          /* the OUTPUT action's port; for IN_PORT, ALL,
                             * FLOOD and NORMAL the port each copy goes to;
                             * FLOW_PORT_CONTROLLER or FLOW_PORT_LOCAL for
                             * those (the caller delivers them) */
    uint32_t tx_port;       /* where to send: port itself, or the tunnel
                             * port's underlay port (frame encapsulated) */
    const uint8_t *frame;   /* valid only during the callback: copy it */
    size_t len;             /* CONTROLLER: at most the action's max_len */
    /* The packet's last output: the datapath will neither touch the
     * frame's buffer nor emit anything more for this packet, so the
     * callee may take the buffer itself instead of copying (the frame
     * may sit anywhere in it: headroom used, tags gone). */
    bool last;
    /* Which packet: its index in the burst given to
     * dp_worker_process_burst(); 0 from the one-packet calls. */
    unsigned pkt;
    /* CONTROLLER and LOCAL outputs only (else 0): the port the packet
     * came in on, which the caller may want to tell the control plane */
    uint32_t in_port;
};

typedef void dp_output_fn(void *ctx, const struct dp_output *out);

/*
 * Packets @first .. @first + @n - 1 of the burst given to
 * dp_worker_process_burst_fwd() each go to @port as they came, their only
 * and last output: the frames in their bufs[] untouched, @port no tunnel,
 * no patch port and no reserved port. The same as @n dp_output_fn calls
 * with .port = .tx_port = @port, .last = true, .pkt = @first + i and the
 * frame of bufs[@first + i], in one call: a burst that a port-only table
 * or a train of frames that read alike decides (docs/datapath.md, "Fast
 * paths") costs the caller one call, not one per packet.
 */
typedef void dp_forward_fn(void *ctx, uint32_t port, unsigned first,
                           unsigned n);

/* What ALL, FLOOD, NORMAL and CONTROLLER need beyond the action list
 * (dp_switch.c): the datapath's ports and NORMAL's learning table, and
 * the worker's counters for them. */
struct dp_sw_env;
struct dp_port_set;
struct dp_actset;
struct dp_stack;

/* A packet being processed: the frame, where its headers are, and its
 * metadata. The executor keeps layout right as tags come and go. */
struct dp_pkt {
    struct dp_buf buf;
    struct dp_layout layout;
    uint32_t in_port;
    /* FLOW_PT_ETH, or after decap() FLOW_PT(1, EtherType): the frame then
     * starts at that header (host order) */
    uint32_t packet_type;
    struct dp_tun_md tun;
    /* Registers and metadata: the packet's key's, so the lookups that
     * follow (goto_table, resubmit) see what LOAD/MOVE wrote. NULL: the
     * actions that use them do nothing. */
    struct flow_meta *meta;
    /* buf.len as of the last output (as received before any; 0: the
     * current length): where Open vSwitch's datapath has the packet, for
     * output(port=N,max_len=M) (dp_output_trunc()) */
    uint32_t committed_len;
    /* The VLAN tags as of the last output, when @committed_tci_set (taken
     * by the first action after that output that pushes, strips or
     * writes a tag): how many, and the outer one's TCI, DEI included. An
     * outer tag written back to it is left as it was (dp_tci_write()). */
    uint16_t committed_tci;
    uint8_t committed_tags;
    bool committed_tci_set;
    /* OpenFlow 1.1's action set (write_actions, clear_actions), which the
     * pipeline runs when the packet's tables end (dp_actset.c). NULL:
     * write_actions and clear_actions do nothing (a caller without a
     * pipeline). */
    struct dp_actset *actset;
    /* Open vSwitch's register stack (push, pop). NULL: push and pop do
     * nothing. */
    struct dp_stack *stack;
};

/* learn(...) (FLOW_ACT_LEARN @a and its specs) or fin_timeout
 * (FLOW_ACT_FIN_TIMEOUT) of flow @flow_id ran on a packet whose key, as
 * the actions before it left it, is @key. Returns 1 when the packet
 * learned its flow (it will be added or refreshed), 0 when it did not
 * (limit=N reached, no room to queue it), negative when there is no
 * answer (fin_timeout, a flow learn could not make): what learn's
 * result_dst= writes into the packet. */
typedef int dp_learn_fn(void *ctx, const struct flow_action *a,
                        const struct flow_key *key, uint64_t flow_id);

struct dp_actions_env {
    dp_output_fn *output;
    void *ctx;
    /* NULL: learn does nothing (a check run, or a caller without a flow
     * table); the pipeline queues the flow for the control thread */
    dp_learn_fn *learn;
    void *learn_ctx;
    /* the flow whose actions run (fin_timeout's, NORMAL's
     * conversations'); 0: not known (a flow the hardware matched that
     * the caller did not name), fin_timeout then does nothing */
    uint64_t flow_id;
    /* the list running is a flow's NORMAL alone, at the top of the
     * packet's tables (no resubmit, no action set after it): NORMAL
     * queues its known unicast conversations (dp_conv_drain()) */
    bool whole_normal;
    const struct dp_vxlan_port *tunnels;    /* may be NULL */
    size_t n_tunnels;
    unsigned pkt;           /* copied into each dp_output */
    /* NULL: ALL, FLOOD and NORMAL send nothing */
    const struct dp_sw_env *sw;
    /* The list runs inside a resubmit: its last action does not end the
     * packet (so no output of it is the packet's last). */
    bool nested;
    /* ct(...): the packet path's tracker and recirculation, with @last
     * when nothing runs after it (NULL: ct only leaves the packet's ct_*
     * fields zero, as after any ct without table=). */
    void (*ct)(void *ct_ctx, struct dp_pkt *pkt, const struct flow_action *a,
               bool last);
    void *ct_ctx;
    /* resubmit(...) @a inside a clone's body: the packet path's lookup,
     * which runs what it finds (its tables' resubmits and limits as for
     * any resubmit) and returns; false when the packet's actions end
     * there (an exit ran, or Open vSwitch's resubmit limits were passed).
     * NULL: such a resubmit does nothing (a caller without tables). A
     * resubmit outside a clone stops the executor instead
     * (DP_ACT_RESUBMIT, dp_actions_run_from()). */
    bool (*resubmit)(void *resubmit_ctx, struct dp_pkt *pkt,
                     const struct flow_action *a);
    void *resubmit_ctx;
    /* The switch's ports when some are patch ports (dp_set_ports(): a
     * port with a peer), else NULL. An output to a patch port is no
     * frame: @patch runs a copy of the packet through the switch again
     * from the peer (the packet path's; NULL: the output sends nothing,
     * as from a caller without tables). */
    const struct dp_port_set *patches;
    void (*patch)(void *patch_ctx, struct dp_pkt *pkt, uint32_t peer);
    void *patch_ctx;
    /* The switch's ports (dp_set_ports()); NULL: every port is one. An
     * output to a port that is not one still goes to @output, which
     * drops it, but commits nothing, as in Open vSwitch (a later write of
     * a tag back to its value keeps its DEI, a later output(max_len)
     * counts from the output before); output(max_len) to one is refused
     * (a tunnel port is always one). */
    const struct dp_port_set *ports;
};

enum dp_act_result {
    DP_ACT_DONE,            /* list finished (possibly after outputs) */
    DP_ACT_GOTO,            /* continue in *goto_table */
    DP_ACT_DROP_TTL,        /* DEC_TTL on TTL / hop limit 0 or 1 */
    DP_ACT_DROP_NOROOM,     /* a push found no headroom */
    DP_ACT_RESUBMIT,        /* stopped at a RESUBMIT (dp_actions_run_from) */
    DP_ACT_STOP,            /* the list ends here, its outputs so far
                             * stand (dec_mpls_ttl on a packet that is not
                             * MPLS) */
    DP_ACT_FAIL,            /* Open vSwitch's translation fails: the packet
                             * is dropped whole, none of its outputs leave
                             * (an MPLS stack too deep to push or pop) */
    DP_ACT_EXIT,            /* exit: the packet's actions end here, its
                             * outputs so far stand; the caller runs no
                             * more of them (not the lists of the
                             * resubmits it is in, not later tables, not
                             * its action set, as in Open vSwitch) */
};

/* Counters of the executor's soft failures, for the datapath's stats. */
struct dp_act_stats {
    uint64_t tunnel_drops;  /* output to a tunnel port without a route or
                             * headroom */
    uint64_t outputs;       /* frames handed to env->output */
};

/*
 * Run @acts on @pkt. Rewrites update the IPv4 header checksum and the
 * TCP/UDP checksums incrementally (RFC 1624; a zero UDP checksum stays zero,
 * under IPv6 too; SCTP's CRC32c is patched the same way, so a wrong one
 * stays wrong); a rewrite of a header the frame lacks, or to the value it
 * has, is skipped. An OUTPUT to @pkt->in_port is skipped (IN_PORT sends
 * there); the reserved ports behave as flow.h says. Actions after a drop
 * do not run; outputs before it have been emitted. @stats may be NULL.
 */
enum dp_act_result dp_actions_run(const struct dp_actions_env *env,
                                  struct dp_pkt *pkt,
                                  const struct flow_action *acts,
                                  unsigned n_acts, uint8_t *goto_table,
                                  struct dp_act_stats *stats);

/*
 * dp_actions_run() from action *@at on. A RESUBMIT needs a classifier: the
 * executor stops there with DP_ACT_RESUBMIT and *@at its index; the caller
 * looks the table up, runs what it finds, and calls again from *@at + 1.
 * (dp_actions_run() returns DP_ACT_RESUBMIT the same way.) LOAD, MOVE and
 * OUTPUT_REG work on pkt->meta.
 */
enum dp_act_result dp_actions_run_from(const struct dp_actions_env *env,
                                       struct dp_pkt *pkt,
                                       const struct flow_action *acts,
                                       unsigned n_acts, unsigned *at,
                                       uint8_t *goto_table,
                                       struct dp_act_stats *stats);

/* Internet checksum helpers (RFC 1071 / RFC 1624), exported for tests:
 * the one's complement sum folded and complemented, over @size bytes. */
uint16_t dp_csum(const void *data, size_t size, uint32_t initial);
/* CRC32c (Castagnoli) as SCTP uses it. */
uint32_t dp_crc32c(const void *data, size_t size);

/* ------------------------------------------------------------------------
 * Classifier snapshots (dp_classifier.c)
 * ------------------------------------------------------------------------ */

/* A published flow. Immutable once published; shared between snapshots.
 * Laid out for the worker: what it reads after a lookup (slot, actions)
 * starts on one cache line. The match, which only the writer reads (the
 * subtables hold the masked values themselves), follows the actions in
 * the same allocation, as the subtable's slots keep it: the values of the
 * words of struct flow_key its mask does not zero, in word order, and not
 * the mask, which is its subtable's (a five-tuple flow keeps 32 bytes,
 * not the 416 of a whole struct flow_match). A clause flow of a
 * conjunctive match, which the packet path tests against a key outside
 * its subtable, keeps its masks and their word map after the values. */
struct dp_rule {
    uint64_t id;            /* the flow table's id */
    uint32_t slot;          /* counter index, stable across modifications */
    uint32_t refcnt;        /* classifier writer only */
    uint16_t priority;
    uint8_t table_id;
    uint8_t n_actions;
    /* the list is one OUTPUT to an ordinary port: the packet path sends
     * it without the executor */
    uint8_t lone_output;
    uint8_t n_match_words;  /* words the mask does not zero */
    /* the list is NORMAL alone: its known unicast conversations may go
     * to the card (dp_conv_drain()) */
    uint8_t whole_normal;
    uint8_t pad[1];
    struct flow_action actions[];
};

struct dp_cls;
struct dp_cls_snap;
struct dp_qsbr;

/* RCU-protected, may run concurrently with the writer: @snap must come
 * from dp_cls_snap_get() by a worker that has not quiesced since. */
const struct dp_rule *dp_cls_lookup(const struct dp_cls_snap *snap,
                                    unsigned table_id,
                                    const struct flow_key *key);
/* The most keys one burst call takes. */
#define DP_BURST_MAX    64u
/* dp_cls_lookup() of @n keys at once (best up to DP_BURST_MAX; more are
 * done in parts): rules[i] is the answer for keys[i]. Faster per key than one at a time: the
 * subtables are walked once, and the memory accesses of the keys overlap
 * (hash all, prefetch, then probe). Returns what the lookups cost, in
 * probed words: for each subtable a key was hashed and probed in, the
 * mask's non-zero words plus one; one for a subtable whose filter turned
 * the key away or whose single rule it reached without a hash (the
 * workers weigh their exact-match cache against it). */
unsigned dp_cls_lookup_burst(const struct dp_cls_snap *snap, unsigned table_id,
                         const struct flow_key *keys, unsigned n,
                         const struct dp_rule **rules);
uint64_t dp_cls_snap_version(const struct dp_cls_snap *snap);
const struct dp_cls_snap *dp_cls_snap_get(const struct dp_cls *cls);
/* 64-bit hash of a whole key. */
uint64_t dp_key_hash(const struct flow_key *key);

/* Writer side (one thread, or callers exclude each other). */
struct dp_cls *dp_cls_create(struct dp_qsbr *qsbr);
void dp_cls_destroy(struct dp_cls *cls);    /* waits for a grace period */
/* Stage flow @id (a new one, or a change of an existing one) with counter
 * @slot. 0, -EINVAL (table, priority or action count out of range) or
 * -ENOMEM; nothing is staged on failure. */
int dp_cls_put(struct dp_cls *cls, uint64_t id, const struct flow *f,
               uint32_t slot);
/* Stage the removal of @id: its slot (>= 0), or -ENOENT. */
int64_t dp_cls_del(struct dp_cls *cls, uint64_t id);
/* Stage the removal of every flow of table @table_id (FLOW_TABLE_ALL: of
 * every table) at once: its (table, mask) groups are dropped whole, so
 * the next publish gives the table an empty ctable (the snapshots still
 * holding the old subtables keep them). @fn hears each flow's id and
 * slot. The number removed; cannot fail. */
size_t dp_cls_clear(struct dp_cls *cls, unsigned table_id,
                    void (*fn)(void *ctx, uint64_t id, uint32_t slot),
                    void *ctx);
/* The slot of a staged or published @id, or -ENOENT. */
int64_t dp_cls_slot(const struct dp_cls *cls, uint64_t id);
/* Publish what was staged (a no-op without changes). The old snapshot is
 * freed after a grace period, by dp_qsbr_poll(). 0 or -ENOMEM (then
 * nothing is published and the staged changes stay staged). */
int dp_cls_publish(struct dp_cls *cls);
size_t dp_cls_count(const struct dp_cls *cls);  /* staged view */
/* Subtables in the published snapshot (all tables), for tests/benchmarks. */
size_t dp_cls_n_subtables(const struct dp_cls *cls);
/* Work publishing did so far, for tests and benchmarks: subtable copies
 * built whole (a new mask, a subtable that grew or shrank, a spare a
 * reader still held) and spares brought up to date by redoing only the
 * groups that changed (dp_cls_wsub.h). */
struct dp_cls_stats {
    uint64_t copies_built;
    uint64_t copies_synced;
    /* tables whose clause flows (conjunction actions) were gathered and
     * sorted again: a publish shares them unless a list of identical
     * matches holding one changed */
    uint64_t conj_gathered;
};
void dp_cls_get_stats(const struct dp_cls *cls, struct dp_cls_stats *st);
/* What the classifier's flows hold, by structure (bytes asked of the
 * allocator, its own overhead not counted), for benchmarks and tests:
 * where the memory per flow goes. O(flows + subtables). */
struct dp_cls_mem {
    size_t flows;
    size_t rule_bytes;      /* the staged flows' rules (line-rounded) */
    size_t wflow_bytes;     /* the writer's record of each flow */
    size_t index_bytes;     /* bucket arrays (flows by id, groups,
                             * priorities), per-subtable flow arrays,
                             * keys waiting for the next publish */
    size_t pub_bytes;       /* the published copies' slots */
    size_t spare_bytes;     /* the spare copies' slots (dp_cls_wsub.h) */
};
void dp_cls_get_mem(const struct dp_cls *cls, struct dp_cls_mem *m);

/* ------------------------------------------------------------------------
 * QSBR (dp_qsbr.c): quiescent-state-based reclamation
 * ------------------------------------------------------------------------ */

#define DP_QSBR_MAX_READERS     64u

struct dp_qsbr_reader;

/* Writer side. */
struct dp_qsbr *dp_qsbr_create(void);
void dp_qsbr_destroy(struct dp_qsbr *q);    /* runs every pending callback */
/* Call @fn(@arg) once every reader has quiesced after this call. */
int dp_qsbr_defer(struct dp_qsbr *q, void (*fn)(void *arg), void *arg);
/* Run the callbacks whose grace period has ended; returns how many. */
size_t dp_qsbr_poll(struct dp_qsbr *q);
/* Wait (sleeping, not spinning hot) until all callbacks deferred so far
 * have run. Online readers must keep quiescing. */
void dp_qsbr_barrier(struct dp_qsbr *q);
/* Wait for a grace period that starts now (callbacks are not run). */
void dp_qsbr_synchronize(struct dp_qsbr *q);
/* Register / unregister a reader. The reader starts offline. */
struct dp_qsbr_reader *dp_qsbr_register(struct dp_qsbr *q);
void dp_qsbr_unregister(struct dp_qsbr_reader *r);

/* Reader side (the reader's own thread). */
void dp_qsbr_quiescent(struct dp_qsbr_reader *r);
void dp_qsbr_online(struct dp_qsbr_reader *r);
void dp_qsbr_offline(struct dp_qsbr_reader *r);

/* ------------------------------------------------------------------------
 * The datapath (dp_pipeline.c)
 * ------------------------------------------------------------------------ */

struct dp;
struct dp_worker;

/* Final counters of a deleted flow, reported by the control thread when its
 * slot is reclaimed (from dp_commit(), dp_poll() or dp_destroy()). */
typedef void dp_retired_fn(void *ctx, uint64_t id, uint64_t n_packets,
                           uint64_t n_bytes);

/* Control thread. NULL and errno on failure. @fn may be NULL. */
struct dp *dp_create(dp_retired_fn *fn, void *ctx);
/* Workers must be destroyed first. */
void dp_destroy(struct dp *dp)
    SNIC_REQUIRES(snic_control);

/* Stage a flow (add, or change of the flow with the same @id) or its
 * removal; dp_commit() publishes the batch. 0 or negative errno. */
int dp_flow_put(struct dp *dp, uint64_t id, const struct flow *f)
    SNIC_REQUIRES(snic_control);
int dp_flow_del(struct dp *dp, uint64_t id)
    SNIC_REQUIRES(snic_control);
/* Every flow of table @table_id (FLOW_TABLE_ALL: of every table) staged
 * for removal at once (dp_cls_clear); their counter slots come back one
 * grace period after dp_commit() publishes, as a deleted flow's do. */
int dp_flow_clear(struct dp *dp, unsigned table_id)
    SNIC_REQUIRES(snic_control);
int dp_commit(struct dp *dp)
    SNIC_REQUIRES(snic_control);
/* A flow_change_fn feeding a struct dp (ctx) from a struct flow_table;
 * an allocation failure is remembered and returned by the next
 * dp_commit(). The caller still commits. */
void dp_flow_table_listener(void *ctx, enum flow_change_kind kind,
                            const struct flow_entry *e,
                            enum flow_removed_reason reason)
    SNIC_REQUIRES(snic_control);
/* Replace the set of VXLAN ports (published like flows). */
int dp_set_vxlan_ports(struct dp *dp, const struct dp_vxlan_port *ports,
                       size_t n)
    SNIC_REQUIRES(snic_control);

/* ---- the switch's ports, the reserved outputs and NORMAL ----
 *
 * ALL sends a copy to every port of the set but the ingress one, FLOOD to
 * those of them not flagged DP_PORT_NO_FLOOD, IN_PORT back to the ingress
 * port. NORMAL is Open vSwitch's L2 learning switch (docs/datapath.md,
 * "NORMAL"): each port is an access port of one VLAN or a trunk of a set
 * of VLANs; the source MAC is learned per (VLAN, MAC) with an ingress port
 * and ages out; a known unicast destination goes to its port, anything
 * else floods the VLAN; never back out of the ingress port; tags are
 * pushed and popped as the output port's mode says. */
enum dp_vlan_mode {
    DP_VLAN_TRUNK = 0,          /* the frame's own VLAN, 0 when untagged */
    DP_VLAN_ACCESS,             /* untagged frames only, in VLAN @tag */
    DP_VLAN_NATIVE_TAGGED,      /* a trunk; untagged frames are in @tag */
    DP_VLAN_NATIVE_UNTAGGED,    /* the same, and VLAN @tag leaves untagged */
};

#define DP_PORT_NO_FLOOD    0x1u    /* FLOOD and NORMAL's floods skip it */
/* its link is down: bundle(...) does not pick it (a member is live when
 * its port is in the set and up, as Open vSwitch asks may_enable) */
#define DP_PORT_DOWN        0x2u
#define DP_VLAN_WORDS       (4096u / 64u)
#define DP_MAX_SWITCH_PORTS 256u

struct dp_port {
    uint32_t ofport;
    uint32_t flags;             /* DP_PORT_* */
    uint16_t vlan_mode;         /* enum dp_vlan_mode */
    uint16_t tag;               /* access and native modes: the VLAN */
    /* trunk and native modes: false, every VLAN; true: the VLANs in
     * @trunks (the native modes add @tag and drop VLAN 0, as Open vSwitch
     * does) */
    uint32_t has_trunks;
    /* A patch port (Open vSwitch's type=patch): the OpenFlow number of
     * its peer, another port of the set whose peer it is; 0: an ordinary
     * port. A patch port has no wire: an output to it (directly, or by
     * IN_PORT, ALL, FLOOD, NORMAL...) hands a copy of the packet, as the
     * actions so far left it, to table 0 as received on the peer, with
     * Open vSwitch's patch_port_output() semantics (docs/datapath.md,
     * "Patch ports"); afterwards the packet goes on as it was. */
    uint32_t peer;
    uint64_t trunks[DP_VLAN_WORDS];
};

/* Replace the switch's ports (published like flows; at most
 * DP_MAX_SWITCH_PORTS, each ofport once; a patch port's peer in the set,
 * its peer's peer the port itself). NORMAL's learned entries whose port
 * is gone or changed its VLAN configuration are forgotten. 0, -EINVAL,
 * -ENOMEM. */
int dp_set_ports(struct dp *dp, const struct dp_port *ports, size_t n)
    SNIC_REQUIRES(snic_control);

/* NORMAL's learning table (dp_fdb.c): DP_FDB_SIZE entries, 4-way
 * set-associative by (VLAN, MAC); when a set is full the entry used
 * longest ago gives way. */
#define DP_FDB_SIZE             8192u
#define DP_FDB_AGING_DEFAULT    300u    /* seconds, as Open vSwitch */

struct dp_fdb_entry {
    uint8_t mac[6];
    uint16_t vlan;
    uint32_t port;
    uint32_t age;               /* seconds since last seen */
};

/* Entries idle for @seconds (1..86400) are forgotten. -EINVAL. */
int dp_set_mac_aging(struct dp *dp, unsigned seconds)
    SNIC_REQUIRES(snic_control);
unsigned dp_mac_aging(const struct dp *dp);
/* The switch's TLV map (NULL: none): packets that enter from now on carry
 * tun_metadata in its layout (flow_tun_md.c). Flows that use an option
 * are fitted to the same map (flow_tun_md_check()) before dp_flow_put(). */
void dp_set_tlv_map(struct dp *dp, const struct flow_tlv_map *map)
    SNIC_REQUIRES(snic_control);
/* The live entries, at most @max of them into @out (may be NULL);
 * returns how many there are. Safe while workers learn. */
size_t dp_fdb_dump(const struct dp *dp, struct dp_fdb_entry *out,
                   size_t max);
/* Forget every entry (port 0: all ports); returns how many. */
size_t dp_fdb_flush(struct dp *dp, uint32_t port)
    SNIC_REQUIRES(snic_control);
/* The clock NORMAL learns and ages by, in seconds (tests control time);
 * NULL: CLOCK_MONOTONIC. Set before the workers run. */
void dp_set_clock(struct dp *dp, uint64_t (*now_s)(void *ctx), void *ctx);
/* Connection tracking (dp_conntrack.c): the table the ct(...) action
 * looks packets up in and commits them to, per zone, both directions of a
 * connection in one entry (docs/datapath.md, "Connection tracking").
 * Bounded: DP_CT_LIMIT_DEFAULT entries unless set otherwise; a commit to
 * a full table leaves the packet +new and creates nothing, as Open
 * vSwitch does. Expired entries count as absent. */
#define DP_CT_LIMIT_DEFAULT     65536u

/* enum values of dp_ct_entry.state for TCP (per direction, Open vSwitch's
 * numbering) */
enum dp_ct_tcp_state {
    DP_CT_TCP_CLOSED, DP_CT_TCP_LISTEN, DP_CT_TCP_SYN_SENT,
    DP_CT_TCP_SYN_RECV, DP_CT_TCP_ESTABLISHED, DP_CT_TCP_CLOSE_WAIT,
    DP_CT_TCP_FIN_WAIT_1, DP_CT_TCP_CLOSING, DP_CT_TCP_LAST_ACK,
    DP_CT_TCP_FIN_WAIT_2, DP_CT_TCP_TIME_WAIT,
};

struct dp_ct_entry {
    uint16_t zone;
    uint16_t dl_type;           /* host order: 0x0800 or 0x86dd */
    uint8_t proto;
    uint8_t state[2];           /* TCP: the original and the reply side's
                                 * dp_ct_tcp_state; ICMP and others: 0 first
                                 * packet(s) only, 1 several, 2 answered */
    uint8_t icmp_type;          /* ICMP echo & co: the original's type */
    uint8_t src[16], dst[16];   /* original direction; IPv4 in 4 bytes */
    uint16_t sport, dport;      /* host order; ICMP: the id, twice */
    uint32_t mark;
    uint64_t label[2];          /* [0] low bits */
    uint32_t expires;           /* seconds from now */
};

/* Entries at most @max (0: DP_CT_LIMIT_DEFAULT); those beyond stay until
 * they expire. */
void dp_conntrack_set_limit(struct dp *dp, size_t max)
    SNIC_REQUIRES(snic_control);
size_t dp_conntrack_limit(const struct dp *dp);
/* The live entries (all zones, or @zone when >= 0), at most @max into
 * @out (may be NULL); returns how many there are. Safe while workers
 * track. */
size_t dp_conntrack_dump(struct dp *dp, int zone, struct dp_ct_entry *out,
                         size_t max);
/* Forget the entries of @zone (-1: all); returns how many. */
size_t dp_conntrack_flush(struct dp *dp, int zone)
    SNIC_REQUIRES(snic_control);

/* Software counters of a published flow summed over all workers. */
int dp_flow_stats(const struct dp *dp, uint64_t id, uint64_t *n_packets,
                  uint64_t *n_bytes);
/* The counter slot of flow @id (staged or published), or -ENOENT. A flow
 * keeps its slot from its first dp_flow_put() to its dp_flow_del(): a
 * caller that notes it after each put reads the same counters as
 * dp_flow_stats() with dp_slot_stats(), without the lookup by id. */
int64_t dp_flow_slot(const struct dp *dp, uint64_t id)
    SNIC_REQUIRES(snic_control);
void dp_slot_stats(const struct dp *dp, uint32_t slot, uint64_t *n_packets,
                   uint64_t *n_bytes);
/* Reclaim what the grace periods allow; returns how many objects. */
size_t dp_poll(struct dp *dp)
    SNIC_REQUIRES(snic_control);
/* Call @fn(@arg) from dp_poll() (or a later control-thread call) once
 * every worker has quiesced: lets the caller publish its own RCU-style data
 * to the workers (snicd's mark table). 0 or -ENOMEM. */
int dp_defer(struct dp *dp, void (*fn)(void *arg), void *arg)
    SNIC_REQUIRES(snic_control);
/* Wait until everything retired so far is reclaimed. */
void dp_synchronize(struct dp *dp)
    SNIC_REQUIRES(snic_control);
const struct dp_cls *dp_classifier(const struct dp *dp);

/* A worker's counters. Only the worker writes them, each a single-writer
 * counter (common/snic_counter.h); every field is a uint64_t. */
struct dp_worker_stats {
    uint64_t packets;       /* frames given to dp_worker_process() */
    uint64_t emc_hits;
    uint64_t misses;        /* table misses (drops) */
    uint64_t ttl_drops;
    uint64_t noroom_drops;
    uint64_t tunnel_drops;  /* bad VXLAN, or tunnel output without route */
    uint64_t outputs;
    uint64_t controller;    /* outputs to CONTROLLER */
    uint64_t normal_drops;  /* NORMAL sent a packet nowhere: its VLAN not
                             * allowed on the ingress port, a reserved
                             * destination MAC, learned on the ingress
                             * port, or an ingress port not in the switch */
    uint64_t resubmit_drops;    /* past Open vSwitch's resubmit limits */
    uint64_t learns;        /* learned flows queued for the control thread */
    uint64_t learn_dups;    /* the same flow already queued: not again */
    uint64_t learn_drops;   /* queue full, or a flow learn could not make
                             * (more than FLOW_MAX_ACTIONS actions) */
    uint64_t learn_limited; /* not learned: the learn's limit=N reached
                             * (the ledger, below) */
    uint64_t port_decided;  /* packets table 0 classified by their in_port
                             * alone (a table whose flows look at nothing
                             * else: docs/datapath.md, "Fast paths") */
    uint64_t ct_packets;        /* packets through ct() */
    uint64_t ct_invalid;        /* of which marked +inv */
    uint64_t ct_full;           /* commits refused: the table was full */
    uint64_t recirc_drops;      /* past the recirculation depth limit */
    uint64_t mpls_drops;    /* dropped whole: a push_mpls or pop_mpls
                             * on a stack deeper than Open vSwitch
                             * tracks (3 entries) */
    uint64_t l2_decided;    /* packets table 0 classified from in_port and
                             * their Ethernet header alone (a table whose
                             * flows look at nothing else) */
    uint64_t train_decided; /* packets table 0 classified as the one
                             * before them in their burst, their headers
                             * compared, not read (docs/datapath.md,
                             * "Fast paths": trains) */
    uint64_t frame_hits;    /* packets table 0 classified from the
                             * frame cache: by their header bytes, not
                             * read ("Fast paths": the frame cache) */
    uint64_t normal_convs;  /* NORMAL's known unicast conversations
                             * queued for the card (dp_conv_drain()) */
    uint64_t normal_conv_drops; /* not queued: the ring was full */
};

/*
 * learn(...): the datapath cannot change its own flow table (the control
 * thread owns it, and a worker never blocks), so each worker queues the
 * flows its learn actions make in a ring of its own (single producer,
 * single consumer: no lock, no atomic read-modify-write), and the control
 * thread adds them to the flow table, where they are dumped, counted,
 * expire and are offloaded like any other flow. A flow already waiting in
 * the ring is not queued again: a stream of packets learning the same
 * flow costs one entry per drain. When the ring is full the flow is
 * dropped and counted (a later packet learns it again), so a burst of
 * new flows never stalls the datapath. The learned flow takes effect for
 * the packets after the drain (Open vSwitch installs it while translating
 * the learning packet; for a test to compare, drain between packets).
 */
#define DP_LEARN_RING           64u

/*
 * learn(limit=N) and result_dst= are decided by the worker, at packet
 * time, as Open vSwitch decides them while it translates the packet: the
 * flow is learned when this very flow is in the table (a refresh) or the
 * table holds fewer than N flows with the learned cookie. The worker
 * reads a ledger the control thread keeps per (table, cookie) that a
 * learn with a limit names (the count and the flows' fingerprints,
 * published at each drain and commit) and reserves room with one
 * compare-and-swap; the control thread then adds what was reserved
 * without counting again, and adds nothing the worker refused
 * (dp_learn_ledger.c, the races it leaves). The ledger works once the
 * flow table it counts in is named (dp_set_learn_table()); it holds
 * DP_LEARN_LEDGER entries, and learns past them are decided by the
 * control thread as without it (result_dst then reads 1). NULL: no
 * table any more (before destroying it). 0 or -ENOMEM.
 */
#define DP_LEARN_LEDGER         64u
int dp_set_learn_table(struct dp *dp, const struct flow_table *t)
    SNIC_REQUIRES(snic_control);

/* The same rings carry fin_timeout's requests: flow @id saw a TCP FIN or
 * RST, its timeouts shorten to @idle / @hard (flow_table_fin_timeout()).
 * Control thread: hand every queued flow to @fn and every fin_timeout to
 * @fin (may be NULL), oldest first per worker; returns how many. */
typedef void dp_learn_apply_fn(void *ctx, const struct flow_mod *fm);
typedef void dp_fin_apply_fn(void *ctx, uint64_t id, uint16_t idle,
                             uint16_t hard);
size_t dp_learn_drain(struct dp *dp, dp_learn_apply_fn *fn,
                      dp_fin_apply_fn *fin, void *ctx)
    SNIC_REQUIRES(snic_control);

/*
 * NORMAL's known unicast conversations, for the card (docs/snicd.md,
 * "NORMAL in hardware"): when a flow whose whole action list is NORMAL
 * switches a frame whose source was already learned on its ingress port
 * (learning changed nothing but the age) to a learned destination on
 * another port, the worker queues what NORMAL decided, in a ring of its
 * own as learn does. The same conversation is queued at most once a
 * second per worker (a small table of recent ones), so a stream costs a
 * hash and a compare per packet; a full ring drops it (counted: a later
 * frame asks again). snicd makes a hardware rule of it.
 */
#define DP_CONV_RING            256u

struct dp_conv {
    uint64_t flow_id;       /* the flow whose action list is NORMAL */
    uint32_t in_port;       /* where the frame came in (its source is
                             * learned there) */
    uint32_t out_port;      /* where NORMAL sent it (its destination) */
    uint8_t src[6], dst[6];
    uint16_t vlan;          /* NORMAL's VLAN for it (the learning key) */
    /* the outer tag as the frame came and as it left: OpenFlow's
     * vlan_tci (VID | PCP | FLOW_VLAN_CFI when tagged), 0 untagged, and
     * its TPID (0 untagged) */
    uint16_t in_tci, in_tpid;
    uint16_t out_tci, out_tpid;
};

typedef void dp_conv_apply_fn(void *ctx, const struct dp_conv *c);
/* Control thread: hand every queued conversation to @fn, oldest first per
 * worker; returns how many. */
size_t dp_conv_drain(struct dp *dp, dp_conv_apply_fn *fn, void *ctx)
    SNIC_REQUIRES(snic_control);
/* Control thread: what the card switched for NORMAL counts as the
 * software's frames would: (VLAN, MAC) learned on @port and not aged out
 * is seen now. 0, or -ENOENT (unknown, aged out or on another port). */
int dp_fdb_touch(struct dp *dp, const uint8_t mac[6], uint16_t vlan,
                 uint32_t port);
/* The port (VLAN, MAC) is learned on now, or 0. */
uint32_t dp_fdb_port(struct dp *dp, const uint8_t mac[6], uint16_t vlan);

/* Control thread: create a worker (offline) / destroy a stopped one (its
 * counters are kept in the datapath's totals). */
struct dp_worker *dp_worker_create(struct dp *dp)
    SNIC_REQUIRES(snic_control);
void dp_worker_destroy(struct dp_worker *w)
    SNIC_REQUIRES(snic_control);

/* Worker side: only from the worker's own thread. */
void dp_worker_online(struct dp_worker *w);
void dp_worker_offline(struct dp_worker *w);
/* Announce that no pointer from the datapath is held (between bursts). */
void dp_worker_quiesce(struct dp_worker *w);
/*
 * One frame received on @in_port through the whole pipeline: decap, extract,
 * classify (EMC first), actions, goto_table... Outputs go to @fn. The frame
 * in @buf may be rewritten in place. Returns the number of outputs.
 */
unsigned dp_worker_process(struct dp_worker *w, struct dp_buf *buf,
                           uint32_t in_port, dp_output_fn *fn, void *ctx);
/*
 * dp_worker_process() of @n frames received on @in_port, in order: the
 * same treatment per packet, faster per packet (table 0 is looked up for
 * the whole burst at once). Each output says which packet it belongs to
 * (dp_output.pkt, an index into @bufs). bufs[i] is updated like @buf
 * above. Returns the number of outputs.
 */
unsigned dp_worker_process_burst(struct dp_worker *w, struct dp_buf *bufs,
                                 unsigned n, uint32_t in_port,
                                 dp_output_fn *fn, void *ctx);
/* dp_worker_process_burst() where runs of packets sent unchanged to one
 * port go to @fwd (with @ctx) in one call each, the rest to @fn. */
unsigned dp_worker_process_burst_fwd(struct dp_worker *w,
                                     struct dp_buf *bufs, unsigned n,
                                     uint32_t in_port, dp_output_fn *fn,
                                     dp_forward_fn *fwd, void *ctx);
/*
 * Packets the hardware processed part of (snicd's marks, docs/snicd.md
 * "Where a flow lives", rule 3). Both skip decapsulation.
 * dp_worker_process_from(): the hardware ran a flow ending in goto_table
 * and the packet then missed in hardware table @table; classification
 * starts there with the frame as the hardware left it.
 * dp_worker_run_actions(): the hardware matched a partial flow: run its
 * action list @acts on the frame without classifying, counting the packet
 * in counter @slot (the flow's, from dp_cls_slot(); negative: count
 * nothing), then continue at its goto_table target. The slot is reused
 * after the grace period that the dp_commit() deleting the flow starts, so
 * the caller stops handing it to workers before that commit (snicd drops
 * it from its mark table first).
 * For both, @pkt_mark is the packet's pkt_mark as the hardware left it
 * (snicd: the card's META register, from the frame's rx metadata; 0 when
 * none came); the other registers and metadata start at zero, since the
 * hardware never hands over a packet whose registers it changed.
 * Both return the number of outputs, like dp_worker_process().
 */
unsigned dp_worker_process_from(struct dp_worker *w, struct dp_buf *buf,
                                uint32_t in_port, unsigned table,
                                uint32_t pkt_mark, dp_output_fn *fn,
                                void *ctx);
unsigned dp_worker_run_actions(struct dp_worker *w, struct dp_buf *buf,
                               uint32_t in_port, int64_t slot,
                               const struct flow_action *acts,
                               unsigned n_acts, uint32_t pkt_mark,
                               dp_output_fn *fn, void *ctx);
/* The same for the partial flow @flow_id (0: not known), whose id its
 * actions may use: fin_timeout's, and NORMAL's conversations
 * (dp_conv_drain()) when the list is NORMAL alone. */
unsigned dp_worker_run_flow(struct dp_worker *w, struct dp_buf *buf,
                            uint32_t in_port, int64_t slot,
                            uint64_t flow_id,
                            const struct flow_action *acts, unsigned n_acts,
                            uint32_t pkt_mark, dp_output_fn *fn, void *ctx);
/*
 * dp_worker_process_decapped(): the hardware decapsulated a VXLAN frame of
 * tunnel port @tun_port (snicd's decap marks) and the packet then missed
 * in hardware; classification starts at @table as if dp_vxlan_decap() had
 * run: in_port is @tun_port, the key's tun_id/tun_src/tun_dst are @md's
 * (@md->set is ignored: nothing set them yet). Returns the number of
 * outputs.
 */
unsigned dp_worker_process_decapped(struct dp_worker *w, struct dp_buf *buf,
                                    uint32_t tun_port,
                                    const struct dp_tun_md *md,
                                    unsigned table, dp_output_fn *fn,
                                    void *ctx);
/* The classification step alone (EMC where it pays, then the
 * classifier). */
const struct dp_rule *dp_worker_classify(struct dp_worker *w,
                                         unsigned table_id,
                                         const struct flow_key *key);
/*
 * Which shortcuts the packet path may take (docs/datapath.md, "Fast
 * paths"). Every shortcut gives each packet exactly the general path's
 * treatment; the flags exist so that tests can compare them. Default
 * DP_PATHS_AUTO. Call from the worker's thread or before it runs.
 */
#define DP_PATHS_AUTO       0u
#define DP_PATHS_NO_FAST    0x1u    /* every packet extracted and looked up */
#define DP_PATHS_NO_EMC     0x2u    /* never the exact-match cache */
#define DP_PATHS_EMC        0x4u    /* the cache in front of every table it
                                     * can serve, paying or not */
void dp_worker_set_paths(struct dp_worker *w, unsigned paths);
/* The worker's own counters; read by the worker, or once it stopped. */
const struct dp_worker_stats *dp_worker_stats(const struct dp_worker *w);
/* A copy of them, from any thread while the worker runs: each counter is
 * read whole, at most a burst old; the set is not one instant's. */
void dp_worker_stats_read(const struct dp_worker *w,
                          struct dp_worker_stats *s);

#endif /* SNIC_DP_H */
