/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text streams (struct ctl_stream_method's write, what dump-flows uses)
 * and the client that reads them an item at a time
 * (ctl_client_stream): every item arrives whole and valid JSON whatever
 * bytes its strings hold; a client that reads nothing makes the server
 * write no further than its output bound, not the whole list; a client
 * that goes away mid-list has its stream closed; others are answered
 * while a stream is read slowly.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "snic/ctl.h"
#include "snic_clock.h"

#define ITEMS           200000u
#define ITEM_BYTES      80u         /* fewer than any item written below */

static char rundir[64];
static struct ctl_server *server;
static pthread_t server_thread;
static bool stop;
/* the stream's progress, read by the test thread */
static size_t produced;
static unsigned closed;

static json_t *
m_echo(void *ctx, const json_t *params, struct ctl_error *err)
{
    (void)ctx;
    (void)err;
    return json_deep_copy(params);
}

static const struct ctl_method methods[] = {
    { "echo", m_echo, "echo PARAMS: return them" },
};

/* The strings an item carries: every kind of byte a JSON string must
 * escape, well-formed UTF-8, and a byte that is not. */
static const char *const texts[] = {
    "plain ascii, priority=100,ip actions=drop",
    "quote \" backslash \\ tab \t newline \n bell \a",
    "utf-8 \xc3\xa9\xe2\x82\xac and a lone \xff byte",
};
static const char *const expect[] = {
    "plain ascii, priority=100,ip actions=drop",
    "quote \" backslash \\ tab \t newline \n bell \a",
    "utf-8 \xc3\xa9\xe2\x82\xac and a lone \xef\xbf\xbd byte",
};

static json_t *
list_open(void *ctx, const json_t *params, void **state,
          struct ctl_error *err)
{
    size_t *pos = calloc(1, sizeof(*pos));

    (void)ctx;
    if (json_object_get(params, "refuse") != NULL) {
        free(pos);
        return ctl_fail(err, CTL_ERR_FAILED, "refused as asked");
    }
    if (pos == NULL)
        return ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
    *state = pos;
    return json_pack("{s:i}", "total", (int)ITEMS);
}

static int
list_write(void *ctx, void *state, struct ctl_stream_out *o,
           size_t max_bytes)
{
    size_t *pos = state, start = ctl_stream_written(o);

    (void)ctx;
    while (*pos < ITEMS && ctl_stream_written(o) - start < max_bytes) {
        ctl_stream_item(o);
        ctl_stream_put(o, "{\"n\":", 5);
        ctl_stream_put_u64(o, *pos);
        ctl_stream_put(o, ",\"s\":", 5);
        ctl_stream_put_str(o, texts[*pos % 3]);
        ctl_stream_put(o, ",\"pad\":\"0123456789abcdef0123456789\"}", 36);
        (*pos)++;
        __atomic_store_n(&produced, *pos, __ATOMIC_SEQ_CST);
    }
    return *pos < ITEMS;
}

static void
list_close(void *ctx, void *state)
{
    (void)ctx;
    free(state);
    __atomic_add_fetch(&closed, 1, __ATOMIC_SEQ_CST);
}

static const struct ctl_stream_method streams[] = {
    { "list", "list: a long list as text", "items", list_open, NULL,
      list_close, list_write },
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
    snic_role_enter(&snic_control);
    snprintf(rundir, sizeof(rundir), "/tmp/snic-ctl-str.XXXXXX");
    cr_assert_not_null(mkdtemp(rundir));
    server = ctl_server_create(rundir, (gid_t)-1, methods, 1, NULL);
    cr_assert_not_null(server, "ctl_server_create: %s", strerror(errno));
    cr_assert_eq(ctl_server_add_streams(server, streams, 1), 0);
    __atomic_store_n(&produced, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&closed, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&stop, false, __ATOMIC_SEQ_CST);
    cr_assert_eq(pthread_create(&server_thread, NULL, serve, NULL), 0);
}

static void
finish(void)
{
    snic_role_enter(&snic_control);
    if (server == NULL)
        return;
    __atomic_store_n(&stop, true, __ATOMIC_SEQ_CST);
    pthread_join(server_thread, NULL);
    ctl_server_destroy(server);
    server = NULL;
    rmdir(rundir);
}

TestSuite(ctl_stream, .init = start, .fini = finish, .timeout = 300);

struct seen {
    size_t n;
    const char *why;        /* the first thing wrong, or NULL */
    size_t stop_at;         /* refuse this item (0: never) */
};

static int
check_item(void *ctx, json_t *item)
{
    struct seen *s = ctx;
    json_t *n = json_object_get(item, "n");
    const char *str = json_string_value(json_object_get(item, "s"));

    if (s->stop_at != 0 && s->n == s->stop_at)
        return -ECANCELED;
    if (s->why == NULL && (!json_is_integer(n)
                           || (size_t)json_integer_value(n) != s->n))
        s->why = "items out of order or lost";
    else if (s->why == NULL
             && (str == NULL || strcmp(str, expect[s->n % 3]) != 0))
        s->why = "a string did not come back as it was";
    s->n++;
    return 0;
}

Test(ctl_stream, every_item_arrives_whole_and_valid)
{
    struct ctl_client *c = ctl_client_open(rundir, 1000);
    struct ctl_error err = { 0 };
    struct seen s = { 0 };
    json_t *r;

    cr_assert_not_null(c);
    r = ctl_client_stream(c, "list", NULL, "items", check_item, &s, 60000,
                          &err);
    cr_assert_not_null(r, "list: %s", err.message);
    cr_expect_null(s.why, "%s (at item %zu)", s.why, s.n);
    cr_expect_eq(s.n, ITEMS, "%zu items", s.n);
    /* the head comes back, with the list empty */
    cr_expect_eq(json_integer_value(json_object_get(r, "total")), ITEMS);
    cr_expect_eq(json_array_size(json_object_get(r, "items")), 0);
    json_decref(r);
    /* the connection goes on: the next call is answered */
    r = ctl_client_call(c, "echo", json_pack("{s:i}", "x", 7), 10000, &err);
    cr_assert_not_null(r, "echo after a stream: %s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "x")), 7);
    json_decref(r);
    /* a refusal comes back as an error, like a plain call's */
    r = ctl_client_stream(c, "list", json_pack("{s:b}", "refuse", 1),
                          "items", check_item, &s, 10000, &err);
    cr_expect_null(r);
    cr_expect_eq(err.code, CTL_ERR_FAILED);
    cr_expect(strstr(err.message, "refused as asked") != NULL, "%s",
              err.message);
    ctl_client_close(c);
}

Test(ctl_stream, the_reader_stopping_stops_the_stream)
{
    struct ctl_client *c = ctl_client_open(rundir, 1000);
    struct ctl_error err = { 0 };
    struct seen s = { .stop_at = 1000 };
    json_t *r;

    cr_assert_not_null(c);
    r = ctl_client_stream(c, "list", NULL, "items", check_item, &s, 60000,
                          &err);
    cr_expect_null(r);
    cr_expect_eq(s.n, 1000);
    cr_expect(strstr(err.message, strerror(ECANCELED)) != NULL, "%s",
              err.message);
    ctl_client_close(c);
}

static int
raw_stream(void)
{
    static const char req[] =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\"}\n";
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
             ctl_server_path(server));
    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL),
                 (ssize_t)sizeof(req) - 1);
    return fd;
}

/* Produced items stop growing (the server waits for the reader). */
static size_t
settled(void)
{
    size_t last = SIZE_MAX, now;

    for (int i = 0; i < 100; i++) {
        usleep(100000);
        now = __atomic_load_n(&produced, __ATOMIC_SEQ_CST);
        if (now == last && now > 0)
            return now;
        last = now;
    }
    return last;
}

Test(ctl_stream, a_reader_that_reads_nothing_holds_no_more_than_the_bound)
{
    struct ctl_limits lim;
    size_t bound, got;
    int64_t t0, ms;
    json_t *r;
    struct ctl_error err = { 0 };
    struct ctl_client *c;
    int fd = raw_stream();
    int sndbuf = 0;
    socklen_t len = sizeof(sndbuf);

    /* unread bytes the server may hold (out_max) plus one turn's
     * writing, plus what the kernel's socket buffers take (both ends) */
    ctl_limits_default(&lim);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, &len);
    bound = (lim.out_max + (64u << 10) + 4 * (size_t)sndbuf) / ITEM_BYTES;
    got = settled();
    cr_expect_lt(got, ITEMS / 4, "%zu of %u items written for a reader "
                 "that read nothing", got, ITEMS);
    cr_expect_leq(got, bound, "%zu items written, bound %zu", got, bound);
    /* others are answered meanwhile */
    t0 = snic_now_ms();
    c = ctl_client_open(rundir, 1000);
    cr_assert_not_null(c);
    r = ctl_client_call(c, "echo", NULL, 10000, &err);
    ms = snic_now_ms() - t0;
    cr_expect_not_null(r, "echo during a held stream: %s", err.message);
    cr_expect_lt(ms, 5000, "echo took %lld ms", (long long)ms);
    json_decref(r);
    ctl_client_close(c);
    /* the reader going away mid-list ends the stream and frees it */
    cr_expect_eq(__atomic_load_n(&closed, __ATOMIC_SEQ_CST), 0);
    close(fd);
    t0 = snic_now_ms();
    while (__atomic_load_n(&closed, __ATOMIC_SEQ_CST) == 0
           && snic_now_ms() - t0 < 10000)
        usleep(10000);
    cr_expect_eq(__atomic_load_n(&closed, __ATOMIC_SEQ_CST), 1,
                 "the stream of a closed connection was not closed");
    cr_expect_lt(__atomic_load_n(&produced, __ATOMIC_SEQ_CST), ITEMS / 4);
}

/* ctl_stream_put_str() alone, no server: a string that needs no escape
 * is copied whole (a fast path that looks at 8 bytes at a time), one
 * that does goes byte by byte; both must give back the string, whatever
 * byte needs the escape and wherever it is in the 8-byte words. */
static char *
put_str_text(const char *s)
{
    struct ctl_stream_out *o = ctl_stream_out_new();
    const char *text;
    size_t size;
    char *copy;

    cr_assert_not_null(o);
    ctl_stream_put_str(o, s);
    text = ctl_stream_out_text(o, &size);
    cr_assert_not_null(text);
    copy = strndup(text, size);
    ctl_stream_out_free(o);
    return copy;
}

/* @text is one JSON string whose value is @want, and it holds no raw
 * byte below 0x20. */
static void
expect_json_string(const char *text, const char *want, const char *what)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    for (const char *p = text; *p != '\0'; p++)
        cr_assert((unsigned char)*p >= 0x20, "%s: a raw control byte in %s",
                  what, text);
    cr_assert_not_null(v, "%s: %s is not JSON: %s", what, text, jerr.text);
    cr_assert(json_is_string(v), "%s: %s", what, text);
    cr_expect_str_eq(json_string_value(v), want, "%s: %s", what, text);
    json_decref(v);
}

Test(ctl_stream_str, every_escape_at_every_place)
{
    static const struct {
        const char *in, *out;
    } special[] = {
        { "\"", "\"" }, { "\\", "\\" }, { "\n", "\n" }, { "\x01", "\x01" },
        { "\x1f", "\x1f" }, { "\t", "\t" },
        { "\xc3\xa9", "\xc3\xa9" },                 /* UTF-8 kept */
        { "\xe2\x82\xac", "\xe2\x82\xac" },
        { "\x80", "\xef\xbf\xbd" },                 /* a lone byte */
        { "\xff", "\xef\xbf\xbd" },
        { "\x7f", "\x7f" }, { " ", " " }, { "~", "~" },  /* as they are */
    };

    for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++)
        for (size_t len = 0; len <= 40; len++)
            for (size_t at = 0; at <= len; at++) {
                char in[64], want[64], what[64];
                size_t n = 0, w = 0;
                char *text;

                for (size_t i = 0; i < at; i++)
                    in[n++] = want[w++] = (char)('a' + i % 26);
                memcpy(in + n, special[k].in, strlen(special[k].in));
                n += strlen(special[k].in);
                memcpy(want + w, special[k].out, strlen(special[k].out));
                w += strlen(special[k].out);
                for (size_t i = at; i < len; i++)
                    in[n++] = want[w++] = (char)('A' + i % 26);
                in[n] = want[w] = '\0';
                snprintf(what, sizeof(what), "special %zu at %zu of %zu", k,
                         at, len);
                text = put_str_text(in);
                expect_json_string(text, want, what);
                free(text);
            }
}

Test(ctl_stream_str, plain_text_is_copied_as_it_is)
{
    char in[300], want[310];
    char *text;

    for (size_t len = 0; len < sizeof(in) - 1; len += 7) {
        for (size_t i = 0; i < len; i++)
            in[i] = (char)(0x20 + (i * 13) % 0x60);     /* ' '..0x7f */
        in[len] = '\0';
        /* '"' and '\\' fall in that range: take them out */
        for (size_t i = 0; i < len; i++)
            if (in[i] == '"' || in[i] == '\\')
                in[i] = '.';
        snprintf(want, sizeof(want), "\"%s\"", in);
        text = put_str_text(in);
        cr_expect_str_eq(text, want);
        free(text);
    }
}

/* ctl_item_strings() (what snicctl dump-flows reads its flows with)
 * against jansson on random items: whenever it takes an item, jansson
 * parses it and gives the same three strings; items of dump-flows' own
 * shape are taken; and it takes a fair share of the random ones (it is
 * not a reader that refuses everything). */
static unsigned item_seed = 13;

static unsigned
item_rand(unsigned n)
{
    item_seed = item_seed * 1103515245u + 12345u;
    return (item_seed >> 16) % n;
}

static void
append(char *buf, size_t *len, const char *s)
{
    size_t n = strlen(s);

    cr_assert_lt(*len + n, 4096);
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

static void
random_ws(char *buf, size_t *len)
{
    static const char *const ws[] = { "", "", "", " ", "\n", " \t" };

    append(buf, len, ws[item_rand(6)]);
}

static void
random_value(char *buf, size_t *len)
{
    static const char *const pieces[] = {
        "priority=100,ip", " actions=drop", "sw", "offload disabled",
        "\\\"", "\\\\", "\\n", "\\u00e9", "\\u0000", "\xc3\xa9",
        "\xe2\x82\xac", "\xff", "\x01", "\t", "/", "'", "(x)",
    };
    static const char *const scalars[] = {
        "0", "7", "-12", "123456789012345678", "1234567890123456789",
        "99999999999999999999", "01", "1.5", "1e3", "-", "true", "false",
        "null", "tru", "nul", "{}", "[1,2]", "{\"a\":1}", "\"\"",
    };

    if (item_rand(6) == 0) {
        append(buf, len, scalars[item_rand(sizeof(scalars)
                                          / sizeof(scalars[0]))]);
        return;
    }
    append(buf, len, "\"");
    for (unsigned k = item_rand(5); k > 0; k--)
        append(buf, len, pieces[item_rand(item_rand(4) ? 4 : sizeof(pieces)
                                           / sizeof(pieces[0]))]);
    append(buf, len, "\"");
}

static void
random_item(char *buf, size_t *len)
{
    static const char *const names[] = {
        "text", "offload", "reason", "id", "n_bytes", "te\\u0078t", "",
    };
    unsigned n = 2 + item_rand(5);

    *len = 0;
    buf[0] = '\0';
    random_ws(buf, len);
    append(buf, len, "{");
    for (unsigned i = 0; i < n; i++) {
        random_ws(buf, len);
        append(buf, len, "\"");
        append(buf, len, names[item_rand(item_rand(8) ? 3 : 7)]);
        append(buf, len, "\"");
        random_ws(buf, len);
        append(buf, len, ":");
        random_ws(buf, len);
        random_value(buf, len);
        random_ws(buf, len);
        if (i + 1 < n)
            append(buf, len, item_rand(30) ? "," : ";");
    }
    append(buf, len, item_rand(30) ? "}" : "");
    random_ws(buf, len);
    if (item_rand(40) == 0)
        append(buf, len, "x");
}

static void
expect_as_jansson(const char *item, size_t len, unsigned *taken)
{
    struct ctl_member m[] = {
        { .name = "text" }, { .name = "offload" }, { .name = "reason" },
    };
    json_t *j;

    if (!ctl_item_strings(item, len, m, 3))
        return;
    (*taken)++;
    j = json_loadb(item, len, 0, NULL);
    cr_assert_not_null(j, "taken, but jansson refuses: %s", item);
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(j, m[i].name);

        cr_assert(json_is_string(v), "%s: not a string for jansson: %s",
                  m[i].name, item);
        cr_assert(json_string_length(v) == m[i].size
                  && memcmp(json_string_value(v), m[i].v, m[i].size) == 0,
                  "%s differs from jansson's: %s", m[i].name, item);
    }
    json_decref(j);
}

Test(ctl_item, strings_as_jansson_reads_them)
{
    static const char dumped[] =
        "{\"text\":\"cookie=0x0, duration=1.250s, table=0, n_packets=0, "
        "n_bytes=0, priority=100,ip,in_port=vf1,nw_dst=10.0.0.1 "
        "actions=output:uplink\",\"offload\":\"sw\",\"reason\":\"offload "
        "disabled\",\"id\":42,\"table\":0,\"priority\":100,\"n_packets\":0,"
        "\"n_bytes\":0,\"cookie\":\"0x0\"}";
    unsigned taken = 0;
    char item[4096];
    size_t len;

    expect_as_jansson(dumped, sizeof(dumped) - 1, &taken);
    cr_assert_eq(taken, 1, "dump-flows' own item is taken");
    for (unsigned i = 0; i < 200000; i++) {
        random_item(item, &len);
        expect_as_jansson(item, len, &taken);
    }
    cr_expect_gt(taken, 5000, "%u of 200,000 random items taken", taken);
}
