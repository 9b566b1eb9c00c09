# Sourced by the install and unit tests: installs the build into a
# temporary DESTDIR and knows where each installed file should be.
#
# The caller sets, before sourcing: MESON (the meson program), BUILD_DIR,
# and the install directories meson passes as environment: PREFIX,
# SBINDIR, BINDIR, SYSCONFDIR, MANDIR, DATADIR, UNITDIR, USERUNITDIR, SYSUSERSDIR (absolute, or
# relative to PREFIX as meson's options are).

# abs DIR: the directory as an absolute path under the prefix.
abs() {
  case "$1" in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$PREFIX" "$1" ;;
  esac
}

sbindir=$(abs "$SBINDIR")
bindir=$(abs "$BINDIR")
sysconfdir=$(abs "$SYSCONFDIR")
mandir=$(abs "$MANDIR")
datadir=$(abs "$DATADIR")
unitdir=$(abs "$UNITDIR")
userunitdir=$(abs "$USERUNITDIR")
sysusersdir=$(abs "$SYSUSERSDIR")
unit_path="$unitdir/peernetd.service"
user_unit_path="$userunitdir/peernetd.service"

# install_into DEST: `meson install --destdir DEST` of the current build,
# quietly; its output is shown only when it fails.
install_into() {
  local log
  log=$(mktemp)
  if ! "$MESON" install -C "$BUILD_DIR" --destdir "$1" --no-rebuild --quiet >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "FAIL: meson install --destdir $1" >&2
    exit 1
  fi
  rm -f "$log"
}
