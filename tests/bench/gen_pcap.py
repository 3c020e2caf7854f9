#!/usr/bin/env python3
"""Write a pcap of 64-byte UDP/IPv4 frames spread over N flows.

64 bytes on the wire: 60 bytes in the capture (Ethernet + IPv4 + UDP + 18
bytes of payload) plus the 4-byte FCS that pcap does not keep.  Every flow of
flowset.py appears once per round; the order inside a round is a fixed
shuffle, so consecutive packets do not walk the flow table in order.  With
few flows the rounds repeat until --min-packets frames are written.

  gen_pcap.py --flows N --out FILE [--min-packets M] [--seed S]
"""

import argparse
import random
import struct
import sys

import flowset

FRAME_LEN = 60      # 64 on the wire with the FCS
PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1


def ip_checksum(hdr):
    total = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(i):
    src_ip, dst_ip, sport, dport = flowset.flow(i)
    payload_len = FRAME_LEN - 14 - 20 - 8
    payload = struct.pack("!I", i) + bytes(payload_len - 4)
    udp = struct.pack("!HHHH", sport, dport, 8 + payload_len, 0) + payload
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0,
                     64, 17, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    eth = flowset.DST_MAC + flowset.SRC_MAC + struct.pack("!H", 0x0800)
    out = eth + ip + udp
    assert len(out) == FRAME_LEN
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-packets", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not 1 <= args.flows <= flowset.MAX_FLOWS:
        sys.exit("gen_pcap.py: --flows must be 1..%d, not %d"
                 % (flowset.MAX_FLOWS, args.flows))
    order = list(range(args.flows))
    random.Random(args.seed).shuffle(order)
    frames = [frame(i) for i in order]
    rounds = max(1, -(-args.min_packets // args.flows))
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, 65535,
                            LINKTYPE_ETHERNET))
        n = 0
        for _ in range(rounds):
            for fr in frames:
                f.write(struct.pack("<IIII", n // 1000000, n % 1000000,
                                    len(fr), len(fr)))
                f.write(fr)
                n += 1


if __name__ == "__main__":
    main()
