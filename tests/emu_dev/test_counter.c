/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters: ranges, free rules, bulk query, counting per rule hit. */
#include "emu_test.h"

static struct emu_dev *dev;

static void
setup(void)
{
    dev = t_dev_new("tiny", 2, 2, FW_ESW_SWITCHDEV);
}

static void
teardown(void)
{
    emu_dev_destroy(dev);
}

TestSuite(emu_dev_counter, .init = setup, .fini = teardown, .timeout = 10);

Test(emu_dev_counter, alloc_ranges_and_exhaustion)
{
    uint32_t a = 0, b = 0, c = 0;

    cr_expect_eq(t_counter_alloc(dev, 0, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_counter_alloc(dev, 1025, NULL), FW_STATUS_BAD_PARAM);
    cr_assert_eq(t_counter_alloc(dev, 10, &a), 0);
    cr_assert_eq(t_counter_alloc(dev, 50, &b), 0);
    cr_expect_neq(a, 0, "id 0 is never handed out");
    cr_expect(b >= a + 10 || b + 50 <= a, "ranges overlap");
    /* tiny has 64: 4 left */
    cr_expect_eq(t_counter_alloc(dev, 5, NULL), FW_STATUS_NO_SPACE);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_COUNTERS));
    cr_assert_eq(t_counter_alloc(dev, 4, &c), 0);
    cr_expect_eq(t_counter_alloc(dev, 1, NULL), FW_STATUS_NO_SPACE);
    /* free exactly a range */
    cr_expect_eq(t_counter_free(dev, a, 9), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_free(dev, a + 1, 9), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_free(dev, 0, 1), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_free(dev, 1000, 1), FW_STATUS_BAD_RESOURCE);
    cr_assert_eq(t_counter_free(dev, a, 10), 0);
    cr_expect_eq(t_counter_free(dev, a, 10), FW_STATUS_BAD_RESOURCE);
    cr_assert_eq(t_counter_alloc(dev, 10, &a), 0);
}

Test(emu_dev_counter, free_busy_while_referenced)
{
    uint32_t base = 0, id = 0;
    struct t_rule r;

    cr_assert_eq(t_counter_alloc(dev, 4, &base), 0);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_COUNT)->u.count.counter_id = base + 2;
    t_rule_act(&r, FW_ACT_DROP);
    cr_assert_eq(t_rule_add(dev, &r, &id), 0);
    cr_expect_eq(t_counter_free(dev, base, 4), FW_STATUS_BUSY);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_COUNTER, 0, base + 2));
    cr_expect_eq(t_counter_read(dev, base + 2, false, NULL), 0,
                 "refused free freed");
    cr_assert_eq(t_rule_delete(dev, id), 0);
    cr_expect_eq(t_counter_free(dev, base, 4), 0);
    cr_expect_eq(t_counter_read(dev, base + 2, false, NULL),
                 FW_STATUS_BAD_RESOURCE);
}

Test(emu_dev_counter, counts_hits_and_clears)
{
    uint32_t base = 0;
    struct t_rule r;
    uint8_t f[128], d[6], s[6];
    struct fw_counter_value v;

    cr_assert_eq(t_counter_alloc(dev, 2, &base), 0);
    t_rule_init(&r, 0, 0);
    r.in.mask.src_vport = 0xffff;
    r.in.value.src_vport = 1;
    t_rule_act(&r, FW_ACT_COUNT)->u.count.counter_id = base;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 2, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    t_mac(d, 2);
    t_mac(s, 1);
    uint32_t len = t_udp_frame(f, d, s, -1, 1, 2, 3, 4, 18);
    emu_dev_input(dev, 1, f, len);
    emu_dev_input(dev, 1, f, len);
    emu_dev_input(dev, 2, f, len); /* other source: no hit */
    cr_assert_eq(t_counter_read(dev, base, false, &v), 0);
    cr_expect_eq(v.packets, 2);
    cr_expect_eq(v.bytes, 2ull * len);
    cr_assert_eq(t_counter_read(dev, base, true, &v), 0);
    cr_expect_eq(v.packets, 2);
    cr_assert_eq(t_counter_read(dev, base, false, &v), 0);
    cr_expect_eq(v.packets, 0);
    cr_expect_eq(v.bytes, 0);
}

Test(emu_dev_counter, bulk_query_validation)
{
    uint32_t base = 0;
    struct fw_counter_query_in in;

    cr_assert_eq(t_counter_alloc(dev, 3, &base), 0);
    memset(&in, 0, sizeof(in));
    in.n = 3;
    in.ids[0] = base;
    in.ids[1] = base + 2;
    in.ids[2] = base + 1;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_QUERY, in), 0);
    cr_expect_eq(t_out.hdr.out_size,
                 sizeof(struct fw_out_hdr) + 3 * sizeof(struct fw_counter_value));
    in.hdr.out_size = sizeof(struct fw_out_hdr) + 2 * 16;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_QUERY, in),
                 FW_STATUS_BAD_OUTPUT_LEN);
    cr_expect_eq(FW_SYND_DETAIL(t_synd), sizeof(struct fw_out_hdr) + 3 * 16);
    in.hdr.out_size = 0;
    in.ids[1] = base + 3;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_QUERY, in),
                 FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_COUNTER, 1, base + 3));
    in.ids[1] = base;
    in.n = 0;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_QUERY, in),
                 FW_STATUS_BAD_PARAM);
    in.n = 61;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_QUERY, in),
                 FW_STATUS_BAD_PARAM);
    in.n = 3;
    in.flags = 2;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_QUERY, in),
                 FW_STATUS_BAD_PARAM);
    in.flags = 0;
    in.ids[10] = 7; /* past ids[n - 1]: unknown layout */
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_QUERY, in),
                 FW_STATUS_BAD_INPUT_LEN);
}

Test(emu_dev_counter, leaving_switchdev_keeps_counters)
{
    uint32_t base = 0;
    struct t_rule r;

    cr_assert_eq(t_counter_alloc(dev, 1, &base), 0);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_COUNT)->u.count.counter_id = base;
    t_rule_act(&r, FW_ACT_DROP);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    cr_assert_eq(t_set_mode(dev, FW_ESW_LEGACY), 0);
    cr_expect_eq(t_counter_read(dev, base, false, NULL), 0);
    cr_expect_eq(t_counter_free(dev, base, 1), 0, "still referenced");
}
