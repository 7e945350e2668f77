#!/usr/bin/env bash
# bench_live.sh: sipscope and sngrep capturing a SIP burst on loopback, with tcpdump as the truth.
#
# Usage (as root: capturing needs it): scripts/bench_live.sh
#
# A bounded sender of our own (examples/sip_burst.rs) sends whole calls (INVITE with SDP, 100,
# 180, 200 with SDP, ACK, BYE, 200) between 127.0.14.1:5060 and 127.0.14.2:5060 at RATE SIP
# messages a second for SECS seconds. Each run, tcpdump (-B 512 MiB) writes what crossed `lo`
# under the same filter; its count of the file (tcpdump -r) is the truth, and its own kernel
# drops must be 0 for the run to count. For each rate in RATES (default 100000 50000 10000, for
# SECS = 10 s each), one after the other:
#   sipscope -i lo --no-ui --report stats FILTER (its defaults): its SIP message count and its
#     loss counters (channel, kernel);
#   sngrep -N -q -d lo -l 1000000 -B 128 -O /dev/shm/... FILTER (every dialog kept, the same
#     kernel buffer as sipscope's default; -O only to count what it took in: the packets in
#     that file). The filter goes as separate words: sngrep takes a single argument for a match
#     expression, not a capture filter, and then keeps nothing.
# CPU is the time on CPU of the tool's threads (/proc/PID/task/*/schedstat) from just before
# the burst to 2 s after it, per 100,000 messages it took in.
# Verdicts (issue 14), printed at the end: at the first rate (100,000/s), sipscope takes in every
# message tcpdump saw, with no loss, and the sender reached at least 95 % of the rate; and
# sipscope's CPU per 100,000 messages is at most 1/8 of sngrep's at each rate where sngrep took in
# every message tcpdump saw (by default 50,000 and 10,000/s; at least one rate must qualify).
# Why those rates: the ratio compares the cost of the same work. Where sngrep cannot keep up
# (100,000/s: it took in 13-55 % of the burst in our runs) the kernel drops the rest before sngrep
# spends anything on them, and its figure is the cost per message of a saturated process (full
# reads, no sleeping); that ratio is printed, marked "not judged". The issue's own CPU figure
# (sngrep 10.2 CPU-s against 1.6 for 240,000 messages) was also taken at a rate sngrep kept up
# with, and a PBX's signalling runs far below 100,000/s: the low rates are the ones users pay.
#
# Every process of the run (sender, tcpdump, the tool) runs at nice -10, so builds running beside
# on a shared machine do not starve them; the tools still compete with each other and the sender.
# The load average is printed with each run: figures taken beside other work are not the
# program's alone.
#
# Environment: RATES, SECS; SIPSCOPE (the binary, default target/release/sipscope), SENDER
# (default target/release/examples/sip_burst); both are built when missing. Exits 1 when a
# verdict fails or a count cannot be trusted, 3 when a tool is missing.

set -euo pipefail

prog=$(basename "$0")
repo=$(cd "$(dirname "$0")/.." && pwd)
read -r -a rates <<< "${RATES:-100000 50000 10000}"
secs=${SECS:-10}
target=${CARGO_TARGET_DIR:-$repo/target}
bin=${SIPSCOPE:-$target/release/sipscope}
sender=${SENDER:-$target/release/examples/sip_burst}
filter=(udp and host 127.0.14.1 and host 127.0.14.2 and port 5060)

die() {
    echo "$prog: $1" >&2
    exit "${2:-1}"
}
((EUID == 0)) || die "run as root (capturing on lo needs it)" 2
for t in tcpdump sngrep; do
    command -v "$t" > /dev/null || die "missing: $t (apt-get install $t)" 3
done
if [[ ! -x $bin || ! -x $sender ]]; then
    (cd "$repo" && cargo build --release --quiet && cargo build --release --quiet --example sip_burst) ||
        die "build failed"
fi

tmp=$(mktemp -d)
shm=$(mktemp -d /dev/shm/sipscope-bench-live.XXXXXX)
chmod 777 "$shm" # sngrep may write its -O file as another user
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
    rm -rf "$tmp" "$shm"
}
trap cleanup EXIT

# Time on CPU of all the process's threads, in ns (the scheduler's own count: /proc/PID/stat's
# ticks are 10 ms apart, 4 % of sipscope's whole time at 10,000/s).
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%.0f\n", s}'; }
failed=0

load() { cut -d' ' -f1 /proc/loadavg; }

# run TOOL RATE SECS: sets got (messages the tool took in), lost (sipscope: its loss), cpu
# (seconds), per (CPU seconds per 100,000 taken in), truth (tcpdump's count), reached (the
# sender's rate).
run() {
    local tool=$1 r=$2 s=$3 td tp c0 c1 l0
    rm -f "$tmp"/* "$shm"/*
    nice -n -10 tcpdump -i lo -B 524288 -w "$shm/truth.pcap" "${filter[@]}" 2> "$tmp/tcpdump.err" &
    td=$!
    pids+=("$td")
    case $tool in
        sipscope)
            nice -n -10 "$bin" -i lo --no-ui --report stats --duration $((s * 3 + 10)) \
                --log-file "$tmp/sipscope.log" "${filter[@]}" > "$tmp/out" 2> "$tmp/err" &
            ;;
        sngrep)
            nice -n -10 sngrep -N -q -d lo -l 1000000 -B 128 -O "$shm/sngrep.pcap" "${filter[@]}" \
                > "$tmp/out" 2> "$tmp/err" &
            ;;
    esac
    tp=$!
    pids+=("$tp")
    sleep 2 # both listening
    l0=$(load)
    c0=$(cpu_ns "$tp")
    nice -n -10 "$sender" "$r" "$s" > "$tmp/sent"
    sleep 2 # the tool drains what it holds
    c1=$(cpu_ns "$tp")
    kill -INT "$td"
    wait "$td" || true
    # sipscope prints its report on SIGINT; sngrep writes its -O file as it goes, and ends on
    # SIGTERM (by its PID: it must not be left spinning).
    if [[ $tool == sngrep ]]; then kill -TERM "$tp"; else kill -INT "$tp"; fi
    wait "$tp" || true
    pids=() # both ended: never signal a PID that may since belong to another process
    cpu=$(echo "scale=3; ($c1 - $c0) / 1000000000" | bc)
    sent=$(awk '{print $2}' "$tmp/sent")
    reached=$(grep -o '([0-9]*/s)' "$tmp/sent" | tr -d '(/s)')
    truth=$(tcpdump -r "$shm/truth.pcap" 2> /dev/null | wc -l)
    local tddrop
    tddrop=$(awk '/dropped by kernel/ {print $1}' "$tmp/tcpdump.err")
    if [[ $tddrop != 0 ]]; then
        echo "  (tcpdump itself dropped $tddrop: its count is not the truth for this run)" >&2
        failed=1
    fi
    case $tool in
        sipscope)
            got=$(grep -o '[0-9]* SIP messages' "$tmp/out" | cut -d' ' -f1)
            lost=$(grep -o 'lost: channel [0-9]*, kernel [0-9]*' "$tmp/out")
            ;;
        sngrep)
            got=$(tcpdump -r "$shm/sngrep.pcap" 2> /dev/null | wc -l)
            lost="lost: $((truth - got)) (tcpdump's count less sngrep's)"
            ;;
    esac
    got=${got:-0}
    per=$(echo "scale=3; $cpu * 100000 / ($got + (0 == $got))" | bc)
    printf '  %-8s %6s/s x %2ss (sender reached %s/s): sent %8s, tcpdump %8s, took in %8s; %s; CPU %6.2f s = %5.3f s per 100,000; load %s-%s\n' \
        "$tool" "$r" "$s" "$reached" "$sent" "$truth" "$got" "$lost" "$cpu" "$per" "$l0" "$(load)"
}

verdicts=()
verdict() { # verdict OK TEXT
    if [[ $1 == 1 ]]; then verdicts+=("PASS: $2"); else
        verdicts+=("FAIL: $2")
        failed=1
    fi
}

first=1
judged=0
for r in "${rates[@]}"; do
    echo "$r SIP messages/s for $secs s on lo (${filter[*]})"
    run sipscope "$r" "$secs"
    ss_per=$per ss_got=$got ss_truth=$truth ss_lost=$lost ss_reached=$reached
    run sngrep "$r" "$secs"
    sg_per=$per sg_got=$got sg_truth=$truth
    ratio=$(echo "scale=2; $sg_per / ($ss_per + (0 == $ss_per))" | bc)
    ok=$(echo "$ratio >= 8" | bc)
    text=$(printf 'at %s/s sipscope %.3f CPU-s per 100,000 messages, sngrep %.3f: %.1fx (target: at least 8x)' \
        "$r" "$ss_per" "$sg_per" "$ratio")
    if [[ $sg_got == "$sg_truth" ]]; then
        verdict "$ok" "$text"
        judged=$((judged + 1))
    else
        verdicts+=("NOT JUDGED: $text; sngrep took in $sg_got of tcpdump's $sg_truth (a saturated sngrep: see the header)")
    fi
    if ((first)); then
        ok=1
        [[ $ss_got == "$ss_truth" && $ss_lost == "lost: channel 0, kernel 0" ]] || ok=0
        # The sender must have kept the rate (95 %), or the burst proves less than asked.
        ((ss_reached * 100 >= r * 95)) || ok=0
        verdict "$ok" "at $r/s for $secs s: sipscope took in $ss_got of tcpdump's $ss_truth, $ss_lost, sender at $ss_reached/s (target: all, none lost, the sender at the rate)"
        first=0
    fi
done
((judged > 0)) || verdict 0 "CPU per message against sngrep: no rate at which sngrep took in every message"
echo
printf '%s\n' "${verdicts[@]}"
exit "$failed"
