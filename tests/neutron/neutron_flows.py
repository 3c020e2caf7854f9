#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The flows neutron-openvswitch-agent (Neutron 21.0.0 "Zed",
firewall_driver=openvswitch, VXLAN tenant networks, l2population and the
ARP responder off, no DVR)
installs on br-int and br-tun, for the topology below, merged into the one
table space snicd runs (docs/neutron.md):

    neutron_flows.py [--numbers] [--bridge int|tun] [--comments]

prints one flow per line in ovs-ofctl add-flow syntax. Ports are named as
snicd names them (vfN, vxlan0, patch-tun, patch-int); --numbers prints
their OpenFlow numbers instead (for tools without a switch to name them,
such as `ovs-ofctl parse-flow` and `snic-flow`).

Two spellings, as the agent produces them: the agent's own bridge flows
(br_int.py, br_tun.py) are OpenFlow 1.3 messages, written here as
`ovs-ofctl dump-flows` shows them (goto_table, push_vlan, set_field,
pop_vlan, learn with NXM names); the firewall's flows (firewall.py,
rules.py) are text the agent hands to `ovs-ofctl add-flows`, written here
in its spelling (hard_timeout=0,idle_timeout=0 first, dl_type=0x0800 and
nw_proto=N, decimal register values and cookie).

br-int and br-tun share table numbers only in table 0, where every br-tun
flow matches in_port=patch-int or in_port=vxlan0; br-tun's table-0
priority-0 drop is left out (it would replace br-int's table-0 default,
which has the same match and priority). The patch pair patch-tun
(br-int's side) / patch-int (br-tun's) loops back into the same switch.
"""
import argparse
import ipaddress
import sys

# OpenFlow port numbers in snicd (docs/snicd.md, "Ports and names")
PORTS = {"vf0": 2, "vf1": 3, "vf2": 4, "vf3": 5, "vxlan0": 100,
         "patch-tun": 300, "patch-int": 301}

# Cookies: the agent draws one random 64-bit cookie per bridge at start
# (ovs_lib.generate_random_cookie); fixed here so the set is reproducible.
COOKIE_INT = 0x5d3c6e1f9a2b4c07
COOKIE_TUN = 0x2e8a91c4b7d05f13


class Net:
    def __init__(self, name, vni, lvid):
        self.name, self.vni, self.lvid = name, vni, lvid


class Port:
    def __init__(self, name, net, mac, ip):
        self.name, self.net, self.mac, self.ip = name, net, mac, ip
        self.ofport = PORTS[name]

    @property
    def lla(self):
        """The IPv6 link-local address of the MAC (modified EUI-64): the
        firewall always admits the port's neighbour discovery from it."""
        b = bytes(int(x, 16) for x in self.mac.split(":"))
        eui = bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:]
        return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + eui))


NET_A = Net("net-a", 0x64, 1)
NET_B = Net("net-b", 0x65, 2)
NETS = [NET_A, NET_B]
# Neutron's MAC prefix fa:16:3e; both networks use 10.0.0.0/24 (tenant
# subnets may overlap: only the network keeps them apart).
VMS = [Port("vf0", NET_A, "fa:16:3e:a0:00:11", "10.0.0.11"),
       Port("vf1", NET_A, "fa:16:3e:a0:00:12", "10.0.0.12"),
       Port("vf2", NET_B, "fa:16:3e:b0:00:13", "10.0.0.13")]
LOCAL_VTEP = "192.0.2.1"
REMOTE_VTEP = "192.0.2.2"
LOCAL_VTEP_MAC = "02:00:00:00:00:f0"     # snicd's side of the uplink
REMOTE_VTEP_MAC = "02:00:00:00:00:f1"    # the remote host's
# Behind the remote VTEP: one VM on each network, with the same address
REMOTE_VMS = {NET_A: ("fa:16:3e:c0:00:21", "10.0.0.21"),
              NET_B: ("fa:16:3e:d0:00:21", "10.0.0.21")}

# The security groups every VM port is in: Neutron's default group (egress
# anything; ingress from members of the group itself, IPv4 and IPv6) and
# the rules a user adds most: SSH and ICMP from anywhere.
SG_DEFAULT = "default"
RULES = [
    {"direction": "egress", "ethertype": "IPv4"},
    {"direction": "egress", "ethertype": "IPv6"},
    {"direction": "ingress", "ethertype": "IPv4",
     "remote_group_id": SG_DEFAULT},
    {"direction": "ingress", "ethertype": "IPv6",
     "remote_group_id": SG_DEFAULT},
    {"direction": "ingress", "ethertype": "IPv4", "protocol": 6,
     "port_range_min": 22, "port_range_max": 22,
     "source_ip_prefix": "0.0.0.0/0"},
    {"direction": "ingress", "ethertype": "IPv4", "protocol": 1,
     "source_ip_prefix": "0.0.0.0/0"},
]

# br-int's tables (neutron_lib ovs_constants)
LOCAL_SWITCHING = 0
CANARY, ARP_SPOOF = 23, 24
LOCAL_EGRESS, LOCAL_IP = 30, 31
PACKET_RATE_LIMIT, TRANSIENT, TRANSIENT_EGRESS = 59, 60, 62
BASE_EGRESS, RULES_EGRESS, ACCEPT_OR_INGRESS = 71, 72, 73
BASE_INGRESS, RULES_INGRESS = 81, 82
ACCEPTED_EGRESS, ACCEPTED_INGRESS, DROPPED = 91, 92, 93
ACCEPTED_EGRESS_NORMAL = 94
# br-tun's
PATCH_LV_TO_TUN, GRE_TUN_TO_LV, VXLAN_TUN_TO_LV, GENEVE_TUN_TO_LV = 2, 3, 4, 6
LEARN_FROM_TUN, UCAST_TO_TUN, FLOOD_TO_TUN = 10, 20, 22

REG_PORT, REG_NET, REG_REMOTE_GROUP = 5, 6, 7

# What snicd's flow language does not take yet, each with the reason
# (docs/neutron.md): (word in the line, what snicd answers). The traffic
# test and the demo install the set without these lines; neutron_parse.py
# fails when snicd starts taking one, so the list cannot go stale.
SNICD_GAPS = [
]
# the ct_state values of the firewall's constants.py
EST_NOT_REPLY = "+est-rel-rpl"
NEW_NOT_EST = "+new-est"
EST_REPLY = "+est-rel+rpl"
RELATED = "-new-est+rel-inv"
ZONE = "zone=NXM_NX_REG%d[0..15]" % REG_NET
# firewall.py's ICMPv6 types (neutron.agent.firewall)
ICMPV6_INGRESS = (130, 135, 136, 134)   # MLD query, NS, NA; RA added
ICMPV6_EGRESS = (130, 133, 135)         # MLD query, RS, NS
ICMPV6_NA, ICMPV6_RA = 136, 134
ETH_IP, ETH_IPV6, ETH_ARP = 0x0800, 0x86dd, 0x0806


class FlowSet:
    """Flows in install order; a flow whose table, priority and match equal
    an earlier one's replaces it, as an OpenFlow add does (the firewall
    adds some flows once per port)."""

    def __init__(self, numbers):
        self.numbers = numbers
        self.flows = []         # (bridge, key, line)
        self.index = {}

    def port(self, name):
        return str(PORTS[name]) if self.numbers else name

    def native(self, bridge, table, priority, match, actions):
        """A flow of br_int.py / br_tun.py, as dump-flows prints it."""
        cookie = COOKIE_INT if bridge == "int" else COOKIE_TUN
        head = "cookie=%#x,table=%d,priority=%d" % (cookie, table, priority)
        self._add(bridge, (table, priority, match),
                  ",".join([head] + ([match] if match else []) +
                           ["actions=" + actions]))

    def fw(self, fields, actions):
        """A firewall flow, spelled as ovs_lib builds its add-flows text:
        timeouts and priority first, the match keys in the order the
        driver gives them, its register names replaced by regN (appended
        last, as firewall.create_reg_numbers does), the cookie, actions."""
        f = dict(fields)
        prio = f.pop("priority")
        regs = [(k, f.pop(k)) for k in ("reg_port", "reg_net",
                                        "reg_remote_group") if k in f]
        regno = {"reg_port": REG_PORT, "reg_net": REG_NET,
                 "reg_remote_group": REG_REMOTE_GROUP}
        for k, v in regs:
            f["reg%d" % regno[k]] = v
        if "in_port" in f:
            f["in_port"] = self.port(f["in_port"])
        if "dl_type" in f:
            f["dl_type"] = "0x%04x" % f["dl_type"]
        parts = ["hard_timeout=0", "idle_timeout=0", "priority=%d" % prio]
        parts += ["%s=%s" % (k, v) for k, v in f.items()]
        parts += ["cookie=%d" % COOKIE_INT, "actions=" + actions]
        match = ",".join("%s=%s" % (k, v) for k, v in sorted(f.items())
                         if k != "table")
        self._add("int", (f["table"], prio, match), ",".join(parts))

    def _add(self, bridge, key, line):
        key = (bridge,) + key
        if key in self.index:
            self.flows[self.index[key]] = (bridge, key, line)
            return
        self.index[key] = len(self.flows)
        self.flows.append((bridge, key, line))

    def lines(self, bridge=None, snicd=False):
        """The flows (of one bridge); @snicd: without SNICD_GAPS' lines."""
        return [ln for br, _, ln in self.flows if bridge in (None, br)
                and not (snicd and gap(ln))]


def gap(line):
    """The SNICD_GAPS entry @line falls in, or None."""
    for g in SNICD_GAPS:
        if g[0] in line:
            return g
    return None


# ---- br-int: the agent's own flows (br_int.py setup_default_table) ----

def br_int_default(fs):
    nat = fs.native
    nat("int", CANARY, 0, "", "drop")
    nat("int", LOCAL_SWITCHING, 0, "", "goto_table:%d" % PACKET_RATE_LIMIT)
    nat("int", PACKET_RATE_LIMIT, 0, "", "goto_table:%d" % TRANSIENT)
    nat("int", TRANSIENT, 3, "", "NORMAL")
    nat("int", ARP_SPOOF, 0, "", "drop")
    # ports not bound yet sit in the dead VLAN 4095
    nat("int", LOCAL_SWITCHING, 65535, "dl_vlan=4095", "drop")
    nat("int", TRANSIENT_EGRESS, 3, "", "NORMAL")
    nat("int", LOCAL_EGRESS, 0, "", "goto_table:%d" % PACKET_RATE_LIMIT)
    nat("int", LOCAL_IP, 0, "", "goto_table:%d" % PACKET_RATE_LIMIT)


# ---- br-int: the firewall (firewall.py, rules.py) ----

def fw_bridge_init(fs):
    """OVSFirewallDriver._initialize_firewall: default drops, the +trk
    clean-up, the third-party tables. Added with the bridge's plain
    add_flow: no timeouts, ovs_lib's own order."""
    for table in (BASE_EGRESS, RULES_EGRESS, ACCEPT_OR_INGRESS, BASE_INGRESS,
                  RULES_INGRESS):
        fs.fw({"table": table, "priority": 0}, "drop")
    fs.fw({"table": BASE_EGRESS, "priority": 110, "ct_state": "+trk"},
          "ct_clear,resubmit(,%d)" % BASE_EGRESS)
    fs.fw({"table": ACCEPTED_EGRESS_NORMAL, "priority": 1}, "normal")
    fs.fw({"table": ACCEPTED_EGRESS, "priority": 1},
          "resubmit(,%d)" % ACCEPTED_EGRESS_NORMAL)
    for table in (ACCEPTED_INGRESS, DROPPED):
        fs.fw({"table": table, "priority": 0}, "drop")


def set_regs(p):
    return "set_field:%d->reg%d,set_field:%d->reg%d" % (
        p.ofport, REG_PORT, p.net.lvid, REG_NET)


def fw_port_base(fs, p):
    """initialize_port_flows: identify the port's egress (in_port) and
    ingress (its MAC on its local VLAN) traffic in table 60."""
    out = "output:" + fs.port(p.name)
    fs.fw({"table": TRANSIENT, "priority": 100, "in_port": p.name},
          "%s,resubmit(,%d)" % (set_regs(p), BASE_EGRESS))
    fs.fw({"table": TRANSIENT, "priority": 90, "dl_dst": p.mac,
           "dl_vlan": "0x%x" % p.net.lvid},
          "%s,strip_vlan,resubmit(,%d)" % (set_regs(p), BASE_INGRESS))
    fw_egress(fs, p)
    fw_ingress(fs, p, out)


def fw_egress(fs, p):
    """_initialize_egress: what the port may send (anti-spoofing on MAC
    and IP), into conntrack, DHCP client yes, DHCP/RA server no."""
    base = {"table": BASE_EGRESS}
    fs.fw(dict(base, priority=95, in_port=p.name, reg_port=p.ofport,
               dl_src=p.mac, dl_type=ETH_ARP, arp_spa=p.ip),
          "resubmit(,%d)" % ACCEPTED_EGRESS_NORMAL)
    fs.fw(dict(base, priority=65, reg_port=p.ofport, dl_type=ETH_IP,
               in_port=p.name, dl_src=p.mac, nw_src=p.ip),
          "ct(table=%d,%s)" % (RULES_EGRESS, ZONE))
    # neighbour discovery from the link-local address
    for t in ICMPV6_EGRESS:
        fs.fw(dict(base, priority=95, in_port=p.name, reg_port=p.ofport,
                   dl_type=ETH_IPV6, nw_proto=58, icmp_type=t, dl_src=p.mac,
                   ipv6_src=p.lla),
              "resubmit(,%d)" % ACCEPTED_EGRESS_NORMAL)
    fs.fw(dict(base, priority=95, in_port=p.name, reg_port=p.ofport,
               dl_type=ETH_IPV6, nw_proto=58, icmp_type=ICMPV6_NA,
               nd_target=p.lla),
          "resubmit(,%d)" % ACCEPTED_EGRESS_NORMAL)
    for src in (p.ip, "0.0.0.0"):
        fs.fw(dict(base, priority=80, reg_port=p.ofport, in_port=p.name,
                   dl_type=ETH_IP, dl_src=p.mac, nw_src=src, nw_proto=17,
                   tp_src=68, tp_dst=67),
              "resubmit(,%d)" % ACCEPT_OR_INGRESS)
    for dl_type, sport, dport in ((ETH_IP, 67, 68), (ETH_IPV6, 547, 546)):
        fs.fw(dict(base, priority=70, in_port=p.name, reg_port=p.ofport,
                   dl_type=dl_type, nw_proto=17, tp_src=sport, tp_dst=dport),
              "resubmit(,%d)" % DROPPED)
    fs.fw(dict(base, priority=70, in_port=p.name, reg_port=p.ofport,
               dl_type=ETH_IPV6, nw_proto=58, icmp_type=ICMPV6_RA),
          "resubmit(,%d)" % DROPPED)
    fs.fw(dict(base, priority=10, in_port=p.name, reg_port=p.ofport),
          "ct_clear,resubmit(,%d)" % DROPPED)
    # accepted egress: to a port of this host on the same network, through
    # that port's ingress firewall; else commit and switch
    fs.fw({"table": ACCEPT_OR_INGRESS, "priority": 100, "dl_dst": p.mac,
           "reg_net": p.net.lvid},
          "set_field:%d->reg%d,resubmit(,%d)" % (p.ofport, REG_PORT,
                                                BASE_INGRESS))
    for dl_type in (ETH_IP, ETH_IPV6):
        fs.fw({"table": ACCEPT_OR_INGRESS, "priority": 90,
               "dl_type": dl_type, "reg_port": p.ofport,
               "ct_state": NEW_NOT_EST},
              "ct(commit,%s),resubmit(,%d)" % (ZONE, ACCEPTED_EGRESS))
    fs.fw({"table": ACCEPT_OR_INGRESS, "priority": 80,
           "reg_port": p.ofport},
          "resubmit(,%d)" % ACCEPTED_EGRESS_NORMAL)


def fw_ingress(fs, p, out):
    """_initialize_ingress: ARP, neighbour discovery and DHCP offers pass;
    IP goes through conntrack into the rules table."""
    base = {"table": BASE_INGRESS}
    fs.fw(dict(base, priority=100, dl_type=ETH_ARP, reg_port=p.ofport), out)
    for t in ICMPV6_INGRESS:
        fs.fw(dict(base, priority=100, reg_port=p.ofport, dl_type=ETH_IPV6,
                   nw_proto=58, icmp_type=t), out)
    for dl_type, sport, dport in ((ETH_IP, 67, 68), (ETH_IPV6, 547, 546)):
        fs.fw(dict(base, priority=95, reg_port=p.ofport, dl_type=dl_type,
                   nw_proto=17, tp_src=sport, tp_dst=dport), out)
    for dl_type in (ETH_IP, ETH_IPV6):
        fs.fw(dict(base, priority=90, reg_port=p.ofport, dl_type=dl_type,
                   ct_state="-trk"),
              "ct(table=%d,%s)" % (RULES_INGRESS, ZONE))
    fs.fw(dict(base, ct_state="+trk", priority=80, reg_port=p.ofport),
          "resubmit(,%d)" % RULES_INGRESS)


def fw_tracked(fs, p, table, ok):
    """_initialize_tracked_{ingress,egress}: invalid and marked-invalid
    connections drop, replies and related pass, the rest is marked
    invalid (a removed rule's connections) or dropped."""
    fs.fw({"table": table, "priority": 50, "ct_state": "+trk+inv"},
          "resubmit(,%d)" % DROPPED)
    fs.fw({"table": table, "priority": 50, "reg_port": p.ofport,
           "ct_mark": "0x1"}, "resubmit(,%d)" % DROPPED)
    for state in (EST_REPLY, RELATED):
        fs.fw({"table": table, "priority": 50, "ct_state": state,
               "ct_mark": "0x0", "reg_port": p.ofport,
               "ct_zone": p.net.lvid}, ok)
    fs.fw({"table": table, "priority": 40, "reg_port": p.ofport,
           "ct_state": "-est"}, "resubmit(,%d)" % DROPPED)
    for dl_type in (ETH_IP, ETH_IPV6):
        fs.fw({"table": table, "priority": 40, "dl_type": dl_type,
               "reg_port": p.ofport, "ct_state": "+est"},
              "ct(commit,%s,exec(set_field:0x1->ct_mark))" % ZONE)


def priority_offset(rule, conj):
    """rules.flow_priority_offset: conjunction flows below plain ones, more
    specific protocols above less specific."""
    off = 0 if conj else 4
    proto = rule.get("protocol")
    if proto is None:
        return off
    if proto in (1, 58):
        if "port_range_min" not in rule:
            return off + 1
        if "port_range_max" not in rule:
            return off + 2
    return off + 3


def rule_flow(fs, p, rule, conj):
    """rules.create_flows_from_rule_and_port for the rules used here (no
    port ranges but single ports, no ICMP type): one flow template."""
    ingress = rule["direction"] == "ingress"
    f = {"priority": 70 + priority_offset(rule, conj),
         "dl_type": ETH_IP if rule["ethertype"] == "IPv4" else ETH_IPV6,
         "reg_port": p.ofport,
         "table": RULES_INGRESS if ingress else RULES_EGRESS}
    proto = rule.get("protocol")
    if proto is not None:
        f["nw_proto"] = proto
    if proto == 6 and "port_range_min" in rule:
        assert rule["port_range_min"] == rule["port_range_max"]
        f["tcp_dst"] = "0x%04x" % rule["port_range_min"]
    act = ("output:" + fs.port(p.name)) if ingress else \
        "resubmit(,%d)" % ACCEPT_OR_INGRESS
    return f, act


def accept(fs, f, act):
    """rules.create_accept_flows: established (not reply) passes; a new
    connection passes too, and on ingress is committed first."""
    fs.fw(dict(f, ct_state=EST_NOT_REPLY), act)
    if f["table"] == RULES_INGRESS:
        act = "ct(commit,%s),%s,resubmit(,%d)" % (ZONE, act, ACCEPTED_INGRESS)
    fs.fw(dict(f, ct_state=NEW_NOT_EST), act)


def conj_ids(rules):
    """ConjIdMap on an empty bridge: the first id is 16, then steps of 8,
    one per (group, remote group, direction, ethertype)."""
    ids, nxt = {}, 16
    for r in rules:
        key = (SG_DEFAULT, r["remote_group_id"], r["direction"],
               r["ethertype"])
        if key not in ids:
            ids[key] = nxt
            nxt += 8
    return ids


def fw_rules(fs, p, ids):
    """add_flows_from_rules: tracked tables, the plain rules, then the
    remote-group rules as conjunctions (2/2: this port's side)."""
    fw_tracked(fs, p, RULES_INGRESS, "output:" + fs.port(p.name))
    fw_tracked(fs, p, RULES_EGRESS,
               "resubmit(,%d)" % ACCEPTED_EGRESS_NORMAL)
    for r in RULES:
        if "remote_group_id" not in r:
            accept(fs, *rule_flow(fs, p, r, False))
    for r in RULES:
        if "remote_group_id" not in r:
            continue
        cid = ids[(SG_DEFAULT, r["remote_group_id"], r["direction"],
                   r["ethertype"])] + 2 * priority_offset(r, True)
        f, act = rule_flow(fs, p, r, True)
        for i, state in enumerate((EST_NOT_REPLY, NEW_NOT_EST)):
            fs.fw(dict(f, ct_state=state), "conjunction(%d,2/2)" % (cid + i))
        # the accept flows of the conjunction, remembering it in reg7
        g = dict(f, conj_id=cid)
        g.pop("nw_proto", None)
        a = "set_field:%d->reg%d,%s" % (cid, REG_REMOTE_GROUP, act)
        fs.fw(dict(g, ct_state=EST_NOT_REPLY), a)
        a = "set_field:%d->reg%d,ct(commit,%s),%s,resubmit(,%d)" % (
            cid + 1, REG_REMOTE_GROUP, ZONE, act, ACCEPTED_INGRESS) \
            if g["table"] == RULES_INGRESS else \
            "set_field:%d->reg%d,%s" % (cid + 1, REG_REMOTE_GROUP, act)
        fs.fw(dict(g, conj_id=cid + 1, ct_state=NEW_NOT_EST), a)


def fw_members(fs, net, ids):
    """ConjIPFlowManager.update_flows_for_vlan: the remote group's side
    (1/2) of each conjunction, one flow per member address, per network
    (reg6 keeps tenants apart). Members are every port of the group."""
    for r in RULES:
        if "remote_group_id" not in r or r["ethertype"] != "IPv4":
            continue     # the ports have no IPv6 address: no members
        cid = ids[(SG_DEFAULT, r["remote_group_id"], r["direction"],
                   r["ethertype"])]
        field = "nw_src" if r["direction"] == "ingress" else "nw_dst"
        table = RULES_INGRESS if r["direction"] == "ingress" else \
            RULES_EGRESS
        for vm in VMS:
            for i, state in enumerate((EST_NOT_REPLY, NEW_NOT_EST)):
                fs.fw({"table": table, "priority": 70, "dl_type": ETH_IP,
                       "reg_net": net.lvid, field: vm.ip + "/32",
                       "ct_state": state},
                      "conjunction(%d,1/2)" % (cid + i))


# ---- br-tun (br_tun.py setup_default_table, provision_local_vlan) ----

def br_tun(fs):
    nat = fs.native
    pi, vx = fs.port("patch-int"), fs.port("vxlan0")
    nat("tun", 0, 1, "in_port=" + pi, "goto_table:%d" % PATCH_LV_TO_TUN)
    # (br-tun's table-0 "priority=0 actions=drop" is left out: see above)
    ucast, mcast = "00:00:00:00:00:00", "01:00:00:00:00:00"
    nat("tun", PATCH_LV_TO_TUN, 0, "dl_dst=%s/%s" % (ucast, mcast),
        "goto_table:%d" % UCAST_TO_TUN)
    nat("tun", PATCH_LV_TO_TUN, 0, "dl_dst=%s/%s" % (mcast, mcast),
        "goto_table:%d" % FLOOD_TO_TUN)
    for table in (GRE_TUN_TO_LV, VXLAN_TUN_TO_LV, GENEVE_TUN_TO_LV):
        nat("tun", table, 0, "", "drop")
    # learn where a remote MAC lives: a flow in table 20 that sends its
    # network's unicast back out the tunnel port it came in on
    nat("tun", LEARN_FROM_TUN, 1, "",
        "learn(table=%d,hard_timeout=300,priority=1,cookie=%#x,"
        "NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
        "load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],"
        "output:OXM_OF_IN_PORT[]),output:%s" % (UCAST_TO_TUN, COOKIE_TUN, pi))
    nat("tun", UCAST_TO_TUN, 0, "", "goto_table:%d" % FLOOD_TO_TUN)
    nat("tun", FLOOD_TO_TUN, 0, "", "drop")
    # the tunnel port (setup_tunnel_port), then each network
    nat("tun", 0, 1, "in_port=" + vx, "goto_table:%d" % VXLAN_TUN_TO_LV)
    for net in NETS:
        nat("tun", FLOOD_TO_TUN, 1, "dl_vlan=%d" % net.lvid,
            "pop_vlan,set_field:%#x->tun_id,output:%s" % (net.vni, vx))
        nat("tun", VXLAN_TUN_TO_LV, 1, "tun_id=%#x" % net.vni,
            "push_vlan:0x8100,set_field:%d->vlan_vid,goto_table:%d" % (
                0x1000 | net.lvid, LEARN_FROM_TUN))


def snicd_options():
    """snicd's options for this host: the patch pair, the tunnel port, the
    VM ports as access ports of their network's local VLAN (what the
    agent writes in each Port's tag). NORMAL floods only br-int's ports:
    the VMs and patch-tun, not br-tun's (patch-int, vxlan0) nor the
    ports br-int does not have (uplink, VFs without a VM)."""
    opts = ["--patch", "patch-tun=patch-int",
            "--vxlan", "local=%s,remote=%s,local-mac=%s,remote-mac=%s" % (
                LOCAL_VTEP, REMOTE_VTEP, LOCAL_VTEP_MAC, REMOTE_VTEP_MAC)]
    used = {p.name for p in VMS}
    for p in VMS:
        opts += ["--port", "%s:tag=%d" % (p.name, p.net.lvid)]
    for name in sorted(PORTS):
        if name.startswith("vf") and name not in used or \
                name in ("vxlan0", "patch-int"):
            opts += ["--port", name + ":no-flood"]
    return opts + ["--port", "uplink:no-flood"]


def shell_vars():
    """The topology as bash assignments (scripts/demo evaluates them)."""
    q = lambda xs: "(" + " ".join(str(x) for x in xs) + ")"  # noqa: E731
    nets = list(REMOTE_VMS)
    return "\n".join([
        "nq_vm_port=" + q(p.name for p in VMS),
        "nq_vm_mac=" + q(p.mac for p in VMS),
        "nq_vm_ip=" + q(p.ip for p in VMS),
        "nq_vm_vni=" + q(p.net.vni for p in VMS),
        "nq_remote_vni=" + q(n.vni for n in nets),
        "nq_remote_mac=" + q(REMOTE_VMS[n][0] for n in nets),
        "nq_remote_ip=" + q(REMOTE_VMS[n][1] for n in nets),
        "nq_local_vtep=%s nq_local_vtep_mac=%s" % (LOCAL_VTEP,
                                                   LOCAL_VTEP_MAC),
        "nq_remote_vtep=%s nq_remote_vtep_mac=%s" % (REMOTE_VTEP,
                                                     REMOTE_VTEP_MAC),
    ])


def flow_set(numbers=False):
    fs = FlowSet(numbers)
    br_int_default(fs)
    fw_bridge_init(fs)
    br_tun(fs)
    ids = conj_ids([r for r in RULES if "remote_group_id" in r])
    for p in VMS:
        fw_port_base(fs, p)
        fw_rules(fs, p, ids)
        fw_members(fs, p.net, ids)
    return fs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--numbers", action="store_true",
                    help="OpenFlow port numbers instead of names")
    ap.add_argument("--bridge", choices=("int", "tun"),
                    help="only the flows of br-int or of br-tun")
    ap.add_argument("--comments", action="store_true",
                    help="a comment line before each bridge's flows")
    ap.add_argument("--snicd-options", action="store_true",
                    help="print snicd's options for this host instead")
    ap.add_argument("--shell", action="store_true",
                    help="print the topology as bash assignments instead")
    ap.add_argument("--snicd", action="store_true",
                    help="leave out the lines snicd does not take yet "
                    "(SNICD_GAPS), saying so on stderr")
    args = ap.parse_args()
    if args.shell:
        print(shell_vars())
        return 0
    if args.snicd_options:
        print(" ".join(snicd_options()))
        return 0
    fs = flow_set(args.numbers)
    for br in ("int", "tun"):
        if args.bridge not in (None, br):
            continue
        if args.comments:
            print("# br-%s" % br)
        for ln in fs.lines(br):
            if args.snicd and gap(ln):
                print("neutron_flows: left out (snicd: %s): %s"
                      % (gap(ln)[1], ln), file=sys.stderr)
                continue
            print(ln)
    return 0


if __name__ == "__main__":
    sys.exit(main())
