#!/usr/bin/env bash
# Each rendered manual page formats without a single warning from man and
# groff, at the width of a terminal, and has the sections a reader expects.
#
#   man_pages_test.sh PAGE...   (the pages scdoc rendered into the build)
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 PAGE..." >&2; exit 2; }
command -v man >/dev/null || { echo "FAIL: man is not installed (Debian package man-db)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/peernet-man-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for page in "$@"; do
  name=$(basename "$page")
  rc=0
  MANWIDTH=80 man --warnings -l "$page" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
    echo "FAIL: $name: man exited $rc with:" >&2
    cat "$tmp/err" >&2
    exit 1
  fi
  for section in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
    grep -q "^$section\$" "$tmp/out" || { echo "FAIL: $name has no $section section" >&2; exit 1; }
  done
  # No line wider than the terminal (a table or literal block overflowing).
  wide=$(awk 'length($0) > 80 { print FNR ": " $0 }' "$tmp/out")
  [ -z "$wide" ] || { echo "FAIL: $name has lines over 80 columns:" >&2; echo "$wide" >&2; exit 1; }
  echo "ok $name"
done
