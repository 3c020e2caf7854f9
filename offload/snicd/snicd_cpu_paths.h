/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL's questions about CPUs and NUMA nodes that do not exist,
 * answered without asking the kernel (snicd_cpu_paths.c). A leaf:
 * includes nothing of snicd.
 */
#ifndef SNICD_CPU_PATHS_H
#define SNICD_CPU_PATHS_H

#include <stdbool.h>

/* Whether @path names a CPU above @cpu_last or a NUMA node above
 * @node_last under /sys/devices/system (cpu/cpuN..., node/nodeN/cpuM...):
 * such a path does not exist, the kernel's ids never go past the last
 * possible one. False for every other path, and for ids written unlike
 * the kernel's (leading zeros, more than nine digits). */
bool snicd_cpu_path_absent(const char *path, unsigned cpu_last,
                           unsigned node_last);

/* The last id of a kernel id list ("0-3,8-11\n": 11) in *@last; false
 * when @list holds no id. */
bool snicd_cpu_list_last(const char *list, unsigned *last);

/* What the EAL's access() calls land in when snicd is linked with
 * --wrap=access: ENOENT at once for paths snicd_cpu_path_absent() knows
 * absent (with the machine's possible CPUs and nodes), the kernel's
 * answer for every other one. */
int __wrap_access(const char *path, int mode);

#endif /* SNICD_CPU_PATHS_H */
