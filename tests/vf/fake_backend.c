/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"
#include "vf_parse.h"

static void
fake_logf(char (*log)[96], unsigned *n, const char *fmt, ...)
{
    va_list ap;

    if (*n >= FAKE_LOG)
        return;
    va_start(ap, fmt);
    vsnprintf(log[*n], 96, fmt, ap);
    va_end(ap);
    (*n)++;
}

void
fake_host_init(struct fake_host *fh)
{
    memset(fh, 0, sizeof(*fh));
    fh->fail_attr = -1;
    fh->fail_errno = EOPNOTSUPP;
    fh->host.devs = calloc(FAKE_MAX_DEVS, sizeof(struct vf_dev));
}

void
fake_host_fini(struct fake_host *fh)
{
    for (unsigned i = 0; i < fh->host.ndevs; i++)
        free(fh->host.devs[i].vfs);
    free(fh->host.devs);
    memset(fh, 0, sizeof(*fh));
}

static void
fake_fresh_vfs(struct vf_dev *d, unsigned n)
{
    memset(d->vfs, 0, FAKE_MAX_VFS * sizeof(*d->vfs));
    for (unsigned i = 0; i < n; i++) {
        struct vf_info *vi = &d->vfs[i];

        vi->index = i;
        snprintf(vi->pci, sizeof(vi->pci), "0000:99:00.%u", i);
        snprintf(vi->driver, sizeof(vi->driver), "%s", d->driver);
        /* what a driver reports for a new VF */
        vi->cur.mask = (1u << VF_ATTR__COUNT) - 1;
        vi->cur.spoofchk = true;
        vi->cur.proto = 0x8100;
    }
    d->numvfs = d->nvfs = n;
}

struct vf_dev *
fake_host_add(struct fake_host *fh, const char *name, const char *pci,
              const char *driver, unsigned totalvfs, unsigned numvfs,
              int mode)
{
    struct vf_dev *d = &fh->host.devs[fh->host.ndevs++];

    snprintf(d->name, sizeof(d->name), "%s", name);
    snprintf(d->pci, sizeof(d->pci), "%s", pci);
    snprintf(d->driver, sizeof(d->driver), "%s", driver);
    d->sriov_cap = 1;
    d->totalvfs = totalvfs;
    d->esw_mode = mode;
    d->speed = 10000;
    d->vfs = calloc(FAKE_MAX_VFS, sizeof(*d->vfs));
    fake_fresh_vfs(d, numvfs);
    return d;
}

int
fake_log_find(const struct fake_host *fh, const char *prefix, unsigned from)
{
    for (unsigned i = from; i < fh->nlog; i++)
        if (strncmp(fh->log[i], prefix, strlen(prefix)) == 0)
            return (int)i;
    return -1;
}

static struct vf_dev *
fake_dev(struct vf_backend *be, const char *name)
{
    struct fake_host *fh = be->priv;
    struct vf_dev *d = vf_host_find(&fh->host, name);

    if (d == NULL)
        vf_err_set(&be->err, "%s: no such network device", name);
    return d;
}

/* The fault knob: the n-th change fails, once. */
static int
fake_change(struct vf_backend *be)
{
    struct fake_host *fh = be->priv;

    if ((int)++fh->nchanges == fh->fail_at) {
        vf_err_set(&be->err, "injected failure (fail_at=%d): %s",
                   fh->fail_at, strerror(fh->fail_errno));
        return -fh->fail_errno;
    }
    return 0;
}

static int
fake_list(struct vf_backend *be, struct vf_host *out)
{
    struct fake_host *fh = be->priv;

    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < fh->host.ndevs; i++) {
        struct vf_dev copy = fh->host.devs[i];

        copy.vfs = calloc(FAKE_MAX_VFS, sizeof(*copy.vfs));
        memcpy(copy.vfs, fh->host.devs[i].vfs,
               FAKE_MAX_VFS * sizeof(*copy.vfs));
        vf_host_add(out, &copy);
    }
    return 0;
}

static int
fake_get(struct vf_backend *be, const char *name, struct vf_dev *out)
{
    struct vf_dev *d = fake_dev(be, name);

    if (d == NULL)
        return -ENODEV;
    *out = *d;
    out->vfs = calloc(FAKE_MAX_VFS, sizeof(*out->vfs));
    memcpy(out->vfs, d->vfs, FAKE_MAX_VFS * sizeof(*out->vfs));
    return 0;
}

static int
fake_create(struct vf_backend *be, const char *name, unsigned n, int tmo)
{
    struct fake_host *fh = be->priv;
    struct vf_dev *d = fake_dev(be, name);
    int rc;

    (void)tmo;
    if (d == NULL)
        return -ENODEV;
    rc = fake_change(be);
    if (rc < 0)
        return rc;
    /* like the kernel: non-zero to non-zero is refused */
    if (d->numvfs != 0 && n != 0 && d->numvfs != n) {
        vf_err_set(&be->err, "Device or resource busy (EBUSY)");
        return -EBUSY;
    }
    if (n > d->totalvfs || n > FAKE_MAX_VFS)
        return -ERANGE;
    fake_logf(fh->log, &fh->nlog, "numvfs %s %u", name, n);
    fake_fresh_vfs(d, n);
    return 0;
}

static int
fake_destroy(struct vf_backend *be, const char *name, int tmo)
{
    return fake_create(be, name, 0, tmo);
}

static int
fake_eswitch_set(struct vf_backend *be, const char *name, int mode)
{
    struct fake_host *fh = be->priv;
    struct vf_dev *d = fake_dev(be, name);
    int rc;

    if (d == NULL)
        return -ENODEV;
    rc = fake_change(be);
    if (rc < 0)
        return rc;
    /* mlx5 refuses while VFs are bound; ice while VFs exist */
    if (strcmp(d->driver, "mlx5_core") == 0) {
        for (unsigned i = 0; i < d->numvfs; i++) {
            if (d->vfs[i].driver[0] != '\0') {
                vf_err_set(&be->err, "VF %u still bound", i);
                return -EBUSY;
            }
        }
    } else if (d->numvfs != 0) {
        vf_err_set(&be->err, "VFs exist");
        return -EBUSY;
    }
    fake_logf(fh->log, &fh->nlog, "eswitch %s %s", name,
              vf_esw_mode_str(mode));
    d->esw_mode = mode;
    return 0;
}

static int
fake_vf(struct vf_backend *be, const char *name, unsigned vf,
        struct vf_dev **dp)
{
    struct vf_dev *d = fake_dev(be, name);

    if (d == NULL)
        return -ENODEV;
    if (vf >= d->numvfs) {
        vf_err_set(&be->err, "no VF %u", vf);
        return -ENOENT;
    }
    *dp = d;
    return fake_change(be);
}

static int
fake_set(struct vf_backend *be, const char *name, unsigned vf,
         const struct vf_settings *s)
{
    struct fake_host *fh = be->priv;
    struct vf_dev *d;
    struct vf_settings *c;
    char txt[96];
    int rc = fake_vf(be, name, vf, &d);

    if (rc < 0)
        return rc;
    c = &d->vfs[vf].cur;
    for (unsigned a = 0; a < VF_ATTR__COUNT; a++) {
        if (!(s->mask & VF_ATTR_BIT(a)))
            continue;
        if ((int)a == fh->fail_attr) {
            vf_err_set(&be->err, "%s: the kernel refused: Operation not "
                       "supported (EOPNOTSUPP)",
                       vf_fmt_attr((enum vf_attr)a, s, txt, sizeof(txt)));
            return -EOPNOTSUPP;
        }
        switch (a) {
        case VF_ATTR_MAC: memcpy(c->mac, s->mac, 6); break;
        case VF_ATTR_VLAN:
            c->vlan = s->vlan;
            c->qos = s->qos;
            c->proto = s->proto;
            break;
        case VF_ATTR_SPOOFCHK: c->spoofchk = s->spoofchk; break;
        case VF_ATTR_TRUST: c->trust = s->trust; break;
        case VF_ATTR_STATE: c->state = s->state; break;
        case VF_ATTR_RATE:
            c->min_rate = s->min_rate;
            c->max_rate = s->max_rate;
            break;
        case VF_ATTR_NODE_GUID: c->node_guid = s->node_guid; break;
        case VF_ATTR_PORT_GUID: c->port_guid = s->port_guid; break;
        }
        fake_logf(fh->log, &fh->nlog, "set %s %u %s", name, vf,
                  vf_fmt_attr((enum vf_attr)a, s, txt, sizeof(txt)));
    }
    return 0;
}

static int
fake_bind(struct vf_backend *be, const char *name, unsigned vf,
          const char *driver)
{
    struct fake_host *fh = be->priv;
    struct vf_dev *d;
    int rc = fake_vf(be, name, vf, &d);

    if (rc < 0)
        return rc;
    snprintf(d->vfs[vf].driver, VF_NAME_MAX, "%s",
             driver != NULL ? driver : d->driver);
    fake_logf(fh->log, &fh->nlog, "bind %s %u %s", name, vf,
              driver != NULL ? driver : "default");
    return 0;
}

static int
fake_unbind(struct vf_backend *be, const char *name, unsigned vf)
{
    struct fake_host *fh = be->priv;
    struct vf_dev *d;
    int rc = fake_vf(be, name, vf, &d);

    if (rc < 0)
        return rc;
    d->vfs[vf].driver[0] = '\0';
    fake_logf(fh->log, &fh->nlog, "unbind %s %u", name, vf);
    return 0;
}

static void
fake_close(struct vf_backend *be)
{
    free(be);
}

static const struct vf_backend_ops fake_ops = {
    .name = "fake",
    .list = fake_list,
    .get = fake_get,
    .create = fake_create,
    .destroy = fake_destroy,
    .eswitch_set = fake_eswitch_set,
    .set = fake_set,
    .bind = fake_bind,
    .unbind = fake_unbind,
    .close = fake_close,
};

struct vf_backend *
fake_backend_open(struct fake_host *fh)
{
    struct vf_backend *be = calloc(1, sizeof(*be));

    be->ops = &fake_ops;
    be->priv = fh;
    return be;
}

/* ---- fake netlink half -------------------------------------------------- */

void
fake_nl_init(struct fake_nl *nl)
{
    memset(nl, 0, sizeof(*nl));
    nl->fail_attr = -1;
}

static struct vf_settings *
fake_nl_vf(struct fake_nl *nl, const char *ifname, unsigned vf)
{
    for (unsigned i = 0; i < nl->nvfs; i++)
        if (strcmp(nl->vfs[i].ifname, ifname) == 0 && nl->vfs[i].vf == vf)
            return &nl->vfs[i].s;
    if (nl->nvfs == 64)
        return NULL;
    snprintf(nl->vfs[nl->nvfs].ifname, VF_NAME_MAX, "%s", ifname);
    nl->vfs[nl->nvfs].vf = vf;
    memset(&nl->vfs[nl->nvfs].s, 0, sizeof(struct vf_settings));
    nl->vfs[nl->nvfs].s.mask = (1u << VF_ATTR__COUNT) - 1;
    return &nl->vfs[nl->nvfs++].s;
}

static int
fake_nl_vf_read(void *ctx, const char *ifname, struct vf_info *vfs,
                unsigned nvfs, struct vf_err *err)
{
    (void)err;
    for (unsigned i = 0; i < nvfs; i++) {
        struct vf_settings *s = fake_nl_vf(ctx, ifname, i);

        if (s != NULL)
            vfs[i].cur = *s;
    }
    return 0;
}

static int
fake_nl_vf_set(void *ctx, const char *ifname, unsigned vf,
               const struct vf_settings *s, struct vf_err *err)
{
    struct fake_nl *nl = ctx;
    struct vf_settings *c = fake_nl_vf(nl, ifname, vf);
    char txt[96];
    uint32_t keep;

    for (unsigned a = 0; a < VF_ATTR__COUNT; a++) {
        if (!(s->mask & VF_ATTR_BIT(a)))
            continue;
        if ((int)a == nl->fail_attr) {
            vf_err_set(err, "%s: the kernel refused: Operation not supported "
                       "(EOPNOTSUPP)",
                       vf_fmt_attr((enum vf_attr)a, s, txt, sizeof(txt)));
            return -EOPNOTSUPP;
        }
        fake_logf(nl->log, &nl->nlog, "set %s %u %s", ifname, vf,
                  vf_fmt_attr((enum vf_attr)a, s, txt, sizeof(txt)));
    }
    keep = c->mask;
    /* copy only what was set */
    if (s->mask & VF_ATTR_BIT(VF_ATTR_MAC))
        memcpy(c->mac, s->mac, 6);
    if (s->mask & VF_ATTR_BIT(VF_ATTR_VLAN)) {
        c->vlan = s->vlan;
        c->qos = s->qos;
        c->proto = s->proto;
    }
    if (s->mask & VF_ATTR_BIT(VF_ATTR_SPOOFCHK))
        c->spoofchk = s->spoofchk;
    if (s->mask & VF_ATTR_BIT(VF_ATTR_TRUST))
        c->trust = s->trust;
    if (s->mask & VF_ATTR_BIT(VF_ATTR_STATE))
        c->state = s->state;
    if (s->mask & VF_ATTR_BIT(VF_ATTR_RATE)) {
        c->min_rate = s->min_rate;
        c->max_rate = s->max_rate;
    }
    c->mask = keep;
    return 0;
}

static int
fake_nl_esw_get(void *ctx, const char *pci, int *mode, struct vf_err *err)
{
    struct fake_nl *nl = ctx;

    for (unsigned i = 0; i < nl->nesw; i++) {
        if (strcmp(nl->esw[i].pci, pci) == 0) {
            *mode = nl->esw[i].mode;
            return 0;
        }
    }
    *mode = VF_ESW_LEGACY;
    (void)err;
    return 0;
}

static int
fake_nl_esw_set(void *ctx, const char *pci, int mode, struct vf_err *err)
{
    struct fake_nl *nl = ctx;
    unsigned i;

    (void)err;
    for (i = 0; i < nl->nesw; i++)
        if (strcmp(nl->esw[i].pci, pci) == 0)
            break;
    if (i == nl->nesw && nl->nesw < 8)
        snprintf(nl->esw[nl->nesw++].pci, VF_PCI_MAX, "%s", pci);
    nl->esw[i].mode = mode;
    fake_logf(nl->log, &nl->nlog, "eswitch %s %s", pci,
              vf_esw_mode_str(mode));
    return 0;
}

static int
fake_nl_ports(void *ctx, const char *pci,
              void (*fn)(const struct vf_devlink_port *p, void *arg),
              void *arg, struct vf_err *err)
{
    (void)ctx;
    (void)pci;
    (void)fn;
    (void)arg;
    vf_err_set(err, "no devlink here");
    return -EOPNOTSUPP;
}

const struct vf_kernel_nl_ops fake_nl_ops = {
    .vf_read = fake_nl_vf_read,
    .vf_set = fake_nl_vf_set,
    .esw_get = fake_nl_esw_get,
    .esw_set = fake_nl_esw_set,
    .ports = fake_nl_ports,
    .close = NULL,
};
