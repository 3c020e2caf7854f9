#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""snic_emunic.Emunic: ready only once the card says so, with every socket
it opens at start there; a card that exits or stays silent is named with
its socket and status, and nothing is left running. Environment: EMUNIC.
"""
import os
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snic_emunic import Emunic, EmunicError  # noqa: E402


class EmunicTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="snic-emunic-py.")
        self.sock = os.path.join(self.tmp, "nic")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_ready_means_every_socket_listens(self):
        card = Emunic(self.sock, "-q", "--num-vfs", "3")
        self.assertTrue(os.path.exists(self.sock + ".vf2"))
        self.assertTrue(card.ready.startswith("emunic: listening on " +
                                              self.sock), card.ready)
        self.assertEqual(card.stop(), 0)

    def test_card_that_exits_is_named_with_status_and_log(self):
        with self.assertRaises(EmunicError) as e:
            Emunic(self.sock, "-q", "--profile", "nonesuch")
        for part in ("exited with status 2", self.sock, "nonesuch"):
            self.assertIn(part, str(e.exception))

    def test_silent_card_times_out_and_is_reaped(self):
        silent = os.path.join(self.tmp, "card")
        with open(silent, "w") as f:
            f.write("#!/bin/sh\nexec sleep 30\n")
        os.chmod(silent, stat.S_IRWXU)
        with self.assertRaises(EmunicError) as e:
            Emunic(self.sock, binary=silent, timeout=0.3)
        self.assertIn("did not listen within 0.3 s", str(e.exception))
        self.assertIn(self.sock, str(e.exception))
        with self.assertRaises(ChildProcessError):   # no child left
            os.waitpid(-1, os.WNOHANG)


if __name__ == "__main__":
    unittest.main(verbosity=2)
