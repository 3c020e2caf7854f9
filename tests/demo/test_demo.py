#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The README's demo as an integration test: runs scripts/demo headless on
the binaries of the build under test and asserts on its summary.

    test_demo.py DEMO BUILDDIR

The binaries may also come from the environment (DEMO_EMUNIC, DEMO_SNICD,
...), which scripts/demo reads itself. Exit 77 (skipped) when the demo
says it cannot run here (not root). Standard library only.
"""
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from snic_child import die_with_parent  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TRAFFIC_CHECKS = ["ping:vm0>vm1", "ping6:vm0>vm1", "vlan100:vm2>net",
                  "vxlan42:vm3>net", "tcp:vm0>vm1", "acl:tcp/23-blocked",
                  "path:hw-bypasses-software",
                  "path:software-carried-the-rest", "snicd:clean-stop",
                  # part two: Neutron's flows (tests/demo/neutron.sh)
                  "neutron:vm0>vm1", "neutron:vm0>remote-a",
                  "neutron:br-tun-learned", "neutron:vm2>remote-b",
                  "neutron:networks-apart", "neutron:sg-ssh-from-remote",
                  "neutron:sg-5001-blocked", "neutron:sg-5001-from-group",
                  "neutron:spoofed-ip-dropped", "neutron:flow-places",
                  "neutron:counters", "neutron:snicd-clean-stop"]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def expected_flows():
    """name -> place, from the `#@ COOKIE NAME WHERE` lines."""
    want = {}
    with open(os.path.join(HERE, "flows.txt")) as f:
        for line in f:
            if line.startswith("#@"):
                _, name, where = line[2:].split()
                want[name] = where
    return want


def main():
    demo, builddir = sys.argv[1], sys.argv[2]
    try:
        # SIGTERM when this driver dies: the demo's trap then removes its
        # processes, namespaces and taps
        r = subprocess.run([demo, "--headless", "--builddir", builddir],
                           capture_output=True, text=True, timeout=110,
                           preexec_fn=die_with_parent(signal.SIGTERM))
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout
        print(out or "")
        print("FAIL the demo did not finish in 110 s")
        return 1
    print(r.stdout)
    print(r.stderr, file=sys.stderr)
    if r.returncode == 77:
        print("skipped: " + r.stderr.strip())
        return 77

    checks = dict(re.findall(r"^demo: check (\S+) (ok|FAIL)", r.stdout, re.M))
    flows = {m[0]: (m[1], int(m[2]), int(m[3]), int(m[4])) for m in
             re.findall(r"^demo: flow (\S+) where=(\w+) packets=(\d+) "
                        r"hw_packets=(\d+) sw_packets=(\d+)$", r.stdout,
                        re.M)}
    summary = re.findall(r"^demo: summary (\d+) ok, (\d+) failed", r.stdout,
                         re.M)

    for name in TRAFFIC_CHECKS:
        check(checks.get(name) == "ok", "demo check %s: %s" % (
            name, checks.get(name, "missing")))
    want = expected_flows()
    check(len(want) >= 10, "flows.txt names its flows (%d)" % len(want))
    for name, where in want.items():
        got = flows.get(name)
        if got is None:
            check(False, "flow %s in the summary" % name)
            continue
        place, packets, hw, sw = got
        check(place == where, "flow %s lives in %s (%s)" % (name, where,
                                                            place))
        # hardware flows are counted by the card, the others by software
        if where == "hw":
            check(hw > 0 and sw == 0, "flow %s: hardware counted %d, "
                  "software %d" % (name, hw, sw))
        else:
            check(sw > 0 and hw == 0, "flow %s: software counted %d, "
                  "hardware %d" % (name, sw, hw))
        check(checks.get("flow:" + name) == "ok", "demo check flow:%s: %s"
              % (name, checks.get("flow:" + name, "missing")))
    # the bulk transfer went through hardware, vm0 -> vm1 and back
    check(flows.get("ip:vm0>vm1", ("", 0, 0, 0))[2] > 1000,
          "the TCP transfer was forwarded by the card (ip:vm0>vm1)")
    check(len(summary) == 1 and summary[0][1] == "0" and
          int(summary[0][0]) == len(checks),
          "summary line: %s" % (summary or "missing"))
    check(r.returncode == 0, "scripts/demo exit status %d" % r.returncode)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
