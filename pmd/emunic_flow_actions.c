/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow actions -> struct fw_action list.
 *
 * rte_flow lists actions in the order they apply to the packet, and so does
 * the device (an OpenFlow-style action list), so the list is copied in
 * order, with three exceptions that keep rte_flow's meaning: COUNT and MARK
 * are position-independent in rte_flow but the device counts/marks where
 * they stand, so COUNT always goes first (a rule counts every packet it
 * matches); OF_SET_VLAN_VID/PCP right after OF_PUSH_VLAN fold into the
 * pushed tag. RSS over one queue is that queue; over several it becomes
 * the card's FW_ACT_RSS (ABI 1.5) naming a context create makes first,
 * or, on a card without RSS, is refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "emunic.h"

int
emunic_action_push(struct emunic_walk *w, const struct rte_flow_action *src,
                   const struct fw_action *fa, struct rte_flow_error *error)
{
    const struct fw_caps *caps = w->ctx->caps;
    struct fw_rule_add_in *r = &w->x->rule;
    unsigned max = caps->max_actions;

    if (max > FW_RULE_MAX_ACTIONS)
        max = FW_RULE_MAX_ACTIONS;
    if (fa->type >= 64 || !(caps->actions & FW_ACTION_BIT(fa->type)))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, src,
                               "the device (profile '%s') does not support "
                               "action %s", emunic_profile(caps),
                               fw_action_name(fa->type));
    if (w->has_drop && fa->type != FW_ACT_COUNT)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, src,
                               "DROP cannot be combined with other actions "
                               "than COUNT: it would undo them");
    if (r->n_actions >= max)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, src,
                               "too many actions: the device (profile '%s') "
                               "runs at most %u per rule", emunic_profile(caps),
                               max);
    if (fa->type == FW_ACT_COUNT && r->n_actions > 0) {
        /* counting is position-independent in rte_flow: put it first */
        memmove(&r->actions[1], &r->actions[0],
                r->n_actions * sizeof(r->actions[0]));
        memmove(&w->x->act_src[1], &w->x->act_src[0],
                r->n_actions * sizeof(w->x->act_src[0]));
        r->actions[0] = *fa;
        w->x->act_src[0] = src;
        if (w->push_vlan_idx >= 0)
            w->push_vlan_idx++;
        if (w->x->rss_idx >= 0)
            w->x->rss_idx++;
    } else {
        r->actions[r->n_actions] = *fa;
        w->x->act_src[r->n_actions] = src;
    }
    r->n_actions++;
    return 0;
}

static int
fate(struct emunic_walk *w, const struct rte_flow_action *a,
     const struct fw_action *fa, struct rte_flow_error *error)
{
    if (w->has_drop)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
                               "DROP must be the rule's only fate (with an "
                               "optional COUNT)");
    w->n_fates++;
    return emunic_action_push(w, a, fa, error);
}

static int
act_drop(struct emunic_walk *w, const struct rte_flow_action *a,
         struct rte_flow_error *error)
{
    struct fw_action fa = { .type = FW_ACT_DROP };
    const struct fw_rule_add_in *r = &w->x->rule;
    int ret;

    for (unsigned i = 0; i < r->n_actions; i++)
        if (r->actions[i].type != FW_ACT_COUNT)
            return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
                                   a, "DROP cannot be combined with other "
                                   "actions than COUNT: it would undo them");
    w->n_fates++;
    ret = emunic_action_push(w, a, &fa, error);
    w->has_drop = true;
    return ret;
}

static int
resolve(struct emunic_walk *w, const struct rte_flow_action *a,
        const char *name, uint32_t port_id, uint16_t *vport,
        struct rte_flow_error *error)
{
    int rc = w->ctx->resolve != NULL ?
             w->ctx->resolve(w->ctx->opaque, port_id, vport) : -ENODEV;

    if (rc == -ENXIO)
        return emunic_flow_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "%s: port %u is gone (its VF left the "
                               "card): a VF that came back has a new "
                               "representor port; name that one", name,
                               port_id);
    if (rc < 0)
        return emunic_flow_err(error, ENODEV, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "%s: port %u is not a port of this emunic "
                               "switch", name, port_id);
    return 0;
}

static int
act_port(struct emunic_walk *w, const struct rte_flow_action *a,
         struct rte_flow_error *error)
{
    struct fw_action fa = { .type = FW_ACT_FWD_VPORT };
    const char *name;
    uint32_t port_id;
    uint16_t vport;
    int ret;

    if (a->conf == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "the action needs a port");
    if (a->type == RTE_FLOW_ACTION_TYPE_PORT_ID) {
        const struct rte_flow_action_port_id *c = a->conf;

        name = "PORT_ID";
        if (c->original)
            return emunic_flow_err(error, ENOTSUP,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "PORT_ID: 'original' is not supported; "
                                   "name the port by its id");
        port_id = c->id;
    } else {
        const struct rte_flow_action_ethdev *c = a->conf;

        name = a->type == RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT ?
               "REPRESENTED_PORT" : "PORT_REPRESENTOR";
        port_id = c->port_id;
    }
    ret = resolve(w, a, name, port_id, &vport, error);
    if (ret < 0)
        return ret;
    if (a->type == RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR) {
        /* to the host through that ethdev port (the representor) */
        fa.type = FW_ACT_FWD_REP;
        fa.u.fwd.queue = 0;
    }
    fa.u.fwd.vport = rte_cpu_to_le_16(vport);
    return fate(w, a, &fa, error);
}

const uint8_t emunic_rss_default_key[FW_RSS_KEY_SIZE] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* Each card type and the ethdev bits it honours. IPV6_EX and the _EX
 * variants hash the base header's addresses, as mainstream cards do: the
 * card does not look into extension headers. */
static const struct {
    uint32_t fw;
    uint64_t eth;
} rss_map[] = {
    { FW_RSS_IPV4, RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 |
                   RTE_ETH_RSS_NONFRAG_IPV4_OTHER },
    { FW_RSS_IPV4_TCP, RTE_ETH_RSS_NONFRAG_IPV4_TCP },
    { FW_RSS_IPV4_UDP, RTE_ETH_RSS_NONFRAG_IPV4_UDP },
    { FW_RSS_IPV6, RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 |
                   RTE_ETH_RSS_NONFRAG_IPV6_OTHER | RTE_ETH_RSS_IPV6_EX },
    { FW_RSS_IPV6_TCP, RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV6_TCP_EX },
    { FW_RSS_IPV6_UDP, RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IPV6_UDP_EX },
};

uint64_t
emunic_rss_offloads(uint32_t fw_types)
{
    uint64_t hf = 0;

    for (size_t i = 0; i < RTE_DIM(rss_map); i++)
        if (fw_types & rss_map[i].fw)
            hf |= rss_map[i].eth;
    return hf;
}

int
emunic_rss_fw_types(uint64_t rss_hf, uint32_t card_types, uint32_t *fw_types)
{
    uint32_t t = 0;

    if (rss_hf == 0)
        rss_hf = RTE_ETH_RSS_IP;
    if (rss_hf & ~emunic_rss_offloads(card_types))
        return -ENOTSUP;
    for (size_t i = 0; i < RTE_DIM(rss_map); i++)
        if (rss_hf & rss_map[i].eth)
            t |= rss_map[i].fw;
    *fw_types = t;
    return 0;
}

/* RSS over several queues: the card hashes (FW_ACT_RSS). */
static int
act_rss(struct emunic_walk *w, const struct rte_flow_action *a,
        const struct rte_flow_action_rss *rss, struct rte_flow_error *error)
{
    const struct fw_caps *caps = w->ctx->caps;
    struct fw_rss_ctx_create_in *in = &w->x->rss;
    struct fw_action fa = { .type = FW_ACT_RSS };
    uint32_t types;

    if (!(caps->actions & FW_ACTION_BIT(FW_ACT_RSS)))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
                               "RSS over %u queues: the device (profile "
                               "'%s') does not hash; give one queue",
                               rss->queue_num, emunic_profile(caps));
    if (rss->func != RTE_ETH_HASH_FUNCTION_DEFAULT &&
        rss->func != RTE_ETH_HASH_FUNCTION_TOEPLITZ)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "RSS: hash function %d: the card computes "
                               "Toeplitz only", (int)rss->func);
    if (rss->level > 1)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "RSS: level %u: the card hashes the outer "
                               "headers only (level 0 or 1)", rss->level);
    if (emunic_rss_fw_types(rss->types, caps->rss_hash_types, &types) < 0)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "RSS: hash types 0x%" PRIx64 " are not "
                               "computed by the card (it hashes 0x%" PRIx64
                               ": IPv4/IPv6 addresses, TCP/UDP ports)",
                               rss->types & ~emunic_rss_offloads(
                                   caps->rss_hash_types),
                               emunic_rss_offloads(caps->rss_hash_types));
    if (rss->key_len != 0 &&
        (rss->key_len != FW_RSS_KEY_SIZE || rss->key == NULL))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "RSS: key of %u bytes: the card takes a "
                               "%u-byte key (or none for its default)",
                               rss->key_len, FW_RSS_KEY_SIZE);
    if (rss->queue_num > FW_RSS_QUEUES_MAX)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "RSS: %u queues: the card spreads over at "
                               "most %u", rss->queue_num, FW_RSS_QUEUES_MAX);
    if (w->x->rss_idx >= 0)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
                               "only one RSS action per rule");
    memset(in, 0, sizeof(*in));
    in->vport = rte_cpu_to_le_16(w->ctx->port_vport);
    in->hash_types = rte_cpu_to_le_32(types);
    memcpy(in->key, rss->key_len ? rss->key : emunic_rss_default_key,
           FW_RSS_KEY_SIZE);
    in->n_queues = rte_cpu_to_le_16((uint16_t)rss->queue_num);
    for (uint32_t i = 0; i < rss->queue_num; i++) {
        uint16_t q = rss->queue[i];

        if (q >= caps->max_queues_per_port ||
            (w->ctx->nb_rx_queues && q >= w->ctx->nb_rx_queues))
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "RSS: queue %u does not exist: the port "
                                   "has %u rx queues", q,
                                   w->ctx->nb_rx_queues ?
                                   w->ctx->nb_rx_queues :
                                   caps->max_queues_per_port);
        in->queues[i] = rte_cpu_to_le_16(q);
    }
    /* the context id is the card's to give: create fills it in */
    w->x->rss_idx = w->x->rule.n_actions;
    return fate(w, a, &fa, error);
}

static int
act_queue(struct emunic_walk *w, const struct rte_flow_action *a,
          struct rte_flow_error *error)
{
    struct fw_action fa = { .type = FW_ACT_FWD_REP };
    const struct fw_caps *caps = w->ctx->caps;
    uint16_t q = 0;

    if (a->conf == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "the action needs a queue");
    if (a->type == RTE_FLOW_ACTION_TYPE_QUEUE) {
        q = ((const struct rte_flow_action_queue *)a->conf)->index;
    } else {
        const struct rte_flow_action_rss *rss = a->conf;

        if (rss->queue_num > 0 && rss->queue == NULL)
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "RSS: queue_num without a queue list");
        if (rss->queue_num > 1)
            return act_rss(w, a, rss, error);
        if (rss->queue_num > 0)
            q = rss->queue[0];
    }
    if (q >= caps->max_queues_per_port ||
        (w->ctx->nb_rx_queues && q >= w->ctx->nb_rx_queues))
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "queue %u does not exist: the port has %u "
                               "rx queues", q, w->ctx->nb_rx_queues ?
                               w->ctx->nb_rx_queues :
                               caps->max_queues_per_port);
    fa.u.fwd.vport = rte_cpu_to_le_16(w->ctx->port_vport);
    fa.u.fwd.queue = rte_cpu_to_le_16(q);
    return fate(w, a, &fa, error);
}

static int
act_jump(struct emunic_walk *w, const struct rte_flow_action *a,
         struct rte_flow_error *error)
{
    const struct rte_flow_action_jump *c = a->conf;
    struct fw_action fa = { .type = FW_ACT_JUMP };

    if (c == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "JUMP needs a group");
    if (c->group <= w->attr->group)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "JUMP to group %u from group %u: jumps go "
                               "only to a higher group (device tables are "
                               "levelled so steering cannot loop)", c->group,
                               w->attr->group);
    if (c->group > w->ctx->caps->max_group)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "JUMP to group %u: the device's highest "
                               "group is %u", c->group,
                               w->ctx->caps->max_group);
    if (w->jump_src != NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
                               "only one JUMP per rule");
    if (w->has_drop)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
                               "DROP must be the rule's only fate (with an "
                               "optional COUNT)");
    if (!(w->ctx->caps->actions & FW_ACTION_BIT(FW_ACT_JUMP)))
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
                               "the device (profile '%s') does not support "
                               "action %s", emunic_profile(w->ctx->caps),
                               fw_action_name(FW_ACT_JUMP));
    fa.u.jump.group = rte_cpu_to_le_32(c->group);
    w->x->jump_group[w->x->n_jumps++] = c->group;
    /* the device leaves the rule at a JUMP, rte_flow applies the whole
     * list first: emunic_actions_finish() appends it last */
    w->jump_src = a;
    w->jump = fa;
    w->n_fates++;
    return 0;
}

int
emunic_actions_finish(struct emunic_walk *w, struct rte_flow_error *error)
{
    if (w->jump_src == NULL)
        return 0;
    return emunic_action_push(w, w->jump_src, &w->jump, error);
}

static int
act_count(struct emunic_walk *w, const struct rte_flow_action *a,
          struct rte_flow_error *error)
{
    struct fw_action fa = { .type = FW_ACT_COUNT };
    int ret;

    if (w->x->count_idx >= 0)
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
                               "only one COUNT per rule");
    /* the counter id is allocated by create, after translation */
    ret = emunic_action_push(w, a, &fa, error);
    if (ret == 0)
        w->x->count_idx = 0;
    return ret;
}

static int
act_mark(struct emunic_walk *w, const struct rte_flow_action *a,
         struct rte_flow_error *error)
{
    const struct rte_flow_action_mark *c = a->conf;
    struct fw_action fa = { .type = FW_ACT_MARK };

    if (c == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "MARK needs an id");
    fa.u.mark.id = rte_cpu_to_le_32(c->id);
    return emunic_action_push(w, a, &fa, error);
}

static int
act_vlan(struct emunic_walk *w, const struct rte_flow_action *a,
         struct rte_flow_error *error)
{
    struct fw_rule_add_in *r = &w->x->rule;
    struct fw_action fa = { 0 };
    int ret;

    if (a->type != RTE_FLOW_ACTION_TYPE_OF_POP_VLAN && a->conf == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "the VLAN action needs its configuration");
    switch (a->type) {
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN: {
        const struct rte_flow_action_of_push_vlan *c = a->conf;
        uint16_t tpid = rte_be_to_cpu_16(c->ethertype);

        if (tpid != 0x8100 && tpid != 0x88a8)
            return emunic_flow_err(error, ENOTSUP,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "OF_PUSH_VLAN: EtherType 0x%04x is not a "
                                   "VLAN TPID (0x8100 or 0x88a8)", tpid);
        fa.type = FW_ACT_PUSH_VLAN;
        fa.u.push_vlan.tpid = c->ethertype;
        ret = emunic_action_push(w, a, &fa, error);
        if (ret == 0)
            w->push_vlan_idx = r->n_actions - 1;
        return ret;
    }
    case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN:
        fa.type = FW_ACT_POP_VLAN;
        break;
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID: {
        const struct rte_flow_action_of_set_vlan_vid *c = a->conf;
        uint16_t vid = rte_be_to_cpu_16(c->vlan_vid);

        if (vid > 0x0fff)
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "OF_SET_VLAN_VID: %u is not a 12-bit VLAN "
                                   "id", vid);
        if (w->push_vlan_idx >= 0) {
            uint16_t *tci = &r->actions[w->push_vlan_idx].u.push_vlan.tci;

            *tci = rte_cpu_to_be_16((rte_be_to_cpu_16(*tci) & 0xf000) | vid);
            return 0;
        }
        fa.type = FW_ACT_SET_VLAN_VID;
        fa.u.set_vid.vid = c->vlan_vid;
        break;
    }
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP: {
        const struct rte_flow_action_of_set_vlan_pcp *c = a->conf;

        if (c->vlan_pcp > 7)
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "OF_SET_VLAN_PCP: %u is not a 3-bit "
                                   "priority", c->vlan_pcp);
        if (w->push_vlan_idx >= 0) {
            uint16_t *tci = &r->actions[w->push_vlan_idx].u.push_vlan.tci;

            *tci = rte_cpu_to_be_16((rte_be_to_cpu_16(*tci) & 0x1fff) |
                                    (uint16_t)(c->vlan_pcp << 13));
            return 0;
        }
        fa.type = FW_ACT_SET_VLAN_PCP;
        fa.u.set_pcp.pcp = c->vlan_pcp;
        break;
    }
    default:
        break;
    }
    return emunic_action_push(w, a, &fa, error);
}

/* VXLAN_ENCAP's definition: ETH / IPV4 / UDP / VXLAN / END. */
static int
act_vxlan_encap(struct emunic_walk *w, const struct rte_flow_action *a,
                struct rte_flow_error *error)
{
    static const enum rte_flow_item_type want[] = {
        RTE_FLOW_ITEM_TYPE_ETH, RTE_FLOW_ITEM_TYPE_IPV4,
        RTE_FLOW_ITEM_TYPE_UDP, RTE_FLOW_ITEM_TYPE_VXLAN,
    };
    static const char *const want_name[] = { "ETH", "IPV4", "UDP", "VXLAN" };
    const struct rte_flow_action_vxlan_encap *c = a->conf;
    struct fw_action fa = { .type = FW_ACT_VXLAN_ENCAP };
    struct fw_vxlan_encap *e = &fa.u.vxlan_encap;
    const struct rte_flow_item *it;
    unsigned n = 0;

    if (c == NULL || c->definition == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "VXLAN_ENCAP needs a definition (ETH / "
                               "IPV4 / UDP / VXLAN)");
    e->udp_dst = RTE_BE16(4789);
    e->ttl = 64;
    for (it = c->definition; it->type != RTE_FLOW_ITEM_TYPE_END; it++) {
        if (it->type == RTE_FLOW_ITEM_TYPE_VOID)
            continue;
        if (n >= RTE_DIM(want) || it->type != want[n])
            return emunic_flow_err(error, ENOTSUP,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "VXLAN_ENCAP: definition item %u must be "
                                   "%s; the device encapsulates in ETH / "
                                   "IPV4 / UDP / VXLAN only (no VLAN, no "
                                   "IPv6 outer header)", n,
                                   n < RTE_DIM(want) ? want_name[n] : "END");
        if (it->spec == NULL && it->type != RTE_FLOW_ITEM_TYPE_UDP)
            return emunic_flow_err(error, EINVAL,
                                   RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
                                   "VXLAN_ENCAP: the %s definition item needs "
                                   "a spec with the header to push",
                                   want_name[n]);
        switch (it->type) {
        case RTE_FLOW_ITEM_TYPE_ETH: {
            const struct rte_flow_item_eth *s = it->spec;

            memcpy(e->eth_dst, s->dst.addr_bytes, 6);
            memcpy(e->eth_src, s->src.addr_bytes, 6);
            break;
        }
        case RTE_FLOW_ITEM_TYPE_IPV4: {
            const struct rte_flow_item_ipv4 *s = it->spec;

            e->ipv4_src = s->hdr.src_addr;
            e->ipv4_dst = s->hdr.dst_addr;
            e->tos = s->hdr.type_of_service;
            if (s->hdr.time_to_live)
                e->ttl = s->hdr.time_to_live;
            break;
        }
        case RTE_FLOW_ITEM_TYPE_UDP:
            if (it->spec != NULL) {
                const struct rte_flow_item_udp *s = it->spec;

                e->udp_src = s->hdr.src_port;
                if (s->hdr.dst_port)
                    e->udp_dst = s->hdr.dst_port;
            }
            break;
        default: {
            const struct rte_flow_item_vxlan *s = it->spec;

            e->vni = rte_cpu_to_le_32(((uint32_t)s->vni[0] << 16) |
                                      ((uint32_t)s->vni[1] << 8) | s->vni[2]);
            break;
        }
        }
        n++;
    }
    if (n != RTE_DIM(want))
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "VXLAN_ENCAP: the definition ends after %u "
                               "items; it needs ETH / IPV4 / UDP / VXLAN", n);
    w->push_vlan_idx = -1;
    return emunic_action_push(w, a, &fa, error);
}

static int
act_rewrite(struct emunic_walk *w, const struct rte_flow_action *a,
            struct rte_flow_error *error)
{
    struct fw_action fa = { 0 };

    if (a->type != RTE_FLOW_ACTION_TYPE_DEC_TTL &&
        a->type != RTE_FLOW_ACTION_TYPE_VXLAN_DECAP && a->conf == NULL)
        return emunic_flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
                               a, "the action needs its configuration");
    switch (a->type) {
    case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_MAC_DST:
        fa.type = a->type == RTE_FLOW_ACTION_TYPE_SET_MAC_SRC ?
                  FW_ACT_SET_MAC_SRC : FW_ACT_SET_MAC_DST;
        memcpy(fa.u.set_mac.mac,
               ((const struct rte_flow_action_set_mac *)a->conf)->mac_addr, 6);
        break;
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST:
        fa.type = a->type == RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC ?
                  FW_ACT_SET_IPV4_SRC : FW_ACT_SET_IPV4_DST;
        fa.u.set_ipv4.addr =
            ((const struct rte_flow_action_set_ipv4 *)a->conf)->ipv4_addr;
        break;
    case RTE_FLOW_ACTION_TYPE_SET_TP_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_TP_DST:
        fa.type = a->type == RTE_FLOW_ACTION_TYPE_SET_TP_SRC ?
                  FW_ACT_SET_L4_SRC : FW_ACT_SET_L4_DST;
        fa.u.set_l4.port =
            ((const struct rte_flow_action_set_tp *)a->conf)->port;
        break;
    case RTE_FLOW_ACTION_TYPE_DEC_TTL:
        fa.type = FW_ACT_DEC_TTL;
        break;
    default:
        fa.type = FW_ACT_VXLAN_DECAP;
        break;
    }
    /* a rewrite after a push ends the folding window */
    w->push_vlan_idx = -1;
    return emunic_action_push(w, a, &fa, error);
}

int
emunic_action_convert(struct emunic_walk *w, const struct rte_flow_action *a,
                      struct rte_flow_error *error)
{
    /* only SET_VLAN_VID/PCP right after a push fold into it; anything in
     * between (a forward emits the packet) ends the window */
    if (a->type != RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID &&
        a->type != RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP &&
        a->type != RTE_FLOW_ACTION_TYPE_VOID &&
        a->type != RTE_FLOW_ACTION_TYPE_COUNT)
        w->push_vlan_idx = -1;
    switch (a->type) {
    case RTE_FLOW_ACTION_TYPE_VOID:
        return 0;
    case RTE_FLOW_ACTION_TYPE_DROP:
        return act_drop(w, a, error);
    case RTE_FLOW_ACTION_TYPE_COUNT:
        return act_count(w, a, error);
    case RTE_FLOW_ACTION_TYPE_PORT_ID:
    case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
    case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
        return act_port(w, a, error);
    case RTE_FLOW_ACTION_TYPE_QUEUE:
    case RTE_FLOW_ACTION_TYPE_RSS:
        return act_queue(w, a, error);
    case RTE_FLOW_ACTION_TYPE_JUMP:
        return act_jump(w, a, error);
    case RTE_FLOW_ACTION_TYPE_MARK:
        return act_mark(w, a, error);
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN:
    case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN:
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID:
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP:
        return act_vlan(w, a, error);
    case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP:
        return act_vxlan_encap(w, a, error);
    case RTE_FLOW_ACTION_TYPE_VXLAN_DECAP:
    case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_MAC_DST:
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST:
    case RTE_FLOW_ACTION_TYPE_SET_TP_SRC:
    case RTE_FLOW_ACTION_TYPE_SET_TP_DST:
    case RTE_FLOW_ACTION_TYPE_DEC_TTL:
        return act_rewrite(w, a, error);
    case RTE_FLOW_ACTION_TYPE_SET_TAG:
    case RTE_FLOW_ACTION_TYPE_SET_META: {
        struct fw_action fa;
        int ret = emunic_set_reg_build(w->ctx->caps, a, &fa, error);

        return ret < 0 ? ret : emunic_action_push(w, a, &fa, error);
    }
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_MPLS:
    case RTE_FLOW_ACTION_TYPE_OF_POP_MPLS: {
        struct fw_action fa;
        int ret = emunic_mpls_action_build(a, &fa, error);

        return ret < 0 ? ret : emunic_action_push(w, a, &fa, error);
    }
    case RTE_FLOW_ACTION_TYPE_MODIFY_FIELD: {
        struct fw_action fa;
        int ret = emunic_modify_action_build(a, &fa, error);

        return ret < 0 ? ret : emunic_action_push(w, a, &fa, error);
    }
    default:
        return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
                               "action type %d is not supported by "
                               "net_emunic (see docs/pmd.md for the list)",
                               (int)a->type);
    }
}

/* The device action an rte_flow action becomes whatever its conf (0: it
 * depends on the conf, e.g. RSS over one queue or several, or a VLAN field
 * folded into a push), or -1 for an action the driver does not know. */
static int
action_fw_type(enum rte_flow_action_type type)
{
    switch (type) {
    case RTE_FLOW_ACTION_TYPE_VOID:
    case RTE_FLOW_ACTION_TYPE_RSS:
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID:
    case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP:
        return 0;
    case RTE_FLOW_ACTION_TYPE_DROP: return FW_ACT_DROP;
    case RTE_FLOW_ACTION_TYPE_COUNT: return FW_ACT_COUNT;
    case RTE_FLOW_ACTION_TYPE_PORT_ID:
    case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT: return FW_ACT_FWD_VPORT;
    case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
    case RTE_FLOW_ACTION_TYPE_QUEUE: return FW_ACT_FWD_REP;
    case RTE_FLOW_ACTION_TYPE_JUMP: return FW_ACT_JUMP;
    case RTE_FLOW_ACTION_TYPE_MARK: return FW_ACT_MARK;
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN: return FW_ACT_PUSH_VLAN;
    case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN: return FW_ACT_POP_VLAN;
    case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP: return FW_ACT_VXLAN_ENCAP;
    case RTE_FLOW_ACTION_TYPE_VXLAN_DECAP: return FW_ACT_VXLAN_DECAP;
    case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC: return FW_ACT_SET_MAC_SRC;
    case RTE_FLOW_ACTION_TYPE_SET_MAC_DST: return FW_ACT_SET_MAC_DST;
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC: return FW_ACT_SET_IPV4_SRC;
    case RTE_FLOW_ACTION_TYPE_SET_IPV4_DST: return FW_ACT_SET_IPV4_DST;
    case RTE_FLOW_ACTION_TYPE_SET_TP_SRC: return FW_ACT_SET_L4_SRC;
    case RTE_FLOW_ACTION_TYPE_SET_TP_DST: return FW_ACT_SET_L4_DST;
    case RTE_FLOW_ACTION_TYPE_DEC_TTL: return FW_ACT_DEC_TTL;
    case RTE_FLOW_ACTION_TYPE_SET_TAG: return FW_ACT_SET_TAG;
    case RTE_FLOW_ACTION_TYPE_SET_META: return FW_ACT_SET_META;
    case RTE_FLOW_ACTION_TYPE_OF_PUSH_MPLS: return FW_ACT_PUSH_MPLS;
    case RTE_FLOW_ACTION_TYPE_OF_POP_MPLS: return FW_ACT_POP_MPLS;
    /* a field as source makes it MODIFY_COPY: the rule's walk checks
     * that bit; every MODIFY_FIELD the card runs needs MODIFY_SET's
     * generation of the card at least */
    case RTE_FLOW_ACTION_TYPE_MODIFY_FIELD: return FW_ACT_MODIFY_SET;
    default:
        return -1;
    }
}

/*
 * An actions template, before any rule: every action one the driver knows
 * and the card's profile has, with the messages the walker gives. Confs
 * (which port, which queue, which group) are checked per rule.
 */
int
emunic_actions_check_template(const struct fw_caps *caps,
                              const struct rte_flow_action actions[],
                              struct rte_flow_error *error)
{
    for (const struct rte_flow_action *a = actions;
         a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
        int t = action_fw_type(a->type);

        if (t < 0)
            return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
                                   a, "action type %d is not supported by "
                                   "net_emunic (see docs/pmd.md for the "
                                   "list)", (int)a->type);
        if (t > 0 && !(caps->actions & FW_ACTION_BIT(t)))
            return emunic_flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
                                   a, "the device (profile '%s') does not "
                                   "support action %s", emunic_profile(caps),
                                   fw_action_name((unsigned)t));
        /* the operation and the fields are the template's own, not a
         * rule's: a MODIFY_FIELD the card cannot run is refused here */
        if (a->type == RTE_FLOW_ACTION_TYPE_MODIFY_FIELD && a->conf != NULL) {
            struct fw_action fa;
            int ret = emunic_modify_action_build(a, &fa, error);

            if (ret < 0)
                return ret;
            if (!(caps->actions & FW_ACTION_BIT(fa.type)))
                return emunic_flow_err(error, ENOTSUP,
                                       RTE_FLOW_ERROR_TYPE_ACTION, a,
                                       "the device (profile '%s') does not "
                                       "support action %s",
                                       emunic_profile(caps),
                                       fw_action_name(fa.type));
        }
    }
    return 0;
}
