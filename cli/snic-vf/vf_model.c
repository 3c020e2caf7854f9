/* SPDX-License-Identifier: BSD-3-Clause */
/* snic-vf model helpers: containers, names, and the one-line error buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf_backend.h"
#include "vf_model.h"

/* Messages quote user input (file values, names): a control character
 * in it must not break the one-line promise or reach the terminal raw. */
static void
vf_err_clean(char *msg)
{
    for (unsigned char *p = (unsigned char *)msg; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
}

void
vf_err_set(struct vf_err *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    vf_err_clean(err->msg);
}

void
vf_err_prefix(struct vf_err *err, const char *fmt, ...)
{
    char head[256];
    size_t hl, ol;
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    hl = strlen(head);
    ol = strnlen(err->msg, sizeof(err->msg) - 1);
    /* keep the head whole; the tail (the reason) loses its end first */
    if (hl + ol >= sizeof(err->msg))
        ol = sizeof(err->msg) - 1 - hl;
    memmove(err->msg + hl, err->msg, ol);
    memcpy(err->msg, head, hl);
    err->msg[hl + ol] = '\0';
    vf_err_clean(err->msg);
}

static const char *
vf_errno_name(int errnum)
{
    switch (errnum) {
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENODEV: return "ENODEV";
    case ENOENT: return "ENOENT";
    case EBUSY: return "EBUSY";
    case ERANGE: return "ERANGE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOSPC: return "ENOSPC";
    case ENOMEM: return "ENOMEM";
    case EIO: return "EIO";
    case EEXIST: return "EEXIST";
    case EAGAIN: return "EAGAIN";
    case EPROTO: return "EPROTO";
    case ENOTDIR: return "ENOTDIR";
    default: return NULL;
    }
}

const char *
vf_errno_str(int errnum, char *buf, size_t size)
{
    const char *name = vf_errno_name(errnum);

    if (name != NULL)
        snprintf(buf, size, "%s (%s)", strerror(errnum), name);
    else
        snprintf(buf, size, "%s (errno %d)", strerror(errnum), errnum);
    return buf;
}

void
vf_dev_clear(struct vf_dev *dev)
{
    free(dev->vfs);
    memset(dev, 0, sizeof(*dev));
}

void
vf_host_clear(struct vf_host *host)
{
    for (unsigned i = 0; i < host->ndevs; i++)
        vf_dev_clear(&host->devs[i]);
    free(host->devs);
    host->devs = NULL;
    host->ndevs = 0;
}

int
vf_host_add(struct vf_host *host, struct vf_dev *dev)
{
    struct vf_dev *devs;

    devs = realloc(host->devs, (host->ndevs + 1) * sizeof(*devs));
    if (devs == NULL)
        return -ENOMEM;
    host->devs = devs;
    /* the host takes ownership of dev->vfs */
    host->devs[host->ndevs++] = *dev;
    memset(dev, 0, sizeof(*dev));
    return 0;
}

struct vf_dev *
vf_host_find(struct vf_host *host, const char *name)
{
    for (unsigned i = 0; i < host->ndevs; i++)
        if (strcmp(host->devs[i].name, name) == 0)
            return &host->devs[i];
    return NULL;
}

const char *
vf_attr_name(enum vf_attr attr)
{
    static const char *const names[VF_ATTR__COUNT] = {
        [VF_ATTR_MAC] = "mac",
        [VF_ATTR_VLAN] = "vlan",
        [VF_ATTR_SPOOFCHK] = "spoofchk",
        [VF_ATTR_TRUST] = "trust",
        [VF_ATTR_STATE] = "state",
        [VF_ATTR_RATE] = "rate",
        [VF_ATTR_NODE_GUID] = "node-guid",
        [VF_ATTR_PORT_GUID] = "port-guid",
        [VF_ATTR_HW_ADDR] = "hw-addr",
        [VF_ATTR_ROCE] = "roce",
        [VF_ATTR_MIGRATABLE] = "migratable",
        [VF_ATTR_FN_STATE] = "fn-state",
    };

    if ((unsigned)attr >= VF_ATTR__COUNT)
        return "?";
    return names[attr];
}

const char *
vf_esw_mode_str(int mode)
{
    switch (mode) {
    case VF_ESW_LEGACY: return "legacy";
    case VF_ESW_SWITCHDEV: return "switchdev";
    default: return "unknown";
    }
}

const char *
vf_link_state_str(uint32_t state)
{
    switch (state) {
    case VF_STATE_AUTO: return "auto";
    case VF_STATE_ENABLE: return "enable";
    case VF_STATE_DISABLE: return "disable";
    default: return "?";
    }
}

void
vf_backend_close(struct vf_backend *be)
{
    if (be != NULL && be->ops->close != NULL)
        be->ops->close(be);
}
