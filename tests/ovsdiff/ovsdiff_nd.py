# SPDX-License-Identifier: BSD-3-Clause
"""IPv6 Neighbor Discovery for the random rounds (ovsdiff_gen.py): matches
on nd_target, nd_sll and nd_tll, and ICMPv6 solicitations and
advertisements to meet them, well-formed and not (options missing,
repeated, of length 0 or past the message, the message cut short, code
1), as Open vSwitch reads them (offload/dp_nd.c says how).
"""
import ipaddress
import struct

ND_TARGETS = ["fe80::1", "fe80::2", "fe80::f816:3eff:fe00:1", "2001:db8::1"]
ND_MACS = ["02:00:00:00:00:01", "02:00:00:00:00:02", "fa:16:3e:00:00:01",
           "00:00:00:00:00:00"]


def _mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def match(rnd):
    """Match fields after 'icmp6': icmp_type 135 or 136 and some of the ND
    fields (each with its prerequisites met)."""
    typ = rnd.choice([135, 136])
    m = ["icmp_type=%d" % typ]
    if rnd.random() < 0.3:
        m.append("icmp_code=0")
    if rnd.random() < 0.7:
        t = rnd.choice(ND_TARGETS)
        plen = rnd.choice([128, 128, 128, 64, 16])
        if plen == 128:
            m.append("nd_target=" + t)
        else:
            m.append("nd_target=%s" % ipaddress.ip_network(
                "%s/%d" % (t, plen), strict=False))
    if rnd.random() < 0.5:
        name = "nd_sll" if typ == 135 else "nd_tll"
        mac = rnd.choice(ND_MACS)
        if rnd.random() < 0.3:
            m.append("%s=%s/ff:ff:ff:00:00:00" % (name, mac))
        else:
            m.append("%s=%s" % (name, mac))
    return m


def _opt(typ, mac):
    return struct.pack("!BB", typ, 1) + _mac(mac)


def message(rnd):
    """An ICMPv6 solicitation or advertisement (checksum 0: the caller
    sets it), sometimes malformed."""
    typ = rnd.choice([135, 136])
    code = 0 if rnd.random() < 0.9 else 1
    body = struct.pack("!BBHI", typ, code, 0,
                       0x60000000 if typ == 136 else 0)
    body += ipaddress.ip_address(rnd.choice(ND_TARGETS)).packed
    opts = []
    for _ in range(rnd.choice([0, 1, 1, 1, 2, 3])):
        r = rnd.random()
        if r < 0.4:
            opts.append(_opt(1, rnd.choice(ND_MACS)))
        elif r < 0.8:
            opts.append(_opt(2, rnd.choice(ND_MACS)))
        elif r < 0.88:
            opts.append(struct.pack("!BB", 14, 1) + b"\x01" * 6)    # nonce
        elif r < 0.94:
            opts.append(struct.pack("!BB", 1, 0) + b"\x02" * 6)     # len 0
        else:
            opts.append(struct.pack("!BB", 2, 3) + b"\x03" * 6)     # long
    msg = body + b"".join(opts)
    if rnd.random() < 0.08:
        msg = msg[:rnd.randint(8, len(msg))]                  # cut short
    return msg
