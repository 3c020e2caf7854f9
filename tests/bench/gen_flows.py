#!/usr/bin/env python3
"""Write the N rules that match gen_pcap.py's traffic, one per flow.

Each rule matches its flow's 5-tuple exactly (in_port, UDP, source and
destination address and port) and outputs to the sink port; one rule at
priority 0 drops the rest, so a packet never leaves by a table miss.  The
language is ovs-ofctl's, understood by both `ovs-ofctl add-flows` and snicd;
only the port names differ between the two, hence --in-port/--out-port.

  gen_flows.py --flows N --in-port P --out-port P --out FILE
"""

import argparse
import sys

import flowset


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--in-port", required=True)
    ap.add_argument("--out-port", required=True)
    ap.add_argument("--priority", type=int, default=100)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if not 1 <= args.flows <= flowset.MAX_FLOWS:
        sys.exit("gen_flows.py: --flows must be 1..%d, not %d"
                 % (flowset.MAX_FLOWS, args.flows))
    with open(args.out, "w") as f:
        for i in range(args.flows):
            src_ip, dst_ip, sport, dport = flowset.flow(i)
            f.write("priority=%d,in_port=%s,udp,nw_src=%s,nw_dst=%s,"
                    "tp_src=%d,tp_dst=%d,actions=output:%s\n"
                    % (args.priority, args.in_port, flowset.ip_str(src_ip),
                       flowset.ip_str(dst_ip), sport, dport, args.out_port))
        f.write("priority=0,actions=drop\n")


if __name__ == "__main__":
    main()
