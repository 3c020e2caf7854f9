/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's ports as the datapath's ALL, FLOOD and NORMAL see them:
 * every port snicd has now (the uplink, the representors, plain ports,
 * vxlan0, LOCAL), without the ones gone, each with its --port settings
 * (docs/snicd.md, "The switch: NORMAL and VLANs"): a trunk of every VLAN
 * unless configured otherwise, flagged down while its link is (bundle's
 * members are the live ones). And NORMAL's learning table for the
 * control socket (fdb-show, fdb-flush). No DPDK.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd.h"
#include "snicd_ctl_fmt.h"

static const struct snicd_port_cfg *
cfg_of(const struct snicd *d, const char *name)
{
    for (unsigned i = 0; i < d->n_port_cfg; i++)
        if (strcmp(d->port_cfg[i].name, name) == 0)
            return &d->port_cfg[i];
    return NULL;
}

void
snicd_switch_publish(struct snicd *d)
    SNIC_REQUIRES(snic_control)
{
    static struct dp_port ports[SNICD_MAX_PORTS];   /* control thread only */
    size_t n = 0;
    int rc;

    if (d->dp == NULL)
        return;
    for (unsigned i = 0; i < d->ports.n; i++) {
        const struct snicd_port_info *p = &d->ports.v[i];
        const struct snicd_port_cfg *c = cfg_of(d, p->name);

        if (d->ports.gone[i])
            continue;
        if (c != NULL)
            ports[n] = c->sw;
        else
            ports[n] = (struct dp_port){ .vlan_mode = DP_VLAN_TRUNK };
        ports[n].ofport = p->ofport;
        ports[n].peer = p->is_patch ? p->peer : 0;
        /* bundle's members: a port whose link is down is not live (a
         * tunnel or patch port has no link of its own) */
        if (d->eal && !snicd_port_is_logical(p) && !d->ports.link_up[i])
            ports[n].flags |= DP_PORT_DOWN;
        n++;
    }
    rc = dp_set_ports(d->dp, ports, n);
    if (rc < 0)
        snicd_log(SNICD_LOG_ERR, "switch ports: %s (ALL, FLOOD and NORMAL "
                  "keep the previous set)", strerror(-rc));
    /* what a reconfigured or gone port forgot leaves the card now */
    snicd_normal_revalidate(d, false);
}

int
snicd_switch_add_patches(struct snicd *d)
{
    for (unsigned i = 0; i < d->n_patches; i++) {
        const struct snicd_patch_cfg *pc = &d->patches[i];
        int rc = snicd_ports_add_patch(&d->ports, i, pc->name, pc->peer);

        if (rc == -EEXIST) {
            snicd_log(SNICD_LOG_ERR, "--patch %s=%s: a port of snicd "
                      "already has that name (see 'snicctl show')",
                      pc->name, pc->peer);
            return rc;
        }
        if (rc < 0) {
            snicd_log(SNICD_LOG_ERR, "--patch %s=%s: at most %u ports in "
                      "all", pc->name, pc->peer, SNICD_MAX_PORTS);
            return rc;
        }
    }
    return 0;
}

int
snicd_switch_check(const struct snicd *d)
{
    for (unsigned i = 0; i < d->n_port_cfg; i++) {
        uint32_t ofport;

        if (snicd_ports_lookup(&d->ports, d->port_cfg[i].name, &ofport) < 0) {
            snicd_log(SNICD_LOG_ERR, "--port %s: no such port (snicd has "
                      "%u ports: see 'snicctl show')", d->port_cfg[i].name,
                      d->ports.n);
            return -ENOENT;
        }
    }
    return 0;
}

static const char *
port_name(const struct snicd *d, uint32_t ofport, char *buf, size_t size)
{
    const struct snicd_port_info *p = snicd_ports_by_ofport(&d->ports,
                                                            ofport);

    if (p != NULL)
        return p->name;
    snprintf(buf, size, "%u", ofport);
    return buf;
}

static int
by_port_vlan_mac(const void *a, const void *b)
{
    const struct dp_fdb_entry *x = a, *y = b;

    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    if (x->vlan != y->vlan)
        return x->vlan < y->vlan ? -1 : 1;
    return memcmp(x->mac, y->mac, 6);
}

static void
fmt_mac(char out[18], const uint8_t m[6])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
             m[3], m[4], m[5]);
}

/* The card's rules whose source is entry @e (its conversations), of
 * the @k in @v. */
static size_t
hw_rules_of(const struct snicd_conv_info *v, size_t k,
            const struct dp_fdb_entry *e)
{
    size_t n = 0;

    for (size_t i = 0; i < k; i++)
        n += v[i].key.in_port == e->port && v[i].key.vlan == e->vlan
             && memcmp(v[i].key.src, e->mac, 6) == 0;
    return n;
}

/* The card's conversation rules (NULL and 0: none). */
static struct snicd_conv_info *
conv_infos(const struct snicd *d, size_t *k)
{
    struct snicd_conv_info *v;

    *k = d->offload != NULL ? snicd_offload_conv_list(d->offload, NULL, 0)
                            : 0;
    if (*k == 0)
        return NULL;
    v = calloc(*k, sizeof(*v));
    if (v == NULL) {
        *k = 0;
        return NULL;
    }
    *k = snicd_offload_conv_list(d->offload, v, *k);
    return v;
}

/* NORMAL's conversations the card switches, as a JSON list. */
static json_t *
conv_list(const struct snicd *d, const struct snicd_conv_info *v, size_t k)
{
    json_t *list = json_array();

    if (list == NULL || k == 0)
        return list;
    for (size_t i = 0; i < k; i++) {
        char src[18], dst[18], n1[16], n2[16];
        const char *in = port_name(d, v[i].key.in_port, n1, sizeof(n1));
        const char *out = port_name(d, v[i].key.out_port, n2, sizeof(n2));

        fmt_mac(src, v[i].key.src);
        fmt_mac(dst, v[i].key.dst);
        json_array_append_new(list, json_pack(
            "{s:I, s:s, s:s, s:s, s:s, s:i, s:I, s:I}",
            "flow", (json_int_t)v[i].key.flow_id, "in_port", in,
            "src", src, "out_port", out, "dst", dst, "vlan", v[i].key.vlan,
            "packets", (json_int_t)v[i].pkts,
            "bytes", (json_int_t)v[i].bytes));
    }
    return list;
}

json_t *
snicd_ctl_fdb_show(struct snicd *d)
{
    struct dp_fdb_entry *e = calloc(DP_FDB_SIZE, sizeof(*e));
    json_t *list = json_array(), *o = NULL, *convs;
    size_t ncv = 0;
    struct snicd_conv_info *cv = conv_infos(d, &ncv);
    char *buf = NULL;
    size_t size = 0, n;
    FILE *f = open_memstream(&buf, &size);

    if (e == NULL || list == NULL || f == NULL)
        goto out;
    n = dp_fdb_dump(d->dp, e, DP_FDB_SIZE);
    if (n > DP_FDB_SIZE)
        n = DP_FDB_SIZE;
    qsort(e, n, sizeof(*e), by_port_vlan_mac);
    /* Open vSwitch's fdb/show layout */
    fprintf(f, " %-8s %4s  %-17s  %3s%s\n", "port", "VLAN", "MAC", "Age",
            ncv > 0 ? "  HW" : "");
    for (size_t i = 0; i < n; i++) {
        char mac[18], num[16];
        const char *name = port_name(d, e[i].port, num, sizeof(num));

        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
                 e[i].mac[0], e[i].mac[1], e[i].mac[2], e[i].mac[3],
                 e[i].mac[4], e[i].mac[5]);
        size_t hw = hw_rules_of(cv, ncv, &e[i]);

        /* Open vSwitch's layout, and while the card switches NORMAL's
         * conversations, how many rules have this entry as their source */
        if (ncv > 0)
            fprintf(f, " %-8s %4u  %s  %3u  %2zu\n", name, e[i].vlan, mac,
                    e[i].age, hw);
        else
            fprintf(f, " %-8s %4u  %s  %3u\n", name, e[i].vlan, mac,
                    e[i].age);
        json_array_append_new(list, json_pack("{s:s, s:I, s:i, s:s, s:I, "
                                              "s:I}", "port", name,
                                              "ofport", (json_int_t)e[i].port,
                                              "vlan", e[i].vlan, "mac", mac,
                                              "age", (json_int_t)e[i].age,
                                              "hw_rules", (json_int_t)hw));
    }
    convs = conv_list(d, cv, ncv);
    fclose(f);
    f = NULL;
    o = json_pack("{s:O, s:I, s:o, s:s}", "entries", list, "aging",
                  (json_int_t)dp_mac_aging(d->dp), "hardware",
                  convs != NULL ? convs : json_array(), "text", buf);
out:
    if (f != NULL)
        fclose(f);
    json_decref(list);
    free(buf);
    free(e);
    free(cv);
    return o;
}

json_t *
snicd_ctl_fdb_flush(struct snicd *d, const char *port, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    uint32_t ofport = 0;
    char text[96];
    size_t n;

    if (port != NULL && snicd_ports_lookup(&d->ports, port, &ofport) < 0)
        return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "fdb-flush: no such "
                        "port '%s'", port);
    n = dp_fdb_flush(d->dp, ofport);
    /* the conversations of what was forgotten leave the card with it */
    snicd_normal_revalidate(d, false);
    snprintf(text, sizeof(text), "%zu entries flushed%s%s\n", n,
             port ? " from " : "", port ? port : "");
    return json_pack("{s:I, s:s}", "flushed", (json_int_t)n, "text", text);
}
