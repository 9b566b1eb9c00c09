#!/usr/bin/env bash
# Two hosts on different sites, joined only by a WireGuard tunnel
# (guides/cookbook.md, "Across sites over WireGuard"). The tunnel is
# wireguard-go (userspace, /dev/net/tun), configured with wg.
#
#   pn-<pid>-a                    pn-<pid>-inet                   pn-<pid>-b
#   eth0 198.18.1.1/24 --- v-a 198.18.1.254 | v-b 198.18.2.254 --- eth0 198.18.2.1/24
#   wg0  198.19.0.1/24      routes, and forwards WireGuard's          wg0 198.19.0.2/24
#     (UDP 51820)            UDP only: nothing else crosses             (UDP 51820)
#
# The underlay is routed, so no multicast crosses it, and the router drops
# everything but WireGuard, so peernetd can reach the other site only
# through wg0. Each wireguard-go runs in a mount namespace of its own with
# a tmpfs over /run: its control socket (/run/wireguard/wg0.sock) is then
# its host's alone, and both hosts can name their tunnel wg0.
#
#  1 tunnel   peernetd on each host listens on its tunnel address (mDNS
#             on, default interfaces); each pairs the other by id with
#             --addr at its tunnel address; a calls b's echo; the session
#             runs between the tunnel addresses and WireGuard carried it.
#             Measured: daemon start to first call.
#  2 restart  b is killed and started again: the call works again; then
#             both are, twice more (3 runs of start -> first call).
#    code     a and b untrust each other, then pair by code, b joining
#             with --addr at a's tunnel address; they call each other.
#  3 silent   wg0 is point-to-point, so peernetd's mDNS stays off it: in
#             a's kernel membership tables its daemon joined neither
#             224.0.0.251 nor ff02::fb on wg0 (both daemons joined
#             224.0.0.251 on eth0), and a listener on b's wg0 (which asks
#             for _peernet._tcp every second) received nothing from the
#             start of 1 to 3 s past the last start of 2. The tunnel's
#             allowed IPs include the mDNS groups, so anything sent there
#             would arrive.
#  4 listed   with [discovery] interfaces = ["wg0"], a joins the group on
#             wg0 and answers over the tunnel: the listener hears it.
#
#   wireguard_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init wireguard "$@"

command -v wireguard-go >/dev/null || fail "wireguard-go is not installed (scripts/dev deps installs it)"
command -v wg >/dev/null || fail "wg is not installed (wireguard-tools; scripts/dev deps installs it)"
command -v nft >/dev/null || fail "nft is not installed (nftables; scripts/dev deps installs it)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun: wireguard-go needs a TUN device"

here=$(dirname "$0")
wg_port=51820

# ---- the sites: a routed underlay that forwards WireGuard only ----
ns_add inet || fail "cannot create namespace $PN_PREFIX-inet"
in_ns inet sysctl -qw net.ipv4.ip_forward=1
site_add() {
  local name=$1 net=$2 ns=$PN_PREFIX-$1
  ns_add "$name" || fail "cannot create namespace $ns"
  ip -n "$PN_PREFIX-inet" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$PN_PREFIX-inet" addr add "198.18.$net.254/24" dev "v-$name"
  ip -n "$PN_PREFIX-inet" link set "v-$name" up
  ip -n "$ns" addr add "198.18.$net.1/24" brd + dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "198.18.$net.254"
}
site_add a 1
site_add b 2
in_ns inet nft -f - <<NFT || fail "cannot load the router's nftables rules"
table inet pn_router {
  chain forward {
    type filter hook forward priority 0; policy drop;
    udp dport $wg_port accept
    udp sport $wg_port accept
  }
}
NFT

# ---- the tunnel ----
for h in a b; do
  (umask 077 && wg genkey >"$pn_tmp/wg-$h.key")
  wg pubkey <"$pn_tmp/wg-$h.key" >"$pn_tmp/wg-$h.pub"
done

# wg_start NAME: wireguard-go wg0 in NAME's namespace, with its own /run.
# ip netns exec, unshare and sh exec, and --foreground keeps wireguard-go
# from daemonizing, so $! is wireguard-go itself (wgpid_NAME).
wg_start() {
  local name=$1 pid
  ip netns exec "$PN_PREFIX-$name" unshare --mount --propagation private /bin/sh -c '
    mount -t tmpfs -o mode=0755 pn-wg /run || exit 1
    exec wireguard-go --foreground wg0
  ' >"$pn_tmp/wg-$name.out" 2>"$pn_tmp/wg-$name.err" </dev/null &
  pid=$!
  pn_pids+=("$pid")
  eval "wgpid_$name=$pid"
  wait_for 15 "wireguard-go's socket on $name" wg_ready "$name" "$pid"
}
wg_ready() {
  if ! kill -0 "$2" 2>/dev/null; then
    local why
    why=$(cat "$pn_tmp/wg-$1.out" "$pn_tmp/wg-$1.err" | tr '\n' ' ')
    # A missing device or privilege is a skip; anything else is a failure.
    case $why in
      *"/dev/net/tun"* | *"ermission denied"* | *"ot permitted"*) skip "wireguard-go cannot run on $1: $why" ;;
    esac
    fail "wireguard-go exited on $1: $why"
  fi
  [ -S "/proc/$2/root/run/wireguard/wg0.sock" ]
}
# wg_in NAME ARGS...: wg ARGS in NAME's tunnel's namespaces.
wg_in() {
  local pid
  eval "pid=\$wgpid_$1"
  shift
  nsenter --target "$pid" --mount --net wg "$@"
}
# wg_conf NAME ADDR PEER PEER_ADDR PEER_ENDPOINT: NAME's wg0 at ADDR/24 with
# one peer. Its allowed IPs include the mDNS groups and the link-local
# prefix (wg0 has an fe80:: address), so that mDNS sent on wg0 reaches the
# other end: scenario 3 would prove nothing otherwise.
wg_conf() {
  wg_in "$1" set wg0 private-key "$pn_tmp/wg-$1.key" listen-port "$wg_port" \
    peer "$(cat "$pn_tmp/wg-$3.pub")" allowed-ips "$4/32,224.0.0.251/32,ff02::fb/128,fe80::/64" endpoint "$5:$wg_port" ||
    fail "wg set on $1"
  ip -n "$PN_PREFIX-$1" addr add "$2/24" dev wg0
  ip -n "$PN_PREFIX-$1" link set wg0 up
}
wg_start a
wg_start b
wg_conf a 198.19.0.1 b 198.19.0.2 198.18.2.1
wg_conf b 198.19.0.2 a 198.19.0.1 198.18.1.1
ip -n "$PN_PREFIX-a" link show wg0 | grep -q POINTOPOINT ||
  fail "wireguard-go's wg0 is not point-to-point: $(ip -n "$PN_PREFIX-a" link show wg0)"

# wg_bytes NAME: bytes NAME's wg0 received from its peer.
wg_bytes() { wg_in "$1" show wg0 transfer | awk '{ print $2 }'; }

# joined NAME DEV: NAME's kernel lists 224.0.0.251 (FB0000E0) joined on DEV.
joined() {
  in_ns "$1" cat /proc/net/igmp | awk -v dev="$2" '
    /^[0-9]/ { here = ($2 == dev) }
    here && $1 == "FB0000E0" { found = 1 }
    END { exit !found }'
}

# tunnel_session A B ADDR: A's session to B runs to ADDR (b's tunnel
# address), whichever end dialled it.
tunnel_session() {
  local got
  got=$(ctl "$1" peers --json | "$py" -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == sys.argv[1] and p["session"]:
        print(p["session"]["remote"].rsplit(":", 1)[0])' "$2")
  [ "$got" = "$3" ] || fail "$1's session to $2 does not run to $3: $(ctl "$1" peers --json)"
}

# joined6 NAME DEV: the same for ff02::fb.
joined6() {
  in_ns "$1" cat /proc/net/igmp6 | awk -v dev="$2" '
    $2 == dev && $3 == "ff0200000000000000000000000000fb" { found = 1 }
    END { exit !found }'
}

# listener_start TAG: the mDNS listener on b's wg0 (output in TAG.jsonl).
listener_start() {
  : >"$pn_tmp/$1.jsonl"
  ip netns exec "$PN_PREFIX-b" "$py" "$here/mdns_listen.py" wg0 "$pn_tmp/$1.jsonl" --timeout 600 --only-interface \
    >"$pn_tmp/$1.out" 2>"$pn_tmp/$1.err" </dev/null &
  pn_pids+=("$!")
  pid_listener=$!
  wait_for 10 "the listener to join 224.0.0.251 on b's wg0" joined b wg0
}
listener_stop() {
  kill -TERM "$pid_listener"
  wait "$pid_listener" 2>/dev/null || true
}

# host_toml NAME ADDR [SECTIONS]: NAME listens on its tunnel address only.
host_toml() {
  cat >"$pn_tmp/$1.toml" <<TOML
[daemon]
log_level = "debug"
[network]
listen = ["$2:7469"]
handshake_timeout = "2s"
$(network_toml)
[session]
ping_interval = "1s"
dead_after = "3s"
reconnect_min = "200ms"
reconnect_max = "2s"
[discovery]
mdns = true
instance = "host-$1"
${3:-}
TOML
}
host_toml a 198.19.0.1
host_toml b 198.19.0.2

# ---- 1: peernetd over the tunnel ----
pn_scenario=wireguard/1-tunnel
listener_start silent
t_listen=$(now)
rx0=$(wg_bytes b)
t0=$(now)
daemon_start a
daemon_start b
pair a b 198.19.0.2
pair b a 198.19.0.1
echo_start a
echo_start b
wait_call a b 30 "$t0"
measured "start_to_call_1" "$elapsed"
tunnel_session a b 198.19.0.2
tunnel_session b a 198.19.0.1
[ -e "$pn_tmp/b.reached" ] || fail "b's echo handle was not reached"
wait_call b a 30
rx=$(wg_bytes b)
[ "$rx" -gt "$rx0" ] || fail "b's wg0 received nothing from a ($rx0 -> $rx bytes): the call did not cross the tunnel"
echo "b's wg0 received $((rx - rx0)) bytes from a"

# ---- 2: restarts ----
pn_scenario=wireguard/2-restart
daemon_kill b KILL
wait_for 20 "a to see b gone" not_online a b
kill -TERM "$pid_echo_b" 2>/dev/null || true
wait "$pid_echo_b" 2>/dev/null || true
t0=$(now)
daemon_start b
echo_start b
wait_call a b 30 "$t0"
measured "restart_b_to_call" "$elapsed"
for run in 2 3; do
  for h in a b; do
    daemon_kill "$h" KILL
    eval "p=\$pid_echo_$h"
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  t0=$(now)
  daemon_start a
  daemon_start b
  echo_start a
  echo_start b
  wait_call a b 30 "$t0"
  measured "start_to_call_$run" "$elapsed"
  tunnel_session a b 198.19.0.2
tunnel_session b a 198.19.0.1
done

# ---- 2b: strangers again, paired by code with --addr at the tunnel ----
pn_scenario=wireguard/2-code
id_a=$(id_of a)
id_b=$(id_of b)
ctl a untrust "$id_b" >/dev/null || fail "a untrust b"
ctl b untrust "$id_a" >/dev/null || fail "b untrust a"
: >"$pn_tmp/pair-code.out"
ctl a pair --code --name b --window 60s --json >"$pn_tmp/pair-code.out" 2>"$pn_tmp/pair-code.err" </dev/null &
pid_window=$!
pn_pids+=("$pid_window")
wait_for 10 "a's pair --code to print its code" grep -q '"event":"code"' "$pn_tmp/pair-code.out"
code=$(head -n 1 "$pn_tmp/pair-code.out" | json_field code)
join_rc=0
timeout 30 "$peernetctl" --socket "$pn_tmp/b.sock" pair --code "$code" --name a --addr 198.19.0.1:7469 --json \
  >"$pn_tmp/join.out" 2>"$pn_tmp/join.err" </dev/null || join_rc=$?
[ "$join_rc" -eq 0 ] || fail "b's pair --code $code --addr 198.19.0.1:7469: exit $join_rc ($(cat "$pn_tmp/join.out" "$pn_tmp/join.err"))"
[ "$(tail -n 1 "$pn_tmp/join.out" | json_field id)" = "$id_a" ] || fail "b paired with another box: $(cat "$pn_tmp/join.out")"
window_rc=0
wait "$pid_window" || window_rc=$?
[ "$window_rc" -eq 0 ] || fail "a's pair --code: exit $window_rc ($(cat "$pn_tmp/pair-code.out" "$pn_tmp/pair-code.err"))"
wait_call a b 30
wait_call b a 30
tunnel_session a b 198.19.0.2

# ---- 3: no mDNS on wg0 ----
pn_scenario=wireguard/3-silent
# The listener keeps listening 3 s past the last start: a responder on wg0
# would announce itself at once and answer each of its queries (one a
# second) at once (4 shows how soon a listed wg0 is heard). The pairing
# window of 2b was announced (its nameplate) over mDNS too.
sleep "$(awk -v t="$(since "$t0")" 'BEGIN { s = 3 - t; printf "%.2f", (s > 0 ? s : 0) }')"
joined a eth0 || fail "a's peernetd did not join 224.0.0.251 on eth0 (is mDNS running?): $(in_ns a cat /proc/net/igmp)"
joined b eth0 || fail "b's peernetd did not join 224.0.0.251 on eth0 (is mDNS running?): $(in_ns b cat /proc/net/igmp)"
# (b's table lists the listener's membership on wg0: b is checked by it.)
joined a wg0 && fail "a's peernetd joined 224.0.0.251 on wg0: $(in_ns a cat /proc/net/igmp)"
joined6 a wg0 && fail "a's peernetd joined ff02::fb on wg0: $(in_ns a cat /proc/net/igmp6)"
kill -0 "$pid_listener" 2>/dev/null || fail "the listener on b's wg0 died: $(cat "$pn_tmp/silent.err")"
listener_stop
echo "the listener on b's wg0 listened for $(since "$t_listen") s"
[ -s "$pn_tmp/silent.jsonl" ] && fail "mDNS went onto wg0: $(head -c 2000 "$pn_tmp/silent.jsonl")"
[ -s "$pn_tmp/silent.err" ] && fail "the listener on b's wg0: $(cat "$pn_tmp/silent.err")"

# ---- 4: [discovery] interfaces = ["wg0"] puts mDNS on the tunnel ----
pn_scenario=wireguard/4-listed
daemon_kill a KILL
host_toml a 198.19.0.1 'interfaces = ["wg0"]'
listener_start listed
t0=$(now)
daemon_start a
wait_for 10 "a's peernetd to join 224.0.0.251 on wg0" joined a wg0
wait_for 10 "a's peernetd to join ff02::fb on wg0" joined6 a wg0
joined a eth0 && fail "a's peernetd joined 224.0.0.251 on eth0, which its interfaces do not name"
heard_a() {
  "$py" -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["src"] == "198.19.0.1" and m["qr"] and any(r[1] == "A" and r[2] == "198.19.0.1" for r in m["an"] + m["ar"]):
        sys.exit(0)
sys.exit(1)' "$pn_tmp/listed.jsonl"
}
wait_for 20 "the listener on b's wg0 to hear a announce 198.19.0.1" heard_a
measured "start_to_heard_on_wg0" "$(since "$t0")"
listener_stop

pn_scenario=wireguard
echo "ok"
