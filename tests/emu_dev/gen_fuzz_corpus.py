#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of tests/fuzz/fuzz_emu_cmd.c.

One valid input per opcode, then hostile ones. Layouts follow
include/snic/fw_abi.h; run the replay with FUZZ_EMU_CMD_VERBOSE=1 to see
each seed's statuses. Usage: gen_fuzz_corpus.py OUT_DIR
"""
import os
import struct
import sys

PF, VF0, VF1, UPLINK, VF4 = 5, 0, 1, 6, 4

OP = dict(QUERY_ADAPTER=0x100, QUERY_HEALTH=0x101, FUNCTION_RESET=0x102,
          SRIOV_ENABLE=0x200, SRIOV_DISABLE=0x201, GET_MODE=0x210,
          SET_MODE=0x211, VPORT_QUERY=0x300, VPORT_MODIFY=0x301,
          VPORT_STATS=0x302, TABLE_CREATE=0x400, TABLE_DESTROY=0x401,
          RULE_ADD=0x410, RULE_DELETE=0x411, COUNTER_ALLOC=0x500,
          COUNTER_FREE=0x501, COUNTER_QUERY=0x502, DEBUG_FAULT=0xf00,
          STEERING_FLUSH=0x402, RULE_QUERY=0x412, RSS_CTX_CREATE=0x600,
          RSS_CTX_DESTROY=0x601, COUNTER_MOVED=0x503,
          STEERING_RECLAIM=0x403)


def hdr(op, body, in_size=None, out_size=1024, token=7, op_mod=0):
    size = 16 + len(body) if in_size is None else in_size
    return struct.pack('<HHIII', op, op_mod, size, out_size, token) + body


def cmd(fn, payload):
    return struct.pack('<BH', fn, len(payload)) + payload


def frame(port, data):
    return struct.pack('<BH', port, len(data)) + data


def match(src_vport=0, vlan_tci=0, eth_dst=b'\0' * 6, eth_type=0,
          ip_proto=0, ipv4_dst=0, l4_dst=0, vni=0, ip_frag=0, meta=0,
          mpls=0):
    m = struct.pack('<H', src_vport) + struct.pack('>H', vlan_tci)
    m += eth_dst + b'\0' * 6 + struct.pack('>H', eth_type)
    m += bytes([ip_proto, 0, 0, 0, 0, ip_frag])
    m += struct.pack('>II', 0, ipv4_dst) + b'\0' * 32
    m += struct.pack('>HH', 0, l4_dst) + struct.pack('<I', vni)
    m += struct.pack('<I', meta)            # ABI 1.9: META
    m += struct.pack('>I', mpls)            # ABI 1.10: the top MPLS entry
    assert len(m) == 80
    return m


def action(typ, arg=b''):
    a = struct.pack('<HHI', typ, 0, 0) + arg
    return a + b'\0' * (48 - len(a))


def rule(group, prio, value, mask, acts, flags=0, n=None, tags=None,
         gap=b''):
    """tags: (values, masks), 8 words each, after 16 action slots (ABI
    1.9); gap: bytes over the start of the unused slots."""
    n = len(acts) if n is None else n
    body = struct.pack('<IHHII', group, prio, n, flags, 0) + value + mask
    body += b''.join(acts)
    if tags is not None:
        pad = 16 + 80 + 80 + 48 * 16 - len(body)
        body += gap + b'\0' * (pad - len(gap))
        body += struct.pack('<8I', *tags[0]) + struct.pack('<8I', *tags[1])
    return hdr(OP['RULE_ADD'], body)


def set_reg(typ, index, value, mask, rsvd=b'\0\0\0'):
    """SET_META (22) / SET_TAG (23), ABI 1.9."""
    return action(typ, struct.pack('<IIB', value, mask, index) + rsvd)


def tags(**kw):
    """(values, masks) with tagN=(value, mask)."""
    v, m = [0] * 8, [0] * 8
    for k, (val, msk) in kw.items():
        v[int(k[3:])], m[int(k[3:])] = val, msk
    return (v, m)


def ctx(mac=b'\0' * 6, vid=0, qos=0, proto=0, spoof=0, trust=0, link=0,
        promisc=0, allmulti=0, min_rate=0, max_rate=0, mtu=0):
    c = mac + struct.pack('<HBBBBBBBB', vid, qos, proto, spoof, trust, link,
                          promisc, allmulti, 0)
    c += struct.pack('<IIHB', min_rate, max_rate, mtu, 0) + b'\0' * 5
    assert len(c) == 32
    return c


def modify(vport, sel, c):
    return hdr(OP['VPORT_MODIFY'], struct.pack('<HHI', vport, 0, sel) + c)


def fault(kind, opcode=0, status=0, count=0, value=0):
    return hdr(OP['DEBUG_FAULT'],
               struct.pack('<IHBBII', kind, opcode, status, 0, count, value))


def udp_frame(dst, src, dport=80, vid=None, dip=0x0a000002, frag=0):
    f = dst + src
    if vid is not None:
        f += struct.pack('>HH', 0x8100, vid)
    ip = struct.pack('>BBHHHBBHII', 0x45, 0, 28 + 16, 0, frag, 64, 17, 0,
                     0x0a000001, dip)
    return f + struct.pack('>H', 0x0800) + ip + \
        struct.pack('>HHHH', 1000, dport, 24, 0) + b'\x5a' * 16


MAC1 = bytes([2, 0x11, 0x22, 0x33, 0x44, 0x10])
MAC2 = bytes([2, 0x11, 0x22, 0x33, 0x44, 0x11])
BCAST = b'\xff' * 6

seeds = {}
Q = hdr(OP['QUERY_ADAPTER'], b'')
seeds['query_adapter'] = cmd(PF, Q) + cmd(VF0, Q) + cmd(UPLINK, Q)
seeds['query_health'] = cmd(PF, hdr(OP['QUERY_HEALTH'], b''))
seeds['function_reset'] = cmd(PF, hdr(OP['FUNCTION_RESET'], b'\0' * 8)) + \
    cmd(VF1, hdr(OP['FUNCTION_RESET'], b'\0' * 8))
seeds['sriov'] = cmd(PF, hdr(OP['SRIOV_DISABLE'], b'')) + \
    cmd(PF, hdr(OP['SRIOV_ENABLE'], struct.pack('<HHI', 2, 0, 0))) + \
    cmd(VF1, Q)
seeds['eswitch_mode'] = cmd(VF0, hdr(OP['GET_MODE'], b'')) + \
    cmd(PF, hdr(OP['SET_MODE'], b'\0' * 8)) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1)) + \
    frame(0, udp_frame(BCAST, MAC2)) + frame(0x80, udp_frame(MAC1, MAC2))
seeds['vport_query_stats'] = \
    cmd(PF, hdr(OP['VPORT_QUERY'], struct.pack('<HHI', 1, 0, 0))) + \
    cmd(VF0, hdr(OP['VPORT_STATS'], struct.pack('<HHI', 1, 0, 0)))
seeds['vport_modify'] = \
    cmd(PF, modify(1, 0x1ff, ctx(MAC1, 10, 3, 0, 1, 1, 1, 1, 1, 10, 100,
                                 1500))) + \
    cmd(VF0, modify(1, 0x80, ctx())) + \
    cmd(VF0, modify(1, 0x01, ctx(MAC2)))
seeds['tables'] = \
    cmd(PF, hdr(OP['TABLE_CREATE'], struct.pack('<IIII', 1, 1, 0, 0))) + \
    cmd(PF, hdr(OP['TABLE_DESTROY'], struct.pack('<II', 1, 0)))
FWD_REP = action(3, struct.pack('<HH', 1, 0))
seeds['rule_add_delete'] = \
    cmd(PF, rule(0, 0, match(src_vport=1), match(src_vport=0xffff),
                 [action(6, struct.pack('<I', 9)), FWD_REP])) + \
    cmd(PF, hdr(OP['RULE_DELETE'], struct.pack('<II', (1 << 20), 0)))
seeds['counters'] = \
    cmd(PF, hdr(OP['COUNTER_ALLOC'], struct.pack('<II', 4, 0))) + \
    cmd(PF, rule(0, 1, match(), match(),
                 [action(5, struct.pack('<I', 1)), action(1)])) + \
    cmd(PF, hdr(OP['COUNTER_QUERY'], struct.pack('<III', 1, 1, 1))) + \
    cmd(PF, hdr(OP['COUNTER_FREE'], struct.pack('<II', 1, 4))) + \
    b'\xff' + frame(2, udp_frame(MAC2, MAC1))
# ABI 1.1: a new eSwitch manager wipes what an earlier driver left
seeds['steering_flush'] = \
    cmd(PF, hdr(OP['COUNTER_ALLOC'], struct.pack('<II', 2, 0))) + \
    cmd(PF, hdr(OP['TABLE_CREATE'], struct.pack('<IIII', 3, 1, 0, 0))) + \
    cmd(PF, rule(0, 0, match(src_vport=1), match(src_vport=0xffff),
                 [action(5, struct.pack('<I', 1)),
                  action(4, struct.pack('<I', 3))])) + \
    cmd(PF, rule(3, 0, match(), match(), [action(2, b'\x02\x00')])) + \
    cmd(VF0, hdr(OP['STEERING_FLUSH'], b'\0' * 8)) + \
    cmd(UPLINK, hdr(OP['STEERING_FLUSH'], b'\0' * 8)) + \
    cmd(PF, hdr(OP['STEERING_FLUSH'], struct.pack('<II', 1, 0))) + \
    cmd(PF, hdr(OP['STEERING_FLUSH'], b'\0' * 8 + b'\0' * 3 + b'\x01')) + \
    cmd(PF, hdr(OP['STEERING_FLUSH'], b'\0' * 8)) + \
    cmd(PF, hdr(OP['STEERING_FLUSH'], b'')) + \
    cmd(PF, hdr(OP['COUNTER_QUERY'], struct.pack('<III', 1, 0, 1))) + \
    cmd(PF, hdr(OP['TABLE_CREATE'], struct.pack('<IIII', 3, 1, 0, 0))) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1))
seeds['debug_fault'] = \
    cmd(PF, fault(1, OP['QUERY_HEALTH'], 6, 1)) + \
    cmd(PF, hdr(OP['QUERY_HEALTH'], b'')) + \
    cmd(PF, fault(2, value=10)) + cmd(PF, fault(3, count=1)) + \
    cmd(PF, Q) + cmd(PF, fault(6, count=1)) + cmd(PF, Q) + \
    cmd(PF, fault(4)) + cmd(PF, fault(5)) + cmd(PF, Q) + \
    cmd(PF, hdr(OP['FUNCTION_RESET'], b'\0' * 8))
# a steering pipeline: jump, rewrite, mirror, miss with mark
seeds['pipeline'] = \
    cmd(PF, hdr(OP['TABLE_CREATE'], struct.pack('<IIII', 2, 3, 0, 0))) + \
    cmd(PF, rule(0, 0, match(eth_type=0x0800), match(eth_type=0xffff),
                 [action(6, struct.pack('<I', 5)),
                  action(7, struct.pack('>HH', 0x8100, 42)),
                  action(4, struct.pack('<I', 2))])) + \
    cmd(PF, rule(2, 0, match(l4_dst=80), match(l4_dst=0xffff),
                 [action(19), action(3, struct.pack('<HH', 2, 1)),
                  action(2, struct.pack('<HH', 0, 0))])) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1)) + \
    frame(1, udp_frame(MAC2, MAC1, 81)) + frame(0x82, udp_frame(MAC1, MAC2))

# ABI 1.3: IPv4 and IPv6 fragment state (ip_frag: IS 1, LATER 2, MORE 4).
# Whole packets to vf0, first fragments to vf1, later ones to vf2, IPv6
# fragments (a Fragment header) to the uplink; then frames of each kind.


def ipv6_frag_frame(dst, src, frag_data):
    ip6 = struct.pack('>IHBB', 0x60000000, 8 + 8 + 8, 44, 64) + \
        b'\0' * 15 + b'\1' + b'\0' * 15 + b'\2'
    fh = struct.pack('>BBHI', 17, 0, frag_data, 0x1234)
    return dst + src + struct.pack('>H', 0x86dd) + ip6 + fh + \
        struct.pack('>HHHH', 1000, 53, 16, 0) + b'\x5a' * 8


IP6 = 0x86dd
seeds['ip_frag'] = \
    cmd(PF, rule(0, 0, match(eth_type=0x0800, ip_frag=0),
                 match(eth_type=0xffff, ip_frag=1),
                 [action(2, struct.pack('<HH', 1, 0))])) + \
    cmd(PF, rule(0, 0, match(eth_type=0x0800, ip_frag=5),
                 match(eth_type=0xffff, ip_frag=7),
                 [action(2, struct.pack('<HH', 2, 0))])) + \
    cmd(PF, rule(0, 0, match(eth_type=0x0800, ip_frag=2),
                 match(eth_type=0xffff, ip_frag=2),
                 [action(2, struct.pack('<HH', 3, 0))])) + \
    cmd(PF, rule(0, 0, match(eth_type=IP6, ip_frag=1),
                 match(eth_type=0xffff, ip_frag=1),
                 [action(2, struct.pack('<HH', 0, 0))])) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1)) + \
    frame(1, udp_frame(MAC2, MAC1, frag=0x2000)) + \
    frame(1, udp_frame(MAC2, MAC1, frag=0x2010)) + \
    frame(1, udp_frame(MAC2, MAC1, frag=0x0010)) + \
    frame(2, ipv6_frag_frame(MAC2, MAC1, 0x0001)) + \
    frame(2, ipv6_frag_frame(MAC2, MAC1, 0x0648))
seeds['bad_ip_frag'] = \
    cmd(PF, rule(0, 0, match(ip_frag=8), match(ip_frag=8), [action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(ip_frag=0x80), [action(1)])) + \
    cmd(PF, rule(0, 0, match(ip_frag=2), match(ip_frag=3), [action(1)])) + \
    cmd(PF, rule(0, 0, match(ip_frag=1), match(ip_frag=2), [action(1)]))

# ABI 1.9: per-packet registers. Group 0 tags frames by ingress vport and
# sets META, group 1 steers on TAG[3] and on META, masked too.
SET_META, SET_TAG = 22, 23
ALL = 0xffffffff
seeds['metadata'] = \
    cmd(PF, hdr(OP['TABLE_CREATE'], struct.pack('<IIII', 1, 1, 0, 0))) + \
    cmd(PF, rule(0, 0, match(src_vport=1), match(src_vport=0xffff),
                 [set_reg(SET_TAG, 3, 5, ALL), set_reg(SET_META, 0, 0x77, 0xff),
                  action(4, struct.pack('<I', 1))])) + \
    cmd(PF, rule(0, 1, match(), match(),
                 [set_reg(SET_TAG, 3, 0x600, 0xf00),
                  action(4, struct.pack('<I', 1))])) + \
    cmd(PF, rule(1, 0, match(), match(), [action(3, struct.pack('<HH', 1, 1))],
                 tags=tags(tag3=(5, ALL)))) + \
    cmd(PF, rule(1, 1, match(meta=0x70), match(meta=0xf0),
                 [action(2, struct.pack('<HH', 2, 0)),
                  action(3, struct.pack('<HH', 0, 0))],
                 tags=tags(tag3=(0x600, 0xf00), tag7=(0, ALL)))) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1)) + \
    frame(2, udp_frame(MAC2, MAC1)) + frame(0, udp_frame(MAC1, MAC2))
seeds['bad_metadata'] = \
    cmd(PF, rule(0, 0, match(), match(), [set_reg(SET_TAG, 8, 1, 1), action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [set_reg(SET_TAG, 0xff, 1, 1), action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [set_reg(SET_TAG, 0, 1, 0), action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [set_reg(SET_META, 0, 0x100, 0xff), action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [set_reg(SET_META, 1, 1, 1), action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [set_reg(SET_TAG, 0, 1, 1, b'\0\1\0'),
                  action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(meta=3), match(meta=1), [action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(mpls=1), [action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(), [action(1)],
                 tags=tags(tag2=(3, 1)))) + \
    cmd(PF, rule(0, 0, match(), match(), [action(1)],
                 tags=tags(tag0=(1, 1)), gap=b'\1')) + \
    cmd(PF, rule(0, 0, match(), match(), [action(1)] * 16,
                 tags=tags(tag6=(1, 1))))

# ABI 1.10: MPLS. Group 0 pushes an entry onto IPv4 from vf0 and jumps;
# group 1 matches label 0 with BOS and forwards after a TTL rewrite; a
# rule pops MPLS frames from the wire to IPv4, another decrements the TTL
# (a TTL of 1 drops); frames of one, two and three entries, a stack cut
# short, MPLS behind a tag and behind two.
PUSH_MPLS, POP_MPLS, SET_MPLS_TTL, DEC_MPLS_TTL = 24, 25, 26, 27
MPLS, IPV4 = 0x8847, 0x0800


def mpls_frame(dst, src, entries, vids=(), tail=b'\x45' + b'\0' * 27):
    f = dst + src
    for v in vids:
        f += struct.pack('>HH', 0x8100, v)
    f += struct.pack('>H', MPLS)
    return f + b''.join(struct.pack('>I', e) for e in entries) + tail


def lse(label, tc=0, bos=1, ttl=64):
    return label << 12 | tc << 9 | bos << 8 | ttl


seeds['mpls'] = \
    cmd(PF, hdr(OP['TABLE_CREATE'], struct.pack('<IIII', 1, 1, 0, 0))) + \
    cmd(PF, rule(0, 0, match(src_vport=1, eth_type=IPV4),
                 match(src_vport=0xffff, eth_type=0xffff),
                 [action(PUSH_MPLS, struct.pack('>H', MPLS)),
                  action(4, struct.pack('<I', 1))])) + \
    cmd(PF, rule(1, 0, match(eth_type=MPLS, mpls=lse(0, ttl=0)),
                 match(eth_type=0xffff, mpls=0xfffff100),
                 [action(SET_MPLS_TTL, b'\x07'),
                  action(3, struct.pack('<HH', 1, 1))])) + \
    cmd(PF, rule(0, 1, match(src_vport=0, eth_type=MPLS),
                 match(src_vport=0xffff, eth_type=0xffff),
                 [action(POP_MPLS, struct.pack('>H', 0x0800)),
                  action(2, struct.pack('<HH', 2, 0))])) + \
    cmd(PF, rule(0, 1, match(src_vport=2, eth_type=0x8848),
                 match(src_vport=0xffff, eth_type=0xffff),
                 [action(DEC_MPLS_TTL), action(POP_MPLS, struct.pack('>H', MPLS)),
                  action(PUSH_MPLS, struct.pack('>H', 0x8848)),
                  action(2, struct.pack('<HH', 0, 0))])) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1)) + \
    frame(0, mpls_frame(MAC1, MAC2, [lse(5)])) + \
    frame(0, mpls_frame(MAC1, MAC2, [lse(5, bos=0), lse(6)])) + \
    frame(0, mpls_frame(MAC1, MAC2, [lse(5, bos=0), lse(6, bos=0),
                                     lse(7, bos=0)])) + \
    frame(0, mpls_frame(MAC1, MAC2, [], tail=b'\1\2')) + \
    frame(0, mpls_frame(MAC1, MAC2, [lse(9)], vids=(5,))) + \
    frame(0, mpls_frame(MAC1, MAC2, [lse(9)], vids=(5, 6))) + \
    frame(2, mpls_frame(MAC1, MAC2, [lse(1, ttl=1)])[:12] +
          b'\x88\x48' + struct.pack('>I', lse(1, ttl=1)) + b'\0' * 30) + \
    frame(2, mpls_frame(MAC1, MAC2, [lse(1, ttl=9)])[:12] +
          b'\x88\x48' + struct.pack('>II', lse(1, bos=0), lse(2)) + b'\0' * 30)
seeds['bad_mpls'] = \
    cmd(PF, rule(0, 0, match(mpls=lse(3)), match(mpls=0xffffffff),
                 [action(1)])) + \
    cmd(PF, rule(0, 0, match(eth_type=IPV4, mpls=lse(3)),
                 match(eth_type=0xffff, mpls=0xffffffff), [action(1)])) + \
    cmd(PF, rule(0, 0, match(eth_type=MPLS, mpls=lse(3)),
                 match(eth_type=0xfff0, mpls=0xffffffff), [action(1)])) + \
    cmd(PF, rule(0, 0, match(eth_type=MPLS, mpls=0x100),
                 match(eth_type=0xffff, mpls=0xff), [action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [action(PUSH_MPLS, struct.pack('>H', 0x0800)),
                  action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [action(PUSH_MPLS, struct.pack('>HH', MPLS, 1)),
                  action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [action(SET_MPLS_TTL, b'\x05\x01'),
                  action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [action(DEC_MPLS_TTL, b'\x01'), action(3, b'\0\0\0\0')])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [action(POP_MPLS, struct.pack('>H', 0x0800)), action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(), [action(28), action(1)]))

# ABI 1.2: VFs leave in place under live rules. A (first) sends 10.0.0.2
# to vf1 and counts, B all IPv4 from the wire to vf0, C matches vf1's own
# frames; going to 1 VF destroys C and makes A a tombstone that drops.
SRIOV_IN_PLACE = 1


def sriov_en(n, flags=0, rsvd1=0, **kw):
    return hdr(OP['SRIOV_ENABLE'], struct.pack('<HHI', n, flags, rsvd1), **kw)


def health(**kw):
    return hdr(OP['QUERY_HEALTH'], b'', **kw)


IP = 0x0800
seeds['sriov_in_place'] = \
    cmd(PF, hdr(OP['COUNTER_ALLOC'], struct.pack('<II', 1, 0))) + \
    cmd(PF, rule(0, 1, match(eth_type=IP, ipv4_dst=0x0a000002),
                 match(src_vport=0xffff, eth_type=0xffff,
                       ipv4_dst=0xffffffff),
                 [action(5, struct.pack('<I', 1)),
                  action(2, struct.pack('<HH', 2, 0))])) + \
    cmd(PF, rule(0, 2, match(eth_type=IP),
                 match(src_vport=0xffff, eth_type=0xffff),
                 [action(2, struct.pack('<HH', 1, 0))])) + \
    cmd(PF, rule(0, 0, match(src_vport=2), match(src_vport=0xffff),
                 [action(6, struct.pack('<I', 3)),
                  action(3, struct.pack('<HH', 2, 0))])) + \
    cmd(PF, sriov_en(1, SRIOV_IN_PLACE)) + \
    cmd(PF, health()) + cmd(VF0, health()) + \
    cmd(PF, hdr(OP['COUNTER_FREE'], struct.pack('<II', 1, 1))) + \
    cmd(PF, hdr(OP['RULE_DELETE'], struct.pack('<II', 1 << 20, 0))) + \
    cmd(PF, sriov_en(3, SRIOV_IN_PLACE)) + \
    cmd(PF, hdr(OP['COUNTER_QUERY'], struct.pack('<III', 1, 0, 1))) + \
    b'\xff' + frame(0, udp_frame(MAC2, MAC1)) + \
    frame(0, udp_frame(MAC2, MAC1, dip=0x0a000003)) + \
    frame(2, udp_frame(MAC1, MAC2)) + frame(0x82, udp_frame(MAC1, MAC2))
seeds['sriov_in_place_to_zero'] = \
    cmd(PF, rule(0, 0, match(src_vport=1), match(src_vport=0xffff),
                 [action(1)])) + \
    cmd(PF, rule(0, 1, match(), match(),
                 [action(2, struct.pack('<HH', 4, 0)),
                  action(2, struct.pack('<HH', 0, 0))])) + \
    cmd(PF, sriov_en(0, SRIOV_IN_PLACE)) + \
    cmd(VF0, hdr(OP['QUERY_ADAPTER'], b'')) + \
    cmd(PF, hdr(OP['SRIOV_DISABLE'], b'')) + \
    cmd(PF, sriov_en(0, SRIOV_IN_PLACE)) + cmd(PF, health()) + \
    b'\xff' + frame(0, udp_frame(MAC2, MAC1)) + frame(1, udp_frame(MAC2, MAC1))



def rule_query(cursor=0, flags=0, group=0, max_rules=8, rsvd=0, end=None,
               rsvd2=0, **kw):
    body = struct.pack('<IIIHH', cursor, flags, group, max_rules, rsvd)
    if end is not None:     # ABI 1.8
        body += struct.pack('<II', end, rsvd2)
    return hdr(OP['RULE_QUERY'], body, **kw)


def rss_ctx(vport, types, queues, flags=0, key=bytes(range(40)), n=None,
            **kw):
    n = len(queues) if n is None else n
    body = struct.pack('<HHI', vport, flags, types) + key
    body += struct.pack('<HHI', n, 0, 0) + struct.pack('<%dH' % len(queues),
                                                      *queues)
    return hdr(OP['RSS_CTX_CREATE'], body, **kw)


# RULE_QUERY (1.3) and RSS (1.5): a context for vf0's misses, a rule
# spreading by another, a listing across pages, frames through both
seeds['rule_query_rss'] = \
    cmd(PF, rss_ctx(1, 0x3f, [0, 1, 2, 3], flags=1)) + \
    cmd(PF, rss_ctx(0, 0x07, [3, 1])) + \
    cmd(PF, rule(0, 0, match(src_vport=2, eth_type=IP),
                 match(src_vport=0xffff, eth_type=0xffff),
                 [action(21, struct.pack('<I', 2))])) + \
    cmd(PF, rule(0, 1, match(eth_type=IP), match(eth_type=0xffff),
                 [action(2, struct.pack('<HH', 2, 0))])) + \
    cmd(PF, rule_query(max_rules=1)) + cmd(PF, rule_query(1, max_rules=8)) + \
    cmd(PF, rule_query(flags=1, max_rules=8)) + \
    cmd(PF, hdr(OP['RSS_CTX_DESTROY'], struct.pack('<II', 2, 0))) + \
    cmd(PF, health()) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1)) + \
    frame(2, udp_frame(MAC1, MAC2)) + frame(2, udp_frame(MAC1, MAC2, dip=9))
# RULE_QUERY ranges (1.8): three rules, listed by disjoint ranges of
# slots, a range past them, the end marker with an end
seeds['rule_query_ranges'] = \
    b''.join(cmd(PF, rule(0, p, match(eth_type=IP, ipv4_dst=p + 1),
                          match(eth_type=0xffff, ipv4_dst=0xffffffff),
                          [action(2, struct.pack('<HH', 2, 0))]))
             for p in range(3)) + \
    cmd(PF, rule_query(0, max_rules=1, end=1)) + \
    cmd(PF, rule_query(1, max_rules=1, end=3)) + \
    cmd(PF, rule_query(2, max_rules=8, end=3)) + \
    cmd(PF, rule_query(3, end=40)) + \
    cmd(PF, rule_query(0xffffffff, end=2)) + \
    cmd(PF, hdr(OP['RULE_DELETE'], struct.pack('<II', 1, 0))) + \
    cmd(PF, rule_query(0, max_rules=2, end=3)) + cmd(PF, health())
seeds['bad_rule_query_ranges'] = \
    cmd(PF, rule_query(5, end=5)) + cmd(PF, rule_query(5, end=2)) + \
    cmd(PF, rule_query(0, end=0xffffffff)) + \
    cmd(PF, rule_query(0, end=(1 << 20) + 1)) + \
    cmd(PF, rule_query(0, end=4, rsvd2=1)) + \
    cmd(PF, rule_query(0, end=4, in_size=36)) + \
    cmd(VF0, rule_query(0, end=4))
seeds['bad_rule_query_rss'] = \
    cmd(VF0, rule_query()) + cmd(UPLINK, rule_query()) + \
    cmd(PF, rule_query(max_rules=0)) + cmd(PF, rule_query(max_rules=9)) + \
    cmd(PF, rule_query(cursor=0x7fffffff)) + \
    cmd(PF, rule_query(flags=1, group=70000)) + \
    cmd(PF, rule_query(flags=1, group=9)) + cmd(PF, rule_query(group=3)) + \
    cmd(PF, rule_query(flags=6)) + cmd(PF, rule_query(rsvd=1)) + \
    cmd(PF, rule_query(out_size=20)) + cmd(PF, rule_query(in_size=16)) + \
    cmd(PF, hdr(OP['RULE_QUERY'], b'\0' * 16 + b'\x01')) + \
    cmd(VF0, rss_ctx(1, 1, [0])) + cmd(PF, rss_ctx(9, 1, [0])) + \
    cmd(PF, rss_ctx(1, 0x40, [0])) + cmd(PF, rss_ctx(1, 1, [], n=0)) + \
    cmd(PF, rss_ctx(1, 1, [0] * 129)) + cmd(PF, rss_ctx(1, 1, [0, 999])) + \
    cmd(PF, rss_ctx(1, 1, [0], flags=2)) + \
    cmd(PF, rss_ctx(1, 1, [0, 0, 7], n=2)) + \
    cmd(PF, rss_ctx(1, 1, [0], n=2000)) + \
    cmd(PF, hdr(OP['RSS_CTX_DESTROY'], struct.pack('<II', 0, 0))) + \
    cmd(PF, hdr(OP['RSS_CTX_DESTROY'], struct.pack('<II', 5000, 1))) + \
    cmd(PF, rule(0, 0, match(), match(), [action(21, struct.pack('<I', 77))]))



def moved(since=0, cursor=0, max_=41, flags=0, end=0, rsvd=0, **kw):
    return hdr(OP['COUNTER_MOVED'], struct.pack('<QIIHHI', since, cursor, end,
                                                max_, flags, rsvd), **kw)


# COUNTER_MOVED (1.6): counters allocated, one counting through a rule, a
# walk from 0 across pages, a clear, the next walk from the epoch the first
# page returned (2: the card starts at 1), frames in between
seeds['counter_moved'] = \
    cmd(PF, hdr(OP['COUNTER_ALLOC'], struct.pack('<II', 100, 0))) + \
    cmd(PF, rule(0, 1, match(), match(),
                 [action(5, struct.pack('<I', 70)), action(1)])) + \
    cmd(PF, moved(max_=7)) + cmd(PF, moved(cursor=7, max_=41)) + \
    cmd(PF, moved(cursor=60, max_=41)) + \
    cmd(PF, moved(cursor=10, end=50, max_=41)) + \
    cmd(PF, hdr(OP['COUNTER_QUERY'], struct.pack('<III', 1, 1, 3))) + \
    cmd(PF, moved(since=2)) + cmd(PF, moved(since=3, max_=1)) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1)) + frame(2, udp_frame(MAC1, MAC2))
seeds['bad_counter_moved'] = \
    cmd(VF0, moved()) + cmd(UPLINK, moved()) + \
    cmd(PF, moved(flags=1)) + cmd(PF, moved(max_=0)) + \
    cmd(PF, moved(max_=42)) + cmd(PF, moved(max_=0xffff)) + \
    cmd(PF, moved(out_size=32 + 24 * 40)) + \
    cmd(PF, moved(cursor=1 << 20)) + cmd(PF, moved(cursor=0xffffffff)) + \
    cmd(PF, moved(cursor=9, end=9)) + cmd(PF, moved(end=(1 << 20) + 1)) + \
    cmd(PF, moved(rsvd=1)) + \
    cmd(PF, moved(since=1 << 40)) + cmd(PF, moved(since=(1 << 64) - 1)) + \
    cmd(PF, moved(in_size=28)) + cmd(PF, moved(in_size=16)) + \
    cmd(PF, hdr(OP['COUNTER_MOVED'], struct.pack('<QIIHHI', 0, 0, 0, 1, 0, 0) +
                b'\0' * 3 + b'\x01'))

# STEERING_RECLAIM (1.7): ranges one of them in use by a rule, an RSS
# context used by a rule and a vport default one, the reclaim from every
# function, with reserved bits, trailing bytes, a short output; then the
# kept counter still counting
seeds['steering_reclaim'] = \
    cmd(PF, hdr(OP['COUNTER_ALLOC'], struct.pack('<II', 1024, 0))) + \
    cmd(PF, hdr(OP['COUNTER_ALLOC'], struct.pack('<II', 8, 0))) + \
    cmd(PF, rule(0, 1, match(), match(),
                 [action(5, struct.pack('<I', 1026)), action(1)])) + \
    cmd(PF, rss_ctx(1, 1, [0])) + cmd(PF, rss_ctx(2, 1, [0], flags=1)) + \
    cmd(PF, rule(0, 2, match(), match(), [action(21, struct.pack('<I', 1))])) + \
    cmd(VF0, hdr(OP['STEERING_RECLAIM'], b'\0' * 8)) + \
    cmd(UPLINK, hdr(OP['STEERING_RECLAIM'], b'\0' * 8)) + \
    cmd(PF, hdr(OP['STEERING_RECLAIM'], struct.pack('<II', 1, 0))) + \
    cmd(PF, hdr(OP['STEERING_RECLAIM'], struct.pack('<II', 0, 1))) + \
    cmd(PF, hdr(OP['STEERING_RECLAIM'], b'\0' * 11 + b'\x01')) + \
    cmd(PF, hdr(OP['STEERING_RECLAIM'], b'\0' * 8, out_size=24)) + \
    cmd(PF, hdr(OP['STEERING_RECLAIM'], b'')) + \
    cmd(PF, hdr(OP['STEERING_RECLAIM'], b'\0' * 8)) + \
    cmd(PF, hdr(OP['COUNTER_QUERY'], struct.pack('<III', 1, 0, 1026))) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1))

# hostile
seeds['bad_sriov'] = \
    cmd(PF, sriov_en(1, 2)) + cmd(PF, sriov_en(1, SRIOV_IN_PLACE | 2)) + \
    cmd(PF, sriov_en(1, 0x8000)) + cmd(PF, sriov_en(1, SRIOV_IN_PLACE, 1)) + \
    cmd(VF0, sriov_en(0, SRIOV_IN_PLACE)) + \
    cmd(VF1, sriov_en(4, SRIOV_IN_PLACE)) + \
    cmd(UPLINK, sriov_en(2, SRIOV_IN_PLACE)) + \
    cmd(PF, sriov_en(5, SRIOV_IN_PLACE)) + \
    cmd(PF, sriov_en(0xffff, SRIOV_IN_PLACE)) + \
    cmd(PF, sriov_en(2, SRIOV_IN_PLACE, in_size=18)) + \
    cmd(PF, hdr(OP['SRIOV_ENABLE'], struct.pack('<HHI', 2, SRIOV_IN_PLACE, 0) +
                b'\0' * 7 + b'\x01')) + \
    cmd(PF, sriov_en(4, SRIOV_IN_PLACE)) + cmd(PF, sriov_en(4))
seeds['query_health_sizes'] = \
    cmd(PF, health(out_size=40)) + cmd(PF, health(out_size=48)) + \
    cmd(PF, health(out_size=56)) + cmd(PF, health(out_size=60)) + \
    cmd(PF, health(out_size=64)) + cmd(VF1, health(out_size=64)) + \
    cmd(UPLINK, health()) + cmd(VF4, health()) + \
    cmd(PF, hdr(OP['QUERY_HEALTH'], b'\0' * 7 + b'\x02')) + \
    cmd(PF, health(out_size=0))
seeds['bad_lengths'] = \
    cmd(PF, b'\x00\x01\x00') + \
    cmd(PF, hdr(0x100, b'', in_size=8)) + \
    cmd(PF, hdr(0x100, b'', in_size=5000)) + \
    cmd(PF, hdr(0x100, b'', in_size=64)) + \
    cmd(PF, hdr(0x100, b'', out_size=3)) + \
    cmd(PF, hdr(0x502, struct.pack('<II', 60, 0), out_size=100))
seeds['bad_opcodes'] = cmd(PF, hdr(0x777, b'')) + \
    cmd(PF, hdr(0x100, b'', op_mod=3)) + cmd(PF, hdr(0xffff, b'\xff' * 40))
seeds['reserved_and_trailing'] = \
    cmd(PF, hdr(OP['SRIOV_ENABLE'], struct.pack('<HHI', 1, 1, 0))) + \
    cmd(PF, hdr(OP['TABLE_CREATE'], struct.pack('<IIII', 1, 1, 0, 0) +
                b'\0' * 7 + b'\x01')) + \
    cmd(PF, rule(0, 0, match(), match(), [action(1)], flags=4))
seeds['privilege'] = \
    cmd(VF0, rule(0, 0, match(), match(), [action(1)])) + \
    cmd(VF0, modify(2, 0x100, ctx(mtu=1400))) + \
    cmd(VF0, modify(1, 0x08, ctx(trust=1))) + \
    cmd(VF0, modify(1, 0x80, ctx(promisc=1))) + \
    cmd(UPLINK, hdr(OP['GET_MODE'], b'')) + \
    cmd(VF4, Q) + cmd(VF1, fault(5))
seeds['bad_rules'] = \
    cmd(PF, rule(0, 99, match(), match(), [action(1)])) + \
    cmd(PF, rule(9, 0, match(), match(), [action(1)])) + \
    cmd(PF, rule(0, 0, match(ip_proto=6), match(), [action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(), [action(1)], n=0)) + \
    cmd(PF, rule(0, 0, match(), match(), [action(1)] * 17, n=17)) + \
    cmd(PF, rule(0, 0, match(), match(), [action(6)])) + \
    cmd(PF, rule(0, 0, match(), match(), [action(1), action(6)])) + \
    cmd(PF, rule(0, 0, match(), match(), [action(4, struct.pack('<I', 0))])) + \
    cmd(PF, rule(0, 0, match(), match(), [action(2, b'\x09\x00')])) + \
    cmd(PF, rule(0, 0, match(), match(), [action(99)])) + \
    cmd(PF, rule(0, 0, match(vni=1 << 25), match(vni=1 << 25), [action(1)])) + \
    cmd(PF, hdr(OP['RULE_DELETE'], struct.pack('<II', 0xffffffff, 0)))
seeds['bad_counters'] = \
    cmd(PF, hdr(OP['COUNTER_ALLOC'], struct.pack('<II', 0, 0))) + \
    cmd(PF, hdr(OP['COUNTER_ALLOC'], struct.pack('<II', 100000, 0))) + \
    cmd(PF, hdr(OP['COUNTER_FREE'], struct.pack('<II', 5, 3))) + \
    cmd(PF, hdr(OP['COUNTER_QUERY'], struct.pack('<II', 61, 0))) + \
    cmd(PF, hdr(OP['COUNTER_QUERY'], struct.pack('<III', 1, 0, 77)))
seeds['bad_frames'] = b'\xff' + frame(1, b'') + frame(2, b'\x01' * 13) + \
    frame(0x81, b'\xff' * 14) + frame(3, b'\x00' * 2100) + \
    frame(7, udp_frame(MAC1, MAC2)) + \
    frame(1, udp_frame(BCAST, MAC1, vid=4095)[:20])

# ABI 1.11: writes to part of a field. vf0's UDP frames get
# ipv4_src[16..31] := 1.2, the TCP/UDP ports' and VID's low bits set, the
# destination MAC copied from the source, then go to the wire; frames
# untagged, tagged, truncated in each header. Then every refusal.
MODIFY_SET, MODIFY_COPY = 28, 29
M_ETH_DST, M_ETH_SRC, M_VID, M_IPV4_SRC, M_UDP_DST = 1, 2, 3, 6, 15


def mod(typ, dst, dofs, width, src=0, sofs=0, value=b'', rsvd=0):
    return action(typ, struct.pack('<BBBBHH', dst, src, width, rsvd, dofs,
                                   sofs) + value + b'\0' * (16 - len(value)))


seeds['modify'] = \
    cmd(PF, rule(0, 0, match(src_vport=1), match(src_vport=0xffff),
                 [mod(MODIFY_SET, M_IPV4_SRC, 16, 16, value=b'\1\2'),
                  mod(MODIFY_SET, M_UDP_DST, 0, 4, value=b'\0\x0f'),
                  mod(MODIFY_SET, M_VID, 4, 8, value=b'\x0f\xf0'),
                  mod(MODIFY_COPY, M_ETH_DST, 0, 48, src=M_ETH_SRC),
                  mod(MODIFY_COPY, M_IPV4_SRC, 0, 16, src=M_UDP_DST),
                  action(2, struct.pack('<HH', 0, 0))])) + \
    b'\xff' + frame(1, udp_frame(MAC2, MAC1)) + \
    frame(1, udp_frame(MAC2, MAC1, vid=7)) + \
    frame(1, udp_frame(MAC2, MAC1)[:40]) + \
    frame(1, udp_frame(MAC2, MAC1)[:20]) + \
    frame(1, udp_frame(MAC2, MAC1, frag=0x0010))
seeds['bad_modify'] = \
    cmd(PF, rule(0, 0, match(), match(), [mod(MODIFY_SET, 0, 0, 8),
                                          action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(), [mod(MODIFY_SET, 16, 0, 8),
                                          action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(), [mod(MODIFY_SET, M_IPV4_SRC, 0, 0),
                                          action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(), [mod(MODIFY_SET, M_IPV4_SRC, 16, 17),
                                          action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(), [mod(MODIFY_SET, M_VID, 0xffff, 1),
                                          action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [mod(MODIFY_SET, M_IPV4_SRC, 16, 16, value=b'\1\2\3'),
                  action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [mod(MODIFY_COPY, M_ETH_DST, 0, 16, src=99), action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [mod(MODIFY_COPY, M_ETH_DST, 0, 16, src=M_IPV4_SRC,
                      sofs=24), action(1)])) + \
    cmd(PF, rule(0, 0, match(), match(),
                 [mod(MODIFY_SET, M_ETH_DST, 0, 8, rsvd=1), action(1)]))

out = sys.argv[1] if len(sys.argv) > 1 else '.'
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
