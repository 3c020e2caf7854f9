/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's side of the differential test against Open vSwitch
 * (tests/ovsdiff/ovsdiff.py): the software datapath that snicd's workers
 * run (include/snic/dp.h), fed from a script on stdin, its results on
 * stdout. The flows go through the same parser and flow table as snicd's,
 * the packets through dp_worker_process(), one at a time.
 *
 * Input, one command a line:
 *   port N MODE TAG TRUNKS
 *                     port N's NORMAL settings (before the flows): MODE
 *                     trunk, access, native-tagged or native-untagged,
 *                     TRUNKS a comma list or - (every VLAN)
 *   xport N MODE TAG PEER NOFLOOD
 *                     a port of a switch of the script's own, in place of
 *                     ports 1..4 (tests/neutron/neutron_ovs.py): any
 *                     OpenFlow number, a patch port when PEER is not 0,
 *                     kept out of floods when NOFLOOD is 1; TRUNKS every
 *                     VLAN. Taken together at the next "ports"
 *   ports             the xport lines so far become the switch's ports
 *   patch A B         ports A and B are a patch pair, each the other's
 *                     peer, beside ports 1..4 (before the flows), as Open
 *                     vSwitch's type=patch ports A and B in its one bridge
 *   tlv N CLASS TYPE LEN
 *                     map tun_metadataN (before the flows), as Open
 *                     vSwitch's add-tlv-map; flows are fitted to the map
 *                     as snicd fits them
 *   flow LINE         add an ovs-ofctl flow (numeric ports)
 *   commit            publish the flows added so far
 *   pkt PORT HEX      one frame received on PORT (the flows it learned
 *                     are in the table before the next command)
 *   stats             every flow's packet count
 * Output:
 *   reject N MSG      flow number N (from 0) was refused, and why
 *   out PORT HEX      an output of the current packet
 *   end               the current packet is done
 *   count COOKIE N    a flow (named by its cookie) counted N packets
 *
 * Exits 0 after end of input, 2 on a malformed script.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic/dp.h"
#include "snic/flow.h"

#define FRAME_MAX       9216u
#define HEADROOM        512u
#define N_PORTS         4u      /* ovsdiff_gen.PORTS */
#define MAX_PAIRS       2u

struct replay {
    struct flow_tlv_map map;
    /* the switch: p1..p4, then the patch pairs; or, once the script
     * names its own (xport), those */
    struct dp_port ports[DP_MAX_SWITCH_PORTS];
    unsigned n_ports;
    bool own_ports;
    struct dp *dp;
    struct flow_table *ft;
    struct dp_worker *w;
    unsigned n_flows;
};

static void
print_hex(const uint8_t *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        putchar(digits[p[i] >> 4]);
        putchar(digits[p[i] & 15]);
    }
}

/* A port of the switch that is no patch port: Open vSwitch's p1..p4, or
 * the script's own ordinary ports */
static bool
known_port(const struct replay *r, uint32_t port)
{
    for (unsigned i = 0; i < r->n_ports; i++)
        if (r->ports[i].ofport == port && r->ports[i].peer == 0)
            return true;
    return false;
}

static void
on_output(void *ctx, const struct dp_output *out)
{
    const struct replay *r = ctx;

    /* Open vSwitch's switch has p1..p4 and no other ordinary port: an
     * output to another number (output:FIELD[] of a header) leaves
     * nothing there, nor here; its LOCAL port is br0, whose frames the
     * test does not capture (output:FIELD[] holding 0xfffe) */
    if (out->port == 0 || out->port == FLOW_PORT_LOCAL
        || (!known_port(r, out->port) && !flow_port_is_reserved(out->port)))
        return;
    printf("out %u ", out->port);
    print_hex(out->frame, out->len);
    putchar('\n');
}

static int
hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* @hex -> @out; the number of bytes, or -EINVAL. */
static long
unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (hex[0] != '\0' && hex[0] != '\n') {
        int hi = hex_nibble(hex[0]);
        int lo = hi < 0 ? -1 : hex_nibble(hex[1]);

        if (lo < 0 || n == max)
            return -EINVAL;
        out[n++] = (uint8_t)(hi << 4 | lo);
        hex += 2;
    }
    return (long)n;
}

static void
add_flow(struct replay *r, char *line)
{
    struct flow_mod fm;
    struct flow_error err;
    int rc;

    line[strcspn(line, "\n")] = '\0';
    rc = flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err);
    if (rc == 0 && flow_tun_md_used(&fm.flow) != 0)
        rc = flow_tun_md_check(&fm.flow, &r->map, err.msg, sizeof(err.msg));
    if (rc == 0) {
        rc = flow_table_apply(r->ft, &fm, 0);
        if (rc < 0)
            snprintf(err.msg, sizeof(err.msg), "flow table: %s",
                     strerror(-rc));
    }
    if (rc < 0)
        printf("reject %u %s\n", r->n_flows, err.msg);
    r->n_flows++;
}

/* "N CLASS TYPE LEN": map tun_metadataN. */
static int
add_tlv(struct replay *r, const char *args)
{
    unsigned n, len;
    int cls, type, rc;

    snic_role_enter(&snic_control);
    if (sscanf(args, "%u %i %i %u", &n, &cls, &type, &len) != 4
        || cls < 0 || cls > 0xffff || type < 0 || type > 0xff)
        return -EINVAL;
    rc = flow_tlv_map_add(&r->map, n, (uint16_t)cls, (uint8_t)type, len);
    if (rc == 0)
        dp_set_tlv_map(r->dp, &r->map);
    return rc;
}

/* "A B": a patch pair. */
static int
add_patch(struct replay *r, const char *args)
{
    unsigned a, b;

    snic_role_enter(&snic_control);
    if (sscanf(args, "%u %u", &a, &b) != 2 || a <= N_PORTS || b <= N_PORTS
        || r->n_ports + 2 > N_PORTS + 2 * MAX_PAIRS)
        return -EINVAL;
    r->ports[r->n_ports++] = (struct dp_port){ .ofport = a, .peer = b,
                                               .vlan_mode = DP_VLAN_TRUNK };
    r->ports[r->n_ports++] = (struct dp_port){ .ofport = b, .peer = a,
                                               .vlan_mode = DP_VLAN_TRUNK };
    return dp_set_ports(r->dp, r->ports, r->n_ports);
}

/* "N MODE TAG TRUNKS" into r->ports (indexed by port - 1). */
static int
set_port(struct replay *r, const char *args)
{
    static const char *const modes[] = {
        [DP_VLAN_TRUNK] = "trunk", [DP_VLAN_ACCESS] = "access",
        [DP_VLAN_NATIVE_TAGGED] = "native-tagged",
        [DP_VLAN_NATIVE_UNTAGGED] = "native-untagged",
    };
    char mode[32], trunks[256];
    unsigned port, tag, m;
    struct dp_port *p;

    snic_role_enter(&snic_control);
    if (sscanf(args, "%u %31s %u %255s", &port, mode, &tag, trunks) != 4
        || port < 1 || port > N_PORTS || tag > 4095)
        return -EINVAL;
    for (m = 0; m < 4; m++)
        if (strcmp(mode, modes[m]) == 0)
            break;
    if (m == 4)
        return -EINVAL;
    p = &r->ports[port - 1];
    *p = (struct dp_port){ .ofport = port, .vlan_mode = (uint16_t)m,
                           .tag = (uint16_t)tag };
    if (strcmp(trunks, "-") != 0) {
        char *save = NULL;

        p->has_trunks = 1;
        for (char *t = strtok_r(trunks, ",", &save); t != NULL;
             t = strtok_r(NULL, ",", &save)) {
            unsigned v = (unsigned)strtoul(t, NULL, 10);

            if (v > 4095)
                return -EINVAL;
            p->trunks[v / 64] |= 1ull << (v % 64);
        }
    }
    return dp_set_ports(r->dp, r->ports, r->n_ports);
}

/* "N MODE TAG PEER NOFLOOD": one more port for the next "ports"; the
 * first replaces p1..p4. */
static int
add_xport(struct replay *r, const char *args)
{
    static const char *const modes[] = { "trunk", "access" };
    char mode[32];
    unsigned port, tag, peer, noflood, m;

    if (sscanf(args, "%u %31s %u %u %u", &port, mode, &tag, &peer,
               &noflood) != 5 || port < 1 || tag > 4095 || noflood > 1
        || (r->own_ports && r->n_ports == DP_MAX_SWITCH_PORTS))
        return -EINVAL;
    for (m = 0; m < 2; m++)
        if (strcmp(mode, modes[m]) == 0)
            break;
    if (m == 2)
        return -EINVAL;
    if (!r->own_ports) {
        r->n_ports = 0;
        r->own_ports = true;
    }
    r->ports[r->n_ports++] = (struct dp_port){
        .ofport = port, .vlan_mode = m == 0 ? DP_VLAN_TRUNK : DP_VLAN_ACCESS,
        .tag = (uint16_t)tag, .peer = peer,
        .flags = noflood ? DP_PORT_NO_FLOOD : 0 };
    return 0;
}

static void
apply_learned(void *ctx, const struct flow_mod *fm)
{
    struct replay *r = ctx;

    /* time stands still: no learned flow expires during a round */
    (void)flow_table_learn(r->ft, fm, 0);
}

static int
run_packet(struct replay *r, const char *args)
{
    static uint8_t room[HEADROOM + FRAME_MAX];
    char *end;
    unsigned long port = strtoul(args, &end, 10);
    struct dp_buf buf;
    long len;

    snic_role_enter(&snic_control);
    if (end == args || *end != ' ')
        return -EINVAL;
    len = unhex(end + 1, room + HEADROOM, FRAME_MAX);
    if (len < 0)
        return -EINVAL;
    buf.data = room + HEADROOM;
    buf.len = (size_t)len;
    buf.headroom = HEADROOM;
    dp_worker_online(r->w);
    dp_worker_process(r->w, &buf, (uint32_t)port, on_output, r);
    dp_worker_quiesce(r->w);
    dp_worker_offline(r->w);
    puts("end");
    /* what the packet learned is in the table before the next one, as
     * in Open vSwitch, which installs it while translating the packet */
    if (dp_learn_drain(r->dp, apply_learned, NULL, r) > 0)
        return dp_commit(r->dp);
    return 0;
}

static int
print_count(void *ctx, const struct flow_entry *e)
{
    struct replay *r = ctx;
    uint64_t packets = 0, bytes = 0;

    dp_flow_stats(r->dp, e->id, &packets, &bytes);
    printf("count 0x%llx %llu\n", (unsigned long long)e->flow.cookie,
           (unsigned long long)packets);
    return 0;
}

int
main(void)
{
    static char line[2 * FRAME_MAX + 64];
    static struct replay r;
    int rc = 0;

    snic_role_enter(&snic_control);
    r.dp = dp_create(NULL, NULL);
    r.ft = r.dp ? flow_table_create(dp_flow_table_listener, r.dp) : NULL;
    r.w = r.ft ? dp_worker_create(r.dp) : NULL;
    if (r.w != NULL && dp_set_learn_table(r.dp, r.ft) < 0)
        r.w = NULL;
    /* Open vSwitch's ports p1..p4 (ALL, FLOOD and NORMAL also reach its
     * bridge port, LOCAL, whose frames the test does not see) */
    for (unsigned i = 0; i < N_PORTS; i++)
        r.ports[i] = (struct dp_port){ .ofport = i + 1,
                                       .vlan_mode = DP_VLAN_TRUNK };
    r.n_ports = N_PORTS;
    if (r.w != NULL && dp_set_ports(r.dp, r.ports, r.n_ports) < 0)
        r.w = NULL;
    if (r.w == NULL) {
        fprintf(stderr, "ovsdiff_dp: out of memory\n");
        return 1;
    }
    while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
        if (strncmp(line, "port ", 5) == 0)
            rc = set_port(&r, line + 5);
        else if (strncmp(line, "patch ", 6) == 0)
            rc = add_patch(&r, line + 6);
        else if (strncmp(line, "xport ", 6) == 0)
            rc = add_xport(&r, line + 6);
        else if (strcmp(line, "ports\n") == 0) {
            snic_role_enter(&snic_control);
            rc = dp_set_ports(r.dp, r.ports, r.n_ports);
        } else if (strncmp(line, "tlv ", 4) == 0)
            rc = add_tlv(&r, line + 4);
        else if (strncmp(line, "flow ", 5) == 0)
            add_flow(&r, line + 5);
        else if (strcmp(line, "commit\n") == 0)
            rc = dp_commit(r.dp);
        else if (strncmp(line, "pkt ", 4) == 0)
            rc = run_packet(&r, line + 4);
        else if (strcmp(line, "stats\n") == 0)
            rc = flow_table_walk(r.ft, FLOW_TABLE_ALL, print_count, &r);
        else
            rc = -EINVAL;
        if (rc != 0)
            fprintf(stderr, "ovsdiff_dp: cannot run '%.60s': %s\n", line,
                    strerror(-rc));
    }
    fflush(stdout);
    dp_worker_destroy(r.w);
    flow_table_destroy(r.ft);
    dp_destroy(r.dp);
    return rc == 0 ? 0 : 2;
}
