/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RULE_QUERY (ABI 1.3): every rule in the device comes back exactly as it
 * was installed, across pages, and a hostile query (wrong function, bad
 * table, huge page, short output, stray bits) is refused with the right
 * status and changes nothing. ABI 1.8: disjoint ranges (end) list every
 * rule exactly once between them, and each page says where the slots end.
 */
#include "emu_test.h"
#include "emu_dev_priv.h"

#define N_RULES 21u

T_DEV_SUITE(emu_dev_rule_query, "full", 4, 3, FW_ESW_SWITCHDEV,
            .timeout = 10);

static uint8_t
query(uint16_t function, uint32_t cursor, uint32_t flags, uint32_t group,
      uint16_t max, uint32_t out_size)
{
    struct fw_rule_query_in in;

    memset(&in, 0, sizeof(in));
    in.hdr.out_size = out_size;
    in.cursor = cursor;
    in.flags = flags;
    in.group = group;
    in.max_rules = max;
    return T_EXEC(dev, function, FW_CMD_RULE_QUERY, in);
}

static const struct fw_rule_query_out *
page(void)
{
    return (const struct fw_rule_query_out *)t_out.raw;
}

/* Rule @i of the test set: its group, priority, match and actions vary
 * with i so that a mixed-up entry cannot compare equal. */
static void
make_rule(struct t_rule *r, unsigned i, uint32_t counter)
{
    t_rule_init(r, i % 3 == 0 ? 7 : 0, (uint16_t)(i % 5));
    r->in.value.ipv4_dst = htonl(0x0a000000u + i);
    r->in.mask.ipv4_dst = htonl(0xffffffffu);
    r->in.value.eth_type = htons(0x0800);
    r->in.mask.eth_type = 0xffff;
    if (i % 2 == 0) {
        r->in.value.l4_dst = htons((uint16_t)(1000 + i));
        r->in.mask.l4_dst = 0xffff;
        r->in.value.ip_proto = 17;
        r->in.mask.ip_proto = 0xff;
    }
    if (i % 4 == 1) {
        r->in.value.src_vport = FW_VPORT_VF(1);
        r->in.mask.src_vport = 0xffff;
    }
    t_rule_act(r, FW_ACT_COUNT)->u.count.counter_id = counter + i;
    if (i % 3 == 1)
        t_rule_act(r, FW_ACT_MARK)->u.mark.id = 0x100 + i;
    if (i % 7 == 2)
        t_rule_act(r, FW_ACT_SET_IPV4_SRC)->u.set_ipv4.addr =
            htonl(0xc0a80000u + i);
    if (i % 2 == 0)
        t_rule_fwd(r, FW_ACT_FWD_VPORT, FW_VPORT_VF(i % 3), 0);
    else
        t_rule_fwd(r, FW_ACT_FWD_REP, FW_VPORT_UPLINK, (uint16_t)(i % 4));
}

struct seen {
    uint32_t ids[N_RULES];
    struct t_rule rules[N_RULES];
    bool found[N_RULES];
};

static void
install(struct seen *s)
{
    uint32_t base = 0;

    cr_assert_eq(t_table_create(dev, 7, 1), 0);
    cr_assert_eq(t_counter_alloc(dev, N_RULES, &base), 0);
    for (unsigned i = 0; i < N_RULES; i++) {
        make_rule(&s->rules[i], i, base);
        cr_assert_eq(t_rule_add(dev, &s->rules[i], &s->ids[i]), 0,
                     "rule %u: synd 0x%08x", i, t_synd);
    }
}

/* Check one entry against what was installed; returns its index. */
static unsigned
check_entry(struct seen *s, const struct fw_rule_entry *e)
{
    for (unsigned i = 0; i < N_RULES; i++) {
        const struct fw_rule_add_in *in = &s->rules[i].in;

        if (s->ids[i] != e->rule_id)
            continue;
        cr_expect(!s->found[i], "rule %u listed twice", i);
        s->found[i] = true;
        cr_expect_eq(e->group, in->group, "rule %u group", i);
        cr_expect_eq(e->priority, in->priority, "rule %u priority", i);
        cr_expect_eq(e->n_actions, in->n_actions, "rule %u n_actions", i);
        cr_expect_eq(e->size, sizeof(*e) + in->n_actions *
                                               sizeof(struct fw_action));
        cr_expect_eq(e->flags, 0);
        cr_expect_eq(memcmp(&e->value, &in->value, sizeof(e->value)), 0,
                     "rule %u value", i);
        cr_expect_eq(memcmp(&e->mask, &in->mask, sizeof(e->mask)), 0,
                     "rule %u mask", i);
        cr_expect_eq(memcmp(e->actions, in->actions,
                            in->n_actions * sizeof(struct fw_action)), 0,
                     "rule %u actions", i);
        return i;
    }
    cr_assert_fail("entry with unknown rule id 0x%x", e->rule_id);
    return 0;
}

/* Page through everything (or one group) with pages of @max; returns the
 * number of pages it took. */
static unsigned
walk(struct seen *s, uint32_t flags, uint32_t group, uint16_t max,
     unsigned *n_entries)
{
    uint32_t cursor = 0, total = t_health(dev).rules;
    unsigned pages = 0;

    *n_entries = 0;
    memset(s->found, 0, sizeof(s->found));
    do {
        const struct fw_rule_query_out *o;
        const uint8_t *at;

        cr_assert_eq(query(FW_FUNC_PF, cursor, flags, group, max,
                           FW_SLOT_OUT_MAX), FW_STATUS_OK,
                     "page %u: synd 0x%08x", pages, t_synd);
        o = page();
        cr_assert_leq(o->n_rules, max);
        cr_expect_eq(o->total, total);
        at = t_out.raw + sizeof(*o);
        for (unsigned k = 0; k < o->n_rules; k++) {
            const struct fw_rule_entry *e = (const void *)at;

            cr_assert_leq((size_t)(at - t_out.raw) + e->size,
                          t_out.hdr.out_size);
            check_entry(s, e);
            at += e->size;
        }
        cr_expect_eq((size_t)(at - t_out.raw), t_out.hdr.out_size,
                     "out_size covers exactly the entries");
        *n_entries += o->n_rules;
        cursor = o->next_cursor;
        pages++;
        cr_assert_lt(pages, 100u, "the cursor does not move on");
    } while (cursor != FW_RULE_QUERY_END);
    return pages;
}

static uint8_t
query_range(uint32_t cursor, uint32_t end, uint16_t max)
{
    struct fw_rule_query_in in;

    memset(&in, 0, sizeof(in));
    in.hdr.out_size = FW_SLOT_OUT_MAX;
    in.cursor = cursor;
    in.end = end;
    in.max_rules = max;
    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_RULE_QUERY, in);
}

/* Walk [cursor, end) to its end; the entries into @s. */
static unsigned
walk_range(struct seen *s, uint32_t cursor, uint32_t end)
{
    unsigned n = 0, pages = 0;

    do {
        const uint8_t *at;

        cr_assert_eq(query_range(cursor, end, 2), FW_STATUS_OK,
                     "[%u, %u): synd 0x%08x", cursor, end, t_synd);
        at = t_out.raw + sizeof(struct fw_rule_query_out);
        for (unsigned k = 0; k < page()->n_rules; k++) {
            const struct fw_rule_entry *e = (const void *)at;

            cr_assert_leq((size_t)(at - t_out.raw) + e->size,
                          t_out.hdr.out_size);
            check_entry(s, e);
            at += e->size;
            n++;
        }
        cr_assert(page()->next_cursor == FW_RULE_QUERY_END ||
                  (page()->next_cursor > cursor && page()->next_cursor < end),
                  "the next cursor %u stays in [%u, %u)",
                  page()->next_cursor, cursor, end);
        cursor = page()->next_cursor;
        cr_assert_lt(++pages, 100u, "the cursor does not move on");
    } while (cursor != FW_RULE_QUERY_END);
    return n;
}

Test(emu_dev_rule_query, ranges_list_every_rule_once)
{
    static struct seen s;
    uint32_t slots;
    unsigned n = 0;

    install(&s);
    /* one rule gone: a hole in the slots, which ranges skip like pages */
    cr_assert_eq(t_rule_delete(dev, s.ids[4]), 0);
    s.ids[4] = 0xffffffffu;
    cr_assert_eq(query_range(0, 0, 1), FW_STATUS_OK);
    slots = page()->slots;
    cr_expect_eq(page()->total, N_RULES - 1);
    cr_assert_geq(slots, N_RULES - 1, "every rule's cursor below slots");
    memset(s.found, 0, sizeof(s.found));
    /* ranges of 1, 2, 3... slots side by side: each rule once */
    for (uint32_t at = 0, w = 1; at < slots; at += w, w++)
        n += walk_range(&s, at, at + w < slots ? at + w : slots);
    cr_expect_eq(n, N_RULES - 1);
    for (unsigned i = 0; i < N_RULES; i++)
        cr_expect_eq(s.found[i], i != 4, "rule %u listed: %d", i,
                     s.found[i]);
    /* a range past the slots is one empty, final page */
    cr_assert_eq(query_range(slots, slots + 5, 8), FW_STATUS_OK);
    cr_expect_eq(page()->n_rules, 0);
    cr_expect_eq(page()->next_cursor, FW_RULE_QUERY_END);
}

Test(emu_dev_rule_query, bad_ranges_are_refused)
{
    static struct seen s;
    struct fw_rule_query_in in;
    uint32_t before, cap = dev->caps.max_rules_total;
    unsigned n;

    install(&s);
    before = t_health(dev).commands_failed;
    cr_expect_eq(query_range(5, 5, 1), FW_STATUS_BAD_PARAM, "empty range");
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CURSOR, 0, 1));
    cr_expect_eq(query_range(5, 3, 1), FW_STATUS_BAD_PARAM, "backwards");
    cr_expect_eq(query_range(0, cap + 1, 1), FW_STATUS_BAD_PARAM,
                 "beyond any slot");
    cr_expect_eq(query_range(0, 0xffffffffu, 1), FW_STATUS_BAD_PARAM);
    memset(&in, 0, sizeof(in));
    in.hdr.out_size = FW_SLOT_OUT_MAX;
    in.max_rules = 1;
    in.rsvd2 = 1;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RULE_QUERY, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    cr_expect_eq(t_health(dev).commands_failed, before + 5);
    /* the end marker as cursor, with an end: one empty final page */
    cr_expect_eq(query_range(FW_RULE_QUERY_END, 4, 1), FW_STATUS_OK);
    cr_expect_eq(page()->n_rules, 0);
    cr_expect_eq(page()->next_cursor, FW_RULE_QUERY_END);
    walk(&s, 0, 0, FW_RULE_QUERY_MAX, &n);
    cr_expect_eq(n, N_RULES, "every rule still there");
}

Test(emu_dev_rule_query, empty_device_is_one_empty_page)
{
    cr_assert_eq(query(FW_FUNC_PF, 0, 0, 0, FW_RULE_QUERY_MAX,
                       FW_SLOT_OUT_MAX), FW_STATUS_OK);
    cr_expect_eq(page()->n_rules, 0);
    cr_expect_eq(page()->total, 0);
    cr_expect_eq(page()->next_cursor, FW_RULE_QUERY_END);
    cr_expect_eq(t_out.hdr.out_size, sizeof(struct fw_rule_query_out));
}

Test(emu_dev_rule_query, lists_every_rule_as_installed_across_pages)
{
    static struct seen s;
    unsigned n, pages;

    install(&s);
    pages = walk(&s, 0, 0, FW_RULE_QUERY_MAX, &n);
    cr_expect_eq(n, N_RULES);
    for (unsigned i = 0; i < N_RULES; i++)
        cr_expect(s.found[i], "rule %u missing", i);
    cr_expect_geq(pages, 4u, "%u rules cannot fit fewer pages", N_RULES);
    /* one rule per page walks the same set */
    pages = walk(&s, 0, 0, 1, &n);
    cr_expect_eq(n, N_RULES);
    cr_expect_geq(pages, N_RULES);
}

Test(emu_dev_rule_query, group_filter_and_deletes)
{
    static struct seen s;
    unsigned n, want = 0;

    install(&s);
    for (unsigned i = 0; i < N_RULES; i++)
        want += s.rules[i].in.group == 7;
    walk(&s, FW_RULE_Q_GROUP, 7, FW_RULE_QUERY_MAX, &n);
    cr_expect_eq(n, want);
    for (unsigned i = 0; i < N_RULES; i++)
        cr_expect_eq(s.found[i], s.rules[i].in.group == 7, "rule %u", i);
    walk(&s, FW_RULE_Q_GROUP, 0, FW_RULE_QUERY_MAX, &n);
    cr_expect_eq(n, N_RULES - want, "the root table's rules");

    /* deleted rules are gone from the listing, the others stay */
    for (unsigned i = 0; i < N_RULES; i += 2)
        cr_assert_eq(t_rule_delete(dev, s.ids[i]), 0);
    walk(&s, 0, 0, FW_RULE_QUERY_MAX, &n);
    cr_expect_eq(n, N_RULES / 2);
    for (unsigned i = 0; i < N_RULES; i++)
        cr_expect_eq(s.found[i], i % 2 == 1, "rule %u", i);
}

Test(emu_dev_rule_query, a_page_never_passes_out_size)
{
    static struct seen s;
    const uint32_t small = 600;

    install(&s);
    cr_assert_eq(query(FW_FUNC_PF, 0, 0, 0, FW_RULE_QUERY_MAX, small),
                 FW_STATUS_OK);
    cr_expect_leq(t_out.hdr.out_size, small);
    cr_expect_geq(page()->n_rules, 1u);
    for (uint32_t b = t_out.hdr.out_size; b < FW_SLOT_OUT_MAX; b++)
        cr_assert_eq(t_out.raw[b], 0xa5, "byte %u written past the page", b);
    /* too small for a single rule: how much one needs */
    cr_expect_eq(query(FW_FUNC_PF, 0, 0, 0, 1, 100),
                 FW_STATUS_BAD_OUTPUT_LEN);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_LENGTH);
    cr_expect_gt(FW_SYND_DETAIL(t_synd), 100);
    cr_expect_eq(query(FW_FUNC_PF, 0, 0, 0, 1, 20), FW_STATUS_BAD_OUTPUT_LEN);
}

Test(emu_dev_rule_query, tombstones_are_flagged)
{
    struct t_rule r;
    struct fw_sriov_enable_in in = { .num_vfs = 1,
                                     .flags = FW_SRIOV_F_IN_PLACE };
    const struct fw_rule_entry *e;

    t_rule_init(&r, 0, 0);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_VF(2), 0);
    cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_ENABLE, in), 0);
    cr_assert_eq(query(FW_FUNC_PF, 0, 0, 0, 1, FW_SLOT_OUT_MAX), 0);
    cr_assert_eq(page()->n_rules, 1);
    e = (const void *)(t_out.raw + sizeof(struct fw_rule_query_out));
    cr_expect_eq(e->flags, FW_RULE_E_TOMBSTONE);
    cr_expect_eq(e->n_actions, 1);
    cr_expect_eq(e->actions[0].type, FW_ACT_DROP, "the action list as it "
                 "runs now");
}

Test(emu_dev_rule_query, hostile_queries_are_refused_and_change_nothing)
{
    static struct seen s;
    struct {
        struct fw_rule_query_in in;
        uint8_t extra[8];
    } big;
    uint32_t before;
    unsigned n;

    install(&s);
    before = t_health(dev).commands_failed;
    /* PF only */
    cr_expect_eq(query(FW_FUNC_VF(0), 0, 0, 0, 1, FW_SLOT_OUT_MAX),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);
    cr_expect_eq(query(FW_FUNC_UPLINK, 0, 0, 0, 1, FW_SLOT_OUT_MAX),
                 FW_STATUS_NO_PERM);
    /* huge or empty page */
    cr_expect_eq(query(FW_FUNC_PF, 0, 0, 0, FW_RULE_QUERY_MAX + 1,
                       FW_SLOT_OUT_MAX), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_PAGE));
    cr_expect_eq(query(FW_FUNC_PF, 0, 0, 0, 0xffff, FW_SLOT_OUT_MAX),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(query(FW_FUNC_PF, 0, 0, 0, 0, FW_SLOT_OUT_MAX),
                 FW_STATUS_BAD_PARAM);
    /* bad table ids */
    cr_expect_eq(query(FW_FUNC_PF, 0, FW_RULE_Q_GROUP, 70000, 1,
                       FW_SLOT_OUT_MAX), FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_TABLE);
    cr_expect_eq(query(FW_FUNC_PF, 0, FW_RULE_Q_GROUP, 9, 1,
                       FW_SLOT_OUT_MAX), FW_STATUS_BAD_RESOURCE);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_TABLE, 0, 9));
    cr_expect_eq(query(FW_FUNC_PF, 0, 0, 7, 1, FW_SLOT_OUT_MAX),
                 FW_STATUS_BAD_PARAM, "a group without FW_RULE_Q_GROUP");
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    /* stray bits and cursors */
    cr_expect_eq(query(FW_FUNC_PF, 0, 0x2, 0, 1, FW_SLOT_OUT_MAX),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_RSVD);
    cr_expect_eq(query(FW_FUNC_PF, 0x7fffffffu, 0, 0, 1, FW_SLOT_OUT_MAX),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_CURSOR);
    /* truncated: the header alone reads as max_rules 0 */
    {
        struct fw_cmd_hdr h = { .out_size = FW_SLOT_OUT_MAX };

        cr_expect_eq(t_exec(dev, FW_FUNC_PF, FW_CMD_RULE_QUERY, &h,
                            sizeof(h)), FW_STATUS_BAD_PARAM);
        cr_expect_eq(t_exec(dev, FW_FUNC_PF, FW_CMD_RULE_QUERY, &h, 10),
                     FW_STATUS_BAD_INPUT_LEN);
    }
    /* a newer driver's field this firmware does not know */
    memset(&big, 0, sizeof(big));
    big.in.max_rules = 1;
    big.extra[5] = 1;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RULE_QUERY, big),
                 FW_STATUS_BAD_INPUT_LEN);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_LENGTH, 0,
                                 sizeof(struct fw_rule_query_in)));
    big.extra[5] = 0;
    cr_expect_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_RULE_QUERY, big),
                 FW_STATUS_OK, "zero trailing bytes are fine");

    cr_expect_eq(t_health(dev).commands_failed, before + 13);
    walk(&s, 0, 0, FW_RULE_QUERY_MAX, &n);
    cr_expect_eq(n, N_RULES, "every rule still there");
}

Test(emu_dev_rule_query, legacy_mode_has_no_rules)
{
    cr_assert_eq(t_set_mode(dev, FW_ESW_LEGACY), 0);
    cr_expect_eq(query(FW_FUNC_PF, 0, 0, 0, 1, FW_SLOT_OUT_MAX),
                 FW_STATUS_OK);
    cr_expect_eq(page()->n_rules, 0);
    cr_expect_eq(page()->next_cursor, FW_RULE_QUERY_END);
    cr_expect_eq(query(FW_FUNC_PF, 0, FW_RULE_Q_GROUP, 0, 1,
                       FW_SLOT_OUT_MAX), FW_STATUS_BAD_RESOURCE);
}

/* QUERY_HEALTH's 1.5 tail: rules that came and went between two looks */
Test(emu_dev_rule_query, health_counts_adds_and_deletes)
{
    struct fw_cmd_hdr in = { 0 };
    struct t_rule r;
    uint32_t ids[3];
    struct fw_query_health_out h;

    for (unsigned i = 0; i < 3; i++) {
        make_rule(&r, 3 * i + 1, 0);
        r.in.n_actions = 0;
        t_rule_fwd(&r, FW_ACT_FWD_VPORT, FW_VPORT_VF(0), 0);
        cr_assert_eq(t_rule_add(dev, &r, &ids[i]), 0);
    }
    cr_assert_eq(t_rule_delete(dev, ids[1]), 0);
    cr_assert_eq(t_rule_delete(dev, ids[1]), FW_STATUS_BAD_RESOURCE,
                 "a refused delete removes nothing");
    h = t_health(dev);
    cr_expect_eq(t_out.hdr.out_size, sizeof(h));
    cr_expect_eq(h.rules_added, 3);
    cr_expect_eq(h.rules_deleted, 1);
    cr_expect_eq(h.rules, 2);
    /* a VF reads zeros; a 1.2 driver's shorter output keeps its layout */
    cr_assert_eq(T_EXEC(dev, FW_FUNC_VF(0), FW_CMD_QUERY_HEALTH, in), 0);
    cr_expect_eq(((struct fw_query_health_out *)t_out.raw)->rules_added, 0);
    in.out_size = offsetof(struct fw_query_health_out, rules_added);
    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_HEALTH, in), 0);
    cr_expect_eq(t_out.hdr.out_size,
                 offsetof(struct fw_query_health_out, rules_added));
    cr_expect_eq(t_out.raw[offsetof(struct fw_query_health_out,
                                    rules_added)], 0xa5, "not written");
}
