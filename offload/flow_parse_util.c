/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tokens, error messages and value readers of the flow-language parser,
 * and the field claims and action slots every reader shares: a leaf of
 * the parser (flow_parse.c, flow_parse_act.c, flow_parse_meta.c call it,
 * it calls none of them).
 * The input is untrusted (a control socket, a flow file, a fuzzer): every
 * reader bounds its copy, checks ranges before converting, and reports the
 * token it failed on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flow_priv.h"
#include "snic_hash.h"

/* The project's one hash (common/snic_hash.h), over the word's bytes. */
static uint32_t
words_hash(const char *s, size_t len)
{
    return snic_hash_fold32(snic_hash_bytes(s, len, SNIC_HASH_BASIS));
}

int
fp_words_add(struct fp_words *w, const char *name, int16_t value)
{
    size_t len = strlen(name);
    uint32_t i = words_hash(name, len);

    for (unsigned n = 0; n < FP_WORDS_SLOTS; n++, i++) {
        uint32_t k = i & (FP_WORDS_SLOTS - 1);

        if (w->name[k] == NULL) {
            w->name[k] = name;
            w->len[k] = (uint16_t)len;
            w->value[k] = value;
            return 0;
        }
        if (w->len[k] == len && memcmp(w->name[k], name, len) == 0)
            return 0;
    }
    return -ENOSPC;
}

int
fp_words_find(const struct fp_words *w, const char *s, size_t len)
{
    uint32_t i = words_hash(s, len);

    for (unsigned n = 0; n < FP_WORDS_SLOTS; n++, i++) {
        uint32_t k = i & (FP_WORDS_SLOTS - 1);

        if (w->name[k] == NULL)
            return -1;
        if (w->len[k] == len && memcmp(w->name[k], s, len) == 0)
            return w->value[k];
    }
    return -1;
}

/* Longest value any reader accepts (an IPv6 address with a prefix). */
#define FP_VALUE_MAX    64u
/* Longest token quoted whole in a message. */
#define FP_QUOTE_MAX    48u

/* What a character ends, by its value: the tokeniser's loops test one
 * byte of this table instead of comparing each character with five to
 * seven others in turn (a twentieth of an add-flows batch's instructions,
 * #13). */
enum {
    CC_SEP = 1,         /* separates tokens */
    CC_KEY_END = 2,     /* ends a key: '=', ':', '(' */
    CC_PAREN = 4,       /* '(' or ')' */
    CC_NUL = 8,         /* the line's end */
};

static const uint8_t char_class[256] = {
    ['\0'] = CC_NUL,
    [','] = CC_SEP, [' '] = CC_SEP, ['\t'] = CC_SEP, ['\n'] = CC_SEP,
    ['\r'] = CC_SEP,
    ['='] = CC_KEY_END, [':'] = CC_KEY_END, ['('] = CC_KEY_END | CC_PAREN,
    [')'] = CC_PAREN,
};

static unsigned
cclass(char ch)
{
    return char_class[(unsigned char)ch];
}

static bool
is_sep(char ch)
{
    return cclass(ch) & CC_SEP;
}

/* Length of the value at @s: up to a separator (after '=' or ':') or up to
 * the closing parenthesis (after '('), stepping over parenthesised groups
 * whole, so "resubmit(,1)" and "learn(a=1,output:2)" stay one value as
 * ovs-ofctl reads them. *unclosed is set when the end of the line comes
 * inside a group. */
static size_t
value_len(const char *s, bool in_paren, bool *unclosed)
{
    size_t n = 0;
    int depth = in_paren ? 1 : 0;

    *unclosed = false;
    for (; s[n] != '\0'; n++) {
        if (cclass(s[n]) == 0)
            continue;   /* the usual case: part of the value */
        if (s[n] == '(') {
            depth++;
        } else if (s[n] == ')' && depth > 0) {
            depth--;
            if (in_paren && depth == 0)
                return n;
        } else if (depth == 0 && is_sep(s[n])) {
            return n;
        }
    }
    *unclosed = depth > 0;
    return n;
}

bool
fp_next_token(const char *line, size_t *pos, struct fp_tok *tok)
{
    size_t i = *pos;
    char delim;

    while (line[i] != '\0' && is_sep(line[i]))
        i++;
    if (line[i] == '\0') {
        *pos = i;
        return false;
    }
    memset(tok, 0, sizeof(*tok));
    tok->pos = i;
    tok->key = line + i;
    while (!(cclass(line[i]) & (CC_NUL | CC_SEP | CC_KEY_END)))
        i++;
    tok->klen = i - tok->pos;
    delim = line[i];
    if (delim == '=' || delim == ':' || delim == '(') {
        tok->val = line + i + 1;
        tok->paren = delim == '(';
        tok->vlen = value_len(tok->val, tok->paren, &tok->unclosed);
        i += 1 + tok->vlen;
        if (tok->paren && !tok->unclosed) {
            i++;            /* the closing parenthesis ends the token */
            /* ...unless an arrow follows: check_pkt_larger(N)->DST */
            if (line[i] == '-' && line[i + 1] == '>') {
                i += 2;
                tok->tail = line + i;
                while (line[i] != '\0' && !is_sep(line[i]))
                    i++;
                tok->tlen = (size_t)(line + i - tok->tail);
            }
        }
    }
    tok->len = i - tok->pos;
    *pos = i;
    return true;
}

int
fp_check_closed(struct fp_ctx *c, const struct fp_tok *tok)
{
    if (!tok->unclosed)
        return 0;
    return fp_fail(c, -EINVAL, tok, "unbalanced parentheses: a '(' is not "
                   "closed before the end of the line");
}

static void
quote(char *dst, size_t size, const char *s, size_t len)
{
    size_t n = 0;
    bool cut = len > FP_QUOTE_MAX;

    if (cut)
        len = FP_QUOTE_MAX;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* a fuzzer or a binary file must not put control bytes on a tty */
        dst[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (cut && n + 3 < size) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

int
fp_fail(struct fp_ctx *c, int code, const struct fp_tok *tok,
        const char *fmt, ...)
{
    struct flow_error *err = c->err;
    char q[FP_QUOTE_MAX + 4];
    va_list ap;
    int n;

    if (err == NULL)
        return code;
    err->code = code;
    if (tok != NULL) {
        err->pos = tok->pos;
        err->len = tok->len;
        quote(q, sizeof(q), c->line + tok->pos, tok->len);
    } else {
        err->pos = strlen(c->line);
        err->len = 0;
        q[0] = '\0';
    }
    n = snprintf(err->msg, sizeof(err->msg), "flow: at %zu '%s': ",
                 err->pos, q);
    if (n < 0 || (size_t)n >= sizeof(err->msg))
        return code;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

/* Copy a value into a NUL-terminated buffer for the libc converters. */
static int
copy_value(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
           size_t len, const char *what, char *buf)
{
    if (len == 0)
        return fp_fail(c, -EINVAL, tok, "%s needs a value", what);
    if (len >= FP_VALUE_MAX)
        return fp_fail(c, -EINVAL, tok, "%s value is too long (%zu bytes)",
                       what, len);
    if (memchr(s, '\0', len) != NULL)
        return fp_fail(c, -EINVAL, tok, "%s value contains a NUL byte", what);
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

/* Parse decimal or 0x-hex; false when not a number or above UINT64_MAX. */
static bool
read_u64(const char *s, size_t len, uint64_t *out, bool *overflow)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;

    *overflow = false;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == len)
        return false;
    for (; i < len; i++) {
        unsigned d;
        char ch = s[i];

        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (base == 16 && ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (base == 16 && ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else
            return false;
        if (v > (UINT64_MAX - d) / base)
            *overflow = true;
        else
            v = v * base + d;
    }
    *out = v;
    return true;
}

int
fp_uint(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
        size_t len, uint64_t max, const char *what, const char *expect,
        uint64_t *out)
{
    bool overflow;
    uint64_t v;

    if (len == 0)
        return fp_fail(c, -EINVAL, tok, "%s needs a value (expected %s)",
                       what, expect);
    if (!read_u64(s, len, &v, &overflow))
        return fp_fail(c, -EINVAL, tok, "%s: '%.*s' is not a number "
                       "(expected %s)", what, (int)(len > 24 ? 24 : len), s,
                       expect);
    if (overflow || v > max)
        return fp_fail(c, -ERANGE, tok, "%s %.*s is out of range "
                       "(expected %s)", what, (int)(len > 24 ? 24 : len), s,
                       expect);
    *out = v;
    return 0;
}

int
fp_uint_masked(struct fp_ctx *c, const struct fp_tok *tok, uint64_t max,
               const char *what, const char *expect, uint64_t *value,
               uint64_t *mask)
{
    const char *slash = tok->val ? memchr(tok->val, '/', tok->vlen) : NULL;
    size_t vlen = slash ? (size_t)(slash - tok->val) : tok->vlen;
    int rc;

    rc = fp_uint(c, tok, tok->val, vlen, max, what, expect, value);
    if (rc < 0)
        return rc;
    if (slash == NULL) {
        *mask = max;
        return 0;
    }
    /* -1 is the usual spelling of "all ones" (cookie=5/-1) */
    if (tok->vlen - vlen - 1 == 2 && memcmp(slash + 1, "-1", 2) == 0) {
        *mask = max;
        return 0;
    }
    {
        char w[48];

        snprintf(w, sizeof(w), "%s mask", what);
        return fp_uint(c, tok, slash + 1, tok->vlen - vlen - 1, max, w,
                       expect, mask);
    }
}

int
fp_inner_open(struct fp_ctx *c, const struct fp_tok *tok, const char *what,
              struct fp_inner *in)
{
    in->text = strndup(tok->val, tok->vlen);
    in->ofs = (size_t)(tok->val - c->line);
    in->pos = 0;
    if (in->text == NULL)
        return fp_fail(c, -ENOMEM, tok, "%s: out of memory", what);
    return 0;
}

bool
fp_inner_next(const struct fp_ctx *c, struct fp_inner *in, struct fp_tok *t)
{
    if (!fp_next_token(in->text, &in->pos, t))
        return false;
    t->key = c->line + in->ofs + (size_t)(t->key - in->text);
    if (t->val != NULL)
        t->val = c->line + in->ofs + (size_t)(t->val - in->text);
    if (t->tail != NULL)
        t->tail = c->line + in->ofs + (size_t)(t->tail - in->text);
    t->pos += in->ofs;
    return true;
}

void
fp_inner_close(struct fp_inner *in)
{
    free(in->text);
    in->text = NULL;
}

/* A bit index: up to 4 decimal digits from s[*i]. */
static int
read_bit_index(const char *s, size_t len, size_t *i, unsigned *out)
{
    unsigned v = 0;
    size_t start = *i;

    while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < 4)
        v = v * 10 + (unsigned)(s[(*i)++] - '0');
    if (*i == start)
        return -1;
    *out = v;
    return 0;
}

/* The bits s[open..len) name, s[open] being '[': "[]" (the whole field)
 * returns 1 and leaves @start and @end alone; "[BIT]" or "[FIRST..LAST]"
 * returns 0 and sets them; anything else -1. */
static int
bit_range(const char *s, size_t len, size_t open, unsigned *start,
          unsigned *end)
{
    size_t i = open + 1;

    if (len - open == 2 && s[i] == ']')
        return 1;
    if (read_bit_index(s, len, &i, start) < 0)
        return -1;
    if (i + 1 == len && s[i] == ']') {
        *end = *start;
        return 0;
    }
    if (i + 2 < len && s[i] == '.' && s[i + 1] == '.') {
        i += 2;
        if (read_bit_index(s, len, &i, end) == 0 && i + 1 == len
            && s[i] == ']')
            return 0;
    }
    return -1;
}

int
fp_subfield_bits(struct fp_ctx *c, const struct fp_tok *tok, const char *what,
                 const char *s, size_t len, size_t nlen, unsigned field,
                 unsigned width, struct flow_subfield *sf)
{
    unsigned start = 0, end = width - 1;

    if (nlen < len && bit_range(s, len, nlen, &start, &end) < 0)
        return fp_fail(c, -EINVAL, tok, "%s: malformed subfield "
                       "'%.*s' (expected FIELD[], FIELD[BIT] or "
                       "FIELD[FIRST..LAST])", what,
                       (int)(len > 40 ? 40 : len), s);
    if (start > end)
        return fp_fail(c, -EINVAL, tok, "%s: bit %u comes after bit %u "
                       "(write FIELD[FIRST..LAST], lowest bit first)", what,
                       start, end);
    if (end >= width)
        return fp_fail(c, -ERANGE, tok, "%s: bit %u is beyond %.*s's %u bits "
                       "(expected bits 0..%u)", what, end, (int)nlen, s,
                       width, width - 1);
    memset(sf, 0, sizeof(*sf));
    sf->field = (uint8_t)field;
    sf->ofs = (uint8_t)start;
    sf->n_bits = (uint8_t)(end - start + 1);
    return 0;
}

int
fp_hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int
fp_mac(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
       size_t len, const char *what, uint8_t mac[6])
{
    size_t i = 0;

    for (int b = 0; b < 6; b++) {
        unsigned v = 0;
        int digits = 0;

        while (i < len && digits < 2) {
            int d = fp_hex_digit(s[i]);

            if (d < 0)
                break;
            v = v * 16 + (unsigned)d;
            digits++;
            i++;
        }
        if (digits == 0 || (b < 5 && (i >= len || s[i] != ':')))
            goto bad;
        mac[b] = (uint8_t)v;
        if (b < 5)
            i++;
    }
    if (i != len)
        goto bad;
    return 0;
bad:
    if (len == 0)
        return fp_fail(c, -EINVAL, tok, "%s needs a value "
                       "(expected a MAC address xx:xx:xx:xx:xx:xx)", what);
    return fp_fail(c, -EINVAL, tok, "%s: bad MAC address "
                   "(expected xx:xx:xx:xx:xx:xx)", what);
}

int
fp_mac_masked(struct fp_ctx *c, const struct fp_tok *tok, const char *what,
              uint8_t mac[6], uint8_t mask[6])
{
    const char *slash = tok->val ? memchr(tok->val, '/', tok->vlen) : NULL;
    size_t vlen = slash ? (size_t)(slash - tok->val) : tok->vlen;
    int rc;

    rc = fp_mac(c, tok, tok->val, vlen, what, mac);
    if (rc < 0)
        return rc;
    if (slash == NULL) {
        memset(mask, 0xff, 6);
        return 0;
    }
    return fp_mac(c, tok, slash + 1, tok->vlen - vlen - 1, what, mask);
}

int
fp_ipv4(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
        size_t len, const char *what, flow_be32 *addr)
{
    char buf[FP_VALUE_MAX];
    struct in_addr a;
    int rc;

    rc = copy_value(c, tok, s, len, what, buf);
    if (rc < 0)
        return rc;
    /* inet_pton takes exactly a.b.c.d, no shortened or octal forms */
    if (inet_pton(AF_INET, buf, &a) != 1)
        return fp_fail(c, -EINVAL, tok, "%s: bad IPv4 address "
                       "(expected a.b.c.d)", what);
    *addr = a.s_addr;
    return 0;
}

int
fp_ipv4_masked(struct fp_ctx *c, const struct fp_tok *tok, const char *what,
               flow_be32 *addr, flow_be32 *mask)
{
    const char *slash = tok->val ? memchr(tok->val, '/', tok->vlen) : NULL;
    size_t vlen = slash ? (size_t)(slash - tok->val) : tok->vlen;
    const char *m;
    size_t mlen;
    int rc;

    rc = fp_ipv4(c, tok, tok->val, vlen, what, addr);
    if (rc < 0)
        return rc;
    if (slash == NULL) {
        *mask = 0xffffffffu;
        return 0;
    }
    m = slash + 1;
    mlen = tok->vlen - vlen - 1;
    if (mlen > 0 && memchr(m, '.', mlen) != NULL)
        return fp_ipv4(c, tok, m, mlen, what, mask);
    {
        char w[48];
        uint64_t plen;

        snprintf(w, sizeof(w), "%s prefix length", what);
        rc = fp_uint(c, tok, m, mlen, 32, w, "0..32, or a dotted mask such "
                     "as 255.255.0.0", &plen);
        if (rc < 0)
            return rc;
        *mask = plen == 0 ? 0 : htonl(0xffffffffu << (32 - plen));
    }
    return 0;
}

int
fp_ipv6_masked(struct fp_ctx *c, const struct fp_tok *tok, const char *what,
               uint8_t addr[16], uint8_t mask[16])
{
    const char *slash = tok->val ? memchr(tok->val, '/', tok->vlen) : NULL;
    size_t vlen = slash ? (size_t)(slash - tok->val) : tok->vlen;
    char buf[FP_VALUE_MAX];
    uint64_t plen = 128;
    int rc;

    rc = copy_value(c, tok, tok->val, vlen, what, buf);
    if (rc < 0)
        return rc;
    if (inet_pton(AF_INET6, buf, addr) != 1)
        return fp_fail(c, -EINVAL, tok, "%s: bad IPv6 address "
                       "(expected e.g. 2001:db8::1[/64])", what);
    if (slash != NULL) {
        char w[48];

        snprintf(w, sizeof(w), "%s prefix length", what);
        rc = fp_uint(c, tok, slash + 1, tok->vlen - vlen - 1, 128, w,
                     "0..128", &plen);
        if (rc < 0)
            return rc;
    }
    memset(mask, 0, 16);
    for (unsigned i = 0; i < plen; i++)
        mask[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    return 0;
}

/* OpenFlow's reserved ports by name, any case, as Open vSwitch spells
 * them (NONE is OpenFlow 1.0's name for ANY). */
static const struct {
    const char *name;
    uint32_t port;
} reserved_ports[] = {
    { "IN_PORT", FLOW_PORT_IN_PORT }, { "TABLE", FLOW_PORT_TABLE },
    { "NORMAL", FLOW_PORT_NORMAL }, { "FLOOD", FLOW_PORT_FLOOD },
    { "ALL", FLOW_PORT_ALL }, { "CONTROLLER", FLOW_PORT_CONTROLLER },
    { "LOCAL", FLOW_PORT_LOCAL }, { "ANY", FLOW_PORT_ANY },
    { "NONE", FLOW_PORT_ANY },
};

/* OpenFlow 1.0 numbers its reserved ports 0xfff8..0xffff; OpenFlow 1.1 and
 * later 0xfffffff8..0xffffffff, which is what snic keeps. */
#define OF10_RESERVED_FIRST     0xfff8u
#define OF10_RESERVED_LAST      0xffffu
#define OF11_RESERVED_OFFSET    0xffff0000u

bool
fp_is_reserved_port(const char *s, size_t len)
{
    uint32_t port;

    return fp_reserved_port(s, len, &port);
}

bool
fp_reserved_port(const char *s, size_t len, uint32_t *port)
{
    for (size_t i = 0; i < sizeof(reserved_ports) / sizeof(reserved_ports[0]);
         i++)
        if (strlen(reserved_ports[i].name) == len
            && strncasecmp(s, reserved_ports[i].name, len) == 0) {
            *port = reserved_ports[i].port;
            return true;
        }
    return false;
}

const char *
fp_reserved_port_name(uint32_t port)
{
    for (size_t i = 0; i < sizeof(reserved_ports) / sizeof(reserved_ports[0]);
         i++)
        if (reserved_ports[i].port == port)
            return reserved_ports[i].name;
    return NULL;
}

int
fp_port(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
        size_t len, const char *what, uint32_t *port)
{
    char buf[FP_VALUE_MAX];
    bool overflow;
    uint64_t v;
    int rc;

    if (len == 0)
        return fp_fail(c, -EINVAL, tok, "%s needs a port (a name such as "
                       "uplink, pf, vf0, or a number)", what);
    if (read_u64(s, len, &v, &overflow)) {
        if (!overflow && v >= OF10_RESERVED_FIRST
            && v <= OF10_RESERVED_LAST)
            v += OF11_RESERVED_OFFSET;
        if (!overflow && v <= UINT32_MAX
            && flow_port_is_reserved((uint32_t)v)
            && fp_reserved_port_name((uint32_t)v) != NULL) {
            *port = (uint32_t)v;
            return 0;
        }
        if (overflow || v == 0 || v > FLOW_PORT_MAX)
            return fp_fail(c, -ERANGE, tok, "%s: port %.*s is out of range "
                           "(expected 1..%u, or a reserved port such as "
                           "NORMAL, IN_PORT, LOCAL)", what,
                           (int)(len > 24 ? 24 : len), s, FLOW_PORT_MAX);
        *port = (uint32_t)v;
        return 0;
    }
    if (fp_reserved_port(s, len, port))
        return 0;
    rc = copy_value(c, tok, s, len, what, buf);
    if (rc < 0)
        return rc;
    if (c->ports != NULL && c->ports->name_to_port != NULL
        && c->ports->name_to_port(c->ports->ctx, buf, port) == 0) {
        if (*port == 0 || *port > FLOW_PORT_MAX)
            return fp_fail(c, -ERANGE, tok, "%s: port '%s' maps to %u, "
                           "not a valid OpenFlow port", what, buf, *port);
        return 0;
    }
    return fp_fail(c, -ENOENT, tok, "%s: unknown port '%s' (use a port the "
                   "daemon knows, such as uplink, pf or vf0, a reserved "
                   "port such as NORMAL or LOCAL, or a number)", what, buf);
}

static size_t
edit_distance(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t row[FP_VALUE_MAX + 1];

    if (alen > FP_VALUE_MAX || blen > FP_VALUE_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= blen; j++)
        row[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (size_t j = 1; j <= blen; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[blen];
}

const char *
fp_suggest(const char *s, size_t len, const char *const *names)
{
    const char *best = NULL;
    /* two edits turn "pop" into "drop" and "ttl" into "tos": a suggestion
     * must keep more than half of the word */
    size_t best_d = len / 3 + 1 < 3 ? len / 3 + 1 : 3;

    for (int i = 0; names[i] != NULL; i++) {
        size_t d = edit_distance(s, len, names[i], strlen(names[i]));

        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best;
}

/* ---- what the match, action and register readers share ---- */

int
fp_claim_as(struct fp_ctx *c, const struct fp_tok *tok, enum fp_field id,
            bool shorthand)
{
    if (c->set[id]) {
        const struct fp_tok *first = &c->seen[id];

        return fp_fail(c, -EINVAL, tok, "duplicate field: '%.*s' at %zu "
                       "already sets it (give each field once)",
                       (int)(first->len > 40 ? 40 : first->len),
                       c->line + first->pos, first->pos);
    }
    c->set[id] = true;
    c->seen[id] = *tok;
    c->by_shorthand[id] = shorthand;
    return 0;
}

int
fp_claim(struct fp_ctx *c, const struct fp_tok *tok, enum fp_field id)
{
    return fp_claim_as(c, tok, id, false);
}

/* Append a zeroed action of @type; its unused bytes stay zero so actions
 * compare with memcmp. */
int
fp_act_append(struct fp_act_state *st, const struct fp_tok *tok, uint16_t type,
              struct flow_action **out)
{
    struct flow *f = &st->c->fm.flow;

    if (st->dropped)
        return fp_fail(st->c, -EINVAL, tok, "drop must be the only action");
    if (st->ended)
        return fp_fail(st->c, -EINVAL, tok, "goto_table must be the last "
                       "action");
    if ((st->cleared_actset || st->wrote_actset) && !st->instr_append
        && type != FLOW_ACT_GOTO_TABLE)
        return fp_fail(st->c, -EINVAL, tok, "%s is an instruction: only "
                       "write_actions, write_metadata and goto_table may "
                       "follow it (write the applied actions first)",
                       st->wrote_actset ? "write_actions" : "clear_actions");
    if (st->wrote_metadata && type != FLOW_ACT_GOTO_TABLE)
        return fp_fail(st->c, -EINVAL, tok, "write_metadata is an "
                       "instruction: only goto_table may follow it (write "
                       "the other actions first)");
    /* a clause flow only contributes to a conjunctive match: it has no
     * actions of its own to run, notes aside (Open vSwitch's rule) */
    if (type != FLOW_ACT_NOTE && type != FLOW_ACT_NOTE_DATA) {
        for (unsigned i = 0; i < f->n_actions; i++) {
            uint16_t t = f->actions[i].type;

            if (t == FLOW_ACT_NOTE || t == FLOW_ACT_NOTE_DATA)
                continue;
            if ((t == FLOW_ACT_CONJUNCTION) != (type == FLOW_ACT_CONJUNCTION))
                return fp_fail(st->c, -EINVAL, tok, "conjunction actions "
                               "cannot be combined with any other action "
                               "but note (a clause flow has only "
                               "conjunction(...) actions)");
            break;
        }
    }
    if (f->n_actions >= FLOW_MAX_ACTIONS)
        return fp_fail(st->c, -E2BIG, tok, "too many actions (at most %u)",
                       FLOW_MAX_ACTIONS);
    *out = &f->actions[f->n_actions++];
    memset(*out, 0, sizeof(**out));
    (*out)->type = type;
    return 0;
}
