# SPDX-License-Identifier: BSD-3-Clause
"""The emulated card for the Python drivers: one way to start it and to
know it is ready, as common/snic_emunic.h is for C.

Emunic(sock, ARGS...) runs $EMUNIC --socket SOCK ARGS... and returns once
the card has printed "emunic: listening on": emunic prints that after
every socket it opens at start (PF, uplink, each VF) listens, so any of
them may be opened at once. Its output (stdout and stderr) goes to a log,
SOCK.log unless told otherwise. The wait is bounded; a card that exits or
stays silent is killed and reaped, and the error names the socket, the
card's exit status and the end of its log. The card dies with the driver
(die_with_parent). Standard library only.
"""
import os
import signal
import subprocess
import time

from snic_child import die_with_parent

EMUNIC = os.environ.get("EMUNIC", "build/firmware-api/emunic")
READY = "emunic: listening on "


class EmunicError(RuntimeError):
    pass


class Emunic:
    """A running card: .sock, .proc (its Popen), .log, .ready (its ready
    line). @new_session: in a session of its own, for a driver that kills
    its children as process groups."""

    def __init__(self, sock, *args, log=None, timeout=10.0,
                 new_session=False, binary=None):
        self.sock = sock
        self.log = log if log is not None else sock + ".log"
        binary = binary or EMUNIC
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [binary, "--socket", sock, *args], stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT,
                start_new_session=new_session,
                preexec_fn=die_with_parent())
        self.ready = self._wait_ready(binary, timeout)

    def _wait_ready(self, binary, timeout):
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log) as f:
                for line in f:
                    if line.startswith(READY):
                        return line.rstrip("\n")
            status = self.proc.poll()
            if status is not None:
                why = ("was killed by signal %d" % -status if status < 0
                       else "exited with status %d" % status)
                break
            if time.monotonic() >= deadline:
                self.kill()
                why = "did not listen within %g s" % timeout
                break
            time.sleep(0.02)
        raise EmunicError("emunic (%s) %s on %s; its log (%s): %s"
                          % (binary, why, self.sock, self.log,
                             self.tail()))

    def tail(self, size=1000):
        with open(self.log) as f:
            return f.read()[-size:]

    def stop(self, timeout=5.0):
        """SIGTERM, up to @timeout s, then SIGKILL; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.kill()

    def kill(self):
        """SIGKILL (if still running) and reap; its exit status."""
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()
