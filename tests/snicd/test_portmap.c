/* SPDX-License-Identifier: BSD-3-Clause */
/* Port names and OpenFlow numbers (docs/snicd.md, "Ports and names"). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "snicd.h"

static struct snicd_ports ports;

static void
setup(void)
{
    struct dp_vxlan_port vx = { .ofport = 100, .underlay_port = 1 };

    memset(&ports, 0, sizeof(ports));
    /* discovery order is not numbering order */
    cr_assert_eq(snicd_ports_add_ethdev(&ports, 3, false, 2), 0);
    cr_assert_eq(snicd_ports_add_ethdev(&ports, 0, true, -1), 0);
    cr_assert_eq(snicd_ports_add_ethdev(&ports, 1, false, 0), 0);
    cr_assert_eq(snicd_ports_add_tunnel(&ports, &vx), 0);
}

TestSuite(portmap, .init = setup);

Test(portmap, numbers_follow_roles)
{
    uint32_t of = 0;

    cr_assert_eq(snicd_ports_lookup(&ports, "uplink", &of), 0);
    cr_expect_eq(of, 1);
    cr_assert_eq(snicd_ports_lookup(&ports, "pf", &of), 0);
    cr_expect_eq(of, 1);
    cr_assert_eq(snicd_ports_lookup(&ports, "vf0", &of), 0);
    cr_expect_eq(of, 2);
    cr_assert_eq(snicd_ports_lookup(&ports, "vf2", &of), 0);
    cr_expect_eq(of, 4);
    cr_assert_eq(snicd_ports_lookup(&ports, "vxlan0", &of), 0);
    cr_expect_eq(of, 100);
    cr_expect_eq(snicd_ports_lookup(&ports, "vf1", &of), -ENOENT);
    cr_expect_eq(snicd_ports_by_ethdev(&ports, 3)->ofport, 4);
    cr_expect_eq(snicd_ports_by_ofport(&ports, 100)->is_tunnel, true);
    cr_expect_eq(snicd_ports_by_ofport(&ports, 100)->tun_underlay, 1);
    cr_expect_null(snicd_ports_by_ofport(&ports, 7));
}

Test(portmap, duplicates_and_ranges_are_refused)
{
    cr_expect_eq(snicd_ports_add_ethdev(&ports, 9, false, 2), -EEXIST);
    cr_expect_eq(snicd_ports_add_ethdev(&ports, 9, true, -1), -EEXIST);
    cr_expect_eq(snicd_ports_add_ethdev(&ports, 9, false, -1), -EINVAL);
    cr_expect_eq(snicd_ports_add_ethdev(&ports, 9, false, 98), -EINVAL,
                 "VF 98 would collide with vxlan0's number");
    cr_expect_eq(snicd_ports_add_ethdev(&ports, 9, false, 97), 0);
}

Test(portmap, representor_names)
{
    cr_expect_eq(snicd_port_vf_from_name("net_emunic0_representor_3", 4), 3);
    cr_expect_eq(snicd_port_vf_from_name("0000:08:00.0_representor_vf12",
                                         -1), 12);
    cr_expect_eq(snicd_port_vf_from_name("08:00.0_representor_c0pf0vf5", 0),
                 5);
    cr_expect_eq(snicd_port_vf_from_name("net_foo_representor_sf2", 3), 2,
                 "not a VF by name: the switch port decides");
    cr_expect_eq(snicd_port_vf_from_name("net_bar", 2), 1);
    cr_expect_eq(snicd_port_vf_from_name("net_bar", 0), -1);
}

Test(portmap, flows_parse_and_print_names)
{
    struct flow_port_map map;
    struct flow_mod fm;
    struct flow_error err;
    char buf[FLOW_FORMAT_MAX];

    snicd_ports_flow_map(&ports, &map);
    cr_assert_eq(flow_parse("in_port=vf2,actions=output:pf,output:vxlan0",
                            FLOW_CMD_ADD, &map, &fm, &err), 0, "%s", err.msg);
    cr_expect_eq(fm.flow.match.value.in_port, 4);
    cr_expect_eq(fm.flow.actions[0].u.port, 1);
    cr_expect_eq(fm.flow.actions[1].u.port, 100);
    flow_format(&fm.flow, &map, buf, sizeof(buf));
    cr_expect(strstr(buf, "in_port=vf2") != NULL, "%s", buf);
    cr_expect(strstr(buf, "output:uplink,output:vxlan0") != NULL, "%s", buf);
    cr_expect_eq(flow_parse("in_port=vf1,actions=drop", FLOW_CMD_ADD, &map,
                            &fm, &err), -ENOENT);
    cr_expect(strstr(err.msg, "vf1") != NULL, "%s", err.msg);
}

Test(portmap, plain_ports_are_numbered_after_the_switch)
{
    uint32_t of = 0;

    cr_assert_eq(snicd_ports_add_plain(&ports, 7), 0);
    cr_assert_eq(snicd_ports_add_plain(&ports, 8), 0);
    cr_assert_eq(snicd_ports_lookup(&ports, "p0", &of), 0);
    cr_expect_eq(of, SNICD_OFPORT_PLAIN_BASE);
    cr_assert_eq(snicd_ports_lookup(&ports, "p1", &of), 0);
    cr_expect_eq(of, SNICD_OFPORT_PLAIN_BASE + 1);
    const struct snicd_port_info *p = snicd_ports_by_ethdev(&ports, 8);
    cr_assert_not_null(p);
    cr_expect(!p->is_uplink && !p->is_tunnel && p->vf < 0);
    /* the workers' tx table ends at SNICD_OFPORT_TABLE */
    unsigned added = 2;
    while (snicd_ports_add_plain(&ports, (uint16_t)(10 + added)) == 0)
        added++;
    cr_expect_eq(SNICD_OFPORT_PLAIN_BASE + added, SNICD_OFPORT_TABLE);
}

/* --patch pairs: 300 + 2i and 301 + 2i, each the other's peer, with no
 * ethdev; a name snicd has is refused and nothing is added. */
Test(portmap, patch_pairs)
{
    const struct snicd_port_info *a, *b;
    unsigned n = ports.n;
    uint32_t of = 0;

    cr_assert_eq(snicd_ports_add_patch(&ports, 1, "patch-tun", "patch-int"),
                 0);
    cr_assert_eq(snicd_ports_lookup(&ports, "patch-tun", &of), 0);
    cr_expect_eq(of, 302);
    a = snicd_ports_by_ofport(&ports, 302);
    b = snicd_ports_by_ofport(&ports, 303);
    cr_assert(a != NULL && b != NULL);
    cr_expect_str_eq(b->name, "patch-int");
    cr_expect(a->is_patch && b->is_patch && a->peer == 303 && b->peer == 302);
    cr_expect_eq(a->ethdev, UINT16_MAX);
    cr_expect_null(snicd_ports_by_ethdev(&ports, UINT16_MAX));
    cr_expect_eq(snicd_ports_add_patch(&ports, 0, "x", "vf2"), -EEXIST);
    cr_expect_eq(snicd_ports_add_patch(&ports, 0, "patch-int", "y"),
                 -EEXIST);
    cr_expect_eq(ports.n, n + 2, "a refused pair adds nothing");
}
