# SPDX-License-Identifier: BSD-3-Clause
"""Rounds of the differential test against Open vSwitch (ovsdiff.py) with
a patch pair, ports 300 and 301, whose two ends are in the one bridge
(Open vSwitch: type=patch ports; snicd: --patch, struct dp_port.peer).

patch_case(rnd, normal): random tables over the data ports 1..4 and the
pair. Flows that only packets from a data port reach (table 0's
in_port=1..4, and what they resubmit to with that port) may send to the
pair: output:300/301, IN_PORT, FLOOD, ALL, NORMAL (odd rounds), a clone,
output:REG, write_actions; the flows the peer's side can reach send to
data ports only. So no packet loops through the pair or fans out past
Open vSwitch's limits (the directed case has those), and NORMAL learns
once a packet: Open vSwitch floods in the order of its hash maps, so two
NORMALs in one packet would learn in an order of its own. The peer's
flows match what it must see cleared (reg0, tun_id, metadata, ct_state
untracked) and what it keeps (pkt_mark, the frame as rewritten).

directed_case(): a loop through the pair (64 deep), a fan-out that passes
4,096 lookups with and without a lookup after it, a resubmit loop on the
peer's side (which fails only that side), exit, truncation and IN_PORT
on the peer's side, the action set and the register stack of each side,
registers and tun_id cleared there, pkt_mark kept, the packet as it was
after it.
"""
import random

import ovsdiff_gen as g

PAIR = (300, 301)
DATA = g.PORTS
ALLP = DATA + list(PAIR)
N_TABLES = 3


def _peer_match(rnd):
    """What a flow the peer's side reaches may match on beyond in_port."""
    return rnd.choice(["", "", "reg0=0", "reg0=2", "tun_id=0", "tun_id=0x5",
                       "pkt_mark=0x7", "pkt_mark=0", "dl_vlan=10",
                       "dl_vlan=0xffff", "ip", "udp", "dl_dst=" +
                       rnd.choice(g.MACS)])


def _action(rnd, table, entry, normal, tagged):
    """One action (text, needs OpenFlow 1.3) of a flow of @table; @entry:
    only packets from a data port reach it."""
    r = rnd.random()
    if r < 0.22:
        out = rnd.choice(ALLP if entry else DATA)
        if entry and rnd.random() < 0.5:
            out = rnd.choice(PAIR)
        return "output:%d" % out, False
    if r < 0.27 and entry:
        return rnd.choice(["in_port", "flood", "all"]
                          + (["normal", "NORMAL"] if normal and table == 0
                             else [])), False
    if r < 0.32:
        return "mod_dl_dst:" + rnd.choice(g.MACS), False
    if r < 0.36:
        return "mod_dl_src:02:00:00:00:00:aa", False
    if r < 0.41 and not tagged:
        return "mod_vlan_vid:%d" % rnd.choice([10, 30]), False
    if r < 0.44:
        return "strip_vlan", False
    if r < 0.5:
        return "load:%d->NXM_NX_REG0[]" % rnd.choice([0, 2, 3]), False
    if r < 0.54:
        return "set_field:0x5->tun_id", False
    if r < 0.58:
        return "load:0x7->NXM_NX_PKT_MARK[]", False
    if r < 0.62:
        return rnd.choice(["push:NXM_NX_REG0[]", "pop:NXM_NX_REG1[]",
                           "pop:NXM_NX_REG0[]"]), False
    if r < 0.7 and table < N_TABLES - 1:
        t = rnd.randint(table + 1, N_TABLES - 1)
        port = rnd.choice(["", "300", "301"] + (["1", "3"] if entry
                                                  else []))
        return "resubmit(%s,%d)" % (port, t), False
    if r < 0.73:
        # Open vSwitch refuses to truncate into a patch port: nothing
        return "output(port=%d,max_len=64)" % rnd.choice(PAIR), False
    if r < 0.77 and entry:
        return "clone(mod_dl_dst:02:00:00:00:00:99,output:%d)" % (
            rnd.choice(PAIR)), False
    if r < 0.8 and entry:
        return "load:%d->NXM_NX_REG2[0..15],output:NXM_NX_REG2[0..15]" % (
            rnd.choice(ALLP)), False
    if r < 0.82:
        return "exit", False
    if r < 0.86:
        return "set_field:0x%x->metadata" % rnd.choice([0x11, 0x22]), True
    if r < 0.9:
        return "ct_clear", False
    return "output:%d" % rnd.choice(DATA), False


def _flow(rnd, table, priority, cookie, normal):
    """(line, OpenFlow 1.3)"""
    m = []
    entry = False
    r = rnd.random()
    if r < 0.5:
        m.append("in_port=%d" % rnd.choice(DATA))
        entry = True
    elif r < 0.85:
        m.append("in_port=%d" % rnd.choice(PAIR))
    extra = _peer_match(rnd) if rnd.random() < 0.8 else ""
    if table > 0 and rnd.random() < 0.3:
        extra = rnd.choice(["metadata=0x11", "metadata=0"])
    if extra:
        m.append(extra)
    of13 = extra.startswith("metadata")
    tagged = "dl_vlan=10" in m
    acts = []
    for _ in range(rnd.randint(1, 4)):
        a, need13 = _action(rnd, table, entry, normal, tagged)
        if a.startswith("mod_vlan_vid"):
            tagged = True
        of13 |= need13
        acts.append(a)
    if rnd.random() < 0.15:
        acts.append("write_actions(output:%d)" % rnd.choice(
            ALLP if entry else DATA))
        of13 = True
    if table < N_TABLES - 1 and rnd.random() < 0.3:
        acts.append("goto_table:%d" % (table + 1))
        of13 = True
    # OpenFlow 1.3's mod_vlan_vid always pushes a tag, and its pop_vlan
    # needs a tag in the match: neither in such a flow
    if of13:
        acts = [a for a in acts
                if not a.startswith(("mod_vlan_vid", "strip_vlan"))]
    line = "table=%d,priority=%d,cookie=%d%s actions=%s" % (
        table, priority, cookie, "".join("," + x for x in m),
        ",".join(acts) if acts else "drop")
    return line, of13


def patch_case(rnd, normal=False, per_table=(16, 8, 8)):
    """(flows [(line, OpenFlow 1.3)], frames [(port, frame)])"""
    flows = []
    for t in range(N_TABLES):
        prios = rnd.sample(range(1, 1000), per_table[t])
        for p in prios:
            flows.append(_flow(rnd, t, p, len(flows) + 1, normal))
    two_tags = not any("strip_vlan" in f for f, _ in flows)
    vlans = {p: ("trunk", None, None) for p in DATA}
    # no tag with DEI set: a peer's side that changes the tag makes Open
    # vSwitch push it again whole, DEI 0, at the first side's next output
    # (docs/ovs-differences.md)
    frames = [g.normal_frame(rnd, vlans)
              if normal and rnd.random() < 0.5 else
              g.random_frame(rnd, two_tags, True, False)
              for _ in range(150)]
    return flows, frames


def directed_case():
    """(flows [(line, OpenFlow 1.3)], frames [(port, frame)])"""
    lines = [
        # in_port 1: a loop through the pair, 64 deep; the packet's own
        # output after it. The peer's side sees reg0 and tun_id cleared
        # (else port 4).
        "table=0,priority=100,in_port=1 actions=load:5->NXM_NX_REG0[],"
        "set_field:0x5->tun_id,output:300,output:2",
        "table=0,priority=100,in_port=301 actions=output:3,output:300",
        "table=0,priority=110,in_port=301,reg0=5 actions=output:4",
        "table=0,priority=120,in_port=301,tun_id=0x5 actions=output:4",
        # in_port 2, IPv4: a fan-out past 4,096 lookups, then a resubmit:
        # dropped whole; IPv6: a resubmit loop on the peer's side fails
        # only that side; others: the fan-out alone, every copy leaves
        "table=0,priority=100,in_port=2,ip actions=output:1,output:301,"
        "resubmit(,1)",
        "table=0,priority=100,in_port=2,ipv6 actions="
        "load:0x33->NXM_NX_PKT_MARK[],output:301,output:4",
        "table=0,priority=90,in_port=2 actions=output:1,output:301",
        "table=0,priority=100,in_port=300 actions=output:4,output:301,"
        "output:301",
        "table=0,priority=120,in_port=300,pkt_mark=0x33 actions=output:3,"
        "resubmit(,0)",
        "table=1,priority=100 actions=output:3",
        # in_port 3: each side's action set and register stack, an exit
        # and IN_PORT in the peer's side, truncation into the pair
        "table=0,priority=100,in_port=3 actions=load:9->NXM_NX_REG1[],"
        "push:NXM_NX_REG1[],write_actions(output:4),goto_table:2",
        "table=2,priority=100,in_port=3 actions=output(port=300,max_len=20),"
        "clone(output:300),pop:NXM_NX_REG2[],resubmit(,3)",
        "table=3,priority=100,reg2=9 actions=output:2",
        "table=3,priority=10 actions=output:1",
        # in_port 4: pkt_mark crosses the pair; on the peer's side a
        # rewrite, a pop of its empty stack, its own action set, which an
        # exit skips, and IN_PORT back through the pair (into the loop
        # above); the exit ends only that side, the packet goes on as it
        # was
        "table=0,priority=100,in_port=4 actions=mod_dl_src:02:00:00:00:00:44,"
        "load:0x44->NXM_NX_PKT_MARK[],load:2->NXM_NX_REG3[],"
        "push:NXM_NX_REG3[],output:301,output:2,resubmit(,1),output:1,"
        "pop:NXM_NX_REG4[],output:NXM_NX_REG4[0..15]",
        "table=0,priority=110,in_port=300,pkt_mark=0x44 "
        "actions=mod_dl_dst:02:00:00:00:00:55,pop:NXM_NX_REG0[],"
        "resubmit(,4),output:NXM_NX_REG0[0..15],in_port,exit,output:2",
        "table=4,priority=100 actions=write_actions(output:1)",
    ]
    flows = [("cookie=%d,%s" % (i + 1, f), True)
             for i, f in enumerate(lines)]
    rnd = random.Random(14)
    frames = []
    for port in DATA:
        for _ in range(8):
            _, f = g.random_frame(rnd, False, False, False)
            frames.append((port, f))
    return flows, frames
