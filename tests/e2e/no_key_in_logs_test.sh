#!/usr/bin/env bash
# No private key material reaches the output of peernetd, even at debug
# level: two daemons create their identities, trust each other (trust.toml
# and SIGHUP), complete handshakes, stop, and one starts again and loads
# its key. Their stdout and stderr must not contain any 8-byte run of
# either private key, in hex (either case), base64 (standard or URL-safe,
# at any alignment) or base32.
#
#   no_key_in_logs_test.sh PATH/TO/peernetd
#
# Everything lives in one temporary directory (removed on exit); only
# processes this script starts are signalled, by PID. Every wait is bounded
# (tests/e2e/lib.sh).
set -euo pipefail

peernetd=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init keys
pid_a= pid_b=

read -r port_a port_b < <(free_ports 2)
for name in a b; do
  eval "port=\$port_$name"
  cat >"$tmp/$name.toml" <<TOML
[network]
listen = ["127.0.0.1:$port"]
[discovery]
mdns = false
[session]
ping_interval = "200ms"
dead_after = "1s"
reconnect_min = "100ms"
reconnect_max = "500ms"
TOML
done

start() {  # start NAME: peernetd at debug level; output appended to $tmp/NAME.log
  "$peernetd" --config "$tmp/$1.toml" --state-dir "$tmp/state-$1" --socket "$tmp/run/$1.sock" \
    --log-level debug >>"$tmp/$1.log" 2>&1 &
  track "$!"
  eval "pid_$1=$!"
}
stop() {  # stop NAME: SIGTERM, exit status 0
  eval "local p=\$pid_$1"
  kill -TERM "$p"
  local rc=0
  wait "$p" || rc=$?
  eval "pid_$1="
  [ "$rc" -eq 0 ] || fail "peernetd ($1) exited with $rc after SIGTERM"
}
# (stdout and stderr share NAME.log here)
id_of() { sed -n 's/^peer id: //p' "$tmp/$1.log" 2>/dev/null | head -n 1; }
has_id() { [ -n "$(id_of "$1")" ]; }
up_count() { grep -cF -- "$2 up:" "$tmp/$1.log" || true; }
connected() { [ "$(up_count a "$(tag_of "$(id_of b)")")" -ge 1 ] && [ "$(up_count b "$(tag_of "$(id_of a)")")" -ge 1 ]; }

start a
start b
wait_for 10 "peer id of a" has_id a
wait_for 10 "peer id of b" has_id b
umask 077
printf '[[peer]]\nid = "%s"\naddrs = ["127.0.0.1:%s"]\n' "$(id_of b)" "$port_b" >"$tmp/state-a/trust.toml"
printf '[[peer]]\nid = "%s"\naddrs = ["127.0.0.1:%s"]\n' "$(id_of a)" "$port_a" >"$tmp/state-b/trust.toml"
kill -HUP "$pid_a" "$pid_b"
wait_for 15 "a and b connected" connected
stop a
stop b
start a
wait_for 10 "a to start again" grep -q 'loaded identity' "$tmp/a.log"
stop a
grep -q ' debug: ' "$tmp/a.log" || fail "no debug-level line was logged: the test exercises too little"

# Every 8-byte run of each private key in every encoding worth fearing.
/usr/bin/python3 - "$tmp/state-a/identity.key" "$tmp/state-b/identity.key" >"$tmp/needles" <<'PY'
import base64, re, sys
for path in sys.argv[1:]:
    m = re.search(r"^PEERNET-IDENTITY-1 ([0-9a-f]{64})$", open(path).read(), re.M)
    if not m:
        sys.exit(f"no key line in {path}")
    key = bytes.fromhex(m.group(1))
    needles = set()
    for i in range(len(key) - 7):
        h = key[i:i + 8].hex()
        needles.update({h, h.upper()})
    for k in range(3):  # base64 depends on the offset modulo 3
        for enc in (base64.b64encode(key[k:]), base64.urlsafe_b64encode(key[k:])):
            s = enc.decode().rstrip("=")
            needles.update(s[j:j + 11] for j in range(0, len(s) - 10, 4))
    for k in range(5):  # base32: modulo 5
        s = base64.b32encode(key[k:]).decode().rstrip("=")
        needles.update({w for j in range(0, len(s) - 12, 8) for w in (s[j:j + 13], s[j:j + 13].lower())})
    print("\n".join(sorted(needles)))
PY
[ -s "$tmp/needles" ] || fail "no needles generated"
# The needles do find a key where it is: in the key file itself.
grep -qF -f "$tmp/needles" "$tmp/state-a/identity.key" || fail "the needles miss the key file itself"

for name in a b; do
  if grep -nF -f "$tmp/needles" "$tmp/$name.log" >"$tmp/hits"; then
    echo "private key material in the output of $name:" >&2
    cat "$tmp/hits" >&2
    fail "key material logged"
  fi
done
echo "ok ($(wc -l <"$tmp/a.log") + $(wc -l <"$tmp/b.log") lines checked)"
