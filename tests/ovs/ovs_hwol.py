#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch with hw-offload=true against net_emunic, unmodified.

    ovs_hwol.py l2|ip                      one scenario (a meson test each)
    ovs_hwol.py --raw-recv IFACE           helpers run inside a namespace
    ovs_hwol.py --raw-send IFACE DST_MAC ETHERTYPE PHASE COUNT
    ovs_hwol.py --udp-send DST_IP PORT PHASE COUNT

A private ovsdb-server and the Debian DPDK build of ovs-vswitchd, started
by hand in a private run directory (there is no systemd), drive emunic
through our PMD; emunic's VFs are kernel taps in network namespaces (the
VMs). The Open vSwitch set-up is the recipe of docs/pmd.md, verbatim.

  l2  ARP and a non-IP ethertype between vm0 and vm1 offloaded (the
      megaflows `offloaded:yes`, the card's vport counters show the frames
      forwarded with no miss to the representor), partial offload (MARK +
      RSS) of an action Open vSwitch cannot offload (push_mpls), and vm2,
      isolated by OpenFlow, reaching nobody while vm0's traffic goes on.
  ip  ping, ping -6 and a TCP transfer between vm0 and vm1, the IPv4/IPv6
      megaflows offloaded and the card forwarding them, partial offload
      of a TOS rewrite on UDP, vm2 isolated.

Environment: EMUNIC, PMD (our .so, LD_PRELOADed into ovs-vswitchd so it
loads from any directory), PMD_PRELOAD (sanitizer runtimes to load before
it), SNIC_FW, OVS_VSWITCHD (default: Debian's ovs-vswitchd-dpdk).
Exit status: 0 passed, 1 failed, 77 skipped (not root), 99 set-up error
(Open vSwitch missing: scripts/setup installs it). Everything started is
killed and removed however the run ends (process groups, PR_SET_PDEATHSIG,
finally). Standard library only.
"""
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from snic_child import die_with_parent  # noqa: E402
from snic_emunic import EMUNIC, Emunic  # noqa: E402

PMD = os.path.abspath(os.environ.get("PMD", "build/pmd/librte_net_emunic.so"))
SNIC_FW = os.environ.get("SNIC_FW", "build/cli/snic-fw/snic-fw")
OVS_VSWITCHD = os.environ.get(
    "OVS_VSWITCHD", "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk")
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
OVS_TOOLS = ["ovsdb-tool", "ovsdb-server", "ovs-vsctl", "ovs-ofctl",
             "ovs-appctl"]
NVMS = 3
VM_MAC = ["02:00:00:00:0a:%02x" % i for i in range(NVMS)]
VM_IP = ["10.11.0.%d" % (i + 1) for i in range(NVMS)]
VM_IP6 = ["fd00:11::%d" % (i + 1) for i in range(NVMS)]
ETH_P_ALL = 0x0003
TAG = b"SNOV"
DP = "netdev@ovs-netdev"     # naming it spares OVS a search of system ones
# OpenFlow port numbers: vm N's representor is N + 1, the PF 10.
FLOWS = """\
in_port=1,arp,actions=output:2
in_port=2,arp,actions=output:1
in_port=1,ip,actions=output:2
in_port=2,ip,actions=output:1
in_port=1,ipv6,actions=output:2
in_port=2,ipv6,actions=output:1
in_port=1,dl_type=0x88b5,actions=output:2
in_port=2,dl_type=0x88b5,actions=output:1
in_port=1,dl_type=0x88b6,actions=push_mpls:0x8847,set_field:99->mpls_label,output:2
priority=40000,in_port=3,actions=drop
"""
failures = []


def check(cond, what, detail=""):
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    if not cond:
        if detail:
            print("       " + str(detail)[-2500:].replace("\n", "\n       "),
                  flush=True)
        failures.append(what)
    return cond


# --------------------------------------------------------------------------
# Raw frames inside a namespace (this script, run by `ip netns exec`)
# --------------------------------------------------------------------------

def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def raw_send(iface, dst, ethertype, phase, count):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    with open("/sys/class/net/%s/address" % iface) as f:
        src = f.read().strip()
    hdr = mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ethertype)
    for seq in range(count):
        s.send(hdr + TAG + struct.pack("!BI", phase, seq) + bytes(45))
        if seq % 16 == 15:      # the tap's queue is 1000 frames deep
            time.sleep(0.002)
    s.close()


def udp_send(dst, port, phase, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for seq in range(count):
        s.sendto(TAG + struct.pack("!BI", phase, seq), (dst, port))
        if seq % 16 == 15:
            time.sleep(0.002)
    s.close()


def raw_recv(iface):
    """Count the frames @iface receives until a line on stdin: JSON
    {"SRC ETHERTYPE PHASE": n} (PHASE -1: no tag; ETHERTYPE followed by
    the label of an MPLS frame, the TOS of an IPv4 one)."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    print("ready", flush=True)
    counts = {}
    while True:
        r, _, _ = select.select([s, sys.stdin], [], [], 5)
        if sys.stdin in r:
            break
        if s not in r:
            continue
        data, addr = s.recvfrom(4096)
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 14:
            continue
        src = ":".join("%02x" % b for b in data[6:12])
        etype = "%04x" % struct.unpack("!H", data[12:14])[0]
        if etype == "8847" and len(data) >= 18:
            etype += "/%d" % (struct.unpack("!I", data[14:18])[0] >> 12)
        elif etype == "0800" and len(data) >= 16:
            etype += "/tos%d" % data[15]
        i = data.find(TAG)
        phase = data[i + 4] if 0 <= i and i + 9 <= len(data) else -1
        key = "%s %s %d" % (src, etype, phase)
        counts[key] = counts.get(key, 0) + 1
    print(json.dumps(counts), flush=True)


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

procs = []


def spawn(args, **kw):
    p = subprocess.Popen(args, start_new_session=True,
                         preexec_fn=die_with_parent(), **kw)
    procs.append(p)
    return p


def kill_all():
    for p in reversed(procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def run(args, env=None, timeout=30, ok=True):
    r = subprocess.run(args, env=env, capture_output=True, text=True,
                       timeout=timeout)
    if ok and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), r.returncode,
                                                (r.stderr or r.stdout)[-800:]))
    return r


class Setup:
    """emunic + namespaces + Open vSwitch; close() undoes all of it."""

    def __init__(self, tmp, ipv6):
        self.tmp = tmp
        tag = os.getpid()
        self.ns = ["snicovs%d-vm%d" % (tag, i) for i in range(NVMS)]
        self.taps = ["sov%d_%d" % (tag, i) for i in range(NVMS)]
        self.prefix = "snicovs%d" % tag
        self.made_ns = []
        self.sock = os.path.join(tmp, "nic")
        self.ovs = os.path.join(tmp, "ovs")
        self.ipv6 = ipv6

    # ---- emunic and the VMs ----
    def start_card(self):
        args = ["--num-vfs", str(NVMS), "--mode", "switchdev"]
        for i, t in enumerate(self.taps):
            args += ["--vf-tap", "%d=%s" % (i, t)]
        # its own session, as spawn() does: kill_all() kills groups
        self.emunic = Emunic(self.sock, *args, new_session=True,
                             log=os.path.join(self.tmp, "emunic.log"))
        procs.append(self.emunic.proc)
        for i in range(NVMS):
            ns, tap = self.ns[i], self.taps[i]
            run(["ip", "netns", "add", ns])
            self.made_ns.append(ns)
            run(["ip", "link", "set", tap, "netns", ns])
            nsip = ["ip", "-n", ns]
            run(nsip + ["link", "set", tap, "address", VM_MAC[i]])
            run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                 "net.ipv6.conf.%s.disable_ipv6=%d" % (tap, not self.ipv6)])
            run(nsip + ["link", "set", "lo", "up"])
            run(nsip + ["link", "set", tap, "up"])
            run(nsip + ["addr", "add", VM_IP[i] + "/24", "dev", tap])
            if self.ipv6:
                run(nsip + ["addr", "add", VM_IP6[i] + "/64", "dev", tap,
                            "nodad"])

    def nsx(self, i, args, **kw):
        return ["ip", "netns", "exec", self.ns[i]] + args

    # ---- Open vSwitch, the docs/pmd.md recipe ----
    def ovs_env(self):
        env = dict(os.environ)
        env.update(OVS_RUNDIR=self.ovs + "/run", OVS_DBDIR=self.ovs + "/db",
                   OVS_LOGDIR=self.ovs + "/log",
                   OVS_SYSCONFDIR=self.ovs + "/etc")
        return env

    def vsctl(self, *args, timeout=30):
        return run(["ovs-vsctl", "--timeout=%d" % timeout, *args],
                   env=self.ovs_env(), timeout=timeout + 5)

    def appctl(self, *args):
        return run(["ovs-appctl", "-t", self.ovs + "/run/ovs-vswitchd.ctl",
                    *args], env=self.ovs_env()).stdout

    def start_ovs(self):
        for d in ("run", "db", "log", "etc"):
            os.makedirs(os.path.join(self.ovs, d))
        env = self.ovs_env()
        db = self.ovs + "/db/conf.db"
        run(["ovsdb-tool", "create", db, OVS_SCHEMA], env=env)
        self.ovsdb = spawn(
            ["ovsdb-server", db, "--remote=punix:%s/run/db.sock" % self.ovs,
             "--unixctl=%s/run/ovsdb-server.ctl" % self.ovs, "--no-chdir",
             "--log-file=%s/log/ovsdb-server.log" % self.ovs],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(self.ovs + "/run/db.sock"):
            if time.time() > deadline or self.ovsdb.poll() is not None:
                raise RuntimeError("ovsdb-server did not start")
            time.sleep(0.05)
        self.vsctl("--no-wait", "init")
        # docs/pmd.md, "Open vSwitch": the card probed at EAL init with
        # its representors, then each port matched by plain devargs
        extra = ("--no-pci --no-huge --legacy-mem -m 512 --file-prefix=%s "
                 "--no-telemetry --vdev=net_emunic0,socket=%s,"
                 "representor=vf[0-%d]" % (self.prefix, self.sock, NVMS - 1))
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".",
                   "other_config:dpdk-init=true",
                   "other_config:hw-offload=true",
                   "other_config:dpdk-lcore-mask=0x1",
                   "other_config:pmd-cpu-mask=0x2",
                   "other_config:pmd-maxsleep=1000",
                   "other_config:dpdk-extra=" + extra)
        env = dict(env)
        env["LD_PRELOAD"] = ":".join(
            [p for p in os.environ.get("PMD_PRELOAD", "").split(":") if p] +
            [PMD])
        # a sanitized PMD: its reports abort; OVS's own exit-time
        # allocations are not ours to judge
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1"
        self.vswitchd_err = open(self.ovs + "/log/stderr.log", "w+")
        # its own network namespace keeps the bridge's tap off the host
        self.vswitchd = spawn(
            ["unshare", "--net", OVS_VSWITCHD,
             "unix:%s/run/db.sock" % self.ovs,
             "--unixctl=%s/run/ovs-vswitchd.ctl" % self.ovs, "--no-chdir",
             "--log-file=%s/log/ovs-vswitchd.log" % self.ovs],
            env=env, stdout=self.vswitchd_err, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(self.ovs + "/run/ovs-vswitchd.ctl"):
            if time.time() > deadline or self.vswitchd.poll() is not None:
                raise RuntimeError("ovs-vswitchd did not start: " +
                                   self.vswitchd_log()[-2000:])
            time.sleep(0.1)
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0",
                   "datapath_type=netdev", "fail_mode=secure")
        ports = [("pf", "net_emunic0", 10)] + [
            ("rep%d" % i, "net_emunic0,representor=vf%d" % i, i + 1)
            for i in range(NVMS)]
        for name, devargs, ofport in ports:
            # rep0 polls two rx queues: OVS's partial offload (MARK + RSS
            # over queues 0 and 1) then goes through the card's RSS
            rxq = ["options:n_rxq=2"] if name == "rep0" else []
            r = run(["ovs-vsctl", "--timeout=30", "add-port", "br0", name,
                     "--", "set", "interface", name, "type=dpdk",
                     "options:dpdk-devargs=" + devargs, *rxq,
                     "ofport_request=%d" % ofport], env=self.ovs_env(),
                    timeout=35, ok=False)
            check(r.returncode == 0, "ovs-vsctl add-port %s "
                  "dpdk-devargs=%s" % (name, devargs), r.stderr)
        flows = os.path.join(self.tmp, "flows.txt")
        with open(flows, "w") as f:
            f.write(FLOWS)
        run(["ovs-ofctl", "-O", "OpenFlow13", "add-flows", "br0", flows],
            env=self.ovs_env())

    def vswitchd_log(self):
        try:
            with open(self.ovs + "/log/ovs-vswitchd.log") as f:
                log = f.read()
        except OSError:
            log = ""
        self.vswitchd_err.seek(0)
        return log + self.vswitchd_err.read()

    def close(self):
        kill_all()
        for ns in self.made_ns:
            for pid in run(["ip", "netns", "pids", ns], ok=False).stdout \
                    .split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", ns], ok=False)
        for t in self.taps:      # emunic removes them; in case it could not
            run(["ip", "link", "del", t], ok=False)
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)

    # ---- observations ----
    def megaflows(self, *filters):
        """dpctl/dump-flows -m [type=...] as (in_port, eth_type, line)
        triples."""
        out = []
        for line in self.appctl("dpctl/dump-flows", "-m", DP,
                                *filters).splitlines():
            m = re.search(r"in_port\((\w+)\).*?eth_type\((0x[0-9a-f]+)\)",
                          line)
            if m:
                out.append((m.group(1), m.group(2), line))
        return out

    def wait_megaflow(self, in_port, eth_type, state, timeout=5.0):
        """The megaflow line once dpctl/dump-flows type=offloaded (state
        yes) or type=partially-offloaded (partial) lists it as
        offloaded:@state, else None."""
        kind = "offloaded" if state == "yes" else "partially-offloaded"
        deadline = time.time() + timeout
        while True:
            for p, t, line in self.megaflows("type=" + kind):
                if p == in_port and t == eth_type and \
                        "offloaded:%s" % state in line:
                    return line
            if time.time() > deadline:
                return None
            time.sleep(0.1)

    def megaflow_dump(self):
        return "\n".join(line for _, _, line in self.megaflows())

    def vports(self):
        r = run([SNIC_FW, "--json", "--socket", self.sock, "vports"])
        return {v["name"]: v for v in json.loads(r.stdout)["vports"]}

    def card_rules(self):
        """The card's rules as `snic-fw rules --json` lists them."""
        r = run([SNIC_FW, "--json", "--socket", self.sock, "rules"])
        return json.loads(r.stdout)["rules"]

    def settle(self, before, want, timeout=5.0):
        """Poll the vport counters until every (vport, field): n of @want
        grew by at least n since @before (frames still in flight on a
        loaded machine), then a little longer for anything that should
        not arrive; the last snapshot."""
        deadline = time.time() + timeout
        while True:
            after = self.vports()
            if all(delta(before, after, v, f) >= n
                   for (v, f), n in want.items()) or time.time() > deadline:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        return self.vports()

    def phwol_hits(self):
        out = self.appctl("dpif-netdev/pmd-stats-show")
        return sum(int(x) for x in re.findall(r"phwol hits: (\d+)", out))

    # ---- traffic ----
    def receiver(self, i):
        p = spawn(self.nsx(i, [sys.executable, os.path.abspath(__file__),
                               "--raw-recv", self.taps[i]]),
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("the receiver in vm%d did not start" % i)
        return p

    @staticmethod
    def received(p):
        p.stdin.write("stop\n")
        p.stdin.flush()
        out = p.stdout.readline()
        p.wait(timeout=10)
        return json.loads(out)

    def send(self, i, dst_vm, ethertype, phase, count):
        run(self.nsx(i, [sys.executable, os.path.abspath(__file__),
                         "--raw-send", self.taps[i], VM_MAC[dst_vm],
                         "0x%04x" % ethertype, str(phase), str(count)]))

    def pin_neighbours(self, a, b):
        """vmA and vmB know each other for good: no ARP or neighbour
        probe in the middle of a counted window."""
        for x, y in ((a, b), (b, a)):
            run(self.nsx(x, ["ip", "neigh", "replace", VM_IP[y], "lladdr",
                             VM_MAC[y], "dev", self.taps[x], "nud",
                             "permanent"]))
            if self.ipv6:
                run(self.nsx(x, ["ip", "-6", "neigh", "replace", VM_IP6[y],
                                 "lladdr", VM_MAC[y], "dev", self.taps[x],
                                 "nud", "permanent"]))

    def send_udp(self, i, dst_vm, port, phase, count):
        run(self.nsx(i, [sys.executable, os.path.abspath(__file__),
                         "--udp-send", VM_IP[dst_vm], str(port), str(phase),
                         str(count)]))

    def ping(self, i, dst, count, interval="0.05", v6=False):
        args = ["ping"] + (["-6"] if v6 else []) + [
            "-c", str(count), "-i", interval, "-W", "1", "-q", dst]
        return run(self.nsx(i, args), ok=False, timeout=60)


def lost(r):
    m = re.search(r"(\d+)% packet loss", r.stdout)
    return int(m.group(1)) if m else 100


def count(got, src_vm, etype, phase):
    return got.get("%s %s %d" % (VM_MAC[src_vm], etype, phase), 0)


def from_vm(got, src_vm):
    return sum(n for k, n in got.items() if k.startswith(VM_MAC[src_vm]))


def delta(before, after, vport, field):
    return after[vport][field] - before[vport][field]


def rule_in(rules, in_vport, eth_type, *actions):
    """A rule matching frames from @in_vport of @eth_type whose action
    list holds each of @actions (a prefix, e.g. "fwd_vport(vf1)")."""
    for r in rules:
        m = r["match"]
        if m.get("in_vport") == in_vport and m.get("eth_type") == eth_type \
                and all(any(a.startswith(x) for a in r["actions"])
                        for x in actions):
            return True
    return False


def rules_text(rules):
    return "\n".join("%s %s" % (json.dumps(r["match"]), r["actions"])
                     for r in rules)


def check_recipe(s):
    """Each OVS interface sits on the ethdev the recipe means: the PF on
    port 0 (no VF MAC: not a representor), rep N on its representor."""
    for name, port_no, vf in [("pf", 0, None)] + [
            ("rep%d" % i, i + 1, i) for i in range(NVMS)]:
        st = s.vsctl("get", "interface", name, "status").stdout
        err = s.vsctl("--if-exists", "get", "interface", name,
                      "error").stdout.strip()
        good = 'port_no="%d"' % port_no in st and \
            ("dpdk-vf-mac" in st) == (vf is not None) and \
            "net_emunic" in st and err in ("", "[]")
        check(good, "%s is ethdev port %d (%s)" % (
            name, port_no, "the PF" if vf is None else
            "vf%d's representor" % vf), st + err)


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def scenario_l2(s):
    # ARP: the first ping resolves vm1's address through the arp flows
    r = s.ping(0, VM_IP[1], 3)
    check(lost(r) == 0, "ping vm0 -> vm1 (its ARP through OVS)", r.stdout)
    for port in ("rep0", "rep1"):
        check(s.wait_megaflow(port, "0x0806", "yes") is not None,
              "ARP megaflow from %s offloaded:yes" % port,
              s.megaflow_dump())
    s.pin_neighbours(0, 1)

    # a non-IP ethertype: the first frame makes the megaflow, then the
    # card forwards the rest without OVS
    rx = s.receiver(1)
    s.send(0, 1, 0x88b5, 1, 1)
    line = s.wait_megaflow("rep0", "0x88b5", "yes")
    check(line is not None and "dp:dpdk" in line,
          "0x88b5 megaflow from rep0 offloaded:yes (dp:dpdk)",
          s.megaflow_dump())
    before = s.vports()
    s.send(0, 1, 0x88b5, 2, 200)
    after = s.settle(before, {("vf1", "rx_packets"): 200})
    got = s.received(rx)
    check(count(got, 0, "88b5", 1) == 1 and count(got, 0, "88b5", 2) == 200,
          "vm1 received the 0x88b5 frames: 1 + 200", got)
    check(delta(before, after, "vf0", "tx_packets") == 200 and
          delta(before, after, "vf1", "rx_packets") == 200 and
          delta(before, after, "vf0", "rep_rx_packets") == 0,
          "the card forwarded the 200 frames vf0 -> vf1, none missed to "
          "rep0 (snic-fw vports)", (before, after))
    line = s.wait_megaflow("rep0", "0x88b5", "yes") or ""
    m = re.search(r"packets:(\d+)", line)
    check(m is not None and int(m.group(1)) >= 200,
          "OVS reads the card's counter: the megaflow has >= 200 packets",
          line)

    # partial offload: OVS cannot offload push_mpls, so the card marks
    # (MARK + RSS over rep0's two queues) and OVS finishes in software
    rx = s.receiver(1)
    s.send(0, 1, 0x88b6, 3, 1)
    line = s.wait_megaflow("rep0", "0x88b6", "partial")
    check(line is not None and "push_mpls" in line,
          "0x88b6 megaflow (push_mpls) offloaded:partial", s.megaflow_dump())
    full = s.appctl("dpctl/dump-flows", DP, "type=offloaded")
    check("eth_type(0x88b6)" not in full and "eth_type(0x88b5)" in full,
          "not listed by dpctl/dump-flows type=offloaded (0x88b5 is)", full)
    hits, before = s.phwol_hits(), s.vports()
    s.send(0, 1, 0x88b6, 4, 50)
    after = s.settle(before, {("vf1", "rx_packets"): 50})
    hits = s.phwol_hits() - hits
    got = s.received(rx)
    check(hits == 50, "50 partial-offload hits in OVS (phwol hits %d)" % hits)
    check(delta(before, after, "vf0", "rep_rx_packets") == 50,
          "the 50 frames reached OVS through rep0 (the card's MARK rule)",
          (before, after))
    check(count(got, 0, "8847/99", 4) == 50,
          "vm1 received them with the MPLS label 99 pushed in software", got)

    # isolation: OpenFlow drops everything from vm2; the card must too,
    # whichever of the drop rule (on rep2) and vm0's rule (on rep0) it
    # holds, and vm0's frames must not hit vm2's drop
    rx = s.receiver(1)
    s.send(2, 1, 0x88b5, 5, 1)
    line = s.wait_megaflow("rep2", "0x88b5", "yes")
    check(line is not None and "actions:drop" in line,
          "vm2's 0x88b5 drop megaflow on rep2 offloaded:yes",
          s.megaflow_dump())
    before = s.vports()
    s.send(0, 1, 0x88b5, 6, 100)
    s.send(2, 1, 0x88b5, 7, 100)
    after = s.settle(before, {("vf1", "rx_packets"): 100,
                              ("vf2", "tx_packets"): 100})
    got = s.received(rx)
    check(count(got, 0, "88b5", 6) == 100,
          "vm0's 100 frames still reach vm1 (vm2's offloaded drop takes "
          "only vm2's)", got)
    check(delta(before, after, "vf2", "tx_packets") == 100 and
          from_vm(got, 2) == 0,
          "vm2 sent 100 frames into the card, vm1 received none of vm2's",
          (got, before["vf2"], after["vf2"]))

    # what Open vSwitch installed, read from the card: each rule confined
    # to the vport of the representor it was created on
    rules = s.card_rules()
    for what, want in (
            ("vf0 0x88b5 -> vf1, counted",
             ("vf0", "0x88b5", "count", "fwd_vport(vf1)")),
            ("vf0 0x88b6 marked and spread over rep0's two queues by the "
             "card's RSS (partial)", ("vf0", "0x88b6", "mark", "rss(")),
            ("vf2 0x88b5 dropped, counted",
             ("vf2", "0x88b5", "count", "drop"))):
        check(rule_in(rules, *want), "snic-fw rules lists " + what,
              rules_text(rules))


def scenario_ip(s):
    r = s.ping(0, VM_IP[1], 5)
    check(lost(r) == 0, "ping vm0 -> vm1", r.stdout)
    r = s.ping(0, VM_IP6[1], 5, v6=True)
    check(lost(r) == 0, "ping -6 vm0 -> vm1", r.stdout)
    s.pin_neighbours(0, 1)
    for port in ("rep0", "rep1"):
        for etype, name in (("0x0800", "IPv4"), ("0x86dd", "IPv6")):
            line = s.wait_megaflow(port, etype, "yes", timeout=3)
            check(line is not None and "dp:dpdk" in line,
                  "%s megaflow from %s offloaded:yes (dp:dpdk)"
                  % (name, port), s.megaflow_dump())

    before = s.vports()
    r4 = s.ping(0, VM_IP[1], 100, interval="0.005")
    r6 = s.ping(0, VM_IP6[1], 100, interval="0.005", v6=True)
    after = s.vports()
    check(lost(r4) == 0 and lost(r6) == 0,
          "100 pings and 100 pings -6, none lost", r4.stdout + r6.stdout)
    check(delta(before, after, "vf1", "rx_packets") >= 200 and
          delta(before, after, "vf0", "rep_rx_packets") == 0 and
          delta(before, after, "vf1", "rep_rx_packets") == 0,
          "the card forwarded them both ways, none missed to rep0/rep1 "
          "(snic-fw vports)", (before, after))

    # TCP: 2 MB vm0 -> vm1 through nc, compared byte for byte
    data = os.urandom(2 << 20)
    path = os.path.join(s.tmp, "tcp.in")
    with open(path, "wb") as f:
        f.write(data)
    out = os.path.join(s.tmp, "tcp.out")
    with open(out, "wb") as f:
        srv = spawn(s.nsx(1, ["nc", "-l", "-N", VM_IP[1], "5201"]),
                    stdout=f, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        before = s.vports()
        with open(path, "rb") as inp:
            cli = subprocess.run(s.nsx(0, ["nc", "-N", "-w", "5", VM_IP[1],
                                           "5201"]), stdin=inp,
                                 capture_output=True, timeout=60)
        srv.wait(timeout=30)
        after = s.vports()
    with open(out, "rb") as f:
        got = f.read()
    check(cli.returncode == 0 and
          hashlib.sha256(got).digest() == hashlib.sha256(data).digest(),
          "TCP: 2 MiB vm0 -> vm1 arrived intact (%d bytes)" % len(got),
          cli.stderr)
    seg = delta(before, after, "vf1", "rx_packets")
    miss = delta(before, after, "vf0", "rep_rx_packets") + \
        delta(before, after, "vf1", "rep_rx_packets")
    check(seg >= 100 and miss == 0, "the card carried the TCP transfer "
          "(%d frames to vf1, %d missed to the representors)" % (seg, miss))

    rules = s.card_rules()
    for vf, peer in (("vf0", "vf1"), ("vf1", "vf0")):
        for etype in ("0x0800", "0x86dd"):
            check(rule_in(rules, vf, etype, "count", "fwd_vport(%s)" % peer),
                  "snic-fw rules lists %s %s -> %s, counted"
                  % (vf, etype, peer), rules_text(rules))

    # partial offload of an IPv4 flow: a rule added now rewrites the TOS
    # of UDP to port 7777, which Open vSwitch cannot offload (it offloads
    # IPv4 src, dst and ttl rewrites only): MARK + RSS, OVS finishes
    run(["ovs-ofctl", "add-flow", "br0", "priority=40000,in_port=1,udp,"
         "tp_dst=7777,actions=mod_nw_tos:32,output:2"], env=s.ovs_env())
    rx = s.receiver(1)
    s.send_udp(0, 1, 7777, 8, 1)
    line = s.wait_megaflow("rep0", "0x0800", "partial", timeout=3)
    # dpctl prints the rewrite in hex: set(ipv4(tos=0x20/0xfc))
    check(line is not None and
          re.search(r"tos=(32|0x20)\b", line) is not None,
          "UDP megaflow with the TOS rewrite offloaded:partial",
          s.megaflow_dump())
    hits, before = s.phwol_hits(), s.vports()
    s.send_udp(0, 1, 7777, 9, 50)
    s.settle(before, {("vf1", "rx_packets"): 50})
    hits = s.phwol_hits() - hits
    got = s.received(rx)
    check(count(got, 0, "0800/tos32", 9) == 50,
          "vm1 received the 50 datagrams with TOS 32", got)
    check(hits == 50, "50 partial-offload hits in OVS (phwol hits %d)"
          % hits)

    # isolation: vm2 knows vm1's address (OpenFlow drops its ARP) and
    # pings it; vm1 must see nothing of vm2
    run(s.nsx(2, ["ip", "neigh", "replace", VM_IP[1], "lladdr", VM_MAC[1],
                  "dev", s.taps[2], "nud", "permanent"]))
    run(s.nsx(2, ["ip", "-6", "neigh", "replace", VM_IP6[1], "lladdr",
                  VM_MAC[1], "dev", s.taps[2], "nud", "permanent"]))
    rx = s.receiver(1)
    s.ping(2, VM_IP[1], 2, interval="0.01")
    s.ping(2, VM_IP6[1], 2, interval="0.01", v6=True)
    for etype, name in (("0x0800", "IPv4"), ("0x86dd", "IPv6")):
        line = s.wait_megaflow("rep2", etype, "yes")
        check(line is not None and "actions:drop" in line,
              "vm2's %s drop megaflow on rep2 offloaded:yes" % name,
              s.megaflow_dump())
    before = s.vports()
    r4 = s.ping(2, VM_IP[1], 20, interval="0.01")
    r6 = s.ping(2, VM_IP6[1], 20, interval="0.01", v6=True)
    r = s.ping(0, VM_IP[1], 20, interval="0.01")
    after = s.settle(before, {("vf2", "tx_packets"): 40})
    got = s.received(rx)
    check(from_vm(got, 2) == 0 and lost(r4) == 100 and lost(r6) == 100 and
          delta(before, after, "vf2", "tx_packets") >= 40 and
          delta(before, after, "vf2", "rep_rx_packets") == 0,
          "vm2 (in_port=3 actions=drop) reaches vm1 with nothing, its "
          "echo requests dropped by the card", (got, before["vf2"],
                                                 after["vf2"]))
    check(lost(r) == 0, "vm0 -> vm1 still answered next to vm2's drop",
          r.stdout)


SCENARIOS = {"l2": (scenario_l2, False), "ip": (scenario_ip, True)}


def sweep_stale():
    """What a run killed by SIGKILL left (its processes died with it, by
    PR_SET_PDEATHSIG): empty namespaces, the DPDK run directory and its
    temporary directory."""
    for name in run(["ip", "netns", "list"], ok=False).stdout.split():
        m = re.fullmatch(r"snicovs(\d+)-vm\d+", name)
        if m and not os.path.exists("/proc/" + m.group(1)):
            run(["ip", "netns", "del", name], ok=False)
    for name in os.listdir("/var/run/dpdk") \
            if os.path.isdir("/var/run/dpdk") else []:
        m = re.fullmatch(r"snicovs(\d+)", name)
        if m and not os.path.exists("/proc/" + m.group(1)):
            shutil.rmtree("/var/run/dpdk/" + name, ignore_errors=True)
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        m = re.fullmatch(r"snic-ovs\.(\d+)\..*", name)
        if m and not os.path.exists("/proc/" + m.group(1)):
            shutil.rmtree(os.path.join(tmp, name), ignore_errors=True)


def missing_tools():
    """What scripts/setup installs, then what the build makes."""
    missing = [t for t in OVS_TOOLS + ["ip", "unshare", "ping", "nc"]
               if shutil.which(t) is None]
    missing += [f for f in (OVS_VSWITCHD, OVS_SCHEMA) if not
                os.path.exists(f)]
    built = [f for f in (EMUNIC, PMD, SNIC_FW) if not os.path.exists(f)]
    return missing, built


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--raw-recv":
        raw_recv(sys.argv[2])
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "--udp-send":
        udp_send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                 int(sys.argv[5]))
        return 0
    if len(sys.argv) == 7 and sys.argv[1] == "--raw-send":
        raw_send(sys.argv[2], sys.argv[3], int(sys.argv[4], 0),
                 int(sys.argv[5]), int(sys.argv[6]))
        return 0
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        print(__doc__)
        return 2
    if os.getuid() != 0:
        print("skipped: needs root (network namespaces, taps)")
        return 77
    missing, built = missing_tools()
    if missing:
        print("set-up error: missing %s (scripts/setup installs them: "
              "openvswitch-switch-dpdk, iproute2, iputils-ping, "
              "netcat-openbsd)" % ", ".join(missing))
        return 99
    if built:
        print("set-up error: not built: %s (EMUNIC, PMD, SNIC_FW; meson "
              "test sets them)" % ", ".join(built))
        return 99
    # meson's timeout sends SIGTERM: unwind through the finally below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sweep_stale()
    name = sys.argv[1]
    fn, ipv6 = SCENARIOS[name]
    tmp = tempfile.mkdtemp(prefix="snic-ovs.%d." % os.getpid())
    os.chmod(tmp, 0o755)
    s = Setup(tmp, ipv6)
    t0 = time.time()
    print("[%s]" % name, flush=True)
    try:
        s.start_card()
        s.start_ovs()
        check_recipe(s)
        fn(s)
        log = s.vswitchd_log()
        check("AddressSanitizer" not in log and "runtime error" not in log,
              "no sanitizer report from the PMD in ovs-vswitchd", log)
        check(s.vswitchd.poll() is None, "ovs-vswitchd still running")
    except Exception as e:     # a crash of the harness is a failure too
        import traceback
        traceback.print_exc()
        check(False, "%s raised %r" % (name, e))
    finally:
        if failures:
            log = s.vswitchd_log() if hasattr(s, "vswitchd_err") else ""
            errs = [ln for ln in log.splitlines()
                    if re.search(r"\|(WARN|ERR|EMER)\|", ln)]
            print("--- ovs-vswitchd warnings and errors ---\n" +
                  "\n".join(errs[-40:]))
        s.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("  %.1f s" % (time.time() - t0))
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
