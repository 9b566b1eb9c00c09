#!/usr/bin/env bash
# Cold start on an IPv6 LAN with mDNS over IPv6 (ff02::fb): two paired
# peers with no IPv4 at all and no address of each other find each other
# and call.
#
#   ula        each host has fd00::N/64 (and its link-local address)
#   linklocal  each host has only its fe80:: link-local address: the
#              address discovered is dialled with its interface as scope,
#              "[fe80::…%eth0]:7469"
#
#    pn-<pid>-a  fd00::1 / fe80::… --+
#                                    br0   mDNS ([ff02::fb]:5353)
#    pn-<pid>-b  fd00::2 / fe80::… --+
#
#   ipv6_test.sh PEERNETD PEERNETCTL [ula|linklocal]   (root; exits 77 otherwise)
mode=${3:-ula}
. "$(dirname "$0")/lib.sh"
case $mode in
  ula) netns_init ipv6 "$1" "$2" ;;
  linklocal) netns_init ipv6_linklocal "$1" "$2" ;;
  *) echo "usage: $0 PEERNETD PEERNETCTL [ula|linklocal]" >&2; exit 2 ;;
esac

n=0
for name in a b; do
  n=$((n + 1))
  if [ "$mode" = ula ]; then host_add6 "$name" "fd00::$n"; else host_add6 "$name"; fi
  daemon_config "$name" "$(network_toml)" "$(discovery_toml mdns "$name")"
  sed -i 's/^listen = .*/listen = ["[::]:7469"]/' "$pn_tmp/$name.toml"
done
in_ns a ip -4 addr show dev eth0 | grep -q inet && fail "a has an IPv4 address"

t0=$(now)
for name in a b; do daemon_start "$name"; done
pair a b
pair b a
[ "$(ctl a list --json | json_field 0 addrs)" = "[]" ] || fail "a has a static address for b"
echo_start a
echo_start b
wait_call a b 20 "$t0"
measured "first_start_to_call" "$elapsed"
wait_call b a 20

# What a learned for b: b's addresses, the link-local one with its scope.
ll_b=$(in_ns b ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1)
[ -n "$ll_b" ] || fail "b has no link-local address"
# (b may have dialled a first: a learns b's addresses when its browser
# resolves b, which may come after the first call.)
learned() { case $(ctl a peers --json | json_field 0 addrs) in *"$1"*) return 0 ;; esac; return 1; }
wait_for 20 "a to learn [$ll_b%eth0]:7469" learned "[$ll_b%eth0]:7469"
if [ "$mode" = ula ]; then
  wait_for 20 "a to learn [fd00::2]:7469" learned "[fd00::2]:7469"
else
  # The session runs over the link-local addresses, scoped.
  remote=$(ctl a peers --json | json_field 0 session remote)
  case $remote in "[$ll_b%eth0]:"*) ;; *) fail "a's session to b is not to [$ll_b%eth0]: $remote" ;; esac
fi

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
