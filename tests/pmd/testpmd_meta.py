#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: stock dpdk-testpmd drives the card's per-packet
registers through net_emunic (firmware ABI 1.9): SET_TAG / SET_META in one
group, the TAG and META items steering in the next, and META reaching the
host in the mbuf's rx metadata dynfield.

    testpmd_meta.py [SCENARIO...]     (default: all)

Same environment and harness as testpmd_flow.py (EMUNIC, TESTPMD, PMD),
whose helpers it imports.
"""
import re
import sys
import time

import testpmd_flow as T
from testpmd_flow import check, created, hits, port_stat, rule_id


def burst_verbose(pmd, want_meta=0):
    """One tx_first burst of 16 from VF 0 (5), the wire (6), the PF (0) and
    VF 0's representor (1), with testpmd's per-packet lines; (output,
    {port: RX-packets}). The PF and the representor are in the list so
    that they are polled (what misses to them is counted); their own
    frames bypass steering: the PF's go out of the wire (6), the
    representor's to VF 0 (5). The verbose lines follow the prompt and
    come in as many reads as the forwarding core's writes make: read for
    a second, and on until want_meta rx-metadata lines are in (a loaded
    machine is slow to print), so that none is left to "stop", whose
    reply loses its first line with the echo."""
    pmd.cmd("set portlist 0,1,5,6")
    pmd.cmd("clear port stats all")
    out = pmd.cmd("start tx_first", 3)
    settle, end = time.time() + 1, time.time() + 15
    while time.time() < end:
        out += pmd.read(0.2)
        if time.time() >= settle and len(META_LINE.findall(out)) >= want_meta:
            break
    out += pmd.cmd("stop")
    return out, {p: port_stat(pmd, p, "RX-packets") for p in (0, 1, 5, 6)}


META_LINE = re.compile(r"Rx metadata: 0x([0-9a-f]+)")


# Group 0 tags each source: VF 0's frames TAG[0] = 5, the wire's TAG[0] = 6
# and META 0x1234; both go on to group 1.
R_TAG_VF0 = ("flow create 0 transfer pattern represented_port ethdev_port_id "
             "is 1 / eth / end actions set_tag data 5 mask 0xffffffff index "
             "0 / jump group 1 / end")
R_TAG_WIRE = ("flow create 0 transfer pattern eth / end actions set_tag data "
              "6 mask 0xffffffff index 0 / set_meta data 0x1234 mask "
              "0xffffffff / jump group 1 / end")
ANY_PORT = "represented_port ethdev_port_id spec 0 ethdev_port_id mask 0"


def scenario_registers(tmp):
    """TAG 5 (VF 0's frames) is steered to the wire by a group 1 rule on
    the tag; TAG 6 (the wire's frames) misses it and reaches the PF with
    META 0x1234 in the rx metadata. Then a META match takes the wire's
    frames and VF 0's (META 0) miss."""
    nic = T.Emunic(tmp)
    # ports: 0 PF, 1..4 representors of VF 0..3, 5 VF 0 (VM side), 6 wire
    pmd = T.Testpmd(T.vm_vdevs(nic), ["--forward-mode=rxonly", "--burst=16"])
    try:
        out = pmd.cmd(R_TAG_VF0)
        check(created(out), "group 0: VF 0's frames get TAG[0] = 5", out)
        out = pmd.cmd(R_TAG_WIRE)
        check(created(out), "group 0: the wire's get TAG[0] = 6 and META "
              "0x1234", out)
        out = pmd.cmd("flow create 0 transfer group 1 pattern %s / tag data "
                      "is 5 index is 0 / end actions count / "
                      "represented_port ethdev_port_id 0 / end" % ANY_PORT)
        check(created(out), "group 1: TAG[0] == 5 to the wire, counted", out)
        r_tag = rule_id(out)
        pmd.cmd("set verbose 1")
        out, rx = burst_verbose(pmd, 16)
        check(rx[6] == 32, "VF 0's burst (TAG 5) reached the wire, beside "
              "the PF's own 16 (%d)" % rx[6], out)
        check(hits(pmd, 0, r_tag) == 16, "the TAG rule took exactly VF 0's "
              "16 (%d)" % hits(pmd, 0, r_tag))
        check(rx[0] == 16, "the wire's burst (TAG 6) missed group 1 to the "
              "PF (%d)" % rx[0], out)
        check(rx[1] == 0, "nothing of VF 0 missed (%d)" % rx[1])
        meta = META_LINE.findall(out)
        check(len(meta) == 16 and set(meta) == {"1234"},
              "the PF's 16 frames carry META 0x1234 (%s)"
              % sorted(set(meta)), out)
        # now steer on META: the wire's frames (META 0x1234) dropped, VF
        # 0's (no META) miss to its representor
        pmd.cmd("flow destroy 0 rule %s" % r_tag)
        out = pmd.cmd("flow create 0 transfer group 1 pattern %s / meta data "
                      "is 0x1234 / end actions count / drop / end" % ANY_PORT)
        check(created(out), "group 1: META == 0x1234 dropped, counted", out)
        r_meta = rule_id(out)
        out, rx = burst_verbose(pmd)
        check(rx[0] == 0 and hits(pmd, 0, r_meta) == 16,
              "the META rule dropped the wire's 16 (PF got %d, hits %d)"
              % (rx[0], hits(pmd, 0, r_meta)), out)
        check(rx[1] == 16 and rx[6] == 16, "VF 0's frames (META 0) missed "
              "to its representor (%d), none to the wire (%d)"
              % (rx[1], rx[6] - 16), out)
        check("Rx metadata" not in out, "a frame without META has no rx "
              "metadata", out)
        out = pmd.cmd("flow validate 0 transfer group 1 pattern tag data is 1 "
                      "index is 8 / end actions drop / end")
        check("index 8 is out of range" in out, "tag index 8 refused with "
              "the reason", out)
        out = pmd.cmd("flow validate 0 transfer pattern eth / end actions "
                      "set_tag data 1 mask 0 index 0 / jump group 1 / end")
        check("the mask is 0" in out, "set_tag with mask 0 refused", out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


SCENARIOS = {
    "registers": scenario_registers,
}

if __name__ == "__main__":
    sys.exit(T.main(SCENARIOS, "pmdmeta"))
