/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic_emunic_start()/stop() (common/snic_emunic.h): ready only once the
 * card says so, with every socket it opens at start already there; every
 * way of not becoming ready named in the error with the socket, nothing
 * left running and no folder left behind. (The death signal is checked in
 * tests/fw/test_fw_chan.c, card_dies_with_the_test_that_started_it.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "snic_emunic.h"

static struct snic_emunic card;
static char script_dir[64];

static void
fini(void)
{
    snic_emunic_stop(&card, 2000);
    if (script_dir[0] != '\0') {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", script_dir);
        cr_expect_eq(system(cmd), 0);
    }
}

TestSuite(snic_emunic, .fini = fini, .timeout = 30);

static const char *
emunic(void)
{
    const char *bin = getenv("EMUNIC");

    cr_assert(bin != NULL && *bin != '\0', "EMUNIC is not set");
    return bin;
}

/* A stand-in for the card: a shell script that runs @body. */
static const char *
script(const char *body)
{
    static char path[96];
    FILE *f;

    strcpy(script_dir, "/tmp/snic-emunic-test.XXXXXX");
    cr_assert_not_null(mkdtemp(script_dir));
    snprintf(path, sizeof(path), "%s/card", script_dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path, 0700), 0);
    return path;
}

Test(snic_emunic, ready_means_every_socket_listens)
{
    static const char *const args[] = { "-q", "--num-vfs", "3", NULL };
    const struct snic_emunic_how how = { .tag = "emunic-test" };
    char path[160], dir[sizeof(card.dir)];

    cr_assert_eq(snic_emunic_start(&card, emunic(), NULL, args, &how), 0,
                 "%s", card.err);
    cr_expect_gt(card.pid, 0);
    cr_expect(strncmp(card.dir, "/tmp/snic-emunic-test.", 22) == 0, "%s",
              card.dir);
    cr_expect(strstr(card.ready, card.sock) != NULL, "%s", card.ready);
    /* no wait: the last socket of the start is there already */
    snprintf(path, sizeof(path), "%s.vf2", card.sock);
    cr_expect_eq(access(path, F_OK), 0, "%s missing", path);
    strcpy(dir, card.dir);
    cr_expect(WIFEXITED(snic_emunic_stop(&card, 2000)));
    cr_expect_eq(card.pid, 0);
    cr_expect_neq(access(dir, F_OK), 0, "%s left behind", dir);
    cr_expect_eq(snic_emunic_stop(&card, 2000), -1, "stop twice");
}

Test(snic_emunic, card_that_exits_is_named_with_its_status)
{
    static const char *const args[] = { "-q", "--profile", "nonesuch",
                                        NULL };
    int r;

    r = snic_emunic_start(&card, emunic(), NULL, args, NULL);
    cr_expect_eq(r, -ECHILD);
    cr_expect_eq(card.pid, 0);
    cr_expect(strstr(card.err, "exited with status 2") != NULL, "%s",
              card.err);
    cr_expect(strstr(card.err, "/nic") != NULL, "no socket in '%s'",
              card.err);
    cr_expect_eq(card.dir[0], '\0', "folder %s kept", card.dir);
}

Test(snic_emunic, binary_that_cannot_run)
{
    int r = snic_emunic_start(&card, "/nonexistent/emunic", "/tmp/x.sock",
                              NULL, NULL);

    cr_expect_eq(r, -ECHILD);
    cr_expect(strstr(card.err, "status 127 (could not be run)") != NULL,
              "%s", card.err);
    cr_expect(strstr(card.err, "/tmp/x.sock") != NULL, "%s", card.err);
}

Test(snic_emunic, silent_card_times_out_and_is_stopped)
{
    const struct snic_emunic_how how = { .wait_ms = 300 };
    const char *bin = script("exec sleep 30");
    int r;

    r = snic_emunic_start(&card, bin, NULL, NULL, &how);
    cr_expect_eq(r, -ETIMEDOUT);
    cr_expect(strstr(card.err, "did not listen on") != NULL &&
              strstr(card.err, "within 300 ms") != NULL, "%s", card.err);
    cr_expect_eq(card.pid, 0, "the silent card still runs");
}

Test(snic_emunic, other_first_line_is_refused)
{
    const char *bin = script("echo 'emunic: something else'; exec sleep 30");
    int r;

    r = snic_emunic_start(&card, bin, NULL, NULL, NULL);
    cr_expect_eq(r, -EPROTO);
    cr_expect(strstr(card.err, "said 'emunic: something else' instead of "
                     "listening on") != NULL, "%s", card.err);
    cr_expect_eq(card.pid, 0);
}

Test(snic_emunic, cancel_stops_the_wait)
{
    static volatile sig_atomic_t stop = 1;
    const struct snic_emunic_how how = { .cancel = &stop };
    const char *bin = script("exec sleep 30");

    cr_expect_eq(snic_emunic_start(&card, bin, NULL, NULL, &how), -EINTR);
    cr_expect(strstr(card.err, "interrupted") != NULL, "%s", card.err);
    cr_expect_eq(card.pid, 0);
}

Test(snic_emunic, log_gets_stderr_and_the_ready_line)
{
    char log[96], buf[512] = "";
    struct snic_emunic_how how = { .tag = "emunic-test" };
    const char *bin = script("echo oops >&2; echo 'emunic: listening on x'; "
                             "exec sleep 30");
    FILE *f;

    snprintf(log, sizeof(log), "%s/log", script_dir);
    how.log = log;
    cr_assert_eq(snic_emunic_start(&card, bin, NULL, NULL, &how), 0, "%s",
                 card.err);
    f = fopen(log, "r");
    cr_assert_not_null(f);
    cr_expect_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
    fclose(f);
    cr_expect_str_eq(buf, "oops\nemunic: listening on x\n");
}
