# fish completion for peernetctl: verbs, each verb's options, and the
# trusted peers' aliases where a PEER goes, asked of the daemon through the
# hidden `peernetctl __complete` (which prints nothing when there is none).

# The verb on the command line so far, if any.
function __peernetctl_verb
    set -l words (commandline -opc)
    set -e words[1]
    while set -q words[1]
        switch $words[1]
            case --socket
                set -e words[1]
            case '-*'
            case '*'
                echo $words[1]
                return 0
        end
        set -e words[1]
    end
    return 1
end

# The words after the verb: 0 while the first one is being typed.
function __peernetctl_args_after_verb
    set -l words (commandline -opc)
    set -l verb (__peernetctl_verb)
    set -l seen 0
    set -l n 0
    for w in $words[2..-1]
        if test $seen -eq 1
            set n (math $n + 1)
        else if test "$w" = "$verb"
            set seen 1
        end
    end
    echo $n
end

function __peernetctl_peers
    set -l words (commandline -opc)
    set -l socket
    if set -l i (contains -i -- --socket $words)
        set socket --socket $words[(math $i + 1)]
    end
    peernetctl $socket __complete peers 2>/dev/null
end

complete -c peernetctl -f
complete -c peernetctl -l socket -r -F -d 'Control socket'
complete -c peernetctl -l json -d 'Print JSON (one document per line)'
complete -c peernetctl -n 'not __peernetctl_verb' -a '(peernetctl __complete verbs 2>/dev/null)'
complete -c peernetctl -n '__peernetctl_verb; and string match -q -- "-*" (commandline -ct)' -a '(peernetctl __complete options (__peernetctl_verb) 2>/dev/null)'
complete -c peernetctl -n 'contains -- (__peernetctl_verb) call send chat untrust exec doctor; and test (__peernetctl_args_after_verb) -eq 0' -a '(__peernetctl_peers)'
complete -c peernetctl -n 'contains -- (__peernetctl_verb) help; and test (__peernetctl_args_after_verb) -eq 0' -a '(peernetctl __complete verbs 2>/dev/null)'
complete -c peernetctl -l online -x -a '(__peernetctl_peers)' -d 'Peer to wait for'
complete -c peernetctl -l allow -x -a '(__peernetctl_peers)' -d 'Peer allowed to call'
complete -c peernetctl -s e -l event -x -a '(peernetctl __complete events 2>/dev/null)' -d 'Peer event'
