/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Switch flows: the model, the ovs-ofctl flow language, and the OpenFlow flow
 * table that holds snicd's desired state.
 *
 * What
 * ----
 * A switch flow is an OpenFlow rule between ports: a match (struct
 * flow_match), a priority, a table, a cookie, timeouts and an action list.
 * Everything downstream consumes this one model: the translation to rte_flow
 * transfer rules, the software datapath's classifier, the control socket's
 * dump-flows, and the differential test that proves hardware and software
 * agree. So the model is plain data with exact meaning:
 *
 *  - struct flow_key holds a packet's header fields in the packet's own
 *    byte order (network order), plus metadata (in_port in host order, the
 *    tunnel id and outer IPv4 addresses of a decapsulated packet). A field of
 *    a header the packet lacks is zero.
 *  - struct flow_match is a key and a mask of the same layout; bits set in
 *    the mask must equal the key. value & ~mask is always zero (normalised),
 *    so two matches with the same meaning are byte-identical and memcmp()
 *    is the "identical match" test OpenFlow's strict semantics need.
 *  - struct flow_action is a small tagged union in a fixed array: no heap, so
 *    a flow can be copied by assignment and compared with flow_equal().
 *
 * Field conventions follow Open vSwitch, so ovs-ofctl users are at home:
 *  - vlan_tci carries FLOW_VLAN_CFI (0x1000) when the packet is tagged.
 *    dl_vlan=N is vlan_tci=(0x1000|N)/0x1fff, dl_vlan_pcp=P is
 *    vlan_tci=(0x1000|P<<13)/0xf000, dl_vlan=0xffff ("no tag") is
 *    vlan_tci=0/0xffff. dl_type is the EtherType after the outer tag;
 *    for an 802.3 length (LLC) it is FLOW_DL_TYPE_NONE, or the EtherType
 *    of a SNAP header with OUI 0.
 *  - nw_tos is the whole IPv4 TOS / IPv6 traffic class byte; only its DSCP
 *    bits (0xfc) are matchable. ip_dscp=N is nw_tos=N<<2.
 *  - For ARP, nw_src/nw_dst are the sender/target protocol addresses and
 *    nw_proto is the low byte of the opcode. For ICMP and ICMPv6, tp_src and
 *    tp_dst hold the type and code (icmp_type=/icmp_code=).
 *  - tun_id is 64 bits as in OpenFlow; a VXLAN VNI is its low 24 bits.
 *  - tcp_flags holds the low 12 bits of TCP's offset/flags word (FIN 0x001
 *    ... CWR 0x080, NS 0x100, 3 reserved bits); read wherever the ports
 *    would be, and also in a first fragment (Open vSwitch reads them there
 *    too). tcp_flags=+syn-ack is value 0x002, mask 0x012.
 *  - mpls_lse is the first label stack entry of an MPLS frame (dl_type
 *    0x8847 or 0x8848), network order: label << 12 | tc << 9 | bos << 8 |
 *    ttl. mpls_label=, mpls_tc=, mpls_bos= and mpls_ttl= match its parts
 *    (exact, no mask). As in Open vSwitch nothing behind the stack is read:
 *    an MPLS frame has no L3 or L4 fields.
 *  - IPv6 Neighbor Discovery (nd_target, nd_sll, nd_tll) of an ICMPv6
 *    solicitation (type 135) or advertisement (136) with code 0, read as
 *    Open vSwitch reads them (dp_nd.c), share the key's bytes with fields
 *    such a packet never has: nd_target the 16 bytes of nw_src, nw_dst
 *    and nw_nd_rest (IPv4 and ARP), nd_lla the 6 of mpls_lse and
 *    tcp_flags (MPLS and TCP). nd_lla is nd_sll in a solicitation and
 *    nd_tll in an advertisement: a match may only name the one its
 *    icmp_type has (Open vSwitch's prerequisites), so one place serves
 *    both. A packet of any other kind has zeroes there but its own
 *    fields; a match's bytes there mean ND exactly when
 *    flow_match_nd_type() says so. Only lookups read them from the key;
 *    actions read the frame (dp_nd_get()).
 *  - packet_type is 0 (Ethernet) for every packet a port receives;
 *    decap() of the Ethernet header makes it FLOW_PT(1, EtherType), the
 *    frame then starts at that header, dl_type is the EtherType and
 *    dl_src, dl_dst, vlan_tci are zero. packet_type=(1,T) matches such
 *    packets (dl_type T implied, as in Open vSwitch); a match on dl_*,
 *    vlan_tci or dl_type with no packet_type matches Ethernet packets
 *    only (flow_match_key(), flow_match_imply_eth()), and one that
 *    matches none of them matches any packet type.
 *
 * Action semantics (what the datapath and the translator must implement):
 *  - The list runs in order on the packet as modified so far; each OUTPUT
 *    sends a copy as it is at that point. An empty list drops ("drop").
 *    Output to the port the packet came in on is skipped (OpenFlow: only
 *    the reserved port IN_PORT sends a packet back where it came from).
 *    ALL and FLOOD send a copy to every port but the ingress one (FLOOD
 *    also skips the ports configured no-flood); NORMAL is the L2 learning
 *    switch (docs/datapath.md); CONTROLLER and LOCAL go to the control
 *    plane and to the switch's host-side port.
 *  - MOD_VLAN_VID / MOD_VLAN_PCP with push_if_untagged (mod_vlan_vid:,
 *    mod_vlan_pcp:) push an 802.1Q tag with the other TCI bits zero when the
 *    packet is untagged (OpenFlow 1.0); without it (set_field:->vlan_vid)
 *    the parser guarantees the packet is tagged. STRIP_VLAN leaves an
 *    untagged packet as it is.
 *  - DEC_TTL drops a packet whose TTL / hop limit is 0 or 1, and leaves a
 *    packet that is not IP as it is.
 *  - GOTO_TABLE is always last and always to a higher table.
 *  - LOAD and MOVE write the packet's registers and metadata (struct
 *    flow_meta, in the key), or a header field of the packet (the
 *    subfield's field a FLOW_FIELD_IN_PORT.. id, flow_hdr.c: the frame
 *    is rewritten as the matching mod_* action rewrites it); later
 *    lookups of the same packet see them.
 *    RESUBMIT looks a table up (any, this flow's own included) with the
 *    packet as modified so far, runs the flow found, then the rest of this
 *    list; past FLOW_RESUBMIT_MAX_DEPTH / FLOW_RESUBMIT_MAX the packet is
 *    dropped whole, as Open vSwitch does.
 *  - CONJUNCTION (conjunction(id,k/n)) makes the flow clause k of n of
 *    conjunctive match id, as in Open vSwitch: such a flow is never the
 *    result of a lookup. Flows with identical matches form a list, best
 *    first, of which a lookup sees one at a time (at first the best). The
 *    lookup finds the best ordinary flow in view (priority P, or none);
 *    then, while clause flows in view match above P, it takes those at
 *    the highest priority Q: an id whose n clauses all appear among them
 *    (with no more clauses than there are such flows) is complete, and
 *    the result is the best ordinary flow in view matching the packet
 *    with conj_id = id (the lowest complete id for which there is one).
 *    Failing that, each of their lists moves on to its next flow (an
 *    ordinary one there may become the best) and the lookup goes on.
 *    conj_id is 0 outside that lookup.
 *  - CT (ct(...)) runs the packet, as modified so far, through the
 *    connection tracker of its zone (docs/datapath.md, "Connection
 *    tracking"): with FLOW_CT_F_COMMIT the connection is created, its
 *    exec() body (u.ct.n_exec LOADs / MOVEs to ct_mark and ct_label that
 *    follow it in the list) writes the connection's mark and label; with
 *    a table, a copy recirculates there with the packet's ct_* fields
 *    set, before the rest of the list runs. The rest of the list, and
 *    everything after CT_CLEAR, sees the packet untracked (ct_* zero).
 *    The parser requires an ip/ipv6 match, as Open vSwitch does.
 *  - PUSH_MPLS / POP_MPLS / SET_MPLS_* / DEC_MPLS_TTL behave as Open
 *    vSwitch's translation does (docs/datapath.md, "MPLS"): push_mpls puts
 *    an entry after the VLAN tags (copied from the top one without BOS on
 *    an MPLS frame; else label 0, or 2 for IPv6, TC from the DSCP, TTL from
 *    the IP TTL or 64, BOS 1) and the packet is MPLS from then on;
 *    pop_mpls to an MPLS EtherType removes the top entry, to any other the
 *    whole stack; set_mpls_* rewrite the top entry of an MPLS packet and
 *    leave others alone; dec_mpls_ttl ends the flow's action list on a
 *    packet that is not MPLS or whose TTL is 0 or 1 (the outputs before it
 *    stand). A push or pop that would leave more than 3 entries for Open
 *    vSwitch to track drops the packet whole.
 *  - WRITE_ACTIONS / CLEAR_ACTIONS are OpenFlow 1.1's instructions, as
 *    Open vSwitch runs them (docs/flow-language.md, "The action set"): a
 *    packet's action set starts empty, write_actions adds to it (of each
 *    of strip_vlan, pop_mpls, push_mpls, push_vlan, dec_ttl, dec_mpls_ttl
 *    and output the last one written counts; every set/load/move counts,
 *    in the order written), clear_actions empties it, and when the
 *    pipeline ends (no goto_table; also after a miss) it runs in that
 *    order, sets before the output; without an output it does nothing.
 *    meta.actset_output says which output it holds. In a line they come
 *    after the applied actions, clear before write, then write_metadata,
 *    goto_table.
 *  - STACK_PUSH / STACK_POP are Open vSwitch's register stack: one per
 *    packet, empty when it enters, kept across resubmit and goto_table,
 *    put back as it was after a clone; push puts a subfield's value on
 *    top, pop takes the top into a subfield, and a pop of an empty stack
 *    changes nothing.
 *  - CHECK_PKT_LARGER writes its 1-bit dst: 1 when the packet as the
 *    actions so far left it, without the Ethernet padding after a
 *    consistent IP datagram, is longer than u.pkt_len bytes (Open
 *    vSwitch's datapath's length), else 0. SAMPLE does nothing to the
 *    packet (no IPFIX exporter); its FLOW_ACT_ARGS carry the rest of its
 *    arguments, and every reader skips them (flow_action_n_args()).
 *  - DECAP takes an Ethernet header without VLAN tags off (a tagged
 *    packet is dropped whole, as Open vSwitch does); ENCAP with
 *    FLOW_PT_ETH puts one with zero addresses and the packet's EtherType
 *    on a packet without one (on an Ethernet packet: dropped whole). A
 *    packet without an Ethernet header is sent to no port (CONTROLLER
 *    aside): Open vSwitch's ports take Ethernet only. Actions on its
 *    Ethernet header or tags do nothing to it.
 *  - set_field onto a header needs a match that promises it: the parser
 *    enforces OpenFlow's prerequisites (set_field:80->tcp_dst needs tcp).
 *    OpenFlow 1.0's own actions do not (as in Open vSwitch): strip_vlan,
 *    dec_ttl, mod_nw_src/dst, mod_nw_tos and mod_tp_src/dst are accepted
 *    with any match and rewrite only the packets that have their header
 *    (mod_nw_* IPv4 ones, mod_tp_* TCP/UDP/SCTP ones, and ICMP ones'
 *    type and code as Open vSwitch does); the datapath checks every
 *    packet, and the translator offloads them only where the match
 *    promises the header.
 *
 * How
 * ---
 * flow_parse() reads one ovs-ofctl line (add-flow, mod-flows or del-flows
 * syntax) into a struct flow_mod. It is all-or-nothing: the output is only
 * written on success; on failure struct flow_error names the token, its
 * byte offset (from 0) and what would have been right. flow_format() is its
 * inverse in a canonical field order, like `ovs-ofctl dump-flows`, so
 * parse(format(f)) == f.
 *
 * struct flow_table holds tables 0..254 with OpenFlow 1.3 add / modify /
 * delete semantics (strict and loose, cookie masks, out_port on delete),
 * per-flow ids, counters and timeouts. Every change is reported to a
 * listener as it happens, so the daemon re-translates exactly what changed.
 * An operation either fully succeeds or changes nothing. Time is whatever
 * monotonic nanosecond clock the caller passes in; the table never reads a
 * clock, so tests control time.
 *
 * flow_table_lookup() is a deliberately simple linear classifier: the
 * reference ("oracle") the fast software classifier is tested against.
 *
 * Thread-safety
 * -------------
 * The parser and formatter are pure functions, safe from any thread.
 * A struct flow_table has a single writer and no internal lock: the caller
 * must exclude concurrent modifiers and readers (snicd's control thread owns
 * it; the datapath lcores never read it, they get their own published
 * classifier). Listener callbacks run synchronously inside the modifying call
 * and must not modify the table.
 */
#ifndef SNIC_FLOW_H
#define SNIC_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Byte-order markers: these fields hold network-order values. */
typedef uint16_t flow_be16;
typedef uint32_t flow_be32;
typedef uint64_t flow_be64;

#define FLOW_VLAN_CFI           0x1000u     /* host order; "tag present" */
#define FLOW_VLAN_VID_MASK      0x0fffu
#define FLOW_VLAN_PCP_SHIFT     13
/* dl_type of an 802.2 LLC frame without a SNAP EtherType (host order). */
#define FLOW_DL_TYPE_NONE       0x05ffu

/* Open vSwitch's packet types (OpenFlow 1.5's header type namespaces):
 * (0,0) is Ethernet, what every port carries; (1,T) is a packet of
 * EtherType T without an Ethernet header, what decap() leaves. Host
 * order in actions, network order in struct flow_key. */
#define FLOW_PT(ns, type)       ((uint32_t)(ns) << 16 | (uint16_t)(type))
#define FLOW_PT_ETH             0u
#define FLOW_PT_NS(pt)          ((pt) >> 16)
#define FLOW_PT_TYPE(pt)        ((uint16_t)(pt))
#define FLOW_PT_NS_ETHERTYPE    1u

#define FLOW_TABLE_MAX          254u        /* tables 0..254 */
#define FLOW_TABLE_ALL          255u        /* mod/del: every table */
#define FLOW_DEFAULT_PRIORITY   32768u
#define FLOW_MAX_ACTIONS        32u
/* output(port=N,max_len=M): M is at least an Ethernet header, as in Open
 * vSwitch. */
#define FLOW_TRUNC_MIN          14u

/* OpenFlow 1.3 port numbers: 1..FLOW_PORT_MAX are real or logical ports. */
#define FLOW_PORT_MAX           0xffffff00u
/* The reserved ports above it (OpenFlow 1.3 numbers; the parser also takes
 * OpenFlow 1.0's 0xfff8..0xffff and the names, in any case). An OUTPUT
 * to one of them is an ordinary FLOW_ACT_OUTPUT with that port: */
#define FLOW_PORT_IN_PORT       0xfffffff8u /* back out of the ingress port */
#define FLOW_PORT_TABLE         0xfffffff9u /* packet-out only: refused */
#define FLOW_PORT_NORMAL        0xfffffffau /* the L2 learning switch */
#define FLOW_PORT_FLOOD         0xfffffffbu /* all ports but the ingress and
                                             * the no-flood ones */
#define FLOW_PORT_ALL           0xfffffffcu /* all ports but the ingress */
#define FLOW_PORT_CONTROLLER    0xfffffffdu /* the control plane */
#define FLOW_PORT_LOCAL         0xfffffffeu /* the switch's host-side port;
                                             * also an ingress port */
#define FLOW_PORT_ANY           0xffffffffu /* "no out_port filter" (NONE) */
/* OUTPUT to CONTROLLER: how many bytes of the packet to send (OpenFlow's
 * max_len; "controller" alone is all of it, 65535), kept in the action's
 * pad0, which is zero for every other action. */
#define FLOW_CONTROLLER_MAX_LEN 65535u

/* Is @port one of the reserved ports above? */
static inline bool
flow_port_is_reserved(uint32_t port)
{
    return port > FLOW_PORT_MAX;
}

/* ------------------------------------------------------------------------
 * The model
 * ------------------------------------------------------------------------ */

#define FLOW_N_REGS             16u
#define FLOW_N_XREGS            8u
#define FLOW_N_XXREGS           4u

/* Pipeline metadata of a packet, as Open vSwitch defines it: not in the
 * packet's headers, all zero when a packet enters the switch, written by
 * actions (load, move, set_field, write_metadata) and matched like any
 * field. It lives as long as the packet is in the pipeline: goto_table and
 * resubmit keep it. Host order. The wider registers are views of regs[]:
 * xregN is reg(2N) (high 32 bits) and reg(2N+1) (low), xxregN is
 * reg(4N) (highest) .. reg(4N+3) (lowest). */
struct flow_meta {
    uint32_t regs[FLOW_N_REGS];     /* reg0..reg15 */
    uint64_t metadata;              /* OpenFlow 1.1+ metadata */
    uint32_t pkt_mark;
    uint32_t conj_id;               /* set only while the lookup of a
                                     * complete conjunctive match looks for
                                     * its conj_id flow; 0 otherwise */
    /* Connection tracking: what the last ct(table=N) found, seen by the
     * tables after its recirculation; zero (untracked) otherwise, and
     * again after a ct action without table= and after ct_clear. */
    uint8_t ct_state;               /* FLOW_CS_* */
    uint8_t ct_pad;                 /* zero */
    uint16_t ct_zone;
    uint32_t ct_mark;               /* the connection's mark */
    uint64_t ct_label[2];           /* its 128-bit label: [0] low bits */
    /* tun_metadata0..63, Open vSwitch's tunnel option fields (Geneve
     * options there; snic's VXLAN tunnels carry none: docs/flow-language.md,
     * "Tunnel metadata"). A packet has none when it enters. They live in
     * FLOW_TUN_MD_SLOTS 4-byte slots, an option's slots consecutive, most
     * significant first, its bit 0 the lowest bit of its last slot.
     * tun_md_slot[i] names slot i's option (FLOW_TUN_MD_USED | index), 0
     * for a free slot: in a packet the switch's TLV map decides the
     * layout, in a parsed match the order of its fields (snicd moves it
     * into the map's, flow_tun_md_relocate()). tun_md_present has bit i
     * set when slot i's option is present: written by an action, or
     * required by a match. Host order. */
    uint8_t tun_md_slot[7];         /* FLOW_TUN_MD_SLOTS */
    uint8_t tun_md_present;
    uint32_t tun_md[7];
    /* OpenFlow 1.1+'s action set (write_actions): the port of the output
     * it holds (an OpenFlow 1.3 number, reserved ports included), 0 when
     * it holds none ("actset_output=UNSET"). Matched, never written by
     * load or move. In the word tun_md[] leaves half empty: the word it
     * had went to the packet's fields (nd_target, struct flow_key). */
    uint32_t actset_output;
};

#define FLOW_TUN_MD_N           64u     /* tun_metadata0..63 */
#define FLOW_TUN_MD_SLOTS       7u
#define FLOW_TUN_MD_MAX_LEN     16u     /* bytes: an option's most */
#define FLOW_TUN_MD_USED        0x80u   /* tun_md_slot[]: slot in use */
#define FLOW_TUN_MD_EXACT       0x40u   /* a parsed match's: the option is
                                         * matched whole (no mask given) */
#define FLOW_TUN_MD_INDEX       0x3fu   /* tun_md_slot[]: the option */

/* ct_state bits, as Open vSwitch numbers and names them. */
#define FLOW_CS_NEW             0x01u   /* new: first packet(s) of a
                                         * connection not yet committed
                                         * or not yet answered */
#define FLOW_CS_ESTABLISHED     0x02u   /* est */
#define FLOW_CS_RELATED         0x04u   /* rel: an ICMP error about one */
#define FLOW_CS_REPLY_DIR       0x08u   /* rpl: reply direction */
#define FLOW_CS_INVALID         0x10u   /* inv */
#define FLOW_CS_TRACKED         0x20u   /* trk: went through ct() */
#define FLOW_CS_SRC_NAT         0x40u   /* snat */
#define FLOW_CS_DST_NAT         0x80u   /* dnat */
#define FLOW_CS_ALL             0xffu

/* Header fields of a packet, and the layout of a match's value and mask.
 * No implicit padding: memcmp() and hashing over the whole struct are
 * meaningful as long as pad stays zero. */
struct flow_key {
    flow_be64 tun_id;       /* tunnel id (VXLAN VNI) of a decapsulated pkt */
    flow_be32 tun_src;      /* outer IPv4 source of a decapsulated packet */
    flow_be32 tun_dst;
    uint32_t in_port;       /* host order: OpenFlow port it arrived on */
    /* Shared (see "Field conventions"): an IPv4 or ARP packet's addresses,
     * or an ND message's target. Sharing, not a key word of their own:
     * the classifier's key is limited to 32 words (docs/datapath.md). */
    union {
        struct {
            flow_be32 nw_src;       /* IPv4 source, ARP SPA */
            flow_be32 nw_dst;       /* IPv4 destination, ARP TPA */
            uint8_t nw_nd_rest[8];  /* zero: only nd_target's bytes */
        };
        uint8_t nd_target[16];      /* ND target address */
    };
    uint8_t ipv6_src[16];
    uint8_t ipv6_dst[16];
    uint8_t dl_dst[6];
    uint8_t dl_src[6];
    flow_be16 dl_type;      /* EtherType after the outer VLAN tag */
    flow_be16 vlan_tci;     /* with FLOW_VLAN_CFI when tagged */
    /* in dl_type's 8-byte word on purpose: every flow matching an
     * Ethernet field or dl_type also matches packet_type=(0,0)
     * (flow_match_imply_eth()), and there it costs a lookup no key word
     * more for the many that match dl_type */
    flow_be32 packet_type;  /* FLOW_PT_*: 0 (Ethernet) unless decap took
                             * the Ethernet header off */
    flow_be16 tp_src;       /* L4 source port; ICMP type */
    flow_be16 tp_dst;       /* L4 destination port; ICMP code */
    uint8_t nw_proto;       /* IP protocol, IPv6 next header, ARP opcode */
    uint8_t nw_tos;         /* TOS / traffic class byte */
    uint8_t nw_ttl;         /* TTL / hop limit */
    uint8_t pad0;
    /* Shared: an MPLS frame's or a TCP segment's fields, or an ND
     * message's link-layer address option */
    union {
        struct {
            flow_be32 mpls_lse; /* the top MPLS label stack entry (label
                                 * 20 bits, TC 3, BOS 1, TTL 8) */
            flow_be16 tcp_flags;/* TCP's 12 flag bits (NS..FIN), as in
                                 * OpenFlow */
            uint8_t pad[2];
        };
        uint8_t nd_lla[6];      /* nd_sll (type 135) or nd_tll (136) */
    };
    struct flow_meta meta;  /* pipeline metadata: zero on entry */
};

/* Bytes of struct flow_key that come from the packet itself (headers,
 * in_port, tunnel): what an exact-match cache in front of a table that
 * never matches the pipeline metadata needs to key on. */
#define FLOW_KEY_PKT_SIZE       offsetof(struct flow_key, meta)

struct flow_match {
    struct flow_key value;  /* value & ~mask == 0 */
    struct flow_key mask;
};

enum flow_action_type {
    FLOW_ACT_OUTPUT = 1,    /* u.port */
    FLOW_ACT_PUSH_VLAN,     /* u.tpid: 0x8100 or 0x88a8 */
    FLOW_ACT_MOD_VLAN_VID,  /* u.vlan.vid (12 bits), u.vlan.push_if_untagged */
    FLOW_ACT_MOD_VLAN_PCP,  /* u.vlan.pcp (0..7), u.vlan.push_if_untagged */
    FLOW_ACT_STRIP_VLAN,
    FLOW_ACT_MOD_DL_SRC,    /* u.mac */
    FLOW_ACT_MOD_DL_DST,
    FLOW_ACT_MOD_NW_SRC,    /* u.ipv4 (IPv4 only) */
    FLOW_ACT_MOD_NW_DST,
    FLOW_ACT_MOD_NW_TOS,    /* u.tos: DSCP bits of the TOS byte, ECN kept */
    FLOW_ACT_MOD_TP_SRC,    /* u.tp_port (TCP, UDP or SCTP) */
    FLOW_ACT_MOD_TP_DST,
    FLOW_ACT_DEC_TTL,
    FLOW_ACT_SET_TUNNEL,    /* u.tun_id: tunnel id for an output to a tunnel */
    FLOW_ACT_SET_TUN_SRC,   /* u.ipv4: outer source for the encapsulation */
    FLOW_ACT_SET_TUN_DST,   /* u.ipv4: outer destination */
    FLOW_ACT_GOTO_TABLE,    /* u.table: always last, > the flow's table */
    FLOW_ACT_MOD_NW_TTL,    /* u.ttl: IPv4 TTL / IPv6 hop limit */
    FLOW_ACT_MOD_NW_ECN,    /* u.tos: the ECN bits (0..3), DSCP kept */
    FLOW_ACT_LOAD,          /* dst = u.value (load, set_field on a
                             * register, write_metadata) */
    FLOW_ACT_MOVE,          /* dst = u.src (same width) */
    FLOW_ACT_OUTPUT_REG,    /* output to the port held in u.src */
    FLOW_ACT_RESUBMIT,      /* u.resubmit */
    FLOW_ACT_OUTPUT_TRUNC,  /* u.trunc: to an ordinary port, at most
                             * max_len (>= 14) bytes of the packet */
    FLOW_ACT_CONJUNCTION,   /* u.conj: a clause of a conjunctive match;
                             * a flow with one has only such actions */
    FLOW_ACT_SET_IN_PORT,   /* u.port: the packet's in_port from here on
                             * (set_field:N->in_port): later outputs,
                             * IN_PORT, NORMAL and lookups see it */
    FLOW_ACT_MOD_VLAN_TCI,  /* u.tci: the tag's TCI bits under mask become
                             * value's (set_field:V/M->vlan_tci); only
                             * onto a tag, never untags */
    FLOW_ACT_CLONE,         /* u.clone.n: the next n actions (1..) are its
                             * body, run on a copy of the packet and its
                             * registers; not nested, and no resubmit,
                             * goto_table, conjunction inside */
    FLOW_ACT_LEARN,         /* u.learn: add or refresh a flow made from
                             * the packet; the next u.learn.n actions are
                             * its FLOW_ACT_LEARN_SPECs (flow_learn.c) */
    FLOW_ACT_LEARN_SPEC,    /* pad0: enum flow_learn_kind; only inside a
                             * learn's body */
    FLOW_ACT_CT,            /* u.ct: through the connection tracker of
                             * zone u.ct.zone (or the subfield in dst when
                             * dst.n_bits != 0); u.ct.n_exec actions after
                             * it (LOAD / MOVE to ct_mark / ct_label only)
                             * are its exec() body, applied to the
                             * connection; table != FLOW_CT_TABLE_NONE:
                             * recirculate a copy there with ct_* set */
    FLOW_ACT_CT_CLEAR,      /* the packet's ct_* fields become zero */
    FLOW_ACT_FIN_TIMEOUT,   /* u.learn_fin: a TCP packet with FIN or RST
                             * shortens this flow's idle/hard timeouts to
                             * these (0: that one unchanged), as Open
                             * vSwitch's fin_timeout */
    FLOW_ACT_PUSH_MPLS,     /* u.tpid: 0x8847 or 0x8848, the new EtherType */
    FLOW_ACT_POP_MPLS,      /* u.tpid: the EtherType after the pop */
    FLOW_ACT_SET_MPLS_LABEL, /* u.mpls: the top entry's label (20 bits) */
    FLOW_ACT_SET_MPLS_TC,   /* u.mpls: its traffic class (0..7) */
    FLOW_ACT_SET_MPLS_TTL,  /* u.mpls: its TTL */
    FLOW_ACT_DEC_MPLS_TTL,
    FLOW_ACT_WRITE_ACTIONS, /* u.clone.n: the next n actions (0..) are
                             * written into the packet's action set
                             * (OpenFlow 1.1+), which runs when the
                             * pipeline ends; only the actions an action
                             * set may hold, no nesting */
    FLOW_ACT_CLEAR_ACTIONS, /* the packet's action set becomes empty */
    FLOW_ACT_STACK_PUSH,    /* u.src's value onto the packet's register
                             * stack (push:REG[..]) */
    FLOW_ACT_STACK_POP,     /* the stack's top value into dst (its low
                             * dst.n_bits bits); an empty stack leaves dst
                             * as it is (pop:REG[..]) */
    FLOW_ACT_ENQUEUE,       /* u.enqueue: output to an ordinary port,
                             * IN_PORT or LOCAL, on queue u.enqueue.queue
                             * (kept, not acted on: one queue per port) */
    FLOW_ACT_CHECK_PKT_LARGER, /* the 1-bit dst becomes 1 when the packet
                                * is longer than u.pkt_len bytes (its
                                * Ethernet padding not counted), else 0 */
    FLOW_ACT_SAMPLE,        /* pad0: the probability (1..65535 in 65535);
                             * u.sample: collector set and observation
                             * domain; one FLOW_ACT_ARGS follows with the
                             * rest (u.sample_more, pad0 the direction).
                             * No exporter: nothing is done to the packet */
    FLOW_ACT_MULTIPATH,     /* dst = a link number (0..max_link) picked
                             * by u.multipath.algorithm from a hash of
                             * u.multipath.fields; pad0: the basis */
    FLOW_ACT_BUNDLE,        /* a member port picked from a hash (pad0:
                             * the basis) or the first live one: output
                             * to it, or (dst.n_bits != 0, bundle_load)
                             * load its 16-bit number into dst; the
                             * members in the FLOW_ACT_ARGS after it, 2
                             * each (u.members) */
    FLOW_ACT_ARGS,          /* more arguments of the action before it
                             * (flow_action_n_args()); never alone */
    FLOW_ACT_NOTE,          /* u.note: Open vSwitch's note:HEX, no effect on
                             * the packet; its u.note.len bytes are in the
                             * u.note.n FLOW_ACT_NOTE_DATA actions after it */
    FLOW_ACT_NOTE_DATA,     /* u.bytes: 8 bytes of a note; only after one */
    FLOW_ACT_EXIT,          /* the packet's actions end here: the rest of
                             * this list, the lists of the resubmits it is
                             * in, later tables and its action set */
    FLOW_ACT_DEBUG_RECIRC,  /* Open vSwitch's debug_recirc: its datapath
                             * recirculates; no effect on the packet */
    FLOW_ACT_DEBUG_SLOW,    /* debug_slow: its slow path; no effect */
    FLOW_ACT_DECAP,         /* take the outer header off (Ethernet: the
                             * packet becomes FLOW_PT(1, its EtherType));
                             * pad0 1: u.ptype written out (decap(
                             * packet_type(ns=N,type=T))), else decap() */
    FLOW_ACT_ENCAP,         /* put a header of packet type u.ptype on
                             * (FLOW_PT_ETH: encap(ethernet); FLOW_PT(1,
                             * 0x8847 / 0x8848): encap(mpls / mpls_mc)) */
    FLOW_ACT_COUNT_         /* one past the last type */
};

/* Register-like fields a subfield can name (load, move, output:REG).
 * Widths: reg 32, xreg 64, xxreg 128, metadata 64, pkt_mark 32; the
 * tunnel fields tun_id 64, tun_src and tun_dst 32. The tunnel fields are
 * the packet's tunnel metadata (struct flow_key's tun_*), not struct
 * flow_meta's: flow_field_get()/flow_field_set() leave them alone, and
 * flow_key_subfield_get()/_set() reach both kinds. */
enum flow_field_id {
    FLOW_FIELD_NONE = 0,
    FLOW_FIELD_REG0 = 1,                                /* .. REG15 */
    FLOW_FIELD_XREG0 = FLOW_FIELD_REG0 + FLOW_N_REGS,   /* .. XREG7 */
    FLOW_FIELD_XXREG0 = FLOW_FIELD_XREG0 + FLOW_N_XREGS, /* .. XXREG3 */
    FLOW_FIELD_METADATA = FLOW_FIELD_XXREG0 + FLOW_N_XXREGS,
    FLOW_FIELD_PKT_MARK,
    FLOW_FIELD_TUN_ID,      /* NXM_NX_TUN_ID: the 64-bit tunnel id */
    FLOW_FIELD_TUN_SRC,     /* NXM_NX_TUN_IPV4_SRC */
    FLOW_FIELD_TUN_DST,     /* NXM_NX_TUN_IPV4_DST */
    FLOW_FIELD_CT_MARK,     /* 32 bits; written only in ct(exec(...)) */
    FLOW_FIELD_CT_LABEL,    /* 128 bits; likewise */
    FLOW_FIELD_N,
    /* tun_metadata0..63: as wide as the TLV map makes the option, at most
     * FLOW_TUN_MD_MAX_LEN bytes; a subfield's bits 0..127, [0..127] (and
     * NAME[]) the whole option */
    FLOW_FIELD_TUN_MD0 = 192,
};

/* Packet header fields a learn spec names (learn(NXM_OF_ETH_DST[]=
 * NXM_OF_ETH_SRC[]...)): a range of their own, after every register-like
 * field. Host-order values of their width (in_port 16 bits as NXM_OF_IN_PORT
 * is, MACs 48, the IPv4 addresses 32). */
enum flow_hdr_field_id {
    FLOW_FIELD_IN_PORT = 64,
    FLOW_FIELD_ETH_SRC,
    FLOW_FIELD_ETH_DST,
    FLOW_FIELD_ETH_TYPE,
    FLOW_FIELD_VLAN_TCI,
    FLOW_FIELD_IP_SRC,
    FLOW_FIELD_IP_DST,
    FLOW_FIELD_IP_PROTO,
    FLOW_FIELD_TCP_SRC,
    FLOW_FIELD_TCP_DST,
    FLOW_FIELD_UDP_SRC,
    FLOW_FIELD_UDP_DST,
    FLOW_FIELD_IN_PORT_OXM,     /* OXM_OF_IN_PORT: the 32-bit port */
    FLOW_FIELD_HDR_END,         /* learn's header fields end here */
    /* Header fields only the actions name (load, move, push, pop,
     * output:FIELD, set_field), after learn's: flow_hdr.c */
    FLOW_FIELD_SCTP_SRC = FLOW_FIELD_HDR_END,
    FLOW_FIELD_SCTP_DST,
    FLOW_FIELD_IP_TOS,          /* NXM_OF_IP_TOS: the DSCP bits (0xfc) */
    FLOW_FIELD_IP_DSCP,         /* OXM_OF_IP_DSCP: 6 bits */
    FLOW_FIELD_IP_ECN,          /* 2 bits */
    FLOW_FIELD_IP_TTL,          /* TTL / hop limit */
    FLOW_FIELD_ARP_OP,          /* 16 bits (Open vSwitch keeps the low 8) */
    FLOW_FIELD_ARP_SPA,
    FLOW_FIELD_ARP_TPA,
    FLOW_FIELD_ARP_SHA,
    FLOW_FIELD_ARP_THA,
    FLOW_FIELD_ICMP_TYPE,
    FLOW_FIELD_ICMP_CODE,
    FLOW_FIELD_ICMPV6_TYPE,
    FLOW_FIELD_ICMPV6_CODE,
    FLOW_FIELD_IPV6_SRC,        /* 128 bits */
    FLOW_FIELD_IPV6_DST,
    FLOW_FIELD_VLAN_VID,        /* OXM_OF_VLAN_VID: the outer tag's 12 VID
                                 * bits (a tag promised) */
    FLOW_FIELD_VLAN_PCP,        /* OXM_OF_VLAN_PCP: its 3 priority bits */
    FLOW_FIELD_ND_TARGET,       /* IPv6 Neighbor Discovery: the target
                                 * address (128 bits) */
    FLOW_FIELD_ND_SLL,          /* its source link-layer address option */
    FLOW_FIELD_ND_TLL,          /* its target link-layer address option */
    FLOW_FIELD_PKT_END
};

/* A header field of either range above (learn's or the actions'). */
static inline bool
flow_field_is_hdr(unsigned field)
{
    return field >= FLOW_FIELD_IN_PORT && field < FLOW_FIELD_PKT_END;
}

/* Is @field one of the tunnel fields (tun_id, tun_src, tun_dst)? */
static inline bool
flow_field_is_tunnel(unsigned field)
{
    return field >= FLOW_FIELD_TUN_ID && field <= FLOW_FIELD_TUN_DST;
}

/* Is @field one of tun_metadata0..63? */
static inline bool
flow_field_is_tun_md(unsigned field)
{
    return field >= FLOW_FIELD_TUN_MD0
        && field < FLOW_FIELD_TUN_MD0 + FLOW_TUN_MD_N;
}

/* Bits ofs .. ofs+n_bits-1 of a field, bit 0 the least significant, as
 * Open vSwitch writes them: reg0[8..15], NXM_NX_REG0[] (the whole field). */
struct flow_subfield {
    uint8_t field;          /* enum flow_field_id */
    uint8_t ofs;
    uint8_t n_bits;         /* 1..128 */
    uint8_t pad;
};

/* flow_action.pad0 of a LOAD */
#define FLOW_ACT_F_WRITE_METADATA   0x1u    /* LOAD: from the write_metadata
                                             * instruction (printed so) */
#define FLOW_ACT_F_SET_FIELD        0x2u    /* LOAD, MOD_NW_TTL: from
                                             * set_field (printed so, as
                                             * Open vSwitch does) */
/* flow_action.pad0 of a MOD_TP_SRC/DST from set_field onto ICMP's type
 * (SRC) or code (DST): Open vSwitch keeps them in the port fields, so the
 * datapath writes the same byte, but prints and encodes them as their own
 * fields (set_field:3->icmp_type), which mod_tp_src is not. */
#define FLOW_ACT_F_ICMPV4           0x4u
#define FLOW_ACT_F_ICMPV6           0x8u
/* flow_action.pad0 of a SET_MPLS_LABEL/TC/TTL: how the line spelled it,
 * printed back the same way (Open vSwitch keeps them apart: OpenFlow 1.1's
 * set_mpls_label, set_field, and load onto the whole field) */
#define FLOW_ACT_F_MPLS_SET_FIELD   0x10u   /* set_field:N->mpls_label */
#define FLOW_ACT_F_MPLS_LOAD        0x20u   /* load:N->OXM_OF_MPLS_LABEL[] */
/* flow_action.pad0 of a MOD_VLAN_VID/PCP without push_if_untagged from
 * OpenFlow 1.1's set_vlan_vid / set_vlan_pcp (printed so; the same
 * meaning as set_field onto vlan_vid / vlan_pcp) */
#define FLOW_ACT_F_SET_VLAN         0x40u
/* flow_action.pad0 of the LOADs one load of a value wider than 64 bits
 * made (load:0x...->NXM_NX_XXREG1[]): printed back as that one load */
#define FLOW_ACT_F_WIDE_LOAD        0x80u

/* learn(...) (FLOW_ACT_LEARN): the header action holds the table,
 * priority and timeouts, its pad0 the FLOW_LEARN_F_* flags; each
 * FLOW_ACT_LEARN_SPEC after it is one argument, its kind in pad0, in the
 * order written:
 *   COOKIE     u.value: the learned flow's cookie (cookie=N)
 *   FIN        u.learn_fin (fin_idle_timeout=, fin_hard_timeout=): the
 *              learned flow starts with FLOW_ACT_FIN_TIMEOUT
 *   MATCH      the learned flow matches dst = the packet's u.src
 *              (NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[], NXM_OF_VLAN_TCI[0..11])
 *   MATCH_IMM  the learned flow matches dst = u.value (eth_type=0x800)
 *   LOAD       the learned flow loads the packet's u.src into dst
 *   LOAD_IMM   the learned flow loads u.value into dst
 *   OUTPUT     the learned flow outputs to the port the packet's u.src
 *              holds, a 16-bit OpenFlow 1.0 port: below 0xff00, IN_PORT,
 *              FLOOD, ALL or LOCAL; any other value adds no output (as
 *              in Open vSwitch)
 *   LIMIT      u.value, 1..UINT32_MAX: limit=N, at most one (the learned
 *              flow_mod's learn_limit; limit=0 is no limit and no spec)
 *   RESULT     dst, one bit of a register, xreg, xxreg, metadata or
 *              pkt_mark: result_dst=, at most one; the datapath writes 1
 *              there when the packet learns (adds or refreshes) its flow,
 *              0 when it does not (limit=N reached) */
#define FLOW_LEARN_F_SEND_FLOW_REM  0x1u
/* delete_learned: when the last flow holding such a learn for (table,
 * cookie) leaves the table, so do the table's flows with that cookie */
#define FLOW_LEARN_F_DELETE_LEARNED 0x2u
enum flow_learn_kind {
    FLOW_LEARN_COOKIE = 1,
    FLOW_LEARN_FIN,
    FLOW_LEARN_MATCH,
    FLOW_LEARN_MATCH_IMM,
    FLOW_LEARN_LOAD,
    FLOW_LEARN_LOAD_IMM,
    FLOW_LEARN_OUTPUT,
    FLOW_LEARN_LIMIT,
    FLOW_LEARN_RESULT,
};

/* resubmit's in_port meaning "the packet's own"; table meaning "this
 * flow's table". */
#define FLOW_RESUBMIT_IN_PORT       0u
#define FLOW_RESUBMIT_TABLE_SAME    255u

/* Open vSwitch's limits on one packet's resubmits: nested resubmits to the
 * same or an earlier table, and resubmits in all (goto_table counts as
 * one). A packet that would pass either is dropped whole: none of its
 * outputs leave. */
#define FLOW_RESUBMIT_MAX_DEPTH     64u
#define FLOW_RESUBMIT_MAX           4096u

/* ct(...): u.ct.table when there is no table= (no recirculation), and
 * u.ct.flags. */
#define FLOW_CT_TABLE_NONE          255u
#define FLOW_CT_F_COMMIT            0x1u    /* commit: create the entry */
#define FLOW_CT_F_FORCE             0x2u    /* force: an entry seen in the
                                             * other direction is replaced */
#define FLOW_CT_F_NAT               0x4u    /* nat without arguments: apply
                                             * the connection's NAT (snic
                                             * commits none: a no-op) */

/* note:HEX: Open vSwitch pads a note's bytes to 6 + a multiple of 8 (its
 * action is then a multiple of 8 bytes long); the longest a flow's 32
 * actions can hold, a header and 31 NOTE_DATA. */
#define FLOW_NOTE_MAX               246u

/* conjunction(id,k/n): n dimensions, 2..64 as in Open vSwitch. */
#define FLOW_CONJ_MIN               2u
#define FLOW_CONJ_MAX               64u

/* Bytes of the union a type does not use are zero, so memcmp() compares. */
struct flow_action {
    uint16_t type;          /* enum flow_action_type */
    uint16_t pad0;          /* OUTPUT to CONTROLLER: max_len; LOAD,
                             * MOD_TP_SRC/DST: FLOW_ACT_F_*; else 0 */
    struct flow_subfield dst;   /* LOAD, MOVE: the bits written; CT: the
                                 * zone's subfield (zone=REG[..]); else 0 */
    union {
        uint32_t port;              /* host order */
        flow_be16 tpid;
        struct {
            flow_be16 vid;
            uint8_t pcp;
            uint8_t push_if_untagged;
        } vlan;
        uint8_t mac[6];
        flow_be32 ipv4;
        uint8_t tos;
        uint8_t ttl;
        flow_be16 tp_port;
        flow_be64 tun_id;
        uint8_t table;
        uint64_t value;             /* LOAD: in the low dst.n_bits bits */
        struct {
            flow_be16 value;        /* value & ~mask == 0; OpenFlow TCI,
                                     * so CFI (0x1000) means tagged */
            flow_be16 mask;
        } tci;
        struct flow_subfield src;   /* MOVE, OUTPUT_REG */
        struct {
            uint32_t port;          /* FLOW_RESUBMIT_IN_PORT: unchanged */
            uint8_t table;          /* FLOW_RESUBMIT_TABLE_SAME: this one */
        } resubmit;
        struct {
            uint32_t port;          /* host order, not reserved */
            uint32_t max_len;       /* bytes, >= FLOW_TRUNC_MIN */
        } trunc;
        struct {
            uint32_t port;          /* host order; IN_PORT, LOCAL or not
                                     * reserved */
            uint32_t queue;
        } enqueue;
        struct {
            uint32_t id;            /* the conj_id it completes */
            uint8_t clause;         /* k: 1..n_clauses */
            uint8_t n_clauses;      /* n: FLOW_CONJ_MIN..FLOW_CONJ_MAX */
        } conj;
        struct {
            uint8_t n;              /* actions after it that are its body */
        } clone;
        struct {
            uint8_t table;          /* the learned flow's table */
            uint8_t n;              /* LEARN_SPEC actions after it */
            uint16_t priority;
            uint16_t idle_timeout;
            uint16_t hard_timeout;
        } learn;
        struct {
            uint16_t fin_idle_timeout;
            uint16_t fin_hard_timeout;
        } learn_fin;
        struct {
            uint16_t zone;          /* when dst.n_bits == 0 */
            uint8_t table;          /* FLOW_CT_TABLE_NONE: no recirculation */
            uint8_t flags;          /* FLOW_CT_F_* */
            uint8_t n_exec;         /* actions after it in exec() */
        } ct;
        uint32_t mpls;              /* SET_MPLS_*: host order, in range */
        uint16_t pkt_len;           /* CHECK_PKT_LARGER: bytes */
        uint32_t ptype;             /* DECAP, ENCAP: host order FLOW_PT */
        struct {
            uint32_t collector_set_id;
            uint32_t obs_domain_id;
        } sample;
        struct {
            uint16_t max_link;      /* n_links - 1 */
            uint8_t fields;         /* enum flow_hash_fields */
            uint8_t algorithm;      /* FLOW_MP_* */
            uint32_t arg;
        } multipath;
        struct {
            uint16_t n_members;     /* 1.. */
            uint8_t fields;         /* enum flow_hash_fields */
            uint8_t algorithm;      /* FLOW_BD_* */
        } bundle;
        uint32_t members[2];        /* the ARGS after a BUNDLE; a last
                                     * odd one leaves [1] zero */
        struct {                    /* the ARGS after a SAMPLE */
            uint32_t obs_point_id;
            uint32_t sampling_port; /* FLOW_PORT_ANY: none */
        } sample_more;
        struct {
            uint16_t len;           /* bytes, as Open vSwitch pads them:
                                     * 6, 14, 22... (FLOW_NOTE_MAX) */
            uint8_t n;              /* NOTE_DATA actions after it:
                                     * len / 8 rounded up */
        } note;
        uint8_t bytes[8];           /* NOTE_DATA */
    } u;
};

/* sample(...)'s direction (pad0 of the FLOW_ACT_ARGS after it). */
#define FLOW_SAMPLE_DEFAULT         0u
#define FLOW_SAMPLE_INGRESS         1u
#define FLOW_SAMPLE_EGRESS          2u

/* The fields multipath and bundle hash (Open vSwitch's numbering). */
enum flow_hash_fields {
    FLOW_HASH_ETH_SRC,
    FLOW_HASH_SYMMETRIC_L4,
    FLOW_HASH_SYMMETRIC_L3L4,
    FLOW_HASH_SYMMETRIC_L3L4_UDP,
    FLOW_HASH_NW_SRC,
    FLOW_HASH_NW_DST,
    FLOW_HASH_SYMMETRIC_L3,
};
#define FLOW_MP_MODULO_N        0u
#define FLOW_MP_HASH_THRESHOLD  1u
#define FLOW_MP_HRW             2u
#define FLOW_MP_ITER_HASH       3u
#define FLOW_BD_ACTIVE_BACKUP   0u
#define FLOW_BD_HRW             1u

/* How many FLOW_ACT_ARGS follow @a and belong to it (skipped with it by
 * every reader of an action list). */
static inline unsigned
flow_action_n_args(const struct flow_action *a)
{
    if (a->type == FLOW_ACT_BUNDLE)
        return (a->u.bundle.n_members + 1u) / 2u;
    return a->type == FLOW_ACT_SAMPLE ? 1u : 0u;
}

struct flow {
    struct flow_match match;
    uint64_t cookie;
    uint16_t priority;      /* higher is matched first */
    uint8_t table_id;       /* 0..254; FLOW_TABLE_ALL only in a mod/del */
    uint8_t n_actions;      /* 0: drop */
    uint16_t idle_timeout;  /* seconds, 0: none */
    uint16_t hard_timeout;
    uint16_t flags;         /* FLOW_F_*: kept and shown in dumps */
    uint16_t importance;    /* OpenFlow 1.4 eviction importance: kept and
                             * shown, not acted on (snic evicts nothing) */
    struct flow_action actions[FLOW_MAX_ACTIONS];
};

/* struct flow's flags, as ovs-ofctl spells them in a line and a dump. */
#define FLOW_F_SEND_FLOW_REM    0x1u    /* send_flow_rem: a removal is
                                         * reported to controllers */
#define FLOW_F_CHECK_OVERLAP    0x2u    /* check_overlap: it was added so */

/* A clause flow of a conjunctive match: its actions are conjunction(...)
 * only, notes aside (the parser refuses a mix), and it is never itself
 * the result of a lookup. */
static inline bool
flow_actions_are_conjunction(const struct flow_action *a, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (a[i].type == FLOW_ACT_CONJUNCTION)
            return true;
        if (a[i].type != FLOW_ACT_NOTE && a[i].type != FLOW_ACT_NOTE_DATA)
            return false;
    }
    return false;
}

static inline bool
flow_is_conjunction(const struct flow *f)
{
    return flow_actions_are_conjunction(f->actions, f->n_actions);
}

/* *@dst = *@src, reading only @src's own actions (a flow table entry's
 * flow ends there); @dst's other actions are zeroed. */
void flow_copy(struct flow *dst, const struct flow *src);

/* Same rule (match, priority, table, cookie, timeouts, flags, importance,
 * actions)? */
bool flow_equal(const struct flow *a, const struct flow *b);

/* ------------------------------------------------------------------------
 * Match helpers (flow_match.c)
 * ------------------------------------------------------------------------ */

/* The match that matches everything. */
void flow_match_init_catchall(struct flow_match *m);

/* Clear value bits outside the mask. The parser's output is normalised. */
void flow_match_normalise(struct flow_match *m);

/* Does a packet with @key match @m? (With flow_match_imply_eth()'s
 * packet_type, when @m has none.) */
bool flow_match_key(const struct flow_match *m, const struct flow_key *key);

/* Open vSwitch's Ethernet prerequisite: a match on dl_src, dl_dst,
 * vlan_tci or dl_type without packet_type matches Ethernet packets only.
 * This makes it say so (packet_type=(0,0) added to the mask): what a
 * classifier that compares masked bits needs. The parser leaves it out,
 * as Open vSwitch prints it. */
void flow_match_imply_eth(struct flow_match *m);

/* Identical matches (OpenFlow "strict"): same mask, same value. */
bool flow_match_identical(const struct flow_match *a,
                          const struct flow_match *b);

/* Is @specific at least as specific as @general, i.e. does every packet that
 * matches @specific also match @general? (OpenFlow "loose" mod/del.) */
bool flow_match_covers(const struct flow_match *general,
                       const struct flow_match *specific);

/* Can one packet match both? */
bool flow_match_overlaps(const struct flow_match *a,
                         const struct flow_match *b);

/* Prerequisites the match guarantees, for checking fields and actions. */
bool flow_match_is_ipv4(const struct flow_match *m);
bool flow_match_is_ipv6(const struct flow_match *m);
bool flow_match_is_arp(const struct flow_match *m);
/* IPv4 or IPv6 with exactly @proto (IPPROTO_TCP...). */
bool flow_match_is_ip_proto(const struct flow_match *m, uint8_t proto);
/* dl_type 0x8847 or 0x8848 exactly. */
bool flow_match_is_mpls(const struct flow_match *m);
/* Guarantees an 802.1Q tag (CFI bit matched as 1). */
bool flow_match_is_tagged(const struct flow_match *m);
/* The ICMPv6 type (135: solicitation, 136: advertisement) whose Neighbor
 * Discovery fields @m's key holds in the bytes they share (struct
 * flow_key), or 0: icmp6 with that icmp_type exact and icmp_code 0 or
 * not matched, as Open vSwitch's prerequisites have it. */
unsigned flow_match_nd_type(const struct flow_match *m);

/* A match field whose prerequisite the match lacks, or NULL when every field
 * is consistent. The string is the ovs-ofctl field name. */
const char *flow_match_prereq_error(const struct flow_match *m,
                                    const char **hint);

/* ------------------------------------------------------------------------
 * Registers and metadata (flow_meta.c)
 * ------------------------------------------------------------------------ */

/* Width in bits of a field (enum flow_field_id), 0 for an unknown one. */
unsigned flow_field_width(unsigned field);
/* reg0, xreg3, metadata... / NXM_NX_REG0, OXM_OF_PKT_REG3,
 * OXM_OF_METADATA... Like snprintf. */
int flow_field_name(unsigned field, char *buf, size_t size);
int flow_field_nxm_name(unsigned field, char *buf, size_t size);
/* The field either name spells (exactly), or FLOW_FIELD_NONE. */
unsigned flow_field_by_name(const char *s, size_t len);
/* A field's value as v[0] (low 64 bits), v[1] (high). */
void flow_field_get(const struct flow_meta *m, unsigned field,
                    uint64_t v[2]);
/* Set the bits of @field that @mask has to @v's. */
void flow_field_set(struct flow_meta *m, unsigned field, const uint64_t v[2],
                    const uint64_t mask[2]);
/* A subfield's bits, shifted down to bit 0 / written from bit 0. */
void flow_subfield_get(const struct flow_meta *m,
                       const struct flow_subfield *sf, uint64_t v[2]);
void flow_subfield_set(struct flow_meta *m, const struct flow_subfield *sf,
                       const uint64_t v[2]);
/* A subfield of any field, the tunnel fields included, of a key (the
 * tunnel fields in the key's tun_id/tun_src/tun_dst, network order). */
void flow_key_subfield_get(const struct flow_key *k,
                           const struct flow_subfield *sf, uint64_t v[2]);
void flow_key_subfield_set(struct flow_key *k, const struct flow_subfield *sf,
                           const uint64_t v[2]);
/* A subfield inside its field; an action's subfields and value
 * consistent (what the parser guarantees, for flows built by hand). */
bool flow_subfield_valid(const struct flow_subfield *sf);
/* Whether @sf covers vlan_tci's CFI bit (bit 12, "tagged": a write there
 * pushes or pops a tag in Open vSwitch), and whether a load of @value
 * into @sf leaves that bit set (or does not cover it). */
bool flow_subfield_has_cfi(const struct flow_subfield *sf);
bool flow_tci_load_keeps_tag(const struct flow_subfield *sf, uint64_t value);
bool flow_action_fields_valid(const struct flow_action *a);
/* Header fields as subfields (flow_hdr.c): Open vSwitch's NXM/OXM fields
 * of the packet's headers that load, move, push, pop, output:FIELD and
 * set_field name. Width in bits (0: not a header field), the name
 * set_field and dumps use (ip_src), the NXM name subfields print
 * (NXM_OF_IP_SRC), the field any of its names spells (FLOW_FIELD_NONE:
 * none), and whether an action may write it (eth_type, nw_proto are
 * read-only, as in Open vSwitch). */
unsigned flow_hdr_width(unsigned field);
int flow_hdr_name(unsigned field, char *buf, size_t size);
int flow_hdr_nxm_name(unsigned field, char *buf, size_t size);
unsigned flow_hdr_by_name(const char *s, size_t len);
bool flow_hdr_writable(unsigned field);
/* Width of any field a subfield names: register-like or header. */
unsigned flow_subfield_width(unsigned field);
/* NXM_NX_REG0[], NXM_NX_REG0[5], NXM_NX_REG0[0..15]. Like snprintf. */
int flow_subfield_format(const struct flow_subfield *sf, char *buf,
                         size_t size);

/* ------------------------------------------------------------------------
 * Tunnel metadata: tun_metadata0..63 (flow_tun_md.c)
 * ------------------------------------------------------------------------ */

/* The switch's TLV map (snicctl add-tlv-map): option index -> Geneve
 * class, type and length (bytes, 0: unmapped), and the slots it gives
 * them: layout.tun_md_slot[] is what every packet starts with (the rest of
 * layout is zero). */
struct flow_tlv_map {
    struct flow_meta layout;
    uint16_t opt_class[FLOW_TUN_MD_N];
    uint8_t type[FLOW_TUN_MD_N];
    uint8_t len[FLOW_TUN_MD_N];
};

void flow_tlv_map_init(struct flow_tlv_map *map);
/* Map option @index: 0, -EINVAL (index, or a length not 4..16 in steps of
 * 4), -EEXIST (the index is mapped), -EADDRINUSE (class and type are),
 * -ENOSPC (no FLOW_TUN_MD_SLOTS room left). */
int flow_tlv_map_add(struct flow_tlv_map *map, unsigned index,
                     uint16_t opt_class, uint8_t type, unsigned len);
/* 0 or -ENOENT (not mapped). */
int flow_tlv_map_del(struct flow_tlv_map *map, unsigned index);

/* Option @index of @m (a packet's metadata): its length in bytes (0: no
 * slot), its value (zero when absent), and a write of @mask's bits of @v
 * (which makes it present; nothing without a slot). */
unsigned flow_tun_md_len(const struct flow_meta *m, unsigned index);
void flow_tun_md_get(const struct flow_meta *m, unsigned index,
                     uint64_t v[2]);
void flow_tun_md_set(struct flow_meta *m, unsigned index, const uint64_t v[2],
                     const uint64_t mask[2]);
/* A match on option @index, laid out as the parser does (in free slots,
 * as many as the mask's significant bytes take; a mask of all ones over
 * them, or none, is the whole option): -EEXIST when @m has it already,
 * -ENOSPC when the slots are full. */
int flow_tun_md_match_add(struct flow_match *m, unsigned index,
                          const uint64_t v[2], const uint64_t mask[2]);
/* Match @mask's bits of option @index in the slots @layout gives it
 * (a learned flow: the packet's own layout); -ENOENT without a slot. */
int flow_tun_md_match_bits(struct flow_match *m, unsigned index,
                           const struct flow_meta *layout,
                           const uint64_t v[2], const uint64_t mask[2]);
/* The match on option @index, if @m has one: value, mask and whether it is
 * on the whole option (printed without a mask). */
bool flow_tun_md_match_get(const struct flow_match *m, unsigned index,
                           uint64_t v[2], uint64_t mask[2], bool *exact);
/* The tun_metadata options @f matches or names (bit N: option N). */
uint64_t flow_tun_md_used(const struct flow *f);
/* Fit @f to @map, as a switch does before it takes a flow: every
 * tun_metadata field it names must be mapped (-ENOENT) and every bit it
 * names inside the mapped length (-ERANGE; a whole field is the mapped
 * length, and a move's two sides must then agree, -EINVAL); its match
 * then moves into the map's slots. On error @msg says what is wrong and
 * @f is unchanged. */
int flow_tun_md_check(struct flow *f, const struct flow_tlv_map *map,
                      char *msg, size_t size);

/* ------------------------------------------------------------------------
 * The ovs-ofctl flow language (flow_parse*.c, flow_format.c)
 * ------------------------------------------------------------------------ */

enum flow_cmd {
    FLOW_CMD_ADD,
    FLOW_CMD_MODIFY,        /* loose */
    FLOW_CMD_MODIFY_STRICT,
    FLOW_CMD_DELETE,        /* loose */
    FLOW_CMD_DELETE_STRICT,
};

#define FLOW_MOD_RESET_COUNTS   0x1u    /* replace/modify zero the counters */
#define FLOW_MOD_CHECK_OVERLAP  0x2u    /* add fails on an overlapping flow */

/* One parsed line. For modify/delete without table=, flow.table_id is
 * FLOW_TABLE_ALL; without priority=, strict commands use the default
 * priority and loose ones ignore it. */
struct flow_mod {
    enum flow_cmd cmd;
    struct flow flow;
    uint64_t cookie_mask;   /* mod/del: only flows with
                             * (cookie & mask) == (flow.cookie & mask) */
    uint32_t out_port;      /* delete: only flows that output there;
                             * FLOW_PORT_ANY: no filter */
    uint32_t flags;         /* FLOW_MOD_* */
    /* a learned add (flow_learn_build()) from learn(limit=N): N, else 0;
     * flow_table_learn() adds it only while the table holds fewer than N
     * flows with its cookie */
    uint32_t learn_limit;
    /* a learned add: what the datapath decided at packet time
     * (enum flow_learn_mode, include/snic/dp.h "learn") */
    uint32_t learn_mode;
};

/* flow_table_learn()'s answer to a learned add, as the datapath worker
 * decided it when the packet ran the learn (and told the packet, through
 * result_dst): */
enum flow_learn_mode {
    FLOW_LEARN_CHECK = 0,       /* decide here (learn_limit) */
    FLOW_LEARN_RESERVED,        /* the worker took room under the limit:
                                 * add without counting again */
    FLOW_LEARN_REFRESH,         /* the worker saw this very flow in the
                                 * table: refresh it; if it has gone
                                 * since, add nothing (-ENOENT) */
};

/* Port names. name_to_port returns 0 and sets *port, or -ENOENT. It sees
 * names only (numbers are taken as they are). port_to_name (optional)
 * returns a name for formatting, or NULL to print the number. */
struct flow_port_map {
    int (*name_to_port)(void *ctx, const char *name, uint32_t *port);
    const char *(*port_to_name)(void *ctx, uint32_t port);
    void *ctx;
};

#define FLOW_ERROR_MSG_SIZE     320u

struct flow_error {
    int code;               /* negative errno, same as the return value */
    size_t pos;             /* byte offset of the offending token */
    size_t len;             /* its length (0 at end of input) */
    /* "flow: at POS 'TOKEN': what is wrong (what would be right)" */
    char msg[FLOW_ERROR_MSG_SIZE];
};

/*
 * Parse one ovs-ofctl line for command @cmd. @ports may be NULL (only
 * numeric ports then). Returns 0 and fills *out, or a negative errno
 * (-EINVAL malformed or inconsistent, -ERANGE value out of range, -ENOENT
 * unknown port, -ENOTSUP valid OpenFlow that snic does not do, -E2BIG
 * more than FLOW_MAX_ACTIONS actions) and fills
 * *err (if not NULL) leaving *out untouched.
 *
 * `duration`, `n_packets` and `n_bytes` are accepted and ignored when
 * adding, so dump-flows output can be fed back (as ovs-ofctl does).
 */
int flow_parse(const char *line, enum flow_cmd cmd,
               const struct flow_port_map *ports, struct flow_mod *out,
               struct flow_error *err);

/* Room that always suffices for flow_format() / flow_entry_format(). */
#define FLOW_FORMAT_MAX         4096u

/*
 * Write @f as an add-flow line in canonical order, e.g.
 *   "cookie=0x0, table=0, priority=100,tcp,in_port=vf0,tp_dst=80
 *    actions=output:uplink"
 * like snprintf: returns the length it needs (excluding the NUL), always
 * NUL-terminates when @size > 0. @ports may be NULL.
 */
int flow_format(const struct flow *f, const struct flow_port_map *ports,
                char *buf, size_t size);

/* Only the action list ("drop", "output:1,dec_ttl"...). */
int flow_format_actions(const struct flow *f,
                        const struct flow_port_map *ports,
                        char *buf, size_t size);

/* ------------------------------------------------------------------------
 * learn (flow_learn.c)
 * ------------------------------------------------------------------------ */

/* Width in bits of a field a learn spec may name (register-like or
 * header), 0 for none. */
unsigned flow_learn_field_width(unsigned field);
/* Open vSwitch's NXM name (NXM_OF_ETH_SRC) / short name (eth_src) of any
 * such field; the field either spells, or FLOW_FIELD_NONE. */
int flow_learn_field_nxm_name(unsigned field, char *buf, size_t size);
int flow_learn_field_name(unsigned field, char *buf, size_t size);
unsigned flow_learn_field_by_name(const char *s, size_t len);
/* The subfield @sf of @key (header, tunnel or register bits). */
void flow_learn_subfield_get(const struct flow_key *key,
                             const struct flow_subfield *sf, uint64_t v[2]);
/* learn's specs consistent (what the parser guarantees): @a is a
 * FLOW_ACT_LEARN followed by @a->u.learn.n specs. */
bool flow_learn_valid(const struct flow_action *a);
/*
 * The flow the learn action @a (a FLOW_ACT_LEARN and its specs) makes of a
 * packet whose key is @key (as the actions before it left it), as an add
 * into *@out (FLOW_CMD_ADD). 0, or -E2BIG past FLOW_MAX_ACTIONS.
 */
int flow_learn_build(const struct flow_action *a, const struct flow_key *key,
                     struct flow_mod *out);
/* A 64-bit fingerprint of everything flow_equal() compares (the match
 * normalised): equal flows have equal fingerprints. */
uint64_t flow_fingerprint(const struct flow *f);
/* The learn's result_dst spec (FLOW_LEARN_RESULT), or NULL. */
const struct flow_action *flow_learn_result(const struct flow_action *a);

/* ------------------------------------------------------------------------
 * The flow table (flow_table.c)
 * ------------------------------------------------------------------------ */

struct flow_table;

/* A flow table entry's rule: struct flow's fields but its match, which
 * the entry keeps compact (below). */
struct flow_entry_rule {
    uint64_t cookie;
    uint16_t priority;
    uint8_t table_id;
    uint8_t n_actions;
    uint16_t idle_timeout;
    uint16_t hard_timeout;
    uint16_t flags;
    uint16_t importance;
    /* Not the rule's: a word the table's owner keeps with the flow
     * (flow_table_set_aux()), which the table copies with the entry and
     * otherwise never reads. snicd keeps its software datapath's counter
     * slot here, so that listing a million flows reads their counters
     * without a lookup by id. In the 4 bytes the actions' alignment
     * leaves free: it costs no memory. */
    uint32_t aux;
    struct flow_action actions[FLOW_MAX_ACTIONS];
};

/* The 64-bit words of struct flow_key: a compact match has a bit each. */
#define FLOW_KEY_WORDS          (sizeof(struct flow_key) / sizeof(uint64_t))

/* A flow table entry keeps what a million flows can afford: its rule's
 * actions and no more (@flow is the last member, and the entry's rule
 * ends after flow.actions[flow.n_actions - 1]), and of its match only
 * the words of struct flow_key whose mask is not zero (a five-tuple flow
 * matches 4 of 31): @match_map has bit i set for word i, and the words
 * follow the last action, @n_match_words values then as many masks, in
 * word order (flow_entry_match_words()). Read only the actions there
 * are; get the match with flow_entry_match() or the whole flow with
 * flow_entry_flow(), and never copy an entry by assignment. */
struct flow_entry {
    uint64_t id;            /* unique, never reused; survives replace/modify */
    uint64_t created_ns;    /* add, or the add that replaced it */
    uint64_t used_ns;       /* last time counters grew (idle timeout) */
    uint64_t n_packets;     /* hardware + software, merged by the daemon */
    uint64_t n_bytes;
    uint32_t match_map;     /* bit i: the mask's word i is not zero */
    uint32_t n_match_words; /* bits in match_map */
    struct flow_entry_rule flow;    /* last: cut after its actions, and
                                     * the match words after them */
};

_Static_assert(sizeof(struct flow_key) % sizeof(uint64_t) == 0
               && sizeof(struct flow_key) / sizeof(uint64_t) <= 32,
               "a compact match has a bit of match_map a key word");

/* @e's match words: n_match_words values, then as many masks. */
static inline const uint64_t *
flow_entry_match_words(const struct flow_entry *e)
{
    return (const uint64_t *)(const void *)(e->flow.actions
                                            + e->flow.n_actions);
}

/* Bytes of an entry holding @f (normalised), with room for @room >=
 * f->n_actions actions. */
size_t flow_entry_size(const struct flow *f, unsigned room);
/* @f (normalised) into @e, which has flow_entry_size(f, room) bytes with
 * room >= f->n_actions; the entry's other fields are left alone. */
void flow_entry_set_flow(struct flow_entry *e, const struct flow *f);
/* The actions of @e become @n of @a (the entry has room for them: the
 * match words move behind them). */
void flow_entry_set_actions(struct flow_entry *e, const struct flow_action *a,
                            unsigned n);
/* Bytes @e takes as it is (its own actions, its match words). */
size_t flow_entry_bytes(const struct flow_entry *e);
/* @e's match, whole (normalised). */
void flow_entry_match(const struct flow_entry *e, struct flow_match *m);
/* @e's flow, whole (the actions past its own zero). */
void flow_entry_flow(const struct flow_entry *e, struct flow *f);
/* Is @e's match identical to @m (normalised)? */
bool flow_entry_match_is(const struct flow_entry *e,
                         const struct flow_match *m);
/* Does @general (normalised) cover @e's match, as flow_match_covers()? */
bool flow_entry_covered_by(const struct flow_entry *e,
                           const struct flow_match *general);
/* Do @a and @b have identical matches? */
bool flow_entry_same_match(const struct flow_entry *a,
                           const struct flow_entry *b);
/* The compact form of @m (normalised): its map, and n values then n
 * masks in @w (room for 2 * FLOW_KEY_WORDS); returns n. */
unsigned flow_match_pack(const struct flow_match *m, uint32_t *map,
                         uint64_t *w);
/* The key whose word i, for each bit i of @map in order, is the next of
 * @w, and zero elsewhere: a packed match's values (@w) or masks (@w +
 * its n) back whole. */
void flow_key_unpack(struct flow_key *k, uint32_t map, const uint64_t *w);

enum flow_change_kind {
    FLOW_CHANGE_ADDED,
    FLOW_CHANGE_MODIFIED,   /* actions, cookie or timeouts changed; same id */
    FLOW_CHANGE_REMOVED,
    /* A delete that selects every flow of a table (no match, cookie or
     * out_port filter) took them all at once: reported once, in place of a
     * REMOVED per flow, with an entry that holds only flow.table_id (the
     * table, or FLOW_TABLE_ALL: every table). A listener drops what it
     * holds for those flows whole; the counters it had are gone with them
     * (reason DELETE). */
    FLOW_CHANGE_CLEARED,
};

enum flow_removed_reason {
    FLOW_REMOVED_NONE,          /* not a removal */
    FLOW_REMOVED_DELETE,
    FLOW_REMOVED_IDLE_TIMEOUT,
    FLOW_REMOVED_HARD_TIMEOUT,
    FLOW_REMOVED_FLUSH,         /* flow_table_destroy() */
};

/* Called after each change, with the entry as it now is (for a removal: as
 * it was, with its last counters; the pointer dies when the callback
 * returns). Must not modify the table. */
typedef void flow_change_fn(void *ctx, enum flow_change_kind kind,
                            const struct flow_entry *e,
                            enum flow_removed_reason reason);

/* Caller must exclude concurrent modifiers and readers (single writer). */

/* NULL and errno = ENOMEM on failure. @fn may be NULL. */
struct flow_table *flow_table_create(flow_change_fn *fn, void *ctx);
/* Reports every flow as REMOVED (FLUSH), then frees. NULL is a no-op. */
void flow_table_destroy(struct flow_table *t);

/*
 * Apply a parsed add/modify/delete at time @now_ns. Returns the number of
 * flows added, modified or removed (an add that replaces counts 1), or a
 * negative errno with nothing changed. A loose delete with no match,
 * cookie or out_port filter empties its table (or every table) in one
 * pass and tells the listener once (FLOW_CHANGE_CLEARED); a transaction
 * undoes it like any other change. Errors:
 *   -EINVAL  malformed mod (add to FLOW_TABLE_ALL, goto_table backwards...)
 *   -EEXIST  add with FLOW_MOD_CHECK_OVERLAP and an overlapping flow
 *   -ENOMEM
 */
int flow_table_apply(struct flow_table *t, const struct flow_mod *fm,
                     uint64_t now_ns);

/*
 * Transactions: several flow_table_apply() calls that take effect together
 * or not at all. Between begin and commit/rollback every change is
 * reported as usual; flow_table_rollback() undoes them in reverse order,
 * reporting each undo as a change (a flow added goes as REMOVED with
 * FLOW_REMOVED_DELETE, a flow removed comes back ADDED with its id and
 * counters, a modified one is MODIFIED back) and cannot fail. Ids taken
 * by rolled-back adds are not reused. Expiry does nothing while a
 * transaction is open. begin: -EBUSY if one is open already.
 */
int flow_table_begin(struct flow_table *t);
void flow_table_commit(struct flow_table *t);
void flow_table_rollback(struct flow_table *t);

/* Merge counters reported by hardware + software: the totals, not deltas.
 * A growth marks the flow used at @now_ns. -ENOENT for an unknown id. */
int flow_table_set_stats(struct flow_table *t, uint64_t id,
                         uint64_t n_packets, uint64_t n_bytes,
                         uint64_t now_ns);

/* A flow made by a learn action (flow_learn_build()): added as an add
 * adds it; when the table already has this very flow (same match,
 * priority, table, actions, cookie, timeouts), nothing changes but its
 * hard timeout, which starts again, as Open vSwitch refreshes a learned
 * flow (no change is reported: the datapath and the card keep it as it
 * is). With @fm->learn_limit N (learn(limit=N)), a flow that is not
 * already there is added only while its table holds fewer than N flows
 * with its cookie, as Open vSwitch counts them (every flow of that table
 * and cookie, learned or not); else -ENOSPC and nothing changes. What the
 * datapath decided comes first (@fm->learn_mode): a flow it reserved
 * room for is added without that count, and one it saw there is only
 * refreshed (-ENOENT when it has gone). Returns 1 (added or replaced), 0
 * (refreshed) or a negative errno as flow_table_apply(). */
int flow_table_learn(struct flow_table *t, const struct flow_mod *fm,
                     uint64_t now_ns);

/* fin_timeout on flow @id: each of its idle and hard timeouts that is 0
 * (none) or longer than the non-zero @idle / @hard becomes it (the hard
 * timeout still counts from the flow's add), as Open vSwitch shortens a
 * flow that saw a TCP FIN or RST. Reported as MODIFIED when it changed.
 * 1 changed, 0 unchanged, -ENOENT. */
int flow_table_fin_timeout(struct flow_table *t, uint64_t id, uint16_t idle,
                           uint16_t hard);

/* Remove every flow whose idle or hard timeout has passed at @now_ns
 * (reported as REMOVED with the reason). Returns how many. If @ids is not
 * NULL, the first @max removed ids are stored there. */
size_t flow_table_expire(struct flow_table *t, uint64_t now_ns,
                         uint64_t *ids, size_t max);

/* Earliest time a timeout may fire, or UINT64_MAX if no flow has one.
 * Both look at the flows with a timeout only. */
uint64_t flow_table_next_expiry(const struct flow_table *t);

/* Flows with an idle or hard timeout. */
size_t flow_table_count_timed(const struct flow_table *t);

/* The counters of the flows with a timeout (the only ones whose counters
 * decide anything in the table: their idle timeout), a slice at a time so
 * a daemon can spread it over its turns: from *@cursor (0 starts a pass)
 * at most @max flows, each asked for its totals through @fn (*packets,
 * *bytes hold the table's and take the new ones), marked used at @now_ns
 * when they grew. Returns how many were done; the pass is over when
 * *@cursor >= flow_table_count_timed(). A flow added or removed during a
 * pass may be missed by it or met twice (its next pass sees it). */
typedef void flow_counts_fn(void *ctx, const struct flow_entry *e,
                            uint64_t *n_packets, uint64_t *n_bytes);
size_t flow_table_refresh_timed(struct flow_table *t, size_t *cursor,
                                size_t max, flow_counts_fn *fn, void *ctx,
                                uint64_t now_ns);

const struct flow_entry *flow_table_find(const struct flow_table *t,
                                         uint64_t id);
/* Set @e's aux word (struct flow_entry_rule); @e is one of @t's entries,
 * as its find, walk or listener gave it. It stays with the flow through
 * replace, modify and moves, and a rollback of those or of its delete
 * gives the flow back with the word it had then (not an undo record of
 * its own: set it outside transactions, as snicd does after each). */
void flow_table_set_aux(struct flow_table *t, const struct flow_entry *e,
                        uint32_t aux);
size_t flow_table_count(const struct flow_table *t, unsigned table_id);
/* How many flows have left the table so far, for any reason. An entry
 * pointer stays valid while this has not moved (replace and modify
 * change an entry in place): a long walk spread over time (dump-flows)
 * uses its pointers while nothing left, and looks them up by id once
 * something did. */
uint64_t flow_table_removals(const struct flow_table *t);

/* Visit flows of @table_id (FLOW_TABLE_ALL: all) by table, priority
 * (highest first), then id. Stops when @fn returns non-zero, and returns
 * that value. -ENOMEM if the ordering could not be built. */
typedef int flow_visit_fn(void *ctx, const struct flow_entry *e);
int flow_table_walk(const struct flow_table *t, unsigned table_id,
                    flow_visit_fn *fn, void *ctx);
/* The flows of @table_id whose cookie is @cookie, in no order: @fn (may
 * be NULL) on each; returns how many there are. */
size_t flow_table_cookie_flows(const struct flow_table *t, unsigned table_id,
                               uint64_t cookie, flow_visit_fn *fn,
                               void *ctx);

/* Reference classifier: the highest-priority flow of @table_id matching
 * @key (ties: the oldest id), or NULL (a table miss drops), with the
 * conjunctive matches of clause flows resolved as described under
 * "Action semantics" (a clause flow is never returned). Linear. */
const struct flow_entry *flow_table_lookup(const struct flow_table *t,
                                           unsigned table_id,
                                           const struct flow_key *key);

/* dump-flows line with statistics:
 *   "cookie=0x0, duration=1.250s, table=0, n_packets=3, n_bytes=180, ..."
 * (flow_parse accepts it back). Same return convention as flow_format. */
int flow_entry_format(const struct flow_entry *e, uint64_t now_ns,
                      const struct flow_port_map *ports,
                      char *buf, size_t size);
/* The same with these counters instead of the entry's (a daemon that
 * reads them when it lists the flow). */
int flow_entry_format_counts(const struct flow_entry *e, uint64_t n_packets,
                             uint64_t n_bytes, uint64_t now_ns,
                             const struct flow_port_map *ports, char *buf,
                             size_t size);

#endif /* SNIC_FLOW_H */
