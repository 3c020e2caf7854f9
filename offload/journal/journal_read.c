/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The journal reader: the bytes of a journal file in, its records out
 * (include/snic/journal.h has the format and what reading promises). A
 * parser of a file a crash may have torn or a disk damaged, so it trusts
 * nothing it reads: lengths are bounded by what is there, numbers by their
 * digits, every frame by its checksums before any of its records counts.
 * Pure: no I/O, no logging (snicd_journal.c logs what this reports), so
 * the fuzzer runs it as snicd does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "snic/journal.h"

struct reader {
    journal_record_fn *fn;
    void *ctx;
    char *buf;
    size_t size;
    size_t lineno;          /* of the line being read (1-based) */
    struct journal_read *out;
};

uint32_t
journal_crc32(const char *p, size_t size)
{
    uLong crc = crc32(0L, Z_NULL, 0);

    /* crc32() takes a uInt length: feed large payloads in parts */
    while (size > 0) {
        uInt part = size > (1u << 30) ? (1u << 30) : (uInt)size;

        crc = crc32(crc, (const Bytef *)p, part);
        p += part;
        size -= part;
    }
    return (uint32_t)crc;
}

size_t
journal_frame_header(char *hdr, const char *p, size_t len)
{
    size_t size = JOURNAL_FRAME_HDR_MAX + 1;
    int n = snprintf(hdr, size, "@ %zu %08" PRIx32, len,
                     journal_crc32(p, len));

    n += snprintf(hdr + n, size - (size_t)n, " %08" PRIx32 "\n",
                  journal_crc32(hdr, (size_t)n));
    return (size_t)n;
}

/* One "+ flow" / "- flow" record (NUL-terminated). -EBADMSG with why. */
static int
read_record(struct reader *r, char *line)
{
    struct flow_error err;
    struct flow_mod fm;
    int rc;

    if ((line[0] != '+' && line[0] != '-') || line[1] != ' ') {
        snprintf(r->out->why, sizeof(r->out->why), "not a record ('%.40s'; "
                 "records start with '+ ' or '- ')", line);
        return -EBADMSG;
    }
    rc = flow_parse(line + 2, FLOW_CMD_ADD, NULL, &fm, &err);
    if (rc < 0) {
        snprintf(r->out->why, sizeof(r->out->why), "record does not parse: "
                 "%s", err.msg);
        return -EBADMSG;
    }
    rc = r->fn != NULL ? r->fn(r->ctx, line[0] == '+', &fm.flow) : 0;
    if (rc == 0)
        r->out->records++;
    return rc;
}

/* Damage at @offset (why is set): more of the file follows. */
static int
damaged(struct reader *r, size_t offset)
{
    r->out->offset = offset;
    r->out->line = r->lineno;
    return -EBADMSG;
}

static bool
all_zero(const char *p, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (p[i] != '\0')
            return false;
    return true;
}

/* Digits of @base at *@p, at most @max of them, into *@v. */
static bool
take_number(const char **p, const char *end, unsigned base, unsigned max,
            uint64_t *v)
{
    unsigned n = 0;

    *v = 0;
    for (; *p < end && n < max; (*p)++, n++) {
        char ch = **p;
        unsigned d;

        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (base == 16 && ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a') + 10;
        else
            break;
        if (*v > (UINT64_MAX - d) / base)
            return false;
        *v = *v * base + d;
    }
    return n > 0;
}

/*
 * "@ LEN CRC HCRC\n" at @p: LEN payload bytes with CRC-32 CRC, and HCRC the
 * CRC-32 of "@ LEN CRC" itself, so a damaged length is seen as damage
 * instead of a frame that seems to run past the end (a torn write). 0 and
 * *@len / *@crc / *@hdr (the header's size); -EAGAIN when the file ends
 * inside it; -EBADMSG.
 */
static int
parse_frame_header(const char *p, size_t avail, size_t *len, uint32_t *crc,
                   size_t *hdr)
{
    const char *nl = memchr(p, '\n', avail < JOURNAL_FRAME_HDR_MAX
                                     ? avail : JOURNAL_FRAME_HDR_MAX);
    const char *q = p + 2, *hend;
    uint64_t l, c, h;

    if (nl == NULL)
        return avail < JOURNAL_FRAME_HDR_MAX ? -EAGAIN : -EBADMSG;
    if (nl - p < 2 || p[0] != '@' || p[1] != ' '
        || !take_number(&q, nl, 10, 20, &l) || l == 0 || *q++ != ' '
        || !take_number(&q, nl, 16, 8, &c))
        return -EBADMSG;
    hend = q;
    if (*q++ != ' ' || !take_number(&q, nl, 16, 8, &h) || q != nl
        || h != journal_crc32(p, (size_t)(hend - p)))
        return -EBADMSG;
    *len = (size_t)l;
    *crc = (uint32_t)c;
    *hdr = (size_t)(nl - p) + 1;
    return 0;
}

/* Frames from @pos; out->keep gets the end of the last whole one. */
static int
read_frames(struct reader *r, size_t pos)
{
    struct journal_read *out = r->out;

    out->keep = pos;
    r->lineno = 2;
    while (pos < r->size) {
        size_t avail = r->size - pos, len = 0, hdr = 0, end, cut;
        uint32_t crc = 0, got;
        char *p;
        int rc = parse_frame_header(r->buf + pos, avail, &len, &crc, &hdr);

        if (rc < 0) {
            if (rc == -EAGAIN || all_zero(r->buf + pos, avail))
                return 0;   /* torn inside the header */
            cut = strcspn(r->buf + pos, "\n");
            snprintf(out->why, sizeof(out->why), "not a valid frame header "
                     "('%.*s'; want '@ LENGTH CRC32 HEADER-CRC32')",
                     cut > 48 ? 48 : (int)cut, r->buf + pos);
            return damaged(r, pos);
        }
        if (len > avail - hdr)
            return 0;       /* torn: runs past the end */
        end = pos + hdr + len;
        got = journal_crc32(r->buf + pos + hdr, len);
        if (got != crc || r->buf[end - 1] != '\n') {
            snprintf(out->why, sizeof(out->why), "%s (stored 0x%08" PRIx32
                     ", computed 0x%08" PRIx32 ")", got != crc
                     ? "checksum mismatch" : "payload does not end a line",
                     crc, got);
            if (end == r->size) {
                out->torn_at = pos;
                return 0;
            }
            return damaged(r, pos);
        }
        /* checked whole: now its records */
        r->lineno++;
        for (p = r->buf + pos + hdr; p < r->buf + end; ) {
            char *nl = memchr(p, '\n', (size_t)(r->buf + end - p));

            *nl = '\0';
            rc = read_record(r, p);
            if (rc == -EBADMSG)
                return damaged(r, (size_t)(p - r->buf));
            if (rc < 0)
                return rc;
            r->lineno++;
            p = nl + 1;
        }
        pos = end;
        out->keep = pos;
    }
    return 0;
}

/* Format 1: a record per line, no checksums. A line that does not parse
 * before the last one is damage; a last line without newline is torn. */
static int
read_lines(struct reader *r, size_t pos)
{
    r->out->keep = pos;
    r->lineno = 2;
    while (pos < r->size) {
        char *p = r->buf + pos;
        char *nl = memchr(p, '\n', r->size - pos);
        int rc;

        if (nl == NULL)
            return 0;
        *nl = '\0';
        rc = read_record(r, p);
        if (rc == -EBADMSG)
            return damaged(r, pos);
        if (rc < 0)
            return rc;
        pos = (size_t)(nl - r->buf) + 1;
        r->out->keep = pos;
        r->lineno++;
    }
    return 0;
}

int
journal_read(char *buf, size_t size, journal_record_fn *fn, void *ctx,
             struct journal_read *out)
{
    struct reader r = { .fn = fn, .ctx = ctx, .buf = buf, .size = size,
                        .out = out };
    size_t hdr = strlen(JOURNAL_MAGIC);

    memset(out, 0, sizeof(*out));
    if (size < hdr && memcmp(buf, JOURNAL_MAGIC, size) == 0)
        return 0;   /* empty, or torn inside line 1: nothing acknowledged */
    if (size >= hdr && memcmp(buf, JOURNAL_MAGIC, hdr) == 0) {
        out->format = 2;
        return read_frames(&r, hdr);
    }
    if (size >= hdr && memcmp(buf, JOURNAL_MAGIC_V1, hdr) == 0) {
        out->format = 1;
        return read_lines(&r, hdr);
    }
    snprintf(out->why, sizeof(out->why), "not a snicd journal (first line "
             "'%.40s', want 'snicd-journal 2')", buf);
    return -EINVAL;
}
