# SPDX-License-Identifier: BSD-3-Clause
"""MPLS rounds of the differential test against Open vSwitch (ovsdiff.py):
random flow tables of push_mpls, pop_mpls, set_mpls_label/tc/ttl,
set_field and load onto the MPLS fields, dec_mpls_ttl, matches on
mpls_label/tc/bos/ttl, resubmits to a table that matches what the actions
left, and frames with 0 to 4 label stack entries (docs/ovs-differences.md
lists what is left out, and why).

The generator follows what each flow's actions leave: `depth` is the
fewest stack entries the packet is sure to have at that point (None: it
may or may not be MPLS), so that a pop to an MPLS EtherType is written
only where the top entry cannot be the bottom one.
"""
import ipaddress
import struct

import ovsdiff_gen as g

PORTS = g.PORTS
MPLS, MPLSM = 0x8847, 0x8848
LABELS = [0, 2, 16, 100, 1048575]


def _lse(label, tc, bos, ttl):
    return struct.pack("!I", label << 12 | tc << 9 | bos << 8 | ttl)


def _inner(rnd):
    """(EtherType, bytes) of a frame's network part: IPv4, IPv6, ARP or
    something else."""
    r = rnd.random()
    if r < 0.5:
        proto = rnd.choice([6, 17, 1])
        seg = struct.pack("!HHHH", 53, 80, 12, 0) + b"abcd" if proto != 6 \
            else struct.pack("!HHIIBBHHH", 80, 443, 1, 0, 0x50, 0x18, 8192,
                             0, 0)
        tos = rnd.choice([0, 0x10, 0xb8, 0xff])
        h, _ = g._ip4(proto, seg, tos=tos,
                      src=rnd.choice(g.IP4), dst=rnd.choice(g.IP4))
        # vary the TTL (byte 8), its checksum fixed
        ttl = rnd.choice([64, 1, 0, 255, 2])
        h = h[:8] + bytes([ttl]) + h[9:10] + b"\0\0" + h[12:]
        h = h[:10] + struct.pack("!H", g.csum(h)) + h[12:]
        return g.ETH_IP, h + seg
    if r < 0.7:
        src = ipaddress.ip_address(rnd.choice(g.IP6)).packed
        dst = ipaddress.ip_address(rnd.choice(g.IP6)).packed
        pay = b"\x00\x35\x00\x50\x00\x0c\x00\x00abcd"
        tc = rnd.choice([0, 0x2e, 0xff])
        return g.ETH_IP6, struct.pack(
            "!IHBB16s16s", 0x60000000 | tc << 20, len(pay), 17,
            rnd.choice([64, 1, 0]), src, dst) + pay
    if r < 0.85:
        return g.ETH_ARP, g._arp4()[14:]
    return 0x88b5, b"opaque payload 0123456789"


def mpls_frame(rnd):
    """(in_port, frame): an MPLS frame of 1 to 3 entries, or a plain one;
    untagged or one 802.1Q tag."""
    etype, body = _inner(rnd)
    if rnd.random() < 0.65:
        # at most 3 entries, the last one the bottom: Open vSwitch's flow
        # holds 3, and past them its datapath follows no rule (a push onto
        # 4 entries sent one of a flow's outputs, an entry lost)
        n = rnd.choice([1, 1, 2, 2, 3])
        stack = b""
        for i in range(n):
            stack += _lse(rnd.choice(LABELS), rnd.randrange(8),
                          int(i == n - 1), rnd.choice([64, 1, 0, 2, 255]))
        etype, body = rnd.choice([MPLS, MPLS, MPLSM]), stack + body
    tci = None if rnd.random() < 0.7 else rnd.choice([5, 0x2064, 0x1fff])
    return rnd.choice(PORTS), g._eth(etype, body,
                                     src=rnd.choice(g.MACS[:3]),
                                     dst=rnd.choice(g.MACS), tci=tci)


def _match(rnd):
    """(match text, depth, EtherType the match promises or None) of a
    flow."""
    r = rnd.random()
    if r < 0.45:
        kw = "mpls" if rnd.random() < 0.8 else "mplsm"
        parts = [kw]
        depth = 1
        if rnd.random() < 0.4:
            parts.append("mpls_label=%d" % rnd.choice(LABELS))
        if rnd.random() < 0.3:
            bos = rnd.randrange(2)
            parts.append("mpls_bos=%d" % bos)
            depth = 2 if bos == 0 else 1
        if rnd.random() < 0.2:
            parts.append("mpls_tc=%d" % rnd.randrange(8))
        if rnd.random() < 0.2:
            parts.append("mpls_ttl=%d" % rnd.choice([64, 1, 0, 2]))
        return ",".join(parts), depth, MPLS if kw == "mpls" else MPLSM
    if r < 0.65:
        kw = rnd.choice(["ip", "ipv6", "arp"])
        return kw, 0, {"ip": g.ETH_IP, "ipv6": g.ETH_IP6,
                       "arp": g.ETH_ARP}[kw]
    if r < 0.8:
        return "in_port=%d" % rnd.choice(PORTS), None, None
    return "dl_src=%s" % rnd.choice(g.MACS[:3]), None, None


# Open vSwitch's MPLS test flow's learn: its sources are checked against
# the EtherType pop_mpls leaves, not the flow's match
LEARN_AFTER_POP = ("learn(table=1,priority=2000,hard_timeout=60,cookie=0x100,"
                   "eth_type=0x800,nw_proto=6,"
                   "OXM_OF_IPV4_SRC[]=OXM_OF_IPV4_DST[])")


def _actions(rnd, depth, orig, table):
    """A random action list for a flow of @table whose match promises
    @depth entries (None: unknown) and EtherType @orig (None: unknown).

    Open vSwitch writes a flow's MPLS changes to the frame as the net
    difference of the label stack, at its outputs (not one to the in_port,
    which it skips): where that difference needs no push or pop (a push
    then a pop, a pop then a push), the EtherType they name is not written,
    and a change not yet written carries over a resubmit. snicd applies
    each action as it comes (docs/ovs-differences.md). So once a flow has
    pushed (or resubmitted, after which table 1 may have), a pop goes back
    to the EtherType the match promises, and once it has popped, so does a
    push, unless the flow pushed another EtherType before (an output in
    between may have written it); table 1 does not pop, and a flow that
    has popped does not resubmit (a push in table 1 would undo its pop
    unwritten)."""
    acts = []
    pushed = popped = foreign = False
    for _ in range(rnd.randint(1, 6)):
        r = rnd.random()
        if r < 0.2:
            etype = rnd.choice([MPLS, MPLS, MPLSM])
            if popped:
                # an output between an earlier push of another EtherType
                # and the pop may have written that one: then this push
                # leaves the stack as written, and its EtherType unwritten
                if orig not in (MPLS, MPLSM) or foreign:
                    continue
                etype = orig
            foreign = foreign or etype != orig
            acts.append("push_mpls:0x%04x" % etype)
            depth = 1 if not depth else depth + 1
            pushed = True
        elif r < 0.36:
            if table != 0:
                continue
            if pushed and orig is None:
                continue
            # to an MPLS type only when the top is not the bottom
            if depth is not None and depth >= 2 and rnd.random() < 0.5 \
                    and (not pushed or orig in (MPLS, MPLSM)):
                etype = orig if pushed else rnd.choice([MPLS, MPLSM])
                acts.append("pop_mpls:0x%04x" % etype)
                depth -= 1
                popped = True
                continue
            if pushed:
                if orig in (MPLS, MPLSM):
                    continue
                etype = orig
            else:
                etype = rnd.choice([g.ETH_IP, g.ETH_IP, g.ETH_IP6,
                                    g.ETH_ARP])
            acts.append("pop_mpls:0x%04x" % etype)
            depth = 0
            popped = True
            if etype == g.ETH_IP and rnd.random() < 0.4:
                # a learn reading the popped IPv4 header (Open vSwitch
                # parses the packet again after the pop); its flows drop
                # what table 1 would take from that source
                acts.append(LEARN_AFTER_POP)
        elif r < 0.46:
            acts.append(rnd.choice([
                "set_mpls_label:%d" % rnd.choice(LABELS),
                "set_mpls_tc:%d" % rnd.randrange(8),
                "set_mpls_ttl:%d" % rnd.choice([0, 1, 5, 255]),
                "set_mpls_ttl(%d)" % rnd.choice([2, 64])]))
        elif r < 0.54 and depth:
            # OpenFlow 1.0 takes them all (as NXM loads)
            acts.append(rnd.choice([
                "set_field:%d->mpls_label" % rnd.choice(LABELS),
                "set_field:%d->mpls_ttl" % rnd.randrange(256),
                "load:%d->OXM_OF_MPLS_TC[]" % rnd.randrange(8),
                "load:0x%x->OXM_OF_MPLS_LABEL[]" % rnd.choice(LABELS[1:])]))
        elif r < 0.62:
            acts.append("dec_mpls_ttl")
        elif r < 0.68:
            # an IP rewrite only where the frame surely has the IP header
            # the flow promises: after a pop (here, or before a resubmit to
            # table 1) the payload may be anything, and Open vSwitch keeps
            # a rewrite of a header the frame lacks in its flow, where a
            # later push_mpls reads the TC from (docs/ovs-differences.md)
            if popped or table != 0:
                acts.append("strip_vlan")
            else:
                acts.append(rnd.choice(["dec_ttl", "mod_nw_tos:16",
                                        "strip_vlan"]))
        elif r < 0.76 and table == 0 and not popped:
            acts.append("resubmit(,1)")
            pushed = foreign = True
            depth = None
        else:
            acts.append("output:%d" % rnd.choice(PORTS))
    if not any(a.startswith("output") for a in acts) or rnd.random() < 0.5:
        acts.append("output:%d" % rnd.choice(PORTS))
    return ",".join(acts), False


def mpls_case(rnd):
    """A random MPLS flow table (tables 0 and 1) and frames for it."""
    flows = []
    prios = rnd.sample(range(10, 1000, 10), 24)
    for _ in range(rnd.randint(8, 14)):
        m, depth, orig = _match(rnd)
        acts, of13 = _actions(rnd, depth, orig, 0)
        flows.append(("table=0,priority=%d,%s actions=%s" % (
            prios.pop(), m, acts), of13))
    flows.append(("table=0,priority=1 actions=push_mpls:0x8847,output:%d"
                  % rnd.choice(PORTS), False))
    for _ in range(rnd.randint(4, 8)):
        m, depth, orig = _match(rnd)
        acts, of13 = _actions(rnd, depth, orig, 1)
        flows.append(("table=1,priority=%d,%s actions=%s" % (
            prios.pop(), m, acts), of13))
    flows = [("cookie=%d,%s" % (i + 1, f), push)
             for i, (f, push) in enumerate(flows)]
    frames = [mpls_frame(rnd) for _ in range(150)]
    return flows, frames
