#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: stock dpdk-testpmd drives MPLS in the card through
net_emunic (firmware ABI 1.10): the MPLS item on the top label stack
entry, OF_PUSH_MPLS and OF_POP_MPLS. Frames built here go out of VF 0
from a pcap, the card rewrites them on their way to the wire, and the
wire's frames, captured in another pcap, are compared byte for byte with
frames built here; counts and refusals with their reasons are checked.

    testpmd_mpls.py [SCENARIO...]     (default: all)

Same environment and harness as testpmd_flow.py (EMUNIC, TESTPMD, PMD),
whose helpers it imports.
"""
import os
import re
import struct
import sys

import pktlib
import testpmd_flow as T
from testpmd_flow import check, created, hits, rule_id

VM_MAC = T.VM_MAC


def lse(label, tc=0, bos=1, ttl=64):
    return struct.pack("!I", label << 12 | tc << 9 | bos << 8 | ttl)


def mpls(frame, entries, ethertype=0x8847):
    """@frame (untagged Ethernet) with the label stack @entries (bytes)
    after its MACs, under @ethertype."""
    return frame[:12] + struct.pack("!H", ethertype) + b"".join(entries) + \
        frame[14:]


def ipv4(dst_last, tos=0, ttl=64):
    return pktlib.ipv4_frame("02:00:00:00:00:%s" % dst_last, VM_MAC,
                             "10.0.0.1", "10.0.0.2", 17, 1000, 2000, ttl=ttl,
                             tos=tos)


def scenario_mpls(tmp):
    """a1: IPv4 gets a pushed entry (label 0, TC from the DSCP, TTL from
    the IP header). b1: the top of two entries popped to 0x8847, only for
    label 100. c1: one entry (label 200, BOS) popped to IPv4, the inner
    frame whole again. d1: label 201 misses c1's rule and stays off the
    wire. The push rule counts its frame."""
    a1 = ipv4("a1", tos=0xb8, ttl=17)
    b1 = mpls(ipv4("b1"), [lse(100, 5, 0, 9), lse(7, 1, 1, 8)])
    c1 = mpls(ipv4("c1"), [lse(200, 0, 1, 30)])
    d1 = mpls(ipv4("c1"), [lse(201, 0, 1, 30)])
    sent = [a1, b1, c1, d1]
    # DSCP 46 (0xb8 >> 2): TC is its low 3 bits, 6; TTL 17 from the header
    want = {"a1": mpls(a1, [lse(0, 6, 1, 17)]),
            "b1": mpls(ipv4("b1"), [lse(7, 1, 1, 8)]),
            "c1": ipv4("c1")}
    rules = [
        "eth dst is 02:00:00:00:00:a1 / ipv4 / end actions count / "
        "of_push_mpls ethertype 0x8847",
        "eth dst is 02:00:00:00:00:b1 / mpls label is 100 / end actions "
        "of_pop_mpls ethertype 0x8847",
        "eth dst is 02:00:00:00:00:c1 type is 0x8847 / mpls label is 200 "
        "s is 1 / end actions of_pop_mpls ethertype 0x0800",
    ]
    rx, tx = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
    pktlib.pcap_write(rx, sent)
    nic = T.Emunic(tmp)
    pmd = T.Testpmd(T.vm_vdevs(nic, (rx, tx)),
                    ["--forward-mode=io", "--port-topology=chained",
                     "--no-flush-rx", "--burst=16"])
    try:
        ids = []
        for r in rules:
            out = pmd.cmd("flow create 0 transfer pattern represented_port "
                          "ethdev_port_id is 1 / %s / represented_port "
                          "ethdev_port_id 0 / end" % r)
            check(created(out), "rule: " + r[:60], out)
            ids.append(rule_id(out))
        out, frames = T.pcap_through_vf0_to_wire(pmd, tx)
        got = {fr[:6].hex()[-2:]: fr for fr in frames}
        check(len(frames) == 3 and len(got) == 3,
              "the wire received 3 frames, d1 (label 201) not (%d: %s)"
              % (len(frames), sorted(got)), out)
        for k, what in (("a1", "OF_PUSH_MPLS onto IPv4: label 0, TC 6, "
                         "BOS, TTL 17"),
                        ("b1", "OF_POP_MPLS to 0x8847: the top entry only"),
                        ("c1", "OF_POP_MPLS to 0x0800: the IPv4 frame")):
            fr = got.get(k, b"")
            check(fr == want[k], what + " in the received bytes",
                  "got  %s\nwant %s" % (fr.hex(), want[k].hex()))
        check(hits(pmd, 0, ids[0]) == 1, "the push rule counted a1 (%d)"
              % hits(pmd, 0, ids[0]))
        # refusals, with the reason
        base = "flow validate 0 transfer pattern eth / "
        out = pmd.cmd(base + "mpls / ipv4 / end actions drop / end")
        check("after MPLS" in out and "nothing under the stack" in out,
              "IPV4 under MPLS refused: the card parses nothing there", out)
        out = pmd.cmd("flow validate 0 transfer pattern eth type is 0x0800 / "
                      "mpls label is 3 / end actions drop / end")
        check("0x8847 or 0x8848" in out, "MPLS under IPv4's EtherType "
              "refused", out)
        out = pmd.cmd(base + "end actions of_push_mpls ethertype 0x0800 / "
                      "represented_port ethdev_port_id 0 / end")
        check("is not an MPLS one" in out, "OF_PUSH_MPLS of 0x0800 refused",
              out)
        out = pmd.cmd(base + "mpls label is 5 / end actions of_pop_mpls "
                      "ethertype 0x86dd / represented_port ethdev_port_id 0 "
                      "/ end")
        check(re.search(r"Flow rule validated", out) is not None,
              "a bare MPLS item (0x8847 taken) with a pop validates", out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


def scenario_basic(tmp):
    """The basic profile has no MPLS: the item on a label and both actions
    are refused naming the profile; a bare MPLS item (the EtherType only)
    still validates."""
    nic = T.Emunic(tmp, "--profile", "basic")
    pmd = T.Testpmd([T.pf_vdev(nic)], ["--forward-mode=rxonly"])
    try:
        base = "flow validate 0 transfer pattern eth / "
        out = pmd.cmd(base + "mpls label is 5 / end actions drop / end")
        check("cannot match the top MPLS label stack entry" in out and
              "basic" in out, "MPLS label refused on basic", out)
        for act in ("of_push_mpls ethertype 0x8847",
                    "of_pop_mpls ethertype 0x0800"):
            out = pmd.cmd(base + "end actions %s / port_representor "
                          "port_id 0 / end" % act)
            check("does not support action" in out and "mpls" in out,
                  act + " refused on basic", out)
        out = pmd.cmd(base + "mpls / end actions drop / end")
        check("Flow rule validated" in out, "any MPLS frame (EtherType "
              "0x8847) matches on basic", out)
    finally:
        pmd.close()
        nic.kill()


SCENARIOS = {
    "mpls": scenario_mpls,
    "basic": scenario_basic,
}

if __name__ == "__main__":
    sys.exit(T.main(SCENARIOS, "pmdmpls"))
