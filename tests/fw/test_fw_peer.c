/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * emunic against other local users: its sockets are private whatever the
 * umask of whoever started it, and a peer that gets through open modes is
 * still refused at accept (SO_PEERCRED), with a log line; --allow-group
 * lets one group in, however many groups its members carry.
 *
 * Acting as another user needs root: without it every test here is
 * reported as skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fw_test_emunic.h"

#define NOBODY          65534
#define TEST_GROUP      4242    /* allowed by number: no database entry */
#define MANY_GROUPS     300

static struct snic_emunic emu;
static char dir[64];

/* DIR/log: the card's stderr */
static const char *
log_path(void)
{
    static char path[96];

    snprintf(path, sizeof(path), "%s/log", dir);
    return path;
}

/* emunic under umask 000, its sockets in a folder it must create
 * (DIR/sub/nic), stderr kept in DIR/log. */
static void
start_emunic(const char *group)
{
    struct snic_emunic_how how = {
        .wait_ms = 10000, .death_signal = SIGKILL,
    };
    const char *args[] = { "-q", "--num-vfs", "1", "--allow-group", group,
                           NULL };
    char sock[96];
    mode_t old;
    int r;

    if (geteuid() != 0)
        cr_skip_test("needs root to act as another user");
    strcpy(dir, "/tmp/snic-fw-peer.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/sub/nic", dir);
    how.log = log_path();
    if (group == NULL)
        args[3] = NULL;
    old = umask(0);     /* the card inherits it */
    r = snic_emunic_start(&emu, getenv("EMUNIC"), sock, args, &how);
    umask(old);
    cr_assert_eq(r, 0, "%s", emu.err);
}

static void
stop_emunic(void)
{
    if (dir[0] != '\0') {
        char sub[160];

        snic_emunic_stop(&emu, 3000);
        snprintf(sub, sizeof(sub), "%s/sub", dir);
        rmdir(sub);
        unlink(log_path());
        rmdir(dir);
        dir[0] = '\0';
    }
}

TestSuite(fw_peer, .fini = stop_emunic, .timeout = 60);

static unsigned
mode_of(const char *path, gid_t *gid)
{
    struct stat st;

    cr_assert_eq(stat(path, &st), 0, "stat %s: %s", path, strerror(errno));
    if (gid != NULL)
        *gid = st.st_gid;
    return st.st_mode & 07777;
}

/* In a child: take @ngroups supplementary groups (@with_test_group puts
 * TEST_GROUP last, after MANY_GROUPS - 1 long numbers), become nobody and
 * open the PF. Returns 0 when it got in, else the errno it got. */
static int
connect_as_nobody(size_t ngroups, bool with_test_group)
{
    int status;
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        static gid_t groups[MANY_GROUPS];
        struct fw_chan *chan;

        for (size_t i = 0; i < ngroups; i++)
            groups[i] = (gid_t)(1000000 + i);
        if (with_test_group && ngroups > 0)
            groups[ngroups - 1] = TEST_GROUP;
        if (setgroups(ngroups, groups) < 0 || setgid(NOBODY) < 0
            || setuid(NOBODY) < 0)
            _exit(250);
        chan = fw_chan_open(emu.sock, 3000);
        if (chan == NULL)
            _exit(errno > 0 && errno < 250 ? errno : 251);
        fw_chan_close(chan);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    cr_assert_neq(WEXITSTATUS(status), 250, "could not become nobody");
    return WEXITSTATUS(status);
}

static bool
log_has(const char *what)
{
    char buf[4096];
    ssize_t n;
    int fd;

    fd = open(log_path(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    if (strstr(buf, what) != NULL)
        return true;
    cr_log_error("emunic's log: %s", buf);
    return false;
}

Test(fw_peer, umask_000_leaves_the_sockets_private)
{
    char path[160], sub[160];
    int r;

    start_emunic(NULL);
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    cr_expect_eq(mode_of(sub, NULL), 0700, "folder mode %o", mode_of(sub, NULL));
    cr_expect_eq(mode_of(emu.sock, NULL), 0600);
    cr_expect_eq(mode_of(fw_test_path(&emu, ".uplink", path, sizeof(path)),
                         NULL), 0600);
    cr_expect_eq(mode_of(fw_test_path(&emu, ".vf0", path, sizeof(path)),
                         NULL), 0600);
    /* the outer folder is mkdtemp's 0700: open it, the others still hold */
    cr_assert_eq(chmod(dir, 0755), 0);
    r = connect_as_nobody(0, false);
    cr_expect_eq(r, EACCES, "nobody opened the PF: %s", strerror(r));
}

Test(fw_peer, other_users_are_refused_through_open_modes)
{
    char sub[160];
    struct fw_chan *chan;
    int r;

    start_emunic(NULL);
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    cr_assert_eq(chmod(dir, 0755), 0);
    cr_assert_eq(chmod(sub, 0755), 0);
    cr_assert_eq(chmod(emu.sock, 0666), 0);
    r = connect_as_nobody(0, false);
    cr_expect_neq(r, 0, "nobody was let in");
    cr_expect_neq(r, EACCES, "the modes refused, not the credential check");
    cr_expect(log_has("connection refused: uid 65534"),
              "no log line for the refused peer");
    /* and the owner still gets in */
    chan = fw_chan_open(emu.sock, 3000);
    cr_expect_not_null(chan, "owner refused: %s", strerror(errno));
    fw_chan_close(chan);
}

Test(fw_peer, allowed_group_gets_in_with_many_groups)
{
    char sub[160], num[16];
    gid_t gid;
    int r;

    snprintf(num, sizeof(num), "%u", TEST_GROUP);
    start_emunic(num);
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    cr_expect_eq(mode_of(sub, &gid), 0750);
    cr_expect_eq(gid, TEST_GROUP);
    cr_expect_eq(mode_of(emu.sock, &gid), 0660);
    cr_expect_eq(gid, TEST_GROUP);
    cr_assert_eq(chmod(dir, 0755), 0);
    r = connect_as_nobody(MANY_GROUPS, true);
    cr_expect_eq(r, 0, "a member with %d groups was refused: %s",
                 MANY_GROUPS, strerror(r));
    r = connect_as_nobody(MANY_GROUPS, false);
    cr_expect_eq(r, EACCES, "a non-member got past the modes: %s",
                 strerror(r));
    /* past open modes, the credential check refuses it */
    cr_assert_eq(chmod(sub, 0755), 0);
    cr_assert_eq(chmod(emu.sock, 0666), 0);
    r = connect_as_nobody(MANY_GROUPS, false);
    cr_expect(r != 0 && r != EACCES, "a non-member: %s", strerror(r));
    cr_expect(log_has("members of group 4242"), "no log line for the "
              "refused non-member");
}

Test(fw_peer, unknown_group_is_refused_at_start)
{
    const char *bin = getenv("EMUNIC");
    int status;
    pid_t pid;

    cr_assert_not_null(bin);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(devnull, STDERR_FILENO);
        execl(bin, bin, "--socket", "/tmp/snic-fw-peer-never", "-q",
              "--allow-group", "no-such-group-snic", (char *)NULL);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 2,
              "status %d", status);
}
