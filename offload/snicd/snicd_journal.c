/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The journal: where the desired flow set lives across a snicd restart or
 * crash (docs/snicd.md, "Desired state across restarts").
 *
 * The file's format and its reader (bytes in, records out) are in
 * include/snic/journal.h and offload/journal/journal_read.c, pure C that
 * the fuzzer runs too; this file does the I/O and logging around them.
 *
 * Durability. A batch's frame is written (O_APPEND) and fdatasync'ed
 * before the batch is applied: the caller applies it only after
 * snicd_journal_sync() returned 0, so an acknowledged flow survives a
 * crash, and a batch the journal could not take (ENOSPC, EIO) is not
 * applied at all. A failed write is cut off again (ftruncate to the last
 * good size) before anything else is appended; if even that fails, every
 * later sync fails until the cut succeeds, so the next frame never lands
 * behind a torn one.
 *
 * Replay applies a frame only when the reader found it whole (a batch
 * comes back whole or not at all). A torn last write is cut off with a log
 * line. Damage with more frames after it stops replay with an error naming
 * the file, the byte offset, the line and why, and snicd does not start
 * rather than drop flows silently.
 *
 * Journals of format 1 (one record per line, no frames) are read, then
 * rewritten in format 2 by snicd_journal_compact() before anything is
 * appended (snicd_journal_needs_rewrite()).
 *
 * Compaction: when the file holds more than twice as many records as there
 * are live flows, it is rewritten from the table into NAME.tmp in the same
 * folder (created with O_EXCL | O_NOFOLLOW: a planted file or symlink
 * there makes compaction fail, it is never followed), fsync'ed, renamed
 * over NAME, and the folder fsync'ed: either file is complete at every
 * moment.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snic/journal.h"
#include "snic_zmap.h"
#include "snicd.h"

#define JOURNAL_COMPACT_MIN     32u     /* tiny files are not worth it */
#define COMPACT_FRAME_SIZE      (1u << 20)

struct snicd_journal {
    int fd;
    int dirfd;              /* the journal's folder: tmp file and rename */
    char *path;
    char *name;             /* the file's name in dirfd */
    char *tmpname;          /* NAME.tmp */
    off_t size;             /* bytes that are whole frames, on disk */
    size_t lines;           /* records in the file */
    bool legacy;            /* format 1: rewrite before appending */
    bool torn;              /* bytes past size could not be cut off */
    bool dir_unsynced;      /* a rename not yet made durable */
    char *buf;              /* queued records, not yet written */
    size_t len, cap;
    size_t queued;          /* records in buf */
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

/* The whole file in one buffer of its size plus the NUL the reader's
 * string functions stop at. Sized once from fstat: grown by doubling from
 * 64 KB, the journal of a restart with 100,000 flows (8 MB) was copied
 * eight times and faulted in 4 KB at a time, a quarter of the replay
 * thread's CPU. A buffer of a huge page or more is mapped apart from the
 * heap, resident in huge pages (snic_zmap.h), and gone at the end
 * (file_buf_free) instead of leaving a hole in the heap. */
struct file_buf {
    char *p;
    size_t cap;             /* bytes that fit, the NUL's excluded */
    bool mapped;
};

static int
file_buf_alloc(struct file_buf *b, size_t cap)
{
    b->cap = cap;
    b->mapped = cap + 1 >= SNIC_HUGE_PAGE;
    b->p = b->mapped ? snic_zmap_huge(cap + 1) : malloc(cap + 1);
    return b->p != NULL ? 0 : -ENOMEM;
}

static void
file_buf_free(struct file_buf *b)
{
    if (b->mapped)
        snic_zunmap(b->p, b->cap + 1);
    else
        free(b->p);
    b->p = NULL;
}

/* The file grew between fstat and the reads (nothing of snicd's writes
 * it then; an operator's copy over it might): twice the room. */
static int
file_buf_grow(struct file_buf *b, size_t len)
{
    struct file_buf nb;

    if (file_buf_alloc(&nb, b->cap * 2 + 65536) < 0)
        return -ENOMEM;
    memcpy(nb.p, b->p, len);
    file_buf_free(b);
    *b = nb;
    return 0;
}

static int
read_file(int fd, struct file_buf *b, size_t *size)
{
    struct stat st;
    size_t len = 0;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (file_buf_alloc(b, (size_t)st.st_size) < 0)
        return -ENOMEM;
    for (;;) {
        ssize_t n;

        if (len == b->cap) {
            /* at the size fstat gave: EOF is expected, one byte asks */
            char c;

            n = read(fd, &c, 1);
            if (n == 1) {
                if (file_buf_grow(b, len) < 0) {
                    file_buf_free(b);
                    return -ENOMEM;
                }
                b->p[len++] = c;
                continue;
            }
        } else {
            n = read(fd, b->p + len, b->cap - len);
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;    /* free() may change errno */

            file_buf_free(b);
            return err > 0 ? -err : -EIO;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    b->p[len] = '\0';       /* room kept: string functions stop here */
    *size = len;
    return 0;
}

/* ---- replay ---- */

static int
replay(struct snicd_journal *j, snicd_journal_replay_fn *fn, void *ctx)
{
    size_t hdr = strlen(JOURNAL_MAGIC), size = 0;
    struct journal_read jr;
    struct file_buf buf;
    int rc = read_file(j->fd, &buf, &size);

    if (rc < 0)
        return rc;
    rc = journal_read(buf.p, size, fn, ctx, &jr);
    j->lines = jr.records;
    if (rc == 0 && jr.format == 0) {
        /* empty, or torn inside the header: nothing was acknowledged */
        file_buf_free(&buf);
        if (size > 0 && ftruncate(j->fd, 0) < 0)
            return -errno;
        rc = write_all(j->fd, JOURNAL_MAGIC, hdr);
        j->size = (off_t)hdr;
        return rc;
    }
    j->legacy = jr.format == 1;
    if (rc == -EBADMSG)
        snicd_log(SNICD_LOG_ERR, "%s: damaged at byte %zu (line %zu): %s. "
                  "More of the file follows, so this is not a torn last "
                  "write: snicd does not start rather than lose records "
                  "silently (to keep only what is before it: truncate -s %zu "
                  "%s)", j->path, jr.offset, jr.line, jr.why, jr.offset,
                  j->path);
    else if (rc == -EINVAL)
        snicd_log(SNICD_LOG_ERR, "%s: %s", j->path, jr.why);
    if (rc == 0 && jr.torn_at != 0)
        snicd_log(SNICD_LOG_WARN, "%s: last frame (byte %zu) is torn: %s",
                  j->path, jr.torn_at, jr.why);
    if (rc == 0 && jr.keep < size) {
        snicd_log(SNICD_LOG_WARN, "%s: cut a torn last write at byte %zu "
                  "(%zu bytes; never acknowledged)", j->path, jr.keep,
                  size - jr.keep);
        if (!j->legacy && ftruncate(j->fd, (off_t)jr.keep) < 0)
            rc = -errno;
    }
    j->size = (off_t)jr.keep;
    file_buf_free(&buf);
    return rc;
}

/* ---- open, close ---- */

static int
split_path(struct snicd_journal *j, const char *path)
{
    char *d = strdup(path), *b = strdup(path);
    int rc = 0;

    j->path = strdup(path);
    if (d == NULL || b == NULL || j->path == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    j->name = strdup(basename(b));
    if (j->name == NULL || asprintf(&j->tmpname, "%s.tmp", j->name) < 0) {
        j->tmpname = NULL;
        rc = -ENOMEM;
        goto out;
    }
    j->dirfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->dirfd < 0)
        rc = -errno;
out:
    free(d);
    free(b);
    return rc;
}

static void
journal_free(struct snicd_journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    if (j->dirfd >= 0)
        close(j->dirfd);
    free(j->buf);
    free(j->tmpname);
    free(j->name);
    free(j->path);
    free(j);
}

struct snicd_journal *
snicd_journal_open(const char *path, snicd_journal_replay_fn *fn, void *ctx,
                   size_t *n_lines)
{
    struct snicd_journal *j = calloc(1, sizeof(*j));
    int rc;

    if (j == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    j->fd = -1;
    j->dirfd = -1;
    rc = split_path(j, path);
    if (rc < 0)
        goto err;
    /* O_APPEND: records always land at the end, after replay's reads;
     * O_NOFOLLOW: compaction renames over NAME, which would silently
     * replace a symlink by a file */
    j->fd = openat(j->dirfd, j->name, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC
                   | O_NOFOLLOW, 0640);
    if (j->fd < 0) {
        rc = -errno;
        if (rc == -ELOOP)
            snicd_log(SNICD_LOG_ERR, "%s is a symbolic link: give the path "
                      "of the file itself", path);
        goto err;
    }
    rc = replay(j, fn, ctx);
    if (rc < 0)
        goto err;
    if (fsync(j->fd) < 0 || fsync(j->dirfd) < 0) {
        rc = -errno;
        goto err;
    }
    if (n_lines != NULL)
        *n_lines = j->lines;
    return j;

err:
    journal_free(j);
    errno = -rc;
    return NULL;
}

void
snicd_journal_close(struct snicd_journal *j)
{
    if (j == NULL)
        return;
    snicd_journal_sync(j);
    journal_free(j);
}

/* ---- appending ---- */

static int
queue_room(char **buf, size_t *cap, size_t len, size_t need)
{
    size_t c = *cap ? *cap : 65536;
    char *nb;

    if (*cap - len >= need)
        return 0;
    while (c - len < need)
        c *= 2;
    nb = realloc(*buf, c);
    if (nb == NULL)
        return -ENOMEM;
    *buf = nb;
    *cap = c;
    return 0;
}

/* "+ FLOW\n" or "- FLOW\n" at @p: its length, or 0 when it does not fit
 * in @room (FLOW_FORMAT_MAX + 3 always should: a flow that formats longer
 * is refused, never written past the buffer or cut short in the file) */
static size_t
format_record(char *p, size_t room, bool add, const struct flow *f)
{
    int n;

    p[0] = add ? '+' : '-';
    p[1] = ' ';
    n = flow_format(f, NULL, p + 2, room - 2);
    if (n < 0 || (size_t)n + 3 > room)
        return 0;
    p[2 + n] = '\n';
    return 3 + (size_t)n;
}

int
snicd_journal_record(struct snicd_journal *j, bool add, const struct flow *f)
{
    size_t n;

    if (queue_room(&j->buf, &j->cap, j->len, FLOW_FORMAT_MAX + 3) < 0)
        return -ENOMEM;
    n = format_record(j->buf + j->len, j->cap - j->len, add, f);
    if (n == 0)
        return -E2BIG;
    j->len += n;
    j->queued++;
    return 0;
}

size_t
snicd_journal_mark(const struct snicd_journal *j)
{
    return j->len;
}

void
snicd_journal_discard(struct snicd_journal *j, size_t mark)
{
    for (size_t i = mark; i < j->len; i++)
        if (j->buf[i] == '\n')
            j->queued--;
    if (mark < j->len)
        j->len = mark;
}

/* Cut a failed write off again; a later sync retries if this fails. */
static void
cut_back(struct snicd_journal *j)
{
    j->torn = ftruncate(j->fd, j->size) < 0 || fdatasync(j->fd) < 0;
    if (j->torn)
        snicd_log(SNICD_LOG_ERR, "%s: cannot cut a failed write off at byte "
                  "%jd: %s (nothing is appended until it can)", j->path,
                  (intmax_t)j->size, strerror(errno));
}

/* One frame of @len bytes at @p onto @fd; the header is built here. */
static int
write_frame(int fd, const char *p, size_t len, size_t *written)
{
    char hdr[JOURNAL_FRAME_HDR_MAX + 1];
    size_t n = journal_frame_header(hdr, p, len);
    int rc = write_all(fd, hdr, n);

    if (rc == 0)
        rc = write_all(fd, p, len);
    *written = n + len;
    return rc;
}

int
snicd_journal_sync(struct snicd_journal *j)
{
    size_t written;
    int rc;

    if (j->len == 0)
        return 0;
    if (j->legacy)
        return -EROFS;      /* snicd_journal_compact() converts it first */
    if (j->torn) {
        cut_back(j);
        if (j->torn)
            return -EIO;
    }
    /* a batch is acknowledged only on top of a file that will still be
     * there after a power loss */
    if (j->dir_unsynced) {
        if (fsync(j->dirfd) < 0)
            return -errno;
        j->dir_unsynced = false;
    }
    rc = write_frame(j->fd, j->buf, j->len, &written);
    if (rc == 0 && fdatasync(j->fd) < 0)
        rc = -errno;
    if (rc < 0) {
        /* the queue stays: the caller decides (discard or retry) */
        cut_back(j);
        return rc;
    }
    j->size += (off_t)written;
    j->lines += j->queued;
    j->queued = 0;
    j->len = 0;
    return 0;
}

size_t
snicd_journal_lines(const struct snicd_journal *j)
{
    return j->lines;
}

bool
snicd_journal_needs_rewrite(const struct snicd_journal *j)
{
    return j->legacy;
}

bool
snicd_journal_wants_compaction(const struct snicd_journal *j, size_t live)
{
    return j->legacy
        || (j->lines >= JOURNAL_COMPACT_MIN && j->lines > 2 * live);
}

const char *
snicd_journal_path(const struct snicd_journal *j)
{
    return j->path;
}

/* ---- compaction ---- */

struct compact_ctx {
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
    struct flow f;
    size_t written, n;

    if (c->cap - c->len < FLOW_FORMAT_MAX + 3) {
        c->err = write_frame(c->fd, c->buf, c->len, &written);
        if (c->err < 0)
            return 1;
        c->len = 0;
    }
    flow_entry_flow(e, &f);
    n = format_record(c->buf + c->len, c->cap - c->len, true, &f);
    if (n == 0) {
        c->err = -E2BIG;    /* the old file stays, whole */
        return 1;
    }
    c->len += n;
    c->lines++;
    return 0;
}

/* The file replaced by @t's flows, through NAME.tmp and a rename. */
static int
replace(struct snicd_journal *j, const struct flow_table *t)
{
    struct compact_ctx c = { .cap = COMPACT_FRAME_SIZE };
    size_t written;
    struct stat st;
    int rc;

    c.buf = malloc(c.cap);
    if (c.buf == NULL)
        return -ENOMEM;
    /* a NAME.tmp left by a crash mid-compaction is ours to remove
     * (unlinkat never follows a symlink); whatever appears there after
     * that makes O_EXCL fail instead of being written through */
    if (unlinkat(j->dirfd, j->tmpname, 0) < 0 && errno != ENOENT) {
        rc = -errno;
        goto err_buf;
    }
    c.fd = openat(j->dirfd, j->tmpname, O_RDWR | O_CREAT | O_EXCL
                  | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0640);
    if (c.fd < 0) {
        rc = -errno;
        goto err_buf;
    }
    rc = write_all(c.fd, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC));
    if (rc == 0)
        rc = flow_table_walk(t, FLOW_TABLE_ALL, compact_one, &c);
    if (rc > 0)
        rc = c.err;
    if (rc == 0 && c.len > 0)
        rc = write_frame(c.fd, c.buf, c.len, &written);
    if (rc == 0 && (fsync(c.fd) < 0 || fstat(c.fd, &st) < 0))
        rc = -errno;
    if (rc == 0 && renameat(j->dirfd, j->tmpname, j->dirfd, j->name) < 0)
        rc = -errno;
    if (rc < 0)
        goto err_write;
    close(j->fd);
    j->fd = c.fd;
    j->size = st.st_size;
    j->lines = c.lines;
    j->legacy = false;
    j->torn = false;
    free(c.buf);
    /* The rename is the commit: from here the file is the table, so the
     * caller keeps its batch (refusing it now would leave the table with
     * flows the file no longer has). The rename is durable only once the
     * folder is: until it syncs, no later batch is acknowledged
     * (snicd_journal_sync tries again first). */
    if (fsync(j->dirfd) < 0) {
        j->dir_unsynced = true;
        snicd_log(SNICD_LOG_ERR, "%s: rewritten, but its folder cannot be "
                  "synced: %s (no batch is acknowledged until it can)",
                  j->path, strerror(errno));
    }
    return 0;

err_write:
    close(c.fd);
    unlinkat(j->dirfd, j->tmpname, 0);
err_buf:
    free(c.buf);
    return rc;
}

int
snicd_journal_compact(struct snicd_journal *j, const struct flow_table *t)
{
    bool legacy = j->legacy;
    int rc;

    if (!legacy) {
        rc = snicd_journal_sync(j);     /* nothing queued may be lost */
        if (rc < 0)
            return rc;
    }
    rc = replace(j, t);
    if (rc == 0 && legacy) {
        /* what was queued is in the table, so in the new file */
        j->len = 0;
        j->queued = 0;
    }
    return rc;
}

int
snicd_journal_rewrite(struct snicd_journal *j, const struct flow_table *t)
{
    int rc = replace(j, t);

    if (rc == 0) {
        j->len = 0;
        j->queued = 0;
    }
    return rc;
}
