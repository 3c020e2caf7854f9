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
#define ADD_FLOWS_BATCH     20000u  /* lines per add-flows request */
#define ADD_FLOWS_BYTES     (8u << 20)  /* and bytes, far below the limit */

struct ctl_tool {
    struct ctl_client *client;
    const char *target;
    bool json;
    bool strict;
    bool chunked;           /* add-flows: commit each chunk on its own */
    bool no_names;          /* dump-flows: ports as numbers */
    bool no_stats;          /* dump-flows: the flows alone */
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

/*
 * add-flows FILE: the file is read in chunks of at most ADD_FLOWS_BATCH
 * lines or ADD_FLOWS_BYTES bytes, one request each. By default the whole
 * file is one transaction: every chunk but the last says "more", the
 * daemon keeps them, and the last one applies the file as one batch (one
 * journal frame): a bad line anywhere, or snicctl or snicd dying, leaves
 * nothing of the file. With --chunked each chunk is committed on its own
 * and an error says how much was committed before it.
 */
struct add_flows {
    struct ctl_tool *t;
    const char *path;
    json_t *batch;              /* lines of the chunk being read */
    size_t batch_bytes;
    unsigned long batch_first;  /* its first line */
    json_int_t txn;             /* 0: none open */
    unsigned long added;        /* flows committed so far */
    unsigned long fresh;        /* of them, flows the table did not have */
    unsigned long committed_to; /* last line committed (--chunked) */
};

/* --chunked: what the chunks before line @from left. */
static void
print_committed(const struct add_flows *a, unsigned long from)
{
    if (a->committed_to == 0)
        fprintf(stderr, "snicctl: %s: nothing of it was added\n", a->path);
    else
        fprintf(stderr, "snicctl: %s: committed: %lu flows (lines 1-%lu); "
                "nothing from line %lu on was added\n", a->path, a->added,
                a->committed_to, from);
}

/* Send the chunk read so far; @last: no chunk follows. 0, or 1 with the
 * error reported. */
static int
send_chunk(struct add_flows *a, unsigned long lineno, bool last)
{
    struct ctl_error err = { 0 };
    bool chunked = a->t->chunked;
    json_t *params = json_pack("{s:o, s:s, s:I}", "flows", a->batch, "file",
                               a->path, "first_line",
                               (json_int_t)a->batch_first);
    json_t *r;

    if (!chunked && !last)
        json_object_set_new(params, "more", json_true());
    if (!chunked && a->txn != 0)
        json_object_set_new(params, "txn", json_integer(a->txn));
    a->batch = json_array();
    a->batch_bytes = 0;
    r = ctl_client_call(a->t->client, "add-flows", params, CALL_TIMEOUT_MS,
                        &err);
    if (r == NULL) {
        bool unknown = err.code == CTL_ERR_TRANSPORT;

        fprintf(stderr, "snicctl: add-flows: %s\n", err.message);
        if (chunked && unknown)
            fprintf(stderr, "snicctl: %s: committed: %lu flows (lines 1-%lu);"
                    " lines %lu-%lu were being committed when snicd went "
                    "away: either all of them were added or none (see "
                    "dump-flows); nothing after line %lu was sent\n",
                    a->path, a->added, a->committed_to, a->batch_first,
                    lineno, lineno);
        else if (chunked)
            print_committed(a, a->batch_first);
        else if (unknown && last)
            fprintf(stderr, "snicctl: %s: snicd went away while committing "
                    "the file: either all of it was added or none (the "
                    "journal takes it whole; see dump-flows)\n", a->path);
        else if (unknown)
            fprintf(stderr, "snicctl: %s: snicd went away before the file "
                    "was committed (lines 1-%lu sent): nothing of it was "
                    "added\n", a->path, lineno);
        a->txn = 0;     /* ended by the error, or gone with snicd */
        return 1;
    }
    if (!chunked && !last) {
        a->txn = json_integer_value(json_object_get(r, "txn"));
    } else {
        a->added += (unsigned long)json_integer_value(
            json_object_get(r, "added"));
        a->fresh += (unsigned long)json_integer_value(
            json_object_get(r, "new"));
        a->committed_to = lineno;
    }
    json_decref(r);
    a->batch_first = lineno + 1;
    return 0;
}

/* End an open transaction with nothing applied (best effort: the daemon
 * drops it after a minute without chunks anyway). */
static void
abort_txn(struct add_flows *a)
{
    struct ctl_error err;
    json_t *r;

    if (a->txn == 0)
        return;
    r = ctl_client_call(a->t->client, "add-flows",
                        json_pack("{s:[], s:s, s:I, s:b}", "flows", "file",
                                  a->path, "txn", (json_int_t)a->txn,
                                  "abort", 1), 5000, &err);
    json_decref(r);
    a->txn = 0;
}

static int
cmd_add_flows(struct ctl_tool *t, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "snicctl: cannot open %s: %s\n", path,
                strerror(errno));
        return 1;
    }
    struct add_flows a = { .t = t, .path = path, .batch = json_array(),
                           .batch_first = 1 };
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    bool sent_error = false;
    int rc = 0;
    for (;;) {
        ssize_t n = getline(&line, &cap, f);
        if (n < 0)
            break;
        lineno++;
        const char *nul = memchr(line, '\0', (size_t)n);
        if (nul != NULL) {
            fprintf(stderr, "snicctl: %s:%lu: a NUL byte at byte %ld of the "
                    "line (flow files are text)\n", path, lineno,
                    (long)(nul - line) + 1);
            rc = 1;
            break;
        }
        long bad = ctl_utf8_invalid_at(line, (size_t)n);
        if (bad >= 0) {
            fprintf(stderr, "snicctl: %s:%lu: not valid UTF-8 at byte %ld "
                    "of the line (0x%02x)\n", path, lineno, bad + 1,
                    (unsigned char)line[bad]);
            rc = 1;
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        const char *p = line + strspn(line, " \t");
        json_t *v = *p != '\0' && *p != '#' ? json_string(line)
                                           : json_null(); /* keep numbering */
        if (v == NULL || json_array_append_new(a.batch, v) < 0) {
            fprintf(stderr, "snicctl: %s:%lu: out of memory\n", path, lineno);
            rc = 1;
            break;
        }
        a.batch_bytes += (size_t)n + 8;
        if (json_array_size(a.batch) == ADD_FLOWS_BATCH
            || a.batch_bytes >= ADD_FLOWS_BYTES) {
            /* a chunk ending exactly at the end of the file would leave
             * an empty last one: harmless */
            rc = send_chunk(&a, lineno, false);
            if (rc != 0) {
                sent_error = true;
                break;
            }
        }
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "snicctl: %s: read error after line %lu: %s\n", path,
                lineno, strerror(errno));
        rc = 1;
    }
    if (rc != 0 && !sent_error) {
        /* the file could not be read: nothing of it goes in */
        if (!t->chunked) {
            abort_txn(&a);
            fprintf(stderr, "snicctl: %s: nothing of it was added\n", path);
        } else {
            print_committed(&a, a.batch_first);
        }
    } else if (rc == 0 && (json_array_size(a.batch) > 0 || a.txn != 0)) {
        rc = send_chunk(&a, lineno, true);
    }
    json_decref(a.batch);
    free(line);
    if (f != stdin)
        fclose(f);
    /* a flow of the same match and priority as one the table has (or an
     * earlier line) replaces it: "10000 flows added" may be one flow */
    if (rc == 0 && !t->json)
        printf("%lu flows added from %s (%lu new, %lu replaced)\n", a.added,
               path, a.fresh, a.added - a.fresh);
    else if (rc == 0)
        printf("{\"added\": %lu, \"new\": %lu, \"replaced\": %lu}\n",
               a.added, a.fresh, a.added - a.fresh);
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

/* What dump-flows prints each flow into. */
struct dump_out {
    json_t *keep;           /* -j: the items, for the whole JSON result */
    bool no_stats;          /* the flow's line alone, no offload state */
};

/* One flow of dump-flows: printed at once (text), or kept for the whole
 * JSON result (-j). */
static int
dump_item(void *ctx, json_t *f)
{
    const struct dump_out *out = ctx;

    if (out->keep != NULL)
        return json_array_append(out->keep, f) < 0 ? -ENOMEM : 0;
    const char *text = json_string_value(json_object_get(f, "text"));
    const char *where = json_string_value(json_object_get(f, "offload"));
    const char *why = json_string_value(json_object_get(f, "reason"));
    printf(" %s", text ? text : "?");
    if (!out->no_stats) {
        printf(" offload=%s", where ? where : "?");
        if (why != NULL && *why != '\0')
            printf(" (%s)", why);
    }
    printf("\n");
    return ferror(stdout) ? -EIO : 0;
}

/* One flow of dump-flows as its JSON text: its line printed from the
 * item's own bytes when they read as they are, else as dump_item() does
 * from the parsed item. */
static int
dump_item_text(void *ctx, const char *item, size_t size)
{
    const struct dump_out *out = ctx;
    struct ctl_member m[] = {
        { .name = "text" }, { .name = "offload" }, { .name = "reason" },
    };

    if (out->keep == NULL && ctl_item_strings(item, size, m, 3)) {
        fputc(' ', stdout);
        fwrite(m[0].v, 1, m[0].size, stdout);
        if (!out->no_stats) {
            fputs(" offload=", stdout);
            fwrite(m[1].v, 1, m[1].size, stdout);
            if (m[2].size > 0) {
                fputs(" (", stdout);
                fwrite(m[2].v, 1, m[2].size, stdout);
                fputc(')', stdout);
            }
        }
        fputc('\n', stdout);
        return ferror(stdout) ? -EIO : 0;
    }
    json_t *f = json_loadb(item, size, 0, NULL);
    if (f == NULL)
        return -EPROTO;
    int rc = dump_item(ctx, f);
    json_decref(f);
    return rc;
}

/* The reply is read a flow at a time (ctl_client_stream_text): printing
 * a million flows needs neither the whole reply nor its JSON in memory. */
static int
cmd_dump_flows(struct ctl_tool *t, const char *filter)
{
    struct ctl_error err = { 0 };
    json_t *params = json_object();
    struct dump_out out = {
        .keep = t->json ? json_array() : NULL, .no_stats = t->no_stats,
    };
    if (filter != NULL)
        json_object_set_new(params, "filter", json_string(filter));
    if (t->no_names)
        json_object_set_new(params, "port_numbers", json_true());
    if (t->no_stats)
        json_object_set_new(params, "no_stats", json_true());
    json_t *r = ctl_client_stream_text(t->client, "dump-flows", params,
                                       "flows", dump_item_text, &out,
                                       CALL_TIMEOUT_MS, &err);
    if (r == NULL) {
        fprintf(stderr, "snicctl: dump-flows: %s\n", err.message);
        json_decref(out.keep);
        return 1;
    }
    if (t->json) {
        json_object_set_new(r, "flows", out.keep);
        print_json(r);
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
        "                         line; # starts a comment. The whole file is\n"
        "                         one transaction: all of it or nothing\n"
        "  mod-flows FLOW         change the actions of matching flows\n"
        "  del-flows [FLOW]       delete matching flows (all without FLOW)\n"
        "  dump-flows [FILTER]    list flows with counters and where each\n"
        "                         lives: hw, partial or sw, and why\n"
        "  show                   ports, representor mapping, link state\n"
        "  capabilities           what the hardware offered\n"
        "  stats                  offload counts, insertion rate, datapath\n"
        "  fdb-show               NORMAL's learned MAC addresses\n"
        "  fdb-flush [PORT]       forget them (those of PORT)\n"
        "  conntrack-show [ZONE]  tracked connections (of ZONE), counters\n"
        "  conntrack-flush [ZONE] forget them (those of ZONE)\n"
        "  controller-show        packets sent to CONTROLLER: the count and\n"
        "                         the last ones\n"
        "  add-tlv-map MAP        map tun_metadata fields, as ovs-ofctl:\n"
        "                         {class=0xffff,type=0,len=4}->tun_metadata0\n"
        "  del-tlv-map [MAP]      unmap them (all without MAP)\n"
        "  dump-tlv-map           the mappings\n"
        "  call METHOD [JSON]     any control method (see 'call help')\n"
        "\n"
        "options:\n"
        "  -s, --socket PATH      control socket or run directory\n"
        "                         (default %s)\n"
        "      --strict           mod-flows / del-flows: exact match and\n"
        "                         priority only\n"
        "      --chunked          add-flows: commit every %u lines on their\n"
        "                         own; an error says what was committed\n"
        "      --no-names         dump-flows: ports as numbers\n"
        "      --no-stats         dump-flows: each flow alone, as add-flows\n"
        "                         (snicctl's or ovs-ofctl's) reads it: no\n"
        "                         counters, age or offload state\n"
        "  -j, --json             print the daemon's JSON answer\n"
        "  -h, --help             this text\n", CTL_DEFAULT_RUNDIR,
        ADD_FLOWS_BATCH);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "strict", no_argument, NULL, 'S' },
        { "chunked", no_argument, NULL, 'C' },
        { "no-names", no_argument, NULL, 'N' },
        { "no-stats", no_argument, NULL, 'T' },
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
        case 'C': t.chunked = true; break;
        case 'N': t.no_names = true; break;
        case 'T': t.no_stats = true; break;
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
        { "fdb-show", 0, 0 },   { "fdb-flush", 0, 1 },
        { "controller-show", 0, 0 },
        { "conntrack-show", 0, 1 }, { "conntrack-flush", 0, 1 },
        { "add-tlv-map", 1, 1 }, { "del-tlv-map", 0, 1 },
        { "dump-tlv-map", 0, 0 },
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

    /* An argument that is not UTF-8 cannot travel in a JSON string: name
     * it here rather than send a request without it (snicd would only see
     * a parameter missing). add-flows' argument is a path, any bytes; the
     * file's lines are checked as they are read. */
    for (int i = optind + 1; i < argc && strcmp(cmd, "add-flows") != 0;
         i++) {
        long bad = ctl_utf8_invalid_at(argv[i], strlen(argv[i]));

        if (bad >= 0) {
            fprintf(stderr, "snicctl: %s: argument %d is not valid UTF-8 "
                    "(byte %ld, 0x%02x): nothing was sent\n", cmd,
                    i - optind, bad + 1, (unsigned char)argv[i][bad]);
            return 2;
        }
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
    else if (!strcmp(cmd, "fdb-flush")) {
        json_t *params = json_object();

        if (arg != NULL)
            json_object_set_new(params, "port", json_string(arg));
        json_t *r = call(&t, "fdb-flush", params);
        rc = r == NULL;
        if (r != NULL && t.json)
            print_json(r);
        else if (r != NULL)
            fputs(json_string_value(json_object_get(r, "text")), stdout);
        json_decref(r);
    } else if (!strcmp(cmd, "conntrack-show")
               || !strcmp(cmd, "conntrack-flush")) {
        json_t *params = json_object();
        char *end = NULL;

        if (arg != NULL) {
            long z = strtol(arg, &end, 0);

            if (end == arg || *end != '\0' || z < 0 || z > 65535) {
                fprintf(stderr, "snicctl: %s: '%s' is not a zone (expected "
                        "0..65535)\n", cmd, arg);
                json_decref(params);
                ctl_client_close(t.client);
                return 2;
            }
            json_object_set_new(params, "zone", json_integer(z));
        }
        json_t *r = call(&t, cmd, params);
        rc = r == NULL;
        if (r != NULL && t.json)
            print_json(r);
        else if (r != NULL)
            fputs(json_string_value(json_object_get(r, "text")), stdout);
        json_decref(r);
    } else if (!strcmp(cmd, "add-tlv-map") || !strcmp(cmd, "del-tlv-map")) {
        json_t *params = json_object();

        if (arg != NULL)
            json_object_set_new(params, "map", json_string(arg));
        json_t *r = call(&t, cmd, params);
        rc = r == NULL;
        if (r != NULL && t.json)
            print_json(r);
        json_decref(r);
    } else if (!strcmp(cmd, "call")) {
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
