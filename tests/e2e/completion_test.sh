#!/usr/bin/env bash
# The shell completions of peernetctl (ctl/completions/), against a real
# daemon that trusts one peer under the alias "laptop":
#
#   bash  parses (bash -n), registers `complete -F _peernetctl peernetctl`,
#         and COMPREPLY is right for verbs, options, a PEER and --socket;
#   zsh   parses (zsh -n) and compinit finds _peernetctl on $fpath;
#   fish  parses (fish -n), and `complete -C` completes verbs and a PEER.
#
# zsh and fish are in scripts/dev's packages; a missing one fails the test.
#
#   completion_test.sh PATH/TO/peernetd PATH/TO/peernetctl PATH/TO/ctl/completions
set -euo pipefail

peernetd=$(realpath "$1")
peernetctl=$(realpath "$2")
comp=$(realpath "$3")
here=$(dirname "$(realpath "$0")")
# shellcheck source=lib.sh
. "$here/lib.sh"
e2e_init completion

for sh in zsh fish; do command -v "$sh" >/dev/null || fail "$sh is not installed (scripts/dev deps installs it)"; done

# The completions call the program by the name typed: peernetctl on PATH.
mkdir -p "$tmp/bin"
ln -s "$peernetctl" "$tmp/bin/peernetctl"
export PATH="$tmp/bin:$PATH"

start_daemon a
wait_daemon a
export PEERNET_SOCKET="$tmp/run/a.sock"
laptop=LJQWQ33-WPWCIXS-EUZUCT2-5NN4YP6-FNDWG74-3W7J6YB-CBEIBOH-RFFQZQS
peernetctl pair "$laptop" --name laptop >/dev/null
[ "$(peernetctl __complete peers)" = laptop ] || fail "__complete peers: $(peernetctl __complete peers)"
# No daemon: nothing, and no error.
out=$(peernetctl --socket "$tmp/none.sock" __complete peers 2>&1) || fail "__complete peers failed without a daemon"
[ -z "$out" ] || fail "__complete peers without a daemon printed: $out"

# ---- bash
bash -n "$comp/peernetctl.bash" || fail "bash -n"
# reply WORDS...: COMPREPLY, sorted, for the command line WORDS (the last
# one being completed).
cat >"$tmp/bash-reply.sh" <<'SH'
. "$1"
shift
complete -p peernetctl
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_peernetctl
printf 'reply: '
[ "${#COMPREPLY[@]}" -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
echo
SH
reply() { bash "$tmp/bash-reply.sh" "$comp/peernetctl.bash" "$@" | sed -n 's/^reply: //p'; }
registered=$(bash "$tmp/bash-reply.sh" "$comp/peernetctl.bash" peernetctl "" | sed -n 1p)
[ "$registered" = "complete -F _peernetctl peernetctl" ] || fail "bash: registered as: $registered"
check() {  # check WANT WORDS...
  local want=$1 got
  shift
  got=$(reply "$@")
  [ "$got" = "$want" ] || fail "bash: '$*<TAB>' gives '$got', expected '$want'"
}
check "peers " peernetctl pe
check "list listen " peernetctl li
check "pair " peernetctl pa
check "events " peernetctl --json ev
check "laptop " peernetctl call ""
check "laptop " peernetctl --socket "$PEERNET_SOCKET" chat la
check "--event " peernetctl events --ev
check "peer.down " peernetctl events --event peer.do
check "--online " peernetctl wait --on
check "laptop " peernetctl wait --online l
check "" peernetctl call laptop ""
check "untrust " peernetctl help unt
check "--socket " peernetctl --so
[ "$(reply peernetctl --socket "$tmp/run/a.s")" = "$tmp/run/a.sock " ] || fail "bash: --socket does not complete files"

# ---- zsh
zsh -n "$comp/_peernetctl" || fail "zsh -n"
mkdir -p "$tmp/zfunc"
cp "$comp/_peernetctl" "$tmp/zfunc/"
out=$(HOME="$tmp/home" zsh -f -c '
fpath=("$1" $fpath)
autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"
print -r -- "${_comps[peernetctl]}"
autoload -Uz _peernetctl && whence -w _peernetctl' zsh "$tmp/zfunc" 2>&1) || fail "zsh: compinit failed: $out"
[ "$out" = "_peernetctl
_peernetctl: function" ] || fail "zsh: compinit did not register _peernetctl: $out"

# ---- fish
fish -n "$comp/peernetctl.fish" || fail "fish -n"
fish_complete() { HOME="$tmp/home" fish --no-config -c "source $comp/peernetctl.fish; complete -C '$1'" | cut -f1 | sort | tr '\n' ' '; }
got=$(fish_complete 'peernetctl pe')
[ "$got" = "peers " ] || fail "fish: 'peernetctl pe' gives '$got'"
got=$(fish_complete 'peernetctl call ')
[ "$got" = "laptop " ] || fail "fish: 'peernetctl call ' gives '$got'"
got=$(fish_complete 'peernetctl events --ev')
[ "$got" = "--event " ] || fail "fish: 'peernetctl events --ev' gives '$got'"

echo "ok"
