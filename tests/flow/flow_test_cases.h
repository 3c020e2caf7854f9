/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tables of flow-language cases and the checks every table runs: a line
 * and the canonical text flow_format() must print for it (which must
 * parse back to the same flow), or a line the parser must refuse, naming
 * the token at fault and saying why. A test file holds its tables; the
 * checks and Criterion's parameter boilerplate are here, so two files
 * cannot check the same kind of case two ways. Header-only: each test
 * file is one program.
 */
#ifndef SNIC_TESTS_FLOW_CASES_H
#define SNIC_TESTS_FLOW_CASES_H

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "snic/flow.h"

struct flow_canon {
    const char *line;
    const char *text;       /* flow_format(), without "cookie=0x0, " */
};

struct flow_refusal {
    const char *line;
    const char *token;      /* the token the error names */
    const char *words;      /* ... and words of its reason */
};

/* Criterion parameters for ParameterizedTest(size_t *i, @suite, @name):
 * the indexes of @table, a static array. */
#define FLOW_TEST_INDEXES(suite, name, table)                                 \
    ParameterizedTestParameters(suite, name)                                  \
    {                                                                         \
        static size_t idx[sizeof(table) / sizeof((table)[0])];                \
                                                                              \
        for (size_t k = 0; k < sizeof(idx) / sizeof(idx[0]); k++)             \
            idx[k] = k;                                                       \
        return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));\
    }

/* @tc->line parses, prints as @tc->text, and that text parses back to the
 * same flow. */
static inline void
flow_test_canonical(const struct flow_canon *tc)
{
    struct flow_mod fm, back;
    struct flow_error err;
    char text[FLOW_FORMAT_MAX];

    cr_assert_eq(flow_parse(tc->line, FLOW_CMD_ADD, NULL, &fm, &err), 0,
                 "'%s' rejected: %s", tc->line, err.msg);
    flow_format(&fm.flow, NULL, text, sizeof(text));
    cr_expect_str_eq(text + strlen("cookie=0x0, "), tc->text);
    cr_assert_eq(flow_parse(text, FLOW_CMD_ADD, NULL, &back, &err), 0,
                 "'%s' rejected: %s", text, err.msg);
    cr_expect(flow_equal(&fm.flow, &back.flow), "%s", text);
}

/* @tc->line is refused, the message quoting @tc->token and saying
 * @tc->words. */
static inline void
flow_test_refused(const struct flow_refusal *tc)
{
    struct flow_mod fm;
    struct flow_error err;
    char quoted[128];

    cr_assert_lt(flow_parse(tc->line, FLOW_CMD_ADD, NULL, &fm, &err), 0,
                 "'%s' accepted", tc->line);
    snprintf(quoted, sizeof(quoted), "'%s'", tc->token);
    cr_expect(strstr(err.msg, quoted) != NULL, "%s: %s", tc->line, err.msg);
    cr_expect(strstr(err.msg, tc->words) != NULL, "%s: %s", tc->line,
              err.msg);
}

#endif /* SNIC_TESTS_FLOW_CASES_H */
