/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ovs-ofctl flow language: the line, its flow-level keywords and its
 * match fields. Actions are in flow_parse_act.c.
 *
 * A table indexed by field name gives the field's identity (for the
 * duplicate check: aliases share one), its prerequisite and its reader.
 * Readers write into the context's temporary; prerequisites are checked once
 * the whole match is known (so "tp_dst=80,tcp" is as good as "tcp,tp_dst=80",
 * as in ovs-ofctl), reporting the earliest field that lacks one.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "flow_priv.h"

#define ETH_TYPE_IPV4   0x0800u
#define ETH_TYPE_ARP    0x0806u
#define ETH_TYPE_IPV6   0x86ddu

enum fp_prereq {
    PR_NONE,
    PR_IP_ARP,      /* nw_src, nw_dst */
    PR_ARP,         /* arp_spa, arp_tpa */
    PR_IPV6,
    PR_IP_ANY_ARP,  /* nw_proto */
    PR_IP_ANY,      /* nw_tos, nw_ttl */
    PR_L4,          /* tp_src, tp_dst */
    PR_TCP,
    PR_UDP,
    PR_SCTP,
    PR_ICMP,
    PR_MPLS,        /* mpls_label, mpls_tc, mpls_bos, mpls_ttl */
    PR_ND,          /* nd_target: icmp6, icmp_type 135 or 136, code 0 */
    PR_ND_SOLICIT,  /* nd_sll: ... 135 */
    PR_ND_ADVERT,   /* nd_tll: ... 136 */
};

struct fp_match_field;
typedef int fp_read_fn(struct fp_ctx *c, const struct fp_tok *tok,
                       const struct fp_match_field *f);

struct fp_match_field {
    const char *name;
    enum fp_field id;
    enum fp_prereq prereq;
    fp_read_fn *read;
    size_t offset;      /* of the field in struct flow_key, for readers */
};

static struct flow_key *
val(struct fp_ctx *c)
{
    return &c->fm.flow.match.value;
}

static struct flow_key *
msk(struct fp_ctx *c)
{
    return &c->fm.flow.match.mask;
}

/* Give a field to @tok, or fail naming the token that already has it
 * (fp_claim_as, flow_parse_util.c). */
static int
claim(struct fp_ctx *c, const struct fp_tok *tok, enum fp_field id,
      bool shorthand)
{
    return fp_claim_as(c, tok, id, shorthand);
}

/* ---- readers ---- */

static int
read_in_port(struct fp_ctx *c, const struct fp_tok *tok,
             const struct fp_match_field *f)
{
    uint32_t port = 0;
    int rc = 0;

    /* Open vSwitch takes in_port=0 (no packet arrives there, so the flow
     * matches nothing); as an output it stays refused */
    if (!(tok->vlen == 1 && tok->val[0] == '0'))
        rc = fp_port(c, tok, tok->val, tok->vlen, f->name, &port);
    if (rc < 0)
        return rc;
    val(c)->in_port = port;
    msk(c)->in_port = 0xffffffffu;
    return 0;
}

static int
read_mac(struct fp_ctx *c, const struct fp_tok *tok,
         const struct fp_match_field *f)
{
    return fp_mac_masked(c, tok, f->name,
                         (uint8_t *)val(c) + f->offset,
                         (uint8_t *)msk(c) + f->offset);
}

static int
read_dl_type(struct fp_ctx *c, const struct fp_tok *tok,
             const struct fp_match_field *f)
{
    uint64_t v;
    int rc = fp_uint(c, tok, tok->val, tok->vlen, 0xffff, f->name,
                     "an EtherType 0..0xffff, e.g. 0x0800", &v);

    if (rc < 0)
        return rc;
    val(c)->dl_type = htons((uint16_t)v);
    msk(c)->dl_type = 0xffff;
    return 0;
}

static int
read_dl_vlan(struct fp_ctx *c, const struct fp_tok *tok,
             const struct fp_match_field *f)
{
    uint64_t v;
    int rc = fp_uint(c, tok, tok->val, tok->vlen, 0xffff, f->name,
                     "0..4095 (higher bits are ignored), or 0xffff for no "
                     "VLAN", &v);

    if (rc < 0)
        return rc;
    if (v == 0xffff) {
        /* "untagged" fixes the whole TCI, over a dl_vlan_pcp before it;
         * one after it tags again (dl_vlan=0,dl_vlan_pcp=P), as in
         * ovs-ofctl, where each field is laid over the ones before */
        val(c)->vlan_tci = 0;
        msk(c)->vlan_tci = 0xffff;
        return 0;
    }
    /* Open vSwitch keeps the low 12 bits: dl_vlan=4097 is VLAN 1 */
    v &= FLOW_VLAN_VID_MASK;
    val(c)->vlan_tci |= htons((uint16_t)(FLOW_VLAN_CFI | v));
    msk(c)->vlan_tci |= htons(FLOW_VLAN_CFI | FLOW_VLAN_VID_MASK);
    return 0;
}

static int
read_dl_vlan_pcp(struct fp_ctx *c, const struct fp_tok *tok,
                 const struct fp_match_field *f)
{
    uint64_t v;
    int rc = fp_uint(c, tok, tok->val, tok->vlen, 0xff, f->name,
                     "0..7 (a byte; Open vSwitch keeps its low 3 bits)", &v);

    if (rc < 0)
        return rc;
    v &= 7;
    val(c)->vlan_tci = htons((uint16_t)((ntohs(val(c)->vlan_tci) & 0x0fff)
                                        | FLOW_VLAN_CFI
                                        | v << FLOW_VLAN_PCP_SHIFT));
    msk(c)->vlan_tci |= htons(0xf000);
    return 0;
}

static int
read_vlan_tci(struct fp_ctx *c, const struct fp_tok *tok,
              const struct fp_match_field *f)
{
    uint64_t v, m;
    int rc = fp_uint_masked(c, tok, 0xffff, f->name,
                            "0..0xffff[/mask], 0x1000 meaning tagged", &v, &m);

    if (rc < 0)
        return rc;
    rc = claim(c, tok, FP_VLAN_PCP, false);
    if (rc < 0)
        return rc;
    val(c)->vlan_tci = htons((uint16_t)v);
    msk(c)->vlan_tci = htons((uint16_t)m);
    return 0;
}

static int
read_ipv4(struct fp_ctx *c, const struct fp_tok *tok,
          const struct fp_match_field *f)
{
    return fp_ipv4_masked(c, tok, f->name,
                          (flow_be32 *)((uint8_t *)val(c) + f->offset),
                          (flow_be32 *)((uint8_t *)msk(c) + f->offset));
}

static int
read_ipv6(struct fp_ctx *c, const struct fp_tok *tok,
          const struct fp_match_field *f)
{
    return fp_ipv6_masked(c, tok, f->name, (uint8_t *)val(c) + f->offset,
                          (uint8_t *)msk(c) + f->offset);
}

static int
read_u8_exact(struct fp_ctx *c, const struct fp_tok *tok,
              const struct fp_match_field *f)
{
    uint64_t v;
    int rc = fp_uint(c, tok, tok->val, tok->vlen, 0xff, f->name, "0..255",
                     &v);

    if (rc < 0)
        return rc;
    ((uint8_t *)val(c))[f->offset] = (uint8_t)v;
    ((uint8_t *)msk(c))[f->offset] = 0xff;
    return 0;
}

static int
read_nw_tos(struct fp_ctx *c, const struct fp_tok *tok,
            const struct fp_match_field *f)
{
    uint64_t v;
    int rc = fp_uint(c, tok, tok->val, tok->vlen, 0xff, f->name,
                     "0..255, of which the DSCP bits 0xfc are matched", &v);

    if (rc < 0)
        return rc;
    /* only the DSCP bits are matchable: Open vSwitch drops the ECN bits
     * (nw_tos=3 is nw_tos=0) rather than refusing them */
    val(c)->nw_tos = (uint8_t)(v & 0xfc);
    msk(c)->nw_tos = 0xfc;
    return 0;
}

static int
read_ip_dscp(struct fp_ctx *c, const struct fp_tok *tok,
             const struct fp_match_field *f)
{
    uint64_t v;
    int rc = fp_uint(c, tok, tok->val, tok->vlen, 0xff, f->name,
                     "0..63 (a byte; Open vSwitch keeps its low 6 bits)", &v);

    if (rc < 0)
        return rc;
    val(c)->nw_tos = (uint8_t)(v << 2);
    msk(c)->nw_tos = 0xfc;
    return 0;
}

static int
read_tp(struct fp_ctx *c, const struct fp_tok *tok,
        const struct fp_match_field *f)
{
    uint64_t v, m;
    int rc = fp_uint_masked(c, tok, 0xffff, f->name, "0..65535[/mask]",
                            &v, &m);

    if (rc < 0)
        return rc;
    *(flow_be16 *)((uint8_t *)val(c) + f->offset) = htons((uint16_t)v);
    *(flow_be16 *)((uint8_t *)msk(c) + f->offset) = htons((uint16_t)m);
    return 0;
}

static int
read_icmp(struct fp_ctx *c, const struct fp_tok *tok,
          const struct fp_match_field *f)
{
    uint64_t v;
    int rc = fp_uint(c, tok, tok->val, tok->vlen, 0xff, f->name, "0..255",
                     &v);

    if (rc < 0)
        return rc;
    *(flow_be16 *)((uint8_t *)val(c) + f->offset) = htons((uint16_t)v);
    *(flow_be16 *)((uint8_t *)msk(c) + f->offset) = 0xffff;
    return 0;
}

/* TCP flag names in bit order, as ovs-ofctl writes them. */
static const char *const tcp_flag_names[12] = {
    "fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns",
    "[200]", "[400]", "[800]",
};

/* tcp_flags=N[/M] | +syn-ack (the flags named, each set or clear) |
 * syn|ack (exactly those flags set). */
static int
read_tcp_flags(struct fp_ctx *c, const struct fp_tok *tok,
               const struct fp_match_field *f)
{
    const char *s = tok->val, *end = tok->val + tok->vlen;
    uint64_t v = 0, m = 0;
    bool signs;
    int rc;

    if (tok->vlen == 0)
        return fp_fail(c, -EINVAL, tok, "tcp_flags needs a value (+syn-ack, "
                       "syn|ack or 0x012/0x0ff)");
    if (s[0] >= '0' && s[0] <= '9') {
        rc = fp_uint_masked(c, tok, 0xfff, f->name, "12 flag bits 0..0xfff"
                            "[/mask], +syn-ack or syn|ack", &v, &m);
        if (rc < 0)
            return rc;
        goto done;
    }
    signs = s[0] == '+' || s[0] == '-';
    if (!signs)
        m = 0xfff;
    while (s < end) {
        bool set = true;
        const char *e;
        size_t n;
        int bit = -1;

        if (signs) {
            set = *s++ == '+';
            for (e = s; e < end && *e != '+' && *e != '-'; e++)
                ;
        } else {
            for (e = s; e < end && *e != '|'; e++)
                ;
        }
        n = (size_t)(e - s);
        for (int i = 0; i < 12; i++)
            if (strlen(tcp_flag_names[i]) == n
                && memcmp(tcp_flag_names[i], s, n) == 0)
                bit = i;
        if (bit < 0)
            return fp_fail(c, -EINVAL, tok, "tcp_flags: unknown flag "
                           "'%.*s' (expected fin, syn, rst, psh, ack, urg, "
                           "ece, cwr, ns, as +syn-ack or syn|ack)",
                           (int)(n > 16 ? 16 : n), s);
        if (signs && (m & 1u << bit))
            return fp_fail(c, -EINVAL, tok, "tcp_flags: '%s' is given "
                           "twice (name each flag once)",
                           tcp_flag_names[bit]);
        if (signs)
            m |= 1u << bit;
        if (set)
            v |= 1u << bit;
        s = e;
        if (!signs && s < end)
            s++;                    /* the '|' */
    }
done:
    val(c)->tcp_flags = htons((uint16_t)v);
    msk(c)->tcp_flags = htons((uint16_t)m);
    return 0;
}

/* packet_type=(NAMESPACE,TYPE), numbers in any base as Open vSwitch
 * reads them. (0,0) is Ethernet: Open vSwitch sends it as no match at all
 * (a match on an Ethernet field implies it), so it adds nothing here
 * either. (1,T) is a packet of EtherType T that decap() left without its
 * Ethernet header: dl_type T is implied (what the prerequisites of nw_*
 * and tp_* read) and no Ethernet field may be matched (finish_match()).
 * Other namespaces name headers no snic packet can have. */
static int
read_packet_type(struct fp_ctx *c, const struct fp_tok *tok,
                 const struct fp_match_field *f)
{
    const char *s = tok->val, *comma;
    size_t len = tok->vlen;
    uint64_t ns, type;
    int rc;

    if (len < 2 || s[0] != '(' || s[len - 1] != ')'
        || (comma = memchr(s, ',', len)) == NULL)
        return fp_fail(c, -EINVAL, tok, "packet_type needs (NAMESPACE,TYPE),"
                       " e.g. packet_type=(0,0) for Ethernet or "
                       "packet_type=(1,0x800) for IPv4 after decap");
    while (s[1] == ' ')
        s++, len--;
    rc = fp_uint(c, tok, s + 1, (size_t)(comma - s - 1), 0xffff, f->name,
                 "a namespace 0..65535", &ns);
    if (rc == 0) {
        const char *t = comma + 1;

        while (*t == ' ')
            t++;
        rc = fp_uint(c, tok, t, (size_t)(s + len - 1 - t), 0xffff, f->name,
                     "a type 0..65535", &type);
    }
    if (rc < 0)
        return rc;
    if (ns == 0 && type == 0)
        return 0;
    if (ns != FLOW_PT_NS_ETHERTYPE)
        return fp_fail(c, -ENOTSUP, tok, "packet_type=(%llu,0x%llx) is not "
                       "supported: snic's packets are Ethernet (0,0) or, "
                       "after decap, (1,ETHERTYPE)", (unsigned long long)ns,
                       (unsigned long long)type);
    val(c)->packet_type = htonl(FLOW_PT(ns, type));
    msk(c)->packet_type = UINT32_MAX;
    val(c)->dl_type = htons((uint16_t)type);
    msk(c)->dl_type = 0xffff;
    return 0;
}

/* packet_type=(1,T): a packet without an Ethernet header, whose
 * EtherType the packet type already says. Open vSwitch refuses the
 * Ethernet fields (their prerequisite is Ethernet) and dl_type too. */
static int
check_packet_type(struct fp_ctx *c)
{
    static const struct {
        enum fp_field id;
        const char *what;
    } eth[] = {
        { FP_DL_TYPE, "dl_type" }, { FP_DL_SRC, "dl_src" },
        { FP_DL_DST, "dl_dst" }, { FP_VLAN_VID, "a VLAN field" },
        { FP_VLAN_PCP, "a VLAN field" },
    };
    const struct flow_key *m = msk(c);
    unsigned type = ntohs(val(c)->dl_type);

    if (m->packet_type == 0)
        return 0;
    for (size_t i = 0; i < sizeof(eth) / sizeof(eth[0]); i++) {
        if (!c->set[eth[i].id])
            continue;
        if (eth[i].id == FP_DL_TYPE)
            return fp_fail(c, -EINVAL, &c->seen[FP_DL_TYPE], "packet_type="
                           "(1,0x%x) says the EtherType already: it cannot "
                           "be matched again (write nw_*, tp_* fields "
                           "without 'ip', 'tcp' or dl_type)", type);
        return fp_fail(c, -EINVAL, &c->seen[eth[i].id], "packet_type="
                       "(1,0x%x) is a packet without an Ethernet header: "
                       "%s cannot be matched (match it before decap, or "
                       "after encap(ethernet))", type, eth[i].what);
    }
    return 0;
}

static int
read_mpls(struct fp_ctx *c, const struct fp_tok *tok,
          const struct fp_match_field *f)
{
    return fp_mpls_match(c, tok, f->name);
}

static int
read_tun_id(struct fp_ctx *c, const struct fp_tok *tok,
            const struct fp_match_field *f)
{
    uint64_t v, m;
    int rc = fp_uint_masked(c, tok, UINT64_MAX, f->name,
                            "a 64-bit tunnel id[/mask]", &v, &m);

    if (rc < 0)
        return rc;
    val(c)->tun_id = htobe64(v);
    msk(c)->tun_id = htobe64(m);
    return 0;
}

#define OFF(field) offsetof(struct flow_key, field)

static const struct fp_match_field match_fields[] = {
    { "in_port",      FP_IN_PORT,  PR_NONE,       read_in_port, 0 },
    { "dl_src",       FP_DL_SRC,   PR_NONE,       read_mac, OFF(dl_src) },
    { "eth_src",      FP_DL_SRC,   PR_NONE,       read_mac, OFF(dl_src) },
    { "dl_dst",       FP_DL_DST,   PR_NONE,       read_mac, OFF(dl_dst) },
    { "eth_dst",      FP_DL_DST,   PR_NONE,       read_mac, OFF(dl_dst) },
    { "dl_type",      FP_DL_TYPE,  PR_NONE,       read_dl_type, 0 },
    { "eth_type",     FP_DL_TYPE,  PR_NONE,       read_dl_type, 0 },
    { "dl_vlan",      FP_VLAN_VID, PR_NONE,       read_dl_vlan, 0 },
    { "dl_vlan_pcp",  FP_VLAN_PCP, PR_NONE,       read_dl_vlan_pcp, 0 },
    { "vlan_tci",     FP_VLAN_VID, PR_NONE,       read_vlan_tci, 0 },
    { "nw_src",       FP_NW_SRC,   PR_IP_ARP,     read_ipv4, OFF(nw_src) },
    { "ip_src",       FP_NW_SRC,   PR_IP_ARP,     read_ipv4, OFF(nw_src) },
    { "ipv4_src",     FP_NW_SRC,   PR_IP_ARP,     read_ipv4, OFF(nw_src) },
    { "nw_dst",       FP_NW_DST,   PR_IP_ARP,     read_ipv4, OFF(nw_dst) },
    { "ip_dst",       FP_NW_DST,   PR_IP_ARP,     read_ipv4, OFF(nw_dst) },
    { "ipv4_dst",     FP_NW_DST,   PR_IP_ARP,     read_ipv4, OFF(nw_dst) },
    /* ARP's sender and target protocol addresses are nw_src and nw_dst
     * of an ARP frame; under these names Open vSwitch requires arp */
    { "arp_spa",      FP_NW_SRC,   PR_ARP,        read_ipv4, OFF(nw_src) },
    { "arp_tpa",      FP_NW_DST,   PR_ARP,        read_ipv4, OFF(nw_dst) },
    { "ipv6_src",     FP_IPV6_SRC, PR_IPV6,       read_ipv6, OFF(ipv6_src) },
    { "ipv6_dst",     FP_IPV6_DST, PR_IPV6,       read_ipv6, OFF(ipv6_dst) },
    { "nw_proto",     FP_NW_PROTO, PR_IP_ANY_ARP, read_u8_exact,
      OFF(nw_proto) },
    { "ip_proto",     FP_NW_PROTO, PR_IP_ANY_ARP, read_u8_exact,
      OFF(nw_proto) },
    { "nw_tos",       FP_NW_TOS,   PR_IP_ANY,     read_nw_tos, 0 },
    { "ip_dscp",      FP_NW_TOS,   PR_IP_ANY,     read_ip_dscp, 0 },
    { "nw_ttl",       FP_NW_TTL,   PR_IP_ANY,     read_u8_exact, OFF(nw_ttl) },
    { "tp_src",       FP_TP_SRC,   PR_L4,         read_tp, OFF(tp_src) },
    { "tp_dst",       FP_TP_DST,   PR_L4,         read_tp, OFF(tp_dst) },
    { "tcp_src",      FP_TP_SRC,   PR_TCP,        read_tp, OFF(tp_src) },
    { "tcp_dst",      FP_TP_DST,   PR_TCP,        read_tp, OFF(tp_dst) },
    { "udp_src",      FP_TP_SRC,   PR_UDP,        read_tp, OFF(tp_src) },
    { "udp_dst",      FP_TP_DST,   PR_UDP,        read_tp, OFF(tp_dst) },
    { "sctp_src",     FP_TP_SRC,   PR_SCTP,       read_tp, OFF(tp_src) },
    { "sctp_dst",     FP_TP_DST,   PR_SCTP,       read_tp, OFF(tp_dst) },
    { "icmp_type",    FP_TP_SRC,   PR_ICMP,       read_icmp, OFF(tp_src) },
    { "icmp_code",    FP_TP_DST,   PR_ICMP,       read_icmp, OFF(tp_dst) },
    { "icmpv6_type",  FP_TP_SRC,   PR_ICMP,       read_icmp, OFF(tp_src) },
    { "icmpv6_code",  FP_TP_DST,   PR_ICMP,       read_icmp, OFF(tp_dst) },
    { "tcp_flags",    FP_TCP_FLAGS, PR_TCP,       read_tcp_flags, 0 },
    { "packet_type",  FP_PACKET_TYPE, PR_NONE,    read_packet_type, 0 },
    { "mpls_label",   FP_MPLS_LABEL, PR_MPLS,     read_mpls, 0 },
    { "mpls_tc",      FP_MPLS_TC,  PR_MPLS,       read_mpls, 0 },
    { "mpls_bos",     FP_MPLS_BOS, PR_MPLS,       read_mpls, 0 },
    { "mpls_ttl",     FP_MPLS_TTL, PR_MPLS,       read_mpls, 0 },
    { "tun_id",       FP_TUN_ID,   PR_NONE,       read_tun_id, 0 },
    { "tunnel_id",    FP_TUN_ID,   PR_NONE,       read_tun_id, 0 },
    /* Neighbor Discovery: in bytes shared with IPv4, MPLS and TCP
     * fields (struct flow_key); nd_sll and nd_tll share theirs, which
     * the prerequisites keep apart */
    { "nd_target",    FP_ND_TARGET, PR_ND,        read_ipv6, OFF(nd_target) },
    { "nd_sll",       FP_ND_SLL,   PR_ND_SOLICIT, read_mac, OFF(nd_lla) },
    { "nd_tll",       FP_ND_TLL,   PR_ND_ADVERT,  read_mac, OFF(nd_lla) },
    { "tun_src",      FP_TUN_SRC,  PR_NONE,       read_ipv4, OFF(tun_src) },
    { "tun_dst",      FP_TUN_DST,  PR_NONE,       read_ipv4, OFF(tun_dst) },
};

#define N_MATCH_FIELDS (sizeof(match_fields) / sizeof(match_fields[0]))

struct fp_shorthand {
    const char *name;
    uint16_t dl_type;
    uint8_t nw_proto;   /* 0: none */
};

static const struct fp_shorthand shorthands[] = {
    { "ip",    ETH_TYPE_IPV4, 0 },
    { "ipv6",  ETH_TYPE_IPV6, 0 },
    { "ip6",   ETH_TYPE_IPV6, 0 },
    { "arp",   ETH_TYPE_ARP,  0 },
    { "tcp",   ETH_TYPE_IPV4, IPPROTO_TCP },
    { "udp",   ETH_TYPE_IPV4, IPPROTO_UDP },
    { "sctp",  ETH_TYPE_IPV4, IPPROTO_SCTP },
    { "icmp",  ETH_TYPE_IPV4, IPPROTO_ICMP },
    { "tcp6",  ETH_TYPE_IPV6, IPPROTO_TCP },
    { "udp6",  ETH_TYPE_IPV6, IPPROTO_UDP },
    { "sctp6", ETH_TYPE_IPV6, IPPROTO_SCTP },
    { "icmp6", ETH_TYPE_IPV6, IPPROTO_ICMPV6 },
    { "mpls",  0x8847, 0 },
    { "mplsm", 0x8848, 0 },
};

#define N_SHORTHANDS (sizeof(shorthands) / sizeof(shorthands[0]))

/* Every word the line part understands, for "did you mean". */
static const char *const known_words[] = {
    "table", "priority", "cookie", "idle_timeout", "hard_timeout",
    "out_port", "reset_counts", "check_overlap", "send_flow_rem",
    "importance", "actions",
    "in_port", "dl_src", "dl_dst", "dl_type", "dl_vlan", "dl_vlan_pcp",
    "vlan_tci", "nw_src", "nw_dst", "arp_spa", "arp_tpa", "ipv6_src",
    "ipv6_dst", "nw_proto",
    "nw_tos", "ip_dscp", "nw_ttl", "tp_src", "tp_dst", "tcp_src", "tcp_dst",
    "udp_src", "udp_dst", "icmp_type", "icmp_code", "tcp_flags",
    "packet_type", "tun_id", "tun_src",
    "tun_dst", "eth_src", "eth_dst", "eth_type", "metadata", "pkt_mark",
    "ct_state", "ct_zone", "ct_mark", "ct_label", "actset_output",
    "ip", "ipv6", "ip6", "arp", "tcp", "udp", "sctp", "icmp", "tcp6", "udp6",
    "sctp6", "icmp6", "mpls", "mplsm", "mpls_label", "mpls_tc", "mpls_bos",
    "mpls_ttl", "nd_target", "nd_sll", "nd_tll", NULL,
};

/* The line's flow-level keywords (read_keyword). */
enum fp_kw {
    KW_ACTIONS, KW_TABLE, KW_PRIORITY, KW_COOKIE, KW_IDLE_TIMEOUT,
    KW_HARD_TIMEOUT, KW_OUT_PORT, KW_RESET_COUNTS, KW_CHECK_OVERLAP,
    KW_SEND_FLOW_REM, KW_IMPORTANCE, KW_STATS,
};

static const struct {
    const char *name;
    enum fp_kw kw;
} keywords[] = {
    /* ovs-ofctl takes "action=" as well */
    { "actions", KW_ACTIONS }, { "action", KW_ACTIONS },
    { "table", KW_TABLE }, { "priority", KW_PRIORITY },
    { "cookie", KW_COOKIE }, { "idle_timeout", KW_IDLE_TIMEOUT },
    { "hard_timeout", KW_HARD_TIMEOUT }, { "out_port", KW_OUT_PORT },
    { "reset_counts", KW_RESET_COUNTS },
    { "check_overlap", KW_CHECK_OVERLAP },
    { "send_flow_rem", KW_SEND_FLOW_REM }, { "importance", KW_IMPORTANCE },
    /* statistics of dump-flows output: ignored so it can be replayed */
    { "duration", KW_STATS }, { "n_packets", KW_STATS },
    { "n_bytes", KW_STATS }, { "idle_age", KW_STATS },
    { "hard_age", KW_STATS },
};

#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

/* Every token's key is looked up once in one hash of the three tables
 * above (#13: comparing it with each name of each table in turn, and
 * asking the register, conntrack and action-set readers about it first,
 * was a third of the parse). The value is the word's kind << 8 | its
 * index in its table. A match field that one of those readers takes
 * (field_others_first) still goes to them first: the order in which a
 * token is offered is the one read_token() always had. */
enum fp_word_kind { W_KEYWORD, W_SHORTHAND, W_FIELD };

_Static_assert(N_KEYWORDS + N_SHORTHANDS + N_MATCH_FIELDS
               <= FP_WORDS_SLOTS / 4, "FP_WORDS_SLOTS too small");
_Static_assert(N_KEYWORDS <= 256 && N_SHORTHANDS <= 256
               && N_MATCH_FIELDS <= 256, "a table outgrew the word value");

static struct fp_words words;
static bool field_others_first[N_MATCH_FIELDS];
static pthread_once_t words_once = PTHREAD_ONCE_INIT;

static void
words_build(void)
{
    /* keywords first, then shorthands, then fields: of two equal names
     * the first is kept, as the first reader asked took the token */
    for (size_t i = 0; i < N_KEYWORDS; i++)
        (void)fp_words_add(&words, keywords[i].name,
                           (int16_t)(W_KEYWORD << 8 | keywords[i].kw));
    for (size_t i = 0; i < N_SHORTHANDS; i++)
        (void)fp_words_add(&words, shorthands[i].name,
                           (int16_t)(W_SHORTHAND << 8 | i));
    for (size_t i = 0; i < N_MATCH_FIELDS; i++) {
        const char *n = match_fields[i].name;

        (void)fp_words_add(&words, n, (int16_t)(W_FIELD << 8 | i));
        field_others_first[i] = fp_meta_takes(n, strlen(n))
                                || fp_ct_takes(n, strlen(n))
                                || fp_actset_takes(n, strlen(n));
    }
}

/* @tok's word (kind << 8 | index), or -1 for a key of none of the
 * tables. */
static int
word_of(const struct fp_tok *tok)
{
    (void)pthread_once(&words_once, words_build);
    return fp_words_find(&words, tok->key, tok->klen);
}

static int
apply_shorthand(struct fp_ctx *c, const struct fp_tok *tok,
                const struct fp_shorthand *s)
{
    struct flow_key *v = val(c), *m = msk(c);
    int rc;

    if (tok->val != NULL)
        return fp_fail(c, -EINVAL, tok, "'%s' takes no value "
                       "(write it alone, e.g. '%s,tp_dst=80')", s->name,
                       s->name);
    /* "ip,tcp" is redundant but consistent; "tcp,udp" is not */
    if (!(c->set[FP_DL_TYPE] && c->by_shorthand[FP_DL_TYPE]
          && v->dl_type == htons(s->dl_type))) {
        rc = claim(c, tok, FP_DL_TYPE, true);
        if (rc < 0)
            return rc;
        v->dl_type = htons(s->dl_type);
        m->dl_type = 0xffff;
    }
    if (s->nw_proto != 0) {
        rc = claim(c, tok, FP_NW_PROTO, true);
        if (rc < 0)
            return rc;
        v->nw_proto = s->nw_proto;
        m->nw_proto = 0xff;
    }
    return 0;
}

static int
check_prereq(struct fp_ctx *c, const struct fp_tok *tok, enum fp_prereq pr,
             const char *name)
{
    const struct flow_match *m = &c->fm.flow.match;
    bool ip4 = flow_match_is_ipv4(m), ip6 = flow_match_is_ipv6(m);
    bool arp = flow_match_is_arp(m);

    switch (pr) {
    case PR_NONE:
        return 0;
    case PR_IP_ARP:
        if (ip4 || arp)
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires ip or arp (add 'ip'%s)",
                       name, ip6 ? "; for IPv6 use ipv6_src/ipv6_dst" : "");
    case PR_ARP:
        if (arp)
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires arp (add 'arp'%s)",
                       name, ip4 ? "; for IPv4 use nw_src/nw_dst" : "");
    case PR_IPV6:
        if (ip6)
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires ipv6 (add 'ipv6')",
                       name);
    case PR_IP_ANY_ARP:
        if (ip4 || ip6 || arp)
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires ip, ipv6 or arp "
                       "(add 'ip' or 'ipv6')", name);
    case PR_IP_ANY:
        if (ip4 || ip6)
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires ip or ipv6 "
                       "(add 'ip' or 'ipv6')", name);
    case PR_L4:
        if (flow_match_is_ip_proto(m, IPPROTO_TCP)
            || flow_match_is_ip_proto(m, IPPROTO_UDP)
            || flow_match_is_ip_proto(m, IPPROTO_SCTP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires tcp, udp or sctp "
                       "(add 'tcp' or 'udp'%s)", name,
                       flow_match_is_ip_proto(m, IPPROTO_ICMP)
                       || flow_match_is_ip_proto(m, IPPROTO_ICMPV6)
                       ? "; for ICMP use icmp_type/icmp_code" : "");
    case PR_TCP:
        if (flow_match_is_ip_proto(m, IPPROTO_TCP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires tcp (add 'tcp' or "
                       "'tcp6')", name);
    case PR_UDP:
        if (flow_match_is_ip_proto(m, IPPROTO_UDP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires udp (add 'udp' or "
                       "'udp6')", name);
    case PR_SCTP:
        if (flow_match_is_ip_proto(m, IPPROTO_SCTP))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires sctp (add 'sctp' or "
                       "'sctp6')", name);
    case PR_ICMP:
        if ((ip4 && flow_match_is_ip_proto(m, IPPROTO_ICMP))
            || (ip6 && flow_match_is_ip_proto(m, IPPROTO_ICMPV6)))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires icmp or icmp6 "
                       "(add 'icmp' or 'icmp6')", name);
    case PR_MPLS:
        if (flow_match_is_mpls(m))
            return 0;
        return fp_fail(c, -EINVAL, tok, "%s requires mpls or mplsm "
                       "(add 'mpls', dl_type=0x8847)", name);
    case PR_ND:
        return fp_nd_prereq(c, tok, AP_ND, name);
    case PR_ND_SOLICIT:
        return fp_nd_prereq(c, tok, AP_ND_SOLICIT, name);
    case PR_ND_ADVERT:
        return fp_nd_prereq(c, tok, AP_ND_ADVERT, name);
    }
    return 0;
}

/* The match is complete: normalise it and check every field's
 * prerequisite, reporting the earliest offending token. */
static int
finish_match(struct fp_ctx *c, const enum fp_prereq *prereq,
             const char *const *names)
{
    const struct fp_tok *worst = NULL;
    enum fp_field worst_id = FP_N_FIELDS;
    int rc;

    flow_match_normalise(&c->fm.flow.match);
    if ((rc = check_packet_type(c)) < 0)
        return rc;
    for (int id = 0; id < FP_N_FIELDS; id++) {
        if (!c->set[id] || !c->named[id] || prereq[id] == PR_NONE)
            continue;
        if (check_prereq(c, &c->seen[id], prereq[id], names[id]) == 0)
            continue;
        if (worst == NULL || c->seen[id].pos < worst->pos) {
            worst = &c->seen[id];
            worst_id = (enum fp_field)id;
        }
    }
    if (worst != NULL)
        return check_prereq(c, worst, prereq[worst_id], names[worst_id]);
    return 0;
}

/* ---- flow-level keywords ---- */

static bool
is_mod_or_del(const struct fp_ctx *c)
{
    return c->cmd != FLOW_CMD_ADD;
}

static bool
is_delete(const struct fp_ctx *c)
{
    return c->cmd == FLOW_CMD_DELETE || c->cmd == FLOW_CMD_DELETE_STRICT;
}

static int
read_keyword(struct fp_ctx *c, const struct fp_tok *tok, enum fp_kw kw)
{
    struct flow *f = &c->fm.flow;
    uint64_t v, m;
    int rc;

    if (kw == KW_TABLE) {
        if ((rc = claim(c, tok, FP_TABLE, false)) < 0)
            return rc;
        rc = fp_uint(c, tok, tok->val, tok->vlen, 255, "table",
                     is_mod_or_del(c) ? "0..254, or 255 for all tables"
                                      : "0..254, or 255 for the default", &v);
        if (rc < 0)
            return rc;
        /* 255 is OpenFlow's "no table given": an add goes to table 0, as
         * in ovs-ofctl */
        if (v == FLOW_TABLE_ALL && !is_mod_or_del(c))
            v = 0;
        f->table_id = (uint8_t)v;
    } else if (kw == KW_PRIORITY) {
        if ((rc = claim(c, tok, FP_PRIORITY, false)) < 0)
            return rc;
        rc = fp_uint(c, tok, tok->val, tok->vlen, 65535, "priority",
                     "0..65535", &v);
        if (rc < 0)
            return rc;
        f->priority = (uint16_t)v;
    } else if (kw == KW_COOKIE) {
        bool masked = tok->val && memchr(tok->val, '/', tok->vlen);

        if ((rc = claim(c, tok, FP_COOKIE, false)) < 0)
            return rc;
        if (masked && !is_mod_or_del(c))
            return fp_fail(c, -EINVAL, tok, "a cookie mask only filters "
                           "mod-flows and del-flows (write cookie=N to "
                           "add)");
        if (!masked && is_mod_or_del(c))
            return fp_fail(c, -EINVAL, tok, "cookie needs a mask to filter "
                           "flows (cookie=N/-1 matches it exactly)");
        rc = fp_uint_masked(c, tok, UINT64_MAX, "cookie",
                            "a 64-bit number[/mask]", &v, &m);
        if (rc < 0)
            return rc;
        f->cookie = v & (masked ? m : UINT64_MAX);
        c->fm.cookie_mask = masked ? m : 0;
    } else if (kw == KW_IDLE_TIMEOUT || kw == KW_HARD_TIMEOUT) {
        bool idle = kw == KW_IDLE_TIMEOUT;

        if ((rc = claim(c, tok, idle ? FP_IDLE : FP_HARD, false)) < 0)
            return rc;
        if (c->cmd != FLOW_CMD_ADD)
            return fp_fail(c, -EINVAL, tok, "timeouts are set when a flow "
                           "is added (use add-flow)");
        rc = fp_uint(c, tok, tok->val, tok->vlen, 65535,
                     idle ? "idle_timeout" : "hard_timeout",
                     "0..65535 seconds", &v);
        if (rc < 0)
            return rc;
        if (idle)
            f->idle_timeout = (uint16_t)v;
        else
            f->hard_timeout = (uint16_t)v;
    } else if (kw == KW_OUT_PORT) {
        if ((rc = claim(c, tok, FP_OUT_PORT, false)) < 0)
            return rc;
        if (!is_delete(c))
            return fp_fail(c, -EINVAL, tok, "out_port only filters "
                           "del-flows");
        return fp_port(c, tok, tok->val, tok->vlen, "out_port",
                       &c->fm.out_port);
    } else if (kw == KW_RESET_COUNTS || kw == KW_CHECK_OVERLAP) {
        bool reset = kw == KW_RESET_COUNTS;

        if ((rc = claim(c, tok, reset ? FP_RESET_COUNTS : FP_CHECK_OVERLAP,
                        false)) < 0)
            return rc;
        if (tok->val != NULL)
            return fp_fail(c, -EINVAL, tok, "this flag takes no value");
        if (is_delete(c) || (!reset && c->cmd != FLOW_CMD_ADD))
            return fp_fail(c, -EINVAL, tok, "this flag only applies to %s",
                           reset ? "add-flow and mod-flows" : "add-flow");
        c->fm.flags |= reset ? FLOW_MOD_RESET_COUNTS
                             : FLOW_MOD_CHECK_OVERLAP;
        if (!reset)
            f->flags |= FLOW_F_CHECK_OVERLAP;   /* shown in dumps */
    } else if (kw == KW_SEND_FLOW_REM) {
        if ((rc = claim(c, tok, FP_SEND_FLOW_REM, false)) < 0)
            return rc;
        if (tok->val != NULL)
            return fp_fail(c, -EINVAL, tok, "this flag takes no value");
        if (is_delete(c))
            return fp_fail(c, -EINVAL, tok, "send_flow_rem only applies to "
                           "add-flow and mod-flows");
        f->flags |= FLOW_F_SEND_FLOW_REM;
    } else if (kw == KW_IMPORTANCE) {
        if ((rc = claim(c, tok, FP_IMPORTANCE, false)) < 0)
            return rc;
        if (c->cmd != FLOW_CMD_ADD)
            return fp_fail(c, -EINVAL, tok, "importance is set when a flow "
                           "is added (use add-flow)");
        rc = fp_uint(c, tok, tok->val, tok->vlen, 65535, "importance",
                     "0..65535", &v);
        if (rc < 0)
            return rc;
        f->importance = (uint16_t)v;
    }
    /* KW_STATS: statistics of dump-flows output, ignored so it can be
     * replayed */
    return 0;
}

/* @word: word_of(@tok). */
static int
read_token(struct fp_ctx *c, const struct fp_tok *tok, int word)
{
    int kind = word >= 0 ? word >> 8 : -1;
    unsigned i = word >= 0 ? (unsigned)word & 0xff : 0;
    bool handled;
    int rc;

    if (kind == W_KEYWORD)
        return read_keyword(c, tok, (enum fp_kw)i);
    if (kind == W_SHORTHAND)
        return apply_shorthand(c, tok, &shorthands[i]);
    if (kind != W_FIELD || field_others_first[i]) {
        rc = fp_meta_match(c, tok, &handled);
        if (handled)
            return rc;
        rc = fp_ct_match(c, tok, &handled);
        if (handled)
            return rc;
        rc = fp_actset_match(c, tok, &handled);
        if (handled)
            return rc;
    }
    if (kind == W_FIELD) {
        const struct fp_match_field *f = &match_fields[i];

        if (tok->val == NULL)
            return fp_fail(c, -EINVAL, tok, "%s needs a value (%s=VALUE)",
                           f->name, f->name);
        rc = claim(c, tok, f->id, false);
        if (rc < 0)
            return rc;
        return f->read(c, tok, f);
    }
    {
        const char *near = fp_suggest(tok->key, tok->klen, known_words);

        if (near != NULL)
            return fp_fail(c, -EINVAL, tok, "unknown field '%.*s' "
                           "(did you mean '%s'?)",
                           (int)(tok->klen > 32 ? 32 : tok->klen), tok->key,
                           near);
        return fp_fail(c, -EINVAL, tok, "unknown field '%.*s' (expected "
                       "key=value such as priority=, in_port=, nw_src=, "
                       "or actions= last)",
                       (int)(tok->klen > 32 ? 32 : tok->klen), tok->key);
    }
}

int
flow_parse(const char *line, enum flow_cmd cmd,
           const struct flow_port_map *ports, struct flow_mod *out,
           struct flow_error *err)
{
    /* read only where c.named[] says so: not cleared for each line */
    enum fp_prereq prereq[FP_N_FIELDS];
    const char *names[FP_N_FIELDS];
    struct fp_ctx c;
    struct fp_tok tok;
    size_t pos = 0;
    int rc;

    if (err != NULL) {
        /* the message's bytes past its end are nobody's: 320 bytes a
         * line cleared for nothing (#13) */
        err->code = 0;
        err->pos = 0;
        err->len = 0;
        err->msg[0] = '\0';
    }
    memset(&c, 0, offsetof(struct fp_ctx, seen));
    c.line = line;
    c.cmd = cmd;
    c.ports = ports;
    c.err = err;
    if (line == NULL || out == NULL || cmd < FLOW_CMD_ADD
        || cmd > FLOW_CMD_DELETE_STRICT) {
        c.line = "";
        return fp_fail(&c, -EINVAL, NULL, "no line or no output given");
    }
    c.fm.cmd = cmd;
    c.fm.flow.priority = FLOW_DEFAULT_PRIORITY;
    c.fm.flow.table_id = cmd == FLOW_CMD_ADD ? 0 : FLOW_TABLE_ALL;
    c.fm.out_port = FLOW_PORT_ANY;

    while (fp_next_token(line, &pos, &tok)) {
        int word = word_of(&tok);

        if (word == (W_KEYWORD << 8 | KW_ACTIONS)) {
            if (is_delete(&c))
                return fp_fail(&c, -EINVAL, &tok, "del-flows takes no "
                               "actions (remove 'actions=...')");
            if (tok.val == NULL || tok.paren)
                return fp_fail(&c, -EINVAL, &tok, "actions needs '=' "
                               "(actions=output:PORT or actions=drop)");
            c.has_actions = true;
            break;      /* the action reader checks its own parentheses */
        }
        rc = fp_check_closed(&c, &tok);
        if (rc < 0)
            return rc;
        rc = read_token(&c, &tok, word);
        if (rc < 0)
            return rc;
        /* the reader knows which alias it was: remember it for messages */
        if (word >= 0 && word >> 8 == W_FIELD) {
            const struct fp_match_field *f = &match_fields[word & 0xff];

            prereq[f->id] = f->prereq;
            names[f->id] = f->name;
            c.named[f->id] = true;
        }
    }

    rc = finish_match(&c, prereq, names);
    if (rc < 0)
        return rc;
    if (c.has_actions) {
        rc = fp_parse_actions(&c, (size_t)(tok.val - line));
        if (rc < 0)
            return rc;
    } else if (!is_delete(&c)) {
        return fp_fail(&c, -EINVAL, NULL, "missing actions (end the line "
                       "with actions=output:PORT or actions=drop)");
    }
    *out = c.fm;
    return 0;
}
