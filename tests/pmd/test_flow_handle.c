/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_emunic rte_flow handles against a running emunic: destroy refuses,
 * with EINVAL and without touching it, a handle that is not a live flow of
 * the port (NULL, garbage, another port's, destroyed already, flushed), and
 * every refusal leaves the port's real flows destroyable.
 *
 * Needs EMUNIC (the emunic binary) in the environment; meson sets it. The
 * driver is linked in. Each test starts its own emunic and EAL.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "snic_eal_dir.h"

#include "pmd_test_emunic.h"

#define PF      0       /* net_emunic0: the PF (eSwitch manager) */
#define REP     1       /* its representor of VF 0 */


static void
setup(void)
{
    emu_start("flowh");
    cr_assert(pmd_eal_up("flowh", ",representor=vf[0]", true, "error",
                         false) >= 2, "PF and representor probed");
}

TestSuite(pmd_flow_handle, .init = setup, .fini = pmd_down, .timeout = 30);

/* A transfer rule on the PF: dst MAC 02:00:00:00:hi:lo -> COUNT, DROP. */
static struct rte_flow *
flow_make(uint16_t port, unsigned i, struct rte_flow_error *err)
{
    struct rte_flow_attr attr = { .transfer = 1 };
    struct rte_flow_item_eth spec, mask;
    struct rte_flow_action_count cnt = { .id = 0 };
    struct rte_flow_item items[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &spec, .mask = &mask },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_COUNT, .conf = &cnt },
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };

    memset(&spec, 0, sizeof(spec));
    memset(&mask, 0, sizeof(mask));
    memset(mask.hdr.dst_addr.addr_bytes, 0xff, 6);
    pmd_flow_mac(i, spec.hdr.dst_addr.addr_bytes);
    return rte_flow_create(port, &attr, items, actions, err);
}

static void
expect_refused(uint16_t port, struct rte_flow *f, const char *what)
{
    struct rte_flow_error err;

    memset(&err, 0, sizeof(err));
    cr_expect_eq(rte_flow_destroy(port, f, &err), -EINVAL, "%s", what);
    cr_expect_eq(err.type, RTE_FLOW_ERROR_TYPE_HANDLE, "%s: error type",
                 what);
    cr_expect_not_null(err.message, "%s: says why", what);
}

Test(pmd_flow_handle, null_and_garbage_refused)
{
    struct rte_flow_error err;
    uint64_t junk[8];
    struct rte_flow *f;

    memset(junk, 0xa5, sizeof(junk));
    f = flow_make(PF, 1, &err);
    cr_assert_not_null(f, "create: %s", err.message);
    expect_refused(PF, NULL, "NULL handle");
    expect_refused(PF, (struct rte_flow *)junk, "stack garbage");
    expect_refused(PF, (struct rte_flow *)(uintptr_t)0x10, "wild pointer");
    cr_expect_eq(rte_flow_destroy(PF, f, &err), 0,
                 "the real flow is untouched by the refusals");
}

Test(pmd_flow_handle, destroyed_twice_refused)
{
    struct rte_flow_error err;
    struct rte_flow *a, *b;

    a = flow_make(PF, 1, &err);
    b = flow_make(PF, 2, &err);
    cr_assert(a != NULL && b != NULL, "create: %s", err.message);
    cr_assert_eq(rte_flow_destroy(PF, a, &err), 0);
    expect_refused(PF, a, "already destroyed");
    cr_expect_eq(rte_flow_destroy(PF, b, &err), 0, "neighbour still live");
    expect_refused(PF, b, "already destroyed (last one)");
}

Test(pmd_flow_handle, other_ports_handle_refused)
{
    struct rte_flow_error err;
    struct rte_flow *f;

    f = flow_make(PF, 7, &err);
    cr_assert_not_null(f, "create: %s", err.message);
    /* the representor shares the PF's card and lock: only ownership
     * tells them apart */
    expect_refused(REP, f, "PF's flow destroyed through the representor");
    cr_expect_eq(rte_flow_destroy(PF, f, &err), 0, "still the PF's");
}

/* Many flows destroyed in a scrambled order, a flush, and handles from
 * before the flush refused; the counters they held are free again. */
Test(pmd_flow_handle, scrambled_destroy_and_flush)
{
    enum { N = 600 };
    struct rte_flow *f[N];
    struct rte_flow_error err;
    unsigned done = 0;

    for (unsigned i = 0; i < N; i++) {
        f[i] = flow_make(PF, i, &err);
        cr_assert_not_null(f[i], "create %u: %s", i, err.message);
    }
    /* 7 is coprime with N: visits every other-third flow exactly once */
    for (unsigned k = 0; k < N; k++) {
        unsigned i = (k * 7u) % N;

        if (i % 3 != 0)
            continue;
        cr_expect_eq(rte_flow_destroy(PF, f[i], &err), 0, "destroy %u", i);
        done++;
    }
    cr_expect_eq(done, N / 3);
    expect_refused(PF, f[0], "destroyed before the flush");
    cr_assert_eq(rte_flow_flush(PF, &err), 0, "flush: %s", err.message);
    expect_refused(PF, f[1], "flushed");
    /* the index comes back after a flush dropped it */
    f[0] = flow_make(PF, 0, &err);
    cr_assert_not_null(f[0], "create after flush: %s", err.message);
    expect_refused(PF, f[2], "flushed, with a new flow live");
    cr_expect_eq(rte_flow_destroy(PF, f[0], &err), 0);
}

/* The handle index grows from the port's list of flows (in the order
 * they were made), also after flows in the middle of it were destroyed:
 * every live handle is still found, every destroyed one refused. */
Test(pmd_flow_handle, index_grows_with_holes)
{
    enum { N1 = 300, N = 1000 };
    static struct rte_flow *f[N];
    struct rte_flow_error err;

    for (unsigned i = 0; i < N1; i++) {
        f[i] = flow_make(PF, i, &err);
        cr_assert_not_null(f[i], "create %u: %s", i, err.message);
    }
    for (unsigned i = 0; i < N1; i += 2)
        cr_expect_eq(rte_flow_destroy(PF, f[i], &err), 0, "destroy %u", i);
    /* 850 live handles: the index grows past 512 and 1,024 on the way */
    for (unsigned i = N1; i < N; i++) {
        f[i] = flow_make(PF, i, &err);
        cr_assert_not_null(f[i], "create %u: %s", i, err.message);
    }
    for (unsigned i = 0; i < N1; i += 2)
        expect_refused(PF, f[i], "destroyed before the index grew");
    for (unsigned i = N; i-- > 0;)
        if (i >= N1 || i % 2 == 1)
            cr_expect_eq(rte_flow_destroy(PF, f[i], &err), 0,
                         "destroy %u after the growth: %s", i,
                         err.message != NULL ? err.message : "");
    expect_refused(PF, f[N - 1], "destroyed after the growth");
}
