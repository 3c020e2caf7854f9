/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection tracker as the control socket shows it (conntrack-show,
 * conntrack-flush): the software datapath's entries (include/snic/dp.h,
 * dp_conntrack_dump()) in Open vSwitch's dpctl/dump-conntrack layout, and
 * the datapath's ct counters. No DPDK.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd.h"
#include "snicd_ctl_fmt.h"

/* At most this many entries in one answer (the count says how many). */
#define SHOW_MAX    4096u

static const char *const tcp_states[] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "CLOSE_WAIT",
    "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT",
};

static const char *
proto_name(const struct dp_ct_entry *e, char *buf, size_t size)
{
    bool v6 = e->dl_type == 0x86dd;

    switch (e->proto) {
    case 6:
        return v6 ? "tcp6" : "tcp";
    case 17:
        return v6 ? "udp6" : "udp";
    case 1:
        return "icmp";
    case 58:
        return "icmp6";
    default:
        snprintf(buf, size, "%u", e->proto);
        return buf;
    }
}

/* One entry as Open vSwitch's dpctl/dump-conntrack writes it. */
static void
entry_text(FILE *f, const struct dp_ct_entry *e, char *addr_s,
           char *addr_d, size_t size)
{
    bool v6 = e->dl_type == 0x86dd;
    bool icmp = e->proto == 1 || e->proto == 58;
    bool ports = e->proto == 6 || e->proto == 17;
    char num[8];

    inet_ntop(v6 ? AF_INET6 : AF_INET, e->src, addr_s, (socklen_t)size);
    inet_ntop(v6 ? AF_INET6 : AF_INET, e->dst, addr_d, (socklen_t)size);
    fprintf(f, "%s,orig=(src=%s,dst=%s", proto_name(e, num, sizeof(num)),
            addr_s, addr_d);
    if (ports)
        fprintf(f, ",sport=%u,dport=%u", e->sport, e->dport);
    else if (icmp)
        fprintf(f, ",id=%u,type=%u,code=0", e->sport, e->icmp_type);
    fprintf(f, "),reply=(src=%s,dst=%s", addr_d, addr_s);
    if (ports)
        fprintf(f, ",sport=%u,dport=%u", e->dport, e->sport);
    else if (icmp)
        fprintf(f, ",id=%u", e->sport);
    fprintf(f, ")");
    if (e->zone != 0)
        fprintf(f, ",zone=%u", e->zone);
    if (e->mark != 0)
        fprintf(f, ",mark=%u", e->mark);
    if (e->label[0] != 0 || e->label[1] != 0)
        fprintf(f, ",labels=0x%llx%016llx", (unsigned long long)e->label[1],
                (unsigned long long)e->label[0]);
    if (e->proto == 6 && e->state[0] < sizeof(tcp_states) / sizeof(*tcp_states))
        fprintf(f, ",protoinfo=(state=%s)",
                tcp_states[e->state[0] > e->state[1] ? e->state[1]
                                                     : e->state[0]]);
    fprintf(f, "\n");
}

json_t *
snicd_ctl_conntrack_show(struct snicd *d, int zone)
{
    struct dp_ct_entry *e = calloc(SHOW_MAX, sizeof(*e));
    struct dp_worker_stats dps;
    struct snicd_worker_stats ws;
    json_t *list = json_array(), *o = NULL;
    char *buf = NULL;
    size_t size = 0, n = 0, shown;
    FILE *f = open_memstream(&buf, &size);

    if (e == NULL || list == NULL || f == NULL)
        goto out;
    if (d->dp != NULL)
        n = dp_conntrack_dump(d->dp, zone, e, SHOW_MAX);
    shown = n > SHOW_MAX ? SHOW_MAX : n;
    for (size_t i = 0; i < shown; i++) {
        char s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN], num[8];

        entry_text(f, &e[i], s, t, sizeof(s));
        json_array_append_new(list, json_pack(
            "{s:s, s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:i}",
            "proto", proto_name(&e[i], num, sizeof(num)), "src", s,
            "dst", t, "sport", e[i].sport, "dport", e[i].dport,
            "zone", e[i].zone, "mark", (json_int_t)e[i].mark,
            "expires", (json_int_t)e[i].expires,
            "state", e[i].proto == 6 ? e[i].state[0] * 16 + e[i].state[1]
                                     : e[i].state[0]));
    }
    if (n > shown)
        fprintf(f, "(%zu more)\n", n - shown);
    fclose(f);
    f = NULL;
    snicd_workers_stats(d, &ws, &dps);
    o = json_pack("{s:O, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
                  "entries", list, "count", (json_int_t)n,
                  "limit", (json_int_t)(d->dp ? dp_conntrack_limit(d->dp)
                                                : 0),
                  "packets", (json_int_t)dps.ct_packets,
                  "invalid", (json_int_t)dps.ct_invalid,
                  "full", (json_int_t)dps.ct_full,
                  "recirc_drops", (json_int_t)dps.recirc_drops,
                  "text", buf);
out:
    if (f != NULL)
        fclose(f);
    json_decref(list);
    free(buf);
    free(e);
    return o;
}

json_t *
snicd_ctl_conntrack_flush(struct snicd *d, int zone)
    SNIC_REQUIRES(snic_control)
{
    char text[96];
    size_t n = d->dp != NULL ? dp_conntrack_flush(d->dp, zone) : 0;

    if (zone >= 0)
        snprintf(text, sizeof(text), "%zu connections flushed from zone "
                 "%d\n", n, zone);
    else
        snprintf(text, sizeof(text), "%zu connections flushed\n", n);
    return json_pack("{s:I, s:s}", "flushed", (json_int_t)n, "text", text);
}
