#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration tests of snicd with real packets: emunic (the card), snicd
(the daemon, through its default attach path), and snic_traffic (the VFs'
side and the wire, a DPDK process of its own).

    snicd_it.py SCENARIO [--seed N]

Scenarios: hw, sw, miss, errors, vxlan, reset, taps, normal, local,
patch, resubmit, regs, restart,
add_flows_file, eal_dir, diff_full, diff_basic, diff_tiny, diff_whole,
diff_bulk (100,000 flows; diff_bulk_N: N). Environment: EMUNIC, SNICD, SNICCTL, TRAFFIC,
SNIC_FW (paths). Standard library only. Every process started here is
killed at the end, whatever happens (snicd_harness.py).

SNIC_SEED=N replays the random scenarios (restart, diff_*) with the seed a
run printed on its first line (--seed N does the same).
"""
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snicd_harness import (EMUNIC, NVFS, SNICCTL, SNICD,  # noqa
                           EalSnicd, Emunic, Snicd,
                           Traffic, VF_MAC, by_text, check, csum, failures, frame,
                           ip4, kill_all, mac, sanitizer_reports, spawn,
                           tag, tag_of, wait_counters)
from snic_child import dpdk_runtime_base  # noqa: E402

# ---- scenarios ----


def scenario_hw(tmp):
    nic = Emunic(tmp)
    d = Snicd(tmp, nic, "--log-level", "debug")
    tr = Traffic(nic)
    d.ok("add-flow", {"flow": "priority=10,in_port=vf0,actions=output:vf1"})
    d.ok("add-flow", {"flow": "priority=20,in_port=vf0,dl_vlan=0xffff,udp,"
                              "tp_dst=53,actions=mod_vlan_vid:7,"
                              "output:uplink"})
    fl = d.flows()
    check(len(fl) == 2 and all(f["offload"] == "hw" for f in fl),
          "flows from the control socket are in hardware", fl)
    check("snicd: debug: rule installed: flow create 0 transfer pattern "
          "represented_port ethdev_port_id spec 1 ethdev_port_id mask 0xffff "
          "/ end actions count / represented_port ethdev_port_id 2 / end"
          in d.tail(), "the debug log shows each rule as a testpmd command",
          d.tail())
    r = d.ctl("dump-flows")
    check(r.returncode == 0 and r.stdout.count("offload=hw") == 2,
          "snicctl dump-flows says offload=hw", r.stdout + r.stderr)
    # rules through the uplink's flow queue (three shapes, three tables:
    # the first flow moved one level down under the second), or the sync
    # API when the run says --no-flow-queues
    fq = d.ok("capabilities")["flow_queue"]
    if "--no-flow-queues" in os.environ.get("SNICD_IT_OPTS", ""):
        check(fq["size"] == 0 and fq["pushes"] == 0,
              "no flow queue: rules through the sync rte_flow API", fq)
    else:
        check(fq["size"] == 1024 and fq["tables"] == 3 and
              fq["pushes"] >= 2 and fq["refused"] == 0,
              "rules through the uplink's flow queue, one table a shape", fq)
    sent = []
    for i in range(20):
        f = frame(VF_MAC[1], VF_MAC[0], payload=tag(i))
        sent.append(f)
        tr.send("vf0", f)
    for i in range(5):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], dport=53,
                             payload=tag(100 + i)))
    got = tr.recv(800)
    at_vf1 = [p for port, p in got if port == "vf1"]
    at_wire = [p for port, p in got if port == "wire"]
    check(sorted(at_vf1) == sorted(sent), "20 frames vf0 -> vf1, unchanged",
          got[:3])
    check(len(at_wire) == 5 and all(p[12:16] == b"\x81\x00\x00\x07"
                                    for p in at_wire),
          "5 DNS frames to the wire with VLAN 7 pushed", at_wire[:2])
    fl = wait_counters(d, {})
    counts = sorted(f["n_packets"] for f in fl.values())
    check(counts == [5, 20], "hardware counters count the packets: %s"
          % counts, list(fl))
    st = d.ok("stats")
    check(st["flows"]["hw"] == 2 and st["datapath"]["rx"] == 0,
          "stats: 2 hw flows, nothing reached the software datapath",
          st["text"])
    # no rule churn since: a read of the hardware counters gets only the
    # flows whose counters moved (net_emunic tells which); counts hold
    c0 = st["counters"]
    tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], payload=tag(200)))
    tr.recv(800)
    fl = d.flows()
    c1 = d.ok("stats")["counters"]
    counts = sorted(f["n_packets"] for f in fl)
    check(counts == [5, 21], "one more frame counted: %s" % counts, fl)
    check(c1["moved_reads"] >= c0["moved_reads"] + 1 and
          c1["full_reads"] == c0["full_reads"],
          "reads got only what moved: %s -> %s" % (c0, c1))
    sh = d.ctl("show")
    check(sh.returncode == 0 and "vf3" in sh.stdout and "uplink" in
          sh.stdout, "show lists the uplink and the representors", sh.stdout)
    # A batch that grows a flow's actions past its node's room (the flow
    # table moves the node) and is then refused: the offload manager reads
    # the flow's match from the node in place, so it follows the move
    # although it never hears of the change (#13); placing an overlapping
    # flow and deleting them all read it.
    path = os.path.join(tmp, "moved.flows")
    with open(path, "w") as f:
        f.write("priority=10,in_port=vf0,actions=output:vf1,output:vf2,"
                "output:vf3\n"
                "check_overlap,priority=10,in_port=vf0,actions=drop\n")
    r = d.ctl("add-flows", path)
    check(r.returncode != 0 and "check_overlap" in r.stderr,
          "a batch refused after it moved a flow's node", r.stderr)
    d.ok("add-flow", {"flow": "priority=30,in_port=vf0,udp,"
                              "actions=output:vf2"})
    fl = d.flows()
    check(len(fl) == 3 and all(f["offload"] == "hw" for f in fl),
          "the flows after the refused batch, in hardware", fl)
    d.ok("del-flows", {})
    check(len(d.flows()) == 0, "and deleted")


def scenario_sw(tmp):
    nic = Emunic(tmp, "basic")
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    d.ok("add-flow", {"flow": "in_port=vf0,udp6,ipv6_dst=2001:db8::2,"
                              "actions=output:vf2"})
    d.ok("add-flow", {"flow": "in_port=vf0,ip,actions=mod_dl_dst:"
                              "02:00:00:00:00:99,output:vf1"})
    fl = d.flows()
    where = {("ipv6" in f["text"]): f["offload"] for f in fl}
    check(where.get(True) == "sw", "ipv6 match under --profile basic lives "
          "in software", fl)
    check(where.get(False) in ("partial", "sw"), "mod_dl_dst under basic is "
          "partial or software: %s" % where.get(False), fl)
    for i in range(10):
        tr.send("vf0", frame(VF_MAC[2], VF_MAC[0], l3="ipv6",
                             payload=tag(i)))
    for i in range(7):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], payload=tag(50 + i)))
    got = tr.recv(1000)
    v6 = [p for port, p in got if port == "vf2"]
    v4 = [p for port, p in got if port == "vf1"]
    check(len(v6) == 10, "software datapath forwards the 10 IPv6 frames to "
          "vf2 (%d)" % len(v6), got[:2])
    check(len(v4) == 7 and all(p[:6] == mac("02:00:00:00:00:99")
                               for p in v4),
          "7 IPv4 frames reach vf1 with the rewritten destination MAC",
          [p[:12].hex() for p in v4[:2]])
    fl = wait_counters(d, {})
    counts = sorted(f["n_packets"] for f in fl.values())
    check(counts == [7, 10], "counters of sw/partial flows: %s" % counts)
    st = d.ok("stats")
    check(st["datapath"]["rx"] >= 10, "stats: the software datapath "
          "received the frames (rx %d)" % st["datapath"]["rx"], st["text"])


def scenario_miss(tmp):
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    for i in range(5):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], payload=tag(i)))
    got = tr.recv(600)
    check(got == [], "no flow: a table miss drops (nothing arrives)", got)
    st = d.ok("stats")
    check(st["datapath"]["misses"] >= 5, "stats count the misses (%d)"
          % st["datapath"]["misses"], st["text"])
    d.ok("add-flow", {"flow": "table=0,priority=0,actions=goto_table:3"})
    d.ok("add-flow", {"flow": "table=3,priority=0,actions=output:uplink"})
    d.ok("add-flow", {"flow": "table=3,priority=5,in_port=vf1,actions=drop"})
    for i in range(5):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], payload=tag(10 + i)))
        tr.send("vf1", frame(VF_MAC[0], VF_MAC[1], payload=tag(20 + i)))
    got = tr.recv(800)
    tags = sorted(tag_of(p) for port, p in got if port == "wire")
    check(tags == list(range(10, 15)), "table-miss flow and goto_table: vf0 "
          "to the wire, vf1 dropped", got[:3])


def scenario_resubmit(tmp):
    """resubmit(,N) as a flow's last action, to a later table, is
    goto_table:N on the card (docs/snicd.md, "Where a flow lives"): a rule
    that rewrites, marks with the resume mark and jumps; a frame that then
    misses in table N's hardware resumes in software at table N, rewritten.
    Every other resubmit stays in software, saying why."""
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    flows = {
        "jump": "table=0,priority=10,in_port=vf0,actions="
                "mod_dl_src:02:00:00:00:00:aa,resubmit(,1)",
        "tcp": "table=1,priority=10,in_port=vf0,tcp,actions=output:vf1",
        # no exact in_port: an output may hit the ingress port, software
        "udp": "table=1,priority=5,udp,actions=output:vf2",
        "port": "table=0,priority=10,in_port=vf1,actions=resubmit(vf0,1)",
        "back": "table=1,priority=10,in_port=vf3,actions=resubmit(,0)",
        "returns": "table=0,priority=10,in_port=vf2,actions=resubmit(,1),"
                   "output:vf3",
    }
    for f in flows.values():
        d.ok("add-flow", {"flow": f})

    words = {"jump": ("table=0,", "in_port=vf0"),
             "tcp": ("table=1,", "in_port=vf0"), "udp": ("udp",),
             "port": ("in_port=vf1",), "back": ("in_port=vf3",),
             "returns": ("in_port=vf2",)}

    def state(key):
        for f in d.flows():
            if all(w in f["text"] for w in words[key]):
                return f
        raise RuntimeError("no flow with %s" % (words[key],))
    for key in ("jump", "tcp"):
        check(state(key)["offload"] == "hw", "%s: in hardware" % key,
              state(key))
    check(state("udp")["offload"] == "sw", "udp: in software",
          state("udp"))
    reasons = {"port": "resubmit(vf0,1) not offloaded (it looks the table "
                       "up as received on another port",
               "back": "resubmit(,0) in table 1 not offloaded (a lookup of "
                       "its own or an earlier table may loop",
               "returns": "resubmit not offloaded where actions follow it"}
    for key, why in reasons.items():
        f = state(key)
        check(f["offload"] == "sw" and why in f["reason"],
              "%s: in software, saying '%s'" % (key, why), f)
    r = d.ctl("dump-flows")
    line = [x for x in r.stdout.splitlines()
            if "resubmit(,1)" in x and "in_port=vf0" in x]
    check(len(line) == 1 and "offload=hw" in line[0],
          "snicctl dump-flows shows the resubmit flow as hw", r.stdout)
    st0 = d.ok("stats")["datapath"]
    for i in range(10):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], proto=6, payload=tag(i)))
    for i in range(7):
        tr.send("vf0", frame(VF_MAC[2], VF_MAC[0], payload=tag(20 + i)))
    got = tr.recv(800)
    at = {}
    for port, p in got:
        at.setdefault(port, []).append(p)
    src = mac("02:00:00:00:00:aa")
    check(sorted(tag_of(p) for p in at.get("vf1", [])) == list(range(10))
          and all(p[6:12] == src for p in at["vf1"]),
          "10 TCP frames to vf1 by the card, the source rewritten",
          [(port, p[:12].hex()) for port, p in got[:3]])
    check(sorted(tag_of(p) for p in at.get("vf2", [])) ==
          list(range(20, 27)) and all(p[6:12] == src for p in at["vf2"]),
          "7 UDP frames, which miss in table 1 on the card, to vf2 by "
          "software resuming at table 1, rewritten by the card",
          [(port, p[:12].hex()) for port, p in got[:3]])
    check(set(at) <= {"vf1", "vf2"}, "nothing else leaves", list(at))
    deadline = time.time() + 5
    while True:
        counts = {key: state(key)["n_packets"]
                  for key in ("jump", "tcp", "udp")}
        if counts == {"jump": 17, "tcp": 10, "udp": 7} or \
                time.time() > deadline:
            break
        time.sleep(0.2)
    check(counts == {"jump": 17, "tcp": 10, "udp": 7},
          "counters: the jump's rule counts all 17, table 1's flows theirs: "
          "%s" % counts)
    st = d.ok("stats")["datapath"]
    check(st["rx"] - st0["rx"] == 7 and st["marked"] - st0["marked"] == 7,
          "only the 7 misses reached software, each with the resume mark "
          "(rx +%d, marked +%d)" % (st["rx"] - st0["rx"],
                                    st["marked"] - st0["marked"]))


def scenario_regs(tmp):
    """Registers on the card (docs/snicd.md, "Registers and pkt_mark"):
    pkt_mark as META, reg0..7 as TAGs; a packet that leaves the card by a
    resume mark brings its pkt_mark into software; a register written
    before a jump to a sealed table stays on the card, and goes partial
    (software gives the same answer) once a flow there is partial; a flow
    on a register value no hardware flow writes has no rule."""
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    flows = [
        # 1: hw, SET_META then the jump
        "cookie=0x1,table=0,priority=20,in_port=vf0,udp "
        "actions=set_field:0x7->pkt_mark,goto_table:1",
        # 2: hw in table 1, META matched by the card
        "cookie=0x2,table=1,priority=20,in_port=vf0,udp,tp_dst=53,"
        "pkt_mark=0x7 actions=output:vf2",
        # 3: software (mod_nw_ttl, no exact in_port: not even partial):
        # only a packet that brought pkt_mark 7 from the card matches
        "cookie=0x3,table=1,priority=10,udp,pkt_mark=0x7 "
        "actions=mod_nw_ttl:9,output:vf1",
        "cookie=0x4,table=1,priority=0 actions=output:vf3",
        # 5: hw, TAG and META matched at zero, a register written with no
        # jump after it
        "cookie=0x5,table=0,priority=30,in_port=vf1,udp,reg0=0,pkt_mark=0 "
        "actions=set_field:0x9->reg1,output:vf2",
        # 6: a register written before a jump: whole on the card, since
        # no packet can reach software from table 2 (its flows are all
        # whole in hardware, 8 a catch-all)
        "cookie=0x6,table=0,priority=25,in_port=vf2,udp "
        "actions=set_field:0x3->reg2,goto_table:2",
        # 7: hw, the card matches TAG 2, which 6 set on the card
        "cookie=0x7,table=2,priority=10,in_port=vf2,reg2=0x3 "
        "actions=output:vf0",
        "cookie=0x8,table=2,priority=0 actions=drop",
        # 10: no flow writes reg3 before table 1: it has no rule, and it
        # shadows nothing (without an exact in_port it would otherwise be
        # in software above 2)
        "cookie=0xa,table=1,priority=30,udp,reg3=0x1 actions=output:vf1",
    ]
    r, e = d.call("add-flows", {"flows": flows, "file": "regs"})
    check(e is None, "add-flows", e)
    fl = {f["cookie"]: f for f in d.flows()}
    want = {"0x1": "hw", "0x2": "hw", "0x3": "sw", "0x5": "hw",
            "0x6": "hw", "0x7": "hw", "0x8": "hw", "0xa": "sw"}
    got = {c: fl[c]["offload"] for c in want if c in fl}
    check(got == want, "places: %s" % got,
          [(f["text"], f["offload"], f["reason"]) for f in fl.values()])
    check("matches reg3=0x1, which no hardware flow writes before table 1"
          in fl.get("0xa", {}).get("reason", ""),
          "a flow on a register value nothing on the card writes says so",
          fl.get("0xa"))
    check(d.ok("capabilities")["tag_registers"] == 8,
          "capabilities: the card's 8 TAG registers")
    r = d.ctl("dump-flows")
    check(r.returncode == 0 and r.stdout.count("offload=hw") == 6,
          "dump-flows shows the 6 register flows in hardware", r.stdout)

    def traffic(base):
        for i in range(6):
            tr.send("vf0", frame(VF_MAC[2], VF_MAC[0], dport=53,
                                 payload=tag(base + i)))
            tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], dport=80,
                                 payload=tag(base + 100 + i)))
            tr.send("vf1", frame(VF_MAC[2], VF_MAC[1],
                                 payload=tag(base + 200 + i)))
            tr.send("vf2", frame(VF_MAC[0], VF_MAC[2],
                                 payload=tag(base + 300 + i)))
        at, ttl = {}, {}
        for port, p in tr.recv(1000):
            at.setdefault(port, []).append(tag_of(p) - base)
            ttl[tag_of(p) - base] = p[22]
        return at, ttl

    at, ttl = traffic(0)
    dns = sorted(n for n in at.get("vf2", []) if n < 100)
    check(dns == list(range(6)), "pkt_mark set and matched on the card: "
          "DNS from vf0 to vf2 (%s)" % dns)
    resumed = [p for p in at.get("vf1", [])]
    check(sorted(resumed) == list(range(100, 106)) and
          all(ttl[n] == 9 for n in resumed),
          "a miss after the card's jump resumes in software with its "
          "pkt_mark: vf0 -> vf1, TTL 9 (%s)"
          % [(n, ttl[n]) for n in resumed])
    from_vf1 = sorted(n for n in at.get("vf2", []) if 200 <= n < 300)
    check(from_vf1 == list(range(200, 206)), "reg0=0,pkt_mark=0 on the "
          "card: vf1 -> vf2 (%s)" % from_vf1)
    to_vf0 = sorted(at.get("vf0", []))
    check(to_vf0 == list(range(300, 306)), "reg2 written and matched on "
          "the card: vf2 -> vf0 (%s)" % to_vf0)
    check(at.get("vf3", []) == [], "nothing fell to the catch-alls",
          at.get("vf3", []))
    fl = wait_counters(d, {})
    n = {f["cookie"]: f["n_packets"] for f in fl.values()}
    check(n.get("0x1") == 12 and n.get("0x2") == 6 and n.get("0x3") == 6
          and n.get("0x5") == 6 and n.get("0x6") == 6 and n.get("0x7") == 6
          and n.get("0xa") == 0,
          "every flow counted its packets: %s" % n)
    st = d.ok("stats")
    check(st["datapath"]["marked"] == 6, "software saw the 6 resumed "
          "packets only: table 2's hardware rule counted the register's "
          "(marked %d)" % st["datapath"]["marked"], st["text"])

    # a flow of table 2 goes partial (the card has no SET_IPV4_DSCP): a
    # packet could reach software from table 2, so 6 is partial again,
    # and software answers as the card did
    d.ok("add-flow", {"flow": "cookie=0x9,table=2,priority=20,in_port=vf3,"
                              "ip actions=mod_nw_tos:0x20,output:vf1"})
    fl = {f["cookie"]: f for f in d.flows()}
    got = {c: fl[c]["offload"] for c in ("0x6", "0x7", "0x9") if c in fl}
    check(got == {"0x6": "partial", "0x7": "hw", "0x9": "partial"},
          "a partial flow in table 2 makes the writer partial: %s" % got,
          [(f["text"], f["offload"], f["reason"]) for f in fl.values()])
    why = fl.get("0x6", {}).get("reason", "")
    check("write to reg2 before jumping to table 2 not offloaded (flow " in
          why and "of table 2 is partial, so a packet can reach software "
          "from there" in why, "the writer says why it is partial", why)
    at, ttl = traffic(1000)
    to_vf0 = sorted(at.get("vf0", []))
    check(to_vf0 == list(range(300, 306)), "reg2 written in software, "
          "matched: vf2 -> vf0 (%s)" % to_vf0)
    check(sorted(n for n in at.get("vf2", []) if n < 100) == list(range(6))
          and at.get("vf3", []) == [],
          "the other paths are unchanged", at)
    fl = wait_counters(d, {})
    n = {f["cookie"]: f["n_packets"] for f in fl.values()}
    check(n.get("0x6") == 12 and n.get("0x7") == 12,
          "the writer and table 2's flow counted both rounds: %s" % n)
    st = d.ok("stats")
    check(st["datapath"]["marked"] == 18, "software saw the 6 resumed and "
          "the 6 partial packets of this round (marked %d)"
          % st["datapath"]["marked"], st["text"])
    check(st["offload"]["reg_let_through"] == 1 and
          st["offload"]["reg_held_back"] == 1 and
          "register writes before a jump: let through 1 times, held back 1 "
          "times" in st["text"],
          "stats: the writer let through once, held back once",
          st["offload"])


def nobody_connects(path):
    """Can user nobody connect to @path? (a child process drops to it)"""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            os._exit(0)
        except OSError:
            os._exit(1)
        os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status) == 0


def plugin_refusals(tmp):
    """net_emunic is linked in; a -d plugin DPDK refuses (below a folder
    everybody may write) is explained, and the old --pmd says why it went."""
    ww = os.path.join(tmp, "world-writable")
    os.mkdir(ww)
    os.chmod(ww, 0o777)
    plugin = os.path.join(ww, "librte_net_other.so")
    open(plugin, "w").close()
    prefix = "snicdit%d" % os.getpid()
    r = subprocess.run([SNICD, "-d", plugin, "--no-huge", "--no-pci", "-m",
                        "128", "--file-prefix", prefix, "--no-telemetry",
                        "--", "--rundir", os.path.join(tmp, "never")],
                       capture_output=True, text=True, timeout=30)
    shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    check(r.returncode != 0 and ("-d %s: " % plugin) in r.stderr and
          "writable by everybody" in r.stderr and "LD_PRELOAD" in r.stderr,
          "a refused -d plugin: the folder named, and what to do",
          r.stderr[-1500:])
    r = subprocess.run([SNICD, "--", "--pmd", plugin], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 2 and "built into snicd" in r.stderr,
          "--pmd is refused: net_emunic is built in", r.stderr)


def ofctl_reads(line):
    """ovs-ofctl's reading of a flow line: the flow mod it would send,
    without the message header (ofctl's xid), or None when it refuses."""
    # OpenFlow 1.4: the first version with importance. Open vSwitch is
    # one of the suite's tools (scripts/setup installs it): without it
    # this fails, saying so, rather than skip what it proves
    if shutil.which("ovs-ofctl") is None:
        raise RuntimeError("ovs-ofctl not found (scripts/setup installs "
                           "openvswitch-switch)")
    r = subprocess.run(["ovs-ofctl", "-O", "OpenFlow14", "parse-flow",
                        line], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return [re.sub(r"^OFPT_FLOW_MOD \(OF1\.4\) \(xid=0x[0-9a-f]+\): ",
                   "", x) for x in r.stdout.splitlines()
            if x.startswith("OFPT_FLOW_MOD")]


def scenario_learn(tmp):
    """A flow learn()ed by the datapath is a flow like any other: it goes
    on the card, the card switches and counts its frames, and dump-flows
    lists it. Then every flow's dump-flows line (--no-stats --no-names) is
    read by Open vSwitch's ovs-ofctl back to the flow that was added."""
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    port = {p["name"]: p["ofport"] for p in d.ok("show")["ports"]}
    vf0, vf1 = port["vf0"], port["vf1"]
    # vf0's frames teach table 1 where vf0's MAC is, for frames from vf1
    # (an exact in_port: the card outputs to a port other than the
    # ingress one only under one)
    added = [
        "priority=10,in_port=%d,actions=learn(table=1,priority=100,"
        "hard_timeout=300,in_port=%d,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
        "output:NXM_OF_IN_PORT[]),output:%d" % (vf0, vf1, vf1),
        "priority=10,in_port=%d,actions=goto_table:1" % vf1,
        "table=1,priority=0,actions=drop",
        # flags a dump keeps, as Open vSwitch does
        "table=2,priority=5,importance=7,send_flow_rem,check_overlap,"
        "tcp,actions=drop",
    ]
    for f in added:
        d.ok("add-flow", {"flow": f})
    tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], payload=tag(1)))
    got = tr.recv(500)
    check([p for port_, p in got if port_ == "vf1"] != [],
          "vf0's frame reaches vf1 through the learning flow", got)
    learned = None
    deadline = time.time() + 10
    while time.time() < deadline:
        learned = [f for f in d.flows() if f["table"] == 1
                   and f["priority"] == 100]
        if learned and learned[0]["offload"] == "hw":
            break
        time.sleep(0.2)
    check(learned and learned[0]["offload"] == "hw",
          "the learned flow is in hardware like any other", learned)
    check(all(f["offload"] in ("partial", "sw")
              and "learn not offloaded" in f["reason"]
              for f in d.flows() if f["table"] == 0 and "learn(" in f["text"]),
          "the learning flow's learn runs in software, saying why",
          d.flows())
    rx0 = d.ok("stats")["datapath"]["rx"]
    sent = [frame(VF_MAC[0], VF_MAC[1], payload=tag(10 + i))
            for i in range(12)]
    for f in sent:
        tr.send("vf1", f)
    got = tr.recv(800)
    check(sorted(p for port_, p in got if port_ == "vf0") == sorted(sent),
          "vf1's 12 frames to vf0's MAC reach vf0", got[:2])
    fl = wait_counters(d, {})
    counts = [f["n_packets"] for f in d.flows()
              if f["table"] == 1 and f["priority"] == 100]
    check(counts == [12], "the learned flow counts the 12 frames: %s"
          % counts, fl)
    check(d.ok("stats")["datapath"]["rx"] == rx0,
          "none of them reached the software datapath: the card switched "
          "them", d.ok("stats")["datapath"])

    # dump-flows read back by Open vSwitch, a line per flow
    r = d.ctl("--no-stats", "--no-names", "dump-flows")
    check(r.returncode == 0 and "offload=" not in r.stdout
          and "n_packets" not in r.stdout,
          "dump-flows --no-stats: the flows alone", r.stdout + r.stderr)
    dumped = [x.strip() for x in r.stdout.splitlines() if x.strip()]
    learned_line = "table=1,priority=100,hard_timeout=300,in_port=%d," \
        "dl_dst=%s,actions=output:%d" % (vf1, VF_MAC[0], vf0)
    want = sorted((ofctl_reads(f) or ["refused: " + f])
                  for f in added + [learned_line])
    got_back = sorted((ofctl_reads(x) or ["refused: " + x]) for x in dumped)
    check(not any(w[0].startswith("refused") for w in want)
          and got_back == want,
          "ovs-ofctl reads dump-flows' lines back to the flows added and "
          "learned", {"dumped": dumped, "want": want, "got": got_back})
    _, e = d.call("dump-flows", {"no_stats": 1})
    check(e is not None and "'no_stats' must be true or false"
          in e.get("message", ""), "a dump-flows option of the wrong type "
          "is refused by name", e)
    r = d.ctl("--no-names", "dump-flows")
    lines = [x.split(" offload=")[0].strip() for x in r.stdout.splitlines()
             if x.strip()]
    check(r.returncode == 0 and
          sorted((ofctl_reads(x) or ["refused: " + x])
                 for x in lines) == want,
          "ovs-ofctl reads the lines with counters the same, up to the "
          "offload state", r.stdout)


def scenario_errors(tmp):
    plugin_refusals(tmp)
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    ctl = os.path.join(d.rundir, "snicd.ctl")
    check(os.stat(d.rundir).st_mode & 0o777 == 0o750 and
          os.stat(ctl).st_mode & 0o777 == 0o660,
          "run directory 0750, control socket 0660")
    if os.getuid() == 0:
        check(not nobody_connects(ctl), "another user cannot reach the "
              "control socket")
    r = d.ctl("add-flow", "in_port=vf0,tp_dst=80,actions=output:vf1")
    check(r.returncode != 0 and "flow: at 12 'tp_dst=80': tp_dst requires"
          in r.stderr, "the parser's message reaches snicctl verbatim",
          r.stderr)
    r = d.ctl("add-flow", "in_port=vf9,actions=output:vf1")
    check(r.returncode != 0 and "vf9" in r.stderr, "unknown port named",
          r.stderr)
    path = os.path.join(tmp, "flows.txt")
    with open(path, "w") as f:
        f.write("# comment\npriority=1,in_port=vf0,actions=output:vf1\n\n"
                "priority=2,in_port=vf0,actoins=drop\n")
    r = d.ctl("add-flows", path)
    check(r.returncode != 0 and (path + ":4:") in r.stderr,
          "add-flows names file:line of the bad line", r.stderr)
    check(d.flows() == [], "nothing of a bad batch is applied")
    _, e = d.call("add-flows", {"flows": "x"})
    check(e is not None and e["code"] == -32602, "flows must be an array",
          e)
    _, e = d.call("add-flow", {"flow": "in_port=vf0,actions=drop", "x": 1})
    check(e is not None and "unknown parameter 'x'" in e["message"],
          "unknown parameters are refused", e)
    _, e = d.call("del-flows", {"strict": "yes"})
    check(e is not None and "strict" in e["message"], "strict must be a "
          "boolean", e)
    with open(path, "w") as f:
        for i in range(50):
            f.write("priority=%d,in_port=vf0,actions=output:vf1\n" % i)
    r = d.ctl("add-flows", path)
    check(r.returncode == 0 and "50 flows added" in r.stdout,
          "add-flows of 50 flows", r.stdout + r.stderr)
    r = d.ctl("--strict", "del-flows", "priority=7,in_port=vf0")
    check(r.returncode == 0 and len(d.flows()) == 49, "strict delete of one")
    r = d.ctl("mod-flows", "in_port=vf0,actions=output:vf2")
    fl = d.flows()
    check(all("output:vf2" in f["text"] for f in fl), "loose modify of all")
    r = d.ctl("stats")
    check(r.returncode == 0 and "50 flows" in r.stdout and "flows/s" in
          r.stdout, "stats show the last batch's insertion rate", r.stdout)
    r = d.ctl("capabilities")
    check(r.returncode == 0 and "net_emunic" in r.stdout and "priority "
          "levels" in r.stdout, "capabilities", r.stdout)


def scenario_restart(tmp, seed):
    rnd = random.Random(seed)
    nic = Emunic(tmp)
    journal = os.path.join(tmp, "flows.journal")
    d = Snicd(tmp, nic, "--journal", journal)
    acked = []
    stop = threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            batch = ["priority=%d,in_port=vf%d,ip,nw_dst=10.%d.%d.%d,"
                     "actions=output:uplink" % (100 + (n + i) % 1000,
                     (n + i) % 4, ((n + i) >> 16) & 255,
                     ((n + i) >> 8) & 255, (n + i) & 255)
                     for i in range(500)]
            try:
                _, e = d.call("add-flows", {"flows": batch, "file": "bulk"},
                              timeout=30)
            except (OSError, ValueError):
                return
            if e is not None:
                return
            acked.extend(batch)
            n += 500

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(rnd.uniform(0.8, 2.5))
    d.proc.kill()       # SIGKILL during the bulk insertion
    d.proc.wait()
    stop.set()
    t.join()
    print("  killed snicd after %d acknowledged flows (seed %d)"
          % (len(acked), seed))
    check(len(acked) > 0, "some batches were acknowledged before the kill")
    d.start()
    fl = d.flows()
    texts = set()
    for f in fl:
        t_ = f["text"]
        texts.add(t_[t_.index("priority="):])
    missing = [a for a in acked
               if a.replace(",actions=", " actions=").replace(
                   "in_port=", "ip,in_port=").replace(",ip,nw_dst", ",nw_dst")
               not in texts]
    check(len(fl) >= len(acked), "after restart %d flows, %d were "
          "acknowledged" % (len(fl), len(acked)))
    check(not missing, "every acknowledged flow is back (%d missing)"
          % len(missing), missing[:3])
    hw = sum(1 for f in fl if f["offload"] == "hw")
    check(hw == len(fl), "and in hardware (%d of %d)" % (hw, len(fl)))
    # The killed instance's rules stay in the card (the device outlives a
    # driver); the restarted one re-installs every flow. Only because the
    # PMD flushes the card at probe is there no second copy: a flow deleted
    # now must stop forwarding.
    restart_deleted_flow_stops(d, Traffic(nic), acked[0])
    check(d.stop() == 0, "SIGTERM stops snicd cleanly (exit 0)")
    d.start()
    check(len(d.flows()) == len(fl) - 1, "a clean stop keeps them too")



def scenario_tlv_restart(tmp):
    """The TLV map is kept beside the journal: after SIGKILL and after a
    clean stop snicd comes back with the same map and with the flows that
    use tun_metadata fitted to it (the option's place in a packet's
    metadata moves: tun_metadata1 was mapped first, the kept map is
    re-made in index order), and they still steer traffic."""
    nic = Emunic(tmp)
    journal = os.path.join(tmp, "flows.journal")
    d = Snicd(tmp, nic, "--journal", journal)
    tr = Traffic(nic)
    d.ok("add-tlv-map", {"map": "{class=0xffff,type=1,len=8}->tun_metadata1"})
    d.ok("add-tlv-map", {"map": "{class=0xffff,type=0,len=4}->tun_metadata0"})
    d.ok("add-flow", {"flow": "table=0,in_port=vf0,ip,actions="
                              "load:0x1234->tun_metadata0,resubmit(,1)"})
    d.ok("add-flow", {"flow": "table=1,priority=10,tun_metadata0=0x1234,"
                              "actions=output:vf1"})
    d.ok("add-flow", {"flow": "table=1,priority=0,actions=output:vf2"})
    tlv0 = d.ok("dump-tlv-map")["mappings"]

    def texts():
        """The flows' text without their age and counts."""
        return sorted(re.sub(r"(duration|n_packets|n_bytes)=[^,]*, ", "",
                             f["text"]) for f in d.flows())

    texts0 = texts()

    def steered(when):
        for i in range(5):
            tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], payload=tag(i)))
        got = tr.recv(1000)
        ports = sorted(set(port for port, _ in got))
        check(len(got) == 5 and ports == ["vf1"], "%s: the 5 frames match "
              "tun_metadata0=0x1234 and reach vf1 (%d frames, ports %s)"
              % (when, len(got), ports))

    steered("before any restart")
    check(os.path.exists(journal + ".tlv"), "the map is kept beside the "
          "journal")
    for how in ("SIGKILL", "SIGTERM"):
        if how == "SIGKILL":
            d.proc.kill()
            d.proc.wait()
        else:
            check(d.stop() == 0, "SIGTERM stops snicd cleanly (exit 0)")
        d.start()
        check(d.ok("dump-tlv-map")["mappings"] == tlv0, "after %s: the same "
              "TLV map" % how)
        now = texts()
        check(now == texts0, "after %s: the same flows" % how,
              [now, texts0])
        steered("after " + how)
    # an option no flow uses goes, and stays gone
    d.ok("del-tlv-map", {"map": "{class=0xffff,type=1,len=8}->"
                                "tun_metadata1"})
    d.proc.kill()
    d.proc.wait()
    d.start()
    idx = [m["index"] for m in d.ok("dump-tlv-map")["mappings"]]
    check(idx == [0], "an unmapped option stays unmapped across a restart "
          "(%s)" % idx)


def flow_lines(n, first=0, pad=0):
    """@n distinct flows, each padded with @pad spaces (still one flow)."""
    return ["priority=%d,in_port=vf%d,ip,nw_dst=10.%d.%d.%d,%sactions=drop\n"
            % (100 + (i % 500), i % 4, (i >> 16) & 255, (i >> 8) & 255,
               i & 255, " " * pad) for i in range(first, first + n)]


def scenario_add_flows_file(tmp):
    """add-flows of files larger than one request: one transaction, bad
    bytes named, --chunked commits with a count, snicd dying mid-file."""
    nic = Emunic(tmp)
    d = Snicd(tmp, nic, "--no-offload")
    path = os.path.join(tmp, "big.flows")
    lines = flow_lines(30000)
    lines[24999] = "priority=1,in_port=vf0,actions=bogus\n"
    with open(path, "w") as f:
        f.writelines(lines)
    r = d.ctl("add-flows", path)
    check(r.returncode != 0 and (path + ":25000:") in r.stderr and
          "nothing of this file was added" in r.stderr,
          "a bad line 25,000 of 30,000 is named", r.stderr)
    check(len(d.flows()) == 0, "and nothing of the file was added (%d "
          "flows)" % len(d.flows()))
    r = d.ctl("--chunked", "add-flows", path)
    check(r.returncode != 0 and "committed: 20000 flows (lines 1-20000); "
          "nothing from line 20001 on was added" in r.stderr,
          "--chunked says what was committed before the bad line", r.stderr)
    check(len(d.flows()) == 20000, "and exactly that is live (%d flows)"
          % len(d.flows()))
    d.ok("del-flows", {})
    # invalid UTF-8 and a NUL byte: named, nothing added, numbering kept
    good = flow_lines(3)
    for bad, what in ((b"priority=7,in_port=vf0,actions=drop # \xff\xfe\n",
                       "not valid UTF-8 at byte 39 of the line (0xff)"),
                      (b"priority=7,in_port=vf0,\0actions=drop\n",
                       "a NUL byte at byte 24 of the line")):
        with open(path, "wb") as f:
            f.write((good[0] + "\n" + good[1]).encode() + bad +
                    good[2].encode())
        r = d.ctl("add-flows", path)
        check(r.returncode != 0 and ("%s:4: %s" % (path, what)) in r.stderr
              and "nothing of it was added" in r.stderr,
              "a line with %s is an error naming line 4" % what.split(" at")[0],
              r.stderr)
        check(len(d.flows()) == 0, "and nothing of the file was added")
    # an argument that is not UTF-8 (was: "missing parameter 'flow'")
    r = d.ctl("add-flow", b"in_port=vf0,actions=output:vf1\xff")
    check(r.returncode == 2 and "add-flow: argument 1 is not valid UTF-8 "
          "(byte 31, 0xff): nothing was sent" in r.stderr,
          "an argument that is not UTF-8 is named as such", r.stderr)
    # one flow 10,000 times (was: "10000 flows added")
    with open(path, "w") as f:
        f.write("priority=4,in_port=vf3,actions=drop\n" * 10000)
    r = d.ctl("add-flows", path)
    check(r.returncode == 0 and "10000 flows added from %s (1 new, 9999 "
          "replaced)" % path in r.stdout, "add-flows says how many were new",
          r.stdout + r.stderr)
    d.ok("del-flows", {})
    # a valid file over the 64 MiB request limit: one transaction
    big = flow_lines(34000, pad=2000)
    with open(path, "w") as f:
        f.writelines(big)
    size = os.path.getsize(path)
    r = d.ctl("add-flows", path)
    check(r.returncode == 0 and "34000 flows added from %s (34000 new, 0 "
          "replaced)" % path in r.stdout,
          "a valid %.0f MB file is added" % (size / 1e6),
          r.stdout + r.stderr)
    check(len(d.flows()) == 34000, "all 34000 flows are live")
    d.ok("del-flows", {})
    # snicd killed while the file streams in: snicctl says what happened
    with open(path, "w") as f:
        f.writelines(flow_lines(34000, pad=2000))
    p = subprocess.Popen([SNICCTL, "-s", d.rundir, "add-flows", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(1.0)
    d.proc.kill()
    d.proc.wait()
    out, err = p.communicate(timeout=60)
    d.start()
    n = len(d.flows())
    if "before the file was committed" in err:
        check("nothing of it was added" in err and n == 0, "snicd killed "
              "mid-file: snicctl says nothing was added, and nothing was "
              "(%d flows after restart)" % n, err)
    elif "while committing" in err:
        check(n in (0, 34000), "snicd killed while committing: all or "
              "nothing (%d flows after restart)" % n, err)
    else:
        check(p.returncode == 0 and n == 34000, "the file made it before "
              "the kill (%d flows)" % n, out + err)
    print("  killed during add-flows: %s" % (err.strip().splitlines() or
                                            ["(no error)"])[-1])
    check(d.stop() == 0, "snicd stops cleanly")



def pids_after(pid, n):
    """The n PIDs the kernel hands out after @pid, wrapping as it does."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    # after a wrap the kernel starts again above its reserved low PIDs
    return [p if p < pid_max else p - pid_max + 301
            for p in range(pid + 1, pid + 1 + n)]


def stale_folder_check(tmp, nic, base):
    """A snicd killed with SIGKILL leaves its snicd-PID folder; PIDs wrap,
    so a later snicd may be given that PID. Folders with a killed
    instance's files are planted for the next PIDs the kernel hands out:
    the snicd that lands on one of them must not run with those files."""
    marker = spawn(["true"])
    marker.wait()
    planted = []
    for pid in pids_after(marker.pid, 500):
        folder = os.path.join(base, "snicd-%d" % pid)
        if os.path.exists(folder):
            continue
        os.makedirs(folder)
        for name in ("config", "fbarray_memzone"):
            with open(os.path.join(folder, name), "w") as f:
                f.write("left by a killed snicd\n")
        planted.append(folder)
    try:
        d = Snicd(tmp, nic, name="snicd-stale")
        folder = os.path.join(base, "snicd-%d" % d.proc.pid)
        check(folder in planted, "stale folders planted for the next PIDs: "
              "snicd (PID %d) started on one" % d.proc.pid)
        files = os.listdir(folder) if os.path.isdir(folder) else []
        check(files == [], "a killed snicd's files in its folder are cleared",
              files)
        check(d.stop() == 0, "snicd stops cleanly")
        check(not os.path.exists(folder), "no %s after the stop" % folder)
    finally:
        for folder in planted:
            shutil.rmtree(folder, ignore_errors=True)


def scenario_eal_dir(tmp):
    """DPDK's runtime folder goes with snicd: rte_eal_cleanup() of this
    DPDK leaves /var/run/dpdk/PREFIX (13 MB of shared files without
    --no-shconf) behind, so snicd removes it at exit."""
    nic = Emunic(tmp)
    base = dpdk_runtime_base()
    stale_folder_check(tmp, nic, base)
    d = Snicd(tmp, nic)
    folder = os.path.join(base, "snicd-%d" % d.proc.pid)
    check(os.path.isdir(folder), "default EAL arguments: %s while snicd "
          "runs" % folder)
    files = os.listdir(folder) if os.path.isdir(folder) else []
    check(files == [], "and it holds no shared files (--no-shconf)", files)
    check(d.stop() == 0, "snicd stops cleanly")
    check(not os.path.exists(folder), "no %s after the stop" % folder)
    prefix = "snicdeal%d" % os.getpid()
    folder = os.path.join(base, prefix)
    e = EalSnicd(tmp, ["--vdev", "net_emunic0,socket=%s,"
                       "representor=vf[0-%d]" % (nic.sock, NVFS - 1),
                       "--no-huge", "--no-pci", "-m", "512", "--file-prefix",
                       prefix, "--no-telemetry", "-l", "0,1"], "--journal",
                 "none")
    files = os.listdir(folder) if os.path.isdir(folder) else []
    check("config" in files, "EAL arguments with --file-prefix %s: its "
          "shared files while snicd runs" % prefix, files)
    check(e.stop() == 0, "snicd stops cleanly")
    check(not os.path.exists(folder), "no %s after the stop" % folder,
          os.listdir(folder) if os.path.isdir(folder) else "")


def restart_deleted_flow_stops(d, tr, flow):
    """@flow (in_port=vf0, output:uplink) forwards; once deleted with
    snicctl, none of its frames reaches any port."""
    dst = flow.split("nw_dst=")[1].split(",")[0]
    match = flow[:flow.index(",actions=")]

    def send(first):
        for k in range(5):
            tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], nw_dst=dst,
                                 payload=tag(first + k)))
        return tr.recv(600)

    got = send(0)
    check(sorted(tag_of(p) for port, p in got if port == "wire") ==
          list(range(5)), "%s forwards to the wire before the delete" % dst,
          [(port, tag_of(p)) for port, p in got][:5])
    r = d.ctl("--strict", "del-flows", match)
    check(r.returncode == 0, "snicctl --strict del-flows " + match,
          r.stdout + r.stderr)
    got = send(100)
    check(got == [], "after the delete no frame to %s is forwarded: no "
          "stale copy of the killed snicd's rule in the card" % dst,
          [(port, tag_of(p)) for port, p in got][:5])


def vxlan_frame(inner, vni, src="192.168.0.2", dst="192.168.0.1"):
    udp = struct.pack("!HHHH", 4321, 4789, 16 + len(inner), 0)
    vx = struct.pack("!II", 0x08000000, vni << 8)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 8 + len(inner), 0,
                     0x4000, 64, 17, 0, ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return mac("02:00:00:00:00:a1") + mac("02:00:00:00:00:b2") + \
        b"\x08\x00" + ip + udp + vx + inner


def scenario_vxlan(tmp):
    import json     # local: only this scenario reads snicctl --json
    nic = Emunic(tmp)
    d = Snicd(tmp, nic, "--vxlan", "local=192.168.0.1,remote=192.168.0.2,"
              "local-mac=02:00:00:00:00:a1,remote-mac=02:00:00:00:00:b2")
    tr = Traffic(nic)
    sh = d.ok("show")
    check(any(p["name"] == "vxlan0" and p["ofport"] == 100
              for p in sh["ports"]), "show lists vxlan0 as OpenFlow 100",
          sh["text"])
    d.ok("add-flow", {"flow": "in_port=vf0,actions=set_tunnel:5,"
                              "output:vxlan0"})
    d.ok("add-flow", {"flow": "in_port=vxlan0,tun_id=5,actions=output:vf1"})
    inner = frame(VF_MAC[1], VF_MAC[0], payload=tag(1))
    tr.send("vf0", inner)
    got = tr.recv(600)
    wire = [p for port, p in got if port == "wire"]
    ok = len(wire) == 1
    if ok:
        o = wire[0]
        ok = (o[:6] == mac("02:00:00:00:00:b2") and o[12:14] == b"\x08\x00"
              and o[30:34] == ip4("192.168.0.2") and o[26:30] ==
              ip4("192.168.0.1") and o[36:38] == b"\x12\xb5" and
              o[46:49] == b"\x00\x00\x05" and o[50:] == inner)
    check(ok, "vf0 -> vxlan0: encapsulated to the remote VTEP, VNI 5",
          [p.hex() for p in wire])
    tr.send("wire", vxlan_frame(inner, 5))
    tr.send("wire", vxlan_frame(frame(VF_MAC[1], VF_MAC[0], payload=tag(2)),
                                6))
    got = tr.recv(600)
    check([(port, p) for port, p in got] == [("vf1", inner)],
          "wire -> vxlan0 (VNI 5) decapsulated to vf1; VNI 6 misses",
          [(port, p.hex()) for port, p in got])
    # one guard for vxlan0 jumping to the pop rules, one decap context
    # (vxlan0, VNI 5) with its pop rule; stats shows them in text and JSON
    off = d.ok("stats")["offload"]
    check(off.get("guard_mode") == "decap" and off.get("guard_rules") == 1
          and off.get("decap_contexts") == 1,
          "stats: guard decap, 1 guard rule, 1 decap context", off)
    r = d.ctl("stats")
    check(r.returncode == 0 and "tunnels: guard decap, 1 guard rules, 1 "
          "decap contexts" in r.stdout, "snicctl stats prints the tunnel "
          "line", r.stdout)
    r = d.ctl("--json", "stats")
    try:
        jo = json.loads(r.stdout)["offload"]
    except (ValueError, KeyError) as e:
        jo = {"error": repr(e)}
    check(r.returncode == 0 and jo.get("decap_contexts") == 1 and
          jo.get("guard_rules") == 1 and jo.get("guard_mode") == "decap",
          "snicctl --json stats has the tunnel fields", r.stdout)
    vxlan_decap_offload(d, tr)
    # the VNI 7 context came and went with its flow; after the delete of
    # every in_port=vxlan0 flow no pop rule is left, the guard stays
    off = d.ok("stats")["offload"]
    check(off.get("decap_contexts") == 0 and off.get("guard_rules") == 1,
          "stats after the delete: 0 decap contexts, the guard stays", off)
    vxlan_mark_window(d, tr, nic)


def vxlan_mark_window(d, tr, nic):
    """VXLAN frames from the wire while a decap context is made on a card
    whose commands take 20 ms each: the decap mark must be known to the
    workers before the pop rule can mark a frame, or a frame that misses
    after decap would be classified as from the uplink and go to vf0 by
    in_port=uplink's flow (the inner frame to the wrong VF)."""
    fw = os.environ.get("SNIC_FW", os.path.join(
        os.path.dirname(EMUNIC), "..", "cli", "snic-fw", "snic-fw"))
    tr.recv(100)
    r = subprocess.run([fw, "-s", nic.sock, "fault", "delay", "value=20000"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "emunic: every command delayed by 20 ms",
          r.stderr)
    res = {}

    def add():
        res["r"] = d.call("add-flow", {
            "flow": "priority=10,in_port=vxlan0,tun_id=11,ip,"
                    "nw_dst=10.0.0.2,actions=output:vf1"})
    th = threading.Thread(target=add)
    th.start()
    sent, n, t0 = {}, 0, time.time()
    while (th.is_alive() or n < 20) and time.time() - t0 < 20:
        f = frame(VF_MAC[1], VF_MAC[0], payload=tag(900 + n))
        sent[900 + n] = f
        tr.send("wire", vxlan_frame(f, 11))
        tr.proc.stdin.flush()
        n += 1
        time.sleep(0.002)
    th.join(30)
    subprocess.run([fw, "-s", nic.sock, "fault", "clear"],
                   capture_output=True, text=True, timeout=30)
    for _ in range(5):     # and a few once the context is there
        f = frame(VF_MAC[1], VF_MAC[0], payload=tag(900 + n))
        sent[900 + n] = f
        tr.send("wire", vxlan_frame(f, 11))
        n += 1
    got = tr.recv(800)
    check(res.get("r", (None, "no reply"))[1] is None,
          "add-flow of the VNI 11 flow under the delay", res)
    wrong = [tag_of(p) for port, p in got if port != "vf1"
             and tag_of(p) in sent]
    ok = [tag_of(p) for port, p in got if port == "vf1"
          and tag_of(p) in sent and p == sent[tag_of(p)]]
    check(wrong == [], "of %d VXLAN frames sent while the context was made "
          "and after, none reached another port than vf1 (%d did)"
          % (n, len(ok)),
          [(port, tag_of(p)) for port, p in got][:10])
    check(len(ok) >= 5, "the context forwards once it is made (%d)"
          % len(ok))
    st = d.ok("stats")
    check("decap_mark_drops" in st["datapath"] and "unknown decap mark" in
          st["text"], "stats counts unknown decap marks (dropped)",
          st["text"])


def vxlan_decap_offload(d, tr):
    """Decap flows in hardware: the card decapsulates and forwards, and a
    frame that misses after decap reaches software with its tunnel
    metadata (the decap mark), as one no pop rule takes does without."""
    d.ok("add-flows", {"flows": [
        "priority=5,in_port=vxlan0,tun_id=7,ip,actions=output:vf2",
        "priority=1,in_port=vxlan0,actions=output:vf3",
        "priority=1,in_port=uplink,actions=output:vf0"]})
    fl = {f["text"].split(" actions=")[0].split(", ")[-1]: f
          for f in d.flows()}
    want = {"in_port=vxlan0,tun_id=0x5": "hw",
            "priority=5,ip,tun_id=0x7,in_port=vxlan0": "hw",
            "priority=1,in_port=vxlan0": "sw",
            "priority=1,in_port=uplink": "hw"}

    def where(key):
        for k, f in fl.items():
            if sorted(k.split(",")) == sorted(key.split(",")):
                return f["offload"], f["reason"]
        return None, "no such flow in %s" % list(fl)
    for k, w in want.items():
        got_w, why = where(k)
        check(got_w == w, "dump-flows: %s is %s (%s)" % (k, w, why))
    check("exact tun_id" in where("priority=1,in_port=vxlan0")[1],
          "a wildcarded tun_id says why it stays in software")
    r = d.ctl("dump-flows")
    check(r.returncode == 0 and r.stdout.count("offload=hw") >= 4,
          "snicctl dump-flows shows the decap flows as offload=hw",
          r.stdout)

    st0 = d.ok("stats")["datapath"]
    sent = []
    for i in range(10):
        f = frame(VF_MAC[1], VF_MAC[0], payload=tag(300 + i))
        sent.append(f)
        tr.send("wire", vxlan_frame(f, 5))
    got = tr.recv(800)
    st1 = d.ok("stats")["datapath"]
    check(sorted(p for port, p in got if port == "vf1") == sorted(sent)
          and len(got) == 10, "10 VXLAN frames (VNI 5) decapsulated to vf1",
          [(port, tag_of(p)) for port, p in got])
    check(st1["rx"] == st0["rx"], "none of them reached the software "
          "datapath (rx %d -> %d)" % (st0["rx"], st1["rx"]))
    fl = wait_counters(d, {})
    n5 = [f["n_packets"] for f in fl.values()
          if "tun_id=0x5" in f["text"] and f["offload"] == "hw"]
    check(n5 == [11], "the hardware counter of the VNI 5 flow: %s" % n5)

    # VNI 7: IPv4 in hardware; ARP misses in the context's group and is
    # finished by software (decap mark) with the wildcard flow
    ip7 = frame(VF_MAC[1], VF_MAC[0], payload=tag(400))
    arp7 = frame(VF_MAC[1], VF_MAC[0], l3="arp", payload=tag(401))
    other = frame(VF_MAC[1], VF_MAC[0], payload=tag(402))
    plain = frame(VF_MAC[0], "02:00:00:00:00:77", payload=tag(403))
    tr.send("wire", vxlan_frame(ip7, 7))
    tr.send("wire", vxlan_frame(arp7, 7))
    # VNI 9: no pop rule; the guard keeps it from in_port=uplink's rule
    tr.send("wire", vxlan_frame(other, 9))
    tr.send("wire", plain)
    got = sorted(tr.recv(800), key=lambda pp: tag_of(pp[1]))
    st2 = d.ok("stats")["datapath"]
    check(got == [("vf2", ip7), ("vf3", arp7), ("vf3", other),
                  ("vf0", plain)],
          "VNI 7 IPv4 -> vf2 (hw), VNI 7 ARP -> vf3 (sw after hw decap), "
          "VNI 9 -> vf3 (sw decap), plain -> vf0 (hw)",
          [(port, tag_of(p)) for port, p in got])
    check(st2["rx"] - st1["rx"] == 2 and st2["marked"] - st1["marked"] == 1,
          "two frames reached software, one with the decap mark (rx +%d, "
          "marked +%d)" % (st2["rx"] - st1["rx"],
                           st2["marked"] - st1["marked"]))
    fl = wait_counters(d, {})
    n7 = [f["n_packets"] for f in fl.values() if "tun_id=0x7" in f["text"]]
    nw = [f["n_packets"] for f in fl.values()
          if "priority=1,in_port=vxlan0" in f["text"]]
    check(n7 == [1] and nw == [2], "counters: VNI 7 flow %s (hw), wildcard "
          "%s (sw)" % (n7, nw))
    r = d.ctl("del-flows", "in_port=vxlan0")
    check(r.returncode == 0, "del-flows in_port=vxlan0", r.stderr)
    tr.send("wire", vxlan_frame(ip7, 7))
    check(tr.recv(500) == [], "after the delete nothing forwards VNI 7")


def scenario_reset(tmp):
    nic = Emunic(tmp)
    d = Snicd(tmp, nic)
    tr = Traffic(nic)
    flows = ["priority=%d,in_port=vf0,ip,nw_dst=10.0.0.%d,actions=output:vf1"
             % (10 + i, i) for i in range(1, 101)]
    d.ok("add-flows", {"flows": flows})
    check(all(f["offload"] == "hw" for f in d.flows()), "100 flows in hw")
    tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], nw_dst="10.0.0.7",
                         payload=tag(1)))
    check(len(tr.recv(500)) == 1, "a frame through hardware")
    # counts the card holds are read at least once a second (dump-flows
    # reads them at once); a reset loses only what was not read yet
    fl = wait_counters(d, {})
    check([f["n_packets"] for f in fl.values() if "10.0.0.7 " in f["text"]]
          == [1], "counted in hardware before the reset")
    fw = os.environ.get("SNIC_FW", os.path.join(
        os.path.dirname(EMUNIC), "..", "cli", "snic-fw", "snic-fw"))
    r = subprocess.run([fw, "-s", nic.sock, "reset"], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 0, "firmware reset through snic-fw", r.stderr)
    t0 = time.time()
    st = {}
    while time.time() - t0 < 10:
        st = d.ok("stats")
        if st["offload"]["resyncs"] >= 1 and st["flows"]["hw"] == 100:
            break
        time.sleep(0.05)
    print("  recovered in %.2f s" % (time.time() - t0))
    check(st.get("offload", {}).get("resyncs", 0) >= 1 and
          st["flows"]["hw"] == 100, "after the reset all 100 flows are back "
          "in hardware", st.get("text"))
    for i in range(10):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], nw_dst="10.0.0.7",
                             payload=tag(10 + i)))
    got = tr.recv(800)
    check(len([1 for port, p in got if port == "vf1"]) == 10,
          "traffic resumes: 10 frames vf0 -> vf1 (%d)" % len(got))
    fl = wait_counters(d, {})
    n = [f["n_packets"] for f in fl.values() if "10.0.0.7 " in f["text"]]
    check(n == [11], "the flow's counter kept its count across the reset: %s"
          % n)


def scenario_taps(tmp):
    """The demo's set-up: emunic's VFs as kernel taps in network
    namespaces, ping between them through snicd (ARP in hardware, IP in
    software under the tiny profile)."""
    if os.getuid() != 0 or shutil.which("ip") is None:
        print("  skipped: needs root and iproute2")
        sys.exit(77)
    tag_ = "%d" % (os.getpid() % 10000)
    taps = ["snt%s_%d" % (tag_, i) for i in range(2)]
    nss = ["snins%s_%d" % (tag_, i) for i in range(2)]
    nic = Emunic(tmp, "tiny", vf_taps=taps)
    try:
        for i in range(2):
            ns = ["ip", "-n", nss[i]]
            for cmd in (["ip", "netns", "add", nss[i]],
                        ["ip", "link", "set", taps[i], "netns", nss[i]],
                        ns + ["addr", "add", "10.77.0.%d/24" % (i + 1),
                              "dev", taps[i]],
                        ns + ["link", "set", taps[i], "up"]):
                subprocess.run(cmd, check=True, capture_output=True)
        d = Snicd(tmp, nic)
        d.ok("add-flows", {"flows": [
            "in_port=vf0,arp,actions=output:vf1",
            "in_port=vf1,arp,actions=output:vf0",
            "in_port=vf0,ip,nw_dst=10.77.0.2,actions=output:vf1",
            "in_port=vf1,ip,nw_dst=10.77.0.1,actions=output:vf0"]})
        r = subprocess.run(["ip", "netns", "exec", nss[0], "ping", "-c", "3",
                            "-i", "0.2", "-W", "2", "10.77.0.2"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0 and " 0% packet loss" in r.stdout,
              "ping between two VF taps in namespaces", r.stdout + r.stderr)
        fl = wait_counters(d, {})
        arp = [f for f in fl.values() if ",arp" in f["text"] or "arp," in
               f["text"]]
        ip = [f for f in fl.values() if "nw_dst" in f["text"]]
        check(all(f["offload"] == "hw" for f in arp) and
              all(f["offload"] == "sw" for f in ip),
              "under --profile tiny ARP is in hardware, IP in software",
              [(f["text"], f["offload"]) for f in fl.values()])
        check(all(f["n_packets"] >= 3 for f in ip), "the software flows "
              "counted the echo requests and replies",
              [f["text"] for f in ip])
        d.stop()
    finally:
        for n in nss:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)


def neigh_flush(ns):
    """Forget @ns's neighbours, pending resolutions included (their ARP
    retries stop)."""
    subprocess.run(["ip", "-n", ns, "neigh", "flush", "all"],
                   capture_output=True, timeout=10)


def normal_in_hardware(d, macs, ping, nss):
    """NORMAL's known unicast conversations on the card (docs/snicd.md,
    "NORMAL in hardware"): after learning, vf0 <-> vf1 frames are switched
    by rules snicd derived from the NORMAL flow and counted there, not in
    software; the FDB ages of the MACs stay fresh while only the card sees
    their frames; a higher-priority flow added later wins over them."""
    def conv(fdb, src, dst):
        return [c for c in fdb["hardware"]
                if c["src"] == macs[src] and c["dst"] == macs[dst]]

    def flow_packets():
        return sum(f["n_packets"] for f in d.flows()
                   if "NORMAL" in f["text"])

    def sw_packets():
        return d.ok("stats")["datapath"]["rx"]

    # frames through software ask for the rules; a moment to drain them
    r = ping(0, 1, 3)
    check(r.returncode == 0, "vf0 pings vf1 again", r.stdout + r.stderr)
    deadline = time.time() + 5
    while time.time() < deadline:
        fdb = d.ok("fdb-show")
        if conv(fdb, 0, 1) and conv(fdb, 1, 0):
            break
        time.sleep(0.2)
    check(len(conv(fdb, 0, 1)) == 1 and len(conv(fdb, 1, 0)) == 1,
          "a hardware rule for each direction of vf0 <-> vf1", fdb)
    check(all(c["vlan"] == 10 for c in fdb["hardware"]),
          "in VLAN 10", fdb["hardware"])
    own = {e["mac"]: e["hw_rules"] for e in fdb["entries"]}
    check(own.get(macs[0]) == 1 and own.get(macs[1]) == 1,
          "fdb-show says which entries have hardware rules", fdb["entries"])
    st = d.ok("stats")["normal"]
    check(st["rules"] == len(fdb["hardware"]) and st["created"] >= 2,
          "stats counts the conversation rules", st)
    # the card carries the ping now: its rules count it, software not
    before = (conv(fdb, 0, 1)[0]["packets"], conv(fdb, 1, 0)[0]["packets"])
    sw_before, flow_before = sw_packets(), flow_packets()
    time.sleep(3)       # the MACs' last software frame is 3 s old
    r = ping(0, 1, 10)
    check(r.returncode == 0 and " 0% packet loss" in r.stdout,
          "vf0 pings vf1 through the card", r.stdout + r.stderr)
    time.sleep(1.5)     # fdb-show's counters are read once a second
    fdb = d.ok("fdb-show")
    after = (conv(fdb, 0, 1)[0]["packets"], conv(fdb, 1, 0)[0]["packets"])
    check(after[0] - before[0] >= 10 and after[1] - before[1] >= 10,
          "the conversation rules counted the ping's frames",
          (before, after))
    check(sw_packets() - sw_before < 5, "software received (almost) none "
          "of them", (sw_before, sw_packets()))
    deadline = time.time() + 5
    while flow_packets() - flow_before < 20 and time.time() < deadline:
        time.sleep(0.2)
    check(flow_packets() - flow_before >= 20, "the NORMAL flow's counters "
          "include what its conversation rules counted",
          (flow_before, flow_packets()))
    # the running total of frames the rules switched (what the diff test
    # requires, since rules that go take their counters with them)
    st2 = d.ok("stats")["normal"]
    check(st2["switched"] - st["switched"] >= 20
          and st2["evicted_idle"] == 0 and st2["evicted_room"] == 0,
          "stats counts the frames the rules switched, and no busy rule "
          "went idle", st2)
    ages = {e["mac"]: e["age"] for e in fdb["entries"]}
    check(ages.get(macs[0], 99) <= 2 and ages.get(macs[1], 99) <= 2,
          "the FDB ages stay fresh while only the card sees the frames",
          fdb["entries"])
    # dump-flows reads the conversation rules' counters with the flows'
    # (once a second before, the last second's frames came a read late):
    # a burst of 100 pings in about a second is in the dumps of the next
    # 250 ms (issue #13's bound on how far counts may lag the card; a
    # loaded machine's card may not have published the last frames'
    # counts at the very first), and nothing comes later
    before = flow_packets()
    r = ping(0, 1, 100, 0.01)
    t_burst = time.time()
    at_once = flow_packets()
    while at_once - before < 200 and time.time() - t_burst < 0.25:
        at_once = flow_packets()
    time.sleep(1.5)
    check(r.returncode == 0 and at_once - before >= 200
          and flow_packets() - at_once < 4, "dump-flows right after a burst "
          "through the card has the frames its conversation rules counted",
          (before, at_once, flow_packets()))
    # a higher-priority flow added later wins over the derived rules
    d.ok("add-flow", {"flow": "priority=40000,icmp,actions=drop"})
    r = ping(0, 1, 2)
    check(r.returncode != 0, "a later icmp drop flow wins over NORMAL's "
          "hardware rules", r.stdout + r.stderr)
    d.ok("del-flows", {"flow": "priority=40000,icmp", "strict": True})
    r = ping(0, 1, 3)
    check(r.returncode == 0, "without it vf0 reaches vf1 again",
          r.stdout + r.stderr)
    del nss


def scenario_normal(tmp):
    """NORMAL switches between VMs: emunic's VFs as kernel taps in network
    namespaces, snicd with the single flow actions=normal. vf0 and vf1 are
    access ports of VLAN 10, vf2 of VLAN 20: the first two ping each other,
    the third reaches neither, and 'snicctl fdb-show' lists the MACs
    learned, each on its port and VLAN."""
    if os.getuid() != 0 or shutil.which("ip") is None:
        print("  skipped: needs root and iproute2")
        sys.exit(77)
    tag_ = "%d" % (os.getpid() % 10000)
    taps = ["snn%s_%d" % (tag_, i) for i in range(3)]
    nss = ["snnns%s_%d" % (tag_, i) for i in range(3)]
    nic = Emunic(tmp, vf_taps=taps)
    macs = []
    try:
        for i in range(3):
            ns = ["ip", "-n", nss[i]]
            for cmd in (["ip", "netns", "add", nss[i]],
                        ["ip", "link", "set", taps[i], "netns", nss[i]],
                        ns + ["addr", "add", "10.78.0.%d/24" % (i + 1),
                              "dev", taps[i]]):
                subprocess.run(cmd, check=True, capture_output=True)
            # no IPv6: the kernel's router solicitations and DAD (seconds
            # after the link comes up) would re-learn a port's MAC after
            # the fdb-flush below checks it gone, and count for the NORMAL
            # flow while the counters are compared; a kernel without IPv6
            # has none to send
            subprocess.run(["ip", "netns", "exec", nss[i], "sh", "-c",
                            "echo 1 > /proc/sys/net/ipv6/conf/%s/"
                            "disable_ipv6" % taps[i]], capture_output=True)
            subprocess.run(ns + ["link", "set", taps[i], "up"], check=True,
                           capture_output=True)
            r = subprocess.run(ns + ["-j", "link", "show", taps[i]],
                               check=True, capture_output=True, text=True)
            import json
            macs.append(json.loads(r.stdout)[0]["address"])
        d = Snicd(tmp, nic, "--port", "vf0:tag=10", "--port",
                  "vf1:vlan_mode=access:tag=10", "--port", "vf2:tag=20",
                  "--mac-aging", "120")
        d.ok("add-flows", {"flows": ["actions=normal"]})

        def ping(src, dst, count=3, interval=0.2):
            return subprocess.run(
                ["ip", "netns", "exec", nss[src], "ping", "-c", str(count),
                 "-i", str(interval), "-W", "1", "10.78.0.%d" % (dst + 1)],
                capture_output=True, text=True, timeout=30)
        r = ping(0, 1)
        check(r.returncode == 0 and " 0% packet loss" in r.stdout,
              "NORMAL switches vf0 -> vf1 in VLAN 10", r.stdout + r.stderr)
        r = ping(2, 0, 2)
        check(r.returncode != 0, "vf2 (VLAN 20) does not reach vf0 "
              "(VLAN 10)", r.stdout + r.stderr)
        # the failed ping leaves vf2's kernel retrying ARP for a few
        # seconds: drop the pending entry, or a late retry re-learns vf2
        # after the fdb-flush below and the later ping finds resolution
        # still pending and sends no request
        neigh_flush(nss[2])
        r = d.ctl("fdb-show")
        check(r.returncode == 0, "snicctl fdb-show", r.stderr)
        rows = [ln.split() for ln in r.stdout.splitlines()[1:]]
        learned = {(row[0], int(row[1]), row[2]) for row in rows}
        check(("vf0", 10, macs[0]) in learned
              and ("vf1", 10, macs[1]) in learned
              and ("vf2", 20, macs[2]) in learned,
              "fdb-show lists each VM's MAC on its port and VLAN",
              r.stdout)
        check(all(row[2] not in macs[2:] or row[1] == "20" for row in rows),
              "vf2's MAC is learned in VLAN 20 only", r.stdout)
        fdb = d.ok("fdb-show")
        check(fdb["aging"] == 120, "--mac-aging 120 applies", fdb)
        fl = d.flows()
        check(len(fl) == 1 and fl[0]["offload"] == "sw"
              and "NORMAL" in fl[0]["reason"],
              "the NORMAL flow lives in software and says why",
              [(f["text"], f["offload"], f["reason"]) for f in fl])
        r = d.ctl("fdb-flush", "vf2")
        check(r.returncode == 0 and "flushed from vf2" in r.stdout,
              "fdb-flush vf2", r.stdout + r.stderr)
        rows = d.ok("fdb-show")["entries"]
        check(all(e["port"] != "vf2" for e in rows) and
              any(e["port"] == "vf0" for e in rows),
              "only vf2's entries are gone", rows)
        r = d.ctl("fdb-flush", "nope")
        check(r.returncode != 0 and "no such port 'nope'" in r.stderr,
              "fdb-flush of an unknown port is refused", r.stderr)
        # after the checks of vf2's flush, which a late frame of vf2's
        # (its kernel's retries) must not find re-learned
        normal_in_hardware(d, macs, ping, nss)
        # FLOOD with an exact in_port is a hardware rule: vf2's ARP
        # request reaches vf0's VM through the card alone
        d.ok("add-flow", {"flow": "priority=60000,in_port=vf2,arp,"
                                  "actions=flood"})
        fl = [f for f in d.flows() if "FLOOD" in f["text"]]
        check(len(fl) == 1 and fl[0]["offload"] == "hw",
              "in_port=vf2,arp,actions=flood is offloaded",
              [(f["text"], f["offload"], f["reason"]) for f in fl])
        neigh_flush(nss[2])
        ping(2, 0, 2)
        r = subprocess.run(["ip", "-n", nss[0], "neigh", "show",
                            "10.78.0.3"], capture_output=True, text=True)
        check(macs[2] in r.stdout, "the flooded ARP request reached vf0's "
              "VM (it knows vf2's MAC)", r.stdout + r.stderr)
        deadline = time.time() + 5
        while True:
            fl = [f for f in d.flows() if "FLOOD" in f["text"]]
            if fl[0]["n_packets"] >= 1 or time.time() > deadline:
                break
            time.sleep(0.2)
        check(fl[0]["n_packets"] >= 1, "the hardware rule counted it",
              fl[0]["text"])
        # fdb-flush takes NORMAL's conversation rules off the card with
        # the entries they were made of (the flood flow above took those
        # of the lower flows of its table away: a ping brings them back)
        ping(0, 1, 3)
        deadline = time.time() + 5
        while not d.ok("fdb-show")["hardware"] and time.time() < deadline:
            time.sleep(0.2)
        check(len(d.ok("fdb-show")["hardware"]) > 0, "conversations in "
              "hardware before fdb-flush", d.ok("fdb-show"))
        d.ok("fdb-flush")
        fdb = d.ok("fdb-show")
        check(fdb["hardware"] == [] and d.ok("stats")["normal"]["rules"]
              == 0, "fdb-flush removes every conversation rule", fdb)
        d.stop()
        # a --port naming no port stops snicd before it serves anything
        bad = subprocess.run(
            [SNICD, "--", "--emunic-socket", nic.sock, "--rundir",
             os.path.join(tmp, "bad-run"), "--emunic", EMUNIC, "--port",
             "vf9:tag=3", "--journal", "none"],
            capture_output=True, text=True, timeout=60)
        check(bad.returncode != 0 and "--port vf9: no such port" in
              bad.stdout + bad.stderr, "an unknown --port is refused",
              (bad.stdout + bad.stderr)[-600:])
    finally:
        for n in nss:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)


def scenario_conntrack(tmp):
    """A stateful firewall between two VMs (emunic's VFs as kernel taps in
    network namespaces), as the OVS firewall driver writes one: untracked
    IP goes through ct(table=1,zone=5); new connections from vf0 are
    committed and allowed, established ones allowed both ways, new ones
    from vf1 dropped. vf0 pings vf1 (the replies come back as
    established), vf1 cannot ping vf0, and 'snicctl conntrack-show' lists
    the ICMP connection, in zone 5, until conntrack-flush."""
    if os.getuid() != 0 or shutil.which("ip") is None:
        print("  skipped: needs root and iproute2")
        sys.exit(77)
    tag_ = "%d" % (os.getpid() % 10000)
    taps = ["snc%s_%d" % (tag_, i) for i in range(2)]
    nss = ["sncns%s_%d" % (tag_, i) for i in range(2)]
    nic = Emunic(tmp, vf_taps=taps)
    try:
        for i in range(2):
            ns = ["ip", "-n", nss[i]]
            for cmd in (["ip", "netns", "add", nss[i]],
                        ["ip", "link", "set", taps[i], "netns", nss[i]],
                        ns + ["addr", "add", "10.79.0.%d/24" % (i + 1),
                              "dev", taps[i]],
                        ns + ["link", "set", taps[i], "up"]):
                subprocess.run(cmd, check=True, capture_output=True)
        d = Snicd(tmp, nic)
        d.ok("add-flows", {"flows": [
            "priority=100,arp,actions=normal",
            "priority=90,ct_state=-trk,ip,actions=ct(table=1,zone=5)",
            "table=1,priority=100,ct_state=+trk+new,in_port=vf0,ip,"
            "actions=ct(commit,zone=5,exec(set_field:7->ct_mark)),normal",
            "table=1,priority=90,ct_state=+trk+est,ct_mark=7,ip,"
            "actions=normal",
        ]})

        def ping(src, dst, count=3):
            return subprocess.run(
                ["ip", "netns", "exec", nss[src], "ping", "-c", str(count),
                 "-i", "0.2", "-W", "1", "10.79.0.%d" % (dst + 1)],
                capture_output=True, text=True, timeout=30)
        r = ping(1, 0, 2)
        check(r.returncode != 0, "vf1 cannot start a connection to vf0",
              r.stdout + r.stderr)
        r = d.ok("conntrack-show")
        check(r["count"] == 0, "nothing was committed for vf1's pings", r)
        r = ping(0, 1)
        check(r.returncode == 0 and " 0% packet loss" in r.stdout,
              "vf0 pings vf1 through the firewall (replies established)",
              r.stdout + r.stderr)
        r = d.ctl("conntrack-show")
        check(r.returncode == 0 and "icmp,orig=(src=10.79.0.1,dst=10.79.0.2"
              in r.stdout and "zone=5,mark=7" in r.stdout,
              "snicctl conntrack-show lists the ICMP connection",
              r.stdout + r.stderr)
        r = d.ok("conntrack-show", {"zone": 6})
        check(r["count"] == 0, "zone 6 has none", r)
        r = d.ok("conntrack-show")
        check(r["packets"] >= 6 and r["invalid"] == 0,
              "the ct counters count the packets", r)
        fl = [f for f in d.flows() if "ct(" in f["text"]]
        check(fl and all(f["offload"] == "sw" and "CONNTRACK" in f["reason"]
                         for f in fl),
              "the ct flows live in software and say why",
              [(f["text"], f["offload"], f["reason"]) for f in fl])
        r = d.ctl("conntrack-flush", "5")
        check(r.returncode == 0 and "1 connections flushed from zone 5"
              in r.stdout, "conntrack-flush 5", r.stdout + r.stderr)
        check(d.ok("conntrack-show")["count"] == 0, "flushed", "")
        r = d.ctl("conntrack-flush", "zone")
        check(r.returncode != 0 and "not a zone" in r.stderr,
              "conntrack-flush of a non-number is refused", r.stderr)
        d.stop()
    finally:
        for n in nss:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)


def scenario_local(tmp):
    """LOCAL and CONTROLLER: snicd's host-side port is a tap (--local) in
    the host's namespace, a VM is emunic's VF tap in a namespace of its
    own; NORMAL switches between them both ways (in_port LOCAL and output
    to LOCAL), fdb-show lists the host's MAC on LOCAL; ICMP from the VM
    also goes to CONTROLLER, which counts it and keeps the last packets
    for 'snicctl controller-show'."""
    if os.getuid() != 0 or shutil.which("ip") is None:
        print("  skipped: needs root and iproute2")
        sys.exit(77)
    tag_ = "%d" % (os.getpid() % 10000)
    tap, ns, local = "snl%s_0" % tag_, "snlns%s" % tag_, "snlh%s" % tag_
    nic = Emunic(tmp, vf_taps=[tap])
    try:
        for cmd in (["ip", "netns", "add", ns],
                    ["ip", "link", "set", tap, "netns", ns],
                    ["ip", "-n", ns, "addr", "add", "10.79.0.1/24", "dev",
                     tap],
                    ["ip", "-n", ns, "link", "set", tap, "up"]):
            subprocess.run(cmd, check=True, capture_output=True)
        d = Snicd(tmp, nic, "--local", local)
        show = d.ok("show")["ports"]
        check(any(p["name"] == "LOCAL" and p["ofport"] == 0xfffffffe
                  for p in show), "snicd has the port LOCAL", show)
        for cmd in (["ip", "addr", "add", "10.79.0.254/24", "dev", local],
                    ["ip", "link", "set", local, "up"]):
            subprocess.run(cmd, check=True, capture_output=True)
        import json
        host_mac = json.loads(subprocess.run(
            ["ip", "-j", "link", "show", local], check=True,
            capture_output=True, text=True).stdout)[0]["address"]
        d.ok("add-flows", {"flows": [
            "actions=normal",
            "priority=40000,in_port=vf0,icmp,actions=controller:64,normal"]})
        r = subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "3",
                            "-i", "0.2", "-W", "2", "10.79.0.254"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0 and " 0% packet loss" in r.stdout,
              "the VM pings the host through LOCAL", r.stdout + r.stderr)
        fdb = d.ok("fdb-show")["entries"]
        check(any(e["port"] == "LOCAL" and e["mac"] == host_mac
                  for e in fdb), "fdb-show has the host's MAC on LOCAL", fdb)
        c = d.ok("controller-show")
        check(c["count"] >= 3 and c["packets"] and
              all(p["in_port"] == "vf0" and p["len"] == 64
                  for p in c["packets"]),
              "CONTROLLER counted the echo requests, kept 64 bytes each",
              c)
        r = d.ctl("controller-show")
        check(r.returncode == 0 and "in_port=vf0" in r.stdout and
              "to the controller: " in r.stdout, "snicctl controller-show",
              r.stdout + r.stderr)
        fl = d.flows()
        # the ICMP flow's match fits the card: it marks, and software runs
        # CONTROLLER and NORMAL (partial); the catch-all is software only
        check(all(f["offload"] in ("sw", "partial") for f in fl) and
              any("CONTROLLER" in f["reason"] for f in fl) and
              any("NORMAL" in f["reason"] for f in fl),
              "NORMAL and CONTROLLER run in software, saying why",
              [(f["text"], f["offload"], f["reason"]) for f in fl])
        d.stop()
        check(subprocess.run(["ip", "link", "show", local],
                             capture_output=True).returncode != 0,
              "LOCAL's tap goes with snicd")
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", local], capture_output=True)


# ---- the differential test ----

MACS = ["02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"]
NETS = ["10.0.0.", "10.0.1.", "10.1.0."]


VXLAN_OPT = ("local=192.168.0.1,remote=192.168.0.2,"
             "local-mac=02:00:00:00:00:a1,remote-mac=02:00:00:00:00:b2")


def scenario_patch(tmp):
    """Patch ports: vf0's frames cross a patch pair into a second half of
    the switch (Neutron's br-int and br-tun as one snicd) and leave to
    vf1, rewritten there; each flow's offload state says where it runs.
    And --patch's refusals at start."""
    nic = Emunic(tmp)
    for bad, says in (("vf1=x", "'vf1' is taken"),
                      ("a=a", "cannot be its own peer")):
        r = subprocess.run([SNICD, "--", "--emunic-socket", nic.sock,
                            "--rundir", os.path.join(tmp, "bad-run"),
                            "--emunic", EMUNIC, "--patch", bad],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and says in r.stdout + r.stderr,
              "--patch %s is refused at start: %s" % (bad, says),
              r.stdout + r.stderr)
    d = Snicd(tmp, nic, "--patch", "patch-tun=patch-int",
              "--port", "patch-int:no-flood")
    tr = Traffic(nic)
    sh = d.ok("show")
    kinds = {p["name"]: (p["ofport"], p["kind"], p.get("peer"))
             for p in sh["ports"]}
    check(kinds.get("patch-tun") == (300, "patch", "patch-int") and
          kinds.get("patch-int") == (301, "patch", "patch-tun"),
          "show lists the pair, 300 and 301, each with its peer", kinds)
    flows = [
        # br-int: vf0's frames to the tunnel bridge
        "table=0,priority=10,in_port=vf0,actions=goto_table:1",
        "table=1,priority=10,in_port=vf0,udp,actions=output:patch-tun",
        # br-tun: from the patch port, rewritten, out to vf1
        "table=0,priority=10,in_port=patch-int,"
        "actions=mod_dl_dst:02:00:00:00:00:99,resubmit(,2)",
        "table=2,priority=10,actions=output:vf1",
        # unrelated: stays on the card
        "table=0,priority=10,in_port=vf2,actions=output:vf3",
    ]
    for fl in flows:
        d.ok("add-flow", {"flow": fl})
    fl = d.flows()
    where = [(f["text"], f["offload"], f["reason"]) for f in fl]

    def state(*words):
        for f in fl:
            if all(w in f["text"] for w in words):
                return f["offload"], f["reason"]
        return None, ""
    check(state("table=0,", "in_port=vf0")[0] == "hw",
          "the goto_table flow before the pair is in hardware", where)
    st = state("table=1,", "in_port=vf0")
    check(st[0] == "partial" and "output to patch port patch-tun "
          "re-enters the pipeline in software" in st[1],
          "output to the patch port: partial, with the reason", where)
    st = state("in_port=patch-int")
    check(st[0] == "sw" and "in_port=patch-int is a patch port" in st[1],
          "in_port=patch-int: software, with the reason", where)
    check(state("in_port=vf2")[0] == "hw",
          "an unrelated flow stays in hardware", where)
    for i in range(10):
        tr.send("vf0", frame(VF_MAC[1], VF_MAC[0], payload=tag(i)))
        tr.send("vf2", frame(VF_MAC[3], VF_MAC[2], payload=tag(50 + i)))
    got = tr.recv(1000)
    at_vf1 = [p for port, p in got if port == "vf1"]
    at_vf3 = [p for port, p in got if port == "vf3"]
    check(len(at_vf1) == 10 and all(p[:6] == mac("02:00:00:00:00:99")
                                    for p in at_vf1),
          "10 frames vf0 -> patch-tun -> patch-int -> vf1, rewritten on "
          "the far side (%d)" % len(at_vf1),
          [(port, p[:12].hex()) for port, p in got[:3]])
    check(len(at_vf3) == 10, "10 frames vf2 -> vf3 (%d)" % len(at_vf3))
    check(len(got) == 20, "nothing else leaves: %d frames" % len(got),
          [(port, p[:12].hex()) for port, p in got])
    fl = wait_counters(d, {})
    counts = sorted(f["n_packets"] for f in fl.values())
    check(counts == [10] * 5, "every flow counted its 10 packets: %s"
          % counts, list(fl))


def rand_flow(rnd, table):
    m, prereq_ip, tagged, proto = [], False, False, None
    if rnd.random() < 0.8:
        port = rnd.choice(["vf0", "vf1", "vf2", "uplink", "vxlan0",
                           "vxlan0"])
        m.append("in_port=" + port)
        if port == "vxlan0" and rnd.random() < 0.85:
            m.append("tun_id=%d" % rnd.choice([5, 6, 7]))
    if rnd.random() < 0.05 and not any(x.startswith("tun_id") for x in m):
        m.append("tun_id=%d" % rnd.choice([0, 5]))
    if rnd.random() < 0.3:
        m.append("dl_dst=" + rnd.choice(MACS))
    r = rnd.random()
    if r < 0.5:
        m.append("ip")
        prereq_ip = True
        if rnd.random() < 0.5:
            m.append("nw_src=%s0/%d" % (rnd.choice(NETS), rnd.choice([16, 24,
                                                                      32])))
        if rnd.random() < 0.4:
            m.append("nw_dst=%s%d" % (rnd.choice(NETS), rnd.randint(1, 2)))
        if rnd.random() < 0.5:
            proto = rnd.choice(["6", "17"])
            m.append("nw_proto=" + proto)
            if rnd.random() < 0.6:
                m.append("tp_dst=" + rnd.choice(["80", "53", "443"]))
            # TCP flags: the card cannot match them, so such a flow and
            # the ones it overlaps below stay in software
            if proto == "6" and rnd.random() < 0.3:
                m.append("tcp_flags=" + rnd.choice(["+syn", "+syn-ack",
                                                    "-syn", "+fin",
                                                    "0x012/0x012"]))
    elif r < 0.6:
        m.append("dl_type=0x0806")
    if rnd.random() < 0.25:
        m.append("dl_vlan=" + rnd.choice(["10", "20"]))
        tagged = True
    # registers and pkt_mark: the card's TAGs and META on the full
    # profile (docs/snicd.md, "Registers and pkt_mark"); a match in table 1
    # sees what table 0 loaded, in hardware or after a resume mark
    if rnd.random() < (0.3 if table == 1 else 0.08):
        m.append(rnd.choice(["reg0=%d" % rnd.choice([0, 1, 2]),
                             "reg1=0x3/0xff", "pkt_mark=0x7",
                             "pkt_mark=0x5/0xf", "pkt_mark=0",
                             # reg0 and reg1 as one 64-bit xreg0, and
                             # reg0..reg3 as one 128-bit xxreg0
                             "xreg0=0x100000003/0xffffffff000000ff",
                             "xxreg0=0x2000000000000000000000000/"
                             "0xffffffff000000000000000000000000"]))
    acts = []
    if rnd.random() < 0.2:
        acts.append(rnd.choice(["load:1->NXM_NX_REG0[]",
                                "set_field:2->reg0",
                                "load:3->NXM_NX_REG1[0..7]",
                                "set_field:0x7->pkt_mark",
                                "set_field:0x15/0xff->pkt_mark",
                                "load:0x5->NXM_NX_PKT_MARK[0..3]",
                                "move:NXM_NX_REG1[0..7]->reg0[0..7]",
                                "load:0x100000003->OXM_OF_PKT_REG0[]",
                                "set_field:0x2->xxreg0"]))
    # writes to part of a header field: MODIFY_FIELD on the card (full
    # profile) where snicd maps them, software otherwise (basic)
    if rnd.random() < 0.25:
        writes = ["load:0x%x->NXM_OF_ETH_SRC[0..15]" % rnd.randint(0, 0xffff),
                  "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]",
                  "move:NXM_OF_ETH_DST[16..31]->NXM_OF_ETH_SRC[0..15]",
                  "set_field:02:00:00:00:00:00/ff:ff:00:00:00:00->eth_dst"]
        if prereq_ip:
            writes += ["load:0x0102->NXM_OF_IP_SRC[16..31]",
                       "set_field:1.2.0.0/255.255.0.0->ip_src",
                       "move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]",
                       "load:0x%x->NXM_OF_IP_DST[0..7]" % rnd.randint(0, 255)]
        if proto == "6":
            writes += ["load:0x90->NXM_OF_TCP_DST[0..7]",
                       "set_field:0x1000/0xff00->tcp_src"]
        if proto == "17":
            writes += ["load:0x35->NXM_OF_UDP_SRC[0..7]",
                       "set_field:0x0800/0x0f00->udp_dst"]
        acts.append(rnd.choice(writes))
    for _ in range(0 if rnd.random() < 0.15 else rnd.randint(1, 3)):
        a = rnd.random()
        if a < 0.04:
            # back to table 0 from table 1 may loop: the packet is then
            # dropped whole, the same way on both runs
            acts.append("resubmit(,%d)" % (1 if table == 0 else
                                           rnd.choice([0, 1])))
            continue
        if a < 0.15 and not tagged:
            acts.append("mod_vlan_vid:%d" % rnd.choice([10, 30]))
            tagged = True
        elif a < 0.25 and tagged:
            acts.append("strip_vlan")
            tagged = False
        elif a < 0.4:
            acts.append("mod_dl_dst:" + rnd.choice(MACS))
        elif a < 0.5:
            acts.append("mod_dl_src:02:00:00:00:00:aa")
        elif a < 0.6 and prereq_ip:
            acts.append("mod_nw_dst:10.9.9.9")
        elif a < 0.7 and prereq_ip:
            acts.append("dec_ttl")
        elif a < 0.8:
            acts.append("set_tunnel:%d" % rnd.choice([5, 8]))
            acts.append("output:vxlan0")
            continue
        elif a < 0.86:
            # reserved ports: outputs to the ports in hardware when in_port
            # is exact, software otherwise; the same packets either way
            acts.append(rnd.choice(["in_port", "all", "flood"]))
            continue
        acts.append("output:" + rnd.choice(["vf0", "vf1", "vf2", "vf3",
                                             "uplink"]))
    # a jump to a later table: goto_table, or a last resubmit there, which
    # the card does as goto_table (docs/snicd.md, "Where a flow lives")
    if table < 2 and rnd.random() < 0.2:
        acts.append(rnd.choice(["goto_table:%d", "resubmit(,%d)"])
                    % (table + 1))
    if not acts:
        acts = ["drop"]
    prio = rnd.choice([0, 10, 20, 30, 40, 50, 60, 70])
    return "table=%d,priority=%d%s actions=%s" % (
        table, prio, "".join("," + x for x in m), ",".join(acts))


def rand_regjump(rnd):
    """Register writes before a jump from table 0 into tables 3 and 4,
    which only these flows use: every flow there is whole on the card,
    with a catch-all, unless a spoiler is drawn (then the writers are
    partial), so the writers' TAGs cross the jump on the card
    (docs/snicd.md, "Registers and pkt_mark"). Table 3 matches the values
    written, others, zero, and a register nothing writes (no rule)."""
    ports = ["vf0", "vf1", "vf2"]
    flows, spoiled = [], rnd.random() < 0.3
    for port in rnd.sample(ports, 2):
        acts = ["set_field:%d->%s" % (rnd.randint(1, 3),
                                      rnd.choice(["reg2", "reg3"]))]
        if rnd.random() < 0.5:
            acts.append("load:%d->NXM_NX_REG4[0..7]" % rnd.randint(1, 2))
        if rnd.random() < 0.3:
            acts.append("set_field:0x7->pkt_mark")
        acts.append(rnd.choice(["goto_table:3", "resubmit(,3)"]))
        flows.append("table=0,priority=85,in_port=%s,udp,tp_dst=53 "
                     "actions=%s" % (port, ",".join(acts)))
    for _ in range(rnd.randint(2, 5)):
        port = rnd.choice(ports)
        m = rnd.choice(["reg2=%d" % rnd.randint(1, 3),
                        "reg3=%d" % rnd.randint(1, 3),
                        "reg2=%d,reg4=0x%x/0xff" % (rnd.randint(1, 3),
                                                    rnd.randint(1, 2)),
                        "reg2=0", "reg6=1"])
        out = rnd.choice([p for p in ports + ["vf3", "uplink"] if p != port])
        act = rnd.choice(["output:" + out,
                          "mod_dl_dst:%s,output:%s" % (rnd.choice(MACS), out),
                          "goto_table:4"])
        flows.append("table=3,priority=%d,in_port=%s,%s actions=%s"
                     % (rnd.choice([10, 20, 30]), port, m, act))
    flows.append("table=3,priority=0 actions=drop")
    flows.append("table=4,priority=10,in_port=%s,reg4=0x1/0xff "
                 "actions=output:vf3" % rnd.choice(ports))
    flows.append("table=4,priority=0 actions=drop")
    if spoiled:
        # the card has no SET_IPV4_DSCP: partial
        flows.append("table=%d,priority=40,in_port=%s,udp "
                     "actions=mod_nw_tos:0x20,output:vf3"
                     % (rnd.choice([3, 4]), rnd.choice(ports)))
    return flows, spoiled


def rand_inner(rnd, n):
    l3 = rnd.choice(["ip", "ip", "ip", "arp", "ipv6"])
    vlan = rnd.choice([None, None, 10, 20])
    proto = rnd.choice([6, 17, 1])
    return frame(rnd.choice(MACS), "02:00:00:00:00:0%d" % rnd.randint(1, 9),
                 vlan=vlan, l3=l3,
                 nw_src=rnd.choice(NETS) + str(rnd.randint(1, 3)),
                 nw_dst=rnd.choice(NETS) + str(rnd.randint(1, 2)),
                 proto=proto, ttl=rnd.choice([64, 64, 1]),
                 dport=rnd.choice([80, 53, 443, 22]), payload=tag(n),
                 tcp_flags=rnd.choice([0x10, 0x02, 0x12, 0x11, 0x04])
                 if proto == 6 else 0x10)


def rand_packet(rnd, n):
    if rnd.random() < 0.25:
        # VXLAN from the wire: mostly for the local VTEP from the remote
        # one (decapsulated), some from elsewhere or to another address
        f = vxlan_frame(rand_inner(rnd, n), rnd.choice([5, 6, 7, 9]),
                        src=rnd.choice(["192.168.0.2"] * 9 + ["192.168.0.7"]),
                        dst=rnd.choice(["192.168.0.1"] * 7 + ["10.0.0.1"]))
        if rnd.random() < 0.15:
            f = f[:12] + struct.pack("!HH", 0x8100, 10) + f[12:]
        return "wire", f
    return rnd.choice(["vf0", "vf1", "vf2", "wire"]), rand_inner(rnd, n)


# MPLS (firmware ABI 1.10): flows that match the top label stack entry
# and push or pop entries go to the card; set_mpls_*/dec_mpls_ttl stay in
# software (no rte_flow action). Drawn from a generator of their own, so
# the rest of a seed's flows and packets stay what they were.
MPLS_LABELS = [16, 17, 18]


def rand_mpls_flow(rnd, table):
    m = []
    if rnd.random() < 0.9:
        m.append("in_port=" + rnd.choice(["vf0", "vf1", "vf2", "uplink"]))
    r = rnd.random()
    if r < 0.6:
        m.append(rnd.choice(["mpls", "mpls", "mplsm"]))
        if rnd.random() < 0.6:
            m.append("mpls_label=%d" % rnd.choice(MPLS_LABELS))
        if rnd.random() < 0.4:
            m.append("mpls_bos=%d" % rnd.randint(0, 1))
        if rnd.random() < 0.2:
            m.append("mpls_ttl=%d" % rnd.choice([1, 64]))
        if rnd.random() < 0.15:
            m.append("mpls_tc=%d" % rnd.randint(0, 1))
    elif r < 0.85:
        m.append("ip")
    acts = []
    for _ in range(rnd.randint(1, 3)):
        a = rnd.random()
        if a < 0.3:
            acts.append("push_mpls:" + rnd.choice(["0x8847", "0x8848"]))
        elif a < 0.55:
            acts.append("pop_mpls:" + rnd.choice(["0x0800", "0x0800",
                                                  "0x8847"]))
        elif a < 0.6:
            acts.append("dec_mpls_ttl")
        elif a < 0.65:
            acts.append("set_mpls_ttl:%d" % rnd.choice([1, 9]))
        elif a < 0.75:
            acts.append("mod_dl_src:02:00:00:00:00:bb")
        if rnd.random() < 0.45:
            acts.append("output:" + rnd.choice(["vf0", "vf1", "vf2", "vf3",
                                                 "uplink"]))
    if table == 0 and rnd.random() < 0.3:
        acts.append("goto_table:1")
    prio = rnd.choice([5, 15, 25, 35, 45, 55, 65, 75])
    return "table=%d,priority=%d%s actions=%s" % (
        table, prio, "".join("," + x for x in m), ",".join(acts))


def rand_mpls_packet(rnd, n):
    """An MPLS frame (1 to 3 entries, the bottom one last or none of the
    3; TTLs 1, 2 or 64; behind a tag sometimes), or an IPv4 one to push
    onto."""
    f = frame(rnd.choice(MACS), "02:00:00:00:00:0%d" % rnd.randint(1, 9),
              vlan=rnd.choice([None, None, None, 10]),
              nw_src=rnd.choice(NETS) + "1", nw_dst=rnd.choice(NETS) + "2",
              proto=rnd.choice([6, 17]), ttl=rnd.choice([64, 1]),
              payload=tag(n))
    port = rnd.choice(["vf0", "vf1", "vf2", "wire"])
    if rnd.random() < 0.25:
        return port, f
    at = 16 if f[12:14] == b"\x81\x00" else 12
    depth = rnd.choice([1, 1, 2, 3])
    deep = depth == 3 and rnd.random() < 0.5
    stack = b"".join(struct.pack(
        "!I", rnd.choice(MPLS_LABELS) << 12 | rnd.randint(0, 1) << 9 |
        (1 if i == depth - 1 and not deep else 0) << 8 |
        rnd.choice([1, 2, 64, 64])) for i in range(depth))
    etype = rnd.choice([b"\x88\x47", b"\x88\x47", b"\x88\x48"])
    return port, f[:at] + etype + stack + f[at + 2:]


# Conjunctions (docs/snicd.md "Conjunctions on the card"): clause flows
# over the fields the random packets vary, and their conj_id flows, from a
# generator of their own (the rest of a seed's draw stays what it was).
# Most meet the conditions and go to the card as combination rules; some
# break one on purpose (a clause at another priority, a missing conj_id
# flow, a conj_id flow below an ordinary one), and stay in software. The
# random ones go to table 1: in table 0 their software clauses would
# shadow the register writers rand_regjump needs whole.
CONJ_FIELDS = [
    lambda r: "in_port=" + r.choice(["vf0", "vf1", "vf2", "uplink"]),
    lambda r: "ip,nw_src=" + r.choice(NETS) + str(r.randint(1, 3)),
    lambda r: "ip,nw_dst=" + r.choice(NETS) + "0/24",
    lambda r: r.choice(["tcp", "udp"]) + ",tp_dst=" +
    str(r.choice([80, 53, 443, 22])),
    lambda r: r.choice(["tcp", "udp", "icmp", "ipv6", "arp"]),
]


def rand_conj_flows(rnd, table, conj_id):
    # below 85, where the register writers (rand_regjump) must stay whole
    prio = rnd.choice([5, 15, 25, 35, 45, 55, 65, 75])
    dims = rnd.sample(range(len(CONJ_FIELDS)), rnd.choice([2, 2, 3]))
    flows, seen = [], set()
    for k, d in enumerate(dims):
        for _ in range(rnd.randint(1, 3)):
            m = CONJ_FIELDS[d](rnd)
            if m in seen:
                continue
            seen.add(m)
            p = prio + 1 if rnd.random() < 0.05 else prio
            flows.append("table=%d,priority=%d,%s actions=conjunction(%d,"
                         "%d/%d)" % (table, p, m, conj_id, k + 1,
                                     len(dims)))
    if rnd.random() < 0.95:
        acts = rnd.choice(["output:vf1", "output:uplink",
                           "mod_dl_src:02:00:00:00:00:cc,output:vf2",
                           "drop", "output:vf0,output:vf3"])
        if table == 0 and rnd.random() < 0.2:
            acts = "mod_dl_dst:02:00:00:00:00:dd,goto_table:1"
        tprio = prio if rnd.random() < 0.85 else rnd.choice([1, prio + 5])
        extra = ",in_port=vf0" if rnd.random() < 0.15 else ""
        flows.append("table=%d,priority=%d,conj_id=%d%s actions=%s"
                     % (table, tprio, conj_id, extra, acts))
    return flows


# NORMAL (docs/snicd.md "NORMAL in hardware"): stations with MACs of their
# own switched by NORMAL flows, from a generator of their own (the rest of
# a seed's draw stays what it was). Each NORMAL flow matches an exact
# in_port (without one it is `sw`, and every lower flow of table 0 that
# overlaps it would follow it into software) and the stations' dl_src,
# which no random packet has, at priority 95, above every random flow of
# table 0. The --port settings give some ports VLAN modes: they change
# what NORMAL does and nothing else (FLOOD's no-flood is not drawn), so
# the random flows keep their meaning. Once learned, a conversation
# between two stations is a card rule of the full profile; its frames
# must leave as software's do, and count for the NORMAL flow.
NORMAL_MASK = "02:00:00:00:0e:00/ff:ff:ff:ff:ff:f0"
NORMAL_PORTS = {"vf0": "vf0", "vf1": "vf1", "vf2": "vf2", "wire": "uplink"}
# (the --port settings, {port: (mode, tag, trunks)}): mode "trunk",
# "access" or "native" (native-untagged); trunks None: every VLAN
NORMAL_VLANS = [
    ([], {}),
    (["vf2:tag=10", "uplink:trunks=0,10,20"],
     {"vf2": ("access", 10, None), "wire": ("trunk", 0, {0, 10, 20})}),
    (["vf0:tag=10", "vf1:vlan_mode=native-untagged:tag=10",
      "uplink:trunks=10,20"],
     {"vf0": ("access", 10, None), "vf1": ("native", 10, None),
      "wire": ("trunk", 0, {10, 20})}),
]


def normal_vlan(modes, port, tci):
    """The VLAN NORMAL puts a frame from @port with tag @tci (None:
    untagged) in, or None when the port does not take it."""
    mode, ptag, trunks = modes.get(port, ("trunk", 0, None))
    vid = 0 if tci is None else tci & 0xfff
    if mode == "access":
        return ptag if vid == 0 else None
    if mode == "native" and vid == 0:
        return ptag
    return vid if trunks is None or vid in trunks else None


def normal_tags(rnd, modes, port, vlan):
    """A tag a station on @port sends with (None: untagged) that the port
    takes, in VLAN @vlan if the port has it, now and then with a PCP."""
    tags = [t for t in [None, 10, 20] if normal_vlan(modes, port, t)
            is not None]
    t = rnd.choice([t for t in tags if normal_vlan(modes, port, t) == vlan]
                   or tags)
    if t is not None and rnd.random() < 0.2:
        t |= 5 << 13
    return t


# send()'s default tag: the one the station sends with now
STATION_TAG = object()


def rand_normal(rnd, first):
    """NORMAL's flows, --port settings and packets (tagged from @first on,
    None where a chunk of diff_run's 50 is padded). Returns (flows, port
    options, packets, whether a station moved)."""
    opts, modes = rnd.choice(NORMAL_VLANS)
    macs = ["02:00:00:00:0e:%02x" % i for i in range(1, 6)]
    homes = ["vf0", "vf1", "vf2", "wire", "wire"]
    rnd.shuffle(homes)
    # most stations in one VLAN (those on a port without it, and a few
    # others, elsewhere): conversations need two stations in one VLAN
    vlan = rnd.choice([0, 10])
    stations = {}
    for m, port in zip(macs, homes):
        stations[m] = [port, normal_tags(
            rnd, modes, port,
            vlan if rnd.random() < 0.8 else rnd.choice([0, 10, 20]))]
    flows = []
    # one port goes through a table of its own, where a flow above NORMAL
    # must win over the conversation rules; one may do more than NORMAL
    # (its frames stay in software)
    ports = list(NORMAL_PORTS)
    rnd.shuffle(ports)
    via, more = ports[0], ports[1] if rnd.random() < 0.4 else None
    for port in ports:
        of = NORMAL_PORTS[port]
        m = "in_port=%s,dl_src=%s" % (of, NORMAL_MASK)
        if port == via:
            flows.append("table=0,priority=95,%s actions=goto_table:5" % m)
            flows.append("table=5,priority=20,in_port=%s,udp actions="
                         "output:vf3" % of)
            flows.append("table=5,priority=10,in_port=%s actions=normal"
                         % of)
        elif port == more:
            flows.append("table=0,priority=95,%s actions=normal,output:vf3"
                         % m)
        else:
            flows.append("table=0,priority=95,%s actions=normal" % m)
    packets = []

    def chunk():
        # the next packet starts a chunk of diff_run's (a pause after it)
        while (first + len(packets)) % 50:
            packets.append(None)

    # What software's NORMAL will learn ({(mac, vlan): port}) and the
    # conversations it will ask the card for ({(src, dst): the frame}):
    # whether a seed's own draw sends a conversation's frame again once its
    # rule is on the card is chance (a move takes the rules of the moved
    # station off), so the talks after the first, and a last chunk, start
    # with one frame of each conversation still standing.
    # The model learns in the order frames are drawn; the datapath takes a
    # chunk's frames in the order it polls the ports. Both agree only while
    # no station sends from two ports of one VLAN in one chunk ({(chunk,
    # mac, vlan): port}), which the draw must keep.
    fdb, convs, sent_from = {}, {}, {}

    def model(src, dst, port, tci, l3, proto):
        vlan = normal_vlan(modes, port, tci)
        here = sent_from.setdefault(
            ((first + len(packets)) // 50, src, vlan), port)
        assert here == port, "the draw sent %s from %s and %s in one " \
            "chunk (VLAN %s)" % (src, here, port, vlan)
        if vlan is None or (port == via and l3 == "ip" and proto == 17):
            return      # dropped, or table 5's udp flow: no NORMAL
        unicast = not int(dst[:2], 16) & 1
        q = fdb.get((dst, vlan))
        if port != more and unicast and fdb.get((src, vlan)) == port \
                and q is not None and q != port:
            convs[(src, dst)] = dict(port=port, tci=tci, l3=l3,
                                     proto=proto, vlan=vlan)
        if fdb.get((src, vlan)) != port:
            # learned anew or moved: the card's rules to or from it go
            for k in [k for k, c in convs.items()
                      if src in k and c["vlan"] == vlan]:
                del convs[k]
        fdb[(src, vlan)] = port

    # again() resends a conversation with the tag it had, which may be
    # none: None there is "untagged", not "the station's tag now" (after
    # a move that is another VLAN's, and the frame would put the station
    # on two ports of that VLAN in one chunk, where which frame the
    # datapath takes last is the order it polls the ports in)
    def send(src, dst, port=None, tci=STATION_TAG, l3=None, proto=None):
        port = port or stations[src][0]
        tci = stations[src][1] if tci is STATION_TAG else tci
        n = first + len(packets)
        if proto is None:
            # drawn, in this order, for every frame but again()'s
            l3 = l3 or rnd.choice(["ip", "ip", "arp"])
            proto = rnd.choice([6, 17, 17, 1])
            dport = rnd.choice([53, 80])
        else:
            dport = 80
        model(src, dst, port, tci, l3, proto)
        packets.append((port, frame(
            dst, src, vlan=tci, l3=l3, proto=proto, dport=dport,
            payload=tag(n))))

    def again():
        for (src, dst), c in list(convs.items())[:8]:
            send(src, dst, c["port"], c["tci"], c["l3"], c["proto"])

    def talk(count):
        for _ in range(count):
            src = rnd.choice(macs)
            r = rnd.random()
            if r < 0.75:
                dst = rnd.choice([m for m in macs if m != src])
            elif r < 0.85:
                dst = "02:00:00:00:0e:0f"       # unknown: a flood
            else:
                dst = "ff:ff:ff:ff:ff:ff"
            send(src, dst)
    # learning: a broadcast from each station, a chunk before the frames
    # whose fate depends on it
    chunk()
    for m in macs:
        send(m, "ff:ff:ff:ff:ff:ff", l3="arp")
    chunk()
    talk(rnd.randint(40, 50))
    # the same stations again: now mostly through the rules the chunk
    # before made
    chunk()
    again()
    talk(rnd.randint(30, 50))
    moved = rnd.random() < 0.5
    if moved:
        # a move: the station's frames come from another port. The card
        # follows the learning table within a turn of snicd's loop
        # (<= 100 ms idle); the chunk's pause (400 ms) is longer, so no
        # frame to or from the station is in the move's chunk or shares
        # a chunk with a frame that learned the move
        chunk()
        m = rnd.choice(macs)
        old = stations[m][0]
        stations[m][0] = rnd.choice([p for p in NORMAL_PORTS if p != old])
        stations[m][1] = normal_tags(rnd, modes, stations[m][0], vlan)
        send(m, "ff:ff:ff:ff:ff:ff", l3="arp")
        chunk()
        again()
        talk(rnd.randint(30, 50))
    chunk()
    again()
    return flows, opts, packets, moved


# Whole-field writes of the value a frame already holds (#12's leftover, a
# hw/sw difference): the card patched the checksums all the same, and an
# incremental update (RFC 1624) turns a checksum field of 0xffff, the other
# zero of one's complement, into 0, where software leaves the frame alone.
# The random draw cannot show it: its checksums are computed, so never
# 0xffff for TCP or an IPv4 header (a UDP one 1 in 65536), and no random
# flow writes a value a random packet holds. These flows and frames come
# without a generator (the rest of a seed's draw stays what it was), above
# every random flow of table 0 and on addresses no random packet has.
SAME_SRC, SAME_DST, NONE_DST = "10.9.8.1", "10.9.9.9", "10.9.9.8"
SAME_FLOWS = [
    "table=0,priority=86,in_port=vf1,tcp,nw_src=%s,nw_dst=%s actions="
    "mod_nw_dst:%s,mod_tp_src:4321,output:uplink"
    % (SAME_SRC, SAME_DST, SAME_DST),
    "table=0,priority=86,in_port=vf1,udp,nw_src=%s,nw_dst=%s actions="
    "mod_nw_src:%s,mod_tp_dst:4322,output:vf3"
    % (SAME_SRC, SAME_DST, SAME_SRC),
    # a UDP checksum of 0 ("none", RFC 768) stays 0 through changes, and
    # changes patch checksums of 0xffff alike on both paths
    "table=0,priority=86,in_port=vf1,udp,nw_src=%s,nw_dst=%s actions="
    "mod_nw_dst:10.9.9.10,mod_tp_src:4323,dec_ttl,output:vf3"
    % (SAME_SRC, NONE_DST),
    # a TCP header whose data offset is unsound has no ports, but an
    # address change patches its checksum on both paths
    "table=0,priority=86,in_port=vf1,tcp,nw_src=%s,nw_dst=%s actions="
    "mod_nw_dst:10.9.9.10,mod_tp_src:4323,output:vf3" % (SAME_SRC, NONE_DST),
]
# SCTP's port: rte_flow's SET_TP_* rewrite TCP and UDP only, and the card
# left an SCTP packet alone where software writes the port and patches
# the CRC32c, so snicd keeps this one off the card (partial)
SCTP_DST = "10.9.9.7"
SCTP_FLOW = ("table=0,priority=86,in_port=vf1,sctp,nw_src=%s,nw_dst=%s "
             "actions=mod_tp_src:4321,output:uplink" % (SAME_SRC, SCTP_DST))


# A tag whose DEI bit (0x1000 of the TCI) is set (#12's leftover, a hw/sw
# difference): the card's SET_VLAN_VID/PCP kept it where software writes
# the changed tag with DEI 0 (as Open vSwitch does), and software's
# push_vlan copied it into the new outer tag where the card's PUSH_VLAN
# takes the VID and PCP only. No random frame has DEI set; these come
# without a generator, as SAME_FLOWS do, on an address of their own.
DEI_SRC, DEI_DST = "10.9.8.2", "10.9.9.5"
DEI_FLOWS = [
    "table=0,priority=86,in_port=vf1,dl_vlan=10,ip,nw_src=%s,nw_dst=%s "
    "actions=mod_vlan_vid:30,output:uplink" % (DEI_SRC, DEI_DST),
    "table=0,priority=86,in_port=vf1,dl_vlan=20,ip,nw_src=%s,nw_dst=%s "
    "actions=mod_vlan_pcp:5,output:vf3" % (DEI_SRC, DEI_DST),
    # the same value: the tag stays as it came, DEI included, on the card
    "table=0,priority=86,in_port=vf1,dl_vlan=40,ip,nw_src=%s,nw_dst=%s "
    "actions=mod_vlan_vid:40,output:uplink" % (DEI_SRC, DEI_DST),
    "table=0,priority=86,in_port=vf1,dl_vlan=50,dl_vlan_pcp=0,ip,nw_src=%s,"
    "nw_dst=%s actions=push_vlan:0x8100,output:uplink" % (DEI_SRC, DEI_DST),
]


def dei_packets(first):
    """vf1's frames for DEI_FLOWS, tagged from @first on: each flow's tag
    with DEI 1, then with DEI 0."""
    packets = []
    for dei in (0x1000, 0):
        for vid in (10, 20, 40, 50):
            packets.append(("vf1", frame(
                MACS[0], "02:00:00:00:00:07", vlan=dei | vid,
                nw_src=DEI_SRC, nw_dst=DEI_DST, proto=17,
                payload=tag(first + len(packets)))))
    return packets


def minus_zero(data, start, csum_at, free_at):
    """@data (bytes after the @start ones, a pseudo-header, in the sum)
    with the checksum at @csum_at 0xffff that still verifies: the word at
    @free_at is picked so that the checksum computes to 0."""
    d = bytearray(data)
    d[csum_at:csum_at + 2] = d[free_at:free_at + 2] = b"\0\0"
    d[free_at:free_at + 2] = struct.pack("!H", csum(start + bytes(d)))
    assert csum(start + bytes(d)) == 0
    d[csum_at:csum_at + 2] = b"\xff\xff"
    return bytes(d)


def same_write_packets(first):
    """vf1's frames for SAME_FLOWS and SCTP_FLOW, tagged from @first on:
    TCP and UDP with IPv4 header and L4 checksums of 0xffff, UDP without
    checksum, TCP with data offsets 4 and 15, SCTP."""
    packets = []
    for proto, dst, l4sum in [(6, SAME_DST, 0xffff), (17, SAME_DST, 0xffff),
                              (17, SAME_DST, 0), (17, NONE_DST, 0),
                              (17, NONE_DST, 0xffff)]:
        n = first + len(packets)
        f = frame(MACS[0], "02:00:00:00:00:07", nw_src=SAME_SRC, nw_dst=dst,
                  proto=proto, sport=4321, dport=4322,
                  payload=b"\0\0" + tag(n))
        l4 = f[34:]
        if l4sum == 0:
            l4 = l4[:6] + b"\0\0" + l4[8:]
        else:
            pseudo = f[26:34] + struct.pack("!BBH", 0, proto, len(l4))
            l4 = minus_zero(l4, pseudo, 16 if proto == 6 else 6,
                            20 if proto == 6 else 8)
        # the IP id is the IPv4 header's free word
        packets.append(("vf1", f[:14] + minus_zero(f[14:34], b"", 10, 4) + l4))
    for doff in (4, 15):
        f = frame(MACS[0], "02:00:00:00:00:07", nw_src=SAME_SRC,
                  nw_dst=NONE_DST, proto=6, payload=tag(first + len(packets)))
        l4 = f[34:46] + bytes([doff << 4]) + f[47:50] + b"\0\0" + f[52:]
        pseudo = f[26:34] + struct.pack("!BBH", 0, 6, len(l4))
        l4 = l4[:16] + struct.pack("!H", csum(pseudo + l4)) + l4[18:]
        packets.append(("vf1", f[:34] + l4))
    # SCTP (common header: ports, verification tag, CRC32c, not checked
    # by either path) in an IPv4 header made from a TCP frame's
    f = frame(MACS[0], "02:00:00:00:00:07", nw_src=SAME_SRC, nw_dst=SCTP_DST,
              proto=6)
    l4 = struct.pack("!HHII", 1000, 4322, 7, 0x11223344) + \
        tag(first + len(packets))
    ip = f[14:23] + b"\x84\0\0" + f[26:34]
    ip = ip[:2] + struct.pack("!H", 20 + len(l4)) + ip[4:]
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    packets.append(("vf1", f[:14] + ip + l4))
    return packets


def vxlan_sport_free(port, p):
    """A VXLAN frame's outer UDP source port is flow entropy that each
    encapsulator derives its own way (RFC 7348 5.): not compared."""
    if port == "wire" and len(p) >= 50 and p[12:14] == b"\x08\x00" and \
            p[23] == 17 and p[36:38] == b"\x12\xb5":
        return port, p[:34] + b"\0\0" + p[36:]
    return port, p


def diff_run(tmp, profile, offload, flows, packets, name, ports=()):
    """Both runs of the differential test: @ports are --port settings;
    a packet None sends nothing (a chunk padded: each chunk of 50 is
    followed by a pause, so a frame's fate may depend on what a frame of
    an earlier chunk made snicd learn)."""
    nic = Emunic(tmp, profile)
    opts = ["--journal", "none", "--vxlan", VXLAN_OPT] + \
        [x for p in ports for x in ("--port", p)] + \
        ([] if offload else ["--no-offload"])
    d = Snicd(tmp, nic, *opts, name=name)
    tr = Traffic(nic)
    r, e = d.call("add-flows", {"flows": flows, "file": "random"})
    if e is not None:
        raise RuntimeError("add-flows: " + e["message"])
    where = {}
    for f in d.flows():
        where[f["offload"]] = where.get(f["offload"], 0) + 1
        if f["offload"] == "hw" and "in_port=vxlan0" in f["text"]:
            where["hw decap"] = where.get("hw decap", 0) + 1
        if f["offload"] == "hw" and "resubmit(" in f["text"]:
            where["hw resubmit"] = where.get("hw resubmit", 0) + 1
        if f["offload"] == "hw" and "nw_src=" + SAME_SRC in f["text"] \
                and "sctp" not in f["text"]:
            where["hw same write"] = where.get("hw same write", 0) + 1
        if f["offload"] == "hw" and "nw_dst=" + DEI_DST in f["text"]:
            where["hw dei"] = where.get("hw dei", 0) + 1
        if f["offload"] == "hw" and "mpls" in f["text"]:
            where["hw mpls"] = where.get("hw mpls", 0) + 1
        # part of a header field written: MODIFY_FIELD on the card
        if f["offload"] == "hw" and re.search(
                r"load:[^,]*->NXM_OF_|move:NXM_OF_[^,]*->NXM_OF_|"
                r"set_field:[^,>]*/[^,>]*->(eth_|ip_|tcp_|udp_)", f["text"]):
            where["hw hdr write"] = where.get("hw hdr write", 0) + 1
        if f["offload"] == "hw" and re.search(r"reg\d|pkt_mark|REG",
                                              f["text"]):
            where["hw regs"] = where.get("hw regs", 0) + 1
        if f["offload"] == "hw" and re.search(
                r"->(reg\d|NXM_NX_REG\d).*(goto_table|resubmit)",
                f["text"]):
            where["hw reg jump"] = where.get("hw reg jump", 0) + 1
        if f["offload"] != "sw" and "conj_id=" in f["text"]:
            where["hw conj"] = where.get("hw conj", 0) + 1
        if "0e:00/" in f["text"] or " table=5," in f["text"]:
            # rand_normal's flows
            k = "normal " + f["offload"]
            where[k] = where.get(k, 0) + 1
    out = {}
    for i in range(0, len(packets), 50):
        for pf in packets[i:i + 50]:
            if pf is not None:
                tr.send(*pf)
        for port, p in tr.recv(400):
            out.setdefault(tag_of(p), []).append((port, p))
    for port, p in tr.recv(600):
        out.setdefault(tag_of(p), []).append((port, p))
    time.sleep(1.2)
    counters = {k: (v["n_packets"], v["n_bytes"])
                for k, v in by_text(d.flows()).items()}
    st = d.ok("stats")
    # frames NORMAL's conversation rules switched on the card, ever: the
    # rules still there at the end (fdb-show) miss those that went (idle,
    # their flow changed, a MAC moved)
    st["normal"]["frames"] = st["normal"]["switched"]
    d.stop()
    tr.proc.stdin.close()
    tr.proc.wait(timeout=10)
    nic.proc.kill()
    nic.proc.wait()
    return out, counters, where, st


def scenario_diff(tmp, profile, seed):
    t0 = time.time()
    # A random flow set that forwards nothing proves nothing: the reference
    # (software) runs first, and such a set gives way to the next seed,
    # still reproducible from the printed first seed.
    for tries in range(5):
        rnd = random.Random(seed)
        flows = [rand_flow(rnd, 0) for _ in range(40)] + \
            [rand_flow(rnd, 1) for _ in range(15)] + \
            [rand_flow(rnd, 2) for _ in range(6)]
        packets = [rand_packet(rnd, n) for n in range(300)]
        mrnd = random.Random(seed * 31 + 7)
        # two above every random flow, so that a card with MPLS has some
        # whatever the draw: a pop of one label's entry, a push onto TCP
        flows += ["table=0,priority=80,in_port=uplink,mpls,mpls_label=%d,"
                  "mpls_bos=1 actions=pop_mpls:0x0800,output:vf1"
                  % mrnd.choice(MPLS_LABELS),
                  "table=0,priority=80,in_port=vf2,tcp actions="
                  "push_mpls:0x8847,output:uplink"]
        flows += [rand_mpls_flow(mrnd, 0) for _ in range(10)] + \
            [rand_mpls_flow(mrnd, 1) for _ in range(4)]
        packets += [rand_mpls_packet(mrnd, n) for n in range(300, 380)]
        # two above every random flow, so that a card with MODIFY_FIELD
        # writes parts of header fields whatever the draw (#12)
        hrnd = random.Random(seed * 59 + 3)
        flows += ["table=0,priority=85,in_port=vf2,udp actions=load:0x%x->"
                  "NXM_OF_IP_SRC[16..31],set_field:0x0800/0x0f00->udp_dst,"
                  "output:uplink" % hrnd.randint(0, 0xffff),
                  "table=0,priority=85,in_port=uplink,tcp actions="
                  "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],load:0x%x->"
                  "NXM_OF_TCP_DST[0..7],output:vf0" % hrnd.randint(0, 255)]
        rrnd = random.Random(seed * 53 + 11)
        regjump, spoiled = rand_regjump(rrnd)
        flows += regjump
        crnd = random.Random(seed * 37 + 11)
        # one above every random flow, so that each seed has a conjunction
        # on the card whatever the rest of the draw
        # (matches no random flow has: an identical one would keep it in
        # software, and its clauses would shadow the flows below)
        net = crnd.choice(NETS)
        flows += ["table=0,priority=90,ip,nw_src=%s1 actions="
                  "conjunction(100,1/2)" % crnd.choice(NETS),
                  "table=0,priority=90,in_port=vf0,ip,nw_dst=%s0/30 "
                  "actions=conjunction(100,2/2)" % net,
                  "table=0,priority=90,in_port=vf1,ip,nw_dst=%s0/30 "
                  "actions=conjunction(100,2/2)" % net,
                  "table=0,priority=90,conj_id=100 actions=output:uplink"]
        for c in range(crnd.randint(2, 4)):
            flows += rand_conj_flows(crnd, 1, c + 1)
        nrnd = random.Random(seed * 41 + 13)
        nflows, ports, npackets, moved = rand_normal(nrnd, len(packets))
        flows += nflows
        packets += npackets
        flows += SAME_FLOWS + [SCTP_FLOW]
        packets += same_write_packets(len(packets))
        flows += DEI_FLOWS
        packets += dei_packets(len(packets))
        print("  seed %d: %d flows, %d packets, profile %s, ports %s%s" % (
            seed, len(flows), sum(p is not None for p in packets), profile,
            " ".join(ports) or "-", ", a station moves" if moved else ""),
            flush=True)
        sw_out, sw_ctr, _, _ = diff_run(tmp, profile, False, flows, packets,
                                        "reference", ports)
        if sum(len(v) for v in sw_out.values()) > 0:
            break
        print("  seed %d forwards nothing; next seed" % seed, flush=True)
        seed += 1
    hw_out, hw_ctr, where, st = diff_run(tmp, profile, True, flows, packets,
                                         "offload", ports)
    conv = st["normal"]
    print("  offload run: %s; datapath rx %d, marked %d; NORMAL "
          "conversations on the card %d (refused %d, stale %d), their "
          "frames %d" % (
              where, st["datapath"]["rx"], st["datapath"]["marked"],
              conv["created"], conv["refused"], conv["stale"],
              conv["frames"]), flush=True)
    diffs = []
    for n in range(len(packets)):
        if packets[n] is None:
            continue
        a = sorted(vxlan_sport_free(*o) for o in hw_out.get(n, []))
        b = sorted(vxlan_sport_free(*o) for o in sw_out.get(n, []))
        if a != b:
            diffs.append("packet %d from %s %s:\n  offload %s\n  software %s"
                         % (n, packets[n][0], packets[n][1].hex(),
                            [(p, x.hex()) for p, x in a],
                            [(p, x.hex()) for p, x in b]))
    check(not diffs, "every output packet is the same with and without "
          "offload (%d differ, seed %d)" % (len(diffs), seed),
          "\n".join(diffs[:5]))
    cdiff = ["%s: offload %s software %s" % (k, hw_ctr.get(k), v)
             for k, v in sw_ctr.items() if hw_ctr.get(k) != v]
    check(not cdiff, "every flow counter is the same (%d differ, seed %d)"
          % (len(cdiff), seed), "\n".join(cdiff[:8]))
    n_out = sum(len(v) for v in sw_out.values())
    check(n_out > 0, "the flow set forwards something (%d outputs)" % n_out)
    if profile == "full":
        check(where.get("hw mpls", 0) >= 2, "MPLS flows on the card (%d)"
              % where.get("hw mpls", 0))
        check(spoiled or where.get("hw reg jump", 0) >= 2, "register "
              "writes before a jump on the card (%d, spoiler %s)"
              % (where.get("hw reg jump", 0), spoiled))
        check(where.get("hw conj", 0) >= 1, "conjunctions on the card (%d)"
              % where.get("hw conj", 0))
        check(where.get("hw hdr write", 0) >= 2, "writes to part of a "
              "header field on the card (%d)" % where.get("hw hdr write", 0))
        # the push and the rewrite to the same value; the two that change
        # the tag the frame came with stay in software
        check(where.get("hw dei", 0) == 2, "flows on a tag with DEI on the "
              "card (%d)" % where.get("hw dei", 0))
        check(where.get("hw same write", 0) == len(SAME_FLOWS),
              "whole-field writes of the same value on the card (%d)"
              % where.get("hw same write", 0))
        check(conv["created"] >= 1, "NORMAL's conversations on the card "
              "(%d)" % conv["created"], conv)
        # rules that exist but never match would pass the check above
        check(conv["frames"] >= 1, "frames switched by NORMAL's "
              "conversation rules on the card (%d)" % conv["frames"], conv)
    print("  %.1f s" % (time.time() - t0))


# Software drops a packet whole (a resubmit loop, an MPLS stack too deep)
# after a flow of table 0 output it and went to table 1: the copy must not
# have left the card first (docs/snicd.md, rule 4). The first two flows
# are seed 8040's; table 2 makes table 1 drop whole through a goto.
WHOLE_FLOWS = [
    "table=0,priority=70,in_port=vf0,dl_vlan=20 "
    "actions=output:vf2,goto_table:1",
    "table=1,priority=70,in_port=vf0,dl_type=0x0806 "
    "actions=mod_vlan_vid:10,output:uplink,resubmit(,1),output:uplink",
    "table=0,priority=60,in_port=vf1 actions=output:vf2,goto_table:1",
    "table=1,priority=60,in_port=vf1,ip actions=goto_table:2",
    "table=2,priority=60,in_port=vf1,udp actions=" +
    "push_mpls:0x8847," * 4 + "output:vf0",
    "table=2,priority=50,in_port=vf1 actions=output:vf0",
    "table=0,priority=50,in_port=uplink actions=output:vf2,goto_table:1",
    "table=0,priority=40,in_port=vf2 actions=goto_table:1",
    "table=1,priority=10,in_port=vf2 actions=output:vf1",
]


def scenario_diff_whole(tmp):
    m1, m2 = MACS[0], MACS[1]
    # (port, frame, what software alone sends: ports)
    cases = [("vf0", dict(vlan=20, l3="arp"), []),
             ("vf0", dict(vlan=20), ["vf2"]),
             ("vf1", dict(proto=17), []),
             ("vf1", dict(proto=6), ["vf0", "vf2"]),
             ("vf1", dict(l3="arp"), ["vf2"]),
             ("wire", dict(), ["vf2"]),
             ("vf2", dict(), ["vf1"])]
    packets = [(port, frame(m1, m2, payload=tag(n), **kw))
               for n, (port, kw, _) in enumerate(cases * 3)]
    sw_out, sw_ctr, _, _ = diff_run(tmp, "full", False, WHOLE_FLOWS,
                                    packets, "reference")
    hw_out, hw_ctr, where, _ = diff_run(tmp, "full", True, WHOLE_FLOWS,
                                        packets, "offload")
    print("  offload run: %s" % where, flush=True)
    for n, (port, kw, want) in enumerate(cases * 3):
        got = sorted(p for p, _ in sw_out.get(n, []))
        check(got == want, "software alone: packet %d from %s %s goes to %s"
              % (n, port, kw, want), "got %s" % got)
        a = sorted(vxlan_sport_free(*o) for o in hw_out.get(n, []))
        b = sorted(vxlan_sport_free(*o) for o in sw_out.get(n, []))
        check(a == b, "with offload: packet %d from %s %s the same" % (
            n, port, kw), "offload %s" % [p for p, _ in a])
    check(hw_ctr == sw_ctr, "every flow counter is the same",
          "offload %s\n  software %s" % (hw_ctr, sw_ctr))
    # the three flows that output before their jump go partial, the one
    # that only jumps stays in hardware
    check(where.get("partial", 0) >= 3 and where.get("hw", 0) >= 1,
          "places: %s" % where)


# ---- the differential test at scale: incremental placement ----

BULK_PORTS = ["vf0", "vf1", "vf2", "uplink"]


def bulk_match(i):
    """Flow i of the bulk set: distinct exact matches of a few shapes,
    at priorities between the random flows' (so they shadow and push
    each other), over 10.2.0.0/15."""
    d = (10 << 24) + (2 << 16) + i
    m = "table=0,priority=%d,in_port=%s,udp,nw_dst=%d.%d.%d.%d" % (
        5 + 10 * ((i // 4) % 8), BULK_PORTS[i % 4], d >> 24,
        (d >> 16) & 255, (d >> 8) & 255, d & 255)
    if i % 3 == 0:
        m += ",tp_dst=53"
    return m


def bulk_actions(i, gen=0):
    k = (i + 7 * gen) % 100
    if k < 2:
        # a modify turns one into the other (the same resume mark's table)
        return "goto_table:1" if k == 0 else "resubmit(,1)"
    if k < 10:
        return "mod_dl_dst:%s,output:vf%d" % (MACS[k % 3], (i + 1) % 4)
    if k < 13:
        return "drop"
    return "output:vf%d" % ((i + gen + 1) % 4)


def bulk_steps(rnd, n, batch=1000):
    """The requests of a run, the same for both: add-flows batches of the
    bulk set with the random flows spread among them, and between them
    strict modifies and deletes of earlier flows (single commits, the
    incremental path's smallest case)."""
    table0 = [rand_flow(rnd, 0) for _ in range(40)]
    table1 = [rand_flow(rnd, 1) for _ in range(15)]
    extra = table0 + table1
    rnd.shuffle(extra)
    n_batches = (n + batch - 1) // batch
    steps, deleted = [], set()
    for b in range(n_batches):
        lines = ["%s actions=%s" % (bulk_match(i), bulk_actions(i))
                 for i in range(b * batch, min(n, (b + 1) * batch))]
        lines += extra[b * len(extra) // n_batches:
                       (b + 1) * len(extra) // n_batches]
        steps.append(("add", lines))
        if b % 10 == 9:
            for _ in range(4):
                i = rnd.randrange(0, (b + 1) * batch)
                if i in deleted:
                    continue
                if rnd.random() < 0.5:
                    steps.append(("mod", "%s actions=%s" % (
                        bulk_match(i), bulk_actions(i, 1 + rnd.randrange(9)))))
                else:
                    steps.append(("del", bulk_match(i)))
                    deleted.add(i)
            # a random flow goes and comes back: it is placed anew, after
            # every bulk flow of its priority
            f = rnd.choice(extra[:b * len(extra) // n_batches + 1])
            steps.append(("del", f.split(" actions=")[0]))
            steps.append(("add", [f]))
    return steps


def bulk_packet(rnd, n, total):
    i = rnd.randrange(total)
    d = (10 << 24) + (2 << 16) + i
    port = BULK_PORTS[i % 4]
    f = frame(rnd.choice(MACS), "02:00:00:00:00:0%d" % rnd.randint(1, 9),
              vlan=rnd.choice([None, None, None, 10]),
              nw_src=rnd.choice(NETS) + str(rnd.randint(1, 3)),
              nw_dst="%d.%d.%d.%d" % (d >> 24, (d >> 16) & 255,
                                      (d >> 8) & 255, d & 255),
              proto=rnd.choice([17, 17, 17, 6]),
              dport=rnd.choice([53, 53, 80, 443]), payload=tag(n))
    return ("wire" if port == "uplink" else port), f


WHERES = ("hw", "partial", "sw")


def diff_bulk_run(tmp, profile, offload, steps, packets, name):
    nic = Emunic(tmp, profile)
    opts = ["--journal", "none", "--vxlan", VXLAN_OPT] + \
        ([] if offload else ["--no-offload"])
    d = Snicd(tmp, nic, *opts, name=name)
    tr = Traffic(nic)
    t0 = time.time()
    for kind, what in steps:
        if kind == "add":
            r, e = d.call("add-flows", {"flows": what, "file": "bulk"})
        elif kind == "mod":
            r, e = d.call("mod-flows", {"flow": what, "strict": True})
        else:
            r, e = d.call("del-flows", {"flow": what, "strict": True})
        if e is not None:
            raise RuntimeError("%s: %s" % (kind, e["message"]))
    load_s = time.time() - t0
    out = {}
    for i in range(0, len(packets), 50):
        for port, f in packets[i:i + 50]:
            tr.send(port, f)
        for port, p in tr.recv(400):
            out.setdefault(tag_of(p), []).append((port, p))
    for port, p in tr.recv(600):
        out.setdefault(tag_of(p), []).append((port, p))
    time.sleep(1.2)
    flows = d.flows()
    counters = {k: (v["n_packets"], v["n_bytes"])
                for k, v in by_text(flows).items()}
    where = {}
    for f in flows:
        where[f["offload"]] = where.get(f["offload"], 0) + 1
        # the bulk flows by priority (they alone match 10.2.0.0/15)
        m = re.search(r"priority=(\d+),.*nw_dst=10\.[23]\.", f["text"])
        if m:
            k = (f["offload"], int(m.group(1)))
            where[k] = where.get(k, 0) + 1
    st = d.ok("stats")
    d.stop()
    tr.proc.stdin.close()
    tr.proc.wait(timeout=10)
    nic.proc.kill()
    nic.proc.wait()
    return out, counters, where, st, load_s


def scenario_diff_bulk(tmp, profile, seed, n):
    """The differential test through incremental placement: N flows
    loaded in batches of 1,000 with modifies and deletes between them,
    then random packets, half of them aimed at the bulk flows; every
    output and every flow's counters compared with --no-offload."""
    t0 = time.time()
    # A random flow set that forwards next to nothing compares next to
    # nothing (a match-all flow at priority 70 that only sets pkt_mark
    # hides every bulk flow below it): the reference (software) runs
    # first, and such a set gives way to the next seed, still reproducible
    # from the printed first seed.
    for tries in range(5):
        rnd = random.Random(seed)
        steps = bulk_steps(rnd, n)
        packets = []
        for k in range(400):
            packets.append(bulk_packet(rnd, k, n) if k % 2 else
                           rand_packet(rnd, k))
        print("  seed %d: %d bulk flows + 55 random, %d requests, %d "
              "packets, profile %s" % (seed, n, len(steps), len(packets),
                                       profile), flush=True)
        sw_out, sw_ctr, _, _, sw_s = diff_bulk_run(tmp, profile, False,
                                                   steps, packets,
                                                   "reference")
        if sum(len(v) for v in sw_out.values()) > len(packets) // 4:
            break
        print("  seed %d forwards too little; next seed" % seed, flush=True)
        seed += 1
    hw_out, hw_ctr, where, st, hw_s = diff_bulk_run(tmp, profile, True,
                                                    steps, packets, "offload")
    off = st["offload"]
    print("  loaded in %.1f s (software) and %.1f s (offload): %s; %d flows "
          "placed, %d tables placed whole; datapath rx %d, marked %d" % (
              sw_s, hw_s, {k: v for k, v in where.items() if k in WHERES}, off["placed"], off["tables_placed_whole"],
              st["datapath"]["rx"], st["datapath"]["marked"]), flush=True)
    print("  bulk flows in hardware by priority: %s" % ", ".join(
        "%d: %d of %d" % (p, where.get(("hw", p), 0),
                          where.get(("hw", p), 0) + where.get(("sw", p), 0) +
                          where.get(("partial", p), 0))
        for p in range(75, 0, -10)), flush=True)
    # Priority 75 is above every random flow, and the bulk flows do not
    # overlap each other: nothing may keep those from hardware. How many
    # of the lower ones a random flow in software shadows is the seed's.
    top = 0
    for i in range(n):
        top += (i // 4) % 8 == 7
    top -= sum(1 for kind, what in steps
               if kind == "del" and what.startswith("table=0,priority=75,"))
    check(where.get(("hw", 75), 0) == top, "the %d bulk flows above every "
          "random flow are all in hardware" % top, where.get(("hw", 75)))
    check(where.get("sw", 0) > 0, "some flows are in software")
    # Incremental: a flow is placed again when a flow before it that
    # overlaps it changes place; the requests above add, modify, delete
    # and re-add, so a few placements a flow on average, and when a broad
    # random flow goes and comes back every later flow it overlaps twice
    # (at most about 13 a flow in all). Placing whole tables at each
    # commit would be about 80 a flow.
    check(off["placed"] < 20 * n, "placement followed the changes, not the "
          "table (%d placements for %d flows)" % (off["placed"], n))
    diffs = []
    for k in range(len(packets)):
        a = sorted(vxlan_sport_free(*o) for o in hw_out.get(k, []))
        b = sorted(vxlan_sport_free(*o) for o in sw_out.get(k, []))
        if a != b:
            diffs.append("packet %d from %s %s:\n  offload %s\n  software %s"
                         % (k, packets[k][0], packets[k][1].hex(),
                            [(p, x.hex()) for p, x in a],
                            [(p, x.hex()) for p, x in b]))
    check(not diffs, "every output packet is the same with and without "
          "offload (%d differ, seed %d)" % (len(diffs), seed),
          "\n".join(diffs[:5]))
    check(len(hw_ctr) == len(sw_ctr), "the same flows (%d offload, %d "
          "software)" % (len(hw_ctr), len(sw_ctr)))
    cdiff = ["%s: offload %s software %s" % (k, hw_ctr.get(k), v)
             for k, v in sw_ctr.items() if hw_ctr.get(k) != v]
    check(not cdiff, "every flow counter is the same (%d differ, seed %d)"
          % (len(cdiff), seed), "\n".join(cdiff[:8]))
    n_out = sum(len(v) for v in sw_out.values())
    check(n_out > len(packets) // 4, "the flow set forwards (%d outputs)"
          % n_out)
    print("  %.1f s" % (time.time() - t0))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    which = sys.argv[1]
    given = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--seed" \
        else os.environ.get("SNIC_SEED", "")
    if given and not given.isdigit():
        print("snicd_it.py: seed '%s' (SNIC_SEED or --seed): want a "
              "whole number" % given)
        return 2
    seed = int(given) if given else int(time.time()) % 100000
    tmp = tempfile.mkdtemp(prefix="snicd_it.")
    os.chmod(tmp, 0o755)
    # printed first, so a failure is replayed from the log alone
    print("== %s, seed %d (replay: SNIC_SEED=%d scripts/test snicd_it_%s)"
          % (which, seed, seed, which), flush=True)
    try:
        if which == "hw":
            scenario_hw(tmp)
        elif which == "sw":
            scenario_sw(tmp)
        elif which == "miss":
            scenario_miss(tmp)
        elif which == "errors":
            scenario_errors(tmp)
        elif which == "taps":
            scenario_taps(tmp)
        elif which == "normal":
            scenario_normal(tmp)
        elif which == "local":
            scenario_local(tmp)
        elif which == "conntrack":
            scenario_conntrack(tmp)
        elif which == "patch":
            scenario_patch(tmp)
        elif which == "resubmit":
            scenario_resubmit(tmp)
        elif which == "regs":
            scenario_regs(tmp)
        elif which == "learn":
            scenario_learn(tmp)
        elif which == "reset":
            scenario_reset(tmp)
        elif which == "vxlan":
            scenario_vxlan(tmp)
        elif which == "restart":
            scenario_restart(tmp, seed)
        elif which == "tlv_restart":
            scenario_tlv_restart(tmp)
        elif which == "add_flows_file":
            scenario_add_flows_file(tmp)
        elif which == "eal_dir":
            scenario_eal_dir(tmp)
        elif which == "diff_whole":
            scenario_diff_whole(tmp)
        elif which.startswith("diff_bulk"):
            # diff_bulk or diff_bulk_N (flows)
            n = int(which[10:]) if which[10:] else 100000
            scenario_diff_bulk(tmp, "full", seed, n)
        elif which.startswith("diff_"):
            scenario_diff(tmp, which[5:], seed)
        else:
            print("unknown scenario " + which)
            return 2
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
    failures.extend(sanitizer_reports(tmp))
    if failures:
        print("FAILED (%d): %s (seed %d)" % (len(failures), which, seed))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
