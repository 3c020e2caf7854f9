/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The results as people and programs read them: a table with the two
 * paths side by side (median of the runs, [min-max] when there are
 * several), and JSON carrying every run's value next to the aggregates.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

const char *const bench_path_name[BENCH_N_PATHS] = {
    [BENCH_OFFLOAD] = "offload",
    [BENCH_SOFTWARE] = "software",
};

/* Field accessors, so one aggregation serves every figure. */
typedef double setup_field_fn(const struct bench_setup_res *r);
typedef double fwd_field_fn(const struct bench_fwd_res *r);

static double
s_rate(const struct bench_setup_res *r)
{
    return r->flows_per_sec;
}

static double
s_secs(const struct bench_setup_res *r)
{
    return r->seconds;
}

static double
s_p50(const struct bench_setup_res *r)
{
    return r->p50_ms;
}

static double
s_p90(const struct bench_setup_res *r)
{
    return r->p90_ms;
}

static double
s_p99(const struct bench_setup_res *r)
{
    return r->p99_ms;
}

static double
s_del(const struct bench_setup_res *r)
{
    return r->del_seconds;
}

static double
s_mod(const struct bench_setup_res *r)
{
    return r->mod_seconds;
}

static double
s_mod_rate(const struct bench_setup_res *r)
{
    return r->flows / r->mod_seconds;
}

static double
s_del_rate(const struct bench_setup_res *r)
{
    return r->flows / r->del_seconds;
}

static double
f_mpps(const struct bench_fwd_res *r)
{
    return r->mpps;
}

static double
f_offered(const struct bench_fwd_res *r)
{
    return r->offered_mpps;
}

static double
f_gbps(const struct bench_fwd_res *r)
{
    return r->gbps;
}

static double
f_host(const struct bench_fwd_res *r)
{
    return r->host_cpp;
}

static double
f_card(const struct bench_fwd_res *r)
{
    return r->card_cpp;
}

static double
f_churn(const struct bench_fwd_res *r)
{
    return r->churn_adds_per_sec;
}

static void
agg_setup(const struct bench_results *res, enum bench_path p, unsigned i,
          setup_field_fn *fn, double *v, struct bench_agg *a)
{
    for (unsigned r = 0; r < res->runs; r++)
        v[r] = fn(&res->setup[r][p][i]);
    bench_aggregate(v, res->runs, a);
}

static void
agg_fwd(const struct bench_results *res, enum bench_path p, int i,
        fwd_field_fn *fn, double *v, struct bench_agg *a)
{
    for (unsigned r = 0; r < res->runs; r++)
        v[r] = fn(i < 0 ? &res->churn[r][p] : &res->fwd[r][p][i]);
    bench_aggregate(v, res->runs, a);
}

/* ---- JSON ---- */

static json_t *
num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
agg_json(const double *v, unsigned n, const struct bench_agg *a)
{
    json_t *runs = json_array();

    for (unsigned i = 0; i < n; i++)
        json_array_append_new(runs, num(v[i]));
    return json_pack("{s:o, s:o, s:o, s:o}", "median", num(a->median),
                     "min", num(a->min), "max", num(a->max), "runs", runs);
}

static json_t *
setup_path_json(const struct bench_results *res, enum bench_path p,
                unsigned i)
{
    static const struct { const char *name; setup_field_fn *fn; } f[] = {
        { "flows_per_sec", s_rate }, { "seconds", s_secs },
        { "batch_p50_ms", s_p50 }, { "batch_p90_ms", s_p90 },
        { "batch_p99_ms", s_p99 }, { "delete_seconds", s_del },
        { "delete_flows_per_sec", s_del_rate },
        { "modify_seconds", s_mod }, { "modify_flows_per_sec", s_mod_rate },
    };
    const struct bench_placed *pl = &res->setup[res->runs - 1][p][i].placed;
    json_t *o = json_object();
    double v[BENCH_MAX_RUNS];
    struct bench_agg a;

    for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
        agg_setup(res, p, i, f[k].fn, v, &a);
        json_object_set_new(o, f[k].name, agg_json(v, res->runs, &a));
    }
    json_object_set_new(o, "placed", json_pack("{s:I, s:I, s:I}",
                        "hw", (json_int_t)pl->hw, "partial",
                        (json_int_t)pl->partial, "sw", (json_int_t)pl->sw));
    return o;
}

static json_t *
fwd_path_json(const struct bench_results *res, enum bench_path p, int i)
{
    static const struct { const char *name; fwd_field_fn *fn; } f[] = {
        { "mpps", f_mpps }, { "offered_mpps", f_offered },
        { "gbps", f_gbps }, { "host_cycles_per_packet", f_host },
        { "card_cycles_per_packet", f_card },
    };
    json_t *o = json_object();
    double v[BENCH_MAX_RUNS];
    struct bench_agg a;

    for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
        agg_fwd(res, p, i, f[k].fn, v, &a);
        json_object_set_new(o, f[k].name, agg_json(v, res->runs, &a));
    }
    if (i < 0) {
        agg_fwd(res, p, i, f_churn, v, &a);
        json_object_set_new(o, "churn_flows_per_sec",
                            agg_json(v, res->runs, &a));
    }
    return o;
}

static json_t *
machine_json(const struct bench_results *res)
{
    char model[256] = "unknown", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    struct utsname u;

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':');

        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            snprintf(model, sizeof(model), "%s", colon + 2);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    }
    if (f != NULL)
        fclose(f);
    if (uname(&u) < 0)
        strcpy(u.release, "unknown");
    return json_pack("{s:i, s:s, s:s, s:I, s:b, s:[o, o, o]}", "cpus",
                     (int)sysconf(_SC_NPROCESSORS_ONLN), "cpu_model", model,
                     "kernel", u.release, "tsc_hz", (json_int_t)res->tsc_hz,
                     "hugepages", res->huge, "loadavg_at_start",
                     num(res->loadavg[0]), num(res->loadavg[1]),
                     num(res->loadavg[2]));
}

json_t *
bench_report_json(const struct bench_results *res, const struct bench_opts *o)
{
    json_t *root, *setup = json_array(), *fwd = json_array();

    for (unsigned i = 0; res->runs > 0 && i < o->n_setup; i++) {
        json_t *e = json_pack("{s:i}", "flows", (int)o->setup_flows[i]);

        for (int p = 0; p < BENCH_N_PATHS; p++)
            if (res->has_setup[p])
                json_object_set_new(e, bench_path_name[p],
                                    setup_path_json(res, p, i));
        if (res->has_setup[0] || res->has_setup[1])
            json_array_append_new(setup, e);
        else
            json_decref(e);
    }
    for (unsigned fi = 0; res->runs > 0 && fi < o->n_fwd; fi++)
        for (unsigned si = 0; si < o->n_sizes; si++) {
            json_t *e = json_pack("{s:i, s:i}", "flows",
                                  (int)o->fwd_flows[fi], "size",
                                  (int)o->sizes[si]);

            for (int p = 0; p < BENCH_N_PATHS; p++)
                if (res->has_fwd[p])
                    json_object_set_new(e, bench_path_name[p],
                        fwd_path_json(res, p, (int)(fi * o->n_sizes + si)));
            if (res->has_fwd[0] || res->has_fwd[1])
                json_array_append_new(fwd, e);
            else
                json_decref(e);
        }
    root = json_pack("{s:s, s:i, s:o, s:s, s:s, s:{s:i, s:i, s:i, s:f, "
                     "s:f, s:i, s:s, s:s}, s:o, s:o}",
                     "tool", "snic-bench", "format", 1,
                     "machine", machine_json(res),
                     "card", o->external ? "external" : "emunic",
                     "profile", o->external ? "" : o->profile,
                     "config", "runs", (int)res->runs, "batch",
                     (int)o->batch, "in_flight", (int)o->in_flight,
                     "seconds", o->seconds, "warmup", o->warmup,
                     "workers", (int)o->workers, "in_port", o->in_port,
                     "out_port", o->out_port,
                     "setup", setup, "forwarding", fwd);
    if (root != NULL && res->runs > 0
        && (res->has_churn[0] || res->has_churn[1])) {
        json_t *c = json_pack("{s:i, s:i, s:i}", "rate",
                              (int)o->churn_rate, "flows",
                              (int)o->churn_flows, "size",
                              (int)o->churn_size);

        for (int p = 0; p < BENCH_N_PATHS; p++)
            if (res->has_churn[p])
                json_object_set_new(c, bench_path_name[p],
                                    fwd_path_json(res, p, -1));
        json_object_set_new(root, "churn", c);
    }
    return root;
}

/* ---- the table ---- */

static void
cell(FILE *f, int width, const struct bench_agg *a, unsigned runs,
     int prec)
{
    char buf[96];

    if (a->n == 0)
        snprintf(buf, sizeof(buf), "-");
    else if (runs > 1)
        snprintf(buf, sizeof(buf), "%.*f [%.*f-%.*f]", prec, a->median,
                 prec, a->min, prec, a->max);
    else
        snprintf(buf, sizeof(buf), "%.*f", prec, a->median);
    fprintf(f, " %*s", width, buf);
}

static void
table_setup(FILE *f, const struct bench_results *res,
            const struct bench_opts *o, int w)
{
    double v[BENCH_MAX_RUNS];
    struct bench_agg a;

    fprintf(f, "\nFlow setup: add-flows in batches of %u (%u in flight), "
            "first request to all placed; then one mod-flows of all (their "
            "actions), one del-flows of all\n", o->batch, o->in_flight);
    fprintf(f, "%8s %-9s %*s %*s %*s %*s %*s %*s %10s\n", "flows", "path",
            w, "add flows/s", w, "batch p50 ms", w, "p90 ms", w, "p99 ms", w,
            "modify flows/s", w, "delete flows/s", "placed");
    for (unsigned i = 0; i < o->n_setup; i++)
        for (int p = 0; p < BENCH_N_PATHS; p++) {
            const struct bench_placed *pl;

            if (!res->has_setup[p])
                continue;
            pl = &res->setup[res->runs - 1][p][i].placed;
            fprintf(f, "%8u %-9s", o->setup_flows[i], bench_path_name[p]);
            agg_setup(res, p, i, s_rate, v, &a);
            cell(f, w, &a, res->runs, 0);
            agg_setup(res, p, i, s_p50, v, &a);
            cell(f, w, &a, res->runs, 2);
            agg_setup(res, p, i, s_p90, v, &a);
            cell(f, w, &a, res->runs, 2);
            agg_setup(res, p, i, s_p99, v, &a);
            cell(f, w, &a, res->runs, 2);
            agg_setup(res, p, i, s_mod_rate, v, &a);
            cell(f, w, &a, res->runs, 0);
            agg_setup(res, p, i, s_del_rate, v, &a);
            cell(f, w, &a, res->runs, 0);
            fprintf(f, " %6llu %s\n", (unsigned long long)(p == BENCH_OFFLOAD
                    ? pl->hw : pl->sw), p == BENCH_OFFLOAD ? "hw" : "sw");
        }
}

/* Index of the setup size @flows, or -1. */
static int
setup_index(const struct bench_opts *o, uint32_t flows)
{
    for (unsigned i = 0; i < o->n_setup; i++)
        if (o->setup_flows[i] == flows)
            return (int)i;
    return -1;
}

/* One figure against its target (issue 13): reached, or by how much
 * not. @higher: the figure must be at least the target, else at most. */
static void
target_line(FILE *f, const char *what, double got, double target,
            bool higher, const char *unit)
{
    bool ok = higher ? got >= target : got <= target;

    if (!isfinite(got))
        fprintf(f, "  %-44s not measured\n", what);
    else if (ok)
        fprintf(f, "  %-44s %.2f %s: target %.2f reached\n", what, got, unit,
                target);
    else if (higher)
        fprintf(f, "  %-44s %.2f %s: target %.2f NOT reached, %.1fx short "
                "(%.0f%% of it)\n", what, got, unit, target, target / got,
                100.0 * got / target);
    else
        fprintf(f, "  %-44s %.2f %s: target %.2f NOT reached, %.1fx over\n",
                what, got, unit, target, got / target);
}

static void
table_targets(FILE *f, const struct bench_results *res,
              const struct bench_opts *o)
{
    int i10k = setup_index(o, 10000), i1m = setup_index(o, 1000000);
    double v[BENCH_MAX_RUNS];
    struct bench_agg a, b;
    char what[96];
    bool any = false;

    for (unsigned i = 0; i < o->n_setup; i++)
        any |= o->setup_flows[i] >= 100000;
    if (!any)
        return;
    fprintf(f, "\nTargets (issue 13; medians):\n");
    for (unsigned i = 0; i < o->n_setup; i++) {
        if (o->setup_flows[i] < 100000)
            continue;
        for (int p = 0; p < BENCH_N_PATHS; p++) {
            if (!res->has_setup[p])
                continue;
            agg_setup(res, p, i, s_rate, v, &a);
            snprintf(what, sizeof(what), "%s setup, %u flows",
                     bench_path_name[p], o->setup_flows[i]);
            target_line(f, what, a.median, BENCH_TARGET_SETUP_RATE, true,
                        "flows/s");
        }
    }
    if (i1m >= 0 && res->has_setup[BENCH_OFFLOAD]) {
        agg_setup(res, BENCH_OFFLOAD, (unsigned)i1m, s_del, v, &a);
        target_line(f, "offload delete all, 1000000 flows", a.median,
                    BENCH_TARGET_DELETE_1M_S, false, "s");
    }
    if (i1m >= 0 && i10k >= 0)
        for (int p = 0; p < BENCH_N_PATHS; p++) {
            if (!res->has_setup[p])
                continue;
            agg_setup(res, p, (unsigned)i1m, s_p50, v, &a);
            agg_setup(res, p, (unsigned)i10k, s_p50, v, &b);
            snprintf(what, sizeof(what), "%s batch p50 at 1M / at 10k",
                     bench_path_name[p]);
            target_line(f, what, a.median / b.median,
                        BENCH_TARGET_P50_RATIO, false, "x");
        }
}

static void
fwd_row(FILE *f, const struct bench_results *res, int i, int w)
{
    double v[BENCH_MAX_RUNS];
    struct bench_agg a;
    static fwd_field_fn *const cols[] = { f_mpps, f_host, f_card };
    static const int prec[] = { 3, 0, 0 };

    for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
        for (int p = 0; p < BENCH_N_PATHS; p++) {
            struct bench_agg none = { .n = 0 };

            if (!(i < 0 ? res->has_churn[p] : res->has_fwd[p])) {
                cell(f, w, &none, res->runs, 0);
                continue;
            }
            agg_fwd(res, p, i, cols[k], v, &a);
            cell(f, w, &a, res->runs, prec[k]);
        }
    fprintf(f, "\n");
}

static void
fwd_header(FILE *f, int w)
{
    fprintf(f, "%8s %5s %*s %*s %*s %*s %*s %*s\n", "", "", w,
            "Mpps", w, "", w, "host cyc/pkt", w, "", w, "card cyc/pkt", w,
            "");
    fprintf(f, "%8s %5s %*s %*s %*s %*s %*s %*s\n", "flows", "bytes", w,
            "offload", w, "software", w, "offload", w, "software", w,
            "offload", w, "software");
}

void
bench_report_table(FILE *f, const struct bench_results *res,
                   const struct bench_opts *o)
{
    int w = res->runs > 1 ? 22 : 12;

    fprintf(f, "snic-bench: %s%s%s, %ld CPUs, TSC %.2f GHz, %s, load %.2f, "
            "%u run%s%s\n",
            o->external ? "external card" : "emunic (profile ",
            o->external ? "" : o->profile, o->external ? "" : ")",
            sysconf(_SC_NPROCESSORS_ONLN), (double)res->tsc_hz / 1e9,
            res->huge ? "hugepages" : "no hugepages", res->loadavg[0],
            res->runs,
            res->runs == 1 ? "" : "s",
            res->runs > 1 ? ": median [min-max]" : "");
    if (res->runs == 0)
        return;
    if (res->has_setup[0] || res->has_setup[1]) {
        table_setup(f, res, o, w);
        table_targets(f, res, o);
    }
    if (res->has_fwd[0] || res->has_fwd[1]) {
        fprintf(f, "\nForwarding: %s -> %s, %.1f s per point; host = snicd, "
                "card = emunic\n", o->in_port, o->out_port, o->seconds);
        fwd_header(f, w);
        for (unsigned fi = 0; fi < o->n_fwd; fi++)
            for (unsigned si = 0; si < o->n_sizes; si++) {
                fprintf(f, "%8u %5u", o->fwd_flows[fi], o->sizes[si]);
                fwd_row(f, res, (int)(fi * o->n_sizes + si), w);
            }
    }
    if (res->has_churn[0] || res->has_churn[1]) {
        double v[BENCH_MAX_RUNS];
        struct bench_agg a;

        fprintf(f, "\nChurn: %u flows added and %u removed per second "
                "while forwarding\n", o->churn_rate, o->churn_rate);
        fwd_header(f, w);
        fprintf(f, "%8u %5u", o->churn_flows, o->churn_size);
        fwd_row(f, res, -1, w);
        for (int p = 0; p < BENCH_N_PATHS; p++) {
            if (!res->has_churn[p])
                continue;
            agg_fwd(res, p, -1, f_churn, v, &a);
            fprintf(f, "%14s churn achieved (%s):", "", bench_path_name[p]);
            cell(f, 0, &a, res->runs, 0);
            fprintf(f, " flows/s\n");
        }
    }
}
