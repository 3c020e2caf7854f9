#!/usr/bin/env python3
"""The card PMDs a static snicd carries (docs/snicd.md, "Running it").

A static DPDK loads no plugin, so snicd drives only the cards whose PMDs
it was linked with (-Dsnicd_pmds). DPDK's own dpdk-pmdinfo.py reads the
drivers a binary registers, with the PCI ids each claims, from the
binary alone: every PMD the build was asked for must be there with its
PCI ids, and the software vdevs snicd's own features use.

usage: snicd_pmds.py SNICD static|shared PMD...
"""
import json
import subprocess
import sys

# -Dsnicd_pmds names -> the driver name the PMD registers
REGISTERED = {
    "mlx5": "mlx5_eth", "ice": "net_ice", "iavf": "net_iavf",
    "i40e": "net_i40e", "ixgbe": "net_ixgbe", "bnxt": "net_bnxt",
    "nfp": "net_nfp_pf", "sfc": "net_sfc_efx", "enic": "net_enic",
}
# --local's tap, the benchmarks' pcap and null, ring, af_packet
VDEVS = ["net_tap", "net_pcap", "net_null", "net_ring", "net_af_packet"]


def main():
    snicd, linkage, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    if linkage != "static":
        print("SKIP: snicd links the shared DPDK (-Dstatic_dpdk=disabled): "
              "the EAL loads the plugin folder's PMDs")
        return 77
    # Debian's script runs under the system python3, which has the
    # pyelftools it imports (scripts/setup installs python3-pyelftools)
    out = subprocess.run(["/usr/bin/python3", "/usr/bin/dpdk-pmdinfo.py",
                          snicd], capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        print("FAIL: dpdk-pmdinfo.py %s: %s" % (snicd, out.stderr[-2000:]))
        return 1
    drivers = {d["name"]: d for d in json.loads(out.stdout)}
    failures = 0
    for pmd in wanted:
        name = REGISTERED[pmd]
        ids = drivers.get(name, {}).get("pci_ids", [])
        ok = len(ids) > 0
        failures += not ok
        print("%s  %s (-Dsnicd_pmds %s): %d PCI ids" % (
            "ok  " if ok else "FAIL", name, pmd, len(ids)))
    for name in VDEVS:
        ok = name in drivers
        failures += not ok
        print("%s  %s" % ("ok  " if ok else "FAIL", name))
    # a PMD nobody asked for would be a library snicd loads for nothing
    extra = sorted(set(drivers) - set(VDEVS) - {"net_tun"} -
                   {REGISTERED[p] for p in wanted} -
                   {"mlx5_common_pci", "mlx5_common_driver", "net_ice_dcf",
                    "net_ixgbe_vf", "net_nfp_vf"})
    if extra:
        failures += 1
        print("FAIL  drivers not asked for: %s" % ", ".join(extra))
    print("%d PMDs and %d vdevs checked, %d failed" % (
        len(wanted), len(VDEVS), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
