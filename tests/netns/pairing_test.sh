#!/usr/bin/env bash
# Pairing by code between real daemons (guides/protocol.md §10), with mDNS
# finding the box whose window has the code's nameplate. a, b and m start
# as strangers (nobody trusts anybody); each serves "echo".
#
#    pn-<pid>-a  198.18.0.1 --+
#    pn-<pid>-b  198.18.0.2 --+ br0   mDNS (224.0.0.251:5353): pair=<nameplate>
#    pn-<pid>-m  198.18.0.3 --+
#
#  1 join     a: pair --code (window); b: pair --code CODE, no address.
#             Both exit 0, trust each other under the other's host name,
#             come online and call each other.
#  (reset)    a and b untrust each other.
#  2 wrong    b tries a wrong secret: exit 5, a counts a failed attempt;
#             after 5 of them a's window closes (its pair --code exits 5)
#             and the right code no longer pairs.
#  3 two      a and m open windows at once; b joins with a's code: b
#             trusts a, never m, and m's window saw no attempt.
#  4 outside  m trusts a (by id, at its address) while a has no window:
#             a refuses m (untrusted_peer) and m does not hammer it.
#
# With mdns-private the daemons announce privately outside their windows
# (protocol.md §11.4) and openly while one is open, as pairing needs.
#
#   pairing_test.sh PEERNETD PEERNETCTL [mdns|mdns-private]
#                                        (root; exits 77 otherwise)
mode=${3:-mdns}
. "$(dirname "$0")/lib.sh"
case $mode in
  mdns) netns_init pairing "$1" "$2" ;;
  mdns-private) netns_init pairing_private "$1" "$2" ;;
  *) echo "usage: $0 PEERNETD PEERNETCTL [mdns|mdns-private]" >&2; exit 2 ;;
esac

n=0
for h in a b m; do
  n=$((n + 1))
  host_add "$h" "198.18.0.$n"
  daemon_config "$h" "$(network_toml)" "$(discovery_toml "$mode" "$h")"
  daemon_start "$h"
done
id_a=$(id_of a)
id_b=$(id_of b)
id_m=$(id_of m)
for h in a b m; do echo_start "$h"; done
host_a=$PN_PREFIX-a
host_b=$PN_PREFIX-b

# Checks of what peernetctl prints that do not stop the scenarios; reported
# (and failed) at the end.
later=()

# exited PID: the process has ended (gone, or a zombie not yet reaped).
exited() {
  ! kill -0 "$1" 2>/dev/null || grep -q ') Z ' "/proc/$1/stat" 2>/dev/null
}

# status_counter NAME KEY: NAME's status --json counters.KEY.
status_counter() { ctl "$1" status --json | json_field counters "$2"; }

# window_open NAME TAG [ARGS...]: NAME runs pair --code --json in the
# background (output in pair-TAG.out/.err); sets win_pid and win_code.
window_open() {
  local name=$1 tag=$2
  shift 2
  : >"$pn_tmp/pair-$tag.out"
  ctl "$name" pair --code "$@" --json >"$pn_tmp/pair-$tag.out" 2>"$pn_tmp/pair-$tag.err" </dev/null &
  win_pid=$!
  pn_pids+=("$win_pid")
  wait_for 10 "$name's pair --code to print its code" grep -q '"event":"code"' "$pn_tmp/pair-$tag.out"
  win_code=$(head -n 1 "$pn_tmp/pair-$tag.out" | json_field code)
  [[ $win_code =~ ^[0-9]{3}-[0-9a-z]{5}$ ]] || fail "$name's code is not NNN-xxxxx: $(cat "$pn_tmp/pair-$tag.out")"
}

# window_end PID SECONDS: wait for that pair --code to end; sets win_rc.
window_end() {
  wait_for "$2" "pair --code (pid $1) to end" exited "$1"
  win_rc=0
  wait "$1" || win_rc=$?
}

# join NAME CODE TAG: NAME runs pair --code CODE --json (no address); sets
# join_rc, output in join-TAG.out/.err.
join() {
  join_rc=0
  timeout 30 "$peernetctl" --socket "$pn_tmp/$1.sock" pair --code "$2" --json \
    >"$pn_tmp/join-$3.out" 2>"$pn_tmp/join-$3.err" </dev/null || join_rc=$?
}

# peer_row NAME ID: NAME's peers --json row for ID (as JSON), empty if none.
peer_row() {
  ctl "$1" peers --json | "$py" -c '
import json, sys
for p in json.load(sys.stdin):
    if p["id"] == sys.argv[1]:
        print(json.dumps(p))' "$2"
}
trusted_online() {
  local row
  row=$(peer_row "$1" "$2")
  [ -n "$row" ] && [ "$(printf '%s' "$row" | json_field trusted)" = true ] &&
    [ "$(printf '%s' "$row" | json_field state)" = online ]
}
not_listed() { [ -z "$(peer_row "$1" "$2")" ]; }

# call_id A ID: A calls ID's echo and gets its argument back.
call_id() {
  local out
  out=$(ctl "$1" call "$2" echo "\"$3\"" --timeout 1 2>/dev/null) || return 1
  [ "$out" = "\"$3\"" ]
}

# ---- 1: a opens a window, b joins with the code, found by its nameplate ----
pn_scenario=pairing/1-join
t0=$(now)
window_open a s1 --window 60s
code=$win_code
pid_s1=$win_pid
join b "$code" s1
[ "$join_rc" -eq 0 ] || fail "b's pair --code $code: exit $join_rc ($(cat "$pn_tmp/join-s1.out" "$pn_tmp/join-s1.err"))"
measured "join" "$(since "$t0")"
out=$(tail -n 1 "$pn_tmp/join-s1.out")
[ "$(printf '%s' "$out" | json_field event)" = paired ] || fail "b's pair --code printed: $out"
[ "$(printf '%s' "$out" | json_field id)" = "$id_a" ] || fail "b paired with $(printf '%s' "$out" | json_field id), not a ($id_a)"
[ "$(printf '%s' "$out" | json_field name)" = "$host_a" ] || fail "b's alias for a is not a's host name $host_a: $out"
fp_a=$(printf '%s' "$out" | json_field fingerprint)
window_end "$pid_s1" 15
[ "$win_rc" -eq 0 ] || fail "a's pair --code: exit $win_rc ($(cat "$pn_tmp/pair-s1.out" "$pn_tmp/pair-s1.err"))"
out=$(tail -n 1 "$pn_tmp/pair-s1.out")
[ "$(printf '%s' "$out" | json_field event)" = paired ] || fail "a's pair --code printed: $out"
[ "$(printf '%s' "$out" | json_field id)" = "$id_b" ] || fail "a paired with $(printf '%s' "$out" | json_field id), not b ($id_b)"
[ "$(printf '%s' "$out" | json_field name)" = "$host_b" ] || fail "a's alias for b is not b's host name $host_b: $out"
wait_for 20 "a to list b trusted and online" trusted_online a "$id_b"
wait_for 20 "b to list a trusted and online" trusted_online b "$id_a"
measured "join_to_online" "$(since "$t0")"
wait_for 20 "b's call to a's echo" call_id b "$id_a" from-b
wait_for 20 "a's call to b's echo" call_id a "$id_b" from-a
{ [ -e "$pn_tmp/a.reached" ] && [ -e "$pn_tmp/b.reached" ]; } || fail "an echo handle was not reached"
# By alias too.
call_id b "$host_a" by-alias || fail "b's call to a by its alias $host_a"
[ "$(status_counter a pairing_paired)" -ge 1 ] || fail "a's pairing_paired: $(ctl a status --json)"
row=$(peer_row b "$id_a")
[ "$(printf '%s' "$row" | "$py" -c 'import json,sys; print(json.load(sys.stdin).get("fingerprint"))')" = "$fp_a" ] ||
  later+=("1-join: b's peers --json row for a has no fingerprint $fp_a: $row")

# ---- reset: a and b are strangers again ----
pn_scenario=pairing/reset
ctl a untrust "$id_b" >/dev/null || fail "a untrust b"
ctl b untrust "$id_a" >/dev/null || fail "b untrust a"
wait_for 10 "a to drop b" not_listed a "$id_b"
wait_for 10 "b to drop a" not_listed b "$id_a"
sessions_zero() { [ "$(ctl "$1" status --json | json_field sessions)" = 0 ]; }
wait_for 10 "a's session to b to end" sessions_zero a
wait_for 10 "b's session to a to end" sessions_zero b

# ---- 2: wrong secrets close a's window after 5 attempts ----
pn_scenario=pairing/2-wrong
alphabet=0123456789abcdefghjkmnpqrstvwxyz
failed0=$(status_counter a pairing_attempts_failed)
window_open a s2 --window 60s
code=$win_code
pid_s2=$win_pid
nameplate=${code%%-*}
secret=${code#*-}
for i in 1 2 3 4 5; do
  # A secret that differs from the right one in its first character.
  idx=$(awk -v a="$alphabet" -v c="${secret:0:1}" 'BEGIN { print index(a, c) - 1 }')
  c=${alphabet:$(((idx + i) % 32)):1}
  wrong="$nameplate-$c${secret:1}"
  [ "$wrong" != "$code" ] || fail "could not make a wrong code from $code"
  join b "$wrong" "s2-$i"
  [ "$join_rc" -eq 5 ] || fail "b's pair --code $wrong (wrong secret, try $i): exit $join_rc, expected 5 ($(cat "$pn_tmp/join-s2-$i.out" "$pn_tmp/join-s2-$i.err"))"
  grep -q pairing_failed "$pn_tmp/join-s2-$i.out" "$pn_tmp/join-s2-$i.err" ||
    fail "b's wrong code (try $i) does not say pairing_failed: $(cat "$pn_tmp/join-s2-$i.out" "$pn_tmp/join-s2-$i.err")"
  failed=$(status_counter a pairing_attempts_failed)
  [ "$failed" -ge $((failed0 + i)) ] || fail "a's pairing_attempts_failed after $i wrong codes: $failed (was $failed0)"
  if [ "$i" -lt 5 ]; then
    exited "$pid_s2" && fail "a's window closed after $i failed attempts (of 5): $(cat "$pn_tmp/pair-s2.out" "$pn_tmp/pair-s2.err")"
  fi
done
window_end "$pid_s2" 15
[ "$win_rc" -eq 5 ] || fail "a's pair --code after 5 wrong codes: exit $win_rc, expected 5 ($(cat "$pn_tmp/pair-s2.out" "$pn_tmp/pair-s2.err"))"
grep -q pairing_failed "$pn_tmp/pair-s2.out" "$pn_tmp/pair-s2.err" ||
  fail "a's pair --code does not say pairing_failed: $(cat "$pn_tmp/pair-s2.out" "$pn_tmp/pair-s2.err")"
join b "$code" s2-right
echo "b's right code after a's window closed: exit $join_rc"
[ "$join_rc" -eq 5 ] || [ "$join_rc" -eq 6 ] ||
  fail "b's right code after a's window closed: exit $join_rc, expected 5 or 6 ($(cat "$pn_tmp/join-s2-right.out" "$pn_tmp/join-s2-right.err"))"
not_listed a "$id_b" || fail "a trusts b after wrong codes: $(peer_row a "$id_b")"
not_listed b "$id_a" || fail "b trusts a after wrong codes: $(peer_row b "$id_a")"

# ---- 3: two windows at once; b's code reaches a only ----
pn_scenario=pairing/3-two-windows
m_failed0=$(status_counter m pairing_attempts_failed)
window_open a s3a --window 60s
code_a=$win_code
pid_s3a=$win_pid
for try in 1 2 3 4 5; do
  window_open m "s3m-$try" --window 60s
  pid_s3m=$win_pid
  [ "${win_code%%-*}" != "${code_a%%-*}" ] && break
  [ "$try" -lt 5 ] || fail "m's nameplate equals a's ${code_a%%-*} 5 times"
  kill -TERM "$pid_s3m"
  window_end "$pid_s3m" 10
done
join b "$code_a" s3
[ "$join_rc" -eq 0 ] || fail "b's pair --code $code_a (a's, while m's window is open too): exit $join_rc ($(cat "$pn_tmp/join-s3.out" "$pn_tmp/join-s3.err"))"
out=$(tail -n 1 "$pn_tmp/join-s3.out")
[ "$(printf '%s' "$out" | json_field id)" = "$id_a" ] || fail "b paired with $(printf '%s' "$out" | json_field id), not a ($id_a)"
window_end "$pid_s3a" 15
[ "$win_rc" -eq 0 ] || fail "a's pair --code: exit $win_rc ($(cat "$pn_tmp/pair-s3a.out" "$pn_tmp/pair-s3a.err"))"
wait_for 20 "b to list a trusted and online" trusted_online b "$id_a"
wait_for 20 "a to list b trusted and online" trusted_online a "$id_b"
wait_for 20 "b's call to a's echo" call_id b "$id_a" again
exited "$pid_s3m" && fail "m's window ended while nobody used it: $(cat "$pn_tmp/pair-s3m-$try.out" "$pn_tmp/pair-s3m-$try.err")"
[ "$(status_counter m pairing_attempts_failed)" = "$m_failed0" ] ||
  fail "m counted a failed attempt: $(ctl m status --json)"
[ "$(status_counter m pairing_paired)" = 0 ] || fail "m paired: $(ctl m status --json)"
not_listed b "$id_m" || fail "b trusts m: $(peer_row b "$id_m")"
not_listed m "$id_b" || fail "m trusts b: $(peer_row m "$id_b")"
# Closing m's pair --code closes its window (it belongs to that connection).
kill -TERM "$pid_s3m"
window_end "$pid_s3m" 10

# ---- 4: outside any window a refuses m, and m does not hammer a ----
pn_scenario=pairing/4-outside
ok0=$(status_counter m handshakes_ok)
failed0=$(status_counter m handshakes_failed)
log_lines=$(wc -l <"$pn_tmp/m.log")
t0=$(now)
ctl m pair "$id_a" --name a --addr 198.18.0.1:7469 >/dev/null || fail "m could not trust a"
refused() { [ "$(status_counter m handshakes_failed)" -gt "$failed0" ]; }
wait_for 20 "m's dial to a to be refused" refused
measured "refused" "$(since "$t0")"
# ~20 s in which a flapping daemon would have redialled many times.
sleep "$(awk -v t="$(since "$t0")" 'BEGIN { s = 20 - t; printf "%.2f", (s > 0 ? s : 0) }')"
ok=$(status_counter m handshakes_ok)
failed=$(status_counter m handshakes_failed)
echo "m: handshakes_ok $ok0 -> $ok, handshakes_failed $failed0 -> $failed over $(since "$t0") s"
[ "$ok" = "$ok0" ] || fail "m completed a handshake with a, which does not trust it: $(ctl m status --json)"
[ $((failed - failed0)) -le 2 ] || fail "m dialled a $((failed - failed0)) times in 20 s (at most 2 expected)"
tail -n +"$((log_lines + 1))" "$pn_tmp/m.log" | grep -E ' up: ' &&
  fail "m logged a session up after a refused it"
[ "$(peer_state m a)" != online ] || fail "m lists a online"
not_listed a "$id_m" || fail "a trusts m: $(peer_row a "$id_m")"
grep -q untrusted_peer "$pn_tmp/m.log" || fail "m's log does not say a refused it (untrusted_peer)"
row=$(peer_row m "$id_a")
[ "$(printf '%s' "$row" | "$py" -c 'import json,sys; print(json.load(sys.stdin).get("last_error"))')" = untrusted_peer ] ||
  later+=("4-outside: m's peers --json row for a has no last_error \"untrusted_peer\": $row")

pn_scenario=pairing
if [ "${#later[@]}" -gt 0 ]; then
  printf '%s\n' "${later[@]}" >&2
  fail "${#later[@]} check(s) of peernetctl's output failed (above)"
fi
echo "ok"
