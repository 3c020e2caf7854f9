/* SPDX-License-Identifier: BSD-3-Clause */
/* rtnetlink VF attributes: build, send, decode (see vf_rtnl.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <netlink/attr.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/route/link.h>

#include "vf_nlsock.h"
#include "vf_parse.h"
#include "vf_rtnl.h"

struct vf_rtnl {
    struct nl_sock *sk;
};

static int
vf_put_vf_attr(struct nl_msg *msg, unsigned vf, enum vf_attr attr,
               const struct vf_settings *s)
{
    struct nlattr *list;

    switch (attr) {
    case VF_ATTR_MAC: {
        struct ifla_vf_mac m = { .vf = vf };

        memcpy(m.mac, s->mac, 6);
        return nla_put(msg, IFLA_VF_MAC, sizeof(m), &m);
    }
    case VF_ATTR_VLAN: {
        struct ifla_vf_vlan_info v = {
            .vf = vf, .vlan = s->vlan, .qos = s->qos,
            .vlan_proto = htons(s->proto != 0 ? s->proto : ETH_P_8021Q),
        };

        /* the list form is the only one that carries the protocol */
        list = nla_nest_start(msg, IFLA_VF_VLAN_LIST);
        if (list == NULL)
            return -NLE_NOMEM;
        if (nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(v), &v) < 0)
            return -NLE_NOMEM;
        return nla_nest_end(msg, list);
    }
    case VF_ATTR_SPOOFCHK: {
        struct ifla_vf_spoofchk v = { .vf = vf, .setting = s->spoofchk };

        return nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(v), &v);
    }
    case VF_ATTR_TRUST: {
        struct ifla_vf_trust v = { .vf = vf, .setting = s->trust };

        return nla_put(msg, IFLA_VF_TRUST, sizeof(v), &v);
    }
    case VF_ATTR_STATE: {
        struct ifla_vf_link_state v = { .vf = vf, .link_state = s->state };

        return nla_put(msg, IFLA_VF_LINK_STATE, sizeof(v), &v);
    }
    case VF_ATTR_RATE: {
        struct ifla_vf_rate v = { .vf = vf, .min_tx_rate = s->min_rate,
                                  .max_tx_rate = s->max_rate };

        return nla_put(msg, IFLA_VF_RATE, sizeof(v), &v);
    }
    case VF_ATTR_NODE_GUID:
    case VF_ATTR_PORT_GUID: {
        struct ifla_vf_guid v = { .vf = vf };

        v.guid = attr == VF_ATTR_NODE_GUID ? s->node_guid : s->port_guid;
        return nla_put(msg, attr == VF_ATTR_NODE_GUID ?
                       IFLA_VF_IB_NODE_GUID : IFLA_VF_IB_PORT_GUID,
                       sizeof(v), &v);
    }
    default:
        return -NLE_INVAL;
    }
}

int
vf_rtnl_build_set(int ifindex, unsigned vf, enum vf_attr attr,
                  const struct vf_settings *s, struct nl_msg **out)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
    struct nl_msg *msg;
    struct nlattr *list, *info;

    if ((unsigned)attr >= VF_ATTR__COUNT)
        return -EINVAL;
    msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
    if (msg == NULL)
        return -ENOMEM;
    if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
        goto free_msg;
    list = nla_nest_start(msg, IFLA_VFINFO_LIST);
    if (list == NULL)
        goto free_msg;
    info = nla_nest_start(msg, IFLA_VF_INFO);
    if (info == NULL)
        goto free_msg;
    if (vf_put_vf_attr(msg, vf, attr, s) < 0)
        goto free_msg;
    nla_nest_end(msg, info);
    nla_nest_end(msg, list);
    *out = msg;
    return 0;
free_msg:
    nlmsg_free(msg);
    return -ENOMEM;
}

int
vf_rtnl_build_get(int ifindex, struct nl_msg **out)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK,
                                           NLM_F_REQUEST | NLM_F_ACK);

    if (msg == NULL)
        return -ENOMEM;
    if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
        nla_put_u32(msg, IFLA_EXT_MASK,
                    RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS) < 0) {
        nlmsg_free(msg);
        return -ENOMEM;
    }
    *out = msg;
    return 0;
}

static void
vf_decode_one(struct nlattr *info, struct vf_info *vfs, unsigned nvfs,
              unsigned *found)
{
    struct nlattr *tb[IFLA_VF_MAX + 1];
    struct vf_settings *c;
    struct ifla_vf_mac *mac;
    unsigned vf;

    if (nla_parse_nested(tb, IFLA_VF_MAX, info, NULL) < 0 ||
        tb[IFLA_VF_MAC] == NULL || nla_len(tb[IFLA_VF_MAC]) < (int)sizeof(*mac))
        return;
    mac = nla_data(tb[IFLA_VF_MAC]);
    vf = mac->vf;
    (*found)++;
    if (vf >= nvfs)
        return;
    c = &vfs[vf].cur;
    memcpy(c->mac, mac->mac, 6);
    c->mask |= VF_ATTR_BIT(VF_ATTR_MAC);
    if (tb[IFLA_VF_VLAN_LIST] != NULL) {
        struct nlattr *vl[2] = { NULL, NULL };
        struct nlattr *pos;
        int rem;

        nla_for_each_nested(pos, tb[IFLA_VF_VLAN_LIST], rem) {
            if (nla_type(pos) == IFLA_VF_VLAN_INFO && vl[0] == NULL)
                vl[0] = pos;
        }
        if (vl[0] != NULL &&
            nla_len(vl[0]) >= (int)sizeof(struct ifla_vf_vlan_info)) {
            struct ifla_vf_vlan_info *v = nla_data(vl[0]);

            c->vlan = (uint16_t)v->vlan;
            c->qos = (uint8_t)v->qos;
            c->proto = ntohs(v->vlan_proto);
            c->mask |= VF_ATTR_BIT(VF_ATTR_VLAN);
        }
    } else if (tb[IFLA_VF_VLAN] != NULL &&
               nla_len(tb[IFLA_VF_VLAN]) >= (int)sizeof(struct ifla_vf_vlan)) {
        struct ifla_vf_vlan *v = nla_data(tb[IFLA_VF_VLAN]);

        c->vlan = (uint16_t)v->vlan;
        c->qos = (uint8_t)v->qos;
        c->proto = ETH_P_8021Q;
        c->mask |= VF_ATTR_BIT(VF_ATTR_VLAN);
    }
    if (tb[IFLA_VF_SPOOFCHK] != NULL &&
        nla_len(tb[IFLA_VF_SPOOFCHK]) >= (int)sizeof(struct ifla_vf_spoofchk)) {
        struct ifla_vf_spoofchk *v = nla_data(tb[IFLA_VF_SPOOFCHK]);

        /* drivers without spoof checking report (u32)-1 */
        if (v->setting != (uint32_t)-1) {
            c->spoofchk = v->setting != 0;
            c->mask |= VF_ATTR_BIT(VF_ATTR_SPOOFCHK);
        }
    }
    if (tb[IFLA_VF_TRUST] != NULL &&
        nla_len(tb[IFLA_VF_TRUST]) >= (int)sizeof(struct ifla_vf_trust)) {
        struct ifla_vf_trust *v = nla_data(tb[IFLA_VF_TRUST]);

        if (v->setting != (uint32_t)-1) {
            c->trust = v->setting != 0;
            c->mask |= VF_ATTR_BIT(VF_ATTR_TRUST);
        }
    }
    if (tb[IFLA_VF_LINK_STATE] != NULL &&
        nla_len(tb[IFLA_VF_LINK_STATE]) >=
        (int)sizeof(struct ifla_vf_link_state)) {
        struct ifla_vf_link_state *v = nla_data(tb[IFLA_VF_LINK_STATE]);

        c->state = v->link_state;
        c->mask |= VF_ATTR_BIT(VF_ATTR_STATE);
    }
    if (tb[IFLA_VF_RATE] != NULL &&
        nla_len(tb[IFLA_VF_RATE]) >= (int)sizeof(struct ifla_vf_rate)) {
        struct ifla_vf_rate *v = nla_data(tb[IFLA_VF_RATE]);

        c->min_rate = v->min_tx_rate;
        c->max_rate = v->max_tx_rate;
        c->mask |= VF_ATTR_BIT(VF_ATTR_RATE);
    }
    if (tb[IFLA_VF_IB_NODE_GUID] != NULL &&
        nla_len(tb[IFLA_VF_IB_NODE_GUID]) >= (int)sizeof(struct ifla_vf_guid)) {
        c->node_guid = ((struct ifla_vf_guid *)
                        nla_data(tb[IFLA_VF_IB_NODE_GUID]))->guid;
        c->mask |= VF_ATTR_BIT(VF_ATTR_NODE_GUID);
    }
    if (tb[IFLA_VF_IB_PORT_GUID] != NULL &&
        nla_len(tb[IFLA_VF_IB_PORT_GUID]) >= (int)sizeof(struct ifla_vf_guid)) {
        c->port_guid = ((struct ifla_vf_guid *)
                        nla_data(tb[IFLA_VF_IB_PORT_GUID]))->guid;
        c->mask |= VF_ATTR_BIT(VF_ATTR_PORT_GUID);
    }
}

int
vf_rtnl_decode_link(struct nlmsghdr *hdr, struct vf_info *vfs, unsigned nvfs,
                    unsigned *found)
{
    struct nlattr *tb[IFLA_MAX + 1];
    struct nlattr *pos;
    int rem, rc;

    *found = 0;
    if (hdr->nlmsg_type != RTM_NEWLINK)
        return -EPROTO;
    rc = nlmsg_parse(hdr, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL);
    if (rc < 0)
        return -EPROTO;
    if (tb[IFLA_VFINFO_LIST] == NULL)
        return 0;
    nla_for_each_nested(pos, tb[IFLA_VFINFO_LIST], rem) {
        if (nla_type(pos) == IFLA_VF_INFO)
            vf_decode_one(pos, vfs, nvfs, found);
    }
    return 0;
}

struct vf_rtnl *
vf_rtnl_open(struct vf_err *err)
{
    struct vf_rtnl *r = calloc(1, sizeof(*r));
    int rc;

    if (r == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    rc = vf_nlsock_open(NETLINK_ROUTE, &r->sk, err);
    if (rc < 0) {
        free(r);
        errno = -rc;
        return NULL;
    }
    return r;
}

void
vf_rtnl_close(struct vf_rtnl *r)
{
    if (r == NULL)
        return;
    nl_socket_free(r->sk);
    free(r);
}

static int
vf_ifindex(struct vf_rtnl *r, const char *ifname, struct vf_err *err)
{
    struct rtnl_link *link = NULL;
    int rc, idx;

    /* through the kernel, not a cached list: it sees this netns only */
    rc = rtnl_link_get_kernel(r->sk, 0, ifname, &link);
    if (rc < 0) {
        vf_err_set(err, "%s: no such network device in this network "
                   "namespace (%s)", ifname, nl_geterror(rc));
        return -ENODEV;
    }
    idx = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    return idx;
}

struct vf_read_ctx {
    struct vf_info *vfs;
    unsigned nvfs;
    unsigned found;
    int rc;
};

static int
vf_read_valid(struct nl_msg *msg, void *arg)
{
    struct vf_read_ctx *ctx = arg;

    ctx->rc = vf_rtnl_decode_link(nlmsg_hdr(msg), ctx->vfs, ctx->nvfs,
                                  &ctx->found);
    return NL_OK;
}

int
vf_rtnl_read(struct vf_rtnl *r, const char *ifname, struct vf_info *vfs,
             unsigned nvfs, struct vf_err *err)
{
    struct vf_read_ctx ctx = { .vfs = vfs, .nvfs = nvfs };
    struct nl_msg *msg = NULL;
    int idx = vf_ifindex(r, ifname, err);
    int rc;

    if (idx < 0)
        return idx;
    rc = vf_rtnl_build_get(idx, &msg);
    if (rc < 0)
        return rc;
    rc = vf_nlsock_transact(r->sk, msg, vf_read_valid, &ctx, err);
    nlmsg_free(msg);
    if (rc < 0) {
        vf_err_prefix(err, "reading VF attributes of %s: ", ifname);
        return rc;
    }
    return ctx.rc;
}

int
vf_rtnl_set(struct vf_rtnl *r, const char *ifname, unsigned vf,
            const struct vf_settings *s, struct vf_err *err)
{
    int idx = vf_ifindex(r, ifname, err);

    if (idx < 0)
        return idx;
    for (unsigned a = 0; a < VF_ATTR__COUNT; a++) {
        struct nl_msg *msg = NULL;
        char what[96];
        int rc;

        if (!(s->mask & VF_ATTR_BIT(a)))
            continue;
        rc = vf_rtnl_build_set(idx, vf, (enum vf_attr)a, s, &msg);
        if (rc < 0)
            return rc;
        rc = vf_nlsock_transact(r->sk, msg, NULL, NULL, err);
        nlmsg_free(msg);
        if (rc < 0) {
            vf_fmt_attr((enum vf_attr)a, s, what, sizeof(what));
            vf_err_prefix(err, "%s: the kernel refused: ", what);
            if (rc == -EOPNOTSUPP && strlen(err->msg) + 80 < sizeof(err->msg))
                snprintf(err->msg + strlen(err->msg),
                         sizeof(err->msg) - strlen(err->msg),
                         " (the driver of %s does not offer this VF "
                         "setting)", ifname);
            return rc;
        }
    }
    return 0;
}
