/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the flow language: every input is parsed as an add-flow,
 * mod-flows and del-flows line. An accepted add-flow line is formatted and
 * parsed again; the two flows must be equal (the formatter is the parser's
 * inverse), and formatting must be stable. Any difference abort()s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic/flow.h"

/* the same port names as the flow tests: uplink, pf, vf0..vf7, vxlan0 */
#include "../flow/flow_test_ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_error(int rc, const struct flow_error *err, size_t len)
{
    if (rc >= 0)
        return;
    if (err->code != rc || err->pos > len || err->msg[0] == '\0'
        || strncmp(err->msg, "flow: at ", 9) != 0) {
        fprintf(stderr, "bad error report: rc %d code %d pos %zu '%s'\n",
                rc, err->code, err->pos, err->msg);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow_mod fm, again, other;
    struct flow_error err;
    char text[FLOW_FORMAT_MAX], text2[FLOW_FORMAT_MAX];
    char *line;
    int rc, n;

    if (size > 4096)
        return 0;
    line = malloc(size + 1);
    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';

    for (int cmd = FLOW_CMD_MODIFY; cmd <= FLOW_CMD_DELETE_STRICT; cmd++) {
        rc = flow_parse(line, (enum flow_cmd)cmd, &test_ports, &other, &err);
        check_error(rc, &err, strlen(line));
    }

    rc = flow_parse(line, FLOW_CMD_ADD, &test_ports, &fm, &err);
    check_error(rc, &err, strlen(line));
    if (rc == 0) {
        n = flow_format(&fm.flow, &test_ports, text, sizeof(text));
        if (n < 0 || (size_t)n >= sizeof(text))
            abort();
        rc = flow_parse(text, FLOW_CMD_ADD, &test_ports, &again, &err);
        if (rc != 0) {
            fprintf(stderr, "re-parse of '%s' failed: %s\n", text, err.msg);
            abort();
        }
        if (!flow_equal(&fm.flow, &again.flow)) {
            fprintf(stderr, "round trip changed the flow: '%s'\n", text);
            abort();
        }
        flow_format(&again.flow, &test_ports, text2, sizeof(text2));
        if (strcmp(text, text2) != 0) {
            fprintf(stderr, "unstable format:\n%s\n%s\n", text, text2);
            abort();
        }
    }
    free(line);
    return 0;
}
