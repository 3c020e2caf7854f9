# SPDX-License-Identifier: BSD-3-Clause
"""Connection-tracking rounds of the differential test (ovsdiff.py):
firewall-like tables the way the Open vSwitch firewall driver writes them
(ct_state=-trk -> ct(table=N,zone=...); +trk+new -> commit and allow;
+est, +rel allowed; +inv dropped; zones from a register or immediate),
and packet sequences that walk connections through their states: TCP
handshakes with consistent sequence numbers, data both ways, FIN and RST,
retransmitted SYNs, segments no connection knows, invalid flag
combinations and bad checksums; UDP both ways; ICMP echo with ids and an
ICMP error about a tracked connection; IPv6; another IP protocol. The
connections are interleaved at random, each in its own order.
Everything comes from the one random.Random, so a seed replays."""
import ipaddress
import struct

from ovsdiff_gen import PORTS, csum, _mac

ETH_IP, ETH_IP6 = 0x0800, 0x86dd
HOST_A = ("02:00:00:00:00:0a", "10.1.0.1", "2001:db8:a::1", 1)
HOST_B = ("02:00:00:00:00:0b", "10.1.0.2", "2001:db8:b::2", 2)

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def _eth(ethertype, payload, src, dst):
    return _mac(dst) + _mac(src) + struct.pack("!H", ethertype) + payload


def _ip(v6, proto, seg, src, dst, bad_csum=False):
    """An IPv4 or IPv6 header around @seg, whose L4 checksum (at the
    protocol's offset) is computed here."""
    s = ipaddress.ip_address(src).packed
    d = ipaddress.ip_address(dst).packed
    pseudo = csum(s + d + (struct.pack("!IxxxB", len(seg), proto) if v6
                           else struct.pack("!BBH", 0, proto, len(seg))))
    pseudo ^= 0xffff
    at = {6: 16, 17: 6, 1: 2, 58: 2}.get(proto)
    if at is not None:
        c = csum(seg, pseudo if proto != 1 else 0)
        if proto == 17 and c == 0:
            c = 0xffff
        if bad_csum:
            c ^= 0x5a5a
        seg = seg[:at] + struct.pack("!H", c) + seg[at + 2:]
    if v6:
        return struct.pack("!IHBB16s16s", 0x60000000, len(seg), proto, 64,
                           s, d) + seg
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0, 64,
                    proto, 0, s, d)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + seg


def _frame(v6, proto, seg, frm, to, bad_csum=False):
    return (frm[3], _eth(ETH_IP6 if v6 else ETH_IP,
                         _ip(v6, proto, seg, frm[2] if v6 else frm[1],
                             to[2] if v6 else to[1], bad_csum),
                         frm[0], to[0]))


def _tcp(sport, dport, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff,
                       ack & 0xffffffff, 5 << 4, flags, 8192, 0, 0) + data


def tcp_conn(rnd, v6):
    """A TCP connection from A to B, as (port, frame) in order."""
    a, b = HOST_A, HOST_B
    sp, dp = rnd.randrange(1024, 65535), rnd.choice([22, 80, 443])
    x, y = rnd.getrandbits(31), rnd.getrandbits(31)
    out = []

    def seg(frm, flags, seq, ack, data=b"", bad=False):
        s = _tcp(sp, dp, seq, ack, flags, data) if frm is a else \
            _tcp(dp, sp, seq, ack, flags, data)
        out.append(_frame(v6, 6, s, frm, b if frm is a else a, bad))

    seg(a, SYN, x, 0)
    if rnd.random() < 0.3:
        seg(a, SYN, x, 0)                   # retransmitted SYN
    if rnd.random() < 0.15:
        seg(a, SYN | FIN, x, 0)             # invalid flags
    seg(b, SYN | ACK, y, x + 1)
    seg(a, ACK, x + 1, y + 1)
    for _ in range(rnd.randint(0, 3)):
        if rnd.random() < 0.5:
            seg(a, PSH | ACK, x + 1, y + 1, b"ping")
            x += 4
        else:
            seg(b, PSH | ACK, y + 1, x + 1, b"pong")
            y += 4
    if rnd.random() < 0.1:
        seg(a, PSH | ACK, x + 1, y + 1, b"bad!", bad=True)
    r = rnd.random()
    if r < 0.5:
        seg(a, FIN | ACK, x + 1, y + 1)
        seg(b, ACK, y + 1, x + 2)
        seg(b, FIN | ACK, y + 1, x + 2)
        seg(a, ACK, x + 2, y + 2)
        if rnd.random() < 0.3:
            seg(a, SYN, x + 100000, 0)      # the same tuple again
    elif r < 0.7:
        seg(b, RST | ACK, y + 1, x + 1)
    return out


def stray_tcp(rnd, v6):
    """Segments of no connection: a SYN-ACK, no flags at all, an ACK (Open
    vSwitch takes a connection up in the middle)."""
    a, b = HOST_A, HOST_B
    flags = rnd.choice([SYN | ACK, 0, ACK, FIN, RST])
    s = _tcp(rnd.randrange(1024, 65535), 80, rnd.getrandbits(31),
             rnd.getrandbits(31), flags)
    return [_frame(v6, 6, s, a, b)]


def udp_conn(rnd, v6):
    a, b = HOST_A, HOST_B
    sp, dp = rnd.randrange(1024, 65535), rnd.choice([53, 123, 4789])
    out = []
    for frm in [a] * rnd.randint(1, 3) + [b] * rnd.randint(0, 2) \
            + [a] * rnd.randint(0, 2):
        s = struct.pack("!HHHH", sp, dp, 12, 0) if frm is a else \
            struct.pack("!HHHH", dp, sp, 12, 0)
        out.append(_frame(v6, 17, s + b"abcd", frm, b if frm is a else a))
    return out


def icmp_conn(rnd, v6):
    """Echo requests and replies with one id; sometimes a reply with
    another id (no such connection)."""
    a, b = HOST_A, HOST_B
    ident = rnd.getrandbits(16)
    proto = 58 if v6 else 1
    req, rep = (128, 129) if v6 else (8, 0)
    out = []
    for i in range(rnd.randint(1, 3)):
        out.append(_frame(v6, proto, struct.pack("!BBHHH", req, 0, 0, ident,
                                                 i) + b"ping", a, b))
        if rnd.random() < 0.8:
            out.append(_frame(v6, proto, struct.pack(
                "!BBHHH", rep, 0, 0, ident, i) + b"ping", b, a))
    if rnd.random() < 0.3:
        out.append(_frame(v6, proto, struct.pack(
            "!BBHHH", rep, 0, 0, ident ^ 0x5555, 0) + b"ping", b, a))
    return out


def icmp_error(rnd):
    """A UDP flow from A, then B's port unreachable about it (related), and
    one about a flow nobody sent (invalid)."""
    a, b = HOST_A, HOST_B
    sp = rnd.randrange(1024, 65535)
    u = struct.pack("!HHHH", sp, 5000, 12, 0) + b"abcd"
    port, first = _frame(False, 17, u, a, b)
    inner = first[14:14 + 28]
    out = [(port, first)]
    for ip in (inner, inner[:20] + struct.pack("!H", sp ^ 1) + inner[22:]):
        out.append(_frame(False, 1, struct.pack("!BBHI", 3, 3, 0, 0) + ip,
                          b, a))
    return out


def other_proto(rnd):
    """GRE both ways: tracked by addresses alone."""
    a, b = HOST_A, HOST_B
    out = []
    for frm in [a, a, b, a][:rnd.randint(1, 4)]:
        out.append(_frame(False, 47, b"\0\0\x08\0grebody", frm,
                          b if frm is a else a))
    return out


def _flows(rnd):
    """A firewall: table 0 sends untracked IP through the tracker into
    table 1 (zone immediate or from reg6), table 1 decides by state."""
    zone = rnd.choice([0, 1, 5, 64000])
    by_reg = rnd.random() < 0.5
    zone_arg = "zone=NXM_NX_REG6[0..15]" if by_reg else "zone=%d" % zone
    out_a, out_b = 3, 4
    flows = []
    if by_reg:
        flows.append("table=0,priority=200,in_port=1,ip "
                     "actions=load:%d->NXM_NX_REG6[0..15],"
                     "ct(table=1,%s)" % (zone, zone_arg))
        flows.append("table=0,priority=200,in_port=1,ipv6 "
                     "actions=load:%d->NXM_NX_REG6[0..15],"
                     "ct(table=1,%s)" % (zone, zone_arg))
        flows.append("table=0,priority=200,in_port=2,ip "
                     "actions=load:%d->NXM_NX_REG6[0..15],"
                     "ct(table=1,%s)" % (zone, zone_arg))
        flows.append("table=0,priority=200,in_port=2,ipv6 "
                     "actions=load:%d->NXM_NX_REG6[0..15],"
                     "ct(table=1,%s)" % (zone, zone_arg))
    else:
        flows.append("table=0,priority=200,ct_state=-trk,ip "
                     "actions=ct(table=1,%s)" % zone_arg)
        flows.append("table=0,priority=200,ct_state=-trk,ipv6 "
                     "actions=ct(table=1,%s)" % zone_arg)
    flows.append("table=0,priority=0 actions=drop")
    commit = "ct(commit,%s)" % zone_arg
    if rnd.random() < 0.5:
        commit = "ct(commit,%s,exec(set_field:0x%x->ct_mark))" % (
            zone_arg, rnd.choice([1, 0x2a]))
    if rnd.random() < 0.3:
        commit = "ct(commit,%s,exec(set_field:0x%x->ct_label))" % (
            zone_arg, rnd.getrandbits(20) + 1)
    allow_new = rnd.sample(["tcp", "udp", "icmp", "tcp6", "udp6", "icmp6",
                            "ip"], rnd.randint(3, 6))
    prio = 100
    for proto in allow_new:
        flows.append("table=1,priority=%d,ct_state=+trk+new,%s "
                     "actions=%s,output:%d" % (prio, proto, commit,
                                               rnd.choice([out_a, out_b])))
        prio -= 1
    flows.append("table=1,priority=90,ct_state=+trk+est-rpl "
                 "actions=output:%d" % out_a)
    flows.append("table=1,priority=89,ct_state=+trk+est+rpl "
                 "actions=output:%d" % out_b)
    if rnd.random() < 0.5:
        flows.append("table=1,priority=95,ct_state=+trk+est,ct_mark=0x2a "
                     "actions=output:%d,output:%d" % (out_a, out_b))
    flows.append("table=1,priority=80,ct_state=+trk+rel "
                 "actions=output:%d" % rnd.choice([out_a, out_b]))
    flows.append("table=1,priority=70,ct_state=+trk+inv actions=drop")
    flows.append("table=1,priority=60,ct_state=+trk+new "
                 "actions=output:%d" % rnd.choice([1, 2]))
    # above the +est flows, each for one protocol, so each is reached
    if rnd.random() < 0.5:
        flows.append("table=1,priority=91,ct_state=+trk+est,ct_zone=%d,"
                     "icmp actions=output:%d,output:%d" % (zone, out_b,
                                                           out_a))
    if rnd.random() < 0.4:
        # a second zone after the first: ct() again from table 1 to 2
        flows.append("table=1,priority=93,ct_state=+trk+est,udp "
                     "actions=ct(table=2,zone=%d)" % (zone + 7))
        flows.append("table=2,priority=10,ct_state=+trk+new,udp "
                     "actions=ct(commit,zone=%d),output:%d" % (
                         zone + 7, out_a))
        flows.append("table=2,priority=5,ct_state=+trk "
                     "actions=output:%d" % out_b)
    if rnd.random() < 0.3:
        flows.append("table=1,priority=92,ct_state=+trk+est,tcp "
                     "actions=ct_clear,resubmit(,3)")
        flows.append("table=3,priority=5,ct_state=-trk "
                     "actions=output:%d" % out_a)
    flows.append("table=1,priority=0 actions=output:%d" % out_b)
    return flows


def ct_case(rnd):
    """(flows, frames) for one connection-tracking round."""
    flows = _flows(rnd)
    seqs = []
    for _ in range(rnd.randint(4, 8)):
        kind = rnd.random()
        v6 = rnd.random() < 0.3
        if kind < 0.4:
            seqs.append(tcp_conn(rnd, v6))
        elif kind < 0.5:
            seqs.append(stray_tcp(rnd, v6))
        elif kind < 0.7:
            seqs.append(udp_conn(rnd, v6))
        elif kind < 0.85:
            seqs.append(icmp_conn(rnd, v6))
        elif kind < 0.93:
            seqs.append(icmp_error(rnd))
        else:
            seqs.append(other_proto(rnd))
    frames = []
    while any(seqs):
        s = rnd.choice([s for s in seqs if s])
        frames.append(s.pop(0))
    flows = [("cookie=%d,%s" % (i + 1, f), False)
             for i, f in enumerate(flows)]
    return flows, frames
