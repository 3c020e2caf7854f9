/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_pkt_larger and sample in the datapath, flows through the parser
 * and frames through the packet path. check_pkt_larger(N)->DST writes 1
 * when the packet, as the actions so far left it and without the
 * Ethernet padding after its IP datagram, is longer than N bytes (Open
 * vSwitch's datapath's test), 0 otherwise, over what DST held; sample
 * changes nothing. Expected lengths are worked out by hand.
 */
#include <criterion/criterion.h>
#include <stdio.h>

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

/* Table 1 tells the bits apart: port 2 for reg0[0]=1, 3 for 0. Table 0
 * runs @first then the check (against @len) and resubmits. */
static unsigned
larger_port(const char *first, unsigned len, const uint8_t *f, size_t n)
{
    char flow0[256];
    const char *flows[] = {
        flow0,
        "table=1,reg0=0x1/0x1,actions=output:2",
        "table=1,reg0=0/0x1,actions=output:3",
        NULL,
    };
    struct dp_env e;
    struct capture c;

    snprintf(flow0, sizeof(flow0), "table=0,actions=%s"
             "check_pkt_larger(%u)->NXM_NX_REG0[0],resubmit(,1)", first, len);
    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    dp_env_fini(&e);
    cr_assert_eq(c.n, 1, "%s %u", first, len);
    return c.port[0];
}

Test(dp_sample, larger_compares_the_length_so_far)
{
    uint8_t f[256];
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 58);    /* 100 bytes */

    cr_assert_eq(n, 100);
    cr_expect_eq(larger_port("", 99, f, n), 2);
    cr_expect_eq(larger_port("", 100, f, n), 3);    /* not larger: equal */
    cr_expect_eq(larger_port("", 0, f, n), 2);
    cr_expect_eq(larger_port("", 65535, f, n), 3);
    /* a tag pushed before counts, one stripped does not */
    cr_expect_eq(larger_port("push_vlan:0x8100,", 103, f, n), 2);
    cr_expect_eq(larger_port("push_vlan:0x8100,", 104, f, n), 3);
    n = t_frame_ip4(f, 0x0005, 17, 1, 2, 58);       /* 104, tagged */
    cr_expect_eq(larger_port("strip_vlan,", 99, f, n), 2);
    cr_expect_eq(larger_port("strip_vlan,", 100, f, n), 3);
}

Test(dp_sample, larger_leaves_out_the_ethernet_padding)
{
    uint8_t f[256];
    size_t n = t_frame_ip4(f, -1, 17, 1, 2, 4);     /* 46 bytes */

    /* padded to Ethernet's 60: the datagram ends at 46 */
    memset(f + n, 0, 60 - n);
    cr_expect_eq(larger_port("", 45, f, 60), 2);
    cr_expect_eq(larger_port("", 46, f, 60), 3);
    /* behind a tag too */
    n = t_frame_ip4(f, 0x0007, 17, 1, 2, 4);        /* 50 bytes */
    memset(f + n, 0, 64 - n);
    cr_expect_eq(larger_port("", 49, f, 64), 2);
    cr_expect_eq(larger_port("", 50, f, 64), 3);
    /* an IPv4 header whose total length runs past the frame is not read:
     * the frame has no padding */
    n = t_frame_ip4(f, -1, 17, 1, 2, 4);
    t_wr16(f + 16, 200);
    cr_expect_eq(larger_port("", 45, f, 60), 2);
    cr_expect_eq(larger_port("", 59, f, 60), 2);
    cr_expect_eq(larger_port("", 60, f, 60), 3);
    /* nor is a frame that is not IP */
    n = t_frame_ip4(f, -1, 17, 1, 2, 4);
    t_wr16(f + 12, 0x88b5);
    cr_expect_eq(larger_port("", 59, f, 60), 2);
    /* IPv6: the payload length says where the datagram ends */
    n = t_frame_ip6(f, 17, 1, 2, 8);                /* 62 bytes */
    memset(f + n, 0, 70 - n);
    cr_expect_eq(larger_port("", 61, f, 70), 2);
    cr_expect_eq(larger_port("", 62, f, 70), 3);
}

Test(dp_sample, larger_writes_one_bit_only)
{
    static const char *const flows[] = {
        "table=0,actions=load:0xffffffff->NXM_NX_REG1[],"
        "check_pkt_larger(1000)->NXM_NX_REG1[4],"
        "check_pkt_larger(10)->NXM_NX_REG1[31],resubmit(,1)",
        "table=1,reg1=0x7fffffef,actions=output:2",
        "table=1,priority=0,actions=output:3",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[256];
    size_t n = t_frame_ip4(f, -1, 6, 1, 2, 0);

    /* 54 bytes: bit 4 cleared (not > 1000), bit 31 set (> 10) */
    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.port[0], 3, "reg1 should be 0xffffffef");
    dp_env_fini(&e);
}

Test(dp_sample, sample_changes_nothing)
{
    static const char *const flows[] = {
        "cookie=1,actions=sample(probability=65535,collector_set_id=1,"
        "sampling_port=3),output:2,sample(probability=1,egress),output:4",
        NULL,
    };
    struct dp_env e;
    struct capture c;
    uint8_t f[256];
    size_t n = t_frame_ip4(f, -1, 17, 1000, 2000, 8);

    dp_env_init(&e, 0, flows);
    send_frame(&e, f, n, &c);
    cr_assert_eq(c.n, 2);
    cr_expect_eq(c.port[0], 2);
    cr_expect_eq(c.port[1], 4);
    cr_expect(c.len[0] == n && memcmp(c.frame[0], f, n) == 0);
    cr_expect(c.len[1] == n && memcmp(c.frame[1], f, n) == 0);
    cr_expect_eq(dp_env_hits(&e, 1), 1);
    dp_env_fini(&e);
}
