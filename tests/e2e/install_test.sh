#!/usr/bin/env bash
# `meson install --destdir` puts every file where it belongs, with sane
# modes, and nothing else; the units' ExecStart= and --config name files
# of the installed tree, with no option that does nothing; the units' man
# pages are installed; installing again keeps an edited config.
#
#   install_test.sh MESON BUILD_DIR   (install directories in the
#                                      environment: see install_tree.sh;
#                                      EXPECT_PEERNETCTL=1 when ctl/
#                                      installs peernetctl)
set -euo pipefail

MESON=$1
BUILD_DIR=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
# shellcheck source=install_tree.sh
. "$here/install_tree.sh"

tmp=$(mktemp -d /tmp/peernet-e2e-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/dest"
fail() { echo "FAIL: $*" >&2; echo "--- installed tree:" >&2; (cd "$dest" && find . -printf '%m %p\n' | sort) >&2; exit 1; }

install_into "$dest"

# 1. Each file, as a regular file with its mode.
expect() {  # expect MODE PATH
  local f="$dest$2"
  [ -f "$f" ] && [ ! -L "$f" ] || fail "missing: $2"
  [ "$(stat -c %a "$f")" = "$1" ] || fail "$2 has mode $(stat -c %a "$f"), expected $1"
}
expect 755 "$sbindir/peernetd"
if [ "${EXPECT_PEERNETCTL:-0}" = 1 ]; then expect 755 "$bindir/peernetctl"; fi
expect 644 "$sysconfdir/peernet/peernetd.toml"
expect 644 "$sysconfdir/peernet/peernetd.toml.default"
expect 644 "$unit_path"
expect 644 "$user_unit_path"
expect 644 "$sysusersdir/peernet.conf"
expect 644 "$mandir/man8/peernetd.8"
expect 644 "$mandir/man5/peernetd.toml.5"
expect 644 "$mandir/man1/peernetctl.1"
if [ "${EXPECT_PEERNETCTL:-0}" = 1 ]; then
  expect 644 "$datadir/bash-completion/completions/peernetctl"
  expect 644 "$datadir/zsh/site-functions/_peernetctl"
  expect 644 "$datadir/fish/vendor_completions.d/peernetctl.fish"
fi

# 2. The tree is exactly what meson means to install: every destination
# listed by `meson introspect --installed` exists, and nothing else does
# but the config, which the install script copies from its .default.
"$MESON" introspect "$BUILD_DIR" --installed >"$tmp/installed.json"
/usr/bin/python3 - "$tmp/installed.json" "$dest" "$sysconfdir/peernet/peernetd.toml" <<'PY' || fail "installed tree differs from meson's list"
import json, os, sys
listed = set(json.load(open(sys.argv[1])).values()) | {sys.argv[3]}
dest = sys.argv[2]
found = set()
for root, dirs, files in os.walk(dest):
    for name in files:
        found.add(os.path.join(root, name)[len(dest):])
ok = True
for p in sorted(listed - found):
    print("not installed:", p, file=sys.stderr); ok = False
for p in sorted(found - listed):
    print("unexpected file:", p, file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
PY

# 3. Nothing writable by group or others, no set-id bits, directories 0755.
# (A symbolic link's own mode is always 0777 and means nothing: the
# library's libpeernet-client.so and .so.0 are links to the file checked.)
bad=$(find "$dest" ! -type l \( -perm /022 -o -perm /6000 \) -printf '%m %p\n')
[ -z "$bad" ] || fail "writable by others or set-id: $bad"
bad=$(find "$dest" -type d ! -perm 755 -printf '%m %p\n')
[ -z "$bad" ] || fail "directories not 0755: $bad"

# The config is the default, as shipped.
cmp -s "$dest$sysconfdir/peernet/peernetd.toml" "$dest$sysconfdir/peernet/peernetd.toml.default" ||
  fail "the installed peernetd.toml is not peernetd.toml.default"

# 4. The unit names the installed binary and config (in system mode), with every
# placeholder filled in.
unit="$dest$unit_path"
! grep -n '@[a-z_]*@' "$unit" || fail "unsubstituted placeholder in the unit"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ -n "$exec_start" ] || fail "no ExecStart= in the unit"
read -r -a argv <<<"$exec_start"
[ "${argv[0]}" = "$sbindir/peernetd" ] || fail "ExecStart runs ${argv[0]}, not $sbindir/peernetd"
[ -x "$dest${argv[0]}" ] || fail "ExecStart binary ${argv[0]} is not in the installed tree"
# System mode (--system) names the state directory and the socket, which
# the unit's StateDirectory= and RuntimeDirectory= create, and the config
# /etc/peernet/peernetd.toml; --config only where the install put it
# elsewhere.
config=/etc/peernet/peernetd.toml system=
for ((i = 1; i < ${#argv[@]}; i++)); do
  case ${argv[i]} in
    --system) system=1 ;;
    --config) config=${argv[i + 1]} ;;
    --state-dir | --socket | --user) fail "ExecStart names ${argv[i]}, which --system makes unnecessary" ;;
    -f | --foreground) fail "ExecStart names ${argv[i]}, which does nothing" ;;
  esac
done
[ -n "$system" ] || fail "ExecStart does not run peernetd --system"
[ "$config" = "$sysconfdir/peernet/peernetd.toml" ] || fail "ExecStart's config is '$config'"
[ -f "$dest$config" ] || fail "ExecStart's config $config is not in the installed tree"
# The installed binary accepts the unit's options (--help stops after parsing).
"$dest${argv[0]}" "${argv[@]:1}" --help >/dev/null || fail "the installed peernetd refuses the unit's options"

# The config the docs name is the one the unit reads: /etc/peernet unless
# the build chose another sysconfdir.
if [ "$sysconfdir" = /etc ]; then
  [ "$config" = /etc/peernet/peernetd.toml ] || fail "ExecStart's config is not /etc/peernet/peernetd.toml"
fi

# The user unit: the installed binary in user mode, and nothing else.
user_unit="$dest$user_unit_path"
! grep -n '@[a-z_]*@' "$user_unit" || fail "unsubstituted placeholder in the user unit"
[ "$(sed -n 's/^ExecStart=//p' "$user_unit")" = "$sbindir/peernetd --user" ] ||
  fail "the user unit's ExecStart= is not '$sbindir/peernetd --user'"
grep -q '^WantedBy=default.target$' "$user_unit" || fail "the user unit is not wanted by default.target"
"$dest$sbindir/peernetd" --user --help >/dev/null || fail "the installed peernetd refuses --user"

# 5. Every man page the units' Documentation= names is installed.
for page in $(sed -n 's/^Documentation=//p' "$unit" "$user_unit"); do
  [[ "$page" =~ ^man:([a-z.]+)\(([0-9])\)$ ]] || fail "unexpected Documentation= entry $page"
  [ -f "$dest$mandir/man${BASH_REMATCH[2]}/${BASH_REMATCH[1]}.${BASH_REMATCH[2]}" ] ||
    fail "Documentation= names $page, which is not installed"
done

# 6. Installing again keeps an edited config and refreshes the default.
config_file="$dest$sysconfdir/peernet/peernetd.toml"
printf '\n# edited by the administrator\n[daemon]\nlog_level = "debug"\n' >>"$config_file"
cp "$config_file" "$tmp/edited.toml"
echo "# stale" >>"$dest$sysconfdir/peernet/peernetd.toml.default"
install_into "$dest"
cmp -s "$config_file" "$tmp/edited.toml" || fail "a second install changed the edited peernetd.toml"
cmp -s "$dest$sysconfdir/peernet/peernetd.toml.default" "$here/../../etc/peernetd.toml" ||
  fail "a second install did not refresh peernetd.toml.default"
# Removed, it comes back from the default.
rm "$config_file"
install_into "$dest"
cmp -s "$config_file" "$here/../../etc/peernetd.toml" || fail "a removed peernetd.toml was not installed again"

echo "ok"
