/* SPDX-License-Identifier: BSD-3-Clause */
/* The mark table, and the datapath entry points a marked packet takes
 * (dp_worker_run_actions, dp_worker_process_from): docs/snicd.md rule 3. */
#include <arpa/inet.h>
#include <endian.h>
#include <criterion/criterion.h>
#include <string.h>

#include "snicd.h"

static struct flow_table *table;
static struct dp *dp;
static struct dp_worker *w;

static void
setup(void)
{
    dp = dp_create(NULL, NULL);
    cr_assert_not_null(dp);
    table = flow_table_create(dp_flow_table_listener, dp);
    cr_assert_not_null(table);
    w = dp_worker_create(dp);
    cr_assert_not_null(w);
}

static void
teardown(void)
{
    dp_worker_destroy(w);
    flow_table_destroy(table);
    dp_commit(dp);
    dp_destroy(dp);
}

TestSuite(marks, .init = setup, .fini = teardown);

static uint64_t
add(const char *line)
{
    struct flow_mod fm;
    struct flow_error err;
    uint64_t best = 0;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    cr_assert_geq(flow_table_apply(table, &fm, 0), 0);
    cr_assert_eq(dp_commit(dp), 0);
    /* the newest id */
    for (uint64_t id = 1; id < 100; id++)
        if (flow_table_find(table, id) != NULL)
            best = id;
    return best;
}

struct outs {
    unsigned n;
    uint32_t port[8];
    uint8_t frame[8][128];
};

static void
on_out(void *ctx, const struct dp_output *o)
{
    struct outs *x = ctx;

    if (x->n < 8) {
        x->port[x->n] = o->tx_port;
        memcpy(x->frame[x->n], o->frame, o->len < 128 ? o->len : 128);
    }
    x->n++;
}

/* An untagged IPv4/UDP frame with room in front. */
static uint8_t room[256];

static struct dp_buf
udp_frame(void)
{
    static const uint8_t f[42] = {
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
        0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1,
        10, 0, 0, 2, 0x03, 0xe8, 0, 80, 0, 8, 0, 0,
    };
    struct dp_buf b = { .data = room + 128, .len = sizeof(f),
                        .headroom = 128 };

    memset(room, 0, sizeof(room));
    memcpy(b.data, f, sizeof(f));
    return b;
}

Test(marks, table_lookup)
{
    uint64_t id = add("in_port=2,actions=mod_dl_dst:02:00:00:00:00:09,"
                      "goto_table:1");
    struct snicd_mark m[3] = {
        { .mark = 7, .kind = SNICD_MARK_PARTIAL, .flow_id = id },
        { .mark = 8, .kind = SNICD_MARK_RESUME, .table = 1, .flow_id = id },
        { .mark = 9, .kind = SNICD_MARK_PARTIAL, .flow_id = 4242 },
    };
    struct snicd_mark_table *t = snicd_marks_build(m, 3, table,
                                                   dp_classifier(dp));
    const struct snicd_mark_entry *e;

    cr_assert_not_null(t);
    e = snicd_marks_find(t, 7);
    cr_assert_not_null(e);
    cr_expect_eq(e->kind, SNICD_MARK_PARTIAL);
    cr_expect_eq(e->n_actions, 2);
    cr_expect_eq(e->actions[1].type, FLOW_ACT_GOTO_TABLE);
    cr_expect_eq(e->slot, dp_cls_slot(dp_classifier(dp), id));
    e = snicd_marks_find(t, 8);
    cr_assert_not_null(e);
    cr_expect_eq(e->kind, SNICD_MARK_RESUME);
    cr_expect_eq(e->table, 1);
    e = snicd_marks_find(t, 9);
    cr_assert_not_null(e, "a mark of an unknown flow still resolves");
    cr_expect_eq(e->kind, SNICD_MARK_RESUME, "...to classification");
    cr_expect_eq(e->table, 0);
    cr_expect_null(snicd_marks_find(t, 10));
    cr_expect_null(snicd_marks_find(NULL, 7));
    free(t);
}

Test(marks, resume_classifies_from_the_goto_target)
{
    uint64_t f0 = add("in_port=2,actions=mod_dl_dst:02:00:00:00:00:09,"
                      "goto_table:1");
    uint64_t f1 = add("table=1,actions=output:3");
    struct dp_buf b = udp_frame();
    struct outs o = { 0 };
    uint64_t p = 0, by = 0;

    /* the hardware ran f0 (the frame is as it left it): resume at 1 */
    cr_expect_eq(dp_worker_process_from(w, &b, 2, 1, on_out, &o), 1);
    cr_expect_eq(o.port[0], 3);
    cr_expect_eq(o.frame[0][5], 0x02, "not rewritten again");
    dp_flow_stats(dp, f0, &p, &by);
    cr_expect_eq(p, 0, "the hardware counted f0");
    dp_flow_stats(dp, f1, &p, &by);
    cr_expect_eq(p, 1);
    b = udp_frame();
    o.n = 0;
    cr_expect_eq(dp_worker_process_from(w, &b, 2, 2, on_out, &o), 0,
                 "a miss in table 2 drops");
}

Test(marks, partial_runs_the_flow_and_counts_it)
{
    uint64_t f0 = add("in_port=2,actions=mod_dl_dst:02:00:00:00:00:09,"
                      "goto_table:1");
    uint64_t f1 = add("table=1,actions=output:3,output:4");
    const struct flow_entry *e = flow_table_find(table, f0);
    int64_t slot = dp_cls_slot(dp_classifier(dp), f0);
    struct dp_buf b = udp_frame();
    struct outs o = { 0 };
    uint64_t p = 0, by = 0;

    cr_assert_geq(slot, 0);
    cr_expect_eq(dp_worker_run_actions(w, &b, 2, slot, e->flow.actions,
                                       e->flow.n_actions, on_out, &o), 2);
    cr_expect_eq(o.port[0], 3);
    cr_expect_eq(o.port[1], 4);
    cr_expect_eq(o.frame[0][5], 0x09, "f0's rewrite ran");
    dp_flow_stats(dp, f0, &p, &by);
    cr_expect_eq(p, 1);
    cr_expect_eq(by, 42);
    dp_flow_stats(dp, f1, &p, &by);
    cr_expect_eq(p, 1);
    /* no slot: nothing counted for the flow */
    b = udp_frame();
    dp_worker_run_actions(w, &b, 2, -1, e->flow.actions, e->flow.n_actions,
                          on_out, &o);
    dp_flow_stats(dp, f0, &p, &by);
    cr_expect_eq(p, 1);
}

Test(marks, decap_classifies_as_the_tunnel_port)
{
    uint64_t f5 = add("in_port=100,tun_id=5,actions=output:3");
    uint64_t f6 = add("in_port=100,tun_id=6,tun_src=192.168.0.2,"
                      "actions=output:4");
    struct snicd_mark m = {
        .mark = 21, .kind = SNICD_MARK_DECAP, .table = 0, .in_port = 100,
        .tun = { .tun_id = htobe64(5), .tun_src = htonl(0xc0a80002),
                 .tun_dst = htonl(0xc0a80001) },
    };
    struct snicd_mark_table *t = snicd_marks_build(&m, 1, table,
                                                   dp_classifier(dp));
    const struct snicd_mark_entry *e;
    struct dp_buf b = udp_frame();
    struct outs o = { 0 };
    uint64_t p = 0, by = 0;

    cr_assert_not_null(t);
    e = snicd_marks_find(t, 21);
    cr_assert_not_null(e);
    cr_expect_eq(e->kind, SNICD_MARK_DECAP);
    cr_expect_eq(e->in_port, 100);
    cr_expect_eq(be64toh(e->tun.tun_id), 5);
    cr_expect_eq(ntohl(e->tun.tun_src), 0xc0a80002);
    /* what the worker does with it: the frame (already decapsulated)
     * is classified as vxlan0's with the entry's metadata */
    cr_expect_eq(dp_worker_process_decapped(w, &b, e->in_port, &e->tun,
                                            e->table, on_out, &o), 1);
    cr_expect_eq(o.port[0], 3, "tun_id 5's flow");
    dp_flow_stats(dp, f5, &p, &by);
    cr_expect_eq(p, 1);
    m.tun.tun_id = htobe64(6);
    free(t);
    t = snicd_marks_build(&m, 1, table, dp_classifier(dp));
    e = snicd_marks_find(t, 21);
    b = udp_frame();
    o.n = 0;
    cr_expect_eq(dp_worker_process_decapped(w, &b, e->in_port, &e->tun,
                                            e->table, on_out, &o), 1);
    cr_expect_eq(o.port[0], 4, "tun_id 6 and tun_src matched");
    dp_flow_stats(dp, f6, &p, &by);
    cr_expect_eq(p, 1);
    free(t);
}
