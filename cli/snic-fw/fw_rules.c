/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic-fw rules: what is installed on the card, read from the card itself
 * (RULE_QUERY, ABI 1.3), not from any driver's idea of it. One line per
 * rule, grouped by table and sorted by priority, with its match in the
 * units a person reads (MACs, IP prefixes, ports, vport names), its
 * actions and the counters its COUNT actions feed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

#include "snic_fw.h"

/* An entry's fixed part: struct fw_rule_entry ends in a flexible array,
 * which C does not allow in the middle of another structure. */
struct rule_head {
    uint32_t rule_id, group;
    uint16_t priority, n_actions, flags;
    struct fw_match value, mask;
};

/* A rule as listed, with the values of its counters. */
struct rule {
    struct rule_head e;
    struct fw_action actions[FW_RULE_MAX_ACTIONS];
    uint64_t packets, bytes;    /* summed over its COUNT actions */
    unsigned n_counters;
};

struct rule_list {
    struct rule *v;
    size_t n, cap;
};

/* ------------------------------------------------------------------------
 * Reading the card
 * ------------------------------------------------------------------------ */

static int
list_add(struct rule_list *l, const struct fw_rule_entry *e)
{
    struct rule *r;

    if (e->size != sizeof(*e) + e->n_actions * sizeof(struct fw_action) ||
        e->n_actions > FW_RULE_MAX_ACTIONS)
        return -EPROTO;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct rule *v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    r = &l->v[l->n++];
    memset(r, 0, sizeof(*r));
    r->e = (struct rule_head){
        .rule_id = e->rule_id, .group = e->group, .priority = e->priority,
        .n_actions = e->n_actions, .flags = e->flags, .value = e->value,
        .mask = e->mask,
    };
    memcpy(r->actions, e->actions, e->n_actions * sizeof(struct fw_action));
    return 0;
}

static int
read_rules(struct fw_tool *t, bool by_group, uint32_t group,
           struct rule_list *l)
{
    uint32_t cursor = 0;

    do {
        struct fw_rule_query_in in = {
            .cursor = cursor, .group = group,
            .flags = by_group ? FW_RULE_Q_GROUP : 0,
            .max_rules = FW_RULE_QUERY_MAX,
        };
        union {
            struct fw_rule_query_out o;
            uint8_t raw[FW_SLOT_OUT_MAX];
        } out;
        size_t off = sizeof(out.o);

        if (snic_fw_run(t, FW_CMD_RULE_QUERY, &in, sizeof(in), &out,
                        sizeof(out)) < 0)
            return -1;
        for (unsigned k = 0; k < out.o.n_rules; k++) {
            const struct fw_rule_entry *e = (const void *)(out.raw + off);
            int rc;

            if (off + sizeof(*e) > out.o.hdr.out_size ||
                off + e->size > out.o.hdr.out_size ||
                (rc = list_add(l, e)) == -EPROTO) {
                fprintf(stderr, "snic-fw: %s: malformed rule entry %u of a "
                        "RULE_QUERY page\n", t->socket, k);
                return -1;
            }
            if (rc < 0) {
                fprintf(stderr, "snic-fw: %s\n", strerror(-rc));
                return -1;
            }
            off += e->size;
        }
        cursor = out.o.next_cursor;
    } while (cursor != FW_RULE_QUERY_END);
    return 0;
}

/* The counters of every COUNT action, in batches of COUNTER_QUERY. */
struct counter_batch {
    struct fw_counter_query_in in;
    struct rule *owner[FW_COUNTER_QUERY_MAX];
};

static int
counters_flush(struct fw_tool *t, struct counter_batch *b)
{
    struct fw_counter_query_out out;

    if (b->in.n == 0)
        return 0;
    if (snic_fw_run(t, FW_CMD_COUNTER_QUERY, &b->in, sizeof(b->in), &out,
                    sizeof(out)) < 0)
        return -1;
    for (unsigned k = 0; k < b->in.n; k++) {
        b->owner[k]->packets += out.values[k].packets;
        b->owner[k]->bytes += out.values[k].bytes;
        b->owner[k]->n_counters++;
    }
    memset(&b->in, 0, sizeof(b->in));
    return 0;
}

static int
read_counters(struct fw_tool *t, struct rule_list *l)
{
    struct counter_batch b;

    memset(&b, 0, sizeof(b));
    for (size_t i = 0; i < l->n; i++) {
        struct rule *r = &l->v[i];

        for (unsigned a = 0; a < r->e.n_actions; a++) {
            if (r->actions[a].type != FW_ACT_COUNT)
                continue;
            if (b.in.n == FW_COUNTER_QUERY_MAX && counters_flush(t, &b) < 0)
                return -1;
            b.owner[b.in.n] = r;
            b.in.ids[b.in.n++] = r->actions[a].u.count.counter_id;
        }
    }
    return counters_flush(t, &b);
}

static int
rule_cmp(const void *pa, const void *pb)
{
    const struct rule *a = pa, *b = pb;

    if (a->e.group != b->e.group)
        return a->e.group < b->e.group ? -1 : 1;
    if (a->e.priority != b->e.priority)
        return a->e.priority < b->e.priority ? -1 : 1;
    return a->e.rule_id < b->e.rule_id ? -1 : a->e.rule_id > b->e.rule_id;
}

/* ------------------------------------------------------------------------
 * Formatting: each match field as "name=value[/mask]", each action as
 * "name(args)"; the JSON output uses the same strings.
 * ------------------------------------------------------------------------ */

static void
vport_name(uint16_t v, char *buf, size_t size)
{
    if (v == FW_VPORT_UPLINK)
        snprintf(buf, size, "uplink");
    else
        snprintf(buf, size, "vf%u", FW_VPORT_TO_VF(v));
}

static void
mac_str(const uint8_t *m, char *buf, size_t size)
{
    snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
             m[3], m[4], m[5]);
}

static bool
all_ones(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xff)
            return false;
    return true;
}

static bool
all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* Prefix length of a network-order mask, or -1 when it is not a prefix. */
static int
prefix_len(const uint8_t *m, size_t n)
{
    int len = 0;
    size_t i = 0;

    for (; i < n && m[i] == 0xff; i++)
        len += 8;
    if (i < n) {
        uint8_t b = m[i++];

        while (b & 0x80) {
            len++;
            b = (uint8_t)(b << 1);
        }
        if (b != 0)
            return -1;
    }
    for (; i < n; i++)
        if (m[i] != 0)
            return -1;
    return len;
}

static void
addr_str(int af, const uint8_t *v, const uint8_t *m, char *buf, size_t size)
{
    size_t n = af == AF_INET ? 4 : 16;
    int plen = prefix_len(m, n);
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

    inet_ntop(af, v, a, sizeof(a));
    if (plen == (int)n * 8) {
        snprintf(buf, size, "%s", a);
    } else if (plen >= 0) {
        snprintf(buf, size, "%s/%d", a, plen);
    } else {
        inet_ntop(af, m, b, sizeof(b));
        snprintf(buf, size, "%s/%s", a, b);
    }
}

/* "value" or "value/mask" of a numeric field, in @base 10 or 16. */
static void
num_str(uint32_t v, uint32_t m, uint32_t full, bool hex, char *buf,
        size_t size)
{
    /* hex values as wide as the field: 0x0800, 0x0a */
    int w = full > 0xff ? 4 : 2;

    if (m == full && hex)
        snprintf(buf, size, "0x%0*x", w, v);
    else if (m == full)
        snprintf(buf, size, "%u", v);
    else if (hex)
        snprintf(buf, size, "0x%0*x/0x%0*x", w, v, w, m);
    else
        snprintf(buf, size, "%u/0x%x", v, m);
}

typedef void (*field_cb)(void *ctx, const char *name, const char *value);

static void
each_field(const struct fw_match *v, const struct fw_match *m, field_cb cb,
           void *ctx)
{
    char buf[96];

    if (m->src_vport != 0) {
        if (m->src_vport == 0xffff)
            vport_name(v->src_vport, buf, sizeof(buf));
        else
            num_str(v->src_vport, m->src_vport, 0xffff, false, buf,
                    sizeof(buf));
        cb(ctx, "in_vport", buf);
    }
    if (!all_zero(m->eth_src, 6)) {
        mac_str(v->eth_src, buf, sizeof(buf));
        if (!all_ones(m->eth_src, 6)) {
            strcat(buf, "/");
            mac_str(m->eth_src, buf + strlen(buf), sizeof(buf) - strlen(buf));
        }
        cb(ctx, "eth_src", buf);
    }
    if (!all_zero(m->eth_dst, 6)) {
        mac_str(v->eth_dst, buf, sizeof(buf));
        if (!all_ones(m->eth_dst, 6)) {
            strcat(buf, "/");
            mac_str(m->eth_dst, buf + strlen(buf), sizeof(buf) - strlen(buf));
        }
        cb(ctx, "eth_dst", buf);
    }
    if (m->vlan_tci != 0) {
        uint16_t tv = ntohs(v->vlan_tci), tm = ntohs(m->vlan_tci);

        if (tm == FW_VLAN_TCI_PRESENT) {
            cb(ctx, "vlan", tv & FW_VLAN_TCI_PRESENT ? "tagged" : "none");
        } else {
            if (tm & 0x0fff) {
                num_str(tv & 0x0fffu, tm & 0x0fffu, 0x0fff, false, buf,
                        sizeof(buf));
                cb(ctx, "vlan_vid", buf);
            }
            if (tm & 0xe000) {
                num_str(tv >> 13, (tm & 0xe000u) >> 13, 7, false, buf,
                        sizeof(buf));
                cb(ctx, "vlan_pcp", buf);
            }
        }
    }
    if (m->eth_type != 0) {
        num_str(ntohs(v->eth_type), ntohs(m->eth_type), 0xffff, true, buf,
                sizeof(buf));
        cb(ctx, "eth_type", buf);
    }
    if (m->ipv4_src != 0) {
        addr_str(AF_INET, (const uint8_t *)&v->ipv4_src,
                 (const uint8_t *)&m->ipv4_src, buf, sizeof(buf));
        cb(ctx, "ipv4_src", buf);
    }
    if (m->ipv4_dst != 0) {
        addr_str(AF_INET, (const uint8_t *)&v->ipv4_dst,
                 (const uint8_t *)&m->ipv4_dst, buf, sizeof(buf));
        cb(ctx, "ipv4_dst", buf);
    }
    if (!all_zero(m->ipv6_src, 16)) {
        addr_str(AF_INET6, v->ipv6_src, m->ipv6_src, buf, sizeof(buf));
        cb(ctx, "ipv6_src", buf);
    }
    if (!all_zero(m->ipv6_dst, 16)) {
        addr_str(AF_INET6, v->ipv6_dst, m->ipv6_dst, buf, sizeof(buf));
        cb(ctx, "ipv6_dst", buf);
    }
    if (m->ip_proto != 0) {
        const char *name = m->ip_proto != 0xff ? NULL :
                           v->ip_proto == 6    ? "tcp" :
                           v->ip_proto == 17   ? "udp" :
                           v->ip_proto == 1    ? "icmp" :
                           v->ip_proto == 58   ? "icmpv6" : NULL;

        if (name != NULL)
            snprintf(buf, sizeof(buf), "%s", name);
        else
            num_str(v->ip_proto, m->ip_proto, 0xff, false, buf, sizeof(buf));
        cb(ctx, "ip_proto", buf);
    }
    if (m->ip_tos != 0) {
        num_str(v->ip_tos, m->ip_tos, 0xff, true, buf, sizeof(buf));
        cb(ctx, "ip_tos", buf);
    }
    if (m->ip_ttl != 0) {
        num_str(v->ip_ttl, m->ip_ttl, 0xff, false, buf, sizeof(buf));
        cb(ctx, "ip_ttl", buf);
    }
    if (m->ip_frag != 0) {
        /* Open vSwitch's nw_frag words where one fits, else the bits */
        uint8_t fv = v->ip_frag, fm = m->ip_frag;
        const char *name =
            fm == FW_IP_FRAG_IS ? (fv ? "yes" : "no") :
            fm == (FW_IP_FRAG_IS | FW_IP_FRAG_LATER) ?
                (fv == FW_IP_FRAG_IS ? "first" : fv ? "later" : "no") :
            fm == FW_IP_FRAG_LATER ? (fv ? "later" : "not_later") : NULL;

        if (name != NULL)
            snprintf(buf, sizeof(buf), "%s", name);
        else
            num_str(fv, fm, 0xff, true, buf, sizeof(buf));
        cb(ctx, "ip_frag", buf);
    }
    if (m->l4_src != 0) {
        num_str(ntohs(v->l4_src), ntohs(m->l4_src), 0xffff, false, buf,
                sizeof(buf));
        cb(ctx, "l4_src", buf);
    }
    if (m->l4_dst != 0) {
        num_str(ntohs(v->l4_dst), ntohs(m->l4_dst), 0xffff, false, buf,
                sizeof(buf));
        cb(ctx, "l4_dst", buf);
    }
    if (m->icmp_type != 0) {
        num_str(v->icmp_type, m->icmp_type, 0xff, false, buf, sizeof(buf));
        cb(ctx, "icmp_type", buf);
    }
    if (m->icmp_code != 0) {
        num_str(v->icmp_code, m->icmp_code, 0xff, false, buf, sizeof(buf));
        cb(ctx, "icmp_code", buf);
    }
    if (m->vxlan_vni != 0) {
        num_str(v->vxlan_vni, m->vxlan_vni, 0xffffff, false, buf,
                sizeof(buf));
        cb(ctx, "vxlan_vni", buf);
    }
}

/* One action as "name(args)" (or just "name"). */
static void
action_str(const struct fw_action *a, char *buf, size_t size)
{
    const char *name = fw_action_name(a->type);
    char x[48], y[48];

    switch (a->type) {
    case FW_ACT_FWD_VPORT:
        vport_name(a->u.fwd.vport, x, sizeof(x));
        snprintf(buf, size, "%s(%s)", name, x);
        break;
    case FW_ACT_FWD_REP:
        vport_name(a->u.fwd.vport, x, sizeof(x));
        snprintf(buf, size, "%s(%s,queue=%u)", name, x, a->u.fwd.queue);
        break;
    case FW_ACT_JUMP:
        snprintf(buf, size, "%s(group=%u)", name, a->u.jump.group);
        break;
    case FW_ACT_COUNT:
        snprintf(buf, size, "%s(id=%u)", name, a->u.count.counter_id);
        break;
    case FW_ACT_RSS:
        snprintf(buf, size, "%s(ctx=%u)", name, a->u.rss.ctx_id);
        break;
    case FW_ACT_MARK:
        snprintf(buf, size, "%s(0x%x)", name, a->u.mark.id);
        break;
    case FW_ACT_PUSH_VLAN:
        snprintf(buf, size, "%s(tpid=0x%04x,vid=%u,pcp=%u)", name,
                 ntohs(a->u.push_vlan.tpid),
                 ntohs(a->u.push_vlan.tci) & 0x0fffu,
                 ntohs(a->u.push_vlan.tci) >> 13);
        break;
    case FW_ACT_SET_VLAN_VID:
        snprintf(buf, size, "%s(%u)", name, ntohs(a->u.set_vid.vid) & 0xfffu);
        break;
    case FW_ACT_SET_VLAN_PCP:
        snprintf(buf, size, "%s(%u)", name, a->u.set_pcp.pcp);
        break;
    case FW_ACT_SET_MAC_SRC:
    case FW_ACT_SET_MAC_DST:
        mac_str(a->u.set_mac.mac, x, sizeof(x));
        snprintf(buf, size, "%s(%s)", name, x);
        break;
    case FW_ACT_SET_IPV4_SRC:
    case FW_ACT_SET_IPV4_DST:
        inet_ntop(AF_INET, &a->u.set_ipv4.addr, x, sizeof(x));
        snprintf(buf, size, "%s(%s)", name, x);
        break;
    case FW_ACT_SET_L4_SRC:
    case FW_ACT_SET_L4_DST:
        snprintf(buf, size, "%s(%u)", name, ntohs(a->u.set_l4.port));
        break;
    case FW_ACT_SET_IP_TOS:
        snprintf(buf, size, "%s(0x%02x)", name, a->u.set_tos.tos);
        break;
    case FW_ACT_VXLAN_ENCAP:
        inet_ntop(AF_INET, &a->u.vxlan_encap.ipv4_src, x, sizeof(x));
        inet_ntop(AF_INET, &a->u.vxlan_encap.ipv4_dst, y, sizeof(y));
        snprintf(buf, size, "%s(%s->%s,vni=%u,udp_dst=%u)", name, x, y,
                 a->u.vxlan_encap.vni, ntohs(a->u.vxlan_encap.udp_dst));
        break;
    default:
        snprintf(buf, size, "%s", name);
        break;
    }
}

/* ------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------ */

static void
text_field(void *ctx, const char *name, const char *value)
{
    int *n = ctx;

    printf("%s%s=%s", (*n)++ ? "," : "", name, value);
}

static void
json_field(void *ctx, const char *name, const char *value)
{
    json_object_set_new(ctx, name, json_string(value));
}

static void
print_text(const struct rule_list *l, uint32_t total)
{
    uint32_t group = UINT32_MAX;

    printf("%zu rule%s listed (%u in the card)\n", l->n, l->n == 1 ? "" : "s",
           total);
    for (size_t i = 0; i < l->n; i++) {
        const struct rule *r = &l->v[i];
        char act[160];
        int n = 0;

        if (r->e.group != group) {
            group = r->e.group;
            printf("group %u%s\n", group, group == 0 ? " (root)" : "");
        }
        printf("  id=0x%08x prio=%u%s match=", r->e.rule_id, r->e.priority,
               r->e.flags & FW_RULE_E_TOMBSTONE ? " tombstone" : "");
        each_field(&r->e.value, &r->e.mask, text_field, &n);
        if (n == 0)
            printf("any");
        printf(" actions=");
        for (unsigned a = 0; a < r->e.n_actions; a++) {
            action_str(&r->actions[a], act, sizeof(act));
            printf("%s%s", a ? "," : "", act);
        }
        if (r->n_counters > 0)
            printf(" packets=%" PRIu64 " bytes=%" PRIu64, r->packets,
                   r->bytes);
        printf("\n");
    }
}

static void
print_json(const struct rule_list *l, uint32_t total)
{
    json_t *list = json_array();
    json_t *o;

    for (size_t i = 0; i < l->n; i++) {
        const struct rule *r = &l->v[i];
        json_t *match = json_object(), *acts = json_array(), *jr;
        char act[160];

        each_field(&r->e.value, &r->e.mask, json_field, match);
        for (unsigned a = 0; a < r->e.n_actions; a++) {
            action_str(&r->actions[a], act, sizeof(act));
            json_array_append_new(acts, json_string(act));
        }
        jr = json_pack("{s:I, s:I, s:i, s:b, s:o, s:o}",
                       "id", (json_int_t)r->e.rule_id,
                       "group", (json_int_t)r->e.group,
                       "priority", (int)r->e.priority,
                       "tombstone", (r->e.flags & FW_RULE_E_TOMBSTONE) != 0,
                       "match", match, "actions", acts);
        if (r->n_counters > 0) {
            json_object_set_new(jr, "packets", json_integer((json_int_t)
                                                            r->packets));
            json_object_set_new(jr, "bytes", json_integer((json_int_t)
                                                          r->bytes));
        }
        json_array_append_new(list, jr);
    }
    o = json_pack("{s:I, s:o}", "total", (json_int_t)total, "rules", list);
    json_dumpf(o, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(o);
}

int
snic_fw_cmd_rules(struct fw_tool *t, int argc, char **argv)
{
    struct rule_list l = { 0 };
    struct fw_query_health_out h;
    struct fw_cmd_hdr hin = { 0 };
    bool by_group = false;
    uint32_t group = 0;
    int rc = 1;

    if (argc > 1) {
        fprintf(stderr, "snic-fw: rules takes at most one argument, a "
                        "group number\n");
        return 2;
    }
    if (argc == 1) {
        char *end;
        unsigned long long g;

        errno = 0;
        g = strtoull(argv[0], &end, 0);
        if (errno || end == argv[0] || *end || g > UINT32_MAX) {
            fprintf(stderr, "snic-fw: rules: '%s' is not a group number\n",
                    argv[0]);
            return 2;
        }
        by_group = true;
        group = (uint32_t)g;
    }
    if (fw_chan_abi_minor(t->chan) < 3) {
        fprintf(stderr, "snic-fw: %s: the card speaks ABI 1.%u; listing its "
                        "rules needs 1.3 (RULE_QUERY)\n", t->socket,
                fw_chan_abi_minor(t->chan));
        return 1;
    }
    if (read_rules(t, by_group, group, &l) < 0 ||
        read_counters(t, &l) < 0 ||
        snic_fw_run(t, FW_CMD_QUERY_HEALTH, &hin, sizeof(hin), &h,
                    sizeof(h)) < 0)
        goto out;
    /* an empty card leaves l.v NULL, which qsort may not be given */
    if (l.n > 1)
        qsort(l.v, l.n, sizeof(*l.v), rule_cmp);
    if (t->json)
        print_json(&l, h.rules);
    else
        print_text(&l, h.rules);
    rc = 0;
out:
    free(l.v);
    return rc;
}
