/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake_tree.h"

int
fake_tree_init(struct fake_tree *t)
{
    snprintf(t->root, sizeof(t->root), "/tmp/snicvf-tree-XXXXXX");
    if (mkdtemp(t->root) == NULL)
        return -errno;
    return 0;
}

static int
fake_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
fake_tree_destroy(struct fake_tree *t)
{
    if (t->root[0] != '\0')
        nftw(t->root, fake_rm, 16, FTW_DEPTH | FTW_PHYS);
    t->root[0] = '\0';
}

const char *
fake_path(const struct fake_tree *t, char *buf, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(buf, PATH_MAX, "%s/", t->root);

    va_start(ap, fmt);
    vsnprintf(buf + n, PATH_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    return buf;
}

static int
fake_mkdirs(const char *path)
{
    char tmp[PATH_MAX];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int
fake_parent(const char *path)
{
    char dir[PATH_MAX];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    return fake_mkdirs(dir);
}

int
fake_write(const struct fake_tree *t, const char *rel, const char *text)
{
    char path[PATH_MAX];
    FILE *f;

    fake_path(t, path, "%s", rel);
    if (fake_parent(path) < 0)
        return -errno;
    f = fopen(path, "w");
    if (f == NULL)
        return -errno;
    fputs(text, f);
    fclose(f);
    return 0;
}

int
fake_read(const struct fake_tree *t, const char *rel, char *buf,
          unsigned size)
{
    char path[PATH_MAX];
    FILE *f;
    size_t n;

    fake_path(t, path, "%s", rel);
    f = fopen(path, "r");
    if (f == NULL)
        return -errno;
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return 0;
}

int
fake_symlink(const struct fake_tree *t, const char *rel, const char *target)
{
    char path[PATH_MAX];

    fake_path(t, path, "%s", rel);
    if (fake_parent(path) < 0)
        return -errno;
    unlink(path);
    return symlink(target, path) < 0 ? -errno : 0;
}

static int
fake_driver(struct fake_tree *t, const char *devrel, const char *driver)
{
    char rel[PATH_MAX + 64], target[PATH_MAX];

    snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/unbind", driver);
    fake_write(t, rel, "");
    snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/bind", driver);
    fake_write(t, rel, "");
    snprintf(rel, sizeof(rel), "%s/driver", devrel);
    snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
    return fake_symlink(t, rel, target);
}

void
fake_vf_pci(const char *pf_pci, unsigned i, char *buf)
{
    unsigned dom, bus, slot, fn;
    unsigned n;

    sscanf(pf_pci, "%x:%x:%x.%x", &dom, &bus, &slot, &fn);
    n = slot * 8 + fn + 2 + i;
    sprintf(buf, "%04x:%02x:%02x.%x", dom, bus, n / 8, n % 8);
}

int
fake_add_netdev(struct fake_tree *t, const char *name, const char *pci)
{
    char rel[PATH_MAX], target[PATH_MAX];

    snprintf(rel, sizeof(rel), "sys/class/net/%s/mtu", name);
    fake_write(t, rel, "1500\n");
    if (pci == NULL)
        return 0;
    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/vendor", pci);
    fake_write(t, rel, "0x1af4\n");
    snprintf(rel, sizeof(rel), "sys/class/net/%s/device", name);
    snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", pci);
    return fake_symlink(t, rel, target);
}

int
fake_add_vf(struct fake_tree *t, const struct fake_pf *pf, unsigned i)
{
    char vpci[32], rel[PATH_MAX], target[PATH_MAX];
    unsigned fn;

    fake_vf_pci(pf->pci, i, vpci);
    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/driver_override",
             vpci);
    fake_write(t, rel, "(null)\n");
    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/physfn", vpci);
    snprintf(target, sizeof(target), "../%s", pf->pci);
    fake_symlink(t, rel, target);
    if (pf->driver != NULL) {
        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s", vpci);
        fake_driver(t, rel, pf->driver);
        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/net/%sv%u/mtu",
                 vpci, pf->name, i);
        fake_write(t, rel, "1500\n");
        snprintf(rel, sizeof(rel), "sys/class/net/%sv%u/device", pf->name, i);
        snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s",
                 vpci);
        fake_symlink(t, rel, target);
    }
    if (pf->representors && pf->switch_id != NULL) {
        sscanf(strrchr(pf->pci, '.') + 1, "%x", &fn);
        snprintf(rel, sizeof(rel), "sys/class/net/%s_%u/phys_switch_id",
                 pf->name, i);
        fake_write(t, rel, pf->switch_id);
        snprintf(rel, sizeof(rel), "sys/class/net/%s_%u/phys_port_name",
                 pf->name, i);
        snprintf(target, sizeof(target), "pf%uvf%u\n", fn, i);
        fake_write(t, rel, target);
        snprintf(rel, sizeof(rel), "sys/class/net/%s_%u/device", pf->name, i);
        snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s",
                 pf->pci);
        fake_symlink(t, rel, target);
    }
    /* the link last: once it exists the VF is complete */
    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/virtfn%u", pf->pci,
             i);
    snprintf(target, sizeof(target), "../%s", vpci);
    return fake_symlink(t, rel, target);
}

void
fake_del_vf(struct fake_tree *t, const struct fake_pf *pf, unsigned i)
{
    char vpci[32], rel[PATH_MAX], path[PATH_MAX];
    struct fake_tree sub;

    fake_vf_pci(pf->pci, i, vpci);
    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/virtfn%u", pf->pci,
             i);
    unlink(fake_path(t, path, "%s", rel));
    snprintf(sub.root, sizeof(sub.root), "%s",
             fake_path(t, path, "sys/devices/pci0000:00/%s", vpci));
    fake_tree_destroy(&sub);
    snprintf(sub.root, sizeof(sub.root), "%s",
             fake_path(t, path, "sys/class/net/%sv%u", pf->name, i));
    fake_tree_destroy(&sub);
    snprintf(sub.root, sizeof(sub.root), "%s",
             fake_path(t, path, "sys/class/net/%s_%u", pf->name, i));
    fake_tree_destroy(&sub);
}

int
fake_add_pf(struct fake_tree *t, const struct fake_pf *pf)
{
    char rel[PATH_MAX + 64], text[64];
    char devrel[256];
    int rc;

    snprintf(devrel, sizeof(devrel), "sys/devices/pci0000:00/%s", pf->pci);
    rc = fake_add_netdev(t, pf->name, pf->pci);
    if (rc < 0)
        return rc;
    fake_write(t, "sys/bus/pci/drivers_probe", "");
    snprintf(rel, sizeof(rel), "%s/sriov_totalvfs", devrel);
    snprintf(text, sizeof(text), "%u\n", pf->totalvfs);
    fake_write(t, rel, text);
    snprintf(rel, sizeof(rel), "%s/sriov_numvfs", devrel);
    snprintf(text, sizeof(text), "%u\n", pf->numvfs);
    fake_write(t, rel, text);
    if (pf->driver != NULL)
        fake_driver(t, devrel, pf->driver);
    if (pf->switch_id != NULL) {
        snprintf(rel, sizeof(rel), "sys/class/net/%s/phys_switch_id",
                 pf->name);
        fake_write(t, rel, pf->switch_id);
    }
    if (pf->port_name != NULL) {
        snprintf(rel, sizeof(rel), "sys/class/net/%s/phys_port_name",
                 pf->name);
        fake_write(t, rel, pf->port_name);
    }
    if (pf->speed != 0) {
        snprintf(rel, sizeof(rel), "sys/class/net/%s/speed", pf->name);
        snprintf(text, sizeof(text), "%ld\n", pf->speed);
        fake_write(t, rel, text);
    }
    for (unsigned i = 0; i < pf->numvfs; i++) {
        rc = fake_add_vf(t, pf, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void
fake_sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

static unsigned
fake_count(struct fake_kernel *k)
{
    char path[PATH_MAX];
    unsigned n = 0;

    while (access(fake_path(k->t, path, "sys/devices/pci0000:00/%s/virtfn%u",
                            k->pf->pci, n), F_OK) == 0 ||
           faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        n++;
    return n;
}

static void *
fake_kernel_main(void *arg)
{
    struct fake_kernel *k = arg;
    char rel[PATH_MAX], text[32];

    snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/%s/sriov_numvfs",
             k->pf->pci);
    while (!k->stop) {
        unsigned want, have;

        fake_sleep_ms(5);
        if (fake_read(k->t, rel, text, sizeof(text)) < 0 || text[0] == '\0')
            continue;
        want = (unsigned)strtoul(text, NULL, 10);
        have = fake_count(k);
        if (want == have)
            continue;
        if (k->nseen < 16)
            k->seen[k->nseen++] = (int)want;
        for (unsigned i = have; i-- > 0;)
            fake_del_vf(k->t, k->pf, i);
        if (want == 0 || k->never)
            continue;
        fake_sleep_ms(k->delay_ms);
        for (unsigned i = 0; i < want; i++)
            fake_add_vf(k->t, k->pf, i);
    }
    return NULL;
}

int
fake_kernel_start(struct fake_kernel *k)
{
    k->stop = false;
    k->nseen = 0;
    return -pthread_create(&k->thread, NULL, fake_kernel_main, k);
}

void
fake_kernel_stop(struct fake_kernel *k)
{
    k->stop = true;
    pthread_join(k->thread, NULL);
}
