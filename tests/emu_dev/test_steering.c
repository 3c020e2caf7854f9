/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering semantics: tables and levels, rule validation, masks,
 * priorities, overlapping and identical rules, rule-id handles, capacity,
 * and the classifier against a trivial linear reference.
 */
#include "emu_test.h"
#include "snic_clock.h"
#include "emu_dev_priv.h"

T_DEV_SUITE(emu_dev_steer, "full", 4, 4, FW_ESW_SWITCHDEV, .timeout = 20);

static uint32_t
add_simple(uint32_t group, uint16_t prio, const struct fw_match *v,
           const struct fw_match *m, uint32_t mark)
{
    struct t_rule r;
    uint32_t id = 0;

    t_rule_init(&r, group, prio);
    if (v != NULL)
        r.in.value = *v;
    if (m != NULL)
        r.in.mask = *m;
    t_rule_act(&r, FW_ACT_MARK)->u.mark.id = mark;
    t_rule_fwd(&r, FW_ACT_FWD_REP, 0, 0);
    cr_assert_eq(t_rule_add(dev, &r, &id), 0, "rule add synd %#x", t_synd);
    return id;
}

static uint32_t
lookup_id(uint32_t group, const struct fw_match *key)
{
    struct emu_key k = { .m = *key };
    const struct emu_rule *r = emu_steer_lookup(emu_steer_table(dev, group),
                                                &k);
    return r ? r->id : 0;
}

Test(emu_dev_steer, tables_create_destroy)
{
    cr_expect_eq(t_table_create(dev, 0, 1), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_table_create(dev, 1, 0), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_table_create(dev, 65536, 1), FW_STATUS_BAD_PARAM);
    cr_assert_eq(t_table_create(dev, 1, 1), 0);
    cr_expect_eq(t_table_create(dev, 1, 2), FW_STATUS_EXISTS);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_TABLE);
    cr_expect_eq(t_table_destroy(dev, 0), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_table_destroy(dev, 2), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_table_destroy(dev, 1), 0);
    cr_expect_eq(t_table_destroy(dev, 1), FW_STATUS_BAD_RESOURCE);
    /* 63 more fill max_tables = 64 with the root */
    for (uint32_t g = 1; g <= 63; g++)
        cr_assert_eq(t_table_create(dev, g, 1), 0);
    cr_expect_eq(t_table_create(dev, 100, 1), FW_STATUS_NO_SPACE);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_TABLES));
}

Test(emu_dev_steer, destroy_busy_with_rules_or_jumps)
{
    struct t_rule r;
    uint32_t in_t2 = 0, jump = 0;

    cr_assert_eq(t_table_create(dev, 2, 5), 0);
    in_t2 = add_simple(2, 0, NULL, NULL, 1);
    cr_expect_eq(t_table_destroy(dev, 2), FW_STATUS_BUSY);
    cr_assert_eq(t_rule_delete(dev, in_t2), 0);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 2;
    cr_assert_eq(t_rule_add(dev, &r, &jump), 0);
    cr_expect_eq(t_table_destroy(dev, 2), FW_STATUS_BUSY);
    cr_assert_eq(t_rule_delete(dev, jump), 0);
    cr_expect_eq(t_table_destroy(dev, 2), 0);
}

Test(emu_dev_steer, jump_level_order)
{
    struct t_rule r;

    cr_assert_eq(t_table_create(dev, 1, 2), 0);
    cr_assert_eq(t_table_create(dev, 2, 2), 0);
    cr_assert_eq(t_table_create(dev, 3, 1), 0);
    /* same level: refused; lower level: refused; missing: BAD_RESOURCE */
    t_rule_init(&r, 1, 0);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 2;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_TABLE, 0, 2));
    r.in.actions[0].u.jump.group = 3;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    r.in.actions[0].u.jump.group = 9;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_TABLE);
    /* to group 0 (level 0) never */
    r.in.actions[0].u.jump.group = 0;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    /* upward is fine */
    t_rule_init(&r, 3, 0);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    cr_expect_eq(t_rule_add(dev, &r, NULL), 0);
    /* nothing may follow a JUMP */
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    t_rule_act(&r, FW_ACT_MARK);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 1, FW_ACT_MARK));
}

Test(emu_dev_steer, rule_add_refusals)
{
    struct t_rule r;
    uint32_t id = 0;

    t_rule_init(&r, 7, 0);
    t_rule_act(&r, FW_ACT_DROP);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_TABLE);
    r.in.group = 0;
    r.in.priority = 16;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIORITY);
    r.in.priority = 0;
    r.in.flags = 1;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    r.in.flags = 0;
    /* value outside mask */
    r.in.value.ip_proto = 6;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_VALUE, FW_FIELD_IP_PROTO, 0));
    r.in.value.ip_proto = 0;
    /* the MPLS entry (ABI 1.10, formerly rsvd1) without an MPLS EtherType */
    r.in.mask.mpls_lse = htonl(1);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_PREREQ, FW_FIELD_MPLS, 0));
    r.in.mask.mpls_lse = 0;
    r.in.mask.vxlan_vni = 0x01000000;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    r.in.mask.vxlan_vni = 0;
    /* src_vport naming an absent vport */
    r.in.mask.src_vport = 0xffff;
    r.in.value.src_vport = 5;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_VPORT, FW_FIELD_SRC_VPORT, 5));
    r.in.mask.src_vport = 0;
    r.in.value.src_vport = 0;

    /* n_actions */
    r.in.n_actions = 0;
    cr_expect_eq(t_exec(dev, FW_FUNC_PF, FW_CMD_RULE_ADD, &r.in, sizeof(r.in)),
                 FW_STATUS_BAD_PARAM);
    r.in.n_actions = 17;
    cr_expect_eq(t_exec(dev, FW_FUNC_PF, FW_CMD_RULE_ADD, &r.in, sizeof(r.in)),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_ACTIONS));

    /* fate rules */
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_MARK);
    t_rule_act(&r, FW_ACT_COUNT);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_RESOURCE,
                 "unallocated counter");
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_COUNTER, 1, 0));
    r.in.n_actions = 1;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM, "no fate");
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 1, 0));
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 1, 0);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 1, FW_ACT_FWD_VPORT));
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_MARK);
    t_rule_act(&r, FW_ACT_DROP);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 0, FW_ACT_MARK));

    /* action arguments */
    t_rule_init(&r, 0, 0);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 5, 0);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_VPORT, 0, 5));
    t_rule_init(&r, 0, 0);
    t_rule_fwd(&r, FW_ACT_FWD_REP, 1, 4);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_FWD_REP));
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_PUSH_VLAN)->u.push_vlan.tpid = htons(0x9100);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 0, 0);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION_ARG, 0, FW_ACT_PUSH_VLAN));
    r.in.actions[0].u.push_vlan.tpid = htons(0x88a8);
    cr_expect_eq(t_rule_add(dev, &r, &id), 0);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_SET_VLAN_VID)->u.set_vid.vid = htons(4096);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 0, 0);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_SET_VLAN_PCP)->u.set_pcp.pcp = 8;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 0, 0);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP)->u.raw[3] = 1;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_RSVD, 0, FW_ACT_DROP));
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, 0);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_BAD_PARAM);
    r.in.actions[0].type = 99;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 0, 99));

    /* only the one valid rule landed */
    cr_expect_eq(dev->steer.n_rules, 1);
}

Test(emu_dev_steer, trailing_actions_past_n_are_bad_input_len)
{
    struct t_rule r;

    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    r.in.actions[3].type = FW_ACT_MARK;
    cr_expect_eq(t_exec(dev, FW_FUNC_PF, FW_CMD_RULE_ADD, &r.in, sizeof(r.in)),
                 FW_STATUS_BAD_INPUT_LEN);
    r.in.actions[3].type = 0;
    cr_expect_eq(t_exec(dev, FW_FUNC_PF, FW_CMD_RULE_ADD, &r.in, sizeof(r.in)),
                 0);
}

Test(emu_dev_steer, priority_then_add_order)
{
    struct fw_match v = { 0 }, m = { 0 }, key = { 0 };
    uint32_t wild, exact_p3, exact_p1, dup_p1;

    v.ip_proto = 17;
    m.ip_proto = 0xff;
    wild = add_simple(0, 2, NULL, NULL, 1);
    exact_p3 = add_simple(0, 3, &v, &m, 2);
    key.ip_proto = 17;
    cr_expect_eq(lookup_id(0, &key), wild, "priority 2 beats 3");
    exact_p1 = add_simple(0, 1, &v, &m, 3);
    cr_expect_eq(lookup_id(0, &key), exact_p1);
    dup_p1 = add_simple(0, 1, &v, &m, 4);
    cr_expect_eq(lookup_id(0, &key), exact_p1, "first added wins a tie");
    cr_assert_eq(t_rule_delete(dev, exact_p1), 0);
    cr_expect_eq(lookup_id(0, &key), dup_p1);
    cr_assert_eq(t_rule_delete(dev, dup_p1), 0);
    cr_expect_eq(lookup_id(0, &key), wild);
    key.ip_proto = 6;
    cr_expect_eq(lookup_id(0, &key), wild);
    cr_assert_eq(t_rule_delete(dev, wild), 0);
    cr_expect_eq(lookup_id(0, &key), 0);
    key.ip_proto = 17;
    cr_expect_eq(lookup_id(0, &key), exact_p3);
}

Test(emu_dev_steer, masks_and_prefixes)
{
    struct fw_match v = { 0 }, m = { 0 }, key = { 0 };
    uint32_t p8, p24;

    v.ipv4_dst = htonl(0x0a000000);
    m.ipv4_dst = htonl(0xff000000);
    p8 = add_simple(0, 1, &v, &m, 1);
    v.ipv4_dst = htonl(0x0a010200);
    m.ipv4_dst = htonl(0xffffff00);
    p24 = add_simple(0, 0, &v, &m, 2);
    key.ipv4_dst = htonl(0x0a010203);
    cr_expect_eq(lookup_id(0, &key), p24);
    key.ipv4_dst = htonl(0x0a020203);
    cr_expect_eq(lookup_id(0, &key), p8);
    key.ipv4_dst = htonl(0x0b010203);
    cr_expect_eq(lookup_id(0, &key), 0);
    /* non-prefix masks are fine on the full profile */
    memset(&v, 0, sizeof(v));
    memset(&m, 0, sizeof(m));
    m.eth_dst[0] = 0x01;
    v.eth_dst[0] = 0x01;
    uint32_t mc = add_simple(0, 0, &v, &m, 3);
    key.eth_dst[0] = 0x33;
    cr_expect_eq(lookup_id(0, &key), mc);
    /* VID and PCP are separate fields inside one TCI */
    memset(&v, 0, sizeof(v));
    memset(&m, 0, sizeof(m));
    v.vlan_tci = htons(0x1000 | 100);
    m.vlan_tci = htons(0x1fff);
    uint32_t vid = add_simple(0, 0, &v, &m, 4);
    memset(&key, 0, sizeof(key));
    key.vlan_tci = htons(0xa000 | 0x1000 | 100);
    cr_expect_eq(lookup_id(0, &key), vid);
    key.vlan_tci = htons(100);   /* present bit missing */
    cr_expect_eq(lookup_id(0, &key), 0);
}

Test(emu_dev_steer, rule_ids_are_generation_safe)
{
    uint32_t a = add_simple(0, 0, NULL, NULL, 1);

    cr_assert_eq(t_rule_delete(dev, a), 0);
    uint32_t b = add_simple(0, 0, NULL, NULL, 2);
    cr_expect_neq(a, b, "slot reused with a new generation");
    cr_expect_eq(t_rule_delete(dev, a), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RULE);
    cr_expect_not_null(emu_steer_rule(dev, b), "stale id deleted a live rule");
    cr_expect_eq(t_rule_delete(dev, 0xffffffffu), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_rule_delete(dev, b), 0);
}

Test(emu_dev_steer, capacity_table_full)
{
    const struct emu_profile *p = emu_profile_find("basic");
    struct emu_config cfg = { .profile = *p, .max_vfs = 2, .num_vfs = 2,
                              .esw_mode = FW_ESW_SWITCHDEV };
    struct emu_dev *small;
    struct t_rule r;
    struct fw_rule_add_in in;

    cfg.profile.max_rules_per_table = 10;
    cfg.profile.max_rules_total = 15;
    small = emu_dev_create(&cfg, &t_ops, &t_rec);
    cr_assert_not_null(small);
    cr_assert_eq(t_exec(small, FW_FUNC_PF, FW_CMD_TABLE_CREATE,
        &(struct fw_table_create_in){ .group = 1, .level = 1 },
        sizeof(struct fw_table_create_in)), 0);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    in = r.in;
    for (int i = 0; i < 10; i++) {
        r.in = in;
        cr_assert_eq(t_rule_add(small, &r, NULL), 0);
    }
    r.in = in;
    cr_expect_eq(t_rule_add(small, &r, NULL), FW_STATUS_NO_SPACE);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_RULES_TABLE));
    in.group = 1;
    for (int i = 0; i < 5; i++) {
        r.in = in;
        cr_assert_eq(t_rule_add(small, &r, NULL), 0);
    }
    r.in = in;
    cr_expect_eq(t_rule_add(small, &r, NULL), FW_STATUS_NO_SPACE);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_RULES_TOTAL));
    emu_dev_destroy(small);
}

/* ---- randomized: tuple space search vs. a linear scan ---- */

struct ref_rule {
    struct fw_match v, m;
    uint16_t prio;
    uint32_t id;
    bool live;
};

static uint32_t rnd_state = 12345;

static uint32_t
rnd(uint32_t n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) % n;
}

static void
rnd_key(struct fw_match *k)
{
    static const uint32_t nets[] = { 0x0a000001, 0x0a000101, 0x0a010101,
                                     0xc0a80001 };

    memset(k, 0, sizeof(*k));
    k->src_vport = (uint16_t)rnd(3);
    k->eth_type = htons(rnd(2) ? 0x0800 : 0x86dd);
    k->ip_proto = rnd(2) ? 6 : 17;
    k->l4_dst = htons((uint16_t)(80 + rnd(3)));
    k->ipv4_dst = htonl(nets[rnd(4)]);
}

static void
rnd_rule(struct ref_rule *r)
{
    static const uint32_t plen[] = { 0, 8, 16, 24, 32 };
    struct fw_match k;

    rnd_key(&k);
    memset(&r->m, 0, sizeof(r->m));
    if (rnd(2))
        r->m.src_vport = 0xffff;
    if (rnd(2))
        r->m.eth_type = 0xffff;
    if (rnd(2))
        r->m.ip_proto = 0xff;
    if (rnd(3) == 0)
        r->m.l4_dst = 0xffff;
    uint32_t l = plen[rnd(5)];
    r->m.ipv4_dst = htonl(l ? ~0u << (32 - l) : 0);
    for (size_t i = 0; i < sizeof(k); i++)
        ((uint8_t *)&r->v)[i] = ((uint8_t *)&k)[i] & ((uint8_t *)&r->m)[i];
    r->prio = (uint16_t)rnd(4);
}

static bool
ref_match(const struct ref_rule *r, const struct fw_match *k)
{
    const uint8_t *kb = (const void *)k, *vb = (const void *)&r->v,
                  *mb = (const void *)&r->m;

    for (size_t i = 0; i < sizeof(*k); i++)
        if ((kb[i] & mb[i]) != vb[i])
            return false;
    return true;
}

Test(emu_dev_steer, random_vs_linear_reference)
{
    enum { N = 400, KEYS = 3000 };
    static struct ref_rule ref[N];
    unsigned n = 0, checked = 0, hits = 0;

    for (unsigned round = 0; round < N; round++) {
        struct ref_rule *r = &ref[n++];
        struct t_rule tr;

        rnd_rule(r);
        t_rule_init(&tr, 0, r->prio);
        tr.in.value = r->v;
        tr.in.mask = r->m;
        t_rule_fwd(&tr, FW_ACT_FWD_REP, 0, 0);
        cr_assert_eq(t_rule_add(dev, &tr, &r->id), 0);
        r->live = true;
        /* delete now and then, so tuples empty out and slots get reused */
        if (rnd(4) == 0) {
            struct ref_rule *d = &ref[rnd(n)];

            if (d->live) {
                cr_assert_eq(t_rule_delete(dev, d->id), 0);
                d->live = false;
            }
        }
    }
    for (unsigned k = 0; k < KEYS; k++) {
        struct fw_match key;
        const struct ref_rule *best = NULL;

        rnd_key(&key);
        /* ref[] is in add order: the first match of the lowest priority */
        for (unsigned i = 0; i < n; i++)
            if (ref[i].live && ref_match(&ref[i], &key) &&
                (best == NULL || ref[i].prio < best->prio))
                best = &ref[i];
        uint32_t got = lookup_id(0, &key);
        cr_assert_eq(got, best ? best->id : 0, "key %u: got %#x want %#x",
                     k, got, best ? best->id : 0);
        checked++;
        hits += best != NULL;
    }
    cr_expect_eq(checked, KEYS);
    cr_expect_gt(hits, KEYS / 4, "the random keys should mostly hit");
}

Test(emu_dev_steer, many_adds_are_fast)
{
    /* 100k rules in one table, each a distinct exact match: O(1) adds */
    struct t_rule r;
    uint32_t id = 0;

    t_rule_init(&r, 0, 1);
    r.in.mask.ipv4_dst = 0xffffffff;
    r.in.mask.l4_dst = 0xffff;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 1, 0);
    uint64_t t0 = snic_now_ns();
    for (uint32_t i = 0; i < 100000; i++) {
        r.in.value.ipv4_dst = htonl(0x0a000000 + i);
        r.in.value.l4_dst = htons((uint16_t)i);
        r.in.hdr.out_size = 0;
        cr_assert_eq(t_rule_add(dev, &r, &id), 0);
    }
    uint64_t dt = snic_now_ns() - t0;
    struct fw_match key = { 0 };
    key.ipv4_dst = htonl(0x0a000000 + 99999);
    key.l4_dst = htons((uint16_t)99999);
    cr_expect_eq(lookup_id(0, &key), id);
    cr_expect_lt(dt, 5000000000ull, "100k adds took %llu ns",
                 (unsigned long long)dt);
}

/* The command loop's look ahead (emu_dev_prefetch) is a hint: for a
 * RULE_DELETE of a live rule, of a stale or impossible id, from a VF,
 * cut short or of another opcode, at either stage, nothing changes: the
 * rule still matches, and its delete then runs as ever. */
Test(emu_dev_steer, delete_look_ahead_changes_nothing)
{
    struct fw_match v = { .ipv4_dst = htonl(0x0a000001) };
    struct fw_match m = { .ipv4_dst = 0xffffffff };
    uint32_t a = add_simple(0, 0, &v, &m, 1), b;
    struct fw_rule_delete_in del = {
        .hdr = { .opcode = FW_CMD_RULE_DELETE, .in_size = sizeof(del) },
    };
    const uint32_t ids[] = { 0, 0xffffffffu, 0, 0x12345678u };
    const uint16_t fns[] = { FW_FUNC_PF, FW_FUNC_VF(0), FW_FUNC_UPLINK };

    cr_assert_eq(t_rule_delete(dev, a), 0);
    b = add_simple(0, 0, &v, &m, 2);     /* a's slot, a new generation */
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        del.rule_id = i == 0 ? b : i == 2 ? a : ids[i];
        for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++)
            for (unsigned st = 0; st < 3; st++) {
                emu_dev_prefetch(dev, fns[f], &del, sizeof(del), st);
                emu_dev_prefetch(dev, fns[f], &del, sizeof(del) - 1, st);
            }
    }
    del.rule_id = b;
    del.hdr.opcode = FW_CMD_RULE_ADD;
    emu_dev_prefetch(dev, FW_FUNC_PF, &del, sizeof(del), 0);
    emu_dev_prefetch(dev, FW_FUNC_PF, NULL, 0, 1);
    cr_expect_eq(lookup_id(0, &v), b, "the rule still matches");
    cr_expect_not_null(emu_steer_rule(dev, b));
    cr_expect_eq(t_rule_delete(dev, a), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_rule_delete(dev, b), 0);
    cr_expect_eq(lookup_id(0, &v), 0);
}
