/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the server files (emu_server.c, emu_region.c, emu_shmq.c,
 * emu_tap.c): the objects behind the event loop and who owns what.
 *
 * Ownership. The server owns listeners, clients and taps. A client owns its
 * region and its packet queues: when it disconnects they go, device state
 * (rules, vports, SR-IOV) stays. Objects closed while an epoll batch is in
 * hand are unhooked at once but freed only after the batch (the graveyard),
 * since later events of the same batch may still point at them.
 */
#ifndef SNIC_EMU_SERVER_INT_H
#define SNIC_EMU_SERVER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "emu_server.h"
#include "snic/peer.h"

enum emu_watch_kind {
    EMU_W_LISTEN = 1,
    EMU_W_CLIENT,
    EMU_W_DOORBELL,
    EMU_W_KICK,
    EMU_W_TAP,
    EMU_W_SIGNAL,
};

/* What an epoll event points at. */
struct emu_watch {
    uint8_t kind;
    void *obj;
};

struct emu_listener {
    struct emu_watch w;
    int fd;
    uint16_t function;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct emu_shmq;

struct emu_client {
    struct emu_watch w_sock;
    struct emu_watch w_db;
    struct emu_server *srv;
    struct emu_client *next;
    int sock;
    int db_fd;
    int cq_fd;
    uint16_t function;
    uint16_t abi_minor;     /* negotiated at hello */
    bool ready;             /* hello done, region handed out */
    bool poll_shown;        /* what we last stored in reg->cmdq_polling */
    bool closing;
    uint8_t *map;
    size_t map_size;
    struct fw_region *reg;
    uint8_t *slots;
    struct fw_cqe *cq;
    uint32_t depth;
    uint32_t mask;
    uint32_t cmd_cons;
    uint32_t cq_prod;
    struct emu_shmq *queues;    /* owned, linked by next_owned */
};

struct emu_shmq {
    struct emu_watch w_kick;
    struct emu_client *owner;
    struct emu_shmq *next_owned;
    uint16_t vport;
    uint16_t queue;
    bool rep;               /* a PF representor queue, else a host side */
    uint32_t depth;
    uint32_t mask;
    uint32_t flags;
    int kick_fd;
    uint8_t *map;
    size_t size;
    struct fw_pktq *hdr;
    struct fw_pkt_desc *rx_desc;
    uint8_t *rx_bufs;
    struct fw_pkt_desc *tx_desc;
    uint8_t *tx_bufs;
    uint32_t rx_prod;
    uint32_t tx_cons;
};

struct emu_tap {
    struct emu_watch w;
    int fd;
    uint16_t vport;
    char ifname[IFNAMSIZ];
};

struct emu_server {
    struct emu_dev *dev;
    int ep;
    int sig_fd;
    struct emu_watch w_sig;
    bool quiet;
    bool stop;
    bool busy;              /* polling rings instead of sleeping in epoll */
    uint32_t idle_ns;       /* how long to poll after the last work:
                             * adaptive, see emu_server.c */
    uint32_t mirrored_health;   /* last values copied into the regions */
    uint32_t mirrored_gen;
    uint32_t mirrored_sriov;    /* sriov_generation copied into regions */
    uintptr_t heap_end;         /* the break when last populated, 0: not
                                 * yet read (emu_server.c) */
    uint32_t cmdq_depth;
    struct snic_peer_policy peers;  /* checked at every accept */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct emu_listener pf;
    struct emu_listener uplink;
    struct emu_listener *vf;    /* [max_vfs]; fd < 0 when absent */
    uint16_t max_vfs;
    uint16_t nvports;
    uint16_t max_queues;
    struct emu_client *clients;
    /* [vport * max_queues + queue]: host sides (VF n, the wire's peer) and
     * the PF's representor queues */
    struct emu_shmq **host;
    struct emu_shmq **rep;
    struct emu_tap *taps;       /* [nvports]; fd < 0 when none */
    void **graveyard;
    size_t n_graveyard;
    size_t cap_graveyard;
};

/*
 * Who calls whom. emu_server.c owns the loop and dispatches forward: to the
 * command regions (emu_region.c), the packet queues (emu_shmq.c) and the
 * taps (emu_tap.c), and it relays the device's deliveries to a queue or a
 * tap. Those call only the leaves (emu_loop.c, emu_attach.c) and the device
 * model, never the server or each other.
 */

/* emu_server.c */
void emu_server_log(struct emu_server *srv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* emu_loop.c (leaf): epoll hooks and the graveyard */
int emu_loop_watch(struct emu_server *srv, int fd, struct emu_watch *w,
                   uint32_t events);
void emu_loop_unwatch(struct emu_server *srv, int fd);
void emu_loop_defer_free(struct emu_server *srv, void *obj);
/* Free what was deferred: only between epoll batches. */
void emu_loop_bury(struct emu_server *srv);

/* emu_attach.c (leaf): the device's view of a vport's host side */
void emu_attach_update(struct emu_server *srv, uint16_t vport);

/* emu_region.c: command regions */
int emu_region_create(struct emu_client *c, uint32_t depth, int *memfd);
void emu_region_destroy(struct emu_client *c);
/* ABI 1.12: store whether the device polls this client's cmdq_producer
 * (reg->cmdq_polling) when it changed; nothing for a client of an older
 * minor. The caller fences before it looks at the producers again. */
void emu_region_show_polling(struct emu_client *c, bool polling);
unsigned emu_region_process(struct emu_client *c, unsigned budget);
/* Copy health, reset generation and the SR-IOV view into every client's
 * region when they changed. */
void emu_region_mirror_all(struct emu_server *srv);
void emu_region_mirror(struct emu_client *c, uint32_t health,
                       uint32_t reset_gen);
/* ABI 1.2 SR-IOV view (num_vfs, vf_generation[], sriov_generation). */
void emu_region_mirror_sriov(struct emu_client *c, const struct emu_dev *dev);

/* emu_shmq.c: packet queues */
uint8_t emu_shmq_attach(struct emu_client *c, const struct fw_queue_attach *a,
                        uint32_t *syndrome, int fds[2], uint32_t *size);
void emu_shmq_release_all(struct emu_client *c);
unsigned emu_shmq_poll_tx(struct emu_server *srv, unsigned budget);
/* Arm (1) or disarm (0) every tx ring's tx_need_kick; returns true when a
 * ring already holds frames (do not sleep). */
bool emu_shmq_set_need_kick(struct emu_server *srv, bool arm);
/* 1: on a ring; 0: dropped (ring full, frame too large); -ENOENT: no
 * shared-memory queue takes this destination (a host side may have a tap). */
int emu_shmq_deliver(struct emu_server *srv, const struct emu_dest *dest,
                     const uint8_t *frame, uint32_t len);
void emu_shmq_kicked(struct emu_shmq *q);
/* Detach the PF's representor queues of every vport >= @first (VFs that
 * went away): their holder sees detached=1. */
void emu_shmq_release_reps(struct emu_server *srv, uint16_t first);

/* emu_tap.c: kernel tap attachments */
int emu_tap_open(struct emu_server *srv, uint16_t vport, const char *ifname);
void emu_tap_close_all(struct emu_server *srv);
void emu_tap_readable(struct emu_server *srv, struct emu_tap *tap);
bool emu_tap_deliver(struct emu_server *srv, uint16_t vport,
                     const uint8_t *frame, uint32_t len);

#endif /* SNIC_EMU_SERVER_INT_H */
