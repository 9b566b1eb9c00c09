#!/usr/bin/env bash
# a's link goes down for ~5 s (its eth0, the veth into the bridge) and comes
# back: b notices a is gone, and once the link is up calls succeed again.
#
#    pn-<pid>-a  198.18.0.1 --x--+   ip link set eth0 down; ~5 s; up
#                                br0
#    pn-<pid>-b  198.18.0.2 -----+
#
# mDNS discovery, no static addresses.
#
#   link_down_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init link_down "$@"

hosts_up mdns a b
wait_call a b 20
wait_call b a 20

t0=$(now)
in_ns a ip link set eth0 down
wait_for 15 "b to declare a down" not_online b a
measured "detect_down" "$(since "$t0")"
while awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 5) }'; do sleep 0.1; done

t1=$(now)
in_ns a ip link set eth0 up
wait_call a b 30 "$t1"
measured "up_to_call" "$elapsed"
wait_call b a 30
echo "ok"
