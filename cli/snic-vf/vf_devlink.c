/* SPDX-License-Identifier: BSD-3-Clause */
/* devlink eSwitch mode and port dump over generic netlink. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/devlink.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "vf_devlink.h"
#include "vf_nlsock.h"

struct vf_devlink {
    struct nl_sock *sk;
    int family;
};

int
vf_devlink_build(int family, uint8_t cmd, int flags, const char *pci,
                 struct nl_msg **out)
{
    struct nl_msg *msg = nlmsg_alloc();

    if (msg == NULL)
        return -ENOMEM;
    if (genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
                    NLM_F_REQUEST | flags, cmd, DEVLINK_GENL_VERSION) == NULL)
        goto free_msg;
    if (pci != NULL &&
        (nla_put_string(msg, DEVLINK_ATTR_BUS_NAME, "pci") < 0 ||
         nla_put_string(msg, DEVLINK_ATTR_DEV_NAME, pci) < 0))
        goto free_msg;
    *out = msg;
    return 0;
free_msg:
    nlmsg_free(msg);
    return -ENOMEM;
}

int
vf_devlink_build_eswitch_set(int family, const char *pci, int mode,
                             struct nl_msg **out)
{
    uint16_t m;
    int rc;

    if (mode == VF_ESW_LEGACY)
        m = DEVLINK_ESWITCH_MODE_LEGACY;
    else if (mode == VF_ESW_SWITCHDEV)
        m = DEVLINK_ESWITCH_MODE_SWITCHDEV;
    else
        return -EINVAL;
    rc = vf_devlink_build(family, DEVLINK_CMD_ESWITCH_SET, NLM_F_ACK, pci,
                          out);
    if (rc < 0)
        return rc;
    if (nla_put_u16(*out, DEVLINK_ATTR_ESWITCH_MODE, m) < 0) {
        nlmsg_free(*out);
        *out = NULL;
        return -ENOMEM;
    }
    return 0;
}

static int
vf_devlink_parse(struct nlmsghdr *hdr, struct nlattr **tb)
{
    if (!genlmsg_valid_hdr(hdr, 0))
        return -EPROTO;
    if (genlmsg_parse(hdr, 0, tb, DEVLINK_ATTR_MAX, NULL) < 0)
        return -EPROTO;
    return 0;
}

int
vf_devlink_decode_eswitch(struct nlmsghdr *hdr, int *mode)
{
    struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
    int rc = vf_devlink_parse(hdr, tb);

    if (rc < 0)
        return rc;
    if (tb[DEVLINK_ATTR_ESWITCH_MODE] == NULL)
        return -ENOENT;
    switch (nla_get_u16(tb[DEVLINK_ATTR_ESWITCH_MODE])) {
    case DEVLINK_ESWITCH_MODE_LEGACY:
        *mode = VF_ESW_LEGACY;
        break;
    case DEVLINK_ESWITCH_MODE_SWITCHDEV:
        *mode = VF_ESW_SWITCHDEV;
        break;
    default:
        *mode = VF_ESW_UNKNOWN;
        break;
    }
    return 0;
}

int
vf_devlink_decode_port(struct nlmsghdr *hdr, struct vf_devlink_port *p)
{
    struct nlattr *tb[DEVLINK_ATTR_MAX + 1];
    int rc = vf_devlink_parse(hdr, tb);

    memset(p, 0, sizeof(*p));
    p->flavour = p->pf = p->vf = -1;
    if (rc < 0)
        return rc;
    if (tb[DEVLINK_ATTR_BUS_NAME] != NULL)
        nla_strlcpy(p->bus, tb[DEVLINK_ATTR_BUS_NAME], sizeof(p->bus));
    if (tb[DEVLINK_ATTR_DEV_NAME] != NULL)
        nla_strlcpy(p->dev, tb[DEVLINK_ATTR_DEV_NAME], sizeof(p->dev));
    if (tb[DEVLINK_ATTR_PORT_INDEX] != NULL)
        p->index = nla_get_u32(tb[DEVLINK_ATTR_PORT_INDEX]);
    if (tb[DEVLINK_ATTR_PORT_FLAVOUR] != NULL)
        p->flavour = nla_get_u16(tb[DEVLINK_ATTR_PORT_FLAVOUR]);
    if (tb[DEVLINK_ATTR_PORT_PCI_PF_NUMBER] != NULL)
        p->pf = nla_get_u16(tb[DEVLINK_ATTR_PORT_PCI_PF_NUMBER]);
    if (tb[DEVLINK_ATTR_PORT_PCI_VF_NUMBER] != NULL)
        p->vf = nla_get_u16(tb[DEVLINK_ATTR_PORT_PCI_VF_NUMBER]);
    if (tb[DEVLINK_ATTR_PORT_NETDEV_NAME] != NULL)
        nla_strlcpy(p->netdev, tb[DEVLINK_ATTR_PORT_NETDEV_NAME],
                    sizeof(p->netdev));
    if (tb[DEVLINK_ATTR_PORT_FUNCTION] != NULL)
        vf_devlink_decode_port_fn(tb[DEVLINK_ATTR_PORT_FUNCTION], p);
    return 0;
}

struct vf_devlink *
vf_devlink_open(struct vf_err *err)
{
    struct vf_devlink *dl = calloc(1, sizeof(*dl));
    int rc;

    if (dl == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    rc = vf_nlsock_open(NETLINK_GENERIC, &dl->sk, err);
    if (rc < 0)
        goto free_dl;
    dl->family = genl_ctrl_resolve(dl->sk, DEVLINK_GENL_NAME);
    if (dl->family < 0) {
        vf_err_set(err, "the kernel has no \"%s\" generic netlink family "
                   "(%s; built without CONFIG_NET_DEVLINK?)",
                   DEVLINK_GENL_NAME, nl_geterror(dl->family));
        rc = -ENOENT;
        goto free_sock;
    }
    return dl;
free_sock:
    nl_socket_free(dl->sk);
free_dl:
    free(dl);
    errno = -rc;
    return NULL;
}

void
vf_devlink_close(struct vf_devlink *dl)
{
    if (dl == NULL)
        return;
    nl_socket_free(dl->sk);
    free(dl);
}

int
vf_devlink_family(const struct vf_devlink *dl)
{
    return dl->family;
}

int
vf_devlink_transact(struct vf_devlink *dl, struct nl_msg *msg,
                    struct vf_err *err)
{
    return vf_nlsock_transact(dl->sk, msg, NULL, NULL, err);
}

struct vf_esw_ctx {
    int mode;
    int rc;
};

static int
vf_esw_valid(struct nl_msg *msg, void *arg)
{
    struct vf_esw_ctx *c = arg;

    c->rc = vf_devlink_decode_eswitch(nlmsg_hdr(msg), &c->mode);
    return NL_OK;
}

int
vf_devlink_eswitch_get(struct vf_devlink *dl, const char *pci, int *mode,
                       struct vf_err *err)
{
    struct vf_esw_ctx c = { .mode = VF_ESW_UNKNOWN, .rc = -ENOENT };
    struct nl_msg *msg = NULL;
    int rc = vf_devlink_build(dl->family, DEVLINK_CMD_ESWITCH_GET, NLM_F_ACK,
                              pci, &msg);

    if (rc < 0)
        return rc;
    rc = vf_nlsock_transact(dl->sk, msg, vf_esw_valid, &c, err);
    nlmsg_free(msg);
    if (rc < 0) {
        vf_err_prefix(err, "devlink eswitch get pci/%s: ", pci);
        return rc;
    }
    *mode = c.mode;
    return c.rc;
}

int
vf_devlink_eswitch_set(struct vf_devlink *dl, const char *pci, int mode,
                       struct vf_err *err)
{
    struct nl_msg *msg = NULL;
    int rc = vf_devlink_build_eswitch_set(dl->family, pci, mode, &msg);

    if (rc < 0)
        return rc;
    rc = vf_nlsock_transact(dl->sk, msg, NULL, NULL, err);
    nlmsg_free(msg);
    if (rc < 0)
        vf_err_prefix(err, "devlink eswitch set pci/%s mode %s: ", pci,
                      vf_esw_mode_str(mode));
    return rc;
}

struct vf_port_ctx {
    const char *pci;
    void (*fn)(const struct vf_devlink_port *p, void *arg);
    void *arg;
};

static int
vf_port_valid(struct nl_msg *msg, void *arg)
{
    struct vf_port_ctx *c = arg;
    struct vf_devlink_port p;

    /* old kernels ignore the dump filter: match the device here too */
    if (vf_devlink_decode_port(nlmsg_hdr(msg), &p) == 0 &&
        strcmp(p.dev, c->pci) == 0)
        c->fn(&p, c->arg);
    return NL_OK;
}

int
vf_devlink_ports(struct vf_devlink *dl, const char *pci,
                 void (*fn)(const struct vf_devlink_port *p, void *arg),
                 void *arg, struct vf_err *err)
{
    struct vf_port_ctx c = { .pci = pci, .fn = fn, .arg = arg };
    struct nl_msg *msg = NULL;
    int rc = vf_devlink_build(dl->family, DEVLINK_CMD_PORT_GET, NLM_F_DUMP,
                              pci, &msg);

    if (rc < 0)
        return rc;
    rc = vf_nlsock_transact(dl->sk, msg, vf_port_valid, &c, err);
    nlmsg_free(msg);
    if (rc < 0)
        vf_err_prefix(err, "devlink port dump pci/%s: ", pci);
    return rc;
}
