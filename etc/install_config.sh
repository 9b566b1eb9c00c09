#!/bin/sh
# meson install script: DIR/peernetd.toml from DIR/peernetd.toml.default,
# only when there is no peernetd.toml yet (under $DESTDIR, if set), so that
# an installed and edited config is never overwritten.
#
#   install_config.sh DIR
set -eu
dir="${DESTDIR:-}$1"
if [ -e "$dir/peernetd.toml" ] || [ -L "$dir/peernetd.toml" ]; then
  echo "Keeping $1/peernetd.toml (the new defaults are in $1/peernetd.toml.default)"
  exit 0
fi
cp "$dir/peernetd.toml.default" "$dir/peernetd.toml.tmp"
chmod 644 "$dir/peernetd.toml.tmp"
mv "$dir/peernetd.toml.tmp" "$dir/peernetd.toml"
echo "Installing $1/peernetd.toml (from peernetd.toml.default)"
