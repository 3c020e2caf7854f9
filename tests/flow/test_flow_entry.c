/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A flow table entry's compact flow (offload/flow_entry.c): the match's
 * non-zero mask words after the actions. Round trips against the whole
 * struct flow, the compact tests against the whole-match ones on random
 * matches, actions that grow and shrink in place, and the flow table's
 * entries really being compact (their match, and the table's answers
 * through it, unchanged).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "snic/flow.h"

/* Room for any entry: the whole rule, every key word. */
union entry_buf {
    struct flow_entry e;
    uint64_t room[sizeof(struct flow_entry) / 8 + 2 * FLOW_KEY_WORDS];
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A random normalised match: a few random words, masks of random bits,
 * sometimes the same value as @like (so that covers/identical hold). */
static void
random_match(struct flow_match *m, const struct flow_match *like)
{
    uint8_t *v = (uint8_t *)&m->value, *k = (uint8_t *)&m->mask;

    if (like != NULL && rnd() % 2 == 0)
        *m = *like;
    else
        memset(m, 0, sizeof(*m));
    for (unsigned n = (unsigned)(rnd() % 5); n > 0; n--) {
        size_t i = rnd() % sizeof(struct flow_key);

        k[i] = rnd() % 3 == 0 ? 0xff : (uint8_t)rnd();
        v[i] = (uint8_t)rnd();
    }
    if (like != NULL && rnd() % 3 == 0) {
        /* a more specific one: @like's bits and some more */
        *m = *like;
        k[rnd() % sizeof(struct flow_key)] |= (uint8_t)rnd();
    }
    flow_match_normalise(m);
}

static void
parse(const char *line, struct flow *f)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    *f = fm.flow;
}

Test(entry, round_trip_keeps_every_field)
{
    union entry_buf b;
    struct flow f, back;

    parse("cookie=0x42,table=3,priority=77,idle_timeout=5,hard_timeout=9,"
          "importance=4,send_flow_rem,tcp,in_port=2,nw_src=10.0.0.0/8,"
          "nw_dst=192.168.1.1,tp_dst=80,reg3=0x1234/0xff00,"
          "dl_src=00:11:22:33:44:55 actions=dec_ttl,output:3,output:4", &f);
    memset(&b, 0xa5, sizeof(b));
    cr_assert_leq(flow_entry_size(&f, 0), sizeof(b));
    flow_entry_set_flow(&b.e, &f);
    cr_assert_eq(flow_entry_bytes(&b.e), flow_entry_size(&f, 0));
    cr_assert_lt(b.e.n_match_words, 10, "only the matched words: %u",
                 b.e.n_match_words);
    cr_assert_eq((unsigned)__builtin_popcount(b.e.match_map),
                 b.e.n_match_words);
    memset(&back, 0x5a, sizeof(back));
    flow_entry_flow(&b.e, &back);
    cr_assert(flow_equal(&f, &back));
    cr_assert(flow_match_identical(&f.match, &back.match));
    cr_assert_eq(back.actions[3].type, 0, "the actions past its own zero");
    cr_assert(flow_entry_match_is(&b.e, &f.match));
}

Test(entry, catchall_has_no_words)
{
    union entry_buf b;
    struct flow f, back;

    parse("priority=0 actions=drop", &f);
    flow_entry_set_flow(&b.e, &f);
    cr_assert_eq(b.e.n_match_words, 0);
    cr_assert_eq(b.e.match_map, 0);
    flow_entry_flow(&b.e, &back);
    cr_assert(flow_equal(&f, &back));
}

Test(entry, actions_grow_and_shrink_before_the_words)
{
    union entry_buf b;
    struct flow f, g, back;

    parse("udp,nw_dst=10.1.2.3,tp_src=7 actions=output:1", &f);
    parse("actions=output:5,output:6,output:7,dec_ttl,output:8", &g);
    flow_entry_set_flow(&b.e, &f);
    flow_entry_set_actions(&b.e, g.actions, g.n_actions);
    cr_assert(flow_entry_match_is(&b.e, &f.match), "the words moved along");
    flow_entry_flow(&b.e, &back);
    cr_assert_eq(back.n_actions, 5);
    cr_assert_eq(back.actions[4].u.port, 8);
    cr_assert(flow_match_identical(&back.match, &f.match));
    flow_entry_set_actions(&b.e, f.actions, f.n_actions);
    flow_entry_flow(&b.e, &back);
    cr_assert(flow_equal(&f, &back));
}

/* The compact tests give the whole-match tests' answers. */
Test(entry, compact_tests_agree_with_whole_matches)
{
    unsigned covers = 0, same = 0;

    for (unsigned i = 0; i < 20000; i++) {
        union entry_buf b, c;
        struct flow f, g;
        struct flow_match back;

        memset(&f, 0, sizeof(f));
        memset(&g, 0, sizeof(g));
        random_match(&f.match, NULL);
        random_match(&g.match, &f.match);
        flow_entry_set_flow(&b.e, &f);
        flow_entry_set_flow(&c.e, &g);
        flow_entry_match(&b.e, &back);
        cr_assert(flow_match_identical(&back, &f.match), "round %u", i);
        cr_assert_eq(flow_entry_match_is(&b.e, &g.match),
                     flow_match_identical(&f.match, &g.match), "round %u", i);
        cr_assert_eq(flow_entry_same_match(&b.e, &c.e),
                     flow_match_identical(&f.match, &g.match), "round %u", i);
        cr_assert_eq(flow_entry_covered_by(&c.e, &f.match),
                     flow_match_covers(&f.match, &g.match), "round %u", i);
        cr_assert_eq(flow_entry_covered_by(&b.e, &g.match),
                     flow_match_covers(&g.match, &f.match), "round %u", i);
        covers += flow_match_covers(&f.match, &g.match);
        same += flow_match_identical(&f.match, &g.match);
    }
    /* both answers came up often enough to mean something */
    cr_assert_gt(covers, 2000);
    cr_assert_gt(same, 500);
    cr_assert_lt(covers, 18000);
}

Test(entry, table_entries_are_compact)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm;
    struct flow_match m;
    const struct flow_entry *e;

    cr_assert_not_null(t);
    cr_assert_eq(flow_parse("priority=100,in_port=2,udp,nw_dst=10.0.0.1 "
                            "actions=output:1", FLOW_CMD_ADD, NULL, &fm,
                            NULL), 0);
    cr_assert_eq(flow_table_apply(t, &fm, 0), 1);
    e = flow_table_find(t, 1);
    cr_assert_not_null(e);
    /* in_port, nw_dst, dl_type (+ packet_type), nw_proto: 4 words of 31 */
    cr_assert_eq(e->n_match_words, 4);
    cr_assert_lt(flow_entry_bytes(e), 160, "%zu bytes",
                 flow_entry_bytes(e));
    flow_entry_match(e, &m);
    cr_assert(flow_match_identical(&m, &fm.flow.match));
    /* the same match is found for a replace, through the compact index */
    cr_assert_eq(flow_table_apply(t, &fm, 0), 1);
    cr_assert_eq(flow_table_count(t, FLOW_TABLE_ALL), 1);
    flow_table_destroy(t);
}
