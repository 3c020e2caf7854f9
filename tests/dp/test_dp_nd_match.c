/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Matching on IPv6 Neighbor Discovery fields (nd_target, nd_sll, nd_tll):
 * what dp_extract() puts in the key's shared bytes (struct flow_key's
 * nd_target and nd_lla), as offload/dp_nd.c reads a message, and the
 * classifier choosing flows by them. Frames are built here: a
 * solicitation (135) or advertisement (136) from fe80::1, its options
 * given whole; the checksum is left 0 (nothing here reads it).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"
#include "dp_test_util.h"

#define ND_MAX 160

static const uint8_t target2[16] = { 0xfe, 0x80, [15] = 0x02 };
static const uint8_t mac_s[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_t[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x07 };

/* An Ethernet + IPv6 + ICMPv6 frame of @type / @code carrying @target and
 * @olen bytes of options @opts (with @icmp_len, when not 0, as the
 * message's length instead: a message cut short). Returns its length. */
static size_t
nd_frame(uint8_t *f, uint8_t type, uint8_t code, const uint8_t *target,
         const uint8_t *opts, size_t olen, size_t icmp_len)
{
    static const uint8_t eth[14] = {
        0x33, 0x33, 0xff, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x86, 0xdd,
    };
    size_t msg = icmp_len != 0 ? icmp_len : 24 + olen;
    uint8_t *ip = f + 14, *icmp = ip + 40;

    cr_assert_leq(14 + 40 + 24 + olen, ND_MAX);
    memset(f, 0, ND_MAX);
    memcpy(f, eth, sizeof(eth));
    ip[0] = 0x60;
    ip[4] = (uint8_t)(msg >> 8);
    ip[5] = (uint8_t)msg;
    ip[6] = 58;
    ip[7] = 255;
    ip[8] = 0xfe;
    ip[9] = 0x80;
    ip[23] = 0x01;
    ip[24] = 0xff;
    ip[25] = 0x02;
    ip[35] = 0x01;
    ip[36] = 0xff;
    ip[39] = 0x02;
    icmp[0] = type;
    icmp[1] = code;
    if (target != NULL)
        memcpy(icmp + 8, target, 16);
    if (olen != 0)
        memcpy(icmp + 24, opts, olen);
    return 14 + 40 + msg;
}

/* An 8-byte link-layer address option of @type (1 SLL, 2 TLL). */
static void
lla_opt(uint8_t *o, uint8_t type, const uint8_t mac[6])
{
    o[0] = type;
    o[1] = 1;
    memcpy(o + 2, mac, 6);
}

static void
extract(const uint8_t *f, size_t len, struct flow_key *k)
{
    uint8_t *copy = malloc(len);    /* exactly @len: ASan sees overreads */
    struct dp_layout lay;

    memcpy(copy, f, len);
    cr_assert_eq(dp_extract(copy, len, 1, k, &lay), 0);
    free(copy);
}

static void
expect_nd(const struct flow_key *k, const uint8_t *target,
          const uint8_t *lla)
{
    static const uint8_t zero[16];

    cr_expect_arr_eq(k->nd_target, target ? target : zero, 16);
    cr_expect_arr_eq(k->nd_lla, lla ? lla : zero, 6);
    cr_expect_eq(k->pad[0] | k->pad[1], 0, "padding stays zero");
}

Test(dp_nd_match, solicitation_and_advertisement_fill_the_key)
{
    uint8_t f[ND_MAX], o[16];
    struct flow_key k;
    size_t n;

    lla_opt(o, 1, mac_s);
    n = nd_frame(f, 135, 0, target2, o, 8, 0);
    extract(f, n, &k);
    cr_expect_eq(ntohs(k.tp_src), 135);
    expect_nd(&k, target2, mac_s);

    lla_opt(o, 2, mac_t);
    n = nd_frame(f, 136, 0, target2, o, 8, 0);
    extract(f, n, &k);
    expect_nd(&k, target2, mac_t);

    /* no options: the target alone */
    n = nd_frame(f, 135, 0, target2, NULL, 0, 0);
    extract(f, n, &k);
    expect_nd(&k, target2, NULL);
}

Test(dp_nd_match, the_other_kinds_option_is_not_in_the_key)
{
    uint8_t f[ND_MAX], o[16];
    struct flow_key k;
    size_t n;

    /* a solicitation's TLL, an advertisement's SLL: Open vSwitch reads
     * them, but no match can name them (nd_sll needs 135, nd_tll 136) */
    lla_opt(o, 2, mac_t);
    n = nd_frame(f, 135, 0, target2, o, 8, 0);
    extract(f, n, &k);
    expect_nd(&k, target2, NULL);
    lla_opt(o, 1, mac_s);
    lla_opt(o + 8, 2, mac_t);
    n = nd_frame(f, 136, 0, target2, o, 16, 0);
    extract(f, n, &k);
    expect_nd(&k, target2, mac_t);
}

Test(dp_nd_match, malformed_and_short_messages_read_0)
{
    uint8_t f[ND_MAX], o[16];
    struct flow_key k;
    size_t n;

    /* a second SLL after a non-zero first: all three read 0 */
    lla_opt(o, 1, mac_s);
    lla_opt(o + 8, 1, mac_t);
    n = nd_frame(f, 135, 0, target2, o, 16, 0);
    extract(f, n, &k);
    expect_nd(&k, NULL, NULL);
    cr_expect_eq(ntohs(k.tp_src), 135, "still a solicitation");

    /* the target cut short: nothing */
    n = nd_frame(f, 135, 0, target2, NULL, 0, 20);
    extract(f, n, &k);
    expect_nd(&k, NULL, NULL);

    /* an option of length 0 ends the walk: what came before stays */
    lla_opt(o, 1, mac_s);
    o[8] = 1;
    o[9] = 0;
    n = nd_frame(f, 135, 0, target2, o, 16, 0);
    extract(f, n, &k);
    expect_nd(&k, target2, mac_s);

    /* an option longer than the message ends it too, before its MAC */
    o[0] = 1;
    o[1] = 2;
    memcpy(o + 2, mac_s, 6);
    n = nd_frame(f, 135, 0, target2, o, 8, 0);
    extract(f, n, &k);
    expect_nd(&k, target2, NULL);
}

Test(dp_nd_match, no_neighbor_discovery_no_fields)
{
    uint8_t f[ND_MAX], o[16];
    struct flow_key k;
    size_t n;

    /* code 1, and an echo request with a target-like body */
    lla_opt(o, 1, mac_s);
    n = nd_frame(f, 135, 1, target2, o, 8, 0);
    extract(f, n, &k);
    expect_nd(&k, NULL, NULL);
    n = nd_frame(f, 128, 0, target2, o, 8, 0);
    extract(f, n, &k);
    expect_nd(&k, NULL, NULL);
    cr_expect_eq(k.nw_src | k.nw_dst | k.mpls_lse | k.tcp_flags, 0);
}

Test(dp_nd_match, ipv4_and_tcp_keep_their_fields)
{
    static const uint8_t zero[8];
    uint8_t f[128];
    struct flow_key k;
    flow_be32 a;
    size_t n = t_frame_ip4(f, -1, 6, 1000, 80, 0);

    extract(f, n, &k);
    inet_pton(AF_INET, "10.0.0.1", &a);
    cr_expect_eq(k.nw_src, a);
    inet_pton(AF_INET, "10.0.0.2", &a);
    cr_expect_eq(k.nw_dst, a);
    cr_expect_arr_eq(k.nw_nd_rest, zero, 8);
    cr_expect_eq(ntohs(k.tcp_flags), 0x18);
    n = t_frame_ip6(f, 6, 1000, 80, 20);
    f[14 + 40 + 13] = 0x12;         /* SYN ACK */
    extract(f, n, &k);
    cr_expect_eq(ntohs(k.tcp_flags), 0x12);
    cr_expect_arr_eq(k.nd_target, zero, 8);
}

/* @flows, then each frame in turn: the port it leaves by (0: none). */
static uint32_t
out_port(struct dp_env *e, const uint8_t *f, size_t n)
{
    struct capture c;

    dp_env_run_both(e, f, n, &c);
    cr_assert_leq(c.n, 1);
    return c.n == 1 ? c.port[0] : 0;
}

Test(dp_nd_match, the_classifier_chooses_by_the_fields)
{
    static const char *const flows[] = {
        "priority=30,icmp6,icmp_type=136,nd_target=fe80::2,"
        "actions=output:2",
        "priority=20,icmp6,icmp_type=136,nd_target=fe80::/64,"
        "nd_tll=02:00:00:00:00:00/ff:ff:ff:00:00:00,actions=output:3",
        "priority=20,icmp6,icmp_type=135,icmp_code=0,"
        "nd_sll=02:00:00:00:00:01,actions=output:4",
        "priority=10,icmp6,actions=output:5",
        "priority=0,actions=output:6",
        NULL,
    };
    static const uint8_t target3[16] = { 0xfe, 0x80, [15] = 0x03 };
    static const uint8_t other[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
    uint8_t f[ND_MAX], o[8];
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    lla_opt(o, 2, mac_t);
    n = nd_frame(f, 136, 0, target2, o, 8, 0);
    cr_expect_eq(out_port(&e, f, n), 2, "exact target");
    n = nd_frame(f, 136, 0, target3, o, 8, 0);
    cr_expect_eq(out_port(&e, f, n), 3, "prefix and masked TLL");
    n = nd_frame(f, 136, 0, target3, NULL, 0, 0);
    cr_expect_eq(out_port(&e, f, n), 5, "no TLL: reads 0");
    n = nd_frame(f, 136, 0, other, o, 8, 0);
    cr_expect_eq(out_port(&e, f, n), 5, "outside the prefix");
    /* a solicitation with that target is not an advertisement */
    lla_opt(o, 1, mac_s);
    n = nd_frame(f, 135, 0, target2, o, 8, 0);
    cr_expect_eq(out_port(&e, f, n), 4, "SLL");
    lla_opt(o, 1, mac_t);
    n = nd_frame(f, 135, 0, target2, o, 8, 0);
    cr_expect_eq(out_port(&e, f, n), 5, "another SLL");
    /* the TLL a solicitation carries is no nd_sll */
    lla_opt(o, 2, mac_s);
    n = nd_frame(f, 135, 0, target2, o, 8, 0);
    cr_expect_eq(out_port(&e, f, n), 5, "a TLL in a solicitation");
    dp_env_fini(&e);
}

Test(dp_nd_match, ipv4_and_tcp_packets_do_not_meet_nd_flows)
{
    /* an IPv4 packet whose addresses are the bytes an ND flow's target
     * starts with, a TCP segment whose flags are where nd_lla lies: the
     * flows' icmp6 keeps them apart */
    static const char *const flows[] = {
        "priority=30,icmp6,icmp_type=135,nd_target=a00:1:a00:2::,"
        "actions=output:2",
        "priority=30,icmp6,icmp_type=136,nd_tll=00:00:00:00:00:12,"
        "actions=output:3",
        "priority=20,ip,nw_src=10.0.0.1,actions=output:4",
        "priority=20,tcp6,tcp_flags=+syn,actions=output:5",
        "priority=0,actions=output:6",
        NULL,
    };
    uint8_t f[128];
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = t_frame_ip4(f, -1, 6, 1000, 80, 0);     /* 10.0.0.1 -> .2 */
    cr_expect_eq(out_port(&e, f, n), 4);
    f[14 + 15] = 3;                             /* from 10.0.0.3 */
    cr_expect_eq(out_port(&e, f, n), 6);
    /* flags 0x012: nd_lla's bytes read 00:00:00:00:00:12 */
    n = t_frame_ip6(f, 6, 1000, 80, 20);
    f[14 + 40 + 13] = 0x12;
    cr_expect_eq(out_port(&e, f, n), 5);
    dp_env_fini(&e);
}
