#!/usr/bin/env bash
# Private announcements (protocol.md §11.4) as Avahi sees them: a and b
# announce privately and call each other; avahi-browse -rpt _peernet._tcp on
# host c resolves both, each with v=1, n= and t= in its TXT, and sees no
# id= and neither the configured instance names nor the host name.
#
#    pn-<pid>-a  198.18.0.1 --+          peernetd, mDNS, private
#    pn-<pid>-b  198.18.0.2 --+ br0      peernetd, mDNS, private
#    pn-<pid>-c  198.18.0.3 --+          dbus-daemon, avahi-daemon
#
#   private_avahi_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init private_avahi "$@"
for tool in avahi-daemon avahi-browse dbus-daemon unshare; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (avahi-daemon, avahi-utils, dbus, util-linux)"
done

hosts_up mdns-private a b
wait_call a b 20
host_add c 198.18.0.3
avahi_start c

out=$pn_tmp/avahi-browse.out
t0=$(now)
browsed() {
  in_ns c avahi-browse -rpt _peernet._tcp >"$out" 2>"$pn_tmp/avahi-browse.err" || return 1
  grep -q '^=;eth0;IPv4;peernet-[0-9a-f]\{8\};.*;198.18.0.1;7469;"t=[0-9a-f]\{32\}" "n=[0-9a-f]\{32\}" "v=1"$' "$out" &&
    grep -q '^=;eth0;IPv4;peernet-[0-9a-f]\{8\};.*;198.18.0.2;7469;"t=[0-9a-f]\{32\}" "n=[0-9a-f]\{32\}" "v=1"$' "$out"
}
wait_for 20 "avahi-browse on c to resolve a and b" browsed
measured "avahi_browse_resolved" "$(since "$t0")"
grep -q 'id=' "$out" && fail "avahi-browse saw an id: $(cat "$out")"
grep -q 'host-[ab]' "$out" && fail "avahi-browse saw a configured instance name: $(cat "$out")"
host=$(hostname -s)
if [ ${#host} -ge 4 ] && grep -qiF "$host" "$out"; then
  fail "avahi-browse saw the host name $host: $(cat "$out")"
fi
echo "ok"
