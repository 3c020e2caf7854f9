/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPLS in the datapath, flows through the parser and frames through the
 * packet path: the entry push_mpls makes (from the IP header, or a copy
 * of the top one), pop_mpls to an MPLS EtherType (one entry) and to
 * another (the whole stack), set_mpls_* and dec_mpls_ttl on the top
 * entry only of an MPLS packet, the label matched after a push, and a
 * stack deeper than Open vSwitch tracks dropping the packet whole while
 * its flows still count. Expected bytes are written out by hand.
 */
#include <criterion/criterion.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

static void
send_frame(struct dp_env *e, const uint8_t *f, size_t n, struct capture *cap)
{
    struct t_pkt tp;

    memset(cap, 0, sizeof(*cap));
    t_pkt_load(&tp, f, n);
    dp_env_run(e, &tp.buf, 1, false, capture, cap);
}

/* An MPLS frame: Ethernet, @n entries (the last with BOS), then @inner. */
static size_t
mpls_frame(uint8_t *f, uint16_t type, const uint32_t *lse, unsigned n,
           const uint8_t *inner, size_t inner_len)
{
    size_t l = t_eth(f, type, -1);

    for (unsigned i = 0; i < n; i++, l += 4) {
        t_wr16(f + l, (uint16_t)(lse[i] >> 16));
        t_wr16(f + l + 2, (uint16_t)lse[i]);
    }
    memcpy(f + l, inner, inner_len);
    return l + inner_len;
}

static uint32_t
entry_at(const uint8_t *f, size_t ofs)
{
    return (uint32_t)f[ofs] << 24 | (uint32_t)f[ofs + 1] << 16
           | (uint32_t)f[ofs + 2] << 8 | f[ofs + 3];
}

#define LSE(label, tc, bos, ttl) \
    ((uint32_t)(label) << 12 | (tc) << 9 | (bos) << 8 | (ttl))

Test(dp_mpls, push_onto_ip_takes_tc_and_ttl_from_the_header)
{
    static const char *const flows[] = {
        "cookie=1,ip,actions=push_mpls:0x8847,output:2",
        "cookie=2,ipv6,actions=push_mpls:0x8848,output:3",
        "cookie=3,actions=push_mpls:0x8847,output:4",
        NULL,
    };
    uint8_t f[128], a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    /* IPv4, TOS 0x2e (DSCP 11: TC 3), TTL 64: label 0 */
    n = t_frame_ip4(f, -1, 17, 53, 53, 4);
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_assert_eq(cap.len[0], n + 4);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8847);
    cr_expect_eq(entry_at(cap.frame[0], 14), LSE(0, 3, 1, 64));
    cr_expect_arr_eq(cap.frame[0] + 18, f + 14, n - 14);
    /* IPv6, traffic class 0xb4 (DSCP 45: TC 5), hop limit 33: label 2 */
    n = t_frame_ip6(f, 17, 53, 53, 8);
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8848);
    cr_expect_eq(entry_at(cap.frame[0], 14), LSE(2, 5, 1, 33));
    /* not IP: label 0, TC 0, TTL 64 */
    n = t_eth(f, 0x88b5, -1);
    memcpy(f + n, a, sizeof(a));
    send_frame(&e, f, n + sizeof(a), &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(entry_at(cap.frame[0], 14), LSE(0, 0, 1, 64));
    cr_expect_arr_eq(cap.frame[0] + 18, a, sizeof(a));
    dp_env_fini(&e);
}

Test(dp_mpls, push_goes_after_the_vlan_tag_and_copies_the_top_entry)
{
    static const char *const flows[] = {
        "cookie=1,mpls,actions=push_mpls:0x8848,output:2",
        "cookie=2,actions=push_mpls:0x8847,output:3",
        NULL,
    };
    const uint32_t two[] = { LSE(100, 5, 0, 9), LSE(7, 1, 1, 3) };
    uint8_t f[128], inner[4] = { 0xde, 0xad, 0xbe, 0xef };
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = mpls_frame(f, 0x8847, two, 2, inner, sizeof(inner));
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8848);
    /* the copy has no BOS; the old entries follow unchanged */
    cr_expect_eq(entry_at(cap.frame[0], 14), LSE(100, 5, 0, 9));
    cr_expect_eq(entry_at(cap.frame[0], 18), two[0]);
    cr_expect_eq(entry_at(cap.frame[0], 22), two[1]);
    /* tagged IPv4: tag, then 0x8847, then the entry, then the header */
    n = t_frame_ip4(f, 0x2005, 6, 1, 2, 0);
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8100);
    cr_expect_eq(t_rd16(cap.frame[0] + 14), 0x2005);
    cr_expect_eq(t_rd16(cap.frame[0] + 16), 0x8847);
    cr_expect_eq(entry_at(cap.frame[0], 18), LSE(0, 3, 1, 64));
    cr_expect_arr_eq(cap.frame[0] + 22, f + 18, n - 18);
    dp_env_fini(&e);
}

Test(dp_mpls, pop_to_mpls_removes_one_entry_pop_to_ip_the_whole_stack)
{
    static const char *const flows[] = {
        "cookie=1,mpls,mpls_bos=0,in_port=1,"
        "actions=pop_mpls:0x8848,output:2,pop_mpls:0x0800,output:3",
        NULL,
    };
    const uint32_t three[] = { LSE(1, 0, 0, 9), LSE(2, 0, 0, 8),
                               LSE(3, 0, 1, 7) };
    uint8_t f[128], ip[64];
    struct capture cap;
    struct dp_env e;
    size_t n, ipn = t_frame_ip4(ip, -1, 17, 1, 2, 4) - 14;

    dp_env_init(&e, 0, flows);
    n = mpls_frame(f, 0x8847, three, 3, ip + 14, ipn);
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 2);
    cr_expect_eq(cap.len[0], n - 4);
    cr_expect_eq(t_rd16(cap.frame[0] + 12), 0x8848);
    cr_expect_eq(entry_at(cap.frame[0], 14), three[1]);
    cr_expect_eq(entry_at(cap.frame[0], 18), three[2]);
    /* to IPv4 from two entries: both go, the IP header follows */
    cr_expect_eq(cap.len[1], 14 + ipn);
    cr_expect_eq(t_rd16(cap.frame[1] + 12), 0x0800);
    cr_expect_arr_eq(cap.frame[1] + 14, ip + 14, ipn);
    dp_env_fini(&e);
}

Test(dp_mpls, set_and_dec_touch_the_top_entry_of_mpls_packets_only)
{
    static const char *const flows[] = {
        "cookie=1,mpls,actions=set_mpls_label:1048575,set_mpls_tc:7,"
        "output:2,set_field:5->mpls_ttl,load:2->OXM_OF_MPLS_TC[],"
        "dec_mpls_ttl,output:3",
        "cookie=2,ip,actions=set_mpls_label:9,set_mpls_ttl:1,output:4",
        NULL,
    };
    const uint32_t two[] = { LSE(100, 5, 0, 9), LSE(7, 1, 1, 3) };
    uint8_t f[128], inner[4] = { 1, 2, 3, 4 }, ip[64];
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = mpls_frame(f, 0x8847, two, 2, inner, sizeof(inner));
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 2);
    cr_expect_eq(entry_at(cap.frame[0], 14), LSE(0xfffff, 7, 0, 9));
    cr_expect_eq(entry_at(cap.frame[1], 14), LSE(0xfffff, 2, 0, 4));
    cr_expect_eq(entry_at(cap.frame[1], 18), two[1]);
    /* not MPLS: untouched */
    n = t_frame_ip4(ip, -1, 17, 1, 2, 0);
    send_frame(&e, ip, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_arr_eq(cap.frame[0], ip, n);
    dp_env_fini(&e);
}

Test(dp_mpls, dec_mpls_ttl_ends_the_list_at_ttl_1_or_on_other_packets)
{
    static const char *const flows[] = {
        "cookie=1,mpls,actions=output:2,dec_mpls_ttl,output:3",
        "cookie=2,ip,actions=output:2,dec_mpls_ttl,output:3",
        NULL,
    };
    const uint32_t one[] = { LSE(5, 0, 1, 1) }, two[] = { LSE(5, 0, 1, 2) };
    uint8_t f[128], inner[2] = { 9, 9 };
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = mpls_frame(f, 0x8847, one, 1, inner, sizeof(inner));
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.port[0], 2);
    n = mpls_frame(f, 0x8847, two, 1, inner, sizeof(inner));
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 2);
    cr_expect_eq(entry_at(cap.frame[1], 14), LSE(5, 0, 1, 1));
    n = t_frame_ip4(f, -1, 6, 1, 2, 0);
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.port[0], 2);
    dp_env_fini(&e);
}

Test(dp_mpls, a_later_table_matches_the_pushed_entry)
{
    static const char *const flows[] = {
        "cookie=1,table=0,ip,actions=push_mpls:0x8847,"
        "set_mpls_label:77,resubmit(,1),goto_table:2",
        "cookie=2,table=1,mpls,mpls_label=77,mpls_bos=1,actions=output:2",
        "cookie=3,table=1,ip,actions=output:3",
        "cookie=4,table=2,mpls,mpls_label=77,actions=pop_mpls:0x0800,"
        "resubmit(,3)",
        "cookie=5,table=3,udp,actions=output:4",
        NULL,
    };
    uint8_t f[128];
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = t_frame_ip4(f, -1, 17, 1, 2, 0);
    send_frame(&e, f, n, &cap);
    cr_assert_eq(cap.n, 2);
    cr_expect_eq(cap.port[0], 2);
    /* popped again: the inner header is read for table 3 */
    cr_expect_eq(cap.port[1], 4);
    cr_expect_arr_eq(cap.frame[1], f, n);
    dp_env_fini(&e);
}

Test(dp_mpls, a_stack_too_deep_drops_the_packet_whole_but_counts)
{
    static const char *const flows[] = {
        "cookie=1,table=0,mpls,actions=output:2,resubmit(,1),output:3",
        "cookie=2,table=1,mpls,actions=output:4,push_mpls:0x8847",
        NULL,
    };
    const uint32_t three[] = { LSE(1, 0, 0, 9), LSE(2, 0, 0, 8),
                               LSE(3, 0, 1, 7) };
    uint8_t f[128], inner[2] = { 1, 2 };
    struct capture cap;
    struct dp_env e;
    size_t n;

    dp_env_init(&e, 0, flows);
    n = mpls_frame(f, 0x8847, three, 3, inner, sizeof(inner));
    send_frame(&e, f, n, &cap);
    cr_expect_eq(cap.n, 0);
    cr_expect_eq(dp_env_hits(&e, 1), 1);
    cr_expect_eq(dp_env_hits(&e, 2), 1);
    cr_expect_eq(dp_worker_stats(e.w)->mpls_drops, 1);
    /* two entries: the push is fine */
    n = mpls_frame(f, 0x8847, three + 1, 2, inner, sizeof(inner));
    send_frame(&e, f, n, &cap);
    cr_expect_eq(cap.n, 3);
    cr_expect_eq(dp_worker_stats(e.w)->mpls_drops, 1);
    dp_env_fini(&e);
}

Test(dp_mpls, extract_reads_the_top_entry_and_nothing_behind_it)
{
    const uint32_t two[] = { LSE(0xabcde, 6, 0, 200), LSE(1, 0, 1, 1) };
    uint8_t f[128], ip[64];
    struct flow_key k;
    size_t ipn = t_frame_ip4(ip, -1, 6, 1, 2, 0) - 14;
    size_t n = mpls_frame(f, 0x8848, two, 2, ip + 14, ipn);

    cr_assert_eq(dp_extract(f, n, 1, &k, NULL), 0);
    cr_expect_eq(ntohs(k.dl_type), 0x8848);
    cr_expect_eq(ntohl(k.mpls_lse), two[0]);
    cr_expect_eq(k.nw_proto, 0);
    cr_expect_eq(k.nw_src, 0);
    /* an entry cut short is not read */
    cr_assert_eq(dp_extract(f, 16, 1, &k, NULL), 0);
    cr_expect_eq(k.mpls_lse, 0);
}
