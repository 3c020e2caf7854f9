#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Representor hotplug under a running snicd, with real packets.

emunic (4 VFs, switchdev), snicd with offload on, snic_traffic as the VMs
and the wire. The card's VFs are lowered to 2 and raised to 4 again in
place (`snic-fw sriov N`: SRIOV_ENABLE in place, ABI 1.2), as an admin
lowering sriov_numvfs on a host would take VF representors away:

  1. flows touching vf2/vf3 and flows between vf0/vf1 are all in hw;
  2. vf2/vf3 vanish: net_emunic raises RTE_ETH_EVENT_INTR_RMV on their
     representors; their flows go to sw with a reason naming the gone
     port as the user knows it (`port vf2 gone (OpenFlow port 4)`), stay
     desired; a lower-priority flow overlapping one of them (vf0 -> vf1
     for any destination) goes to sw with it ("shadowed"), so a frame for
     vf2 is not taken by it in hardware; the vf0/vf1 flows stay hw and
     vf0 <-> vf1 traffic
     goes on through hardware (hw counters move, the software datapath
     sees nothing); `show` says gone;
  3. vf2/vf3 come back: RTE_ETH_EVENT_NEW, same names and OpenFlow
     numbers, their flows are hw again, and traffic through them (a new
     VM side: the VFs are new functions) is forwarded by hardware. Only
     their flows are placed again (no resync), and the overlapping lower
     flow is levelled below them in hardware again: the vf0/vf1 rules are
     not re-created (snicd creates exactly three rules, destroys none) and
     their hardware counters go on counting.

    hotplug_it.py [representors]

Environment as snicd_it.py, plus SNIC_FW. Standard library only.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snicd_harness import (Emunic, Snicd, Traffic, VF_MAC, by_text,  # noqa
                           check, failures, frame, kill_all,
                           sanitizer_reports, tag, tag_of, wait_counters)

SNIC_FW = os.environ.get("SNIC_FW", "build/cli/snic-fw/snic-fw")

F_01 = "priority=10,in_port=vf0,dl_dst=%s,actions=output:vf1" % VF_MAC[1]
F_10 = "priority=10,in_port=vf1,actions=output:vf0"
F_02 = "priority=10,in_port=vf0,dl_dst=%s,actions=output:vf2" % VF_MAC[2]
F_30 = "priority=10,in_port=vf3,actions=output:vf0"
# below F_01 and F_02, overlapping both: every other frame of vf0 to vf1
F_LO = "priority=5,in_port=vf0,actions=output:vf1"
OTHER_MAC = "02:00:00:00:00:77"


def sriov(nic, n):
    r = subprocess.run([SNIC_FW, "-s", nic.sock, "sriov", str(n)],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 0 and "(in place)" in r.stdout,
          "snic-fw sriov %d: in place" % n, (r.stdout, r.stderr))


def flows_by_rule(d):
    """dump-flows entries keyed by which of the four flows they are."""
    out = {}
    for f in d.flows():
        t = f["text"]
        for key, want in (("01", "dl_dst=" + VF_MAC[1]),
                          ("02", "dl_dst=" + VF_MAC[2])):
            if want in t:
                out[key] = f
        if "in_port=vf1" in t or "in_port=3" in t:
            out["10"] = f
        if "in_port=vf3" in t or "in_port=5" in t:
            out["30"] = f
        if "priority=5," in t:
            out["lo"] = f
    return out


def wait_where(d, want, timeout=10.0):
    """Poll until every flow key in @want has that offload state."""
    deadline = time.time() + timeout
    while True:
        fl = flows_by_rule(d)
        if all(k in fl and fl[k]["offload"] == v for k, v in want.items()):
            return fl, True
        if time.time() > deadline:
            return fl, False
        time.sleep(0.1)


def ports(d):
    return {p["name"]: p for p in d.ok("show")["ports"]}


def send_tagged(tr, src, dst_mac, src_mac, base, n):
    for i in range(n):
        tr.send(src, frame(dst_mac, src_mac, payload=tag(base + i)))


def arrived(got, port, base, n):
    return sorted(t for t in (tag_of(p) for q, p in got if q == port)
                  if t is not None and base <= t < base + n)


def scenario_representors(tmp):
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    for f in (F_01, F_10, F_02, F_30, F_LO):
        d.ok("add-flow", {"flow": f})
    fl, ok = wait_where(d, {"01": "hw", "10": "hw", "02": "hw", "30": "hw",
                            "lo": "hw"})
    check(ok, "five flows in hardware", fl)
    before = ports(d)
    check(all(before.get("vf%d" % i, {}).get("link") == "up"
              for i in range(4)), "show: vf0..vf3 up", before)

    send_tagged(tr, "vf0", VF_MAC[2], VF_MAC[0], 100, 10)
    send_tagged(tr, "vf3", VF_MAC[0], VF_MAC[3], 200, 10)
    got = tr.recv(800)
    check(arrived(got, "vf2", 100, 10) == list(range(100, 110)),
          "before: vf0 -> vf2", got[:3])
    check(arrived(got, "vf0", 200, 10) == list(range(200, 210)),
          "before: vf3 -> vf0", got[:3])
    send_tagged(tr, "vf0", OTHER_MAC, VF_MAC[0], 250, 5)
    got = tr.recv(500)
    check(arrived(got, "vf1", 250, 5) == list(range(250, 255)),
          "before: vf0 -> another MAC: vf1 (the lower flow)", got[:3])

    # ---- vf2 and vf3 leave the card ----
    sriov(nic, 2)
    fl, ok = wait_where(d, {"02": "sw", "30": "sw", "01": "hw", "10": "hw",
                            "lo": "sw"})
    check(ok, "flows touching vf2/vf3 moved to sw, and the lower flow "
          "overlapping vf0 -> vf2; the others stay hw",
          {k: (f["offload"], f.get("reason")) for k, f in fl.items()})
    check("lo" in fl and "shadowed by flow" in fl["lo"].get("reason", ""),
          "the lower flow says it is shadowed", fl.get("lo"))
    of2, of3 = before["vf2"]["ofport"], before["vf3"]["ofport"]
    check("02" in fl and "port vf2 gone (OpenFlow port %d)" % of2
          in fl["02"].get("reason", ""),
          "reason of the vf0 -> vf2 flow names vf2 (OpenFlow %d)" % of2,
          fl.get("02"))
    check("30" in fl and "port vf3 gone (OpenFlow port %d)" % of3
          in fl["30"].get("reason", ""),
          "reason of the vf3 -> vf0 flow names vf3 (OpenFlow %d)" % of3,
          fl.get("30"))
    check(len(d.flows()) == 5, "all five flows still desired")
    r = d.ctl("dump-flows")
    check(r.returncode == 0 and r.stdout.count("offload=sw") == 3 and
          r.stdout.count("offload=hw") == 2 and
          "(port vf2 gone" in r.stdout and "(port vf3 gone" in r.stdout,
          "snicctl dump-flows: 2 hw, 3 sw (two with the gone port)",
          r.stdout)
    mid = ports(d)
    check(mid["vf2"]["link"] == "gone" and mid["vf3"]["link"] == "gone" and
          mid["vf0"]["link"] == "up" and mid["vf1"]["link"] == "up",
          "show: vf2/vf3 gone, vf0/vf1 up", mid)
    sh = d.ctl("show")
    check(sh.returncode == 0 and sh.stdout.count(" gone ") == 2,
          "snicctl show prints two gone ports", sh.stdout)

    rx0 = d.ok("stats")["datapath"]["rx"]
    c01 = flows_by_rule(d)["01"]["n_packets"]
    c10 = flows_by_rule(d)["10"]["n_packets"]
    send_tagged(tr, "vf0", VF_MAC[1], VF_MAC[0], 300, 20)
    send_tagged(tr, "vf1", VF_MAC[0], VF_MAC[1], 400, 20)
    got = tr.recv(800)
    check(arrived(got, "vf1", 300, 20) == list(range(300, 320)),
          "while gone: vf0 -> vf1 delivered", got[:3])
    check(arrived(got, "vf0", 400, 20) == list(range(400, 420)),
          "while gone: vf1 -> vf0 delivered", got[:3])
    fl = wait_counters(d, {})
    now = flows_by_rule(d)
    check(now["01"]["n_packets"] - c01 == 20 and
          now["10"]["n_packets"] - c10 == 20,
          "hardware counters of vf0/vf1 flows count them (+%d, +%d)"
          % (now["01"]["n_packets"] - c01, now["10"]["n_packets"] - c10))
    check(d.ok("stats")["datapath"]["rx"] == rx0,
          "the software datapath saw none of it")
    # vf0's frames for vf2 are not taken by the lower flow (it is in
    # software now, below vf0 -> vf2, whose port is gone: dropped); its
    # other frames are forwarded by software
    send_tagged(tr, "vf0", VF_MAC[2], VF_MAC[0], 700, 10)
    send_tagged(tr, "vf0", OTHER_MAC, VF_MAC[0], 720, 10)
    got = tr.recv(800)
    check(arrived(got, "vf1", 700, 10) == [],
          "while gone: vf0 -> vf2's MAC does not reach vf1",
          [(q, tag_of(p)) for q, p in got][:5])
    check(arrived(got, "vf1", 720, 10) == list(range(720, 730)),
          "while gone: vf0 -> another MAC reaches vf1", got[:3])
    check(d.ok("stats")["datapath"]["rx"] - rx0 == 20,
          "through the software datapath (rx +%d)"
          % (d.ok("stats")["datapath"]["rx"] - rx0))

    # ---- they come back ----
    off0 = d.ok("stats")["offload"]
    sriov(nic, 4)
    fl, ok = wait_where(d, {"02": "hw", "30": "hw", "01": "hw", "10": "hw",
                            "lo": "hw"})
    check(ok, "vf2/vf3 back: all five flows in hardware again",
          {k: (f["offload"], f.get("reason")) for k, f in fl.items()})
    # only the returning ports' flows were placed again, and the lower flow
    # they un-shadow: the vf0/vf1 rules stayed in the card as they were (a
    # resync would re-create all five)
    off1 = d.ok("stats")["offload"]
    delta = {k: off1[k] - off0[k] for k in
             ("rules_created", "rules_destroyed", "resyncs", "port_backs")}
    check(delta == {"rules_created": 3, "rules_destroyed": 0, "resyncs": 0,
                    "port_backs": 2},
          "port back: 3 rules created (vf2/vf3 flows, the lower flow), none "
          "destroyed, no resync", delta)
    c01 = flows_by_rule(d)["01"]["n_packets"]
    c10 = flows_by_rule(d)["10"]["n_packets"]
    send_tagged(tr, "vf0", VF_MAC[1], VF_MAC[0], 450, 5)
    send_tagged(tr, "vf1", VF_MAC[0], VF_MAC[1], 460, 5)
    got = tr.recv(800)
    check(arrived(got, "vf1", 450, 5) == list(range(450, 455)) and
          arrived(got, "vf0", 460, 5) == list(range(460, 465)),
          "vf0 <-> vf1 still through their first rules", got[:3])
    wait_counters(d, {})
    now = flows_by_rule(d)
    check(now["01"]["n_packets"] - c01 == 5 and
          now["10"]["n_packets"] - c10 == 5,
          "their hardware counters go on counting (+%d, +%d)"
          % (now["01"]["n_packets"] - c01, now["10"]["n_packets"] - c10))
    check(d.ok("stats")["offload"]["rules_created"] ==
          off1["rules_created"], "and no rule was made for that")
    after = ports(d)
    check(all(after.get(n, {}).get("ofport") == before[n]["ofport"]
              for n in before), "same names and OpenFlow numbers",
          (before, after))
    check(all(after["vf%d" % i]["link"] == "up" for i in range(4)),
          "show: vf0..vf3 up again", after)
    check(d.ctl("show").stdout.count(" gone ") == 0, "snicctl show: "
          "nothing gone")

    # the VFs are new functions: the VMs' side attaches again
    tr.proc.stdin.write("quit\n")
    tr.proc.stdin.flush()
    tr.proc.wait(timeout=20)
    tr = Traffic(nic)
    rx0 = d.ok("stats")["datapath"]["rx"]
    c02 = flows_by_rule(d)["02"]["n_packets"]
    c30 = flows_by_rule(d)["30"]["n_packets"]
    c_lo = flows_by_rule(d)["lo"]["n_packets"]
    send_tagged(tr, "vf0", VF_MAC[2], VF_MAC[0], 500, 10)
    send_tagged(tr, "vf3", VF_MAC[0], VF_MAC[3], 600, 10)
    send_tagged(tr, "vf0", OTHER_MAC, VF_MAC[0], 650, 10)
    got = tr.recv(800)
    check(arrived(got, "vf2", 500, 10) == list(range(500, 510)),
          "after: vf0 -> vf2 delivered (above the lower flow)", got[:3])
    check(arrived(got, "vf1", 500, 10) == [], "and not to vf1")
    check(arrived(got, "vf1", 650, 10) == list(range(650, 660)),
          "after: vf0 -> another MAC delivered to vf1", got[:3])
    check(arrived(got, "vf0", 600, 10) == list(range(600, 610)),
          "after: vf3 -> vf0 delivered", got[:3])
    wait_counters(d, {})
    now = flows_by_rule(d)
    check(now["02"]["n_packets"] - c02 == 10 and
          now["30"]["n_packets"] - c30 == 10,
          "hardware counters of the returned flows count them (+%d, +%d)"
          % (now["02"]["n_packets"] - c02, now["30"]["n_packets"] - c30))
    check(now["lo"]["n_packets"] - c_lo == 10,
          "and of the re-levelled lower flow (+%d)"
          % (now["lo"]["n_packets"] - c_lo))
    check(d.ok("stats")["datapath"]["rx"] == rx0,
          "the software datapath saw none of it")
    d.stop()


SCENARIOS = {"representors": scenario_representors}


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "representors"
    if name not in SCENARIOS:
        print("unknown scenario %s (known: %s)" % (name, ", ".join(SCENARIOS)))
        return 2
    tmp = tempfile.mkdtemp(prefix="snic-hotplug-")
    try:
        SCENARIOS[name](tmp)
    except Exception as e:   # noqa: BLE001 -- report, then clean up
        check(False, "scenario %s ran to the end" % name, repr(e))
    finally:
        kill_all()
        failures.extend(sanitizer_reports(tmp))
        if os.environ.get("SNIC_KEEP_TMP"):
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %s" % (name, "FAIL" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
