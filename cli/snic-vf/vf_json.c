/* SPDX-License-Identifier: BSD-3-Clause */
/* list --json output and apply-file validation (see vf_json.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>

#include "vf_json.h"
#include "vf_parse.h"

static json_t *
vf_json_str_or_null(const char *s)
{
    return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
vf_json_vf(const struct vf_info *vi)
{
    const struct vf_settings *c = &vi->cur;
    char buf[32];
    json_t *o = json_object();

    json_object_set_new(o, "index", json_integer(vi->index));
    json_object_set_new(o, "pci", vf_json_str_or_null(vi->pci));
    json_object_set_new(o, "netdev", vf_json_str_or_null(vi->netdev));
    json_object_set_new(o, "driver", vf_json_str_or_null(vi->driver));
#define VF_KNOWN(a) (c->mask & VF_ATTR_BIT(a))
    json_object_set_new(o, "mac", VF_KNOWN(VF_ATTR_MAC) ?
                        json_string(vf_fmt_mac(c->mac, buf, sizeof(buf))) :
                        json_null());
    json_object_set_new(o, "vlan", VF_KNOWN(VF_ATTR_VLAN) ?
                        json_integer(c->vlan) : json_null());
    json_object_set_new(o, "qos", VF_KNOWN(VF_ATTR_VLAN) ?
                        json_integer(c->qos) : json_null());
    json_object_set_new(o, "vlan_proto", VF_KNOWN(VF_ATTR_VLAN) ?
                        json_string(c->proto == ETH_P_8021AD ? "802.1ad" :
                                    "802.1Q") : json_null());
    json_object_set_new(o, "spoofchk", VF_KNOWN(VF_ATTR_SPOOFCHK) ?
                        json_boolean(c->spoofchk) : json_null());
    json_object_set_new(o, "trust", VF_KNOWN(VF_ATTR_TRUST) ?
                        json_boolean(c->trust) : json_null());
    json_object_set_new(o, "state", VF_KNOWN(VF_ATTR_STATE) ?
                        json_string(vf_link_state_str(c->state)) :
                        json_null());
    json_object_set_new(o, "min_rate", VF_KNOWN(VF_ATTR_RATE) ?
                        json_integer(c->min_rate) : json_null());
    json_object_set_new(o, "max_rate", VF_KNOWN(VF_ATTR_RATE) ?
                        json_integer(c->max_rate) : json_null());
    json_object_set_new(o, "hw_addr", VF_KNOWN(VF_ATTR_HW_ADDR) ?
                        json_string(vf_fmt_mac(c->hw_addr, buf, sizeof(buf))) :
                        json_null());
    json_object_set_new(o, "roce", VF_KNOWN(VF_ATTR_ROCE) ?
                        json_boolean(c->roce) : json_null());
    json_object_set_new(o, "migratable", VF_KNOWN(VF_ATTR_MIGRATABLE) ?
                        json_boolean(c->migratable) : json_null());
    json_object_set_new(o, "fn_state", VF_KNOWN(VF_ATTR_FN_STATE) ?
                        json_string(c->fn_state == VF_FN_ACTIVE ? "active" :
                                    "inactive") : json_null());
#undef VF_KNOWN
    json_object_set_new(o, "representor", vf_json_str_or_null(vi->representor));
    json_object_set_new(o, "rdma_device", vf_json_str_or_null(vi->rdma));
    json_object_set_new(o, "node_guid", vi->rdma[0] ?
                        json_string(vf_fmt_guid(vi->rdma_node_guid, buf,
                                                sizeof(buf))) : json_null());
    json_object_set_new(o, "port_guid", vi->rdma[0] ?
                        json_string(vf_fmt_guid(vi->rdma_port_guid, buf,
                                                sizeof(buf))) : json_null());
    return o;
}

json_t *
vf_json_host(const struct vf_host *host)
{
    json_t *root = json_object();
    json_t *devs = json_array();

    for (unsigned i = 0; i < host->ndevs; i++) {
        const struct vf_dev *d = &host->devs[i];
        json_t *o = json_object();
        json_t *vfs = json_array();

        json_object_set_new(o, "name", json_string(d->name));
        json_object_set_new(o, "pci", vf_json_str_or_null(d->pci));
        json_object_set_new(o, "driver", vf_json_str_or_null(d->driver));
        json_object_set_new(o, "eswitch_mode", d->esw_mode == VF_ESW_UNKNOWN ?
                            json_null() :
                            json_string(vf_esw_mode_str(d->esw_mode)));
        json_object_set_new(o, "num_vfs", json_integer(d->numvfs));
        json_object_set_new(o, "total_vfs", json_integer(d->totalvfs));
        json_object_set_new(o, "switch_id", vf_json_str_or_null(d->switch_id));
        json_object_set_new(o, "speed", d->speed > 0 ?
                            json_integer(d->speed) : json_null());
        for (unsigned v = 0; v < d->nvfs; v++)
            json_array_append_new(vfs, vf_json_vf(&d->vfs[v]));
        json_object_set_new(o, "vfs", vfs);
        json_array_append_new(devs, o);
    }
    json_object_set_new(root, "devices", devs);
    return root;
}

/* ---- apply file validation ------------------------------------------- */

static int
vf_check_keys(json_t *obj, const char *path, const char *const *allowed,
              const char *expect, struct vf_err *err)
{
    const char *key;
    json_t *val;

    json_object_foreach(obj, key, val) {
        bool ok = false;

        for (unsigned i = 0; allowed[i] != NULL; i++)
            ok |= strcmp(allowed[i], key) == 0;
        if (!ok) {
            vf_err_set(err, "%s: unknown key \"%s\" (expected %s)", path, key,
                       expect);
            return -EINVAL;
        }
    }
    return 0;
}

static int
vf_get_int(json_t *obj, const char *key, const char *path, long long min,
           long long max, long long *out, struct vf_err *err)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL)
        return 0;
    if (!json_is_integer(v)) {
        vf_err_set(err, "%s.%s: expected an integer", path, key);
        return -EINVAL;
    }
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        vf_err_set(err, "%s.%s: %" JSON_INTEGER_FORMAT " is out of range "
                   "(%lld-%lld)", path, key, json_integer_value(v), min, max);
        return -ERANGE;
    }
    *out = json_integer_value(v);
    return 1;
}

static int
vf_get_str(json_t *obj, const char *key, const char *path, const char **out,
           struct vf_err *err)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL)
        return 0;
    if (!json_is_string(v)) {
        vf_err_set(err, "%s.%s: expected a string", path, key);
        return -EINVAL;
    }
    *out = json_string_value(v);
    return 1;
}

static int
vf_get_bool(json_t *obj, const char *key, const char *path, bool *out,
            struct vf_err *err)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL)
        return 0;
    if (!json_is_boolean(v)) {
        vf_err_set(err, "%s.%s: expected true or false", path, key);
        return -EINVAL;
    }
    *out = json_is_true(v);
    return 1;
}

/* Run a vf_parse_* helper on a string value; its text explains why. */
#define VF_STR_ATTR(key, parse, dst, bit)                                   \
    do {                                                                    \
        rc = vf_get_str(o, key, wv->path, &str, err);                       \
        if (rc < 0)                                                         \
            return rc;                                                      \
        if (rc > 0) {                                                       \
            rc = parse(str, dst, err);                                      \
            if (rc < 0) {                                                   \
                vf_err_prefix(err, "%s.%s: ", wv->path, key);               \
                return rc;                                                  \
            }                                                               \
            wv->s.mask |= (bit);                                            \
        }                                                                   \
    } while (0)

static int
vf_json_vf_want(json_t *o, struct vf_want_vf *wv, struct vf_err *err)
{
    static const char *const keys[] = {
        "index", "mac", "vlan", "qos", "vlan_proto", "spoofchk", "trust",
        "state", "min_rate", "max_rate", "node_guid", "port_guid", "driver",
        "hw_addr", "roce", "migratable", "fn_state", NULL,
    };
    const char *str;
    long long v;
    int rc;

    if (!json_is_object(o)) {
        vf_err_set(err, "%s: expected an object", wv->path);
        return -EINVAL;
    }
    rc = vf_check_keys(o, wv->path, keys, "index, mac, vlan, qos, vlan_proto, "
                       "spoofchk, trust, state, min_rate, max_rate, node_guid, "
                       "port_guid, driver, hw_addr, roce, migratable or "
                       "fn_state", err);
    if (rc < 0)
        return rc;
    wv->s.proto = ETH_P_8021Q;
    rc = vf_get_int(o, "index", wv->path, 0, VF_MAX_VFS - 1, &v, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        vf_err_set(err, "%s: \"index\" is required", wv->path);
        return -EINVAL;
    }
    wv->index = (unsigned)v;
    VF_STR_ATTR("mac", vf_parse_mac, wv->s.mac, VF_ATTR_BIT(VF_ATTR_MAC));
    rc = vf_get_int(o, "vlan", wv->path, 0, 4094, &v, err);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        wv->s.vlan = (uint16_t)v;
        wv->s.mask |= VF_ATTR_BIT(VF_ATTR_VLAN);
    }
    rc = vf_get_int(o, "qos", wv->path, 0, 7, &v, err);
    if (rc < 0)
        return rc;
    if (rc > 0 || json_object_get(o, "vlan_proto") != NULL) {
        if (!(wv->s.mask & VF_ATTR_BIT(VF_ATTR_VLAN))) {
            vf_err_set(err, "%s: %s needs \"vlan\"", wv->path,
                       rc > 0 ? "\"qos\"" : "\"vlan_proto\"");
            return -EINVAL;
        }
        if (rc > 0)
            wv->s.qos = (uint8_t)v;
    }
    VF_STR_ATTR("vlan_proto", vf_parse_proto, &wv->s.proto, 0);
    rc = vf_get_bool(o, "spoofchk", wv->path, &wv->s.spoofchk, err);
    if (rc < 0)
        return rc;
    wv->s.mask |= rc > 0 ? VF_ATTR_BIT(VF_ATTR_SPOOFCHK) : 0;
    rc = vf_get_bool(o, "trust", wv->path, &wv->s.trust, err);
    if (rc < 0)
        return rc;
    wv->s.mask |= rc > 0 ? VF_ATTR_BIT(VF_ATTR_TRUST) : 0;
    VF_STR_ATTR("state", vf_parse_state, &wv->s.state,
                VF_ATTR_BIT(VF_ATTR_STATE));
    rc = vf_get_int(o, "min_rate", wv->path, 0, UINT32_MAX, &v, err);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        wv->s.min_rate = (uint32_t)v;
        wv->s.rate_given |= VF_RATE_MIN;
        wv->s.mask |= VF_ATTR_BIT(VF_ATTR_RATE);
    }
    rc = vf_get_int(o, "max_rate", wv->path, 0, UINT32_MAX, &v, err);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        wv->s.max_rate = (uint32_t)v;
        wv->s.rate_given |= VF_RATE_MAX;
        wv->s.mask |= VF_ATTR_BIT(VF_ATTR_RATE);
    }
    VF_STR_ATTR("node_guid", vf_parse_guid, &wv->s.node_guid,
                VF_ATTR_BIT(VF_ATTR_NODE_GUID));
    VF_STR_ATTR("port_guid", vf_parse_guid, &wv->s.port_guid,
                VF_ATTR_BIT(VF_ATTR_PORT_GUID));
    VF_STR_ATTR("hw_addr", vf_parse_mac, wv->s.hw_addr,
                VF_ATTR_BIT(VF_ATTR_HW_ADDR));
    rc = vf_get_bool(o, "roce", wv->path, &wv->s.roce, err);
    if (rc < 0)
        return rc;
    wv->s.mask |= rc > 0 ? VF_ATTR_BIT(VF_ATTR_ROCE) : 0;
    rc = vf_get_bool(o, "migratable", wv->path, &wv->s.migratable, err);
    if (rc < 0)
        return rc;
    wv->s.mask |= rc > 0 ? VF_ATTR_BIT(VF_ATTR_MIGRATABLE) : 0;
    VF_STR_ATTR("fn_state", vf_parse_fn_state, &wv->s.fn_state,
                VF_ATTR_BIT(VF_ATTR_FN_STATE));
    rc = vf_get_str(o, "driver", wv->path, &str, err);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        if (strlen(str) >= sizeof(wv->driver) || strchr(str, '/') != NULL) {
            vf_err_set(err, "%s.driver: \"%s\" is not a driver name",
                       wv->path, str);
            return -EINVAL;
        }
        wv->has_driver = true;
        /* "default" hands the VF back to whatever driver matches it */
        snprintf(wv->driver, sizeof(wv->driver), "%s",
                 strcmp(str, "default") == 0 ? "" : str);
    }
    return 0;
}

static int
vf_json_dev_want(json_t *o, struct vf_want_dev *wd, struct vf_err *err)
{
    static const char *const keys[] = {
        "name", "num_vfs", "eswitch_mode", "vfs", NULL,
    };
    const char *str;
    json_t *vfs;
    long long v;
    int rc;

    if (!json_is_object(o)) {
        vf_err_set(err, "%s: expected an object", wd->path);
        return -EINVAL;
    }
    rc = vf_check_keys(o, wd->path, keys, "name, num_vfs, eswitch_mode or "
                       "vfs", err);
    if (rc < 0)
        return rc;
    rc = vf_get_str(o, "name", wd->path, &str, err);
    if (rc < 0)
        return rc;
    if (rc == 0 || str[0] == '\0') {
        vf_err_set(err, "%s: \"name\" (the PF's netdev) is required",
                   wd->path);
        return -EINVAL;
    }
    if (strlen(str) >= sizeof(wd->name)) {
        vf_err_set(err, "%s.name: %zu characters; a device name has at most "
                   "%zu", wd->path, strlen(str), sizeof(wd->name) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(wd->name, str);
    wd->num_vfs = -1;
    rc = vf_get_int(o, "num_vfs", wd->path, 0, VF_MAX_VFS, &v, err);
    if (rc < 0)
        return rc;
    if (rc > 0)
        wd->num_vfs = (int)v;
    wd->esw_mode = VF_ESW_UNKNOWN;
    rc = vf_get_str(o, "eswitch_mode", wd->path, &str, err);
    if (rc < 0)
        return rc;
    if (rc > 0) {
        if (strcmp(str, "legacy") == 0) {
            wd->esw_mode = VF_ESW_LEGACY;
        } else if (strcmp(str, "switchdev") == 0) {
            wd->esw_mode = VF_ESW_SWITCHDEV;
        } else {
            vf_err_set(err, "%s.eswitch_mode: \"%s\" (expected legacy or "
                       "switchdev)", wd->path, str);
            return -EINVAL;
        }
    }
    vfs = json_object_get(o, "vfs");
    if (vfs == NULL)
        return 0;
    if (!json_is_array(vfs)) {
        vf_err_set(err, "%s.vfs: expected an array", wd->path);
        return -EINVAL;
    }
    wd->nvfs = (unsigned)json_array_size(vfs);
    wd->vfs = calloc(wd->nvfs ? wd->nvfs : 1, sizeof(*wd->vfs));
    if (wd->vfs == NULL)
        return -ENOMEM;
    for (unsigned i = 0; i < wd->nvfs; i++) {
        struct vf_want_vf *wv = &wd->vfs[i];

        snprintf(wv->path, sizeof(wv->path), "%s.vfs[%u]", wd->path, i);
        rc = vf_json_vf_want(json_array_get(vfs, i), wv, err);
        if (rc < 0)
            return rc;
        for (unsigned j = 0; j < i; j++) {
            if (wd->vfs[j].index == wv->index) {
                vf_err_set(err, "%s.index: VF %u is already described by "
                           "%s", wv->path, wv->index, wd->vfs[j].path);
                return -EINVAL;
            }
        }
    }
    return 0;
}

int
vf_json_to_want(json_t *root, struct vf_want *want, struct vf_err *err)
{
    static const char *const keys[] = { "devices", NULL };
    json_t *devs;
    int rc;

    memset(want, 0, sizeof(*want));
    if (!json_is_object(root)) {
        vf_err_set(err, "top level: expected an object with \"devices\"");
        return -EINVAL;
    }
    rc = vf_check_keys(root, "top level", keys, "devices", err);
    if (rc < 0)
        return rc;
    devs = json_object_get(root, "devices");
    if (!json_is_array(devs)) {
        vf_err_set(err, "devices: required, and must be an array");
        return -EINVAL;
    }
    want->ndevs = (unsigned)json_array_size(devs);
    want->devs = calloc(want->ndevs ? want->ndevs : 1, sizeof(*want->devs));
    if (want->devs == NULL)
        return -ENOMEM;
    for (unsigned i = 0; i < want->ndevs; i++) {
        struct vf_want_dev *wd = &want->devs[i];

        snprintf(wd->path, sizeof(wd->path), "devices[%u]", i);
        rc = vf_json_dev_want(json_array_get(devs, i), wd, err);
        for (unsigned j = 0; rc == 0 && j < i; j++) {
            if (strcmp(want->devs[j].name, wd->name) == 0) {
                vf_err_set(err, "%s.name: %s is already described by %s",
                           wd->path, wd->name, want->devs[j].path);
                rc = -EINVAL;
            }
        }
        if (rc < 0) {
            vf_want_clear(want);
            return rc;
        }
    }
    return 0;
}

static bool
vf_is_yaml_name(const char *path)
{
    const char *dot = strrchr(path, '.');

    return dot != NULL && (strcmp(dot, ".yaml") == 0 ||
                           strcmp(dot, ".yml") == 0);
}

int
vf_json_parse_want(const char *name, const char *data, size_t size,
                   bool yaml, struct vf_want *want, struct vf_err *err)
{
    json_error_t jerr;
    json_t *root;
    int rc;

    memset(want, 0, sizeof(*want));
    if (yaml) {
        root = vf_yaml_parse(name, data, size, err);
        if (root == NULL)
            return -EINVAL;
    } else {
        root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
        if (root == NULL) {
            vf_err_set(err, "%s:%d:%d: not valid JSON: %s%s", name,
                       jerr.line, jerr.column, jerr.text,
                       vf_json_have_yaml() ? "" :
                       " (YAML files need a build with libyaml)");
            return -EINVAL;
        }
    }
    rc = vf_json_to_want(root, want, err);
    json_decref(root);
    if (rc < 0)
        vf_err_prefix(err, "%s: ", name);
    return rc;
}

/* A layout file is small; anything bigger is a mistake, not a layout. */
#define VF_APPLY_FILE_MAX (16u << 20)

int
vf_json_load_want(const char *path, struct vf_want *want, struct vf_err *err)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t size = 0, cap = 0, n;
    int rc;

    memset(want, 0, sizeof(*want));
    if (f == NULL) {
        vf_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return -errno;
    }
    for (;;) {
        if (size == cap) {
            char *bigger;

            if (cap >= VF_APPLY_FILE_MAX) {
                vf_err_set(err, "%s: larger than %u MiB: not a layout file",
                           path, VF_APPLY_FILE_MAX >> 20);
                rc = -EFBIG;
                goto free_data;
            }
            cap = cap ? cap * 2 : 4096;
            bigger = realloc(data, cap);
            if (bigger == NULL) {
                rc = -ENOMEM;
                goto free_data;
            }
            data = bigger;
        }
        n = fread(data + size, 1, cap - size, f);
        size += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        vf_err_set(err, "%s: read error: %s", path, strerror(errno));
        rc = -EIO;
        goto free_data;
    }
    rc = vf_json_parse_want(path, data, size, vf_is_yaml_name(path), want,
                            err);
free_data:
    free(data);
    fclose(f);
    return rc;
}

int
vf_want_check(const struct vf_want *want, struct vf_err *err)
{
    const uint32_t all = (1u << VF_ATTR__COUNT) - 1;

    for (unsigned i = 0; i < want->ndevs; i++) {
        const struct vf_want_dev *d = &want->devs[i];

        if (d->name[0] == '\0' || memchr(d->name, '\0', VF_NAME_MAX) == NULL) {
            vf_err_set(err, "devices[%u]: empty or unterminated name", i);
            return -EINVAL;
        }
        for (unsigned j = 0; j < i; j++)
            if (strcmp(want->devs[j].name, d->name) == 0) {
                vf_err_set(err, "devices[%u]: name %s twice", i, d->name);
                return -EINVAL;
            }
        if (d->num_vfs < -1 || d->num_vfs > VF_MAX_VFS ||
            (d->esw_mode != VF_ESW_UNKNOWN && d->esw_mode != VF_ESW_LEGACY &&
             d->esw_mode != VF_ESW_SWITCHDEV) ||
            (d->nvfs > 0 && d->vfs == NULL)) {
            vf_err_set(err, "devices[%u]: num_vfs %d / mode %d / vfs out of "
                       "range", i, d->num_vfs, d->esw_mode);
            return -EINVAL;
        }
        for (unsigned k = 0; k < d->nvfs; k++) {
            const struct vf_want_vf *v = &d->vfs[k];
            const struct vf_settings *s = &v->s;

            for (unsigned m = 0; m < k; m++)
                if (d->vfs[m].index == v->index) {
                    vf_err_set(err, "devices[%u].vfs[%u]: index %u twice",
                               i, k, v->index);
                    return -EINVAL;
                }
            if (v->index >= VF_MAX_VFS || (s->mask & ~all) != 0 ||
                s->vlan > 4094 || s->qos > 7 ||
                (s->proto != ETH_P_8021Q && s->proto != ETH_P_8021AD) ||
                ((s->mask & VF_ATTR_BIT(VF_ATTR_MAC)) && (s->mac[0] & 1)) ||
                ((s->mask & VF_ATTR_BIT(VF_ATTR_HW_ADDR)) &&
                 (s->hw_addr[0] & 1)) ||
                s->state > VF_STATE_DISABLE || s->fn_state > VF_FN_ACTIVE ||
                (s->rate_given & ~(VF_RATE_MIN | VF_RATE_MAX)) != 0 ||
                ((s->rate_given != 0) !=
                 ((s->mask & VF_ATTR_BIT(VF_ATTR_RATE)) != 0)) ||
                (v->has_driver &&
                 (memchr(v->driver, '\0', VF_NAME_MAX) == NULL ||
                  strchr(v->driver, '/') != NULL))) {
                vf_err_set(err, "devices[%u].vfs[%u]: a value escaped "
                           "validation", i, k);
                return -EINVAL;
            }
        }
    }
    return 0;
}
