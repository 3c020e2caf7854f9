# SPDX-License-Identifier: BSD-3-Clause
"""A directed round of the differential test against Open vSwitch
(ovsdiff.py), the same every run: what ends or forks a packet's pipeline
where random tables rarely put it. exit with an action set written
(Open vSwitch 3.1 then runs no set), exit in a resubmitted table (the
resubmitting list and the tables after end too) and inside a clone (the
packet's actions end, not only the clone's); notes beside all of it.
Every flow goes as OpenFlow 1.3 (write_actions needs 1.1+).
"""
import random

import ovsdiff_gen as g


def pipe_case():
    """(flows [(line, of13)], frames [(port, frame)])"""
    flows = [
        # in_port 1: a set written, a resubmit whose table exits
        "table=0,priority=100,in_port=1 actions=write_actions(output:4),"
        "output:2,resubmit(,1),output:3,goto_table:2",
        "table=1,priority=100,in_port=1 actions=mod_dl_src:02:00:00:00:00:99,"
        "output:2,exit,output:3",
        "table=2,priority=100 actions=output:4",
        # in_port 2: exit inside a clone ends the packet's actions
        "table=0,priority=100,in_port=2 actions=note:41.42,"
        "clone(mod_dl_dst:02:00:00:00:00:09,output:1,exit,output:3),"
        "output:4",
        # in_port 3: a set written, the next table exits after an output
        "table=0,priority=100,in_port=3 actions=write_actions(output:1),"
        "goto_table:1",
        "table=1,priority=100,in_port=3 actions=output:2,exit",
        "table=1,priority=90,in_port=4 actions=output:1",
        # in_port 4: exit after the outputs, before write_actions
        "table=0,priority=100,in_port=4,ip actions=output:2,exit,"
        "write_actions(output:3),goto_table:1",
        "table=0,priority=90,in_port=4 actions=output:3,note:00,"
        "goto_table:1",
    ]
    flows = [("cookie=%d,%s" % (i + 1, f), True)
             for i, f in enumerate(flows)]
    rnd = random.Random(12)
    frames = []
    for port in g.PORTS:
        for _ in range(6):
            _, f = g.random_frame(rnd, False, False, False)
            frames.append((port, f))
    return flows, frames
