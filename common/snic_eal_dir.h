/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK 22.11's rte_eal_cleanup() leaves the primary process's runtime
 * folder (/var/run/dpdk/PREFIX, or $XDG_RUNTIME_DIR/dpdk/PREFIX) behind:
 * config, fbarray and mp_socket files, several MB per start, or an empty
 * folder with --no-shconf. Every process of ours that runs an EAL under a
 * file prefix of its own removes it on the way out, so a test run or a
 * benchmark leaves nothing in the shared runtime base.
 *
 * Only for a primary process whose file prefix is its own: nothing else
 * may be using the folder once its EAL is gone. Header-only, like the
 * other helpers here, for programs that share no library.
 */
#ifndef SNIC_EAL_DIR_H
#define SNIC_EAL_DIR_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

/* Removes the files in @dir (a runtime folder holds no sub-folders). */
static inline void
snic_eal_dir_empty(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *de;

    if (dp == NULL)
        return;
    while ((de = readdir(dp)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            unlinkat(dirfd(dp), de->d_name, 0);
    closedir(dp);
}

/* Empties @dir, then removes it. 0, or -errno of the rmdir; a missing
 * folder is not an error. */
static inline int
snic_eal_dir_remove(const char *dir)
{
    snic_eal_dir_empty(dir);
    return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

/* rte_eal_cleanup(), then its runtime folder. The folder's name is taken
 * first: after the cleanup the EAL no longer knows it. Returns
 * rte_eal_cleanup()'s result; a folder that cannot be removed is named on
 * stderr (it is litter, not a failure of the program). */
static inline int
snic_eal_cleanup(void)
{
    char dir[PATH_MAX];
    int rc, rr;

    snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
    rc = rte_eal_cleanup();
    rr = dir[0] != '\0' ? snic_eal_dir_remove(dir) : 0;
    if (rr < 0)
        fprintf(stderr, "warning: DPDK runtime folder %s: %s (left "
                "behind)\n", dir, strerror(-rr));
    return rc;
}

#endif /* SNIC_EAL_DIR_H */
