/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's test environment: a real emunic process, DPDK in
 * this process with net_emunic (PF + representors of VF 0..3, optionally a
 * VF-side port and the wire's peer for traffic), a flow table whose
 * listener is the manager. Criterion runs every test in its own process, so
 * each test gets its own EAL (which initialises once per process) and its
 * own card.
 *
 * Ports: ethdev 0 = PF (OpenFlow 1, "uplink"), 1..4 = representors of VF
 * 0..3 (OpenFlow 2..5, "vf0".."vf3"); with traffic, 5 = VF 0's VM side and
 * 6 = the wire's peer.
 */
#ifndef TEST_OFFLOAD_ENV_H
#define TEST_OFFLOAD_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "snic/flow.h"
#include "snic_emunic.h"
#include "snicd_offload.h"

#define ENV_N_OFPORTS   5
#define ENV_VXLAN_PORT  100     /* "vxlan0", with env_start_vxlan() */
#define ENV_VXLAN_LOCAL 0xc0a80001u     /* 192.168.0.1 */
#define ENV_VXLAN_REMOTE 0xc0a80002u    /* 192.168.0.2 */
#define ENV_VF_PORT     5
#define ENV_WIRE_PORT   6
#define ENV_MAX_MARKS   4096

struct env {
    struct snic_emunic card;
    struct snicd_offload *o;
    struct flow_table *t;
    struct snicd_port_info ports[ENV_N_OFPORTS + 2];  /* + tunnels */
    unsigned n_ports;           /* + vxlan0 with env_start_vxlan() */
    bool traffic;
    uint64_t last_id;           /* id of the last flow added */
    uint64_t now_ns;
    /* last list published through marks_changed */
    struct snicd_mark marks[ENV_MAX_MARKS];
    unsigned n_marks, marks_calls;
    /* called first at each publication, while env.marks still holds the
     * previous list (what the workers know until this call returns) */
    void (*on_publish)(const struct snicd_mark *marks, unsigned n);
};

extern struct env env;
/* The manager's mark_quiet_ms for the next env_start (0: its default). */
extern uint32_t env_mark_quiet_ms;
/* The PF's flow queue size for the next env_start: 0 takes
 * SNICD_TEST_FLOW_QUEUE from the environment ("0": none, the sync
 * rte_flow API; unset: 1024); UINT32_MAX: none. */
extern uint32_t env_flow_queue;
/* The manager's conv_max (NORMAL's conversation rules) for the next
 * env_start (0: none). */
extern uint32_t env_conv_max;
/* Its conv_idle_ms (0: SNICD_CONV_IDLE_MS). */
extern uint32_t env_conv_idle_ms;
/* Devargs added to the PF's for the next env_start (e.g. ",pull_wait=0"). */
extern const char *env_pf_args;
/* The manager's queue_timeout_ms for the next env_start (0: its default). */
extern uint32_t env_queue_timeout_ms;
/* Its clock for those idle times (NULL: snic_now_ns). */
extern uint64_t (*env_now_ns)(void);

/* Start emunic with @profile (plus optional extra arguments, NULL-ended),
 * DPDK, the manager (offload @enabled) and a flow table. The last named
 * parameter is an int, not a bool: va_start() after a parameter that
 * undergoes promotion is undefined (clang's -Wvarargs). */
void env_start(const char *profile, bool traffic, int enabled, ...);
/* The same with the tunnel port vxlan0 (OpenFlow 100) over the uplink,
 * local VTEP 192.168.0.1, remote 192.168.0.2. */
void env_start_vxlan(const char *profile, int traffic, ...);
void env_stop(void);

/* How many more rules the card takes (trivial group-0 rules created until
 * it refuses, then destroyed): with emunic's --max-rules, the rules in use
 * are the difference. */
unsigned env_free_rules(void);

/* Send @frame (@len bytes) on ethdev port @tx and collect what arrives on
 * @rx within about 200 ms: returns the count; @got (if not NULL, @room
 * bytes) receives the first frame, *@got_len its length, *@mark its mark
 * (0: none). */
unsigned env_xmit(uint16_t tx, const uint8_t *frame, unsigned len,
                  uint16_t rx, uint8_t *got, unsigned room,
                  unsigned *got_len, uint32_t *mark);

/* Add one ovs-ofctl flow (asserts success); returns its id. */
uint64_t env_add(const char *line);
/* Strict modify: new actions for the flow of @line's match and priority
 * (asserts one changed). */
void env_mod(const char *line);
/* Strict delete of one flow by its add line's match and priority. */
void env_del(const char *line);
/* Loose delete of what @match (no actions) selects: flow_table_apply's
 * answer (the number deleted). */
int env_del_loose(const char *match);
int env_commit(void);
/* Fails the test when the manager's counts by place differ from its
 * flows' places (env_commit checks after every commit). */
void env_check_counts(void);
/* The offload manager's statistics now. */
struct snicd_offload_stats env_stats(void);
enum snicd_where env_where(uint64_t id, const char **reason);
/* Assert where @id lives, and that its reason contains @words (may be
 * NULL). */
void env_expect(uint64_t id, enum snicd_where w, const char *words);

/* Send @n UDP frames of @len bytes from VF 0's VM side with @dst_ip (host
 * order) and wait for them on @rx_port; returns how many arrived there.
 * @mark_out (if not NULL) gets the mark of the last frame (0: none). */
unsigned env_send(unsigned n, unsigned len, uint32_t dst_ip, uint16_t rx_port,
                  uint32_t *mark_out);

/* Run build/cli/snic-fw/snic-fw against the card; returns its exit status. */
int env_snic_fw(const char *cmd);
/* Wait (at most @ms) for the PMD's RTE_ETH_EVENT_INTR_RESET. */
bool env_wait_reset(unsigned ms);

#endif /* TEST_OFFLOAD_ENV_H */
