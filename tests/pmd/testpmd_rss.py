#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: RSS on net_emunic with the stock dpdk-testpmd.

testpmd runs the PF port with --rxq=4 (port-level RSS from rte_eth_conf);
UDP frames of many 5-tuples enter the card from the wire (a kernel tap,
written with a packet socket) and miss to the PF's queues. Each frame's
RSS hash, as testpmd prints it, must be the Toeplitz hash computed here
with the card's default key; its queue must follow from the hash; one
5-tuple always lands on one queue and the flows use every queue. Then an
`rss` rte_flow action spreads over its own queue list, and a change of the
port's hash types (ports off) is honoured.

Environment as testpmd_flow.py. Needs root (the tap).
"""
import os
import random
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

import testpmd_flow as tf
from testpmd_flow import check

# the RSS verification suite's key: the card's default
KEY = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcb"
                    "ae7b30b477cb2da38030f20c6a42b73bbeac01fa")


def toeplitz(key, data):
    k = int.from_bytes(key, "big")
    kbits = len(key) * 8
    h = 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            h ^= (k >> (kbits - 32 - i)) & 0xffffffff
    return h


def flow_hash(f, ports=True):
    src, dst, sport, dport = f
    data = socket.inet_aton(src) + socket.inet_aton(dst)
    if ports:
        data += struct.pack("!HH", sport, dport)
    return toeplitz(KEY, data)


def udp_frame(f):
    src, dst, sport, dport = f
    payload = b"\0" * 18
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 1, 0, 64,
                     17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    return (bytes.fromhex("020000000099020000000001") + b"\x08\x00" + ip +
            udp + payload)


def received(out):
    """(hash, queue) of every IPv4 frame testpmd printed."""
    return [(int(h, 16), int(q, 16)) for h, q in
            re.findall(r"type=0x0800 .*?RSS hash=0x([0-9a-f]+) - RSS "
                       r"queue=0x([0-9a-f]+)", out)]


def send_and_collect(pmd, tx, flows, repeat=3):
    pmd.cmd("clear port stats all")
    pmd.cmd("start", 3)
    for _ in range(repeat):
        for f in flows:
            tx.send(udp_frame(f))
    # until testpmd printed them all (up to 10 s on a loaded machine)
    out = ""
    end = time.time() + 10
    while time.time() < end and len(received(out)) < repeat * len(flows):
        out += pmd.read(0.2)
    out += pmd.read(0.3)
    out += pmd.cmd("stop")
    return out


def scenario_rss(tmp):
    tap = "snrss%d" % (os.getpid() % 100000)
    nic = tf.Emunic(tmp, "--uplink-tap", tap)
    pmd = None
    tx = None
    try:
        subprocess.run(["sysctl", "-qw",
                        "net.ipv6.conf.%s.disable_ipv6=1" % tap], check=False)
        subprocess.run(["ip", "link", "set", tap, "up"], check=True)
        tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        tx.bind((tap, 0))
        pmd = tf.Testpmd(["net_emunic0,socket=%s" % nic.sock],
                         ["--rxq=4", "--txq=4", "--forward-mode=rxonly",
                          "--rss-udp"])
        out = pmd.cmd("show port info 0")
        check("Hash key size in bytes: 40" in out and "ipv4-udp" in out,
              "dev_infos: 40-byte key, UDP among the hash types", out)
        out = pmd.cmd("show port 0 rss reta 64 (0xffffffffffffffff)")
        check("RSS RETA configuration: hash index=63, queue=3" in out,
              "64-entry RETA over the 4 queues", out)
        pmd.cmd("set verbose 1")

        rnd = random.Random(11)
        flows = [("10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256),
                                   rnd.randrange(1, 255)),
                  "192.168.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255)),
                  rnd.randrange(1024, 65535), rnd.randrange(1, 65535))
                 for _ in range(24)]
        want = {flow_hash(f): f for f in flows}
        out = send_and_collect(pmd, tx, flows)
        got = received(out)
        check(len(got) == 3 * len(flows),
              "every frame received (%d of %d)" % (len(got), 3 * len(flows)),
              out)
        check(all(h in want for h, _ in got),
              "each hash is the Toeplitz hash of a flow's 5-tuple", out)
        check(all(q == (h % 64) % 4 for h, q in got),
              "each queue is RETA[hash % 64]", out)
        per_flow = {}
        for h, q in got:
            per_flow.setdefault(h, set()).add(q)
        check(all(len(qs) == 1 for qs in per_flow.values()),
              "one 5-tuple, one queue", str(per_flow))
        queues = {q for qs in per_flow.values() for q in qs}
        check(queues == {0, 1, 2, 3}, "the flows use all 4 queues (%s)"
              % sorted(queues), out)
        # testpmd's own per-queue forwarding stats, printed at stop
        counts = {int(q): int(n) for q, n in re.findall(
            r"RX Port= 0/Queue= ?(\d+) .*?\n\s*RX-packets: (\d+)", out)}
        check(sorted(counts) == [0, 1, 2, 3] and all(counts.values()) and
              sum(counts.values()) == 3 * len(flows),
              "testpmd's per-queue counts agree (%s)" % counts, out)

        # the port's types change at run time: addresses only
        out = pmd.cmd("port config all rss ip")
        same_ips = [("10.9.9.9", "10.8.8.8", 1000 + 17 * i, 53)
                    for i in range(12)]
        out = send_and_collect(pmd, tx, same_ips, repeat=1)
        got = received(out)
        h2 = flow_hash(same_ips[0], ports=False)
        check(len(got) == 12 and all(h == h2 for h, _ in got) and
              len({q for _, q in got}) == 1,
              "rss ip: ports ignored, one queue for one address pair", out)

        # an rss action spreads over its own queues with its own types
        out = pmd.cmd("flow create 0 ingress pattern eth / ipv4 / udp / end "
                      "actions rss queues 1 3 end types ipv4-udp end / end")
        check(tf.created(out), "rss action over queues 1 and 3", out)
        out = send_and_collect(pmd, tx, flows, repeat=1)
        got = received(out)
        check(len(got) == len(flows) and
              all(h in want and q == (1, 3)[h % 2] for h, q in got) and
              {q for _, q in got} == {1, 3},
              "the rule's queues by the 5-tuple hash", out)
        rc, out = tf.snic_fw(nic, "rules")
        check(rc == 0 and "rss(ctx=" in out, "snic-fw rules shows it", out)
        out = pmd.cmd("flow create 0 ingress pattern eth / end actions rss "
                      "queues 0 1 end types sctp end / end")
        check("not computed by the card" in out,
              "a hash type the card lacks is refused, naming it", out)
        out = pmd.cmd("flow flush 0")
        rc, out = tf.snic_fw(nic, "rules")
        check(rc == 0 and "0 rules listed" in out,
              "flush leaves nothing on the card", out)
    finally:
        if tx is not None:
            tx.close()
        if pmd is not None:
            pmd.close()
        nic.kill()


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root for the tap")
        return 77
    with tempfile.TemporaryDirectory(prefix="pmdrss") as tmp:
        print("scenario rss")
        try:
            scenario_rss(tmp)
        except Exception as e:  # noqa: BLE001 - report, then fail
            tf.failures.append("rss: exception %r" % e)
            print("  FAIL exception %r" % e)
    if tf.failures:
        print("FAILED: %d check(s)" % len(tf.failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
