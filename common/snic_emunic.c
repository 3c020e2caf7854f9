/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated card as a child process (snic_emunic.h): fork, exec, wait
 * for the ready line, stop and reap.
 */
#include "snic_emunic.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snic_clock.h"

#define SNIC_EMUNIC_MAX_ARGS    64
#define SNIC_EMUNIC_READY       "emunic: listening on "
#define SNIC_EMUNIC_POLL_MS     10

static void
snic_emunic_fail(struct snic_emunic *e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->err, sizeof(e->err), fmt, ap);
    va_end(ap);
}

/* "exited with status N" / "was killed by signal N", for e->err. */
static void
snic_emunic_status_str(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d%s", WEXITSTATUS(status),
                 WEXITSTATUS(status) == 127 ? " (could not be run)" : "");
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, size, "ended with wait status 0x%x", status);
}

/* The card's files and the folder itself: one level, as emunic makes. */
static void
snic_emunic_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[sizeof(((struct snic_emunic *)0)->dir) + 256];

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* In the child: never returns. */
static void
snic_emunic_exec(const char *const *argv, const struct snic_emunic_how *how,
                 pid_t parent, int out_fd)
{
    if (how->own_session)
        setsid();
    /* a parent gone before prctl() took effect is caught by getppid() */
    if (how->death_signal != 0 &&
        (prctl(PR_SET_PDEATHSIG, how->death_signal) < 0 ||
         getppid() != parent))
        _exit(126);
    if (how->log != NULL) {
        int fd = open(how->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                      0644);

        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
    }
    if (dup2(out_fd, STDOUT_FILENO) < 0)
        _exit(126);
    execv(argv[0], (char *const *)argv);
    dprintf(STDERR_FILENO, "emunic: cannot run %s: %s\n", argv[0],
            strerror(errno));
    _exit(127);
}

/* Read the card's first line into e->ready. 0 once it is complete, or
 * -ECHILD (end of output), -ETIMEDOUT, -EINTR. */
static int
snic_emunic_read_line(struct snic_emunic *e, int fd,
                      const struct snic_emunic_how *how)
{
    int wait_ms = how->wait_ms > 0 ? how->wait_ms : SNIC_EMUNIC_WAIT_MS;
    int64_t end = snic_now_ms() + wait_ms;
    size_t len = 0;

    e->ready[0] = '\0';
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char *nl;
        ssize_t n;
        int r;

        if (how->cancel != NULL && *how->cancel)
            return -EINTR;
        if (snic_now_ms() >= end)
            return -ETIMEDOUT;
        r = poll(&p, 1, SNIC_EMUNIC_POLL_MS);
        if (r < 0 && errno != EINTR)
            return -errno;
        if (r <= 0)
            continue;
        n = read(fd, e->ready + len, sizeof(e->ready) - 1 - len);
        if (n <= 0)
            return -ECHILD;
        len += (size_t)n;
        e->ready[len] = '\0';
        nl = strchr(e->ready, '\n');
        if (nl != NULL || len == sizeof(e->ready) - 1) {
            if (nl != NULL)
                *nl = '\0';
            return 0;
        }
    }
}

/* The child's end after its output closed: its wait status, or -1 if it
 * still runs after a short grace (it closed stdout and lives on). */
static int
snic_emunic_reap(pid_t pid)
{
    int status;

    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        usleep(SNIC_EMUNIC_POLL_MS * 1000);
    }
    return -1;
}

static void
snic_emunic_log_ready(const struct snic_emunic *e,
                      const struct snic_emunic_how *how)
{
    int fd;

    if (how->log == NULL)
        return;
    fd = open(how->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dprintf(fd, "%s\n", e->ready);
        close(fd);
    }
}

int
snic_emunic_start(struct snic_emunic *e, const char *bin, const char *sock,
                  const char *const *args, const struct snic_emunic_how *how)
{
    static const struct snic_emunic_how dflt;
    const char *argv[SNIC_EMUNIC_MAX_ARGS];
    char why[64];
    int pipefd[2], r, status;
    unsigned n = 0;
    pid_t parent = getpid();

    memset(e, 0, sizeof(*e));
    if (how == NULL)
        how = &dflt;
    if (bin == NULL || *bin == '\0') {
        snic_emunic_fail(e, "no emunic binary given");
        return -ENOENT;
    }
    if (sock == NULL) {
        snprintf(e->dir, sizeof(e->dir), "/tmp/snic-%s.XXXXXX",
                 how->tag != NULL ? how->tag : "emunic");
        if (mkdtemp(e->dir) == NULL) {
            r = -errno;
            snic_emunic_fail(e, "cannot make a folder %s for emunic: %s",
                             e->dir, strerror(-r));
            e->dir[0] = '\0';
            return r;
        }
        snprintf(e->sock, sizeof(e->sock), "%s/nic", e->dir);
    } else if ((size_t)snprintf(e->sock, sizeof(e->sock), "%s", sock) >=
               sizeof(e->sock)) {
        snic_emunic_fail(e, "emunic socket path %s is longer than %zu bytes",
                         sock, sizeof(e->sock) - 1);
        return -ENAMETOOLONG;
    }

    argv[n++] = bin;
    argv[n++] = "--socket";
    argv[n++] = e->sock;
    while (args != NULL && *args != NULL && n < SNIC_EMUNIC_MAX_ARGS - 1)
        argv[n++] = *args++;
    argv[n] = NULL;
    if (args != NULL && *args != NULL) {
        snic_emunic_fail(e, "more than %d arguments for emunic",
                         SNIC_EMUNIC_MAX_ARGS - 4);
        r = -E2BIG;
        goto remove_dir;
    }

    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        r = -errno;
        snic_emunic_fail(e, "pipe for emunic: %s", strerror(-r));
        goto remove_dir;
    }
    e->pid = fork();
    if (e->pid == 0)
        snic_emunic_exec(argv, how, parent, pipefd[1]);
    close(pipefd[1]);
    if (e->pid < 0) {
        r = -errno;
        e->pid = 0;
        close(pipefd[0]);
        snic_emunic_fail(e, "cannot fork for emunic: %s", strerror(-r));
        goto remove_dir;
    }

    r = snic_emunic_read_line(e, pipefd[0], how);
    close(pipefd[0]);
    if (r == 0 && strncmp(e->ready, SNIC_EMUNIC_READY,
                          strlen(SNIC_EMUNIC_READY)) == 0) {
        snic_emunic_log_ready(e, how);
        return 0;
    }
    switch (r) {
    case 0:
        snic_emunic_fail(e, "emunic (%s) said '%s' instead of listening on "
                         "%s", bin, e->ready, e->sock);
        r = -EPROTO;
        break;
    case -ECHILD:
        status = snic_emunic_reap(e->pid);
        if (status < 0) {
            snic_emunic_fail(e, "emunic (%s) closed its output before "
                             "listening on %s", bin, e->sock);
            break;
        }
        e->pid = 0;
        snic_emunic_status_str(status, why, sizeof(why));
        if (how->log != NULL)
            snic_emunic_fail(e, "emunic (%s) %s before listening on %s "
                             "(its errors: %s)", bin, why, e->sock, how->log);
        else
            snic_emunic_fail(e, "emunic (%s) %s before listening on %s",
                             bin, why, e->sock);
        break;
    case -ETIMEDOUT:
        snic_emunic_fail(e, "emunic (%s) did not listen on %s within %d ms",
                         bin, e->sock, how->wait_ms > 0 ? how->wait_ms
                                                        : SNIC_EMUNIC_WAIT_MS);
        break;
    case -EINTR:
        snic_emunic_fail(e, "interrupted while emunic (%s) started on %s",
                         bin, e->sock);
        break;
    default:
        snic_emunic_fail(e, "waiting for emunic on %s: %s", e->sock,
                         strerror(-r));
        break;
    }
    /* nothing left running, nothing left behind */
    snic_emunic_stop(e, 2000);
    return r;

remove_dir:
    if (e->dir[0] != '\0') {
        rmdir(e->dir);
        e->dir[0] = '\0';
    }
    return r;
}

int
snic_emunic_stop(struct snic_emunic *e, int wait_ms)
{
    int status = -1;

    if (e->pid > 0) {
        int64_t end = snic_now_ms() + wait_ms;
        pid_t w;

        kill(e->pid, SIGTERM);
        while ((w = waitpid(e->pid, &status, WNOHANG)) == 0 &&
               snic_now_ms() < end)
            usleep(SNIC_EMUNIC_POLL_MS * 1000);
        if (w == 0) {
            kill(e->pid, SIGKILL);
            waitpid(e->pid, &status, 0);
        } else if (w < 0) {
            status = -1;        /* reaped already, by someone else */
        }
        e->pid = 0;
    }
    if (e->dir[0] != '\0') {
        snic_emunic_rmdir(e->dir);
        e->dir[0] = '\0';
    }
    return status;
}
