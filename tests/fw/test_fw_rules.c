/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `snic-fw rules` against a real emunic: rules installed through the PF's
 * channel come back from the card, sorted by table and priority, with
 * their match in readable units, their actions and their counters, in
 * text and JSON; more rules than one RULE_QUERY page holds are all there.
 * Needs EMUNIC and SNIC_FW.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "fw_test_emunic.h"
#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

#define TMO 2000
#define N_BULK 40u

static struct snic_emunic emu;
static struct fw_chan *chan;

static void
up(void)
{
    static const char *const args[] = {
        "--mode", "switchdev", "--num-vfs", "2", "--max-vfs", "4", NULL,
    };

    cr_assert_eq(fw_test_emunic_start(&emu, args), 0, "emunic did not start");
    chan = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(chan, "PF channel: %s", strerror(errno));
    cr_assert_geq(fw_chan_abi_minor(chan), 3, "the card speaks ABI 1.3");
}

static void
down(void)
{
    if (chan != NULL)
        fw_chan_close(chan);
    chan = NULL;
    fw_test_emunic_stop(&emu);
}

TestSuite(fw_rules, .init = up, .fini = down, .timeout = 30);

static void
exec_ok(uint16_t op, void *in, size_t in_size, void *out, size_t out_size)
{
    uint8_t st = 0xff;
    uint32_t synd = 0;

    cr_assert_eq(fw_chan_exec(chan, op, in, in_size, out, out_size, &st,
                              &synd, TMO), 0);
    cr_assert_eq(st, FW_STATUS_OK, "command 0x%04x: status %u synd 0x%08x",
                 op, st, synd);
}

static uint32_t
rule_add(struct fw_rule_add_in *in)
{
    struct fw_rule_add_out out;

    exec_ok(FW_CMD_RULE_ADD, in, offsetof(struct fw_rule_add_in, actions) +
            in->n_actions * sizeof(struct fw_action), &out, sizeof(out));
    return out.rule_id;
}

static uint32_t
counter_alloc(uint32_t n)
{
    struct fw_counter_alloc_in in = { .count = n };
    struct fw_counter_alloc_out out;

    exec_ok(FW_CMD_COUNTER_ALLOC, &in, sizeof(in), &out, sizeof(out));
    return out.base_id;
}

static uint64_t
wire_tx_packets(void)
{
    struct fw_vport_query_in in = { .vport = FW_VPORT_UPLINK };
    struct fw_vport_stats_out out;

    exec_ok(FW_CMD_VPORT_STATS, &in, sizeof(in), &out, sizeof(out));
    return out.tx_packets;
}

/* Frames the wire sends into the card through its peer's queue. */
static void
wire_send_udp(unsigned n, uint32_t dst_ip, uint16_t dport)
{
    uint64_t before;
    char path[160];
    struct fw_chan *up_chan;
    struct fw_pktq_map *q;
    uint8_t f[64];
    struct fw_pkt p = { .data = f, .len = sizeof(f) };
    uint32_t a;
    uint16_t v;

    up_chan = fw_chan_open(fw_test_path(&emu, ".uplink", path, sizeof(path)),
                           TMO);
    cr_assert_not_null(up_chan);
    q = fw_pktq_attach(up_chan, 0, 0, 64, FW_QUEUE_F_TX, TMO);
    cr_assert_not_null(q);
    memset(f, 0, sizeof(f));
    memset(f, 0xff, 6);
    f[6] = 0x02;
    f[12] = 0x08;
    f[14] = 0x45;
    f[16] = 0;
    f[17] = 50;
    f[22] = 64;
    f[23] = 17;
    a = htonl(dst_ip);
    memcpy(f + 30, &a, 4);
    v = htons(dport);
    memcpy(f + 36, &v, 2);
    before = wire_tx_packets();
    for (unsigned i = 0; i < n; i++)
        cr_assert_eq(fw_pktq_tx(q, &p, 1), 1);
    /* the card has them once the wire's vport counted them */
    for (int i = 0; i < 400 && wire_tx_packets() < before + n; i++)
        usleep(5000);
    cr_assert_eq(wire_tx_packets(), before + n, "the card took the frames");
    fw_pktq_detach(q);
    fw_chan_close(up_chan);
}

struct tool_out {
    int rc;
    char *out;
    char err[1024];
};

/* Run snic-fw [--json] --socket SOCK rules [GROUP]. */
static struct tool_out
snic_fw_rules(bool json, const char *group)
{
    const char *bin = getenv("SNIC_FW");
    char *argv[8];
    int argc = 0, po[2], pe[2], status;
    struct tool_out r = { .rc = -1 };
    size_t len = 0, cap = 1 << 16;
    ssize_t n;
    pid_t pid;

    cr_assert_not_null(bin, "SNIC_FW not set (run through meson test)");
    argv[argc++] = (char *)bin;
    if (json)
        argv[argc++] = "--json";
    argv[argc++] = "--socket";
    argv[argc++] = emu.sock;
    argv[argc++] = "rules";
    if (group != NULL)
        argv[argc++] = (char *)group;
    argv[argc] = NULL;
    cr_assert_eq(pipe(po), 0);
    cr_assert_eq(pipe(pe), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        execv(bin, argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    r.out = malloc(cap);
    cr_assert_not_null(r.out);
    while ((n = read(po[0], r.out + len, cap - 1 - len)) > 0) {
        len += (size_t)n;
        if (len == cap - 1) {
            cap *= 2;
            r.out = realloc(r.out, cap);
            cr_assert_not_null(r.out);
        }
    }
    r.out[len] = '\0';
    n = read(pe[0], r.err, sizeof(r.err) - 1);
    r.err[n > 0 ? n : 0] = '\0';
    close(po[0]);
    close(pe[0]);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

/* The line of the text listing that holds @needle, or NULL. */
static const char *
line_with(const char *text, const char *needle, char *buf, size_t size)
{
    const char *p = strstr(text, needle), *s, *e;

    if (p == NULL)
        return NULL;
    for (s = p; s > text && s[-1] != '\n'; s--)
        ;
    e = strchr(p, '\n');
    if (e == NULL)
        e = p + strlen(p);
    snprintf(buf, size, "%.*s", (int)(e - s), s);
    return buf;
}

/* Three rules over two tables, one of them counting the frames sent. */
struct three {
    uint32_t jump, udp, v6, counter;
};

static struct three
install_three(void)
{
    struct fw_table_create_in t = { .group = 3, .level = 1 };
    struct fw_rule_add_in in;
    struct three ids;
    uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

    exec_ok(FW_CMD_TABLE_CREATE, &t, sizeof(t), NULL, 0);
    ids.counter = counter_alloc(1);

    /* group 3, priority 2: IPv4 UDP to 10.1.2.3:4789 from the wire,
     * counted, marked and sent to vf1 */
    memset(&in, 0, sizeof(in));
    in.group = 3;
    in.priority = 2;
    in.value.src_vport = FW_VPORT_UPLINK;
    in.mask.src_vport = 0xffff;
    in.value.eth_type = htons(0x0800);
    in.mask.eth_type = 0xffff;
    in.value.ipv4_dst = htonl(0x0a010203);
    in.mask.ipv4_dst = 0xffffffff;
    in.value.ip_proto = 17;
    in.mask.ip_proto = 0xff;
    in.value.l4_dst = htons(4789);
    in.mask.l4_dst = 0xffff;
    in.n_actions = 3;
    in.actions[0].type = FW_ACT_COUNT;
    in.actions[0].u.count.counter_id = ids.counter;
    in.actions[1].type = FW_ACT_MARK;
    in.actions[1].u.mark.id = 0x2a;
    in.actions[2].type = FW_ACT_FWD_VPORT;
    in.actions[2].u.fwd.vport = FW_VPORT_VF(1);
    ids.udp = rule_add(&in);

    /* group 3, priority 1: IPv6 to a /32 prefix, MAC from vf0, dropped */
    memset(&in, 0, sizeof(in));
    in.group = 3;
    in.priority = 1;
    in.value.eth_src[0] = 0x02;
    in.value.eth_src[5] = 0x07;
    memset(in.mask.eth_src, 0xff, 6);
    in.value.eth_type = htons(0x86dd);
    in.mask.eth_type = 0xffff;
    memcpy(in.value.ipv6_dst, v6, 16);
    memset(in.mask.ipv6_dst, 0xff, 4);
    in.mask.ip_frag = FW_IP_FRAG_IS;    /* not a fragment (ABI 1.4) */
    in.n_actions = 1;
    in.actions[0].type = FW_ACT_DROP;
    ids.v6 = rule_add(&in);

    /* root: everything jumps to group 3 */
    memset(&in, 0, sizeof(in));
    in.n_actions = 1;
    in.actions[0].type = FW_ACT_JUMP;
    in.actions[0].u.jump.group = 3;
    ids.jump = rule_add(&in);
    return ids;
}

Test(fw_rules, text_listing)
{
    struct three ids = install_three();
    struct tool_out r;
    char buf[512], id[64];
    const char *l;

    wire_send_udp(5, 0x0a010203, 4789);
    r = snic_fw_rules(false, NULL);
    cr_assert_eq(r.rc, 0, "rules: %s", r.err);
    cr_expect(strstr(r.out, "3 rules listed (3 in the card)") != NULL, "%s",
              r.out);
    /* tables in order, priorities in order within one */
    cr_expect(strstr(r.out, "group 0 (root)") < strstr(r.out, "group 3\n"),
              "%s", r.out);
    snprintf(id, sizeof(id), "0x%08x", ids.v6);
    cr_expect(strstr(r.out, id) != NULL && strstr(r.out, "prio=1") <
              strstr(r.out, "prio=2"), "%s", r.out);

    snprintf(id, sizeof(id), "id=0x%08x", ids.jump);
    l = line_with(r.out, id, buf, sizeof(buf));
    cr_assert_not_null(l, "%s", r.out);
    cr_expect(strstr(l, "match=any actions=jump(group=3)") != NULL, "%s", l);

    snprintf(id, sizeof(id), "id=0x%08x", ids.udp);
    l = line_with(r.out, id, buf, sizeof(buf));
    cr_assert_not_null(l, "%s", r.out);
    cr_expect(strstr(l, "match=in_vport=uplink,eth_type=0x0800,"
                        "ipv4_dst=10.1.2.3,ip_proto=udp,l4_dst=4789") != NULL,
              "%s", l);
    snprintf(id, sizeof(id), "count(id=%u),mark(0x2a),fwd_vport(vf1)",
             ids.counter);
    cr_expect(strstr(l, id) != NULL, "%s", l);
    cr_expect(strstr(l, "packets=5 bytes=320") != NULL, "%s", l);

    snprintf(id, sizeof(id), "id=0x%08x", ids.v6);
    l = line_with(r.out, id, buf, sizeof(buf));
    cr_assert_not_null(l, "%s", r.out);
    cr_expect(strstr(l, "eth_src=02:00:00:00:00:07,eth_type=0x86dd,"
                        "ipv6_dst=2001:db8::/32,ip_frag=no "
                        "actions=drop") != NULL, "%s", l);
    cr_expect(strstr(l, "packets=") == NULL, "no COUNT, no counters: %s", l);
    free(r.out);

    /* one table only */
    r = snic_fw_rules(false, "3");
    cr_assert_eq(r.rc, 0, "rules 3: %s", r.err);
    cr_expect(strstr(r.out, "2 rules listed (3 in the card)") != NULL &&
              strstr(r.out, "group 0") == NULL, "%s", r.out);
    free(r.out);
    r = snic_fw_rules(false, "9");
    cr_expect_eq(r.rc, 1);
    cr_expect(strstr(r.err, "no such resource") != NULL &&
              strstr(r.err, "group 9") != NULL, "%s", r.err);
    free(r.out);
    r = snic_fw_rules(false, "x9");
    cr_expect_eq(r.rc, 2);
    cr_expect(strstr(r.err, "'x9' is not a group number") != NULL, "%s",
              r.err);
    free(r.out);
}

Test(fw_rules, json_listing)
{
    struct three ids = install_three();
    struct tool_out r;
    json_error_t jerr;
    json_t *o, *rules;
    size_t i;
    json_t *rule;
    bool seen_udp = false;

    wire_send_udp(3, 0x0a010203, 4789);
    r = snic_fw_rules(true, NULL);
    cr_assert_eq(r.rc, 0, "rules: %s", r.err);
    o = json_loads(r.out, 0, &jerr);
    cr_assert_not_null(o, "not JSON (%s): %s", jerr.text, r.out);
    cr_expect_eq(json_integer_value(json_object_get(o, "total")), 3);
    rules = json_object_get(o, "rules");
    cr_assert_eq(json_array_size(rules), 3);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(rules, 0),
                                                    "id")), ids.jump,
                 "the root's rule comes first");
    json_array_foreach(rules, i, rule) {
        json_t *m = json_object_get(rule, "match");
        json_t *a = json_object_get(rule, "actions");

        if (json_integer_value(json_object_get(rule, "id")) != ids.udp)
            continue;
        seen_udp = true;
        cr_expect_eq(json_integer_value(json_object_get(rule, "group")), 3);
        cr_expect_eq(json_integer_value(json_object_get(rule, "priority")),
                     2);
        cr_expect(json_is_false(json_object_get(rule, "tombstone")));
        cr_expect_str_eq(json_string_value(json_object_get(m, "in_vport")),
                         "uplink");
        cr_expect_str_eq(json_string_value(json_object_get(m, "ipv4_dst")),
                         "10.1.2.3");
        cr_expect_str_eq(json_string_value(json_object_get(m, "ip_proto")),
                         "udp");
        cr_expect_str_eq(json_string_value(json_object_get(m, "l4_dst")),
                         "4789");
        cr_expect_eq(json_object_size(m), 5, "only the fields matched");
        cr_expect_eq(json_array_size(a), 3);
        cr_expect_str_eq(json_string_value(json_array_get(a, 2)),
                         "fwd_vport(vf1)");
        cr_expect_eq(json_integer_value(json_object_get(rule, "packets")), 3);
        cr_expect_eq(json_integer_value(json_object_get(rule, "bytes")), 192);
    }
    cr_expect(seen_udp);
    json_decref(o);
    free(r.out);
}

/* More rules than a page holds, more COUNTs than a COUNTER_QUERY holds. */
/* A card with no rule (a client that installed nothing yet) lists none,
 * as text and as JSON, and says so. */
Test(fw_rules, empty_card)
{
    struct tool_out r = snic_fw_rules(false, NULL);
    json_error_t jerr;
    json_t *o;

    cr_assert_eq(r.rc, 0, "rules: %s", r.err);
    cr_expect_not_null(strstr(r.out, "0 rules listed (0 in the card)"),
                       "%s", r.out);
    free(r.out);
    r = snic_fw_rules(true, NULL);
    cr_assert_eq(r.rc, 0, "rules --json: %s", r.err);
    o = json_loads(r.out, 0, &jerr);
    cr_assert_not_null(o, "not JSON (%s)", jerr.text);
    cr_expect_eq(json_integer_value(json_object_get(o, "total")), 0);
    cr_expect_eq(json_array_size(json_object_get(o, "rules")), 0);
    json_decref(o);
    free(r.out);
}

Test(fw_rules, many_rules_all_listed)
{
    uint32_t base = counter_alloc(N_BULK * 2), ids[N_BULK];
    struct tool_out r;
    json_error_t jerr;
    json_t *o, *rules, *rule;
    size_t i;
    bool found[N_BULK] = { false };

    for (unsigned k = 0; k < N_BULK; k++) {
        struct fw_rule_add_in in;

        memset(&in, 0, sizeof(in));
        in.priority = (uint16_t)(k % 3);
        in.value.eth_dst[0] = 0x02;
        in.value.eth_dst[5] = (uint8_t)k;
        memset(in.mask.eth_dst, 0xff, 6);
        in.n_actions = 3;
        in.actions[0].type = FW_ACT_COUNT;
        in.actions[0].u.count.counter_id = base + 2 * k;
        in.actions[1].type = FW_ACT_COUNT;
        in.actions[1].u.count.counter_id = base + 2 * k + 1;
        in.actions[2].type = FW_ACT_FWD_REP;
        in.actions[2].u.fwd.vport = FW_VPORT_VF(0);
        ids[k] = rule_add(&in);
    }
    r = snic_fw_rules(true, NULL);
    cr_assert_eq(r.rc, 0, "rules: %s", r.err);
    o = json_loads(r.out, 0, &jerr);
    cr_assert_not_null(o, "not JSON (%s)", jerr.text);
    rules = json_object_get(o, "rules");
    cr_assert_eq(json_array_size(rules), N_BULK);
    json_array_foreach(rules, i, rule) {
        json_int_t id = json_integer_value(json_object_get(rule, "id"));

        for (unsigned k = 0; k < N_BULK; k++)
            if (ids[k] == id)
                found[k] = true;
        cr_expect_eq(json_integer_value(json_object_get(rule, "packets")), 0);
        if (i > 0)
            cr_expect_leq(json_integer_value(json_object_get(
                              json_array_get(rules, i - 1), "priority")),
                          json_integer_value(json_object_get(rule,
                                                             "priority")));
    }
    for (unsigned k = 0; k < N_BULK; k++)
        cr_expect(found[k], "rule %u missing", k);
    json_decref(o);
    free(r.out);
}
