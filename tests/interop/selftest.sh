#!/usr/bin/env bash
# The independent Python peer (peernet_peer.py) against itself over loopback,
# and the worked example of guides/protocol.md §9 against its committed JSON.
#
#   serve (responder) <-- TCP 127.0.0.1:<ephemeral> --  call / send (initiator)
#
# Every server runs in the background with its own log, is waited for with a
# bounded poll and killed by its PID; the trap removes the temporary files.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
peer=("$py" "$here/peernet_peer.py")

[ -x "$py" ] || { echo "SKIP: $py is missing"; exit 77; }
"$py" -c 'import msgpack' 2>/dev/null || { echo "SKIP: python3-msgpack is not installed"; exit 77; }
"$py" -c 'import dissononce' 2>/dev/null || { echo "SKIP: python3-dissononce is not installed"; exit 77; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# wait_for FILE PATTERN: poll up to 10 s for an extended regex in FILE.
wait_for() {
  for _ in $(seq 100); do
    grep -Eq -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# keygen NAME: sets NAME_priv and NAME_pub.
keygen() {
  local out
  out=$("${peer[@]}" keygen)
  printf -v "$1_priv" '%s' "$(awk '$1 == "private" {print $2}' <<<"$out")"
  printf -v "$1_pub" '%s' "$(awk '$1 == "public" {print $2}' <<<"$out")"
}
keygen server
keygen client
keygen stranger

# serve NAME ARGS...: starts a server logging to $tmp/NAME.log; sets port.
serve() {
  local name=$1; shift
  "${peer[@]}" serve --listen 127.0.0.1:0 "$@" >"$tmp/$name.log" 2>"$tmp/$name.err" &
  pids+=($!)
  wait_for "$tmp/$name.log" '^listening [0-9]+$' || { cat "$tmp/$name.err"; echo "FAIL: $name did not start"; exit 1; }
  port=$(awk '$1 == "listening" {print $2}' "$tmp/$name.log")
}

# call ARGS...: runs the client with the client's key; sets rc, output in $tmp/out.
call() {
  rc=0
  "${peer[@]}" call --key "$client_priv" --connect "127.0.0.1:$port" "$@" \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# 1. Echo, then three pipelined calls: the client coalesces them into one
#    message and the server its three replies into one (§4).
serve main --key "$server_priv" --trust "$client_pub" --echo echo --drop slow
call --trust "$server_pub" echo '{"text": "hello"}'
[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = '{"text":"hello"}' ] \
  && pass "echo" || fail "echo: rc=$rc, output $(cat "$tmp/out" "$tmp/err")"
wait_for "$tmp/main.log" '"args":\{"text":"hello"\},"event":"call","handle":"echo"' \
  && pass "server logged the call" || fail "server did not log the call"

call --trust "$server_pub" --repeat 3 echo '[1, "two", {"3": null}]'
[ "$rc" = 0 ] && [ "$(sort -u "$tmp/out")" = '[1,"two",{"3":null}]' ] && [ "$(wc -l <"$tmp/out")" = 3 ] \
  && pass "three pipelined calls" || fail "pipelined calls: rc=$rc, $(cat "$tmp/out" "$tmp/err")"
wait_for "$tmp/main.log" '"envelopes_received":4,"envelopes_sent":3,.*"messages_received":2,"messages_sent":1,' \
  && pass "calls and replies coalesced" || fail "no coalescing seen: $(tail -1 "$tmp/main.log")"

rc=0
"${peer[@]}" ping --key "$client_priv" --trust "$server_pub" --connect "127.0.0.1:$port" >"$tmp/out" || rc=$?
[ "$rc" = 0 ] && grep -Eq '^\{"rtt_ms":[0-9.]+\}$' "$tmp/out" \
  && pass "ping answered by pong" || fail "ping: rc=$rc, $(cat "$tmp/out")"

# 2. Remote error and timeout exit codes.
call --trust "$server_pub" missing '{}'
[ "$rc" = 3 ] && grep -q '"code":"no_such_handle"' "$tmp/out" \
  && pass "no_such_handle exits 3" || fail "missing handle: rc=$rc, $(cat "$tmp/out")"
call --trust "$server_pub" --timeout 1 slow '{}'
[ "$rc" = 5 ] && pass "unanswered call exits 5" || fail "unanswered call: rc=$rc"

# 3. 200 KiB of args, both sides rekeying after every batch: fragments across
#    messages (§4) and REKEY in both directions (§6).
"$py" -c 'import json, os, sys; json.dump({"data": os.urandom(100 * 1024).hex()}, sys.stdout, sort_keys=True, separators=(",", ":")); print()' >"$tmp/big.json"
serve rekeying --key "$server_priv" --trust "$client_pub" --echo echo --rekey-every 1
call --trust "$server_pub" --rekey-every 1 --repeat 2 echo "@$tmp/big.json"
[ "$rc" = 0 ] && [ "$(sed -n 1p "$tmp/out")" = "$(cat "$tmp/big.json")" ] \
  && [ "$(sed -n 2p "$tmp/out")" = "$(cat "$tmp/big.json")" ] \
  && pass "200 KiB args echoed intact, twice" || fail "large call: rc=$rc, $(head -c 300 "$tmp/err")"
wait_for "$tmp/rekeying.log" '"event":"closed".*"rekeys_received":[1-9][0-9]*,"rekeys_sent":[1-9]' \
  && pass "rekeyed in both directions" || fail "no rekeys seen: $(tail -c 400 "$tmp/rekeying.log")"

# 4. An untrusted responder: the client refuses before message 3 (§3), so the
#    server only ever sees the connection end while awaiting message 3.
serve untrusting --key "$server_priv" --trust "$client_pub" --echo echo
call --trust "$stranger_pub" echo '{}'
[ "$rc" = 4 ] && pass "untrusted responder exits 4" || fail "untrusted responder: rc=$rc"
if wait_for "$tmp/untrusting.log" '"error":"awaiting message 3: eof' \
   && ! grep -q '"event":"connected"' "$tmp/untrusting.log"; then
  pass "responder never saw message 3"
else
  fail "responder log: $(cat "$tmp/untrusting.log")"
fi

# 5. An untrusted initiator: the responder's first transport message is
#    close(untrusted_peer) (§3).
serve picky --key "$server_priv" --trust "$stranger_pub" --echo echo
call --trust "$server_pub" echo '{}'
[ "$rc" = 4 ] && grep -q untrusted_peer "$tmp/err" \
  && pass "untrusted initiator exits 4" || fail "untrusted initiator: rc=$rc, $(cat "$tmp/err")"
wait_for "$tmp/picky.log" '"error":"untrusted initiator '"$client_pub"'"' \
  && pass "responder refused the initiator" || fail "responder log: $(cat "$tmp/picky.log")"

# 6. A frame length above 65535 is refused as soon as its 4 bytes arrive
#    (§2); the server keeps serving.
port_main=$(awk '$1 == "listening" {print $2}' "$tmp/main.log")
"$py" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x00\x01\x00\x00")
sys.exit(0 if s.recv(1) == b"" else 1)' "$port_main" \
  && pass "oversized frame length closed at once" || fail "oversized frame length"
wait_for "$tmp/main.log" '"error":"awaiting message 1: frame length 65536"' \
  && pass "server logged the frame length" || fail "server log: $(tail -2 "$tmp/main.log")"
port=$port_main
call --trust "$server_pub" echo '"still here"'
[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = '"still here"' ] \
  && pass "server still serves" || fail "server after bad frame: rc=$rc"

# 7. REKEY (§6), recomputed from the raw AEAD rather than trusted to the
#    implementation (both ends of the tests above share it): the key becomes
#    the first 32 bytes of ENCRYPT(k, 2^64 - 1, empty, 32 zeros) and the nonce
#    keeps counting.
"$py" - "$here" <<'PY' && pass "REKEY known answer" || fail "REKEY known answer"
import sys
sys.path.insert(0, sys.argv[1])
import peernet_peer as pp
from dissononce.cipher.chachapoly import ChaChaPolyCipher
aead = ChaChaPolyCipher()
i = pp.Handshake(True, bytes(range(1, 33)), pp.encode_hello(0))
r = pp.Handshake(False, bytes(range(65, 97)), pp.encode_hello(0))
r.read(i.write()); i.read(r.write()); r.read(i.write())
sender, receiver = pp.Session(i, rekey_messages=1), pp.Session(r)
k0, env = sender.send.key, pp.encode_envelope([pp.PING, 7])
[(p0, b0)] = sender.seal([env])
[(p1, b1)] = sender.seal([env])
k1 = aead.encrypt(k0, 2**64 - 1, b"", bytes(32))[:32]
ok = (p0 == p1 == pp.record(pp.ENVELOPE, env) + pp.record(pp.REKEY, b"")
      and b0 == aead.encrypt(k0, 0, b"", p0) and b1 == aead.encrypt(k1, 1, b"", p1)
      and receiver.open(b0) == [env] and receiver.open(b1) == [env])
sys.exit(0 if ok else 1)
PY

# 8. Rules the loopback runs above do not reach, checked in process: the
#    sender's record policy (§4.1), hello judgement (§3.1), a reused request
#    id (§5.1) and the msgpack limits (§5.3).
"$py" - "$here" <<'PY' && pass "§3.1, §4.1, §5.1 and §5.3 rules" || fail "§3.1, §4.1, §5.1 or §5.3 rules"
import sys
sys.path.insert(0, sys.argv[1])
import msgpack
import peernet_peer as pp

def refused(fn, data, reason="protocol_error"):
    try:
        fn(data)
    except pp.ProtocolError as e:
        return e.reason == reason
    return False

rec, ok = pp.record, True
# §4.1: an envelope that fits waits for the next message; one alone beside
# a REKEY that does not fit is fragmented.
w, a, b, c = pp.RecordWriter(), bytes(65416), bytes(1000), bytes(65515)
w.push(a); w.push(b)
ok &= w.write() == rec(pp.ENVELOPE, a) and w.write() == rec(pp.ENVELOPE, b) and not w
w.push(c)
ok &= (w.write(True) == rec(pp.FRAGMENT_FIRST, (65515).to_bytes(4, "big") + c[:65509]) + rec(pp.REKEY, b"")
       and w.write(True) == rec(pp.FRAGMENT_MORE, c[65509:]) + rec(pp.REKEY, b"") and not w)
# §3.1: all three keys, v first, known keys once, unknown keys ignored.
ok &= pp.decode_hello(msgpack.packb({"caps": [], "x": [1], "port": 2, "v": 1})) == {"v": 1, "port": 2, "caps": []}
ok &= refused(pp.decode_hello, msgpack.packb({"v": 1, "port": 2}))
ok &= refused(pp.decode_hello, msgpack.packb({"v": 2, "port": "x"}), "unsupported")
ok &= refused(pp.decode_hello, bytes.fromhex("84a17601a4706f727400a46361707390a17601"))   # v twice
ok &= refused(pp.decode_hello, msgpack.packb({"v": 1, "port": 2, "caps": [""]}))
# §5.3: depth 32 passes, 33 does not; 65536 elements pass, 65537 do not;
# 2^18 objects pass (1 + 4 arrays + 262139 elements), one more does not;
# application ext types pass, reserved ones do not.
call = lambda args: pp.decode_envelope(pp.pack([pp.CALL, 1, "h", args]))
deep = lambda n: [] if n == 1 else [deep(n - 1)]
ok &= bool(call(deep(32))) and refused(call, deep(33))
ok &= bool(call([0] * 65536)) and refused(call, [0] * 65537)
ok &= bool(call([[0] * 65535] * 3 + [[0] * 65534])) and refused(call, [[0] * 65535] * 4)
ok &= bool(call(msgpack.ExtType(5, b"")))
ok &= refused(pp.decode_envelope, bytes.fromhex("940101a168d4fe00"))   # ext type -2
# §5.1: a call reusing the id of one still unanswered gets bad_request.
peer = pp.Peer(bytes(range(1, 33)))
peer.handlers = {"slow": lambda args: pp.NO_REPLY}
peer._dispatch([pp.CALL, 7, "slow", None])
peer._dispatch([pp.CALL, 7, "slow", None])
ok &= [pp.unpack(e)[:3] for e in peer._outbox] == [[pp.ERROR, 7, "bad_request"]]
sys.exit(0 if ok else 1)
PY

# 9. The worked example is stable: it equals the committed JSON and §9.
"$py" "$here/worked_example.py" --json >"$tmp/example.json"
cmp -s "$tmp/example.json" "$here/worked_example.json" \
  && pass "worked example equals worked_example.json" || fail "worked example JSON changed"
"$py" - "$root/guides/protocol.md" "$here/worked_example.py" <<'PY' \
  && pass "guides/protocol.md §9 is the generated example" || fail "§9 differs from worked_example.py"
import re, subprocess, sys
doc = open(sys.argv[1]).read()
start = doc.index("## 9. Worked example\n")
end = re.compile(r"^## ", re.M).search(doc, start + 1)
section = doc[start:end.start() if end else len(doc)]
generated = subprocess.check_output([sys.executable, sys.argv[2]], text=True)
sys.exit(section.rstrip() != generated.rstrip())
PY

[ "$failures" = 0 ] && echo "all interop self-tests passed" || { echo "$failures failed"; exit 1; }
