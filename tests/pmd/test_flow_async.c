/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic's template/async API against a running emunic, in process:
 * results in enqueue order with their user data, a full flow queue
 * (EAGAIN, nothing changed), a refusal by the card inside a batch (an
 * injected RULE_ADD fault: that rule fails, the others stand), a handle
 * owned by a queued operation (EBUSY for both paths), a reconfigure while
 * templates exist, a firmware reset between create and destroy, a dead
 * card (the batch fails, templates and tables can still be destroyed),
 * two queues whose completions another channel user reaps, and a port
 * closed with operations still queued or in flight.
 *
 * The card's own count of rules (QUERY_HEALTH through a channel of the
 * test's) is the truth. Needs EMUNIC in the environment.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "snic_eal_dir.h"

#include "pmd_test_emunic.h"

#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

#define PF      0

static struct rte_mempool *pool;
static struct rte_flow_pattern_template *pt;
static struct rte_flow_actions_template *at;
static struct rte_flow_template_table *table;

static void
up_queues_args(const char *pf_args, uint16_t nb_queues, uint32_t qsize,
               uint32_t nb_counters)
{
    const struct rte_flow_port_attr pattr = { .nb_counters = nb_counters };
    const struct rte_flow_queue_attr qattr = { .size = qsize };
    const struct rte_flow_queue_attr *qa[] = { &qattr, &qattr };
    struct pmd_mac_table t;
    struct rte_flow_error err;

    emu_start("flowa");
    pmd_eal_up("flowa", pf_args, false, "critical", false);
    pool = rte_pktmbuf_pool_create("flowa", 512, 0, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    cr_assert_not_null(pool);
    pmd_port_setup(PF, pool, 64);
    cr_assert(nb_queues <= 2);
    cr_assert_eq(rte_flow_configure(PF, &pattr, nb_queues, qa, &err), 0,
                 "configure: %s", err.message ? err.message : "?");
    cr_assert_eq(rte_eth_dev_start(PF), 0);
    pmd_mac_table(PF, 1024, &t);
    pt = t.pt;
    at = t.at;
    table = t.table;
}

static void
up_queues(uint16_t nb_queues, uint32_t qsize, uint32_t nb_counters)
{
    up_queues_args("", nb_queues, qsize, nb_counters);
}

static void
up(uint32_t qsize, uint32_t nb_counters)
{
    up_queues(1, qsize, nb_counters);
}

TestSuite(pmd_flow_async, .fini = pmd_down, .timeout = 30);

/* Enqueue on flow queue @q the rule for dst MAC 02:00:00:00:00:@i, any
 * source port. */
static struct rte_flow *
enqueue_on(uint32_t q, unsigned i, bool postpone, struct rte_flow_error *err)
{
    const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, (uint8_t)i };

    return pmd_mac_enqueue(PF, q, table, mac, postpone,
                           (void *)(uintptr_t)(0x100 + i), err);
}

static struct rte_flow *
enqueue(unsigned i, bool postpone, struct rte_flow_error *err)
{
    return enqueue_on(0, i, postpone, err);
}

/* Pull exactly @n results of queue @q into @res (the card answers in
 * microseconds). */
static void
pull_n_on(uint32_t q, struct rte_flow_op_result *res, unsigned n)
{
    struct rte_flow_error err;
    unsigned got = 0;

    for (int tries = 0; got < n && tries < 1000; tries++) {
        int r = rte_flow_pull(PF, q, res + got, (uint16_t)(n - got), &err);

        cr_assert(r >= 0, "pull: %s", err.message ? err.message : "?");
        got += (unsigned)r;
    }
    cr_assert_eq(got, n, "pulled %u of %u results", got, n);
}

static void
pull_n(struct rte_flow_op_result *res, unsigned n)
{
    pull_n_on(0, res, n);
}

static void
destroy_all(struct rte_flow **f, unsigned n)
{
    const struct rte_flow_op_attr later = { .postpone = 1 };
    struct rte_flow_op_result res[64];
    struct rte_flow_error err;

    for (unsigned i = 0; i < n; i++)
        cr_assert_eq(rte_flow_async_destroy(PF, 0, &later, f[i],
                                            (void *)(uintptr_t)i, &err), 0,
                     "destroy %u: %s", i, err.message ? err.message : "?");
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    pull_n(res, n);
    for (unsigned i = 0; i < n; i++)
        cr_expect_eq(res[i].status, RTE_FLOW_OP_SUCCESS);
}

Test(pmd_flow_async, results_in_order_with_user_data)
{
    struct rte_flow_op_result res[8];
    struct rte_flow_error err;
    struct rte_flow *f[5];

    up(8, 16);
    for (unsigned i = 0; i < 5; i++) {
        f[i] = enqueue(i, true, &err);
        cr_assert_not_null(f[i], "enqueue %u: %s", i, err.message);
    }
    cr_expect_eq(pmd_card_rules(), 0, "postponed: nothing in the card yet");
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    pull_n(res, 2);
    pull_n(res + 2, 3);
    for (unsigned i = 0; i < 5; i++) {
        cr_expect_eq(res[i].status, RTE_FLOW_OP_SUCCESS, "op %u", i);
        cr_expect_eq((uintptr_t)res[i].user_data, 0x100 + i,
                     "op %u: its own user data, in enqueue order", i);
    }
    cr_expect_eq(rte_flow_pull(PF, 0, res, 8, &err), 0, "nothing more");
    cr_expect_eq(pmd_card_rules(), 5);
    destroy_all(f, 5);
    cr_expect_eq(pmd_card_rules(), 0);
}

/* pull_wait=0: a pull before the card answered returns nothing, and the
 * results come, in order, to an application that keeps pulling. With the
 * default, the same first pull waits for the oldest answer. */
static unsigned
first_pull_then_poll(const char *pf_args, struct rte_flow_op_result *res,
                     unsigned n)
{
    struct rte_flow_error err;
    unsigned got, first;
    int r;

    up_queues_args(pf_args, 1, 8, 16);
    /* every command the card executes from now on takes 20 ms */
    pmd_card_fault(FW_FAULT_DELAY, 0, 20000);
    for (unsigned i = 0; i < n; i++)
        cr_assert_not_null(enqueue(i, true, &err), "enqueue %u: %s", i,
                           err.message ? err.message : "?");
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    r = rte_flow_pull(PF, 0, res, (uint16_t)n, &err);
    cr_assert(r >= 0, "pull: %s", err.message ? err.message : "?");
    first = got = (unsigned)r;
    for (unsigned polls = 0; got < n && polls < 100000000u; polls++) {
        r = rte_flow_pull(PF, 0, res + got, (uint16_t)(n - got), &err);
        cr_assert(r >= 0, "pull: %s", err.message ? err.message : "?");
        got += (unsigned)r;
    }
    cr_assert_eq(got, n, "pulled %u of %u results", got, n);
    for (unsigned i = 0; i < n; i++) {
        cr_expect_eq(res[i].status, RTE_FLOW_OP_SUCCESS, "op %u", i);
        cr_expect_eq((uintptr_t)res[i].user_data, 0x100 + i, "op %u", i);
    }
    pmd_card_fault(FW_FAULT_DELAY, 0, 0);
    cr_expect_eq(pmd_card_rules(), n);
    return first;
}

Test(pmd_flow_async, pull_wait_0_never_waits_for_the_card)
{
    struct rte_flow_op_result res[4];

    cr_expect_eq(first_pull_then_poll(",pull_wait=0", res, 4), 0,
                 "the pull right after the push waited for the card");
}

Test(pmd_flow_async, pull_waits_for_the_oldest_answer_by_default)
{
    struct rte_flow_op_result res[4];

    cr_expect_geq(first_pull_then_poll("", res, 4), 1,
                  "the pull right after the push returned nothing");
}

Test(pmd_flow_async, full_queue_is_eagain_and_changes_nothing)
{
    const struct rte_flow_op_attr later = { .postpone = 1 };
    struct rte_flow_op_result res[4];
    struct rte_flow_error err;
    struct rte_flow *f[4], *extra;

    up(4, 16);
    for (unsigned i = 0; i < 4; i++)
        cr_assert_not_null(f[i] = enqueue(i, true, &err));
    memset(&err, 0, sizeof(err));
    extra = enqueue(9, true, &err);
    cr_expect_null(extra);
    cr_expect_eq(rte_errno, EAGAIN, "rte_errno %d", rte_errno);
    cr_expect(err.message != NULL && strstr(err.message, "is full") != NULL,
              "message: %s", err.message ? err.message : "(none)");
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    /* pushed but not pulled: the slots are still taken */
    cr_expect_null(enqueue(9, true, &err));
    cr_expect_eq(rte_flow_async_destroy(PF, 0, &later, f[0], NULL, &err),
                 -EAGAIN);
    pull_n(res, 4);
    cr_expect_eq(pmd_card_rules(), 4, "the refused enqueue added nothing");
    destroy_all(f, 4);
}

Test(pmd_flow_async, card_refusal_inside_a_batch_fails_alone)
{
    struct rte_flow_op_result res[6];
    struct rte_flow_error err;
    struct rte_flow *f[6];

    up(16, 16);
    for (unsigned i = 0; i < 2; i++)
        cr_assert_not_null(f[i] = enqueue(i, false, &err));
    pull_n(res, 2);
    /* the next RULE_ADD the card sees fails: the first of the batch */
    pmd_card_fault(FW_FAULT_FAIL_NEXT, FW_CMD_RULE_ADD, 0);
    for (unsigned i = 2; i < 6; i++)
        cr_assert_not_null(f[i] = enqueue(i, true, &err));
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    pull_n(res, 4);
    cr_expect_eq(res[0].status, RTE_FLOW_OP_ERROR, "the refused rule");
    cr_expect_eq((uintptr_t)res[0].user_data, 0x102);
    for (unsigned i = 1; i < 4; i++)
        cr_expect_eq(res[i].status, RTE_FLOW_OP_SUCCESS, "rule %u", i + 2);
    cr_expect_eq(pmd_card_rules(), 5, "2 before, 3 of the batch");
    /* the failed rule's handle is gone: both paths refuse it */
    cr_expect_neq(rte_flow_destroy(PF, f[2], &err), 0);
    f[2] = f[5];
    destroy_all(f, 5);
    cr_expect_eq(pmd_card_rules(), 0);
}

Test(pmd_flow_async, queued_operation_owns_the_handle)
{
    const struct rte_flow_op_attr later = { .postpone = 1 };
    const struct rte_flow_port_attr pattr = { 0 };
    const struct rte_flow_queue_attr qattr = { .size = 8 };
    const struct rte_flow_queue_attr *qa[] = { &qattr };
    struct rte_flow_op_result res[2];
    struct rte_flow_error err;
    struct rte_flow *f;

    up(8, 16);
    cr_assert_not_null(f = enqueue(1, true, &err));
    cr_expect_eq(rte_flow_destroy(PF, f, &err), -EBUSY, "sync destroy");
    cr_expect_eq(rte_flow_async_destroy(PF, 0, &later, f, NULL, &err),
                 -EBUSY, "async destroy before the create is pulled");
    cr_expect_eq(rte_flow_flush(PF, &err), -EBUSY, "flush");
    /* ethdev configures flow queues on a stopped port only */
    cr_assert_eq(rte_eth_dev_stop(PF), 0);
    cr_expect_eq(rte_flow_configure(PF, &pattr, 1, qa, &err), -EBUSY,
                 "configure again while templates and rules exist");
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    pull_n(res, 1);
    cr_expect_eq(res[0].status, RTE_FLOW_OP_SUCCESS);
    /* now the application's: the sync path destroys it */
    cr_expect_eq(rte_flow_destroy(PF, f, &err), 0, "%s",
                 err.message ? err.message : "");
    cr_expect_eq(pmd_card_rules(), 0);
    cr_expect_eq(rte_flow_template_table_destroy(PF, table, &err), 0);
    cr_expect_eq(rte_flow_actions_template_destroy(PF, at, &err), 0);
    cr_expect_eq(rte_flow_pattern_template_destroy(PF, pt, &err), 0);
    cr_expect_eq(rte_flow_configure(PF, &pattr, 1, qa, &err), 0,
                 "configure again once nothing uses the queues: %s",
                 err.message ? err.message : "");
}

Test(pmd_flow_async, firmware_reset_between_create_and_destroy)
{
    struct rte_flow_op_result res[2];
    struct rte_flow_query_count qc;
    const struct rte_flow_action count = {
        .type = RTE_FLOW_ACTION_TYPE_COUNT,
    };
    struct rte_flow_error err;
    struct rte_flow *f[2];

    up(8, 16);
    cr_assert_not_null(f[0] = enqueue(1, false, &err));
    pull_n(res, 1);
    cr_expect_eq(res[0].status, RTE_FLOW_OP_SUCCESS);
    pmd_card_fault(FW_FAULT_RESET, 0, 0);
    /* the pool went with the reset: the next push allocates it anew */
    cr_assert_not_null(f[1] = enqueue(2, false, &err));
    pull_n(res, 1);
    cr_expect_eq(res[0].status, RTE_FLOW_OP_SUCCESS, "a rule after the reset");
    memset(&qc, 0, sizeof(qc));
    cr_expect_eq(rte_flow_query(PF, f[1], &count, &qc, &err), 0, "%s",
                 err.message ? err.message : "");
    cr_expect_eq(qc.hits, 0);
    cr_expect_neq(rte_flow_query(PF, f[0], &count, &qc, &err), 0,
                  "the lost rule's counter");
    cr_expect_eq(pmd_card_rules(), 1);
    destroy_all(f, 2);
    cr_expect_eq(pmd_card_rules(), 0);
}

Test(pmd_flow_async, dead_card_fails_the_batch)
{
    struct rte_flow_op_result res[3];
    struct rte_flow_error err;
    struct rte_flow *f[3];

    up(8, 16);
    for (unsigned i = 0; i < 3; i++)
        cr_assert_not_null(f[i] = enqueue(i, true, &err));
    kill(card.pid, SIGKILL);
    waitpid(card.pid, NULL, 0);
    card.pid = 0;
    /* push may still post into the shared region before the hang-up is
     * seen; then pull finds the card gone */
    int r = rte_flow_push(PF, 0, &err);

    cr_expect(r == 0 || r == -EIO, "push: %d", r);
    pull_n(res, 3);
    for (unsigned i = 0; i < 3; i++)
        cr_expect_eq(res[i].status, RTE_FLOW_OP_ERROR, "op %u", i);
    /* the application can still clean up what holds no rule */
    cr_expect_eq(rte_flow_template_table_destroy(PF, table, &err), 0, "%s",
                 err.message ? err.message : "");
    cr_expect_eq(rte_flow_actions_template_destroy(PF, at, &err), 0);
    cr_expect_eq(rte_flow_pattern_template_destroy(PF, pt, &err), 0);
    cr_expect_null(rte_flow_pattern_template_create(PF,
                   &(const struct rte_flow_pattern_template_attr){
                       .transfer = 1 },
                   (const struct rte_flow_item[]){
                       { .type = RTE_FLOW_ITEM_TYPE_END } }, &err),
                   "but makes nothing new on a dead card");
    cr_expect_eq(rte_errno, EIO);
}

/* Closing the port with operations queued (never pushed) and pushed (not
 * pulled): nothing leaks (ASan), and the rules the card made are deleted
 * by the close's flush. */
Test(pmd_flow_async, close_with_operations_outstanding)
{
    struct rte_flow_error err;

    up(16, 16);
    for (unsigned i = 0; i < 3; i++)
        cr_assert_not_null(enqueue(i, false, &err));
    for (unsigned i = 3; i < 6; i++)
        cr_assert_not_null(enqueue(i, true, &err));
    rte_eth_dev_stop(PF);
    cr_expect_eq(rte_eth_dev_close(PF), 0);
    cr_expect_eq(pmd_card_rules(), 0, "the card holds none of them");
}

/* Two queues, and sync calls between push and pull: whoever uses the
 * channel first reaps every flow queue command in it into its operation;
 * each queue's pull still reports exactly its own, in its order. */
Test(pmd_flow_async, completions_reach_their_own_queue)
{
    const struct rte_flow_action count = {
        .type = RTE_FLOW_ACTION_TYPE_COUNT,
    };
    struct rte_flow_op_result r0[4], r1[4];
    struct rte_flow_query_count qc;
    struct rte_flow_error err;
    struct rte_flow *f[8];

    up_queues(2, 8, 16);
    cr_assert_not_null(f[0] = enqueue_on(0, 0, false, &err));
    pull_n_on(0, r0, 1);
    for (unsigned i = 1; i < 4; i++)
        cr_assert_not_null(f[i] = enqueue_on(0, i, true, &err));
    for (unsigned i = 4; i < 8; i++)
        cr_assert_not_null(f[i] = enqueue_on(1, i, true, &err));
    cr_assert_eq(rte_flow_push(PF, 1, &err), 0);
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    /* a sync query (a counter read) while both batches are in the card */
    memset(&qc, 0, sizeof(qc));
    cr_expect_eq(rte_flow_query(PF, f[0], &count, &qc, &err), 0, "%s",
                 err.message ? err.message : "");
    /* queue 1 first: its results, its user data, its order */
    pull_n_on(1, r1, 4);
    for (unsigned i = 0; i < 4; i++) {
        cr_expect_eq(r1[i].status, RTE_FLOW_OP_SUCCESS);
        cr_expect_eq((uintptr_t)r1[i].user_data, 0x104 + i);
    }
    pull_n_on(0, r0, 3);
    for (unsigned i = 0; i < 3; i++) {
        cr_expect_eq(r0[i].status, RTE_FLOW_OP_SUCCESS);
        cr_expect_eq((uintptr_t)r0[i].user_data, 0x101 + i);
    }
    cr_expect_eq(rte_flow_pull(PF, 1, r1, 4, &err), 0);
    cr_expect_eq(pmd_card_rules(), 8);
    /* a sync create between the push of a destroy and its pull */
    cr_assert_eq(rte_flow_async_destroy(PF, 1, NULL, f[4], NULL, &err), 0);
    cr_expect_eq(rte_flow_flush(PF, &err), -EBUSY,
                 "flush while a destroy is in the card");
    /* postpone 0: the card deleted it already; the flush deleted nothing */
    cr_expect_eq(pmd_card_rules(), 7, "the refused flush deleted nothing");
    pull_n_on(1, r1, 1);
    cr_expect_eq(r1[0].status, RTE_FLOW_OP_SUCCESS);
    cr_expect_eq(rte_flow_flush(PF, &err), 0, "%s",
                 err.message ? err.message : "");
    cr_expect_eq(pmd_card_rules(), 0);
}

/* Lines of @text holding @needle. */
static unsigned
lines_with(const char *text, const char *needle)
{
    unsigned n = 0;

    for (const char *at = text; (at = strstr(at, needle)) != NULL;
         at += strlen(needle))
        n++;
    return n;
}

/*
 * rte_flow_configure sizes the counter pool and asks nothing of the card:
 * an application configures its flow engine before it starts its ports,
 * and a million ids are a thousand COUNTER_ALLOC commands in the way of its
 * traffic (snicd's restart). The first push that needs a counter takes the
 * pool's ids from the card, range by range, and the rule gets one.
 */
Test(pmd_flow_async, counter_pool_taken_at_the_first_push)
{
    enum { RANGES = 64 };
    struct rte_flow_op_result res[1];
    struct rte_flow_error err;
    struct rte_flow *f;
    uint64_t c0, c1;

    up(16, RANGES * 1024);
    c0 = pmd_card_health(NULL).commands;
    cr_assert_not_null(f = enqueue(0, true, &err), "enqueue: %s",
                       err.message ? err.message : "?");
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    pull_n(res, 1);
    cr_expect_eq(res[0].status, RTE_FLOW_OP_SUCCESS, "the rule got a counter");
    c1 = pmd_card_health(NULL).commands;
    /* the health query counts itself, the rule is one RULE_ADD */
    cr_expect_geq(c1 - c0, RANGES + 2, "the first push allocated the pool's "
                  "%u ranges, configure did not (%lu commands since)",
                  RANGES, (unsigned long)(c1 - c0));
    cr_expect_eq(pmd_card_rules(), 1);
    destroy_all(&f, 1);
}

/* A card that refuses the deferred allocation: the push's counted rules
 * fail alone, with one line saying why, and nothing is left on the card. */
Test(pmd_flow_async, refused_counter_pool_fails_the_counted_rules)
{
    struct rte_flow_op_result res[2];
    struct rte_flow_error err;
    struct rte_flow *f[2];
    char *buf = NULL;
    size_t len = 0;
    FILE *log;

    up(16, 4 * 1024);
    pmd_card_fault(FW_FAULT_FAIL_NEXT, FW_CMD_COUNTER_ALLOC, 0);
    log = open_memstream(&buf, &len);
    cr_assert_not_null(log);
    cr_assert_eq(rte_openlog_stream(log), 0);
    rte_log_set_level_pattern("pmd.net.emunic*", RTE_LOG_ERR);
    for (unsigned i = 0; i < 2; i++)
        cr_assert_not_null(f[i] = enqueue(i, true, &err));
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    pull_n(res, 2);
    rte_openlog_stream(NULL);
    fclose(log);
    cr_expect_eq(res[0].status, RTE_FLOW_OP_ERROR);
    cr_expect_eq(res[1].status, RTE_FLOW_OP_ERROR);
    cr_expect_eq(pmd_card_rules(), 0, "nothing added");
    cr_expect(strstr(buf, "counter pool: nb_counters 4096: the card did not "
                     "allocate them") != NULL, "the refusal said:\n%s", buf);
    free(buf);
}

/*
 * The counter pool used up inside a batch: every rule past it fails alone
 * (the others stand), and the driver logs one line for them all, not one
 * per rule (a batch of a million into a used-up pool wrote a million).
 */
Test(pmd_flow_async, used_up_pool_fails_alone_and_logs_once)
{
    enum { N = 12 };
    struct rte_flow_op_result res[N];
    struct rte_flow_error err;
    struct rte_flow *f[N], *kept[N];
    unsigned n_kept = 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *log;

    up(16, 4);
    log = open_memstream(&buf, &len);
    cr_assert_not_null(log);
    cr_assert_eq(rte_openlog_stream(log), 0);
    rte_log_set_level_pattern("pmd.net.emunic*", RTE_LOG_ERR);
    for (unsigned i = 0; i < N; i++)
        cr_assert_not_null(f[i] = enqueue(i, true, &err), "enqueue %u: %s",
                           i, err.message ? err.message : "?");
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    pull_n(res, N);
    rte_openlog_stream(NULL);
    fclose(log);
    for (unsigned i = 0; i < N; i++)
        if (res[i].status == RTE_FLOW_OP_SUCCESS)
            kept[n_kept++] = f[i];
    cr_expect_geq(n_kept, 4, "the pool's counters went to rules");
    cr_assert_leq(n_kept, N - 2, "at least two rules found the pool used up");
    cr_expect_eq(pmd_card_rules(), n_kept, "the refused rules added nothing");
    cr_expect_eq(lines_with(buf, "is used up"), 1, "%u refusals logged %u "
                 "times:\n%s", N - n_kept, lines_with(buf, "is used up"), buf);
    free(buf);
    destroy_all(kept, n_kept);
}
