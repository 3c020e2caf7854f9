/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL's access() calls about CPUs and NUMA nodes that do not exist,
 * answered without the kernel (offload/snicd/snicd_cpu_paths.c): which
 * paths are known absent, and that the wrapper answers every path the
 * EAL asks about as the kernel does.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "snicd_cpu_paths.h"

int __real_access(const char *path, int mode);

TestSuite(cpu_paths, .timeout = 30);

Test(cpu_paths, cpus_and_nodes_past_the_last_are_absent)
{
    static const char *const absent[] = {
        "/sys/devices/system/cpu/cpu2/topology/core_id",
        "/sys/devices/system/cpu/cpu1023",
        "/sys/devices/system/cpu/cpu1023/",
        "/sys/devices/system/node/node1/cpu0",
        "/sys/devices/system/node/node3",
        "/sys/devices/system/node/node0/cpu2",
        "/sys/devices/system/node/node0/cpu999999999/online",
    };

    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        cr_expect(snicd_cpu_path_absent(absent[i], 1, 0), "%s", absent[i]);
}

Test(cpu_paths, every_other_path_goes_to_the_kernel)
{
    static const char *const asked[] = {
        "/sys/devices/system/cpu/cpu1/topology/core_id",
        "/sys/devices/system/cpu/cpu0",
        "/sys/devices/system/node/node0/cpu1",
        "/sys/devices/system/node/node0",
        "/sys/devices/system/node/node0/cpulist",
        "/sys/devices/system/node/node0/cpu7x",
        "/sys/devices/system/cpu/cpufreq",
        "/sys/devices/system/cpu/cpuidle/current_driver",
        "/sys/devices/system/cpu/cpu7x/online",
        "/sys/devices/system/cpu/cpu07/online",
        "/sys/devices/system/cpu/cpu1234567890/online",
        "/sys/devices/system/cpu/possible",
        "/sys/devices/system/node/nodes",
        "/sys/devices/system/cpu/cpu",
        "/dev/cpu/5/msr",
        "",
    };

    for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++)
        cr_expect(!snicd_cpu_path_absent(asked[i], 1, 0), "%s", asked[i]);
}

Test(cpu_paths, a_list_ends_with_its_last_id)
{
    unsigned last = 77;

    cr_expect(snicd_cpu_list_last("0-1\n", &last));
    cr_expect_eq(last, 1);
    cr_expect(snicd_cpu_list_last("0-3,8-11\n", &last));
    cr_expect_eq(last, 11);
    cr_expect(snicd_cpu_list_last("0\n", &last));
    cr_expect_eq(last, 0);
    last = 77;
    cr_expect(!snicd_cpu_list_last("\n", &last));
    cr_expect(!snicd_cpu_list_last("", &last));
    cr_expect_eq(last, 77, "no id: untouched");
}

/* What the EAL asks (rte_eal_cpu_init, RTE_MAX_LCORE ids and every node
 * for each), through the wrapper and straight to the kernel: the same
 * answer and, when it fails, the same errno. */
static void
same_as_the_kernel(const char *path)
{
    int w, k, we, ke;

    errno = 0;
    w = access(path, F_OK);
    we = errno;
    errno = 0;
    k = __real_access(path, F_OK);
    ke = errno;
    cr_expect_eq(w, k, "%s: wrapped %d, kernel %d", path, w, k);
    if (w < 0 && k < 0)
        cr_expect_eq(we, ke, "%s: errno %d, kernel's %d", path, we, ke);
}

Test(cpu_paths, the_wrapper_answers_as_the_kernel)
{
    char path[128];

    for (unsigned cpu = 0; cpu < 1100; cpu++) {
        snprintf(path, sizeof(path),
                 "/sys/devices/system/cpu/cpu%u/topology/core_id", cpu);
        same_as_the_kernel(path);
        for (unsigned node = 0; node < 6; node++) {
            snprintf(path, sizeof(path),
                     "/sys/devices/system/node/node%u/cpu%u", node, cpu);
            same_as_the_kernel(path);
        }
    }
    same_as_the_kernel("/sys/devices/system/cpu/possible");
    same_as_the_kernel("/nonexistent/snicd-cpu-paths");
}
