/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow language, written: the inverse of flow_parse() for every flow it
 * can produce, in one canonical order (like `ovs-ofctl dump-flows`), so two
 * equal flows always print the same line and parse(format(f)) == f.
 *
 * Where several spellings parse to the same model (eth_src=/dl_src=,
 * pop_vlan/strip_vlan, set_field:V->ip_dscp / mod_nw_tos:V<<2...), the
 * formatter picks one; the model, not the text, is what round-trips.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flow_priv.h"

/* snprintf-style accumulator: counts what it would need past the end. */
struct sbuf {
    char *buf;
    size_t size;
    size_t len;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
    char *dst = sb->len < sb->size ? sb->buf + sb->len : NULL;
    size_t room = sb->len < sb->size ? sb->size - sb->len : 0;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb->len += (size_t)n;
}

static int
sb_result(struct sbuf *sb)
{
    if (sb->size > 0 && sb->len >= sb->size)
        sb->buf[sb->size - 1] = '\0';
    return sb->len > INT32_MAX ? INT32_MAX : (int)sb->len;
}

/* The common pieces without a format string: a dump of a million flows
 * spends its time here. Same contract as sb_printf (what does not fit is
 * counted, the text stays NUL-terminated). */
static void
sb_put(struct sbuf *sb, const char *p, size_t n)
{
    if (sb->len < sb->size) {
        size_t room = sb->size - sb->len - 1;
        size_t k = n < room ? n : room;

        memcpy(sb->buf + sb->len, p, k);
        sb->buf[sb->len + k] = '\0';
    }
    sb->len += n;
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
    sb_put(sb, s, strlen(s));
}

static void
sb_u64(struct sbuf *sb, uint64_t v)
{
    char d[20];
    size_t i = sizeof(d);

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    sb_put(sb, d + i, sizeof(d) - i);
}

static void
sb_hex(struct sbuf *sb, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    char d[16];
    size_t i = sizeof(d);

    do {
        d[--i] = hex[v & 15];
        v >>= 4;
    } while (v != 0);
    sb_put(sb, d + i, sizeof(d) - i);
}

/* Match items are comma-separated; the first one needs no comma. */
struct items {
    struct sbuf *sb;
    bool any;
};

/* Straight into the buffer: a dump of a million flows formats each one
 * once, not once into a scratch buffer and again with its comma. */
static void __attribute__((format(printf, 2, 3)))
item(struct items *it, const char *fmt, ...)
{
    struct sbuf *sb = it->sb;
    char *dst;
    size_t room;
    va_list ap;
    int n;

    if (it->any) {
        if (sb->len + 1 < sb->size)
            sb->buf[sb->len] = ',';
        sb->len++;
    }
    it->any = true;
    dst = sb->len < sb->size ? sb->buf + sb->len : NULL;
    room = sb->len < sb->size ? sb->size - sb->len : 0;
    va_start(ap, fmt);
    n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb->len += (size_t)n;
}

static void
item_sep(struct items *it)
{
    if (it->any)
        sb_put(it->sb, ",", 1);
    it->any = true;
}

/* "NAME" */
static void
item_str(struct items *it, const char *name)
{
    item_sep(it);
    sb_puts(it->sb, name);
}

/* "NAME=VALUE" */
static void
item_kv(struct items *it, const char *name, const char *value)
{
    item_sep(it);
    sb_puts(it->sb, name);
    sb_put(it->sb, "=", 1);
    sb_puts(it->sb, value);
}

/* "NAME=N" */
static void
item_u(struct items *it, const char *name, uint64_t v)
{
    item_sep(it);
    sb_puts(it->sb, name);
    sb_put(it->sb, "=", 1);
    sb_u64(it->sb, v);
}

static void
port_name(const struct flow_port_map *ports, uint32_t port, char *buf,
          size_t size)
{
    const char *name = fp_reserved_port_name(port);

    if (name == NULL && ports != NULL && ports->port_to_name != NULL)
        name = ports->port_to_name(ports->ctx, port);
    if (name != NULL) {
        size_t n = strnlen(name, size - 1);

        memcpy(buf, name, n);
        buf[n] = '\0';
    } else {
        snprintf(buf, size, "%u", port);
    }
}

static void
mac_str(const uint8_t m[6], char *buf, size_t size)
{
    snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x",
             m[0], m[1], m[2], m[3], m[4], m[5]);
}

static bool
all_ones(const void *p, size_t size)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < size; i++)
        if (b[i] != 0xff)
            return false;
    return true;
}

static bool
all_zero(const void *p, size_t size)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < size; i++)
        if (b[i] != 0)
            return false;
    return true;
}

static void
fmt_mac(struct items *it, const char *name, const uint8_t v[6],
        const uint8_t m[6])
{
    char a[24], b[24];

    if (all_zero(m, 6))
        return;
    mac_str(v, a, sizeof(a));
    if (all_ones(m, 6)) {
        item_kv(it, name, a);
        return;
    }
    mac_str(m, b, sizeof(b));
    item(it, "%s=%s/%s", name, a, b);
}

/* Prefix length of a contiguous network-order mask, or -1. */
static int
prefix_len(const uint8_t *m, size_t size)
{
    size_t bits = 0;
    bool ended = false;

    for (size_t i = 0; i < size * 8; i++) {
        bool one = m[i / 8] & (0x80u >> (i % 8));

        if (one && ended)
            return -1;
        if (one)
            bits++;
        else
            ended = true;
    }
    return (int)bits;
}

/* inet_ntop's dotted quad, without its generality */
static void
ipv4_str(flow_be32 v, char buf[INET_ADDRSTRLEN])
{
    const uint8_t *b = (const uint8_t *)&v;
    char *w = buf;

    for (int i = 0; i < 4; i++) {
        if (i > 0)
            *w++ = '.';
        if (b[i] >= 100)
            *w++ = (char)('0' + b[i] / 100);
        if (b[i] >= 10)
            *w++ = (char)('0' + b[i] / 10 % 10);
        *w++ = (char)('0' + b[i] % 10);
    }
    *w = '\0';
}

static void
fmt_ipv4(struct items *it, const char *name, flow_be32 v, flow_be32 m)
{
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
    int plen;

    if (m == 0)
        return;
    plen = prefix_len((const uint8_t *)&m, 4);
    ipv4_str(v, a);
    if (plen == 32)
        item_kv(it, name, a);
    else if (plen > 0)
        item(it, "%s=%s/%d", name, a, plen);
    else {
        inet_ntop(AF_INET, &m, b, sizeof(b));
        item(it, "%s=%s/%s", name, a, b);
    }
}

static void
fmt_ipv6(struct items *it, const char *name, const uint8_t v[16],
         const uint8_t m[16])
{
    char a[INET6_ADDRSTRLEN];
    int plen;

    if (all_zero(m, 16))
        return;
    plen = prefix_len(m, 16);
    inet_ntop(AF_INET6, v, a, sizeof(a));
    if (plen == 128)
        item_kv(it, name, a);
    else
        item(it, "%s=%s/%d", name, a, plen < 0 ? 128 : plen);
}

static void
fmt_be16(struct items *it, const char *name, flow_be16 v, flow_be16 m)
{
    if (m == 0)
        return;
    if (m == 0xffff)
        item(it, "%s=%u", name, ntohs(v));
    else
        item(it, "%s=0x%x/0x%x", name, ntohs(v), ntohs(m));
}

/* tcp_flags as ovs-ofctl writes them: syn|ack when every flag is fixed,
 * else +syn-ack (the flags the mask covers, set or clear). */
static void
fmt_tcp_flags(struct items *it, flow_be16 bv, flow_be16 bm)
{
    static const char *const names[12] = {
        "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns",
        "[200]", "[400]", "[800]",
    };
    uint16_t v = ntohs(bv), m = ntohs(bm) & 0xfff;
    char buf[96];
    size_t n = 0;

    if (m == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < 12; i++) {
        if (m == 0xfff && (v & 1u << i))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
                                  n ? "|" : "", names[i]);
        else if (m != 0xfff && (m & 1u << i))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%c%s",
                                  v & 1u << i ? '+' : '-', names[i]);
    }
    if (n == 0)
        item(it, "tcp_flags=0");    /* every flag clear */
    else
        item(it, "tcp_flags=%s", buf);
}

/* The parts of the top MPLS entry the match fixes, in Open vSwitch's
 * order (the parser takes only whole parts). */
static void
fmt_mpls(struct items *it, uint32_t v, uint32_t m)
{
    if (m & 0xfffff000u)
        item_u(it, "mpls_label", v >> 12);
    if (m & 0xe00u)
        item_u(it, "mpls_tc", v >> 9 & 7);
    if (m & 0xffu)
        item_u(it, "mpls_ttl", v & 0xff);
    if (m & 0x100u)
        item_u(it, "mpls_bos", v >> 8 & 1);
}

/* The shorthand that says dl_type (and nw_proto); sets *proto_done. */
static void
fmt_proto(struct items *it, const struct flow_match *fm, bool *proto_done)
{
    static const struct {
        uint16_t dl_type;
        uint8_t proto;
        const char *name;
    } names[] = {
        { 0x0800, IPPROTO_TCP, "tcp" }, { 0x0800, IPPROTO_UDP, "udp" },
        { 0x0800, IPPROTO_SCTP, "sctp" }, { 0x0800, IPPROTO_ICMP, "icmp" },
        { 0x86dd, IPPROTO_TCP, "tcp6" }, { 0x86dd, IPPROTO_UDP, "udp6" },
        { 0x86dd, IPPROTO_SCTP, "sctp6" },
        { 0x86dd, IPPROTO_ICMPV6, "icmp6" },
    };
    const struct flow_key *v = &fm->value, *m = &fm->mask;
    uint16_t type = ntohs(v->dl_type);

    *proto_done = false;
    /* packet_type=(1,T) says dl_type (fmt_packet_type()) */
    if (m->dl_type == 0 || m->packet_type != 0)
        return;
    if (m->nw_proto == 0xff)
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (names[i].dl_type == type && names[i].proto == v->nw_proto) {
                item_str(it, names[i].name);
                *proto_done = true;
                return;
            }
    if (type == 0x0800)
        item_str(it, "ip");
    else if (type == 0x86dd)
        item_str(it, "ipv6");
    else if (type == 0x0806)
        item_str(it, "arp");
    else if (type == 0x8847)
        item_str(it, "mpls");
    else if (type == 0x8848)
        item_str(it, "mplsm");
    else
        item(it, "dl_type=0x%04x", type);
}

/* A number of packet_type as Open vSwitch prints it: 0..9 in decimal,
 * the rest in hex. */
static void
pt_num(char *buf, size_t size, unsigned v)
{
    snprintf(buf, size, v < 10 ? "%u" : "%#x", v);
}

/* packet_type=(1,T) in place of the shorthand: dl_type is implied by it
 * (fmt_proto() printed nothing for it, see there). */
static void
fmt_packet_type(struct items *it, const struct flow_match *fm,
                bool *proto_done)
{
    uint32_t pt = ntohl(fm->value.packet_type);
    char ns[16], type[16];

    if (fm->mask.packet_type == 0)
        return;
    pt_num(ns, sizeof(ns), FLOW_PT_NS(pt));
    pt_num(type, sizeof(type), FLOW_PT_TYPE(pt));
    item(it, "packet_type=(%s,%s)", ns, type);
    *proto_done = false;
}

static void
fmt_vlan(struct items *it, flow_be16 bv, flow_be16 bm)
{
    uint16_t v = ntohs(bv), m = ntohs(bm);

    if (m == 0)
        return;
    if ((v & FLOW_VLAN_CFI) && (m == 0x1fff || m == 0xffff))
        item_u(it, "dl_vlan", v & FLOW_VLAN_VID_MASK);
    if ((v & FLOW_VLAN_CFI) && (m == 0xf000 || m == 0xffff))
        item_u(it, "dl_vlan_pcp", v >> FLOW_VLAN_PCP_SHIFT);
    if ((v & FLOW_VLAN_CFI) && (m == 0x1fff || m == 0xf000 || m == 0xffff))
        return;
    if (m == 0xffff)
        item(it, "vlan_tci=0x%04x", v);
    else
        item(it, "vlan_tci=0x%04x/0x%04x", v, m);
}

/* Open vSwitch's way: hexadecimal, 0 as "0", the mask when partial. */
static void
fmt_hex_masked(struct items *it, const char *name, uint64_t v, uint64_t m,
               uint64_t full)
{
    char a[24], b[24];

    if (m == 0)
        return;
    snprintf(a, sizeof(a), v ? "0x%llx" : "0", (unsigned long long)v);
    if (m == full) {
        item_kv(it, name, a);
        return;
    }
    snprintf(b, sizeof(b), "0x%llx", (unsigned long long)m);
    item(it, "%s=%s/%s", name, a, b);
}

/* ct_state as Open vSwitch prints it: the flags of the mask in bit order,
 * each + or -; a match on all eight flags (the whole field: the bits
 * above are always zero) as the flags set joined by |. */
static void
fmt_ct_state(struct items *it, uint32_t v, uint32_t m)
{
    static const char *const names[8] = {
        "new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat",
    };
    char buf[96];
    size_t n = 0;

    if (m == 0)
        return;
    buf[0] = '\0';
    for (unsigned i = 0; i < 8; i++) {
        if (m == FLOW_CS_ALL) {
            if (v & 1u << i)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
                                      n ? "|" : "", names[i]);
        } else if (m & 1u << i) {
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%c%s",
                                  (v & 1u << i) ? '+' : '-', names[i]);
        }
    }
    if (n == 0)
        snprintf(buf, sizeof(buf), "0");
    item(it, "ct_state=%s", buf);
}

static void
fmt_ct_label(struct items *it, const uint64_t v[2], const uint64_t m[2])
{
    char a[40], b[40];

    if (v[1] != 0)
        snprintf(a, sizeof(a), "0x%llx%016llx", (unsigned long long)v[1],
                 (unsigned long long)v[0]);
    else
        snprintf(a, sizeof(a), v[0] ? "0x%llx" : "0",
                 (unsigned long long)v[0]);
    if (m[0] == UINT64_MAX && m[1] == UINT64_MAX) {
        item(it, "ct_label=%s", a);
        return;
    }
    if (m[1] != 0)
        snprintf(b, sizeof(b), "0x%llx%016llx", (unsigned long long)m[1],
                 (unsigned long long)m[0]);
    else
        snprintf(b, sizeof(b), "0x%llx", (unsigned long long)m[0]);
    item(it, "ct_label=%s/%s", a, b);
}

/* A number of up to 128 bits in hex ("0" for zero), as Open vSwitch
 * prints variable-length fields. */
static void
wide_hex(const uint64_t v[2], char *buf, size_t size)
{
    if (v[1] != 0)
        snprintf(buf, size, "0x%llx%016llx", (unsigned long long)v[1],
                 (unsigned long long)v[0]);
    else
        snprintf(buf, size, v[0] ? "0x%llx" : "0", (unsigned long long)v[0]);
}

/* tun_metadata0..63, by index: NAME=V for the whole option, NAME=V/M. */
static void
fmt_tun_md(struct items *it, const struct flow_match *fm)
{
    uint64_t used = 0;

    /* only the options the mask's slots name, in index order: most flows
     * have none, and asking for each of the 64 was a tenth of a dump */
    for (unsigned s = 0; s < FLOW_TUN_MD_SLOTS; s++)
        if (fm->mask.meta.tun_md_slot[s] & FLOW_TUN_MD_USED)
            used |= 1ull << (fm->mask.meta.tun_md_slot[s]
                             & FLOW_TUN_MD_INDEX);
    for (; used != 0; used &= used - 1) {
        unsigned i = (unsigned)__builtin_ctzll(used);
        uint64_t v[2], mk[2];
        char a[40], b[40];
        bool exact;

        if (!flow_tun_md_match_get(fm, i, v, mk, &exact))
            continue;
        wide_hex(v, a, sizeof(a));
        if (exact) {
            item(it, "tun_metadata%u=%s", i, a);
            continue;
        }
        wide_hex(mk, b, sizeof(b));
        item(it, "tun_metadata%u=%s/%s", i, a, b);
    }
}

/* Registers one by one (an xreg or xxreg match prints as its regs, as
 * Open vSwitch prints it), then metadata and pkt_mark. */
static void
fmt_meta(struct items *it, const struct flow_match *fm,
         const struct flow_meta *v, const struct flow_meta *m)
{
    /* names written out: a snprintf per register was a fifth of a dump */
    static const char *const reg[] = {
        "reg0", "reg1", "reg2", "reg3", "reg4", "reg5", "reg6", "reg7",
        "reg8", "reg9", "reg10", "reg11", "reg12", "reg13", "reg14", "reg15",
    };
    _Static_assert(sizeof(reg) / sizeof(reg[0]) == FLOW_N_REGS,
                   "a name for each register");

    for (unsigned i = 0; i < FLOW_N_REGS; i++)
        fmt_hex_masked(it, reg[i], v->regs[i], m->regs[i], UINT32_MAX);
    fmt_hex_masked(it, "metadata", v->metadata, m->metadata, UINT64_MAX);
    fmt_hex_masked(it, "pkt_mark", v->pkt_mark, m->pkt_mark, UINT32_MAX);
    fmt_tun_md(it, fm);
    /* exact only (the parser takes no mask), decimal as Open vSwitch */
    if (m->conj_id != 0)
        item_u(it, "conj_id", v->conj_id);
    fmt_ct_state(it, v->ct_state, m->ct_state);
    if (m->ct_zone != 0)
        item_u(it, "ct_zone", v->ct_zone);
    fmt_hex_masked(it, "ct_mark", v->ct_mark, m->ct_mark, UINT32_MAX);
    if (m->ct_label[0] != 0 || m->ct_label[1] != 0)
        fmt_ct_label(it, v->ct_label, m->ct_label);
    if (m->actset_output != 0) {
        const char *name = fp_reserved_port_name(v->actset_output);

        if (v->actset_output == 0)
            item(it, "actset_output=UNSET");
        else if (name != NULL)
            item(it, "actset_output=%s", name);
        else
            item(it, "actset_output=%u", v->actset_output);
    }
}

static void
fmt_match(struct items *it, const struct flow *f,
          const struct flow_port_map *ports)
{
    const struct flow_match *fm = &f->match;
    const struct flow_key *v = &fm->value, *m = &fm->mask;
    bool proto_done, icmp;
    unsigned nd_type;
    char port[64];

    if (f->priority != FLOW_DEFAULT_PRIORITY)
        item_u(it, "priority", f->priority);
    fmt_proto(it, fm, &proto_done);
    fmt_packet_type(it, fm, &proto_done);
    if (m->tun_id == UINT64_MAX)
        item(it, "tun_id=0x%llx", (unsigned long long)be64toh(v->tun_id));
    else if (m->tun_id != 0)
        item(it, "tun_id=0x%llx/0x%llx",
             (unsigned long long)be64toh(v->tun_id),
             (unsigned long long)be64toh(m->tun_id));
    fmt_ipv4(it, "tun_src", v->tun_src, m->tun_src);
    fmt_ipv4(it, "tun_dst", v->tun_dst, m->tun_dst);
    if (m->in_port != 0) {
        port_name(ports, v->in_port, port, sizeof(port));
        item_kv(it, "in_port", port);
    }
    fmt_meta(it, fm, &v->meta, &m->meta);
    fmt_vlan(it, v->vlan_tci, m->vlan_tci);
    fmt_mac(it, "dl_src", v->dl_src, m->dl_src);
    fmt_mac(it, "dl_dst", v->dl_dst, m->dl_dst);
    nd_type = flow_match_nd_type(fm);
    if (nd_type == 0) {     /* else the bytes are nd_target's */
        fmt_ipv4(it, "nw_src", v->nw_src, m->nw_src);
        fmt_ipv4(it, "nw_dst", v->nw_dst, m->nw_dst);
    }
    fmt_ipv6(it, "ipv6_src", v->ipv6_src, m->ipv6_src);
    fmt_ipv6(it, "ipv6_dst", v->ipv6_dst, m->ipv6_dst);
    if (m->nw_proto != 0 && !proto_done)
        item_u(it, "nw_proto", v->nw_proto);
    if (m->nw_tos != 0)
        item_u(it, "nw_tos", v->nw_tos);
    if (m->nw_ttl != 0)
        item_u(it, "nw_ttl", v->nw_ttl);
    icmp = flow_match_is_ip_proto(fm, IPPROTO_ICMP)
        || flow_match_is_ip_proto(fm, IPPROTO_ICMPV6);
    if (icmp && m->tp_src == 0xffff)
        item_u(it, "icmp_type", ntohs(v->tp_src));
    else
        fmt_be16(it, "tp_src", v->tp_src, m->tp_src);
    if (icmp && m->tp_dst == 0xffff)
        item_u(it, "icmp_code", ntohs(v->tp_dst));
    else
        fmt_be16(it, "tp_dst", v->tp_dst, m->tp_dst);
    if (nd_type != 0) {
        /* after icmp_type and icmp_code, as ovs-ofctl prints them */
        fmt_ipv6(it, "nd_target", v->nd_target, m->nd_target);
        fmt_mac(it, nd_type == 135 ? "nd_sll" : "nd_tll", v->nd_lla,
                m->nd_lla);
        return;
    }
    fmt_tcp_flags(it, v->tcp_flags, m->tcp_flags);
    fmt_mpls(it, ntohl(v->mpls_lse), ntohl(m->mpls_lse));
}

static const char *hash_fields_name(unsigned fields);

static void
fmt_action(struct sbuf *sb, const struct flow_action *a,
           const struct flow_port_map *ports)
{
    char s[64];

    switch (a->type) {
    case FLOW_ACT_OUTPUT:
        port_name(ports, a->u.port, s, sizeof(s));
        /* reserved ports bare, as Open vSwitch writes them */
        if (a->u.port == FLOW_PORT_CONTROLLER)
            sb_printf(sb, "%s:%u", s, a->pad0);
        else if (flow_port_is_reserved(a->u.port))
            sb_puts(sb, s);
        else {
            sb_puts(sb, "output:");
            sb_puts(sb, s);
        }
        break;
    case FLOW_ACT_PUSH_VLAN:
        sb_printf(sb, "push_vlan:0x%04x", ntohs(a->u.tpid));
        break;
    case FLOW_ACT_MOD_VLAN_VID:
        if (a->u.vlan.push_if_untagged)
            sb_printf(sb, "mod_vlan_vid:%u", ntohs(a->u.vlan.vid));
        else if (a->pad0 & FLOW_ACT_F_SET_VLAN)
            sb_printf(sb, "set_vlan_vid:%u", ntohs(a->u.vlan.vid));
        else    /* with OXM's OFPVID_PRESENT: without it Open vSwitch
                 * refuses the line as OpenFlow 1.1+ (goto_table...) */
            sb_printf(sb, "set_field:%u->vlan_vid",
                      FLOW_VLAN_CFI | ntohs(a->u.vlan.vid));
        break;
    case FLOW_ACT_MOD_VLAN_PCP:
        if (a->u.vlan.push_if_untagged)
            sb_printf(sb, "mod_vlan_pcp:%u", a->u.vlan.pcp);
        else if (a->pad0 & FLOW_ACT_F_SET_VLAN)
            sb_printf(sb, "set_vlan_pcp:%u", a->u.vlan.pcp);
        else
            sb_printf(sb, "set_field:%u->vlan_pcp", a->u.vlan.pcp);
        break;
    case FLOW_ACT_STRIP_VLAN:
        sb_puts(sb, "strip_vlan");
        break;
    case FLOW_ACT_MOD_DL_SRC:
    case FLOW_ACT_MOD_DL_DST:
        mac_str(a->u.mac, s, sizeof(s));
        sb_printf(sb, "mod_dl_%s:%s",
                  a->type == FLOW_ACT_MOD_DL_SRC ? "src" : "dst", s);
        break;
    case FLOW_ACT_MOD_NW_SRC:
    case FLOW_ACT_MOD_NW_DST:
        inet_ntop(AF_INET, &a->u.ipv4, s, sizeof(s));
        sb_printf(sb, "mod_nw_%s:%s",
                  a->type == FLOW_ACT_MOD_NW_SRC ? "src" : "dst", s);
        break;
    case FLOW_ACT_MOD_NW_TOS:
        sb_printf(sb, "mod_nw_tos:%u", a->u.tos);
        break;
    case FLOW_ACT_MOD_TP_SRC:
    case FLOW_ACT_MOD_TP_DST:
        if (a->pad0 & (FLOW_ACT_F_ICMPV4 | FLOW_ACT_F_ICMPV6)) {
            sb_printf(sb, "set_field:%u->%s_%s", ntohs(a->u.tp_port),
                      (a->pad0 & FLOW_ACT_F_ICMPV4) ? "icmp" : "icmpv6",
                      a->type == FLOW_ACT_MOD_TP_SRC ? "type" : "code");
            break;
        }
        sb_printf(sb, "mod_tp_%s:%u",
                  a->type == FLOW_ACT_MOD_TP_SRC ? "src" : "dst",
                  ntohs(a->u.tp_port));
        break;
    case FLOW_ACT_DEC_TTL:
        sb_puts(sb, "dec_ttl");
        break;
    case FLOW_ACT_SET_TUNNEL:
        sb_printf(sb, "set_tunnel:0x%llx",
                  (unsigned long long)be64toh(a->u.tun_id));
        break;
    case FLOW_ACT_SET_TUN_SRC:
    case FLOW_ACT_SET_TUN_DST:
        inet_ntop(AF_INET, &a->u.ipv4, s, sizeof(s));
        sb_printf(sb, "set_field:%s->tun_%s", s,
                  a->type == FLOW_ACT_SET_TUN_SRC ? "src" : "dst");
        break;
    case FLOW_ACT_GOTO_TABLE:
        sb_printf(sb, "goto_table:%u", a->u.table);
        break;
    case FLOW_ACT_MOD_NW_TTL:
        sb_printf(sb, (a->pad0 & FLOW_ACT_F_SET_FIELD)
                      ? "set_field:%u->nw_ttl" : "mod_nw_ttl:%u", a->u.ttl);
        break;
    case FLOW_ACT_OUTPUT_TRUNC:
        port_name(ports, a->u.trunc.port, s, sizeof(s));
        sb_printf(sb, "output(port=%s,max_len=%u)", s, a->u.trunc.max_len);
        break;
    case FLOW_ACT_MOD_NW_ECN:
        sb_printf(sb, "mod_nw_ecn:%u", a->u.tos);
        break;
    case FLOW_ACT_LOAD:
        flow_subfield_format(&a->dst, s, sizeof(s));
        sb_printf(sb, a->u.value ? "load:0x%llx->%s" : "load:%llu->%s",
                  (unsigned long long)a->u.value, s);
        break;
    case FLOW_ACT_MOVE: {
        char d[64];

        flow_subfield_format(&a->u.src, s, sizeof(s));
        flow_subfield_format(&a->dst, d, sizeof(d));
        sb_printf(sb, "move:%s->%s", s, d);
        break;
    }
    case FLOW_ACT_OUTPUT_REG:
        flow_subfield_format(&a->u.src, s, sizeof(s));
        sb_printf(sb, "output:%s", s);
        break;
    case FLOW_ACT_RESUBMIT:
        if (a->u.resubmit.port != FLOW_RESUBMIT_IN_PORT)
            port_name(ports, a->u.resubmit.port, s, sizeof(s));
        else
            snprintf(s, sizeof(s), "%s", "");
        if (a->u.resubmit.table == FLOW_RESUBMIT_TABLE_SAME)
            sb_printf(sb, "resubmit:%s", s[0] ? s : "IN_PORT");
        else
            sb_printf(sb, "resubmit(%s,%u)", s, a->u.resubmit.table);
        break;
    case FLOW_ACT_MOD_VLAN_TCI:
        if (a->u.tci.mask == 0xffff)
            sb_printf(sb, "set_field:0x%04x->vlan_tci", ntohs(a->u.tci.value));
        else
            sb_printf(sb, "set_field:0x%04x/0x%04x->vlan_tci",
                      ntohs(a->u.tci.value), ntohs(a->u.tci.mask));
        break;
    case FLOW_ACT_SET_IN_PORT:
        port_name(ports, a->u.port, s, sizeof(s));
        sb_printf(sb, "set_field:%s->in_port", s);
        break;
    case FLOW_ACT_CT_CLEAR:
        sb_puts(sb, "ct_clear");
        break;
    case FLOW_ACT_FIN_TIMEOUT: {
        char t[64];

        fp_fin_timeout_format(a, t, sizeof(t));
        sb_puts(sb, t);
        break;
    }
    case FLOW_ACT_CONJUNCTION:
        sb_printf(sb, "conjunction(%u,%u/%u)", a->u.conj.id, a->u.conj.clause,
                  a->u.conj.n_clauses);
        break;
    case FLOW_ACT_PUSH_MPLS:
        sb_printf(sb, "push_mpls:0x%04x", ntohs(a->u.tpid));
        break;
    case FLOW_ACT_POP_MPLS:
        sb_printf(sb, "pop_mpls:0x%04x", ntohs(a->u.tpid));
        break;
    case FLOW_ACT_SET_MPLS_LABEL:
    case FLOW_ACT_SET_MPLS_TC:
    case FLOW_ACT_SET_MPLS_TTL: {
        /* each as the line spelled it: Open vSwitch keeps them apart */
        static const char *const names[3][3] = {
            { "set_mpls_label", "mpls_label", "OXM_OF_MPLS_LABEL" },
            { "set_mpls_tc", "mpls_tc", "OXM_OF_MPLS_TC" },
            { "set_mpls_ttl", "mpls_ttl", "NXM_NX_MPLS_TTL" },
        };
        const char *const *n = names[a->type - FLOW_ACT_SET_MPLS_LABEL];

        if (a->pad0 & FLOW_ACT_F_MPLS_SET_FIELD)
            sb_printf(sb, "set_field:%u->%s", a->u.mpls, n[1]);
        else if (a->pad0 & FLOW_ACT_F_MPLS_LOAD)
            sb_printf(sb, a->u.mpls ? "load:0x%x->%s[]" : "load:%u->%s[]",
                      a->u.mpls, n[2]);
        else
            sb_printf(sb, "%s(%u)", n[0], a->u.mpls);
        break;
    }
    case FLOW_ACT_DEC_MPLS_TTL:
        sb_puts(sb, "dec_mpls_ttl");
        break;
    case FLOW_ACT_CLEAR_ACTIONS:
        sb_printf(sb, "clear_actions");
        break;
    case FLOW_ACT_ENQUEUE:
        port_name(ports, a->u.enqueue.port, s, sizeof(s));
        sb_printf(sb, "enqueue:%s:%u", s, a->u.enqueue.queue);
        break;
    case FLOW_ACT_STACK_PUSH:
        flow_subfield_format(&a->u.src, s, sizeof(s));
        sb_printf(sb, "push:%s", s);
        break;
    case FLOW_ACT_STACK_POP:
        flow_subfield_format(&a->dst, s, sizeof(s));
        sb_printf(sb, "pop:%s", s);
        break;
    case FLOW_ACT_MULTIPATH: {
        static const char *const algs[] = {
            "modulo_n", "hash_threshold", "hrw", "iter_hash",
        };

        flow_subfield_format(&a->dst, s, sizeof(s));
        sb_printf(sb, "multipath(%s,%u,%s,%u,%u,%s)",
                  hash_fields_name(a->u.multipath.fields), a->pad0,
                  algs[a->u.multipath.algorithm & 3],
                  a->u.multipath.max_link + 1u, a->u.multipath.arg, s);
        break;
    }
    case FLOW_ACT_CHECK_PKT_LARGER:
        flow_subfield_format(&a->dst, s, sizeof(s));
        sb_printf(sb, "check_pkt_larger(%u)->%s", a->u.pkt_len, s);
        break;
    case FLOW_ACT_EXIT:
        sb_puts(sb, "exit");
        break;
    case FLOW_ACT_DEBUG_RECIRC:
        sb_puts(sb, "debug_recirc");
        break;
    case FLOW_ACT_DEBUG_SLOW:
        sb_puts(sb, "debug_slow");
        break;
    case FLOW_ACT_DECAP:
        if (a->pad0)
            sb_printf(sb, "decap(packet_type(ns=%u,type=%#x))",
                      FLOW_PT_NS(a->u.ptype), FLOW_PT_TYPE(a->u.ptype));
        else
            sb_puts(sb, "decap()");
        break;
    case FLOW_ACT_ENCAP:
        sb_puts(sb, a->u.ptype == FLOW_PT_ETH ? "encap(ethernet)"
                    : FLOW_PT_TYPE(a->u.ptype) == 0x8847 ? "encap(mpls)"
                                                         : "encap(mpls_mc)");
        break;
    default:
        /* not from the parser: say so rather than print something valid */
        sb_printf(sb, "unknown_action_%u", a->type);
        break;
    }
}

/* The loads the parser made of one write_metadata:VALUE/MASK, from
 * acts[i] on, back as that instruction; returns the index after them. */
static unsigned
fmt_write_metadata(struct sbuf *sb, const struct flow_action *acts,
                   unsigned i, unsigned n)
{
    uint64_t v = 0, m = 0;

    for (; i < n && acts[i].type == FLOW_ACT_LOAD
           && (acts[i].pad0 & FLOW_ACT_F_WRITE_METADATA); i++) {
        unsigned ofs = acts[i].dst.ofs, bits = acts[i].dst.n_bits;
        uint64_t ones = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;

        v |= acts[i].u.value << ofs;
        m |= ones << ofs;
    }
    if (m == UINT64_MAX)
        sb_printf(sb, v ? "write_metadata:0x%llx" : "write_metadata:%llu",
                  (unsigned long long)v);
    else
        sb_printf(sb, v ? "write_metadata:0x%llx/0x%llx"
                        : "write_metadata:%llu/0x%llx",
                  (unsigned long long)v, (unsigned long long)m);
    return i;
}

/* Open vSwitch's hexadecimal for a field value: "0", else "0x..." */
static void
fmt_hex128(struct sbuf *sb, const uint64_t v[2])
{
    if (v[1] != 0)
        sb_printf(sb, "0x%llx%016llx", (unsigned long long)v[1],
                  (unsigned long long)v[0]);
    else if (v[0] != 0)
        sb_printf(sb, "0x%llx", (unsigned long long)v[0]);
    else
        sb_puts(sb, "0");
}

/* The loads the parser made of one set_field:VALUE[/MASK]->FIELD, from
 * acts[i] on (same field, consecutive), back as that action; returns the
 * index after them. */
/* A header field's set_field value in the field's own notation (MAC,
 * IPv4, IPv6 address), else as a number. */
static void
fmt_hdr_value(struct sbuf *sb, unsigned field, const uint64_t v[2])
{
    unsigned width = flow_hdr_width(field);
    uint8_t b[16];
    char text[INET6_ADDRSTRLEN];

    for (unsigned i = 0; i < 16; i++)
        b[15 - i] = (uint8_t)(v[i / 8] >> (8 * (i % 8)));
    if (width == 48)
        sb_printf(sb, "%02x:%02x:%02x:%02x:%02x:%02x", b[10], b[11], b[12],
                  b[13], b[14], b[15]);
    else if (field == FLOW_FIELD_ARP_SPA || field == FLOW_FIELD_ARP_TPA
             || field == FLOW_FIELD_IP_SRC || field == FLOW_FIELD_IP_DST)
        sb_printf(sb, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    else if (width == 128 && inet_ntop(AF_INET6, b, text, sizeof(text)))
        sb_puts(sb, text);
    else
        fmt_hex128(sb, v);
}

static unsigned
fmt_set_field(struct sbuf *sb, const struct flow_action *acts, unsigned i,
              unsigned n)
{
    unsigned field = acts[i].dst.field, width = flow_subfield_width(field);
    bool hdr = flow_field_is_hdr(field);
    uint64_t v[2] = { 0, 0 }, m[2] = { 0, 0 };
    unsigned end = 0;
    char name[32];

    /* one set_field's loads are runs of its mask, low bits first, with a
     * gap between them (or split at bit 64); an overlapping or adjacent
     * load is the next set_field's */
    for (; i < n && acts[i].type == FLOW_ACT_LOAD
           && (acts[i].pad0 & FLOW_ACT_F_SET_FIELD)
           && acts[i].dst.field == field
           && (end == 0 || acts[i].dst.ofs > end
               || (acts[i].dst.ofs == 64 && end == 64)); i++) {
        unsigned ofs = acts[i].dst.ofs, bits = acts[i].dst.n_bits;
        uint64_t ones = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;

        end = ofs + bits;
        if (bits == 128) {
            /* a whole tun_metadata option in one load */
            v[0] = acts[i].u.value;
            m[0] = m[1] = UINT64_MAX;
            continue;
        }

        /* the parser never lets one load straddle bit 64 */
        v[ofs / 64] |= acts[i].u.value << (ofs % 64);
        m[ofs / 64] |= ones << (ofs % 64);
    }
    if (hdr)
        flow_hdr_name(field, name, sizeof(name));
    else
        flow_field_name(field, name, sizeof(name));
    sb_puts(sb, "set_field:");
    if (hdr)
        fmt_hdr_value(sb, field, v);
    else
        fmt_hex128(sb, v);
    if (!(m[0] == (width >= 64 ? UINT64_MAX : (1ull << width) - 1)
          && m[1] == (width == 128 ? UINT64_MAX : 0))) {
        sb_puts(sb, "/");
        if (hdr && width == 128)
            /* the parser's masks of an IPv6 address are prefixes */
            sb_printf(sb, "%d", __builtin_popcountll(m[0])
                                + __builtin_popcountll(m[1]));
        else if (hdr)
            fmt_hdr_value(sb, field, m);
        else
            fmt_hex128(sb, m);
    }
    sb_printf(sb, "->%s", name);
    return i;
}

/* The loads one load of a value wider than 64 bits made (a run of the
 * subfield split at bit 64), from acts[i] on, back as that load;
 * returns the index after them. */
static unsigned
fmt_wide_load(struct sbuf *sb, const struct flow_action *acts, unsigned i,
              unsigned n)
{
    struct flow_subfield sf = acts[i].dst;
    uint64_t v[2] = { 0, 0 };
    unsigned end = sf.ofs + sf.n_bits;
    char s[64];

    v[0] = acts[i].u.value;
    for (i++; i < n && acts[i].type == FLOW_ACT_LOAD
           && (acts[i].pad0 & FLOW_ACT_F_WIDE_LOAD)
           && acts[i].dst.field == sf.field && acts[i].dst.ofs == end; i++) {
        unsigned sh = end - sf.ofs;     /* bits of v so far: <= 64 */

        if (sh < 64) {
            v[0] |= acts[i].u.value << sh;
            v[1] |= sh ? acts[i].u.value >> (64 - sh) : 0;
        } else {
            v[1] |= acts[i].u.value;
        }
        end += acts[i].dst.n_bits;
    }
    sf.n_bits = (uint8_t)(end - sf.ofs);
    flow_subfield_format(&sf, s, sizeof(s));
    sb_puts(sb, "load:");
    fmt_hex128(sb, v);
    sb_printf(sb, "->%s", s);
    return i;
}

static void fmt_range(struct sbuf *sb, const struct flow *f, unsigned lo,
                      unsigned hi, const struct flow_port_map *ports);

static const char *
hash_fields_name(unsigned fields)
{
    static const char *const names[] = {
        "eth_src", "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp",
        "nw_src", "nw_dst", "symmetric_l3",
    };

    return fields < 7 ? names[fields] : "<unknown>";
}

/* bundle(...) / bundle_load(...) and its members in the FLOW_ACT_ARGS
 * after it (acts[0..n) of them there are), as ovs-ofctl prints it. */
static void
fmt_bundle(struct sbuf *sb, const struct flow_action *a, unsigned n_after,
           const struct flow_port_map *ports)
{
    char s[64];

    sb_printf(sb, "%s(%s,%u,%s,ofport,",
              a->dst.n_bits != 0 ? "bundle_load" : "bundle",
              hash_fields_name(a->u.bundle.fields), a->pad0,
              a->u.bundle.algorithm == FLOW_BD_HRW ? "hrw" : "active_backup");
    if (a->dst.n_bits != 0) {
        flow_subfield_format(&a->dst, s, sizeof(s));
        sb_printf(sb, "%s,", s);
    }
    sb_puts(sb, "members:");
    for (unsigned i = 0; i < a->u.bundle.n_members && i / 2 < n_after;
         i++) {
        port_name(ports, a[1 + i / 2].u.members[i % 2], s, sizeof(s));
        sb_printf(sb, "%s%s", i ? "," : "", s);
    }
    sb_puts(sb, ")");
}

/* sample(...) and the FLOW_ACT_ARGS after it (@more, NULL if the list
 * was cut), as ovs-ofctl prints it: every id, then the port and the
 * direction when given. */
static void
fmt_sample(struct sbuf *sb, const struct flow_action *a,
           const struct flow_action *more, const struct flow_port_map *ports)
{
    char s[64];

    sb_printf(sb, "sample(probability=%u,collector_set_id=%u,"
              "obs_domain_id=%u,obs_point_id=%u", a->pad0,
              a->u.sample.collector_set_id, a->u.sample.obs_domain_id,
              more != NULL ? more->u.sample_more.obs_point_id : 0);
    if (more != NULL && more->u.sample_more.sampling_port != FLOW_PORT_ANY) {
        port_name(ports, more->u.sample_more.sampling_port, s, sizeof(s));
        sb_printf(sb, ",sampling_port=%s", s);
    }
    if (more != NULL && more->pad0 == FLOW_SAMPLE_INGRESS)
        sb_puts(sb, ",ingress");
    else if (more != NULL && more->pad0 == FLOW_SAMPLE_EGRESS)
        sb_puts(sb, ",egress");
    sb_puts(sb, ")");
}

/* ct(...) in Open vSwitch's order: commit, force, table, zone, nat, exec;
 * zone 0 is the default and not printed. */
static void
fmt_ct(struct sbuf *sb, const struct flow *f, const struct flow_action *a,
       unsigned lo, unsigned hi, const struct flow_port_map *ports)
{
    const char *sep = "";
    char s[64];

    sb_puts(sb, "ct(");
    if (a->u.ct.flags & FLOW_CT_F_COMMIT) {
        sb_printf(sb, "%scommit", sep);
        sep = ",";
    }
    if (a->u.ct.flags & FLOW_CT_F_FORCE) {
        sb_printf(sb, "%sforce", sep);
        sep = ",";
    }
    if (a->u.ct.table != FLOW_CT_TABLE_NONE) {
        sb_printf(sb, "%stable=%u", sep, a->u.ct.table);
        sep = ",";
    }
    if (a->dst.n_bits != 0) {
        flow_subfield_format(&a->dst, s, sizeof(s));
        sb_printf(sb, "%szone=%s", sep, s);
        sep = ",";
    } else if (a->u.ct.zone != 0) {
        sb_printf(sb, "%szone=%u", sep, a->u.ct.zone);
        sep = ",";
    }
    if (a->u.ct.flags & FLOW_CT_F_NAT) {
        sb_printf(sb, "%snat", sep);
        sep = ",";
    }
    if (hi > lo) {
        sb_printf(sb, "%sexec(", sep);
        fmt_range(sb, f, lo, hi, ports);
        sb_puts(sb, ")");
    }
    sb_puts(sb, ")");
}

/* actions[lo..hi) joined by commas; a clone's body in its parentheses
 * (loads grouped into one set_field stop at the body's end). */
static void
fmt_range(struct sbuf *sb, const struct flow *f, unsigned lo, unsigned hi,
          const struct flow_port_map *ports)
{
    for (unsigned i = lo; i < hi; i++) {
        const struct flow_action *a = &f->actions[i];

        if (i > lo)
            sb_puts(sb, ",");
        if (a->type == FLOW_ACT_CLONE) {
            unsigned end = i + 1 + a->u.clone.n;

            if (end > hi)
                end = hi;
            sb_puts(sb, "clone(");
            fmt_range(sb, f, i + 1, end, ports);
            sb_puts(sb, ")");
            i = end - 1;
            continue;
        }
        if (a->type == FLOW_ACT_WRITE_ACTIONS) {
            unsigned end = i + 1 + a->u.clone.n;

            if (end > hi)
                end = hi;
            sb_printf(sb, "write_actions(");
            fmt_range(sb, f, i + 1, end, ports);
            sb_printf(sb, ")");
            i = end - 1;
            continue;
        }
        if (a->type == FLOW_ACT_LEARN) {
            char text[1024];

            fp_learn_format(a, text, sizeof(text));
            sb_puts(sb, text);
            i += a->u.learn.n;
            continue;
        }
        if (a->type == FLOW_ACT_BUNDLE) {
            fmt_bundle(sb, a, hi - i - 1, ports);
            i += flow_action_n_args(a);
            continue;
        }
        if (a->type == FLOW_ACT_SAMPLE) {
            fmt_sample(sb, a, i + 1 < hi ? a + 1 : NULL, ports);
            i += flow_action_n_args(a);
            continue;
        }
        if (a->type == FLOW_ACT_NOTE) {
            /* its bytes in the NOTE_DATA after it, as ovs-ofctl prints
             * them: two hex digits each, dot-separated */
            sb_puts(sb, "note:");
            for (unsigned k = 0; k < a->u.note.len; k++) {
                unsigned at = i + 1 + k / 8;

                if (at >= hi)
                    break;
                sb_printf(sb, k ? ".%02x" : "%02x",
                          f->actions[at].u.bytes[k % 8]);
            }
            i += a->u.note.n;
            continue;
        }
        if (a->type == FLOW_ACT_CT) {
            unsigned end = i + 1 + a->u.ct.n_exec;

            if (end > hi)
                end = hi;
            fmt_ct(sb, f, a, i + 1, end, ports);
            i = end - 1;
            continue;
        }
        if (a->type == FLOW_ACT_LOAD
            && (a->pad0 & FLOW_ACT_F_WRITE_METADATA)) {
            i = fmt_write_metadata(sb, f->actions, i, hi) - 1;
            continue;
        }
        if (a->type == FLOW_ACT_LOAD && (a->pad0 & FLOW_ACT_F_WIDE_LOAD)) {
            i = fmt_wide_load(sb, f->actions, i, hi) - 1;
            continue;
        }
        if (a->type == FLOW_ACT_LOAD && (a->pad0 & FLOW_ACT_F_SET_FIELD)) {
            i = fmt_set_field(sb, f->actions, i, hi) - 1;
            continue;
        }
        fmt_action(sb, a, ports);
    }
}

static void
fmt_actions(struct sbuf *sb, const struct flow *f,
            const struct flow_port_map *ports)
{
    unsigned n = f->n_actions > FLOW_MAX_ACTIONS ? FLOW_MAX_ACTIONS
                                                 : f->n_actions;

    if (n == 0) {
        sb_puts(sb, "drop");
        return;
    }
    fmt_range(sb, f, 0, n, ports);
}

/* Everything after the table/stats prefix. */
static void
fmt_rest(struct sbuf *sb, const struct flow *f,
         const struct flow_port_map *ports)
{
    struct items it = { .sb = sb };

    if (f->idle_timeout)
        sb_printf(sb, "idle_timeout=%u, ", f->idle_timeout);
    if (f->hard_timeout)
        sb_printf(sb, "hard_timeout=%u, ", f->hard_timeout);
    /* flags as ovs-ofctl prints them in a dump */
    if (f->flags & FLOW_F_SEND_FLOW_REM)
        sb_puts(sb, "send_flow_rem ");
    if (f->flags & FLOW_F_CHECK_OVERLAP)
        sb_puts(sb, "check_overlap ");
    if (f->importance)
        sb_printf(sb, "importance=%u, ", f->importance);
    fmt_match(&it, f, ports);
    sb_puts(sb, it.any ? " actions=" : "actions=");
    fmt_actions(sb, f, ports);
}

int
flow_format(const struct flow *f, const struct flow_port_map *ports,
            char *buf, size_t size)
{
    struct sbuf sb = { .buf = buf, .size = size };

    sb_printf(&sb, "cookie=0x%llx, table=%u, ", (unsigned long long)f->cookie,
              f->table_id);
    fmt_rest(&sb, f, ports);
    return sb_result(&sb);
}

int
flow_format_actions(const struct flow *f, const struct flow_port_map *ports,
                    char *buf, size_t size)
{
    struct sbuf sb = { .buf = buf, .size = size };

    fmt_actions(&sb, f, ports);
    return sb_result(&sb);
}

int
flow_entry_format(const struct flow_entry *e, uint64_t now_ns,
                  const struct flow_port_map *ports, char *buf, size_t size)
{
    return flow_entry_format_counts(e, e->n_packets, e->n_bytes, now_ns,
                                    ports, buf, size);
}

int
flow_entry_format_counts(const struct flow_entry *e, uint64_t n_packets,
                         uint64_t n_bytes, uint64_t now_ns,
                         const struct flow_port_map *ports, char *buf,
                         size_t size)
{
    struct sbuf sb = { .buf = buf, .size = size };
    uint64_t age = now_ns > e->created_ns ? now_ns - e->created_ns : 0;
    struct flow f;

    unsigned ms = (unsigned)(age % 1000000000u / 1000000u);
    char frac[5] = { '.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
                     (char)('0' + ms % 10), 's' };

    sb_puts(&sb, "cookie=0x");
    sb_hex(&sb, e->flow.cookie);
    sb_puts(&sb, ", duration=");
    sb_u64(&sb, age / 1000000000u);
    sb_put(&sb, frac, sizeof(frac));
    sb_puts(&sb, ", table=");
    sb_u64(&sb, e->flow.table_id);
    sb_puts(&sb, ", n_packets=");
    sb_u64(&sb, n_packets);
    sb_puts(&sb, ", n_bytes=");
    sb_u64(&sb, n_bytes);
    sb_puts(&sb, ", ");
    flow_entry_flow(e, &f);     /* the entry's match is compact */
    fmt_rest(&sb, &f, ports);
    return sb_result(&sb);
}
