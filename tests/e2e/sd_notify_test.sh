#!/usr/bin/env bash
# A real peernetd under a stand-in for systemd's notify socket: STATUS= and
# READY=1 at startup, WATCHDOG=1 only when WATCHDOG_USEC is set,
# RELOADING=1 (with MONOTONIC_USEC) then READY=1 around SIGHUP, STOPPING=1
# on SIGTERM and nothing after it.
#
#   sd_notify_test.sh PATH/TO/peernetd
#
# Everything lives in one temporary directory (removed on exit); only
# processes this script starts are signalled, by PID. Every wait is bounded
# (tests/e2e/lib.sh).
set -euo pipefail

peernetd=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init notify
pid= rx=
cat >"$tmp/peernetd.toml" <<TOML
[network]
listen = ["127.0.0.1:0"]
[discovery]
mdns = false
TOML

# run NAME [VAR=VALUE...]: the receiver on $tmp/NAME.sock writing
# $tmp/NAME.log, then peernetd with NOTIFY_SOCKET and the extra variables.
run() {
  local name=$1
  shift
  /usr/bin/python3 "$here/notify_listen.py" "$tmp/$name.sock" "$tmp/$name.log" 60 >"$tmp/$name.rx" &
  rx=$!
  track "$rx"
  wait_for 10 "the notify socket of $name" grep -q bound "$tmp/$name.rx"
  env NOTIFY_SOCKET="$tmp/$name.sock" "$@" "$peernetd" --config "$tmp/peernetd.toml" \
    --state-dir "$tmp/state-$name" --socket "$tmp/run/$name.sock" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  track "$pid"
}
# datagrams NAME MESSAGE: how many datagrams equal MESSAGE.
datagrams() { grep -cxF "\"$2\"" "$tmp/$1.log" || true; }
# line_of NAME MESSAGE [NTH]: the line number of the NTH such datagram.
line_of() { grep -nxF "\"$2\"" "$tmp/$1.log" | sed -n "${3:-1}p" | cut -d: -f1; }
at_least() { [ "$(datagrams "$1" "$2")" -ge "$3" ]; }
# stop NAME: SIGTERM, exit status 0. Then a last datagram of our own,
# END: once it is logged, so is everything peernetd sent.
stop() {
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  pid=
  [ "$rc" -eq 0 ] || fail "peernetd ($1) exited with $rc after SIGTERM"
  /usr/bin/python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"END", sys.argv[1])' "$tmp/$1.sock"
  wait_for 10 "the receiver of $1 to log everything" at_least "$1" END 1
  kill -TERM "$rx" 2>/dev/null || true
  wait "$rx" 2>/dev/null || true
  rx=
}

# 1. With a watchdog of 200 ms: a ping every 100 ms.
run watched WATCHDOG_USEC=200000
wait_for 10 "READY=1" at_least watched READY=1 1
status=$(line_of watched "STATUS=no trusted peers yet")
[ -n "$status" ] || fail "no status line"
[ "$status" -lt "$(line_of watched READY=1)" ] || fail "the status came after READY=1"
wait_for 10 "two watchdog pings" at_least watched WATCHDOG=1 2

kill -HUP "$pid"
wait_for 10 "READY=1 after the reload" at_least watched READY=1 2
reloading=$(grep -n '^"RELOADING=1\\nMONOTONIC_USEC=[0-9]\+"$' "$tmp/watched.log" | head -n 1 | cut -d: -f1)
[ -n "$reloading" ] || fail "no RELOADING=1 with MONOTONIC_USEC"
[ "$reloading" -gt "$(line_of watched READY=1 1)" ] && [ "$reloading" -lt "$(line_of watched READY=1 2)" ] ||
  fail "RELOADING=1 is not between the two READY=1"
kill -0 "$pid" 2>/dev/null || fail "peernetd exited on SIGHUP"

stop watched
stopping=$(line_of watched STOPPING=1)
[ -n "$stopping" ] || fail "no STOPPING=1"
after=$(tail -n "+$stopping" "$tmp/watched.log" | tr '\n' ' ')
[ "$after" = '"STOPPING=1" "STATUS=stopping" "END" ' ] || fail "after STOPPING=1 came: $after"

# 2. Without WATCHDOG_USEC there is no ping at all.
run unwatched
wait_for 10 "READY=1" at_least unwatched READY=1 1
stop unwatched
[ "$(datagrams unwatched WATCHDOG=1)" -eq 0 ] || fail "watchdog pings without WATCHDOG_USEC"
[ "$(datagrams unwatched STOPPING=1)" -eq 1 ] || fail "no single STOPPING=1"

echo "ok"
