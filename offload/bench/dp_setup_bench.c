/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software path flow setup micro-benchmark (not a test): what snicd's
 * control thread does for an add-flows batch with --no-offload, without
 * the socket and the JSON: parse each line (flow_parse), apply it to the
 * flow table, which hands it to the datapath (dp_flow_table_listener),
 * and commit the datapath (dp_commit: the classifier publishes). Then one
 * loose modify of every flow's actions and one delete of all of them, as
 * snic-bench does through the socket.
 *
 *   dp_setup_bench [FLOWS [BATCH]]       (default 100000 1000)
 *
 * Prints flows per CPU second per phase (this process's CPU time, so
 * that the neighbours on a shared machine do not count), the worst and
 * median batch, the slowest commit (with BATCH = FLOWS, the one commit
 * that ends a restart's journal replay: the classifier's build), and
 * the heap the
 * flows hold (glibc's mallinfo2: bytes in use after the adds, less before,
 * per flow), for the flow table alone, the classifier alone (dp_flow_put
 * of ready flows) and the whole (flow table + classifier), and the
 * classifier's bytes by structure (dp_cls_get_mem(): its slot copies
 * and its rules, dp_rule_pool.c, are mmapped, outside mallinfo2's
 * count). With DP_SETUP_PHASE=add only the
 * adds run (for callgrind: instructions per flow, independent of load).
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snic/dp.h"

/* CPU time of this process: on a shared machine the wall clock
 * measures the neighbours; the process is one thread. */
static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t
heap_used(void)
{
    return mallinfo2().uordblks;
}

static int
by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void
line(char *buf, size_t size, uint32_t i)
{
    uint32_t d = (10u << 24) + i;

    snprintf(buf, size, "priority=100,in_port=2,udp,nw_dst=%u.%u.%u.%u "
             "actions=output:1", d >> 24, (d >> 16) & 255, (d >> 8) & 255,
             d & 255);
}

static int
apply_line(struct flow_table *ft, const char *text, enum flow_cmd cmd)
{
    struct flow_mod fm;
    struct flow_error err;
    int rc = flow_parse(text, cmd, NULL, &fm, &err);

    if (rc < 0) {
        fprintf(stderr, "dp_setup_bench: %s\n", err.msg);
        return rc;
    }
    return flow_table_apply(ft, &fm, 0);
}

/* The classifier's memory by structure (dp_cls_get_mem), per flow; the
 * slot copies are large enough to be mmapped, which mallinfo2's
 * uordblks does not count. */
static void
print_cls_mem(const struct dp *dp)
{
    struct dp_cls_mem m;
    double n;

    dp_cls_get_mem(dp_classifier(dp), &m);
    n = m.flows > 0 ? (double)m.flows : 1.0;
    printf("  classifier per flow: rule %.0f, writer's record %.0f, "
           "indexes %.0f, published slots %.0f, spare slots %.0f: %.0f "
           "bytes\n", m.rule_bytes / n, m.wflow_bytes / n,
           m.index_bytes / n, m.pub_bytes / n, m.spare_bytes / n,
           (m.rule_bytes + m.wflow_bytes + m.index_bytes + m.pub_bytes
            + m.spare_bytes) / n);
}

/* The flow table alone (no listener): parse and apply. */
static int
table_only(uint32_t n)
{
    size_t before = heap_used(), after;
    struct flow_table *ft = flow_table_create(NULL, NULL);
    char text[160];

    if (ft == NULL)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        line(text, sizeof(text), i);
        if (apply_line(ft, text, FLOW_CMD_ADD) < 0)
            return -1;
    }
    after = heap_used();
    printf("flow table only: %.0f bytes per flow\n",
           (double)(after - before) / n);
    flow_table_destroy(ft);
    return 0;
}

/* The classifier alone: ready flows straight into dp_flow_put. */
static int
classifier_only(uint32_t n, uint32_t batch)
{
    struct dp *dp = dp_create(NULL, NULL);
    size_t before = heap_used(), after;
    struct flow_mod fm;
    double t0;
    char text[160];

    snic_role_enter(&snic_control);
    if (dp == NULL)
        return -1;
    line(text, sizeof(text), 0);
    if (flow_parse(text, FLOW_CMD_ADD, NULL, &fm, NULL) < 0)
        return -1;
    t0 = now_s();
    for (uint32_t i = 0; i < n; i++) {
        fm.flow.match.value.nw_dst = htonl((10u << 24) + i);
        if (dp_flow_put(dp, i + 1, &fm.flow) < 0)
            return -1;
        if ((i + 1) % batch == 0 || i + 1 == n)
            if (dp_commit(dp) < 0)
                return -1;
    }
    after = heap_used();
    printf("classifier only: %u flows in %.3f s: %.0f flows/s, %.0f bytes "
           "per flow\n", n, now_s() - t0, n / (now_s() - t0),
           (double)(after - before) / n);
    print_cls_mem(dp);
    dp_destroy(dp);
    return 0;
}

int
main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
    uint32_t batch = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1000;
    const char *phase = getenv("DP_SETUP_PHASE");
    bool add_only = phase != NULL && strcmp(phase, "add") == 0;
    uint32_t n_batches;
    double *lat, t0, t_add, tc, commit_max = 0;
    struct flow_table *ft;
    struct dp *dp;
    size_t before, after;
    char text[160];

    snic_role_enter(&snic_control);
    if (n == 0 || batch == 0) {
        fprintf(stderr, "usage: dp_setup_bench [FLOWS [BATCH]] (both > 0)\n");
        return 2;
    }
    if (!add_only && table_only(n) < 0) {
        fprintf(stderr, "dp_setup_bench: flow table run failed\n");
        return 1;
    }
    if (!add_only && classifier_only(n, batch) < 0) {
        fprintf(stderr, "dp_setup_bench: classifier run failed\n");
        return 1;
    }
    n_batches = (n + batch - 1) / batch;
    lat = calloc(n_batches, sizeof(*lat));
    dp = dp_create(NULL, NULL);
    before = heap_used();
    ft = flow_table_create(dp_flow_table_listener, dp);
    if (lat == NULL || dp == NULL || ft == NULL)
        return 1;
    t0 = now_s();
    for (uint32_t b = 0, i = 0; b < n_batches; b++) {
        double tb = now_s();

        for (; i < n && i < (b + 1) * batch; i++) {
            line(text, sizeof(text), i);
            if (apply_line(ft, text, FLOW_CMD_ADD) < 0)
                return 1;
        }
        tc = now_s();
        if (dp_commit(dp) < 0)
            return 1;
        lat[b] = now_s() - tb;
        tc = now_s() - tc;
        if (tc > commit_max)
            commit_max = tc;
    }
    t_add = now_s() - t0;
    after = heap_used();
    qsort(lat, n_batches, sizeof(*lat), by_double);
    printf("add:    %u flows in %.3f s: %.0f flows/s; batch of %u: median "
           "%.2f ms, max %.2f ms; %.0f bytes per flow (flow table + "
           "classifier)\n", n, t_add, n / t_add, batch,
           lat[n_batches / 2] * 1e3, lat[n_batches - 1] * 1e3,
           (double)(after - before) / n);
    /* with one batch of all the flows, the publish is a restart's
     * classifier build (the journal replayed, then one commit) */
    printf("  slowest commit (publish): %.2f ms\n", commit_max * 1e3);
    print_cls_mem(dp);
    if (!add_only) {
        t0 = now_s();
        if (apply_line(ft, "udp actions=output:3", FLOW_CMD_MODIFY) < 0
            || dp_commit(dp) < 0)
            return 1;
        printf("modify: %u flows in %.3f s: %.0f flows/s\n", n,
               now_s() - t0, n / (now_s() - t0));
        t0 = now_s();
        if (apply_line(ft, "", FLOW_CMD_DELETE) < 0 || dp_commit(dp) < 0)
            return 1;
        printf("delete: %u flows in %.3f s: %.0f flows/s\n", n,
               now_s() - t0, n / (now_s() - t0));
    }
    flow_table_destroy(ft);
    dp_commit(dp);
    dp_destroy(dp);
    free(lat);
    return 0;
}
