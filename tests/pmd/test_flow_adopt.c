/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keep_rules=1: a driver instance that goes away (SIGKILL, or a clean
 * close) leaves its rules in the card, and the next one adopts those it
 * asks for again, against a running emunic.
 *
 * Each test plays two driver instances: an earlier one in a child process
 * (its own EAL) that creates rules, counts frames through them and dies
 * or closes; then this process, which probes with keep_rules=1 and
 * creates rules again. The card's own figures (QUERY_HEALTH: rules now,
 * rules added and deleted since it started) say whether a rule was
 * adopted or added. Needs EMUNIC in the environment.
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
#include "snic/rte_pmd_emunic.h"

#define PF      0       /* net_emunic0: the PF (eSwitch manager) */
#define VF      1       /* net_emunic1: VF 0, the VM side */
#define NFLOWS  8u
#define EMUNIC_POOL_CHUNK 1024u    /* COUNTER_ALLOC ranges of a pool */

static struct rte_mempool *pool;

/* EAL with the PF (devargs @pf_extra appended) and VF 0, started. 0, or
 * -1 when the probe refused the devargs (@may_fail). */
static int
eal_up(const char *tag, const char *pf_extra, bool may_fail)
{
    char prefix[16];
    int n;

    snprintf(prefix, sizeof(prefix), "adopt%s", tag);
    n = pmd_eal_up(prefix, pf_extra, true, "critical", may_fail);
    if (n != 2) {
        if (may_fail)
            return -1;
        cr_assert_fail("PF and VF probed");
    }
    pool = rte_pktmbuf_pool_create("adopt", 1024, 0, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    cr_assert_not_null(pool);
    for (uint16_t p = PF; p <= VF; p++)
        pmd_port_start(p, pool, 256);
    return 0;
}

/* The runtime folder of a child's EAL (prefix "adopt" @tag PID): a child
 * killed, or whose probe failed, could not remove it. */
static void
child_dir_remove(const char *tag, pid_t pid)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char dir[256];

    if (getuid() == 0)
        snprintf(dir, sizeof(dir), "/var/run/dpdk/adopt%s%d", tag, (int)pid);
    else
        snprintf(dir, sizeof(dir), "%s/dpdk/adopt%s%d",
                 xdg != NULL ? xdg : "/tmp", tag, (int)pid);
    (void)snic_eal_dir_remove(dir);
}

TestSuite(pmd_flow_adopt, .fini = pmd_down, .timeout = 60);

/* Transfer rule on the PF: dst MAC of flow @i, any source port -> COUNT,
 * then DROP (@mark 0) or MARK @mark and the PF's representor queue. NULL
 * with @err when refused. */
static struct rte_flow *
flow_try(unsigned i, uint32_t mark, struct rte_flow_error *err)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_eth spec, mask;
    struct rte_flow_item_ethdev any_port = { .port_id = 0 };
    struct rte_flow_action_count cnt = { .id = 0 };
    struct rte_flow_action_mark mk = { .id = mark };
    struct rte_flow_action_ethdev to_pf = { .port_id = PF };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = &any_port,
          .mask = &any_port },
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &spec, .mask = &mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action drop[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT, .conf = &cnt },
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_action marked[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT, .conf = &cnt },
        { .type = RTE_FLOW_ACTION_TYPE_MARK, .conf = &mk },
        { .type = RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR, .conf = &to_pf },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };

    memset(&spec, 0, sizeof(spec));
    memset(&mask, 0, sizeof(mask));
    memset(mask.hdr.dst_addr.addr_bytes, 0xff, 6);
    pmd_flow_mac(i, spec.hdr.dst_addr.addr_bytes);
    memset(err, 0, sizeof(*err));
    return rte_flow_create(PF, &attr, items, mark ? marked : drop, err);
}

static struct rte_flow *
flow_make(unsigned i, uint32_t mark)
{
    struct rte_flow_error err;
    struct rte_flow *f = flow_try(i, mark, &err);

    cr_assert_not_null(f, "create flow %u: %s", i,
                       err.message ? err.message : "?");
    return f;
}

/* Flow @f's hit count once it reached at least @want (the card works on
 * its own thread): exact, read and not cleared. */
static uint64_t
hits_reach(struct rte_flow *f, uint64_t want)
{
    static const struct rte_flow_action count = {
        .type = RTE_FLOW_ACTION_TYPE_COUNT,
    };
    struct rte_flow_query_count qc;
    struct rte_flow_error err;

    for (int tries = 0; tries < 200; tries++) {
        memset(&qc, 0, sizeof(qc));
        cr_assert_eq(rte_flow_query(PF, f, &count, &qc, &err), 0,
                     "query: %s", err.message ? err.message : "?");
        if (qc.hits >= want)
            break;
        usleep(10000);
    }
    return qc.hits;
}

static struct rte_pmd_emunic_orphans
orphans(void)
{
    struct rte_pmd_emunic_orphans o;

    memset(&o, 0, sizeof(o));
    cr_assert_eq(rte_pmd_emunic_orphans_get(PF, &o), 0);
    return o;
}

enum end_how { END_KILL, END_CLOSE };

/* The mark earlier_marked() gives flow @i. */
#define EARLIER_MARK(i)     (100u + (i))

/*
 * The earlier instance: a child with its own EAL and keep_rules=1 creates
 * flows @first .. @first + @n - 1 (COUNT + DROP, or COUNT + MARK
 * EARLIER_MARK(i) + to the PF's representor for flow i whose bit is set
 * in @marked), sends each 3 frames, waits until they are counted, then
 * dies by SIGKILL or closes its ports and exits. Returns once it is gone.
 */
static void
earlier_marked(unsigned first, unsigned n, enum end_how how, uint32_t marked)
{
    pid_t pid = test_fork();
    int st = 0;

    cr_assert(pid >= 0);
    if (pid == 0) {
        struct rte_flow *f[NFLOWS];

        if (eal_up("a", ",keep_rules=1", true) < 0)
            _exit(3);
        for (unsigned i = 0; i < n; i++) {
            struct rte_flow_error err;

            f[i] = flow_try(first + i, (marked >> (first + i) & 1u)
                                       ? EARLIER_MARK(first + i) : 0, &err);
            if (f[i] == NULL)
                _exit(4);
            pmd_send_to(VF, pool, first + i, 3);
        }
        for (unsigned i = 0; i < n; i++)
            if (hits_reach(f[i], 3) != 3)
                _exit(5);
        if (how == END_KILL)
            raise(SIGKILL);
        for (uint16_t p = PF; p <= VF; p++) {
            rte_eth_dev_stop(p);
            rte_eth_dev_close(p);
        }
        snic_eal_cleanup();
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    child_dir_remove("a", pid);
    if (how == END_KILL)
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
                  "the earlier instance died by SIGKILL (status 0x%x)", st);
    else
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "the earlier instance closed cleanly (status 0x%x)", st);
}

static void
earlier_instance(unsigned first, unsigned n, enum end_how how)
{
    earlier_marked(first, n, how, 0);
}

static void
adopt_all(enum end_how how)
{
    struct rte_flow *f[NFLOWS];
    struct fw_query_health_out h0, h1;
    struct rte_pmd_emunic_orphans o;

    emu_start("adopt");
    earlier_instance(0, NFLOWS, how);
    h0 = pmd_card_health(NULL);
    cr_assert_eq(h0.rules, NFLOWS, "the card kept the earlier rules");
    eal_up("b", ",keep_rules=1", false);
    o = orphans();
    cr_expect_eq(o.found, NFLOWS, "the probe found them");
    cr_expect_eq(o.left, NFLOWS);
    for (unsigned i = 0; i < NFLOWS; i++)
        f[i] = flow_make(i, 0);
    h1 = pmd_card_health(NULL);
    cr_expect_eq(h1.rules_added, h0.rules_added,
                 "no rule added: all adopted");
    cr_expect_eq(h1.rules_deleted, h0.rules_deleted, "none deleted");
    cr_expect_eq(h1.rules, NFLOWS);
    o = orphans();
    cr_expect_eq(o.adopted, NFLOWS);
    cr_expect_eq(o.left, 0);
    /* the counters go on from where the earlier instance left them */
    for (unsigned i = 0; i < NFLOWS; i++) {
        cr_expect_eq(hits_reach(f[i], 3), 3, "flow %u: its earlier count", i);
        pmd_send_to(VF, pool, i, 2);
        cr_expect_eq(hits_reach(f[i], 5), 5, "flow %u: counting on", i);
    }
    cr_expect_eq(rte_pmd_emunic_orphans_purge(PF), 0, "nothing to purge");
    cr_expect_eq(pmd_card_rules(), NFLOWS);
    /* adopted handles are plain handles: destroy removes the rule and its
     * counter */
    for (unsigned i = 0; i < NFLOWS; i++) {
        struct rte_flow_error err;

        cr_expect_eq(rte_flow_destroy(PF, f[i], &err), 0);
    }
    cr_expect_eq(pmd_card_rules(), 0);
}

Test(pmd_flow_adopt, sigkill_then_adopt_every_rule_counters_go_on)
{
    adopt_all(END_KILL);
}

Test(pmd_flow_adopt, a_clean_close_leaves_the_rules_to_adopt)
{
    adopt_all(END_CLOSE);
}

Test(pmd_flow_adopt, a_changed_set_adopts_the_same_adds_the_new_purges_the_rest)
{
    struct rte_flow *f[8];
    struct fw_query_health_out h0, h1, h2;
    struct rte_pmd_emunic_orphans o;

    emu_start("adopt");
    /* earlier: flows 0..5 */
    earlier_instance(0, 6, END_KILL);
    h0 = pmd_card_health(NULL);
    eal_up("b", ",keep_rules=1", false);
    /* now: 2..5 as before, 6 and 7 new, and 5 differs (MARK + to the
     * PF's representor instead of DROP) */
    for (unsigned i = 2; i < 5; i++)
        f[i] = flow_make(i, 0);
    f[5] = flow_make(5, 77);
    f[6] = flow_make(6, 0);
    f[7] = flow_make(7, 0);
    h1 = pmd_card_health(NULL);
    cr_expect_eq(h1.rules_added - h0.rules_added, 3,
                 "5 (changed), 6 and 7 added");
    cr_expect_eq(h1.rules, 9, "next to the 6 orphans until the purge");
    o = orphans();
    cr_expect_eq(o.adopted, 3);
    cr_expect_eq(o.left, 3, "0, 1 and the old 5 not adopted");
    /* make-before-break: the old rule of 5 (older, same match and
     * priority: it wins) still drops until the purge */
    pmd_send_to(VF, pool, 5, 2);
    pmd_send_to(VF, pool, 2, 1);    /* the card takes VF 0's frames in order */
    cr_expect_eq(hits_reach(f[2], 4), 4);
    cr_expect_eq(hits_reach(f[5], 0), 0, "the new 5 sees nothing yet");
    cr_expect_eq(rte_pmd_emunic_orphans_purge(PF), 3);
    h2 = pmd_card_health(NULL);
    cr_expect_eq(h2.rules, 6);
    cr_expect_eq(h2.rules_deleted - h1.rules_deleted, 3);
    o = orphans();
    cr_expect_eq(o.left, 0);
    cr_expect_eq(o.purged, 3);
    pmd_send_to(VF, pool, 5, 4);
    cr_expect_eq(hits_reach(f[5], 4), 4, "the new 5 takes over");
    cr_expect_eq(hits_reach(f[2], 4), 4, "an adopted one kept its count");
}

/* The orphans' marks on @port, as a bit set over flows 0..31 (a mark
 * that is no EARLIER_MARK of those fails the test); their count in *@n. */
static uint32_t
orphan_marks_now(uint16_t port, int *n)
{
    struct rte_pmd_emunic_orphan_mark v[NFLOWS];
    uint32_t set = 0;

    *n = rte_pmd_emunic_orphan_marks(port, v, NFLOWS);
    cr_assert(*n >= 0 && *n <= (int)NFLOWS, "orphan marks: %d", *n);
    for (int k = 0; k < *n; k++) {
        unsigned i = v[k].mark - EARLIER_MARK(0);

        cr_assert(v[k].mark >= EARLIER_MARK(0) && i < 32,
                  "mark %u is no flow's", v[k].mark);
        cr_expect_eq(v[k].group, 0);
        cr_expect_eq(v[k].jump_group, UINT32_MAX, "no jump");
        cr_expect_not(set & 1u << i, "mark %u listed once", v[k].mark);
        set |= 1u << i;
    }
    return set;
}

/* Only the orphans whose rule marks are listed, each until it is adopted
 * or purged (their own list, not a walk of every orphan: #13). */
Test(pmd_flow_adopt, the_orphans_marks_are_the_marking_rules_left)
{
    struct rte_pmd_emunic_orphan_mark two[2];
    int n;

    emu_start("adopt");
    /* flows 1, 2 and 5 mark, 0, 3 and 4 drop */
    earlier_marked(0, 6, END_KILL, 1u << 1 | 1u << 2 | 1u << 5);
    eal_up("b", ",keep_rules=1", false);
    cr_expect_eq(orphan_marks_now(PF, &n), 1u << 1 | 1u << 2 | 1u << 5);
    cr_expect_eq(n, 3);
    cr_expect_eq(rte_pmd_emunic_orphan_marks(PF, NULL, 0), 3, "a count");
    cr_expect_eq(rte_pmd_emunic_orphan_marks(PF, two, 2), 3,
                 "more than the room: all counted, two written");
    cr_expect_eq(rte_pmd_emunic_orphan_marks(VF, two, 2), -ENOTSUP);
    /* 2 adopted (the same rule), 1 asked with another mark (a new rule
     * beside its orphan), 3 adopted (marks nothing) */
    (void)flow_make(2, EARLIER_MARK(2));
    (void)flow_make(1, 77);
    (void)flow_make(3, 0);
    cr_expect_eq(orphans().adopted, 2);
    cr_expect_eq(orphan_marks_now(PF, &n), 1u << 1 | 1u << 5,
                 "the adopted one's mark is no orphan's now");
    cr_expect_eq(n, 2);
    cr_expect_eq(rte_pmd_emunic_orphans_purge(PF), 4, "0, the old 1, 4, 5");
    cr_expect_eq(orphan_marks_now(PF, &n), 0);
    cr_expect_eq(n, 0);
}

Test(pmd_flow_adopt, a_firmware_reset_takes_the_orphans)
{
    struct fw_query_health_out h0, h1;

    emu_start("adopt");
    earlier_instance(0, 4, END_KILL);
    eal_up("b", ",keep_rules=1", false);
    cr_expect_eq(orphans().left, 4);
    pmd_card_fault(FW_FAULT_RESET, 0, 0);
    h0 = pmd_card_health(NULL);
    cr_expect_eq(h0.rules, 0);
    (void)flow_make(1, 0);
    h1 = pmd_card_health(NULL);
    cr_expect_eq(h1.rules_added - h0.rules_added, 1,
                 "added anew, nothing to adopt");
    cr_expect_eq(orphans().left, 0);
    cr_expect_eq(orphans().adopted, 0);
    cr_expect_eq(rte_pmd_emunic_orphans_purge(PF), 0);
}

Test(pmd_flow_adopt, a_restarted_card_has_nothing_to_adopt)
{
    emu_start("adopt");
    earlier_instance(0, 4, END_KILL);
    emu_stop();
    emu_start("adopt");
    eal_up("b", ",keep_rules=1", false);
    cr_expect_eq(orphans().found, 0);
    (void)flow_make(1, 0);
    cr_expect_eq(pmd_card_health(NULL).rules_added, 1);
    cr_expect_eq(rte_pmd_emunic_orphans_purge(PF), 0);
}

Test(pmd_flow_adopt, without_keep_rules_the_probe_flushes)
{
    emu_start("adopt");
    earlier_instance(0, 4, END_KILL);
    cr_assert_eq(pmd_card_rules(), 4);
    eal_up("b", "", false);
    cr_expect_eq(pmd_card_rules(), 0, "the probe's STEERING_FLUSH");
    cr_expect_eq(orphans().found, 0);
}

/* What flow_try() makes without a mark: the async rules' actions. */
static const struct rte_flow_action adopt_acts[] = {
    { .type = RTE_FLOW_ACTION_TYPE_COUNT },
    { .type = RTE_FLOW_ACTION_TYPE_DROP },
    { .type = RTE_FLOW_ACTION_TYPE_END },
};

/* A template table on the PF (stopped, configured with a pool of
 * @nb_counters and one queue of @size, started again): dst MAC rules,
 * COUNT and DROP, @size of them. NULL when rte_flow_configure refused
 * (@err says why). */
static struct rte_flow_template_table *
async_table(uint32_t nb_counters, uint32_t size, struct rte_flow_error *err)
{
    const struct rte_flow_port_attr pattr = { .nb_counters = nb_counters };
    const struct rte_flow_queue_attr qattr = { .size = size };
    const struct rte_flow_queue_attr *qa[] = { &qattr };
    const struct rte_flow_pattern_template_attr ptattr = { .transfer = 1 };
    const struct rte_flow_actions_template_attr atattr = { .transfer = 1 };
    const struct rte_flow_template_table_attr tattr = {
        .flow_attr = { .transfer = 1 }, .nb_flows = size,
    };
    static struct rte_flow_item_ethdev any_port = { .port_id = 0 };
    static struct rte_flow_item_eth eth_mask;
    struct rte_flow_item tmpl[] = {
        { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .mask = &any_port },
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .mask = &eth_mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_pattern_template *pt;
    struct rte_flow_actions_template *at;

    memset(&eth_mask, 0, sizeof(eth_mask));
    memset(eth_mask.hdr.dst_addr.addr_bytes, 0xff, 6);
    rte_eth_dev_stop(PF);
    if (rte_flow_configure(PF, &pattr, 1, qa, err) != 0)
        return NULL;
    if (rte_eth_dev_start(PF) != 0)
        return NULL;
    pt = rte_flow_pattern_template_create(PF, &ptattr, tmpl, err);
    at = rte_flow_actions_template_create(PF, &atattr, adopt_acts,
                                          adopt_acts, err);
    if (pt == NULL || at == NULL)
        return NULL;
    return rte_flow_template_table_create(PF, &tattr, &pt, 1, &at, 1, err);
}

/* Enqueue the COUNT + DROP rule of MAC @i in @table (@attr: NULL, or
 * postponed): its handle, or NULL (@err says why). */
static struct rte_flow *
flow_enqueue(struct rte_flow_template_table *table, unsigned i,
             const struct rte_flow_op_attr *attr, struct rte_flow_error *err)
{
    uint8_t mac[6];

    pmd_flow_mac(i, mac);
    return pmd_mac_enqueue(PF, 0, table, mac, attr != NULL && attr->postpone,
                           NULL, err);
}

/* Flow @i through @table on queue 0, pushed and pulled: its handle, or
 * NULL when the card refused it. */
static struct rte_flow *
async_flow(struct rte_flow_template_table *table, unsigned i)
{
    struct rte_flow_op_result res;
    struct rte_flow_error err;
    struct rte_flow *f = flow_enqueue(table, i, NULL, &err);
    int got = 0;

    if (f == NULL)
        return NULL;
    for (int tries = 0; got == 0 && tries < 1000; tries++)
        got = rte_flow_pull(PF, 0, &res, 1, &err);
    return got == 1 && res.status == RTE_FLOW_OP_SUCCESS ? f : NULL;
}

/* An earlier instance with a pool of 600,000 counters (of the card's
 * 1,048,576) and two async rules using two of them, killed: a pool as
 * large cannot be allocated next to its pool unless the probe frees the
 * ranges no rule uses (STEERING_RECLAIM). */
Test(pmd_flow_adopt, a_killed_instances_unused_counter_pool_is_freed)
{
    enum { POOL = 600000 };
    struct rte_flow_template_table *table;
    struct rte_pmd_emunic_orphans o;
    struct rte_flow_error err;
    struct rte_flow *f[2];
    pid_t pid;
    int st = 0;

    emu_start("adopt");
    pid = test_fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (eal_up("a", ",keep_rules=1", true) < 0 ||
            (table = async_table(POOL, 64, &err)) == NULL)
            _exit(3);
        for (unsigned i = 0; i < 2; i++)
            if (async_flow(table, i) == NULL)
                _exit(4);
        raise(SIGKILL);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    child_dir_remove("a", pid);
    cr_assert(WIFSIGNALED(st), "the earlier instance made its pool and "
              "rules, then was killed (status 0x%x)", st);
    eal_up("b", ",keep_rules=1", false);
    o = orphans();
    cr_expect_eq(o.found, 2);
    cr_expect_geq(o.reclaimed_counters, POOL - 2 * EMUNIC_POOL_CHUNK,
                  "the unused ranges freed (%u)", o.reclaimed_counters);
    cr_expect_leq(o.reclaimed_counters, POOL - EMUNIC_POOL_CHUNK);
    {
        struct rte_flow_port_info pi;
        struct rte_flow_queue_info qi;

        cr_assert_eq(rte_flow_info_get(PF, &pi, &qi, &err), 0);
        cr_expect_eq(pi.max_nb_counters, (1u << 20) - (POOL -
                     o.reclaimed_counters), "info_get leaves out what the "
                     "adopted rules' ranges hold (%u)", pi.max_nb_counters);
    }
    table = async_table(POOL, 64, &err);
    cr_assert_not_null(table, "a pool as large again: %s",
                       err.message ? err.message : "?");
    for (unsigned i = 0; i < 2; i++) {
        f[i] = async_flow(table, i);
        cr_assert_not_null(f[i]);
    }
    cr_expect_eq(orphans().adopted, 2, "the two rules adopted");
    cr_expect_eq(pmd_card_rules(), 2);
}

/* The earlier instance with @n rules (COUNT + DROP) and no traffic,
 * killed. */
static void
earlier_many(unsigned n)
{
    pid_t pid = test_fork();
    int st = 0;

    cr_assert(pid >= 0);
    if (pid == 0) {
        if (eal_up("a", ",keep_rules=1", true) < 0)
            _exit(3);
        for (unsigned i = 0; i < n; i++) {
            struct rte_flow_error err;

            if (flow_try(i, 0, &err) == NULL)
                _exit(4);
        }
        raise(SIGKILL);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    child_dir_remove("a", pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
              "the earlier instance made its rules (status 0x%x)", st);
}

/* async_table() with @size counters, a queue and rules of @size. */
static struct rte_flow_template_table *
adopt_table(uint32_t size)
{
    struct rte_flow_error err;
    struct rte_flow_template_table *table = async_table(size, size, &err);

    cr_assert_not_null(table, "%s", err.message ? err.message : "?");
    return table;
}

/* Enqueue (postponed) the COUNT + DROP rule of MAC @i in @table. */
static struct rte_flow *
adopt_enqueue(struct rte_flow_template_table *table, unsigned i)
{
    const struct rte_flow_op_attr later = { .postpone = 1 };
    struct rte_flow_error err;
    struct rte_flow *f = flow_enqueue(table, i, &later, &err);

    cr_assert_not_null(f, "enqueue %u: %s", i, err.message);
    return f;
}

/* Pull @n results into @res. */
static void
adopt_pull(struct rte_flow_op_result *res, unsigned n)
{
    struct rte_flow_error err;
    unsigned got = 0;

    for (int tries = 0; got < n && tries < 1000; tries++)
        got += (unsigned)rte_flow_pull(PF, 0, res + got,
                                       (uint16_t)(n - got), &err);
    cr_assert_eq(got, n);
}

Test(pmd_flow_adopt, async_create_adopts_too)
{
    struct rte_flow_template_table *table;
    struct rte_flow_op_result res[8];
    struct rte_flow_error err;
    struct rte_flow *f[6];
    struct fw_query_health_out h0, h1;

    emu_start("adopt");
    earlier_instance(0, 4, END_KILL);
    h0 = pmd_card_health(NULL);
    eal_up("b", ",keep_rules=1", false);
    table = adopt_table(64);
    /* 2..5: 2 and 3 are the earlier instance's, 4 and 5 new */
    for (unsigned i = 2; i < 6; i++)
        f[i] = adopt_enqueue(table, i);
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    adopt_pull(res, 4);
    for (unsigned i = 0; i < 4; i++)
        cr_expect_eq(res[i].status, RTE_FLOW_OP_SUCCESS);
    h1 = pmd_card_health(NULL);
    cr_expect_eq(h1.rules_added - h0.rules_added, 2,
                 "4 and 5 added, 2 and 3 adopted");
    cr_expect_eq(orphans().adopted, 2);
    cr_expect_eq(hits_reach(f[2], 3), 3, "an adopted counter goes on");
    pmd_send_to(VF, pool, 3, 2);
    cr_expect_eq(hits_reach(f[3], 5), 5);
    cr_expect_eq(rte_pmd_emunic_orphans_purge(PF), 2, "0 and 1 removed");
    cr_expect_eq(pmd_card_rules(), 4);
    /* an adopted rule goes by the async path as any other */
    cr_assert_eq(rte_flow_async_destroy(PF, 0, NULL, f[2], NULL, &err), 0);
    adopt_pull(res, 1);
    cr_expect_eq(res[0].status, RTE_FLOW_OP_SUCCESS);
    cr_expect_eq(pmd_card_rules(), 3);
}

/* Adopted rules take their slots in the counter cache when they are
 * pulled: a second push before that reserves room for its own rules and
 * for those adopted ones too (they were left out, and the cache, full
 * with the first push's, was written past its end: ASan). */
Test(pmd_flow_adopt, adopted_counters_have_room_across_pushes)
{
    struct rte_flow_template_table *table;
    struct rte_flow_op_result res[65];
    struct rte_flow_query_count q = { .reset = 0 };
    struct rte_flow_action count = { .type = RTE_FLOW_ACTION_TYPE_COUNT };
    struct rte_flow_error err;
    struct rte_flow *last = NULL;

    emu_start("adopt");
    earlier_many(64);
    eal_up("b", ",keep_rules=1", false);
    table = adopt_table(128);
    /* the counter cache starts with room for 64: the earlier instance's
     * 64 rules fill it */
    for (unsigned i = 0; i < 64; i++)
        (void)adopt_enqueue(table, i);
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    last = adopt_enqueue(table, 64);
    cr_assert_eq(rte_flow_push(PF, 0, &err), 0);
    adopt_pull(res, 65);
    for (unsigned i = 0; i < 65; i++)
        cr_expect_eq(res[i].status, RTE_FLOW_OP_SUCCESS, "rule %u", i);
    cr_expect_eq(orphans().adopted, 64);
    cr_expect_eq(rte_flow_query(PF, last, &count, &q, &err), 0, "%s",
                 err.message ? err.message : "?");
    cr_expect_eq(q.hits, 0);
}


/* ABI 1.8: the listing walks ranges of the card's slots side by side, so
 * 900 rules (3 a page: 300 pages) take a few round trips, not 300. */
Test(pmd_flow_adopt, the_listing_takes_few_round_trips)
{
    enum { MANY = 900 };
    struct fw_query_health_out h0, h1;
    struct rte_pmd_emunic_orphans o;

    emu_start("adopt");
    earlier_many(MANY);
    h0 = pmd_card_health(NULL);
    cr_assert_eq(h0.rules, MANY);
    eal_up("b", ",keep_rules=1", false);
    o = orphans();
    cr_expect_eq(o.found, MANY, "the probe found every rule once");
    cr_expect_leq(o.list_round_trips, 12u, "%u round trips",
                  o.list_round_trips);
    cr_expect_geq(o.list_round_trips, 2u, "the first page, then ranges");
    for (unsigned i = 0; i < MANY; i++)
        (void)flow_make(i, 0);
    h1 = pmd_card_health(NULL);
    cr_expect_eq(h1.rules_added, h0.rules_added, "every rule adopted");
    cr_expect_eq(orphans().left, 0);
    cr_expect_eq(rte_pmd_emunic_orphans_purge(PF), 0);
}

Test(pmd_flow_adopt, bad_devargs_and_ports_are_refused)
{
    pid_t pid;
    int st = 0;

    emu_start("adopt");
    /* keep_rules with flush=1 contradicts itself: the probe fails */
    pid = test_fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        _exit(eal_up("c", ",keep_rules=1,flush=1", true) < 0 ? 0 : 1);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    child_dir_remove("c", pid);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "keep_rules=1,flush=1 refused");
    pid = test_fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        _exit(eal_up("d", ",keep_rules=2", true) < 0 ? 0 : 1);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    child_dir_remove("d", pid);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "keep_rules=2 refused");
    pid = test_fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        _exit(eal_up("e", ",pull_wait=2", true) < 0 ? 0 : 1);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    child_dir_remove("e", pid);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pull_wait=2 refused");
    eal_up("b", ",keep_rules=1", false);
    cr_expect_eq(rte_pmd_emunic_orphans_purge(VF), -ENOTSUP);
    cr_expect_eq(rte_pmd_emunic_orphans_purge(RTE_MAX_ETHPORTS - 1), -ENODEV);
}
