#!/usr/bin/env bash
# Interoperability with python-zeroconf (python3-zeroconf), both ways:
#  - on host c, zeroconf browses _peernet._tcp and resolves a's and b's
#    peernetd: TXT id=<peer id>, address, port 7469;
#  - c's peernetd runs without discovery of its own; zeroconf registers a
#    _peernet._tcp service for it (TXT id=<c's id>, c's address and port),
#    and a, which trusts c but knows no address for it, finds it that way
#    and calls it.
#
#    pn-<pid>-a  198.18.0.1 --+          peernetd, mDNS
#    pn-<pid>-b  198.18.0.2 --+ br0      peernetd, mDNS
#    pn-<pid>-c  198.18.0.3 --+          peernetd (mDNS off), zeroconf_peer.py
#
#   zeroconf_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init zeroconf "$@"
here=$(cd "$(dirname "$0")" && pwd)
"$py" -c 'import zeroconf' 2>/dev/null || fail "python3-zeroconf is not installed"

interop_hosts_up

# --- zeroconf sees peernetd.
t0=$(now)
in_ns c "$py" "$here/zeroconf_peer.py" browse --timeout 20 "$id_a" "$id_b" \
  >"$pn_tmp/zc-browse.out" 2>"$pn_tmp/zc-browse.err" || fail "zeroconf did not resolve a and b: $(cat "$pn_tmp/zc-browse.out" "$pn_tmp/zc-browse.err")"
measured "zeroconf_browse_resolved" "$(since "$t0")"
grep -q " id=$id_a 198.18.0.1:7469\$" "$pn_tmp/zc-browse.out" || fail "a as zeroconf saw it: $(cat "$pn_tmp/zc-browse.out")"
grep -q " id=$id_b 198.18.0.2:7469\$" "$pn_tmp/zc-browse.out" || fail "b as zeroconf saw it: $(cat "$pn_tmp/zc-browse.out")"

# --- peernetd sees zeroconf: c's peernetd, registered by zeroconf.
ctl a call c echo '"ping"' --timeout 2 >/dev/null 2>&1 && fail "a reached c before c was announced"
t0=$(now)
in_ns c "$py" "$here/zeroconf_peer.py" register --id "$id_c" --port 7469 --addr 198.18.0.3 --name zc-c \
  >"$pn_tmp/zc-register.out" 2>"$pn_tmp/zc-register.err" </dev/null &
pn_pids+=("$!")
wait_call a c 30 "$t0"
measured "zeroconf_registered_to_call" "$elapsed"
# a dialled c at the registered address (c cannot dial a: it has no address
# for a and no discovery).
dialled_at a c 198.18.0.3:7469
echo "ok"
