/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A delete that selects every flow of a table (or of every table) empties
 * it in one pass (flow_table_apply, FLOW_CHANGE_CLEARED): the listener
 * hears once instead of once per flow, the other tables stay, a
 * transaction undoes it, and a delete with any filter still goes flow by
 * flow.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "flow_test_ports.h"

struct heard {
    enum flow_change_kind kind;
    uint64_t id;
    unsigned table_id;
};

static struct heard log_[4096];
static size_t n_log;
static struct flow_table *tbl;

static void
listener(void *ctx, enum flow_change_kind kind, const struct flow_entry *e,
         enum flow_removed_reason reason)
{
    (void)ctx;
    (void)reason;
    if (n_log < sizeof(log_) / sizeof(log_[0]))
        log_[n_log++] = (struct heard){ kind, e->id, e->flow.table_id };
}

static void
setup(void)
{
    n_log = 0;
    tbl = flow_table_create(listener, NULL);
    cr_assert_not_null(tbl);
}

static void
teardown(void)
{
    flow_table_destroy(tbl);
}

TestSuite(clear, .init = setup, .fini = teardown);

static int
run(enum flow_cmd cmd, const char *line)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse(line, cmd, &test_ports, &fm, &err), 0, "'%s': %s",
                 line, err.msg);
    return flow_table_apply(tbl, &fm, 0);
}

/* @n flows in @table, some with a timeout (the timed array too) */
static void
fill(unsigned table, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char line[160];

        snprintf(line, sizeof(line), "table=%u,priority=%u,ip,nw_dst=10.%u."
                 "%u.%u,%sactions=output:1", table, 10 + i % 7, table,
                 i / 256, i % 256, i % 3 == 0 ? "idle_timeout=60," : "");
        cr_assert_eq(run(FLOW_CMD_ADD, line), 1);
    }
}

static struct flow_key
pkt(unsigned table, unsigned i)
{
    struct flow_key k;

    memset(&k, 0, sizeof(k));
    k.in_port = 1;
    k.packet_type = htonl(FLOW_PT_ETH);
    k.dl_type = htons(0x0800);
    k.nw_dst = htonl(0x0a000000u | table << 16 | i);
    return k;
}

static const struct flow_entry *
lookup(unsigned table, unsigned i)
{
    struct flow_key k = pkt(table, i);

    return flow_table_lookup(tbl, table, &k);
}

Test(clear, one_table_goes_whole_and_others_stay)
{
    fill(0, 300);
    fill(3, 200);
    fill(7, 100);
    n_log = 0;
    cr_assert_eq(run(FLOW_CMD_DELETE, "table=3"), 200);
    cr_assert_eq(n_log, 1, "one notification, not one per flow");
    cr_assert_eq(log_[0].kind, FLOW_CHANGE_CLEARED);
    cr_assert_eq(log_[0].table_id, 3);
    cr_assert_eq(flow_table_count(tbl, 3), 0);
    cr_assert_eq(flow_table_count(tbl, 0), 300);
    cr_assert_eq(flow_table_count(tbl, 7), 100);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 400);
    cr_assert_eq(flow_table_count_timed(tbl), 100 + 34);
    cr_assert_null(lookup(3, 5));
    cr_assert_not_null(lookup(0, 5));
    cr_assert_not_null(lookup(7, 5));
    /* the same match and priority can be added again, as a new flow */
    n_log = 0;
    cr_assert_eq(run(FLOW_CMD_ADD, "table=3,priority=10,ip,nw_dst=10.3.0.0,"
                     "actions=drop"), 1);
    cr_assert_eq(log_[0].kind, FLOW_CHANGE_ADDED);
    cr_assert_not_null(lookup(3, 0));
}

Test(clear, every_table)
{
    fill(0, 50);
    fill(9, 50);
    n_log = 0;
    cr_assert_eq(run(FLOW_CMD_DELETE, ""), 100);
    cr_assert_eq(n_log, 1);
    cr_assert_eq(log_[0].kind, FLOW_CHANGE_CLEARED);
    cr_assert_eq(log_[0].table_id, FLOW_TABLE_ALL);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 0);
    cr_assert_eq(flow_table_count_timed(tbl), 0);
    cr_assert_eq(flow_table_next_expiry(tbl), UINT64_MAX);
    /* nothing to clear: no notification */
    n_log = 0;
    cr_assert_eq(run(FLOW_CMD_DELETE, ""), 0);
    cr_assert_eq(n_log, 0);
}

Test(clear, a_filter_goes_flow_by_flow)
{
    fill(0, 10);
    cr_assert_eq(run(FLOW_CMD_ADD, "priority=5,cookie=0x7,actions=drop"), 1);
    n_log = 0;
    cr_assert_eq(run(FLOW_CMD_DELETE, "cookie=0x7/-1"), 1);
    cr_assert_eq(n_log, 1);
    cr_assert_eq(log_[0].kind, FLOW_CHANGE_REMOVED);
    n_log = 0;
    cr_assert_eq(run(FLOW_CMD_DELETE, "out_port=2"), 0);
    cr_assert_eq(run(FLOW_CMD_DELETE, "ip"), 10, "a match: flow by flow");
    cr_assert_eq(n_log, 10);
    for (size_t i = 0; i < n_log; i++)
        cr_assert_eq(log_[i].kind, FLOW_CHANGE_REMOVED);
}

Test(clear, rollback_brings_every_flow_back)
{
    uint64_t ids[40];

    fill(0, 40);
    fill(2, 40);
    for (unsigned i = 0; i < 40; i++)
        ids[i] = lookup(2, i)->id;
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(run(FLOW_CMD_DELETE, "table=2"), 40);
    /* a flow added to the emptied table inside the same transaction */
    cr_assert_eq(run(FLOW_CMD_ADD, "table=2,priority=99,actions=drop"), 1);
    cr_assert_eq(run(FLOW_CMD_DELETE, ""), 41);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 0);
    n_log = 0;
    flow_table_rollback(tbl);
    cr_assert_eq(flow_table_count(tbl, 0), 40);
    cr_assert_eq(flow_table_count(tbl, 2), 40);
    cr_assert_eq(flow_table_count_timed(tbl), 2 * 14);
    for (unsigned i = 0; i < 40; i++) {
        cr_assert_eq(lookup(2, i)->id, ids[i], "same flow, same id");
        cr_assert_not_null(flow_table_find(tbl, ids[i]));
    }
    /* the listener hears the flows come back, and the added one go */
    {
        size_t added = 0, removed = 0;

        for (size_t i = 0; i < n_log; i++) {
            added += log_[i].kind == FLOW_CHANGE_ADDED;
            removed += log_[i].kind == FLOW_CHANGE_REMOVED;
        }
        cr_assert_eq(added, 81, "80, and the one added, before it goes");
        cr_assert_eq(removed, 1);
    }
    /* and a clear after the rollback, then a commit, frees them */
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(run(FLOW_CMD_DELETE, ""), 80);
    flow_table_commit(tbl);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 0);
    for (unsigned i = 0; i < 40; i++)
        cr_assert_null(flow_table_find(tbl, ids[i]));
}
