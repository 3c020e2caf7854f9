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
