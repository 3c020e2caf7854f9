#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The differential test against Open vSwitch: the same random flow tables
and the same random frames (well-formed and malformed) through Open
vSwitch 3.1 (ovs-vswitchd --enable-dummy, the userspace datapath, one
netdev-dummy port per OpenFlow port) and through snicd's software datapath
(ovsdiff_dp, include/snic/dp.h). Every output frame, byte for byte and per
port, and every flow's packet count must be the same.

    ovsdiff.py            environment: OVSDIFF_DP (path to ovsdiff_dp),
                          SNIC_OVSDIFF_SEED (replay a run; else SNIC_SEED,
                          CI's seed), SNIC_OVSDIFF_ROUNDS

The differences kept on purpose are in docs/ovs-differences.md; the
generator (ovsdiff_gen.py) leaves out exactly the cases listed there.
Exit 0: no difference; 1: differences (each printed with its frame and the
flows); 77: Open vSwitch is not installed (meson shows the test SKIPPED).
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ovs_switch  # noqa: E402
import ovsdiff_actset  # noqa: E402
import ovsdiff_ct  # noqa: E402
import ovsdiff_gen  # noqa: E402
import ovsdiff_hdr  # noqa: E402
import ovsdiff_mpls  # noqa: E402
import ovsdiff_patch  # noqa: E402
import ovsdiff_ptype  # noqa: E402
import ovsdiff_select  # noqa: E402
import ovsdiff_pipe  # noqa: E402
import ovsdiff_tunmd  # noqa: E402

PACKETS_PER_ROUND = 250
DEFAULT_ROUNDS = 6
CONJ_ROUNDS = 4
LEARN_ROUNDS = 4
CT_ROUNDS = 6
MPLS_ROUNDS = 4
ACTSET_ROUNDS = 4
STACK_ROUNDS = 3
HDR_ROUNDS = 4
PKTLEN_ROUNDS = 2
SELECT_ROUNDS = 4
VLAN_ROUNDS = 2
PTYPE_ROUNDS = 3
TUNMD_ROUNDS = 3
PATCH_ROUNDS = 4
SHOW = 8
# Open vSwitch moves datapath counters to its flows asynchronously; with
# hundreds of packets between two moves, it lost one now and then
PURGE_EVERY = 20


def run_snic(dp_tool, flows, packets, vlans=None, tlv=None, patches=()):
    """Feed the flows and packets to ovsdiff_dp: (rejected {index: msg},
    [outputs per packet], {cookie: n_packets}). @tlv: {index: (class,
    type, len)}, the TLV map. @patches: patch pairs (a, b)."""
    script = ["tlv %d %d %d %d" % (i, c, t, n)
              for i, (c, t, n) in sorted((tlv or {}).items())]
    script += ["patch %d %d" % pair for pair in patches]
    for p, (mode, tag, trunks) in sorted((vlans or {}).items()):
        script.append("port %d %s %d %s" % (
            p, mode, tag or 0, ",".join(str(t) for t in trunks)
            if trunks else "-"))
    script += ["flow " + f for f in flows] + ["commit"]
    script += ["pkt %d %s" % (port, frame.hex()) for port, frame in packets]
    script.append("stats")
    r = subprocess.run([dp_tool], input="\n".join(script) + "\n",
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("ovsdiff_dp exited %d: %s" % (r.returncode,
                                                         r.stderr[-2000:]))
    rejected, outs, counts, cur = {}, [], {}, []
    for line in r.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word == "reject":
            n, _, msg = rest.partition(" ")
            rejected[int(n)] = msg
        elif word == "out":
            port, _, hexf = rest.partition(" ")
            cur.append((int(port), bytes.fromhex(hexf)))
        elif word == "end":
            outs.append(cur)
            cur = []
        elif word == "count":
            cookie, _, n = rest.partition(" ")
            # learned flows share their learn's cookie: summed
            counts[int(cookie, 16)] = counts.get(int(cookie, 16), 0) + int(n)
    return rejected, outs, counts


def describe(outs):
    return "\n".join("      port %d: %s" % (p, f.hex()) for p, f in
                     sorted(outs)) or "      (nothing)"


def one_round(sw, dp_tool, rnd, rnd_no, diffs, totals, case=None,
              ct=False, fresh=False, uncounted=(), tlv=None, patches=(),
              normal=False):
    if ct:
        # connection tracking: both trackers start empty
        sw.flush_conntrack()
    if case is not None:
        # a fixed case: plain trunk ports (Open vSwitch's default), no
        # NORMAL
        flows, packets = case
        vlans = {p: ("trunk", None, None) for p in ovsdiff_gen.PORTS}
        sw.set_vlans(vlans)
    else:
        # every other round has NORMAL, under random access/trunk/native
        # ports, switching what the table does not take
        flows = ovsdiff_gen.random_flows(rnd, normal=rnd_no % 2 == 1)
        vlans = ovsdiff_gen.random_vlan_config(rnd)
        sw.set_vlans(vlans)
        # learning is a side effect of a packet's translation: with a
        # datapath flow cached from an earlier packet, Open vSwitch learns
        # only later (at revalidation), so each frame of a NORMAL round is
        # translated afresh, in order (below)
        # the known differences (docs/ovs-differences.md), left out exactly:
        # two tags through strip_vlan, later fragments through L3/L4 rewrites
        two_tags = not any("strip_vlan" in f for f, _ in flows)
        later_frags = not any(a in f for f, _ in flows
                              for a in ("mod_nw_src", "mod_nw_dst",
                                        "mod_tp_"))
        # NORMAL: Open vSwitch makes its copies one from the other in the
        # order of its port table, so a DEI bit survives or not by that order
        normal = any("normal" in f.lower() or "65530" in f
                     for f, _ in flows)
        packets = [ovsdiff_gen.normal_frame(rnd, vlans)
                   if normal and rnd.random() < 0.5 else
                   ovsdiff_gen.random_frame(rnd, two_tags, later_frags,
                                            not normal)
                   for _ in range(PACKETS_PER_ROUND)]
        packets = ovsdiff_gen.one_cut_tag_per_port(packets)
    # learn is a side effect of a packet's translation too: every frame
    # is translated afresh (a cached datapath flow does not learn)
    learn = any("learn(" in f for f, _ in flows)
    n_diffs = len(diffs)
    lines = [f for f, _ in flows]
    by_cookie = {i + 1: f for i, f in enumerate(lines)}

    # which flows each side takes: a flow only one side takes is a
    # difference; the rest of the round runs on the flows both take
    rej_snic, _, _ = run_snic(dp_tool, lines, [], tlv=tlv, patches=patches)
    rej_ovs = dict(sw.replace_flows(lines, [push for _, push in flows]))
    for i, line in enumerate(lines):
        if (i in rej_snic) != (i in rej_ovs):
            diffs.append("round %d: flow %r: snicd %s, Open vSwitch %s" % (
                rnd_no, line,
                "refuses (%s)" % rej_snic[i] if i in rej_snic else "takes",
                "refuses (%s)" % rej_ovs[i] if i in rej_ovs else "takes"))
    keep = [i for i in range(len(lines))
            if i not in rej_snic and i not in rej_ovs]
    totals["drawn"] += len(lines)
    totals["refused_both"] += sum(1 for i in rej_snic if i in rej_ovs)
    lines = [lines[i] for i in keep]
    if len(keep) != len(flows):
        sw.replace_flows(lines, [flows[i][1] for i in keep])

    _, snic_outs, snic_counts = run_snic(dp_tool, lines, packets, vlans,
                                         tlv, patches)
    for n, (port, frame) in enumerate(packets):
        if normal or learn or fresh or n % PURGE_EVERY == 0:
            sw.push_stats()
        ovs_outs = sw.send(port, frame)
        a, b = sorted(ovs_outs), sorted(snic_outs[n])
        totals["packets"] += 1
        totals["outputs"] += len(a)
        if a != b:
            diffs.append("round %d packet %d, in_port %d, frame %s\n"
                         "    Open vSwitch:\n%s\n    snicd:\n%s" % (
                             rnd_no, n, port, frame.hex(), describe(a),
                             describe(b)))
    ovs_counts = sw.flow_counts()
    for cookie in sorted(set(ovs_counts) | set(snic_counts)):
        if cookie in uncounted:
            continue
        if ovs_counts.get(cookie) != snic_counts.get(cookie):
            diffs.append("round %d: flow %r counted %s packets in Open "
                         "vSwitch, %s in snicd" % (
                             rnd_no, by_cookie.get(cookie, cookie),
                             ovs_counts.get(cookie),
                             snic_counts.get(cookie)))
    if len(diffs) > n_diffs:
        # the table, for whoever reads differences.txt
        diffs.append("round %d flows:\n%s" % (
            rnd_no, "\n".join("    " + f for f in lines)))
    totals["flows"] += len(lines)
    totals["normal"] += normal
    totals["hit"] += sum(1 for v in snic_counts.values() if v)
    # learned flows carry their learn's cookie, 0x100 and up
    totals["learned"] += sum(v for c, v in snic_counts.items()
                             if c >= 0x100 and learn)


def main():
    dp_tool = os.environ.get("OVSDIFF_DP")
    if not dp_tool or not os.access(dp_tool, os.X_OK):
        print("ovsdiff: set OVSDIFF_DP to the ovsdiff_dp program")
        return 2
    missing = ovs_switch.missing_tools()
    if missing:
        print("SKIP: Open vSwitch is not installed (%s): scripts/setup "
              "installs openvswitch-switch" % ", ".join(missing))
        return 77
    # CI's one seed for every random scenario, unless this one has its own
    env_seed = os.environ.get("SNIC_OVSDIFF_SEED") or \
        os.environ.get("SNIC_SEED")
    seed = int(env_seed) if env_seed else random.randrange(1 << 31)
    rounds = int(os.environ.get("SNIC_OVSDIFF_ROUNDS", DEFAULT_ROUNDS))
    print("ovsdiff: seed %d (replay with SNIC_OVSDIFF_SEED=%d), %d rounds "
          "of %d frames" % (seed, seed, rounds, PACKETS_PER_ROUND),
          flush=True)
    rnd = random.Random(seed)
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="ovsdiff.")
    diffs = []
    totals = dict(packets=0, outputs=0, flows=0, hit=0, normal=0,
                  learned=0, drawn=0, refused_both=0)
    sw = None
    try:
        sw = ovs_switch.OvsSwitch(tmp, len(ovsdiff_gen.PORTS))
        # round -1: the directed case, the same every run
        one_round(sw, dp_tool, rnd, -1, diffs, totals,
                  case=ovsdiff_gen.directed_case())
        # round -2: exit, and what else ends or forks a pipeline, directed
        one_round(sw, dp_tool, rnd, -2, diffs, totals,
                  case=ovsdiff_pipe.pipe_case(), fresh=True)
        # round -3: clone, its resubmits and its action set, directed
        one_round(sw, dp_tool, rnd, -3, diffs, totals,
                  case=ovsdiff_pipe.clone_case(), fresh=True)
        for r in range(rounds):
            one_round(sw, dp_tool, rnd, r, diffs, totals)
        # conjunctive matches (conjunction / conj_id) in rounds of their own
        for r in range(CONJ_ROUNDS):
            one_round(sw, dp_tool, rnd, rounds + r, diffs, totals,
                      case=ovsdiff_gen.conj_case(rnd))
        # learn(...): what a frame learns switches the frames after it
        for r in range(LEARN_ROUNDS):
            one_round(sw, dp_tool, rnd, rounds + CONJ_ROUNDS + r, diffs,
                      totals, case=ovsdiff_gen.learn_case(rnd))
        # connection tracking (ct, ct_state...) in rounds of their own
        for r in range(CT_ROUNDS):
            one_round(sw, dp_tool, rnd, rounds + CONJ_ROUNDS + LEARN_ROUNDS + r, diffs,
                      totals, case=ovsdiff_ct.ct_case(rnd), ct=True)
        # MPLS push/pop/set and label matches, in rounds of their own;
        # each frame translated afresh: Open vSwitch's datapath flow for a
        # set_mpls_* writes a whole entry while matching only part of it,
        # so a later frame of another TC or TTL got the first one's
        for r in range(MPLS_ROUNDS):
            one_round(sw, dp_tool, rnd,
                      rounds + CONJ_ROUNDS + LEARN_ROUNDS + CT_ROUNDS + r,
                      diffs, totals, case=ovsdiff_mpls.mpls_case(rnd),
                      fresh=True)
        # OpenFlow 1.1's action set: write_actions, clear_actions,
        # actset_output, across three tables
        for r in range(ACTSET_ROUNDS):
            one_round(sw, dp_tool, rnd,
                      rounds + CONJ_ROUNDS + LEARN_ROUNDS + CT_ROUNDS
                      + MPLS_ROUNDS + r, diffs, totals,
                      case=ovsdiff_actset.actset_case(rnd), fresh=True)
        # the register stack: push:, pop:, and outputs to what they left
        for r in range(STACK_ROUNDS):
            one_round(sw, dp_tool, rnd,
                      rounds + CONJ_ROUNDS + LEARN_ROUNDS + CT_ROUNDS
                      + MPLS_ROUNDS + ACTSET_ROUNDS + r, diffs, totals,
                      case=ovsdiff_actset.stack_case(rnd))
        # header fields as subfields: load, move, push, pop, output:FIELD
        for r in range(HDR_ROUNDS):
            one_round(sw, dp_tool, rnd,
                      rounds + CONJ_ROUNDS + LEARN_ROUNDS + CT_ROUNDS
                      + MPLS_ROUNDS + ACTSET_ROUNDS + STACK_ROUNDS + r,
                      diffs, totals, case=ovsdiff_hdr.hdr_case(rnd))
        # check_pkt_larger: the length Open vSwitch's datapath compares
        for r in range(PKTLEN_ROUNDS):
            case = ovsdiff_select.pktlen_case(rnd)
            one_round(sw, dp_tool, rnd,
                      rounds + CONJ_ROUNDS + LEARN_ROUNDS + CT_ROUNDS
                      + MPLS_ROUNDS + ACTSET_ROUNDS + STACK_ROUNDS + HDR_ROUNDS
                      + r,
                      diffs, totals, case=case,
                      uncounted=ovsdiff_select.uncounted(case[0]))
        # multipath, bundle and bundle_load: Open vSwitch's hash, its link
        # algorithms and the live members; each frame translated afresh:
        # for a frame that is not IP, Open vSwitch 3.1's datapath flow
        # for symmetric_l3l4 matches none of the Ethernet fields its hash
        # read, so a later frame got an earlier one's pick
        # (docs/ovs-differences.md)
        for r in range(SELECT_ROUNDS):
            one_round(sw, dp_tool, rnd,
                      rounds + CONJ_ROUNDS + LEARN_ROUNDS + CT_ROUNDS
                      + MPLS_ROUNDS + ACTSET_ROUNDS + STACK_ROUNDS + HDR_ROUNDS
                      + PKTLEN_ROUNDS + r,
                      diffs, totals, case=ovsdiff_select.select_case(rnd),
                      fresh=True)
        # the outer tag's fields as subfields (OXM_OF_VLAN_VID...)
        for r in range(VLAN_ROUNDS):
            one_round(sw, dp_tool, rnd,
                      rounds + CONJ_ROUNDS + LEARN_ROUNDS + CT_ROUNDS
                      + MPLS_ROUNDS + ACTSET_ROUNDS + STACK_ROUNDS + HDR_ROUNDS
                      + PKTLEN_ROUNDS + SELECT_ROUNDS + r, diffs, totals,
                      case=ovsdiff_hdr.vlan_case(rnd))
        # packet types: decap(), encap(ethernet), packet_type=(1,T); a
        # directed round of Open vSwitch's own lines first
        base = (rounds + CONJ_ROUNDS + LEARN_ROUNDS + CT_ROUNDS + MPLS_ROUNDS
                + ACTSET_ROUNDS + STACK_ROUNDS + HDR_ROUNDS + PKTLEN_ROUNDS
                + SELECT_ROUNDS + VLAN_ROUNDS)
        for r in range(PTYPE_ROUNDS):
            one_round(sw, dp_tool, rnd, base + r, diffs, totals,
                      case=ovsdiff_ptype.directed_case() if r == 0
                      else ovsdiff_ptype.ptype_case(rnd), fresh=True)
        # tun_metadata0..2 as scratch space, under one TLV map (Open
        # vSwitch keeps it for the rounds after, which do not use it)
        sw.add_tlv_map(ovsdiff_tunmd.tlv_map_arg())
        for r in range(TUNMD_ROUNDS):
            one_round(sw, dp_tool, rnd, base + PTYPE_ROUNDS + r,
                      diffs, totals, case=ovsdiff_tunmd.tunmd_case(rnd),
                      tlv=ovsdiff_tunmd.TLV_MAP)
        # a patch pair in the one bridge, last: its ports would join every
        # earlier round's ALL, FLOOD and NORMAL. Every other random round
        # has NORMAL.
        # A directed round first (loops, the limits, exit...).
        sw.add_patch_pair(*ovsdiff_patch.PAIR)
        for r in range(PATCH_ROUNDS + 1):
            one_round(sw, dp_tool, rnd,
                      base + PTYPE_ROUNDS + TUNMD_ROUNDS + r, diffs, totals,
                      case=ovsdiff_patch.directed_case() if r == 0 else
                      ovsdiff_patch.patch_case(rnd, normal=r % 2 == 0),
                      fresh=True, tlv=ovsdiff_tunmd.TLV_MAP,
                      patches=[ovsdiff_patch.PAIR],
                      normal=r > 0 and r % 2 == 0)
    except Exception:
        import traceback
        traceback.print_exc()
        if sw is not None:
            print("--- ovs-vswitchd.log ---\n" + sw.log_tail("ovs-vswitchd"))
        diffs.append("the harness failed (seed %d)" % seed)
    finally:
        if sw is not None:
            sw.close()
    print("ovsdiff: %d flows (%d hit; of %d drawn, %d refused by both), "
          "%d frames, %d outputs compared in %.1f s; %d rounds with NORMAL; "
          "%d frames switched by learned flows" % (
              totals["flows"], totals["hit"], totals["drawn"],
              totals["refused_both"], totals["packets"],
              totals["outputs"], time.time() - t0, totals["normal"],
              totals["learned"]))
    if not diffs:
        diffs += floors(totals)
    if diffs:
        print("ovsdiff: %d differences (seed %d); the first %d:"
              % (len(diffs), seed, min(SHOW, len(diffs))))
        for d in diffs[:SHOW]:
            print("  " + d)
        with open(os.path.join(tmp, "differences.txt"), "w") as f:
            f.write("\n".join(diffs) + "\n")
        print("all of them in %s" % os.path.join(tmp, "differences.txt"))
        print("FAILED: replay with SNIC_OVSDIFF_SEED=%d" % seed)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("passed")
    return 0


def floors(totals):
    """A run that compared next to nothing passes no judgement: a
    generator that drifted into lines both sides refuse, or into frames no
    flow takes, would make every round agree vacuously. The figures of a
    run are far above these (docs/ovs-differences.md)."""
    short = []
    for what, have, need in (
            ("flows both sides took, of those drawn", totals["flows"],
             0.9 * totals["drawn"]),
            ("flows that some frame hit", totals["hit"],
             0.1 * totals["flows"]),
            ("outputs compared, per frame", totals["outputs"],
             0.5 * totals["packets"]),
            ("rounds with NORMAL", totals["normal"], 1),
            ("frames switched by learned flows", totals["learned"], 1)):
        if have < need:
            short.append("too little compared: %s %d, below the floor "
                         "%.0f" % (what, have, need))
    return short


if __name__ == "__main__":
    sys.exit(main())
