#!/usr/bin/env bash
# An untrusted host announcing itself is listed, never connected: c runs
# peernetd with mDNS like a and b, but nobody trusts c and c trusts nobody.
# a and b list c (peers --all: trusted false, no session), c's daemon sees
# no connection from either, and c's "echo" handle is never reached.
#
#    pn-<pid>-a  198.18.0.1 --+
#    pn-<pid>-b  198.18.0.2 --+ br0   a <-> b paired
#    pn-<pid>-c  198.18.0.3 --+       c: untrusted, announcing
#
#   untrusted_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init untrusted "$@"

hosts_up mdns a b
t0=$(now)
host_add c 198.18.0.3
daemon_config c "$(network_toml)" "$(discovery_toml mdns c)"
daemon_start c
echo_start c
id_c=$(id_of c)
wait_call a b 20
wait_call b a 20

# listed NAME: NAME's peers --all has c, untrusted and without a session.
listed() {
  ctl "$1" peers --all --json >"$pn_tmp/peers-all-$1.json" 2>/dev/null || return 1
  "$py" - "$pn_tmp/peers-all-$1.json" "$id_c" <<'PY'
import json, sys
peers = {p["id"]: p for p in json.load(open(sys.argv[1]))}
c = peers.get(sys.argv[2])
if c is None:
    sys.exit(1)
if c["trusted"] or c["session"] is not None or c["state"] == "online":
    sys.exit(f"c is listed as trusted or connected: {c}")
PY
}
wait_for 20 "a to list c" listed a
measured "listed" "$(since "$t0")"
wait_for 20 "b to list c" listed b
# The table says so too: c's row (its id's first group) is not trusted.
ctl a peers --all | grep -Eq "^[^ ]+ +${id_c:0:7} +no +" ||
  fail "a's peers --all table: $(ctl a peers --all)"
# peers without --all shows the trusted ones only.
ctl a peers --json | grep -qF "$id_c" && fail "a's peers (without --all) lists c"

# Calling c is refused before anything is dialled.
rc=0
ctl a call "$id_c" echo '"hello?"' --timeout 2 >/dev/null 2>"$pn_tmp/call-c.err" || rc=$?
[ "$rc" -eq 5 ] || [ "$rc" -eq 6 ] || fail "a's call to c: exit code $rc, expected 5 or 6 ($(cat "$pn_tmp/call-c.err"))"

# Give a and b time in which they would have dialled c (several announcements
# and reconnect periods), then look at c's side.
sleep 4
listed a || fail "a no longer lists c, or lists it as connected"
[ ! -e "$pn_tmp/c.reached" ] || fail "c's echo handle was reached"
grep -E 'accepted|handshake' "$pn_tmp/c.log" && fail "c's log shows a connection from a peer"
status=$(ctl c status --json)
for k in handshakes_ok handshakes_failed handshakes_pending; do
  [ "$(printf '%s' "$status" | json_field counters "$k")" = 0 ] || fail "c's $k: $status"
done
[ "$(printf '%s' "$status" | json_field sessions)" = 0 ] || fail "c has sessions: $status"
echo "ok"
