/* SPDX-License-Identifier: BSD-3-Clause */
/* Small file helpers for sysfs-style trees: one value per file. */
#ifndef SNIC_VF_FS_H
#define SNIC_VF_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "snic_clock.h"   /* snic_now_ms() for bounded waits */

/* Read a one-line file into @buf without its trailing newline. */
int vf_fs_read(const char *path, char *buf, size_t size);
int vf_fs_read_long(const char *path, long *out);
/* Write @text (sysfs attributes take one write). */
int vf_fs_write(const char *path, const char *text);
/* Last component of the symlink's target; -errno if not a link. */
int vf_fs_link_base(const char *path, char *buf, size_t size);
bool vf_fs_exists(const char *path);
void vf_fs_sleep_ms(unsigned ms);

#endif /* SNIC_VF_FS_H */
