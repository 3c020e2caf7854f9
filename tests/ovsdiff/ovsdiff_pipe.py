# SPDX-License-Identifier: BSD-3-Clause
"""A directed round of the differential test against Open vSwitch
(ovsdiff.py), the same every run: what ends or forks a packet's pipeline
where random tables rarely put it. exit with an action set written
(Open vSwitch 3.1 then runs no set), exit in a resubmitted table (the
resubmitting list and the tables after end too) and inside a clone (the
packet's actions end, not only the clone's); notes beside all of it.
Every flow goes as OpenFlow 1.3 (write_actions needs 1.1+).

clone_case(): clone as Open vSwitch 3.1 runs it, directed too: resubmits
inside its body (registers, rewrites and the register stack of the copy
seen by the tables they look up, an exit there, a loop through clones
past the resubmit limits), and the action set, which the copy takes
along and runs at the clone's end.
"""
import random

import ovsdiff_gen as g


def _directed(lines, seed):
    """A directed case: @lines as OpenFlow 1.3 flows with cookies 1..,
    and six random frames (a fixed @seed) in on each port."""
    flows = [("cookie=%d,%s" % (i + 1, f), True)
             for i, f in enumerate(lines)]
    rnd = random.Random(seed)
    frames = []
    for port in g.PORTS:
        for _ in range(6):
            _, f = g.random_frame(rnd, False, False, False)
            frames.append((port, f))
    return flows, frames


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
    return _directed(flows, 12)


def clone_case():
    """(flows [(line, of13)], frames [(port, frame)])"""
    flows = [
        # in_port 1: the packet's set, run by the copy at the clone's end
        # and by the packet at its own
        "table=0,priority=100,in_port=1 actions=resubmit(,3),"
        "clone(mod_dl_src:02:00:00:00:00:99,output:2),output:3",
        "table=3,priority=100 actions=write_actions(output:4)",
        # in_port 2: a register of the copy's matched by the table it
        # resubmits to, whose exit ends the packet
        "table=0,priority=100,in_port=2 actions=resubmit(,3),"
        "clone(set_field:1->reg3,resubmit(,1),output:4),output:3",
        "table=1,priority=100,reg3=1 actions=output:1,exit",
        "table=1,priority=10 actions=output:1",
        # in_port 3: a tag and the stack inside, a set written by the
        # table the copy resubmits to, outputs to what the copy's
        # registers hold, and after the clone to what the packet's hold
        # (untagged frames: as OpenFlow 1.3, mod_vlan_vid pushes a tag
        # onto a tagged one in Open vSwitch, docs/ovs-differences.md)
        "table=0,priority=100,in_port=3,vlan_tci=0/0x1000 "
        "actions=mod_vlan_vid:5,"
        "clone(strip_vlan,push:NXM_NX_REG0[],set_field:9->reg0,"
        "resubmit(,2),output:1),pop:NXM_NX_REG1[],output:4",
        "table=2,priority=100,reg0=9 actions=mod_dl_dst:02:00:00:00:00:55,"
        "output:2,goto_table:4",
        "table=4,priority=100 actions=pop:NXM_NX_REG2[],"
        "output:NXM_NX_REG2[0..15],write_actions(output:4)",
        # in_port 4: a loop through clones past the limits (the packet is
        # dropped whole) for IPv4, a register put back for the rest
        "table=0,priority=100,in_port=4,ip actions=output:2,"
        "clone(resubmit(,5)),output:3",
        "table=5,priority=100 actions=clone(resubmit(,5))",
        "table=0,priority=90,in_port=4 actions=set_field:1->reg0,"
        "clone(resubmit(,6),output:2),output:NXM_NX_REG0[0..15]",
        "table=6,priority=100 actions=set_field:3->reg0,"
        "output:NXM_NX_REG0[0..15]",
    ]
    return _directed(flows, 13)
