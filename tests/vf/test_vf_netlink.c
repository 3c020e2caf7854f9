/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf netlink messages: every RTM_SETLINK the tool sends is built and
 * decoded back with libnl's parser; a 256-VF RTM_NEWLINK answer is decoded;
 * devlink requests are built and decoded; the devlink family is resolved
 * on this kernel when it has one.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/devlink.h>
#include <linux/netlink.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "vf_devlink.h"
#include "vf_rtnl.h"

/* Decode one SETLINK down to the IFLA_VF_INFO's attribute table. */
/* Attribute payloads are only 4-byte aligned; struct ifla_vf_guid holds a
 * u64, so copy it out instead of dereferencing in place. */
static uint64_t
guid_of(const struct nlattr *a)
{
    struct ifla_vf_guid g;
    memcpy(&g, nla_data(a), sizeof(g));
    return g.guid;
}

static void
decode_set(struct nl_msg *msg, int ifindex, struct nlattr **vf_tb)
{
    struct nlmsghdr *hdr = nlmsg_hdr(msg);
    struct nlattr *tb[IFLA_MAX + 1];
    struct ifinfomsg *ifi = nlmsg_data(hdr);
    struct nlattr *pos;
    int rem, n = 0;

    cr_assert_eq(hdr->nlmsg_type, RTM_SETLINK);
    cr_assert(hdr->nlmsg_flags & NLM_F_REQUEST);
    cr_assert(hdr->nlmsg_flags & NLM_F_ACK);
    cr_assert_eq(ifi->ifi_index, ifindex);
    cr_assert_eq(nlmsg_parse(hdr, sizeof(*ifi), tb, IFLA_MAX, NULL), 0);
    cr_assert_not_null(tb[IFLA_VFINFO_LIST]);
    /* nothing but the VF list: no name, no MTU, no flags */
    for (int a = 0; a <= IFLA_MAX; a++)
        cr_assert(a == IFLA_VFINFO_LIST || tb[a] == NULL, "stray attr %d", a);
    nla_for_each_nested(pos, tb[IFLA_VFINFO_LIST], rem) {
        cr_assert_eq(nla_type(pos), IFLA_VF_INFO);
        cr_assert_eq(nla_parse_nested(vf_tb, IFLA_VF_MAX, pos, NULL), 0);
        n++;
    }
    cr_assert_eq(n, 1);
}

static int
count_attrs(struct nlattr **tb)
{
    int n = 0;

    for (int a = 0; a <= IFLA_VF_MAX; a++)
        n += tb[a] != NULL;
    return n;
}

static struct vf_settings
sample(void)
{
    struct vf_settings s = {
        .mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
        .vlan = 100, .qos = 5, .proto = ETH_P_8021AD,
        .spoofchk = true, .trust = true, .state = VF_STATE_DISABLE,
        .min_rate = 10, .max_rate = 2500,
        .node_guid = 0x0102030405060708ull, .port_guid = 0x1112131415161718ull,
    };

    return s;
}

Test(vf_rtnl, setlink_mac)
{
    struct vf_settings s = sample();
    struct nlattr *tb[IFLA_VF_MAX + 1];
    struct nl_msg *msg;
    struct ifla_vf_mac *m;

    cr_assert_eq(vf_rtnl_build_set(7, 3, VF_ATTR_MAC, &s, &msg), 0);
    decode_set(msg, 7, tb);
    cr_assert_eq(count_attrs(tb), 1);
    cr_assert_not_null(tb[IFLA_VF_MAC]);
    cr_assert_eq(nla_len(tb[IFLA_VF_MAC]), sizeof(*m));
    m = nla_data(tb[IFLA_VF_MAC]);
    cr_expect_eq(m->vf, 3);
    cr_expect_arr_eq(m->mac, s.mac, 6);
    nlmsg_free(msg);
}

Test(vf_rtnl, setlink_vlan_list)
{
    struct vf_settings s = sample();
    struct nlattr *tb[IFLA_VF_MAX + 1];
    struct nlattr *pos;
    struct nl_msg *msg;
    int rem, n = 0;

    cr_assert_eq(vf_rtnl_build_set(9, 255, VF_ATTR_VLAN, &s, &msg), 0);
    decode_set(msg, 9, tb);
    cr_assert_eq(count_attrs(tb), 1);
    cr_assert_not_null(tb[IFLA_VF_VLAN_LIST]);
    nla_for_each_nested(pos, tb[IFLA_VF_VLAN_LIST], rem) {
        struct ifla_vf_vlan_info *v = nla_data(pos);

        cr_assert_eq(nla_type(pos), IFLA_VF_VLAN_INFO);
        cr_assert_eq(nla_len(pos), sizeof(*v));
        cr_expect_eq(v->vf, 255);
        cr_expect_eq(v->vlan, 100);
        cr_expect_eq(v->qos, 5);
        cr_expect_eq(v->vlan_proto, htons(ETH_P_8021AD));
        n++;
    }
    cr_expect_eq(n, 1);
    nlmsg_free(msg);
}

Test(vf_rtnl, setlink_flags_state_rate_guids)
{
    struct vf_settings s = sample();
    struct nlattr *tb[IFLA_VF_MAX + 1];
    struct nl_msg *msg;

    cr_assert_eq(vf_rtnl_build_set(2, 1, VF_ATTR_SPOOFCHK, &s, &msg), 0);
    decode_set(msg, 2, tb);
    cr_assert_not_null(tb[IFLA_VF_SPOOFCHK]);
    cr_expect_eq(((struct ifla_vf_spoofchk *)nla_data(tb[IFLA_VF_SPOOFCHK]))
                 ->setting, 1);
    cr_expect_eq(((struct ifla_vf_spoofchk *)nla_data(tb[IFLA_VF_SPOOFCHK]))
                 ->vf, 1);
    nlmsg_free(msg);

    s.trust = false;
    cr_assert_eq(vf_rtnl_build_set(2, 1, VF_ATTR_TRUST, &s, &msg), 0);
    decode_set(msg, 2, tb);
    cr_assert_not_null(tb[IFLA_VF_TRUST]);
    cr_expect_eq(((struct ifla_vf_trust *)nla_data(tb[IFLA_VF_TRUST]))
                 ->setting, 0);
    nlmsg_free(msg);

    cr_assert_eq(vf_rtnl_build_set(2, 1, VF_ATTR_STATE, &s, &msg), 0);
    decode_set(msg, 2, tb);
    cr_assert_not_null(tb[IFLA_VF_LINK_STATE]);
    cr_expect_eq(((struct ifla_vf_link_state *)nla_data(
                 tb[IFLA_VF_LINK_STATE]))->link_state,
                 IFLA_VF_LINK_STATE_DISABLE);
    nlmsg_free(msg);

    cr_assert_eq(vf_rtnl_build_set(2, 1, VF_ATTR_RATE, &s, &msg), 0);
    decode_set(msg, 2, tb);
    cr_assert_not_null(tb[IFLA_VF_RATE]);
    cr_expect_eq(((struct ifla_vf_rate *)nla_data(tb[IFLA_VF_RATE]))
                 ->min_tx_rate, 10);
    cr_expect_eq(((struct ifla_vf_rate *)nla_data(tb[IFLA_VF_RATE]))
                 ->max_tx_rate, 2500);
    cr_expect_null(tb[IFLA_VF_TX_RATE]);
    nlmsg_free(msg);

    cr_assert_eq(vf_rtnl_build_set(2, 1, VF_ATTR_NODE_GUID, &s, &msg), 0);
    decode_set(msg, 2, tb);
    cr_assert_not_null(tb[IFLA_VF_IB_NODE_GUID]);
    cr_expect_null(tb[IFLA_VF_IB_PORT_GUID]);
    cr_expect_eq(guid_of(tb[IFLA_VF_IB_NODE_GUID]), 0x0102030405060708ull);
    nlmsg_free(msg);

    cr_assert_eq(vf_rtnl_build_set(2, 1, VF_ATTR_PORT_GUID, &s, &msg), 0);
    decode_set(msg, 2, tb);
    cr_assert_not_null(tb[IFLA_VF_IB_PORT_GUID]);
    cr_expect_eq(guid_of(tb[IFLA_VF_IB_PORT_GUID]), 0x1112131415161718ull);
    nlmsg_free(msg);
}

Test(vf_rtnl, getlink_asks_for_vfs_without_stats)
{
    struct nl_msg *msg;
    struct nlattr *tb[IFLA_MAX + 1];

    cr_assert_eq(vf_rtnl_build_get(4, &msg), 0);
    cr_assert_eq(nlmsg_hdr(msg)->nlmsg_type, RTM_GETLINK);
    cr_assert_eq(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb,
                             IFLA_MAX, NULL), 0);
    cr_assert_not_null(tb[IFLA_EXT_MASK]);
    cr_expect_eq(nla_get_u32(tb[IFLA_EXT_MASK]),
                 RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
    cr_expect_eq(((struct ifinfomsg *)nlmsg_data(nlmsg_hdr(msg)))->ifi_index,
                 4);
    nlmsg_free(msg);
}

/* What the kernel sends back for a PF with @n VFs. */
static struct nl_msg *
fake_newlink(unsigned n)
{
    struct ifinfomsg ifi = { .ifi_index = 4 };
    struct nl_msg *msg = nlmsg_alloc_size(1 << 20);
    struct nlattr *list;

    nlmsg_put(msg, 0, 0, RTM_NEWLINK, 0, 0);
    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
    nla_put_string(msg, IFLA_IFNAME, "enp3s0f0");
    nla_put_u32(msg, IFLA_NUM_VF, n);
    list = nla_nest_start(msg, IFLA_VFINFO_LIST);
    for (unsigned i = 0; i < n; i++) {
        struct nlattr *info = nla_nest_start(msg, IFLA_VF_INFO);
        struct nlattr *vl;
        struct ifla_vf_mac m = { .vf = i, .mac = { 2, 0, 0, 0, i >> 8, i } };
        struct ifla_vf_vlan v = { .vf = i, .vlan = i % 4095, .qos = i % 8 };
        struct ifla_vf_vlan_info vi = { .vf = i, .vlan = i % 4095,
                                        .qos = i % 8,
                                        .vlan_proto = htons(ETH_P_8021Q) };
        struct ifla_vf_rate r = { .vf = i, .min_tx_rate = i,
                                  .max_tx_rate = 1000 + i };
        struct ifla_vf_spoofchk sc = { .vf = i, .setting = i & 1 };
        struct ifla_vf_trust tr = { .vf = i, .setting = (uint32_t)-1 };
        struct ifla_vf_link_state ls = { .vf = i, .link_state = i % 3 };

        nla_put(msg, IFLA_VF_MAC, sizeof(m), &m);
        nla_put(msg, IFLA_VF_VLAN, sizeof(v), &v);
        vl = nla_nest_start(msg, IFLA_VF_VLAN_LIST);
        nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(vi), &vi);
        nla_nest_end(msg, vl);
        nla_put(msg, IFLA_VF_RATE, sizeof(r), &r);
        nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(sc), &sc);
        nla_put(msg, IFLA_VF_TRUST, sizeof(tr), &tr);
        nla_put(msg, IFLA_VF_LINK_STATE, sizeof(ls), &ls);
        nla_nest_end(msg, info);
    }
    nla_nest_end(msg, list);
    return msg;
}

Test(vf_rtnl, decode_256_vfs)
{
    struct nl_msg *msg = fake_newlink(256);
    struct vf_info *vfs = calloc(256, sizeof(*vfs));
    unsigned found;

    /* far beyond one page: the reason the socket peeks at sizes */
    cr_assert_gt(nlmsg_hdr(msg)->nlmsg_len, 32768);
    cr_assert_eq(vf_rtnl_decode_link(nlmsg_hdr(msg), vfs, 256, &found), 0);
    cr_assert_eq(found, 256);
    for (unsigned i = 0; i < 256; i++) {
        const struct vf_settings *c = &vfs[i].cur;

        cr_expect_eq(c->mac[4], i >> 8);
        cr_expect_eq(c->mac[5], i & 0xff);
        cr_expect_eq(c->vlan, i % 4095);
        cr_expect_eq(c->qos, i % 8);
        cr_expect_eq(c->proto, ETH_P_8021Q);
        cr_expect_eq(c->min_rate, i);
        cr_expect_eq(c->max_rate, 1000 + i);
        cr_expect_eq(c->spoofchk, (i & 1) != 0);
        cr_expect_eq(c->state, i % 3);
        /* trust reported as -1: the driver cannot say, so "unknown" */
        cr_expect_eq(c->mask & VF_ATTR_BIT(VF_ATTR_TRUST), 0);
        cr_expect(c->mask & VF_ATTR_BIT(VF_ATTR_RATE));
    }
    free(vfs);
    nlmsg_free(msg);
}

Test(vf_rtnl, decode_ignores_vfs_beyond_the_table)
{
    struct nl_msg *msg = fake_newlink(8);
    struct vf_info vfs[4] = { 0 };
    unsigned found;

    cr_assert_eq(vf_rtnl_decode_link(nlmsg_hdr(msg), vfs, 4, &found), 0);
    cr_expect_eq(found, 8);
    cr_expect_eq(vfs[3].cur.max_rate, 1003);
    nlmsg_free(msg);
}

/* ---- devlink ------------------------------------------------------------ */

static void
decode_genl(struct nl_msg *msg, int family, uint8_t cmd, struct nlattr **tb)
{
    struct nlmsghdr *hdr = nlmsg_hdr(msg);
    struct genlmsghdr *g = nlmsg_data(hdr);

    cr_assert_eq(hdr->nlmsg_type, family);
    cr_assert_eq(g->cmd, cmd);
    cr_assert_eq(g->version, DEVLINK_GENL_VERSION);
    cr_assert_eq(genlmsg_parse(hdr, 0, tb, DEVLINK_ATTR_MAX, NULL), 0);
    cr_assert_str_eq(nla_get_string(tb[DEVLINK_ATTR_BUS_NAME]), "pci");
    cr_assert_str_eq(nla_get_string(tb[DEVLINK_ATTR_DEV_NAME]),
                     "0000:03:00.0");
}

Test(vf_devlink, eswitch_get_and_set)
{
    struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
    struct nl_msg *msg;

    cr_assert_eq(vf_devlink_build(33, DEVLINK_CMD_ESWITCH_GET, NLM_F_ACK,
                                  "0000:03:00.0", &msg), 0);
    decode_genl(msg, 33, DEVLINK_CMD_ESWITCH_GET, tb);
    cr_expect_null(tb[DEVLINK_ATTR_ESWITCH_MODE]);
    nlmsg_free(msg);

    cr_assert_eq(vf_devlink_build_eswitch_set(33, "0000:03:00.0",
                                              VF_ESW_SWITCHDEV, &msg), 0);
    decode_genl(msg, 33, DEVLINK_CMD_ESWITCH_SET, tb);
    cr_assert_not_null(tb[DEVLINK_ATTR_ESWITCH_MODE]);
    cr_expect_eq(nla_get_u16(tb[DEVLINK_ATTR_ESWITCH_MODE]),
                 DEVLINK_ESWITCH_MODE_SWITCHDEV);
    cr_expect(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_ACK);
    nlmsg_free(msg);

    cr_expect_eq(vf_devlink_build_eswitch_set(33, "0000:03:00.0",
                                              VF_ESW_UNKNOWN, &msg), -EINVAL);
}

Test(vf_devlink, decode_answers)
{
    struct nl_msg *msg = nlmsg_alloc();
    struct vf_devlink_port p;
    struct nlattr *fn;
    const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
    int mode = -5;

    genlmsg_put(msg, 0, 0, 33, 0, 0, DEVLINK_CMD_ESWITCH_GET, 1);
    nla_put_string(msg, DEVLINK_ATTR_BUS_NAME, "pci");
    nla_put_string(msg, DEVLINK_ATTR_DEV_NAME, "0000:03:00.0");
    nla_put_u16(msg, DEVLINK_ATTR_ESWITCH_MODE, DEVLINK_ESWITCH_MODE_LEGACY);
    cr_assert_eq(vf_devlink_decode_eswitch(nlmsg_hdr(msg), &mode), 0);
    cr_expect_eq(mode, VF_ESW_LEGACY);
    nlmsg_free(msg);

    msg = nlmsg_alloc();
    genlmsg_put(msg, 0, 0, 33, 0, 0, DEVLINK_CMD_PORT_NEW, 1);
    nla_put_string(msg, DEVLINK_ATTR_BUS_NAME, "pci");
    nla_put_string(msg, DEVLINK_ATTR_DEV_NAME, "0000:03:00.0");
    nla_put_u32(msg, DEVLINK_ATTR_PORT_INDEX, 65538);
    nla_put_u16(msg, DEVLINK_ATTR_PORT_FLAVOUR, DEVLINK_PORT_FLAVOUR_PCI_VF);
    nla_put_u16(msg, DEVLINK_ATTR_PORT_PCI_PF_NUMBER, 0);
    nla_put_u16(msg, DEVLINK_ATTR_PORT_PCI_VF_NUMBER, 3);
    nla_put_string(msg, DEVLINK_ATTR_PORT_NETDEV_NAME, "enp3s0f0_3");
    fn = nla_nest_start(msg, DEVLINK_ATTR_PORT_FUNCTION);
    nla_put(msg, DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR, 6, mac);
    nla_nest_end(msg, fn);
    cr_assert_eq(vf_devlink_decode_port(nlmsg_hdr(msg), &p), 0);
    cr_expect_str_eq(p.dev, "0000:03:00.0");
    cr_expect_eq(p.index, 65538);
    cr_expect_eq(p.flavour, DEVLINK_PORT_FLAVOUR_PCI_VF);
    cr_expect_eq(p.pf, 0);
    cr_expect_eq(p.vf, 3);
    cr_expect_str_eq(p.netdev, "enp3s0f0_3");
    cr_expect(p.has_hw_addr);
    cr_expect_arr_eq(p.hw_addr, mac, 6);
    nlmsg_free(msg);
}

Test(vf_devlink, port_dump_and_function_hw_addr)
{
    struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
    struct nlattr *fn[DEVLINK_PORT_FUNCTION_ATTR_MAX + 1];
    const uint8_t mac[6] = { 2, 1, 2, 3, 4, 5 };
    struct nl_msg *msg;

    cr_assert_eq(vf_devlink_build(33, DEVLINK_CMD_PORT_GET, NLM_F_DUMP,
                                  "0000:03:00.0", &msg), 0);
    decode_genl(msg, 33, DEVLINK_CMD_PORT_GET, tb);
    cr_expect_eq(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP, NLM_F_DUMP);
    nlmsg_free(msg);

    cr_assert_eq(vf_devlink_build_port_hw_addr(33, "0000:03:00.0", 65538, mac,
                                               &msg), 0);
    decode_genl(msg, 33, DEVLINK_CMD_PORT_SET, tb);
    cr_expect_eq(nla_get_u32(tb[DEVLINK_ATTR_PORT_INDEX]), 65538);
    cr_assert_eq(nla_parse_nested(fn, DEVLINK_PORT_FUNCTION_ATTR_MAX,
                                  tb[DEVLINK_ATTR_PORT_FUNCTION], NULL), 0);
    cr_assert_eq(nla_len(fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR]), 6);
    cr_expect_arr_eq(nla_data(fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR]), mac, 6);
    nlmsg_free(msg);
}

/* Decode a PORT_SET request back: its port index and function nest. */
static void
decode_port_fn(struct nl_msg *msg, struct nlattr **fn)
{
    struct nlattr *tb[DEVLINK_ATTR_MAX + 1];

    decode_genl(msg, 33, DEVLINK_CMD_PORT_SET, tb);
    cr_expect(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_ACK);
    cr_assert_not_null(tb[DEVLINK_ATTR_PORT_INDEX]);
    cr_expect_eq(nla_get_u32(tb[DEVLINK_ATTR_PORT_INDEX]), 65539);
    cr_assert_not_null(tb[DEVLINK_ATTR_PORT_FUNCTION]);
    cr_assert_eq(nla_parse_nested(fn, VF_DEVLINK_FN_ATTR_MAX,
                                  tb[DEVLINK_ATTR_PORT_FUNCTION], NULL), 0);
}

static struct nla_bitfield32
fn_caps(struct nlattr **fn)
{
    struct nla_bitfield32 c;

    cr_assert_not_null(fn[VF_DEVLINK_FN_ATTR_CAPS]);
    cr_assert_eq(nla_len(fn[VF_DEVLINK_FN_ATTR_CAPS]), (int)sizeof(c));
    memcpy(&c, nla_data(fn[VF_DEVLINK_FN_ATTR_CAPS]), sizeof(c));
    return c;
}

Test(vf_devlink, port_function_set_each_attribute)
{
    struct nlattr *fn[VF_DEVLINK_FN_ATTR_MAX + 1];
    struct vf_settings s = { 0 };
    const uint8_t mac[6] = { 2, 0, 0, 0, 7, 1 };
    struct nla_bitfield32 c;
    struct nl_msg *msg;

    /* hw-addr alone */
    s.mask = VF_ATTR_BIT(VF_ATTR_HW_ADDR);
    memcpy(s.hw_addr, mac, 6);
    cr_assert_eq(vf_devlink_build_port_fn(33, "0000:03:00.0", 65539, &s,
                                          &msg), 0);
    decode_port_fn(msg, fn);
    cr_assert_not_null(fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR]);
    cr_assert_eq(nla_len(fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR]), 6);
    cr_expect_arr_eq(nla_data(fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR]), mac, 6);
    cr_expect_null(fn[DEVLINK_PORT_FN_ATTR_STATE]);
    cr_expect_null(fn[VF_DEVLINK_FN_ATTR_CAPS]);
    nlmsg_free(msg);

    /* roce on: only the RoCE bit selected, and set */
    s = (struct vf_settings){ .mask = VF_ATTR_BIT(VF_ATTR_ROCE), .roce = true };
    cr_assert_eq(vf_devlink_build_port_fn(33, "0000:03:00.0", 65539, &s,
                                          &msg), 0);
    decode_port_fn(msg, fn);
    c = fn_caps(fn);
    cr_expect_eq(c.selector, VF_DEVLINK_CAP_ROCE);
    cr_expect_eq(c.value, VF_DEVLINK_CAP_ROCE);
    cr_expect_null(fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR]);
    nlmsg_free(msg);

    /* migratable off: its bit selected, value clear, RoCE untouched */
    s = (struct vf_settings){ .mask = VF_ATTR_BIT(VF_ATTR_MIGRATABLE),
                              .migratable = false, .roce = true };
    cr_assert_eq(vf_devlink_build_port_fn(33, "0000:03:00.0", 65539, &s,
                                          &msg), 0);
    decode_port_fn(msg, fn);
    c = fn_caps(fn);
    cr_expect_eq(c.selector, VF_DEVLINK_CAP_MIGRATABLE);
    cr_expect_eq(c.value, 0u);
    nlmsg_free(msg);

    /* fn-state active / inactive: devlink's u8 numbers */
    s = (struct vf_settings){ .mask = VF_ATTR_BIT(VF_ATTR_FN_STATE),
                              .fn_state = VF_FN_ACTIVE };
    cr_assert_eq(vf_devlink_build_port_fn(33, "0000:03:00.0", 65539, &s,
                                          &msg), 0);
    decode_port_fn(msg, fn);
    cr_assert_not_null(fn[DEVLINK_PORT_FN_ATTR_STATE]);
    cr_expect_eq(nla_get_u8(fn[DEVLINK_PORT_FN_ATTR_STATE]),
                 DEVLINK_PORT_FN_STATE_ACTIVE);
    cr_expect_null(fn[VF_DEVLINK_FN_ATTR_CAPS]);
    nlmsg_free(msg);
    s.fn_state = VF_FN_INACTIVE;
    cr_assert_eq(vf_devlink_build_port_fn(33, "0000:03:00.0", 65539, &s,
                                          &msg), 0);
    decode_port_fn(msg, fn);
    cr_expect_eq(nla_get_u8(fn[DEVLINK_PORT_FN_ATTR_STATE]),
                 DEVLINK_PORT_FN_STATE_INACTIVE);
    nlmsg_free(msg);

    /* nothing devlink about it: refused, no message built */
    s = (struct vf_settings){ .mask = VF_ATTR_BIT(VF_ATTR_MAC) };
    msg = NULL;
    cr_expect_eq(vf_devlink_build_port_fn(33, "0000:03:00.0", 65539, &s,
                                          &msg), -EINVAL);
    cr_expect_null(msg);
}

Test(vf_devlink, port_function_answer_decoded_into_settings)
{
    struct nl_msg *msg = nlmsg_alloc();
    struct nla_bitfield32 caps = { .value = VF_DEVLINK_CAP_MIGRATABLE,
                                   .selector = VF_DEVLINK_CAP_ROCE |
                                               VF_DEVLINK_CAP_MIGRATABLE };
    const uint8_t mac[6] = { 2, 0, 0, 0, 7, 2 };
    struct vf_devlink_port p;
    struct vf_settings cur = { 0 };
    struct nlattr *fn;

    genlmsg_put(msg, 0, 0, 33, 0, 0, DEVLINK_CMD_PORT_NEW, 1);
    nla_put_string(msg, DEVLINK_ATTR_BUS_NAME, "pci");
    nla_put_string(msg, DEVLINK_ATTR_DEV_NAME, "0000:03:00.0");
    nla_put_u32(msg, DEVLINK_ATTR_PORT_INDEX, 65539);
    nla_put_u16(msg, DEVLINK_ATTR_PORT_FLAVOUR, DEVLINK_PORT_FLAVOUR_PCI_VF);
    nla_put_u16(msg, DEVLINK_ATTR_PORT_PCI_VF_NUMBER, 1);
    fn = nla_nest_start(msg, DEVLINK_ATTR_PORT_FUNCTION);
    nla_put(msg, DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR, 6, mac);
    nla_put_u8(msg, DEVLINK_PORT_FN_ATTR_STATE, DEVLINK_PORT_FN_STATE_ACTIVE);
    nla_put_u8(msg, DEVLINK_PORT_FN_ATTR_OPSTATE,
               DEVLINK_PORT_FN_OPSTATE_ATTACHED);
    nla_put(msg, VF_DEVLINK_FN_ATTR_CAPS, sizeof(caps), &caps);
    /* an attribute from a newer kernel is skipped, not an error */
    nla_put_u32(msg, VF_DEVLINK_FN_ATTR_MAX + 2, 7);
    nla_nest_end(msg, fn);
    cr_assert_eq(vf_devlink_decode_port(nlmsg_hdr(msg), &p), 0);
    cr_expect_eq(p.vf, 1);
    cr_expect(p.has_hw_addr);
    cr_expect_arr_eq(p.hw_addr, mac, 6);
    cr_expect(p.has_fn_state);
    cr_expect_eq(p.fn_state, DEVLINK_PORT_FN_STATE_ACTIVE);
    cr_expect(p.has_fn_opstate);
    cr_expect_eq(p.fn_opstate, DEVLINK_PORT_FN_OPSTATE_ATTACHED);
    cr_expect_eq(p.caps_known, VF_DEVLINK_CAP_ROCE | VF_DEVLINK_CAP_MIGRATABLE);
    cr_expect_eq(p.caps, VF_DEVLINK_CAP_MIGRATABLE);
    nlmsg_free(msg);

    vf_devlink_port_to_settings(&p, &cur);
    cr_expect_eq(cur.mask, VF_ATTR_DEVLINK_BITS);
    cr_expect_arr_eq(cur.hw_addr, mac, 6);
    cr_expect_eq(cur.fn_state, VF_FN_ACTIVE);
    cr_expect_not(cur.roce);
    cr_expect(cur.migratable);
}

/* Integration: the real kernel's generic netlink controller. */
Test(vf_devlink, resolve_family_on_this_kernel, .timeout = 10)
{
    struct vf_err err = { "" };
    struct vf_devlink *dl = vf_devlink_open(&err);
    int mode;

    if (dl == NULL) {
        cr_expect_eq(errno, ENOENT);
        cr_expect(strstr(err.msg, "devlink") != NULL);
        fprintf(stderr, "vf_devlink.resolve_family_on_this_kernel: skipped: "
                "%s\n", err.msg);
        cr_skip_test("devlink family not resolvable here: %s", err.msg);
        return;
    }
    cr_expect_gt(vf_devlink_family(dl), 0);
    /* no such device: the kernel's answer comes back as an errno */
    cr_expect_lt(vf_devlink_eswitch_get(dl, "0000:ff:1f.7", &mode, &err), 0);
    cr_expect(strstr(err.msg, "devlink eswitch get pci/0000:ff:1f.7: ") ==
              err.msg, "%s", err.msg);
    vf_devlink_close(dl);
}
