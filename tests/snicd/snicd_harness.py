#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Processes and packets for snicd's integration tests (snicd_it.py):
emunic, snicd with its control socket, snic_traffic (the VFs and the wire),
frame builders and the result bookkeeping. Standard library only."""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from snic_child import die_with_parent, remove_dpdk_runtime  # noqa: E402
import snic_emunic  # noqa: E402
from snic_emunic import EMUNIC  # noqa: E402,F401

SNICD = os.environ.get("SNICD", "build/offload/snicd/snicd")
SNICCTL = os.environ.get("SNICCTL", "build/cli/snicctl/snicctl")
TRAFFIC = os.environ.get("TRAFFIC", "build/tests/snicd/snic_traffic")
NVFS = 4
# snic_traffic's DPDK file prefix: one per test driver
TRAFFIC_PREFIX = "snictr%d" % os.getpid()
failures = []
procs = []


def check(cond, what, detail=""):
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    if not cond:
        if detail:
            print("       " + str(detail)[-2000:], flush=True)
        failures.append(what)
    return cond


def spawn(args, **kw):
    # its own session (killed as a group), and dead with this driver
    p = subprocess.Popen(args, start_new_session=True,
                         preexec_fn=die_with_parent(), **kw)
    procs.append(p)
    return p


def kill_all():
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        # a snicd that was killed could not remove its DPDK folder
        # (snicd-PID, the default prefix); the PID was our child's
        remove_dpdk_runtime("snicd-%d" % p.pid)
    remove_dpdk_runtime(TRAFFIC_PREFIX)


def sanitizer_reports(tmp):
    """A sanitizer's report in any log of the run fails it: not every
    scenario stops its snicd through Snicd.stop() (which checks its log),
    and a report of a process that goes on running (UBSan, or ThreadSanitizer
    without halt_on_error) fails no request."""
    found = []
    for folder, _, names in os.walk(tmp):
        for name in names:
            if not name.endswith(".log"):
                continue
            path = os.path.join(folder, name)
            with open(path, errors="replace") as f:
                text = f.read()
            at = max(text.find("Sanitizer"), text.find("runtime error:"))
            if at >= 0:
                print("--- %s: a sanitizer's report ---\n%s" % (
                    os.path.relpath(path, tmp), text[max(0, at - 200):at + 3000]))
                found.append("%s: a sanitizer's report" % name)
    return found


class Emunic(snic_emunic.Emunic):
    """emunic in switchdev mode, log in TMP/nic.log; @vf_taps: host tap
    names of VFs 0, 1..."""

    def __init__(self, tmp, profile="full", vf_taps=()):
        args = ["--num-vfs", str(NVFS), "--mode", "switchdev", "--profile",
                profile]
        for i, tap in enumerate(vf_taps):
            args += ["--vf-tap", "%d=%s" % (i, tap)]
        # its own session, as spawn() does: kill_all() kills groups
        super().__init__(os.path.join(tmp, "nic"), *args, new_session=True)
        procs.append(self.proc)


class Snicd:
    def __init__(self, tmp, nic, *opts, name="snicd"):
        self.rundir = os.path.join(tmp, name + "-run")
        self.log = os.path.join(tmp, name + ".log")
        # SNICD_IT_OPTS: options every snicd of the run gets (the sync
        # rte_flow variants of the scenarios pass --no-flow-queues)
        extra = os.environ.get("SNICD_IT_OPTS", "").split()
        self.args = [SNICD, "--", "--emunic-socket", nic.sock, "--rundir",
                     self.rundir, "--emunic", EMUNIC, *opts, *extra]
        self.start()

    def start(self):
        self.logf = open(self.log, "a")
        self.proc = spawn(self.args, stdout=self.logf,
                          stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("snicd exited: " + self.tail())
            if os.path.exists(os.path.join(self.rundir, "snicd.ctl")):
                try:
                    self.call("show")
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("snicd not ready: " + self.tail())

    def tail(self):
        with open(self.log) as f:
            return f.read()[-2000:]

    def call(self, method, params=None, timeout=120):
        """One JSON-RPC call; returns (result, error)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(os.path.join(self.rundir, "snicd.ctl"))
        req = {"jsonrpc": "2.0", "id": 1, "method": method,
               "params": params if params is not None else {}}
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
        s.close()
        rep = json.loads(buf)
        return rep.get("result"), rep.get("error")

    def ok(self, method, params=None):
        r, e = self.call(method, params)
        if e is not None:
            raise RuntimeError("%s: %s" % (method, e.get("message")))
        return r

    def ctl(self, *args):
        return subprocess.run([SNICCTL, "-s", self.rundir, *args],
                              capture_output=True, text=True, timeout=120)

    def flows(self):
        return self.ok("dump-flows")["flows"]

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        with open(self.log) as f:
            log = f.read()
        # a sanitized build reports here (and a leak at exit fails it)
        check("Sanitizer" not in log and "runtime error" not in log,
              "snicd's log has no sanitizer report", log[-3000:])
        return self.proc.returncode


class EalSnicd(Snicd):
    """snicd started with EAL arguments of its own (not the defaults)."""

    def __init__(self, tmp, eal, *opts, name="snicd-eal"):
        self.rundir = os.path.join(tmp, name + "-run")
        self.log = os.path.join(tmp, name + ".log")
        self.args = [SNICD, *eal, "--", "--rundir", self.rundir, *opts]
        self.start()


class Traffic:
    def __init__(self, nic):
        self.proc = spawn(
            [TRAFFIC, "--no-huge", "--no-pci", "-m", "256",
             "--file-prefix", TRAFFIC_PREFIX, "--no-shconf",
             "--no-telemetry",
             "-l", "0", "--", "--socket", nic.sock, "--vfs", str(NVFS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("snic_traffic did not start")
            if line.strip() == "ready":
                break

    def send(self, port, frame):
        self.proc.stdin.write("send %s %s\n" % (port, frame.hex()))

    def recv(self, ms):
        self.proc.stdin.write("recv %d\n" % ms)
        self.proc.stdin.flush()
        out = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("snic_traffic died")
            line = line.strip()
            if line == "end":
                return out
            if line.startswith("error"):
                raise RuntimeError("snic_traffic: " + line)
            port, hexs = line.split(" ", 1)
            out.append((port, bytes.fromhex(hexs)))


# ---- packets ----

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return socket.inet_aton(s)


def frame(dst, src, vlan=None, l3="ip", nw_src="10.0.0.1",
          nw_dst="10.0.0.2", proto=17, ttl=64, sport=1000, dport=80,
          payload=b"", tcp_flags=0x10):
    eth = mac(dst) + mac(src)
    if vlan is not None:
        eth += struct.pack("!HH", 0x8100, vlan)
    if l3 == "ip":
        if proto in (6, 17):
            if proto == 6:
                l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0,
                                 0x50 | tcp_flags >> 8, tcp_flags & 0xff,
                                 1024, 0, 0) + payload
            else:
                l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload),
                                 0) + payload
            pseudo = ip4(nw_src) + ip4(nw_dst) + struct.pack("!BBH", 0, proto,
                                                             len(l4))
            c = csum(pseudo + l4)
            off = 16 if proto == 6 else 6
            if proto == 17 and c == 0:
                c = 0xffff
            l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
        else:   # icmp echo
            l4 = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + payload
            l4 = l4[:2] + struct.pack("!H", csum(l4)) + l4[4:]
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000,
                          ttl, proto, 0, ip4(nw_src), ip4(nw_dst))
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        return eth + struct.pack("!H", 0x0800) + hdr + l4
    if l3 == "ipv6":
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        src6 = bytes(15) + b"\x01"
        dst6 = bytes.fromhex("20010db8000000000000000000000002")
        hdr = struct.pack("!IHBB", 6 << 28, len(l4), 17, ttl) + src6 + dst6
        return eth + struct.pack("!H", 0x86dd) + hdr + l4
    # arp request
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(src) + \
        ip4(nw_src) + bytes(6) + ip4(nw_dst)
    return eth + struct.pack("!H", 0x0806) + body + payload


def tag(n):
    return b"SNICTAG" + struct.pack("!I", n)


def tag_of(data):
    i = data.find(b"SNICTAG")
    if i < 0 or i + 11 > len(data):
        return None
    return struct.unpack("!I", data[i + 7:i + 11])[0]


def by_text(flows):
    """dump-flows entries keyed by their rule (text without counters)."""
    out = {}
    for f in flows:
        t = f["text"]
        parts = [p for p in t.split(", ") if not p.startswith(("duration=",
                 "n_packets=", "n_bytes=", "idle_age="))]
        out[", ".join(parts)] = f
    return out


def wait_counters(d, want, timeout=5.0):
    """Poll dump-flows until the counters of every flow in @want (text key
    -> n_packets) are reached; return the last dump."""
    deadline = time.time() + timeout
    while True:
        fl = by_text(d.flows())
        if all(k in fl and fl[k]["n_packets"] >= v for k, v in want.items()):
            return fl
        if time.time() > deadline:
            return fl
        time.sleep(0.2)


VF_MAC = ["02:00:00:00:00:%02x" % i for i in range(1, 6)]
