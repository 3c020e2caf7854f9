/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `snic-fw sriov N` against a real emunic in switchdev mode with rules in
 * its eSwitch: on an ABI 1.2 card the count changes in place (the VFs
 * that stay keep their settings and rules; rules matching a removed VF's
 * frames go, rules sending to it stay as tombstones until deleted),
 * while the disable + enable path (--classic, what a 1.1 card needs) is
 * refused BUSY and changes nothing. Needs EMUNIC and SNIC_FW.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../test_child.h"
#include "fw_test_emunic.h"
#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

#define TMO 2000

static struct snic_emunic emu;
static struct fw_chan *chan;

static void
up(void)
{
    static const char *const args[] = {
        "--mode", "switchdev", "--num-vfs", "4", "--max-vfs", "8", NULL,
    };

    cr_assert_eq(fw_test_emunic_start(&emu, args), 0, "emunic did not start");
    chan = fw_chan_open(emu.sock, TMO);
    cr_assert_not_null(chan, "PF channel: %s", strerror(errno));
    cr_assert_geq(fw_chan_abi_minor(chan), 2, "the card speaks ABI 1.2");
}

static void
down(void)
{
    if (chan != NULL)
        fw_chan_close(chan);
    chan = NULL;
    fw_test_emunic_stop(&emu);
}

TestSuite(fw_sriov, .fini = down, .timeout = 20);

static void
exec_ok(uint16_t op, void *in, size_t in_size, void *out, size_t out_size)
{
    uint8_t st = 0xff;
    uint32_t synd = 0;

    cr_assert_eq(fw_chan_exec(chan, op, in, in_size, out, out_size, &st,
                              &synd, TMO), 0);
    cr_assert_eq(st, FW_STATUS_OK, "command 0x%04x: status %u", op, st);
}

/* A rule matching frames from VF @vf, dropping them: it names the VF. */
static void
rule_from_vf(unsigned vf)
{
    struct fw_rule_add_in in;
    struct fw_rule_add_out out;
    size_t size = offsetof(struct fw_rule_add_in, actions) +
                  sizeof(struct fw_action);

    memset(&in, 0, sizeof(in));
    in.n_actions = 1;
    in.value.src_vport = (uint16_t)FW_VPORT_VF(vf);
    in.mask.src_vport = 0xffff;
    in.actions[0].type = FW_ACT_DROP;
    exec_ok(FW_CMD_RULE_ADD, &in, size, &out, sizeof(out));
}

/* A rule sending IPv4 from the wire to VF @vf: it names the VF as an
 * output. Returns its id. */
static uint32_t
rule_to_vf(unsigned vf)
{
    struct fw_rule_add_in in;
    struct fw_rule_add_out out;
    size_t size = offsetof(struct fw_rule_add_in, actions) +
                  sizeof(struct fw_action);

    memset(&in, 0, sizeof(in));
    in.n_actions = 1;
    in.value.eth_type = htons(0x0800);
    in.mask.eth_type = 0xffff;
    in.actions[0].type = FW_ACT_FWD_VPORT;
    in.actions[0].u.fwd.vport = (uint16_t)FW_VPORT_VF(vf);
    exec_ok(FW_CMD_RULE_ADD, &in, size, &out, sizeof(out));
    return out.rule_id;
}

static struct fw_query_health_out
card_health(void)
{
    struct fw_cmd_hdr in = { 0 };
    struct fw_query_health_out out;

    memset(&out, 0, sizeof(out));
    exec_ok(FW_CMD_QUERY_HEALTH, &in, sizeof(in), &out, sizeof(out));
    cr_assert_eq(out.hdr.out_size, sizeof(out), "the 1.2 tail is written");
    return out;
}

/* Rules in the card, tombstones included. */
static unsigned
card_rules(void)
{
    return card_health().rules;
}

static unsigned
card_vfs(void)
{
    struct fw_cmd_hdr in = { 0 };
    struct fw_query_adapter_out out;

    exec_ok(FW_CMD_QUERY_ADAPTER, &in, sizeof(in), &out, sizeof(out));
    return out.caps.num_vfs;
}

static void
vf_mac(unsigned vf, uint8_t mac[6], bool set)
{
    if (set) {
        struct fw_vport_modify_in in;

        memset(&in, 0, sizeof(in));
        in.vport = (uint16_t)FW_VPORT_VF(vf);
        in.field_select = FW_VPORT_F_MAC;
        memcpy(in.ctx.mac, mac, 6);
        exec_ok(FW_CMD_VPORT_MODIFY, &in, sizeof(in), NULL, 0);
    } else {
        struct fw_vport_query_in in = { .vport = (uint16_t)FW_VPORT_VF(vf) };
        struct fw_vport_query_out out;

        exec_ok(FW_CMD_VPORT_QUERY, &in, sizeof(in), &out, sizeof(out));
        memcpy(mac, out.ctx.mac, 6);
    }
}

struct tool_out {
    int rc;
    char out[1024];
    char err[1024];
};

/* Run snic-fw [--json] --socket SOCK sriov ARGS...; NULL-terminated. @json
 * is an int: va_start on a parameter that default promotion widens (a
 * bool) is undefined, and clang refuses it (-Wvarargs). */
static struct tool_out
snic_fw(int json, ...)
{
    const char *bin = getenv("SNIC_FW");
    char *argv[12];
    int argc = 0, po[2], pe[2], status;
    struct tool_out r = { .rc = -1 };
    va_list ap;
    pid_t pid;
    ssize_t n;

    cr_assert_not_null(bin, "SNIC_FW not set (run through meson test)");
    argv[argc++] = (char *)bin;
    if (json)
        argv[argc++] = "--json";
    argv[argc++] = "--socket";
    argv[argc++] = emu.sock;
    argv[argc++] = "sriov";
    va_start(ap, json);
    for (char *a; argc < 11 && (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    cr_assert_eq(pipe(po), 0);
    cr_assert_eq(pipe(pe), 0);
    pid = test_fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        execv(bin, argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    n = read(po[0], r.out, sizeof(r.out) - 1);
    r.out[n > 0 ? n : 0] = '\0';
    n = read(pe[0], r.err, sizeof(r.err) - 1);
    r.err[n > 0 ? n : 0] = '\0';
    close(po[0]);
    close(pe[0]);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

static bool
vf_socket(unsigned vf)
{
    char suffix[16], path[160];

    snprintf(suffix, sizeof(suffix), ".vf%u", vf);
    return access(fw_test_path(&emu, suffix, path, sizeof(path)), F_OK) == 0;
}

Test(fw_sriov, in_place_on_a_live_switch)
{
    uint8_t mac[6] = { 0x02, 0, 0, 0, 0x5e, 0x11 }, got[6];
    struct fw_rule_delete_in del = { .rsvd = 0 };
    struct tool_out r;
    uint32_t to3;

    up();
    vf_mac(1, mac, true);
    rule_from_vf(1);
    rule_from_vf(3);
    to3 = rule_to_vf(3);
    cr_assert_eq(card_rules(), 3);
    cr_assert_eq(card_health().tombstones, 0);

    r = snic_fw(false, "2", NULL);
    cr_assert_eq(r.rc, 0, "sriov 2: %s", r.err);
    cr_expect(strstr(r.out, "4 -> 2 (in place)") != NULL, "%s", r.out);
    cr_expect_eq(card_vfs(), 2);
    cr_expect_eq(card_rules(), 2, "the rule matching vf3's frames went with "
                 "it; vf1's stays, and so does the one sending to vf3");
    cr_expect_eq(card_health().tombstones, 1,
                 "the rule sending to vf3 is a tombstone now");
    vf_mac(1, got, false);
    cr_expect_arr_eq(got, mac, 6, "vf1 keeps its MAC");
    cr_expect(vf_socket(1) && !vf_socket(3), "vf3's socket is gone");

    r = snic_fw(true, "4", NULL);
    cr_assert_eq(r.rc, 0, "sriov 4: %s", r.err);
    cr_expect(strstr(r.out, "\"method\": \"in-place\"") != NULL &&
              strstr(r.out, "\"was\": 2") != NULL, "%s", r.out);
    cr_expect_eq(card_vfs(), 4);
    cr_expect_eq(card_rules(), 2, "a VF added names no rule");
    cr_expect_eq(card_health().tombstones, 1, "the new vf3 revives nothing");
    vf_mac(1, got, false);
    cr_expect_arr_eq(got, mac, 6);

    /* the driver deletes the tombstone by the id it always had */
    del.rule_id = to3;
    exec_ok(FW_CMD_RULE_DELETE, &del, sizeof(del), NULL, 0);
    cr_expect_eq(card_rules(), 1);
    cr_expect_eq(card_health().tombstones, 0);

    r = snic_fw(false, "4", NULL);
    cr_expect_eq(r.rc, 0);
    cr_expect(strstr(r.out, "unchanged") != NULL, "%s", r.out);
}

Test(fw_sriov, classic_path_refused_while_rules_exist)
{
    struct tool_out r;

    up();
    rule_from_vf(0);
    r = snic_fw(false, "2", "--classic", NULL);
    cr_expect_eq(r.rc, 1);
    cr_expect(strstr(r.err, "busy") != NULL && strstr(r.err, "--classic")
              != NULL, "the refusal says why and what to do: %s", r.err);
    cr_expect_eq(card_vfs(), 4, "nothing changed");
    cr_expect_eq(card_rules(), 1);
}

Test(fw_sriov, classic_path_without_rules)
{
    struct tool_out r;

    up();
    r = snic_fw(false, "--classic", "3", NULL);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "4 -> 3 (disable + enable)") != NULL, "%s",
              r.out);
    cr_expect_eq(card_vfs(), 3);
}

Test(fw_sriov, bad_arguments)
{
    struct tool_out r;

    up();
    r = snic_fw(false, NULL);
    cr_expect_eq(r.rc, 2);
    cr_expect(strstr(r.err, "number of VFs") != NULL, "%s", r.err);
    r = snic_fw(false, "four", NULL);
    cr_expect_eq(r.rc, 2);
    cr_expect(strstr(r.err, "'four'") != NULL, "%s", r.err);
    r = snic_fw(false, "9", NULL);
    cr_expect_eq(r.rc, 1);
    cr_expect(strstr(r.err, "at most 8") != NULL, "%s", r.err);
    cr_expect_eq(card_vfs(), 4);
}
