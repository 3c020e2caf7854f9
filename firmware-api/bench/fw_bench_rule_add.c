/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fw_bench_rule_add: rule-add commands per second through the real firmware
 * transport (fw_chan -> shared region -> emunic), batched and one by one.
 *
 * Batched: post as many commands as there are free slots, ring the doorbell
 * once, reap what has completed, repeat; the device works on one part of the
 * ring while the driver refills another. One by one: fw_chan_exec(), a full
 * round trip per rule. Each run adds N rules with distinct matches and then
 * deletes them (batched, not timed), so every run starts from an empty
 * table. Not a test: it prints numbers.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snic/fw_chan.h"
#include "snic_clock.h"
#include "snic_emunic.h"

#ifndef FW_BENCH_EMUNIC
#define FW_BENCH_EMUNIC "emunic"
#endif

#define BENCH_TMO_MS    5000

struct bench {
    struct fw_chan *ch;
    unsigned n_rules;
    struct fw_rule_add_out *outs;
    struct fw_completion *cmpl;
    unsigned max_cmpl;
};

static void __attribute__((noreturn))
bench_die(const char *what, int err)
{
    fprintf(stderr, "fw_bench_rule_add: %s: %s\n", what, strerror(err));
    exit(1);
}

/* A rule matching one IPv4 destination (distinct per @n), forwarding to
 * the wire. */
static size_t
bench_rule(struct fw_rule_add_in *in, uint32_t n)
{
    size_t size = offsetof(struct fw_rule_add_in, actions) +
                  sizeof(struct fw_action);

    memset(in, 0, size);
    in->priority = (uint16_t)(n & 7);
    in->n_actions = 1;
    in->value.eth_type = htobe16(0x0800);
    in->mask.eth_type = 0xffff;
    in->value.ipv4_dst = htobe32(0x0a000000u | n);
    in->mask.ipv4_dst = 0xffffffffu;
    in->actions[0].type = FW_ACT_FWD_VPORT;
    in->actions[0].u.fwd.vport = FW_VPORT_UPLINK;
    return size;
}

static void
bench_check(const struct fw_completion *c, const char *what)
{
    char buf[96];

    if (c->status != FW_STATUS_OK) {
        fprintf(stderr, "fw_bench_rule_add: %s failed: %s (%s)\n", what,
                fw_status_str(c->status),
                fw_syndrome_str(c->syndrome, buf, sizeof(buf)));
        exit(1);
    }
}

static void
bench_reap(struct bench *b, const char *what)
{
    int n = fw_chan_reap(b->ch, b->cmpl, b->max_cmpl, BENCH_TMO_MS);

    if (n < 0)
        bench_die("reap", -n);
    for (int i = 0; i < n; i++)
        bench_check(&b->cmpl[i], what);
}

static double
bench_add_batched(struct bench *b)
{
    static struct fw_rule_add_in in;
    size_t sz = bench_rule(&in, 0);
    unsigned posted = 0;
    double t0 = snic_now_s();

    while (posted < b->n_rules || fw_chan_inflight(b->ch) > 0) {
        while (posted < b->n_rules && fw_chan_space(b->ch) > 0) {
            in.value.ipv4_dst = htobe32(0x0a000000u | posted);
            in.priority = (uint16_t)(posted & 7);
            if (fw_chan_post(b->ch, FW_CMD_RULE_ADD, &in, sz, &b->outs[posted],
                             sizeof(b->outs[posted]), NULL) < 0)
                bench_die("post", EIO);
            posted++;
        }
        fw_chan_doorbell(b->ch);
        bench_reap(b, "batched rule add");
    }
    return b->n_rules / (snic_now_s() - t0);
}

static double
bench_add_single(struct bench *b)
{
    static struct fw_rule_add_in in;
    size_t sz = bench_rule(&in, 0);
    double t0 = snic_now_s();
    uint32_t syn;
    uint8_t st;

    for (unsigned i = 0; i < b->n_rules; i++) {
        int r;

        in.value.ipv4_dst = htobe32(0x0a000000u | i);
        in.priority = (uint16_t)(i & 7);
        r = fw_chan_exec(b->ch, FW_CMD_RULE_ADD, &in, sz, &b->outs[i],
                         sizeof(b->outs[i]), &st, &syn, BENCH_TMO_MS);
        if (r < 0)
            bench_die("exec", -r);
        if (st != FW_STATUS_OK) {
            struct fw_completion c = { .status = st, .syndrome = syn };

            bench_check(&c, "single rule add");
        }
    }
    return b->n_rules / (snic_now_s() - t0);
}

static void
bench_delete_all(struct bench *b)
{
    static struct fw_rule_delete_in del;
    unsigned posted = 0;

    while (posted < b->n_rules || fw_chan_inflight(b->ch) > 0) {
        while (posted < b->n_rules && fw_chan_space(b->ch) > 0) {
            del.rule_id = b->outs[posted].rule_id;
            if (fw_chan_post(b->ch, FW_CMD_RULE_DELETE, &del, sizeof(del),
                             NULL, 0, NULL) < 0)
                bench_die("post", EIO);
            posted++;
        }
        fw_chan_doorbell(b->ch);
        bench_reap(b, "rule delete");
    }
}

/* emunic on a private socket, once it listens; it ends with us, however
 * we end (bench_die() included). */
static void
bench_start_emunic(struct snic_emunic *card, const char *bin,
                   unsigned n_rules)
{
    const struct snic_emunic_how how = {
        .tag = "fw-bench", .death_signal = SIGTERM,
    };
    char rules[32];
    const char *args[] = { "--profile", "full", "--mode", "switchdev",
                           "--max-rules", rules, "-q", NULL };

    snprintf(rules, sizeof(rules), "%u", n_rules < 1024 ? 1024 : n_rules);
    if (snic_emunic_start(card, bin, NULL, args, &how) < 0) {
        fprintf(stderr, "fw_bench_rule_add: %s\n", card->err);
        exit(1);
    }
    printf("%s\n", card->ready);
}

static int
bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void
bench_report(const char *name, double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), bench_cmp);
    printf("%-10s median %10.0f rule adds/s   min %10.0f   max %10.0f\n",
           name, v[n / 2], v[0], v[n - 1]);
}

static void
bench_usage(FILE *f)
{
    fprintf(f,
"Usage: fw_bench_rule_add [--rules N] [--single-rules N] [--runs R]\n"
"                         [--emunic PATH] [--socket PATH]\n"
"Adds N rules (default 200000) through the firmware transport, batched and\n"
"one by one (--single-rules, default N), R times (default 5), and prints\n"
"the median, min and max rule adds per second of each. Starts its own\n"
"emunic (full profile, switchdev) unless --socket names a running one.\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "rules", required_argument, NULL, 'n' },
        { "single-rules", required_argument, NULL, 's' },
        { "runs", required_argument, NULL, 'r' },
        { "emunic", required_argument, NULL, 'e' },
        { "socket", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *emunic = FW_BENCH_EMUNIC, *sock = NULL;
    unsigned runs = 5, n_single = 0, i;
    struct snic_emunic card = { .pid = 0 };
    struct bench b = { .n_rules = 200000 };
    double *batched, *single;
    int opt;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': b.n_rules = (unsigned)strtoul(optarg, NULL, 0); break;
        case 's': n_single = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'r': runs = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'e': emunic = optarg; break;
        case 'S': sock = optarg; break;
        case 'h': bench_usage(stdout); return 0;
        default: bench_usage(stderr); return 2;
        }
    }
    if (b.n_rules == 0 || runs == 0 || runs > 100) {
        fprintf(stderr, "fw_bench_rule_add: --rules must be > 0 and --runs "
                        "1..100\n");
        return 2;
    }
    if (n_single == 0)
        n_single = b.n_rules;

    if (sock == NULL) {
        bench_start_emunic(&card, emunic, b.n_rules);
        sock = card.sock;
    }
    b.ch = fw_chan_open(sock, BENCH_TMO_MS);
    if (b.ch == NULL)
        bench_die(sock, errno);
    b.max_cmpl = fw_chan_depth(b.ch);
    b.outs = calloc(b.n_rules > n_single ? b.n_rules : n_single,
                    sizeof(*b.outs));
    b.cmpl = calloc(b.max_cmpl, sizeof(*b.cmpl));
    batched = calloc(runs, sizeof(*batched));
    single = calloc(runs, sizeof(*single));
    if (b.outs == NULL || b.cmpl == NULL || batched == NULL || single == NULL)
        bench_die("calloc", ENOMEM);

    printf("%u rules per run, %u one by one, %u runs, %u command slots\n",
           b.n_rules, n_single, runs, fw_chan_depth(b.ch));
    for (i = 0; i < runs; i++) {
        unsigned all = b.n_rules;

        batched[i] = bench_add_batched(&b);
        bench_delete_all(&b);
        b.n_rules = n_single;
        single[i] = bench_add_single(&b);
        bench_delete_all(&b);
        b.n_rules = all;
        printf("run %u: batched %10.0f/s   one by one %10.0f/s\n", i + 1,
               batched[i], single[i]);
        fflush(stdout);
    }
    bench_report("batched", batched, runs);
    bench_report("one-by-one", single, runs);
    printf("ratio      batched / one-by-one = %.1fx (medians)\n",
           batched[runs / 2] / single[runs / 2]);

    fw_chan_close(b.ch);
    snic_emunic_stop(&card, 5000);
    free(b.outs);
    free(b.cmpl);
    free(batched);
    free(single);
    return 0;
}
