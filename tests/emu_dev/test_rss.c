/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS (ABI 1.5): the card's Toeplitz hash against the published RSS
 * verification values, contexts (create, destroy, hostile inputs), and
 * frames spread by a rule's FW_ACT_RSS or a vport's default context: one
 * flow always on one queue, many flows on several, the hash reported.
 */
#include "emu_test.h"

/* emu_rss.c, through the device model's private header */
uint32_t emu_rss_toeplitz(const uint8_t key[FW_RSS_KEY_SIZE],
                          const uint8_t *in, size_t n);

#define VF0 FW_FUNC_VF(0)

/* The default key of the RSS verification suite. */
static const uint8_t ms_key[FW_RSS_KEY_SIZE] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

T_DEV_SUITE(emu_dev_rss, "full", 4, 3, FW_ESW_SWITCHDEV, .timeout = 10);

/* ---- the hash ---- */

struct v4_case {
    const char *src, *dst;
    uint16_t sport, dport;
    uint32_t h2, h4;    /* addresses only; with TCP ports */
};

static const struct v4_case v4_cases[] = {
    { "66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178 },
    { "199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea },
    { "24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
    { "38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f },
    { "153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2 },
};

struct v6_case {
    const char *src, *dst;
    uint16_t sport, dport;
    uint32_t h2, h4;
};

static const struct v6_case v6_cases[] = {
    { "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766,
      0x2cc18cd5, 0x40207d3d },
    { "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739,
      0x0f0c461c, 0xdde51bbf },
    { "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf",
      44251, 38024, 0x4b61e985, 0x02d1feef },
};

Test(emu_dev_rss, toeplitz_matches_the_verification_suite_ipv4)
{
    for (size_t i = 0; i < sizeof(v4_cases) / sizeof(v4_cases[0]); i++) {
        const struct v4_case *c = &v4_cases[i];
        uint8_t in[12];
        uint16_t p;

        cr_assert_eq(inet_pton(AF_INET, c->src, in), 1);
        cr_assert_eq(inet_pton(AF_INET, c->dst, in + 4), 1);
        p = htons(c->sport);
        memcpy(in + 8, &p, 2);
        p = htons(c->dport);
        memcpy(in + 10, &p, 2);
        cr_expect_eq(emu_rss_toeplitz(ms_key, in, 8), c->h2,
                     "%s -> %s: 0x%08x", c->src, c->dst,
                     emu_rss_toeplitz(ms_key, in, 8));
        cr_expect_eq(emu_rss_toeplitz(ms_key, in, 12), c->h4,
                     "%s:%u -> %s:%u: 0x%08x", c->src, c->sport, c->dst,
                     c->dport, emu_rss_toeplitz(ms_key, in, 12));
    }
}

Test(emu_dev_rss, toeplitz_matches_the_verification_suite_ipv6)
{
    for (size_t i = 0; i < sizeof(v6_cases) / sizeof(v6_cases[0]); i++) {
        const struct v6_case *c = &v6_cases[i];
        uint8_t in[36];
        uint16_t p;

        cr_assert_eq(inet_pton(AF_INET6, c->src, in), 1);
        cr_assert_eq(inet_pton(AF_INET6, c->dst, in + 16), 1);
        p = htons(c->sport);
        memcpy(in + 32, &p, 2);
        p = htons(c->dport);
        memcpy(in + 34, &p, 2);
        cr_expect_eq(emu_rss_toeplitz(ms_key, in, 32), c->h2,
                     "%s -> %s: 0x%08x", c->src, c->dst,
                     emu_rss_toeplitz(ms_key, in, 32));
        cr_expect_eq(emu_rss_toeplitz(ms_key, in, 36), c->h4,
                     "%s -> %s with ports: 0x%08x", c->src, c->dst,
                     emu_rss_toeplitz(ms_key, in, 36));
    }
}

/* ---- contexts ---- */

static uint8_t
ctx_create_as(uint16_t function, uint16_t vport, uint16_t flags,
              uint32_t types, uint16_t n, const uint16_t *queues,
              uint32_t *id)
{
    struct fw_rss_ctx_create_in in;
    uint8_t st;

    memset(&in, 0, sizeof(in));
    in.vport = vport;
    in.flags = flags;
    in.hash_types = types;
    memcpy(in.key, ms_key, sizeof(in.key));
    in.n_queues = n;
    if (n <= FW_RSS_QUEUES_MAX && queues != NULL)
        memcpy(in.queues, queues, n * sizeof(queues[0]));
    st = T_EXEC(dev, function, FW_CMD_RSS_CTX_CREATE, in);
    if (st == 0 && id != NULL)
        *id = ((struct fw_rss_ctx_create_out *)t_out.raw)->ctx_id;
    return st;
}

static uint8_t
ctx_destroy(uint32_t id)
{
    struct fw_rss_ctx_destroy_in in = { .ctx_id = id };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_RSS_CTX_DESTROY, in);
}

static const uint16_t q4[4] = { 0, 1, 2, 3 };

Test(emu_dev_rss, caps_report_the_hash_types)
{
    cr_expect_eq(emu_dev_caps(dev)->rss_hash_types, FW_RSS_ALL_);
    cr_expect(emu_dev_caps(dev)->actions & FW_ACTION_BIT(FW_ACT_RSS));
    emu_dev_destroy(dev);
    dev = t_dev_new("tiny", 4, 3, FW_ESW_SWITCHDEV);
    cr_expect_eq(emu_dev_caps(dev)->rss_hash_types, 0,
                 "a profile without the action hashes nothing");
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 1, 0, 0, 4, q4, NULL),
                 FW_STATUS_NOT_SUPPORTED);
}

Test(emu_dev_rss, hostile_contexts_are_refused)
{
    uint16_t bad[2] = { 0, 4 };
    struct {
        struct fw_rss_ctx_create_in in;
        uint8_t extra[8];
    } big;
    uint32_t id = 0;

    cr_expect_eq(ctx_create_as(VF0, 1, 0, FW_RSS_IPV4, 4, q4, NULL),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(ctx_create_as(FW_FUNC_UPLINK, 0, 0, FW_RSS_IPV4, 4, q4,
                               NULL), FW_STATUS_NO_PERM);
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 9, 0, FW_RSS_IPV4, 4, q4, NULL),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_VPORT);
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 1, 0, 1u << 6, 4, q4, NULL),
                 FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSS);
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 1, 0, FW_RSS_IPV4, 0, q4, NULL),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 1, 0, FW_RSS_IPV4,
                               FW_RSS_QUEUES_MAX + 1, NULL, NULL),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 1, 0, FW_RSS_IPV4, 2, bad, NULL),
                 FW_STATUS_BAD_PARAM, "queue 4 of a 4-queue port");
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 1, FW_LIMIT_QUEUES));
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 1, 2, FW_RSS_IPV4, 4, q4, NULL),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    /* bytes past queues[n_queues - 1] must be zero */
    memset(&big, 0, sizeof(big));
    big.in.vport = 1;
    big.in.n_queues = 2;
    big.in.queues[3] = 1;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RSS_CTX_CREATE, big),
                 FW_STATUS_BAD_INPUT_LEN);
    cr_expect_eq(FW_SYND_DETAIL(t_synd),
                 offsetof(struct fw_rss_ctx_create_in, queues) + 4);

    cr_expect_eq(ctx_destroy(0), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(ctx_destroy(5000), FW_STATUS_BAD_RESOURCE);
    cr_assert_eq(ctx_create_as(FW_FUNC_PF, 1, 0, FW_RSS_IPV4, 4, q4, &id),
                 0);
    cr_expect_eq(ctx_destroy(id), FW_STATUS_OK);
    cr_expect_eq(ctx_destroy(id), FW_STATUS_BAD_RESOURCE, "gone already");
}

Test(emu_dev_rss, contexts_run_out_cleanly)
{
    uint32_t id = 0, first = 0;

    for (unsigned i = 0; i < 256; i++) {
        cr_assert_eq(ctx_create_as(FW_FUNC_PF, 1, 0, 0, 1, q4, &id), 0,
                     "context %u", i);
        if (i == 0)
            first = id;
    }
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 1, 0, 0, 1, q4, NULL),
                 FW_STATUS_NO_SPACE);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_RSS_CTX));
    cr_expect_eq(ctx_destroy(first), 0);
    cr_expect_eq(ctx_create_as(FW_FUNC_PF, 1, 0, 0, 1, q4, &id), 0);
}

/* ---- frames ---- */

static uint8_t frame[FW_PKT_BUF_SIZE];

/* One UDP frame of flow @i from vf0 to vf1's MAC; returns where it went. */
static struct emu_dest
send_flow(uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport)
{
    uint8_t a[6], b[6];
    uint32_t len;
    unsigned n0;

    t_rec.n = 0;    /* the recorder holds T_MAX_PKTS frames: start over */
    n0 = t_rec.n;
    t_mac(a, 1);
    t_mac(b, 2);
    len = t_udp_frame(frame, b, a, -1, sip, dip, sport, dport, 16);
    emu_dev_input(dev, FW_VPORT_VF(0), frame, len);
    cr_assert_eq(t_rec.n, n0 + 1);
    return t_rec.pkts[n0].dest;
}

static uint32_t
expect_hash(uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
            bool ports)
{
    uint8_t in[12];
    uint32_t a = htonl(sip), b = htonl(dip);
    uint16_t p = htons(sport), q = htons(dport);

    memcpy(in, &a, 4);
    memcpy(in + 4, &b, 4);
    memcpy(in + 8, &p, 2);
    memcpy(in + 10, &q, 2);
    return emu_rss_toeplitz(ms_key, in, ports ? 12 : 8);
}

/* Rule in the root: UDP from vf0 -> RSS context @ctx. */
static uint8_t
add_rss_rule(uint32_t ctx, uint32_t *rule)
{
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    r.in.value.src_vport = FW_VPORT_VF(0);
    r.in.mask.src_vport = 0xffff;
    t_rule_act(&r, FW_ACT_RSS)->u.rss.ctx_id = ctx;
    return t_rule_add(dev, &r, rule);
}

Test(emu_dev_rss, rule_spreads_flows_and_keeps_each_on_one_queue)
{
    uint32_t ctx = 0, rule = 0;
    unsigned per_queue[4] = { 0 };
    static const uint16_t q3[3] = { 3, 1, 2 };

    cr_assert_eq(ctx_create_as(FW_FUNC_PF, FW_VPORT_UPLINK, 0,
                               FW_RSS_IPV4 | FW_RSS_IPV4_UDP, 3, q3, &ctx),
                 0);
    cr_assert_eq(add_rss_rule(ctx, &rule), 0);
    for (uint16_t i = 0; i < 64; i++) {
        uint32_t sip = 0x0a000001u + i, dip = 0x0a800001u;
        uint16_t sport = (uint16_t)(1000 + 7 * i), dport = 53;
        uint32_t h = expect_hash(sip, dip, sport, dport, true);
        struct emu_dest d = send_flow(sip, dip, sport, dport);

        cr_expect_eq(d.kind, EMU_DEST_REP);
        cr_expect_eq(d.vport, FW_VPORT_UPLINK, "the context's vport");
        cr_expect_eq(d.src_vport, FW_VPORT_VF(0));
        cr_expect(d.has_hash);
        cr_expect_eq(d.hash, h, "flow %u: 0x%08x, want 0x%08x", i, d.hash, h);
        cr_expect_eq(d.queue, q3[h % 3], "flow %u", i);
        per_queue[d.queue]++;
        /* the same flow again: the same queue and hash */
        d = send_flow(sip, dip, sport, dport);
        cr_expect_eq(d.hash, h);
        cr_expect_eq(d.queue, q3[h % 3]);
    }
    cr_expect_eq(per_queue[0], 0, "queue 0 is not in the table");
    for (unsigned q = 1; q < 4; q++)
        cr_expect_gt(per_queue[q], 5u, "queue %u got %u of 64 flows", q,
                     per_queue[q]);
    /* a rule holds its context */
    cr_expect_eq(ctx_destroy(ctx), FW_STATUS_BUSY);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_RSS, 0, ctx));
    cr_assert_eq(t_rule_delete(dev, rule), 0);
    cr_expect_eq(ctx_destroy(ctx), FW_STATUS_OK);
}

Test(emu_dev_rss, types_pick_the_fields)
{
    uint32_t ctx = 0;
    struct emu_dest d;

    /* addresses only: the ports do not change the hash */
    cr_assert_eq(ctx_create_as(FW_FUNC_PF, FW_VPORT_UPLINK, 0, FW_RSS_IPV4,
                               4, q4, &ctx), 0);
    cr_assert_eq(add_rss_rule(ctx, NULL), 0);
    d = send_flow(0x01020304, 0x05060708, 1, 2);
    cr_expect_eq(d.hash, expect_hash(0x01020304, 0x05060708, 1, 2, false));
    d = send_flow(0x01020304, 0x05060708, 999, 2);
    cr_expect_eq(d.hash, expect_hash(0x01020304, 0x05060708, 1, 2, false));
}

Test(emu_dev_rss, no_type_applies_first_queue_no_hash)
{
    uint32_t ctx = 0;
    static const uint16_t q2[2] = { 2, 3 };
    struct emu_dest d;

    /* TCP only: a UDP frame is not hashed */
    cr_assert_eq(ctx_create_as(FW_FUNC_PF, FW_VPORT_UPLINK, 0,
                               FW_RSS_IPV4_TCP, 2, q2, &ctx), 0);
    cr_assert_eq(add_rss_rule(ctx, NULL), 0);
    d = send_flow(0x01020304, 0x05060708, 1, 2);
    cr_expect_not(d.has_hash);
    cr_expect_eq(d.hash, 0);
    cr_expect_eq(d.queue, 2);
}

Test(emu_dev_rss, vport_default_spreads_misses)
{
    uint32_t ctx = 0, ctx2 = 0;
    unsigned seen = 0;
    struct emu_dest d;

    cr_assert_eq(ctx_create_as(FW_FUNC_PF, FW_VPORT_VF(0),
                               FW_RSS_F_VPORT_DEFAULT,
                               FW_RSS_IPV4 | FW_RSS_IPV4_UDP, 4, q4, &ctx),
                 0);
    for (uint16_t i = 0; i < 32; i++) {
        uint32_t h = expect_hash(0x0a000001u + i, 0x0a000099, 40000, 80,
                                 true);

        d = send_flow(0x0a000001u + i, 0x0a000099, 40000, 80);
        cr_expect_eq(d.kind, EMU_DEST_REP);
        cr_expect_eq(d.vport, FW_VPORT_VF(0), "vf0's own representor");
        cr_expect(d.has_hash);
        cr_expect_eq(d.queue, h % 4);
        seen |= 1u << d.queue;
    }
    cr_expect_eq(seen, 0xfu, "all four queues used (mask 0x%x)", seen);
    /* a new default replaces it; destroying the default: queue 0 again */
    cr_assert_eq(ctx_create_as(FW_FUNC_PF, FW_VPORT_VF(0),
                               FW_RSS_F_VPORT_DEFAULT, 0, 1, q4 + 3, &ctx2),
                 0);
    d = send_flow(0x0a000001, 0x0a000099, 40000, 80);
    cr_expect_eq(d.queue, 3);
    cr_expect_not(d.has_hash);
    cr_assert_eq(ctx_destroy(ctx2), 0);
    d = send_flow(0x0a000002, 0x0a000099, 40000, 80);
    cr_expect_eq(d.queue, 0);
    cr_expect_not(d.has_hash, "no default: no hash");
    cr_expect_eq(ctx_destroy(ctx), 0, "the old default stayed a context");
}

Test(emu_dev_rss, flush_and_reset_take_contexts)
{
    uint32_t ctx = 0;
    struct fw_steering_flush_in fl = { 0 };
    struct fw_function_reset_in rs = { 0 };

    cr_assert_eq(ctx_create_as(FW_FUNC_PF, FW_VPORT_VF(0),
                               FW_RSS_F_VPORT_DEFAULT, FW_RSS_IPV4, 4, q4,
                               &ctx), 0);
    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_STEERING_FLUSH, fl), 0);
    cr_expect_eq(ctx_destroy(ctx), FW_STATUS_BAD_RESOURCE);
    cr_expect_not(send_flow(0x0a000002, 0x0a000099, 40000, 80).has_hash);
    cr_assert_eq(ctx_create_as(FW_FUNC_PF, FW_VPORT_VF(0),
                               FW_RSS_F_VPORT_DEFAULT, FW_RSS_IPV4, 4, q4,
                               &ctx), 0);
    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_FUNCTION_RESET, rs), 0);
    cr_expect_eq(ctx_destroy(ctx), FW_STATUS_BAD_RESOURCE);
    cr_expect_not(send_flow(0x0a000002, 0x0a000099, 40000, 80).has_hash);
}
