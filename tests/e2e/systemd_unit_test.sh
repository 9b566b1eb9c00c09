#!/usr/bin/env bash
# The installed unit passes `systemd-analyze verify` without a word, its
# sandbox scores at most 1.5 in `systemd-analyze security`, the user unit
# passes `systemd-analyze --user verify` without a word, and the
# sysusers.d snippet creates the user and group "peernet".
#
#   systemd_unit_test.sh MESON BUILD_DIR   (environment: see install_tree.sh)
#
# Exits 77 (skipped) when systemd-analyze is not installed.
set -euo pipefail

command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }

MESON=$1
BUILD_DIR=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
# shellcheck source=install_tree.sh
. "$here/install_tree.sh"

tmp=$(mktemp -d /tmp/peernet-e2e-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/dest"
fail() { echo "FAIL: $*" >&2; exit 1; }

install_into "$dest"
unit="$dest$unit_path"
[ -f "$unit" ] || fail "no unit at $unit_path"

# 1. verify. It checks that ExecStart='s program exists and is executable,
# on this machine's file system, and `--root=` would look for every unit
# it depends on (sysinit.target, ...) inside the tree. So it checks a copy
# whose ExecStart= points into the installed tree instead; nothing else is
# changed. MANPATH makes its Documentation= check find the installed pages.
mkdir "$tmp/verify"
sed "s|^ExecStart=$sbindir/|ExecStart=$dest$sbindir/|" "$unit" >"$tmp/verify/peernetd.service"
grep -q "^ExecStart=$dest$sbindir/peernetd " "$tmp/verify/peernetd.service" ||
  fail "could not point ExecStart= into the installed tree"
rc=0
out=$(MANPATH="$dest$mandir" systemd-analyze verify --man=yes "$tmp/verify/peernetd.service" 2>&1) || rc=$?
# verify exits 0 after warnings such as an unknown key: any output fails.
[ "$rc" -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify (exit $rc):
$out"

# 1b. The user unit, the same way, as a user manager would load it (which
# needs a runtime directory of its own).
mkdir "$tmp/verify-user" "$tmp/xdg"
chmod 700 "$tmp/xdg"
sed "s|^ExecStart=$sbindir/|ExecStart=$dest$sbindir/|" "$dest$user_unit_path" >"$tmp/verify-user/peernetd.service"
grep -q "^ExecStart=$dest$sbindir/peernetd --user$" "$tmp/verify-user/peernetd.service" ||
  fail "could not point the user unit's ExecStart= into the installed tree"
rc=0
out=$(XDG_RUNTIME_DIR="$tmp/xdg" MANPATH="$dest$mandir" systemd-analyze --user verify --man=yes \
  "$tmp/verify-user/peernetd.service" 2>&1) || rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze --user verify (exit $rc):
$out"

# 2. The exposure score of the installed unit, as systemd-analyze prints
# it: "→ Overall exposure level for peernetd.service: 1.5 OK".
rc=0
out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "systemd-analyze security (exit $rc):
$out"
score=$(sed -n 's/.*Overall exposure level for peernetd\.service: \([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$out")
[ -n "$score" ] || fail "no exposure score in:
$out"
echo "exposure score: $score"
awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || fail "exposure score $score is above 1.5:
$out"

# 3. sysusers.d: a dry run against the empty tree creates exactly the
# group and the user.
# (systemd-sysusers comes in the same package as systemd-analyze.)
rc=0
out=$(systemd-sysusers --dry-run --root="$dest" "$dest$sysusersdir/peernet.conf" 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "systemd-sysusers --dry-run (exit $rc):
$out"
grep -q "^Creating group 'peernet'" <<<"$out" || fail "sysusers creates no group peernet:
$out"
grep -q "^Creating user 'peernet' (peernetd)" <<<"$out" || fail "sysusers creates no user peernet:
$out"

echo "ok"
