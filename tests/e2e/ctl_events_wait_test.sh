#!/usr/bin/env bash
# peernetctl events and wait against two real peernetd processes on
# loopback:
#
#   - wait returns once a starting daemon answers, and with --online once
#     the peer is up; without a daemon it gives up with exit code 4 and
#     names the socket; --online for a peer that never comes gives up too;
#   - events (human and --json, side by side) shows the peer going down
#     when the other daemon is killed with SIGKILL, and up again when it is
#     restarted; every --json line is one object with the documented keys;
#   - events --event filters, --count ends it, a bad event name is usage;
#   - a third daemon that trusts a, but a not it, dials a: events shows
#     peer.wants_to_pair for it, with the pair command to accept it.
#
#   ctl_events_wait_test.sh PATH/TO/peernetd PATH/TO/peernetctl
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init events

# Fixed ports: b comes back on its own after the restart.
read -r port_a port_b port_c < <(free_ports 3)
quick='[session]
reconnect_min = "100ms"
reconnect_max = "500ms"'
write_config a "$port_a" "$quick"
write_config b "$port_b" "$quick"
write_config c "$port_c" "$quick"

# wait: no daemon yet, a short timeout: exit 4, the socket named.
expect 4 wait-none ctl a wait --timeout 0.3
grep -q "did not answer on $tmp/run/a.sock within 0.3 s" "$tmp/wait-none.err" || fail "wait: no socket in the message"

# wait started before the daemon: it returns once the daemon answers.
"$peernetctl" --socket "$tmp/run/a.sock" wait --timeout 60 --json >"$tmp/wait-a.out" 2>"$tmp/wait-a.err" &
wait_pid=$!
track "$wait_pid"
start_daemon a
start_daemon b
rc=0
wait "$wait_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "wait for a: exit code $rc"
[ "$(field socket <"$tmp/wait-a.out")" = "$tmp/run/a.sock" ] || fail "wait --json: wrong socket"
expect 0 wait-b ctl b wait --timeout 60
id_a=$(ctl a id -q)
id_b=$(ctl b id -q)
[ "$(field id <"$tmp/wait-a.out")" = "$id_a" ] || fail "wait --json: wrong id"

# --online for a peer that is not trusted gives up, saying so.
expect 4 wait-nobody ctl a wait --online nobody --timeout 0.5
grep -q 'no trusted peer is named "nobody"' "$tmp/wait-nobody.err" || fail "wait --online: no reason given"

# Pair; wait --online by alias and by id prefix.
ctl b pair "$id_a" --name a >/dev/null
ctl a pair "$id_b" --name b --addr "127.0.0.1:$port_b" >/dev/null
expect 0 wait-online ctl a wait --online b --timeout 60
expect 0 wait-online-prefix ctl b wait --online "${id_a:0:7}" --timeout 60

# events, human and --json, on a.
start_events() {  # start_events NAME ARGS...
  local name=$1
  shift
  "$peernetctl" --socket "$tmp/run/a.sock" events "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
  track "$!"
  eval "pid_$name=$!"
  wait_for 15 "$name to subscribe" has "$name.err" "watching peer events"
}
start_events ev_human
start_events ev_json --json
start_events ev_up --event peer.up --count 1 --json

json_has() {  # json_has NAME EVENT: a --json line with that event for b
  /usr/bin/python3 - "$tmp/$1.out" "$2" "$id_b" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == sys.argv[2] and e["id"] == sys.argv[3]:
        sys.exit(0)
sys.exit(1)
PY
}

kill -KILL "$pid_b"
wait "$pid_b" 2>/dev/null || true
wait_for 30 "events --json to show b down" json_has ev_json peer.down
wait_for 30 "events to show b down" grep -Eq '^[0-9T:.-]+Z peer\.down +b \([0-9a-f-]+\): ' "$tmp/ev_human.out"
start_daemon b
wait_for 60 "events --json to show b up" json_has ev_json peer.up
wait_for 30 "events to show b up" grep -Eq '^[0-9T:.-]+Z peer\.up +b \([0-9a-f-]+\)$' "$tmp/ev_human.out"

# --event peer.up --count 1 printed exactly the up and ended by itself.
wait_for 15 "events --count 1 to end" eval "! alive $pid_ev_up"
rc=0
wait "$pid_ev_up" || rc=$?
[ "$rc" -eq 0 ] || fail "events --count 1: exit code $rc"
[ "$(wc -l <"$tmp/ev_up.out")" -eq 1 ] || fail "events --event peer.up printed more than one line"
[ "$(field event <"$tmp/ev_up.out")" = peer.up ] || fail "events --event peer.up printed another event"

# Every --json line: one object, the documented keys in order, ts in UTC.
/usr/bin/python3 - "$tmp/ev_json.out" "$id_b" <<'PY' || fail "events --json lines are not as documented"
import json, re, sys
keys = ["ts", "event", "id", "fingerprint", "name", "addrs", "reason", "message"]
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert list(e) == keys, list(e)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["ts"]), e["ts"]
    assert re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}", e["fingerprint"]), e["fingerprint"]
    if e["id"] == sys.argv[2]:
        assert e["name"] == "b", e
    if e["event"] == "peer.down":
        assert e["reason"] and e["message"], e
    n += 1
assert n >= 2, n
PY

# An untrusted daemon dials a: refused, and a's events say it wants to pair.
start_events ev_pair --event peer.wants_to_pair --count 1 --json
start_daemon c
wait_daemon c
id_c=$(ctl c id -q)
# c trusts a (as after `pair ID` there) and dials it; a does not trust c.
ctl c pair "$id_a" --name a --addr "127.0.0.1:$port_a" >/dev/null
wait_for 30 "events --count 1 to print c's request" eval "! alive $pid_ev_pair"
[ "$(field event <"$tmp/ev_pair.out")" = peer.wants_to_pair ] || fail "no peer.wants_to_pair: $(cat "$tmp/ev_pair.out")"
[ "$(field id <"$tmp/ev_pair.out")" = "$id_c" ] || fail "peer.wants_to_pair names another peer"
/usr/bin/python3 -c 'import json,sys; e=json.loads(sys.stdin.read()); sys.exit(0 if e["addrs"] == ["127.0.0.1:" + sys.argv[1]] else e)' \
  "$port_c" <"$tmp/ev_pair.out" || fail "peer.wants_to_pair: not c's listening address"
wait_for 15 "events to show c's request with the pair command" \
  grep -Eq "^[0-9T:.-]+Z peer\.wants_to_pair [^ ]+ \([0-9a-f-]+\) at 127\.0\.0\.1:$port_c: not trusted, refused; to pair: peernetctl pair ${id_c:0:7}\$" "$tmp/ev_human.out"
stop_daemon c

# A bad event name is a usage error, before connecting.
expect 2 ev-bad ctl a events --event peer.sideways
grep -q 'unknown event "peer.sideways"' "$tmp/ev-bad.err" || fail "events: bad name not explained"

# The daemon going away ends events with exit code 8.
stop_daemon a
wait_for 15 "events to end with a" eval "! alive $pid_ev_json"
rc=0
wait "$pid_ev_json" || rc=$?
[ "$rc" -eq 8 ] || fail "events after the daemon stopped: exit code $rc, expected 8"

echo "ok"
