/* SPDX-License-Identifier: BSD-3-Clause */
/* VF attribute parsing and validation (see vf_parse.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>

#include "vf_parse.h"

static int
vf_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int
vf_check_mac(const uint8_t mac[6], const char *text, struct vf_err *err)
{
    if (mac[0] & 1) {
        vf_err_set(err, "mac %s: multicast address (low bit of the first "
                   "byte set); a VF needs a unicast MAC such as "
                   "02:00:00:00:00:01", text);
        return -EINVAL;
    }
    /* all-zero is accepted: drivers read it as "clear the admin MAC" */
    return 0;
}

int
vf_parse_mac(const char *s, uint8_t mac[6], struct vf_err *err)
{
    const char *p = s;

    for (int i = 0; i < 6; i++) {
        int hi = vf_hexval((unsigned char)p[0]);
        int lo = hi < 0 ? -1 : vf_hexval((unsigned char)p[1]);

        if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':') ||
            (i == 5 && p[2] != '\0')) {
            vf_err_set(err, "mac %s: malformed MAC address (expected six "
                       "hex bytes separated by colons, e.g. "
                       "02:00:00:00:00:01)", s);
            return -EINVAL;
        }
        mac[i] = (uint8_t)(hi << 4 | lo);
        p += 3;
    }
    return vf_check_mac(mac, s, err);
}

static int
vf_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || !isdigit((unsigned char)s[0]))
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -EINVAL;
    if (v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int
vf_check_vlan(long vlan, struct vf_err *err)
{
    if (vlan < 0 || vlan > 4094) {
        vf_err_set(err, "vlan %ld: out of range (0-4094; 0 removes the "
                   "VLAN, 4095 is reserved)", vlan);
        return -ERANGE;
    }
    return 0;
}

int
vf_check_qos(long qos, struct vf_err *err)
{
    if (qos < 0 || qos > 7) {
        vf_err_set(err, "qos %ld: out of range (802.1p priority 0-7)", qos);
        return -ERANGE;
    }
    return 0;
}

int
vf_parse_vlan(const char *s, uint16_t *vlan, struct vf_err *err)
{
    unsigned long v;
    int rc = vf_parse_ulong(s, 1ul << 30, &v);

    if (rc < 0) {
        vf_err_set(err, "vlan %s: not a number (expected a VLAN id 0-4094)",
                   s);
        return -EINVAL;
    }
    rc = vf_check_vlan((long)v, err);
    if (rc < 0)
        return rc;
    *vlan = (uint16_t)v;
    return 0;
}

int
vf_parse_qos(const char *s, uint8_t *qos, struct vf_err *err)
{
    unsigned long v;
    int rc = vf_parse_ulong(s, 1ul << 30, &v);

    if (rc < 0) {
        vf_err_set(err, "qos %s: not a number (expected a priority 0-7)", s);
        return -EINVAL;
    }
    rc = vf_check_qos((long)v, err);
    if (rc < 0)
        return rc;
    *qos = (uint8_t)v;
    return 0;
}

int
vf_parse_proto(const char *s, uint16_t *proto, struct vf_err *err)
{
    if (strcasecmp(s, "802.1Q") == 0) {
        *proto = ETH_P_8021Q;
        return 0;
    }
    if (strcasecmp(s, "802.1ad") == 0) {
        *proto = ETH_P_8021AD;
        return 0;
    }
    vf_err_set(err, "proto %s: unknown VLAN protocol (expected 802.1Q or "
               "802.1ad)", s);
    return -EINVAL;
}

int
vf_parse_onoff(const char *s, bool *on, struct vf_err *err)
{
    if (strcmp(s, "on") == 0) {
        *on = true;
        return 0;
    }
    if (strcmp(s, "off") == 0) {
        *on = false;
        return 0;
    }
    vf_err_set(err, "%s: expected on or off", s);
    return -EINVAL;
}

int
vf_parse_state(const char *s, uint32_t *state, struct vf_err *err)
{
    static const char *const names[] = { "auto", "enable", "disable" };

    for (uint32_t i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *state = i;
            return 0;
        }
    }
    vf_err_set(err, "state %s: expected auto, enable or disable", s);
    return -EINVAL;
}

int
vf_parse_rate(const char *s, uint32_t *rate, struct vf_err *err)
{
    unsigned long v;

    if (vf_parse_ulong(s, UINT32_MAX, &v) < 0) {
        vf_err_set(err, "rate %s: expected a rate in Mbit/s (0-%u)", s,
                   UINT32_MAX);
        return -EINVAL;
    }
    *rate = (uint32_t)v;
    return 0;
}

int
vf_parse_guid(const char *s, uint64_t *guid, struct vf_err *err)
{
    uint64_t v = 0;
    unsigned digits = 0;

    /* accept 8 colon-separated bytes, 4 groups of 4, or 0x + 16 digits */
    const char *p = s;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    for (; *p != '\0'; p++) {
        int h;

        if (*p == ':')
            continue;
        h = vf_hexval((unsigned char)*p);
        if (h < 0 || digits == 16)
            goto malformed;
        v = v << 4 | (uint64_t)h;
        digits++;
    }
    if (digits != 16)
        goto malformed;
    *guid = v;
    return 0;
malformed:
    vf_err_set(err, "guid %s: malformed GUID (expected 8 bytes, e.g. "
               "00:11:22:33:44:55:66:77)", s);
    return -EINVAL;
}

int
vf_parse_index(const char *s, unsigned *index, struct vf_err *err)
{
    unsigned long v;

    if (vf_parse_ulong(s, VF_MAX_VFS - 1, &v) < 0) {
        vf_err_set(err, "VF index %s: expected a number 0-%d", s,
                   VF_MAX_VFS - 1);
        return -EINVAL;
    }
    *index = (unsigned)v;
    return 0;
}

int
vf_parse_fn_state(const char *s, uint32_t *state, struct vf_err *err)
{
    if (strcmp(s, "inactive") == 0) {
        *state = VF_FN_INACTIVE;
        return 0;
    }
    if (strcmp(s, "active") == 0) {
        *state = VF_FN_ACTIVE;
        return 0;
    }
    vf_err_set(err, "fn-state %s: expected active or inactive", s);
    return -EINVAL;
}

static int
vf_once(uint32_t *seen, unsigned bit, const char *kw, struct vf_err *err)
{
    if (*seen & (1u << bit)) {
        vf_err_set(err, "%s given twice", kw);
        return -EINVAL;
    }
    *seen |= 1u << bit;
    return 0;
}

enum { KW_MAC, KW_VLAN, KW_QOS, KW_PROTO, KW_SPOOF, KW_TRUST, KW_STATE,
       KW_MIN, KW_MAX, KW_NODE, KW_PORT, KW_HWADDR, KW_ROCE, KW_MIGR,
       KW_FNSTATE, KW__COUNT };

int
vf_parse_set_args(int argc, char **argv, struct vf_settings *out,
                  struct vf_err *err)
{
    static const char *const kws[KW__COUNT] = {
        "mac", "vlan", "qos", "proto", "spoofchk", "trust", "state",
        "min-rate", "max-rate", "node-guid", "port-guid", "hw-addr",
        "roce", "migratable", "fn-state",
    };
    uint32_t seen = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    out->proto = ETH_P_8021Q;
    if (argc == 0) {
        vf_err_set(err, "nothing to set (expected mac, vlan, qos, proto, "
                   "spoofchk, trust, state, min-rate, max-rate, node-guid, "
                   "port-guid, hw-addr, roce, migratable or fn-state)");
        return -EINVAL;
    }
    for (int i = 0; i < argc; i += 2) {
        const char *kw = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int k;

        for (k = 0; k < KW__COUNT; k++)
            if (strcmp(kw, kws[k]) == 0)
                break;
        if (k == KW__COUNT) {
            vf_err_set(err, "%s: unknown attribute (expected mac, vlan, qos, "
                       "proto, spoofchk, trust, state, min-rate, max-rate, "
                       "node-guid, port-guid, hw-addr, roce, migratable or "
                       "fn-state)", kw);
            return -EINVAL;
        }
        if (val == NULL) {
            vf_err_set(err, "%s: missing value", kw);
            return -EINVAL;
        }
        rc = vf_once(&seen, (unsigned)k, kw, err);
        if (rc < 0)
            return rc;
        switch (k) {
        case KW_MAC:
            rc = vf_parse_mac(val, out->mac, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_MAC);
            break;
        case KW_VLAN:
            rc = vf_parse_vlan(val, &out->vlan, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_VLAN);
            break;
        case KW_QOS:
            rc = vf_parse_qos(val, &out->qos, err);
            break;
        case KW_PROTO:
            rc = vf_parse_proto(val, &out->proto, err);
            break;
        case KW_SPOOF:
            rc = vf_parse_onoff(val, &out->spoofchk, err);
            if (rc < 0)
                vf_err_prefix(err, "spoofchk ");
            out->mask |= VF_ATTR_BIT(VF_ATTR_SPOOFCHK);
            break;
        case KW_TRUST:
            rc = vf_parse_onoff(val, &out->trust, err);
            if (rc < 0)
                vf_err_prefix(err, "trust ");
            out->mask |= VF_ATTR_BIT(VF_ATTR_TRUST);
            break;
        case KW_STATE:
            rc = vf_parse_state(val, &out->state, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_STATE);
            break;
        case KW_MIN:
            rc = vf_parse_rate(val, &out->min_rate, err);
            out->rate_given |= VF_RATE_MIN;
            out->mask |= VF_ATTR_BIT(VF_ATTR_RATE);
            break;
        case KW_MAX:
            rc = vf_parse_rate(val, &out->max_rate, err);
            out->rate_given |= VF_RATE_MAX;
            out->mask |= VF_ATTR_BIT(VF_ATTR_RATE);
            break;
        case KW_NODE:
            rc = vf_parse_guid(val, &out->node_guid, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_NODE_GUID);
            break;
        case KW_PORT:
            rc = vf_parse_guid(val, &out->port_guid, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_PORT_GUID);
            break;
        case KW_HWADDR:
            rc = vf_parse_mac(val, out->hw_addr, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_HW_ADDR);
            break;
        case KW_ROCE:
            rc = vf_parse_onoff(val, &out->roce, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_ROCE);
            break;
        case KW_MIGR:
            rc = vf_parse_onoff(val, &out->migratable, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_MIGRATABLE);
            break;
        case KW_FNSTATE:
            rc = vf_parse_fn_state(val, &out->fn_state, err);
            out->mask |= VF_ATTR_BIT(VF_ATTR_FN_STATE);
            break;
        }
        if (rc < 0) {
            if (k == KW_MIN || k == KW_MAX || k == KW_NODE || k == KW_PORT)
                vf_err_prefix(err, "%s: ", kw);
            else if (k == KW_ROCE || k == KW_MIGR)
                vf_err_prefix(err, "%s ", kw);
            else if (k == KW_HWADDR)
                vf_err_prefix(err, "hw-addr: ");
            return rc;
        }
    }
    if ((seen & (1u << KW_QOS | 1u << KW_PROTO)) && !(seen & 1u << KW_VLAN)) {
        vf_err_set(err, "%s needs vlan (qos and proto apply to the VF's "
                   "VLAN; give vlan 0 qos Q for priority only)",
                   seen & 1u << KW_QOS ? "qos" : "proto");
        return -EINVAL;
    }
    return 0;
}

void
vf_settings_merge_rate(struct vf_settings *want, const struct vf_settings *cur)
{
    bool known = cur != NULL && (cur->mask & VF_ATTR_BIT(VF_ATTR_RATE));

    if (!(want->mask & VF_ATTR_BIT(VF_ATTR_RATE)))
        return;
    if (!(want->rate_given & VF_RATE_MIN))
        want->min_rate = known ? cur->min_rate : 0;
    if (!(want->rate_given & VF_RATE_MAX))
        want->max_rate = known ? cur->max_rate : 0;
}

int
vf_validate_for_dev(const struct vf_dev *dev, unsigned numvfs, unsigned vf,
                    const struct vf_settings *want,
                    const struct vf_settings *cur, struct vf_err *err)
{
    struct vf_settings s = *want;
    uint32_t cannot = dev->settable != 0 ? want->mask & ~dev->settable : 0;

    if (cannot != 0) {
        char can[160] = "";
        unsigned a = 0;

        while (!(cannot & VF_ATTR_BIT(a)))
            a++;
        for (unsigned b = 0; b < VF_ATTR__COUNT; b++)
            if (dev->settable & VF_ATTR_BIT(b))
                snprintf(can + strlen(can), sizeof(can) - strlen(can), "%s%s",
                         can[0] ? ", " : "", vf_attr_name((enum vf_attr)b));
        vf_err_set(err, "%s: %s (%s) cannot set it; it sets %s",
                   vf_attr_name((enum vf_attr)a), dev->name, dev->driver, can);
        return -EOPNOTSUPP;
    }
    if (dev->sriov_cap == 0) {
        vf_err_set(err, "%s has no SR-IOV capability (its device %s has "
                   "no sriov_totalvfs)", dev->name,
                   dev->pci[0] ? dev->pci : "?");
        return -EOPNOTSUPP;
    }
    if (dev->sriov_cap > 0 && vf >= numvfs) {
        if (numvfs == 0)
            vf_err_set(err, "VF index %u out of range: %s has no VFs "
                       "(create them first: snic-vf create %s N)", vf,
                       dev->name, dev->name);
        else
            vf_err_set(err, "VF index %u out of range: %s has %u VFs "
                       "(0-%u)", vf, dev->name, numvfs, numvfs - 1);
        return -ERANGE;
    }
    if (s.mask & VF_ATTR_BIT(VF_ATTR_RATE)) {
        vf_settings_merge_rate(&s, cur);
        if (dev->speed > 0 && s.max_rate > (uint64_t)dev->speed) {
            vf_err_set(err, "max-rate %u Mbit/s is above the link speed of "
                       "%s (%ld Mbit/s)", s.max_rate, dev->name, dev->speed);
            return -ERANGE;
        }
        if (dev->speed > 0 && s.min_rate > (uint64_t)dev->speed) {
            vf_err_set(err, "min-rate %u Mbit/s is above the link speed of "
                       "%s (%ld Mbit/s)", s.min_rate, dev->name, dev->speed);
            return -ERANGE;
        }
        if (s.max_rate != 0 && s.min_rate > s.max_rate) {
            vf_err_set(err, "min-rate %u Mbit/s is above max-rate %u Mbit/s%s",
                       s.min_rate, s.max_rate,
                       (want->rate_given & VF_RATE_MAX) ? "" :
                       " (the VF's current max-rate)");
            return -ERANGE;
        }
    }
    return 0;
}

const char *
vf_fmt_mac(const uint8_t mac[6], char *buf, size_t size)
{
    snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
             mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

const char *
vf_fmt_guid(uint64_t g, char *buf, size_t size)
{
    snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x",
             (unsigned)(g >> 56) & 0xff, (unsigned)(g >> 48) & 0xff,
             (unsigned)(g >> 40) & 0xff, (unsigned)(g >> 32) & 0xff,
             (unsigned)(g >> 24) & 0xff, (unsigned)(g >> 16) & 0xff,
             (unsigned)(g >> 8) & 0xff, (unsigned)g & 0xff);
    return buf;
}

const char *
vf_fmt_attr(enum vf_attr attr, const struct vf_settings *s, char *buf,
            size_t size)
{
    char tmp[32];

    switch (attr) {
    case VF_ATTR_MAC:
        snprintf(buf, size, "mac %s", vf_fmt_mac(s->mac, tmp, sizeof(tmp)));
        break;
    case VF_ATTR_VLAN:
        snprintf(buf, size, "vlan %u qos %u proto %s", s->vlan, s->qos,
                 s->proto == ETH_P_8021AD ? "802.1ad" : "802.1Q");
        break;
    case VF_ATTR_SPOOFCHK:
        snprintf(buf, size, "spoofchk %s", s->spoofchk ? "on" : "off");
        break;
    case VF_ATTR_TRUST:
        snprintf(buf, size, "trust %s", s->trust ? "on" : "off");
        break;
    case VF_ATTR_STATE:
        snprintf(buf, size, "state %s", vf_link_state_str(s->state));
        break;
    case VF_ATTR_RATE:
        snprintf(buf, size, "min-rate %u max-rate %u", s->min_rate,
                 s->max_rate);
        break;
    case VF_ATTR_NODE_GUID:
        snprintf(buf, size, "node-guid %s",
                 vf_fmt_guid(s->node_guid, tmp, sizeof(tmp)));
        break;
    case VF_ATTR_PORT_GUID:
        snprintf(buf, size, "port-guid %s",
                 vf_fmt_guid(s->port_guid, tmp, sizeof(tmp)));
        break;
    case VF_ATTR_HW_ADDR:
        snprintf(buf, size, "hw-addr %s",
                 vf_fmt_mac(s->hw_addr, tmp, sizeof(tmp)));
        break;
    case VF_ATTR_ROCE:
        snprintf(buf, size, "roce %s", s->roce ? "on" : "off");
        break;
    case VF_ATTR_MIGRATABLE:
        snprintf(buf, size, "migratable %s", s->migratable ? "on" : "off");
        break;
    case VF_ATTR_FN_STATE:
        snprintf(buf, size, "fn-state %s",
                 s->fn_state == VF_FN_ACTIVE ? "active" : "inactive");
        break;
    default:
        snprintf(buf, size, "?");
        break;
    }
    return buf;
}
