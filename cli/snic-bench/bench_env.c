/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the harness sets up around a measurement, and takes down again:
 * the private run dir, hugepages (reserved on top of what the machine has,
 * mounted privately, given back by the count added), the emunic card and
 * snicd as child processes, and DPDK's runtime folders of the file
 * prefixes we chose. Children run in their own session (a terminal's
 * Ctrl-C reaches only the harness, which then stops them in order) and die
 * with the harness if it is killed (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snic/ctl.h"
#include "bench.h"

#define NR_HUGEPAGES    "/proc/sys/vm/nr_hugepages"

void
bench_log(const struct bench_opts *o, const char *fmt, ...)
{
    va_list ap;

    if (o != NULL && o->quiet)
        return;
    va_start(ap, fmt);
    fputs("snic-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int
bench_split_args(const char *s, char **store, char **argv, unsigned max,
                 unsigned *n)
{
    char *save = NULL, *tok;

    *store = strdup(s != NULL ? s : "");
    if (*store == NULL)
        return -ENOMEM;
    for (tok = strtok_r(*store, " \t\n", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\n", &save)) {
        if (*n >= max)
            return -E2BIG;
        argv[(*n)++] = tok;
    }
    return 0;
}

int64_t
bench_cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long ut, st;
    ssize_t n;
    int fd;
    char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    buf[n] = '\0';
    /* the command name may hold blanks and parentheses: skip past the
     * last ')'; utime and stime are fields 14 and 15 */
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
                            "%*u %*u %llu %llu", &ut, &st) != 2)
        return -EIO;
    return (int64_t)(ut + st);
}

/* ---- hugepages ---- */

static long
read_nr_hugepages(void)
{
    FILE *f = fopen(NR_HUGEPAGES, "r");
    long v = -1;

    if (f == NULL)
        return -errno;
    if (fscanf(f, "%ld", &v) != 1)
        v = -EIO;
    fclose(f);
    return v;
}

static int
write_nr_hugepages(long v)
{
    FILE *f = fopen(NR_HUGEPAGES, "w");
    int rc = 0;

    if (f == NULL)
        return -errno;
    if (fprintf(f, "%ld\n", v) < 0)
        rc = -EIO;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void
rm_tree(const char *path)
{
    if (path[0] != '\0')
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Give back exactly what we added: someone else may have reserved more
 * in the meantime, and theirs stays. */
static void
huge_release(struct bench_env *e)
{
    if (e->huge_dir[0] != '\0') {
        /* DPDK leaves its page files behind unless told otherwise */
        rm_tree(e->huge_dir);
        if (umount2(e->huge_dir, 0) < 0)
            umount2(e->huge_dir, MNT_DETACH);
        rmdir(e->huge_dir);
        e->huge_dir[0] = '\0';
    }
    if (e->huge_added > 0) {
        long now = read_nr_hugepages();

        if (now >= 0)
            write_nr_hugepages(now > (long)e->huge_added
                               ? now - (long)e->huge_added : 0);
        e->huge_added = 0;
    }
    e->huge = false;
}

static int
huge_reserve(struct bench_env *e, const struct bench_opts *o)
{
    long before = read_nr_hugepages(), now;

    if (before < 0)
        return (int)before;
    if (write_nr_hugepages(before + o->huge_pages) < 0) {
        bench_log(o, "cannot write %s: running without hugepages",
                  NR_HUGEPAGES);
        return -EPERM;
    }
    now = read_nr_hugepages();
    e->huge_added = now > before ? (unsigned)(now - before) : 0;
    if (e->huge_added < o->huge_pages) {
        bench_log(o, "the kernel gave only %u of %u hugepages: running "
                  "without hugepages", e->huge_added, o->huge_pages);
        huge_release(e);
        return -ENOMEM;
    }
    snprintf(e->huge_dir, sizeof(e->huge_dir), "%s/huge", e->dir);
    if (mkdir(e->huge_dir, 0700) < 0
        || mount("nodev", e->huge_dir, "hugetlbfs", 0, "pagesize=2M") < 0) {
        bench_log(o, "cannot mount hugetlbfs on %s (%s): running without "
                  "hugepages", e->huge_dir, strerror(errno));
        rmdir(e->huge_dir);
        e->huge_dir[0] = '\0';
        huge_release(e);
        return -EPERM;
    }
    e->huge = true;
    bench_log(o, "reserved %u hugepages of 2 MB on %s (given back at exit)",
              e->huge_added, e->huge_dir);
    return 0;
}

/* ---- the run dir ---- */

int
bench_env_open(struct bench_env *e, const struct bench_opts *o)
{
    memset(e, 0, sizeof(*e));
    e->clk_tck = sysconf(_SC_CLK_TCK);
    if (o->run_dir != NULL) {
        if (mkdir(o->run_dir, 0755) < 0 && errno != EEXIST)
            return -errno;
        if (realpath(o->run_dir, e->dir) == NULL)
            return -errno;
    } else {
        snprintf(e->dir, sizeof(e->dir), "/tmp/snic-bench.XXXXXX");
        if (mkdtemp(e->dir) == NULL)
            return -errno;
    }
    /* DPDK loads no plugin from a world-writable path; keep ours 0755 */
    chmod(e->dir, 0755);
    snprintf(e->card_sock, sizeof(e->card_sock), "%s/nic", e->dir);
    snprintf(e->prefix, sizeof(e->prefix), "snic-bench-%d", (int)getpid());
    snprintf(e->snicd_prefix, sizeof(e->snicd_prefix), "snic-bench-%d-d",
             (int)getpid());
    if (o->hugepages > 0)
        huge_reserve(e, o);
    return 0;
}

static void
rm_dpdk_runtime(const char *prefix)
{
    char path[300];
    const char *xdg = getenv("XDG_RUNTIME_DIR");

    if (geteuid() == 0)
        snprintf(path, sizeof(path), "/var/run/dpdk/%s", prefix);
    else
        snprintf(path, sizeof(path), "%s/dpdk/%s", xdg ? xdg : "/tmp",
                 prefix);
    rm_tree(path);
}

void
bench_env_close(struct bench_env *e, const struct bench_opts *o)
{
    if (e->dir[0] == '\0')
        return;
    bench_env_stop(&e->snicd, 60);
    snic_emunic_stop(&e->emunic, 10000);
    huge_release(e);
    rm_dpdk_runtime(e->prefix);
    rm_dpdk_runtime(e->snicd_prefix);
    if (o->run_dir == NULL)
        rm_tree(e->dir);
    else
        bench_log(o, "logs kept in %s", e->dir);
    e->dir[0] = '\0';
}

/* ---- child processes ---- */

static int
spawn(struct bench_child *c, const char *name, const char *log,
      char *const argv[])
{
    pid_t parent = getpid(), pid;

    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->log, sizeof(c->log), "%s", log);
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        setsid();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0
            || dup2(fd, 2) < 0)
            _exit(127);
        execv(argv[0], argv);
        dprintf(2, "snic-bench: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    c->pid = pid;
    return 0;
}

/* 0 if it was running and left on SIGTERM, -ETIMEDOUT after SIGKILL. */
int
bench_env_stop(struct bench_child *c, double timeout_s)
{
    double end = snic_now_s() + timeout_s;
    int status, rc = 0;

    if (c->pid <= 0)
        return 0;
    kill(c->pid, SIGTERM);
    while (waitpid(c->pid, &status, WNOHANG) == 0) {
        if (snic_now_s() > end) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            rc = -ETIMEDOUT;
            break;
        }
        usleep(10000);
    }
    c->pid = 0;
    return rc;
}

static bool
child_alive(struct bench_child *c)
{
    int status;

    if (c->pid <= 0)
        return false;
    if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
        c->pid = 0;
        return false;
    }
    return true;
}

int
bench_env_start_emunic(struct bench_env *e, const struct bench_opts *o,
                       uint32_t max_flows)
{
    /* its own session: a ^C at the terminal is ours to handle; killed if
     * we die, however we die */
    const struct snic_emunic_how how = {
        .log = e->emunic_log, .wait_ms = 10000, .death_signal = SIGKILL,
        .own_session = true, .cancel = &bench_stop,
    };
    char counters[32];
    const char *args[] = {
        "--num-vfs", "1", "--mode", "switchdev", "--profile", o->profile,
        "--max-counters", counters, "--quiet", NULL,
    };
    int rc;

    /* every flow takes a counter; the profile's default is 64 K */
    snprintf(counters, sizeof(counters), "%u",
             max_flows + 4096 > 65536 ? max_flows + 4096 : 65536);
    snprintf(e->emunic_log, sizeof(e->emunic_log), "%s/emunic.log", e->dir);
    unlink(e->emunic_log);      /* the card appends: this run's alone */
    rc = snic_emunic_start(&e->emunic, o->emunic, e->card_sock, args, &how);
    if (rc < 0)
        fprintf(stderr, "snic-bench: %s\n", e->emunic.err);
    return rc;
}

/* snicd's EAL arguments on emunic: the PF with one representor, the same
 * memory set-up as the harness, lcores floating over every CPU. */
static int
snicd_argv(struct bench_env *e, const struct bench_opts *o,
           enum bench_path path, char **store, char **argv, unsigned *n)
{
    static char vdev[400], lcores[64], workers[16];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int rc = 0;

    argv[(*n)++] = o->snicd;
    if (o->external) {
        rc = bench_split_args(o->snicd_eal, &store[0], argv,
                              BENCH_MAX_ARGS - 20, n);
    } else {
        snprintf(vdev, sizeof(vdev), "net_emunic0,socket=%s,"
                 "representor=vf[0]", e->card_sock);
        snprintf(lcores, sizeof(lcores), "(0-%u)@(0-%ld)", o->workers,
                 ncpu > 1 ? ncpu - 1 : 0);
        argv[(*n)++] = (char *)"--vdev";
        argv[(*n)++] = vdev;
        argv[(*n)++] = (char *)"--no-pci";
        if (e->huge) {
            argv[(*n)++] = (char *)"--huge-dir";
            argv[(*n)++] = e->huge_dir;
        } else {
            argv[(*n)++] = (char *)"--no-huge";
        }
        argv[(*n)++] = (char *)"-m";
        argv[(*n)++] = (char *)"512";
        argv[(*n)++] = (char *)"--file-prefix";
        argv[(*n)++] = e->snicd_prefix;
        argv[(*n)++] = (char *)"--no-telemetry";
        argv[(*n)++] = (char *)"--lcores";
        argv[(*n)++] = lcores;
    }
    snprintf(e->ctl_dir, sizeof(e->ctl_dir), "%s/ctl-%s", e->dir,
             bench_path_name[path]);
    snprintf(workers, sizeof(workers), "%u", o->workers);
    argv[(*n)++] = (char *)"--";
    argv[(*n)++] = (char *)"--rundir";
    argv[(*n)++] = e->ctl_dir;
    argv[(*n)++] = (char *)"--journal";
    argv[(*n)++] = (char *)"none";
    argv[(*n)++] = (char *)"--log-level";
    argv[(*n)++] = (char *)"warning";
    argv[(*n)++] = (char *)"--workers";
    argv[(*n)++] = workers;
    if (path == BENCH_SOFTWARE)
        argv[(*n)++] = (char *)"--no-offload";
    if (rc == 0 && o->snicd_opts != NULL)
        rc = bench_split_args(o->snicd_opts, &store[1], argv,
                              BENCH_MAX_ARGS, n);
    argv[*n] = NULL;
    return rc;
}

int
bench_env_start_snicd(struct bench_env *e, const struct bench_opts *o,
                      enum bench_path path)
{
    char *argv[BENCH_MAX_ARGS + 1], *store[2] = { NULL, NULL }, log[300];
    double end = snic_now_s() + 30;
    unsigned n = 0;
    int rc;

    rc = snicd_argv(e, o, path, store, argv, &n);
    if (rc < 0) {
        fprintf(stderr, "snic-bench: --snicd-eal, --snicd-opts: too many "
                "arguments\n");
        goto out_store;
    }
    snprintf(log, sizeof(log), "%s/snicd-%s.log", e->dir,
             bench_path_name[path]);
    rc = spawn(&e->snicd, "snicd", log, argv);
    if (rc < 0)
        goto out_store;
    for (;;) {
        struct ctl_client *c = bench_ctl_open(e, 0);

        if (c != NULL) {
            struct bench_placed p;

            rc = bench_ctl_placed(c, &p);
            ctl_client_close(c);
            if (rc == 0)
                break;
        }
        if (!child_alive(&e->snicd) || snic_now_s() > end || bench_stop) {
            fprintf(stderr, "snic-bench: snicd (%s) did not start (see "
                    "%s)\n", bench_path_name[path], log);
            bench_env_stop(&e->snicd, 5);
            rc = -ECHILD;
            goto out_store;
        }
        usleep(50000);
    }
    rc = 0;
out_store:
    free(store[0]);
    free(store[1]);
    return rc;
}
