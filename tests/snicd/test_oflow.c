/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's compact records (snicd_oflow.c) and its shared
 * reasons (snicd_reason.c): a record gives back exactly the flow it was
 * made with (from a flow table entry or from a whole flow), through
 * changes that grow and shrink it past the room it was made with; its
 * overlap test answers what flow_match_overlaps() answers on the whole
 * matches, on random pairs; the reason pool keeps one copy of a text,
 * counts its holders and cuts as the 160-byte buffers did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "snic/flow.h"
#include "snicd_offload_priv.h"

#include "xlate_test_ports.h"

TestSuite(oflow, .init = xlate_test_ports_init);

static void
parse(const char *line, struct flow *f)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, &pmap, &fm, &err), 0,
                 "parse '%s': %s", line, err.msg);
    flow_copy(f, &fm.flow);
}

/* @f as a flow table entry (malloc'd, room for @room actions). */
static struct flow_entry *
entry_of(const struct flow *f, uint64_t id, unsigned room)
{
    struct flow_entry *e = calloc(1, flow_entry_size(f, room));

    cr_assert_not_null(e);
    e->id = id;
    flow_entry_set_flow(e, f);
    return e;
}

static void
expect_flow(const struct snicd_oflow *of, const struct flow *want,
            const char *what)
{
    struct flow got;

    snicd_oflow_flow(of, &got);
    cr_assert(flow_equal(&got, want), "%s: the record's flow differs", what);
    /* the whole struct: the actions past the flow's own are zero */
    cr_assert_eq(memcmp(got.actions, want->actions, sizeof(got.actions)),
                 0, "%s: actions past the last differ", what);
    cr_assert(snicd_oflow_equal(of, want), "%s: snicd_oflow_equal", what);
}

static const char *const lines[] = {
    "priority=100,in_port=vf0,ip,nw_dst=10.0.0.1 actions=output:uplink",
    "table=3,priority=7,tcp,tp_dst=80,nw_src=10.1.0.0/16 "
    "actions=mod_nw_dst:1.2.3.4,output:vf1",
    "cookie=0x1234,idle_timeout=5,hard_timeout=9,priority=1 actions=drop",
    "reg3=0x5/0xf,dl_dst=00:11:22:33:44:55 actions=push_vlan:0x8100,"
    "mod_vlan_vid:7,output:vf2,output:vf3,goto_table:4",
    "priority=5,conj_id=9,ip actions=output:vf1",
    "priority=5,ip,nw_src=10.0.0.1 actions=conjunction(9,1/2)",
};

Test(oflow, round_trip_from_entry_and_flow)
{
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct flow f;
        struct flow_entry *e;
        struct snicd_oflow *a, *b;

        parse(lines[i], &f);
        e = entry_of(&f, 40 + i, 2);
        a = snicd_oflow_new_entry(e);
        b = snicd_oflow_new_flow(&f);
        cr_assert_not_null(a);
        cr_assert_not_null(b);
        cr_expect_eq(a->id, 40 + i);
        cr_expect_eq(a->priority, f.priority);
        cr_expect_eq(a->table_id, f.table_id);
        expect_flow(a, &f, lines[i]);
        expect_flow(b, &f, lines[i]);
        cr_expect(snicd_oflow_match_is_entry(a, e), "%s", lines[i]);
        cr_expect(snicd_oflow_actions_are_entry(a, e), "%s", lines[i]);
        cr_expect_eq(snicd_oflow_jump(a), snicd_xlate_jump(&f), "%s",
                     lines[i]);
        cr_expect_eq(snicd_oflow_conj_member(a), snicd_conj_member(&f),
                     "%s", lines[i]);
        /* compact: a small flow costs a small record */
        cr_expect_lt(snicd_oflow_bytes(a), sizeof(struct flow),
                     "%s: %zu bytes", lines[i], snicd_oflow_bytes(a));
        snicd_oflow_release(a);
        snicd_oflow_release(b);
        free(a);
        free(b);
        free(e);
    }
}

/* The record without its actions is paid once per flow (#13): its
 * fields sit by size, with no padding between them, and what few flows
 * need (conjunctions, conversations, a decap context, the tunnel domain's
 * overlap entry) is in a part made only for them. Its match is the flow
 * table's entry's, not a copy, and its entry in the overlap index's one
 * sub is its own (struct snicd_ovm.ent1): 216 bytes and one output (16)
 * are 232 asked of glibc, a 240-byte chunk; 8 bytes more would be 256. */
Test(oflow, record_stays_small)
{
    cr_expect_leq(sizeof(struct snicd_oflow), 216,
                  "struct snicd_oflow grew to %zu bytes",
                  sizeof(struct snicd_oflow));
    cr_expect_eq(offsetof(struct snicd_oflow, tail) % sizeof(uint64_t), 0);
}

/* A record is made without its rare part, and reads as the defaults a
 * flow outside conjunctions, conversations and tunnels has; the part,
 * once asked for, starts at the same defaults, counts in the record's
 * bytes and goes with it. */
Test(oflow, rare_part_on_demand)
{
    struct flow fl;
    struct snicd_oflow *f;
    struct snicd_oflow_rare *r;
    size_t made;

    parse("priority=9,ip,nw_dst=10.0.0.9 actions=output:vf1", &fl);
    f = snicd_oflow_new_flow(&fl);
    cr_assert_not_null(f);
    cr_expect_null(f->rare);
    cr_expect_eq(snicd_oflow_conj_owner(f), 0);
    cr_expect_null(snicd_oflow_conj_combos(f));
    cr_expect_null(snicd_oflow_dctx(f));
    cr_expect_null(snicd_oflow_ov_tun(f));
    cr_expect_eq(snicd_oflow_conv_level(f), -1);
    cr_expect_eq(snicd_oflow_n_convs(f), 0);
    cr_expect_eq(snicd_oflow_conj_num(f), 0);
    made = snicd_oflow_bytes(f);
    r = snicd_oflow_rare(f);
    cr_assert_not_null(r);
    cr_expect_eq(snicd_oflow_rare(f), r, "made once");
    cr_expect_eq(snicd_oflow_conv_level(f), -1);
    cr_expect_eq(snicd_oflow_conj_owner(f), 0);
    cr_expect_eq(snicd_oflow_bytes(f), made + sizeof(*r));
    r->conv_level = 3;
    r->conj_num = 5;
    cr_expect_eq(snicd_oflow_conv_level(f), 3);
    cr_expect_eq(snicd_oflow_conj_num(f), 5);
    expect_flow(f, &fl, "with its rare part");
    snicd_oflow_release(f);
    cr_expect_null(f->rare);
    cr_expect_null(f->entry, "its own entry went too");
    free(f);
}

/* A modify that needs more room for its actions than the record was made
 * with takes an allocation of its own; one that fits again goes back to
 * the tail. The rest of the flow is the entry's, wherever it is. */
Test(oflow, changes_grow_and_shrink)
{
    struct flow small, big, other;
    struct flow_entry *es, *eb, *eo;
    struct snicd_oflow *f;
    size_t made;

    parse("priority=9,ip,nw_dst=10.0.0.9 actions=output:vf1", &small);
    parse("priority=9,ip,nw_dst=10.0.0.9,tcp,tp_src=5,dl_src=00:00:00:00:"
          "00:01 actions=output:vf0,output:vf1,output:vf2,output:vf3,"
          "mod_nw_src:1.1.1.1,mod_nw_dst:2.2.2.2,output:uplink", &big);
    parse("priority=8,in_port=vf2 actions=drop", &other);
    es = entry_of(&small, 7, 0);
    eb = entry_of(&big, 7, 0);
    eo = entry_of(&other, 7, 0);
    f = snicd_oflow_new_entry(es);
    cr_assert_not_null(f);
    made = snicd_oflow_bytes(f);
    cr_assert_eq(snicd_oflow_set_entry(f, eb), 0);
    expect_flow(f, &big, "grown");
    cr_expect_gt(snicd_oflow_bytes(f), made, "its own allocation");
    cr_expect(!snicd_oflow_match_is_entry(f, es));
    cr_assert_eq(snicd_oflow_set_entry(f, eo), 0);
    expect_flow(f, &other, "shrunk");
    cr_expect_eq(snicd_oflow_bytes(f), made, "back in its tail");
    cr_assert_eq(snicd_oflow_set_entry(f, eb), 0);
    cr_assert_eq(snicd_oflow_set_entry(f, eb), 0);
    expect_flow(f, &big, "grown twice");
    snicd_oflow_release(f);
    free(f);
    free(es);
    free(eb);
    free(eo);
}

/* The record reads its match from the entry it was given and keeps the
 * actions its rule was made with: the entry's may change before the
 * manager hears of it (a batch), and that is how it tells the change. A
 * node that moves is followed (snicd_oflow_rebind). */
Test(oflow, shares_the_entry_keeps_the_actions)
{
    struct flow fl, other;
    struct flow_entry *e, *moved;
    struct snicd_oflow *f;

    parse("priority=9,ip,nw_dst=10.0.0.9 actions=output:vf1", &fl);
    parse("priority=9,ip,nw_dst=10.0.0.9 actions=output:vf2", &other);
    e = entry_of(&fl, 11, 2);
    f = snicd_oflow_new_entry(e);
    cr_assert_not_null(f);
    cr_expect_eq(f->entry, e, "not a copy");
    cr_expect_eq(snicd_oflow_bytes(f),
                 sizeof(*f) + sizeof(struct flow_action),
                 "the record and its one action");
    flow_entry_set_flow(e, &other);
    cr_expect(!snicd_oflow_actions_are_entry(f, e), "the rule's actions");
    cr_expect(snicd_oflow_match_is_entry(f, e));
    moved = malloc(flow_entry_size(&other, 2));
    cr_assert_not_null(moved);
    memcpy(moved, e, flow_entry_size(&other, 2));
    free(e);
    snicd_oflow_rebind(f, moved);
    cr_assert_eq(snicd_oflow_set_entry(f, moved), 0);
    expect_flow(f, &other, "moved and changed");
    snicd_oflow_rebind(f, NULL);
    cr_expect_null(f->entry);
    snicd_oflow_release(f);
    free(f);
    free(moved);
}

/* A random normalised match over a few fields, values from a small set
 * so that pairs overlap about half the time. */
static void
random_match(struct flow_match *m)
{
    uint8_t *v = (uint8_t *)&m->value, *k = (uint8_t *)&m->mask;

    memset(m, 0, sizeof(*m));
    for (unsigned n = (unsigned)(rand() % 6); n > 0; n--) {
        size_t i = (size_t)rand() % sizeof(struct flow_key);

        k[i] = (uint8_t)(rand() % 2 ? 0xff : 0x0f);
        v[i] = (uint8_t)(rand() % 3);
    }
    flow_match_normalise(m);
}

Test(oflow, overlaps_as_whole_matches)
{
    srand(13);
    for (unsigned it = 0; it < 20000; it++) {
        struct flow a, b;
        struct snicd_oflow *ra, *rb;
        struct flow_match back;
        bool want;

        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        random_match(&a.match);
        random_match(&b.match);
        ra = snicd_oflow_new_flow(&a);
        rb = snicd_oflow_new_flow(&b);
        cr_assert(ra != NULL && rb != NULL);
        want = flow_match_overlaps(&a.match, &b.match);
        cr_assert_eq(snicd_oflow_overlaps(ra, rb), want, "pair %u", it);
        cr_assert_eq(snicd_oflow_overlaps(rb, ra), want, "pair %u", it);
        cr_assert_eq(snicd_oflow_overlaps_match(ra, &b.match), want,
                     "pair %u", it);
        snicd_oflow_match(ra, &back);
        cr_assert(flow_match_identical(&back, &a.match), "pair %u", it);
        cr_assert_eq(snicd_oflow_catch_all(ra),
                     flow_match_identical(&a.match, &(struct flow_match){0}),
                     "pair %u", it);
        snicd_oflow_release(ra);
        snicd_oflow_release(rb);
        free(ra);
        free(rb);
    }
}

Test(oflow, reasons_shared_counted_cut)
{
    struct snicd_reasons r;
    char buf[64], longer[400];
    const char *a, *b, *c, *e, *l;

    snicd_reasons_init(&r);
    snprintf(buf, sizeof(buf), "refused by the device: %s", "no room");
    a = snicd_reason_get(&r, buf);
    b = snicd_reason_get(&r, "refused by the device: no room");
    cr_expect_eq(a, b, "one copy of a text");
    cr_expect_str_eq(a, "refused by the device: no room");
    c = snicd_reason_get(&r, "pending commit");
    cr_expect_neq(a, c);
    e = snicd_reason_get(&r, "");
    cr_expect_str_eq(e, "");
    cr_expect_eq(snicd_reasons_count(&r), 2, "\"\" is not kept");
    snicd_reason_put(&r, a);
    cr_expect_eq(snicd_reasons_count(&r), 2, "b still holds it");
    snicd_reason_put(&r, b);
    cr_expect_eq(snicd_reasons_count(&r), 1, "the last holder freed it");
    snicd_reason_put(&r, e);
    snicd_reason_put(&r, NULL);
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    l = snicd_reason_get(&r, longer);
    cr_expect_eq(strlen(l), SNICD_REASON_SIZE - 1, "cut as snicd_say cuts");
    cr_expect_eq(snicd_reason_get(&r, l), l, "the cut text is the same");
    snicd_reason_put(&r, l);
    snicd_reason_put(&r, l);
    snicd_reason_put(&r, c);
    cr_expect_eq(snicd_reasons_count(&r), 0);
    snicd_reasons_fini(&r);
}
