#!/usr/bin/env bash
# 1 MiB sends over a 1 Mbit/s link: the sender's daemon refuses what it
# cannot queue ("busy", reported in the send's result) instead of buffering
# without bound, and nothing it accepted is lost: every send is either
# received by the peer's handler or reported dropped (sent = received +
# reported). The sending daemon's memory stays bounded.
#
#    pn-<pid>-a  198.18.0.1 --+   tc tbf 1 Mbit/s on a's eth0 (a -> b);
#                             br0  small TCP send buffers in a, so the
#    pn-<pid>-b  198.18.0.2 --+   backpressure reaches peernetd's queue
#
# a: max_envelope 2 MiB (a 1 MiB send is a bit more than 1 MiB),
# write_queue_limit 2 MiB. a sends one after the other until the first
# "busy" and a few more; b counts what its handle receives.
#
#   slow_link_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init slow_link "$@"
command -v tc >/dev/null || fail "iproute2 (tc) is not installed"
"$py" -c 'import msgpack' 2>/dev/null || skip "python3-msgpack is not installed"
load=$(dirname "$(realpath "$0")")/load_client.py
COUNT=6 SIZE=1048576 RSS_LIMIT_KB=$((200 * 1024))

session='[session]
ping_interval = "2s"
dead_after = "30s"
reconnect_min = "200ms"
reconnect_max = "2s"
max_envelope = "2MiB"
write_queue_limit = "2MiB"'
for h in a b; do
  host_add "$h" "198.18.0.$([ "$h" = a ] && echo 1 || echo 2)"
  cat >"$pn_tmp/$h.toml" <<TOML
[daemon]
log_level = "debug"
[network]
listen = ["0.0.0.0:7469"]
handshake_timeout = "5s"
$session
$(discovery_toml static "$h")
TOML
done
# Small kernel send buffers in a, so the daemon's own queue fills.
in_ns a sysctl -q -w net.ipv4.tcp_wmem="4096 16384 65536" || fail "cannot set tcp_wmem in a's namespace"
daemon_start a
daemon_start b
pair a b 198.18.0.2
pair b a 198.18.0.1
echo_start b
wait_call a b 20
"$py" "$load" sink "$pn_tmp/b.sock" bulk "$pn_tmp/received" \
  >"$pn_tmp/sink.out" 2>"$pn_tmp/sink.err" </dev/null &
pn_pids+=("$!")
wait_for 10 "b's sink handle" grep -q ready "$pn_tmp/sink.out"

in_ns a tc qdisc add dev eth0 root tbf rate 1mbit burst 32kbit latency 400ms ||
  fail "cannot shape a's eth0 with tbf (sch_tbf missing?)"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid_a/status"; }
max_rss=0
sample_rss() { local r; r=$(rss_kb); [ "$r" -gt "$max_rss" ] && max_rss=$r; return 0; }
base_rss=$(rss_kb)

t0=$(now)
"$py" "$load" sends "$pn_tmp/a.sock" b bulk "$COUNT" "$SIZE" >"$pn_tmp/sends.out" 2>"$pn_tmp/sends.err" &
pn_pids+=("$!")
sender=$!
while kill -0 "$sender" 2>/dev/null; do sample_rss; sleep 0.1; done
wait "$sender" || fail "the sender failed: $(cat "$pn_tmp/sends.err")"
summary=$(cat "$pn_tmp/sends.out")
echo "sends: $summary"
delivered=$(json_field delivered <<<"$summary")
busy=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["dropped"].get("busy", 0))' "$summary")
dropped=$("$py" -c 'import json,sys; print(sum(json.loads(sys.argv[1])["dropped"].values()))' "$summary")
[ $((delivered + dropped)) -eq "$COUNT" ] || fail "$COUNT sends, $delivered delivered + $dropped dropped"
[ "$busy" -ge 1 ] || fail "no send was refused busy: the daemon buffered $COUNT MiB for a 1 Mbit/s link"
[ "$delivered" -ge 1 ] || fail "no send was accepted at all"

received() { cat "$pn_tmp/received" 2>/dev/null || echo 0; }
drained() { sample_rss; [ "$(received)" -ge "$delivered" ]; }
wait_for 50 "b to receive the $delivered accepted sends (has $(received))" drained
measured "drain" "$(since "$t0")"
[ "$(received)" -eq "$delivered" ] || fail "b received $(received) sends, a accepted $delivered"
echo "measured: slow_link rss_kb base $base_rss max $max_rss"
[ "$max_rss" -lt "$RSS_LIMIT_KB" ] || fail "a's RSS reached $max_rss kB (limit $RSS_LIMIT_KB kB)"
in_ns a tc qdisc del dev eth0 root
wait_call a b 20
echo "ok"
