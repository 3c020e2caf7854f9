/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run folder a daemon's control socket (and snicd's default journal)
 * lives in: created or tightened, but never through a symbolic link and
 * never when it is someone else's, whose modes it then leaves as they
 * were (a run folder in a shared place such as /tmp can be planted).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "snic/ctl.h"

static json_t *
m_none(void *ctx, const json_t *params, struct ctl_error *err)
{
    (void)ctx;
    (void)params;
    (void)err;
    return json_object();
}

static const struct ctl_method methods[] = {
    { "none", m_none, "none: an empty answer" },
};

static char top[64];
static char target[PATH_MAX];
static char link_path[PATH_MAX];

static void
setup(void)
{
    snprintf(top, sizeof(top), "/tmp/snic-ctl-rundir.XXXXXX");
    cr_assert_not_null(mkdtemp(top));
    snprintf(target, sizeof(target), "%s/target", top);
    snprintf(link_path, sizeof(link_path), "%s/link", top);
    cr_assert_eq(mkdir(target, 0777), 0);
    cr_assert_eq(chmod(target, 0777), 0);
}

static void
teardown(void)
{
    char sock[PATH_MAX + 16];

    snprintf(sock, sizeof(sock), "%s/%s", target, CTL_SOCKET_NAME);
    unlink(sock);
    unlink(link_path);
    rmdir(target);
    rmdir(top);
}

TestSuite(ctl_rundir, .init = setup, .fini = teardown, .timeout = 30);

static mode_t
mode_of(const char *path)
{
    struct stat st;

    cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
    return st.st_mode & 07777;
}

/* a link where the folder should be: refused, its target untouched */
Test(ctl_rundir, symlink_is_refused)
{
    static const char *const ways[] = { "", "/", "//" };

    cr_assert_eq(symlink(target, link_path), 0);
    for (unsigned i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        char dir[PATH_MAX + 4];

        snprintf(dir, sizeof(dir), "%s%s", link_path, ways[i]);
        cr_expect_eq(ctl_rundir_prepare(dir, (gid_t)-1), -ELOOP,
                     "'%s' was taken", dir);
        errno = 0;
        cr_expect_null(ctl_server_create(dir, (gid_t)-1, methods, 1,
                                         NULL));
        cr_expect_eq(errno, ELOOP, "'%s': %s", dir, strerror(errno));
        cr_expect_eq(mode_of(target), 0777, "the link's target was "
                     "changed through '%s'", dir);
        cr_expect_neq(access(target, F_OK), -1);
    }
    cr_expect(strstr(ctl_rundir_strerror(ELOOP), "symbolic link") != NULL);
}

/* a folder someone else made first: refused, left as they made it */
Test(ctl_rundir, other_users_folder_is_refused)
{
    struct stat st;
    pid_t pid;
    int status;

    if (geteuid() != 0)
        cr_skip_test("needs root to make a folder of another user");
    cr_assert_eq(chown(target, 65534, 65534), 0);
    cr_expect_eq(ctl_rundir_prepare(target, (gid_t)-1), -EPERM);
    errno = 0;
    cr_expect_null(ctl_server_create(target, (gid_t)-1, methods, 1,
                                     NULL));
    cr_expect_eq(errno, EPERM, "%s", strerror(errno));
    cr_assert_eq(stat(target, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0777, "mode changed to %o",
                 st.st_mode & 07777);
    cr_expect_eq(st.st_uid, 65534u);
    cr_expect_eq(st.st_gid, 65534u);
    cr_expect(strstr(ctl_rundir_strerror(EPERM), "another user") != NULL);
    /* and the other way round: that user's daemon refuses root's folder */
    cr_assert_eq(chown(target, 0, 0), 0);
    cr_assert_eq(chmod(top, 0711), 0);  /* the other user reaches it */
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(10);
        _exit(ctl_rundir_prepare(target, (gid_t)-1) == -EPERM ? 0 : 11);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "status %d", WEXITSTATUS(status));
}

/* our own folder, however loose: tightened to 0750 and served */
Test(ctl_rundir, own_folder_is_tightened)
{
    int fd = ctl_rundir_prepare(target, (gid_t)-1);

    cr_assert_geq(fd, 0, "%s", strerror(-fd));
    cr_expect_eq(mode_of(target), 0750);
    cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    /* and one that is missing is made */
    cr_assert_eq(rmdir(target), 0);
    fd = ctl_rundir_prepare(target, (gid_t)-1);
    cr_assert_geq(fd, 0, "%s", strerror(-fd));
    cr_expect_eq(mode_of(target), 0750);
    close(fd);
}
