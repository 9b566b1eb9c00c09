#!/usr/bin/env bash
# Calls under 10 % random packet loss both ways: every call ends exactly
# once at the caller (its own result, or an error), and no call runs twice
# at the handler.
#
#    pn-<pid>-a  198.18.0.1 --+   nft in a: numgen random mod 10 == 0 drop
#                             br0              (input and output)
#    pn-<pid>-b  198.18.0.2 --+   serves "count": logs each invocation's token
#
# a makes COUNT calls over one control connection, WINDOW in flight, each
# call and reply about PAD bytes so that every one takes its own packets
# (tests/netns/load_client.py checks that each request is answered once,
# with its own token or an error). b's handler appends each call's token to
# a log; afterwards no token is there twice, and every call a saw succeed is
# there exactly once. Sessions may drop and come back meanwhile (TCP may
# stall past dead_after under loss); that only turns calls into errors.
#
#   loss_test.sh PEERNETD PEERNETCTL   (root; exits 77 otherwise)
. "$(dirname "$0")/lib.sh"
netns_init loss "$@"
command -v nft >/dev/null || fail "nftables (nft) is not installed"
"$py" -c 'import msgpack' 2>/dev/null || skip "python3-msgpack is not installed"
load=$(dirname "$(realpath "$0")")/load_client.py
COUNT=2000 WINDOW=4 TIMEOUT=5 PAD=1400

hosts_up static a b
wait_call a b 20
"$py" "$load" counter "$pn_tmp/b.sock" count "$pn_tmp/count.log" \
  >"$pn_tmp/counter.out" 2>"$pn_tmp/counter.err" </dev/null &
pn_pids+=("$!")
wait_for 10 "b's counting handle" grep -q ready "$pn_tmp/counter.out"

in_ns a nft -f - <<NFT
table inet pn_partition {
  chain input { type filter hook input priority 0; numgen random mod 10 == 0 counter drop; }
  chain output { type filter hook output priority 0; numgen random mod 10 == 0 counter drop; }
}
NFT

t0=$(now)
summary=$(timeout 50 "$py" "$load" calls "$pn_tmp/a.sock" b count "$COUNT" "$WINDOW" "$TIMEOUT" \
  "$pn_tmp/outcomes.log" "$PAD" 2>"$pn_tmp/calls.err") || fail "the caller did not finish: $(cat "$pn_tmp/calls.err")"
measured "calls_under_loss" "$(since "$t0")"
echo "calls: $summary"
# The rules did drop packets, in both directions.
drops=$(in_ns a nft list table inet pn_partition | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | tr '\n' ' ')
echo "dropped packets (in, out): $drops"
for n in $drops; do [ "$n" -gt 0 ] || fail "no packet was dropped in one direction ($drops)"; done
[ "$(echo $drops | wc -w)" -eq 2 ] || fail "cannot read the drop counters"
heal a

"$py" - "$summary" "$COUNT" "$pn_tmp/outcomes.log" "$pn_tmp/count.log" <<'PY' || fail "calls under loss broke a rule (above)"
import collections, json, sys
s = json.loads(sys.argv[1])
count = int(sys.argv[2])
bad = []
if s["duplicate"]: bad.append(f"{s['duplicate']} calls answered twice")
if s["wrong"]: bad.append(f"{s['wrong']} answers to no call, or with another call's result")
if s["missing"]: bad.append(f"{s['missing']} calls never answered")
answered = s["ok"] + sum(s["errors"].values())
if answered != count: bad.append(f"{answered} answers for {count} calls")
outcomes = [l.split() for l in open(sys.argv[3])]
per_token = collections.Counter(o[1] for o in outcomes)
if len(per_token) != count or max(per_token.values()) != 1:
    bad.append("the outcomes log does not hold each call exactly once")
runs = collections.Counter(l.strip() for l in open(sys.argv[4]))
twice = [t for t, n in runs.items() if n > 1]
if twice: bad.append(f"ran twice at the handler: {twice[:5]}")
unseen = [o[1] for o in outcomes if o[0] == "ok" and runs[o[1]] != 1]
if unseen: bad.append(f"succeeded without running once at the handler: {unseen[:5]}")
# Loss slows calls down; it must not stop them all.
if s["ok"] < count // 4: bad.append(f"only {s['ok']} of {count} calls succeeded")
print(f"measured: loss calls_ok {s['ok']} errors {json.dumps(s['errors'])} handler_runs {sum(runs.values())}")
for b in bad: print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
wait_call a b 30
echo "ok"
