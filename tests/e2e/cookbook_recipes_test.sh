#!/usr/bin/env bash
# guides/cookbook.md, "A shell-script handler", "A Python app" and "Two
# instances on one box", as written, with real daemons on loopback ("pi" and
# "phone"):
#
#   - the guide's disk-free script behind `peernetctl listen --exec`, then
#     the same script and the upper-casing one as [[handle]] entries;
#   - examples/python/notes_service.py: add, list, a bad note refused with
#     bad_request (exit 2), a send that adds a note, another peer's notes
#     kept apart, peer.down/peer.up lines as the phone restarts;
#   - a third daemon with its own config, state and socket on the same box,
#     reached through $PEERNET_SOCKET.
#
#   cookbook_recipes_test.sh PATH/TO/peernetd PATH/TO/peernetctl PATH/TO/examples/python
#
# The Python programs import the peernet package (clients/python) through
# $PYTHONPATH, which tests/meson.build sets to the source tree's copy.
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
examples=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init recipes
if ! /usr/bin/python3 -c 'import msgpack' 2>/dev/null; then
  echo "python3-msgpack is not installed; skipping"
  exit 77
fi

read -r port_phone port_pi port_lab < <(free_ports 3)
write_config phone "$port_phone"
write_config pi "$port_pi"
start_daemon phone
start_daemon pi
wait_daemon phone
wait_daemon pi
pair pi phone "$port_phone"
phone() { ctl phone "$@"; }

# --- A shell-script handler: listen --exec ---------------------------------
cat >"$tmp/disk-free" <<'SH'
#!/bin/sh
# Answers with the free space of / in KiB, as JSON.
df -Pk / | awk 'NR == 2 { printf "{\"free_kib\": %s, \"used\": \"%s\"}\n", $4, $5 }'
SH
chmod +x "$tmp/disk-free"
"$peernetctl" --socket "$tmp/run/pi.sock" listen disk.free --allow phone --exec "$tmp/disk-free" >"$tmp/listen.out" 2>"$tmp/listen.err" </dev/null &
listen_pid=$!
track "$listen_pid"
wait_for 15 "listen to expose disk.free" has listen.err 'listening on "disk.free"'
expect 0 disk_listen phone call pi disk.free
/usr/bin/python3 -c 'import json, sys; r = json.load(sys.stdin); assert r["free_kib"] > 0 and r["used"].endswith("%"), r' \
  <"$tmp/disk_listen.out" || fail "disk.free via listen: $(cat "$tmp/disk_listen.out")"
kill "$listen_pid"
wait "$listen_pid" || true
wait_for 15 "disk.free to go away with listen" eval '! phone call pi disk.free >/dev/null 2>&1'

# --- The same, and the upper-casing script, as [[handle]] entries ------------
cat >"$tmp/upper" <<'SH'
#!/bin/sh
# Echoes the "text" field of its args, upper-cased.
/usr/bin/python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["text"].upper()))'
SH
chmod +x "$tmp/upper"
cat >>"$tmp/pi.toml" <<TOML
[[handle]]
name = "disk.free"
command = ["$tmp/disk-free"]
allow = ["phone"]          # nobody when empty

[[handle]]
name = "upper"
command = ["$tmp/upper"]
allow = ["phone"]
TOML
kill -HUP "$pid_pi"
wait_for 15 "the [[handle]] entries after the reload" eval 'phone call pi upper "{\"text\": \"hi\"}" >"$tmp/upper.out" 2>/dev/null'
[ "$(cat "$tmp/upper.out")" = '"HI"' ] || fail "upper: $(cat "$tmp/upper.out")"
expect 0 disk_handle phone call pi disk.free
grep -q '"free_kib":' "$tmp/disk_handle.out" || fail "disk.free handle: $(cat "$tmp/disk_handle.out")"

# --- A Python app ----------------------------------------------------------
PEERNET_SOCKET="$tmp/run/pi.sock" /usr/bin/python3 "$examples/notes_service.py" phone \
  >"$tmp/notes.out" 2>"$tmp/notes.err" </dev/null &
track "$!"
wait_for 15 "notes_service to serve" has notes.out "serving notes.add and notes.list"
expect 0 add phone call pi notes.add '"buy milk"'
[ "$(cat "$tmp/add.out")" = 1 ] || fail "notes.add: $(cat "$tmp/add.out")"
expect 0 list phone call pi notes.list
[ "$(cat "$tmp/list.out")" = '["buy milk"]' ] || fail "notes.list: $(cat "$tmp/list.out")"
expect 2 bad phone call pi notes.add '42'
has bad.err "a note is a non-empty string of at most 1000 characters (bad_request)" || fail "bad note: $(cat "$tmp/bad.err")"
cat >"$tmp/caller.py" <<'PY'
import peernet

with peernet.Client() as p:
    try:
        print(p.call("pi", "notes.list", timeout=5))
    except peernet.PeernetError as e:   # e.code: "peer_offline", "timeout", "forbidden", ...
        print("no notes:", e.code)
    r = p.send("pi", "notes.add", "sent, not called")
    if not r["delivered"]:      # sends are dropped, and say so, when the peer is away
        print("dropped:", r["reason"])
PY
PEERNET_SOCKET="$tmp/run/phone.sock" /usr/bin/python3 "$tmp/caller.py" >"$tmp/caller.out" 2>&1 \
  || fail "caller.py: $(cat "$tmp/caller.out")"
[ "$(cat "$tmp/caller.out")" = "['buy milk']" ] || fail "caller.py printed: $(cat "$tmp/caller.out")"
wait_for 15 "the sent note to arrive" eval '[ "$(phone call pi notes.list)" = "[\"buy milk\",\"sent, not called\"]" ]'

# peer.down / peer.up as the phone restarts.
stop_daemon phone
wait_for 15 "notes_service to see the phone go" has notes.out "peer.down: phone"
start_daemon phone
wait_daemon phone 1
wait_for 15 "notes_service to see the phone back" has notes.out "peer.up: phone"
# The notes live in the app, not in the session.
wait_for 15 "the notes after the restart" eval '[ "$(phone call pi notes.list 2>/dev/null)" = "[\"buy milk\",\"sent, not called\"]" ]'

# --- Two instances on one box ----------------------------------------------
mkdir -p -m 700 "$tmp/peernet-lab"
write_config lab "$port_lab"
mv "$tmp/lab.toml" "$tmp/peernet-lab/peernetd.toml"
"$peernetd" --config "$tmp/peernet-lab/peernetd.toml" --state-dir "$tmp/peernet-lab/state" \
  --socket "$tmp/peernet-lab/peernetd.sock" >"$tmp/lab.out" 2>"$tmp/lab.err" </dev/null &
track "$!"
wait_for 15 "the second instance's socket" has lab.out "control socket: "
PEERNET_SOCKET="$tmp/peernet-lab/peernetd.sock" "$peernetctl" id -q >"$tmp/lab_id.out" || fail "lab id"
[ "$(cat "$tmp/lab_id.out")" != "$(id_of pi)" ] || fail "the second instance has the first one's id"
[ "$(cat "$tmp/lab_id.out")" = "$(id_of lab)" ] \
  || fail "PEERNET_SOCKET did not reach the second instance"
# The second instance is a stranger to the pi: it may trust the pi, but the
# pi does not trust it, so it gets no session (peer_offline, exit code 3).
PEERNET_SOCKET="$tmp/peernet-lab/peernetd.sock" "$peernetctl" pair "$(id_of pi)" --name pi --addr "127.0.0.1:$port_pi" >/dev/null
rc=0
PEERNET_SOCKET="$tmp/peernet-lab/peernetd.sock" "$peernetctl" call pi notes.list --timeout 2 >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 3 ] || fail "an untrusted second instance calling notes.list: exit code $rc, expected 3"
echo "cookbook recipes: ok"
