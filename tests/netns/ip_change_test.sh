#!/usr/bin/env bash
# b's address changes (198.18.0.2 removed, 198.18.0.12 added, same subnet):
# the peers find each other at the new address and calls succeed again.
#
#    pn-<pid>-a  198.18.0.1 --+
#                             br0
#    pn-<pid>-b  198.18.0.2 --+   -> 198.18.0.12
#
# mDNS discovery, no static addresses: a learns b's new address from b's
# announcement (or b, noticing the change, dials a from it).
#
#   ip_change_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init ip_change "$@"
mode=${PN_MODE:-mdns}

hosts_up "$mode" a b
wait_call a b 20
wait_call b a 20

t0=$(now)
in_ns b ip addr del 198.18.0.2/24 dev eth0
in_ns b ip addr add 198.18.0.12/24 brd + dev eth0
addr_b=198.18.0.12
wait_call a b 30 "$t0"
measured "change_to_call" "$elapsed"
wait_call b a 30
# The session to b runs from b's new address (once the old one, if a still
# held it, is declared dead).
session_at_new() {
  case $(ctl a peers --json | json_field 0 session remote) in
    198.18.0.12:*) return 0 ;;
    *) return 1 ;;
  esac
}
wait_for 15 "a's session to b at b's new address" session_at_new
echo "ok"
