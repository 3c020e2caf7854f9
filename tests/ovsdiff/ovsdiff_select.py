# SPDX-License-Identifier: BSD-3-Clause
"""Rounds of the differential test against Open vSwitch (ovsdiff.py) for
the actions that decide from the packet where it goes:
check_pkt_larger(N)->DST, whose bit a later table matches; multipath(...),
bundle(...) and bundle_load(...), whose hash of the packet's fields must
pick the same link or member as Open vSwitch's (select_case()).

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


FIELDS = ["eth_src", "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp",
          "nw_src", "nw_dst", "symmetric_l3"]
ALGORITHMS = ["modulo_n", "hash_threshold", "hrw", "iter_hash"]
# each link number leaves as its own frame: this source MAC's last byte
# and a port
_MARK = "02:00:00:00:%02x:%02x"


def _multipath(rnd, in_port):
    """One table-0 flow for @in_port (None: the rest) whose multipath
    picks a link into a random part of reg1 (over random bits already
    there), moved to reg0 for table 1."""
    n_links = rnd.choice([1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 65, 100])
    width = max(1, (n_links - 1).bit_length())
    width = rnd.randint(width, min(width + 3, 16))
    ofs = rnd.randint(0, 32 - width)
    alg = rnd.choice(ALGORITHMS)
    arg = rnd.choice([0, n_links, 2 * n_links, n_links + 3,
                      rnd.getrandbits(32)])
    sub = "NXM_NX_REG1[%d..%d]" % (ofs, ofs + width - 1)
    act = "multipath(%s,%d,%s,%d,%d,%s)" % (
        rnd.choice(FIELDS), rnd.choice([0, 1, 50, 0x1234, 65535]), alg,
        n_links, arg, sub)
    return ("table=0,priority=%d%s actions=load:0x%x->NXM_NX_REG1[],%s,"
            "move:%s->NXM_NX_REG0[0..%d],resubmit(,1)" % (
                10 if in_port is None else 20,
                "" if in_port is None else ",in_port=%d" % in_port,
                rnd.getrandbits(32), act, sub, width - 1))


def _members(rnd):
    """A member list: ports 1-4 in some order, 5 (no such port: never
    live) and IN_PORT now and then."""
    ms = [str(p) for p in rnd.sample(PORTS, rnd.randint(1, 4))]
    for extra in ("5", "IN_PORT"):
        if rnd.random() < 0.3:
            ms.insert(rnd.randint(0, len(ms)), extra)
    return ",".join(ms)


def _bundle(rnd, in_port):
    """A table-0 flow for @in_port: bundle (an output) or bundle_load
    (the member's number, matched by table 2)."""
    head = "%s,%d,%s,ofport" % (rnd.choice(FIELDS),
                                rnd.choice([0, 1, 7, 0xffff]),
                                rnd.choice(["hrw", "hrw", "active_backup"]))
    match = "table=0,priority=20,in_port=%d" % in_port
    if rnd.random() < 0.5:
        return "%s actions=bundle(%s,members:%s)" % (match, head,
                                                    _members(rnd))
    return ("%s actions=bundle_load(%s,NXM_NX_REG2[0..15],members:%s),"
            "resubmit(,2)" % (match, head, _members(rnd)))


def select_case(rnd):
    """(flows [(line, openflow13)], frames [(port, frame)]): table 0
    runs a multipath or a bundle for each in_port, table 1 sends every
    link number to its own port with its own source MAC, table 2 every
    member number bundle_load wrote (0xffff: none live). The frames are
    random_frame()'s: every kind the hash fields read (tagged, IPv6,
    fragments, ARP, LLC, cut short)."""
    flows = []
    for port in PORTS:
        flows.append(_bundle(rnd, port) if rnd.random() < 0.4
                     else _multipath(rnd, port))
    flows.append(_multipath(rnd, None))
    for v in range(128):
        flows.append("table=1,reg0=%d actions=mod_dl_src:%s,output:%d" % (
            v, _MARK % (1, v), PORTS[v % 4]))
    for v in PORTS + [5, 0xfff8, 0xffff]:
        flows.append("table=2,reg2=%d actions=mod_dl_src:%s,output:%d" % (
            v, _MARK % (2, v & 0xff), PORTS[v % 4]))
    flows = [("cookie=%d,%s" % (i + 1, f), False)
             for i, f in enumerate(flows)]
    frames = [g.random_frame(rnd) for _ in range(200)]
    return flows, frames
