# SPDX-License-Identifier: BSD-3-Clause
"""Rounds of the differential test against Open vSwitch (ovsdiff.py) for
the actions that decide from the packet where it goes:
check_pkt_larger(N)->DST, whose bit a later table matches.

Table 0 writes three bits of reg0 with check_pkt_larger, against lengths
drawn from the round's own frames (their length, a few bytes less, or as
much less as Ethernet padding may be), after a push_vlan, a strip_vlan or
nothing; table 1 sends each of the eight values of those bits to its own
ports. The frames are random_frame()'s, padded, tagged twice and
malformed too, so the length Open vSwitch's datapath compares (without
the padding after a consistent IP datagram) is what is tested; a third of
them get Ethernet padding added.

Open vSwitch translates the actions after a check_pkt_larger once for
each outcome, and credits every flow either translation looked up with
the packet: table 1's flows count every packet in Open vSwitch, one
outcome's in snicd (docs/ovs-differences.md). Their counts are not
compared (uncounted()); table 0's are.
"""
import ovsdiff_gen as g

PORTS = g.PORTS


def _tags(frame):
    """How many VLAN tags @frame starts with (0, 1 or 2 and more)."""
    n, at = 0, 12
    while n < 2 and frame[at:at + 2] in (b"\x81\x00", b"\x88\xa8"):
        n += 1
        at += 4
    return n


def pktlen_case(rnd):
    """(flows [(line, openflow13)], frames [(port, frame)])."""
    frames = []
    while len(frames) < 150:
        port, frame = g.random_frame(rnd)
        # not yet the same as Open vSwitch: the length after strip_vlan
        # of a frame with two tags (docs/ovs-differences.md)
        if _tags(frame) >= 2:
            continue
        if rnd.random() < 0.35:
            frame += bytes(rnd.randint(1, 30))
        frames.append((port, frame))
    lens = [len(f) for _, f in frames]
    flows = []
    for i, port in enumerate(PORTS + [None]):
        pre, match, of13 = rnd.choice([
            ("", "", False), ("strip_vlan,", "", False),
            ("mod_dl_src:02:00:00:00:00:aa,", "", False),
            # push_vlan only onto untagged frames: on a tagged one snicd
            # copies the outer tag (docs/ovs-differences.md)
            ("push_vlan:0x8100,", ",dl_vlan=0xffff", True)])
        checks = ["check_pkt_larger(%d)->NXM_NX_REG0[%d]" % (
            max(0, rnd.choice(lens) - rnd.choice([0, 0, 1, 2, 4, 6, 10, 18,
                                                  26, 40])), bit)
            for bit in range(3)]
        flows.append(("table=0,priority=%d%s%s actions=%s%s,resubmit(,1)" % (
            10 if port is None else 20,
            "" if port is None else ",in_port=%d" % port, match, pre,
            ",".join(checks)), of13))
    for v in range(8):
        outs = ["output:%d" % PORTS[v % 4]]
        if v & 4:
            outs.append("output:%d" % PORTS[(v + 1) % 4])
        flows.append(("table=1,reg0=0x%x/0x7 actions=%s" % (v, ",".join(outs)),
                      False))
    flows = [("cookie=%d,%s" % (i + 1, f), of13)
             for i, (f, of13) in enumerate(flows)]
    return flows, frames


def uncounted(flows):
    """The cookies of pktlen_case()'s flows looked up after a
    check_pkt_larger (table 1's), whose counts Open vSwitch keeps its own
    way."""
    return {i + 1 for i, (f, _) in enumerate(flows) if ",table=1," in f}
