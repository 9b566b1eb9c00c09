#!/usr/bin/env bash
# SIGTERM is a graceful stop, seen from both ends. Two real daemons, a and
# b, paired on loopback; b serves a handle whose command does not answer
# until the test lets it. With a call from a's peernetctl in flight:
#
#   - SIGTERM to a: a exits 0 and removes its control socket;
#   - the waiting caller gets an explicit error (cancelled), not a hang;
#   - b is told: the session closes with reason "shutdown" (b logs
#     "peer(…) down: shutdown" and shows a offline), without waiting for
#     the dead-peer bound (session.dead_after is left at 45 s).
#
#   sigterm_test.sh PATH/TO/peernetd PATH/TO/peernetctl
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init sigterm

read -r port_b < <(free_ports 1)
write_config a 0
write_config b "$port_b"
start_daemon a
start_daemon b
wait_daemon a
wait_daemon b
pair a b "$port_b"
tag_a=$(tag_of "$(id_of a)" a)
tag_b=$(tag_of "$(id_of b)" b)

# b's handle "slow": says it started, then waits (bounded) for the test to
# let it go, or to end (its directory is gone).
"$peernetctl" --socket "$tmp/run/b.sock" listen slow \
  --exec "touch '$tmp/started'; for i in \$(seq 600); do [ -e '$tmp/started' ] && [ ! -e '$tmp/release' ] || break; sleep 0.1; done" \
  >"$tmp/listen.out" 2>"$tmp/listen.err" </dev/null &
pid_listen=$!
track "$pid_listen"
wait_for 15 "b's listener" has listen.err "listening on"

"$peernetctl" --socket "$tmp/run/a.sock" call b slow '{"n": 1}' --timeout 120 \
  >"$tmp/call.out" 2>"$tmp/call.err" </dev/null &
pid_call=$!
track "$pid_call"
wait_for 15 "the call to reach b's handler" test -e "$tmp/started"

# The stop.
stop_daemon a TERM
[ ! -e "$tmp/run/a.sock" ] || fail "a left its control socket behind"
has a.err "received SIGTERM, shutting down" || fail "a did not log the signal"

# The caller was answered, not left hanging (its own timeout is 120 s).
wait_for 15 "the caller to finish" eval "! alive $pid_call"
rc=0
wait "$pid_call" || rc=$?
[ "$rc" -eq 1 ] || fail "the call in flight: exit code $rc, expected 1 ($(cat "$tmp/call.err"))"
has call.err "(cancelled)" || fail "the call in flight did not end cancelled: $(cat "$tmp/call.err")"

# b heard the goodbye.
wait_for 15 "b to log a's shutdown" has b.err "$tag_a down: shutdown"
[ "$(peer_field b a state)" != online ] || fail "b still shows a online"
[ "$(count a.err "$tag_b down: shutdown")" -eq 1 ] || fail "a did not log closing b's session as shutdown"

# b stops cleanly too, once its handler is let go.
touch "$tmp/release"
stop_daemon b TERM
[ ! -e "$tmp/run/b.sock" ] || fail "b left its control socket behind"
wait_for 15 "b's listener to end with b" eval "! alive $pid_listen"

echo "ok"
