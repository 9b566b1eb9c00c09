#!/usr/bin/env bash
# Private announcements (protocol.md §11.4), seen from a third host:
#  - a and b announce privately, trust each other with no address anywhere,
#    and still find each other (each recognises the other's tag) and call;
#  - c runs a raw mDNS listener (mdns_listen.py on its eth0, asking for
#    _peernet._tcp.local every second) and python-zeroconf, which resolves
#    both daemons; neither sees an id=, the configured instance names or
#    the machine's host name;
#  - a gets a second address (a network change: a new generation); the
#    instance, host, nonce and tag a announced before and after share
#    nothing; only the service type, v=1 and the port stay.
#
#    pn-<pid>-a  198.18.0.1 (+198.18.2.1) --+
#    pn-<pid>-b  198.18.0.2                --+ br0
#    pn-<pid>-c  198.18.0.3                --+  mdns_listen.py, zeroconf_peer.py
#
#   private_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init private "$@"
here=$(cd "$(dirname "$0")" && pwd)
seen=$pn_tmp/seen.jsonl
: >"$seen"

host_add c 198.18.0.3
ip netns exec "$PN_PREFIX-c" "$py" "$here/mdns_listen.py" eth0 "$seen" --timeout 90 \
  >/dev/null 2>"$pn_tmp/listen.err" </dev/null &
pn_pids+=("$!")
pid_listen=$!

t0=$(now)
hosts_up mdns-private a b
wait_call a b 20 "$t0"
measured "first_start_to_call" "$elapsed"
wait_call b a 20

# a's responses as "type name data", from its addresses.
ll_a=$(in_ns a ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
records_of_a() {
  "$py" -c '
import json, sys
srcs = set(sys.argv[2:])
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["src"] not in srcs or not m["qr"]:
        continue
    for sec in ("an", "ar"):
        for name, rtype, data, ttl in m[sec]:
            if ttl > 0:
                print(rtype, name, data)' "$seen" 198.18.0.1 198.18.2.1 "$ll_a"
}
srv_names() { records_of_a | awk '$1 == "SRV" { print $2 }' | sort -u; }
has_srv() { [ -n "$(srv_names)" ]; }
wait_for 20 "a's announcement at the listener" has_srv
first=$(srv_names)
in_ns c "$py" "$here/zeroconf_peer.py" browse-any --timeout 20 --count 2 >"$pn_tmp/zc.out" 2>"$pn_tmp/zc.err" ||
  fail "python-zeroconf did not resolve both daemons: $(cat "$pn_tmp/zc.out" "$pn_tmp/zc.err")"
grep -q ' txt=v=1,n=[0-9a-f]\{32\},t=[0-9a-f]\{32\}$' "$pn_tmp/zc.out" || fail "zeroconf saw: $(cat "$pn_tmp/zc.out")"
[ "$(echo "$first" | wc -l)" = 1 ] || fail "a announced several instances at once: $first"

# A network change: a new generation.
ip -n "$PN_PREFIX-a" addr add 198.18.2.1/24 dev eth0
two_generations() { [ "$(srv_names | wc -l)" -ge 2 ]; }
wait_for 20 "a's second generation at the listener" two_generations
second=$(srv_names | grep -vxF "$first" | head -1)
wait_call b a 20

daemon_kill a TERM
daemon_kill b TERM
kill "$pid_listen"
wait "$pid_listen" 2>/dev/null || true

grep -q 'id=' "$pn_tmp/zc.out" && fail "zeroconf saw an id: $(cat "$pn_tmp/zc.out")"
grep -q 'host-[ab]' "$pn_tmp/zc.out" && fail "zeroconf saw a configured instance name: $(cat "$pn_tmp/zc.out")"
grep -q 'id=' "$seen" && fail "an id went onto the bridge: $(grep -o '[^"]*id=[^"]*' "$seen" | head -3)"
grep -q 'host-[ab]' "$seen" && fail "a configured instance name went onto the bridge"
host=$(hostname -s)
if [ ${#host} -ge 4 ] && grep -qiF "$host" "$seen" "$pn_tmp/zc.out"; then
  fail "the host name $host went onto the bridge"
fi

# Every label and TXT string of one generation (records of its instance
# and of the host its SRV names).
values_of() {
  local inst=$1 target
  target=$(records_of_a | awk -v n="$inst" '$1 == "SRV" && $2 == n { print $4; exit }')
  [ -n "$target" ] || fail "no SRV for $inst"
  records_of_a | awk -v n="$inst" -v h="$target" '$2 == n || $2 == h || $3 == n' |
    while read -r rtype name data; do
      case $rtype in
        TXT) echo "$data" | tr -d ' ' | tr '|' '\n' ;;
        SRV) echo "$data" | cut -d' ' -f2 | tr '.' '\n' ;;
      esac
      echo "$name" | tr '.' '\n'
    done | sort -u
}
v1=$(values_of "$first")
v2=$(values_of "$second")
echo "$v1" | grep -q '^n=' || fail "no nonce in the first generation: $v1"
echo "$v1" | grep -q '^t=' || fail "no tag in the first generation: $v1"
shared=$(comm -12 <(echo "$v1") <(echo "$v2") | tr '\n' ' ')
expected=$(printf '%s\n' _peernet _tcp local v=1 | sort | tr '\n' ' ')
[ "$shared" = "$expected" ] || fail "two generations share: $shared"
echo "ok"
