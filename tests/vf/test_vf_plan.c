/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf apply: the planner (diffs, per-driver ordering, idempotency),
 * apply-file validation, the runner's failure report, and `set`'s
 * all-or-nothing behaviour, against an in-memory fake host whose mlx5
 * refuses a mode change with bound VFs and whose ice refuses it with VFs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fake_backend.h"
#include "run_main.h"
#include "vf_apply.h"
#include "vf_json.h"

static struct fake_host fh;
static struct vf_backend *be;
static char dir[64];

static void
setup(void)
{
    fake_host_init(&fh);
    be = fake_backend_open(&fh);
    snprintf(dir, sizeof(dir), "/tmp/snicvf-plan-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
    char cmd[128];

    vf_backend_close(be);
    fake_host_fini(&fh);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(vf_plan, .init = setup, .fini = teardown, .timeout = 20);

static const char *
write_file(const char *name, const char *text)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void
want_from(const char *json, struct vf_want *want)
{
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    struct vf_err err = { "" };

    cr_assert_not_null(root, "%s", jerr.text);
    cr_assert_eq(vf_json_to_want(root, want, &err), 0, "%s", err.msg);
    json_decref(root);
}

/* The plan as one string, "kind:dev:vf:arg" per step, for exact checks. */
static void
plan_text(const struct vf_plan *plan, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < plan->nsteps; i++) {
        char what[160];

        vf_step_describe(&plan->steps[i], what, sizeof(what));
        n += (size_t)snprintf(buf + n, size - n, "%s\n", what);
    }
}

static void
plan_and_check(const char *json, const char *expect)
{
    struct vf_want want;
    struct vf_plan plan;
    struct vf_err err = { "" };
    char text[4096];

    want_from(json, &want);
    cr_assert_eq(vf_plan_for(be, &want, &plan, &err), 0, "%s", err.msg);
    plan_text(&plan, text, sizeof(text));
    cr_expect_str_eq(text, expect);
    vf_plan_clear(&plan);
    vf_want_clear(&want);
}

static unsigned
replan_steps(const char *json)
{
    struct vf_want want;
    struct vf_plan plan;
    struct vf_err err = { "" };
    unsigned n;

    want_from(json, &want);
    cr_assert_eq(vf_plan_for(be, &want, &plan, &err), 0, "%s", err.msg);
    n = plan.nsteps;
    vf_plan_clear(&plan);
    vf_want_clear(&want);
    return n;
}

Test(vf_plan, mlx5_creates_unbinds_sets_mode_rebinds)
{
    const char *file = "{\"devices\":[{\"name\":\"enp3s0f0\",\"num_vfs\":2,"
        "\"eswitch_mode\":\"switchdev\",\"vfs\":[{\"index\":1,"
        "\"driver\":\"vfio-pci\"}]}]}";
    struct run_out r;

    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 0,
                  VF_ESW_LEGACY);
    plan_and_check(file,
                   "create 2 VFs on enp3s0f0\n"
                   "unbind enp3s0f0 vf 0 from its driver\n"
                   "unbind enp3s0f0 vf 1 from its driver\n"
                   "set eSwitch mode of enp3s0f0 to switchdev\n"
                   "bind enp3s0f0 vf 0 to its default driver\n"
                   "bind enp3s0f0 vf 1 to vfio-pci\n");
    r = run_main(be, "apply", write_file("a.json", file), NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strncmp(r.out, "enp3s0f0: using mlx5 order: create VFs, unbind "
                      "them, set the eSwitch mode, bind them again\n", 88) == 0,
              "%s", r.out);
    cr_expect_eq(fh.host.devs[0].esw_mode, VF_ESW_SWITCHDEV);
    cr_expect_str_eq(fh.host.devs[0].vfs[1].driver, "vfio-pci");
    cr_expect_str_eq(fh.host.devs[0].vfs[0].driver, "mlx5_core");
    run_free(&r);
    cr_expect_eq(replan_steps(file), 0);
}

Test(vf_plan, ice_removes_vfs_sets_mode_creates)
{
    const char *file = "{\"devices\":[{\"name\":\"enp4s0f0\",\"num_vfs\":4,"
        "\"eswitch_mode\":\"switchdev\"}]}";
    struct run_out r;

    fake_host_add(&fh, "enp4s0f0", "0000:04:00.0", "ice", 8, 2,
                  VF_ESW_LEGACY);
    plan_and_check(file,
                   "remove all VFs of enp4s0f0\n"
                   "set eSwitch mode of enp4s0f0 to switchdev\n"
                   "create 4 VFs on enp4s0f0\n");
    r = run_main(be, "apply", write_file("b.json", file), NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "enp4s0f0: using ice order: remove VFs, set the "
                     "eSwitch mode, create VFs\n") != NULL, "%s", r.out);
    cr_expect_eq(fh.host.devs[0].numvfs, 4);
    run_free(&r);
    cr_expect_eq(replan_steps(file), 0);
}

Test(vf_plan, unknown_driver_sets_the_mode_before_vfs)
{
    const char *file = "{\"devices\":[{\"name\":\"eth9\","
        "\"eswitch_mode\":\"switchdev\"}]}";
    struct run_out r;

    fake_host_add(&fh, "eth9", "0000:09:00.0", "bnxt_en", 8, 3,
                  VF_ESW_LEGACY);
    /* keeps the VF count: removes and recreates the 3 VFs around it */
    plan_and_check(file,
                   "remove all VFs of eth9\n"
                   "set eSwitch mode of eth9 to switchdev\n"
                   "create 3 VFs on eth9\n");
    r = run_main(be, "apply", write_file("c.json", file), "--dry-run", NULL);
    cr_expect_eq(r.rc, 0);
    cr_expect_str_eq(r.out, "eth9: using default order (driver without a "
                     "known rule): remove VFs, set the eSwitch mode, create "
                     "VFs\nplan (dry run, nothing changed): 3 steps\n"
                     "  1. remove all VFs of eth9\n"
                     "  2. set eSwitch mode of eth9 to switchdev\n"
                     "  3. create 3 VFs on eth9\n");
    cr_expect_eq(fh.nlog, 0, "dry run changed something: %s", fh.log[0]);
    run_free(&r);
}

Test(vf_plan, count_change_goes_through_zero)
{
    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 4,
                  VF_ESW_LEGACY);
    plan_and_check("{\"devices\":[{\"name\":\"enp3s0f0\",\"num_vfs\":6}]}",
                   "remove all VFs of enp3s0f0\ncreate 6 VFs on enp3s0f0\n");
    plan_and_check("{\"devices\":[{\"name\":\"enp3s0f0\",\"num_vfs\":0}]}",
                   "remove all VFs of enp3s0f0\n");
    plan_and_check("{\"devices\":[{\"name\":\"enp3s0f0\",\"num_vfs\":4,"
                   "\"eswitch_mode\":\"legacy\"}]}", "");
}

Test(vf_plan, only_differences_become_steps)
{
    const char *file = "{\"devices\":[{\"name\":\"enp3s0f0\",\"vfs\":["
        "{\"index\":0,\"mac\":\"02:00:00:00:00:01\",\"vlan\":0,"
        "\"spoofchk\":true,\"trust\":true,\"state\":\"enable\","
        "\"max_rate\":1000},"
        "{\"index\":2,\"node_guid\":\"00:11:22:33:44:55:66:77\"}]}]}";
    struct run_out r;

    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 4,
                  VF_ESW_LEGACY);
    /* a new VF has vlan 0 and spoofchk on already: not repeated */
    plan_and_check(file,
                   "set enp3s0f0 vf 0 mac 02:00:00:00:00:01\n"
                   "set enp3s0f0 vf 0 trust on\n"
                   "set enp3s0f0 vf 0 state enable\n"
                   "set enp3s0f0 vf 0 min-rate 0 max-rate 1000\n"
                   "set enp3s0f0 vf 2 node-guid 00:11:22:33:44:55:66:77\n");
    r = run_main(be, "apply", write_file("d.json", file), NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "applied 5 steps from ") != NULL, "%s", r.out);
    run_free(&r);
    r = run_main(be, "apply", write_file("d.json", file), NULL);
    cr_expect_eq(r.rc, 0);
    cr_expect(strncmp(r.out, "nothing to do: the host already matches ", 40)
              == 0, "%s", r.out);
    run_free(&r);
    /* someone changed the VF behind our back: only that is repaired */
    fh.host.devs[0].vfs[0].cur.trust = false;
    plan_and_check(file, "set enp3s0f0 vf 0 trust on\n");
}

Test(vf_plan, vlan_and_state_values_in_fresh_vfs)
{
    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 0,
                  VF_ESW_LEGACY);
    /* recreated VFs: every wanted attribute is applied */
    plan_and_check("{\"devices\":[{\"name\":\"enp3s0f0\",\"num_vfs\":1,"
                   "\"vfs\":[{\"index\":0,\"vlan\":0,\"spoofchk\":true}]}]}",
                   "create 1 VFs on enp3s0f0\n"
                   "set enp3s0f0 vf 0 vlan 0 qos 0 proto 802.1Q\n"
                   "set enp3s0f0 vf 0 spoofchk on\n");
}

struct check_case {
    const char *json;
    const char *msg;
};

Test(vf_plan, checks_against_the_device)
{
    static const struct check_case cases[] = {
        { "{\"devices\":[{\"name\":\"enp3s0f0\",\"vfs\":[{\"index\":5}]}]}",
          "devices[0].vfs[0]: VF index 5 out of range: enp3s0f0 has 4 VFs "
          "(0-3)" },
        { "{\"devices\":[{\"name\":\"enp3s0f0\",\"num_vfs\":2,\"vfs\":"
          "[{\"index\":0},{\"index\":3}]}]}",
          "devices[0].vfs[1]: VF index 3 out of range: enp3s0f0 has 2 VFs "
          "(0-1)" },
        { "{\"devices\":[{\"name\":\"enp3s0f0\",\"num_vfs\":9}]}",
          "devices[0].num_vfs: 9 VFs wanted but enp3s0f0 supports at most 8 "
          "(sriov_totalvfs)" },
        { "{\"devices\":[{\"name\":\"enp3s0f0\",\"vfs\":[{\"index\":0,"
          "\"max_rate\":40000}]}]}",
          "devices[0].vfs[0]: max-rate 40000 Mbit/s is above the link speed "
          "of enp3s0f0 (10000 Mbit/s)" },
        { "{\"devices\":[{\"name\":\"nope0\"}]}",
          "devices[0]: nope0: no such network device" },
    };

    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 4,
                  VF_ESW_LEGACY);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vf_want want;
        struct vf_plan plan;
        struct vf_err err = { "" };

        want_from(cases[i].json, &want);
        cr_expect_lt(vf_plan_for(be, &want, &plan, &err), 0, "%s",
                     cases[i].json);
        cr_expect_str_eq(err.msg, cases[i].msg);
        vf_want_clear(&want);
    }
    cr_expect_eq(fh.nlog, 0);
}

#define TEN "abcdefghij"
#define LONG_NAME TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN \
                  TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN

Test(vf_plan, file_errors_name_file_path_and_reason)
{
    static const struct check_case cases[] = {
        { "{\"devices\":[{\"name\":\"x\",\"vfs\":[{\"index\":0,\"vlan\":"
          "5000}]}]}",
          "devices[0].vfs[0].vlan: 5000 is out of range (0-4094)" },
        { "{\"devices\":[{\"name\":\"x\",\"vfs\":[{\"index\":0,\"mac\":"
          "\"03:00:00:00:00:01\"}]}]}",
          "devices[0].vfs[0].mac: mac 03:00:00:00:00:01: multicast address "
          "(low bit of the first byte set); a VF needs a unicast MAC such as "
          "02:00:00:00:00:01" },
        { "{\"devices\":[{\"name\":\"x\",\"vfs\":[{\"mac\":"
          "\"02:00:00:00:00:01\"}]}]}",
          "devices[0].vfs[0]: \"index\" is required" },
        { "{\"devices\":[{\"name\":\"x\",\"vfs\":[{\"index\":0,\"qos\":3}]}]}",
          "devices[0].vfs[0]: \"qos\" needs \"vlan\"" },
        { "{\"devices\":[{\"name\":\"x\",\"vfs\":[{\"index\":0},"
          "{\"index\":0}]}]}",
          "devices[0].vfs[1].index: VF 0 is already described by "
          "devices[0].vfs[0]" },
        { "{\"devices\":[{\"name\":\"x\",\"eswitch_mode\":\"offload\"}]}",
          "devices[0].eswitch_mode: \"offload\" (expected legacy or "
          "switchdev)" },
        { "{\"devices\":[{\"name\":\"x\",\"numvfs\":2}]}",
          "devices[0]: unknown key \"numvfs\" (expected name, num_vfs, "
          "eswitch_mode or vfs)" },
        { "{\"devices\":[{\"name\":\"x\",\"vfs\":[{\"index\":0,"
          "\"spoofchk\":\"on\"}]}]}",
          "devices[0].vfs[0].spoofchk: expected true or false" },
        { "{\"devices\":[{\"num_vfs\":1}]}",
          "devices[0]: \"name\" (the PF's netdev) is required" },
        { "{\"devices\":[{\"name\":\"" LONG_NAME "\"}]}",
          "devices[0].name: 300 characters; a device name has at most 63" },
        { "{\"device\":[]}",
          "top level: unknown key \"device\" (expected devices)" },
        { "{\"devices\":[{\"name\":\"x\"},{\"name\":\"x\"}]}",
          "devices[1].name: x is already described by devices[0]" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *path = write_file("bad.json", cases[i].json);
        struct run_out r = run_main(be, "apply", path, NULL);
        char expect[1024];

        snprintf(expect, sizeof(expect), "snic-vf: apply: %s: %s\n", path,
                 cases[i].msg);
        cr_expect_eq(r.rc, VF_EXIT_USAGE);
        cr_expect_str_eq(r.err, expect);
        run_free(&r);
    }
}

Test(vf_plan, malformed_json_gives_line_and_column)
{
    const char *path = write_file("broken.json", "{\"devices\": [\n  {,}\n]}");
    struct run_out r = run_main(be, "apply", path, NULL);
    char expect[256];

    snprintf(expect, sizeof(expect), "snic-vf: apply: %s:2:4: not valid JSON: ",
             path);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect(strncmp(r.err, expect, strlen(expect)) == 0, "%s", r.err);
    cr_expect_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    run_free(&r);
}

Test(vf_plan, yaml_file)
{
    const char *path = write_file("vfs.yaml",
        "devices:\n"
        "  - name: enp3s0f0\n"
        "    num_vfs: 2\n"
        "    vfs:\n"
        "      - index: 1\n"
        "        mac: \"02:00:00:00:00:07\"\n"
        "        vlan: 12\n"
        "        trust: true\n");
    struct run_out r;

    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 0,
                  VF_ESW_LEGACY);
    r = run_main(be, "apply", path, NULL);
    if (!vf_json_have_yaml()) {
        cr_expect_eq(r.rc, VF_EXIT_USAGE);
        cr_expect(strstr(r.err, "YAML apply files are not supported by this "
                         "build") != NULL, "%s", r.err);
        run_free(&r);
        return;
    }
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(fh.host.devs[0].numvfs, 2);
    cr_expect_eq(fh.host.devs[0].vfs[1].cur.vlan, 12);
    cr_expect_eq(fh.host.devs[0].vfs[1].cur.mac[5], 7);
    cr_expect(fh.host.devs[0].vfs[1].cur.trust);
    run_free(&r);
    r = run_main(be, "apply", path, NULL);
    cr_expect(strncmp(r.out, "nothing to do", 13) == 0, "%s", r.out);
    run_free(&r);
}

/* A second document would be ignored, and the devices it names left as
 * they are without a word. */
Test(vf_plan, yaml_second_document_is_refused)
{
    const char *path = write_file("two.yaml",
        "devices:\n"
        "  - name: enp3s0f0\n"
        "    num_vfs: 2\n"
        "---\n"
        "devices:\n"
        "  - name: enp3s0f1\n"
        "    num_vfs: 2\n");
    struct run_out r;

    if (!vf_json_have_yaml())
        cr_skip_test("built without libyaml");
    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 0,
                  VF_ESW_LEGACY);
    r = run_main(be, "apply", path, NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect(strstr(r.err, "two.yaml:4: a second YAML document; an apply "
                     "file holds one") != NULL, "%s", r.err);
    cr_expect_eq(fh.host.devs[0].numvfs, 0);
    run_free(&r);
}

Test(vf_plan, failing_step_is_named_and_applied_steps_listed)
{
    const char *path = write_file("f.json",
        "{\"devices\":[{\"name\":\"enp3s0f0\",\"num_vfs\":2,\"vfs\":["
        "{\"index\":0,\"trust\":true},{\"index\":1,\"trust\":true}]}]}");
    struct run_out r;
    char expect[1024];

    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 0,
                  VF_ESW_LEGACY);
    fh.fail_at = 3;
    fh.fail_errno = EPERM;
    r = run_main(be, "apply", path, NULL);
    cr_expect_eq(r.rc, VF_EXIT_PARTIAL);
    snprintf(expect, sizeof(expect),
             "snic-vf: apply %s: step 3/3 (set enp3s0f0 vf 1 trust on) "
             "failed: injected failure (fail_at=3): Operation not permitted\n"
             "snic-vf: apply %s: already applied before the failure:\n"
             "  1. create 2 VFs on enp3s0f0\n"
             "  2. set enp3s0f0 vf 0 trust on\n", path, path);
    cr_expect_str_eq(r.err, expect);
    cr_expect(strstr(r.out, "[3/3] set enp3s0f0 vf 1 trust on ... FAILED\n")
              != NULL, "%s", r.out);
    run_free(&r);
    /* the next run finishes the job and only that */
    r = run_main(be, "apply", path, NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "[1/1] set enp3s0f0 vf 1 trust on ... ok\n")
              != NULL, "%s", r.out);
    run_free(&r);
}

/* ---- set: validation first, one at a time, rollback ------------------- */

Test(vf_plan, set_applies_everything_or_rolls_back)
{
    struct vf_dev *d = fake_host_add(&fh, "enp3s0f0", "0000:03:00.0",
                                     "mlx5_core", 8, 2, VF_ESW_LEGACY);
    struct run_out r;

    d->vfs[1].cur.mac[5] = 0x42;
    d->vfs[1].cur.vlan = 7;
    fh.fail_attr = VF_ATTR_TRUST;
    r = run_main(be, "set", "enp3s0f0", "1", "mac", "02:00:00:00:00:99",
                 "vlan", "100", "qos", "2", "trust", "on", NULL);
    cr_expect_eq(r.rc, VF_EXIT_FAILED);
    cr_expect_str_eq(r.err,
        "snic-vf: set enp3s0f0 vf 1: trust on: the kernel refused: Operation "
        "not supported (EOPNOTSUPP)\n"
        "snic-vf: set enp3s0f0 vf 1: rolled back to vlan 7 qos 0 proto "
        "802.1Q\n"
        "snic-vf: set enp3s0f0 vf 1: rolled back to mac 00:00:00:00:00:42\n");
    cr_expect_eq(d->vfs[1].cur.vlan, 7);
    cr_expect_eq(d->vfs[1].cur.mac[5], 0x42);
    cr_expect_eq(d->vfs[1].cur.mac[0], 0);
    run_free(&r);

    fh.fail_attr = -1;
    fh.nlog = 0;
    r = run_main(be, "set", "enp3s0f0", "1", "mac", "02:00:00:00:00:99",
                 "spoofchk", "off", "state", "auto", "min-rate", "10",
                 "max-rate", "100", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_eq(fh.nlog, 4);
    cr_expect_str_eq(fh.log[3], "set enp3s0f0 1 min-rate 10 max-rate 100");
    cr_expect(!d->vfs[1].cur.spoofchk);
    run_free(&r);
}

Test(vf_plan, set_refuses_before_touching_anything)
{
    static const char *const cases[][3] = {
        { "3", "vlan", "snic-vf: set enp3s0f0 vf 3: VF index 3 out of range: "
          "enp3s0f0 has 2 VFs (0-1)\n" },
        { "0", "max-rate", "snic-vf: set enp3s0f0 vf 0: max-rate 20000 Mbit/s "
          "is above the link speed of enp3s0f0 (10000 Mbit/s)\n" },
    };
    struct run_out r;

    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 2,
                  VF_ESW_LEGACY);
    r = run_main(be, "set", "enp3s0f0", cases[0][0], "mac",
                 "02:00:00:00:00:01", "vlan", "5", NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect_str_eq(r.err, cases[0][2]);
    run_free(&r);
    r = run_main(be, "set", "enp3s0f0", cases[1][0], "mac",
                 "02:00:00:00:00:01", "max-rate", "20000", NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect_str_eq(r.err, cases[1][2]);
    run_free(&r);
    r = run_main(be, "set", "enp3s0f0", "0", "mac", "02:00:00:00:00:01",
                 "vlan", "4095", NULL);
    cr_expect_eq(r.rc, VF_EXIT_USAGE);
    cr_expect_str_eq(r.err, "snic-vf: set enp3s0f0 vf 0: vlan 4095: out of "
                     "range (0-4094; 0 removes the VLAN, 4095 is reserved)\n");
    run_free(&r);
    cr_expect_eq(fh.nlog, 0, "something was applied: %s", fh.log[0]);
}

Test(vf_plan, list_json_from_any_backend)
{
    struct run_out r;
    json_t *root;

    fake_host_add(&fh, "enp3s0f0", "0000:03:00.0", "mlx5_core", 8, 2,
                  VF_ESW_SWITCHDEV);
    r = run_main(be, "list", "--json", NULL);
    cr_assert_eq(r.rc, 0);
    root = json_loads(r.out, 0, NULL);
    cr_assert_not_null(root);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(
        json_object_get(root, "devices"), 0), "eswitch_mode")), "switchdev");
    cr_expect_eq(json_array_size(json_object_get(json_array_get(
        json_object_get(root, "devices"), 0), "vfs")), 2);
    json_decref(root);
    run_free(&r);
}

Test(vf_plan, guids_rebind_the_vf_and_are_verified)
{
    struct vf_dev *d = fake_host_add(&fh, "enp3s0f0", "0000:03:00.0",
                                     "mlx5_core", 8, 2, VF_ESW_LEGACY);
    struct run_out r;

    r = run_main(be, "set", "enp3s0f0", "0", "node-guid",
                 "00:11:22:33:44:55:66:77", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_assert_eq(fh.nlog, 2);
    cr_expect_str_eq(fh.log[0], "set enp3s0f0 0 node-guid "
                     "00:11:22:33:44:55:66:77");
    cr_expect_str_eq(fh.log[1], "bind enp3s0f0 0 mlx5_core");
    cr_expect_str_eq(r.out, "set enp3s0f0 vf 0: node-guid "
                     "00:11:22:33:44:55:66:77\n"
                     "set enp3s0f0 vf 0: rebound to mlx5_core so the GUIDs "
                     "take effect\n"
                     "set enp3s0f0 vf 0: no RDMA device found for the VF: "
                     "GUIDs not verified\n");
    run_free(&r);

    /* an RDMA device that kept its old GUID is reported */
    snprintf(d->vfs[1].rdma, sizeof(d->vfs[1].rdma), "mlx5_3");
    d->vfs[1].rdma_node_guid = 0x1111;
    r = run_main(be, "set", "enp3s0f0", "1", "node-guid",
                 "0x0011223344556677", NULL);
    cr_expect_eq(r.rc, VF_EXIT_FAILED);
    cr_expect_str_eq(r.err, "snic-vf: set enp3s0f0 vf 1: mlx5_3 reports "
                     "node-guid 00:00:00:00:00:00:11:11 port-guid "
                     "00:00:00:00:00:00:00:00 after the rebind, not the GUIDs "
                     "set\n");
    run_free(&r);
    d->vfs[1].rdma_node_guid = 0x0011223344556677ull;
    r = run_main(be, "set", "enp3s0f0", "1", "node-guid",
                 "0x0011223344556677", NULL);
    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect(strstr(r.out, "verified on RDMA device mlx5_3\n") != NULL, "%s",
              r.out);
    run_free(&r);
}
