#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Neutron flow set (neutron_flows.py) means the same to Open vSwitch
and to snicd's parser:

    neutron_parse.py SNIC_FLOW

1. `ovs-ofctl -O OpenFlow13 parse-flow` takes every line (the set is a
   valid Open vSwitch configuration);
2. snicd's parser (`snic-flow parse-flows`) takes every line but those of
   neutron_flows.SNICD_GAPS, and refuses those with the reason listed
   there (so the list fails this test when snicd learns one);
3. ovs-ofctl decodes snicd's canonical form of each line to the same flow
   mod as the line itself (scripts/bench-ofctl-accept's comparison).

Prints the flows per bridge and table. Exit 77 (skipped) without ovs-ofctl.
"""
import collections
import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import neutron_flows  # noqa: E402

failures = []


def check(cond, what, detail=""):
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    if not cond:
        if detail:
            print("       " + str(detail)[-3000:], flush=True)
        failures.append(what)
    return cond


def bench_module():
    """scripts/bench-ofctl-accept as a module: one decoder and one notion
    of 'same meaning' for both tests."""
    path = os.path.join(HERE, "..", "..", "scripts", "bench-ofctl-accept")
    loader = importlib.machinery.SourceFileLoader("bench_ofctl_accept", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    tool = sys.argv[1]
    if shutil.which("ovs-ofctl") is None:
        print("  skipped: ovs-ofctl is not installed")
        return 77
    bench = bench_module()
    fs = neutron_flows.flow_set(numbers=True)
    lines = fs.lines()

    per = collections.Counter()
    for br, key, _ in fs.flows:
        per[(br, key[1])] += 1
    for br in ("int", "tun"):
        print("  br-%s: %d flows; per table: %s" % (
            br, sum(n for (b, _), n in per.items() if b == br),
            ", ".join("%d: %d" % (t, n) for (b, t), n in sorted(per.items())
                      if b == br)))

    ovs = [bench.ofctl_decode("OpenFlow13", ln) for ln in lines]
    refused = [ln for ln, m in zip(lines, ovs) if m is None]
    check(not refused, "ovs-ofctl parse-flow takes all %d lines"
          % len(lines), "\n".join(refused[:5]))

    snic = bench.snic_parse(tool, lines)
    wrong, gaps, mismatch = [], 0, []
    for ln, (res, what), meaning in zip(lines, snic, ovs):
        g = neutron_flows.gap(ln)
        if g is not None:
            gaps += 1
            if res == "ok" or g[1] not in what[2]:
                wrong.append("%s\n         -> %s (expected: %s)"
                             % (ln, what, g[1]))
            continue
        if res != "ok":
            wrong.append("%s\n         -> %s" % (ln, what[2]))
            continue
        if not bench.same_meaning(meaning,
                                  bench.ofctl_decode("OpenFlow13", what)):
            mismatch.append("%s\n         snicd: %s\n         ovs:   %s\n"
                            "         back:  %s" % (
                                ln, what, meaning,
                                bench.ofctl_decode("OpenFlow13", what)))
    check(not wrong, "snicd's parser takes the %d lines outside "
          "SNICD_GAPS and refuses the %d inside for the reason listed"
          % (len(lines) - gaps, gaps), "\n".join(wrong[:5]))
    check(not mismatch, "ovs-ofctl reads snicd's canonical form of each "
          "line back to the line's own flow mod", "\n".join(mismatch[:5]))
    # the set is what the brief of the topology says it is: a check on
    # the generator itself, so a refactoring cannot quietly drop a part
    text = "\n".join(lines)
    check(len(re.findall(r"conjunction\(\d+,1/2\)", text)) == 12 and
          "learn(table=20" in text and text.count("tun_id=0x") == 2,
          "the set has the member conjunctions (3 addresses x 2 states x "
          "2 networks), the learn flow and one tunnel flow per VNI")
    print("neutron_parse: %d lines, %d failed checks" % (len(lines),
                                                        len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
