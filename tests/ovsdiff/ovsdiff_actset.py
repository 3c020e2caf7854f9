# SPDX-License-Identifier: BSD-3-Clause
"""Action-set rounds of the differential test against Open vSwitch
(ovsdiff.py): OpenFlow 1.1's write_actions(...), clear_actions and the
actset_output match over three tables, with goto_table, resubmit, misses
and write_metadata between them and the register stack (push:, pop:) between them
(docs/ovs-differences.md says what is left out, and why).

Every flow goes as OpenFlow 1.3 (the instructions need 1.1+). Table 0
writes into the set and goes on; table 1 matches what it wrote
(actset_output, metadata) and adds, replaces or clears; table 2 ends the
pipeline or misses. The set runs at the end: its pops and pushes, dec_ttl,
the rewrites in the order written, and the last output written.
"""
import ovsdiff_gen as g

PORTS = g.PORTS


def _body(rnd, ip, tcp):
    """The actions of one write_actions(...)."""
    acts = []
    for _ in range(rnd.randint(0, 4)):
        r = rnd.random()
        if r < 0.15:
            acts.append("mod_dl_src:%s" % rnd.choice(g.MACS[:3]))
        elif r < 0.25:
            acts.append("set_field:%s->eth_dst" % rnd.choice(g.MACS))
        elif r < 0.35 and ip:
            acts.append("set_field:%s->ip_src" % rnd.choice(g.IP4))
        elif r < 0.42 and ip:
            # OpenFlow 1.3 sends it as set_field onto ip_dscp, which needs ip
            acts.append("mod_nw_tos:%d" % rnd.choice([0, 16, 252]))
        elif r < 0.52:
            acts.append("dec_ttl")
        elif r < 0.6:
            acts.append(rnd.choice(["strip_vlan", "pop_vlan"]))
        elif r < 0.68 and tcp:
            acts.append("set_field:%d->tcp_dst" % rnd.choice(g.L4_PORTS))
        elif r < 0.74:
            acts.append("mod_tp_src:%d" % rnd.choice(g.L4_PORTS))
        elif r < 0.84:
            acts.append(rnd.choice([
                "set_field:%d->reg0" % rnd.randrange(1, 5),
                "load:%d->NXM_NX_REG1[0..7]" % rnd.randrange(256),
                "move:NXM_NX_REG0[0..15]->NXM_NX_REG2[16..31]"]))
        elif r < 0.9 and ip:
            acts.append("mod_nw_ttl:%d" % rnd.choice([1, 9, 200]))
        else:
            acts.append(rnd.choice(["output:%d" % rnd.choice(PORTS),
                                    "in_port", "output:IN_PORT",
                                    "output:65532"]))
    if rnd.random() < 0.75:
        # the output, usually last (the set keeps the last one written)
        acts.insert(rnd.randint(0, len(acts)) if rnd.random() < 0.3
                    else len(acts), "output:%d" % rnd.choice(PORTS))
    return acts


def _match(rnd):
    """(match, ip promised, tcp promised)"""
    r = rnd.random()
    if r < 0.3:
        return "tcp", True, True
    if r < 0.55:
        return "ip", True, False
    if r < 0.75:
        return "in_port=%d" % rnd.choice(PORTS), False, False
    if r < 0.82:
        return "dl_src=%s" % rnd.choice(g.MACS[:3]), False, False
    if r < 0.9:
        return rnd.choice(["dl_vlan=10", "vlan_tci=0x1000/0x1000"]), \
            False, False
    return "", False, False


def _applied(rnd, table, tagged):
    """Actions applied at once, before the instructions."""
    acts = []
    for _ in range(rnd.choice([0, 0, 1, 2])):
        r = rnd.random()
        if table == 2 and tagged and rnd.random() < 0.5:
            # OpenFlow 1.3 strips only a tag the match promises
            acts.append("strip_vlan")
            tagged = False
        elif tagged and rnd.random() < 0.4:
            # OpenFlow 1.1's set_vlan_vid/pcp: onto the tag there is (the
            # match's; a resubmitted table may have stripped it: then
            # nothing, where mod_vlan_vid would push one)
            acts.append(rnd.choice(["set_vlan_vid:%d" % rnd.choice(
                                        [10, 30, 4095]),
                                    "set_vlan_pcp:%d" % rnd.randrange(8)]))
        elif r < 0.4:
            acts.append("output:%d" % rnd.choice(PORTS))
        elif r < 0.6:
            acts.append("mod_dl_dst:%s" % rnd.choice(g.MACS[:3]))
        elif r < 0.72:
            acts.append("set_field:%d->reg3" % rnd.randrange(1, 4))
        elif r < 0.82:
            # the register stack: reg3 (1..3, matched by table 1) pushed
            # here, popped here or in a later or resubmitted table, and
            # output to (an empty stack leaves the register as it was)
            acts.append(rnd.choice([
                "set_field:%d->reg3,push:NXM_NX_REG3[0..7]"
                % rnd.randrange(1, 4),
                "push:NXM_NX_REG3[]", "pop:NXM_NX_REG3[0..7]",
                "pop:NXM_NX_REG4[0..15],output:NXM_NX_REG4[0..15]"]))
        elif r < 0.87:
            # nothing more of the packet's actions runs: not this flow's
            # instructions, not the resubmitting list, not the set
            acts.append("exit")
        elif table == 0:
            # a lookup that returns: its writes land in the same set
            acts.append("resubmit(,2)")
    return acts


def _flow(rnd, table, prio, last, catchall=False):
    if catchall:
        m, ip, tcp = "", False, False
    elif table == 0:
        m, ip, tcp = _match(rnd)
    else:
        r = rnd.random()
        if r < 0.45:
            m = "actset_output=%s" % rnd.choice(
                ["UNSET", "1", "2", "3", "4", "IN_PORT", "ALL"])
        elif r < 0.6:
            m = "metadata=0x%x" % rnd.randrange(3)
        elif r < 0.75:
            m = "reg3=%d" % rnd.randrange(1, 4)
        else:
            m, _, _ = _match(rnd)
        if rnd.random() < 0.3:
            tm, _, _ = _match(rnd)
            if tm and not tm.startswith(m.split("=")[0]):
                m = ",".join(x for x in (m, tm) if x)
        ip = "ip" in m or "tcp" in m
        tcp = "tcp" in m
    if table == 2 and not catchall and rnd.random() < 0.3:
        # the tag alone: what the replaced match promised is gone too
        m, ip, tcp = "vlan_tci=0x1000/0x1000", False, False
    acts = _applied(rnd, table, "vlan" in m)
    if table > 0 and rnd.random() < 0.25:
        acts.append("clear_actions")
    if rnd.random() < 0.8:
        acts.append("write_actions(%s)" % ",".join(_body(rnd, ip, tcp)))
    if table == 0 and rnd.random() < 0.3:
        acts.append("write_metadata:0x%x" % rnd.randrange(3))
    if not last and rnd.random() < 0.8:
        acts.append("goto_table:%d" % (table + 1))
    return "table=%d,priority=%d%s actions=%s" % (
        table, prio, "," + m if m else "", ",".join(acts) or "drop")


def actset_case(rnd):
    """A random action-set flow table (tables 0..2) and frames for it."""
    flows = []
    for table, n in ((0, rnd.randint(5, 9)), (1, rnd.randint(4, 8)),
                     (2, rnd.randint(2, 5))):
        prios = rnd.sample(range(10, 1000, 10), n)
        for p in prios:
            flows.append(_flow(rnd, table, p, table == 2))
        if rnd.random() < 0.5:
            # a catch-all; without one, a miss ends the pipeline there
            flows.append(_flow(rnd, table, 1, table == 2, True))
    flows = [("cookie=%d,%s" % (i + 1, f), True)
             for i, f in enumerate(flows)]
    # no two tags (strip_vlan's known difference), no later fragments
    # (rewrites), no DEI (NORMAL is not used, but keep frames plain)
    frames = [g.random_frame(rnd, False, False, False) for _ in range(150)]
    return flows, frames


_SUBS = ["NXM_NX_REG%d[]", "NXM_NX_REG%d[0..15]", "NXM_NX_REG%d[0..7]",
         "NXM_NX_REG%d[0..2]"]


def _stack_actions(rnd, table):
    """Loads of ports (1..4) into registers, pushes and pops of whole and
    partial registers, outputs to what they hold, resubmits."""
    acts = []
    for _ in range(rnd.randint(2, 7)):
        r = rnd.random()
        reg = rnd.randrange(4)
        if r < 0.25:
            acts.append("set_field:%d->reg%d" % (rnd.randrange(1, 5), reg))
        elif r < 0.5:
            acts.append("push:" + rnd.choice(_SUBS) % reg)
        elif r < 0.75:
            acts.append("pop:" + rnd.choice(_SUBS) % reg)
        elif r < 0.9 or table > 0:
            acts.append("output:NXM_NX_REG%d[0..15]" % reg)
        else:
            acts.append("resubmit(,1)")
    acts.append("output:NXM_NX_REG%d[0..15]" % rnd.randrange(4))
    return ",".join(acts)


def stack_case(rnd):
    """A random register-stack flow table (push:, pop:) in tables 0 and 1:
    what table 0 pushes, table 1 (resubmitted to, or in a clone) pops."""
    flows = []
    prios = rnd.sample(range(10, 1000, 10), 20)
    for _ in range(rnd.randint(4, 7)):
        m = rnd.choice(["in_port=%d" % rnd.choice(PORTS), "ip", "arp",
                        "dl_src=%s" % rnd.choice(g.MACS[:3]), ""])
        acts = _stack_actions(rnd, 0)
        if rnd.random() < 0.2:
            acts = "clone(%s),%s" % (_stack_actions(rnd, 1), acts)
        flows.append("table=0,priority=%d%s actions=%s"
                     % (prios.pop(), "," + m if m else "", acts))
    for _ in range(rnd.randint(2, 5)):
        m = rnd.choice(["reg%d=%d" % (rnd.randrange(4), rnd.randrange(5)),
                        "ip", ""])
        flows.append("table=1,priority=%d%s actions=%s"
                     % (prios.pop(), "," + m if m else "",
                        _stack_actions(rnd, 1)))
    flows = [("cookie=%d,%s" % (i + 1, f), False)
             for i, f in enumerate(flows)]
    frames = [g.random_frame(rnd, False, False, False) for _ in range(100)]
    return flows, frames
