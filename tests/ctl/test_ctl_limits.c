/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket against hostile allowed clients: many idle
 * connections, requests never finished, a pipeline of slow requests,
 * replies never read, long streams. Each test measures the bound the
 * server promises (include/snic/ctl.h), with margins for a loaded
 * two-core machine: they check behaviour, not speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "snic/ctl.h"
#include "snic_clock.h"

#define GROUP           4242
#define BIG_REPLY       65536
#define STREAM_ITEMS    20000

static char rundir[64];
static struct ctl_server *server;
static pthread_t server_thread;
static bool threaded;               /* server_thread runs the server */
static bool stop;

static json_t *
m_echo(void *ctx, const json_t *params, struct ctl_error *err)
{
    (void)ctx;
    (void)err;
    return json_deep_copy(params);
}

/* 2 ms of work, like a small add-flow on a busy daemon */
static json_t *
m_slow(void *ctx, const json_t *params, struct ctl_error *err)
{
    (void)ctx;
    (void)params;
    (void)err;
    usleep(2000);
    return json_object();
}

static json_t *
m_big(void *ctx, const json_t *params, struct ctl_error *err)
{
    static char text[BIG_REPLY];

    (void)ctx;
    (void)params;
    (void)err;
    memset(text, 'x', sizeof(text) - 1);
    return json_pack("{s:s}", "text", text);
}

static const struct ctl_method methods[] = {
    { "echo", m_echo, "echo PARAMS: return them" },
    { "slow", m_slow, "slow: 2 ms" },
    { "big", m_big, "big: a 64 KiB reply" },
};

/* "count": STREAM_ITEMS numbers, each {"n":I,"pad":"..."} */
static json_t *
count_open(void *ctx, const json_t *params, void **state,
           struct ctl_error *err)
{
    size_t *pos = calloc(1, sizeof(*pos));

    (void)ctx;
    (void)params;
    if (pos == NULL)
        return ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
    *state = pos;
    return json_pack("{s:i}", "total", STREAM_ITEMS);
}

static int
count_next(void *ctx, void *state, json_t *items, size_t max)
{
    size_t *pos = state;

    (void)ctx;
    for (size_t i = 0; i < max && *pos < STREAM_ITEMS; i++, (*pos)++)
        json_array_append_new(items, json_pack("{s:I, s:s}", "n",
                                               (json_int_t)*pos, "pad",
                                               "0123456789abcdef0123456789"));
    return *pos < STREAM_ITEMS;
}

static void
count_close(void *ctx, void *state)
{
    (void)ctx;
    free(state);
}

static const struct ctl_stream_method streams[] = {
    { "count", "count: a long list", "items", count_open, count_next,
      count_close, NULL },
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

/* A server nobody runs yet: the test turns it (ctl_server_run_once). */
static void
create_with(const struct ctl_limits *lim)
{
    snic_role_enter(&snic_control);
    snprintf(rundir, sizeof(rundir), "/tmp/snic-ctl-lim.XXXXXX");
    cr_assert_not_null(mkdtemp(rundir));
    server = ctl_server_create(rundir, GROUP, methods, 3, NULL);
    cr_assert_not_null(server, "ctl_server_create: %s", strerror(errno));
    cr_assert_eq(ctl_server_add_streams(server, streams, 1), 0);
    if (lim != NULL)
        ctl_server_set_limits(server, lim);
    /* the group's members must reach it */
    chmod(rundir, 0755);
}

/* A thread turns the server created by create_with(). */
static void
start_thread(void)
{
    __atomic_store_n(&stop, false, __ATOMIC_SEQ_CST);
    cr_assert_eq(pthread_create(&server_thread, NULL, serve, NULL), 0);
    threaded = true;
}

static void
start_with(const struct ctl_limits *lim)
{
    create_with(lim);
    start_thread();
}

static void
finish(void)
{
    snic_role_enter(&snic_control);
    if (server == NULL)
        return;
    __atomic_store_n(&stop, true, __ATOMIC_SEQ_CST);
    if (threaded)
        pthread_join(server_thread, NULL);
    threaded = false;
    ctl_server_destroy(server);
    server = NULL;
    rmdir(rundir);
}

TestSuite(ctl_limits, .fini = finish, .timeout = 300);

static int
raw_connect(void)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
             ctl_server_path(server));
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void
send_all(int fd, const char *p, size_t size)
{
    while (size > 0) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL);

        cr_assert_gt(n, 0, "send: %s", strerror(errno));
        p += n;
        size -= (size_t)n;
    }
}

/* Whatever arrives within @ms (until EOF), NUL-terminated, into @buf. */
static size_t
read_for(int fd, char *buf, size_t size, int ms, bool *eof)
{
    int64_t end = snic_now_ms() + ms;
    size_t got = 0;

    *eof = false;
    while (got + 1 < size) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int64_t left = end - snic_now_ms();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        n = recv(fd, buf + got, size - 1 - got, 0);
        if (n <= 0) {
            *eof = true;
            break;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    return got;
}

/* One echo call by a fresh client; its duration in ms, or -1. */
static int64_t
timed_echo(void)
{
    struct ctl_client *c;
    struct ctl_error err = { 0 };
    int64_t t0 = snic_now_ms();
    json_t *r;

    c = ctl_client_open(rundir, 1000);
    if (c == NULL)
        return -1;
    r = ctl_client_call(c, "echo", NULL, 60000, &err);
    ctl_client_close(c);
    if (r == NULL) {
        cr_log_error("echo: %s", err.message);
        return -1;
    }
    json_decref(r);
    return snic_now_ms() - t0;
}

static long
rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* In a child as @uid (group GROUP): open up to @n connections, count
 * those refused for a limit; keep them all open until @hold's write end
 * closes.
 * Returns accepted * 1000 + refused-with-the-expected-message. */
static int
open_many_as(uid_t uid, int n, const char *expect, const int hold[2])
{
    int pipefd[2], result = -1;
    pid_t pid;

    cr_assert_eq(pipe(pipefd), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        gid_t g = GROUP;
        int fds[CTL_MAX_CLIENTS + 16], accepted = 0, refused = 0;
        char buf[1024], c;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(pipefd[0]);
        close(hold[1]);
        if (setgroups(1, &g) < 0 || setgid(65534) < 0 || setuid(uid) < 0)
            _exit(1);
        for (int i = 0; i < n; i++) {
            bool eof;

            fds[i] = raw_connect();
            if (fds[i] < 0)
                continue;
            /* a refusal is one line, then EOF; an accepted one is quiet */
            read_for(fds[i], buf, sizeof(buf), 300, &eof);
            if (eof && strstr(buf, expect) != NULL
                && strstr(buf, "-32003") != NULL)
                refused++;
            else if (!eof)
                accepted++;
        }
        result = accepted * 1000 + refused;
        if (write(pipefd[1], &result, sizeof(result)) < 0)
            _exit(2);
        /* hold them until the parent is done */
        while (read(hold[0], &c, 1) > 0)
            ;
        _exit(0);
    }
    close(pipefd[1]);
    cr_assert_eq(read(pipefd[0], &result, sizeof(result)),
                 (ssize_t)sizeof(result));
    close(pipefd[0]);
    return result;
}

/* 64 idle connections of one uid took every slot, root's included. */
Test(ctl_limits, one_uid_cannot_take_every_slot)
{
    int hold[2], r;
    int64_t ms;

    if (geteuid() != 0)
        cr_skip_test("needs root to act as other users");
    start_with(NULL);
    cr_assert_eq(pipe(hold), 0);
    r = open_many_as(65534, 64, "from uid 65534 (16 at most)", hold);
    cr_expect_eq(r / 1000, 16, "uid 65534 got %d connections", r / 1000);
    cr_expect_eq(r % 1000, 48, "%d refusals said why", r % 1000);
    /* another member and root still get in, and quickly */
    r = open_many_as(65533, 1, "-", hold);
    cr_expect_eq(r / 1000, 1, "uid 65533 was refused");
    ms = timed_echo();
    cr_expect(ms >= 0 && ms < 5000, "root's call: %lld ms", (long long)ms);
    close(hold[1]);
    close(hold[0]);
    while (wait(NULL) > 0)
        ;
}

/* Several uids together leave the last slots to root. */
Test(ctl_limits, the_last_slots_are_roots)
{
    struct ctl_limits lim;
    int hold[2], r;
    int64_t ms;

    if (geteuid() != 0)
        cr_skip_test("needs root to act as other users");
    ctl_limits_default(&lim);
    lim.max_per_uid = CTL_MAX_CLIENTS;
    start_with(&lim);
    cr_assert_eq(pipe(hold), 0);
    r = open_many_as(65534, 64, "are kept for root", hold);
    cr_expect_eq(r / 1000, (int)(CTL_MAX_CLIENTS - lim.root_reserve),
                 "uid 65534 got %d connections", r / 1000);
    cr_expect_eq(r % 1000, (int)lim.root_reserve, "%d refusals said why",
                 r % 1000);
    ms = timed_echo();
    cr_expect(ms >= 0 && ms < 5000, "root's call: %lld ms", (long long)ms);
    close(hold[1]);
    close(hold[0]);
    while (wait(NULL) > 0)
        ;
}

Test(ctl_limits, idle_connection_is_closed_with_a_reason)
{
    struct ctl_limits lim;
    char buf[1024];
    bool eof;
    int fd;

    ctl_limits_default(&lim);
    lim.idle_timeout_ms = 300;
    start_with(&lim);
    fd = raw_connect();
    cr_assert_geq(fd, 0);
    read_for(fd, buf, sizeof(buf), 10000, &eof);
    cr_expect(eof, "still open after 10 s");
    cr_expect(strstr(buf, "-32004") && strstr(buf, "was idle"), "%s", buf);
    close(fd);
}

Test(ctl_limits, unfinished_request_is_closed_with_a_reason)
{
    struct ctl_limits lim;
    char buf[1024];
    bool eof;
    int fd;

    ctl_limits_default(&lim);
    lim.request_timeout_ms = 300;
    start_with(&lim);
    fd = raw_connect();
    cr_assert_geq(fd, 0);
    send_all(fd, "{\"jsonrpc\":\"2.0\",", 17);
    read_for(fd, buf, sizeof(buf), 10000, &eof);
    cr_expect(eof, "still open after 10 s");
    cr_expect(strstr(buf, "did not finish its request"), "%s", buf);
    close(fd);
}

/* 3,000 pipelined requests of 2 ms each are 6 s of work: served one per
 * turn, they do not keep another client waiting for them all. */
Test(ctl_limits, a_pipeline_of_slow_requests_does_not_delay_others)
{
    static const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
                              "\"method\":\"slow\"}\n";
    size_t n = 3000, size = n * (sizeof(req) - 1);
    char *all = malloc(size), buf[4096];
    int64_t worst = 0;
    bool eof;
    int fd;

    cr_assert_not_null(all);
    start_with(NULL);
    for (size_t i = 0; i < n; i++)
        memcpy(all + i * (sizeof(req) - 1), req, sizeof(req) - 1);
    fd = raw_connect();
    cr_assert_geq(fd, 0);
    /* the hostile client writes it all (from a thread: the server reads
     * it only as it answers) and reads its replies as they come */
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        while (size > 0) {
            ssize_t k = send(fd, all, size, MSG_NOSIGNAL);

            if (k <= 0)
                _exit(1);
            all += k;
            size -= (size_t)k;
        }
        _exit(0);
    }
    read_for(fd, buf, sizeof(buf), 200, &eof);  /* it is under way */
    for (int i = 0; i < 5; i++) {
        int64_t ms = timed_echo();

        cr_expect_geq(ms, 0);
        if (ms > worst)
            worst = ms;
        read_for(fd, buf, sizeof(buf), 50, &eof);
    }
    cr_expect_lt(worst, 3000, "another client waited %lld ms",
                 (long long)worst);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fd);
    free(all);
}

/* 2,000 pipelined 64 KiB replies never read: 128 MiB the server used to
 * queue. It stops reading that client once out_max is waiting. */
Test(ctl_limits, replies_never_read_stay_bounded)
{
    static const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
                              "\"method\":\"big\"}\n";
    size_t n = 2000, size = n * (sizeof(req) - 1), sent = 0;
    char *all = malloc(size);
    long before, after;
    int64_t ms;
    int fd;

    cr_assert_not_null(all);
    start_with(NULL);
    for (size_t i = 0; i < n; i++)
        memcpy(all + i * (sizeof(req) - 1), req, sizeof(req) - 1);
    before = rss_kb();
    fd = raw_connect();
    cr_assert_geq(fd, 0);
    /* as much as the socket takes within 3 s, then stop writing */
    fcntl(fd, F_SETFL, O_NONBLOCK);
    for (int64_t end = snic_now_ms() + 3000; sent < size && snic_now_ms() < end;) {
        ssize_t k = send(fd, all + sent, size - sent, MSG_NOSIGNAL);

        if (k > 0)
            sent += (size_t)k;
        else
            usleep(10000);
    }
    usleep(500000);
    ms = timed_echo();
    after = rss_kb();
    cr_expect(ms >= 0 && ms < 5000, "another client waited %lld ms",
              (long long)ms);
    cr_expect_lt(after - before, 32 * 1024, "memory grew by %ld kB for "
                 "%zu requests sent", after - before, sent / (sizeof(req) - 1));
    close(fd);
    free(all);
}

Test(ctl_limits, a_client_that_reads_nothing_is_closed)
{
    static const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,"
                              "\"method\":\"big\"}\n";
    struct ctl_limits lim;
    char buf[64];
    int fd;

    ctl_limits_default(&lim);
    lim.stall_timeout_ms = 500;
    start_with(&lim);
    fd = raw_connect();
    cr_assert_geq(fd, 0);
    for (int i = 0; i < 40; i++)
        send_all(fd, req, sizeof(req) - 1);
    sleep(3);
    /* what the socket holds can still be read, then the end: EOF, or
     * ECONNRESET when the server closed with requests of ours still
     * unread (a loaded machine: it read fewer before its replies stalled) */
    ssize_t n, total = 0;
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
        total += n;
    cr_expect(n == 0 || (n < 0 && errno == ECONNRESET), "not closed: %s",
              n < 0 ? strerror(errno) : "data");
    cr_expect_lt(total, 40 * BIG_REPLY, "all %zd bytes were sent", total);
    close(fd);
}

static int
stream_request(void)
{
    static const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":7,"
                              "\"method\":\"count\"}\n";
    int fd = raw_connect();

    if (fd >= 0 && send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL)
                       != (ssize_t)(sizeof(req) - 1)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read one stream reply to its end: "" when whole and right, else why. */
static const char *
stream_read(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    json_error_t jerr;
    json_t *r, *res, *items;
    bool ok;

    for (;;) {
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);

        if (n <= 0)
            return "cut short";
        got += (size_t)n;
        if (buf[got - 1] == '\n')
            break;
    }
    r = json_loadb(buf, got, 0, &jerr);
    if (r == NULL)
        return "not JSON";
    res = json_object_get(r, "result");
    items = json_object_get(res, "items");
    ok = json_integer_value(json_object_get(r, "id")) == 7
         && json_integer_value(json_object_get(res, "total")) == STREAM_ITEMS
         && json_array_size(items) == STREAM_ITEMS
         && json_integer_value(json_object_get(json_array_get(
                items, STREAM_ITEMS - 1), "n")) == STREAM_ITEMS - 1;
    json_decref(r);
    return ok ? "" : "wrong items";
}

/* Long lists arrive whole, as one valid line each, while another client
 * is answered between their parts. */
Test(ctl_limits, streams_are_whole_and_interleaved)
{
    enum { N = 6 };
    struct ctl_limits lim;
    size_t cap = 16u << 20;
    char *buf = malloc(cap);
    int fds[N];
    int64_t ms;

    cr_assert_not_null(buf);
    /* read one after the other: the others wait unread meanwhile, which
     * on a loaded machine may take longer than the default stall limit */
    ctl_limits_default(&lim);
    lim.stall_timeout_ms = 600000;
    start_with(&lim);
    for (int i = 0; i < N; i++) {
        fds[i] = stream_request();
        cr_assert_geq(fds[i], 0);
    }
    ms = timed_echo();
    cr_expect(ms >= 0 && ms < 5000, "echo during streams: %lld ms",
              (long long)ms);
    for (int i = 0; i < N; i++) {
        const char *why = stream_read(fds[i], buf, cap);

        cr_expect_str_empty(why, "stream %d: %s", i, why);
        close(fds[i]);
    }
    free(buf);
}

/* A uid other than root has CTL_STREAMS_PER_UID streams open at once; the
 * next waits for one to end, then arrives whole. The client reads them in
 * the order it asked for them: that works only if the server opens them
 * in that order (it did not, and this test hung: see the next one). A
 * reader waits 120 s at most, so a server that never answers fails the
 * test rather than hanging it. */
Test(ctl_limits, a_uids_extra_stream_waits_its_turn)
{
    struct ctl_limits lim;
    int status;
    pid_t pid;

    if (geteuid() != 0)
        cr_skip_test("needs root to act as another user");
    ctl_limits_default(&lim);
    lim.stall_timeout_ms = 600000;      /* see above */
    /* The child allocates (its buffer, jansson): it is forked before the
     * server thread exists, since a child forked while another thread
     * holds the sanitizer's allocator lock hangs in its first malloc (seen
     * under load). Its connections wait in the listen queue meanwhile. */
    create_with(&lim);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid > 0)
        start_thread();
    if (pid == 0) {
        enum { N = CTL_STREAMS_PER_UID + 1 };
        size_t cap = 16u << 20;
        char *buf = malloc(cap);
        gid_t g = GROUP;
        int fds[N];

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (buf == NULL || setgroups(1, &g) < 0 || setgid(65534) < 0
            || setuid(65534) < 0)
            _exit(10);
        struct timeval tv = { .tv_sec = 120 };

        for (int i = 0; i < N; i++)
            if ((fds[i] = stream_request()) < 0
                || setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv,
                              sizeof(tv)) < 0)
                _exit(11);
        for (int i = 0; i < N; i++)
            if (stream_read(fds[i], buf, cap)[0] != '\0')
                _exit(20 + i);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "child status %d (2%d: stream %d cut short or never came)",
              WEXITSTATUS(status), WEXITSTATUS(status) % 10,
              WEXITSTATUS(status) % 10);
}

/* Has @fd bytes to read now? */
static bool
readable(int fd)
{
    char b;

    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

/* The cause of the hang above, turn by turn (no thread: the test runs the
 * server's turns itself, so which connection the round robin starts at is
 * known). One uid's three stream requests arrive in the same turn, in the
 * order its connections were made: the first two open, the third waits
 * until one of them ends, whichever slot the round robin starts at. (It
 * used to pick by slot from the round robin's start: starting at the
 * second connection, the second and third opened and the first waited,
 * while its client read the first and left the others unread.) */
Test(ctl_limits, a_uids_streams_open_in_the_order_asked)
{
    enum { N = CTL_STREAMS_PER_UID + 1 };
    static char buf[4u << 20];      /* a stream is about 1 MB */
    size_t cap = sizeof(buf);
    gid_t g = GROUP, none[1];

    snic_role_enter(&snic_control);
    if (geteuid() != 0)
        cr_skip_test("needs root to act as another user");
    /* the round robin starts at each slot in turn when the lines come */
    for (unsigned start = 0; start < N + 1; start++) {
        int fds[N];

        create_with(NULL);
        for (unsigned k = 0; k < start; k++)
            ctl_server_run_once(server, 0);
        /* connect as nobody, in group GROUP (credentials are taken at
         * connect), then be root again */
        cr_assert_eq(setgroups(1, &g), 0);
        cr_assert_eq(seteuid(65534), 0);
        for (int i = 0; i < N; i++)
            fds[i] = stream_request();
        cr_assert_eq(seteuid(0), 0);
        cr_assert_eq(setgroups(0, none), 0);
        for (int i = 0; i < N; i++)
            cr_assert_geq(fds[i], 0, "start %u: connect %d", start, i);
        /* accept, read the three lines, serve them, open what may open */
        for (int t = 0; t < 8; t++)
            ctl_server_run_once(server, 0);
        for (int i = 0; i < N; i++)
            cr_assert_eq(readable(fds[i]), i < N - 1, "start %u: stream %d "
                         "%s", start, i, i < N - 1 ? "did not open"
                         : "opened before one of the first two ended");
        /* the first read to its end: the last one opens */
        for (int i = 0; i < N; i++) {
            size_t got = 0;

            while (got == 0 || buf[got - 1] != '\n') {
                ssize_t n = recv(fds[i], buf + got, cap - 1 - got,
                                 MSG_DONTWAIT);

                if (n > 0)
                    got += (size_t)n;
                else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                    cr_assert_fail("start %u: stream %d cut short", start,
                                   i);
                else
                    ctl_server_run_once(server, 0);
            }
            /* whole: every item (about 45 bytes each), then the end */
            cr_expect(got > 40u * STREAM_ITEMS
                      && memcmp(buf + got - 4, "]}}\n", 4) == 0,
                      "start %u: stream %d: %zu bytes", start, i, got);
        }
        for (int i = 0; i < N; i++)
            close(fds[i]);
        ctl_server_destroy(server);
        server = NULL;
        rmdir(rundir);
    }
}
