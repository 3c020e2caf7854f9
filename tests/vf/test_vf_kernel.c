/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-vf against this machine's real kernel, through the built binary
 * ($SNIC_VF_BIN): `list` on a host without SR-IOV devices, and `set` on a
 * veth in a private network namespace, where the kernel's refusal must come
 * back as one clear line and a non-zero exit. Namespace tests need root and
 * skip with a message otherwise; the namespace is always removed.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct cmd_out {
    int rc;
    char out[8192];
    char err[8192];
};

static char ns[64];
static char tmpd[64];

static void
slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f != NULL) {
        n = fread(buf, 1, size - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

/* Run @cmd through the shell with stdout/stderr kept apart. */
static struct cmd_out
run(const char *fmt, ...)
{
    static struct cmd_out r;
    char cmd[1024], line[1400], o[128], e[128];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    snprintf(o, sizeof(o), "%s/out", tmpd);
    snprintf(e, sizeof(e), "%s/err", tmpd);
    snprintf(line, sizeof(line), "%s >%s 2>%s", cmd, o, e);
    st = system(line);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    slurp(o, r.out, sizeof(r.out));
    slurp(e, r.err, sizeof(r.err));
    return r;
}

static const char *
bin(void)
{
    const char *b = getenv("SNIC_VF_BIN");

    cr_assert_not_null(b, "SNIC_VF_BIN not set (run through meson test)");
    return b;
}

static void
setup(void)
{
    snprintf(tmpd, sizeof(tmpd), "/tmp/snicvf-kern-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpd));
    snprintf(ns, sizeof(ns), "snicvf%d", (int)getpid());
}

static void
teardown(void)
{
    char cmd[256];

    if (geteuid() == 0) {
        snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns);
        if (system(cmd) != 0) {
            /* not created by this test: nothing to clean */
        }
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpd);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(vf_kernel, .init = setup, .fini = teardown, .timeout = 30);

/* Independent count of SR-IOV capable netdevs, straight from sysfs. */
static unsigned
count_sriov_netdevs(void)
{
    DIR *d = opendir("/sys/class/net");
    struct dirent *de;
    unsigned n = 0;

    cr_assert_not_null(d);
    while ((de = readdir(d)) != NULL) {
        char path[512], text[32] = "";
        FILE *f;

        snprintf(path, sizeof(path),
                 "/sys/class/net/%s/device/sriov_totalvfs", de->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(text, sizeof(text), f) != NULL && atoi(text) > 0)
            n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

Test(vf_kernel, list_on_this_host)
{
    unsigned expect = count_sriov_netdevs();
    struct cmd_out r = run("%s list", bin());
    json_t *root;

    cr_expect_eq(r.rc, 0, "%s", r.err);
    cr_expect_str_eq(r.err, "");
    if (expect == 0)
        cr_expect_str_eq(r.out, "no SR-IOV capable devices found\n");
    r = run("%s list --json", bin());
    cr_expect_eq(r.rc, 0, "%s", r.err);
    root = json_loads(r.out, 0, NULL);
    cr_assert_not_null(root, "not JSON: %s", r.out);
    cr_assert(json_is_array(json_object_get(root, "devices")));
    cr_expect_eq(json_array_size(json_object_get(root, "devices")), expect);
    if (expect == 0)
        cr_expect_str_eq(r.out, "{\n  \"devices\": []\n}\n");
    json_decref(root);
}

Test(vf_kernel, unknown_device_and_bad_values)
{
    struct cmd_out r = run("%s set nosuchdev0 0 mac 02:00:00:00:00:01",
                           bin());

    cr_expect_eq(r.rc, 2);
    cr_expect(strncmp(r.err, "snic-vf: set nosuchdev0 vf 0: nosuchdev0: no "
                      "such network device", 58) == 0, "%s", r.err);
    r = run("%s set lo 0 vlan 5000", bin());
    cr_expect_eq(r.rc, 2);
    cr_expect_str_eq(r.err, "snic-vf: set lo vf 0: vlan 5000: out of range "
                     "(0-4094; 0 removes the VLAN, 4095 is reserved)\n");
}

static bool
need_root(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "vf_kernel: skipped (not root: network namespaces "
                "need CAP_SYS_ADMIN)\n");
        return false;
    }
    return true;
}

static void
make_veth(void)
{
    struct cmd_out r = run("ip netns add %s", ns);

    cr_assert_eq(r.rc, 0, "ip netns add: %s", r.err);
    r = run("ip netns exec %s ip link add v0 type veth peer name v1", ns);
    cr_assert_eq(r.rc, 0, "ip link add: %s", r.err);
}

Test(vf_kernel, set_on_veth_reports_the_kernel_refusal)
{
    struct cmd_out r;
    char expect[512];

    if (!need_root())
        cr_skip_test("needs root for network namespaces");
    make_veth();
    r = run("ip netns exec %s %s set v0 0 mac 02:00:00:00:00:01", ns, bin());
    cr_expect_eq(r.rc, 1, "exit %d: %s", r.rc, r.err);
    cr_expect_str_eq(r.out, "");
    /* whatever the kernel answers is what we report; today EOPNOTSUPP */
    snprintf(expect, sizeof(expect), "snic-vf: set v0 vf 0: mac "
             "02:00:00:00:00:01: the kernel refused: %s", strerror(EOPNOTSUPP));
    cr_expect(strncmp(r.err, expect, strlen(expect)) == 0, "%s", r.err);
    cr_expect(strstr(r.err, "(EOPNOTSUPP)") != NULL, "%s", r.err);
    cr_expect_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1,
                 "more than one line: %s", r.err);

    /* several attributes: the first refusal stops it, nothing applied */
    r = run("ip netns exec %s %s set v0 0 mac 02:00:00:00:00:01 vlan 5 "
            "trust on", ns, bin());
    cr_expect_eq(r.rc, 1);
    cr_expect(strstr(r.err, "rolled back") == NULL, "%s", r.err);
    cr_expect(strstr(r.err, "still applied") == NULL, "%s", r.err);

    /* the veth has no device: list in the namespace shows nothing */
    r = run("ip netns exec %s %s list", ns, bin());
    cr_expect_eq(r.rc, 0);
    cr_expect_str_eq(r.out, "no SR-IOV capable devices found\n");
}

Test(vf_kernel, create_on_veth_is_refused_locally)
{
    struct cmd_out r;

    if (!need_root())
        cr_skip_test("needs root for network namespaces");
    make_veth();
    r = run("ip netns exec %s %s create v0 2", ns, bin());
    cr_expect_eq(r.rc, 2, "%s", r.err);
    cr_expect_str_eq(r.err, "snic-vf: create v0: v0 has no SR-IOV "
                     "capability\n");
}

/* devlink port function attributes on this kernel: a veth has no devlink
 * port, and a kernel without the devlink family says so first. Either way
 * one line, exit 1, nothing applied. */
Test(vf_kernel, port_function_set_on_veth_is_one_clear_line)
{
    struct cmd_out r;

    if (!need_root())
        cr_skip_test("needs root for network namespaces");
    make_veth();
    r = run("ip netns exec %s %s set v0 0 hw-addr 02:00:00:00:00:07", ns,
            bin());
    cr_expect_eq(r.rc, 1, "exit %d: %s", r.rc, r.err);
    cr_expect_str_eq(r.out, "");
    cr_expect(strncmp(r.err, "snic-vf: set v0 vf 0: hw-addr "
                      "02:00:00:00:00:07: ", 38) == 0, "%s", r.err);
    cr_expect(strstr(r.err, "devlink") != NULL, "%s", r.err);
    cr_expect_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1,
                 "more than one line: %s", r.err);

    /* the rtnetlink attribute is refused first: nothing reaches devlink */
    r = run("ip netns exec %s %s set v0 0 trust on roce on fn-state active",
            ns, bin());
    cr_expect_eq(r.rc, 1, "%s", r.err);
    cr_expect(strstr(r.err, "trust on: the kernel refused") != NULL, "%s",
              r.err);
    cr_expect(strstr(r.err, "roce") == NULL, "%s", r.err);
}
