/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STEERING_FLUSH (ABI 1.1): what a new eSwitch manager driver issues so no
 * rule of an earlier driver survives it. Everything steering goes, the
 * root table stays empty, and nothing that a reset would also touch does.
 */
#include <inttypes.h>

#include "emu_test.h"
#include "emu_test_frame.h"

#define VF0 FW_FUNC_VF(0)

static void
setup_basic(void)
{
    t_frame_setup("basic", 4, 3);
}

TestSuite(emu_dev_flush, .init = setup_basic, .fini = t_frame_teardown,
          .timeout = 10);

static uint8_t
t_flush_as(uint16_t function, uint32_t flags, uint32_t rsvd)
{
    struct fw_steering_flush_in in = { .flags = flags, .rsvd = rsvd };

    return T_EXEC(dev, function, FW_CMD_STEERING_FLUSH, in);
}

static uint8_t
t_flush(void)
{
    return t_flush_as(FW_FUNC_PF, 0, 0);
}

/* vf0 -> vf1 by destination MAC, counted into @counter (0: no COUNT). */
static uint8_t
add_fwd_vf1(uint32_t group, uint32_t counter, uint32_t *id)
{
    struct t_rule r;

    t_rule_init(&r, group, 0);
    memcpy(r.in.value.eth_dst, mac_vf1, 6);
    memset(r.in.mask.eth_dst, 0xff, 6);
    if (counter != 0)
        t_rule_act(&r, FW_ACT_COUNT)->u.count.counter_id = counter;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_VF(1), 0);
    return t_rule_add(dev, &r, id);
}

/* Where the one frame sent from vf0 went. */
static struct emu_dest
send_from_vf0(void)
{
    unsigned n0 = t_rec.n;

    emu_dev_input(dev, FW_VPORT_VF(0), frame, flen);
    cr_assert_eq(t_rec.n, n0 + 1, "one delivery per frame (%u)",
                 t_rec.n - n0);
    return t_rec.pkts[n0].dest;
}

Test(emu_dev_flush, destroys_rules_tables_and_counters)
{
    struct t_rule r;
    uint32_t base = 0, root_id = 0, t5_id = 0;
    struct fw_counter_value v;

    cr_assert_eq(t_counter_alloc(dev, 8, &base), 0);
    cr_assert_eq(t_table_create(dev, 5, 1), 0);
    cr_assert_eq(t_table_create(dev, 6, 2), 0);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 5;
    cr_assert_eq(t_rule_add(dev, &r, &root_id), 0);
    cr_assert_eq(add_fwd_vf1(5, base + 2, &t5_id), 0);
    /* both are in use: nothing could be torn down one by one yet */
    cr_assert_eq(t_table_destroy(dev, 5), FW_STATUS_BUSY);
    cr_assert_eq(t_counter_free(dev, base, 8), FW_STATUS_BUSY);

    cr_assert_eq(t_flush(), FW_STATUS_OK);
    cr_expect_eq(t_out.hdr.out_size, sizeof(struct fw_out_hdr));

    cr_expect_eq(t_rule_delete(dev, root_id), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_rule_delete(dev, t5_id), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_table_destroy(dev, 5), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_table_destroy(dev, 6), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_read(dev, base + 2, false, &v),
                 FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_counter_free(dev, base, 8), FW_STATUS_BAD_RESOURCE);
    /* the root stays: group 0 takes rules, is still not destroyable, and
     * every other table slot of the profile is free again */
    cr_expect_eq(t_table_destroy(dev, 0), FW_STATUS_BAD_PARAM);
    for (uint32_t g = 1; g < emu_dev_caps(dev)->max_tables; g++)
        cr_expect_eq(t_table_create(dev, g, g), FW_STATUS_OK, "group %u", g);
    cr_expect_eq(t_table_create(dev, 200, 1), FW_STATUS_NO_SPACE);
    cr_expect_eq(add_fwd_vf1(0, 0, NULL), FW_STATUS_OK);
}

Test(emu_dev_flush, is_not_a_reset)
{
    struct fw_vport_ctx ctx = { .mac = { 0x02, 0, 0, 0, 0, 0x42 } };
    struct fw_query_health_out h0, h1;

    cr_assert_eq(t_vport_modify(dev, FW_FUNC_PF, FW_VPORT_VF(2),
                                FW_VPORT_F_MAC, &ctx), 0);
    cr_assert_eq(add_fwd_vf1(0, 0, NULL), 0);
    h0 = t_health(dev);
    cr_assert_eq(t_flush(), FW_STATUS_OK);
    h1 = t_health(dev);
    cr_expect_eq(h1.reset_generation, h0.reset_generation);
    cr_expect_eq(emu_dev_reset_generation(dev), h0.reset_generation);
    cr_expect_eq(h1.health, FW_HEALTH_OK);
    cr_expect_eq(t_rec.resets, 0, "no reset callback: queues stay attached");
    cr_expect_eq(t_rec.sriov_calls, 0);
    cr_expect_eq(emu_dev_num_vfs(dev), 3);
    cr_expect_eq(emu_dev_caps(dev)->esw_mode, FW_ESW_SWITCHDEV);
    cr_expect_eq(memcmp(t_vport_query(dev, FW_VPORT_VF(2)).mac, ctx.mac, 6),
                 0);
}

Test(emu_dev_flush, packets_then_miss_to_the_representor)
{
    struct emu_dest d;

    cr_assert_eq(add_fwd_vf1(0, 0, NULL), 0);
    d = send_from_vf0();
    cr_assert_eq(d.kind, EMU_DEST_VPORT);
    cr_assert_eq(d.vport, FW_VPORT_VF(1));
    cr_assert_eq(t_flush(), FW_STATUS_OK);
    d = send_from_vf0();
    cr_expect_eq(d.kind, EMU_DEST_REP);
    cr_expect_eq(d.vport, FW_VPORT_VF(0));
    cr_expect_eq(d.src_vport, FW_VPORT_VF(0));
}

Test(emu_dev_flush, vf_and_uplink_are_refused_and_change_nothing)
{
    cr_assert_eq(add_fwd_vf1(0, 0, NULL), 0);
    cr_expect_eq(t_flush_as(VF0, 0, 0), FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);
    cr_expect_eq(t_flush_as(FW_FUNC_UPLINK, 0, 0), FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);
    cr_expect_eq(send_from_vf0().kind, EMU_DEST_VPORT, "the rule is still "
                 "there");
}

Test(emu_dev_flush, reserved_fields_are_refused_and_change_nothing)
{
    struct {
        struct fw_steering_flush_in in;
        uint8_t extra[8];
    } big;

    cr_assert_eq(add_fwd_vf1(0, 0, NULL), 0);
    cr_expect_eq(t_flush_as(FW_FUNC_PF, 1, 0), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    cr_expect_eq(t_flush_as(FW_FUNC_PF, 0x80000000u, 0), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_flush_as(FW_FUNC_PF, 0, 7), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    /* a newer driver's field this firmware does not know */
    memset(&big, 0, sizeof(big));
    big.extra[3] = 1;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_STEERING_FLUSH, big),
                 FW_STATUS_BAD_INPUT_LEN);
    cr_expect_eq(FW_SYND_DETAIL(t_synd), sizeof(struct fw_steering_flush_in));
    cr_expect_eq(send_from_vf0().kind, EMU_DEST_VPORT, "the rule is still "
                 "there");
    /* zero trailing bytes and a short (zero-extended) input are fine */
    big.extra[3] = 0;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_STEERING_FLUSH, big),
                 FW_STATUS_OK);
    cr_expect_eq(send_from_vf0().kind, EMU_DEST_REP);
}

Test(emu_dev_flush, injected_failure_changes_nothing)
{
    cr_assert_eq(add_fwd_vf1(0, 0, NULL), 0);
    cr_assert_eq(t_fault(dev, FW_FAULT_FAIL_NEXT, FW_CMD_STEERING_FLUSH, 0, 1,
                         0), 0);
    cr_expect_eq(t_flush(), FW_STATUS_INTERNAL);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_INJECTED);
    cr_expect_eq(send_from_vf0().kind, EMU_DEST_VPORT);
    cr_expect_eq(t_flush(), FW_STATUS_OK, "the knob was one-shot");
    cr_expect_eq(send_from_vf0().kind, EMU_DEST_REP);
}

Test(emu_dev_flush, empty_device_is_ok)
{
    cr_expect_eq(t_flush(), FW_STATUS_OK);
    cr_expect_eq(t_flush(), FW_STATUS_OK);
    cr_expect_eq(t_table_destroy(dev, 0), FW_STATUS_BAD_PARAM,
                 "the root is still there after flushing an empty device");
    cr_expect_eq(add_fwd_vf1(0, 0, NULL), FW_STATUS_OK);
}

Test(emu_dev_flush, frees_vport_references)
{
    cr_assert_eq(add_fwd_vf1(0, 0, NULL), 0);
    /* a rule naming VF 1 holds SR-IOV enabled ... */
    cr_assert_eq(t_sriov_disable(dev), FW_STATUS_BUSY);
    cr_assert_eq(t_flush(), FW_STATUS_OK);
    /* ... and the flush released it */
    cr_expect_eq(t_sriov_disable(dev), FW_STATUS_OK);
}

Test(emu_dev_flush, legacy_mode_frees_counters_and_keeps_no_root)
{
    uint32_t base, again;

    cr_assert_eq(t_counter_alloc(dev, 4, &base), 0);
    cr_assert_eq(t_set_mode(dev, FW_ESW_LEGACY), 0);
    cr_expect_eq(t_flush(), FW_STATUS_OK);
    cr_expect_eq(t_counter_free(dev, base, 4), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_table_create(dev, 1, 1), FW_STATUS_BAD_STATE,
                 "still legacy: no steering appeared");
    cr_expect_eq(t_counter_alloc(dev, 4, &again), 0);
    cr_expect_eq(again, base, "the freed ids come back first");
    /* switchdev again: a single root, as after any mode change */
    cr_assert_eq(t_set_mode(dev, FW_ESW_SWITCHDEV), 0);
    cr_expect_eq(add_fwd_vf1(0, 0, NULL), FW_STATUS_OK);
    cr_expect_eq(send_from_vf0().kind, EMU_DEST_VPORT);
}

/* The original problem at the device: a second driver installing the same
 * rules after the first one went away must find the whole capacity free,
 * and counters that start from zero. */
static void
setup_tiny(void)
{
    t_frame_setup("tiny", 2, 2);
}

TestSuite(emu_dev_flush_tiny, .init = setup_tiny, .fini = t_frame_teardown,
          .timeout = 10);

Test(emu_dev_flush_tiny, capacity_and_counters_are_reusable)
{
    const struct fw_caps *caps;
    uint32_t first_base = 0, base, n_rules = 0, n_ctrs = 0;
    struct fw_counter_value v;
    struct t_rule r;

    caps = emu_dev_caps(dev);
    for (int round = 0; round < 2; round++) {
        n_ctrs = 0;
        while (t_counter_alloc(dev, 1, &base) == FW_STATUS_OK) {
            if (n_ctrs == 0 && round == 0)
                first_base = base;
            n_ctrs++;
        }
        cr_assert_eq(n_ctrs, caps->max_counters, "round %d: %u counters",
                     round, n_ctrs);
        n_rules = 0;
        for (;;) {
            t_rule_init(&r, 0, 1);
            r.in.value.src_vport = FW_VPORT_VF(0);
            r.in.mask.src_vport = 0xffff;
            memcpy(r.in.value.eth_dst, mac_vf1, 6);
            r.in.value.eth_dst[4] = (uint8_t)n_rules;
            memset(r.in.mask.eth_dst, 0xff, 6);
            if (n_rules < n_ctrs)
                t_rule_act(&r, FW_ACT_COUNT)->u.count.counter_id =
                    first_base + n_rules;
            t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_VF(1), 0);
            if (t_rule_add(dev, &r, NULL) != FW_STATUS_OK)
                break;
            n_rules++;
        }
        cr_assert_eq(n_rules, caps->max_rules_total, "round %d: %u rules",
                     round, n_rules);
        cr_assert_eq(FW_SYND_REASON(t_synd), FW_SYND_CAPACITY, "round %d: "
                     "full, not refused for another reason", round);
        /* the frame's MAC is rule 2's (byte 4 = 2): it counts there */
        frame[4] = 2;
        cr_assert_eq(send_from_vf0().kind, EMU_DEST_VPORT);
        cr_assert_eq(t_counter_read(dev, first_base + 2, false, &v), 0);
        cr_expect_eq(v.packets, 1, "round %d: a fresh counter counts from "
                     "zero (%" PRIu64 ")", round, (uint64_t)v.packets);
        frame[4] = mac_vf1[4];
        cr_assert_eq(t_flush(), FW_STATUS_OK);
    }
}
