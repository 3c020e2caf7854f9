/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK 22.11's rte_eal_cpu_init, without its 5,000 system calls.
 *
 * Why: at every start the EAL asks sysfs about each lcore id up to
 * RTE_MAX_LCORE (1,024 in Debian's build), whether the CPU exists
 * (access() of cpu/cpuN/topology/core_id) and, for each, which NUMA node
 * holds it (access() of node/nodeM/cpuN for every node until one
 * answers): 1,024 + 4 x 1,024 calls on a machine of 2 CPUs and one node,
 * each a path walk in sysfs, 20-25 ms of a snicd start that otherwise
 * forwards about 60 ms after main() (#13: the software path's gap across
 * a restart).
 *
 * How: snicd links DPDK statically and with --wrap=access
 * (offload/snicd/meson.build), so the EAL's calls (and snicd's own) land
 * in __wrap_access below. A path naming a CPU past the last possible one
 * (/sys/devices/system/cpu/possible) or a node past the last possible
 * node (node/possible) is answered ENOENT, which is what the kernel
 * answers: no id ever goes past those. Every other path, and every path
 * when the lists cannot be read, goes to the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "snicd_cpu_paths.h"

#define CPU_PREFIX      "/sys/devices/system/cpu/cpu"
#define NODE_PREFIX     "/sys/devices/system/node/node"
#define ID_DIGITS_MAX   9       /* above, not an id the kernel writes */

int __real_access(const char *path, int mode);

/* Reads the decimal id at *@p (advanced past it); false for none, a
 * leading zero of a longer number or more than ID_DIGITS_MAX digits. */
static bool
id_read(const char **p, unsigned *id)
{
    const char *s = *p;
    unsigned v = 0, n = 0;

    while (s[n] >= '0' && s[n] <= '9') {
        if (n == ID_DIGITS_MAX)
            return false;
        v = v * 10 + (unsigned)(s[n] - '0');
        n++;
    }
    if (n == 0 || (n > 1 && s[0] == '0'))
        return false;
    *p = s + n;
    *id = v;
    return true;
}

/* The id ends a path component. */
static bool
component_end(char c)
{
    return c == '/' || c == '\0';
}

bool
snicd_cpu_path_absent(const char *path, unsigned cpu_last, unsigned node_last)
{
    const char *p;
    unsigned cpu, node;

    if (strncmp(path, CPU_PREFIX, sizeof(CPU_PREFIX) - 1) == 0) {
        p = path + sizeof(CPU_PREFIX) - 1;
        return id_read(&p, &cpu) && component_end(*p) && cpu > cpu_last;
    }
    if (strncmp(path, NODE_PREFIX, sizeof(NODE_PREFIX) - 1) != 0)
        return false;
    p = path + sizeof(NODE_PREFIX) - 1;
    if (!id_read(&p, &node) || !component_end(*p))
        return false;
    if (node > node_last)
        return true;
    if (strncmp(p, "/cpu", 4) != 0)
        return false;
    p += 4;
    return id_read(&p, &cpu) && component_end(*p) && cpu > cpu_last;
}

bool
snicd_cpu_list_last(const char *list, unsigned *last)
{
    bool found = false;

    for (const char *p = list; *p != '\0';) {
        unsigned id;

        if (*p >= '0' && *p <= '9') {
            if (!id_read(&p, &id))
                return false;
            *last = id;
            found = true;
        } else {
            p++;
        }
    }
    return found;
}

/* The last id of the list in sysfs file @path. */
static bool
file_last(const char *path, unsigned *last)
{
    char buf[512];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0 || n == (ssize_t)sizeof(buf) - 1)
        return false;           /* a list this long: not worth guessing */
    buf[n] = '\0';
    return snicd_cpu_list_last(buf, last);
}

static pthread_once_t lists_once = PTHREAD_ONCE_INIT;
static bool lists_known;
static unsigned cpu_last, node_last;

static void
lists_read(void)
{
    lists_known = file_last("/sys/devices/system/cpu/possible", &cpu_last) &&
                  file_last("/sys/devices/system/node/possible", &node_last);
}

int
__wrap_access(const char *path, int mode)
{
    if (path != NULL && strncmp(path, "/sys/devices/system/", 20) == 0) {
        (void)pthread_once(&lists_once, lists_read);
        if (lists_known && snicd_cpu_path_absent(path, cpu_last, node_last)) {
            errno = ENOENT;
            return -1;
        }
    }
    return __real_access(path, mode);
}
