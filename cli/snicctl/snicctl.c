/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicctl: talk to a running snicd over its control socket, the way
 * ovs-ofctl and ovs-appctl talk to Open vSwitch.
 *
 * Flows are sent as text and parsed by the daemon, so there is exactly one
 * parser and its error messages (token, position, what would be right)
 * reach the user unchanged.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic/ctl.h"

#define CALL_TIMEOUT_MS     120000  /* add-flows of 100k flows takes a while */
#define ADD_FLOWS_BATCH     20000u

struct ctl_tool {
    struct ctl_client *client;
    const char *target;
    bool json;
    bool strict;
};

static json_t *
call(struct ctl_tool *t, const char *method, json_t *params)
{
    struct ctl_error err = { 0 };
    json_t *r = ctl_client_call(t->client, method, params, CALL_TIMEOUT_MS,
                                &err);
    if (r == NULL)
        fprintf(stderr, "snicctl: %s: %s\n", method, err.message);
    return r;
}

static void
print_json(const json_t *j)
{
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("\n");
}

static int
cmd_add_flow(struct ctl_tool *t, const char *line)
{
    json_t *r = call(t, "add-flow", json_pack("{s:s}", "flow", line));
    if (r == NULL)
        return 1;
    if (t->json)
        print_json(r);
    json_decref(r);
    return 0;
}

/* One request per batch; the daemon parses a whole batch before applying
 * any of it, so a bad line leaves that batch unapplied. */
static int
cmd_add_flows(struct ctl_tool *t, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "snicctl: cannot open %s: %s\n", path,
                strerror(errno));
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0, added = 0;
    int rc = 0;
    json_t *batch = json_array();
    unsigned long batch_first = 1;
    for (;;) {
        ssize_t n = getline(&line, &cap, f);
        bool eof = n < 0;
        if (!eof) {
            lineno++;
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            const char *p = line + strspn(line, " \t");
            if (*p != '\0' && *p != '#')
                json_array_append_new(batch, json_string(line));
            else
                json_array_append_new(batch, json_null()); /* keep numbering */
        }
        if (json_array_size(batch) == ADD_FLOWS_BATCH
            || (eof && json_array_size(batch) > 0)) {
            json_t *r = call(t, "add-flows",
                             json_pack("{s:o, s:s, s:I}", "flows", batch,
                                       "file", path, "first_line",
                                       (json_int_t)batch_first));
            batch = json_array();
            batch_first = lineno + 1;
            if (r == NULL) {
                rc = 1;
                break;
            }
            added += (unsigned long)json_integer_value(
                json_object_get(r, "added"));
            json_decref(r);
        }
        if (eof)
            break;
    }
    json_decref(batch);
    free(line);
    if (f != stdin)
        fclose(f);
    if (rc == 0 && !t->json)
        printf("%lu flows added from %s\n", added, path);
    else if (rc == 0)
        printf("{\"added\": %lu}\n", added);
    return rc;
}

static int
cmd_mod_del(struct ctl_tool *t, const char *method, const char *line)
{
    json_t *params = json_pack("{s:b}", "strict", t->strict);
    if (line != NULL)
        json_object_set_new(params, "flow", json_string(line));
    json_t *r = call(t, method, params);
    if (r == NULL)
        return 1;
    if (t->json)
        print_json(r);
    json_decref(r);
    return 0;
}

static int
cmd_dump_flows(struct ctl_tool *t, const char *filter)
{
    json_t *params = json_object();
    if (filter != NULL)
        json_object_set_new(params, "filter", json_string(filter));
    json_t *r = call(t, "dump-flows", params);
    if (r == NULL)
        return 1;
    if (t->json) {
        print_json(r);
        json_decref(r);
        return 0;
    }
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(r, "flows"), i, f) {
        const char *text = json_string_value(json_object_get(f, "text"));
        const char *where = json_string_value(json_object_get(f, "offload"));
        const char *why = json_string_value(json_object_get(f, "reason"));
        printf(" %s offload=%s", text ? text : "?", where ? where : "?");
        if (why != NULL && *why != '\0')
            printf(" (%s)", why);
        printf("\n");
    }
    json_decref(r);
    return 0;
}

static int
cmd_simple(struct ctl_tool *t, const char *method)
{
    json_t *r = call(t, method, NULL);
    if (r == NULL)
        return 1;
    const char *text = json_string_value(json_object_get(r, "text"));
    if (!t->json && text != NULL)
        fputs(text, stdout);
    else
        print_json(r);
    json_decref(r);
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: snicctl [OPTIONS] COMMAND [ARGS]\n"
        "\n"
        "Drive a running snicd through its control socket.\n"
        "\n"
        "commands:\n"
        "  add-flow FLOW          add or replace one flow (ovs-ofctl syntax)\n"
        "  add-flows FILE         add the flows of FILE (- for stdin), one per\n"
        "                         line; # starts a comment\n"
        "  mod-flows FLOW         change the actions of matching flows\n"
        "  del-flows [FLOW]       delete matching flows (all without FLOW)\n"
        "  dump-flows [FILTER]    list flows with counters and where each\n"
        "                         lives: hw, partial or sw, and why\n"
        "  show                   ports, representor mapping, link state\n"
        "  capabilities           what the hardware offered\n"
        "  stats                  offload counts, insertion rate, datapath\n"
        "  call METHOD [JSON]     any control method (see 'call help')\n"
        "\n"
        "options:\n"
        "  -s, --socket PATH      control socket or run directory\n"
        "                         (default %s)\n"
        "      --strict           mod-flows / del-flows: exact match and\n"
        "                         priority only\n"
        "  -j, --json             print the daemon's JSON answer\n"
        "  -h, --help             this text\n", CTL_DEFAULT_RUNDIR);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "strict", no_argument, NULL, 'S' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct ctl_tool t = { .target = CTL_DEFAULT_RUNDIR };
    int c;
    while ((c = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
        switch (c) {
        case 's': t.target = optarg; break;
        case 'S': t.strict = true; break;
        case 'j': t.json = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    int nargs = argc - optind - 1;

    static const struct {
        const char *name;
        int min_args, max_args;
    } table[] = {
        { "add-flow", 1, 1 },   { "add-flows", 1, 1 }, { "mod-flows", 1, 1 },
        { "del-flows", 0, 1 },  { "dump-flows", 0, 1 }, { "show", 0, 0 },
        { "capabilities", 0, 0 }, { "stats", 0, 0 },    { "call", 1, 2 },
    };
    size_t k;
    for (k = 0; k < sizeof(table) / sizeof(table[0]); k++)
        if (strcmp(cmd, table[k].name) == 0)
            break;
    if (k == sizeof(table) / sizeof(table[0])) {
        fprintf(stderr, "snicctl: unknown command '%s' (see --help)\n", cmd);
        return 2;
    }
    if (nargs < table[k].min_args || nargs > table[k].max_args) {
        fprintf(stderr, "snicctl: %s takes %d to %d arguments, got %d\n",
                cmd, table[k].min_args, table[k].max_args, nargs);
        return 2;
    }

    t.client = ctl_client_open(t.target, 1000);
    if (t.client == NULL) {
        fprintf(stderr, "snicctl: cannot reach snicd at %s: %s (is snicd "
                        "running? see --socket)\n", t.target,
                strerror(errno));
        return 1;
    }
    int rc;
    if (!strcmp(cmd, "add-flow"))
        rc = cmd_add_flow(&t, arg);
    else if (!strcmp(cmd, "add-flows"))
        rc = cmd_add_flows(&t, arg);
    else if (!strcmp(cmd, "mod-flows"))
        rc = cmd_mod_del(&t, "mod-flows", arg);
    else if (!strcmp(cmd, "del-flows"))
        rc = cmd_mod_del(&t, "del-flows", arg);
    else if (!strcmp(cmd, "dump-flows"))
        rc = cmd_dump_flows(&t, arg);
    else if (!strcmp(cmd, "call")) {
        json_t *params = NULL;
        if (nargs == 2) {
            json_error_t jerr;
            params = json_loads(argv[optind + 2], 0, &jerr);
            if (params == NULL) {
                fprintf(stderr, "snicctl: call: params are not JSON: %s\n",
                        jerr.text);
                ctl_client_close(t.client);
                return 2;
            }
        }
        json_t *r = call(&t, arg, params);
        rc = r == NULL;
        if (r != NULL)
            print_json(r);
        json_decref(r);
    } else
        rc = cmd_simple(&t, cmd);
    ctl_client_close(t.client);
    return rc;
}
