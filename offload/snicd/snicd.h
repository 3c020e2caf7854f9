/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's private header: the daemon's state and the seams between its
 * files (docs/snicd.md has the design).
 *
 *   snicd_port.c     port discovery (ethdev), names and OpenFlow numbers
 *   snicd_portmap.c  the name <-> number map (pure; unit-tested)
 *   snicd_core.c     desired state: flow table + listeners (datapath,
 *                    offload manager, journal), batches, stats merging
 *   snicd_journal.c  the crash-safe journal of the desired state
 *   snicd_ctl.c      control-socket methods
 *   snicd_marks.c    the published mark table the workers read
 *   snicd_worker.c   datapath lcores
 *   snicd_opts.c     command line
 *   snicd_main.c     EAL, emunic, the control thread's loop
 *
 * Thread-safety: everything in struct snicd belongs to the control thread,
 * except what the workers read through RCU-style publication (the
 * datapath's snapshots, the mark table) and the per-worker counters, which
 * each worker writes alone and the control thread only reads. What
 * drives the workers (start, stop, park, publish what they read) and what
 * reaches the datapath's writer side or the control socket requires the
 * role snic_control (common/snic_tsa.h: the one role of the control
 * thread, which the datapath and the control server require too), which
 * only the control thread enters (main()): clang refuses a call from
 * anywhere else.
 */
#ifndef SNICD_H
#define SNICD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "snic/ctl.h"
#include "snic/dp.h"
#include "snic/flow.h"
#include "snic_hmap.h"
#include "snic_tsa.h"
#include "snicd_log.h"
#include "snicd_offload.h"
#include "snicd_opts.h"
#include "snicd_util.h"

#define SNICD_OFPORT_UPLINK     1u
#define SNICD_OFPORT_VF_BASE    2u
#define SNICD_OFPORT_VXLAN      100u
/* ports that are neither the uplink nor a representor (a second PF, a
 * pcap or null vdev in a benchmark): "p0", "p1"... from here */
#define SNICD_OFPORT_PLAIN_BASE 200u
/* patch ports (--patch NAME=PEER): the i-th pair 300 + 2i, 301 + 2i */
#define SNICD_OFPORT_PATCH_BASE 300u
#define SNICD_MAX_PORTS         64u
/* OpenFlow numbers below this index the workers' tx table directly. */
#define SNICD_OFPORT_TABLE      256u
#define SNICD_MAX_WORKERS       16u

/* ---- logging: snicd_log.h ---- */

/* ---- ports and names (snicd_portmap.c: pure) ---- */

struct snicd_ports {
    struct snicd_port_info v[SNICD_MAX_PORTS];
    unsigned n;
    /* show: what discovery saw (filled by snicd_port.c) */
    char mac[SNICD_MAX_PORTS][18];
    bool link_up[SNICD_MAX_PORTS];
    bool gone[SNICD_MAX_PORTS];
};

/* Name a port found on the device: the uplink becomes "uplink" (OpenFlow
 * 1), the representor of VF N "vfN" (2 + N). 0, -EEXIST (same name twice),
 * -ENOSPC or -EINVAL (VF index out of range). */
int snicd_ports_add_ethdev(struct snicd_ports *p, uint16_t ethdev,
                           bool is_uplink, int vf);
/* A port outside the switch (no representor, not the uplink): "pN",
 * OpenFlow SNICD_OFPORT_PLAIN_BASE + N with N the next free index. Its
 * flows stay in software unless the hardware accepts them. */
int snicd_ports_add_plain(struct snicd_ports *p, uint16_t ethdev);
/* The host-side port LOCAL (OpenFlow's reserved number) on the --local
 * tap's ethdev. */
int snicd_ports_add_local(struct snicd_ports *p, uint16_t ethdev);
/* The logical VXLAN port "vxlan0" (OpenFlow 100) with its encapsulation. */
int snicd_ports_add_tunnel(struct snicd_ports *p,
                           const struct dp_vxlan_port *vx);
/* The @i-th --patch pair, @name (OpenFlow 300 + 2i) and @peer (301 + 2i).
 * 0, -EEXIST (a name snicd already has), -ENOSPC. */
int snicd_ports_add_patch(struct snicd_ports *p, unsigned i,
                          const char *name, const char *peer);
const struct snicd_port_info *snicd_ports_by_ofport(
    const struct snicd_ports *p, uint32_t ofport);
const struct snicd_port_info *snicd_ports_by_ethdev(
    const struct snicd_ports *p, uint16_t ethdev);
/* "uplink", "pf", "vf3", "vxlan0", a patch port's name -> number;
 * -ENOENT. */
int snicd_ports_lookup(const struct snicd_ports *p, const char *name,
                       uint32_t *ofport);
/* flow_port_map over @p (names for parsing and formatting). */
void snicd_ports_flow_map(const struct snicd_ports *p,
                          struct flow_port_map *map);
/* The VF a representor's ethdev name or switch port stands for:
 * "..._representor_3", "..._representor_vf3", "...representor_c0pf0vf3"
 * give 3; otherwise @switch_port - 1 when the device numbers its switch
 * ports vport-style (uplink 0, VF N at 1 + N); -1 if neither says. */
int snicd_port_vf_from_name(const char *ethdev_name, int switch_port);

/* ---- the switch's ports for ALL, FLOOD and NORMAL (snicd_switch.c) ---- */

/* Give the datapath the ports that are there now (not gone), with their
 * VLAN configuration, those whose link is down (as last refreshed)
 * flagged DP_PORT_DOWN. Logs and keeps the previous set on failure. */
struct snicd;
void snicd_switch_publish(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* The --patch pairs, after the ports found on the device: 0, or -EEXIST
 * (logged: a name snicd already has) or -ENOSPC. */
int snicd_switch_add_patches(struct snicd *d);
/* Every --port names a port snicd has: 0, or -ENOENT (logged). */
int snicd_switch_check(const struct snicd *d);

/* ---- packets to CONTROLLER (snicd_punt.c) ---- */

struct snicd;

#define SNICD_PUNT_KEEP     16u     /* packets kept per worker */
#define SNICD_PUNT_BYTES    128u    /* of each, its first bytes */

struct snicd_punt_slot {
    uint32_t seq;                   /* odd while the worker writes it */
    uint32_t in_port;
    uint32_t len;
    uint64_t ns;
    uint64_t data[SNICD_PUNT_BYTES / 8];
};

/* One worker's ring: it alone writes, the control thread reads. */
struct snicd_punts {
    uint64_t count;                 /* every packet punted */
    struct snicd_punt_slot slot[SNICD_PUNT_KEEP];
};

/* A copy the control thread made. */
struct snicd_punt {
    uint64_t ns;
    uint32_t in_port;
    uint32_t len;                   /* as punted (max_len applied) */
    uint8_t data[SNICD_PUNT_BYTES];
};

/* Worker side: record @out (a CONTROLLER output). */
void snicd_punt_record(struct snicd_punts *r, const struct dp_output *out,
                       uint64_t now_ns);
/* Control side: the kept packets of @r (at most @max). */
size_t snicd_punts_copy(const struct snicd_punts *r, struct snicd_punt *out,
                        size_t max);
/* Every worker's (snicd_worker.c); *@total: all punted so far. */
size_t snicd_workers_punts(const struct snicd *d, struct snicd_punt *out,
                           size_t max, uint64_t *total);

/* ---- journal (snicd_journal.c) ---- */

struct snicd_journal;

/* Replay callback: one journaled change, as a flow and whether it was
 * added (or replaced) or removed. Return a negative errno to stop. */
typedef int snicd_journal_replay_fn(void *ctx, bool add,
                                    const struct flow *f);

/* Open (creating) @path, replay every whole frame into @fn, cut a torn
 * last write off. *@n_lines (may be NULL) gets the number of records
 * kept. A damaged frame before the end is logged (file, byte, line, why)
 * and fails with EBADMSG; a symlink with ELOOP. NULL and errno. */
struct snicd_journal *snicd_journal_open(const char *path,
                                         snicd_journal_replay_fn *fn,
                                         void *ctx, size_t *n_lines);
void snicd_journal_close(struct snicd_journal *j);
/* Queue one change (written at the next sync). 0 or -ENOMEM. */
int snicd_journal_record(struct snicd_journal *j, bool add,
                         const struct flow *f);
/* Where the queue ends now, and forget what was queued after that (a
 * batch that is not applied after all). */
size_t snicd_journal_mark(const struct snicd_journal *j);
void snicd_journal_discard(struct snicd_journal *j, size_t mark);
/* Write what was queued as one frame and fdatasync it: after 0 it survives
 * a crash. On failure nothing of it stays in the file (it is cut off
 * again) and it stays queued: discard it or sync again. */
int snicd_journal_sync(struct snicd_journal *j);
/* A format-1 file was read: snicd_journal_compact() must rewrite it
 * before anything can be appended. */
bool snicd_journal_needs_rewrite(const struct snicd_journal *j);
/* Records in the file (after the last compaction). */
size_t snicd_journal_lines(const struct snicd_journal *j);
/* Should the journal be rewritten for @live flows? (lines > 2 * live, or
 * an old format) */
bool snicd_journal_wants_compaction(const struct snicd_journal *j,
                                    size_t live);
/* Atomically replace the file by one add record per flow of @t. */
int snicd_journal_compact(struct snicd_journal *j,
                          const struct flow_table *t);
/* The same, for a batch that emptied whole tables (FLOW_CHANGE_CLEARED):
 * what was queued is dropped instead of written first, since @t holds
 * every queued change already; the file then says "these flows" in one
 * atomic step (a crash leaves the old file or the new one, never half of
 * the delete). On failure the queue stays (discard it or try again). */
int snicd_journal_rewrite(struct snicd_journal *j,
                          const struct flow_table *t);
const char *snicd_journal_path(const struct snicd_journal *j);

/* ---- mark table (snicd_marks.c) ---- */

/* A mark a rule an earlier instance left in the card sets: the rule's
 * group, and the group it jumps to (UINT32_MAX: none). */
struct snicd_held_mark {
    uint32_t mark;
    uint32_t group;
    uint32_t jump_group;
};

struct snicd_mark_entry {
    uint32_t mark;
    uint8_t kind;               /* enum snicd_mark_kind; 0: empty */
    uint8_t table;              /* resume table */
    uint8_t n_actions;          /* partial: the flow's actions */
    int64_t slot;               /* partial: its datapath counter, or -1 */
    uint64_t flow_id;
    uint32_t in_port;           /* decap: the tunnel port */
    struct dp_tun_md tun;       /* decap: the packet's tunnel metadata */
    struct flow_action actions[FLOW_MAX_ACTIONS];
};

struct snicd_mark_table {
    uint32_t mask;              /* slots - 1 (power of two) */
    struct snicd_mark_entry slots[];
};

/* Worker side: the entry for @mark in @t, or NULL. */
const struct snicd_mark_entry *snicd_marks_find(
    const struct snicd_mark_table *t, uint32_t mark);
/* Control side: a new table from the offload manager's marks (partial
 * flows' actions are copied from @flows, their counter slots taken from
 * @cls; either may be NULL). NULL and errno. */
struct snicd_mark_table *snicd_marks_build(const struct snicd_mark *marks,
                                           unsigned n,
                                           const struct flow_table *flows,
                                           const struct dp_cls *cls);

/* ---- the device as a whole (snicd_device.c) ---- */

#define SNICD_MAX_DEVS  4u

/* A device backing our ports, as it is probed again (EAL hotplug). */
struct snicd_devspec {
    char bus[32];
    char name[64];
    char args[512];
    bool attached;              /* probed again during this recovery */
};

struct snicd;
/* Control thread, every loop: after a link change (or a commit that met
 * EIO) check whether the device still answers, and if not detach it and
 * keep trying to re-attach it (docs/reliability.md). Returns the number
 * of ports adopted (> 0) in the turn the device is back, when the caller
 * re-installs the flows (snicd_resync_device); else 0. */
int snicd_device_poll(struct snicd *d, bool link_changed)
    SNIC_REQUIRES(snic_control);

/* ---- the daemon (snicd_core.c) ---- */

struct snicd_worker;

/* A change of a batch not yet delivered (snicd_core.c). */
struct snicd_staged {
    uint64_t id;
    uint32_t seq;               /* order within the batch */
    uint8_t kind;               /* enum flow_change_kind */
    uint8_t reason;             /* enum flow_removed_reason */
};

struct snicd_batch_stats {
    uint64_t flows;             /* flows in the last add-flows */
    uint64_t ns;                /* parse to hardware acknowledgement */
};

struct snicd {
    struct snicd_ports ports;
    /* The PMD's call that removes the rules an earlier instance left in
     * the card and nobody adopted (net_emunic: rte_pmd_emunic_orphans_
     * purge, include/snic/rte_pmd_emunic.h); set by main, which links the
     * driver; NULL: nothing to purge. See snicd_resync_orphans(). */
    int (*orphans_purge)(uint16_t port_id);
    uint64_t orphans_purged;
    /* The marks those rules set (net_emunic: rte_pmd_emunic_orphan_marks),
     * as struct snicd_held_mark: up to @max into @v, returns how many
     * there are or a negative errno; NULL: none known. See
     * snicd_marks_hold(). */
    int (*orphan_marks)(uint16_t port_id, struct snicd_held_mark *v,
                        unsigned max);
    /* The meaning of those marks while the offload manager has not
     * placed the flows yet (snicd_marks.c); merged under every mark table
     * until SNICD_MARK_QUIET_MS after the orphans were purged */
    struct snicd_mark *held;
    unsigned n_held;
    uint64_t held_until_ns;             /* 0: the purge has not run */
    /* start-up: commits publish the datapath only; the offload manager
     * hears of the flows only when snicd_core_offload_release() lets it
     * (their ids kept here in the order they came), and places them at
     * the first commit after: the software path does not wait for it */
    bool offload_held;
    uint64_t *offload_ids;
    size_t n_offload_ids, cap_offload_ids;
    bool offload_direct;                /* held, but the list failed */
    struct flow_table *table;
    struct dp *dp;
    struct snicd_offload *offload;      /* NULL: --no-offload */
    /* the datapath's publish on a thread of its own while the offload
     * manager places a large batch (snicd_publish.c) */
    size_t uncommitted;                 /* changes delivered, not
                                         * committed yet */
    bool publish_aside;                 /* publish_thread is running */
    pthread_t publish_thread;
    int publish_rc;
    /* operations of the proxy port's flow queue; 0: the sync rte_flow
     * API (--no-flow-queues, --no-offload) */
    uint32_t flow_queue_size;
    uint32_t queue_timeout_ms;          /* --queue-timeout */
    struct snicd_journal *journal;      /* NULL: none */
    bool replaying;                     /* journal replay: do not record */
    uint64_t replayed;                  /* its records so far */
    int journal_err;                    /* recording failed in this batch */
    /* whole tables were emptied since the last sync: the journal is
     * rewritten from the table instead of appended to */
    bool journal_rewrite;
    /* a batch being applied: changes wait for the journal (snicd_core.c) */
    bool staging;
    /* flow_table_removals() when the last change was heard: a change
     * after it moved a node, which the offload manager hears of at once
     * (it reads the entries in place) */
    uint64_t ft_removals;
    int stage_err;
    size_t batch_mark;                  /* the journal's queue before it */
    uint64_t batch_now;                 /* its mods' time */
    size_t batch_count;                 /* flows in the table before it */
    /* flows added, changed or removed since the heap was last given
     * back (snicd_core_heap_trim) */
    size_t heap_churn;
    /* add-flows files in chunks (snicd_txn.c) */
    struct snicd_txn *txns;
    unsigned n_txns;
    uint64_t next_txn;
    uint64_t txn_bytes;
    struct snicd_staged *staged;
    size_t n_staged, cap_staged;
    /* add-flows' parsed lines, kept from request to request up to
     * SNICD_MODS_KEEP (snicd_ctl.c): a fresh megabyte for each batch of
     * 1,000 was a page fault every 4 KB (#13) */
    struct flow_mod *mods_buf;
    size_t mods_cap;
    struct snicd_mark_table *marks;
    struct snicd_worker *workers[SNICD_MAX_WORKERS];
    unsigned n_workers;
    struct dp_vxlan_port vxlan;
    bool has_vxlan;
    /* LOCAL: the --local tap's ethdev, UINT16_MAX: none */
    uint16_t local_ethdev;
    const char *local_iface;
    /* --port settings (the options' array, alive as long as snicd) */
    const struct snicd_port_cfg *port_cfg;
    unsigned n_port_cfg;
    /* --patch pairs (the options' array, alive as long as snicd) */
    const struct snicd_patch_cfg *patches;
    unsigned n_patches;
    struct snicd_batch_stats last_batch;
    /* tun_metadata0..63: the TLV map (snicd_tlv.c), and the file beside
     * the journal that keeps it (NULL: --journal none) */
    struct flow_tlv_map tlv_map;
    char *tlv_path;
    uint64_t learn_applied;     /* learned flows put in the table
                                 * (snicd_learn.c) */
    /* NORMAL's conversations as card rules (snicd_normal.c): at most
     * this many (--normal-rules), and counts */
    uint32_t normal_rules;
    uint64_t normal_refused;    /* conversations left in software */
    uint64_t normal_stale;      /* queued, but the FDB moved since */
    /* hardware counters per flow id (struct snicd_hwctr), see
     * snicd_core.c */
    struct snic_hmap hwctr;
    /* the refresh pass under way over the flows with a timeout
     * (snicd_core_refresh_step) */
    bool refresh_active;
    size_t refresh_cursor;
    /* reads of the hardware counters (snicd_core_read_hw) that got only
     * the flows whose counters moved, and those that got every flow */
    uint64_t hw_reads_moved, hw_reads_full;
    uint64_t start_ns;
    struct flow_port_map portmap;
    /* ---- shared with the workers (snicd_port.c, snicd_worker.c) ---- */
    bool eal;                           /* ethdev is usable */
    uint8_t active[SNICD_MAX_PORTS];          /* by index in ports.v */
    /* ofport -> ethdev for tx (UINT16_MAX: none); rewritten only while
     * the workers are paused */
    uint16_t tx_ethdev[SNICD_OFPORT_TABLE];
    int pause;                          /* control asks workers to park */
    unsigned parked;                    /* workers parked */
    int stop;
    unsigned n_queues;                  /* rx/tx queues per port */
    void *mempool;                      /* struct rte_mempool */
    /* ethdev events seen by the interrupt thread, by ethdev id, handled
     * by the control thread (SNICD_EV_* bits) */
    uint32_t events[SNICD_MAX_PORTS];
    /* ---- the device lost and re-attached (snicd_device.c) ---- */
    bool dev_suspect;                   /* a commit met EIO: check it */
    bool dev_lost;                      /* detached, probing again */
    uint64_t dev_lost_ns, dev_next_try_ns;
    unsigned dev_tries;
    uint64_t dev_reattaches;
    uint64_t dev_last_recovery_ns;      /* loss to every flow re-placed */
    /* the offload manager gave up on a device that still answers: so
     * many times, the last at, and the wait before the next re-attach */
    uint64_t dev_giveups;
    uint64_t dev_giveup_ns, dev_giveup_next_ns;
    uint32_t dev_giveup_wait_ms;
    struct snicd_devspec devs[SNICD_MAX_DEVS];
    unsigned n_devs;
};

#define SNICD_EV_RESET  0x1u
#define SNICD_EV_RMV    0x2u
#define SNICD_EV_NEW    0x4u
#define SNICD_EV_LSC    0x8u

/* Create the flow table and the datapath; no ports, no offload yet. */
int snicd_core_init(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* Flows are destroyed without journaling (they stay desired); the offload
 * manager (d->offload, owned from now on) destroys its rules. */
void snicd_core_fini(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* After the ports are known: the port map for names. */
void snicd_core_ports_ready(struct snicd *d);

/* Apply @n parsed mods as one batch (in order), all or nothing: the
 * batch is written to the journal (fdatasync) before the offload manager
 * and the datapath see any of it. If a mod is refused by the flow table,
 * *@failed (may be NULL) is its index; if the journal cannot take the
 * batch (ENOSPC, EIO...), *@failed is @n. Either way nothing of the batch
 * was applied. Returns the number of flows changed, or a negative errno. */
int snicd_core_apply(struct snicd *d, const struct flow_mod *mods, size_t n,
                     size_t *failed)
    SNIC_REQUIRES(snic_control);
/* The same in parts, for a batch that arrives in pieces: begin, add
 * (any number of times; a refused mod aborts the whole batch, *@failed is
 * its index in that call), then end (the journal, then the listeners: 0
 * or a negative errno with everything aborted) or abort. One batch at a
 * time (-EBUSY). */
int snicd_core_batch_begin(struct snicd *d);
int snicd_core_batch_add(struct snicd *d, const struct flow_mod *mods,
                         size_t n, size_t *failed);
int snicd_core_batch_end(struct snicd *d, size_t n_mods)
    SNIC_REQUIRES(snic_control);
void snicd_core_batch_abort(struct snicd *d);
/* Start-up, the software datapath published: the offload manager hears
 * of every flow the held commits brought (as added, in their order; it
 * knew none before) and is held no more. */
void snicd_core_offload_release(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* ---- the datapath's publish beside the offload's placement
 * (snicd_publish.c) ---- */

/* Start publishing the software datapath (dp_commit): with @beside (the
 * caller has its own work meanwhile) on a thread of its own when the
 * changes since the last commit are many and a thread can be had, else
 * here and now. Until the publish is joined, the control thread touches
 * nothing of the datapath's writer side. */
void snicd_publish_begin(struct snicd *d, bool beside)
    SNIC_REQUIRES(snic_control);
/* Wait for a publish running beside (nothing if none is). */
void snicd_publish_join(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* Join, and take dp_commit()'s result (0 once taken). */
int snicd_publish_end(struct snicd *d)
    SNIC_REQUIRES(snic_control);

/* Commit without new mods (after expiry, resync...). */
int snicd_core_commit(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* Once a turn of the control loop, after the requests' memory is freed:
 * after bulk changes, give the heap's free pages back to the system. */
void snicd_core_heap_trim(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/*
 * Counters and timeouts, in slices so that the control loop answers
 * requests between them at any table size. snicd_core_refresh_begin()
 * (once a second): retry failed rules, read the hardware counters in
 * bulk, start a pass. snicd_core_refresh_step(): the next slice of the
 * flows with a timeout (their totals into the flow table, for the idle
 * timeout), and at the pass's end expire what is due and commit; true
 * while the pass goes on (the loop should not sleep). Flows without a
 * timeout are not visited: whoever shows counters asks
 * snicd_core_flow_counts() (dump-flows does, per flow). A pass over a
 * million timed flows costs what it costs, but a slice at a time.
 * snicd_core_refresh() is a whole pass at once (a start-up or a test).
 */
void snicd_core_refresh_begin(struct snicd *d)
    SNIC_REQUIRES(snic_control);
bool snicd_core_refresh_step(struct snicd *d)
    SNIC_REQUIRES(snic_control);
void snicd_core_refresh(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* A flow's totals now: software counters plus the hardware counts read
 * last (at most a second old, or as of the last read_hw). */
void snicd_core_flow_counts(void *d, const struct flow_entry *e,
                            uint64_t *n_packets, uint64_t *n_bytes);
/* Read the hardware counters in bulk now (dump-flows, before listing). */
void snicd_core_read_hw(struct snicd *d)
    SNIC_REQUIRES(snic_control);

/* learn(...): add the flows the datapath's workers learned to the flow
 * table (then they are dumped, counted, expire and are offloaded like any
 * other) and commit; returns how many were drained (snicd_learn.c). */
/* NORMAL's conversations (snicd_normal.c): the queued ones to the card;
 * off the card those whose FDB entries changed, and with @read their
 * counters into their flows' and the FDB's age (snicd_core_read_hw reads
 * them just before the flows' hardware counters, so a report has both
 * as of the same moment). */
void snicd_normal_drain(struct snicd *d)
    SNIC_REQUIRES(snic_control);
void snicd_normal_revalidate(struct snicd *d, bool read)
    SNIC_REQUIRES(snic_control);
size_t snicd_learn_drain(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* Where flow @id lives. */
enum snicd_where snicd_core_where(const struct snicd *d, uint64_t id,
                                  const char **reason);

/* ---- ports on the device (snicd_port.c; DPDK) ---- */

/* Create LOCAL's tap @iface (a net_tap vdev), before snicd_ports_init().
 * 0 or negative errno (logged). */
int snicd_ports_probe_local(struct snicd *d, const char *iface);
/* Find, name, configure and start every ethdev port (and vxlan0 when
 * configured). The uplink is the transfer proxy. 0 or negative errno. */
int snicd_ports_init(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* Stop and close every port. */
void snicd_ports_fini(struct snicd *d);
/* What a pass over the port events did, for snicd_resync_ports() and the
 * device watch. */
struct snicd_port_events {
    bool lsc;                   /* a link changed */
    bool changed;               /* ports were stopped or started */
    bool resync;                /* a reset, or the uplink back: all flows */
    bool reset;                 /* only resets: the device lost the rules */
    bool added;                 /* a new representor */
    unsigned n_back;
    uint32_t back[SNICD_MAX_PORTS]; /* ofports of representors back */
};
/* Handle what the interrupt thread reported, at the port level only:
 * reset -> re-configure and restart; removal -> stop and close (its flows
 * leave hardware first: snicd_offload_port_gone); a port back or new ->
 * start it. What it means for the flows is @out's, for the caller.
 * Control thread. */
void snicd_ports_process_events(struct snicd *d,
                                struct snicd_port_events *out)
    SNIC_REQUIRES(snic_control);
/* The memory of a pool of @n mbufs mapped and populated on a thread of
 * its own, before rte_eal_init, for snicd_mbuf_pool_create to take when
 * the EAL has no hugepages and no PCI (the default card's arguments;
 * otherwise it is unmapped there). Once, from the control thread. */
void snicd_mbuf_mem_prepare(unsigned n);
/* snicd's mbuf pool (snicd_mbufs.c): rte_pktmbuf_pool_create's, with
 * its memory faulted in at once when the EAL has no hugepages. NULL with
 * rte_errno set. */
struct rte_mempool;
struct rte_mempool *snicd_mbuf_pool_create(const char *name, unsigned n,
                                           unsigned cache, int socket);
/* Configure (one rx/tx queue per worker) and start ethdev @pid. */
int snicd_port_start(struct snicd *d, uint16_t pid);
/* 1: the uplink, 0: a VF representor (*@vf), negative: neither. */
int snicd_port_classify(uint16_t pid, int *vf);
/* The workers' ofport -> ethdev map from the ports (workers parked). */
void snicd_ports_rebuild_tx(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* Park / release the workers around port reconfiguration. */
void snicd_workers_pause(struct snicd *d)
    SNIC_REQUIRES(snic_control);
void snicd_workers_resume(struct snicd *d)
    SNIC_REQUIRES(snic_control);

/* ---- the hardware after port and device events (snicd_resync.c) ---- */

/* The offload manager learns the new port set; a reset or the uplink back
 * re-installs every flow, representors back only theirs (a full resync
 * would re-create every rule, a blip for all traffic); then commit. */
void snicd_resync_ports(struct snicd *d, const struct snicd_port_events *ev)
    SNIC_REQUIRES(snic_control);
/* The device is back with @n_ports ports: every flow re-installed, commit,
 * port state refreshed. */
void snicd_resync_device(struct snicd *d, int n_ports)
    SNIC_REQUIRES(snic_control);
/* Once the desired state is in the card (the first commit after start,
 * a re-attach): remove what an earlier driver instance left there that no
 * flow adopted (docs/snicd.md "Restart without a gap"). Before it, such
 * rules go on forwarding as they did; after it the card holds exactly
 * what is desired. */
void snicd_resync_orphans(struct snicd *d)
    SNIC_REQUIRES(snic_control);

/* ---- control methods (snicd_ctl.c) ---- */

extern const struct ctl_method snicd_ctl_methods[];
extern const size_t snicd_ctl_n_methods;
extern const struct ctl_stream_method snicd_ctl_streams[];
extern const size_t snicd_ctl_n_streams;

/* ---- add-flows in chunks (snicd_txn.c) ---- */

/* Parse the add-flows lines of @flows (strings; null for a blank line)
 * numbered from @first_line into @mods (room for all of them); @lines
 * (may be NULL) gets each mod's index in @flows. -EINVAL with @err naming
 * the file and line, and saying "(@nothing)". */
int snicd_flow_lines_parse(struct snicd *d, const json_t *flows,
                           const char *file, json_int_t first_line,
                           struct flow_mod *mods, size_t *lines, size_t *n,
                           const char *nothing, struct ctl_error *err);
/* One chunk of an add-flows transaction: @id 0 opens one; @more says
 * whether chunks follow (if not, the whole file is applied as one batch);
 * @abort_it ends @id with nothing applied. The reply or NULL with @err. */
json_t *snicd_txn_add_flows(struct snicd *d, const json_t *flows,
                            const char *file, json_int_t first_line,
                            json_int_t id, bool more, bool abort_it,
                            struct ctl_error *err)
    SNIC_REQUIRES(snic_control);
/* Drop transactions without a chunk for a while (clients that went):
 * once a second from the control loop. */
void snicd_txn_expire(struct snicd *d, uint64_t now);
void snicd_txn_fini(struct snicd *d);

/* ---- the TLV map: tun_metadata0..63 (snicd_tlv.c) ---- */

/* add-tlv-map / del-tlv-map with ovs-ofctl's argument,
 * "{class=0xffff,type=0,len=4}->tun_metadata0[,...]" (del: NULL for
 * all): all of it or nothing, 0 or a negative errno with @msg saying
 * why. del refuses an option a flow uses (-EBUSY). */
int snicd_tlv_add(struct snicd *d, const char *spec, char *msg, size_t size)
    SNIC_REQUIRES(snic_control);
int snicd_tlv_del(struct snicd *d, const char *spec, char *msg, size_t size)
    SNIC_REQUIRES(snic_control);
json_t *snicd_tlv_dump(const struct snicd *d);
/* Keep the map in @path from now on (the journal's path + ".tlv"), and
 * take the map kept there: before the journal is replayed, so that its
 * flows fit the map they were taken with. 0 (no file: an empty map), or
 * a negative errno, logged: snicd does not start without its map rather
 * than lose the flows that use it. */
int snicd_tlv_load(struct snicd *d, const char *path)
    SNIC_REQUIRES(snic_control);
/* Fit a parsed flow mod to the map (flow_tun_md_check()): every mod
 * snicd takes goes through it after flow_parse(). */
int snicd_tlv_fit(const struct snicd *d, struct flow_mod *fm, char *msg,
                  size_t size);

/* ---- workers (snicd_worker.c; DPDK) ---- */

struct snicd_worker_stats {
    uint64_t rx, tx, tx_drops, multiseg_drops, nombuf_drops;
    uint64_t marked, unknown_marks;
    uint64_t decap_mark_drops;  /* unknown marks of the decap range */
};

int snicd_workers_start(struct snicd *d, unsigned n)
    SNIC_REQUIRES(snic_control);
void snicd_workers_stop(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* Sum of every worker's counters (relaxed reads). */
void snicd_workers_stats(const struct snicd *d,
                         struct snicd_worker_stats *s,
                         struct dp_worker_stats *dps);
/* Publish a new mark table (the old one is freed after a grace period). */
void snicd_marks_publish(struct snicd *d, struct snicd_mark_table *t)
    SNIC_REQUIRES(snic_control);
/* Start-up, before the software datapath is published: read what the
 * marks of the rules an earlier instance left in the card mean
 * (d->orphan_marks) and publish them, so the frames those rules mark are
 * read right before the offload manager has placed a flow. */
void snicd_marks_hold(struct snicd *d)
    SNIC_REQUIRES(snic_control);
/* The offload manager's marks with the held ones under them (theirs win
 * for a mark both have); NULL and errno. */
struct snicd_mark_table *snicd_marks_merge_held(struct snicd *d,
                                                const struct snicd_mark *m,
                                                unsigned n)
    SNIC_REQUIRES(snic_control);

#endif /* SNICD_H */
