#!/usr/bin/env bash
# bench_live_pair.sh: two sipscope binaries capture the same SIP burst at once, for a paired
# comparison of their CPU per message.
#
# Usage (as root): scripts/bench_live_pair.sh OLD NEW [RATE [SECS [ROUNDS]]]
#
# On this 2-core machine, shared with other work, the CPU per message of one binary at one rate
# wanders by 2x between runs minutes apart (docs/performance-live.md, session 6), so sequential
# runs cannot tell a 20 % change. Here both binaries run side by side on each burst (the sender
# is examples/sip_burst.rs on loopback, as in bench_live.sh), so both see the same load; each
# round alternates which one starts first. Prints, per round, each one's CPU (schedstat, all
# threads, from just before the burst to 2 s after) per 100,000 messages it took in, its loss
# and voluntary context switches, and NEW/OLD. Defaults: RATE 10000, SECS 5, ROUNDS 4.
#
# Environment: SENDER (default target/release/examples/sip_burst, built when missing).
# Exits 3 when a tool is missing, 2 when not root.

set -euo pipefail

prog=$(basename "$0")
repo=$(cd "$(dirname "$0")/.." && pwd)
die() {
    echo "$prog: $1" >&2
    exit "${2:-1}"
}
(($# >= 2)) || die "usage: $prog OLD NEW [RATE [SECS [ROUNDS]]]" 2
old=$1 new=$2 rate=${3:-10000} secs=${4:-5} rounds=${5:-4}
((EUID == 0)) || die "run as root (capturing on lo needs it)" 2
for b in "$old" "$new"; do [[ -x $b ]] || die "not an executable: $b" 3; done
target=${CARGO_TARGET_DIR:-$repo/target}
sender=${SENDER:-$target/release/examples/sip_burst}
if [[ ! -x $sender ]]; then
    (cd "$repo" && cargo build --release --quiet --example sip_burst) || die "build failed"
fi
filter=(udp and host 127.0.14.1 and host 127.0.14.2 and port 5060)

tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%.0f\n", s}'; }
switches() { cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'; }

for ((round = 1; round <= rounds; round++)); do
    if ((round % 2)); then order=("$old" "$new"); else order=("$new" "$old"); fi
    declare -A pid=()
    for b in "${order[@]}"; do
        name=$([[ $b == "$old" ]] && echo old || echo new)
        nice -n -10 "$b" -i lo --no-ui --report stats --duration $((secs * 3 + 10)) \
            --log-file "$tmp/$name.log" "${filter[@]}" > "$tmp/$name.out" 2>&1 &
        pid[$name]=$!
        pids+=("$!")
    done
    sleep 2 # both listening
    l0=$(cut -d' ' -f1 /proc/loadavg)
    c0_old=$(cpu_ns "${pid[old]}") c0_new=$(cpu_ns "${pid[new]}")
    nice -n -10 "$sender" "$rate" "$secs" > "$tmp/sent"
    sleep 2 # both drain what they hold
    c1_old=$(cpu_ns "${pid[old]}") c1_new=$(cpu_ns "${pid[new]}")
    cs_old=$(switches "${pid[old]}") cs_new=$(switches "${pid[new]}")
    kill -INT "${pid[old]}" "${pid[new]}"
    wait "${pid[old]}" || true
    wait "${pid[new]}" || true
    pids=()
    line="round $round ($([[ ${order[0]} == "$old" ]] && echo old || echo new) first), $rate/s x ${secs}s, $(cat "$tmp/sent"), load $l0-$(cut -d' ' -f1 /proc/loadavg):"
    per=()
    for name in old new; do
        got=$(grep -o '[0-9]* SIP messages' "$tmp/$name.out" | cut -d' ' -f1)
        got=${got:-0}
        lost=$(grep -o 'lost: channel [0-9]*, kernel [0-9]*' "$tmp/$name.out" || echo "lost: ?")
        c0=c0_$name c1=c1_$name cs=cs_$name
        p=$(echo "scale=4; (${!c1} - ${!c0}) / 1000000000 * 100000 / ($got + (0 == $got))" | bc)
        per+=("$p")
        line+=$(printf ' %s %s taken in, %s, %.3f CPU-s/100k, %s switches;' "$name" "$got" "$lost" "$p" "${!cs}")
    done
    echo "$line new/old $(echo "scale=2; ${per[1]} / (${per[0]} + (0 == ${per[0]}))" | bc)"
done
