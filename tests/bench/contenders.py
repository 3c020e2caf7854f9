"""The contenders of scripts/bench-ovs-compare, one class each.

Every contender forwards the same pcap (net_pcap, infinite_rx) to the same
sink (net_null) on the same forwarding core with bursts of 32, and is
measured by the same bench_host.sample().  run() starts it, waits until it
is ready, warms up, takes the samples, checks that the packets took the
intended rules, stops it and returns {mode: result}; it raises BenchError
when it cannot run or measure.

  testpmd  dpdk-testpmd in io forwarding: no classification at all, the
           ceiling the vdevs allow.
  ovs      Open vSwitch's ovs-vswitchd-dpdk, measured in two modes on one
           daemon, alternately: without (ovs_nosmc, its default) and with
           its signature match cache (ovs_smc, other_config:smc-enable).
  snicd    snicd's software datapath, offload disabled, one worker.
"""

import json
import os
import pty
import re
import select
import subprocess
import time

from bench_host import (BURST, FWD_CORE, MAIN_CORE, MBUFS,
                        BenchError, log, sample)

PCAP_VDEV = "net_pcap0,rx_pcap=%s,infinite_rx=1"
NULL_VDEV = "net_null0,no-rx=1"
OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
# OVS has settled when its upcalls are below this share of its packets
# over one second (every packet flow has its datapath flow).
SETTLED_MISS_SHARE = 1e-4


class Cell:
    """One cell of the matrix: packet flows x rule set."""

    def __init__(self, flows, rules_name, pcap, ruleset, expected):
        self.flows = flows
        self.rules_name = rules_name
        self.pcap = pcap
        self.ruleset = ruleset
        self.expected = expected
        self.tag = "%s-%d" % (rules_name, flows)

    def write_rules(self, path, in_port, out_port):
        with open(path, "w") as f:
            for r in self.ruleset:
                f.write(r.text(in_port, out_port) + "\n")


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def summarize(samples):
    """Mpps: wall-clock rates. cpu_mpps: packets per second of CPU time
    the forwarding thread got, the same rates with the preemption by the
    machine's other work taken out (a shared machine gives a busy-polling
    thread anything from 20 to 100 % of its core)."""
    rates = [s[0] for s in samples]
    cpu = [s[0] / s[2] for s in samples if s[2] > 0]
    return {"mpps": round(median(rates), 3), "min": round(min(rates), 3),
            "max": round(max(rates), 3),
            "samples": [round(r, 3) for r in rates],
            "cpu_mpps": round(median(cpu), 3) if cpu else None,
            "cpu_samples": [round(r, 3) for r in cpu],
            "load": [s[1] for s in samples],
            "core_share": [round(s[2], 2) for s in samples]}


def check_rules(counters, cell, who):
    """The per-rule counters against the reference lookup: every rule some
    packet flow takes has counted packets, every other rule none."""
    fails = []
    cookies = {r.cookie for r in cell.ruleset}
    absent = cookies - set(counters)
    if absent:
        fails.append("%s holds %d of the %d rules (cookie 0x%x missing)"
                     % (who, len(cookies) - len(absent), len(cookies),
                        min(absent)))
    missed = sorted(c for c in cell.expected if counters.get(c, 0) == 0)
    stray = sorted(c for c in cookies - cell.expected
                   if counters.get(c, 0) > 0)
    if missed:
        fails.append("%s: %d rule(s) that packet flows must take counted "
                     "no packet (cookie 0x%x first)" % (who, len(missed),
                                                        missed[0]))
    if stray:
        fails.append("%s: %d rule(s) that no packet flow takes counted "
                     "packets (cookie 0x%x: %d)" % (who, len(stray), stray[0],
                                                    counters[stray[0]]))
    return {"rules": len(cookies), "expected_hit": len(cell.expected),
            "hit": sum(1 for c in cookies if counters.get(c, 0) > 0),
            "missed": len(missed), "stray": len(stray)}, fails


def take_samples(opts, counter, pid, before=None, after=None):
    out = []
    for r in range(opts.runs):
        if before:
            before(r)
        out.append(sample(counter, opts.seconds, pid))
        if after:
            after(r)
    return out


# ---------------------------------------------------------------------------
class Testpmd:
    name = "testpmd"
    modes = ("testpmd",)

    def __init__(self, host, binary="dpdk-testpmd"):
        self.host = host
        self.binary = binary
        self.fd = None
        self.proc = None

    def _read_prompt(self, timeout=20):
        out = ""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    out += os.read(self.fd, 65536).decode(errors="replace")
                except OSError:
                    break
                if out.rstrip().endswith("testpmd>"):
                    return out
            elif self.proc.poll() is not None:
                break
        raise BenchError("testpmd did not answer (exit status %s): %s"
                         % (self.proc.poll(), out.strip()[-300:]))

    def cmd(self, line):
        os.write(self.fd, (line + "\n").encode())
        return self._read_prompt()

    def port_stats(self, port):
        out = self.cmd("show port stats %d" % port)
        stats = {k: int(v) for k, v in
                 re.findall(r"(RX-packets|RX-missed|RX-nombuf|TX-packets"
                            r"|TX-errors):\s+(\d+)", out)}
        if "TX-packets" not in stats:
            raise BenchError("testpmd: no port %d stats in: %s"
                             % (port, out.strip()[-300:]))
        return stats

    def command_line(self, cell):
        return [self.binary] + self.host.eal_args(
            "testpmd-" + cell.tag, [PCAP_VDEV % cell.pcap, NULL_VDEV]) + [
            "--", "-i", "--forward-mode=io", "--burst=%d" % BURST,
            "--nb-cores=1", "--rxq=1", "--txq=1", "--no-flush-rx",
            "--total-num-mbufs=%d" % MBUFS]

    def run(self, cell, opts):
        master, slave = pty.openpty()
        self.fd = master
        try:
            self.proc = self.host.spawn(self.command_line(cell),
                                        "testpmd-%s.log" % cell.tag,
                                        stdin=slave, stdout=slave,
                                        stderr=slave)
            os.close(slave)
            self._read_prompt(60)
            self.cmd("start")
            time.sleep(opts.warmup)
            samples = take_samples(
                opts, lambda: self.port_stats(1)["TX-packets"], self.proc.pid)
            # totals once stopped: nothing is in flight between the two
            self.cmd("stop")
            rx_stats = self.port_stats(0)
            tx_stats = self.port_stats(1)
        finally:
            if self.proc is not None and self.proc.poll() is None:
                try:
                    os.write(self.fd, b"quit\n")
                    self.proc.wait(10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            self.host.stop(self.proc, "testpmd")
            os.close(master)
            self.proc = None
            self.host.after_contender()
        rx, tx = rx_stats["RX-packets"], tx_stats["TX-packets"]
        res = summarize(samples)
        res["stats"] = {"rx": rx, "tx": tx,
                        "rx_nombuf": rx_stats.get("RX-nombuf", 0)}
        res["failures"] = []
        if rx <= 0 or tx <= 0:
            res["failures"].append("testpmd forwarded nothing (rx %d, tx %d)"
                                   % (rx, tx))
        elif tx < rx * 0.99:
            res["failures"].append("testpmd lost packets in io forwarding "
                                   "(rx %d, tx %d)" % (rx, tx))
        return {"testpmd": res}


# ---------------------------------------------------------------------------
class Ovs:
    name = "ovs"
    modes = ("ovs_nosmc", "ovs_smc")
    settings = ("emc-insert-inv-prob", "n-handler-threads",
                "n-revalidator-threads", "max-idle", "flow-limit",
                "pmd-rxq-assign", "userspace-tso-enable")

    def __init__(self, host, max_settle=90):
        self.host = host
        self.max_settle = max_settle
        self.env = None
        self.procs = []

    def _run(self, *args, check=True):
        p = subprocess.run(list(args), env=self.env, capture_output=True,
                           text=True, timeout=120)
        if check and p.returncode != 0:
            raise BenchError("Open vSwitch: `%s` failed: %s" % (
                " ".join(args[:3]), (p.stderr or p.stdout).strip()[-300:]))
        return p.stdout

    def appctl(self, *args):
        return self._run("ovs-appctl", "-t",
                         os.path.join(self.rundir, "ovs-vswitchd.ctl"), *args)

    def vsctl(self, *args):
        return self._run("ovs-vsctl", "--timeout=60", *args)

    def _wait_path(self, path, proc, what, timeout=60):
        end = time.monotonic() + timeout
        while not os.path.exists(path):
            if proc.poll() is not None or time.monotonic() > end:
                raise BenchError("%s did not start (see its log: "
                                 "--keep-logs DIR)" % what)
            time.sleep(0.1)

    def start(self, cell):
        d = os.path.join(self.host.tmp, "ovs-" + cell.tag)
        for sub in ("run", "db", "log", "etc"):
            os.makedirs(os.path.join(d, sub))
        self.rundir = os.path.join(d, "run")
        self.env = dict(os.environ, OVS_RUNDIR=self.rundir,
                        OVS_DBDIR=os.path.join(d, "db"),
                        OVS_LOGDIR=os.path.join(d, "log"),
                        OVS_SYSCONFDIR=os.path.join(d, "etc"))
        db = os.path.join(d, "db", "conf.db")
        sock = os.path.join(self.rundir, "db.sock")
        self._run("ovsdb-tool", "create", db, OVS_SCHEMA)
        # children, not --detach: they die with the benchmark
        self.procs.append(self.host.spawn(
            ["ovsdb-server", db, "--remote=punix:" + sock, "--no-chdir",
             "--pidfile=" + os.path.join(self.rundir, "ovsdb-server.pid")],
            "ovsdb-server-%s.log" % cell.tag, env=self.env))
        self._wait_path(sock, self.procs[-1], "ovsdb-server")
        self.vsctl("--no-wait", "init")
        conf = ["other_config:dpdk-init=true",
                "other_config:dpdk-lcore-mask=0x%x" % (1 << MAIN_CORE),
                "other_config:pmd-cpu-mask=0x%x" % (1 << FWD_CORE),
                "other_config:smc-enable=false",
                "other_config:dpdk-extra=" + self.host.ovs_dpdk_extra(
                    "ovs-" + cell.tag)]
        if self.host.huge_dir:
            conf += ["other_config:dpdk-hugepage-dir=" + self.host.huge_dir,
                     "other_config:dpdk-socket-mem=%d" % self.host.mem_mb]
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", *conf)
        # its own network namespace keeps the bridge's tap off the host;
        # the pidfile and control socket are named explicitly, or
        # ovs-appctl would look for ovs-vswitchd-dpdk.*
        self.procs.append(self.host.spawn(
            ["unshare", "--net", OVS_VSWITCHD, "unix:" + sock, "--no-chdir",
             "--pidfile=" + os.path.join(self.rundir, "ovs-vswitchd.pid"),
             "--unixctl=" + os.path.join(self.rundir, "ovs-vswitchd.ctl")],
            "ovs-vswitchd-%s.log" % cell.tag, env=self.env))
        self._wait_path(os.path.join(self.rundir, "ovs-vswitchd.ctl"),
                        self.procs[-1], "ovs-vswitchd")
        # secure: no NORMAL flow, and the rules go in before the traffic
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0",
                   "datapath_type=netdev", "fail_mode=secure")
        rules = os.path.join(d, "rules.flows")
        cell.write_rules(rules, 1, 2)
        self._run("ovs-ofctl", "del-flows", "br0")
        self._run("ovs-ofctl", "add-flows", "br0", rules)
        self.vsctl("add-port", "br0", "out", "--", "set", "interface", "out",
                   "type=dpdk", "options:dpdk-devargs=" + NULL_VDEV,
                   "ofport_request=2")
        self.vsctl("add-port", "br0", "in", "--", "set", "interface", "in",
                   "type=dpdk",
                   "options:dpdk-devargs=" + PCAP_VDEV % cell.pcap,
                   "ofport_request=1")
        for _ in range(100):
            if self.vsctl("get", "interface", "in", "ofport").strip() == "1" \
                    and self.vsctl("get", "interface", "out",
                                   "ofport").strip() == "2":
                return
            time.sleep(0.1)
        raise BenchError("Open vSwitch ports did not come up: %s %s" % (
            self.vsctl("get", "interface", "in", "error").strip(),
            self.vsctl("get", "interface", "out", "error").strip()))

    def tx_packets(self):
        """The sink's tx packets, live from the ethdev (the Interface
        table's statistics are only refreshed every 5 s)."""
        port = None
        for line in self.appctl("dpctl/show", "-s").splitlines():
            m = re.match(r"\s*port \d+: (\S+)", line)
            if m:
                port = m.group(1)
            elif port == "out" and "TX packets:" in line:
                return int(line.split("TX packets:")[1].split()[0])
        raise BenchError("Open vSwitch: no TX packets of port out")

    def pmd_stats(self):
        """The forwarding PMD thread's counters since the last clear."""
        stats, inside = {}, False
        for line in self.appctl("dpif-netdev/pmd-stats-show").splitlines():
            if line.startswith("pmd thread"):
                inside = "core_id %d" % FWD_CORE in line
            elif not line.startswith(" "):
                inside = False
            elif inside and ":" in line:
                k, v = line.strip().split(":", 1)
                try:
                    stats[k] = float(v.split()[0])
                except (ValueError, IndexError):
                    pass
        if "packets received" not in stats:
            raise BenchError("Open vSwitch: no PMD thread on core %d"
                             % FWD_CORE)
        return stats

    def settle(self):
        """Wait until every packet flow has its datapath flow: OVS builds
        them from the traffic through upcalls, and raises its datapath
        flow limit by steps, so 100,000 flows take tens of seconds."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < self.max_settle:
            self.appctl("dpif-netdev/pmd-stats-clear")
            time.sleep(1)
            s = self.pmd_stats()
            misses = s.get("miss with success upcall", 0) \
                + s.get("miss with failed upcall", 0)
            if s["packets received"] > 0 \
                    and misses <= SETTLED_MISS_SHARE * s["packets received"]:
                return time.monotonic() - t0, True
        return time.monotonic() - t0, False

    def rule_counters(self):
        out = {}
        for line in self._run("ovs-ofctl", "dump-flows", "br0").splitlines():
            m = re.search(r"cookie=(0x[0-9a-f]+),.*n_packets=(\d+)", line)
            if m:
                out[int(m.group(1), 16)] = int(m.group(2))
        return out

    def dp_flows(self):
        m = re.search(r"flows:\s*(\d+)", self.appctl("dpctl/show"))
        return int(m.group(1)) if m else -1

    def set_smc(self, on):
        self.vsctl("set", "Open_vSwitch", ".",
                   "other_config:smc-enable=%s" % ("true" if on else "false"))

    def stop(self):
        for p in reversed(self.procs):
            self.host.stop(p, "Open vSwitch")
        self.procs = []
        self.host.after_contender()

    def run(self, cell, opts):
        acc = {m: {} for m in self.modes}
        samples = {m: [] for m in self.modes}
        try:
            self.start(cell)
            settle_s, settled = self.settle()
            time.sleep(opts.warmup)
            pid = self.procs[-1].pid
            # the two modes alternate, the first one swapping every run, so
            # neither gets the quieter minute by construction; each switch
            # is followed by the warm-up again (the SMC fills from the
            # traffic: at 100,000 flows and a fraction of a core, a second
            # is not always enough)
            for r in range(opts.runs):
                order = self.modes if r % 2 == 0 else self.modes[::-1]
                for mode in order:
                    self.set_smc(mode == "ovs_smc")
                    time.sleep(max(opts.warmup, 0.5))
                    self.appctl("dpif-netdev/pmd-stats-clear")
                    samples[mode].append(sample(self.tx_packets, opts.seconds,
                                                pid))
                    for k, v in self.pmd_stats().items():
                        acc[mode][k] = acc[mode].get(k, 0) + v
            counters = self.rule_counters()
            dp_flows = self.dp_flows()
            settings = {k: self.vsctl("--if-exists", "get", "Open_vSwitch",
                                      ".", "other_config:" + k).strip()
                        or "default" for k in self.settings}
        finally:
            self.stop()
        rules, rule_fails = check_rules(counters, cell, "Open vSwitch")
        out = {}
        for mode in self.modes:
            res = summarize(samples[mode])
            res["classified"] = classification(acc[mode], opts.runs)
            res["settle_s"] = round(settle_s, 1)
            res["settled"] = settled
            res["datapath_flows"] = dp_flows
            res["rules"] = rules
            res["settings"] = settings
            res["failures"] = list(rule_fails) + smc_check(
                mode, res["classified"])
            out[mode] = res
        return out


def classification(acc, runs):
    """Where the PMD's packets were classified, in shares of them."""
    rx = acc.get("packets received", 0)
    share = (lambda k: round(100.0 * acc.get(k, 0) / rx, 2)) if rx else \
        (lambda k: 0.0)
    return {"packets": int(rx), "simple_match_pct": share("simple match hits"),
            "emc_pct": share("emc hits"), "smc_pct": share("smc hits"),
            "megaflow_pct": share("megaflow hits"),
            "upcalls": int(acc.get("miss with success upcall", 0)),
            "failed_upcalls": int(acc.get("miss with failed upcall", 0)),
            "subtable_lookups_per_hit": round(acc.get(
                "avg. subtable lookups per megaflow hit", 0) / runs, 2),
            "cycles_per_packet": round(acc.get(
                "avg processing cycles per packet", 0) / runs)}


def smc_check(mode, c):
    """The signature match cache took effect in the mode that enables it
    (packets past the EMC and the simple match met it), and only there."""
    if not c["packets"]:
        return ["Open vSwitch (%s): its PMD received no packet" % mode]
    rest = 100.0 - c["simple_match_pct"] - c["emc_pct"]
    if mode == "ovs_smc" and rest > 1 and c["smc_pct"] == 0:
        return ["Open vSwitch: smc-enable=true, yet none of the %.1f %% of "
                "packets past the EMC hit the SMC" % rest]
    if mode == "ovs_nosmc" and c["smc_pct"] > 0:
        return ["Open vSwitch: smc-enable=false, yet %.1f %% SMC hits"
                % c["smc_pct"]]
    return []


# ---------------------------------------------------------------------------
class Snicd:
    name = "snicd"
    modes = ("snicd",)

    def __init__(self, host, snicd, snicctl):
        self.host = host
        self.snicd = snicd
        self.snicctl = snicctl
        self.proc = None

    def ctl(self, *args):
        p = subprocess.run([self.snicctl, "-s", self.rundir, *args],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise BenchError("snicctl %s failed: %s" % (
                args[-1] if args[0] == "-j" else args[0],
                (p.stderr or p.stdout).strip()[-300:]))
        return p.stdout

    def stats(self):
        return json.loads(self.ctl("-j", "stats"))

    def port_names(self):
        """The ports snicd made of our vdevs (ethdev 0: net_pcap0, 1:
        net_null0, in --vdev order): their names, or OpenFlow numbers."""
        ports = {p.get("ethdev"): p
                 for p in json.loads(self.ctl("-j", "show")).get("ports", [])}
        names = []
        for e, vdev in ((0, "net_pcap0"), (1, "net_null0")):
            p = ports.get(e)
            if p is None:
                raise BenchError("snicd has no port for ethdev %d (%s)"
                                 % (e, vdev))
            names.append(str(p.get("name") or p["ofport"]))
        return names

    def start(self, cell):
        self.rundir = os.path.join(self.host.tmp, "snicd-" + cell.tag)
        os.makedirs(self.rundir)
        args = [self.snicd] + self.host.eal_args(
            "snicd-" + cell.tag, [PCAP_VDEV % cell.pcap, NULL_VDEV]) + [
            "--", "--no-offload", "--workers", "1", "--rundir", self.rundir,
            "--journal", "none", "--mbufs", str(MBUFS)]
        self.proc = self.host.spawn(args, "snicd-%s.log" % cell.tag)
        sock = os.path.join(self.rundir, "snicd.ctl")
        end = time.monotonic() + 60
        while not os.path.exists(sock):
            if self.proc.poll() is not None or time.monotonic() > end:
                raise BenchError("snicd did not come up (exit status %s; "
                                 "--keep-logs DIR keeps its log)"
                                 % self.proc.poll())
            time.sleep(0.1)
        in_name, out_name = self.port_names()
        rules = os.path.join(self.rundir, "rules.flows")
        cell.write_rules(rules, in_name, out_name)
        self.ctl("add-flows", rules)

    def rule_counters(self):
        dump = json.loads(self.ctl("-j", "dump-flows"))
        return {int(f["cookie"], 16): f["n_packets"] for f in dump["flows"]}

    def run(self, cell, opts):
        try:
            self.start(cell)
            time.sleep(opts.warmup)
            s0 = self.stats()
            samples = take_samples(opts, lambda: self.stats()["datapath"]["tx"],
                                   self.proc.pid)
            s1 = self.stats()
            counters = self.rule_counters()
        finally:
            self.host.stop(self.proc, "snicd")
            self.proc = None
            self.host.after_contender()
        d = {k: v - s0["datapath"].get(k, 0)
             for k, v in s1["datapath"].items() if isinstance(v, int)}
        res = summarize(samples)
        rx = d.get("rx", 0)
        res["stats"] = {"rx": rx, "tx": d.get("tx", 0),
                        "emc_hit_pct": round(100.0 * d.get("emc_hits", 0)
                                             / rx, 2) if rx else 0.0,
                        "misses": d.get("misses", 0),
                        "tx_drops": d.get("tx_drops", 0),
                        "nombuf_drops": d.get("nombuf_drops", 0),
                        "flows_sw": s1["flows"]["sw"],
                        "flows_hw": s1["flows"]["hw"]}
        res["rules"], res["failures"] = check_rules(counters, cell, "snicd")
        if rx <= 0:
            res["failures"].append("snicd received no packet")
        if d.get("misses", 0):
            res["failures"].append("snicd: %d packets missed every rule, "
                                   "though a rule matches each" % d["misses"])
        if s1["flows"]["hw"]:
            res["failures"].append("snicd offloaded %d flows with "
                                   "--no-offload" % s1["flows"]["hw"])
        return {"snicd": res}


def make(name, host, opts):
    if name == "testpmd":
        return Testpmd(host, opts.testpmd)
    if name == "ovs":
        return Ovs(host, opts.max_settle)
    if name == "snicd":
        return Snicd(host, opts.snicd, opts.snicctl)
    raise ValueError(name)


def log_result(cell, mode, res):
    extra = ""
    if "classified" in res:
        c = res["classified"]
        extra = ("; simple %.1f%%, EMC %.1f%%, SMC %.1f%%, megaflow %.1f%%, "
                 "upcalls %d, %d cycles/pkt" % (
                     c["simple_match_pct"], c["emc_pct"], c["smc_pct"],
                     c["megaflow_pct"], c["upcalls"], c["cycles_per_packet"]))
    if "rules" in res:
        extra += "; rules hit %d/%d (expected %d)" % (
            res["rules"]["hit"], res["rules"]["rules"],
            res["rules"]["expected_hit"])
    log("%-8s %6d flows %-9s %7.3f Mpps (%s; load %s; core share %s)%s" % (
        cell.rules_name, cell.flows, mode, res["mpps"],
        " ".join("%.3f" % s for s in res["samples"]),
        " ".join("%.1f" % x for x in res["load"]),
        " ".join("%.2f" % x for x in res["core_share"]), extra))
