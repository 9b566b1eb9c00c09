#!/usr/bin/env bash
# b's address changes (198.18.0.2 removed, 198.18.0.12 added, same subnet):
# the peers find each other at the new address and calls succeed again.
#
#    pn-<pid>-a  198.18.0.1 --+
#                             br0
#    pn-<pid>-b  198.18.0.2 --+   -> 198.18.0.12
#
# mDNS discovery, no static addresses: b, noticing the change, closes its
# session from the vanished address and dials a from the new one, and a
# learns the new address from b's announcement.
#
# With "poll", the daemons notice the change by polling the interfaces
# ([network] monitor = "poll", every second) instead of over rtnetlink.
#
#   ip_change_test.sh PEERNETD PEERNETCTL [netlink|poll]
#                                            (root; exits 77 otherwise)
PN_MONITOR=${3:-netlink}
. "$(dirname "$0")/lib.sh"
case $PN_MONITOR in
  netlink) netns_init ip_change "$1" "$2" ;;
  poll) netns_init ip_change_poll "$1" "$2" ;;
  *) echo "usage: $0 PEERNETD PEERNETCTL [netlink|poll]" >&2; exit 2 ;;
esac

hosts_up mdns a b
log_has b "network monitor: $PN_MONITOR" || fail "b does not use the $PN_MONITOR monitor"
wait_call a b 20
wait_call b a 20

# session_at_new: a's session to b runs from b's new address.
session_at_new() {
  case $(ctl a peers --json | json_field 0 session remote) in
    198.18.0.12:*) return 0 ;;
    *) return 1 ;;
  esac
}

t0=$(now)
in_ns b ip addr del 198.18.0.2/24 dev eth0
in_ns b ip addr add 198.18.0.12/24 brd + dev eth0
wait_for 30 "a's session to b at b's new address" session_at_new
measured "change_to_session" "$(since "$t0")"
wait_call a b 30 "$t0"
measured "change_to_call" "$elapsed"
wait_call b a 30
# a learnt the new address (from b's announcement or b's dial).
ctl a peers --json | json_field 0 addrs | grep -qF '"198.18.0.12:7469"' ||
  fail "a does not list b's new address: $(ctl a peers --json)"
echo "ok"
