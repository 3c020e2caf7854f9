/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The read-only control methods (show, capabilities, stats,
 * controller-show): facts as JSON members for scripts, and the same facts
 * rendered in "text" for people.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd.h"
#include "snicd_ctl_fmt.h"

/* Attach the rendering @f collected to @o as "text". */
static json_t *
with_text(json_t *o, FILE *f, char **buf)
{
    fclose(f);      /* only now is *buf complete */
    if (o != NULL)
        json_object_set_new(o, "text", json_string(*buf ? *buf : ""));
    free(*buf);
    return o;
}

static const char *
port_kind(const struct snicd_port_info *p)
{
    if (p->is_uplink)
        return "uplink";
    if (p->is_tunnel)
        return "vxlan";
    if (p->is_patch)
        return "patch";
    return p->vf >= 0 ? "representor" : "plain";
}

json_t *
snicd_ctl_show(struct snicd *d)
{
    json_t *ports = json_array(), *o;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    if (f == NULL || ports == NULL) {
        json_decref(ports);
        if (f != NULL)
            fclose(f);
        free(buf);
        return NULL;
    }
    snicd_ports_refresh(d);
    fprintf(f, "%-8s %6s %6s  %-11s %4s %-4s %s\n", "port", "ofport",
            "ethdev", "kind", "vf", "link", "mac");
    for (unsigned i = 0; i < d->ports.n; i++) {
        const struct snicd_port_info *p = &d->ports.v[i];
        const char *link = d->ports.gone[i] ? "gone"
                           : snicd_port_is_logical(p) ? "-"
                           : d->ports.link_up[i] ? "up" : "down";
        json_t *j = json_pack("{s:s, s:I, s:s, s:s}", "name", p->name,
                              "ofport", (json_int_t)p->ofport,
                              "kind", port_kind(p), "link", link);

        json_object_set_new(j, "ethdev", snicd_port_is_logical(p)
                            ? json_null() : json_integer(p->ethdev));
        if (p->is_patch) {
            const struct snicd_port_info *peer =
                snicd_ports_by_ofport(&d->ports, p->peer);

            json_object_set_new(j, "peer", json_string(peer != NULL
                                                       ? peer->name : "?"));
        }
        json_object_set_new(j, "vf", p->vf >= 0 ? json_integer(p->vf)
                            : json_null());
        json_object_set_new(j, "mac", json_string(d->ports.mac[i]));
        json_array_append_new(ports, j);
        fprintf(f, "%-8s %6" PRIu32 " ", p->name, p->ofport);
        if (snicd_port_is_logical(p))
            fprintf(f, "%6s", "-");
        else
            fprintf(f, "%6u", p->ethdev);
        fprintf(f, "  %-11s ", port_kind(p));
        if (p->vf >= 0)
            fprintf(f, "%4d", p->vf);
        else
            fprintf(f, "%4s", "-");
        if (p->is_patch) {
            const struct snicd_port_info *peer =
                snicd_ports_by_ofport(&d->ports, p->peer);

            fprintf(f, " %-4s peer %s\n", link,
                    peer != NULL ? peer->name : "?");
            continue;
        }
        fprintf(f, " %-4s %s\n", link, d->ports.mac[i][0] ? d->ports.mac[i]
                                                          : "-");
    }
    if (d->has_vxlan) {
        const uint8_t *l = (const uint8_t *)&d->vxlan.local_ip;
        const uint8_t *r = (const uint8_t *)&d->vxlan.remote_ip;

        fprintf(f, "vxlan0: local %u.%u.%u.%u remote %u.%u.%u.%u over "
                "uplink\n", l[0], l[1], l[2], l[3], r[0], r[1], r[2], r[3]);
    }
    o = json_pack("{s:o, s:b, s:i}", "ports", ports, "offload",
                  d->offload != NULL, "workers", (int)d->n_workers);
    return with_text(o, f, &buf);
}

json_t *
snicd_ctl_capabilities(struct snicd *d)
{
    struct snicd_offload_stats s = { 0 };
    json_t *dev = snicd_port_device_json(d), *o;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    const char *key;
    json_t *v;

    if (f == NULL) {
        json_decref(dev);
        return NULL;
    }
    if (d->offload != NULL)
        snicd_offload_get_stats(d->offload, &s);
    fprintf(f, "offload: %s\n", d->offload != NULL ? "enabled"
            : "disabled (--no-offload: every flow in software)");
    json_object_foreach(dev, key, v) {
        char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

        fprintf(f, "%s: %s\n", key, txt ? txt : "?");
        free(txt);
    }
    fprintf(f, "priority levels per table: %" PRIu32 "\n", s.hw_levels);
    if (s.hw_tags > 0)
        fprintf(f, "TAG registers per packet: %" PRIu32 " (reg0..reg%" PRIu32
                " in hardware)\n", s.hw_tags, s.hw_tags - 1);
    else
        fprintf(f, "TAG registers per packet: 0 (registers in software "
                "only)\n");
    fprintf(f, "hardware answers: %" PRIu64 " validate calls, %" PRIu64
            " cache hits (by flow shape)\n", s.validate_calls,
            s.validate_cache_hits);
    fprintf(f, "live marks: %" PRIu32 "\n", s.n_marks);
    if (s.queue_size > 0)
        fprintf(f, "flow queue: %" PRIu32 " operations, %" PRIu32
                " counters, %" PRIu32 " template tables, %" PRIu64
                " pushes, %" PRIu64 " creates refused in a batch\n",
                s.queue_size, s.queue_counters, s.queue_tables,
                s.queue_pushes, s.queue_refused);
    else
        fprintf(f, "flow queue: none (rules through the synchronous "
                "rte_flow API)\n");
    o = json_pack("{s:b, s:o, s:I, s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I, "
                  "s:I, s:I, s:I, s:I}}", "offload",
                  d->offload != NULL, "device", dev, "priority_levels",
                  (json_int_t)s.hw_levels, "tag_registers",
                  (json_int_t)s.hw_tags, "marks", (json_int_t)s.n_marks,
                  "validate", "calls", (json_int_t)s.validate_calls,
                  "cache_hits", (json_int_t)s.validate_cache_hits,
                  "flow_queue", "size", (json_int_t)s.queue_size,
                  "counters", (json_int_t)s.queue_counters,
                  "tables", (json_int_t)s.queue_tables,
                  "pushes", (json_int_t)s.queue_pushes,
                  "refused", (json_int_t)s.queue_refused,
                  "no_template", (json_int_t)s.queue_no_template);
    return with_text(o, f, &buf);
}

/* struct snicd_offload_stats.guard_mode, as docs/snicd.md names it */
static const char *
guard_mode_name(uint32_t mode)
{
    switch ((enum snicd_guard_mode)mode) {
    case SNICD_GUARD_NONE:
        return "none";
    case SNICD_GUARD_REP:
        return "to-representor";
    case SNICD_GUARD_JUMP:
        return "decap";
    }
    return "?";
}

json_t *
snicd_ctl_stats(struct snicd *d)
{
    struct snicd_worker_stats ws;
    struct dp_worker_stats dps;
    struct snicd_offload_stats os = { 0 };
    struct snicd_conv_stats cs = { 0 };
    double rate = 0;
    char *buf = NULL;
    size_t size = 0;
    FILE *f;
    json_t *o;

    snicd_workers_stats(d, &ws, &dps);
    /* flows by place: the offload manager counts its own (no walk of the
     * flow table, no lookup per flow); without it every flow is sw */
    if (d->offload != NULL)
        snicd_offload_get_stats(d->offload, &os);
    else
        os.n_sw = flow_table_count(d->table, FLOW_TABLE_ALL);
    if (d->last_batch.ns > 0)
        rate = (double)d->last_batch.flows * 1e9 / (double)d->last_batch.ns;
    f = open_memstream(&buf, &size);
    if (f == NULL)
        return NULL;
    fprintf(f, "flows: %" PRIu64 " hw, %" PRIu64 " partial, %" PRIu64
            " sw\n", os.n_hw, os.n_partial,
            os.n_sw);
    fprintf(f, "last add-flows: %" PRIu64 " flows in %.3f s (%.0f flows/s)\n",
            d->last_batch.flows, (double)d->last_batch.ns / 1e9, rate);
    fprintf(f, "hardware rules: %" PRIu64 " created, %" PRIu64 " destroyed, %"
            PRIu64 " create failures, %" PRIu64 " resyncs, %" PRIu64
            " ports back\n", os.rules_created, os.rules_destroyed,
            os.create_failures, os.resyncs, os.port_backs);
    fprintf(f, "placement: %" PRIu64 " flows placed, %" PRIu64 " tables "
            "placed whole, %" PRIu64 " flows put back where they were\n",
            os.placed, os.whole_tables, os.reinstalled);
    fprintf(f, "register writes before a jump: let through %" PRIu64
            " times, held back %" PRIu64 " times\n", os.reg_let_through,
            os.reg_held_back);
    fprintf(f, "tunnels: guard %s, %" PRIu32 " guard rules, %" PRIu32
            " decap contexts\n", guard_mode_name(os.guard_mode),
            os.guard_rules, os.decap_contexts);
    fprintf(f, "device: %s, lost %" PRIu64 " times (%" PRIu64 " of them "
            "given up on by the offload manager), re-attached %" PRIu64
            " times (last recovery %.3f s), %" PRIu64 " create retries\n",
            d->dev_lost ? "gone (re-attaching)" : "attached",
            os.device_losses, d->dev_giveups, d->dev_reattaches,
            (double)d->dev_last_recovery_ns / 1e9, os.retries);
    fprintf(f, "datapath: rx %" PRIu64 ", tx %" PRIu64 ", drops %" PRIu64
            " (tx refused %" PRIu64 ", multi-segment %" PRIu64 ", no mbuf %"
            PRIu64 ", ttl %" PRIu64 ", tunnel %" PRIu64 ", unknown decap "
            "mark %" PRIu64 "), misses %" PRIu64 ", emc hits %" PRIu64
            ", marked %" PRIu64 " (unknown %" PRIu64 "), to the controller %"
            PRIu64 ", NORMAL drops %" PRIu64 ", past the resubmit limits %"
            PRIu64 ", decided by port %" PRIu64 ", by Ethernet header %"
            PRIu64 ", as the train before them %" PRIu64
            ", from the frame cache %" PRIu64
            ", MPLS stack too deep %" PRIu64 "\n", ws.rx, ws.tx,
            ws.tx_drops + ws.multiseg_drops + ws.nombuf_drops + dps.ttl_drops
            + dps.noroom_drops + dps.tunnel_drops + ws.decap_mark_drops,
            ws.tx_drops, ws.multiseg_drops, ws.nombuf_drops, dps.ttl_drops,
            dps.tunnel_drops, ws.decap_mark_drops, dps.misses, dps.emc_hits,
            ws.marked, ws.unknown_marks, dps.controller, dps.normal_drops,
            dps.resubmit_drops, dps.port_decided, dps.l2_decided,
            dps.train_decided, dps.frame_hits, dps.mpls_drops);
    fprintf(f, "learn: %" PRIu64 " flows queued, %" PRIu64 " duplicates, %"
            PRIu64 " dropped, %" PRIu64 " past their limit, %" PRIu64
            " applied\n", dps.learns, dps.learn_dups, dps.learn_drops,
            dps.learn_limited, d->learn_applied);
    if (d->offload != NULL)
        snicd_offload_conv_stats(d->offload, &cs);
    fprintf(f, "NORMAL in hardware: %u conversation rules (at most %u), %"
            PRIu64 " made, %" PRIu64 " removed, %" PRIu64 " queued, %"
            PRIu64 " not queued (ring full), %" PRIu64 " stale, %" PRIu64
            " left in software (%" PRIu64 " past the limit, %" PRIu64
            " not asked of a full device), %" PRIu64 " removed idle, %"
            PRIu64 " removed for a new one at the limit, %" PRIu64
            " frames switched\n", cs.rules,
            cs.max, cs.created, cs.destroyed, dps.normal_convs,
            dps.normal_conv_drops, d->normal_stale, d->normal_refused,
            cs.refused_max, cs.refused_full, cs.evicted_idle,
            cs.evicted_room, cs.switched_pkts);
    fprintf(f, "hardware counter reads: %" PRIu64 " of the flows that "
            "moved, %" PRIu64 " of every flow\n", d->hw_reads_moved,
            d->hw_reads_full);
    o = json_pack("{s:{s:I, s:I, s:I}, s:{s:I, s:f, s:f}, "
                  "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                  " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
                  " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                  " s:I, s:s},"
                  " s:{s:b, s:I, s:I, s:I, s:f, s:I},"
                  " s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I}}",
                  "flows", "hw", (json_int_t)os.n_hw,
                  "partial", (json_int_t)os.n_partial,
                  "sw", (json_int_t)os.n_sw,
                  "last_batch", "flows", (json_int_t)d->last_batch.flows,
                  "seconds", (double)d->last_batch.ns / 1e9,
                  "flows_per_sec", rate,
                  "datapath", "rx", (json_int_t)ws.rx,
                  "tx", (json_int_t)ws.tx,
                  "tx_drops", (json_int_t)ws.tx_drops,
                  "multiseg_drops", (json_int_t)ws.multiseg_drops,
                  "nombuf_drops", (json_int_t)ws.nombuf_drops,
                  "misses", (json_int_t)dps.misses,
                  "emc_hits", (json_int_t)dps.emc_hits,
                  "ttl_drops", (json_int_t)dps.ttl_drops,
                  "tunnel_drops", (json_int_t)dps.tunnel_drops,
                  "marked", (json_int_t)ws.marked,
                  "unknown_marks", (json_int_t)ws.unknown_marks,
                  "decap_mark_drops", (json_int_t)ws.decap_mark_drops,
                  "controller", (json_int_t)dps.controller,
                  "normal_drops", (json_int_t)dps.normal_drops,
                  "resubmit_drops", (json_int_t)dps.resubmit_drops,
                  "port_decided", (json_int_t)dps.port_decided,
                  "l2_decided", (json_int_t)dps.l2_decided,
                  "train_decided", (json_int_t)dps.train_decided,
                  "frame_hits", (json_int_t)dps.frame_hits,
                  "mpls_drops", (json_int_t)dps.mpls_drops,
                  "offload", "rules_created", (json_int_t)os.rules_created,
                  "rules_destroyed", (json_int_t)os.rules_destroyed,
                  "create_failures", (json_int_t)os.create_failures,
                  "resyncs", (json_int_t)os.resyncs,
                  "port_backs", (json_int_t)os.port_backs,
                  "placed", (json_int_t)os.placed,
                  "tables_placed_whole", (json_int_t)os.whole_tables,
                  "reinstalled", (json_int_t)os.reinstalled,
                  "reg_let_through", (json_int_t)os.reg_let_through,
                  "reg_held_back", (json_int_t)os.reg_held_back,
                  "decap_contexts", (json_int_t)os.decap_contexts,
                  "guard_rules", (json_int_t)os.guard_rules,
                  "guard_mode", guard_mode_name(os.guard_mode),
                  "device", "lost", d->dev_lost,
                  "losses", (json_int_t)os.device_losses,
                  "giveups", (json_int_t)d->dev_giveups,
                  "reattaches", (json_int_t)d->dev_reattaches,
                  "last_recovery_s", (double)d->dev_last_recovery_ns / 1e9,
                  "retries", (json_int_t)os.retries,
                  "learn", "queued", (json_int_t)dps.learns,
                  "duplicates", (json_int_t)dps.learn_dups,
                  "dropped", (json_int_t)dps.learn_drops,
                  "limited", (json_int_t)dps.learn_limited,
                  "applied", (json_int_t)d->learn_applied,
                  "counters", "moved_reads", (json_int_t)d->hw_reads_moved,
                  "full_reads", (json_int_t)d->hw_reads_full);
    if (o != NULL)
        json_object_set_new(o, "normal", json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
            " s:I, s:I}",
            "rules", (json_int_t)cs.rules, "max", (json_int_t)cs.max,
            "created", (json_int_t)cs.created,
            "destroyed", (json_int_t)cs.destroyed,
            "queued", (json_int_t)dps.normal_convs,
            "queue_drops", (json_int_t)dps.normal_conv_drops,
            "stale", (json_int_t)d->normal_stale,
            "refused", (json_int_t)d->normal_refused,
            "refused_max", (json_int_t)cs.refused_max,
            "create_failures", (json_int_t)cs.create_failures,
            "refused_full", (json_int_t)cs.refused_full,
            "evicted_idle", (json_int_t)cs.evicted_idle,
            "evicted_room", (json_int_t)cs.evicted_room,
            "switched", (json_int_t)cs.switched_pkts));
    return with_text(o, f, &buf);
}

static int
newest_first(const void *a, const void *b)
{
    const struct snicd_punt *x = a, *y = b;

    return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

json_t *
snicd_ctl_controller_show(struct snicd *d)
{
    struct snicd_punt all[SNICD_PUNT_KEEP * SNICD_MAX_WORKERS];
    uint64_t total = 0, now = snic_now_ns();
    json_t *list = json_array(), *o = NULL;
    char *buf = NULL;
    size_t size = 0, n;
    FILE *f = open_memstream(&buf, &size);

    if (list == NULL || f == NULL)
        goto out;
    n = snicd_workers_punts(d, all, sizeof(all) / sizeof(all[0]), &total);
    qsort(all, n, sizeof(all[0]), newest_first);
    if (n > SNICD_PUNT_KEEP)
        n = SNICD_PUNT_KEEP;
    fprintf(f, "to the controller: %llu packets (no OpenFlow channel: "
            "counted, the last %zu kept)\n", (unsigned long long)total, n);
    for (size_t i = 0; i < n; i++) {
        const struct snicd_punt *p = &all[i];
        const struct snicd_port_info *pi =
            snicd_ports_by_ofport(&d->ports, p->in_port);
        char name[16], hex[2 * SNICD_PUNT_BYTES + 1];
        size_t cap = p->len < SNICD_PUNT_BYTES ? p->len : SNICD_PUNT_BYTES;
        double ago = now > p->ns ? (double)(now - p->ns) / 1e9 : 0;

        if (pi == NULL)
            snprintf(name, sizeof(name), "%u", p->in_port);
        for (size_t b = 0; b < cap; b++)
            snprintf(hex + 2 * b, 3, "%02x", p->data[b]);
        hex[2 * cap] = '\0';
        fprintf(f, "  %8.3f s ago  in_port=%s  len=%u  %s%s\n", ago,
                pi ? pi->name : name, p->len, hex,
                cap < p->len ? "..." : "");
        json_array_append_new(list, json_pack("{s:s, s:I, s:f, s:s}",
                                              "in_port", pi ? pi->name : name,
                                              "len", (json_int_t)p->len,
                                              "age", ago, "hex", hex));
    }
    fclose(f);
    f = NULL;
    o = json_pack("{s:I, s:O, s:s}", "count", (json_int_t)total, "packets",
                  list, "text", buf);
out:
    if (f != NULL)
        fclose(f);
    json_decref(list);
    free(buf);
    return o;
}
