/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-bench's order of things: environment, card, traffic ports, then
 * for every run and path a fresh snicd measured through setup, forwarding
 * and churn, and at the end the reports. Whatever happens (an error, a
 * Ctrl-C) everything started is stopped and the machine is left as found.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic/ctl.h"
#include "bench.h"

volatile sig_atomic_t bench_stop;

static struct bench_results results;    /* large: not on the stack */

static void
on_signal(int sig)
{
    (void)sig;
    bench_stop = 1;
}

static void
install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;   /* no SA_RESTART: sleeps end early */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static uint32_t
max_flows(const struct bench_opts *o)
{
    uint32_t m = o->churn_flows;

    for (unsigned i = 0; i < o->n_setup; i++)
        m = o->setup_flows[i] > m ? o->setup_flows[i] : m;
    for (unsigned i = 0; i < o->n_fwd; i++)
        m = o->fwd_flows[i] > m ? o->fwd_flows[i] : m;
    /* the churn blocks alive on top of the forwarding set */
    return m + 4 * 4096;
}

/* Grow the forwarding set from @have to @want flows and wait for it. */
static int
grow_flows(struct ctl_client *c, const struct bench_opts *o,
           enum bench_path path, uint32_t have, uint32_t want)
{
    struct bench_placed p;
    int rc = 0;

    while (have < want && rc == 0 && !bench_stop) {
        uint32_t n = want - have < o->batch ? want - have : o->batch;

        rc = bench_ctl_add(c, o, false, have, n, NULL);
        have += n;
    }
    if (rc < 0)
        return rc;
    rc = bench_ctl_wait_placed(c, path, want, 600, &p);
    if (rc == 0 && path == BENCH_OFFLOAD && p.hw < want)
        fprintf(stderr, "snic-bench: %llu of %u forwarding flows are not in "
                "hardware: the offload figures mix both paths\n",
                (unsigned long long)(want - p.hw), want);
    return rc;
}

static int
run_setup(struct ctl_client *c, const struct bench_opts *o, unsigned run,
          enum bench_path path)
{
    for (unsigned i = 0; i < o->n_setup; i++) {
        struct bench_setup_res *r = &results.setup[run][path][i];
        int rc = bench_setup_run(c, o, path, o->setup_flows[i], r);

        if (rc < 0)
            return rc;
        bench_log(o, "run %u %s: setup %u flows: %.0f flows/s, batch p50 "
                  "%.2f p90 %.2f p99 %.2f ms", run + 1,
                  bench_path_name[path], r->flows, r->flows_per_sec,
                  r->p50_ms, r->p90_ms, r->p99_ms);
    }
    results.has_setup[path] = true;
    return 0;
}

static void
log_fwd(const struct bench_opts *o, unsigned run, enum bench_path path,
        const char *what, const struct bench_fwd_res *r)
{
    bench_log(o, "run %u %s: %s%u flows, %u B: %.3f Mpps (offered %.3f), "
              "host %.0f, card %.0f cycles/packet", run + 1,
              bench_path_name[path], what, r->flows, r->size, r->mpps,
              r->offered_mpps, r->host_cpp, r->card_cpp);
}

static int
run_forwarding(struct ctl_client *c, struct bench_gen *g,
               const struct bench_env *e, const struct bench_opts *o,
               unsigned run, enum bench_path path)
{
    uint32_t have = 0;
    int rc;

    rc = bench_ctl_del(c, NULL);
    for (unsigned fi = 0; fi < o->n_fwd && rc == 0; fi++) {
        rc = grow_flows(c, o, path, have, o->fwd_flows[fi]);
        have = o->fwd_flows[fi];
        for (unsigned si = 0; si < o->n_sizes && rc == 0; si++) {
            struct bench_fwd_res *r =
                &results.fwd[run][path][fi * o->n_sizes + si];

            rc = bench_gen_run(g, e, o->fwd_flows[fi], o->sizes[si], r);
            if (rc == 0)
                log_fwd(o, run, path, "", r);
        }
    }
    if (rc < 0)
        return rc;
    results.has_fwd[path] = true;
    if (o->churn_rate == 0)
        return 0;
    rc = bench_ctl_del(c, NULL);
    if (rc == 0)
        rc = grow_flows(c, o, path, 0, o->churn_flows);
    if (rc == 0)
        rc = bench_churn_run(g, e, o, &results.churn[run][path]);
    if (rc < 0)
        return rc;
    log_fwd(o, run, path, "churn ", &results.churn[run][path]);
    results.has_churn[path] = true;
    return 0;
}

/* One snicd, one path: start, measure, empty the card, stop. */
static int
run_path(struct bench_env *e, struct bench_gen *g,
         const struct bench_opts *o, unsigned run, enum bench_path path)
{
    struct ctl_client *c;
    int rc;

    rc = bench_env_start_snicd(e, o, path);
    if (rc < 0)
        return rc;
    c = bench_ctl_open(e, 5);
    if (c == NULL) {
        rc = -errno;
        goto out_snicd;
    }
    if (!o->skip_setup)
        rc = run_setup(c, o, run, path);
    if (rc == 0 && !o->skip_fwd)
        rc = run_forwarding(c, g, e, o, run, path);
    /* no rule may outlive this snicd into the other path's figures */
    if (!bench_stop)
        bench_ctl_del(c, NULL);
    ctl_client_close(c);
out_snicd:
    if (bench_env_stop(&e->snicd, 60) < 0 && rc == 0 && !o->external) {
        fprintf(stderr, "snic-bench: snicd did not stop on SIGTERM; the "
                "card may hold its rules, so the next path's figures "
                "would be wrong: stopping\n");
        rc = -ETIMEDOUT;
    }
    return rc;
}

static int
write_outputs(const struct bench_env *e, const struct bench_opts *o)
{
    FILE *table = o->json_path != NULL && strcmp(o->json_path, "-") == 0
                  ? stderr : stdout;
    int rc = 0;

    bench_report_table(table, &results, o);
    if (o->json_path != NULL) {
        json_t *j = bench_report_json(&results, o);
        int jrc;

        if (j == NULL)
            return -ENOMEM;
        if (strcmp(o->json_path, "-") == 0)
            jrc = json_dumpf(j, stdout, JSON_INDENT(2));
        else
            jrc = json_dump_file(j, o->json_path, JSON_INDENT(2));
        if (strcmp(o->json_path, "-") == 0)
            printf("\n");
        json_decref(j);
        if (jrc < 0) {
            fprintf(stderr, "snic-bench: cannot write %s\n", o->json_path);
            rc = -EIO;
        }
    }
    if (o->plot_path != NULL && results.runs > 0) {
        int prc = bench_plot(&results, o, e->dir);

        if (prc == 0)
            bench_log(o, "plot written to %s", o->plot_path);
        else
            rc = prc;
    }
    return rc;
}

int
main(int argc, char **argv)
{
    struct bench_opts o;
    struct bench_env e;
    struct bench_gen *g = NULL;
    int rc, exit_code = 1;

    rc = bench_opts_parse(argc, argv, &o);
    if (rc != 0) {
        bench_opts_free(&o);
        return rc > 0 ? 0 : 2;
    }
    install_signals();
    rc = bench_env_open(&e, &o);
    if (rc < 0) {
        fprintf(stderr, "snic-bench: run dir: %s\n", strerror(-rc));
        goto out_opts;
    }
    if (!o.external) {
        rc = bench_env_start_emunic(&e, &o, max_flows(&o));
        if (rc < 0)
            goto out_env;
    }
    g = bench_gen_open(&e, &o);
    if (g == NULL)
        goto out_env;
    results.tsc_hz = bench_gen_tsc_hz(g);
    results.huge = e.huge;
    if (getloadavg(results.loadavg, 3) != 3)
        results.loadavg[0] = results.loadavg[1] = results.loadavg[2] = NAN;
    for (unsigned run = 0; run < o.runs && rc == 0; run++) {
        for (int p = 0; p < BENCH_N_PATHS && rc == 0; p++)
            if (o.path_on[p])
                rc = run_path(&e, g, &o, run, (enum bench_path)p);
        if (rc == 0 && !bench_stop)
            results.runs++;
        if (bench_stop)
            rc = -EINTR;
    }
    if (rc < 0 && rc != -EINTR)
        fprintf(stderr, "snic-bench: stopped after %u complete run%s: %s "
                "(logs in %s%s)\n", results.runs, results.runs == 1 ? ""
                : "s", strerror(-rc), e.dir, o.run_dir ? ""
                : ", removed at exit; keep them with --rundir");
    if (results.runs > 0 && write_outputs(&e, &o) < 0 && rc == 0)
        rc = -EIO;
    exit_code = bench_stop ? 130 : rc < 0 ? 1 : 0;
    bench_gen_close(g);
out_env:
    bench_env_close(&e, &o);
out_opts:
    bench_opts_free(&o);
    return exit_code;
}
