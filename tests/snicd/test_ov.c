/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The overlap index (snicd_offload_overlap.c) against a linear scan of its
 * members: random adds, level changes and removals of flows over a few
 * masks, with values drawn so that some are held by one member alone and
 * some by several (a bucket), and queries with the members' masks and
 * others (each new mask of a query makes a sub, moving every member's
 * entries). After every step the earlier overlapping flows' deepest level
 * and first software flow, and the list of later overlapping flows, are
 * what the scan finds.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "snic/flow.h"
#include "snicd_offload_priv.h"

#define N_FLOWS     400u
#define N_QUERIES   40u

/* Byte offsets in struct flow_key of the three fields the masks use. */
static const size_t field_off[3] = {
    offsetof(struct flow_key, in_port),
    offsetof(struct flow_key, tp_dst),
    offsetof(struct flow_key, nw_proto),
};

/* A match over the fields of @shape's bits, each value below @span. */
static void
shaped_match(struct flow_match *m, unsigned shape, unsigned span)
{
    uint8_t *v = (uint8_t *)&m->value, *k = (uint8_t *)&m->mask;

    memset(m, 0, sizeof(*m));
    for (unsigned i = 0; i < 3; i++) {
        if (!((shape >> i) & 1u))
            continue;
        k[field_off[i]] = 0xff;
        v[field_off[i]] = (uint8_t)(rand() % (int)span);
    }
    flow_match_normalise(m);
}

static struct snicd_oflow *
record(uint64_t id, unsigned shape, unsigned span)
{
    struct flow fl;
    struct snicd_oflow *f;

    memset(&fl, 0, sizeof(fl));
    shaped_match(&fl.match, shape, span);
    fl.priority = (uint16_t)(rand() % 3);
    f = snicd_oflow_new_flow(&fl);
    cr_assert_not_null(f);
    f->id = id;
    f->ov_root.f = f;
    return f;
}

struct later {
    unsigned hits[N_FLOWS];
    struct snicd_oflow **flows;
};

static void
later_cb(void *ctx, struct snicd_oflow *g)
{
    struct later *l = ctx;

    for (unsigned i = 0; i < N_FLOWS; i++)
        if (l->flows[i] == g)
            l->hits[i]++;
}

static void
check_query(struct snicd_ovx *x, struct snicd_oflow **flows, const bool *in,
            const struct snicd_oflow *q, unsigned step)
{
    struct snicd_ov_agg got;
    int32_t want_level = -1;
    const struct snicd_oflow *want_sw = NULL;
    struct later l = { .flows = flows };

    cr_assert_eq(snicd_ov_query(x, q, &got), 0);
    cr_assert_eq(snicd_ov_later(x, q, later_cb, &l), 0);
    for (unsigned i = 0; i < N_FLOWS; i++) {
        const struct snicd_oflow *g = flows[i];
        bool ov = in[i] && g != q && snicd_oflow_overlaps(q, g);

        cr_assert_eq(l.hits[i], ov && snicd_ov_before(q, g) ? 1u : 0u,
                     "step %u: flow %u listed %u times as later", step, i,
                     l.hits[i]);
        if (!ov || !snicd_ov_before(g, q))
            continue;
        if (g->ov_root.level > want_level)
            want_level = g->ov_root.level;
        if (g->ov_root.level < 0 &&
            (want_sw == NULL || snicd_ov_before(g, want_sw)))
            want_sw = g;
    }
    cr_assert_eq(got.max_level, want_level, "step %u: deepest level", step);
    cr_assert_eq(got.sw, want_sw, "step %u: first software flow", step);
}

/* @span: how many values a field takes; small spans share values (buckets
 * of several members), large ones leave most members alone. */
static void
run(unsigned seed, unsigned span)
{
    struct snicd_oflow *flows[N_FLOWS], *queries[N_QUERIES];
    bool in[N_FLOWS] = { false };
    struct snicd_ovx x;

    srand(seed);
    snicd_ov_init(&x);
    /* members over masks 3 and 7 (big tuples, hashed) and 4 (small or
     * big); queries over every mask, some of them new to the tuples */
    for (unsigned i = 0; i < N_FLOWS; i++)
        flows[i] = record(i + 1, (unsigned[]){ 3, 7, 7, 4 }[i % 4], span);
    for (unsigned i = 0; i < N_QUERIES; i++)
        queries[i] = record(N_FLOWS + 1 + i, 1 + i % 7, span);

    for (unsigned step = 0; step < 6000; step++) {
        unsigned i = (unsigned)rand() % N_FLOWS;
        struct snicd_ovm *m = &flows[i]->ov_root;
        int op = rand() % 4;

        if (!in[i] || op == 0) {
            cr_assert_eq(snicd_ov_set(&x, m, rand() % 6 - 1), 0);
            in[i] = true;
        } else if (op == 1) {
            snicd_ov_del(&x, m);
            cr_assert_null(m->t);
            in[i] = false;
        } else if (op == 2) {
            check_query(&x, flows, in, flows[i], step);
        } else {
            check_query(&x, flows, in, queries[rand() % N_QUERIES], step);
        }
    }
    /* and once more each, after the last step */
    for (unsigned i = 0; i < N_QUERIES; i++)
        check_query(&x, flows, in, queries[i], 6000);
    snicd_ov_clear(&x);
    for (unsigned i = 0; i < N_FLOWS; i++) {
        cr_assert_null(flows[i]->ov_root.t);
        snicd_oflow_release(flows[i]);
        free(flows[i]);
    }
    for (unsigned i = 0; i < N_QUERIES; i++) {
        snicd_oflow_release(queries[i]);
        free(queries[i]);
    }
}

Test(ov, shared_values_in_buckets)
{
    run(13, 3);
}

Test(ov, values_alone)
{
    run(14, 40);
}

Test(ov, mixed)
{
    run(15, 9);
}
