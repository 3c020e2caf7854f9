#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: stock dpdk-testpmd writes parts of header fields
through net_emunic's MODIFY_FIELD (firmware ABI 1.11, MODIFY_SET and
MODIFY_COPY). Frames built here go out of VF 0 from a pcap, the card
rewrites them on their way to the wire, and the wire's frames, captured
in another pcap, are compared byte for byte with frames built here,
checksums included; refusals are checked with their reasons, on the sync
API and the template/async one.

    testpmd_modify.py [SCENARIO...]     (default: all)

Same environment and harness as testpmd_flow.py (EMUNIC, TESTPMD, PMD),
whose helpers it imports.
"""
import os
import sys

import pktlib
import testpmd_flow as T
from testpmd_flow import check, created

VM_MAC = T.VM_MAC
F = pktlib.ipv4_frame


def udp(tag, src="10.0.0.1", dst="10.0.0.2", sport=1000, dport=2000,
        dst_mac="02:00:00:00:00:aa", src_mac=VM_MAC, tos=0, ttl=64,
        vlan=None, proto=17):
    """A frame told apart from the others by its payload @tag."""
    return F(dst_mac, src_mac, src, dst, proto, sport, dport, ttl=ttl,
             tos=tos, vlan=vlan, payload=b"modify-" + tag.encode())


def key(frame):
    i = frame.rfind(b"modify-")
    return frame[i + 7:].decode() if i >= 0 else "?"


BASE = ("flow create 0 transfer pattern represented_port ethdev_port_id "
        "is 1 / eth / %s / end actions %s / represented_port "
        "ethdev_port_id 0 / end")
MF = "modify_field op set dst_type %s dst_offset %d src_type %s %s width %d"


def scenario_modify(tmp):
    """a: ipv4_src[16..31] := 1.2 (value), the IPv4 and UDP checksums
    patched. b: tcp dst port's low 8 bits := 0x90. c: mac_dst := mac_src
    (a field as source: MODIFY_COPY). d: the VID's low 4 bits := 0xf, PCP
    kept. e: DSCP := 46 with ECN kept, ttl := 9, one rule, two actions.
    f: ipv4_dst's low 16 bits := the UDP source port's (a copy across
    headers)."""
    sent = [udp("a", dport=2001), udp("b", proto=6, dport=80, sport=3002),
            udp("c", dport=2003), udp("d", dport=2004, vlan=0x2064),
            udp("e", dport=2005, tos=0x03), udp("f", dport=2006,
                                                 sport=0x1234)]
    want = {"a": udp("a", src="1.2.0.1", dport=2001),
            "b": udp("b", proto=6, dport=0x90, sport=3002),
            "c": udp("c", dport=2003, dst_mac=VM_MAC),
            "d": udp("d", dport=2004, vlan=0x206f),
            "e": udp("e", dport=2005, tos=0xbb, ttl=9),
            "f": udp("f", dport=2006, sport=0x1234, dst="10.0.18.52")}
    rules = [
        ("ipv4 / udp dst is 2001",
         MF % ("ipv4_src", 16, "value", "src_value 0x01020000", 16)),
        ("ipv4 / tcp dst is 80",
         MF % ("tcp_port_dst", 0, "value", "src_value 0x0090", 8)),
        ("ipv4 / udp dst is 2003",
         MF % ("mac_dst", 0, "mac_src", "src_offset 0", 48)),
        ("vlan / ipv4 / udp dst is 2004",
         MF % ("vlan_id", 0, "value", "src_value 0x000f", 4)),
        ("ipv4 / udp dst is 2005",
         MF % ("ipv4_dscp", 0, "value", "src_value 0x2e", 6) + " / " +
         MF % ("ipv4_ttl", 0, "value", "src_value 0x09", 8)),
        ("ipv4 / udp dst is 2006",
         MF % ("ipv4_dst", 0, "udp_port_src", "src_offset 0", 16)),
    ]
    rx, tx = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
    pktlib.pcap_write(rx, sent)
    nic = T.Emunic(tmp)
    pmd = T.Testpmd(T.vm_vdevs(nic, (rx, tx)),
                    ["--forward-mode=io", "--port-topology=chained",
                     "--no-flush-rx", "--burst=16"])
    try:
        for pat, act in rules:
            out = pmd.cmd(BASE % (pat, act))
            check(created(out), "rule: " + act[:70], out)
        out, frames = T.pcap_through_vf0_to_wire(pmd, tx)
        got = {key(fr): fr for fr in frames}
        check(sorted(got) == sorted(want), "the wire received a-f (%s)"
              % sorted(got), out)
        for k in sorted(want):
            fr = got.get(k, b"")
            check(fr == want[k], "frame %s rewritten as built here" % k,
                  "got  %s\nwant %s" % (fr.hex(), want[k].hex()))
            ok = pktlib.checksums_ok(fr) if fr else (False, False)
            check(ok == (True, True), "IPv4 header and L4 checksums correct "
                  "after " + k, fr.hex())
        refusals(pmd)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


def refusals(pmd):
    """What the card cannot do, refused by validate with the reason."""
    base = ("flow validate 0 transfer pattern eth / ipv4 / end actions %s / "
            "represented_port ethdev_port_id 0 / end")
    for act, want, what in (
            ("modify_field op add dst_type ipv4_ttl dst_offset 0 src_type "
             "value src_value 0x01 width 8", "does not add or subtract",
             "op add"),
            ("modify_field op set dst_type tcp_seq_num dst_offset 0 "
             "src_type value src_value 0x01 width 8",
             "cannot write or read field", "a field the card lacks"),
            ("modify_field op set dst_type ipv4_src dst_offset 16 src_type "
             "value src_value 0x01 width 17", "does not fit destination "
             "IPV4_SRC", "offset + width past the field"),
            ("modify_field op set dst_type ipv4_src dst_level 2 dst_offset 0 "
             "src_type value src_value 0x01 width 8",
             "outermost headers only", "an inner header"),
            ("modify_field op set dst_type mac_dst dst_offset 0 src_type "
             "ipv4_src src_offset 8 width 32", "does not fit source "
             "IPV4_SRC", "source range past the source field")):
        out = pmd.cmd(base % act)
        check(want in out, "MODIFY_FIELD refused: " + what, out)


def scenario_async(tmp):
    """The template/async path: an actions template with MODIFY_FIELD, a
    rule enqueued with its value, pushed and pulled; its frame comes out
    rewritten. A template the card cannot run (op sub) is refused."""
    sent = [udp("q", dport=3001)]
    want = {"q": udp("q", dport=3001, src="10.0.0.77")}
    rx, tx = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
    pktlib.pcap_write(rx, sent)
    nic = T.Emunic(tmp)
    pmd = T.Testpmd(T.vm_vdevs(nic, (rx, tx)),
                    ["--forward-mode=io", "--port-topology=chained",
                     "--no-flush-rx", "--burst=16"])
    try:
        for c, want_out in (
                ("port stop all", ""),
                ("flow configure 0 queues_number 1 queues_size 64", ""),
                ("port start all", ""),
                ("flow pattern_template 0 create transfer "
                 "pattern_template_id 1 template represented_port "
                 "ethdev_port_id mask 0xffff / eth / ipv4 / udp dst mask "
                 "0xffff / end", "created"),
                ("flow actions_template 0 create transfer "
                 "actions_template_id 1 template " +
                 MF % ("ipv4_src", 0, "value", "src_value 0x0000004d", 8) +
                 " / represented_port ethdev_port_id 0 / end mask " +
                 MF % ("ipv4_src", 0, "value", "src_value 0x0000004d", 8) +
                 " / represented_port ethdev_port_id 0 / end", "created"),
                ("flow template_table 0 create table_id 1 group 0 "
                 "priority 0 transfer rules_number 4 pattern_template 1 "
                 "actions_template 1", "created"),
                ("flow queue 0 create 0 template_table 1 pattern_template 0 "
                 "actions_template 0 postpone no pattern represented_port "
                 "ethdev_port_id is 1 / eth / ipv4 / udp dst is 3001 / end "
                 "actions " +
                 MF % ("ipv4_src", 0, "value", "src_value 0x0000004d", 8) +
                 " / represented_port ethdev_port_id 0 / end", "enqueued"),
                ("flow push 0 queue 0", ""),
                ("flow pull 0 queue 0", "succeeded")):
            out = pmd.cmd(c)
            check(want_out in out, c[:60], out)
        out, frames = T.pcap_through_vf0_to_wire(pmd, tx)
        got = {key(fr): fr for fr in frames}
        fr = got.get("q", b"")
        check(fr == want["q"], "the async rule's frame rewritten",
              "got  %s\nwant %s" % (fr.hex(), want["q"].hex()))
        out = pmd.cmd(
            "flow actions_template 0 create transfer actions_template_id 2 "
            "template modify_field op sub dst_type ipv4_ttl dst_offset 0 "
            "src_type value src_value 0x01 width 8 / represented_port "
            "ethdev_port_id 0 / end mask modify_field op sub dst_type "
            "ipv4_ttl dst_offset 0 src_type value src_value 0x01 width 8 / "
            "represented_port ethdev_port_id 0 / end")
        check("does not add or subtract" in out, "an op sub actions template "
              "refused", out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


def scenario_basic(tmp):
    """The basic profile (an older card, in effect) has neither MODIFY
    action: refused naming the profile and the card's action."""
    nic = T.Emunic(tmp, "--profile", "basic")
    pmd = T.Testpmd([T.pf_vdev(nic)], ["--forward-mode=rxonly"])
    try:
        out = pmd.cmd("flow validate 0 transfer pattern eth / ipv4 / end "
                      "actions " + MF % ("ipv4_src", 16, "value",
                                         "src_value 0x01020000", 16) +
                      " / port_representor port_id 0 / end")
        check("does not support action" in out and "modify_set" in out and
              "basic" in out, "MODIFY_FIELD refused on basic", out)
    finally:
        pmd.close()
        nic.kill()


SCENARIOS = {
    "modify": scenario_modify,
    "async": scenario_async,
    "basic": scenario_basic,
}

if __name__ == "__main__":
    sys.exit(T.main(SCENARIOS, "pmdmodify"))
