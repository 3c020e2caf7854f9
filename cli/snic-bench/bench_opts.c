/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-bench's command line. Defaults are the figures issue 6 asks for;
 * every size is an option so the smoke test can run the same code tiny.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static void
usage(FILE *f)
{
    fprintf(f,
"usage: snic-bench [OPTIONS]\n"
"\n"
"Run the same flows and traffic through snicd twice, with hardware offload\n"
"and software-only (--no-offload), and report both side by side: flow\n"
"setup rate, forwarding rate and host CPU cycles per packet, and forwarding\n"
"under flow churn. By default it starts its own emunic card and snicd in a\n"
"private run dir and removes everything it started on exit.\n"
"\n"
"what to measure:\n"
"  --setup-flows LIST   flow setup sizes (default 1000,10000,100000)\n"
"  --batch N            flows per add-flows request (default 1000)\n"
"  --in-flight N        add-flows requests sent before the first reply is\n"
"                       read (default 1: each batch after the last reply;\n"
"                       2: the next one waits in snicd's socket while one\n"
"                       is served, as a pipelining controller's would)\n"
"  --fwd-flows LIST     active flows for forwarding (default 1,1000,100000)\n"
"  --sizes LIST         frame sizes in bytes, FCS included (default\n"
"                       64,512,1500)\n"
"  --seconds S          measured window per point (default 2)\n"
"  --warmup S           traffic before each window (default 0.5)\n"
"  --churn-rate N       flows added and removed per second during the\n"
"                       churn test (default 1000; 0 skips it)\n"
"  --churn-flows N      active forwarding flows meanwhile (default 1000)\n"
"  --churn-size N       frame size meanwhile (default 64)\n"
"  --runs N             repeat everything N times: median, min, max\n"
"                       (default 1, at most %u)\n"
"  --only PATH          offload or software\n"
"  --no-setup, --no-forwarding   skip those parts\n"
"\n"
"output:\n"
"  --json FILE          results as JSON (- for stdout, the table then goes\n"
"                       to stderr)\n"
"  --plot FILE          a chart comparing the paths (.png or .svg, gnuplot)\n"
"  -q, --quiet          no progress lines\n"
"\n"
"environment:\n"
"  --hugepages, --no-hugepages   reserve 2 MB hugepages for the run, mount\n"
"                       them privately and give them back after (default:\n"
"                       on when root)\n"
"  --huge-pages N       how many to add (default 512)\n"
"  --card emunic|external   start an emulated card (default), or use a real\n"
"                       one through --eal/--snicd-eal and the port options\n"
"  --emunic, --snicd PATH   binaries (default: this build tree's)\n"
"  --profile NAME       emunic capability profile (default full)\n"
"  --eal \"ARGS\"         the harness's own EAL arguments (external card)\n"
"  --snicd-eal \"ARGS\"   snicd's EAL arguments (external card), e.g.\n"
"                       \"-a 0000:08:00.0,representor=vf[0-3] -l 0,1\"\n"
"  --tx-port NAME       ethdev that sends, the VM side of the VF\n"
"  --rx-port NAME       ethdev that receives, the wire's far end\n"
"  --in-port NAME       snicd port the traffic enters (default vf0)\n"
"  --out-port NAME      snicd port it leaves by (default uplink)\n"
"  --workers N          snicd datapath lcores (default 1)\n"
"  --snicd-opts \"ARGS\"  more snicd options, both paths (e.g.\n"
"                       \"--no-flow-queues\": rules through the sync API)\n"
"  --rundir DIR         run dir to use and keep (logs); default a private\n"
"                       temporary one, removed at exit\n"
"  -h, --help           this text\n", BENCH_MAX_RUNS);
}

static int
parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max,
          uint32_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max
        || s[0] == '-') {
        fprintf(stderr, "snic-bench: %s '%s': expected a number from %u to "
                "%u\n", opt, s, min, max);
        return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

static int
parse_seconds(const char *opt, const char *s, double min, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min
        || v > 3600) {
        fprintf(stderr, "snic-bench: %s '%s': expected seconds from %g to "
                "3600\n", opt, s, min);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* "1,1000,100000" -> sorted, duplicates refused. */
static int
parse_list(const char *opt, const char *s, uint32_t min, uint32_t max,
           uint32_t *v, unsigned *n)
{
    char *copy = strdup(s), *save = NULL, *tok;
    int rc = 0;

    if (copy == NULL)
        return -ENOMEM;
    *n = 0;
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (*n == BENCH_MAX_POINTS) {
            fprintf(stderr, "snic-bench: %s: at most %u values\n", opt,
                    BENCH_MAX_POINTS);
            rc = -EINVAL;
            break;
        }
        rc = parse_u32(opt, tok, min, max, &v[*n]);
        if (rc < 0)
            break;
        (*n)++;
    }
    free(copy);
    if (rc == 0 && *n == 0) {
        fprintf(stderr, "snic-bench: %s: give at least one value\n", opt);
        rc = -EINVAL;
    }
    if (rc < 0)
        return rc;
    qsort(v, *n, sizeof(*v), cmp_u32);
    for (unsigned i = 1; i < *n; i++)
        if (v[i] == v[i - 1]) {
            fprintf(stderr, "snic-bench: %s: %u given twice\n", opt, v[i]);
            return -EINVAL;
        }
    return 0;
}

/* The binaries of the build tree this snic-bench belongs to:
 * BUILD/cli/snic-bench/snic-bench -> BUILD/REL. */
static char *
beside_build(const char *rel)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *out;

    if (n <= 0)
        return strdup(rel);
    self[n] = '\0';
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(self, '/');

        if (slash == NULL)
            return strdup(rel);
        *slash = '\0';
    }
    if (asprintf(&out, "%s/%s", self, rel) < 0)
        return NULL;
    return out;
}

enum {
    OPT_SETUP = 256, OPT_BATCH, OPT_FWD, OPT_SIZES, OPT_SECONDS, OPT_WARMUP,
    OPT_CHURN_RATE, OPT_CHURN_FLOWS, OPT_CHURN_SIZE, OPT_RUNS, OPT_ONLY,
    OPT_NO_SETUP, OPT_NO_FWD, OPT_JSON, OPT_PLOT, OPT_HUGE, OPT_NO_HUGE,
    OPT_HUGE_PAGES, OPT_CARD, OPT_EMUNIC, OPT_SNICD, OPT_PMD, OPT_PROFILE,
    OPT_EAL, OPT_SNICD_EAL, OPT_SNICD_OPTS, OPT_TX, OPT_RX, OPT_IN, OPT_OUT, OPT_WORKERS,
    OPT_RUNDIR, OPT_IN_FLIGHT,
};

static int
set_path(char **dst, const char *src)
{
    free(*dst);
    *dst = strdup(src);
    return *dst == NULL ? -ENOMEM : 0;
}

static int
apply_opt(struct bench_opts *o, int c, const char *arg)
{
    uint32_t u = 0;
    int rc = 0;

    switch (c) {
    case OPT_SETUP:
        return parse_list("--setup-flows", arg, 1, 1u << 24, o->setup_flows,
                          &o->n_setup);
    case OPT_BATCH:
        return parse_u32("--batch", arg, 1, 1u << 20, &o->batch);
    case OPT_IN_FLIGHT:
        return parse_u32("--in-flight", arg, 1, BENCH_MAX_IN_FLIGHT,
                         &o->in_flight);
    case OPT_FWD:
        return parse_list("--fwd-flows", arg, 1, 1u << 24, o->fwd_flows,
                          &o->n_fwd);
    case OPT_SIZES:
        /* 64 is Ethernet's minimum; 2048 - FCS is the card's largest */
        return parse_list("--sizes", arg, 64, 1518, o->sizes, &o->n_sizes);
    case OPT_SECONDS:
        return parse_seconds("--seconds", arg, 0.05, &o->seconds);
    case OPT_WARMUP:
        return parse_seconds("--warmup", arg, 0, &o->warmup);
    case OPT_CHURN_RATE:
        return parse_u32("--churn-rate", arg, 0, 1000000, &o->churn_rate);
    case OPT_CHURN_FLOWS:
        return parse_u32("--churn-flows", arg, 1, 1u << 24, &o->churn_flows);
    case OPT_CHURN_SIZE:
        return parse_u32("--churn-size", arg, 64, 1518, &o->churn_size);
    case OPT_RUNS:
        rc = parse_u32("--runs", arg, 1, BENCH_MAX_RUNS, &u);
        if (rc == 0)
            o->runs = u;
        return rc;
    case OPT_ONLY:
        if (strcmp(arg, "offload") != 0 && strcmp(arg, "software") != 0) {
            fprintf(stderr, "snic-bench: --only '%s': expected offload or "
                    "software\n", arg);
            return -EINVAL;
        }
        o->path_on[BENCH_OFFLOAD] = strcmp(arg, "offload") == 0;
        o->path_on[BENCH_SOFTWARE] = !o->path_on[BENCH_OFFLOAD];
        return 0;
    case OPT_NO_SETUP: o->skip_setup = true; return 0;
    case OPT_NO_FWD: o->skip_fwd = true; return 0;
    case OPT_JSON: o->json_path = arg; return 0;
    case OPT_PLOT:
        if (strlen(arg) < 5 || (strcmp(arg + strlen(arg) - 4, ".png") != 0
                                && strcmp(arg + strlen(arg) - 4, ".svg"))) {
            fprintf(stderr, "snic-bench: --plot '%s': the name must end in "
                    ".png or .svg\n", arg);
            return -EINVAL;
        }
        o->plot_path = arg;
        return 0;
    case 'q': o->quiet = true; return 0;
    case OPT_HUGE: o->hugepages = 1; return 0;
    case OPT_NO_HUGE: o->hugepages = 0; return 0;
    case OPT_HUGE_PAGES:
        rc = parse_u32("--huge-pages", arg, 64, 1u << 20, &u);
        if (rc == 0)
            o->huge_pages = u;
        return rc;
    case OPT_CARD:
        if (strcmp(arg, "emunic") != 0 && strcmp(arg, "external") != 0) {
            fprintf(stderr, "snic-bench: --card '%s': expected emunic or "
                    "external\n", arg);
            return -EINVAL;
        }
        o->external = strcmp(arg, "external") == 0;
        return 0;
    case OPT_EMUNIC: return set_path(&o->emunic, arg);
    case OPT_SNICD: return set_path(&o->snicd, arg);
    case OPT_PMD:
        fprintf(stderr, "snic-bench: --pmd %s: net_emunic is built into "
                "snic-bench and snicd and needs no plugin\n", arg);
        return -EINVAL;
    case OPT_PROFILE: o->profile = arg; return 0;
    case OPT_EAL: o->eal = arg; return 0;
    case OPT_SNICD_EAL: o->snicd_eal = arg; return 0;
    case OPT_SNICD_OPTS: o->snicd_opts = arg; return 0;
    case OPT_TX: o->tx_port = arg; return 0;
    case OPT_RX: o->rx_port = arg; return 0;
    case OPT_IN: o->in_port = arg; return 0;
    case OPT_OUT: o->out_port = arg; return 0;
    case OPT_WORKERS:
        rc = parse_u32("--workers", arg, 1, 16, &u);
        if (rc == 0)
            o->workers = u;
        return rc;
    case OPT_RUNDIR: o->run_dir = arg; return 0;
    default:
        usage(stderr);
        return -EINVAL;
    }
}

/* What only makes sense together. */
static int
check(struct bench_opts *o)
{
    if (o->external && (o->eal == NULL || o->snicd_eal == NULL
                        || o->tx_port == NULL || o->rx_port == NULL)) {
        fprintf(stderr, "snic-bench: --card external needs --eal, "
                "--snicd-eal, --tx-port and --rx-port (the harness cannot "
                "guess a real card's ports)\n");
        return -EINVAL;
    }
    if (!o->external && (o->eal != NULL || o->snicd_eal != NULL)) {
        fprintf(stderr, "snic-bench: --eal and --snicd-eal are for --card "
                "external; on emunic the harness builds them\n");
        return -EINVAL;
    }
    if (o->emunic == NULL)
        o->emunic = beside_build("firmware-api/emunic");
    if (o->snicd == NULL)
        o->snicd = beside_build("offload/snicd/snicd");
    if (o->emunic == NULL || o->snicd == NULL)
        return -ENOMEM;
    if (access(o->snicd, X_OK) < 0
        || (!o->external && access(o->emunic, X_OK) < 0)) {
        fprintf(stderr, "snic-bench: %s is not an executable (build it, or "
                "see --snicd/--emunic)\n", access(o->snicd, X_OK) < 0
                ? o->snicd : o->emunic);
        return -ENOENT;
    }
    if (o->hugepages < 0)
        o->hugepages = geteuid() == 0;
    return 0;
}

int
bench_opts_parse(int argc, char **argv, struct bench_opts *o)
{
    static const struct option opts[] = {
        { "setup-flows", required_argument, NULL, OPT_SETUP },
        { "batch", required_argument, NULL, OPT_BATCH },
        { "in-flight", required_argument, NULL, OPT_IN_FLIGHT },
        { "fwd-flows", required_argument, NULL, OPT_FWD },
        { "sizes", required_argument, NULL, OPT_SIZES },
        { "seconds", required_argument, NULL, OPT_SECONDS },
        { "warmup", required_argument, NULL, OPT_WARMUP },
        { "churn-rate", required_argument, NULL, OPT_CHURN_RATE },
        { "churn-flows", required_argument, NULL, OPT_CHURN_FLOWS },
        { "churn-size", required_argument, NULL, OPT_CHURN_SIZE },
        { "runs", required_argument, NULL, OPT_RUNS },
        { "only", required_argument, NULL, OPT_ONLY },
        { "no-setup", no_argument, NULL, OPT_NO_SETUP },
        { "no-forwarding", no_argument, NULL, OPT_NO_FWD },
        { "json", required_argument, NULL, OPT_JSON },
        { "plot", required_argument, NULL, OPT_PLOT },
        { "quiet", no_argument, NULL, 'q' },
        { "hugepages", no_argument, NULL, OPT_HUGE },
        { "no-hugepages", no_argument, NULL, OPT_NO_HUGE },
        { "huge-pages", required_argument, NULL, OPT_HUGE_PAGES },
        { "card", required_argument, NULL, OPT_CARD },
        { "emunic", required_argument, NULL, OPT_EMUNIC },
        { "snicd", required_argument, NULL, OPT_SNICD },
        { "pmd", required_argument, NULL, OPT_PMD },
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "eal", required_argument, NULL, OPT_EAL },
        { "snicd-eal", required_argument, NULL, OPT_SNICD_EAL },
        { "snicd-opts", required_argument, NULL, OPT_SNICD_OPTS },
        { "tx-port", required_argument, NULL, OPT_TX },
        { "rx-port", required_argument, NULL, OPT_RX },
        { "in-port", required_argument, NULL, OPT_IN },
        { "out-port", required_argument, NULL, OPT_OUT },
        { "workers", required_argument, NULL, OPT_WORKERS },
        { "rundir", required_argument, NULL, OPT_RUNDIR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const uint32_t setup_def[] = { 1000, 10000, 100000 };
    static const uint32_t fwd_def[] = { 1, 1000, 100000 };
    static const uint32_t size_def[] = { 64, 512, 1500 };
    int c, rc;

    memset(o, 0, sizeof(*o));
    memcpy(o->setup_flows, setup_def, sizeof(setup_def));
    o->n_setup = 3;
    memcpy(o->fwd_flows, fwd_def, sizeof(fwd_def));
    o->n_fwd = 3;
    memcpy(o->sizes, size_def, sizeof(size_def));
    o->n_sizes = 3;
    o->batch = 1000;
    /* 2 keeps snicd from waiting for the harness, but on a machine with
     * no core to spare the harness then takes CPU from snicd instead
     * (docs/benchmarks.md: slower on the 2 shared cores here) */
    o->in_flight = 1;
    o->seconds = 2;
    o->warmup = 0.5;
    o->churn_rate = 1000;
    o->churn_flows = 1000;
    o->churn_size = 64;
    o->runs = 1;
    o->path_on[BENCH_OFFLOAD] = o->path_on[BENCH_SOFTWARE] = true;
    o->hugepages = -1;
    o->huge_pages = 512;
    o->profile = "full";
    o->in_port = "vf0";
    o->out_port = "uplink";
    o->workers = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 1;
        }
        rc = apply_opt(o, c, optarg);
        if (rc < 0)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "snic-bench: unexpected argument '%s' (see "
                "--help)\n", argv[optind]);
        return -EINVAL;
    }
    return check(o);
}

void
bench_opts_free(struct bench_opts *o)
{
    free(o->emunic);
    free(o->snicd);
    o->emunic = o->snicd = NULL;
}
