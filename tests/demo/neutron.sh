# The Neutron part of scripts/demo (sourced by it after its first snicd
# stopped; it uses the demo's names, functions and namespaces).
#
# The card and the VMs stay; a second snicd runs what
# neutron-openvswitch-agent installs on br-int (with the OVS firewall's
# security groups) and br-tun, as one table space joined by a patch pair
# (tests/neutron/neutron_flows.py, docs/neutron.md): vm0 and vm1 on
# network A (VNI 0x64), vm2 on network B (VNI 0x65). The network's
# namespace becomes the remote host: a kernel VXLAN device per VNI, each
# in a namespace of its own (remote VM A, remote VM B, the same address).
# Then traffic, with checks, and dump-flows: where each flow lives.

nq_gen="$root/tests/neutron/neutron_flows.py"
nq_pkt="$root/tests/neutron/neutron_pkt.py"
eval "$(python3 "$nq_gen" --shell)" || die "$nq_gen --shell failed"
[ "$nq_local_vtep" = "$vtep_ip" ] && [ "$nq_remote_vtep" = "$net_ip" ] &&
    [ "$nq_local_vtep_mac" = "$vtep_mac" ] &&
    [ "$nq_remote_vtep_mac" = "$net_mac" ] ||
    die "the Neutron topology's VTEPs differ from the demo's"
ns_remote=("snicdemo$id-ra" "snicdemo$id-rb")

step "11. Neutron: the VMs become Neutron ports, the network a remote VXLAN host"
for i in 0 1 2; do
    # the card's VF MAC (spoof check on) follows the port's
    "$snic_vf" --emunic "$run/nic" set "$run/nic" "$i" mac "${nq_vm_mac[$i]}" \
        spoofchk on >/dev/null || die "snic-vf set vf $i failed"
    ns=${ns_vm[$i]}
    must nsx "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    must ip -n "$ns" addr flush dev eth0
    must ip -n "$ns" link set eth0 address "${nq_vm_mac[$i]}" mtu 1450
    must ip -n "$ns" addr add "${nq_vm_ip[$i]}/24" dev eth0
    ip -n "$ns" neigh flush dev eth0 2>/dev/null
    info "vm$i ${nq_vm_port[$i]} ${nq_vm_mac[$i]} ${nq_vm_ip[$i]}  network VNI ${nq_vm_vni[$i]}"
done
for j in 0 1; do
    ns=${ns_remote[$j]}; dev="vx${nq_remote_vni[$j]}"
    ip netns add "$ns" || die "cannot create namespace $ns"
    made_ns+=("$ns")
    must nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    # made in the remote host (its socket stays there), then moved
    must ip -n "$ns_net" link add "$dev" type vxlan id "${nq_remote_vni[$j]}" \
        local "$net_ip" remote "$vtep_ip" dstport 4789 dev eth0
    must ip -n "$ns_net" link set "$dev" netns "$ns"
    must ip -n "$ns" link set "$dev" address "${nq_remote_mac[$j]}" mtu 1450
    must ip -n "$ns" addr add "${nq_remote_ip[$j]}/24" dev "$dev"
    must ip -n "$ns" link set "$dev" up
    info "remote VM VNI ${nq_remote_vni[$j]}: ${nq_remote_mac[$j]} ${nq_remote_ip[$j]} (namespace $ns)"
done

step "12. snicd with the patch pair patch-tun=patch-int, the agent's flows"
read -r -a nq_opts <<<"$(python3 "$nq_gen" --snicd-options)"
info "snicd ${nq_opts[*]}"
"$snicd" -- --emunic-socket "$run/nic" --emunic "$emunic" \
    --rundir "$run/snicd" --journal none "${nq_opts[@]}" \
    >"$run/snicd-neutron.log" 2>&1 8>&- 9>&- &
snicd_pid=$!
wait_until 30 ready || die "snicd did not come up: $(tail -n 20 "$run/snicd-neutron.log")"
python3 "$nq_gen" --snicd >"$run/neutron.flows" 2>"$run/neutron.left-out" \
    || die "$nq_gen failed"
sed 's/^neutron_flows: /   /' "$run/neutron.left-out"
ctl add-flows "$run/neutron.flows" | sed 's/^/   /' || die "add-flows failed"
info "br-int: $(python3 "$nq_gen" --snicd --bridge int 2>/dev/null | wc -l) flows," \
    "br-tun: $(python3 "$nq_gen" --snicd --bridge tun 2>/dev/null | wc -l) flows"

step "13. traffic through br-int's firewall and br-tun's tunnel"
nq_pings() {    # nq_pings CHECK NS IP WHAT
    local out=""
    if settle "$2" "$3" && out="$(pings "$2" "$3" 10)"; then
        check "$1" ok "$out of 10 ($4)"
    else check "$1" FAIL "${out:-no answer} ($4)"; fi
}
nq_pings "neutron:vm0>vm1" "${ns_vm[0]}" "${nq_vm_ip[1]}" "net A on this host: firewall, NORMAL"
nq_pings "neutron:vm0>remote-a" "${ns_vm[0]}" "${nq_remote_ip[0]}" "VXLAN VNI ${nq_remote_vni[0]}"
# (the dump in a variable: grep -q would close the pipe under pipefail)
nq_dump=$(ctl dump-flows)
if grep -q "table=20, .*${nq_remote_mac[0]}.*output:vxlan0" <<<"$nq_dump"; then
    check neutron:br-tun-learned ok "table 20 learned ${nq_remote_mac[0]} -> vxlan0"
else check neutron:br-tun-learned FAIL "no learned flow for ${nq_remote_mac[0]} in table 20"; fi
nq_pings "neutron:vm2>remote-b" "${ns_vm[2]}" "${nq_remote_ip[1]}" "VXLAN VNI ${nq_remote_vni[1]}, same address as net A's"
na=$(ip -n "${ns_remote[0]}" neigh show); nb=$(ip -n "${ns_remote[1]}" neigh show)
if grep -qi "${nq_vm_mac[2]}" <<<"$nb" && ! grep -qi "${nq_vm_mac[2]}" <<<"$na" \
        && ! grep -qi "${nq_vm_mac[0]}" <<<"$nb"; then
    check neutron:networks-apart ok "each remote VM saw only its own network's VMs"
else check neutron:networks-apart FAIL "remote A knows: $na; remote B knows: $nb"; fi

# security groups: SSH from anywhere; TCP 5001 only from the group
for port in 22 5001; do
    nsx "${ns_vm[0]}" python3 "$nq_pkt" serve "$port" 20 >"$run/serve$port" 2>&1 8>&- 9>&- &
    pids+=($!)
    wait_until 10 grep -qx ready "$run/serve$port" || die "no TCP $port server in vm0"
done
if out=$(nsx "${ns_remote[0]}" python3 "$nq_pkt" connect "${nq_vm_ip[0]}" 22 3); then
    check neutron:sg-ssh-from-remote ok "remote VM A -> vm0:22 answered ($out)"
else check neutron:sg-ssh-from-remote FAIL "$out"; fi
if out=$(nsx "${ns_remote[0]}" python3 "$nq_pkt" connect "${nq_vm_ip[0]}" 5001 2); then
    check neutron:sg-5001-blocked FAIL "remote VM A reached vm0:5001"
else check neutron:sg-5001-blocked ok "remote VM A -> vm0:5001 dropped (not in the group)"; fi
if out=$(nsx "${ns_vm[1]}" python3 "$nq_pkt" connect "${nq_vm_ip[0]}" 5001 3); then
    check neutron:sg-5001-from-group ok "vm1 -> vm0:5001 answered (a member of the group)"
else check neutron:sg-5001-from-group FAIL "$out"; fi
# a forged source IP (the MAC is right: the card's spoof check passes
# it), beside the same datagrams with vm0's own address
nsx "${ns_vm[1]}" python3 "$nq_pkt" sniff eth0 SNQD 30 "$run/sniff.stop" \
    >"$run/sniff" 2>&1 8>&- 9>&- &
sniff_pid=$!; pids+=("$sniff_pid")
wait_until 10 grep -qx ready "$run/sniff" || die "no sniffer in vm1"
for src in "${nq_vm_ip[0]}" 10.0.0.99; do
    nsx "${ns_vm[0]}" python3 "$nq_pkt" send eth0 "${nq_vm_mac[0]}" \
        "${nq_vm_mac[1]}" "$src" "${nq_vm_ip[1]}" "SNQD-$src" 10
done
sleep 1; touch "$run/sniff.stop"      # what was sent has been through
wait "$sniff_pid" 2>/dev/null
got=$(tail -n 1 "$run/sniff")
if [ "$got" = 10 ]; then
    check neutron:spoofed-ip-dropped ok "vm0 sent 10 datagrams as itself, 10 as 10.0.0.99: vm1 got the 10"
else check neutron:spoofed-ip-dropped FAIL "vm1 got $got, expected the 10 with vm0's own address"; fi

step "14. snicctl dump-flows: each flow's place (hw / partial / sw, and why) and counters"
ctl dump-flows | sed 's/^/   /'
ctl -j dump-flows >"$run/neutron-dump.json"
# the summary per table and state on stderr, the checks on stdout
python3 - "$run/neutron-dump.json" >"$run/neutron-checks" <<'EOF'
import collections, json, sys
fl = json.load(open(sys.argv[1]))["flows"]
say = lambda *a: print(*a, file=sys.stderr)
per = collections.defaultdict(collections.Counter)
for f in fl:
    per[f["table"]][f["offload"]] += 1
st = collections.Counter(f["offload"] for f in fl)
say("\n   %d flows: hw %d, partial %d, sw %d; per table (h/p/s):" % (
    len(fl), st["hw"], st["partial"], st["sw"]))
say("   " + "  ".join("%d:%s" % (t, "/".join(
    str(per[t][s]) for s in ("hw", "partial", "sw"))) for t in sorted(per)))
why = collections.Counter(f["reason"].split(" (")[0] for f in fl
                          if f["reason"] and
                          not f["reason"].startswith("shadowed"))
say("   why not in hardware (besides 'shadowed by' a flow in software):")
for w, n in why.most_common(8):
    say("   %4d x %s" % (n, w))
placed = all(f["offload"] in ("hw", "partial", "sw") and
             (f["offload"] == "hw" or f["reason"]) for f in fl)
moved = [f for f in fl if f["n_packets"] > 0]
# the first ARP to each remote VM was flooded down its VNI, and br-tun
# learned each remote VM's MAC
tunnel = [f for f in moved if (f["table"], f["priority"]) in ((22, 1),
                                                               (20, 1))]
print("neutron:flow-places %s %d flows, each hw/partial/sw, the others "
      "with a reason" % ("ok" if placed else "FAIL", len(fl)))
print("neutron:counters %s %d flows counted packets, among them the "
      "%d flood and learned flows of the tunnel" % (
          "ok" if len(moved) >= 20 and len(tunnel) == 4 else "FAIL",
          len(moved), len(tunnel)))
EOF
while read -r name res detail; do
    check "$name" "$res" "$detail"
done <"$run/neutron-checks"

kill -TERM "$snicd_pid"
if wait_until 20 sh -c "! kill -0 $snicd_pid 2>/dev/null"; then
    wait "$snicd_pid"; rc=$?
    if [ "$rc" -eq 0 ] && ! grep -qE 'Sanitizer|runtime error' "$run/snicd-neutron.log"; then
        check neutron:snicd-clean-stop ok "SIGTERM: exit 0, log clean"
    else
        check neutron:snicd-clean-stop FAIL "exit $rc: $(tail -n 5 "$run/snicd-neutron.log" | tr '\n' ' ')"
    fi
else
    check neutron:snicd-clean-stop FAIL "still running 20 s after SIGTERM"
fi
snicd_pid=""
