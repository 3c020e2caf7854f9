/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An rte_flow rule as the dpdk-testpmd command that creates it.
 *
 * snicd logs every hardware rule it installs or sees refused, at debug
 * level, in this form: a user who doubts an offload decision pastes the
 * line into testpmd on the same card and gets the same answer from the
 * PMD, with no snicd in between. Only what snicd writes is covered (the
 * items and actions of snicd_xlate*.c); anything else is printed as
 * "<item N>" / "<action N>", which testpmd refuses rather than misreads.
 *
 * Pure: no device, no EAL.
 */
#ifndef SNICD_TESTPMD_H
#define SNICD_TESTPMD_H

#include <stddef.h>
#include <stdint.h>

#include <rte_flow.h>

/*
 * Write "flow create PORT ..." for the rule into @buf (at most @size
 * bytes, NUL included). A VXLAN_ENCAP action needs testpmd's "set vxlan"
 * first: that command comes before, separated by a newline. Returns the
 * length the full text needs (as snprintf does), so a result >= @size
 * means it was cut.
 */
int snicd_testpmd_line(uint16_t port, const struct rte_flow_attr *attr,
                       const struct rte_flow_item *items,
                       const struct rte_flow_action *actions,
                       char *buf, size_t size);

#endif /* SNICD_TESTPMD_H */
