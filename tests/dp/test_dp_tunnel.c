/* SPDX-License-Identifier: BSD-3-Clause */
/* VXLAN encapsulation and decapsulation. */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>

#include "dp_test_util.h"

static const struct dp_vxlan_port port = {
    .ofport = 100,
    .underlay_port = 1,
    .local_ip = 0,                  /* set in init */
    .remote_ip = 0,
    .local_mac = { 0x02, 0xaa, 0, 0, 0, 1 },
    .remote_mac = { 0x02, 0xbb, 0, 0, 0, 2 },
};

static struct dp_vxlan_port
mkport(const char *local, const char *remote)
{
    struct dp_vxlan_port p = port;

    inet_pton(AF_INET, local, &p.local_ip);
    if (remote != NULL)
        inet_pton(AF_INET, remote, &p.remote_ip);
    return p;
}

static int
encap(const struct dp_vxlan_port *p, const struct dp_tun_md *md,
      struct t_pkt *tp)
{
    struct flow_key k;
    struct dp_layout lay;

    dp_extract(tp->buf.data, tp->buf.len, 3, &k, &lay);
    return dp_vxlan_encap(p, md, &lay, &tp->buf);
}

static int
decap(const struct dp_vxlan_port *ports, size_t n, uint32_t in_port,
      struct t_pkt *tp, struct dp_tun_md *md, uint32_t *tun_port)
{
    struct flow_key k;
    struct dp_layout lay;

    dp_extract(tp->buf.data, tp->buf.len, in_port, &k, &lay);
    return dp_vxlan_decap(ports, n, &k, &lay, &tp->buf, md, tun_port);
}

Test(dp_tunnel, encap_bytes)
{
    struct dp_vxlan_port p = mkport("192.0.2.1", "192.0.2.2");
    struct dp_tun_md md = { .tun_id = htobe64(0xabcdef01ull) };
    uint8_t f[128];
    struct t_pkt tp;
    size_t n = t_frame_ip4(f, -1, 6, 1000, 80, 6);
    const uint8_t *o, *ip, *udp, *vx;

    t_pkt_load(&tp, f, n);
    cr_assert_eq(encap(&p, &md, &tp), 0);
    cr_assert_eq(tp.buf.len, n + DP_VXLAN_OVERHEAD);
    cr_expect_eq(tp.buf.headroom, 256 - DP_VXLAN_OVERHEAD);
    o = tp.buf.data;
    cr_expect_arr_eq(o, p.remote_mac, 6);
    cr_expect_arr_eq(o + 6, p.local_mac, 6);
    cr_expect_eq(t_rd16(o + 12), 0x0800);
    ip = o + 14;
    cr_expect_eq(ip[0], 0x45);
    cr_expect_eq(t_rd16(ip + 2), n + 36);
    cr_expect_eq(t_rd16(ip + 6), 0x4000);
    cr_expect_eq(ip[8], 64);
    cr_expect_eq(ip[9], 17);
    cr_expect(t_ipv4_ok(ip));
    cr_expect_arr_eq(ip + 12, &p.local_ip, 4);
    cr_expect_arr_eq(ip + 16, &p.remote_ip, 4);
    udp = ip + 20;
    cr_expect_geq(t_rd16(udp), 49152);
    cr_expect_eq(t_rd16(udp + 2), 4789);
    cr_expect_eq(t_rd16(udp + 4), n + 16);
    cr_expect_eq(t_rd16(udp + 6), 0);
    vx = udp + 8;
    /* VNI: the low 24 bits of tun_id */
    cr_expect_arr_eq(vx, ((uint8_t[]){ 0x08, 0, 0, 0, 0xcd, 0xef, 0x01, 0 }),
                     8);
    cr_expect_arr_eq(o + 50, f, n);
}

Test(dp_tunnel, source_port_follows_the_inner_flow)
{
    uint8_t f[128];
    struct t_pkt tp;
    struct flow_key k;
    struct dp_layout lay;
    size_t n = t_frame_ip4(f, -1, 17, 1000, 80, 0);
    uint16_t a, b, c;
    int differ = 0;

    t_pkt_load(&tp, f, n);
    dp_extract(tp.buf.data, n, 1, &k, &lay);
    a = dp_vxlan_src_port(&tp.buf, &lay);
    b = dp_vxlan_src_port(&tp.buf, &lay);
    cr_expect_eq(a, b);
    for (uint16_t sp = 1; sp < 20; sp++) {
        n = t_frame_ip4(f, -1, 17, (uint16_t)(1000 + sp), 80, 0);
        t_pkt_load(&tp, f, n);
        dp_extract(tp.buf.data, n, 1, &k, &lay);
        c = dp_vxlan_src_port(&tp.buf, &lay);
        cr_expect_geq(c, 49152);
        differ += c != a;
    }
    cr_expect_gt(differ, 15, "flows should spread over source ports");
}

Test(dp_tunnel, addresses_from_metadata)
{
    struct dp_vxlan_port flowbased = mkport("192.0.2.1", NULL);
    struct dp_vxlan_port fixed = mkport("192.0.2.1", "192.0.2.2");
    struct dp_tun_md md = { 0 };
    uint8_t f[128];
    struct t_pkt tp;
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 0);

    t_pkt_load(&tp, f, n);
    cr_expect_eq(encap(&flowbased, &md, &tp), -EHOSTUNREACH);
    cr_expect_eq(tp.buf.len, n);
    md.tun_dst = htonl(0xc6336401);         /* 198.51.100.1 */
    md.tun_src = htonl(0xc6336402);
    md.set = DP_TUN_SET_DST | DP_TUN_SET_SRC;
    cr_assert_eq(encap(&fixed, &md, &tp), 0);
    /* explicit set_tun_src / set_tun_dst win over the port */
    cr_expect_arr_eq(tp.buf.data + 26, &md.tun_src, 4);
    cr_expect_arr_eq(tp.buf.data + 30, &md.tun_dst, 4);

    t_pkt_load(&tp, f, n);
    tp.buf.headroom = DP_VXLAN_OVERHEAD - 1;
    cr_expect_eq(encap(&fixed, &md, &tp), -ENOSPC);
    cr_expect_eq(tp.buf.len, n);
}

Test(dp_tunnel, round_trip)
{
    struct dp_vxlan_port p = mkport("192.0.2.1", "192.0.2.2");
    /* the peer's view: local and remote swapped */
    struct dp_vxlan_port peer = mkport("192.0.2.2", "192.0.2.1");
    struct dp_tun_md md = { .tun_id = htobe64(4242) }, got;
    uint8_t f[128];
    struct t_pkt tp;
    size_t n = t_frame_ip4(f, 0x0007, 17, 5, 6, 9);
    uint32_t tun_port = 0;

    t_pkt_load(&tp, f, n);
    cr_assert_eq(encap(&p, &md, &tp), 0);
    cr_assert_eq(decap(&peer, 1, 1, &tp, &got, &tun_port), 1);
    cr_expect_eq(tun_port, 100);
    cr_expect_eq(be64toh(got.tun_id), 4242);
    cr_expect_eq(got.tun_src, p.local_ip);
    cr_expect_eq(got.tun_dst, p.remote_ip);
    cr_assert_eq(tp.buf.len, n);
    cr_expect_arr_eq(tp.buf.data, f, n);
    cr_expect_eq(tp.buf.headroom, 256);
}

Test(dp_tunnel, decap_only_for_us)
{
    struct dp_vxlan_port p = mkport("192.0.2.1", "192.0.2.2");
    struct dp_vxlan_port peer = mkport("192.0.2.2", "192.0.2.1");
    struct dp_vxlan_port other = mkport("192.0.2.2", "192.0.2.9");
    struct dp_vxlan_port any = mkport("192.0.2.2", NULL);
    struct dp_tun_md md = { .tun_id = htobe64(1) }, got;
    uint8_t f[128], enc[256];
    struct t_pkt tp;
    size_t n = t_frame_ip4(f, -1, 17, 5, 6, 0), m;
    uint32_t tun_port;

    t_pkt_load(&tp, f, n);
    cr_assert_eq(encap(&p, &md, &tp), 0);
    m = tp.buf.len;
    memcpy(enc, tp.buf.data, m);

    /* wrong underlay port, wrong remote: not ours, untouched */
    cr_expect_eq(decap(&peer, 1, 2, &tp, &got, &tun_port), 0);
    cr_expect_eq(decap(&other, 1, 1, &tp, &got, &tun_port), 0);
    cr_expect_eq(tp.buf.len, m);
    /* a flow-based port takes any remote; an exact remote wins */
    any.ofport = 7;
    {
        struct dp_vxlan_port both[2] = { any, peer };

        cr_expect_eq(decap(both, 2, 1, &tp, &got, &tun_port), 1);
        cr_expect_eq(tun_port, 100);
    }
    /* another UDP port */
    t_pkt_load(&tp, enc, m);
    t_wr16(tp.buf.data + 36, 4790);
    cr_expect_eq(decap(&peer, 1, 1, &tp, &got, &tun_port), 0);
    /* no I flag: ours but malformed */
    t_pkt_load(&tp, enc, m);
    tp.buf.data[42] = 0;
    cr_expect_eq(decap(&peer, 1, 1, &tp, &got, &tun_port), -EINVAL);
    /* inner frame shorter than Ethernet */
    t_pkt_load(&tp, enc, 50 + 10);
    t_wr16(tp.buf.data + 16, 20 + 8 + 8 + 10);
    cr_expect_eq(decap(&peer, 1, 1, &tp, &got, &tun_port), -EINVAL);
    /* every truncation of the outer headers: never ours, never a crash */
    for (size_t len = 0; len < 50; len++) {
        t_pkt_load(&tp, enc, len);
        cr_expect_leq(decap(&peer, 1, 1, &tp, &got, &tun_port), 0);
    }
}
