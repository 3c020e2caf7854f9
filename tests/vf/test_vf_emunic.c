/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf's emunic backend end to end: a real emunic process ($EMUNIC) on
 * a private socket; create, set every attribute the card has, read back,
 * apply twice (second run a no-op), roll back on a refusal, destroy.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if_ether.h>

#include "../test_child.h"
#include "run_main.h"
#include "snic/fw_abi.h"
#include "snic/fw_chan.h"
#include "snic_emunic.h"
#include "vf_emunic.h"

static struct snic_emunic card;
static struct vf_backend *be;

static void
start_emunic(void)
{
    static const char *const args[] = { "-q", "--max-vfs", "8", NULL };
    const struct snic_emunic_how how = {
        .tag = "vf-emunic", .death_signal = SIGKILL,    /* as test_fork() */
    };
    struct vf_err err = { "" };

    cr_assert_eq(snic_emunic_start(&card, getenv("EMUNIC"), NULL, args,
                                   &how), 0, "%s", card.err);
    be = vf_emunic_open(card.sock, 2000, &err);
    cr_assert_not_null(be, "%s", err.msg);
}

static void
stop_emunic(void)
{
    vf_backend_close(be);
    be = NULL;
    snic_emunic_stop(&card, 5000);
}

TestSuite(vf_emunic, .init = start_emunic, .fini = stop_emunic,
          .timeout = 20);

Test(vf_emunic, create_set_read_back_destroy)
{
    struct run_out r;
    struct vf_dev d;
    char path[128];
    const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x11 };

    r = run_main(be, "create", card.sock, "4", NULL);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    run_free(&r);
    snprintf(path, sizeof(path), "%s.vf3", card.sock);
    cr_expect_eq(access(path, F_OK), 0, "VF socket missing");

    r = run_main(be, "set", card.sock, "1", "mac", "02:00:00:00:00:11",
                 "vlan", "10", "qos", "2", "proto", "802.1ad", "spoofchk",
                 "on", "trust", "on", "state", "disable", "min-rate", "100",
                 "max-rate", "500", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    run_free(&r);

    cr_assert_eq(be->ops->get(be, card.sock, &d), 0, "%s", be->err.msg);
    cr_expect_eq(d.numvfs, 4);
    cr_expect_eq(d.totalvfs, 8);
    cr_assert_eq(d.nvfs, 4);
    cr_expect_arr_eq(d.vfs[1].cur.mac, mac, 6);
    cr_expect_eq(d.vfs[1].cur.vlan, 10);
    cr_expect_eq(d.vfs[1].cur.qos, 2);
    cr_expect_eq(d.vfs[1].cur.proto, ETH_P_8021AD);
    cr_expect(d.vfs[1].cur.spoofchk);
    cr_expect(d.vfs[1].cur.trust);
    cr_expect_eq(d.vfs[1].cur.state, VF_STATE_DISABLE);
    cr_expect_eq(d.vfs[1].cur.min_rate, 100);
    cr_expect_eq(d.vfs[1].cur.max_rate, 500);
    /* untouched neighbour */
    cr_expect_eq(d.vfs[2].cur.vlan, 0);
    vf_dev_clear(&d);

    r = run_main(be, "destroy", card.sock, NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    run_free(&r);
    cr_expect_neq(access(path, F_OK), 0, "VF socket still there");
    cr_assert_eq(be->ops->get(be, card.sock, &d), 0);
    cr_expect_eq(d.numvfs, 0);
    vf_dev_clear(&d);
}

Test(vf_emunic, apply_twice_second_is_a_no_op)
{
    char file[128];
    struct run_out r;
    struct vf_dev d;
    FILE *f;

    snprintf(file, sizeof(file), "%s/vfs.json", card.dir);
    f = fopen(file, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"devices\":[{\"name\":\"%s\",\"num_vfs\":3,"
            "\"eswitch_mode\":\"switchdev\",\"vfs\":[{\"index\":2,"
            "\"mac\":\"02:00:00:00:00:22\",\"vlan\":7,\"spoofchk\":true,"
            "\"max_rate\":900}]}]}", card.sock);
    fclose(f);
    r = run_main(be, "apply", file, NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "using default order") != NULL, "%s", r.out);
    run_free(&r);
    cr_assert_eq(be->ops->get(be, card.sock, &d), 0);
    cr_expect_eq(d.esw_mode, VF_ESW_SWITCHDEV);
    cr_expect_eq(d.numvfs, 3);
    cr_expect_eq(d.vfs[2].cur.vlan, 7);
    cr_expect_eq(d.vfs[2].cur.max_rate, 900);
    vf_dev_clear(&d);

    r = run_main(be, "apply", file, NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strncmp(r.out, "nothing to do: the host already matches ", 40)
              == 0, "%s", r.out);
    run_free(&r);
}

Test(vf_emunic, refusal_rolls_back_what_was_applied)
{
    struct run_out r;
    struct vf_dev d;

    r = run_main(be, "create", card.sock, "2", NULL);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    run_free(&r);
    /* refused against the backend's capabilities, before the mac and trust
     * it could set are changed (they used to be, then rolled back) */
    r = run_main(be, "set", card.sock, "0", "mac", "02:00:00:00:00:33",
                 "trust", "on", "node-guid", "00:11:22:33:44:55:66:77", NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect(strstr(r.err, ": node-guid: ") != NULL
              && strstr(r.err, "(emunic) cannot set it; it sets mac, vlan, "
                        "spoofchk, trust, state, rate\n") != NULL, "%s",
              r.err);
    cr_expect(strstr(r.err, "rolled back") == NULL, "%s", r.err);
    run_free(&r);
    cr_assert_eq(be->ops->get(be, card.sock, &d), 0);
    cr_expect_eq(d.vfs[0].cur.mac[5], 0);
    cr_expect(!d.vfs[0].cur.trust);
    vf_dev_clear(&d);
}

/* An apply asking for what the card cannot set is refused whole, dry run
 * included: the VF count and the settable attributes before it in the
 * file are not changed first. */
Test(vf_emunic, apply_of_an_attribute_the_card_cannot_set_changes_nothing)
{
    char file[128];
    struct run_out r;
    struct vf_dev d;
    FILE *f;

    snprintf(file, sizeof(file), "%s/cannot.json", card.dir);
    f = fopen(file, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"devices\":[{\"name\":\"%s\",\"num_vfs\":2,\"vfs\":["
            "{\"index\":0,\"trust\":true},{\"index\":1,\"hw_addr\":"
            "\"02:00:00:00:00:44\"}]}]}", card.sock);
    fclose(f);
    r = run_main(be, "apply", file, "--dry-run", NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE, "dry run: %s", r.out);
    cr_expect(strstr(r.err, "devices[0].vfs[1]: hw-addr: ") != NULL
              && strstr(r.err, "(emunic) cannot set it") != NULL, "%s",
              r.err);
    run_free(&r);
    r = run_main(be, "apply", file, NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE, "%s", r.out);
    cr_expect(strstr(r.err, "(emunic) cannot set it") != NULL, "%s", r.err);
    run_free(&r);
    cr_assert_eq(be->ops->get(be, card.sock, &d), 0);
    cr_expect_eq(d.numvfs, 0, "the VFs were created: %u", d.numvfs);
    vf_dev_clear(&d);
}

Test(vf_emunic, wrong_device_and_binding)
{
    struct run_out r = run_main(be, "set", "/tmp/other", "0", "trust", "on",
                                NULL);

    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect(strstr(r.err, "/tmp/other: no such device (this emunic backend "
                     "drives ") != NULL, "%s", r.err);
    run_free(&r);
    r = run_main(be, "create", card.sock, "1", NULL);
    run_free(&r);
    r = run_main(be, "bind", card.sock, "0", "vfio-pci", NULL);
    cr_expect_eq(r.rc, VF_EXIT_FAILED);
    cr_expect(strstr(r.err, "emunic VFs have no kernel driver to bind") !=
              NULL, "%s", r.err);
    run_free(&r);
}

Test(vf_emunic, port_function_attributes_refused_and_rolled_back)
{
    struct run_out r;
    struct vf_dev d;

    r = run_main(be, "create", card.sock, "1", NULL);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    run_free(&r);
    r = run_main(be, "set", card.sock, "0", "spoofchk", "on", "roce", "on",
                 NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect(strstr(r.err, ": roce: ") != NULL
              && strstr(r.err, "(emunic) cannot set it") != NULL, "%s",
              r.err);
    run_free(&r);
    cr_assert_eq(be->ops->get(be, card.sock, &d), 0);
    cr_expect(!d.vfs[0].cur.spoofchk);
    vf_dev_clear(&d);
}

/* A rule in the card dropping frames from VF @vf: it names the VF. */
static void
rule_naming_vf(struct fw_chan *c, unsigned vf)
{
    struct fw_rule_add_in in;
    struct fw_rule_add_out out;
    size_t size = offsetof(struct fw_rule_add_in, actions) +
                  sizeof(struct fw_action);
    uint8_t st = 0xff;
    uint32_t synd = 0;

    memset(&in, 0, sizeof(in));
    in.n_actions = 1;
    in.value.src_vport = (uint16_t)FW_VPORT_VF(vf);
    in.mask.src_vport = 0xffff;
    in.actions[0].type = FW_ACT_DROP;
    cr_assert_eq(fw_chan_exec(c, FW_CMD_RULE_ADD, &in, size, &out,
                              sizeof(out), &st, &synd, 2000), 0);
    cr_assert_eq(st, FW_STATUS_OK, "rule naming vf%u: status %u", vf, st);
}

/* An ABI 1.2 card changes the VF count in place, as sriov_numvfs does on a
 * switchdev host: one step, no pass through 0, the VFs that stay keep
 * their settings and the rules naming them (a disable would be refused
 * BUSY while such a rule exists). */
Test(vf_emunic, count_changes_in_place_on_a_live_switch)
{
    const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x21 };
    struct fw_chan *c;
    struct run_out r;
    struct vf_dev d;
    char path[128];

    r = run_main(be, "create", card.sock, "4", "--switchdev", NULL);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    run_free(&r);
    r = run_main(be, "set", card.sock, "1", "mac", "02:00:00:00:00:21", NULL);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    run_free(&r);
    c = fw_chan_open(card.sock, 2000);
    cr_assert_not_null(c, "a second PF channel for the rule");
    rule_naming_vf(c, 0);

    cr_assert_eq(be->ops->get(be, card.sock, &d), 0, "%s", be->err.msg);
    cr_expect(d.numvfs_in_place, "the emulated card speaks ABI 1.2");
    vf_dev_clear(&d);

    r = run_main(be, "create", card.sock, "2", NULL);
    cr_expect_eq(r.rc, 0, "a live switch shrinks: %s", r.err);
    cr_expect(strstr(r.out, "in place") != NULL &&
              strstr(r.out, "remove all VFs") == NULL,
              "one in-place step, not through 0: %s", r.out);
    run_free(&r);
    cr_assert_eq(be->ops->get(be, card.sock, &d), 0, "%s", be->err.msg);
    cr_expect_eq(d.numvfs, 2);
    cr_assert_eq(d.nvfs, 2);
    cr_expect_arr_eq(d.vfs[1].cur.mac, mac, 6, "vf1 kept its MAC");
    vf_dev_clear(&d);
    snprintf(path, sizeof(path), "%s.vf2", card.sock);
    cr_expect_neq(access(path, F_OK), 0, "vf2's socket is gone");

    r = run_main(be, "create", card.sock, "3", NULL);
    cr_expect_eq(r.rc, 0, "and grows again: %s", r.err);
    run_free(&r);
    cr_expect_eq(access(path, F_OK), 0, "vf2's socket is back");
    cr_assert_eq(be->ops->get(be, card.sock, &d), 0, "%s", be->err.msg);
    cr_expect_eq(d.numvfs, 3);
    cr_expect_arr_eq(d.vfs[1].cur.mac, mac, 6);
    vf_dev_clear(&d);
    fw_chan_close(c);
}
