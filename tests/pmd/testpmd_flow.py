#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: the real dpdk-testpmd drives net_emunic against emunic.

    testpmd_flow.py [SCENARIO...]     (default: all)

Environment: EMUNIC (emunic binary), TESTPMD (dpdk-testpmd), PMD (our .so),
SNIC_FW (the snic-fw tool: firmware reset and fault knobs from outside).
Each scenario starts its own emunic and testpmd (on a pty, so testpmd's
output comes line by line) and always kills both. Standard library only.
"""
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pktlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from snic_child import die_with_parent, remove_dpdk_runtime  # noqa: E402
import snic_emunic  # noqa: E402
from snic_emunic import EMUNIC  # noqa: E402,F401

TESTPMD = os.environ.get("TESTPMD", "/usr/bin/dpdk-testpmd")
PMD = os.path.abspath(os.environ.get("PMD", "build/pmd/librte_net_emunic.so"))
SNIC_FW = os.environ.get("SNIC_FW", "build/cli/snic-fw/snic-fw")
PROMPT = "testpmd> "
failures = []


def check(cond, what, output=""):
    if cond:
        print("  ok   " + what)
    else:
        print("  FAIL " + what)
        if output:
            print("       --- output ---\n" + output[-1500:])
        failures.append(what)


class Emunic(snic_emunic.Emunic):
    """emunic in switchdev mode with 4 of 8 VFs, log in TMP/nic.log."""

    def __init__(self, tmp, *args):
        super().__init__(os.path.join(tmp, "nic"), "--max-vfs", "8",
                         "--num-vfs", "4", "--mode", "switchdev", *args)


def driver_env():
    """The environment of a stock DPDK application (dpdk-testpmd,
    dpdk-test-flow-perf) with our driver in it.

    Our driver goes in with LD_PRELOAD, not -d: DPDK refuses a -d plugin
    below a world-writable folder (any clone in /tmp), while a preloaded
    library's constructor registers net_emunic the same way before main()
    from wherever the build is. Copying the .so to a private root-owned
    folder would work too, but needs root, a folder outside every
    world-writable one, and a cleanup that a killed test skips."""
    env = dict(os.environ)
    preload = [PMD]
    if os.environ.get("TESTPMD_PRELOAD"):
        # sanitized PMD in a stock application: runtimes first; the
        # application's own allocations at exit are not ours to judge
        preload = os.environ["TESTPMD_PRELOAD"].split(":") + preload
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1"
    env["LD_PRELOAD"] = ":".join(preload)
    return env


class Testpmd:
    def __init__(self, vdevs, extra=()):
        self.prefix = "pmdit%d_%d" % (os.getpid(), time.time_ns() % 100000)
        args = [TESTPMD, "--no-huge", "--no-pci", "-m", "512",
                "--file-prefix", self.prefix,
                # no shared files: none of our tests has a secondary, and
                # this DPDK leaves a killed primary's 6 MB in
                # /var/run/dpdk/PREFIX for good
                "--no-shconf", "--no-telemetry", "-l", "0,1"]
        for v in vdevs:
            args += ["--vdev", v]
        args += ["--", "-i", "--total-num-mbufs=4096", *extra]
        master, slave = pty.openpty()
        self.fd = master
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True,
                                     env=driver_env(),
                                     preexec_fn=die_with_parent())
        os.close(slave)
        self.log = ""
        self.startup = self.wait_prompt(30)

    def read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return ""
        try:
            return os.read(self.fd, 65536).decode(errors="replace")
        except OSError:
            return ""

    def wait_prompt(self, timeout=15):
        out = ""
        end = time.time() + timeout
        while time.time() < end:
            out += self.read(0.2)
            if out.rstrip(" ").endswith(PROMPT.rstrip(" ")):
                break
            if self.proc.poll() is not None:
                out += self.read(0.2)
                break
        self.log += out
        return out

    def cmd(self, line, timeout=15):
        os.write(self.fd, (line + "\n").encode())
        out = self.wait_prompt(timeout)
        # drop the echoed command line
        return out.split("\n", 1)[1] if "\n" in out else out

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.alive():
            try:
                os.write(self.fd, b"quit\n")
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.fd)
        remove_dpdk_runtime(self.prefix)


def pf_vdev(nic, extra=""):
    return "net_emunic0,socket=%s,representor=vf[0-3]%s" % (nic.sock, extra)


def created(out):
    return re.search(r"Flow rule #\d+ created", out) is not None


def snic_fw(nic, *args):
    """Run snic-fw against @nic's PF socket; (exit code, output)."""
    r = subprocess.run([SNIC_FW, "--socket", nic.sock, *args],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=10)
    return r.returncode, r.stdout


def wait_output(pmd, pattern, timeout=3):
    """Read testpmd's asynchronous output (logs, events) until @pattern."""
    out = ""
    end = time.time() + timeout
    while time.time() < end and re.search(pattern, out) is None:
        out += pmd.read(0.2)
    pmd.log += out
    return out


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

FLOW_OK = [
    ("eth fields + count + represented_port",
     "flow create 0 transfer pattern represented_port ethdev_port_id is 1 / "
     "eth src is 02:00:00:00:00:01 dst is 02:00:00:00:00:02 type is 0x0800 / "
     "end actions count / represented_port ethdev_port_id 0 / end"),
    ("vlan + ipv4 + udp, mark + port_representor",
     "flow create 0 transfer pattern eth / vlan vid is 10 pcp is 3 / ipv4 "
     "src is 10.0.0.1 dst is 10.0.0.2 proto is 17 tos is 4 ttl is 64 / udp "
     "src is 1 dst is 2 / end actions mark id 5 / port_representor port_id 1 "
     "/ end"),
    ("ipv6 + tcp, of_pop_vlan + port_id",
     "flow create 0 transfer pattern eth / ipv6 src is ::1 dst is ::2 proto "
     "is 6 tc is 1 hop is 5 / tcp src is 3 dst is 4 / end actions of_pop_vlan "
     "/ port_id id 2 / end"),
    ("icmp, drop",
     "flow create 0 transfer pattern eth / ipv4 / icmp type is 8 code is 0 / "
     "end actions count / drop / end"),
    ("vxlan vni, vxlan_decap + jump",
     "flow create 0 transfer pattern eth / ipv4 / udp / vxlan vni is 100 / "
     "end actions vxlan_decap / jump group 2 / end"),
    ("group 2 header rewrites",
     "flow create 0 transfer group 2 pattern eth / ipv4 / tcp / end actions "
     "set_mac_src mac_addr 02:00:00:00:00:aa / set_mac_dst mac_addr "
     "02:00:00:00:00:bb / set_ipv4_src ipv4_addr 1.1.1.1 / set_ipv4_dst "
     "ipv4_addr 2.2.2.2 / set_tp_src port 10 / set_tp_dst port 20 / dec_ttl "
     "/ represented_port ethdev_port_id 3 / end"),
    ("port_id item, vxlan_encap",
     "flow create 0 transfer pattern port_id id is 2 / end actions vxlan_encap "
     "/ represented_port ethdev_port_id 0 / end"),
    ("port_representor item, push_vlan folding",
     "flow create 0 transfer priority 1 pattern port_representor port_id is "
     "3 / end actions of_push_vlan ethertype 0x8100 / of_set_vlan_vid "
     "vlan_vid 7 / of_set_vlan_pcp vlan_pcp 2 / represented_port "
     "ethdev_port_id 0 / end"),
    ("standalone set_vlan_vid / set_vlan_pcp",
     "flow create 0 transfer pattern eth / vlan / end actions of_set_vlan_vid "
     "vlan_vid 9 / of_set_vlan_pcp vlan_pcp 1 / represented_port "
     "ethdev_port_id 0 / end"),
    ("ingress queue on a representor",
     "flow create 1 ingress pattern eth / ipv4 / udp dst is 53 / end actions "
     "queue index 0 / end"),
    ("ingress rss on the PF",
     "flow create 0 ingress pattern eth / end actions rss queues 0 end / end"),
]

FLOW_REFUSED = [
    ("egress", "flow create 0 egress pattern eth / end actions drop / end",
     "egress rules are not supported"),
    ("backward jump",
     "flow create 0 transfer group 3 pattern eth / end actions jump group 1 "
     "/ end", "jumps go only to a higher group"),
    ("priority beyond caps",
     "flow create 0 transfer priority 20 pattern eth / end actions drop / end",
     "priority 20 is beyond"),
    ("queue beyond the port",
     "flow create 0 ingress pattern eth / end actions queue index 9 / end",
     "queue 9 does not exist"),
    ("inner headers after vxlan",
     "flow validate 0 transfer pattern eth / ipv4 / udp / vxlan / eth / end "
     "actions drop / end", "inner headers"),
    ("unsupported item",
     "flow validate 0 transfer pattern eth / ipv4 / gre / end actions drop / "
     "end", "cannot follow|not supported"),
    ("no fate", "flow validate 0 transfer pattern eth / end actions mark id 1"
     " / end", "no fate"),
]


def scenario_flow_cmds(tmp):
    nic = Emunic(tmp)
    pmd = Testpmd([pf_vdev(nic)])
    try:
        out = pmd.cmd("flow validate 0 ingress pattern eth / ipv4 / udp dst is "
                      "53 / end actions queue index 0 / end")
        check("Flow rule validated" in out, "validate", out)
        out = pmd.cmd("set vxlan ip-version ipv4 vni 4 udp-src 4 udp-dst 4789 "
                      "ip-src 10.1.1.1 ip-dst 10.1.1.2 eth-src "
                      "02:00:00:00:00:01 eth-dst 02:00:00:00:00:02")
        for what, line in FLOW_OK:
            out = pmd.cmd(line)
            check(created(out), "create: " + what, out)
        out = pmd.cmd("flow list 0")
        check(out.count("=>") == 10, "flow list shows the 10 rules of port 0",
              out)
        check("REPRESENTED_PORT ETH => COUNT REPRESENTED_PORT" in out,
              "flow list names items and actions", out)
        out = pmd.cmd("flow query 0 0 count")
        check("hits_set: 1" in out and "hits: 0" in out, "query count", out)
        for what, line, words in FLOW_REFUSED:
            out = pmd.cmd(line)
            check(re.search(words, out) is not None and not created(out),
                  "refused: " + what, out)
        out = pmd.cmd("flow destroy 0 rule 0")
        check("Flow rule #0 destroyed" in out, "destroy", out)
        out = pmd.cmd("flow flush 0")
        out = pmd.cmd("flow list 0")
        check("=>" not in out, "flush empties the port's list", out)
        out = pmd.cmd("flow list 1")
        check(out.count("=>") == 1, "flush of port 0 leaves port 1's rule",
              out)
        check(pmd.alive(), "testpmd still running")
    finally:
        pmd.close()
        nic.kill()


def scenario_tiny(tmp):
    nic = Emunic(tmp, "--profile", "tiny")
    pmd = Testpmd([pf_vdev(nic)])
    try:
        cases = [
            ("field the profile lacks",
             "flow validate 0 transfer pattern eth / ipv4 src is 1.2.3.4 / end"
             " actions drop / end", "cannot match"),
            ("group beyond the profile",
             "flow validate 0 transfer group 1 pattern eth / end actions drop"
             " / end", "highest group 0"),
            ("action the profile lacks",
             "flow validate 0 transfer pattern eth / end actions dec_ttl / "
             "represented_port ethdev_port_id 0 / end",
             "does not support action dec_ttl"),
            ("priority beyond the profile",
             "flow validate 0 transfer priority 2 pattern eth / end actions "
             "drop / end", "priorities 0..1"),
        ]
        for what, line, words in cases:
            out = pmd.cmd(line)
            check(words in out, "tiny refuses: " + what, out)
        out = pmd.cmd("flow validate 0 transfer pattern represented_port "
                      "ethdev_port_id is 1 / eth dst is 02:00:00:00:00:01 / "
                      "end actions represented_port ethdev_port_id 0 / end")
        check("Flow rule validated" in out, "tiny accepts port + MAC", out)
        full = ""
        for i in range(70):
            out = pmd.cmd("flow create 0 transfer pattern eth dst is "
                          "02:00:00:00:%02x:%02x / end actions drop / end"
                          % (i // 256, i % 256))
            if not created(out):
                full = out
                break
        check("full" in full or "No space" in full,
              "a full table is ENOSPC with a message", full)
        out = pmd.cmd("flow flush 0")
        out = pmd.cmd("flow create 0 transfer pattern eth dst is "
                      "02:00:00:00:01:01 / end actions drop / end")
        check(created(out), "room again after flush", out)
    finally:
        pmd.close()
        nic.kill()


def port_stat(pmd, port, what):
    out = pmd.cmd("show port stats %d" % port)
    m = re.search(what + r":\s+(\d+)", out)
    return int(m.group(1)) if m else -1


def scenario_forward(tmp):
    nic = Emunic(tmp)
    # ports: 0 PF, 1..4 representors of VF 0..3, 5 VF 0 (VM side), 6 wire
    pmd = Testpmd([pf_vdev(nic),
                   "net_emunic1,socket=%s,vf=0" % nic.sock,
                   "net_emunic2,socket=%s,uplink=1" % nic.sock],
                  ["--forward-mode=rxonly", "--burst=16"])
    try:
        out = pmd.cmd("show port summary all")
        check(out.count("net_emunic") >= 7, "7 ports probed", out)
        out = pmd.cmd("flow create 0 transfer pattern represented_port "
                      "ethdev_port_id is 1 / eth / ipv4 / end actions count / "
                      "of_push_vlan ethertype 0x8100 / of_set_vlan_vid "
                      "vlan_vid 100 / set_mac_dst mac_addr 02:00:00:00:00:99 "
                      "/ represented_port ethdev_port_id 0 / end")
        check(created(out), "transfer rule VF0 -> wire with push + rewrite",
              out)
        # verbose packet lines follow the prompt, so the prompt is not the
        # last thing printed: bound each start by a short wait instead
        pmd.cmd("set verbose 1")
        pmd.cmd("set portlist 5,6")
        out = pmd.cmd("start tx_first", 3)
        time.sleep(1)
        out += pmd.read(1)
        out += pmd.cmd("stop")
        rx6 = port_stat(pmd, 6, "RX-packets")
        check(rx6 == 16, "the wire received the VF's burst (%d)" % rx6, out)
        check("dst=02:00:00:00:00:99" in out, "rewritten dst MAC seen", out)
        check("type=0x8100" in out or "VLAN" in out,
              "pushed VLAN tag seen on the wire", out)
        out = pmd.cmd("flow query 0 0 count")
        check("hits: 16" in out, "counter counted 16", out)
        pmd.cmd("flow destroy 0 rule 0")
        out = pmd.cmd("flow create 0 transfer pattern represented_port "
                      "ethdev_port_id is 1 / end actions count / drop / end")
        check(created(out), "drop rule", out)
        rule = re.search(r"Flow rule #(\d+) created", out).group(1)
        pmd.cmd("clear port stats all")
        pmd.cmd("start tx_first", 3)
        time.sleep(1)
        pmd.cmd("stop")
        rx6 = port_stat(pmd, 6, "RX-packets")
        out = pmd.cmd("flow query 0 %s count" % rule)
        check(rx6 == 0 and "hits: 16" in out,
              "drop dropped 16 (wire got %d)" % rx6, out)
        pmd.cmd("flow flush 0")
        pmd.cmd("set portlist 1,5")
        pmd.cmd("clear port stats all")
        out = pmd.cmd("start tx_first", 3)
        time.sleep(1)
        out += pmd.cmd("stop")
        rx1 = port_stat(pmd, 1, "RX-packets")
        check(rx1 == 16, "a miss reaches the representor (%d)" % rx1, out)
        out = pmd.cmd("show port xstats 1")
        check("dev_rep_rx_packets" in out, "device counters in xstats", out)
        out = pmd.cmd("flow create 0 transfer pattern represented_port "
                      "ethdev_port_id is 1 / end actions mark id 0x1234 / "
                      "port_representor port_id 1 / end")
        check(created(out), "mark + port_representor rule", out)
        pmd.cmd("clear port stats all")
        out = pmd.cmd("start tx_first", 3)
        time.sleep(1)
        out += pmd.cmd("stop")
        check("FDIR matched ID=0x1234" in out, "MARK reaches the mbuf", out)
    finally:
        pmd.close()
        nic.kill()


def scenario_hotplug(tmp):
    nic = Emunic(tmp)
    pmd = Testpmd([pf_vdev(nic)])
    try:
        pmd.cmd("port stop 2")
        out = pmd.cmd("port close 2")
        check("closed" in out.lower(), "representor port 2 closed", out)
        out = pmd.cmd("show port summary all")
        check("net_emunic0_representor_1" not in out,
              "port 2 is gone, the others stay", out)
        out = pmd.cmd("flow create 0 transfer pattern represented_port "
                      "ethdev_port_id is 1 / end actions represented_port "
                      "ethdev_port_id 0 / end")
        check(created(out), "flows still work after the unplug", out)
        pmd.cmd("port stop all")
        out = pmd.cmd("device detach net_emunic0", 20)
        check("detached" in out.lower(), "device detached", out)
        out = pmd.cmd("port attach %s" % pf_vdev(nic), 20)
        check("attached" in out.lower(), "device re-probed", out)
        out = pmd.cmd("show port summary all")
        check(out.count("net_emunic0") == 5, "PF and 4 representors back",
              out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


def scenario_death(tmp):
    nic = Emunic(tmp)
    pmd = Testpmd([pf_vdev(nic)])
    try:
        out = pmd.cmd("flow create 0 transfer pattern eth / end actions drop "
                      "/ end")
        check(created(out), "rule before death", out)
        nic.kill()
        time.sleep(1)
        out = pmd.cmd("show port info 0")
        check("Link status: down" in out, "link down after the card died",
              out)
        out = pmd.cmd("flow create 0 transfer pattern eth / end actions drop "
                      "/ end")
        check("not answering" in out and not created(out),
              "flow create fails with a clear error", out)
        out = pmd.cmd("flow query 0 0 count")
        out = pmd.cmd("show port summary all")
        check("net_emunic0" in out, "testpmd keeps answering", out)
        start = time.time()
        pmd.close()
        check(time.time() - start < 10, "quit does not hang")
    finally:
        pmd.close() if pmd.alive() else None
        nic.kill()


def scenario_badargs(tmp):
    nic = Emunic(tmp)
    try:
        for arg, words in [("bogus=1", "unknown devarg 'bogus'"),
                           ("rxq=99", "rxq=99"),
                           ("representor=pf[0]", "representor")]:
            pmd = Testpmd(["net_emunic0,socket=%s,%s" % (nic.sock, arg)])
            out = pmd.startup
            pmd.close()
            check(words in out, "bad devarg %s named in the log" % arg, out)
    finally:
        nic.kill()


# --------------------------------------------------------------------------
# A card that resets or fails commands under the driver
# --------------------------------------------------------------------------

def vm_vdevs(nic, pcap=None):
    """PF + 4 representors (ports 0-4), VF 0's VM side (5), the wire's
    peer (6), and with @pcap = (rx file, tx file) a net_pcap port (7)."""
    v = [pf_vdev(nic), "net_emunic1,socket=%s,vf=0" % nic.sock,
         "net_emunic2,socket=%s,uplink=1" % nic.sock]
    if pcap:
        v.append("net_pcap0,rx_pcap=%s,tx_pcap=%s" % pcap)
    return v


def rule_id(out):
    m = re.search(r"Flow rule #(\d+) created", out)
    return m.group(1) if m else "none"


def burst(pmd, ports):
    """One tx_first burst on the streams of @ports, then stop; counters are
    cleared first so port stats show this burst only."""
    pmd.cmd("set portlist " + ports)
    pmd.cmd("clear port stats all")
    out = pmd.cmd("start tx_first")
    time.sleep(1)
    out += pmd.read(0.2)
    return out + pmd.cmd("stop")


# VF 0 -> group 1 -> the wire, counted: a reset must also forget group 1's
# table, or the re-created JUMP would point at nothing.
R_JUMP = ("flow create 0 transfer pattern represented_port ethdev_port_id is "
          "1 / end actions jump group 1 / end")
R_WIRE = ("flow create 0 transfer group 1 pattern represented_port "
          "ethdev_port_id is 1 / eth / end actions count / "
          "represented_port ethdev_port_id 0 / end")


def scenario_reset(tmp):
    nic = Emunic(tmp)
    pmd = Testpmd(vm_vdevs(nic), ["--forward-mode=rxonly", "--burst=16"])
    try:
        check(created(pmd.cmd(R_JUMP)) and created(pmd.cmd(R_WIRE)),
              "VF0 -> group 1 -> wire rules")
        burst(pmd, "5,6")
        rx6 = port_stat(pmd, 6, "RX-packets")
        check(rx6 == 16, "before the reset the wire gets the burst (%d)" % rx6)
        rc, out = snic_fw(nic, "reset")
        check(rc == 0 and "generation 0 -> 1" in out, "snic-fw reset", out)
        out = wait_output(pmd, r"Port 4: reset event")
        check("firmware reset (generation 0 -> 1)" in out and
              "re-install" in out, "the PMD logs the reset", out)
        check(all("Port %d: reset event" % i in out for i in range(5)),
              "RTE_ETH_EVENT_INTR_RESET on the PF and every representor", out)
        out = pmd.cmd("flow list 0")
        check(out.count("=>") == 2, "testpmd keeps its 2 handles", out)
        out = pmd.cmd("flow query 0 1 count")
        check("lost in a firmware reset; re-create the flow" in out and
              "hits:" not in out, "query of a lost flow says it is lost", out)
        out = burst(pmd, "1,5")
        rx1 = port_stat(pmd, 1, "RX-packets")
        check(rx1 == 16, "the card forgot the rules: VF0's burst misses to "
              "its representor (%d)" % rx1, out)
        out = pmd.cmd("flow destroy 0 rule 0")
        check("Flow rule #0 destroyed" in out, "destroy of a lost flow", out)
        out = pmd.cmd("flow flush 0")
        check("Caught PMD error" not in out, "flush of lost flows", out)
        check("=>" not in pmd.cmd("flow list 0"), "the list is empty")
        out = pmd.cmd(R_JUMP)
        check(created(out), "JUMP re-created after the reset", out)
        out = pmd.cmd(R_WIRE)
        check(created(out), "group 1 rule re-created (table made anew)", out)
        burst(pmd, "5,6")
        rx6 = port_stat(pmd, 6, "RX-packets")
        check(rx6 == 16, "forwarding works again (%d)" % rx6)
        out = pmd.cmd("flow query 0 %s count" % rule_id(out))
        check("hits: 16" in out, "the new counter counts", out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


def flow_rows(out):
    """The rule rows of `flow list` output ("ID Group Prio Attr Rule"),
    without log lines that testpmd may interleave asynchronously."""
    return [ln.split() for ln in out.splitlines()
            if re.match(r"\s*\d+\s+\d+\s+\d+\s", ln)]


def scenario_fault(tmp):
    # 4 counters and the root + 2 tables: a leak of either shows as a
    # refusal below
    nic = Emunic(tmp, "--max-counters", "4", "--max-tables", "3")
    pmd = Testpmd([pf_vdev(nic)])
    cnt = ("flow create 0 transfer pattern eth dst is 02:00:00:00:00:%02x / "
           "end actions count / drop / end")
    grp = "flow create 0 transfer group %d pattern eth / end actions drop / end"
    try:
        check(created(pmd.cmd(cnt % 1)), "a counted rule")
        listing = pmd.cmd("flow list 0")
        rc, out = snic_fw(nic, "fault", "fail-next", "opcode=0x410", "count=6")
        check(rc == 0, "RULE_ADD fault armed 6 times", out)
        outs = [pmd.cmd(cnt % (0x10 + i)) for i in range(6)]
        check(all("device refused the rule: internal error (injected fault)"
                  in o and not created(o) for o in outs),
              "6 creates fail at RULE_ADD with the device's reason",
              "".join(outs))
        check(flow_rows(pmd.cmd("flow list 0")) == flow_rows(listing),
              "the flow list is unchanged", listing)
        outs = [pmd.cmd(cnt % (0x20 + i)) for i in range(3)]
        check(all(created(o) for o in outs), "the other 3 counters are free: "
              "each failed create freed its counter", "".join(outs))
        out = pmd.cmd(cnt % 0x30)
        check("no device counter left" in out and not created(out),
              "a 5th counter is refused: the limit is real", out)
        # a counted rule's destroy sends RULE_DELETE and COUNTER_FREE in
        # one batch: a refused delete must leave the counter (the card
        # refuses to free one a rule holds), a good one must free it
        victim = rule_id(outs[0])
        rc, out = snic_fw(nic, "fault", "fail-next", "opcode=0x411")
        check(rc == 0, "RULE_DELETE fault armed", out)
        out = pmd.cmd("flow destroy 0 rule %s" % victim)
        check("device refused to delete rule" in out and
              "injected fault" in out and "destroyed" not in out,
              "a RULE_DELETE fault fails the destroy", out)
        out = pmd.cmd("flow query 0 %s count" % victim)
        check("hits: 0" in out, "its counter is still on the card", out)
        out = pmd.cmd("flow destroy 0 rule %s" % victim)
        check("Flow rule #%s destroyed" % victim in out, "destroyed again",
              out)
        out = pmd.cmd(cnt % 0x31)
        check(created(out), "its counter was freed: a 4th counted rule fits",
              out)
        pmd.cmd("flow flush 0")
        snic_fw(nic, "fault", "fail-next", "opcode=0x500")
        out = pmd.cmd(cnt % 0x40)
        check("did not allocate a counter: internal error (injected fault)"
              in out and not created(out), "a COUNTER_ALLOC fault", out)
        check(created(pmd.cmd(cnt % 0x41)), "the next create succeeds")
        snic_fw(nic, "fault", "fail-next", "opcode=0x410", "count=4")
        outs = [pmd.cmd(grp % g) for g in range(1, 5)]
        check(all("injected fault" in o and not created(o) for o in outs),
              "4 creates into new groups fail at RULE_ADD", "".join(outs))
        outs = [pmd.cmd(grp % g) for g in (3, 4)]
        check(all(created(o) for o in outs), "their tables were destroyed: "
              "2 new groups still fit", "".join(outs))
        out = pmd.cmd(grp % 5)
        check("cannot create the device table for group 5" in out and
              not created(out), "a third table is refused: the limit is real",
              out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


# --------------------------------------------------------------------------
# Bytes on the wire: header rewrites, VLAN pop, multi-segment tx
# --------------------------------------------------------------------------

VM_MAC = "02:00:00:00:10:01"


def scenario_rewrite(tmp):
    """Frames from a pcap go out of VF 0 (chained io: pcap -> VF0, VF0 ->
    wire, wire -> pcap); the rules rewrite them; the wire's frames land in
    another pcap and are compared byte for byte with frames built here."""
    f = pktlib.ipv4_frame
    sent = [f("02:00:00:00:00:a1", VM_MAC, "10.0.0.1", "10.0.0.2", 17, 1000,
              2000, vlan=100),
            f("02:00:00:00:00:b1", VM_MAC, "10.0.0.1", "10.0.0.2", 17, 1000,
              2000),
            f("02:00:00:00:00:c1", VM_MAC, "10.0.0.1", "10.0.0.2", 6, 3000,
              80)]
    want = {"a1": f("02:00:00:00:00:a1", VM_MAC, "10.0.0.1", "10.0.0.2", 17,
                    1000, 2000),
            "b1": f("02:00:00:00:00:b1", VM_MAC, "192.0.2.1", "198.51.100.7",
                    17, 4242, 53, ttl=63),
            "c1": f("02:00:00:00:00:c1", VM_MAC, "10.0.0.1", "10.0.0.2", 6,
                    5555, 8080, ttl=63)}
    rules = [
        "eth dst is 02:00:00:00:00:a1 / vlan vid is 100 / end actions count "
        "/ of_pop_vlan",
        "eth dst is 02:00:00:00:00:b1 / ipv4 / udp / end actions set_ipv4_src"
        " ipv4_addr 192.0.2.1 / set_ipv4_dst ipv4_addr 198.51.100.7 / "
        "set_tp_src port 4242 / set_tp_dst port 53 / dec_ttl",
        "eth dst is 02:00:00:00:00:c1 / ipv4 / tcp / end actions set_tp_src "
        "port 5555 / set_tp_dst port 8080 / dec_ttl",
    ]
    rx, tx = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
    pktlib.pcap_write(rx, sent)
    nic = Emunic(tmp)
    # --no-flush-rx: testpmd's start would otherwise drain the pcap first
    pmd = Testpmd(vm_vdevs(nic, (rx, tx)),
                  ["--forward-mode=io", "--port-topology=chained",
                   "--no-flush-rx", "--burst=16"])
    try:
        for r in rules:
            out = pmd.cmd("flow create 0 transfer pattern represented_port "
                          "ethdev_port_id is 1 / %s / represented_port "
                          "ethdev_port_id 0 / end" % r)
            check(created(out), "rule: " + r[:40], out)
        out, frames = pcap_through_vf0_to_wire(pmd, tx)
        got = {fr[:6].hex()[-2:]: fr for fr in frames}
        check(len(got) == 3, "the wire received the 3 frames (%d)" % len(got),
              out)
        for k, what in (("a1", "OF_POP_VLAN: the tag is gone"),
                        ("b1", "SET_IPV4_SRC/DST, SET_TP_SRC/DST (UDP), "
                         "DEC_TTL"),
                        ("c1", "SET_TP_SRC/DST (TCP), DEC_TTL")):
            fr = got.get(k, b"")
            check(fr == want[k], what + " in the received bytes",
                  "got  %s\nwant %s" % (fr.hex(), want[k].hex()))
            ok = pktlib.checksums_ok(fr) if fr else (False, False)
            check(ok == (True, True), "IPv4 header and L4 checksums correct "
                  "after " + k, fr.hex())
        out = pmd.cmd("flow query 0 0 count")
        check(re.search(r"hits: 1\s", out) is not None,
              "the pop rule counted the tagged frame", out)
    finally:
        pmd.close()
        nic.kill()


def pcap_through_vf0_to_wire(pmd, tx):
    """With testpmd in io mode and chained ports (the vdevs of vm_vdevs()
    with a pcap pair), the pcap's frames enter the card from VF 0 and what
    the wire receives is written to @tx: one second of it. Returns
    (stop's output, the frames @tx holds)."""
    pmd.cmd("set portlist 7,5,6")
    out = pmd.cmd("start")
    check("RX P=7/Q=0 (socket 0) -> TX P=5" in out and
          "RX P=6/Q=0 (socket 0) -> TX P=7" in out,
          "chained streams pcap -> VF0 and wire -> pcap", out)
    time.sleep(1)
    return pmd.cmd("stop"), pktlib.pcap_read(tx)


def scenario_multiseg(tmp):
    """testpmd's txonly engine (tx_first) with `set txpkts` sends chained
    mbufs out of VF 0; the wire's frames are then forwarded into a pcap."""
    rx, tx = os.path.join(tmp, "empty.pcap"), os.path.join(tmp, "out.pcap")
    pktlib.pcap_write(rx, [])
    nic = Emunic(tmp)
    pmd = Testpmd(vm_vdevs(nic, (rx, tx)),
                  ["--forward-mode=rxonly", "--no-flush-rx", "--burst=16"])

    def to_pcap():
        pmd.cmd("set fwd io")
        pmd.cmd("set portlist 6,7")
        pmd.cmd("start")
        time.sleep(1)
        pmd.cmd("stop")
        pmd.cmd("set fwd rxonly")
        return pktlib.pcap_read(tx)

    try:
        out = pmd.cmd("flow create 0 transfer pattern represented_port "
                      "ethdev_port_id is 1 / end actions represented_port "
                      "ethdev_port_id 0 / end")
        check(created(out), "VF0 -> wire rule", out)
        out = pmd.cmd("set txpkts 32,32")
        out = pmd.cmd("show config txpkts")
        check(re.search(r"segments: 2\b.*32,32", out, re.S) is not None,
              "2 segments of 32 bytes (the IPv4 header spans both)", out)
        burst(pmd, "1,5")
        frames = to_pcap()
        check(len(frames) == 16, "the wire received 16 frames (%d)"
              % len(frames))
        bad = [fr.hex() for fr in frames
               if len(fr) != 64 or fr[12:14] != b"\x08\x00" or
               pktlib.checksums_ok(fr) != (True, True) or
               fr[16:18] != b"\x00\x32" or fr[34:38] != b"\x00\x09\x00\x09"]
        check(frames and not bad, "each is a whole 64-byte frame: gathered, "
              "IPv4 header and UDP ports intact", "\n".join(bad))
        out = pmd.cmd("show port xstats 5")
        check("tx_oversize_dropped: 0" in out and "tx_good_packets: 16" in out,
              "no tx drop on VF0", out)
        out = pmd.cmd("set txpkts 1024,1024,512")
        burst(pmd, "1,5")
        out = pmd.cmd("show port xstats 5")
        check("tx_oversize_dropped: 16" in out and "tx_errors: 16" in out,
              "a 2560-byte 3-segment frame is a counted drop", out)
        frames = to_pcap()
        check(len(frames) == 16, "nothing truncated reached the wire (%d)"
              % len(frames))
    finally:
        pmd.close()
        nic.kill()


def rx_after_burst(pmd, ports):
    """One tx_first burst of 16 from every port of @ports; {port: RX}.
    Frames a port received while nobody polled it are drained first."""
    pmd.cmd("set portlist " + ",".join(str(p) for p in ports))
    pmd.cmd("start")
    time.sleep(0.3)
    pmd.cmd("stop")
    burst(pmd, ",".join(str(p) for p in ports))
    return {p: port_stat(pmd, p, "RX-packets") for p in ports}


def hits(pmd, port, rule):
    m = re.search(r"hits:\s+(\d+)", pmd.cmd("flow query %d %s count"
                                            % (port, rule)))
    return int(m.group(1)) if m else -1


def scenario_isolation(tmp):
    """A transfer rule without a port item acts only on frames entering the
    eSwitch from the port it was created on: a representor's VF, or for the
    PF the wire. Open vSwitch creates its rules this way; a rule that
    matched every vport would apply one port's policy to another's frames.
    Frames from every other vport are sent to prove they are not matched."""
    nic = Emunic(tmp)
    # 0 PF, 1..4 representors of VF 0..3, 5..8 VF 0..3 (VM side), 9 wire
    vdevs = [pf_vdev(nic)]
    vdevs += ["net_emunic%d,socket=%s,vf=%d" % (1 + i, nic.sock, i)
              for i in range(4)]
    vdevs.append("net_emunic5,socket=%s,uplink=1" % nic.sock)
    pmd = Testpmd(vdevs, ["--forward-mode=rxonly", "--burst=16"])
    try:
        out = pmd.cmd("show port summary all")
        check(out.count("net_emunic") >= 10, "10 ports probed", out)
        # on VF 1's representor: its frames go to the wire
        out = pmd.cmd("flow create 2 transfer pattern eth / ipv4 / udp / end "
                      "actions count / represented_port ethdev_port_id 0 / "
                      "end")
        check(created(out), "rule on VF 1's representor, no port item", out)
        r_vf1 = rule_id(out)
        # VF 1 sends (and its representor, which the rule does not see)
        rx = rx_after_burst(pmd, [2, 6, 9])
        check(rx[9] == 16, "VF 1's burst reached the wire (%d)" % rx[9])
        check(hits(pmd, 2, r_vf1) == 16, "the rule counted VF 1's 16")
        # every other vport sends: VFs 0, 2, 3 and the wire
        rx = rx_after_burst(pmd, [1, 3, 4, 5, 7, 8, 9])
        check(rx[9] == 0, "no other VF's frame took VF 1's rule to the "
              "wire (%d)" % rx[9])
        check(rx[1] == 16 and rx[3] == 16 and rx[4] == 16,
              "VFs 0, 2, 3 missed to their representors (%d %d %d)"
              % (rx[1], rx[3], rx[4]))
        check(hits(pmd, 2, r_vf1) == 16, "VF 1's rule still counts 16")
        # on the PF: the wire's frames only
        out = pmd.cmd("flow create 0 transfer pattern eth / end actions "
                      "count / drop / end")
        check(created(out), "drop rule on the PF, no port item", out)
        r_pf = rule_id(out)
        rx = rx_after_burst(pmd, [0, 1, 3, 4, 5, 6, 7, 8, 9])
        check(rx[0] == 0, "the wire's frames were dropped (PF got %d)"
              % rx[0])
        check(hits(pmd, 0, r_pf) == 16, "the PF's rule took the wire's 16 "
              "and no VF's frame (%d)" % hits(pmd, 0, r_pf))
        check(rx[1] == 16 and rx[3] == 16 and rx[4] == 16,
              "VFs 0, 2, 3 still miss to their representors (%d %d %d)"
              % (rx[1], rx[3], rx[4]))
        check(hits(pmd, 2, r_vf1) == 32, "VF 1's rule counted its second "
              "burst only")
        # a zero-mask port item says "any port", explicitly
        pmd.cmd("flow flush 0")
        pmd.cmd("flow flush 2")
        out = pmd.cmd("flow create 0 transfer pattern represented_port "
                      "ethdev_port_id spec 0 ethdev_port_id mask 0 / eth / "
                      "end actions count / drop / end")
        check(created(out), "rule with a zero-mask port item", out)
        r_any = rule_id(out)
        rx_after_burst(pmd, [5, 6, 7, 8, 9])
        check(hits(pmd, 0, r_any) == 80, "it matched all five vports (%d)"
              % hits(pmd, 0, r_any))
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


# --------------------------------------------------------------------------
# Fragments: the patterns Open vSwitch and testpmd write for them
# --------------------------------------------------------------------------

FRAG_RULES = [
    # whole IPv4 packets (Open vSwitch's frag=no) to the wire
    ("ipv4 whole", "eth / ipv4 fragment_offset spec 0 fragment_offset mask "
     "0x3fff / end actions count / represented_port ethdev_port_id 0"),
    # first fragments (frag=first) dropped
    ("ipv4 first", "eth / ipv4 fragment_offset spec 0x2000 fragment_offset "
     "mask 0x3fff / end actions count / drop"),
    # later fragments, a range, to the wire with a new destination MAC
    ("ipv4 later", "eth / ipv4 fragment_offset spec 0x0001 fragment_offset "
     "last 0x1fff fragment_offset mask 0x1fff / end actions count / "
     "set_mac_dst mac_addr 02:00:00:00:00:ee / represented_port "
     "ethdev_port_id 0"),
    # IPv6: no Fragment header to the wire, first fragments dropped, later
    # ones (Open vSwitch's range on frag_data) to the wire re-addressed
    ("ipv6 whole", "eth / ipv6 has_frag_ext spec 0 has_frag_ext mask 1 / end "
     "actions count / represented_port ethdev_port_id 0"),
    ("ipv6 first", "eth / ipv6 has_frag_ext is 1 / ipv6_frag_ext frag_data "
     "spec 0x0001 frag_data mask 0xfff9 / end actions count / drop"),
    ("ipv6 later", "eth / ipv6 / ipv6_frag_ext frag_data spec 0x0008 "
     "frag_data last 0xfff8 frag_data mask 0xfff8 / end actions count / "
     "set_mac_dst mac_addr 02:00:00:00:00:ee / represented_port "
     "ethdev_port_id 0"),
]


def scenario_frag(tmp):
    """Whole packets, first and later fragments (IPv4 and IPv6) leave VF 0;
    rules created on VF 0's representor the way Open vSwitch writes them
    send each kind its own way, and the wire's pcap shows which went where.
    """
    f4, f6 = pktlib.ipv4_frame, pktlib.ipv6_udp_frame
    wire = "02:00:00:00:00:a1"

    def v4(frag, n):
        return f4(wire, VM_MAC, "10.0.0.1", "10.0.0.2", 17, 1000 + n, 2000,
                  frag=frag)

    def v6(frag_data, n):
        return f6(wire, VM_MAC, 1000 + n, 53, frag_data)

    def readdressed(fr):
        return pktlib.mac("02:00:00:00:00:ee") + fr[6:]

    sent = {"v4 whole": v4(0, 1), "v4 whole DF": v4(0x4000, 2),
            "v4 first": v4(0x2000, 3), "v4 middle": v4(0x2000 | 185, 4),
            "v4 last": v4(0x0001, 5), "v6 whole": v6(None, 6),
            "v6 first": v6(0x0001, 7), "v6 middle": v6((100 << 3) | 1, 8),
            "v6 last": v6(100 << 3, 9)}
    want = sorted([sent["v4 whole"], sent["v4 whole DF"],
                   readdressed(sent["v4 middle"]),
                   readdressed(sent["v4 last"]), sent["v6 whole"],
                   readdressed(sent["v6 middle"]),
                   readdressed(sent["v6 last"])])
    rx, tx = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
    pktlib.pcap_write(rx, list(sent.values()))
    nic = Emunic(tmp)
    pmd = Testpmd(vm_vdevs(nic, (rx, tx)),
                  ["--forward-mode=io", "--port-topology=chained",
                   "--no-flush-rx", "--burst=16"])
    try:
        ids = {}
        for name, r in FRAG_RULES:
            out = pmd.cmd("flow create 1 transfer pattern %s / end" % r)
            check(created(out), "rule: " + name, out)
            ids[name] = rule_id(out)
        # Open vSwitch's IPv4 frag=later range starts at offset 8: the card
        # cannot leave offsets 1-7 out, so it is refused, naming the field
        out = pmd.cmd("flow validate 1 transfer pattern eth / ipv4 "
                      "fragment_offset spec 8 fragment_offset last 0x1fff "
                      "fragment_offset mask 0x1fff / end actions drop / end")
        check("IPV4 fragment_offset" in out and "but not all" in out,
              "a range splitting the later fragments is refused", out)
        out = pmd.cmd("flow validate 1 transfer pattern eth / ipv4 "
                      "packet_id is 7 / end actions drop / end")
        check("covers packet_id" in out, "an unmatchable field is named",
              out)
        out, frames = pcap_through_vf0_to_wire(pmd, tx)
        got = sorted(frames)
        check(got == want, "the wire got the whole packets and the later "
              "fragments (re-addressed), no first fragment (%d frames)"
              % len(got),
              "got:\n%s\nwant:\n%s" % ("\n".join(g.hex() for g in got),
                                         "\n".join(w.hex() for w in want)))
        counts = {"ipv4 whole": 2, "ipv4 first": 1, "ipv4 later": 2,
                  "ipv6 whole": 1, "ipv6 first": 1, "ipv6 later": 2}
        for name, n in counts.items():
            h = hits(pmd, 1, ids[name])
            check(h == n, "rule %s counted %d (%d)" % (name, n, h))
        rc, out = snic_fw(nic, "rules")
        check(rc == 0 and "ip_frag=no" in out and "ip_frag=later" in out,
              "snic-fw rules shows the fragment states", out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


SCENARIOS = {
    "isolation": scenario_isolation,
    "frag": scenario_frag,
    "flow_cmds": scenario_flow_cmds,
    "tiny": scenario_tiny,
    "forward": scenario_forward,
    "hotplug": scenario_hotplug,
    "death": scenario_death,
    "badargs": scenario_badargs,
    "reset": scenario_reset,
    "fault": scenario_fault,
    "rewrite": scenario_rewrite,
    "multiseg": scenario_multiseg,
}


def main(scenarios=None, prefix="pmdit"):
    """Run the scenarios named on the command line (default: all of
    @scenarios, this file's own when None) and report the checks."""
    scenarios = SCENARIOS if scenarios is None else scenarios
    names = sys.argv[1:] or list(scenarios)
    for n in names:
        tmp = tempfile.mkdtemp(prefix=prefix)
        print("[%s]" % n)
        try:
            scenarios[n](tmp)
        except Exception as e:  # a crash of the harness is a failure too
            check(False, "%s raised %r" % (n, e))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
