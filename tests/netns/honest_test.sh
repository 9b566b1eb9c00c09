#!/usr/bin/env bash
# Honest announcements: a daemon announces only the addresses it listens on.
#  - a listens on 127.0.0.1 only: nothing of it goes onto the bridge (no
#    probe, no announcement, no answer, no goodbye), though it browses;
#  - b has two addresses and listens on one: only that one is announced,
#    and no IPv6 address (its listener is IPv4);
#  - c runs a raw mDNS listener (mdns_listen.py: 224.0.0.251 and ff02::fb
#    on its eth0), which also asks for _peernet._tcp.local every second.
# Ordering, not time, decides when a has had its chance: a stops (and says
# its goodbye, if it had announced anything) before b does, and the
# listener's record ends with b's goodbye.
#
#    pn-<pid>-a  198.18.0.1           --+  peernetd, listen 127.0.0.1:7469
#    pn-<pid>-b  198.18.0.2 198.18.1.2 --+ br0  peernetd, listen 198.18.1.2:7469
#    pn-<pid>-c  198.18.0.3           --+  mdns_listen.py
#
#   honest_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init honest "$@"
here=$(cd "$(dirname "$0")" && pwd)
seen=$pn_tmp/seen.jsonl
: >"$seen"

host_add a 198.18.0.1
host_add b 198.18.0.2
ip -n "$PN_PREFIX-b" addr add 198.18.1.2/24 dev eth0
host_add c 198.18.0.3
# Not through in_ns: $! must be the listener itself (ip netns exec execs it).
ip netns exec "$PN_PREFIX-c" "$py" "$here/mdns_listen.py" eth0 "$seen" --timeout 60 \
  >/dev/null 2>"$pn_tmp/listen.err" </dev/null &
pn_pids+=("$!")
pid_listen=$!

daemon_config a "$(network_toml)" "$(discovery_toml mdns a)"
sed -i 's/^listen = .*/listen = ["127.0.0.1:7469"]/' "$pn_tmp/a.toml"
daemon_config b "$(network_toml)" "$(discovery_toml mdns b)"
sed -i 's/^listen = .*/listen = ["198.18.1.2:7469"]/' "$pn_tmp/b.toml"
daemon_start a
daemon_start b

# Records of the datagrams from a host's addresses: "qr section type data ttl".
records_from() {
  "$py" -c '
import json, sys
srcs = set(sys.argv[2:])
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["src"] not in srcs:
        continue
    for sec in ("an", "ns", "ar"):
        for name, rtype, data, ttl in m[sec]:
            print(m["qr"], sec, rtype, data, ttl, name)' "$seen" "$@"
}
ll_a=$(in_ns a ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
ll_b=$(in_ns b ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
# grep without -q reads everything: the writer sees no closed pipe.
b_answered() { records_from 198.18.0.2 198.18.1.2 "$ll_b" | grep '^True an SRV ' >/dev/null; }
wait_for 20 "b's announcement at the listener" b_answered
a_browses() { grep -q '"src": "198.18.0.1"' "$seen"; }
wait_for 20 "a's mDNS queries at the listener" a_browses

daemon_kill a TERM
daemon_kill b TERM
b_said_goodbye() { records_from 198.18.0.2 198.18.1.2 "$ll_b" | grep '^True an SRV .* 0 host-b\.' >/dev/null; }
wait_for 20 "b's goodbye at the listener" b_said_goodbye
kill "$pid_listen"
wait "$pid_listen" 2>/dev/null || true

# a: queries only (its known answers are b's PTRs), nothing of its own.
from_a=$(records_from 198.18.0.1 "$ll_a")
echo "$from_a" | grep -q '^True' && fail "a sent responses: $from_a"
echo "$from_a" | grep -q ' ns ' && fail "a probed: $from_a"
grep -q 'host-a' "$seen" && fail "a's instance name went onto the bridge: $(grep host-a "$seen" | head -3)"

# b: 198.18.1.2 only.
from_b=$(records_from 198.18.0.2 198.18.1.2 "$ll_b")
addrs=$(echo "$from_b" | awk '$1 == "True" && ($3 == "A" || $3 == "AAAA") { print $3, $4 }' | sort -u)
[ "$addrs" = "A 198.18.1.2" ] || fail "b announced: $addrs"
echo "ok"
