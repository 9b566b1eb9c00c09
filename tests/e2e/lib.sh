# shellcheck shell=bash
# Helpers shared by the end-to-end scripts, sourced after `set -euo pipefail`:
#
#   here=$(dirname "$(realpath "$0")")
#   . "$here/lib.sh"
#   e2e_init NAME          # $tmp, the cleanup trap, a private HOME and XDG dirs
#
# Rules they keep: everything lives in $tmp (removed on exit); only
# processes started through track/start_daemon/start_bg are signalled, by
# PID; every wait has a deadline.

# e2e_init NAME: create $tmp (/tmp/peernet-e2e-NAME.XXXXXX), install the
# cleanup trap and point HOME and the XDG variables into $tmp, so that no
# daemon or client touches the invoking user's directories.
e2e_init() {
  tmp=$(mktemp -d "/tmp/peernet-e2e-$1.XXXXXX")
  e2e_pids=()
  trap e2e_cleanup EXIT
  export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_STATE_HOME="$tmp/home/.local/state" \
    XDG_RUNTIME_DIR="$tmp/run"
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
}

# track PID: kill PID (SIGKILL) at exit if it still runs.
track() { e2e_pids+=("$1"); }

# The trap: a script may define e2e_before_cleanup (closing descriptors, ...).
e2e_cleanup() {
  if declare -F e2e_before_cleanup >/dev/null; then e2e_before_cleanup || true; fi
  local p
  for p in "${e2e_pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  [ -n "${E2E_KEEP:-}" ] || rm -rf "$tmp"
}

# fail MESSAGE: say why, show the tail of every output file, exit 1.
fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$tmp"/*.out "$tmp"/*.err "$tmp"/*.log; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 60 "$f" >&2; }
  done
  exit 1
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.1 s until it
# succeeds; fail after SECONDS.
wait_for() {
  local limit=$(( $1 * 10 )) what=$2
  shift 2
  for _ in $(seq "$limit"); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  fail "timed out after $((limit / 10)) s waiting for: $what"
}

alive() { kill -0 "$1" 2>/dev/null; }

# free_ports N: N free loopback TCP ports, picked by the kernel, on one line.
# (Fixed ports, where a restarted daemon must come back on the same one or
# a peer must be told the address before the daemon runs.)
free_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
}

# The log tag of a peer id: peer(ABCD…WXYZ); with an alias, as the daemon
# names a trusted peer that has one: peer(ABCD…WXYZ) "ALIAS".
tag_of() {
  local c=${1//-/}
  printf 'peer(%s…%s)' "${c:0:4}" "${c: -4}"
  if [ -n "${2:-}" ]; then printf ' "%s"' "$2"; fi
}

# count FILE TEXT: how many lines of $tmp/FILE contain TEXT.
count() { grep -cF -- "$2" "$tmp/$1" 2>/dev/null || true; }
has() { grep -qF -- "$2" "$tmp/$1" 2>/dev/null; }

# ---------------------------------------------------------------------------
# Daemons. Daemon NAME has its config in $tmp/NAME.toml, its state in
# $tmp/state-NAME, its control socket at $tmp/run/NAME.sock; its stdout
# (peer id, control socket) is appended to $tmp/NAME.out, its log to
# $tmp/NAME.err. Needs $peernetd; the ctl helpers need $peernetctl.

# write_config NAME PORT [TOML]: a config listening on 127.0.0.1:PORT at log
# level info, with TOML appended (more sections). mDNS is off: these tests
# run in the host's network namespace, where announcing is not theirs to do.
write_config() {
  cat >"$tmp/$1.toml" <<TOML
[discovery]
mdns = false
[daemon]
log_level = "info"
[network]
listen = ["127.0.0.1:$2"]
${3:-}
TOML
}

# start_daemon NAME [PEERNETD-ARGS...]: start peernetd NAME in the
# background (a config on port 0 if there is none yet); sets pid_NAME.
start_daemon() {
  local name=$1
  shift
  [ -f "$tmp/$name.toml" ] || write_config "$name" 0
  "$peernetd" --config "$tmp/$name.toml" --state-dir "$tmp/state-$name" --socket "$tmp/run/$name.sock" \
    "$@" >>"$tmp/$name.out" 2>>"$tmp/$name.err" </dev/null &
  track "$!"
  eval "pid_$name=$!"
}

# wait_daemon NAME: until NAME's control socket is up (the line that says
# so comes after the socket is bound; a restarted daemon appends another).
wait_daemon() {
  local name=$1 before
  before=${2:-0}
  wait_for 15 "the control socket of $name" eval "[ \"\$(count $name.out 'control socket: ')\" -gt $before ]"
}

# stop_daemon NAME [SIGNAL]: SIGNAL (TERM), then NAME must exit 0 within 15 s.
stop_daemon() {
  local p rc=0
  eval "p=\$pid_$1"
  kill "-${2:-TERM}" "$p"
  wait_for 15 "$1 to exit after SIG${2:-TERM}" eval "! alive $p"
  wait "$p" || rc=$?
  eval "pid_$1="
  [ "$rc" -eq 0 ] || fail "peernetd $1 exited with $rc after SIG${2:-TERM}"
}

# id_of NAME: the peer id NAME printed at startup.
id_of() { sed -n 's/^peer id: //p' "$tmp/$1.out" 2>/dev/null | head -n 1; }

# ctl NAME ARGS...: peernetctl on daemon NAME's socket.
ctl() {
  local name=$1
  shift
  "$peernetctl" --socket "$tmp/run/$name.sock" "$@"
}

# pair A B PORT_B: B trusts A under the alias A, then A trusts B under the
# alias B at 127.0.0.1:PORT_B; both see each other online. In this order,
# A's first dial finds B trusting it already (a dial before that would be
# refused, and logged as a session up and down). B learns A's port from
# the handshake.
pair() {
  ctl "$2" pair "$(id_of "$1")" --name "$1" >/dev/null
  ctl "$1" pair "$(id_of "$2")" --name "$2" --addr "127.0.0.1:$3" >/dev/null
  wait_for 15 "$1 to see $2 online" peer_online "$1" "$2"
  wait_for 15 "$2 to see $1 online" peer_online "$2" "$1"
}

# peer_online NAME PEER: daemon NAME has PEER online.
peer_online() { [ "$(peer_field "$1" "$2" state 2>/dev/null)" = online ]; }

# peer_field NAME PEER KEY: KEY of PEER in NAME's `peers --json`.
peer_field() {
  ctl "$1" peers --json | /usr/bin/python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == sys.argv[1] or p["id"] == sys.argv[1]:
        v = p[sys.argv[2]]
        print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
        break
else:
    sys.exit(1)' "$2" "$3"
}

# field KEY... < JSON: the value at that path (strings bare, the rest as JSON).
field() {
  /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$@"
}

# expect RC NAME COMMAND...: run COMMAND with stdout and stderr in
# $tmp/NAME.out and NAME.err (stdin empty), and check its exit code.
expect() {
  local want=$1 name=$2 rc=0
  shift 2
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null || rc=$?
  [ "$rc" -eq "$want" ] || fail "$name: exit code $rc, expected $want ($(head -c 300 "$tmp/$name.err"))"
}
