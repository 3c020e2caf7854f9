#!/usr/bin/env python3
"""Write the rules of one of the benchmark's rule sets (rulesets.py).

The default, `exact`, is one rule per flow of gen_pcap.py's traffic
matching its exact 5-tuple (in_port, UDP, source and destination address
and port) and outputting to the sink port, plus one rule at priority 0 that
drops the rest, so a packet never leaves by a table miss.  Each rule has
its own cookie (its index + 1) for the per-rule counter checks.  The
language is ovs-ofctl's, understood by both `ovs-ofctl add-flows` and snicd;
only the port names differ between the two, hence --in-port/--out-port.

  gen_flows.py --flows N --in-port P --out-port P --out FILE [--rules SET]
"""

import argparse
import sys

import flowset
import rulesets


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--in-port", required=True)
    ap.add_argument("--out-port", required=True)
    ap.add_argument("--rules", default="exact", choices=rulesets.RULE_SETS)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if not 1 <= args.flows <= flowset.MAX_FLOWS:
        sys.exit("gen_flows.py: --flows must be 1..%d, not %d"
                 % (flowset.MAX_FLOWS, args.flows))
    with open(args.out, "w") as f:
        for r in rulesets.rules(args.rules, args.flows):
            f.write(r.text(args.in_port, args.out_port) + "\n")


if __name__ == "__main__":
    main()
