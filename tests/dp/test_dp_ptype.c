/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet types in the datapath, flows through the parser and frames
 * through the packet path (one call and a burst of one, which must agree):
 * decap() takes the Ethernet header off and later tables see a packet of
 * type (1, EtherType) whose IP and L4 fields still match while Ethernet
 * fields do not; encap(ethernet) puts a header with zero addresses back;
 * a packet without an Ethernet header goes to no port; a tagged packet,
 * decap of an IP packet and encap of an Ethernet one drop the packet
 * whole. What Open vSwitch 3.1 does with the same flows (checked with
 * ofproto/trace on its dummy datapath). Expected bytes are written out.
 */
#include <criterion/criterion.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

static const uint8_t zero_macs[12];

Test(dp_ptype, decap_then_encap_gives_zero_addresses)
{
    static const char *const flows[] = {
        "cookie=1,table=0,in_port=1,ip,actions=decap(),goto_table:1",
        /* an Ethernet field or dl_type: Ethernet packets only */
        "cookie=2,table=1,priority=50,dl_src=00:00:00:00:00:00,"
        "actions=output:2",
        "cookie=3,table=1,priority=40,ip,actions=output:2",
        "cookie=4,table=1,priority=30,packet_type=(1,0x800),nw_proto=6,"
        "tp_dst=80,nw_dst=10.0.0.2,actions=encap(ethernet),output:3",
        NULL,
    };
    uint8_t f[128];
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = t_frame_ip4(f, -1, 6, 1000, 80, 6);
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.port[0], 3);
    cr_assert_eq(cap.len[0], n);
    cr_expect_arr_eq(cap.frame[0], zero_macs, 12);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x0800);
    cr_expect_arr_eq(cap.frame[0] + 14, f + 14, n - 14);
    cr_expect_eq(dp_env_hits(&e, 2), 0);
    cr_expect_eq(dp_env_hits(&e, 3), 0);
    cr_expect_eq(dp_env_hits(&e, 4), 2);
    dp_env_fini(&e);
}

Test(dp_ptype, a_packet_without_ethernet_goes_to_no_port)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=output:2,decap(),output:3,"
        "output:in_port,ALL,NORMAL,LOCAL,resubmit(,1)",
        /* Ethernet actions on it do nothing; encap brings zero MACs */
        "cookie=2,table=1,actions=strip_vlan,mod_dl_dst:00:00:00:00:00:07,"
        "push_vlan:0x8100,encap(ethernet),output:4",
        NULL,
    };
    uint8_t f[128];
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = t_frame_ip4(f, -1, 17, 53, 53, 4);
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 2);
    cr_expect_eq(cap.port[0], 2);
    cr_expect_arr_eq(cap.frame[0], f, n);
    cr_expect_eq(cap.port[1], 4);
    cr_assert_eq(cap.len[1], n);
    cr_expect_arr_eq(cap.frame[1], zero_macs, 12);
    cr_expect_arr_eq(cap.frame[1] + 12, f + 12, n - 12);
    dp_env_fini(&e);
}

Test(dp_ptype, failures_drop_the_packet_whole)
{
    static const char *const flows[] = {
        /* a VLAN tag: Open vSwitch cannot decap it */
        "cookie=1,in_port=1,dl_vlan=5,actions=output:2,decap(),output:3",
        /* decap of an IP packet: not a header it takes off */
        "cookie=2,in_port=1,udp,actions=output:2,decap(),decap(),"
        "encap(ethernet),output:3",
        /* encap(ethernet) of an Ethernet packet */
        "cookie=3,in_port=1,tcp,actions=output:2,encap(ethernet),output:3",
        NULL,
    };
    uint8_t f[128];
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = t_frame_ip4(f, 5, 17, 53, 53, 4);
    dp_env_run_both(&e, f, n, &cap);
    cr_expect_eq(cap.n, 0);
    n = t_frame_ip4(f, -1, 17, 53, 53, 4);
    dp_env_run_both(&e, f, n, &cap);
    cr_expect_eq(cap.n, 0);
    n = t_frame_ip4(f, -1, 6, 1, 2, 0);
    dp_env_run_both(&e, f, n, &cap);
    cr_expect_eq(cap.n, 0);
    /* the flows still counted their packets */
    cr_expect_eq(dp_env_hits(&e, 1), 2);
    cr_expect_eq(dp_env_hits(&e, 2), 2);
    cr_expect_eq(dp_env_hits(&e, 3), 2);
    dp_env_fini(&e);
}

/* After decap the rewrites find the IP header at the frame's start, and
 * the checksums stay right. */
Test(dp_ptype, rewrites_after_decap)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,tcp,actions=decap(),mod_nw_dst:10.9.9.9,"
        "mod_tp_dst:99,dec_ttl,encap(ethernet),output:2",
        NULL,
    };
    uint8_t f[128], want[128];
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = t_frame_ip4(f, -1, 6, 1000, 80, 0);
    dp_env_run_both(&e, f, n, &cap);
    /* the same rewrites on an Ethernet packet give the expected bytes */
    {
        static const char *const eth[] = {
            "cookie=1,in_port=1,tcp,actions=mod_nw_dst:10.9.9.9,"
            "mod_tp_dst:99,dec_ttl,mod_dl_src:00:00:00:00:00:00,"
            "mod_dl_dst:00:00:00:00:00:00,output:2",
            NULL,
        };
        struct capture ref;
        struct dp_env r;

        dp_env_init(&r, 0, eth);
        dp_env_run_both(&r, f, n, &ref);
        cr_assert_eq(ref.n, 1);
        memcpy(want, ref.frame[0], ref.len[0]);
        dp_env_fini(&r);
    }
    cr_assert_eq(cap.n, 1);
    cr_assert_eq(cap.len[0], n);
    cr_expect_arr_eq(cap.frame[0], want, n);
    cr_expect_eq(t_rd16(cap.frame[0] + 14 + 20 + 2), 99);
    cr_expect_eq(cap.frame[0][14 + 8], 63);
    dp_env_fini(&e);
}

/* ARP and other EtherTypes: the packet type says the EtherType, the ARP
 * fields are read at the frame's start. */
Test(dp_ptype, other_ethertypes)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,actions=decap(),resubmit(,1)",
        "cookie=2,table=1,priority=20,packet_type=(1,0x806),"
        "nw_src=10.0.0.1,actions=encap(ethernet),output:2",
        "cookie=3,table=1,priority=10,packet_type=(1,0x88b5),"
        "actions=encap(ethernet),output:3",
        NULL,
    };
    uint8_t f[128];
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = t_eth(f, 0x0806, -1);
    memset(f + n, 0, 28);
    t_wr16(f + n, 1);
    t_wr16(f + n + 2, 0x0800);
    f[n + 4] = 6;
    f[n + 5] = 4;
    t_wr16(f + n + 6, 1);
    f[n + 14] = 10;
    f[n + 17] = 1;
    n += 28;
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.port[0], 2);
    cr_expect_arr_eq(cap.frame[0] + 12, f + 12, n - 12);
    n = t_eth(f, 0x88b5, -1);
    memset(f + n, 0xab, 10);
    n += 10;
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.port[0], 3);
    cr_expect_arr_eq(cap.frame[0], zero_macs, 12);
    cr_expect_arr_eq(cap.frame[0] + 12, f + 12, n - 12);
    dp_env_fini(&e);
}

static uint32_t
lse_at(const uint8_t *f)
{
    return (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8
           | f[3];
}

#define LSE(label, tc, bos, ttl) \
    ((uint32_t)(label) << 12 | (tc) << 9 | (bos) << 8 | (ttl))

/* encap(mpls): label 0, TC 0, TTL 64, BOS before a packet that is not
 * MPLS (an Ethernet frame stays whole behind it); the top entry's TC and
 * TTL and no BOS on one that is. The bytes ovs-vswitchd sent for the
 * same flows and frames. */
Test(dp_ptype, encap_mpls)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,tcp,actions=decap(),encap(mpls),"
        "set_mpls_label:2,encap(ethernet),output:2",
        "cookie=2,in_port=1,udp,actions=decap(),encap(mpls),set_mpls_tc:3,"
        "dec_mpls_ttl,encap(mpls_mc),encap(ethernet),output:3",
        "cookie=3,in_port=1,arp,actions=encap(mpls),encap(ethernet),"
        "output:4",
        NULL,
    };
    uint8_t f[128];
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = t_frame_ip4(f, -1, 6, 1000, 80, 0);
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_assert_eq(cap.len[0], n + 4);
    cr_expect_arr_eq(cap.frame[0], zero_macs, 12);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8847);
    cr_expect_eq(lse_at(cap.frame[0] + 14), LSE(2, 0, 1, 64));
    cr_expect_arr_eq(cap.frame[0] + 18, f + 14, n - 14);
    n = t_frame_ip4(f, -1, 17, 53, 53, 4);
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_assert_eq(cap.len[0], n + 8);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8848);
    cr_expect_eq(lse_at(cap.frame[0] + 14), LSE(0, 3, 0, 63));
    cr_expect_eq(lse_at(cap.frame[0] + 18), LSE(0, 3, 1, 63));
    cr_expect_arr_eq(cap.frame[0] + 22, f + 14, n - 14);
    /* Ethernet over MPLS: the whole frame behind the entry */
    n = t_eth(f, 0x0806, -1);
    memset(f + n, 0x11, 28);
    n += 28;
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_assert_eq(cap.len[0], n + 18);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8847);
    cr_expect_eq(lse_at(cap.frame[0] + 14), LSE(0, 0, 1, 64));
    cr_expect_arr_eq(cap.frame[0] + 18, f, n);
    dp_env_fini(&e);
}

/* decap of MPLS: decap(packet_type(ns=1,type=T)) takes the stack off to
 * a T that is not MPLS, one entry to one that is; decap() under a lone
 * entry makes Open vSwitch's type (1,0xfffe). */
Test(dp_ptype, decap_mpls)
{
    static const char *const flows[] = {
        "cookie=1,in_port=1,mpls,mpls_label=2,actions=decap,"
        "decap(packet_type(ns=1,type=0x0800)),encap(ethernet),output:2",
        "cookie=2,in_port=1,mpls,mpls_label=3,actions=decap,"
        "decap(packet_type(ns=1,type=0x8847)),encap(ethernet),output:3",
        "cookie=3,in_port=1,mpls,mpls_label=4,actions=decap,decap(),"
        "encap(ethernet),output:4",
        NULL,
    };
    uint8_t ip[64], f[128];
    struct capture cap;
    struct dp_env e;
    size_t n, l3;

    dp_env_init(&e, 0, flows);
    l3 = t_frame_ip4(ip, -1, 17, 53, 53, 4) - 14;
    /* two entries, to IPv4: both go */
    n = t_eth(f, 0x8847, -1);
    t_wr16(f + n, (uint16_t)(LSE(2, 5, 0, 7) >> 16));
    t_wr16(f + n + 2, (uint16_t)LSE(2, 5, 0, 7));
    t_wr16(f + n + 4, (uint16_t)(LSE(9, 1, 1, 6) >> 16));
    t_wr16(f + n + 6, (uint16_t)LSE(9, 1, 1, 6));
    memcpy(f + n + 8, ip + 14, l3);
    n += 8 + l3;
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.port[0], 2);
    cr_assert_eq(cap.len[0], n - 8);
    cr_expect_arr_eq(cap.frame[0], zero_macs, 12);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x0800);
    cr_expect_arr_eq(cap.frame[0] + 14, ip + 14, l3);
    /* to MPLS: the top one goes */
    f[16] = (uint8_t)((f[16] & 0x0f) | 0x30);     /* label 3 */
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.port[0], 3);
    cr_assert_eq(cap.len[0], n - 4);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8847);
    cr_expect_eq(lse_at(cap.frame[0] + 14), LSE(9, 1, 1, 6));
    /* decap() under one entry: EtherType 0xfffe, as ovs-vswitchd sends */
    n = t_eth(f, 0x8847, -1);
    t_wr16(f + n, (uint16_t)(LSE(4, 0, 1, 9) >> 16));
    t_wr16(f + n + 2, (uint16_t)LSE(4, 0, 1, 9));
    memcpy(f + n + 4, ip + 14, l3);
    n += 4 + l3;
    dp_env_run_both(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.port[0], 4);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0xfffe);
    cr_expect_arr_eq(cap.frame[0] + 14, ip + 14, l3);
    dp_env_fini(&e);
}
