/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic benchmark (not a test): rte_flow create/destroy rates,
 * synchronous or through the template/async API, and forwarding Mpps
 * through the emulated card.
 *
 *   bench_flow EAL-ARGS -- [--rules N] [--runs R] [--seconds S]
 *                           [--count 0|1] [--shuffle 0|1] [--query 0|1]
 *                           [--async BATCH] [--overlap 0|1]
 *
 * --async BATCH creates the same rules with rte_flow_async_create on one
 * flow queue from a template table sized for them, BATCH operations
 * enqueued (postponed) per rte_flow_push, the previous batch's results
 * pulled and checked after each push (the card works on one batch while
 * the next is enqueued), then destroys them the same way; 0 (the default)
 * uses rte_flow_create / rte_flow_destroy. The rates cover enqueue, push
 * and pull of every rule. --overlap 0 pulls every result of a batch
 * before enqueueing the next (no work of the card hidden behind the
 * application's).
 *
 * --count 1 gives every rule a COUNT action (one device counter each, as
 * snicd's offload manager does); --shuffle 1 destroys the rules in a random
 * (fixed-seed) order instead of creation order, which is what a bulk
 * teardown of aged-out flows looks like; --query 1 (with --count 1) also
 * times one rte_flow_query(COUNT) of every rule, in creation order, between
 * create and destroy, as a control plane's once-a-second stats sweep does
 * (compare the PF devarg counter_refresh_ms=0, one firmware command per
 * query, with the default bulk counter cache); --seconds 0 skips
 * forwarding.
 *
 * EAL args must probe, in this order, the PF (net_emunic0,socket=P), VF 0
 * (net_emunicX,socket=P,vf=0) and the wire (net_emunicY,socket=P,uplink=1);
 * scripts/bench-pmd does that. Prints medians over the runs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return v[n / 2];
}

static int
port_setup(uint16_t port, struct rte_mempool *mp)
{
    struct rte_eth_conf conf;

    memset(&conf, 0, sizeof(conf));
    if (rte_eth_dev_configure(port, 1, 1, &conf) < 0 ||
        rte_eth_rx_queue_setup(port, 0, 1024, 0, NULL, mp) < 0 ||
        rte_eth_tx_queue_setup(port, 0, 1024, 0, NULL) < 0 ||
        rte_eth_dev_start(port) < 0)
        return -1;
    return 0;
}

/* Fisher-Yates with a fixed-seed xorshift: same order on every run. */
static void
shuffle(unsigned *order, unsigned n)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;

    for (unsigned i = n; i > 1; i--) {
        unsigned j, t;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        j = (unsigned)(x % i);
        t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

/* Seconds for one COUNT query of each of @flows[0..n-1]; <0 on an error. */
static double
query_all(uint16_t pf, struct rte_flow **flows, unsigned n)
{
    static const struct rte_flow_action count = {
        .type = RTE_FLOW_ACTION_TYPE_COUNT,
    };
    struct rte_flow_query_count qc;
    struct rte_flow_error err;
    uint64_t t0 = rte_get_timer_cycles(), hits = 0;

    for (unsigned i = 0; i < n; i++) {
        memset(&qc, 0, sizeof(qc));
        if (rte_flow_query(pf, flows[i], &count, &qc, &err) != 0) {
            fprintf(stderr, "query %u: %s\n", i,
                    err.message ? err.message : "?");
            return -1;
        }
        hits += qc.hits;
    }
    if (hits != 0)
        fprintf(stderr, "bench_flow: %lu hits on drop rules nobody sent "
                "to\n", (unsigned long)hits);
    return (double)(rte_get_timer_cycles() - t0) / rte_get_timer_hz();
}

static void
bench_rules(uint16_t pf, unsigned n_rules, int runs, bool count, bool shuf,
            bool query)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_eth spec, mask;
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &spec, .mask = &mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action_count cnt = { .id = 0 };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT, .conf = &cnt },
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow **flows = calloc(n_rules, sizeof(*flows));
    unsigned *order = calloc(n_rules, sizeof(*order));
    /* without --count the action list starts at DROP */
    const struct rte_flow_action *acts = count ? actions : actions + 1;
    double cr[16], de[16], qu[16];
    struct rte_flow_error err;
    unsigned failed = 0;

    if (flows == NULL || order == NULL) {
        fprintf(stderr, "bench_flow: out of memory for %u rules\n", n_rules);
        goto free_arrays;
    }
    memset(&mask, 0, sizeof(mask));
    memset(mask.hdr.dst_addr.addr_bytes, 0xff, 6);
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = rte_get_timer_cycles(), t1;
        unsigned made = 0;

        for (unsigned i = 0; i < n_rules; i++) {
            memset(&spec, 0, sizeof(spec));
            spec.hdr.dst_addr.addr_bytes[0] = 0x02;
            spec.hdr.dst_addr.addr_bytes[3] = (uint8_t)(i >> 16);
            spec.hdr.dst_addr.addr_bytes[4] = (uint8_t)(i >> 8);
            spec.hdr.dst_addr.addr_bytes[5] = (uint8_t)i;
            flows[i] = rte_flow_create(pf, &attr, items, acts, &err);
            if (flows[i] == NULL) {
                fprintf(stderr, "create %u: %s\n", i,
                        err.message ? err.message : "?");
                break;
            }
            made++;
        }
        t1 = rte_get_timer_cycles();
        cr[r] = made / ((double)(t1 - t0) / rte_get_timer_hz());
        if (query && count)
            qu[r] = query_all(pf, flows, made);
        for (unsigned i = 0; i < made; i++)
            order[i] = i;
        if (shuf)
            shuffle(order, made);
        t0 = rte_get_timer_cycles();
        for (unsigned i = 0; i < made; i++)
            if (rte_flow_destroy(pf, flows[order[i]], &err) != 0)
                failed++;
        t1 = rte_get_timer_cycles();
        de[r] = made / ((double)(t1 - t0) / rte_get_timer_hz());
    }
    printf("rte_flow_create:  %.0f flows/s (median of %d runs, %u rules%s)\n",
           median(cr, runs), runs, n_rules, count ? ", COUNT each" : "");
    printf("rte_flow_destroy: %.0f flows/s (median of %d runs, %s order)\n",
           median(de, runs), runs, shuf ? "random" : "creation");
    if (query && count)
        printf("rte_flow_query:   %.1f ms for one COUNT query of each of the "
               "%u rules (median of %d runs)\n", median(qu, runs) * 1e3,
               n_rules, runs);
    if (failed != 0)
        fprintf(stderr, "bench_flow: %u destroys failed\n", failed);
free_arrays:
    free(order);
    free(flows);
}

/* Template/async objects of one run: the pattern matches the destination
 * MAC exactly, the actions are [COUNT] DROP. */
struct async_ctx {
    uint16_t pf;
    unsigned batch;
    unsigned keep;              /* operations left in flight after a push */
    struct rte_flow_pattern_template *pt;
    struct rte_flow_actions_template *at;
    struct rte_flow_template_table *table;
    struct rte_flow_op_result *res;
};

static int
async_setup(struct async_ctx *a, unsigned n_rules, bool count)
{
    static const struct rte_flow_pattern_template_attr pattr = {
        .transfer = 1,
    };
    static const struct rte_flow_actions_template_attr aattr = {
        .transfer = 1,
    };
    struct rte_flow_item_eth mask;
    struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .mask = &mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_template_table_attr tattr = {
        .flow_attr = { .transfer = 1 },
        .nb_flows = n_rules,
    };
    struct rte_flow_error err;

    memset(&mask, 0, sizeof(mask));
    memset(mask.hdr.dst_addr.addr_bytes, 0xff, 6);
    a->pt = rte_flow_pattern_template_create(a->pf, &pattr, pattern, &err);
    a->at = a->pt == NULL ? NULL :
            rte_flow_actions_template_create(a->pf, &aattr,
                                             count ? acts : acts + 1,
                                             count ? acts : acts + 1, &err);
    a->table = a->at == NULL ? NULL :
               rte_flow_template_table_create(a->pf, &tattr, &a->pt, 1,
                                              &a->at, 1, &err);
    if (a->table == NULL) {
        fprintf(stderr, "bench_flow: template setup: %s\n",
                err.message ? err.message : "?");
        return -1;
    }
    return 0;
}

static void
async_teardown(struct async_ctx *a)
{
    struct rte_flow_error err;

    if (a->table != NULL)
        rte_flow_template_table_destroy(a->pf, a->table, &err);
    if (a->at != NULL)
        rte_flow_actions_template_destroy(a->pf, a->at, &err);
    if (a->pt != NULL)
        rte_flow_pattern_template_destroy(a->pf, a->pt, &err);
}

/* Pull results until at most @keep operations are outstanding; failures
 * counted. */
static int
async_pull_to(struct async_ctx *a, unsigned *outstanding, unsigned keep,
              unsigned *failed)
{
    struct rte_flow_error err;

    while (*outstanding > keep) {
        unsigned want = *outstanding - keep;
        int r = rte_flow_pull(a->pf, 0, a->res,
                              (uint16_t)(want < a->batch ? want : a->batch),
                              &err);

        if (r < 0) {
            fprintf(stderr, "pull: %s\n", err.message ? err.message : "?");
            return -1;
        }
        for (int i = 0; i < r; i++)
            if (a->res[i].status != RTE_FLOW_OP_SUCCESS)
                (*failed)++;
        *outstanding -= (unsigned)r;
    }
    return 0;
}

/* A batch is enqueued: push it, then pull the batch before it, so the card
 * works on one batch while the next is prepared (the queue holds two). */
static int
async_batch_done(struct async_ctx *a, unsigned *pending,
                 unsigned *outstanding, unsigned *failed)
{
    struct rte_flow_error err;

    if (rte_flow_push(a->pf, 0, &err) != 0) {
        fprintf(stderr, "push: %s\n", err.message ? err.message : "?");
        return -1;
    }
    *outstanding += *pending;
    *pending = 0;
    return async_pull_to(a, outstanding, a->keep, failed);
}

static unsigned
async_create_all(struct async_ctx *a, struct rte_flow **flows,
                 unsigned n_rules, bool count, unsigned *failed)
{
    static const struct rte_flow_op_attr later = { .postpone = 1 };
    struct rte_flow_item_eth spec;
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &spec },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action acts[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT },
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error err;
    unsigned made = 0, pending = 0, outstanding = 0;

    memset(&spec, 0, sizeof(spec));
    spec.hdr.dst_addr.addr_bytes[0] = 0x02;
    for (unsigned i = 0; i < n_rules; i++) {
        spec.hdr.dst_addr.addr_bytes[3] = (uint8_t)(i >> 16);
        spec.hdr.dst_addr.addr_bytes[4] = (uint8_t)(i >> 8);
        spec.hdr.dst_addr.addr_bytes[5] = (uint8_t)i;
        flows[i] = rte_flow_async_create(a->pf, 0, &later, a->table, items,
                                         0, count ? acts : acts + 1, 0,
                                         NULL, &err);
        if (flows[i] == NULL) {
            fprintf(stderr, "async create %u: %s\n", i,
                    err.message ? err.message : "?");
            break;
        }
        made++;
        if (++pending == a->batch &&
            async_batch_done(a, &pending, &outstanding, failed) < 0)
            return made;
    }
    if (pending > 0)
        async_batch_done(a, &pending, &outstanding, failed);
    async_pull_to(a, &outstanding, 0, failed);
    return made;
}

static void
async_destroy_all(struct async_ctx *a, struct rte_flow **flows,
                  const unsigned *order, unsigned n, unsigned *failed)
{
    static const struct rte_flow_op_attr later = { .postpone = 1 };
    struct rte_flow_error err;
    unsigned pending = 0, outstanding = 0;

    for (unsigned i = 0; i < n; i++) {
        if (rte_flow_async_destroy(a->pf, 0, &later, flows[order[i]], NULL,
                                   &err) != 0) {
            (*failed)++;
            continue;
        }
        if (++pending == a->batch &&
            async_batch_done(a, &pending, &outstanding, failed) < 0)
            return;
    }
    if (pending > 0)
        async_batch_done(a, &pending, &outstanding, failed);
    async_pull_to(a, &outstanding, 0, failed);
}

static void
bench_async(uint16_t pf, unsigned n_rules, int runs, bool count, bool shuf,
            unsigned batch, bool overlap)
{
    struct async_ctx a = {
        .pf = pf, .batch = batch, .keep = overlap ? batch : 0,
    };
    struct rte_flow **flows = calloc(n_rules, sizeof(*flows));
    unsigned *order = calloc(n_rules, sizeof(*order));
    double cr[16], de[16];
    unsigned failed = 0, dfailed = 0;

    a.res = calloc(batch, sizeof(*a.res));
    if (flows == NULL || order == NULL || a.res == NULL) {
        fprintf(stderr, "bench_flow: out of memory for %u rules\n", n_rules);
        goto free_arrays;
    }
    if (async_setup(&a, n_rules, count) < 0)
        goto teardown;
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = rte_get_timer_cycles(), t1;
        unsigned made, ok;

        made = async_create_all(&a, flows, n_rules, count, &failed);
        t1 = rte_get_timer_cycles();
        ok = made;
        cr[r] = made / ((double)(t1 - t0) / rte_get_timer_hz());
        for (unsigned i = 0; i < made; i++)
            order[i] = i;
        if (shuf)
            shuffle(order, made);
        t0 = rte_get_timer_cycles();
        async_destroy_all(&a, flows, order, made, &dfailed);
        t1 = rte_get_timer_cycles();
        de[r] = ok / ((double)(t1 - t0) / rte_get_timer_hz());
    }
    printf("rte_flow_async_create: %.0f flows/s (median of %d runs, %u "
           "rules%s, %u per push%s)\n", median(cr, runs), runs, n_rules,
           count ? ", COUNT each" : "", batch,
           overlap ? "" : ", no overlap");
    printf("rte_flow_async_destroy: %.0f flows/s (median of %d runs, %s "
           "order)\n", median(de, runs), runs, shuf ? "random" : "creation");
    if (failed != 0 || dfailed != 0)
        fprintf(stderr, "bench_flow: %u creates and %u destroys failed\n",
                failed, dfailed);
teardown:
    async_teardown(&a);
free_arrays:
    free(a.res);
    free(order);
    free(flows);
}

static void
bench_forward(uint16_t pf, uint16_t vf, uint16_t wire, struct rte_mempool *mp,
              double seconds, int runs)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_ethdev src = { .port_id = 1 };
    struct rte_flow_action_ethdev dst = { .port_id = pf };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &src },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, .conf = &dst },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error err;
    struct rte_flow *flow;
    double mpps[16];

    /* port 1 is the representor of VF 0 when the PF probes vf[0] */
    flow = rte_flow_create(pf, &attr, items, actions, &err);
    if (flow == NULL) {
        fprintf(stderr, "forwarding rule: %s\n", err.message);
        return;
    }
    for (int r = 0; r < runs; r++) {
        uint64_t hz = rte_get_timer_hz(), t0 = rte_get_timer_cycles();
        uint64_t end = t0 + (uint64_t)(seconds * hz), rx = 0;
        struct rte_mbuf *pk[32];

        while (rte_get_timer_cycles() < end) {
            if (rte_pktmbuf_alloc_bulk(mp, pk, 32) == 0) {
                uint16_t sent;

                for (int i = 0; i < 32; i++) {
                    char *d = rte_pktmbuf_append(pk[i], 64);

                    memset(d, 0, 64);
                    d[0] = 0x02;
                    d[12] = 0x08;
                }
                sent = rte_eth_tx_burst(vf, 0, pk, 32);
                if (sent < 32)
                    rte_pktmbuf_free_bulk(pk + sent, 32u - sent);
            }
            uint16_t n = rte_eth_rx_burst(wire, 0, pk, 32);
            rx += n;
            rte_pktmbuf_free_bulk(pk, n);
        }
        mpps[r] = rx / seconds / 1e6;
    }
    rte_flow_destroy(pf, flow, &err);
    printf("forwarding VF0 -> wire: %.3f Mpps (64-byte frames, median of "
           "%d runs)\n", median(mpps, runs), runs);
}

int
main(int argc, char **argv)
{
    unsigned n_rules = 2000;
    double seconds = 2.0;
    int runs = 5, n;
    bool count = false, shuf = false, query = false;
    unsigned batch = 0;
    bool overlap = true;
    struct rte_mempool *mp;

    n = rte_eal_init(argc, argv);
    if (n < 0)
        return 1;
    argc -= n;
    argv += n;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--rules") == 0)
            n_rules = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--count") == 0)
            count = atoi(argv[i + 1]) != 0;
        else if (strcmp(argv[i], "--shuffle") == 0)
            shuf = atoi(argv[i + 1]) != 0;
        else if (strcmp(argv[i], "--query") == 0)
            query = atoi(argv[i + 1]) != 0;
        else if (strcmp(argv[i], "--async") == 0)
            batch = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--overlap") == 0)
            overlap = atoi(argv[i + 1]) != 0;
    }
    if (batch > 32768) {
        fprintf(stderr, "bench_flow: --async %u: at most 32768 operations "
                "per push (two batches fill the largest flow queue)\n",
                batch);
        return 1;
    }
    if (runs < 1 || runs > 16)
        runs = 5;
    if (rte_eth_dev_count_avail() < 3) {
        fprintf(stderr, "bench_flow: needs the PF, VF 0 and uplink ports\n");
        return 1;
    }
    mp = rte_pktmbuf_pool_create("bench", 8192, 256, 0,
                                 RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (mp == NULL)
        return 1;
    uint16_t nports = rte_eth_dev_count_avail();
    uint16_t vf = (uint16_t)(nports - 2), wire = (uint16_t)(nports - 1);
    for (uint16_t p = 0; p < nports; p++)
        if (port_setup(p, mp) < 0) {
            fprintf(stderr, "bench_flow: port %u setup failed\n", p);
            return 1;
        }
    if (batch > 0) {
        /* flow queues are configured on a stopped port */
        const struct rte_flow_port_attr pattr = {
            .nb_counters = count ? n_rules : 0,
        };
        /* two batches: one in the card while the next is prepared */
        const struct rte_flow_queue_attr qattr = { .size = 2 * batch };
        const struct rte_flow_queue_attr *qa[] = { &qattr };
        struct rte_flow_error err;

        rte_eth_dev_stop(0);
        if (rte_flow_configure(0, &pattr, 1, qa, &err) != 0 ||
            rte_eth_dev_start(0) != 0) {
            fprintf(stderr, "bench_flow: rte_flow_configure: %s\n",
                    err.message ? err.message : "?");
            return 1;
        }
        bench_async(0, n_rules, runs, count, shuf, batch, overlap);
    } else {
        bench_rules(0, n_rules, runs, count, shuf, query);
    }
    if (seconds > 0)
        bench_forward(0, vf, wire, mp, seconds, runs);
    for (uint16_t p = 0; p < nports; p++) {
        rte_eth_dev_stop(p);
        rte_eth_dev_close(p);
    }
    rte_eal_cleanup();
    return 0;
}
