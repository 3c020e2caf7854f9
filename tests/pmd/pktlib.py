# SPDX-License-Identifier: BSD-3-Clause
"""Frames, checksums and pcap files for the testpmd integration tests.

The tests feed frames into testpmd through a net_pcap port and read what
the card forwarded from another pcap file, so the expected bytes are built
here from first principles (RFC 791 / 768 / 793 checksums computed from
scratch, never copied from the device) and compared whole. Standard library
only.
"""
import struct

PCAP_MAGIC = 0xa1b2c3d4
ETH_P_IP = 0x0800
ETH_P_8021Q = 0x8100


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ip4(text):
    return bytes(int(x) for x in text.split("."))


def csum(data):
    """Internet checksum (RFC 1071) of @data, as the value to store."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ipv4_header(src, dst, proto, payload_len, ttl=64, tos=0, ident=1,
                frag=0):
    """@frag: the flags and fragment offset word (0x2000 MF, 0x4000 DF)."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, ident,
                      frag, ttl, proto, 0, ip4(src), ip4(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]


def l4_segment(proto, src, dst, sport, dport, payload):
    """A UDP (17) or TCP (6) segment with its checksum over the IPv4
    pseudo-header; UDP sends a computed 0 as 0xffff."""
    if proto == 17:
        seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        off = 6
    else:
        seg = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x18,
                          8192, 0, 0) + payload
        off = 16
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg))
    c = csum(pseudo + seg)
    if proto == 17 and c == 0:
        c = 0xffff
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def ipv4_frame(dst_mac, src_mac, src, dst, proto, sport, dport, ttl=64,
               vlan=None, payload=b"snic-pmd-test-payload", frag=0, tos=0):
    """Ethernet (+ optional 802.1Q tag with VID @vlan) / IPv4 / UDP|TCP.
    With a fragment offset in @frag the L4 header is just payload bytes."""
    seg = l4_segment(proto, src, dst, sport, dport, payload)
    eth = mac(dst_mac) + mac(src_mac)
    if vlan is not None:
        eth += struct.pack("!HH", ETH_P_8021Q, vlan)
    eth += struct.pack("!H", ETH_P_IP)
    return eth + ipv4_header(src, dst, proto, len(seg), ttl, tos=tos,
                             frag=frag) + seg


def ipv6_udp_frame(dst_mac, src_mac, sport, dport, frag_data=None,
                   payload=b"snic-pmd-test-payload"):
    """Ethernet / IPv6 (::1 -> ::2) [/ Fragment header with @frag_data:
    offset << 3 | M] / UDP (checksum 0: only the headers matter here)."""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    nh, ext = 17, b""
    if frag_data is not None:
        nh, ext = 44, struct.pack("!BBHI", 17, 0, frag_data, 0x5a5a)
    ip6 = struct.pack("!IHBB", 6 << 28, len(ext) + len(seg), nh, 64)
    ip6 += bytes(15) + b"\1" + bytes(15) + b"\2"
    return mac(dst_mac) + mac(src_mac) + struct.pack("!H", 0x86dd) + ip6 + \
        ext + seg


def ipv4_offset(frame):
    """Offset of the IPv4 header in an (optionally tagged) frame, or -1."""
    off = 12
    etype = struct.unpack_from("!H", frame, off)[0]
    while etype == ETH_P_8021Q:
        off += 4
        etype = struct.unpack_from("!H", frame, off)[0]
    return off + 2 if etype == ETH_P_IP else -1


def checksums_ok(frame):
    """(ipv4 header checksum ok, l4 checksum ok) of an IPv4 frame."""
    ip = ipv4_offset(frame)
    ihl = (frame[ip] & 0xf) * 4
    tot = struct.unpack_from("!H", frame, ip + 2)[0]
    ip_ok = csum(frame[ip:ip + ihl]) == 0
    proto = frame[ip + 9]
    seg = frame[ip + ihl:ip + tot]
    if proto not in (6, 17) or (proto == 17 and seg[6:8] == b"\0\0"):
        return ip_ok, True
    pseudo = frame[ip + 12:ip + 20] + struct.pack("!BBH", 0, proto, len(seg))
    return ip_ok, csum(pseudo + seg) == 0


def pcap_write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)


def pcap_read(path):
    """Frames of a pcap file (microsecond or nanosecond, either byte
    order); [] when the file is missing or has no header yet."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    if len(data) < 24:
        return []
    magic = struct.unpack_from("<I", data)[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        if off + caplen > len(data):
            break   # a record still being written
        frames.append(data[off:off + caplen])
        off += caplen
    return frames
