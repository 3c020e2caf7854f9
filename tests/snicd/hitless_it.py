#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""snicd restarted under traffic: offloaded traffic must not stop.

    hitless_it.py SCENARIO [--flows N]

A steady stream (snic_traffic's flood) runs from vf0 across N offloaded
flows (in_port=vf0,ip,nw_dst=10.x.y.z -> vf1) and from vf2 through one
software-path flow (push_mpls and set_mpls_ttl: the card pushes labels
but has no rte_flow action for an MPLS TTL, so it marks the frames and the
software datapath runs the flow's actions) to vf3, while snicd
is stopped and started again on the same journal. The new snicd adopts
the rules the old one left in the card (net_emunic keep_rules=1) instead
of flushing and re-creating them, then removes what nobody adopted.

Scenarios:
  kill      SIGKILL, start: zero frames lost on the offloaded path, no
            rule added or deleted on the card, every flow hw
  term      SIGTERM, start: the same
  changed   SIGKILL, then a different --flows file (half the flows kept,
            half new, --journal none): the kept half loses nothing, the
            new half is added, the dropped half removed from the card
  card      SIGKILL, the card restarted too: nothing to adopt, every flow
            re-created from the journal, traffic flows again
  legacy    the same as kill with the PMD flushing at probe (keep_rules
            off, the old behaviour): frames are lost (the figure the
            benchmark compares)
  early     SIGKILL, then a start with a --flows file of the N flows and
            N the card does not have (--journal none), on a slowed card (every command 0.5 ms late):
            the software path forwards (push_mpls done, each frame once)
            before the new snicd is ready, while its offload manager
            still adds the rules; then every flow is in hardware

Environment as snicd_it.py (EMUNIC, SNICD, SNICCTL, TRAFFIC, SNIC_FW).
--flows N (default 2,000; HITLESS_FLOWS too). Prints the figures:
frames sent and lost per path, the software path's longest gap, and how
long after the new snicd's start its frames came through again.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snicd_harness import (EMUNIC, SNICD, Emunic, Snicd, Traffic,  # noqa
                           VF_MAC, check, failures, frame, kill_all,
                           sanitizer_reports, tag, tag_of)
from snic_child import remove_dpdk_runtime  # noqa: E402

SNIC_FW = os.environ.get("SNIC_FW", "build/cli/snic-fw/snic-fw")
LEGACY_PREFIX = "hitless%d" % os.getpid()
GAP_US = 500            # one frame per stream every 0.5 ms: 2,000 fps each
SW_FLOW = ("priority=10,in_port=vf2,ip,actions=push_mpls:0x8847,"
           "set_mpls_ttl:9,output:vf3")


def hw_flows(first, n):
    return ["priority=10,in_port=vf0,ip,nw_dst=10.%d.%d.%d,actions=output:vf1"
            % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
            for i in range(first, first + n)]


def dst_of(i):
    return "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)


def card_health(nic):
    r = subprocess.run([SNIC_FW, "--json", "--socket", nic.sock, "health"],
                       capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout)


def add_flows(d, flows):
    for k in range(0, len(flows), 20000):
        d.ok("add-flows", {"flows": flows[k:k + 20000], "file": "hitless"})


def wait_hw(d, n, timeout=300):
    deadline = time.time() + timeout
    st = None
    while time.time() < deadline:
        st = d.ok("stats")
        if st["flows"]["hw"] == n:
            return st
        time.sleep(0.2)
    return st


class Flood:
    """snic_traffic's flood on its own thread until stop()."""

    def __init__(self, tr, tmp, streams, ndst):
        self.tr = tr
        self.stopfile = os.path.join(tmp, "flood.stop")
        if os.path.exists(self.stopfile):
            os.unlink(self.stopfile)
        self.lines = []
        cmd = "flood %s %d %d %s\n" % (
            self.stopfile, GAP_US, ndst,
            " ".join("%s %s" % (port, f.hex()) for port, f in streams))
        self.t = threading.Thread(target=self.run, args=(cmd,))
        self.t.start()

    def run(self, cmd):
        self.tr.proc.stdin.write(cmd)
        self.tr.proc.stdin.flush()
        while True:
            line = self.tr.proc.stdout.readline()
            if not line or line.strip() == "end":
                return
            self.lines.append(line.split())

    def stop(self):
        open(self.stopfile, "w").close()
        self.t.join()
        sent = {w[1]: int(w[2]) for w in self.lines if w[0] == "sent"}
        # per port: frames, the longest silence (ms), the wall-clock time
        # that silence ended
        rx = {w[1]: (int(w[2]), float(w[3]), float(w[4]))
              for w in self.lines if w[0] == "rx"}
        check(sent and rx, "the flood reported its counts", self.lines)
        return sent, rx


def restart(d, how, flows_file=None):
    """Stop snicd with @how while the flood runs, start it again; returns
    the new Snicd, the wall-clock time of its start and the seconds from
    it to ready."""
    d.proc.send_signal(signal.SIGKILL if how == "kill" else signal.SIGTERM)
    d.proc.wait()
    d.logf.close()
    t0 = time.time()
    if flows_file is not None:
        d.args[d.args.index("--flows") + 1] = flows_file
    d.start()
    ready = time.time() - t0
    return d, t0, ready


def fw(nic, *args):
    r = subprocess.run([SNIC_FW, "--socket", nic.sock, *args],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "snic-fw %s" % " ".join(args), r.stderr)


def early(tmp, n):
    """The software path is published before the offload manager's first
    commit: with the card slowed, software-path frames come through while
    the new snicd is still adding rules, before its control socket."""
    nic = Emunic(tmp)
    first = os.path.join(tmp, "first.flows")
    with open(first, "w") as f:
        f.write("\n".join(hw_flows(0, n) + [SW_FLOW]) + "\n")
    # one --flows file, one commit: the software path cannot come from an
    # earlier commit of the start
    d = Snicd(tmp, nic, "--journal", "none", "--flows", first)
    check(wait_hw(d, n)["flows"]["hw"] == n, "%d flows in hardware" % n)
    second = os.path.join(tmp, "second.flows")
    with open(second, "w") as f:
        f.write("\n".join(hw_flows(0, 2 * n) + [SW_FLOW]) + "\n")
    tr = Traffic(nic)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.logf.close()
    # every command 0.5 ms late: adding n rules takes the new snicd's
    # offload manager about n / 2 ms after its software datapath is up
    fw(nic, "fault", "delay", "value=500", "count=0")
    d.args[d.args.index("--flows") + 1] = second
    ready = {}
    probes = {"first": None, "tags": [], "sent": 0}

    # on a thread of its own: snicd itself must be started by this one
    # (it dies with the thread that started it, as every child here)
    def probe():
        while "t" not in ready:
            tr.send("vf2", frame(VF_MAC[3], VF_MAC[2], nw_dst="10.200.0.1",
                                 payload=tag(1000 + probes["sent"])))
            probes["sent"] += 1
            for port, p in tr.recv(20):
                if port != "vf3":
                    continue
                if probes["first"] is None:
                    probes["first"] = time.time()
                    probes["rules"] = card_health(nic)["rules"]
                probes["tags"].append(tag_of(p))
                check(p[12:14] == b"\x88\x47", "software pushed the MPLS "
                      "label", p[:20].hex())
    th = threading.Thread(target=probe)
    th.start()
    try:
        d.start()
    finally:
        ready["t"] = time.time()
    th.join()
    fw(nic, "fault", "clear", "count=0")
    first, got_tags = probes["first"], probes["tags"]
    print("  software path back %s s before ready; %d of %d probes through"
          % ("%.2f" % (ready["t"] - first) if first else "-",
             len(got_tags), probes["sent"]))
    check(first is not None and first < ready["t"],
          "the software path forwarded before snicd was ready")
    # the behaviour, whatever the timing: software frames came through
    # while the card did not hold the new flows' rules yet
    check(first is not None and probes["rules"] < 2 * n + 1,
          "the software path forwarded while the offload manager was "
          "still adding rules (the card held %s of %d)"
          % (probes.get("rules"), 2 * n + 1))
    check(len(got_tags) == len(set(got_tags)), "no frame delivered twice",
          got_tags)
    st = wait_hw(d, 2 * n)
    check(st["flows"]["hw"] == 2 * n and st["flows"]["partial"] == 1,
          "then every flow in hardware (%d)" % st["flows"]["hw"], st["text"])
    check(d.stop() == 0, "snicd stops cleanly")


def scenario(tmp, which, n):
    nic = Emunic(tmp)
    legacy = which == "legacy"
    journal = os.path.join(tmp, "flows.journal")
    if legacy:
        d = LegacySnicd(tmp, nic, "--journal", journal)
    elif which == "changed":
        first = os.path.join(tmp, "first.flows")
        with open(first, "w") as f:
            f.write("\n".join(hw_flows(0, n) + [SW_FLOW]) + "\n")
        d = Snicd(tmp, nic, "--journal", "none", "--flows", first)
    else:
        d = Snicd(tmp, nic, "--journal", journal)
    if which != "changed":
        t = time.time()
        add_flows(d, hw_flows(0, n) + [SW_FLOW])
        print("  %d flows added in %.1f s" % (n + 1, time.time() - t))
    st = wait_hw(d, n)
    # set_mpls_ttl: the card marks, the software datapath runs the
    # actions (partial)
    check(st["flows"]["hw"] == n and st["flows"]["partial"] == 1,
          "%d flows in hardware, the set_mpls_ttl one partial" % n, st["text"])
    tr = Traffic(nic)
    h0 = card_health(nic)
    # the flood covers the flows kept across the restart
    keep_first = n // 2 if which == "changed" else 0
    hw_frame = frame(VF_MAC[1], VF_MAC[0], nw_dst=dst_of(keep_first),
                     payload=tag(1))
    sw_frame = frame(VF_MAC[3], VF_MAC[2], nw_dst="10.200.0.1",
                     payload=tag(2))
    fl = Flood(tr, tmp, [("vf0", hw_frame), ("vf2", sw_frame)],
               n - keep_first)
    time.sleep(1.0)
    if which == "card":
        # the card goes too: the flood's ports with it
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        d.logf.close()
        fl.stop()
        tr.proc.kill()
        nic.proc.kill()
        nic.proc.wait()
        nic = Emunic(tmp)       # same socket, a card with no rule
        h0 = card_health(nic)
        t0 = time.time()
        d.start()
        ready = time.time() - t0
        tr = Traffic(nic)
        fl = Flood(tr, tmp, [("vf0", hw_frame), ("vf2", sw_frame)], n)
        st = wait_hw(d, n)
    elif which == "changed":
        second = os.path.join(tmp, "second.flows")
        with open(second, "w") as f:
            f.write("\n".join(hw_flows(n // 2, n) + [SW_FLOW]) + "\n")
        d, t0, ready = restart(d, "kill", flows_file=second)
    else:
        d, t0, ready = restart(d, "term" if which == "term" else "kill")
    st = wait_hw(d, n)
    all_hw = time.time()
    time.sleep(1.0)
    sent, rx = fl.stop()
    lost_hw = sent["vf0"] - rx["vf1"][0]
    lost_sw = sent["vf2"] - rx["vf3"][0]
    # the measure: how long after the new snicd's start software
    # frames came through again (the end of the software path's longest
    # silence, which the restart makes); the gap also counts the old
    # process's end and the new one's exec
    back_ms = (rx["vf3"][2] - t0) * 1000.0
    check(back_ms > 0, "the software path's longest silence was the "
          "restart's (it ended %.0f ms after the new start)" % back_ms)
    print("  restart (%s, %d flows): snicd ready %.2f s after its start; "
          "offloaded path %d frames sent, %d lost; software path %d sent, "
          "%d lost, longest gap %.0f ms, back %.0f ms after the new start"
          % (which, n, ready, sent["vf0"], lost_hw, sent["vf2"], lost_sw,
             rx["vf3"][1], back_ms))
    # where the new snicd's start went (docs/snicd.md, "Start-up order")
    with open(d.log) as f:
        log = f.read().splitlines()
    starts = [x.strip() for x in log if "started in" in x
              or "start CPU time" in x]
    for line in starts[-2:]:
        print("  " + line)
    # the journal is replayed on a thread beside the EAL, its lines
    # written after: the new snicd's say every flow came back
    restored = [x for x in log if "flows restored" in x]
    if which != "changed":
        check(restored and restored[-1].endswith(" %d flows restored" %
                                                 (n + 1)),
              "the new snicd's log: the journal's %d flows restored" % (n + 1),
              restored[-1:])
    print("FIGURE %s flows=%d lost_hw=%d sent_hw=%d lost_sw=%d sw_gap_ms=%.0f "
          "sw_back_ms=%.0f ready_s=%.2f" % (which, n, lost_hw, sent["vf0"],
                                           lost_sw, rx["vf3"][1], back_ms,
                                           ready))
    check(st["flows"]["hw"] == n, "after the restart every flow in hardware "
          "(%d)" % st["flows"]["hw"], st["text"])
    if "--no-flow-queues" not in os.environ.get("SNICD_IT_OPTS", ""):
        # the old instance's counter pool was freed (STEERING_RECLAIM) but
        # for what the adopted rules use, so the new one got a flow queue
        log = d.tail()
        check("rte_flow_configure:" not in log and "flow queue of" in log,
              "the new snicd configured its flow queue and counter pool",
              log[-1500:])
    h1 = card_health(nic)
    if which in ("kill", "term"):
        check(lost_hw == 0, "no frame lost on the offloaded path (%d of %d)"
              % (lost_hw, sent["vf0"]))
        check(h1["rules_added"] == h0["rules_added"] and
              h1["rules_deleted"] == h0["rules_deleted"],
              "no rule added or deleted on the card: every one adopted",
              (h0, h1))
        check(h1["rules"] == n + 1, "the card holds %d rules (%d)"
              % (n + 1, h1["rules"]))
    elif which == "changed":
        check(lost_hw == 0, "no frame lost through the flows kept (%d of %d)"
              % (lost_hw, sent["vf0"]))
        check(h1["rules_added"] - h0["rules_added"] == n - n // 2,
              "the new half added (%d)" % (h1["rules_added"] -
                                           h0["rules_added"]))
        check(h1["rules_deleted"] - h0["rules_deleted"] == n // 2,
              "the dropped half removed (%d)" % (h1["rules_deleted"] -
                                                 h0["rules_deleted"]))
        check(h1["rules"] == n + 1, "the card holds %d rules (%d)"
              % (n + 1, h1["rules"]))
        # a flow of the first file only: its rule is gone, nothing forwards
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], nw_dst=dst_of(0),
                             payload=tag(7)))
        got = tr.recv(500)
        check([p for port, p in got if port == "vf1"] == [],
              "a flow the second file does not have forwards nothing", got)
    elif which == "card":
        check(h1["rules"] == n + 1 and
              h1["rules_added"] - h0["rules_added"] == n + 1,
              "the new card got every rule from the journal, added (%d)"
              % h1["rules"], (h0, h1))
        check(lost_hw == 0, "once back, the offloaded path loses nothing "
              "(%d of %d)" % (lost_hw, sent["vf0"]))
    elif which == "legacy":
        check(lost_hw > 0, "flushing at probe loses frames (%d)" % lost_hw)
    # the software path works after the restart
    for k in range(5):
        tr.send("vf2", frame(VF_MAC[3], VF_MAC[2], nw_dst="10.200.0.1",
                             payload=tag(100 + k)))
    got = tr.recv(800)
    check(sorted(tag_of(p) for port, p in got if port == "vf3") ==
          list(range(100, 105)), "the software flow forwards after the "
          "restart", [(port, tag_of(p)) for port, p in got][:5])
    fl2 = wait_hw(d, n)
    check(fl2["flows"]["hw"] == n, "still every flow in hardware")
    check(d.stop() == 0, "snicd stops cleanly")


class LegacySnicd(Snicd):
    """snicd attached with EAL arguments that leave keep_rules off: the PMD
    flushes the card at probe and deletes the rules at close."""

    def __init__(self, tmp, nic, *opts):
        self.rundir = os.path.join(tmp, "snicd-run")
        self.log = os.path.join(tmp, "snicd.log")
        eal = ["--vdev", "net_emunic0,socket=%s,representor=vf[0-3]"
               % nic.sock, "--no-huge", "--no-pci", "-m", "1024",
               "--file-prefix", LEGACY_PREFIX, "--no-shconf",
               "--no-telemetry", "-l", "0-1"]
        self.args = [SNICD, *eal, "--", "--rundir", self.rundir,
                     "--emunic", EMUNIC, *opts]
        self.start()


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("kill", "term", "changed",
                                                 "card", "legacy", "early"):
        print(__doc__)
        return 2
    which = sys.argv[1]
    n = int(os.environ.get("HITLESS_FLOWS", "2000"))
    if len(sys.argv) > 3 and sys.argv[2] == "--flows":
        n = int(sys.argv[3])
    tmp = tempfile.mkdtemp(prefix="hitless_it.")
    os.chmod(tmp, 0o755)
    print("== hitless %s, %d flows" % (which, n), flush=True)
    try:
        if which == "early":
            early(tmp, n)
        else:
            scenario(tmp, which, n)
    except Exception as e:  # a crash of the harness is a failure too
        import traceback
        traceback.print_exc()
        failures.append("%s: %s" % (which, e))
        for name in os.listdir(tmp):
            if name.endswith(".log"):
                with open(os.path.join(tmp, name)) as f:
                    print("--- %s ---\n%s" % (name, f.read()[-3000:]))
    finally:
        kill_all()
        remove_dpdk_runtime(LEGACY_PREFIX)
    failures.extend(sanitizer_reports(tmp))
    if failures:
        print("FAILED (%d): %s" % (len(failures), which))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
