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

int
ctl_request_parse(const char *line, size_t size, struct ctl_request *req,
                  json_t **id_out, struct ctl_error *err)
{
    if (id_out != NULL)
        *id_out = NULL;
    memset(req, 0, sizeof(*req));

    json_error_t jerr;
    /* JSON_REJECT_DUPLICATES: {"method":"a","method":"b"} is ambiguous. */
    json_t *root = json_loadb(line, size,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
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
