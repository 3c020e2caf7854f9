/* SPDX-License-Identifier: BSD-3-Clause */
/* The desired-state journal: replay, torn last line, compaction. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "snicd.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/snicd_journal.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/flows.journal", dir);
}

static void
teardown(void)
{
    char tmp[160];

    unlink(path);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    unlink(tmp);
    rmdir(dir);
}

TestSuite(journal, .init = setup, .fini = teardown);

/* A disk error on the journal's folder: while this is set, fsync() of a
 * folder fails with EIO. This definition takes the place of libc's for
 * the journal code linked into this test. */
static bool fail_dir_fsync;

int
fsync(int fd)
{
    struct stat st;

    if (fail_dir_fsync && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

struct seen {
    int n;
    bool add[64];
    struct flow f[64];
};

static int
collect(void *ctx, bool add, const struct flow *f)
{
    struct seen *s = ctx;

    if (s->n < 64) {
        s->add[s->n] = add;
        s->f[s->n] = *f;
    }
    s->n++;
    return 0;
}

static struct flow
parse(const char *line)
{
    struct flow_mod fm;
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), 0, "%s",
                 err.msg);
    return fm.flow;
}

static size_t
file_size(void)
{
    struct stat st;

    cr_assert_eq(stat(path, &st), 0);
    return (size_t)st.st_size;
}

Test(journal, replays_records_in_order)
{
    struct flow a = parse("priority=5,in_port=2,tcp,tp_dst=80,"
                          "actions=mod_dl_dst:02:00:00:00:00:01,output:3");
    struct flow b = parse("table=1,priority=7,ip,nw_src=10.0.0.0/8,"
                          "actions=drop");
    struct seen s = { 0 };
    size_t n = 99;
    struct snicd_journal *j = snicd_journal_open(path, collect, &s, &n);

    cr_assert_not_null(j);
    cr_expect_eq(n, 0);
    cr_expect_eq(s.n, 0);
    cr_assert_eq(snicd_journal_record(j, true, &a), 0);
    cr_assert_eq(snicd_journal_record(j, true, &b), 0);
    cr_assert_eq(snicd_journal_record(j, false, &a), 0);
    cr_assert_eq(snicd_journal_sync(j), 0);
    snicd_journal_close(j);

    j = snicd_journal_open(path, collect, &s, &n);
    cr_assert_not_null(j);
    cr_expect_eq(n, 3);
    cr_assert_eq(s.n, 3);
    cr_expect(s.add[0] && s.add[1] && !s.add[2]);
    cr_expect(flow_equal(&s.f[0], &a));
    cr_expect(flow_equal(&s.f[1], &b));
    cr_expect(flow_equal(&s.f[2], &a));
    snicd_journal_close(j);
}

struct last_seen {
    size_t n;
    struct flow last;
};

static int
keep_last(void *ctx, bool add, const struct flow *f)
{
    struct last_seen *s = ctx;

    cr_assert(add);
    s->n++;
    s->last = *f;
    return 0;
}

/* A journal of megabytes is read whole (in one buffer of its size, mapped
 * apart from the heap from a huge page on) and replayed to its last
 * record. */
Test(journal, a_journal_of_megabytes_replays_to_its_last_record)
{
    enum { FLOWS = 40000 };
    struct last_seen s = { 0 };
    struct flow f = { 0 };
    size_t n = 0;
    struct snicd_journal *j = snicd_journal_open(path, NULL, NULL, &n);

    cr_assert_not_null(j);
    for (unsigned i = 0; i < FLOWS; i++) {
        char line[160];

        snprintf(line, sizeof(line), "priority=%u,in_port=1,ip,"
                 "nw_dst=10.%u.%u.%u,actions=mod_dl_dst:02:00:00:00:00:01,"
                 "output:2", 100 + i % 7, i >> 16, (i >> 8) & 255, i & 255);
        f = parse(line);
        cr_assert_eq(snicd_journal_record(j, true, &f), 0);
        if (i % 1000 == 999)
            cr_assert_eq(snicd_journal_sync(j), 0);
    }
    cr_assert_eq(snicd_journal_sync(j), 0);
    snicd_journal_close(j);
    cr_assert_gt(file_size(), 2u << 20, "more than a huge page: %zu bytes",
                 file_size());

    j = snicd_journal_open(path, keep_last, &s, &n);
    cr_assert_not_null(j);
    cr_expect_eq(n, FLOWS);
    cr_expect_eq(s.n, FLOWS);
    cr_expect(flow_equal(&s.last, &f), "the last record came back");
    snicd_journal_close(j);
}

/* Neighbor Discovery matches share key bytes with nw_src/nw_dst and
 * mpls_lse/tcp_flags: the journal's text brings them back as they were,
 * beside an IPv4 flow using those bytes its own way. */
Test(journal, neighbor_discovery_matches_come_back)
{
    struct flow f[3] = {
        parse("table=73,priority=95,icmp6,in_port=3,icmp_type=136,"
              "nd_target=fe80::f816:3eff:fe12:3456,actions=resubmit(,94)"),
        parse("icmp6,icmp_type=135,nd_target=fe80::/64,"
              "nd_sll=fa:16:3e:00:00:00/ff:ff:ff:00:00:00,actions=drop"),
        parse("ip,nw_src=10.0.0.1,nw_dst=10.0.0.2,actions=drop"),
    };
    struct seen s = { 0 };
    struct snicd_journal *j = snicd_journal_open(path, collect, &s, NULL);

    cr_assert_not_null(j);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(snicd_journal_record(j, true, &f[i]), 0);
    cr_assert_eq(snicd_journal_sync(j), 0);
    snicd_journal_close(j);

    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(s.n, 3);
    for (int i = 0; i < 3; i++)
        cr_expect(flow_equal(&s.f[i], &f[i]), "flow %d", i);
    snicd_journal_close(j);
}

Test(journal, unsynced_records_are_not_on_disk_until_sync)
{
    struct flow a = parse("in_port=2,actions=output:3");
    struct snicd_journal *j = snicd_journal_open(path, collect,
                                                 &(struct seen){ 0 }, NULL);
    size_t before;

    cr_assert_not_null(j);
    before = file_size();
    cr_assert_eq(snicd_journal_record(j, true, &a), 0);
    cr_expect_eq(file_size(), before);
    cr_assert_eq(snicd_journal_sync(j), 0);
    cr_expect_gt(file_size(), before);
    snicd_journal_close(j);
}

/* Append raw bytes to the journal file, as a crash or a disk would. */
static void
append_raw(const char *p, size_t size)
{
    int fd = open(path, O_WRONLY | O_APPEND);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, p, size), (ssize_t)size);
    close(fd);
}

/* A journal holding one frame per flow of @lines; returns the file size
 * after each frame in @ends (may be NULL). */
static void
write_frames(const char *const *lines, int n, size_t *ends)
{
    struct snicd_journal *j = snicd_journal_open(path, collect,
                                                 &(struct seen){ 0 }, NULL);

    cr_assert_not_null(j);
    for (int i = 0; i < n; i++) {
        struct flow f = parse(lines[i]);

        cr_assert_eq(snicd_journal_record(j, true, &f), 0);
        cr_assert_eq(snicd_journal_sync(j), 0);
        if (ends != NULL)
            ends[i] = file_size();
    }
    snicd_journal_close(j);
}

/* Flip one byte of the file at @offset. */
static void
flip(size_t offset)
{
    int fd = open(path, O_RDWR);
    char c;

    cr_assert_geq(fd, 0);
    cr_assert_eq(pread(fd, &c, 1, (off_t)offset), 1);
    c ^= 0x04;
    cr_assert_eq(pwrite(fd, &c, 1, (off_t)offset), 1);
    close(fd);
}

/* stderr into a file while @open_it runs; the log's text (static). */
static const char *
open_logged(struct snicd_journal **out, struct seen *s)
{
    static char log[4096];
    char lpath[160];
    int saved = dup(2), fd;
    ssize_t n;

    snprintf(lpath, sizeof(lpath), "%s/log", dir);
    fd = open(lpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    fflush(stderr);
    dup2(fd, 2);
    errno = 0;
    *out = snicd_journal_open(path, collect, s, NULL);
    int saved_errno = errno;

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, log, sizeof(log) - 1, 0);
    log[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(lpath);
    errno = saved_errno;
    return log;
}

static const char *const three[] = {
    "priority=1,in_port=2,actions=output:3",
    "priority=2,in_port=2,actions=output:3",
    "priority=3,in_port=2,actions=output:3",
};

Test(journal, torn_last_frame_is_cut_and_the_next_frame_is_clean)
{
    static const char *const torn[] = {
        /* inside the frame header */
        "@ 40 1a2b",
        /* a whole header whose payload runs past the end */
        NULL,
        /* zeroes: a file extended by a crash before its data reached
         * the disk */
        "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
    };
    struct flow b = parse("in_port=4,actions=output:1");

    for (int k = 0; k < 3; k++) {
        struct seen s = { 0 };
        struct snicd_journal *j;
        size_t ends[2];
        const char *log;

        unlink(path);
        write_frames(three, 2, ends);
        if (torn[k] == NULL) {
            char frame[256];
            int fd = open(path, O_RDONLY);
            ssize_t n;

            /* the second frame again, cut in its payload */
            cr_assert_geq(fd, 0);
            n = pread(fd, frame, ends[1] - ends[0], (off_t)ends[0]);
            close(fd);
            cr_assert_eq(n, (ssize_t)(ends[1] - ends[0]));
            append_raw(frame, (size_t)n - 7);
        } else {
            append_raw(torn[k], k == 2 ? 30 : strlen(torn[k]));
        }
        log = open_logged(&j, &s);
        cr_assert_not_null(j, "case %d: %s", k, log);
        cr_expect_eq(s.n, 2, "case %d: the whole frames replay (got %d)", k,
                     s.n);
        cr_expect_eq(file_size(), ends[1], "case %d: the torn bytes are cut",
                     k);
        cr_expect(strstr(log, "cut a torn last write at byte") != NULL,
                  "case %d: logged: %s", k, log);
        cr_assert_eq(snicd_journal_record(j, true, &b), 0);
        cr_assert_eq(snicd_journal_sync(j), 0);
        snicd_journal_close(j);

        memset(&s, 0, sizeof(s));
        j = snicd_journal_open(path, collect, &s, NULL);
        cr_assert_not_null(j);
        cr_assert_eq(s.n, 3, "case %d: the next frame replays", k);
        cr_expect(flow_equal(&s.f[2], &b));
        snicd_journal_close(j);
    }
}

Test(journal, last_frame_with_a_bad_checksum_is_torn)
{
    struct seen s = { 0 };
    struct snicd_journal *j;
    size_t ends[3];

    write_frames(three, 3, ends);
    flip(ends[2] - 5);              /* in the last frame's payload */
    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_expect_eq(s.n, 2);
    cr_expect_eq(file_size(), ends[1]);
    snicd_journal_close(j);
}

Test(journal, damage_before_the_end_is_an_error_naming_it)
{
    /* a payload byte, a header's length digit, a header's first byte */
    for (int k = 0; k < 3; k++) {
        struct seen s = { 0 };
        struct snicd_journal *j;
        size_t ends[3], at;
        const char *log;
        char want[256];

        unlink(path);
        write_frames(three, 3, ends);
        at = k == 0 ? ends[1] - 5 : k == 1 ? ends[0] + 2 : ends[0];
        flip(at);
        log = open_logged(&j, &s);
        cr_expect_null(j, "case %d: damage must not be skipped", k);
        cr_expect_eq(errno, EBADMSG, "case %d", k);
        snprintf(want, sizeof(want), "%s: damaged at byte %zu (line %d)",
                 path, ends[0], 4);
        cr_expect(strstr(log, want) != NULL, "case %d: '%s' in: %s", k, want,
                  log);
        cr_expect(strstr(log, k == 0 ? "checksum mismatch"
                                     : "not a valid frame header") != NULL,
                  "case %d: why, in: %s", k, log);
        cr_expect_eq(file_size(), ends[2], "case %d: the file is left as is",
                     k);
        if (j != NULL)
            snicd_journal_close(j);
    }
}

/* RLIMIT_FSIZE makes write() stop part-way, as a full disk does. */
static void
limit_file_size(rlim_t size)
{
    struct rlimit rl = { size, RLIM_INFINITY };

    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

Test(journal, a_failed_write_leaves_nothing_and_the_next_frame_is_clean)
{
    struct flow a = parse("priority=1,in_port=2,actions=output:3");
    struct flow b = parse("priority=2,in_port=2,actions=output:3");
    struct seen s = { 0 };
    struct snicd_journal *j = snicd_journal_open(path, collect, &s, NULL);
    size_t good, mark;
    char big[200];

    cr_assert_not_null(j);
    cr_assert_eq(snicd_journal_record(j, true, &a), 0);
    cr_assert_eq(snicd_journal_sync(j), 0);
    good = file_size();
    /* a batch of 50 flows with room for a part of it only */
    mark = snicd_journal_mark(j);
    for (int i = 0; i < 50; i++) {
        snprintf(big, sizeof(big), "priority=%d,in_port=2,actions=output:3",
                 100 + i);
        struct flow f = parse(big);

        cr_assert_eq(snicd_journal_record(j, true, &f), 0);
    }
    limit_file_size(good + 300);
    cr_expect_eq(snicd_journal_sync(j), -EFBIG);
    cr_expect_eq(file_size(), good, "the part that was written is cut off");
    snicd_journal_discard(j, mark);
    limit_file_size(RLIM_INFINITY);
    cr_assert_eq(snicd_journal_record(j, true, &b), 0);
    cr_assert_eq(snicd_journal_sync(j), 0);
    snicd_journal_close(j);

    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(s.n, 2, "a and b, nothing of the failed batch (got %d)",
                 s.n);
    cr_expect(flow_equal(&s.f[0], &a));
    cr_expect(flow_equal(&s.f[1], &b));
    snicd_journal_close(j);
}

Test(journal, format_1_is_read_and_rewritten)
{
    static const char v1[] =
        "snicd-journal 1\n"
        "+ cookie=0x0, table=0, priority=5,in_port=2 actions=output:3\n"
        "+ cookie=0x0, table=0, priority=6,in_port=2 actions=output:3\n"
        "- cookie=0x0, table=0, priority=5,in_port=2 actions=output:3\n"
        "+ cookie=0x0, table=0, priority=7,in";
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct flow_mod fm = { .cmd = FLOW_CMD_ADD };
    struct seen s = { 0 };
    struct snicd_journal *j;
    char head[32] = "";
    int fd;

    cr_assert_not_null(t);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, v1, sizeof(v1) - 1), (ssize_t)sizeof(v1) - 1);
    close(fd);
    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(s.n, 3, "three whole lines (got %d)", s.n);
    cr_expect(s.add[0] && s.add[1] && !s.add[2]);
    cr_expect(snicd_journal_needs_rewrite(j));
    cr_expect(snicd_journal_wants_compaction(j, 1));
    /* nothing is appended to a format-1 file */
    cr_assert_eq(snicd_journal_record(j, true, &s.f[1]), 0);
    cr_expect_eq(snicd_journal_sync(j), -EROFS);
    fm.flow = s.f[1];
    cr_assert_eq(flow_table_apply(t, &fm, 0), 1);
    cr_assert_eq(snicd_journal_compact(j, t), 0);
    cr_expect_not(snicd_journal_needs_rewrite(j));
    snicd_journal_close(j);
    fd = open(path, O_RDONLY);
    cr_assert_eq(read(fd, head, 16), 16);
    close(fd);
    cr_expect_str_eq(head, "snicd-journal 2\n");

    memset(&s, 0, sizeof(s));
    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(s.n, 1, "the live flow only (got %d)", s.n);
    cr_expect_eq(s.f[0].priority, 6);
    snicd_journal_close(j);
    flow_table_destroy(t);
}

Test(journal, damaged_format_1_line_is_an_error)
{
    static const char v1[] =
        "snicd-journal 1\n"
        "+ cookie=0x0, table=0, priority=5,in_port=2 actions=output:3\n"
        "+ cookie=0x0, table=0, priority=6,in_port=2 actions=outp+ cookie"
        "=0x0, table=0, priority=7,in_port=2 actions=output:3\n"
        "+ cookie=0x0, table=0, priority=8,in_port=2 actions=output:3\n";
    struct snicd_journal *j;
    const char *log;
    int fd = open(path, O_WRONLY | O_CREAT, 0600);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, v1, sizeof(v1) - 1), (ssize_t)sizeof(v1) - 1);
    close(fd);
    log = open_logged(&j, &(struct seen){ 0 });
    cr_expect_null(j);
    cr_expect_eq(errno, EBADMSG);
    cr_expect(strstr(log, "(line 3)") != NULL && strstr(log, "record does "
              "not parse") != NULL, "%s", log);
}

Test(journal, compaction_never_follows_a_planted_tmp_symlink)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct snicd_journal *j = snicd_journal_open(path, collect,
                                                 &(struct seen){ 0 }, NULL);
    char victim[160], tmp[160], buf[16] = "";
    int fd;

    cr_assert_not_null(t);
    cr_assert_not_null(j);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(victim, O_WRONLY | O_CREAT, 0600);
    cr_assert_eq(write(fd, "precious", 8), 8);
    close(fd);
    cr_assert_eq(symlink(victim, tmp), 0);
    cr_assert_eq(snicd_journal_compact(j, t), 0);
    fd = open(victim, O_RDONLY);
    cr_assert_eq(read(fd, buf, sizeof(buf) - 1), 8);
    close(fd);
    cr_expect_str_eq(buf, "precious", "the symlink's target is untouched");
    cr_expect_eq(access(tmp, F_OK), -1, "no temporary file is left");
    snicd_journal_close(j);
    flow_table_destroy(t);
    unlink(victim);
}

Test(journal, a_symlinked_journal_is_refused)
{
    char real[160];
    int fd;

    snprintf(real, sizeof(real), "%s/real", dir);
    fd = open(real, O_WRONLY | O_CREAT, 0600);
    close(fd);
    cr_assert_eq(symlink(real, path), 0);
    errno = 0;
    cr_expect_null(snicd_journal_open(path, collect, &(struct seen){ 0 },
                                      NULL));
    cr_expect_eq(errno, ELOOP);
    unlink(real);
}

Test(journal, not_a_journal_is_refused)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0600);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "hello\n", 6), 6);
    close(fd);
    errno = 0;
    cr_expect_null(snicd_journal_open(path, collect, &(struct seen){ 0 },
                                      NULL));
    cr_expect_eq(errno, EINVAL);
}

Test(journal, compaction_rewrites_the_live_table)
{
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct snicd_journal *j = snicd_journal_open(path, collect,
                                                 &(struct seen){ 0 }, NULL);
    struct seen s = { 0 };
    char line[128];

    cr_assert_not_null(t);
    cr_assert_not_null(j);
    /* 40 adds and 30 removals: 10 live flows, 70 records */
    for (int i = 0; i < 40; i++) {
        struct flow_mod fm;

        snprintf(line, sizeof(line), "priority=%d,in_port=2,actions=output:3",
                 i);
        cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, NULL), 0);
        snicd_journal_record(j, true, &fm.flow);
        if (i >= 30)
            cr_assert_geq(flow_table_apply(t, &fm, 0), 0);
        else
            snicd_journal_record(j, false, &fm.flow);
    }
    snicd_journal_sync(j);
    cr_expect_eq(snicd_journal_lines(j), 70);
    cr_expect(snicd_journal_wants_compaction(j, 10));
    cr_assert_eq(snicd_journal_compact(j, t), 0);
    cr_expect_eq(snicd_journal_lines(j), 10);
    cr_expect_not(snicd_journal_wants_compaction(j, 10));
    /* appending after compaction goes to the new file */
    snicd_journal_record(j, false, &s.f[0]);
    snicd_journal_close(j);

    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_expect_eq(s.n, 11);
    for (int i = 0; i < 10; i++) {
        cr_expect(s.add[i]);
        cr_expect_eq(s.f[i].priority, 39 - i, "ordered by priority");
    }
    snicd_journal_close(j);
    flow_table_destroy(t);
}

/* del-flows emptied the table, the file was rewritten and renamed into
 * place, and only its folder's sync failed: the rewrite stands (the file
 * already says "no flows", so refusing the batch would keep flows in the
 * table that the next start does not bring back), and no later batch is
 * acknowledged until the folder syncs. */
Test(journal, a_rewrite_whose_folder_cannot_sync_stands_and_holds_back_the_next)
{
    struct flow a = parse("priority=1,in_port=2,actions=output:3");
    struct flow b = parse("priority=2,in_port=2,actions=output:3");
    struct flow c = parse("priority=3,in_port=2,actions=output:3");
    struct flow_table *t = flow_table_create(NULL, NULL);
    struct seen s = { 0 };
    struct snicd_journal *j = snicd_journal_open(path, collect, &s, NULL);
    size_t mark;

    cr_assert_not_null(t);
    cr_assert_not_null(j);
    cr_assert_eq(snicd_journal_record(j, true, &a), 0);
    cr_assert_eq(snicd_journal_record(j, true, &b), 0);
    cr_assert_eq(snicd_journal_sync(j), 0);
    /* the batch that cleared the table queued its removals */
    cr_assert_eq(snicd_journal_record(j, false, &a), 0);
    cr_assert_eq(snicd_journal_record(j, false, &b), 0);
    fail_dir_fsync = true;
    cr_expect_eq(snicd_journal_rewrite(j, t), 0, "the rename committed it");
    mark = snicd_journal_mark(j);
    cr_assert_eq(snicd_journal_record(j, true, &c), 0);
    cr_expect_eq(snicd_journal_sync(j), -EIO, "a batch acknowledged on a "
                 "folder that did not sync");
    snicd_journal_discard(j, mark);
    fail_dir_fsync = false;
    cr_assert_eq(snicd_journal_record(j, true, &c), 0);
    cr_expect_eq(snicd_journal_sync(j), 0);
    snicd_journal_close(j);

    s.n = 0;
    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_expect_eq(s.n, 1, "c alone: the rewrite held, then c (got %d)", s.n);
    cr_expect(s.n >= 1 && s.add[0] && flow_equal(&s.f[0], &c));
    snicd_journal_close(j);
    flow_table_destroy(t);
}
