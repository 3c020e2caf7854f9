/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket end to end: a server thread, real clients. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "snic/ctl.h"
#include "snic/peer.h"

static char rundir[64];
static struct ctl_server *server;
static pthread_t server_thread;
static bool stop;

static json_t *
m_echo(void *ctx, const json_t *params, struct ctl_error *err)
{
    (void)ctx;
    (void)err;
    return json_deep_copy(params);
}

static json_t *
m_fail(void *ctx, const json_t *params, struct ctl_error *err)
{
    (void)ctx;
    (void)params;
    return ctl_fail(err, CTL_ERR_FAILED, "flow at 3 'x': nope");
}

static const struct ctl_method methods[] = {
    { "echo", m_echo, "echo PARAMS: return them" },
    { "fail", m_fail, "fail: always refuse" },
};

static void *
serve(void *arg)
{
    snic_role_enter(&snic_control);
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST))
        ctl_server_run_once(server, 20);
    return NULL;
}

static void
start(void)
{
    snprintf(rundir, sizeof(rundir), "/tmp/snic-ctl-test.XXXXXX");
    cr_assert_not_null(mkdtemp(rundir));
    server = ctl_server_create(rundir, (gid_t)-1, methods, 2, NULL);
    cr_assert_not_null(server, "ctl_server_create: %s", strerror(errno));
    __atomic_store_n(&stop, false, __ATOMIC_SEQ_CST);
    pthread_create(&server_thread, NULL, serve, NULL);
}

static void
finish(void)
{
    snic_role_enter(&snic_control);
    __atomic_store_n(&stop, true, __ATOMIC_SEQ_CST);
    pthread_join(server_thread, NULL);
    ctl_server_destroy(server);
    rmdir(rundir);
}

TestSuite(ctl_server, .init = start, .fini = finish, .timeout = 30);

Test(ctl_server, round_trip_and_errors)
{
    struct ctl_client *c = ctl_client_open(rundir, 1000);
    cr_assert_not_null(c, "connect: %s", strerror(errno));
    struct ctl_error err = { 0 };

    json_t *r = ctl_client_call(c, "echo", json_pack("{s:i}", "n", 5), 2000,
                                &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "n")), 5);
    json_decref(r);

    cr_expect_null(ctl_client_call(c, "fail", NULL, 2000, &err));
    cr_expect_eq(err.code, CTL_ERR_FAILED);
    cr_expect_str_eq(err.message, "flow at 3 'x': nope");

    cr_expect_null(ctl_client_call(c, "nonesuch", NULL, 2000, &err));
    cr_expect_eq(err.code, CTL_ERR_NO_METHOD);
    cr_expect(strstr(err.message, "nonesuch") != NULL, "%s", err.message);

    r = ctl_client_call(c, "help", NULL, 2000, &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_array_size(r), 3); /* echo, fail, help */
    json_decref(r);
    ctl_client_close(c);
}

/* Requests sent before any reply is read (pipelining) are answered in
 * order, large ones too, an error among them in its place. */
Test(ctl_server, pipelined_requests_answered_in_order)
{
    struct ctl_client *c = ctl_client_open(rundir, 1000);
    struct ctl_error err = { 0 };
    json_t *big = json_array(), *r;

    cr_assert_not_null(c, "connect: %s", strerror(errno));
    for (int i = 0; i < 2000; i++)
        json_array_append_new(big, json_string("priority=100,in_port=vf0,udp,"
                                               "nw_dst=10.0.0.1 actions=drop"));
    cr_assert_eq(ctl_client_send(c, "echo", json_pack("{s:o}", "flows", big),
                                 2000, &err), 0, "%s", err.message);
    for (int i = 1; i <= 3; i++)
        cr_assert_eq(ctl_client_send(c, i == 2 ? "fail" : "echo",
                                     json_pack("{s:i}", "n", i), 2000, &err),
                     0, "%s", err.message);
    r = ctl_client_recv(c, 2000, &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_array_size(json_object_get(r, "flows")), 2000);
    json_decref(r);
    r = ctl_client_recv(c, 2000, &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "n")), 1);
    json_decref(r);
    cr_expect_null(ctl_client_recv(c, 2000, &err));
    cr_expect_eq(err.code, CTL_ERR_FAILED);
    r = ctl_client_recv(c, 2000, &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "n")), 3);
    json_decref(r);
    /* nothing more was asked: nothing more comes */
    cr_expect_null(ctl_client_recv(c, 200, &err));
    cr_expect_eq(err.code, CTL_ERR_TRANSPORT);
    ctl_client_close(c);
}

/* Params sent as text arrive as the same request would through jansson,
 * in order with the others, and ids keep counting; a method that is not
 * a name is refused before anything is sent. */
Test(ctl_server, params_sent_as_text)
{
    static const char text[] = "{\"flows\":[\"a\\\"b\",\"in_port=vf0 "
                               "actions=drop\"],\"n\":7}";
    struct ctl_client *c = ctl_client_open(rundir, 1000);
    struct ctl_error err = { 0 };
    json_t *r;

    cr_assert_not_null(c, "connect: %s", strerror(errno));
    cr_assert_eq(ctl_client_send(c, "echo", json_pack("{s:i}", "n", 1), 2000,
                                 &err), 0, "%s", err.message);
    cr_assert_eq(ctl_client_send_text(c, "echo", text, strlen(text), 2000,
                                      &err), 0, "%s", err.message);
    cr_expect_eq(ctl_client_send_text(c, "echo\",\"x", "{}", 2, 2000, &err),
                 -EINVAL);
    r = ctl_client_recv(c, 2000, &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "n")), 1);
    json_decref(r);
    r = ctl_client_recv(c, 2000, &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "n")), 7);
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(r, "flows"), 0)), "a\"b");
    cr_expect_eq(json_array_size(json_object_get(r, "flows")), 2);
    json_decref(r);
    r = ctl_client_call(c, "echo", json_pack("{s:i}", "n", 3), 2000, &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "n")), 3);
    json_decref(r);
    ctl_client_close(c);
}

Test(ctl_server, modes_are_private)
{
    struct stat st;
    cr_assert_eq(stat(rundir, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0750, "run dir mode %o", st.st_mode & 0777);
    cr_assert_eq(stat(ctl_server_path(server), &st), 0);
    cr_expect(S_ISSOCK(st.st_mode));
    cr_expect_eq(st.st_mode & 0777, 0660, "socket mode %o", st.st_mode & 0777);
}

Test(ctl_server, second_daemon_is_refused)
{
    snic_role_enter(&snic_control);
    errno = 0;
    struct ctl_server *other = ctl_server_create(rundir, (gid_t)-1, methods,
                                                 2, NULL);
    cr_expect_null(other);
    cr_expect_eq(errno, EADDRINUSE);
    ctl_server_destroy(other);
}

Test(ctl_server, garbage_line_gets_an_error_and_the_next_works)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl_server_path(server));
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    const char *lines = "this is not json\n"
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\"}\n";
    cr_assert_eq(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
    char buf[1024];
    size_t got = 0;
    while (got < sizeof(buf) - 1) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        cr_assert_gt(n, 0);
        got += (size_t)n;
        buf[got] = '\0';
        char *first = strchr(buf, '\n');
        if (first && strchr(first + 1, '\n'))
            break;
    }
    cr_expect(strstr(buf, "\"code\":-32700") != NULL, "%s", buf);
    cr_expect(strstr(buf, "\"id\":2,\"result\":{}") != NULL
              || strstr(buf, "\"result\":{}") != NULL, "%s", buf);
    close(fd);
}

/* The file modes are the first gate; the peer credential check is the
 * second. Open the first one on purpose and show the second holds. */
Test(ctl_server, other_users_are_refused)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to act as another user");
    cr_assert_eq(chmod(rundir, 0755), 0);
    cr_assert_eq(chmod(ctl_server_path(server), 0666), 0);

    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(10);
        struct ctl_client *c = ctl_client_open(ctl_server_path(server), 1000);
        if (c == NULL)
            _exit(11);
        struct ctl_error err = { 0 };
        json_t *r = ctl_client_call(c, "echo", NULL, 2000, &err);
        _exit(r == NULL && err.code == CTL_ERR_DENIED
                      && strstr(err.message, "uid 65534") != NULL
                  ? 0 : 12);
    }
    int status;
    waitpid(pid, &status, 0);
    chmod(rundir, 0750);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "child status %d", WEXITSTATUS(status));
}

Test(ctl_server, oversized_request_is_cut_off, .timeout = 60)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl_server_path(server));
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    size_t chunk = 1u << 20;
    char *junk = malloc(chunk);
    memset(junk, 'a', chunk);
    size_t sent = 0;
    while (sent <= CTL_MAX_REQUEST + chunk) {
        ssize_t n = send(fd, junk, chunk, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server closed on us: that is the point */
        sent += (size_t)n;
    }
    free(junk);
    char buf[512] = { 0 };
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n > 0)
        cr_expect(strstr(buf, "-32002") != NULL, "%s", buf);
    close(fd);
    cr_expect_leq(sent, CTL_MAX_REQUEST + 2 * chunk);
}

/* A server of its own, allowing one group, served by its own thread. */
struct group_server {
    char dir[64];
    struct ctl_server *s;
    pthread_t thread;
    bool stop;
};

static void *
serve_group(void *arg)
{
    struct group_server *g = arg;

    snic_role_enter(&snic_control);
    while (!__atomic_load_n(&g->stop, __ATOMIC_SEQ_CST))
        ctl_server_run_once(g->s, 20);
    return NULL;
}

static void
group_server_start(struct group_server *g, gid_t gid)
{
    snprintf(g->dir, sizeof(g->dir), "/tmp/snic-ctl-grp.XXXXXX");
    cr_assert_not_null(mkdtemp(g->dir));
    g->s = ctl_server_create(g->dir, gid, methods, 2, NULL);
    cr_assert_not_null(g->s, "ctl_server_create: %s", strerror(errno));
    __atomic_store_n(&g->stop, false, __ATOMIC_SEQ_CST);
    pthread_create(&g->thread, NULL, serve_group, g);
}

static void
group_server_stop(struct group_server *g)
{
    snic_role_enter(&snic_control);
    __atomic_store_n(&g->stop, true, __ATOMIC_SEQ_CST);
    pthread_join(g->thread, NULL);
    ctl_server_destroy(g->s);
    rmdir(g->dir);
}

/* In a child: @ngroups supplementary groups (the last one @last), become
 * nobody, call echo on @path. 0 answered, 1 refused (DENIED), else how it
 * failed. */
static int
call_as_nobody(const char *path, size_t ngroups, gid_t last)
{
    int status;
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        static gid_t groups[400];
        struct ctl_error err = { 0 };
        struct ctl_client *c;
        json_t *r;

        for (size_t i = 0; i < ngroups; i++)
            groups[i] = (gid_t)(1000000 + i);  /* 8 characters each */
        if (ngroups > 0)
            groups[ngroups - 1] = last;
        if (setgroups(ngroups, groups) < 0 || setgid(65534) < 0
            || setuid(65534) < 0)
            _exit(10);
        c = ctl_client_open(path, 2000);
        if (c == NULL)
            _exit(11);
        r = ctl_client_call(c, "echo", NULL, 3000, &err);
        _exit(r != NULL ? 0 : err.code == CTL_ERR_DENIED ? 1 : 12);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* /proc/PID/status lists 300 groups of 8 digits on one line of 2,700
 * bytes; the allowed group comes last. Membership is the kernel's record
 * taken at connect (SO_PEERGROUPS), however long. */
Test(ctl_server, member_with_300_groups_gets_in)
{
    struct group_server g;
    int r;

    if (geteuid() != 0)
        cr_skip_test("needs root to act as another user");
    group_server_start(&g, 4242);
    cr_assert_eq(chmod(g.dir, 0755), 0);
    r = call_as_nobody(ctl_server_path(g.s), 300, 4242);
    cr_expect_eq(r, 0, "a member with 300 groups: %d", r);
    r = call_as_nobody(ctl_server_path(g.s), 300, 4243);
    cr_expect_eq(r, 11, "a non-member got past the modes: %d", r);
    cr_assert_eq(chmod(ctl_server_path(g.s), 0666), 0);
    r = call_as_nobody(ctl_server_path(g.s), 300, 4243);
    cr_expect_eq(r, 1, "a non-member: %d", r);
    group_server_stop(&g);
}

/* Membership from the group database (a member whose process does not
 * carry the group, e.g. added since it logged in). Uses a group that
 * lists a member in the database as it is; none: skipped. */
Test(ctl_server, membership_from_the_group_database)
{
    struct group *gr;
    struct passwd *pw = NULL;
    gid_t in = 0;

    setgrent();
    while ((gr = getgrent()) != NULL) {
        if (gr->gr_mem[0] != NULL && (pw = getpwnam(gr->gr_mem[0])) != NULL
            && pw->pw_gid != gr->gr_gid) {
            in = gr->gr_gid;
            break;
        }
    }
    endgrent();
    if (pw == NULL || gr == NULL)
        cr_skip_test("no group in the database lists a member");
    cr_expect(snic_peer_uid_in_group(pw->pw_uid, pw->pw_gid, in));
    cr_expect(!snic_peer_uid_in_group(pw->pw_uid, pw->pw_gid, 4243),
              "a member of group 4243 now?");
    cr_expect(!snic_peer_uid_in_group(99999, 99999, in),
              "a uid with no account is a member");
}
