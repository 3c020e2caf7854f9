/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-fw: look at a card through its firmware ABI, the way `devlink dev
 * info` and vendor firmware tools do: adapter capabilities, health, vports
 * and their counters, the rules in its steering tables; trigger a
 * firmware reset or arm a fault knob.
 *
 * It speaks only the firmware ABI (libsnic_fw), so it works against any
 * device that implements it, emunic included.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

#include "snic_fw.h"

#define CMD_TIMEOUT_MS 2000

int
snic_fw_run(struct fw_tool *t, uint16_t opcode, void *in, size_t in_size,
            void *out, size_t out_size)
{
    uint8_t status = 0;
    uint32_t syndrome = 0;
    int rc = fw_chan_exec(t->chan, opcode, in, in_size, out, out_size,
                          &status, &syndrome, CMD_TIMEOUT_MS);
    if (rc < 0) {
        fprintf(stderr, "snic-fw: %s: command 0x%04x: %s\n", t->socket,
                opcode, strerror(-rc));
        return -1;
    }
    if (status != FW_STATUS_OK) {
        char why[128];
        fprintf(stderr, "snic-fw: %s: command 0x%04x refused: %s (%s)\n",
                t->socket, opcode, fw_status_str(status),
                fw_syndrome_str(syndrome, why, sizeof(why)));
        return -1;
    }
    return 0;
}

static const char *
esw_mode_name(unsigned mode)
{
    return mode == FW_ESW_SWITCHDEV ? "switchdev"
           : mode == FW_ESW_LEGACY  ? "legacy"
                                    : "unknown";
}

static void
format_mac(const uint8_t mac[6], char buf[18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
             mac[2], mac[3], mac[4], mac[5]);
}

static json_t *
bitmap_names(uint64_t bits, const char *(*name)(unsigned), unsigned count)
{
    json_t *list = json_array();
    for (unsigned i = 0; i < count; i++)
        if (bits & (1ull << i))
            json_array_append_new(list, json_string(name(i)));
    return list;
}

static void
print_bitmap(const char *label, uint64_t bits, const char *(*name)(unsigned),
             unsigned count)
{
    printf("  %-18s", label);
    int col = 20;
    for (unsigned i = 0; i < count; i++) {
        if (!(bits & (1ull << i)))
            continue;
        const char *n = name(i);
        if (col + (int)strlen(n) + 1 > 78) {
            printf("\n  %-18s", "");
            col = 20;
        }
        col += printf(" %s", n);
    }
    printf("\n");
}

static int
query_caps(struct fw_tool *t, struct fw_caps *caps)
{
    struct fw_cmd_hdr in = { 0 };
    struct fw_query_adapter_out out;
    if (snic_fw_run(t, FW_CMD_QUERY_ADAPTER, &in, sizeof(in), &out, sizeof(out)) < 0)
        return -1;
    *caps = out.caps;
    return 0;
}

static int
cmd_info(struct fw_tool *t)
{
    struct fw_caps c;
    if (query_caps(t, &c) < 0)
        return 1;
    char mac[18];
    format_mac(c.base_mac, mac);

    if (t->json) {
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:I, s:I, s:I, s:I,"
            " s:I, s:i, s:i, s:i, s:I, s:I}",
            "abi", "1", "profile", c.profile, "fw_version", c.fw_version,
            "base_mac", mac, "max_vfs", c.max_vfs, "num_vfs", c.num_vfs,
            "num_vports", c.num_vports, "eswitch_mode",
            esw_mode_name(c.esw_mode), "max_tables", (json_int_t)c.max_tables,
            "max_group", (json_int_t)c.max_group, "max_rules_per_table",
            (json_int_t)c.max_rules_per_table, "max_rules_total",
            (json_int_t)c.max_rules_total, "max_counters",
            (json_int_t)c.max_counters, "prio_per_table", c.prio_per_table,
            "max_actions", c.max_actions, "max_queues_per_port",
            c.max_queues_per_port, "max_queue_depth",
            (json_int_t)c.max_queue_depth, "max_link_speed",
            (json_int_t)c.max_link_speed);
        char abi[16];
        snprintf(abi, sizeof(abi), "%u.%u", c.abi_major, c.abi_minor);
        json_object_set_new(o, "abi", json_string(abi));
        json_object_set_new(o, "match_fields",
                            bitmap_names(c.match_fields, fw_field_name,
                                         FW_FIELD_COUNT_));
        json_object_set_new(o, "actions",
                            bitmap_names(c.actions, fw_action_name,
                                         FW_ACT_COUNT_));
        json_object_set_new(o, "exact_mask_fields",
                            bitmap_names(c.exact_mask_fields, fw_field_name,
                                         FW_FIELD_COUNT_));
        json_object_set_new(o, "prefix_mask_fields",
                            bitmap_names(c.prefix_mask_fields, fw_field_name,
                                         FW_FIELD_COUNT_));
        json_dumpf(o, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(o);
        return 0;
    }

    printf("adapter %s\n", t->socket);
    printf("  abi                %u.%u\n", c.abi_major, c.abi_minor);
    printf("  firmware           %s\n", c.fw_version);
    printf("  profile            %s\n", c.profile);
    printf("  base mac           %s\n", mac);
    printf("  eswitch mode       %s\n", esw_mode_name(c.esw_mode));
    printf("  vfs                %u enabled of %u\n", c.num_vfs, c.max_vfs);
    printf("  tables             %u (groups up to %u)\n", c.max_tables,
           c.max_group);
    printf("  rules              %u per table, %u in total\n",
           c.max_rules_per_table, c.max_rules_total);
    printf("  priorities         %u per table\n", c.prio_per_table);
    printf("  actions per rule   %u\n", c.max_actions);
    printf("  counters           %u\n", c.max_counters);
    printf("  queues             %u per port, depth up to %u\n",
           c.max_queues_per_port, c.max_queue_depth);
    printf("  link speed         %u Mbps\n", c.max_link_speed);
    print_bitmap("match fields", c.match_fields, fw_field_name,
                 FW_FIELD_COUNT_);
    print_bitmap("actions", c.actions, fw_action_name, FW_ACT_COUNT_);
    if (c.exact_mask_fields)
        print_bitmap("exact masks only", c.exact_mask_fields, fw_field_name,
                     FW_FIELD_COUNT_);
    if (c.prefix_mask_fields)
        print_bitmap("prefix masks only", c.prefix_mask_fields,
                     fw_field_name, FW_FIELD_COUNT_);
    return 0;
}

static const char *
health_name(uint32_t h)
{
    return h == FW_HEALTH_OK          ? "ok"
           : h == FW_HEALTH_RESETTING ? "resetting"
           : h == FW_HEALTH_FATAL     ? "fatal"
                                      : "unknown";
}

static int
cmd_health(struct fw_tool *t)
{
    struct fw_cmd_hdr in = { 0 };
    struct fw_query_health_out out;
    if (snic_fw_run(t, FW_CMD_QUERY_HEALTH, &in, sizeof(in), &out, sizeof(out)) < 0)
        return 1;
    if (t->json) {
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "health",
                              health_name(out.health), "reset_generation",
                              (json_int_t)out.reset_generation,
                              "fatal_syndrome", (json_int_t)out.fatal_syndrome,
                              "uptime_ms", (json_int_t)out.uptime_ms,
                              "commands", (json_int_t)out.commands,
                              "commands_failed",
                              (json_int_t)out.commands_failed);
        /* the steering totals, from a card that has them (PF only) */
        if (out.hdr.out_size >= sizeof(out)) {
            json_object_set_new(o, "rules", json_integer(out.rules));
            json_object_set_new(o, "rules_added",
                                json_integer((json_int_t)out.rules_added));
            json_object_set_new(o, "rules_deleted",
                                json_integer((json_int_t)out.rules_deleted));
        }
        json_dumpf(o, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(o);
        return 0;
    }
    printf("health %s, reset generation %u, up %u.%03u s, %" PRIu64
           " commands (%" PRIu64 " failed)\n",
           health_name(out.health), out.reset_generation,
           out.uptime_ms / 1000, out.uptime_ms % 1000, out.commands,
           out.commands_failed);
    if (out.hdr.out_size >= sizeof(out))
        printf("rules %u now, %" PRIu64 " added, %" PRIu64 " deleted\n",
               out.rules, out.rules_added, out.rules_deleted);
    return out.health == FW_HEALTH_OK ? 0 : 1;
}

static const char *
link_name(unsigned s)
{
    return s == FW_LINK_AUTO ? "auto" : s == FW_LINK_ENABLE ? "enable"
                                        : "disable";
}

static const char *
attach_name(unsigned a)
{
    return a == FW_ATTACH_SHM ? "shm" : a == FW_ATTACH_TAP ? "tap" : "none";
}

static int
cmd_vports(struct fw_tool *t)
{
    struct fw_caps c;
    if (query_caps(t, &c) < 0)
        return 1;

    json_t *list = t->json ? json_array() : NULL;
    if (!t->json)
        printf("%-7s %-17s %-9s %-5s %-5s %-7s %-6s %-11s %-5s %10s %10s "
               "%9s\n",
               "vport", "mac", "vlan/qos", "spoof", "trust", "link", "oper",
               "rate min/max", "host", "rx pkts", "tx pkts", "drops");
    for (unsigned v = 0; v <= c.num_vfs; v++) {
        struct fw_vport_query_in qin = { .vport = (uint16_t)v };
        struct fw_vport_query_out qout;
        struct fw_vport_stats_out sout;
        if (snic_fw_run(t, FW_CMD_VPORT_QUERY, &qin, sizeof(qin), &qout,
                sizeof(qout)) < 0
            || snic_fw_run(t, FW_CMD_VPORT_STATS, &qin, sizeof(qin), &sout,
                   sizeof(sout)) < 0) {
            json_decref(list);
            return 1;
        }
        const struct fw_vport_ctx *x = &qout.ctx;
        char name[16], mac[18];
        if (v == FW_VPORT_UPLINK)
            snprintf(name, sizeof(name), "uplink");
        else
            snprintf(name, sizeof(name), "vf%u", FW_VPORT_TO_VF(v));
        format_mac(x->mac, mac);
        if (list) {
            json_array_append_new(list, json_pack(
                "{s:s, s:i, s:s, s:i, s:i, s:b, s:b, s:s, s:b, s:b, s:b,"
                " s:I, s:I, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
                "name", name, "vport", (int)v, "mac", mac,
                "vlan", x->vlan_vid, "qos", x->vlan_qos,
                "spoofchk", x->spoofchk, "trust", x->trust,
                "link_state", link_name(x->link_state), "oper_up",
                x->oper_up, "promisc", x->promisc, "allmulti", x->allmulti,
                "min_tx_rate", (json_int_t)x->min_tx_rate,
                "max_tx_rate", (json_int_t)x->max_tx_rate, "mtu", x->mtu,
                "attachment", attach_name(x->attachment),
                "rx_packets", (json_int_t)sout.rx_packets,
                "tx_packets", (json_int_t)sout.tx_packets,
                "rx_dropped", (json_int_t)sout.rx_dropped,
                "tx_dropped", (json_int_t)sout.tx_dropped,
                "rep_rx_packets", (json_int_t)sout.rep_rx_packets,
                "rep_rx_dropped", (json_int_t)sout.rep_rx_dropped));
            continue;
        }
        char vlan[16], rate[24];
        if (x->vlan_vid)
            snprintf(vlan, sizeof(vlan), "%u/%u", x->vlan_vid, x->vlan_qos);
        else
            snprintf(vlan, sizeof(vlan), "-");
        snprintf(rate, sizeof(rate), "%u/%u", x->min_tx_rate, x->max_tx_rate);
        printf("%-7s %-17s %-9s %-5s %-5s %-7s %-6s %-11s %-5s %10" PRIu64
               " %10" PRIu64 " %9" PRIu64 "\n",
               name, mac, vlan, x->spoofchk ? "on" : "off",
               x->trust ? "on" : "off", link_name(x->link_state),
               x->oper_up ? "up" : "down", rate, attach_name(x->attachment),
               sout.rx_packets, sout.tx_packets,
               sout.rx_dropped + sout.tx_dropped);
    }
    if (list) {
        json_t *o = json_pack("{s:s, s:o}", "eswitch_mode",
                              esw_mode_name(c.esw_mode), "vports", list);
        json_dumpf(o, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(o);
    }
    return 0;
}

static int
cmd_reset(struct fw_tool *t)
{
    struct fw_function_reset_in in = { 0 };
    struct fw_out_hdr out;
    uint32_t before = fw_chan_reset_generation(t->chan);
    if (snic_fw_run(t, FW_CMD_FUNCTION_RESET, &in, sizeof(in), &out, sizeof(out)) < 0)
        return 1;
    printf("firmware reset: generation %u -> %u\n", before,
           fw_chan_reset_generation(t->chan));
    return 0;
}

static const struct {
    const char *name;
    uint32_t fault;
} fault_names[] = {
    { "clear", FW_FAULT_CLEAR },        { "fail-next", FW_FAULT_FAIL_NEXT },
    { "delay", FW_FAULT_DELAY },        { "drop-next", FW_FAULT_DROP_NEXT },
    { "reset", FW_FAULT_RESET },        { "fatal", FW_FAULT_FATAL },
    { "garbage-next", FW_FAULT_GARBAGE_NEXT },
};

static bool
parse_u32(const char *s, uint32_t max, uint32_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || end == s || *end || x > max)
        return false;
    *v = (uint32_t)x;
    return true;
}

/* Set the number of VFs, as `echo N > sriov_numvfs`. A 1.2 card changes
 * it in place (FW_SRIOV_F_IN_PLACE): the VFs that stay keep their
 * settings and rules, so it works on a live switch; removed VFs take the
 * rules matching their frames with them and leave rules forwarding to
 * them as tombstones that drop until deleted. A 1.1 card (or --classic) only knows disable +
 * enable, which the card refuses (BUSY) while rules name a VF. */
static int
cmd_sriov(struct fw_tool *t, int argc, char **argv)
{
    struct fw_sriov_enable_in in = { 0 };
    struct fw_sriov_disable_in din = { { 0 } };
    struct fw_caps c;
    bool classic = false, in_place;
    uint32_t n = UINT32_MAX;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--classic") == 0)
            classic = true;
        else if (n == UINT32_MAX && parse_u32(argv[i], 0xffff, &n))
            continue;
        else {
            fprintf(stderr, "snic-fw: sriov: '%s' is neither a number of "
                            "VFs nor --classic\n", argv[i]);
            return 2;
        }
    }
    if (n == UINT32_MAX) {
        fprintf(stderr, "snic-fw: sriov needs the number of VFs (0..max)\n");
        return 2;
    }
    if (query_caps(t, &c) < 0)
        return 1;
    if (n > c.max_vfs) {
        fprintf(stderr, "snic-fw: %s: %u VFs requested, the card has at most "
                        "%u\n", t->socket, n, c.max_vfs);
        return 1;
    }
    in_place = !classic && fw_chan_abi_minor(t->chan) >= 2;
    if (n == c.num_vfs) {
        /* nothing to change */
    } else if (in_place) {
        in.num_vfs = (uint16_t)n;
        in.flags = FW_SRIOV_F_IN_PLACE;
        if (snic_fw_run(t, FW_CMD_SRIOV_ENABLE, &in, sizeof(in), NULL, 0) < 0)
            return 1;
    } else {
        /* the card, like the kernel without switchdev, refuses N -> M */
        if (c.num_vfs != 0 &&
            snic_fw_run(t, FW_CMD_SRIOV_DISABLE, &din, sizeof(din), NULL, 0) < 0) {
            fprintf(stderr, "snic-fw: %s: the %s path disables SR-IOV "
                            "first, which the card refuses while rules name "
                            "a VF%s\n", t->socket, classic ? "--classic" :
                            "ABI 1.1", classic ? " (drop --classic on a 1.2 "
                            "card to change it in place)" : "");
            return 1;
        }
        in.num_vfs = (uint16_t)n;
        if (n > 0 && snic_fw_run(t, FW_CMD_SRIOV_ENABLE, &in, sizeof(in), NULL,
                         0) < 0)
            return 1;
    }
    if (t->json) {
        json_t *o = json_pack("{s:i, s:i, s:s}", "num_vfs", (int)n,
                              "was", (int)c.num_vfs, "method",
                              n == c.num_vfs ? "none" : in_place ?
                              "in-place" : "disable-enable");
        json_dumpf(o, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(o);
    } else {
        printf("vfs: %u -> %u (%s)\n", c.num_vfs, n, n == c.num_vfs ?
               "unchanged" : in_place ? "in place" : "disable + enable");
    }
    return 0;
}

/* fault KIND [opcode=N] [status=N] [count=N] [value=N] */
static int
cmd_fault(struct fw_tool *t, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "snic-fw: fault needs a kind: clear, fail-next, "
                        "delay, drop-next, reset, fatal, garbage-next\n");
        return 2;
    }
    struct fw_debug_fault_in in = { 0 };
    bool known = false;
    for (size_t i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
        if (strcmp(argv[0], fault_names[i].name) == 0) {
            in.fault = fault_names[i].fault;
            known = true;
        }
    /* Only the one-shot "-next" knobs take a count (default: once); the
     * device refuses a count on the others as a reserved field. */
    if (in.fault == FW_FAULT_FAIL_NEXT || in.fault == FW_FAULT_DROP_NEXT
        || in.fault == FW_FAULT_GARBAGE_NEXT)
        in.count = 1;
    if (!known) {
        fprintf(stderr, "snic-fw: unknown fault '%s' (expected clear, "
                        "fail-next, delay, drop-next, reset, fatal, "
                        "garbage-next)\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        uint32_t v;
        if (eq == NULL || !parse_u32(eq + 1, UINT32_MAX, &v)) {
            fprintf(stderr, "snic-fw: fault argument '%s' is not KEY=NUMBER "
                            "(opcode, status, count, value)\n", argv[i]);
            return 2;
        }
        size_t klen = (size_t)(eq - argv[i]);
        if (klen == 6 && !strncmp(argv[i], "opcode", 6) && v <= 0xffff)
            in.opcode = (uint16_t)v;
        else if (klen == 6 && !strncmp(argv[i], "status", 6) && v <= 0xff)
            in.status = (uint8_t)v;
        else if (klen == 5 && !strncmp(argv[i], "count", 5))
            in.count = v;
        else if (klen == 5 && !strncmp(argv[i], "value", 5))
            in.value = v;
        else {
            fprintf(stderr, "snic-fw: fault argument '%s': unknown key or "
                            "value out of range\n", argv[i]);
            return 2;
        }
    }
    struct fw_out_hdr out;
    if (snic_fw_run(t, FW_CMD_DEBUG_FAULT, &in, sizeof(in), &out, sizeof(out)) < 0)
        return 1;
    printf("fault %s armed\n", argv[0]);
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: snic-fw [--json] --socket PATH COMMAND\n"
        "\n"
        "Look at a snic card (emunic or any device speaking the snic\n"
        "firmware ABI) through its firmware interface.\n"
        "\n"
        "commands:\n"
        "  info                  ABI version, profile, capabilities\n"
        "  health                health state and reset generation\n"
        "  vports                vports with their context and counters\n"
        "  rules [GROUP]         every rule in the steering tables (or in\n"
        "                        GROUP's): table, priority, match, actions,\n"
        "                        counters (ABI 1.3 card)\n"
        "  reset                 firmware reset (steering state is lost)\n"
        "  sriov N [--classic]   set the number of VFs; in place on an ABI\n"
        "                        1.2 card (the other VFs and their rules\n"
        "                        stay), else disable + enable\n"
        "  fault KIND [opcode=N] [status=N] [count=N] [value=N]\n"
        "                        arm a fault knob: clear, fail-next, delay,\n"
        "                        drop-next, reset, fatal, garbage-next\n"
        "\n"
        "options:\n"
        "  -s, --socket PATH     the PF socket of the card (required)\n"
        "  -j, --json            machine-readable output (info, health,\n"
        "                        vports, rules, sriov)\n"
        "  -h, --help            this text\n");
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct fw_tool t = { 0 };
    int c;
    while ((c = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
        switch (c) {
        case 's': t.socket = optarg; break;
        case 'j': t.json = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (t.socket == NULL || optind >= argc) {
        fprintf(stderr, "snic-fw: %s\n", t.socket == NULL
                ? "--socket PATH is required" : "a command is required");
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    static const char *const known[] = { "info", "health", "vports",
                                         "rules", "reset", "fault", "sriov" };
    bool ok = false;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        ok |= strcmp(cmd, known[i]) == 0;
    if (!ok) {
        fprintf(stderr, "snic-fw: unknown command '%s' (expected info, "
                        "health, vports, rules, reset, fault or sriov)\n",
                cmd);
        return 2;
    }

    t.chan = fw_chan_open(t.socket, CMD_TIMEOUT_MS);
    if (t.chan == NULL) {
        fprintf(stderr, "snic-fw: cannot reach the card at %s: %s\n",
                t.socket, strerror(errno));
        return 1;
    }
    int rc;
    if (!strcmp(cmd, "info"))
        rc = cmd_info(&t);
    else if (!strcmp(cmd, "health"))
        rc = cmd_health(&t);
    else if (!strcmp(cmd, "vports"))
        rc = cmd_vports(&t);
    else if (!strcmp(cmd, "rules"))
        rc = snic_fw_cmd_rules(&t, argc - optind - 1, argv + optind + 1);
    else if (!strcmp(cmd, "reset"))
        rc = cmd_reset(&t);
    else if (!strcmp(cmd, "sriov"))
        rc = cmd_sriov(&t, argc - optind - 1, argv + optind + 1);
    else
        rc = cmd_fault(&t, argc - optind - 1, argv + optind + 1);
    fw_chan_close(t.chan);
    return rc;
}
