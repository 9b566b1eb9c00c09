# shellcheck shell=bash
# The network-namespace harness shared by tests/netns/*_test.sh.
#
# Every "host" is a network namespace with loopback and one interface, eth0,
# whose veth peer sits on a bridge in a namespace of its own:
#
#      pn-<pid>-a            pn-<pid>-b            pn-<pid>-c
#    eth0 198.18.0.1       eth0 198.18.0.2       eth0 198.18.0.3
#        |                     |                     |
#    +---v-a-------------------v-b-------------------v-c---+
#    |                   br0 (pn-<pid>-br)                  |
#    +------------------------------------------------------+
#
# Nothing is created in the namespace the test runs in: the bridge, the veth
# pairs, the addresses (198.18.0.0/15 only) and any nftables table all live
# in namespaces named after this shell's PID, so parallel runs do not meet.
# Each host runs a real peernetd (ip netns exec) with its own config, state
# directory and control socket in one temporary directory; peernetctl talks
# to it over that socket from outside (a path socket does not care about
# network namespaces).
#
# Cleanup (trap on EXIT, INT, TERM) kills the processes this script started,
# by PID, then deletes every namespace (which takes the bridge, the veths and
# the nftables tables with it) and the temporary directory, also on failure.
#
# A scenario sources this file, then:
#   netns_init SCENARIO PEERNETD PEERNETCTL   (exits 77 without root)
#   hosts_up mdns a b          (or host_add, daemon_config, daemon_start,
#                               pair, echo_start one by one)
#   wait_call a b 20 -> $elapsed; measured WHAT "$elapsed"
# Every wait has a deadline; durations are printed ("measured: ..."), never
# asserted.

set -euo pipefail

PN_PREFIX=pn-$$
pn_pids=()
pn_pidfiles=()
pn_namespaces=()
pn_tmp=
pn_scenario=
py=/usr/bin/python3

netns_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  local p f
  # Processes started indirectly left their PID in a file (pn_pidfiles).
  for f in "${pn_pidfiles[@]}"; do
    [ -s "$f" ] && pn_pids+=("$(cat "$f")")
  done
  for p in "${pn_pids[@]}"; do
    kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
  done
  for p in "${pn_pids[@]}"; do
    for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  # Hosts first, the bridge's namespace (the first one made) last.
  local i ns
  for ((i = ${#pn_namespaces[@]} - 1; i >= 0; i--)); do
    ns=${pn_namespaces[i]}
    ip netns exec "$ns" nft delete table inet pn_partition 2>/dev/null
    ip netns delete "$ns" 2>/dev/null
  done
  [ -n "$pn_tmp" ] && rm -rf "$pn_tmp"
  exit "$rc"
}

fail() {
  echo "FAIL ($pn_scenario): $*" >&2
  local f
  for f in "$pn_tmp"/*.log "$pn_tmp"/*.err; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 60 "$f" >&2; }
  done
  exit 1
}

skip() {
  echo "SKIP ($pn_scenario): $*"
  exit 77
}

# netns_init SCENARIO PEERNETD PEERNETCTL
netns_init() {
  pn_scenario=$1
  peernetd=$(realpath "$2")
  peernetctl=$(realpath "$3")
  [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, veth, nftables)"
  command -v ip >/dev/null || fail "iproute2 (ip) is not installed"
  trap netns_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  pn_tmp=$(mktemp -d "/tmp/peernet-netns-$pn_scenario.XXXXXX")
  # The bridge's namespace: the first one made, the last one deleted.
  ns_add br || skip "cannot create a network namespace (no CAP_SYS_ADMIN here?)"
  ip -n "$PN_PREFIX-br" link add br0 type bridge
  # mDNS and broadcast must reach every port whatever the snooping state.
  ip -n "$PN_PREFIX-br" link set br0 type bridge mcast_snooping 0
  ip -n "$PN_PREFIX-br" link set br0 up
}

ns_add() {
  local ns=$PN_PREFIX-$1
  ip netns add "$ns" 2>/dev/null || return 1
  pn_namespaces+=("$ns")
  ip -n "$ns" link set lo up
}

in_ns() { local ns=$PN_PREFIX-$1; shift; ip netns exec "$ns" "$@"; }

# host_add NAME ADDR: a namespace with eth0 (ADDR/24) on the bridge.
host_add() {
  local name=$1 addr=$2 ns=$PN_PREFIX-$1
  ns_add "$name" || fail "cannot create namespace $ns"
  ip -n "$PN_PREFIX-br" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$PN_PREFIX-br" link set "v-$name" master br0 up
  # brd +: the broadcast address, as DHCP clients and networkd set it (ip
  # sets none by default); broadcast discovery sends its beacons there.
  ip -n "$ns" addr add "$addr/24" brd + dev eth0
  ip -n "$ns" link set eth0 up
  eval "addr_$name=$addr"
}

# host_add6 NAME [ADDR6]: a namespace with eth0 on the bridge and no IPv4:
# its link-local address, and ADDR6/64 (fd00::/8) when given. Duplicate
# address detection is off, so the addresses are usable at once.
host_add6() {
  local name=$1 addr=${2:-} ns=$PN_PREFIX-$1
  ns_add "$name" || fail "cannot create namespace $ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
  ip -n "$PN_PREFIX-br" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$PN_PREFIX-br" link set "v-$name" master br0 up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
  [ -n "$addr" ] && ip -n "$ns" addr add "$addr/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
  wait_for 10 "$name's link-local address" has_link_local "$name"
  eval "addr_$name=$addr"
}
has_link_local() { in_ns "$1" ip -6 -o addr show dev eth0 scope link | grep -qv tentative; }

# daemon_config NAME [NETWORK_KEYS] [SECTIONS]: the config of NAME's
# peernetd. NETWORK_KEYS are more lines for [network]; SECTIONS are whole
# sections appended (e.g. "[discovery]\nmdns = true").
daemon_config() {
  cat >"$pn_tmp/$1.toml" <<TOML
[daemon]
log_level = "debug"
[network]
listen = ["0.0.0.0:7469"]
handshake_timeout = "2s"
${2:-}
[session]
ping_interval = "1s"
dead_after = "3s"
reconnect_min = "200ms"
reconnect_max = "2s"
${3:-}
TOML
}

# daemon_start NAME: run NAME's peernetd in its namespace; sets pid_NAME and
# waits for its control socket. Output is appended across restarts.
daemon_start() {
  local name=$1
  [ -f "$pn_tmp/$name.toml" ] || daemon_config "$name"
  # Its own UTS namespace too, so that each host has a host name of its own
  # (mDNS announces host names); unshare and sh exec, so $! is peernetd.
  ip netns exec "$PN_PREFIX-$name" unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' \
    "$PN_PREFIX-$name" "$peernetd" --config "$pn_tmp/$name.toml" \
    --state-dir "$pn_tmp/state-$name" --socket "$pn_tmp/$name.sock" \
    >>"$pn_tmp/$name.out" 2>>"$pn_tmp/$name.log" </dev/null &
  pn_pids+=("$!")
  eval "pid_$name=$!"
  wait_for 10 "$name's control socket" ctl_up "$name"
}
ctl_up() { ctl "$1" status >/dev/null 2>&1; }

# daemon_kill NAME [SIGNAL]: signal NAME's peernetd (default KILL) and reap it.
daemon_kill() {
  local p
  eval "p=\$pid_$1"
  kill -"${2:-KILL}" "$p"
  wait "$p" 2>/dev/null || true
}

ctl() { local name=$1; shift; "$peernetctl" --socket "$pn_tmp/$name.sock" "$@"; }
id_of() { ctl "$1" id -q; }

# json_field KEY... < JSON: the value at that path (strings bare, the rest as JSON).
json_field() {
  "$py" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$@"
}

# pair A B [ADDR]: A trusts B under the alias B (at ADDR:7469 if given).
pair() {
  local args=("$(id_of "$2")" --name "$2")
  [ -n "${3:-}" ] && args+=(--addr "$3:7469")
  ctl "$1" pair "${args[@]}" >/dev/null || fail "$1 could not pair $2"
}

# echo_start NAME: NAME serves "echo" (replies with its args) through
# peernetctl listen --exec; each call also touches NAME.reached.
echo_start() {
  local name=$1
  : >"$pn_tmp/echo-$name.err"
  "$peernetctl" --socket "$pn_tmp/$name.sock" listen echo \
    --exec "touch '$pn_tmp/$name.reached'; cat" \
    >>"$pn_tmp/echo-$name.out" 2>"$pn_tmp/echo-$name.err" </dev/null &
  pn_pids+=("$!")
  eval "pid_echo_$name=$!"
  wait_for 10 "$name's echo handle" grep -q 'listening on' "$pn_tmp/echo-$name.err"
}

# call_ok A B: A calls B's echo and gets its argument back. The timeout is
# short because a call that leaves on a session whose other end is already
# gone (not yet declared dead) is lost and ends only at its timeout; the
# next attempt may find the new session.
call_ok() {
  local out
  out=$(ctl "$1" call "$2" echo '"ping"' --timeout 1 2>/dev/null) || return 1
  [ "$out" = '"ping"' ]
}

# peer_state A B: B's state as A sees it (online, connecting, offline).
peer_state() {
  ctl "$1" peers --json 2>/dev/null |
    "$py" -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == sys.argv[1]:
        print(p["state"])' "$2"
}

# dialled_at NAME PEER ADDR: NAME's session to PEER is one NAME dialled, to ADDR.
dialled_at() {
  local got
  got=$(ctl "$1" peers --json | "$py" -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == sys.argv[1] and p["session"]:
        print(p["session"]["remote"], p["session"]["initiator"])' "$2")
  [ "$got" = "$3 True" ] || fail "$1's session to $2 (wanted one dialled to $3): $(ctl "$1" peers --json)"
}
not_online() { [ "$(peer_state "$1" "$2")" != online ]; }

now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.1 s until COMMAND
# succeeds; fail after SECONDS.
wait_for() {
  local deadline secs=$1 what=$2
  deadline=$(awk -v n="$EPOCHREALTIME" -v s="$1" 'BEGIN { printf "%.3f", n + s }')
  shift 2
  while :; do
    if "$@"; then return 0; fi
    awk -v n="$EPOCHREALTIME" -v d="$deadline" 'BEGIN { exit !(n > d) }' &&
      fail "timed out after $secs s waiting for: $what"
    sleep 0.1
  done
}

# wait_call A B SECONDS [T0]: wait until A's call to B succeeds; $elapsed is
# the time since T0 (default: now).
wait_call() {
  local t0=${4:-$EPOCHREALTIME}
  wait_for "$3" "$1's call to $2 to succeed" call_ok "$1" "$2"
  elapsed=$(since "$t0")
}

# measured WHAT SECONDS: one line for the README's table; never asserted.
measured() { echo "measured: $pn_scenario $1 $2"; }

# partition A B / heal A: drop everything between A and B in A's namespace.
partition() {
  local b_addr
  eval "b_addr=\$addr_$2"
  in_ns "$1" nft -f - <<NFT
table inet pn_partition {
  chain input { type filter hook input priority 0; ip saddr $b_addr drop; }
  chain output { type filter hook output priority 0; ip daddr $b_addr drop; }
}
NFT
}
heal() { in_ns "$1" nft delete table inet pn_partition; }

# log_has NAME TEXT: NAME's daemon log contains TEXT.
log_has() { grep -qF -- "$2" "$pn_tmp/$1.log"; }

# discovery_toml MODE NAME: the [discovery] section of host NAME for MODE:
#   mdns       mDNS / DNS-SD only (the open form: id=, instance "host-NAME"),
#              no static addresses anywhere
#   mdns-private  the same with private announcements (protocol.md §11.4)
#   broadcast  UDP broadcast only
#   static     neither: peers are paired with static addresses
discovery_toml() {
  local mdns=false broadcast=false private=false
  case $1 in
    mdns) mdns=true ;;
    mdns-private) mdns=true private=true ;;
    broadcast) broadcast=true ;;
    static) ;;
    *) fail "unknown discovery mode $1" ;;
  esac
  printf '[discovery]\nmdns = %s\nprivate = %s\ninstance = "host-%s"\nbroadcast = %s\n' \
    "$mdns" "$private" "$2" "$broadcast"
}
# network_toml: the [network] keys of the network monitor, netlink unless
# $PN_MONITOR says poll.
network_toml() {
  if [ "${PN_MONITOR:-netlink}" = poll ]; then
    printf 'monitor = "poll"\npoll_interval = "1s"\n'
  else
    printf 'monitor = "netlink"\n'
  fi
}

# hosts_up MODE NAME...: a host per NAME (198.18.0.1, .2, ... in order), each
# running peernetd with discovery MODE; every host trusts every other under
# its name (at its static address in mode "static"); each serves "echo".
hosts_up() {
  local mode=$1 n=0 name other
  shift
  for name in "$@"; do
    n=$((n + 1))
    host_add "$name" "198.18.0.$n"
    daemon_config "$name" "$(network_toml)" "$(discovery_toml "$mode" "$name")"
    daemon_start "$name"
  done
  for name in "$@"; do
    for other in "$@"; do
      [ "$name" = "$other" ] && continue
      if [ "$mode" = static ]; then
        pair "$name" "$other" "$(eval "printf %s \$addr_$other")"
      else
        pair "$name" "$other"
      fi
    done
    echo_start "$name"
  done
}

# interop_hosts_up: hosts a and b (198.18.0.1, .2) with mDNS, paired and
# calling each other; host c (198.18.0.3) whose peernetd does not announce
# itself (a foreign mDNS tool will), trusted by a and trusting a, with no
# address for it anywhere. Sets id_a, id_b, id_c.
interop_hosts_up() {
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
}

# avahi_start NAME: avahi-daemon on host NAME, limited to its eth0, with a
# D-Bus system bus of its own: a private dbus-daemon (its own config, its
# socket in the test's directory, named by DBUS_SYSTEM_BUS_ADDRESS, which
# this exports for avahi-browse and avahi-publish-service). Both daemons run
# in a mount namespace of their own with a tmpfs over /run, so /run/dbus and
# /run/avahi-daemon are theirs alone and nothing is left behind. Skips (77)
# when avahi-daemon cannot run there, saying why.
avahi_start() {
  local av=$pn_tmp/avahi-$1
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
host-name=avahi-$1
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
disallow-other-stacks=no
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
  in_ns "$1" unshare --mount --propagation private /bin/sh -c '
    set -e
    mount -t tmpfs -o mode=0755 pn-run /run
    mkdir -p /run/dbus /run/avahi-daemon
    dbus-daemon --config-file="$0/bus.conf" --nofork --nopidfile &
    echo $! >"$0/dbus.pid"
    i=0
    while [ ! -S "$0/bus.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    exec avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f "$0/avahi-daemon.conf"
  ' "$av" >"$av/out" 2>"$av/err" </dev/null &
  pn_pids+=("$!")
  pid_avahi=$!
  avahi_err=$av/err
  wait_for 15 "avahi-daemon on $1 to start" avahi_running
}
avahi_running() {
  kill -0 "$pid_avahi" 2>/dev/null ||
    skip "avahi-daemon could not run in the namespace: $(tail -n 5 "$avahi_err" | tr '\n' ' ')"
  grep -q 'Server startup complete' "$avahi_err"
}
