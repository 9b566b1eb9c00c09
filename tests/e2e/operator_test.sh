#!/usr/bin/env bash
# The operator's view, with two real daemons a and b on loopback (and a
# third, c, only so that b has another trusted peer to allow-list):
#
#   - `show b --json` after calls, sends and pings: every field, with
#     plausible values; counters survive b's restart; the addresses are in
#     one form each, and only listening ports (b lists a at a's port, never
#     the ephemeral source port of a's connection);
#   - `ping -c 3` prints three round trips and a summary; an offline peer is
#     exit code 3;
#   - `metrics` parses with prometheus_client's Prometheus text parser and
#     `metrics --openmetrics` with its OpenMetrics parser, per-peer series
#     included; the HTTP endpoint serves both over TCP (a) and a Unix
#     socket (b), to curl, and refuses what it should, counting it;
#   - a send to a handle b does not expose to a (none of that name, or one
#     allow-listed for c only) is "sent", then reported by b: a counts it,
#     logs it the same way for both, and a client that stays connected gets
#     a send.refused notification;
#   - [metrics] listen on a non-loopback address is a config error;
#   - every log line off the journal starts with a timestamp.
#
#   operator_test.sh PATH/TO/peernetd PATH/TO/peernetctl PATH/TO/examples/python
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
pylib=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init operator
py=/usr/bin/python3
"$py" -c 'import prometheus_client' 2>/dev/null ||
  fail "python3-prometheus-client is missing (scripts/dev deps installs it)"

read -r port_a port_b port_c port_m < <(free_ports 4)
write_config a "$port_a" "[metrics]
listen = \"127.0.0.1:$port_m\""
write_config b "$port_b" "[metrics]
listen = \"$tmp/run/b-metrics.sock\"
max_connections = 2"
write_config c "$port_c"
for n in a b c; do start_daemon "$n"; done
for n in a b c; do wait_daemon "$n"; done
pair a b "$port_b"
ctl b pair "$(id_of c)" --name c >/dev/null  # trusted, never connected
fp_b=$(ctl b id --json | field fingerprint)

# ---- traffic: calls, sends, a refused send ----
start_bg() {
  local name=$1
  shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
  track "$!"
  eval "pid_$name=$!"
}
start_bg echo "$peernetctl" --socket "$tmp/run/b.sock" listen echo --exec cat
start_bg inbox "$peernetctl" --socket "$tmp/run/b.sock" listen inbox
start_bg secret "$peernetctl" --socket "$tmp/run/b.sock" listen secret --allow c
for n in echo inbox secret; do wait_for 10 "b to expose $n" has "$n.err" "listening on"; done
for i in 1 2 3; do
  [ "$(ctl a call b echo "[$i]")" = "[$i]" ] || fail "call $i"
done
for i in 1 2; do
  [ "$(ctl a send b inbox "{\"n\": $i}")" = sent ] || fail "send $i did not print 'sent'"
done
wait_for 10 "b's inbox to print two sends" eval '[ "$(count inbox.out "\"handle\":\"inbox\"")" -eq 2 ]'

# A client that stays connected learns of the refusal: send, then wait for
# the notification on the same connection.
"$py" - "$pylib" "$tmp/run/a.sock" >"$tmp/refused.out" 2>"$tmp/refused.err" <<'PY' || fail "no send.refused notification"
import socket, sys, time
sys.path.insert(0, sys.argv[1])
import msgpack
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[2])
s.settimeout(15)
unpacker = msgpack.Unpacker(raw=False)
def request(msgid, method, params):
    s.sendall(msgpack.packb([0, msgid, method, [params]]))
    while True:
        for m in read():
            if m[0] == 1 and m[1] == msgid:
                return m
def read():
    yield from unpacker  # what an earlier read left over
    data = s.recv(65536)
    if not data:
        sys.exit("daemon closed the connection")
    unpacker.feed(data)
    yield from unpacker
r = request(1, "hello", {"version": 1, "client": "operator_test"})
assert r[2] is None, r
r = request(2, "send", {"peer": "b", "handle": "nosuch", "args": {"x": 1}})
assert r[2] is None and r[3]["delivered"] is True, r
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    for m in read():
        if m[0] == 2 and m[1] == "send.refused":
            p = m[2][0] if isinstance(m[2], list) else m[2]
            assert p["handle"] == "nosuch" and p["code"] == "no_such_handle" and p["peer_name"] == "b", p
            print("refused", p["handle"], p["code"])
            sys.exit(0)
sys.exit("no send.refused within 15 s")
PY
has refused.out "refused nosuch no_such_handle" || fail "refusal: $(cat "$tmp/refused.out")"
# A handle exposed to c only looks exactly like one that does not exist.
[ "$(ctl a send b secret '"psst"')" = sent ] || fail "send to secret did not print 'sent'"
wait_for 10 "a to log the refusal of secret" has a.err 'did not deliver a send to "secret": "no_such_handle"'
has a.err 'did not deliver a send to "nosuch": "no_such_handle"' || fail "a did not log the refusal of nosuch"
has secret.out psst && fail "the allow-listed handle got a's send"
[ "$(ctl a status --json | field counters sends_refused)" = 2 ] || fail "a's status: $(ctl a status --json)"
[ "$(ctl b status --json | field counters sends_refusals_sent)" = 2 ] || fail "b's status: $(ctl b status --json)"

# ---- ping ----
expect 0 ping ctl a ping b -c 3 -i 0.2
[ "$(count ping.out "pong from b ($fp_b) via 127.0.0.1:$port_b in ")" -eq 3 ] ||
  fail "ping -c 3: $(cat "$tmp/ping.out")"
grep -qE '^3 round trips, 3 pongs, min/avg/max [0-9.]+ ms / [0-9.]+ ms / [0-9.]+ ms$' "$tmp/ping.out" ||
  fail "ping summary: $(cat "$tmp/ping.out")"
expect 0 ping_json ctl a ping b -c 2 -i 0 --json
[ "$(count ping_json.out '"rtt_ms":')" -eq 2 ] && has ping_json.out '"received":2' ||
  fail "ping --json: $(cat "$tmp/ping_json.out")"
expect 6 ping_nobody ctl a ping nobody -c 1

# ---- show ----
check_show() {  # check_show NAME JSON-FILE PYTHON-ASSERTIONS
  "$py" - "$tmp/$2" "$3" <<'PY' || fail "show: $(cat "$tmp/$2")"
import json, sys, time
r = json.load(open(sys.argv[1]))
now = time.time()
def recent(t):
    return isinstance(t, float) and now - 600 < t <= now + 5
exec(sys.argv[2])
PY
}
expect 0 show_b ctl a show b --json
check_show a show_b.out "
keys = {'id', 'fingerprint', 'name', 'host', 'state', 'since', 'addrs', 'session', 'rtt_ms', 'last_seen',
        'last_handshake', 'last_close_reason', 'last_close', 'counters'}
assert set(r) == keys, set(r) ^ keys
assert r['name'] == 'b' and r['state'] == 'online' and r['fingerprint'] == '$fp_b'
assert r['id'] == '$(id_of b)'
assert recent(r['since']) and recent(r['last_seen']) and recent(r['last_handshake'])
assert r['addrs'] == {'static': ['127.0.0.1:$port_b'], 'learned': [], 'discovered': []}, r['addrs']
assert r['session'] == {'initiator': True, 'remote': '127.0.0.1:$port_b'}, r['session']
assert isinstance(r['rtt_ms'], float) and 0 < r['rtt_ms'] < 5000
assert r['last_close_reason'] is None and r['last_close'] is None
c = r['counters']
assert c['calls_out'] == 3 and c['call_errors'] == 0 and c['calls_in'] == 0, c
assert c['sends_out'] == 4 and c['sends_refused'] == 2 and c['sends_dropped'] == 0, c
assert c['handshakes_ok'] == 1 and c['pings'] == 5, c
assert c['messages_out'] >= 3 + 4 + 5 and c['messages_in'] >= 3 + 2 + 5, c
assert c['bytes_out'] > 0 and c['bytes_in'] > 0, c
"
# b's view of a: a's listening port, learned from its hello; never the
# source port of a's connection.
expect 0 show_a ctl b show a --json
check_show b show_a.out "
assert r['addrs'] == {'static': [], 'learned': ['127.0.0.1:$port_a'], 'discovered': []}, r['addrs']
assert r['session'] == {'initiator': False, 'remote': '127.0.0.1:$port_a'}, r['session']
c = r['counters']
assert c['calls_in'] == 3 and c['sends_in'] == 4 and c['sends_out'] == 0, c
"
[ "$(peer_field b a addrs)" = "[\"127.0.0.1:$port_a\"]" ] || fail "b's peers lists a at $(peer_field b a addrs)"
expect 0 show_human ctl a show b
has show_human.out "fingerprint:    $fp_b" && has show_human.out "calls_out" || fail "show: $(cat "$tmp/show_human.out")"
expect 5 show_untrusted ctl b show "$(id_of b)"

# ---- metrics: both parsers, per-peer series ----
parse_metrics() {  # parse_metrics FILE prometheus|openmetrics
  "$py" - "$tmp/$1" "$2" <<'PY' || fail "metrics ($2) did not parse: $(head -c 2000 "$tmp/$1")"
import sys
text = open(sys.argv[1]).read()
if sys.argv[2] == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    assert text.endswith("# EOF\n")
else:
    from prometheus_client.parser import text_string_to_metric_families
    assert "# EOF" not in text
fams = {f.name: f for f in text_string_to_metric_families(text)}
def value(name, **labels):
    for s in fams[name].samples:
        if s.name == name + "_total" and s.labels == labels:
            return s.value
    raise SystemExit("no sample %s%s" % (name, labels))
assert fams["peernet_calls_out"].type == "counter"
assert value("peernet_calls_out") >= 3
assert value("peernet_peer_calls_out", peer="b") == 3
assert value("peernet_peer_sends_refused", peer="b") == 2
assert fams["peernet_peer_up"].type == "gauge"
up = {s.labels["peer"]: s.value for s in fams["peernet_peer_up"].samples}
assert up == {"b": 1.0}, up
print(len(fams), "families")
PY
}
ctl a metrics >"$tmp/m_prom.txt" || fail "metrics"
parse_metrics m_prom.txt prometheus
ctl a metrics --openmetrics >"$tmp/m_om.txt" || fail "metrics --openmetrics"
parse_metrics m_om.txt openmetrics

# ---- the HTTP endpoint ----
has a.out "metrics: http://127.0.0.1:$port_m/metrics" || fail "a did not say where it serves metrics"
curl -fsS "http://127.0.0.1:$port_m/metrics" -o "$tmp/m_http.txt" -D "$tmp/m_http.head" || fail "GET /metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/m_http.head" || fail "content type: $(cat "$tmp/m_http.head")"
parse_metrics m_http.txt prometheus
curl -fsS -H 'Accept: application/openmetrics-text; version=1.0.0' "http://127.0.0.1:$port_m/metrics" \
  -o "$tmp/m_http_om.txt" -D "$tmp/m_http_om.head" || fail "GET /metrics (OpenMetrics)"
grep -qi '^content-type: application/openmetrics-text' "$tmp/m_http_om.head" || fail "OpenMetrics content type"
parse_metrics m_http_om.txt openmetrics
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_m/other")" = 404 ] || fail "not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port_m/metrics")" = 405 ] || fail "not 405"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' x)" \
  "http://127.0.0.1:$port_m/metrics")" = 431 ] || fail "a 9000-byte header was not refused with 431"
# Python's own HTTP client too.
"$py" -c '
import sys, urllib.request
body = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
assert "peernet_peer_calls_out_total{peer=\"b\"} 3" in body, body[:500]' "http://127.0.0.1:$port_m/metrics" ||
  fail "urllib GET /metrics"
ctl a metrics >"$tmp/m_after.txt"
grep -qE '^peernet_metrics_requests_total 3$' "$tmp/m_after.txt" || fail "scrapes not counted: $(grep metrics_ "$tmp/m_after.txt")"
grep -qE '^peernet_metrics_bad_requests_total 3$' "$tmp/m_after.txt" || fail "refusals not counted: $(grep metrics_ "$tmp/m_after.txt")"
# b: a Unix socket, with at most 2 connections; a third is closed unanswered.
curl -fsS --unix-socket "$tmp/run/b-metrics.sock" http://localhost/metrics -o "$tmp/m_unix.txt" || fail "GET over the Unix socket"
"$py" - "$tmp/m_unix.txt" <<'PY' || fail "b's metrics: $(head -c 1000 "$tmp/m_unix.txt")"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
calls = {s.labels["peer"]: s.value for s in fams["peernet_peer_calls_in"].samples}
assert calls == {"a": 3.0, "c": 0.0}, calls
PY
"$py" - "$tmp/run/b-metrics.sock" <<'PY' || fail "connection cap"
import socket, sys
held = []
for _ in range(2):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"GET /metrics HTTP/1.1\r\n"); held.append(s)
extra = socket.socket(socket.AF_UNIX); extra.connect(sys.argv[1]); extra.settimeout(10)
try:  # closed at once, maybe before the request is written
    extra.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
    data = extra.recv(100)
except (BrokenPipeError, ConnectionResetError):
    data = b""
assert data == b"", data
PY
ctl b metrics | grep -qE '^peernet_metrics_connections_refused_total 1$' || fail "the refused connection was not counted"

# ---- b restarts: a's counters for b survive, the close is recorded ----
stop_daemon b
wait_for 15 "a to see b offline" eval '! peer_online a b'
expect 3 ping_offline ctl a ping b -c 2 -i 0
has ping_offline.err "no pong from b" || fail "ping offline: $(cat "$tmp/ping_offline.err")"
start_daemon b
wait_daemon b 1
wait_for 20 "a to see b online again" peer_online a b
expect 0 show_b2 ctl a show b --json
check_show a show_b2.out "
assert r['last_close_reason'] == 'shutdown' and recent(r['last_close']), r
assert r['last_handshake'] > r['last_close']
c = r['counters']
assert c['calls_out'] == 3 and c['sends_refused'] == 2 and c['handshakes_ok'] == 2, c
"

# ---- config: no metrics endpoint beyond loopback ----
write_config bad 0 '[metrics]
listen = "0.0.0.0:9464"'
rc=0
"$peernetd" --config "$tmp/bad.toml" --state-dir "$tmp/state-bad" --socket "$tmp/run/bad.sock" \
  >"$tmp/bad.out" 2>"$tmp/bad.err" </dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "peernetd started with metrics on 0.0.0.0"
grep -q 'metrics.listen.*is not a loopback address' "$tmp/bad.err" || fail "config error: $(cat "$tmp/bad.err")"

# ---- logs: a timestamp on every line off the journal ----
ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (error|warning|notice|info|debug): '
for n in a b; do
  grep -qvE "$ts" "$tmp/$n.err" && fail "$n logged a line without a timestamp: $(grep -vE "$ts" "$tmp/$n.err" | head -1)"
done
echo "operator: ok"
