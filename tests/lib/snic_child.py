# SPDX-License-Identifier: BSD-3-Clause
"""Processes a test driver starts die with the driver.

meson kills a timed-out test's process group; a child in a session of its
own (start_new_session, so it can be killed as a group) would outlive the
test, and scripts/test fails the suite when anything does. Pass
preexec_fn=die_with_parent() to subprocess: the kernel signals the child
when the driver dies, however it dies (SIGKILL included). Standard library
only.
"""
import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(sig=signal.SIGKILL):
    """A preexec_fn: @sig to the child when this process dies (SIGTERM
    for children that must clean up, such as scripts/demo)."""
    parent = os.getpid()

    def arm():
        if _libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0 \
                or os.getppid() != parent:
            os._exit(126)
    return arm


def dpdk_runtime_base():
    """Where DPDK keeps the runtime folders, one per file prefix."""
    return "/var/run/dpdk" if os.getuid() == 0 else os.path.join(
        os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")


def remove_dpdk_runtime(prefix):
    """Removes the runtime folder of a DPDK primary started with
    --file-prefix @prefix, once it has exited. DPDK 22.11 leaves it behind
    at exit (empty with --no-shconf, several MB without), and a killed
    process cannot remove its own. Call only for a prefix of our own."""
    folder = os.path.join(dpdk_runtime_base(), prefix)
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass
    try:
        os.rmdir(folder)
    except OSError:
        pass
