/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stream method's items as JSON text (include/snic/ctl.h, struct
 * ctl_stream_method's write): appended to a buffer the connection owns
 * and reuses, turn after turn, so listing a million flows builds no JSON
 * objects and allocates nothing per item. A leaf: it calls nothing of the
 * server's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_priv.h"

static void
grow(struct ctl_stream_out *o, size_t more)
{
    size_t cap = o->cap ? o->cap : 4096;
    char *p;

    if (o->err != 0 || o->len + more <= o->cap)
        return;
    while (cap < o->len + more)
        cap *= 2;
    p = realloc(o->buf, cap);
    if (p == NULL) {
        o->err = -ENOMEM;
        return;
    }
    o->buf = p;
    o->cap = cap;
}

void
ctl_stream_put(struct ctl_stream_out *o, const char *p, size_t size)
{
    grow(o, size);
    if (o->err != 0)
        return;
    memcpy(o->buf + o->len, p, size);
    o->len += size;
}

void
ctl_stream_item(struct ctl_stream_out *o)
{
    if (!o->first)
        ctl_stream_put(o, ",", 1);
    o->first = false;
}

void
ctl_stream_put_u64(struct ctl_stream_out *o, uint64_t v)
{
    char d[20];
    size_t i = sizeof(d);

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    ctl_stream_put(o, d + i, sizeof(d) - i);
}

/* Does any of @s's @n bytes need more than itself in a JSON string: '"',
 * '\\', a control byte, or one of 0x80 and up (UTF-8 to check)? Eight at a
 * time: a flow's line is ~250 bytes of plain ASCII, and looking at it a
 * byte at a time was a tenth of a dump's cost. */
static bool
needs_escape(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;

        memcpy(&x, s + i, sizeof(x));
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        /* a high bit set; a byte below 0x20; a byte equal to '"' or '\\'
         * (each test exact for "any byte", the usual zero-byte trick) */
        if ((x & high)
            | ((x - ones * 0x20) & ~x & high)
            | ((q - ones) & ~q & high)
            | ((b - ones) & ~b & high))
            return true;
    }
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch < 0x20 || ch >= 0x80 || ch == '"' || ch == '\\')
            return true;
    }
    return false;
}

/* A JSON string: quoted, '"', '\\' and control bytes escaped, well-formed
 * UTF-8 kept, a byte that is not part of it written as U+FFFD (the
 * daemon's own text is ASCII; this only keeps the line valid JSON). */
void
ctl_stream_put_str(struct ctl_stream_out *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    long bad = -1;
    char *w;

    if (!needs_escape(s, n)) {
        grow(o, n + 2);
        if (o->err != 0)
            return;
        w = o->buf + o->len;
        w[0] = '"';
        memcpy(w + 1, s, n);
        w[n + 1] = '"';
        o->len += n + 2;
        return;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) {
            bad = ctl_utf8_invalid_at(s, n);
            break;
        }
    /* at most 6 bytes out for each byte in, and the quotes */
    grow(o, 6 * n + 2);
    if (o->err != 0)
        return;
    w = o->buf + o->len;
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        size_t run = i;

        /* a run of bytes that go out as they are, copied at once */
        while (run < n && (unsigned char)s[run] >= 0x20
               && (unsigned char)s[run] < 0x80 && s[run] != '"'
               && s[run] != '\\')
            run++;
        if (run > i) {
            memcpy(w, s + i, run - i);
            w += run - i;
            i = run - 1;
            continue;
        }
        if (ch == '"' || ch == '\\') {
            *w++ = '\\';
            *w++ = (char)ch;
        } else if (ch < 0x20) {
            memcpy(w, "\\u00", 4);
            w[4] = hex[ch >> 4];
            w[5] = hex[ch & 15];
            w += 6;
        } else if (bad >= 0 && (size_t)bad == i) {
            memcpy(w, "\\ufffd", 6);
            w += 6;
            bad = ctl_utf8_invalid_at(s + i + 1, n - i - 1);
            if (bad >= 0)
                bad += (long)(i + 1);
        } else {
            *w++ = (char)ch;
        }
    }
    *w++ = '"';
    o->len = (size_t)(w - o->buf);
}

size_t
ctl_stream_written(const struct ctl_stream_out *o)
{
    return o->len;
}

/* For whoever drives a text stream without a server (unit tests). */
struct ctl_stream_out *
ctl_stream_out_new(void)
{
    struct ctl_stream_out *o = calloc(1, sizeof(*o));

    if (o != NULL)
        o->first = true;
    return o;
}

const char *
ctl_stream_out_text(struct ctl_stream_out *o, size_t *size)
{
    grow(o, 1);
    if (o->err != 0)
        return NULL;
    o->buf[o->len] = '\0';
    *size = o->len;
    return o->buf;
}

void
ctl_stream_out_free(struct ctl_stream_out *o)
{
    if (o == NULL)
        return;
    free(o->buf);
    free(o);
}
