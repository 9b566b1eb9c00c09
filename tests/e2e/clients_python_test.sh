#!/usr/bin/env bash
# The peernet Python package (clients/python) against two paired peernetd
# processes on loopback:
#
#   1. clients_python_test.py, with the package from the source tree
#      (PYTHONPATH): the blocking Client and the AsyncClient, across the
#      two daemons (expose, call, send, events, typed errors, a handler that
#      raises -> handler_failed, streamed sends and their drop records);
#      the default socket, as peernetctl picks it; a Client(reconnect=True)
#      serving across a restart of its daemon;
#   2. `pip install --no-build-isolation` of a copy of clients/python into a
#      fresh `python3 -m venv --system-site-packages` venv of Debian's
#      /usr/bin/python3 (no package index: msgpack and setuptools come from
#      Debian), then examples/python/echo_service.py and async_example.py
#      run with the venv's python, which imports the installed package.
#
#   clients_python_test.sh PATH/TO/peernetd PATH/TO/peernetctl SOURCE_ROOT
#
# Without python3-msgpack the script skips (77); without python3-venv,
# python3-pip or python3-setuptools (scripts/dev installs them) part 2
# fails, saying which is missing.
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
src=$(realpath "$3")
py=/usr/bin/python3
if ! "$py" -c 'import msgpack' 2>/dev/null; then
  echo "python3-msgpack is not installed; skipping"
  exit 77
fi

here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init clients-python

read -r port_a port_b < <(free_ports 2)
write_config a "$port_a"
write_config b "$port_b"
start_daemon a
start_daemon b
wait_daemon a
wait_daemon b
pair a b "$port_b"
sock_a=$tmp/run/a.sock sock_b=$tmp/run/b.sock

# --- 1. the package from the source tree ---------------------------------------
PYTHONPATH="$src/clients/python" PEERNET_SOCKET="$sock_a" timeout 300 "$py" "$here/clients_python_test.py" \
  "$sock_a" "$sock_b" "$(id_of a)" "$(id_of b)" "$port_a" >"$tmp/py.out" 2>"$tmp/py.err" ||
  fail "clients_python_test.py failed"
has py.out "blocking: ok" || fail "blocking part did not finish"
has py.out "asyncio: ok" || fail "asyncio part did not finish"
has py.out "streaming: ok" || fail "streaming part did not finish"
has py.out "async streaming: ok" || fail "async streaming part did not finish"

# Without $PEERNET_SOCKET the package picks the socket peernetctl (through
# libpeernet-client) picks: here the user-mode socket under
# $XDG_RUNTIME_DIR (lib.sh points it into $tmp), a link to a's.
mkdir -p "$XDG_RUNTIME_DIR/peernet"
ln -s "$sock_a" "$XDG_RUNTIME_DIR/peernet/peernetd.sock"
py_default() {
  env -u PEERNET_SOCKET PYTHONPATH="$src/clients/python" "$py" -c "import peernet
$1"
}
py_path=$(py_default 'print(peernet.default_socket_path())')
py_id=$(py_default 'print(peernet.Client().identity()["id"])') || fail "Client() on the default socket"
ctl_id=$(env -u PEERNET_SOCKET "$peernetctl" id -q) || fail "peernetctl on the default socket"
[ "$py_id" = "$ctl_id" ] || fail "the package reached $py_id at $py_path, peernetctl $ctl_id"
if [ ! -e /run/peernet/peernetd.sock ]; then  # else root's first choice is that daemon, for both
  [ "$py_path" = "$XDG_RUNTIME_DIR/peernet/peernetd.sock" ] || fail "default socket: $py_path"
  [ "$py_id" = "$(id_of a)" ] || fail "the default socket did not reach a"
fi
[ "$(env PEERNET_SOCKET="$sock_b" PYTHONPATH="$src/clients/python" "$py" -c 'import peernet; print(peernet.default_socket_path())')" = "$sock_b" ] ||
  fail "default_socket_path ignores \$PEERNET_SOCKET"

# Client(reconnect=True) outlives a restart of its daemon: it connects
# again, exposes its handle again and subscribes again.
cat >"$tmp/reconnecting.py" <<'PY'
import peernet

p = peernet.Client(reconnect=True, reconnect_interval=0.2)


@p.expose("again")
def again(args, peer):
    return args


p.subscribe(["peer.up"])
print("serving", flush=True)
for ev in p.events(None):
    print(ev.kind, ev.name, flush=True)
PY
PYTHONPATH="$src/clients/python" PEERNET_SOCKET="$sock_b" "$py" "$tmp/reconnecting.py" \
  >"$tmp/reconnecting.out" 2>"$tmp/reconnecting.err" </dev/null &
track "$!"
pid_reconnecting=$!
wait_for 15 "reconnecting.py" has reconnecting.out serving
[ "$(ctl a call b again 1)" = 1 ] || fail "call before the restart"
stop_daemon b
start_daemon b
wait_daemon b 1
wait_for 30 "a to call 'again' on the restarted b" eval '[ "$(ctl a call b again 2 2>/dev/null)" = 2 ]'
# That answer came after the subscription was restored too (the client
# subscribes again before it serves, and prints an event before it answers
# a call that came after it): a's session going down and up shows.
ups=$(count reconnecting.out "peer.up a")
ctl b untrust a >/dev/null
ctl b pair "$(id_of a)" --name a --addr "127.0.0.1:$port_a" >/dev/null
wait_for 30 "peer.up on the restored subscription" eval '[ "$(count reconnecting.out "peer.up a")" -gt "$ups" ]'
alive "$pid_reconnecting" || fail "reconnecting.py ended"
has reconnecting.err "connecting again" || fail "reconnecting.py did not say it reconnected"

# --- 2. installed into a venv --------------------------------------------------
"$py" -c 'import ensurepip' 2>/dev/null || fail "python3-venv is not installed (scripts/dev deps)"
"$py" -m venv --system-site-packages "$tmp/venv" >"$tmp/venv.log" 2>&1 || fail "python3 -m venv"
venv_py=$tmp/venv/bin/python3
# pip builds in the source directory; build a copy, so the tree stays clean.
cp -r "$src/clients/python" "$tmp/pkg"
rm -rf "$tmp/pkg/build" "$tmp/pkg"/*.egg-info
"$venv_py" -m pip install --no-build-isolation --no-index --no-cache-dir "$tmp/pkg" >"$tmp/pip.log" 2>&1 ||
  fail "pip install --no-build-isolation"
# The venv's python finds the installed package, not a source tree.
where=$(cd "$tmp" && env -u PYTHONPATH "$venv_py" -c 'import peernet; print(peernet.__file__)')
case $where in
  "$tmp/venv/"*) ;;
  *) fail "the venv imports peernet from $where" ;;
esac
"$venv_py" -m pip show peernet >"$tmp/pip_show.log" 2>&1 || fail "pip show peernet"
grep -q '^Requires: msgpack' "$tmp/pip_show.log" || fail "peernet does not require msgpack: $(cat "$tmp/pip_show.log")"

env -u PYTHONPATH PEERNET_SOCKET="$sock_b" "$venv_py" "$src/examples/python/echo_service.py" \
  >"$tmp/echo.log" 2>&1 </dev/null &
track "$!"
wait_for 15 "echo_service.py" has echo.log 'serving "echo"'
(cd "$tmp" && env -u PYTHONPATH PEERNET_SOCKET="$sock_a" timeout 60 "$venv_py" "$src/examples/python/async_example.py" b) \
  >"$tmp/async_example.out" 2>&1 || fail "async_example.py failed"
[ "$(head -n 1 "$tmp/async_example.out")" = '{"text": "hi"}' ] ||
  fail "async_example.py printed: $(cat "$tmp/async_example.out")"
echo "ok"
