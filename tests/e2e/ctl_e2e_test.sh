#!/usr/bin/env bash
# peernetctl and the Python client against two real peernetd processes on
# loopback, each with its own config, state directory, port and socket:
#
#   - pairing both ways (pair, and its alias trust), id/list/peers/status;
#   - call and send from peernetctl; listen printing JSON lines, and
#     listen --exec with shell commands as handlers (a reply from stdout, a
#     failing command, a command past its timeout);
#   - call from the Python package (examples/python/call_example.py) and
#     serve from it (echo_service.py), which can expose "echo" only because
#     the peernetctl that held it went away: a disconnect releases handles;
#   - chat in both directions; a chat that ends says so, and lines typed
#     to it afterwards are reported not sent;
#   - bytes that are not msgpack on one control connection close only that
#     connection;
#   - a non-admin user (nobody, via setpriv) cannot pair (exit 5) but can
#     list and send, and cannot open a socket its mode keeps it out of;
#   - with the peer stopped: send and chat report the drop (exit code 3),
#     call fails with 3; untrust; no daemon at all is exit code 8;
#   - every --json output (and every listen/chat line) parses as JSON.
#
# The Quick start in README.md runs the same peernetctl and Python commands.
#
#   ctl_e2e_test.sh PATH/TO/peernetd PATH/TO/peernetctl PATH/TO/examples/python
#
# The examples import the peernet package (clients/python) through
# $PYTHONPATH, which tests/meson.build sets to the source tree's copy.
#
# Everything lives in one temporary directory (removed on exit); only
# processes this script starts are signalled, by PID. Every wait is bounded
# (tests/e2e/lib.sh).
# Without root (setpriv needs it) everything but the non-admin part runs,
# and the script then exits 77 so the run is not reported as complete.
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
examples=$(realpath "$3")
py=/usr/bin/python3
if ! "$py" -c 'import msgpack' 2>/dev/null; then
  echo "python3-msgpack is not installed; skipping"
  exit 77
fi

here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init ctl  # $tmp; wait_for, expect, field, has, fail, ...
# nobody must be able to reach b's socket directory inside (see below).
chmod 755 "$tmp"
e2e_before_cleanup() { exec 3>&- 2>/dev/null || true; }

# Every line of FILE is one JSON document.
json_lines_ok() {
  local n=0
  while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" | "$py" -m json.tool >/dev/null || fail "$1 line $n is not JSON: $line"
  done <"$1"
  [ "$n" -gt 0 ] || fail "$1 is empty"
}

# expect_json RC NAME COMMAND...: expect, and its stdout is JSON.
expect_json() {
  expect "$@"
  json_lines_ok "$tmp/$2.out"
}

# start_bg NAME COMMAND...: run COMMAND in the background, output in
# NAME.out/.err. The a and b shorthands are expanded here, so that the PID
# is peernetctl's own and not a subshell's.
start_bg() {
  local name=$1
  shift
  case $1 in
    a) set -- "$peernetctl" --socket "$sock_a" "${@:2}" ;;
    b) set -- "$peernetctl" --socket "$sock_b" "${@:2}" ;;
  esac
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null 3>&- &
  track "$!"
  eval "pid_$name=$!"
}
# stop_bg NAME: SIGTERM and reap.
stop_bg() {
  local p
  eval "p=\$pid_$1"
  kill -TERM "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
# exits_with NAME RC: wait (bounded) for a background command to end with RC.
exits_with() {
  local p rc=0
  eval "p=\$pid_$1"
  wait_for 10 "$1 to finish" eval "! alive $p"
  wait "$p" || rc=$?
  [ "$rc" -eq "$2" ] || fail "$1: exit code $rc, expected $2 ($(head -c 300 "$tmp/$1.err"))"
}
listening() { has "$1.err" "listening on"; }

# ---------------------------------------------------------------------------
# Two daemons. The kernel picks two free loopback ports.
read -r port_a port_b < <(free_ports 2)
printf '[network]\nlisten = ["127.0.0.1:%s"]\n[discovery]\nmdns = false\n' "$port_a" >"$tmp/a.toml"
printf '[network]\nlisten = ["127.0.0.1:%s"]\n[discovery]\nmdns = false\n' "$port_b" >"$tmp/b.toml"
# b's socket must be reachable by nobody for the non-admin checks: it lives
# in a directory anyone may traverse (0755, not the daemon's private runtime
# directory, which peernetd keeps 0700), and the socket itself is 0666. The
# daemon still tells admins from others by SO_PEERCRED, which is the point.
# a keeps the default: a private directory and a 0660 socket.
printf '[control]\nsocket_mode = "0666"\n' >>"$tmp/b.toml"
mkdir -m 700 "$tmp/run-a"
mkdir -m 755 "$tmp/pub"
sock_a=$tmp/run-a/a.sock
sock_b=$tmp/pub/b.sock

start_peernetd() {  # start_peernetd NAME SOCKET
  "$peernetd" --config "$tmp/$1.toml" --state-dir "$tmp/state-$1" --socket "$2" \
    >"$tmp/$1.log" 2>"$tmp/$1-daemon.log" </dev/null 3>&- &
  track "$!"
  eval "pid_d$1=$!"
}
start_peernetd a "$sock_a"
start_peernetd b "$sock_b"
wait_for 10 "a's control socket" grep -q '^control socket: ' "$tmp/a.log"
wait_for 10 "b's control socket" grep -q '^control socket: ' "$tmp/b.log"

# The README's two shorthands.
a() { "$peernetctl" --socket "$sock_a" "$@"; }
b() { "$peernetctl" --socket "$sock_b" "$@"; }

# ---------------------------------------------------------------------------
# Identity and pairing.
expect_json 0 id_a a id --json
expect_json 0 id_b b id --json
id_a=$(field id <"$tmp/id_a.out")
id_b=$(field id <"$tmp/id_b.out")
expect 0 id_a_quiet a id -q
[ "$(cat "$tmp/id_a_quiet.out")" = "$id_a" ] || fail "id -q printed $(cat "$tmp/id_a_quiet.out")"
expect 0 id_b_human b id
has id_b_human.out "peer id:      $id_b" || fail "id output: $(cat "$tmp/id_b_human.out")"

expect 0 pair_a a pair "$(b id -q)" --name bee --addr "127.0.0.1:$port_b"
expect 0 pair_b b pair "$(a id -q)" --name ay --addr "127.0.0.1:$port_a"
# trust is pair's other name; without --name and --addr it keeps both.
expect_json 0 trust_b b trust "$id_a" --json
[ "$(field id <"$tmp/trust_b.out")" = "$id_a" ] || fail "trust --json: $(cat "$tmp/trust_b.out")"
expect_json 0 list_b b list --json
[ "$(field 0 name <"$tmp/list_b.out")" = ay ] || fail "trust dropped the alias: $(cat "$tmp/list_b.out")"

state_of() { "$1" peers --json | field 0 state; }
online() { [ "$(state_of "$1" 2>/dev/null)" = online ]; }
wait_for 15 "a to see bee online" online a
wait_for 15 "b to see ay online" online b

expect_json 0 list_a a list --json
[ "$(field 0 name <"$tmp/list_a.out")" = bee ] || fail "list: $(cat "$tmp/list_a.out")"
[ "$(field 0 addrs <"$tmp/list_a.out")" = "[\"127.0.0.1:$port_b\"]" ] || fail "list addrs"
expect 0 list_a_human a list
has list_a_human.out "$id_b" || fail "list table: $(cat "$tmp/list_a_human.out")"
expect_json 0 peers_a a peers --json
[ "$(field 0 id <"$tmp/peers_a.out")" = "$id_b" ] || fail "peers id"
[ "$(field 0 trusted <"$tmp/peers_a.out")" = true ] || fail "peers trusted"
expect 0 peers_a_human a peers
grep -Eq '^bee +[A-Z2-7]{7} +online' "$tmp/peers_a_human.out" || fail "peers table: $(cat "$tmp/peers_a_human.out")"
expect_json 0 peers_all a peers --all --json
expect_json 0 status_a a status --json
[ "$(field peers_online <"$tmp/status_a.out")" = 1 ] || fail "status: $(cat "$tmp/status_a.out")"
expect 0 status_a_human a status
has status_a_human.out "1 online of 1 trusted" || fail "status text"
expect_json 0 connect_a a connect "127.0.0.1:$port_b" --json
[ "$(field id <"$tmp/connect_a.out")" = "$id_b" ] || fail "connect: $(cat "$tmp/connect_a.out")"

# ---------------------------------------------------------------------------
# call and send, with listen as the handler on b.
start_bg listen_echo b listen echo --exec cat
wait_for 10 "listen echo" listening listen_echo
expect 0 call_echo a call bee echo '{"text": "hi"}'
[ "$(cat "$tmp/call_echo.out")" = '{"text":"hi"}' ] || fail "call echo: $(cat "$tmp/call_echo.out")"
expect_json 0 call_echo_json a call bee echo '[1, 2.5, "x", null, {"$bin": "AAE="}]' --json --timeout 5
[ "$(cat "$tmp/call_echo_json.out")" = '[1,2.5,"x",null,{"$bin":"AAE="}]' ] ||
  fail "call echo --json: $(cat "$tmp/call_echo_json.out")"
# The handle belongs to that listen: nobody else can take it meanwhile.
expect 1 echo_taken b listen echo
has echo_taken.err handle_taken || fail "second expose: $(cat "$tmp/echo_taken.err")"

# Python calls the same handle.
PEERNET_SOCKET=$sock_a "$py" "$examples/call_example.py" bee >"$tmp/py_call.out" 2>"$tmp/py_call.err" ||
  fail "call_example.py failed"
[ "$(cat "$tmp/py_call.out")" = '{"text": "hi"}' ] || fail "call_example.py: $(cat "$tmp/py_call.out")"

# Commands as handlers: stdout that is not JSON is a string; the caller's
# alias is in the environment; a failure is handler_failed with the exit
# code and stderr; a command past --exec-timeout is killed.
start_bg listen_greet b listen greet --exec 'echo "hello $PEERNET_PEER_NAME, you sent $(cat)"'
start_bg listen_fail b listen broken --exec 'echo boom >&2; exit 3'
start_bg listen_slow b listen slow --exec 'sleep 5' --exec-timeout 1
wait_for 10 "listen greet" listening listen_greet
wait_for 10 "listen broken" listening listen_fail
wait_for 10 "listen slow" listening listen_slow
expect 0 call_greet a call bee greet '[7]'
[ "$(cat "$tmp/call_greet.out")" = '"hello ay, you sent [7]"' ] || fail "greet: $(cat "$tmp/call_greet.out")"
expect_json 1 call_fail a call bee broken --json
[ "$(field error code <"$tmp/call_fail.out")" = handler_failed ] || fail "broken: $(cat "$tmp/call_fail.out")"
has call_fail.out "code 3: boom" || fail "broken message: $(cat "$tmp/call_fail.out")"
expect 4 call_timeout a call bee slow --timeout 0.3
expect 1 call_slow_killed a call bee slow --timeout 10
has call_slow_killed.err "timed out" || fail "exec timeout: $(cat "$tmp/call_slow_killed.err")"
expect 6 call_no_handle a call bee nothing
expect 6 call_no_peer a call nobody-here echo

# listen without --exec prints each message as a JSON line; calls get null.
start_bg listen_inbox b listen inbox --count 2
wait_for 10 "listen inbox" listening listen_inbox
expect 0 send_inbox a send bee inbox '{"n": 1}'
[ "$(cat "$tmp/send_inbox.out")" = sent ] || fail "send: $(cat "$tmp/send_inbox.out")"
expect 0 call_inbox a call bee inbox '"ping"'
[ "$(cat "$tmp/call_inbox.out")" = null ] || fail "listen's answer: $(cat "$tmp/call_inbox.out")"
exits_with listen_inbox 0
json_lines_ok "$tmp/listen_inbox.out"
[ "$(sed -n 1p "$tmp/listen_inbox.out")" = \
  "{\"kind\":\"send\",\"from\":\"$id_a\",\"from_name\":\"ay\",\"handle\":\"inbox\",\"args\":{\"n\":1}}" ] ||
  fail "listen line 1: $(sed -n 1p "$tmp/listen_inbox.out")"
[ "$(sed -n 2p "$tmp/listen_inbox.out" | field kind)" = call ] || fail "listen line 2"
[ "$(sed -n 2p "$tmp/listen_inbox.out" | field args)" = ping ] || fail "listen line 2 args"
expect_json 0 send_json a send bee inbox '"x"' --json
[ "$(cat "$tmp/send_json.out")" = '{"delivered":true}' ] || fail "send --json: $(cat "$tmp/send_json.out")"

# A disconnect releases the handle: once that listen is gone, the Python
# echo service can expose "echo" and serve it.
handles_b() { b status --json | field handles; }
before=$(handles_b)
stop_bg listen_echo
# The daemon notices the closed connection on its own time.
wait_for 10 "b to release echo" eval '[ "$(handles_b)" -lt "$before" ]'
start_bg echo_py env PEERNET_SOCKET="$sock_b" "$py" "$examples/echo_service.py"
wait_for 10 "echo_service.py" has echo_py.out 'serving "echo"'
expect 0 call_py a call bee echo '{"from": "peernetctl", "n": [1, 2]}'
[ "$(cat "$tmp/call_py.out")" = '{"from":"peernetctl","n":[1,2]}' ] || fail "python echo: $(cat "$tmp/call_py.out")"
expect 0 send_py a send bee echo '[1, 2]'
wait_for 10 "echo_service.py to print the send" has echo_py.out "ay: [1, 2]"

# ---------------------------------------------------------------------------
# Chat, both ways: a runs a chat fed from a FIFO; b sends it one line.
mkfifo "$tmp/chat.in"
exec 3<>"$tmp/chat.in"
"$peernetctl" --socket "$sock_a" chat bee --json <"$tmp/chat.in" >"$tmp/chat_a.out" 2>"$tmp/chat_a.err" 3>&- &
track "$!"
pid_chat_a=$!
wait_for 10 "chat on a" has chat_a.err "chatting with bee"
printf 'hello from b\n' | b chat ay >"$tmp/chat_b.out" 2>"$tmp/chat_b.err" || fail "chat on b failed"
wait_for 10 "a to print b's line" has chat_a.out "hello from b"
[ "$(grep '"kind":"message"' "$tmp/chat_a.out" | field from_name)" = bee ] ||
  fail "chat line: $(cat "$tmp/chat_a.out")"
# b's chat ended (end of its input) and said so; a line typed on a after
# that is not sent, and a says so rather than losing it.
wait_for 10 "a to see b leave" has chat_a.out '"kind":"left"'
has chat_a.out '"kind":"joined"' || fail "a did not see b join: $(cat "$tmp/chat_a.out")"
printf 'still there?\n' >&3
wait_for 10 "a to report the line not sent" has chat_a.out '"kind":"dropped","reason":"peer_left"'
has chat_a.out '"text":"still there?"' || fail "the unsent line is not named: $(cat "$tmp/chat_a.out")"
exec 3>&-  # end of a's input: its chat ends
exits_with chat_a 0
json_lines_ok "$tmp/chat_a.out"

# ---------------------------------------------------------------------------
# Garbage on one control connection: the daemon closes that connection and
# everyone else carries on (a listen on a, connected before, still works).
start_bg listen_after a listen after --count 1
wait_for 10 "listen after" listening listen_after
"$py" - "$sock_a" <<'PY' || fail "the daemon did not close a connection that sent garbage"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"\xc1\xc1\xc1 this is not msgpack\n")
while s.recv(4096):  # whatever it says first, it must then close
    pass
PY
expect_json 0 send_after b send ay after '"still here"' --json
exits_with listen_after 0
[ "$(field args <"$tmp/listen_after.out")" = "still here" ] || fail "after garbage: $(cat "$tmp/listen_after.out")"
expect_json 0 status_after a status --json

# ---------------------------------------------------------------------------
# A user who is not an admin. b's socket is 0666 in a 0755 directory, so
# nobody can connect; the daemon reads its uid and refuses trust changes.
root=yes
[ "$(id -u)" -eq 0 ] || root=no
if [ "$root" = yes ]; then
  install -D -m 755 "$peernetctl" "$tmp/bin/peernetctl"
  nb() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$tmp/bin/peernetctl" "$@"; }
  expect_json 5 nobody_pair nb --socket "$sock_b" pair "$id_a" --json
  [ "$(field error code <"$tmp/nobody_pair.out")" = forbidden ] || fail "nobody pair: $(cat "$tmp/nobody_pair.out")"
  # Said in the user's terms (pair, not trust.add), with how to become an admin.
  has nobody_pair.err "peernetctl: pair: refused: only an admin of this peernetd may pair" ||
    fail "nobody pair: $(cat "$tmp/nobody_pair.err")"
  has nobody_pair.err "control.admin_group" || fail "nobody pair: no way to admin rights given"
  ! has nobody_pair.err "trust.add" || fail "nobody pair names the internal method: $(cat "$tmp/nobody_pair.err")"
  expect 5 nobody_trust nb --socket "$sock_b" trust "$id_a"
  has nobody_trust.err "peernetctl: trust: refused:" || fail "nobody trust: $(cat "$tmp/nobody_trust.err")"
  expect 5 nobody_untrust nb --socket "$sock_b" untrust ay
  has nobody_untrust.err "untrust: refused: only an admin of this peernetd may untrust a peer" ||
    fail "nobody untrust: $(cat "$tmp/nobody_untrust.err")"
  expect_json 0 nobody_list nb --socket "$sock_b" list --json
  start_bg listen_nobody a listen from-nobody --count 1
  wait_for 10 "listen from-nobody" listening listen_nobody
  expect_json 0 nobody_send nb --socket "$sock_b" send ay from-nobody '"hi from nobody"' --json
  exits_with listen_nobody 0
  [ "$(field args <"$tmp/listen_nobody.out")" = "hi from nobody" ] || fail "nobody's send"
  # a's socket is 0660 in a 0700 directory: nobody cannot even open it.
  expect 5 nobody_sock_a nb --socket "$sock_a" status
  has nobody_sock_a.err "permission denied: $sock_a" || fail "EACCES: $(cat "$tmp/nobody_sock_a.err")"
  # Not the system service's socket: the peernet group is not the answer.
  ! has nobody_sock_a.err "peernet group" && ! has nobody_sock_a.err 'group "peernet"' ||
    fail "EACCES on a user-mode socket blames the group: $(cat "$tmp/nobody_sock_a.err")"
  has nobody_sock_a.err "another user's peernetd" || fail "EACCES: $(cat "$tmp/nobody_sock_a.err")"
fi

# ---------------------------------------------------------------------------
# The peer goes away: sends are dropped and say so, calls fail at once.
stop_bg echo_py
for l in listen_greet listen_fail listen_slow; do stop_bg "$l"; done
kill -TERM "$pid_db"
rc=0
wait "$pid_db" || rc=$?
[ "$rc" -eq 0 ] || fail "b exited with $rc after SIGTERM"
wait_for 15 "a to lose bee" eval '[ "$(state_of a)" != online ]'

expect_json 3 send_offline a send bee inbox '"anyone?"' --json
[ "$(field delivered <"$tmp/send_offline.out")" = false ] || fail "dropped send: $(cat "$tmp/send_offline.out")"
[ "$(field reason <"$tmp/send_offline.out")" = peer_offline ] || fail "drop reason"
expect 3 send_offline_human a send bee inbox '"anyone?"'
has send_offline_human.err "dropped, not sent" || fail "drop message: $(cat "$tmp/send_offline_human.err")"
expect 3 call_offline a call bee echo
printf 'anyone there?\n' | a chat bee --json >"$tmp/chat_offline.out" 2>"$tmp/chat_offline.err" ||
  fail "chat with an offline peer failed"
json_lines_ok "$tmp/chat_offline.out"
grep -q '"kind":"dropped","reason":"peer_offline"' "$tmp/chat_offline.out" ||
  fail "chat drop: $(cat "$tmp/chat_offline.out")"
expect 1 connect_refused a connect "127.0.0.1:$port_b"

# Untrusting; then nothing answers at b's socket.
expect_json 0 untrust_b a untrust bee --json
expect_json 0 list_empty a list --json
[ "$(cat "$tmp/list_empty.out")" = "[]" ] || fail "list after untrust: $(cat "$tmp/list_empty.out")"
expect 6 call_untrusted a call bee echo
expect_json 8 no_daemon b status --json
[ "$(field error code <"$tmp/no_daemon.out")" = closed ] || fail "no daemon: $(cat "$tmp/no_daemon.out")"

kill -TERM "$pid_da"
rc=0
wait "$pid_da" || rc=$?
[ "$rc" -eq 0 ] || fail "a exited with $rc after SIGTERM"

if [ "$root" = no ]; then
  echo "ok, except the non-admin checks, which need root (setpriv)"
  exit 77
fi
echo "ok"
