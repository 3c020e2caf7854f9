/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: the real emunic process, driven through fw_chan over its
 * socket: handshake, batches, output routing, VF functions.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test_child.h"
#include "../../firmware-api/fw_sock.h"
#include "fw_test_emunic.h"
#include "snic/fw_chan.h"
#include "snic_clock.h"

#define TMO 3000

static struct snic_emunic emu;

static void
fini(void)
{
    fw_test_emunic_stop(&emu);
}

TestSuite(fw_chan, .fini = fini, .timeout = 20);

static struct fw_chan *
start_and_open(const char *const *args)
{
    struct fw_chan *ch;

    cr_assert_eq(fw_test_emunic_start(&emu, args), 0, "emunic did not start");
    ch = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(ch, "fw_chan_open: %s", strerror(errno));
    return ch;
}

Test(fw_chan, hello_negotiates)
{
    struct fw_chan *ch = start_and_open(NULL);

    cr_expect_eq(fw_chan_function(ch), FW_FUNC_PF);
    cr_expect_eq(fw_chan_abi_minor(ch), FW_ABI_MINOR);
    cr_expect_geq(fw_chan_depth(ch), 64u);
    cr_expect_eq(fw_chan_depth(ch) & (fw_chan_depth(ch) - 1), 0u);
    cr_expect_eq(fw_chan_space(ch), fw_chan_depth(ch));
    cr_expect_eq(fw_chan_inflight(ch), 0u);
    cr_expect_eq(fw_chan_health(ch), FW_HEALTH_OK);
    cr_expect_not(fw_chan_dead(ch));
    cr_expect_geq(fw_chan_fd(ch), 0);
    fw_chan_close(ch);
}

Test(fw_chan, no_device_is_enoent)
{
    cr_assert_eq(fw_test_emunic_start(&emu, NULL), 0);
    cr_expect_null(fw_chan_open("/nonexistent/snic/nic", 100));
    cr_expect_eq(errno, ENOENT);
    char p[160];
    cr_expect_null(fw_chan_open(fw_test_path(&emu, ".vf0", p, sizeof(p)), 100),
                   "VF socket present with SR-IOV disabled");
}

/* A raw client asking for ABI major 2 is refused with no descriptors and
 * told the device's major. */
Test(fw_chan, version_mismatch_refused_by_device)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct fw_hello h = { .abi_major = FW_ABI_MAJOR + 1 };
    struct fw_hello_reply rep;
    unsigned nfds = 9;
    int fds[3];
    ssize_t n;
    int s;

    cr_assert_eq(fw_test_emunic_start(&emu, NULL), 0);
    strcpy(sa.sun_path, emu.sock);
    s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    cr_assert_eq(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    fw_sock_hdr(&h.hdr, FW_MSG_HELLO, sizeof(h));
    cr_assert_eq(fw_sock_send(s, &h, sizeof(h), NULL, 0), 0);
    cr_assert_eq(fw_sock_wait(s, POLLIN, TMO), 1);
    n = fw_sock_recv(s, &rep, sizeof(rep), fds, 3, &nfds, 0);
    cr_assert_eq(n, (ssize_t)sizeof(rep));
    cr_expect_eq(rep.hdr.type, FW_MSG_HELLO_REPLY);
    cr_expect_neq(rep.status, FW_STATUS_OK);
    cr_expect_eq(rep.abi_major, FW_ABI_MAJOR);
    cr_expect_eq(nfds, 0u);
    /* and the device hangs up on it */
    cr_expect_eq(fw_sock_wait(s, POLLIN, TMO), 1);
    cr_expect_eq(fw_sock_recv(s, &rep, sizeof(rep), fds, 3, &nfds, 0), 0);
    close(s);
}

/* A device of another major: fw_chan_open must say EPROTO, not map. */
static void *
fake_device(void *arg)
{
    int ls = *(int *)arg, s;
    struct fw_hello h;
    struct fw_hello_reply rep = { .status = FW_STATUS_OK,
                                  .abi_major = FW_ABI_MAJOR + 1 };
    unsigned nfds;

    s = accept(ls, NULL, NULL);
    if (s < 0)
        return NULL;
    fw_sock_recv(s, &h, sizeof(h), NULL, 0, &nfds, 0);
    fw_sock_hdr(&rep.hdr, FW_MSG_HELLO_REPLY, sizeof(rep));
    fw_sock_send(s, &rep, sizeof(rep), NULL, 0);
    usleep(100000);
    close(s);
    return NULL;
}

Test(fw_chan, version_mismatch_is_eproto)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char dir[] = "/tmp/snic-fw-fake.XXXXXX";
    pthread_t t;
    int ls;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/nic", dir);
    ls = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    cr_assert_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(ls, 1), 0);
    pthread_create(&t, NULL, fake_device, &ls);
    errno = 0;
    cr_expect_null(fw_chan_open(sa.sun_path, TMO));
    cr_expect_eq(errno, EPROTO, "errno %d (%s)", errno, strerror(errno));
    pthread_join(t, NULL);
    close(ls);
    unlink(sa.sun_path);
    rmdir(dir);
}

/* A device that accepts but never answers: open gives up on time. */
Test(fw_chan, silent_device_times_out)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char dir[] = "/tmp/snic-fw-fake.XXXXXX";
    int64_t t0;
    long ms;
    int ls;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/nic", dir);
    ls = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    cr_assert_eq(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(ls, 1), 0);
    t0 = snic_now_ms();
    errno = 0;
    cr_expect_null(fw_chan_open(sa.sun_path, 200));
    cr_expect_eq(errno, ETIMEDOUT, "errno %d (%s)", errno, strerror(errno));
    ms = (long)(snic_now_ms() - t0);
    cr_expect(ms >= 190 && ms < 2000, "took %ld ms", ms);
    close(ls);
    unlink(sa.sun_path);
    rmdir(dir);
}

Test(fw_chan, query_adapter)
{
    const char *args[] = { "--max-vfs", "4", NULL };
    struct fw_chan *ch = start_and_open(args);
    struct fw_cmd_hdr in = { 0 };
    struct fw_query_adapter_out out;
    uint8_t st = 0xff;
    uint32_t syn = 1;

    memset(&out, 0xaa, sizeof(out));
    cr_assert_eq(fw_chan_exec(ch, FW_CMD_QUERY_ADAPTER, &in, sizeof(in), &out,
                              sizeof(out), &st, &syn, TMO), 0);
    cr_expect_eq(st, FW_STATUS_OK);
    cr_expect_eq(syn, 0u);
    cr_expect_eq(out.hdr.status, FW_STATUS_OK);
    cr_expect_eq(out.caps.abi_major, FW_ABI_MAJOR);
    cr_expect_eq(out.caps.max_vfs, 4);
    cr_expect_eq(out.caps.num_vfs, 0);
    cr_expect_str_eq(out.caps.profile, "full");
    cr_expect_eq(fw_chan_inflight(ch), 0u);
    fw_chan_close(ch);
}

Test(fw_chan, batch_of_1000_one_doorbell)
{
    const char *args[] = { "--mode", "switchdev", NULL };
    struct fw_chan *ch = start_and_open(args);
    static struct fw_rule_add_in in;
    static struct fw_rule_add_out out[1000];
    static struct fw_completion c[1000];
    static bool seen[1000];
    unsigned got = 0, i;

    cr_assert_geq(fw_chan_depth(ch), 1000u);
    memset(out, 0, sizeof(out));
    for (i = 0; i < 1000; i++) {
        size_t sz = fw_test_rule_drop(&in, i);

        cr_assert_eq(fw_chan_post(ch, FW_CMD_RULE_ADD, &in, sz, &out[i],
                                  sizeof(out[i]), (void *)(uintptr_t)(i + 1)), 0);
    }
    cr_expect_eq(fw_chan_inflight(ch), 1000u);
    cr_expect_eq(fw_chan_space(ch), fw_chan_depth(ch) - 1000);
    cr_assert_eq(fw_chan_doorbell(ch), 0);
    while (got < 1000) {
        int n = fw_chan_reap(ch, c + got, 1000 - got, TMO);

        cr_assert_gt(n, 0, "reap: %d after %u", n, got);
        got += (unsigned)n;
    }
    for (i = 0; i < 1000; i++) {
        unsigned idx = (unsigned)(uintptr_t)c[i].cookie - 1;

        cr_assert_lt(idx, 1000u);
        cr_expect_not(seen[idx], "cookie %u twice", idx);
        seen[idx] = true;
        cr_expect_eq(c[i].status, FW_STATUS_OK, "rule %u: %s", idx,
                     fw_status_str(c[i].status));
        cr_expect_eq(c[i].opcode, FW_CMD_RULE_ADD);
        cr_expect_eq(c[i].out_size, sizeof(out[idx]));
        cr_expect_eq(out[idx].hdr.status, FW_STATUS_OK);
    }
    /* every rule got its own id, in its own buffer */
    for (i = 1; i < 1000; i++)
        for (unsigned j = i < 8 ? 0 : i - 8; j < i; j++)
            cr_expect_neq(out[i].rule_id, out[j].rule_id);
    cr_expect_eq(fw_chan_inflight(ch), 0u);
    cr_expect_eq(fw_chan_space(ch), fw_chan_depth(ch));
    fw_chan_close(ch);
}

/* Different commands with different output buffers, reaped a few at a time
 * while more are posted: each output lands where its post said. */
Test(fw_chan, outputs_land_in_their_buffers)
{
    const char *args[] = { "--max-vfs", "4", "--num-vfs", "4", NULL };
    struct fw_chan *ch = start_and_open(args);
    struct fw_cmd_hdr qa = { 0 };
    struct fw_vport_query_in vq[5];
    struct fw_query_adapter_out caps_out;
    struct fw_eswitch_mode_out mode_out;
    struct fw_vport_query_out vout[5];
    struct fw_completion c[4];
    unsigned done = 0, v;

    memset(vq, 0, sizeof(vq));
    memset(vout, 0xee, sizeof(vout));
    memset(&caps_out, 0xee, sizeof(caps_out));
    memset(&mode_out, 0xee, sizeof(mode_out));
    /* vports in reverse order, then adapter and mode, interleaved */
    for (v = 5; v-- > 3;) {
        vq[v].vport = (uint16_t)v;
        cr_assert_eq(fw_chan_post(ch, FW_CMD_VPORT_QUERY, &vq[v], sizeof(vq[v]),
                                  &vout[v], sizeof(vout[v]), &vout[v]), 0);
    }
    cr_assert_eq(fw_chan_post(ch, FW_CMD_QUERY_ADAPTER, &qa, sizeof(qa),
                              &caps_out, sizeof(caps_out), &caps_out), 0);
    cr_assert_eq(fw_chan_doorbell(ch), 0);
    for (;;) {
        int n = fw_chan_reap(ch, c, 1, TMO);   /* one at a time */

        cr_assert_eq(n, 1);
        done++;
        if (done == 1) {
            /* post more after a partial reap */
            for (v = 3; v-- > 0;) {
                vq[v].vport = (uint16_t)v;
                cr_assert_eq(fw_chan_post(ch, FW_CMD_VPORT_QUERY, &vq[v],
                                          sizeof(vq[v]), &vout[v],
                                          sizeof(vout[v]), &vout[v]), 0);
            }
            cr_assert_eq(fw_chan_post(ch, FW_CMD_ESWITCH_GET_MODE, &qa,
                                      sizeof(qa), &mode_out, sizeof(mode_out),
                                      &mode_out), 0);
            cr_assert_eq(fw_chan_doorbell(ch), 0);
        }
        cr_expect_eq(c[0].status, FW_STATUS_OK);
        if (done == 7)
            break;
    }
    cr_expect_eq(fw_chan_inflight(ch), 0u);
    cr_expect_eq(caps_out.hdr.status, FW_STATUS_OK);
    cr_expect_eq(caps_out.caps.max_vfs, 4);
    cr_expect_eq(caps_out.caps.num_vfs, 4);
    cr_expect_eq(mode_out.hdr.status, FW_STATUS_OK);
    cr_expect_eq(mode_out.mode, FW_ESW_LEGACY);
    for (v = 0; v < 5; v++) {
        cr_expect_eq(vout[v].hdr.status, FW_STATUS_OK, "vport %u", v);
        cr_expect_eq(vout[v].hdr.out_size, sizeof(vout[v]), "vport %u", v);
    }
    /* the PF's MAC is the base MAC; VFs start unset */
    cr_expect_eq(vout[1].ctx.mac[0] | vout[1].ctx.mac[5], 0);
    fw_chan_close(ch);
}

Test(fw_chan, post_validates)
{
    struct fw_chan *ch = start_and_open(NULL);
    uint8_t big[FW_SLOT_IN_MAX + 8] = { 0 };
    struct fw_cmd_hdr in = { 0 };
    uint8_t out[16];
    unsigned i, depth = fw_chan_depth(ch);

    cr_expect_eq(fw_chan_post(ch, FW_CMD_QUERY_ADAPTER, big, sizeof(big), NULL,
                              0, NULL), -EINVAL);
    cr_expect_eq(fw_chan_post(ch, FW_CMD_QUERY_ADAPTER, &in, 4, NULL, 0, NULL),
                 -EINVAL);
    cr_expect_eq(fw_chan_post(ch, FW_CMD_QUERY_ADAPTER, &in, sizeof(in), out,
                              FW_SLOT_OUT_MAX + 1, NULL), -EINVAL);
    for (i = 0; i < depth; i++)
        cr_assert_eq(fw_chan_post(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in),
                                  NULL, 0, NULL), 0);
    cr_expect_eq(fw_chan_space(ch), 0u);
    cr_expect_eq(fw_chan_post(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in), NULL,
                              0, NULL), -ENOSPC);
    /* exec refuses to eat other commands' completions */
    cr_expect_eq(fw_chan_exec(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in), NULL, 0,
                              NULL, NULL, TMO), -EBUSY);
    fw_chan_close(ch);
}

Test(fw_chan, vf_socket_follows_sriov)
{
    const char *args[] = { "--max-vfs", "4", NULL };
    struct fw_chan *pf = start_and_open(args), *vf;
    struct fw_sriov_enable_in en = { .num_vfs = 2 };
    struct fw_sriov_disable_in dis = { 0 };
    static struct fw_rule_add_in rule;
    struct fw_completion c;
    struct stat st;
    uint8_t status;
    uint32_t syn;
    char p[160];

    cr_expect_neq(stat(fw_test_path(&emu, ".vf0", p, sizeof(p)), &st), 0);
    cr_assert_eq(fw_chan_exec(pf, FW_CMD_SRIOV_ENABLE, &en, sizeof(en), NULL, 0,
                              &status, &syn, TMO), 0);
    cr_assert_eq(status, FW_STATUS_OK, "%s", fw_status_str(status));
    cr_expect_eq(stat(fw_test_path(&emu, ".vf0", p, sizeof(p)), &st), 0);
    cr_expect_eq(stat(fw_test_path(&emu, ".vf1", p, sizeof(p)), &st), 0);
    cr_expect_neq(stat(fw_test_path(&emu, ".vf2", p, sizeof(p)), &st), 0);

    vf = fw_chan_open(fw_test_path(&emu, ".vf1", p, sizeof(p)), TMO);
    cr_assert_not_null(vf, "%s", strerror(errno));
    cr_expect_eq(fw_chan_function(vf), FW_FUNC_VF(1));

    /* privilege is the device's: a VF programs no steering, enables no
     * SR-IOV */
    cr_assert_eq(fw_chan_exec(vf, FW_CMD_RULE_ADD, &rule,
                              fw_test_rule_drop(&rule, 1), NULL, 0, &status,
                              &syn, TMO), 0);
    cr_expect_eq(status, FW_STATUS_NO_PERM, "%s", fw_status_str(status));
    cr_expect_eq(FW_SYND_REASON(syn), FW_SYND_PRIVILEGE);
    cr_assert_eq(fw_chan_exec(vf, FW_CMD_SRIOV_ENABLE, &en, sizeof(en), NULL, 0,
                              &status, &syn, TMO), 0);
    cr_expect_eq(status, FW_STATUS_NO_PERM);
    cr_expect_eq(fw_status_errno(status), EPERM);

    /* disabling SR-IOV removes the function: its driver learns at once */
    cr_assert_eq(fw_chan_exec(pf, FW_CMD_SRIOV_DISABLE, &dis, sizeof(dis), NULL,
                              0, &status, &syn, TMO), 0);
    cr_expect_eq(status, FW_STATUS_OK);
    cr_expect_neq(stat(fw_test_path(&emu, ".vf0", p, sizeof(p)), &st), 0);
    cr_assert_eq(fw_chan_post(vf, FW_CMD_QUERY_HEALTH, &dis, sizeof(dis), NULL,
                              0, NULL), 0);
    fw_chan_doorbell(vf);
    cr_expect_eq(fw_chan_reap(vf, &c, 1, TMO), -EPIPE);
    cr_expect(fw_chan_dead(vf));
    fw_chan_close(vf);
    fw_chan_close(pf);
}

Test(fw_chan, reset_generation_visible_without_command)
{
    struct fw_chan *ch = start_and_open(NULL);
    struct fw_debug_fault_in f = { .fault = FW_FAULT_RESET };
    uint32_t gen = fw_chan_reset_generation(ch);
    uint8_t status;

    cr_assert_eq(fw_chan_exec(ch, FW_CMD_DEBUG_FAULT, &f, sizeof(f), NULL, 0,
                              &status, NULL, TMO), 0);
    cr_expect_eq(status, FW_STATUS_OK);
    cr_expect_eq(fw_chan_reset_generation(ch), gen + 1);
    cr_expect_not(fw_chan_dead(ch), "a reset is not a channel error");
    fw_chan_close(ch);
}

/* SIGTERM: clean exit (no sanitizer complaint either), sockets removed,
 * even with drivers and queues still attached. */
Test(fw_chan, sigterm_exits_clean_and_removes_sockets)
{
    const char *args[] = { "--max-vfs", "2", "--num-vfs", "2", NULL };
    struct fw_chan *pf = start_and_open(args), *vf;
    struct fw_pktq_map *q;
    struct stat st;
    char p[4][160];
    int status = -1;

    vf = fw_chan_open(fw_test_path(&emu, ".vf1", p[0], sizeof(p[0])), TMO);
    cr_assert_not_null(vf);
    q = fw_pktq_attach(vf, 0, 0, 64, FW_QUEUE_F_RX | FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(q, "%s", strerror(errno));
    fw_test_path(&emu, "", p[0], sizeof(p[0]));
    fw_test_path(&emu, ".vf0", p[1], sizeof(p[1]));
    fw_test_path(&emu, ".vf1", p[2], sizeof(p[2]));
    fw_test_path(&emu, ".uplink", p[3], sizeof(p[3]));
    for (int i = 0; i < 4; i++)
        cr_expect_eq(stat(p[i], &st), 0, "%s missing", p[i]);

    kill(emu.pid, SIGTERM);
    cr_assert_eq(waitpid(emu.pid, &status, 0), emu.pid);
    emu.pid = 0;
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "emunic status 0x%x", status);
    for (int i = 0; i < 4; i++)
        cr_expect_neq(stat(p[i], &st), 0, "%s left behind", p[i]);
    fw_pktq_detach(q);
    fw_chan_close(vf);
    fw_chan_close(pf);
}

/* emunic run to its end with @args (NULL-terminated), its output thrown
 * away: its wait status. */
static int
emunic_run_quiet(const char *const *args)
{
    const char *argv[16] = { "emunic" };
    int status = -1;
    pid_t pid;

    for (unsigned i = 0; args[i] != NULL; i++) {
        cr_assert_lt(i + 2, sizeof(argv) / sizeof(argv[0]));
        argv[i + 1] = args[i];
    }
    pid = test_fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        execv(getenv("EMUNIC"), (char *const *)argv);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

/* A second emunic must not steal a live device's socket. */
Test(fw_chan, second_instance_refused)
{
    struct fw_chan *ch = start_and_open(NULL);
    struct fw_cmd_hdr in = { 0 };
    int status;
    uint8_t st;

    status = emunic_run_quiet((const char *[]){ "--socket", emu.sock, "-q",
                                                NULL });
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1,
              "second emunic status 0x%x", status);
    cr_expect_eq(fw_chan_exec(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in), NULL, 0,
                              &st, NULL, TMO), 0);
    cr_expect_eq(st, FW_STATUS_OK);
    fw_chan_close(ch);
}

/* --pidfile in a folder others may write: a link planted at the path is
 * not followed (what it points at is left as it was), and emunic does not
 * start. */
Test(fw_chan, pidfile_link_is_refused)
{
    char dir[] = "/tmp/snic-pidfile.XXXXXX", pidf[64], victim[64];
    char sock[80], buf[64];
    int status, fd;
    ssize_t n;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(pidf, sizeof(pidf), "%s/emunic.pid", dir);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    snprintf(sock, sizeof(sock), "%s/emunic.sock", dir);
    fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "keep\n", 5), 5);
    close(fd);
    cr_assert_eq(symlink(victim, pidf), 0);
    status = emunic_run_quiet((const char *[]){ "--socket", sock,
                                                "--pidfile", pidf, "-q",
                                                NULL });
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1,
              "emunic status 0x%x", status);
    fd = open(victim, O_RDONLY);
    cr_assert_geq(fd, 0);
    n = read(fd, buf, sizeof(buf));
    close(fd);
    cr_expect(n == 5 && memcmp(buf, "keep\n", 5) == 0,
              "the link's target was written");
    unlink(pidf);
    unlink(victim);
    unlink(sock);
    rmdir(dir);
}

/* Command-line errors: one line, exit 2. */
Test(fw_chan, bad_options_exit_2)
{
    static const char *const bad[][4] = {
        { "--bogus", NULL },
        { "--mode", "sideways", NULL },
        { "--socket", "/tmp/x", "--profile", "nonesuch" },
        { "--socket", "/tmp/x", "--max-vfs", "999" },
        { "--max-vfs", "2", NULL },          /* no --socket */
        { "--socket", "/tmp/x", "--fault", "explode" },
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int pfd[2], status = -1;
        char buf[512];
        ssize_t n;
        pid_t pid;

        cr_assert_eq(pipe(pfd), 0);
        pid = test_fork();
        if (pid == 0) {
            const char *argv[6] = { "emunic" };

            for (int k = 0; k < 4 && bad[i][k] != NULL; k++)
                argv[k + 1] = bad[i][k];
            dup2(pfd[1], STDERR_FILENO);
            execv(getenv("EMUNIC"), (char *const *)argv);
            _exit(127);
        }
        close(pfd[1]);
        n = 0;
        for (;;) {
            ssize_t r = read(pfd[0], buf + n, sizeof(buf) - 1 - (size_t)n);

            if (r <= 0)
                break;
            n += r;
        }
        close(pfd[0]);
        waitpid(pid, &status, 0);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 2,
                  "case %zu: status 0x%x", i, status);
        cr_assert_gt(n, 0);
        buf[n] = '\0';
        cr_expect_eq(strchr(buf, '\n'), buf + n - 1, "case %zu: '%s'", i, buf);
    }
}

/* A test killed by its timeout never reaches its fixture's stop: the card
 * it started must die with it (test_fork), not outlive the suite. Here a
 * child plays the test: it starts a card and exits without stopping it.
 * As the subreaper, this process inherits the orphaned card and sees how
 * it ended. */
Test(fw_chan, card_dies_with_the_test_that_started_it)
{
    struct snic_emunic orphan;
    int pfd[2], status = -1;
    pid_t test, card = -1;

    cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    cr_assert_eq(pipe(pfd), 0);
    test = fork();
    cr_assert_geq(test, 0);
    if (test == 0) {
        close(pfd[0]);
        if (fw_test_emunic_start(&orphan, NULL) < 0
            || write(pfd[1], &orphan, sizeof(orphan)) != sizeof(orphan))
            _exit(1);
        _exit(0);       /* no fw_test_emunic_stop() */
    }
    close(pfd[1]);
    cr_assert_eq(read(pfd[0], &orphan, sizeof(orphan)),
                 (ssize_t)sizeof(orphan), "the card started");
    close(pfd[0]);
    card = orphan.pid;
    cr_assert_eq(waitpid(test, &status, 0), test);
    for (int i = 0; i < 200; i++) {
        if (waitpid(card, &status, WNOHANG) == card)
            break;
        status = -1;
        usleep(10000);
    }
    if (status == -1) {
        kill(card, SIGKILL);
        waitpid(card, NULL, 0);
    }
    orphan.pid = 0;
    fw_test_emunic_stop(&orphan);       /* its folder */
    cr_assert(status != -1 && WIFSIGNALED(status)
              && WTERMSIG(status) == SIGKILL,
              "the card was still running 2 s after its test ended");
}
