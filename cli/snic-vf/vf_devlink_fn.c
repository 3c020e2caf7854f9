/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devlink port function attributes of a VF: hw_addr, state and the
 * roce/migratable capabilities, set with DEVLINK_CMD_PORT_SET on the VF's
 * devlink port (flavour PCI_VF, found by the port dump) with one
 * DEVLINK_ATTR_PORT_FUNCTION nest. These ports exist on the eSwitch
 * manager in switchdev mode; no rtnetlink VF attribute reaches them.
 */
#include <errno.h>
#include <string.h>

#include <linux/devlink.h>
#include <linux/netlink.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "vf_devlink.h"

int
vf_devlink_build_port_fn(int family, const char *pci, uint32_t port_index,
                         const struct vf_settings *s, struct nl_msg **out)
{
    struct nla_bitfield32 caps = { 0, 0 };
    struct nlattr *fn;
    int rc;

    if (!(s->mask & VF_ATTR_DEVLINK_BITS))
        return -EINVAL;
    rc = vf_devlink_build(family, DEVLINK_CMD_PORT_SET, NLM_F_ACK, pci, out);
    if (rc < 0)
        return rc;
    if (nla_put_u32(*out, DEVLINK_ATTR_PORT_INDEX, port_index) < 0)
        goto free_msg;
    fn = nla_nest_start(*out, DEVLINK_ATTR_PORT_FUNCTION);
    if (fn == NULL)
        goto free_msg;
    if ((s->mask & VF_ATTR_BIT(VF_ATTR_HW_ADDR)) &&
        nla_put(*out, DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR, 6, s->hw_addr) < 0)
        goto free_msg;
    /* the selector names the capabilities changed, value their new state:
     * a capability not selected is left as the driver has it */
    if (s->mask & VF_ATTR_BIT(VF_ATTR_ROCE)) {
        caps.selector |= VF_DEVLINK_CAP_ROCE;
        caps.value |= s->roce ? VF_DEVLINK_CAP_ROCE : 0;
    }
    if (s->mask & VF_ATTR_BIT(VF_ATTR_MIGRATABLE)) {
        caps.selector |= VF_DEVLINK_CAP_MIGRATABLE;
        caps.value |= s->migratable ? VF_DEVLINK_CAP_MIGRATABLE : 0;
    }
    if (caps.selector != 0 &&
        nla_put(*out, VF_DEVLINK_FN_ATTR_CAPS, sizeof(caps), &caps) < 0)
        goto free_msg;
    if ((s->mask & VF_ATTR_BIT(VF_ATTR_FN_STATE)) &&
        nla_put_u8(*out, DEVLINK_PORT_FN_ATTR_STATE,
                   s->fn_state == VF_FN_ACTIVE ?
                   DEVLINK_PORT_FN_STATE_ACTIVE :
                   DEVLINK_PORT_FN_STATE_INACTIVE) < 0)
        goto free_msg;
    nla_nest_end(*out, fn);
    return 0;
free_msg:
    nlmsg_free(*out);
    *out = NULL;
    return -ENOMEM;
}

int
vf_devlink_build_port_hw_addr(int family, const char *pci, uint32_t port_index,
                              const uint8_t mac[6], struct nl_msg **out)
{
    struct vf_settings s = { .mask = VF_ATTR_BIT(VF_ATTR_HW_ADDR) };

    memcpy(s.hw_addr, mac, 6);
    return vf_devlink_build_port_fn(family, pci, port_index, &s, out);
}

void
vf_devlink_decode_port_fn(struct nlattr *nest, struct vf_devlink_port *p)
{
    struct nlattr *fn[VF_DEVLINK_FN_ATTR_MAX + 1];

    /* attributes newer than VF_DEVLINK_FN_ATTR_MAX are skipped by libnl */
    if (nla_parse_nested(fn, VF_DEVLINK_FN_ATTR_MAX, nest, NULL) < 0)
        return;
    if (fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR] != NULL &&
        nla_len(fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR]) == 6) {
        memcpy(p->hw_addr, nla_data(fn[DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR]),
               6);
        p->has_hw_addr = true;
    }
    if (fn[DEVLINK_PORT_FN_ATTR_STATE] != NULL &&
        nla_len(fn[DEVLINK_PORT_FN_ATTR_STATE]) >= 1) {
        p->fn_state = nla_get_u8(fn[DEVLINK_PORT_FN_ATTR_STATE]);
        p->has_fn_state = true;
    }
    if (fn[DEVLINK_PORT_FN_ATTR_OPSTATE] != NULL &&
        nla_len(fn[DEVLINK_PORT_FN_ATTR_OPSTATE]) >= 1) {
        p->fn_opstate = nla_get_u8(fn[DEVLINK_PORT_FN_ATTR_OPSTATE]);
        p->has_fn_opstate = true;
    }
    if (fn[VF_DEVLINK_FN_ATTR_CAPS] != NULL &&
        nla_len(fn[VF_DEVLINK_FN_ATTR_CAPS]) ==
        (int)sizeof(struct nla_bitfield32)) {
        struct nla_bitfield32 c;

        memcpy(&c, nla_data(fn[VF_DEVLINK_FN_ATTR_CAPS]), sizeof(c));
        /* the kernel reports every capability it knows, selector = value
         * bits that mean something; keep only the ones the driver has */
        p->caps_known = c.selector != 0 ? c.selector :
                        VF_DEVLINK_CAP_ROCE | VF_DEVLINK_CAP_MIGRATABLE;
        p->caps = c.value;
    }
}

void
vf_devlink_port_to_settings(const struct vf_devlink_port *p,
                            struct vf_settings *cur)
{
    if (p->has_hw_addr) {
        memcpy(cur->hw_addr, p->hw_addr, 6);
        cur->mask |= VF_ATTR_BIT(VF_ATTR_HW_ADDR);
    }
    if (p->has_fn_state) {
        cur->fn_state = p->fn_state == DEVLINK_PORT_FN_STATE_ACTIVE ?
                        VF_FN_ACTIVE : VF_FN_INACTIVE;
        cur->mask |= VF_ATTR_BIT(VF_ATTR_FN_STATE);
    }
    if (p->caps_known & VF_DEVLINK_CAP_ROCE) {
        cur->roce = (p->caps & VF_DEVLINK_CAP_ROCE) != 0;
        cur->mask |= VF_ATTR_BIT(VF_ATTR_ROCE);
    }
    if (p->caps_known & VF_DEVLINK_CAP_MIGRATABLE) {
        cur->migratable = (p->caps & VF_DEVLINK_CAP_MIGRATABLE) != 0;
        cur->mask |= VF_ATTR_BIT(VF_ATTR_MIGRATABLE);
    }
}

struct vf_fn_find {
    unsigned vf;
    bool found;
    struct vf_devlink_port port;
};

static void
vf_fn_find_port(const struct vf_devlink_port *p, void *arg)
{
    struct vf_fn_find *f = arg;

    if (!f->found && p->flavour == DEVLINK_PORT_FLAVOUR_PCI_VF &&
        p->vf >= 0 && (unsigned)p->vf == f->vf) {
        f->port = *p;
        f->found = true;
    }
}

int
vf_devlink_port_fn_set(struct vf_devlink *dl, const char *pci, unsigned vf,
                       const struct vf_settings *s, struct vf_err *err)
{
    struct vf_fn_find f = { .vf = vf };
    struct nl_msg *msg = NULL;
    int rc = vf_devlink_ports(dl, pci, vf_fn_find_port, &f, err);

    if (rc < 0)
        return rc;
    if (!f.found) {
        vf_err_set(err, "pci/%s has no devlink port for VF %u (port "
                   "functions exist on the eSwitch manager in switchdev "
                   "mode: snic-vf create DEV N --switchdev)", pci, vf);
        return -ENODEV;
    }
    rc = vf_devlink_build_port_fn(vf_devlink_family(dl), pci, f.port.index, s,
                                  &msg);
    if (rc < 0) {
        vf_err_set(err, "cannot build the devlink request (%s)",
                   strerror(-rc));
        return rc;
    }
    rc = vf_devlink_transact(dl, msg, err);
    nlmsg_free(msg);
    if (rc < 0)
        vf_err_prefix(err, "devlink port function set pci/%s/%u: ", pci,
                      f.port.index);
    return rc;
}
