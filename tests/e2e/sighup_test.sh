#!/usr/bin/env bash
# SIGHUP reloads the config and the trust list without disturbing what did
# not change. Three real daemons on loopback: a trusts b and c, b and c
# trust a; a grants b admin access ([admin] allow = ["b"]); b serves "echo".
#
#   (a) an invalid config for a, then SIGHUP: a logs FILE:LINE:COL and why,
#       keeps running on the old config (b's grant still works), and its
#       sessions to b and c are untouched;
#   (b) c removed from a's trust.toml on disk, then SIGHUP: c's session
#       closes (c is told: untrusted_peer), b's is untouched and calls to b
#       still succeed;
#   (c) the admin grant removed from the config, then SIGHUP: b's next exec
#       on a is refused as no_such_handle, word for word what c, trusted
#       but never granted, was told while b's grant was on.
#
# "Untouched" means: neither side logged the other going down or coming up
# again, the session's remote address on each side is the same, and a's
# count of completed handshakes with the peer (`show`) did not grow.
#
#   sighup_test.sh PATH/TO/peernetd PATH/TO/peernetctl
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init sighup

read -r port_a port_b port_c < <(free_ports 3)
admin_b='[admin]
allow = ["b"]'
write_config a "$port_a" "$admin_b"
write_config b "$port_b"
write_config c "$port_c"
cp "$tmp/a.toml" "$tmp/a-good.toml"
for n in a b c; do start_daemon "$n"; done
for n in a b c; do wait_daemon "$n"; done
pair a b "$port_b"
pair a c "$port_c"
tag_a=$(tag_of "$(id_of a)" a)
tag_b=$(tag_of "$(id_of b)" b)
tag_c=$(tag_of "$(id_of c)" c)

"$peernetctl" --socket "$tmp/run/b.sock" listen echo --exec cat >"$tmp/listen.out" 2>"$tmp/listen.err" </dev/null &
track "$!"
wait_for 15 "b's echo handle" has listen.err "listening on"

# reload_a: SIGHUP to a, and wait until it has dealt with it (the
# "reloading" line comes first, the outcome right after, in one callback).
reloads=0
reload_a() {
  reloads=$((reloads + 1))
  kill -HUP "$pid_a"
  wait_for 15 "a's reload number $reloads" eval "[ \"\$(count a.err 'received SIGHUP, reloading')\" -ge $reloads ]"
  # The outcome line is written in the same event-loop callback, before
  # any other; a status request is answered only after it.
  ctl a status >/dev/null
}

# The session with PEER as it is now: its remote address on both sides, how
# many times each side has logged the other coming up and going down, and
# a's count of handshakes with it.
snapshot() {  # snapshot PEER TAG
  printf 'a: %s up %s down %s handshakes %s | %s: %s up %s down %s' \
    "$(peer_field a "$1" session)" "$(count a.err "$2 up:")" "$(count a.err "$2 down:")" \
    "$(ctl a show "$1" --json | field counters handshakes_ok)" \
    "$1" "$(peer_field "$1" a session)" "$(count "$1.err" "$tag_a up:")" "$(count "$1.err" "$tag_a down:")"
}
untouched() {  # untouched PEER TAG SNAPSHOT: online, and nothing changed
  peer_online a "$1" || fail "a does not show $1 online"
  local now
  now=$(snapshot "$1" "$2")
  [ "$now" = "$3" ] || fail "the session with $1 changed:
  before: $3
  after:  $now"
}
snap_b=$(snapshot b "$tag_b")
snap_c=$(snapshot c "$tag_c")
case $snap_b in *remote*) ;; *) fail "no session in peers --json: $snap_b" ;; esac

expect 0 call_before ctl a call b echo '{"n": 1}'
[ "$(cat "$tmp/call_before.out")" = '{"n":1}' ] || fail "echo: $(cat "$tmp/call_before.out")"
expect 0 exec_before ctl b exec a -- echo granted
[ "$(cat "$tmp/exec_before.out")" = granted ] || fail "exec: $(cat "$tmp/exec_before.out")"

# c, trusted but without the grant, is told what it would be told for a
# handle that does not exist (compared word for word below, once the grant
# is gone and the handle with it).
expect 6 exec_c ctl c exec a -- echo not granted
has exec_c.err "(no_such_handle)" || fail "exec without the grant: $(cat "$tmp/exec_c.err")"

# (a) An invalid config: logged with its position, the old one kept.
printf '[network]\nlisten = ["127.0.0.1:%s"]\nlisen = 1\n' "$port_a" >"$tmp/a.toml"
reload_a
has a.err "$tmp/a.toml:3:1: key \"network.lisen\"" || fail "a did not log the config error with FILE:LINE:COL"
grep -F "$tmp/a.toml:3:1" "$tmp/a.err" | grep -q "keeping the current config" ||
  fail "a did not say it keeps the current config"
alive "$pid_a" || fail "a exited on an invalid config"
untouched b "$tag_b" "$snap_b"
untouched c "$tag_c" "$snap_c"
expect 0 call_a ctl a call b echo '{"n": 2}'
expect 0 exec_a ctl b exec a -- echo still granted
[ "$(cat "$tmp/exec_a.out")" = "still granted" ] || fail "the old config's grant is gone"

# (b) c leaves a's trust list on disk; the config is valid again.
cp "$tmp/a-good.toml" "$tmp/a.toml"
/usr/bin/python3 - "$tmp/state-a/trust.toml" "$(id_of c)" <<'PY'
import sys
path, gone = sys.argv[1], sys.argv[2]
# trust.toml is a header comment and [[peer]] tables; drop c's table.
text = open(path).read()
head, *tables = text.split("[[peer]]")
kept = [t for t in tables if gone not in t]
assert len(kept) == len(tables) - 1, "c is not in a's trust list"
open(path, "w").write(head + "".join("[[peer]]" + t for t in kept))
PY
reload_a
has a.err "reloaded: 1 trusted peer(s), 0 added, 1 removed" || fail "a did not log the removal"
has a.err "$tag_c down: no longer trusted" || fail "a did not drop c's session"
wait_for 15 "c to hear it is no longer trusted" has c.err "$tag_a down: untrusted_peer"
[ "$(peer_field c a state)" != online ] || fail "c still shows a online"
untouched b "$tag_b" "$snap_b"
expect 0 call_b ctl a call b echo '{"n": 3}'
[ "$(cat "$tmp/call_b.out")" = '{"n":3}' ] || fail "echo after the reload: $(cat "$tmp/call_b.out")"
expect 6 call_c ctl a call c echo
expect 0 exec_b ctl b exec a -- echo granted after trust reload

# (c) The grant is revoked: the next call is refused, as for any handle
# that does not exist.
write_config a "$port_a"
reload_a
has a.err "reloaded: 1 trusted peer(s), 0 added, 0 removed" || fail "a did not reload the config"
expect 6 exec_revoked ctl b exec a -- echo no longer
has exec_revoked.err "(no_such_handle)" || fail "revoked exec: $(cat "$tmp/exec_revoked.err")"
cmp -s "$tmp/exec_revoked.err" "$tmp/exec_c.err" ||
  fail "a grant for others shows: $(cat "$tmp/exec_c.err") vs none at all: $(cat "$tmp/exec_revoked.err")"
[ ! -s "$tmp/exec_revoked.out" ] || fail "revoked exec printed: $(cat "$tmp/exec_revoked.out")"
untouched b "$tag_b" "$snap_b"

for n in a b c; do stop_daemon "$n"; done
echo "ok"
