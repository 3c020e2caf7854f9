/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "vf_fs.h"
#include "vf_ibv.h"

int
vf_ibv_parse_sysfs_guid(const char *text, uint64_t *guid)
{
    uint64_t v = 0;
    unsigned digits = 0;
    size_t len = strlen(text);
    /* a GID is 16 bytes: the GUID is its last 8, i.e. the last 4 groups */
    const char *p = len > 19 ? text + len - 19 : text;

    for (; *p != '\0'; p++) {
        const char *hex = "0123456789abcdef";
        const char *h;

        if (*p == ':')
            continue;
        h = *p != '\0' ? strchr(hex, tolower((unsigned char)*p)) : NULL;
        if (h == NULL)
            return -EINVAL;
        v = v << 4 | (uint64_t)(h - hex);
        digits++;
    }
    if (digits != 16)
        return -EINVAL;
    *guid = v;
    return 0;
}

int
vf_ibv_lookup_sysfs(const char *devdir, struct vf_rdma *out)
{
    char path[PATH_MAX];
    char text[64];
    DIR *d;
    struct dirent *de;
    int rc = -ENOENT;

    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "%s/infiniband", devdir);
    d = opendir(path);
    if (d == NULL)
        return -ENOENT;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(out->name))
            continue;
        strcpy(out->name, de->d_name);
        snprintf(path, sizeof(path), "%s/infiniband/%s/node_guid", devdir,
                 de->d_name);
        if (vf_fs_read(path, text, sizeof(text)) == 0)
            vf_ibv_parse_sysfs_guid(text, &out->node_guid);
        snprintf(path, sizeof(path), "%s/infiniband/%s/ports/1/gids/0",
                 devdir, de->d_name);
        if (vf_fs_read(path, text, sizeof(text)) == 0)
            vf_ibv_parse_sysfs_guid(text, &out->port_guid);
        rc = 0;
        break;
    }
    closedir(d);
    return rc;
}

static void
vf_ibv_port_guid(struct ibv_device *dev, uint64_t *guid)
{
    struct ibv_context *ctx = ibv_open_device(dev);
    union ibv_gid gid;

    if (ctx == NULL)
        return;
    if (ibv_query_gid(ctx, 1, 0, &gid) == 0)
        *guid = be64toh(gid.global.interface_id);
    ibv_close_device(ctx);
}

int
vf_ibv_lookup_verbs(const char *pci, struct vf_rdma *out)
{
    struct ibv_device **list;
    int n = 0;
    int rc = -ENOENT;

    memset(out, 0, sizeof(*out));
    list = ibv_get_device_list(&n);
    if (list == NULL)
        return -ENOENT;             /* no RDMA stack: no RDMA device */
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        char base[64];

        snprintf(path, sizeof(path), "%s/device", list[i]->ibdev_path);
        if (vf_fs_link_base(path, base, sizeof(base)) < 0 ||
            strcmp(base, pci) != 0)
            continue;
        snprintf(out->name, sizeof(out->name), "%s",
                 ibv_get_device_name(list[i]));
        out->node_guid = be64toh(ibv_get_device_guid(list[i]));
        vf_ibv_port_guid(list[i], &out->port_guid);
        rc = 0;
        break;
    }
    ibv_free_device_list(list);
    return rc;
}
