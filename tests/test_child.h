/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fork(): fork() whose child dies with the process that forked it.
 *
 * meson kills a timed-out test's process group, and Criterion runs each
 * test in a worker of its own session: a card or a tool a test started
 * with a plain fork() outlives the test (and scripts/test fails the suite
 * when anything does). In the child, the kernel sends SIGKILL when the
 * parent goes, however it goes; a parent gone before the prctl() took
 * effect is caught by the getppid() check. Header-only: include it from
 * any test as "../test_child.h".
 */
#ifndef SNIC_TESTS_TEST_CHILD_H
#define SNIC_TESTS_TEST_CHILD_H

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

static inline pid_t
test_fork(void)
{
    pid_t parent = getpid(), pid = fork();

    if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0
                     || getppid() != parent))
        _exit(126);
    return pid;
}

#endif /* SNIC_TESTS_TEST_CHILD_H */
