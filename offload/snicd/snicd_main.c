/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd: EAL, the default card, start-up order, the control thread's loop,
 * and a clean stop.
 *
 * Start-up order matters. The journal is replayed into the flow table
 * and the software datapath's classifier on a thread of its own while
 * this one sets up the EAL (the device's probe lists the card's rules):
 * neither needs the other (a journal record names ports by number, the
 * classifier is plain memory). Then ports (names are needed to parse
 * --flows), the offload manager (it needs the ports; it hears of the
 * journal's flows at its release below), the workers, the
 * --flows file, the software datapath published, then the offload
 * manager's first commit (the hardware: the rules an earlier snicd left
 * adopted), the orphans purged, and only then the control socket. The
 * software datapath goes before the hardware because the earlier rules
 * forward meanwhile: the software path (misses, partial flows) is what a
 * restart stops, and it needs the flows only (docs/snicd.md, "Restart
 * without a gap").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "snic_eal_dir.h"
#include "snic_emunic.h"
#include "snicd.h"
#include "snicd_ctl_fmt.h"
#include "snicd_heap.h"
#include "snicd_opts.h"
#include "snicd_tsc.h"
#include "snic/peer.h"
#include "snic/rte_pmd_emunic.h"

#define MAX_EAL_ARGS    64
#define EMUNIC_WAIT_MS  5000

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* The card's sockets are SOCK_SEQPACKET (docs/firmware-abi.md). */
static bool
socket_answers(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    bool ok;

    if (fd < 0)
        return false;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* <dir of this executable>/../../REL: the build tree's layout. */
static char *
beside_build(const char *rel)
{
    char self[PATH_MAX], *out;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n < 0)
        return NULL;
    self[n] = '\0';
    if (asprintf(&out, "%s/../../%s", dirname(self), rel) < 0)
        return NULL;
    return out;
}

static void
mkdir_parent(const char *path)
{
    char *copy = strdup(path);

    if (copy != NULL) {
        mkdir(dirname(copy), 0750);
        free(copy);
    }
}

/* Start emunic on @socket into @card unless something answers there
 * already (then @card stays empty). 0, or a negative errno after saying
 * why. */
static int
ensure_emunic(const struct snicd_opts *o, struct snic_emunic *card)
{
    /* no death signal: a card snicd started outlives a snicd that
     * crashed, and the next snicd adopts it (keep_rules=1); a ^C to
     * snicd is handled by snicd, not sent to the card's session */
    const struct snic_emunic_how how = {
        .wait_ms = EMUNIC_WAIT_MS, .own_session = true,
        .cancel = &stop_requested,
    };
    char *bin = o->emunic_bin ? strdup(o->emunic_bin)
                              : beside_build("firmware-api/emunic");
    char vfs[16];
    const char *args[] = { "--num-vfs", vfs, "--mode", "switchdev",
                           "--quiet", "--profile", o->emunic_profile, NULL };
    int rc;

    memset(card, 0, sizeof(*card));
    if (socket_answers(o->emunic_socket)) {
        free(bin);
        return 0;
    }
    if (o->emunic_bin == NULL && bin != NULL && access(bin, X_OK) < 0) {
        /* the layout the design named first */
        free(bin);
        bin = beside_build("firmware-api/emu/emunic");
    }
    if (bin == NULL) {
        snicd_log(SNICD_LOG_ERR, "cannot start emunic on %s: %s",
                  o->emunic_socket, strerror(ENOMEM));
        return -ENOMEM;
    }
    mkdir_parent(o->emunic_socket);
    snprintf(vfs, sizeof(vfs), "%u", o->vfs);
    if (o->emunic_profile == NULL)
        args[5] = NULL;
    snicd_log(SNICD_LOG_INFO, "no card at %s: starting %s",
              o->emunic_socket, bin);
    rc = snic_emunic_start(card, bin, o->emunic_socket, args, &how);
    free(bin);
    if (rc < 0) {
        snicd_log(SNICD_LOG_ERR, "%s", card->err);
        return rc;
    }
    printf("%s\n", card->ready);      /* the card's own line, as before */
    fflush(stdout);
    return 0;
}

struct eal_args {
    char *v[MAX_EAL_ARGS];
    int n;
    char *owned[8];
    int n_owned;
};

static void
eal_push(struct eal_args *a, const char *s)
{
    if (a->n < MAX_EAL_ARGS - 1)
        a->v[a->n++] = (char *)s;
}

static void
eal_push_owned(struct eal_args *a, char *s)
{
    if (s == NULL)
        return;
    if (a->n_owned < 8)
        a->owned[a->n_owned++] = s;
    eal_push(a, s);
}

/* EAL arguments for the default card: the PF with one representor per VF,
 * no hugepages, a private file prefix, and no shared files (--no-shconf:
 * snicd has no secondary processes, and net_emunic refuses them;
 * --in-memory would say the same but this DPDK refuses it with --no-huge,
 * which implies legacy memory). net_emunic is linked into snicd, so no -d:
 * DPDK would refuse the plugin below a world-writable folder. */
/* The mbuf pool's size: --mbufs, else 2,048 a worker for each of
 * @n_ports ports and one more, and 4,096. */
static uint64_t
mbufs_for(const struct snicd_opts *o, uint64_t n_ports)
{
    return o->mbufs ? o->mbufs
                    : (n_ports + 1) * o->workers * 2048u + 4096u;
}

/* Megabytes of EAL memory for the default card (-m): the mbuf pool, sized
 * as main() will size it (the PF, a representor per VF, a local port),
 * a quarter more, and 64 MB for the rest (rings, queues, caches); at
 * least 128. Not a fixed 1,024: without hugepages the EAL sets up a
 * descriptor per 4 KiB page of it at rte_eal_init, and 1,024 MB cost a
 * start 40-55 ms of CPU more than 128 (docs/snicd.md). */
static unsigned
default_eal_mb(const struct snicd_opts *o)
{
    const uint64_t per_mbuf = 2560;     /* mbuf, buffer, pool's header */
    uint64_t n = mbufs_for(o, (uint64_t)o->vfs + 2);
    uint64_t mb = (n * per_mbuf * 5 / 4 + (1u << 20) - 1) / (1u << 20) + 64;

    return mb < 128 ? 128 : (unsigned)mb;
}

static int
default_eal_args(const struct snicd_opts *o, const char *argv0,
                 struct eal_args *a)
{
    char *vdev, *prefix, *lcores, *mem;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int r1, r2, r3, r4;

    if (o->vfs > 0)
        r1 = asprintf(&vdev, "net_emunic0,socket=%s,keep_rules=1,"
                      "representor=vf[0-%u]", o->emunic_socket, o->vfs - 1);
    else
        r1 = asprintf(&vdev, "net_emunic0,socket=%s,keep_rules=1",
                      o->emunic_socket);
    r2 = asprintf(&prefix, "--file-prefix=snicd-%d", (int)getpid());
    /* lcore 0 is the control thread; the workers float over the CPUs */
    r3 = asprintf(&lcores, "(0-%u)@(0-%ld)", o->workers,
                  ncpu > 1 ? ncpu - 1 : 0);
    r4 = asprintf(&mem, "%u", default_eal_mb(o));
    if (r1 < 0 || r2 < 0 || r3 < 0 || r4 < 0) {
        if (r1 >= 0)
            free(vdev);
        if (r2 >= 0)
            free(prefix);
        if (r3 >= 0)
            free(lcores);
        if (r4 >= 0)
            free(mem);
        return -ENOMEM;
    }
    eal_push(a, argv0);
    eal_push(a, "--vdev");
    eal_push_owned(a, vdev);
    eal_push(a, "--no-huge");
    eal_push(a, "--no-pci");
    eal_push(a, "-m");
    eal_push_owned(a, mem);
    eal_push_owned(a, prefix);
    eal_push(a, "--no-shconf");
    eal_push(a, "--no-telemetry");
    eal_push(a, "--lcores");
    eal_push_owned(a, lcores);
    return 0;
}

/* The topmost folder at or above @path that everybody may write, or NULL
 * (malloc'd). */
static char *
world_writable_above(const char *path)
{
    char *p = realpath(path, NULL), *found = NULL;

    if (p == NULL)
        return NULL;
    for (;;) {
        struct stat st;
        char *slash;

        if (stat(p, &st) == 0 && (st.st_mode & S_IWOTH)) {
            free(found);
            found = strdup(p);
        }
        slash = strrchr(p, '/');
        if (slash == NULL || strcmp(p, "/") == 0)
            break;
        if (slash == p)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    free(p);
    return found;
}

/* DPDK's EAL loads no plugin (-d PATH) from below a folder everybody may
 * write, such as /tmp: it logs one line and init fails with EINVAL. Say
 * which plugin, which folder, and what to do instead. */
static void
explain_plugin_refusal(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *path = NULL;
        char *dir;

        if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "-d", 2) == 0 && argv[i][2] != '\0')
            path = argv[i] + 2;
        if (path == NULL || (dir = world_writable_above(path)) == NULL)
            continue;
        snicd_log(SNICD_LOG_ERR, "-d %s: %s is writable by everybody, and "
                  "DPDK loads no plugin from below such a folder; copy the "
                  "plugin to a folder only its owner can write (e.g. "
                  "/usr/local/lib/dpdk) or load it with LD_PRELOAD instead "
                  "of -d (net_emunic needs neither: it is built into snicd)",
                  path, dir);
        free(dir);
    }
}

/* ---- journal replay and the --flows file ---- */

static int
replay_one(void *ctx, bool add, const struct flow *f)
{
    struct snicd *d = ctx;
    struct flow_mod fm = {
        .cmd = add ? FLOW_CMD_ADD : FLOW_CMD_DELETE_STRICT,
        .flow = *f, .out_port = FLOW_PORT_ANY,
    };
    char msg[FLOW_ERROR_MSG_SIZE];
    int rc;

    /* the records' memory resident a heap step at a time, as a batch's
     * (snicd_heap.h) */
    if ((++d->replayed & 1023) == 0)
        snicd_heap_populate();
    /* its tun_metadata fields into the map's layout, as when it came in */
    if (snicd_tlv_fit(d, &fm, msg, sizeof(msg)) < 0) {
        snicd_log(SNICD_LOG_WARN, "journal record refused: %s", msg);
        return 0;
    }
    rc = flow_table_apply(d->table, &fm, snic_now_ns());
    if (rc < 0)
        snicd_log(SNICD_LOG_WARN, "journal record refused by the flow table: "
                  "%s", strerror(-rc));
    return 0;
}

static int
load_flows_file(struct snicd *d, const char *path)
    SNIC_REQUIRES(snic_control)
{
    FILE *f = fopen(path, "r");
    struct flow_mod *mods = NULL;
    size_t n = 0, cap = 0, lineno = 0, lcap = 0;
    char *line = NULL;
    int rc = 0;

    if (f == NULL) {
        snicd_log(SNICD_LOG_ERR, "--flows %s: %s", path, strerror(errno));
        return -errno;
    }
    while (getline(&line, &lcap, f) >= 0) {
        struct flow_error ferr;
        char *p = line + strspn(line, " \t");

        lineno++;
        p[strcspn(p, "\r\n")] = '\0';
        if (*p == '\0' || *p == '#')
            continue;
        if (n == cap) {
            struct flow_mod *nm;

            cap = cap ? cap * 2 : 1024;
            nm = realloc(mods, cap * sizeof(*mods));
            if (nm == NULL) {
                rc = -ENOMEM;
                goto out;
            }
            mods = nm;
        }
        rc = flow_parse(p, FLOW_CMD_ADD, &d->portmap, &mods[n], &ferr);
        if (rc >= 0)
            rc = snicd_tlv_fit(d, &mods[n], ferr.msg, sizeof(ferr.msg));
        if (rc < 0) {
            snicd_log(SNICD_LOG_ERR, "%s:%zu: %s (no flow of the file was "
                      "added)", path, lineno, ferr.msg);
            goto out;
        }
        n++;
    }
    rc = snicd_core_apply(d, mods, n, NULL);
    if (rc >= 0)
        snicd_log(SNICD_LOG_INFO, "%zu flows from %s", n, path);
out:
    free(line);
    free(mods);
    fclose(f);
    return rc < 0 ? rc : 0;
}

/* ---- the offload manager's marks ---- */

/* net_emunic's orphans' marks as snicd takes them (snicd_marks_hold). */
static int
orphan_marks(uint16_t port, struct snicd_held_mark *v, unsigned max)
{
    struct rte_pmd_emunic_orphan_mark *m = NULL;
    int n;

    if (max > 0 && (m = calloc(max, sizeof(*m))) == NULL)
        return -ENOMEM;
    n = rte_pmd_emunic_orphan_marks(port, m, max);
    for (int i = 0; i < n && (unsigned)i < max; i++)
        v[i] = (struct snicd_held_mark){ .mark = m[i].mark,
            .group = m[i].group, .jump_group = m[i].jump_group };
    free(m);
    return n;
}

static int
marks_changed(void *ctx, const struct snicd_mark *marks, unsigned n)
    SNIC_REQUIRES(snic_control)
{
    struct snicd *d = ctx;
    struct snicd_mark_table *t;

    /* the table reads the classifier's writer side and its publish
     * defers through the datapath's QSBR, both of which a publish beside
     * the commit may be using (snicd_publish.c; ThreadSanitizer reports
     * the deferral list's race without this join) */
    snicd_publish_join(d);
    t = snicd_marks_merge_held(d, marks, n);

    if (t == NULL) {
        /* the offload manager keeps them and retries at its next commit;
         * meanwhile it creates no rule marking with a new decap mark */
        snicd_log(SNICD_LOG_ERR, "mark table: out of memory (retried at "
                  "the next commit)");
        return -ENOMEM;
    }
    snicd_marks_publish(d, t);
    return 0;
}

static int
start_offload(struct snicd *d)
{
    const struct snicd_port_info *up =
        snicd_ports_by_ofport(&d->ports, SNICD_OFPORT_UPLINK);
    struct snicd_offload_cfg cfg = {
        .proxy_port = up->ethdev, .enabled = true,
        .ports = d->ports.v, .n_ports = d->ports.n,
        .marks_changed = marks_changed, .ctx = d,
        .no_flow_queue = d->flow_queue_size == 0,
        .queue_timeout_ms = d->queue_timeout_ms,
        .conv_max = d->normal_rules,
    };
    struct rte_flow_error ferr;
    uint16_t proxy;

    if (rte_flow_pick_transfer_proxy(up->ethdev, &proxy, &ferr) == 0)
        cfg.proxy_port = proxy;
    d->offload = snicd_offload_create(&cfg);
    if (d->offload == NULL) {
        snicd_log(SNICD_LOG_ERR, "offload manager: %s", strerror(errno));
        return -errno;
    }
    return 0;
}

static int
open_journal(struct snicd *d, const struct snicd_opts *o)
    SNIC_REQUIRES(snic_control)
{
    char *path = NULL;
    size_t n = 0;

    if (o->no_journal)
        return 0;
    if (o->journal != NULL) {
        path = strdup(o->journal);
        if (path != NULL)
            mkdir_parent(path);
    } else {
        /* the journal's default place is the run folder, checked before
         * anything is written in it (the control socket's check) */
        int fd = ctl_rundir_prepare(o->rundir, (gid_t)-1);

        if (fd < 0) {
            snicd_log(SNICD_LOG_ERR, "run folder %s: %s", o->rundir,
                      ctl_rundir_strerror(-fd));
            return fd;
        }
        close(fd);
        if (asprintf(&path, "%s/flows.journal", o->rundir) < 0)
            path = NULL;
    }
    if (path == NULL)
        return -ENOMEM;
    {
        char *tlv = NULL;
        int rc = asprintf(&tlv, "%s.tlv", path) < 0 ? -ENOMEM
                 : snicd_tlv_load(d, tlv);

        free(tlv);
        if (rc < 0) {
            free(path);
            return rc;
        }
    }
    d->replaying = true;
    d->journal = snicd_journal_open(path, replay_one, d, &n);
    d->replaying = false;
    if (d->journal == NULL) {
        int rc = -errno;

        snicd_log(SNICD_LOG_ERR, "journal %s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    free(path);
    snicd_log(SNICD_LOG_INFO, "journal %s: %zu records, %zu flows restored",
              snicd_journal_path(d->journal), n,
              flow_table_count(d->table, FLOW_TABLE_ALL));
    if (snicd_journal_needs_rewrite(d->journal)) {
        /* format 1: nothing may be appended to it */
        int rc = snicd_journal_compact(d->journal, d->table);

        if (rc < 0) {
            snicd_log(SNICD_LOG_ERR, "journal %s: cannot rewrite it in the "
                      "current format: %s", snicd_journal_path(d->journal),
                      strerror(-rc));
            return rc;
        }
        snicd_log(SNICD_LOG_INFO, "journal %s: rewritten in format 2",
                  snicd_journal_path(d->journal));
    }
    return 0;
}

/* When each step of a start ended (snic_now_ns), and the control
 * thread's CPU time then, for the lines that say where the start went: on
 * a machine shared with other work the wall times stretch, the CPU times
 * much less. The CPU time at main() is what the dynamic loader and the
 * constructors took before it. */
enum start_step {
    START_MAIN, START_EAL, START_REPLAYED, START_PORTS, START_JOURNAL,
    START_SOFTWARE, START_OFFLOAD, START_ORPHANS, START_READY, START_N
};

struct start_clock {
    uint64_t wall[START_N];
    uint64_t cpu[START_N];
};

static uint64_t
thread_cpu_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
start_mark(struct start_clock *c, enum start_step step)
{
    c->wall[step] = snic_now_ns();
    c->cpu[step] = thread_cpu_ns();
}

static double
ms_between(uint64_t a, uint64_t b)
{
    return (double)(b - a) / 1e6;
}

/* @replay: when the replay thread finished (wall) and its CPU time. */
static void
start_log(const struct start_clock *c, uint64_t replay_wall,
          uint64_t replay_cpu)
{
    const uint64_t *w = c->wall, *u = c->cpu;

    snicd_log(SNICD_LOG_INFO, "started in %.1f ms: EAL and the device's "
              "probe %.1f (the journal replayed beside it, done at %.1f), "
              "the mbuf pool and the replay's end %.1f, ports and workers %.1f, "
              "--flows "
              "%.1f, software datapath published %.1f (software path "
              "forwarding at %.1f), offload commit %.1f, orphans purged "
              "%.1f", ms_between(w[START_MAIN], w[START_READY]),
              ms_between(w[START_MAIN], w[START_EAL]),
              ms_between(w[START_MAIN], replay_wall),
              ms_between(w[START_EAL], w[START_REPLAYED]),
              ms_between(w[START_REPLAYED], w[START_PORTS]),
              ms_between(w[START_PORTS], w[START_JOURNAL]),
              ms_between(w[START_JOURNAL], w[START_SOFTWARE]),
              ms_between(w[START_MAIN], w[START_SOFTWARE]),
              ms_between(w[START_SOFTWARE], w[START_OFFLOAD]),
              ms_between(w[START_OFFLOAD], w[START_ORPHANS]));
    snicd_log(SNICD_LOG_INFO, "start CPU time (control thread) %.1f ms: "
              "loader before main %.1f, EAL and probe %.1f, mbuf pool %.1f, "
              "ports and workers %.1f, --flows %.1f, software datapath "
              "published "
              "%.1f, offload commit %.1f, orphans purged %.1f; the journal "
              "replay's thread %.1f", ms_between(0, u[START_READY]),
              ms_between(0, u[START_MAIN]),
              ms_between(u[START_MAIN], u[START_EAL]),
              ms_between(u[START_EAL], u[START_REPLAYED]),
              ms_between(u[START_REPLAYED], u[START_PORTS]),
              ms_between(u[START_PORTS], u[START_JOURNAL]),
              ms_between(u[START_JOURNAL], u[START_SOFTWARE]),
              ms_between(u[START_SOFTWARE], u[START_OFFLOAD]),
              ms_between(u[START_OFFLOAD], u[START_ORPHANS]),
              ms_between(0, replay_cpu));
}

/* ---- the journal replayed beside the EAL ---- */

/* The desired state back while rte_eal_init runs: the flow table and the
 * software datapath (snicd_core_init), the journal replayed into them
 * and the classifier built (dp_commit: no worker runs yet). None of it
 * touches DPDK, and the control thread touches none of it until it has
 * joined this thread, so this thread has the control thread's part
 * meanwhile. Its log lines are held (snicd_log_hold) and written after
 * the join: rte_eal_init sets the log's stream and levels meanwhile. */
struct replay_job {
    struct snicd *d;
    const struct snicd_opts *o;
    struct snicd_log_held log;
    int rc;                     /* snicd_core_init's or the journal's */
    uint64_t wall_done;         /* snic_now_ns() when done */
    uint64_t cpu;               /* this thread's CPU time, ns */
    pthread_t thread;
    bool inline_done;           /* no thread: done before the EAL */
};

static void *
replay_main(void *arg)
{
    struct replay_job *j = arg;
    struct snicd *d = j->d;

    snic_role_enter(&snic_control);
    snicd_log_hold(&j->log);
    j->rc = snicd_core_init(d);
    if (j->rc == 0)
        j->rc = open_journal(d, j->o);
    if (j->rc == 0) {
        int rc = dp_commit(d->dp);

        if (rc < 0)     /* the first commit after the join says it again */
            snicd_log(SNICD_LOG_WARN, "datapath commit: %s", strerror(-rc));
    }
    snicd_log_hold(NULL);
    j->wall_done = snic_now_ns();
    j->cpu = thread_cpu_ns();
    return NULL;
}

/* Starts @j's thread; without one, does the work now. */
static void
replay_start(struct replay_job *j)
{
    if (pthread_create(&j->thread, NULL, replay_main, j) != 0) {
        replay_main(j);
        j->inline_done = true;
        return;
    }
    /* its own name in top -H and perf (best effort) */
    (void)pthread_setname_np(j->thread, "snicd-replay");
}

/* Waits for @j's thread and writes its log lines; its result. */
static int
replay_join(struct replay_job *j)
{
    if (!j->inline_done)
        pthread_join(j->thread, NULL);
    snicd_log_release(&j->log);
    return j->rc;
}

static void
ctl_log(const char *line)
{
    snicd_log(SNICD_LOG_WARN, "%s", line);
}

static void
control_loop(struct snicd *d, struct ctl_server *srv)
    SNIC_REQUIRES(snic_control)
{
    uint64_t last = snic_now_ns();
    bool busy = false;

    /* One turn, in this order: requests (flows in, replies out); port
     * events (ports restarted); the hardware brought in line with them;
     * the device watch (gone? back?); flows the datapath learned;
     * counters and timeouts (a pass once a second, a slice per turn:
     * snicd_core_refresh_step); the handles of rules a firmware reset
     * took (snicd_offload_reap); the datapath's memory
     * reclamation; after bulk changes, the heap's free pages back to
     * the system (snicd_core_heap_trim). */
    while (!stop_requested) {
        /* a refresh pass under way: serve what is ready, then go on */
        int rc = ctl_server_run_once(srv, busy ? 0 : 100);
        struct snicd_port_events ev;
        uint64_t now;

        if (rc < 0 && rc != -EINTR) {
            snicd_log(SNICD_LOG_ERR, "control socket: %s", strerror(-rc));
            break;
        }
        snicd_ports_process_events(d, &ev);
        snicd_resync_ports(d, &ev);
        if (ev.lsc) {
            /* a link went up or down: bundle's live members */
            snicd_ports_refresh(d);
            snicd_switch_publish(d);
        }
        rc = snicd_device_poll(d, ev.lsc);
        if (rc > 0)
            snicd_resync_device(d, rc);
        /* learned flows reach the table within one pass (<= 100 ms) */
        snicd_learn_drain(d);
        /* NORMAL's conversations: new ones to the card, those the FDB
         * no longer backs off it (their counters are read with the
         * flows': snicd_core_read_hw) */
        snicd_normal_drain(d);
        snicd_normal_revalidate(d, false);
        now = snic_now_ns();
        if (now - last >= 1000000000ull && !d->refresh_active) {
            snicd_core_refresh_begin(d);
            snicd_txn_expire(d, now);
            last = now;
        }
        busy = snicd_core_refresh_step(d);
        /* what the PMD kept of the rules a reset took, a slice a turn
         * (a few milliseconds: each handle is a cache miss or two, and a
         * request waits for the slice) */
        if (d->offload != NULL && snicd_offload_reap(d->offload, 4096) > 0)
            busy = true;
        dp_poll(d->dp);
        snicd_core_heap_trim(d);
    }
}

int
main(int argc, char **argv)
{
    static struct snicd d;      /* large: static, zero-initialised */
    struct snicd_opts o;
    struct eal_args ea = { .n = 0 };
    struct ctl_server *srv = NULL;
    char err[256] = "";
    int sep = 0, rc, exit_code = 1;
    struct snic_emunic emunic = { .pid = 0 };
    gid_t gid = (gid_t)-1;
    char *runtime_dir = NULL;
    struct start_clock clk;
    struct replay_job replay = { .d = &d, .o = &o };

    start_mark(&clk, START_MAIN);
    snic_role_enter(&snic_control);    /* this is the control thread */
    snicd_heap_init();                 /* before the heap grows */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            sep = i;
            break;
        }
    /* argv[sep] becomes the options' argv[0] */
    rc = sep ? snicd_opts_parse(argc - sep, argv + sep, &o, err, sizeof(err))
             : snicd_opts_parse(argc, argv, &o, err, sizeof(err));
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "snicd: %s\n", err);
        return rc < 0 ? 2 : 0;
    }
    snicd_log_set_level(o.log_level);
    if (o.group != NULL) {
        rc = snic_peer_group_lookup(o.group, &gid);
        if (rc < 0) {
            fprintf(stderr, "snicd: --group '%s': %s\n", o.group,
                    rc == -ENOENT ? "no such group" : strerror(-rc));
            return 2;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (sep <= 1) {
        if (ensure_emunic(&o, &emunic) < 0)
            return 1;           /* said why */
        if (default_eal_args(&o, argv[0], &ea) < 0)
            goto out_emunic;
        /* the pool's memory populated while the EAL starts (no PCI, no
         * hugepages with these arguments): the PF, a representor per VF,
         * sized as below */
        snicd_mbuf_mem_prepare((unsigned)mbufs_for(&o, o.vfs + 1));
    } else {
        for (int i = 0; i < sep; i++)
            eal_push(&ea, argv[i]);
    }
    ea.v[ea.n] = NULL;
    d.has_vxlan = o.has_vxlan;
    d.vxlan = o.vxlan;
    d.port_cfg = o.ports;
    d.n_port_cfg = o.n_ports;
    d.patches = o.patches;
    d.n_patches = o.n_patches;
    d.n_queues = o.workers;
    d.flow_queue_size = o.offload ? o.flow_queue_size : 0;
    d.queue_timeout_ms = o.queue_timeout_ms;
    d.normal_rules = o.normal_rules;
    d.orphans_purge = rte_pmd_emunic_orphans_purge;
    d.orphan_marks = orphan_marks;
    /* the flows first into the software datapath; the earlier snicd's
     * rules forward meanwhile, their marks read from the card; the
     * offload manager hears of the flows at its release */
    d.offload_held = true;
    replay_start(&replay);

    rc = rte_eal_init(ea.n, ea.v);
    if (rc < 0) {
        int err = rte_errno;

        (void)replay_join(&replay);
        snicd_log(SNICD_LOG_ERR, "EAL: %s", rte_strerror(err));
        explain_plugin_refusal(ea.n, ea.v);
        goto out_emunic;
    }
    start_mark(&clk, START_EAL);
    if (snicd_tsc_window_ns() > 0)
        snicd_log(SNICD_LOG_INFO, "TSC %.0f MHz, measured over the start's "
                  "first %.1f ms (not in the EAL's 100 ms sleep: "
                  "snicd_tsc.c)", (double)rte_get_tsc_hz() / 1e6,
                  (double)snicd_tsc_window_ns() / 1e6);
    /* a secondary shares its primary's folder: only a primary removes it */
    if (rte_eal_process_type() == RTE_PROC_PRIMARY)
        runtime_dir = strdup(rte_eal_get_runtime_dir());
    /* The default prefix is snicd-PID and --no-shconf writes nothing in
     * its folder, so whatever is there was left by a killed snicd that had
     * this PID before us (PIDs wrap): clear it, or our folder would carry
     * its files and never look like ours. */
    if (sep <= 1 && runtime_dir != NULL)
        snic_eal_dir_empty(runtime_dir);
    if (o.normal_rules_off_aging)
        snicd_log(SNICD_LOG_INFO, "NORMAL stays in software: --mac-aging "
                  "%u is shorter than the %u s conversation rules need "
                  "(their MACs are refreshed from the card once a second)",
                  o.mac_aging, SNICD_NORMAL_MIN_AGING);
    d.mempool = snicd_mbuf_pool_create("snicd_mbufs",
        (unsigned)mbufs_for(&o, rte_eth_dev_count_avail()),
        256, (int)rte_socket_id());
    if (d.mempool == NULL) {
        int err = rte_errno;

        if (replay_join(&replay) == 0 || d.dp != NULL)
            snicd_core_fini(&d);
        snicd_log(SNICD_LOG_ERR, "mbuf pool: %s", rte_strerror(err));
        goto out_eal;
    }
    /* The card's META (pkt_mark) reaches snicd in this mbuf field, which
     * PMDs fill only once an application registered it: without it a
     * flow that writes pkt_mark before a jump is not offloaded whole
     * (partial or software: snicd_xlate_ctx.meta_to_host). */
    if (o.offload && rte_flow_dynf_metadata_register() < 0)
        snicd_log(SNICD_LOG_WARN, "rx metadata field: %s (pkt_mark "
                  "writes before goto_table are not offloaded whole)",
                  rte_strerror(rte_errno));
    rc = replay_join(&replay);
    start_mark(&clk, START_REPLAYED);
    if (rc < 0) {
        if (d.dp != NULL)       /* the journal failed, not the tables */
            goto out_core;
        goto out_pool;
    }
    if (o.local_iface != NULL
        && snicd_ports_probe_local(&d, o.local_iface) < 0)
        goto out_core;
    if (snicd_ports_init(&d) < 0)
        goto out_core;
    if (snicd_switch_check(&d) < 0)
        goto out_ports;
    snicd_core_ports_ready(&d);
    snicd_switch_publish(&d);
    if (o.mac_aging != 0)
        dp_set_mac_aging(d.dp, o.mac_aging);
    if (o.has_vxlan && dp_set_vxlan_ports(d.dp, &d.vxlan, 1) < 0)
        goto out_ports;
    if (o.offload && start_offload(&d) < 0)
        goto out_ports;
    if (snicd_workers_start(&d, o.workers) < 0)
        goto out_workers;
    start_mark(&clk, START_PORTS);
    if (o.flows_file != NULL && load_flows_file(&d, o.flows_file) < 0)
        goto out_workers;
    start_mark(&clk, START_JOURNAL);
    snicd_marks_hold(&d);
    if (snicd_core_commit(&d) < 0)
        goto out_workers;
    start_mark(&clk, START_SOFTWARE);
    /* then the hardware: the offload manager hears of the flows,
     * identical rules are adopted, the others placed */
    snicd_core_offload_release(&d);
    (void)snicd_core_commit(&d);
    start_mark(&clk, START_OFFLOAD);
    /* the desired state is in the card: what the previous snicd left
     * there and no flow adopted goes now (with --no-offload, all of it) */
    snicd_resync_orphans(&d);
    start_mark(&clk, START_ORPHANS);
    srv = ctl_server_create(o.rundir, gid, snicd_ctl_methods,
                            snicd_ctl_n_methods, &d);
    if (srv == NULL) {
        snicd_log(SNICD_LOG_ERR, "control socket in %s: %s", o.rundir,
                  ctl_rundir_strerror(errno));
        goto out_workers;
    }
    ctl_server_set_log(srv, ctl_log);
    if (ctl_server_add_streams(srv, snicd_ctl_streams,
                               snicd_ctl_n_streams) < 0) {
        snicd_log(SNICD_LOG_ERR, "control socket: out of memory");
        goto out_ctl;
    }
    snicd_log(SNICD_LOG_INFO, "ready: %u ports, %s, control socket %s",
              d.ports.n, o.offload ? "offload on" : "offload off",
              ctl_server_path(srv));
    start_mark(&clk, START_READY);
    start_log(&clk, replay.wall_done, replay.cpu);
    control_loop(&d, srv);
    exit_code = 0;
    snicd_log(SNICD_LOG_INFO, "stopping");
out_ctl:
    ctl_server_destroy(srv);
out_workers:
    snicd_workers_stop(&d);
out_ports:
    snicd_txn_fini(&d);         /* open add-flows transactions: nothing */
    snicd_core_fini(&d);        /* hardware rules go; the journal stays */
    snicd_ports_fini(&d);
    goto out_pool;
out_core:
    snicd_core_fini(&d);
out_pool:
    rte_mempool_free(d.mempool);
out_eal:
    /* not snic_eal_cleanup(): a secondary (runtime_dir NULL) shares its
     * primary's folder and must leave it */
    rte_eal_cleanup();
    if (runtime_dir != NULL && (rc = snic_eal_dir_remove(runtime_dir)) < 0)
        fprintf(stderr, "snicd: warning: DPDK runtime folder %s: %s (left "
                "behind)\n", runtime_dir, strerror(-rc));
    free(runtime_dir);
out_emunic:
    snic_emunic_stop(&emunic, 2000);
    for (int i = 0; i < ea.n_owned; i++)
        free(ea.owned[i]);
    return exit_code;
}
