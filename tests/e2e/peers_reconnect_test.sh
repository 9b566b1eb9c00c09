#!/usr/bin/env bash
# Two real peernetd processes, each with its own port and state directory,
# trust each other through their trust.toml files (picked up on SIGHUP),
# connect, stay connected across several ping intervals, and reconnect by
# themselves after one of them is killed (SIGKILL) and started again. A
# second daemon on a state directory in use is refused.
#
#   peers_reconnect_test.sh PATH/TO/peernetd
#
# Everything lives in one temporary directory (removed on exit); only
# processes this script starts are signalled, by PID. Every wait is bounded
# (tests/e2e/lib.sh).
set -euo pipefail

peernetd=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init peers

# Two free loopback ports (they must stay fixed across the restart, so
# port 0 in the config will not do).
read -r port_a port_b < <(free_ports 2)

# Short intervals so that the test is quick.
intervals='handshake_timeout = "2s"
[session]
ping_interval = "200ms"
dead_after = "1s"
reconnect_min = "100ms"
reconnect_max = "500ms"'
write_config a "$port_a" "$intervals"
write_config b "$port_b" "$intervals"

# start NAME: peernetd NAME in the background (lib.sh); output is
# appended, so a restarted daemon's lines follow the first run's.
start() { start_daemon "$1"; }

has_id() { grep -q '^peer id: ' "$tmp/$1.out" 2>/dev/null; }
ups() { count "$1.err" "$2 up:"; }
downs() { count "$1.err" "$2 down:"; }

start a
start b
wait_for 10 "peer id of a" has_id a
wait_for 10 "peer id of b" has_id b
alive "$pid_a" || fail "a exited"
alive "$pid_b" || fail "b exited"
id_a=$(id_of a)
id_b=$(id_of b)
tag_a=$(tag_of "$id_a")
tag_b=$(tag_of "$id_b")

# A second daemon on a's state directory is refused.
rc=0
"$peernetd" --config "$tmp/a.toml" --state-dir "$tmp/state-a" --listen 127.0.0.1:0 \
  >"$tmp/dup.out" 2>"$tmp/dup.err" || rc=$?
[ "$rc" -eq 1 ] || fail "second daemon on a's state dir: exit code $rc, expected 1"
grep -q 'another peernetd is using the state directory' "$tmp/dup.err" || fail "no state-dir lock message"

# Each trusts the other, by id and address, in its trust.toml.
trust() {  # trust NAME PEER_ID PORT
  umask 077
  cat >"$tmp/state-$1/trust.toml" <<TOML
[[peer]]
id = "$2"
addrs = ["127.0.0.1:$3"]
TOML
}
trust a "$id_b" "$port_b"
trust b "$id_a" "$port_a"
kill -HUP "$pid_a" "$pid_b"

connected() { [ "$(ups a "$tag_b")" -ge "$1" ] && [ "$(ups b "$tag_a")" -ge "$1" ]; }
wait_for 15 "a and b connected" connected 1
grep -q 'reloaded: 1 trusted peer(s), 1 added' "$tmp/a.err" || fail "a did not log its reload"

# They stay connected: ten ping intervals, two dead-peer bounds, no down.
sleep 2
[ "$(downs a "$tag_b")" -eq 0 ] || fail "a lost b while both ran"
[ "$(downs b "$tag_a")" -eq 0 ] || fail "b lost a while both ran"
alive "$pid_a" && alive "$pid_b" || fail "a daemon exited"

# Kill b outright; a notices and keeps redialling.
kill -KILL "$pid_b"
wait "$pid_b" 2>/dev/null || true
pid_b=
# (a function, so that each poll counts the log lines anew)
saw_b_down() { [ "$(downs a "$tag_b")" -ge 1 ]; }
wait_for 10 "a to see b down" saw_b_down

# b comes back on the same port and state: they find each other again.
start b
wait_for 15 "a and b reconnected" connected 2
[ "$(id_of b)" = "$id_b" ] || fail "b changed its identity across the restart"

# Both stop cleanly.
for name in a b; do
  eval "p=\$pid_$name"
  kill -TERM "$p"
  rc=0
  wait "$p" || rc=$?
  eval "pid_$name="
  [ "$rc" -eq 0 ] || fail "$name exited with $rc after SIGTERM"
done
grep -q "$tag_b down: shutdown" "$tmp/a.err" || grep -q "$tag_a down: shutdown" "$tmp/b.err" ||
  fail "neither side saw the other's graceful shutdown"

echo "ok"
