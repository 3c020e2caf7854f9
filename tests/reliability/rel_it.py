#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reliability tests of snicd: faults of the card under a running daemon,
and what listens where (docs/reliability.md has the table).

    rel_it.py SCENARIO [--flows N]

Scenarios:
  card_kill    emunic killed with SIGKILL and restarted on the same socket:
               flows stay desired (sw, "device gone"), snicd re-attaches
               the device and puts every flow back in hw; traffic resumes
  fw_reset     a firmware reset under N flows (default $REL_FLOWS or
               20000): hw flows counted before and after, recovery timed
  table_full   profile tiny (64 rules): the overflow goes to software,
               traffic proves both paths, freed space is used again
  faults       fail-next RULE_ADD, delay, drop-next, garbage-next against
               snicd's rollback and recovery paths; after each re-attach a
               flow deleted with snicctl stops forwarding (no stale rule of
               the dead driver instance is left in the card)
  no_listen    neither snicd nor emunic listens on a network address
  valgrind     snicd under valgrind memcheck through add, traffic, dump,
               delete and SIGTERM: no error, no definite leak
  journal_full the journal on a 64 KiB tmpfs (a private mount namespace):
               batches until the disk is full; the refused batch is not
               live and says so; after growing the disk, one more batch,
               SIGKILL, restart: exactly the acknowledged flows come back
  queue_stall  a card whose flow queue answers only when polled
               (net_emunic pull_wait=0): a slow card is waited for, no
               give-up; a card slower than --queue-timeout makes snicd
               give up while it still answers a validation, and re-attach
               it: every flow back in hardware, and a flow deleted after
               that stops forwarding
  valgrind_stop  snicd under valgrind stopped ($REL_STOP_ROUNDS times,
               default 4) while the PMD's alarm runs: it exits, cleanly

Environment as for tests/snicd/snicd_it.py (EMUNIC, SNICD, SNICCTL,
TRAFFIC, SNIC_FW). Every process started here is killed at the end.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "snicd"))
from snicd_harness import (EMUNIC, NVFS, SNICD, EalSnicd, Emunic, Snicd,  # noqa
                           Traffic, VF_MAC, check, failures, frame, kill_all,
                           sanitizer_reports, spawn, tag, tag_of)

SNIC_FW = os.environ.get("SNIC_FW", os.path.join(
    os.path.dirname(EMUNIC), "..", "cli", "snic-fw", "snic-fw"))


def snic_fw(nic, *args):
    r = subprocess.run([SNIC_FW, "-s", nic.sock, *args], capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def wait_for(what, fn, timeout):
    """Poll @fn until it returns a true value; (value, seconds) or
    (last value, None) on timeout."""
    t0 = time.time()
    v = None
    while time.time() - t0 < timeout:
        v = fn()
        if v:
            return v, time.time() - t0
        time.sleep(0.02)
    print("  timed out waiting for " + what)
    return v, None


def places(d):
    st = d.ok("stats")
    return st["flows"], st


def all_hw(d, n):
    fl, _ = places(d)
    return fl["hw"] == n and fl["sw"] == 0 and fl["partial"] == 0


def ip_flows(n, first=0, out="vf1", inp="vf0", prio=10):
    return ["priority=%d,in_port=%s,ip,nw_dst=10.%d.%d.%d,actions=output:%s"
            % (prio, inp, (i >> 16) & 255, (i >> 8) & 255, i & 255, out)
            for i in range(first, first + n)]


def ip_dst(i):
    return "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)


def traffic_ok(tr, dsts, what, out="vf1"):
    """One frame per destination from vf0; every one must reach @out."""
    for k, dst in enumerate(dsts):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], nw_dst=dst,
                             payload=tag(k)))
    got = tr.recv(600)
    tags = sorted(tag_of(p) for port, p in got if port == out)
    return check(tags == list(range(len(dsts))), what,
                 [(port, tag_of(p)) for port, p in got][:10])


def deleted_flow_stops(d, tr, flow, what, out="vf1"):
    """Delete @flow (an ip_flows() entry) with snicctl; its frames must then
    reach no port. The card keeps its rules when a driver goes away, so
    before the PMD flushed the card at probe, the rule that the driver
    instance which died had installed for @flow stayed there next to the
    re-installed copy, and kept forwarding after the delete."""
    dst = flow.split("nw_dst=")[1].split(",")[0]
    match = flow[:flow.index(",actions=")]
    n0 = len(d.flows())
    if not traffic_ok(tr, [dst], what + ": %s forwards before the delete"
                      % dst, out):
        return False
    r = d.ctl("--strict", "del-flows", match)
    check(r.returncode == 0 and len(d.flows()) == n0 - 1, what + ": snicctl "
          "--strict del-flows %s" % match, r.stdout + r.stderr)
    for k in range(5):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], nw_dst=dst,
                             payload=tag(1000 + k)))
    got = tr.recv(600)
    return check(got == [], what + ": after the delete no frame to %s is "
                 "forwarded (no stale copy of its rule in the card)" % dst,
                 [(port, tag_of(p)) for port, p in got][:5])


def restart_traffic(tr, nic):
    """snic_traffic attaches to the card; a card restart needs a new one."""
    if tr is not None and tr.proc.poll() is None:
        os.killpg(tr.proc.pid, signal.SIGKILL)
        tr.proc.wait()
    return Traffic(nic)


# ---- scenarios ----


def scenario_card_kill(tmp, n):
    n = min(n, 2000)
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    d.ok("add-flows", {"flows": ip_flows(n)})
    check(all_hw(d, n), "%d flows in hardware" % n)
    traffic_ok(tr, [ip_dst(i) for i in range(5)], "traffic through hardware "
               "before the kill")
    os.killpg(nic.proc.pid, signal.SIGKILL)
    nic.proc.wait()
    t_kill = time.time()
    print("  emunic killed with SIGKILL")

    def gone():
        fl, st = places(d)
        return st if fl["sw"] == n else None
    st, dt = wait_for("flows to leave hardware", gone, 10)
    check(dt is not None, "snicd noticed the card's death within %.2f s"
          % (dt or -1), st and st["text"])
    fl = d.flows()
    check(len(fl) == n, "no flow lost while the card is away (%d of %d)"
          % (len(fl), n))
    check(all(f["offload"] == "sw" and "device gone" in f["reason"]
              for f in fl), "every flow shows sw, reason 'device gone'",
          fl[:1])
    # the daemon serves while the card is away: a new flow is accepted too
    d.ok("add-flow", {"flow": "priority=5,in_port=vf2,actions=output:vf3"})
    check(d.call("show")[1] is None, "snicd answers its control socket "
          "while the card is away")
    time.sleep(0.5)
    check(d.proc.poll() is None, "snicd (and its software datapath) still "
          "running")
    nic = Emunic(tmp)           # same socket, same profile, 4 VFs switchdev
    t_up = time.time()
    print("  emunic restarted %.2f s after the kill" % (t_up - t_kill))
    _, dt = wait_for("every flow back in hardware",
                     lambda: all_hw(d, n + 1), 20)
    check(dt is not None, "every flow back in hardware")
    if dt is not None:
        print("  RECOVERY card_kill: %.3f s from the card answering again "
              "to %d flows in hardware" % (dt, n + 1))
    _, st = places(d)
    check(st["device"]["reattaches"] == 1 and not st["device"]["lost"],
          "stats: one re-attach, device attached", st["text"])
    print("  snicd's own figure (loss to re-placed): %.3f s"
          % st["device"]["last_recovery_s"])
    sh = d.ok("show")
    names = sorted((p["name"], p["ofport"]) for p in sh["ports"])
    check(names == sorted([("uplink", 1)] + [("vf%d" % i, 2 + i)
                                             for i in range(4)]),
          "ports keep their names and OpenFlow numbers", names)
    tr = restart_traffic(tr, nic)
    traffic_ok(tr, [ip_dst(i) for i in range(0, n, max(1, n // 20))],
               "traffic resumes through hardware after the re-attach")
    fl = d.flows()
    check(len(fl) == n + 1 and all(f["offload"] == "hw" for f in fl),
          "dump-flows: all %d hw" % (n + 1))
    check(d.stop() == 0, "SIGTERM stops snicd cleanly")


def scenario_fw_reset(tmp, n):
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    t0 = time.time()
    batch = 10000
    for first in range(0, n, batch):
        d.ok("add-flows", {"flows": ip_flows(min(batch, n - first), first)})
    print("  %d flows added in %.1f s" % (n, time.time() - t0))
    fl, st = places(d)
    before = fl["hw"]
    dump = d.flows()
    dump_hw = sum(1 for f in dump if f["offload"] == "hw")
    check(before == n and dump_hw == n, "before the reset: %d flows in "
          "hardware (stats %d, dump-flows %d)" % (n, before, dump_hw))
    created0 = st["offload"]["rules_created"]
    resyncs0 = st["offload"]["resyncs"]
    rc, out = snic_fw(nic, "reset")
    check(rc == 0, "firmware reset through snic-fw", out)
    t0 = time.time()

    def recovered():
        fl_, st_ = places(d)
        return st_ if (st_["offload"]["resyncs"] > resyncs0 and
                       fl_["hw"] == n) else None
    st, dt = wait_for("the resync", recovered, 60)
    check(dt is not None, "every flow back in hardware after the reset")
    if dt is not None:
        print("  RECOVERY fw_reset: %d flows back in hardware %.3f s after "
              "the reset (target < 1 s)" % (n, dt))
    if st:
        made = st["offload"]["rules_created"] - created0
        check(made >= n, "the resync created %d rules for %d flows"
              % (made, n))
    dump = d.flows()
    dump_hw = sum(1 for f in dump if f["offload"] == "hw")
    check(len(dump) == n and dump_hw == n, "after the reset: %d flows, %d "
          "in hardware (dump-flows)" % (len(dump), dump_hw))
    traffic_ok(tr, [ip_dst(i) for i in range(0, n, max(1, n // 10))],
               "traffic resumes after the reset")


def mac_flows(n):
    return ["priority=10,in_port=vf0,dl_dst=02:00:00:01:%02x:%02x,"
            "actions=output:vf1" % (i >> 8, i & 255) for i in range(n)]


def scenario_table_full(tmp, n):
    # tiny: 64 rules, and only L2 fields (so the flows match dl_dst)
    nic = Emunic(tmp, "tiny")
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    total = 80
    d.ok("add-flows", {"flows": mac_flows(total)})
    fl = d.flows()
    hw = [f for f in fl if f["offload"] == "hw"]
    sw = [f for f in fl if f["offload"] == "sw"]
    check(len(fl) == total, "all %d flows accepted and kept" % total)
    check(len(hw) > 0 and len(sw) > 0 and len(hw) + len(sw) == total,
          "the table filled up: %d hw, %d sw" % (len(hw), len(sw)))
    check(all("no space" in f["reason"] for f in sw),
          "the overflow says why (no space)", sw[:1])

    def dst_of(f):
        return f["text"].split("dl_dst=")[1].split(" ")[0].split(",")[0]

    def send(dsts, what):
        for k, dst in enumerate(dsts):
            tr.send("vf0", frame(dst, VF_MAC[0], payload=tag(k)))
        got = tr.recv(600)
        tags = sorted(tag_of(p) for port, p in got if port == "vf1")
        return check(tags == list(range(len(dsts))), what,
                     [(port, tag_of(p)) for port, p in got][:10])
    hw_dsts = [dst_of(f) for f in hw[:5]]
    sw_dsts = [dst_of(f) for f in sw[:5]]
    rx0 = d.ok("stats")["datapath"]["rx"]
    send(hw_dsts, "frames of hardware flows forwarded")
    check(d.ok("stats")["datapath"]["rx"] == rx0,
          "... without reaching the software datapath")
    send(sw_dsts, "frames of software flows (the overflow) forwarded too")
    check(d.ok("stats")["datapath"]["rx"] >= rx0 + len(sw_dsts),
          "... by the software datapath")
    # free space: delete hardware flows, the waiting ones move in
    for f in hw[:len(sw)]:
        d.ok("del-flows", {"flow": "priority=10,in_port=vf0,dl_dst=%s"
                           % dst_of(f), "strict": True})
    fl = d.flows()
    check(len(fl) == total - len(sw) and
          all(f["offload"] == "hw" for f in fl),
          "space freed: every remaining flow is in hardware (%d of %d)"
          % (sum(1 for f in fl if f["offload"] == "hw"), len(fl)),
          [f["reason"] for f in fl if f["offload"] != "hw"][:2])
    rx0 = d.ok("stats")["datapath"]["rx"]
    send(sw_dsts, "the moved flows forward in hardware")
    check(d.ok("stats")["datapath"]["rx"] == rx0,
          "... without the software datapath")
    check(d.stop() == 0, "SIGTERM stops snicd cleanly")


def fault_case(d, nic, tr, name, knob, flows, expect_dead, answer_s=3):
    """Arm @knob, add @flows through snicd, show snicd keeps serving (the
    next request answered within @answer_s), no flow is lost, and every
    flow ends in hardware (retry or re-attach)."""
    print("  -- " + name)
    fl0 = len(d.flows())
    rc, out = snic_fw(nic, "fault", *knob)
    check(rc == 0, name + ": knob armed", out)
    t0 = time.time()
    _, e = d.call("add-flows", {"flows": flows}, timeout=30)
    took = time.time() - t0
    check(e is None, name + ": add-flows accepted (%.2f s)" % took, e)
    check(took < 10, name + ": the call did not hang")
    t1 = time.time()
    r, e = d.call("show", timeout=10)
    took = time.time() - t1
    check(e is None and took < answer_s, name + ": the control socket "
          "answers right after (%.2f s)" % took, e)
    fl = d.flows()
    check(len(fl) == fl0 + len(flows), name + ": no flow lost (%d)"
          % len(fl))
    notes = sorted(set(f["reason"] for f in fl if f["offload"] != "hw"))
    print("  %s: right after: %d sw, reasons %s" % (
        name, sum(1 for f in fl if f["offload"] == "sw"), notes[:3]))
    _, dt = wait_for(name + ": every flow in hardware",
                     lambda: all_hw(d, len(fl)), 25)
    check(dt is not None, name + ": every flow ends in hardware (%.2f s "
          "later)" % (dt or -1))
    _, st = places(d)
    print("  %s: %s" % (name, [ln for ln in st["text"].splitlines()
                               if ln.startswith("device")]))
    if expect_dead:
        check(st["device"]["reattaches"] >= 1, name + ": recovered through "
              "the re-attach path")
    # snic-fw's default count=1 is refused for clear (a reserved field)
    rc, out = snic_fw(nic, "fault", "clear", "count=0")
    check(rc == 0, name + ": knobs cleared", out)
    traffic_ok(tr, [f.split("nw_dst=")[1].split(",")[0] for f in flows[:3]],
               name + ": traffic through the affected flows")
    return st


def scenario_faults(tmp, n):
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    base = 0
    # On the uplink's flow queue the ten creates go in one batch: a refused
    # one is asked again with rte_flow_create right away. Failing the whole
    # batch and then three of those retries leaves three create failures
    # for a later commit, as three failures do on the sync API.
    fq = d.ok("capabilities")["flow_queue"]["size"]
    st = fault_case(d, nic, tr, "fail-next RULE_ADD x3",
                    ["fail-next", "opcode=0x410",
                     "count=%d" % (3 + (10 if fq else 0))],
                    ip_flows(10, base), False)
    check(st["offload"]["create_failures"] >= 3 and
          st["device"]["retries"] >= 1 and st["device"]["reattaches"] == 0,
          "fail-next: 3 create failures, retried at a later commit, no "
          "re-attach", st["text"])
    if fq:
        q = d.ok("capabilities")["flow_queue"]
        check(q["refused"] == 10, "fail-next: the ten creates refused in "
              "their batch, each asked again", q)
    base += 10
    t0 = time.time()
    fault_case(d, nic, tr, "delay 20 ms per command",
               ["delay", "value=20000", "count=0"], ip_flows(10, base), False)
    print("  delay: %.2f s for the case" % (time.time() - t0))
    base += 10
    st = fault_case(d, nic, tr, "drop-next (a completion that never comes)",
                    ["drop-next", "opcode=0x410", "count=1"],
                    ip_flows(10, base), True)
    # in hardware since the fail-next case, i.e. installed by the driver
    # instance the drop-next killed, and installed again after the re-attach
    deleted_flow_stops(d, tr, ip_flows(10, 0)[1], "drop-next")
    base += 10
    reatt = st["device"]["reattaches"]
    tr = restart_traffic(tr, nic)
    st = fault_case(d, nic, tr, "garbage-next (a corrupted completion)",
                    ["garbage-next", "opcode=0x410", "count=1"],
                    ip_flows(10, base), True)
    check(st["device"]["reattaches"] > reatt, "garbage-next: another "
          "re-attach")
    # one flow of the instance before, and the batch whose RULE_ADD the card
    # carried out but answered with a corrupted completion
    deleted_flow_stops(d, tr, ip_flows(10, base - 10)[1], "garbage-next")
    deleted_flow_stops(d, tr, ip_flows(10, base)[0], "garbage-next")
    check(d.proc.poll() is None and d.stop() == 0,
          "snicd survived every fault and stops cleanly")


def scenario_queue_stall(tmp, n):
    nic = Emunic(tmp)
    prefix = "relstall%d" % os.getpid()
    d = EalSnicd(tmp, ["--vdev", "net_emunic0,socket=%s,keep_rules=1,"
                       "pull_wait=0,representor=vf[0-%d]"
                       % (nic.sock, NVFS - 1), "--no-huge", "--no-pci",
                       "-m", "512", "--file-prefix", prefix,
                       "--no-telemetry", "-l", "0,1"],
                 "--queue-timeout", "300")
    tr = Traffic(nic)
    # the first rule through the flow queue takes its counter pool on the
    # card (a million counters, 1,020 commands): before a knob makes each
    # command slow
    d.ok("add-flows", {"flows": ip_flows(1, 900)})
    # 2 ms a command: the flow queue's pulls come back empty a few
    # thousand times before each answer; a count of empty pulls is no
    # timeout
    st = fault_case(d, nic, tr, "slow card, polled (2 ms a command)",
                    ["delay", "value=2000", "count=0"], ip_flows(20), False)
    check(st["device"]["giveups"] == 0 and st["device"]["reattaches"] == 0,
          "slow card: waited for, not given up on", st["text"])
    # 600 ms a RULE_ADD, the card's answers slower than --queue-timeout
    # (300 ms) but well within the PMD's own command timeout (2 s): the
    # PMD and a validation see nothing wrong, only snicd's timeout does.
    # It gives up on the device, and the re-attach that follows must leave
    # no rule of the driver instance given up on behind. (Only RULE_ADD:
    # a new driver instance takes the pool again, 1,020 commands.)
    rc, out = snic_fw(nic, "fault", "delay", "opcode=0x410", "value=600000",
                      "count=0")
    check(rc == 0, "stall: knob armed", out)
    flows = ip_flows(5, 200)
    _, e = d.call("add-flows", {"flows": flows}, timeout=30)
    check(e is None, "stall: add-flows accepted", e)
    st, dt = wait_for("snicd to give up on the device", lambda: (
        lambda st: st if st["device"]["giveups"] >= 1 else None)(
            d.ok("stats")), 20)
    check(dt is not None, "stall: snicd gave up on a device that still "
          "answers a validation", st and st["text"])
    rc, out = snic_fw(nic, "fault", "clear", "count=0")
    check(rc == 0, "stall: knob cleared", out)
    fl = d.flows()
    _, dt = wait_for("every flow in hardware after the stall",
                     lambda: all_hw(d, len(fl)), 25)
    check(dt is not None, "stall: every flow (%d) back in hardware (%.2f s)"
          % (len(fl), dt or -1))
    _, st = places(d)
    print("  stall: %s" % [ln for ln in st["text"].splitlines()
                           if ln.startswith("device")])
    check(st["device"]["reattaches"] >= 1 and not st["device"]["lost"],
          "stall: recovered through a re-attach", st["text"])
    traffic_ok(tr, [ip_dst(200 + i) for i in range(5)],
               "stall: traffic through the flows added during it")
    deleted_flow_stops(d, tr, ip_flows(20)[7], "queue_stall")
    deleted_flow_stops(d, tr, flows[3], "queue_stall")
    check(d.proc.poll() is None and d.stop() == 0,
          "snicd survived and stops cleanly")


def listeners(pids):
    """TCP/UDP listening sockets (ss -lntup) owned by one of @pids."""
    r = subprocess.run(["ss", "-lntupH"], capture_output=True, text=True,
                       timeout=10)
    out = []
    for line in r.stdout.splitlines():
        if any("pid=%d," % p in line for p in pids):
            out.append(line)
    return r.returncode, r.stdout, out


def scenario_no_listen(tmp, n):
    if shutil.which("ss") is None:
        print("  skipped: no ss (iproute2)")
        sys.exit(77)
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    d.ok("add-flows", {"flows": ip_flows(10)})
    pids = [nic.proc.pid, d.proc.pid]
    rc, all_out, mine = listeners(pids)
    check(rc == 0, "ss -lntup runs", all_out)
    check(mine == [], "no TCP/UDP listener owned by emunic or snicd", mine)
    # the sanity of the probe itself: a listener we open is seen
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    _, _, own = listeners([os.getpid()])
    s.close()
    check(len(own) == 1, "the probe sees a listener when there is one", own)
    r = subprocess.run(["ss", "-lxpH"], capture_output=True, text=True,
                       timeout=10)
    ctl = os.path.join(d.rundir, "snicd.ctl")
    check(ctl in r.stdout, "snicd's only listener is its Unix control "
          "socket " + ctl)


class ValgrindSnicd(Snicd):
    """snicd under valgrind memcheck: errors or definite leaks fail it.

    --fair-sched=yes: valgrind runs one thread at a time, and by default a
    thread spinning for another (DPDK waits that way: rte_eal_cleanup's
    rte_intr_callback_unregister_sync for the interrupt thread's alarm
    run) can keep it from ever running again; snicd then hung in
    rte_eal_cleanup (valgrind_stop, once in a CI run on a loaded
    machine). Natively the spinner only slows the other thread down."""

    def __init__(self, tmp, nic, supp, *opts):
        self.vglog = os.path.join(tmp, "valgrind.log")
        Snicd.__init__(self, tmp, nic, *opts, name="snicd-vg")

    def start(self):
        if not self.args[0].startswith("valgrind"):
            self.args = ["valgrind", "--error-exitcode=1",
                         "--fair-sched=yes", "--leak-check=full",
                         "--errors-for-leak-kinds=definite,indirect",
                         "--show-leak-kinds=definite,indirect",
                         "--suppressions=" + os.environ.get(
                             "REL_VALGRIND_SUPP",
                             os.path.join(HERE, "valgrind.supp")),
                         "--log-file=" + self.vglog, *self.args]
        deadline = time.time() + 60
        self.logf = open(self.log, "a")
        self.proc = spawn(self.args, stdout=self.logf,
                          stderr=subprocess.STDOUT)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("snicd exited: " + self.tail())
            try:
                self.call("show", timeout=20)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("snicd not ready under valgrind: " + self.tail())


def scenario_valgrind(tmp, n):
    if shutil.which("valgrind") is None:
        print("  skipped: no valgrind")
        sys.exit(77)
    nic = Emunic(tmp)
    t0 = time.time()
    d = ValgrindSnicd(tmp, nic, None)
    print("  snicd up under valgrind in %.1f s" % (time.time() - t0))
    tr = Traffic(nic)
    d.ok("add-flows", {"flows": ip_flows(50)})
    d.ok("add-flow", {"flow": "priority=20,in_port=vf2,ip,nw_dst=10.9.9.9,"
                              "actions=mod_dl_src:02:00:00:00:00:99,"
                              "output:vf3"})
    traffic_ok(tr, [ip_dst(i) for i in range(5)], "traffic through hardware")
    d.ok("add-flow", {"flow": "priority=1,in_port=vf0,ipv6,"
                              "actions=output:vf1"})
    # a miss reaches the software datapath's workers (and is dropped)
    rx0 = d.ok("stats")["datapath"]["rx"]
    tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], nw_dst="10.200.0.1"))
    tr.recv(400)
    check(d.ok("stats")["datapath"]["rx"] > rx0, "a miss ran through the "
          "software datapath")
    fl = d.flows()
    check(len(fl) == 52, "dump-flows under valgrind (%d flows)" % len(fl))
    d.ok("del-flows", {"flow": "in_port=vf2"})
    check(len(d.flows()) == 51, "del-flows")
    r = d.ctl("stats")
    check(r.returncode == 0, "snicctl stats", r.stderr)
    d.proc.send_signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        d.proc.kill()
        rc = d.proc.wait()
    d.logf.close()
    with open(d.vglog) as f:
        vg = f.read()
    summary = [ln for ln in vg.splitlines() if "ERROR SUMMARY" in ln or
               "definitely lost" in ln or "indirectly lost" in ln]
    print("  " + "\n  ".join(summary))
    print("  snicd under valgrind: %.1f s in all" % (time.time() - t0))
    check(rc == 0, "snicd exits 0 under valgrind after SIGTERM "
          "(--error-exitcode=1: no memcheck error, no definite leak)",
          vg[-6000:])


def scenario_valgrind_stop(tmp, n):
    """snicd under valgrind stopped while net_emunic's 50 ms alarm is
    likely to run: the card answers each command 60 ms late, so the alarm
    waits for the adapter lock behind snicd's own teardown commands and is
    still running when the PF port closes. The PMD used to cancel its
    alarm from the closing thread; DPDK's cancel spins while the alarm
    runs, and under valgrind's one-thread-at-a-time scheduling the alarm
    then never got the spinlock it needs to finish: snicd printed
    "stopping" and hung. Each round must end, and end cleanly."""
    if shutil.which("valgrind") is None:
        print("  skipped: no valgrind")
        sys.exit(77)
    rounds = int(os.environ.get("REL_STOP_ROUNDS", "4"))
    nic = Emunic(tmp)
    for r in range(rounds):
        d = ValgrindSnicd(tmp, nic, None, "--journal", "none")
        d.ok("add-flows", {"flows": ip_flows(4)})
        rc, out = snic_fw(nic, "fault", "delay", "value=60000", "count=0")
        check(rc == 0, "round %d: card delay 60 ms armed" % r, out)
        t0 = time.time()
        d.proc.send_signal(signal.SIGTERM)
        try:
            rc = d.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            rc = None
        took = time.time() - t0
        if rc is None:
            dbg = subprocess.run(
                ["gdb", "-batch", "-ex", "target remote | vgdb --pid=%d"
                 % d.proc.pid, "-ex", "thread apply all bt", "-ex", "detach",
                 SNICD], capture_output=True, text=True, timeout=60) \
                if shutil.which("gdb") else None
            if dbg is not None:
                print("\n".join(ln for ln in dbg.stdout.splitlines()
                                if ln.startswith(("Thread", "#"))))
            d.proc.kill()
            d.proc.wait()
            check(False, "round %d: snicd exits within 40 s of SIGTERM" % r)
            d.logf.close()
            return
        d.logf.close()
        rc2, out = snic_fw(nic, "fault", "clear", "count=0")
        check(rc2 == 0, "round %d: card delay cleared" % r, out)
        with open(d.vglog) as f:
            vg = f.read()
        check(rc == 0, "round %d: snicd stopped in %.1f s under valgrind, "
              "exit 0 (no memcheck error, no definite leak)" % (r, took),
              vg[-4000:])


def mount_tmpfs(where, size):
    os.makedirs(where, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0750"
                        % size, "tmpfs", where], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError("mount tmpfs: " + r.stderr)


def scenario_journal_full(tmp, n):
    """Runs in its own mount namespace (main re-executes under unshare -m),
    so the tmpfs goes away with the test whatever happens."""
    jdir = os.path.join(tmp, "jfs")
    mount_tmpfs(jdir, "64k")
    nic = Emunic(tmp)
    d = Snicd(tmp, nic, "--journal", os.path.join(jdir, "flows.journal"))
    acked, refused, err = [], [], None
    for b in range(100):
        batch = ip_flows(200, first=200 * b)
        r, e = d.call("add-flows", {"flows": batch, "file": "b%d" % b})
        if e is not None:
            refused, err = batch, e["message"]
            break
        acked += batch
    print("  %d flows acknowledged before the disk was full" % len(acked))
    check(refused and "No space left on device" in err and "nothing of "
          "this batch was added" in err, "the batch the journal cannot take "
          "is refused, saying nothing of it was added", err)
    live = len(d.flows())
    check(live == len(acked), "nothing of it is live (%d flows, %d "
          "acknowledged)" % (live, len(acked)))
    # single flows fill what room is left, up to the last byte
    for k in range(1000):
        one = "priority=5,in_port=vf2,ip,nw_dst=10.9.%d.%d,actions=output:" \
              "vf3" % (k >> 8, k & 255)
        r = d.ctl("add-flow", one)
        if r.returncode != 0:
            break
        acked.append(one)
    check(r.returncode != 0 and "journal cannot take it" in r.stderr,
          "then add-flow is refused too (after %d more)" % k, r.stderr)
    check(len(d.flows()) == len(acked), "and is not live")
    r = subprocess.run(["mount", "-o", "remount,size=4m", jdir],
                       capture_output=True, text=True)
    check(r.returncode == 0, "the filesystem grows", r.stderr)
    last = ip_flows(200, first=100000)
    _, e = d.call("add-flows", {"flows": last, "file": "last"})
    check(e is None, "a batch is acknowledged after the disk grew", e)
    if e is None:
        acked += last
    d.proc.kill()
    d.proc.wait()
    d.start()
    texts = set(f["text"][f["text"].index("priority="):] for f in d.flows())
    want = set(a.replace(",actions=", " actions=").replace(
        "in_port=", "ip,in_port=").replace(",ip,nw_dst", ",nw_dst").replace(
        ",ip,ip,", ",ip,") for a in acked)
    check(texts == want, "after SIGKILL and restart exactly the %d "
          "acknowledged flows are back (%d flows; %d missing, %d never "
          "acknowledged)" % (len(want), len(texts), len(want - texts),
                             len(texts - want)),
          (sorted(want - texts)[:2], sorted(texts - want)[:2]))
    log = d.tail()
    check("skipped" not in log and "damaged" not in log, "the journal "
          "replayed without skipping or damage", log)
    check(d.stop() == 0, "snicd stops cleanly")
    subprocess.run(["umount", jdir])


SCENARIOS = {
    "card_kill": scenario_card_kill,
    "fw_reset": scenario_fw_reset,
    "table_full": scenario_table_full,
    "faults": scenario_faults,
    "no_listen": scenario_no_listen,
    "queue_stall": scenario_queue_stall,
    "valgrind": scenario_valgrind,
    "valgrind_stop": scenario_valgrind_stop,
    "journal_full": scenario_journal_full,
}

# scenarios that mount filesystems: in a private mount namespace of their own
PRIVATE_MOUNTS = ("journal_full",)


def enter_mount_namespace():
    """Re-execute this script under unshare -m (root only): mounts made by
    the scenario vanish with it, even if it dies."""
    if os.environ.get("REL_UNSHARED") == "1":
        return
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("  skipped: needs root and unshare(1) for a private tmpfs")
        sys.exit(77)
    env = dict(os.environ, REL_UNSHARED="1")
    os.execvpe("unshare", ["unshare", "-m", "--propagation", "private",
                           sys.executable, os.path.abspath(__file__),
                           *sys.argv[1:]], env)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in SCENARIOS:
        print(__doc__)
        return 2
    which = sys.argv[1]
    if which in PRIVATE_MOUNTS:
        enter_mount_namespace()
    n = int(os.environ.get("REL_FLOWS", "20000"))
    if len(sys.argv) > 3 and sys.argv[2] == "--flows":
        n = int(sys.argv[3])
    tmp = tempfile.mkdtemp(prefix="rel_it.")
    os.chmod(tmp, 0o755)
    print("== %s" % which, flush=True)
    try:
        SCENARIOS[which](tmp, n)
    except Exception as e:  # a crash of the harness is a failure too
        import traceback
        traceback.print_exc()
        failures.append("%s: %s" % (which, e))
    finally:
        kill_all()
    failures.extend(sanitizer_reports(tmp))
    if failures:
        for name in os.listdir(tmp):
            if name.endswith(".log"):
                with open(os.path.join(tmp, name)) as f:
                    print("--- %s ---\n%s" % (name, f.read()[-4000:]))
        print("FAILED (%d): %s" % (len(failures), which))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
