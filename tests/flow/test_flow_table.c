/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenFlow flow table: add and replace, modify and delete (strict and
 * loose), cookie masks, out_port, overlapping priorities, timeouts, counters
 * and the change notifications the daemon re-translates from.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow_test_ports.h"

#define SEC 1000000000ull

/* Everything the listener heard, in order. */
struct heard {
    enum flow_change_kind kind;
    enum flow_removed_reason reason;
    uint64_t id;
    uint64_t n_packets;
    struct flow flow;
};

static struct heard log_[256];
static size_t n_log;
static size_t n_flushed;
static struct flow_table *tbl;

static void
listener(void *ctx, enum flow_change_kind kind, const struct flow_entry *e,
         enum flow_removed_reason reason)
{
    (void)ctx;
    if (reason == FLOW_REMOVED_FLUSH)
        n_flushed++;
    if (n_log < sizeof(log_) / sizeof(log_[0])) {
        log_[n_log] = (struct heard){ .kind = kind, .reason = reason,
                                      .id = e->id,
                                      .n_packets = e->n_packets };
        /* an entry is compact: never copy it whole */
        flow_entry_flow(e, &log_[n_log++].flow);
    }
}

static void
setup(void)
{
    n_log = 0;
    n_flushed = 0;
    tbl = flow_table_create(listener, NULL);
    cr_assert_not_null(tbl);
}

static void
teardown(void)
{
    flow_table_destroy(tbl);
}

TestSuite(table, .init = setup, .fini = teardown);

/* Parse and apply one line; returns what flow_table_apply returned. */
static int
run(enum flow_cmd cmd, const char *line, uint64_t now)
{
    struct flow_mod fm;
    struct flow_error err;
    int rc = flow_parse(line, cmd, &test_ports, &fm, &err);

    cr_assert_eq(rc, 0, "'%s': %s", line, err.msg);
    return flow_table_apply(tbl, &fm, now);
}

static int
add(const char *line)
{
    return run(FLOW_CMD_ADD, line, 0);
}

/* id of the flow of @table with exactly this (add-syntax) match line */
static uint64_t
id_of(const char *line)
{
    struct flow_mod fm;
    const struct flow_entry *found = NULL;
    char full[256];

    snprintf(full, sizeof(full), "%s actions=drop", line);
    cr_assert_eq(flow_parse(full, FLOW_CMD_ADD, &test_ports, &fm, NULL), 0);
    for (uint64_t id = 1; id < 1000; id++) {
        const struct flow_entry *e = flow_table_find(tbl, id);

        if (e && e->flow.table_id == fm.flow.table_id
            && e->flow.priority == fm.flow.priority
            && flow_entry_match_is(e, &fm.flow.match))
            found = e;
    }
    return found ? found->id : 0;
}

static struct flow_key
pkt_tcp(uint32_t in_port, const char *src, const char *dst, uint16_t dport)
{
    struct flow_key k;

    memset(&k, 0, sizeof(k));
    k.in_port = in_port;
    k.dl_type = htons(0x0800);
    k.nw_proto = 6;
    inet_pton(AF_INET, src, &k.nw_src);
    inet_pton(AF_INET, dst, &k.nw_dst);
    k.tp_src = htons(40000);
    k.tp_dst = htons(dport);
    k.nw_ttl = 64;
    return k;
}

Test(table, add_reports_and_counts)
{
    cr_assert_eq(add("priority=10,in_port=vf0,actions=output:uplink"), 1);
    cr_assert_eq(add("table=1,priority=10,in_port=vf0,actions=drop"), 1);
    cr_assert_eq(flow_table_count(tbl, 0), 1);
    cr_assert_eq(flow_table_count(tbl, 1), 1);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 2);
    cr_assert_eq(n_log, 2);
    cr_assert_eq(log_[0].kind, FLOW_CHANGE_ADDED);
    cr_assert_eq(log_[1].kind, FLOW_CHANGE_ADDED);
    cr_assert_neq(log_[0].id, log_[1].id);
    cr_assert_not_null(flow_table_find(tbl, log_[0].id));
    cr_assert_null(flow_table_find(tbl, 9999));
}

Test(table, add_identical_replaces_keeping_id_and_counters)
{
    uint64_t id;
    const struct flow_entry *e;

    add("priority=10,ip,nw_dst=10.0.0.1,actions=output:1");
    id = log_[0].id;
    cr_assert_eq(flow_table_set_stats(tbl, id, 5, 300, 2 * SEC), 0);
    cr_assert_eq(run(FLOW_CMD_ADD, "cookie=0x7,priority=10,ip,"
                     "nw_dst=10.0.0.1,actions=output:2", 3 * SEC), 1);
    cr_assert_eq(flow_table_count(tbl, 0), 1);
    e = flow_table_find(tbl, id);
    cr_assert_not_null(e);
    cr_assert_eq(e->flow.actions[0].u.port, 2);
    cr_assert_eq(e->flow.cookie, 7);
    cr_assert_eq(e->n_packets, 5, "counters carry over by default");
    cr_assert_eq(e->created_ns, 3 * SEC, "duration restarts");
    cr_assert_eq(n_log, 2);
    cr_assert_eq(log_[1].kind, FLOW_CHANGE_MODIFIED);
    cr_assert_eq(log_[1].id, id);

    /* the same match at another priority is another flow */
    add("priority=11,ip,nw_dst=10.0.0.1,actions=output:2");
    cr_assert_eq(flow_table_count(tbl, 0), 2);

    cr_assert_eq(add("reset_counts,priority=10,ip,nw_dst=10.0.0.1,"
                     "actions=output:3"), 1);
    cr_assert_eq(flow_table_find(tbl, id)->n_packets, 0);
}

Test(table, check_overlap)
{
    add("priority=5,tcp,tp_dst=80,actions=output:1");
    cr_assert_eq(add("check_overlap,priority=5,ip,nw_src=1.1.1.1,"
                     "actions=output:2"), -EEXIST);
    cr_assert_eq(add("check_overlap,priority=5,udp,actions=output:2"), 1,
                 "udp cannot overlap tcp");
    cr_assert_eq(add("check_overlap,priority=6,ip,actions=output:2"), 1,
                 "other priority");
    cr_assert_eq(flow_table_count(tbl, 0), 3);
    cr_assert_eq(n_log, 3, "a refused add reports nothing");
}

Test(table, lookup_prefers_priority_then_age)
{
    struct flow_key k = pkt_tcp(10, "10.0.0.1", "192.168.1.1", 80);
    const struct flow_entry *e;

    add("priority=1,actions=output:1");
    add("priority=100,tcp,tp_dst=80,actions=output:2");
    add("priority=50,ip,nw_dst=192.168.0.0/16,actions=output:3");
    add("priority=100,ip,nw_src=10.0.0.0/8,actions=output:4");
    add("table=1,priority=200,actions=output:5");

    e = flow_table_lookup(tbl, 0, &k);
    cr_assert_not_null(e);
    cr_assert_eq(e->flow.actions[0].u.port, 2, "same priority: oldest wins");
    k.tp_dst = htons(443);
    e = flow_table_lookup(tbl, 0, &k);
    cr_assert_eq(e->flow.actions[0].u.port, 4);
    inet_pton(AF_INET, "11.0.0.1", &k.nw_src);
    cr_assert_eq(flow_table_lookup(tbl, 0, &k)->flow.actions[0].u.port, 3);
    k.dl_type = htons(0x86dd);
    cr_assert_eq(flow_table_lookup(tbl, 0, &k)->flow.actions[0].u.port, 1);
    cr_assert_eq(flow_table_lookup(tbl, 1, &k)->flow.actions[0].u.port, 5);
    cr_assert_null(flow_table_lookup(tbl, 2, &k), "a miss drops");
}

Test(table, modify_loose_changes_covered_flows_only)
{
    int n;

    add("priority=10,tcp,tp_dst=80,actions=output:1");
    add("priority=20,tcp,tp_dst=443,actions=output:1");
    add("priority=30,udp,actions=output:1");
    add("table=2,priority=30,tcp,actions=output:1");
    n_log = 0;
    n = run(FLOW_CMD_MODIFY, "tcp,actions=output:9", 0);
    cr_assert_eq(n, 3, "both tcp flows of table 0 and the one of table 2");
    cr_assert_eq(n_log, 3);
    for (size_t i = 0; i < n_log; i++) {
        cr_assert_eq(log_[i].kind, FLOW_CHANGE_MODIFIED);
        cr_assert_eq(log_[i].flow.actions[0].u.port, 9);
    }
    cr_assert_eq(flow_table_find(tbl, id_of("priority=30,udp"))
                 ->flow.actions[0].u.port, 1);
    /* a more general flow is not touched by a more specific modify */
    cr_assert_eq(run(FLOW_CMD_MODIFY, "table=0,tcp,tp_dst=80,nw_src=1.1.1.1,"
                     "actions=output:8", 0), 0);
}

Test(table, modify_strict_needs_same_match_and_priority)
{
    add("priority=10,tcp,tp_dst=80,actions=output:1");
    add("priority=20,tcp,tp_dst=80,actions=output:1");
    add("priority=10,tcp,actions=output:1");
    cr_assert_eq(run(FLOW_CMD_MODIFY_STRICT, "priority=10,tcp,tp_dst=80,"
                     "actions=output:7", 0), 1);
    cr_assert_eq(flow_table_find(tbl, id_of("priority=10,tcp,tp_dst=80"))
                 ->flow.actions[0].u.port, 7);
    cr_assert_eq(flow_table_find(tbl, id_of("priority=20,tcp,tp_dst=80"))
                 ->flow.actions[0].u.port, 1);
    cr_assert_eq(flow_table_find(tbl, id_of("priority=10,tcp"))
                 ->flow.actions[0].u.port, 1);
}

Test(table, modify_never_adds_and_keeps_cookie_and_timeouts)
{
    cr_assert_eq(run(FLOW_CMD_MODIFY, "ip,actions=output:1", 0), 0);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 0, "OF1.3");
    cr_assert_eq(n_log, 0);

    add("cookie=0x42,idle_timeout=9,ip,actions=output:1");
    cr_assert_eq(flow_table_set_stats(tbl, log_[0].id, 3, 100, 0), 0);
    cr_assert_eq(run(FLOW_CMD_MODIFY, "ip,actions=dec_ttl,output:2", 0), 1);
    {
        const struct flow_entry *e = flow_table_find(tbl, log_[0].id);

        cr_assert_eq(e->flow.cookie, 0x42);
        cr_assert_eq(e->flow.idle_timeout, 9);
        cr_assert_eq(e->flow.n_actions, 2);
        cr_assert_eq(e->n_packets, 3);
    }
    cr_assert_eq(run(FLOW_CMD_MODIFY, "reset_counts,ip,actions=output:2", 0),
                 1);
    cr_assert_eq(flow_table_find(tbl, log_[0].id)->n_packets, 0);
}

Test(table, modify_goto_must_go_forward_from_every_flow)
{
    add("table=0,ip,actions=output:1");
    add("table=3,ip,actions=output:1");
    n_log = 0;
    /* goto_table:2 is fine from table 0 but not from table 3: nothing */
    cr_assert_eq(run(FLOW_CMD_MODIFY, "ip,actions=goto_table:2", 0), -EINVAL);
    cr_assert_eq(n_log, 0);
    cr_assert_eq(flow_table_find(tbl, id_of("table=0,ip"))
                 ->flow.actions[0].type, FLOW_ACT_OUTPUT);
    cr_assert_eq(run(FLOW_CMD_MODIFY, "ip,actions=goto_table:4", 0), 2);
}

Test(table, delete_loose_removes_more_specific_flows)
{
    add("priority=1,actions=drop");
    add("priority=10,ip,actions=output:1");
    add("priority=20,ip,nw_src=10.0.0.0/8,actions=output:1");
    add("priority=30,ip,nw_src=10.1.0.0/16,actions=output:1");
    add("priority=40,ip,nw_src=11.0.0.0/8,actions=output:1");
    n_log = 0;
    cr_assert_eq(run(FLOW_CMD_DELETE, "ip,nw_src=10.0.0.0/8", 0), 2);
    cr_assert_eq(n_log, 2);
    for (size_t i = 0; i < n_log; i++) {
        cr_assert_eq(log_[i].kind, FLOW_CHANGE_REMOVED);
        cr_assert_eq(log_[i].reason, FLOW_REMOVED_DELETE);
        cr_assert_null(flow_table_find(tbl, log_[i].id));
    }
    cr_assert_eq(flow_table_count(tbl, 0), 3);
    cr_assert_eq(run(FLOW_CMD_DELETE, "", 0), 3, "empty match: all flows");
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 0);
}

Test(table, delete_strict_and_tables)
{
    add("priority=10,tcp,actions=output:1");
    add("priority=20,tcp,actions=output:1");
    add("table=5,priority=10,tcp,actions=output:1");
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "priority=10,tcp", 0), 2,
                 "strict without table= looks in every table");
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "priority=10,tcp", 0), 0);
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "tcp", 0), 0,
                 "default priority 32768 is not 20");
    cr_assert_eq(run(FLOW_CMD_DELETE, "table=5", 0), 0);
    cr_assert_eq(run(FLOW_CMD_DELETE, "table=0", 0), 1);
}

Test(table, cookie_masks_filter_modify_and_delete)
{
    add("cookie=0x1100,ip,nw_src=1.1.1.1,actions=output:1");
    add("cookie=0x1200,ip,nw_src=1.1.1.2,actions=output:1");
    add("cookie=0x2100,ip,nw_src=1.1.1.3,actions=output:1");
    cr_assert_eq(run(FLOW_CMD_MODIFY, "cookie=0x1000/0xf000,"
                     "actions=output:5", 0), 2);
    cr_assert_eq(run(FLOW_CMD_DELETE, "cookie=0x0100/0x0f00", 0), 2);
    cr_assert_eq(flow_table_count(tbl, 0), 1);
    cr_assert_eq(flow_table_find(tbl, id_of("ip,nw_src=1.1.1.2"))->flow.cookie,
                 0x1200);
    cr_assert_eq(run(FLOW_CMD_DELETE, "cookie=0x1201/-1", 0), 0);
    cr_assert_eq(run(FLOW_CMD_DELETE, "cookie=0x1200/-1", 0), 1);
}

Test(table, delete_by_out_port)
{
    add("in_port=1,actions=output:vf0,output:vf1");
    add("in_port=2,actions=output:vf1");
    add("in_port=3,actions=output:vf2");
    cr_assert_eq(run(FLOW_CMD_DELETE, "out_port=vf1", 0), 2);
    cr_assert_eq(flow_table_count(tbl, 0), 1);
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "in_port=3,out_port=vf1", 0), 0);
    /* a truncating output outputs there too */
    add("in_port=4,actions=output(port=vf1,max_len=64)");
    cr_assert_eq(run(FLOW_CMD_DELETE, "out_port=vf1", 0), 1);
}

/* every action type the parser makes is one the table takes: the newer
 * ones too (the table once stopped at goto_table's number) */
Test(table, takes_every_action_type)
{
    cr_assert_eq(add("ip,actions=mod_nw_ttl:9,mod_nw_ecn:1,"
                     "output(port=2,max_len=100),dec_ttl,output:3"), 1);
    cr_assert_eq(add("in_port=9,actions=strip_vlan,mod_tp_dst:1,"
                     "mod_nw_src:1.2.3.4,output:2"), 1);
    cr_assert_eq(flow_table_count(tbl, 0), 2);
}

Test(table, hard_and_idle_timeouts)
{
    uint64_t ids[4];
    uint64_t hard, idle, both;

    run(FLOW_CMD_ADD, "hard_timeout=10,in_port=1,actions=drop", 0);
    hard = log_[0].id;
    run(FLOW_CMD_ADD, "idle_timeout=5,in_port=2,actions=drop", 0);
    idle = log_[1].id;
    run(FLOW_CMD_ADD, "idle_timeout=3,hard_timeout=4,in_port=3,actions=drop",
        0);
    both = log_[2].id;
    run(FLOW_CMD_ADD, "in_port=4,actions=drop", 0);

    cr_assert_eq(flow_table_next_expiry(tbl), 3 * SEC);
    /* traffic at 2 s keeps the idle ones alive */
    flow_table_set_stats(tbl, idle, 1, 64, 2 * SEC);
    flow_table_set_stats(tbl, both, 1, 64, 2 * SEC);
    cr_assert_eq(flow_table_expire(tbl, 3 * SEC, ids, 4), 0);
    /* unchanged totals are not traffic */
    flow_table_set_stats(tbl, both, 1, 64, 3 * SEC);

    n_log = 0;
    cr_assert_eq(flow_table_expire(tbl, 4 * SEC, ids, 4), 1);
    cr_assert_eq(ids[0], both);
    cr_assert_eq(log_[0].reason, FLOW_REMOVED_HARD_TIMEOUT);
    cr_assert_eq(log_[0].n_packets, 1, "removal reports the last counters");

    cr_assert_eq(flow_table_expire(tbl, 7 * SEC - 1, ids, 4), 0);
    cr_assert_eq(flow_table_expire(tbl, 7 * SEC, ids, 4), 1);
    cr_assert_eq(ids[0], idle);
    cr_assert_eq(log_[1].reason, FLOW_REMOVED_IDLE_TIMEOUT);

    cr_assert_eq(flow_table_expire(tbl, 10 * SEC, NULL, 0), 1);
    cr_assert_eq(log_[2].id, hard);
    cr_assert_eq(log_[2].reason, FLOW_REMOVED_HARD_TIMEOUT);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 1);
    cr_assert_eq(flow_table_next_expiry(tbl), UINT64_MAX);
    cr_assert_eq(flow_table_set_stats(tbl, hard, 1, 1, 0), -ENOENT);
}

static int
collect(void *ctx, const struct flow_entry *e)
{
    uint64_t **p = ctx;

    *(*p)++ = e->id;
    return 0;
}

static int
stop_at_second(void *ctx, const struct flow_entry *e)
{
    int *n = ctx;

    (void)e;
    return ++*n == 2 ? 42 : 0;
}

Test(table, walk_orders_by_table_priority_id)
{
    uint64_t got[8], *p = got;
    int n = 0;

    add("table=1,priority=5,in_port=1,actions=drop");    /* id 1 */
    add("priority=5,in_port=2,actions=drop");            /* id 2 */
    add("priority=9,in_port=3,actions=drop");            /* id 3 */
    add("priority=5,in_port=4,actions=drop");            /* id 4 */
    cr_assert_eq(flow_table_walk(tbl, FLOW_TABLE_ALL, collect, &p), 0);
    cr_assert_eq(p - got, 4);
    cr_assert_eq(got[0], 3);
    cr_assert_eq(got[1], 2);
    cr_assert_eq(got[2], 4);
    cr_assert_eq(got[3], 1);
    p = got;
    cr_assert_eq(flow_table_walk(tbl, 1, collect, &p), 0);
    cr_assert_eq(p - got, 1);
    cr_assert_eq(flow_table_walk(tbl, FLOW_TABLE_ALL, stop_at_second, &n),
                 42);
}

Test(table, apply_refuses_bad_mods_without_changes)
{
    struct flow_mod fm;

    memset(&fm, 0, sizeof(fm));
    fm.cmd = FLOW_CMD_ADD;
    fm.flow.table_id = FLOW_TABLE_ALL;
    cr_assert_eq(flow_table_apply(tbl, &fm, 0), -EINVAL);
    fm.flow.table_id = 0;
    /* tp_dst without tcp: the table checks prerequisites too */
    fm.flow.match.mask.tp_dst = 0xffff;
    cr_assert_eq(flow_table_apply(tbl, &fm, 0), -EINVAL);
    fm.flow.match.mask.tp_dst = 0;
    fm.flow.n_actions = 1;
    fm.flow.actions[0].type = 999;
    cr_assert_eq(flow_table_apply(tbl, &fm, 0), -EINVAL);
    fm.flow.actions[0].type = FLOW_ACT_GOTO_TABLE;
    fm.flow.actions[0].u.table = 0;
    cr_assert_eq(flow_table_apply(tbl, &fm, 0), -EINVAL);
    cr_assert_eq(n_log, 0);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 0);
}

Test(table, many_flows_and_destroy_reports_flush)
{
    char line[128];

    for (int i = 0; i < 5000; i++) {
        snprintf(line, sizeof(line), "priority=%d,ip,nw_dst=10.%d.%d.%d,"
                 "actions=output:%d", i % 7, (i >> 16) & 255, (i >> 8) & 255,
                 i & 255, 1 + i % 5);
        cr_assert_eq(add(line), 1);
    }
    cr_assert_eq(flow_table_count(tbl, 0), 5000);
    /* every replace finds its flow through the index */
    for (int i = 0; i < 5000; i += 97) {
        snprintf(line, sizeof(line), "priority=%d,ip,nw_dst=10.%d.%d.%d,"
                 "actions=drop", i % 7, (i >> 16) & 255, (i >> 8) & 255,
                 i & 255);
        cr_assert_eq(add(line), 1);
    }
    cr_assert_eq(flow_table_count(tbl, 0), 5000);
    cr_assert_eq(run(FLOW_CMD_DELETE, "ip,nw_dst=10.0.0.0/24", 0), 256);
    cr_assert_eq(flow_table_count(tbl, 0), 4744);
    flow_table_destroy(tbl);
    tbl = NULL;
    cr_assert_eq(n_flushed, 4744);
}

/* The table against a trivial model: random adds and deletes, then every
 * surviving flow must be exactly the ones the model kept. */
Test(table, random_against_model)
{
    struct { bool live; int prio; int net; } model[64];
    size_t live = 0;
    char line[128];

    memset(model, 0, sizeof(model));
    srand(1234);
    for (int step = 0; step < 2000; step++) {
        int i = rand() % 64;
        int prio = rand() % 4, net = rand() % 16;

        if (rand() % 3) {
            /* flow i is (priority, nw_dst 10.net.i.0/24): i decides */
            snprintf(line, sizeof(line), "priority=%d,ip,"
                     "nw_dst=10.%d.%d.0/24,actions=output:%d", prio, net, i,
                     1 + i);
            if (model[i].live && (model[i].prio != prio
                                  || model[i].net != net)) {
                snprintf(line, sizeof(line), "priority=%d,ip,"
                         "nw_dst=10.%d.%d.0/24", model[i].prio, model[i].net,
                         i);
                cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, line, 0), 1);
                live--;
                model[i].live = false;
                continue;
            }
            cr_assert_eq(add(line), 1);
            if (!model[i].live)
                live++;
            model[i].live = true;
            model[i].prio = prio;
            model[i].net = net;
        } else {
            int removed = 0;

            snprintf(line, sizeof(line), "ip,nw_dst=10.%d.0.0/16", net);
            for (int j = 0; j < 64; j++)
                if (model[j].live && model[j].net == net) {
                    model[j].live = false;
                    removed++;
                }
            cr_assert_eq(run(FLOW_CMD_DELETE, line, 0), removed);
            live -= (size_t)removed;
        }
        cr_assert_eq(flow_table_count(tbl, 0), live);
    }
}

/* Every flow, as (id, n_packets, flow) in walk order, for before/after. */
struct snap {
    size_t n;
    struct heard v[32];
};

static int
snap_one(void *ctx, const struct flow_entry *e)
{
    struct snap *s = ctx;

    if (s->n < 32) {
        s->v[s->n] = (struct heard){ .kind = FLOW_CHANGE_ADDED,
                                     .reason = FLOW_REMOVED_NONE,
                                     .id = e->id,
                                     .n_packets = e->n_packets };
        flow_entry_flow(e, &s->v[s->n++].flow);
    }
    return 0;
}

static struct snap
snapshot(void)
{
    struct snap s = { 0 };

    cr_assert_eq(flow_table_walk(tbl, FLOW_TABLE_ALL, snap_one, &s), 0);
    return s;
}

Test(table, rollback_undoes_adds_replaces_modifies_and_deletes)
{
    struct snap before, after;

    cr_assert_eq(add("priority=10,in_port=vf0,actions=output:uplink"), 1);
    cr_assert_eq(add("priority=20,in_port=vf1,actions=output:uplink"), 1);
    cr_assert_eq(add("table=1,priority=5,ip,actions=drop"), 1);
    flow_table_set_stats(tbl, id_of("priority=10,in_port=vf0"), 7, 700, 0);
    before = snapshot();
    n_log = 0;

    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(flow_table_begin(tbl), -EBUSY);
    cr_assert_eq(add("priority=30,in_port=vf2,actions=drop"), 1);
    cr_assert_eq(add("priority=10,in_port=vf0,reset_counts,"
                     "actions=output:vf3"), 1);     /* replace */
    cr_assert_eq(run(FLOW_CMD_MODIFY, "in_port=vf1,actions=output:vf2", 0),
                 1);
    cr_assert_eq(run(FLOW_CMD_DELETE, "table=1", 0), 1);
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "priority=30,in_port=vf2", 0),
                 1);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 2);
    size_t n_changes = n_log;

    flow_table_rollback(tbl);
    after = snapshot();
    cr_assert_eq(after.n, before.n);
    for (size_t i = 0; i < before.n; i++) {
        cr_expect_eq(after.v[i].id, before.v[i].id, "flow %zu keeps its id",
                     i);
        cr_expect_eq(after.v[i].n_packets, before.v[i].n_packets);
        cr_expect(flow_equal(&after.v[i].flow, &before.v[i].flow),
                  "flow %zu is back as it was", i);
    }
    /* each undo was reported, in reverse order */
    cr_assert_eq(n_log, 2 * n_changes);
    cr_expect_eq(log_[n_changes].kind, FLOW_CHANGE_ADDED);      /* vf2 */
    cr_expect_eq(log_[n_changes + 1].kind, FLOW_CHANGE_ADDED);  /* table 1 */
    cr_expect_eq(log_[n_changes + 2].kind, FLOW_CHANGE_MODIFIED);
    cr_expect_eq(log_[n_changes + 3].kind, FLOW_CHANGE_MODIFIED);
    cr_expect_eq(log_[2 * n_changes - 1].kind, FLOW_CHANGE_REMOVED);
    /* the table works as before: lookups find the old flows' indexes */
    cr_assert_eq(add("priority=10,in_port=vf0,actions=drop"), 1);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 3);
    cr_assert_eq(run(FLOW_CMD_DELETE, "table=1", 0), 1);
}

Test(table, commit_keeps_the_changes_and_expiry_waits_outside)
{
    cr_assert_eq(add("priority=10,in_port=vf0,hard_timeout=1,actions=drop"),
                 1);
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(add("priority=20,in_port=vf1,actions=drop"), 1);
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "priority=20,in_port=vf1", 0),
                 1);
    cr_assert_eq(add("priority=30,in_port=vf2,actions=drop"), 1);
    cr_assert_eq(flow_table_expire(tbl, 5 * SEC, NULL, 0), 0);
    flow_table_commit(tbl);
    flow_table_rollback(tbl);           /* nothing open: no-op */
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 2);
    cr_assert_eq(flow_table_expire(tbl, 5 * SEC, NULL, 0), 1);
    cr_assert_eq(flow_table_begin(tbl), 0);     /* a new one may open */
    flow_table_commit(tbl);
}

/* The flows with a timeout are kept apart (what expiry and the daemon's
 * counter pass look at): a replace, a fin_timeout, a rollback, a delete
 * and an expiry each move a flow in or out, and the pass visits those
 * flows only, in slices. */
static unsigned n_counted;

static void
count_two(void *ctx, const struct flow_entry *e, uint64_t *p, uint64_t *b)
{
    (void)ctx;
    (void)e;
    n_counted++;
    *p = 2;
    *b = 128;
}

Test(table, the_flows_with_a_timeout_are_tracked_through_every_change)
{
    size_t cursor = 0;
    uint64_t id;

    cr_assert_eq(add("priority=5,in_port=1,actions=drop"), 1);
    id = id_of("priority=5,in_port=1");
    cr_assert_eq(flow_table_count_timed(tbl), 0);
    /* a replace that gives it a timeout, undone */
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(add("priority=5,in_port=1,idle_timeout=7,actions=drop"), 1);
    cr_assert_eq(flow_table_count_timed(tbl), 1);
    cr_assert_eq(flow_table_next_expiry(tbl), 7 * SEC);
    flow_table_rollback(tbl);
    cr_assert_eq(flow_table_count_timed(tbl), 0);
    cr_assert_eq(flow_table_next_expiry(tbl), UINT64_MAX);
    /* fin_timeout gives one */
    cr_assert_eq(flow_table_fin_timeout(tbl, id, 0, 9), 1);
    cr_assert_eq(flow_table_count_timed(tbl), 1);
    cr_assert_eq(flow_table_next_expiry(tbl), 9 * SEC);
    /* a replace without timeouts takes it away */
    cr_assert_eq(add("priority=5,in_port=1,actions=output:2"), 1);
    cr_assert_eq(flow_table_count_timed(tbl), 0);
    /* many timed flows among untimed ones: the pass sees the timed ones,
     * a slice at a time, and marks them used */
    for (int i = 0; i < 100; i++) {
        char line[96];

        snprintf(line, sizeof(line), "priority=7,in_port=%d,%sactions=drop",
                 10 + i, i % 4 == 0 ? "idle_timeout=3," : "");
        cr_assert_eq(add(line), 1);
    }
    cr_assert_eq(flow_table_count_timed(tbl), 25);
    n_counted = 0;
    cr_assert_eq(flow_table_refresh_timed(tbl, &cursor, 10, count_two, NULL,
                                          2 * SEC), 10);
    cr_assert_eq(flow_table_refresh_timed(tbl, &cursor, 100, count_two,
                                          NULL, 2 * SEC), 15);
    cr_assert_eq(flow_table_refresh_timed(tbl, &cursor, 100, count_two,
                                          NULL, 2 * SEC), 0);
    cr_assert_eq(n_counted, 25);
    cr_assert_eq(flow_table_find(tbl, id_of("priority=7,in_port=10"))
                 ->n_packets, 2);
    cr_assert_eq(flow_table_find(tbl, id_of("priority=7,in_port=11"))
                 ->n_packets, 0);
    /* used at 2 s: due at 5 s, not 3 s */
    cr_assert_eq(flow_table_next_expiry(tbl), 5 * SEC);
    /* a delete and an expiry take them out */
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "priority=7,in_port=14", 0), 1);
    cr_assert_eq(flow_table_count_timed(tbl), 24);
    cr_assert_eq(flow_table_expire(tbl, 5 * SEC, NULL, 0), 24);
    cr_assert_eq(flow_table_count_timed(tbl), 0);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 76);
}

/* A node holds only its flow's actions: a replace or modify that needs
 * more room moves the flow to a bigger node, inside a transaction too,
 * and a rollback finds it there (the sanitizer sees any write past a
 * node's end or any read of a freed one). */
Test(table, flows_grow_their_actions_through_replace_modify_and_rollback)
{
    const struct flow_entry *e;
    uint64_t id, removals;
    char line[1024];
    int len;

    cr_assert_eq(add("priority=5,in_port=1,actions=output:2"), 1);
    id = id_of("priority=5,in_port=1");
    removals = flow_table_removals(tbl);
    /* a replace with 12 actions, undone */
    len = snprintf(line, sizeof(line), "priority=5,in_port=1,actions=");
    for (int i = 0; i < 12; i++)
        len += snprintf(line + len, sizeof(line) - (size_t)len, "%soutput:%d",
                        i ? "," : "", 10 + i);
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(add(line), 1);
    e = flow_table_find(tbl, id);
    cr_assert_eq(e->flow.n_actions, 12);
    cr_assert_eq(e->flow.actions[11].u.port, 21);
    cr_assert_gt(flow_table_removals(tbl), removals, "a move counts");
    flow_table_rollback(tbl);
    e = flow_table_find(tbl, id);
    cr_assert_eq(e->flow.n_actions, 1);
    cr_assert_eq(e->flow.actions[0].u.port, 2);
    /* a loose modify of every flow to 30 actions, kept */
    cr_assert_eq(add("priority=6,in_port=2,actions=drop"), 1);
    len = snprintf(line, sizeof(line), "actions=");
    for (int i = 0; i < 30; i++)
        len += snprintf(line + len, sizeof(line) - (size_t)len, "%soutput:%d",
                        i ? "," : "", 40 + i);
    cr_assert_eq(run(FLOW_CMD_MODIFY, line, 0), 2);
    e = flow_table_find(tbl, id);
    cr_assert_eq(e->flow.n_actions, 30);
    cr_assert_eq(e->flow.actions[29].u.port, 69);
    e = flow_table_find(tbl, id_of("priority=6,in_port=2"));
    cr_assert_eq(e->flow.actions[29].u.port, 69);
    /* a flow added and grown in one transaction, undone whole */
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(add("priority=7,in_port=3,actions=output:2"), 1);
    cr_assert_eq(run(FLOW_CMD_MODIFY_STRICT, "priority=7,in_port=3,"
                     "actions=output:4,output:5,output:6,output:7,output:8",
                     0), 1);
    flow_table_rollback(tbl);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 2);
    /* the lookup structures follow the moves */
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "priority=5,in_port=1", 0), 1);
    cr_assert_null(flow_table_find(tbl, id));
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 1);
}

/* A transaction's undo records past a bulk size are not kept after it
 * (#13): a bulk commit, then a bulk rollback, then a removal of them all
 * rolled back, each starts from no records (the sanitizer sees a record
 * written into memory given back). */
Test(table, bulk_transactions_one_after_another)
{
    struct flow_mod fm;
    struct flow_error err;
    const unsigned n = 70000;

    cr_assert_eq(flow_parse("priority=5,ip,nw_dst=10.0.0.0,actions=output:2",
                            FLOW_CMD_ADD, &test_ports, &fm, &err), 0);
    cr_assert_eq(flow_table_begin(tbl), 0);
    for (unsigned i = 0; i < n; i++) {
        fm.flow.match.value.nw_dst = htonl(0x0a000000u + i);
        cr_assert_eq(flow_table_apply(tbl, &fm, 0), 1);
    }
    flow_table_commit(tbl);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), n);
    cr_assert_eq(flow_table_begin(tbl), 0);
    for (unsigned i = n; i < 2 * n; i++) {
        fm.flow.match.value.nw_dst = htonl(0x0a000000u + i);
        cr_assert_eq(flow_table_apply(tbl, &fm, 0), 1);
    }
    flow_table_rollback(tbl);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), n);
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(run(FLOW_CMD_DELETE, "ip", 0), (int)n);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), 0);
    flow_table_rollback(tbl);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), n);
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(add("priority=6,ip,nw_dst=11.0.0.1,actions=output:2"), 1);
    flow_table_commit(tbl);
    cr_assert_eq(flow_table_count(tbl, FLOW_TABLE_ALL), n + 1);
}

/* The walk's order against a sort of the same flows, for tables made of
 * a few runs already in order (merged) and of many (sorted whole): runs
 * of priorities, some flows deleted (the last one moves into their
 * place) and replaced. */
/* A loose delete of @line's flows (there may be none). */
static void
run_ok_or_none(const char *line)
{
    cr_assert_geq(run(FLOW_CMD_DELETE, line, 0), 0);
}

struct walked {
    uint64_t key[3000][2];      /* priority (highest first), id */
    size_t n;
};

static int
walk_note(void *ctx, const struct flow_entry *e)
{
    struct walked *w = ctx;

    cr_assert_lt(w->n, 3000);
    w->key[w->n][0] = 0xffffu - e->flow.priority;
    w->key[w->n][1] = e->id;
    w->n++;
    return 0;
}

static int
key_order(const void *pa, const void *pb)
{
    const uint64_t *a = pa, *b = pb;

    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

Test(table, walk_order_of_few_and_many_runs)
{
    static struct walked w, sorted;
    unsigned seed = 13;

    for (unsigned round = 0; round < 6; round++) {
        /* round r: runs of 1000 >> r flows, each of its own priority */
        unsigned run = 1000u >> round;
        char line[128];

        flow_table_destroy(tbl);
        tbl = flow_table_create(listener, NULL);
        for (unsigned i = 0; i < 2000; i++) {
            seed = seed * 1103515245u + 12345u;
            snprintf(line, sizeof(line), "priority=%u,ip,nw_dst=10.0.%u.%u,"
                     "actions=drop", 100 + (i / (run ? run : 1)) % 7 * 3,
                     i >> 8, i & 255);
            cr_assert_eq(add(line), 1);
            if (round % 2 == 1 && seed % 10 == 0) {
                snprintf(line, sizeof(line), "ip,nw_dst=10.0.%u.%u",
                         (i / 2) >> 8, (i / 2) & 255);
                run_ok_or_none(line);
            }
        }
        w.n = 0;
        cr_assert_eq(flow_table_walk(tbl, FLOW_TABLE_ALL, walk_note, &w), 0);
        cr_assert_eq(w.n, flow_table_count(tbl, FLOW_TABLE_ALL));
        sorted = w;
        qsort(sorted.key, sorted.n, sizeof(sorted.key[0]), key_order);
        for (size_t i = 0; i < w.n; i++)
            cr_assert(w.key[i][0] == sorted.key[i][0]
                      && w.key[i][1] == sorted.key[i][1],
                      "round %u: flow %zu of %zu out of order", round, i,
                      w.n);
    }
}

/* The owner's word (flow_table_set_aux, snicd's datapath counter slot)
 * stays with its flow: through a replace, a modify whose actions need a
 * bigger node (the flow moves), and the rollback of a move and of a
 * delete; another flow's is its own. */
Test(table, aux_word_stays_with_its_flow)
{
    uint64_t a, b;

    cr_assert_eq(add("priority=10,in_port=vf0,actions=output:uplink"), 1);
    cr_assert_eq(add("priority=10,in_port=vf1,actions=output:uplink"), 1);
    a = id_of("priority=10,in_port=vf0");
    b = id_of("priority=10,in_port=vf1");
    cr_assert_eq(flow_table_find(tbl, a)->flow.aux, 0, "0 until set");
    flow_table_set_aux(tbl, flow_table_find(tbl, a), 41);
    flow_table_set_aux(tbl, flow_table_find(tbl, b), 42);
    /* a replace keeps the id, and the word */
    cr_assert_eq(add("priority=10,in_port=vf0,actions=output:vf2"), 1);
    cr_expect_eq(flow_table_find(tbl, a)->flow.aux, 41);
    /* four actions: a bigger node than the first one had */
    cr_assert_eq(run(FLOW_CMD_MODIFY_STRICT, "priority=10,in_port=vf0,"
                     "actions=output:vf1,output:vf2,output:vf3,output:uplink",
                 0), 1);
    cr_assert_eq(flow_table_find(tbl, a)->flow.n_actions, 4);
    cr_expect_eq(flow_table_find(tbl, a)->flow.aux, 41, "moved with it");
    cr_expect_eq(flow_table_find(tbl, b)->flow.aux, 42);
    /* a move inside a transaction, rolled back: the flow is back in a
     * node of its old size, with its word */
    cr_assert_eq(flow_table_begin(tbl), 0);
    cr_assert_eq(run(FLOW_CMD_MODIFY_STRICT, "priority=10,in_port=vf1,"
                     "actions=output:vf1,output:vf2,output:vf3", 0), 1);
    cr_expect_eq(flow_table_find(tbl, b)->flow.aux, 42);
    cr_assert_eq(run(FLOW_CMD_DELETE_STRICT, "priority=10,in_port=vf0", 0),
                 1);
    flow_table_rollback(tbl);
    cr_expect_eq(flow_table_find(tbl, b)->flow.aux, 42);
    cr_expect_eq(flow_table_find(tbl, b)->flow.n_actions, 1);
    cr_expect_eq(flow_table_find(tbl, a)->flow.aux, 41, "a deleted flow "
                 "comes back with its word");
}
