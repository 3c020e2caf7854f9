/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STEERING_RECLAIM (ABI 1.7): a driver that takes over the rules an earlier
 * driver left frees what that driver held beyond them. Counter ranges none
 * of whose counters a rule uses go, whole; a range one rule still counts
 * into stays, whole; RSS contexts no rule names go (a vport's default
 * too); rules, tables and counts stay.
 */
#include <inttypes.h>

#include "emu_test.h"
#include "emu_test_frame.h"

static void
setup(void)
{
    t_frame_setup("full", 4, 3);
}

TestSuite(emu_dev_reclaim, .init = setup, .fini = t_frame_teardown,
          .timeout = 10);

static uint8_t
reclaim_as(uint16_t function, uint32_t flags, uint32_t rsvd,
           struct fw_steering_reclaim_out *out)
{
    struct fw_steering_reclaim_in in = { .flags = flags, .rsvd = rsvd };
    uint8_t st = T_EXEC(dev, function, FW_CMD_STEERING_RECLAIM, in);

    if (st == FW_STATUS_OK && out != NULL)
        memcpy(out, t_out.raw, sizeof(*out));
    return st;
}

/* vf0 -> vf1 by destination MAC in group 0, counted into @counter. */
static uint32_t
add_counted(uint32_t counter)
{
    struct t_rule r;
    uint32_t id = 0;

    t_rule_init(&r, 0, 0);
    memcpy(r.in.value.eth_dst, mac_vf1, 6);
    memset(r.in.mask.eth_dst, 0xff, 6);
    t_rule_act(&r, FW_ACT_COUNT)->u.count.counter_id = counter;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_VF(1), 0);
    cr_assert_eq(t_rule_add(dev, &r, &id), 0);
    return id;
}

static uint32_t
rss_ctx(uint16_t vport, uint16_t flags)
{
    struct fw_rss_ctx_create_in in;
    uint32_t id;

    memset(&in, 0, sizeof(in));
    in.vport = vport;
    in.flags = flags;
    in.hash_types = FW_RSS_IPV4;
    in.n_queues = 1;
    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RSS_CTX_CREATE, in), 0);
    id = ((struct fw_rss_ctx_create_out *)t_out.raw)->ctx_id;
    return id;
}

Test(emu_dev_reclaim, frees_what_no_rule_uses_keeps_the_rest_whole)
{
    struct fw_steering_reclaim_out out;
    uint32_t a = 0, b = 0, c = 0, one = 0, rule, again = 0;
    struct fw_counter_value v;
    struct t_rule r;
    uint32_t ctx_free, ctx_default, ctx_used;

    cr_assert_eq(t_counter_alloc(dev, 1024, &a), 0);
    cr_assert_eq(t_counter_alloc(dev, 100, &b), 0);
    cr_assert_eq(t_counter_alloc(dev, 1, &c), 0);
    cr_assert_eq(t_counter_alloc(dev, 1, &one), 0);
    rule = add_counted(b + 57);         /* b is used by one counter */
    emu_dev_input(dev, FW_VPORT_VF(0), frame, flen);
    ctx_free = rss_ctx(FW_VPORT_VF(2), 0);
    ctx_default = rss_ctx(FW_VPORT_VF(1), FW_RSS_F_VPORT_DEFAULT);
    ctx_used = rss_ctx(FW_VPORT_VF(0), 0);
    t_rule_init(&r, 0, 1);
    r.in.value.eth_type = 0x0008;
    r.in.mask.eth_type = 0xffff;
    t_rule_act(&r, FW_ACT_RSS)->u.rss.ctx_id = ctx_used;
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);

    cr_assert_eq(reclaim_as(FW_FUNC_PF, 0, 0, &out), FW_STATUS_OK);
    cr_expect_eq(out.hdr.out_size, sizeof(out));
    cr_expect_eq(out.counter_ranges, 3, "a, c and one (%u)",
                 out.counter_ranges);
    cr_expect_eq(out.counters, 1026);
    cr_expect_eq(out.rss_ctxs, 2, "the unused one and the default (%u)",
                 out.rss_ctxs);
    cr_expect_eq(out.counters_left, 100, "b, whole");
    /* freed: the ids name nothing any more */
    cr_expect_eq(t_counter_read(dev, a, false, &v), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_read(dev, c, false, &v), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_free(dev, one, 1), FW_STATUS_BAD_RESOURCE);
    /* kept whole, with its count, and still counting */
    cr_expect_eq(t_counter_read(dev, b, false, &v), FW_STATUS_OK);
    cr_expect_eq(t_counter_read(dev, b + 57, false, &v), FW_STATUS_OK);
    cr_expect_eq(v.packets, 1);
    emu_dev_input(dev, FW_VPORT_VF(0), frame, flen);
    cr_expect_eq(t_counter_read(dev, b + 57, false, &v), FW_STATUS_OK);
    cr_expect_eq(v.packets, 2);
    cr_expect_eq(t_health(dev).rules, 2, "rules stay");
    /* RSS: the unused and the default context are gone, the used one not */
    {
        struct fw_rss_ctx_destroy_in in = { .ctx_id = ctx_free };

        cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RSS_CTX_DESTROY, in),
                     FW_STATUS_BAD_RESOURCE);
        in.ctx_id = ctx_default;
        cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RSS_CTX_DESTROY, in),
                     FW_STATUS_BAD_RESOURCE);
        in.ctx_id = ctx_used;
        cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RSS_CTX_DESTROY, in),
                     FW_STATUS_BUSY);
    }
    /* the freed room is allocatable again: 1,024 in one range */
    cr_expect_eq(t_counter_alloc(dev, 1024, &again), 0);
    /* once the rule goes, b is no one's: the next reclaim frees it */
    cr_assert_eq(t_rule_delete(dev, rule), 0);
    cr_assert_eq(reclaim_as(FW_FUNC_PF, 0, 0, &out), FW_STATUS_OK);
    cr_expect_eq(out.counter_ranges, 2, "b and the new range (%u)",
                 out.counter_ranges);
    cr_expect_eq(out.counters, 1124);
    cr_expect_eq(out.counters_left, 0);
    cr_expect_eq(t_counter_read(dev, b, false, &v), FW_STATUS_BAD_RESOURCE);
    /* nothing left: a third one frees nothing */
    cr_assert_eq(reclaim_as(FW_FUNC_PF, 0, 0, &out), FW_STATUS_OK);
    cr_expect_eq(out.counter_ranges, 0);
    cr_expect_eq(out.rss_ctxs, 0);
}

Test(emu_dev_reclaim, refused_inputs_change_nothing)
{
    struct {
        struct fw_steering_reclaim_in in;
        uint8_t extra[8];
    } big;
    struct fw_counter_value v;
    uint32_t a = 0;

    cr_assert_eq(t_counter_alloc(dev, 4, &a), 0);
    cr_expect_eq(reclaim_as(FW_FUNC_VF(0), 0, 0, NULL), FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);
    cr_expect_eq(reclaim_as(FW_FUNC_UPLINK, 0, 0, NULL), FW_STATUS_NO_PERM);
    cr_expect_eq(reclaim_as(FW_FUNC_PF, 1, 0, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    cr_expect_eq(reclaim_as(FW_FUNC_PF, 0, 9, NULL), FW_STATUS_BAD_PARAM);
    memset(&big, 0, sizeof(big));
    big.extra[0] = 1;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_STEERING_RECLAIM, big),
                 FW_STATUS_BAD_INPUT_LEN);
    cr_expect_eq(FW_SYND_DETAIL(t_synd),
                 sizeof(struct fw_steering_reclaim_in));
    cr_expect_eq(t_counter_read(dev, a, false, &v), FW_STATUS_OK,
                 "nothing was freed");
    /* an output too small for the figures */
    {
        struct fw_steering_reclaim_in in = { .flags = 0 };

        in.hdr.out_size = sizeof(struct fw_out_hdr);
        cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_STEERING_RECLAIM, in),
                     FW_STATUS_BAD_OUTPUT_LEN);
    }
    cr_expect_eq(t_counter_read(dev, a, false, &v), FW_STATUS_OK);
}
