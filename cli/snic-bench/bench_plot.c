/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The chart: gnuplot, fed data files and a script written into the run
 * dir. Panels: forwarding Mpps and host cycles per packet for every
 * (flows, size) point, flow setup rate per flow count, and forwarding
 * under churn; offload and software bars side by side, error bars from
 * the runs' min and max. PNG through pngcairo when this gnuplot has it,
 * else its libgd png; SVG when the file name asks for it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench.h"

typedef double pick_fn(const struct bench_results *res, unsigned run,
                       enum bench_path p, int i);

static double
pick_mpps(const struct bench_results *res, unsigned run, enum bench_path p,
          int i)
{
    return i < 0 ? res->churn[run][p].mpps : res->fwd[run][p][i].mpps;
}

/* log scale: a path that costs the host nothing is drawn at 1 */
static double
pick_host(const struct bench_results *res, unsigned run, enum bench_path p,
          int i)
{
    double v = res->fwd[run][p][i].host_cpp;

    return isnan(v) ? v : v < 1 ? 1 : v;
}

static double
pick_setup(const struct bench_results *res, unsigned run, enum bench_path p,
           int i)
{
    return res->setup[run][p][i].flows_per_sec;
}

/* One row: label, then median min max for each path ("NaN" if absent). */
static void
row(FILE *f, const char *label, const struct bench_results *res,
    const bool *has, pick_fn *fn, int i)
{
    fprintf(f, "\"%s\"", label);
    for (int p = 0; p < BENCH_N_PATHS; p++) {
        double v[BENCH_MAX_RUNS];
        struct bench_agg a = { .n = 0 };

        if (has[p]) {
            for (unsigned r = 0; r < res->runs; r++)
                v[r] = fn(res, r, p, i);
            bench_aggregate(v, res->runs, &a);
        }
        if (a.n == 0)
            fprintf(f, " NaN NaN NaN");
        else
            fprintf(f, " %g %g %g", a.median, a.min, a.max);
    }
    fprintf(f, "\n");
}

static int
write_data(const char *path, const struct bench_results *res,
           const struct bench_opts *o, int which)
{
    FILE *f = fopen(path, "w");
    char label[64];

    if (f == NULL)
        return -errno;
    if (which == 0 || which == 1) {
        for (unsigned fi = 0; fi < o->n_fwd; fi++)
            for (unsigned si = 0; si < o->n_sizes; si++) {
                snprintf(label, sizeof(label), "%u fl / %u B",
                         o->fwd_flows[fi], o->sizes[si]);
                row(f, label, res, res->has_fwd,
                    which == 0 ? pick_mpps : pick_host,
                    (int)(fi * o->n_sizes + si));
            }
    } else if (which == 2) {
        for (unsigned i = 0; i < o->n_setup; i++) {
            snprintf(label, sizeof(label), "%u flows", o->setup_flows[i]);
            row(f, label, res, res->has_setup, pick_setup, (int)i);
        }
    } else {
        int i = -1;

        /* the same point without churn, when it was measured */
        for (unsigned fi = 0; fi < o->n_fwd; fi++)
            for (unsigned si = 0; si < o->n_sizes; si++)
                if (o->fwd_flows[fi] == o->churn_flows
                    && o->sizes[si] == o->churn_size)
                    i = (int)(fi * o->n_sizes + si);
        if (i >= 0)
            row(f, "no churn", res, res->has_fwd, pick_mpps, i);
        snprintf(label, sizeof(label), "%u flows/s churn", o->churn_rate);
        row(f, label, res, res->has_churn, pick_mpps, -1);
    }
    return fclose(f) == 0 ? 0 : -errno;
}

static const char *
terminal(bool svg)
{
    char line[256];
    FILE *p;
    bool cairo = false;

    if (svg)
        return "svg size 1400,1000 dynamic font 'sans,11'";
    p = popen("gnuplot -e 'set terminal' 2>&1", "r");
    while (p != NULL && fgets(line, sizeof(line), p) != NULL)
        if (strstr(line, "pngcairo") != NULL)
            cairo = true;
    if (p != NULL)
        pclose(p);
    return cairo ? "pngcairo size 1400,1000 font 'sans,10'"
                 : "png size 1400,1000";
}

static void
panel(FILE *g, const char *title, const char *ylabel, const char *data,
      bool logy)
{
    fprintf(g, "set title '%s'\nset ylabel '%s'\n%s\n", title, ylabel,
            logy ? "set logscale y" : "unset logscale y");
    fprintf(g, "plot '%s' using 2:3:4:xtic(1) title 'offload' lc rgb "
            "'#1f77b4', '' using 5:6:7 title 'software' lc rgb '#ff7f0e'\n",
            data);
}

int
bench_plot(const struct bench_results *res, const struct bench_opts *o,
           const char *workdir)
{
    char d[4][300], script[300], cmd[700];
    bool churn = res->has_churn[0] || res->has_churn[1];
    bool fwd = res->has_fwd[0] || res->has_fwd[1];
    bool setup = res->has_setup[0] || res->has_setup[1];
    size_t len = strlen(o->plot_path);
    FILE *g;
    int rc, status;

    if (res->runs == 0)
        return -ENODATA;
    for (int k = 0; k < 4; k++) {
        snprintf(d[k], sizeof(d[k]), "%s/plot%d.dat", workdir, k);
        rc = write_data(d[k], res, o, k);
        if (rc < 0)
            return rc;
    }
    snprintf(script, sizeof(script), "%s/plot.gp", workdir);
    g = fopen(script, "w");
    if (g == NULL)
        return -errno;
    fprintf(g, "set terminal %s\nset output '%s'\n",
            terminal(len > 4 && strcmp(o->plot_path + len - 4, ".svg") == 0),
            o->plot_path);
    fprintf(g, "set style data histograms\n"
            "set style histogram errorbars gap 1 lw 1\n"
            "set style fill solid 0.8 border -1\n"
            "set boxwidth 0.9\nset key top right\nset grid ytics\n"
            "set yrange [0:*]\nset xtics rotate by -30 nomirror\n"
            "set datafile missing 'NaN'\n");
    fprintf(g, "set multiplot layout 2,2 title 'snic-bench: offloaded "
            "(emunic eSwitch) vs software (snicd --no-offload), %s, "
            "median of %u run%s, bars min-max'\n",
            o->external ? "external card" : "emulated card", res->runs,
            res->runs == 1 ? "" : "s");
    if (fwd) {
        panel(g, "Forwarding rate", "Mpps", d[0], false);
        fprintf(g, "set yrange [1:*]\n");
        panel(g, "Host CPU (snicd) per packet", "cycles/packet (log)", d[1],
              true);
        fprintf(g, "set yrange [0:*]\n");
    }
    if (setup)
        panel(g, "Flow setup (request to placed)", "flows/s", d[2], false);
    if (churn)
        panel(g, "Forwarding under flow churn", "Mpps", d[3], false);
    fprintf(g, "unset multiplot\n");
    if (fclose(g) != 0)
        return -errno;
    snprintf(cmd, sizeof(cmd), "gnuplot '%s' 2>'%s/plot.log'", script,
             workdir);
    status = system(cmd);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "snic-bench: gnuplot failed (status %d; is gnuplot "
                "installed? scripts/setup installs gnuplot-nox); script "
                "%s\n", status, script);
        return -EIO;
    }
    return 0;
}
