#!/usr/bin/env bash
# guides/cookbook.md, "Control a box from another", step by step as written,
# with two real daemons on loopback: "phone" and "pi".
#
#   1. pair (the pi by id and alias, the phone with the pi's address too);
#   2. [admin] allow = [the phone's id] in the pi's config, reload (SIGHUP),
#      the log line the guide quotes;
#   3. the guide's commands: exit codes, stdout and stderr passed through,
#      --stdin, --json, 127 for a missing program; the pi gains nothing on
#      the phone (no_such_handle, as for any handle that does not exist);
#   4. "Narrower still": the guide's [[handle]] backup.start, with a
#      stand-in for systemctl, called with `peernetctl call`; and a command
#      handle whose program answers JSON from the args on its stdin.
#
#   cookbook_exec_test.sh PATH/TO/peernetd PATH/TO/peernetctl
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init cookbook

read -r port_phone port_pi < <(free_ports 2)
write_config phone "$port_phone"
write_config pi "$port_pi"
start_daemon phone
start_daemon pi
wait_daemon phone
wait_daemon pi
phone() { ctl phone "$@"; }
pi() { ctl pi "$@"; }
id_phone=$(phone id -q)
id_pi=$(pi id -q)

# 1. Pair the two daemons.
expect 0 pair_pi pi pair "$id_phone" --name phone
expect 0 pair_phone phone pair "$id_pi" --name pi --addr "127.0.0.1:$port_pi"
wait_for 15 "the phone to see the pi online" peer_online phone pi
phone peers | grep -Eq '^pi +[A-Z2-7]{7} +online' || fail "peers: $(phone peers)"
# Pairing alone grants nothing: no admin handle on the pi yet.
expect 6 exec_early phone exec pi -- true
has exec_early.err "(no_such_handle)" || fail "exec before the grant: $(cat "$tmp/exec_early.err")"

# 2. Grant admin access on the pi, the guide's block (the phone's full id),
# then reload.
cat >>"$tmp/pi.toml" <<TOML
[admin]
allow = ["$id_phone"]   # the phone's peer id; an alias ("phone") works too
# timeout = "60s"               # commands still running then are killed
# max_output = "1MiB"           # stdout + stderr kept for the reply
TOML
kill -HUP "$pid_pi"
tag_phone=$(tag_of "$id_phone")
wait_for 15 "the pi to log the grant" has pi.err "admin access granted to $tag_phone"

# 3. Run commands.
expect 0 uptime phone exec pi -- uptime
grep -q 'load average' "$tmp/uptime.out" || fail "uptime: $(cat "$tmp/uptime.out")"
expect 0 df_free phone exec pi -- sh -c 'df -h / && free -m'
has df_free.out "Mem:" || fail "df and free: $(cat "$tmp/df_free.out")"
rc=0
echo 'hello' | phone exec --stdin pi -- wc -c >"$tmp/wc.out" 2>"$tmp/wc.err" || rc=$?
[ "$rc" -eq 0 ] || fail "exec --stdin: exit code $rc ($(cat "$tmp/wc.err"))"
[ "$(tr -d ' ' <"$tmp/wc.out")" = 6 ] || fail "exec --stdin: $(cat "$tmp/wc.out")"
expect 1 false phone exec pi -- false

# stdout and stderr are copied, the exit code is the command's.
expect 3 out_err phone exec pi -- sh -c 'echo out; echo err >&2; exit 3'
[ "$(cat "$tmp/out_err.out")" = out ] || fail "stdout: $(cat "$tmp/out_err.out")"
[ "$(cat "$tmp/out_err.err")" = err ] || fail "stderr: $(cat "$tmp/out_err.err")"
# --json: the whole reply, and still the command's exit code.
expect 3 json phone exec --json pi -- sh -c 'echo out; echo err >&2; exit 3'
[ "$(field exit <"$tmp/json.out")" = 3 ] || fail "--json exit: $(cat "$tmp/json.out")"
[ "$(field signal <"$tmp/json.out")" = 0 ] || fail "--json signal: $(cat "$tmp/json.out")"
[ "$(field stdout <"$tmp/json.out")" = out ] || fail "--json stdout: $(cat "$tmp/json.out")"
[ "$(field stderr <"$tmp/json.out")" = err ] || fail "--json stderr: $(cat "$tmp/json.out")"
[ "$(field truncated <"$tmp/json.out")" = false ] || fail "--json truncated: $(cat "$tmp/json.out")"
# No shell: the arguments arrive as they are; a missing program is 127;
# a signal is 128 + N.
expect 0 no_shell phone exec pi -- echo '*.log' '$HOME'
[ "$(cat "$tmp/no_shell.out")" = '*.log $HOME' ] || fail "no shell: $(cat "$tmp/no_shell.out")"
expect 127 missing phone exec pi -- no-such-program-here
expect 137 killed phone exec pi -- sh -c 'kill -KILL $$'
# Every use is logged at notice, with the command line.
grep -F "notice: admin exec by $tag_phone (fingerprint " "$tmp/pi.err" |
  grep -qF ': "sh" "-c" "echo out; echo err >&2; exit 3"' || fail "the pi did not log the exec at notice"
grep -F "notice: admin exec by $tag_phone (fingerprint " "$tmp/pi.err" |
  grep -qF ') ended: exit 3' || fail "the pi did not log the end of the exec"

# One-way: the pi cannot run anything on the phone, and cannot tell a
# missing grant from a handle that does not exist.
expect 6 reverse pi --json exec phone -- true
[ "$(field error code <"$tmp/reverse.out")" = no_such_handle ] || fail "reverse exec: $(cat "$tmp/reverse.out")"
expect 6 reverse_call pi --json call phone peernet.admin.exec
[ "$(cat "$tmp/reverse.out")" = "$(cat "$tmp/reverse_call.out")" ] ||
  fail "exec and a call of the handle differ: $(cat "$tmp/reverse.out") vs $(cat "$tmp/reverse_call.out")"

# 4. Narrower still: the guide's command handle, with a stand-in for
# systemctl that records its arguments and prints nothing, as
# `systemctl start` does.
cat >"$tmp/systemctl" <<SH
#!/bin/sh
echo "\$@" >"$tmp/systemctl.args"
SH
chmod 755 "$tmp/systemctl"
cat >>"$tmp/pi.toml" <<TOML

[[handle]]
name = "backup.start"
command = ["$tmp/systemctl", "start", "backup-now.service"]
allow = ["phone"]
timeout = "30s"

[[handle]]
name = "echo.json"
command = ["/bin/cat"]
allow = ["phone"]
TOML
kill -HUP "$pid_pi"
wait_for 15 "the pi to reload its handles" eval '[ "$(count pi.err "reloaded:")" -ge 2 ]'
expect 0 backup phone call pi backup.start
[ "$(cat "$tmp/backup.out")" = '""' ] || fail "backup.start answered: $(cat "$tmp/backup.out")"
[ "$(cat "$tmp/systemctl.args")" = "start backup-now.service" ] || fail "the program got: $(cat "$tmp/systemctl.args")"
# The args arrive on stdin as one line of JSON; JSON on stdout is the reply.
expect 0 echo_json phone call pi echo.json '{"dir": "/srv", "n": [1, 2]}'
[ "$(cat "$tmp/echo_json.out")" = '{"dir":"/srv","n":[1,2]}' ] || fail "echo.json: $(cat "$tmp/echo_json.out")"

stop_daemon phone
stop_daemon pi
echo "ok"
