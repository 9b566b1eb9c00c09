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
# processes this script starts are signalled, by PID. Every wait is bounded.
set -euo pipefail

peernetd=$(realpath "$1")
tmp=$(mktemp -d /tmp/peernet-e2e-peers.XXXXXX)
pid_a= pid_b=
cleanup() {
  for p in $pid_a $pid_b; do
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.out "$tmp"/*.err; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  exit 1
}

export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_STATE_HOME="$tmp/home/.local/state" \
  XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"

# Two free loopback ports (the kernel picks them; they must stay fixed
# across the restart, so port 0 in the config will not do).
read -r port_a port_b < <(/usr/bin/python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)

# config NAME PORT: short intervals so that the test is quick.
config() {
  cat >"$tmp/$1.toml" <<TOML
[daemon]
log_level = "info"
[network]
listen = ["127.0.0.1:$2"]
handshake_timeout = "2s"
[discovery]
mdns = false
[session]
ping_interval = "200ms"
dead_after = "1s"
reconnect_min = "100ms"
reconnect_max = "500ms"
TOML
}
config a "$port_a"
config b "$port_b"

# start NAME: run peernetd NAME in the background; sets pid_NAME. Output
# is appended, so a restarted daemon's lines follow the first run's.
start() {
  "$peernetd" --config "$tmp/$1.toml" --state-dir "$tmp/state-$1" --socket "$tmp/run/$1.sock" \
    >>"$tmp/$1.out" 2>>"$tmp/$1.err" &
  eval "pid_$1=$!"
}

# wait_for TIMEOUT_S DESCRIPTION COMMAND...: poll every 0.1 s.
wait_for() {
  local limit=$(( $1 * 10 )) what=$2
  shift 2
  for _ in $(seq "$limit"); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  fail "timed out after ${limit}00 ms waiting for: $what"
}

alive() { kill -0 "$1" 2>/dev/null; }
has_id() { grep -q '^peer id: ' "$tmp/$1.out" 2>/dev/null; }
id_of() { sed -n 's/^peer id: //p' "$tmp/$1.out" | head -n 1; }
# The log tag of a peer id: peer(ABCD…WXYZ).
tag_of() { local c=${1//-/}; printf 'peer(%s…%s)' "${c:0:4}" "${c: -4}"; }
count() { grep -cF -- "$2" "$tmp/$1.err" || true; }
ups() { count "$1" "$2 up:"; }
downs() { count "$1" "$2 down:"; }

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
