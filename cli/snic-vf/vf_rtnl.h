/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtnetlink VF attributes.
 *
 * Requests are built with libnl's message API, one attribute per
 * RTM_SETLINK (IFLA_VFINFO_LIST > IFLA_VF_INFO > one IFLA_VF_*), addressed
 * by ifindex: nothing about the PF is fetched first, so a PF with hundreds
 * of VFs costs nothing to change, and `set` can roll back attribute by
 * attribute. libnl-route's rtnl_link_vf API only sends VF attributes as
 * part of a whole-link change request and picks the legacy IFLA_VF_VLAN
 * for plain 802.1Q, so it is used for names only (link lookup).
 *
 * Reading: one RTM_GETLINK for the PF with IFLA_EXT_MASK =
 * RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS. The answer for 256 VFs is
 * tens of KiB, beyond libnl's default one-page buffer, so the socket
 * peeks at each message's size first (nl_socket_enable_msg_peek) and
 * grows its buffer; SKIP_STATS keeps per-VF counters out of it.
 */
#ifndef SNIC_VF_RTNL_H
#define SNIC_VF_RTNL_H

#include <netlink/msg.h>

#include "vf_model.h"

/* RTM_SETLINK for attribute @attr of VF @vf, values from @s. */
int vf_rtnl_build_set(int ifindex, unsigned vf, enum vf_attr attr,
                      const struct vf_settings *s, struct nl_msg **out);
/* RTM_GETLINK of one link with the VF filter. */
int vf_rtnl_build_get(int ifindex, struct nl_msg **out);
/* Fill vfs[i].cur from an RTM_NEWLINK; *found = VF_INFO entries seen. */
int vf_rtnl_decode_link(struct nlmsghdr *hdr, struct vf_info *vfs,
                        unsigned nvfs, unsigned *found);

struct vf_rtnl;

struct vf_rtnl *vf_rtnl_open(struct vf_err *err);
void vf_rtnl_close(struct vf_rtnl *r);
/* Read every VF's attributes of @ifname into vfs[].cur. */
int vf_rtnl_read(struct vf_rtnl *r, const char *ifname, struct vf_info *vfs,
                 unsigned nvfs, struct vf_err *err);
/* Apply the attributes in s->mask, one request each, in enum order. */
int vf_rtnl_set(struct vf_rtnl *r, const char *ifname, unsigned vf,
                const struct vf_settings *s, struct vf_err *err);

#endif /* SNIC_VF_RTNL_H */
