/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters: ranges, free rules, bulk query, counting per rule hit. */
#include "emu_test.h"

T_DEV_SUITE(emu_dev_counter, "tiny", 2, 2, FW_ESW_SWITCHDEV, .timeout = 10);

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

/* ------------------------------------------------------------------------
 * The allocator: free runs, coalescing, exhaustion, reuse
 * ------------------------------------------------------------------------ */

/* A device like "full" but with @n counters. */
static struct emu_dev *
t_dev_counters(uint32_t n)
{
    struct emu_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.profile = *emu_profile_find("full");
    cfg.profile.max_counters = n;
    cfg.esw_mode = FW_ESW_SWITCHDEV;
    memcpy(cfg.base_mac, T_PF_MAC, 6);
    struct emu_dev *d = emu_dev_create(&cfg, &t_ops, &t_rec);
    cr_assert_not_null(d);
    return d;
}

Test(emu_dev_counter, no_run_long_enough_is_no_space)
{
    uint32_t b[8], x = 0;

    /* tiny: 64 ids as eight ranges of 8, handed out lowest first */
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(t_counter_alloc(dev, 8, &b[i]), 0, "range %d", i);
        cr_expect_eq(b[i], 1u + 8u * (uint32_t)i, "fresh ids are in order");
    }
    cr_expect_eq(t_counter_alloc(dev, 1, NULL), FW_STATUS_NO_SPACE);
    /* two holes of 8, not adjacent: 16 ids free but no run of 16 */
    cr_assert_eq(t_counter_free(dev, b[1], 8), 0);
    cr_assert_eq(t_counter_free(dev, b[3], 8), 0);
    cr_expect_eq(t_counter_alloc(dev, 16, NULL), FW_STATUS_NO_SPACE);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_COUNTERS));
    cr_expect_eq(t_counter_alloc(dev, 9, NULL), FW_STATUS_NO_SPACE);
    /* the range between them freed: one run b[1]..b[3]+7 */
    cr_assert_eq(t_counter_free(dev, b[2], 8), 0);
    cr_assert_eq(t_counter_alloc(dev, 24, &x), 0, "holes coalesced");
    cr_expect_eq(x, b[1]);
    cr_expect_eq(t_counter_alloc(dev, 1, NULL), FW_STATUS_NO_SPACE);
    cr_expect_eq(t_counter_free(dev, x, 24), 0);
}

Test(emu_dev_counter, exact_hole_taken_before_splitting_a_long_run)
{
    uint32_t a = 0, b = 0, c = 0, x = 0;

    cr_assert_eq(t_counter_alloc(dev, 3, &a), 0);
    cr_assert_eq(t_counter_alloc(dev, 5, &b), 0);
    cr_assert_eq(t_counter_alloc(dev, 3, &c), 0);
    /* a 5-hole at b, and 53 free ids after c */
    cr_assert_eq(t_counter_free(dev, b, 5), 0);
    cr_assert_eq(t_counter_alloc(dev, 5, &x), 0);
    cr_expect_eq(x, b, "exact fit reused, the long run kept whole");
    cr_assert_eq(t_counter_alloc(dev, 53, &x), 0, "53 still in one run");
    cr_expect_eq(x, c + 3);
}

Test(emu_dev_counter, free_merges_with_both_neighbours)
{
    uint32_t a = 0, b = 0, c = 0, d = 0, x = 0;

    cr_assert_eq(t_counter_alloc(dev, 4, &a), 0);
    cr_assert_eq(t_counter_alloc(dev, 4, &b), 0);
    cr_assert_eq(t_counter_alloc(dev, 4, &c), 0);
    cr_assert_eq(t_counter_alloc(dev, 52, &d), 0, "the rest");
    cr_assert_eq(t_counter_free(dev, a, 4), 0);
    cr_assert_eq(t_counter_free(dev, c, 4), 0);
    cr_expect_eq(t_counter_alloc(dev, 12, NULL), FW_STATUS_NO_SPACE);
    cr_assert_eq(t_counter_free(dev, b, 4), 0, "left and right merge");
    cr_assert_eq(t_counter_alloc(dev, 12, &x), 0);
    cr_expect_eq(x, a);
    /* and merging with the end of the id space */
    cr_assert_eq(t_counter_free(dev, d, 52), 0);
    cr_assert_eq(t_counter_free(dev, x, 12), 0);
    cr_assert_eq(t_counter_alloc(dev, 64, &x), 0, "whole space one run");
    cr_expect_eq(x, 1);
}

Test(emu_dev_counter, freed_range_reusable_and_zeroed)
{
    uint32_t base = 0, again = 0, id = 0;
    struct fw_counter_value v;
    struct t_rule r;
    uint8_t f[128], d[6], s[6];

    for (int i = 0; i < 64; i++)
        cr_assert_eq(t_counter_alloc(dev, 1, NULL), 0);
    cr_assert_eq(t_counter_free(dev, 30, 1), 0);
    cr_assert_eq(t_counter_alloc(dev, 1, &base), 0);
    cr_expect_eq(base, 30, "the only free id");
    /* count into it, free it, reallocate it: it starts from zero */
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_COUNT)->u.count.counter_id = base;
    t_rule_act(&r, FW_ACT_DROP);
    cr_assert_eq(t_rule_add(dev, &r, &id), 0);
    t_mac(d, 2);
    t_mac(s, 1);
    uint32_t len = t_udp_frame(f, d, s, -1, 1, 2, 3, 4, 18);
    emu_dev_input(dev, 1, f, len);
    cr_assert_eq(t_counter_read(dev, base, false, &v), 0);
    cr_expect_eq(v.packets, 1);
    cr_assert_eq(t_rule_delete(dev, id), 0);
    cr_assert_eq(t_counter_free(dev, base, 1), 0);
    cr_assert_eq(t_counter_alloc(dev, 1, &again), 0);
    cr_expect_eq(again, base);
    cr_assert_eq(t_counter_read(dev, again, false, &v), 0);
    cr_expect_eq(v.packets, 0);
    cr_expect_eq(v.bytes, 0);
}

Test(emu_dev_counter, firmware_reset_frees_every_range)
{
    struct fw_function_reset_in in;
    uint32_t a = 0, b = 0, x = 0;

    cr_assert_eq(t_counter_alloc(dev, 10, &a), 0);
    cr_assert_eq(t_counter_alloc(dev, 20, &b), 0);
    cr_assert_eq(t_counter_free(dev, a, 10), 0);
    memset(&in, 0, sizeof(in));
    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_FUNCTION_RESET, in), 0);
    cr_expect_eq(t_counter_read(dev, b, false, NULL), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_free(dev, b, 20), FW_STATUS_BAD_RESOURCE);
    cr_assert_eq(t_counter_alloc(dev, 64, &x), 0, "all 64 in one run again");
    cr_expect_eq(x, 1);
}

/* The allocator against a trivial model: every id handed out was free,
 * and NO_SPACE comes exactly when the model has no free run that long. */
Test(emu_dev_counter, agrees_with_linear_model)
{
    enum { N = 3000, LIVE = 256 };
    static bool used[N + 1];
    uint32_t base[LIVE], count[LIVE], n_live = 0;
    uint64_t x = 0x2545f4914f6cdd1dull;
    struct emu_dev *d = t_dev_counters(N);

    memset(used, 0, sizeof(used));
    for (int op = 0; op < 20000; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (n_live > 0 && (x % 5 < 2 || n_live == LIVE)) {
            uint32_t k = (uint32_t)(x >> 8) % n_live;

            if ((x >> 40) % 7 == 0)
                cr_expect_eq(t_counter_free(d, base[k] + 1, count[k]),
                             FW_STATUS_BAD_RESOURCE, "not a range's base");
            cr_assert_eq(t_counter_free(d, base[k], count[k]), 0,
                         "op %d: free %u+%u", op, base[k], count[k]);
            for (uint32_t i = 0; i < count[k]; i++)
                used[base[k] + i] = false;
            base[k] = base[--n_live];
            count[k] = count[n_live];
            continue;
        }
        uint32_t want = (x >> 16) % 13 == 0 ? 1 + (uint32_t)(x >> 24) % 1024 :
                        1 + (uint32_t)(x >> 24) % 40;
        uint32_t b = 0, run = 0, longest = 0;

        for (uint32_t i = 1; i <= N; i++) {
            run = used[i] ? 0 : run + 1;
            longest = run > longest ? run : longest;
        }
        uint8_t st = t_counter_alloc(d, want, &b);

        if (longest < want) {
            cr_assert_eq(st, FW_STATUS_NO_SPACE, "op %d: %u ids, longest "
                         "free run %u", op, want, longest);
            continue;
        }
        cr_assert_eq(st, 0, "op %d: %u ids, longest free run %u", op, want,
                     longest);
        cr_assert(b >= 1 && b + want - 1 <= N, "op %d: %u+%u", op, b, want);
        for (uint32_t i = 0; i < want; i++) {
            cr_assert(!used[b + i], "op %d: id %u handed out twice", op,
                      b + i);
            used[b + i] = true;
        }
        base[n_live] = b;
        count[n_live++] = want;
    }
    while (n_live > 0) {
        n_live--;
        cr_assert_eq(t_counter_free(d, base[n_live], count[n_live]), 0);
    }
    /* everything coalesced back: 1024 + 1024 + 952 in order from id 1 */
    uint32_t b1 = 0, b2 = 0, b3 = 0;
    cr_assert_eq(t_counter_alloc(d, 1024, &b1), 0);
    cr_assert_eq(t_counter_alloc(d, 1024, &b2), 0);
    cr_assert_eq(t_counter_alloc(d, N - 2048, &b3), 0);
    cr_expect(b1 == 1 && b2 == 1025 && b3 == 2049, "%u %u %u", b1, b2, b3);
    cr_expect_eq(t_counter_alloc(d, 1, NULL), FW_STATUS_NO_SPACE);
    emu_dev_destroy(d);
}

Test(emu_dev_counter, full_profile_has_a_counter_per_rule)
{
    struct emu_dev *d = t_dev_new("full", 0, 0, FW_ESW_SWITCHDEV);
    uint32_t b = 0, last = 0;

    for (uint32_t i = 0; i < (1u << 20) / 1024; i++) {
        cr_assert_eq(t_counter_alloc(d, 1024, &b), 0, "range %u", i);
        last = b;
    }
    cr_expect_eq(last + 1023, 1u << 20, "ids reach max_counters");
    cr_expect_eq(t_counter_alloc(d, 1, NULL), FW_STATUS_NO_SPACE);
    cr_expect_eq(t_counter_free(d, 4097, 1024), 0);
    cr_expect_eq(t_counter_alloc(d, 1024, &b), 0);
    cr_expect_eq(b, 4097);
    emu_dev_destroy(d);
}
