/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The action executor: one flow's action list on a frame, in order.
 *
 * Checksums are patched incrementally (RFC 1624, HC' = ~(~HC + ~m + m')) so
 * a rewrite costs the same whatever the payload size, and a checksum that
 * was wrong stays exactly as wrong (a forwarder must not launder corrupt
 * packets). SCTP's CRC32c cannot be patched and is recomputed.
 *
 * Every rewrite first checks that its header is really in the frame: the
 * parser's prerequisites guarantee the protocol, not that the frame was not
 * cut short, and a frame from the wire is never trusted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "dp_priv.h"
#include "dp_wire.h"

/* ---- checksums ---- */

/* Patch the checksum at @sum for one 16-bit word going from @old to @new. */
static void
csum_patch16(uint8_t *sum, uint16_t old, uint16_t new)
{
    uint32_t s = (uint16_t)~dp_rd16(sum) + (uint32_t)(uint16_t)~old + new;

    dp_wr16(sum, (uint16_t)~dp_csum_fold(s));
}

/* Same for 4 bytes at an even offset of the summed data. */
static void
csum_patch32(uint8_t *sum, const uint8_t old[4], const uint8_t new[4])
{
    csum_patch16(sum, dp_rd16(old), dp_rd16(new));
    csum_patch16(sum, dp_rd16(old + 2), dp_rd16(new + 2));
}

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void
crc32c_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
        crc32c_table[i] = c;
    }
}

uint32_t
dp_crc32c(const void *data, size_t size)
{
    const uint8_t *p = data;
    uint32_t c = 0xffffffffu;

    pthread_once(&crc32c_once, crc32c_init);
    for (size_t i = 0; i < size; i++)
        c = crc32c_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

/* ---- L3/L4 rewrites ---- */

static bool
has_l4(const struct dp_pkt *pkt, uint8_t proto)
{
    return (pkt->layout.flags & DP_L_L4) && pkt->layout.nw_proto == proto;
}

/* SCTP's CRC32c over the packet with the checksum field zero, in the
 * byte order it is stored (RFC 4960 appendix B: low byte first). */
static void
sctp_crc(uint8_t *sctp, size_t size, uint8_t out[4])
{
    uint8_t saved[4];
    uint32_t crc;

    memcpy(saved, sctp + 8, 4);
    memset(sctp + 8, 0, 4);
    crc = dp_crc32c(sctp, size);
    memcpy(sctp + 8, saved, 4);
    out[0] = (uint8_t)crc;
    out[1] = (uint8_t)(crc >> 8);
    out[2] = (uint8_t)(crc >> 16);
    out[3] = (uint8_t)(crc >> 24);
}

/* Change @size bytes at @field of an SCTP packet. The CRC cannot be
 * patched like a sum, but it is linear: stored ^ crc(before) ^ crc(after)
 * is right when the stored one was, and exactly as wrong when it was not
 * (as for the incremental sums; Open vSwitch does the same). */
static void
sctp_write(struct dp_pkt *pkt, size_t field, const uint8_t *new,
           size_t size)
{
    uint8_t *sctp = pkt->buf.data + pkt->layout.l4_ofs;
    size_t len = pkt->layout.l4_end - pkt->layout.l4_ofs;
    uint8_t before[4], after[4];

    sctp_crc(sctp, len, before);
    memcpy(sctp + field, new, size);
    sctp_crc(sctp, len, after);
    for (int i = 0; i < 4; i++)
        sctp[8 + i] = (uint8_t)(sctp[8 + i] ^ before[i] ^ after[i]);
}

/* An IPv4 address changes: the IP header sum and the pseudo-header sums. */
static void
set_ipv4_addr(struct dp_pkt *pkt, size_t field, flow_be32 addr)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;
    uint8_t *l4 = pkt->buf.data + pkt->layout.l4_ofs;
    uint8_t new[4];

    if (!(pkt->layout.flags & DP_L_IPV4))
        return;
    memcpy(new, &addr, 4);
    if (memcmp(ip + field, new, 4) == 0)
        return;
    csum_patch32(ip + 10, ip + field, new);
    /* a first fragment carries the L4 checksum of the whole datagram */
    if (has_l4(pkt, DP_IPPROTO_TCP)) {
        csum_patch32(l4 + 16, ip + field, new);
    } else if (has_l4(pkt, DP_IPPROTO_UDP) && dp_rd16(l4 + 6) != 0) {
        csum_patch32(l4 + 6, ip + field, new);
        if (dp_rd16(l4 + 6) == 0)
            dp_wr16(l4 + 6, 0xffff);   /* 0 would mean "no checksum" */
    }
    memcpy(ip + field, new, 4);
}

static void
set_tos(struct dp_pkt *pkt, uint8_t tos)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;

    if (pkt->layout.flags & DP_L_IPV4) {
        uint16_t old = dp_rd16(ip);

        ip[1] = (uint8_t)((ip[1] & 0x03) | (tos & 0xfc));
        if (dp_rd16(ip) != old)        /* 0xffff would turn into 0 */
            csum_patch16(ip + 10, old, dp_rd16(ip));
    } else if (pkt->layout.flags & DP_L_IPV6) {
        /* the traffic class straddles bytes 0 and 1 */
        uint8_t tc = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);

        tc = (uint8_t)((tc & 0x03) | (tos & 0xfc));
        ip[0] = (uint8_t)((ip[0] & 0xf0) | tc >> 4);
        ip[1] = (uint8_t)((ip[1] & 0x0f) | (tc & 0x0f) << 4);
    }
}

/* mod_tp_src/dst on an ICMP or ICMPv6 packet (OpenFlow 1.0 without a
 * tcp/udp match): Open vSwitch keeps ICMP type and code in the port
 * fields, so it writes the low byte of the "port" there; so do we. */
static void
set_icmp(struct dp_pkt *pkt, size_t field, flow_be16 port)
{
    uint8_t *icmp = pkt->buf.data + pkt->layout.l4_ofs;
    uint16_t old = dp_rd16(icmp);

    icmp[field == 0 ? 0 : 1] = (uint8_t)ntohs(port);
    if (dp_rd16(icmp) != old)
        csum_patch16(icmp + 2, old, dp_rd16(icmp));
}

static void
set_port(struct dp_pkt *pkt, size_t field, flow_be16 port)
{
    uint8_t *l4 = pkt->buf.data + pkt->layout.l4_ofs;
    uint8_t new[2];
    uint16_t old;

    /* a first fragment's ports are rewritten too (its L4 header is
     * there), as Open vSwitch does; a later fragment has none */
    if (!(pkt->layout.flags & DP_L_L4))
        return;
    if (pkt->layout.nw_proto == DP_IPPROTO_ICMP
        || pkt->layout.nw_proto == DP_IPPROTO_ICMPV6) {
        set_icmp(pkt, field, port);
        return;
    }
    memcpy(new, &port, 2);
    old = dp_rd16(l4 + field);
    if (old == dp_rd16(new))
        return;                     /* nothing changes, not even a sum */
    switch (pkt->layout.nw_proto) {
    case DP_IPPROTO_TCP:
        /* a data offset below 5 or past the segment: not a TCP header
         * one can rewrite (Open vSwitch leaves it alone too) */
        if ((size_t)(l4[12] >> 4) * 4 < 20
            || (size_t)(l4[12] >> 4) * 4
               > (size_t)(pkt->layout.l4_end - pkt->layout.l4_ofs))
            return;
        memcpy(l4 + field, new, 2);
        csum_patch16(l4 + 16, old, dp_rd16(new));
        break;
    case DP_IPPROTO_UDP:
        memcpy(l4 + field, new, 2);
        /* zero: the sender computed none. IPv6 forbids that (RFC 8200
         * 8.1), but a forwarder does not repair it: Open vSwitch leaves
         * it zero too, and a patched zero would be neither 0 nor right */
        if (dp_rd16(l4 + 6) != 0) {
            csum_patch16(l4 + 6, old, dp_rd16(new));
            if (dp_rd16(l4 + 6) == 0)
                dp_wr16(l4 + 6, 0xffff);
        }
        break;
    case DP_IPPROTO_SCTP:
        sctp_write(pkt, field, new, 2);
        break;
    default:
        break;
    }
}

/* mod_nw_ecn: the two low bits of the TOS / traffic class byte. */
static void
set_ecn(struct dp_pkt *pkt, uint8_t ecn)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;

    if (pkt->layout.flags & DP_L_IPV4) {
        uint16_t old = dp_rd16(ip);

        ip[1] = (uint8_t)((ip[1] & 0xfc) | (ecn & 0x03));
        if (dp_rd16(ip) != old)
            csum_patch16(ip + 10, old, dp_rd16(ip));
    } else if (pkt->layout.flags & DP_L_IPV6) {
        /* the traffic class's ECN bits are bits 4-5 of byte 1 */
        ip[1] = (uint8_t)((ip[1] & 0xcf) | (ecn & 0x03) << 4);
    }
}

static void
set_ttl(struct dp_pkt *pkt, uint8_t ttl)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;

    if (pkt->layout.flags & DP_L_IPV4) {
        uint16_t old = dp_rd16(ip + 8);

        ip[8] = ttl;
        if (dp_rd16(ip + 8) != old)
            csum_patch16(ip + 10, old, dp_rd16(ip + 8));
    } else if (pkt->layout.flags & DP_L_IPV6) {
        ip[7] = ttl;
    }
}

static enum dp_act_result
dec_ttl(struct dp_pkt *pkt)
{
    uint8_t *ip = pkt->buf.data + pkt->layout.l3_ofs;

    if (pkt->layout.flags & DP_L_IP_BAD)
        return DP_ACT_DROP_TTL;     /* no TTL could be read: it is 0 */
    if (pkt->layout.flags & DP_L_IPV4) {
        uint16_t old = dp_rd16(ip + 8);

        if (ip[8] <= 1)
            return DP_ACT_DROP_TTL;
        ip[8]--;
        csum_patch16(ip + 10, old, dp_rd16(ip + 8));
    } else if (pkt->layout.flags & DP_L_IPV6) {
        if (ip[7] <= 1)
            return DP_ACT_DROP_TTL;
        ip[7]--;
    }
    return DP_ACT_DONE;
}

/* ---- VLAN ---- */

/* Set the TCI bits in @keep_mask's complement to @bits; push a tag with
 * just @bits when untagged and @push. A tag whose PCP or VID changes is
 * written with DEI 0: OpenFlow's TCI has no DEI (that bit means "tagged"),
 * so Open vSwitch writes the whole TCI from PCP and VID; an unchanged tag
 * is left as it is. */
static enum dp_act_result
mod_tci(struct dp_pkt *pkt, uint16_t keep_mask, uint16_t bits, bool push)
{
    uint8_t *tci = pkt->buf.data + 14;

    if (dp_tagged(pkt)) {
        uint16_t old = dp_rd16(tci) & (uint16_t)~FLOW_VLAN_CFI;
        uint16_t new = (uint16_t)((old & keep_mask) | bits);

        if (new != old)
            dp_wr16(tci, new);
        return DP_ACT_DONE;
    }
    if (!push)
        return DP_ACT_DONE;
    return dp_tag_push(pkt, DP_ETH_VLAN, bits, true);
}

/* ---- registers ---- */

/* A subfield of the packet: registers and metadata in pkt->meta, the
 * tunnel fields (tun_id, tun_src, tun_dst) in pkt->tun. False: a register
 * and no pkt->meta (the action does nothing). */
static bool
sf_get(const struct dp_pkt *pkt, const struct flow_subfield *sf,
       uint64_t v[2])
{
    if (flow_field_is_tunnel(sf->field)) {
        struct flow_key k;

        k.tun_id = pkt->tun.tun_id;
        k.tun_src = pkt->tun.tun_src;
        k.tun_dst = pkt->tun.tun_dst;
        flow_key_subfield_get(&k, sf, v);
        return true;
    }
    if (pkt->meta == NULL)
        return false;
    flow_subfield_get(pkt->meta, sf, v);
    return true;
}

/* A write to tun_src/tun_dst counts as set_field's for the encapsulation
 * (docs/datapath.md: an action set it), as Open vSwitch's does. */
static void
sf_set(struct dp_pkt *pkt, const struct flow_subfield *sf,
       const uint64_t v[2])
{
    if (flow_field_is_tunnel(sf->field)) {
        struct flow_key k;

        k.tun_id = pkt->tun.tun_id;
        k.tun_src = pkt->tun.tun_src;
        k.tun_dst = pkt->tun.tun_dst;
        flow_key_subfield_set(&k, sf, v);
        pkt->tun.tun_id = k.tun_id;
        pkt->tun.tun_src = k.tun_src;
        pkt->tun.tun_dst = k.tun_dst;
        if (sf->field == FLOW_FIELD_TUN_SRC)
            pkt->tun.set |= DP_TUN_SET_SRC;
        else if (sf->field == FLOW_FIELD_TUN_DST)
            pkt->tun.set |= DP_TUN_SET_DST;
        return;
    }
    if (pkt->meta != NULL)
        flow_subfield_set(pkt->meta, sf, v);
}

static void
load(struct dp_pkt *pkt, const struct flow_action *a)
{
    const uint64_t v[2] = { a->u.value, 0 };

    sf_set(pkt, &a->dst, v);
}

static void
move(struct dp_pkt *pkt, const struct flow_action *a)
{
    uint64_t v[2];

    if (sf_get(pkt, &a->u.src, v))
        sf_set(pkt, &a->dst, v);
}

/* push:SRC and pop:DST, Open vSwitch's register stack */
static void
stack_push(struct dp_pkt *pkt, const struct flow_action *a)
{
    struct dp_stack *s = pkt->stack;
    uint64_t v[2];

    if (s == NULL || s->n >= DP_STACK_MAX || !sf_get(pkt, &a->u.src, v))
        return;
    s->v[s->n][0] = v[0];
    s->v[s->n][1] = v[1];
    s->n++;
}

static void
stack_pop(struct dp_pkt *pkt, const struct flow_action *a)
{
    struct dp_stack *s = pkt->stack;

    /* an empty stack: Open vSwitch reports it and goes on */
    if (s == NULL || s->n == 0)
        return;
    s->n--;
    sf_set(pkt, &a->dst, s->v[s->n]);
}

/* output:REG[..]: Open vSwitch reads the bits as a 16-bit OpenFlow 1.0
 * port: 1..0xfeff is a port, 0xfff8..0xfffe a reserved one (IN_PORT,
 * NORMAL, FLOOD, ALL, CONTROLLER with the whole packet, LOCAL; TABLE
 * outputs nothing here); 0, 0xff00..0xfff7, 0xffff (NONE) and a value
 * wider than 16 bits output nothing. */
static void
output_reg(const struct dp_actions_env *env, struct dp_pkt *pkt,
           const struct flow_action *a, bool last,
           struct dp_act_stats *stats)
{
    uint64_t v[2];

    if (!sf_get(pkt, &a->u.src, v))
        return;
    if (v[1] != 0 || v[0] == 0 || v[0] > 0xfffe)
        return;
    if (v[0] >= 0xfff8) {
        struct flow_action r = {
            .type = FLOW_ACT_OUTPUT,
            .pad0 = FLOW_CONTROLLER_MAX_LEN,
            .u.port = 0xffff0000u | (uint32_t)v[0],
        };

        dp_output_reserved(env, pkt, &r, last, stats);
        return;
    }
    if (v[0] >= 0xff00)
        return;
    dp_output_one(env, pkt, (uint32_t)v[0], last, stats);
}

/* clone(ACTIONS): the body runs on the packet, which is then put back as
 * it was (bytes, tags, tunnel metadata, in_port, registers, the register
 * stack). Only the
 * frame's bytes need saving: pushes use headroom before them and the
 * encapsulation of an output writes only there too. The body never holds
 * the packet's last output, since the packet lives on after it. A frame
 * that cannot be saved sends none of the body's copies. */
static void
run_clone(const struct dp_actions_env *env, struct dp_pkt *pkt,
          const struct flow_action *body, unsigned n,
          struct dp_act_stats *stats)
{
    struct dp_actions_env inner = *env;
    struct dp_pkt saved = *pkt;
    struct flow_meta meta;
    struct dp_stack stack;
    uint8_t small[2048];
    uint8_t *bytes = small;
    uint8_t goto_table = 0;

    if (pkt->buf.len > sizeof(small)
        && (bytes = malloc(pkt->buf.len)) == NULL)
        return;
    memcpy(bytes, pkt->buf.data, pkt->buf.len);
    if (pkt->meta != NULL)
        meta = *pkt->meta;
    /* the stack too, as Open vSwitch's clone keeps it */
    if (pkt->stack != NULL) {
        stack.n = pkt->stack->n;
        memcpy(stack.v, pkt->stack->v, stack.n * sizeof(stack.v[0]));
    }
    inner.nested = true;
    /* a drop inside (no headroom for a push) ends only the copy */
    (void)dp_actions_run(&inner, pkt, body, n, &goto_table, stats);
    *pkt = saved;
    memcpy(pkt->buf.data, bytes, pkt->buf.len);
    if (pkt->meta != NULL)
        *pkt->meta = meta;
    if (pkt->stack != NULL) {
        pkt->stack->n = stack.n;
        memcpy(pkt->stack->v, stack.v, stack.n * sizeof(stack.v[0]));
    }
    if (bytes != small)
        free(bytes);
}

/* The packet's ct_* fields back to "untracked": after ct_clear, and after
 * a ct action for the rest of the list (only a recirculation, ct's
 * table=, sees what the tracker said). */
static void
ct_clear(struct dp_pkt *pkt)
{
    if (pkt->meta == NULL)
        return;
    pkt->meta->ct_state = 0;
    pkt->meta->ct_zone = 0;
    pkt->meta->ct_mark = 0;
    pkt->meta->ct_label[0] = 0;
    pkt->meta->ct_label[1] = 0;
}

/* ---- the list (a lone OUTPUT is dp_output_one(), dp_priv.h) ---- */

enum dp_act_result
dp_actions_run(const struct dp_actions_env *env, struct dp_pkt *pkt,
               const struct flow_action *acts, unsigned n_acts,
               uint8_t *goto_table, struct dp_act_stats *stats)
{
    unsigned at = 0;

    return dp_actions_run_from(env, pkt, acts, n_acts, &at, goto_table,
                               stats);
}

enum dp_act_result
dp_actions_run_from(const struct dp_actions_env *env, struct dp_pkt *pkt,
                    const struct flow_action *acts, unsigned n_acts,
                    unsigned *at, uint8_t *goto_table,
                    struct dp_act_stats *stats)
{
    for (unsigned i = *at; i < n_acts; i++) {
        const struct flow_action *a = &acts[i];
        enum dp_act_result rc = DP_ACT_DONE;
        /* the list's final action, outside a resubmit: nothing runs
         * after it */
        bool last = i + 1 == n_acts && !env->nested
                    && !dp_actset_pending(pkt);

        switch ((enum flow_action_type)a->type) {
        case FLOW_ACT_OUTPUT:
            if (flow_port_is_reserved(a->u.port))
                dp_output_reserved(env, pkt, a, last, stats);
            else
                dp_output_one(env, pkt, a->u.port, last, stats);
            break;
        case FLOW_ACT_PUSH_VLAN:
            rc = dp_tag_push(pkt, ntohs(a->u.tpid), 0, false);
            break;
        case FLOW_ACT_MOD_VLAN_VID:
            rc = mod_tci(pkt, (uint16_t)~FLOW_VLAN_VID_MASK,
                         ntohs(a->u.vlan.vid) & FLOW_VLAN_VID_MASK,
                         a->u.vlan.push_if_untagged);
            break;
        case FLOW_ACT_MOD_VLAN_PCP:
            rc = mod_tci(pkt, 0x1fff,
                         (uint16_t)((a->u.vlan.pcp & 7) << FLOW_VLAN_PCP_SHIFT),
                         a->u.vlan.push_if_untagged);
            break;
        case FLOW_ACT_STRIP_VLAN:
            dp_tag_strip(pkt);
            break;
        case FLOW_ACT_MOD_DL_SRC:
            if (pkt->buf.len >= 12)
                memcpy(pkt->buf.data + 6, a->u.mac, 6);
            break;
        case FLOW_ACT_MOD_DL_DST:
            if (pkt->buf.len >= 6)
                memcpy(pkt->buf.data, a->u.mac, 6);
            break;
        case FLOW_ACT_MOD_NW_SRC:
            set_ipv4_addr(pkt, 12, a->u.ipv4);
            break;
        case FLOW_ACT_MOD_NW_DST:
            set_ipv4_addr(pkt, 16, a->u.ipv4);
            break;
        case FLOW_ACT_MOD_NW_TOS:
            set_tos(pkt, a->u.tos);
            break;
        case FLOW_ACT_MOD_TP_SRC:
            set_port(pkt, 0, a->u.tp_port);
            break;
        case FLOW_ACT_MOD_TP_DST:
            set_port(pkt, 2, a->u.tp_port);
            break;
        case FLOW_ACT_DEC_TTL:
            rc = dec_ttl(pkt);
            break;
        case FLOW_ACT_SET_TUNNEL:
            pkt->tun.tun_id = a->u.tun_id;
            break;
        case FLOW_ACT_SET_TUN_SRC:
            pkt->tun.tun_src = a->u.ipv4;
            pkt->tun.set |= DP_TUN_SET_SRC;
            break;
        case FLOW_ACT_SET_TUN_DST:
            pkt->tun.tun_dst = a->u.ipv4;
            pkt->tun.set |= DP_TUN_SET_DST;
            break;
        case FLOW_ACT_MOD_NW_TTL:
            set_ttl(pkt, a->u.ttl);
            break;
        case FLOW_ACT_OUTPUT_TRUNC:
            dp_output_trunc(env, pkt, a->u.trunc.port, a->u.trunc.max_len,
                            last, stats);
            break;
        case FLOW_ACT_MOD_VLAN_TCI:
            /* CFI is "tagged" in OpenFlow, never a bit to write */
            rc = mod_tci(pkt, (uint16_t)~ntohs(a->u.tci.mask),
                         ntohs(a->u.tci.value) & (uint16_t)~FLOW_VLAN_CFI,
                         false);
            break;
        case FLOW_ACT_SET_IN_PORT:
            /* outputs, IN_PORT, NORMAL and later lookups all read it */
            pkt->in_port = a->u.port;
            break;
        case FLOW_ACT_COUNT_:
            break;
        case FLOW_ACT_MOD_NW_ECN:
            set_ecn(pkt, a->u.tos);
            break;
        case FLOW_ACT_GOTO_TABLE:
            *goto_table = a->u.table;
            return DP_ACT_GOTO;
        case FLOW_ACT_LOAD:
            load(pkt, a);
            break;
        case FLOW_ACT_MOVE:
            move(pkt, a);
            break;
        case FLOW_ACT_OUTPUT_REG:
            output_reg(env, pkt, a, last, stats);
            break;
        case FLOW_ACT_RESUBMIT:
            *at = i;
            return DP_ACT_RESUBMIT;
        case FLOW_ACT_CONJUNCTION:
            /* a clause flow is never a lookup's result: nothing to run */
            break;
        case FLOW_ACT_PUSH_MPLS:
            rc = dp_mpls_push(pkt, ntohs(a->u.tpid));
            break;
        case FLOW_ACT_POP_MPLS:
            rc = dp_mpls_pop(pkt, ntohs(a->u.tpid));
            break;
        case FLOW_ACT_SET_MPLS_LABEL:
            dp_mpls_set(pkt, 0xfffff000u, a->u.mpls << 12);
            break;
        case FLOW_ACT_SET_MPLS_TC:
            dp_mpls_set(pkt, 0xe00u, a->u.mpls << 9);
            break;
        case FLOW_ACT_SET_MPLS_TTL:
            dp_mpls_set(pkt, 0xffu, a->u.mpls);
            break;
        case FLOW_ACT_DEC_MPLS_TTL:
            rc = dp_mpls_dec_ttl(pkt);
            break;
        case FLOW_ACT_CT: {
            /* its exec() body is the tracker's, not the packet's */
            unsigned n = a->u.ct.n_exec;

            if (n > n_acts - i - 1)
                n = n_acts - i - 1;
            if (env->ct != NULL)
                env->ct(env->ct_ctx, pkt, a, i + 1 + n == n_acts
                        && !env->nested && !dp_actset_pending(pkt));
            ct_clear(pkt);
            i += n;
            break;
        }
        case FLOW_ACT_CT_CLEAR:
            ct_clear(pkt);
            break;
        case FLOW_ACT_LEARN: {
            unsigned n = a->u.learn.n;

            if (n > n_acts - i - 1)
                n = n_acts - i - 1;
            dp_learn_action(env, pkt, a);
            i += n;
            break;
        }
        case FLOW_ACT_LEARN_SPEC:
            break;
        case FLOW_ACT_FIN_TIMEOUT:
            dp_learn_action(env, pkt, a);
            break;
        case FLOW_ACT_WRITE_ACTIONS: {
            /* into the set, which runs when the pipeline ends */
            unsigned n = a->u.clone.n;

            if (n > n_acts - i - 1)
                n = n_acts - i - 1;
            dp_actset_write(pkt, a + 1, n);
            i += n;
            break;
        }
        case FLOW_ACT_CLEAR_ACTIONS:
            dp_actset_clear(pkt);
            break;
        case FLOW_ACT_ENQUEUE: {
            /* one transmit queue per port: an output to the port */
            struct flow_action o = {
                .type = FLOW_ACT_OUTPUT,
                .u.port = a->u.enqueue.port,
            };

            if (flow_port_is_reserved(o.u.port))
                dp_output_reserved(env, pkt, &o, last, stats);
            else
                dp_output_one(env, pkt, o.u.port, last, stats);
            break;
        }
        case FLOW_ACT_STACK_PUSH:
            stack_push(pkt, a);
            break;
        case FLOW_ACT_STACK_POP:
            stack_pop(pkt, a);
            break;
        case FLOW_ACT_CLONE: {
            unsigned n = a->u.clone.n;

            if (n > n_acts - i - 1)
                n = n_acts - i - 1;
            run_clone(env, pkt, a + 1, n, stats);
            i += n;
            break;
        }
        }
        if (rc != DP_ACT_DONE)
            return rc;
    }
    return DP_ACT_DONE;
}
