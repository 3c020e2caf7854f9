/* SPDX-License-Identifier: BSD-3-Clause */
/* snicd's command line (after "--"), parsed without side effects. */
#ifndef SNICD_OPTS_H
#define SNICD_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "snic/dp.h"

/* A port's switch settings from --port NAME:SETTING[:SETTING...], as
 * Open vSwitch's Port table has them (tag, vlan_mode, trunks) plus
 * no-flood (its OpenFlow port flag). */
struct snicd_port_cfg {
    char name[32];
    struct dp_port sw;          /* ofport filled in when the port is found */
};

#define SNICD_MAX_PORT_CFGS     64u

/* --patch NAME=PEER: a pair of patch ports, each the other's peer (Open
 * vSwitch's type=patch, both ends in snicd's one switch). */
struct snicd_patch_cfg {
    char name[32];
    char peer[32];
};

#define SNICD_MAX_PATCHES       8u

struct snicd_opts {
    const char *rundir;             /* control socket folder */
    const char *group;              /* may also use the socket; NULL: none */
    bool offload;                   /* false: --no-offload */
    unsigned workers;
    unsigned mbufs;                 /* 0: sized from ports and workers */
    const char *flows_file;
    const char *journal;            /* NULL: RUNDIR/flows.journal */
    bool no_journal;                /* --journal none */
    int log_level;
    const char *emunic_socket;
    const char *emunic_bin;         /* NULL: next to snicd's build dir */
    const char *emunic_profile;     /* profile for an emunic snicd starts */
    unsigned vfs;                   /* representors of the default card */
    bool has_vxlan;
    struct dp_vxlan_port vxlan;
    struct snicd_port_cfg ports[SNICD_MAX_PORT_CFGS];
    unsigned n_ports;
    unsigned mac_aging;             /* seconds; 0: the default (300) */
    /* --normal-rules: NORMAL's conversations as card rules, at most */
    unsigned normal_rules;
    /* --mac-aging under SNICD_NORMAL_MIN_AGING without --normal-rules:
     * normal_rules was turned to 0 (snicd says so when it starts) */
    bool normal_rules_off_aging;
    const char *local_iface;        /* --local: LOCAL's tap; NULL: none */
    /* --flow-queue-size N; 0: --no-flow-queues (the sync rte_flow API) */
    unsigned flow_queue_size;
    /* --queue-timeout: how long a flow queue may answer nothing */
    unsigned queue_timeout_ms;
    struct snicd_patch_cfg patches[SNICD_MAX_PATCHES];
    unsigned n_patches;
};

#define SNICD_DEFAULT_FLOW_QUEUE_SIZE   1024u
/* NORMAL conversation rules at most (--normal-rules) */
#define SNICD_DEFAULT_NORMAL_RULES      1024u
/* The shortest --mac-aging that NORMAL's conversation rules can keep
 * alive. A MAC's age counts whole seconds (dp_fdb.c: live while now <
 * last seen + aging), and the card's frames refresh it only when snicd
 * reads the rules' counters, once a second, a turn late at times: with 1
 * or 2 s the entry dies between two reads while the card still carries
 * the conversation, the rule goes, the next frame re-learns it in
 * software and asks again, a create and a destroy per conversation each
 * second for rules that live under a second. */
#define SNICD_NORMAL_MIN_AGING          3u
#define SNICD_MAX_FLOW_QUEUE_SIZE       65536u

#define SNICD_DEFAULT_EMUNIC_SOCKET "/run/snic/emunic.sock"

/* Fill @o from argv (the options after "--"; argv[0] is skipped). 0, 1 when
 * --help was printed, or -EINVAL with the reason in @err. */
int snicd_opts_parse(int argc, char **argv, struct snicd_opts *o,
                     char *err, size_t err_size);
/* "local=IP,remote=IP[,local-mac=MAC][,remote-mac=MAC][,dstport=4789]" */
int snicd_opts_parse_vxlan(const char *s, struct dp_vxlan_port *p,
                           char *err, size_t err_size);
/* "NAME:tag=N:vlan_mode=MODE:trunks=N,N-M:no-flood" (any subset, after
 * the name). 0 or -EINVAL with the reason in @err. */
int snicd_opts_parse_port(const char *s, struct snicd_port_cfg *pc,
                          char *err, size_t err_size);
/* "NAME=PEER": two new port names (a letter, then letters, digits, '_',
 * '-' or '.'; at most 31 characters; not a name snicd gives its ports nor
 * an OpenFlow reserved port). 0 or -EINVAL with the reason in @err. */
int snicd_opts_parse_patch(const char *s, struct snicd_patch_cfg *pc,
                           char *err, size_t err_size);
void snicd_opts_usage(FILE *f);

#endif /* SNICD_OPTS_H */
