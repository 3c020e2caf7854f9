/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-bench: the offloaded path against the software path, same flows,
 * same traffic.
 *
 * What
 * ----
 * One harness process that is both the orchestrator and the traffic. On
 * the emulated card (the default) it starts emunic in a private run dir,
 * attaches to it as a DPDK application with two ports, the VM side of VF 0
 * (net_emunic vf=0) and the wire's peer (uplink=1), and then, for each
 * path, starts snicd (with offload, then with --no-offload), drives it
 * through its control socket and measures:
 *
 *   setup       add-flows batches until snicd reports the flows placed;
 *   forwarding  frames from the VF port spread over the active flows,
 *               counted where they arrive on the wire port; host cost is
 *               snicd's CPU time per delivered packet;
 *   churn       forwarding while a side thread adds and removes flows.
 *
 * On a real card the same code runs with the caller's EAL arguments and
 * port names (bench_opts: eal, snicd_eal, tx_port, rx_port, in_port,
 * out_port) and nothing is started but snicd.
 *
 * Files: bench_opts.c (command line), bench_env.c (run dir, hugepages,
 * child processes, /proc CPU time), bench_ctl.c (control socket, flow
 * text), bench_setup.c, bench_gen.c (DPDK traffic), bench_churn.c,
 * bench_stats.c (median, percentiles), bench_report.c (table, JSON),
 * bench_plot.c (gnuplot), bench_main.c (order of things, cleanup).
 *
 * Thread-safety
 * -------------
 * Everything runs on the main thread (DPDK's main lcore) except the churn
 * thread, which only uses its own control-socket client and the atomics
 * of struct bench_churn.
 */
#ifndef SNIC_BENCH_H
#define SNIC_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "snic_clock.h"
#include "snic_emunic.h"

#define BENCH_MAX_POINTS    8u      /* entries of a --setup-flows style list */
#define BENCH_MAX_RUNS      32u
#define BENCH_MAX_ARGS      64u     /* split EAL argument strings */

enum bench_path {
    BENCH_OFFLOAD,
    BENCH_SOFTWARE,
    BENCH_N_PATHS,
};

extern const char *const bench_path_name[BENCH_N_PATHS];

/* Set by SIGINT/SIGTERM; every loop that can last checks it. */
extern volatile sig_atomic_t bench_stop;

/* ------------------------------------------------------------------------
 * Options (bench_opts.c)
 * ------------------------------------------------------------------------ */

struct bench_opts {
    uint32_t setup_flows[BENCH_MAX_POINTS];
    unsigned n_setup;
    uint32_t batch;                 /* flows per add-flows request */
    uint32_t in_flight;             /* add-flows sent before a reply */
    uint32_t fwd_flows[BENCH_MAX_POINTS];   /* ascending */
    unsigned n_fwd;
    uint32_t sizes[BENCH_MAX_POINTS];       /* frame bytes, with FCS */
    unsigned n_sizes;
    double seconds;                 /* measured window per point */
    double warmup;                  /* unmeasured traffic before it */
    uint32_t churn_rate;            /* flows added (and removed) per s; 0 off */
    uint32_t churn_flows;           /* active forwarding flows meanwhile */
    uint32_t churn_size;
    unsigned runs;
    bool path_on[BENCH_N_PATHS];
    bool skip_setup, skip_fwd;

    const char *json_path;          /* NULL: none, "-": stdout */
    const char *plot_path;          /* .png or .svg */
    bool quiet;

    int hugepages;                  /* -1: when root */
    unsigned huge_pages;            /* 2 MB pages to add for the run */
    bool external;                  /* a real card: start no emunic */
    char *emunic, *snicd;           /* owned */
    const char *profile;
    const char *eal;                /* the harness's EAL args (external) */
    const char *snicd_eal;          /* snicd's EAL args (external) */
    const char *snicd_opts;         /* more snicd options (after --) */
    const char *tx_port, *rx_port;  /* the harness's ethdev names */
    const char *in_port, *out_port; /* snicd's port names for the flows */
    unsigned workers;               /* snicd --workers */
    const char *run_dir;            /* use (and keep) this run dir */
};

/* 0 to run, 1 after --help, negative errno with a message on stderr. */
int bench_opts_parse(int argc, char **argv, struct bench_opts *o);
void bench_opts_free(struct bench_opts *o);

/* ------------------------------------------------------------------------
 * Environment (bench_env.c): run dir, hugepages, child processes
 * ------------------------------------------------------------------------ */

struct bench_child {
    pid_t pid;                      /* 0: not running */
    char name[32];
    char log[512];
};

struct bench_env {
    char dir[256];                  /* private run dir */
    char card_sock[300];            /* emunic's PF socket */
    char ctl_dir[300];              /* the running snicd's --rundir */
    char huge_dir[300];             /* "" without hugepages */
    unsigned huge_added;            /* pages we added, to give back */
    bool huge;
    char prefix[64];                /* the harness's --file-prefix */
    char snicd_prefix[64];
    struct snic_emunic emunic;
    char emunic_log[300];           /* its stderr */
    struct bench_child snicd;
    long clk_tck;
};

int bench_env_open(struct bench_env *e, const struct bench_opts *o);
/* Stops what runs, gives back hugepages, removes the run dir. Idempotent. */
void bench_env_close(struct bench_env *e, const struct bench_opts *o);

int bench_env_start_emunic(struct bench_env *e, const struct bench_opts *o,
                           uint32_t max_flows);
int bench_env_start_snicd(struct bench_env *e, const struct bench_opts *o,
                          enum bench_path path);
int bench_env_stop(struct bench_child *c, double timeout_s);

/* CPU time of @pid (all threads) in clock ticks; negative errno. */
int64_t bench_cpu_ticks(pid_t pid);

/* Split @s on blanks into @argv (pointers into a copy kept in @store). */
int bench_split_args(const char *s, char **store, char **argv,
                     unsigned max, unsigned *n);

void bench_log(const struct bench_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------
 * Control socket (bench_ctl.c)
 * ------------------------------------------------------------------------ */

struct ctl_client;

struct bench_placed {
    uint64_t hw, partial, sw;
};

/* Flow @i of the forwarding set (nw_dst 10.0.0.0 + i) and of the churn set
 * (11.0.0.0 + i), in_port -> out_port. @buf of @size bytes. */
int bench_flow_text(char *buf, size_t size, const struct bench_opts *o,
                    bool churn, uint32_t i);
uint32_t bench_flow_dst(bool churn, uint32_t i);   /* host order */

struct ctl_client *bench_ctl_open(const struct bench_env *e,
                                  double timeout_s);
/* add-flows [first, first + n); *@seconds: request to reply. */
int bench_ctl_add(struct ctl_client *c, const struct bench_opts *o,
                  bool churn, uint32_t first, uint32_t n, double *seconds);
/* The same in two steps, for requests in flight together: send the
 * request (*@sent_at: when it went, once built), then (in the order sent)
 * read its reply. */
#define BENCH_MAX_IN_FLIGHT 8u
int bench_ctl_add_send(struct ctl_client *c, const struct bench_opts *o,
                       bool churn, uint32_t first, uint32_t n,
                       double *sent_at);
int bench_ctl_add_recv(struct ctl_client *c, uint32_t n);
/* Delete every flow (@match NULL) or, loosely, those under @match. */
int bench_ctl_del(struct ctl_client *c, const char *match);
/* One loose mod-flows giving every forwarding-set flow new actions
 * (drop): *@seconds, request to reply. */
int bench_ctl_mod_all(struct ctl_client *c, const struct bench_opts *o,
                      double *seconds);
int bench_ctl_placed(struct ctl_client *c, struct bench_placed *p);
/* Poll stats until @want flows are placed on @path (hw for offload),
 * at most @timeout_s. */
int bench_ctl_wait_placed(struct ctl_client *c, enum bench_path path,
                          uint64_t want, double timeout_s,
                          struct bench_placed *p);

/* ------------------------------------------------------------------------
 * Measurements
 * ------------------------------------------------------------------------ */

struct bench_setup_res {
    uint32_t flows;
    double seconds;                 /* first request to placed */
    double flows_per_sec;
    double p50_ms, p90_ms, p99_ms;  /* batch request -> reply (from the
                                     * last reply when it was sent before:
                                     * --in-flight) */
    double mod_seconds;             /* one mod-flows of all of them */
    double del_seconds;             /* del-flows of all of them */
    struct bench_placed placed;
};

/* The issue-13 targets the report holds the figures against. */
#define BENCH_TARGET_SETUP_RATE     1000000.0   /* flows/s, >= 100,000 */
#define BENCH_TARGET_DELETE_1M_S    1.0         /* all of 1,000,000 hw */
#define BENCH_TARGET_P50_RATIO      1.5         /* p50 at 1M / at 10k */

int bench_setup_run(struct ctl_client *c, const struct bench_opts *o,
                    enum bench_path path, uint32_t flows,
                    struct bench_setup_res *r);

struct bench_gen;

/* One measured window. */
struct bench_fwd_res {
    uint32_t flows, size;
    double mpps;                    /* delivered on the wire port */
    double offered_mpps;            /* accepted by the VF port's tx */
    double gbps;                    /* delivered, frame bytes with FCS */
    double host_cpp;                /* snicd cycles per delivered packet */
    double card_cpp;                /* emunic cycles per delivered packet */
    uint64_t rx, tx;
    /* churn only */
    double churn_adds_per_sec;
    uint64_t churn_errors;
};

struct bench_gen *bench_gen_open(const struct bench_env *e,
                                 const struct bench_opts *o);
void bench_gen_close(struct bench_gen *g);
uint64_t bench_gen_tsc_hz(const struct bench_gen *g);
/* Traffic over flows [0, n_flows) for warmup + seconds; fills @r. */
int bench_gen_run(struct bench_gen *g, const struct bench_env *e,
                  uint32_t n_flows, uint32_t size, struct bench_fwd_res *r);

/* Forwarding at @churn_flows while a side thread adds and deletes churn
 * flows at o->churn_rate. */
int bench_churn_run(struct bench_gen *g, const struct bench_env *e,
                    const struct bench_opts *o, struct bench_fwd_res *r);

/* ------------------------------------------------------------------------
 * Statistics and reports
 * ------------------------------------------------------------------------ */

/* Percentile @p (0..100) of @n values (sorted in place), linear between
 * closest ranks; NAN when n == 0. */
double bench_percentile(double *v, size_t n, double p);

struct bench_agg {
    double median, min, max;
    unsigned n;
};
void bench_aggregate(const double *v, size_t n, struct bench_agg *a);

/* All runs' results, indexed [run][path][point]. */
struct bench_results {
    unsigned runs;                  /* completed */
    struct bench_setup_res setup[BENCH_MAX_RUNS][BENCH_N_PATHS]
                                [BENCH_MAX_POINTS];
    struct bench_fwd_res fwd[BENCH_MAX_RUNS][BENCH_N_PATHS]
                            [BENCH_MAX_POINTS * BENCH_MAX_POINTS];
    struct bench_fwd_res churn[BENCH_MAX_RUNS][BENCH_N_PATHS];
    bool has_setup[BENCH_N_PATHS], has_fwd[BENCH_N_PATHS],
         has_churn[BENCH_N_PATHS];
    uint64_t tsc_hz;
    bool huge;
    double loadavg[3];              /* at start: how busy the machine was */
};

json_t *bench_report_json(const struct bench_results *res,
                          const struct bench_opts *o);
void bench_report_table(FILE *f, const struct bench_results *res,
                        const struct bench_opts *o);
int bench_plot(const struct bench_results *res, const struct bench_opts *o,
               const char *workdir);

#endif /* SNIC_BENCH_H */
