/* SPDX-License-Identifier: BSD-3-Clause */
/* snic-vf list [--json] */
#include <string.h>

#include <linux/if_ether.h>

#include "vf_cmd.h"
#include "vf_json.h"
#include "vf_parse.h"

static void
vf_print_vf(FILE *out, const struct vf_info *vi)
{
    const struct vf_settings *c = &vi->cur;
    char buf[32];

    fprintf(out, "  vf %-3u pci %s  netdev %s  driver %s\n", vi->index,
            vi->pci[0] ? vi->pci : "-", vi->netdev[0] ? vi->netdev : "-",
            vi->driver[0] ? vi->driver : "-");
    fprintf(out, "         ");
    if (c->mask & VF_ATTR_BIT(VF_ATTR_MAC))
        fprintf(out, "mac %s", vf_fmt_mac(c->mac, buf, sizeof(buf)));
    else
        fprintf(out, "mac ?");
    if (c->mask & VF_ATTR_BIT(VF_ATTR_VLAN))
        fprintf(out, "  vlan %u qos %u%s", c->vlan, c->qos,
                c->proto == ETH_P_8021AD ? " proto 802.1ad" : "");
    if (c->mask & VF_ATTR_BIT(VF_ATTR_SPOOFCHK))
        fprintf(out, "  spoofchk %s", c->spoofchk ? "on" : "off");
    if (c->mask & VF_ATTR_BIT(VF_ATTR_TRUST))
        fprintf(out, "  trust %s", c->trust ? "on" : "off");
    if (c->mask & VF_ATTR_BIT(VF_ATTR_STATE))
        fprintf(out, "  state %s", vf_link_state_str(c->state));
    if (c->mask & VF_ATTR_BIT(VF_ATTR_RATE))
        fprintf(out, "  min-rate %u max-rate %u", c->min_rate, c->max_rate);
    fprintf(out, "\n");
    if (vi->representor[0] || vi->rdma[0]) {
        fprintf(out, "         representor %s",
                vi->representor[0] ? vi->representor : "-");
        if (vi->rdma[0]) {
            fprintf(out, "  rdma %s node-guid %s", vi->rdma,
                    vf_fmt_guid(vi->rdma_node_guid, buf, sizeof(buf)));
            fprintf(out, " port-guid %s",
                    vf_fmt_guid(vi->rdma_port_guid, buf, sizeof(buf)));
        }
        fprintf(out, "\n");
    }
}

static void
vf_print_dev(FILE *out, const struct vf_dev *d)
{
    fprintf(out, "%s  pci %s  driver %s  eswitch %s  VFs %u/%u", d->name,
            d->pci, d->driver[0] ? d->driver : "-",
            vf_esw_mode_str(d->esw_mode), d->numvfs, d->totalvfs);
    if (d->speed > 0)
        fprintf(out, "  speed %ld Mbit/s", d->speed);
    fprintf(out, "\n");
    for (unsigned i = 0; i < d->nvfs; i++)
        vf_print_vf(out, &d->vfs[i]);
}

int
vf_cmd_list(struct vf_ctx *ctx, int argc, char **argv)
{
    struct vf_host host = { 0 };
    int rc;

    if (argc > 1) {
        fprintf(ctx->errf, "snic-vf: list: unexpected argument %s (usage: "
                "snic-vf list [DEV] [--json])\n", argv[1]);
        return VF_EXIT_USAGE;
    }
    rc = ctx->be->ops->list(ctx->be, &host);
    if (rc < 0) {
        fprintf(ctx->errf, "snic-vf: list: %s\n", ctx->be->err.msg);
        return VF_EXIT_FAILED;
    }
    if (argc == 1) {
        /* keep only the named device, and say so if it is not a PF */
        struct vf_dev *d = vf_host_find(&host, argv[0]);

        if (d == NULL) {
            fprintf(ctx->errf, "snic-vf: list: %s is not an SR-IOV capable "
                    "PF\n", argv[0]);
            vf_host_clear(&host);
            return VF_EXIT_USAGE;
        }
        for (unsigned i = 0; i < host.ndevs; i++)
            if (&host.devs[i] != d)
                vf_dev_clear(&host.devs[i]);
        host.devs[0] = *d;
        host.ndevs = 1;
    }
    if (ctx->json) {
        json_t *root = vf_json_host(&host);

        json_dumpf(root, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', ctx->out);
        json_decref(root);
    } else if (host.ndevs == 0) {
        fprintf(ctx->out, "no SR-IOV capable devices found\n");
    } else {
        for (unsigned i = 0; i < host.ndevs; i++)
            vf_print_dev(ctx->out, &host.devs[i]);
    }
    vf_host_clear(&host);
    return VF_EXIT_OK;
}
