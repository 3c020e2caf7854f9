/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SR-IOV changed in place (ABI 1.2, FW_SRIOV_F_IN_PLACE) on a switch that
 * carries traffic: what becomes of the rules of a removed VF (destroyed
 * when they match its frames, tombstones when they send to it), the
 * QUERY_HEALTH tail that counts them, the SR-IOV view's generations, and
 * hostile inputs on the new fields.
 */
#include <stddef.h>

#include "emu_test.h"

#define VF0     FW_VPORT_VF(0)
#define VF1     FW_VPORT_VF(1)

static struct emu_dev *dev;
static uint8_t frame[FW_PKT_BUF_SIZE];
static uint8_t mac_a[6], mac_b[6];

static void
setup(void)
{
    dev = t_dev_new("full", 4, 2, FW_ESW_SWITCHDEV);
    t_mac(mac_a, 1);
    t_mac(mac_b, 2);
}

static void
teardown(void)
{
    emu_dev_destroy(dev);
}

TestSuite(emu_dev_sriov, .init = setup, .fini = teardown, .timeout = 10);

static uint8_t
in_place(uint16_t function, uint16_t n, uint16_t flags)
{
    struct fw_sriov_enable_in in = { .num_vfs = n, .flags = flags };

    return T_EXEC(dev, function, FW_CMD_SRIOV_ENABLE, in);
}

/* A frame from the wire to 10.0.0.@host; returns how many copies left the
 * eSwitch and, in *vport, where the first went (UINT16_MAX: nowhere). */
static unsigned
from_wire(uint8_t host, uint16_t *vport)
{
    uint32_t len = t_udp_frame(frame, mac_b, mac_a, -1, 0x0a000001,
                               0x0a000000u | host, 1000, 2000, 16);
    unsigned n0 = t_rec.n;

    emu_dev_input(dev, FW_VPORT_UPLINK, frame, len);
    *vport = t_rec.n > n0 && t_rec.pkts[n0].dest.kind == EMU_DEST_VPORT ?
             t_rec.pkts[n0].dest.vport : UINT16_MAX;
    return t_rec.n - n0;
}

/* IPv4 from the wire, optionally to 10.0.0.@host only. */
static void
rule_wire_ip(struct t_rule *r, uint16_t prio, int host)
{
    t_rule_init(r, 0, prio);
    r->in.value.src_vport = FW_VPORT_UPLINK;
    r->in.mask.src_vport = 0xffff;
    r->in.value.eth_type = htons(0x0800);
    r->in.mask.eth_type = 0xffff;
    if (host >= 0) {
        r->in.value.ipv4_dst = htonl(0x0a000000u | (uint32_t)host);
        r->in.mask.ipv4_dst = 0xffffffffu;
    }
}

/* A frame from the host side of VF @vf; copies out of the eSwitch. */
static unsigned
from_vf(unsigned vf)
{
    uint32_t len = t_udp_frame(frame, mac_b, mac_a, -1, 0x0a000001,
                               0x0a000009, 1000, 2000, 16);
    unsigned n0 = t_rec.n;

    emu_dev_input(dev, FW_VPORT_VF(vf), frame, len);
    return t_rec.n - n0;
}

/*
 * The review's case. A (matched first) sends 10.0.0.2 to vf1, B sends all
 * other IPv4 to vf0. Removing vf1 must not hand vf1's traffic to vf0: A
 * stays, as a tombstone that drops and still counts, until its driver
 * deletes it; only then does B take those frames.
 */
Test(emu_dev_sriov, removed_vf_traffic_is_dropped_not_given_to_another)
{
    struct t_rule a, b;
    struct fw_counter_value cv;
    struct fw_query_health_out h;
    uint32_t id_a, id_b, ctr;
    uint16_t to;

    cr_assert_eq(t_counter_alloc(dev, 1, &ctr), 0);
    rule_wire_ip(&a, 1, 2);
    t_rule_act(&a, FW_ACT_COUNT)->u.count.counter_id = ctr;
    t_rule_fwd(&a, FW_ACT_FWD_VPORT, VF1, 0);
    rule_wire_ip(&b, 2, -1);
    t_rule_fwd(&b, FW_ACT_FWD_VPORT, VF0, 0);
    cr_assert_eq(t_rule_add(dev, &a, &id_a), 0);
    cr_assert_eq(t_rule_add(dev, &b, &id_b), 0);
    cr_assert_eq(from_wire(2, &to), 1);
    cr_assert_eq(to, VF1, "before: A sends 10.0.0.2 to vf1");

    cr_assert_eq(in_place(FW_FUNC_PF, 1, FW_SRIOV_F_IN_PLACE), 0);
    cr_expect_eq(from_wire(2, &to), 0,
                 "10.0.0.2 after vf1 left: dropped, not sent to vport %u", to);
    cr_expect_eq(from_wire(3, &to), 1);
    cr_expect_eq(to, VF0, "B still takes the rest");
    cr_assert_eq(t_counter_read(dev, ctr, false, &cv), 0);
    cr_expect_eq(cv.packets, 2, "the tombstone still counts what it drops");
    h = t_health(dev);
    cr_expect_eq(h.rules, 2, "A is still in the device");
    cr_expect_eq(h.tombstones, 1);
    cr_expect_eq(t_counter_free(dev, ctr, 1), FW_STATUS_BUSY,
                 "the tombstone still holds its counter");

    /* the control plane catches up: its delete of A finds it */
    cr_expect_eq(t_rule_delete(dev, id_a), 0, "a tombstone goes by its id");
    h = t_health(dev);
    cr_expect_eq(h.rules, 1);
    cr_expect_eq(h.tombstones, 0);
    cr_expect_eq(from_wire(2, &to), 1);
    cr_expect_eq(to, VF0, "without A, B's meaning applies");
    cr_expect_eq(t_counter_free(dev, ctr, 1), 0);
    cr_expect_eq(t_rule_delete(dev, id_b), 0);
}

/* A tombstone does not name the vport any more: a VF created again under
 * the same number is a new function that no rule reaches. */
Test(emu_dev_sriov, tombstone_does_not_reach_a_new_vf_of_that_number)
{
    struct t_rule a;
    uint32_t id;
    uint16_t to;

    rule_wire_ip(&a, 0, 2);
    t_rule_fwd(&a, FW_ACT_FWD_VPORT, VF1, 0);
    cr_assert_eq(t_rule_add(dev, &a, &id), 0);
    cr_assert_eq(in_place(FW_FUNC_PF, 1, FW_SRIOV_F_IN_PLACE), 0);
    cr_assert_eq(in_place(FW_FUNC_PF, 2, FW_SRIOV_F_IN_PLACE), 0);
    cr_expect_eq(from_wire(2, &to), 0, "the new vf1 got vport %u's copy", to);
    cr_expect_eq(t_health(dev).tombstones, 1);
    cr_expect_eq(t_rule_delete(dev, id), 0);
    cr_expect_eq(t_rule_delete(dev, id), FW_STATUS_BAD_RESOURCE);
}

/* Only the outputs to the removed vport go: a mirror to vf0 and vf1 keeps
 * sending to vf0, as the software pipeline would (an output to a port that
 * is gone does nothing), and a rule whose only output was the representor
 * of the removed vport drops instead of missing to a representor. */
Test(emu_dev_sriov, tombstone_keeps_outputs_to_vports_that_stay)
{
    struct t_rule m, r;
    uint16_t to;

    rule_wire_ip(&m, 0, 2);
    t_rule_fwd(&m, FW_ACT_FWD_VPORT, VF1, 0);
    t_rule_fwd(&m, FW_ACT_FWD_VPORT, VF0, 0);
    rule_wire_ip(&r, 0, 5);
    t_rule_act(&r, FW_ACT_MARK)->u.mark.id = 7;
    t_rule_fwd(&r, FW_ACT_FWD_REP, VF1, 1);
    cr_assert_eq(t_rule_add(dev, &m, NULL), 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    cr_assert_eq(from_wire(2, &to), 2);

    cr_assert_eq(in_place(FW_FUNC_PF, 1, FW_SRIOV_F_IN_PLACE), 0);
    cr_expect_eq(from_wire(2, &to), 1, "one copy left");
    cr_expect_eq(to, VF0);
    cr_expect_eq(from_wire(5, &to), 0, "no miss to a representor");
    cr_expect_eq(t_health(dev).tombstones, 2);
    cr_expect_eq(t_sriov_disable(dev), FW_STATUS_BUSY,
                 "the mirror still names vf0");
}

/* Rules that can only match frames from the removed vport are destroyed:
 * nothing can come from it. A later RULE_DELETE says they are gone. */
Test(emu_dev_sriov, rules_from_the_removed_vf_are_destroyed)
{
    struct t_rule r;
    uint32_t id;

    t_rule_init(&r, 0, 0);
    r.in.value.src_vport = VF1;
    r.in.mask.src_vport = 0xffff;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, VF0, 0);
    cr_assert_eq(t_rule_add(dev, &r, &id), 0);
    cr_assert_eq(from_vf(1), 1);
    cr_assert_eq(in_place(FW_FUNC_PF, 1, FW_SRIOV_F_IN_PLACE), 0);
    cr_expect_eq(t_health(dev).rules, 0);
    cr_expect_eq(t_health(dev).tombstones, 0);
    cr_expect_eq(t_rule_delete(dev, id), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_sriov_disable(dev), 0, "nothing names a VF any more");
}

/* A src_vport mask that is not all ones may still match a vport that
 * stays: such a rule is kept as it is. */
Test(emu_dev_sriov, partial_src_mask_matching_a_staying_vport_is_kept)
{
    struct t_rule r;

    cr_assert_eq(in_place(FW_FUNC_PF, 4, FW_SRIOV_F_IN_PLACE), 0);
    t_rule_init(&r, 0, 0);
    r.in.value.src_vport = 0x0002;  /* vports 2 and 3 (vf1, vf2) */
    r.in.mask.src_vport = 0xfffe;
    t_rule_act(&r, FW_ACT_DROP);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0, "full takes any mask");
    cr_assert_eq(in_place(FW_FUNC_PF, 2, FW_SRIOV_F_IN_PLACE), 0);
    cr_expect_eq(t_health(dev).rules, 1, "vf1 still matches it");
    cr_expect_eq(from_vf(1), 0, "and it still drops vf1's frames");
    cr_assert_eq(in_place(FW_FUNC_PF, 1, FW_SRIOV_F_IN_PLACE), 0);
    cr_expect_eq(t_health(dev).rules, 0, "only removed vports match it now");
}

/* In place down to 0 with rules of every kind present. */
Test(emu_dev_sriov, in_place_to_zero_with_rules)
{
    struct t_rule from1, to0, wire;
    struct fw_cmd_hdr q = { 0 };
    uint32_t id_to0, id_wire;
    uint16_t to;

    t_rule_init(&from1, 0, 0);
    from1.in.value.src_vport = VF1;
    from1.in.mask.src_vport = 0xffff;
    t_rule_act(&from1, FW_ACT_DROP);
    rule_wire_ip(&to0, 0, 2);
    t_rule_fwd(&to0, FW_ACT_FWD_VPORT, VF0, 0);
    rule_wire_ip(&wire, 1, -1);
    t_rule_fwd(&wire, FW_ACT_FWD_VPORT, FW_VPORT_UPLINK, 0);
    cr_assert_eq(t_rule_add(dev, &from1, NULL), 0);
    cr_assert_eq(t_rule_add(dev, &to0, &id_to0), 0);
    cr_assert_eq(t_rule_add(dev, &wire, &id_wire), 0);

    cr_assert_eq(in_place(FW_FUNC_PF, 0, FW_SRIOV_F_IN_PLACE), 0);
    cr_expect_eq(emu_dev_num_vfs(dev), 0);
    cr_expect_eq(t_rec.sriov_calls, 1);
    cr_expect_eq(t_rec.last_num_vfs, 0);
    cr_expect_eq(t_health(dev).rules, 2, "from vf1 destroyed, the others kept");
    cr_expect_eq(t_health(dev).tombstones, 1);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_VF(0), FW_CMD_QUERY_ADAPTER, q),
                 FW_STATUS_BAD_STATE, "vf0's function is gone");
    cr_expect_eq(from_wire(2, &to), 0, "the tombstone drops");
    cr_expect_eq(from_wire(3, &to), 1);
    cr_expect_eq(to, FW_VPORT_UPLINK, "a rule naming no VF is untouched");
    cr_expect_eq(t_sriov_disable(dev), 0, "no tombstone blocks a disable");
    cr_expect_eq(t_rule_delete(dev, id_to0), 0);
    cr_expect_eq(t_rule_delete(dev, id_wire), 0);
    cr_expect_eq(t_health(dev).rules, 0);
}

/* ---- hostile input on the 1.2 fields ---- */

Test(emu_dev_sriov, unknown_flag_bit_refused)
{
    cr_expect_eq(in_place(FW_FUNC_PF, 1, 2), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    cr_expect_eq(in_place(FW_FUNC_PF, 1, FW_SRIOV_F_IN_PLACE | 2),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    cr_expect_eq(in_place(FW_FUNC_PF, 1, 0x8000), FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_num_vfs(dev), 2, "nothing changed");
    cr_expect_eq(t_rec.sriov_calls, 0);
}

Test(emu_dev_sriov, in_place_from_a_vf_refused)
{
    uint32_t gen = emu_dev_sriov_generation(dev);

    cr_expect_eq(in_place(FW_FUNC_VF(0), 0, FW_SRIOV_F_IN_PLACE),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);
    cr_expect_eq(in_place(FW_FUNC_VF(1), 4, FW_SRIOV_F_IN_PLACE),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(in_place(FW_FUNC_UPLINK, 1, FW_SRIOV_F_IN_PLACE),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(emu_dev_num_vfs(dev), 2);
    cr_expect_eq(emu_dev_sriov_generation(dev), gen);
}

Test(emu_dev_sriov, in_place_above_max_vfs_refused)
{
    cr_expect_eq(in_place(FW_FUNC_PF, 5, FW_SRIOV_F_IN_PLACE),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_CAPACITY);
    cr_expect_eq(FW_SYND_DETAIL(t_synd), FW_LIMIT_VFS);
    cr_expect_eq(in_place(FW_FUNC_PF, 0xffff, FW_SRIOV_F_IN_PLACE),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(emu_dev_num_vfs(dev), 2);
    cr_expect_eq(t_rec.sriov_calls, 0);
}

/* The same count again changes nothing, not even the generation. */
Test(emu_dev_sriov, in_place_same_count_is_a_no_op)
{
    uint32_t gen = emu_dev_sriov_generation(dev);

    cr_expect_eq(in_place(FW_FUNC_PF, 2, FW_SRIOV_F_IN_PLACE), 0);
    cr_expect_eq(emu_dev_sriov_generation(dev), gen);
    cr_expect_eq(t_rec.sriov_calls, 0);
}

/* out_size selects the layout: below the 1.1 part refused, the 1.1 part
 * alone leaves the tail unwritten, each 1.2 field only when covered. */
Test(emu_dev_sriov, query_health_output_sizes)
{
    struct fw_cmd_hdr in;
    const struct fw_query_health_out *o = (const void *)t_out.raw;
    static const uint8_t untouched[16] = {
        0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
        0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
    };

    memset(&in, 0, sizeof(in));
    in.out_size = 40;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_HEALTH, in),
                 FW_STATUS_BAD_OUTPUT_LEN);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_LENGTH);
    cr_expect_eq(FW_SYND_DETAIL(t_synd), 48, "the 1.1 layout's size");
    cr_expect_eq(o->hdr.out_size, sizeof(struct fw_out_hdr));

    memset(&in, 0, sizeof(in));
    in.out_size = 48;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_HEALTH, in), 0);
    cr_expect_eq(o->hdr.out_size, 48);
    cr_expect_eq(o->health, FW_HEALTH_OK);
    cr_expect_arr_eq(t_out.raw + 48, untouched, 16, "no 1.2 tail");

    memset(&in, 0, sizeof(in));
    in.out_size = 60;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_HEALTH, in), 0);
    cr_expect_eq(o->hdr.out_size, 56);
    cr_expect_eq(o->rules, 0);
    cr_expect_eq(o->tables, 1, "the root table");
    cr_expect_arr_eq(t_out.raw + 56, untouched, 8, "tombstones not covered");

    memset(&in, 0, sizeof(in));
    in.out_size = sizeof(struct fw_query_health_out);
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_HEALTH, in), 0);
    cr_expect_eq(o->hdr.out_size, sizeof(struct fw_query_health_out));
    cr_expect_eq(o->tombstones, 0);
    cr_expect_eq(o->rsvd, 0);
}

/* The steering counts belong to the eSwitch manager: other functions may
 * ask for health, but read zeros there. */
Test(emu_dev_sriov, query_health_steering_counts_are_the_pfs)
{
    struct fw_cmd_hdr in = { 0 };
    const struct fw_query_health_out *o = (const void *)t_out.raw;
    struct t_rule r;
    uint16_t fns[] = { FW_FUNC_VF(0), FW_FUNC_VF(1), FW_FUNC_UPLINK };

    cr_assert_eq(t_table_create(dev, 3, 1), 0);
    rule_wire_ip(&r, 0, 2);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, VF1, 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    cr_assert_eq(t_health(dev).rules, 1);
    cr_assert_eq(t_health(dev).tables, 2);
    for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        memset(&in, 0, sizeof(in));
        cr_assert_eq(T_EXEC(dev, fns[i], FW_CMD_QUERY_HEALTH, in), 0,
                     "function %#x may ask", fns[i]);
        cr_expect_eq(o->hdr.out_size, sizeof(struct fw_query_health_out));
        cr_expect_eq(o->health, FW_HEALTH_OK);
        cr_expect(o->rules == 0 && o->tables == 0 && o->tombstones == 0,
                  "function %#x reads %u rules, %u tables, %u tombstones",
                  fns[i], o->rules, o->tables, o->tombstones);
    }
}

/* The region view's sequence: even generations moving by two (odd is the
 * device writing), VFs stamped with the generation that created them. */
Test(emu_dev_sriov, published_view_is_even_and_stamped)
{
    static struct fw_region reg;
    uint32_t g0 = emu_dev_sriov_generation(dev);

    cr_expect_eq(g0 & 1u, 0u);
    emu_dev_publish_sriov(dev, &reg);
    cr_expect_eq(reg.sriov_generation, g0);
    cr_expect_eq(reg.num_vfs, 2);
    cr_expect(reg.vf_generation[0] == g0 && reg.vf_generation[1] == g0 &&
              reg.vf_generation[2] == 0, "vf0/vf1 from the start, vf2 never");
    cr_assert_eq(in_place(FW_FUNC_PF, 3, FW_SRIOV_F_IN_PLACE), 0);
    emu_dev_publish_sriov(dev, &reg);
    cr_expect_eq(reg.sriov_generation, g0 + 2);
    cr_expect_eq(reg.num_vfs, 3);
    cr_expect_eq(reg.vf_generation[2], g0 + 2);
    cr_expect_eq(reg.vf_generation[1], g0, "vf1 stayed the same function");
}
