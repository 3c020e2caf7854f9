/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private half of the device model: the objects behind struct emu_dev and
 * the calls between its files. Only firmware-api/emu/ and the device-model
 * tests include this.
 *
 * Object nesting follows the card: device -> vports (uplink + VFs) ->
 * steering (tables -> tuples by mask -> rules) -> counters. Every command
 * validates completely before it mutates anything, so a refused command
 * leaves all of this exactly as it was.
 *
 * Thread-safety: none; the server's loop owns the device.
 */
#ifndef SNIC_EMU_DEV_PRIV_H
#define SNIC_EMU_DEV_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_dev.h"
#include "snic/fw_abi.h"
#include "snic_hmap.h"

#define EMU_MAX_VFS             256u
#define EMU_DEFAULT_MTU         1500u
#define EMU_MAX_MTU             1950u   /* VXLAN-encapsulated max frame fits */
#define EMU_MIN_MTU             68u
#define EMU_COUNTER_ALLOC_MAX   1024u
#define EMU_FAULT_DELAY_MAX     10000000u /* 10 s */
#define EMU_KEY_WORDS           (sizeof(struct emu_key) / 8u)
#define EMU_RSS_CTX_MAX         256u

/* ------------------------------------------------------------------------
 * Steering
 * ------------------------------------------------------------------------ */

/* What a lookup compares (ABI 1.9): the header fields with the META
 * register in m.meta, then the TAG registers. Rules and tuples keep it
 * whole, so the metadata costs the classifier nothing but four words. */
struct emu_key {
    struct fw_match m;
    uint32_t tag[FW_NUM_TAGS];
};

struct emu_table;

struct emu_rule {
    struct snic_hmap_node node; /* in its tuple's map, hash of value */
    struct emu_tuple *tuple;
    struct emu_table *table;
    struct emu_table *jump;     /* resolved JUMP target, NULL without */
    uint64_t seq;               /* add order: earlier wins a tie */
    uint64_t value[EMU_KEY_WORDS]; /* struct emu_key, pre-masked */
    uint32_t id;
    uint16_t priority;
    uint16_t n_actions;
    /* the device rewrote its actions when a VF it sent to was removed
     * (FW_SRIOV_F_IN_PLACE): counted apart until the driver deletes it */
    bool tombstone;
    struct fw_action actions[];
};

/* All rules of one table that share one mask ("tuple space search"). */
struct emu_tuple {
    struct snic_hmap_node node; /* in the table's tuple map, hash of mask */
    uint64_t mask[EMU_KEY_WORDS];
    struct snic_hmap rules;
    uint32_t n_rules;
    uint16_t best_prio;         /* lowest priority number present */
    uint32_t *prio_count;       /* [prio_per_table] rules per priority */
};

struct emu_table {
    uint32_t group;
    uint32_t level;
    uint32_t n_rules;
    uint32_t jump_refs;         /* rules whose JUMP targets this table */
    struct snic_hmap tuples;    /* by mask */
    struct emu_tuple **tvec;    /* same tuples, for the lookup scan */
    uint32_t n_tvec, cap_tvec;
};

struct emu_rule_slot {
    struct emu_rule *rule;      /* NULL when free */
    uint32_t gen;               /* generation of the current or next rule */
    uint32_t next_free;
};

struct emu_steering {
    struct emu_table **tables;  /* [caps.max_tables], NULL when free */
    uint32_t n_tables;
    struct emu_rule_slot *slots;
    uint32_t n_slots, cap_slots;
    uint32_t free_head;         /* UINT32_MAX: none */
    uint32_t n_rules;
    uint32_t n_tombstones;      /* of n_rules, rules with tombstone set */
    uint64_t n_added;           /* RULE_ADDs that took, since start */
    uint64_t n_deleted;         /* RULE_DELETEs that removed one */
    uint32_t idx_bits;          /* rule id = gen << idx_bits | index */
    uint64_t next_seq;
};

/* ------------------------------------------------------------------------
 * Counters: ids 1..max_counters (0 is never allocated)
 * ------------------------------------------------------------------------ */

struct emu_counter {
    uint64_t packets;
    uint64_t bytes;
    uint64_t stamp;             /* epoch of its last change (COUNTER_MOVED) */
    uint32_t range_base;        /* 0: free; else the id its ALLOC returned */
    uint32_t range_count;       /* on the base entry only */
    uint32_t refs;              /* rules counting into it */
};

/* ------------------------------------------------------------------------
 * RSS contexts (ABI 1.5): ids 1..EMU_RSS_CTX_MAX, id - 1 in dev->rss
 * ------------------------------------------------------------------------ */

struct emu_rss_ctx {
    bool used;
    uint32_t refs;              /* rules whose FW_ACT_RSS names it */
    uint16_t vport;             /* whose representor queues */
    uint32_t types;             /* FW_RSS_* */
    uint8_t key[FW_RSS_KEY_SIZE];
    uint16_t n_queues;
    uint16_t queues[FW_RSS_QUEUES_MAX];
};

/* What a context made of one frame. */
struct emu_rss_pick {
    bool has_hash;
    uint32_t hash;
    uint16_t queue;
};

/* ------------------------------------------------------------------------
 * Vports
 * ------------------------------------------------------------------------ */

struct emu_vport_stats {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_dropped, tx_dropped, rep_rx_packets, rep_rx_dropped;
};

struct emu_vport {
    struct fw_vport_ctx ctx;    /* oper_up is computed on query */
    struct emu_vport_stats stats;
    uint32_t rule_refs;         /* rules naming this vport (match or fwd) */
    uint32_t rss_default;       /* RSS context spreading its misses, 0 */
    double tb_tokens;           /* token bucket, bytes */
    uint64_t tb_last_ns;
};

/* ------------------------------------------------------------------------
 * Fault knobs
 * ------------------------------------------------------------------------ */

struct emu_knob {
    uint32_t count;             /* 0: off */
    uint16_t opcode;            /* 0: any */
    uint8_t status;
};

struct emu_faults {
    struct emu_knob fail_next;
    struct emu_knob drop_next;
    struct emu_knob garbage_next;
    uint32_t delay_us;
    uint16_t delay_opcode;      /* 0: every command is delayed */
};

/* ------------------------------------------------------------------------
 * The device
 * ------------------------------------------------------------------------ */

struct emu_dev {
    struct emu_config cfg;
    struct emu_dev_ops ops;
    void *ctx;
    struct fw_caps caps;        /* num_vfs and esw_mode kept current */

    uint32_t health;
    uint32_t reset_generation;
    uint32_t fatal_syndrome;
    uint64_t start_ns;
    uint64_t commands;
    uint64_t commands_failed;

    struct emu_vport *vports;   /* [1 + max_vfs] */
    /* SR-IOV as drivers see it in their regions (ABI 1.2): bumped on every
     * change of the set of VFs; vf_generation[n] is its value when VF n
     * was last created (0: never) */
    uint32_t sriov_generation;
    uint32_t vf_generation[EMU_MAX_VFS];
    struct emu_steering steer;
    struct emu_counter *counters; /* [max_counters], id - 1 */
    struct emu_rss_ctx rss[EMU_RSS_CTX_MAX];
    struct emu_faults faults;
};

/* One command being executed. */
struct emu_cmd {
    uint16_t function;
    struct fw_cmd_hdr hdr;
    const uint8_t *raw;         /* the driver's input, hdr.in_size bytes */
    uint8_t *out;               /* FW_SLOT_OUT_MAX bytes */
    uint32_t out_len;           /* bytes written incl. fw_out_hdr */
    uint32_t syndrome;
};

typedef uint8_t (*emu_cmd_fn)(struct emu_dev *dev, struct emu_cmd *cmd);

/*
 * Who calls whom. emu_dev.c is the dispatcher: the gate, then the handler
 * of emu_cmds[] in a feature file (vport, steering, rule query, RSS,
 * counter, fault, reset). Feature files call forward into the leaves below
 * (emu_cmd.c, emu_lookup.c, common/snic_clock.h), which call nothing
 * back; the steering file calls the rule checker, and reset and SR-IOV
 * changes call the files that own what they take away. No file calls the
 * dispatcher.
 */

/* emu_cmd.c (leaf): input discipline shared by every handler */
uint8_t emu_cmd_input(struct emu_cmd *cmd, void *in, size_t size);
uint8_t emu_cmd_trailing(struct emu_cmd *cmd, uint32_t known);
uint8_t emu_cmd_need_out(struct emu_cmd *cmd, uint32_t size);
bool emu_bytes_zero(const void *p, size_t size);
uint8_t emu_fail(struct emu_cmd *cmd, uint8_t status, uint32_t syndrome);
bool emu_func_is_vf(const struct emu_dev *dev, uint16_t function);

/* emu_lookup.c (leaf): the device's objects by id, pure reads */
bool emu_vport_exists(const struct emu_dev *dev, uint32_t vport);
struct emu_table *emu_steer_table(const struct emu_dev *dev, uint32_t group);
/* NULL unless @id is an allocated counter */
struct emu_counter *emu_counter_get(const struct emu_dev *dev, uint32_t id);
const struct emu_rss_ctx *emu_rss_get(const struct emu_dev *dev, uint32_t id);

/* emu_counter.c: a hit of counter @id (ignored unless allocated), @len
 * bytes: counts and stamps it for COUNTER_MOVED; the epoch back to 1 at a
 * firmware reset */
void emu_counter_hit(struct emu_dev *dev, uint32_t id, uint32_t len);
void emu_counter_epoch_reset(struct emu_dev *dev);

/* emu_reset.c: FUNCTION_RESET, and the firmware reset it and the RESET
 * fault knob share */
void emu_dev_firmware_reset(struct emu_dev *dev);
uint8_t emu_cmd_function_reset(struct emu_dev *dev, struct emu_cmd *cmd);

/* emu_vport.c */
uint8_t emu_cmd_sriov_enable(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_sriov_disable(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_esw_get_mode(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_esw_set_mode(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_vport_query(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_vport_modify(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_vport_stats(struct emu_dev *dev, struct emu_cmd *cmd);
void emu_vport_reset_ctx(struct emu_dev *dev, uint16_t vport);
bool emu_vport_oper_up(const struct emu_dev *dev, uint16_t vport);

/* emu_steering.c */
int emu_steer_init(struct emu_dev *dev);
void emu_steer_fini(struct emu_dev *dev);
/* Vports >= @first are going away (FW_SRIOV_F_IN_PLACE): rules that can
 * only match frames from them are destroyed, rules that send to them become
 * tombstones (those outputs taken out; DROP, COUNTs kept, when no fate is
 * left). Cannot fail. */
void emu_steer_vports_removed(struct emu_dev *dev, uint16_t first);
/* Destroy every table and rule; recreate the root table when @switchdev. */
int emu_steer_flush(struct emu_dev *dev, bool switchdev);
/* Highest-priority (lowest number, then earliest) rule matching @key. */
const struct emu_rule *emu_steer_lookup(const struct emu_table *t,
                                        const struct emu_key *key);
const struct emu_rule *emu_steer_rule(const struct emu_dev *dev, uint32_t id);
/* RULE_DELETE of @id coming (emu_dev_prefetch): stage 0 loads the bucket
 * of its tuple's map, stage 1 the first node of that bucket's chain. */
void emu_steer_prefetch_delete(const struct emu_dev *dev, uint32_t id,
                               unsigned stage);
uint8_t emu_cmd_table_create(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_table_destroy(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_rule_add(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_rule_delete(struct emu_dev *dev, struct emu_cmd *cmd);
/* STEERING_FLUSH: rules, tables but the root, and counters (emu_counter.c) */
uint8_t emu_cmd_steering_flush(struct emu_dev *dev, struct emu_cmd *cmd);
/* STEERING_RECLAIM (1.7): counter ranges and RSS contexts no rule uses */
uint8_t emu_cmd_steering_reclaim(struct emu_dev *dev, struct emu_cmd *cmd);

/* emu_rule_check.c: RULE_ADD validation; 0 or a status with *synd set */
uint8_t emu_rule_check_match(const struct emu_dev *dev,
                             const struct fw_match *value,
                             const struct fw_match *mask, uint32_t *synd);
/* ABI 1.9: the TAG words a rule matches */
uint8_t emu_rule_check_tags(const struct emu_dev *dev,
                            const struct fw_tag_match *tags, uint32_t *synd);
uint8_t emu_rule_check_actions(const struct emu_dev *dev,
                               const struct emu_table *table,
                               const struct fw_action *acts, uint16_t n,
                               uint32_t *synd);

/* emu_rule_query.c: RULE_QUERY (ABI 1.3), the rules a page at a time */
uint8_t emu_cmd_rule_query(struct emu_dev *dev, struct emu_cmd *cmd);

/* emu_rss.c: the Toeplitz hash and RSS contexts (ABI 1.5) */
struct emu_layout;
uint32_t emu_rss_toeplitz(const uint8_t key[FW_RSS_KEY_SIZE],
                          const uint8_t *in, size_t n);
/* Hash of the frame parsed into @k/@lay under @types: false when no type
 * applies (not IP, or its types are off). */
bool emu_rss_hash(uint32_t types, const uint8_t key[FW_RSS_KEY_SIZE],
                  const struct fw_match *k, const struct emu_layout *lay,
                  uint32_t *hash);
void emu_rss_pick(const struct emu_rss_ctx *c, const struct fw_match *k,
                  const struct emu_layout *lay, struct emu_rss_pick *out);
/* Every context and every vport's default go (reset, flush, mode). */
void emu_rss_flush(struct emu_dev *dev);
/* Destroy every context no rule names; how many. */
uint32_t emu_rss_reclaim(struct emu_dev *dev);
uint8_t emu_cmd_rss_ctx_create(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_rss_ctx_destroy(struct emu_dev *dev, struct emu_cmd *cmd);

/* emu_counter.c */
int emu_counter_init(struct emu_dev *dev);
void emu_counter_fini(struct emu_dev *dev);
void emu_counter_flush(struct emu_dev *dev);
/* Free every range none of whose counters a rule counts into; the ranges
 * and ids freed, the ids left allocated. */
void emu_counter_reclaim(struct emu_dev *dev, uint32_t *ranges,
                         uint32_t *ids, uint32_t *left);
uint8_t emu_cmd_counter_alloc(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_counter_free(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_counter_query(struct emu_dev *dev, struct emu_cmd *cmd);
uint8_t emu_cmd_counter_moved(struct emu_dev *dev, struct emu_cmd *cmd);

/* emu_fault.c */
uint8_t emu_cmd_debug_fault(struct emu_dev *dev, struct emu_cmd *cmd);
/* Consume a one-shot knob for @opcode: true when it fired. */
bool emu_fault_take(struct emu_knob *k, uint16_t opcode);

/* emu_profile.c */
void emu_profile_fill_caps(const struct emu_config *cfg, struct fw_caps *caps);

#endif /* SNIC_EMU_DEV_PRIV_H */
