/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic private header: the objects the PMD's files share.
 *
 * Objects nest like the card. One struct emunic_adapter per probed vdev owns
 * the firmware channel (include/snic/fw_chan.h), the cached capabilities,
 * the device tables created for rte_flow groups and the switch domain. Every
 * ethdev port of that vdev (the PF port, its representors; or the single
 * VF / uplink-peer port) points at it and holds a reference.
 *
 * The rte_flow translation (emunic_flow_xlate.c, _items.c, _actions.c) is
 * pure: it turns attributes, items and actions into a struct fw_rule_add_in
 * given a capability struct and a port resolver, touches no device and needs
 * no EAL. Validate and create both run it; create then posts the command.
 * That split is also what the template/async API will reuse: translate once
 * per template, post many commands into the channel, ring one doorbell.
 *
 * Thread-safety: control-path calls (ethdev ops, rte_flow ops, the health
 * alarm) may come from different threads; adapter->lock serialises every use
 * of the channel and of the adapter's tables. Bursts never take it: they use
 * only their own queue mapping and per-queue counters.
 */
#ifndef EMUNIC_H
#define EMUNIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_flow.h>

#include "snic/fw_abi.h"
#include "snic/fw_chan.h"
#include "snic_hmap.h"
#include "snic_tsa.h"

#define EMUNIC_DRIVER_NAME      net_emunic
#define EMUNIC_CMD_TIMEOUT_MS   2000
#define EMUNIC_MAX_QUEUES       16
#define EMUNIC_MAX_REPS         64
#define EMUNIC_MAX_GROUPS       256
#define EMUNIC_RETA_SIZE        64      /* RTE_ETH_RSS_RETA_SIZE_64 */

extern int emunic_logtype;
#define EMUNIC_LOG(level, fmt, ...) \
    rte_log(RTE_LOG_ ## level, emunic_logtype, "net_emunic: " fmt "\n", \
            ##__VA_ARGS__)

/* ------------------------------------------------------------------------
 * Translation (no device, no EAL)
 * ------------------------------------------------------------------------ */

/* Resolves an ethdev port id named by an item or action to the vport it
 * represents on this switch (the PF port: the wire). -ENODEV when the port
 * is not one of ours, -ENXIO when it is a representor whose VF is gone. */
typedef int (*emunic_port_resolver_t)(void *opaque, uint32_t port_id,
                                      uint16_t *vport);

struct emunic_xlate_ctx {
    const struct fw_caps *caps;
    uint16_t port_vport;        /* vport the rule's port represents */
    uint16_t nb_rx_queues;      /* 0: not configured yet, no QUEUE check */
    emunic_port_resolver_t resolve;
    void *opaque;
};

/* A translated rule: the command to post and what create must finish. */
struct emunic_xlate {
    struct fw_rule_add_in rule;
    int count_idx;              /* rule.actions index of COUNT, -1 none */
    unsigned n_jumps;
    uint32_t jump_group[FW_RULE_MAX_ACTIONS];
    /* which item set each match field, which action produced each device
     * action: a device refusal names a field or an action index, and the
     * driver must point the application at the object it wrote */
    const struct rte_flow_item *field_item[FW_FIELD_COUNT_];
    const struct rte_flow_action *act_src[FW_RULE_MAX_ACTIONS];
    /* an RSS action over several queues: the context create must make
     * before RULE_ADD (its id goes into rule.actions[rss_idx]) */
    int rss_idx;                /* -1: none */
    struct fw_rss_ctx_create_in rss;
};

/* Walker state shared by the item and action converters. */
struct emunic_walk {
    const struct emunic_xlate_ctx *ctx;
    const struct rte_flow_attr *attr;
    struct emunic_xlate *x;     /* always valid (validate uses a scratch) */
    int last_proto;             /* enum emunic_proto of the previous item */
    bool has_port_item;
    unsigned n_fates;
    bool has_drop;
    int push_vlan_idx;          /* device index of a PUSH_VLAN to fold into */
    /* the device walks nothing after a JUMP: it is appended last */
    const struct rte_flow_action *jump_src;
    struct fw_action jump;
};

enum emunic_proto {
    EMUNIC_P_START = 0,
    EMUNIC_P_ETH,
    EMUNIC_P_VLAN,
    EMUNIC_P_IPV4,
    EMUNIC_P_IPV6,
    EMUNIC_P_TCP,
    EMUNIC_P_UDP,
    EMUNIC_P_ICMP,
    EMUNIC_P_VXLAN,
    EMUNIC_P_IPV6_FRAG,         /* the IPv6 Fragment header */
    EMUNIC_P_MPLS,              /* the top label stack entry (ABI 1.10) */
};

/*
 * Translate a rule. @out NULL validates: the same walker runs on a scratch
 * result, so validate and create cannot disagree. 0, or a negative errno
 * with @error pointing at the attribute, item or action at fault.
 */
int emunic_flow_translate(const struct emunic_xlate_ctx *ctx,
                          const struct rte_flow_attr *attr,
                          const struct rte_flow_item items[],
                          const struct rte_flow_action actions[],
                          struct emunic_xlate *out,
                          struct rte_flow_error *error);

/* Map a device refusal of @x's RULE_ADD (status + syndrome) back onto the
 * item or action it names. Returns the negative errno it set. */
int emunic_flow_refusal(const struct emunic_xlate *x, uint8_t status,
                        uint32_t syndrome, struct rte_flow_error *error);

/* Per-thread message buffer for rte_flow_error.message (must outlive the
 * call), and the setter every converter uses (emunic_flow_err.c, a leaf,
 * with emunic_profile). */
int emunic_flow_err(struct rte_flow_error *error, int code,
                    enum rte_flow_error_type type, const void *cause,
                    const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Items and actions (emunic_flow_items.c, emunic_flow_actions.c). */
int emunic_item_convert(struct emunic_walk *w, const struct rte_flow_item *item,
                        struct rte_flow_error *error);
int emunic_items_finish(struct emunic_walk *w, const struct rte_flow_item *items,
                        struct rte_flow_error *error);
/* Item shape checks naming the field (emunic_flow_item_check.c). */
int emunic_item_check_mask(const struct rte_flow_item *item, const char *name,
                           const uint8_t *mask, const uint8_t *supported,
                           size_t size, const char *supported_desc,
                           struct rte_flow_error *error);
int emunic_item_mask_check(const struct rte_flow_item *item,
                           struct rte_flow_error *error);
int emunic_item_check_last(const struct rte_flow_item *item, const char *name,
                           const uint8_t *spec, const uint8_t *mask,
                           size_t size, struct rte_flow_error *error);
/* The IP fragment state (emunic_flow_frag.c): the ip_frag value/mask an
 * IPV4 item's fragment_offset, or an IPV6_FRAG_EXT item, asks for (mask 0:
 * nothing), or a refusal pointing at @item. Pure: the caller merges it. */
int emunic_frag_ipv4(const struct rte_flow_item *item,
                     const struct rte_flow_item_ipv4 *s,
                     const struct rte_flow_item_ipv4 *m, uint8_t *fv,
                     uint8_t *fm, struct rte_flow_error *error);
int emunic_frag_ipv6_ext(const struct rte_flow_item *item,
                         const struct rte_flow_item_ipv6_frag_ext *s,
                         const struct rte_flow_item_ipv6_frag_ext *m,
                         uint8_t *fv, uint8_t *fm,
                         struct rte_flow_error *error);
/* Which fragment states (bit s: ip_frag value s) an IPV4 fragment_offset
 * (@v6 false) or IPV6_FRAG_EXT frag_data (@v6 true) spec/mask/last, host
 * order, @last == spec for no range, accepts wholly (@all) and at least in
 * part (@some). Exposed for the unit test. */
void emunic_frag_classify(bool v6, uint16_t spec, uint16_t mask,
                          uint16_t last, uint32_t *all, uint32_t *some);
/* The card's per-packet registers (emunic_flow_meta.c, ABI 1.9): the
 * TAG and META item converters; SET_TAG / SET_META build the device
 * action, emunic_action_convert pushes it. */
int emunic_conv_tag(struct emunic_walk *w, const struct rte_flow_item *item,
                    const void *spec, const void *mask,
                    struct rte_flow_error *error);
int emunic_conv_meta(struct emunic_walk *w, const struct rte_flow_item *item,
                     const void *spec, const void *mask,
                     struct rte_flow_error *error);
int emunic_set_reg_build(const struct fw_caps *caps,
                         const struct rte_flow_action *a, struct fw_action *fa,
                         struct rte_flow_error *error);
/* MODIFY_FIELD into @fa (emunic_flow_modify.c, ABI 1.11): MODIFY_SET
 * from an immediate value or a pointer, MODIFY_COPY from another field;
 * the caller pushes it, which checks the caps. */
int emunic_modify_action_build(const struct rte_flow_action *a,
                               struct fw_action *fa,
                               struct rte_flow_error *error);
/* MPLS (emunic_flow_mpls.c, ABI 1.10): the MPLS item; OF_PUSH_MPLS and
 * OF_POP_MPLS into @fa (the caller pushes it, which checks the caps). */
int emunic_conv_mpls(struct emunic_walk *w, const struct rte_flow_item *item,
                     const void *spec, const void *mask,
                     struct rte_flow_error *error);
int emunic_mpls_action_build(const struct rte_flow_action *a,
                             struct fw_action *fa,
                             struct rte_flow_error *error);
/* Match fields (emunic_flow_field.c, a leaf): can the card match @f with
 * this mask shape (canonical bytes, most significant first), and merge an
 * item's value/mask into the rule, refusing a contradiction. */
const char *emunic_field_desc(enum fw_field f);
bool emunic_bits_zero(const uint8_t *m, size_t size);
int emunic_field_use(struct emunic_walk *w, const struct rte_flow_item *item,
                     const char *item_name, enum fw_field f,
                     const uint8_t *canon, unsigned nbits,
                     struct rte_flow_error *error);
int emunic_field_merge(struct emunic_walk *w, const struct rte_flow_item *item,
                       const char *item_name, enum fw_field f, void *val,
                       void *msk, const void *nv, const void *nm, size_t size,
                       struct rte_flow_error *error);
/* RULE_ADD's input size: up to the last action, or with the TAG block
 * (ABI 1.9) the whole input when the rule matches a TAG. */
static inline uint32_t
emunic_rule_in_size(const struct fw_rule_add_in *r)
{
    for (unsigned i = 0; i < FW_NUM_TAGS; i++)
        if (r->tags.mask[i] != 0)
            return (uint32_t)sizeof(*r);
    return (uint32_t)(offsetof(struct fw_rule_add_in, actions) +
                      r->n_actions * sizeof(struct fw_action));
}
int emunic_action_convert(struct emunic_walk *w,
                          const struct rte_flow_action *act,
                          struct rte_flow_error *error);
int emunic_actions_finish(struct emunic_walk *w, struct rte_flow_error *error);
/* Append one device action produced by @src; refuses what caps lack. */
int emunic_action_push(struct emunic_walk *w, const struct rte_flow_action *src,
                       const struct fw_action *fa, struct rte_flow_error *error);
const char *emunic_profile(const struct fw_caps *caps);
/* Template checks that need no rule values (emunic_flow_xlate.c,
 * emunic_flow_actions.c): the same refusals and messages as the walker. */
int emunic_items_check_template(const struct fw_caps *caps, bool transfer,
                                const struct rte_flow_item pattern[],
                                struct rte_flow_error *error);
int emunic_actions_check_template(const struct fw_caps *caps,
                                  const struct rte_flow_action actions[],
                                  struct rte_flow_error *error);

/* RSS as the card computes it (ABI 1.5). The ethdev hash types the card
 * can honour given its FW_RSS_* (0 when it has no RSS); the FW_RSS_* set
 * for ethdev types (0 taken as RTE_ETH_RSS_IP), or -ENOTSUP when a type is
 * outside what the card computes; and the key used when an application
 * gives none (the RSS verification suite's, so hashes can be checked). */
uint64_t emunic_rss_offloads(uint32_t fw_types);
int emunic_rss_fw_types(uint64_t rss_hf, uint32_t card_types,
                        uint32_t *fw_types);
extern const uint8_t emunic_rss_default_key[FW_RSS_KEY_SIZE];

/* ------------------------------------------------------------------------
 * Runtime objects (EAL)
 * ------------------------------------------------------------------------ */

enum emunic_role {
    EMUNIC_ROLE_PF = 0,         /* uplink representor, eSwitch manager */
    EMUNIC_ROLE_REP,            /* representor of a VF */
    EMUNIC_ROLE_VF,             /* VM side of a VF */
    EMUNIC_ROLE_UPLINK,         /* the wire's peer */
};

/*
 * Counter cache (emunic_counter.c), one per adapter, under ad->lock.
 *
 * rte_flow_query(COUNT) of one flow used to cost one synchronous firmware
 * command; a control plane that reads 100,000 counters a second then spends
 * most of its time (and the card's) on command round trips. Instead every
 * counter the PMD allocated for a flow has a slot here, and a query that
 * finds the last sweep refresh_ms old or more sweeps them all:
 * FW_COUNTER_QUERY_MAX ids per command, as many commands as the channel has
 * free slots, one doorbell, then reap. A query answers from its flow's
 * slot; reset=1 still reads and clears that one counter synchronously so
 * it returns the exact count.
 *
 * Slots are dense (swap-removal on free) so a sweep walks only live
 * counters; each flow keeps its slot index and each slot its owner, so both
 * directions are O(1). A slot remembers the adapter generation its counter
 * was allocated in: a firmware reset takes the counters away, and a sweep
 * skips the slots of the lost generation until their flows are destroyed.
 */
struct emunic_ctr {
    struct rte_flow *owner;
    uint32_t id;                /* device counter id */
    uint32_t generation;        /* adapter->generation at allocation */
    bool known;                 /* values read since allocation */
    uint32_t mpos;              /* index in the moved list, or UINT32_MAX */
    uint64_t packets;
    uint64_t bytes;
};

struct emunic_ctr_batch;        /* one COUNTER_QUERY in flight (private) */
struct emunic_ctr_chain;        /* one COUNTER_MOVED range (private) */

struct emunic_ctr_cache {
    struct emunic_ctr *slot;
    uint32_t n;                 /* live slots, slot[0..n-1] */
    uint32_t cap;
    uint32_t refresh_ms;        /* devarg counter_refresh_ms; 0: no cache */
    uint64_t refresh_cycles;    /* the same in timer cycles */
    uint64_t stamp;             /* timer cycles when the last sweep ended */
    uint32_t stamp_gen;         /* adapter generation that sweep read */
    bool swept;                 /* stamp and slot values mean something */
    struct emunic_ctr_batch *batch;
    unsigned n_batch;           /* commands the buffers can hold in flight */
    /*
     * A card of ABI 1.6 lists the counters that changed since an epoch
     * (COUNTER_MOVED): a sweep then asks only for those, from the epoch
     * of the last walk of this generation, and finds each one's slot
     * through slot_of (indexed by counter id, slot + 1, 0: none; pages of
     * ids never used are never touched). Only slots whose values changed
     * are written, and each such slot joins the moved list once, until
     * rte_pmd_emunic_flow_counts_moved() hands it to the application: an
     * idle card costs one command per sweep and the application nothing
     * per flow.
     */
    bool walk;                  /* the card has COUNTER_MOVED */
    uint64_t since;             /* epoch of the last walk's first page */
    uint32_t since_gen;         /* adapter generation that epoch is of */
    uint32_t *slot_of;          /* [caps.max_counters + 1], snic_zmap */
    size_t slot_of_bytes;       /* its size when mapped */
    struct emunic_ctr_chain *chain;
    uint32_t *moved;            /* slot indexes; each slot at most once */
    uint32_t n_moved;
    uint32_t n_fresh;           /* slots added since the last walk */
    /* the slots added since the last read of fresh slots are the ones
     * from here to n (a destroy keeps them there: emunic_ctr_del); the
     * read after a walk starts here, so a sweep while a million rules are
     * made or replaced costs the slots added since the last one, not
     * every slot */
    uint32_t fresh_from;
    /* for the log and the tests: how queries were answered */
    uint64_t sweeps;
    uint64_t sweep_cmds;
    uint64_t cached_reads;
    uint64_t single_reads;
    uint64_t walks;             /* sweeps done with COUNTER_MOVED */
    uint64_t walk_cmds;
};

#define EMUNIC_CTR_REFRESH_MS_DEFAULT   20u
#define EMUNIC_CTR_REFRESH_MS_MAX       60000u

/*
 * Representor hotplug (emunic_probe.c). A representor named by the PF's
 * representor=vf[...] devarg exists while its VF does, as on a host where
 * lowering sriov_numvfs unregisters representors. The alarm reads the
 * card's SR-IOV view (ABI 1.2, no command): a VF that vanished, or was
 * removed and created anew (its vf_generation moved), marks its
 * representor gone and raises RTE_ETH_EVENT_INTR_RMV on it; the
 * application closes it, which frees the slot; a listed VF that exists
 * and has no ethdev gets a new one, same name and representor id, and
 * rte_eth_dev_probing_finish raises RTE_ETH_EVENT_NEW. A VF that comes back
 * before the application closed the old ethdev waits for that close (the
 * name is still taken). A representor the application closes while its
 * VF is still there is its own choice: it is not created again.
 */
struct emunic_rep_slot {
    uint16_t vf;
    bool wanted;                /* create it whenever its VF exists: false
                                 * once the application closed a live one */
    bool has_port;              /* an ethdev exists (until it is closed) */
    bool closing;               /* its close runs: no events, no new port */
    uint16_t port_id;
    uint32_t vf_gen;            /* vf_generation of the VF it represents */
};

struct emunic_port;
TAILQ_HEAD(emunic_port_list, emunic_port);

struct emunic_adapter {
    struct snic_mutex lock;     /* channel, caps, groups, flows' device ids,
                                 * the counter cache, the rep slots, ports */
    struct fw_chan *chan;       /* NULL after close */
    struct fw_caps caps;
    char path[256];
    char name[64];
    uint16_t function;
    uint16_t switch_domain;
    bool has_domain;
    unsigned refcnt;            /* ports using it (atomic: hotplug adds
                                 * ports from the interrupt thread) */
    /* the channel reported -EPIPE/-ETIMEDOUT/-EPROTO: set under lock,
     * read anywhere (atomic: emunic_adapter_alive()); an unlocked reader
     * (link status, a quick refusal) takes it as a hint, a command
     * checks it again under lock */
    bool dead;
    uint32_t reset_gen;         /* generation our flows belong to */
    uint32_t generation;        /* bumped by us on every device reset seen */
    bool reset_event;           /* a reset seen, INTR_RESET not raised yet */
    bool dead_event;            /* death seen, INTR_LSC not raised yet */
    uint16_t pf_port_id;
    bool alarm_armed;
    /* Its ports, under lock: from emunic_port_init to the start of their
     * close (emunic_adapter_port_add/_del). The alarm reaches ports
     * through this list only, never through ethdev's table: a port's
     * private data is freed right after its close, on the application's
     * thread. */
    struct emunic_port_list ports;
    /* representor hotplug, PF adapter only (see struct emunic_rep_slot) */
    void *vdev;                 /* struct rte_vdev_device of the probe */
    uint16_t rep_rxq, rep_txq;  /* devargs rxq/txq for new representors */
    bool hotplug;               /* the card has the SR-IOV view (1.2) */
    bool hotplug_off;           /* PF closing: create nothing more */
    uint32_t sriov_gen;         /* last view looked at */
    unsigned n_reps;
    struct emunic_rep_slot reps[EMUNIC_MAX_REPS];
    /* device tables created on demand for groups > 0 */
    uint32_t n_groups;
    uint32_t groups[EMUNIC_MAX_GROUPS];
    struct emunic_ctr_cache ctr;
    /* keep_rules=1 (emunic_adopt.c): the card's rules are left there at
     * close, and those an earlier driver left are found at probe, kept
     * as orphans until a create adopts one or the application purges
     * them (include/snic/rte_pmd_emunic.h) */
    bool keep_rules;
    /* pull_wait=0: rte_flow_pull hands out what the card has answered and
     * never waits for the rest, as a hardware completion queue does */
    bool pull_nowait;
    struct snic_hmap orphans;   /* struct emunic_orphan by content */
    struct emunic_orphan_block *orphan_blocks;  /* their memory, the one
                                                 * carved from first */
    struct emunic_orphan **marked;  /* the orphans that set a MARK */
    uint32_t n_marked, cap_marked;
    uint32_t orphans_found;     /* at probe */
    uint32_t list_round_trips;  /* the probe's listing: commands waited
                                 * for, one after another */
    uint64_t orphans_adopted;
    uint64_t orphans_purged;
    uint32_t reclaimed_counters;    /* STEERING_RECLAIM at probe */
    uint32_t reclaimed_rss;
    uint32_t counters_kept;         /* ids the adopted rules' ranges hold:
                                     * not ours to pool (info_get) */
};

struct emunic_rxq {
    struct fw_pktq_map *map;    /* NULL while stopped */
    const bool *gone;           /* the port's gone flag */
    struct rte_mempool *mp;
    uint16_t port_id;
    uint16_t queue_id;
    uint16_t nb_desc;
    uint64_t packets;
    uint64_t bytes;
    uint64_t nombuf;
    uint64_t errors;
};

struct emunic_txq {
    struct fw_pktq_map *map;
    const bool *gone;
    uint16_t queue_id;
    uint16_t nb_desc;
    uint64_t packets;
    uint64_t bytes;
    uint64_t errors;            /* frames dropped: too long, bad chain */
};

/* Who owns a handle: the application (LIVE), or an operation on a flow
 * queue until rte_flow_push executed it (CREATING, DESTROYING). */
enum emunic_flow_astate {
    EMUNIC_FLOW_LIVE = 0,
    EMUNIC_FLOW_CREATING,
    EMUNIC_FLOW_DESTROYING,
};

struct emunic_table;

struct rte_flow {
    TAILQ_ENTRY(rte_flow) next;
    uint32_t rule_id;
    uint32_t counter_id;
    uint32_t ctr_slot;          /* index in adapter->ctr.slot if has_counter */
    bool has_counter;
    bool ctr_pooled;            /* counter from the port's pool (configure) */
    bool ctr_freed;             /* freed on the card with the rule's delete
                                 * (one batch): release must not free it */
    uint8_t astate;             /* enum emunic_flow_astate */
    struct emunic_table *table; /* template table it was made in, or NULL */
    uint32_t generation;        /* adapter->generation at creation */
    uint32_t rss_ctx;           /* its RSS action's context, 0: none */
    struct snic_hmap_node hnode;    /* in the port's flow_index */
};
TAILQ_HEAD(emunic_flow_list, rte_flow);

struct emunic_port {
    struct emunic_adapter *ad;
    TAILQ_ENTRY(emunic_port) ad_next;   /* in ad->ports, under ad->lock */
    enum emunic_role role;
    uint16_t vport;             /* the vport this port is / represents */
    uint16_t port_id;
    uint16_t nb_rxq_req;        /* devargs rxq/txq: advertised maxima */
    uint16_t nb_txq_req;
    struct rte_ether_addr mac;
    bool started;
    /* its function left the card (VF removed): RMV raised, bursts move
     * nothing, only stop/close make sense. Atomic: set by the alarm. */
    bool gone;
    /* port-level RSS (PF and representors): what the application set,
     * and the card's context spreading this vport's misses while started
     * (0: none) */
    uint64_t rss_hf;
    uint8_t rss_key[FW_RSS_KEY_SIZE];
    uint16_t reta[EMUNIC_RETA_SIZE];
    uint32_t rss_ctx;
    struct emunic_rxq rxq[EMUNIC_MAX_QUEUES];
    struct emunic_txq txq[EMUNIC_MAX_QUEUES];
    struct emunic_flow_list flows;
    /* Live handles by address (emunic_flow.c, under ad->lock): destroy
     * checks a handle is one of this port's in O(1) without dereferencing
     * it. Not built until needed and after every flush (flow_indexed
     * false); rebuilt from flows. */
    struct snic_hmap flow_index;
    bool flow_indexed;
    /* rte_flow_configure's flow queues, counter pool, templates and
     * tables (emunic_flow_template.c); NULL until configured */
    struct emunic_async *async;
};

/* Adapter helpers (emunic_adapter.c). Every call takes ad->lock. */
int emunic_adapter_exec(struct emunic_adapter *ad, uint16_t opcode, void *in,
                        size_t in_size, void *out, size_t out_size,
                        uint8_t *status, uint32_t *syndrome)
    SNIC_EXCLUDES(ad->lock);
int emunic_adapter_exec_locked(struct emunic_adapter *ad, uint16_t opcode,
                               void *in, size_t in_size, void *out,
                               size_t out_size, uint8_t *status,
                               uint32_t *syndrome)
    SNIC_REQUIRES(ad->lock);
/* One command of emunic_adapter_exec_batch_locked: what to send, where
 * its output goes, and (filled in) the card's status and syndrome. */
struct emunic_cmd {
    uint16_t opcode;
    void *in;
    size_t in_size;
    void *out;
    size_t out_size;
    uint8_t status;
    uint32_t synd;
};
/* @n commands (at most the channel's depth) posted together, one doorbell,
 * one wait: the card runs them in order, each with its own status. 0 with
 * every status filled in, or a negative errno for the transport (the card
 * is then marked dead, as emunic_adapter_exec_locked does). */
int emunic_adapter_exec_batch_locked(struct emunic_adapter *ad,
                                     struct emunic_cmd *cmds, unsigned n)
    SNIC_REQUIRES(ad->lock);
int emunic_vport_stats(struct emunic_adapter *ad, uint16_t vport,
                       struct fw_vport_stats_out *out);
int emunic_vport_query(struct emunic_adapter *ad, uint16_t vport,
                       struct fw_vport_ctx *ctx);
bool emunic_adapter_alive(struct emunic_adapter *ad);
/* Port @dev's link status, as one atomic store of ethdev's link word: the
 * alarm sets it (interrupt thread) while the application may ask for it. */
struct rte_eth_dev;
void emunic_port_link_set(struct rte_eth_dev *dev, bool up);
/* Port @p (p->ad set, its ethdev's data filled) joins its adapter's list:
 * from now on the adapter's events reach it. Takes ad->lock. */
void emunic_adapter_port_add(struct emunic_port *p)
    SNIC_EXCLUDES(p->ad->lock);
/* Port @p closes: the adapter's events stop reaching it. Once this
 * returns no thread of the driver touches @p, which may then be freed;
 * an event being raised right now may still name its port id. Takes
 * ad->lock. */
void emunic_adapter_port_del(struct emunic_port *p)
    SNIC_EXCLUDES(p->ad->lock);
/* Notice death or a firmware reset; emits ethdev events for @ad's ports.
 * Takes ad->lock and calls the applications' callbacks without it. */
void emunic_adapter_check(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock);
/* The same without looking at the socket (no system call): for a caller
 * about to send the card a command, which notices a dead card itself. */
void emunic_adapter_check_quick(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock);
/* Notice a firmware reset with ad->lock held (no events: the next
 * emunic_adapter_check raises them). True when the card's reset generation
 * moved since the adapter last looked: every older flow is lost. */
bool emunic_adapter_sync_locked(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock);

/* Tell the adapter a channel call failed with @err: a transport failure
 * (-EPIPE, -ETIMEDOUT, -EPROTO) marks it dead. Caller holds ad->lock. */
void emunic_adapter_fail_locked(struct emunic_adapter *ad, int err)
    SNIC_REQUIRES(ad->lock);

/* Wipe what an earlier driver of the card left (STEERING_FLUSH, ABI 1.1):
 * the PF port issues it once at probe, before any flow. 0 when done or
 * when the card is too old to know it (nothing to flush); a negative errno
 * otherwise. Takes ad->lock. */
int emunic_adapter_flush_steering(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock);

/*
 * Adoption (emunic_adopt.c). With keep_rules=1 a driver that starts finds
 * the rules an earlier instance left in the card (RULE_QUERY) and keeps
 * them as orphans, by content: group, priority, match and the action list
 * with counter ids left out. A create whose translated rule is identical
 * to an orphan takes it over instead of adding a rule, so traffic through
 * it never stops and its counter keeps counting; the application removes
 * the orphans nobody took once it has installed what it wants
 * (rte_pmd_emunic_orphans_purge). A firmware reset takes them all.
 */
struct emunic_orphan;
/* Read the card's rules into ad->orphans (PF probe). 0 or a negative
 * errno (the card's listing failed). */
int emunic_orphans_load(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock);
/* Take over the orphan identical to @x's rule, if there is one: @flow gets
 * its rule id, counter and generation (not linked yet). True when
 * adopted. @x's COUNT counter id must still be 0. */
bool emunic_orphan_adopt_locked(struct emunic_port *p,
                                const struct fw_rule_add_in *rule,
                                int count_idx, struct rte_flow *flow)
    SNIC_REQUIRES(p->ad->lock);
/* Forget every orphan without a command (a reset took them, or close). */
void emunic_orphans_drop_locked(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock);

/* Counter cache (emunic_counter.c); all but init/fini need ad->lock. */
void emunic_ctr_init(struct emunic_adapter *ad, uint32_t refresh_ms);
void emunic_ctr_fini(struct emunic_adapter *ad);
/* Room for @more slots, so that add cannot fail once the card holds the
 * counter. 0 or -ENOMEM. */
int emunic_ctr_reserve(struct emunic_adapter *ad, uint32_t more)
    SNIC_REQUIRES(ad->lock);
/* Give @flow (has_counter, counter_id, generation set) its slot. */
void emunic_ctr_add(struct emunic_adapter *ad, struct rte_flow *flow)
    SNIC_REQUIRES(ad->lock);
void emunic_ctr_del(struct emunic_adapter *ad, struct rte_flow *flow)
    SNIC_REQUIRES(ad->lock);
/*
 * COUNT value of @flow (of the adapter's current generation): from the cache
 * unless it is older than refresh_ms (then every counter is swept first),
 * or read synchronously when @clear (read and zero), when the cache is off,
 * or when the sweep could not read this counter. 0 with the device's
 * *@status (values valid only when FW_STATUS_OK), or a negative errno when
 * the card is not answering.
 */
int emunic_ctr_query(struct emunic_adapter *ad, struct rte_flow *flow,
                     bool clear, struct fw_counter_value *val,
                     uint8_t *status, uint32_t *syndrome)
    SNIC_REQUIRES(ad->lock);

/* Representor hotplug (emunic_probe.c). Follow the card's SR-IOV view:
 * RMV for representors whose VF went, new ethdevs (NEW) for listed VFs
 * that exist. Called by the adapter's alarm; takes ad->lock and calls the
 * application's callbacks without it. */
void emunic_reps_sync(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock);
/* The application closes representor @p: the alarm leaves its slot alone
 * (no event on a closing port) until emunic_rep_closed(). Takes ad->lock. */
void emunic_rep_closing(struct emunic_port *p)
    SNIC_EXCLUDES(p->ad->lock);
/* The close of representor port @port_id is done with its private data
 * (@gone: its VF had left): the slot may get a new ethdev once the VF
 * exists. The last touch of the port's memory on the closing side: the
 * alarm's new port may reuse it. Takes ad->lock. */
void emunic_rep_closed(struct emunic_adapter *ad, uint16_t port_id,
                       bool gone)
    SNIC_EXCLUDES(ad->lock);
/* The PF port closes: no representor is created any more; waits for an
 * alarm that may be creating one. */
void emunic_hotplug_stop(struct emunic_adapter *ad);
void emunic_adapter_put(struct emunic_adapter *ad);

/* Bursts (emunic_rxtx.c). */
uint16_t emunic_rx_burst(void *q, struct rte_mbuf **bufs, uint16_t n);
uint16_t emunic_tx_burst(void *q, struct rte_mbuf **bufs, uint16_t n);

struct rte_eth_dev;
struct rte_eth_dev_info;
struct rte_eth_rss_conf;
struct rte_eth_rss_reta_entry64;

/* Port-level RSS (emunic_rss.c): dev_infos, configure, start/stop of the
 * port's default context, and the ethdev RSS ops. */
void emunic_rss_infos(struct emunic_port *p, struct rte_eth_dev_info *info);
int emunic_rss_configure(struct rte_eth_dev *dev);
int emunic_rss_start(struct rte_eth_dev *dev);
void emunic_rss_stop(struct rte_eth_dev *dev);
int emunic_rss_hash_update(struct rte_eth_dev *dev,
                           struct rte_eth_rss_conf *conf);
int emunic_rss_hash_conf_get(struct rte_eth_dev *dev,
                             struct rte_eth_rss_conf *conf);
int emunic_rss_reta_update(struct rte_eth_dev *dev,
                           struct rte_eth_rss_reta_entry64 *conf,
                           uint16_t size);
int emunic_rss_reta_query(struct rte_eth_dev *dev,
                          struct rte_eth_rss_reta_entry64 *conf,
                          uint16_t size);
/* Create / destroy an RSS context with ad->lock held: 0 with *@id, or a
 * negative errno (device refusal logged into @why when not NULL). */
int emunic_rss_ctx_create_locked(struct emunic_adapter *ad,
                                 struct fw_rss_ctx_create_in *in,
                                 uint32_t *id, uint8_t *status,
                                 uint32_t *synd)
    SNIC_REQUIRES(ad->lock);
void emunic_rss_ctx_destroy_locked(struct emunic_adapter *ad, uint32_t id)
    SNIC_REQUIRES(ad->lock);

/* rte_flow ops (emunic_flow.c). */
extern const struct rte_flow_ops emunic_flow_ops;
int emunic_flow_flush_port(struct emunic_port *p, struct rte_flow_error *error);
/* Free every handle of @p without a command (close after a failed flush). */
void emunic_flow_forget_port(struct emunic_port *p);
/* Shared by the sync and the template/async paths (emunic_flow.c): the
 * checks every rule goes through then the translation; the device table of
 * a group (ad->lock held); the handle index; releasing a handle whose rule
 * the card no longer holds (@in_card: it was deleted just now, so its
 * counter and RSS context go too); the "card not answering" error. */
/* Only the PF (eSwitch manager) and its representors program steering
 * rules: -ENOTSUP with the reason for a VF or uplink port, else 0. */
int emunic_flow_role_check(struct rte_eth_dev *dev,
                           struct rte_flow_error *error);
int emunic_flow_translate_dev(struct rte_eth_dev *dev,
                              const struct rte_flow_attr *attr,
                              const struct rte_flow_item items[],
                              const struct rte_flow_action actions[],
                              struct emunic_xlate *x,
                              struct rte_flow_error *error);
int emunic_flow_group_get_locked(struct emunic_adapter *ad, uint32_t group,
                                 const struct rte_flow_action *jump,
                                 struct rte_flow_error *error)
    SNIC_REQUIRES(ad->lock);
/* A zeroed handle from the handles' own blocks (emunic_handle.c), or NULL
 * with errno ENOMEM; back with emunic_handle_free(). Any thread. */
struct rte_flow *emunic_handle_new(void);
void emunic_handle_free(struct rte_flow *f);
int emunic_flow_index_reserve(struct emunic_port *p, uint32_t more);
bool emunic_flow_index_has(const struct emunic_port *p,
                           const struct rte_flow *flow);
void emunic_flow_index_add(struct emunic_port *p, struct rte_flow *flow);
void emunic_flow_release_locked(struct emunic_port *p, struct rte_flow *flow,
                                bool in_card)
    SNIC_REQUIRES(p->ad->lock);
int emunic_flow_dead(struct emunic_adapter *ad, struct rte_flow_error *error);

/* ------------------------------------------------------------------------
 * The template/async API (emunic_flow_template.c, emunic_flow_async.c)
 * ------------------------------------------------------------------------ */

/*
 * rte_flow_configure makes a port's flow queues and its counter pool.
 *
 * A flow queue is a ring of operations, used by one thread (DPDK's rule:
 * no lock between enqueue, push and pull of one queue). async_create
 * translates the rule at once, with the walker validate and create run, so
 * a rule the sync API refuses is refused here with the same error, and
 * queues the firmware command; push posts every queued command into the
 * channel and rings the doorbell, without waiting; pull reaps the
 * completions, each one the result of its operation, and hands the results
 * out in order with the user data. An operation holds its ring
 * slot until pulled: a full ring refuses the next enqueue with EAGAIN.
 *
 * Counters: a rule's COUNT needs a counter id before its RULE_ADD, and
 * allocating one per rule would cost a round trip each. configure's
 * nb_counters are allocated in bulk (COUNTER_ALLOC of 1024 ids a command)
 * into the port's pool by the first push that needs one, not by configure:
 * an application configures its flow engine before it starts its ports,
 * and a million ids are a thousand commands that would delay the start of
 * its traffic (snicd's restart: docs/snicd.md). Push hands them out. A
 * destroyed rule's counter is zeroed (COUNTER_QUERY with CLEAR, 60 ids a
 * command) before reuse.
 */
#define EMUNIC_ASYNC_MAX_QUEUES     64u
#define EMUNIC_ASYNC_MAX_QSIZE      65536u
#define EMUNIC_ASYNC_DEF_QSIZE      1024u
#define EMUNIC_TMPL_MAX_ITEMS       32u
#define EMUNIC_CPOOL_CHUNK          1024u

struct emunic_aop;

struct emunic_aqueue {
    struct emunic_aop *op;      /* ring of size entries */
    uint32_t size;              /* a power of two */
    uint32_t mask;
    uint32_t enq;               /* next free: ops enqueued */
    uint32_t pushed;            /* [done, pushed): given to the card */
    uint32_t done;              /* [pulled, done): results to pull */
    uint32_t pulled;
    uint16_t id;
    /* the table last checked, valid while tables_gen holds still */
    struct emunic_table *tcache;
    uint32_t tcache_gen;
};

/* The port's counter pool: ids allocated by the first push that needs one
 * (and again after a firmware reset) in COUNTER_ALLOC ranges; free ones
 * are zero on the card, dirty ones wait for a clear. */
struct emunic_cpool {
    uint32_t *free_ids;         /* ids handed out and back (a stack) */
    uint32_t n_free;
    /* ids of the allocated ranges never handed out: from range
     * fresh_range, fresh_off into it, on (lowest first). Not copied into
     * free_ids at allocation: a million ids are 4 MB written at once */
    uint32_t fresh_range;
    uint32_t fresh_off;
    uint32_t *dirty;
    uint32_t n_dirty;
    uint32_t cap;               /* ids in the pool */
    uint32_t *range_base;       /* COUNTER_ALLOC ranges, to free them */
    uint32_t *range_len;
    uint32_t n_ranges;
    uint32_t generation;        /* adapter generation of the ids */
    bool deferred;              /* configured, nothing asked of the card
                                 * yet: refill allocates the ids */
};

TAILQ_HEAD(emunic_ptmpl_list, rte_flow_pattern_template);
TAILQ_HEAD(emunic_atmpl_list, rte_flow_actions_template);
TAILQ_HEAD(emunic_table_list, emunic_table);

/*
 * At most one log line a second for one kind of refusal: a control plane
 * pushing a batch of a million rules into a full card or an empty counter
 * pool would otherwise write a million lines. The first refusal is logged
 * at once; the next line a second later says how many were not.
 */
struct emunic_log_limit {
    uint64_t next;              /* timer cycles: when a line may go out */
    uint32_t quiet;             /* refusals not logged since the last line */
};

/* true: log now (*@quiet: how many were not since the last line). */
bool emunic_log_limit_pass(struct emunic_log_limit *l, uint32_t *quiet);

struct emunic_async {
    uint16_t nb_queues;
    struct emunic_aqueue *q;
    struct emunic_cpool cpool;
    uint32_t nb_counters;       /* asked at configure */
    uint32_t ctr_pending;       /* pooled counters of ops not finished */
    struct emunic_ptmpl_list ptmpls;
    struct emunic_atmpl_list atmpls;
    struct emunic_table_list tables;
    uint32_t tables_gen;        /* +1 when a table comes or goes (atomic) */
    struct emunic_log_limit log_no_counter;     /* the pool used up */
    struct emunic_log_limit log_refused;        /* the card refused a rule */
};

struct rte_flow_pattern_template {
    TAILQ_ENTRY(rte_flow_pattern_template) next;
    struct rte_flow_pattern_template_attr attr;
    uint32_t refcnt;            /* tables using it */
    uint32_t n_items;           /* without END */
    struct rte_flow_item *items;    /* deep copy (rte_flow_conv) */
};

struct rte_flow_actions_template {
    TAILQ_ENTRY(rte_flow_actions_template) next;
    struct rte_flow_actions_template_attr attr;
    uint32_t refcnt;
    uint32_t n_actions;         /* without END */
    struct rte_flow_action *actions;    /* deep copies */
    struct rte_flow_action *masks;
};

struct emunic_table {
    TAILQ_ENTRY(emunic_table) next;
    struct rte_flow_attr attr;
    uint32_t nb_flows;
    uint32_t n_flows;           /* live rules made in it (under ad->lock) */
    uint8_t n_ptmpl, n_atmpl;
    struct rte_flow_pattern_template **ptmpl;
    struct rte_flow_actions_template **atmpl;
};

/* emunic_flow_template.c */
int emunic_flow_info_get(struct rte_eth_dev *dev,
                         struct rte_flow_port_info *port_info,
                         struct rte_flow_queue_info *queue_info,
                         struct rte_flow_error *error);
int emunic_flow_configure(struct rte_eth_dev *dev,
                          const struct rte_flow_port_attr *port_attr,
                          uint16_t nb_queue,
                          const struct rte_flow_queue_attr *queue_attr[],
                          struct rte_flow_error *error);
struct rte_flow_pattern_template *emunic_pattern_template_create(
    struct rte_eth_dev *dev, const struct rte_flow_pattern_template_attr *attr,
    const struct rte_flow_item pattern[], struct rte_flow_error *error);
int emunic_pattern_template_destroy(struct rte_eth_dev *dev,
                                    struct rte_flow_pattern_template *t,
                                    struct rte_flow_error *error);
struct rte_flow_actions_template *emunic_actions_template_create(
    struct rte_eth_dev *dev, const struct rte_flow_actions_template_attr *attr,
    const struct rte_flow_action actions[],
    const struct rte_flow_action masks[], struct rte_flow_error *error);
int emunic_actions_template_destroy(struct rte_eth_dev *dev,
                                    struct rte_flow_actions_template *t,
                                    struct rte_flow_error *error);
struct rte_flow_template_table *emunic_template_table_create(
    struct rte_eth_dev *dev, const struct rte_flow_template_table_attr *attr,
    struct rte_flow_pattern_template *ptmpl[], uint8_t n_ptmpl,
    struct rte_flow_actions_template *atmpl[], uint8_t n_atmpl,
    struct rte_flow_error *error);
int emunic_template_table_destroy(struct rte_eth_dev *dev,
                                  struct rte_flow_template_table *table,
                                  struct rte_flow_error *error);
/* A rule of @table left (destroyed, flushed, lost). ad->lock held. */
void emunic_table_flow_gone(struct emunic_table *table);
/* The live table behind an application's handle, or NULL. */
struct emunic_table *emunic_table_lookup(struct emunic_port *p,
                                         const void *handle);
/* Port close, before the flush: drop queued operations, templates and
 * tables; after it: the counter pool and the queues. */
void emunic_async_teardown(struct emunic_port *p);
void emunic_async_free(struct emunic_port *p);
/* Bytes of one queued operation (private to emunic_flow_async.c). */
size_t emunic_aop_size(void);
/* Counter pool (emunic_cpool.c, ad->lock held): a counter of a destroyed
 * rule of generation @gen comes back dirty; refill zeroes the dirty ids on
 * the card and frees them (the pool's ids at its first call after
 * configure, a new pool after a reset). */
void emunic_cpool_put_locked(struct emunic_port *p, uint32_t id, uint32_t gen)
    SNIC_REQUIRES(p->ad->lock);
int emunic_cpool_refill_locked(struct emunic_port *p)
    SNIC_REQUIRES(p->ad->lock);
/* emunic_cpool.c: the memory of a pool of @cap ids (nothing asked of
 * the card yet; 0 or -ENOMEM); allocate @cp->cap ids on the card (ranges
 * of 1,024; @error may be NULL), and give them back with the pool's
 * memory. */
int emunic_cpool_init(struct emunic_cpool *cp, uint32_t cap);
/* An id for a rule (false: the pool is used up); one the rule never
 * used, given back. */
bool emunic_cpool_take(struct emunic_cpool *cp, uint32_t *id);
void emunic_cpool_give(struct emunic_cpool *cp, uint32_t id);
int emunic_cpool_alloc_locked(struct emunic_adapter *ad,
                              struct emunic_cpool *cp,
                              struct rte_flow_error *error)
    SNIC_REQUIRES(ad->lock);
void emunic_cpool_fini_locked(struct emunic_adapter *ad,
                              struct emunic_cpool *cp)
    SNIC_REQUIRES(ad->lock);

/* emunic_flow_async.c */
struct rte_flow *emunic_flow_async_create(
    struct rte_eth_dev *dev, uint32_t queue_id,
    const struct rte_flow_op_attr *op_attr,
    struct rte_flow_template_table *table, const struct rte_flow_item pattern[],
    uint8_t pattern_template_index, const struct rte_flow_action actions[],
    uint8_t actions_template_index, void *user_data,
    struct rte_flow_error *error);
int emunic_flow_async_destroy(struct rte_eth_dev *dev, uint32_t queue_id,
                              const struct rte_flow_op_attr *op_attr,
                              struct rte_flow *flow, void *user_data,
                              struct rte_flow_error *error);
int emunic_flow_push(struct rte_eth_dev *dev, uint32_t queue_id,
                     struct rte_flow_error *error);
int emunic_flow_pull(struct rte_eth_dev *dev, uint32_t queue_id,
                     struct rte_flow_op_result res[], uint16_t n_res,
                     struct rte_flow_error *error);
/* Give back every operation still queued on @q without executing it (port
 * close): a queued create's handle is freed, a queued destroy's flow is
 * the application's again. ad->lock held. */
void emunic_aqueue_drop_locked(struct emunic_port *p, struct emunic_aqueue *q)
    SNIC_REQUIRES(p->ad->lock);
/* Reap every flow queue command still in the channel into its operation
 * (ad->lock held). Push leaves its commands in flight; anything else that
 * uses the channel (a sync command, a counter sweep, a pool refill) drains
 * them first, since it reaps only its own. */
void emunic_async_drain_locked(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock);

#endif /* EMUNIC_H */
