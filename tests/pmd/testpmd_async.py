#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test: stock dpdk-testpmd drives net_emunic's template/async
rte_flow API (flow configure, pattern/actions templates, template tables,
flow queue create/destroy, flow push, flow pull).

    testpmd_async.py [SCENARIO...]    (default: all)

Same environment and harness as testpmd_flow.py (EMUNIC, TESTPMD, PMD,
SNIC_FW), whose helpers it imports.
"""
import json
import re
import sys

import testpmd_flow as T
from testpmd_flow import check

PT = ("flow pattern_template 0 create transfer pattern_template_id 0 "
      "template represented_port ethdev_port_id mask 0xffff / eth / ipv4 dst "
      "mask 255.255.255.255 / end")
# testpmd 22.11 takes an actions template's direction only before its id
AT = ("flow actions_template 0 create transfer actions_template_id 0 "
      "template count / represented_port ethdev_port_id 0 / end mask count / "
      "represented_port ethdev_port_id 0 / end")
TABLE = ("flow template_table 0 create table_id 0 group 0 priority 0 "
         "transfer rules_number %d pattern_template 0 actions_template 0")


def qcreate(dst, port=1, postpone="yes"):
    """A rule of table 0: VF 0's IPv4 frames to @dst, counted, to the wire
    (testpmd's txonly frames go to 198.18.0.2)."""
    return ("flow queue 0 create 0 template_table 0 pattern_template 0 "
            "actions_template 0 postpone %s pattern represented_port "
            "ethdev_port_id is %d / eth / ipv4 dst is %s / end actions count "
            "/ represented_port ethdev_port_id 0 / end" % (postpone, port, dst))


def enqueued(out):
    m = re.search(r"Flow rule #(\d+) creation enqueued", out)
    return m.group(1) if m else None


def pulled(out):
    """(operations, failed, succeeded) of a `flow pull` line."""
    m = re.search(r"pulled (\d+) operations \((\d+) failed, (\d+) succeeded\)",
                  out)
    return tuple(int(x) for x in m.groups()) if m else None


def card_rules(nic):
    rc, out = T.snic_fw(nic, "--json", "rules")
    if rc != 0:
        print("       snic-fw rules: " + out)
        return None
    return json.loads(out)


def rule_dsts(rules):
    """The IPv4 destinations the card's rules match, sorted."""
    return sorted(r["match"].get("ipv4_dst", "?") for r in rules["rules"])


def pmd_msg(out):
    """The driver's message in a testpmd complaint, without the cause
    pointer (which differs between two calls)."""
    m = re.search(r"Caught PMD error type \d+ \((.*?)\): "
                  r"(?:cause: 0x[0-9a-f]+, )?(.*)", out)
    return (m.group(1), m.group(2).strip()) if m else None


def setup(pmd, rules_number=4, qsize=4):
    pmd.cmd("port stop all")
    out = pmd.cmd("flow configure 0 queues_number 1 queues_size %d "
                  "counters_number 64" % qsize)
    check("Configure flows on port 0" in out and "error" not in out.lower(),
          "flow configure: 1 queue of %d, 64 counters" % qsize, out)
    pmd.cmd("port start all")
    out = pmd.cmd(PT)
    check("Pattern template #0 created" in out, "pattern template", out)
    out = pmd.cmd(AT)
    check("Actions template #0 created" in out, "actions template", out)
    out = pmd.cmd(TABLE % rules_number)
    check("Template table #0 created" in out, "template table", out)


def scenario_batch(tmp):
    """Rules created through a flow queue forward traffic; a rule the card
    refuses inside a batch fails alone; a full queue refuses the next
    operation; sync and async destroy each other's rules."""
    # room for 4 rules in the card: the 5th of a batch is refused by it
    nic = T.Emunic(tmp, "--max-rules", "4")
    pmd = T.Testpmd(T.vm_vdevs(nic), ["--forward-mode=rxonly", "--burst=16"])
    try:
        out = pmd.cmd("flow info 0")
        check("Number of queues: 64" in out and
              "Size of queues: 65536" in out and
              "Number of counters: 1048576" in out,
              "flow info: 64 queues of up to 65536, the card's counters", out)
        setup(pmd)
        ids = []
        for dst in ("198.18.0.2", "10.0.0.1", "10.0.0.2"):
            out = pmd.cmd(qcreate(dst))
            ids.append(enqueued(out))
        check(None not in ids, "3 creations enqueued (postponed)", out)
        rules = card_rules(nic)
        check(rules is not None and rules["total"] == 0,
              "postponed: nothing in the card before the push")
        out = pmd.cmd("flow push 0 queue 0")
        check("operations pushed" in out, "flow push", out)
        out = pmd.cmd("flow pull 0 queue 0")
        check(pulled(out) == (3, 0, 3), "pull: 3 succeeded", out)
        rules = card_rules(nic)
        check(rules is not None and
              rule_dsts(rules) == ["10.0.0.1", "10.0.0.2", "198.18.0.2"],
              "snic-fw rules lists the 3 rules", str(rules))
        out = pmd.cmd("flow list 0")
        check(out.count("=>") == 3, "testpmd lists 3 rules", out)

        # traffic VF 0 -> wire through the first rule
        T.burst(pmd, "5,6")
        rx6 = T.port_stat(pmd, 6, "RX-packets")
        check(rx6 == 16, "the wire gets VF 0's burst (%d)" % rx6)
        check(T.hits(pmd, 0, ids[0]) == 16,
              "the async rule's counter counted 16 (sync query)")

        # a batch [create, create (card full), destroy, create]: the
        # refused rule fails alone, the others stand
        out = pmd.cmd(qcreate("10.0.0.3"))
        x = enqueued(out)
        out = pmd.cmd(qcreate("10.0.0.4"))
        y = enqueued(out)
        out = pmd.cmd("flow queue 0 destroy 0 postpone yes rule %s" % ids[1])
        check("destruction enqueued" in out, "destroy enqueued", out)
        out = pmd.cmd(qcreate("10.0.0.5"))
        z = enqueued(out)
        check(None not in (x, y, z), "4 operations enqueued", out)
        # the queue holds 4 operations until they are pulled
        out = pmd.cmd(qcreate("10.0.0.6"))
        msg = pmd_msg(out)
        check(msg is not None and "flow queue 0 is full" in msg[1] and
              "Resource temporarily unavailable" in msg[1],
              "a full queue refuses the 5th operation with EAGAIN", out)
        pmd.cmd("flow push 0 queue 0")
        out = pmd.cmd("flow pull 0 queue 0")
        out += T.wait_output(pmd, r"device is full", 1)
        check(pulled(out) == (4, 1, 3),
              "pull: 4 operations, the refused rule failed, 3 succeeded", out)
        check("flow queue rule not created: device is full" in pmd.log,
              "the driver logs why the rule failed", pmd.log[-2000:])
        rules = card_rules(nic)
        check(rules is not None and rule_dsts(rules) ==
              ["10.0.0.2", "10.0.0.3", "10.0.0.5", "198.18.0.2"],
              "card: the rules before and after the refused one stand, "
              "the destroyed one is gone", str(rules))
        # pulled: room again
        out = pmd.cmd("flow queue 0 destroy 0 postpone no rule %s" % x)
        check("destruction enqueued" in out, "queue has room after pull", out)
        out = pmd.cmd("flow pull 0 queue 0")
        check(pulled(out) == (1, 0, 1), "postpone no: done at once", out)

        # sync and async paths on each other's rules
        out = pmd.cmd("flow destroy 0 rule %s" % z)
        check("Flow rule #%s destroyed" % z in out,
              "sync destroy of an async rule", out)
        out = pmd.cmd("flow create 0 transfer pattern represented_port "
                      "ethdev_port_id is 1 / eth / ipv4 dst is 10.0.0.9 / end "
                      "actions count / represented_port ethdev_port_id 0 / end")
        s = T.rule_id(out)
        check(T.created(out), "sync create next to async rules", out)
        out = pmd.cmd("flow queue 0 destroy 0 postpone no rule %s" % s)
        out += pmd.cmd("flow pull 0 queue 0")
        check(pulled(out) == (1, 0, 1), "async destroy of a sync rule", out)
        rules = card_rules(nic)
        check(rules is not None and
              rule_dsts(rules) == ["10.0.0.2", "198.18.0.2"],
              "card: 2 rules left", str(rules))
        # the table holds rules: it cannot go
        out = pmd.cmd("flow template_table 0 destroy table 0")
        msg = pmd_msg(out)
        check(msg is not None and "holds 2 rule(s)" in msg[1],
              "a table with rules is not destroyed", out)
        # ids[0] last: its counter (16 hits) is the next one handed out
        for r in (ids[2], ids[0]):
            pmd.cmd("flow queue 0 destroy 0 postpone yes rule %s" % r)
        pmd.cmd("flow push 0 queue 0")
        out = pmd.cmd("flow pull 0 queue 0")
        check(pulled(out) == (2, 0, 2), "the last 2 destroyed", out)
        rules = card_rules(nic)
        check(rules is not None and rules["total"] == 0, "card empty")
        # counters of destroyed rules were zeroed before reuse: a new rule
        # reads 0, then exactly its own traffic
        n = enqueued(pmd.cmd(qcreate("198.18.0.2", postpone="no")))
        out = pmd.cmd("flow pull 0 queue 0")
        check(pulled(out) == (1, 0, 1) and T.hits(pmd, 0, n) == 0,
              "a recycled pool counter starts at 0", out)
        T.burst(pmd, "5,6")
        check(T.hits(pmd, 0, n) == 16, "and counts its rule's 16 frames")
        pmd.cmd("flow queue 0 destroy 0 postpone no rule %s" % n)
        pmd.cmd("flow pull 0 queue 0")
        out = pmd.cmd("flow template_table 0 destroy table 0")
        out += pmd.cmd("flow actions_template 0 destroy actions_template 0")
        out += pmd.cmd("flow pattern_template 0 destroy pattern_template 0")
        check("Caught PMD error" not in out, "table and templates destroyed",
              out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


def scenario_refusals(tmp):
    """Templates and rules are refused as the sync API refuses them, with
    the same messages."""
    nic = T.Emunic(tmp, "--max-rules", "8")
    pmd = T.Testpmd(T.vm_vdevs(nic), ["--forward-mode=rxonly"])
    try:
        # ethdev itself refuses before the driver is asked
        out = pmd.cmd(PT)
        check("is not configured" in out and "created" not in out,
              "a template before flow configure is refused", out)
        pmd.cmd("port stop all")
        pmd.cmd("flow configure 0 queues_number 1 queues_size 8 "
                "counters_number 8")
        pmd.cmd("port start all")
        out = pmd.cmd(PT)
        check("Pattern template #0 created" in out, "pattern template", out)
        pmd.cmd(AT)
        out = pmd.cmd(TABLE % 16)
        msg = pmd_msg(out)
        check(msg is not None and "nb_flows 16" in msg[1] and
              "1..8 rules" in msg[1], "a table larger than the card's is "
              "refused", out)
        out = pmd.cmd(TABLE % 8)
        check("Template table #0 created" in out, "template table", out)
        out = pmd.cmd("flow actions_template 0 create transfer "
                      "actions_template_id 1 template meter mtr_id 1 / end "
                      "mask meter mtr_id 1 / end")
        msg = pmd_msg(out)
        check(msg is not None and "not supported by net_emunic" in msg[1],
              "an unknown action in a template is refused", out)
        out = pmd.cmd("flow pattern_template 0 create transfer "
                      "pattern_template_id 1 template eth / tcp / end")
        sync = pmd.cmd("flow validate 0 transfer pattern eth / tcp / end "
                       "actions drop / end")
        check(pmd_msg(out) is not None and pmd_msg(out) == pmd_msg(sync),
              "a template out of order: the sync message (%s)"
              % (pmd_msg(sync),), out)
        rule = ("pattern represented_port ethdev_port_id is 99 / eth / ipv4 "
                "dst is 10.0.0.1 / end actions count / represented_port "
                "ethdev_port_id 0 / end")
        out = pmd.cmd("flow queue 0 create 0 template_table 0 "
                      "pattern_template 0 actions_template 0 postpone yes "
                      + rule)
        sync = pmd.cmd("flow validate 0 transfer " + rule)
        check(pmd_msg(out) is not None and pmd_msg(out) == pmd_msg(sync),
              "a rule naming a foreign port: the sync message (%s)"
              % (pmd_msg(sync),), out)
        out = pmd.cmd("flow push 0 queue 0") + pmd.cmd("flow pull 0 queue 0")
        check(pulled(out) == (0, 0, 0), "a refused enqueue queues nothing",
              out)
        out = pmd.cmd("flow pattern_template 0 destroy pattern_template 0")
        msg = pmd_msg(out)
        check(msg is not None and "used by 1 template table" in msg[1],
              "a template in use is not destroyed", out)
        check(pmd.alive(), "testpmd alive")
    finally:
        pmd.close()
        nic.kill()


SCENARIOS = {
    "batch": scenario_batch,
    "refusals": scenario_refusals,
}


if __name__ == "__main__":
    sys.exit(T.main(SCENARIOS, "pmdasync"))
