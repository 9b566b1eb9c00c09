#!/usr/bin/env bash
# peernetd starts, prints its peer id, keeps its identity across restarts,
# refuses bad configs and insecure key files, and exits 0 on SIGTERM;
# --system picks the system paths as any user.
#
#   daemon_start_test.sh PATH/TO/peernetd
#
# Everything lives in one temporary directory (removed on exit); only
# processes this script starts are signalled, by PID.
set -euo pipefail

peernetd=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init start  # HOME and XDG in $tmp: away from the invoking user's directories
pid=
state="$tmp/state"
config="$tmp/peernetd.toml"
# Port 0: the kernel picks a free one, so parallel runs never collide.
cat >"$config" <<TOML
[daemon]
log_level = "debug"
[network]
listen = ["127.0.0.1:0"]
[discovery]
mdns = false
TOML

# start NAME: runs peernetd in the background, output in $tmp/NAME.{out,err}.
start() {
  "$peernetd" --config "$config" --state-dir "$state" --socket "$tmp/run/ctl.sock" --foreground \
    >"$tmp/$1.out" 2>"$tmp/$1.err" &
  pid=$!
  track "$pid"
}

# wait_for_id NAME: up to 10 s for the "peer id:" line; prints the id.
wait_for_id() {
  for _ in $(seq 100); do
    if grep -q '^peer id: ' "$tmp/$1.out" 2>/dev/null; then
      sed -n 's/^peer id: //p' "$tmp/$1.out"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || fail "peernetd ($1) exited before printing its peer id"
    sleep 0.1
  done
  fail "no peer id from peernetd ($1) within 10 s"
}

# stop: SIGTERM, then the exit status must be 0.
stop() {
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  pid=
  [ "$rc" -eq 0 ] || fail "peernetd exited with $rc after SIGTERM"
}

# 1. First start creates the identity.
start first
id1=$(wait_for_id first)
[[ "$id1" =~ ^[A-Z2-7]{7}(-[A-Z2-7]{7}){7}$ ]] || fail "malformed peer id: $id1"
grep -q '^fingerprint: ' "$tmp/first.out" || fail "no fingerprint line"
[ "$(stat -c %a "$state/identity.key")" = 600 ] || fail "identity.key is not 0600"
[ "$(stat -c %a "$state")" = 700 ] || fail "state dir is not 0700"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z notice: created identity peer\(' "$tmp/first.err" || fail "no 'created identity' log line"
# Not the journal: every line starts with its timestamp and level, none
# with a "<N>" priority prefix.
grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (error|warning|notice|info|debug): ' "$tmp/first.err" &&
  fail "a log line without a timestamp: $(grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z ' "$tmp/first.err" | head -1)"
grep -q '^<[0-9]>' "$tmp/first.err" && fail "a <N> prefix off the journal"
stop
grep -q 'received SIGTERM' "$tmp/first.err" || fail "SIGTERM not logged"

# 2. A restart keeps the same identity.
start second
id2=$(wait_for_id second)
[ "$id1" = "$id2" ] || fail "peer id changed across restart: $id1 -> $id2"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z notice: loaded identity peer\(' "$tmp/second.err" || fail "no 'loaded identity' log line"
grep -q 'trust list: 0 peer' "$tmp/second.err" || fail "trust list size not reported"
stop

# 2b. Under the journal ($JOURNAL_STREAM names stderr's device and inode):
# the "<N>" priority prefix and no timestamp, the journal adds its own.
: >"$tmp/journal.err"
export JOURNAL_STREAM
JOURNAL_STREAM=$(stat -L -c '%d:%i' "$tmp/journal.err")
start journal
wait_for_id journal >/dev/null
unset JOURNAL_STREAM
grep -q '^<5>loaded identity peer(' "$tmp/journal.err" || fail "no '<5>loaded identity' line on the journal"
grep -qE '^[0-9]{4}-' "$tmp/journal.err" && fail "a timestamp on the journal: $(head -1 "$tmp/journal.err")"
stop

# 3. A bad config exits non-zero with FILE:LINE:COL.
bad="$tmp/bad.toml"
printf '[network]\nlisten = ["127.0.0.1:0"]\nlisen = 1\n' >"$bad"
rc=0
"$peernetd" --config "$bad" --state-dir "$state" >"$tmp/bad.out" 2>"$tmp/bad.err" || rc=$?
[ "$rc" -eq 1 ] || fail "bad config: exit code $rc, expected 1"
grep -qF "$bad:3:1: key \"network.lisen\"" "$tmp/bad.err" || fail "bad config: no FILE:LINE:COL in the error"
[ "$(wc -l <"$tmp/bad.err")" -eq 1 ] || fail "bad config: expected a one-line error"

# 4. A missing explicit config is an error too.
rc=0
"$peernetd" --config "$tmp/absent.toml" --state-dir "$state" >/dev/null 2>"$tmp/absent.err" || rc=$?
[ "$rc" -eq 1 ] || fail "missing config: exit code $rc, expected 1"

# 5. An identity readable by others is refused, with the fix in the message.
chmod 0644 "$state/identity.key"
rc=0
"$peernetd" --config "$config" --state-dir "$state" >"$tmp/insecure.out" 2>"$tmp/insecure.err" || rc=$?
[ "$rc" -eq 1 ] || fail "insecure identity: exit code $rc, expected 1"
grep -q 'chmod 600' "$tmp/insecure.err" || fail "insecure identity: no chmod hint"
grep -q '^peer id:' "$tmp/insecure.out" && fail "insecure identity: a peer id was printed"
chmod 0600 "$state/identity.key"

# 6. SIGINT also stops it cleanly.
start third
[ "$(wait_for_id third)" = "$id1" ] || fail "peer id changed after chmod back"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || fail "peernetd exited with $rc after SIGINT"

# 7. --system: the system paths whoever runs it, not the XDG directories
# exported above. Run unprivileged (as nobody when the test runs as root),
# it cannot create them: it names /var/lib/peernet, or, given a state
# directory, the control socket's /run/peernet. Without --system the same
# user would pick $tmp/home/... and $tmp/run/....
as_user=()
sys_state="$tmp/sys-state"
mkdir -m 700 "$sys_state"
if [ "$(id -u)" -eq 0 ]; then
  as_user=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
  chmod 755 "$tmp"
  chown nobody "$sys_state"
fi
rc=0
"${as_user[@]}" "$peernetd" --system --config "$config" >"$tmp/system-state.out" 2>"$tmp/system-state.err" || rc=$?
[ "$rc" -eq 1 ] || fail "--system without the rights for /var/lib/peernet: exit code $rc, expected 1"
grep -qF '"/var/lib/peernet"' "$tmp/system-state.err" || fail "--system did not pick /var/lib/peernet"
rc=0
"${as_user[@]}" "$peernetd" --system --config "$config" --state-dir "$sys_state" \
  >"$tmp/system-socket.out" 2>"$tmp/system-socket.err" || rc=$?
[ "$rc" -eq 1 ] || fail "--system without the rights for /run/peernet: exit code $rc, expected 1"
grep -qF '"/run/peernet' "$tmp/system-socket.err" || fail "--system did not pick /run/peernet/peernetd.sock"
# Not both modes at once.
rc=0
"$peernetd" --system --user --config "$config" >/dev/null 2>"$tmp/both.err" || rc=$?
[ "$rc" -eq 2 ] || fail "--system --user: exit code $rc, expected 2"

echo "ok"
