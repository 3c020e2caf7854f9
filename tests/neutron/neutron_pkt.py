#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw frames in a VM's network namespace, for what ping and TCP cannot
do: a frame with a forged source, and counting which frames arrive.

    neutron_pkt.py send IFACE SRC_MAC DST_MAC SRC_IP DST_IP MARKER COUNT
    neutron_pkt.py sniff IFACE MARKER SECONDS STOPFILE
    neutron_pkt.py serve PORT SECONDS
    neutron_pkt.py connect IP PORT SECONDS

send: COUNT UDP datagrams (port 9 to 9) whose payload is MARKER, sent
as they are, with no look at the interface's own addresses. sniff: prints
how many frames carrying MARKER arrive on IFACE until STOPFILE exists
(the caller makes it once it sent what it meant to; SECONDS bound the
wait), printing "ready" first, once the socket is bound. serve: a TCP
server on PORT for SECONDS that answers each connection's first bytes
with "echo:" and them ("ready" once it listens); connect: sends "hello"
to it and exits 0 when "echo:hello" comes back, else 1 with the reason.
Standard library only; run it under `ip netns exec`.
"""
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def udp_frame(src_mac, dst_mac, src_ip, dst_ip, payload):
    mac = lambda m: bytes(int(x, 16) for x in m.split(":"))  # noqa: E731
    sip, dip = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    udp = struct.pack("!HHHH", 9, 9, 8 + len(payload), 0) + payload
    c = csum(sip + dip + struct.pack("!BBH", 0, 17, len(udp)) + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64,
                     17, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + ip + udp


def send(iface, src_mac, dst_mac, src_ip, dst_ip, marker, count):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    f = udp_frame(src_mac, dst_mac, src_ip, dst_ip, marker.encode())
    for _ in range(int(count)):
        s.send(f)
        time.sleep(0.01)
    s.close()


def sniff(iface, marker, seconds, stopfile):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.1)
    print("ready", flush=True)
    want, n = marker.encode(), 0
    end = time.time() + float(seconds)
    while time.time() < end and not os.path.exists(stopfile):
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        # frames this interface sends are seen too: count arrivals only
        if addr[2] != socket.PACKET_OUTGOING and want in data:
            n += 1
    print(n, flush=True)


def serve(port, seconds):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", int(port)))
    srv.listen(8)
    srv.settimeout(0.2)
    print("ready", flush=True)
    end = time.time() + float(seconds)
    while time.time() < end:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        c.settimeout(2)
        try:
            c.sendall(b"echo:" + c.recv(100))
        except OSError:
            pass
        c.close()


def connect(ip, port, seconds):
    try:
        c = socket.create_connection((ip, int(port)), timeout=float(seconds))
        c.settimeout(float(seconds))
        c.sendall(b"hello")
        got = c.recv(100)
        c.close()
    except OSError as e:
        print("no answer: %s" % e)
        return 1
    print(got.decode(errors="replace"))
    return 0 if got == b"echo:hello" else 1


def main():
    if len(sys.argv) == 9 and sys.argv[1] == "send":
        send(*sys.argv[2:])
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "sniff":
        sniff(*sys.argv[2:])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(*sys.argv[2:])
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "connect":
        return connect(*sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
