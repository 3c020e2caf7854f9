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
 * Thread-safety: like rte_flow calls on the port (the driver's adapter
 * lock serialises them).
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

#ifdef __cplusplus
}
#endif

#endif /* RTE_PMD_EMUNIC_H */
