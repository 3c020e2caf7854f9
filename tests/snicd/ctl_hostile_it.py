#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""snicd's control socket against hostile allowed clients (docs/reliability.md,
"Hostile control clients"): a group member holding 64 idle connections, a
client pipelining requests non-stop, 100 pipelined dump-flows never read.
While each runs, root's `show` must be answered within a bound, and snicd's
memory must stay bounded. The bounds are generous (a loaded two-core
machine): the test checks behaviour, not speed.

Usage: ctl_hostile_it.py   (root: the hostile clients run as user nobody)
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snicd_harness import (Emunic, Snicd, check, failures,  # noqa: E402
                           kill_all, sanitizer_reports)

GROUP = 4242
NOBODY = 65534
FLOWS = 20000
SHOW_BOUND = 5.0            # seconds for root's show while it all runs
RSS_BOUND = 64 << 10        # kB snicd may grow by under 100 unread dumps


def req(method, i=1, params=None):
    return (json.dumps({"jsonrpc": "2.0", "id": i, "method": method,
                        "params": params or {}}) + "\n").encode()


def timed_show(d):
    t0 = time.time()
    try:
        r, e = d.call("show", timeout=60)
    except OSError as ex:
        return None, str(ex)
    return time.time() - t0, e


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


parent_ends = []    # hold pipes of earlier children: not for later ones


def as_member(uid, fn):
    """Run fn() in a child as @uid with group GROUP; returns (pid, read end
    of a pipe the child writes its one-line result to, write end of a pipe
    whose closing tells it to exit)."""
    rd, wr = os.pipe()
    hold_r, hold_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rd)
            os.close(hold_w)
            for fd in parent_ends:
                os.close(fd)
            os.setgroups([GROUP])
            os.setgid(NOBODY)
            os.setuid(uid)
            out = fn()
            os.write(wr, (json.dumps(out) + "\n").encode())
            os.read(hold_r, 1)          # until the parent is done
        finally:
            os._exit(0)
    os.close(wr)
    os.close(hold_r)
    parent_ends.append(hold_w)
    return pid, rd, hold_w


def child_result(rd):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = os.read(rd, 4096)
        if not chunk:
            break
        buf += chunk
    return json.loads(buf) if buf else None


def idle_connections(d):
    path = os.path.join(d.rundir, "snicd.ctl")
    keep = []

    def open_64():
        accepted, refused, other = 0, 0, []
        for _ in range(64):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.settimeout(0.3)
            try:
                data = s.recv(4096)
            except socket.timeout:
                accepted += 1
                keep.append(s)
                continue
            if b"too many control connections" in data:
                refused += 1
            else:
                other.append(data.decode(errors="replace"))
            s.close()
        return {"accepted": accepted, "refused": refused, "other": other}

    pid, rd, hold = as_member(NOBODY, open_64)
    got = child_result(rd)
    check(got is not None and got["accepted"] <= 16,
          "a member holding idle connections gets at most 16 (%s)" % got)
    secs, err = timed_show(d)
    check(err is None and secs is not None and secs < SHOW_BOUND,
          "root's show while 64 are attempted: %s s (%s)" % (secs, err))

    def one_call():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(path)
        s.sendall(req("help"))
        return s.recv(1 << 16).decode(errors="replace")[:200]

    pid2, rd2, hold2 = as_member(NOBODY - 1, one_call)
    got2 = child_result(rd2)
    check(got2 is not None and '"result"' in got2,
          "another member gets in meanwhile", got2)
    for h, p in ((hold, pid), (hold2, pid2)):
        parent_ends.remove(h)
        os.close(h)
        os.waitpid(p, 0)


def flood(d):
    """One client writes requests non-stop and reads its replies."""
    path = os.path.join(d.rundir, "snicd.ctl")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    stop = threading.Event()
    batch = req("stats") * 200
    sent = [0]

    def writer():
        while not stop.is_set():
            try:
                s.sendall(batch)
                sent[0] += 200
            except OSError:
                return

    def reader():
        while not stop.is_set():
            try:
                if not s.recv(1 << 20):
                    return
            except OSError:
                return

    ts = [threading.Thread(target=writer, daemon=True),
          threading.Thread(target=reader, daemon=True)]
    for t in ts:
        t.start()
    time.sleep(1.0)
    worst, errs = 0.0, []
    for _ in range(8):
        secs, err = timed_show(d)
        if err is not None or secs is None:
            errs.append(err)
        else:
            worst = max(worst, secs)
        time.sleep(0.3)
    stop.set()
    s.shutdown(socket.SHUT_RDWR)
    s.close()
    check(not errs and worst < SHOW_BOUND,
          "root's show while a client floods %d requests: worst %.2f s (%s)"
          % (sent[0], worst, errs))


def unread_dumps(d):
    path = os.path.join(d.rundir, "snicd.ctl")
    pid = d.proc.pid
    before = rss_kb(pid)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    data = b"".join(req("dump-flows", i) for i in range(100))
    try:
        s.send(data)
    except BlockingIOError:
        pass
    time.sleep(3.0)
    secs, err = timed_show(d)
    grown = rss_kb(pid) - before
    check(err is None and secs is not None and secs < SHOW_BOUND,
          "root's show while 100 dump-flows of %d flows go unread: %s s (%s)"
          % (FLOWS, secs, err))
    check(grown < RSS_BOUND, "snicd grew by %d kB under 100 unread "
          "dump-flows (bound %d kB)" % (grown, RSS_BOUND))
    s.close()
    # and a dump that is read arrives whole
    flows = d.flows()
    check(len(flows) == FLOWS, "dump-flows lists all %d flows (%d)"
          % (FLOWS, len(flows)))


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root to run the hostile clients as nobody")
        return 77
    tmp = tempfile.mkdtemp(prefix="ctl_hostile.")
    os.chmod(tmp, 0o755)
    print("== ctl_hostile", flush=True)
    try:
        nic = Emunic(tmp, "basic")
        d = Snicd(tmp, nic, "--no-offload", "--group", str(GROUP))
        lines = ["priority=%d,in_port=vf0,ip,nw_dst=10.%d.%d.%d,"
                 "actions=output:vf1" % (1 + i % 100, i >> 16, (i >> 8) & 255,
                                         i & 255) for i in range(FLOWS)]
        d.ok("add-flows", {"flows": lines})
        idle_connections(d)
        flood(d)
        unread_dumps(d)
        d.stop()
    except Exception as e:  # a crash of the harness is a failure too
        import traceback
        traceback.print_exc()
        failures.append("ctl_hostile: %s" % e)
        for name in os.listdir(tmp):
            if name.endswith(".log"):
                with open(os.path.join(tmp, name)) as f:
                    print("--- %s ---\n%s" % (name, f.read()[-3000:]))
    finally:
        kill_all()
    failures.extend(sanitizer_reports(tmp))
    if failures:
        print("FAILED (%d)" % len(failures))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
