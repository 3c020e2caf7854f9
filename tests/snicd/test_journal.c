/* SPDX-License-Identifier: BSD-3-Clause */
/* The desired-state journal: replay, torn last line, compaction. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

Test(journal, torn_last_line_is_dropped_and_truncated)
{
    struct flow a = parse("in_port=2,actions=output:3");
    struct flow b = parse("in_port=4,actions=output:1");
    struct seen s = { 0 };
    struct snicd_journal *j = snicd_journal_open(path, collect, &s, NULL);
    size_t good;
    int fd;

    cr_assert_not_null(j);
    snicd_journal_record(j, true, &a);
    snicd_journal_sync(j);
    snicd_journal_close(j);
    good = file_size();
    /* a crash in the middle of writing the next record */
    fd = open(path, O_WRONLY | O_APPEND);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "+ cookie=0x0, table=0, in_port=4 act", 36), 36);
    close(fd);

    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_expect_eq(s.n, 1, "only the complete record replays (got %d)", s.n);
    cr_expect_eq(file_size(), good, "the torn bytes are cut away");
    snicd_journal_record(j, true, &b);
    snicd_journal_sync(j);
    snicd_journal_close(j);

    memset(&s, 0, sizeof(s));
    j = snicd_journal_open(path, collect, &s, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(s.n, 2);
    cr_expect(flow_equal(&s.f[1], &b));
    snicd_journal_close(j);
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
