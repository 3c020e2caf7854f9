/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic's own calls, beside rte_flow and ethdev (as rte_pmd_mlx5.h or
 * rte_pmd_i40e.h are for their drivers). An application that may run on
 * another card declares them weak and checks the address before calling.
 *
 * Adopting the rules of an earlier driver instance (devarg keep_rules=1,
 * docs/pmd.md "Keeping rules across a restart").
 *
 * A card keeps its steering when its driver goes away. With keep_rules=1
 * the PF's close leaves the rules of every port in the card, and a probe
 * lists what the card holds (RULE_QUERY) instead of flushing it: those
 * rules are orphans. An rte_flow_create (or rte_flow_async_create) whose
 * rule is identical to an orphan (same group, priority, match and
 * actions; counter ids aside) returns a handle to that very rule: no rule
 * is added, traffic through it never stops, and its COUNT counter keeps
 * the counts it had. A rule that differs in anything is added as usual,
 * next to the orphan it replaces, which goes on forwarding until it is
 * purged: make-before-break.
 *
 * What the earlier instance held without a rule using it (a bulk counter
 * pool's unused ids, its ports' RSS contexts) is freed at probe, before
 * this driver allocates anything (firmware ABI 1.7, STEERING_RECLAIM).
 *
 * Once the application has created everything it wants, it purges the
 * orphans nobody adopted. Until then they forward as the earlier instance
 * left them. A firmware reset takes every orphan with the rest.
 *
 * Counters that moved. A control plane that shows the counts of all its
 * flows would call rte_flow_query(COUNT) on every one of them to find the
 * few that counted; with a million flows that is most of a core even when
 * nothing moves. net_emunic keeps every counted flow's count (the cache
 * rte_flow_query answers from, docs/pmd.md) and notes each flow whose count
 * changed since it was last handed out here; on a card of ABI 1.6 it asks
 * the card for the counters that moved only (COUNTER_MOVED), so an idle
 * card costs one firmware command per refresh, whatever the number of
 * flows. rte_flow_query(COUNT) stays exact and is unaffected: these calls
 * read the same cache.
 *
 * Thread-safety: like rte_flow calls on the port (the driver's adapter
 * lock serialises them). The moved list is one per switch, so one
 * consumer should drain it (a second one would take some of the first
 * one's flows).
 */
#ifndef RTE_PMD_EMUNIC_H
#define RTE_PMD_EMUNIC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_pmd_emunic_orphans {
    uint32_t found;         /* rules the probe found in the card */
    uint32_t left;          /* orphans neither adopted nor purged yet */
    uint64_t adopted;       /* creates that took an orphan over */
    uint64_t purged;        /* orphans removed by the purge */
    uint32_t reclaimed_counters;    /* counters the probe freed: held by
                                     * the earlier driver, used by no rule
                                     * (STEERING_RECLAIM, ABI 1.7) */
    uint32_t reclaimed_rss;         /* RSS contexts likewise */
    uint32_t list_round_trips;      /* the probe's listing of the card's
                                     * rules: round trips to the card
                                     * (ABI 1.8 ranges: a page of each of
                                     * many ranges per round trip) */
};

/*
 * Remove every orphan still there (rule, counter, RSS context), in
 * batches. @port_id: the PF port or one of its representors. Returns the
 * number of rules removed, -ENODEV for a port net_emunic does not drive,
 * -ENOTSUP for a VF or wire-peer port, -EIO when the card is not
 * answering (the orphans are then kept: purge again later).
 */
int rte_pmd_emunic_orphans_purge(uint16_t port_id);

/* What adoption did on @port_id's card so far. 0, or -ENODEV / -ENOTSUP
 * as above. */
int rte_pmd_emunic_orphans_get(uint16_t port_id,
                               struct rte_pmd_emunic_orphans *out);

/* A MARK an orphan rule sets, and where its frames stand: the rule's
 * group, and the group it jumps to (UINT32_MAX: none). */
struct rte_pmd_emunic_orphan_mark {
    uint32_t mark;
    uint32_t group;
    uint32_t jump_group;
};

/*
 * The marks the orphans not yet purged set, so that an application
 * restarted under traffic can read the frames they mark before it has
 * installed its own rules (snicd: "Restart without a gap",
 * docs/snicd.md). Up to @max into @v (may be NULL with @max 0); returns
 * how many there are (more than @max: call again with room), or -ENODEV /
 * -ENOTSUP as above.
 */
int rte_pmd_emunic_orphan_marks(uint16_t port_id,
                                struct rte_pmd_emunic_orphan_mark *v,
                                unsigned max);

struct rte_flow;

/* A flow whose count changed, and its count now (as rte_flow_query(COUNT)
 * with reset 0 would return it). */
struct rte_pmd_emunic_flow_count {
    struct rte_flow *flow;
    uint64_t hits;
    uint64_t bytes;
};

/* Read the card first: the counters that moved since the last refresh (a
 * card older than ABI 1.6: every counter). */
#define RTE_PMD_EMUNIC_COUNTS_REFRESH   (1u << 0)

/*
 * Hand out up to @max flows, of any port of @port_id's switch (the PF port
 * and its representors share one), whose count changed since they were
 * last handed out (a flow's first count: when it is not zero). Each flow
 * once per change, its newest count; a destroyed flow is never handed out.
 * Call with RTE_PMD_EMUNIC_COUNTS_REFRESH, then without until it returns
 * fewer than @max.
 *
 * Returns how many entries were written; -EINVAL for unknown @flags or a
 * NULL @out with @max > 0; -ENODEV for no such port; -ENOTSUP when the
 * port is not a net_emunic PF or representor; -EIO when the card is not
 * answering (a firmware reset or death: re-create flows as rte_flow says);
 * another negative errno when the card refused the refresh (nothing was
 * read: try again later, or query the flows one by one).
 */
int rte_pmd_emunic_flow_counts_moved(uint16_t port_id, uint32_t flags,
                                     struct rte_pmd_emunic_flow_count *out,
                                     unsigned int max);

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_EMUNIC_H */
