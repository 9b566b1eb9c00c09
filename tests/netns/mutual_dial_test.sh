#!/usr/bin/env bash
# Simultaneous mutual dials: a and b `connect` each other at the same
# moment, again and again. Each round must end with exactly one session:
# each side reports the other up exactly once (the tie-break of
# guides/protocol.md §7 closes the duplicate connection without a peer.down
# or a second peer.up), and both see the other online.
#
#    pn-<pid>-a  198.18.0.1 --+
#                             br0
#    pn-<pid>-b  198.18.0.2 --+
#
# They trust each other without addresses and have no discovery, so only
# `connect` brings them together. A round ends with each untrusting the
# other (which closes the session: one peer.down on each side, and nobody
# redials) and trusting it again, still without addresses.
# Up to ROUNDS rounds, within a time bound; at least MIN_ROUNDS must run.
#
#   mutual_dial_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init mutual_dial "$@"
"$py" -c 'import msgpack' 2>/dev/null || skip "python3-msgpack is not installed"
load=$(dirname "$(realpath "$0")")/load_client.py
ROUNDS=100 MIN_ROUNDS=20 SECONDS_BOUND=45

for h in a b; do
  host_add "$h" "198.18.0.$([ "$h" = a ] && echo 1 || echo 2)"
  daemon_config "$h" "" "$(discovery_toml static "$h")"
  daemon_start "$h"
done
pair a b
pair b a
for h in a b; do
  "$py" "$load" events "$pn_tmp/$h.sock" "$pn_tmp/events-$h" \
    >"$pn_tmp/events-$h.out" 2>"$pn_tmp/events-$h.err" </dev/null &
  pn_pids+=("$!")
  wait_for 10 "$h's event listener" grep -q ready "$pn_tmp/events-$h.out"
done

# count NAME EVENT FROM: EVENT lines in NAME's log after line FROM.
count() { tail -n "+$(($3 + 1))" "$pn_tmp/events-$1" 2>/dev/null | grep -c "^$2 " || true; }
lines() { wc -l <"$pn_tmp/events-$1" 2>/dev/null || echo 0; }
both_up() { [ "$(count a peer.up "$from_a")" -ge 1 ] && [ "$(count b peer.up "$from_b")" -ge 1 ]; }
both_down() { [ "$(count a peer.down "$from_a")" -ge 1 ] && [ "$(count b peer.down "$from_b")" -ge 1 ]; }

t0=$(now)
round=0 connect_failures=0
while [ "$round" -lt "$ROUNDS" ] &&
  awk -v a="$t0" -v b="$EPOCHREALTIME" -v s="$SECONDS_BOUND" 'BEGIN { exit !(b - a < s) }'; do
  round=$((round + 1))
  from_a=$(lines a) from_b=$(lines b)
  ctl a connect 198.18.0.2:7469 >"$pn_tmp/connect-a" 2>&1 &
  ca=$!
  ctl b connect 198.18.0.1:7469 >"$pn_tmp/connect-b" 2>&1 &
  cb=$!
  pn_pids+=("$ca" "$cb")
  wait "$ca" || connect_failures=$((connect_failures + 1))
  wait "$cb" || connect_failures=$((connect_failures + 1))
  wait_for 30 "round $round: a peer.up on each side" both_up
  ctl a untrust b >/dev/null || fail "round $round: a could not untrust b"
  ctl b untrust a >/dev/null || fail "round $round: b could not untrust a"
  wait_for 30 "round $round: a peer.down on each side" both_down
  pair a b
  pair b a
  ups_a=$(count a peer.up "$from_a") ups_b=$(count b peer.up "$from_b")
  downs_a=$(count a peer.down "$from_a") downs_b=$(count b peer.down "$from_b")
  if [ "$ups_a" -ne 1 ] || [ "$ups_b" -ne 1 ] || [ "$downs_a" -ne 1 ] || [ "$downs_b" -ne 1 ]; then
    fail "round $round: a saw $ups_a up / $downs_a down, b saw $ups_b up / $downs_b down (want 1 / 1 each)"
  fi
done
measured "rounds" "$round"
measured "seconds" "$(since "$t0")"
echo "measured: mutual_dial connect_failures $connect_failures (a connect may lose the tie-break)"
# How often both connections really met (the tie-break closed one).
echo "measured: mutual_dial duplicates_closed $(cat "$pn_tmp/a.log" "$pn_tmp/b.log" | grep -c 'as duplicate' || true)"
[ "$round" -ge "$MIN_ROUNDS" ] || fail "only $round rounds in $SECONDS_BOUND s"
echo "ok"
