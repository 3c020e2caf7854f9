/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open vSwitch's packet-type-aware actions: decap, decap(),
 * decap(packet_type(ns=N,type=T)), encap(ethernet), encap(mpls) and
 * encap(mpls_mc).
 *
 * They change what the rest of the list may assume, as Open vSwitch's
 * action check tracks it: after decap of an Ethernet packet the packet has
 * no Ethernet header (its EtherType and the protocols the match promised
 * stay known); after decap of a packet that had none already (a match on
 * packet_type=(1,T)), nothing is known of it; encap(ethernet) gives it an
 * Ethernet header back (and under a packet_type=(1,T) match forgets T, as
 * Open vSwitch's check does). Actions on the Ethernet header or its tags are
 * refused where the packet has none (fp_act_check_eth()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "flow_priv.h"

/* "KEY=N" at s[0..len): N, or -1 when the text is not KEY=... */
static int
kv(struct fp_ctx *c, const struct fp_tok *tok, const char *s, size_t len,
   const char *key, uint64_t *v)
{
    size_t klen = strlen(key);

    if (len <= klen + 1 || memcmp(s, key, klen) != 0 || s[klen] != '=')
        return -1;
    return fp_uint(c, tok, s + klen + 1, len - klen - 1, 0xffff, key,
                   "0..65535", v);
}

/* decap's argument: empty, or packet_type(ns=N,type=T) (what an MPLS
 * decap leaves: another MPLS packet, or T's header after the stack). */
static int
decap_arg(struct fp_ctx *c, const struct fp_tok *tok, uint32_t *pt,
          bool *given)
{
    static const char pre[] = "packet_type(";
    const char *s = tok->val, *comma;
    size_t len = tok->vlen, plen = sizeof(pre) - 1;
    uint64_t ns, type;
    int rc;

    *given = false;
    if (s == NULL || len == 0)
        return 0;
    if (!tok->paren || len < plen + 2 || memcmp(s, pre, plen) != 0
        || s[len - 1] != ')'
        || (comma = memchr(s + plen, ',', len - plen - 1)) == NULL)
        return fp_fail(c, -EINVAL, tok, "decap takes nothing or "
                       "packet_type(ns=N,type=T), e.g. decap() or "
                       "decap(packet_type(ns=1,type=0x800))");
    rc = kv(c, tok, s + plen, (size_t)(comma - s) - plen, "ns", &ns);
    if (rc == 0)
        rc = kv(c, tok, comma + 1, (size_t)(s + len - 1 - comma - 1),
                "type", &type);
    if (rc == -1)
        return fp_fail(c, -EINVAL, tok, "decap: packet_type needs "
                       "ns=N,type=T in that order");
    if (rc < 0)
        return rc;
    *pt = FLOW_PT(ns, type);
    *given = true;
    return 0;
}

static int
decap(struct fp_act_state *st, const struct fp_tok *tok)
{
    struct flow_action *a;
    bool given;
    uint32_t pt = 0;
    int rc;

    if ((rc = decap_arg(st->c, tok, &pt, &given)) < 0)
        return rc;
    if ((rc = fp_act_append(st, tok, FLOW_ACT_DECAP, &a)) < 0)
        return rc;
    a->u.ptype = pt;
    a->pad0 = given;
    if (!st->no_eth) {
        st->no_eth = true;
        st->tagged = false;
        return 0;
    }
    /* what the inner header is, the packet alone says (Open vSwitch's
     * check takes no hint from the packet_type argument either) */
    st->l3_changed = true;
    st->dl_type = 0xffff;
    return 0;
}

static int
encap(struct fp_act_state *st, const struct fp_tok *tok)
{
    static const char *const later[] = { "nsh" };
    struct fp_ctx *c = st->c;
    const char *s = tok->val;
    size_t len = tok->val != NULL ? tok->vlen : 0;
    struct flow_action *a;
    int rc;

    if (!tok->paren || len == 0)
        return fp_fail(c, -EINVAL, tok, "encap needs the header to put on, "
                       "e.g. encap(ethernet)");
    if (len == 8 && memcmp(s, "ethernet", 8) == 0) {
        if ((rc = fp_act_append(st, tok, FLOW_ACT_ENCAP, &a)) < 0)
            return rc;
        a->u.ptype = FLOW_PT_ETH;
        /* Open vSwitch's check knows the EtherType of a packet_type=(1,T)
         * match only while the packet has that type: after this encap
         * nothing above Ethernet is promised */
        if (st->no_eth && c->fm.flow.match.mask.packet_type != 0) {
            st->l3_changed = true;
            st->dl_type = 0xffff;
        }
        st->no_eth = false;
        return 0;
    }
    if ((len == 4 && memcmp(s, "mpls", 4) == 0)
        || (len == 7 && memcmp(s, "mpls_mc", 7) == 0)) {
        uint16_t type = len == 4 ? 0x8847 : 0x8848;

        if ((rc = fp_act_append(st, tok, FLOW_ACT_ENCAP, &a)) < 0)
            return rc;
        a->u.ptype = FLOW_PT(FLOW_PT_NS_ETHERTYPE, type);
        /* an MPLS packet without Ethernet from here on: the MPLS
         * rewrites may follow, nothing above the entry is promised */
        st->no_eth = true;
        st->tagged = false;
        st->l3_changed = true;
        st->dl_type = type;
        return 0;
    }
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
        size_t n = strlen(later[i]);

        if (len >= n && memcmp(s, later[i], n) == 0
            && (len == n || s[n] == '('))
            return fp_fail(c, -ENOTSUP, tok, "encap(%s) is not supported "
                           "(snic puts on an Ethernet or MPLS header only: "
                           "encap(ethernet), encap(mpls), encap(mpls_mc))",
                           later[i]);
    }
    return fp_fail(c, -EINVAL, tok, "encap: unknown header '%.*s' "
                   "(expected ethernet, mpls, mpls_mc or nsh)",
                   (int)(len > 24 ? 24 : len), s);
}

int
fp_encap_action(struct fp_act_state *st, const struct fp_tok *tok,
                bool *handled)
{
    *handled = true;
    if (fp_key_is_ci(tok, "decap"))
        return decap(st, tok);
    if (fp_key_is_ci(tok, "encap"))
        return encap(st, tok);
    *handled = false;
    return 0;
}

/* Does @a work on the Ethernet header or its tags? */
static bool
needs_eth(const struct flow_action *a)
{
    switch (a->type) {
    case FLOW_ACT_PUSH_VLAN:
    case FLOW_ACT_MOD_VLAN_VID:
    case FLOW_ACT_MOD_VLAN_PCP:
    case FLOW_ACT_STRIP_VLAN:
    case FLOW_ACT_MOD_DL_SRC:
    case FLOW_ACT_MOD_DL_DST:
    case FLOW_ACT_MOD_VLAN_TCI:
    case FLOW_ACT_PUSH_MPLS:
    case FLOW_ACT_POP_MPLS:
        return true;
    case FLOW_ACT_LOAD:
    case FLOW_ACT_MOVE:
        return a->dst.field == FLOW_FIELD_ETH_SRC
               || a->dst.field == FLOW_FIELD_ETH_DST
               || a->dst.field == FLOW_FIELD_VLAN_TCI
               || a->dst.field == FLOW_FIELD_VLAN_VID
               || a->dst.field == FLOW_FIELD_VLAN_PCP;
    default:
        return false;
    }
}

int
fp_act_check_eth(struct fp_act_state *st, const struct fp_tok *tok,
                 unsigned first)
{
    const struct flow *f = &st->c->fm.flow;

    if (!st->no_eth)
        return 0;
    for (unsigned i = first; i < f->n_actions; i++)
        if (needs_eth(&f->actions[i]))
            return fp_fail(st->c, -EINVAL, tok, "'%.*s' needs an Ethernet "
                           "header, which the packet has not here (after "
                           "decap, or with packet_type=(1,T): put "
                           "encap(ethernet) before it)",
                           (int)(tok->klen > 24 ? 24 : tok->klen), tok->key);
    return 0;
}
