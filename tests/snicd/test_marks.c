/* SPDX-License-Identifier: BSD-3-Clause */
/* The mark table, and the datapath entry points a marked packet takes
 * (dp_worker_run_actions, dp_worker_process_from): docs/snicd.md rule 3. */
#include <arpa/inet.h>
#include <endian.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "snicd.h"
#include "snicd_offload_priv.h"

static struct flow_table *table;
static struct dp *dp;
static struct dp_worker *w;

static void
setup(void)
{
    snic_role_enter(&snic_control);
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
    snic_role_enter(&snic_control);
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

    snic_role_enter(&snic_control);
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
    cr_expect_eq(dp_worker_process_from(w, &b, 2, 1, 0, on_out, &o), 1);
    cr_expect_eq(o.port[0], 3);
    cr_expect_eq(o.frame[0][5], 0x02, "not rewritten again");
    dp_flow_stats(dp, f0, &p, &by);
    cr_expect_eq(p, 0, "the hardware counted f0");
    dp_flow_stats(dp, f1, &p, &by);
    cr_expect_eq(p, 1);
    b = udp_frame();
    o.n = 0;
    cr_expect_eq(dp_worker_process_from(w, &b, 2, 2, 0, on_out, &o), 0,
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
                                       e->flow.n_actions, 0, on_out, &o), 2);
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
                          0, on_out, &o);
    dp_flow_stats(dp, f0, &p, &by);
    cr_expect_eq(p, 1);
}

/* The card's META (pkt_mark) comes with a resumed or partial packet: the
 * tables after the jump see it, and nothing else of the registers. */
Test(marks, resume_and_partial_carry_pkt_mark)
{
    uint64_t f0 = add("in_port=2,actions=set_field:0x5/0xf->pkt_mark,"
                      "goto_table:1");
    uint64_t f1 = add("table=1,priority=10,pkt_mark=0x5/0xf,"
                      "actions=output:3");
    uint64_t f2 = add("table=1,priority=5,reg0=0,actions=output:4");
    uint64_t f3 = add("table=1,priority=20,pkt_mark=0x35,actions=output:5");
    const struct flow_entry *e = flow_table_find(table, f0);
    struct dp_buf b = udp_frame();
    struct outs o = { 0 };
    uint64_t p = 0, by = 0;

    cr_expect_eq(dp_worker_process_from(w, &b, 2, 1, 0x15, on_out, &o), 1);
    cr_expect_eq(o.port[0], 3, "table 1 sees pkt_mark 0x15");
    b = udp_frame();
    o.n = 0;
    cr_expect_eq(dp_worker_process_from(w, &b, 2, 1, 0, on_out, &o), 1);
    cr_expect_eq(o.port[0], 4, "no META: pkt_mark 0, registers 0");
    /* partial: f0's own load runs again in software, on what came */
    b = udp_frame();
    o.n = 0;
    cr_expect_eq(dp_worker_run_actions(w, &b, 2, -1, e->flow.actions,
                                       e->flow.n_actions, 0x30, on_out, &o),
                 1);
    cr_expect_eq(o.port[0], 5, "pkt_mark 0x35 after the masked load");
    dp_flow_stats(dp, f1, &p, &by);
    cr_expect_eq(p, 1);
    dp_flow_stats(dp, f2, &p, &by);
    cr_expect_eq(p, 1);
    dp_flow_stats(dp, f3, &p, &by);
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

/* ---- the manager's mark pools (snicd_offload_map.c) ---- */

Test(mark_pool, a_released_mark_stays_out_while_quiet)
{
    struct snicd_mark_pool p;
    uint32_t got[4];

    cr_assert_eq(snicd_mark_pool_init(&p, 10, 13, 1000), 0);
    for (unsigned i = 0; i < 4; i++)
        got[i] = snicd_mark_pool_get(&p, 0);
    cr_expect(got[0] == 10 && got[1] == 11 && got[2] == 12 && got[3] == 13,
              "in order: %u %u %u %u", got[0], got[1], got[2], got[3]);
    cr_expect_eq(snicd_mark_pool_get(&p, 0), 0, "all live");
    snicd_mark_pool_put(&p, 11, 100);
    cr_expect_eq(snicd_mark_pool_get(&p, 500), 0, "11 is quiet until 1100");
    cr_expect_eq(snicd_mark_pool_get(&p, 1099), 0);
    cr_expect_eq(snicd_mark_pool_get(&p, 1100), 11);
    /* a mark not taken, or out of range, is ignored */
    snicd_mark_pool_put(&p, 11, 2000);
    snicd_mark_pool_put(&p, 11, 2000);
    snicd_mark_pool_put(&p, 99, 2000);
    cr_expect_eq(snicd_mark_pool_get(&p, 5000), 11);
    cr_expect_eq(snicd_mark_pool_get(&p, 5000), 0);
    snicd_mark_pool_fini(&p);
}

Test(mark_pool, goes_round_the_range_before_reusing)
{
    struct snicd_mark_pool p;
    uint64_t t = 0;

    /* no quiet time: only the order keeps a mark from coming back */
    cr_assert_eq(snicd_mark_pool_init(&p, 1, 200, 0), 0);
    for (uint32_t want = 1; want <= 200; want++) {
        uint32_t m = snicd_mark_pool_get(&p, t++);

        cr_assert_eq(m, want);
        snicd_mark_pool_put(&p, m, t++);
    }
    /* round again; 5 stays live, so the second round skips it */
    cr_expect_eq(snicd_mark_pool_get(&p, t), 1);
    for (uint32_t want = 2; want <= 5; want++)
        cr_expect_eq(snicd_mark_pool_get(&p, t), want);
    for (uint32_t m = 1; m <= 4; m++)
        snicd_mark_pool_put(&p, m, t);
    for (uint32_t want = 6; want <= 200; want++)
        cr_expect_eq(snicd_mark_pool_get(&p, t), want);
    cr_expect_eq(snicd_mark_pool_get(&p, t), 1);
    cr_expect_eq(snicd_mark_pool_get(&p, t), 2);
    snicd_mark_pool_fini(&p);
}

Test(mark_pool, the_ranges)
{
    struct snicd_mark_pool p;

    cr_expect(!snicd_mark_is_decap(SNICD_MARK_DECAP_FIRST - 1));
    cr_expect(snicd_mark_is_decap(SNICD_MARK_DECAP_FIRST));
    cr_expect(snicd_mark_is_decap(SNICD_MARK_DECAP_LAST));
    cr_expect(!snicd_mark_is_decap(SNICD_MARK_DECAP_LAST + 1));
    cr_expect_lt(SNICD_MARK_DECAP_LAST, 1u << 24, "24 bits");
    cr_expect_eq(snicd_mark_pool_init(&p, 0, 5, 0), -EINVAL, "0 is no mark");
    cr_expect_eq(snicd_mark_pool_init(&p, 5, 4, 0), -EINVAL);
    /* the whole decap range, one by one: no number twice, none outside */
    cr_assert_eq(snicd_mark_pool_init(&p, SNICD_MARK_DECAP_FIRST,
                                      SNICD_MARK_DECAP_LAST, 0), 0);
    for (uint32_t want = SNICD_MARK_DECAP_FIRST;
         want <= SNICD_MARK_DECAP_LAST; want++)
        if (snicd_mark_pool_get(&p, 0) != want)
            cr_assert_fail("mark %#x out of order", want);
    cr_expect_eq(snicd_mark_pool_get(&p, 0), 0, "exhausted");
    snicd_mark_pool_fini(&p);
}

/* snicd_marks_hold: the card's orphans walked once when their marks fit
 * its first guess, twice when they do not; every mark held either way. */
static unsigned fake_marks, fake_calls;

static int
fake_orphan_marks(uint16_t port, struct snicd_held_mark *v, unsigned max)
{
    (void)port;
    fake_calls++;
    for (unsigned i = 0; i < fake_marks && i < max; i++)
        v[i] = (struct snicd_held_mark){ .mark = 100 + i, .group = 1,
                                         .jump_group = UINT32_MAX };
    return (int)fake_marks;
}

static void
hold_with(unsigned n, unsigned calls)
{
    static struct snicd d;

    snic_role_enter(&snic_control);
    memset(&d, 0, sizeof(d));
    d.dp = dp;
    cr_assert_eq(snicd_ports_add_ethdev(&d.ports, 0, true, -1), 0);
    d.orphan_marks = fake_orphan_marks;
    fake_marks = n;
    fake_calls = 0;
    snicd_marks_hold(&d);
    cr_expect_eq(fake_calls, calls, "%u marks: %u walks of the orphans, "
                 "not %u", n, fake_calls, calls);
    cr_expect_eq(d.n_held, n, "%u marks held of %u", d.n_held, n);
    cr_expect(d.n_held > 0 && d.held[n - 1].mark == 100 + n - 1 &&
              d.held[n - 1].table == 1, "the last mark held, as read");
    snicd_marks_publish(&d, NULL);
    free(d.held);
}

Test(marks, held_marks_in_one_walk_when_they_fit)
{
    hold_with(5, 1);
}

Test(marks, held_marks_past_the_guess_in_two_walks)
{
    hold_with(3000, 2);
}
