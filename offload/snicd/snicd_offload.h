/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's offload manager: decides where each switch flow lives (hw,
 * partial, sw), installs and removes the hardware rules through rte_flow,
 * reads their counters in bulk, and re-installs everything after a device
 * reset. See docs/snicd.md ("Where a flow lives") for the rules it keeps.
 *
 * It consumes the desired state as change notifications from the flow
 * table (struct flow_entry, include/snic/flow.h), buffered until
 * snicd_offload_commit(), so a batch of 100,000 adds is placed in one pass.
 *
 * Placement (snicd_offload_place.c) visits flows in the software
 * classifier's order (priority, then oldest id): a flow overlapping an
 * earlier software flow is "shadowed" into software, the others get the
 * level one below their deepest overlapping earlier hardware flow (equal
 * priorities too, so ties break as in software). Overlap is found through
 * per-mask hash indexes kept across commits, not pairwise, and a commit
 * places only the flows it added or changed and the later flows whose
 * place follows from theirs. Rules are re-created only for flows whose
 * level, actions or state changed; the new rule goes in before the old
 * one is destroyed.
 *
 * Lifetime: destroy the flow table first (its REMOVED reports are only
 * recorded), then the manager; destroy removes every rule.
 *
 * Thread-safety: everything here runs on snicd's control thread; the
 * datapath lcores never call it. The mark table the datapath needs is
 * published through cfg.marks_changed (see below).
 */
#ifndef SNICD_OFFLOAD_H
#define SNICD_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "snic/dp.h"
#include "snic/flow.h"

struct snicd_offload;

enum snicd_where {
    SNICD_WHERE_SW = 0,     /* software datapath only */
    SNICD_WHERE_HW = 1,     /* one hardware rule does everything */
    SNICD_WHERE_PARTIAL = 2,/* hardware matches + MARKs, software acts */
};

#define SNICD_REASON_SIZE   160u

/* How snicd names and reaches ports (filled by snicd_port.c). */
struct snicd_port_info {
    uint32_t ofport;        /* OpenFlow port number */
    uint16_t ethdev;        /* DPDK port id; UINT16_MAX for logical ports */
    bool is_uplink;         /* the PF / uplink representor */
    bool is_tunnel;         /* logical VXLAN port: no ethdev */
    bool is_patch;          /* patch port (--patch): no ethdev, no wire */
    bool no_flood;          /* FLOOD and NORMAL's floods skip it */
    int vf;                 /* VF index for a representor, else -1 */
    char name[32];
    /* is_tunnel: the VXLAN port's encapsulation, as the software datapath
     * uses it (struct dp_vxlan_port). tun_underlay 0: not configured, and
     * outputs to the port stay in software. Addresses in network order. */
    uint32_t tun_underlay;  /* ofport that carries the encapsulated frames */
    flow_be32 tun_local_ip; /* outer source (local VTEP) */
    flow_be32 tun_remote_ip;/* outer destination; 0: flow-based (tun_dst) */
    uint8_t tun_local_mac[6];   /* outer source MAC */
    uint8_t tun_remote_mac[6];  /* outer destination MAC (next hop) */
    uint32_t peer;          /* is_patch: the peer's OpenFlow number */
};

/* A port that is no ethdev of snicd's: the tunnel port, a patch port. */
static inline bool
snicd_port_is_logical(const struct snicd_port_info *p)
{
    return p->is_tunnel || p->is_patch;
}

/* What the mark on a received packet means to the datapath. */
enum snicd_mark_kind {
    SNICD_MARK_PARTIAL = 1, /* run flow @flow_id's actions (the packet is
                             * unmodified) */
    SNICD_MARK_RESUME = 2,  /* flow @flow_id ran in hw; resume at @table */
    SNICD_MARK_DECAP = 3,   /* hw decapsulated a VXLAN frame of tunnel port
                             * @in_port: classify from @table with @tun as
                             * its tunnel metadata */
};

/*
 * Mark numbers. A flow's marks (partial, resume) are below
 * SNICD_MARK_DECAP_FIRST, a decap context's from there to
 * SNICD_MARK_DECAP_LAST (24 bits in all, what mlx5 carries), so a worker
 * that meets an unknown mark still knows whether the hardware
 * decapsulated the frame: an unknown decap-range mark is dropped and
 * counted, never classified as if the inner frame came from the wire.
 * A released mark is not handed out again until the allocator has gone
 * round its whole range and SNICD_MARK_QUIET_MS have passed (frames
 * marked with it may still wait in a receive queue).
 */
#define SNICD_MARK_FLOW_FIRST   1u
#define SNICD_MARK_DECAP_FIRST  0x00f00000u
#define SNICD_MARK_DECAP_LAST   0x00ffffefu
#define SNICD_MARK_QUIET_MS     2000u

static inline bool
snicd_mark_is_decap(uint32_t mark)
{
    return mark >= SNICD_MARK_DECAP_FIRST && mark <= SNICD_MARK_DECAP_LAST;
}

struct snicd_mark {
    uint32_t mark;
    uint8_t kind;           /* enum snicd_mark_kind */
    uint8_t table;          /* SNICD_MARK_RESUME: the goto target */
    uint64_t flow_id;
    uint32_t in_port;       /* SNICD_MARK_DECAP: the tunnel port */
    struct dp_tun_md tun;   /* SNICD_MARK_DECAP: tun_id/src/dst */
};

/* A card's command timeout is a second or two (net_emunic's: 2 s): a flow
 * queue silent for longer is stuck, not slow */
#define SNICD_QUEUE_TIMEOUT_MS  3000u

struct snicd_offload_cfg {
    uint16_t proxy_port;    /* ethdev port on which transfer rules go */
    bool enabled;           /* false: every flow stays in software */
    const struct snicd_port_info *ports;
    unsigned n_ports;
    /* Called at commit when the set of live marks changed, and during
     * a commit before a rule that marks with a new decap mark is created
     * (the workers must know a mark before any frame carries it): the
     * datapath publishes it RCU-style. Released decap marks are listed
     * while they are quiet. @marks is valid only during the call.
     * Returns 0, or a negative errno when nothing was published (the
     * manager then keeps the marks to publish and creates no rule
     * needing them). */
    int (*marks_changed)(void *ctx, const struct snicd_mark *marks,
                         unsigned n);
    void *ctx;
    /* How long a released mark stays out of use (and a decap context's
     * mark keeps its meaning in the published list); 0:
     * SNICD_MARK_QUIET_MS. */
    uint32_t mark_quiet_ms;
    /* true: every rule through rte_flow_create/destroy even when the
     * proxy port has a flow queue (snicd --no-flow-queues) */
    bool no_flow_queue;
    /* A flow queue with operations in flight that answers none of them
     * for this long (ms; 0: SNICD_QUEUE_TIMEOUT_MS) is given up on: the
     * manager is dead until the device is re-attached (snicd_device.c) */
    uint32_t queue_timeout_ms;
    /* NORMAL's known unicast conversations as rules (snicd_offload_conv.c):
     * at most this many; 0: none, and no level is kept for them */
    uint32_t conv_max;
    /* A conversation rule whose counter has not moved for this long
     * leaves the card (0: SNICD_CONV_IDLE_MS); one idle a fifth of it
     * makes room for a new conversation at conv_max. */
    uint32_t conv_idle_ms;
    /* The clock those idle times are read on (ns, monotonic); NULL:
     * snic_now_ns. A test steps its own instead of sleeping, so a loaded
     * machine cannot make a rule look idle or busy by chance. */
    uint64_t (*now_ns)(void);
};

/* Open vSwitch's datapath drops a flow idle 10 s (other_config:max-idle):
 * a stopped conversation's rule goes as soon, whatever the MAC aging. */
#define SNICD_CONV_IDLE_MS  10000u

/*
 * Called for every port between rte_eth_dev_configure() and
 * rte_eth_dev_start() (DPDK 22.11 takes rte_flow_configure only then): a
 * port that is its own transfer proxy and offers flow queues
 * (rte_flow_info_get) gets one of @size operations and a pool of
 * counters, which an offload manager on that port then uses for its rules
 * (snicd_offload_create, snicd_offload_device_back). @size 0: none (the
 * sync API). After a device reset the port keeps the flow engine it had
 * (rte_flow_configure is refused with EBUSY while templates exist). 1
 * when the port has a flow queue, 0 when it does not (logged).
 */
int snicd_offload_port_queues(uint16_t port, uint32_t size);

/* NULL and errno. Queries the device's rte_flow support up front (the
 * number of priority levels, by validating a trivial rule). The port table
 * is copied (see snicd_offload_set_ports). */
struct snicd_offload *snicd_offload_create(const struct snicd_offload_cfg *c);
/* Destroys every hardware rule it made. */
void snicd_offload_destroy(struct snicd_offload *o);
/* snicd stops: frees the manager and forgets its rule handles without
 * destroying a rule. What becomes of the rules is the PMD's choice at
 * port close: net_emunic with keep_rules=1 leaves them forwarding in the
 * card for the next snicd to adopt; other drivers remove them. */
void snicd_offload_leave(struct snicd_offload *o);

/* Flow-table listener (matches flow_change_fn): records the change; nothing
 * reaches the hardware until commit. The manager keeps pointers to the
 * entries it was given (their match, not copied, #13): an entry must stay
 * where it is until the manager hears of its removal, or of its move
 * (below). */
void snicd_offload_flow_changed(void *o, enum flow_change_kind kind,
                                const struct flow_entry *e,
                                enum flow_removed_reason reason);
/* @e's flow, the same as before, is at @e now (the flow table moved its
 * node, flow_table_removals()): to be said at once, even while the change
 * itself waits to be delivered. Nothing if the manager does not know it. */
void snicd_offload_flow_moved(struct snicd_offload *o,
                              const struct flow_entry *e);

/* Place every recorded change: recompute priority levels and shadowing for
 * the touched tables, validate (cached by flow shape), create and destroy
 * rules. Never fails a flow: what the hardware refuses stays in software.
 * Returns the number of rule operations done, or a negative errno only when
 * the device itself is gone (flows then stay in software until resync). */
int snicd_offload_commit(struct snicd_offload *o);
/* snicd_offload_commit() in two halves, so that the caller's own work
 * (the software datapath's publish) overlaps the card's: _start places
 * and hands the device its batch without waiting (a negative errno as
 * above, else 0), _finish waits for the device's results and settles
 * them, returning what snicd_offload_commit() does. Nothing else may
 * call into the manager between the two. */
int snicd_offload_commit_start(struct snicd_offload *o);
int snicd_offload_commit_finish(struct snicd_offload *o);

/* Where flow @id lives, and why (for dump-flows); reason may be "". */
enum snicd_where snicd_offload_where(const struct snicd_offload *o,
                                     uint64_t id, const char **reason);

/* Read the hardware counters and report per flow the hardware's totals
 * since the flow was first installed (summed over the rules it had: a
 * level change or a resync re-creates the rule). Partial flows are not
 * reported: the software datapath counts their packets when it runs their
 * actions by mark. When the PMD tells which counters moved
 * (snicd_offload_counters.c), only the flows whose totals changed are
 * reported and *@moved_only is set; otherwise every hardware flow is.
 * Returns the number of flows reported, or a negative errno (-EIO while
 * the device is not answering); nothing was reported on error. */
typedef void snicd_hw_stats_fn(void *ctx, uint64_t id, uint64_t n_packets,
                               uint64_t n_bytes);
int snicd_offload_read_counters(struct snicd_offload *o,
                                snicd_hw_stats_fn *fn, void *ctx,
                                bool *moved_only);

/* The device was reset or a port came back: every hardware rule is gone;
 * re-validate and re-install all flows. Returns flows placed in hw. */
int snicd_offload_resync(struct snicd_offload *o);
/* The same after a firmware reset, which the PMD reported
 * (RTE_ETH_EVENT_INTR_RESET): the device holds none of the old rules, so
 * their handles, which only hold the PMD's memory, are freed after the
 * flows are back, by snicd_offload_reap(). */
int snicd_offload_reset(struct snicd_offload *o);
/* Free at most @budget handles of rules a reset took (see
 * snicd_offload_reset). Returns how many are left. */
uint32_t snicd_offload_reap(struct snicd_offload *o, uint32_t budget);

/* The whole device stopped answering (its channel died, the card process
 * went away): every flow leaves hardware now, with @why as its reason, and
 * the manager forgets its rule handles without asking the device (the PMD
 * frees them when the device is detached). New flows stay in software
 * until snicd_offload_device_back(). Call it before the device is
 * detached. 0 or a negative errno. */
int snicd_offload_device_gone(struct snicd_offload *o, const char *why);

/* The device answers again, re-attached (its transfer proxy may have a new
 * ethdev id): re-validate and re-install every flow, as resync does.
 * Returns flows placed in hw, or a negative errno. */
int snicd_offload_device_back(struct snicd_offload *o, uint16_t proxy_port);

/* Is the device still there? A trivial rule's validation answers EIO when
 * the PMD has lost its device. Also true while already known gone: false. */
bool snicd_offload_device_answers(struct snicd_offload *o);

/* NULL while the manager works; else why it gave up on the device (a flow
 * queue that stopped answering, an EIO): every flow is in software, and
 * only the device's re-attach (snicd_offload_device_back) revives it. */
const char *snicd_offload_gave_up(const struct snicd_offload *o);

/* Flows whose rule creation failed for a reason that may pass (an error
 * from the device other than "no space" or a refusal at validation) are
 * tried again, and flows waiting for room in the device too, the latter
 * with a wait that doubles from 1 s to 64 s while the device stays full
 * (room snicd frees itself is used in the same commit). Called about once
 * a second. Returns the rule operations done (0 when nothing was
 * waiting). */
int snicd_offload_retry_failed(struct snicd_offload *o);
/* A rule went outside a commit (a NORMAL conversation's): flows waiting
 * for room are tried now, before any new conversation may take it.
 * Returns what the commit returned, 0 when nothing waits. */
int snicd_offload_room_freed(struct snicd_offload *o);

/* A port disappeared (hot-unplug): flows touching it (exact in_port, or
 * an output to it) leave hardware now, and lower overlapping ones with
 * them. Returns how many flows left hardware. Until
 * snicd_offload_port_back() or the next resync. */
int snicd_offload_port_gone(struct snicd_offload *o, uint32_t ofport);

/* A gone port is back (a representor re-created after its VF returned)
 * on a device that was not reset: its rules went with it, every other
 * rule is still in the device. Only the flows touching @ofport are placed
 * again (and those whose level or shadowing they change); every other
 * rule is left as it is, no destroy, no create. Call it after
 * snicd_offload_set_ports() gave the port its new ethdev. Returns flows in
 * hardware or partial among those touching @ofport, or a negative errno
 * (-EIO: the device stopped answering). */
int snicd_offload_port_back(struct snicd_offload *o, uint32_t ofport);

/* The port map changed (hotplug, new ethdev ids): replace the manager's
 * copy. Only flows whose rules name a port whose facts changed (ethdev,
 * role, tunnel configuration; one added or removed) are re-translated at
 * the next commit; a change of a tunnel port, its underlay or the uplink
 * re-translates every flow, as the guard and pop rules name them. */
int snicd_offload_set_ports(struct snicd_offload *o,
                            const struct snicd_port_info *ports, unsigned n);

/* What the guard rules do, decided by asking the device. */
enum snicd_guard_mode {
    SNICD_GUARD_NONE = 0,   /* no guard: flows that could catch a VXLAN
                             * frame for the local VTEP stay in software */
    SNICD_GUARD_REP = 1,    /* to the underlay's representor (no decap) */
    SNICD_GUARD_JUMP = 2,   /* to the pop rules' group (decap offload) */
};

struct snicd_offload_stats {
    uint64_t n_hw, n_partial, n_sw;
    uint64_t rules_created, rules_destroyed;
    uint64_t validate_calls, validate_cache_hits;
    uint64_t create_failures;
    uint64_t resyncs;
    uint64_t port_backs;        /* snicd_offload_port_back calls */
    uint64_t device_losses;     /* snicd_offload_device_gone calls */
    uint64_t retries;           /* retry passes that had work */
    uint64_t place_rounds;      /* extra placement passes: room freed */
    uint64_t placed;            /* flows placed (incremental or whole) */
    uint64_t whole_tables;      /* tables placed whole (every flow) */
    uint64_t reinstalled;       /* flows put back at the place they kept
                                 * (a resync that changed no placement) */
    /* register writes before a jump (docs/snicd.md, "Registers and
     * pkt_mark"): whole rules made once the target was sealed, and
     * made partial again before a change there */
    uint64_t reg_let_through, reg_held_back;
    /* the flow queue (template/async API); size 0: the sync API */
    uint32_t queue_size;
    uint32_t queue_tables;      /* template tables, one per rule shape */
    uint32_t queue_counters;    /* counters its COUNT rules take */
    uint64_t queue_pushes;
    uint64_t queue_refused;     /* creates the device refused in a batch */
    uint64_t queue_no_template; /* rules made with rte_flow_create for want
                                 * of a template */
    uint64_t queue_destroy_failures;
    uint32_t hw_levels;     /* rte_flow priorities the device offers */
    uint32_t hw_tags;       /* TAG registers (reg0..reg<hw_tags - 1>) */
    uint32_t n_marks;       /* live marks (partial + resume + decap) */
    uint32_t decap_contexts;/* decap contexts with a pop rule */
    uint32_t guard_rules;   /* tunnel guard rules installed */
    uint32_t guard_mode;    /* enum snicd_guard_mode */
    /* the moved-counter read's handle -> flow index built again (a
     * handle it did not know, after rules came or went) */
    uint64_t counter_index_rebuilds;
};
void snicd_offload_get_stats(const struct snicd_offload *o,
                             struct snicd_offload_stats *s);

/*
 * NORMAL's known unicast conversations (include/snic/dp.h, struct
 * dp_conv) as hardware rules derived from their flow (docs/snicd.md,
 * "NORMAL in hardware"; snicd_offload_conv.c says why they are sound).
 * The rules of a flow go with its rule; the caller drops those whose FDB
 * entries no longer say what they did (snicd_offload_conv_walk).
 */
/* 1 made, 0 there already, or a negative errno with the reason in @why
 * (no rule for the flow, no level, the limit, the device refused). */
int snicd_offload_conv_add(struct snicd_offload *o, const struct dp_conv *c,
                           char *why, size_t size);
bool snicd_offload_conv_has(const struct snicd_offload *o,
                            const struct dp_conv *c);
/* For each rule: @read, its counter is read, @moved packets since the
 * last read (0 without); false drops the rule. A rule whose ports are
 * no longer both the card's (gone, or not the uplink or a representor)
 * goes without asking @fn. With @read, the rules whose counters have not
 * moved for cfg.conv_idle_ms go too. Returns how many were dropped. */
typedef bool snicd_conv_fn(void *ctx, const struct dp_conv *c,
                           uint64_t moved, uint64_t pkts);
int snicd_offload_conv_walk(struct snicd_offload *o, bool read,
                            snicd_conv_fn *fn, void *ctx);
struct snicd_conv_info {
    struct dp_conv key;
    uint64_t pkts, bytes;       /* as last read */
};
/* The rules, at most @max into @out (may be NULL); returns how many. */
size_t snicd_offload_conv_list(const struct snicd_offload *o,
                               struct snicd_conv_info *out, size_t max);
struct snicd_conv_stats {
    uint32_t rules, max;
    uint64_t created, destroyed;
    uint64_t refused_max;       /* past the limit */
    uint64_t create_failures;   /* the device refused */
    uint64_t refused_full;      /* not asked: the device was full */
    uint64_t evicted_idle;      /* idle past cfg.conv_idle_ms */
    uint64_t evicted_room;      /* the idlest, for a new one at the limit */
    /* frames the rules switched, ever (read with their counters; a
     * rule's last reading is in before it goes) */
    uint64_t switched_pkts;
};
void snicd_offload_conv_stats(const struct snicd_offload *o,
                              struct snicd_conv_stats *s);

#endif /* SNICD_OFFLOAD_H */
