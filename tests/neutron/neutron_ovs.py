#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The merged Neutron flow set (neutron_flows.py) in Open vSwitch itself:
one bridge on the userspace dummy datapath with the ports snicd has (the
VMs as access ports, the patch pair patch-tun/patch-int with both ends in
the bridge, the VXLAN port vxlan0), the 215 lines added by name, and
`ofproto/trace` of the paths the traffic test takes. What Open vSwitch
does with the set is what docs/neutron.md says the set does: the check
that the generator writes a set that works, independent of snicd.

    neutron_ovs.py

Exit 77 (skipped) without Open vSwitch (ovs-vswitchd, ovsdb-server).
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ovsdiff"))
import neutron_flows as nf  # noqa: E402
import ovs_switch  # noqa: E402

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
            args += ["type=dummy"]
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
