/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: doorbell suppression (ABI 1.12) against the real emunic.
 * The device shows cmdq_polling to a client of 1.12 while it polls, and
 * only to such a client; a driver that sees it skips the doorbell; no
 * command is ever lost at the edge between polling and sleeping, whatever
 * the gaps between commands; a driver of 1.11 rings every time and works
 * as before.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
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

TestSuite(fw_doorbell, .fini = fini, .timeout = 60);

/* A driver written by hand, speaking ABI 1.@minor. */
struct raw {
    int sock;
    int db_fd;
    int cq_fd;
    uint8_t *map;
    size_t size;
    struct fw_region *r;
    uint32_t prod;
    uint16_t minor;
};

static void
raw_open(struct raw *c, uint16_t minor)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct fw_hello h = { .abi_major = FW_ABI_MAJOR, .abi_minor = minor };
    struct fw_hello_reply rep;
    unsigned nfds = 0;
    int fds[3];

    strcpy(sa.sun_path, emu.sock);
    c->sock = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    cr_assert_eq(connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
    fw_sock_hdr(&h.hdr, FW_MSG_HELLO, sizeof(h));
    cr_assert_eq(fw_sock_send(c->sock, &h, sizeof(h), NULL, 0), 0);
    cr_assert_eq(fw_sock_wait(c->sock, POLLIN, TMO), 1);
    cr_assert_eq(fw_sock_recv(c->sock, &rep, sizeof(rep), fds, 3, &nfds, 0),
                 (ssize_t)sizeof(rep));
    cr_assert_eq(rep.status, FW_STATUS_OK);
    cr_assert_eq(nfds, 3u);
    cr_expect_eq(rep.abi_minor, minor < FW_ABI_MINOR ? minor : FW_ABI_MINOR);
    c->size = rep.region_size;
    c->map = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0],
                  0);
    cr_assert_neq(c->map, MAP_FAILED);
    close(fds[0]);
    c->db_fd = fds[1];
    c->cq_fd = fds[2];
    c->r = (struct fw_region *)c->map;
    c->prod = 0;
    c->minor = rep.abi_minor;
    /* the region says what was negotiated, not what the device speaks */
    cr_expect_eq(c->r->abi_minor, rep.abi_minor);
}

static void
raw_close(struct raw *c)
{
    munmap(c->map, c->size);
    close(c->db_fd);
    close(c->cq_fd);
    close(c->sock);
}

/* Post QUERY_HEALTH and wait for its completion by polling cq_producer
 * (bounded). @ring: always write the doorbell; else the ABI 1.12 way,
 * only when cmdq_polling, loaded after the producer and a full fence, is
 * 0 (*@skipped says which). */
static bool
raw_cmd(struct raw *c, bool ring, bool *skipped)
{
    struct fw_cmd_hdr *h = (struct fw_cmd_hdr *)(c->map + c->r->cmdq_offset +
        (size_t)(c->prod & (c->r->cmdq_depth - 1)) * FW_SLOT_SIZE);
    struct fw_cmd_hdr in = { 0 };
    uint64_t one = 1;
    int64_t end;

    memcpy(h, &in, sizeof(in));
    h->opcode = FW_CMD_QUERY_HEALTH;
    h->in_size = sizeof(in);
    h->out_size = FW_SLOT_OUT_MAX;
    h->token = c->prod + 1;
    c->prod++;
    __atomic_store_n(&c->r->cmdq_producer, c->prod, __ATOMIC_RELEASE);
    if (!ring) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        ring = __atomic_load_n(&c->r->cmdq_polling, __ATOMIC_RELAXED) == 0;
    }
    if (skipped != NULL)
        *skipped = !ring;
    if (ring)
        cr_assert_eq(write(c->db_fd, &one, sizeof(one)), 8);
    end = snic_now_ms() + TMO;
    while (__atomic_load_n(&c->r->cq_producer, __ATOMIC_ACQUIRE) != c->prod) {
        if (snic_now_ms() > end)
            return false;
        usleep(10);
    }
    __atomic_store_n(&c->r->cq_consumer, c->prod, __ATOMIC_RELEASE);
    return true;
}

static uint32_t
polling(const struct raw *c)
{
    return __atomic_load_n(&c->r->cmdq_polling, __ATOMIC_ACQUIRE);
}

static void
sleep_us(long us)
{
    struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = us % 1000000 *
                           1000 };

    nanosleep(&ts, NULL);
}

/* @n commands back to back, each rung only when cmdq_polling says the
 * device sleeps: every one must be taken; how many went without a
 * doorbell (the device showed it was polling). */
static unsigned
back_to_back(struct raw *c, unsigned n)
{
    unsigned shown = 0;

    for (unsigned i = 0; i < n; i++) {
        bool skipped;

        cr_assert(raw_cmd(c, false, &skipped), "command %u (doorbell %s) "
                  "not taken", i, skipped ? "skipped" : "rung");
        shown += skipped;
    }
    return shown;
}

/* Shown to a 1.12 client while the device polls, cleared once it sleeps;
 * a command posted without a doorbell while it is shown is taken. */
Test(fw_doorbell, polling_flag_shown_and_honoured)
{
    struct raw c;
    unsigned shown;

    cr_assert_eq(fw_test_emunic_start(&emu, NULL), 0);
    raw_open(&c, FW_ABI_MINOR);
    cr_assert_geq(c.minor, 12);
    /* idle: the device sleeps, and says so */
    sleep_us(100000);
    cr_expect_eq(polling(&c), 0u);
    shown = back_to_back(&c, 200);
    cr_expect_gt(shown, 0u, "the device never showed it was polling "
                 "through 200 back-to-back commands");
    /* and when the commands stop, it goes back to sleep and clears it */
    sleep_us(100000);
    cr_expect_eq(polling(&c), 0u, "still shown 100 ms after the last command");
    cr_expect(raw_cmd(&c, true, NULL));
    raw_close(&c);
}

/* A second HELLO on a connection that is set up is refused, and changes
 * nothing: one saying 1.0 must not take the polling line from a client
 * that agreed on 1.12 (its driver would then ring every time, or worse,
 * see a stale flag and skip a doorbell the device needs). */
Test(fw_doorbell, refused_second_hello_keeps_the_minor)
{
    struct fw_hello h = { .abi_major = FW_ABI_MAJOR, .abi_minor = 0 };
    struct fw_hello_reply rep;
    unsigned nfds = 0, shown;
    int fds[3];
    struct raw c;

    cr_assert_eq(fw_test_emunic_start(&emu, NULL), 0);
    raw_open(&c, FW_ABI_MINOR);
    cr_assert_geq(c.minor, 12);
    fw_sock_hdr(&h.hdr, FW_MSG_HELLO, sizeof(h));
    cr_assert_eq(fw_sock_send(c.sock, &h, sizeof(h), NULL, 0), 0);
    cr_assert_eq(fw_sock_wait(c.sock, POLLIN, TMO), 1);
    cr_assert_eq(fw_sock_recv(c.sock, &rep, sizeof(rep), fds, 3, &nfds, 0),
                 (ssize_t)sizeof(rep));
    cr_expect_eq(rep.status, FW_STATUS_BAD_STATE);
    cr_expect_eq(nfds, 0u);
    shown = back_to_back(&c, 200);
    cr_expect_gt(shown, 0u, "after a refused second HELLO the device never "
                 "showed it was polling: the refusal changed the client's "
                 "minor");
    raw_close(&c);
}

/* A 1.11 driver knows nothing of the line: the device leaves it 0 (it is
 * reserved for that client), and every rung command is served. */
Test(fw_doorbell, older_driver_rings_and_sees_nothing)
{
    struct raw old, cur;

    cr_assert_eq(fw_test_emunic_start(&emu, NULL), 0);
    raw_open(&old, 11);
    raw_open(&cur, FW_ABI_MINOR);
    cr_expect_eq(old.minor, 11);
    for (unsigned i = 0; i < 300; i++) {
        cr_assert(raw_cmd(&old, true, NULL), "1.11 command %u not taken", i);
        cr_assert_eq(polling(&old), 0u, "cmdq_polling written into a 1.11 "
                     "client's region (command %u)", i);
        /* a 1.12 client beside it keeps the device polling */
        if (i % 3 == 0)
            cr_assert(raw_cmd(&cur, true, NULL));
    }
    raw_close(&old);
    raw_close(&cur);
}

/* The edge between polling and sleeping: commands spaced by gaps around
 * the device's idle poll (0 to 400 us, so it goes to sleep between some
 * and not others), through fw_chan. A command whose doorbell was skipped
 * while the device was falling asleep would wait for the timeout (3 s)
 * and fail.
 * The window for that is the device's last loop turn before it sleeps, a
 * few hundred nanoseconds, so it takes many commands: with 20,000 a device
 * that does not look at the producers again after clearing cmdq_polling
 * lost commands in this test and the one above (tried). */
Test(fw_doorbell, no_command_lost_at_the_edge)
{
    struct fw_cmd_hdr in = { 0 };
    struct fw_chan_stats st;
    struct fw_chan *ch;
    uint32_t seed = 12345;
    uint8_t status;

    cr_assert_eq(fw_test_emunic_start(&emu, NULL), 0);
    ch = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(ch);
    for (unsigned i = 0; i < 20000; i++) {
        /* a lost doorbell is a timeout here (ETIMEDOUT after TMO), not a
         * slow answer: a loaded machine may be slow */
        cr_assert_eq(fw_chan_exec(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in),
                                  NULL, 0, &status, NULL, TMO), 0,
                     "command %u: a lost doorbell?", i);
        cr_assert_eq(status, FW_STATUS_OK);
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 4 != 0)     /* a quarter back to back */
            sleep_us((seed >> 8) % 400);
    }
    fw_chan_get_stats(ch, &st);
    cr_expect_eq(st.doorbells + st.doorbells_skipped, 20000u);
    cr_expect_gt(st.doorbells_skipped, 0u, "no doorbell skipped in 20000 "
                 "commands");
    cr_expect_gt(st.doorbells, 0u, "the device never slept in 20000 commands "
                 "with gaps up to 400 us");
    fw_chan_close(ch);
}

/* A driver that writes the device's line only silences itself: another
 * client is served as ever. */
Test(fw_doorbell, forged_flag_hurts_only_its_writer)
{
    struct raw bad;
    struct fw_cmd_hdr in = { 0 };
    struct fw_chan *ch;
    uint8_t status;

    cr_assert_eq(fw_test_emunic_start(&emu, NULL), 0);
    raw_open(&bad, FW_ABI_MINOR);
    ch = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(ch);
    sleep_us(100000);
    __atomic_store_n(&bad.r->cmdq_polling, 1u, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < 50; i++) {
        cr_assert_eq(fw_chan_exec(ch, FW_CMD_QUERY_HEALTH, &in, sizeof(in),
                                  NULL, 0, &status, NULL, TMO), 0);
        cr_assert_eq(status, FW_STATUS_OK);
        sleep_us(1000);
    }
    /* and its own commands still go through with a doorbell */
    cr_expect(raw_cmd(&bad, true, NULL));
    fw_chan_close(ch);
    raw_close(&bad);
}
