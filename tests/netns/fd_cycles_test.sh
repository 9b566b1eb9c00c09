#!/usr/bin/env bash
# 500 connect / handshake / close cycles against one peernetd: afterwards
# its open file descriptors are back to where they were (± 2).
#
#    pn-<pid>-a  198.18.0.1 --+   cycles.py: the independent Python peer
#                             br0  (tests/interop) with a's identity
#    pn-<pid>-b  198.18.0.2 --+   peernetd, trusting a (no address for it)
#
# a's peernetd runs only to make a's identity and be paired; then it stops
# and the Python peer dials b with a's key, COUNT times: handshake, one
# ping round trip (the session is up on both sides), close.
#
#   fd_cycles_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init fd_cycles "$@"
"$py" -c 'import msgpack, dissononce' 2>/dev/null || skip "python3-msgpack or python3-dissononce is not installed"
cycles=$(dirname "$(realpath "$0")")/cycles.py
COUNT=500 SLACK=2

# 500 handshakes from one address in a few seconds is what the per-address
# handshake rate (network.handshake_rate, 20/s by default) exists to refuse:
# b lifts it, so that every cycle reaches the code under test.
lifted=$'handshake_rate = 100000\nhandshake_burst = 1000'
for h in a b; do
  host_add "$h" "198.18.0.$([ "$h" = a ] && echo 1 || echo 2)"
  daemon_config "$h" "$([ "$h" = b ] && echo "$lifted")" "$(discovery_toml static "$h")"
  daemon_start "$h"
done
pair b a
daemon_kill a TERM

fds() { find "/proc/$pid_b/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
base=$(fds)
t0=$(now)
summary=$(timeout 120 ip netns exec "$PN_PREFIX-a" "$py" "$cycles" "$pn_tmp/state-a/identity.key" \
  "$pn_tmp/state-b/identity.key" 198.18.0.2 7469 "$COUNT" 2>"$pn_tmp/cycles.err") ||
  fail "the cycles did not finish: $(tail -n 5 "$pn_tmp/cycles.err")"
measured "cycles" "$(since "$t0")"
echo "cycles: $summary"
[ "$(json_field ok <<<"$summary")" -eq "$COUNT" ] || fail "not every cycle completed: $summary"
kill -0 "$pid_b" || fail "b's peernetd died"

wait_for 10 "b to see a gone" not_online b a
settled() { local n; n=$(fds); [ "$n" -le $((base + SLACK)) ] && [ "$n" -ge $((base - SLACK)) ]; }
wait_for 20 "b's descriptors back to $base ± $SLACK" settled
echo "measured: fd_cycles fds base $base after $(fds)"
echo "ok"
