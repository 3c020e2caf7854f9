"""The benchmark's flow set: flow i of N as a UDP 5-tuple.

Shared by gen_pcap.py and gen_flows.py so the traffic and the rules that
match it cannot drift apart.  Every flow has its own destination address
(10.0.0.0/8 holds 16M of them) and its own destination port, so a
classifier cannot get away with looking at one field only.
"""

SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")
MAX_FLOWS = 1 << 24


def ip_str(v):
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def flow(i):
    """(src_ip, dst_ip, src_port, dst_port) of flow i, addresses as ints."""
    if not 0 <= i < MAX_FLOWS:
        raise ValueError("flow index %d outside 0..%d" % (i, MAX_FLOWS - 1))
    src_ip = (192 << 24) | (168 << 16) | 1
    dst_ip = (10 << 24) + i + 1
    src_port = 10000 + (i * 13) % 50000
    dst_port = 1024 + i % 60000
    return src_ip, dst_ip, src_port, dst_port
