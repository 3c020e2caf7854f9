/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's ports as snicd publishes them to the datapath
 * (snicd_switch.c): a port whose link is down is flagged DP_PORT_DOWN, so
 * that a bundle does not pick it, and picks it again once its link is up;
 * a tunnel port has no link of its own and stays live; --patch pairs are
 * published as each other's peers. Checked through a bundle(active_backup)
 * flow and a frame in the datapath, no DPDK.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "snicd.h"

static struct snicd d;

struct out {
    unsigned n;
    uint32_t port;
};

static void
on_output(void *ctx, const struct dp_output *o)
{
    struct out *out = ctx;

    out->n++;
    out->port = o->port;
}

/* The member the bundle of flow @line picks for one frame from port 9;
 * 0 when nothing is sent. */
static uint32_t
pick(const char *line)
{
    struct flow_mod fm;
    struct flow_error err;
    struct dp_worker *w;
    uint8_t room[512] = { 0 };
    struct dp_buf buf;
    struct out out = { 0 };

    snic_role_enter(&snic_control);
    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(dp_flow_put(d.dp, 1, &fm.flow), 0);
    cr_assert_eq(dp_commit(d.dp), 0);
    w = dp_worker_create(d.dp);
    cr_assert_not_null(w);
    memset(room + 256, 0xff, 6);            /* broadcast, from 02:..:01 */
    room[256 + 6] = 0x02;
    room[256 + 11] = 0x01;
    room[256 + 12] = 0x88;                  /* EtherType 0x88b5 */
    room[256 + 13] = 0xb5;
    buf.data = room + 256;
    buf.len = 60;
    buf.headroom = 256;
    dp_worker_online(w);
    dp_worker_process(w, &buf, 9, on_output, &out);
    dp_worker_quiesce(w);
    dp_worker_offline(w);
    dp_worker_destroy(w);
    cr_assert_leq(out.n, 1);
    return out.n == 0 ? 0 : out.port;
}

static void
setup(void)
{
    struct dp_vxlan_port vx = { .ofport = 100, .underlay_port = 1 };

    snic_role_enter(&snic_control);
    memset(&d, 0, sizeof(d));
    d.eal = true;
    d.dp = dp_create(NULL, NULL);
    cr_assert_not_null(d.dp);
    /* uplink (1), vf0 (2), vf1 (3), vxlan0 (100) */
    cr_assert_eq(snicd_ports_add_ethdev(&d.ports, 0, true, -1), 0);
    cr_assert_eq(snicd_ports_add_ethdev(&d.ports, 1, false, 0), 0);
    cr_assert_eq(snicd_ports_add_ethdev(&d.ports, 2, false, 1), 0);
    cr_assert_eq(snicd_ports_add_tunnel(&d.ports, &vx), 0);
    for (unsigned i = 0; i < d.ports.n; i++)
        d.ports.link_up[i] = !d.ports.v[i].is_tunnel;
}

static void
teardown(void)
{
    snic_role_enter(&snic_control);
    dp_destroy(d.dp);
}

TestSuite(snicd_switch, .init = setup, .fini = teardown);

static void
set_link(uint32_t ofport, bool up)
{
    for (unsigned i = 0; i < d.ports.n; i++)
        if (d.ports.v[i].ofport == ofport)
            d.ports.link_up[i] = up;
    snic_role_enter(&snic_control);
    snicd_switch_publish(&d);
}

Test(snicd_switch, a_down_link_is_no_live_member)
{
    static const char *const line =
        "in_port=9,actions=bundle(eth_src,0,active_backup,ofport,"
        "members:2,3,1)";

    snic_role_enter(&snic_control);
    snicd_switch_publish(&d);
    cr_expect_eq(pick(line), 2);
    set_link(2, false);
    cr_expect_eq(pick(line), 3);
    set_link(3, false);
    cr_expect_eq(pick(line), 1);
    set_link(1, false);
    cr_expect_eq(pick(line), 0, "no member up: nothing sent");
    set_link(3, true);
    cr_expect_eq(pick(line), 3);
    set_link(2, true);
    cr_expect_eq(pick(line), 2);
}

/* a tunnel port has no link state: live whenever snicd has it; a port
 * gone from snicd is no member at all */
Test(snicd_switch, tunnels_live_gone_ports_not)
{
    static const char *const line =
        "in_port=9,actions=bundle(eth_src,0,active_backup,ofport,"
        "members:3,100,2)";

    snic_role_enter(&snic_control);
    snicd_switch_publish(&d);
    cr_expect_eq(pick(line), 3);
    for (unsigned i = 0; i < d.ports.n; i++)
        if (d.ports.v[i].ofport == 3)
            d.ports.gone[i] = true;
    snicd_switch_publish(&d);
    cr_expect_eq(pick(line), 100);
}

/* --patch pairs: numbered in option order after the ports found, named
 * in flows and dumps like any port, published to the datapath as each
 * other's peers (a frame sent to one enters at the other). */
Test(snicd_switch, patch_pairs)
{
    static const struct snicd_patch_cfg pc[2] = {
        { "patch-tun", "patch-int" }, { "br-a", "br-b" },
    };
    static const char *const lines[] = {
        "in_port=9,actions=output:patch-tun",
        "in_port=patch-int,actions=output:vf1",
    };
    struct flow_port_map map;
    const struct snicd_port_info *p;
    struct dp_worker *w;
    uint8_t room[512] = { 0 };
    struct dp_buf buf = { room + 256, 60, 256 };
    struct out out = { 0 };
    char text[256];
    uint32_t of;

    d.patches = pc;
    d.n_patches = 2;
    cr_assert_eq(snicd_switch_add_patches(&d), 0);
    cr_assert_eq(snicd_ports_lookup(&d.ports, "patch-tun", &of), 0);
    cr_expect_eq(of, 300);
    cr_assert_eq(snicd_ports_lookup(&d.ports, "patch-int", &of), 0);
    cr_expect_eq(of, 301);
    cr_assert_eq(snicd_ports_lookup(&d.ports, "br-b", &of), 0);
    cr_expect_eq(of, 303);
    p = snicd_ports_by_ofport(&d.ports, 302);
    cr_assert_not_null(p);
    cr_expect(p->is_patch && p->peer == 303 && p->ethdev == UINT16_MAX);
    cr_expect_eq(snicd_switch_add_patches(&d), -EEXIST, "names taken");

    snic_role_enter(&snic_control);
    snicd_switch_publish(&d);
    snicd_ports_flow_map(&d.ports, &map);
    for (unsigned i = 0; i < 2; i++) {
        struct flow_mod fm;
        struct flow_error err;

        cr_assert_eq(flow_parse(lines[i], FLOW_CMD_ADD, &map, &fm, &err), 0,
                     "%s", err.msg);
        cr_assert_eq(flow_format(&fm.flow, &map, text, sizeof(text)) > 0,
                     true);
        cr_expect(strstr(text, i == 0 ? "output:patch-tun"
                                      : "in_port=patch-int") != NULL, "%s",
                  text);
        cr_assert_eq(dp_flow_put(d.dp, i + 1, &fm.flow), 0);
    }
    cr_assert_eq(dp_commit(d.dp), 0);
    w = dp_worker_create(d.dp);
    cr_assert_not_null(w);
    memset(room + 256, 0xff, 6);
    room[256 + 12] = 0x88;
    room[256 + 13] = 0xb5;
    dp_worker_online(w);
    dp_worker_process(w, &buf, 9, on_output, &out);
    dp_worker_quiesce(w);
    dp_worker_offline(w);
    dp_worker_destroy(w);
    cr_expect_eq(out.n, 1);
    cr_expect_eq(out.port, 3, "through the pair to vf1");
}
