/* SPDX-License-Identifier: BSD-3-Clause */
/* Control methods without a device: parameter validation, all-or-nothing
 * batches, the parser's messages verbatim, dump-flows, the journal. No EAL,
 * no offload manager (as with --no-offload). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "snicd.h"

static struct snicd d;
static char jpath[64];

static void
setup(void)
{
    snic_role_enter(&snic_control);
    memset(&d, 0, sizeof(d));
    cr_assert_eq(snicd_ports_add_ethdev(&d.ports, 0, true, -1), 0);
    cr_assert_eq(snicd_ports_add_ethdev(&d.ports, 1, false, 0), 0);
    cr_assert_eq(snicd_ports_add_ethdev(&d.ports, 2, false, 1), 0);
    cr_assert_eq(snicd_core_init(&d), 0);
    jpath[0] = '\0';
}

static void
teardown(void)
{
    snic_role_enter(&snic_control);    /* the test plays snicd's loop */
    snicd_txn_fini(&d);
    snicd_core_fini(&d);
    if (jpath[0])
        unlink(jpath);
}

TestSuite(ctl, .init = setup, .fini = teardown);

static json_t *
call(const char *method, const char *params_json, struct ctl_error *err)
{
    json_t *params = json_loads(params_json, 0, NULL);
    json_t *r = NULL;

    cr_assert_not_null(params, "bad test JSON %s", params_json);
    memset(err, 0, sizeof(*err));
    for (size_t i = 0; i < snicd_ctl_n_methods; i++)
        if (strcmp(snicd_ctl_methods[i].name, method) == 0)
            r = snicd_ctl_methods[i].fn(&d, params, err);
    /* a stream method: its whole list, as the server would send it */
    for (size_t i = 0; i < snicd_ctl_n_streams; i++) {
        const struct ctl_stream_method *m = &snicd_ctl_streams[i];
        json_t *items;
        void *state = NULL;
        int more = 1;

        if (strcmp(m->name, method) != 0)
            continue;
        r = m->open(&d, params, &state, err);
        if (r == NULL)
            break;
        if (m->write != NULL) {
            /* a text stream: a few bytes a turn, the list parsed whole */
            struct ctl_stream_out *o = ctl_stream_out_new();
            json_error_t jerr;
            const char *text;
            char *list;
            size_t size;

            cr_assert_not_null(o);
            while (more > 0)
                more = m->write(&d, state, o, 1);
            m->close(&d, state);
            cr_assert_eq(more, 0, "%s: %d", method, more);
            text = ctl_stream_out_text(o, &size);
            cr_assert_not_null(text);
            cr_assert_gt(asprintf(&list, "[%s]", text), 0);
            items = json_loads(list, 0, &jerr);
            cr_assert_not_null(items, "%s: not JSON (%s): %s", method,
                               jerr.text, list);
            free(list);
            ctl_stream_out_free(o);
        } else {
            items = json_array();
            while (more > 0)
                more = m->next(&d, state, items, 3);
            m->close(&d, state);
            cr_assert_eq(more, 0, "%s: %d", method, more);
        }
        json_object_set_new(r, m->list, items);
    }
    json_decref(params);
    return r;
}

static void
expect_error(const char *method, const char *params, int code,
             const char *needle)
{
    struct ctl_error err;
    json_t *r = call(method, params, &err);

    cr_expect_null(r, "%s %s should fail", method, params);
    json_decref(r);
    cr_expect_eq(err.code, code, "%s %s: code %d (%s)", method, params,
                 err.code, err.message);
    cr_expect(strstr(err.message, needle) != NULL, "%s %s: '%s' lacks '%s'",
              method, params, err.message, needle);
}

Test(ctl, params_are_validated)
{
    expect_error("add-flow", "{}", CTL_ERR_INVALID_PARAMS, "missing "
                 "parameter 'flow'");
    expect_error("add-flow", "{\"flow\": 5}", CTL_ERR_INVALID_PARAMS,
                 "'flow' must be a string");
    expect_error("add-flow", "{\"flow\": \"actions=drop\", \"x\": 1}",
                 CTL_ERR_INVALID_PARAMS, "unknown parameter 'x'");
    expect_error("add-flow", "[1]", CTL_ERR_INVALID_PARAMS, "object");
    expect_error("add-flows", "{\"flows\": \"a\"}", CTL_ERR_INVALID_PARAMS,
                 "'flows' must be an array");
    expect_error("add-flows", "{\"flows\": [\"actions=drop\", 7], \"file\": "
                 "\"f\", \"first_line\": 10}", CTL_ERR_INVALID_PARAMS,
                 "f:11: not a string");
    expect_error("add-flows", "{\"flows\": [], \"first_line\": 0}",
                 CTL_ERR_INVALID_PARAMS, "first_line");
    expect_error("add-flows", "{\"flows\": [], \"file\": 3}",
                 CTL_ERR_INVALID_PARAMS, "'file' must be a string");
    expect_error("mod-flows", "{\"strict\": true}", CTL_ERR_INVALID_PARAMS,
                 "missing parameter 'flow'");
    expect_error("del-flows", "{\"strict\": 1}", CTL_ERR_INVALID_PARAMS,
                 "'strict' must be true or false");
    expect_error("dump-flows", "{\"filter\": []}", CTL_ERR_INVALID_PARAMS,
                 "'filter' must be a string");
    expect_error("stats", "{\"verbose\": true}", CTL_ERR_INVALID_PARAMS,
                 "unknown parameter 'verbose'");
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 0);
}

Test(ctl, parser_errors_pass_through)
{
    struct flow_mod fm;
    struct flow_error ferr;
    const char *bad = "in_port=vf0,tp_dst=80,actions=output:vf1";

    /* the message the parser itself gives, word for word */
    cr_assert_lt(flow_parse(bad, FLOW_CMD_ADD, &d.portmap, &fm, &ferr), 0);
    expect_error("add-flow", "{\"flow\": \"in_port=vf0,tp_dst=80,"
                 "actions=output:vf1\"}", CTL_ERR_FAILED, ferr.msg);
    expect_error("add-flow", "{\"flow\": \"in_port=vf7,actions=drop\"}",
                 CTL_ERR_FAILED, "vf7");
}

Test(ctl, a_bad_line_leaves_the_batch_unapplied)
{
    struct ctl_error err;
    json_t *r;

    expect_error("add-flows", "{\"flows\": [\"priority=1,actions=drop\", "
                 "null, null, \"priority=2,in_port=vf1,actions=bogus\"], "
                 "\"file\": \"my.flows\", \"first_line\": 20}",
                 CTL_ERR_FAILED, "my.flows:23: flow: at");
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 0);
    r = call("add-flows", "{\"flows\": [\"priority=1,actions=drop\", null, "
             "\"priority=2,in_port=vf1,actions=output:pf\"]}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "added")), 2);
    cr_expect_gt(json_real_value(json_object_get(r, "flows_per_sec")), 0);
    json_decref(r);
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 2);
    cr_expect_eq(d.last_batch.flows, 2);
}

Test(ctl, a_flow_the_table_refuses_leaves_the_batch_unapplied)
{
    struct ctl_error err;

    json_decref(call("add-flow", "{\"flow\": \"priority=9,in_port=vf0,"
                     "actions=drop\"}", &err));
    /* the third overlaps the first flow (check_overlap): the two before
     * it, and the replacement of an existing flow, must not stay */
    expect_error("add-flows", "{\"flows\": [\"priority=1,in_port=vf1,"
                 "actions=drop\", \"priority=9,in_port=vf0,actions=output:vf1"
                 "\", \"priority=9,ip,check_overlap,actions=drop\"], \"file\": "
                 "\"x\"}", CTL_ERR_FAILED, "x: flow 3 of the batch: overlaps "
                 "an existing flow (check_overlap): File exists (nothing of "
                 "this batch was added)");
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 1);
    {
        json_t *r = call("dump-flows", "{}", &err);
        const char *t = json_string_value(json_object_get(json_array_get(
            json_object_get(r, "flows"), 0), "text"));

        cr_expect(t != NULL && strstr(t, "actions=drop") != NULL, "the "
                  "replaced flow is back as it was: %s", t);
        json_decref(r);
    }
}

static size_t n_replayed;

static int
count_replay(void *ctx, bool add, const struct flow *f)
{
    (void)ctx;
    (void)add;
    (void)f;
    n_replayed++;
    return 0;
}

/* The journal cannot take a batch (a full disk; RLIMIT_FSIZE stops the
 * write part-way as ENOSPC does): nothing of it is live, its partial frame
 * is cut off, and the next batch is journaled and replays cleanly. */
Test(ctl, a_batch_the_journal_cannot_take_is_not_applied)
{
    struct rlimit rl = { 0, RLIM_INFINITY };
    struct ctl_error err;
    struct stat st;
    char big[64 * 1024], *p = big;
    json_t *r;

    snprintf(jpath, sizeof(jpath), "/tmp/snicd_ctl_journal.%d", getpid());
    unlink(jpath);
    d.journal = snicd_journal_open(jpath, NULL, NULL, NULL);
    cr_assert_not_null(d.journal);
    r = call("add-flows", "{\"flows\": [\"priority=1,in_port=vf0,"
             "actions=output:vf1\"]}", &err);
    cr_assert_not_null(r, "%s", err.message);
    json_decref(r);
    cr_assert_eq(stat(jpath, &st), 0);
    p += sprintf(p, "{\"file\": \"b\", \"flows\": [");
    for (int i = 0; i < 200; i++)
        p += sprintf(p, "%s\"priority=%d,in_port=vf1,actions=drop\"",
                     i ? ", " : "", 100 + i);
    sprintf(p, "]}");
    signal(SIGXFSZ, SIG_IGN);
    rl.rlim_cur = (rlim_t)st.st_size + 40;    /* not even one flow */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    expect_error("add-flows", big, CTL_ERR_FAILED, "b: the journal cannot "
                 "take it: File too large (nothing of this batch was added)");
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 1);
    expect_error("add-flow", "{\"flow\": \"priority=3,actions=drop\"}",
                 CTL_ERR_FAILED, "not added: the journal cannot take it");
    rl.rlim_cur = RLIM_INFINITY;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    r = call("add-flows", "{\"flows\": [\"priority=2,in_port=vf0,"
             "actions=output:vf1\"]}", &err);
    cr_assert_not_null(r, "%s", err.message);
    json_decref(r);
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 2);
    snicd_journal_close(d.journal);
    d.journal = NULL;
    n_replayed = 0;
    d.journal = snicd_journal_open(jpath, count_replay, NULL, NULL);
    cr_assert_not_null(d.journal, "the journal replays: %s",
                       strerror(errno));
    cr_expect_eq(n_replayed, 2, "the two acknowledged flows (got %zu)",
                 n_replayed);
}

Test(ctl, dump_mod_del)
{
    struct ctl_error err;
    json_t *r, *flows;

    json_decref(call("add-flow", "{\"flow\": \"priority=5,in_port=vf0,"
                     "actions=output:vf1\"}", &err));
    json_decref(call("add-flow", "{\"flow\": \"priority=6,in_port=vf1,ip,"
                     "actions=output:uplink\"}", &err));
    r = call("dump-flows", "{\"filter\": \"in_port=vf1\"}", &err);
    cr_assert_not_null(r, "%s", err.message);
    flows = json_object_get(r, "flows");
    cr_assert_eq(json_array_size(flows), 1);
    {
        json_t *f = json_array_get(flows, 0);
        const char *text = json_string_value(json_object_get(f, "text"));

        cr_expect(strstr(text, "in_port=vf1") && strstr(text,
                  "actions=output:uplink"), "%s", text);
        cr_expect_str_eq(json_string_value(json_object_get(f, "offload")),
                         "sw");
        cr_expect_str_eq(json_string_value(json_object_get(f, "reason")),
                         "offload disabled");
        cr_expect_eq(json_integer_value(json_object_get(f, "priority")), 6);
    }
    json_decref(r);
    r = call("mod-flows", "{\"flow\": \"in_port=vf0,actions=drop\"}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "modified")), 1);
    json_decref(r);
    r = call("del-flows", "{\"flow\": \"priority=5,in_port=vf0\", "
             "\"strict\": true}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "deleted")), 1);
    json_decref(r);
    r = call("del-flows", "{}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "deleted")), 1);
    json_decref(r);
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 0);
}

/* dump-flows is written a turn at a time while the table changes: a flow
 * deleted before its turn is left out (its memory is gone: the sanitizer
 * sees any read of it), one modified is listed as it is then, one added
 * is not listed; each item is whole JSON. */
Test(ctl, a_dump_spread_over_turns_follows_the_live_table)
{
    const struct ctl_stream_method *m = NULL;
    struct ctl_stream_out *o = ctl_stream_out_new();
    struct ctl_error err = { 0 };
    json_t *params = json_object(), *head, *items;
    void *state = NULL;
    const char *text;
    char *list, line[128];
    size_t size;
    int more;

    for (size_t i = 0; i < snicd_ctl_n_streams; i++)
        if (strcmp(snicd_ctl_streams[i].name, "dump-flows") == 0)
            m = &snicd_ctl_streams[i];
    cr_assert(m != NULL && m->write != NULL && o != NULL);
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof(line), "{\"flow\": \"priority=%d,in_port=vf0,"
                 "ip,nw_dst=10.0.0.%d actions=output:vf1\"}", 1000 - i, i);
        json_decref(call("add-flow", line, &err));
    }
    head = m->open(&d, params, &state, &err);
    cr_assert_not_null(head, "%s", err.message);
    /* the first ten flows, then the table changes */
    more = m->write(&d, state, o, 1);
    for (int i = 1; i < 10 && more > 0; i++)
        more = m->write(&d, state, o, 1);
    cr_assert_eq(more, 1);
    json_decref(call("del-flows", "{\"flow\": \"ip,nw_dst=10.0.0.50\"}",
                     &err));
    json_decref(call("del-flows", "{\"flow\": \"ip,nw_dst=10.0.0.3\"}",
                     &err));
    json_decref(call("mod-flows", "{\"flow\": \"ip,nw_dst=10.0.0.60 "
                     "actions=drop\"}", &err));
    json_decref(call("add-flow", "{\"flow\": \"priority=2000,ip,"
                     "nw_dst=10.9.9.9 actions=drop\"}", &err));
    while (more > 0)
        more = m->write(&d, state, o, 1);
    cr_assert_eq(more, 0);
    m->close(&d, state);
    text = ctl_stream_out_text(o, &size);
    cr_assert_not_null(text);
    cr_assert_gt(asprintf(&list, "[%s]", text), 0);
    items = json_loads(list, 0, NULL);
    cr_assert_not_null(items, "not JSON: %s", list);
    /* 100, less .50 deleted before its turn; .3 was listed already */
    cr_expect_eq(json_array_size(items), 99);
    cr_expect(strstr(list, "nw_dst=10.0.0.50 ") == NULL);
    cr_expect(strstr(list, "nw_dst=10.0.0.3 ") != NULL);
    cr_expect(strstr(list, "nw_dst=10.0.0.60 actions=drop") != NULL);
    cr_expect(strstr(list, "10.9.9.9") == NULL);
    free(list);
    json_decref(items);
    json_decref(head);
    json_decref(params);
    ctl_stream_out_free(o);
}

Test(ctl, show_stats_capabilities_have_text)
{
    static const char *const m[] = { "show", "stats", "capabilities" };
    struct ctl_error err;

    for (size_t i = 0; i < 3; i++) {
        json_t *r = call(m[i], "{}", &err);

        cr_assert_not_null(r, "%s: %s", m[i], err.message);
        cr_expect(json_is_string(json_object_get(r, "text")), "%s", m[i]);
        json_decref(r);
    }
    {
        json_t *r = call("show", "{}", &err);
        const char *t = json_string_value(json_object_get(r, "text"));

        cr_expect(strstr(t, "vf1") && strstr(t, "uplink"), "%s", t);
        cr_expect_eq(json_array_size(json_object_get(r, "ports")), 3);
        json_decref(r);
    }
}

Test(ctl, accepted_mods_reach_the_journal)
{
    struct ctl_error err;
    struct snicd_journal *j;
    int n = 0;
    char line[512];
    FILE *f;

    snprintf(jpath, sizeof(jpath), "/tmp/snicd_ctl_journal.%d", getpid());
    unlink(jpath);
    j = snicd_journal_open(jpath, NULL, NULL, NULL);
    cr_assert_not_null(j);
    d.journal = j;
    json_decref(call("add-flows", "{\"flows\": [\"priority=1,in_port=vf0,"
                     "actions=output:vf1\", \"priority=2,actions=drop\"]}",
                     &err));
    json_decref(call("del-flows", "{\"flow\": \"priority=2\", \"strict\": "
                     "true}", &err));
    /* a refused batch leaves no trace */
    cr_expect_null(call("add-flows", "{\"flows\": [\"actions=nope\"]}",
                        &err));
    f = fopen(jpath, "r");
    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f))
        n += line[0] == '+' || line[0] == '-';
    fclose(f);
    cr_expect_eq(n, 3, "2 adds + 1 removal, got %d records", n);
}

/* Line numbers are json_int_t: first_line + i must not overflow (UBSan
 * stopped snicd at first_line 2^63-1 with two lines). The last line may be
 * 2^63-1; a chunk of a transaction needs the next chunk's number too. */
Test(ctl, first_line_near_the_limit)
{
    struct ctl_error err;
    json_t *r;

    expect_error("add-flows", "{\"flows\": [\"priority=3,in_port=vf1,"
                 "actions=drop\", \"garbage\"], \"first_line\": "
                 "9223372036854775807}", CTL_ERR_INVALID_PARAMS,
                 "'first_line' 9223372036854775807 is too large for 2 "
                 "lines");
    expect_error("add-flows", "{\"flows\": [\"priority=3,in_port=vf1,"
                 "actions=drop\"], \"first_line\": 9223372036854775807, "
                 "\"more\": true}", CTL_ERR_INVALID_PARAMS,
                 "is too large for 1 lines");
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 0);
    /* the last line at 2^63-1 is a line number still: its error names it */
    expect_error("add-flows", "{\"flows\": [\"priority=3,in_port=vf1,"
                 "actions=drop\", \"garbage\"], \"first_line\": "
                 "9223372036854775806}", CTL_ERR_FAILED,
                 "flows:9223372036854775807: ");
    r = call("add-flows", "{\"flows\": [\"priority=3,in_port=vf1,"
             "actions=drop\"], \"first_line\": 9223372036854775807}", &err);
    cr_assert_not_null(r, "%s", err.message);
    json_decref(r);
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 1);
}

/* "10000 flows added" for one distinct flow: the reply says how many the
 * table did not have, in one batch and in a transaction of chunks. */
Test(ctl, the_reply_says_how_many_were_new)
{
    struct ctl_error err;
    json_t *r;

    json_decref(call("add-flow", "{\"flow\": \"priority=9,in_port=vf0,"
                     "actions=drop\"}", &err));
    r = call("add-flows", "{\"flows\": [\"priority=9,in_port=vf0,"
             "actions=output:vf1\", \"priority=4,in_port=vf1,actions=drop\", "
             "null, \"priority=4,in_port=vf1,actions=output:pf\"]}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "added")), 3);
    cr_expect_eq(json_integer_value(json_object_get(r, "new")), 1);
    cr_expect_eq(json_integer_value(json_object_get(r, "replaced")), 2);
    json_decref(r);

    r = call("add-flows", "{\"flows\": [\"priority=5,in_port=vf1,"
             "actions=drop\"], \"file\": \"f\", \"more\": true}", &err);
    cr_assert_not_null(r, "%s", err.message);
    json_int_t txn = json_integer_value(json_object_get(r, "txn"));
    json_decref(r);
    char params[256];
    snprintf(params, sizeof(params), "{\"flows\": [\"priority=5,in_port=vf1,"
             "actions=output:pf\", \"priority=9,in_port=vf0,actions=drop\"], "
             "\"file\": \"f\", \"first_line\": 2, \"txn\": %lld}",
             (long long)txn);
    r = call("add-flows", params, &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "added")), 3);
    cr_expect_eq(json_integer_value(json_object_get(r, "new")), 1);
    cr_expect_eq(json_integer_value(json_object_get(r, "replaced")), 2);
    json_decref(r);
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 3);
}

/* The TLV map (snicd_tlv.c): add-tlv-map, del-tlv-map, dump-tlv-map with
 * ovs-ofctl's syntax; every error changes nothing; a flow on an unmapped
 * option or past its mapped length is refused with why; a mapping in use
 * cannot go. */
Test(ctl, tlv_map_and_the_flows_that_use_it)
{
    struct ctl_error err;
    json_t *r, *flows;

    expect_error("add-flow", "{\"flow\": \"actions=load:1->tun_metadata0\"}",
                 CTL_ERR_FAILED, "tun_metadata0 is not mapped (map it first: "
                 "snicctl add-tlv-map");
    r = call("add-tlv-map", "{\"map\": \"{class=0xffff,type=0,len=4}->"
             "tun_metadata0,{class=0xffff,type=1,len=8}->tun_metadata1\"}",
             &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "bytes_used")), 12);
    json_decref(r);
    /* all or nothing: the second entry is mapped already */
    expect_error("add-tlv-map", "{\"map\": \"{class=0xffff,type=5,len=4}->"
                 "tun_metadata5,{class=0xffff,type=6,len=4}->"
                 "tun_metadata1\"}", CTL_ERR_FAILED,
                 "tun_metadata1 is already mapped");
    expect_error("add-tlv-map", "{\"map\": \"{class=0xffff,type=0,len=4}->"
                 "tun_metadata7\"}", CTL_ERR_FAILED, "class 0xffff type 0x0 "
                 "is already mapped");
    expect_error("add-tlv-map", "{\"map\": \"{class=0xffff,type=7,len=6}->"
                 "tun_metadata7\"}", CTL_ERR_FAILED, "len=6");
    json_decref(call("add-tlv-map", "{\"map\": \"{class=0xffff,type=7,"
                     "len=16}->tun_metadata7\"}", &err));
    expect_error("add-tlv-map", "{\"map\": \"{class=0xffff,type=8,len=4}->"
                 "tun_metadata8\"}", CTL_ERR_FAILED, "no room for 4 more "
                 "bytes (snic keeps 28 bytes");
    expect_error("add-tlv-map", "{\"map\": \"tun_metadata7\"}",
                 CTL_ERR_FAILED, "expected {class=CLASS,type=TYPE,len=LEN}");
    expect_error("add-tlv-map", "{}", CTL_ERR_INVALID_PARAMS, "'map'");
    r = call("dump-tlv-map", "{}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_array_size(json_object_get(r, "mappings")), 3);
    cr_expect_eq(json_integer_value(json_object_get(r, "bytes_used")), 28);
    cr_expect(strstr(json_string_value(json_object_get(r, "text")),
                     "0xffff\t0x1\t8\ttun_metadata1") != NULL);
    json_decref(r);
    expect_error("add-flow", "{\"flow\": \"actions=move:tun_metadata0[32..63]"
                 "->reg0[]\"}", CTL_ERR_FAILED, "goes past the option's "
                 "mapped length of 4 bytes");
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 0);
    json_decref(call("add-flow", "{\"flow\": \"priority=7,tun_metadata1="
                     "0xab/0xff,actions=move:tun_metadata0[0..31]->reg0[]\"}",
                     &err));
    cr_assert_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 1, "%s",
                 err.message);
    r = call("dump-flows", "{\"filter\": \"tun_metadata1=0xab/0xff\"}", &err);
    cr_assert_not_null(r, "%s", err.message);
    flows = json_object_get(r, "flows");
    cr_assert_eq(json_array_size(flows), 1);
    cr_expect(strstr(json_string_value(json_object_get(
                     json_array_get(flows, 0), "text")),
                     "tun_metadata1=0xab/0xff actions=move:"
                     "NXM_NX_TUN_METADATA0[0..31]->NXM_NX_REG0[]") != NULL);
    json_decref(r);
    /* in use: it stays */
    expect_error("del-tlv-map", "{\"map\": \"{class=0xffff,type=1,len=8}->"
                 "tun_metadata1\"}", CTL_ERR_FAILED, "tun_metadata1 is used "
                 "by a flow");
    expect_error("del-tlv-map", "{}", CTL_ERR_FAILED, "is used by a flow");
    expect_error("del-tlv-map", "{\"map\": \"{class=0xffff,type=2,len=8}->"
                 "tun_metadata1\"}", CTL_ERR_FAILED, "not mapped as");
    /* a strict delete finds the flow by its text */
    r = call("del-flows", "{\"flow\": \"priority=7,tun_metadata1=0xab/0xff\","
             " \"strict\": true}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "deleted")), 1);
    json_decref(r);
    r = call("del-tlv-map", "{}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "bytes_used")), 0);
    json_decref(r);
}

/* The lines of the journal file that are records ("+ "/"- "), and whether
 * one of them is a removal. */
static size_t
journal_records(bool *removal)
{
    FILE *f = fopen(jpath, "r");
    char line[512];
    size_t n = 0;

    cr_assert_not_null(f);
    *removal = false;
    while (fgets(line, sizeof(line), f) != NULL)
        if ((line[0] == '+' || line[0] == '-') && line[1] == ' ') {
            n++;
            *removal |= line[0] == '-';
        }
    fclose(f);
    return n;
}

static void
add_many(unsigned table, unsigned n)
{
    struct ctl_error err;
    char big[64 * 1024], *p = big;
    json_t *r;

    p += sprintf(p, "{\"flows\": [");
    for (unsigned i = 0; i < n; i++)
        p += sprintf(p, "%s\"table=%u,priority=%u,in_port=vf1,actions=drop\"",
                     i ? ", " : "", table, 100 + i);
    sprintf(p, "]}");
    r = call("add-flows", big, &err);
    cr_assert_not_null(r, "%s", err.message);
    json_decref(r);
}

/* A del-flows of every flow (of every table, or of one) is written as the
 * table after it, not a "-" record per flow: the file then replays to
 * exactly what is left, and a restart after a delete of all comes back
 * empty. */
Test(ctl, a_delete_of_whole_tables_rewrites_the_journal)
{
    struct ctl_error err;
    bool removal;
    json_t *r;

    snprintf(jpath, sizeof(jpath), "/tmp/snicd_ctl_clear.%d", getpid());
    unlink(jpath);
    d.journal = snicd_journal_open(jpath, NULL, NULL, NULL);
    cr_assert_not_null(d.journal);
    add_many(0, 150);
    add_many(4, 50);
    cr_assert_eq(journal_records(&removal), 200);
    r = call("del-flows", "{\"flow\": \"table=4\"}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "deleted")), 50);
    json_decref(r);
    cr_expect_eq(flow_table_count(d.table, 4), 0);
    cr_expect_eq(flow_table_count(d.table, 0), 150);
    cr_expect_eq(dp_cls_count(dp_classifier(d.dp)), 150,
                 "the datapath lost table 4 only");
    cr_expect_eq(journal_records(&removal), 150, "the flows left");
    cr_expect(!removal, "no record per deleted flow");
    snicd_journal_close(d.journal);
    n_replayed = 0;
    d.journal = snicd_journal_open(jpath, count_replay, NULL, NULL);
    cr_assert_not_null(d.journal);
    cr_expect_eq(n_replayed, 150);
    r = call("del-flows", "{}", &err);
    cr_assert_not_null(r, "%s", err.message);
    cr_expect_eq(json_integer_value(json_object_get(r, "deleted")), 150);
    json_decref(r);
    cr_expect_eq(flow_table_count(d.table, FLOW_TABLE_ALL), 0);
    cr_expect_eq(dp_cls_count(dp_classifier(d.dp)), 0);
    cr_expect_eq(journal_records(&removal), 0);
    snicd_journal_close(d.journal);
    n_replayed = 0;
    d.journal = snicd_journal_open(jpath, count_replay, NULL, NULL);
    cr_assert_not_null(d.journal);
    cr_expect_eq(n_replayed, 0, "a restart after a delete of all is empty");
    /* and the journal goes on from there */
    add_many(2, 3);
    snicd_journal_close(d.journal);
    n_replayed = 0;
    d.journal = snicd_journal_open(jpath, count_replay, NULL, NULL);
    cr_assert_not_null(d.journal);
    cr_expect_eq(n_replayed, 3);
}

/* The rewrite cannot be written (a full disk): the delete is not applied,
 * not in the table, not in the datapath, and the file is as it was. */
Test(ctl, a_delete_of_all_the_journal_cannot_take_is_not_applied)
{
    struct rlimit rl = { 0, RLIM_INFINITY };
    struct ctl_error err;
    bool removal;

    snprintf(jpath, sizeof(jpath), "/tmp/snicd_ctl_clear.%d", getpid());
    unlink(jpath);
    d.journal = snicd_journal_open(jpath, NULL, NULL, NULL);
    cr_assert_not_null(d.journal);
    add_many(0, 40);
    add_many(1, 40);
    signal(SIGXFSZ, SIG_IGN);
    rl.rlim_cur = 64;           /* the header and not one flow */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    expect_error("del-flows", "{\"flow\": \"table=1\"}", CTL_ERR_FAILED,
                 "not deleted: the journal cannot take it");
    rl.rlim_cur = RLIM_INFINITY;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    cr_expect_eq(flow_table_count(d.table, 1), 40);
    cr_expect_eq(dp_cls_count(dp_classifier(d.dp)), 80);
    cr_expect_eq(journal_records(&removal), 80);
    json_decref(call("del-flows", "{\"flow\": \"table=1\"}", &err));
    cr_expect_eq(flow_table_count(d.table, 1), 0);
    cr_expect_eq(journal_records(&removal), 40);
}
