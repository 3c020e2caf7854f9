# SPDX-License-Identifier: BSD-3-Clause
"""Packet-type rounds of the differential test against Open vSwitch
(ovsdiff.py): random tables of decap(), encap(ethernet) and packet_type
matches. Table 0 decaps (or not) frames of several EtherTypes, tagged or
not, with outputs before and after, and goes on to table 1 (goto_table or
resubmit), whose flows match packet_type=(1,T) with IP fields under it,
Ethernet fields (which an L3 packet never meets) or neither, and put the
Ethernet header back, output the bare packet (which no port takes), or
decap again (which fails the packet whole).

Every flow is sent as OpenFlow 1.3: Open vSwitch has no OpenFlow 1.0
encoding of decap and encap. MPLS: encap(mpls) / encap(mpls_mc) on the
bare IP packet with an MPLS rewrite, and frames of one or two entries
decapped to IPv4 or MPLS. Left out (docs/ovs-differences.md): VLAN
actions after a decap, LLC frames, NSH frames, decap() of MPLS without a
packet type, rewrites after decap that the match does not promise (Open
vSwitch's OpenFlow 1.3 check refuses them).
"""
import struct

import ovsdiff_gen as g

PORTS = g.PORTS
OPAQUE = 0x88b5


def _frame(rnd, mpls):
    """(in_port, frame): IPv4 TCP/UDP, IPv6, ARP or an opaque EtherType,
    a fifth of them with an 802.1Q tag; with @mpls, some MPLS frames."""
    r = rnd.random()
    tci = None if rnd.random() < 0.8 else rnd.choice([5, 0x2064])
    src, dst = rnd.choice(g.MACS[:3]), rnd.choice(g.MACS)
    if r < 0.45:
        sport, dport = rnd.choice([(1000, 80), (53, 53), (80, 443)])
        if rnd.random() < 0.5:
            f = g._tcp4(sport, dport, 0x18)
        else:
            f = g._udp4(sport, dport)
        body, typ = f[14:], g.ETH_IP
    elif r < 0.65:
        body, typ = g._icmp6(128, 0)[14:], g.ETH_IP6
    elif r < 0.8:
        body, typ = g._arp4()[14:], g.ETH_ARP
    elif r < 0.9 or not mpls:
        body, typ = b"opaque payload 0123456789" + bytes(rnd.randrange(9)), \
            OPAQUE
    else:
        # IPv4 under one or two MPLS entries (the last one the bottom)
        ip = g._udp4(53, 53)[14:]
        n = rnd.choice([1, 1, 2])
        stack = b"".join(struct.pack("!I", rnd.choice([2, 3, 100]) << 12
                                     | rnd.randrange(8) << 9
                                     | int(i == n - 1) << 8
                                     | rnd.choice([64, 1, 9]))
                         for i in range(n))
        body, typ = stack + ip, 0x8847
    return rnd.choice(PORTS), g._eth(typ, body, src=src, dst=dst, tci=tci)


def _match0(rnd):
    """(match, protocol promised): "ip", "tcp"... or None."""
    return rnd.choice([("ip", "ip"), ("tcp", "tcp"), ("udp", "udp"),
                       ("arp", None), ("ipv6", None),
                       ("dl_type=0x%04x" % OPAQUE, None),
                       ("in_port=%d" % rnd.choice(PORTS), None),
                       ("dl_src=%s" % rnd.choice(g.MACS[:3]), None),
                       ("dl_vlan=5", None), ("mpls", "mpls")])


def _after_decap(rnd, proto):
    """Rewrites Open vSwitch's check allows after a decap under a match
    promising @proto."""
    acts = []
    if proto is not None and rnd.random() < 0.4:
        acts.append(rnd.choice(["mod_nw_dst:10.9.9.9", "dec_ttl",
                                "mod_nw_tos:16"]))
    if proto in ("tcp", "udp") and rnd.random() < 0.4:
        acts.append("mod_tp_dst:99")
    return acts


def _out(rnd):
    return "output:%d" % rnd.choice(PORTS)


def _actions0(rnd, proto):
    acts = []
    if rnd.random() < 0.3:
        acts.append(_out(rnd))
    if proto == "mpls":
        # Open vSwitch's system-traffic.at: the stack off to IPv4 (one
        # entry, or the whole stack), or one entry off to MPLS
        acts.append("decap")
        acts.append(rnd.choice(["decap(packet_type(ns=1,type=0x0800))",
                                "decap(packet_type(ns=1,type=0x8847))"]))
        acts += ["encap(ethernet)", _out(rnd)]
        # Open vSwitch recirculates after an MPLS decap: a later failure
        # (in table 1) would keep the outputs before it, where snicd drops
        # the packet whole (docs/ovs-differences.md)
        return ",".join(acts)
    elif rnd.random() < 0.85:
        acts.append("decap()" if rnd.random() < 0.7 else "decap")
        acts += _after_decap(rnd, proto)
        if proto is not None and rnd.random() < 0.3:
            # and an MPLS entry on the bare IP packet
            acts.append("encap(mpls)" if rnd.random() < 0.7
                        else "encap(mpls_mc)")
            acts.append(rnd.choice(["set_mpls_label:%d" % rnd.choice(
                [2, 100]), "set_mpls_tc:5", "dec_mpls_ttl",
                "set_field:7->mpls_ttl"]))
            # and no lookup after it: ovs-vswitchd 3.1 was seen to crash
            # on a resubmit after encap(mpls_mc) into a table that decaps
            if rnd.random() < 0.7:
                acts += ["encap(ethernet)", _out(rnd)]
            return ",".join(acts)
        r = rnd.random()
        if r < 0.25:
            acts.append(_out(rnd))          # no port takes it
        elif r < 0.45:
            acts.append("encap(ethernet)")
            if rnd.random() < 0.5:
                acts.append("mod_dl_dst:%s" % rnd.choice(g.MACS))
            acts.append(_out(rnd))
        elif r < 0.55:
            acts.append(rnd.choice(["ALL", "output:in_port", "NORMAL"]))
    elif rnd.random() < 0.5:
        acts.append("encap(ethernet)")      # fails: already Ethernet
        acts.append(_out(rnd))
    if rnd.random() < 0.6:
        acts.append("goto_table:1" if rnd.random() < 0.5
                    else "resubmit(,1)")
    if not acts:
        acts.append(_out(rnd))
    return ",".join(acts)


def _match1(rnd):
    return rnd.choice([
        "packet_type=(1,0x800)",
        "packet_type=(1,0x800),nw_dst=10.0.0.2",
        "packet_type=(1,0x800),nw_proto=6,tp_dst=80",
        "packet_type=(1,0x800),nw_proto=17",
        "packet_type=(1,0x806)", "packet_type=(1,0x86dd)",
        "packet_type=(1,0x%x)" % OPAQUE,
        "ip", "dl_src=%s" % rnd.choice(g.MACS[:3]), "dl_type=0x%04x" % OPAQUE,
        "in_port=%d" % rnd.choice(PORTS), "reg0=0"])


def _actions1(rnd, match):
    r = rnd.random()
    l3 = match.startswith("packet_type")
    if r < 0.45:
        # an IPv4 rewrite while the match's packet type promises it (after
        # encap(ethernet) Open vSwitch's check no longer does)
        acts = ["mod_nw_src:10.7.7.7"] if l3 and "0x800" in match \
            and rnd.random() < 0.3 else []
        acts.append("encap(ethernet)")
        if rnd.random() < 0.5:
            acts.append("mod_dl_src:%s" % rnd.choice(g.MACS))
        return ",".join(acts + [_out(rnd)])
    if r < 0.65:
        return _out(rnd)
    if r < 0.75:
        return "decap()," + _out(rnd)
    return "%s,encap(ethernet),%s" % (_out(rnd), _out(rnd))


def ptype_case(rnd):
    """A random packet-type flow table (tables 0 and 1) and frames for it;
    every flow sent as OpenFlow 1.3."""
    flows = []
    prios = rnd.sample(range(10, 1000, 10), 30)
    for _ in range(rnd.randint(6, 12)):
        m, proto = _match0(rnd)
        flows.append("table=0,priority=%d,%s actions=%s"
                     % (prios.pop(), m, _actions0(rnd, proto)))
    flows.append("table=0,priority=1 actions=decap(),goto_table:1")
    for _ in range(rnd.randint(5, 10)):
        m = _match1(rnd)
        flows.append("table=1,priority=%d,%s actions=%s"
                     % (prios.pop(), m, _actions1(rnd, m)))
    flows = [("cookie=%d,%s" % (i + 1, f), True)
             for i, f in enumerate(flows)]
    # no MPLS frames here: any flow may decap their Ethernet and send them
    # on to a table that decaps the stack, where Open vSwitch recirculates
    # and keeps the outputs before it when the rest fails (snicd drops the
    # packet whole, docs/ovs-differences.md); the directed round has them
    frames = [_frame(rnd, False) for _ in range(150)]
    return flows, frames


def directed_case():
    """The lines of Open vSwitch's own tests (packet-type-aware.at,
    nsh.at, system-traffic.at) that need no NSH, on IPv4, ARP and MPLS
    frames."""
    flows = [
        "table=0,in_port=1,ip,actions=decap(),goto_table:1",
        "table=0,in_port=2,actions=decap,resubmit(,1)",
        "table=1,priority=3,packet_type=(1,0x800),nw_dst=10.0.0.2,"
        "actions=encap(ethernet),set_field:aa:55:aa:55:00:01->dl_dst,"
        "output:3",
        "table=1,priority=2,packet_type=(1,0x806),actions=encap(ethernet),"
        "output:4",
        "table=1,priority=1,packet_type=(1,0x800),actions=drop",
        # system-traffic.at's MPLS lines
        "table=0,in_port=3,ip,actions=decap,encap(mpls),set_mpls_label:2,"
        "encap(ethernet),mod_dl_dst:36:b1:ee:7c:01:02,"
        "mod_dl_src:36:b1:ee:7c:01:03,output:4",
        "table=0,in_port=4,mpls,mpls_label=2,actions=decap,"
        "decap(packet_type(ns=1,type=0x0800)),encap(ethernet),"
        "mod_dl_dst:36:b1:ee:7c:01:03,mod_dl_src:36:b1:ee:7c:01:02,"
        "output:3",
    ]
    flows = [("cookie=%d,%s" % (i + 1, f), True)
             for i, f in enumerate(flows)]
    frames = []
    for port in (1, 2):
        frames.append((port, g._tcp4(1000, 80, 0x18)))
        frames.append((port, g._udp4(53, 53)))
        frames.append((port, g._arp4()))
        frames.append((port, g._udp4(53, 53, tci=5)))
    frames.append((3, g._udp4(53, 53)))
    frames.append((3, g._tcp4(1000, 80, 0x18)))
    ip = g._udp4(53, 53)[14:]
    for ttl in (64, 1):
        frames.append((4, g._eth(0x8847, struct.pack(
            "!I", 2 << 12 | 3 << 9 | 1 << 8 | ttl) + ip)))
    return flows, frames
