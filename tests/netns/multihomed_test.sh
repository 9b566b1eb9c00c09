#!/usr/bin/env bash
# A multi-homed host answers each link with that link's addresses only.
#
#    pn-<pid>-a  198.18.0.1 --br0-- eth0 198.18.0.2  pn-<pid>-m  eth1 198.18.1.2 --br1-- 198.18.1.3  pn-<pid>-c
#
# m runs peernetd listening on 0.0.0.0:7469 with mDNS on (open form); a and c
# each run a raw mDNS listener (mdns_listen.py) on their only interface,
# which also asks for _peernet._tcp.local every second, so that m both
# announces and answers queries on each link. Every A record m puts on br0
# must be 198.18.0.2 and every one on br1 198.18.1.2: announcements go out
# per interface, and an answer carries the addresses of the interface the
# query arrived on (IP_PKTINFO), never the other link's.
#
#   multihomed_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init multihomed "$@"
here=$(cd "$(dirname "$0")" && pwd)

# The second link: br1 in the bridge's namespace.
ip -n "$PN_PREFIX-br" link add br1 type bridge
ip -n "$PN_PREFIX-br" link set br1 type bridge mcast_snooping 0
ip -n "$PN_PREFIX-br" link set br1 up

host_add a 198.18.0.1
host_add m 198.18.0.2
# m's eth1 on br1.
ip -n "$PN_PREFIX-br" link add v-m1 type veth peer name eth1 netns "$PN_PREFIX-m"
ip -n "$PN_PREFIX-br" link set v-m1 master br1 up
ip -n "$PN_PREFIX-m" addr add 198.18.1.2/24 brd + dev eth1
ip -n "$PN_PREFIX-m" link set eth1 up
# c: eth0 on br1 only.
ns_add c || fail "cannot create namespace $PN_PREFIX-c"
ip -n "$PN_PREFIX-br" link add v-c type veth peer name eth0 netns "$PN_PREFIX-c"
ip -n "$PN_PREFIX-br" link set v-c master br1 up
ip -n "$PN_PREFIX-c" addr add 198.18.1.3/24 brd + dev eth0
ip -n "$PN_PREFIX-c" link set eth0 up

for h in a c; do
  : >"$pn_tmp/seen-$h.jsonl"
  # Not through in_ns: $! must be the listener itself (ip netns exec execs it).
  ip netns exec "$PN_PREFIX-$h" "$py" "$here/mdns_listen.py" eth0 "$pn_tmp/seen-$h.jsonl" --timeout 60 \
    >/dev/null 2>"$pn_tmp/listen-$h.err" </dev/null &
  pn_pids+=("$!")
  eval "pid_listen_$h=$!"
done

daemon_config m "$(network_toml)" "$(discovery_toml mdns m)"
daemon_start m

# "qr section type data" of every response record m sent, as heard by H.
records_at() {
  "$py" -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if not m["qr"] or m["src"] in ("198.18.0.1", "198.18.1.3"):
        continue
    for sec in ("an", "ns", "ar"):
        for name, rtype, data, ttl in m[sec]:
            print(sec, rtype, data, name)' "$pn_tmp/seen-$1.jsonl"
}
# An answer to a's or c's query (the listeners ask every second) and m's
# announcements: wait until each link has heard m's SRV several times.
srv_heard() { [ "$(records_at "$1" | grep -c '^an SRV ')" -ge 3 ]; }
wait_for 30 "m's SRV heard three times on br0" srv_heard a
wait_for 30 "m's SRV heard three times on br1" srv_heard c

daemon_kill m TERM
goodbye_heard() { records_at "$1" | grep -q '^an SRV .*host-m\.'; }
wait_for 20 "m's records at a after it stopped" goodbye_heard a
kill "$pid_listen_a" "$pid_listen_c" 2>/dev/null || true
wait "$pid_listen_a" "$pid_listen_c" 2>/dev/null || true

addrs_at() { records_at "$1" | awk '$2 == "A" || $2 == "AAAA" { print $2, $3 }' | sort -u | paste -sd, -; }
at_a=$(addrs_at a)
at_c=$(addrs_at c)
echo "measured: multihomed addresses on br0: $at_a; on br1: $at_c"
[ "$at_a" = "A 198.18.0.2" ] || fail "m's address records on br0: $at_a (want A 198.18.0.2 only)"
[ "$at_c" = "A 198.18.1.2" ] || fail "m's address records on br1: $at_c (want A 198.18.1.2 only)"
echo "ok"
