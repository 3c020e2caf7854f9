/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf sysfs handling on fake trees: discovery (PFs, VFs, representors,
 * never a representor or VF as a PF), create/destroy with the bounded wait,
 * driver binding files, and --sysfs-root through the command line.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "fake_backend.h"
#include "fake_tree.h"
#include "run_main.h"
#include "vf_kernel.h"
#include "vf_sysfs.h"

static struct fake_tree tree;
static struct fake_nl nl;
static struct vf_backend *be;

static const struct fake_pf mlx = {
    .name = "enp3s0f0", .pci = "0000:03:00.0", .driver = "mlx5_core",
    .totalvfs = 8, .numvfs = 4, .switch_id = "5c0a2b0003e8a2b8",
    .port_name = "p0", .speed = 25000, .representors = true,
};
static const struct fake_pf ice = {
    .name = "enp4s0f0", .pci = "0000:04:00.0", .driver = "ice",
    .totalvfs = 8, .numvfs = 0,
};

static void
setup(void)
{
    cr_assert_eq(fake_tree_init(&tree), 0);
    cr_assert_eq(fake_add_pf(&tree, &mlx), 0);
    cr_assert_eq(fake_add_pf(&tree, &ice), 0);
    /* a virtual netdev and a PCI netdev without SR-IOV */
    cr_assert_eq(fake_add_netdev(&tree, "veth0", NULL), 0);
    cr_assert_eq(fake_add_netdev(&tree, "enp5s0", "0000:05:00.0"), 0);
    fake_nl_init(&nl);
    be = vf_kernel_open(tree.root, &fake_nl_ops, &nl);
    cr_assert_not_null(be);
}

static void
teardown(void)
{
    vf_backend_close(be);
    fake_tree_destroy(&tree);
}

TestSuite(vf_sysfs, .init = setup, .fini = teardown, .timeout = 20);

Test(vf_sysfs, scan_finds_pfs_only)
{
    struct vf_host host;
    const struct vf_dev *d;

    cr_assert_eq(be->ops->list(be, &host), 0, "%s", be->err.msg);
    cr_assert_eq(host.ndevs, 2);
    d = &host.devs[0];
    cr_expect_str_eq(d->name, "enp3s0f0");
    cr_expect_str_eq(d->pci, "0000:03:00.0");
    cr_expect_str_eq(d->driver, "mlx5_core");
    cr_expect_eq(d->numvfs, 4);
    cr_expect_eq(d->totalvfs, 8);
    cr_expect_eq(d->speed, 25000);
    cr_expect_eq(d->esw_mode, VF_ESW_LEGACY);
    cr_assert_eq(d->nvfs, 4);
    for (unsigned i = 0; i < 4; i++) {
        char pci[32], name[32];

        fake_vf_pci(mlx.pci, i, pci);
        cr_expect_str_eq(d->vfs[i].pci, pci);
        snprintf(name, sizeof(name), "enp3s0f0v%u", i);
        cr_expect_str_eq(d->vfs[i].netdev, name);
        cr_expect_str_eq(d->vfs[i].driver, "mlx5_core");
        snprintf(name, sizeof(name), "enp3s0f0_%u", i);
        cr_expect_str_eq(d->vfs[i].representor, name);
    }
    cr_expect_str_eq(host.devs[1].name, "enp4s0f0");
    cr_expect_eq(host.devs[1].nvfs, 0);
    vf_host_clear(&host);
}

Test(vf_sysfs, representor_matching_needs_switch_id_and_pf_number)
{
    struct vf_dev d;

    /* same port name on another switch, and pf1vf0 on this switch */
    fake_write(&tree, "sys/class/net/other_0/phys_switch_id", "deadbeef");
    fake_write(&tree, "sys/class/net/other_0/phys_port_name", "pf0vf0");
    fake_write(&tree, "sys/class/net/enp3s0f0_0/phys_port_name", "pf1vf0");
    cr_assert_eq(be->ops->get(be, "enp3s0f0", &d), 0);
    cr_expect_str_eq(d.vfs[0].representor, "");
    cr_expect_str_eq(d.vfs[1].representor, "enp3s0f0_1");
    vf_dev_clear(&d);
}

Test(vf_sysfs, port_name_kinds)
{
    unsigned pf = 99, vf = 99;

    cr_expect_eq(vf_sysfs_port_name_kind("", &pf, &vf), 0);
    cr_expect_eq(vf_sysfs_port_name_kind("p0", &pf, &vf), 0);
    cr_expect_eq(vf_sysfs_port_name_kind("pf0vf3", &pf, &vf), 1);
    cr_expect_eq(pf, 0);
    cr_expect_eq(vf, 3);
    cr_expect_eq(vf_sysfs_port_name_kind("c1pf2vf17", &pf, &vf), 1);
    cr_expect_eq(pf, 2);
    cr_expect_eq(vf, 17);
    cr_expect_eq(vf_sysfs_port_name_kind("pf0", &pf, &vf), 2);
    cr_expect_eq(vf_sysfs_port_name_kind("pf0sf1", &pf, &vf), 2);
}

Test(vf_sysfs, representor_and_vf_are_refused_as_pf)
{
    struct vf_dev d;

    cr_expect_eq(be->ops->get(be, "enp3s0f0_2", &d), -EINVAL);
    cr_expect_str_eq(be->err.msg, "enp3s0f0_2 is a representor "
                     "(phys_port_name pf0vf2), not a PF; name the PF's "
                     "netdev instead");
    cr_assert_eq(be->ops->get(be, "enp3s0f0v1", &d), 0);
    cr_expect_eq(d.sriov_cap, 0, "a VF netdev must not look like a PF");
    vf_dev_clear(&d);
    cr_assert_eq(be->ops->get(be, "veth0", &d), 0);
    cr_expect_eq(d.sriov_cap, -1);
    vf_dev_clear(&d);
    cr_assert_eq(be->ops->get(be, "enp5s0", &d), 0);
    cr_expect_eq(d.sriov_cap, 0);
    vf_dev_clear(&d);
    cr_expect_eq(be->ops->get(be, "nope0", &d), -ENODEV);
}

Test(vf_sysfs, list_json_through_the_command_line)
{
    struct run_out r = run_main(NULL, "list", "--json", "--sysfs-root",
                                tree.root, NULL);
    json_error_t jerr;
    json_t *root, *devs, *vf3;

    cr_assert_eq(r.rc, 0, "%s", r.err);
    root = json_loads(r.out, 0, &jerr);
    cr_assert_not_null(root, "bad JSON: %s\n%s", jerr.text, r.out);
    devs = json_object_get(root, "devices");
    cr_assert_eq(json_array_size(devs), 2);
    cr_expect_str_eq(json_string_value(json_object_get(
                     json_array_get(devs, 0), "name")), "enp3s0f0");
    vf3 = json_array_get(json_object_get(json_array_get(devs, 0), "vfs"), 3);
    cr_expect_str_eq(json_string_value(json_object_get(vf3, "representor")),
                     "enp3s0f0_3");
    cr_expect_eq(json_integer_value(json_object_get(vf3, "index")), 3);
    json_decref(root);
    run_free(&r);
}

Test(vf_sysfs, list_human_and_empty_tree)
{
    struct fake_tree empty;
    struct run_out r;

    r = run_main(be, "list", NULL);
    cr_assert_eq(r.rc, 0);
    cr_expect(strstr(r.out, "enp3s0f0  pci 0000:03:00.0  driver mlx5_core  "
                     "eswitch legacy  VFs 4/8") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "representor enp3s0f0_2") != NULL);
    run_free(&r);

    cr_assert_eq(fake_tree_init(&empty), 0);
    fake_add_netdev(&empty, "eth0", NULL);
    r = run_main(NULL, "list", "--sysfs-root", empty.root, NULL);
    cr_expect_eq(r.rc, 0);
    cr_expect_str_eq(r.out, "no SR-IOV capable devices found\n");
    run_free(&r);
    r = run_main(NULL, "list", "--json", "--sysfs-root", empty.root, NULL);
    cr_expect_eq(r.rc, 0);
    cr_expect_str_eq(r.out, "{\n  \"devices\": []\n}\n");
    run_free(&r);
    fake_tree_destroy(&empty);
}

Test(vf_sysfs, create_waits_for_the_vfs)
{
    struct fake_kernel k = { .t = &tree, .pf = &ice, .delay_ms = 300 };
    char text[32];
    struct run_out r;
    char path[PATH_MAX];

    cr_assert_eq(fake_kernel_start(&k), 0);
    r = run_main(be, "create", "enp4s0f0", "4", "--timeout", "5", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "[1/1] create 4 VFs on enp4s0f0 ... ok") != NULL,
              "%s", r.out);
    fake_read(&tree, "sys/devices/pci0000:00/0000:04:00.0/sriov_numvfs", text,
              sizeof(text));
    cr_expect_str_eq(text, "4");
    for (unsigned i = 0; i < 4; i++)
        cr_expect(access(fake_path(&tree, path, "sys/class/net/enp4s0f0/"
                                   "device/virtfn%u", i), F_OK) == 0);
    run_free(&r);

    /* 4 -> 2 goes through 0, and the plan says so */
    r = run_main(be, "create", "enp4s0f0", "2", "--timeout", "5", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "[1/2] remove all VFs of enp4s0f0 ... ok\n"
                     "[2/2] create 2 VFs on enp4s0f0 ... ok") != NULL,
              "%s", r.out);
    fake_kernel_stop(&k);
    cr_assert_geq(k.nseen, 3);
    cr_expect_eq(k.seen[0], 4);
    cr_expect_eq(k.seen[1], 0);
    cr_expect_eq(k.seen[2], 2);
    cr_expect(access(fake_path(&tree, path, "sys/class/net/enp4s0f0/device/"
                               "virtfn2"), F_OK) != 0);
    run_free(&r);

    /* and the sysfs layer alone goes through 0 too */
    {
        struct vf_sysfs s;
        struct vf_err err = { "" };

        cr_assert_eq(fake_kernel_start(&k), 0);
        vf_sysfs_init(&s, tree.root);
        cr_expect_eq(vf_sysfs_set_numvfs(&s, "enp4s0f0", 3, 5000, &err), 0,
                     "%s", err.msg);
        fake_kernel_stop(&k);
        cr_assert_geq(k.nseen, 2);
        cr_expect_eq(k.seen[0], 0);
        cr_expect_eq(k.seen[1], 3);
    }
}

Test(vf_sysfs, create_times_out_with_a_clear_message)
{
    struct fake_kernel k = { .t = &tree, .pf = &ice, .never = true };
    struct run_out r;

    cr_assert_eq(fake_kernel_start(&k), 0);
    r = run_main(be, "create", "enp4s0f0", "4", "--timeout", "0.3", NULL);
    fake_kernel_stop(&k);
    cr_expect_eq(r.rc, VF_EXIT_FAILED);
    cr_expect_str_eq(r.err, "snic-vf: create enp4s0f0: step 1/1 (create 4 VFs "
                     "on enp4s0f0) failed: timed out after 0.3 s waiting for "
                     "4 VFs on enp4s0f0: 0 of 4 virtfn links present (virtfn0 "
                     "missing); raise --timeout if the driver is slow\n"
                     "snic-vf: create enp4s0f0: nothing was applied\n");
    run_free(&r);
}

Test(vf_sysfs, create_checks_the_device)
{
    struct run_out r = run_main(be, "create", "enp5s0", "2", NULL);

    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect_str_eq(r.err, "snic-vf: create enp5s0: enp5s0 has no SR-IOV "
                     "capability\n");
    run_free(&r);
    r = run_main(be, "create", "enp4s0f0", "9", NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect_str_eq(r.err, "snic-vf: create enp4s0f0: num_vfs: 9 VFs wanted "
                     "but enp4s0f0 supports at most 8 (sriov_totalvfs)\n");
    run_free(&r);
}

Test(vf_sysfs, destroy_removes_every_vf)
{
    struct fake_kernel k = { .t = &tree, .pf = &mlx };
    char text[32];
    char path[PATH_MAX];
    struct run_out r;

    cr_assert_eq(fake_kernel_start(&k), 0);
    r = run_main(be, "destroy", "enp3s0f0", "--timeout", "5", NULL);
    fake_kernel_stop(&k);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    fake_read(&tree, "sys/devices/pci0000:00/0000:03:00.0/sriov_numvfs", text,
              sizeof(text));
    cr_expect_str_eq(text, "0");
    cr_expect(access(fake_path(&tree, path, "sys/class/net/enp3s0f0/device/"
                               "virtfn0"), F_OK) != 0);
    run_free(&r);
}

Test(vf_sysfs, bind_writes_override_unbind_and_probe)
{
    char text[64], vpci[32], rel[256];
    struct run_out r;

    fake_vf_pci(mlx.pci, 1, vpci);
    r = run_main(be, "bind", "enp3s0f0", "1", "vfio-pci", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_str_eq(r.out, "bind enp3s0f0 vf 1: bound to vfio-pci\n");
    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/driver_override",
             vpci);
    fake_read(&tree, rel, text, sizeof(text));
    cr_expect_str_eq(text, "vfio-pci");
    fake_read(&tree, "sys/bus/pci/drivers/mlx5_core/unbind", text,
              sizeof(text));
    cr_expect_str_eq(text, vpci);
    fake_read(&tree, "sys/bus/pci/drivers_probe", text, sizeof(text));
    cr_expect_str_eq(text, vpci);
    run_free(&r);

    r = run_main(be, "bind", "enp3s0f0", "1", "--default", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    fake_read(&tree, rel, text, sizeof(text));
    cr_expect_str_eq(text, "\n");
    run_free(&r);

    r = run_main(be, "bind", "enp3s0f0", "4", "vfio-pci", NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect_str_eq(r.err, "snic-vf: bind enp3s0f0 vf 4: VF index 4 out of "
                     "range: enp3s0f0 has 4 VFs (0-3)\n");
    run_free(&r);
}

Test(vf_sysfs, bind_reports_a_driver_that_did_not_take_it)
{
    char vpci[32], path[PATH_MAX];
    struct run_out r;

    fake_vf_pci(mlx.pci, 0, vpci);
    unlink(fake_path(&tree, path, "sys/devices/pci0000:00/%s/driver", vpci));
    r = run_main(be, "bind", "enp3s0f0", "0", "vfio-pci", NULL);
    cr_expect_eq(r.rc, VF_EXIT_FAILED);
    cr_expect(strstr(r.err, "no driver took it after the probe; is vfio-pci "
                     "loaded") != NULL, "%s", r.err);
    run_free(&r);
}

Test(vf_sysfs, apply_on_the_fake_tree_is_idempotent)
{
    struct fake_kernel k = { .t = &tree, .pf = &ice, .delay_ms = 50 };
    char file[PATH_MAX + 16];
    struct run_out r;
    FILE *f;

    snprintf(file, sizeof(file), "%s/vfs.json", tree.root);
    f = fopen(file, "w");
    fputs("{\"devices\":[{\"name\":\"enp4s0f0\",\"num_vfs\":2,"
          "\"eswitch_mode\":\"switchdev\",\"vfs\":[{\"index\":1,"
          "\"mac\":\"02:00:00:00:00:11\",\"vlan\":10,\"trust\":true}]}]}",
          f);
    fclose(f);
    cr_assert_eq(fake_kernel_start(&k), 0);
    r = run_main(be, "apply", file, "--timeout", "5", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "enp4s0f0: using ice order: remove VFs, set the "
                     "eSwitch mode, create VFs\n") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "[1/5] set eSwitch mode of enp4s0f0 to switchdev "
                     "... ok\n[2/5] create 2 VFs on enp4s0f0 ... ok\n"
                     "[3/5] set enp4s0f0 vf 1 mac 02:00:00:00:00:11 ... ok\n"
                     "[4/5] set enp4s0f0 vf 1 vlan 10 qos 0 proto 802.1Q ... "
                     "ok\n[5/5] set enp4s0f0 vf 1 trust on ... ok\n") != NULL,
              "%s", r.out);
    run_free(&r);
    r = run_main(be, "apply", file, "--timeout", "5", NULL);
    fake_kernel_stop(&k);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strncmp(r.out, "nothing to do: the host already matches ",
                      40) == 0, "%s", r.out);
    run_free(&r);
}

Test(vf_sysfs, rdma_device_and_guids_of_a_vf)
{
    char vpci[32], rel[256];
    struct vf_dev d;

    fake_vf_pci(mlx.pci, 2, vpci);
    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/infiniband/mlx5_4/"
             "node_guid", vpci);
    fake_write(&tree, rel, "0011:2233:4455:6677\n");
    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/infiniband/mlx5_4/"
             "ports/1/gids/0", vpci);
    fake_write(&tree, rel, "fe80:0000:0000:0000:8899:aabb:ccdd:eeff\n");
    cr_assert_eq(be->ops->get(be, "enp3s0f0", &d), 0);
    cr_expect_str_eq(d.vfs[2].rdma, "mlx5_4");
    cr_expect_eq(d.vfs[2].rdma_node_guid, 0x0011223344556677ull);
    cr_expect_eq(d.vfs[2].rdma_port_guid, 0x8899aabbccddeeffull);
    cr_expect_str_eq(d.vfs[1].rdma, "");
    vf_dev_clear(&d);
}
