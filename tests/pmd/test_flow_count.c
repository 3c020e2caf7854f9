/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic COUNT queries through the counter cache, against a running
 * emunic: a query loop over thousands of counted flows costs a few bulk
 * commands and returns the exact per-flow counts; a cached value ages out
 * after counter_refresh_ms; reset=1 is always exact and zeroes the cached
 * value; counter_refresh_ms=0 reads synchronously; a firmware reset and a
 * dead card are reported as before.
 *
 * Traffic: VF 0 (its VM-side port) sends 64-byte frames into the eSwitch;
 * the PF's transfer rules match their destination MAC, COUNT and DROP.
 * Arrival is waited for with a "beacon" frame sent last on the same queue
 * to a second flow, read with reset=1 (synchronous, exact): once the card
 * counted the beacon it counted everything sent before it.
 *
 * Needs EMUNIC in the environment, as test_flow_handle does; each
 * test starts its own emunic and EAL.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include <rte_mbuf.h>

#include "pmd_test_emunic.h"
#include "snic_clock.h"
#include "snic_eal_dir.h"
#include "snic/fw_abi.h"
#include "snic/fw_chan.h"
#include "snic/rte_pmd_emunic.h"

#define PF      0       /* net_emunic0: the PF (eSwitch manager) */
#define VF      1       /* net_emunic1: VF 0, the VM side */

static struct rte_mempool *pool;

/* emunic, EAL with the PF (devargs @pf_extra appended) and VF 0 started. */
static void
up(const char *pf_extra)
{
    emu_start("flowc");
    cr_assert_eq(pmd_eal_up("flowc", pf_extra, true, "error", false), 2,
                 "PF and VF probed");
    pool = rte_pktmbuf_pool_create("flowc", 1024, 0, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    cr_assert_not_null(pool);
    pmd_port_start(VF, pool, 256);
}

TestSuite(pmd_flow_count, .fini = pmd_down, .timeout = 30);

/* A transfer rule on the PF: dst MAC of flow @i -> COUNT, DROP. The
 * frames come from VF 0, which has no representor here: the rule matches
 * any source port (zero-mask port item), not only the PF's wire. */
static struct rte_flow *
flow_make(unsigned i)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_eth spec, mask;
    struct rte_flow_item_ethdev any_port = { .port_id = 0 };
    struct rte_flow_action_count cnt = { .id = 0 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &any_port,
          .mask = &any_port },
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &spec, .mask = &mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT, .conf = &cnt },
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error err;
    struct rte_flow *f;

    memset(&spec, 0, sizeof(spec));
    memset(&mask, 0, sizeof(mask));
    memset(mask.hdr.dst_addr.addr_bytes, 0xff, 6);
    pmd_flow_mac(i, spec.hdr.dst_addr.addr_bytes);
    f = rte_flow_create(PF, &attr, items, actions, &err);
    cr_assert_not_null(f, "create flow %u: %s", i,
                       err.message ? err.message : "?");
    return f;
}

static int
query(struct rte_flow *f, bool reset, uint64_t *hits, uint64_t *bytes,
      struct rte_flow_error *err)
{
    static const struct rte_flow_action count = {
        .type = RTE_FLOW_ACTION_TYPE_COUNT,
    };
    struct rte_flow_query_count qc;
    int ret;

    memset(&qc, 0, sizeof(qc));
    memset(err, 0, sizeof(*err));
    qc.reset = reset;
    ret = rte_flow_query(PF, f, &count, &qc, err);
    if (ret == 0) {
        cr_assert(qc.hits_set && qc.bytes_set);
        *hits = qc.hits;
        if (bytes != NULL)
            *bytes = qc.bytes;
    }
    return ret;
}

static uint64_t
hits_of(struct rte_flow *f, bool reset)
{
    struct rte_flow_error err;
    uint64_t h = 0;

    cr_assert_eq(query(f, reset, &h, NULL, &err), 0, "query: %s",
                 err.message ? err.message : "?");
    return h;
}

/* Send one frame to @beacon_i and wait until its flow counted it (reads
 * with reset=1, exact): everything VF 0 sent before has been counted. */
static void
settle(unsigned beacon_i, struct rte_flow *beacon)
{
    uint64_t got = 0;

    pmd_send_to(VF, pool, beacon_i, 1);
    for (int i = 0; i < 500 && got == 0; i++) {
        got += hits_of(beacon, true);
        if (got == 0)
            usleep(2000);
    }
    cr_assert_eq(got, 1, "the card counted the beacon frame");
}

/*
 * 5,000 counted flows, traffic to three of them. With every firmware
 * command delayed by 300 us, one query per flow (5,000 commands) would take
 * at least 1.5 s; the bulk sweep needs 84 commands, ~30 ms.
 */
Test(pmd_flow_count, query_loop_over_many_flows)
{
    enum { N = 5000, BEACON = N };
    static struct rte_flow *f[N];
    static const struct { unsigned flow, n; } hot[] = {
        { 3, 2 }, { 1234, 5 }, { N - 1, 9 },
    };
    struct rte_flow_error err;
    struct rte_flow *beacon;
    double t0, dt;
    unsigned wrong = 0;

    up("");
    for (unsigned i = 0; i < N; i++)
        f[i] = flow_make(i);
    beacon = flow_make(BEACON);
    for (unsigned k = 0; k < sizeof(hot) / sizeof(hot[0]); k++)
        pmd_send_to(VF, pool, hot[k].flow, hot[k].n);
    settle(BEACON, beacon);
    /* the wait is far longer than the 20 ms default: nothing stale */
    usleep(40000);
    pmd_card_fault(FW_FAULT_DELAY, 0, 300);
    t0 = snic_now_s();
    for (unsigned i = 0; i < N; i++) {
        uint64_t want = 0, hits = ~0ull, bytes = ~0ull;

        for (unsigned k = 0; k < sizeof(hot) / sizeof(hot[0]); k++)
            if (hot[k].flow == i)
                want = hot[k].n;
        cr_assert_eq(query(f[i], false, &hits, &bytes, &err), 0,
                     "query %u: %s", i, err.message ? err.message : "?");
        if (hits != want || bytes != want * PMD_FRAME) {
            cr_expect_fail("flow %u: %lu hits %lu bytes, want %lu and %lu",
                           i, (unsigned long)hits, (unsigned long)bytes,
                           (unsigned long)want,
                           (unsigned long)(want * PMD_FRAME));
            wrong++;
        }
    }
    dt = snic_now_s() - t0;
    pmd_card_fault(FW_FAULT_CLEAR, 0, 0);
    cr_expect_eq(wrong, 0, "every flow's count is exact");
    cr_expect_lt(dt, 0.5, "5,000 queries took %.3f s: not read in bulk", dt);
    /* a reset=1 query is exact and zeroes the cached value */
    cr_expect_eq(hits_of(f[1234], true), 5);
    cr_expect_eq(hits_of(f[1234], false), 0);
    cr_expect_eq(hits_of(f[N - 1], false), 9, "neighbours keep theirs");
    /* destroying flows (slots move) keeps the others' counts right */
    for (unsigned i = 0; i < N; i += 2)
        cr_assert_eq(rte_flow_destroy(PF, f[i], &err), 0);
    usleep(40000);
    cr_expect_eq(hits_of(f[N - 1], false), 9);
    cr_expect_eq(hits_of(f[3], false), 2);
    cr_expect_eq(hits_of(f[1], false), 0);
}

/* With a long interval the cache visibly answers (old value), reset=1
 * still reads the card, and the cache holds the cleared value after it. */
Test(pmd_flow_count, cached_until_stale_reset_exact)
{
    struct rte_flow *a, *b;

    up(",counter_refresh_ms=60000");
    a = flow_make(1);
    b = flow_make(2);
    cr_assert_eq(hits_of(a, false), 0, "first query sweeps: 0");
    pmd_send_to(VF, pool, 1, 4);
    settle(2, b);
    cr_expect_eq(hits_of(a, false), 0, "within 60 s: the swept value");
    cr_expect_eq(hits_of(a, true), 4, "reset=1 reads the card");
    cr_expect_eq(hits_of(a, false), 0, "the cache holds the cleared value");
    pmd_send_to(VF, pool, 1, 3);
    settle(2, b);
    cr_expect_eq(hits_of(a, true), 3, "cleared on the card too");
}

/* A short interval: a query after the wait sees the new traffic. */
Test(pmd_flow_count, stale_cache_is_swept_again)
{
    struct rte_flow *a, *b;

    up(",counter_refresh_ms=50");
    a = flow_make(1);
    b = flow_make(2);
    cr_assert_eq(hits_of(a, false), 0);
    pmd_send_to(VF, pool, 1, 6);
    settle(2, b);
    usleep(60000);
    cr_expect_eq(hits_of(a, false), 6, "swept again after 50 ms");
}

/* counter_refresh_ms=0: every query is a synchronous read, exact at once. */
Test(pmd_flow_count, refresh_zero_reads_synchronously)
{
    struct rte_flow *a, *b;

    up(",counter_refresh_ms=0");
    a = flow_make(1);
    b = flow_make(2);
    cr_assert_eq(hits_of(a, false), 0);
    pmd_send_to(VF, pool, 1, 5);
    settle(2, b);
    cr_expect_eq(hits_of(a, false), 5, "no cache: exact right away");
    cr_expect_eq(hits_of(a, false), 5, "reading does not clear");
}

/* After a firmware reset old flows are lost (EIO), and new flows, which
 * may get the very same counter ids, never see the old cached values. */
Test(pmd_flow_count, firmware_reset_invalidates_cache)
{
    struct rte_flow *a, *b, *a2, *b2;
    struct rte_flow_error err;
    uint64_t h;

    up("");
    a = flow_make(1);
    b = flow_make(2);
    pmd_send_to(VF, pool, 1, 7);
    settle(2, b);
    usleep(40000);
    cr_assert_eq(hits_of(a, false), 7, "cached before the reset");
    pmd_card_fault(FW_FAULT_RESET, 0, 0);
    cr_expect_eq(query(a, false, &h, NULL, &err), -EIO);
    cr_expect(err.message != NULL && strstr(err.message, "firmware reset"),
              "says the flow was lost: %s", err.message);
    a2 = flow_make(1);
    b2 = flow_make(2);
    cr_expect_eq(hits_of(a2, false), 0, "a new counter starts at 0");
    pmd_send_to(VF, pool, 1, 2);
    settle(2, b2);
    usleep(40000);
    cr_expect_eq(hits_of(a2, false), 2, "the new counter counts");
    cr_expect_eq(rte_flow_destroy(PF, a, &err), 0, "lost flow freed");
    cr_expect_eq(rte_flow_destroy(PF, b, &err), 0);
    cr_expect_eq(hits_of(a2, false), 2);
}

/* A dead card: queries fail with EIO as before, cache or not. */
Test(pmd_flow_count, dead_card_is_eio)
{
    struct rte_flow_error err;
    struct rte_flow *a;
    uint64_t h;

    up("");
    a = flow_make(1);
    cr_assert_eq(hits_of(a, false), 0);
    kill(card.pid, SIGKILL);
    waitpid(card.pid, NULL, 0);
    card.pid = 0;
    /* the health alarm notices within 200 ms */
    usleep(400000);
    cr_expect_eq(query(a, false, &h, NULL, &err), -EIO);
    cr_expect(err.message != NULL && strstr(err.message, "not answering"),
              "%s", err.message);
    cr_expect_eq(query(a, true, &h, NULL, &err), -EIO);
}

/* Commands the card has executed so far (QUERY_HEALTH, from a channel of
 * our own; this command itself is counted after it answers). */
static uint64_t
card_commands(void)
{
    return pmd_card_health(NULL).commands;
}

/* Refresh, then drain everything: each flow handed out counted in @seen
 * (by index in @f), its count checked against @want. */
static unsigned
drain_moved(struct rte_flow **f, unsigned n, const uint64_t *want,
            unsigned *seen, unsigned chunk)
{
    struct rte_pmd_emunic_flow_count out[64];
    unsigned total = 0;
    int k;

    cr_assert(chunk <= 64);
    k = rte_pmd_emunic_flow_counts_moved(PF, RTE_PMD_EMUNIC_COUNTS_REFRESH,
                                         out, chunk);
    for (;;) {
        cr_assert_geq(k, 0, "counts_moved: %s", strerror(-k));
        for (int j = 0; j < k; j++) {
            unsigned i = 0;

            while (i < n && f[i] != out[j].flow)
                i++;
            cr_assert_lt(i, n, "handed out a flow that is not ours");
            seen[i]++;
            cr_expect_eq(out[j].hits, want[i], "flow %u: %lu hits, want %lu",
                         i, (unsigned long)out[j].hits,
                         (unsigned long)want[i]);
            cr_expect_eq(out[j].bytes, want[i] * PMD_FRAME);
        }
        total += (unsigned)k;
        if ((unsigned)k < chunk)
            break;
        k = rte_pmd_emunic_flow_counts_moved(PF, 0, out, chunk);
    }
    return total;
}

/*
 * The moved list (rte_pmd_emunic_flow_counts_moved): after traffic to a
 * few of 3,000 flows exactly those are handed out, once, with their
 * counts, in chunks of any size; an idle refresh costs the card one
 * command (a COUNTER_MOVED page) however many flows exist, and hands out
 * nothing; a flow destroyed before the drain is not handed out;
 * rte_flow_query keeps answering exactly.
 */
Test(pmd_flow_count, moved_flows_only_and_idle_costs_one_command)
{
    enum { N = 3000, BEACON = N };
    static struct rte_flow *f[N + 1];
    static uint64_t want[N + 1];
    static unsigned seen[N + 1];
    struct rte_pmd_emunic_flow_count one;
    struct rte_flow_error err;
    uint64_t c0, c1;

    up("");
    for (unsigned i = 0; i < N; i++)
        f[i] = flow_make(i);
    f[BEACON] = flow_make(BEACON);
    /* the first refresh reads every new counter once: all zero, none
     * handed out */
    memset(seen, 0, sizeof(seen));
    cr_expect_eq(drain_moved(f, N + 1, want, seen, 64), 0);
    c0 = card_commands();
    cr_expect_eq(drain_moved(f, N + 1, want, seen, 64), 0);
    c1 = card_commands();
    cr_expect_eq(c1 - c0, 2, "an idle refresh of %u counted flows cost %lu "
                 "commands (1 expected, plus the health query)", N + 1,
                 (unsigned long)(c1 - c0 - 1));

    pmd_send_to(VF, pool, 7, 3);
    pmd_send_to(VF, pool, 2999, 1);
    pmd_send_to(VF, pool, 1500, 5);
    pmd_send_to(VF, pool, 42, 2);
    settle(BEACON, f[BEACON]);
    want[7] = 3;
    want[2999] = 1;
    want[1500] = 5;
    want[42] = 2;
    memset(seen, 0, sizeof(seen));
    cr_expect_eq(drain_moved(f, N + 1, want, seen, 3), 4);
    for (unsigned i = 0; i <= N; i++)
        cr_expect_eq(seen[i], want[i] != 0 ? 1 : 0, "flow %u handed out %u "
                     "times", i, seen[i]);
    memset(seen, 0, sizeof(seen));
    cr_expect_eq(drain_moved(f, N + 1, want, seen, 64), 0, "once per change");
    cr_expect_eq(hits_of(f[1500], false), 5, "rte_flow_query agrees");

    /* a change, then the flow goes before anyone drains it */
    pmd_send_to(VF, pool, 42, 1);
    settle(BEACON, f[BEACON]);
    cr_assert_eq(rte_pmd_emunic_flow_counts_moved(
                     PF, RTE_PMD_EMUNIC_COUNTS_REFRESH, NULL, 0), 0);
    cr_assert_eq(rte_flow_destroy(PF, f[42], &err), 0);
    f[42] = NULL;
    cr_expect_eq(rte_pmd_emunic_flow_counts_moved(PF, 0, &one, 1), 0,
                 "a destroyed flow is not handed out");
    /* more traffic: the new count, once */
    pmd_send_to(VF, pool, 7, 4);
    settle(BEACON, f[BEACON]);
    want[7] = 7;
    memset(seen, 0, sizeof(seen));
    cr_expect_eq(drain_moved(f, N + 1, want, seen, 64), 1);
    cr_expect_eq(seen[7], 1);

    cr_expect_eq(rte_pmd_emunic_flow_counts_moved(PF, 2, &one, 1), -EINVAL);
    cr_expect_eq(rte_pmd_emunic_flow_counts_moved(PF, 0, NULL, 1), -EINVAL);
    cr_expect_eq(rte_pmd_emunic_flow_counts_moved(VF, 0, &one, 1), -ENOTSUP,
                 "a VF port has no steering counters");
    cr_expect_eq(rte_pmd_emunic_flow_counts_moved(RTE_MAX_ETHPORTS - 1, 0,
                                                  &one, 1), -ENODEV);
}

/* Counters on the card but no counted flow yet (a flow queue's pool is
 * allocated at configure): a refresh lists them and hands out nothing. */
Test(pmd_flow_count, moved_before_any_counted_flow)
{
    const struct rte_flow_port_attr pattr = { .nb_counters = 300 };
    const struct rte_flow_queue_attr qattr = { .size = 64 };
    const struct rte_flow_queue_attr *qa[] = { &qattr };
    struct rte_pmd_emunic_flow_count out[4];
    struct rte_flow_error err;
    struct rte_eth_conf conf;

    up("");
    memset(&conf, 0, sizeof(conf));
    cr_assert_eq(rte_eth_dev_configure(PF, 1, 1, &conf), 0);
    cr_assert_eq(rte_flow_configure(PF, &pattr, 1, qa, &err), 0,
                 "configure: %s", err.message ? err.message : "?");
    cr_expect_eq(rte_pmd_emunic_flow_counts_moved(
                     PF, RTE_PMD_EMUNIC_COUNTS_REFRESH, out, 4), 0);
    cr_expect_eq(rte_pmd_emunic_flow_counts_moved(
                     PF, RTE_PMD_EMUNIC_COUNTS_REFRESH, out, 4), 0);
}

/*
 * A sweep reads the slots added since the last one by id, from where the
 * fresh ones start (not every slot: a sweep during a bulk load of a
 * million rules would scan them all), kept together at the end: a destroy
 * among the slots read moves the last of those into its hole and the last
 * slot (a fresh one) into that one's place. Both moved flows still count
 * exactly, through the cache and through the moved list.
 */
Test(pmd_flow_count, fresh_slot_moved_by_a_destroy_counts)
{
    enum { N = 100, BEACON = N + 2 };
    static struct rte_flow *f[N];
    struct rte_pmd_emunic_flow_count out[8];
    struct rte_flow_error err;
    struct rte_flow *g, *beacon;
    int k;

    up(",counter_refresh_ms=50");
    for (unsigned i = 0; i < N; i++)
        f[i] = flow_make(i);
    beacon = flow_make(BEACON);
    cr_assert_eq(hits_of(f[0], false), 0, "the first query sweeps");
    cr_assert_geq(rte_pmd_emunic_flow_counts_moved(
                      PF, RTE_PMD_EMUNIC_COUNTS_REFRESH, out, 8), 0);
    /* one more flow (the last slot, never read), then a destroy of flow
     * 10 moves the beacon (the last slot read) there and the new flow
     * into the beacon's place */
    g = flow_make(N + 1);
    cr_assert_eq(rte_flow_destroy(PF, f[10], &err), 0);
    f[10] = NULL;
    pmd_send_to(VF, pool, N + 1, 3);
    settle(BEACON, beacon);
    usleep(60000);
    cr_expect_eq(hits_of(g, false), 3, "the moved fresh slot's count");
    cr_expect_eq(hits_of(f[11], false), 0, "its neighbour's");
    cr_expect_eq(hits_of(f[9], false), 0);
    pmd_send_to(VF, pool, N + 1, 2);
    settle(BEACON, beacon);
    k = rte_pmd_emunic_flow_counts_moved(PF, RTE_PMD_EMUNIC_COUNTS_REFRESH,
                                         out, 8);
    cr_assert_eq(k, 1, "only its flow moved (%d handed out)", k);
    cr_expect_eq(out[0].flow, g);
    cr_expect_eq(out[0].hits, 5);
}

/* A flow queue's rule for flow @i (COUNT, DROP; a template table of its
 * own), created, pushed and pulled: the first push that needs a counter
 * takes the flow queue's whole pool on the card. */
static struct rte_flow *
queue_flow_make(unsigned i)
{
    struct pmd_mac_table t;
    struct rte_flow_op_result res;
    struct rte_flow_error err;
    struct rte_flow *f;
    uint8_t mac[6];
    int got = 0;

    pmd_flow_mac(i, mac);
    pmd_mac_table(PF, 64, &t);
    f = pmd_mac_enqueue(PF, 0, t.table, mac, false, NULL, &err);
    cr_assert_not_null(f, "enqueue: %s", err.message ? err.message : "?");
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    for (int tries = 0; got == 0 && tries < 1000; tries++) {
        got = rte_flow_pull(PF, 0, &res, 1, &err);
        cr_assert_geq(got, 0, "pull: %s", err.message ? err.message : "?");
    }
    cr_assert_eq(got, 1, "the queue's rule came back");
    cr_assert_eq(res.status, RTE_FLOW_OP_SUCCESS, "the queue's rule made");
    return f;
}

/* The PF with a flow queue and a pool of 20,000 counters (taken on the
 * card by the first push that needs one). */
static void
up_with_pool(void)
{
    const struct rte_flow_port_attr pattr = { .nb_counters = 20000 };
    const struct rte_flow_queue_attr qattr = { .size = 64 };
    const struct rte_flow_queue_attr *qa[] = { &qattr };
    struct rte_flow_error err;
    struct rte_eth_conf conf;

    up("");
    memset(&conf, 0, sizeof(conf));
    cr_assert_eq(rte_eth_dev_configure(PF, 1, 1, &conf), 0);
    cr_assert_eq(rte_flow_configure(PF, &pattr, 1, qa, &err), 0,
                 "configure: %s", err.message ? err.message : "?");
}

enum { POOL_FLOWS = 100 };
static struct rte_flow *pool_f[POOL_FLOWS + 1];

/* POOL_FLOWS counted flows made with rte_flow_create, refreshed once
 * first when @refresh_first; then a flow queue's rule (which takes the
 * pool), three frames to flow 7, and a refresh: flow 7 alone moved, with
 * its count. Returns the commands that refresh cost, the health query
 * that counts them left out. */
static uint64_t
pool_refresh_cost(bool refresh_first)
{
    static uint64_t want[POOL_FLOWS + 1];
    static unsigned seen[POOL_FLOWS + 1];
    uint64_t c0;

    up_with_pool();
    for (unsigned i = 0; i < POOL_FLOWS; i++)
        pool_f[i] = flow_make(i);
    if (refresh_first)
        cr_expect_eq(drain_moved(pool_f, POOL_FLOWS, want, seen, 64), 0,
                     "nothing moved yet");
    pool_f[POOL_FLOWS] = queue_flow_make(POOL_FLOWS);
    pmd_send_to(VF, pool, 7, 3);
    settle(POOL_FLOWS - 1, pool_f[POOL_FLOWS - 1]);
    want[7] = 3;
    memset(seen, 0, sizeof(seen));
    c0 = card_commands();
    cr_expect_eq(drain_moved(pool_f, POOL_FLOWS + 1, want, seen, 64), 1);
    cr_expect_eq(seen[7], 1);
    return card_commands() - c0 - 1;
}

/*
 * The first refresh with a flow queue's pool on the card: a walk from
 * epoch 0 would list every counter the card holds allocated (20,000 pool
 * counters, 41 a page: ~490 commands). It takes an epoch from a
 * one-counter walk and reads the counted flows by id instead: a few
 * commands, and the flows' counts are right.
 */
Test(pmd_flow_count, first_refresh_does_not_list_the_pool)
{
    uint64_t n = pool_refresh_cost(false);

    /* the epoch, then (POOL_FLOWS + 1) / 60 reads by id */
    cr_expect_leq(n, 1 + (POOL_FLOWS + 60) / 60, "the first refresh cost "
                  "%lu commands with 20,000 pool counters on the card",
                  (unsigned long)n);
}

/*
 * The same when the pool is taken after the epoch (snicd reads counters
 * before its first flow goes through the flow queue): every id of the pool
 * is stamped with the epoch its allocation came in, and a walk from there
 * listed them all. The allocation starts a new epoch instead.
 */
Test(pmd_flow_count, pool_taken_after_the_epoch_is_not_listed)
{
    uint64_t n = pool_refresh_cost(true);

    cr_expect_leq(n, 1 + (POOL_FLOWS + 60) / 60, "the refresh after the "
                  "pool was taken cost %lu commands", (unsigned long)n);
}
