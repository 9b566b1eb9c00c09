#!/usr/bin/env bash
# Pairing by code with peernetctl, three real daemons on loopback (mDNS off,
# so the joiner is given the host's address with --addr; tests/netns covers
# finding the host on a LAN):
#
#   (a) host a: `pair --code --json` prints {"event":"code",...}; joiner b:
#       `pair --code CODE --addr` with a wrong secret exits 5
#       (pairing_failed) and counts one failed attempt on a; with the right
#       code both exit 0 with {"event":"paired"} naming each other (default
#       alias: the other's host name; --name wins) and the same fingerprints
#       both `id` commands show; both see each other online and a call works;
#   (b) attempts: with [pairing] attempts = 2, two wrong codes close c's
#       window (its `pair --code` exits 5) and the right code then fails too;
#   (c) a window nobody uses ends with exit 4 (timeout);
#   (d) a typo in the code's shape is a usage error (exit 2) without a
#       daemon; a join to a box with no window exits 5 or 6;
#   (e) pairing one side only: c trusts b, b does not trust c. c never sees
#       b up (no peer.up, handshakes_ok stays 0) and shows it offline with
#       last_error untrusted_peer; `connect` from c names b's full id,
#       fingerprint and the pair command; b lists c as "wants to pair" and
#       `pair PREFIX --yes` on b completes the pairing (without --yes and no
#       terminal it refuses to guess).
#
#   pair_code_test.sh PATH/TO/peernetd PATH/TO/peernetctl
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init pair_code

read -r port_a port_b port_c < <(free_ports 3)
write_config a "$port_a"
write_config b "$port_b"
write_config c "$port_c" '[pairing]
attempts = 2'
for n in a b c; do start_daemon "$n"; done
for n in a b c; do wait_daemon "$n"; done
id_a=$(id_of a)
id_b=$(id_of b)

# code_of FILE: the code in the first {"event":"code"} line of FILE.
code_of() { wait_for 15 "a code in $1" has "$1" '"event":"code"'; head -n 1 "$tmp/$1" | field code; }
# counter NAME KEY: a status counter of daemon NAME.
counter() { ctl "$1" status --json | field counters "$2"; }
# host NAME OUT ARGS...: `pair --code --json ARGS` on NAME in the background;
# its exit code lands in OUT.rc.
host() {
  local name=$1 out=$2
  shift 2
  (
    rc=0
    ctl "$name" pair --code --json "$@" >"$tmp/$out" 2>"$tmp/$out.err" </dev/null || rc=$?
    echo "$rc" >"$tmp/$out.rc"
  ) &
  track "$!"
}
# peer_field_all NAME PEER KEY: like peer_field, over `peers --all`.
peer_field_all() {
  ctl "$1" peers --all --json | /usr/bin/python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["id"] == sys.argv[1]:
        print(p.get(sys.argv[2], ""))
        break
else:
    sys.exit(1)' "$2" "$3"
}
rc_of() { wait_for 30 "$1 to end" test -s "$tmp/$1.rc"; cat "$tmp/$1.rc"; }

# ---- (a) a wrong secret, then the right code --------------------------------
host a host_a.out --window 60s
code=$(code_of host_a.out)
[[ "$code" =~ ^[0-9]{3}-[0-9a-hjkmnp-tv-z]{5}$ ]] || fail "code $code is not NNN-xxxxx"
secret=${code#*-}
wrong="${code%%-*}-$( [ "${secret:0:1}" = z ] && echo y || echo z )${secret:1}"
expect 5 join_wrong ctl b pair --code "$wrong" --addr "127.0.0.1:$port_a" --json
[ "$(field error code <"$tmp/join_wrong.out")" = pairing_failed ] || fail "wrong code: $(cat "$tmp/join_wrong.out")"
[ "$(counter a pairing_attempts_failed)" = 1 ] || fail "a did not count the failed attempt"
[ ! -s "$tmp/host_a.out.rc" ] || fail "one wrong code closed the window"

expect 0 join_b ctl b pair --code "$code" --addr "127.0.0.1:$port_a" --name nas --json
[ "$(rc_of host_a.out)" = 0 ] || fail "host a: $(cat "$tmp/host_a.out" "$tmp/host_a.out.err")"
paired_a=$(grep '"event":"paired"' "$tmp/host_a.out")
[ "$(field id <<<"$paired_a")" = "$id_b" ] || fail "a paired with $(field id <<<"$paired_a")"
[ "$(field name <<<"$paired_a")" = "$(hostname | cut -d. -f1 | tr -c 'A-Za-z0-9_.\n-' '-')" ] ||
  fail "a named b $(field name <<<"$paired_a"), not its host name"
[ "$(field event <"$tmp/join_b.out")" = paired ] || fail "join: $(cat "$tmp/join_b.out")"
[ "$(field id <"$tmp/join_b.out")" = "$id_a" ] || fail "b paired with the wrong key"
[ "$(field name <"$tmp/join_b.out")" = nas ] || fail "--name was not used"
# The fingerprints the two sides print are those `id` shows on the other.
[ "$(field fingerprint <"$tmp/join_b.out")" = "$(ctl a id --json | field fingerprint)" ] || fail "fingerprint of a"
[ "$(field fingerprint <<<"$paired_a")" = "$(ctl b id --json | field fingerprint)" ] || fail "fingerprint of b"
wait_for 15 "a to see b online" peer_online a "$id_b"
wait_for 15 "b to see a online" peer_online b nas
ctl a listen echo --exec cat >"$tmp/listen.out" 2>"$tmp/listen.err" </dev/null &
track "$!"
wait_for 15 "a's echo handle" has listen.err "listening on"
expect 0 call_b ctl b call nas echo '{"paired": true}'
[ "$(cat "$tmp/call_b.out")" = '{"paired":true}' ] || fail "call: $(cat "$tmp/call_b.out")"
[ "$(counter a pairing_paired)" = 1 ] || fail "a's pairing_paired"
[ "$(counter b pairing_paired)" = 1 ] || fail "b's pairing_paired"

# ---- (b) attempts run out ----------------------------------------------------
host c host_c.out --window 60s
code_c=$(code_of host_c.out)
secret=${code_c#*-}
for i in 1 2; do
  bad="${code_c%%-*}-$( [ "${secret:0:1}" = "$i" ] && echo x || echo "$i" )${secret:1}"
  expect 5 "join_bad_$i" ctl b pair --code "$bad" --addr "127.0.0.1:$port_c"
done
[ "$(rc_of host_c.out)" = 5 ] || fail "two failed attempts did not close c's window: $(cat "$tmp/host_c.out")"
has host_c.out '"code":"pairing_failed"' || fail "c's window: $(cat "$tmp/host_c.out")"
expect 5 join_late ctl b pair --code "$code_c" --addr "127.0.0.1:$port_c"
[ "$(ctl b peers --json | grep -c "$(id_of c)" || true)" = 0 ] || fail "b trusts c after all"

# ---- (c) a window nobody uses -----------------------------------------------
host c host_c2.out --window 1s
[ "$(rc_of host_c2.out)" = 4 ] || fail "an unused window: exit $(cat "$tmp/host_c2.out.rc")"
has host_c2.out '"code":"timeout"' || fail "unused window: $(cat "$tmp/host_c2.out")"

# ---- (d) usage errors --------------------------------------------------------
expect 2 join_typo "$peernetctl" --socket "$tmp/run/nobody.sock" pair --code 41-k7hx2
has join_typo.err "must be 3 digits" || fail "typo message: $(cat "$tmp/join_typo.err")"
rc=0
ctl b pair --code 123-abcde --addr "127.0.0.1:$port_c" >/dev/null 2>&1 || rc=$?
[ "$rc" = 5 ] || [ "$rc" = 6 ] || fail "a join without a window: exit $rc"

# ---- (e) one side only, then pairing from what b sees ------------------------
id_c=$(id_of c)
expect 0 c_trusts_b ctl c pair "$id_b" --addr "127.0.0.1:$port_b"
wait_for 15 "c to be refused by b" eval '[ "$(peer_field c "$id_b" last_error 2>/dev/null)" = untrusted_peer ]'
wait_for 15 "b to list c as wanting to pair" eval '[ -n "$(peer_field_all b "$id_c" wants_to_pair 2>/dev/null)" ]'
[ "$(peer_field c "$id_b" state)" = offline ] || fail "c shows b $(peer_field c "$id_b" state)"
[ "$(counter c handshakes_ok)" = 0 ] || fail "c counted a refused session as a handshake"
has c.err "up:" && fail "c logged b up: $(grep 'up:' "$tmp/c.err")"
expect 5 connect_refused ctl c connect "127.0.0.1:$port_b"
has connect_refused.err "$id_b" || fail "connect does not name b's id: $(cat "$tmp/connect_refused.err")"
has connect_refused.err "peernetctl pair $id_c" || fail "connect does not say what to run on b"
# The other way, b does not trust c: b names c and the command for b itself.
expect 5 connect_unknown ctl b connect "127.0.0.1:$port_c"
has connect_unknown.err "$id_c" || fail "connect does not name c's id: $(cat "$tmp/connect_unknown.err")"
has connect_unknown.err "peernetctl pair $id_c --addr" || fail "connect does not say how to pair"
expect 2 pair_prefix_ask ctl b pair "${id_c:0:5}"
has pair_prefix_ask.err "$id_c" || fail "prefix: $(cat "$tmp/pair_prefix_ask.err")"
expect 0 pair_prefix ctl b pair "${id_c:0:5}" --yes
wait_for 15 "b to see c online" peer_online b "$id_c"
wait_for 15 "c to see b online" peer_online c "$id_b"
# Re-pairing says what changed; list shows the fingerprint.
expect 0 repair ctl b pair "$id_c" --name cee
has repair.out "already trusted" || fail "re-pair: $(cat "$tmp/repair.out")"
has repair.out "-> cee" || fail "re-pair did not show the new alias: $(cat "$tmp/repair.out")"
expect 0 list_b ctl b list
has list_b.out "$(ctl c id --json | field fingerprint)" || fail "list lacks c's fingerprint: $(cat "$tmp/list_b.out")"

# ---- (f) the peernet: URI of id --qr, and pair URI ----------------------------
expect 0 id_qr ctl a id --qr
uri=$(ctl a id --json | field uri)
[[ "$uri" == "peernet:$id_a"* ]] || fail "uri: $uri"
has id_qr.out "$uri" || fail "id --qr does not print the URI"
[ "$(grep -c $'\u2588' "$tmp/id_qr.out")" -ge 10 ] || fail "id --qr drew no QR code: $(cat "$tmp/id_qr.out")"
expect 0 pair_uri ctl c pair "peernet:$id_a?addr=127.0.0.1:$port_a" --name from-uri
[ "$(ctl c list --json | /usr/bin/python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == "from-uri": print(",".join(p["addrs"]))')" = "127.0.0.1:$port_a" ] || fail "pair URI: $(ctl c list --json)"

echo "pair_code: all checks passed"
