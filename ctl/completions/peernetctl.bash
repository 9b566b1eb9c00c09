# bash completion for peernetctl: verbs, each verb's options, and the
# trusted peers' aliases where a PEER goes, asked of the daemon through the
# hidden `peernetctl __complete` (which prints nothing when there is none).

_peernetctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local prog=${COMP_WORDS[0]} verb= verb_at=0 i
  local -a socket=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --socket)
        socket=(--socket "${COMP_WORDS[i + 1]}")
        ((i++))
        ;;
      -*) ;;
      *) if [ -z "$verb" ]; then verb=${COMP_WORDS[i]} verb_at=$i; fi ;;
    esac
  done

  case $prev in
    --socket)
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    --online | --allow)
      COMPREPLY=($(compgen -W "$("$prog" "${socket[@]}" __complete peers 2>/dev/null)" -- "$cur"))
      return
      ;;
    -e | --event)
      COMPREPLY=($(compgen -W "$("$prog" __complete events 2>/dev/null)" -- "$cur"))
      return
      ;;
  esac

  if [ -z "$verb" ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--socket --json --help --version" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$("$prog" __complete verbs 2>/dev/null)" -- "$cur"))
    fi
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$("$prog" __complete options "$verb" 2>/dev/null)" -- "$cur"))
    return
  fi
  # The first word after the verb.
  if [ $((COMP_CWORD - verb_at)) -eq 1 ]; then
    case $verb in
      call | send | chat | untrust | exec | doctor)
        COMPREPLY=($(compgen -W "$("$prog" "${socket[@]}" __complete peers 2>/dev/null)" -- "$cur"))
        ;;
      help)
        COMPREPLY=($(compgen -W "$("$prog" __complete verbs 2>/dev/null)" -- "$cur"))
        ;;
    esac
  fi
}
complete -F _peernetctl peernetctl
