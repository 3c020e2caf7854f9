"""What every contender of scripts/bench-ovs-compare shares on the host.

The private temporary directory, the hugepages reserved for the run and
their private hugetlbfs, the EAL options every DPDK process gets (the same
cores, memory and file-prefix scheme), child processes that die with the
benchmark, and one sample of a forwarding rate: the sink's counter read
twice, the load average, and how much of its core the busiest thread of the
contender got meanwhile (below 100 % it was preempted by someone else's
work: the machine is shared).

Everything made here is undone by Host.close(), which the script runs on
every exit, Ctrl-C included; the children also get SIGTERM from the kernel
if the script dies without running it.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from snic_child import die_with_parent  # noqa: E402

# One forwarding core (1); core 0 runs everything else of every contender.
MAIN_CORE, FWD_CORE = 0, 1
# Memory for each DPDK process, MB; all get the same. Without hugepages
# a pool of MBUFS needs more than 1 GB (4 KB pages).
MEM_MB = 1024
MEM_MB_NO_HUGE = 1536
# 2 MB pages reserved for the run: one process at a time, plus slack.
HUGE_PAGES = 640
# Packets per rx/tx burst: Open vSwitch's NETDEV_MAX_BURST, snicd's BURST,
# testpmd's --burst.
BURST = 32
# mbufs of snicd's and testpmd's pools: the pcap vdev holds the whole
# capture (up to 100,000 frames) in mbufs.
MBUFS = 262144
NR_HUGEPAGES = "/proc/sys/vm/nr_hugepages"


class BenchError(Exception):
    """A contender could not run or measure: the cell fails with this."""


def log(msg):
    print("bench-ovs-compare: " + msg, file=sys.stderr, flush=True)


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class Host:
    def __init__(self, use_huge):
        self.tmp = tempfile.mkdtemp(prefix="ovsbench.")
        self.logs = os.path.join(self.tmp, "logs")
        os.mkdir(self.logs)
        self.prefix = "ovsbench-%d" % os.getpid()
        self.huge_dir = None
        self.huge_added = 0
        self.children = []
        if use_huge:
            self._huge_setup()
        self.mem_mb = MEM_MB if self.huge_dir else MEM_MB_NO_HUGE

    # -- hugepages ---------------------------------------------------------
    def _huge_setup(self):
        with open(NR_HUGEPAGES) as f:
            before = int(f.read())
        try:
            with open(NR_HUGEPAGES, "w") as f:
                f.write(str(before + HUGE_PAGES))
        except OSError:
            pass
        with open(NR_HUGEPAGES) as f:
            self.huge_added = max(0, int(f.read()) - before)
        if self.huge_added < HUGE_PAGES:
            log("could reserve only %d of %d hugepages; running without"
                % (self.huge_added, HUGE_PAGES))
            self._huge_release()
            return
        d = os.path.join(self.tmp, "huge")
        os.mkdir(d)
        if subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M",
                           "nodev", d]).returncode != 0:
            log("cannot mount hugetlbfs; running without hugepages")
            os.rmdir(d)
            self._huge_release()
            return
        self.huge_dir = d

    def _huge_release(self):
        # give back what we added, not an absolute value: someone else may
        # have reserved pages of their own meanwhile
        if self.huge_added <= 0:
            return
        with open(NR_HUGEPAGES) as f:
            now = int(f.read())
        try:
            with open(NR_HUGEPAGES, "w") as f:
                f.write(str(max(0, now - self.huge_added)))
        except OSError:
            log("cannot release %d hugepages" % self.huge_added)
        self.huge_added = 0

    def free_huge_files(self):
        """Hugepage files outlive a DPDK process unless removed: free them
        for the next contender (the mount is ours alone)."""
        if self.huge_dir:
            for name in os.listdir(self.huge_dir):
                try:
                    os.unlink(os.path.join(self.huge_dir, name))
                except OSError:
                    pass

    def remove_eal_dirs(self):
        base = "/var/run/dpdk"
        if os.path.isdir(base):
            for name in os.listdir(base):
                if name.startswith(self.prefix + "-"):
                    shutil.rmtree(os.path.join(base, name),
                                  ignore_errors=True)

    # -- DPDK processes ----------------------------------------------------
    def eal_args(self, name, vdevs):
        """The EAL options of a DPDK contender, the same for all but the
        file prefix."""
        args = ["-l", "%d,%d" % (MAIN_CORE, FWD_CORE), "--no-pci",
                "--file-prefix=%s-%s" % (self.prefix, name),
                "--no-telemetry", "-m", str(self.mem_mb)]
        args += ["--huge-dir", self.huge_dir] if self.huge_dir \
            else ["--no-huge"]
        for v in vdevs:
            args += ["--vdev", v]
        return args

    def ovs_dpdk_extra(self, name):
        """Open vSwitch's dpdk-extra for the same EAL set-up (its cores and
        memory are set through other_config)."""
        extra = "--no-pci --file-prefix=%s-%s --no-telemetry" % (
            self.prefix, name)
        if not self.huge_dir:
            extra += " --no-huge --legacy-mem -m %d" % self.mem_mb
        return extra

    def spawn(self, args, log_name, env=None, **kw):
        """A child that gets SIGTERM should the benchmark die."""
        out = open(os.path.join(self.logs, log_name), "ab")
        kw.setdefault("stdout", out)
        kw.setdefault("stderr", subprocess.STDOUT)
        p = subprocess.Popen(args, env=env, stdin=kw.pop("stdin",
                                                         subprocess.DEVNULL),
                             preexec_fn=die_with_parent(15), **kw)
        out.close()
        self.children.append(p)
        return p

    def stop(self, p, name):
        """SIGTERM, up to 5 s, then SIGKILL."""
        if p is None:
            return
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                log("%s (pid %d) ignores SIGTERM, killing it" % (name, p.pid))
                p.kill()
                p.wait()
        if p in self.children:
            self.children.remove(p)

    def after_contender(self):
        self.free_huge_files()
        self.remove_eal_dirs()

    def close(self, keep_logs=None):
        for p in list(self.children):
            self.stop(p, "pid %d" % p.pid)
        self.after_contender()
        if self.huge_dir:
            if subprocess.run(["umount", self.huge_dir]).returncode != 0:
                log("cannot unmount " + self.huge_dir)
            self.huge_dir = None
        self._huge_release()
        if keep_logs:
            shutil.copytree(self.logs, keep_logs, dirs_exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def thread_cpu_ns(pid):
    """{tid: nanoseconds on a CPU} of a process's threads (schedstat)."""
    out = {}
    base = "/proc/%d/task" % pid
    try:
        tids = os.listdir(base)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("%s/%s/schedstat" % (base, tid)) as f:
                out[tid] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return out


def sample(counter, seconds, pid):
    """One sample: (Mpps, 1-min load average, share of a core the busiest
    thread of @pid, its forwarding thread, got).  @counter() returns the
    sink's transmitted packets; each read is timed at the middle of its
    call, so the time a control command takes is not counted."""
    def read():
        t0 = time.monotonic()
        c = counter()
        return c, (t0 + time.monotonic()) / 2
    cpu0, tc0 = thread_cpu_ns(pid), time.monotonic()
    c0, t0 = read()
    time.sleep(seconds)
    c1, t1 = read()
    cpu1, tc1 = thread_cpu_ns(pid), time.monotonic()
    busiest = max((cpu1[t] - cpu0.get(t, 0) for t in cpu1), default=0)
    return ((c1 - c0) / (t1 - t0) / 1e6, load1(),
            min(1.0, busiest / 1e9 / (tc1 - tc0)))
