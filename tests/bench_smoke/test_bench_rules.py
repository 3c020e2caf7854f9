#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The oracle of scripts/bench-ovs-compare's correctness checks, tested.

1. rulesets.classifier() (one hash probe per mask shape) against a
   plainly linear one (every rule, highest priority first) on every rule
   set.
2. The rule text both switches are given, for one rule of each shape.
3. check_rules(): the right counters pass; a rule that should have
   counted and did not, a rule that counted and should not have, and a
   rule the switch does not hold each fail, naming the rule.
4. summarize(): median, spread and the per-CPU-second rates.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import contenders  # noqa: E402
import flowset  # noqa: E402
import rulesets  # noqa: E402

FAILS = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def linear(ruleset):
    by_prio = sorted(ruleset, key=lambda r: -r.priority)

    def best(i):
        src, dst, sport, dport = flowset.flow(i)
        pkt = {"proto": rulesets.UDP, "src": src, "dst": dst,
               "sport": sport, "dport": dport}
        for r in by_prio:
            if all(pkt[f] & m == v for f, (v, m) in r.match.items()):
                return r
        return None
    return best


def test_lookup():
    # every flow where that is cheap, a spread of them where it is not
    for name, flows, step in (("port", 1000, 1), ("exact1k", 1, 1),
                              ("exact1k", 100000, 331), ("exact", 1, 1),
                              ("exact", 2000, 7), ("mix", 1, 1),
                              ("mix", 1000, 1), ("mix", 100000, 37)):
        rs = rulesets.rules(name, flows)
        fast, slow = rulesets.classifier(rs), linear(rs)
        idx = sorted(set(range(0, flows, step)) | {flows - 1})
        differ = [i for i in idx if fast(i) is not slow(i)]
        check(not differ, "%s x %d: hash lookup = linear lookup on %d flows"
              "%s" % (name, flows, len(idx),
                      " (not flow %d)" % differ[0] if differ else ""))
        check(all(fast(i) is not None for i in idx),
              "%s x %d: every packet flow takes a rule" % (name, flows))
    rs = rulesets.rules("mix", 100000)
    taken = rulesets.lookup(rs, 100000)
    check(sum(taken.values()) == 100000 and len(taken) == 81,
          "mix x 100,000: 81 rules taken by all the flows, got %d"
          % len(taken))
    shapes = {r.mask_key() for r in rs if taken.get(r.cookie)}
    check(len(shapes) == 5, "mix x 100,000: five of its six mask shapes "
          "are taken (all but TCP port 80), got %d" % len(shapes))
    check(rulesets.lookup(rulesets.rules("exact", 3), 3) == {1: 1, 2: 1,
                                                             3: 1},
          "exact x 3: each flow its own rule")


def test_text():
    mix = rulesets.rules("mix", 1)
    want = {
        1: "cookie=0x1,priority=500,in_port=IN,udp,nw_dst=10.0.0.0/24,"
           "tp_dst=0x1000/0xf000,actions=output:OUT",
        33: "cookie=0x21,priority=400,in_port=IN,tcp,nw_dst=10.0.0.0/24,"
            "tp_dst=80,actions=output:OUT",
        65: "cookie=0x41,priority=300,in_port=IN,ip,nw_dst=10.0.0.0/24,"
            "actions=output:OUT",
        129: "cookie=0x81,priority=200,in_port=IN,udp,nw_src=192.168.0.0/16,"
             "tp_src=0x2000/0xe000,actions=output:OUT",
        131: "cookie=0x83,priority=0,actions=output:OUT"}
    for cookie, text in want.items():
        check(mix[cookie - 1].text("IN", "OUT") == text, text)
    ex = rulesets.rules("exact", 2)
    check(ex[1].text(1, 2) == "cookie=0x2,priority=100,in_port=1,udp,"
          "nw_src=192.168.0.1,nw_dst=10.0.0.2,tp_src=10013,tp_dst=1025,"
          "actions=output:2", "an exact rule")
    check(ex[2].text(1, 2) == "cookie=0x3,priority=0,actions=drop",
          "the exact set's default drops")
    check(rulesets.rules("port", 5)[0].text("a", "b")
          == "cookie=0x1,priority=100,in_port=a,actions=output:b",
          "the port rule")


def test_check_rules():
    rs = rulesets.rules("mix", 1000)
    cell = contenders.Cell(1000, "mix", "x.pcap", rs,
                           rulesets.expected_hits(rs, 1000))
    good = {r.cookie: (7 if r.cookie in cell.expected else 0) for r in rs}
    res, fails = contenders.check_rules(good, cell, "sw")
    check(fails == [] and res == {"rules": 131, "expected_hit": 3, "hit": 3,
                                  "missed": 0, "stray": 0},
          "the expected counters pass: %s %s" % (res, fails))
    miss = dict(good)
    miss[min(cell.expected)] = 0
    _, fails = contenders.check_rules(miss, cell, "sw")
    check(len(fails) == 1 and "counted no packet" in fails[0]
          and "0x%x" % min(cell.expected) in fails[0],
          "a rule that must count and did not fails: %s" % fails)
    stray = dict(good)
    stray[1] = 5
    _, fails = contenders.check_rules(stray, cell, "sw")
    check(len(fails) == 1 and "no packet flow takes" in fails[0]
          and "0x1: 5" in fails[0], "a rule that counted wrongly fails: %s"
          % fails)
    gone = dict(good)
    del gone[2]
    _, fails = contenders.check_rules(gone, cell, "sw")
    check(len(fails) == 1 and "holds 130 of the 131" in fails[0],
          "a rule the switch lacks fails: %s" % fails)


def test_summarize():
    s = contenders.summarize([(3.0, 1.0, 0.5), (1.0, 2.0, 0.25),
                              (2.0, 3.0, 1.0)])
    check(s["mpps"] == 2.0 and s["min"] == 1.0 and s["max"] == 3.0
          and s["samples"] == [3.0, 1.0, 2.0], "median and spread: %s" % s)
    check(s["cpu_samples"] == [6.0, 4.0, 2.0] and s["cpu_mpps"] == 4.0,
          "per CPU second: Mpps / core share: %s" % s)
    s = contenders.summarize([(3.0, 1.0, 0.5), (1.0, 2.0, 0.5)])
    check(s["mpps"] == 2.0, "median of an even count: %s" % s["mpps"])


def main():
    test_lookup()
    test_text()
    test_check_rules()
    test_summarize()
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
