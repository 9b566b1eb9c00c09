#!/usr/bin/env bash
# peernetctl doctor names the cause when a peer is not found: run inside a
# host's namespace (its probe and firewall reading are that host's), its
# --json checks are asserted for
#
#   baseline  a and b paired over mDNS: the probe hears b, nothing fails;
#   (1)       b drops mDNS (nft `udp dport 5353 drop`): a's probe hears only
#             a itself (warn); b's firewall check names the table, chain and
#             rule, and b's probe hears a but not b itself (warn);
#   (2)       a trusts c, c does not trust a: peer.refuses says so (fail);
#   (3)       a process on d holds 7469 before peernetd starts: the daemon
#             exits, and doctor names that process on the port (fail).
#
#    pn-<pid>-a  198.18.0.1 --+
#    pn-<pid>-b  198.18.0.2 --+ br0
#    pn-<pid>-c  198.18.0.3 --+
#    pn-<pid>-d  198.18.0.4 --+
#
#   doctor_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init doctor "$@"

# doctor HOST OUT [ARGS...]: HOST's doctor --json into $pn_tmp/OUT.json;
# its exit code into $pn_tmp/OUT.rc.
doctor() {
  local host=$1 out=$2 rc=0
  shift 2
  in_ns "$host" "$peernetctl" --socket "$pn_tmp/$host.sock" doctor --json "$@" \
    >"$pn_tmp/$out.json" 2>"$pn_tmp/$out.err" || rc=$?
  echo "$rc" >"$pn_tmp/$out.rc"
}
# verdict OUT CHECK VERDICT [TEXT]: OUT's check CHECK has VERDICT and its
# detail or fix contains TEXT.
verdict() {
  "$py" - "$pn_tmp/$1.json" "$2" "$3" "${4:-}" <<'PY' || fail "doctor $1: $(cat "$pn_tmp/$1.json")"
import json, sys
path, name, want, text = sys.argv[1:]
doc = json.load(open(path))
checks = [c for c in doc["checks"] if c["name"] == name]
if not checks:
    sys.exit(f"no check {name!r}")
c = checks[0]
if c["verdict"] != want:
    sys.exit(f"check {name!r}: verdict {c['verdict']!r}, expected {want!r}: {c}")
if text and text not in c["detail"] + " " + (c["fix"] or ""):
    sys.exit(f"check {name!r}: {text!r} not in {c}")
PY
}
rc_is() { [ "$(cat "$pn_tmp/$1.rc")" = "$2" ] || fail "doctor $1 exited $(cat "$pn_tmp/$1.rc"), expected $2: $(cat "$pn_tmp/$1.json")"; }

# ---- baseline ----
hosts_up mdns a b
wait_call a b 20
wait_call b a 20
doctor a base b
verdict base daemon ok
verdict base listen ok "0.0.0.0:7469"
verdict base interfaces ok "lo (loopback)"
verdict base multicast ok "eth0 224.0.0.251"
verdict base mdns.probe ok "198.18.0.2"
verdict base firewall ok
verdict base peer.trusted ok
verdict base peer.state ok
verdict base peer.reachable ok "198.18.0.2:7469"
rc_is base 0

# ---- (1) b drops mDNS ----
in_ns b nft -f - <<'NFT'
table inet pn_doctor {
  chain input { type filter hook input priority 0; udp dport 5353 drop; }
}
NFT
doctor a drop-there
verdict drop-there mdns.probe warn "only this box answered"
doctor b drop-here
verdict drop-here firewall fail "table inet pn_doctor chain input: udp dport 5353 drop"
verdict drop-here mdns.probe warn "did not answer"
rc_is drop-here 1
in_ns b nft delete table inet pn_doctor

# ---- (2) c does not trust a ----
host_add c 198.18.0.3
daemon_config c "$(network_toml)" "$(discovery_toml mdns c)"
daemon_start c
pair a c "$addr_c"
refused() {
  ctl a peers --json | "$py" -c '
import json, sys
sys.exit(not any(p.get("name") == "c" and p.get("last_error") == "untrusted_peer" for p in json.load(sys.stdin)))'
}
wait_for 20 "a to see c refuse it (last_error untrusted_peer)" refused
doctor a refused c
verdict refused peer.trusted ok
verdict refused peer.refuses fail "run \`peernetctl pair\` there"
rc_is refused 1

# ---- (3) another process holds 7469 on d ----
host_add d 198.18.0.4
daemon_config d "$(network_toml)" "$(discovery_toml mdns d)"
ip netns exec "$PN_PREFIX-d" "$py" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("0.0.0.0", 7469))
s.listen()
open(sys.argv[1], "w").write("ready")
time.sleep(300)' "$pn_tmp/d.holder" &
holder=$!
pn_pids+=("$holder")
wait_for 10 "the port holder on d" test -s "$pn_tmp/d.holder"
ip netns exec "$PN_PREFIX-d" "$peernetd" --config "$pn_tmp/d.toml" --state-dir "$pn_tmp/state-d" \
  --socket "$pn_tmp/d.sock" >>"$pn_tmp/d.out" 2>>"$pn_tmp/d.log" </dev/null &
pid_d=$!
pn_pids+=("$pid_d")
daemon_gone() { ! kill -0 "$pid_d" 2>/dev/null; }
wait_for 10 "peernetd on d to give up on its port" daemon_gone
doctor d clash
verdict clash daemon fail "$pn_tmp/d.sock"
verdict clash port fail "pid $holder (python3)"
rc_is clash 1
echo "ok"
