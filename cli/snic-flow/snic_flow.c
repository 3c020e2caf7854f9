/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-flow: the flow language offline, without a daemon, the way
 * `ovs-ofctl parse-flow` reads a flow without a switch. It runs snicd's own
 * parser and formatter (include/snic/flow.h), so what it accepts and the
 * errors it prints are exactly snicd's. Ports are numbers only: names need
 * a daemon that knows its ports.
 *
 *   snic-flow parse-flow LINE      print LINE's canonical form (exit 0) or
 *                                  the error (exit 1)
 *   snic-flow parse-flows [FILE]   one output line per input line (stdin
 *                                  without FILE or with "-"):
 *                                    ok<TAB>CANONICAL FORM
 *                                    error<TAB>POS<TAB>LEN<TAB>MESSAGE
 *                                    blank       (empty or '#' comment)
 *                                  exit 0 if every flow parsed, else 1
 *
 * scripts/bench-ofctl-accept feeds it Open vSwitch's test-suite flows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic/flow.h"

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: snic-flow parse-flow LINE\n"
            "       snic-flow parse-flows [FILE|-]\n"
            "Parse add-flow lines with snicd's parser and print their "
            "canonical form\nor the error (numeric ports only).\n");
}

/* 0 and the canonical form in @buf, or the parser's negative errno with
 * the error in @err. */
static int
parse_one(const char *line, char *buf, size_t size, struct flow_error *err)
{
    struct flow_mod fm;
    int rc = flow_parse(line, FLOW_CMD_ADD, NULL, &fm, err);

    if (rc < 0)
        return rc;
    flow_format(&fm.flow, NULL, buf, size);
    return 0;
}

static bool
is_blank(const char *s)
{
    s += strspn(s, " \t\r\n");
    return *s == '\0' || *s == '#';
}

static int
cmd_parse_flows(const char *path)
{
    FILE *in = stdin;
    char out[FLOW_FORMAT_MAX];
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = 0;

    if (path != NULL && strcmp(path, "-") != 0) {
        in = fopen(path, "r");
        if (in == NULL) {
            fprintf(stderr, "snic-flow: %s: %s\n", path, strerror(errno));
            return 2;
        }
    }
    while ((n = getline(&line, &cap, in)) >= 0) {
        struct flow_error err;

        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if ((size_t)n != strlen(line)) {
            /* an embedded NUL would cut the line where the parser reads */
            printf("error\t%zu\t0\tflow: a NUL byte in the line\n",
                   strlen(line));
            status = 1;
            continue;
        }
        if (is_blank(line)) {
            printf("blank\n");
            continue;
        }
        if (parse_one(line, out, sizeof(out), &err) == 0) {
            printf("ok\t%s\n", out);
        } else {
            printf("error\t%zu\t%zu\t%s\n", err.pos, err.len, err.msg);
            status = 1;
        }
    }
    free(line);
    if (in != stdin)
        fclose(in);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0
                      || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "parse-flow") == 0) {
        char out[FLOW_FORMAT_MAX];
        struct flow_error err;

        if (parse_one(argv[2], out, sizeof(out), &err) < 0) {
            fprintf(stderr, "snic-flow: %s\n", err.msg);
            return 1;
        }
        printf("%s\n", out);
        return 0;
    }
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "parse-flows") == 0)
        return cmd_parse_flows(argc == 3 ? argv[2] : NULL);
    usage(stderr);
    return 2;
}
