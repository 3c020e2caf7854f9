/* SPDX-License-Identifier: BSD-3-Clause */
/* snicd's command line (after "--"), parsed without side effects. */
#ifndef SNICD_OPTS_H
#define SNICD_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "snic/dp.h"

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
};

#define SNICD_DEFAULT_EMUNIC_SOCKET "/run/snic/emunic.sock"

/* Fill @o from argv (the options after "--"; argv[0] is skipped). 0, 1 when
 * --help was printed, or -EINVAL with the reason in @err. */
int snicd_opts_parse(int argc, char **argv, struct snicd_opts *o,
                     char *err, size_t err_size);
/* "local=IP,remote=IP[,local-mac=MAC][,remote-mac=MAC][,dstport=4789]" */
int snicd_opts_parse_vxlan(const char *s, struct dp_vxlan_port *p,
                           char *err, size_t err_size);
void snicd_opts_usage(FILE *f);

#endif /* SNICD_OPTS_H */
