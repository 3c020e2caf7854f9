# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch as a reference switch for tests: ovsdb-server and
ovs-vswitchd (--enable-dummy) started by hand in a private run folder (no
systemd, nothing of the host's own Open vSwitch touched), one bridge on the
userspace "dummy" datapath with netdev-dummy ports whose transmitted frames
land in pcap files.

Every process started here is in its own process group, gets SIGKILL if
this Python process dies (PR_SET_PDEATHSIG), and is killed by close(),
which callers run in a finally block.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time

# The plain (non-DPDK) build: only it has the dummy datapath's ports without
# an EAL. update-alternatives may point /usr/sbin/ovs-vswitchd at the DPDK
# build when openvswitch-switch-dpdk is installed too.
VSWITCHD_CANDIDATES = ["/usr/lib/openvswitch-switch/ovs-vswitchd",
                       "/usr/sbin/ovs-vswitchd"]
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
PR_SET_PDEATHSIG = 1


def find_vswitchd():
    for p in VSWITCHD_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return None


def missing_tools():
    """What this machine lacks to run the reference switch ([] if none)."""
    missing = [t for t in ("ovsdb-server", "ovsdb-tool", "ovs-vsctl",
                           "ovs-ofctl") if shutil.which(t) is None]
    if find_vswitchd() is None:
        missing.append("ovs-vswitchd")
    if not os.path.exists(SCHEMA):
        missing.append(SCHEMA)
    return missing


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Unixctl:
    """A JSON-RPC connection to an Open vSwitch daemon's control socket:
    what ovs-appctl does, without a process per call."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        # the daemon binds the socket a moment before it listens: on a
        # loaded machine the file is there and a connect is refused
        deadline = time.time() + 20
        while True:
            try:
                self.sock.connect(path)
                break
            except ConnectionRefusedError:
                if time.time() > deadline:
                    raise
                time.sleep(0.02)
        self.buf = ""
        self.next_id = 0
        self.dec = json.JSONDecoder()

    def call(self, method, *params):
        self.next_id += 1
        req = {"method": method, "params": list(params), "id": self.next_id}
        self.sock.sendall(json.dumps(req).encode())
        while True:
            text = self.buf.lstrip()
            if text:
                try:
                    obj, end = self.dec.raw_decode(text)
                except ValueError:
                    obj = None
                if obj is not None:
                    self.buf = text[end:]
                    if obj.get("id") != self.next_id:
                        continue
                    if obj.get("error") is not None:
                        raise RuntimeError("%s: %s" % (method, obj["error"]))
                    return obj["result"]
            data = self.sock.recv(1 << 16)
            if not data:
                raise RuntimeError("%s: the daemon closed its control "
                                   "socket" % method)
            self.buf += data.decode()

    def close(self):
        self.sock.close()


class PcapTail:
    """Frames appended to a pcap file that another process writes."""

    def __init__(self, path):
        self.path = path
        self.pos = 24           # after the global header
        self.f = None

    def read_new(self):
        if self.f is None:
            if not os.path.exists(self.path):
                return []
            self.f = open(self.path, "rb")
        self.f.seek(self.pos)
        data = self.f.read()
        frames, i = [], 0
        while len(data) - i >= 16:
            incl = struct.unpack_from("<I", data, i + 8)[0]
            if len(data) - i - 16 < incl:
                break
            frames.append(data[i + 16:i + 16 + incl])
            i += 16 + incl
        self.pos += i
        return frames

    def close(self):
        if self.f is not None:
            self.f.close()


class OvsSwitch:
    """ovsdb-server + ovs-vswitchd in @rundir, bridge br0 on the dummy
    datapath with ports p1..pN as OpenFlow ports 1..N."""

    def __init__(self, rundir, n_ports):
        self.rundir = rundir
        self.procs = []
        self.ctl = None
        self.tails = {}
        self.env = dict(os.environ, OVS_RUNDIR=rundir, OVS_LOGDIR=rundir,
                        OVS_DBDIR=rundir, OVS_SYSCONFDIR=rundir)
        self.db = "unix:" + os.path.join(rundir, "db.sock")
        self.mgmt = "unix:" + os.path.join(rundir, "br0.mgmt")
        self.n_ports = n_ports
        self.rx_seen = {}
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _path(self, name):
        return os.path.join(self.rundir, name)

    def _spawn(self, argv, log):
        out = open(self._path(log), "w")
        p = subprocess.Popen(argv, env=self.env, cwd=self.rundir,
                             stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT,
                             start_new_session=True,
                             preexec_fn=_die_with_parent)
        out.close()
        self.procs.append(p)
        return p

    def _wait_for(self, path, proc, what):
        deadline = time.time() + 20
        while not os.path.exists(path):
            if proc.poll() is not None:
                raise RuntimeError("%s exited (%d) before it was ready: %s"
                                   % (what, proc.returncode,
                                      self.log_tail(what)))
            if time.time() > deadline:
                raise RuntimeError("%s: no %s after 20 s" % (what, path))
            time.sleep(0.02)

    def _start(self):
        subprocess.run(["ovsdb-tool", "create", self._path("conf.db"),
                        SCHEMA], check=True, env=self.env,
                       capture_output=True)
        p = self._spawn(["ovsdb-server", self._path("conf.db"),
                         "--remote=p" + self.db,
                         "--unixctl=" + self._path("ovsdb-server.ctl"),
                         "--log-file=" + self._path("ovsdb-server.log"),
                         "-vconsole:off", "--no-chdir"], "ovsdb-server.out")
        self._wait_for(self._path("db.sock"), p, "ovsdb-server")
        self.vsctl("--no-wait", "init")
        p = self._spawn([find_vswitchd(), "--enable-dummy", "--disable-system",
                         "--disable-system-route", self.db,
                         "--unixctl=" + self._path("ovs-vswitchd.ctl"),
                         "--log-file=" + self._path("ovs-vswitchd.log"),
                         "-vconsole:off", "--no-chdir"], "ovs-vswitchd.out")
        self._wait_for(self._path("ovs-vswitchd.ctl"), p, "ovs-vswitchd")
        self.ctl = Unixctl(self._path("ovs-vswitchd.ctl"))
        args = ["add-br", "br0", "--", "set", "bridge", "br0",
                "datapath_type=dummy", "fail-mode=secure",
                "protocols=OpenFlow10,OpenFlow13"]
        for i in range(1, self.n_ports + 1):
            args += ["--", "add-port", "br0", "p%d" % i, "--", "set",
                     "interface", "p%d" % i, "type=dummy",
                     "ofport_request=%d" % i,
                     "options:tx_pcap=" + self._path("p%d-tx.pcap" % i)]
        self.vsctl(*args)
        for i in range(1, self.n_ports + 1):
            self.tails[i] = PcapTail(self._path("p%d-tx.pcap" % i))
        self.ofctl("del-flows", "br0")

    def set_vlans(self, cfg):
        """Each port's vlan_mode, tag and trunks ({port: (mode, tag,
        trunks)}), and an empty MAC learning table."""
        args = []
        for p, (mode, tag, trunks) in sorted(cfg.items()):
            name = "p%d" % p
            args += ["--", "clear", "port", name, "tag", "trunks"]
            args += ["--", "set", "port", name, "vlan_mode=" + mode]
            if tag is not None:
                args += ["--", "set", "port", name, "tag=%d" % tag]
            if trunks:
                args += ["--", "set", "port", name,
                         "trunks=" + ",".join(str(t) for t in trunks)]
        self.vsctl(*args[1:])
        self.ctl.call("fdb/flush", "br0")

    def add_patch_pair(self, a, b):
        """Patch ports a and b (OpenFlow numbers) in br0, each the other's
        peer: a pair whose two ends are in the one bridge."""
        self.vsctl("add-port", "br0", "patch%d" % a, "--", "set",
                   "interface", "patch%d" % a, "type=patch",
                   "options:peer=patch%d" % b, "ofport_request=%d" % a,
                   "--", "add-port", "br0", "patch%d" % b, "--", "set",
                   "interface", "patch%d" % b, "type=patch",
                   "options:peer=patch%d" % a, "ofport_request=%d" % b)

    def del_patch_pair(self, a, b):
        self.vsctl("del-port", "br0", "patch%d" % a, "--", "del-port",
                   "br0", "patch%d" % b)

    def log_tail(self, what, n=2000):
        for name in (what + ".log", what + ".out"):
            try:
                with open(self._path(name)) as f:
                    text = f.read()[-n:]
                if text:
                    return text
            except OSError:
                pass
        return "(no log)"

    def vsctl(self, *args):
        r = subprocess.run(["ovs-vsctl", "--db=" + self.db, "--timeout=20"]
                           + list(args), env=self.env, capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("ovs-vsctl %s: %s" % (" ".join(args[:4]),
                                                    r.stderr.strip()))
        return r.stdout

    def ofctl(self, cmd, *args, protocol=None):
        opt = ["-O", protocol] if protocol else []
        r = subprocess.run(["ovs-ofctl"] + opt + [cmd, self.mgmt]
                           + list(args[1:]), env=self.env,
                           capture_output=True, text=True)
        return r

    def add_tlv_map(self, mapping):
        """ovs-ofctl add-tlv-map: tun_metadata fields for the flows."""
        r = self.ofctl("add-tlv-map", "br0", mapping)
        if r.returncode != 0:
            raise RuntimeError("ovs-ofctl add-tlv-map: " + r.stderr.strip())

    def replace_flows(self, lines, own_protocol=None):
        """Only @lines in the flow table, and no datapath flow cached from
        before. ovs-ofctl picks one OpenFlow version for all the flows of
        one call, and that changes what some actions mean (mod_vlan_vid
        sent as OpenFlow 1.3 always pushes a tag), so the lines flagged in
        @own_protocol are added each by a call of its own, as a user typing
        them one by one would. Returns (index, error) of every line
        refused."""
        r = self.ofctl("del-flows", "br0")
        if r.returncode != 0:
            raise RuntimeError("ovs-ofctl del-flows: " + r.stderr.strip())
        own = own_protocol or [False] * len(lines)
        path = self._path("flows.txt")

        def add(batch):
            with open(path, "w") as f:
                f.write("".join(lines[i] + "\n" for i in batch))
            # OpenFlow 1.3 only for what OpenFlow 1.0 cannot say
            return self.ofctl("add-flows", "br0", path,
                              protocol="OpenFlow13" if own[batch[0]]
                              else None)

        refused = []
        shared = [i for i in range(len(lines)) if not own[i]]
        batches = [[i] for i in range(len(lines)) if own[i]]
        if shared and add(shared).returncode != 0:
            # add-flows stops at the first error: one at a time, to know
            # which
            self.ofctl("del-flows", "br0")
            batches = [[i] for i in range(len(lines))]
        for b in batches:
            r = add(b)
            if r.returncode != 0:
                refused.append((b[0], r.stderr.strip()))
        self.ctl.call("revalidator/purge")
        return refused

    def _rx_packets(self, port):
        text = self.ctl.call("dpctl/show", "-s")
        cur = None
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("port "):
                cur = s.split(":")[1].split()[0]
            elif s.startswith("RX packets:") and cur == "p%d" % port:
                return int(s.split()[1].split(":")[1])
        raise RuntimeError("dpctl/show has no port p%d" % port)

    def send(self, port, frame):
        """Receive @frame on @port and return its outputs: a list of
        (port, bytes). ovs-vswitchd's main thread polls the dummy ports
        and processes what it took before it answers the next command, so
        once the port's rx counter shows the frame it has been through the
        datapath, upcall included."""
        want = self.rx_seen.get(port, 0) + 1
        self.ctl.call("netdev-dummy/receive", "p%d" % port, frame.hex())
        deadline = time.time() + 10
        while self._rx_packets(port) < want:
            if time.time() > deadline:
                raise RuntimeError("ovs-vswitchd did not take a frame on p%d "
                                   "within 10 s" % port)
        self.rx_seen[port] = want
        out = []
        for p, t in self.tails.items():
            out += [(p, f) for f in t.read_new()]
        return out

    def flush_conntrack(self):
        """Forget every tracked connection (a round starts afresh)."""
        self.ctl.call("dpctl/flush-conntrack")

    def push_stats(self):
        """Move the datapath flows' counters to the OpenFlow flows (by
        deleting the datapath flows)."""
        self.ctl.call("revalidator/purge")

    def flow_counts(self):
        """n_packets of every flow, by cookie."""
        self.ctl.call("revalidator/wait")
        self.ctl.call("revalidator/purge")
        # OpenFlow 1.3: OpenFlow 1.0 cannot show a flow that matches or
        # writes metadata, and the dump would leave such flows out
        r = self.ofctl("dump-flows", "br0", protocol="OpenFlow13")
        if r.returncode != 0:
            raise RuntimeError("ovs-ofctl dump-flows: " + r.stderr.strip())
        counts = {}
        for line in r.stdout.splitlines():
            fields = dict(x.split("=", 1) for x in
                          line.strip().split(" actions=")[0]
                          .replace(",", " ").split() if "=" in x)
            if "cookie" in fields and "n_packets" in fields:
                # learned flows share their learn's cookie: summed
                c = int(fields["cookie"], 16)
                counts[c] = counts.get(c, 0) + int(fields["n_packets"])
        return counts

    def close(self):
        if self.ctl is not None:
            try:
                self.ctl.close()
            except OSError:
                pass
        for t in self.tails.values():
            t.close()
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in reversed(self.procs):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        self.procs = []
