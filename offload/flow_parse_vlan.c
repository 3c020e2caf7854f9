/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow 1.1's VLAN rewrites, as Open vSwitch spells them:
 * set_vlan_vid:VID and set_vlan_pcp:PCP set the field of the tag the
 * packet has and, unlike OpenFlow 1.0's mod_vlan_vid/mod_vlan_pcp, never
 * push one. Open vSwitch takes them in OpenFlow 1.1+ only where the flow
 * guarantees a tag (a match on one, or push_vlan before); so does snic.
 * Printed as written: Open vSwitch encodes them apart from set_field
 * (OpenFlow 1.1's own actions) and from mod_vlan_* (OpenFlow 1.0's).
 */
#include <arpa/inet.h>
#include <errno.h>

#include "flow_priv.h"

static int
set_vlan(struct fp_act_state *st, const struct fp_tok *tok, bool vid)
{
    struct fp_ctx *c = st->c;
    const char *name = vid ? "set_vlan_vid" : "set_vlan_pcp";
    struct flow_action *a;
    uint64_t v;
    int rc;

    if (tok->val == NULL)
        return fp_fail(c, -EINVAL, tok, "%s needs an argument (%s:VALUE)",
                       name, name);
    rc = fp_uint(c, tok, tok->val, tok->vlen, vid ? FLOW_VLAN_VID_MASK : 7,
                 name, vid ? "a VLAN id 0..4095" : "a VLAN priority 0..7",
                 &v);
    if (rc < 0)
        return rc;
    if (!st->tagged)
        return fp_fail(c, -EINVAL, tok, "%s needs a VLAN-tagged packet "
                       "(it sets the tag's field and never pushes one: "
                       "match dl_vlan=N or vlan_tci=0x1000/0x1000, push_vlan "
                       "first, or write mod_vlan_%s to push)", name,
                       vid ? "vid" : "pcp");
    rc = fp_act_append(st, tok, vid ? FLOW_ACT_MOD_VLAN_VID
                                    : FLOW_ACT_MOD_VLAN_PCP, &a);
    if (rc < 0)
        return rc;
    if (vid)
        a->u.vlan.vid = htons((uint16_t)v);
    else
        a->u.vlan.pcp = (uint8_t)v;
    a->pad0 = FLOW_ACT_F_SET_VLAN;
    return 0;
}

int
fp_vlan_action(struct fp_act_state *st, const struct fp_tok *tok,
               bool *handled)
{
    *handled = true;
    if (fp_key_is_ci(tok, "set_vlan_vid"))
        return set_vlan(st, tok, true);
    if (fp_key_is_ci(tok, "set_vlan_pcp"))
        return set_vlan(st, tok, false);
    *handled = false;
    return 0;
}
