/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starting the emulated card: one way for every process that runs one
 * (snicd's default card, snic-bench, the firmware benchmark, the tests).
 *
 * snic_emunic_start() runs BIN --socket SOCK ARGS... and returns once the
 * card says "emunic: listening on SOCK" on its standard output: emunic
 * prints that line after every socket it opens at start (PF, uplink, each
 * VF) listens, so a caller may open any of them at once. A socket that
 * merely accepts is not enough: the PF's listens before the VFs' exist.
 * The wait is bounded; a card that exits, says something else, or stays
 * silent is stopped and reaped, and e->err says which, naming the socket
 * and the card's exit status.
 *
 * The card's standard output is read only up to that line (emunic ignores
 * SIGPIPE, so later lines are dropped, not fatal); its standard error goes
 * to @how->log when given (the ready line is copied there too, so the log
 * reads as the card's own), else to the caller's.
 *
 * A card must not outlive what started it when that ends badly (a test
 * killed by its timeout, a benchmark interrupted): @how->death_signal is
 * delivered to the card when the starting thread ends (PR_SET_PDEATHSIG;
 * start from a thread that lives as long as the card). snicd passes 0: a
 * card it started outlives a snicd that crashed, and the next snicd finds
 * it answering and adopts its rules (keep_rules=1, docs/snicd.md).
 *
 * With @sock NULL the card gets a private folder, /tmp/snic-TAG.XXXXXX
 * (TAG from @how->tag), its socket DIR/nic; snic_emunic_stop() removes the
 * folder and the sockets a killed card leaves in it.
 *
 * libc only: no DPDK, no test framework. Not thread-safe: one struct, one
 * owner.
 */
#ifndef SNIC_EMUNIC_H
#define SNIC_EMUNIC_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#define SNIC_EMUNIC_WAIT_MS     5000    /* default wait for the ready line */

struct snic_emunic {
    pid_t pid;              /* > 0 while the card runs */
    char dir[64];           /* the private folder, "" when the caller's */
    char sock[108];         /* the PF socket (sun_path's size) */
    char ready[256];        /* the card's ready line, without its newline */
    char err[384];          /* why the last start failed */
};

struct snic_emunic_how {
    const char *tag;        /* private folder's name part (sock NULL) */
    const char *log;        /* the card's stderr (appended); NULL: ours */
    int wait_ms;            /* 0: SNIC_EMUNIC_WAIT_MS */
    int death_signal;       /* sent when the starting thread ends; 0: none */
    bool own_session;       /* setsid(): a ^C at our terminal is not its */
    /* nonzero: stop waiting (a caller's signal flag); -EINTR */
    const volatile sig_atomic_t *cancel;
};

/* Start @bin on @sock (NULL: a private folder) with @args (NULL-terminated,
 * may be NULL) after "--socket SOCK", and wait until it is ready.
 * 0, or a negative errno with e->err set and nothing left running:
 * -ECHILD the card exited (or exec failed), -ETIMEDOUT it stayed silent,
 * -EPROTO it printed something else, -EINTR @how->cancel was raised. */
int snic_emunic_start(struct snic_emunic *e, const char *bin,
                      const char *sock, const char *const *args,
                      const struct snic_emunic_how *how);

/* SIGTERM, up to @wait_ms for it to go, then SIGKILL; reap it, and remove
 * the private folder if there is one. Idempotent. The card's wait status,
 * or -1 when nothing ran. */
int snic_emunic_stop(struct snic_emunic *e, int wait_ms);

#endif /* SNIC_EMUNIC_H */
