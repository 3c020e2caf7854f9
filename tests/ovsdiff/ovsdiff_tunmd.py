# SPDX-License-Identifier: BSD-3-Clause
"""tun_metadata rounds of the differential test (ovsdiff.py): Open
vSwitch's tunnel option fields used as scratch space, with the same TLV
map on both sides (Open vSwitch: add-tlv-map; ovsdiff_dp: its tlv
command, then every flow fitted to the map as snicd fits it).

Table 0 writes options (load, set_field, move from the frame's own fields
and from registers), table 1, resubmitted to, matches them (value/mask,
an exact 0 that needs the option present, presence alone), reads them
back into registers and into the frame (move onto eth_src), outputs to
the port an option holds (output:FIELD) or one a register got from it,
and pushes and pops them. Some flows of table 1 read an option table 0
did not write: it reads as zeros and matches nothing, even =0."""
import ovsdiff_gen as g

PORTS = g.PORTS

# index -> (class, type, length in bytes)
TLV_MAP = {0: (0xffff, 0, 4), 1: (0xffff, 1, 8), 2: (0xffff, 2, 4)}


def tlv_map_arg():
    """The add-tlv-map argument for Open vSwitch."""
    return ",".join("{class=0x%x,type=%d,len=%d}->tun_metadata%d"
                    % (c, t, n, i) for i, (c, t, n) in sorted(TLV_MAP.items()))


def _bits(rnd, idx, width=None):
    """A random bit range [a..b] inside option idx's mapped length."""
    total = TLV_MAP[idx][2] * 8
    n = width or rnd.choice([1, 2, 3, 8, 16, 32])
    n = min(n, total)
    a = rnd.randrange(0, total - n + 1)
    return a, a + n - 1


def _write(rnd):
    """One write of an option."""
    idx = rnd.choice(list(TLV_MAP))
    total = TLV_MAP[idx][2] * 8
    r = rnd.random()
    if r < 0.3:
        a, b = _bits(rnd, idx)
        return "load:%d->tun_metadata%d[%d..%d]" % (
            rnd.randrange(1 << min(b - a + 1, 30)), idx, a, b)
    if r < 0.45:
        return "set_field:0x%x->tun_metadata%d" % (
            rnd.randrange(1 << total), idx)
    if r < 0.55:
        # Open vSwitch refuses value bits outside the mask
        mask = rnd.randrange(1, 1 << 16)
        return "set_field:0x%x/0x%x->tun_metadata%d" % (
            rnd.randrange(1 << 16) & mask, mask, idx)
    if r < 0.8:
        a, b = _bits(rnd, idx, 16)
        return "move:NXM_OF_ETH_SRC[%d..%d]->tun_metadata%d[%d..%d]" % (
            0, 15, idx, a, b)
    a, b = _bits(rnd, idx, 8)
    return "move:NXM_NX_REG3[0..7]->tun_metadata%d[%d..%d]" % (idx, a, b)


def _port_into(rnd, idx):
    """Write a port number (1..4) into 3 bits of option idx; the field."""
    a, b = _bits(rnd, idx, 3)
    return ("load:%d->tun_metadata%d[%d..%d]" % (rnd.choice(PORTS), idx, a, b),
            "tun_metadata%d[%d..%d]" % (idx, a, b))


def _match(rnd):
    idx = rnd.choice(list(TLV_MAP))
    total = TLV_MAP[idx][2] * 8
    r = rnd.random()
    if r < 0.25:
        return "tun_metadata%d=0" % idx
    if r < 0.45:
        return "tun_metadata%d=0/0" % idx
    if r < 0.75:
        mask = rnd.choice([0x1, 0x3, 0xff, 0xf0, 0xffff]) & ((1 << total) - 1)
        return "tun_metadata%d=0x%x/0x%x" % (idx, rnd.randrange(1 << 16)
                                             & mask, mask)
    return "tun_metadata%d=0x%x" % (idx, rnd.randrange(4))


def tunmd_case(rnd):
    """(flows, frames) of one tun_metadata round."""
    flows = []
    prios = rnd.sample(range(10, 1000, 10), 30)
    outfields = []
    for _ in range(rnd.randint(3, 6)):
        m = rnd.choice(["in_port=%d" % rnd.choice(PORTS),
                        "dl_src=%s" % rnd.choice(g.MACS[:3]), "ip", ""])
        acts = ["load:%d->NXM_NX_REG3[0..7]" % rnd.randrange(256)] \
            if rnd.random() < 0.3 else []
        acts += [_write(rnd) for _ in range(rnd.randint(0, 3))]
        if rnd.random() < 0.5:
            w, field = _port_into(rnd, rnd.choice(list(TLV_MAP)))
            acts.append(w)
            outfields.append(field)
        acts.append("resubmit(,1)")
        flows.append("table=0,priority=%d%s actions=%s"
                     % (prios.pop(), "," + m if m else "", ",".join(acts)))
    for _ in range(rnd.randint(3, 6)):
        ms = [_match(rnd) for _ in range(rnd.choice([1, 1, 2]))]
        # one match per option
        seen, m = set(), []
        for x in ms:
            key = x.split("=")[0]
            if key not in seen:
                seen.add(key)
                m.append(x)
        acts = []
        for _ in range(rnd.randint(1, 3)):
            r = rnd.random()
            idx = rnd.choice(list(TLV_MAP))
            if r < 0.25 and outfields:
                acts.append("output:%s" % rnd.choice(outfields))
            elif r < 0.45:
                a, b = _bits(rnd, idx, 16)
                acts.append("move:tun_metadata%d[%d..%d]->NXM_OF_ETH_SRC"
                            "[0..15]" % (idx, a, b))
                acts.append("output:%d" % rnd.choice(PORTS))
            elif r < 0.6:
                a, b = _bits(rnd, idx, 2)
                acts.append("move:tun_metadata%d[%d..%d]->NXM_NX_REG0[0..1]"
                            % (idx, a, b))
                acts.append("resubmit(,2)")
            elif r < 0.75:
                a, b = _bits(rnd, idx, 8)
                acts.append("push:tun_metadata%d[%d..%d]" % (idx, a, b))
                acts.append("pop:NXM_OF_ETH_DST[0..7]")
                acts.append("output:%d" % rnd.choice(PORTS))
            else:
                acts.append("output:%d" % rnd.choice(PORTS))
        flows.append("table=1,priority=%d,%s actions=%s"
                     % (prios.pop(), ",".join(m), ",".join(acts)))
    flows.append("table=1,priority=1 actions=output:%d" % rnd.choice(PORTS))
    # table 2: what a register got from an option
    for v in range(4):
        flows.append("table=2,priority=%d,reg0=%d actions=output:%d"
                     % (prios.pop(), v, rnd.choice(PORTS)))
    flows = [("cookie=%d,%s" % (i + 1, f), False)
             for i, f in enumerate(flows)]
    frames = [g.random_frame(rnd, False, False, False) for _ in range(100)]
    return flows, frames
