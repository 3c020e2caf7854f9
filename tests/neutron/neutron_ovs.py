#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The merged Neutron flow set (neutron_flows.py) in Open vSwitch itself:
one bridge on the userspace dummy datapath with the ports snicd has (the
VMs as access ports, the patch pair patch-tun/patch-int with both ends in
the bridge, the VXLAN port vxlan0), the 215 lines added by name, and
`ofproto/trace` of the paths the traffic test takes. What Open vSwitch
does with the set is what docs/neutron.md says the set does: the check
that the generator writes a set that works, independent of snicd.

Then the lines snicd takes go into both Open vSwitch and snicd's
software datapath (tests/ovsdiff's ovsdiff_dp, on a switch of the same
ports, patch pair included), and the same frames (the VMs'
conversations on this host, forged sources, DHCP and RA from a VM,
neighbour discovery, net B's frames) must give the same outputs, byte for
byte, per port. vxlan0's outputs are left out on both sides: Open
vSwitch's dummy datapath has no route to the remote VTEP (neutron_it
covers the tunnel with real traffic).

    neutron_ovs.py        environment: OVSDIFF_DP (path to ovsdiff_dp)

Exit 77 (skipped) without Open vSwitch (ovs-vswitchd, ovsdb-server).
"""
import os
import ipaddress
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ovsdiff"))
import neutron_flows as nf  # noqa: E402
import ovs_switch  # noqa: E402
from ovsdiff_ct import ACK, SYN, _eth, _ip, _tcp  # noqa: E402
from ovsdiff_gen import _mac  # noqa: E402

failures = []


def check(cond, what, detail=""):
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    if not cond:
        if detail:
            print("       " + str(detail)[-3000:], flush=True)
        failures.append(what)
    return cond


def bridge(sw):
    """snicd's ports on br0 (dummy ports, a patch pair, a VXLAN port),
    with the VLAN settings and flood exclusions of nf.snicd_options()."""
    args = []
    for name, ofport in sorted(nf.PORTS.items(), key=lambda x: x[1]):
        args += ["--", "add-port", "br0", name, "--", "set", "interface",
                 name, "ofport_request=%d" % ofport]
        if name.startswith("vf"):
            args += ["type=dummy", "options:tx_pcap=" + os.path.join(
                sw.rundir, name + "-tx.pcap")]
        elif name == "vxlan0":
            args += ["type=vxlan", "options:remote_ip=" + nf.REMOTE_VTEP,
                     "options:local_ip=" + nf.LOCAL_VTEP, "options:key=flow"]
        else:
            peer = "patch-int" if name == "patch-tun" else "patch-tun"
            args += ["type=patch", "options:peer=" + peer]
    for p in nf.VMS:
        args += ["--", "set", "port", p.name, "tag=%d" % p.net.lvid]
    sw.vsctl(*args)
    # the bridge's own port stands for the uplink: out of NORMAL's floods,
    # as snicd's
    for name in ("patch-int", "vxlan0", "vf3", "br0"):
        r = sw.ofctl("mod-port", "br0", name, "no-flood")
        if r.returncode != 0:
            raise RuntimeError("mod-port %s: %s" % (name, r.stderr))


def dp_ports(sw):
    """Datapath port number -> name, from dpctl/show."""
    ports = {}
    for line in sw.ctl.call("dpctl/show").splitlines():
        w = line.split()
        if len(w) >= 3 and w[0] == "port":
            ports[w[1].rstrip(":")] = w[2]
    return ports


def rx_packets(sw, name):
    port = None
    for line in sw.ctl.call("dpctl/show", "-s").splitlines():
        w = line.strip()
        if w.startswith("port "):
            port = w.split(":")[1].split()[0]
        elif w.startswith("RX packets:") and port == name:
            return int(w.split()[1].split(":")[1])
    raise RuntimeError("dpctl/show has no port " + name)


def ovs_send(sw, tails, name, frame):
    """@frame received on port @name: its outputs [(port name, bytes)]
    (ovs_switch.OvsSwitch.send, for ports with names)."""
    want = rx_packets(sw, name) + 1
    sw.ctl.call("netdev-dummy/receive", name, frame.hex())
    deadline = time.time() + 10
    while rx_packets(sw, name) < want:
        if time.time() > deadline:
            raise RuntimeError("ovs-vswitchd did not take a frame on " + name)
    out = []
    for n, t in tails.items():
        out += [(n, f) for f in t.read_new()]
    return sorted(out)


def snic_run(lines, frames):
    """The same through snicd's software datapath (tests/ovsdiff's
    ovsdiff_dp) on a switch of snicd's ports: [(port name, bytes)] per
    frame. vxlan0 is an ordinary port there: its outputs are left out,
    as Open vSwitch's (native tunnelling with no route) send nothing."""
    names = {n: name for name, n in nf.PORTS.items()}
    script = []
    for name, n in sorted(nf.PORTS.items(), key=lambda x: x[1]):
        tag = next((p.net.lvid for p in nf.VMS if p.name == name), 0)
        peer = {"patch-tun": nf.PORTS["patch-int"],
                "patch-int": nf.PORTS["patch-tun"]}.get(name, 0)
        script.append("xport %d %s %d %d %d" % (
            n, "access" if tag else "trunk", tag, peer,
            name in ("patch-int", "vxlan0", "vf3")))
    script.append("ports")
    script += ["flow " + ln for ln in lines] + ["commit"]
    script += ["pkt %d %s" % (nf.PORTS[port], f.hex()) for port, f in frames]
    r = subprocess.run([os.environ.get("OVSDIFF_DP", "ovsdiff_dp")],
                       input="\n".join(script) + "\n", capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("ovsdiff_dp: %s" % r.stderr[-2000:])
    outs, cur, rejected = [], [], []
    for line in r.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word == "reject":
            rejected.append(rest)
        elif word == "out":
            port, _, hexf = rest.partition(" ")
            if int(port) != nf.PORTS["vxlan0"]:
                cur.append((names.get(int(port), port), bytes.fromhex(hexf)))
        elif word == "end":
            outs.append(sorted(cur))
            cur = []
    return rejected, outs


def frames():
    """What the comparison sends, in order: (port name, frame). The VMs'
    conversations on this host, as the traffic test has them, and what
    the firewall must stop."""
    vm0, vm1, vm2 = nf.VMS
    bc = "ff:ff:ff:ff:ff:ff"

    def arp(p, op, dst_mac, tpa):
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + _mac(p.mac) + \
            socket.inet_aton(p.ip) + (_mac(dst_mac) if op == 2 else
                                      bytes(6)) + socket.inet_aton(tpa)
        return p.name, _eth(0x0806, body, p.mac, dst_mac)

    def ip4(p, to_mac, src, dst, proto, seg, mac=None):
        return p.name, _eth(0x0800, _ip(False, proto, seg, src, dst),
                            mac or p.mac, to_mac)

    def icmp(t, seq):
        return struct.pack("!BBHHH", t, 0, 0, 0x4242, seq) + b"neutron"

    def udp(sport, dport):
        return struct.pack("!HHHH", sport, dport, 12, 0) + b"nq00"

    def icmp6(p, t, dst, dst_mac, body):
        return p.name, _eth(0x86dd, _ip(True, 58, struct.pack(
            "!BBHI", t, 0, 0, 0) + body, p.lla, dst), p.mac, dst_mac)

    out = [arp(vm0, 1, bc, vm1.ip), arp(vm1, 2, vm0.mac, vm0.ip)]
    for seq in (1, 2):
        out += [ip4(vm0, vm1.mac, vm0.ip, vm1.ip, 1, icmp(8, seq)),
                ip4(vm1, vm0.mac, vm1.ip, vm0.ip, 1, icmp(0, seq))]
    # TCP: vf0 -> vf1:5001 (a member of the group), vf1 -> vf0:22
    out += [ip4(vm0, vm1.mac, vm0.ip, vm1.ip, 6, _tcp(40000, 5001, 100, 0,
                                                      SYN)),
            ip4(vm1, vm0.mac, vm1.ip, vm0.ip, 6, _tcp(5001, 40000, 700, 101,
                                                      SYN | ACK)),
            ip4(vm0, vm1.mac, vm0.ip, vm1.ip, 6, _tcp(40000, 5001, 101, 701,
                                                      ACK)),
            ip4(vm1, vm0.mac, vm1.ip, vm0.ip, 6, _tcp(41000, 22, 5, 0, SYN)),
            ip4(vm0, vm1.mac, vm0.ip, vm1.ip, 6, _tcp(22, 41000, 9, 6,
                                                      SYN | ACK))]
    # forged source IP, forged source MAC, a DHCP server, a DHCP client
    out += [ip4(vm0, vm1.mac, "10.0.0.99", vm1.ip, 17, udp(9, 9)),
            ip4(vm0, vm1.mac, vm0.ip, vm1.ip, 17, udp(9, 9),
                mac="fa:16:3e:ee:ee:ee"),
            ip4(vm0, bc, vm0.ip, "255.255.255.255", 17, udp(67, 68)),
            ip4(vm0, bc, "0.0.0.0", "255.255.255.255", 17, udp(68, 67))]
    # neighbour discovery from the link-local address; an RA it may not send
    tgt = ipaddress.ip_address(vm1.lla).packed
    sol = ipaddress.ip_address(b"\xff\x02" + bytes(9) + b"\x01\xff" +
                               tgt[13:])
    out += [icmp6(vm0, 135, str(sol), "33:33:ff:" + ":".join(
        "%02x" % b for b in tgt[13:]), tgt),
            icmp6(vm0, 134, "ff02::1", "33:33:00:00:00:01", bytes(8))]
    # net B: vf2 asks for vf0's address, and sends to vf0's MAC
    out += [arp(vm2, 1, bc, vm0.ip),
            ip4(vm2, vm0.mac, vm2.ip, vm0.ip, 1, icmp(8, 1))]
    return out


def diff(sw, lines):
    """The frames through Open vSwitch and through snicd's datapath: the
    outputs must be the same, byte for byte, per port."""
    tails = {p: ovs_switch.PcapTail(os.path.join(sw.rundir, p + "-tx.pcap"))
             for p in nf.PORTS if p.startswith("vf")}
    fr = frames()
    rejected, snic = snic_run(lines, fr)
    check(not rejected, "snicd's datapath takes the %d lines" % len(lines),
          rejected[:3])
    bad = []
    for i, (port, f) in enumerate(fr):
        ovs = ovs_send(sw, tails, port, f)
        got = snic[i] if i < len(snic) else None
        print("       frame %2d from %s: %s" % (i, port, ", ".join(
            p for p, _ in ovs) or "nothing"))
        if got != ovs:
            bad.append("frame %d from %s %s\n         ovs:   %s\n"
                       "         snicd: %s" % (i, port, f.hex(),
                                               [(p, o.hex()) for p, o in ovs],
                                               [(p, o.hex()) for p, o in
                                                got or []]))
    n_out = sum(len(o) for o in snic)
    check(not bad and n_out >= 10, "%d frames through Open vSwitch and "
          "through snicd's datapath: the same %d outputs, byte for byte"
          % (len(fr), n_out), "\n".join(bad[:4]))


def trace(sw, flow):
    return sw.ctl.call("ofproto/trace", "br0", flow)


def final(text):
    """The datapath actions of a trace (after its last recirculation)."""
    acts = ""
    for line in text.splitlines():
        if line.startswith("Datapath actions:"):
            acts = line.split(":", 1)[1].strip()
    return acts


def main():
    missing = ovs_switch.missing_tools()
    if missing:
        print("  skipped: Open vSwitch is not installed (%s)"
              % ", ".join(missing))
        return 77
    tmp = tempfile.mkdtemp(prefix="neutron_ovs.")
    sw = None
    try:
        sw = ovs_switch.OvsSwitch(tmp, 0)
        bridge(sw)
        lines = nf.flow_set().lines()
        path = os.path.join(tmp, "neutron.flows")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = sw.ofctl("add-flows", "br0", path, protocol="OpenFlow13")
        check(r.returncode == 0, "ovs-vswitchd takes the %d lines into one "
              "bridge with the patch pair" % len(lines), r.stderr)
        dump = sw.ofctl("dump-flows", "br0", "--no-stats",
                        protocol="OpenFlow13").stdout.splitlines()
        check(len(dump) == len(lines), "and holds %d flows (%d)"
              % (len(lines), len(dump)))
        vm0, vm1, vm2 = nf.VMS
        ra_mac, ra_ip = nf.REMOTE_VMS[nf.NET_A]
        dp = dp_ports(sw)
        show = []

        def outs(t):
            """The port names of the trace's last datapath actions."""
            return sorted(dp.get(a, a) for a in final(t).split(",")
                          if a.isdigit())

        # an ARP request from vf0: NORMAL floods it to vf1 and, through the
        # patch, br-tun floods it out vxlan0 with VNI 0x64; vf2 is net B
        t = trace(sw, "in_port=vf0,arp,dl_src=%s,dl_dst=ff:ff:ff:ff:ff:ff,"
                  "arp_spa=%s,arp_tpa=%s,arp_op=1" % (vm0.mac, vm0.ip, ra_ip))
        show.append(t)
        check("set_field:0x64->tun_id\n    output:100" in t and
              outs(t) == ["vf1"], "vf0's ARP request: to vf1 and out vxlan0 "
              "with VNI 0x64 (the datapath sends only vf1's copy: Open "
              "vSwitch's dummy datapath has no route to the remote VTEP)",
              outs(t))
        t = trace(sw, "in_port=vf2,arp,dl_src=%s,dl_dst=ff:ff:ff:ff:ff:ff,"
                  "arp_spa=%s,arp_tpa=%s,arp_op=1" % (vm2.mac, vm2.ip, ra_ip))
        show.append(t)
        check("set_field:0x65->tun_id\n    output:100" in t and
              "0x64" not in t and outs(t) == [],
              "vf2's ARP request: out vxlan0 with VNI 0x65 only", outs(t))
        t = trace(sw, "in_port=vf0,udp,dl_src=%s,dl_dst=%s,nw_src=10.0.0.99,"
                  "nw_dst=%s,udp_src=9,udp_dst=9" % (vm0.mac, vm1.mac, vm1.ip))
        show.append(t)
        check(final(t) == "drop" and "\n93. priority 0" in t,
              "a forged source IP from vf0 ends in table 93's drop", final(t))
        # from the remote VM of net A on VNI 0x64: tagged, learned, through
        # the patch into vf0's ingress firewall: a new ICMP connection,
        # committed in zone 1 (the network) and delivered to vf0
        t = trace(sw, "in_port=vxlan0,tun_id=0x64,icmp,dl_src=%s,dl_dst=%s,"
                  "nw_src=%s,nw_dst=%s,icmp_type=8" % (ra_mac, vm0.mac,
                                                       ra_ip, vm0.ip))
        show.append(t)
        check("learn(table=20" in t and "output:301" in t and
              "\n81. ct_state=-trk,ip,reg5=0x2" in t and
              final(t).startswith("ct(commit,zone=1)") and
              outs(t) == ["vf0"],
              "a frame from the tunnel: learned, through the patch, "
              "committed in zone 1 by vf0's ingress rule, out vf0",
              final(t))
        if failures:
            for s in show:
                print(s)
        # the comparison: the lines snicd takes, by number, on both sides
        lines = nf.flow_set(numbers=True).lines(snicd=True)
        sw.ofctl("del-flows", "br0")
        path = os.path.join(tmp, "neutron-snicd.flows")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = sw.ofctl("add-flows", "br0", path, protocol="OpenFlow13")
        if r.returncode != 0:
            raise RuntimeError("add-flows: " + r.stderr)
        sw.ctl.call("fdb/flush", "br0")
        sw.flush_conntrack()
        sw.ctl.call("revalidator/purge")
        diff(sw, lines)
    except Exception as e:      # a crash of the harness is a failure too
        import traceback
        traceback.print_exc()
        failures.append(str(e))
    finally:
        if sw is not None:
            sw.close()
    if failures:
        print("FAILED (%d)" % len(failures))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
