#!/usr/bin/env bash
# A partition (nftables drops every packet between a and b, inside a's
# namespace) long enough for both to declare the other dead, then healed:
# the peers find each other again and calls succeed.
#
#    pn-<pid>-a  198.18.0.1 --+   nft: drop 198.18.0.2 (in and out), ~6 s
#                             br0
#    pn-<pid>-b  198.18.0.2 --+
#
# Static addresses only (no discovery), so only redialling brings them back.
#
#   partition_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init partition "$@"
command -v nft >/dev/null || fail "nftables (nft) is not installed"

hosts_up static a b
wait_call a b 20
wait_call b a 20

t0=$(now)
partition a b
wait_for 15 "a to declare b down" not_online a b
wait_for 15 "b to declare a down" not_online b a
measured "detect_down" "$(since "$t0")"
ctl a call b echo '"ping"' --timeout 1 >/dev/null 2>&1 && fail "a call crossed the partition"
# Hold the partition for ~6 s in all, so that redials fail meanwhile too.
while awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 6) }'; do sleep 0.1; done

t1=$(now)
heal a
wait_call a b 30 "$t1"
measured "heal_to_call" "$elapsed"
wait_call b a 30
echo "ok"
