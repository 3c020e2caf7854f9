/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A private emunic for the in-process PMD tests: started in a fresh temp
 * folder with one VF in switchdev mode, stopped and its sockets removed at
 * the end. Header-only: each test file is one program.
 */
#ifndef SNIC_TESTS_PMD_EMUNIC_H
#define SNIC_TESTS_PMD_EMUNIC_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../test_child.h"

static char dir[64];
static char sock[96];
static pid_t emu = -1;

/* Start $EMUNIC in a new /tmp/snic-@tag.XXXXXX and wait for its socket. */
static void
emu_start(const char *tag)
{
    const char *bin = getenv("EMUNIC");

    cr_assert_not_null(bin, "EMUNIC must name the emunic binary");
    snprintf(dir, sizeof(dir), "/tmp/snic-%s.XXXXXX", tag);
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/nic", dir);
    emu = test_fork();
    cr_assert(emu >= 0);
    if (emu == 0) {
        execl(bin, bin, "--socket", sock, "--num-vfs", "1", "--mode",
              "switchdev", "--quiet", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        struct stat st;

        if (stat(sock, &st) == 0)
            return;
        usleep(20000);
    }
    cr_assert_fail("emunic did not create %s", sock);
}

/* Stop it (if still running) and remove its folder; a card killed by a
 * test leaves its function sockets behind, so those go too. */
static void
emu_stop(void)
{
    static const char *const sfx[] = { "", ".vf0", ".uplink" };

    if (emu > 0) {
        kill(emu, SIGTERM);
        waitpid(emu, NULL, 0);
        emu = -1;
    }
    for (unsigned i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        char path[128];

        snprintf(path, sizeof(path), "%s%s", sock, sfx[i]);
        unlink(path);
    }
    rmdir(dir);
}

#endif /* SNIC_TESTS_PMD_EMUNIC_H */
