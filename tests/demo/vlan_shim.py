#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""An 802.1Q subinterface in user space, for kernels built without
CONFIG_VLAN_8021Q (where `ip link add ... type vlan` says "Unknown device
type"): frames of VLAN VID on PARENT come out of the tap CHILD untagged,
and what the kernel sends on CHILD leaves PARENT tagged VID.

    vlan_shim.py PARENT VID CHILD

Prints "ready" once CHILD exists; runs until killed. Standard library only.

The kernel moves a received VLAN tag out of the frame into packet
metadata before any packet socket sees it, so the tag is read from the
PACKET_AUXDATA control message (or from the frame, where a driver left it
in place).
"""
import errno
import fcntl
import os
import select
import socket
import struct
import sys

ETH_P_ALL = 0x0003
ETH_P_8021Q = 0x8100
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
AUXDATA = struct.Struct("IIIHHHH")  # struct tpacket_auxdata


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    # struct ifreq is 40 bytes; the kernel reads all of them
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(),
                                           IFF_TAP | IFF_NO_PI))
    return fd


def vid_of(frame, ancdata):
    """(vid, untagged frame), or (None, frame) for an untagged one."""
    for level, kind, data in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and \
                len(data) >= AUXDATA.size:
            status, _, _, _, _, tci, _ = AUXDATA.unpack_from(data)
            if status & TP_STATUS_VLAN_VALID:
                return tci & 0x0fff, frame
    if len(frame) >= 18 and struct.unpack_from("!H", frame, 12)[0] == \
            ETH_P_8021Q:
        tci = struct.unpack_from("!H", frame, 14)[0]
        return tci & 0x0fff, frame[:12] + frame[16:]
    return None, frame


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: vlan_shim.py PARENT VID CHILD")
    parent, vid, child = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if not 1 <= vid <= 4094:
        sys.exit("vlan_shim: VID %d is out of range (1-4094)" % vid)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                         socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.bind((parent, ETH_P_ALL))
    tap = open_tap(child)
    tag = struct.pack("!HH", ETH_P_8021Q, vid)
    print("ready", flush=True)
    cmsg_size = socket.CMSG_SPACE(AUXDATA.size)
    while True:
        ready, _, _ = select.select([sock, tap], [], [])
        # a parent that is (still) down reports ENETDOWN on the socket,
        # as a real VLAN device would just carry nothing
        if sock in ready:
            try:
                frame, anc, _, addr = sock.recvmsg(65536, cmsg_size)
            except OSError as e:
                if e.errno not in (errno.ENETDOWN, errno.ENXIO):
                    raise
                frame = None
            if frame is not None and addr[2] != PACKET_OUTGOING:
                got, inner = vid_of(frame, anc)
                if got == vid and len(inner) >= 14:
                    os.write(tap, inner)
        if tap in ready:
            frame = os.read(tap, 65536)
            if len(frame) >= 14:
                try:
                    sock.send(frame[:12] + tag + frame[12:])
                except OSError as e:
                    if e.errno not in (errno.ENETDOWN, errno.ENXIO,
                                       errno.ENOBUFS):
                        raise


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
