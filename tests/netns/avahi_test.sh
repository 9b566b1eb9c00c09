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
# avahi-daemon needs a D-Bus system bus: c gets a private one (its own
# dbus-daemon and config, its socket in the test's directory, named by
# DBUS_SYSTEM_BUS_ADDRESS), and both daemons run in a mount namespace of
# their own with a tmpfs over /run, so /run/dbus and /run/avahi-daemon are
# theirs alone and nothing is left behind.
#
#   avahi_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init avahi "$@"
for tool in avahi-daemon avahi-browse avahi-publish-service dbus-daemon unshare; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (avahi-daemon, avahi-utils, dbus, util-linux)"
done

hosts_up mdns a b
host_add c 198.18.0.3
daemon_config c "$(network_toml)" "$(discovery_toml static c)"
daemon_start c
echo_start c
pair a c
pair c a
id_a=$(id_of a)
id_b=$(id_of b)
id_c=$(id_of c)
wait_call a b 20

# --- dbus-daemon and avahi-daemon on c.
av=$pn_tmp/avahi-c
mkdir -p "$av"
cat >"$av/bus.conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$av/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
XML
cat >"$av/avahi-daemon.conf" <<CONF
[server]
host-name=avahi-c
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
disallow-other-stacks=no
ratelimit-interval-usec=0
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
[reflector]
enable-reflector=no
CONF
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$av/bus.sock"
pn_pidfiles+=("$av/dbus.pid")
in_ns c unshare --mount --propagation private /bin/sh -c '
  set -e
  mount -t tmpfs -o mode=0755 pn-run /run
  mkdir -p /run/dbus /run/avahi-daemon
  dbus-daemon --config-file="$0/bus.conf" --nofork --nopidfile &
  echo $! >"$0/dbus.pid"
  i=0
  while [ ! -S "$0/bus.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  exec avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f "$0/avahi-daemon.conf"
' "$av" >"$pn_tmp/avahi.out" 2>"$pn_tmp/avahi.err" </dev/null &
pn_pids+=("$!")
pid_avahi=$!
avahi_running() {
  kill -0 "$pid_avahi" 2>/dev/null ||
    skip "avahi-daemon could not run in the namespace: $(tail -n 5 "$pn_tmp/avahi.err" | tr '\n' ' ')"
  grep -q 'Server startup complete' "$pn_tmp/avahi.err"
}
wait_for 15 "avahi-daemon on c to start" avahi_running

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
[ "$(ctl a peers --json | "$py" -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == "c":
        print(p["session"]["remote"], p["session"]["initiator"])')" = "198.18.0.3:7469 True" ] ||
  fail "a's session to c: $(ctl a peers --json)"
echo "ok"
