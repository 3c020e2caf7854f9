/* SPDX-License-Identifier: BSD-3-Clause */
/* sysfs side of the kernel backend (see vf_sysfs.h for the rules). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf_fs.h"
#include "vf_sysfs.h"

#define VF_POLL_MS 20
/* after the links exist, how long to give drivers to probe the new VFs */
#define VF_PROBE_GRACE_MS 5000

static const char *
vf_path(char *buf, size_t size, const struct vf_sysfs *s, const char *fmt,
        ...) __attribute__((format(printf, 4, 5)));

static const char *
vf_path(char *buf, size_t size, const struct vf_sysfs *s, const char *fmt,
        ...)
{
    va_list ap;
    int n = snprintf(buf, size, "%s", s->root);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < size)
        vsnprintf(buf + n, size - (size_t)n, fmt, ap);
    va_end(ap);
    return buf;
}

int
vf_sysfs_init(struct vf_sysfs *s, const char *root)
{
    size_t len;

    if (root == NULL)
        root = "/";
    len = strlen(root);
    if (len >= sizeof(s->root))
        return -ENAMETOOLONG;
    strcpy(s->root, root);
    /* paths are built as root + "/sys/...", so drop trailing slashes */
    while (len > 0 && s->root[len - 1] == '/')
        s->root[--len] = '\0';
    return 0;
}

static bool
vf_looks_pci(const char *name)
{
    unsigned dom, bus, slot, fn;
    char tail;

    return sscanf(name, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &tail) == 4;
}

static unsigned
vf_pci_function(const char *pci)
{
    const char *dot = strrchr(pci, '.');

    return dot != NULL ? (unsigned)strtoul(dot + 1, NULL, 16) : 0;
}

static bool
vf_eat_num(const char **p, unsigned *out)
{
    char *end;

    if (!isdigit((unsigned char)**p))
        return false;
    *out = (unsigned)strtoul(*p, &end, 10);
    *p = end;
    return true;
}

int
vf_sysfs_port_name_kind(const char *name, unsigned *pf, unsigned *vf)
{
    const char *p = name;
    unsigned c, n;

    if (name[0] == 'c') {               /* controller prefix: c1pf0vf3 */
        p++;
        if (!vf_eat_num(&p, &c))
            return 0;
    }
    if (strncmp(p, "pf", 2) != 0)
        return 0;                       /* "", "p0": PF/uplink */
    p += 2;
    if (!vf_eat_num(&p, &n))
        return 2;
    if (strncmp(p, "vf", 2) == 0) {
        p += 2;
        if (vf_eat_num(&p, vf) && *p == '\0') {
            *pf = n;
            return 1;
        }
    }
    return 2;                           /* pfN, pfNsfM, anything else */
}

/* Where the netdev's device lives: "" with 0 when it has none (virtual). */
static int
vf_netdev_device(const struct vf_sysfs *s, const char *name, char *pci,
                 size_t size)
{
    char path[PATH_MAX];

    vf_path(path, sizeof(path), s, "/sys/class/net/%s", name);
    if (!vf_fs_exists(path))
        return -ENODEV;
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device", name);
    if (vf_fs_link_base(path, pci, size) < 0)
        pci[0] = '\0';
    return 0;
}

static void
vf_read_vf(const struct vf_sysfs *s, const char *pf, unsigned i,
           struct vf_info *vi)
{
    char path[PATH_MAX];
    DIR *d;
    struct dirent *de;

    vi->index = i;
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/virtfn%u", pf,
            i);
    if (vf_fs_link_base(path, vi->pci, sizeof(vi->pci)) < 0)
        vi->pci[0] = '\0';
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/virtfn%u/driver",
            pf, i);
    if (vf_fs_link_base(path, vi->driver, sizeof(vi->driver)) < 0)
        vi->driver[0] = '\0';
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/virtfn%u/net",
            pf, i);
    d = opendir(path);
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strlen(de->d_name) >= VF_NAME_MAX)
            continue;
        strcpy(vi->netdev, de->d_name);
        break;
    }
    closedir(d);
}

static void
vf_find_representors(const struct vf_sysfs *s, struct vf_dev *dev)
{
    char path[PATH_MAX];
    char id[VF_NAME_MAX];
    char port[VF_NAME_MAX];
    unsigned my_pf = vf_pci_function(dev->pci);
    DIR *d;
    struct dirent *de;

    if (dev->switch_id[0] == '\0')
        return;
    d = opendir(vf_path(path, sizeof(path), s, "/sys/class/net"));
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        unsigned pf, vf;

        if (de->d_name[0] == '.' || strlen(de->d_name) >= VF_NAME_MAX)
            continue;
        vf_path(path, sizeof(path), s, "/sys/class/net/%s/phys_switch_id",
                de->d_name);
        if (vf_fs_read(path, id, sizeof(id)) < 0 ||
            strcmp(id, dev->switch_id) != 0)
            continue;
        vf_path(path, sizeof(path), s, "/sys/class/net/%s/phys_port_name",
                de->d_name);
        if (vf_fs_read(path, port, sizeof(port)) < 0)
            continue;
        if (vf_sysfs_port_name_kind(port, &pf, &vf) != 1 || pf != my_pf ||
            vf >= dev->nvfs)
            continue;
        strcpy(dev->vfs[vf].representor, de->d_name);
    }
    closedir(d);
}

int
vf_sysfs_read_dev(const struct vf_sysfs *s, const char *name,
                  struct vf_dev *dev, struct vf_err *err)
{
    char path[PATH_MAX];
    char port[VF_NAME_MAX];
    long v;
    unsigned pf, vf;
    int rc;

    memset(dev, 0, sizeof(*dev));
    if (strlen(name) >= sizeof(dev->name)) {
        vf_err_set(err, "%s: device name too long", name);
        return -EINVAL;
    }
    strcpy(dev->name, name);
    dev->esw_mode = VF_ESW_UNKNOWN;
    dev->speed = -1;
    rc = vf_netdev_device(s, name, dev->pci, sizeof(dev->pci));
    if (rc < 0) {
        vf_err_set(err, "%s: no such network device (looked in %s/sys/class/"
                   "net)", name, s->root);
        return rc;
    }
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/phys_port_name", name);
    if (vf_fs_read(path, port, sizeof(port)) == 0 &&
        vf_sysfs_port_name_kind(port, &pf, &vf) != 0) {
        vf_err_set(err, "%s is a representor (phys_port_name %s), not a PF; "
                   "name the PF's netdev instead", name, port);
        return -EINVAL;
    }
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/speed", name);
    if (vf_fs_read_long(path, &v) == 0 && v > 0)
        dev->speed = v;
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/phys_switch_id", name);
    if (vf_fs_read(path, dev->switch_id, sizeof(dev->switch_id)) < 0)
        dev->switch_id[0] = '\0';
    if (dev->pci[0] == '\0') {
        dev->sriov_cap = -1;            /* virtual: only the kernel knows */
        return 0;
    }
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/driver", name);
    if (vf_fs_link_base(path, dev->driver, sizeof(dev->driver)) < 0)
        dev->driver[0] = '\0';
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/physfn", name);
    if (vf_fs_exists(path) || !vf_looks_pci(dev->pci)) {
        dev->sriov_cap = 0;             /* a VF, or not a PCI function */
        return 0;
    }
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/sriov_totalvfs",
            name);
    if (vf_fs_read_long(path, &v) < 0 || v <= 0) {
        dev->sriov_cap = 0;
        return 0;
    }
    dev->sriov_cap = 1;
    dev->totalvfs = (unsigned)v;
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/sriov_numvfs",
            name);
    if (vf_fs_read_long(path, &v) == 0 && v > 0 && v <= VF_MAX_VFS)
        dev->numvfs = (unsigned)v;
    if (dev->numvfs > 0) {
        dev->vfs = calloc(dev->numvfs, sizeof(*dev->vfs));
        if (dev->vfs == NULL)
            return -ENOMEM;
        dev->nvfs = dev->numvfs;
        for (unsigned i = 0; i < dev->nvfs; i++)
            vf_read_vf(s, name, i, &dev->vfs[i]);
        vf_find_representors(s, dev);
    }
    return 0;
}

static int
vf_name_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vf_dev *)a)->name,
                  ((const struct vf_dev *)b)->name);
}

int
vf_sysfs_scan(const struct vf_sysfs *s, struct vf_host *host,
              struct vf_err *err)
{
    char path[PATH_MAX];
    DIR *d;
    struct dirent *de;
    int rc = 0;

    memset(host, 0, sizeof(*host));
    d = opendir(vf_path(path, sizeof(path), s, "/sys/class/net"));
    if (d == NULL) {
        rc = -errno;
        vf_err_set(err, "cannot read %s: %s", path, strerror(-rc));
        return rc;
    }
    while ((de = readdir(d)) != NULL) {
        struct vf_dev dev;
        bool dup = false;

        if (de->d_name[0] == '.')
            continue;
        /* representors and non-SR-IOV netdevs are simply not PFs */
        if (vf_sysfs_read_dev(s, de->d_name, &dev, NULL) < 0)
            continue;
        if (dev.sriov_cap != 1) {
            vf_dev_clear(&dev);
            continue;
        }
        for (unsigned i = 0; i < host->ndevs; i++)
            dup |= strcmp(host->devs[i].pci, dev.pci) == 0;
        if (dup) {
            vf_dev_clear(&dev);
            continue;
        }
        rc = vf_host_add(host, &dev);
        if (rc < 0) {
            vf_dev_clear(&dev);
            vf_host_clear(host);
            break;
        }
    }
    closedir(d);
    if (host->ndevs > 1)
        qsort(host->devs, host->ndevs, sizeof(*host->devs), vf_name_cmp);
    return rc;
}

/* How many of virtfn0..want-1 exist, and whether virtfn<want> exists. */
static unsigned
vf_count_links(const struct vf_sysfs *s, const char *name, unsigned want,
               bool *extra, unsigned *first_missing)
{
    char path[PATH_MAX];
    unsigned have = 0;

    *first_missing = want;
    for (unsigned i = 0; i < want; i++) {
        vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/virtfn%u",
                name, i);
        if (vf_fs_exists(path))
            have++;
        else if (*first_missing == want)
            *first_missing = i;
    }
    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/virtfn%u", name,
            want);
    *extra = vf_fs_exists(path);
    return have;
}

static int
vf_wait_links(const struct vf_sysfs *s, const char *name, unsigned want,
              long long start, int timeout_ms, struct vf_err *err)
{
    for (;;) {
        bool extra;
        unsigned missing;
        unsigned have = vf_count_links(s, name, want, &extra, &missing);
        long long now = snic_now_ms();

        if (have == want && !extra)
            return 0;
        if (now - start >= timeout_ms) {
            if (want == 0)
                vf_err_set(err, "timed out after %.1f s waiting for %s to "
                           "remove its VFs (virtfn0 still present)",
                           timeout_ms / 1000.0, name);
            else if (have < want)
                vf_err_set(err, "timed out after %.1f s waiting for %u VFs "
                           "on %s: %u of %u virtfn links present (virtfn%u "
                           "missing); raise --timeout if the driver is slow",
                           timeout_ms / 1000.0, want, name, have, want,
                           missing);
            else
                vf_err_set(err, "timed out after %.1f s waiting for %s to "
                           "settle at %u VFs (virtfn%u still present)",
                           timeout_ms / 1000.0, name, want, want);
            return -ETIMEDOUT;
        }
        vf_fs_sleep_ms(VF_POLL_MS);
    }
}

/* With autoprobe on, drivers bind the new VFs asynchronously; give them a
 * short grace period so that `list` right after `create` shows netdevs.
 * Not an error when they do not (no VF driver, or blacklisted). */
static void
vf_wait_probe(const struct vf_sysfs *s, const char *name, unsigned n,
              long long start, int timeout_ms)
{
    char path[PATH_MAX];
    long autoprobe = 0;
    long long end = snic_now_ms() + VF_PROBE_GRACE_MS;

    vf_path(path, sizeof(path), s,
            "/sys/class/net/%s/device/sriov_drivers_autoprobe", name);
    if (vf_fs_read_long(path, &autoprobe) < 0 || autoprobe != 1)
        return;
    if (end > start + timeout_ms)
        end = start + timeout_ms;
    for (unsigned i = 0; i < n; i++) {
        vf_path(path, sizeof(path), s,
                "/sys/class/net/%s/device/virtfn%u/driver", name, i);
        while (!vf_fs_exists(path) && snic_now_ms() < end)
            vf_fs_sleep_ms(VF_POLL_MS);
        if (!vf_fs_exists(path)) {
            fprintf(stderr, "snic-vf: note: %s VF %u has no driver yet "
                    "(still probing, or no driver matches it)\n", name, i);
            return;
        }
    }
}

static int
vf_write_numvfs(const struct vf_sysfs *s, const char *name, unsigned n,
                struct vf_err *err)
{
    char path[PATH_MAX];
    char text[16];
    char eb[96];
    int rc;

    vf_path(path, sizeof(path), s, "/sys/class/net/%s/device/sriov_numvfs",
            name);
    snprintf(text, sizeof(text), "%u", n);
    rc = vf_fs_write(path, text);
    if (rc < 0)
        vf_err_set(err, "writing %u to %s failed: %s", n, path,
                   vf_errno_str(-rc, eb, sizeof(eb)));
    return rc;
}

int
vf_sysfs_set_numvfs(const struct vf_sysfs *s, const char *name,
                    unsigned numvfs, int timeout_ms, struct vf_err *err)
{
    struct vf_dev dev;
    long long start = snic_now_ms();
    int rc;

    rc = vf_sysfs_read_dev(s, name, &dev, err);
    if (rc < 0)
        return rc;
    if (dev.sriov_cap != 1) {
        vf_err_set(err, "%s has no SR-IOV capability (no sriov_totalvfs on "
                   "its PCI device%s%s)", name, dev.pci[0] ? " " : "",
                   dev.pci);
        rc = -EOPNOTSUPP;
        goto clear_dev;
    }
    if (numvfs > dev.totalvfs) {
        vf_err_set(err, "%u VFs requested but %s supports at most %u "
                   "(sriov_totalvfs)", numvfs, name, dev.totalvfs);
        rc = -ERANGE;
        goto clear_dev;
    }
    if (dev.numvfs == numvfs) {
        rc = vf_wait_links(s, name, numvfs, start, timeout_ms, err);
        goto clear_dev;
    }
    /* the kernel refuses to change between two non-zero counts */
    if (dev.numvfs != 0 && numvfs != 0) {
        rc = vf_write_numvfs(s, name, 0, err);
        if (rc == 0)
            rc = vf_wait_links(s, name, 0, start, timeout_ms, err);
        if (rc < 0)
            goto clear_dev;
    }
    rc = vf_write_numvfs(s, name, numvfs, err);
    if (rc == 0)
        rc = vf_wait_links(s, name, numvfs, start, timeout_ms, err);
    if (rc == 0)
        vf_wait_probe(s, name, numvfs, start, timeout_ms);
clear_dev:
    vf_dev_clear(&dev);
    return rc;
}

static int
vf_vf_dir(const struct vf_sysfs *s, const char *name, unsigned vf,
          char *dir, size_t size, char *pci, size_t pci_size,
          struct vf_err *err)
{
    vf_path(dir, size, s, "/sys/class/net/%s/device/virtfn%u", name, vf);
    if (vf_fs_link_base(dir, pci, pci_size) < 0) {
        vf_err_set(err, "%s has no VF %u (%s is missing)", name, vf, dir);
        return -ENOENT;
    }
    return 0;
}

static int
vf_unbind_dir(const char *dir, const char *pci, struct vf_err *err)
{
    char path[PATH_MAX + 32];
    char eb[96];
    int rc;

    snprintf(path, sizeof(path), "%s/driver", dir);
    if (!vf_fs_exists(path))
        return 0;                       /* already unbound */
    snprintf(path, sizeof(path), "%s/driver/unbind", dir);
    rc = vf_fs_write(path, pci);
    if (rc < 0)
        vf_err_set(err, "unbinding %s (writing %s) failed: %s", pci, path,
                   vf_errno_str(-rc, eb, sizeof(eb)));
    return rc;
}

int
vf_sysfs_unbind(const struct vf_sysfs *s, const char *name, unsigned vf,
                struct vf_err *err)
{
    char dir[PATH_MAX];
    char pci[VF_PCI_MAX];
    int rc = vf_vf_dir(s, name, vf, dir, sizeof(dir), pci, sizeof(pci), err);

    return rc < 0 ? rc : vf_unbind_dir(dir, pci, err);
}

int
vf_sysfs_bind(const struct vf_sysfs *s, const char *name, unsigned vf,
              const char *driver, struct vf_err *err)
{
    char dir[PATH_MAX];
    char path[PATH_MAX + 32];
    char pci[VF_PCI_MAX];
    char eb[96];
    int rc = vf_vf_dir(s, name, vf, dir, sizeof(dir), pci, sizeof(pci), err);

    if (rc < 0)
        return rc;
    /* override first: between unbind and probe nothing else may grab it */
    snprintf(path, sizeof(path), "%s/driver_override", dir);
    rc = vf_fs_write(path, driver != NULL ? driver : "\n");
    if (rc < 0) {
        vf_err_set(err, "writing %s to %s failed: %s",
                   driver != NULL ? driver : "(empty)", path,
                   vf_errno_str(-rc, eb, sizeof(eb)));
        return rc;
    }
    rc = vf_unbind_dir(dir, pci, err);
    if (rc < 0)
        return rc;
    vf_path(path, sizeof(path), s, "/sys/bus/pci/drivers_probe");
    rc = vf_fs_write(path, pci);
    if (rc < 0) {
        vf_err_set(err, "probing %s (writing %s) failed: %s%s", pci, path,
                   vf_errno_str(-rc, eb, sizeof(eb)),
                   driver != NULL ? "; is the driver module loaded?" : "");
        return rc;
    }
    snprintf(path, sizeof(path), "%s/driver", dir);
    if (driver != NULL && !vf_fs_exists(path)) {
        vf_err_set(err, "%s: no driver took it after the probe; is %s "
                   "loaded (modprobe %s)?", pci, driver, driver);
        return -ENODEV;
    }
    return 0;
}
