#!/usr/bin/env bash
# Cold start with discovery only: two paired peers, neither knowing an
# address of the other, start at the same time; a call succeeds once they
# have found each other (mDNS / DNS-SD, or UDP broadcast).
#
#    pn-<pid>-a  198.18.0.1 --+
#                             br0   mDNS (224.0.0.251:5353) or broadcast (:7470)
#    pn-<pid>-b  198.18.0.2 --+
#
# mdns announces the open form, mdns-private the private one (protocol.md
# §11.4): there each finds the other only by recognising its tag.
#
#   cold_start_test.sh PEERNETD PEERNETCTL [mdns|mdns-private|broadcast]
#                                            (root; exits 77 otherwise)
mode=${3:-mdns}
. "$(dirname "$0")/lib.sh"
case $mode in
  mdns) netns_init cold_start "$1" "$2" ;;
  mdns-private) netns_init cold_start_private "$1" "$2" ;;
  broadcast) netns_init cold_start_broadcast "$1" "$2" ;;
  *) echo "usage: $0 PEERNETD PEERNETCTL [mdns|mdns-private|broadcast]" >&2; exit 2 ;;
esac

# First run: the daemons make their identities and are paired, without any
# address (the trust list has none; only discovery can bring them together).
t0=$(now)
hosts_up "$mode" a b
[ "$(ctl a list --json | json_field 0 addrs)" = "[]" ] || fail "a has a static address for b"
[ "$(ctl b list --json | json_field 0 addrs)" = "[]" ] || fail "b has a static address for a"
wait_call a b 20 "$t0"
measured "first_start_to_call" "$elapsed"
wait_call b a 20

# The cold start proper: both stop, and start again at the same moment.
daemon_kill a TERM
daemon_kill b TERM
t0=$(now)
daemon_start a
daemon_start b
echo_start b
echo_start a
wait_call a b 20 "$t0"
measured "start_to_call" "$elapsed"
wait_call b a 20
echo "ok"
