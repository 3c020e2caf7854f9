/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: packet queues in shared memory between emunic and drivers
 * (a VF's host side, the wire's peer, the PF's representors).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fw_test_emunic.h"
#include "snic/fw_chan.h"

#define TMO 3000
#define QD  256

static struct snic_emunic emu;

static void
fini(void)
{
    fw_test_emunic_stop(&emu);
}

TestSuite(fw_pktq, .fini = fini, .timeout = 20);

static const uint8_t vf0_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x10 };
static const uint8_t far_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x99, 0x01 };

static struct fw_chan *
open_fn(const char *suffix)
{
    char p[160];
    struct fw_chan *ch = fw_chan_open(fw_test_path(&emu, suffix, p, sizeof(p)),
                                      TMO);

    cr_assert_not_null(ch, "open %s: %s", suffix, strerror(errno));
    return ch;
}

static uint32_t
make_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint8_t tag)
{
    uint32_t i;

    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x88;       /* local experimental EtherType */
    f[13] = 0xb5;
    for (i = 14; i < 96; i++)
        f[i] = (uint8_t)(tag + i);
    return 96;
}

/* Wait up to @ms for one frame of our EtherType (a kernel tap also carries
 * the host's own chatter); copy it out and release it. */
static bool
rx_one(struct fw_pktq_map *q, uint8_t *buf, struct fw_pkt *meta, int ms)
{
    for (int i = 0; i < ms * 10; i++) {
        if (fw_pktq_rx_peek(q, meta, 1) == 1) {
            bool ours = meta->len >= 14 && meta->data[12] == 0x88 &&
                        meta->data[13] == 0xb5;

            memcpy(buf, meta->data, meta->len);
            fw_pktq_rx_release(q, 1);
            if (ours)
                return true;
            continue;
        }
        usleep(100);
    }
    return false;
}

static void
set_vf_mac(struct fw_chan *pf, uint16_t vf, const uint8_t mac[6])
{
    struct fw_vport_modify_in m = { .vport = FW_VPORT_VF(vf),
                                    .field_select = FW_VPORT_F_MAC };
    uint8_t status;

    memcpy(m.ctx.mac, mac, 6);
    cr_assert_eq(fw_chan_exec(pf, FW_CMD_VPORT_MODIFY, &m, sizeof(m), NULL, 0,
                              &status, NULL, TMO), 0);
    cr_assert_eq(status, FW_STATUS_OK, "set VF MAC: %s", fw_status_str(status));
}

Test(fw_pktq, legacy_veb_vf_to_wire_and_back)
{
    const char *args[] = { "--max-vfs", "2", "--num-vfs", "2", NULL };
    struct fw_chan *pf, *vf, *up;
    struct fw_pktq_map *vq, *uq;
    uint8_t frame[256], got[FW_PKT_BUF_SIZE];
    struct fw_pkt pkt, meta;
    struct fw_vport_query_in qin = { .vport = FW_VPORT_VF(0) };
    struct fw_vport_query_out qout;
    uint8_t status;

    cr_assert_eq(fw_test_emunic_start(&emu, args), 0);
    pf = open_fn("");
    set_vf_mac(pf, 0, vf0_mac);
    vf = open_fn(".vf0");
    up = open_fn(".uplink");
    cr_expect_eq(fw_chan_function(up), FW_FUNC_UPLINK);
    vq = fw_pktq_attach(vf, 0, 0, QD, FW_QUEUE_F_RX | FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(vq, "VF queue: %s", strerror(errno));
    uq = fw_pktq_attach(up, 0, 0, QD, FW_QUEUE_F_RX | FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(uq, "uplink queue: %s", strerror(errno));
    cr_expect_not(fw_pktq_detached(vq));

    /* the device knows the VF's host side is shared memory now */
    cr_assert_eq(fw_chan_exec(pf, FW_CMD_VPORT_QUERY, &qin, sizeof(qin), &qout,
                              sizeof(qout), &status, NULL, TMO), 0);
    cr_expect_eq(status, FW_STATUS_OK);
    cr_expect_eq(qout.ctx.attachment, FW_ATTACH_SHM);

    /* VF -> unknown MAC: VEB sends it out of the wire */
    pkt.data = frame;
    pkt.len = make_frame(frame, far_mac, vf0_mac, 1);
    cr_assert_eq(fw_pktq_tx(vq, &pkt, 1), 1u);
    cr_assert(rx_one(uq, got, &meta, 2000), "frame did not reach the wire");
    cr_expect_eq(meta.len, pkt.len);
    cr_expect_arr_eq(got, frame, pkt.len);

    /* let the device fall asleep: the tx kick must wake it */
    usleep(20000);
    pkt.len = make_frame(frame, vf0_mac, far_mac, 2);
    cr_assert_eq(fw_pktq_tx(uq, &pkt, 1), 1u);
    cr_assert(rx_one(vq, got, &meta, 2000), "frame did not reach the VF");
    cr_expect_eq(meta.len, pkt.len);
    cr_expect_arr_eq(got, frame, pkt.len);

    /* oversized frames are not queued */
    pkt.len = FW_PKT_BUF_SIZE + 1;
    cr_expect_eq(fw_pktq_tx(vq, &pkt, 1), 0u);

    fw_pktq_detach(vq);
    fw_pktq_detach(uq);
    fw_chan_close(up);
    fw_chan_close(vf);
    fw_chan_close(pf);
}

Test(fw_pktq, switchdev_miss_reaches_representor)
{
    const char *args[] = { "--max-vfs", "2", "--num-vfs", "2", "--mode",
                           "switchdev", NULL };
    struct fw_chan *pf, *vf;
    struct fw_pktq_map *rq, *vq;
    uint8_t frame[256], got[FW_PKT_BUF_SIZE];
    struct fw_pkt pkt, meta;

    cr_assert_eq(fw_test_emunic_start(&emu, args), 0);
    pf = open_fn("");
    vf = open_fn(".vf0");
    rq = fw_pktq_attach(pf, FW_VPORT_VF(0), 0, QD,
                        FW_QUEUE_F_RX | FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(rq, "representor queue: %s", strerror(errno));
    vq = fw_pktq_attach(vf, 0, 0, QD, FW_QUEUE_F_RX | FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(vq, "VF queue: %s", strerror(errno));

    /* no rules: the miss goes to the VF's representor on the host */
    pkt.data = frame;
    pkt.len = make_frame(frame, far_mac, vf0_mac, 3);
    cr_assert_eq(fw_pktq_tx(vq, &pkt, 1), 1u);
    cr_assert(rx_one(rq, got, &meta, 2000), "miss did not reach the representor");
    cr_expect_eq(meta.len, pkt.len);
    cr_expect_eq(meta.src_vport, FW_VPORT_VF(0));
    cr_expect_arr_eq(got, frame, pkt.len);

    /* what the PF sends on the representor comes out at the VF */
    pkt.len = make_frame(frame, vf0_mac, far_mac, 4);
    cr_assert_eq(fw_pktq_tx(rq, &pkt, 1), 1u);
    cr_assert(rx_one(vq, got, &meta, 2000), "representor tx did not reach the VF");
    cr_expect_arr_eq(got, frame, pkt.len);

    fw_pktq_detach(vq);
    fw_pktq_detach(rq);
    fw_chan_close(vf);
    fw_chan_close(pf);
}

/* Zero-copy tx and a full burst: everything arrives, in order. */
Test(fw_pktq, burst_in_order_zero_copy)
{
    const char *args[] = { "--max-vfs", "1", "--num-vfs", "1", "--mode",
                           "switchdev", NULL };
    struct fw_chan *pf, *vf;
    struct fw_pktq_map *rq, *vq;
    uint8_t *bufs[64];
    uint32_t lens[64];
    struct fw_pkt meta[64];
    unsigned n, i, seen = 0;

    cr_assert_eq(fw_test_emunic_start(&emu, args), 0);
    pf = open_fn("");
    vf = open_fn(".vf0");
    rq = fw_pktq_attach(pf, FW_VPORT_VF(0), 0, QD, FW_QUEUE_F_RX, TMO);
    cr_assert_not_null(rq);
    vq = fw_pktq_attach(vf, 0, 0, 64, FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(vq);

    n = fw_pktq_tx_reserve(vq, bufs, 64);
    cr_assert_eq(n, 64u);
    cr_expect_eq(fw_pktq_tx_reserve(vq, bufs, 1), 64u > 64 ? 1u : 1u,
                 "reserve does not advance");
    n = fw_pktq_tx_reserve(vq, bufs, 64);
    for (i = 0; i < n; i++) {
        lens[i] = make_frame(bufs[i], far_mac, vf0_mac, (uint8_t)i);
        bufs[i][20] = (uint8_t)i;
    }
    fw_pktq_tx_commit(vq, lens, n);
    for (int t = 0; t < 20000 && seen < 64; t++) {
        unsigned k = fw_pktq_rx_peek(rq, meta, 64);

        for (i = 0; i < k; i++)
            cr_expect_eq(meta[i].data[20], (uint8_t)(seen + i), "order");
        fw_pktq_rx_release(rq, k);
        seen += k;
        if (k == 0)
            usleep(100);
    }
    cr_expect_eq(seen, 64u);
    fw_pktq_detach(vq);
    fw_pktq_detach(rq);
    fw_chan_close(vf);
    fw_chan_close(pf);
}

/* A kernel tap as VF 0's host side: a frame the kernel sends on the tap
 * crosses the eSwitch to the wire's peer, and back. */
Test(fw_pktq, vf_tap_attachment)
{
    char tap[IFNAMSIZ], arg[32];
    const char *args[] = { "--max-vfs", "2", "--num-vfs", "2", "--vf-tap",
                           arg, NULL };
    struct fw_vport_query_in qin = { .vport = FW_VPORT_VF(0) };
    struct fw_vport_query_out qout;
    struct fw_chan *pf, *up;
    struct fw_pktq_map *uq;
    uint8_t frame[256], got[FW_PKT_BUF_SIZE];
    struct fw_pkt pkt, meta;
    struct sockaddr_ll sll = { .sll_family = AF_PACKET };
    struct ifreq ifr;
    uint8_t status;
    int fd, ps, i;
    ssize_t n = -1;

    snprintf(tap, sizeof(tap), "snict%d", (int)(getpid() % 100000));
    /* taps need /dev/net/tun and CAP_NET_ADMIN: probe, skip without */
    fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0)
        cr_skip_test("no /dev/net/tun here");
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strcpy(ifr.ifr_name, tap);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        cr_skip_test("cannot create tap devices here");
    }
    close(fd);
    snprintf(arg, sizeof(arg), "0=%s", tap);
    cr_assert_eq(fw_test_emunic_start(&emu, args), 0);
    pf = open_fn("");
    cr_assert_eq(fw_chan_exec(pf, FW_CMD_VPORT_QUERY, &qin, sizeof(qin), &qout,
                              sizeof(qout), &status, NULL, TMO), 0);
    cr_expect_eq(qout.ctx.attachment, FW_ATTACH_TAP);
    set_vf_mac(pf, 0, vf0_mac);
    up = open_fn(".uplink");
    uq = fw_pktq_attach(up, 0, 0, QD, FW_QUEUE_F_RX | FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(uq);

    ps = socket(AF_PACKET, SOCK_RAW, htons(0x88b5));
    cr_assert_geq(ps, 0, "packet socket: %s", strerror(errno));
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, tap);
    cr_assert_eq(ioctl(ps, SIOCGIFFLAGS, &ifr), 0, "no tap %s", tap);
    ifr.ifr_flags |= IFF_UP;
    cr_assert_eq(ioctl(ps, SIOCSIFFLAGS, &ifr), 0);
    sll.sll_ifindex = (int)if_nametoindex(tap);
    sll.sll_protocol = htons(0x88b5);
    cr_assert_eq(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);

    pkt.data = frame;
    pkt.len = make_frame(frame, far_mac, vf0_mac, 5);
    cr_assert_eq(send(ps, frame, pkt.len, 0), (ssize_t)pkt.len);
    cr_assert(rx_one(uq, got, &meta, 2000), "tap frame did not reach the wire");
    cr_expect_arr_eq(got, frame, pkt.len);

    pkt.len = make_frame(frame, vf0_mac, far_mac, 6);
    cr_assert_eq(fw_pktq_tx(uq, &pkt, 1), 1u);
    for (i = 0; i < 200; i++) {
        n = recv(ps, got, sizeof(got), MSG_DONTWAIT);
        if (n > 0 && memcmp(got + 6, far_mac, 6) == 0)
            break;
        usleep(10000);
    }
    cr_expect_eq(n, (ssize_t)pkt.len, "wire frame did not reach the tap");
    cr_expect_arr_eq(got, frame, pkt.len);
    close(ps);
    fw_pktq_detach(uq);
    fw_chan_close(up);
    fw_chan_close(pf);
}
