/* SPDX-License-Identifier: BSD-3-Clause */
#include "fw_test_emunic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test_child.h"
#include "snic_clock.h"

#define FW_TEST_START_MS 5000

static void
fw_test_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[512];

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

int
fw_test_emunic_start(struct fw_test_emunic *e, const char *const *args)
{
    const char *bin = getenv("EMUNIC");
    const char *argv[64];
    char line[512];
    size_t len = 0;
    int pipefd[2];
    unsigned n = 0;
    int64_t t0;

    memset(e, 0, sizeof(*e));
    if (bin == NULL)
        return -ENOENT;
    strcpy(e->dir, "/tmp/snic-fw-test.XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -errno;
    snprintf(e->sock, sizeof(e->sock), "%s/nic", e->dir);

    argv[n++] = bin;
    argv[n++] = "--socket";
    argv[n++] = e->sock;
    argv[n++] = "-q";
    while (args != NULL && *args != NULL && n < 62)
        argv[n++] = *args++;
    argv[n] = NULL;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    e->pid = test_fork();
    if (e->pid < 0)
        return -errno;
    if (e->pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);

    /* wait for the one startup line */
    t0 = snic_now_ms();
    for (;;) {
        struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
        ssize_t r;
        long ms;

        ms = (long)(snic_now_ms() - t0);
        if (ms >= FW_TEST_START_MS || poll(&p, 1, (int)(FW_TEST_START_MS - ms)) <= 0)
            break;
        r = read(pipefd[0], line + len, sizeof(line) - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        line[len] = '\0';
        if (strchr(line, '\n') != NULL)
            break;
    }
    close(pipefd[0]);
    line[len] = '\0';
    if (strncmp(line, "emunic: listening on ", 21) != 0) {
        fw_test_emunic_stop(e);
        return -EIO;
    }
    return 0;
}

int
fw_test_emunic_stop(struct fw_test_emunic *e)
{
    int status = -1, i;

    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        for (i = 0; i < 300; i++) {
            if (waitpid(e->pid, &status, WNOHANG) == e->pid)
                break;
            usleep(10000);
        }
        if (i == 300) {
            kill(e->pid, SIGKILL);
            waitpid(e->pid, &status, 0);
        }
        e->pid = 0;
    }
    if (e->dir[0] != '\0')
        fw_test_rmdir(e->dir);
    return status;
}

const char *
fw_test_path(const struct fw_test_emunic *e, const char *suffix, char *buf,
             size_t size)
{
    snprintf(buf, size, "%s%s", e->sock, suffix);
    return buf;
}

size_t
fw_test_rule_drop(struct fw_rule_add_in *in, uint32_t n)
{
    size_t size = offsetof(struct fw_rule_add_in, actions) +
                  sizeof(struct fw_action);

    memset(in, 0, size);
    in->group = 0;
    in->priority = 0;
    in->n_actions = 1;
    in->value.eth_dst[0] = 0x02;
    in->value.eth_dst[2] = (uint8_t)(n >> 24);
    in->value.eth_dst[3] = (uint8_t)(n >> 16);
    in->value.eth_dst[4] = (uint8_t)(n >> 8);
    in->value.eth_dst[5] = (uint8_t)n;
    memset(in->mask.eth_dst, 0xff, 6);
    in->actions[0].type = FW_ACT_DROP;
    return size;
}
