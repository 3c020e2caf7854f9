"""The benchmark's rule sets, and which rule each packet flow must take.

A rule set is a list of Rule: priority, the fields it matches (value and
mask), and whether it outputs to the sink or drops.  Written out in
ovs-ofctl's language (the same text for Open vSwitch and snicd, only the
port names differ), each rule carries its own cookie (its index + 1), so a
dump of either switch's per-rule counters can be checked against
expected_hits(): the rules that some packet flow of flowset.py must take,
found by a reference lookup that is independent of both switches.

Every flow of flowset.py is UDP over IPv4 entering the `in` port, so
in_port always matches; the other fields are compared under their masks.

  port    one rule, in_port -> output: the port-only case.
  exact1k 1,000 exact 5-tuple rules (flows 0..999) and a priority-0
          default that outputs too, so every packet is forwarded.
  exact   one exact 5-tuple rule per packet flow and a priority-0 drop
          (the original benchmark's rule set: N rules for N flows).
  mix     131 rules over six mask shapes, as a host's ACLs look: /24
          destination prefixes with a destination-port range
          (tp_dst=0x1000/0xf000), the same prefixes for TCP port 80 (never
          taken: a subtable every miss pays for), plain /24 prefixes, a
          /16 source with a source-port range, a /16 destination, and a
          priority-0 default that outputs.
"""

import flowset

RULE_SETS = ("port", "exact1k", "exact", "mix")
FIELDS = ("proto", "src", "dst", "sport", "dport")
FULL = {"proto": 0xFF, "src": 0xFFFFFFFF, "dst": 0xFFFFFFFF,
        "sport": 0xFFFF, "dport": 0xFFFF}
UDP, TCP = 17, 6
EXACT1K_RULES = 1000


class Rule:
    """match: {field: (value, mask)}; in_port says whether the rule names
    the ingress port (the defaults do not)."""

    def __init__(self, priority, match, output=True, in_port=True):
        self.priority = priority
        self.match = match
        self.output = output
        self.in_port = in_port
        self.cookie = 0

    def mask_key(self):
        return tuple(self.match.get(f, (0, 0))[1] for f in FIELDS)

    def value_key(self):
        return tuple(self.match.get(f, (0, 0))[0] for f in FIELDS)

    def text(self, in_port, out_port):
        parts = ["cookie=0x%x" % self.cookie, "priority=%d" % self.priority]
        if self.in_port:
            parts.append("in_port=%s" % in_port)
        proto = self.match.get("proto")
        if proto is not None:
            parts.append({UDP: "udp", TCP: "tcp"}[proto[0]])
        elif any(f in self.match for f in ("src", "dst")):
            parts.append("ip")
        for field, key in (("src", "nw_src"), ("dst", "nw_dst")):
            if field in self.match:
                v, m = self.match[field]
                plen = bin(m).count("1")
                ip = flowset.ip_str(v)
                parts.append("%s=%s" % (key, ip if plen == 32
                                        else "%s/%d" % (ip, plen)))
        for field, key in (("sport", "tp_src"), ("dport", "tp_dst")):
            if field in self.match:
                v, m = self.match[field]
                parts.append("%s=%d" % (key, v) if m == 0xFFFF
                             else "%s=0x%x/0x%x" % (key, v, m))
        parts.append("actions=" + ("output:%s" % out_port if self.output
                                   else "drop"))
        return ",".join(parts)


def _exact(i, priority=100):
    src, dst, sport, dport = flowset.flow(i)
    return Rule(priority, {"proto": (UDP, 0xFF), "src": (src, FULL["src"]),
                           "dst": (dst, FULL["dst"]),
                           "sport": (sport, 0xFFFF),
                           "dport": (dport, 0xFFFF)})


def _net24(k):
    return ((10 << 24) | (k << 8), 0xFFFFFF00)


def _mix():
    rules = []
    for k in range(32):
        rules.append(Rule(500, {"proto": (UDP, 0xFF), "dst": _net24(k),
                                "dport": (0x1000, 0xF000)}))
    for k in range(32):
        rules.append(Rule(400, {"proto": (TCP, 0xFF), "dst": _net24(k),
                                "dport": (80, 0xFFFF)}))
    for k in range(0, 256, 4):
        rules.append(Rule(300, {"dst": _net24(k)}))
    rules.append(Rule(200, {"proto": (UDP, 0xFF),
                            "src": ((192 << 24) | (168 << 16), 0xFFFF0000),
                            "sport": (0x2000, 0xE000)}))
    rules.append(Rule(100, {"dst": ((10 << 24) | (1 << 16), 0xFFFF0000)}))
    rules.append(Rule(0, {}, in_port=False))
    return rules


def rules(name, flows):
    """The rule set @name for @flows packet flows, cookies assigned."""
    if name == "port":
        out = [Rule(100, {})]
    elif name == "exact1k":
        out = [_exact(i) for i in range(EXACT1K_RULES)]
        out.append(Rule(0, {}, in_port=False))
    elif name == "exact":
        out = [_exact(i) for i in range(flows)]
        out.append(Rule(0, {}, output=False, in_port=False))
    elif name == "mix":
        out = _mix()
    else:
        raise ValueError("unknown rule set '%s' (known: %s)"
                         % (name, ", ".join(RULE_SETS)))
    for i, r in enumerate(out):
        r.cookie = i + 1
    return out


def classifier(ruleset):
    """A function: packet flow index -> the highest priority rule matching
    it (None if none), one hash probe per mask shape (the rule sets never
    have two matching rules at one priority)."""
    shapes = {}
    for r in ruleset:
        table = shapes.setdefault(r.mask_key(), {})
        key = r.value_key()
        if key in table and table[key].priority >= r.priority:
            continue
        table[key] = r
    shapes = list(shapes.items())

    def best(i):
        src, dst, sport, dport = flowset.flow(i)
        pkt = (UDP, src, dst, sport, dport)
        found = None
        for mask, table in shapes:
            r = table.get(tuple(v & m for v, m in zip(pkt, mask)))
            if r is not None and (found is None
                                  or r.priority > found.priority):
                found = r
        return found
    return best


def lookup(ruleset, flows):
    """{cookie: packet flows taking it} for flows 0..@flows-1."""
    best = classifier(ruleset)
    taken = {}
    for i in range(flows):
        r = best(i)
        if r is not None:
            taken[r.cookie] = taken.get(r.cookie, 0) + 1
    return taken


def expected_hits(ruleset, flows):
    """The cookies of the rules some packet flow takes."""
    return set(lookup(ruleset, flows))


def forwarded_share(ruleset, flows):
    """The share of packet flows that reach the sink (the rest drop)."""
    by_cookie = {r.cookie: r for r in ruleset}
    taken = lookup(ruleset, flows)
    out = sum(n for c, n in taken.items() if by_cookie[c].output)
    return out / flows
