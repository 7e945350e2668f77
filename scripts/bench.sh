#!/usr/bin/env bash
# bench.sh: sipscope against sngrep, tshark and tcpdump on the same synthetic captures.
#
# Usage: scripts/bench.sh [small|medium|large|rtp-heavy|all]    (default: large)
#
# What it measures, per capture, under `/usr/bin/time` (wall seconds, user + system CPU seconds,
# peak RSS), with every tool's default options except what makes it read a file and be quiet:
#   tcpdump   tcpdump -r FILE -w /dev/null                          (the floor: reading the file)
#   stats     target/release/sipscope -r FILE --no-ui --report stats  (every dialog kept: the default
#             for files)
#   json      target/release/sipscope -r FILE --no-ui --report json > /dev/null
#   sngrep    sngrep -N -q -l 1000000 -I FILE -O /dev/null
#   tshark    tshark -r FILE -Y sip > /dev/null
# Both sipscope runs repeat REPEAT times (default 3; the median wall and CPU are reported, the
# peak RSS is the largest of the runs); the others run REPEAT_OTHERS times (default 1). The page
# cache is warmed first. SIP messages/s uses the generator's count (requests + responses from
# the stats JSON), and sipscope's own count (last line of its stats report) must equal it, else
# MISMATCH.
#
# Targets (issue 14, on the large capture), each printed with PASS or FAIL:
#   stats at least 50x faster than sngrep and 40x faster than tshark, within 3x of tcpdump's
#   wall, at most 1/8 of sngrep's peak memory; json within 2x the stats wall and 1.5x its memory.
# The exit status does not depend on them (a busy machine misses them): only on runs and counts.
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
#   DROP_CACHES     1 (default): as root, empty the page cache before warming each capture
#                   (0: leave it); see warm() in bench_lib.sh
#   REPEAT_OTHERS   runs of each other tool, 1..20 (default 1)
#   TIMEOUT         seconds before any single run is killed (default 1800)
#   CARGO_TARGET_DIR  where cargo builds (default <repo>/target): the binary measured is its
#                   release/sipscope
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


bin=${CARGO_TARGET_DIR:-$repo/target}/release/sipscope
echo "building sipscope (cargo build --release)" >&2
(cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"

status=0
for name in "${captures[@]}"; do
    ensure_capture "$name"
    file=$bench_dir/$name.pcap
    expected=$(expected_messages "$bench_dir/$name.json")
    size_mb=$(($(stat -c %s "$file") / 1000000))
    warm "$file" # an emptied page cache, then the file in it (bench_lib.sh)

    echo "running $name: sipscope x$repeat (stats, json), others x$repeat_others (timeout ${run_timeout}s each)" >&2
    tools=(tcpdump stats json sngrep tshark)
    declare -A walls=() cpus=() rss=() runs=()

    measure "$repeat_others" /dev/null tcpdump -r "$file" -w /dev/null
    walls[tcpdump]=$wall cpus[tcpdump]=$cpu rss[tcpdump]=$rss_kb runs[tcpdump]=$runs_list
    measure "$repeat" "$tmp/report.txt" "$bin" -r "$file" --no-ui --report stats
    walls[stats]=$wall cpus[stats]=$cpu rss[stats]=$rss_kb runs[stats]=$runs_list
    measure "$repeat" /dev/null "$bin" -r "$file" --no-ui --report json
    walls[json]=$wall cpus[json]=$cpu rss[json]=$rss_kb runs[json]=$runs_list
    measure "$repeat_others" /dev/null sngrep -N -q -l 1000000 -I "$file" -O /dev/null
    walls[sngrep]=$wall cpus[sngrep]=$cpu rss[sngrep]=$rss_kb runs[sngrep]=$runs_list
    measure "$repeat_others" /dev/null tshark -r "$file" -Y sip
    walls[tshark]=$wall cpus[tshark]=$cpu rss[tshark]=$rss_kb runs[tshark]=$runs_list

    # "N dialogs, M SIP messages in ..." is the report's last line.
    summary=$(grep -E '^[0-9]+ dialogs, [0-9]+ SIP messages in ' "$tmp/report.txt" | tail -n 1 || true)
    got=$(sed -E 's/^[0-9]+ dialogs, ([0-9]+) SIP messages in .*/\1/' <<< "$summary")

    echo
    echo "== $name: $file ($size_mb MB, $expected SIP messages)"
    printf '%-8s %8s %8s %12s %9s %10s %10s %11s %10s\n' \
        tool "wall s" "CPU s" "SIP msg/s" "peak MiB" "x sngrep" "x tshark" "x tcpdump" "of sngrep"
    for t in "${tools[@]}"; do
        awk -v t="$t" -v w="${walls[$t]}" -v c="${cpus[$t]}" -v r="${rss[$t]}" -v n="$expected" \
            -v sg="${walls[sngrep]}" -v ts="${walls[tshark]}" -v td="${walls[tcpdump]}" \
            -v sgr="${rss[sngrep]}" 'BEGIN {
            rate = (w > 0) ? sprintf("%.0f", n / w) : "inf"
            xs = (w > 0) ? sprintf("%.1f", sg / w) : "inf"
            xt = (w > 0) ? sprintf("%.1f", ts / w) : "inf"
            xd = (td > 0) ? sprintf("%.2f", w / td) : "inf"
            m = sprintf("%.3f", r / sgr)
            printf "%-8s %8.2f %8.2f %12s %9.1f %10s %10s %11s %10s\n", t, w, c, rate, r / 1024, xs, xt, xd, m
        }'
    done
    echo "(x sngrep, x tshark: their wall / this one's; x tcpdump: this wall / tcpdump's;"
    echo " of sngrep: this peak RSS / sngrep's. Walls are medians; runs:"
    for t in "${tools[@]}"; do echo "   $t: ${runs[$t]} s"; done
    echo ")"

    awk -v sg="${walls[sngrep]}" -v ts="${walls[tshark]}" -v td="${walls[tcpdump]}" \
        -v o="${walls[stats]}" -v j="${walls[json]}" -v sgr="${rss[sngrep]}" \
        -v orss="${rss[stats]}" -v jrss="${rss[json]}" -v name="$name" 'BEGIN {
        note = (name == "large") ? "" : " (set for the large capture)"
        printf "targets%s:\n", note
        verdict("stats vs sngrep", (o > 0) ? sg / o : 1e9, ">=", 50, "x")
        verdict("stats vs tshark", (o > 0) ? ts / o : 1e9, ">=", 40, "x")
        verdict("stats vs tcpdump (wall ratio)", (td > 0) ? o / td : 1e9, "<=", 3, "x")
        verdict("stats memory, of sngrep\x27s", orss / sgr, "<=", 0.125, "")
        verdict("json wall, of stats\x27", (o > 0) ? j / o : 1e9, "<=", 2, "x")
        verdict("json memory, of stats\x27", jrss / orss, "<=", 1.5, "x")
    }
    function verdict(what, v, op, limit, unit,   ok) {
        ok = (op == ">=") ? (v >= limit) : (v <= limit)
        printf "  %-32s %8.3f%s (%s %s%s) %s\n", what, v, unit, op, limit, unit, (ok ? "PASS" : "FAIL")
    }'

    if [[ $got == "$expected" ]]; then
        echo "count: sipscope reports $got SIP messages, as expected"
    else
        echo "MISMATCH: sipscope reports ${got:-no count} SIP messages, expected $expected"
        echo "  report line: ${summary:-<none>}"
        status=1
    fi
    unset walls cpus rss runs
done
exit "$status"
