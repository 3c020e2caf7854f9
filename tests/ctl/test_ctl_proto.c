/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket's request parser and reply builder. */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "snic/ctl.h"

static int
parse(const char *text, struct ctl_request *req, json_t **id,
      struct ctl_error *err)
{
    return ctl_request_parse(text, strlen(text), req, id, err);
}

Test(ctl_proto, valid_request)
{
    struct ctl_request req;
    struct ctl_error err = { 0 };
    json_t *id = NULL;
    cr_assert_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"add-flow\","
                       "\"params\":{\"flow\":\"actions=drop\"}}",
                       &req, &id, &err), 0, "%s", err.message);
    cr_expect_str_eq(req.method, "add-flow");
    cr_expect_eq(json_integer_value(req.id), 7);
    cr_expect_str_eq(json_string_value(json_object_get(req.params, "flow")),
                     "actions=drop");
    ctl_request_free(&req);
    json_decref(id);
}

Test(ctl_proto, params_default_to_empty_object)
{
    struct ctl_request req;
    cr_assert_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"show\"}",
                       &req, NULL, NULL), 0);
    cr_expect(json_is_object(req.params));
    cr_expect_eq(json_object_size(req.params), 0);
    cr_expect_str_eq(json_string_value(req.id), "x");
    ctl_request_free(&req);
}

/* Arrays, not pointers: Criterion runs each parameter in a fresh process
 * where the parent's pointers mean nothing. */
struct bad_case {
    char text[96];
    int code;
    char fragment[48];
};

ParameterizedTestParameters(ctl_proto, refusals)
{
    static struct bad_case cases[] = {
        { "{", CTL_ERR_PARSE, "not valid JSON" },
        { "", CTL_ERR_PARSE, "not valid JSON" },
        { "[1,2]", CTL_ERR_INVALID_REQUEST, "batches are not supported" },
        { "42", CTL_ERR_INVALID_REQUEST, "a scalar" },
        { "{\"id\":1,\"method\":\"x\"}", CTL_ERR_INVALID_REQUEST,
          "\"jsonrpc\" must be \"2.0\"" },
        { "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"x\"}",
          CTL_ERR_INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\"" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1}", CTL_ERR_INVALID_REQUEST,
          "\"method\" must be a string" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"Bad Name\"}",
          CTL_ERR_INVALID_REQUEST, "characters of a-z" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}",
          CTL_ERR_INVALID_REQUEST, "characters of a-z" },
        { "{\"jsonrpc\":\"2.0\",\"id\":[],\"method\":\"x\"}",
          CTL_ERR_INVALID_REQUEST, "\"id\" must be" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":\"s\"}",
          CTL_ERR_INVALID_REQUEST, "\"params\" must be an object" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"x\":1}",
          CTL_ERR_INVALID_REQUEST, "unknown member \"x\"" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"method\":\"b\"}",
          CTL_ERR_PARSE, "duplicate" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\\u0000b\"}",
          CTL_ERR_PARSE, "not valid JSON" },
    };
    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, ctl_proto, refusals)
{
    struct ctl_request req;
    struct ctl_error err = { 0 };
    json_t *id = NULL;
    cr_assert_lt(parse(c->text, &req, &id, &err), 0, "accepted: %s", c->text);
    cr_expect_eq(err.code, c->code, "%s: code %d", c->text, err.code);
    cr_expect(strstr(err.message, c->fragment) != NULL,
              "%s: message '%s' lacks '%s'", c->text, err.message,
              c->fragment);
    json_decref(id);
}

Test(ctl_proto, error_reply_keeps_the_id)
{
    struct ctl_request req;
    struct ctl_error err = { 0 };
    json_t *id = NULL;
    cr_assert_lt(parse("{\"jsonrpc\":\"1.0\",\"id\":99,\"method\":\"x\"}",
                       &req, &id, &err), 0);
    cr_assert_not_null(id);
    size_t size;
    char *line = ctl_reply_error(id, &err, &size);
    cr_assert_not_null(line);
    cr_expect_eq(line[size - 1], '\n');
    json_t *reply = json_loadb(line, size, 0, NULL);
    cr_assert_not_null(reply);
    cr_expect_eq(json_integer_value(json_object_get(reply, "id")), 99);
    cr_expect_eq(json_integer_value(json_object_get(
                     json_object_get(reply, "error"), "code")),
                 CTL_ERR_INVALID_REQUEST);
    json_decref(reply);
    json_decref(id);
    free(line);
}

Test(ctl_proto, utf8_invalid_at_names_the_byte)
{
#define AT(s) ctl_utf8_invalid_at(s, sizeof(s) - 1)
    cr_expect_eq(AT("in_port=vf0"), -1);
    cr_expect_eq(AT("caf\xc3\xa9"), -1);
    cr_expect_eq(AT("\xf0\x9f\x98\x80"), -1);           /* U+1F600 */
    cr_expect_eq(AT("ab\xff"), 2);
    cr_expect_eq(AT("\xc0\xaf"), 0);                      /* overlong */
    cr_expect_eq(AT("x\xed\xa0\x80"), 1);                 /* surrogate */
    cr_expect_eq(AT("\xf4\x90\x80\x80"), 0);             /* > U+10FFFF */
    cr_expect_eq(AT("ok\xe2\x82"), 2);                    /* cut short */
    /* the size bounds it: a sequence cut by the end is not read past */
    cr_expect_eq(ctl_utf8_invalid_at("\xc3\xa9", 1), 0);
#undef AT
}

/* The fast reader takes plain JSON as jansson reads it, and leaves all
 * else to jansson: a reader that took a line it cannot read right would
 * give a method other params than the client sent. */
Test(ctl_proto, plain_json_reads_as_jansson_or_not_at_all)
{
    static const char *const plain[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"add-flows\",\"params\":"
        "{\"flows\":[\"in_port=1,udp actions=drop\",null,\"\"],\"file\":\"f\","
        "\"first_line\":3,\"more\":true,\"abort\":false}}",
        " { \"a\" : [ 1 , -2 , 0 , -0 , [ ] , { } ] ,\t\"b\":\r\"x y\" } ",
        "[]", "\"s\"", "123456789012345678", "-123456789012345678", "true",
        "null", "{\"\":1}",
    };
    static const char *const not_plain[] = {
        "", "  ", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{a:1}",
        "{\"a\":1,\"a\":2}",                /* duplicate: jansson refuses */
        "[1.5]", "[1e3]", "[01]", "[-]", "[1234567890123456789]",
        "[\"a\\\"b\"]", "[\"\\u0041\"]",    /* escapes: jansson's */
        "[\"caf\xc3\xa9\"]", "[\"\x7f\"]", "[\"a\tb\"]", "[\"a",
        "[tru]", "[truex]", "{\"a\":1} x", "[1]]", "nul",
    };
    char deep[2 * 70 + 1];

    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        json_t *a = ctl_json_plain(plain[i], strlen(plain[i]));
        json_t *b = json_loadb(plain[i], strlen(plain[i]),
                               JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                               NULL);

        cr_assert_not_null(a, "not read: %s", plain[i]);
        cr_assert_not_null(b, "jansson refuses: %s", plain[i]);
        cr_expect(json_equal(a, b), "read differently: %s", plain[i]);
        json_decref(a);
        json_decref(b);
    }
    for (size_t i = 0; i < sizeof(not_plain) / sizeof(not_plain[0]); i++)
        cr_expect_null(ctl_json_plain(not_plain[i], strlen(not_plain[i])),
                       "read: %s", not_plain[i]);
    /* 64 levels are read, 70 are jansson's */
    memset(deep, '[', 70);
    memset(deep + 70, ']', 70);
    deep[140] = '\0';
    cr_expect_null(ctl_json_plain(deep, 140));
    {
        json_t *d = ctl_json_plain(deep + 6, 128);

        cr_expect_not_null(d, "64 levels not read");
        json_decref(d);
    }
    /* a NUL is not whitespace, nor a string's byte */
    cr_expect_null(ctl_json_plain("[1]\0", 4));
    cr_expect_null(ctl_json_plain("[\"a\0b\"]", 7));
}
