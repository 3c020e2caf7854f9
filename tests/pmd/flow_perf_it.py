#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: the stock dpdk-test-flow-perf against net_emunic.

    flow_perf_it.py [CASE...]     (default: all)

Each case starts its own emunic and runs dpdk-test-flow-perf, unmodified,
with our PMD preloaded, through testpmd_flow.py's harness (Emunic,
driver_env, check, main): ingress and transfer rules, with and without
COUNT, insertion with and without deletion. What it did is checked on the
card, not in flow-perf's words: QUERY_HEALTH's rules_added/rules_deleted
(ABI 1.5) must each have moved by exactly the rule count and no rule may be
left; a case that forwards after insertion reads every rule back with
`snic-fw rules --json` while flow-perf runs and checks its shape. Rule
counts are small: this is a test, scripts/bench-flow-perf measures.

Environment: EMUNIC, FLOW_PERF (dpdk-test-flow-perf), PMD, SNIC_FW,
TESTPMD_PRELOAD (sanitizer runtimes for a sanitized PMD).
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

import testpmd_flow as T
from testpmd_flow import check

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from snic_child import die_with_parent, remove_dpdk_runtime  # noqa: E402

FLOW_PERF = os.environ.get("FLOW_PERF", "/usr/bin/dpdk-test-flow-perf")
N = 200


def snic_fw(nic, *args):
    r = subprocess.run([T.SNIC_FW, "--json", "--socket", nic.sock, *args],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("snic-fw %s: %s" % (" ".join(args), r.stderr))
    return json.loads(r.stdout)


class FlowPerf:
    """dpdk-test-flow-perf on a pty, so its printf lines come as written."""

    def __init__(self, nic, args):
        self.prefix = "fpit%d_%d" % (os.getpid(), time.time_ns() % 100000)
        argv = [FLOW_PERF, "--no-huge", "--no-pci", "-m", "512",
                "--file-prefix", self.prefix,
                "--no-shconf", "--no-telemetry", "-l", "0,1",
                "--vdev", "net_emunic0,socket=%s,representor=vf[0-1]"
                % nic.sock, "--", "--portmask=0x1", *args]
        master, slave = pty.openpty()
        self.fd = master
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=slave, stderr=slave,
                                     start_new_session=True,
                                     env=T.driver_env(),
                                     preexec_fn=die_with_parent())
        os.close(slave)
        self.out = ""

    def read_until(self, pattern, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if re.search(pattern, self.out):
                return True
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    self.out += os.read(self.fd, 65536).decode(
                        errors="replace")
                except OSError:
                    return re.search(pattern, self.out) is not None
            elif self.proc.poll() is not None:
                return re.search(pattern, self.out) is not None
        return False

    def wait(self, timeout):
        self.read_until(r"Bye \.\.\.", timeout)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.fd)
        remove_dpdk_runtime(self.prefix)
        return self.proc.returncode

    def interrupt(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)


def health(nic):
    h = snic_fw(nic, "health")
    return h["rules"], h["rules_added"], h["rules_deleted"]


def insertion_ok(fp, what):
    m = re.search(r"The time for creating (\d+) rules is ([0-9.]+) seconds",
                  fp.out)
    check(m is not None and int(m.group(1)) == N,
          "%s: flow-perf reports %d rules created" % (what, N), fp.out)


def run_case(tmp, what, args, deletion):
    """Insert N rules (and delete them with @deletion); the card's totals
    must move by N each way and no rule may be left."""
    nic = T.Emunic(tmp, "-q")
    try:
        _, add0, del0 = health(nic)
        fp = FlowPerf(nic, ["--rules-count=%d" % N, "--rules-batch=50",
                            *args] + (["--deletion-rate"] if deletion
                                      else []))
        rc = fp.wait(120)
        check(rc == 0, "%s: flow-perf exits 0 (%s)" % (what, rc), fp.out)
        insertion_ok(fp, what)
        if deletion:
            check(re.search(r"The time for deleting %d rules" % N, fp.out)
                  is not None, "%s: flow-perf reports %d rules deleted"
                  % (what, N), fp.out)
        rules, add1, del1 = health(nic)
        check(add1 - add0 == N, "%s: the card took %d rules (%d)"
              % (what, N, add1 - add0))
        check(del1 - del0 == N, "%s: the card removed %d rules (%d)%s"
              % (what, N, del1 - del0, "" if deletion else
                 ", at flow-perf's flush"))
        check(rules == 0 and snic_fw(nic, "rules")["rules"] == [],
              "%s: nothing left on the card (%d)" % (what, rules))
    finally:
        nic.kill()


def case_ingress(tmp):
    run_case(tmp, "ingress queue", ["--ingress", "--ether", "--ipv4",
                                    "--udp", "--queue"], True)


def case_ingress_count(tmp):
    run_case(tmp, "ingress count+rss", ["--ingress", "--ether", "--ipv4",
                                        "--count", "--rss"], True)


def case_transfer(tmp):
    run_case(tmp, "transfer port-id", ["--transfer", "--ether", "--ipv4",
                                       "--port-id=1"], True)


def case_transfer_count(tmp):
    run_case(tmp, "transfer count+port-id", ["--transfer", "--ether",
                                             "--ipv4", "--count",
                                             "--port-id=1"], True)


def case_no_deletion(tmp):
    run_case(tmp, "ingress count, no deletion", ["--ingress", "--ether",
                                                 "--ipv4", "--count",
                                                 "--queue"], False)


def case_read_back(tmp):
    """Rules left in place while flow-perf forwards: every one read back
    from the card with its shape; SIGINT then flushes them."""
    nic = T.Emunic(tmp, "-q")
    fp = None
    try:
        fp = FlowPerf(nic, ["--rules-count=%d" % N, "--rules-batch=50",
                            "--transfer", "--ether", "--ipv4", "--count",
                            "--port-id=1", "--enable-fwd"])
        done = fp.read_until(r"Total flows insertion rate", 120)
        check(done, "transfer+count: insertion done, forwarding", fp.out)
        listing = snic_fw(nic, "rules")
        rules = listing["rules"]
        check(len(rules) == N, "the card lists %d rules (%d)"
              % (N, len(rules)), json.dumps(listing)[:2000])
        srcs = set()
        shape_ok = True
        for r in rules:
            m, a = r["match"], r["actions"]
            srcs.add(m.get("ipv4_src"))
            shape_ok &= (m.get("in_vport") == "uplink" and
                         m.get("eth_type") == "0x0800" and len(m) == 3 and
                         len(a) == 2 and a[0].startswith("count(") and
                         a[1] == "fwd_vport(vf0)" and "packets" in r)
        check(shape_ok, "each: from the wire (implicit source), IPv4, "
              "count, to vf0 (flow-perf's port 1)",
              json.dumps(rules[:3]))
        # flow-perf numbers its rules in the IPv4 source: 0.0.0.0 ..
        want = {"0.0.%d.%d" % (i >> 8, i & 255) for i in range(N)}
        check(srcs == want, "the IPv4 sources of flow-perf's %d rules (%d)"
              % (N, len(srcs)), json.dumps([r["match"] for r in rules[:3]]))
        fp.interrupt()
        rc = fp.wait(60)
        check(rc == 0, "flow-perf stops on SIGINT (%s)" % rc, fp.out)
        rules_now, added, deleted = health(nic)
        check(added == N and deleted == N and rules_now == 0,
              "its flush removed them all (added %d, deleted %d, left %d)"
              % (added, deleted, rules_now))
    finally:
        if fp is not None and fp.proc.poll() is None:
            os.killpg(fp.proc.pid, signal.SIGKILL)
            fp.proc.wait()
        if fp is not None:
            remove_dpdk_runtime(fp.prefix)
        nic.kill()


CASES = {
    "ingress": case_ingress,
    "ingress_count": case_ingress_count,
    "transfer": case_transfer,
    "transfer_count": case_transfer_count,
    "no_deletion": case_no_deletion,
    "read_back": case_read_back,
}


def main():
    if not os.path.exists(FLOW_PERF):
        print("SKIP: %s not installed (Debian package dpdk)" % FLOW_PERF)
        return 77
    return T.main(CASES, "fpit")


if __name__ == "__main__":
    sys.exit(main())
