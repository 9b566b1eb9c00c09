#!/usr/bin/env bash
# The first block of README.md's Quick start, exactly as written there (the
# ```sh block after the "<!-- quickstart: ... -->" comment), run twice:
#
#   1. as a script, by sh -e (dash on Debian): every command must succeed;
#   2. as an interactive bash reads a paste: line by line from its stdin.
#
# Each run happens in a directory laid out like a built clone (build/daemon/
# peernetd and build/ctl/peernetctl are the binaries under test), with a
# private HOME and TMPDIR, so the block's $(mktemp -d) lands in this test's
# directory. After the block, the runner's own lines record the demo
# directory and the PIDs of the block's background jobs (the two daemons);
# the test then checks what the block printed, and that `a` sees `bee`
# online, and stops those two daemons (by PID) before the next run, which
# reuses the block's fixed ports.
#
#   quickstart_test.sh PATH/TO/peernetd PATH/TO/peernetctl PATH/TO/README.md
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
readme=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init quickstart

# The block: from the marker comment, the first ```sh fence to its end.
awk '
  /^<!-- quickstart:/ { armed = 1; next }
  armed && !inside && /^```sh$/ { inside = 1; next }
  inside && /^```$/ { exit }
  inside { print }
' "$readme" >"$tmp/block.sh"
[ -s "$tmp/block.sh" ] || fail "no Quick start block after '<!-- quickstart:' in $readme"
grep -q 'wait' "$tmp/block.sh" || fail "the Quick start block waits for nothing"

mkdir -p "$tmp/clone/build/daemon" "$tmp/clone/build/ctl" "$tmp/tmpdir"
ln -s "$peernetd" "$tmp/clone/build/daemon/peernetd"
ln -s "$peernetctl" "$tmp/clone/build/ctl/peernetctl"

# Each run's shell starts in a process group of its own (setsid), which
# the block's background jobs share (no job control without a terminal):
# whatever the block started is stopped by signalling that group, even
# when the block failed before the PIDs were written down.
groups=()
stop_groups() {
  local g
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
}
e2e_before_cleanup() { stop_groups; }

# stop_demo RUN: stop the block's daemons (their PIDs in RUN.pids), then
# anything else left in the run's process group.
stop_demo() {
  local p
  for p in $(cat "$tmp/$1.pids" 2>/dev/null); do
    kill -TERM "$p" 2>/dev/null || true
    wait_for 15 "the Quick start daemon $p to exit" eval "! alive $p"
  done
  stop_groups
}

# The block's fixed ports must be free, or its daemons cannot start.
for port in $(grep -o '127\.0\.0\.1:[0-9]*' "$tmp/block.sh" | cut -d: -f2 | sort -u); do
  if /usr/bin/python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then :; else
    fail "port $port, which the Quick start block uses, is taken by another process"
  fi
done

# check RUN: what the block printed, and the state it left.
check() {
  local run=$1 d pids
  d=$(sed -n 's/^demo dir: //p' "$tmp/$run.out")
  [ -n "$d" ] && [ -d "$d" ] || fail "$run: the block's demo directory is unknown"
  case $d in "$tmp"/*) ;; *) fail "$run: the demo directory $d is not under TMPDIR" ;; esac
  pids=$(cat "$tmp/$run.pids")
  [ "$(wc -w <<<"$pids")" -eq 2 ] || fail "$run: expected two background daemons, got: $pids"
  for p in $pids; do track "$p"; done
  # `a peers` printed bee as online.
  grep -Eq '^bee +[A-Z2-7]{7} +online' "$tmp/$run.out" || fail "$run: a peers did not show bee online"
  # Nothing complained: no peernetctl error, no shell error.
  if grep -E 'peernetctl: |not found|syntax error|No such file' "$tmp/$run.err"; then
    fail "$run: the block printed errors"
  fi
  # The daemons it started are the ones answering, paired both ways.
  [ "$("$peernetctl" --socket "$d/a.sock" peers --json | field 0 name)" = bee ] ||
    fail "$run: a does not know bee"
  "$peernetctl" --socket "$d/b.sock" wait --online ay --timeout 30 ||
    fail "$run: b does not see ay online"
}

trailer='echo "demo dir: $d"; jobs -p >"$QS_PIDS"'

# 1. As a script.
cp "$tmp/block.sh" "$tmp/script.sh"
printf '%s\n' "$trailer" >>"$tmp/script.sh"
rc=0
(cd "$tmp/clone" && TMPDIR="$tmp/tmpdir" QS_PIDS="$tmp/script.pids" exec setsid sh -e "$tmp/script.sh") \
  >"$tmp/script.out" 2>"$tmp/script.err" </dev/null &
groups+=("$!")
wait "$!" || rc=$?
[ "$rc" -eq 0 ] || { stop_demo script; fail "the block as a script exited with $rc"; }
check script
stop_demo script

# 2. As pasted into an interactive shell: bash -i reading the block from
# its stdin (no terminal, so no job control messages to compare).
rc=0
(cd "$tmp/clone" && TMPDIR="$tmp/tmpdir" QS_PIDS="$tmp/paste.pids" exec setsid bash --noprofile -i) \
  <"$tmp/script.sh" >"$tmp/paste.out" 2>"$tmp/paste.err" &
groups+=("$!")
wait "$!" || rc=$?
[ "$rc" -eq 0 ] || { stop_demo paste; fail "the block pasted into bash -i exited with $rc"; }
# bash -i without a terminal says so on stderr; that is the harness, not the block.
sed -i '/cannot set terminal process group\|no job control in this shell/d' "$tmp/paste.err"
check paste
stop_demo paste

echo "ok"
