# SPDX-License-Identifier: BSD-3-Clause
"""Header-subfield rounds of the differential test against Open vSwitch
(ovsdiff.py): load, move, push, pop and output:FIELD[..] onto and from
the packet's header fields (Ethernet and IPv4/IPv6 addresses, ports,
TOS/ECN/TTL, ICMP type and code, ARP's fields, in_port), whole and in bit
ranges, with outputs between them so that every step shows, and a
resubmit to a table that matches what they wrote.

Each flow's match promises the headers its actions name (Open vSwitch's
prerequisites); the frames are the random ones whose headers are whole
(docs/ovs-differences.md: on a header cut short Open vSwitch writes its
flow, snicd the frame), tagged, LLC/SNAP and other EtherTypes included.
vlan_case() does the same for the outer tag's fields, in rounds of their
own (after the others, whose random draws stay as they were).
"""
import ovsdiff_gen as g

PORTS = g.PORTS

# (match, [(field, bits)]) : what each kind of match lets actions name
_ETH = [("NXM_OF_ETH_SRC", 48), ("NXM_OF_ETH_DST", 48),
        ("OXM_OF_ETH_SRC", 48), ("eth_dst", 48)]
_IP4 = [("NXM_OF_IP_SRC", 32), ("OXM_OF_IPV4_DST", 32),
        ("NXM_OF_IP_TOS", 8), ("NXM_NX_IP_ECN", 2), ("NXM_NX_IP_TTL", 8),
        ("OXM_OF_IP_DSCP", 6)]
_IP6 = [("NXM_NX_IPV6_SRC", 128), ("NXM_NX_IPV6_DST", 128),
        ("NXM_OF_IP_TOS", 8), ("NXM_NX_IP_TTL", 8)]
_KINDS = [
    ("ip", _IP4),
    ("tcp", _IP4 + [("NXM_OF_TCP_SRC", 16), ("OXM_OF_TCP_DST", 16)]),
    ("udp", _IP4 + [("NXM_OF_UDP_SRC", 16), ("NXM_OF_UDP_DST", 16)]),
    ("icmp", _IP4 + [("NXM_OF_ICMP_TYPE", 8), ("NXM_OF_ICMP_CODE", 8)]),
    ("ipv6", _IP6),
    ("tcp6", _IP6 + [("NXM_OF_TCP_SRC", 16), ("NXM_OF_TCP_DST", 16)]),
    ("udp6", _IP6 + [("OXM_OF_UDP_SRC", 16), ("NXM_OF_UDP_DST", 16)]),
    ("arp", [("NXM_OF_ARP_SPA", 32),
             ("OXM_OF_ARP_TPA", 32), ("NXM_NX_ARP_SHA", 48),
             ("NXM_NX_ARP_THA", 48)]),
    ("", []),
]
# vlan_case()'s: the tag's fields, vlan_tci as two ranges around its CFI
# bit (FIELD@BASE, _sub()); vlan_vid read without a tag too
_VLAN_KINDS = [
    ("vlan_tci=0x1000/0x1000", [("OXM_OF_VLAN_VID", 12),
                                ("OXM_OF_VLAN_PCP", 3),
                                ("NXM_OF_VLAN_TCI@0", 12),
                                ("NXM_OF_VLAN_TCI@13", 3)]),
    ("dl_vlan=0x1/0x1", [("OXM_OF_VLAN_VID", 12),
                         ("NXM_OF_VLAN_TCI@13", 3)]),
]
# read-only fields a move or push may read
# (ARP's opcode is written only whole, with a value of 1..254, by
# _actions(): Open vSwitch holds back every ARP write while the opcode
# reads 0 and writes 255 as 0xffff, docs/ovs-differences.md)
_RO = {"ip": [("NXM_OF_IP_PROTO", 8)], "tcp": [("NXM_OF_IP_PROTO", 8)],
       "arp": [("NXM_OF_ARP_OP", 16)], "": [("NXM_OF_ETH_TYPE", 16)]}
ARP_OPS = [1, 2, 3, 4, 8, 0x7f, 0x80, 0xfe]


def _sub(rnd, field, bits, width=None):
    """FIELD[], FIELD[a..b] or FIELD[a] (of @width bits when given).
    FIELD@BASE: the @bits of FIELD from bit BASE on, always a range."""
    if "@" in field:
        name, base = field.split("@")
        width = width or rnd.randint(1, bits)
        ofs = int(base) + rnd.randint(0, bits - width)
        if width == 1:
            return "%s[%d]" % (name, ofs), 1
        return "%s[%d..%d]" % (name, ofs, ofs + width - 1), width
    if width is None:
        if rnd.random() < 0.5:
            return "%s[]" % field, bits
        width = rnd.randint(1, min(bits, 64))
    ofs = rnd.randint(0, bits - width)
    if width == bits:
        return "%s[]" % field, bits
    if width == 1:
        return "%s[%d]" % (field, ofs), 1
    return "%s[%d..%d]" % (field, ofs, ofs + width - 1), width


# the fields Open vSwitch lets a set_field mask, by the table's names:
# set_field:VALUE/MASK->NAME writes the bits under MASK (sent as
# OpenFlow 1.3, whose encoding keeps the mask: docs/ovs-differences.md)
_MASKABLE = {"NXM_OF_ETH_SRC": "eth_src", "NXM_OF_ETH_DST": "eth_dst",
             "OXM_OF_ETH_SRC": "eth_src", "eth_dst": "eth_dst",
             "NXM_OF_IP_SRC": "ip_src", "OXM_OF_IPV4_DST": "ip_dst",
             "NXM_OF_TCP_SRC": "tcp_src", "OXM_OF_TCP_DST": "tcp_dst",
             "NXM_OF_TCP_DST": "tcp_dst", "NXM_OF_UDP_SRC": "udp_src",
             "NXM_OF_UDP_DST": "udp_dst", "OXM_OF_UDP_SRC": "udp_src",
             "OXM_OF_VLAN_VID": "vlan_vid"}


def _in_notation(x, bits):
    """@x as the field of @bits writes it: a MAC, an IPv4 address, or a
    number."""
    if bits == 48:
        return ":".join("%02x" % b for b in x.to_bytes(6, "big"))
    if bits == 32:
        return ".".join(str(b) for b in x.to_bytes(4, "big"))
    return "%#x" % x


def _masked_set_field(rnd, field, bits):
    mask = rnd.choice([(1 << bits) - 1 ^ 0xff, 0xff, 0xf0,
                       rnd.getrandbits(bits) | 1])
    value = rnd.getrandbits(bits) & mask
    return "set_field:%s/%s->%s" % (_in_notation(value, bits),
                                    _in_notation(mask, bits),
                                    _MASKABLE[field])


def masked_set_field(flow):
    """Whether the flow line has a masked set_field (sent as OpenFlow
    1.3)."""
    return any(a.startswith("set_field:") and "/" in a.split("->")[0]
               for a in flow.split("actions=", 1)[1].split(","))


def _value(rnd, width):
    if width >= 64:
        return rnd.choice([0, 1, 0x0a000001, rnd.getrandbits(64)])
    return rnd.choice([0, 1, (1 << width) - 1, rnd.getrandbits(width)])


def _actions(rnd, fields, ro, table):
    acts = []
    regs = [("NXM_NX_REG%d" % r, 32) for r in range(3)]
    for _ in range(rnd.randint(2, 6)):
        r = rnd.random()
        f, bits = rnd.choice(fields) if fields else rnd.choice(regs)
        if r < 0.3 and f in _MASKABLE and rnd.random() < 0.4:
            acts.append(_masked_set_field(rnd, f, bits))
        elif r < 0.3:
            d, w = _sub(rnd, f, bits)
            acts.append("load:%#x->%s" % (_value(rnd, min(w, 64)), d))
        elif r < 0.55:
            # a move between fields of the table (or registers), same width
            sf, sbits = rnd.choice(fields + ro + regs)
            w = rnd.randint(1, min(bits, sbits))
            s, _ = _sub(rnd, sf, sbits, w)
            d, _ = _sub(rnd, f, bits, w)
            acts.append("move:%s->%s" % (s, d))
        elif r < 0.7:
            # a pop narrower than the push keeps the low bits
            sf, sbits = rnd.choice(fields + ro + regs)
            s, _ = _sub(rnd, sf, sbits)
            acts.append("push:%s" % s)
            if rnd.random() < 0.8:
                acts.append("pop:%s" % _sub(rnd, f, bits)[0])
        elif r < 0.8:
            # an output to a port a header field holds (1..4 mostly not)
            s, _ = _sub(rnd, f, bits, rnd.choice([2, 3, 8, 16])
                        if bits >= 16 else bits)
            acts.append("output:%s" % s)
        elif r < 0.85:
            acts.append("load:%d->NXM_OF_IN_PORT[]" % rnd.choice(PORTS))
        elif r < 0.9 and ("NXM_OF_ARP_OP", 16) in ro:
            acts.append(rnd.choice(["load:%d->NXM_OF_ARP_OP[]",
                                    "set_field:%d->arp_op"])
                        % rnd.choice(ARP_OPS))
        else:
            acts.append("output:%d" % rnd.choice(PORTS))
    acts.append("output:%d" % rnd.choice(PORTS))
    if table == 0 and rnd.random() < 0.4:
        acts.append("resubmit(,1)")
    return ",".join(acts)


def hdr_case(rnd, kinds=None):
    """A random flow table of header loads/moves/pushes/pops in tables 0
    and 1; table 1 matches addresses and ports table 0 may have written."""
    flows = []
    prios = rnd.sample(range(10, 1000, 10), 24)
    for _ in range(rnd.randint(5, 9)):
        m, fields = rnd.choice(kinds or _KINDS)
        ro = _RO.get(m, [])
        fields = fields + (_ETH if rnd.random() < 0.4 or not fields else [])
        mm = m
        if rnd.random() < 0.3:
            mm = ("%s,in_port=%d" % (m, rnd.choice(PORTS))).lstrip(",")
        flows.append("table=0,priority=%d%s actions=%s"
                     % (prios.pop(), "," + mm if mm else "",
                        _actions(rnd, fields, ro, 0)))
    for _ in range(rnd.randint(2, 5)):
        m = rnd.choice(["ip,nw_src=10.0.0.1", "ip,nw_dst=0.0.0.0/1",
                        "tcp,tp_dst=0x8000/0x8000", "arp,nw_proto=2",
                        "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00",
                        "in_port=%d" % rnd.choice(PORTS), "ipv6", ""])
        flows.append("table=1,priority=%d%s actions=output:%d"
                     % (prios.pop(), "," + m if m else "",
                        rnd.choice(PORTS)))
    flows = [("cookie=%d,%s" % (i + 1, f), masked_set_field(f))
             for i, f in enumerate(flows)]
    frames = []
    while len(frames) < 150:
        port, f = g.random_frame(rnd, True, False, True)
        # vlan_case(): mostly tagged frames, DEI bit or not
        if kinds is not None and f[12:14] not in (b"\x81\x00", b"\x88\xa8") \
                and rnd.random() < 0.7:
            continue
        if _whole(f):
            frames.append((port, f))
    return flows, frames


def vlan_case(rnd):
    """hdr_case() for the outer tag's fields: OXM_OF_VLAN_VID,
    OXM_OF_VLAN_PCP and vlan_tci's bits but its CFI bit (which snicd takes
    from no subfield but a load that sets it: docs/flow-language.md),
    written, read, pushed and popped, with header fields of Ethernet
    beside them."""
    return hdr_case(rnd, _VLAN_KINDS)


def _l4_whole(proto, seg):
    if proto == 6:
        return len(seg) >= 20 and 20 <= (seg[12] >> 4) * 4 <= len(seg)
    if proto in (17, 132):
        return len(seg) >= 8 if proto == 17 else len(seg) >= 12
    if proto in (1, 58):
        return len(seg) >= 4
    return True


def _whole(frame):
    """Every header of the frame whole (left out otherwise:
    docs/ovs-differences.md): IPv4 and IPv6 without a cut or a bad length,
    IPv6 without extension headers, an L4 header that fits, and ARP with
    an opcode of 1..254 (_RO)."""
    at = 12
    while frame[at:at + 2] in (b"\x81\x00", b"\x88\xa8"):
        at += 4
    typ, body = frame[at:at + 2], frame[at + 2:]
    if typ < b"\x06\x00":
        # 802.2 LLC; with a SNAP header of OUI 0, its EtherType's header
        if body[:6] != b"\xaa\xaa\x03\x00\x00\x00":
            return True
        typ, body = body[6:8], body[8:]
    if typ == b"\x08\x06":
        return (len(body) >= 28 and body[:6] == b"\x00\x01\x08\x00\x06\x04"
                and body[6] == 0 and body[7] not in (0, 0xff))
    if typ == b"\x08\x00":
        if len(body) < 20 or body[0] >> 4 != 4 or body[0] & 15 < 5:
            return False
        ihl, total = (body[0] & 15) * 4, body[2] << 8 | body[3]
        if total > len(body) or total < ihl or ihl > len(body):
            return False
        if (body[6] << 8 | body[7]) & 0x3fff:
            return False            # a fragment
        return _l4_whole(body[9], body[ihl:total])
    if typ == b"\x86\xdd":
        if len(body) < 40:
            return False
        plen = body[4] << 8 | body[5]
        if 40 + plen > len(body) or body[6] in (0, 43, 44, 50, 51, 60):
            return False
        return _l4_whole(body[6], body[40:40 + plen])
    return True
