/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: the driver side reports a dead, silent or lying device as a
 * clear error and never hangs; the device survives hostile drivers and
 * outlives every driver.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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

TestSuite(fw_fault, .fini = fini, .timeout = 20);

static struct fw_chan *
start_and_open(const char *const *args)
{
    struct fw_chan *ch;

    cr_assert_eq(fw_test_emunic_start(&emu, args), 0, "emunic did not start");
    ch = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(ch, "fw_chan_open: %s", strerror(errno));
    return ch;
}

static void
arm_fault(struct fw_chan *ch, uint32_t fault, uint32_t count, uint32_t value)
{
    struct fw_debug_fault_in f = { .fault = fault, .count = count,
                                   .value = value };
    uint8_t status = 0xff;

    cr_assert_eq(fw_chan_exec(ch, FW_CMD_DEBUG_FAULT, &f, sizeof(f), NULL, 0,
                              &status, NULL, TMO), 0);
    cr_assert_eq(status, FW_STATUS_OK, "fault knob: %s", fw_status_str(status));
}

Test(fw_fault, sigkill_mid_batch_is_epipe)
{
    struct fw_chan *ch = start_and_open(NULL);
    struct fw_cmd_hdr in = { 0 };
    struct fw_completion c[16];
    unsigned i, got = 0;
    long t0;
    int n;

    /* 2 ms a command: 400 of them keep the device busy for 0.8 s */
    arm_fault(ch, FW_FAULT_DELAY, 0, 2000);
    for (i = 0; i < 400; i++)
        cr_assert_eq(fw_chan_post(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in),
                                  NULL, 0, NULL), 0);
    cr_assert_eq(fw_chan_doorbell(ch), 0);
    n = fw_chan_reap(ch, c, 1, TMO);
    cr_assert_eq(n, 1, "first completion: %d", n);
    got = 1;

    kill(emu.pid, SIGKILL);
    t0 = snic_now_ms();
    for (;;) {
        n = fw_chan_reap(ch, c, 16, TMO);
        if (n <= 0)
            break;
        got += (unsigned)n;
    }
    cr_expect_eq(n, -EPIPE, "reap after SIGKILL: %d (%s)", n, strerror(-n));
    cr_expect_lt(snic_now_ms() - t0, 1000, "took %ld ms to notice", snic_now_ms() - t0);
    cr_expect_lt(got, 400u);
    cr_expect(fw_chan_dead(ch));
    cr_expect_eq(fw_chan_post(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in), NULL, 0,
                              NULL), -EPIPE);
    cr_expect_eq(fw_chan_reap(ch, c, 1, 10), -EPIPE);
    fw_chan_close(ch);
}

Test(fw_fault, drop_next_times_out)
{
    struct fw_chan *ch = start_and_open(NULL);
    struct fw_cmd_hdr in = { 0 };
    struct fw_query_adapter_out out;
    uint8_t status;
    long t0;
    int r;

    arm_fault(ch, FW_FAULT_DROP_NEXT, 1, 0);
    t0 = snic_now_ms();
    r = fw_chan_exec(ch, FW_CMD_QUERY_ADAPTER, &in, sizeof(in), &out,
                     sizeof(out), &status, NULL, 200);
    cr_expect_eq(r, -ETIMEDOUT, "exec: %d (%s)", r, strerror(-r));
    cr_expect_geq(snic_now_ms() - t0, 190);
    cr_expect_lt(snic_now_ms() - t0, 2000);
    cr_expect(fw_chan_dead(ch));
    cr_expect_eq(fw_chan_exec(ch, FW_CMD_QUERY_ADAPTER, &in, sizeof(in), &out,
                              sizeof(out), &status, NULL, 200), -EPIPE);
    fw_chan_close(ch);

    /* the device is fine: a new channel works */
    ch = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(ch);
    cr_expect_eq(fw_chan_exec(ch, FW_CMD_QUERY_ADAPTER, &in, sizeof(in), &out,
                              sizeof(out), &status, NULL, TMO), 0);
    cr_expect_eq(status, FW_STATUS_OK);
    fw_chan_close(ch);
}

Test(fw_fault, garbage_token_is_eproto)
{
    struct fw_chan *ch = start_and_open(NULL);
    struct fw_cmd_hdr in = { 0 };
    struct fw_completion c;
    int r;

    arm_fault(ch, FW_FAULT_GARBAGE_NEXT, 1, 0);
    cr_assert_eq(fw_chan_post(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in), NULL, 0,
                              NULL), 0);
    cr_assert_eq(fw_chan_doorbell(ch), 0);
    r = fw_chan_reap(ch, &c, 1, TMO);
    cr_expect_eq(r, -EPROTO, "reap: %d (%s)", r, strerror(-r));
    cr_expect(fw_chan_dead(ch));
    cr_expect_eq(fw_chan_reap(ch, &c, 1, TMO), -EPIPE);
    fw_chan_close(ch);
}

/* Rules belong to the device, not to the driver that added them. */
Test(fw_fault, device_state_outlives_driver)
{
    const char *args[] = { "--mode", "switchdev", NULL };
    struct fw_chan *ch = start_and_open(args);
    static struct fw_rule_add_in rule;
    struct fw_rule_add_out out;
    struct fw_rule_delete_in del = { 0 };
    uint8_t status;

    cr_assert_eq(fw_chan_exec(ch, FW_CMD_RULE_ADD, &rule,
                              fw_test_rule_drop(&rule, 7), &out, sizeof(out),
                              &status, NULL, TMO), 0);
    cr_assert_eq(status, FW_STATUS_OK, "%s", fw_status_str(status));
    fw_chan_close(ch);
    usleep(20000);

    ch = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(ch);
    del.rule_id = out.rule_id;
    cr_assert_eq(fw_chan_exec(ch, FW_CMD_RULE_DELETE, &del, sizeof(del), NULL,
                              0, &status, NULL, TMO), 0);
    cr_expect_eq(status, FW_STATUS_OK, "rule gone with its driver: %s",
                 fw_status_str(status));
    fw_chan_close(ch);
}

/* A raw client that lies in the shared region: sizes beyond the slot, a
 * producer far ahead. The device answers or ignores, and lives. */
Test(fw_fault, hostile_region_survived)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct fw_hello h = { .abi_major = FW_ABI_MAJOR };
    struct fw_hello_reply rep;
    struct fw_region *r;
    struct fw_cmd_hdr *cmd;
    struct fw_cqe *cqe;
    unsigned nfds, i;
    uint64_t one = 1;
    int fds[3], s;
    uint8_t *map;
    struct fw_chan *ch;
    struct fw_cmd_hdr in = { 0 };
    uint8_t status;

    cr_assert_eq(fw_test_emunic_start(&emu, NULL), 0);
    strcpy(sa.sun_path, emu.sock);
    s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    cr_assert_eq(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    fw_sock_hdr(&h.hdr, FW_MSG_HELLO, sizeof(h));
    cr_assert_eq(fw_sock_send(s, &h, sizeof(h), NULL, 0), 0);
    cr_assert_eq(fw_sock_recv(s, &rep, sizeof(rep), fds, 3, &nfds, 0),
                 (ssize_t)sizeof(rep));
    cr_assert_eq(nfds, 3u);
    cr_assert_eq(rep.status, FW_STATUS_OK);
    map = mmap(NULL, rep.region_size, PROT_READ | PROT_WRITE, MAP_SHARED,
               fds[0], 0);
    cr_assert_neq(map, MAP_FAILED);
    /* the device sealed it: we cannot shrink it under its feet */
    cr_expect_neq(ftruncate(fds[0], 4096), 0);
    r = (struct fw_region *)map;

    cmd = (struct fw_cmd_hdr *)(map + r->cmdq_offset);
    memset(cmd, 0xff, FW_SLOT_SIZE);
    cmd->opcode = FW_CMD_QUERY_ADAPTER;
    cmd->in_size = 0xffffffffu;
    cmd->out_size = 0xffffffffu;
    cmd->token = 77;
    __atomic_store_n(&r->cmdq_producer, 1, __ATOMIC_RELEASE);
    cr_assert_eq(write(fds[1], &one, sizeof(one)), 8);
    for (i = 0; i < 2000 && __atomic_load_n(&r->cq_producer,
                                            __ATOMIC_ACQUIRE) == 0; i++)
        usleep(1000);
    cr_assert_eq(r->cq_producer, 1u);
    cqe = (struct fw_cqe *)(map + r->cq_offset);
    cr_expect_eq(cqe->token, 77u);
    cr_expect_eq(cqe->slot, 0u);
    cr_expect_neq(cqe->status, FW_STATUS_OK, "an oversized input passed");

    /* a producer a billion slots ahead: the device re-runs stale slots in
     * bounded bites, keeps serving others */
    __atomic_store_n(&r->cmdq_producer, 1000000000u, __ATOMIC_RELEASE);
    write(fds[1], &one, sizeof(one));
    ch = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(ch);
    cr_expect_eq(fw_chan_exec(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in), NULL, 0,
                              &status, NULL, TMO), 0);
    cr_expect_eq(status, FW_STATUS_OK, "%s", fw_status_str(status));
    fw_chan_close(ch);
    munmap(map, rep.region_size);
    close(fds[0]);
    close(fds[1]);
    close(fds[2]);
    close(s);
    /* and it still exits cleanly */
    cr_expect_eq(fw_test_emunic_stop(&emu), 0);
}

/* The same knobs from emunic's command line, armed before any driver. */
Test(fw_fault, command_line_knob)
{
    const char *args[] = { "--fault", "garbage-next:0:0:1", NULL };
    struct fw_chan *ch = start_and_open(args);
    struct fw_cmd_hdr in = { 0 };
    uint8_t status;

    cr_expect_eq(fw_chan_exec(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in), NULL, 0,
                              &status, NULL, TMO), -EPROTO);
    fw_chan_close(ch);
    /* one-shot: a new driver is served normally */
    ch = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(ch);
    cr_expect_eq(fw_chan_exec(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in), NULL, 0,
                              &status, NULL, TMO), 0);
    cr_expect_eq(status, FW_STATUS_OK);
    fw_chan_close(ch);
}

/* A device in FATAL health is visible in the region without a command. */
Test(fw_fault, fatal_health_mirrored)
{
    struct fw_chan *ch = start_and_open(NULL);
    struct fw_chan *other = fw_chan_open(emu.sock, TMO);

    cr_assert_not_null(other);
    cr_expect_eq(fw_chan_health(other), FW_HEALTH_OK);
    arm_fault(ch, FW_FAULT_FATAL, 0, 0);
    cr_expect_eq(fw_chan_health(ch), FW_HEALTH_FATAL);
    cr_expect_eq(fw_chan_health(other), FW_HEALTH_FATAL,
                 "health mirrored into every client's region");
    fw_chan_close(other);
    fw_chan_close(ch);
}
