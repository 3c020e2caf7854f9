#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/bench-ovs-compare smoke test: one tiny cell of the matrix end
to end, so the script cannot rot.  Never a timing threshold: it checks that
every contender produced a figure and its correctness counters.

1. 1,000 packet flows x the mix rule set, every contender (dpdk-testpmd,
   Open vSwitch without and with its SMC, snicd), one run of half a
   second: exit status 0, a figure from each, the rules each switch's
   packets took are exactly those the reference lookup expects, Open
   vSwitch's classification breakdown is there and adds up, and the
   ratios are computed.
2. A contender that cannot run (a snicd that exits at once) fails its cell
   clearly: exit status 1, the cell and the reason named, no figure made
   up, and nothing left behind.

Root only (Open vSwitch and DPDK's runtime directories), skipped
otherwise. Paths come from the environment (meson sets them): SNICD,
SNICCTL.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from snic_child import die_with_parent  # noqa: E402

SCRIPT = os.path.join(HERE, "..", "..", "scripts", "bench-ovs-compare")
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what, flush=True)


def bench(tmp, *args, timeout=150):
    out = os.path.join(tmp, "m.json")
    cmd = [sys.executable, SCRIPT, "--runs", "1", "--seconds", "0.5",
           "--warmup", "0.5", "--max-settle", "30", "--no-hugepages",
           "--no-build", "--snicctl", os.environ["SNICCTL"],
           "--json", out, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       preexec_fn=die_with_parent())
    print(p.stdout)
    print(p.stderr, file=sys.stderr)
    res = None
    if os.path.exists(out):
        with open(out) as f:
            res = json.load(f)
    return p, res


def made_by_bench():
    """The DPDK runtime dirs and temporary dirs the script names as its."""
    out = set()
    for base, start in (("/var/run/dpdk", "ovsbench-"),
                        (tempfile.gettempdir(), "ovsbench.")):
        if os.path.isdir(base):
            out |= {os.path.join(base, d) for d in os.listdir(base)
                    if d.startswith(start)}
    return out


def one_cell(tmp):
    md = os.path.join(tmp, "m.md")
    p, res = bench(tmp, "--cells", "1000:mix", "--snicd", os.environ["SNICD"],
                   "--markdown", md)
    check(p.returncode == 0, "exit status %d" % p.returncode)
    check(res is not None, "a JSON report")
    if res is None:
        return
    check(len(res["cells"]) == 1, "one cell")
    cell = res["cells"][0]
    check(cell["flows"] == 1000 and cell["rules"] == "mix", "the cell asked")
    check(cell["failures"] == [], "no failure: %s" % cell["failures"])
    r = cell["contenders"]
    for mode in ("testpmd", "ovs_nosmc", "ovs_smc", "snicd"):
        m = r.get(mode, {})
        check(m.get("mpps", 0) > 0 and len(m.get("samples", [])) == 1,
              "%s: one sample, a rate above 0: %s" % (mode, m))
        check(0 < min(m.get("core_share", [0])) <= 1,
              "%s: the forwarding core's share is measured" % mode)
    for mode in ("ovs_nosmc", "ovs_smc", "snicd"):
        rules = r.get(mode, {}).get("rules", {})
        # 1,000 flows over the mix: a /24 rule, the /16 source with a
        # port range, and the default (rulesets.py)
        check(rules.get("expected_hit") == 3 and rules.get("hit") == 3
              and rules.get("missed") == 0 and rules.get("stray") == 0
              and rules.get("rules") == 131,
              "%s: the packets took exactly the expected rules: %s"
              % (mode, rules))
    for mode in ("ovs_nosmc", "ovs_smc"):
        c = r.get(mode, {}).get("classified", {})
        total = sum(c.get(k, 0) for k in ("simple_match_pct", "emc_pct",
                                          "smc_pct", "megaflow_pct"))
        check(c.get("packets", 0) > 0 and 95 <= total <= 100.5,
              "%s: classification breakdown adds up: %s" % (mode, c))
    check(r.get("ovs_nosmc", {}).get("classified", {}).get("smc_pct") == 0,
          "no SMC hit with smc-enable=false")
    s = r.get("snicd", {}).get("stats", {})
    check(s.get("rx", 0) > 0 and s.get("misses") == 0
          and s.get("flows_sw") == 131 and s.get("flows_hw") == 0,
          "snicd: traffic, no miss, every rule in software: %s" % s)
    t = r.get("testpmd", {}).get("stats", {})
    check(t.get("rx", 0) > 0 and t.get("tx", 0) > 0,
          "testpmd forwarded: %s" % t)
    check(cell.get("ovs_best", {}).get("mode") in ("ovs_nosmc", "ovs_smc"),
          "Open vSwitch's best mode named")
    for k in ("snicd_over_ovs_best", "snicd_over_testpmd",
              "cpu_snicd_over_ovs_best"):
        check(isinstance(cell.get(k), float) and cell[k] > 0,
              "ratio %s computed: %s" % (k, cell.get(k)))
    check("ovs_smc" in p.stderr and "rules hit 3/131" in p.stderr,
          "per-contender lines on stderr")
    check(res["config"]["runs"] == 1 and res["config"]["burst"] == 32,
          "the configuration recorded")
    text = open(md).read() if os.path.exists(md) else ""
    check(text.count("| 1,000 x mix |") == 4 and "FAILED" not in text,
          "the Markdown tables: the cell, its CPU-time line and both OVS "
          "modes' classification")


def failing_cell(tmp):
    p, res = bench(tmp, "--cells", "1:port", "--contenders", "snicd",
                   "--snicd", "/bin/false", timeout=60)
    check(p.returncode == 1, "a cell that could not run: exit status 1, "
          "got %d" % p.returncode)
    check("FAILED cells" in p.stdout and "1 flows x port: snicd did not "
          "come up" in p.stdout, "the failed cell and why are named")
    check(res is not None and "mpps" not in res["cells"][0]["contenders"]
          .get("snicd", {"mpps": 0}), "no figure for the failed contender")


def main():
    for var in ("SNICD", "SNICCTL"):
        if var not in os.environ:
            print("%s not set (run through meson test)" % var)
            return 77
    if os.geteuid() != 0:
        print("SKIP: needs root (Open vSwitch's daemons, DPDK runtime dirs)")
        return 77
    before = made_by_bench()
    with tempfile.TemporaryDirectory(prefix="ovs_matrix_smoke.") as tmp:
        one_cell(tmp)
        failing_cell(tmp)
    left = made_by_bench() - before
    check(not left, "nothing left behind: %s" % sorted(left))
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
