/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * emunic: the emulated SmartNIC as a process. Parses the command line into
 * a device configuration and a server configuration, then runs the server's
 * loop until SIGTERM/SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_server.h"
#include "snic/peer.h"

#define EMU_DEFAULT_MAX_VFS     8u
#define EMU_DEFAULT_QUEUES      16u
#define EMU_DEFAULT_QDEPTH      4096u
#define EMU_DEFAULT_SPEED       100000u     /* Mbps */
#define EMU_DEFAULT_CMDQ_DEPTH  1024u
#define EMU_MAX_FAULTS          16

static const char emu_usage[] =
"Usage: emunic --socket PATH [OPTION]...\n"
"The emulated snic SmartNIC: a card's firmware and eSwitch as a process,\n"
"reached through the firmware ABI on Unix sockets (PF at PATH, VF n at\n"
"PATH.vfN while enabled, the wire's peer at PATH.uplink).\n"
"\n"
"  --socket PATH         PF socket path (required)\n"
"  --allow-group GROUP   members of GROUP (name or number) may connect too;\n"
"                        otherwise only root and the user emunic runs as\n"
"                        (sockets 0600, 0660 with a group; a missing\n"
"                        folder for them is created 0700, 0750 with a\n"
"                        group, whatever the umask)\n"
"  --max-vfs N           VFs the card supports, sriov_totalvfs (default 8,\n"
"                        at most 256)\n"
"  --num-vfs N           VFs enabled at start (default 0)\n"
"  --mode MODE           eSwitch mode at start: legacy (VEB, default) or\n"
"                        switchdev\n"
"  --profile NAME        capability profile: %s (default full)\n"
"  --max-rules N         override the profile's rule capacity (total, and\n"
"                        per table when that is larger)\n"
"  --max-table-rules N   override the profile's rule capacity per table\n"
"  --max-tables N        override the profile's table count\n"
"  --prio N              override the priorities per table\n"
"  --max-counters N      override the counter count\n"
"  --base-mac MAC        PF MAC address, aa:bb:cc:dd:ee:ff\n"
"                        (default 02:53:4e:49:43:00)\n"
"  --cmdq-depth N        command slots per client, a power of two\n"
"                        (default 1024)\n"
"  --vf-tap N=IFNAME     host side of VF N is kernel tap IFNAME\n"
"                        (repeatable)\n"
"  --uplink-tap IFNAME   the wire is kernel tap IFNAME\n"
"  --fault KIND[:OPCODE[:STATUS[:COUNT[:VALUE]]]]\n"
"                        arm a fault knob at start, as FW_CMD_DEBUG_FAULT:\n"
"                        KIND is clear, fail-next, delay, drop-next, reset,\n"
"                        fatal or garbage-next; OPCODE and STATUS numbers\n"
"                        (0x.. allowed), COUNT commands, VALUE microseconds\n"
"                        for delay (repeatable)\n"
"  --pidfile FILE        write the process id to FILE (removed at exit;\n"
"                        a link or another user's file there is refused)\n"
"  --foreground          stay in the foreground (the default; emunic never\n"
"                        daemonizes)\n"
"  -q, --quiet           no log messages, only the startup line and\n"
"                        refused connections\n"
"  -h, --help            show this help\n"
"\n"
"emunic prints \"emunic: listening on PATH (...)\" once ready, and removes\n"
"its sockets on SIGTERM or SIGINT.\n";

enum {
    OPT_SOCKET = 256, OPT_MAX_VFS, OPT_NUM_VFS, OPT_MODE, OPT_PROFILE,
    OPT_MAX_RULES, OPT_MAX_TABLE_RULES, OPT_MAX_TABLES, OPT_PRIO, OPT_MAX_COUNTERS, OPT_BASE_MAC,
    OPT_CMDQ_DEPTH, OPT_VF_TAP, OPT_UPLINK_TAP, OPT_FAULT, OPT_PIDFILE,
    OPT_FOREGROUND, OPT_ALLOW_GROUP,
};

static const struct option emu_options[] = {
    { "socket",       required_argument, NULL, OPT_SOCKET },
    { "allow-group",  required_argument, NULL, OPT_ALLOW_GROUP },
    { "max-vfs",      required_argument, NULL, OPT_MAX_VFS },
    { "num-vfs",      required_argument, NULL, OPT_NUM_VFS },
    { "mode",         required_argument, NULL, OPT_MODE },
    { "profile",      required_argument, NULL, OPT_PROFILE },
    { "max-rules",    required_argument, NULL, OPT_MAX_RULES },
    { "max-table-rules", required_argument, NULL, OPT_MAX_TABLE_RULES },
    { "max-tables",   required_argument, NULL, OPT_MAX_TABLES },
    { "prio",         required_argument, NULL, OPT_PRIO },
    { "max-counters", required_argument, NULL, OPT_MAX_COUNTERS },
    { "base-mac",     required_argument, NULL, OPT_BASE_MAC },
    { "cmdq-depth",   required_argument, NULL, OPT_CMDQ_DEPTH },
    { "vf-tap",       required_argument, NULL, OPT_VF_TAP },
    { "uplink-tap",   required_argument, NULL, OPT_UPLINK_TAP },
    { "fault",        required_argument, NULL, OPT_FAULT },
    { "pidfile",      required_argument, NULL, OPT_PIDFILE },
    { "foreground",   no_argument,       NULL, OPT_FOREGROUND },
    { "quiet",        no_argument,       NULL, 'q' },
    { "help",         no_argument,       NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static void __attribute__((noreturn, format(printf, 1, 2)))
emu_bad(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    /* one write, so the line never interleaves with another process's */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "emunic: %s (see emunic --help)\n", msg);
    exit(2);
}

/* A whole-string unsigned number in [min, max], decimal or 0x hex. */
static uint64_t
emu_num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
    char *end;
    unsigned long long v;

    errno = 0;
    if (s[0] == '\0' || s[0] == '-')
        emu_bad("--%s: '%s' is not a number", opt, s);
    v = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0')
        emu_bad("--%s: '%s' is not a number", opt, s);
    if (v < min || v > max)
        emu_bad("--%s: %llu is out of range %" PRIu64 "..%" PRIu64, opt, v,
                min, max);
    return v;
}

static void
emu_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    int i;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
               &b[4], &b[5], &tail) != 6)
        emu_bad("--base-mac: '%s' is not a MAC address like 02:00:00:00:00:01",
                s);
    for (i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    if (mac[0] & 1)
        emu_bad("--base-mac: '%s' is a multicast address; a port needs a "
                "unicast one", s);
}

static const struct {
    const char *name;
    uint32_t fault;
} emu_fault_kinds[] = {
    { "clear", FW_FAULT_CLEAR },
    { "fail-next", FW_FAULT_FAIL_NEXT },
    { "delay", FW_FAULT_DELAY },
    { "drop-next", FW_FAULT_DROP_NEXT },
    { "reset", FW_FAULT_RESET },
    { "fatal", FW_FAULT_FATAL },
    { "garbage-next", FW_FAULT_GARBAGE_NEXT },
};

static void
emu_parse_fault(const char *arg, struct fw_debug_fault_in *f)
{
    char buf[128];
    char *fields[5] = { NULL };
    char *p, *save = NULL;
    unsigned n = 0, i;

    if (strlen(arg) >= sizeof(buf))
        emu_bad("--fault: '%s' is too long", arg);
    strcpy(buf, arg);
    for (p = strtok_r(buf, ":", &save); p != NULL && n < 5;
         p = strtok_r(NULL, ":", &save))
        fields[n++] = p;
    if (n == 0 || p != NULL)
        emu_bad("--fault: '%s' is not KIND[:OPCODE[:STATUS[:COUNT[:VALUE]]]]",
                arg);
    memset(f, 0, sizeof(*f));
    f->hdr.in_size = sizeof(*f);
    for (i = 0; i < sizeof(emu_fault_kinds) / sizeof(emu_fault_kinds[0]); i++)
        if (strcmp(fields[0], emu_fault_kinds[i].name) == 0)
            break;
    if (i == sizeof(emu_fault_kinds) / sizeof(emu_fault_kinds[0]))
        emu_bad("--fault: unknown kind '%s' (clear, fail-next, delay, "
                "drop-next, reset, fatal, garbage-next)", fields[0]);
    f->fault = emu_fault_kinds[i].fault;
    if (fields[1] != NULL)
        f->opcode = (uint16_t)emu_num("fault opcode", fields[1], 0, 0xffff);
    if (fields[2] != NULL)
        f->status = (uint8_t)emu_num("fault status", fields[2], 0, 0xff);
    if (fields[3] != NULL)
        f->count = (uint32_t)emu_num("fault count", fields[3], 0, UINT32_MAX);
    if (fields[4] != NULL)
        f->value = (uint32_t)emu_num("fault value", fields[4], 0, UINT32_MAX);
}

static void
emu_add_tap(struct emu_server_config *scfg, uint16_t vport, const char *name,
            const char *opt)
{
    unsigned i;

    if (name[0] == '\0' || strlen(name) >= IFNAMSIZ)
        emu_bad("--%s: interface name '%s' must be 1..%d characters", opt,
                name, IFNAMSIZ - 1);
    for (i = 0; i < scfg->n_taps; i++)
        if (scfg->taps[i].vport == vport)
            emu_bad("--%s: vport %u already has tap '%s'", opt, vport,
                    scfg->taps[i].ifname);
    if (scfg->n_taps == EMU_SERVER_MAX_TAPS)
        emu_bad("--%s: too many taps", opt);
    scfg->taps[scfg->n_taps].vport = vport;
    strcpy(scfg->taps[scfg->n_taps].ifname, name);
    scfg->n_taps++;
}

/*
 * Write our pid to @path: a link planted there is not followed and a file
 * that is not this user's own regular file is left alone (-EPERM), since
 * a pidfile may sit in a folder others can write. 0 or a negative errno.
 */
static int
write_pidfile(const char *path)
{
    char text[32];
    struct stat st;
    int fd, len, rc = 0;

    fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    if (fstat(fd, &st) < 0)
        rc = -errno;
    else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
        rc = -EPERM;
    else if (ftruncate(fd, 0) < 0)
        rc = -errno;
    else if (write(fd, text, (size_t)len) != len)
        rc = -EIO;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}

int
main(int argc, char **argv)
{
    static struct emu_server_config scfg;
    struct emu_config cfg = {
        .max_vfs = EMU_DEFAULT_MAX_VFS,
        .esw_mode = FW_ESW_LEGACY,
        .base_mac = { 0x02, 0x53, 0x4e, 0x49, 0x43, 0x00 },
        .max_queues_per_port = EMU_DEFAULT_QUEUES,
        .max_queue_depth = EMU_DEFAULT_QDEPTH,
        .max_link_speed = EMU_DEFAULT_SPEED,
    };
    struct fw_debug_fault_in faults[EMU_MAX_FAULTS];
    const struct emu_profile *prof;
    const struct fw_caps *caps;
    const char *profile = "full", *pidfile = NULL;
    long max_rules = -1, max_table_rules = -1, max_tables = -1, prio = -1, max_counters = -1;
    unsigned n_faults = 0, i;
    int vf_tap_max = -1;    /* highest VF named by --vf-tap, checked later */
    struct emu_server *srv;
    int opt, r;

    scfg.cmdq_depth = EMU_DEFAULT_CMDQ_DEPTH;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qh", emu_options, NULL)) != -1) {
        switch (opt) {
        case OPT_SOCKET:
            scfg.socket_path = optarg;
            break;
        case OPT_ALLOW_GROUP:
            r = snic_peer_group_lookup(optarg, &scfg.group);
            if (r < 0)
                emu_bad("--allow-group: '%s': %s", optarg,
                        r == -ENOENT ? "no such group" : strerror(-r));
            scfg.has_group = true;
            break;
        case OPT_MAX_VFS:
            cfg.max_vfs = (uint16_t)emu_num("max-vfs", optarg, 0, 256);
            break;
        case OPT_NUM_VFS:
            cfg.num_vfs = (uint16_t)emu_num("num-vfs", optarg, 0, 256);
            break;
        case OPT_MODE:
            if (strcmp(optarg, "legacy") == 0)
                cfg.esw_mode = FW_ESW_LEGACY;
            else if (strcmp(optarg, "switchdev") == 0)
                cfg.esw_mode = FW_ESW_SWITCHDEV;
            else
                emu_bad("--mode: '%s' is not legacy or switchdev", optarg);
            break;
        case OPT_PROFILE:
            profile = optarg;
            break;
        case OPT_MAX_RULES:
            max_rules = (long)emu_num("max-rules", optarg, 1, UINT32_MAX);
            break;
        case OPT_MAX_TABLE_RULES:
            max_table_rules = (long)emu_num("max-table-rules", optarg, 1,
                                            UINT32_MAX);
            break;
        case OPT_MAX_TABLES:
            max_tables = (long)emu_num("max-tables", optarg, 1, UINT32_MAX);
            break;
        case OPT_PRIO:
            prio = (long)emu_num("prio", optarg, 1, UINT16_MAX);
            break;
        case OPT_MAX_COUNTERS:
            max_counters = (long)emu_num("max-counters", optarg, 0, UINT32_MAX);
            break;
        case OPT_BASE_MAC:
            emu_parse_mac(optarg, cfg.base_mac);
            break;
        case OPT_CMDQ_DEPTH:
            scfg.cmdq_depth = (uint32_t)emu_num("cmdq-depth", optarg, 1, 65536);
            if (scfg.cmdq_depth & (scfg.cmdq_depth - 1))
                emu_bad("--cmdq-depth: %u is not a power of two",
                        scfg.cmdq_depth);
            break;
        case OPT_VF_TAP: {
            char *eq = strchr(optarg, '=');
            char num[8];
            unsigned vf;

            if (eq == NULL || eq == optarg || (size_t)(eq - optarg) >= sizeof(num))
                emu_bad("--vf-tap: '%s' is not N=IFNAME", optarg);
            memcpy(num, optarg, (size_t)(eq - optarg));
            num[eq - optarg] = '\0';
            vf = (unsigned)emu_num("vf-tap", num, 0, 255);
            emu_add_tap(&scfg, FW_VPORT_VF(vf), eq + 1, "vf-tap");
            if ((int)vf > vf_tap_max)
                vf_tap_max = (int)vf;
            break;
        }
        case OPT_UPLINK_TAP:
            emu_add_tap(&scfg, FW_VPORT_UPLINK, optarg, "uplink-tap");
            break;
        case OPT_FAULT:
            if (n_faults == EMU_MAX_FAULTS)
                emu_bad("--fault: at most %d knobs", EMU_MAX_FAULTS);
            emu_parse_fault(optarg, &faults[n_faults++]);
            break;
        case OPT_PIDFILE:
            pidfile = optarg;
            break;
        case OPT_FOREGROUND:
            break;
        case 'q':
            scfg.quiet = true;
            break;
        case 'h':
            printf(emu_usage, emu_profile_names());
            return 0;
        case ':':
            emu_bad("option '%s' needs a value", argv[optind - 1]);
        default:
            emu_bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        emu_bad("unexpected argument '%s'", argv[optind]);
    if (scfg.socket_path == NULL)
        emu_bad("--socket PATH is required");
    if (cfg.num_vfs > cfg.max_vfs)
        emu_bad("--num-vfs %u exceeds --max-vfs %u", cfg.num_vfs, cfg.max_vfs);
    if (vf_tap_max >= (int)cfg.max_vfs)
        emu_bad("--vf-tap: VF %d does not exist with --max-vfs %u", vf_tap_max,
                cfg.max_vfs);

    prof = emu_profile_find(profile);
    if (prof == NULL)
        emu_bad("--profile: unknown profile '%s' (known: %s)", profile,
                emu_profile_names());
    cfg.profile = *prof;
    if (max_rules >= 0) {
        cfg.profile.max_rules_total = (uint32_t)max_rules;
        if (cfg.profile.max_rules_per_table > (uint32_t)max_rules)
            cfg.profile.max_rules_per_table = (uint32_t)max_rules;
    }
    if (max_table_rules >= 0)
        cfg.profile.max_rules_per_table = (uint32_t)max_table_rules;
    if (max_tables >= 0)
        cfg.profile.max_tables = (uint32_t)max_tables;
    if (prio >= 0)
        cfg.profile.prio_per_table = (uint16_t)prio;
    if (max_counters >= 0)
        cfg.profile.max_counters = (uint32_t)max_counters;

    /* A card's rule memory is its own for good. A firmware reset frees
     * every rule and table, and the driver puts them all back at once:
     * with glibc's defaults the freed heap top is given back to the
     * kernel and the large arrays (rule hashes of 100,000 entries) are
     * unmapped, so the re-adds pay a page fault every few rules (a
     * seventh of the card's time in a 100,000-rule recovery). Kept,
     * they reuse the same pages. */
    (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
    /* the heap grows in 4 MB steps, made resident by the server loop
     * as it grows (emu_server.c, snic_populate_heap) */
    (void)mallopt(M_TOP_PAD, 4 << 20);
    srv = emu_server_create(&scfg, &cfg);
    if (srv == NULL) {
        fprintf(stderr, "emunic: cannot start on %s: %s\n", scfg.socket_path,
                strerror(errno));
        return 1;
    }
    for (i = 0; i < n_faults; i++) {
        if (emu_dev_fault(emu_server_dev(srv), &faults[i]) < 0) {
            fprintf(stderr, "emunic: --fault: the device refused knob %u\n",
                    i + 1);
            emu_server_destroy(srv);
            return 2;
        }
    }
    if (pidfile != NULL && (r = write_pidfile(pidfile)) < 0) {
        fprintf(stderr, "emunic: cannot write pidfile %s: %s\n", pidfile,
                r == -EPERM ? "it is not a regular file of this user "
                "(refused)" : strerror(-r));
        emu_server_destroy(srv);
        return 1;
    }
    caps = emu_dev_caps(emu_server_dev(srv));
    printf("emunic: listening on %s (profile %.*s, %u/%u VFs, %s)\n",
           scfg.socket_path, FW_PROFILE_NAME_LEN, caps->profile,
           emu_dev_num_vfs(emu_server_dev(srv)), caps->max_vfs,
           caps->esw_mode == FW_ESW_SWITCHDEV ? "switchdev" : "legacy");
    fflush(stdout);

    r = emu_server_run(srv);
    emu_server_destroy(srv);
    if (pidfile != NULL)
        unlink(pidfile);
    if (r < 0) {
        fprintf(stderr, "emunic: event loop failed: %s\n", strerror(-r));
        return 1;
    }
    return 0;
}
