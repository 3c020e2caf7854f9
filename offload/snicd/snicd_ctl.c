/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-socket methods: what snicctl (cli/snicctl/snicctl.c) sends.
 * Flows arrive as text and are parsed here, so the parser's messages
 * ("flow: at 17 'tp_dst=80': ...") reach the user verbatim. Params are
 * checked strictly (types, unknown members) before anything changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd.h"
#include "snicd_ctl_fmt.h"

/* Every member of @params must be named in @allowed (NULL-terminated). */
static bool
params_known(const json_t *params, const char *const *allowed,
             struct ctl_error *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(params)) {
        ctl_fail(err, CTL_ERR_INVALID_PARAMS, "params must be an object");
        return false;
    }
    json_object_foreach((json_t *)params, key, v) {
        size_t i;

        (void)v;
        for (i = 0; allowed[i] != NULL; i++)
            if (strcmp(key, allowed[i]) == 0)
                break;
        if (allowed[i] == NULL) {
            char list[160] = "";

            for (i = 0; allowed[i] != NULL; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list),
                         "%s%s", i ? ", " : "", allowed[i]);
            ctl_fail(err, CTL_ERR_INVALID_PARAMS, "unknown parameter '%s' "
                     "(expected %s)", key, list[0] ? list : "none");
            return false;
        }
    }
    return true;
}

/* Optional string member: 0 (absent: *out = NULL), or -EINVAL. */
static int
get_string(const json_t *params, const char *name, bool required,
           const char **out, struct ctl_error *err)
{
    const json_t *v = json_object_get(params, name);

    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (!required)
            return 0;
        ctl_fail(err, CTL_ERR_INVALID_PARAMS, "missing parameter '%s' (a "
                 "flow in ovs-ofctl syntax)", name);
        return -EINVAL;
    }
    if (!json_is_string(v)) {
        ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter '%s' must be a "
                 "string", name);
        return -EINVAL;
    }
    *out = json_string_value(v);
    return 0;
}

static int
get_bool(const json_t *params, const char *name, bool *out,
         struct ctl_error *err)
{
    const json_t *v = json_object_get(params, name);

    *out = false;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter '%s' must be true "
                 "or false", name);
        return -EINVAL;
    }
    *out = json_is_true(v);
    return 0;
}

/* Why snicd_core_apply() refused a batch of @n, mod @failed. */
static const char *
refusal(int rc, size_t failed, size_t n)
{
    if (failed == n)
        return "the journal cannot take it";
    return rc == -EEXIST ? "overlaps an existing flow (check_overlap)"
                         : "refused by the flow table";
}

static json_t *
apply_one(struct snicd *d, const char *line, enum flow_cmd cmd,
          const char *what, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    struct flow_error ferr;
    struct flow_mod fm;
    size_t failed = 0;
    int rc = flow_parse(line, cmd, &d->portmap, &fm, &ferr);

    if (rc < 0)
        return ctl_fail(err, CTL_ERR_FAILED, "%s", ferr.msg);
    if (snicd_tlv_fit(d, &fm, ferr.msg, sizeof(ferr.msg)) < 0)
        return ctl_fail(err, CTL_ERR_FAILED, "not %s: %s (nothing changed)",
                        what, ferr.msg);
    rc = snicd_core_apply(d, &fm, 1, &failed);
    if (rc < 0)
        return ctl_fail(err, CTL_ERR_FAILED, "not %s: %s: %s (nothing "
                        "changed)", what, refusal(rc, failed, 1),
                        strerror(-rc));
    return json_pack("{s:i}", what, rc);
}

static json_t *
m_add_flow(void *ctx, const json_t *params, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    static const char *const allowed[] = { "flow", NULL };
    const char *line;

    if (!params_known(params, allowed, err)
        || get_string(params, "flow", true, &line, err) < 0)
        return NULL;
    return apply_one(ctx, line, FLOW_CMD_ADD, "added", err);
}

/* add-flows' buffer of parsed lines up to this many is kept for the next
 * request (a batch of 1,000 takes 1 MB); a larger one is freed after its
 * request, so that one large file does not stay resident */
#define SNICD_MODS_KEEP     4096u

/* Room for @n parsed lines: the kept buffer, or a new one (to give back
 * with mods_put); NULL when out of memory. */
static struct flow_mod *
mods_get(struct snicd *d, size_t n)
{
    struct flow_mod *m;

    if (n <= d->mods_cap)
        return d->mods_buf;
    if (n > SNICD_MODS_KEEP)
        return malloc(n * sizeof(*m));
    m = realloc(d->mods_buf, SNICD_MODS_KEEP * sizeof(*m));
    if (m == NULL)
        return NULL;
    d->mods_buf = m;
    d->mods_cap = SNICD_MODS_KEEP;
    return m;
}

static void
mods_put(struct snicd *d, struct flow_mod *m)
{
    if (m != d->mods_buf)
        free(m);
}

static json_t *
m_add_flows(void *ctx, const json_t *params, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    static const char *const allowed[] = { "flows", "file", "first_line",
                                           "txn", "more", "abort", NULL };
    struct snicd *d = ctx;
    const json_t *flows = json_object_get(params, "flows");
    const json_t *first = json_object_get(params, "first_line");
    const json_t *txn = json_object_get(params, "txn");
    const char *file;
    json_int_t first_line = 1;
    struct flow_mod *mods;
    size_t n = 0, failed = 0, before, fresh;
    uint64_t t0 = snic_now_ns(), ns;
    bool more, abort_it;
    int rc;

    if (!params_known(params, allowed, err)
        || get_string(params, "file", false, &file, err) < 0
        || get_bool(params, "more", &more, err) < 0
        || get_bool(params, "abort", &abort_it, err) < 0)
        return NULL;
    if (!json_is_array(flows))
        return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter 'flows' "
                        "must be an array of flow strings (null for a blank "
                        "line)");
    if (first != NULL && !json_is_null(first)) {
        if (!json_is_integer(first) || json_integer_value(first) < 1)
            return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter "
                            "'first_line' must be a line number >= 1");
        first_line = json_integer_value(first);
    }
    /* Every line of the batch needs a number, and so does the first line
     * of the next chunk when a transaction goes on: first_line + i must
     * not overflow. */
    if ((unsigned long long)(first_line - 1) + json_array_size(flows)
        + (more || abort_it || json_is_integer(txn) ? 1u : 0u)
        > (unsigned long long)LLONG_MAX)
        return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter "
                        "'first_line' %" JSON_INTEGER_FORMAT " is too large "
                        "for %zu lines: line numbers stop at %lld",
                        first_line, json_array_size(flows), LLONG_MAX);
    if (txn != NULL && !json_is_null(txn)
        && (!json_is_integer(txn) || json_integer_value(txn) < 1))
        return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter 'txn' must "
                        "be a transaction id from an earlier reply");
    if (file == NULL)
        file = "flows";
    /* a file in chunks: one transaction over several requests */
    if (more || abort_it || json_is_integer(txn))
        return snicd_txn_add_flows(d, flows, file, first_line,
                                   json_is_integer(txn)
                                   ? json_integer_value(txn) : 0, more,
                                   abort_it, err);
    mods = mods_get(d, json_array_size(flows) + 1);
    if (mods == NULL)
        return ctl_fail(err, CTL_ERR_INTERNAL, "out of memory for %zu flows",
                        json_array_size(flows));
    /* all of it parses, or nothing is applied */
    if (snicd_flow_lines_parse(d, flows, file, first_line, mods, NULL, &n,
                               "nothing of this batch was added", err) < 0) {
        mods_put(d, mods);
        return NULL;
    }
    before = flow_table_count(d->table, FLOW_TABLE_ALL);
    rc = snicd_core_apply(d, mods, n, &failed);
    mods_put(d, mods);
    if (rc < 0 && failed == n)
        return ctl_fail(err, CTL_ERR_FAILED, "%s: %s: %s (nothing of this "
                        "batch was added)", file, refusal(rc, failed, n),
                        strerror(-rc));
    if (rc < 0)
        return ctl_fail(err, CTL_ERR_FAILED, "%s: flow %zu of the batch: "
                        "%s: %s (nothing of this batch was added)", file,
                        failed + 1, refusal(rc, failed, n), strerror(-rc));
    ns = snic_now_ns() - t0;
    d->last_batch.flows = n;
    d->last_batch.ns = ns ? ns : 1;
    /* an add replaces a flow of the same match and priority (one in the
     * table, or an earlier line): say how many the table did not have */
    fresh = flow_table_count(d->table, FLOW_TABLE_ALL) - before;
    return json_pack("{s:I, s:I, s:I, s:f, s:f}", "added", (json_int_t)n,
                     "new", (json_int_t)fresh, "replaced",
                     (json_int_t)(n - fresh), "seconds", (double)ns / 1e9,
                     "flows_per_sec",
                     (double)n * 1e9 / (double)d->last_batch.ns);
}

static json_t *
mod_del(struct snicd *d, const json_t *params, bool del,
        struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    static const char *const allowed[] = { "flow", "strict", NULL };
    const char *line;
    bool strict;
    enum flow_cmd cmd;

    if (!params_known(params, allowed, err)
        || get_string(params, "flow", !del, &line, err) < 0
        || get_bool(params, "strict", &strict, err) < 0)
        return NULL;
    if (line == NULL)
        line = "";      /* del-flows without a flow: every flow */
    if (del)
        cmd = strict ? FLOW_CMD_DELETE_STRICT : FLOW_CMD_DELETE;
    else
        cmd = strict ? FLOW_CMD_MODIFY_STRICT : FLOW_CMD_MODIFY;
    return apply_one(d, line, cmd, del ? "deleted" : "modified", err);
}

static json_t *
m_mod_flows(void *ctx, const json_t *params, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    return mod_del(ctx, params, false, err);
}

static json_t *
m_del_flows(void *ctx, const json_t *params, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    return mod_del(ctx, params, true, err);
}

/* ---- dump-flows ---- */

/*
 * A stream (include/snic/ctl.h) written as text: the order (table,
 * priority, id) is fixed when the dump opens, as a list of ids and entry
 * pointers, 16 bytes a flow; each turn formats the next ones from the
 * live table straight into the reply (no JSON object per flow), so a flow
 * deleted meanwhile is left out and one added meanwhile is not listed.
 * While no flow has left the table the pointers are used as they are;
 * after that each id is looked up. Counters are read as each flow is
 * listed: software counters then, hardware ones as read at the open.
 */
struct dump_ref {
    uint64_t id;
    const struct flow_entry *e;     /* valid while removals is unchanged */
};

struct dump_stream {
    struct flow_mod filter;
    bool filtered;
    struct dump_ref *refs;
    size_t n, pos;
    uint64_t removals;              /* the table's, at the open */
    uint64_t now;
    bool port_numbers;              /* ports as numbers, not names */
    bool no_stats;                  /* the flow alone: no counters, age */
    char buf[FLOW_FORMAT_MAX];
};

/* Flows looked at per turn, listed or not, so that a filter that matches
 * little does not make one turn long. */
#define DUMP_LOOK_MAX   65536u

#define PUT_LIT(o, lit) ctl_stream_put((o), (lit), sizeof(lit) - 1)

static const char *
where_name(enum snicd_where w)
{
    switch (w) {
    case SNICD_WHERE_HW:
        return "hw";
    case SNICD_WHERE_PARTIAL:
        return "partial";
    default:
        return "sw";
    }
}

static bool
filter_accepts(const struct flow_mod *fm, const struct flow_entry *e)
{
    const struct flow *f = &fm->flow;

    if (f->table_id != FLOW_TABLE_ALL && f->table_id != e->flow.table_id)
        return false;
    if ((e->flow.cookie & fm->cookie_mask) != (f->cookie & fm->cookie_mask))
        return false;
    /* the filter is parsed, so normalised */
    if (!flow_entry_covered_by(e, &f->match))
        return false;
    if (fm->out_port != FLOW_PORT_ANY) {
        for (unsigned i = 0; i < e->flow.n_actions; i++)
            if (e->flow.actions[i].type == FLOW_ACT_OUTPUT
                && e->flow.actions[i].u.port == fm->out_port)
                return true;
        return false;
    }
    return true;
}

static int
dump_collect(void *ctx, const struct flow_entry *e)
{
    struct dump_stream *ds = ctx;

    ds->refs[ds->n++] = (struct dump_ref){ e->id, e };
    return 0;
}

/* One flow as {"text","offload","reason","id","table","priority",
 * "n_packets","n_bytes","cookie"}. */
static void
dump_entry(struct snicd *d, struct dump_stream *ds, const struct flow_entry *e,
           struct ctl_stream_out *o)
{
    static const char hex[] = "0123456789abcdef";
    const struct flow_port_map *ports = ds->port_numbers ? NULL
                                                         : &d->portmap;
    const char *reason = "";
    uint64_t p, b, v;
    char cookie[16];
    size_t i = sizeof(cookie);
    enum snicd_where w;

    w = snicd_core_where(d, e->id, &reason);
    snicd_core_flow_counts(d, e, &p, &b);
    if (ds->no_stats) {
        struct flow f;

        flow_entry_flow(e, &f);
        flow_format(&f, ports, ds->buf, sizeof(ds->buf));
    } else {
        flow_entry_format_counts(e, p, b, ds->now, ports, ds->buf,
                                 sizeof(ds->buf));
    }
    ctl_stream_item(o);
    PUT_LIT(o, "{\"text\":");
    ctl_stream_put_str(o, ds->buf);
    PUT_LIT(o, ",\"offload\":\"");
    ctl_stream_put(o, where_name(w), strlen(where_name(w)));
    PUT_LIT(o, "\",\"reason\":");
    ctl_stream_put_str(o, reason ? reason : "");
    PUT_LIT(o, ",\"id\":");
    ctl_stream_put_u64(o, e->id);
    PUT_LIT(o, ",\"table\":");
    ctl_stream_put_u64(o, e->flow.table_id);
    PUT_LIT(o, ",\"priority\":");
    ctl_stream_put_u64(o, e->flow.priority);
    PUT_LIT(o, ",\"n_packets\":");
    ctl_stream_put_u64(o, p);
    PUT_LIT(o, ",\"n_bytes\":");
    ctl_stream_put_u64(o, b);
    PUT_LIT(o, ",\"cookie\":\"0x");
    v = e->flow.cookie;
    do {
        cookie[--i] = hex[v & 15];
        v >>= 4;
    } while (v != 0);
    ctl_stream_put(o, cookie + i, sizeof(cookie) - i);
    PUT_LIT(o, "\"}");
}

static void
dump_close(void *ctx, void *state)
{
    struct dump_stream *ds = state;

    (void)ctx;
    if (ds != NULL)
        free(ds->refs);
    free(ds);
}

static json_t *
dump_open(void *ctx, const json_t *params, void **state,
          struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    static const char *const allowed[] = { "filter", "port_numbers",
                                           "no_stats", NULL };
    struct snicd *d = ctx;
    struct dump_stream *ds;
    const char *filter;
    bool port_numbers, no_stats;
    int rc;

    if (!params_known(params, allowed, err)
        || get_string(params, "filter", false, &filter, err) < 0
        || get_bool(params, "port_numbers", &port_numbers, err) < 0
        || get_bool(params, "no_stats", &no_stats, err) < 0)
        return NULL;
    ds = calloc(1, sizeof(*ds));
    if (ds == NULL)
        return ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
    ds->port_numbers = port_numbers;
    ds->no_stats = no_stats;
    if (filter != NULL) {
        struct flow_error ferr;

        if (flow_parse(filter, FLOW_CMD_DELETE, &d->portmap, &ds->filter,
                       &ferr) < 0
            || snicd_tlv_fit(d, &ds->filter, ferr.msg,
                             sizeof(ferr.msg)) < 0) {
            dump_close(d, ds);
            return ctl_fail(err, CTL_ERR_FAILED, "%s", ferr.msg);
        }
        ds->filtered = true;
    }
    ds->refs = malloc((flow_table_count(d->table, FLOW_TABLE_ALL) + 1)
                      * sizeof(*ds->refs));
    if (ds->refs == NULL) {
        dump_close(d, ds);
        return ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
    }
    /* hardware counters as of now, not as of the last periodic read */
    snicd_core_read_hw(d);
    ds->now = snic_now_ns();
    ds->removals = flow_table_removals(d->table);
    rc = flow_table_walk(d->table, FLOW_TABLE_ALL, dump_collect, ds);
    if (rc < 0) {
        dump_close(d, ds);
        return ctl_fail(err, CTL_ERR_INTERNAL, "dump-flows: %s",
                        strerror(-rc));
    }
    *state = ds;
    return json_object();
}

static int
dump_write(void *ctx, void *state, struct ctl_stream_out *o,
           size_t max_bytes)
{
    struct snicd *d = ctx;
    struct dump_stream *ds = state;
    bool intact = flow_table_removals(d->table) == ds->removals;
    size_t looked = 0, start = ctl_stream_written(o);

    while (ds->pos < ds->n && ctl_stream_written(o) - start < max_bytes
           && looked < DUMP_LOOK_MAX) {
        const struct dump_ref *r = &ds->refs[ds->pos++];
        const struct flow_entry *e = intact ? r->e
                                            : flow_table_find(d->table, r->id);

        looked++;
        if (e == NULL || (ds->filtered && !filter_accepts(&ds->filter, e)))
            continue;
        dump_entry(d, ds, e, o);
    }
    return ds->pos < ds->n;
}

/* ---- show, capabilities, stats ---- */

static json_t *
m_show(void *ctx, const json_t *params, struct ctl_error *err)
{
    static const char *const allowed[] = { NULL };

    if (!params_known(params, allowed, err))
        return NULL;
    return snicd_ctl_show(ctx);
}

static json_t *
m_capabilities(void *ctx, const json_t *params, struct ctl_error *err)
{
    static const char *const allowed[] = { NULL };

    if (!params_known(params, allowed, err))
        return NULL;
    return snicd_ctl_capabilities(ctx);
}

static json_t *
m_stats(void *ctx, const json_t *params, struct ctl_error *err)
{
    static const char *const allowed[] = { NULL };

    if (!params_known(params, allowed, err))
        return NULL;
    return snicd_ctl_stats(ctx);
}

static json_t *
m_fdb_show(void *ctx, const json_t *params, struct ctl_error *err)
{
    static const char *const allowed[] = { NULL };

    if (!params_known(params, allowed, err))
        return NULL;
    return snicd_ctl_fdb_show(ctx);
}

static json_t *
m_fdb_flush(void *ctx, const json_t *params, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    static const char *const allowed[] = { "port", NULL };
    const json_t *v;

    if (!params_known(params, allowed, err))
        return NULL;
    v = json_object_get(params, "port");
    if (v != NULL && !json_is_null(v) && !json_is_string(v))
        return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter 'port' must "
                        "be a port name");
    return snicd_ctl_fdb_flush(ctx, v != NULL && json_is_string(v)
                                    ? json_string_value(v) : NULL, err);
}

/* "zone": a number 0..65535, or absent (every zone): -1. */
static bool
zone_param(const json_t *params, int *zone, struct ctl_error *err)
{
    const json_t *v = json_object_get(params, "zone");

    *zone = -1;
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0
        || json_integer_value(v) > 65535) {
        ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter 'zone' must be a "
                 "zone number 0..65535");
        return false;
    }
    *zone = (int)json_integer_value(v);
    return true;
}

static json_t *
m_conntrack_show(void *ctx, const json_t *params, struct ctl_error *err)
{
    static const char *const allowed[] = { "zone", NULL };
    int zone;

    if (!params_known(params, allowed, err) || !zone_param(params, &zone, err))
        return NULL;
    return snicd_ctl_conntrack_show(ctx, zone);
}

static json_t *
m_conntrack_flush(void *ctx, const json_t *params, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    static const char *const allowed[] = { "zone", NULL };
    int zone;

    if (!params_known(params, allowed, err) || !zone_param(params, &zone, err))
        return NULL;
    return snicd_ctl_conntrack_flush(ctx, zone);
}

static json_t *
m_add_tlv_map(void *ctx, const json_t *params, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    static const char *const allowed[] = { "map", NULL };
    const json_t *v = json_object_get(params, "map");
    char msg[200];

    if (!params_known(params, allowed, err))
        return NULL;
    if (!json_is_string(v))
        return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter 'map' must "
                        "be a string: {class=CLASS,type=TYPE,len=LEN}->"
                        "tun_metadataN[,...]");
    if (snicd_tlv_add(ctx, json_string_value(v), msg, sizeof(msg)) < 0)
        return ctl_fail(err, CTL_ERR_FAILED, "add-tlv-map: %s (nothing "
                        "changed)", msg);
    return snicd_tlv_dump(ctx);
}

static json_t *
m_del_tlv_map(void *ctx, const json_t *params, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    static const char *const allowed[] = { "map", NULL };
    const json_t *v = json_object_get(params, "map");
    char msg[200];

    if (!params_known(params, allowed, err))
        return NULL;
    if (v != NULL && !json_is_null(v) && !json_is_string(v))
        return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "parameter 'map' must "
                        "be a string (or absent: every mapping)");
    if (snicd_tlv_del(ctx, json_is_string(v) ? json_string_value(v) : NULL,
                      msg, sizeof(msg)) < 0)
        return ctl_fail(err, CTL_ERR_FAILED, "del-tlv-map: %s (nothing "
                        "changed)", msg);
    return snicd_tlv_dump(ctx);
}

static json_t *
m_dump_tlv_map(void *ctx, const json_t *params, struct ctl_error *err)
{
    static const char *const allowed[] = { NULL };

    if (!params_known(params, allowed, err))
        return NULL;
    return snicd_tlv_dump(ctx);
}

static json_t *
m_controller_show(void *ctx, const json_t *params, struct ctl_error *err)
{
    static const char *const allowed[] = { NULL };

    if (!params_known(params, allowed, err))
        return NULL;
    return snicd_ctl_controller_show(ctx);
}

const struct ctl_method snicd_ctl_methods[] = {
    { "add-flow", m_add_flow, "add-flow {flow}: add or replace one flow" },
    { "add-flows", m_add_flows, "add-flows {flows:[...], file, first_line, "
      "txn?, more?, abort?}: add a batch, all or nothing (a line that does "
      "not parse, a flow the table refuses, a journal that cannot take it); "
      "with more: true the batch goes on in the next request with the txn "
      "of the reply, and is applied with the last one" },
    { "mod-flows", m_mod_flows, "mod-flows {flow, strict}: change the "
      "actions of matching flows" },
    { "del-flows", m_del_flows, "del-flows {flow?, strict}: delete matching "
      "flows (all without flow)" },
    { "show", m_show, "show: ports, representor mapping, link state" },
    { "capabilities", m_capabilities, "capabilities: what the offload "
      "manager found on the device" },
    { "stats", m_stats, "stats: flows by place, insertion rate, datapath "
      "counters" },
    { "fdb-show", m_fdb_show, "fdb-show: NORMAL's learned MAC addresses "
      "(port, VLAN, MAC, age in seconds)" },
    { "conntrack-show", m_conntrack_show, "conntrack-show {zone?}: the "
      "connection tracker's entries (of one zone), as Open vSwitch's "
      "dpctl/dump-conntrack, and its counters" },
    { "conntrack-flush", m_conntrack_flush, "conntrack-flush {zone?}: "
      "forget the tracked connections (of one zone)" },
    { "controller-show", m_controller_show, "controller-show: packets sent "
      "to CONTROLLER: how many, and the last ones (in_port, length, the "
      "first bytes)" },
    { "fdb-flush", m_fdb_flush, "fdb-flush {port?}: forget the learned MAC "
      "addresses (of one port)" },
    { "add-tlv-map", m_add_tlv_map, "add-tlv-map {map}: map tun_metadata "
      "fields, as ovs-ofctl add-tlv-map ({class=0xffff,type=0,len=4}->"
      "tun_metadata0,...): all or nothing" },
    { "del-tlv-map", m_del_tlv_map, "del-tlv-map {map?}: unmap them (all "
      "without map); refused while a flow uses one" },
    { "dump-tlv-map", m_dump_tlv_map, "dump-tlv-map: the tun_metadata "
      "mappings (index, class, type, len) and the bytes they take" },
};
const size_t snicd_ctl_n_methods =
    sizeof(snicd_ctl_methods) / sizeof(snicd_ctl_methods[0]);

const struct ctl_stream_method snicd_ctl_streams[] = {
    { "dump-flows", "dump-flows {filter?, port_numbers?, no_stats?}: "
      "flows, counters, and where each lives (hw, partial, sw) and why", "flows", dump_open, NULL,
      dump_close, dump_write },
};
const size_t snicd_ctl_n_streams =
    sizeof(snicd_ctl_streams) / sizeof(snicd_ctl_streams[0]);
