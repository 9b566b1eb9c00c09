#!/usr/bin/env bash
# libpeernet-client as an application sees it, installed:
#
#   1. `meson install --destdir` of the build; the library's soname carries
#      the ABI version, it exports only the API of include/peernet/ (nm -D),
#      and the installed headers include nothing but <standard headers> and
#      each other (no proto/, no msgpack);
#   2. tests/clients/client_program.cpp, compiled OUT of the tree with
#      nothing but `pkg-config --cflags --libs peernet-client` from the
#      installed tree (and LD_LIBRARY_PATH to run it), serves handles on
#      daemon b from its own poll() loop and calls them through daemon a,
#      and sees a's session go down and up as b's trust list changes;
#   3. peernetctl is linked against the library (ldd), and works through it.
#
#   clients_cpp_test.sh MESON BUILD_DIR PATH/TO/peernetd PATH/TO/peernetctl PROGRAM.cpp
#
# meson passes the install directories as PREFIX, LIBDIR, INCLUDEDIR,
# BINDIR (absolute, or relative to PREFIX).
set -euo pipefail

MESON=$1 BUILD_DIR=$(realpath "$2")
peernetd=$(realpath "$3")
peernetctl=$(realpath "$4")
program=$(realpath "$5")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init clients-cpp

abs() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PREFIX" "$1" ;; esac; }
libdir=$(abs "$LIBDIR") includedir=$(abs "$INCLUDEDIR") bindir=$(abs "$BINDIR")

# --- 1. the installed library ---------------------------------------------
dest=$tmp/dest
"$MESON" install -C "$BUILD_DIR" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
  fail "meson install --destdir"
lib=$dest$libdir/libpeernet-client.so
[ -f "$dest$libdir/libpeernet-client.so.0" ] || fail "no libpeernet-client.so.0 in $dest$libdir"
[ -e "$lib" ] || fail "no libpeernet-client.so (the link-time name) in $dest$libdir"
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libpeernet-client.so.0 ] || fail "soname is '$soname'"
[ -f "$dest$libdir/pkgconfig/peernet-client.pc" ] || fail "no peernet-client.pc"

# Exported: the API and nothing else. Every defined dynamic symbol is in
# namespace peernet, minus the internal namespaces, or is ClientError's
# typeinfo and vtable, or the version node.
nm -D --defined-only "$lib" | c++filt >"$tmp/exports.log"
[ -s "$tmp/exports.log" ] || fail "nm -D shows nothing"
bad=$(awk '{ $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$tmp/exports.log" | grep -vE \
  '^(peernet::(Client|ClientError)::|peernet::(msgpack_from_json|json_from_msgpack|resolve_socket_path|version)|(typeinfo|typeinfo name|vtable) for peernet::ClientError@|PEERNET_CLIENT_0$)' || true)
[ -z "$bad" ] || fail "the library exports more than the API: $bad"
grep -qE 'peernet::(ctl|control)::|msgpack::|nlohmann|peernet::Noise|EVP_' "$tmp/exports.log" && fail "internal symbols exported"
for want in 'peernet::Client::connect(' 'peernet::Client::call(' 'peernet::Client::process(' \
  'peernet::Client::fd()' 'peernet::json_from_msgpack' 'typeinfo for peernet::ClientError'; do
  grep -qF "$want" "$tmp/exports.log" || fail "not exported: $want"
done
# The public headers stand alone: standard headers and each other only.
headers=$(find "$dest$includedir/peernet" -name '*.hpp' | sort)
[ -n "$headers" ] || fail "no headers in $dest$includedir/peernet"
includes=$(grep -h '^#include' $headers | sort -u)
bad=$(printf '%s\n' "$includes" | grep -vE '^#include (<[a-z_]+>|"peernet/[a-z_]+\.hpp")$' || true)
[ -z "$bad" ] || fail "the public headers include: $bad"

# --- 2. an application built out of the tree ------------------------------
# PKG_CONFIG_SYSROOT_DIR maps the .pc's installed paths into the DESTDIR, as
# for any staged install.
flags=$(PKG_CONFIG_PATH="$dest$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest" \
  pkg-config --cflags --libs peernet-client) || fail "pkg-config peernet-client"
echo "$flags" >"$tmp/pkg-config.log"
mkdir "$tmp/app"
cp "$program" "$tmp/app/main.cpp"
# A sanitizer build's library needs its runtime loaded first: the
# application is built with the same sanitizers then.
san=()
# (Outputs are read whole before grep -q, which may stop reading early:
# with pipefail, the writer's SIGPIPE would fail the check.)
needed=$(readelf -d "$lib")
if grep -q 'NEEDED.*libasan' <<<"$needed"; then san=(-fsanitize=address,undefined); fi
# C++17: the API asks no more of an application.
# shellcheck disable=SC2086  # $flags is a list of compiler arguments
(cd "$tmp/app" && c++ -std=c++17 -Wall -Wextra -Werror -pthread "${san[@]}" main.cpp $flags -o app) \
  >"$tmp/app_build.log" 2>&1 || fail "building the application: $(cat "$tmp/app_build.log")"

read -r port_a port_b < <(free_ports 2)
write_config a "$port_a"
write_config b "$port_b"
start_daemon a
start_daemon b
wait_daemon a
wait_daemon b
pair a b "$port_b"
LD_LIBRARY_PATH="$dest$libdir" timeout 120 "$tmp/app/app" "$tmp/run/a.sock" "$tmp/run/b.sock" b a "127.0.0.1:$port_a" \
  >"$tmp/app.out" 2>"$tmp/app.err" || fail "the application failed"
[ "$(cat "$tmp/app.out")" = ok ] || fail "the application printed: $(cat "$tmp/app.out")"
loaded=$(LD_LIBRARY_PATH="$dest$libdir" ldd "$tmp/app/app")
grep -qF "$dest$libdir/libpeernet-client.so.0" <<<"$loaded" ||
  fail "the application did not load the installed library: $loaded"

# --- 3. peernetctl links it -------------------------------------------------
loaded=$(ldd "$peernetctl")
grep -q 'libpeernet-client\.so\.0 => /' <<<"$loaded" || fail "peernetctl: $loaded"
loaded=$(LD_LIBRARY_PATH="$dest$libdir" ldd "$dest$bindir/peernetctl")
grep -qF "$dest$libdir/libpeernet-client.so.0" <<<"$loaded" ||
  fail "the installed peernetctl does not load the installed library: $loaded"
# Its socket comes through the library: $PEERNET_SOCKET, and --socket first.
[ "$(PEERNET_SOCKET="$tmp/run/b.sock" LD_LIBRARY_PATH="$dest$libdir" "$dest$bindir/peernetctl" id -q)" = "$(id_of b)" ] ||
  fail "peernetctl with PEERNET_SOCKET"
[ "$(PEERNET_SOCKET="$tmp/run/b.sock" "$peernetctl" --socket "$tmp/run/a.sock" id -q)" = "$(id_of a)" ] ||
  fail "peernetctl --socket"
echo "ok"
