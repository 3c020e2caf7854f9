/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One switch flow -> one rte_flow transfer rule (attributes, pattern,
 * actions), or a precise reason why the rule cannot say what the flow says.
 *
 * What
 * ----
 * Pure translation: no device, no EAL, no allocation. The caller owns a
 * struct snicd_xlate (about 4 KiB); the item and action arrays point into
 * it, so it must not be copied while a translation is in use. The device is
 * asked separately (rte_flow_validate): this file only refuses what rte_flow
 * cannot express with the flow's exact meaning.
 *
 * How
 * ---
 * The match is consumed field by field (Open vSwitch's netdev-offload-dpdk
 * discipline): every field turned into an item is cleared from a working
 * copy of the mask, and a bit left over at the end refuses the flow, naming
 * the field. Nothing is ever silently dropped from a match.
 *
 * Pattern: REPRESENTED_PORT (in_port: "entered the switch from that port's
 * represented side"), ETH, VLAN, IPV4 | IPV6, TCP | UDP | SCTP | ICMP |
 * ICMP6. dl_type 0x0800 / 0x86dd is carried by the IP item (lower layers
 * omitted), so tagged and untagged packets match as in OpenFlow; other
 * EtherTypes go in ETH type (or VLAN inner_type when the flow matches a
 * tag). "No tag" is ETH has_vlan = 0.
 *
 * Actions: COUNT first (every rule is counted); then the flow's list in
 * order (rte_flow applies actions in list order and each port action emits
 * the packet as modified so far, which is OpenFlow's output semantics);
 * goto_table ends with MARK(resume mark) + JUMP; a list with no fate left is
 * DROP. Partial mode keeps the pattern and replaces the actions with
 * COUNT + MARK + PORT_REPRESENTOR(ingress port): the software finishes.
 *
 * Tunnels (snicd_xlate_tun.c): a flow of table 0 with in_port=<tunnel
 * port> and an exact tun_id goes in its decap context's group (ctx->decap):
 * no port item (only the context's pop rule jumps there, after
 * VXLAN_DECAP), the tunnel fields are consumed against the context. Any
 * other flow sees only frames that software does not decapsulate (snicd
 * sends VXLAN frames for the local VTEP away from the root with its guard
 * rule), whose tunnel metadata is all zero: a tun_* match that zero
 * satisfies is consumed, any other is refused.
 *
 * Registers: a match on regN (N < ctx->n_tags) is a TAG item of index N,
 * on pkt_mark a META item; load/set_field of a constant into them is
 * SET_TAG / SET_META (xreg and xxreg are views of reg0..reg7 and become
 * one SET_TAG a register they touch). The card's TAGs start at zero like
 * the registers and change only where a hardware flow writes them, so a
 * packet in hardware has TAG[N] == regN. TAGs never reach the host and
 * META does, so a flow that writes a register and then jumps is refused
 * (a miss after the jump would reach software without it) unless
 * ctx->regs_cross (no miss can happen there); one that
 * writes pkt_mark and jumps is not, when ctx->meta_to_host. metadata,
 * reg8 and above past the device's TAGs, move and output:REG stay in
 * software.
 *
 * Refused by design (the flow stays in software, or goes partial when
 * only an action is at fault): goto_table and partial offload in a decap
 * context (the tunnel metadata cannot cross tables), ARP fields (rte_flow's
 * ARP item is not portable; a plain "arp" is ETH type 0x0806), a vlan_tci
 * mask without the CFI bit and a zero value (tagged and untagged alike),
 * push_vlan where the TCI it copies is not pinned by the match,
 * push-if-untagged where the tag is not known,
 * an output that may hit the ingress port without an exact in_port, any
 * action after an output to a tunnel port (encapsulation is in place),
 * set_tunnel before goto_table, an output before a goto_table whose
 * target may drop the packet whole in software (ctx->goto_may_fail: the
 * copy would have left already). mod_nw_tos becomes SET_IPVx_DSCP and the
 * device decides. Not modelled: the wire's DEI bit, which push_vlan copies
 * in software but SET_VLAN_VID/PCP leave 0.
 *
 * Thread-safety: pure functions of their arguments.
 */
#ifndef SNICD_XLATE_H
#define SNICD_XLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_flow.h>

#include "snic/flow.h"
#include "snicd_offload.h"

/* port, eth, vlan, ip, l4 and spare, then the registers: a TAG a
 * register, and META (pkt_mark) */
#define SNICD_XLATE_MAX_ITEMS   (8u + FLOW_N_REGS + 1u)
/* COUNT + per flow action at most 4 (push + vid + pcp + ..., or encap +
 * port) + MARK + JUMP + END */
#define SNICD_XLATE_MAX_ACTIONS (4u * FLOW_MAX_ACTIONS + 4u)
#define SNICD_XLATE_MAX_ENCAPS  2u

enum snicd_xlate_mode {
    SNICD_XLATE_FULL = 0,       /* the rule does match and every action */
    SNICD_XLATE_PARTIAL = 1,    /* match + MARK, to the ingress representor */
};

/*
 * A decap context: the frames of one tunnel port with one VNI (and one
 * outer source and destination), decapsulated by a "pop" rule that MARKs
 * them and jumps to @group, where the context's flows live.
 */
struct snicd_xlate_decap {
    uint32_t tun_port;          /* OpenFlow port of the tunnel */
    flow_be64 tun_id;           /* the VNI, as the key's tun_id */
    flow_be32 tun_src;          /* outer source (the remote VTEP) */
    flow_be32 tun_dst;          /* outer destination (the local VTEP) */
    uint32_t group;             /* rte_flow group of the context's flows */
};

/* Groups of the tunnel rules: above every OpenFlow table. The guard rule
 * in group 0 jumps to SNICD_XLATE_POP_GROUP, where the pop rules are; each
 * decap context gets a group from SNICD_XLATE_CTX_GROUP0 up. */
#define SNICD_XLATE_POP_GROUP   (FLOW_TABLE_MAX + 1u)
#define SNICD_XLATE_CTX_GROUP0  (FLOW_TABLE_MAX + 2u)
#define SNICD_XLATE_NO_GROUP    UINT32_MAX

struct snicd_xlate_ctx {
    const struct snicd_port_info *ports;
    unsigned n_ports;
    uint32_t priority;          /* rte_flow priority (hw level) */
    uint32_t mark;              /* partial: the flow's mark; full: the
                                 * resume mark of a goto_table flow */
    enum snicd_xlate_mode mode;
    const struct snicd_xlate_decap *decap;  /* NULL: not a decap flow */
    /* software may drop a packet whole from the goto_table target on
     * (docs/snicd.md, rule 4): no output may come before the JUMP */
    bool goto_may_fail;
    /* The card's per-packet registers (docs/snicd.md, "Registers and
     * pkt_mark"): regN is TAG index N for N < n_tags (the device's count,
     * snicd_offload_probe_tags()); pkt_mark is META, which reaches the
     * host with a frame when meta_to_host (the rx metadata field is
     * registered), so only then may a pkt_mark write precede a jump. */
    unsigned n_tags;
    bool meta_to_host;
    /* a register write may come before the JUMP: the manager found that
     * no packet can reach software from the target table on (it is
     * sealed, docs/snicd.md "Registers and pkt_mark") */
    bool regs_cross;
};

/* Where a refusal came from: the manager tries partial only for actions. */
enum snicd_xlate_refusal {
    SNICD_XLATE_OK = 0,
    SNICD_XLATE_REFUSED_MATCH,
    SNICD_XLATE_REFUSED_ACTION,
};

/* One VXLAN_ENCAP definition: ETH / IPV4 / UDP / VXLAN / END. */
struct snicd_xlate_encap {
    struct rte_flow_action_vxlan_encap conf;
    struct rte_flow_item def[5];
    struct rte_flow_item_eth eth;
    struct rte_flow_item_ipv4 ipv4;
    struct rte_flow_item_udp udp;
    struct rte_flow_item_vxlan vxlan;
};

/* Storage for one action's configuration. */
union snicd_xlate_conf {
    struct rte_flow_action_ethdev ethdev;
    struct rte_flow_action_of_push_vlan push_vlan;
    struct rte_flow_action_of_set_vlan_vid vid;
    struct rte_flow_action_of_set_vlan_pcp pcp;
    struct rte_flow_action_set_mac mac;
    struct rte_flow_action_set_ipv4 ipv4;
    struct rte_flow_action_set_tp tp;
    struct rte_flow_action_set_dscp dscp;
    struct rte_flow_action_mark mark;
    struct rte_flow_action_jump jump;
    struct rte_flow_action_count count;
    struct rte_flow_action_of_push_mpls push_mpls;
    struct rte_flow_action_of_pop_mpls pop_mpls;
    struct rte_flow_action_set_tag set_tag;
    struct rte_flow_action_set_meta set_meta;
    struct rte_flow_action_modify_field modify;
};

struct snicd_xlate {
    struct rte_flow_attr attr;
    struct rte_flow_item items[SNICD_XLATE_MAX_ITEMS];       /* END-ended */
    struct rte_flow_action actions[SNICD_XLATE_MAX_ACTIONS]; /* END-ended */
    unsigned n_items;           /* without END */
    unsigned n_actions;         /* without END */
    enum snicd_xlate_refusal refusal;
    char reason[SNICD_REASON_SIZE];
    bool has_goto;              /* ends with MARK + JUMP (full mode) */
    bool uses_mark;             /* a MARK action carries ctx->mark */
    /* refused only for a register write before the JUMP: with
     * ctx->regs_cross the same flow translates whole */
    bool regs_gated;

    /* what the arrays point into */
    struct rte_flow_item_ethdev port_spec, port_mask;
    struct rte_flow_item_eth eth_spec, eth_mask;
    struct rte_flow_item_vlan vlan_spec, vlan_mask;
    struct rte_flow_item_ipv4 ipv4_spec, ipv4_mask;
    struct rte_flow_item_ipv6 ipv6_spec, ipv6_mask;
    struct rte_flow_item_tcp tcp_spec, tcp_mask;
    struct rte_flow_item_udp udp_spec, udp_mask;
    struct rte_flow_item_sctp sctp_spec, sctp_mask;
    struct rte_flow_item_icmp icmp_spec, icmp_mask;
    struct rte_flow_item_icmp6 icmp6_spec, icmp6_mask;
    struct rte_flow_item_vxlan vxlan_spec, vxlan_mask;
    struct rte_flow_item_mpls mpls_spec, mpls_mask;
    struct rte_flow_item_tag tag_spec[FLOW_N_REGS], tag_mask[FLOW_N_REGS];
    struct rte_flow_item_meta meta_spec, meta_mask;
    union snicd_xlate_conf conf[SNICD_XLATE_MAX_ACTIONS];
    struct snicd_xlate_encap encap[SNICD_XLATE_MAX_ENCAPS];
    unsigned n_encaps;
};

/*
 * Translate @f for @ctx into @x (fully overwritten). Returns 0, or -ENOTSUP
 * with x->reason ("match on tun_src not expressible", ...) and x->refusal
 * saying whether the match or an action was at fault.
 */
int snicd_xlate_flow(const struct flow *f, const struct snicd_xlate_ctx *ctx,
                     struct snicd_xlate *x);

/*
 * The table @f jumps to when its actions are done, or -1: goto_table:N,
 * or resubmit(,N) as its last action, keeping in_port, to a table after
 * its own. Nothing runs after that lookup returns, so the packet gets
 * what goto_table:N gives it (the same lookup, counted the same against
 * the resubmit limits, not deeper; the action set still runs at the end
 * of the packet's tables). The one answer for the translator (MARK +
 * JUMP), rule 4's accounting (snicd_offload_fail.c) and the resume marks
 * (docs/snicd.md, "Where a flow lives").
 */
int snicd_xlate_jump(const struct flow *f);
/* The same for the actions @acts[0..@n_actions) of a flow of table
 * @table_id. */
int snicd_xlate_jump_of(const struct flow_action *acts, unsigned n_actions,
                        unsigned table_id);

/* The entry of OpenFlow port @ofport in @ports, or NULL: the one port
 * lookup of the translator and the offload manager (snicd_xlate_build.c). */
const struct snicd_port_info *
snicd_xlate_port(const struct snicd_port_info *ports, unsigned n_ports,
                 uint32_t ofport);

/*
 * The translation's "shape": the rule without its values (attributes, item
 * types and masks, action types and the configuration bits a device's
 * support depends on: jump group, push TPID, encap layout). Rules of one
 * shape are accepted or refused alike by validate, so the answer is cached
 * by it. Writes at most @size bytes into @buf and returns the length, or
 * -ENOSPC when @size is too small (SNICD_XLATE_SHAPE_MAX always suffices).
 */
#define SNICD_XLATE_SHAPE_MAX   1024u
int snicd_xlate_shape(const struct snicd_xlate *x, uint8_t *buf, size_t size);

/* ------------------------------------------------------------------------
 * Tunnels (snicd_xlate_tun.c)
 * ------------------------------------------------------------------------ */

/* Which packets a flow may see, by where the hardware would meet them. */
#define SNICD_XLATE_DOM_ROOT    0x1u    /* frames software does not decap */
#define SNICD_XLATE_DOM_TUNNEL  0x2u    /* frames decapsulated (in_port =
                                         * a tunnel port) */
unsigned snicd_xlate_domains(const struct flow *f,
                             const struct snicd_port_info *ports,
                             unsigned n_ports);

/* The tunnel port @f matches exactly (in_port), or NULL. */
const struct snicd_port_info *
snicd_xlate_tunnel_of(const struct flow *f,
                      const struct snicd_port_info *ports, unsigned n_ports);

/*
 * The decap context of @f, a flow with an exact in_port on a tunnel port:
 * 0 and @d filled (group 0), or -ENOTSUP with the reason in @why (tun_id
 * wildcarded or masked, not table 0, no tunnel configuration, a flow-based
 * port without an exact tun_src...).
 */
int snicd_xlate_decap_key(const struct flow *f,
                          const struct snicd_port_info *ports,
                          unsigned n_ports, struct snicd_xlate_decap *d,
                          char *why, size_t size);

/*
 * The pop rule of context @d, in group SNICD_XLATE_POP_GROUP:
 * REPRESENTED_PORT(underlay) / ETH / IPV4 (src, dst) / UDP (4789) / VXLAN
 * (vni) -> COUNT, MARK(@mark), VXLAN_DECAP, JUMP(d->group). 0 or -ENOTSUP.
 */
int snicd_xlate_pop(const struct snicd_xlate_decap *d,
                    const struct snicd_port_info *ports, unsigned n_ports,
                    uint32_t mark, struct snicd_xlate *x);

/*
 * The guard rule of tunnel port @tun, in group 0 at @priority: every frame
 * software would decapsulate (from the underlay, IPv4 to the local VTEP,
 * UDP 4789) -> JUMP(@jump_group), or to the underlay's representor when
 * @jump_group is SNICD_XLATE_NO_GROUP. 0 or -ENOTSUP.
 */
int snicd_xlate_guard(const struct snicd_port_info *tun,
                      const struct snicd_port_info *ports, unsigned n_ports,
                      uint32_t priority, uint32_t jump_group,
                      struct snicd_xlate *x);

/* The match of the frames software decapsulates for @tun (a superset: the
 * outer source is not in it), for overlap checks. false: @tun is not
 * configured. */
bool snicd_xlate_vxlan_class(const struct snicd_port_info *tun,
                             struct flow_match *m);

#endif /* SNICD_XLATE_H */
