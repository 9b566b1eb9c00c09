#!/usr/bin/env bash
# A peer killed with SIGKILL and started again on the same state directory
# (same identity, same trust list) is called again without anyone's help.
#
#    pn-<pid>-a  198.18.0.1 --+
#                             br0
#    pn-<pid>-b  198.18.0.2 --+   b: kill -9, restart
#
# Static addresses only (no discovery): a keeps redialling b's address.
#
#   kill_restart_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init kill_restart "$@"

hosts_up static a b
wait_call a b 20
wait_call b a 20

daemon_kill b KILL
wait_for 15 "a to notice b is gone" not_online a b
ctl a call b echo '"ping"' --timeout 2 >/dev/null 2>&1 && fail "a call reached a killed peer"

t0=$(now)
daemon_start b
echo_start b
wait_call a b 30 "$t0"
measured "restart_to_call" "$elapsed"
wait_call b a 30
echo "ok"
