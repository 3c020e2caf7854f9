#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""snicd's debug log prints each hardware rule as a dpdk-testpmd command.
Those commands must be real: this pastes every one, for a flow of each
shape snicd writes, into a stock dpdk-testpmd on the emulated card (PF +
representor=vf[0-3], the port layout the generator assumes) and checks the
PMD creates each rule; then that a rule snicd says the card refuses is
refused by the PMD when testpmd asks.

    testpmd_lines.py GENERATOR FLOWS

Environment: as tests/pmd/testpmd_flow.py (EMUNIC, TESTPMD, PMD...).
"""
import os
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pmd"))
import testpmd_flow as tp  # noqa: E402


def blocks(text):
    """[(flow, [commands]) ...] from the generator's output."""
    out = []
    for line in text.splitlines():
        if line.startswith("# refused: "):
            out[-1][1].append(line)
        elif line.startswith("# "):
            out.append((line[2:], []))
        elif line:
            out[-1][1].append(line)
    return out


def main():
    gen, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        lines = [ln.strip() for ln in f if ln.strip() and ln[0] != "#"]
    refused = {ln[1:] for ln in lines if ln.startswith("!")}
    r = subprocess.run([gen], input="\n".join(ln.lstrip("!") for ln in lines),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    tp.check(r.returncode == 0, "the generator read every flow", r.stderr)
    flows = blocks(r.stdout)
    tp.check(len(flows) >= 15, "%d flows translated" % len(flows))
    tmp = tempfile.mkdtemp(prefix="tpl")
    nic = tp.Emunic(tmp)
    pmd = tp.Testpmd([tp.pf_vdev(nic)])
    try:
        for flow, cmds in flows:
            tp.check(cmds and not cmds[0].startswith("# refused"),
                     "snicd offloads '%s'" % flow, "\n".join(cmds))
            out = ""
            for c in cmds:
                out += pmd.cmd(c)
            if flow in refused:
                tp.check(not tp.created(out) and "net_emunic" in out,
                         "the card refuses the rule of '%s', with a reason"
                         % flow, "\n".join(cmds) + "\n" + out)
            else:
                tp.check(tp.created(out), "testpmd creates the rule of '%s'"
                         % flow, "\n".join(cmds) + "\n" + out)
        tp.check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    # the basic profile refuses IPv6 addresses: the line reproduces that
    tmp = tempfile.mkdtemp(prefix="tpl")
    nic = tp.Emunic(tmp, "--profile", "basic")
    pmd = tp.Testpmd([tp.pf_vdev(nic)])
    try:
        v6 = [c for f, c in flows if f.startswith("ipv6,ipv6_src")][0]
        out = pmd.cmd(v6[-1])
        tp.check(not tp.created(out) and "IPV6" in out,
                 "the basic profile refuses the IPv6 rule, naming the item",
                 out)
    finally:
        pmd.close()
        nic.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    if tp.failures:
        print("%d check(s) failed" % len(tp.failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
