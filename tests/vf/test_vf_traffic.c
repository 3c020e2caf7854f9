/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Legacy-mode VF policy seen in real traffic. A real emunic (legacy VEB,
 * two VFs) is configured only through the snic-vf binary ($SNIC_VF_BIN
 * --emunic), exactly as a user would; the test then plays VF0, VF1 and the
 * wire through their shared-memory queues and checks what arrives where.
 *
 * "Nothing arrives" is never a bare timeout. Either a drop counter of the
 * emulated card is seen to grow first (the frame was processed and dropped,
 * so any delivery would already be in a ring), or a later frame from the
 * same sender is seen to arrive (a sender's ring is switched in order, so an
 * earlier frame that had been delivered would be in front of it).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test_child.h"
#include "snic/fw_chan.h"
#include "snic_emunic.h"

#define TMO 3000
#define QD 64
#define ETYPE_HI 0x88       /* local experimental EtherType 0x88b5 */
#define ETYPE_LO 0xb5
#define FRAME_LEN 64u

static struct snic_emunic card;
static struct fw_chan *pf, *vf_ch[2], *up_ch;
static struct fw_pktq_map *vf_q[2], *up_q;

static const uint8_t vf0_mac[6] = { 0x02, 0, 0, 0, 0x0f, 0x00 };
static const uint8_t vf1_mac[6] = { 0x02, 0, 0, 0, 0x0f, 0x01 };
static const uint8_t far_mac[6] = { 0x02, 0, 0, 0, 0x99, 0x01 };
static const uint8_t forged_mac[6] = { 0x02, 0, 0, 0, 0x66, 0x66 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- emunic and the snic-vf binary ------------------------------------- */

static struct fw_chan *
open_fn(const char *suffix)
{
    char path[128];
    struct fw_chan *ch;

    snprintf(path, sizeof(path), "%s%s", card.sock, suffix);
    ch = fw_chan_open(path, TMO);
    cr_assert_not_null(ch, "open %s: %s", path, strerror(errno));
    return ch;
}

static void
start(void)
{
    static const char *const args[] = {
        "-q", "--max-vfs", "4", "--num-vfs", "2", "--mode", "legacy", NULL,
    };
    const struct snic_emunic_how how = {
        .tag = "vf-traffic", .death_signal = SIGKILL,   /* as test_fork() */
    };

    cr_assert_not_null(getenv("SNIC_VF_BIN"),
                       "SNIC_VF_BIN not set (run through meson test)");
    cr_assert_eq(snic_emunic_start(&card, getenv("EMUNIC"), NULL, args,
                                   &how), 0, "%s", card.err);

    pf = open_fn("");
    up_ch = open_fn(".uplink");
    vf_ch[0] = open_fn(".vf0");
    vf_ch[1] = open_fn(".vf1");
    up_q = fw_pktq_attach(up_ch, 0, 0, QD, FW_QUEUE_F_RX | FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(up_q, "uplink queue: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        vf_q[i] = fw_pktq_attach(vf_ch[i], 0, 0, QD,
                                 FW_QUEUE_F_RX | FW_QUEUE_F_TX, TMO);
        cr_assert_not_null(vf_q[i], "vf%d queue: %s", i, strerror(errno));
    }
}

static void
stop(void)
{
    for (int i = 0; i < 2; i++) {
        if (vf_q[i] != NULL)
            fw_pktq_detach(vf_q[i]);
        fw_chan_close(vf_ch[i]);
        vf_q[i] = NULL;
        vf_ch[i] = NULL;
    }
    if (up_q != NULL)
        fw_pktq_detach(up_q);
    fw_chan_close(up_ch);
    fw_chan_close(pf);
    up_q = NULL;
    up_ch = pf = NULL;
    snic_emunic_stop(&card, 5000);
}

TestSuite(vf_traffic, .init = start, .fini = stop, .timeout = 25);

/* Run `snic-vf --emunic SOCK set SOCK VF ARGS...`; exit code, and its
 * stderr in @err. */
static int
snic_vf_set(char *err, size_t err_size, const char *vf, ...)
{
    const char *argv[32] = { getenv("SNIC_VF_BIN"), "--emunic", card.sock,
                             "set", card.sock, vf };
    int argc = 6, st, fd;
    char errpath[128];
    va_list ap;
    pid_t pid;
    ssize_t n;

    va_start(ap, vf);
    for (const char *a; argc < 31 && (a = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    snprintf(errpath, sizeof(errpath), "%s/snic-vf.err", card.dir);
    pid = test_fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int out = open("/dev/null", O_WRONLY);
        int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (out < 0 || e < 0)
            _exit(126);
        dup2(out, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    err[0] = '\0';
    fd = open(errpath, O_RDONLY);
    if (fd >= 0) {
        n = read(fd, err, err_size - 1);
        err[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define SET_OK(vf, ...)                                                   \
    do {                                                                  \
        char e_[512];                                                     \
        int rc_ = snic_vf_set(e_, sizeof(e_), vf, __VA_ARGS__, NULL);     \
        cr_assert_eq(rc_, 0, "snic-vf set %s failed (exit %d): %s", vf,   \
                     rc_, e_);                                            \
    } while (0)

/* ---- frames ------------------------------------------------------------ */

/* dst, src, [802.1Q tag when vid >= 0], 0x88b5, payload of @tag bytes. */
static uint32_t
make_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int vid,
           uint8_t tag)
{
    uint32_t off = 12;

    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    if (vid >= 0) {
        f[off++] = 0x81;
        f[off++] = 0x00;
        f[off++] = (uint8_t)((vid >> 8) & 0x0f);
        f[off++] = (uint8_t)vid;
    }
    f[off++] = ETYPE_HI;
    f[off++] = ETYPE_LO;
    while (off < FRAME_LEN + (vid >= 0 ? 4u : 0u))
        f[off++] = tag;
    return off;
}

static void
send_frame(struct fw_pktq_map *q, const uint8_t dst[6], const uint8_t src[6],
           int vid, uint8_t tag)
{
    uint8_t f[FRAME_LEN + 4];
    struct fw_pkt pkt = { .data = f };

    pkt.len = make_frame(f, dst, src, vid, tag);
    cr_assert_eq(fw_pktq_tx(q, &pkt, 1), 1u, "tx ring full");
}

struct rx_frame {
    uint8_t data[FW_PKT_BUF_SIZE];
    uint32_t len;
    int vid;                /* outer 802.1Q VLAN, -1 untagged */
    uint8_t tag;            /* payload byte */
};

/* Wait up to 2 s for the next frame on @q. */
static bool
rx_next(struct fw_pktq_map *q, struct rx_frame *r)
{
    struct fw_pkt meta;
    uint32_t off;

    for (int i = 0; i < 20000; i++) {
        if (fw_pktq_rx_peek(q, &meta, 1) == 1) {
            r->len = meta.len < sizeof(r->data) ? meta.len : sizeof(r->data);
            memcpy(r->data, meta.data, r->len);
            fw_pktq_rx_release(q, 1);
            r->vid = -1;
            off = 12;
            if (r->len >= 18 && r->data[12] == 0x81 && r->data[13] == 0x00) {
                r->vid = ((r->data[14] & 0x0f) << 8) | r->data[15];
                off = 16;
            }
            r->tag = r->len > off + 2 ? r->data[off + 2] : 0;
            return true;
        }
        usleep(100);
    }
    return false;
}

static bool
rx_empty(struct fw_pktq_map *q)
{
    struct fw_pkt meta;

    return fw_pktq_rx_peek(q, &meta, 1) == 0;
}

/* ---- the card's view --------------------------------------------------- */

static struct fw_vport_stats_out
stats(uint16_t vport)
{
    struct fw_vport_query_in in = { .vport = vport };
    struct fw_vport_stats_out out;
    uint8_t status;

    cr_assert_eq(fw_chan_exec(pf, FW_CMD_VPORT_STATS, &in, sizeof(in), &out,
                              sizeof(out), &status, NULL, TMO), 0);
    cr_assert_eq(status, FW_STATUS_OK, "vport stats: %s",
                 fw_status_str(status));
    return out;
}

#define TX_DROPPED offsetof(struct fw_vport_stats_out, tx_dropped)
#define RX_DROPPED offsetof(struct fw_vport_stats_out, rx_dropped)

static uint64_t
counter(uint16_t vport, size_t field)
{
    struct fw_vport_stats_out s = stats(vport);
    uint64_t v;

    memcpy(&v, (const uint8_t *)&s + field, sizeof(v));
    return v;
}

/* Wait until the counter at @field of @vport is above @old. */
static void
await_counter(uint16_t vport, size_t field, uint64_t old, const char *what)
{
    for (int i = 0; i < 2000; i++) {
        if (counter(vport, field) > old)
            return;
        usleep(1000);
    }
    cr_assert_fail("%s: counter did not grow within 2 s", what);
}

/* ---- (a) port VLAN ----------------------------------------------------- */

Test(vf_traffic, port_vlan_tags_on_the_wire_and_untags_for_the_vf)
{
    struct rx_frame r;
    uint64_t dropped;

    SET_OK("1", "mac", "02:00:00:00:0f:01", "vlan", "100");

    /* untagged from VF1 leaves on the wire tagged with VLAN 100 */
    send_frame(vf_q[1], far_mac, vf1_mac, -1, 0xa1);
    cr_assert(rx_next(up_q, &r), "VF1's untagged frame never reached the wire");
    cr_expect_eq(r.vid, 100, "on the wire with VLAN %d, not 100", r.vid);
    cr_expect_eq(r.tag, 0xa1);
    cr_expect_eq(r.len, FRAME_LEN + 4);
    cr_expect_eq(r.data[16], ETYPE_HI);
    cr_expect_arr_eq(r.data + 6, vf1_mac, 6);

    /* VF1 may not choose its own VLAN: a tagged frame is dropped, the
     * untagged one sent after it arrives first */
    dropped = counter(FW_VPORT_VF(1), TX_DROPPED);
    send_frame(vf_q[1], far_mac, vf1_mac, 5, 0xa2);
    send_frame(vf_q[1], far_mac, vf1_mac, 100, 0xa3);
    send_frame(vf_q[1], far_mac, vf1_mac, -1, 0xa4);
    cr_assert(rx_next(up_q, &r), "VF1's marker frame never reached the wire");
    cr_expect_eq(r.tag, 0xa4, "a tagged frame from VF1 passed (payload %#x)",
                 r.tag);
    cr_expect_eq(r.vid, 100);
    cr_expect_eq(counter(FW_VPORT_VF(1), TX_DROPPED), dropped + 2);

    /* from the wire: VLAN 200 and untagged frames to VF1's MAC stay out,
     * VLAN 100 arrives with its tag removed */
    send_frame(up_q, vf1_mac, far_mac, 200, 0xb1);
    send_frame(up_q, vf1_mac, far_mac, -1, 0xb2);
    send_frame(up_q, vf1_mac, far_mac, 100, 0xb3);
    cr_assert(rx_next(vf_q[1], &r), "VLAN 100 frame never reached VF1");
    cr_expect_eq(r.tag, 0xb3, "VF1 got a frame outside its VLAN (payload "
                 "%#x)", r.tag);
    cr_expect_eq(r.vid, -1, "VF1 sees VLAN %d: the port VLAN was not popped",
                 r.vid);
    cr_expect_eq(r.len, FRAME_LEN);
    cr_expect_eq(r.data[12], ETYPE_HI);
    cr_expect_eq(r.data[13], ETYPE_LO);
    cr_expect(rx_empty(vf_q[0]), "VF0 got a frame meant for VF1");

    /* vlan 0 lifts the policy: untagged again on the wire */
    SET_OK("1", "vlan", "0");
    send_frame(vf_q[1], far_mac, vf1_mac, -1, 0xa5);
    cr_assert(rx_next(up_q, &r));
    cr_expect_eq(r.tag, 0xa5);
    cr_expect_eq(r.vid, -1);
}

/* ---- (b) spoof check --------------------------------------------------- */

Test(vf_traffic, spoofchk_drops_forged_source_mac)
{
    struct rx_frame r;
    uint64_t dropped;

    SET_OK("0", "mac", "02:00:00:00:0f:00", "spoofchk", "on");
    SET_OK("1", "mac", "02:00:00:00:0f:01");

    /* forged broadcast: would reach the wire and VF1 if it passed */
    dropped = counter(FW_VPORT_VF(0), TX_DROPPED);
    send_frame(vf_q[0], bcast, forged_mac, -1, 0xc1);
    await_counter(FW_VPORT_VF(0), TX_DROPPED, dropped,
                  "VF0's forged frame");
    cr_expect(rx_empty(up_q), "a forged source MAC reached the wire");
    cr_expect(rx_empty(vf_q[1]), "a forged source MAC reached VF1");
    /* forged unicast to VF1 too */
    send_frame(vf_q[0], vf1_mac, forged_mac, -1, 0xc2);
    await_counter(FW_VPORT_VF(0), TX_DROPPED, dropped + 1,
                  "VF0's forged unicast");
    cr_expect(rx_empty(vf_q[1]), "a forged unicast reached VF1");

    /* its own MAC passes, to the wire and to VF1 */
    send_frame(vf_q[0], bcast, vf0_mac, -1, 0xc3);
    cr_assert(rx_next(up_q, &r), "VF0's own broadcast never reached the wire");
    cr_expect_eq(r.tag, 0xc3);
    cr_expect_arr_eq(r.data + 6, vf0_mac, 6);
    cr_assert(rx_next(vf_q[1], &r), "VF0's own broadcast never reached VF1");
    cr_expect_eq(r.tag, 0xc3);
    cr_expect_eq(counter(FW_VPORT_VF(0), TX_DROPPED), dropped + 2);

    /* spoofchk off: the same forged frame goes through */
    SET_OK("0", "spoofchk", "off");
    send_frame(vf_q[0], far_mac, forged_mac, -1, 0xc4);
    cr_assert(rx_next(up_q, &r), "with spoofchk off the frame was dropped");
    cr_expect_eq(r.tag, 0xc4);
    cr_expect_arr_eq(r.data + 6, forged_mac, 6);
}

/* ---- (c) link state ---------------------------------------------------- */

Test(vf_traffic, link_state_disable_passes_nothing)
{
    struct rx_frame r;
    uint64_t txd, rxd;

    SET_OK("1", "mac", "02:00:00:00:0f:01", "state", "disable");

    /* VF1 -> anywhere */
    txd = counter(FW_VPORT_VF(1), TX_DROPPED);
    send_frame(vf_q[1], bcast, vf1_mac, -1, 0xd1);
    await_counter(FW_VPORT_VF(1), TX_DROPPED, txd, "VF1's broadcast");
    send_frame(vf_q[1], vf0_mac, vf1_mac, -1, 0xd2);
    await_counter(FW_VPORT_VF(1), TX_DROPPED, txd + 1, "VF1's unicast");
    cr_expect(rx_empty(up_q), "a disabled VF's frame reached the wire");
    cr_expect(rx_empty(vf_q[0]), "a disabled VF's frame reached VF0");

    /* wire and VF0 -> VF1 */
    rxd = counter(FW_VPORT_VF(1), RX_DROPPED);
    send_frame(up_q, vf1_mac, far_mac, -1, 0xd3);
    await_counter(FW_VPORT_VF(1), RX_DROPPED, rxd, "wire to VF1");
    send_frame(vf_q[0], vf1_mac, vf0_mac, -1, 0xd4);
    await_counter(FW_VPORT_VF(1), RX_DROPPED, rxd + 1, "VF0 to VF1");
    cr_expect(rx_empty(vf_q[1]), "a disabled VF received a frame");

    /* enable: the same paths carry traffic (the test can see it) */
    SET_OK("1", "state", "enable");
    send_frame(up_q, vf1_mac, far_mac, -1, 0xd5);
    cr_assert(rx_next(vf_q[1], &r), "enabled VF1 got nothing from the wire");
    cr_expect_eq(r.tag, 0xd5);
    send_frame(vf_q[1], far_mac, vf1_mac, -1, 0xd6);
    cr_assert(rx_next(up_q, &r), "enabled VF1's frame never reached the wire");
    cr_expect_eq(r.tag, 0xd6);
}

/* ---- (d) trust --------------------------------------------------------- */

/* VF0 asks, on its own socket, to change its own vport. */
static uint8_t
vf0_modify(uint32_t field, const uint8_t mac[6], uint8_t promisc,
           uint32_t *syndrome)
{
    struct fw_vport_modify_in in = { .vport = FW_VPORT_VF(0),
                                     .field_select = field };
    uint8_t status = 0xff;

    if (field & FW_VPORT_F_MAC)
        memcpy(in.ctx.mac, mac, 6);
    in.ctx.promisc = promisc;
    cr_assert_eq(fw_chan_exec(vf_ch[0], FW_CMD_VPORT_MODIFY, &in, sizeof(in),
                              NULL, 0, &status, syndrome, TMO), 0);
    return status;
}

static struct fw_vport_ctx
vport_ctx(uint16_t vport)
{
    struct fw_vport_query_in in = { .vport = vport };
    struct fw_vport_query_out out;
    uint8_t status;

    cr_assert_eq(fw_chan_exec(pf, FW_CMD_VPORT_QUERY, &in, sizeof(in), &out,
                              sizeof(out), &status, NULL, TMO), 0);
    cr_assert_eq(status, FW_STATUS_OK);
    return out.ctx;
}

Test(vf_traffic, untrusted_vf_cannot_change_mac_or_go_promiscuous)
{
    const uint8_t new_mac[6] = { 0x02, 0, 0, 0, 0x0f, 0x42 };
    struct fw_vport_modify_in other = { .vport = FW_VPORT_VF(1),
                                        .field_select = FW_VPORT_F_MAC };
    struct fw_vport_ctx c;
    struct rx_frame r;
    uint32_t synd = 0;
    uint8_t st;

    SET_OK("0", "mac", "02:00:00:00:0f:00", "trust", "off");

    st = vf0_modify(FW_VPORT_F_MAC, new_mac, 0, &synd);
    cr_expect_eq(st, FW_STATUS_NO_PERM, "untrusted MAC change: %s",
                 fw_status_str(st));
    cr_expect_eq(FW_SYND_REASON(synd), FW_SYND_TRUST);
    st = vf0_modify(FW_VPORT_F_RX_MODE, NULL, 1, &synd);
    cr_expect_eq(st, FW_STATUS_NO_PERM, "untrusted promiscuous: %s",
                 fw_status_str(st));
    cr_expect_eq(FW_SYND_REASON(synd), FW_SYND_TRUST);
    c = vport_ctx(FW_VPORT_VF(0));
    cr_expect_arr_eq(c.mac, vf0_mac, 6, "refused change left a trace");
    cr_expect_eq(c.promisc, 0);

    /* never another VF's vport, trusted or not */
    memcpy(other.ctx.mac, new_mac, 6);
    cr_assert_eq(fw_chan_exec(vf_ch[0], FW_CMD_VPORT_MODIFY, &other,
                              sizeof(other), NULL, 0, &st, &synd, TMO), 0);
    cr_expect_eq(st, FW_STATUS_NO_PERM);

    SET_OK("0", "trust", "on");
    st = vf0_modify(FW_VPORT_F_MAC, new_mac, 0, &synd);
    cr_expect_eq(st, FW_STATUS_OK, "trusted MAC change: %s (syndrome %#x)",
                 fw_status_str(st), synd);
    st = vf0_modify(FW_VPORT_F_RX_MODE, NULL, 1, &synd);
    cr_expect_eq(st, FW_STATUS_OK, "trusted promiscuous: %s (syndrome %#x)",
                 fw_status_str(st), synd);
    c = vport_ctx(FW_VPORT_VF(0));
    cr_expect_arr_eq(c.mac, new_mac, 6);
    cr_expect_eq(c.promisc, 1);
    cr_assert_eq(fw_chan_exec(vf_ch[0], FW_CMD_VPORT_MODIFY, &other,
                              sizeof(other), NULL, 0, &st, &synd, TMO), 0);
    cr_expect_eq(st, FW_STATUS_NO_PERM, "trust reached another VF's vport");

    /* the new MAC is live, and promiscuous mode sees unknown unicast */
    send_frame(up_q, new_mac, far_mac, -1, 0xe1);
    send_frame(up_q, forged_mac, far_mac, -1, 0xe2);
    cr_assert(rx_next(vf_q[0], &r), "frame to VF0's new MAC never arrived");
    cr_expect_eq(r.tag, 0xe1);
    cr_assert(rx_next(vf_q[0], &r), "promiscuous VF0 missed unknown unicast");
    cr_expect_eq(r.tag, 0xe2);

    /* trust off again: refused again */
    SET_OK("0", "trust", "off");
    st = vf0_modify(FW_VPORT_F_MAC, vf0_mac, 0, &synd);
    cr_expect_eq(st, FW_STATUS_NO_PERM, "MAC change after trust off: %s",
                 fw_status_str(st));
}
