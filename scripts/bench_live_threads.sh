#!/usr/bin/env bash
# bench_live_threads.sh: where a live sipscope's CPU goes, thread by thread, over a SIP burst.
#
# Usage (as root: capturing needs it): scripts/bench_live_threads.sh [BIN [RATE [SECS]]]
#
# Starts BIN (default target/release/sipscope) on lo (`--no-ui --report stats`, the burst's
# filter), sends RATE SIP messages a second (default 10000) for SECS seconds (default 5) with
# examples/sip_burst.rs, waits 2 s for it to drain, and prints per thread, from just before the
# burst to 2 s after it: time on CPU per 100,000 messages taken in (/proc/PID/task/*/schedstat),
# voluntary context switches (each a sleep, so a wake-up after it), involuntary ones (preempted:
# the machine's load), and minor page faults. Then the messages taken in, the loss, the load
# average. Each run, every process at nice -10, like bench_live.sh. The idle cost is the same
# with RATE 0 (no burst: SECS of an idle link).
#
# Environment: SENDER (default target/release/examples/sip_burst, built when missing).
# Exits 2 when not root, 3 when the binary is missing.

set -euo pipefail

prog=$(basename "$0")
repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
bin=${1:-$target/release/sipscope} rate=${2:-10000} secs=${3:-5}
sender=${SENDER:-$target/release/examples/sip_burst}
die() {
    echo "$prog: $1" >&2
    exit "${2:-1}"
}
((EUID == 0)) || die "run as root (capturing on lo needs it)" 2
[[ -x $bin ]] || die "not an executable: $bin" 3
if [[ ! -x $sender ]]; then
    (cd "$repo" && cargo build --release --quiet --example sip_burst) || die "build failed"
fi
filter=(udp and host 127.0.14.1 and host 127.0.14.2 and port 5060)

tmp=$(mktemp -d)
pid=
cleanup() {
    [[ -n $pid ]] && kill "$pid" 2> /dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

nice -n -10 "$bin" -i lo --no-ui --report stats --duration $((secs * 3 + 10)) \
    --log-file "$tmp/log" "${filter[@]}" > "$tmp/out" 2>&1 &
pid=$!
sleep 2 # listening
# One line per thread: name, ns on CPU, voluntary and involuntary switches, minor faults.
snap() {
    for t in /proc/"$pid"/task/*; do
        echo "$(tr ' ' '_' < "$t/comm") $(cut -d' ' -f1 "$t/schedstat")" \
            "$(awk '/^voluntary_ctxt/ {v = $2} /^nonvoluntary_ctxt/ {n = $2} END {print v, n}' "$t/status")" \
            "$(cut -d' ' -f10 "$t/stat")"
    done
}
snap > "$tmp/before"
l0=$(cut -d' ' -f1 /proc/loadavg)
if ((rate > 0)); then
    nice -n -10 "$sender" "$rate" "$secs" > "$tmp/sent"
else
    sleep "$secs"
    echo "no burst: an idle link for $secs s" > "$tmp/sent"
fi
sleep 2 # it drains what it holds
snap > "$tmp/after"
kill -INT "$pid"
wait "$pid" || true
pid=
got=$(grep -o '[0-9]* SIP messages' "$tmp/out" | cut -d' ' -f1 || true)
lost=$(grep -o 'lost: channel [0-9]*, kernel [0-9]*' "$tmp/out" || echo "lost: ?")
echo "$(cat "$tmp/sent"); took in ${got:-0}; $lost; load $l0-$(cut -d' ' -f1 /proc/loadavg)"
# Per 100,000 messages taken in; with no burst, ms per second instead.
join <(sort "$tmp/before") <(sort "$tmp/after") | awk -v got="${got:-0}" -v secs="$((secs + 2))" '
    BEGIN { per = got > 0 ? 100000 / got : 1000 / secs; unit = got > 0 ? "CPU-s/100k" : "CPU-ms/s" }
    { c = ($6 - $2) / 1e9 * per; total += c
      printf "  %-16s %7.4f %s  voluntary %5d  involuntary %5d  minor faults %6d\n", $1, c, unit, $7 - $3, $8 - $4, $9 - $5 }
    END { printf "  %-16s %7.4f %s\n", "all", total, unit }'
