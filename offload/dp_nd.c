/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 Neighbor Discovery fields as subfields in the datapath: nd_target,
 * nd_sll and nd_tll of a neighbor solicitation (ICMPv6 type 135) or
 * advertisement (136), code 0, as load, set_field, move and push read and
 * write them.
 *
 * A read is what Open vSwitch's flow extraction makes of the message:
 * the target is the 16 bytes after the 8-byte ICMPv6 header (all three
 * fields 0 when they are not all there); the options after it are walked
 * while 8 bytes remain, stopping at one of length 0 or longer than what
 * remains; an 8-byte option of type 1 (source link-layer address) or 2
 * (target link-layer address) gives nd_sll / nd_tll, whichever message it
 * is in, and a second one of a kind after a non-zero first makes the
 * message malformed: all three fields then read 0.
 *
 * A write, as Open vSwitch commits it, happens only when it changes the
 * field's value as read; then the frame's bits under the write's mask
 * become the value's (a malformed message, whose fields read 0, has its
 * frame bytes written all the same). The target is written in place; of the link-layer options only
 * the first 8-byte one of type 1 or 2 is looked at, and written only when
 * it is of the kind written (a write never adds an option). The ICMPv6
 * checksum is patched for every changed byte. A frame that is no
 * solicitation or advertisement with code 0, or is shorter than the
 * target, is left alone.
 *
 * A move from or to one of them on a packet that is not a message of its
 * kind now (the code is not 0, or an earlier action changed the type)
 * does nothing, as Open vSwitch checks a move's prerequisites on each
 * packet (dp_nd_present()).
 *
 * Lookups read them from the key (struct flow_key's nd_target and
 * nd_lla), which dp_extract() fills with dp_nd_extract(): the same walk,
 * so that a match and an action never read a message differently.
 */
#include <string.h>

#include "dp_priv.h"
#include "dp_wire.h"
#include "wide128.h"

#define ND_TYPE_SOLICIT     135u
#define ND_TYPE_ADVERT      136u
#define ND_OPT_SLL          1u
#define ND_OPT_TLL          2u
#define ND_TARGET_OFS       8u      /* after the ICMPv6 header */
#define ND_OPTS_OFS         24u     /* after the target */

/* The message's bounds [l4, end) when the frame holds a solicitation or
 * advertisement with code 0 (the 8-byte ICMPv6 header at least). */
static bool
nd_msg(const struct dp_pkt *pkt, size_t *l4, size_t *end)
{
    const struct dp_layout *lay = &pkt->layout;
    const uint8_t *h;

    if (!(lay->flags & DP_L_IPV6) || !(lay->flags & DP_L_L4)
        || lay->nw_proto != DP_IPPROTO_ICMPV6)
        return false;
    h = pkt->buf.data + lay->l4_ofs;
    if ((h[0] != ND_TYPE_SOLICIT && h[0] != ND_TYPE_ADVERT) || h[1] != 0)
        return false;
    *l4 = lay->l4_ofs;
    *end = lay->l4_end;
    return true;
}

bool
dp_nd_present(const struct dp_pkt *pkt, unsigned field)
{
    size_t l4, end;
    uint8_t type;

    if (!nd_msg(pkt, &l4, &end))
        return false;
    type = pkt->buf.data[l4];
    if (field == FLOW_FIELD_ND_SLL)
        return type == ND_TYPE_SOLICIT;
    if (field == FLOW_FIELD_ND_TLL)
        return type == ND_TYPE_ADVERT;
    return true;
}

struct nd_fields {
    uint8_t target[16];
    uint8_t sll[6];
    uint8_t tll[6];
};

static bool
mac_is_zero(const uint8_t m[6])
{
    static const uint8_t zero[6];

    return memcmp(m, zero, 6) == 0;
}

/* The fields of the ND message at [@l4, @end) of @d (all 0: too short
 * or malformed). */
static void
nd_parse(const uint8_t *d, size_t l4, size_t end, struct nd_fields *f)
{
    size_t at;

    memset(f, 0, sizeof(*f));
    if (end - l4 < ND_OPTS_OFS)
        return;
    memcpy(f->target, d + l4 + ND_TARGET_OFS, 16);
    for (at = l4 + ND_OPTS_OFS; end - at >= 8;) {
        size_t len = (size_t)d[at + 1] * 8;
        uint8_t *mac = NULL;

        if (len == 0 || len > end - at)
            return;
        if (len == 8 && d[at] == ND_OPT_SLL)
            mac = f->sll;
        else if (len == 8 && d[at] == ND_OPT_TLL)
            mac = f->tll;
        if (mac != NULL) {
            if (!mac_is_zero(mac)) {
                /* a second option of a kind: malformed */
                memset(f, 0, sizeof(*f));
                return;
            }
            memcpy(mac, d + at + 2, 6);
        }
        at += len;
    }
}

/* The fields as the key has them (all 0: not ND, too short or
 * malformed). */
static void
nd_extract(const struct dp_pkt *pkt, struct nd_fields *f)
{
    size_t l4, end;

    if (!nd_msg(pkt, &l4, &end)) {
        memset(f, 0, sizeof(*f));
        return;
    }
    nd_parse(pkt->buf.data, l4, end, f);
}

void
dp_nd_extract(const uint8_t *frame, size_t l4, size_t end,
              struct flow_key *key)
{
    struct nd_fields f;

    nd_parse(frame, l4, end, &f);
    memcpy(key->nd_target, f.target, sizeof(f.target));
    memcpy(key->nd_lla, frame[l4] == ND_TYPE_SOLICIT ? f.sll : f.tll, 6);
}

/* The first 8-byte link-layer option (type 1 or 2), as Open vSwitch's
 * writer walks to it: its remaining count drops by the length of the
 * option it moves to, not the one it leaves (kept, so that the same
 * option is found); 0 when there is none. */
static size_t
nd_first_lla(const struct dp_pkt *pkt, size_t l4, size_t end)
{
    const uint8_t *d = pkt->buf.data;
    size_t at = l4 + ND_OPTS_OFS;
    long remain = (long)(end - at);

    while (remain >= 8 && at + 8 <= pkt->buf.len && d[at + 1] != 0) {
        if (d[at + 1] == 1 && (d[at] == ND_OPT_SLL || d[at] == ND_OPT_TLL))
            return at;
        at += (size_t)d[at + 1] * 8;
        if (at + 2 > pkt->buf.len)
            break;
        remain -= (long)d[at + 1] * 8;
    }
    return 0;
}

/* @n bytes at @p (an even offset from the ICMPv6 header) become @p's
 * bits outside @chg and @new's under it; the checksum follows. */
static void
nd_patch(uint8_t *sum, uint8_t *p, const uint8_t *new, const uint8_t *chg,
         unsigned n)
{
    for (unsigned i = 0; i < n; i += 2) {
        uint8_t w[2];

        w[0] = (uint8_t)((p[i] & ~chg[i]) | (new[i] & chg[i]));
        w[1] = (uint8_t)((p[i + 1] & ~chg[i + 1]) | (new[i + 1] & chg[i + 1]));
        if (w[0] == p[i] && w[1] == p[i + 1])
            continue;
        dp_rw_csum16(sum, dp_rd16(p + i), dp_rd16(w));
        p[i] = w[0];
        p[i + 1] = w[1];
    }
}

void
dp_nd_get(const struct dp_pkt *pkt, unsigned field, uint64_t v[2])
{
    struct nd_fields f;

    nd_extract(pkt, &f);
    if (field == FLOW_FIELD_ND_TARGET)
        wide_from_bytes(f.target, 16, v);
    else
        wide_from_bytes(field == FLOW_FIELD_ND_SLL ? f.sll : f.tll, 6, v);
}

void
dp_nd_set(struct dp_pkt *pkt, unsigned field, const uint64_t v[2],
          const uint64_t mask[2])
{
    uint8_t *d = pkt->buf.data;
    unsigned n = field == FLOW_FIELD_ND_TARGET ? 16 : 6;
    uint8_t newb[16], chg[16];
    uint64_t old[2], nv[2];
    size_t l4, end, at;

    if (!nd_msg(pkt, &l4, &end) || end - l4 < ND_OPTS_OFS)
        return;
    dp_nd_get(pkt, field, old);
    nv[0] = (old[0] & ~mask[0]) | (v[0] & mask[0]);
    nv[1] = (old[1] & ~mask[1]) | (v[1] & mask[1]);
    if (nv[0] == old[0] && nv[1] == old[1])
        return;
    wide_to_bytes(nv, newb, n);
    wide_to_bytes(mask, chg, n);
    if (field == FLOW_FIELD_ND_TARGET) {
        nd_patch(d + l4 + 2, d + l4 + ND_TARGET_OFS, newb, chg, 16);
        return;
    }
    at = nd_first_lla(pkt, l4, end);
    if (at == 0 || d[at] != (field == FLOW_FIELD_ND_SLL ? ND_OPT_SLL
                                                         : ND_OPT_TLL))
        return;
    nd_patch(d + l4 + 2, d + at + 2, newb, chg, 6);
}
