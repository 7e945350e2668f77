#!/usr/bin/env bash
# bench.sh: sipscope against sngrep, tshark and tcpdump on the same synthetic captures.
#
# Usage: scripts/bench.sh [small|medium|large|rtp-heavy|all]    (default: large)
#
# What it measures, per capture, under `/usr/bin/time -f '%e %M'` (wall seconds, peak RSS):
#   sipscope  target/release/sipscope -r FILE --no-ui --report stats -l 1000000   (all dialogs kept)
#   sngrep    sngrep -N -q -l 1000000 -I FILE -O /dev/null
#   tshark    tshark -r FILE -Y sip > /dev/null
#   tcpdump   tcpdump -r FILE -w /dev/null          (the floor: just reading the file)
# sipscope runs REPEAT times (default 3) and its median wall time is reported (peak RSS is the
# largest of its runs); the others run REPEAT_OTHERS times (default 1). The page cache is warmed
# first. SIP messages/s uses the generator's count (requests + responses from the stats JSON),
# and sipscope's own count (last line of its text report) must equal it, else MISMATCH.
#
# Targets (on the large capture): at least 30x faster than sngrep, at least 20x faster than
# tshark, and at most a quarter of sngrep's peak memory.
#
# Captures come from shared/tools/gen_sip_pcap.py (deterministic per seed; flags as in
# shared/tools/README.md, "The benchmark set") and are cached in $BENCH_DIR, made only when
# missing. large is 757 MB (~25 s to make); rtp-heavy is 1.4 GB and only made when asked for.
#
# Environment:
#   BENCH_DIR       capture cache (default /tmp/sipscope-bench)
#   SHARED          the shared directory, or the generator script itself
#                   (default: <repo>/../shared)
#   REPEAT          sipscope runs per capture, 1..20 (default 3)
#   REPEAT_OTHERS   runs of each other tool, 1..20 (default 1)
#   TIMEOUT         seconds before any single run is killed (default 1800)
#
# Exits 1 if a run fails or a count mismatches, 2 on bad usage, 3 if a tool is missing.
# It never installs anything: it says which Debian package is missing.

set -euo pipefail

# shellcheck source=scripts/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
run_timeout=${TIMEOUT:-1800}

usage() {
    sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
    echo "Environment: BENCH_DIR SHARED REPEAT REPEAT_OTHERS TIMEOUT (see the header of $0)"
}

case ${1:-large} in
    small | medium | large | rtp-heavy) captures=("${1:-large}") ;;
    all) captures=(small medium large rtp-heavy) ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac
[[ $# -le 1 ]] || { usage >&2; exit 2; }

check_settings

# ---- tools: check and tell, never install -------------------------------------------------

need sngrep sngrep
need tshark tshark
need tcpdump tcpdump
need /usr/bin/time time
need timeout coreutils
need python3 python3
need cargo "rustup, or cargo"
if ((${#missing[@]})); then
    printf 'bench.sh: missing tool: %s\n' "${missing[@]}" >&2
    echo "  e.g. sudo DEBIAN_FRONTEND=noninteractive apt-get install -y sngrep tshark tcpdump time" >&2
    exit 3
fi
[[ -f $gen ]] || die "generator not found: $gen (set SHARED to the shared directory)" 3

# ---- captures ------------------------------------------------------------------------------

expected_messages() { # requests + responses from the stats JSON (cross-checked with sip_messages)
    python3 - "$1" << 'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
n = sum(s["requests"].values()) + sum(s["responses"].values())
if "sip_messages" in s and s["sip_messages"] != n:
    sys.exit(f"{sys.argv[1]}: requests+responses = {n} but sip_messages = {s['sip_messages']}")
print(n)
EOF
}

# ---- measuring -----------------------------------------------------------------------------

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT


bin=$repo/target/release/sipscope
echo "building sipscope (cargo build --release)" >&2
(cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"

status=0
for name in "${captures[@]}"; do
    ensure_capture "$name"
    file=$bench_dir/$name.pcap
    expected=$(expected_messages "$bench_dir/$name.json")
    size_mb=$(($(stat -c %s "$file") / 1000000))
    cat "$file" > /dev/null # warm the page cache

    echo "running $name: sipscope x$repeat, others x$repeat_others (timeout ${run_timeout}s each)" >&2
    tools=(sipscope sngrep tshark tcpdump)
    declare -A walls=() rss=()

    measure "$repeat" "$tmp/report.txt" "$bin" -r "$file" --no-ui --report stats -l 1000000
    walls[sipscope]=$wall rss[sipscope]=$rss_kb
    sipscope_runs=$runs_list
    measure "$repeat_others" /dev/null sngrep -N -q -l 1000000 -I "$file" -O /dev/null
    walls[sngrep]=$wall rss[sngrep]=$rss_kb
    measure "$repeat_others" /dev/null tshark -r "$file" -Y sip
    walls[tshark]=$wall rss[tshark]=$rss_kb
    measure "$repeat_others" /dev/null tcpdump -r "$file" -w /dev/null
    walls[tcpdump]=$wall rss[tcpdump]=$rss_kb

    # "N dialogs, M SIP messages in ..." is the report's last line.
    summary=$(grep -E '^[0-9]+ dialogs, [0-9]+ SIP messages in ' "$tmp/report.txt" | tail -n 1 || true)
    got=$(sed -E 's/^[0-9]+ dialogs, ([0-9]+) SIP messages in .*/\1/' <<< "$summary")

    echo
    echo "== $name: $file ($size_mb MB, $expected SIP messages)"
    printf '%-9s %9s %12s %9s %12s %12s\n' tool "wall s" "SIP msg/s" "peak MB" "speed x" "memory x"
    for t in "${tools[@]}"; do
        awk -v t="$t" -v w="${walls[$t]}" -v r="${rss[$t]}" -v n="$expected" \
            -v ow="${walls[sipscope]}" -v orss="${rss[sipscope]}" 'BEGIN {
            rate = (w > 0) ? sprintf("%.0f", n / w) : "inf"
            if (t == "sipscope") { sp = "-"; mem = "-" }
            else {
                sp = (ow > 0) ? sprintf("%.1f", w / ow) : "inf"
                mem = sprintf("%.3f", orss / r)
            }
            printf "%-9s %9.2f %12s %9.1f %12s %12s\n", t, w, rate, r / 1024, sp, mem
        }'
    done
    echo "(speed x = their wall / ours; memory x = our peak / theirs; MB = MiB;"
    echo " sipscope wall is the median of $repeat runs: $sipscope_runs s)"

    awk -v s="${walls[sngrep]}" -v ts="${walls[tshark]}" -v o="${walls[sipscope]}" \
        -v rs="${rss[sngrep]}" -v ro="${rss[sipscope]}" -v name="$name" 'BEGIN {
        fast_s = (o > 0) ? s / o : 1e9; fast_t = (o > 0) ? ts / o : 1e9; mem = ro / rs
        note = (name == "large") ? "" : " (set for large)"
        printf "targets%s: vs sngrep %.1fx (>= 30) %s; vs tshark %.1fx (>= 20) %s; memory %.3f of sngrep (<= 0.25) %s\n",
            note, fast_s, (fast_s >= 30 ? "ok" : "MISSED"), fast_t, (fast_t >= 20 ? "ok" : "MISSED"),
            mem, (mem <= 0.25 ? "ok" : "MISSED")
    }'

    if [[ $got == "$expected" ]]; then
        echo "count: sipscope reports $got SIP messages, as expected"
    else
        echo "MISMATCH: sipscope reports ${got:-no count} SIP messages, expected $expected"
        echo "  report line: ${summary:-<none>}"
        status=1
    fi
    unset walls rss
done
exit "$status"
