/* SPDX-License-Identifier: BSD-3-Clause */
/* snicd's options. Pure: unit-tested without an EAL. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "snicd.h"
#include "snicd_opts.h"

void
snicd_opts_usage(FILE *f)
{
    fprintf(f,
        "usage: snicd [EAL ARGS] -- [OPTIONS]\n"
        "\n"
        "The snic offload control plane: switch flows into the NIC's eSwitch\n"
        "through rte_flow, the rest in a software datapath. Without EAL\n"
        "arguments it attaches to the default emunic (starting one).\n"
        "\n"
        "  --rundir DIR           control socket DIR/snicd.ctl (default "
        "/run/snic)\n"
        "  --group NAME           group allowed on the control socket\n"
        "  --no-offload           every flow in the software datapath\n"
        "  --flow-queue-size N    operations on the transfer port's flow\n"
        "                         queue (template/async rte_flow API;\n"
        "                         default 1024, 1..65536)\n"
        "  --no-flow-queues       every rule through the synchronous\n"
        "                         rte_flow API, even on a port with queues\n"
        "  --queue-timeout MS     a flow queue that answers nothing for this\n"
        "                         long makes snicd give up on the card and\n"
        "                         re-attach it (default 3000, 10..600000)\n"
        "  --workers N            datapath lcores (default 1)\n"
        "  --mbufs N              packet buffers (default: enough for every\n"
        "                         port's rx ring; raise for pcap replay)\n"
        "  --flows FILE           load these flows at start\n"
        "  --journal FILE|none    desired-state journal (default "
        "RUNDIR/flows.journal)\n"
        "  --vxlan local=IP,remote=IP[,local-mac=MAC,remote-mac=MAC]\n"
        "                         tunnel port vxlan0 (OpenFlow 100) over the "
        "uplink\n"
        "  --port NAME:SETTING[:SETTING...]\n"
        "                         a port's switch settings for NORMAL and\n"
        "                         FLOOD: tag=N, vlan_mode=access|trunk|\n"
        "                         native-tagged|native-untagged,\n"
        "                         trunks=N,N-M..., no-flood\n"
        "  --mac-aging SECONDS    NORMAL forgets a MAC idle this long "
        "(default 300)\n"
        "  --normal-rules N       NORMAL's known unicast conversations as\n"
        "                         card rules, at most N (default 1024; 0:\n"
        "                         none, NORMAL stays in software; none by\n"
        "                         default with --mac-aging under 3)\n"
        "  --local IFNAME         LOCAL is a tap interface IFNAME on the host\n"
        "  --patch NAME=PEER      a patch port pair (OpenFlow 300 + 2i and\n"
        "                         301 + 2i for the i-th): an output to one\n"
        "                         enters the pipeline at the other\n"
        "  --emunic-socket PATH   default card's socket (default %s)\n"
        "  --emunic PATH          emunic binary to start if none answers\n"
        "  --emunic-profile NAME  its capability profile (full, basic, tiny)\n"
        "  --vfs N                representors of the default card "
        "(default 4)\n"
        "  --log-level LEVEL      error, warning, info (default) or debug\n"
        "  -h, --help             this text\n", SNICD_DEFAULT_EMUNIC_SOCKET);
}

static int
fail(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;

    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &tail) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 0xff)
            return -EINVAL;
        mac[i] = (uint8_t)v[i];
    }
    return 0;
}

int
snicd_opts_parse_vxlan(const char *s, struct dp_vxlan_port *p, char *err,
                       size_t err_size)
{
    char *copy = strdup(s), *save = NULL, *tok;
    bool local = false;
    int rc = 0;

    if (copy == NULL)
        return -ENOMEM;
    memset(p, 0, sizeof(*p));
    p->ofport = SNICD_OFPORT_VXLAN;
    p->underlay_port = SNICD_OFPORT_UPLINK;
    for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        struct in_addr a;

        if (eq == NULL) {
            rc = fail(err, err_size, "--vxlan: '%s' is not KEY=VALUE", tok);
            break;
        }
        *eq++ = '\0';
        if (strcmp(tok, "local") == 0 || strcmp(tok, "remote") == 0) {
            if (inet_pton(AF_INET, eq, &a) != 1) {
                rc = fail(err, err_size, "--vxlan: %s=%s is not an IPv4 "
                          "address", tok, eq);
                break;
            }
            if (tok[0] == 'l') {
                p->local_ip = a.s_addr;
                local = true;
            } else {
                p->remote_ip = a.s_addr;
            }
        } else if (strcmp(tok, "local-mac") == 0
                   || strcmp(tok, "remote-mac") == 0) {
            if (parse_mac(eq, tok[0] == 'l' ? p->local_mac
                                             : p->remote_mac) < 0)
                rc = fail(err, err_size, "--vxlan: %s=%s is not a MAC "
                          "address (aa:bb:cc:dd:ee:ff)", tok, eq);
        } else if (strcmp(tok, "dstport") == 0) {
            if (strcmp(eq, "4789") != 0)
                rc = fail(err, err_size, "--vxlan: only UDP port 4789 is "
                          "supported (got %s)", eq);
        } else {
            rc = fail(err, err_size, "--vxlan: unknown key '%s' (local, "
                      "remote, local-mac, remote-mac, dstport)", tok);
        }
    }
    free(copy);
    if (rc == 0 && !local)
        rc = fail(err, err_size, "--vxlan needs local=IP (the local VTEP)");
    return rc;
}

static const char *const vlan_modes[] = {
    [DP_VLAN_TRUNK] = "trunk", [DP_VLAN_ACCESS] = "access",
    [DP_VLAN_NATIVE_TAGGED] = "native-tagged",
    [DP_VLAN_NATIVE_UNTAGGED] = "native-untagged",
};

static int
parse_vid(const char *s, const char **end)
{
    char *e;
    unsigned long v;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &e, 10);
    if (errno || v > 4095)
        return -EINVAL;
    *end = e;
    return (int)v;
}

/* "10,20,30-40" into @trunks */
static int
parse_trunks(const char *s, uint64_t trunks[DP_VLAN_WORDS])
{
    memset(trunks, 0, DP_VLAN_WORDS * sizeof(trunks[0]));
    while (*s != '\0') {
        const char *e;
        int lo = parse_vid(s, &e), hi = lo;

        if (lo < 0)
            return -EINVAL;
        if (*e == '-') {
            hi = parse_vid(e + 1, &e);
            if (hi < lo)
                return -EINVAL;
        }
        for (int v = lo; v <= hi; v++)
            trunks[v / 64] |= 1ull << (v % 64);
        if (*e == ',')
            e++;
        else if (*e != '\0')
            return -EINVAL;
        s = e;
    }
    return 0;
}

int
snicd_opts_parse_port(const char *s, struct snicd_port_cfg *pc, char *err,
                      size_t err_size)
{
    const char *colon = strchr(s, ':');
    bool mode_set = false, tag_set = false;
    char *copy, *save = NULL, *tok;
    int rc = 0;

    memset(pc, 0, sizeof(*pc));
    if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof(pc->name))
        return fail(err, err_size, "--port %s: want NAME:SETTING[:SETTING...]"
                    " (e.g. vf0:tag=10)", s);
    memcpy(pc->name, s, (size_t)(colon - s));
    copy = strdup(colon + 1);
    if (copy == NULL)
        return -ENOMEM;
    for (tok = strtok_r(copy, ":", &save); tok != NULL && rc == 0;
         tok = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(tok, '=');
        const char *end;

        if (strcmp(tok, "no-flood") == 0) {
            pc->sw.flags |= DP_PORT_NO_FLOOD;
            continue;
        }
        if (eq == NULL) {
            rc = fail(err, err_size, "--port %s: '%s' is not a setting "
                      "(tag=N, vlan_mode=MODE, trunks=LIST, no-flood)",
                      pc->name, tok);
            break;
        }
        *eq++ = '\0';
        if (strcmp(tok, "tag") == 0) {
            int v = parse_vid(eq, &end);

            if (v < 0 || *end != '\0')
                rc = fail(err, err_size, "--port %s: tag=%s is not a VLAN "
                          "(0..4095)", pc->name, eq);
            pc->sw.tag = (uint16_t)(v < 0 ? 0 : v);
            tag_set = true;
        } else if (strcmp(tok, "vlan_mode") == 0) {
            unsigned m;

            for (m = 0; m < 4; m++)
                if (strcmp(eq, vlan_modes[m]) == 0)
                    break;
            if (m == 4)
                rc = fail(err, err_size, "--port %s: vlan_mode=%s (want "
                          "access, trunk, native-tagged or native-untagged)",
                          pc->name, eq);
            pc->sw.vlan_mode = (uint16_t)m;
            mode_set = true;
        } else if (strcmp(tok, "trunks") == 0) {
            if (parse_trunks(eq, pc->sw.trunks) < 0)
                rc = fail(err, err_size, "--port %s: trunks=%s (want VLANs "
                          "0..4095 and ranges: 10,20,30-40)", pc->name, eq);
            pc->sw.has_trunks = 1;
        } else {
            rc = fail(err, err_size, "--port %s: unknown setting '%s' (tag, "
                      "vlan_mode, trunks, no-flood)", pc->name, tok);
        }
    }
    free(copy);
    if (rc < 0)
        return rc;
    /* Open vSwitch's defaults: a tag makes an access port, none a trunk */
    if (!mode_set)
        pc->sw.vlan_mode = tag_set ? DP_VLAN_ACCESS : DP_VLAN_TRUNK;
    if (pc->sw.vlan_mode != DP_VLAN_TRUNK && !tag_set)
        return fail(err, err_size, "--port %s: vlan_mode=%s needs tag=N",
                    pc->name, vlan_modes[pc->sw.vlan_mode]);
    if (pc->sw.vlan_mode == DP_VLAN_TRUNK && tag_set)
        return fail(err, err_size, "--port %s: a trunk has no tag (give "
                    "vlan_mode=native-tagged or native-untagged for a "
                    "native VLAN)", pc->name);
    if (pc->sw.vlan_mode == DP_VLAN_ACCESS && pc->sw.has_trunks)
        return fail(err, err_size, "--port %s: an access port has no trunks "
                    "(Open vSwitch would ignore them)", pc->name);
    return 0;
}

static int
parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi)
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

/* What no patch port may be called: the names snicd gives the ports it
 * finds (uplink, pf, vfN, pN, vxlan0, LOCAL) and OpenFlow's reserved
 * ports, which flows would read as those. */
static const char *
patch_name_taken(const char *n)
{
    static const char *const words[] = {
        "uplink", "pf", "vxlan0", "LOCAL", "IN_PORT", "TABLE", "NORMAL",
        "FLOOD", "ALL", "CONTROLLER", "ANY", "NONE",
    };
    size_t len = strlen(n);

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(n, words[i]) == 0)
            return words[i];
    if (len > 2 && strncmp(n, "vf", 2) == 0
        && strspn(n + 2, "0123456789") == len - 2)
        return "vfN";
    if (len > 1 && n[0] == 'p' && strspn(n + 1, "0123456789") == len - 1)
        return "pN";
    return NULL;
}

static int
patch_name(const char *arg, const char *n, size_t len, char *out, char *err,
           size_t err_size)
{
    const char *taken;

    if (len == 0 || len >= 32)
        return fail(err, err_size, "--patch %s: a port name has 1 to 31 "
                    "characters", arg);
    memcpy(out, n, len);
    out[len] = '\0';
    if (!isalpha((unsigned char)out[0])
        || strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789_-.") != len)
        return fail(err, err_size, "--patch %s: '%s' is not a port name (a "
                    "letter, then letters, digits, '_', '-' or '.')", arg,
                    out);
    taken = patch_name_taken(out);
    if (taken != NULL)
        return fail(err, err_size, "--patch %s: '%s' is taken (%s names "
                    "one of snicd's own ports or an OpenFlow reserved port)",
                    arg, out, taken);
    return 0;
}

int
snicd_opts_parse_patch(const char *s, struct snicd_patch_cfg *pc, char *err,
                       size_t err_size)
{
    const char *eq = strchr(s, '=');

    memset(pc, 0, sizeof(*pc));
    if (eq == NULL)
        return fail(err, err_size, "--patch %s: want NAME=PEER (the two "
                    "ends of the pair)", s);
    if (patch_name(s, s, (size_t)(eq - s), pc->name, err, err_size) < 0
        || patch_name(s, eq + 1, strlen(eq + 1), pc->peer, err,
                      err_size) < 0)
        return -EINVAL;
    if (strcmp(pc->name, pc->peer) == 0)
        return fail(err, err_size, "--patch %s: a port cannot be its own "
                    "peer", s);
    return 0;
}

int
snicd_opts_parse(int argc, char **argv, struct snicd_opts *o, char *err,
                 size_t err_size)
{
    enum { O_RUNDIR = 256, O_GROUP, O_NO_OFFLOAD, O_WORKERS, O_FLOWS,
           O_JOURNAL, O_VXLAN, O_ESOCK, O_EBIN, O_EPROFILE, O_PMD, O_VFS,
           O_LOG, O_MBUFS, O_PORT, O_MAC_AGING, O_LOCAL, O_FQ_SIZE,
           O_NO_FQ, O_PATCH, O_NORMAL_RULES,
           O_QUEUE_TIMEOUT };
    static const struct option opts[] = {
        { "rundir", required_argument, NULL, O_RUNDIR },
        { "group", required_argument, NULL, O_GROUP },
        { "no-offload", no_argument, NULL, O_NO_OFFLOAD },
        { "workers", required_argument, NULL, O_WORKERS },
        { "mbufs", required_argument, NULL, O_MBUFS },
        { "flows", required_argument, NULL, O_FLOWS },
        { "journal", required_argument, NULL, O_JOURNAL },
        { "vxlan", required_argument, NULL, O_VXLAN },
        { "emunic-socket", required_argument, NULL, O_ESOCK },
        { "emunic", required_argument, NULL, O_EBIN },
        { "emunic-profile", required_argument, NULL, O_EPROFILE },
        { "pmd", required_argument, NULL, O_PMD },
        { "vfs", required_argument, NULL, O_VFS },
        { "log-level", required_argument, NULL, O_LOG },
        { "port", required_argument, NULL, O_PORT },
        { "mac-aging", required_argument, NULL, O_MAC_AGING },
        { "normal-rules", required_argument, NULL, O_NORMAL_RULES },
        { "local", required_argument, NULL, O_LOCAL },
        { "flow-queue-size", required_argument, NULL, O_FQ_SIZE },
        { "no-flow-queues", no_argument, NULL, O_NO_FQ },
        { "queue-timeout", required_argument, NULL, O_QUEUE_TIMEOUT },
        { "patch", required_argument, NULL, O_PATCH },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const levels[] = { "error", "warning", "info",
                                          "debug" };
    bool normal_rules_given = false;
    int c;

    memset(o, 0, sizeof(*o));
    o->rundir = CTL_DEFAULT_RUNDIR;
    o->offload = true;
    o->workers = 1;
    o->log_level = SNICD_LOG_INFO;
    o->emunic_socket = SNICD_DEFAULT_EMUNIC_SOCKET;
    o->vfs = 4;
    o->flow_queue_size = SNICD_DEFAULT_FLOW_QUEUE_SIZE;
    o->queue_timeout_ms = SNICD_QUEUE_TIMEOUT_MS;
    o->normal_rules = SNICD_DEFAULT_NORMAL_RULES;
    optind = 0;     /* reset getopt: the parser may run more than once */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_RUNDIR: o->rundir = optarg; break;
        case O_GROUP: o->group = optarg; break;
        case O_NO_OFFLOAD: o->offload = false; break;
        case O_WORKERS:
            if (parse_uint(optarg, 1, SNICD_MAX_WORKERS, &o->workers) < 0)
                return fail(err, err_size, "--workers %s: want 1..%u",
                            optarg, SNICD_MAX_WORKERS);
            break;
        case O_MBUFS:
            if (parse_uint(optarg, 1024, 16u << 20, &o->mbufs) < 0)
                return fail(err, err_size, "--mbufs %s: want 1024..%u",
                            optarg, 16u << 20);
            break;
        case O_FLOWS: o->flows_file = optarg; break;
        case O_JOURNAL:
            if (strcmp(optarg, "none") == 0)
                o->no_journal = true;
            else
                o->journal = optarg;
            break;
        case O_VXLAN:
            if (snicd_opts_parse_vxlan(optarg, &o->vxlan, err, err_size) < 0)
                return -EINVAL;
            o->has_vxlan = true;
            break;
        case O_PORT:
            if (o->n_ports == SNICD_MAX_PORT_CFGS)
                return fail(err, err_size, "--port: at most %u",
                            SNICD_MAX_PORT_CFGS);
            if (snicd_opts_parse_port(optarg, &o->ports[o->n_ports], err,
                                      err_size) < 0)
                return -EINVAL;
            for (unsigned i = 0; i < o->n_ports; i++)
                if (strcmp(o->ports[i].name, o->ports[o->n_ports].name) == 0)
                    return fail(err, err_size, "--port %s given twice",
                                o->ports[i].name);
            o->n_ports++;
            break;
        case O_MAC_AGING:
            if (parse_uint(optarg, 1, 86400, &o->mac_aging) < 0)
                return fail(err, err_size, "--mac-aging %s: want 1..86400 "
                            "seconds", optarg);
            break;
        case O_NORMAL_RULES:
            if (parse_uint(optarg, 0, 65536, &o->normal_rules) < 0)
                return fail(err, err_size, "--normal-rules %s: want 0 "
                            "(none) .. 65536 rules", optarg);
            normal_rules_given = true;
            break;
        case O_LOCAL:
            if (strlen(optarg) == 0 || strlen(optarg) >= 16
                || strpbrk(optarg, ",=/ ") != NULL)
                return fail(err, err_size, "--local %s: want an interface "
                            "name of 1-15 characters without , = / or "
                            "spaces", optarg);
            o->local_iface = optarg;
            break;
        case O_FQ_SIZE:
            if (parse_uint(optarg, 1, SNICD_MAX_FLOW_QUEUE_SIZE,
                           &o->flow_queue_size) < 0)
                return fail(err, err_size, "--flow-queue-size %s: want "
                            "1..%u operations (--no-flow-queues for none)",
                            optarg, SNICD_MAX_FLOW_QUEUE_SIZE);
            break;
        case O_NO_FQ: o->flow_queue_size = 0; break;
        case O_QUEUE_TIMEOUT:
            if (parse_uint(optarg, 10, 600000, &o->queue_timeout_ms) < 0)
                return fail(err, err_size, "--queue-timeout %s: want "
                            "10..600000 ms", optarg);
            break;
        case O_PATCH: {
            struct snicd_patch_cfg *pc = &o->patches[o->n_patches];

            if (o->n_patches == SNICD_MAX_PATCHES)
                return fail(err, err_size, "--patch: at most %u pairs",
                            SNICD_MAX_PATCHES);
            if (snicd_opts_parse_patch(optarg, pc, err, err_size) < 0)
                return -EINVAL;
            for (unsigned i = 0; i < o->n_patches; i++) {
                const struct snicd_patch_cfg *q = &o->patches[i];
                const char *dup = NULL;

                if (strcmp(q->name, pc->name) == 0
                    || strcmp(q->peer, pc->name) == 0)
                    dup = pc->name;
                else if (strcmp(q->name, pc->peer) == 0
                         || strcmp(q->peer, pc->peer) == 0)
                    dup = pc->peer;
                if (dup != NULL)
                    return fail(err, err_size, "--patch %s: port '%s' is "
                                "already in --patch %s=%s", optarg, dup,
                                q->name, q->peer);
            }
            o->n_patches++;
            break;
        }
        case O_ESOCK: o->emunic_socket = optarg; break;
        case O_EBIN: o->emunic_bin = optarg; break;
        case O_EPROFILE: o->emunic_profile = optarg; break;
        case O_PMD:
            /* gone: a plugin path broke every build below /tmp */
            return fail(err, err_size, "--pmd %s: net_emunic is built into "
                        "snicd and needs no plugin; load other drivers "
                        "with the EAL's -d PATH before '--'", optarg);
        case O_VFS:
            if (parse_uint(optarg, 0, 64, &o->vfs) < 0)
                return fail(err, err_size, "--vfs %s: want 0..64", optarg);
            break;
        case O_LOG: {
            int l;

            for (l = 0; l < 4; l++)
                if (strcmp(optarg, levels[l]) == 0)
                    break;
            if (l == 4)
                return fail(err, err_size, "--log-level %s: want error, "
                            "warning, info or debug", optarg);
            o->log_level = l;
            break;
        }
        case 'h':
            snicd_opts_usage(stdout);
            return 1;
        case ':':
            return fail(err, err_size, "option %s needs a value",
                        argv[optind - 1]);
        default:
            return fail(err, err_size, "unknown option '%s' (see --help)",
                        argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail(err, err_size, "unexpected argument '%s' (EAL arguments "
                    "go before '--')", argv[optind]);
    /* conversation rules that could not outlive a second (see
     * SNICD_NORMAL_MIN_AGING): asked for, a clear refusal; by default,
     * NORMAL stays in software */
    if (o->mac_aging != 0 && o->mac_aging < SNICD_NORMAL_MIN_AGING
        && o->normal_rules > 0) {
        if (normal_rules_given)
            return fail(err, err_size, "--normal-rules %u with --mac-aging "
                        "%u: the card's frames keep a MAC learned only "
                        "when its counters are read, once a second, so "
                        "conversation rules need --mac-aging %u or more "
                        "(or give --normal-rules 0)", o->normal_rules,
                        o->mac_aging, SNICD_NORMAL_MIN_AGING);
        o->normal_rules = 0;
        o->normal_rules_off_aging = true;
    }
    return 0;
}
