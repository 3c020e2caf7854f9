#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Real traffic through the Neutron flow set (neutron_flows.py,
docs/neutron.md): one host as neutron-openvswitch-agent sets it up
(br-int with the OVS firewall, br-tun, patched together inside snicd)
and a remote host behind a VXLAN tunnel.

    neutron_it.py

- this host: emunic (4 VFs, the uplink as a tap), VMs vf0 and vf1 on
  network A (VNI 0x64, local VLAN 1) and vf2 on network B (VNI 0x65,
  VLAN 2), each VF's host side a tap in a namespace; snicd with
  neutron_flows.snicd_options() and the generated flows (add-flows);
- the remote host: a namespace on the uplink tap (the remote VTEP) with a
  kernel VXLAN device per VNI, each moved into a namespace of its own (a
  remote VM per network, both with the same address: only the VNI keeps
  them apart).

Checks, each of which fails if the flows were wrong: VM to VM on net A
(br-int: firewall, NORMAL), VM to the remote VM over VNI 0x64 and the
flow br-tun learned for it, net B over VNI 0x65 only and no leak to net
A, the security groups (SSH and ICMP from anywhere, any port from a
member of the group, nothing else; replies pass), a VM's forged source
MAC or IP dropped by the egress table. Then `snicctl dump-flows` with each
flow's place (hw / partial / sw and why) and counters, printed and
checked. Needs root and iproute2 (exit 77 otherwise). Every process,
namespace and tap is removed at the end; names carry the pid.
"""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "snicd"))
import neutron_flows as nf  # noqa: E402
from snicd_harness import (NVFS, Snicd, check, failures,  # noqa: E402
                           kill_all, procs, sanitizer_reports)
import snic_emunic  # noqa: E402

PKT = os.path.join(HERE, "neutron_pkt.py")
SHADOW = re.compile(r"shadowed by flow (\d+) ")
MTU = 1450      # Neutron's MTU on a VXLAN network over a 1500-byte underlay


def sh(*cmd, check_rc=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True,
                       timeout=60)
    if check_rc and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


class Lab:
    """The namespaces and what runs in them; undo() removes them all."""

    def __init__(self, tmp):
        tag = "%d" % (os.getpid() % 100000)
        self.tmp = tmp
        self.vm_ns = ["snqv%s_%d" % (tag, i) for i in range(len(nf.VMS))]
        self.taps = ["snq%s_%d" % (tag, i) for i in range(len(nf.VMS))]
        self.uplink = "snqu%s" % tag
        self.rhost = "snqh%s" % tag
        self.remote_ns = {nf.NET_A: "snqa%s" % tag, nf.NET_B: "snqb%s" % tag}
        self.made = []
        self.bg = []

    def netns(self, name):
        sh("ip", "netns", "add", name)
        self.made.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")

    def vms(self):
        for vm, ns, tap in zip(nf.VMS, self.vm_ns, self.taps):
            self.netns(ns)
            sh("ip", "link", "set", tap, "netns", ns)
            sh("ip", "-n", ns, "link", "set", tap, "address", vm.mac,
               "mtu", str(MTU))
            # IPv4 only: the ports have no IPv6 address (and no noise)
            sh("ip", "netns", "exec", ns, "sysctl", "-qw",
               "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "-n", ns, "addr", "add", vm.ip + "/24", "dev", tap)
            sh("ip", "-n", ns, "link", "set", tap, "up")

    def remote(self):
        h = self.rhost
        self.netns(h)
        sh("ip", "link", "set", self.uplink, "netns", h)
        sh("ip", "-n", h, "link", "set", self.uplink, "address",
           nf.REMOTE_VTEP_MAC)
        sh("ip", "-n", h, "addr", "add", nf.REMOTE_VTEP + "/24", "dev",
           self.uplink)
        sh("ip", "-n", h, "link", "set", self.uplink, "up")
        # snicd's VTEP answers no ARP
        sh("ip", "-n", h, "neigh", "add", nf.LOCAL_VTEP, "lladdr",
           nf.LOCAL_VTEP_MAC, "dev", self.uplink, "nud", "permanent")
        for net, ns in self.remote_ns.items():
            mac, ip = nf.REMOTE_VMS[net]
            dev = "vx%d" % net.vni
            self.netns(ns)
            sh("ip", "netns", "exec", ns, "sysctl", "-qw",
               "net.ipv6.conf.all.disable_ipv6=1")
            # made in the remote host (its UDP socket stays there), then
            # moved: the remote VM sees only its own network
            sh("ip", "-n", h, "link", "add", dev, "type", "vxlan", "id",
               str(net.vni), "local", nf.REMOTE_VTEP, "remote",
               nf.LOCAL_VTEP, "dstport", "4789", "dev", self.uplink)
            sh("ip", "-n", h, "link", "set", dev, "netns", ns)
            sh("ip", "-n", ns, "link", "set", dev, "address", mac, "mtu",
               str(MTU))
            sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")

    def run(self, ns, *cmd, timeout=30):
        return subprocess.run(["ip", "netns", "exec", ns, *cmd],
                              capture_output=True, text=True,
                              timeout=timeout)

    def start(self, ns, *cmd):
        """A helper in @ns, started once it printed 'ready'."""
        p = subprocess.Popen(["ip", "netns", "exec", ns, *cmd],
                             stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
        self.bg.append(p)
        procs.append(p)
        line = p.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError("%s did not start: %r" % (cmd, line))
        return p

    def undo(self):
        for p in self.bg:
            if p.poll() is None:
                p.kill()
            p.wait()
        for ns in self.made:
            sh("ip", "netns", "del", ns, check_rc=False)
        sh("ip", "link", "del", self.uplink, check_rc=False)


def ping(lab, ns, ip, count=4):
    return lab.run(ns, "ping", "-c", str(count), "-i", "0.2", "-W", "2", ip)


def settle(lab, ns, ip):
    """The first answer (ARP, the tunnel learned): up to 8 s."""
    end = time.time() + 8
    while time.time() < end:
        if ping(lab, ns, ip, 1).returncode == 0:
            return True
    return False


def pings_ok(lab, ns, ip, what):
    r = ping(lab, ns, ip) if settle(lab, ns, ip) else None
    return check(r is not None and r.returncode == 0 and
                 " 0% packet loss" in r.stdout, what,
                 r.stdout + r.stderr if r else "no first answer in 8 s")


def neigh_macs(lab, ns):
    r = lab.run(ns, "ip", "neigh", "show")
    return r.stdout.lower()


def flow_where(fl, table, priority, *words):
    """The dump-flows entries of @table/@priority whose text has every
    word of @words."""
    return [f for f in fl if f["table"] == table and
            f["priority"] == priority and all(w in f["text"] for w in words)]


def traffic(lab, d):
    vm0, vm1, vm2 = nf.VMS
    ns0, ns1, ns2 = lab.vm_ns
    ra_mac, ra_ip = nf.REMOTE_VMS[nf.NET_A]
    rb_mac, rb_ip = nf.REMOTE_VMS[nf.NET_B]
    nsa, nsb = lab.remote_ns[nf.NET_A], lab.remote_ns[nf.NET_B]

    pings_ok(lab, ns0, vm1.ip, "net A, this host: vf0 pings vf1 (br-int: "
             "firewall both ways, NORMAL)")
    pings_ok(lab, ns0, ra_ip, "net A over VXLAN: vf0 pings the remote VM "
             "(VNI 0x64)")
    learned = [f for f in d.flows() if f["table"] == nf.UCAST_TO_TUN and
               f["priority"] == 1 and ra_mac in f["text"]]
    check(len(learned) == 1 and "0x64" in learned[0]["text"] and
          "vxlan0" in learned[0]["text"],
          "br-tun learned the remote VM's MAC: a table-20 flow to vxlan0 "
          "with VNI 0x64", [f["text"] for f in d.flows()
                            if f["table"] == nf.UCAST_TO_TUN])
    pings_ok(lab, ns2, rb_ip, "net B over VXLAN: vf2 pings net B's remote "
             "VM (same address as net A's, VNI 0x65)")
    check(vm2.mac in neigh_macs(lab, nsb) and
          vm2.mac not in neigh_macs(lab, nsa) and
          vm0.mac not in neigh_macs(lab, nsb),
          "each remote VM saw only its own network's VM",
          "net A's: %s; net B's: %s" % (neigh_macs(lab, nsa),
                                        neigh_macs(lab, nsb)))
    r = ping(lab, ns2, vm0.ip, 2)
    check(r.returncode != 0 and vm2.mac not in neigh_macs(lab, ns0),
          "net B does not reach net A's VM on this host", r.stdout)

    # security groups: SSH from anywhere, any port from the group
    lab.start(ns0, sys.executable, PKT, "serve", "22", "60")
    lab.start(ns0, sys.executable, PKT, "serve", "5001", "60")
    r = lab.run(nsa, sys.executable, PKT, "connect", vm0.ip, "22", "3")
    check(r.returncode == 0, "the remote VM opens TCP 22 on vf0's VM and "
          "gets the answer (ingress rule, reply established)",
          r.stdout + r.stderr)
    r = lab.run(nsa, sys.executable, PKT, "connect", vm0.ip, "5001", "2")
    check(r.returncode != 0, "the remote VM cannot open TCP 5001 (no rule "
          "lets it in)", r.stdout + r.stderr)
    r = lab.run(ns1, sys.executable, PKT, "connect", vm0.ip, "5001", "3")
    check(r.returncode == 0, "vf1's VM opens TCP 5001 on vf0's VM (a "
          "member of the default group: the conjunction)",
          r.stdout + r.stderr)
    pings_ok(lab, nsa, vm0.ip, "the remote VM pings vf0's VM (ICMP from "
             "anywhere)")

    # anti-spoofing: only the port's own MAC and IP leave it
    before = flow_where(d.flows(), nf.BASE_EGRESS, 10, "in_port=vf0")
    stop = os.path.join(lab.tmp, "sniff.stop")
    sn = lab.start(ns1, sys.executable, PKT, "sniff", lab.taps[1],
                   "SNQ", "60", stop)
    for marker, mac, ip in (("SNQ-real", vm0.mac, vm0.ip),
                            ("SNQ-ip", vm0.mac, "10.0.0.99"),
                            ("SNQ-mac", "fa:16:3e:ee:ee:ee", vm0.ip)):
        r = lab.run(ns0, sys.executable, PKT, "send", lab.taps[0], mac,
                    vm1.mac, ip, vm1.ip, marker, "10")
        if r.returncode != 0:
            raise RuntimeError("send: " + r.stderr)
    time.sleep(1)       # the last of them through the software path
    open(stop, "w").close()
    got = int(sn.stdout.readline().strip() or -1)
    sn.wait()
    after = flow_where(d.flows(), nf.BASE_EGRESS, 10, "in_port=vf0")
    check(got == 10, "of 10 datagrams with vf0's own addresses and 20 with "
          "a forged source IP or MAC, vf1's VM got the 10", got)
    check(len(before) == 1 and len(after) == 1 and
          after[0]["n_packets"] - before[0]["n_packets"] >= 20,
          "the forged 20 ended in vf0's egress drop (table 71, priority 10)",
          [f["text"] for f in after])


# Flows the traffic above must have gone through: (table, priority, words
# of the text). One per bridge part, so a counter that stayed at zero
# names the part of the pipeline the packets missed.
USED = [
    (0, 0, ("goto_table:59",)),
    (0, 1, ("in_port=patch-int",)),
    (0, 1, ("in_port=vxlan0",)),
    (4, 1, ("tun_id=0x64",)),
    (4, 1, ("tun_id=0x65",)),
    (10, 1, ("learn(",)),
    (22, 1, ("dl_vlan=1",)),
    (22, 1, ("dl_vlan=2",)),
    (60, 100, ("in_port=vf0",)),
    (60, 90, ("dl_dst=fa:16:3e:a0:00:11",)),
    (71, 95, ("arp", "in_port=vf0")),
    (71, 65, ("in_port=vf0",)),
    (73, 100, ("dl_dst=fa:16:3e:a0:00:12",)),
    (81, 90, ("ip,reg5=0x2",)),
    (82, 77, ("tp_dst=22", "+new-est", "reg5=0x2")),
    (82, 75, ("+new-est", "reg5=0x2")),
    (94, 1, ("NORMAL",)),
]


def show_flows(d):
    r = d.ctl("dump-flows")
    print("---- snicctl dump-flows ----")
    print(r.stdout, end="")
    print("----")
    fl = d.flows()
    per = collections.defaultdict(collections.Counter)
    for f in fl:
        per[f["table"]][f["offload"]] += 1
    states = collections.Counter(f["offload"] for f in fl)
    print("  %d flows: %s" % (len(fl), ", ".join(
        "%s %d" % (s, states[s]) for s in ("hw", "partial", "sw"))))
    for t in sorted(per):
        print("  table %3d: %s" % (t, ", ".join(
            "%s %d" % (s, n) for s, n in sorted(per[t].items()))))
    reasons = collections.Counter(f["reason"] for f in fl if f["reason"])
    for why, n in reasons.most_common():
        print("  %4d x %s" % (n, why))
    return fl


def check_flows(fl, n_installed):
    check(len(fl) >= n_installed and
          all(f["offload"] in ("hw", "partial", "sw") for f in fl) and
          all(f["reason"] for f in fl if f["offload"] != "hw"),
          "every flow has a place, and every one not in hardware a reason",
          [(f["text"], f["offload"]) for f in fl
           if f["offload"] not in ("hw", "partial", "sw") or
           (f["offload"] != "hw" and not f["reason"])][:5])
    idle = []
    for table, prio, words in USED:
        got = flow_where(fl, table, prio, *words)
        if len(got) != 1 or got[0]["n_packets"] == 0:
            idle.append((table, prio, words, [g["text"] for g in got]))
    check(not idle, "the counters of the %d flows the traffic must cross "
          "moved" % len(USED), idle)
    # a reason names the cause: the flow's own (what the card cannot do),
    # or the higher flow it overlaps that is in software itself
    by_id = {f["id"]: f for f in fl}
    bad = []
    for f in fl:
        m = SHADOW.match(f["reason"])
        if m is None:
            continue
        g = by_id.get(int(m.group(1)))
        if g is None or g["table"] != f["table"] or \
                g["priority"] < f["priority"] or \
                ("in software" in f["reason"] and g["offload"] == "hw"):
            bad.append((f["text"], f["reason"], g and g["text"]))
    check(not bad, "each 'shadowed by flow N' names a flow of the same "
          "table, at least as high (in software, where it says so)",
          bad[:3])
    for what, words, causes in (
            # (in a table only ct(table=N) reaches, a register match
            # comes first: no hardware flow writes it before that table,
            # docs/snicd.md "Registers and pkt_mark")
            ("the conntrack flows", ("ct(", "ct_clear", "ct_state"),
             ("CONNTRACK", "registers", "no hardware flow writes")),
            ("the learn flow", ("learn(",), ("learn",)),
            ("the NORMAL flows", ("actions=NORMAL",), ("NORMAL",)),
            # (the learn flow outputs to patch-int: its first cause)
            ("the flows on a patch port", ("patch-",), ("patch", "learn"))):
        mine = [f for f in fl if any(w in f["text"] for w in words)]
        own = [f for f in mine if not SHADOW.match(f["reason"])]
        wrong = [f for f in mine if f["offload"] == "hw" or f in own and
                 not any(c in f["reason"] for c in causes)]
        check(own and not wrong, "%s stay in software; those not below "
              "another say why (%s)" % (what, " or ".join(causes)),
              [(f["text"], f["offload"], f["reason"]) for f in wrong][:3])


def main():
    if os.getuid() != 0 or shutil.which("ip") is None:
        print("  skipped: needs root and iproute2")
        return 77
    tmp = tempfile.mkdtemp(prefix="neutron_it.")
    os.chmod(tmp, 0o755)
    lab = Lab(tmp)
    try:
        args = ["--num-vfs", str(NVFS), "--mode", "switchdev",
                "--uplink-tap", lab.uplink]
        for i, tap in enumerate(lab.taps):
            args += ["--vf-tap", "%d=%s" % (i, tap)]
        nic = snic_emunic.Emunic(os.path.join(tmp, "nic"), *args,
                                 new_session=True)
        procs.append(nic.proc)
        lab.vms()
        lab.remote()
        d = Snicd(tmp, nic, *nf.snicd_options())
        lines = nf.flow_set().lines(snicd=True)
        path = os.path.join(tmp, "neutron.flows")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = d.ctl("add-flows", path)
        check(r.returncode == 0, "snicctl add-flows: the %d flows of the "
              "set" % len(lines), r.stdout + r.stderr)
        traffic(lab, d)
        check_flows(show_flows(d), len(lines))
        d.stop()
    except Exception as e:      # a crash of the harness is a failure too
        import traceback
        traceback.print_exc()
        failures.append(str(e))
        for name in os.listdir(tmp):
            if name.endswith(".log"):
                with open(os.path.join(tmp, name)) as f:
                    print("--- %s ---\n%s" % (name, f.read()[-3000:]))
    finally:
        kill_all()
        lab.undo()
    failures.extend(sanitizer_reports(tmp))
    if failures:
        print("FAILED (%d)" % len(failures))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
