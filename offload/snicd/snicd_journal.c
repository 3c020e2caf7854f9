/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The journal: where the desired flow set lives across a snicd restart or
 * crash (docs/snicd.md, "Desired state across restarts").
 *
 * A text file, one record per line, each the effect of an accepted flow
 * mod on one flow, in the flow language itself so an operator can read it:
 *
 *   snicd-journal 1
 *   + cookie=0x0, table=0, priority=100,in_port=2 actions=output:1
 *   - cookie=0x0, table=0, priority=100,in_port=2 actions=output:1
 *
 * "+" adds (or replaces the flow with the same table, priority and match);
 * "-" removes that flow (its actions are kept only to reuse the parser).
 * Ports are written as numbers, which do not depend on discovery.
 *
 * Records of one batch are written with one write() and one fdatasync()
 * before the batch is acknowledged, so an acknowledged flow survives a
 * crash. A crash during the write can leave one torn last line; it never
 * reached the client as acknowledged, so replay drops it (and truncates it
 * away before appending). When the file holds more than twice as many
 * records as there are live flows, it is rewritten from the table into a
 * temporary file, fsync'ed, and renamed over the old one: either file is
 * always complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snicd.h"

#define JOURNAL_MAGIC           "snicd-journal 1\n"
#define JOURNAL_COMPACT_MIN     32u     /* tiny files are not worth it */

struct snicd_journal {
    int fd;
    char *path;
    size_t lines;           /* records in the file */
    char *buf;              /* queued records, not yet written */
    size_t len, cap;
};

static int
write_all(int fd, const char *p, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, p, size);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

/* fsync the folder holding @path, so a create or rename is durable. */
static int
sync_dir(const char *path)
{
    char *copy = strdup(path);
    int fd, rc = 0;

    if (copy == NULL)
        return -ENOMEM;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    free(copy);
    return rc;
}

static int
read_file(int fd, char **out, size_t *size)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);

    if (buf == NULL)
        return -ENOMEM;
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *nb = realloc(buf, cap * 2);

            if (nb == NULL) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return -errno;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *out = buf;
    *size = len;
    return 0;
}

static int
replay_line(const char *path, size_t lineno, char *line,
            snicd_journal_replay_fn *fn, void *ctx)
{
    struct flow_error err;
    struct flow_mod fm;
    bool add;
    int rc;

    if (line[0] != '+' && line[0] != '-') {
        snicd_log(SNICD_LOG_WARN, "%s:%zu: not a journal record, skipped",
                  path, lineno);
        return 0;
    }
    add = line[0] == '+';
    rc = flow_parse(line + 1, FLOW_CMD_ADD, NULL, &fm, &err);
    if (rc < 0) {
        snicd_log(SNICD_LOG_WARN, "%s:%zu: %s (record skipped)", path, lineno,
                  err.msg);
        return 0;
    }
    return fn(ctx, add, &fm.flow);
}

static int
replay(struct snicd_journal *j, snicd_journal_replay_fn *fn, void *ctx)
{
    char *buf = NULL, *p, *end, *keep;
    size_t size = 0, lineno = 0;
    int rc = read_file(j->fd, &buf, &size);

    if (rc < 0)
        return rc;
    if (size == 0) {
        free(buf);
        return write_all(j->fd, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC));
    }
    p = buf;
    end = buf + size;
    keep = buf;             /* end of the last complete line */
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));

        if (nl == NULL)
            break;          /* torn: never acknowledged */
        *nl = '\0';
        lineno++;
        if (lineno == 1 && strcmp(p, "snicd-journal 1") != 0) {
            snicd_log(SNICD_LOG_ERR, "%s: not a snicd journal (first line "
                      "'%.40s', want 'snicd-journal 1')", j->path, p);
            free(buf);
            return -EINVAL;
        }
        if (lineno > 1) {
            rc = replay_line(j->path, lineno, p, fn, ctx);
            if (rc < 0) {
                free(buf);
                return rc;
            }
            j->lines++;
        }
        p = nl + 1;
        keep = p;
    }
    if (keep < end) {
        snicd_log(SNICD_LOG_WARN, "%s: dropped a torn last record (%zu "
                  "bytes)", j->path, (size_t)(end - keep));
        if (ftruncate(j->fd, keep - buf) < 0) {
            rc = -errno;
            free(buf);
            return rc;
        }
    }
    if (keep == buf) /* torn inside the header: start over */
        rc = write_all(j->fd, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC));
    free(buf);
    return rc;
}

struct snicd_journal *
snicd_journal_open(const char *path, snicd_journal_replay_fn *fn, void *ctx,
                   size_t *n_lines)
{
    struct snicd_journal *j = calloc(1, sizeof(*j));
    int rc;

    if (j == NULL)
        goto err_alloc;
    j->path = strdup(path);
    if (j->path == NULL)
        goto err_path;
    /* O_APPEND: records always land at the end, after replay's reads */
    j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (j->fd < 0) {
        rc = -errno;
        goto err_open;
    }
    rc = replay(j, fn, ctx);
    if (rc < 0)
        goto err_replay;
    if (fsync(j->fd) < 0 || sync_dir(path) < 0) {
        rc = -errno;
        goto err_replay;
    }
    if (n_lines != NULL)
        *n_lines = j->lines;
    return j;

err_replay:
    close(j->fd);
err_open:
    free(j->path);
    free(j);
    errno = -rc;
    return NULL;
err_path:
    free(j);
err_alloc:
    errno = ENOMEM;
    return NULL;
}

void
snicd_journal_close(struct snicd_journal *j)
{
    if (j == NULL)
        return;
    snicd_journal_sync(j);
    close(j->fd);
    free(j->buf);
    free(j->path);
    free(j);
}

int
snicd_journal_record(struct snicd_journal *j, bool add, const struct flow *f)
{
    size_t need = 2 + FLOW_FORMAT_MAX + 1;
    int n;

    if (j->cap - j->len < need) {
        size_t cap = j->cap ? j->cap : 65536;
        char *nb;

        while (cap - j->len < need)
            cap *= 2;
        nb = realloc(j->buf, cap);
        if (nb == NULL)
            return -ENOMEM;
        j->buf = nb;
        j->cap = cap;
    }
    j->buf[j->len++] = add ? '+' : '-';
    j->buf[j->len++] = ' ';
    n = flow_format(f, NULL, j->buf + j->len, j->cap - j->len);
    j->len += (size_t)n;
    j->buf[j->len++] = '\n';
    j->lines++;
    return 0;
}

int
snicd_journal_sync(struct snicd_journal *j)
{
    int rc;

    if (j->len == 0)
        return 0;
    rc = write_all(j->fd, j->buf, j->len);
    j->len = 0;
    if (rc == 0 && fdatasync(j->fd) < 0)
        rc = -errno;
    return rc;
}

size_t
snicd_journal_lines(const struct snicd_journal *j)
{
    return j->lines;
}

bool
snicd_journal_wants_compaction(const struct snicd_journal *j, size_t live)
{
    return j->lines >= JOURNAL_COMPACT_MIN && j->lines > 2 * live;
}

const char *
snicd_journal_path(const struct snicd_journal *j)
{
    return j->path;
}

struct compact_ctx {
    struct snicd_journal *j;
    int fd;
    char *buf;
    size_t len, cap;
    size_t lines;
    int err;
};

static int
compact_one(void *ctx_, const struct flow_entry *e)
{
    struct compact_ctx *c = ctx_;
    int n;

    if (c->cap - c->len < FLOW_FORMAT_MAX + 3) {
        int rc = write_all(c->fd, c->buf, c->len);

        if (rc < 0) {
            c->err = rc;
            return 1;
        }
        c->len = 0;
    }
    c->buf[c->len++] = '+';
    c->buf[c->len++] = ' ';
    n = flow_format(&e->flow, NULL, c->buf + c->len, c->cap - c->len);
    c->len += (size_t)n;
    c->buf[c->len++] = '\n';
    c->lines++;
    return 0;
}

int
snicd_journal_compact(struct snicd_journal *j, const struct flow_table *t)
{
    struct compact_ctx c = { .j = j, .cap = 1u << 20 };
    char *tmp;
    int rc, fd;

    rc = snicd_journal_sync(j);     /* nothing queued may be lost */
    if (rc < 0)
        return rc;
    if (asprintf(&tmp, "%s.tmp", j->path) < 0)
        return -ENOMEM;
    c.buf = malloc(c.cap);
    if (c.buf == NULL) {
        rc = -ENOMEM;
        goto err_buf;
    }
    c.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (c.fd < 0) {
        rc = -errno;
        goto err_open;
    }
    memcpy(c.buf, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC));
    c.len = strlen(JOURNAL_MAGIC);
    rc = flow_table_walk(t, FLOW_TABLE_ALL, compact_one, &c);
    if (rc == 0)
        rc = c.err;
    if (rc == 0)
        rc = write_all(c.fd, c.buf, c.len);
    if (rc == 0 && fsync(c.fd) < 0)
        rc = -errno;
    if (rc < 0)
        goto err_write;
    /* reopen first: if that fails the old file stays in use */
    fd = open(tmp, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        goto err_write;
    }
    if (rename(tmp, j->path) < 0) {
        rc = -errno;
        close(fd);
        goto err_write;
    }
    close(c.fd);
    close(j->fd);
    j->fd = fd;
    j->lines = c.lines;
    free(c.buf);
    free(tmp);
    return sync_dir(j->path);

err_write:
    close(c.fd);
    unlink(tmp);
err_open:
    free(c.buf);
err_buf:
    free(tmp);
    return rc;
}
