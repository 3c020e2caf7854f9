/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * learn(...): the fields a learn spec names, and the flow a learn action
 * makes of a packet.
 *
 * A learn spec reads bits of the packet (header fields, tunnel fields,
 * registers) and writes them into the match or the actions of a new flow.
 * The header fields are Open vSwitch's NXM fields with their NXM widths
 * (NXM_OF_IN_PORT is 16 bits, NXM_OF_ETH_SRC 48...), read from struct
 * flow_key, where they are kept in network order; the register-like
 * fields are flow_meta.c's. Values travel as a 128-bit pair v[0] (low),
 * v[1] (high), as in flow_meta.c, though no field here is wider than 64.
 *
 * flow_learn_build() is a pure function of the action and the packet's
 * key: the datapath calls it on its worker (dp_learn.c) and hands the
 * result to the control thread, which owns the flow table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "flow_priv.h"
#include "snic_hash.h"
#include "wide128.h"

struct hdr_field {
    unsigned id;
    const char *name;       /* Open vSwitch's name (printed) */
    const char *alias;      /* another name it takes, or NULL */
    const char *nxm;        /* the NXM name (printed in subfields) */
    const char *oxm;        /* the OXM name it also takes, or NULL */
    unsigned width;         /* bits */
    size_t ofs;             /* in struct flow_key (in_port: host order) */
    enum fp_learn_prereq prereq;
};

#define KO(f) offsetof(struct flow_key, f)

static const struct hdr_field hdr_fields[] = {
    { FLOW_FIELD_IN_PORT, "in_port", NULL, "NXM_OF_IN_PORT", NULL, 16,
      KO(in_port), FP_LP_NONE },
    { FLOW_FIELD_ETH_SRC, "eth_src", "dl_src", "NXM_OF_ETH_SRC",
      "OXM_OF_ETH_SRC", 48, KO(dl_src), FP_LP_NONE },
    { FLOW_FIELD_ETH_DST, "eth_dst", "dl_dst", "NXM_OF_ETH_DST",
      "OXM_OF_ETH_DST", 48, KO(dl_dst), FP_LP_NONE },
    { FLOW_FIELD_ETH_TYPE, "eth_type", "dl_type", "NXM_OF_ETH_TYPE",
      "OXM_OF_ETH_TYPE", 16, KO(dl_type), FP_LP_NONE },
    { FLOW_FIELD_VLAN_TCI, "vlan_tci", NULL, "NXM_OF_VLAN_TCI", NULL, 16,
      KO(vlan_tci), FP_LP_NONE },
    { FLOW_FIELD_IP_SRC, "ip_src", "nw_src", "NXM_OF_IP_SRC",
      "OXM_OF_IPV4_SRC", 32, KO(nw_src), FP_LP_IPV4 },
    { FLOW_FIELD_IP_DST, "ip_dst", "nw_dst", "NXM_OF_IP_DST",
      "OXM_OF_IPV4_DST", 32, KO(nw_dst), FP_LP_IPV4 },
    { FLOW_FIELD_IP_PROTO, "nw_proto", "ip_proto", "NXM_OF_IP_PROTO",
      "OXM_OF_IP_PROTO", 8, KO(nw_proto), FP_LP_IP },
    { FLOW_FIELD_TCP_SRC, "tcp_src", "tp_src", "NXM_OF_TCP_SRC",
      "OXM_OF_TCP_SRC", 16, KO(tp_src), FP_LP_TCP },
    { FLOW_FIELD_TCP_DST, "tcp_dst", "tp_dst", "NXM_OF_TCP_DST",
      "OXM_OF_TCP_DST", 16, KO(tp_dst), FP_LP_TCP },
    { FLOW_FIELD_UDP_SRC, "udp_src", NULL, "NXM_OF_UDP_SRC",
      "OXM_OF_UDP_SRC", 16, KO(tp_src), FP_LP_UDP },
    { FLOW_FIELD_UDP_DST, "udp_dst", NULL, "NXM_OF_UDP_DST",
      "OXM_OF_UDP_DST", 16, KO(tp_dst), FP_LP_UDP },
    { FLOW_FIELD_IN_PORT_OXM, "in_port_oxm", NULL, "OXM_OF_IN_PORT", NULL,
      32, KO(in_port), FP_LP_NONE },
};

#define N_HDR (sizeof(hdr_fields) / sizeof(hdr_fields[0]))

static const struct hdr_field *
hdr_of(unsigned field)
{
    if (field < FLOW_FIELD_IN_PORT || field >= FLOW_FIELD_HDR_END)
        return NULL;
    return &hdr_fields[field - FLOW_FIELD_IN_PORT];
}

unsigned
flow_learn_field_width(unsigned field)
{
    const struct hdr_field *h = hdr_of(field);

    return h != NULL ? h->width : flow_field_width(field);
}

int
flow_learn_field_nxm_name(unsigned field, char *buf, size_t size)
{
    const struct hdr_field *h = hdr_of(field);

    return h != NULL ? snprintf(buf, size, "%s", h->nxm)
                     : flow_field_nxm_name(field, buf, size);
}

int
flow_learn_field_name(unsigned field, char *buf, size_t size)
{
    const struct hdr_field *h = hdr_of(field);

    return h != NULL ? snprintf(buf, size, "%s", h->name)
                     : flow_field_name(field, buf, size);
}

static bool
is(const char *s, size_t len, const char *name)
{
    return name != NULL && strlen(name) == len && memcmp(s, name, len) == 0;
}

unsigned
flow_learn_field_by_name(const char *s, size_t len)
{
    for (size_t i = 0; i < N_HDR; i++) {
        const struct hdr_field *h = &hdr_fields[i];

        if (is(s, len, h->name) || is(s, len, h->alias) || is(s, len, h->nxm)
            || is(s, len, h->oxm))
            return h->id;
    }
    return flow_field_by_name(s, len);
}

bool
fp_learn_is_untag(const struct flow_action *s)
{
    return s->pad0 == FLOW_LEARN_LOAD_IMM
        && s->dst.field == FLOW_FIELD_VLAN_TCI && s->dst.ofs == 0
        && s->dst.n_bits == 16 && s->u.value == 0;
}

enum fp_learn_prereq
fp_learn_field_prereq(unsigned field)
{
    const struct hdr_field *h = hdr_of(field);

    return h != NULL ? h->prereq : FP_LP_NONE;
}

/* A header field's whole value, host order. */
static uint64_t
hdr_get(const struct flow_key *key, const struct hdr_field *h)
{
    const uint8_t *p = (const uint8_t *)key + h->ofs;
    uint64_t v = 0;

    if (h->id == FLOW_FIELD_IN_PORT)
        /* NXM_OF_IN_PORT: OpenFlow 1.0's 16-bit port (LOCAL 0xfffe) */
        return key->in_port & 0xffffu;
    if (h->id == FLOW_FIELD_IN_PORT_OXM)
        return key->in_port;
    for (unsigned i = 0; i < h->width / 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Set the bits of @mask in a header field (not in_port) of @key to
 * @v's. */
static void
hdr_put(struct flow_key *key, const struct hdr_field *h, uint64_t v,
        uint64_t mask)
{
    uint8_t *p = (uint8_t *)key + h->ofs;
    unsigned n = h->width / 8;

    for (unsigned i = 0; i < n; i++) {
        unsigned sh = 8 * (n - 1 - i);
        uint8_t m = (uint8_t)(mask >> sh);

        p[i] = (uint8_t)((p[i] & ~m) | ((uint8_t)(v >> sh) & m));
    }
}

void
flow_learn_subfield_get(const struct flow_key *key,
                        const struct flow_subfield *sf, uint64_t v[2])
{
    const struct hdr_field *h = hdr_of(sf->field);

    if (h == NULL) {
        flow_key_subfield_get(key, sf, v);
        return;
    }
    v[1] = 0;
    v[0] = hdr_get(key, h) >> sf->ofs;
    if (sf->n_bits < 64)
        v[0] &= (1ull << sf->n_bits) - 1;
}

void
fp_learn_match_put(struct flow_match *m, const struct flow_subfield *sf,
          const uint64_t v[2])
{
    const struct hdr_field *h = hdr_of(sf->field);
    uint64_t ones = sf->n_bits >= 64 ? UINT64_MAX
                                     : (1ull << sf->n_bits) - 1;

    if (h == NULL) {
        flow_key_subfield_set(&m->value, sf, v);
        flow_key_subfield_set(&m->mask, sf,
                              (const uint64_t[2]){ UINT64_MAX, UINT64_MAX });
        return;
    }
    if (h->id == FLOW_FIELD_IN_PORT) {
        uint32_t port = (uint32_t)(v[0] & 0xffff);

        m->value.in_port = port >= 0xfff8 ? 0xffff0000u | port : port;
        m->mask.in_port = UINT32_MAX;
        return;
    }
    if (h->id == FLOW_FIELD_IN_PORT_OXM) {
        m->value.in_port = (uint32_t)v[0];
        m->mask.in_port = UINT32_MAX;
        return;
    }
    hdr_put(&m->value, h, (v[0] & ones) << sf->ofs, ones << sf->ofs);
    hdr_put(&m->mask, h, UINT64_MAX, ones << sf->ofs);
}

/* A learned match on tun_metadata bits, in the slots the packet's TLV map
 * gives the option (none: the option is not mapped, and the match is left
 * out, as Open vSwitch leaves out an unmapped one). */
static void
learn_tun_md(struct flow_match *m, const struct flow_subfield *sf,
             const uint64_t v[2], const struct flow_meta *layout)
{
    uint64_t val[2] = { v[0], v[1] }, ones[2];

    wide_ones(ones, sf->n_bits);
    val[0] &= ones[0];
    val[1] &= ones[1];
    wide_shl(val, sf->ofs);
    wide_shl(ones, sf->ofs);
    (void)flow_tun_md_match_bits(m, sf->field - FLOW_FIELD_TUN_MD0, layout,
                                 val, ones);
}

bool
flow_learn_valid(const struct flow_action *a)
{
    if (a->type != FLOW_ACT_LEARN
        || a->u.learn.table > FLOW_TABLE_MAX
        || (a->pad0 & ~(FLOW_LEARN_F_SEND_FLOW_REM
                        | FLOW_LEARN_F_DELETE_LEARNED)))
        return false;
    for (unsigned i = 1; i <= a->u.learn.n; i++) {
        const struct flow_action *s = &a[i];
        unsigned dw = flow_learn_field_width(s->dst.field);
        unsigned sw = flow_learn_field_width(s->u.src.field);
        bool dst_ok = dw > 0 && s->dst.n_bits > 0 && s->dst.n_bits <= 64
                      && (unsigned)s->dst.ofs + s->dst.n_bits <= dw;
        bool src_ok = sw > 0 && s->u.src.n_bits > 0
                      && (unsigned)s->u.src.ofs + s->u.src.n_bits <= sw;

        if (s->type != FLOW_ACT_LEARN_SPEC)
            return false;
        switch (s->pad0) {
        case FLOW_LEARN_COOKIE:
        case FLOW_LEARN_FIN:
            break;
        case FLOW_LEARN_LIMIT:
            if (s->u.value == 0 || s->u.value > UINT32_MAX)
                return false;
            break;
        case FLOW_LEARN_MATCH:
            if (!dst_ok || !src_ok || s->dst.n_bits != s->u.src.n_bits)
                return false;
            break;
        case FLOW_LEARN_MATCH_IMM:
            if (!dst_ok || (s->dst.n_bits < 64
                            && s->u.value >> s->dst.n_bits))
                return false;
            break;
        case FLOW_LEARN_LOAD:
            if (!dst_ok || !src_ok || s->dst.n_bits != s->u.src.n_bits
                || flow_field_width(s->dst.field) == 0)
                return false;
            break;
        case FLOW_LEARN_LOAD_IMM:
            if (fp_learn_is_untag(s))
                break;
            if (!dst_ok || flow_field_width(s->dst.field) == 0
                || (s->dst.n_bits < 64 && s->u.value >> s->dst.n_bits))
                return false;
            break;
        case FLOW_LEARN_OUTPUT:
            if (!src_ok || s->u.src.n_bits > 32)
                return false;
            break;
        case FLOW_LEARN_RESULT:
            if (s->dst.n_bits != 1 || !flow_subfield_valid(&s->dst)
                || flow_field_is_tunnel(s->dst.field))
                return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

/* The output a learned flow gets for the port value @v, as Open vSwitch
 * makes it: a 16-bit OpenFlow 1.0 port; an ordinary number (below
 * 0xff00) or IN_PORT, FLOOD, ALL or LOCAL. Any other value (NORMAL,
 * CONTROLLER, TABLE, NONE, 0xff00..0xfff7, more than 16 bits) gives no
 * output, and the flow is learned without it. Port 0 is no port: an
 * output there sends nothing, so it is left out too. */
static bool
learned_output(uint64_t v, struct flow_action *out)
{
    memset(out, 0, sizeof(*out));
    out->type = FLOW_ACT_OUTPUT;
    if (v == 0 || v > 0xffff)
        return false;
    if (v < 0xff00) {
        out->u.port = (uint32_t)v;
        return true;
    }
    out->u.port = 0xffff0000u | (uint32_t)v;
    return out->u.port == FLOW_PORT_IN_PORT || out->u.port == FLOW_PORT_FLOOD
        || out->u.port == FLOW_PORT_ALL || out->u.port == FLOW_PORT_LOCAL;
}

int
flow_learn_build(const struct flow_action *a, const struct flow_key *key,
                 struct flow_mod *out)
{
    struct flow *f = &out->flow;

    memset(out, 0, sizeof(*out));
    out->cmd = FLOW_CMD_ADD;
    out->out_port = FLOW_PORT_ANY;
    flow_match_init_catchall(&f->match);
    f->table_id = a->u.learn.table;
    f->priority = a->u.learn.priority;
    f->idle_timeout = a->u.learn.idle_timeout;
    f->hard_timeout = a->u.learn.hard_timeout;
    if (a->pad0 & FLOW_LEARN_F_SEND_FLOW_REM)
        f->flags |= FLOW_F_SEND_FLOW_REM;
    /* fin timeouts: the learned flow's first action, as Open vSwitch */
    for (unsigned i = 1; i <= a->u.learn.n; i++)
        if (a[i].pad0 == FLOW_LEARN_FIN) {
            struct flow_action *act = &f->actions[f->n_actions++];

            memset(act, 0, sizeof(*act));
            act->type = FLOW_ACT_FIN_TIMEOUT;
            act->u.learn_fin = a[i].u.learn_fin;
            break;
        }
    for (unsigned i = 1; i <= a->u.learn.n; i++) {
        const struct flow_action *s = &a[i];
        uint64_t v[2] = { s->u.value, 0 };
        struct flow_action *act;

        switch (s->pad0) {
        case FLOW_LEARN_COOKIE:
            f->cookie = s->u.value;
            continue;
        case FLOW_LEARN_LIMIT:
            out->learn_limit = (uint32_t)s->u.value;
            continue;
        case FLOW_LEARN_MATCH:
            flow_learn_subfield_get(key, &s->u.src, v);
            /* fall through */
        case FLOW_LEARN_MATCH_IMM:
            if (flow_field_is_tun_md(s->dst.field))
                learn_tun_md(&f->match, &s->dst, v, &key->meta);
            else
                fp_learn_match_put(&f->match, &s->dst, v);
            continue;
        default:
            break;
        }
        if (s->pad0 != FLOW_LEARN_LOAD && s->pad0 != FLOW_LEARN_LOAD_IMM
            && s->pad0 != FLOW_LEARN_OUTPUT)
            continue;
        if (f->n_actions >= FLOW_MAX_ACTIONS)
            return -E2BIG;
        act = &f->actions[f->n_actions++];
        memset(act, 0, sizeof(*act));
        if (s->pad0 == FLOW_LEARN_OUTPUT) {
            flow_learn_subfield_get(key, &s->u.src, v);
            if (!learned_output(v[0], act))
                f->n_actions--;
            continue;
        }
        if (fp_learn_is_untag(s)) {
            /* a TCI of 0 is no tag: Open vSwitch pops it */
            act->type = FLOW_ACT_STRIP_VLAN;
            continue;
        }
        if (s->pad0 == FLOW_LEARN_LOAD)
            flow_learn_subfield_get(key, &s->u.src, v);
        act->type = FLOW_ACT_LOAD;
        act->dst = s->dst;
        act->u.value = v[0];
    }
    flow_match_normalise(&f->match);
    return 0;
}

uint64_t
flow_fingerprint(const struct flow *f)
{
    struct flow_match m = f->match;
    uint64_t h;
    unsigned n = f->n_actions <= FLOW_MAX_ACTIONS ? f->n_actions
                                                  : FLOW_MAX_ACTIONS;

    flow_match_normalise(&m);
    h = snic_hash_bytes(&m, sizeof(m), SNIC_HASH_BASIS);
    h = snic_hash_u64(f->cookie, h);
    h = snic_hash_u64((uint64_t)f->priority << 48 | (uint64_t)f->table_id << 40
                      | (uint64_t)n << 32 | (uint64_t)f->idle_timeout << 16
                      | f->hard_timeout, h);
    h = snic_hash_u64((uint64_t)f->flags << 16 | f->importance, h);
    return snic_hash_bytes(f->actions, n * sizeof(f->actions[0]), h);
}

const struct flow_action *
flow_learn_result(const struct flow_action *a)
{
    for (unsigned i = 1; i <= a->u.learn.n; i++)
        if (a[i].pad0 == FLOW_LEARN_RESULT)
            return &a[i];
    return NULL;
}

/* ---- text, as Open vSwitch prints it ---- */

static int
sf_format(const struct flow_subfield *sf, char *buf, size_t size)
{
    char name[32];
    unsigned width = flow_learn_field_width(sf->field);

    flow_learn_field_nxm_name(sf->field, name, sizeof(name));
    if (sf->ofs == 0 && sf->n_bits == width)
        return snprintf(buf, size, "%s[]", name);
    if (sf->n_bits == 1)
        return snprintf(buf, size, "%s[%u]", name, sf->ofs);
    return snprintf(buf, size, "%s[%u..%u]", name, sf->ofs,
                    sf->ofs + sf->n_bits - 1);
}

/* A constant for the whole field @field, in the field's own notation. */
static int
value_format(unsigned field, uint64_t v, char *buf, size_t size)
{
    switch (field) {
    case FLOW_FIELD_ETH_SRC:
    case FLOW_FIELD_ETH_DST:
        return snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x",
                        (unsigned)(v >> 40) & 0xff, (unsigned)(v >> 32) & 0xff,
                        (unsigned)(v >> 24) & 0xff, (unsigned)(v >> 16) & 0xff,
                        (unsigned)(v >> 8) & 0xff, (unsigned)v & 0xff);
    case FLOW_FIELD_IP_SRC:
    case FLOW_FIELD_IP_DST:
    case FLOW_FIELD_TUN_SRC:
    case FLOW_FIELD_TUN_DST:
        return snprintf(buf, size, "%u.%u.%u.%u", (unsigned)(v >> 24) & 0xff,
                        (unsigned)(v >> 16) & 0xff, (unsigned)(v >> 8) & 0xff,
                        (unsigned)v & 0xff);
    case FLOW_FIELD_IN_PORT:
    case FLOW_FIELD_IP_PROTO:
    case FLOW_FIELD_TCP_SRC:
    case FLOW_FIELD_TCP_DST:
    case FLOW_FIELD_UDP_SRC:
    case FLOW_FIELD_UDP_DST:
        return snprintf(buf, size, "%llu", (unsigned long long)v);
    default:
        return snprintf(buf, size, "0x%llx", (unsigned long long)v);
    }
}

int
fp_learn_format(const struct flow_action *a, char *buf, size_t size)
{
    size_t n = 0;
    char s[48], d[48], v[32], name[32];

#define PUT(...) \
    do { \
        int r_ = snprintf(buf + (n < size ? n : size), \
                          n < size ? size - n : 0, __VA_ARGS__); \
        if (r_ > 0) \
            n += (size_t)r_; \
    } while (0)

    PUT("learn(table=%u", a->u.learn.table);
    if (a->u.learn.idle_timeout)
        PUT(",idle_timeout=%u", a->u.learn.idle_timeout);
    if (a->u.learn.hard_timeout)
        PUT(",hard_timeout=%u", a->u.learn.hard_timeout);
    for (unsigned i = 1; i <= a->u.learn.n; i++) {
        if (a[i].pad0 != FLOW_LEARN_FIN)
            continue;
        if (a[i].u.learn_fin.fin_idle_timeout)
            PUT(",fin_idle_timeout=%u", a[i].u.learn_fin.fin_idle_timeout);
        if (a[i].u.learn_fin.fin_hard_timeout)
            PUT(",fin_hard_timeout=%u", a[i].u.learn_fin.fin_hard_timeout);
    }
    if (a->u.learn.priority != FLOW_DEFAULT_PRIORITY)
        PUT(",priority=%u", a->u.learn.priority);
    if (a->pad0 & FLOW_LEARN_F_SEND_FLOW_REM)
        PUT(",send_flow_rem");
    if (a->pad0 & FLOW_LEARN_F_DELETE_LEARNED)
        PUT(",delete_learned");
    for (unsigned i = 1; i <= a->u.learn.n; i++)
        if (a[i].pad0 == FLOW_LEARN_COOKIE && a[i].u.value != 0)
            PUT(",cookie=0x%llx", (unsigned long long)a[i].u.value);
    for (unsigned i = 1; i <= a->u.learn.n; i++)
        if (a[i].pad0 == FLOW_LEARN_LIMIT)
            PUT(",limit=%llu", (unsigned long long)a[i].u.value);
    for (unsigned i = 1; i <= a->u.learn.n; i++)
        if (a[i].pad0 == FLOW_LEARN_RESULT) {
            sf_format(&a[i].dst, d, sizeof(d));
            PUT(",result_dst=%s", d);
        }
    for (unsigned i = 1; i <= a->u.learn.n; i++) {
        const struct flow_action *sp = &a[i];

        switch (sp->pad0) {
        case FLOW_LEARN_MATCH:
            sf_format(&sp->dst, d, sizeof(d));
            if (sp->u.src.field != sp->dst.field
                || sp->u.src.ofs != sp->dst.ofs) {
                sf_format(&sp->u.src, s, sizeof(s));
                PUT(",%s=%s", d, s);
            } else {
                PUT(",%s", d);
            }
            break;
        case FLOW_LEARN_MATCH_IMM:
            if (sp->dst.ofs == 0 && sp->dst.n_bits
                == flow_learn_field_width(sp->dst.field)) {
                flow_learn_field_name(sp->dst.field, name, sizeof(name));
                value_format(sp->dst.field, sp->u.value, v, sizeof(v));
                PUT(",%s=%s", name, v);
            } else {
                sf_format(&sp->dst, d, sizeof(d));
                PUT(",%s=0x%llx", d, (unsigned long long)sp->u.value);
            }
            break;
        case FLOW_LEARN_LOAD:
            sf_format(&sp->u.src, s, sizeof(s));
            sf_format(&sp->dst, d, sizeof(d));
            PUT(",load:%s->%s", s, d);
            break;
        case FLOW_LEARN_LOAD_IMM:
            sf_format(&sp->dst, d, sizeof(d));
            PUT(",load:0x%llx->%s", (unsigned long long)sp->u.value, d);
            break;
        case FLOW_LEARN_OUTPUT:
            sf_format(&sp->u.src, s, sizeof(s));
            PUT(",output:%s", s);
            break;
        default:
            break;
        }
    }
    PUT(")");
#undef PUT
    return (int)n;
}

int
fp_fin_timeout_format(const struct flow_action *a, char *buf, size_t size)
{
    unsigned idle = a->u.learn_fin.fin_idle_timeout;
    unsigned hard = a->u.learn_fin.fin_hard_timeout;

    if (idle && hard)
        return snprintf(buf, size, "fin_timeout(idle_timeout=%u,"
                        "hard_timeout=%u)", idle, hard);
    if (hard)
        return snprintf(buf, size, "fin_timeout(hard_timeout=%u)", hard);
    if (idle)
        return snprintf(buf, size, "fin_timeout(idle_timeout=%u)", idle);
    return snprintf(buf, size, "fin_timeout()");
}
