/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vf_fs.h"

int
vf_fs_read(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, size - 1);
    if (n < 0) {
        int rc = -errno;

        close(fd);
        return rc;
    }
    close(fd);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return 0;
}

int
vf_fs_read_long(const char *path, long *out)
{
    char buf[64];
    char *end;
    int rc = vf_fs_read(path, buf, sizeof(buf));

    if (rc < 0)
        return rc;
    errno = 0;
    *out = strtol(buf, &end, 0);
    if (errno != 0 || end == buf || *end != '\0')
        return -EINVAL;
    return 0;
}

int
vf_fs_write(const char *path, const char *text)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = write(fd, text, len);
    if (n < 0) {
        int rc = -errno;

        close(fd);
        return rc;
    }
    if (close(fd) < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EIO;
}

int
vf_fs_link_base(const char *path, char *buf, size_t size)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    const char *base;

    if (n < 0)
        return -errno;
    target[n] = '\0';
    base = strrchr(target, '/');
    base = base != NULL ? base + 1 : target;
    if (strlen(base) >= size)
        return -ENAMETOOLONG;
    strcpy(buf, base);
    return 0;
}

bool
vf_fs_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

void
vf_fs_sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000,
                           .tv_nsec = (long)(ms % 1000) * 1000000 };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}
