/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC 2.0 framing for the control socket: parse and validate one
 * request, build one reply. The input is hostile (any local user who can
 * reach the socket): every shape is checked before it is trusted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic/ctl.h"

#define CTL_MAX_METHOD_LEN  64u

json_t *
ctl_fail(struct ctl_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return NULL;
}

static int
refuse(struct ctl_error *err, int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
refuse(struct ctl_error *err, int code, int errnum, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return -errnum;
}

/* Length of the well-formed UTF-8 sequence at @s (@avail bytes there), 1
 * to 4, or 0 if the byte at @s does not start one. Overlong forms,
 * surrogates and values past U+10FFFF are not UTF-8 either (jansson
 * refuses them). */
static unsigned
utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0], len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2
                 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f)
                  : len == 3 ? (c & 0x0f) : (c & 0x07);

    if (len == 0 || len > avail)
        return 0;
    for (unsigned k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800)
        || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
        || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

long
ctl_utf8_invalid_at(const char *s, size_t size)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < size;) {
        unsigned len = utf8_seq_len(u + i, size - i);

        if (len == 0)
            return (long)i;
        i += len;
    }
    return -1;
}

/* Copy @in to @out (@size bytes, NUL-terminated), each byte that is not
 * part of a well-formed UTF-8 sequence replaced by '?'. */
static void
utf8_sanitize(char *out, const char *in, size_t size)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = strlen(in), i = 0, o = 0;

    while (i < n && o + 1 < size) {
        unsigned len = utf8_seq_len(s + i, n - i);

        if (len == 0 || o + len >= size) {
            out[o++] = '?';
            i++;
            continue;
        }
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
}

static bool
method_name_valid(const char *m)
{
    size_t n = strlen(m);
    if (n == 0 || n > CTL_MAX_METHOD_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = m[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
              || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/*
 * Plain JSON, read fast. jansson reads a request a byte at a time through
 * its stream layer, about 40 MB/s here: 1.6 ms for an add-flows request
 * of 1,000 flows, more than parsing the flows themselves (#13). What
 * clients send is plain JSON (ctl_json_plain in snic/ctl.h); this reader
 * takes exactly that, crossing strings with memchr, and gives up on
 * anything else, which jansson then reads as it always did. The fuzzer
 * (tests/fuzz/fuzz_ctl_request.c) checks that whatever it returns is
 * json_equal() to what json_loadb() returns.
 */
#define PLAIN_MAX_DEPTH     64
#define PLAIN_MAX_DIGITS    18      /* fits an int64 whatever they are */
#define PLAIN_MAX_KEY       256

struct plain {
    const char *p, *end;
    unsigned depth;
};

static json_t *plain_value(struct plain *r);

static void
plain_ws(struct plain *r)
{
    while (r->p < r->end
           && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n'
               || *r->p == '\r'))
        r->p++;
}

/* A string at r->p ('"'): its bytes, or NULL. */
static const char *
plain_string(struct plain *r, size_t *len)
{
    const char *s = r->p + 1, *q;

    if (s > r->end)
        return NULL;
    q = memchr(s, '"', (size_t)(r->end - s));
    if (q == NULL)
        return NULL;
    for (const char *c = s; c < q; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f
            || *c == '\\')
            return NULL;
    *len = (size_t)(q - s);
    r->p = q + 1;
    return s;
}

static json_t *
plain_integer(struct plain *r)
{
    const char *s = r->p;
    bool neg = *s == '-';
    json_int_t v = 0;
    size_t n = 0;

    if (neg)
        s++;
    while (s + n < r->end && s[n] >= '0' && s[n] <= '9')
        n++;
    /* no leading zero, no fraction or exponent, not too long */
    if (n == 0 || n > PLAIN_MAX_DIGITS || (s[0] == '0' && n > 1)
        || (s + n < r->end
            && (s[n] == '.' || s[n] == 'e' || s[n] == 'E')))
        return NULL;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    r->p = s + n;
    return json_integer(neg ? -v : v);
}

static json_t *
plain_word(struct plain *r, const char *word, json_t *value)
{
    size_t n = strlen(word);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return NULL;
    r->p += n;
    return value;
}

static json_t *
plain_array(struct plain *r)
{
    json_t *a = json_array(), *v;

    if (a == NULL)
        return NULL;
    r->p++;
    plain_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return a;
    }
    for (;;) {
        v = plain_value(r);
        if (v == NULL || json_array_append_new(a, v) < 0)
            goto fail;
        plain_ws(r);
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return a;
        }
        if (r->p >= r->end || *r->p != ',')
            goto fail;
        r->p++;
    }
fail:
    json_decref(a);
    return NULL;
}

static json_t *
plain_object(struct plain *r)
{
    json_t *o = json_object(), *v;
    char key[PLAIN_MAX_KEY];
    const char *k;
    size_t klen;

    if (o == NULL)
        return NULL;
    r->p++;
    plain_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return o;
    }
    for (;;) {
        if (r->p >= r->end || *r->p != '"'
            || (k = plain_string(r, &klen)) == NULL || klen >= sizeof(key))
            goto fail;
        memcpy(key, k, klen);
        key[klen] = '\0';
        /* a duplicate is jansson's to refuse (JSON_REJECT_DUPLICATES) */
        if (json_object_get(o, key) != NULL)
            goto fail;
        plain_ws(r);
        if (r->p >= r->end || *r->p != ':')
            goto fail;
        r->p++;
        v = plain_value(r);
        if (v == NULL || json_object_set_new_nocheck(o, key, v) < 0)
            goto fail;
        plain_ws(r);
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return o;
        }
        if (r->p >= r->end || *r->p != ',')
            goto fail;
        r->p++;
        plain_ws(r);
    }
fail:
    json_decref(o);
    return NULL;
}

static json_t *
plain_value(struct plain *r)
{
    json_t *v = NULL;
    const char *s;
    size_t len;

    plain_ws(r);
    if (r->p >= r->end)
        return NULL;
    switch (*r->p) {
    case '{':
    case '[':
        if (r->depth >= PLAIN_MAX_DEPTH)
            return NULL;
        r->depth++;
        v = *r->p == '{' ? plain_object(r) : plain_array(r);
        r->depth--;
        return v;
    case '"':
        s = plain_string(r, &len);
        return s != NULL ? json_stringn_nocheck(s, len) : NULL;
    case 't':
        return plain_word(r, "true", json_true());
    case 'f':
        return plain_word(r, "false", json_false());
    case 'n':
        return plain_word(r, "null", json_null());
    default:
        return plain_integer(r);
    }
}

json_t *
ctl_json_plain(const char *text, size_t size)
{
    struct plain r = { .p = text, .end = text + size };
    json_t *v = plain_value(&r);

    if (v == NULL)
        return NULL;
    plain_ws(&r);
    if (r.p != r.end) {
        json_decref(v);
        return NULL;
    }
    return v;
}

int
ctl_request_parse(const char *line, size_t size, struct ctl_request *req,
                  json_t **id_out, struct ctl_error *err)
{
    if (id_out != NULL)
        *id_out = NULL;
    memset(req, 0, sizeof(*req));

    json_error_t jerr;
    json_t *root = ctl_json_plain(line, size);

    /* JSON_REJECT_DUPLICATES: {"method":"a","method":"b"} is ambiguous. */
    if (root == NULL)
        root = json_loadb(line, size, JSON_REJECT_DUPLICATES
                                      | JSON_DECODE_ANY, &jerr);
    if (root == NULL)
        return refuse(err, CTL_ERR_PARSE, EINVAL,
                      "request is not valid JSON: %s at byte %d", jerr.text,
                      jerr.position);
    if (!json_is_object(root)) {
        bool array = json_is_array(root);
        json_decref(root);
        return refuse(err, CTL_ERR_INVALID_REQUEST, EINVAL,
                      "request must be a JSON object, not %s",
                      array ? "an array (batches are not supported; send "
                              "one request per line)"
                            : "a scalar");
    }

    json_t *id = json_object_get(root, "id");
    if (id != NULL && !json_is_integer(id) && !json_is_string(id)
        && !json_is_null(id)) {
        json_decref(root);
        return refuse(err, CTL_ERR_INVALID_REQUEST, EINVAL,
                      "\"id\" must be a number, a string or null");
    }
    if (id != NULL && id_out != NULL)
        *id_out = json_incref(id);

    int rc;
    json_t *version = json_object_get(root, "jsonrpc");
    if (!json_is_string(version)
        || strcmp(json_string_value(version), "2.0") != 0) {
        rc = refuse(err, CTL_ERR_INVALID_REQUEST, EINVAL,
                    "\"jsonrpc\" must be \"2.0\"");
        goto out_root;
    }
    json_t *method = json_object_get(root, "method");
    if (!json_is_string(method)) {
        rc = refuse(err, CTL_ERR_INVALID_REQUEST, EINVAL,
                    "\"method\" must be a string");
        goto out_root;
    }
    if (!method_name_valid(json_string_value(method))) {
        rc = refuse(err, CTL_ERR_INVALID_REQUEST, EINVAL,
                    "\"method\" must be 1..%u characters of a-z 0-9 - _ .",
                    CTL_MAX_METHOD_LEN);
        goto out_root;
    }
    json_t *params = json_object_get(root, "params");
    if (params != NULL && !json_is_object(params) && !json_is_array(params)) {
        rc = refuse(err, CTL_ERR_INVALID_REQUEST, EINVAL,
                    "\"params\" must be an object or an array");
        goto out_root;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (strcmp(key, "jsonrpc") && strcmp(key, "id")
            && strcmp(key, "method") && strcmp(key, "params")) {
            rc = refuse(err, CTL_ERR_INVALID_REQUEST, EINVAL,
                        "unknown member \"%.64s\" (a request has jsonrpc, "
                        "id, method and params)", key);
            goto out_root;
        }
    }

    req->method = strdup(json_string_value(method));
    if (req->method == NULL) {
        rc = refuse(err, CTL_ERR_INTERNAL, ENOMEM, "out of memory");
        goto out_root;
    }
    req->params = params != NULL ? json_incref(params) : json_object();
    req->id = id != NULL ? json_incref(id) : json_null();
    json_decref(root);
    return 0;

out_root:
    json_decref(root);
    return rc;
}

void
ctl_request_free(struct ctl_request *req)
{
    free(req->method);
    json_decref(req->params);
    json_decref(req->id);
    memset(req, 0, sizeof(*req));
}

static char *
dump_line(json_t *reply, size_t *size)
{
    char *text = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(reply);
    if (text == NULL)
        return NULL;
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (line == NULL) {
        free(text);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    if (size != NULL)
        *size = n + 1;
    return line;
}

char *
ctl_reply_result(json_t *id, json_t *result, size_t *size)
{
    json_t *reply = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
                              id != NULL ? id : json_null(), "result",
                              result != NULL ? result : json_null());
    return reply != NULL ? dump_line(reply, size) : NULL;
}

char *
ctl_reply_error(json_t *id, const struct ctl_error *err, size_t *size)
{
    char msg[sizeof(err->message)];
    json_t *reply;

    /* a message may quote the client's bytes (jansson's parse errors do)
     * or be cut inside a character: JSON strings must be UTF-8, and a
     * reply that cannot be built would leave the client without one */
    utf8_sanitize(msg, err->message, sizeof(msg));
    reply = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0",
                      "id", id != NULL ? id : json_null(), "error",
                      "code", err->code, "message", msg);
    return reply != NULL ? dump_line(reply, size) : NULL;
}
