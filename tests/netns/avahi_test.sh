#!/usr/bin/env bash
# Interoperability with Avahi, both ways, with avahi-daemon on host c:
#  - avahi-browse -rpt _peernet._tcp on c resolves a's and b's peernetd
#    (TXT id=<peer id>, address, port 7469);
#  - c's peernetd runs without discovery of its own; avahi-publish-service
#    announces it (TXT id=<c's id>), and a, which trusts c but knows no
#    address for it, finds it that way and calls it.
#
#    pn-<pid>-a  198.18.0.1 --+          peernetd, mDNS
#    pn-<pid>-b  198.18.0.2 --+ br0      peernetd, mDNS
#    pn-<pid>-c  198.18.0.3 --+          peernetd (mDNS off), dbus-daemon, avahi-daemon
#
# avahi-daemon runs with a private D-Bus system bus (lib.sh: avahi_start).
#
#   avahi_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init avahi "$@"
for tool in avahi-daemon avahi-browse avahi-publish-service dbus-daemon unshare; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (avahi-daemon, avahi-utils, dbus, util-linux)"
done

interop_hosts_up

avahi_start c

# --- Avahi sees peernetd: a and b, each with its id in TXT and its address.
t0=$(now)
browsed() {
  in_ns c avahi-browse -rpt _peernet._tcp >"$pn_tmp/avahi-browse.out" 2>"$pn_tmp/avahi-browse.err" || return 1
  grep -q "^=;eth0;IPv4;.*;198.18.0.1;7469;.*\"id=$id_a\"" "$pn_tmp/avahi-browse.out" &&
    grep -q "^=;eth0;IPv4;.*;198.18.0.2;7469;.*\"id=$id_b\"" "$pn_tmp/avahi-browse.out"
}
wait_for 20 "avahi-browse on c to resolve a and b" browsed
measured "avahi_browse_resolved" "$(since "$t0")"

# --- peernetd sees Avahi: c's peernetd, published by avahi-publish-service.
ctl a call c echo '"ping"' --timeout 2 >/dev/null 2>&1 && fail "a reached c before c was announced"
t0=$(now)
in_ns c avahi-publish-service "host-c" _peernet._tcp 7469 "id=$id_c" \
  >"$pn_tmp/avahi-publish.out" 2>"$pn_tmp/avahi-publish.err" </dev/null &
pn_pids+=("$!")
wait_call a c 30 "$t0"
measured "avahi_published_to_call" "$elapsed"
# a dialled c at the published address (c cannot dial a: it has no address
# for a and no discovery).
dialled_at a c 198.18.0.3:7469
echo "ok"
