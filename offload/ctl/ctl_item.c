/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stream item's string members read from its text (include/snic/ctl.h,
 * ctl_item_strings()): a client printing a million flows of dump-flows
 * takes three strings of each flat item where they lie, instead of
 * building a JSON object per flow. Only what reads as its own bytes is
 * taken this way; anything else (an escape, nesting, a byte that is not
 * UTF-8, a member missing) is left to the caller's JSON parser, so the
 * result is always what the parser would have given. A leaf: it calls
 * nothing of the client's.
 */
#include <stdbool.h>
#include <string.h>

#include "snic/ctl.h"

static const char *
skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The closing quote of the JSON string whose opening quote is at @p, or
 * NULL unless its value is its bytes: no escape, no control byte, UTF-8
 * (what the parser would refuse or decode goes to the parser). */
static const char *
plain_string_end(const char *p, const char *end)
{
    bool high = false;
    const char *q;

    for (q = p + 1; q < end && *q != '"'; q++) {
        unsigned char ch = (unsigned char)*q;

        if (ch == '\\' || ch < 0x20)
            return NULL;
        high |= ch >= 0x80;
    }
    if (q == end
        || (high && ctl_utf8_invalid_at(p + 1, (size_t)(q - p - 1)) >= 0))
        return NULL;
    return q;
}

/* Past an integer at @p of at most 18 digits, or NULL: what the parser
 * surely takes as it is (a fraction, an exponent, a number that may not
 * fit its integers go to it). */
static const char *
number_end(const char *p, const char *end)
{
    const char *d;

    if (p < end && *p == '-')
        p++;
    for (d = p; p < end && *p >= '0' && *p <= '9'; p++)
        ;
    if (p == d || p - d > 18 || (*d == '0' && p - d > 1))
        return NULL;
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
        return NULL;
    return p;
}

/* Past such an integer, true, false or null at @p, or NULL. */
static const char *
scalar_end(const char *p, const char *end)
{
    static const char *const words[] = { "true", "false", "null" };

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i]);

        if ((size_t)(end - p) >= n && memcmp(p, words[i], n) == 0)
            return p + n;
    }
    return number_end(p, end);
}

bool
ctl_item_strings(const char *p, size_t size, struct ctl_member *m, size_t n)
{
    const char *end = p + size;

    for (size_t i = 0; i < n; i++) {
        m[i].v = NULL;
        m[i].size = 0;
    }
    p = skip_ws(p, end);
    if (p == end || *p++ != '{')
        return false;
    p = skip_ws(p, end);
    if (p < end && *p == '}') {
        p++;
        goto closed;
    }
    for (;;) {
        const char *key, *key_end, *v_end;

        p = skip_ws(p, end);
        if (p == end || *p != '"'
            || (key_end = plain_string_end(p, end)) == NULL)
            return false;
        key = p + 1;
        p = skip_ws(key_end + 1, end);
        if (p == end || *p++ != ':')
            return false;
        p = skip_ws(p, end);
        if (p == end)
            return false;
        if (*p == '"') {
            if ((v_end = plain_string_end(p, end)) == NULL)
                return false;
            /* a name given twice: the last one, as the parser takes it */
            for (size_t i = 0; i < n; i++)
                if (strlen(m[i].name) == (size_t)(key_end - key)
                    && memcmp(m[i].name, key, (size_t)(key_end - key)) == 0) {
                    m[i].v = p + 1;
                    m[i].size = (size_t)(v_end - p - 1);
                }
            p = v_end + 1;
        } else {
            /* a wanted name with another kind of value: not a string */
            for (size_t i = 0; i < n; i++)
                if (strlen(m[i].name) == (size_t)(key_end - key)
                    && memcmp(m[i].name, key, (size_t)(key_end - key)) == 0)
                    return false;
            if ((p = scalar_end(p, end)) == NULL)
                return false;
        }
        p = skip_ws(p, end);
        if (p == end)
            return false;
        if (*p == '}') {
            p++;
            break;
        }
        if (*p++ != ',')
            return false;
    }
closed:
    if (skip_ws(p, end) != end)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m[i].v == NULL)
            return false;
    return true;
}
