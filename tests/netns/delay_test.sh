#!/usr/bin/env bash
# 200 ms of round trip: a reaches b only through a TCP relay that holds
# every chunk 100 ms in each direction. The handshake completes, calls
# work both ways, and a's `peers --json` shows an rtt_ms of about 200.
#
#    pn-<pid>-a  198.18.0.1 --+
#    pn-<pid>-r  198.18.0.3 --+-- br0   relay.py :7469 -> 198.18.0.2:7469,
#    pn-<pid>-b  198.18.0.2 --+         +100 ms per chunk each way
#
# a knows b only at the relay's address; b knows no address of a (and there
# is no discovery), so the one session is the one a dials through the relay.
#
#   delay_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init delay "$@"
relay=$(dirname "$(realpath "$0")")/relay.py
DELAY_MS=100

for h in a b; do
  host_add "$h" "198.18.0.$([ "$h" = a ] && echo 1 || echo 2)"
  daemon_config "$h" "" "$(discovery_toml static "$h")"
  daemon_start "$h"
done
host_add r 198.18.0.3
in_ns r "$py" "$relay" 0.0.0.0 7469 198.18.0.2 7469 "$DELAY_MS" \
  >"$pn_tmp/relay.out" 2>"$pn_tmp/relay.err" </dev/null &
pn_pids+=("$!")
wait_for 10 "the relay" grep -q ready "$pn_tmp/relay.out"

t0=$(now)
pair b a
pair a b 198.18.0.3
echo_start a
echo_start b
wait_call a b 20 "$t0"
measured "pair_to_call" "$elapsed"
wait_call b a 20
dialled_at a b 198.18.0.3:7469

rtt() {
  ctl a peers --json | "$py" -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == "b" and p.get("rtt_ms") is not None:
        print(p["rtt_ms"])'
}
has_rtt() { [ -n "$(rtt)" ]; }
wait_for 15 "a to measure a round trip to b" has_rtt
got=$(rtt)
echo "measured: delay rtt_ms $got"
awk -v r="$got" -v d="$DELAY_MS" 'BEGIN { exit !(r >= 2 * d * 0.95) }' ||
  fail "rtt_ms $got through a relay that adds $((2 * DELAY_MS)) ms"
echo "ok"
